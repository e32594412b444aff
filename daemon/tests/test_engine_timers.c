/* The engine's timers at scale (daemon/engine/timers.c): many IKE SAs in
 * one engine, every timer fires once, on time and in order, while
 * deadlines move and SAs go away between the calls. */
#include "engine/ike_sa.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include <stdlib.h>

static int timers_random(void *ctx, void *buf, size_t len)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < len; i++) {
		*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
		((uint8_t *)buf)[i] = (uint8_t)(*s >> 56);
	}
	return 0;
}

struct due {
	uint64_t at;
	uint32_t id;
};

/* Earliest first; equal deadlines: the newest SA (highest id) first. */
static int due_cmp(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static size_t timers_n(void)
{
	const char *env = getenv("KB_TEST_TIMER_SAS");

	return env ? strtoul(env, NULL, 10) : 100000;
}

/* $KB_TEST_TIMER_SAS (default 100,000) IKE SAs, each with a half-open
 * deadline (the cheapest timer to set without a handshake: it destroys
 * the SA, which the IKE_FAILED event reports). A tenth of them get a new
 * deadline, a seventeenth are freed, half way through. */
TEST(engine_timers_100k_sas_fire_in_order)
{
	size_t n = timers_n(), n_due = 0, next = 0, fired = 0;
	struct due *due = calloc(n, sizeof(*due));
	uint64_t *at = calloc(n + 2, sizeof(*at)); /* by id; 0 = gone */
	uint64_t rng = 1, now = 0;
	struct engine_env env = { .random = timers_random, .ctx = &rng };
	struct engine_conn conn;
	struct engine *e;
	bool moved = false;

	REQUIRE(due && at);
	harness_conn(&conn, true, ENCR_AES_GCM_16, 128, 0, PRF_HMAC_SHA2_256,
		     KE_CURVE25519);
	REQUIRE((e = engine_new(&env, NULL, &conn, 1)));
	for (size_t i = 0; i < n; i++) {
		struct ike_sa *sa = ike_sa_new(e, &e->conns[0], true,
					       &conn.local, &conn.remote);

		REQUIRE(sa && sa->id <= n);
		sa->half_open_deadline = 1000 + (uint64_t)rand() % 100000;
		at[sa->id] = sa->half_open_deadline;
	}
	CHECK_EQ(engine_ike_count(e), n);
	srand(3);
	while (engine_ike_count(e)) {
		uint64_t d = engine_next_deadline(e);
		const struct engine_action *act;
		size_t n_act;

		if (!moved && fired >= n / 2) {
			/* half way: move some deadlines, free some SAs */
			moved = true;
			for (uint32_t id = 1; id <= n; id++) {
				struct ike_sa *sa;

				if (!at[id] || !(sa = ike_sa_by_id(e, id)))
					continue;
				if (id % 17 == 0) {
					ike_sa_free(sa);
					at[id] = 0;
				} else if (id % 10 == 0) {
					sa->half_open_deadline =
						now + 1 +
						(uint64_t)rand() % 50000;
					at[id] = sa->half_open_deadline;
				}
			}
			n_due = next = 0;
			for (uint32_t id = 1; id <= n; id++)
				if (at[id])
					due[n_due++] =
						(struct due){ at[id], id };
			qsort(due, n_due, sizeof(*due), due_cmp);
			continue;
		}
		if (!n_due) {
			for (uint32_t id = 1; id <= n; id++)
				due[n_due++] = (struct due){ at[id], id };
			qsort(due, n_due, sizeof(*due), due_cmp);
		}
		REQUIRE(next < n_due);
		/* the next deadline is the earliest one left */
		REQUIRE_EQ(d, due[next].at);
		REQUIRE(d >= now);
		now = d;
		engine_timeout(e, now);
		act = engine_actions(e, &n_act);
		for (size_t i = 0; i < n_act; i++) {
			if (act[i].type != ENGINE_ACT_EVENT)
				continue;
			REQUIRE_EQ(act[i].u.event.type, ENGINE_EV_IKE_FAILED);
			/* in deadline order, each SA once, none early */
			REQUIRE(next < n_due);
			REQUIRE_EQ(act[i].ike_id, due[next].id);
			REQUIRE_EQ(due[next].at, now);
			at[due[next].id] = 0;
			next++;
			fired++;
		}
		engine_actions_clear(e);
		/* every SA due at `now` fired in this call */
		REQUIRE(next == n_due || due[next].at > now);
	}
	CHECK_EQ(engine_next_deadline(e), UINT64_MAX);
	test_note("%zu IKE SAs, %zu timers fired in order", n, fired);
	engine_free(e);
	free(due);
	free(at);
}

/* Real retransmission timers (§2.1) of 1000 IKE_SA_INIT requests to a
 * peer that never answers: each SA resends at 4 s, then 7.2 s, 12.96 s …
 * after the previous one (timeout 4000 ms, base 1.8, 5 tries) and gives
 * up after the last; the engine is woken only when one is due. */
TEST(engine_timers_retransmissions_of_1000_sas_on_time)
{
	enum { N = 1000 };
	static const struct engine_retransmit r = { 4000, 1.8, 5 };
	static uint64_t expect[N + 1];
	static uint32_t sends[N + 1];
	uint64_t rng = 2, now = 0;
	struct engine_env env = { .random = timers_random, .ctx = &rng };
	struct engine_conn conn;
	struct engine *e;
	size_t failed = 0, wakeups = 0;

	harness_conn(&conn, true, ENCR_AES_GCM_16, 128, 0, PRF_HMAC_SHA2_256,
		     KE_CURVE25519);
	REQUIRE((e = engine_new(&env, NULL, &conn, 1)));
	for (uint32_t i = 0; i < N; i++) {
		uint32_t id;

		now = i * 7; /* spread: 0 .. 7 s */
		REQUIRE_EQ(engine_initiate(e, now, conn.name, &id), 0);
		REQUIRE(id <= N);
		expect[id] = now + rtx_delay_ms(&r, 0);
	}
	engine_actions_clear(e);
	now = 0; /* the first retransmission is due at 4 s */
	for (;;) {
		uint64_t d = engine_next_deadline(e);
		const struct engine_action *act;
		size_t n_act, n_here = 0;

		if (d == UINT64_MAX)
			break;
		REQUIRE(d >= now);
		now = d;
		engine_timeout(e, now);
		wakeups++;
		act = engine_actions(e, &n_act);
		for (size_t i = 0; i < n_act; i++) {
			uint32_t id = act[i].ike_id;

			REQUIRE(id >= 1 && id <= N);
			/* nothing fires before or after its time */
			REQUIRE_EQ(expect[id], now);
			n_here++;
			if (act[i].type == ENGINE_ACT_EVENT) {
				CHECK_EQ(sends[id], r.tries);
				expect[id] = 0;
				failed++;
			} else if (act[i].type == ENGINE_ACT_SEND) {
				sends[id]++;
				expect[id] = now + rtx_delay_ms(&r, sends[id]);
			}
		}
		CHECK_GT(n_here, 0); /* never woken for nothing */
		engine_actions_clear(e);
	}
	CHECK_EQ(failed, N);
	CHECK_EQ(engine_ike_count(e), 0);
	test_note("%zu wakeups for %d retransmissions and %d give-ups", wakeups,
		  N * r.tries, N);
	engine_free(e);
}
