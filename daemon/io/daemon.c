/* keybridged's run time; see daemon.h. */
#include "io/daemon.h"
#include "io/daemon_int.h"

#include "config/config.h"
#include "control/ctl.h"
#include "crypto/crypto.h"
#include "crypto/keylog.h"
#include "engine/dos_share.h"
#include "engine/engine.h"
#include "engine/engine_err.h"
#include "engine/engine_kernel.h"
#include "engine/pool.h"
#include "ike_iana.h"
#include "io/conns.h"
#include "io/kbatch.h"
#include "io/limits.h"
#include "io/lock.h"
#include "io/log.h"
#include "io/loop.h"
#include "io/names.h"
#include "io/notify.h"
#include "io/polshare.h"
#include "io/privs.h"
#include "io/probes.h"
#include "io/resync.h"
#include "io/roam.h"
#include "io/udp.h"
#include "io/updown.h"
#include "io/usage.h"
#include "io/vip.h"
#include "io/worker.h"
#include "kernel/kernel.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* ---- environment for the engine ----------------------------------------- */

static int daemon_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return crypto_getrandom(buf, len);
}

/* Wall-clock time for certificate validity periods only; every timer uses
 * the monotonic clock. */
static int64_t daemon_realtime(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

/* Engine lines about no SA (malformed or unknown datagrams) can be caused
 * by anyone who can send UDP: at most DAEMON_JUNK_PER_S of them a second
 * reach the log, the rest are counted and reported once a second. */
static bool daemon_log_junk_allowed(struct daemon *d)
{
	uint64_t now = loop_now_ms();

	if (now - d->junk_window >= 1000) {
		if (d->junk_suppressed)
			log_msg(LOG_LVL_NOTICE, NULL,
				"%u more messages about unauthenticated "
				"datagrams were not logged",
				d->junk_suppressed);
		d->junk_window = now;
		d->junk_logged = 0;
		d->junk_suppressed = 0;
	}
	if (d->junk_logged < DAEMON_JUNK_PER_S) {
		d->junk_logged++;
		return true;
	}
	d->junk_suppressed++;
	return false;
}

/* env.log of every worker's engine (ctx: the worker). */
/* The level is set before the workers start: no lock needed. */
static bool daemon_log_enabled(void *ctx, int level)
{
	(void)ctx;
	return log_enabled((enum log_level)level);
}

static void daemon_log(void *ctx, int level, const char *sa, const char *msg)
{
	struct daemon *d = ((struct worker *)ctx)->d;

	pthread_mutex_lock(&d->lock);
	if (sa || level < LOG_LVL_INFO || daemon_log_junk_allowed(d))
		log_msg((enum log_level)level, sa, "%s", msg);
	pthread_mutex_unlock(&d->lock);
}

/* --keylog: one line per IKE SA in Wireshark's IKEv2 decryption table. */
static void daemon_ike_keys(void *ctx, const uint8_t spi_i[8],
			    const uint8_t spi_r[8], const struct keymat_ike *km)
{
	struct daemon *d = ((struct worker *)ctx)->d;

	pthread_mutex_lock(&d->lock);
	if (d->keylog && keylog_write(d->keylog, spi_i, spi_r, km) != 0)
		log_msg(LOG_LVL_ERR, NULL, "cannot write the key log %s",
			d->opts->keylog);
	pthread_mutex_unlock(&d->lock);
}

static int daemon_open_keylog(struct daemon *d)
{
	if (!d->opts->keylog)
		return 0;
	if (keylog_open(d->opts->keylog, &d->keylog) != 0) {
		log_msg(LOG_LVL_ERR, NULL, "cannot open the key log %s",
			d->opts->keylog);
		return -EACCES;
	}
	log_msg(LOG_LVL_WARNING, NULL,
		"KEY LOG ON: writing every IKE SA's keys to %s (mode 0600); "
		"whoever reads it can decrypt this daemon's IKE traffic. For "
		"debugging only; restart without --keylog to stop",
		d->opts->keylog);
	return 0;
}

/* ---- addresses ----------------------------------------------------------- */

static void daemon_from_engine(const struct engine_addr *a,
			       struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	out->ss_family = a->family;
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (void *)out;
		memcpy(&sin->sin_addr, a->ip, 4);
		sin->sin_port = htons(a->port);
	} else if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)out;
		memcpy(&sin6->sin6_addr, a->ip, 16);
		sin6->sin6_port = htons(a->port);
	}
}

static struct udp_sock *daemon_sock(struct worker *w, int family, bool natt)
{
	struct udp_sock *s = &w->socks[(family == AF_INET6) * 2 + natt];

	return s->fd >= 0 ? s : NULL;
}

/* ---- carrying out the engine's actions ----------------------------------- */

/* "conn[ike#]" for logs about IKE SA `ike_id`. */
static const char *daemon_sa_name(struct daemon *d, uint32_t ike_id, char *buf,
				  size_t cap)
{
	struct engine_ike_info info;

	if (engine_ike_info(workers_engine_of(d, ike_id), ike_id, &info) == 0)
		snprintf(buf, cap, "%s[%u]", info.conn, ike_id);
	else
		snprintf(buf, cap, "[%u]", ike_id);
	return buf;
}

static void daemon_send(struct worker *w, const struct engine_action *a)
{
	struct daemon *d = w->d;
	const struct engine_send *s = &a->u.send;
	struct udp_sock *sock = daemon_sock(
		w, s->remote.family, s->local.port == d->opts->natt_port);
	struct sockaddr_storage local, remote;
	size_t len = s->len + (s->non_esp_marker ? 4 : 0);
	char name[96];
	int r;

	if (!s->buf) {
		log_msg(LOG_LVL_ERR, daemon_sa_name(d, a->ike_id, name, 64),
			"out of memory; datagram dropped, retransmission will "
			"retry");
		return;
	}
	if (!sock || len > WORKER_DGRAM_MAX) {
		log_msg(LOG_LVL_ERR, daemon_sa_name(d, a->ike_id, name, 64),
			"no socket for this address family; datagram dropped");
		return;
	}
	daemon_from_engine(&s->local, &local);
	daemon_from_engine(&s->remote, &remote);
	/* RFC 3948 §2.2: IKE on the ESP-in-UDP port has a zero marker. */
	r = udp_send_ike(sock, s->non_esp_marker, s->buf, s->len, &local,
			 &remote);
	if (KB_PROBE_ON(exchange_sent))
		KB_PROBE3(exchange_sent, a->ike_id,
			  udp_addr_str(&remote, name + 64, 32), len);
	if (r)
		log_msg(LOG_LVL_WARNING, daemon_sa_name(d, a->ike_id, name, 64),
			"sending %zu bytes to %s failed: %s; retransmission "
			"will retry",
			len, udp_addr_str(&remote, name + 64, 32),
			strerror(-r));
}

