/* Engine scenarios about the network: loss, duplication, reordering,
 * retransmission (RFC 7296 §2.1), cookies (§2.6), liveness (§2.4),
 * deletes (§1.4.1), NAT traversal (§2.23) and unknown SPIs (§2.21.4). */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/engine_err.h"
#include "ike_iana.h"

#include <string.h>

/* Message `lost` (0..3) of IKE_SA_INIT/IKE_AUTH is dropped once; the
 * initiator's retransmission after 4 s recovers it. */
static void lose_one(unsigned lost)
{
	struct harness h;
	unsigned step = 0;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	while (step < 4) {
		struct hpeer *from = step % 2 ? &h.b : &h.a;
		struct hpeer *to = step % 2 ? &h.a : &h.b;

		REQUIRE_EQ(from->n_q, 1);
		if (step == lost) {
			/* the message vanishes ... */
			(void)transmit(&h, from, to, H_DROP);
			lost = 99;
			CHECK_EQ(h.a.n_q + h.b.n_q, 0);
			/* ... and after 4 s a retransmits its request
			 * (the same bytes, §2.1) */
			CHECK_EQ(engine_next_deadline(h.a.e), h.now + 4000);
			harness_advance(&h, 4000);
			REQUIRE_EQ(h.a.n_q, 1);
			if (step % 2) {
				/* b answers the copy from its cache */
				REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER),
					   0);
				CHECK(harness_logged(&h.b, "resending") ||
				      step == 1);
			}
			continue;
		}
		REQUIRE_EQ(transmit(&h, from, to, H_DELIVER), 0);
		step++;
	}
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(h.a.n_sa_add, 2);
	CHECK_EQ(h.b.n_sa_add, 2);
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	harness_check_child_pair(&h);
	harness_free(&h);
}

TEST(engine_loss_of_init_request)
{
	lose_one(0);
}

TEST(engine_loss_of_init_response)
{
	lose_one(1);
}

TEST(engine_loss_of_auth_request)
{
	lose_one(2);
}

TEST(engine_loss_of_auth_response)
{
	lose_one(3);
}

TEST(engine_duplicates_answered_from_cache)
{
	struct harness h;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	/* HDR, SA, KEi, Ni --> (twice): one half-open SA, two answers */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DUP), 0);
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	REQUIRE_EQ(h.b.n_q, 2);
	CHECK_EQ(h.b.q[0].len, h.b.q[1].len);
	CHECK_MEM(h.b.q[0].buf, h.b.q[1].buf, h.b.q[0].len);
	/* <-- both copies: the second is not what a waits for any more */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_AUTH_SENT);
	REQUIRE_EQ(h.a.n_q, 1);
	/* HDR, SK {IDi, AUTH, SA, TSi, TSr} --> (twice): processed once */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DUP), 0);
	CHECK(harness_logged(&h.b, "retransmitted IKE_AUTH request 1, "
				   "resending response"));
	CHECK_EQ(h.b.n_sa_add, 2);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_IKE_UP), 1);
	REQUIRE_EQ(h.b.n_q, 2);
	CHECK_MEM(h.b.q[0].buf, h.b.q[1].buf, h.b.q[0].len);
	(void)transmit(&h, &h.b, &h.a, H_DELIVER);
	(void)transmit(&h, &h.b, &h.a, H_DELIVER);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(h.a.n_sa_add, 2);
	harness_check_child_pair(&h);
	harness_free(&h);
}

TEST(engine_reordered_retransmission)
{
	struct harness h;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	/* The IKE_SA_INIT request is slow: a retransmits before it lands,
	 * and the two copies arrive in reverse order. */
	harness_advance(&h, 4000);
	REQUIRE_EQ(h.a.n_q, 2);
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 1, H_DELIVER), 0);
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DELIVER), 0);
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	REQUIRE_EQ(harness_run(&h, 20), 4); /* 2 answers, AUTH, its answer */
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	harness_check_child_pair(&h);
	harness_free(&h);
}

