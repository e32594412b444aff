/* IKE on port 4500 without a NAT: strongSwan moves IKE_AUTH to 4500 when it
 * supports MOBIKE (DESIGN.md), yet sends plain ESP. The CHILD SA must not be
 * UDP-encapsulated then (RFC 7296 §2.23: encapsulation follows NAT
 * detection); keybridge used to encapsulate and no packet passed. */
#include "engine/engine.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

TEST(engine_ike_on_4500_without_nat_keeps_plain_esp)
{
	struct harness h;
	struct engine_ike_info ib;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	/* HDR, SA, KEi, Ni, N(NAT_DETECTION_*) --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	/* <-- HDR, SA, KEr, Nr, N(NAT_DETECTION_*): no NAT either way */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 1);
	/* HDR, SK {IDi, AUTH, SA, TSi, TSr} --> as a MOBIKE peer sends it:
	 * from and to port 4500, with the non-ESP marker */
	h.a.q[0].src.port = 4500;
	h.a.q[0].dst.port = 4500;
	h.a.q[0].marker = true;
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib), 0);
	CHECK(!ib.nat_local);
	CHECK(!ib.nat_remote);
	CHECK_EQ(ib.local.port, 4500); /* IKE stays where the peer moved it */
	const struct engine_sa *out = harness_sa_add(&h.b, false);
	const struct engine_sa *in = harness_sa_add(&h.b, true);
	REQUIRE(out != NULL);
	REQUIRE(in != NULL);
	CHECK(!out->encap);
	CHECK(!in->encap);
	harness_free(&h);
}
