/* keybridged's workers; see worker.h. */
#include "io/worker.h"

#include "engine/engine.h"
#include "engine/engine_err.h"
#include "io/daemon_int.h"
#include "io/log.h"
#include "io/loop.h"
#include "io/probes.h"
#include "io/usage.h"
#include "kb_steer.h"
#include "kernel/steer.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* A datagram read by one worker for another (no steering program, or
 * before it was attached); or, with `initial_contact`, a peer's
 * INITIAL_CONTACT another worker took, for this worker's IKE SAs of that
 * peer (worker_initial_contact). */
struct worker_dgram {
	struct worker_dgram *next;
	struct sockaddr_storage local, remote;
	uint16_t port; /* the local port it arrived on */
	bool initial_contact;
	char conn[ENGINE_NAME_MAX];
	uint64_t peer;
	uint32_t before_id;
	size_t len;
	uint8_t data[];
};

unsigned worker_count(unsigned requested)
{
	long n = requested ? (long)requested : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > KB_STEER_MAX_WORKERS ? KB_STEER_MAX_WORKERS : (unsigned)n;
}

struct engine *workers_engine_of(const struct daemon *d, uint32_t ike_id)
{
	/* ids are worker + 1, then n_workers apart (engine_settings) */
	return d->workers[ike_id ? (ike_id - 1) % d->n_workers : 0].engine;
}

struct engine *workers_engine_of_spi(const struct daemon *d, uint32_t spi)
{
	for (unsigned i = 0; i < d->n_workers; i++)
		if (engine_child_spi_known(d->workers[i].engine, spi))
			return d->workers[i].engine;
	return d->workers[0].engine; /* which says it knows no such SA */
}

size_t workers_ike_list(const struct daemon *d, uint32_t *ids, size_t cap)
{
	size_t n = 0;

	for (unsigned i = 0; i < d->n_workers; i++) {
		const struct engine *e = d->workers[i].engine;

		if (n < cap)
			(void)engine_ike_list(e, ids + n, cap - n);
		n += engine_ike_count(e);
	}
	return n;
}

/* The main thread announces that it wants the workers' mutexes
 * (d->main_waits) before it takes them, and each worker waits at its next
 * callback until the main thread is done: mutexes are not fair, and a
 * busy worker that takes its own again right after each callback would
 * starve the main thread (the control socket, SIGTERM). */
void workers_lock_all(void *ctx)
{
	struct daemon *d = ctx;

	atomic_store(&d->main_waits, true);
	for (unsigned i = 0; i < d->n_workers; i++)
		pthread_mutex_lock(&d->workers[i].mu);
	pthread_mutex_lock(&d->lock);
}

void workers_unlock_all(void *ctx)
{
	struct daemon *d = ctx;

	pthread_mutex_unlock(&d->lock);
	for (unsigned i = d->n_workers; i-- > 0;)
		pthread_mutex_unlock(&d->workers[i].mu);
	pthread_mutex_lock(&d->gate);
	atomic_store(&d->main_waits, false);
	pthread_cond_broadcast(&d->gate_cv);
	pthread_mutex_unlock(&d->gate);
}

static void worker_enter(void *ctx)
{
	struct worker *w = ctx;
	struct daemon *d = w->d;

	if (atomic_load(&d->main_waits)) {
		pthread_mutex_lock(&d->gate);
		while (atomic_load(&d->main_waits))
			pthread_cond_wait(&d->gate_cv, &d->gate);
		pthread_mutex_unlock(&d->gate);
	}
	pthread_mutex_lock(&w->mu);
}

static void worker_leave(void *ctx)
{
	pthread_mutex_unlock(&((struct worker *)ctx)->mu);
}

/* ---- datagrams ----------------------------------------------------------- */

static void worker_to_engine(const struct sockaddr_storage *ss,
			     struct engine_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;
		memcpy(out->ip, &sin->sin_addr, 4);
		out->port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;
		memcpy(out->ip, &sin6->sin6_addr, 16);
		out->port = ntohs(sin6->sin6_port);
	}
}

/* The worker that owns an IKE message (marker stripped) from `remote`. */
static unsigned worker_owner(const struct daemon *d, const uint8_t *p, size_t n,
			     const struct sockaddr_storage *remote)
{
	struct engine_addr a;
	uint8_t addr[16] = { 0 };

	if (d->n_workers == 1 || n < KB_STEER_HDR)
		return 0; /* too short for IKE: any engine drops it */
	worker_to_engine(remote, &a);
	memcpy(addr, a.ip, a.family == AF_INET ? 4 : 16);
	return kb_steer_worker(p, addr, d->n_workers);
}

