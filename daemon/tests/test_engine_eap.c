/* EAP-MSCHAPv2 in IKE_AUTH (RFC 7296 §2.16) between two engines: b is
 * the EAP server and proves itself with a signature (a raw ECDSA key a
 * trusts), a is the EAP client (carol). Every round is its own exchange;
 * the last pair carries AUTH keyed with the MSK and the CHILD SA. The
 * server's refusals are also driven with crafted EAP messages straight
 * into its state machine (eap.c) once an SA waits in EAP. */
#include "tests/engine_harness.h"
#include "tests/sig_util.h"
#include "tests/test.h"

#include "crypto/auth.h"
#include "crypto/mschapv2.h"
#include "engine/eap.h"
#include "engine/eap_msg.h"
#include "engine/pool.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

/* b's signing key and the public half a pins; made by eap_pair(),
 * freed by eap_done() */
static struct su_keys keys;

static struct engine_eap_user users[2];

static void user_set(struct engine_eap_user *u, const char *id,
		     const char *password)
{
	memset(u, 0, sizeof(*u));
	u->id_len = (uint16_t)strlen(id);
	memcpy(u->id, id, u->id_len);
	REQUIRE_EQ(mschapv2_nt_hash(password, strlen(password), u->nt_hash), 0);
}

/* a: EAP client `me` with `password`; b: EAP server with carol and
 * a.example, identity rule `mode`; both engines started. */
static void eap_pair(struct harness *h, const char *me, const char *password,
		     enum engine_eap_id mode)
{
	if (!keys.priv)
		su_keys_make(&keys, "EC", "P-256");
	harness_pair_default(h);
	user_set(&users[0], "carol", "Ar3etTnp");
	user_set(&users[1], "a.example", "fqdn-pass");
	h->a.conn.local_auth.method = ENGINE_AUTH_EAP_MSCHAPV2;
	user_set(&h->a.conn.eap_client, me, password);
	h->a.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.remote_auth.key = keys.pub;
	h->b.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.local_auth.key = keys.priv;
	h->b.conn.remote_auth.method = ENGINE_AUTH_EAP_MSCHAPV2;
	h->b.conn.eap_id_mode = mode;
	h->b.conn.eap_users = users;
	h->b.conn.n_eap_users = 2;
}

static void eap_start(struct harness *h, const char *me, const char *password,
		      enum engine_eap_id mode)
{
	eap_pair(h, me, password, mode);
	harness_start(h, NULL);
}

static void eap_done(struct harness *h)
{
	harness_free(h);
	su_keys_free(&keys);
}

/* IKE_SA_INIT, then the first IKE_AUTH pair. */
static void eap_begin(struct harness *h)
{
	/* HDR, SA, KEi, Ni --> ; <-- HDR, SA, KEr, Nr */
	harness_sa_init(h);
	/* HDR, SK {IDi, SA, TSi, TSr} -->   (no AUTH: EAP, §2.16) */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->b), ENGINE_IKE_EAP_R);
	CHECK_EQ(engine_half_open_count(h->b.e), 1);
	/* <-- HDR, SK {IDr, AUTH, EAP(Request)} */
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_AUTH_SENT);
}

static void eap_established(struct harness *h, size_t rounds)
{
	for (size_t i = 0; i < rounds; i++) {
		/* HDR, SK {EAP(Response)} --> */
		REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
		CHECK_EQ(harness_state(&h->b), ENGINE_IKE_EAP_R);
		/* <-- HDR, SK {EAP(Request or Success)} */
		REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
		CHECK_EQ(harness_state(&h->a), ENGINE_IKE_AUTH_SENT);
	}
	/* HDR, SK {AUTH(MSK)} --> */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->b), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(engine_half_open_count(h->b.e), 0);
	/* <-- HDR, SK {AUTH(MSK), SA, TSi, TSr} */
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_ESTABLISHED);
	CHECK(harness_logged(&h->b, "peer authenticated with EAP-MSCHAPv2"));
	CHECK(harness_logged(&h->a, "authenticated with EAP-MSCHAPv2"));
	harness_check_child_pair(h);
	harness_check_kernels(h, 1, 3);
	CHECK_EQ(harness_events(&h->a, ENGINE_EV_IKE_UP), 1);
	CHECK_EQ(harness_events(&h->b, ENGINE_EV_IKE_UP), 1);
}

/* eap_id unset: a's IKE identity (a.example) is its EAP user; rounds:
 * Challenge/Response, Success/ack, EAP-Success/AUTH. */