static void daemon_kernel_failed(struct daemon *d, uint64_t now,
				 const struct engine_action *a,
				 enum engine_kevent_type type, uint32_t spi,
				 const struct kernel_err *err)
{
	struct engine_kevent ev = { .type = type,
				    .spi = spi,
				    .proto = PROTO_ESP };
	char name[64];

	log_msg(LOG_LVL_ERR, daemon_sa_name(d, a->ike_id, name, sizeof(name)),
		"kernel refused: %s", err->msg);
	KB_PROBE3(kernel_error, name, a->ike_id, err->msg);
	(void)engine_kernel_event(workers_engine_of(d, a->ike_id), now, &ev);
}

/* True if `reqid` is a child of a connection with start_action = trap. */
static bool daemon_reqid_trapped(const struct daemon *d, uint32_t reqid)
{
	for (size_t i = 0; i < d->conns.n; i++) {
		const struct engine_conn *c = &d->conns.conn[i];

		if (!(d->conns.extra[i].start_action & KB_START_TRAP))
			continue;
		for (unsigned k = 0; k < c->n_children; k++)
			if (c->children[k].reqid == reqid)
				return true;
	}
	return false;
}

/* Policy actions of the engine: true when the kernel's policy stays as
 * it is. When a trapped child goes, its outbound policy stays: it is the
 * trap (XFRM keeps one policy per selector and direction), and without it
 * traffic would leave in clear text instead of raising an ACQUIRE. */
static bool daemon_policy_held(struct daemon *d, const struct engine_action *a)
{
	/* several workers: the kernel's policy goes with the last worker's
	 * CHILD SA that uses it (polshare.h) */
	if (d->n_workers > 1 && a->type == ENGINE_ACT_POLICY_ADD &&
	    !polshare_add(&d->polshare, &a->u.policy))
		log_msg(LOG_LVL_ERR, NULL,
			"out of memory: a policy shared by several workers' "
			"CHILD SAs may be removed with the first");
	if (d->n_workers > 1 && a->type == ENGINE_ACT_POLICY_DEL &&
	    !polshare_del(&d->polshare, &a->u.policy)) {
		log_msg(LOG_LVL_DEBUG, NULL,
			"keeping a policy of reqid %u: a CHILD SA of another "
			"worker uses it",
			a->u.policy.reqid);
		return true;
	}
	if (a->type == ENGINE_ACT_POLICY_DEL &&
	    a->u.policy.dir == ENGINE_POL_OUT &&
	    daemon_reqid_trapped(d, a->u.policy.reqid)) {
		log_msg(LOG_LVL_DEBUG, NULL,
			"keeping the outbound policy of reqid %u as its trap",
			a->u.policy.reqid);
		return true;
	}
	return false;
}

/* A policy action's outcome: each of its kernel policies the kernel
 * refused (a removal of what is gone, a conflict) is logged; the engine's
 * view stays authoritative. */
static void daemon_policy_outcome(struct daemon *d, size_t i)
{
	const struct kbatch *b = &d->kbatch;
	const struct kbatch_item *it = &b->item[i];
	char name[64];

	if (it->err) {
		log_msg(LOG_LVL_ERR,
			daemon_sa_name(d, it->a->ike_id, name, sizeof(name)),
			"policy not installed: %s", strerror(-it->err));
		return;
	}
	for (size_t j = 0; j < it->n; j++)
		if (b->req[it->first + j].err.code)
			log_msg(LOG_LVL_WARNING,
				daemon_sa_name(d, it->a->ike_id, name,
					       sizeof(name)),
				"kernel: %s", b->req[it->first + j].err.msg);
}

/* An SA action's outcome: a refused SA goes back to the engine, which
 * deletes that CHILD SA; a refused removal (already gone) is logged. */
static void daemon_sa_outcome(struct daemon *d, uint64_t now, size_t i)
{
	const struct kbatch *b = &d->kbatch;
	const struct kbatch_item *it = &b->item[i];
	const struct engine_action *a = it->a;
	const struct kernel_err *err = kbatch_item_err(b, i);
	struct kernel_err own;
	struct kernel_sa tmp;
	const struct kernel_sa *sa = &b->sa[it->obj];
	bool in = a->u.sa.inbound;
	char name[64];

	if (it->err) { /* out of memory: no copy, nothing sent */
		engine_sa_to_kernel(&a->u.sa, &tmp);
		sa = &tmp;
		err = &own;
		kernel_err_set(&own, it->err,
			       a->type == ENGINE_ACT_SA_DEL ? "remove the SA"
							    : "install the SA",
			       NULL);
	}
	if (err && a->type == ENGINE_ACT_SA_ADD) {
		daemon_kernel_failed(d, now, a, ENGINE_KEV_SA_FAILED,
				     a->u.sa.spi, err);
		goto out;
	}
	daemon_sa_name(d, a->ike_id, name, sizeof(name));
	if (err) {
		log_msg(LOG_LVL_WARNING, name, "kernel: %s", err->msg);
		KB_PROBE3(kernel_error, name, a->ike_id, err->msg);
	}
	if (a->type == ENGINE_ACT_SA_DEL) {
		usage_sa_deleted(d->usage, &sa->id);
		KB_PROBE4(child_sa_deleted, name, a->ike_id, a->u.sa.spi, in);
	} else {
		usage_sa_added(d->usage, a->ike_id, sa, in);
		KB_PROBE4(child_sa_installed, name, a->ike_id, a->u.sa.spi, in);
	}
out:
	if (sa == &tmp)
		kernel_sa_wipe(&tmp);
}

