/* Key exchange for IKE_SA_INIT and CREATE_CHILD_SA (RFC 7296 §1.2, §3.4):
 * MODP groups 14/15/16 (RFC 3526), ECP groups 19/20/21 (RFC 5903), Curve25519
 * and Curve448 (RFC 8031).
 *
 * The peer's public value is validated before use (RFC 7296 §5, RFC 6989):
 * wrong length, a MODP value of 0, 1, p-1 or >= p, a point that is not on the
 * curve, an all-zero X25519/X448 result are each a named error, so the engine
 * can answer INVALID_SYNTAX and never reuses a half-made secret.
 */
#ifndef KB_CRYPTO_KE_H
#define KB_CRYPTO_KE_H

#include "crypto/crypto.h"
#include "crypto/xform.h"

/* Largest public value and shared secret (MODP 4096: 512 bytes). */
#define KE_PUB_MAX    512
#define KE_SECRET_MAX 512

struct ke;

/* A shared secret g^ir, in a fixed array; wipe with ke_secret_wipe(). */
struct ke_secret {
	uint8_t buf[KE_SECRET_MAX];
	size_t len;
};

/* Creates a key exchange of method `ke_id` with a fresh private key.
 * 0, CRYPTO_E_UNSUPPORTED or CRYPTO_E_INTERNAL. */
int ke_new(unsigned ke_id, struct ke **out) __attribute__((warn_unused_result));

/* Creates a key exchange from a known private key, for published test
 * vectors: a big-endian exponent/scalar for MODP/ECP, the raw RFC 7748
 * scalar for X25519/X448. */
int ke_new_from_private(unsigned ke_id, const uint8_t *priv, size_t len,
			struct ke **out) __attribute__((warn_unused_result));

/* Frees `ke` and its private key; ke_free(NULL) is fine. */
void ke_free(struct ke *ke);

/* The transform this key exchange implements. */
const struct xform_ke *ke_xform(const struct ke *ke);

/* Writes our public value in IKE's encoding (ke_xform()->pub_len bytes:
 * MODP zero-padded to the prime's length, ECP x | y, X25519/X448 raw). */
int ke_public(const struct ke *ke, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

/* Validates a peer public value for method `ke_id` without computing
 * anything secret: 0, CRYPTO_E_UNSUPPORTED, CRYPTO_E_KE_LENGTH,
 * CRYPTO_E_KE_RANGE or CRYPTO_E_KE_POINT. */
int ke_check_peer(unsigned ke_id, const uint8_t *peer, size_t len)
	__attribute__((warn_unused_result));

/* Validates `peer` as ke_check_peer() does and computes the shared secret
 * g^ir (MODP: padded to the prime's length, ECP: x coordinate, RFC 5903 §7;
 * X25519/X448: 32/56 bytes, all-zero refused with CRYPTO_E_KE_ZERO). On
 * error `out` is wiped. */
int ke_derive(struct ke *ke, const uint8_t *peer, size_t len,
	      struct ke_secret *out) __attribute__((warn_unused_result));

/* Wipes a shared secret. */
void ke_secret_wipe(struct ke_secret *s);

#endif
