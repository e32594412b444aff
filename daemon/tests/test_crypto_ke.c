/* Tests for key exchange (daemon/crypto/ke.c): published vectors (RFC 7748
 * X25519/X448, RFC 5903 ECP groups in IKE), MODP agreement, and refusal of
 * every invalid peer value RFC 7296 §5 / RFC 6989 / RFC 8031 name. */
#include "crypto/ke.h"
#include "ike_iana.h"
#include "tests/test.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

struct ke_vector {
	const char *source;
	unsigned id;
	const char *priv_i, *pub_i; /* initiator's private and KE data */
	const char *priv_r, *pub_r; /* responder's */
	const char *secret;	    /* g^ir */
};

static const struct ke_vector vectors[] = {
	{ "RFC 7748 §6.1", KE_CURVE25519,
	  /* Alice's private key, public key */
	  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	  /* Bob's private key, public key */
	  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	  /* shared secret K */
	  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	{ "RFC 7748 §6.2", KE_CURVE448,
	  "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28d"
	  "d9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
	  "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c"
	  "22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
	  "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d"
	  "6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
	  "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b430"
	  "27d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
	  "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282b"
	  "b60c0b56fd2464c335543936521c24403085d59a449a5037514a879d" },
	{ "RFC 5903 §8.1", KE_ECP_256,
	  /* i */
	  "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 "
	  "862D1433",
	  /* gix | giy */
	  "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 "
	  "72581180 5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 "
	  "389E0577 B8990BB3",
	  /* r */
	  "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 "
	  "476BEE53",
	  /* grx | gry */
	  "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 "
	  "4494BF63 56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 "
	  "53E74F33 039872AB",
	  /* girx */
	  "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 "
	  "4B9442DE" },
	{ "RFC 5903 §8.2", KE_ECP_384,
	  "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 "
	  "14DCE655 E35B5380 41E649EE 3FAEF896 783AB194",
	  "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 "
	  "B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA 9482ED1F C0EEB9CA "
	  "FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 "
	  "C2C947DA E69B4C63 4573A81C",
	  "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD "
	  "A0AA2942 E0308312 916B8ED2 960E4BD5 5A7448FC",
	  "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 "
	  "32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571 DCFBEC7A ACF31964 "
	  "72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 "
	  "42209DFF 5EAAD96D B9E6386C",
	  "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E "
	  "7156C5C4 D6031355 69B9E9D0 9CF5D4A2 70F59746" },
	{ "RFC 5903 §8.3", KE_ECP_521,
	  "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 "
	  "608172A0 95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 "
	  "462F68C2 7A57382D 4A52",
	  "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 "
	  "57C9ECBE E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 "
	  "601723C4 195D176C ED3E"
	  "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D "
	  "7CB4A10A D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 "
	  "8BF01BEB 6CA3926F 9582",
	  "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 "
	  "8380201E 9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 "
	  "EFFC311F 5CB15168 5EB9",
	  "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 "
	  "39735A21 9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C "
	  "ED2B6171 640012D9 460F"
	  "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 "
	  "52077B87 220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 "
	  "6579AB44 FCD17F0F C56A",
	  "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 "
	  "B2D79B04 D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 "
	  "F2BEE417 996D19F3 DDEA" },
};

/* One side of a vector: our KE data must be the published public value and
 * the secret computed with the peer's must be the published g^ir. */
static void check_side(const struct ke_vector *v, const char *priv,
		       const char *pub, const char *peer_pub)
{
	uint8_t k[80], want_pub[KE_PUB_MAX], peer[KE_PUB_MAX], want[80];
	uint8_t got[KE_PUB_MAX];
	long klen = test_unhex(priv, k, sizeof(k));
	long plen = test_unhex(pub, want_pub, sizeof(want_pub));
	long rlen = test_unhex(peer_pub, peer, sizeof(peer));
	long slen = test_unhex(v->secret, want, sizeof(want));
	struct ke_secret s;
	struct ke *ke = NULL;
	size_t len = 0;

	test_note("%s", v->source);
	REQUIRE_EQ(ke_new_from_private(v->id, k, (size_t)klen, &ke), 0);
	CHECK_EQ(ke_xform(ke)->pub_len, plen);
	REQUIRE_EQ(ke_public(ke, got, sizeof(got), &len), 0);
	CHECK_EQ(len, plen);
	CHECK_MEM(got, want_pub, (size_t)plen);
	CHECK_EQ(ke_check_peer(v->id, peer, (size_t)rlen), 0);
	REQUIRE_EQ(ke_derive(ke, peer, (size_t)rlen, &s), 0);
	CHECK_EQ(s.len, slen);
	CHECK_MEM(s.buf, want, (size_t)slen);
	ke_secret_wipe(&s);
	CHECK_EQ(s.len, 0);
	ke_free(ke);
}

TEST(crypto_ke_published_vectors)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		check_side(&vectors[i], vectors[i].priv_i, vectors[i].pub_i,
			   vectors[i].pub_r);
		check_side(&vectors[i], vectors[i].priv_r, vectors[i].pub_r,
			   vectors[i].pub_i);
	}
}