static const char *daemon_event_name(enum engine_event_type t)
{
	switch (t) {
	case ENGINE_EV_IKE_UP: return "IKE SA established";
	case ENGINE_EV_IKE_DOWN: return "IKE SA deleted";
	case ENGINE_EV_CHILD_UP: return "CHILD SA negotiated";
	case ENGINE_EV_CHILD_DOWN: return "CHILD SA deleted";
	case ENGINE_EV_CHILD_FAILED: return "CHILD SA failed";
	case ENGINE_EV_IKE_FAILED: return "IKE SA failed";
	case ENGINE_EV_CHILD_REKEYED: return "CHILD SA rekeyed";
	case ENGINE_EV_IKE_REKEYED: return "IKE SA rekeyed";
	}
	return "event";
}

/* The status line `systemctl status` shows. */
static void daemon_status(struct daemon *d)
{
	size_t ike = 0, child = 0;

	/* each worker's counts as its last run left them */
	for (unsigned i = 0; i < d->n_workers; i++) {
		ike += atomic_load(&d->workers[i].n_ike);
		child += atomic_load(&d->workers[i].n_child);
	}
	notify_status("%zu IKE SA%s, %zu CHILD SA%s", ike, ike == 1 ? "" : "s",
		      child, child == 1 ? "" : "s");
}

static void daemon_event(struct daemon *d, const struct engine_action *a)
{
	const struct engine_event *ev = &a->u.event;
	char name[64];

	snprintf(name, sizeof(name), "%s[%u]", ev->conn, a->ike_id);
	if (ev->type == ENGINE_EV_IKE_UP || ev->type == ENGINE_EV_IKE_DOWN ||
	    ev->type == ENGINE_EV_IKE_FAILED)
		KB_PROBE4(ike_sa_state, name, a->ike_id,
			  ev->type == ENGINE_EV_IKE_UP	   ? "up"
			  : ev->type == ENGINE_EV_IKE_DOWN ? "down"
							   : "failed",
			  ev->reason);
	if (ev->type == ENGINE_EV_CHILD_REKEYED ||
	    ev->type == ENGINE_EV_IKE_REKEYED)
		KB_PROBE3(rekey_done, name, a->ike_id,
			  ev->type == ENGINE_EV_IKE_REKEYED ? "ike" : "child");
	if (ev->type == ENGINE_EV_IKE_FAILED &&
	    engine_err_notify(ev->reason) == N_AUTHENTICATION_FAILED)
		KB_PROBE3(auth_failed, name, a->ike_id,
			  engine_err_name(ev->reason));
	if (ev->unauth && !daemon_log_junk_allowed(d)) {
		/* an unauthenticated peer's half-open SA: counted */
	} else if (ev->type == ENGINE_EV_IKE_REKEYED)
		log_msg(LOG_LVL_NOTICE, name, "%s, replaces %s[%d]",
			daemon_event_name(ev->type), ev->conn, ev->reason);
	else if (ev->reason)
		log_msg(LOG_LVL_NOTICE, name, "%s: %s",
			daemon_event_name(ev->type),
			engine_err_name(ev->reason));
	else
		log_msg(LOG_LVL_NOTICE, name, "%s",
			daemon_event_name(ev->type));
	updown_event(d->updown, workers_engine_of(d, a->ike_id), a);
	daemon_status(d);
}

static void daemon_finish(struct daemon *d);

/* An action for the control socket, from a worker while several run:
 * its bookkeeping looks at SAs of every worker, which only the main
 * thread may (worker.h), so it goes there. */
enum { DAEMON_DEFER_MS = 2 }; /* longest wait of a deferred action */

struct daemon_deferred {
	struct daemon_deferred *next;
	struct engine_action a; /* SEND's buffer is never kept */
	uint64_t now;
};

/* Queues `g` for the main thread (the daemon's lock held). The first
 * entry of an empty queue arms the main thread's wake-up timer
 * DAEMON_DEFER_MS ahead: it then takes what came meanwhile in one go,
 * stopping the workers once for all of it instead of once per event
 * (doc/performance.md). Any earlier callback of the main thread (a
 * control request) takes the queue first (daemon_main_enter). */
static void daemon_defer(struct daemon *d, struct daemon_deferred *g)
{
	struct itimerspec its = { .it_value = { .tv_nsec = DAEMON_DEFER_MS *
							   1000000L } };

	if (d->deferred_tail) {
		d->deferred_tail->next = g;
		d->deferred_tail = g;
		return; /* the timer is armed already */
	}
	d->deferred = d->deferred_tail = g;
	if (timerfd_settime(d->wake_fd, 0, &its, NULL) < 0)
		log_msg(LOG_LVL_ERR, NULL,
			"arming the control events' timer: %s; they wait for "
			"the next control request or second",
			strerror(errno));
}

static void daemon_defer_ctl(struct daemon *d, const struct engine_action *a,
			     uint64_t now)
{
	struct daemon_deferred *g;

	if (a->type != ENGINE_ACT_EVENT &&
	    !(a->type == ENGINE_ACT_SA_ADD && a->u.sa.inbound))
		return; /* nothing the control socket looks at */
	if (!(g = calloc(1, sizeof(*g)))) {
		log_msg(LOG_LVL_ERR, NULL,
			"out of memory: an SA event is missing on the control "
			"socket");
		return;
	}
	g->a = *a;
	g->now = now;
	daemon_defer(d, g);
}

/* env.initial_contact (ctx: the worker): RFC 7296 §2.4 across workers.
 * Each other worker's own thread looks for the peer's older IKE SAs in
 * its engine (worker_initial_contact): the main thread, which would stop
 * every worker to do it, is not involved. */
static void daemon_initial_contact(void *ctx, const char *conn, uint64_t peer)
{
	struct worker *w = ctx;
	struct daemon *d = w->d;

	for (unsigned i = 0; i < d->n_workers; i++)
		if (i != w->idx)
			worker_initial_contact(&d->workers[i], conn, peer);
}

/* The main thread (every lock held): the workers' deferred actions. */
static void daemon_deferred_run(struct daemon *d)
{
	struct daemon_deferred *g = d->deferred;

	d->deferred = d->deferred_tail = NULL;
	while (g) {
		struct daemon_deferred *next = g->next;

		if (d->ctl)
			ctl_engine_action(d->ctl, &g->a, g->now);
		explicit_bzero(g, sizeof(*g)); /* SA_ADD carries keys */
		free(g);
		g = next;
	}
}

