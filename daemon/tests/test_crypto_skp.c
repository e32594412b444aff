/* Tests for SK / SKF payload protection (daemon/crypto/skp.c): published
 * AEAD vectors (the GCM specification's test cases used by RFC 4106, RFC
 * 8439 §2.8.2 for ChaCha20-Poly1305 with RFC 7634's nonce, RFC 7634
 * Appendix B's whole IKEv2 message), round trips of
 * every ENCR/INTEG combination, tampering, malformed layouts and random
 * ciphertexts. */
#include "crypto/keymat.h"
#include "crypto/skp.h"
#include "engine/wr.h"
#include "ike_iana.h"
#include "tests/test.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

static const struct xform_encr *encr_of(unsigned id, unsigned bits)
{
	const struct xform_encr *e = NULL;

	REQUIRE_EQ(xform_encr_find(id, bits, &e), 0);
	return e;
}

/* The GCM specification (McGrew & Viega), test cases 4 and 16, as RFC 4106
 * §4 splits the 12-byte nonce: salt (last 4 bytes of the keying material)
 * and the 8-byte IV carried in the packet. */
TEST(crypto_skp_gcm_vectors)
{
	static const struct {
		unsigned bits;
		const char *key, *ct, *tag;
	} v[] = {
		{ 128,
		  "feffe9928665731c6d6a8f9467308308" /* K */
		  "cafebabe",			     /* salt */
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e23"
		  "29aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac97"
		  "3d58e091",
		  "5bc94fbc3221a5db94fae95ae7121a47" },
		{ 256,
		  "feffe9928665731c6d6a8f9467308308"
		  "feffe9928665731c6d6a8f9467308308"
		  "cafebabe",
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd"
		  "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a"
		  "bcc9f662",
		  "76fc6ece0f4e1768cddf8853bb2d551b" },
	};
	static const char plain[] =
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a"
		"721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
	uint8_t iv[8], aad[20];

	REQUIRE_EQ(test_unhex("facedbaddecaf888", iv, 8), 8);
	REQUIRE_EQ(
		test_unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, 20),
		20);
	for (size_t i = 0; i < 2; i++) {
		const struct xform_encr *e =
			encr_of(ENCR_AES_GCM_16, v[i].bits);
		uint8_t key[36], buf[60], want[60], tag[16], want_tag[16];

		REQUIRE_EQ(test_unhex(v[i].key, key, sizeof(key)), e->key_len);
		REQUIRE_EQ(test_unhex(plain, buf, sizeof(buf)), 60);
		REQUIRE_EQ(test_unhex(v[i].ct, want, sizeof(want)), 60);
		REQUIRE_EQ(test_unhex(v[i].tag, want_tag, 16), 16);
		REQUIRE_EQ(skp_aead_seal(e, key, iv, aad, 20, buf, 60, tag), 0);
		CHECK_MEM(buf, want, 60);
		CHECK_MEM(tag, want_tag, 16);
		REQUIRE_EQ(skp_aead_open(e, key, iv, aad, 20, buf, 60, tag), 0);
		REQUIRE_EQ(test_unhex(plain, want, sizeof(want)), 60);
		CHECK_MEM(buf, want, 60);
		aad[0] ^= 1;
		CHECK_EQ(skp_aead_open(e, key, iv, aad, 20, buf, 60, tag),
			 CRYPTO_E_SK_ICV);
		aad[0] ^= 1;
	}
}

/* RFC 8439 §2.8.2; RFC 7634 §2 forms the nonce as salt (the 4 bytes after
 * the 32-byte key: 07000000) | IV (4041424344454647). */
