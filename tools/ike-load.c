/* ike-load: an IKEv2 load generator on keybridge's sans-IO engine.
 *
 *   ike-load --peer ADDR[:PORT] [--local ADDR] --psk SECRET [--id PREFIX]
 *            [-n TOTAL] [-c CONCURRENCY] [-r RATE] [--ike PROPOSAL]
 *            [--esp PROPOSAL] [--childless] [--rekey] [--json]
 *            [--retransmit MS]
 *
 * Sets up TOTAL IKE SAs (RFC 7296) with one responder, at most CONCURRENCY
 * handshakes in flight and at most RATE new ones per second, from one UDP
 * socket, and prints handshakes per second, latency (p50, p99, max),
 * retransmissions and failures by reason; --json prints the same as one
 * object. With --rekey every established IKE SA is then rekeyed (§1.3.2)
 * at the same concurrency and the rekeys are measured the same way.
 *
 * Each concurrency slot owns an engine with one connection whose identity
 * is PREFIX-<n>, n counting the engines made; an engine whose SAs are all
 * established is replaced after LOAD_RECYCLE of them (without --rekey), so
 * ike-load's own cost per handshake does not grow with TOTAL. A new engine
 * sends INITIAL_CONTACT (RFC 7296 §2.4) with its first IKE SA: under the
 * old engine's identity that would make the responder delete the IKE SAs
 * the old engine set up, hence an identity of its own. Kernel work (SPIs, ESP SAs,
 * policies) is not carried out: ike-load only speaks IKE. Exit status: 0
 * if every handshake (and rekey) succeeded, 1 if any failed, 2 on a usage
 * error.
 */
#include "config/conf_proposal.h"
#include "crypto/crypto.h"
#include "engine/engine.h"
#include "engine/engine_err.h"
#include "ike_iana.h"
#include "io/conns.h"
#include "io/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	LOAD_TICK_MS = 50,	       /* how often engine timers are run */
	LOAD_RECYCLE = 256,	       /* established SAs per engine at most */
	LOAD_MAX_REASONS = 32,	       /* distinct failure reasons kept */
	LOAD_REKEY_TIMEOUT_MS = 30000, /* a rekey without answer fails */
	LOAD_PROGRESS_MS = 250,
};

static const char load_conn_name[] = "ike-load";

struct load_opts {
	struct engine_addr peer, local;
	bool have_local;
	const char *psk, *id_prefix, *ike, *esp;
	unsigned long total, conc;
	double rate;
	bool childless, rekey, json;
	double rtx_ms; /* first retransmission timeout */
};

struct load_reason {
	char name[96];
	unsigned long n;
};

/* Outcomes of one kind of exchange (handshakes or rekeys). */
struct load_stats {
	unsigned long started, ok, failed;
	uint32_t *lat_us;  /* one per success */
	uint64_t *done_us; /* when each success came */
	size_t cap, cap_done;
	uint64_t t_start_us, t_last_us;
	struct load_reason reasons[LOAD_MAX_REASONS];
	size_t n_reasons;
};

enum load_slot_state { SLOT_IDLE = 0, SLOT_INIT, SLOT_REKEY };

struct load_slot {
	unsigned idx;
	struct engine *e;
	enum load_slot_state state;
	uint32_t ike_id; /* the SA being set up or rekeyed */
	uint64_t t0_us, t0_ms;
	uint32_t *up; /* established SAs, kept for --rekey */
	size_t n_up, cap_up, next_rekey;
	char warn[96]; /* the engine's last warning about this slot */
};

/* Initiator SPI -> slot, open addressing (SPIs are random, never 0). */
struct load_map {
	uint64_t *spi;
	uint32_t *slot;
	size_t cap, n;
};

struct load {
	struct load_opts o;
	struct udp_sock sock, sock_natt;
	struct engine_conn conn; /* template; the slots' ids differ */
	struct load_slot *slots;
	struct load_map map;
	bool rekey_phase, in_timeout;
	struct load_stats hs, rk;
	unsigned long retransmits, stray, child_failed, child_down, cookies;
	struct load_reason child_reasons[LOAD_MAX_REASONS];
	size_t n_child_reasons;
	unsigned n_engines; /* made so far: the next engine's identity */
	uint8_t buf[65536];
};

static volatile sig_atomic_t load_interrupted;

static void load_on_signal(int signo)
{
	(void)signo;
	load_interrupted = 1;
}

static uint64_t load_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *load_grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * elem);
	if (!p) {
		fprintf(stderr, "ike-load: out of memory\n");
		exit(1);
	}
	*cap = n;
	return p;
}

/* ---- initiator SPI map -------------------------------------------------- */

static size_t load_map_pos(const struct load_map *m, uint64_t spi)
{
	return (size_t)((spi * 0x9e3779b97f4a7c15ULL) >> 20) & (m->cap - 1);
}