/* The deferred actions' timer fired (daemon_defer). */
static void daemon_on_wake(void *ctx, int fd, uint32_t events)
{
	uint64_t v;

	(void)ctx;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* a spurious wake-up: daemon_main_enter() took the queue */
	}
}

/* The main thread's guard: every lock (workers_lock_all), then what the
 * workers left for it, so that whatever the callback shows a control
 * client (`ipsec status`) has every event that came before. */
static void daemon_main_enter(void *ctx)
{
	struct daemon *d = ctx;

	workers_lock_all(d);
	if (d->deferred)
		daemon_deferred_run(d);
}

/* An ALLOC_SPI's outcome: an SPI the kernel did not reserve goes back to
 * the engine, which gives up that CHILD SA. */
static void daemon_spi_outcome(struct daemon *d, uint64_t now, size_t i)
{
	const struct kbatch_item *it = &d->kbatch.item[i];
	const struct kernel_err *err = kbatch_item_err(&d->kbatch, i);
	struct kernel_err own;

	if (it->err) { /* out of memory: nothing sent */
		kernel_err_set(&own, it->err, "allocate an SPI", NULL);
		err = &own;
	}
	if (err)
		daemon_kernel_failed(d, now, it->a, ENGINE_KEV_SPI_FAILED,
				     it->a->u.spi.spi, err);
}

/* What the control socket hears of action `a` (the daemon's lock held). */
static void daemon_action_ctl(struct daemon *d, const struct engine_action *a,
			      uint64_t now)
{
	if (d->ctl && d->n_workers == 1)
		ctl_engine_action(d->ctl, a, now);
	else if (d->ctl)
		daemon_defer_ctl(d, a, now);
}

/* The SPI, SA and policy actions acts[0..n), collected up to an action
 * that must see them in the kernel, go in one kops->apply() (kbatch.h) in
 * the engine's order; then each one's outcome, as if it had gone alone. */
static void daemon_kernel_batch(struct daemon *d,
				const struct engine_action *acts, size_t n,
				uint64_t now)
{
	struct kbatch *b = &d->kbatch;

	if (!n)
		return;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < n; i++) {
		const struct engine_action *a = &acts[i];
		bool pol = a->type == ENGINE_ACT_POLICY_ADD ||
			   a->type == ENGINE_ACT_POLICY_DEL;
		bool held = pol && daemon_policy_held(d, a);

		if (kbatch_add(b, a, &d->policy_seq, held) == 0)
			continue;
		log_msg(LOG_LVL_ERR, NULL,
			"out of memory: a kernel action of IKE SA %u is lost",
			a->ike_id);
		if (a->type == ENGINE_ACT_SA_ADD) { /* the engine must know */
			struct engine_kevent ev = {
				.type = ENGINE_KEV_SA_FAILED,
				.spi = a->u.sa.spi,
				.proto = PROTO_ESP
			};

			(void)engine_kernel_event(
				workers_engine_of(d, a->ike_id), now, &ev);
		}
	}
	(void)kbatch_apply(b, d->kops, d->kernel);
	for (size_t i = 0; i < b->n_item; i++) {
		const struct engine_action *a = b->item[i].a;
		char name[64];

		if (a->type == ENGINE_ACT_ALLOC_SPI) {
			daemon_spi_outcome(d, now, i);
		} else if (a->type == ENGINE_ACT_SA_ADD ||
			   a->type == ENGINE_ACT_SA_DEL) {
			daemon_sa_outcome(d, now, i);
		} else if (!b->item[i].held) {
			daemon_policy_outcome(d, i);
			vip_policy(daemon_sa_name(d, a->ike_id, name,
						  sizeof(name)),
				   a);
		}
		daemon_action_ctl(d, a, now);
	}
	kbatch_reset(b);
	pthread_mutex_unlock(&d->lock);
}

/* One action other than SEND and the kernel's batched ones (kbatch.h),
 * under the daemon's lock (worker.h). */
static void daemon_action(struct worker *w, const struct engine_action *a,
			  uint64_t now)
{
	struct daemon *d = w->d;

	pthread_mutex_lock(&d->lock);
	switch (a->type) {
	case ENGINE_ACT_SEND:
	case ENGINE_ACT_ALLOC_SPI:
	case ENGINE_ACT_SA_ADD:
	case ENGINE_ACT_SA_DEL:
	case ENGINE_ACT_POLICY_ADD:
	case ENGINE_ACT_POLICY_DEL: break; /* worker_run_actions() */
	case ENGINE_ACT_EVENT: daemon_event(d, a); break;
	case ENGINE_ACT_ADDR_ADD:
	case ENGINE_ACT_ADDR_DEL: vip_action(a); break;
	case ENGINE_ACT_SA_MIGRATE: roam_migrate(d, a); break;
	}
	daemon_action_ctl(d, a, now);
	pthread_mutex_unlock(&d->lock);
}

/* Carries out every pending action of w's engine, then re-arms its timer
 * (from any thread: loop.h). SPI, SA and policy actions wait in a batch
 * until an action that must see them in the kernel (kbatch_takes()). */
void worker_run_actions(struct worker *w, uint64_t now)
{
	struct daemon *d = w->d;

	for (int round = 0; round < 16; round++) {
		/* taken, not copied: new actions the handlers cause (a
		 * refused SA makes the engine delete the child) queue up for
		 * the next round instead of moving this list */
		struct engine_action_list l;
		const struct engine_action *acts;
		size_t n, first = 0;

		if (!engine_actions_take(w->engine, &l))
			break;
		acts = l.a;
		n = l.n;
		for (size_t i = 0; i < n; i++) {
			if (kbatch_takes(acts[i].type))
				continue;
			daemon_kernel_batch(d, acts + first, i - first, now);
			first = i + 1;
			if (acts[i].type == ENGINE_ACT_SEND)
				daemon_send(w, &acts[i]);
			else
				daemon_action(w, &acts[i], now);
		}
		daemon_kernel_batch(d, acts + first, n - first, now);
		engine_actions_done(w->engine, &l);
	}
	atomic_store(&w->n_ike, engine_ike_count(w->engine));
	atomic_store(&w->n_child, engine_child_count(w->engine));
	atomic_store(&w->next_ike_id, engine_next_ike_id(w->engine));
	uint64_t next = engine_next_deadline(w->engine);
	(void)loop_set_deadline(w->loop, next == UINT64_MAX ? 0 : next);
}

