/* Tests for the AUTH payload (daemon/crypto/auth.c): shared key against an
 * independent computation (vectors/crypto/auth_psk_gen.py), RFC 7427
 * signatures with keys the `openssl` command generates at test time and
 * verifies independently, RFC 8032 Ed25519 vectors, AlgorithmIdentifiers
 * compared with OpenSSL's own encoding, hash negotiation, key loading, and
 * random AUTH data. */
#include "crypto/auth.h"
#include "ike_iana.h"
#include "tests/cert_util.h"
#include "tests/test.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct xform_prf *prf_of(unsigned id)
{
	const struct xform_prf *p = NULL;

	REQUIRE_EQ(xform_prf_find(id, &p), 0);
	return p;
}

static const char psk_msg[] = "RealMessage1: the whole IKE_SA_INIT request";
static const uint8_t id_fqdn[] = "\x02\x00\x00\x00"
				 "alice.example.org";

static void octets_for(struct auth_octets *o, const struct xform_prf *p,
		       uint8_t *nonce)
{
	uint8_t sk_pi[64];

	for (int i = 0; i < 64; i++)
		sk_pi[i] = (uint8_t)i;
	memset(nonce, 0x77, 32);
	REQUIRE_EQ(auth_octets_init(o, p, sk_pi, p->out_len,
				    (const uint8_t *)psk_msg,
				    sizeof(psk_msg) - 1, nonce, 32, id_fqdn,
				    sizeof(id_fqdn) - 1),
		   0);
}

TEST(crypto_auth_psk_independent_vector)
{
	static const struct {
		unsigned prf;
		const char *maced, *auth;
	} v[] = {
		{ PRF_HMAC_SHA2_256,
		  "7742c78062212adc11650412b8aacfe7cb02494b9b7ae23632b8ea1d38"
		  "b524ef",
		  "1d4ec8ad5fd236ade594023f4f3d95e3426281cd66494e25138ec3dba8"
		  "8c85f5" },
		{ PRF_HMAC_SHA2_512,
		  "ff79915cc25f99a24441456319f04079331fd7051ca429eeaea3180b2f"
		  "47f2cab8de9319dc7039c9308ab9dbf91f5bf0a473125ca0ebf1742f87"
		  "126066c2cde2",
		  "afd361f0324fb17171029e425173ac3e0f170d8c53cd28a65673b5d12d"
		  "8895ea517b716fcfec4f31d9029eca4580a1ae4f56e94351056578b8f2"
		  "888411971731" },
	};
	static const char psk[] = "keybridge test secret";

	for (size_t i = 0; i < 2; i++) {
		const struct xform_prf *p = prf_of(v[i].prf);
		struct auth_octets o;
		uint8_t nonce[32], want[64], out[PRF_MAX];
		size_t len = 0;

		octets_for(&o, p, nonce);
		REQUIRE_EQ(test_unhex(v[i].maced, want, sizeof(want)),
			   p->out_len);
		CHECK_EQ(o.maced_id_len, p->out_len);
		CHECK_MEM(o.maced_id, want, p->out_len);
		REQUIRE_EQ(auth_psk_make(p, (const uint8_t *)psk,
					 sizeof(psk) - 1, &o, out, &len),
			   0);
		REQUIRE_EQ(test_unhex(v[i].auth, want, sizeof(want)),
			   p->out_len);
		CHECK_EQ(len, p->out_len);
		CHECK_MEM(out, want, len);
		CHECK_EQ(auth_psk_check(p, (const uint8_t *)psk,
					sizeof(psk) - 1, &o, want, len),
			 0);
		/* wrong secret, truncated AUTH, flipped bit */
		CHECK_EQ(auth_psk_check(p, (const uint8_t *)psk,
					sizeof(psk) - 2, &o, want, len),
			 CRYPTO_E_AUTH_FAILED);
		CHECK_EQ(auth_psk_check(p, (const uint8_t *)psk,
					sizeof(psk) - 1, &o, want, len - 1),
			 CRYPTO_E_AUTH_FAILED);
		want[len - 1] ^= 1;
		CHECK_EQ(auth_psk_check(p, (const uint8_t *)psk,
					sizeof(psk) - 1, &o, want, len),
			 CRYPTO_E_AUTH_FAILED);
	}
}

/* ---- keys made by the openssl command in a temporary directory ---- */

