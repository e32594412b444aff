/* The table of supported IKEv2 transforms (RFC 7296 §3.3.2) and lookups. */
#include "crypto/xform.h"

#include "crypto/crypto.h"
#include "ike_iana.h"

#include <stdio.h>

/* Key lengths: RFC 3602 (AES-CBC: Key Length attribute required), RFC 5282
 * §7.1 (GCM: key plus 4-byte salt, 8-byte IV, 16-byte ICV for GCM_16),
 * RFC 7634 §2 (ChaCha20-Poly1305: 32-byte key plus 4-byte salt, no Key
 * Length attribute, 8-byte IV, 16-byte tag, no block alignment). */
static const struct xform_encr encr_table[] = {
	{ ENCR_AES_CBC, 128, "ENCR_AES_CBC", "AES-128-CBC", 16, 0, 16, 16, 0,
	  false },
	{ ENCR_AES_CBC, 192, "ENCR_AES_CBC", "AES-192-CBC", 24, 0, 16, 16, 0,
	  false },
	{ ENCR_AES_CBC, 256, "ENCR_AES_CBC", "AES-256-CBC", 32, 0, 16, 16, 0,
	  false },
	{ ENCR_AES_GCM_16, 128, "ENCR_AES_GCM_16", "AES-128-GCM", 20, 4, 4, 8,
	  16, true },
	{ ENCR_AES_GCM_16, 192, "ENCR_AES_GCM_16", "AES-192-GCM", 28, 4, 4, 8,
	  16, true },
	{ ENCR_AES_GCM_16, 256, "ENCR_AES_GCM_16", "AES-256-GCM", 36, 4, 4, 8,
	  16, true },
	{ ENCR_CHACHA20_POLY1305, 0, "ENCR_CHACHA20_POLY1305",
	  "ChaCha20-Poly1305", 36, 4, 1, 8, 16, true },
};