/* Every worker's pending actions (the main thread, holding every lock). */
void daemon_run_actions(struct daemon *d, uint64_t now)
{
	for (unsigned i = 0; i < d->n_workers; i++)
		worker_run_actions(&d->workers[i], now);
}

/* The address pools of a (re)loaded configuration, in worker 0's engine
 * and shared by the others' (the main thread, holding every lock). */
int daemon_pools_replace(struct daemon *d, const struct engine_pool *pools,
			 size_t n)
{
	int r = engine_pools_replace(d->workers[0].engine, pools, n);

	for (unsigned i = 1; r == 0 && i < d->n_workers; i++)
		r = engine_pools_share(d->workers[i].engine,
				       d->workers[0].engine);
	return r;
}

/* IKE SAs of every worker (the main thread, holding every lock). */
static size_t daemon_ike_count(const struct daemon *d)
{
	size_t n = 0;

	for (unsigned i = 0; i < d->n_workers; i++)
		n += engine_ike_count(d->workers[i].engine);
	return n;
}

/* ---- events from the outside -------------------------------------------- */

static void daemon_on_kernel_event(const struct kernel_event *kev, void *arg)
{
	struct daemon *d = arg;
	struct engine_kevent ev;
	uint64_t now = loop_now_ms();

	if (d->stopping || engine_kevent_from_kernel(kev, &ev) < 0)
		return; /* a trap must not start new SAs while we stop */
	if (ev.type == ENGINE_KEV_ACQUIRE && !kernel_reqid_is_ours(ev.reqid))
		return; /* another daemon's trap */
	if (kev->type == KERNEL_EV_EXPIRE && !kev->u.expire.id.spi)
		return; /* a larval SA nobody answered */
	/* An ACQUIRE starts an SA as initiator, which worker 0 does; an
	 * EXPIRE names an SPI, which one worker knows (or none: then worker
	 * 0 logs it). */
	struct worker *w = &d->workers[0];
	for (unsigned i = 0; ev.type != ENGINE_KEV_ACQUIRE && i < d->n_workers;
	     i++)
		if (engine_child_spi_known(d->workers[i].engine, ev.spi))
			w = &d->workers[i];
	(void)engine_kernel_event(w->engine, now, &ev);
	worker_run_actions(w, now);
}

/* The kernel's event queue overran: ACQUIREs and EXPIREs were lost.
 * Re-read keybridge's SAs and policies and give the engine what it missed
 * (resync.h says what can and cannot be recovered). */
static void daemon_kernel_resync(struct daemon *d)
{
	struct resync_snap snap;
	struct resync_result res;
	struct kernel_err err = { 0 };
	uint64_t now = loop_now_ms();

	log_msg(LOG_LVL_WARNING, NULL,
		"kernel event queue overran: ACQUIRE/EXPIRE events were lost; "
		"re-reading keybridge's SAs and policies from the kernel");
	if (resync_read(d->kops, d->kernel, &snap, &err) < 0) {
		log_msg(LOG_LVL_ERR, NULL,
			"cannot re-read the kernel (%s); lifetimes and "
			"retransmissions will catch up",
			err.msg);
		resync_snap_free(&snap);
		return;
	}
	res = (struct resync_result){ 0 };
	for (unsigned i = 0; !d->stopping && i < d->n_workers; i++) {
		struct resync_result one;

		resync_apply(d->workers[i].engine, now, &snap, i == 0, &one);
		res.expired += one.expired;
		res.acquired += one.acquired;
	}
	log_msg(LOG_LVL_NOTICE, NULL,
		"kernel re-read: %zu SAs and %u policies of keybridge; %u "
		"CHILD SAs gone from the kernel are being deleted, %u pending "
		"ACQUIREs replayed",
		snap.n_sa, snap.n_policies, res.expired, res.acquired);
	resync_snap_free(&snap);
	daemon_run_actions(d, now);
}

static void daemon_on_kernel_fd(void *ctx, int fd, uint32_t events)
{
	struct daemon *d = ctx;
	int r;

	(void)fd;
	(void)events;
	r = d->kops->event_read(d->kernel, daemon_on_kernel_event, d);
	if (r == -ENOBUFS)
		daemon_kernel_resync(d);
	else if (r < 0)
		log_msg(LOG_LVL_WARNING, NULL, "reading kernel events: %s",
			strerror(-r));
}

/* Removes every SA and policy keybridge put in the kernel. */
static void daemon_kernel_clean(struct daemon *d, const char *when)
{
	struct kernel_err err = { 0 };
	unsigned n_sa = 0, n_pol = 0;

	if (d->kops->cleanup(d->kernel, &n_sa, &n_pol, &err) < 0)
		log_msg(LOG_LVL_ERR, NULL,
			"removing keybridge's kernel state "
			"%s: %s",
			when, err.msg);
	else if (n_sa || n_pol)
		log_msg(LOG_LVL_NOTICE, NULL,
			"removed %u SAs and %u policies of keybridge %s", n_sa,
			n_pol, when);
	vip_flush(when);
}

static void daemon_finish(struct daemon *d)
{
	d->finished = true;
	/* by selector: PF_KEY gives them its own indexes, and without a
	 * template nothing else marks them as ours (shunt.h) */
	shunt_remove(d->kops, d->kernel, &d->conns.shunts);
	daemon_kernel_clean(d, "at stop");
	log_msg(LOG_LVL_NOTICE, NULL, "stopped");
	loop_stop(d->loop);
}

/* The main thread's timer (the engines' are the workers'): replaced
 * connection tables, and the end of a stop. */
static void daemon_on_timer(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;
	size_t n = daemon_ike_count(d);

	daemon_retired_collect(d, now, false);
	if (d->stopping && !d->finished && !n) {
		daemon_finish(d);
		return;
	}
	if (d->stopping && !d->finished && now >= d->stop_deadline) {
		log_msg(LOG_LVL_WARNING, NULL,
			"%zu IKE SAs not confirmed deleted by their peers "
			"within %u ms; removing them anyway",
			n, d->opts->stop_timeout_ms);
		daemon_finish(d);
		return;
	}
	/* a stop ends when the last Delete is answered: looked at often */
	(void)loop_set_deadline(d->loop, now + (d->stopping ? 20 : 1000));
}

/* SIGTERM: RFC 7296 §1.4.1 Delete for every IKE SA, then clean the kernel
 * once the peers answered or the stop timeout passed. */
