/* Scenario tests of the IKEv2 engine: two engines, one process, a fake
 * clock (engine_harness.h). Each step names the RFC 7296 message it moves
 * and asserts the state it leads to. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/engine_err.h"
#include "ike_iana.h"

#include <string.h>

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
	harness_establish(&h);
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
	harness_check_child_pair(&h);
	REQUIRE_EQ(engine_child_info(h.a.e, ia.ike_id, 0, &ca), 0);
	CHECK_EQ(ca.mode, ENGINE_MODE_TUNNEL);
	CHECK_EQ(ca.encr, ENCR_AES_GCM_16);
	CHECK_EQ(harness_sa_add(&h.a, false)->icv_len, 16);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_UP), 1);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_UP), 1);
	CHECK_EQ(h.a.n_q + h.b.n_q, 0);
	harness_free(&h);
}

/* A host that writes warnings only (env.log_enabled) gets no line above
 * them: the engine does not format the notice and info lines of a
 * handshake for nothing. With every level wanted the same handshake logs
 * them. */
TEST(engine_formats_no_line_the_host_does_not_want)
{
	for (int max = 4; max <= 7; max += 3) {
		struct harness h = { 0 };

		harness_conn(&h.a.conn, true, ENCR_AES_GCM_16, 128, 0,
			     PRF_HMAC_SHA2_256, KE_CURVE25519);
		harness_conn(&h.b.conn, false, ENCR_AES_GCM_16, 128, 0,
			     PRF_HMAC_SHA2_256, KE_CURVE25519);
		h.a.log_max = h.b.log_max = max;
		harness_start(&h, NULL);
		harness_establish(&h);
		CHECK_EQ(h.a.n_log_unwanted, 0);
		CHECK_EQ(h.b.n_log_unwanted, 0);
		CHECK_EQ(harness_logged(&h.b, "IKE SA established (responder)"),
			 max >= 5);
		CHECK_EQ(harness_logged(&h.a, "IKE_SA_INIT done with"),
			 max >= 6);
		harness_free(&h);
	}
}

/* One successful exchange per KE method and ENCR family (PSK). */
TEST(engine_psk_suites_establish)
{
	static const struct {
		uint16_t encr, keylen, integ, prf, ke;
	} s[] = {
		{ ENCR_AES_GCM_16, 128, 0, PRF_HMAC_SHA2_256, KE_CURVE25519 },
		{ ENCR_AES_GCM_16, 256, 0, PRF_HMAC_SHA2_384, KE_ECP_256 },
		{ ENCR_CHACHA20_POLY1305, 0, 0, PRF_HMAC_SHA2_256,
		  KE_CURVE25519 },
		{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256,
		  KE_MODP_2048 },
		{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512,
		  KE_ECP_384 },
		{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA1_96, PRF_HMAC_SHA1,
		  KE_CURVE448 },
		{ ENCR_AES_GCM_16, 256, 0, PRF_HMAC_SHA2_256, KE_ECP_521 },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		struct harness h;
		struct engine_ike_info info;

		test_note("%s_%u/%s/%s/%s", ike_encr_id_name(s[i].encr),
			  s[i].keylen,
			  s[i].integ ? ike_integ_id_name(s[i].integ) : "AEAD",
			  ike_prf_id_name(s[i].prf), ike_ke_id_name(s[i].ke));
		harness_pair(&h, s[i].encr, s[i].keylen, s[i].integ, s[i].prf,
			     s[i].ke);
		harness_start(&h, NULL);
		harness_establish(&h);
		harness_check_child_pair(&h);
		REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &info),
			   0);
		CHECK_EQ(info.encr, s[i].encr);
		CHECK_EQ(info.integ, s[i].integ);
		CHECK_EQ(info.ke, s[i].ke);
		CHECK_EQ(harness_sa_add(&h.a, true)->integ, s[i].integ);
		harness_free(&h);
	}
}

