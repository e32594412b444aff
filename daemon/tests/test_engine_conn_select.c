/* How a responder with several connections picks one (RFC 7296 §2.15):
 * IKE_SA_INIT settles the IKE proposal before the peer's identity is
 * known, from the first connection whose addresses fit; IKE_AUTH then
 * names the connection by identity, which must allow what was settled. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "ike_iana.h"

#include <string.h>

/* b holds "lax" (peer ID a.example, AES-CBC-128/SHA-256/MODP-2048), listed
 * first, and "strict" (peer ID strict.example, only
 * AES-GCM-256/PRF-SHA384/ECP-384). */
static void select_setup(struct harness *h, struct engine_conn b[2])
{
	harness_pair(h, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128,
		     PRF_HMAC_SHA2_256, KE_MODP_2048);
	b[0] = h->b.conn;
	strcpy(b[0].name, "lax");
	harness_conn(&b[1], false, ENCR_AES_GCM_16, 256, 0, PRF_HMAC_SHA2_384,
		     KE_ECP_384);
	strcpy(b[1].name, "strict");
	b[1].remote_auth.id.len = (uint16_t)strlen("strict.example");
	memcpy(b[1].remote_auth.id.data, "strict.example",
	       b[1].remote_auth.id.len);
	/* a claims the strict connection's identity */
	h->a.conn.local_auth.id = b[1].remote_auth.id;
	harness_start(h, NULL);
	harness_restart_b_with(h, b, 2);
}

/* Regression (robustness issue, bug 1): the strict connection came up
 * with the lax connection's AES-CBC/MODP-2048 suite. */
TEST(engine_conn_select_refuses_suite_the_connection_forbids)
{
	struct harness h = { 0 };
	struct engine_conn b[2];

	select_setup(&h, b);
	harness_initiate(&h);
	/* HDR, SAi1(AES-CBC-128, MODP-2048), KEi, Ni  --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_INIT_DONE_R);
	/*        <--  HDR, SAr1, KEr, Nr (lax's suite) */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* HDR, SK {IDi = strict.example, AUTH, SAi2, TSi, TSr}  --> */
	transmit(&h, &h.a, &h.b, H_DELIVER);
	/*        <--  HDR, SK {N(AUTHENTICATION_FAILED)} */
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK_EQ(h.b.n_sa_add, 0u);
	CHECK_EQ(h.b.n_pol_add, 0u);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_IKE_UP), 0u);
	CHECK(harness_logged(&h.b, "matches connection 'strict', which does "
				   "not allow this IKE SA"));
	transmit(&h, &h.b, &h.a, H_DELIVER);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_UP), 0u);
	harness_free(&h);
}

/* The suite the strict connection allows still brings it up when the
 * connection listed first allows it too; the AUTH method is part of the
 * check (a PSK connection never accepts a signature and back). */
TEST(engine_conn_select_accepts_suite_both_allow)
{
	struct harness h = { 0 };
	struct engine_conn b[2];
	struct engine_ike_info info;

	harness_pair(&h, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128,
		     PRF_HMAC_SHA2_256, KE_MODP_2048);
	b[0] = h.b.conn;
	strcpy(b[0].name, "first");
	b[0].remote_auth.method = ENGINE_AUTH_PUBKEY; /* never matches PSK */
	memset(&b[0].remote_auth.id, 0, sizeof(b[0].remote_auth.id));
	b[1] = h.b.conn;
	strcpy(b[1].name, "second");
	harness_start(&h, NULL);
	harness_restart_b_with(&h, b, 2);
	harness_initiate(&h);
	harness_run(&h, 10);
	REQUIRE_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &info), 0);
	CHECK_EQ(strcmp(info.conn, "second"), 0);
	CHECK_EQ(h.b.n_sa_add, 2u);
	harness_free(&h);
}