static char keydir[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *kpath(const char *name)
{
	static char buf[16][128];
	static int n;

	n = (n + 1) % 16;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", keydir, name);
	return buf[n];
}

/* rsa, ec256, ec384, ec521, ed25519 (.pem private, .pub public) and a
 * self-signed certificate rsa.crt. */
static void make_keys(void)
{
	static const char *const gen[][2] = {
		{ "rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" },
		{ "ec256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" },
		{ "ec384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384" },
		{ "ec521", "-algorithm EC -pkeyopt ec_paramgen_curve:P-521" },
		{ "ed25519", "-algorithm ED25519" },
	};

	if (sh("command -v openssl >/dev/null") != 0)
		test_skip("the openssl command is not installed");
	snprintf(keydir, sizeof(keydir), "/tmp/kb-crypto-auth.XXXXXX");
	REQUIRE(mkdtemp(keydir) != NULL);
	for (size_t i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
		REQUIRE_EQ(sh("openssl genpkey %s -out %s/%s.pem 2>/dev/null",
			      gen[i][1], keydir, gen[i][0]),
			   0);
		REQUIRE_EQ(sh("openssl pkey -in %s/%s.pem -pubout -out "
			      "%s/%s.pub",
			      keydir, gen[i][0], keydir, gen[i][0]),
			   0);
	}
	REQUIRE_EQ(sh("openssl req -x509 -key %s/rsa.pem -subj /CN=alice "
		      "-days 2 -out %s/rsa.crt 2>/dev/null",
		      keydir, keydir),
		   0);
}

static void drop_keys(void)
{
	if (keydir[0])
		sh("rm -rf %s", keydir);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	REQUIRE(f != NULL);
	REQUIRE_EQ(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* The `openssl` command's verification of what we signed: the signature
 * part of the AUTH data over the signed octets, with the parameters the
 * AlgorithmIdentifier announces. */
static int openssl_verify(enum auth_sig_scheme s, const char *pub,
			  const struct auth_octets *o, const uint8_t *auth,
			  size_t len)
{
	static const char *const how[AUTH_SIG_COUNT] = {
		[AUTH_SIG_RSA_PSS_SHA256] = "dgst -sha256 -sigopt "
					    "rsa_padding_mode:pss -sigopt "
					    "rsa_pss_saltlen:32",
		[AUTH_SIG_RSA_PSS_SHA384] = "dgst -sha384 -sigopt "
					    "rsa_padding_mode:pss -sigopt "
					    "rsa_pss_saltlen:48",
		[AUTH_SIG_RSA_PSS_SHA512] = "dgst -sha512 -sigopt "
					    "rsa_padding_mode:pss -sigopt "
					    "rsa_pss_saltlen:64",
		[AUTH_SIG_RSA_PKCS1_SHA256] = "dgst -sha256",
		[AUTH_SIG_RSA_PKCS1_SHA384] = "dgst -sha384",
		[AUTH_SIG_RSA_PKCS1_SHA512] = "dgst -sha512",
		[AUTH_SIG_ECDSA_SHA256] = "dgst -sha256",
		[AUTH_SIG_ECDSA_SHA384] = "dgst -sha384",
		[AUTH_SIG_ECDSA_SHA512] = "dgst -sha512",
	};
	FILE *f = fopen(kpath("tbs"), "wb");

	REQUIRE(f != NULL);
	fwrite(o->msg, 1, o->msg_len, f);
	fwrite(o->nonce, 1, o->nonce_len, f);
	fwrite(o->maced_id, 1, o->maced_id_len, f);
	fclose(f);
	write_file(kpath("sig"), auth + 1 + auth[0], len - 1 - auth[0]);
	if (s == AUTH_SIG_ED25519)
		return sh("openssl pkeyutl -verify -pubin -inkey %s -rawin "
			  "-in %s -sigfile %s >/dev/null",
			  pub, kpath("tbs"), kpath("sig"));
	return sh("openssl %s -verify %s -signature %s %s >/dev/null", how[s],
		  pub, kpath("sig"), kpath("tbs"));
}

/* The SIGNATURE_HASH_ALGORITHMS value announcing a scheme (RFC 7427 §4,
 * RFC 8420 §2). */
static unsigned hash_of(enum auth_sig_scheme s)
{
	switch (s) {
	case AUTH_SIG_RSA_PSS_SHA256:
	case AUTH_SIG_RSA_PKCS1_SHA256:
	case AUTH_SIG_ECDSA_SHA256: return HASH_SHA2_256;
	case AUTH_SIG_RSA_PSS_SHA384:
	case AUTH_SIG_RSA_PKCS1_SHA384:
	case AUTH_SIG_ECDSA_SHA384: return HASH_SHA2_384;
	case AUTH_SIG_RSA_PSS_SHA512:
	case AUTH_SIG_RSA_PKCS1_SHA512:
	case AUTH_SIG_ECDSA_SHA512: return HASH_SHA2_512;
	default: return HASH_IDENTITY;
	}
}

TEST(crypto_auth_signatures_every_scheme_verified_by_openssl)
{
	static const struct {
		enum auth_sig_scheme s;
		const char *key;
	} v[] = {
		{ AUTH_SIG_RSA_PSS_SHA256, "rsa" },
		{ AUTH_SIG_RSA_PSS_SHA384, "rsa" },
		{ AUTH_SIG_RSA_PSS_SHA512, "rsa" },
		{ AUTH_SIG_RSA_PKCS1_SHA256, "rsa" },
		{ AUTH_SIG_RSA_PKCS1_SHA384, "rsa" },
		{ AUTH_SIG_RSA_PKCS1_SHA512, "rsa" },
		{ AUTH_SIG_ECDSA_SHA256, "ec256" },
		{ AUTH_SIG_ECDSA_SHA384, "ec384" },
		{ AUTH_SIG_ECDSA_SHA512, "ec521" },
		{ AUTH_SIG_ED25519, "ed25519" },
	};
	const struct xform_prf *p = prf_of(PRF_HMAC_SHA2_256);
	struct auth_octets o;
	uint8_t nonce[32];

	make_keys();
	octets_for(&o, p, nonce);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char name[32];
		struct auth_key *priv = NULL, *pub = NULL;
		uint8_t auth[AUTH_DATA_MAX];
		size_t len = 0, idl = 0;
		const uint8_t *id = auth_sig_algid(v[i].s, &idl);
		enum auth_sig_scheme used = AUTH_SIG_COUNT;

		test_note("%s", auth_sig_scheme_name(v[i].s));
		snprintf(name, sizeof(name), "%s.pem", v[i].key);
		REQUIRE_EQ(auth_key_load_private(kpath(name), &priv), 0);
		snprintf(name, sizeof(name), "%s.pub", v[i].key);
		REQUIRE_EQ(auth_key_load_public(kpath(name), &pub), 0);
		REQUIRE_EQ(auth_sig_make(priv, v[i].s, &o, auth, sizeof(auth),
					 &len),
			   0);
		CHECK_EQ(auth[0], idl);
		CHECK_MEM(auth + 1, id, idl);
		CHECK_EQ(openssl_verify(v[i].s, kpath(name), &o, auth, len), 0);
		CHECK_EQ(auth_sig_check(pub, &o, auth, len,
					auth_hash_supported(), &used),
			 0);
		CHECK_EQ(used, v[i].s);
		/* the hash must be one we accept */
		CHECK_EQ(auth_sig_check(pub, &o, auth, len,
					auth_hash_supported() &
						~(1u << hash_of(v[i].s)),
					NULL),
			 CRYPTO_E_AUTH_ALG);
		/* a flipped signature bit, other signed octets */
		auth[len - 1] ^= 1;
		CHECK_EQ(auth_sig_check(pub, &o, auth, len,
					auth_hash_supported(), NULL),
			 CRYPTO_E_AUTH_FAILED);
		auth[len - 1] ^= 1;
		o.nonce_len--;
		CHECK_EQ(auth_sig_check(pub, &o, auth, len,
					auth_hash_supported(), NULL),
			 CRYPTO_E_AUTH_FAILED);
		o.nonce_len++;
		CHECK_EQ(auth_sig_make(priv, v[i].s, &o, auth, 40, &len),
			 CRYPTO_E_BUFFER);
		auth_key_free(priv);
		auth_key_free(pub);
	}
	drop_keys();
}

/* The other direction: a signature the `openssl` command made (RSA-PSS,
 * ECDSA) verifies with the AlgorithmIdentifier put in front of it. */
TEST(crypto_auth_verifies_openssl_signatures)
{
	static const struct {
		enum auth_sig_scheme s;
		const char *key, *opts;
	} v[] = {
		{ AUTH_SIG_RSA_PSS_SHA384, "rsa",
		  "-sha384 -sigopt rsa_padding_mode:pss -sigopt "
		  "rsa_pss_saltlen:48" },
		{ AUTH_SIG_ECDSA_SHA256, "ec256", "-sha256" },
	};
	const struct xform_prf *p = prf_of(PRF_HMAC_SHA2_256);
	struct auth_octets o;
	uint8_t nonce[32];

	make_keys();
	octets_for(&o, p, nonce);
	for (size_t i = 0; i < 2; i++) {
		struct auth_key *pub = NULL;
		uint8_t auth[AUTH_DATA_MAX];
		size_t idl, len;
		const uint8_t *id = auth_sig_algid(v[i].s, &idl);
		char name[32];
		FILE *f;

		f = fopen(kpath("tbs"), "wb");
		REQUIRE(f != NULL);
		fwrite(o.msg, 1, o.msg_len, f);
		fwrite(o.nonce, 1, o.nonce_len, f);
		fwrite(o.maced_id, 1, o.maced_id_len, f);
		fclose(f);
		REQUIRE_EQ(sh("openssl dgst %s -sign %s/%s.pem -out %s %s",
			      v[i].opts, keydir, v[i].key, kpath("sig"),
			      kpath("tbs")),
			   0);
		auth[0] = (uint8_t)idl;
		memcpy(auth + 1, id, idl);
		f = fopen(kpath("sig"), "rb");
		REQUIRE(f != NULL);
		len = 1 + idl + fread(auth + 1 + idl, 1, 600, f);
		fclose(f);
		snprintf(name, sizeof(name), "%s.pub", v[i].key);
		REQUIRE_EQ(auth_key_load_public(kpath(name), &pub), 0);
		CHECK_EQ(auth_sig_check(pub, &o, auth, len,
					auth_hash_supported(), NULL),
			 0);
		auth_key_free(pub);
	}
	drop_keys();
}

/* RFC 8032 §7.1 TEST 1 (empty message) and TEST 2 (one octet 0x72):
 * Ed25519 is deterministic, so the AUTH data's signature is the RFC's. */
TEST(crypto_auth_ed25519_rfc8032_vectors)
{
	static const struct {
		const char *sk, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031c"
		  "ae7f60",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522"
		  "4901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe246551"
		  "41438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4f"
		  "b8a6fb",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223eb"
		  "db69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d"
		  "291612bb0c00" },
	};
	char path[] = "/tmp/kb-crypto-ed25519.XXXXXX";
	int fd = mkstemp(path);

	REQUIRE(fd >= 0);
	close(fd);
	for (size_t i = 0; i < 2; i++) {
		uint8_t sk[32], msg[1], sig[64], auth[AUTH_DATA_MAX];
		long mlen = test_unhex(v[i].msg, msg, sizeof(msg));
		struct auth_octets o = { .msg = msg,
					 .msg_len = (size_t)mlen,
					 .nonce = msg };
		struct auth_key *key = NULL, *pub = NULL;
		EVP_PKEY *pk;
		FILE *f;
		size_t len = 0;

		REQUIRE_EQ(test_unhex(v[i].sk, sk, 32), 32);
		REQUIRE_EQ(test_unhex(v[i].sig, sig, 64), 64);
		pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk,
						  32);
		REQUIRE(pk != NULL);
		f = fopen(path, "w");
		REQUIRE(f != NULL);
		REQUIRE(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL,
					     NULL) == 1);
		fclose(f);
		REQUIRE_EQ(auth_key_load_private(path, &key), 0);
		REQUIRE_EQ(auth_sig_make(key, AUTH_SIG_ED25519, &o, auth,
					 sizeof(auth), &len),
			   0);
		CHECK_EQ(len, 1 + 7 + 64);
		CHECK_MEM(auth + 8, sig, 64);
		f = fopen(path, "w");
		REQUIRE(f != NULL);
		REQUIRE(PEM_write_PUBKEY(f, pk) == 1);
		fclose(f);
		REQUIRE_EQ(auth_key_load_public(path, &pub), 0);
		CHECK_EQ(auth_sig_check(pub, &o, auth, len, 1u << HASH_IDENTITY,
					NULL),
			 0);
		auth_key_free(key);
		auth_key_free(pub);
		EVP_PKEY_free(pk);
	}
	unlink(path);
}

