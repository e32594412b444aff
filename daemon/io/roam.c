/* MOBIKE's address watch; see roam.h. */
#include "io/roam.h"

#include "engine/engine.h"
#include "engine/engine_err.h"
#include "engine/engine_kernel.h"
#include "io/daemon_int.h"
#include "io/log.h"
#include "io/loop.h"
#include "io/usage.h"
#include "io/vip.h"
#include "io/worker.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct roam {
	struct daemon *d;
	struct mnl_socket *ev;	/* notifications */
	struct mnl_socket *req; /* RTM_GETROUTE */
	int timer;		/* debounce timerfd */
	bool armed;
	uint32_t seq;
	unsigned changes; /* notifications since the last check */
	unsigned retries; /* checks again after a refused move */
};

/* ---- sockets --------------------------------------------------------------- */

static int roam_open_events(struct roam *r)
{
	unsigned groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
			  RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;

	r->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!r->ev || mnl_socket_bind(r->ev, groups, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	return 0;
}

static int roam_open_requests(struct roam *r)
{
	struct timeval tv = { .tv_sec = 1 };

	r->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->req || mnl_socket_bind(r->req, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	if (setsockopt(mnl_socket_get_fd(r->req), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0)
		return -errno;
	return 0;
}

int roam_route_get(struct roam *r, const struct kernel_addr *dst,
		   struct roam_route *out)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = ++r->seq, portid = mnl_socket_get_portid(r->req);
	int len = roam_msg_route_get(buf, sizeof(buf), seq, dst);

	if (len < 0)
		return len;
	if (mnl_socket_sendto(r->req, buf, (size_t)len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(r->req, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const void *)buf;
		int left = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
				continue; /* an answer to an earlier call */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;
				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(e))
					return -EBADMSG;
				memcpy(&e, mnl_nlmsg_get_payload(nlh),
				       sizeof(e));
				return e.error < 0 ? e.error : -EBADMSG;
			}
			return roam_msg_parse_route(nlh, out);
		}
	}
}

/* ---- the IKE SAs ----------------------------------------------------------- */

static void roam_to_kernel(const struct engine_addr *a, struct kernel_addr *k)
{
	memset(k, 0, sizeof(*k));
	k->family = a->family;
	memcpy(k->a.raw, a->ip, kernel_addr_len(a->family));
}

int roam_source(struct roam *r, const struct engine_addr *remote,
		struct engine_addr *local)
{
	struct kernel_addr peer;
	struct roam_route rt;
	int e;

	if (!r)
		return -ENOTCONN;
	roam_to_kernel(remote, &peer);
	if ((e = roam_route_get(r, &peer, &rt)))
		return e;
	if (!rt.src.family)
		return -EADDRNOTAVAIL;
	memset(local, 0, sizeof(*local));
	local->family = (uint8_t)rt.src.family;
	memcpy(local->ip, rt.src.a.raw, kernel_addr_len(rt.src.family));
	return 0;
}

/* One IKE SA: moves it when the kernel now reaches its peer from another
 * of our addresses. Returns -1 when the engine refused the move (it may be
 * busy with another exchange: worth another look), else 0. */
