/* XFRM netlink backend: the sockets. Every request goes through
 * xfrm_transact(); message bytes come from xfrm_msg.c. */
#include "kernel/xfrm.h"

#include "kernel/xfrm_msg.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ipsec.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define XFRM_SBUF     (64 * 1024) /* one sendmsg() worth of requests */
#define XFRM_RBUF     (64 * 1024) /* replies; dumps fill up to this */
#define XFRM_EV_BUF   (64 * 1024)
#define XFRM_ACK_COST 2048 /* receive buffer per queued ack, generously */

struct xfrm {
	struct mnl_socket *nl; /* requests */
	struct mnl_socket *ev; /* notifications, NULL without */
	uint32_t portid;
	uint32_t seq;
	unsigned long sends; /* sendmsg() calls, for tests and benchmarks */
	size_t max_batch;    /* requests per sendmsg() the acks have room for */
	uint8_t *sbuf;
	uint8_t *rbuf;
	uint8_t *ebuf;
};

/* ---- Opening ----------------------------------------------------------- */

static void sock_opt(struct mnl_socket *nl, int level, int name, int val)
{
	/* Best effort: older kernels lack EXT_ACK/CAP_ACK; we still work. */
	(void)setsockopt(mnl_socket_get_fd(nl), level, name, &val, sizeof(val));
}

int xfrm_set_rcvbuf(struct xfrm *x, int bytes)
{
	int fd = mnl_socket_get_fd(x->nl), rcv = bytes;
	socklen_t len = sizeof(rcv);

	/* Forced when we have CAP_NET_ADMIN, else capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		sock_opt(x->nl, SOL_SOCKET, SO_RCVBUF, rcv);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len) < 0)
		rcv = 0;
	x->max_batch = (size_t)rcv / XFRM_ACK_COST;
	if (x->max_batch < 16)
		x->max_batch = 16;
	return rcv;
}

size_t xfrm_batch_max(const struct xfrm *x)
{
	return x->max_batch;
}

static int open_requests(struct xfrm *x)
{
	struct timeval tv = { .tv_sec = 10 };

	x->nl = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
	if (!x->nl)
		return -errno;
	if (mnl_socket_bind(x->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	x->portid = mnl_socket_get_portid(x->nl);
	sock_opt(x->nl, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	sock_opt(x->nl, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	/* The kernel queues one ack per request of a batch before sendmsg()
	 * returns, about 1 KiB of receive buffer each (skb overhead): ask for
	 * room and size batches to what we got. Without this a guest with the
	 * default rmem_max (208 KiB) lost acks of 1000-DELSA batches. */
	xfrm_set_rcvbuf(x, 4 << 20);
	/* The kernel always answers; a timeout turns a bug into an error
	 * instead of a hung daemon. */
	if (setsockopt(mnl_socket_get_fd(x->nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0)
		return -errno;
	return 0;
}

static int join_groups(struct xfrm *x, const int *groups, size_t n)
{
	int fd = mnl_socket_get_fd(x->ev);

	for (size_t i = 0; i < n; i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			       &groups[i], sizeof(groups[i])) < 0)
			return -errno;
	return 0;
}

/* What a daemon acts on. Not the SA and POLICY groups: every SA anyone
 * adds would arrive with its keys, and the traffic makes overruns (lost
 * ACQUIREs and EXPIREs) likelier; see xfrm_event_watch_notes(). */
static int open_events(struct xfrm *x)
{
	static const int groups[] = { XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE,
				      XFRMNLGRP_MAPPING };
	int fd, size = 4 << 20;

	x->ev = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!x->ev)
		return -errno;
	if (mnl_socket_bind(x->ev, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	fd = mnl_socket_get_fd(x->ev);
	/* Bursts of expires after a mass rekey: a big buffer, forced when we
	 * have CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		sock_opt(x->ev, SOL_SOCKET, SO_RCVBUF, size);
	return join_groups(x, groups, sizeof(groups) / sizeof(groups[0]));
}

int xfrm_event_watch_notes(struct xfrm *x)
{
	static const int groups[] = { XFRMNLGRP_SA, XFRMNLGRP_POLICY };

	if (!x->ev)
		return -EBADF;
	return join_groups(x, groups, sizeof(groups) / sizeof(groups[0]));
}

int xfrm_open(struct xfrm **out, bool events, struct kernel_err *err)
{
	struct xfrm *x = calloc(1, sizeof(*x));
	int r = -ENOMEM;

	*out = NULL;
	if (!x)
		goto fail;
	x->sbuf = malloc(XFRM_SBUF);
	x->rbuf = malloc(XFRM_RBUF);
	x->ebuf = events ? malloc(XFRM_EV_BUF) : NULL;
	if (!x->sbuf || !x->rbuf || (events && !x->ebuf))
		goto fail;
	x->seq = 1;
	r = open_requests(x);
	if (!r && events)
		r = open_events(x);
	if (r)
		goto fail;
	*out = x;
	return 0;
fail:
	xfrm_close(x);
	return kernel_err_set(err, r, "open XFRM netlink socket", NULL);
}

void xfrm_close(struct xfrm *x)
{
	if (!x)
		return;
	if (x->nl)
		mnl_socket_close(x->nl);
	if (x->ev)
		mnl_socket_close(x->ev);
	/* Send and receive buffers held keys (requests, dump replies). */
	if (x->sbuf)
		explicit_bzero(x->sbuf, XFRM_SBUF);
	if (x->rbuf)
		explicit_bzero(x->rbuf, XFRM_RBUF);
	free(x->sbuf);
	free(x->rbuf);
	free(x->ebuf);
	free(x);
}

/* ---- The one function that talks to the request socket ---------------- */

/* Called for every reply message (acks and errors included) with the index
 * of the request it answers in the batch. */
typedef int (*xfrm_reply_cb)(const struct nlmsghdr *nlh, size_t idx, void *arg);

struct transact {
	struct xfrm *x;
	uint32_t first;
	size_t n;
	size_t pending;
	uint8_t *done;
	xfrm_reply_cb cb;
	void *arg;
	int cb_ret;
};

/* One reply: route it to its request; a request is answered by an
 * NLMSG_ERROR (ack), an NLMSG_DONE (end of dump) or a single reply. */
static int transact_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct transact *t = arg;
	size_t idx = (uint32_t)(nlh->nlmsg_seq - t->first);

	if (nlh->nlmsg_pid != t->x->portid || idx >= t->n || t->done[idx])
		return 0; /* a stale answer to an earlier, timed-out call */
	if (nlh->nlmsg_type != NLMSG_DONE && !t->cb_ret) {
		int r = t->cb(nlh, idx, t->arg);
		if (r)
			t->cb_ret = r; /* keep draining the dump */
	}
	if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE ||
	    !(nlh->nlmsg_flags & NLM_F_MULTI)) {
		t->done[idx] = 1;
		t->pending--;
	}
	return 0;
}