/* Our DER AlgorithmIdentifiers are the ones OpenSSL's signature providers
 * report for the same parameters (OSSL_SIGNATURE_PARAM_ALGORITHM_ID). */
TEST(crypto_auth_algorithm_identifiers_match_openssl)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	static const struct {
		enum auth_sig_scheme s;
		const char *md;
		int pss;
	} v[] = {
		{ AUTH_SIG_RSA_PSS_SHA256, "SHA2-256", 1 },
		{ AUTH_SIG_RSA_PSS_SHA384, "SHA2-384", 1 },
		{ AUTH_SIG_RSA_PSS_SHA512, "SHA2-512", 1 },
		{ AUTH_SIG_RSA_PKCS1_SHA256, "SHA2-256", 0 },
		{ AUTH_SIG_RSA_PKCS1_SHA384, "SHA2-384", 0 },
		{ AUTH_SIG_RSA_PKCS1_SHA512, "SHA2-512", 0 },
		{ AUTH_SIG_ECDSA_SHA256, "SHA2-256", 0 },
		{ AUTH_SIG_ECDSA_SHA384, "SHA2-384", 0 },
		{ AUTH_SIG_ECDSA_SHA512, "SHA2-512", 0 },
		{ AUTH_SIG_ED25519, NULL, 0 },
	};

	REQUIRE(rsa && ec && ed);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;
		EVP_PKEY *k = i < 6 ? rsa : i < 9 ? ec : ed;
		uint8_t der[128];
		OSSL_PARAM params[2] = {
			OSSL_PARAM_construct_octet_string(
				OSSL_SIGNATURE_PARAM_ALGORITHM_ID, der,
				sizeof(der)),
			OSSL_PARAM_construct_end(),
		};
		size_t idl = 0;
		const uint8_t *id = auth_sig_algid(v[i].s, &idl);

		REQUIRE(EVP_DigestSignInit_ex(m, &pc, v[i].md, NULL, NULL, k,
					      NULL) == 1);
		if (v[i].pss) {
			REQUIRE(EVP_PKEY_CTX_set_rsa_padding(
					pc, RSA_PKCS1_PSS_PADDING) > 0);
			REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(
					pc, RSA_PSS_SALTLEN_DIGEST) > 0);
		}
		REQUIRE(EVP_PKEY_CTX_get_params(pc, params) == 1);
		CHECK_EQ(params[0].return_size, idl);
		CHECK_MEM(der, id, idl);
		EVP_MD_CTX_free(m);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
}