TEST(engine_retransmission_backoff_and_give_up)
{
	struct harness h;
	uint64_t start, waits[] = { 4000, 7200, 12960, 23328, 41990, 75582 };

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	start = h.now;
	/* Nobody answers: 5 retransmissions at 4 s * 1.8^n, then give up
	 * after one more wait (strongSwan's defaults). */
	for (size_t i = 0; i < 6; i++) {
		CHECK_EQ(engine_next_deadline(h.a.e) - h.now, waits[i]);
		(void)transmit(&h, &h.a, &h.b, H_DROP);
		REQUIRE(harness_next_timer(&h, 100000));
	}
	CHECK_EQ(h.a.n_sent, 6);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(h.now - start, 165060);
	CHECK(harness_logged(&h.a, "a-to-b[1]: no response to IKE_SA_INIT "
				   "request 0 after 5 retransmissions"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_FAILED), 1);
	CHECK_EQ(engine_next_deadline(h.a.e), UINT64_MAX);
	harness_free(&h);
}

TEST(engine_retransmit_settings_configurable)
{
	struct harness h;

	harness_pair_default(&h);
	h.a.conn.rtx = (struct engine_retransmit){ 500, 2.0, 2 };
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	CHECK_EQ(engine_next_deadline(h.a.e) - h.now, 500);
	REQUIRE(harness_next_timer(&h, 10000));
	CHECK_EQ(engine_next_deadline(h.a.e) - h.now, 1000);
	REQUIRE(harness_next_timer(&h, 10000));
	CHECK_EQ(engine_next_deadline(h.a.e) - h.now, 2000);
	REQUIRE(harness_next_timer(&h, 10000));
	CHECK_EQ(h.a.n_sent, 3);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	harness_free(&h);
}

TEST(engine_half_open_timeout)
{
	struct harness h;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	/* IKE_SA_INIT --> ; the initiator then vanishes. */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(engine_half_open_count(h.b.e), 1);
	CHECK_EQ(engine_next_deadline(h.b.e), h.now + 30000);
	harness_advance(&h, 30000);
	CHECK_EQ(engine_ike_count(h.b.e), 0);
	CHECK_EQ(engine_half_open_count(h.b.e), 0);
	CHECK(harness_logged(&h.b, "half-open IKE SA timed out"));
	harness_free(&h);
}

TEST(engine_cookie_challenge)
{
	struct harness h;
	struct engine_settings set = { .cookie_threshold = 1 };
	uint32_t second = 0;

	harness_pair_default(&h);
	harness_start(&h, &set);
	/* A first half-open SA at b reaches the threshold ... */
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(engine_half_open_count(h.b.e), 1);
	(void)transmit(&h, &h.b, &h.a, H_DROP);
	/* ... so the next IKE_SA_INIT is answered statelessly:
	 * HDR(A,0), SA, KEi, Ni --> <-- HDR(A,0), N(COOKIE) */
	REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", &second), 0);
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_BUSY);
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	REQUIRE_EQ(h.b.n_q, 1);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK(harness_logged(&h.a, "responder demands a COOKIE"));
	/* HDR(A,0), N(COOKIE), SA, KEi, Ni --> accepted, state created */
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(engine_ike_count(h.b.e), 2);
	/* the rest as usual */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	{
		struct engine_ike_info info;

		REQUIRE_EQ(engine_ike_info(h.a.e, second, &info), 0);
		CHECK_EQ(info.state, ENGINE_IKE_ESTABLISHED);
	}
	harness_free(&h);
}

TEST(engine_cookie_wrong_is_refused)
{
	struct harness h;
	struct engine_settings set = { .cookie_threshold = 1 };
	struct hpkt *k;

	harness_pair_default(&h);
	harness_start(&h, &set);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	(void)transmit(&h, &h.b, &h.a, H_DROP);
	REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", NULL), 0);
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_BUSY);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* The retry carries the cookie first; flip its last byte. */
	k = &h.a.q[h.a.n_q - 1];
	REQUIRE_GE(k->len, 28 + 8 + 33);
	k->buf[28 + 8 + 32] ^= 1;
	CHECK_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_BUSY);
	CHECK(harness_logged(&h.b, "wrong or stale COOKIE"));
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	harness_free(&h);
}

TEST(engine_cookie_secret_rotates)
{
	struct harness h;
	struct engine_settings set = { .cookie_threshold = 1,
				       .cookie_rotate_ms = 1000,
				       .half_open_timeout_ms = 600000 };

	harness_pair_default(&h);
	harness_start(&h, &set);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	(void)transmit(&h, &h.b, &h.a, H_DROP);
	REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", NULL), 0);
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_BUSY);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* One rotation later the cookie (previous secret) still works. */
	h.now += 1500;
	engine_timeout(h.b.e, h.now);
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(engine_ike_count(h.b.e), 2);
	harness_free(&h);
}

