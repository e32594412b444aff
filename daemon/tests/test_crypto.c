/* Tests for the transform table, prf/prf+ and key derivation
 * (daemon/crypto/xform.c, prf.c, keymat.c) against published vectors
 * (RFC 4231, RFC 4868) and independently computed ones
 * (vectors/crypto/keymat_gen.py, Python's hmac module). */
#include "crypto/auth.h"
#include "crypto/crypto.h"
#include "crypto/ke.h"
#include "crypto/keylog.h"
#include "crypto/keymat.h"
#include "crypto/prf.h"
#include "crypto/skp.h"
#include "crypto/xform.h"
#include "ike_iana.h"
#include "tests/test.h"

#include <stdio.h>

static const struct xform_prf *prf_of(unsigned id)
{
	const struct xform_prf *p = NULL;

	REQUIRE_EQ(xform_prf_find(id, &p), 0);
	return p;
}

TEST(crypto_err_names_are_unique_and_negative)
{
	CHECK_STR(crypto_err_name(0), "success");
	CHECK_STR(crypto_err_name(CRYPTO_E_KE_RANGE),
		  "KE public value out of range");
	CHECK_STR(crypto_err_symbol(CRYPTO_E_SK_ICV), "CRYPTO_E_SK_ICV");
	CHECK(crypto_err_name(-1) == NULL);
	CHECK(crypto_err_name(-5000) == NULL);
#define CHECK_NEG(sym, val, name) CHECK_LT(sym, -4095);
	CRYPTO_ERRORS(CHECK_NEG)
#undef CHECK_NEG
}

TEST(crypto_xform_sizes)
{
	const struct xform_encr *e;
	const struct xform_integ *i;
	const struct xform_ke *k;

	REQUIRE_EQ(xform_encr_find(ENCR_AES_GCM_16, 256, &e), 0);
	CHECK_EQ(e->key_len, 36); /* RFC 5282 §7.1: 32 + 4 salt */
	CHECK_EQ(e->iv_len, 8);
	CHECK_EQ(e->icv_len, 16);
	CHECK(e->aead);
	REQUIRE_EQ(xform_encr_find(ENCR_AES_CBC, 192, &e), 0);
	CHECK_EQ(e->key_len, 24);
	CHECK_EQ(e->block_len, 16);
	CHECK_EQ(e->iv_len, 16);
	CHECK(!e->aead);
	REQUIRE_EQ(xform_encr_find(ENCR_CHACHA20_POLY1305, 0, &e), 0);
	CHECK_EQ(e->key_len, 36); /* RFC 7634 §2 */
	REQUIRE_EQ(xform_integ_find(AUTH_HMAC_SHA2_384_192, &i), 0);
	CHECK_EQ(i->key_len, 48);
	CHECK_EQ(i->icv_len, 24);
	REQUIRE_EQ(xform_integ_find(AUTH_HMAC_SHA1_96, &i), 0);
	CHECK_EQ(i->icv_len, 12);
	REQUIRE_EQ(xform_ke_find(KE_ECP_521, &k), 0);
	CHECK_EQ(k->pub_len, 132);
	CHECK_EQ(k->secret_len, 66);
	REQUIRE_EQ(xform_ke_find(KE_MODP_3072, &k), 0);
	CHECK_EQ(k->pub_len, 384);
}