TEST(crypto_auth_hash_negotiation)
{
	uint8_t buf[16];
	size_t len = 0;
	uint32_t mask = 0;
	struct auth_key *rsa = NULL, *ec384 = NULL, *ed = NULL;
	enum auth_sig_scheme s;
	/* SHA1, SHA2_256, an unknown 0x1234, Identity */
	static const uint8_t peer[] = { 0, 1, 0, 2, 0x12, 0x34, 0, 5 };

	/* RFC 7427 §4: one 16-bit identifier each */
	REQUIRE_EQ(auth_hash_notify_build(auth_hash_supported(), buf,
					  sizeof(buf), &len),
		   0);
	CHECK_EQ(len, 8);
	CHECK_MEM(buf, "\0\2\0\3\0\4\0\5", 8);
	CHECK_EQ(auth_hash_notify_build(auth_hash_supported(), buf, 7, &len),
		 CRYPTO_E_BUFFER);
	REQUIRE_EQ(auth_hash_notify_parse(peer, sizeof(peer), &mask), 0);
	CHECK_EQ(mask,
		 1u << HASH_SHA1 | 1u << HASH_SHA2_256 | 1u << HASH_IDENTITY);
	CHECK_EQ(auth_hash_notify_parse(peer, 3, &mask), CRYPTO_E_ARG);

	make_keys();
	REQUIRE_EQ(auth_key_load_private(kpath("rsa.pem"), &rsa), 0);
	REQUIRE_EQ(auth_key_load_private(kpath("ec384.pem"), &ec384), 0);
	REQUIRE_EQ(auth_key_load_private(kpath("ed25519.pem"), &ed), 0);
	CHECK_EQ(auth_sig_choose(rsa, mask, true, &s), 0);
	CHECK_EQ(s, AUTH_SIG_RSA_PSS_SHA256);
	CHECK_EQ(auth_sig_choose(rsa, 1u << HASH_SHA2_512, false, &s), 0);
	CHECK_EQ(s, AUTH_SIG_RSA_PKCS1_SHA512);
	CHECK_EQ(auth_sig_choose(rsa, 1u << HASH_SHA1, true, &s),
		 CRYPTO_E_AUTH_NO_HASH);
	CHECK_EQ(auth_sig_choose(ec384, auth_hash_supported(), false, &s), 0);
	CHECK_EQ(s, AUTH_SIG_ECDSA_SHA384);
	CHECK_EQ(auth_sig_choose(ec384, mask, false, &s), 0);
	CHECK_EQ(s, AUTH_SIG_ECDSA_SHA256);
	CHECK_EQ(auth_sig_choose(ed, mask, false, &s), 0);
	CHECK_EQ(s, AUTH_SIG_ED25519);
	CHECK_EQ(auth_sig_choose(ed, 1u << HASH_SHA2_256, false, &s),
		 CRYPTO_E_AUTH_NO_HASH);
	/* a scheme that does not fit the key */
	CHECK_EQ(auth_sig_make(ec384, AUTH_SIG_RSA_PSS_SHA256,
			       &(struct auth_octets){ 0 }, buf, sizeof(buf),
			       &len),
		 CRYPTO_E_AUTH_ALG);
	auth_key_free(rsa);
	auth_key_free(ec384);
	auth_key_free(ed);
	drop_keys();
}