TEST(engine_wrong_psk_fails_auth)
{
	struct harness h;

	harness_pair_default(&h);
	h.b.conn.psk[0] ^= 1;
	harness_start(&h, NULL);
	/* HDR, SA, KEi, Ni --> ; <-- HDR, SA, KEr, Nr */
	harness_sa_init(&h);
	/* HDR, SK {IDi, AUTH(wrong key), SA, TSi, TSr} --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "b-from-a[1]: IKE_AUTH from peer failed"));
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_IKE_FAILED), 1);
	/* <-- HDR, SK {N(AUTHENTICATION_FAILED)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "AUTHENTICATION_FAILED"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_FAILED), 1);
	CHECK_EQ(h.a.n_sa_add + h.b.n_sa_add, 0);
	/* The initiator's reserved SPI is released. */
	CHECK_EQ(h.a.n_alloc, 1);
	CHECK_EQ(h.a.n_sa_del, 1);
	harness_free(&h);
}

TEST(engine_wrong_id_fails_auth)
{
	struct harness h;

	harness_pair_default(&h);
	memcpy(h.a.conn.remote_auth.id.data, "c", 1); /* want c.example */
	harness_start(&h, NULL);
	/* HDR, SA, KEi, Ni --> ; <-- HDR, SA, KEr, Nr */
	harness_sa_init(&h);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	/* b is content: it authenticated a. */
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	/* <-- HDR, SK {IDr(b.example), AUTH, SA, TSi, TSr}: not who a
	 * wants, so a deletes and says so in an INFORMATIONAL. */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "a-to-b[1]: IKE_AUTH failed: peer "
				   "identity does not match"));
	/* HDR, SK {N(AUTHENTICATION_FAILED)} --> b deletes too. */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK_EQ(h.b.n_sa_del, 2); /* b had installed its CHILD SA */
	CHECK_EQ(h.b.n_pol_del, 3);
	harness_free(&h);
}

TEST(engine_responder_rejects_unknown_id)
{
	struct harness h;

	harness_pair_default(&h);
	memcpy(h.a.conn.local_auth.id.data, "x", 1); /* a says x.example */
	harness_start(&h, NULL);
	/* HDR, SA, KEi, Ni --> ; <-- HDR, SA, KEr, Nr */
	harness_sa_init(&h);
	/* HDR, SK {IDi(x.example), AUTH, ...} --> no such peer */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "peer identity does not match"));
	/* <-- N(AUTHENTICATION_FAILED) */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	harness_free(&h);
}

TEST(engine_no_common_proposal)
{
	struct harness h;

	harness_pair(&h, ENCR_AES_GCM_16, 256, 0, PRF_HMAC_SHA2_256,
		     KE_CURVE25519);
	harness_conn(&h.b.conn, false, ENCR_AES_CBC, 128,
		     AUTH_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256, KE_CURVE25519);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	/* HDR, SA(AES-GCM), KEi, Ni --> nothing b accepts */
	CHECK_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_NO_PROPOSAL);
	CHECK_EQ(engine_ike_count(h.b.e), 0);
	CHECK(harness_logged(&h.b, "no acceptable proposal"));
	/* <-- HDR, N(NO_PROPOSAL_CHOSEN) */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "a-to-b[1]: IKE_SA_INIT refused by peer: "
				   "NO_PROPOSAL_CHOSEN"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_FAILED), 1);
	harness_free(&h);
}

TEST(engine_ts_mismatch_keeps_ike_sa)
{
	struct harness h;

	harness_pair_default(&h);
	/* b only protects 10.9.0.0/16 behind it: nothing a proposes fits. */
	harness_ts4(&h.b.conn.children[0].local_ts[0], "10.9.0.0",
		    "10.9.255.255");
	harness_start(&h, NULL);
	harness_establish(&h);
	CHECK(harness_logged(&h.b, "CHILD SA refused: traffic selectors "
				   "unacceptable"));
	CHECK(harness_logged(&h.a, "peer refused the CHILD SA: "
				   "TS_UNACCEPTABLE"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_FAILED), 1);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_FAILED), 1);
	CHECK_EQ(h.a.n_sa_add + h.b.n_sa_add, 0);
	CHECK_EQ(h.a.n_sa_del, 1); /* a's reserved SPI released */
	harness_free(&h);
}