TEST(crypto_skp_chacha20_poly1305_vector)
{
	const struct xform_encr *e = encr_of(ENCR_CHACHA20_POLY1305, 0);
	static const char text[] =
		"Ladies and Gentlemen of the class of '99: If I could offer "
		"you only one tip for the future, sunscreen would be it.";
	uint8_t key[36], iv[8], aad[12], buf[114], want[114], tag[16],
		want_tag[16];

	REQUIRE_EQ(test_unhex("808182838485868788898a8b8c8d8e8f" /* key */
			      "909192939495969798999a9b9c9d9e9f"
			      "07000000", /* salt */
			      key, sizeof(key)),
		   36);
	REQUIRE_EQ(test_unhex("4041424344454647", iv, 8), 8);
	REQUIRE_EQ(test_unhex("50515253c0c1c2c3c4c5c6c7", aad, 12), 12);
	REQUIRE_EQ(sizeof(text) - 1, 114);
	memcpy(buf, text, 114);
	REQUIRE_EQ(
		test_unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9"
			   "e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71"
			   "de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803ae"
			   "e328091b58fab324e4fad675945585808b4831d7bc3ff4def0"
			   "8e4b7a9de576d26586cec64b6116",
			   want, sizeof(want)),
		114);
	REQUIRE_EQ(test_unhex("1ae10b594f09e26a7e902ecbd0600691", want_tag, 16),
		   16);
	REQUIRE_EQ(skp_aead_seal(e, key, iv, aad, 12, buf, 114, tag), 0);
	CHECK_MEM(buf, want, 114);
	CHECK_MEM(tag, want_tag, 16);
	tag[15] ^= 0x80;
	CHECK_EQ(skp_aead_open(e, key, iv, aad, 12, buf, 114, tag),
		 CRYPTO_E_SK_ICV);
	CHECK_EQ(buf[0] | buf[113], 0); /* unverified plaintext wiped */
}

struct suite_case {
	unsigned encr, bits, integ;
};

static const struct suite_case suites[] = {
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_384_192 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256 },
	{ ENCR_AES_GCM_16, 128, AUTH_NONE },
	{ ENCR_AES_GCM_16, 192, AUTH_NONE },
	{ ENCR_AES_GCM_16, 256, AUTH_NONE },
	{ ENCR_CHACHA20_POLY1305, 0, AUTH_NONE },
};

/* Keys for a suite from a fixed DH result, so failures reproduce. */
static void keys_for(const struct suite_case *c, struct keymat_ike *km)
{
	struct keymat_suite s;
	static const uint8_t spi_i[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	static const uint8_t spi_r[8] = { 2, 2, 2, 2, 2, 2, 2, 2 };
	uint8_t gir[32], n[32];

	memset(gir, 0x5a, sizeof(gir));
	memset(n, 0x6b, sizeof(n));
	REQUIRE_EQ(keymat_suite_init(&s, c->encr, c->bits, PRF_HMAC_SHA2_256,
				     c->integ),
		   0);
	REQUIRE_EQ(
		keymat_ike_derive(km, &s, gir, 32, n, 32, n, 32, spi_i, spi_r),
		0);
}

/* IKE header + SK (or SKF) header, then `plain_len` bytes of inner payload
 * stand-in at the IV's end; returns hdr_len. */
static size_t build(struct skp *sk, unsigned type, uint8_t *buf, size_t cap,
		    size_t plain_len)
{
	struct wr w = wr_init(buf, cap);
	static const uint8_t spi[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

	wr_bytes(&w, spi, 8);
	wr_bytes(&w, "\2\2\2\2\2\2\2\2", 8);
	wr_u8(&w, (uint8_t)type);
	wr_u8(&w, IKE_VERSION_2);
	wr_u8(&w, EXCH_IKE_AUTH);
	wr_u8(&w, IKE_FLAG_INITIATOR);
	wr_u32(&w, 1);	   /* Message ID */
	wr_u32(&w, 0);	   /* Length: filled by skp_protect */
	wr_u8(&w, PL_IDI); /* first inner payload */
	wr_u8(&w, 0);	   /* not critical */
	wr_u16(&w, 0);	   /* Payload Length: filled by skp_protect */
	if (type == PL_SKF) {
		wr_u16(&w, 1); /* Fragment Number */
		wr_u16(&w, 1); /* Total Fragments */
	}
	REQUIRE(wr_ok(&w));
	for (size_t i = 0; i < plain_len; i++)
		buf[wr_len(&w) + skp_iv_len(sk) + i] = (uint8_t)(i * 7 + 1);
	return wr_len(&w);
}

TEST(crypto_skp_round_trip_every_suite_sk_and_skf)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 100, 1024 };

	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		struct keymat_ike km;
		struct skp *ini = NULL, *res = NULL;

		keys_for(&suites[s], &km);
		REQUIRE_EQ(skp_new(&km, true, &ini), 0);
		REQUIRE_EQ(skp_new(&km, false, &res), 0);
		for (size_t t = 0; t < 2; t++) {
			unsigned type = t ? PL_SKF : PL_SK;
			for (size_t l = 0; l < 7; l++) {
				uint8_t msg[1200], orig[1200];
				size_t hdr, len = 0, off = 0, plen = 0;

				/* responder to initiator as well */
				struct skp *tx = l % 2 ? res : ini;
				struct skp *rx = l % 2 ? ini : res;

				hdr = build(tx, type, msg, sizeof(msg),
					    lens[l]);
				memcpy(orig, msg, sizeof(msg));
				REQUIRE_EQ(skp_protect(tx, msg, sizeof(msg),
						       hdr, type, lens[l], NULL,
						       &len),
					   0);
				CHECK_EQ(len,
					 hdr + lens[l] +
						 skp_overhead(tx, lens[l]));
				CHECK_EQ(msg[24] << 24 | msg[25] << 16 |
						 msg[26] << 8 | msg[27],
					 len);
				CHECK_EQ(msg[30] << 8 | msg[31],
					 len - IKE_HDR_LEN);
				/* the sender cannot read its own messages */
				CHECK_EQ(skp_unprotect(tx, msg, len, hdr, type,
						       &off, &plen),
					 CRYPTO_E_SK_ICV);
				hdr = build(tx, type, msg, sizeof(msg),
					    lens[l]);
				REQUIRE_EQ(skp_protect(tx, msg, sizeof(msg),
						       hdr, type, lens[l], NULL,
						       &len),
					   0);
				REQUIRE_EQ(skp_unprotect(rx, msg, len, hdr,
							 type, &off, &plen),
					   0);
				CHECK_EQ(off, hdr + skp_iv_len(rx));
				CHECK_EQ(plen, lens[l]);
				CHECK_MEM(msg + off, orig + off, lens[l]);
			}
		}
		skp_free(ini);
		skp_free(res);
		keymat_ike_wipe(&km);
	}
	skp_free(NULL);
}