/* Sends `len` bytes of x->sbuf holding `n` requests numbered
 * first..first+n-1 in one sendmsg(), then reads until every request has
 * its answer. Returns a socket error, else the first nonzero `cb` return,
 * else 0. */
static int xfrm_transact(struct xfrm *x, size_t len, uint32_t first, size_t n,
			 xfrm_reply_cb cb, void *arg)
{
	struct transact t = {
		x, first, n, n, calloc(n ? n : 1, 1), cb, arg, 0
	};
	int r = 0;

	if (!t.done)
		return -ENOMEM;
	x->sends++;
	if (mnl_socket_sendto(x->nl, x->sbuf, len) < 0)
		r = -errno;
	while (!r && t.pending) {
		ssize_t got = mnl_socket_recvfrom(x->nl, x->rbuf, XFRM_RBUF);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		r = xfrm_msg_walk(x->rbuf, (size_t)got, transact_msg, &t);
	}
	free(t.done);
	return r ? r : t.cb_ret;
}

/* First of up to `max` consecutive sequence numbers, never wrapping within
 * a batch (0 is skipped). The caller advances x->seq by what it used. */
static uint32_t seq_base(struct xfrm *x, size_t max)
{
	if (x->seq == 0 || x->seq > UINT32_MAX - max)
		x->seq = 1;
	return x->seq;
}

/* ---- Batched requests --------------------------------------------------- */