TEST(crypto_auth_loads_certificates_and_refuses_garbage)
{
	struct auth_cert *cert = NULL, *again = NULL;
	struct auth_key *key = NULL, *pub = NULL;
	const uint8_t *der;
	size_t len;
	struct auth_octets o = { .msg = (const uint8_t *)"x",
				 .msg_len = 1,
				 .nonce = (const uint8_t *)"y" };
	uint8_t auth[AUTH_DATA_MAX];
	size_t alen;

	make_keys();
	REQUIRE_EQ(auth_cert_load(kpath("rsa.crt"), &cert), 0);
	REQUIRE_EQ(auth_cert_der(cert, &der, &len), 0);
	CHECK_GT(len, 300);
	CHECK_EQ(der[0], 0x30);
	REQUIRE_EQ(auth_cert_from_der(der, len, &again), 0);
	CHECK_EQ(auth_cert_from_der(der, len - 1, &(struct auth_cert *){ 0 }),
		 CRYPTO_E_KEY_LOAD);
	REQUIRE_EQ(auth_cert_key(again, &pub), 0);
	/* a key read from the certificate PEM verifies the private key's
	 * signature */
	REQUIRE_EQ(auth_key_load_private(kpath("rsa.pem"), &key), 0);
	REQUIRE_EQ(auth_sig_make(key, AUTH_SIG_RSA_PKCS1_SHA256, &o, auth,
				 sizeof(auth), &alen),
		   0);
	CHECK_EQ(auth_sig_check(pub, &o, auth, alen, auth_hash_supported(),
				NULL),
		 0);
	auth_key_free(pub);
	pub = NULL;
	REQUIRE_EQ(auth_key_load_public(kpath("rsa.crt"), &pub), 0);
	CHECK_EQ(auth_sig_check(pub, &o, auth, alen, auth_hash_supported(),
				NULL),
		 0);
	/* a public key, a missing file, garbage are no private keys */
	CHECK_EQ(auth_key_load_private(kpath("rsa.pub"),
				       &(struct auth_key *){ 0 }),
		 CRYPTO_E_KEY_LOAD);
	CHECK_EQ(
		auth_key_load_private(kpath("none"), &(struct auth_key *){ 0 }),
		CRYPTO_E_KEY_LOAD);
	write_file(kpath("junk"), "-----BEGIN PRIVATE KEY-----\nAAAA\n", 33);
	CHECK_EQ(auth_key_load_public(kpath("junk"), &(struct auth_key *){ 0 }),
		 CRYPTO_E_KEY_LOAD);
	CHECK_EQ(auth_cert_load(kpath("junk"), &(struct auth_cert *){ 0 }),
		 CRYPTO_E_KEY_LOAD);
	auth_cert_free(cert);
	auth_cert_free(again);
	auth_cert_free(NULL);
	auth_key_free(key);
	auth_key_free(pub);
	auth_key_free(NULL);
	drop_keys();
}

/* Random AUTH data, and random signatures behind each valid
 * AlgorithmIdentifier: refused with a name, no crash, no leak. */
TEST(crypto_auth_fuzz_random_signatures)
{
	static const char *const keys[] = { "rsa.pub", "ec256.pub",
					    "ed25519.pub" };
	struct auth_octets o = { .msg = (const uint8_t *)"m",
				 .msg_len = 1,
				 .nonce = (const uint8_t *)"n",
				 .nonce_len = 1 };
	unsigned runs = 0;

	make_keys();
	for (size_t k = 0; k < 3; k++) {
		struct auth_key *pub = NULL;

		REQUIRE_EQ(auth_key_load_public(kpath(keys[k]), &pub), 0);
		for (int round = 0; round < 200; round++) {
			uint8_t auth[600];
			size_t len = (size_t)(round * 3) % sizeof(auth), idl;
			enum auth_sig_scheme s =
				(enum auth_sig_scheme)(round % AUTH_SIG_COUNT);
			const uint8_t *id = auth_sig_algid(s, &idl);
			int rc;

			REQUIRE(RAND_bytes(auth, sizeof(auth)) == 1);
			if (round % 2 && len > idl + 1) {
				auth[0] = (uint8_t)idl;
				memcpy(auth + 1, id, idl);
			}
			rc = auth_sig_check(pub, &o, auth, len,
					    auth_hash_supported(), NULL);
			CHECK(rc == CRYPTO_E_AUTH_ALG ||
			      rc == CRYPTO_E_AUTH_FAILED);
			runs++;
		}
		auth_key_free(pub);
	}
	test_note("%u random AUTH payloads refused", runs);
	drop_keys();
}

/* ---- identities named by certificates (RFC 4945 §3.1) ---- */

static bool names(struct tc *c, uint8_t type, const void *id, size_t len)
{
	struct auth_cert *ac = tc_cert(c);
	bool ok = auth_cert_names_id(ac, type, id, len);

	auth_cert_free(ac);
	return ok;
}

