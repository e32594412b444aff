/* Engine scenarios with RFC 7427 signature authentication: keys made
 * fresh with OpenSSL, written as PEM and loaded through crypto/auth.h as
 * the daemon would; raw public keys as the trust anchor. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "crypto/auth.h"
#include "ike_iana.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sig_keys {
	struct auth_key *priv, *pub;
};

/* Makes a key pair of `type` ("EC" with `param` "P-256", "ED25519",
 * "RSA" with 2048 bits), writes it as PEM and loads it back. */
static void sig_keys_make(struct sig_keys *k, const char *type,
			  const char *param)
{
	char priv[] = "/tmp/kb-engine-key-XXXXXX";
	char pub[] = "/tmp/kb-engine-pub-XXXXXX";
	int fd1 = mkstemp(priv), fd2 = mkstemp(pub);
	FILE *f1, *f2;
	EVP_PKEY *pk;

	REQUIRE(fd1 >= 0 && fd2 >= 0);
	if (!strcmp(type, "EC"))
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	else if (!strcmp(type, "RSA"))
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type);
	REQUIRE(pk);
	f1 = fdopen(fd1, "w");
	f2 = fdopen(fd2, "w");
	REQUIRE(f1 && f2);
	REQUIRE(PEM_write_PrivateKey(f1, pk, NULL, NULL, 0, NULL, NULL));
	REQUIRE(PEM_write_PUBKEY(f2, pk));
	fclose(f1);
	fclose(f2);
	EVP_PKEY_free(pk);
	REQUIRE_EQ(auth_key_load_private(priv, &k->priv), 0);
	REQUIRE_EQ(auth_key_load_public(pub, &k->pub), 0);
	unlink(priv);
	unlink(pub);
}

static void sig_keys_free(struct sig_keys *k)
{
	auth_key_free(k->priv);
	auth_key_free(k->pub);
}

/* a and b authenticate with signatures: each trusts the other's key. */
static void sig_pair(struct harness *h, struct sig_keys *ka,
		     struct sig_keys *kb)
{
	harness_pair_default(h);
	h->a.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.local_auth.key = ka->priv;
	h->a.conn.remote_auth.key = kb->pub;
	h->b.conn.local_auth.key = kb->priv;
	h->b.conn.remote_auth.key = ka->pub;
}

static void sig_establish(const char *type, const char *param)
{
	struct sig_keys ka, kb;
	struct harness h;

	sig_keys_make(&ka, type, param);
	sig_keys_make(&kb, type, param);
	sig_pair(&h, &ka, &kb);
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_check_child_pair(&h);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_UP), 1);
	harness_free(&h);
	sig_keys_free(&ka);
	sig_keys_free(&kb);
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
	struct sig_keys ka, kb, other;
	struct harness h;

	sig_keys_make(&ka, "EC", "P-256");
	sig_keys_make(&kb, "EC", "P-256");
	sig_keys_make(&other, "EC", "P-256");
	sig_pair(&h, &ka, &kb);
	h.b.conn.remote_auth.key = other.pub; /* b trusts someone else */
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* HDR, SK {IDi, AUTH(signed by a's key), ...} --> wrong key */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, "b-from-a[1]: IKE_AUTH from peer failed"));
	/* <-- HDR, SK {N(AUTHENTICATION_FAILED)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	harness_free(&h);
	sig_keys_free(&ka);
	sig_keys_free(&kb);
	sig_keys_free(&other);
}

TEST(engine_sig_and_psk_mixed)
{
	struct sig_keys ka;
	struct harness h;

	/* a signs, b proves itself with the PSK (methods may differ per
	 * direction, §2.15). */
	sig_keys_make(&ka, "EC", "P-256");
	harness_pair_default(&h);
	h.a.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h.a.conn.local_auth.key = ka.priv;
	h.b.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h.b.conn.remote_auth.key = ka.pub;
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_check_child_pair(&h);
	harness_free(&h);
	sig_keys_free(&ka);
}

TEST(engine_psk_where_signature_expected_fails)
{
	struct sig_keys kb;
	struct harness h;

	sig_keys_make(&kb, "EC", "P-256");
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
	sig_keys_free(&kb);
}