static void load_map_put(struct load_map *m, uint64_t spi, uint32_t slot)
{
	if (!spi)
		return;
	if ((m->n + 1) * 2 > m->cap) {
		struct load_map old = *m;

		m->cap = old.cap ? old.cap * 2 : 1024;
		m->spi = calloc(m->cap, sizeof(*m->spi));
		m->slot = calloc(m->cap, sizeof(*m->slot));
		if (!m->spi || !m->slot) {
			fprintf(stderr, "ike-load: out of memory\n");
			exit(1);
		}
		m->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.spi[i])
				load_map_put(m, old.spi[i], old.slot[i]);
		free(old.spi);
		free(old.slot);
	}
	size_t i = load_map_pos(m, spi);
	while (m->spi[i] && m->spi[i] != spi)
		i = (i + 1) & (m->cap - 1);
	if (!m->spi[i])
		m->n++;
	m->spi[i] = spi;
	m->slot[i] = slot;
}

static int load_map_get(const struct load_map *m, uint64_t spi)
{
	if (!m->cap)
		return -1;
	for (size_t i = load_map_pos(m, spi); m->spi[i];
	     i = (i + 1) & (m->cap - 1))
		if (m->spi[i] == spi)
			return (int)m->slot[i];
	return -1;
}

/* ---- statistics ---------------------------------------------------------- */

static void load_reason_add(struct load_reason *r, size_t *n, const char *why)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(r[i].name, why))
			break;
	if (i == *n) {
		if (*n == LOAD_MAX_REASONS)
			i = *n - 1; /* the last entry collects the rest */
		else
			snprintf(r[(*n)++].name, sizeof(r->name), "%s", why);
		if (*n == LOAD_MAX_REASONS && i == *n - 1)
			snprintf(r[i].name, sizeof(r->name), "other");
	}
	r[i].n++;
}

static void load_ok(struct load_stats *st, uint64_t t0, uint64_t now)
{
	uint64_t d = now - t0;

	st->lat_us = load_grow(st->lat_us, &st->cap, st->ok + 1,
			       sizeof(*st->lat_us));
	st->done_us = load_grow(st->done_us, &st->cap_done, st->ok + 1,
				sizeof(*st->done_us));
	st->done_us[st->ok] = now;
	st->lat_us[st->ok++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	st->t_last_us = now;
}

static void load_fail(struct load_stats *st, const char *why, uint64_t now)
{
	st->failed++;
	st->t_last_us = now;
	load_reason_add(st->reasons, &st->n_reasons, why);
}

static int load_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile `p` (0..1) of sorted values, in ms. */
static double load_pct(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)ceil(p * (double)n);
	i = i ? i - 1 : 0;
	return v[i < n ? i : n - 1] / 1000.0;
}

static double load_rate(const struct load_stats *st)
{
	double s = (double)(st->t_last_us - st->t_start_us) / 1e6;

	return st->ok && s > 0 ? (double)st->ok / s : 0;
}

/* ---- sending and the engine's actions ------------------------------------ */

static void load_to_ss(const struct engine_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = a->family;
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		memcpy(&sin->sin_addr, a->ip, 4);
		sin->sin_port = htons(a->port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		memcpy(&sin6->sin6_addr, a->ip, 16);
		sin6->sin6_port = htons(a->port);
	}
}

static void load_from_ss(const struct sockaddr_storage *ss,
			 struct engine_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		memcpy(a->ip, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		memcpy(a->ip, &sin6->sin6_addr, 16);
		a->port = ntohs(sin6->sin6_port);
	}
}

static int load_no_bypass(int fd, int family)
{
	(void)fd;
	(void)family;
	return 0;
}

/* The socket a datagram from `local` leaves by: ours, or port 4500 once
 * the engine floats there (RFC 7296 §2.23), opened on first use. */
static struct udp_sock *load_sock_for(struct load *l, uint16_t port)
{
	if (port != IKE_NATT_PORT || l->sock.port == IKE_NATT_PORT)
		return &l->sock;
	if (l->sock_natt.fd < 0 &&
	    udp_open(&l->sock_natt,
		     l->o.peer.family == AF_INET6 ? AF_INET6 : AF_INET,
		     IKE_NATT_PORT, false, load_no_bypass) < 0)
		return NULL;
	return &l->sock_natt;
}

static void load_send(struct load *l, const struct engine_send *s)
{
	struct udp_sock *sock = load_sock_for(l, s->local.port);
	struct sockaddr_storage local, remote;
	const uint8_t *p = s->buf;
	size_t off = s->non_esp_marker ? 4 : 0;

	if (!sock || !s->buf || s->len + off > sizeof(l->buf))
		return; /* the engine retransmits; the count shows it */
	if (off) {
		memset(l->buf, 0, off); /* RFC 3948 §2.2 non-ESP marker */
		memcpy(l->buf + off, s->buf, s->len);
		p = l->buf;
	}
	load_to_ss(&s->local, &local);
	load_to_ss(&s->remote, &remote);
	(void)udp_send(sock, p, s->len + off, &local, &remote);
}

static void load_slot_done(struct load_slot *s)
{
	s->state = SLOT_IDLE;
	s->warn[0] = 0;
}

