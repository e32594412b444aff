/* Scenario tests of the IKEv2 engine: two engines, one process, a fake
 * clock (engine_harness.h). Each step names the RFC 7296 message it moves
 * and asserts the state it leads to. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "ike_iana.h"

#include <string.h>

/* Both sides' SA_ADD actions describe the same two ESP SAs: a's outbound
 * is b's inbound and the other way round, keys included (§2.17). */
static void check_child_pair(const struct harness *h)
{
	const struct engine_sa *ao = harness_sa_add(&h->a, false);
	const struct engine_sa *ai = harness_sa_add(&h->a, true);
	const struct engine_sa *bo = harness_sa_add(&h->b, false);
	const struct engine_sa *bi = harness_sa_add(&h->b, true);

	REQUIRE(ao && ai && bo && bi);
	CHECK_EQ(ao->spi, bi->spi);
	CHECK_EQ(bo->spi, ai->spi);
	CHECK_NE(ao->spi, ai->spi);
	CHECK_EQ(ao->enc_key_len, bi->enc_key_len);
	CHECK_GT(ao->enc_key_len, 0);
	CHECK_MEM(ao->enc_key, bi->enc_key, ao->enc_key_len);
	CHECK_MEM(bo->enc_key, ai->enc_key, bo->enc_key_len);
	CHECK_EQ(ao->integ_key_len, bi->integ_key_len);
	CHECK_MEM(ao->integ_key, bi->integ_key, ao->integ_key_len);
	CHECK(memcmp(ao->enc_key, ai->enc_key, ao->enc_key_len) != 0);
	CHECK_EQ(ao->encr, bi->encr);
	CHECK_EQ(ao->icv_len, bi->icv_len);
}

/* Runs IKE_SA_INIT and IKE_AUTH step by step with state assertions. */
static void establish(struct harness *h)
{
	REQUIRE(harness_initiate(h));
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_INIT_SENT);
	/* HDR, SA, KEi, Ni, N(NAT_DETECTION_*), N(FRAG), N(SHA) --> */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->b), ENGINE_IKE_INIT_DONE_R);
	/* <-- HDR, SA, KEr, Nr, N(NAT_DETECTION_*), N(FRAG), N(SHA) */
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_AUTH_SENT);
	/* HDR, SK {IDi, AUTH, SA, TSi, TSr} --> */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->b), ENGINE_IKE_ESTABLISHED);
	/* <-- HDR, SK {IDr, AUTH, SA, TSi, TSr} */
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_ESTABLISHED);
}

TEST(engine_psk_x25519_gcm_establishes)
{
	struct harness h = { 0 };
	struct engine_ike_info ia, ib;
	struct engine_child_info ca;

	harness_conn(&h.a.conn, true, ENCR_AES_GCM_16, 256, 0,
		     PRF_HMAC_SHA2_256, KE_CURVE25519);
	harness_conn(&h.b.conn, false, ENCR_AES_GCM_16, 256, 0,
		     PRF_HMAC_SHA2_256, KE_CURVE25519);
	harness_start(&h, NULL);
	establish(&h);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &ia), 0);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib), 0);
	CHECK(ia.initiator);
	CHECK(!ib.initiator);
	CHECK_EQ(ia.spi_i, ib.spi_i);
	CHECK_EQ(ia.spi_r, ib.spi_r);
	CHECK_EQ(ia.encr, ENCR_AES_GCM_16);
	CHECK_EQ(ia.encr_keylen, 256);
	CHECK_EQ(ia.ke, KE_CURVE25519);
	CHECK(!ia.nat_local && !ia.nat_remote);
	CHECK_EQ(ia.n_children, 1);
	CHECK_EQ(ib.n_children, 1);
	/* Kernel: one SPI reserved, two SAs and out/in/fwd policies each. */
	CHECK_EQ(h.a.n_alloc, 1);
	CHECK_EQ(h.b.n_alloc, 1);
	CHECK_EQ(h.a.n_sa_add, 2);
	CHECK_EQ(h.b.n_sa_add, 2);
	CHECK_EQ(h.a.n_pol_add, 3);
	CHECK_EQ(h.b.n_pol_add, 3);
	check_child_pair(&h);
	REQUIRE_EQ(engine_child_info(h.a.e, ia.ike_id, 0, &ca), 0);
	CHECK_EQ(ca.mode, ENGINE_MODE_TUNNEL);
	CHECK_EQ(ca.encr, ENCR_AES_GCM_16);
	CHECK_EQ(harness_sa_add(&h.a, false)->icv_len, 16);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_UP), 1);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_UP), 1);
	CHECK_EQ(h.a.n_q + h.b.n_q, 0);
	harness_free(&h);
}