static void req_what(const struct kernel_req *q, char *buf, size_t len)
{
	static const char *const verb[] = {
		[KERNEL_REQ_SA_ADD] = "add",
		[KERNEL_REQ_SA_UPDATE] = "update",
		[KERNEL_REQ_SA_DEL] = "delete",
		[KERNEL_REQ_POLICY_ADD] = "add",
		[KERNEL_REQ_POLICY_UPDATE] = "update",
		[KERNEL_REQ_POLICY_DEL] = "delete",
		[KERNEL_REQ_MIGRATE] = "migrate",
		[KERNEL_REQ_SPI_ALLOC] = "allocate",
	};
	char obj[KERNEL_ERR_MAX - 32];
	const char *v =
		q->type < sizeof(verb) / sizeof(verb[0]) && verb[q->type]
			? verb[q->type]
			: "request";

	if (!q->o.sa) {
		snprintf(buf, len, "%s (no object given)", v);
		return;
	}
	switch (q->type) {
	case KERNEL_REQ_SA_ADD:
	case KERNEL_REQ_SA_UPDATE:
		kernel_sa_describe(&q->o.sa->id, q->o.sa->reqid, obj,
				   sizeof(obj));
		break;
	case KERNEL_REQ_SA_DEL:
		kernel_sa_describe(q->o.sa_id, 0, obj, sizeof(obj));
		break;
	case KERNEL_REQ_POLICY_ADD:
	case KERNEL_REQ_POLICY_UPDATE:
	case KERNEL_REQ_POLICY_DEL:
		kernel_policy_describe(q->o.policy, obj, sizeof(obj));
		break;
	case KERNEL_REQ_MIGRATE:
		kernel_migrate_describe(q->o.migrate, obj, sizeof(obj));
		break;
	case KERNEL_REQ_SPI_ALLOC: {
		/* as xfrm_spi_alloc() says it */
		char sa[KERNEL_ERR_MAX - 64];

		kernel_sa_describe(&q->o.spi->id, q->o.spi->reqid, sa,
				   sizeof(sa));
		snprintf(obj, sizeof(obj), "SPI 0x%x-0x%x for %s",
			 q->o.spi->min, q->o.spi->max, sa);
		break;
	}
	default: snprintf(obj, sizeof(obj), "of unknown type %u", q->type);
	}
	snprintf(buf, len, "%s %s", v, obj);
}

static int req_build(const struct kernel_req *q, void *buf, size_t cap,
		     uint32_t seq)
{
	if (!q->o.sa) /* any member of the union: all are pointers */
		return -EFAULT;
	switch (q->type) {
	case KERNEL_REQ_SA_ADD:
	case KERNEL_REQ_SA_UPDATE:
		return xfrm_msg_sa_add(buf, cap, seq, q->o.sa,
				       q->type == KERNEL_REQ_SA_UPDATE);
	case KERNEL_REQ_SA_DEL:
		return xfrm_msg_sa_del(buf, cap, seq, q->o.sa_id);
	case KERNEL_REQ_POLICY_ADD:
	case KERNEL_REQ_POLICY_UPDATE:
		return xfrm_msg_policy_add(buf, cap, seq, q->o.policy,
					   q->type == KERNEL_REQ_POLICY_UPDATE);
	case KERNEL_REQ_POLICY_DEL:
		return xfrm_msg_policy_del(buf, cap, seq, q->o.policy);
	case KERNEL_REQ_MIGRATE:
		return xfrm_msg_migrate(buf, cap, seq, q->o.migrate);
	case KERNEL_REQ_SPI_ALLOC:
		/* the larval SA's mode does not matter: UPDSA sets it */
		return xfrm_msg_spi_alloc(buf, cap, seq, &q->o.spi->id,
					  KERNEL_MODE_TRANSPORT,
					  q->o.spi->reqid, q->o.spi->seq,
					  q->o.spi->min, q->o.spi->max);
	}
	return -EINVAL;
}

static void req_fail(struct kernel_req *q, int code, const char *detail)
{
	char what[KERNEL_ERR_MAX];

	req_what(q, what, sizeof(what));
	kernel_err_set(&q->err, code, what, detail);
}

/* Our own refusal, before anything reached the kernel. A message too long
 * for KERNEL_ERR_MAX is cut, which is fine. */
static void req_fail_why(struct kernel_req *q, int code, const char *why)
{
	char what[KERNEL_ERR_MAX];
	int n;

	req_what(q, what, sizeof(what));
	n = snprintf(q->err.msg, sizeof(q->err.msg), "%s: %s%s%s%s", what,
		     strerror(-code), why && *why ? " (" : "", why ? why : "",
		     why && *why ? ")" : "");
	if (n < 0)
		q->err.msg[0] = 0;
	q->err.code = code;
}