static void worker_deliver(struct worker *w, const uint8_t *p, size_t n,
			   const struct sockaddr_storage *local,
			   const struct sockaddr_storage *remote, uint16_t port)
{
	struct engine_addr l, r;
	uint64_t now = loop_now_ms();
	char from[64];
	int rc;

	worker_to_engine(local, &l);
	worker_to_engine(remote, &r);
	rc = engine_datagram(w->engine, now, &l, &r, p, n);
	if (KB_PROBE_ON(exchange_received) || KB_PROBE_ON(message_dropped)) {
		udp_addr_str(remote, from, sizeof(from));
		KB_PROBE4(exchange_received, from, port, n, rc);
		if (rc < 0)
			KB_PROBE2(message_dropped, from, engine_err_name(rc));
	}
	worker_run_actions(w, now);
}

/* Appends `g` to w's queue and wakes w if the queue was empty (its
 * wake-up takes the whole queue). INITIAL_CONTACT is never dropped:
 * false only if a datagram found the queue full. */
static bool worker_enqueue(struct worker *w, struct worker_dgram *g)
{
	uint64_t one = 1;
	bool was_empty;

	g->next = NULL;
	pthread_mutex_lock(&w->q_mu);
	if (!g->initial_contact && w->q_len >= WORKER_QUEUE_MAX) {
		pthread_mutex_unlock(&w->q_mu);
		return false;
	}
	was_empty = !w->q_head;
	if (w->q_tail)
		w->q_tail->next = g;
	else
		w->q_head = g;
	w->q_tail = g;
	w->q_len++;
	pthread_mutex_unlock(&w->q_mu);
	if (was_empty && write(w->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is non-zero already: it wakes */
	}
	return true;
}

/* Queues a copy of the datagram for worker `to` and wakes it. */
static void worker_hand_over(struct worker *from, struct worker *to,
			     const uint8_t *p, size_t n,
			     const struct sockaddr_storage *local,
			     const struct sockaddr_storage *remote,
			     uint16_t port)
{
	struct worker_dgram *g = malloc(sizeof(*g) + n);

	if (!g)
		return; /* the peer retransmits */
	g->local = *local;
	g->remote = *remote;
	g->port = port;
	g->initial_contact = false;
	g->len = n;
	memcpy(g->data, p, n);
	if (!worker_enqueue(to, g)) {
		free(g);
		atomic_fetch_add(&to->n_q_dropped, 1);
		return;
	}
	atomic_fetch_add(&from->n_handed, 1);
}

void worker_initial_contact(struct worker *to, const char *conn, uint64_t peer)
{
	struct worker_dgram *g = calloc(1, sizeof(*g));

	if (!g) {
		log_msg(LOG_LVL_ERR, conn,
			"out of memory: INITIAL_CONTACT does not reach worker "
			"%u's IKE SAs of this peer",
			to->idx);
		return;
	}
	g->initial_contact = true;
	snprintf(g->conn, sizeof(g->conn), "%s", conn);
	g->peer = peer;
	/* the peer's IKE SAs `to` makes from now on have this id or a
	 * higher one, and stay */
	g->before_id = atomic_load(&to->next_ike_id);
	(void)worker_enqueue(to, g);
}

static struct udp_sock *worker_sock_of(struct worker *w, int fd)
{
	for (int i = 0; i < WORKER_SOCKS; i++)
		if (w->socks[i].fd == fd)
			return &w->socks[i];
	return NULL;
}

static void worker_on_datagram(void *ctx, int fd, uint32_t events)
{
	struct worker *w = ctx;
	struct daemon *d = w->d;
	struct udp_sock *sock = worker_sock_of(w, fd);
	struct sockaddr_storage local, remote;

	(void)events;
	for (int budget = 0; sock && budget < 64 && !d->finished; budget++) {
		ssize_t n =
			udp_recv(sock, w->buf, sizeof(w->buf), &local, &remote);
		const uint8_t *p = w->buf;
		unsigned owner;
		char from[64];

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			log_msg(LOG_LVL_WARNING, NULL,
				"receiving on port %u: %s; datagram dropped",
				sock->port, strerror((int)-n));
			continue;
		}
		atomic_fetch_add(&w->n_rx, 1);
		/* RFC 3948 §2.2: on 4500 IKE starts with a zero marker; the
		 * kernel keeps ESP and keepalives for itself. */
		if (sock->natt) {
			if (n < 4 || p[0] | p[1] | p[2] | p[3]) {
				udp_addr_str(&remote, from, sizeof(from));
				KB_PROBE2(message_dropped, from,
					  "no non-ESP marker");
				log_msg(LOG_LVL_DEBUG, NULL,
					"datagram from %s on port %u without "
					"non-ESP marker dropped",
					from, sock->port);
				continue;
			}
			p += 4;
			n -= 4;
		}
		owner = worker_owner(d, p, (size_t)n, &remote);
		if (owner != w->idx)
			worker_hand_over(w, &d->workers[owner], p, (size_t)n,
					 &local, &remote, sock->port);
		else
			worker_deliver(w, p, (size_t)n, &local, &remote,
				       sock->port);
	}
}

