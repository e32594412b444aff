/* EAP-MSCHAPv2 in IKE_AUTH (RFC 7296 §2.16) between two engines: b is
 * the EAP server and proves itself with a signature (a raw ECDSA key a
 * trusts), a is the EAP client (carol). Every round is its own exchange;
 * the last pair carries AUTH keyed with the MSK and the CHILD SA. The
 * server's refusals are also driven with crafted EAP messages straight
 * into its state machine (eap.c) once an SA waits in EAP. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "crypto/auth.h"
#include "crypto/mschapv2.h"
#include "engine/eap.h"
#include "engine/eap_msg.h"
#include "ike_iana.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct eap_keys {
	struct auth_key *priv, *pub;
};

/* b's signing key and the public half a pins, loaded as the daemon
 * loads them. */
static void keys_make(struct eap_keys *k)
{
	char kp[] = "/tmp/kb-eap-key-XXXXXX", pp[] = "/tmp/kb-eap-pub-XXXXXX";
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *f1 = fdopen(mkstemp(kp), "w"), *f2 = fdopen(mkstemp(pp), "w");

	REQUIRE(pk && f1 && f2);
	REQUIRE(PEM_write_PrivateKey(f1, pk, NULL, NULL, 0, NULL, NULL));
	REQUIRE(PEM_write_PUBKEY(f2, pk));
	fclose(f1);
	fclose(f2);
	REQUIRE_EQ(auth_key_load_private(kp, &k->priv), 0);
	REQUIRE_EQ(auth_key_load_public(pp, &k->pub), 0);
	unlink(kp);
	unlink(pp);
	EVP_PKEY_free(pk);
}

static void keys_free(struct eap_keys *k)
{
	auth_key_free(k->priv);
	auth_key_free(k->pub);
}

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
static void eap_pair(struct harness *h, struct eap_keys *k, const char *me,
		     const char *password, enum engine_eap_id mode)
{
	harness_pair_default(h);
	user_set(&users[0], "carol", "Ar3etTnp");
	user_set(&users[1], "a.example", "fqdn-pass");
	h->a.conn.local_auth.method = ENGINE_AUTH_EAP_MSCHAPV2;
	user_set(&h->a.conn.eap_client, me, password);
	h->a.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.remote_auth.key = k->pub;
	h->b.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.local_auth.key = k->priv;
	h->b.conn.remote_auth.method = ENGINE_AUTH_EAP_MSCHAPV2;
	h->b.conn.eap_id_mode = mode;
	h->b.conn.eap_users = users;
	h->b.conn.n_eap_users = 2;
}

static void eap_start(struct harness *h, struct eap_keys *k, const char *me,
		      const char *password, enum engine_eap_id mode)
{
	eap_pair(h, k, me, password, mode);
	harness_start(h, NULL);
}

/* IKE_SA_INIT, then the first IKE_AUTH pair. */
static void eap_begin(struct harness *h)
{
	REQUIRE(harness_initiate(h));
	/* HDR, SA, KEi, Ni --> ; <-- HDR, SA, KEr, Nr */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
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
	struct eap_keys k;
	struct harness h;

	keys_make(&k);
	eap_start(&h, &k, "a.example", "fqdn-pass", ENGINE_EAP_ID_IKE);
	eap_begin(&h);
	eap_established(&h, 2);
	CHECK(harness_logged(&h.b, "'a.example' gave the right password"));
	harness_free(&h);
	keys_free(&k);
}

/* eap_id = %any: EAP-Identity first, then carol's password. */
TEST(engine_eap_identity_round)
{
	struct eap_keys k;
	struct harness h;

	keys_make(&k);
	eap_start(&h, &k, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
	eap_begin(&h);
	eap_established(&h, 3);
	CHECK(harness_logged(&h.b, "EAP: peer is 'carol'"));
	harness_free(&h);
	keys_free(&k);
}

/* eap_id = dave: carol is refused at her identity. */
TEST(engine_eap_fixed_identity_refuses_another_user)
{
	struct eap_keys k;
	struct harness h;

	keys_make(&k);
	eap_pair(&h, &k, "carol", "Ar3etTnp", ENGINE_EAP_ID_FIXED);
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
	harness_free(&h);
	keys_free(&k);
}

TEST(engine_eap_wrong_password)
{
	struct eap_keys k;
	struct harness h;

	keys_make(&k);
	eap_start(&h, &k, "carol", "not her password", ENGINE_EAP_ID_ANY);
	eap_begin(&h);
	/* Identity round */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* HDR, SK {EAP(MSCHAPv2 Response)} --> wrong NT-Response */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "wrong password for 'carol'"));
	CHECK(harness_logged(&h.b, "answering EAP-Failure and "
				   "AUTHENTICATION_FAILED"));
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_IKE_FAILED), 1);
	/* <-- HDR, SK {EAP(Failure), N(AUTHENTICATION_FAILED)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "IKE_AUTH failed") ||
	      harness_logged(&h.a, "EAP-Failure"));
	CHECK_EQ(engine_half_open_count(h.b.e), 0);
	harness_free(&h);
	keys_free(&k);
}

/* A lost response in the middle of the rounds: a retransmits its
 * request, b answers from its cache (the same message ID), and the
 * exchange goes on. */
TEST(engine_eap_lost_response_is_retransmitted)
{
	struct eap_keys k;
	struct harness h;

	keys_make(&k);
	eap_start(&h, &k, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
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
	harness_free(&h);
	keys_free(&k);
}

/* b's connection wants a signature: an EAP client is refused at once. */
TEST(engine_eap_client_refused_by_non_eap_responder)
{
	struct eap_keys k;
	struct harness h;

	keys_make(&k);
	eap_pair(&h, &k, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
	h.b.conn.remote_auth.method = ENGINE_AUTH_PSK;
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "no AUTH: EAP"));
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "AUTHENTICATION_FAILED"));
	harness_free(&h);
	keys_free(&k);
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
	struct eap_keys k;
	struct harness h;

	keys_make(&k);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[64], out[EAP_MSG_MAX];
		struct ike_sa *sa;
		struct eap_msg m;
		size_t len;
		long n;

		eap_start(&h, &k, "carol", "Ar3etTnp", ENGINE_EAP_ID_ANY);
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
	keys_free(&k);
}