/* Two fresh key pairs of each group agree; the secret has the group's
 * length (MODP: padded to the prime, §2.14). */
TEST(crypto_ke_every_group_agrees)
{
	static const unsigned ids[] = { KE_MODP_2048,  KE_MODP_3072,
					KE_MODP_4096,  KE_ECP_256,
					KE_ECP_384,    KE_ECP_521,
					KE_CURVE25519, KE_CURVE448 };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint8_t pa[KE_PUB_MAX], pb[KE_PUB_MAX];
		struct ke *a = NULL, *b = NULL;
		struct ke_secret sa, sb;
		size_t la, lb;

		REQUIRE_EQ(ke_new(ids[i], &a), 0);
		REQUIRE_EQ(ke_new(ids[i], &b), 0);
		REQUIRE_EQ(ke_public(a, pa, sizeof(pa), &la), 0);
		REQUIRE_EQ(ke_public(b, pb, sizeof(pb), &lb), 0);
		CHECK_EQ(la, ke_xform(a)->pub_len);
		CHECK_EQ(ke_public(a, pa, la - 1, &la), CRYPTO_E_BUFFER);
		REQUIRE_EQ(ke_derive(a, pb, lb, &sa), 0);
		REQUIRE_EQ(ke_derive(b, pa, la, &sb), 0);
		CHECK_EQ(sa.len, ke_xform(a)->secret_len);
		CHECK_EQ(sa.len, sb.len);
		CHECK_MEM(sa.buf, sb.buf, sa.len);
		ke_free(a);
		ke_free(b);
	}
	CHECK_EQ(ke_new(KE_MODP_1024, &(struct ke *){ NULL }),
		 CRYPTO_E_UNSUPPORTED);
	ke_free(NULL);
}

/* ke_new() computes an X25519/X448 public value its own way (scalar times
 * the base point through derive(), ke.c): a fresh key agrees with each
 * RFC 7748 key made by OpenSSL's key import, and fresh keys differ. */
TEST(crypto_ke_fresh_ecx_keys_agree_with_published_keys)
{
	for (size_t i = 0; i < 2; i++) {
		const struct ke_vector *v = &vectors[i];
		uint8_t k[80], pub_v[KE_PUB_MAX], pub_a[KE_PUB_MAX];
		uint8_t first[KE_PUB_MAX];
		long klen = test_unhex(v->priv_i, k, sizeof(k));
		long plen = test_unhex(v->pub_i, pub_v, sizeof(pub_v));
		struct ke *pk = NULL;

		test_note("%s", v->source);
		REQUIRE_EQ(ke_new_from_private(v->id, k, (size_t)klen, &pk), 0);
		for (int round = 0; round < 32; round++) {
			struct ke_secret sa, sv;
			struct ke *a = NULL;
			size_t len = 0;

			REQUIRE_EQ(ke_new(v->id, &a), 0);
			REQUIRE_EQ(ke_public(a, pub_a, sizeof(pub_a), &len), 0);
			REQUIRE_EQ(len, plen);
			if (round == 0)
				memcpy(first, pub_a, len);
			else
				CHECK(memcmp(first, pub_a, len) != 0);
			REQUIRE_EQ(ke_derive(a, pub_v, (size_t)plen, &sa), 0);
			REQUIRE_EQ(ke_derive(pk, pub_a, len, &sv), 0);
			CHECK_EQ(sa.len, sv.len);
			CHECK_MEM(sa.buf, sv.buf, sa.len);
			ke_secret_wipe(&sa);
			ke_secret_wipe(&sv);
			ke_free(a);
		}
		ke_free(pk);
	}
}