static int roam_check_one(struct roam *r, uint64_t now,
			  const struct engine_ike_info *info)
{
	struct daemon *d = r->d;
	struct kernel_addr peer, local;
	struct engine_addr to;
	struct roam_route rt;
	char name[64], a[46], b[46], p[46];
	int e;

	snprintf(name, sizeof(name), "%s[%u]", info->conn, info->ike_id);
	roam_to_kernel(&info->remote, &peer);
	roam_to_kernel(&info->local, &local);
	kernel_addr_str(&peer, p, sizeof(p));
	e = roam_route_get(r, &peer, &rt);
	if (e == 0 && !rt.src.family)
		e = -EADDRNOTAVAIL;
	if (e) {
		log_msg(LOG_LVL_NOTICE, name,
			"MOBIKE: no route to the peer %s (%s); keeping "
			"%s until the next address change",
			p, strerror(-e), kernel_addr_str(&local, a, sizeof(a)));
		return 0;
	}
	if (rt.src.family == local.family &&
	    memcmp(rt.src.a.raw, local.a.raw, sizeof(local.a.raw)) == 0)
		return 0; /* still the best address */
	to = (struct engine_addr){ .family = (uint8_t)rt.src.family,
				   .port = d->opts->natt_port };
	memcpy(to.ip, rt.src.a.raw, kernel_addr_len(rt.src.family));
	kernel_addr_str(&local, a, sizeof(a));
	kernel_addr_str(&rt.src, b, sizeof(b));
	e = engine_ike_move(workers_engine_of(d, info->ike_id), now,
			    info->ike_id, &to);
	if (e) {
		log_msg(LOG_LVL_WARNING, name,
			"MOBIKE: the peer %s is now reached from %s, not %s, "
			"but the IKE SA cannot move now (%s); trying again "
			"in %d ms",
			p, b, a, e == -ENOENT ? "gone" : engine_err_name(e),
			ROAM_RETRY_MS);
		return -1;
	}
	log_msg(LOG_LVL_NOTICE, name,
		"MOBIKE: the peer %s is now reached from %s instead of %s; "
		"sending UPDATE_SA_ADDRESSES",
		p, b, a);
	return 0;
}

int roam_check(struct roam *r, uint64_t now)
{
	struct daemon *d = r->d;
	size_t n = workers_ike_list(d, NULL, 0), looked = 0;
	int refused = 0;
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));

	if (!ids) {
		log_msg(LOG_LVL_ERR, NULL,
			"MOBIKE: out of memory; address change not acted on");
		return 1;
	}
	n = workers_ike_list(d, ids, n);
	for (size_t i = 0; i < n; i++) {
		struct engine_ike_info info;

		if (engine_ike_info(workers_engine_of(d, ids[i]), ids[i],
				    &info) != 0 ||
		    !info.initiator || !info.mobike ||
		    info.state != ENGINE_IKE_ESTABLISHED)
			continue;
		refused -= roam_check_one(r, now, &info);
		looked++;
	}
	free(ids);
	if (looked)
		daemon_run_actions(d, now);
	return refused;
}

/* ---- notifications and the debounce timer ---------------------------------- */

/* Arms the timer `ms` from now unless it is armed already. */
static void roam_arm(struct roam *r, long ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000,
			      .tv_nsec = ms % 1000 * 1000000L },
	};

	if (r->armed)
		return;
	if (timerfd_settime(r->timer, 0, &its, NULL) == 0)
		r->armed = true;
}

static void roam_on_timer(void *ctx, int fd, uint32_t events)
{
	struct roam *r = ctx;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	r->armed = false;
	log_msg(LOG_LVL_DEBUG, NULL,
		"%u address or route changes: checking MOBIKE IKE SAs",
		r->changes);
	r->changes = 0;
	if (roam_check(r, loop_now_ms()) > 0 && r->retries < ROAM_RETRIES) {
		r->retries++;
		roam_arm(r, ROAM_RETRY_MS);
	} else {
		r->retries = 0;
	}
}

static void roam_on_event(void *ctx, int fd, uint32_t events)
{
	struct roam *r = ctx;
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];

	(void)fd;
	(void)events;
	for (int budget = 0; budget < 64; budget++) {
		ssize_t n = mnl_socket_recvfrom(r->ev, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const void *)buf;
		int left = (int)n;

		if (n < 0 && errno == ENOBUFS) { /* lost some: look anyway */
			r->changes++;
			roam_arm(r, ROAM_DEBOUNCE_MS);
			continue;
		}
		if (n < 0)
			return;
		for (; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			struct roam_event ev;

			if (roam_msg_parse_event(nlh, &ev) == 0) {
				r->changes++;
				roam_arm(r, ROAM_DEBOUNCE_MS);
			}
		}
	}
}