TEST(engine_half_open_limit)
{
	struct harness h;
	struct engine_settings set = { .half_open_max = 1,
				       .cookie_threshold = 100 };

	harness_pair_default(&h);
	harness_start(&h, &set);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", NULL), 0);
	CHECK_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_BUSY);
	CHECK(harness_logged(&h.b, "reached the limit"));
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	harness_free(&h);
}

TEST(engine_delete_from_initiator)
{
	struct harness h;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, harness_ike_id(&h.a)), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_DELETING);
	/* HDR, SK {D(IKE)} --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK_EQ(h.b.n_sa_del, 2);
	CHECK_EQ(h.b.n_pol_del, 3);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_IKE_DOWN), 1);
	/* <-- HDR, SK {} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(h.a.n_sa_del, 2);
	CHECK_EQ(h.a.n_pol_del, 3);
	CHECK(harness_logged(&h.a, "a-to-b[1]: peer confirmed the IKE SA "
				   "delete"));
	CHECK_EQ(engine_next_deadline(h.a.e), UINT64_MAX);
	harness_free(&h);
}

TEST(engine_delete_from_responder)
{
	struct harness h;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_terminate(h.b.e, h.now, harness_ike_id(&h.b)), 0);
	/* <-- HDR, SK {D(IKE)} (b's first request: message ID 0) */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(h.a.n_sa_del, 2);
	CHECK(harness_logged(&h.a, "peer deleted the IKE SA"));
	/* HDR, SK {} --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK_EQ(h.b.n_sa_del, 2);
	harness_free(&h);
}

TEST(engine_delete_child_both_directions)
{
	struct harness h;
	struct engine_child_info c;
	struct engine_ike_info info;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_child_info(h.b.e, harness_ike_id(&h.b), 0, &c), 0);
	REQUIRE_EQ(engine_terminate_child(h.b.e, h.now, harness_ike_id(&h.b),
					  c.spi_in),
		   0);
	/* <-- HDR, SK {D(ESP, b's inbound SPI)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(h.a.n_sa_del, 2);
	CHECK_EQ(h.a.n_pol_del, 3);
	/* HDR, SK {D(ESP, a's inbound SPI)} --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(h.b.n_sa_del, 2);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &info), 0);
	CHECK_EQ(info.n_children, 0);
	CHECK_EQ(info.state, ENGINE_IKE_ESTABLISHED);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &info), 0);
	CHECK_EQ(info.n_children, 0);
	CHECK_EQ(info.state, ENGINE_IKE_ESTABLISHED);
	/* the IKE SA still works: a's DPD-style empty request is answered */
	harness_free(&h);
}

TEST(engine_dpd_alive_peer)
{
	struct harness h;

	harness_pair_default(&h);
	h.a.conn.dpd_delay_ms = 30000;
	harness_start(&h, NULL);
	harness_establish(&h);
	CHECK_EQ(engine_next_deadline(h.a.e), h.now + 30000);
	harness_advance(&h, 30000);
	/* HDR, SK {} --> (liveness check) */
	REQUIRE_EQ(h.a.n_q, 1);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	/* <-- HDR, SK {} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(engine_next_deadline(h.a.e), h.now + 30000);
	harness_free(&h);
}

static void dpd_dead_peer(enum engine_dpd_action action)
{
	struct harness h;
	int rounds = 0;

	harness_pair_default(&h);
	h.a.conn.dpd_delay_ms = 30000;
	h.a.conn.dpd_action = action;
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_advance(&h, 30000);
	/* HDR, SK {} --> nothing comes back, ever */
	while (harness_state(&h.a) == ENGINE_IKE_ESTABLISHED && rounds++ < 10) {
		while (h.a.n_q)
			(void)transmit(&h, &h.a, &h.b, H_DROP);
		REQUIRE(harness_next_timer(&h, 200000));
	}
	CHECK_EQ(rounds, 6); /* the check and five retransmissions */
	CHECK(harness_logged(&h.a, "a-to-b[1]: no response to INFORMATIONAL "
				   "request 2 after 5 retransmissions, peer "
				   "is dead"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_DOWN), 1);
	CHECK_EQ(h.a.n_sa_del, 2);
	CHECK_EQ(h.a.n_pol_del, 3);
	if (action == ENGINE_DPD_RESTART) {
		/* ... and a new IKE SA is on its way */
		CHECK_EQ(harness_state(&h.a), ENGINE_IKE_INIT_SENT);
		CHECK_EQ(harness_ike_id(&h.a), 2);
	} else {
		CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	}
	harness_free(&h);
}