TEST(engine_eap_ike_identity)
{
	struct harness h;

	eap_start(&h, "a.example", "fqdn-pass", ENGINE_EAP_ID_IKE);
	eap_begin(&h);
	eap_established(&h, 2);
	CHECK(harness_logged(&h.b, "'a.example' gave the right password"));
	eap_done(&h);
}

/* eap_id = %any: EAP-Identity first, then carol's password. */
TEST(engine_eap_identity_round)
{
	struct harness h;

	eap_start(&h, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
	eap_begin(&h);
	eap_established(&h, 3);
	CHECK(harness_logged(&h.b, "EAP: peer is 'carol'"));
	eap_done(&h);
}

/* eap_id = dave: carol is refused at her identity. */
TEST(engine_eap_fixed_identity_refuses_another_user)
{
	struct harness h;

	eap_pair(&h, "carol", "Ar3etTnp", ENGINE_EAP_ID_FIXED);
	memcpy(h.b.conn.eap_id, "dave", 4);
	h.b.conn.eap_id_len = 4;
	harness_start(&h, NULL);
	eap_begin(&h);
	/* HDR, SK {EAP(Identity carol)} --> refused */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "is not the one the connection accepts"));
	/* <-- HDR, SK {EAP(Failure), N(AUTHENTICATION_FAILED)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	eap_done(&h);
}

/* A wrong password, RFC 2759 §6 in EAP: the server says why in MS-CHAPv2
 * (E=691, no retry), the client acknowledges, EAP-Failure ends it with
 * AUTHENTICATION_FAILED; neither side sends anything after. */
TEST(engine_eap_wrong_password)
{
	struct harness h;
	size_t sent;

	eap_start(&h, "carol", "not her password", ENGINE_EAP_ID_ANY);
	eap_begin(&h);
	/* Identity round */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* HDR, SK {EAP(MSCHAPv2 Response)} --> wrong NT-Response */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_EAP_R);
	CHECK(harness_logged(&h.b, "wrong password for 'carol'; answering "
				   "MSCHAPv2 Failure (E=691, no retry)"));
	/* <-- HDR, SK {EAP(MSCHAPv2 Failure "E=691 R=0 C=... V=3 M=...")} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_AUTH_SENT);
	CHECK(harness_logged(&h.a, "the server refuses us (E=691, "
				   "authentication failure): \"E=691 R=0 C="));
	/* HDR, SK {EAP(Response/MSCHAPv2 Failure)} --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "'carol' acknowledged the failure"));
	CHECK(harness_logged(&h.b, "b-from-a[1]: IKE_AUTH with EAP failed for "
				   "user 'carol': EAP authentication failed; "
				   "answering EAP-Failure and "
				   "AUTHENTICATION_FAILED"));
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_IKE_FAILED), 1);
	CHECK_EQ(engine_half_open_count(h.b.e), 0);
	/* <-- HDR, SK {EAP(Failure), N(AUTHENTICATION_FAILED)} */
	sent = h.a.n_sent;
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "EAP-Failure: 'carol' is not "
				   "authenticated"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_FAILED), 1);
	/* §2.21.2: the server's SA is gone, nothing to tell it */
	CHECK_EQ(h.a.n_sent, sent);
	CHECK_EQ(h.a.n_q, 0);
	eap_done(&h);
}

/* A user without an EAP secret gets the same MSCHAPv2 Failure as a wrong
 * password (user names cannot be probed), and the same end. */
TEST(engine_eap_unknown_user_gets_mschapv2_failure)
{
	struct harness h;

	eap_start(&h, "mallory", "whatever", ENGINE_EAP_ID_ANY);
	eap_begin(&h);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0); /* Identity */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0); /* Challenge */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0); /* Response */
	CHECK(harness_logged(&h.b, "no EAP secret for 'mallory'"));
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0); /* Failure */
	CHECK(harness_logged(&h.a, "M=wrong user name or password"));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0); /* ack */
	CHECK(harness_logged(&h.b, "IKE_AUTH with EAP failed for user "
				   "'mallory'"));
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0); /* EAP-Failure */
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	eap_done(&h);
}

/* After its MSCHAPv2 Failure the server takes only the acknowledgement:
 * a new Response (a retry it did not offer) ends in EAP-Failure. */
