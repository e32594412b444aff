/* Rekey benchmark: CHILD SA and IKE SA rekeys per second between two
 * engines in one process (the whole exchange and the Delete that follows,
 * both sides on one core), beside the ceiling of their cryptography alone
 * measured in the same run; the heap per IKE SA + CHILD SA before and
 * after 1,000 rekeys, which must not grow; and the time to bring up 100
 * CHILD SAs on one IKE SA over a slow link with a message ID window of 8
 * beside a window of 1 (RFC 7296 §2.3). */
#include "bench/bench.h"
#include "bench/bench_conn.h"

#include "crypto/ke.h"
#include "crypto/keymat.h"
#include "crypto/skp.h"
#include "engine/engine.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rk_pair {
	struct engine *a, *b;
	struct engine_conn ca, cb;
	uint64_t now;
	unsigned long failures;
	uint32_t next; /* round robin over the IKE SAs */
};

static int rk_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return crypto_random(buf, len);
}

static void rk_conn(struct engine_conn *c, bool is_a)
{
	struct engine_child_cfg *ch = &c->children[0];

	bench_psk_conn(c, is_a, "bench", 256, 0x42, 0x6b620001);
	snprintf(ch->name, sizeof(ch->name), "net");
	/* no timer-driven rekeys during the measurement */
	c->ike_rekey_s = c->ike_rand_s = c->ike_lifetime_s = 0;
	ch->life_soft_s = ch->life_hard_s = ch->rand_s = 0;
}

/* Moves datagrams between the engines until both are quiet. */
static void rk_pump(struct rk_pair *p)
{
	for (bool busy = true; busy;) {
		busy = false;
		for (int side = 0; side < 2; side++) {
			struct engine *from = side ? p->b : p->a;
			struct engine *to = side ? p->a : p->b;
			const struct engine_action *act;
			size_t n;

			act = engine_actions(from, &n);
			for (size_t i = 0; i < n; i++) {
				struct engine_send s;
				uint8_t *copy;

				if (act[i].type != ENGINE_ACT_SEND)
					continue;
				s = act[i].u.send;
				if (!(copy = malloc(s.len)))
					abort();
				memcpy(copy, s.buf, s.len);
				/* `to` appends its own actions; ours stay */
				if (engine_datagram(to, p->now, &s.remote,
						    &s.local, copy, s.len))
					p->failures++;
				free(copy);
				busy = true;
			}
			engine_actions_clear(from);
		}
	}
}

/* Lets the rekeyed SAs' delays pass. */
static void rk_tick(struct rk_pair *p)
{
	p->now += 6000;
	engine_timeout(p->a, p->now);
	engine_timeout(p->b, p->now);
	rk_pump(p);
}

static void rk_init_with(struct rk_pair *p, unsigned n_sas,
			 const struct engine_settings *set)
{
	struct engine_env env = { .random = rk_random };

	rk_conn(&p->ca, true);
	rk_conn(&p->cb, false);
	p->a = engine_new(&env, set, &p->ca, 1);
	p->b = engine_new(&env, set, &p->cb, 1);
	if (!p->a || !p->b)
		abort();
	p->now = 1000000;
	for (unsigned i = 0; i < n_sas; i++) {
		if (engine_initiate(p->a, p->now, "bench", NULL))
			p->failures++;
		rk_pump(p);
	}
}

static void rk_init(struct rk_pair *p, unsigned n_sas)
{
	rk_init_with(p, n_sas, NULL);
}

static void rk_free(struct rk_pair *p)
{
	engine_free(p->a);
	engine_free(p->b);
	p->a = p->b = NULL;
}

/* The next of a's IKE SAs, round robin. */
static uint32_t rk_next_sa(struct rk_pair *p)
{
	uint32_t ids[1024];
	size_t n = engine_ike_list(p->a, ids, 1024);

	if (!n)
		abort();
	if (n > 1024)
		n = 1024;
	return ids[p->next++ % n];
}

static void rk_child(void *arg)
{
	struct rk_pair *p = arg;
	uint32_t id = rk_next_sa(p);
	struct engine_child_info ci;

	if (engine_child_info(p->a, id, 0, &ci) ||
	    engine_rekey_child(p->a, p->now, id, ci.spi_in))
		p->failures++;
	rk_pump(p);
	rk_tick(p);
}

static void rk_ike(void *arg)
{
	struct rk_pair *p = arg;

	if (engine_rekey(p->a, p->now, rk_next_sa(p)))
		p->failures++;
	rk_pump(p);
}

/* The cryptography of one CHILD rekey, both sides: KEYMAT twice, four
 * SK protections and openings (rekey and Delete exchanges). */