/* RFC 3526 §3, the 2048-bit MODP group's prime. */
static const char modp2048_p[] =
	"FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"
	"29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
	"EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245"
	"E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
	"EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D"
	"C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F"
	"83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D"
	"670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
	"E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9"
	"DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
	"15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

/* Adds `delta` (-1, 0, +1) to a big-endian number of `len` bytes. */
static void add_small(uint8_t *n, size_t len, int delta)
{
	for (size_t i = len; i-- > 0 && delta;) {
		int v = n[i] + delta;
		n[i] = (uint8_t)v;
		delta = v < 0 ? -1 : v > 255 ? 1 : 0;
	}
}

/* RFC 6989 §2.1 / RFC 7296 §5: 0, 1, p-1, p, p+1 and 2^2048-1 are refused,
 * 2 and p-2 are accepted, before and during ke_derive(). */
TEST(crypto_ke_modp_rejects_out_of_range_values)
{
	uint8_t p[256], v[257];
	struct ke *ke = NULL;
	struct ke_secret s;

	REQUIRE_EQ(test_unhex(modp2048_p, p, sizeof(p)), 256);
	REQUIRE_EQ(ke_new(KE_MODP_2048, &ke), 0);
	struct {
		int base_p, delta, want;
	} cases[] = {
		{ 0, 0, CRYPTO_E_KE_RANGE },  /* 0 */
		{ 0, 1, CRYPTO_E_KE_RANGE },  /* 1 */
		{ 0, 2, 0 },		      /* 2 */
		{ 1, -2, 0 },		      /* p-2 */
		{ 1, -1, CRYPTO_E_KE_RANGE }, /* p-1 */
		{ 1, 0, CRYPTO_E_KE_RANGE },  /* p */
		{ 1, 1, CRYPTO_E_KE_RANGE },  /* p+1 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(v, 0, sizeof(v));
		if (cases[i].base_p)
			memcpy(v, p, 256);
		add_small(v, 256, cases[i].delta);
		CHECK_EQ(ke_check_peer(KE_MODP_2048, v, 256), cases[i].want);
		CHECK_EQ(ke_derive(ke, v, 256, &s), cases[i].want);
		if (cases[i].want)
			CHECK_EQ(s.len, 0);
	}
	memset(v, 0xff, sizeof(v));
	CHECK_EQ(ke_derive(ke, v, 256, &s), CRYPTO_E_KE_RANGE);
	/* §3.4: the value must be exactly the prime's length */
	memset(v, 0, sizeof(v));
	v[255] = 2;
	CHECK_EQ(ke_derive(ke, v, 255, &s), CRYPTO_E_KE_LENGTH);
	CHECK_EQ(ke_derive(ke, v, 257, &s), CRYPTO_E_KE_LENGTH);
	CHECK_EQ(ke_derive(ke, NULL, 0, &s), CRYPTO_E_KE_LENGTH);
	ke_free(ke);
}

/* OpenSSL's modp_3072 / modp_4096 are RFC 3526's (shared leading and
 * trailing 64 bits, right size), and p-1 / p are refused for them too. */
TEST(crypto_ke_modp_3072_4096_bounds)
{
	static const struct {
		unsigned id;
		const char *name;
		int len;
	} g[] = { { KE_MODP_3072, "modp_3072", 384 },
		  { KE_MODP_4096, "modp_4096", 512 } };

	for (size_t i = 0; i < 2; i++) {
		OSSL_PARAM params[2] = {
			OSSL_PARAM_construct_utf8_string(
				OSSL_PKEY_PARAM_GROUP_NAME, (char *)g[i].name,
				0),
			OSSL_PARAM_construct_end(),
		};
		EVP_PKEY_CTX *ctx =
			EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
		EVP_PKEY *pk = NULL;
		BIGNUM *p = NULL;
		uint8_t v[512];
		static const uint8_t head[] = { 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff,
						0xc9, 0x0f, 0xda, 0xa2 };

		REQUIRE(ctx && EVP_PKEY_fromdata_init(ctx) > 0);
		REQUIRE(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEY_PARAMETERS,
					  params) > 0);
		REQUIRE(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_FFC_P, &p));
		REQUIRE_EQ(BN_bn2binpad(p, v, g[i].len), g[i].len);
		CHECK_MEM(v, head, sizeof(head));
		CHECK_EQ(v[g[i].len - 1], 0xff);
		CHECK_EQ(ke_check_peer(g[i].id, v, g[i].len),
			 CRYPTO_E_KE_RANGE);
		add_small(v, g[i].len, -1);
		CHECK_EQ(ke_check_peer(g[i].id, v, g[i].len),
			 CRYPTO_E_KE_RANGE);
		add_small(v, g[i].len, -1);
		CHECK_EQ(ke_check_peer(g[i].id, v, g[i].len), 0);
		BN_free(p);
		EVP_PKEY_free(pk);
		EVP_PKEY_CTX_free(ctx);
	}
}

