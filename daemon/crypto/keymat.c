/* IKE SA and CHILD_SA key derivation (RFC 7296 §2.14, §2.17, §2.18). */
#include "crypto/keymat.h"

#include "crypto/prf.h"
#include "ike_iana.h"

#include <string.h>

int keymat_suite_init(struct keymat_suite *s, unsigned encr_id,
		      unsigned key_bits, unsigned prf_id, unsigned integ_id)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = xform_encr_find(encr_id, key_bits, &s->encr);
	if (rc == 0)
		rc = xform_prf_find(prf_id, &s->prf);
	if (rc)
		return rc;
	/* RFC 5282 §8: AEAD proposals carry no INTEG (or NONE); others need
	 * one. */
	if (s->encr->aead)
		return integ_id == AUTH_NONE ? 0 : CRYPTO_E_UNSUPPORTED;
	if (integ_id == AUTH_NONE)
		return CRYPTO_E_UNSUPPORTED;
	return xform_integ_find(integ_id, &s->integ);
}

int keymat_skeyseed(const struct xform_prf *prf, const uint8_t *g_ir,
		    size_t g_ir_len, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len,
		    uint8_t out[KEYMAT_KEY_MAX])
{
	uint8_t key[2 * 256];
	struct crypto_span data = { g_ir, g_ir_len };
	int rc;

	/* The key is Ni | Nr (nonces are at most 256 bytes, §3.9). */
	if (!prf || !g_ir || !ni || !nr || ni_len > 256 || nr_len > 256)
		return CRYPTO_E_ARG;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	rc = prf_compute(prf, key, ni_len + nr_len, &data, 1, out);
	crypto_wipe(key, sizeof(key));
	return rc;
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *	= prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
static int keymat_split(struct keymat_ike *km, const struct keymat_suite *s,
			const uint8_t *skeyseed, size_t skeyseed_len,
			const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			size_t nr_len, const uint8_t *spi_i,
			const uint8_t *spi_r)
{
	uint8_t buf[7 * KEYMAT_KEY_MAX];
	const struct crypto_span seed[] = {
		{ ni, ni_len },
		{ nr, nr_len },
		{ spi_i, KEYMAT_SPI_LEN },
		{ spi_r, KEYMAT_SPI_LEN },
	};
	/* copied first: `s` may point into `km` (rekeying in place) */
	const struct keymat_suite suite = *s;
	size_t d = suite.prf->out_len;
	size_t a = suite.integ ? suite.integ->key_len : 0;
	size_t e = suite.encr->key_len;
	uint8_t *p = buf;
	int rc;

	rc = prf_plus(suite.prf, skeyseed, skeyseed_len, seed, 4, buf,
		      3 * d + 2 * a + 2 * e);
	if (rc)
		return rc;
	memset(km, 0, sizeof(*km));
	km->suite = suite;
	km->d_len = km->p_len = d;
	km->a_len = a;
	km->e_len = e;
	memcpy(km->sk_d, p, d), p += d;
	memcpy(km->sk_ai, p, a), p += a;
	memcpy(km->sk_ar, p, a), p += a;
	memcpy(km->sk_ei, p, e), p += e;
	memcpy(km->sk_er, p, e), p += e;
	memcpy(km->sk_pi, p, d), p += d;
	memcpy(km->sk_pr, p, d);
	crypto_wipe(buf, sizeof(buf));
	return 0;
}

static bool suite_ok(const struct keymat_suite *s)
{
	return s && s->encr && s->prf && (s->encr->aead || s->integ);
}

int keymat_ike_derive(struct keymat_ike *km, const struct keymat_suite *s,
		      const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni,
		      size_t ni_len, const uint8_t *nr, size_t nr_len,
		      const uint8_t spi_i[KEYMAT_SPI_LEN],
		      const uint8_t spi_r[KEYMAT_SPI_LEN])
{
	uint8_t skeyseed[KEYMAT_KEY_MAX];
	int rc;

	if (!km || !suite_ok(s) || !spi_i || !spi_r)
		return CRYPTO_E_ARG;
	rc = keymat_skeyseed(s->prf, g_ir, g_ir_len, ni, ni_len, nr, nr_len,
			     skeyseed);
	if (rc == 0)
		rc = keymat_split(km, s, skeyseed, s->prf->out_len, ni, ni_len,
				  nr, nr_len, spi_i, spi_r);
	crypto_wipe(skeyseed, sizeof(skeyseed));
	return rc;
}

int keymat_ike_rekey(struct keymat_ike *km, const struct keymat_suite *s,
		     const struct keymat_ike *old, const uint8_t *g_ir,
		     size_t g_ir_len, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t spi_i[KEYMAT_SPI_LEN],
		     const uint8_t spi_r[KEYMAT_SPI_LEN])
{
	uint8_t skeyseed[KEYMAT_KEY_MAX];
	const struct crypto_span data[] = {
		{ g_ir, g_ir_len },
		{ ni, ni_len },
		{ nr, nr_len },
	};
	int rc;

	if (!km || !suite_ok(s) || !old || !old->suite.prf || !g_ir || !ni ||
	    !nr || !spi_i || !spi_r)
		return CRYPTO_E_ARG;
	/* §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the
	 * old IKE SA's PRF (so SKEYSEED has its length); the new SA's PRF
	 * runs prf+. */
	rc = prf_compute(old->suite.prf, old->sk_d, old->d_len, data, 3,
			 skeyseed);
	if (rc == 0)
		rc = keymat_split(km, s, skeyseed, old->suite.prf->out_len, ni,
				  ni_len, nr, nr_len, spi_i, spi_r);
	crypto_wipe(skeyseed, sizeof(skeyseed));
	return rc;
}

int keymat_child_derive(struct keymat_child *out, const struct keymat_ike *ike,
			const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni,
			size_t ni_len, const uint8_t *nr, size_t nr_len,
			size_t e_len, size_t a_len)
{
	uint8_t buf[4 * KEYMAT_KEY_MAX];
	const struct crypto_span seed[] = {
		{ g_ir, g_ir ? g_ir_len : 0 },
		{ ni, ni_len },
		{ nr, nr_len },
	};
	uint8_t *p = buf;
	int rc;

	if (!out || !ike || !ike->suite.prf || !ni || !nr ||
	    e_len > KEYMAT_KEY_MAX || a_len > KEYMAT_KEY_MAX)
		return CRYPTO_E_ARG;
	memset(out, 0, sizeof(*out));
	/* §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), taken as
	 * encr_i | integ_i | encr_r | integ_r. */
	rc = prf_plus(ike->suite.prf, ike->sk_d, ike->d_len, seed, 3, buf,
		      2 * (e_len + a_len));
	if (rc)
		return rc;
	out->e_len = e_len;
	out->a_len = a_len;
	memcpy(out->ei, p, e_len), p += e_len;
	memcpy(out->ai, p, a_len), p += a_len;
	memcpy(out->er, p, e_len), p += e_len;
	memcpy(out->ar, p, a_len);
	crypto_wipe(buf, sizeof(buf));
	return 0;
}

void keymat_ike_wipe(struct keymat_ike *km)
{
	if (km)
		crypto_wipe(km, sizeof(*km));
}

void keymat_child_wipe(struct keymat_child *c)
{
	if (c)
		crypto_wipe(c, sizeof(*c));
}