/* Why an exchange failed: the engine's reason, with the peer's notify
 * (from the engine's warning) when the peer refused. */
static const char *load_why(const struct load_slot *s, int reason)
{
	if ((reason == -ENG_ERR_PEER || reason == ENG_ERR_PEER) && s->warn[0])
		return s->warn;
	return reason ? engine_err_name(reason) : "IKE SA deleted";
}

static void load_event(struct load *l, struct load_slot *s,
		       const struct engine_action *a, uint64_t now)
{
	const struct engine_event *ev = &a->u.event;
	struct engine_ike_info info;

	switch (ev->type) {
	case ENGINE_EV_IKE_UP:
		if (s->state != SLOT_INIT || a->ike_id != s->ike_id)
			break;
		load_ok(&l->hs, s->t0_us, now);
		s->up = load_grow(s->up, &s->cap_up, s->n_up + 1,
				  sizeof(*s->up));
		s->up[s->n_up++] = a->ike_id;
		load_slot_done(s);
		break;
	case ENGINE_EV_IKE_FAILED:
	case ENGINE_EV_IKE_DOWN:
		if (s->state == SLOT_INIT && a->ike_id == s->ike_id) {
			load_fail(&l->hs, load_why(s, ev->reason), now);
			load_slot_done(s);
		} else if (s->state == SLOT_REKEY && a->ike_id == s->ike_id) {
			load_fail(&l->rk, load_why(s, ev->reason), now);
			load_slot_done(s);
		}
		break;
	case ENGINE_EV_IKE_REKEYED:
		if (s->state != SLOT_REKEY || (uint32_t)ev->reason != s->ike_id)
			break;
		load_ok(&l->rk, s->t0_us, now);
		if (engine_ike_info(s->e, a->ike_id, &info) == 0)
			load_map_put(&l->map, info.spi_i, s->idx);
		load_slot_done(s);
		break;
	case ENGINE_EV_CHILD_DOWN: l->child_down++; break;
	case ENGINE_EV_CHILD_FAILED:
		l->child_failed++;
		load_reason_add(l->child_reasons, &l->n_child_reasons,
				load_why(s, ev->reason));
		break;
	default: break;
	}
}

/* Carries out the slot engine's actions: datagrams and events. Kernel
 * work is not done: ike-load measures IKE, and an initiator engine needs
 * no answer for it (ALLOC_SPI fails only by a kernel event). */
static void load_actions(struct load *l, struct load_slot *s)
{
	size_t n;
	const struct engine_action *a = engine_actions(s->e, &n);
	uint64_t now = load_now_us();

	for (size_t i = 0; i < n; i++) {
		if (a[i].type == ENGINE_ACT_SEND) {
			load_send(l, &a[i].u.send);
			l->retransmits += l->in_timeout;
		} else if (a[i].type == ENGINE_ACT_EVENT) {
			load_event(l, s, &a[i], now);
		}
	}
	engine_actions_clear(s->e);
}

/* ---- slots ---------------------------------------------------------------- */

/* getrandom() as keybridged's daemon_random: RAND_bytes (crypto_random)
 * costs three times as much a call, its getpid() included, and ike-load
 * takes three per handshake (SPI, Ni, rekey jitter) on the machine of
 * the responder it measures. */
static int load_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return crypto_getrandom(buf, len);
}

/* Only the slot's first warning (level 4 and more urgent) is kept: the
 * engine formats no other line (a handshake has several at notice and
 * info, and their proposals and identities as text). */
static bool load_log_enabled(void *ctx, int level)
{
	const struct load_slot *s = ctx;

	return level <= 4 && !s->warn[0];
}

/* Keeps the engine's first warning so a failure can say what the peer
 * refused with. */
static void load_log(void *ctx, int level, const char *sa, const char *msg)
{
	struct load_slot *s = ctx;

	(void)sa;
	if (level <= 4 && !s->warn[0]) /* the first one is the cause */
		snprintf(s->warn, sizeof(s->warn), "%s", msg);
}

static void load_slot_engine(struct load *l, struct load_slot *s)
{
	struct engine_env env = { .ctx = s,
				  .random = load_random,
				  .log = load_log,
				  .log_enabled = load_log_enabled };
	struct engine_id *id = &l->conn.local_auth.id;
	int n = snprintf((char *)id->data, sizeof(id->data), "%s-%u",
			 l->o.id_prefix, l->n_engines++);

	id->type = ID_FQDN;
	id->len = (uint16_t)(n < (int)sizeof(id->data) ? n
						       : (int)sizeof(id->data));
	engine_free(s->e);
	s->e = engine_new(&env, NULL, &l->conn, 1);
	if (!s->e) {
		fprintf(stderr, "ike-load: out of memory\n");
		exit(1);
	}
	s->n_up = s->next_rekey = 0;
}