#define NAMES(c, type, s) names((c), (type), (s), strlen(s))

/* Robustness issue bug 7: X509_check_host matched wildcards and fell back
 * to the CN; identities must equal a subjectAltName exactly. */
TEST(crypto_auth_cert_names_id_exactly)
{
	struct tc ca, san, wild, cn_only, mail, ip;
	static const uint8_t v4[] = { 192, 0, 2, 7 }, v4b[] = { 192, 0, 2, 8 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	tc_make(&ca, &(struct tc_opts){ .cn = "CA", .ca = true }, NULL);
	tc_make(&san, &(struct tc_opts){ .cn = "x", .san = "DNS:A.Example" },
		&ca);
	tc_make(&wild,
		&(struct tc_opts){ .cn = "a.example", .san = "DNS:*.example" },
		&ca);
	tc_make(&cn_only, &(struct tc_opts){ .cn = "a.example" }, &ca);
	tc_make(&mail,
		&(struct tc_opts){ .cn = "m",
				   .san = "email:Carol@Example.ORG" },
		&ca);
	tc_make(&ip,
		&(struct tc_opts){ .cn = "a.example",
				   .san = "IP:192.0.2.7,IP:2001:db8::1" },
		&ca);
	/* FQDN: dNSName, ASCII case ignored, nothing else */
	CHECK(NAMES(&san, ID_FQDN, "a.example"));
	CHECK(NAMES(&san, ID_FQDN, "A.EXAMPLE"));
	CHECK(!NAMES(&san, ID_FQDN, "a.example."));
	CHECK(!NAMES(&san, ID_FQDN, "b.a.example"));
	CHECK(!NAMES(&san, ID_FQDN, "example"));
	CHECK(!NAMES(&wild, ID_FQDN, "a.example"));
	CHECK(NAMES(&wild, ID_FQDN, "*.example")); /* literally */
	CHECK(!NAMES(&cn_only, ID_FQDN, "a.example"));
	CHECK(!NAMES(&ip, ID_FQDN, "a.example"));
	/* RFC822: local part exact, domain ignoring case */
	CHECK(NAMES(&mail, ID_RFC822_ADDR, "Carol@example.org"));
	CHECK(!NAMES(&mail, ID_RFC822_ADDR, "carol@example.org"));
	CHECK(!NAMES(&mail, ID_RFC822_ADDR, "Carol@example.org.evil"));
	CHECK(!NAMES(&mail, ID_FQDN, "example.org"));
	/* IP: the address bytes */
	CHECK(names(&ip, ID_IPV4_ADDR, v4, 4));
	CHECK(!names(&ip, ID_IPV4_ADDR, v4b, 4));
	CHECK(names(&ip, ID_IPV6_ADDR, v6, 16));
	CHECK(!names(&ip, ID_IPV6_ADDR, v4, 4));
	CHECK(!names(&san, ID_IPV4_ADDR, v4, 4));
	/* KEY_ID names no certificate */
	CHECK(!NAMES(&san, ID_KEY_ID, "a.example"));
	tc_free(&ca);
	tc_free(&san);
	tc_free(&wild);
	tc_free(&cn_only);
	tc_free(&mail);
	tc_free(&ip);
}

static bool names_dn(struct tc *c, const char *dn)
{
	struct tc_opts o = { .dn = dn };
	struct tc other;
	uint8_t *der = NULL;
	int n;
	bool ok;

	tc_make(&other, &o, NULL);
	n = i2d_X509_NAME(X509_get_subject_name(other.x), &der);
	REQUIRE(n > 0);
	ok = names(c, ID_DER_ASN1_DN, der, (size_t)n);
	OPENSSL_free(der);
	tc_free(&other);
	return ok;
}

/* A DN identity equals the subject in canonical form (RFC 5280 §7.1:
 * case and inner spacing of the values do not matter), not byte for
 * byte; the order and the attributes do. */
TEST(crypto_auth_cert_names_dn_canonically)
{
	struct tc ca, moon;

	tc_make(&ca, &(struct tc_opts){ .cn = "CA", .ca = true }, NULL);
	tc_make(&moon, &(struct tc_opts){ .dn = "/C=CH/O=Example Org/CN=moon" },
		&ca);
	CHECK(names_dn(&moon, "/C=CH/O=Example Org/CN=moon"));
	CHECK(names_dn(&moon, "/C=CH/O=EXAMPLE  org/CN=Moon"));
	CHECK(!names_dn(&moon, "/C=CH/O=Example Org/CN=sun"));
	CHECK(!names_dn(&moon, "/O=Example Org/C=CH/CN=moon"));
	CHECK(!names_dn(&moon, "/C=CH/O=Example Org"));
	CHECK(!names(&moon, ID_DER_ASN1_DN, "\x30\x03\x31", 3));
	CHECK(!names(&moon, ID_DER_ASN1_DN, "", 0));
	tc_free(&ca);
	tc_free(&moon);
}

/* ---- chains, validity, revocation and purpose (RFC 4945 §5) ---- */

struct pki {
	struct tc root, inter, other;
	struct auth_cert *root_c, *inter_c, *other_c;
	char dir[64];
};

static void pki_make(struct pki *p)
{
	tc_make(&p->root, &(struct tc_opts){ .cn = "Root CA", .ca = true },
		NULL);
	tc_make(&p->inter,
		&(struct tc_opts){
			.cn = "Intermediate CA", .ca = true, .serial = 2 },
		&p->root);
	tc_make(&p->other, &(struct tc_opts){ .cn = "Other CA", .ca = true },
		NULL);
	p->root_c = tc_cert(&p->root);
	p->inter_c = tc_cert(&p->inter);
	p->other_c = tc_cert(&p->other);
	snprintf(p->dir, sizeof(p->dir), "/tmp/kb-pki-XXXXXX");
	REQUIRE(mkdtemp(p->dir));
}

static void pki_free(struct pki *p)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
	CHECK_EQ(system(cmd), 0);
	auth_cert_free(p->root_c);
	auth_cert_free(p->inter_c);
	auth_cert_free(p->other_c);
	tc_free(&p->root);
	tc_free(&p->inter);
	tc_free(&p->other);
}

