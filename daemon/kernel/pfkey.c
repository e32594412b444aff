/* PF_KEY v2 backend: the sockets. Every request goes through
 * pfkey_transact(); message bytes come from pfkey_msg.c. */
#include "kernel/pfkey.h"

#include "ike_iana.h"
#include "kernel/pfkey_msg.h"

#include <errno.h>
#include <linux/pfkeyv2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define PFKEY_RBUF (64 * 1024) /* one message per read; dumps are small */

struct pfkey {
	int fd; /* requests */
	int ev; /* registered for ESP: ACQUIRE, EXPIRE, mapping; -1 without */
	uint32_t pid;
	uint32_t seq;
	bool have_algs; /* caps narrowed by the REGISTER reply */
	struct kernel_caps caps;
	uint8_t sbuf[PFKEY_MSG_BUFSIZE];
	uint8_t *rbuf;
};

/* ---- Capabilities ----------------------------------------------------- */

void pfkey_caps(const struct pfkey *k, struct kernel_caps *out)
{
	/* Linux's PF_KEY: algorithms with pfkey_supported in xfrm_algo.c,
	 * the sadb_sa_replay byte capped at 32 by af_key.c, no extension for
	 * ESN, marks or interface IDs. */
	static const struct kernel_caps all = {
		.replay_max = 32,
		.n_encr = 4,
		.encr = { ENCR_AES_CBC, ENCR_AES_CTR, ENCR_3DES, ENCR_NULL },
		.n_integ = 6,
		.integ = { AUTH_HMAC_SHA1_96, AUTH_HMAC_SHA2_256_128,
			   AUTH_HMAC_SHA2_384_192, AUTH_HMAC_SHA2_512_256,
			   AUTH_HMAC_MD5_96, AUTH_AES_XCBC_96 },
	};

	*out = k && k->have_algs ? k->caps : all;
}

/* ---- Opening ----------------------------------------------------------- */

static int pfkey_socket(int flags)
{
	int fd = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC | flags, PF_KEY_V2);
	int size = 4 << 20;

	if (fd < 0)
		return -errno;
	/* Every SA and policy change is copied to every PF_KEY socket: a
	 * big buffer keeps our own answers from being dropped behind them
	 * (forced when we have CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	return fd;
}

static int pfkey_register(struct pfkey *k);

int pfkey_open(struct pfkey **out, bool events, struct kernel_err *err)
{
	struct pfkey *k = calloc(1, sizeof(*k));
	struct timeval tv = { .tv_sec = 10 };
	const char *what = "open PF_KEY socket";
	int r = -ENOMEM;

	*out = NULL;
	if (!k)
		goto fail;
	k->fd = k->ev = -1;
	k->pid = (uint32_t)getpid();
	k->seq = 1;
	k->rbuf = malloc(PFKEY_RBUF);
	if (!k->rbuf)
		goto fail;
	r = k->fd = pfkey_socket(0);
	if (r < 0)
		goto fail;
	/* The kernel always answers; a timeout turns a bug into an error. */
	if (setsockopt(k->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		goto fail;
	}
	if (events) {
		r = k->ev = pfkey_socket(SOCK_NONBLOCK);
		what = "open PF_KEY event socket";
		if (r >= 0) {
			what = "register with PF_KEY for ESP";
			r = pfkey_register(k);
		}
		if (r < 0)
			goto fail;
	}
	*out = k;
	return 0;
fail:
	pfkey_close(k);
	return kernel_err_set(err, r, what,
			      r == -EAFNOSUPPORT
				      ? "this kernel has no AF_KEY (af_key "
					"module missing or not loadable); use "
					"--kernel xfrm"
				      : NULL);
}