static void rk_child_crypto(void *arg)
{
	static const uint8_t nonce[32] = { 1 }, spi[8] = { 2 };
	struct keymat_suite suite;
	struct keymat_ike km;
	struct keymat_child kc;
	struct skp *sk[2];
	uint8_t msg[512] = { 0 };
	size_t ml, off, pl;
	static const uint8_t gir[32] = { 3 };
	bool ike = arg != NULL;
	struct ke *ka = NULL, *kb = NULL;

	if (keymat_suite_init(&suite, ENCR_AES_GCM_16, 256, PRF_HMAC_SHA2_256,
			      0) ||
	    keymat_ike_derive(&km, &suite, gir, 32, nonce, 32, nonce, 32, spi,
			      spi) ||
	    skp_new(&km, true, &sk[0]) || skp_new(&km, false, &sk[1]))
		abort();
	if (ike) {
		/* a new X25519 exchange and SKEYSEED per side (§2.18) */
		uint8_t pa[KE_PUB_MAX], pb[KE_PUB_MAX];
		size_t la, lb;
		struct ke_secret sa, sb;
		struct keymat_ike n;

		if (ke_new(KE_CURVE25519, &ka) || ke_new(KE_CURVE25519, &kb) ||
		    ke_public(ka, pa, sizeof(pa), &la) ||
		    ke_public(kb, pb, sizeof(pb), &lb) ||
		    ke_derive(ka, pb, lb, &sa) || ke_derive(kb, pa, la, &sb))
			abort();
		for (int i = 0; i < 2; i++) {
			if (keymat_ike_rekey(&n, &suite, &km, sa.buf, sa.len,
					     nonce, 32, nonce, 32, spi, spi))
				abort();
			keymat_ike_wipe(&n);
		}
		ke_secret_wipe(&sa);
		ke_secret_wipe(&sb);
	} else {
		for (int i = 0; i < 2; i++) {
			if (keymat_child_derive(&kc, &km, NULL, 0, nonce, 32,
						nonce, 32, 36, 0))
				abort();
			keymat_child_wipe(&kc);
		}
	}
	for (int i = 0; i < 4; i++)
		if (skp_protect(sk[i % 2], msg, sizeof(msg), 32, PL_SK, 200,
				NULL, &ml) ||
		    skp_unprotect(sk[!(i % 2)], msg, ml, 32, PL_SK, &off, &pl))
			abort();
	ke_free(ka);
	ke_free(kb);
	skp_free(sk[0]);
	skp_free(sk[1]);
	keymat_ike_wipe(&km);
}

static void rk_rate(const char *what, void (*fn)(void *), void *ceil_arg)
{
	static struct rk_pair p;
	double secs = bench_seconds(), ns = 1e30, ns_ceil = 1e30;
	char label[160];

	memset(&p, 0, sizeof(p));
	rk_init(&p, 16);
	for (int round = 0; round < 3; round++) {
		double a = bench_ns_per_op(fn, &p, secs / 3);
		double b = bench_ns_per_op(rk_child_crypto, ceil_arg, secs / 3);

		ns = a < ns ? a : ns;
		ns_ceil = b < ns_ceil ? b : ns_ceil;
	}
	snprintf(label, sizeof(label), "%s/s, both sides on one core", what);
	bench_report(label, 1e9 / ns, 1e9 / ns_ceil,
		     "crypto-only ceiling (same crypto calls, this run)",
		     "ops/s", true);
	if (p.failures)
		bench_report_alone("rekey errors", (double)p.failures, "count",
				   "must be 0");
	rk_free(&p);
}

BENCH(rekey_child_per_second)
{
	rk_rate("CHILD SA rekeys (REKEY_SA + Delete)", rk_child, NULL);
}

BENCH(rekey_ike_per_second)
{
	static int ike = 1;

	rk_rate("IKE SA rekeys (X25519 + Delete)", rk_ike, &ike);
}

BENCH(rekey_heap_per_sa)
{
	static struct rk_pair p;
	enum { N_SAS = 100, N_REKEYS = 1000 };
	struct mallinfo2 m0, m1, m2;

	memset(&p, 0, sizeof(p));
	m0 = mallinfo2();
	rk_init(&p, N_SAS);
	rk_tick(&p);
	m1 = mallinfo2();
	for (int i = 0; i < N_REKEYS; i++) {
		if (i % 2)
			rk_ike(&p);
		else
			rk_child(&p);
	}
	rk_tick(&p);
	m2 = mallinfo2();
	bench_report("heap per IKE SA + CHILD SA pair (both engines) after "
		     "1,000 rekeys",
		     ((double)m2.uordblks - (double)m0.uordblks) / N_SAS,
		     ((double)m1.uordblks - (double)m0.uordblks) / N_SAS,
		     "the same SAs before the rekeys", "bytes", false);
	if (p.failures)
		bench_report_alone("rekey errors", (double)p.failures, "count",
				   "must be 0");
	rk_free(&p);
}

