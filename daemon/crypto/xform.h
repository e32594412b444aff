/* IKEv2 transforms keybridge supports, and their sizes (RFC 7296 §3.3.2).
 *
 * One table row per (Transform ID, Key Length attribute). Anything not in the
 * table is refused with CRYPTO_E_UNSUPPORTED (unknown or unsupported ID) or
 * CRYPTO_E_KEY_LENGTH (ID known, Key Length attribute wrong), and
 * xform_describe() names the refused transform by number and name for the
 * log. The rows are static: pointers to them stay valid for the process.
 */
#ifndef KB_CRYPTO_XFORM_H
#define KB_CRYPTO_XFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest key, PRF output or ICV of any supported transform (SHA-512). */
#define XFORM_KEY_MAX 64

/* Transform Type 1: ENCR_AES_CBC (RFC 3602), ENCR_AES_GCM_16 (RFC 5282),
 * ENCR_CHACHA20_POLY1305 (RFC 7634). */
struct xform_encr {
	uint16_t id;	   /* ENCR_* */
	uint16_t key_bits; /* Key Length attribute; 0 where it must be absent */
	const char *name;  /* IANA name, e.g. "ENCR_AES_GCM_16" */
	const char *cipher; /* OpenSSL cipher name, e.g. "AES-256-GCM" */
	uint8_t key_len; /* SK_e length: cipher key plus salt (RFC 5282 §7.1)*/
	uint8_t salt_len;  /* trailing salt bytes of SK_e (AEAD nonce prefix) */
	uint8_t block_len; /* alignment of the padded plaintext */
	uint8_t iv_len;	   /* IV bytes on the wire */
	uint8_t icv_len;   /* AEAD tag length; 0 for CBC (ICV is INTEG's) */
	bool aead;	   /* combined mode: no INTEG transform allowed */
};

/* Transform Type 2: PRF_HMAC_SHA1 (RFC 2104), PRF_HMAC_SHA2_* (RFC 4868). */
struct xform_prf {
	uint16_t id;	  /* PRF_* */
	const char *name; /* IANA name */
	const char *md;	  /* OpenSSL digest name, e.g. "SHA2-256" */
	uint8_t out_len;  /* PRF output = preferred key length (§2.14) */
};

/* Transform Type 3: AUTH_HMAC_SHA1_96, AUTH_HMAC_SHA2_*_* (RFC 4868). */
struct xform_integ {
	uint16_t id;	  /* AUTH_* */
	const char *name; /* IANA name */
	const char *md;	  /* OpenSSL digest name */
	uint8_t key_len;  /* SK_a length */
	uint8_t icv_len;  /* truncated HMAC output on the wire */
};

enum xform_ke_kind {
	XFORM_KE_MODP, /* RFC 3526 groups: public value g^x mod p */
	XFORM_KE_ECP,  /* RFC 5903: x | y, no point-format octet */
	XFORM_KE_ECX,  /* RFC 8031: X25519 / X448 u-coordinate */
};

/* Transform Type 4: MODP 2048/3072/4096 (14/15/16), ECP 256/384/521
 * (19/20/21), Curve25519 (31), Curve448 (32). */
struct xform_ke {
	uint16_t id;		 /* KE_* */
	const char *name;	 /* IANA name, e.g. "CURVE25519" */
	enum xform_ke_kind kind; /* how public values are encoded */
	const char *group;	 /* OpenSSL group name, e.g. "modp_2048" */
	uint16_t pub_len;	 /* KE payload Key Exchange Data length */
	uint16_t secret_len;	 /* shared secret g^ir length */
};

/* Looks up ENCR transform `id` with Key Length attribute `key_bits` (0 when
 * the proposal carries none). 0 and *out set, CRYPTO_E_UNSUPPORTED or
 * CRYPTO_E_KEY_LENGTH. */
int xform_encr_find(unsigned id, unsigned key_bits,
		    const struct xform_encr **out)
	__attribute__((warn_unused_result));

/* Looks up PRF transform `id`: 0, or CRYPTO_E_UNSUPPORTED. */
int xform_prf_find(unsigned id, const struct xform_prf **out)
	__attribute__((warn_unused_result));

/* Looks up INTEG transform `id` (AUTH_NONE is not in the table): 0, or
 * CRYPTO_E_UNSUPPORTED. */
int xform_integ_find(unsigned id, const struct xform_integ **out)
	__attribute__((warn_unused_result));

/* Looks up KE transform `id`: 0, or CRYPTO_E_UNSUPPORTED. */
int xform_ke_find(unsigned id, const struct xform_ke **out)
	__attribute__((warn_unused_result));

/* Checks one transform of any type from a proposal (RFC 7296 §3.3.2 type,
 * ID, Key Length attribute or 0): 0, CRYPTO_E_UNSUPPORTED or
 * CRYPTO_E_KEY_LENGTH. ESN transforms (0/1) are always accepted. */
int xform_check(unsigned type, unsigned id, unsigned key_bits);

/* Writes a description naming a transform by type, name and number for the
 * log line of a refusal, e.g. "ENCR ENCR_3DES (3)", "ENCR ENCR_AES_CBC (12)
 * key length 100" or "KE unknown (999)"; returns `buf`. */
const char *xform_describe(unsigned type, unsigned id, unsigned key_bits,
			   char *buf, size_t cap);

/* The table rows themselves, for listing what is supported (`n` rows). */
const struct xform_encr *xform_encr_table(size_t *n);
const struct xform_prf *xform_prf_table(size_t *n);
const struct xform_integ *xform_integ_table(size_t *n);
const struct xform_ke *xform_ke_table(size_t *n);

#endif