static void load_start_handshake(struct load *l, struct load_slot *s)
{
	struct engine_ike_info info;
	uint64_t now = load_now_us();
	int err;

	if (!l->o.rekey && s->n_up >= LOAD_RECYCLE)
		load_slot_engine(l, s);
	if (!l->hs.started)
		l->hs.t_start_us = now;
	l->hs.started++;
	s->t0_us = now;
	s->t0_ms = now / 1000;
	err = engine_initiate(s->e, s->t0_ms, load_conn_name, &s->ike_id);
	if (err) {
		load_fail(&l->hs, engine_err_name(err), now);
		engine_actions_clear(s->e);
		return;
	}
	if (engine_ike_info(s->e, s->ike_id, &info) == 0)
		load_map_put(&l->map, info.spi_i, s->idx);
	s->state = SLOT_INIT;
	load_actions(l, s);
}

static bool load_start_rekey(struct load *l, struct load_slot *s)
{
	uint64_t now = load_now_us();

	while (s->next_rekey < s->n_up) {
		uint32_t id = s->up[s->next_rekey++];
		int err;

		if (!l->rk.started)
			l->rk.t_start_us = now;
		l->rk.started++;
		s->t0_us = now;
		s->t0_ms = now / 1000;
		err = engine_rekey(s->e, s->t0_ms, id);
		if (err) {
			load_fail(&l->rk,
				  err == -ENOENT
					  ? "IKE SA gone before its rekey"
					  : engine_err_name(err),
				  now);
			engine_actions_clear(s->e);
			continue;
		}
		s->ike_id = id;
		s->state = SLOT_REKEY;
		load_actions(l, s);
		return true;
	}
	return false;
}

/* ---- the loop ------------------------------------------------------------- */

/* True for an IKE_SA_INIT response whose first payload is a COOKIE notify
 * (RFC 7296 §2.6): the responder wants the handshake started again. */
static bool load_is_cookie(const uint8_t *p, size_t n)
{
	/* header: next payload at 16, exchange type at 18, flags at 19;
	 * the Notify's type is at 28 + 6 */
	return n >= 36 && p[16] == PL_NOTIFY && p[18] == EXCH_IKE_SA_INIT &&
	       (p[19] & IKE_FLAG_RESPONSE) && (p[34] << 8 | p[35]) == N_COOKIE;
}

static void load_datagram(struct load *l, struct udp_sock *sock)
{
	for (int budget = 0; budget < 64; budget++) {
		struct sockaddr_storage lss, rss;
		struct engine_addr la, ra;
		ssize_t n = udp_recv(sock, l->buf, sizeof(l->buf), &lss, &rss);
		const uint8_t *p = l->buf;
		uint64_t spi = 0;
		int slot;

		if (n == -EAGAIN || (n < 0 && n != -EMSGSIZE))
			return;
		if (n >= 4 && sock == &l->sock_natt) {
			if (p[0] | p[1] | p[2] | p[3])
				continue; /* not IKE */
			p += 4;
			n -= 4;
		}
		if (n < 28) {
			l->stray++;
			continue;
		}
		for (int i = 0; i < 8; i++)
			spi = spi << 8 | p[i];
		l->cookies += load_is_cookie(p, (size_t)n);
		slot = load_map_get(&l->map, spi);
		if (slot < 0) {
			l->stray++;
			continue;
		}
		load_from_ss(&lss, &la);
		load_from_ss(&rss, &ra);
		(void)engine_datagram(l->slots[slot].e, load_now_us() / 1000,
				      &la, &ra, p, (size_t)n);
		load_actions(l, &l->slots[slot]);
	}
}

/* Runs the slots' engine timers; sends they cause are retransmissions. */
static void load_timers(struct load *l)
{
	uint64_t now = load_now_us();

	for (unsigned long i = 0; i < l->o.conc; i++) {
		struct load_slot *s = &l->slots[i];

		if (engine_next_deadline(s->e) <= now / 1000) {
			l->in_timeout = true;
			engine_timeout(s->e, now / 1000);
			load_actions(l, s);
			l->in_timeout = false;
		}
		if (s->state == SLOT_REKEY &&
		    now / 1000 - s->t0_ms > LOAD_REKEY_TIMEOUT_MS) {
			load_fail(&l->rk, "no rekey answer within 30 s", now);
			load_slot_done(s);
		}
	}
}

/* How many new exchanges the rate allows now (all if no rate is set). */
static unsigned long load_allowed(const struct load *l,
				  const struct load_stats *st, uint64_t now)
{
	double due;

	if (l->o.rate <= 0)
		return ~0UL;
	if (!st->started)
		return 1;
	due = (double)(now - st->t_start_us) / 1e6 * l->o.rate + 1;
	return due > (double)st->started ? (unsigned long)due - st->started : 0;
}

/* Starts what the concurrency and the rate allow; false when all is done
 * (every exchange started and answered). */