/* Any single flipped bit anywhere in the message is refused: the ICV
 * covers the IKE header through the ciphertext (§3.14), the AEAD tag the
 * associated data (RFC 5282 §5.1). */
TEST(crypto_skp_every_bit_flip_is_refused)
{
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		struct keymat_ike km;
		struct skp *ini = NULL, *res = NULL;
		uint8_t msg[200], sent[200];
		size_t hdr, len = 0, off, plen;

		keys_for(&suites[s], &km);
		REQUIRE_EQ(skp_new(&km, true, &ini), 0);
		REQUIRE_EQ(skp_new(&km, false, &res), 0);
		hdr = build(ini, PL_SK, sent, sizeof(sent), 40);
		REQUIRE_EQ(skp_protect(ini, sent, sizeof(sent), hdr, PL_SK, 40,
				       NULL, &len),
			   0);
		for (size_t bit = 0; bit < len * 8; bit++) {
			int rc;

			memcpy(msg, sent, len);
			msg[bit / 8] ^= (uint8_t)(1u << bit % 8);
			rc = skp_unprotect(res, msg, len, hdr, PL_SK, &off,
					   &plen);
			if (rc != CRYPTO_E_SK_ICV && rc != CRYPTO_E_SK_SYNTAX) {
				test_fail(__FILE__, __LINE__,
					  "suite %zu bit %zu: rc %d", s, bit,
					  rc);
				break;
			}
		}
		memcpy(msg, sent, len);
		CHECK_EQ(skp_unprotect(res, msg, len, hdr, PL_SK, &off, &plen),
			 0);
		skp_free(ini);
		skp_free(res);
		keymat_ike_wipe(&km);
	}
}