/* RFC 6989 §2.3: a point off the curve, coordinates >= p, the all-zero
 * encoding (not a point) are refused. */
TEST(crypto_ke_ecp_rejects_points_off_the_curve)
{
	uint8_t pub[64];
	struct ke *ke = NULL;
	struct ke_secret s;
	size_t len;

	REQUIRE_EQ(ke_new(KE_ECP_256, &ke), 0);
	REQUIRE_EQ(ke_public(ke, pub, sizeof(pub), &len), 0);
	pub[63] ^= 1; /* y changed: off the curve */
	CHECK_EQ(ke_check_peer(KE_ECP_256, pub, 64), CRYPTO_E_KE_POINT);
	CHECK_EQ(ke_derive(ke, pub, 64, &s), CRYPTO_E_KE_POINT);
	memset(pub, 0, sizeof(pub));
	CHECK_EQ(ke_derive(ke, pub, 64, &s), CRYPTO_E_KE_POINT);
	memset(pub, 0xff, sizeof(pub)); /* x, y >= p */
	CHECK_EQ(ke_derive(ke, pub, 64, &s), CRYPTO_E_KE_POINT);
	CHECK_EQ(ke_derive(ke, pub, 65, &s), CRYPTO_E_KE_LENGTH);
	CHECK_EQ(ke_derive(ke, pub, 32, &s), CRYPTO_E_KE_LENGTH);
	ke_free(ke);
}

/* RFC 8031 §2 / RFC 7748 §6: low-order points give an all-zero secret,
 * which is refused. u = 0 and u = 1 are of low order on both curves. */
TEST(crypto_ke_ecx_rejects_all_zero_secret)
{
	static const unsigned ids[] = { KE_CURVE25519, KE_CURVE448 };

	for (size_t i = 0; i < 2; i++) {
		struct ke *ke = NULL;
		struct ke_secret s;
		uint8_t u[56] = { 0 };
		size_t n = ids[i] == KE_CURVE25519 ? 32 : 56;

		REQUIRE_EQ(ke_new(ids[i], &ke), 0);
		CHECK_EQ(ke_derive(ke, u, n, &s), CRYPTO_E_KE_ZERO);
		u[0] = 1;
		CHECK_EQ(ke_derive(ke, u, n, &s), CRYPTO_E_KE_ZERO);
		CHECK_EQ(s.len, 0);
		CHECK_EQ(ke_derive(ke, u, n - 1, &s), CRYPTO_E_KE_LENGTH);
		ke_free(ke);
	}
}

/* Random bytes as peer public values of every length near the right one:
 * no crash, no leak (ASan), only named errors or success. */
TEST(crypto_ke_fuzz_random_peer_values)
{
	static const unsigned ids[] = {
		KE_MODP_2048, KE_ECP_256,    KE_ECP_384,
		KE_ECP_521,   KE_CURVE25519, KE_CURVE448
	};
	unsigned ok = 0, refused = 0;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct ke *ke = NULL;

		REQUIRE_EQ(ke_new(ids[i], &ke), 0);
		for (int round = 0; round < 60; round++) {
			uint8_t v[KE_PUB_MAX + 1];
			struct ke_secret s;
			size_t len =
				ke_xform(ke)->pub_len + (size_t)(round % 3) - 1;
			int rc;

			REQUIRE(RAND_bytes(v, sizeof(v)) == 1);
			if (round % 7 == 0)
				v[0] = 0; /* more MODP values below p */
			rc = ke_derive(ke, v, len, &s);
			CHECK(rc == 0 || rc == CRYPTO_E_KE_LENGTH ||
			      rc == CRYPTO_E_KE_RANGE ||
			      rc == CRYPTO_E_KE_POINT ||
			      rc == CRYPTO_E_KE_ZERO);
			rc == 0 ? ok++ : refused++;
			ke_secret_wipe(&s);
		}
		ke_free(ke);
	}
	test_note("%u random peer values accepted, %u refused", ok, refused);
	CHECK_GT(refused, 0);
}