/* Datagrams and INITIAL_CONTACTs handed over by other workers, or the
 * order to stop. */
static void worker_on_wake(void *ctx, int fd, uint32_t events)
{
	struct worker *w = ctx;
	struct worker_dgram *g;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* nothing was written: a spurious wake-up */
	}
	if (atomic_load(&w->quit)) {
		loop_stop(w->loop);
		return;
	}
	pthread_mutex_lock(&w->q_mu);
	g = w->q_head;
	w->q_head = w->q_tail = NULL;
	w->q_len = 0;
	pthread_mutex_unlock(&w->q_mu);
	while (g) {
		struct worker_dgram *next = g->next;

		if (!g->initial_contact)
			atomic_fetch_add(&w->n_taken, 1);
		if (w->d->finished) {
			/* stopping: nothing more is carried out */
		} else if (g->initial_contact) {
			uint64_t now = loop_now_ms();

			if (engine_initial_contact(w->engine, now, g->conn,
						   g->peer, g->before_id))
				worker_run_actions(w, now);
		} else {
			worker_deliver(w, g->data, g->len, &g->local,
				       &g->remote, g->port);
		}
		free(g);
		g = next;
	}
}

static void worker_on_timer(void *ctx, uint64_t now)
{
	struct worker *w = ctx;

	engine_timeout(w->engine, now);
	worker_run_actions(w, now);
}

/* ---- life ---------------------------------------------------------------- */

static int worker_open_sockets(struct worker *w)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	struct daemon *d = w->d;
	int opened = 0;

	for (int i = 0; i < WORKER_SOCKS; i++) {
		int family = families[i / 2];
		bool natt = i % 2;
		uint16_t port = natt ? d->opts->natt_port : d->opts->ike_port;
		int r;

		/* where worker 0 could not bind, the port is someone else's:
		 * a later worker would join that one's SO_REUSEPORT group */
		if (w->idx > 0 && d->workers[0].socks[i].fd < 0)
			continue;
		r = udp_open_shared(&w->socks[i], family, port, natt,
				    d->kops->socket_bypass, d->n_workers > 1,
				    w->idx == 0);

		if (r < 0) {
			/* worker 0 says it; the others fail the same way */
			if (w->idx == 0)
				log_msg(family == AF_INET ? LOG_LVL_ERR
							  : LOG_LVL_WARNING,
					NULL,
					"cannot open UDP port %u for %s: %s",
					port,
					family == AF_INET ? "IPv4" : "IPv6",
					strerror(-r));
			continue;
		}
		if (loop_add_fd(w->loop, w->socks[i].fd, EPOLLIN,
				worker_on_datagram, w) < 0)
			return -ENOMEM;
		opened++;
	}
	return opened ? 0 : -EADDRNOTAVAIL;
}

static int worker_open(struct worker *w)
{
	int r;

	if ((r = loop_new(&w->loop)) < 0)
		return r;
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0)
		return -errno;
	loop_set_guard(w->loop, worker_enter, worker_leave, w);
	loop_set_timer(w->loop, worker_on_timer, w);
	if ((r = loop_add_fd(w->loop, w->wake_fd, EPOLLIN, worker_on_wake, w)) <
	    0)
		return r;
	/* a second socket on the same port fails only where the first did:
	 * worker 0's error was logged, the others' would repeat it */
	if ((r = worker_open_sockets(w)) < 0)
		return r;
	return daemon_worker_engine(w);
}

