/* Engine scenarios with RFC 7427 signature authentication: keys made
 * fresh with OpenSSL, written as PEM and loaded through crypto/auth.h as
 * the daemon would; raw public keys as the trust anchor. */
#include "tests/engine_harness.h"
#include "tests/sig_util.h"
#include "tests/test.h"

#include "ike_iana.h"

#include <string.h>

static void sig_establish(const char *type, const char *param)
{
	struct su_keys ka, kb;
	struct harness h;

	su_keys_make(&ka, type, param);
	su_keys_make(&kb, type, param);
	su_pair(&h, &ka, &kb);
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_check_child_pair(&h);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_UP), 1);
	harness_free(&h);
	su_keys_free(&ka);
	su_keys_free(&kb);
}

TEST(engine_sig_ecdsa_p256_establishes)
{
	sig_establish("EC", "P-256");
}

TEST(engine_sig_ecdsa_p384_establishes)
{
	sig_establish("EC", "P-384");
}

TEST(engine_sig_ed25519_establishes)
{
	sig_establish("ED25519", NULL);
}

TEST(engine_sig_rsa_establishes)
{
	sig_establish("RSA", NULL);
}

TEST(engine_sig_untrusted_key_fails)
{
	struct su_keys ka, kb, other;
	struct harness h;

	su_keys_make(&ka, "EC", "P-256");
	su_keys_make(&kb, "EC", "P-256");
	su_keys_make(&other, "EC", "P-256");
	su_pair(&h, &ka, &kb);
	h.b.conn.remote_auth.key = other.pub; /* b trusts someone else */
	harness_start(&h, NULL);
	/* HDR, SA, KEi, Ni --> ; <-- HDR, SA, KEr, Nr */
	harness_sa_init(&h);
	/* HDR, SK {IDi, AUTH(signed by a's key), ...} --> wrong key */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "b-from-a[1]: IKE_AUTH from peer failed"));
	/* <-- HDR, SK {N(AUTHENTICATION_FAILED)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	harness_free(&h);
	su_keys_free(&ka);
	su_keys_free(&kb);
	su_keys_free(&other);
}

TEST(engine_sig_and_psk_mixed)
{
	struct su_keys ka;
	struct harness h;

	/* a signs, b proves itself with the PSK (methods may differ per
	 * direction, §2.15). */
	su_keys_make(&ka, "EC", "P-256");
	harness_pair_default(&h);
	h.a.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h.a.conn.local_auth.key = ka.priv;
	h.b.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h.b.conn.remote_auth.key = ka.pub;
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_check_child_pair(&h);
	harness_free(&h);
	su_keys_free(&ka);
}

TEST(engine_psk_where_signature_expected_fails)
{
	struct su_keys kb;
	struct harness h;

	su_keys_make(&kb, "EC", "P-256");
	harness_pair_default(&h);
	/* a insists on a signature from b; b sends a PSK MIC. */
	h.a.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h.a.conn.remote_auth.key = kb.pub;
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(harness_run(&h, 10), 5);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.a, "IKE_AUTH failed: authentication failed"));
	harness_free(&h);
	su_keys_free(&kb);
}