/* A trust of `anchors`, with `inter` as an untrusted intermediate if
 * given, and the CRL file `crl` if given. */
static struct auth_trust *trust_of(struct auth_cert **anchors, size_t n,
				   struct auth_cert *inter, const char *crl)
{
	struct auth_trust *t;

	REQUIRE_EQ(auth_trust_new(&t), 0);
	for (size_t i = 0; i < n; i++)
		REQUIRE_EQ(auth_trust_add_cert(t, anchors[i], true), 0);
	if (inter)
		REQUIRE_EQ(auth_trust_add_cert(t, inter, false), 0);
	if (crl) {
		struct auth_crl *c;

		REQUIRE_EQ(auth_crl_load(crl, &c), 0);
		REQUIRE_EQ(auth_trust_add_crl(t, c), 0);
		auth_crl_free(c);
	}
	return t;
}

/* Verifies leaf `l` (with `extra` as the peer's further certificates) and
 * returns the reason ("ok" if trusted). */
static const char *verify(struct auth_trust *t, struct tc *l,
			  struct auth_cert *extra, int64_t now)
{
	static char why[200];
	struct auth_cert *lc = tc_cert(l);
	const struct auth_cert *ex[1] = { extra };
	int r = auth_trust_verify(t, lc, ex, extra ? 1 : 0, now, why,
				  sizeof(why));

	CHECK_EQ(r == 0, strcmp(why, "ok") == 0);
	auth_cert_free(lc);
	return why;
}

TEST(crypto_auth_trust_chains_through_intermediates)
{
	int64_t now = (int64_t)time(NULL);
	struct pki p;
	struct tc leaf, fake_issuer, by_ee;
	struct auth_trust *t;
	struct auth_cert *ee_c;

	pki_make(&p);
	tc_make(&leaf, &(struct tc_opts){ .cn = "moon", .serial = 10 },
		&p.inter);
	/* an end entity whose key signs another certificate */
	tc_make(&fake_issuer, &(struct tc_opts){ .cn = "ee", .serial = 11 },
		&p.inter);
	tc_make(&by_ee, &(struct tc_opts){ .cn = "evil" }, &fake_issuer);
	ee_c = tc_cert(&fake_issuer);

	t = trust_of(&p.root_c, 1, NULL, NULL);
	CHECK_EQ(auth_trust_anchors(t), 1u);
	test_note("root trusted, intermediate sent by the peer");
	CHECK_STR(verify(t, &leaf, p.inter_c, now), "ok");
	test_note("root trusted, intermediate missing");
	CHECK_STR(verify(t, &leaf, NULL, now),
		  "unable to get local issuer certificate");
	test_note("a chain through an end entity");
	CHECK(strcmp(verify(t, &by_ee, ee_c, now), "ok") != 0);
	auth_trust_free(t);

	test_note("intermediate from the trust's own (x509/) certificates");
	t = trust_of(&p.root_c, 1, p.inter_c, NULL);
	CHECK_STR(verify(t, &leaf, NULL, now), "ok");
	/* an end entity is no intermediate */
	CHECK_EQ(auth_trust_add_cert(t, ee_c, false), CRYPTO_E_ARG);
	auth_trust_free(t);

	test_note("the intermediate as trust anchor ends the chain");
	t = trust_of(&p.inter_c, 1, NULL, NULL);
	CHECK_STR(verify(t, &leaf, NULL, now), "ok");
	auth_trust_free(t);

	test_note("another CA only; then a set of two anchors");
	t = trust_of(&p.other_c, 1, NULL, NULL);
	CHECK(strcmp(verify(t, &leaf, p.inter_c, now), "ok") != 0);
	auth_trust_free(t);
	{
		struct auth_cert *two[] = { p.other_c, p.root_c };
		uint8_t h[20];

		t = trust_of(two, 2, NULL, NULL);
		CHECK_STR(verify(t, &leaf, p.inter_c, now), "ok");
		CHECK_EQ(auth_trust_anchors(t), 2u);
		REQUIRE_EQ(auth_cert_spki_sha1(p.root_c, h), 0);
		CHECK_MEM(auth_trust_anchor_hash(t, 1), h, 20);
		CHECK(auth_trust_anchor_hash(t, 2) == NULL);
		auth_trust_free(t);
	}
	auth_cert_free(ee_c);
	tc_free(&leaf);
	tc_free(&fake_issuer);
	tc_free(&by_ee);
	pki_free(&p);
}