/* A datagram on a link with a one-way delay, in virtual time. */
struct rk_wire {
	uint64_t at;
	bool to_b;
	struct engine_send s;
};

/* Queues what both engines sent, each arriving `delay_ms` later, and
 * counts a's CHILD_UP events. */
static void rk_wire_collect(struct rk_pair *p, struct rk_wire **q, size_t *n,
			    size_t *cap, uint64_t delay_ms, size_t *up)
{
	for (int side = 0; side < 2; side++) {
		struct engine *from = side ? p->b : p->a;
		const struct engine_action *act;
		size_t k;

		act = engine_actions(from, &k);
		for (size_t i = 0; i < k; i++) {
			struct rk_wire *w;

			if (act[i].type == ENGINE_ACT_EVENT && !side &&
			    act[i].u.event.type == ENGINE_EV_CHILD_UP)
				++*up;
			if (act[i].type != ENGINE_ACT_SEND)
				continue;
			if (*n == *cap) {
				*cap = *cap ? 2 * *cap : 64;
				if (!(*q = realloc(*q, *cap * sizeof(**q))))
					abort();
			}
			w = &(*q)[(*n)++];
			w->at = p->now + delay_ms;
			w->to_b = !side;
			w->s = act[i].u.send;
			if (!(w->s.buf = malloc(w->s.len)))
				abort();
			memcpy(w->s.buf, act[i].u.send.buf, w->s.len);
		}
		engine_actions_clear(from);
	}
}

/* Virtual milliseconds from asking for `n` more CHILD SAs on one IKE SA
 * until all are up, over a link with `delay_ms` each way, both engines
 * announcing `window`. */
static double rk_window_ms(uint32_t window, unsigned n, uint64_t delay_ms,
			   unsigned long *failures)
{
	struct engine_settings set = { .window_size = window };
	struct rk_pair p = { 0 };
	struct rk_wire *q = NULL;
	size_t nq = 0, cap = 0, up = 0;
	uint32_t id;
	uint64_t start;

	rk_init_with(&p, 1, &set);
	id = rk_next_sa(&p);
	start = p.now;
	for (unsigned i = 0; i < n; i++)
		if (engine_initiate_child(p.a, p.now, id, "net", true))
			p.failures++;
	for (;;) {
		uint64_t next = UINT64_MAX, da, db;
		size_t k = 0;

		rk_wire_collect(&p, &q, &nq, &cap, delay_ms, &up);
		if (up >= n && !nq)
			break;
		for (size_t i = 0; i < nq; i++)
			next = q[i].at < next ? q[i].at : next;
		da = engine_next_deadline(p.a);
		db = engine_next_deadline(p.b);
		next = da < next ? da : next;
		next = db < next ? db : next;
		if (next == UINT64_MAX) {
			p.failures++; /* stuck: nothing in flight, not done */
			break;
		}
		p.now = next > p.now ? next : p.now;
		/* deliver what has arrived, in the order it was sent */
		for (size_t i = 0; i < nq; i++) {
			struct rk_wire *w = &q[i];

			if (w->at > p.now) {
				q[k++] = *w;
				continue;
			}
			if (engine_datagram(w->to_b ? p.b : p.a, p.now,
					    &w->s.remote, &w->s.local, w->s.buf,
					    w->s.len))
				p.failures++;
			free(w->s.buf);
		}
		nq = k;
		engine_timeout(p.a, p.now);
		engine_timeout(p.b, p.now);
	}
	for (size_t i = 0; i < nq; i++)
		free(q[i].s.buf);
	free(q);
	*failures += p.failures;
	rk_free(&p);
	return (double)(p.now - start);
}

BENCH(window_100_children_50ms)
{
	enum { N = 100, DELAY_MS = 50 };
	unsigned long failures = 0;
	double w1 = rk_window_ms(1, N, DELAY_MS, &failures);
	double w8 = rk_window_ms(8, N, DELAY_MS, &failures);

	bench_report("virtual time to bring up 100 CHILD SAs on one IKE SA, "
		     "50 ms each way, window 8",
		     w8, w1, "window 1 (one request at a time)", "ms", false);
	if (failures)
		bench_report_alone("exchange errors", (double)failures, "count",
				   "must be 0");
}