TEST(engine_eap_server_refuses_a_retry_it_did_not_offer)
{
	uint8_t in[96], out[EAP_MSG_MAX];
	struct harness h;
	struct ike_sa *sa;
	struct eap_msg m;
	size_t len;
	long n;

	eap_start(&h, "carol", "not her password", ENGINE_EAP_ID_ANY);
	eap_begin(&h);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	sa = ike_sa_by_id(h.b.e, harness_ike_id(&h.b));
	REQUIRE(sa && sa->eap);
	CHECK_EQ(sa->eap->state, EAP_R_FAILURE_SENT);
	/* Response/MSCHAPv2 Response again, 49 bytes of value, name "carol" */
	n = test_unhex("02 00 0040 1a 02 00 003b 31"
		       "00000000000000000000000000000000" /* peer chal. */
		       "0000000000000000"		  /* reserved */
		       "000000000000000000000000000000000000000000000000"
		       "00 6361726f6c",
		       in, sizeof(in));
	REQUIRE_EQ(n, 64);
	in[1] = sa->eap->identifier;
	CHECK_EQ(eap_r_process(sa, sa->eap, in, (size_t)n, out, sizeof(out),
			       &len),
		 -ENG_ERR_EAP);
	REQUIRE_EQ(eap_msg_decode(&m, out, len), 0);
	CHECK_EQ(m.code, EAP_CODE_FAILURE);
	CHECK(harness_logged(&h.b, "out of sequence"));
	eap_done(&h);
}

/* Our client against crafted server Failures: the error code and the
 * retry flag are read and logged, the answer is the one-octet
 * Response/Failure; a Failure before we answered a Challenge is refused. */
TEST(engine_eap_client_acknowledges_server_failure)
{
	static const char *const texts[] = {
		"E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=try again",
		"E=648 R=0 V=3",
		"garbage without fields",
	};
	static const char *const logs[] = {
		"(E=691, authentication failure; it allows a retry, we have "
		"no other password)",
		"(E=648, password expired)",
		"(E=-1, unknown error)",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct eap_ms ms = { .op = EAP_MS_FAILURE, .ms_id = 7 };
		uint8_t in[128], out[EAP_MSG_MAX];
		struct harness h;
		struct ike_sa *sa;
		struct eap_msg m;
		size_t len, n;

		eap_start(&h, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
		eap_begin(&h);
		sa = ike_sa_by_id(h.a.e, harness_ike_id(&h.a));
		REQUIRE(sa && sa->eap_i);
		ms.message = (struct ike_bytes){ (const uint8_t *)texts[i],
						 strlen(texts[i]) };
		REQUIRE_EQ(eap_msg_encode_ms(EAP_CODE_REQUEST, 42, &ms, in,
					     sizeof(in), &n),
			   0);
		/* not after a Challenge yet: out of sequence */
		sa->eap_i->state = EAP_I_WAIT;
		CHECK_EQ(eap_i_process(sa, sa->eap_i, in, n, out, sizeof(out),
				       &len),
			 -ENG_ERR_EAP);
		sa->eap_i->state = EAP_I_RESPONDED;
		CHECK_EQ(eap_i_process(sa, sa->eap_i, in, n, out, sizeof(out),
				       &len),
			 EAP_I_MORE);
		REQUIRE_EQ(eap_msg_decode(&m, out, len), 0);
		CHECK_EQ(m.code, EAP_CODE_RESPONSE);
		CHECK_EQ(m.identifier, 42);
		CHECK_EQ(m.type, EAP_TYPE_MSCHAPV2);
		CHECK_EQ(m.ms.op, EAP_MS_FAILURE);
		CHECK_EQ(len, 6);
		if (!harness_logged(&h.a, logs[i]))
			test_fail(__FILE__, __LINE__, "case %zu: no \"%s\"", i,
				  logs[i]);
		CHECK_EQ(sa->eap_i->state, EAP_I_FAILED);
		/* then EAP-Failure: the server ended it */
		REQUIRE_EQ(eap_msg_encode_result(EAP_CODE_FAILURE, 42, in,
						 sizeof(in), &n),
			   0);
		CHECK_EQ(eap_i_process(sa, sa->eap_i, in, n, out, sizeof(out),
				       &len),
			 -ENG_ERR_PEER);
		harness_free(&h);
	}
	su_keys_free(&keys);
}

/* A lost response in the middle of the rounds: a retransmits its
 * request, b answers from its cache (the same message ID), and the
 * exchange goes on. */
TEST(engine_eap_lost_response_is_retransmitted)
{
	struct harness h;

	eap_start(&h, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
	eap_begin(&h);
	/* HDR, SK {EAP(Identity)} --> ; <-- response lost */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DROP), 0);
	REQUIRE(harness_next_timer(&h, 10000));
	/* retransmitted request --> ; <-- cached response */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK(harness_logged(&h.b, "retransmitted IKE_AUTH request 2"));
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	eap_established(&h, 2);
	eap_done(&h);
}