/* A request the builder refused: say why, in the object's terms. */
static void req_refused(struct kernel_req *q, int code)
{
	char why[KERNEL_ERR_MAX / 2] = "";

	if ((q->type == KERNEL_REQ_SA_ADD || q->type == KERNEL_REQ_SA_UPDATE) &&
	    q->o.sa && xfrm_msg_sa_check(q->o.sa, why, sizeof(why)) == 0)
		why[0] = 0;
	if (!why[0] && code == -ENOSPC)
		snprintf(why, sizeof(why), "message too large");
	if (!why[0] && code == -EINVAL)
		snprintf(why, sizeof(why), "not expressible to XFRM");
	req_fail_why(q, code, why);
}

struct apply_ctx {
	struct kernel_req *reqs;
	const size_t *slot; /* batch index -> request index */
	uint8_t *answered;  /* by batch index */
};

static int apply_ack(const struct nlmsghdr *nlh, size_t idx, void *arg)
{
	struct apply_ctx *c = arg;
	struct kernel_req *q = &c->reqs[c->slot[idx]];
	char detail[KERNEL_ERR_MAX / 2];
	uint32_t seq;
	int error;

	c->answered[idx] = 1;
	if (q->type == KERNEL_REQ_SPI_ALLOC && nlh->nlmsg_type != NLMSG_ERROR) {
		/* ALLOCSPI answers with the larval SA, not an ack */
		struct kernel_sa_id id;
		struct kernel_sa_stats stats;

		if (xfrm_msg_parse_sa(nlh, &id, &stats, NULL))
			req_fail(q, -EBADMSG, "unexpected reply");
		else
			q->o.spi->got = id.spi;
		return 0;
	}
	if (xfrm_msg_parse_ack(nlh, &error, &seq, detail, sizeof(detail))) {
		req_fail(q, -EBADMSG, "unexpected reply");
		return 0;
	}
	if (error)
		req_fail(q, error, detail);
	return 0;
}

/* Builds requests from reqs[*i] on into x->sbuf until it is full, sends
 * them and collects their acks. */
static int apply_chunk(struct xfrm *x, struct kernel_req *reqs, size_t n,
		       size_t *i, size_t *slot)
{
	uint32_t first = seq_base(x, n);
	size_t len = 0, count = 0;
	struct apply_ctx c = { reqs, slot, NULL };
	int r;

	for (; *i < n && count < x->max_batch; (*i)++) {
		struct kernel_req *q = &reqs[*i];
		q->err.code = 0;
		q->err.msg[0] = 0;
		r = req_build(q, x->sbuf + len, XFRM_SBUF - len,
			      first + (uint32_t)count);
		if (r == -ENOSPC && count)
			break; /* full: send what we have, then go on */
		if (r < 0) {
			req_refused(q, r);
			continue;
		}
		slot[count++] = *i;
		len += (size_t)r;
	}
	if (!count)
		return 0;
	x->seq += (uint32_t)count;
	c.answered = calloc(count, 1);
	if (!c.answered)
		return -ENOMEM;
	r = xfrm_transact(x, len, first, count, apply_ack, &c);
	explicit_bzero(x->sbuf, len); /* keys */
	for (size_t k = 0; k < count && r; k++)
		if (!c.answered[k])
			req_fail_why(&reqs[slot[k]], r,
				     "no answer from the kernel");
	free(c.answered);
	return 0;
}

int xfrm_apply(struct xfrm *x, struct kernel_req *reqs, size_t n)
{
	size_t *slot = calloc(n ? n : 1, sizeof(*slot));
	size_t i = 0;
	int r = 0;

	if (!slot)
		return -ENOMEM;
	while (i < n && !r)
		r = apply_chunk(x, reqs, n, &i, slot);
	free(slot);
	for (size_t k = 0; k < n && !r; k++)
		r = reqs[k].err.code;
	return r;
}

static int apply_one(struct xfrm *x, struct kernel_req *q,
		     struct kernel_err *err)
{
	int r = xfrm_apply(x, q, 1);

	if (err)
		*err = q->err;
	return r;
}