static void daemon_stop(struct daemon *d)
{
	uint64_t now = loop_now_ms();
	size_t n = daemon_ike_count(d);
	uint32_t *ids;

	if (d->stopping)
		return;
	d->stopping = true;
	notify_stopping();
	ids = calloc(n ? n : 1, sizeof(*ids));
	n = ids ? workers_ike_list(d, ids, n) : 0;
	log_msg(LOG_LVL_NOTICE, NULL,
		"stopping: deleting %zu IKE SAs with their peers", n);
	for (size_t i = 0; i < n; i++)
		(void)engine_terminate(workers_engine_of(d, ids[i]), now,
				       ids[i]);
	free(ids);
	d->stop_deadline = now + d->opts->stop_timeout_ms;
	daemon_run_actions(d, now);
	if (!daemon_ike_count(d))
		daemon_finish(d);
	else
		(void)loop_set_deadline(d->loop, now + 20);
}

static void daemon_on_signal(void *ctx, int signo)
{
	struct daemon *d = ctx;

	if (signo == SIGHUP && d->stopping) {
		log_msg(LOG_LVL_NOTICE, NULL, "SIGHUP ignored: stopping");
		return;
	}
	if (signo == SIGHUP) {
		daemon_reload(d);
		return;
	}
	log_msg(LOG_LVL_NOTICE, NULL, "%s received", strsignal(signo));
	daemon_stop(d);
}

/* ---- start-up ------------------------------------------------------------ */

/* start_action = trap: policies without SAs for every selector pair of the
 * connection's children; the first packet's ACQUIRE starts the tunnel. */
void daemon_trap(struct daemon *d, const struct engine_conn *c, bool remove)
{
	struct kbatch *b = &d->kbatch;
	struct engine_action *acts;
	size_t n = 0;

	for (unsigned k = 0; k < c->n_children; k++)
		n += (size_t)c->children[k].n_local_ts *
		     c->children[k].n_remote_ts;
	if (!(acts = calloc(n ? n : 1, sizeof(*acts)))) {
		log_msg(LOG_LVL_ERR, c->name,
			"out of memory: trap policies not %s",
			remove ? "removed" : "installed");
		return;
	}
	n = 0;
	for (unsigned k = 0; k < c->n_children; k++) {
		const struct engine_child_cfg *ch = &c->children[k];

		for (unsigned i = 0; i < ch->n_local_ts; i++)
			for (unsigned j = 0; j < ch->n_remote_ts; j++) {
				struct engine_action *a = &acts[n++];

				a->type = remove ? ENGINE_ACT_POLICY_DEL
						 : ENGINE_ACT_POLICY_ADD;
				a->u.policy = (struct engine_policy){
					.src = ch->local_ts[i],
					.dst = ch->remote_ts[j],
					.dir = ENGINE_POL_OUT,
					.mode = ch->mode,
					.reqid = ch->reqid,
					.priority = 0,
					.tmpl_src = c->local,
					.tmpl_dst = c->remote,
					.mark = ch->mark_out,
					.if_id = ch->if_id_out,
				};
			}
	}
	/* every trap policy of the connection in one batch */
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < n; i++)
		if (kbatch_add(b, &acts[i], &d->policy_seq, false) < 0)
			log_msg(LOG_LVL_ERR, c->name,
				"out of memory: a trap policy is not %s",
				remove ? "removed" : "installed");
	(void)kbatch_apply(b, d->kops, d->kernel);
	for (size_t i = 0; i < b->n_item; i++)
		daemon_policy_outcome(d, i);
	kbatch_reset(b);
	pthread_mutex_unlock(&d->lock);
	free(acts);
	for (unsigned k = 0; !remove && k < c->n_children; k++)
		log_msg(LOG_LVL_NOTICE, c->name,
			"child %s trapped: waiting for traffic",
			c->children[k].name);
}

void daemon_start_conn(struct daemon *d, size_t i, uint64_t now)
{
	const struct engine_conn *c = &d->conns.conn[i];
	unsigned sa = d->conns.extra[i].start_action;
	uint32_t ike_id;
	int r;

	if (sa & KB_START_TRAP)
		daemon_trap(d, c, false);
	if (!(sa & KB_START_START) || names_wait(d, i))
		return;
	/* SAs we initiate belong to worker 0 (doc/performance.md) */
	r = engine_initiate(d->workers[0].engine, now, c->name, &ike_id);
	if (r < 0)
		log_msg(LOG_LVL_ERR, c->name, "cannot initiate: %s",
			engine_err_name(r));
}

static void daemon_start_conns(struct daemon *d)
{
	uint64_t now = loop_now_ms();

	(void)shunt_install(d->kops, d->kernel, &d->conns.shunts,
			    &d->policy_seq);

	for (size_t i = 0; i < d->conns.n; i++)
		daemon_start_conn(d, i, now);
	daemon_run_actions(d, now);
}

static int daemon_load(struct daemon *d)
{
	struct conf_diag diag = { 0 };
	struct kb_config *cfg;
	int r = 0;

	d->next_reqid = KERNEL_REQID_MIN + 1;
	cfg = config_load_file_dir(d->opts->conf_path, d->opts->confdir, &diag);
	if (cfg && conns_build_next(cfg, NULL, &d->next_reqid, &d->conns_opts,
				    &d->conns, &diag) < 0)
		r = -ENOMEM;
	if (cfg &&
	    !(d->updown = updown_new(d->loop, d->opts->updown_timeout_ms)))
		r = -ENOMEM;
	if (cfg && d->updown && updown_configure(d->updown, cfg) < 0)
		r = -ENOMEM;
	for (size_t i = 0; i < diag.count; i++)
		log_msg(LOG_LVL_ERR, NULL, "%s", diag.msgs[i]);
	for (size_t i = 0; i < d->conns.warnings.count; i++)
		log_msg(LOG_LVL_WARNING, NULL, "%s", d->conns.warnings.msgs[i]);
	if (!cfg)
		r = -ENOMEM;
	else
		log_msg(LOG_LVL_NOTICE, NULL,
			"loaded %zu of %zu connections from %s%s",
			conns_count(&d->conns), cfg->n_conns,
			d->opts->conf_path,
			conf_diag_errors(&diag) ? " (errors above)" : "");
	/* The engine has its own copy; PSKs and passphrases go now. */
	config_free(cfg);
	conf_diag_free(&diag);
	return r;
}

