/* Message ID windows above one (RFC 7296 §2.3, §3.10.1 SET_WINDOW_SIZE):
 * several requests in flight, answered out of order, lost, duplicated,
 * and rekeys overlapping with the collision rules still holding. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W_CHILDREN = 4 };

/* Both connections with W_CHILDREN children, each its own /24s. */
static void window_pair(struct harness *h)
{
	struct engine_conn *cs[2] = { &h->a.conn, &h->b.conn };

	harness_pair_default(h);
	for (size_t i = 0; i < 2; i++) {
		for (uint8_t k = 1; k < W_CHILDREN; k++) {
			struct engine_child_cfg *c = &cs[i]->children[k];

			*c = cs[i]->children[0];
			snprintf(c->name, sizeof(c->name), "net%u", k);
			c->reqid += 16u * k;
			c->local_ts[0].start[2] = c->local_ts[0].end[2] = k;
			c->remote_ts[0].start[2] = c->remote_ts[0].end[2] = k;
		}
		cs[i]->n_children = W_CHILDREN;
	}
	harness_no_lifetimes(h);
}

static void window_start(struct harness *h, uint32_t wa, uint32_t wb)
{
	struct engine_settings sa = { .window_size = wa };
	struct engine_settings sb = { .window_size = wb };

	harness_start_with(h, &sa, &sb);
}

static struct ike_sa *only_sa(const struct hpeer *p)
{
	return ike_sa_by_id(p->e, harness_ike_id(p));
}

/* Delivers everything and lets timers run for `s` virtual seconds. */
static void settle(struct harness *h, unsigned s)
{
	for (unsigned i = 0; i < s; i++) {
		harness_run(h, 200);
		harness_advance(h, 1000);
	}
	harness_run(h, 200);
}

static void check_idle(const struct harness *h)
{
	const struct hpeer *ps[2] = { &h->a, &h->b };

	for (size_t i = 0; i < 2; i++) {
		uint32_t ids[8];
		size_t n = engine_ike_list(ps[i]->e, ids, 8);

		for (size_t k = 0; k < n && k < 8; k++) {
			struct ike_sa *sa = ike_sa_by_id(ps[i]->e, ids[k]);

			CHECK(sa && !sa->tasks);
			CHECK(sa && !win_requests(sa));
		}
	}
}

/* IKE_AUTH carries SET_WINDOW_SIZE both ways; the windows open once the
 * IKE SA is up, each side sending at most what the other announced. */
TEST(engine_window_negotiated_in_ike_auth)
{
	struct harness h = { 0 };

	window_pair(&h);
	window_start(&h, 8, 4);
	harness_establish(&h);
	REQUIRE(only_sa(&h.a) && only_sa(&h.b));
	CHECK_EQ(only_sa(&h.a)->req_window, 4u);  /* b keeps 4 */
	CHECK_EQ(only_sa(&h.a)->resp_window, 8u); /* a keeps 8 */
	CHECK_EQ(only_sa(&h.b)->req_window, 8u);
	CHECK_EQ(only_sa(&h.b)->resp_window, 4u);
	/* the three CHILD SAs after the first leave at once */
	harness_collect(&h);
	CHECK_EQ(h.a.n_q, 3u);
	CHECK_EQ(win_requests(only_sa(&h.a)), 3u);
	settle(&h, 2);
	harness_check_kernels(&h, W_CHILDREN, 3 * W_CHILDREN);
	check_idle(&h);
	harness_free(&h);
}

/* A peer that announces nothing gets one request at a time (§2.3), and
 * nothing is allocated for windows of one. */
TEST(engine_window_of_one_without_the_notify)
{
	struct harness h = { 0 };

	window_pair(&h);
	window_start(&h, 8, 1);
	harness_establish(&h);
	CHECK_EQ(only_sa(&h.a)->req_window, 0u);
	CHECK(only_sa(&h.a)->reqs == NULL);
	CHECK(only_sa(&h.b)->resps == NULL);
	harness_collect(&h);
	CHECK_EQ(h.a.n_q, 1u);
	settle(&h, 2);
	harness_check_kernels(&h, W_CHILDREN, 3 * W_CHILDREN);
	check_idle(&h);
	harness_free(&h);
}