/* b's connection wants a signature: an EAP client is refused at once. */
TEST(engine_eap_client_refused_by_non_eap_responder)
{
	struct harness h;

	eap_pair(&h, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
	h.b.conn.remote_auth.method = ENGINE_AUTH_PSK;
	harness_start(&h, NULL);
	/* HDR, SA, KEi, Ni --> ; <-- HDR, SA, KEr, Nr */
	harness_sa_init(&h);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "no AUTH: EAP"));
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "AUTHENTICATION_FAILED"));
	eap_done(&h);
}

/* Crafted EAP messages into b's server once it waits for carol's
 * identity: each is refused with EAP-Failure carrying the right
 * Identifier, and a good one goes on. */
TEST(engine_eap_server_refuses_out_of_sequence_messages)
{
	struct {
		const char *hex, *why;
	} bad[] = {
		/* wrong Identifier: filled in below as id + 1 */
		{ "02 00 000a 01 6361726f6c", "out of sequence" },
		/* a Request instead of a Response */
		{ "01 00 000a 01 6361726f6c", "out of sequence" },
		/* an MSCHAPv2 Success ack before any challenge */
		{ "02 00 0006 1a 03", "out of sequence" },
		/* a Nak */
		{ "02 00 0006 03 04", "Nak" },
		/* EAP length wrong */
		{ "02 00 0008 01 6361726f6c", "malformed" },
		/* an empty identity */
		{ "02 00 0005 01", "identity of 0 bytes" },
	};
	struct harness h;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[64], out[EAP_MSG_MAX];
		struct ike_sa *sa;
		struct eap_msg m;
		size_t len;
		long n;

		eap_start(&h, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
		eap_begin(&h);
		sa = ike_sa_by_id(h.b.e, harness_ike_id(&h.b));
		REQUIRE(sa && sa->eap);
		n = test_unhex(bad[i].hex, in, sizeof(in));
		REQUIRE_GE(n, 4);
		in[1] = (uint8_t)(sa->eap->identifier + (i == 0));
		CHECK_LT(eap_r_process(sa, sa->eap, in, (size_t)n, out,
				       sizeof(out), &len),
			 0);
		REQUIRE_EQ(eap_msg_decode(&m, out, len), 0);
		CHECK_EQ(m.code, EAP_CODE_FAILURE);
		/* §4.2: ours, the peer's was wrong or did not matter */
		CHECK_EQ(m.identifier, sa->eap->identifier);
		if (!harness_logged(&h.b, bad[i].why))
			test_fail(__FILE__, __LINE__, "case %zu: no \"%s\"", i,
				  bad[i].why);
		harness_free(&h);
	}
	su_keys_free(&keys);
}

/* ---- a road warrior's virtual address with EAP ---- */

/* a: carol or dave with an IPv4 address as IKE identity (as Windows
 * sends), asking for an IPv4 address; b leases from pool "rw"
 * 10.3.0.1-10.3.0.4 to any identity and asks for the EAP identity. */
static void eap_rw_start(struct harness *h, const char *me,
			 const char *password)
{
	struct engine_pool pool = { .family = AF_INET };
	struct engine_id *id;

	eap_pair(h, me, password, ENGINE_EAP_ID_ANY);
	user_set(&users[1], "dave", "dave's pass");
	id = &h->a.conn.local_auth.id;
	memset(id, 0, sizeof(*id));
	id->type = ID_IPV4_ADDR;
	id->len = 4;
	inet_pton(AF_INET, "192.0.2.1", id->data);
	h->a.conn.n_vips = 1;
	h->a.conn.vips[0].family = AF_INET;
	h->a.conn.vips[0].prefix = 32;
	harness_ts4(&h->a.conn.children[0].local_ts[0], "0.0.0.0",
		    "255.255.255.255");
	h->b.conn.n_pools = 1;
	snprintf(h->b.conn.pools[0], sizeof(h->b.conn.pools[0]), "rw");
	h->b.conn.remote_auth.id.type = 0; /* %any */
	harness_ts4(&h->b.conn.children[0].remote_ts[0], "0.0.0.0",
		    "255.255.255.255");
	snprintf(pool.name, sizeof(pool.name), "rw");
	inet_pton(AF_INET, "10.3.0.1", pool.first);
	inet_pton(AF_INET, "10.3.0.4", pool.last);
	harness_start(h, NULL);
	REQUIRE_EQ(engine_pools_replace(h->b.e, &pool, 1), 0);
}