void pfkey_close(struct pfkey *k)
{
	if (!k)
		return;
	if (k->fd >= 0)
		close(k->fd);
	if (k->ev >= 0)
		close(k->ev);
	explicit_bzero(k->sbuf, sizeof(k->sbuf)); /* keys */
	if (k->rbuf)
		explicit_bzero(k->rbuf, PFKEY_RBUF);
	free(k->rbuf);
	free(k);
}

/* ---- The one function that talks to the request socket ---------------- */

/* Called for every message that answers the request; returns 0 to go on
 * reading (a dump), 1 when the answer is complete, or a -errno. */
typedef int (*pfkey_reply_cb)(const uint8_t *msg, size_t len,
			      const struct pfkey_hdr *h, void *arg);

/* Discards what waits on the request socket: copies of other programs'
 * changes (and our own, already answered) must not fill its buffer. */
static void pfkey_drain(struct pfkey *k)
{
	for (int i = 0; i < 4096; i++) {
		ssize_t n = recv(k->fd, k->rbuf, PFKEY_RBUF, MSG_DONTWAIT);

		if (n <= 0)
			break;
		explicit_bzero(k->rbuf, (size_t)n);
	}
}

static uint32_t pfkey_next_seq(struct pfkey *k)
{
	if (++k->seq == 0)
		k->seq = 1;
	return k->seq;
}

/* Sends the `len` bytes in k->sbuf (a request of `type` numbered `seq`)
 * and reads until `cb` says the answer is complete. An answer is a message
 * with our pid and the request's type; its seq is the request's, except
 * in dumps, which count from 1 and end with seq 0. A refusal is the
 * request's header with sadb_msg_errno set. Returns 0 or -errno. */
static int pfkey_transact(struct pfkey *k, size_t len, uint8_t type,
			  uint32_t seq, bool dump, pfkey_reply_cb cb, void *arg)
{
	int r = 0;

	pfkey_drain(k);
	if (send(k->fd, k->sbuf, len, 0) < 0)
		r = -errno;
	explicit_bzero(k->sbuf, len);
	while (!r) {
		struct pfkey_hdr h;
		ssize_t n = recv(k->fd, k->rbuf, PFKEY_RBUF, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (pfkey_msg_parse_hdr(k->rbuf, (size_t)n, &h) ||
		    h.pid != k->pid || h.type != type ||
		    (!dump && h.seq != seq)) {
			explicit_bzero(k->rbuf, (size_t)n);
			continue; /* someone else's, or a stale answer */
		}
		if (h.errno_ && h.seq == seq)
			r = -(int)h.errno_;
		else if (!h.errno_)
			r = cb(k->rbuf, (size_t)n, &h, arg);
		explicit_bzero(k->rbuf, (size_t)n);
		if (r == 1 || (dump && r == 0 && h.seq == 0))
			return 0;
	}
	return r;
}

static int reply_done(const uint8_t *msg, size_t len, const struct pfkey_hdr *h,
		      void *arg)
{
	(void)msg;
	(void)len;
	(void)h;
	(void)arg;
	return 1;
}

/* Why the kernel said no, in PF_KEY's terms (af_key.c). */
static const char *pfkey_hint(uint8_t type, int code)
{
	switch (code) {
	case -ENOSYS:
		return "the kernel has no such algorithm for PF_KEY, or its "
		       "crypto module is not loaded";
	case -EEXIST: return "it exists already";
	case -ESRCH: return "no such SA";
	case -ENOENT:
		return type == SADB_GETSPI ? "no larval SA to allocate from"
					   : "no such policy";
	case -EPERM: return "PF_KEY needs CAP_NET_ADMIN";
	case -ETIMEDOUT: return "no answer from the kernel within 10 s";
	}
	return NULL;
}

/* ---- Requests ---------------------------------------------------------- */

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
	};
	char obj[KERNEL_ERR_MAX - 32];
	const char *v = q->type <= KERNEL_REQ_MIGRATE && verb[q->type]
				? verb[q->type]
				: "request";

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
	default: snprintf(obj, sizeof(obj), "of unknown type %u", q->type);
	}
	snprintf(buf, len, "%s %s", v, obj);
}

