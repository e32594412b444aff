/* The crypto module used as the engine uses it, both sides in one process:
 * IKE_SA_INIT key exchange, IKE SA keys, IKE_AUTH protected with SK and
 * authenticated with a shared key, a CHILD_SA's keys, then a rekeyed IKE
 * SA. Each side derives on its own from what it sent and received; every
 * step must agree. */
#include "crypto/auth.h"
#include "crypto/ke.h"
#include "crypto/keymat.h"
#include "crypto/skp.h"
#include "ike_iana.h"
#include "tests/test.h"

#include <openssl/rand.h>

struct side {
	struct ke *ke;
	uint8_t pub[KE_PUB_MAX];
	size_t pub_len;
	uint8_t nonce[32];
	struct keymat_ike km;
	struct skp *sk;
};

/* HDR, SAi1, KEi, Ni  -->  <--  HDR, SAr1, KEr, Nr: both sides derive. */
static void sa_init(struct side *i, struct side *r, unsigned ke_id,
		    const struct keymat_suite *s, const uint8_t *spi_i,
		    const uint8_t *spi_r)
{
	struct side *sides[2] = { i, r };
	struct ke_secret secret[2];

	for (int k = 0; k < 2; k++) {
		REQUIRE_EQ(ke_new(ke_id, &sides[k]->ke), 0);
		REQUIRE_EQ(ke_public(sides[k]->ke, sides[k]->pub,
				     sizeof(sides[k]->pub), &sides[k]->pub_len),
			   0);
		REQUIRE(RAND_bytes(sides[k]->nonce, 32) == 1);
	}
	for (int k = 0; k < 2; k++) {
		struct side *me = sides[k], *peer = sides[1 - k];

		REQUIRE_EQ(
			ke_derive(me->ke, peer->pub, peer->pub_len, &secret[k]),
			0);
		REQUIRE_EQ(keymat_ike_derive(&me->km, s, secret[k].buf,
					     secret[k].len, i->nonce, 32,
					     r->nonce, 32, spi_i, spi_r),
			   0);
		ke_secret_wipe(&secret[k]);
		ke_free(me->ke);
		me->ke = NULL;
	}
	CHECK_MEM(&i->km, &r->km, sizeof(i->km));
	REQUIRE_EQ(skp_new(&i->km, true, &i->sk), 0);
	REQUIRE_EQ(skp_new(&r->km, false, &r->sk), 0);
}

/* The first CHILD_SA (§2.17): ESP AES-GCM-128 keys from SK_d, no PFS. */
static void check_child(struct side *i, struct side *r)
{
	struct keymat_child ci, cr;

	REQUIRE_EQ(keymat_child_derive(&ci, &i->km, NULL, 0, i->nonce, 32,
				       r->nonce, 32, 20, 0),
		   0);
	REQUIRE_EQ(keymat_child_derive(&cr, &r->km, NULL, 0, i->nonce, 32,
				       r->nonce, 32, 20, 0),
		   0);
	CHECK_MEM(&ci, &cr, sizeof(ci));
	CHECK(memcmp(ci.ei, ci.er, 20) != 0);

	keymat_child_wipe(&ci);
	keymat_child_wipe(&cr);
}

/* CREATE_CHILD_SA rekeying the IKE SA (RFC 7296 §2.18) in place on both
 * sides, with a new X448 exchange, new nonces and a new suite: still the
 * same keys. */