static bool load_start(struct load *l)
{
	uint64_t now = load_now_us();
	bool busy = false;

	if (load_interrupted)
		return false; /* what is in flight is counted as neither */
	if (!l->rekey_phase) {
		unsigned long allow = load_allowed(l, &l->hs, now);

		for (unsigned long i = 0; i < l->o.conc; i++) {
			struct load_slot *s = &l->slots[i];

			if (s->state == SLOT_IDLE && allow &&
			    l->hs.started < l->o.total) {
				load_start_handshake(l, s);
				allow--;
			}
			busy |= s->state != SLOT_IDLE;
		}
		if (busy || l->hs.started < l->o.total)
			return true;
		if (!l->o.rekey)
			return false;
		l->rekey_phase = true;
	}
	unsigned long allow = load_allowed(l, &l->rk, now);
	for (unsigned long i = 0; i < l->o.conc; i++) {
		struct load_slot *s = &l->slots[i];

		if (s->state == SLOT_IDLE && allow && load_start_rekey(l, s))
			allow--;
		busy |= s->state != SLOT_IDLE || s->next_rekey < s->n_up;
	}
	return busy;
}

static void load_progress(const struct load *l, bool last)
{
	const struct load_stats *st = l->rekey_phase ? &l->rk : &l->hs;
	unsigned long total = l->rekey_phase ? l->hs.ok : l->o.total;

	if (last) {
		fputs("\r\033[K", stderr);
		return;
	}
	fprintf(stderr, "\r\033[K%s %lu/%lu, %lu failed, %lu in flight, %.0f/s",
		l->rekey_phase ? "rekeyed" : "established", st->ok, total,
		st->failed, st->started - st->ok - st->failed, load_rate(st));
}

static int load_run(struct load *l)
{
	bool tty = isatty(STDERR_FILENO);
	uint64_t next_tick = 0, next_progress = 0;

	while (load_start(l)) {
		struct pollfd pfd[2] = { { l->sock.fd, POLLIN, 0 },
					 { l->sock_natt.fd, POLLIN, 0 } };
		uint64_t now = load_now_us() / 1000;
		int timeout = now < next_tick ? (int)(next_tick - now) : 0;

		if (l->o.rate > 0 && timeout > 1)
			timeout = 1;
		if (poll(pfd, l->sock_natt.fd >= 0 ? 2 : 1, timeout) < 0 &&
		    errno != EINTR) {
			perror("ike-load: poll");
			return -1;
		}
		if (pfd[0].revents)
			load_datagram(l, &l->sock);
		if (l->sock_natt.fd >= 0 && pfd[1].revents)
			load_datagram(l, &l->sock_natt);
		now = load_now_us() / 1000;
		if (now >= next_tick) {
			load_timers(l);
			next_tick = now + LOAD_TICK_MS;
		}
		if (tty && now >= next_progress) {
			load_progress(l, false);
			next_progress = now + LOAD_PROGRESS_MS;
		}
	}
	if (tty)
		load_progress(l, true);
	return 0;
}

/* ---- output ----------------------------------------------------------------- */

static void load_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void load_json_reasons(const struct load_reason *r, size_t n)
{
	printf("{");
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		load_json_str(r[i].name);
		printf(": %lu", r[i].n);
	}
	printf("}");
}

/* Rates of each tenth of the successes (the figure that shows whether
 * the peer slows down as it holds more SAs). */
static void load_tenths(const struct load_stats *st, double out[10])
{
	uint64_t prev = st->t_start_us;
	size_t prev_n = 0;

	for (unsigned k = 0; k < 10; k++) {
		size_t n = (st->ok * (k + 1) + 9) / 10;
		uint64_t t = n ? st->done_us[n - 1] : prev;

		out[k] = t > prev ? (double)(n - prev_n) * 1e6 /
					    (double)(t - prev)
				  : 0;
		prev = t;
		prev_n = n;
	}
}

static void load_json_stats(const char *rate_key, const struct load_stats *st)
{
	double tenths[10];

	load_tenths(st, tenths);
	printf("\"%s\": %.1f, \"seconds\": %.3f, \"ok\": %lu, "
	       "\"failed\": %lu, \"latency_ms\": {\"p50\": %.3f, "
	       "\"p99\": %.3f, \"max\": %.3f}, \"rate_by_tenth\": [",
	       rate_key, load_rate(st),
	       (double)(st->t_last_us - st->t_start_us) / 1e6, st->ok,
	       st->failed, load_pct(st->lat_us, st->ok, 0.50),
	       load_pct(st->lat_us, st->ok, 0.99),
	       load_pct(st->lat_us, st->ok, 1.0));
	for (unsigned k = 0; k < 10; k++)
		printf("%s%.1f", k ? ", " : "", tenths[k]);
	printf("], \"failures\": ");
	load_json_reasons(st->reasons, st->n_reasons);
}

