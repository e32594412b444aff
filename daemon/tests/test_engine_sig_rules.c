/* Signature rules of an authentication round (swanctl.conf auth = rsa,
 * rsa/pss, ecdsa, with a key size and RFC 7427 hashes): we sign as the
 * local round says, and a peer whose AUTH breaks the remote round's rules
 * is refused with a line naming what it used and what was allowed. */
#include "tests/engine_harness.h"
#include "tests/sig_util.h"
#include "tests/test.h"

#include "crypto/auth.h"
#include "ike_iana.h"

#include <stdlib.h>
#include <string.h>

static struct su_keys ka, kb;

static void rule_pair(struct harness *h)
{
	if (!ka.priv) {
		su_keys_make(&ka, "RSA", NULL); /* 2048 bits */
		su_keys_make(&kb, "RSA", NULL);
	}
	su_pair(h, &ka, &kb);
}

/* Runs IKE_SA_INIT and IKE_AUTH; true if both sides came up. */
static bool rule_run(struct harness *h)
{
	harness_start(h, NULL);
	REQUIRE(harness_initiate(h));
	harness_run(h, 10);
	return harness_state(&h->a) == ENGINE_IKE_ESTABLISHED &&
	       harness_state(&h->b) == ENGINE_IKE_ESTABLISHED;
}

static void rule_done(struct harness *h)
{
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		test_note("a:\n%s", h->a.log ? h->a.log : "");
		test_note("b:\n%s", h->b.log ? h->b.log : "");
	}
	harness_free(h);
	su_keys_free(&ka);
	su_keys_free(&kb);
}

/* rsa/pss-sha384 on both sides: a signs RSASSA-PSS with SHA2-384, b
 * accepts exactly that. */
TEST(engine_sig_rules_rsa_pss_sha384_both_ways)
{
	struct harness h;

	rule_pair(&h);
	h.a.conn.local_auth.sig_family = AUTH_SIGF_RSA_PSS;
	h.a.conn.local_auth.sig_hashes = 1u << HASH_SHA2_384;
	h.b.conn.remote_auth.sig_family = AUTH_SIGF_RSA_PSS;
	h.b.conn.remote_auth.sig_hashes = 1u << HASH_SHA2_384;
	h.b.conn.local_auth.sig_family = AUTH_SIGF_RSA_PSS;
	h.a.conn.remote_auth.sig_family = AUTH_SIGF_RSA_PSS;
	CHECK(rule_run(&h));
	rule_done(&h);
}

/* a signs PKCS#1 v1.5 (auth = rsa); b asks for rsa/pss: refused, and b
 * says what a used. */
TEST(engine_sig_rules_pkcs1_where_pss_required)
{
	struct harness h;

	rule_pair(&h);
	h.a.conn.local_auth.sig_family = AUTH_SIGF_RSA;
	h.b.conn.remote_auth.sig_family = AUTH_SIGF_RSA_PSS;
	CHECK(!rule_run(&h));
	CHECK(harness_logged(&h.b, "peer signed with sha256WithRSAEncryption "
				   "(a 2048-bit key), which remote.auth "
				   "rsa/pss does not allow"));
	CHECK(harness_logged(&h.a, "AUTHENTICATION_FAILED"));
	rule_done(&h);
}

/* the hash is the peer's choice among ours: b takes only SHA2-512 */
TEST(engine_sig_rules_hash_not_allowed)
{
	struct harness h;

	rule_pair(&h);
	h.a.conn.local_auth.sig_hashes = 1u << HASH_SHA2_256;
	h.b.conn.remote_auth.sig_hashes = 1u << HASH_SHA2_512;
	CHECK(!rule_run(&h));
	CHECK(harness_logged(&h.b, "peer signed with rsassa-pss-sha256"));
	rule_done(&h);
}

/* rsa-3072 on the remote side: a's 2048-bit key is too small */
TEST(engine_sig_rules_key_too_small)
{
	struct harness h;

	rule_pair(&h);
	h.b.conn.remote_auth.sig_min_bits = 3072;
	CHECK(!rule_run(&h));
	CHECK(harness_logged(&h.b, "(a 2048-bit key), which remote.auth "
				   "pubkey-3072 does not allow"));
	rule_done(&h);
}