/* One keybridged per network namespace (lock.h): taken before anything
 * else, so that a second instance changes nothing. */
static int daemon_lock(struct daemon *d)
{
	char def[128];
	const char *path = d->opts->lock_path;
	pid_t holder;
	int r = 0;

	if (!path && (r = lock_default_path(def, sizeof(def))) == 0)
		path = def;
	if (!r)
		r = lock_acquire(path, &holder);
	if (r >= 0) {
		d->lock_fd = r;
		return 0;
	}
	if (r == -EWOULDBLOCK && holder)
		log_msg(LOG_LVL_ERR, NULL,
			"another keybridged (pid %ld) runs in this network "
			"namespace (it holds %s); this one exits and leaves "
			"its SAs and policies alone",
			(long)holder, path);
	else if (r == -EWOULDBLOCK)
		log_msg(LOG_LVL_ERR, NULL,
			"another keybridged runs in this network namespace "
			"(it holds %s); this one exits and leaves its SAs and "
			"policies alone",
			path);
	else
		log_msg(LOG_LVL_ERR, NULL, "cannot take the lock %s: %s",
			path ? path : LOCK_DIR, strerror(-r));
	return r == -EWOULDBLOCK ? -EBUSY : r;
}

static int daemon_pick_kernel(struct daemon *d)
{
	d->kops = kernel_backend(d->opts->kernel ? d->opts->kernel : "xfrm");
	if (!d->kops) {
		log_msg(LOG_LVL_ERR, NULL, "unknown kernel backend '%s'",
			d->opts->kernel);
		return -EINVAL;
	}
	return 0;
}

static int daemon_open_kernel(struct daemon *d)
{
	struct kernel_err err = { 0 };
	int r;

	r = d->kops->open(&d->kernel, true, &err);
	if (r < 0) {
		log_msg(LOG_LVL_ERR, NULL,
			"cannot open the %s kernel backend: %s", d->kops->name,
			err.msg);
		return r;
	}
	d->kops->caps(d->kernel, &d->caps);
	d->conns_opts = (struct conns_opts){ d->kops->name, &d->caps,
					     d->opts->conf_path };
	return loop_add_fd(d->loop, d->kops->event_fd(d->kernel), EPOLLIN,
			   daemon_on_kernel_fd, d);
}

/* ---- the control socket and the watchdog --------------------------------- */

static const struct conns *daemon_ctl_conns(void *ctx)
{
	return &((struct daemon *)ctx)->conns;
}

static void daemon_ctl_run(void *ctx, uint64_t now)
{
	daemon_run_actions(ctx, now);
}

static void daemon_ctl_reload(void *ctx)
{
	struct daemon *d = ctx;

	if (!d->stopping)
		daemon_reload(d);
}

static const struct usage_sa *daemon_ctl_usage(void *ctx, uint32_t spi)
{
	struct daemon *d = ctx;

	return d->usage ? usage_find(d->usage, spi) : NULL;
}

static void daemon_on_ctl(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	ctl_dispatch(((struct daemon *)ctx)->ctl);
}

/* The log hook: lines come from every thread (worker.h). */
static void daemon_ctl_log(void *ctx, enum log_level level, const char *sa,
			   const char *line)
{
	struct daemon *d = ctx;

	pthread_mutex_lock(&d->lock);
	ctl_log(d->ctl, (int)level, sa, line);
	pthread_mutex_unlock(&d->lock);
}

static void daemon_on_watchdog(void *ctx, int fd, uint32_t events)
{
	(void)ctx;
	(void)events;
	notify_watchdog(fd);
}

static int daemon_open_ctl(struct daemon *d)
{
	struct ctl_host host = {
		.ctx = d,
		.version = d->opts->version,
		.engines = d->engines,
		.n_engines = d->n_workers,
		.kops = d->kops,
		.kernel = d->kernel,
		.conns = daemon_ctl_conns,
		.run_actions = daemon_ctl_run,
		.reload = daemon_ctl_reload,
		.usage = daemon_ctl_usage,
	};
	int r = ctl_new(&d->ctl, d->opts->vici_path, &host);

	if (r < 0) {
		log_msg(LOG_LVL_ERR, NULL,
			"cannot open the control socket %s: %s",
			d->opts->vici_path,
			r == -EADDRINUSE ? "another keybridged answers on it"
					 : strerror(-r));
		return r;
	}
	log_set_hook(daemon_ctl_log, d);
	d->watchdog_fd = notify_watchdog_open();
	if (d->watchdog_fd >= 0 &&
	    (r = loop_add_fd(d->loop, d->watchdog_fd, EPOLLIN,
			     daemon_on_watchdog, d)) < 0)
		return r;
	return loop_add_fd(d->loop, ctl_fd(d->ctl), EPOLLIN, daemon_on_ctl, d);
}

/* env.source: a route lookup for initiators with local_addrs %any. */
static int daemon_source(void *ctx, const struct engine_addr *remote,
			 struct engine_addr *local)
{
	struct daemon *d = ((struct worker *)ctx)->d;
	int r;

	pthread_mutex_lock(&d->lock);
	r = roam_source(d->roam, remote, local);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int daemon_worker_engine(struct worker *w)
{
	struct daemon *d = w->d;
	struct engine_env env = { w,
				  daemon_random,
				  daemon_log,
				  daemon_ike_keys,
				  daemon_source,
				  daemon_initial_contact,
				  daemon_log_enabled };
	struct engine_settings set = d->opts->limits;

	set.worker = w->idx;
	set.n_workers = d->n_workers;
	w->engine = engine_new(&env, &set, d->conns.conn, d->conns.n);
	if (!w->engine)
		return -ENOMEM;
	/* the DoS limits are the daemon's: every worker's engine counts
	 * half-open SAs in worker 0's counts (dos_share.h) */
	if (w->idx && dos_share_join(w->engine, d->workers[0].engine))
		return -ENOMEM;
	/* one set of pools for every worker (pool.h): worker 0's */
	if (w->idx == 0 ? engine_pools_replace(w->engine, d->conns.pools,
					       d->conns.n_pools)
			: engine_pools_share(w->engine, d->workers[0].engine))
		return -ENOMEM;
	engine_set_realtime(w->engine, daemon_realtime);
	atomic_store(&w->next_ike_id, engine_next_ike_id(w->engine));
	d->engines[w->idx] = w->engine;
	return 0;
}

/* How many workers: --workers, or one per online CPU. */
static int daemon_pick_workers(struct daemon *d)
{
	d->n_workers = worker_count(d->opts->workers);
	d->engines = calloc(d->n_workers, sizeof(*d->engines));
	if (!d->engines)
		return -ENOMEM;
	log_msg(LOG_LVL_INFO, NULL, "%u worker%s", d->n_workers,
		d->n_workers == 1 ? "" : "s");
	return 0;
}

static int daemon_setup(struct daemon *d)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	char caps[256], limits[256];
	int r;