TEST(crypto_xform_refuses_by_number_and_name)
{
	const struct xform_encr *e;
	const struct xform_ke *k;
	char buf[96];

	CHECK_EQ(xform_encr_find(ENCR_3DES, 0, &e), CRYPTO_E_UNSUPPORTED);
	CHECK_EQ(xform_encr_find(ENCR_AES_CBC, 0, &e), CRYPTO_E_KEY_LENGTH);
	CHECK_EQ(xform_encr_find(ENCR_AES_CBC, 100, &e), CRYPTO_E_KEY_LENGTH);
	CHECK_EQ(xform_encr_find(ENCR_CHACHA20_POLY1305, 256, &e),
		 CRYPTO_E_KEY_LENGTH);
	CHECK_EQ(xform_ke_find(KE_MODP_1024, &k), CRYPTO_E_UNSUPPORTED);
	CHECK_EQ(xform_check(TRANS_PRF, PRF_HMAC_MD5, 0), CRYPTO_E_UNSUPPORTED);
	CHECK_EQ(xform_check(TRANS_PRF, PRF_HMAC_SHA2_256, 128),
		 CRYPTO_E_KEY_LENGTH);
	CHECK_EQ(xform_check(TRANS_INTEG, AUTH_NONE, 0), 0);
	CHECK_EQ(xform_check(TRANS_ESN, ESN_YES, 0), 0);
	CHECK_EQ(xform_check(TRANS_KE, KE_CURVE448, 0), 0);
	CHECK_STR(xform_describe(TRANS_ENCR, ENCR_3DES, 0, buf, sizeof(buf)),
		  "ENCR ENCR_3DES (3)");
	CHECK_STR(
		xform_describe(TRANS_ENCR, ENCR_AES_CBC, 100, buf, sizeof(buf)),
		"ENCR ENCR_AES_CBC (12) key length 100");
	CHECK_STR(xform_describe(TRANS_KE, 999, 0, buf, sizeof(buf)),
		  "KE unknown (999)");
	CHECK_STR(xform_describe(77, 1, 0, buf, sizeof(buf)),
		  "type 77 unknown (1)");
}

