/* IKEv2 pseudorandom functions: prf and prf+ (RFC 7296 §2.13).
 *
 * The data a PRF covers is given as a list of spans, fed in order, so that
 * `prf(K, Ni | Nr | SPIi | SPIr)` needs no concatenation buffer.
 */
#ifndef KB_CRYPTO_PRF_H
#define KB_CRYPTO_PRF_H

#include "crypto/crypto.h"
#include "crypto/xform.h"

/* Largest PRF output (HMAC-SHA2-512). */
#define PRF_MAX XFORM_KEY_MAX

/* prf+ stops at 255 iterations (§2.13: the counter is one octet). */
#define PRF_PLUS_MAX_ITER 255

/* Computes prf(key, data[0] | … | data[n-1]) into `out`, which receives
 * p->out_len bytes. 0 or CRYPTO_E_ARG / CRYPTO_E_INTERNAL. */
int prf_compute(const struct xform_prf *p, const void *key, size_t key_len,
		const struct crypto_span *data, size_t n, uint8_t out[PRF_MAX])
	__attribute__((warn_unused_result));

/* Computes the first `out_len` bytes of prf+(key, S) with S = seed[0] | … |
 * seed[n-1]: T1 = prf(K, S | 0x01), Tk = prf(K, Tk-1 | S | k). More than
 * 255 * p->out_len bytes is CRYPTO_E_ARG. */
int prf_plus(const struct xform_prf *p, const void *key, size_t key_len,
	     const struct crypto_span *seed, size_t n, uint8_t *out,
	     size_t out_len) __attribute__((warn_unused_result));

#endif
