/* The control module's cost per CHILD SA event as the number of CHILD SAs
 * grows. The control socket (daemon/control/) keeps a record of every
 * CHILD SA for `ipsec status` and the vici events, and the daemon hands it
 * every engine action (ctl_engine_action): an inbound SA_ADD and each
 * EVENT. What it does per action must not grow with the CHILD SAs of
 * other IKE SAs.
 *
 * A real pair of engines (initiator a, responder b) sets up an IKE SA +
 * CHILD SA, rekeys the IKE SA (its CHILD SA moves to the new one) and
 * deletes it again, cycle after cycle; every action of the responder goes
 * through the control module, timed. The other CHILD SA records (1k, then
 * 100k: $KB_BENCH_CTL_SCALE) come from inbound SA_ADD actions of IKE SAs
 * of their own, as the daemon would hand them over; the engine does not
 * hold those SAs (100k handshakes would take minutes), which changes
 * nothing for the events measured: no listing runs. */
#include "bench/bench.h"
#include "bench/bench_conn.h"

#include "control/ctl.h"
#include "crypto/crypto.h"
#include "engine/engine.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bulk records' IKE SA ids: far above those the responder gives. */
enum { BULK_IKE_ID = 0x40000000 };

struct ctl_bench {
	struct engine *a, *b;
	struct engine_conn ca, cb;
	struct ctl *ctl;
	uint64_t now;
	uint32_t b_id; /* the responder's IKE SA of this cycle */
	size_t bulk;   /* bulk records added */
	uint64_t ns, events, cycles;
	unsigned long failures;
};

static int cb_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return crypto_random(buf, len);
}

static const struct conns *cb_conns(void *ctx)
{
	(void)ctx;
	return NULL; /* no client lists anything here */
}

static void cb_conn(struct engine_conn *c, bool is_a)
{
	bench_psk_conn(c, is_a, "ctl", 128, 0x24, 0x6b620002);
}

/* The responder's actions through the control module, timed, as the
 * daemon carries them out. */
static void cb_feed(struct ctl_bench *s)
{
	size_t n;
	const struct engine_action *act = engine_actions(s->b, &n);

	for (size_t i = 0; i < n; i++) {
		const struct engine_action *x = &act[i];
		uint64_t t0;

		if (x->type == ENGINE_ACT_EVENT &&
		    (x->u.event.type == ENGINE_EV_IKE_UP ||
		     x->u.event.type == ENGINE_EV_IKE_REKEYED))
			s->b_id = x->ike_id;
		if (x->type != ENGINE_ACT_EVENT &&
		    !(x->type == ENGINE_ACT_SA_ADD && x->u.sa.inbound))
			continue; /* the module ignores these at once */
		t0 = bench_now_ns();
		ctl_engine_action(s->ctl, x, s->now);
		s->ns += bench_now_ns() - t0;
		s->events++;
	}
}

/* Moves datagrams between the engines until both are quiet, b's actions
 * through the control module first. */
static void cb_pump(struct ctl_bench *s)
{
	bool busy = true;

	while (busy) {
		busy = false;
		for (int side = 0; side < 2; side++) {
			if (side)
				cb_feed(s);
			if (bench_carry(side ? s->b : s->a, side ? s->a : s->b,
					s->now, &s->failures, NULL, NULL))
				busy = true;
		}
	}
}

/* Up, IKE SA rekeyed (the CHILD SA moves), down. */
static void cb_cycle(struct ctl_bench *s)
{
	uint32_t a_id = 0;

	s->now += 10;
	s->b_id = 0;
	if (engine_initiate(s->a, s->now, "ctl", &a_id))
		s->failures++;
	cb_pump(s);
	if (engine_rekey(s->a, s->now, a_id))
		s->failures++;
	cb_pump(s);
	if (!s->b_id || engine_terminate(s->b, s->now, s->b_id))
		s->failures++;
	cb_pump(s);
	s->cycles++;
}

/* One more CHILD SA record of an IKE SA of its own. */
static void cb_bulk_one(struct ctl_bench *s)
{
	struct engine_action x = { .type = ENGINE_ACT_SA_ADD };

	x.ike_id = BULK_IKE_ID + (uint32_t)s->bulk;
	x.u.sa.inbound = true;
	x.u.sa.spi = 0xc0000000u + (uint32_t)s->bulk;
	x.u.sa.life_soft_s = 3000;
	x.u.sa.life_hard_s = 3600;
	ctl_engine_action(s->ctl, &x, s->now);
	s->bulk++;
}

BENCH(ctl_child_events)
{
	static struct ctl_bench s;
	struct engine_env env = { .random = cb_random };
	struct engine *engines[1];
	struct ctl_host host = { .version = "bench", .conns = cb_conns };
	const char *env_sizes = getenv("KB_BENCH_CTL_SCALE");
	char sizes[128], path[64];
	double ref = 0;

	snprintf(sizes, sizeof(sizes), "%s",
		 env_sizes ? env_sizes : "1000 100000");
	cb_conn(&s.ca, true);
	cb_conn(&s.cb, false);
	s.a = engine_new(&env, NULL, &s.ca, 1);
	s.b = engine_new(&env, NULL, &s.cb, 1);
	if (!s.a || !s.b)
		abort();
	engines[0] = s.b;
	host.engines = engines;
	host.n_engines = 1;
	snprintf(path, sizeof(path), "/tmp/kbbench-ctl-%d.vici", (int)getpid());
	if (ctl_new(&s.ctl, path, &host)) {
		bench_report_alone("control socket", 0, "", "ctl_new failed");
		goto out;
	}
	for (char *tok = strtok(sizes, " ,"); tok; tok = strtok(NULL, " ,")) {
		size_t n = strtoul(tok, NULL, 10);
		uint64_t t0 = bench_now_ns(), budget;
		char what[96];
		double ns;

		while (s.bulk < n)
			cb_bulk_one(&s);
		snprintf(what, sizeof(what), "%zu CHILD SAs: records added in",
			 n);
		bench_report_alone(what, (bench_now_ns() - t0) / 1e9, "s",
				   "inbound SA_ADD each, cumulative");
		cb_cycle(&s); /* warm-up */
		s.ns = s.events = s.cycles = 0;
		budget = (uint64_t)(bench_seconds() * 1e9);
		t0 = bench_now_ns();
		while (bench_now_ns() - t0 < budget || s.cycles < 20)
			cb_cycle(&s);
		ns = s.events ? (double)s.ns / (double)s.events : 0;
		if (!ref)
			ref = ns;
		snprintf(what, sizeof(what),
			 "%zu CHILD SAs: control per CHILD SA event", n);
		bench_report(what, ns, ref, "at the first size", "ns", false);
		snprintf(what, sizeof(what), "%zu CHILD SAs: events per cycle",
			 n);
		bench_report_alone(what, (double)s.events / (double)s.cycles,
				   "count",
				   "SA_ADD in + EVENTs: up, rekey, down");
	}
	if (s.failures)
		bench_report_alone("engine errors", (double)s.failures, "count",
				   "must be 0");
out:
	ctl_free(s.ctl);
	engine_free(s.a);
	engine_free(s.b);
}