/* Requests delivered in reverse order are each answered under their own
 * message ID; responses arriving in any order find their requests. */
TEST(engine_window_requests_out_of_order)
{
	struct harness h = { 0 };

	window_pair(&h);
	window_start(&h, 8, 8);
	harness_establish(&h);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 3u);
	/* CREATE_CHILD_SA #4, #3, #2 --> (reversed) */
	for (size_t i = 3; i > 0; i--)
		REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, i - 1, H_DELIVER), 0);
	harness_collect(&h);
	REQUIRE_EQ(h.b.n_q, 3u);
	CHECK_EQ(only_sa(&h.b)->resp_expect, 5u);
	/* <-- responses: middle, last, first */
	REQUIRE_EQ(transmit_nth(&h, &h.b, &h.a, 1, H_DELIVER), 0);
	REQUIRE_EQ(transmit_nth(&h, &h.b, &h.a, 1, H_DELIVER), 0);
	REQUIRE_EQ(transmit_nth(&h, &h.b, &h.a, 0, H_DELIVER), 0);
	harness_check_kernels(&h, W_CHILDREN, 3 * W_CHILDREN);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_UP), (size_t)W_CHILDREN);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_UP), (size_t)W_CHILDREN);
	check_idle(&h);
	harness_free(&h);
}

/* One request lost, one duplicated, one response lost: each request is
 * processed once, the lost ones are retransmitted on their own schedule
 * and the duplicates get the kept response. */
TEST(engine_window_loss_and_duplicates)
{
	struct harness h = { 0 };

	window_pair(&h);
	window_start(&h, 8, 8);
	harness_establish(&h);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 3u);
	/* CREATE_CHILD_SA #2 --> (lost) */
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DROP), 0);
	/* #3 --> twice, #4 --> */
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DUP), 0);
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DELIVER), 0);
	harness_collect(&h);
	/* b answered #3 twice (the second from its cache) and #4 */
	REQUIRE_EQ(h.b.n_q, 3u);
	CHECK(harness_logged(&h.b, "retransmitted CREATE_CHILD_SA request "
				   "3, resending response"));
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_UP), 3u);
	/* b has answered #3 and #4 but not #2: its window stays at 2 */
	CHECK_EQ(only_sa(&h.b)->resp_expect, 2u);
	/* <-- the response to #4 is lost */
	REQUIRE_EQ(transmit_nth(&h, &h.b, &h.a, 2, H_DROP), 0);
	harness_run(&h, 50);
	CHECK_EQ(win_requests(only_sa(&h.a)), 2u);
	/* the retransmissions of #2 and #4 */
	settle(&h, 10);
	CHECK_EQ(only_sa(&h.b)->resp_expect, 5u);
	harness_check_kernels(&h, W_CHILDREN, 3 * W_CHILDREN);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_UP), (size_t)W_CHILDREN);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_UP), (size_t)W_CHILDREN);
	check_idle(&h);
	harness_free(&h);
}

/* Both sides rekey every CHILD SA at once, then the IKE SA: up to four
 * rekeys each way in flight and colliding pairwise (§2.8.1), delivered
 * in an interleaved order; the IKE rekey waits until it runs alone. It
 * ends with one SA pair per child on both sides. */