TEST(crypto_skp_malformed_layouts)
{
	struct keymat_ike km;
	struct skp *ini = NULL, *res = NULL;
	uint8_t msg[200];
	size_t hdr, len = 0, off, plen;

	keys_for(&suites[1], &km); /* AES-CBC-128 + SHA2-256-128 */
	REQUIRE_EQ(skp_new(&km, true, &ini), 0);
	REQUIRE_EQ(skp_new(&km, false, &res), 0);
	hdr = build(ini, PL_SK, msg, sizeof(msg), 20);
	CHECK_EQ(skp_protect(ini, msg, hdr + 20, hdr, PL_SK, 20, NULL, &len),
		 CRYPTO_E_BUFFER);
	CHECK_EQ(skp_protect(ini, msg, sizeof(msg), hdr, PL_KE, 20, NULL, &len),
		 CRYPTO_E_ARG);
	CHECK_EQ(skp_protect(ini, msg, sizeof(msg), 20, PL_SK, 20, NULL, &len),
		 CRYPTO_E_ARG);
	REQUIRE_EQ(
		skp_protect(ini, msg, sizeof(msg), hdr, PL_SK, 20, NULL, &len),
		0);
	/* shorter than the Length field says / not whole blocks / no room
	 * for IV, one block and ICV */
	CHECK_EQ(skp_unprotect(res, msg, len - 1, hdr, PL_SK, &off, &plen),
		 CRYPTO_E_SK_SYNTAX);
	CHECK_EQ(
		skp_unprotect(res, msg, hdr + 16 + 16, hdr, PL_SK, &off, &plen),
		CRYPTO_E_SK_SYNTAX);
	CHECK_EQ(skp_unprotect(res, msg, hdr, hdr, PL_SK, &off, &plen),
		 CRYPTO_E_SK_SYNTAX);
	CHECK_EQ(skp_unprotect(res, msg, len, 16, PL_SK, &off, &plen),
		 CRYPTO_E_SK_SYNTAX);
	CHECK_EQ(skp_unprotect(res, msg, len, hdr, PL_SK, &off, &plen), 0);
	skp_free(ini);
	skp_free(res);
	keymat_ike_wipe(&km);
}

/* A Pad Length larger than the decrypted data is refused after the ICV
 * passed: built by sealing a plaintext ending in 0xff with the peer's
 * key. */
TEST(crypto_skp_pad_length_too_large)
{
	struct keymat_ike km;
	struct skp *res = NULL;
	uint8_t msg[100], iv[8] = { 9 };
	size_t off, plen, hdr = 32, len = hdr + 8 + 8 + 16;

	keys_for(&suites[4], &km); /* AES-GCM-128 */
	REQUIRE_EQ(skp_new(&km, false, &res), 0);
	memset(msg, 0, sizeof(msg));
	msg[27] = (uint8_t)len;	       /* IKE Length */
	msg[31] = (uint8_t)(len - 28); /* SK Payload Length */
	memcpy(msg + hdr, iv, 8);
	msg[hdr + 8 + 7] = 0xff; /* Pad Length 255 in 8 bytes */
	REQUIRE_EQ(skp_aead_seal(km.suite.encr, km.sk_ei, iv, msg, hdr,
				 msg + hdr + 8, 8, msg + hdr + 16),
		   0);
	CHECK_EQ(skp_unprotect(res, msg, len, hdr, PL_SK, &off, &plen),
		 CRYPTO_E_SK_PADDING);
	skp_free(res);
	keymat_ike_wipe(&km);
}

/* Random bytes after a well-formed header, at every length up to 300:
 * never accepted, never a crash or leak (ASan). */
TEST(crypto_skp_fuzz_random_ciphertexts)
{
	unsigned runs = 0;

	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		struct keymat_ike km;
		struct skp *res = NULL;

		keys_for(&suites[s], &km);
		REQUIRE_EQ(skp_new(&km, false, &res), 0);
		for (size_t len = 0; len < 300; len += 1 + len / 16) {
			uint8_t *msg = malloc(len + 1);
			size_t off, plen;
			int rc;

			REQUIRE(RAND_bytes(msg, (int)len + 1) == 1);
			if (len >= 32) { /* consistent lengths half the time */
				if (len % 2) {
					msg[24] = msg[25] = 0;
					msg[26] = (uint8_t)(len >> 8);
					msg[27] = (uint8_t)len;
					msg[30] = (uint8_t)((len - 28) >> 8);
					msg[31] = (uint8_t)(len - 28);
				}
				rc = skp_unprotect(res, msg, len, 32, PL_SK,
						   &off, &plen);
				CHECK(rc == CRYPTO_E_SK_ICV ||
				      rc == CRYPTO_E_SK_SYNTAX);
				runs++;
			}
			free(msg);
		}
		skp_free(res);
		keymat_ike_wipe(&km);
	}
	test_note("%u random messages refused", runs);
}

/* RFC 7634 Appendix B: an INFORMATIONAL message protected with
 * ChaCha20-Poly1305, byte for byte through skp_protect (explicit IV) and
 * back through skp_unprotect. */