/* One exchange of group `id` between two fresh keys: 1 if both sides
 * derive the same secret. */
static int ke_agree(unsigned id)
{
	uint8_t pa[KE_PUB_MAX], pb[KE_PUB_MAX];
	struct ke *a = NULL, *b = NULL;
	struct ke_secret sa, sb;
	size_t la, lb;
	int ok = ke_new(id, &a) == 0 && ke_new(id, &b) == 0 &&
		 ke_public(a, pa, sizeof(pa), &la) == 0 &&
		 ke_public(b, pb, sizeof(pb), &lb) == 0 &&
		 ke_derive(a, pb, lb, &sa) == 0 &&
		 ke_derive(b, pa, la, &sb) == 0 && sa.len == sb.len &&
		 memcmp(sa.buf, sb.buf, sa.len) == 0;

	ke_secret_wipe(&sa);
	ke_secret_wipe(&sb);
	ke_free(a);
	ke_free(b);
	return ok;
}

/* ke.c keeps one peer key per group and thread and sets each peer's
 * value into it, and hands ke_new()'s derive context to ke_derive(): a
 * refused peer value (off the curve, all-zero result) leaves nothing
 * behind for the next exchange on the thread, and a key whose first
 * derive was refused derives again. */
TEST(crypto_ke_refused_peer_value_leaves_nothing_behind)
{
	static const unsigned ids[] = { KE_ECP_256, KE_CURVE25519 };

	for (size_t i = 0; i < 2; i++) {
		uint8_t pa[KE_PUB_MAX], pb[KE_PUB_MAX], bad[KE_PUB_MAX] = { 0 };
		struct ke *a = NULL, *b = NULL;
		struct ke_secret sa, sb;
		size_t la, lb;

		REQUIRE_EQ(ke_new(ids[i], &a), 0);
		REQUIRE_EQ(ke_new(ids[i], &b), 0);
		REQUIRE_EQ(ke_public(a, pa, sizeof(pa), &la), 0);
		REQUIRE_EQ(ke_public(b, pb, sizeof(pb), &lb), 0);
		memcpy(bad, pb, lb);
		bad[lb - 1] ^= 1; /* ECP: off the curve */
		if (ids[i] == KE_CURVE25519)
			memset(bad, 0, lb); /* u = 0: an all-zero secret */
		CHECK_NE(ke_derive(a, bad, lb, &sa), 0);
		if (ids[i] ==
		    KE_ECP_256) /* X25519's u = 0 is refused at derive */
			CHECK_EQ(ke_check_peer(ids[i], bad, lb),
				 CRYPTO_E_KE_POINT);
		REQUIRE_EQ(ke_derive(a, pb, lb, &sa), 0);
		REQUIRE_EQ(ke_derive(b, pa, la, &sb), 0);
		CHECK_EQ(sa.len, sb.len);
		CHECK_MEM(sa.buf, sb.buf, sa.len);
		CHECK_EQ(ke_check_peer(ids[i], pa, la), 0);
		CHECK(ke_agree(ids[i]));
		ke_free(a);
		ke_free(b);
	}
}

static void *ke_thread(void *p)
{
	unsigned *ok = p;

	for (int i = 0; i < 50; i++)
		*ok += (unsigned)ke_agree(i % 2 ? KE_CURVE25519 : KE_ECP_256);
	return NULL;
}

/* Workers exchange keys at once, each with its own peer keys and import
 * contexts (freed when the thread ends: ASan's leak check). */
TEST(crypto_ke_threads_exchange_at_once)
{
	pthread_t t[3];
	unsigned ok[3] = { 0 };

	for (size_t i = 0; i < 3; i++)
		REQUIRE_EQ(pthread_create(&t[i], NULL, ke_thread, &ok[i]), 0);
	for (size_t i = 0; i < 3; i++) {
		REQUIRE_EQ(pthread_join(t[i], NULL), 0);
		CHECK_EQ(ok[i], 50);
	}
}