TEST(engine_window_overlapping_rekeys_collide_cleanly)
{
	struct harness h = { 0 };
	struct hpeer *ps[2] = { &h.a, &h.b };

	window_pair(&h);
	window_start(&h, 8, 8);
	harness_establish(&h);
	settle(&h, 2);
	harness_check_kernels(&h, W_CHILDREN, 3 * W_CHILDREN);
	for (size_t p = 0; p < 2; p++) {
		uint32_t ike = harness_ike_id(ps[p]);

		for (uint32_t i = 0; i < W_CHILDREN; i++) {
			struct engine_child_info ci;

			REQUIRE_EQ(engine_child_info(ps[p]->e, ike, i, &ci), 0);
			REQUIRE_EQ(engine_rekey_child(ps[p]->e, h.now, ike,
						      ci.spi_in),
				   0);
		}
		REQUIRE_EQ(engine_rekey(ps[p]->e, h.now, ike), 0);
	}
	harness_collect(&h);
	CHECK_EQ(h.a.n_q, (size_t)W_CHILDREN);
	CHECK_EQ(h.b.n_q, (size_t)W_CHILDREN);
	/* interleave: a's newest, b's oldest, ... */
	while (h.a.n_q || h.b.n_q) {
		if (h.a.n_q)
			(void)transmit_nth(&h, &h.a, &h.b, h.a.n_q - 1,
					   H_DELIVER);
		if (h.b.n_q)
			(void)transmit_nth(&h, &h.b, &h.a, 0, H_DELIVER);
		harness_collect(&h);
	}
	settle(&h, 15);
	CHECK_EQ(engine_ike_count(h.a.e), 1u);
	CHECK_EQ(engine_ike_count(h.b.e), 1u);
	harness_check_kernels(&h, W_CHILDREN, 3 * W_CHILDREN);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_REKEYED), 1u);
	check_idle(&h);
	harness_free(&h);
}

/* SET_WINDOW_SIZE values no peer can mean are not taken (§3.10.1). */
TEST(engine_window_bad_sizes_from_the_peer)
{
	static const struct {
		uint8_t data[5];
		size_t len;
		uint32_t want;
		const char *log;
	} cases[] = {
		{ { 0, 0, 0, 0 }, 4, 0, "SET_WINDOW_SIZE 0 ignored" },
		{ { 0xff, 0xff, 0xff, 0xff }, 4, IKE_WINDOW_MAX, "at most 64" },
		{ { 0, 0, 8 }, 3, 0, "3 octets of data (not 4) ignored" },
		{ { 0, 0, 0, 0, 8 }, 5, 0, "5 octets of data" },
		{ { 0, 0, 0, 16 }, 4, 16, NULL },
	};
	struct harness h = { 0 };

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_sa *sa = only_sa(&h.a);
		struct ike_msg *m = calloc(1, sizeof(*m));

		REQUIRE(m && sa);
		sa->peer_window = 0;
		msg_start(sa, m, EXCH_INFORMATIONAL, true, 0);
		REQUIRE(msg_add_notify(m, false, N_SET_WINDOW_SIZE, 0,
				       cases[i].data, cases[i].len));
		win_peer_notify(sa, m);
		CHECK_EQ(sa->peer_window, cases[i].want);
		if (cases[i].log) {
			CHECK(harness_logged(&h.a, cases[i].log));
			CHECK(harness_logged(&h.a, sa->name));
		}
		free(m);
	}
	harness_free(&h);
}

/* Which requests of the peer's a window of 4 takes (§2.3): new ones up
 * to four ahead of the lowest unanswered, answered ones from the kept
 * responses, nothing older or further ahead. */
TEST(engine_window_request_verdicts)
{
	struct harness h = { 0 };
	struct ike_sa *b;

	window_pair(&h);
	window_start(&h, 4, 4);
	harness_establish(&h);
	settle(&h, 2); /* a made three more CHILD SAs: IDs 2, 3, 4 */
	REQUIRE((b = only_sa(&h.b)) != NULL);
	CHECK_EQ(b->resp_expect, 5u);
	CHECK_EQ(win_check_request(b, 4), WIN_ANSWERED);
	CHECK_EQ(win_check_request(b, 2), WIN_ANSWERED);
	CHECK_EQ(win_check_request(b, 1), WIN_ANSWERED); /* the last four */
	CHECK_EQ(win_check_request(b, 0), WIN_OUTSIDE);	 /* kept no more */
	CHECK_EQ(win_check_request(b, 5), WIN_NEW);
	CHECK_EQ(win_check_request(b, 8), WIN_NEW);
	CHECK_EQ(win_check_request(b, 9), WIN_OUTSIDE);
	CHECK_EQ(win_check_request(b, 0xffffffffu), WIN_OUTSIDE);
	harness_free(&h);
}