/* HMAC key length = output length (RFC 4868 §2.1.1, §2.13 of RFC 7296). */
static const struct xform_prf prf_table[] = {
	{ PRF_HMAC_SHA1, "PRF_HMAC_SHA1", "SHA1", 20 },
	{ PRF_HMAC_SHA2_256, "PRF_HMAC_SHA2_256", "SHA2-256", 32 },
	{ PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_384", "SHA2-384", 48 },
	{ PRF_HMAC_SHA2_512, "PRF_HMAC_SHA2_512", "SHA2-512", 64 },
};

/* RFC 2404 (SHA1-96), RFC 4868 §2.1 (key = full output, ICV = half). */
static const struct xform_integ integ_table[] = {
	{ AUTH_HMAC_SHA1_96, "AUTH_HMAC_SHA1_96", "SHA1", 20, 12 },
	{ AUTH_HMAC_SHA2_256_128, "AUTH_HMAC_SHA2_256_128", "SHA2-256", 32,
	  16 },
	{ AUTH_HMAC_SHA2_384_192, "AUTH_HMAC_SHA2_384_192", "SHA2-384", 48,
	  24 },
	{ AUTH_HMAC_SHA2_512_256, "AUTH_HMAC_SHA2_512_256", "SHA2-512", 64,
	  32 },
};

/* RFC 3526 primes (public value and secret = prime length), RFC 5903 §7
 * (x | y; secret is x), RFC 8031 §2 (X25519 32, X448 56). */
static const struct xform_ke ke_table[] = {
	{ KE_MODP_2048, "MODP_2048", XFORM_KE_MODP, "modp_2048", 256, 256 },
	{ KE_MODP_3072, "MODP_3072", XFORM_KE_MODP, "modp_3072", 384, 384 },
	{ KE_MODP_4096, "MODP_4096", XFORM_KE_MODP, "modp_4096", 512, 512 },
	{ KE_ECP_256, "ECP_256", XFORM_KE_ECP, "P-256", 64, 32 },
	{ KE_ECP_384, "ECP_384", XFORM_KE_ECP, "P-384", 96, 48 },
	{ KE_ECP_521, "ECP_521", XFORM_KE_ECP, "P-521", 132, 66 },
	{ KE_CURVE25519, "CURVE25519", XFORM_KE_ECX, "X25519", 32, 32 },
	{ KE_CURVE448, "CURVE448", XFORM_KE_ECX, "X448", 56, 56 },
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

int xform_encr_find(unsigned id, unsigned key_bits,
		    const struct xform_encr **out)
{
	bool known = false;

	for (size_t i = 0; i < N(encr_table); i++) {
		if (encr_table[i].id != id)
			continue;
		known = true;
		if (encr_table[i].key_bits == key_bits) {
			*out = &encr_table[i];
			return 0;
		}
	}
	return known ? CRYPTO_E_KEY_LENGTH : CRYPTO_E_UNSUPPORTED;
}

#define FIND_BY_ID(table, id, out)                                             \
	do {                                                                   \
		for (size_t i_ = 0; i_ < N(table); i_++) {                     \
			if ((table)[i_].id == (id)) {                          \
				*(out) = &(table)[i_];                         \
				return 0;                                      \
			}                                                      \
		}                                                              \
		return CRYPTO_E_UNSUPPORTED;                                   \
	} while (0)

int xform_prf_find(unsigned id, const struct xform_prf **out)
{
	FIND_BY_ID(prf_table, id, out);
}

int xform_integ_find(unsigned id, const struct xform_integ **out)
{
	FIND_BY_ID(integ_table, id, out);
}

int xform_ke_find(unsigned id, const struct xform_ke **out)
{
	FIND_BY_ID(ke_table, id, out);
}

int xform_check(unsigned type, unsigned id, unsigned key_bits)
{
	const struct xform_encr *e;
	const struct xform_prf *p;
	const struct xform_integ *in;
	const struct xform_ke *k;

	/* §3.3.5: only ENCR transforms may carry a Key Length attribute. */
	if (type != TRANS_ENCR && key_bits)
		return CRYPTO_E_KEY_LENGTH;
	switch (type) {
	case TRANS_ENCR: return xform_encr_find(id, key_bits, &e);
	case TRANS_PRF: return xform_prf_find(id, &p);
	case TRANS_INTEG:
		/* NONE is what an AEAD proposal may carry (RFC 5282 §8). */
		return id == AUTH_NONE ? 0 : xform_integ_find(id, &in);
	case TRANS_KE: return xform_ke_find(id, &k);
	case TRANS_ESN:
		return id == ESN_NONE || id == ESN_YES ? 0
						       : CRYPTO_E_UNSUPPORTED;
	}
	return CRYPTO_E_UNSUPPORTED;
}

const char *xform_describe(unsigned type, unsigned id, unsigned key_bits,
			   char *buf, size_t cap)
{
	const char *tname = ike_transform_type_name(type);
	const char *iname = ike_transform_id_name(type, id);
	char tnum[16];

	if (!tname) {
		snprintf(tnum, sizeof(tnum), "type %u", type);
		tname = tnum;
	}
	if (key_bits)
		snprintf(buf, cap, "%s %s (%u) key length %u", tname,
			 iname ? iname : "unknown", id, key_bits);
	else
		snprintf(buf, cap, "%s %s (%u)", tname,
			 iname ? iname : "unknown", id);
	return buf;
}

const struct xform_encr *xform_encr_table(size_t *n)
{
	*n = N(encr_table);
	return encr_table;
}

const struct xform_prf *xform_prf_table(size_t *n)
{
	*n = N(prf_table);
	return prf_table;
}

const struct xform_integ *xform_integ_table(size_t *n)
{
	*n = N(integ_table);
	return integ_table;
}

const struct xform_ke *xform_ke_table(size_t *n)
{
	*n = N(ke_table);
	return ke_table;
}