	d->watchdog_fd = -1;
	d->lock_fd = -1;
	d->wake_fd = -1;
	/* The lock first, and the ports before the start-up cleanup (at the
	 * end), which removes every keybridge SA and policy and must not
	 * happen to a running instance's (robustness bug 5). The kernel
	 * before the configuration: its capabilities decide which ESP
	 * transforms the connections may offer; the configuration before
	 * the workers and their ports: it decides how many may run. */
	if ((r = loop_new(&d->loop)) < 0 || (r = daemon_lock(d)) < 0 ||
	    (r = daemon_pick_kernel(d)) < 0 ||
	    (r = daemon_open_keylog(d)) < 0 ||
	    (r = daemon_open_kernel(d)) < 0 || (r = daemon_load(d)) < 0 ||
	    (r = daemon_pick_workers(d)) < 0 || (r = workers_open(d)) < 0)
		return r;
	limits_describe(&d->opts->limits, limits, sizeof(limits));
	log_msg(LOG_LVL_INFO, NULL, "limits: %s%s", limits,
		d->n_workers > 1 ? " (for all workers together)" : "");
	if ((r = daemon_open_ctl(d)) < 0)
		return r;
	d->wake_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->wake_fd < 0 || (r = loop_add_fd(d->loop, d->wake_fd, EPOLLIN,
					       daemon_on_wake, d)) < 0)
		return d->wake_fd < 0 ? -errno : r;
	loop_set_timer(d->loop, daemon_on_timer, d);
	if ((r = loop_set_signals(d->loop, signals, daemon_on_signal, d)) < 0)
		return r;
	/* BPF loads while CAP_BPF and CAP_PERFMON are still held. */
	if ((r = usage_open(d, d->opts->bpf_mode, &d->usage)) < 0)
		return r;
	if ((r = roam_open(d, &d->roam)) < 0 || (r = workers_steer(d)) < 0)
		return r;
	if ((r = privs_drop()) < 0) {
		log_msg(LOG_LVL_ERR, NULL, "cannot drop privileges: %s",
			strerror(-r));
		return r;
	}
	log_msg(LOG_LVL_INFO, NULL, "running with capabilities: %s",
		privs_describe(caps, sizeof(caps)));
	/* What a killed run left goes last, just before the connections
	 * start: until then its SAs still carry the tunnels' traffic (a
	 * slow start, BPF loading, is no downtime), and a start-up that
	 * fails leaves them (kmod-tests/49-kb-restart-charon.sh). */
	daemon_kernel_clean(d, "left by an earlier run");
	if ((r = names_open(d)) < 0) /* its thread without capabilities */
		return r;
	names_sync(d);
	return 0;
}

static void daemon_teardown(struct daemon *d)
{
	workers_stop(d); /* no worker runs past here */
	names_close(d);
	updown_free(d->updown); /* down scripts still queued run first */
	usage_close(d->usage);	/* detaches and unpins the BPF programs */
	roam_close(d->roam);
	log_set_hook(NULL, NULL);
	ctl_free(d->ctl);
	if (d->watchdog_fd >= 0)
		close(d->watchdog_fd);
	workers_free(d);
	free(d->engines);
	polshare_free(&d->polshare);
	if (d->kbatch.n_applies)
		log_msg(LOG_LVL_INFO, NULL,
			"kernel: %lu SPI, SA and policy requests went in %lu "
			"batches",
			d->kbatch.n_requests, d->kbatch.n_applies);
	kbatch_free(&d->kbatch);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	while (d->deferred) {
		struct daemon_deferred *next = d->deferred->next;

		explicit_bzero(d->deferred, sizeof(*d->deferred));
		free(d->deferred);
		d->deferred = next;
	}
	keylog_close(d->keylog);
	if (d->kernel)
		d->kops->close(d->kernel);
	conns_free(&d->conns);
	for (size_t i = 0; i < d->n_retired; i++)
		conns_free(&d->retired[i]);
	free(d->retired);
	loop_free(d->loop);
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* after the kernel cleanup at stop */
}

int daemon_main(const struct daemon_opts *opts)
{
	struct daemon *d = calloc(1, sizeof(*d));
	pthread_mutexattr_t attr;
	int r, status = 1;

	if (!d)
		return 1;
	d->opts = opts;
	/* recursive: logging from code that holds it (worker.h) */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&d->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&d->gate, NULL);
	pthread_cond_init(&d->gate_cv, NULL);
	log_init(NULL, (enum log_level)opts->log_level);
	log_msg(LOG_LVL_NOTICE, NULL, "keybridged starting (kernel backend %s)",
		opts->kernel ? opts->kernel : "xfrm");
	r = daemon_setup(d);
	if (r < 0) {
		log_msg(LOG_LVL_ERR, NULL, "start-up failed (%s); exiting",
			strerror(-r));
		goto out;
	}
	/* still one thread: the connections start before the workers */
	daemon_start_conns(d);
	if ((r = workers_start(d)) < 0) {
		log_msg(LOG_LVL_ERR, NULL, "cannot start the workers: %s",
			strerror(-r));
		goto out;
	}
	/* from now on the main thread's callbacks hold every lock */
	loop_set_guard(d->loop, daemon_main_enter, workers_unlock_all, d);
	(void)loop_set_deadline(d->loop, loop_now_ms() + 1000);
	notify_ready();
	log_msg(LOG_LVL_NOTICE, NULL, "ready");
	r = loop_run(d->loop);
	status = r < 0 ? 1 : 0;
out:
	daemon_teardown(d);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->gate_cv);
	pthread_mutex_destroy(&d->gate);
	free(d);
	return status;
}