TEST(engine_ts_narrowed_by_responder)
{
	struct harness h;
	struct engine_child_info ca, cb;

	harness_pair_default(&h);
	/* b allows only 10.1.5.0/24 of a's 10.1.0.0/16 (§2.9). */
	harness_ts4(&h.b.conn.children[0].remote_ts[0], "10.1.5.0",
		    "10.1.5.255");
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_child_info(h.a.e, harness_ike_id(&h.a), 0, &ca), 0);
	REQUIRE_EQ(engine_child_info(h.b.e, harness_ike_id(&h.b), 0, &cb), 0);
	CHECK_EQ(ca.n_local_ts, 1);
	CHECK_EQ(ca.local_ts[0].start[2], 5);
	CHECK_EQ(ca.local_ts[0].end[2], 5);
	CHECK_EQ(ca.local_ts[0].end[3], 255);
	CHECK_MEM(ca.local_ts[0].start, cb.remote_ts[0].start, 4);
	CHECK_EQ(ca.remote_ts[0].start[1], 2);
	harness_check_child_pair(&h);
	harness_free(&h);
}

TEST(engine_esp_no_proposal_keeps_ike_sa)
{
	struct harness h;
	struct engine_child_cfg *ch;

	harness_pair_default(&h);
	ch = &h.b.conn.children[0];
	ch->esp[0].x[0] =
		(struct engine_xform){ TRANS_ENCR, ENCR_CHACHA20_POLY1305, 0 };
	harness_start(&h, NULL);
	harness_establish(&h);
	CHECK(harness_logged(&h.a, "peer refused the CHILD SA: "
				   "NO_PROPOSAL_CHOSEN"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_UP), 1);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_FAILED), 1);
	CHECK_EQ(h.a.n_sa_add + h.b.n_sa_add, 0);
	harness_free(&h);
}

TEST(engine_transport_mode)
{
	struct harness h;
	struct engine_child_info ca;

	harness_pair_default(&h);
	h.a.conn.children[0].mode = ENGINE_MODE_TRANSPORT;
	h.b.conn.children[0].mode = ENGINE_MODE_TRANSPORT;
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_child_info(h.a.e, harness_ike_id(&h.a), 0, &ca), 0);
	CHECK_EQ(ca.mode, ENGINE_MODE_TRANSPORT);
	CHECK_EQ(harness_sa_add(&h.b, true)->mode, ENGINE_MODE_TRANSPORT);
	CHECK_EQ(h.a.n_pol_add, 2); /* in and out, no fwd */
	harness_check_child_pair(&h);
	harness_free(&h);
}

TEST(engine_invalid_ke_retry)
{
	struct harness h;
	struct engine_ike_info info;
	struct engine_proposal *p;

	harness_pair_default(&h);
	/* a prefers ECP_256 but also offers X25519; b only X25519. */
	p = &h.a.conn.ike[0];
	p->x[p->n - 1].id = KE_ECP_256;
	p->x[p->n++] = (struct engine_xform){ TRANS_KE, KE_CURVE25519, 0 };
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	/* HDR, SA, KEi(ECP_256), Ni --> */
	CHECK_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_INVALID_KE);
	CHECK_EQ(engine_ike_count(h.b.e), 0); /* stateless */
	/* <-- HDR, N(INVALID_KE_PAYLOAD, CURVE25519) */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_INIT_SENT);
	CHECK(harness_logged(&h.a, "responder wants KE CURVE25519"));
	/* HDR, SA, KEi(CURVE25519), Ni --> and on as usual */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &info), 0);
	CHECK_EQ(info.ke, KE_CURVE25519);
	harness_check_child_pair(&h);
	harness_free(&h);
}

