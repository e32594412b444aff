/* An IKE_SA_INIT request answered twice: a COOKIE for the first copy, a
 * real answer for a retransmitted copy once the responder's load fell,
 * while the initiator already repeats the request with the COOKIE
 * (RFC 7296 §2.6). AUTH must cover the request the initiator signs. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_sa.h"

TEST(engine_cookie_and_late_answer_to_a_retransmission)
{
	struct harness h = { 0 };
	struct engine_settings set = { .cookie_threshold = 1,
				       .half_open_timeout_ms = 30000 };
	uint32_t x, y;

	harness_pair_default(&h);
	harness_no_lifetimes(&h);
	harness_start(&h, &set);
	/* Y's half-open SA on b makes b demand a COOKIE from X */
	REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", &y), 0);
	REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", &x), 0);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 2u);
	/* Y: HDR, SA, KEi, Ni --> ; X: HDR, SA, KEi, Ni --> */
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DELIVER), 0);
	/* (b refuses to keep state for X: a COOKIE demand, -ENG_ERR_BUSY) */
	CHECK(transmit_nth(&h, &h.a, &h.b, 0, H_DELIVER) != -1000000);
	harness_collect(&h);
	REQUIRE_EQ(h.b.n_q, 2u); /* Y's answer, X's COOKIE demand */
	REQUIRE_EQ(engine_half_open_count(h.b.e), 1u);
	/* <-- Y's answer; Y completes, b's load falls */
	REQUIRE_EQ(transmit_nth(&h, &h.b, &h.a, 0, H_DELIVER), 0);
	REQUIRE_EQ(transmit_last(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit_last(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(engine_half_open_count(h.b.e), 0u);
	/* X's first request is retransmitted and now answered for real */
	harness_advance(&h, 4100);
	REQUIRE_EQ(h.a.n_q, 1u);
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DELIVER), 0);
	harness_collect(&h);
	REQUIRE_EQ(h.b.n_q, 2u); /* the COOKIE demand, then the answer */
	/* <-- N(COOKIE): a repeats X's request with the COOKIE */
	REQUIRE_EQ(transmit_nth(&h, &h.b, &h.a, 0, H_DELIVER), 0);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 1u);
	/* <-- the answer to the retransmission: a takes it and sends
	 * IKE_AUTH, signing its request with the COOKIE (§2.15) */
	REQUIRE_EQ(transmit_nth(&h, &h.b, &h.a, 0, H_DELIVER), 0);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 2u);
	/* N(COOKIE), SA, KEi, Ni --> (b has an SA for it already) */
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DELIVER), 0);
	/* IKE_AUTH --> and the rest */
	harness_run(&h, 20);
	{
		struct engine_ike_info ia;

		REQUIRE_EQ(engine_ike_info(h.a.e, x, &ia), 0);
		CHECK_EQ(ia.state, ENGINE_IKE_ESTABLISHED);
	}
	CHECK(!harness_logged(&h.b, "AUTHENTICATION_FAILED"));
	CHECK_EQ(engine_ike_count(h.b.e), 2u);
	harness_free(&h);
}