static void load_print_json(const struct load *l)
{
	printf("{\"total\": %lu, \"concurrency\": %lu, ", l->o.total,
	       l->o.conc);
	load_json_stats("handshakes_per_second", &l->hs);
	printf(", \"retransmits\": %lu, \"cookies\": %lu, "
	       "\"stray_datagrams\": %lu, \"child_sa_deleted\": %lu, "
	       "\"child_sa_failures\": ",
	       l->retransmits, l->cookies, l->stray, l->child_down);
	load_json_reasons(l->child_reasons, l->n_child_reasons);
	if (l->o.rekey) {
		printf(", \"rekey\": {");
		load_json_stats("rekeys_per_second", &l->rk);
		printf("}");
	}
	printf("}\n");
}

static void load_print_stats(const char *what, const char *unit,
			     const struct load_stats *st, unsigned long total)
{
	double tenths[10];

	printf("%-12s %lu of %lu in %.2f s: %.1f %s\n", what, st->ok, total,
	       (double)(st->t_last_us - st->t_start_us) / 1e6, load_rate(st),
	       unit);
	load_tenths(st, tenths);
	printf("  by tenth  ");
	for (unsigned k = 0; k < 10; k++)
		printf(" %.0f", tenths[k]);
	printf("\n  latency    p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       load_pct(st->lat_us, st->ok, 0.50),
	       load_pct(st->lat_us, st->ok, 0.99),
	       load_pct(st->lat_us, st->ok, 1.0));
	printf("  failures   %lu\n", st->failed);
	for (size_t i = 0; i < st->n_reasons; i++)
		printf("    %8lu  %s\n", st->reasons[i].n, st->reasons[i].name);
}

static void load_print(const struct load *l)
{
	printf("ike-load: %lu IKE SAs, concurrency %lu, IKE %s, %s%s\n",
	       l->o.total, l->o.conc, l->o.ike,
	       l->o.childless ? "childless" : "ESP ",
	       l->o.childless ? "" : l->o.esp);
	load_print_stats("established", "handshakes/s", &l->hs, l->o.total);
	printf("retransmits  %lu\n", l->retransmits);
	if (l->cookies)
		printf("COOKIEs      %lu handshakes restarted with one\n",
		       l->cookies);
	if (l->stray)
		printf("stray        %lu datagrams for no SA of ours\n",
		       l->stray);
	if (l->child_down)
		printf("CHILD SAs    %lu deleted by the peer (e.g. its kernel "
		       "refused them)\n",
		       l->child_down);
	if (l->child_failed) {
		printf("CHILD SAs    %lu failed (the IKE SAs stayed up)\n",
		       l->child_failed);
		for (size_t i = 0; i < l->n_child_reasons; i++)
			printf("    %8lu  %s\n", l->child_reasons[i].n,
			       l->child_reasons[i].name);
	}
	if (l->o.rekey)
		load_print_stats("rekeyed", "IKE rekeys/s", &l->rk, l->hs.ok);
}

/* ---- options ---------------------------------------------------------------- */

static void load_usage(FILE *f)
{
	fprintf(f,
		"Usage: ike-load --peer ADDR[:PORT] [--local ADDR] --psk "
		"SECRET "
		"[--id PREFIX]\n"
		"                [-n TOTAL] [-c CONCURRENCY] [-r RATE] "
		"[--ike PROPOSAL]\n"
		"                [--esp PROPOSAL] [--childless] [--rekey] "
		"[--json]\n"
		"                [--retransmit MS]\n"
		"  --peer      responder address, port 500 unless given "
		"([v6addr]:port)\n"
		"  --local     source address (default: the route's)\n"
		"  --psk       pre-shared key (text)\n"
		"  --id        our identities are PREFIX-<n>, one per 256 "
		"IKE SAs (default ike-load)\n"
		"  -n          IKE SAs to set up (default 1000)\n"
		"  -c          handshakes in flight at most (default 16)\n"
		"  -r          new handshakes per second at most (default: no "
		"limit)\n"
		"  --ike/--esp swanctl.conf proposals (default: default)\n"
		"  --childless IKE SAs without a CHILD SA (RFC 6023)\n"
		"  --rekey     then rekey every IKE SA and measure that too\n"
		"  --json      one JSON object on stdout\n"
		"  --retransmit first retransmission after MS ms (default "
		"2000;\n"
		"              strongSwan's and keybridged's: 4000)\n");
}

/* "192.0.2.1", "192.0.2.1:4500", "2001:db8::1", "[2001:db8::1]:4500". */
static int load_parse_addr(const char *text, bool port_ok,
			   struct engine_addr *a)
{
	char host[128];
	const char *colon = strrchr(text, ':');
	unsigned long port = IKE_PORT;
	char *end;

	memset(a, 0, sizeof(*a));
	if (strlen(text) >= sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%s", text);
	if (text[0] == '[') {
		char *close = strchr(host, ']');

		if (!close)
			return -EINVAL;
		*close = 0;
		memmove(host, host + 1, strlen(host));
		colon = close[1] == ':' ? text + (close - host) + 2 : NULL;
		if (close[1] && close[1] != ':')
			return -EINVAL;
	} else if (colon && strchr(text, ':') == colon) {
		host[colon - text] = 0; /* IPv4 with a port */
	} else {
		colon = NULL; /* a bare IPv6 address */
	}
	if (colon) {
		if (!port_ok)
			return -EINVAL;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || !colon[1] || !port || port > 65535)
			return -EINVAL;
	}
	a->port = (uint16_t)port;
	if (inet_pton(AF_INET, host, a->ip) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, host, a->ip) == 1)
		a->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static int load_parse_num(const char *opt, const char *text, double min,
			  double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno || *end || !text[0] || !(*out >= min) || *out > 1e9) {
		fprintf(stderr, "ike-load: %s: '%s' is not a number >= %g\n",
			opt, text, min);
		return -EINVAL;
	}
	return 0;
}