TEST(engine_responder_prefers_sent_ke)
{
	struct harness h;
	struct engine_ike_info info;
	struct engine_proposal *p;

	harness_pair_default(&h);
	/* Both offer X25519 and ECP_256; a sends ECP_256 first and b,
	 * though it prefers X25519, takes it rather than a round trip. */
	p = &h.a.conn.ike[0];
	p->x[p->n - 1].id = KE_ECP_256;
	p->x[p->n++] = (struct engine_xform){ TRANS_KE, KE_CURVE25519, 0 };
	p = &h.b.conn.ike[0];
	p->x[p->n++] = (struct engine_xform){ TRANS_KE, KE_ECP_256, 0 };
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &info), 0);
	CHECK_EQ(info.ke, KE_ECP_256);
	harness_free(&h);
}

/* ESN is negotiated like any transform (RFC 7296 §3.3.2, type 5). */
TEST(engine_esn_negotiation)
{
	struct harness h;
	struct engine_proposal *pa, *pb;

	harness_pair_default(&h);
	pa = &h.a.conn.children[0].esp[0];
	pb = &h.b.conn.children[0].esp[0];
	/* a offers ESN then no ESN; b prefers ESN: ESN it is */
	pa->x[pa->n++] = (struct engine_xform){ TRANS_ESN, ESN_YES, 0 };
	pa->x[pa->n++] = (struct engine_xform){ TRANS_ESN, ESN_NONE, 0 };
	pb->x[pb->n++] = (struct engine_xform){ TRANS_ESN, ESN_YES, 0 };
	harness_start(&h, NULL);
	harness_establish(&h);
	CHECK(harness_sa_add(&h.a, true)->esn);
	CHECK(harness_sa_add(&h.b, false)->esn);
	harness_free(&h);
	/* b without ESN (implicitly "no ESN"): a's second choice */
	harness_pair_default(&h);
	pa = &h.a.conn.children[0].esp[0];
	pa->x[pa->n++] = (struct engine_xform){ TRANS_ESN, ESN_YES, 0 };
	pa->x[pa->n++] = (struct engine_xform){ TRANS_ESN, ESN_NONE, 0 };
	harness_start(&h, NULL);
	harness_establish(&h);
	CHECK(!harness_sa_add(&h.a, true)->esn);
	harness_check_child_pair(&h);
	harness_free(&h);
	/* a insists on ESN, b cannot: the CHILD SA fails, IKE SA stays */
	harness_pair_default(&h);
	pa = &h.a.conn.children[0].esp[0];
	pa->x[pa->n++] = (struct engine_xform){ TRANS_ESN, ESN_YES, 0 };
	harness_start(&h, NULL);
	harness_establish(&h);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_FAILED), 1);
	harness_free(&h);
}

/* RFC 6023: a connection without children brings up the IKE SA alone. */
TEST(engine_childless_ike_sa)
{
	struct harness h;
	struct engine_ike_info ib;

	harness_pair_default(&h);
	h.a.conn.n_children = 0;
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(harness_run(&h, 10), 4);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib), 0);
	CHECK_EQ(ib.n_children, 0u);
	CHECK_EQ(h.a.n_sa_add + h.b.n_sa_add, 0u);
	CHECK_EQ(h.a.n_alloc + h.b.n_alloc, 0u);
	CHECK(harness_logged(&h.b, "childless (RFC 6023)"));
	harness_free(&h);
}

/* childless = force: IKE_AUTH alone, then CREATE_CHILD_SA for the
 * first children entry. */
TEST(engine_childless_force_then_create_child)
{
	struct harness h;

	harness_pair_default(&h);
	h.a.conn.childless = ENGINE_CHILDLESS_FORCE;
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(harness_run(&h, 10), 6);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	harness_check_kernels(&h, 1, 3);
	harness_check_child_pair(&h);
	harness_free(&h);
}

/* The responder says childless = never: it does not announce RFC 6023
 * support and the initiator gives up rather than send IKE_AUTH alone. */
TEST(engine_childless_refused_by_responder)
{
	struct harness h;

	harness_pair_default(&h);
	h.a.conn.n_children = 0;
	h.b.conn.childless = ENGINE_CHILDLESS_NEVER;
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "a-to-b[1]: the connection has no CHILD SA "
				   "to negotiate, and the peer does not "
				   "announce childless IKE SAs (RFC 6023)"));
	harness_free(&h);
}
