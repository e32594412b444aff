/* IKE SA and CHILD_SA key derivation (RFC 7296 §2.14, §2.17, §2.18).
 *
 * Keys live in fixed arrays inside plain structs that the caller owns; wipe
 * them with keymat_ike_wipe() / keymat_child_wipe() when the SA goes away.
 */
#ifndef KB_CRYPTO_KEYMAT_H
#define KB_CRYPTO_KEYMAT_H

#include "crypto/crypto.h"
#include "crypto/xform.h"

#include <stdbool.h>

#define KEYMAT_KEY_MAX XFORM_KEY_MAX
#define KEYMAT_SPI_LEN 8 /* IKE SPIs (§3.1) */

/* The negotiated IKE SA transforms. `integ` is NULL with an AEAD cipher. */
struct keymat_suite {
	const struct xform_encr *encr;
	const struct xform_prf *prf;
	const struct xform_integ *integ;
};

/* The seven IKE SA secrets (§2.14) with their lengths. */
struct keymat_ike {
	struct keymat_suite suite;
	uint8_t sk_d[KEYMAT_KEY_MAX];  /* derives CHILD_SA and rekey keys */
	uint8_t sk_ai[KEYMAT_KEY_MAX]; /* integrity, initiator to responder */
	uint8_t sk_ar[KEYMAT_KEY_MAX]; /* integrity, responder to initiator */
	uint8_t sk_ei[KEYMAT_KEY_MAX]; /* encryption (+salt), initiator's */
	uint8_t sk_er[KEYMAT_KEY_MAX]; /* encryption (+salt), responder's */
	uint8_t sk_pi[KEYMAT_KEY_MAX]; /* AUTH: initiator's MACedIDForI */
	uint8_t sk_pr[KEYMAT_KEY_MAX]; /* AUTH: responder's MACedIDForR */
	size_t d_len;		       /* = p_len = prf->out_len */
	size_t a_len;		       /* integ->key_len, 0 with AEAD */
	size_t e_len;		       /* encr->key_len (salt included) */
	size_t p_len;
};

/* CHILD_SA keys (§2.17): for each direction the encryption key first, then
 * the integrity key. `i` keys protect initiator-to-responder traffic. */
struct keymat_child {
	uint8_t ei[KEYMAT_KEY_MAX];
	uint8_t ai[KEYMAT_KEY_MAX];
	uint8_t er[KEYMAT_KEY_MAX];
	uint8_t ar[KEYMAT_KEY_MAX];
	size_t e_len; /* ESP/AH encryption key length incl. salt, may be 0 */
	size_t a_len; /* ESP/AH integrity key length, may be 0 */
};

/* Fills `s` from negotiated transform IDs; `integ_id` must be AUTH_NONE (0)
 * with an AEAD cipher and a supported INTEG otherwise (RFC 5282 §8).
 * 0, CRYPTO_E_UNSUPPORTED or CRYPTO_E_KEY_LENGTH. */
int keymat_suite_init(struct keymat_suite *s, unsigned encr_id,
		      unsigned key_bits, unsigned prf_id, unsigned integ_id)
	__attribute__((warn_unused_result));

/* SKEYSEED = prf(Ni | Nr, g^ir) (§2.14); `out` receives prf->out_len
 * bytes. */
int keymat_skeyseed(const struct xform_prf *prf, const uint8_t *g_ir,
		    size_t g_ir_len, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len,
		    uint8_t out[KEYMAT_KEY_MAX])
	__attribute__((warn_unused_result));

/* Derives a new IKE SA's keys after IKE_SA_INIT: SKEYSEED as above, then
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). Wipes SKEYSEED. */
int keymat_ike_derive(struct keymat_ike *km, const struct keymat_suite *s,
		      const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni,
		      size_t ni_len, const uint8_t *nr, size_t nr_len,
		      const uint8_t spi_i[KEYMAT_SPI_LEN],
		      const uint8_t spi_r[KEYMAT_SPI_LEN])
	__attribute__((warn_unused_result));

/* Derives the keys of an IKE SA that rekeys `old` (§2.18): SKEYSEED =
 * prf_old(SK_d_old, g^ir_new | Ni | Nr), then prf+ with the new suite's PRF
 * over Ni | Nr | SPIi | SPIr (the new SA's SPIs and nonces). `km` may be
 * `old` and `s` may be &old->suite: the old keys are read first. */
int keymat_ike_rekey(struct keymat_ike *km, const struct keymat_suite *s,
		     const struct keymat_ike *old, const uint8_t *g_ir,
		     size_t g_ir_len, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t spi_i[KEYMAT_SPI_LEN],
		     const uint8_t spi_r[KEYMAT_SPI_LEN])
	__attribute__((warn_unused_result));

/* Derives CHILD_SA keys (§2.17): KEYMAT = prf+(SK_d, Ni | Nr) without PFS
 * (`g_ir` NULL) or prf+(SK_d, g^ir (new) | Ni | Nr) with it, split into
 * encryption and integrity keys of `e_len` and `a_len` bytes per direction.
 * The nonces are those of the exchange that creates the CHILD_SA. */
int keymat_child_derive(struct keymat_child *out, const struct keymat_ike *ike,
			const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni,
			size_t ni_len, const uint8_t *nr, size_t nr_len,
			size_t e_len, size_t a_len)
	__attribute__((warn_unused_result));

/* Wipes every key in `km` (OPENSSL_cleanse) and zeroes the lengths. */
void keymat_ike_wipe(struct keymat_ike *km);

/* Wipes every key in `c`. */
void keymat_child_wipe(struct keymat_child *c);

#endif