/* RFC 4231 §4.2 (test case 1) and §4.3 (test case 2). */
TEST(crypto_prf_rfc4231)
{
	static const struct {
		unsigned prf;
		const char *key, *data, *mac;
	} v[] = {
		{ PRF_HMAC_SHA2_256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		  "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e"
		  "32cff7" },
		{ PRF_HMAC_SHA2_384, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		  "Hi There",
		  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7c"
		  "ebc59cfaea9ea9076ede7f4af152e8b2fa9cb6" },
		{ PRF_HMAC_SHA2_512, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		  "Hi There",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545"
		  "e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e69"
		  "6c203a126854" },
		{ PRF_HMAC_SHA2_256, "4a656665", /* "Jefe" */
		  "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964"
		  "ec3843" },
		{ PRF_HMAC_SHA2_384, "4a656665", "what do ya want for nothing?",
		  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec37363"
		  "22445e8e2240ca5e69e2c78b3239ecfab21649" },
		{ PRF_HMAC_SHA2_512, "4a656665", "what do ya want for nothing?",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea"
		  "2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e"
		  "070a38bce737" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const struct xform_prf *p = prf_of(v[i].prf);
		uint8_t key[64], want[64], out[PRF_MAX];
		long klen = test_unhex(v[i].key, key, sizeof(key));
		long wlen = test_unhex(v[i].mac, want, sizeof(want));
		/* split the data to check that spans are concatenated */
		struct crypto_span d[2] = { { v[i].data, 3 },
					    { v[i].data + 3,
					      strlen(v[i].data) - 3 } };

		REQUIRE_EQ(wlen, p->out_len);
		REQUIRE_EQ(prf_compute(p, key, (size_t)klen, d, 2, out), 0);
		CHECK_MEM(out, want, (size_t)wlen);
	}
}

/* RFC 4868 §2.7.1, PRF test case 1 (key 0x0b * 32/48/64, "Hi There"). */
TEST(crypto_prf_rfc4868)
{
	static const struct {
		unsigned prf;
		const char *mac;
	} v[] = {
		{ PRF_HMAC_SHA2_256, "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3"
				     "d9ae3c1c7a3b1696a0b68cf7" },
		{ PRF_HMAC_SHA2_384, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48"
				     "cbdee9737a959796489bddbc4c5df61d5b3297b4"
				     "fb68dab9f1b582c2" },
		{ PRF_HMAC_SHA2_512, "637edc6e01dce7e6742a99451aae82df23da3e92"
				     "439e590e43e761b33e910fb8ac2878ebd5803f6f"
				     "0b61dbce5e251ff8789a4722c1be65aea45fd464"
				     "e89f8f5b" },
	};

	for (size_t i = 0; i < 3; i++) {
		const struct xform_prf *p = prf_of(v[i].prf);
		uint8_t key[64], want[64], out[PRF_MAX];
		struct crypto_span d = { "Hi There", 8 };

		memset(key, 0x0b, sizeof(key));
		REQUIRE_EQ(test_unhex(v[i].mac, want, sizeof(want)),
			   p->out_len);
		REQUIRE_EQ(prf_compute(p, key, p->out_len, &d, 1, out), 0);
		CHECK_MEM(out, want, p->out_len);
	}
}

/* prf+ from vectors/crypto/keymat_gen.py: T1 = HMAC(K, S | 1), Tn =
 * HMAC(K, Tn-1 | S | n), computed with Python's hmac module. */
TEST(crypto_prf_plus_independent_vector)
{
	const struct xform_prf *p = prf_of(PRF_HMAC_SHA2_256);
	uint8_t key[32], want[100], out[101];
	struct crypto_span s[2] = { { "keybridge ", 10 }, { "prf+ seed", 9 } };

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	REQUIRE_EQ(test_unhex("469d95965d7bb3340aa62ca82531fd24c6a611139318f7"
			      "a63327ddc81d60561a770c5b99d771163c2db0e1879893"
			      "7c58e7c78f0edf377755763671aa8492cc3141cf0d9a0e"
			      "89c5b88523762a9b7ffea4416e4b19d350eb988a1ad0d7"
			      "87eaa7a67f0d9842",
			      want, sizeof(want)),
		   100);
	out[100] = 0xee;
	REQUIRE_EQ(prf_plus(p, key, sizeof(key), s, 2, out, 100), 0);
	CHECK_MEM(out, want, 100);
	CHECK_EQ(out[100], 0xee);
	/* a prefix of prf+ is the shorter prf+ */
	REQUIRE_EQ(prf_plus(p, key, sizeof(key), s, 2, out, 7), 0);
	CHECK_MEM(out, want, 7);
}

TEST(crypto_prf_plus_stops_at_255_iterations)
{
	const struct xform_prf *p = prf_of(PRF_HMAC_SHA1);
	static uint8_t out[255 * 20 + 1];
	struct crypto_span s = { "x", 1 };

	CHECK_EQ(prf_plus(p, "k", 1, &s, 1, out, 255 * 20), 0);
	CHECK_EQ(prf_plus(p, "k", 1, &s, 1, out, 255 * 20 + 1), CRYPTO_E_ARG);
}

static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spi_r[8] = {
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18
};

/* The IKE SA of keymat_gen.py: AES-CBC-256, HMAC-SHA2-256 PRF and INTEG. */
static void derive_first(struct keymat_ike *km)
{
	struct keymat_suite s;
	uint8_t gir[32], ni[32], nr[16];

	memset(gir, 0x11, sizeof(gir));
	for (int i = 0; i < 32; i++)
		ni[i] = (uint8_t)(0xa0 + i % 16);
	memset(nr, 0x50, sizeof(nr));
	REQUIRE_EQ(keymat_suite_init(&s, ENCR_AES_CBC, 256, PRF_HMAC_SHA2_256,
				     AUTH_HMAC_SHA2_256_128),
		   0);
	REQUIRE_EQ(keymat_ike_derive(km, &s, gir, sizeof(gir), ni, sizeof(ni),
				     nr, sizeof(nr), spi_i, spi_r),
		   0);
}

#define CHECK_HEX(buf, len, hex)                                               \
	do {                                                                   \
		uint8_t want_[256];                                            \
		long n_ = test_unhex(hex, want_, sizeof(want_));               \
		CHECK_EQ(n_, (long)(len));                                     \
		CHECK_MEM(buf, want_, (size_t)n_);                             \
	} while (0)

TEST(crypto_keymat_ike_derive_independent_vector)
{
	struct keymat_ike km;
	uint8_t gir[32], ni[32], nr[16], seed[KEYMAT_KEY_MAX];

	derive_first(&km);
	memset(gir, 0x11, sizeof(gir));
	for (int i = 0; i < 32; i++)
		ni[i] = (uint8_t)(0xa0 + i % 16);
	memset(nr, 0x50, sizeof(nr));
	REQUIRE_EQ(keymat_skeyseed(km.suite.prf, gir, 32, ni, 32, nr, 16, seed),
		   0);
	CHECK_HEX(seed, 32,
		  "35c9c20c357d2d40f9310c98b94feb61"
		  "f798b09c624fdfa618cfed2c47d47b31");
	CHECK_HEX(km.sk_d, km.d_len,
		  "53d22f35a0e3db1fd3c4c78bd816bba9"
		  "182bb8e7d98f297eeff5824ad1f10048");
	CHECK_HEX(km.sk_ai, km.a_len,
		  "5d7e5ccba55a673e88941868b8c18a09"
		  "4b18b2c2a5860d25c54270ad81f93ebb");
	CHECK_HEX(km.sk_ar, km.a_len,
		  "0152fc7f9141bf8ddfd5be386e7b6b61"
		  "ed31ca19af991011f17063b0c6883e75");
	CHECK_HEX(km.sk_ei, km.e_len,
		  "d2f7c90c924ae6c2a1ad3dfa294855b4"
		  "989b903a640e7851a395f43be21ae7fc");
	CHECK_HEX(km.sk_er, km.e_len,
		  "2bdcfd2594f2d256c82b658a303425b7"
		  "92eee6322c9c58ccf6cbfa77268b64fd");
	CHECK_HEX(km.sk_pi, km.p_len,
		  "6022d0423829adc4a14fdb77f0255aef"
		  "5aeac431e7cf2b05c1b7284d9d184635");
	CHECK_HEX(km.sk_pr, km.p_len,
		  "d94187ded7232c77795d8f7ae3db08b3"
		  "620dddc5563bb0bc817106b468614812");
	keymat_ike_wipe(&km);
	for (size_t i = 0; i < sizeof(km.sk_d); i++)
		REQUIRE_EQ(km.sk_d[i] | km.sk_ei[i] | km.sk_pr[i], 0);
	CHECK_EQ(km.d_len, 0);
}

/* RFC 7296 §2.18: the old PRF makes SKEYSEED from the old SK_d, the new
 * suite's PRF (SHA2-384 here) runs prf+. */
TEST(crypto_keymat_ike_rekey_independent_vector)
{
	struct keymat_ike old, km;
	struct keymat_suite s;
	uint8_t gir[32], ni[32], nr[32];
	static const uint8_t spi2_i[8] = { 0x21, 0x22, 0x23, 0x24,
					   0x25, 0x26, 0x27, 0x28 };
	static const uint8_t spi2_r[8] = { 0x31, 0x32, 0x33, 0x34,
					   0x35, 0x36, 0x37, 0x38 };

	derive_first(&old);
	memset(gir, 0x22, 32), memset(ni, 0x33, 32), memset(nr, 0x44, 32);
	REQUIRE_EQ(keymat_suite_init(&s, ENCR_AES_GCM_16, 256,
				     PRF_HMAC_SHA2_384, AUTH_NONE),
		   0);
	REQUIRE_EQ(keymat_ike_rekey(&km, &s, &old, gir, 32, ni, 32, nr, 32,
				    spi2_i, spi2_r),
		   0);
	CHECK_EQ(km.a_len, 0);
	CHECK_HEX(km.sk_d, km.d_len,
		  "63f85b1a23d414814b61843966eb7cf26da496dc577114505f2e4f92fd"
		  "53f5e9e6887adaea0be63e5d340d5bc463b2dc");
	CHECK_HEX(km.sk_ei, km.e_len,
		  "d9e8e942abb25a88b9734dda6c380df5d1206fface37a7ee59014b9a41"
		  "72df1d8a83f405");
	CHECK_HEX(km.sk_er, km.e_len,
		  "2c2373c0eef3bb3eef9f90d40b071011296006de4212b42904d762888a"
		  "a264eae6d7283c");
	CHECK_HEX(km.sk_pi, km.p_len,
		  "fda982865679c93e2ff043d375294ff4d488a4fbd461180d6e9885fc20"
		  "d3583f34dbcdecd8738781e3ef5b0f2e371b08");
	CHECK_HEX(km.sk_pr, km.p_len,
		  "d57c59dd5455d7d0b4de39c594924e434c2a78d4a52025f74646f99d72"
		  "7fac36747e91e62f077a8d0d89a77efbbb2d61");
	/* in place: the new keys replace the old ones they come from */
	REQUIRE_EQ(keymat_ike_rekey(&old, &s, &old, gir, 32, ni, 32, nr, 32,
				    spi2_i, spi2_r),
		   0);
	CHECK_MEM(&old, &km, sizeof(km));
	/* in place with the same suite, passed from inside the struct */
	derive_first(&old);
	REQUIRE_EQ(keymat_ike_rekey(&km, &old.suite, &old, gir, 32, ni, 32, nr,
				    32, spi2_i, spi2_r),
		   0);
	REQUIRE_EQ(keymat_ike_rekey(&old, &old.suite, &old, gir, 32, ni, 32, nr,
				    32, spi2_i, spi2_r),
		   0);
	CHECK_MEM(&old, &km, sizeof(km));
	keymat_ike_wipe(&km);
	keymat_ike_wipe(&old);
}

TEST(crypto_keymat_child_with_and_without_pfs)
{
	struct keymat_ike ike;
	struct keymat_child c;
	uint8_t gir[32], ni[32], nr[32];

	derive_first(&ike);
	memset(gir, 0x22, 32), memset(ni, 0x33, 32), memset(nr, 0x44, 32);
	/* ESP AES-GCM-128: 20-byte keys, no integrity key */
	REQUIRE_EQ(
		keymat_child_derive(&c, &ike, NULL, 0, ni, 32, nr, 32, 20, 0),
		0);
	CHECK_HEX(c.ei, c.e_len, "cf04421018a2968805f6cb090ff59e751e321b91");
	CHECK_HEX(c.er, c.e_len, "7f0f76b3736b550bb1c951e5ed64a402e225764f");
	CHECK_EQ(c.a_len, 0);
	/* PFS, ESP AES-CBC-128 + HMAC-SHA2-256-128 */
	REQUIRE_EQ(
		keymat_child_derive(&c, &ike, gir, 32, ni, 32, nr, 32, 16, 32),
		0);
	CHECK_HEX(c.ei, 16, "952778b0091411c80c3394e63282670b");
	CHECK_HEX(c.ai, 32,
		  "47e750f3c72d85209f54d528c403e9d4"
		  "aacd92fb705930fc1149ccb44d972db5");
	CHECK_HEX(c.er, 16, "063854d0b8a98e372d1f439c8f8041b5");
	CHECK_HEX(c.ar, 32,
		  "1f087cc13af83c475499dd0a2432995f"
		  "624982004236d799f68d9fe91981ee6d");
	keymat_child_wipe(&c);
	CHECK_EQ(c.ei[0] | c.ar[31], 0);
	keymat_ike_wipe(&ike);
}

TEST(crypto_keymat_suite_rules)
{
	struct keymat_suite s;

	/* RFC 5282 §8: no INTEG with an AEAD cipher, INTEG needed without */
	CHECK_EQ(keymat_suite_init(&s, ENCR_AES_GCM_16, 128, PRF_HMAC_SHA2_256,
				   AUTH_HMAC_SHA2_256_128),
		 CRYPTO_E_UNSUPPORTED);
	CHECK_EQ(keymat_suite_init(&s, ENCR_AES_CBC, 128, PRF_HMAC_SHA2_256,
				   AUTH_NONE),
		 CRYPTO_E_UNSUPPORTED);
	CHECK_EQ(keymat_suite_init(&s, ENCR_AES_CBC, 128, PRF_HMAC_MD5,
				   AUTH_HMAC_SHA1_96),
		 CRYPTO_E_UNSUPPORTED);
	CHECK_EQ(keymat_suite_init(&s, ENCR_CHACHA20_POLY1305, 0, PRF_HMAC_SHA1,
				   AUTH_NONE),
		 0);
	CHECK(s.integ == NULL);
}