int roam_open(struct daemon *d, struct roam **out)
{
	struct roam *r = calloc(1, sizeof(*r));
	int e = -ENOMEM;

	*out = NULL;
	if (!r)
		goto fail;
	r->d = d;
	r->timer = -1;
	if ((e = roam_open_events(r)) < 0 || (e = roam_open_requests(r)) < 0)
		goto fail;
	r->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (r->timer < 0) {
		e = -errno;
		goto fail;
	}
	if ((e = loop_add_fd(d->loop, mnl_socket_get_fd(r->ev), EPOLLIN,
			     roam_on_event, r)) < 0 ||
	    (e = loop_add_fd(d->loop, r->timer, EPOLLIN, roam_on_timer, r)) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	log_msg(LOG_LVL_ERR, NULL,
		"cannot watch address changes for MOBIKE (rtnetlink): %s",
		strerror(-e));
	roam_close(r);
	return e;
}

void roam_close(struct roam *r)
{
	if (!r)
		return;
	if (r->ev) {
		(void)loop_del_fd(r->d->loop, mnl_socket_get_fd(r->ev));
		mnl_socket_close(r->ev);
	}
	if (r->req)
		mnl_socket_close(r->req);
	if (r->timer >= 0) {
		(void)loop_del_fd(r->d->loop, r->timer);
		close(r->timer);
	}
	free(r);
}

/* ---- ENGINE_ACT_SA_MIGRATE ------------------------------------------------- */

/* "conn[ike#]" for log lines. */
static void roam_sa_name(struct daemon *d, uint32_t ike_id, char *buf,
			 size_t cap)
{
	struct engine_ike_info info;

	if (engine_ike_info(workers_engine_of(d, ike_id), ike_id, &info) == 0)
		snprintf(buf, cap, "%s[%u]", info.conn, ike_id);
	else
		snprintf(buf, cap, "[%u]", ike_id);
}

void roam_migrate(struct daemon *d, const struct engine_action *a)
{
	enum { MAX = 64 };
	const struct engine_migrate *m = &a->u.migrate;
	struct kernel_policy *p = calloc(MAX, sizeof(*p));
	struct kernel_migrate *km = calloc(MAX, sizeof(*km));
	struct kernel_req *reqs = calloc(MAX, sizeof(*reqs));
	uint32_t seq = 0; /* indexes are not used by MIGRATE */
	char name[64], what[KERNEL_ERR_MAX];
	int n = p && km && reqs
			? engine_policy_to_kernel(&m->policy, &seq, p, MAX)
			: -ENOMEM;

	roam_sa_name(d, a->ike_id, name, sizeof(name));
	if (n < 0) {
		log_msg(LOG_LVL_ERR, name,
			"MOBIKE: policy of reqid %u not moved: %s",
			m->policy.reqid, strerror(-n));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct kernel_migrate *k = &km[i];

		k->sel = p[i].sel;
		k->dir = p[i].dir;
		k->if_id = p[i].if_id;
		k->old_src = p[i].tmpl[0].src;
		k->old_dst = p[i].tmpl[0].dst;
		k->proto = p[i].tmpl[0].proto;
		k->mode = p[i].tmpl[0].mode;
		k->reqid = p[i].tmpl[0].reqid;
		roam_to_kernel(&m->new_src, &k->new_src);
		roam_to_kernel(&m->new_dst, &k->new_dst);
		if (m->encap)
			k->encap = (struct kernel_encap){
				.type = KERNEL_ENCAP_ESPINUDP,
				.sport = m->new_src.port,
				.dport = m->new_dst.port,
			};
		reqs[i].type = KERNEL_REQ_MIGRATE;
		reqs[i].o.migrate = k;
	}
	if (n)
		(void)d->kops->apply(d->kernel, reqs, (size_t)n);
	for (int i = 0; i < n; i++) {
		if (reqs[i].err.code) {
			log_msg(LOG_LVL_ERR, name, "MOBIKE: kernel: %s",
				reqs[i].err.msg);
			continue;
		}
		usage_sa_moved(d->usage, &km[i].old_src, &km[i].old_dst,
			       &km[i].new_src, &km[i].new_dst);
		kernel_migrate_describe(&km[i], what, sizeof(what));
		log_msg(LOG_LVL_INFO, name, "MOBIKE: moved %s and its SA",
			what);
	}
	vip_migrate(name, a); /* a virtual address's routes: the new path */
out:
	free(p);
	free(km);
	free(reqs);
}
