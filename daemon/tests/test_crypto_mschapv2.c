/* Tests for MS-CHAPv2 and its keys (daemon/crypto/mschapv2.c): the sample
 * values of RFC 2759 §9.2 and RFC 3079 §3.5 (user "User", password
 * "clientPass"), the UTF-16 conversion of non-ASCII passwords and the
 * refusal of malformed UTF-8. */
#include "crypto/mschapv2.h"
#include "tests/test.h"

/* RFC 2759 §9.2 */
static const char user[] = "User";
static const char password[] = "clientPass";
static const char auth_chal[] =
	"5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
static const char peer_chal[] =
	"21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
static const char nt_resp_hex[] =
	"82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54"
	"42 33 11 4A 3D 85 D6 DF";

static void unhex(const char *h, uint8_t *out, size_t len)
{
	REQUIRE_EQ(test_unhex(h, out, len), (long)len);
}

#define CHECK_HEX(buf, len, hex)                                               \
	do {                                                                   \
		uint8_t want_[64];                                             \
		unhex(hex, want_, len);                                        \
		if (memcmp(buf, want_, len))                                   \
			test_fail(__FILE__, __LINE__, "%s: got %s", #buf,      \
				  test_hex(buf, len));                         \
	} while (0)

TEST(crypto_mschapv2_rfc2759_vectors)
{
	uint8_t ac[16], pc[16], hash[16], ch[8], resp[24], ar[42];

	unhex(auth_chal, ac, 16);
	unhex(peer_chal, pc, 16);
	REQUIRE_EQ(mschapv2_nt_hash(password, strlen(password), hash), 0);
	/* NT-PasswordHash */
	CHECK_HEX(hash, 16, "44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE");
	REQUIRE_EQ(
		mschapv2_challenge_hash(pc, ac, (const uint8_t *)user, 4, ch),
		0);
	/* Challenge */
	CHECK_HEX(ch, 8, "D0 2E 43 86 BC E9 12 26");
	REQUIRE_EQ(mschapv2_challenge_response(ch, hash, resp), 0);
	CHECK_HEX(resp, 24, nt_resp_hex);
	memset(resp, 0, sizeof(resp));
	REQUIRE_EQ(mschapv2_nt_response(ac, pc, (const uint8_t *)user, 4, hash,
					resp),
		   0);
	/* NT-Response */
	CHECK_HEX(resp, 24, nt_resp_hex);
	REQUIRE_EQ(mschapv2_auth_response(hash, resp, pc, ac,
					  (const uint8_t *)user, 4, ar),
		   0);
	CHECK_EQ(memcmp(ar, "S=407A5589115FD0D6209F510FE9C04566932CDA56", 42),
		 0);
}

TEST(crypto_mschapv2_rfc3079_keys)
{
	uint8_t hash[16], resp[24], mk[16], key[16], msk[64];

	REQUIRE_EQ(mschapv2_nt_hash(password, strlen(password), hash), 0);
	unhex(nt_resp_hex, resp, 24);
	REQUIRE_EQ(mschapv2_master_key(hash, resp, mk), 0);
	/* MasterKey */
	CHECK_HEX(mk, 16, "FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31");
	/* SendStartKey128 of §3.5.3 is the server's send key (Magic3) */
	REQUIRE_EQ(mschapv2_start_key(mk, true, true, key), 0);
	CHECK_HEX(key, 16, "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB");
	/* which is the client's receive key */
	memset(key, 0, sizeof(key));
	REQUIRE_EQ(mschapv2_start_key(mk, false, false, key), 0);
	CHECK_HEX(key, 16, "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB");
	/* the other key (Magic2): SHA-1(MasterKey | 40 x 00 | Magic2 |
	 * 40 x F2), computed independently with Python's hashlib */
	REQUIRE_EQ(mschapv2_start_key(mk, true, false, key), 0);
	CHECK_HEX(key, 16, "d5f0e9521e3ea9589645e86051c82226");
	REQUIRE_EQ(mschapv2_start_key(mk, false, true, key), 0);
	CHECK_HEX(key, 16, "d5f0e9521e3ea9589645e86051c82226");
	/* MSK: the server's receive key | its send key | 32 zero bytes
	 * (charon as EAP-MSCHAPv2 client agrees on it:
	 * keybridged_eap_mschapv2_server_for_charon) */
	REQUIRE_EQ(mschapv2_msk(hash, resp, msk), 0);
	CHECK_HEX(msk, 32,
		  "d5f0e9521e3ea9589645e86051c82226"
		  "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB");
	for (int i = 32; i < 64; i++)
		CHECK_EQ(msk[i], 0);
}

TEST(crypto_mschapv2_password_utf16)
{
	uint8_t a[16], b[16];

	/* "é" (U+00E9) is one UTF-16 unit, "😀" (U+1F600) the surrogate
	 * pair D83D DE00; expected: `printf '\xe9\x00' | openssl dgst
	 * -provider legacy -md4` and likewise for 3d d8 00 de */
	REQUIRE_EQ(mschapv2_nt_hash("\xc3\xa9", 2, a), 0);
	CHECK_HEX(a, 16, "e77286d072c7858e9110cc3a011d2ac8");
	REQUIRE_EQ(mschapv2_nt_hash("\xf0\x9f\x98\x80", 4, b), 0);
	CHECK_HEX(b, 16, "4b58a10cc20a4e7d808d218e1f80aabc");
	/* Latin-1 bytes, an encoded surrogate, an overlong form, a value
	 * above U+10FFFF and a cut sequence are not UTF-8 */
	CHECK_EQ(mschapv2_nt_hash("\xe9", 1, b), CRYPTO_E_ARG);
	CHECK_EQ(mschapv2_nt_hash("\xed\xa0\x80", 3, b), CRYPTO_E_ARG);
	CHECK_EQ(mschapv2_nt_hash("\xc0\xaf", 2, b), CRYPTO_E_ARG);
	CHECK_EQ(mschapv2_nt_hash("\xf4\x90\x80\x80", 4, b), CRYPTO_E_ARG);
	CHECK_EQ(mschapv2_nt_hash("\xe2\x82", 2, b), CRYPTO_E_ARG);
	CHECK_EQ(mschapv2_nt_hash("", 0, b), 0);
	{
		char longpw[MSCHAPV2_PASSWORD_MAX + 1];

		memset(longpw, 'x', sizeof(longpw));
		CHECK_EQ(mschapv2_nt_hash(longpw, sizeof(longpw) - 1, a), 0);
		CHECK_EQ(mschapv2_nt_hash(longpw, sizeof(longpw), a),
			 CRYPTO_E_ARG);
	}
	/* MD4("") */
	CHECK_HEX(b, 16, "31d6cfe0d16ae931b73c59d7e0c089c0");
}

TEST(crypto_mschapv2_user_strips_domain)
{
	const uint8_t n1[] = "EXAMPLE\\alice", n2[] = "alice";
	size_t len;
	const uint8_t *u = mschapv2_user(n1, sizeof(n1) - 1, &len);

	CHECK_EQ(len, 5);
	CHECK_EQ(memcmp(u, "alice", 5), 0);
	u = mschapv2_user(n2, sizeof(n2) - 1, &len);
	CHECK_EQ(u == n2, 1);
	CHECK_EQ(len, 5);
}