/* Builds request `q` into k->sbuf; returns its length or a -errno, and
 * the PF_KEY message type in *type. */
static int req_build(struct pfkey *k, const struct kernel_req *q, uint32_t seq,
		     uint8_t *type)
{
	const struct kernel_policy *p = q->o.policy;

	switch (q->type) {
	case KERNEL_REQ_SA_ADD:
	case KERNEL_REQ_SA_UPDATE:
		*type = q->type == KERNEL_REQ_SA_UPDATE ? SADB_UPDATE
							: SADB_ADD;
		return pfkey_msg_sa_add(k->sbuf, sizeof(k->sbuf), seq, k->pid,
					q->o.sa,
					q->type == KERNEL_REQ_SA_UPDATE);
	case KERNEL_REQ_SA_DEL:
		*type = SADB_DELETE;
		return pfkey_msg_sa_del(k->sbuf, sizeof(k->sbuf), seq, k->pid,
					q->o.sa_id);
	case KERNEL_REQ_POLICY_ADD:
	case KERNEL_REQ_POLICY_UPDATE:
		*type = q->type == KERNEL_REQ_POLICY_UPDATE ? SADB_X_SPDUPDATE
							    : SADB_X_SPDADD;
		return pfkey_msg_policy_add(
			k->sbuf, sizeof(k->sbuf), seq, k->pid, p,
			q->type == KERNEL_REQ_POLICY_UPDATE);
	case KERNEL_REQ_POLICY_DEL:
		*type = p->index ? SADB_X_SPDDELETE2 : SADB_X_SPDDELETE;
		return pfkey_msg_policy_del(k->sbuf, sizeof(k->sbuf), seq,
					    k->pid, p);
	case KERNEL_REQ_MIGRATE:
		/* SADB_X_MIGRATE exists (KAME), but keybridge moves SAs
		 * only through XFRM (kernel_caps.migrate is false here) */
		return -EOPNOTSUPP;
	}
	return -EINVAL;
}

/* A request the builder refused: say why, in the object's terms. */
static void req_refused(struct kernel_req *q, int code)
{
	char what[KERNEL_ERR_MAX / 2], why[KERNEL_ERR_MAX / 2] = "";

	req_what(q, what, sizeof(what));
	if ((q->type == KERNEL_REQ_SA_ADD || q->type == KERNEL_REQ_SA_UPDATE) &&
	    pfkey_msg_sa_check(q->o.sa, why, sizeof(why)) == 0)
		why[0] = 0;
	if (!why[0] && code == -EINVAL)
		snprintf(why, sizeof(why),
			 "not expressible in PF_KEY (marks, interface IDs, "
			 "mixed families?)");
	if (!why[0] && code == -ENOSPC)
		snprintf(why, sizeof(why), "message too large");
	if (!why[0] && code == -EOPNOTSUPP)
		snprintf(why, sizeof(why),
			 "MOBIKE address updates need --kernel xfrm");
	if (snprintf(q->err.msg, sizeof(q->err.msg), "%s: %s (%s)", what,
		     strerror(-code), why) < 0)
		q->err.msg[0] = 0;
	q->err.code = code;
}

static void pfkey_one(struct pfkey *k, struct kernel_req *q)
{
	uint32_t seq = pfkey_next_seq(k);
	uint8_t type = 0;
	char what[KERNEL_ERR_MAX];
	int r;

	q->err.code = 0;
	q->err.msg[0] = 0;
	if (!q->o.sa) { /* any member of the union: all are pointers */
		kernel_err_set(&q->err, -EFAULT, "request without object",
			       NULL);
		return;
	}
	if (q->type == KERNEL_REQ_SPI_ALLOC) {
		struct kernel_spi_req *s = q->o.spi;

		/* the larval SA's mode is replaced by SADB_UPDATE's */
		(void)pfkey_spi_alloc(k, &s->id, KERNEL_MODE_TRANSPORT,
				      s->reqid, s->seq, s->min, s->max, &s->got,
				      &q->err);
		return;
	}
	r = req_build(k, q, seq, &type);
	if (r < 0) {
		req_refused(q, r);
		return;
	}
	r = pfkey_transact(k, (size_t)r, type, seq, false, reply_done, NULL);
	if (r) {
		req_what(q, what, sizeof(what));
		kernel_err_set(&q->err, r, what, pfkey_hint(type, r));
	}
}