TEST(engine_dpd_dead_peer_clear)
{
	dpd_dead_peer(ENGINE_DPD_CLEAR);
}

TEST(engine_dpd_dead_peer_restart)
{
	dpd_dead_peer(ENGINE_DPD_RESTART);
}

TEST(engine_nat_detected_floats_to_4500)
{
	struct harness h;
	struct engine_ike_info ia, ib;
	const struct engine_sa *sa;

	harness_pair_default(&h);
	h.nat_a = true;
	h.b.conn.remote.family = 0; /* b accepts a from any address */
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &ia), 0);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib), 0);
	CHECK(ia.nat_local);
	CHECK(!ia.nat_remote);
	CHECK(ib.nat_remote);
	CHECK(!ib.nat_local);
	/* IKE_AUTH went over 4500 with the non-ESP marker */
	CHECK_EQ(ia.local.port, 4500);
	CHECK_EQ(ia.remote.port, 4500);
	CHECK_EQ(ib.local.port, 4500);
	CHECK_EQ(ib.remote.port, 14500); /* the NAT's mapping */
	CHECK_EQ(ib.remote.ip[0], 198);
	sa = harness_sa_add(&h.b, false);
	REQUIRE(sa);
	CHECK(sa->encap);
	CHECK_EQ(sa->dst.port, 14500);
	CHECK(harness_sa_add(&h.a, true)->encap);
	harness_check_child_pair(&h);
	/* later messages keep the marker */
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, ia.ike_id), 0);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 1);
	CHECK(h.a.q[0].marker);
	harness_free(&h);
}

TEST(engine_no_nat_stays_on_500)
{
	struct harness h;
	struct engine_ike_info ia;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &ia), 0);
	CHECK_EQ(ia.local.port, 500);
	CHECK(!harness_sa_add(&h.a, true)->encap);
	harness_free(&h);
}

TEST(engine_unknown_spi_answered_unprotected)
{
	struct harness h;

	harness_pair_default(&h);
	h.a.conn.dpd_delay_ms = 10000;
	harness_start(&h, NULL);
	harness_establish(&h);
	/* b forgets everything (a restart, say) */
	engine_free(h.b.e);
	h.b.e = NULL;
	harness_start_peer_b(&h);
	harness_advance(&h, 10000);
	/* HDR, SK {} --> b knows no such SA */
	CHECK_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_UNKNOWN_SPI);
	CHECK(harness_logged(&h.b, "answering INVALID_IKE_SPI"));
	/* <-- HDR, N(INVALID_IKE_SPI), not protected: a ignores it */
	REQUIRE_EQ(h.b.n_q, 1);
	CHECK(transmit(&h, &h.b, &h.a, H_DELIVER) != 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	/* an unknown response is never answered (§2.21.4) */
	CHECK_EQ(h.a.n_q, 0);
	harness_free(&h);
}

TEST(engine_nat_keepalives)
{
	struct harness h;

	harness_pair_default(&h);
	h.nat_a = true;
	h.b.conn.remote.family = 0;
	harness_no_lifetimes(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	/* a is behind the NAT: every 20 s one 0xFF octet to 4500, no
	 * marker (RFC 3948 §2.3); b, not behind one, sends none. */
	CHECK_EQ(engine_next_deadline(h.a.e), h.now + 20000);
	CHECK_EQ(engine_next_deadline(h.b.e), UINT64_MAX);
	harness_advance(&h, 20000);
	REQUIRE_EQ(h.a.n_q, 1);
	CHECK_EQ(h.a.q[0].len, 1);
	CHECK_EQ(h.a.q[0].buf[0], 0xff);
	CHECK(!h.a.q[0].marker);
	CHECK_EQ(h.a.q[0].dst.port, 4500);
	CHECK_EQ(h.b.n_q, 0);
	(void)transmit(&h, &h.a, &h.b, H_DROP);
	harness_advance(&h, 20000);
	CHECK_EQ(h.a.n_q, 1);
	harness_free(&h);
}

TEST(engine_late_init_retransmission_dropped)
{
	struct harness h;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	/* a retransmits IKE_SA_INIT; the copy arrives after establishment */
	harness_advance(&h, 4000);
	REQUIRE_EQ(h.a.n_q, 2);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), 0); /* AUTH */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	/* the stale IKE_SA_INIT copy --> neither a new SA nor an answer */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	CHECK_EQ(engine_half_open_count(h.b.e), 0);
	CHECK_EQ(h.b.n_q, 0);
	harness_free(&h);
}