int xfrm_sa_add(struct xfrm *x, const struct kernel_sa *sa, bool update,
		struct kernel_err *err)
{
	struct kernel_req q = { .type = update ? KERNEL_REQ_SA_UPDATE
					       : KERNEL_REQ_SA_ADD };
	q.o.sa = sa;
	return apply_one(x, &q, err);
}

int xfrm_sa_del(struct xfrm *x, const struct kernel_sa_id *id,
		struct kernel_err *err)
{
	struct kernel_req q = { .type = KERNEL_REQ_SA_DEL };
	q.o.sa_id = id;
	return apply_one(x, &q, err);
}

int xfrm_policy_add(struct xfrm *x, const struct kernel_policy *p, bool update,
		    struct kernel_err *err)
{
	struct kernel_req q = { .type = update ? KERNEL_REQ_POLICY_UPDATE
					       : KERNEL_REQ_POLICY_ADD };
	q.o.policy = p;
	return apply_one(x, &q, err);
}

int xfrm_policy_del(struct xfrm *x, const struct kernel_policy *p,
		    struct kernel_err *err)
{
	struct kernel_req q = { .type = KERNEL_REQ_POLICY_DEL };
	q.o.policy = p;
	return apply_one(x, &q, err);
}

unsigned long xfrm_sends(const struct xfrm *x)
{
	return x->sends;
}

/* ---- Single requests with a reply ------------------------------------- */

struct reply_ctx {
	int error;
	char detail[KERNEL_ERR_MAX / 2];
	int (*parse)(const struct nlmsghdr *nlh, void *out);
	void *out;
	bool got;
};

static int reply_msg(const struct nlmsghdr *nlh, size_t idx, void *arg)
{
	struct reply_ctx *c = arg;
	uint32_t seq;

	(void)idx;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (xfrm_msg_parse_ack(nlh, &c->error, &seq, c->detail,
				       sizeof(c->detail)))
			c->error = -EBADMSG;
		return 0;
	}
	if (c->parse(nlh, c->out) == 0)
		c->got = true;
	else
		c->error = -EBADMSG;
	return 0;
}

/* Sends the one request built in x->sbuf (`len` bytes, seq `seq`) and
 * parses its single reply into `out`. */
static int request_reply(struct xfrm *x, int len, uint32_t seq,
			 int (*parse)(const struct nlmsghdr *, void *),
			 void *out, const char *what, struct kernel_err *err)
{
	struct reply_ctx c = { .parse = parse, .out = out };
	int r;

	if (len < 0)
		return kernel_err_set(err, len, what, NULL);
	r = xfrm_transact(x, (size_t)len, seq, 1, reply_msg, &c);
	if (!r && !c.error && !c.got)
		c.error = -EBADMSG;
	if (r || c.error)
		return kernel_err_set(err, r ? r : c.error, what, c.detail);
	return 0;
}

struct sa_out {
	struct kernel_sa_id id;
	struct kernel_sa_stats stats;
	struct kernel_sa sa;
};

static int parse_sa_out(const struct nlmsghdr *nlh, void *out)
{
	struct sa_out *o = out;
	return xfrm_msg_parse_sa(nlh, &o->id, &o->stats, &o->sa);
}

int xfrm_spi_alloc(struct xfrm *x, const struct kernel_sa_id *id, uint8_t mode,
		   uint32_t reqid, uint32_t seq, uint32_t min, uint32_t max,
		   uint32_t *spi, struct kernel_err *err)
{
	char what[KERNEL_ERR_MAX - 32], obj[KERNEL_ERR_MAX - 64];
	uint32_t s = seq_base(x, 1);
	struct sa_out o;
	int r;

	kernel_sa_describe(id, reqid, obj, sizeof(obj));
	snprintf(what, sizeof(what), "allocate SPI 0x%x-0x%x for %s", min, max,
		 obj);
	r = xfrm_msg_spi_alloc(x->sbuf, XFRM_SBUF, s, id, mode, reqid, seq, min,
			       max);
	x->seq++;
	r = request_reply(x, r, s, parse_sa_out, &o, what, err);
	kernel_sa_wipe(&o.sa);
	if (!r)
		*spi = o.id.spi;
	return r;
}