static int load_parse_opts(int argc, char **argv, struct load_opts *o)
{
	static const struct option longopts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "local", required_argument, NULL, 'l' },
		{ "psk", required_argument, NULL, 'k' },
		{ "id", required_argument, NULL, 'i' },
		{ "ike", required_argument, NULL, 'I' },
		{ "esp", required_argument, NULL, 'E' },
		{ "childless", no_argument, NULL, 'C' },
		{ "rekey", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "retransmit", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool have_peer = false;
	double v;
	int c;

	*o = (struct load_opts){ .id_prefix = "ike-load",
				 .ike = "default",
				 .esp = "default",
				 .total = 1000,
				 .conc = 16,
				 .rtx_ms = 2000 };
	while ((c = getopt_long(argc, argv, "n:c:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (load_parse_addr(optarg, true, &o->peer)) {
				fprintf(stderr, "ike-load: bad --peer '%s'\n",
					optarg);
				return -EINVAL;
			}
			have_peer = true;
			break;
		case 'l':
			if (load_parse_addr(optarg, false, &o->local)) {
				fprintf(stderr, "ike-load: bad --local '%s'\n",
					optarg);
				return -EINVAL;
			}
			o->have_local = true;
			break;
		case 'k': o->psk = optarg; break;
		case 'i': o->id_prefix = optarg; break;
		case 'I': o->ike = optarg; break;
		case 'E': o->esp = optarg; break;
		case 'C': o->childless = true; break;
		case 'R': o->rekey = true; break;
		case 'j': o->json = true; break;
		case 'T':
			if (load_parse_num("--retransmit", optarg, 100,
					   &o->rtx_ms))
				return -EINVAL;
			break;
		case 'n':
		case 'c':
			if (load_parse_num(c == 'n' ? "-n" : "-c", optarg, 1,
					   &v))
				return -EINVAL;
			if (c == 'n')
				o->total = (unsigned long)v;
			else
				o->conc = (unsigned long)v;
			break;
		case 'r':
			if (load_parse_num("-r", optarg, 0, &o->rate))
				return -EINVAL;
			break;
		case 'h': load_usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	if (optind != argc || !have_peer || !o->psk) {
		fprintf(stderr, "ike-load: %s\n",
			optind != argc ? "unexpected argument"
			: !have_peer   ? "--peer is required"
				       : "--psk is required");
		return -EINVAL;
	}
	if (o->have_local && o->local.family != o->peer.family) {
		fprintf(stderr, "ike-load: --local and --peer differ in "
				"address family\n");
		return -EINVAL;
	}
	if (o->conc > 100000 || o->conc > o->total)
		o->conc = o->total < 100000 ? o->total : 100000;
	return 0;
}

/* ---- set-up ----------------------------------------------------------------- */

/* Proposal text to the engine's proposals (conf_proposal.h parses it). */
static int load_proposals(const char *text, uint8_t protocol,
			  struct engine_proposal *out, uint8_t *n)
{
	struct kb_proposals ps;
	char err[256];

	if (conf_proposal_parse(text, protocol, &ps, err, sizeof(err))) {
		fprintf(stderr, "ike-load: --%s: %s\n",
			protocol == PROTO_IKE ? "ike" : "esp", err);
		return -EINVAL;
	}
	if (ps.count > ENGINE_MAX_PROPOSALS)
		goto too_big;
	for (unsigned i = 0; i < ps.count; i++) {
		const struct kb_proposal *p = &ps.p[i];

		if (p->n_encr + p->n_integ + p->n_prf + p->n_ke + p->n_esn >
		    ENGINE_MAX_XFORMS)
			goto too_big;
		conns_proposal(p, &out[i]);
	}
	*n = ps.count;
	return 0;
too_big:
	fprintf(stderr,
		"ike-load: '%s': at most %d proposals of %d algorithms\n", text,
		ENGINE_MAX_PROPOSALS, ENGINE_MAX_XFORMS);
	return -EINVAL;
}

/* The source address the kernel routes to the peer from. */
static int load_route_source(const struct engine_addr *peer,
			     struct engine_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(peer->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	load_to_ss(peer, &ss);
	if (fd < 0 ||
	    connect(fd, (struct sockaddr *)&ss,
		    peer->family == AF_INET
			    ? sizeof(struct sockaddr_in)
			    : sizeof(struct sockaddr_in6)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (!r)
		load_from_ss(&ss, out);
	return r;
}

static void load_ts_host(struct engine_ts *ts, const struct engine_addr *a)
{
	memset(ts, 0, sizeof(*ts));
	ts->type =
		a->family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
	ts->port_hi = 65535;
	memcpy(ts->start, a->ip, 16);
	memcpy(ts->end, a->ip, 16);
}

static int load_conn(struct load *l)
{
	struct engine_conn *c = &l->conn;
	struct engine_child_cfg *ch = &c->children[0];
	size_t psk_len = strlen(l->o.psk);

	engine_conn_defaults(c);
	snprintf(c->name, sizeof(c->name), "%s", load_conn_name);
	c->local = l->o.local;
	c->local.port = l->sock.port;
	c->remote = l->o.peer;
	if (load_proposals(l->o.ike, PROTO_IKE, c->ike, &c->n_ike))
		return -EINVAL;
	c->local_auth.method = c->remote_auth.method = ENGINE_AUTH_PSK;
	/* the responder's identity is not checked: type 0 is "any" */
	if (!psk_len || psk_len > sizeof(c->psk)) {
		fprintf(stderr, "ike-load: --psk must have 1 to %zu bytes\n",
			sizeof(c->psk));
		return -EINVAL;
	}
	memcpy(c->psk, l->o.psk, psk_len);
	c->psk_len = (uint16_t)psk_len;
	/* a load test wants to see a lost datagram within seconds: by
	 * default 2, 3.6, 6.5 and 11.7 s, then the peer is dead (24 s) */
	c->rtx = (struct engine_retransmit){ (uint32_t)l->o.rtx_ms, 1.8, 3 };
	c->natt_keepalive_ms = 0;
	/* RFC 6023: no child configured, no CHILD SA in IKE_AUTH; the
	 * engine gives up if the peer does not announce support */
	if (l->o.childless)
		return 0;
	c->n_children = 1;
	snprintf(ch->name, sizeof(ch->name), "%s", load_conn_name);
	if (load_proposals(l->o.esp, PROTO_ESP, ch->esp, &ch->n_esp))
		return -EINVAL;
	ch->n_local_ts = ch->n_remote_ts = 1;
	load_ts_host(&ch->local_ts[0], &c->local);
	load_ts_host(&ch->remote_ts[0], &c->remote);
	ch->reqid = 1;
	return 0;
}

static int load_setup(struct load *l)
{
	int family = l->o.peer.family, r;
	char addr[INET6_ADDRSTRLEN];

	l->sock.fd = l->sock_natt.fd = -1;
	if (!l->o.have_local &&
	    (r = load_route_source(&l->o.peer, &l->o.local)) < 0) {
		inet_ntop(family, l->o.peer.ip, addr, sizeof(addr));
		fprintf(stderr, "ike-load: no route to %s: %s\n", addr,
			strerror(-r));
		return r;
	}
	if ((r = udp_open(&l->sock, family, 0, false, load_no_bypass)) < 0) {
		fprintf(stderr, "ike-load: UDP socket: %s\n", strerror(-r));
		return r;
	}
	/* bursts of answers at high concurrency must not be dropped here */
	int rcvbuf = 8 << 20;
	(void)setsockopt(l->sock.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			 sizeof(rcvbuf));
	if (load_conn(l))
		return -EINVAL;
	l->slots = calloc(l->o.conc, sizeof(*l->slots));
	if (!l->slots)
		return -ENOMEM;
	for (unsigned long i = 0; i < l->o.conc; i++) {
		l->slots[i].idx = (unsigned)i;
		load_slot_engine(l, &l->slots[i]);
	}
	return 0;
}

static void load_free(struct load *l)
{
	for (unsigned long i = 0; l->slots && i < l->o.conc; i++) {
		engine_free(l->slots[i].e);
		free(l->slots[i].up);
	}
	free(l->slots);
	free(l->map.spi);
	free(l->map.slot);
	free(l->hs.lat_us);
	free(l->rk.lat_us);
	free(l->hs.done_us);
	free(l->rk.done_us);
	explicit_bzero(&l->conn, sizeof(l->conn));
	udp_close(&l->sock);
	udp_close(&l->sock_natt);
}

int main(int argc, char **argv)
{
	static struct load l;
	struct sigaction sa = { .sa_handler = load_on_signal };
	int r;

	if (load_parse_opts(argc, argv, &l.o)) {
		load_usage(stderr);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = load_setup(&l);
	if (!r)
		r = load_run(&l);
	if (!r) {
		qsort(l.hs.lat_us, l.hs.ok, sizeof(uint32_t), load_cmp_u32);
		qsort(l.rk.lat_us, l.rk.ok, sizeof(uint32_t), load_cmp_u32);
		if (l.o.json)
			load_print_json(&l);
		else
			load_print(&l);
	}
	load_free(&l);
	if (r)
		return r == -EINVAL ? 2 : 1;
	return l.hs.failed || l.rk.failed || l.hs.ok < l.o.total ? 1 : 0;
}