int pfkey_apply(struct pfkey *k, struct kernel_req *reqs, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		pfkey_one(k, &reqs[i]);
		if (!r)
			r = reqs[i].err.code;
	}
	return r;
}

/* ---- Single requests with a reply ------------------------------------- */

struct sa_out {
	struct kernel_sa_id id;
	struct kernel_sa_stats stats;
	struct kernel_sa sa;
};

static int reply_sa(const uint8_t *msg, size_t len, const struct pfkey_hdr *h,
		    void *arg)
{
	struct sa_out *o = arg;

	(void)h;
	return pfkey_msg_parse_sa(msg, len, &o->id, &o->stats, &o->sa)
		       ? -EBADMSG
		       : 1;
}

int pfkey_spi_alloc(struct pfkey *k, const struct kernel_sa_id *id,
		    uint8_t mode, uint32_t reqid, uint32_t seq, uint32_t min,
		    uint32_t max, uint32_t *spi, struct kernel_err *err)
{
	char what[KERNEL_ERR_MAX - 32], obj[KERNEL_ERR_MAX - 64];
	/* Linux looks up the larval SA of an ACQUIRE by the message's seq */
	uint32_t s = seq ? seq : pfkey_next_seq(k);
	struct sa_out o;
	int r;

	kernel_sa_describe(id, reqid, obj, sizeof(obj));
	snprintf(what, sizeof(what), "allocate SPI 0x%x-0x%x for %s", min, max,
		 obj);
	r = pfkey_msg_spi_alloc(k->sbuf, sizeof(k->sbuf), s, k->pid, id, mode,
				reqid, min, max);
	if (r < 0)
		return kernel_err_set(err, r, what,
				      "not expressible in PF_KEY");
	r = pfkey_transact(k, (size_t)r, SADB_GETSPI, s, false, reply_sa, &o);
	if (r)
		return kernel_err_set(err, r, what, pfkey_hint(SADB_GETSPI, r));
	*spi = o.id.spi;
	return 0;
}

int pfkey_sa_get(struct pfkey *k, const struct kernel_sa_id *id,
		 struct kernel_sa_stats *stats, struct kernel_sa *sa,
		 struct kernel_err *err)
{
	char what[KERNEL_ERR_MAX - 32], obj[KERNEL_ERR_MAX - 64];
	uint32_t s = pfkey_next_seq(k);
	struct sa_out o;
	int r;

	kernel_sa_describe(id, 0, obj, sizeof(obj));
	snprintf(what, sizeof(what), "get %s", obj);
	r = pfkey_msg_sa_get(k->sbuf, sizeof(k->sbuf), s, k->pid, id);
	if (r < 0)
		return kernel_err_set(err, r, what,
				      "not expressible in PF_KEY");
	r = pfkey_transact(k, (size_t)r, SADB_GET, s, false, reply_sa, &o);
	if (r)
		return kernel_err_set(err, r, what, pfkey_hint(SADB_GET, r));
	if (stats)
		*stats = o.stats;
	if (sa)
		*sa = o.sa;
	return 0;
}

static int reply_policy(const uint8_t *msg, size_t len,
			const struct pfkey_hdr *h, void *arg)
{
	(void)h;
	return pfkey_msg_parse_policy(msg, len, arg) ? -EBADMSG : 1;
}