static void rekey_both(struct side *i, struct side *r, const uint8_t *spi_i,
		       const uint8_t *spi_r)
{
	struct side i2 = { 0 }, r2 = { 0 };
	struct ke_secret si, sr;
	struct keymat_suite s2;

	REQUIRE_EQ(keymat_suite_init(&s2, ENCR_AES_CBC, 128, PRF_HMAC_SHA2_256,
				     AUTH_HMAC_SHA2_256_128),
		   0);
	REQUIRE_EQ(ke_new(KE_CURVE448, &i2.ke), 0);
	REQUIRE_EQ(ke_new(KE_CURVE448, &r2.ke), 0);
	REQUIRE_EQ(ke_public(i2.ke, i2.pub, sizeof(i2.pub), &i2.pub_len), 0);
	REQUIRE_EQ(ke_public(r2.ke, r2.pub, sizeof(r2.pub), &r2.pub_len), 0);
	REQUIRE_EQ(ke_derive(i2.ke, r2.pub, r2.pub_len, &si), 0);
	REQUIRE_EQ(ke_derive(r2.ke, i2.pub, i2.pub_len, &sr), 0);
	REQUIRE(RAND_bytes(i2.nonce, 32) == 1);
	REQUIRE(RAND_bytes(r2.nonce, 32) == 1);
	/* the new IKE SA has new SPIs: the old ones swapped stand in */
	REQUIRE_EQ(keymat_ike_rekey(&i->km, &s2, &i->km, si.buf, si.len,
				    i2.nonce, 32, r2.nonce, 32, spi_r, spi_i),
		   0);
	REQUIRE_EQ(keymat_ike_rekey(&r->km, &s2, &r->km, sr.buf, sr.len,
				    i2.nonce, 32, r2.nonce, 32, spi_r, spi_i),
		   0);
	CHECK_MEM(&i->km, &r->km, sizeof(i->km));
	CHECK_EQ(i->km.a_len, 32);
	ke_secret_wipe(&si);
	ke_secret_wipe(&sr);
	ke_free(i2.ke);
	ke_free(r2.ke);
}

TEST(crypto_flow_two_sides_agree_end_to_end)
{
	static const uint8_t spi_i[8] = { 0xa1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t spi_r[8] = { 0xb1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t idi[] = "\x02\0\0\0initiator.example";
	static const uint8_t psk[] = "a shared secret";
	uint8_t sa_init_msg[64], msg[512], auth[PRF_MAX];
	struct side i = { 0 }, r = { 0 };
	struct keymat_suite s;
	struct auth_octets oi, or ;
	size_t len = 0, off, plen, alen;

	REQUIRE_EQ(keymat_suite_init(&s, ENCR_AES_GCM_16, 256,
				     PRF_HMAC_SHA2_384, AUTH_NONE),
		   0);
	sa_init(&i, &r, KE_CURVE25519, &s, spi_i, spi_r);
	memset(sa_init_msg, 0x34, sizeof(sa_init_msg)); /* RealMessage1 */

	/* HDR, SK { IDi, AUTH } -->: the initiator signs with SK_pi ... */
	REQUIRE_EQ(auth_octets_init(&oi, s.prf, i.km.sk_pi, i.km.p_len,
				    sa_init_msg, sizeof(sa_init_msg), r.nonce,
				    32, idi, sizeof(idi) - 1),
		   0);
	REQUIRE_EQ(auth_psk_make(s.prf, psk, sizeof(psk) - 1, &oi, auth, &alen),
		   0);
	memset(msg, 0, 32);
	msg[16] = PL_SK, msg[17] = IKE_VERSION_2, msg[18] = EXCH_IKE_AUTH;
	memcpy(msg + 32 + skp_iv_len(i.sk), auth, alen);
	REQUIRE_EQ(skp_protect(i.sk, msg, sizeof(msg), 32, PL_SK, alen, NULL,
			       &len),
		   0);
	/* ... the responder opens it and checks with its own SK_pi */
	REQUIRE_EQ(skp_unprotect(r.sk, msg, len, 32, PL_SK, &off, &plen), 0);
	REQUIRE_EQ(auth_octets_init(& or, s.prf, r.km.sk_pi, r.km.p_len,
				    sa_init_msg, sizeof(sa_init_msg), r.nonce,
				    32, idi, sizeof(idi) - 1),
		   0);
	CHECK_EQ(auth_psk_check(s.prf, psk, sizeof(psk) - 1, & or, msg + off,
				plen),
		 0);

	check_child(&i, &r);
	rekey_both(&i, &r, spi_i, spi_r);
	skp_free(i.sk);
	skp_free(r.sk);
	keymat_ike_wipe(&i.km);
	keymat_ike_wipe(&r.km);
}