int xfrm_sa_get(struct xfrm *x, const struct kernel_sa_id *id,
		struct kernel_sa_stats *stats, struct kernel_sa *sa,
		struct kernel_err *err)
{
	char what[KERNEL_ERR_MAX - 32], obj[KERNEL_ERR_MAX - 64];
	uint32_t s = seq_base(x, 1);
	struct sa_out o;
	int r;

	kernel_sa_describe(id, 0, obj, sizeof(obj));
	snprintf(what, sizeof(what), "get %s", obj);
	r = xfrm_msg_sa_get(x->sbuf, XFRM_SBUF, s, id);
	x->seq++;
	r = request_reply(x, r, s, parse_sa_out, &o, what, err);
	explicit_bzero(x->rbuf, XFRM_RBUF); /* the reply carried the keys */
	if (!r && stats)
		*stats = o.stats;
	if (!r && sa)
		*sa = o.sa;
	kernel_sa_wipe(&o.sa);
	return r;
}

static int parse_policy_out(const struct nlmsghdr *nlh, void *out)
{
	return xfrm_msg_parse_policy(nlh, out);
}

int xfrm_policy_get(struct xfrm *x, const struct kernel_policy *key,
		    struct kernel_policy *out, struct kernel_err *err)
{
	char what[KERNEL_ERR_MAX - 32], obj[KERNEL_ERR_MAX - 64];
	uint32_t s = seq_base(x, 1);
	int r;

	kernel_policy_describe(key, obj, sizeof(obj));
	snprintf(what, sizeof(what), "get %s", obj);
	r = xfrm_msg_policy_get(x->sbuf, XFRM_SBUF, s, key);
	x->seq++;
	return request_reply(x, r, s, parse_policy_out, out, what, err);
}

/* ---- Dumps ----------------------------------------------------------- */

struct dump_ctx {
	kernel_sa_cb sa_cb;
	kernel_policy_cb policy_cb;
	void *arg;
	int error;
	char detail[KERNEL_ERR_MAX / 2];
};

static int dump_msg(const struct nlmsghdr *nlh, size_t idx, void *arg)
{
	struct dump_ctx *c = arg;
	struct kernel_policy p;
	struct kernel_sa_id id;
	struct kernel_sa_stats st;
	struct kernel_sa sa;
	uint32_t seq;
	int r;

	(void)idx;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (xfrm_msg_parse_ack(nlh, &c->error, &seq, c->detail,
				       sizeof(c->detail)))
			c->error = -EBADMSG;
		return 0;
	}
	if (c->sa_cb) {
		r = xfrm_msg_parse_sa(nlh, &id, &st, &sa);
		kernel_sa_wipe(&sa);
		return r ? 0 : c->sa_cb(&id, &st, c->arg);
	}
	r = xfrm_msg_parse_policy(nlh, &p);
	return r ? 0 : c->policy_cb(&p, c->arg);
}

static int dump(struct xfrm *x, bool sas, struct dump_ctx *c,
		struct kernel_err *err)
{
	uint32_t s = seq_base(x, 1);
	const char *what = sas ? "list SAs" : "list policies";
	int r = sas ? xfrm_msg_sa_dump(x->sbuf, XFRM_SBUF, s)
		    : xfrm_msg_policy_dump(x->sbuf, XFRM_SBUF, s);

	x->seq++;
	if (r < 0)
		return kernel_err_set(err, r, what, NULL);
	r = xfrm_transact(x, (size_t)r, s, 1, dump_msg, c);
	if (sas)
		explicit_bzero(x->rbuf, XFRM_RBUF);
	if (r < 0 || (!r && c->error))
		return kernel_err_set(err, r ? r : c->error, what, c->detail);
	return r; /* 0, or what the caller's callback returned */
}

int xfrm_sa_list(struct xfrm *x, kernel_sa_cb cb, void *arg,
		 struct kernel_err *err)
{
	struct dump_ctx c = { .sa_cb = cb, .arg = arg };
	return dump(x, true, &c, err);
}

int xfrm_policy_list(struct xfrm *x, kernel_policy_cb cb, void *arg,
		     struct kernel_err *err)
{
	struct dump_ctx c = { .policy_cb = cb, .arg = arg };
	return dump(x, false, &c, err);
}

/* ---- Start-up cleanup (kernel.h, "Ownership") --------------------------- */