int pfkey_policy_get(struct pfkey *k, uint32_t index, struct kernel_policy *out,
		     struct kernel_err *err)
{
	char what[64];
	uint32_t s = pfkey_next_seq(k);
	int r;

	snprintf(what, sizeof(what), "get policy index 0x%08x", index);
	r = pfkey_msg_policy_get(k->sbuf, sizeof(k->sbuf), s, k->pid, index);
	if (r < 0)
		return kernel_err_set(err, r, what, NULL);
	r = pfkey_transact(k, (size_t)r, SADB_X_SPDGET, s, false, reply_policy,
			   out);
	return r ? kernel_err_set(err, r, what, pfkey_hint(SADB_X_SPDGET, r))
		 : 0;
}

/* ---- Dumps ------------------------------------------------------------ */

struct dump_ctx {
	kernel_sa_cb sa_cb;
	kernel_policy_cb policy_cb;
	void *arg;
	int cb_ret; /* the caller's callback stopped the walk */
};

/* Every entry is read to the end of the dump, also after the callback
 * said stop: the kernel would otherwise keep sending it. */
static int reply_dump(const uint8_t *msg, size_t len, const struct pfkey_hdr *h,
		      void *arg)
{
	struct dump_ctx *c = arg;
	struct kernel_sa_id id;
	struct kernel_sa_stats st;
	struct kernel_policy p;

	(void)h;
	if (c->cb_ret)
		return 0;
	if (c->sa_cb && pfkey_msg_parse_sa(msg, len, &id, &st, NULL) == 0)
		c->cb_ret = c->sa_cb(&id, &st, c->arg);
	else if (c->policy_cb && pfkey_msg_parse_policy(msg, len, &p) == 0)
		c->cb_ret = c->policy_cb(&p, c->arg);
	return 0;
}

static int dump(struct pfkey *k, bool sas, struct dump_ctx *c,
		struct kernel_err *err)
{
	uint32_t s = pfkey_next_seq(k);
	const char *what = sas ? "list SAs" : "list policies";
	uint8_t type = sas ? SADB_DUMP : SADB_X_SPDDUMP;
	int r = sas ? pfkey_msg_sa_dump(k->sbuf, sizeof(k->sbuf), s, k->pid)
		    : pfkey_msg_policy_dump(k->sbuf, sizeof(k->sbuf), s,
					    k->pid);

	if (r < 0)
		return kernel_err_set(err, r, what, NULL);
	r = pfkey_transact(k, (size_t)r, type, s, true, reply_dump, c);
	if (r == -ENOENT) /* af_key.c answers an empty table so */
		r = 0;
	if (r < 0)
		return kernel_err_set(err, r, what, pfkey_hint(type, r));
	return c->cb_ret;
}

int pfkey_sa_list(struct pfkey *k, kernel_sa_cb cb, void *arg,
		  struct kernel_err *err)
{
	struct dump_ctx c = { .sa_cb = cb, .arg = arg };
	return dump(k, true, &c, err);
}

int pfkey_policy_list(struct pfkey *k, kernel_policy_cb cb, void *arg,
		      struct kernel_err *err)
{
	struct dump_ctx c = { .policy_cb = cb, .arg = arg };
	return dump(k, false, &c, err);
}

/* ---- Start-up cleanup (kernel.h, "Ownership") ------------------------ */

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

	/* SPI 0: a larval SA of an ACQUIRE, which expires on its own */
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
	s->pol[s->n_pol++] = *p; /* deleted by index (X_SPDDELETE2) */
	return 0;
}

int pfkey_cleanup(struct pfkey *k, unsigned *n_sa, unsigned *n_policy,
		  struct kernel_err *err)
{
	struct stale s = { 0 };
	struct kernel_req q = { 0 };
	int r;