/* Lease `j` of b's pool is `ip` for the text identity `who`, online or
 * not. */
static void eap_rw_lease(struct harness *h, size_t j, const char *ip,
			 const char *who, bool online)
{
	struct engine_pool_lease l;
	char s[INET_ADDRSTRLEN];

	REQUIRE_EQ(engine_pool_lease(h->b.e, 0, j, &l), 0);
	inet_ntop(AF_INET, l.ip, s, sizeof(s));
	CHECK_STR(s, ip);
	CHECK_EQ(l.id.type, ID_FQDN);
	CHECK_EQ(l.id.len, strlen(who));
	CHECK_MEM(l.id.data, who, strlen(who));
	CHECK_EQ(l.online, online);
}

/* The lease belongs to the EAP identity, not to IDi: carol and dave come
 * with the same IDi (192.0.2.1, as two Windows laptops behind one NAT
 * would) and get two addresses; carol coming back gets hers again. */
TEST(engine_eap_lease_keyed_by_eap_identity)
{
	struct engine_pool_lease l;
	struct harness h;

	eap_rw_start(&h, "carol", "Ar3etTnp");
	/* IDi(192.0.2.1), CP(CFG_REQUEST) -->; EAP-Identity, Challenge,
	 * Success rounds; AUTH(MSK) --> <-- AUTH(MSK), CP(CFG_REPLY) */
	eap_begin(&h);
	eap_established(&h, 3);
	CHECK(harness_logged(&h.b, "leased virtual address 10.3.0.1 from "
				   "pool 'rw' to 'carol'"));
	CHECK(harness_logged(&h.a, "peer assigned virtual address 10.3.0.1"));
	eap_rw_lease(&h, 0, "10.3.0.1", "carol", true);

	/* dave, same IDi, while carol's SA is up: another address */
	user_set(&h.a.conn.eap_client, "dave", "dave's pass");
	harness_restart_a_with(&h, &h.a.conn);
	REQUIRE(harness_initiate(&h));
	harness_run(&h, 20);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK(harness_logged(&h.b, "leased virtual address 10.3.0.2 from "
				   "pool 'rw' to 'dave'"));
	eap_rw_lease(&h, 1, "10.3.0.2", "dave", true);

	/* carol again (a second device): her address, no third lease */
	user_set(&h.a.conn.eap_client, "carol", "Ar3etTnp");
	harness_restart_a_with(&h, &h.a.conn);
	REQUIRE(harness_initiate(&h));
	harness_run(&h, 20);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK(harness_logged(&h.a, "peer assigned virtual address 10.3.0.1"));
	eap_rw_lease(&h, 0, "10.3.0.1", "carol", true);
	CHECK_EQ(engine_pool_lease(h.b.e, 0, 2, &l), -ENOENT);
	eap_done(&h);
}

/* An SA in EAP rounds is half-open (its peer proved nothing yet): with
 * half_open_per_peer = 2, two SAs of one address waiting in EAP keep a
 * third IKE_SA_INIT of that address out. */
TEST(engine_eap_rounds_count_against_half_open_per_peer)
{
	struct engine_settings set = { .cookie_threshold = 1000,
				       .half_open_per_peer = 2 };
	struct harness h;

	eap_pair(&h, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
	harness_start(&h, &set);
	for (int i = 0; i < 2; i++) {
		REQUIRE(harness_initiate(&h));
		/* IKE_SA_INIT --> <--, IKE_AUTH (no AUTH) --> <-- EAP */
		for (int j = 0; j < 2; j++) {
			REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
			REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
		}
		/* the user is slow: a's EAP response does not arrive */
		REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DROP), 0);
	}
	CHECK_EQ(engine_half_open_count(h.b.e), 2);
	CHECK(harness_logged(&h.b, "sent our AUTH and EAP-Identity request"));
	CHECK(!harness_logged(&h.b, "one address holds half_open_per_peer"));
	REQUIRE(harness_initiate(&h));
	CHECK_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), -ENG_ERR_BUSY);
	CHECK(harness_logged(&h.b, "one address holds half_open_per_peer"));
	CHECK_EQ(engine_half_open_count(h.b.e), 2);
	eap_done(&h);
}