struct stale {
	struct kernel_sa_id *sa;
	size_t n_sa, cap_sa;
	struct kernel_policy *pol;
	size_t n_pol, cap_pol;
};

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;

	if (n < *cap)
		return true;
	q = realloc(*p, (*cap ? *cap * 2 : 64) * size);
	if (!q)
		return false;
	*p = q;
	*cap = *cap ? *cap * 2 : 64;
	return true;
}

static int stale_sa(const struct kernel_sa_id *id,
		    const struct kernel_sa_stats *st, void *arg)
{
	struct stale *s = arg;

	/* SPI 0 is a larval SA from an ACQUIRE: it cannot be addressed by
	 * SPI and expires on its own (net.core.xfrm_acq_expires). */
	if (!kernel_reqid_is_ours(st->reqid) || !id->spi)
		return 0;
	if (!grow((void **)&s->sa, &s->cap_sa, s->n_sa, sizeof(*s->sa)))
		return -ENOMEM;
	s->sa[s->n_sa++] = *id;
	return 0;
}

static int stale_policy(const struct kernel_policy *p, void *arg)
{
	struct stale *s = arg;

	if (!kernel_policy_is_ours(p))
		return 0;
	if (!grow((void **)&s->pol, &s->cap_pol, s->n_pol, sizeof(*s->pol)))
		return -ENOMEM;
	s->pol[s->n_pol++] = *p;
	return 0;
}

/* Deletes the collected objects in one batch; ENOENT/ESRCH (someone else,
 * or the kernel, removed it meanwhile) is not an error. */
static int stale_delete(struct xfrm *x, struct stale *s, unsigned *n_sa,
			unsigned *n_policy, struct kernel_err *err)
{
	size_t n = s->n_sa + s->n_pol, k;
	struct kernel_req *q = calloc(n ? n : 1, sizeof(*q));
	int r = 0;

	if (!q)
		return kernel_err_set(err, -ENOMEM, "clean up", NULL);
	for (k = 0; k < s->n_pol; k++) {
		q[k].type = KERNEL_REQ_POLICY_DEL;
		q[k].o.policy = &s->pol[k];
	}
	for (k = 0; k < s->n_sa; k++) {
		q[s->n_pol + k].type = KERNEL_REQ_SA_DEL;
		q[s->n_pol + k].o.sa_id = &s->sa[k];
	}
	(void)xfrm_apply(x, q, n);
	for (k = 0; k < n; k++) {
		if (!q[k].err.code) {
			(*(k < s->n_pol ? n_policy : n_sa))++;
		} else if (q[k].err.code != -ENOENT &&
			   q[k].err.code != -ESRCH && !r) {
			r = q[k].err.code;
			if (err)
				*err = q[k].err;
		}
	}
	free(q);
	return r;
}

int xfrm_cleanup(struct xfrm *x, unsigned *n_sa, unsigned *n_policy,
		 struct kernel_err *err)
{
	struct stale s = { 0 };
	int r;

	*n_sa = *n_policy = 0;
	r = xfrm_policy_list(x, stale_policy, &s, err);
	if (!r)
		r = xfrm_sa_list(x, stale_sa, &s, err);
	if (r == -ENOMEM)
		kernel_err_set(err, r, "clean up", NULL);
	if (!r)
		r = stale_delete(x, &s, n_sa, n_policy, err);
	free(s.sa);
	free(s.pol);
	return r;
}

/* ---- Events ------------------------------------------------------------ */

int xfrm_event_fd(struct xfrm *x)
{
	return x->ev ? mnl_socket_get_fd(x->ev) : -1;
}

struct event_ctx {
	kernel_event_cb cb;
	void *arg;
};

static int event_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct event_ctx *c = arg;
	struct kernel_event ev;

	/* Types we do not model (AEVENTS, REPORT …) are skipped. */
	if (xfrm_msg_parse_event(nlh, &ev) == 0)
		c->cb(&ev, c->arg);
	return 0;
}

int xfrm_event_read(struct xfrm *x, kernel_event_cb cb, void *arg)
{
	struct event_ctx c = { cb, arg };

	if (!x->ev)
		return -EBADF;
	for (;;) {
		ssize_t got = mnl_socket_recvfrom(x->ev, x->ebuf, XFRM_EV_BUF);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? 0 : -errno;
		/* SA notifications carry keys. */
		if (xfrm_msg_walk(x->ebuf, (size_t)got, event_msg, &c) < 0) {
			/* a malformed datagram: what parsed was delivered */
		}
		explicit_bzero(x->ebuf, (size_t)got);
	}
}