int workers_open(struct daemon *d)
{
	d->workers = calloc(d->n_workers, sizeof(*d->workers));
	if (!d->workers)
		return -ENOMEM;
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];

		w->d = d;
		w->idx = i;
		w->wake_fd = -1;
		for (int k = 0; k < WORKER_SOCKS; k++)
			w->socks[k].fd = -1;
		pthread_mutex_init(&w->mu, NULL);
		pthread_mutex_init(&w->q_mu, NULL);
	}
	for (unsigned i = 0; i < d->n_workers; i++) {
		int r = worker_open(&d->workers[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

int workers_steer(struct daemon *d)
{
	int fds[STEER_GROUPS * KB_STEER_MAX_WORKERS];
	char why[256];
	int r;

	if (d->n_workers == 1)
		return 0;
	if (d->opts->bpf_mode == USAGE_POLL_ONLY) {
		log_msg(LOG_LVL_WARNING, NULL,
			"--bpf off: IKE datagrams are not steered to their "
			"worker by the kernel; the workers hand them to each "
			"other");
		return 0;
	}
	for (unsigned g = 0; g < STEER_GROUPS; g++)
		for (unsigned w = 0; w < d->n_workers; w++)
			fds[g * d->n_workers + w] = d->workers[w].socks[g].fd;
	r = steer_open(fds, d->n_workers, d->opts->natt_port, &d->steer, why,
		       sizeof(why));
	if (r < 0) {
		log_msg(LOG_LVL_WARNING, NULL,
			"IKE datagrams are not steered to their worker by the "
			"kernel (SK_REUSEPORT program: %s); the workers hand "
			"them to each other, at a cost",
			why);
		return 0;
	}
	log_msg(LOG_LVL_NOTICE, NULL,
		"%u workers; the kernel steers each IKE datagram to its "
		"worker (SK_REUSEPORT program kb_steer_ike)",
		d->n_workers);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	(void)loop_run(w->loop);
	return NULL;
}

int workers_start(struct daemon *d)
{
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];
		int r = pthread_create(&w->thread, NULL, worker_main, w);

		if (r)
			return -r;
		w->started = true;
	}
	return 0;
}

static void worker_close(struct worker *w)
{
	if (w->d->n_workers > 1)
		log_msg(LOG_LVL_INFO, NULL,
			"worker %u: %llu datagrams read, %llu handed to "
			"another worker, %llu taken from others, %llu dropped "
			"(queue full)",
			w->idx, (unsigned long long)atomic_load(&w->n_rx),
			(unsigned long long)atomic_load(&w->n_handed),
			(unsigned long long)atomic_load(&w->n_taken),
			(unsigned long long)atomic_load(&w->n_q_dropped));
	while (w->q_head) {
		struct worker_dgram *next = w->q_head->next;

		free(w->q_head);
		w->q_head = next;
	}
	engine_free(w->engine);
	w->engine = NULL;
	for (int i = 0; i < WORKER_SOCKS; i++)
		udp_close(&w->socks[i]);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	loop_free(w->loop);
	pthread_mutex_destroy(&w->q_mu);
	pthread_mutex_destroy(&w->mu);
}

void workers_stop(struct daemon *d)
{
	if (!d->workers)
		return;
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];
		uint64_t one = 1;

		if (!w->started)
			continue;
		atomic_store(&w->quit, true);
		if (write(w->wake_fd, &one, sizeof(one)) < 0) {
			/* non-zero already: it wakes */
		}
	}
	for (unsigned i = 0; i < d->n_workers; i++)
		if (d->workers[i].started) {
			pthread_join(d->workers[i].thread, NULL);
			d->workers[i].started = false;
		}
}

void workers_free(struct daemon *d)
{
	if (!d->workers)
		return;
	workers_stop(d);
	for (unsigned i = 0; i < d->n_workers; i++)
		worker_close(&d->workers[i]);
	if (d->steer) {
		uint64_t steered, passed, missing;

		steer_stats(d->steer, &steered, &passed, &missing);
		log_msg(LOG_LVL_INFO, NULL,
			"kernel steering: %llu IKE datagrams steered, %llu "
			"others left to the kernel, %llu for a missing socket",
			(unsigned long long)steered, (unsigned long long)passed,
			(unsigned long long)missing);
		steer_free(d->steer);
		d->steer = NULL;
	}
	free(d->workers);
	d->workers = NULL;
}