TEST(crypto_skp_rfc7634_ikev2_example)
{
	struct keymat_ike km = { 0 };
	struct skp *ini = NULL, *res = NULL;
	uint8_t msg[128], want[69], iv[8];
	size_t len = 0, off = 0, plen = 0;

	REQUIRE_EQ(keymat_suite_init(&km.suite, ENCR_CHACHA20_POLY1305, 0,
				     PRF_HMAC_SHA2_256, AUTH_NONE),
		   0);
	km.e_len = 36;
	REQUIRE_EQ(test_unhex("808182838485868788898a8b8c8d8e8f" /* key */
			      "909192939495969798999a9b9c9d9e9f"
			      "a0a1a2a3", /* salt */
			      km.sk_ei, sizeof(km.sk_ei)),
		   36);
	memcpy(km.sk_er, km.sk_ei, 36);
	REQUIRE_EQ(test_unhex("1011121314151617", iv, 8), 8);
	REQUIRE_EQ(test_unhex("c0c1c2c3c4c5c6c7" /* IKE SA Initiator's SPI */
			      "d0d1d2d3d4d5d6d7" /* IKE SA Responder's SPI */
			      "2e 20 25 00" /* SK, 2.0, INFORMATIONAL, flags */
			      "00000009"    /* Message ID */
			      "00000045"    /* Length 69 */
			      "29 00 0029"  /* SK: next N, length 41 */
			      "1011121314151617"	   /* IV */
			      "610394701f8d017f7c12924889" /* N(SET_WINDOW_SIZE)
							 * + Pad Length */
			      "6b71bfe25236efd7cdc67066906315b2", /* ICV */
			      want, sizeof(want)),
		   69);
	REQUIRE_EQ(skp_new(&km, true, &ini), 0);
	REQUIRE_EQ(skp_new(&km, false, &res), 0);
	memcpy(msg, want, 32);
	memset(msg + 24, 0, 4); /* lengths are skp_protect's job */
	memset(msg + 30, 0, 2);
	REQUIRE_EQ(test_unhex("0000000c 00004001 0000000a", msg + 40, 12), 12);
	REQUIRE_EQ(skp_protect(ini, msg, sizeof(msg), 32, PL_SK, 12, iv, &len),
		   0);
	CHECK_EQ(len, 69);
	CHECK_MEM(msg, want, 69);
	REQUIRE_EQ(skp_unprotect(res, msg, len, 32, PL_SK, &off, &plen), 0);
	CHECK_EQ(off, 40);
	CHECK_EQ(plen, 12);
	CHECK_MEM(msg + 40, "\0\0\0\x0c\0\0\x40\x01\0\0\0\x0a", 12);
	skp_free(ini);
	skp_free(res);
}

/* IVs chosen by skp_protect never repeat; CBC IVs (E_K(counter)) do not
 * look like a counter: consecutive ones differ in about half their bits. */
TEST(crypto_skp_ivs_unique_and_cbc_unpredictable)
{
	static const size_t which[] = { 1, 4 }; /* AES-CBC-128, GCM-128 */

	for (size_t w = 0; w < 2; w++) {
		struct keymat_ike km;
		struct skp *sk = NULL;
		static uint8_t ivs[512][16];
		unsigned bits = 0;

		keys_for(&suites[which[w]], &km);
		REQUIRE_EQ(skp_new(&km, true, &sk), 0);
		for (size_t i = 0; i < 512; i++) {
			uint8_t msg[100];
			size_t hdr = build(sk, PL_SK, msg, sizeof(msg), 8), len;

			REQUIRE_EQ(skp_protect(sk, msg, sizeof(msg), hdr, PL_SK,
					       8, NULL, &len),
				   0);
			memcpy(ivs[i], msg + hdr, skp_iv_len(sk));
			for (size_t j = 0; j < i; j++)
				REQUIRE(memcmp(ivs[i], ivs[j],
					       skp_iv_len(sk)) != 0);
			if (i)
				for (size_t b = 0; b < 16; b++)
					bits += (unsigned)__builtin_popcount(
						ivs[i][b] ^ ivs[i - 1][b]);
		}
		if (w == 0) /* 511 pairs x 128 bits: expect ~32700 */
			CHECK_GT(bits, 511 * 48);
		skp_free(sk);
		keymat_ike_wipe(&km);
	}
}