/* ---- struct kernel_ops ------------------------------------------------- */

static struct xfrm *X(struct kernel *k)
{
	return (struct xfrm *)k;
}

static int ops_open(struct kernel **out, bool events, struct kernel_err *err)
{
	struct xfrm *x;
	int r = xfrm_open(&x, events, err);

	*out = (struct kernel *)x;
	return r;
}

static void ops_close(struct kernel *k)
{
	xfrm_close(X(k));
}

static int ops_spi_alloc(struct kernel *k, const struct kernel_sa_id *id,
			 uint32_t reqid, uint32_t seq, uint32_t min,
			 uint32_t max, uint32_t *spi, struct kernel_err *err)
{
	/* The mode of a larval SA does not matter: UPDSA sets the real one. */
	return xfrm_spi_alloc(X(k), id, KERNEL_MODE_TRANSPORT, reqid, seq, min,
			      max, spi, err);
}

static int ops_apply(struct kernel *k, struct kernel_req *reqs, size_t n)
{
	return xfrm_apply(X(k), reqs, n);
}

static int ops_sa_get(struct kernel *k, const struct kernel_sa_id *id,
		      struct kernel_sa_stats *out, struct kernel_err *err)
{
	return xfrm_sa_get(X(k), id, out, NULL, err);
}

static int ops_sa_list(struct kernel *k, kernel_sa_cb cb, void *arg,
		       struct kernel_err *err)
{
	return xfrm_sa_list(X(k), cb, arg, err);
}

static int ops_policy_list(struct kernel *k, kernel_policy_cb cb, void *arg,
			   struct kernel_err *err)
{
	return xfrm_policy_list(X(k), cb, arg, err);
}

static int ops_cleanup(struct kernel *k, unsigned *n_sa, unsigned *n_policy,
		       struct kernel_err *err)
{
	return xfrm_cleanup(X(k), n_sa, n_policy, err);
}

static int ops_event_fd(struct kernel *k)
{
	return xfrm_event_fd(X(k));
}

static int ops_event_read(struct kernel *k, kernel_event_cb cb, void *arg)
{
	return xfrm_event_read(X(k), cb, arg);
}

/* Everything xfrm_msg.c can name to the kernel. */
static void ops_caps(struct kernel *k, struct kernel_caps *out)
{
	(void)k;
	memset(out, 0, sizeof(*out));
	out->aead = out->sha256_128 = out->esn = out->marks = true;
	out->migrate = true; /* XFRM_MSG_MIGRATE (CONFIG_XFRM_MIGRATE) */
	for (uint16_t id = 1; id < 64; id++) {
		if (xfrm_alg_encr(id) && out->n_encr < KERNEL_CAPS_ALGS)
			out->encr[out->n_encr++] = id;
		if (xfrm_alg_integ(id) && out->n_integ < KERNEL_CAPS_ALGS)
			out->integ[out->n_integ++] = id;
	}
}

int xfrm_socket_bypass(int fd, int family)
{
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;
	struct xfrm_userpolicy_info pol;

	memset(&pol, 0, sizeof(pol));
	pol.action = XFRM_POLICY_ALLOW;
	pol.sel.family = (uint16_t)family;
	pol.lft.soft_byte_limit = XFRM_INF;
	pol.lft.hard_byte_limit = XFRM_INF;
	pol.lft.soft_packet_limit = XFRM_INF;
	pol.lft.hard_packet_limit = XFRM_INF;
	for (int dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		pol.dir = (uint8_t)dir;
		if (setsockopt(fd, level, opt, &pol, sizeof(pol)) < 0)
			return -errno;
	}
	return 0;
}

const struct kernel_ops kernel_xfrm_ops = {
	.name = "xfrm",
	.open = ops_open,
	.close = ops_close,
	.spi_alloc = ops_spi_alloc,
	.apply = ops_apply,
	.sa_get = ops_sa_get,
	.sa_list = ops_sa_list,
	.policy_list = ops_policy_list,
	.cleanup = ops_cleanup,
	.event_fd = ops_event_fd,
	.event_read = ops_event_read,
	.caps = ops_caps,
	.socket_bypass = xfrm_socket_bypass,
};