TEST(crypto_auth_trust_validity_periods)
{
	int64_t now = (int64_t)time(NULL);
	struct pki p;
	struct tc expired, future, ok;
	struct tc old_inter;
	struct auth_cert *old_inter_c;
	struct auth_trust *t;

	pki_make(&p);
	tc_make(&expired, &(struct tc_opts){ .cn = "e", .from = -30, .to = -1 },
		&p.inter);
	tc_make(&future, &(struct tc_opts){ .cn = "f", .from = 2, .to = 30 },
		&p.inter);
	tc_make(&old_inter,
		&(struct tc_opts){
			.cn = "Old CA", .ca = true, .from = -30, .to = -1 },
		&p.root);
	tc_make(&ok, &(struct tc_opts){ .cn = "ok" }, &old_inter);
	old_inter_c = tc_cert(&old_inter);
	t = trust_of(&p.root_c, 1, NULL, NULL);
	CHECK_STR(verify(t, &expired, p.inter_c, now),
		  "certificate has expired");
	CHECK_STR(verify(t, &future, p.inter_c, now),
		  "certificate is not yet valid");
	CHECK_STR(verify(t, &ok, old_inter_c, now), "certificate has expired");
	CHECK_STR(verify(t, &future, p.inter_c, now + 86400 * 5), "ok");
	/* without a clock: not checked */
	CHECK_STR(verify(t, &expired, p.inter_c, -1), "ok");
	auth_trust_free(t);
	auth_cert_free(old_inter_c);
	tc_free(&expired);
	tc_free(&future);
	tc_free(&old_inter);
	tc_free(&ok);
	pki_free(&p);
}

/* keyUsage: digitalSignature or nonRepudiation when present (RFC 4945
 * §5.1.3.2); extendedKeyUsage: an IKE purpose when present (§5.1.3.12). */
TEST(crypto_auth_trust_key_usage_and_purpose)
{
	static const struct {
		const char *ku, *eku, *want;
	} v[] = {
		{ NULL, NULL, "ok" },
		{ "digitalSignature", NULL, "ok" },
		{ "nonRepudiation", NULL, "ok" },
		{ "digitalSignature,keyEncipherment", NULL, "ok" },
		{ "keyEncipherment", NULL, "keyUsage" },
		{ "keyAgreement", NULL, "keyUsage" },
		{ NULL, "serverAuth", "ok" },
		{ NULL, "clientAuth", "ok" },
		{ NULL, "1.3.6.1.5.5.7.3.17", "ok" }, /* ipsecIKE */
		{ NULL, "anyExtendedKeyUsage", "ok" },
		{ NULL, "1.3.6.1.5.5.8.2.2", "ok" }, /* iKEIntermediate */
		{ NULL, "emailProtection,serverAuth", "ok" },
		{ NULL, "emailProtection", "extendedKeyUsage" },
		{ NULL, "codeSigning,timeStamping", "extendedKeyUsage" },
		{ "keyEncipherment", "serverAuth", "keyUsage" },
	};
	int64_t now = (int64_t)time(NULL);
	struct auth_trust *t;
	struct pki p;

	pki_make(&p);
	t = trust_of(&p.root_c, 1, p.inter_c, NULL);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tc l;
		const char *why;

		tc_make(&l,
			&(struct tc_opts){
				.cn = "l", .ku = v[i].ku, .eku = v[i].eku },
			&p.inter);
		why = verify(t, &l, NULL, now);
		if (strcmp(v[i].want, "ok") == 0 ? strcmp(why, "ok") != 0
						 : !strstr(why, v[i].want))
			test_fail(__FILE__, __LINE__,
				  "ku %s eku %s: want %s, got %s",
				  v[i].ku ?: "-", v[i].eku ?: "-", v[i].want,
				  why);
		tc_free(&l);
	}
	auth_trust_free(t);
	pki_free(&p);
}

/* CRLs (x509crl/, authorities' crl_uris) revoke when present; a CA
 * without a CRL is fine; a CRL past its nextUpdate still revokes. */
TEST(crypto_auth_trust_crls)
{
	int64_t now = (int64_t)time(NULL);
	struct tc leaf, revoked;
	struct auth_trust *t;
	char crl[128], crl_root[128], stale[128];
	struct pki p;
	long serial = 66, inter_serial = 2;
	struct auth_crl *c;

	pki_make(&p);
	tc_make(&leaf, &(struct tc_opts){ .cn = "ok", .serial = 65 }, &p.inter);
	tc_make(&revoked, &(struct tc_opts){ .cn = "r", .serial = 66 },
		&p.inter);
	snprintf(crl, sizeof(crl), "%s/inter.crl", p.dir);
	snprintf(crl_root, sizeof(crl_root), "%s/root.crl", p.dir);
	snprintf(stale, sizeof(stale), "%s/stale.crl", p.dir);
	tc_write_crl(&p.inter, &serial, 1, 7, crl);
	tc_write_crl(&p.root, &inter_serial, 1, 7, crl_root);
	tc_write_crl(&p.inter, &serial, 1, -2, stale);

	t = trust_of(&p.root_c, 1, p.inter_c, NULL);
	CHECK_STR(verify(t, &revoked, NULL, now), "ok"); /* no CRL */
	auth_trust_free(t);

	t = trust_of(&p.root_c, 1, p.inter_c, crl);
	CHECK_STR(verify(t, &revoked, NULL, now), "certificate revoked");
	CHECK_STR(verify(t, &leaf, NULL, now), "ok");
	auth_trust_free(t);

	test_note("the root's CRL revokes the intermediate");
	t = trust_of(&p.root_c, 1, p.inter_c, crl_root);
	CHECK_STR(verify(t, &leaf, NULL, now), "certificate revoked");
	auth_trust_free(t);

	test_note("a stale CRL still revokes");
	t = trust_of(&p.root_c, 1, p.inter_c, stale);
	CHECK_STR(verify(t, &revoked, NULL, now), "certificate revoked");
	CHECK_STR(verify(t, &leaf, NULL, now), "ok");
	auth_trust_free(t);

	CHECK_EQ(auth_crl_load(p.dir, &c), CRYPTO_E_KEY_LOAD);
	tc_free(&leaf);
	tc_free(&revoked);
	pki_free(&p);
}