/* One protected message of `tx`, opened by `rx`: true if it came back. */
static bool round_trip(struct skp *tx, struct skp *rx, size_t plain_len)
{
	uint8_t msg[600], orig[600];
	size_t hdr, len = 0, off = 0, plen = 0;

	hdr = build(tx, PL_SK, msg, sizeof(msg), plain_len);
	memcpy(orig, msg, sizeof(msg));
	if (skp_protect(tx, msg, sizeof(msg), hdr, PL_SK, plain_len, NULL,
			&len) ||
	    skp_unprotect(rx, msg, len, hdr, PL_SK, &off, &plen))
		return false;
	return plen == plain_len && !memcmp(msg + off, orig + off, plen);
}

/* The SAs share each thread's cipher and HMAC contexts (skp.c keeps raw
 * keys per SA): messages of SAs of every suite, in both directions,
 * interleaved, each keyed right; a freed SA's context slot is taken by
 * the others; an SA whose key differs in one bit cannot read another's
 * messages although the context was keyed for it a moment ago. */
TEST(crypto_skp_interleaved_sas_share_contexts)
{
	enum { N = sizeof(suites) / sizeof(suites[0]) };
	struct skp *ini[N], *res[N], *other = NULL;
	struct keymat_ike km;

	for (size_t s = 0; s < N; s++) {
		keys_for(&suites[s], &km);
		REQUIRE_EQ(skp_new(&km, true, &ini[s]), 0);
		REQUIRE_EQ(skp_new(&km, false, &res[s]), 0);
		if (s ==
		    6) { /* AES-GCM-256, SK_ei (what it reads) one bit off */
			km.sk_ei[0] ^= 1;
			REQUIRE_EQ(skp_new(&km, false, &other), 0);
		}
		keymat_ike_wipe(&km);
	}
	for (size_t i = 0; i < 40 * N; i++) {
		size_t s = (i * 5) % N; /* every suite, not in table order */

		CHECK(round_trip(i % 2 ? res[s] : ini[s],
				 i % 2 ? ini[s] : res[s], i % 97));
		if (i == 11 * N) { /* a freed SA: its slots are cleared */
			skp_free(ini[3]);
			skp_free(res[3]);
			keys_for(&suites[3], &km);
			REQUIRE_EQ(skp_new(&km, true, &ini[3]), 0);
			REQUIRE_EQ(skp_new(&km, false, &res[3]), 0);
			keymat_ike_wipe(&km);
		}
	}
	/* res[6] just keyed the context; `other` differs in SK_ei only */
	CHECK(round_trip(ini[6], res[6], 40));
	CHECK(!round_trip(ini[6], other, 40));
	CHECK(round_trip(ini[6], res[6], 40));
	for (size_t s = 0; s < N; s++) {
		skp_free(ini[s]);
		skp_free(res[s]);
	}
	skp_free(other);
}

struct skp_thread_arg {
	size_t suite;
	int ok;
};

static void *skp_thread(void *p)
{
	struct skp_thread_arg *a = p;
	struct keymat_ike km;
	struct skp *ini = NULL, *res = NULL;

	keys_for(&suites[a->suite], &km);
	if (skp_new(&km, true, &ini) == 0 && skp_new(&km, false, &res) == 0)
		for (int i = 0; i < 2000; i++)
			a->ok += round_trip(i % 2 ? res : ini,
					    i % 2 ? ini : res, (size_t)i % 300);
	skp_free(ini);
	skp_free(res);
	keymat_ike_wipe(&km);
	return NULL;
}

/* Each thread keys contexts of its own (workers, doc/performance.md):
 * four threads at once, two per suite, every message comes back; the
 * contexts of a thread are freed when it ends (ASan's leak check). */
TEST(crypto_skp_threads_have_their_own_contexts)
{
	pthread_t t[4];
	struct skp_thread_arg a[4] = { { 1, 0 }, { 6, 0 }, { 1, 0 }, { 7, 0 } };

	for (size_t i = 0; i < 4; i++)
		REQUIRE_EQ(pthread_create(&t[i], NULL, skp_thread, &a[i]), 0);
	for (size_t i = 0; i < 4; i++) {
		REQUIRE_EQ(pthread_join(t[i], NULL), 0);
		CHECK_EQ(a[i].ok, 2000);
	}
}