	*n_sa = *n_policy = 0;
	r = pfkey_policy_list(k, stale_policy, &s, err);
	if (!r)
		r = pfkey_sa_list(k, stale_sa, &s, err);
	if (r == -ENOMEM)
		kernel_err_set(err, r, "clean up", NULL);
	for (size_t i = 0; !r && i < s.n_pol + s.n_sa; i++) {
		bool pol = i < s.n_pol;

		q.type = pol ? KERNEL_REQ_POLICY_DEL : KERNEL_REQ_SA_DEL;
		if (pol)
			q.o.policy = &s.pol[i];
		else
			q.o.sa_id = &s.sa[i - s.n_pol];
		pfkey_one(k, &q);
		if (!q.err.code) {
			(*(pol ? n_policy : n_sa))++;
		} else if (q.err.code != -ENOENT && q.err.code != -ESRCH) {
			r = q.err.code; /* gone meanwhile is fine */
			if (err)
				*err = q.err;
		}
	}
	free(s.sa);
	free(s.pol);
	return r;
}

/* ---- Events ----------------------------------------------------------- */

/* SADB_REGISTER on the event socket; its answer lists the algorithms. The
 * socket is not yet polled by anyone, so reading it here is safe. */
static int pfkey_register(struct pfkey *k)
{
	uint32_t seq = pfkey_next_seq(k);
	int n = pfkey_msg_register(k->sbuf, sizeof(k->sbuf), seq, k->pid);
	struct kernel_caps caps;

	if (n < 0)
		return n;
	if (send(k->ev, k->sbuf, (size_t)n, 0) < 0)
		return -errno;
	pfkey_caps(NULL, &caps);
	for (int tries = 0; tries < 1000; tries++) {
		struct pfkey_hdr h;
		struct timeval tv = { .tv_sec = 10 };
		fd_set fds;
		ssize_t got;

		FD_ZERO(&fds);
		FD_SET(k->ev, &fds);
		if (select(k->ev + 1, &fds, NULL, NULL, &tv) <= 0)
			return -ETIMEDOUT;
		got = recv(k->ev, k->rbuf, PFKEY_RBUF, MSG_DONTWAIT);
		if (got < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (pfkey_msg_parse_hdr(k->rbuf, (size_t)got, &h) ||
		    h.type != SADB_REGISTER || h.pid != k->pid || h.seq != seq)
			continue;
		if (h.errno_)
			return -(int)h.errno_;
		k->caps = caps;
		if (pfkey_msg_parse_supported(k->rbuf, (size_t)got, &k->caps) ==
		    0)
			k->have_algs = true;
		/* keep only what we install and the kernel has */
		return 0;
	}
	return -ETIMEDOUT;
}

int pfkey_event_fd(struct pfkey *k)
{
	return k->ev;
}

/* An ACQUIRE names its policy only by index: fetch its template (the
 * reqid the engine needs) and selector. */
static int pfkey_complete_acquire(struct pfkey *k, struct kernel_acquire *a)
{
	struct kernel_policy p;

	if (pfkey_policy_get(k, a->policy_index, &p, NULL) || !p.n_tmpl)
		return -ENOENT;
	a->sel = p.sel;
	a->packet = p.sel; /* PF_KEY does not say which packet it was */
	a->tmpl.reqid = p.tmpl[0].reqid;
	a->tmpl.mode = p.tmpl[0].mode;
	return 0;
}

int pfkey_event_read(struct pfkey *k, kernel_event_cb cb, void *arg)
{
	uint8_t msg[PFKEY_MSG_BUFSIZE];

	if (k->ev < 0)
		return -EBADF;
	for (;;) {
		struct kernel_event ev;
		ssize_t got = recv(k->ev, msg, sizeof(msg), MSG_DONTWAIT);
		int r;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? 0 : -errno;
		/* Copies of every SA change carry keys: parse, then wipe. */
		r = pfkey_msg_parse_event(msg, (size_t)got, &ev);
		explicit_bzero(msg, (size_t)got);
		if (r)
			continue; /* not an event, or malformed: skipped */
		if (ev.type == KERNEL_EV_EXPIRE &&
		    !kernel_reqid_is_ours(ev.u.expire.stats.reqid))
			continue; /* another program's SA */
		if (ev.type == KERNEL_EV_ACQUIRE &&
		    pfkey_complete_acquire(k, &ev.u.acquire))
			continue; /* its policy went meanwhile */
		cb(&ev, arg);
	}
}

/* ---- Socket bypass ----------------------------------------------------- */

int pfkey_socket_bypass(int fd, int family)
{
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_IPSEC_POLICY : IPV6_IPSEC_POLICY;
	int probe = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
	uint8_t pol[16];

	/* af_key compiles IP_IPSEC_POLICY, and the daemon opens its IKE
	 * sockets before the backend: opening a PF_KEY socket loads it.
	 * Without AF_KEY there is nothing to compile the policy with, and
	 * pfkey_open() stops the daemon right after, saying why. */
	if (probe < 0)
		return errno == EAFNOSUPPORT ? 0 : -errno;
	close(probe);
	for (uint8_t dir = KERNEL_DIR_IN; dir <= KERNEL_DIR_OUT; dir++) {
		int n = pfkey_msg_socket_bypass(pol, sizeof(pol), dir);

		if (n < 0)
			return n;
		if (setsockopt(fd, level, opt, pol, (socklen_t)n) < 0)
			return -errno;
	}
	return 0;
}

/* ---- struct kernel_ops ------------------------------------------------- */

static struct pfkey *K(struct kernel *k)
{
	return (struct pfkey *)k;
}

static int ops_open(struct kernel **out, bool events, struct kernel_err *err)
{
	struct pfkey *k;
	int r = pfkey_open(&k, events, err);

	*out = (struct kernel *)k;
	return r;
}

static void ops_close(struct kernel *k)
{
	pfkey_close(K(k));
}

static int ops_spi_alloc(struct kernel *k, const struct kernel_sa_id *id,
			 uint32_t reqid, uint32_t seq, uint32_t min,
			 uint32_t max, uint32_t *spi, struct kernel_err *err)
{
	/* The larval SA's mode is replaced by SADB_UPDATE's. */
	return pfkey_spi_alloc(K(k), id, KERNEL_MODE_TRANSPORT, reqid, seq, min,
			       max, spi, err);
}

static int ops_apply(struct kernel *k, struct kernel_req *reqs, size_t n)
{
	return pfkey_apply(K(k), reqs, n);
}

static int ops_sa_get(struct kernel *k, const struct kernel_sa_id *id,
		      struct kernel_sa_stats *out, struct kernel_err *err)
{
	return pfkey_sa_get(K(k), id, out, NULL, err);
}

static int ops_sa_list(struct kernel *k, kernel_sa_cb cb, void *arg,
		       struct kernel_err *err)
{
	return pfkey_sa_list(K(k), cb, arg, err);
}

static int ops_policy_list(struct kernel *k, kernel_policy_cb cb, void *arg,
			   struct kernel_err *err)
{
	return pfkey_policy_list(K(k), cb, arg, err);
}

static int ops_cleanup(struct kernel *k, unsigned *n_sa, unsigned *n_policy,
		       struct kernel_err *err)
{
	return pfkey_cleanup(K(k), n_sa, n_policy, err);
}

static int ops_event_fd(struct kernel *k)
{
	return pfkey_event_fd(K(k));
}

static int ops_event_read(struct kernel *k, kernel_event_cb cb, void *arg)
{
	return pfkey_event_read(K(k), cb, arg);
}

static void ops_caps(struct kernel *k, struct kernel_caps *out)
{
	pfkey_caps(K(k), out);
}

const struct kernel_ops kernel_pfkey_ops = {
	.name = "pfkey",
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
	.socket_bypass = pfkey_socket_bypass,
};
