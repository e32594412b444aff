/* Common definitions of keybridge's IKEv2 cryptography (daemon/crypto).
 *
 * Everything in daemon/crypto is built on OpenSSL 3 EVP interfaces (plus
 * BIGNUM comparisons for the MODP range check and EC_POINT_mul to import
 * published test-vector keys); no primitive is implemented here.
 * Functions return 0 on success or one of the negative `enum crypto_err`
 * values below, which the engine maps to IKE Notify types (the comment on
 * each says what RFC 7296 expects).
 *
 * Headers of the module:
 *   crypto/xform.h   transform table: sizes per IANA id, refusals by name
 *   crypto/prf.h     prf and prf+ (RFC 7296 §2.13)
 *   crypto/keymat.h  SKEYSEED, SK_* split, CHILD_SA KEYMAT, rekey (§2.14,
 *                    §2.17, §2.18)
 *   crypto/ke.h      key exchange with peer value validation (§5, RFC 6989)
 *   crypto/skp.h     SK / SKF payload protection (§3.14, RFC 5282, RFC 7383)
 *   crypto/auth.h    AUTH payload: shared key and RFC 7427 signatures
 *   crypto/keylog.h  Wireshark IKEv2 decryption table writer
 *   crypto/mschapv2.h MS-CHAPv2 and its MSK for EAP (RFC 2759, 3079);
 *                    MD4 and DES from the legacy provider, kept apart
 */
#ifndef KB_CRYPTO_CRYPTO_H
#define KB_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* X(symbol, value, "name"). Values are negative so that a function can
 * return them directly; they do not overlap -errno (-1..-4095). */
#define CRYPTO_ERRORS(X)                                                        \
	/* caller bug: NULL, zero length where one is needed (no notify) */     \
	X(CRYPTO_E_ARG, -5001, "invalid argument")                              \
	/* output does not fit the caller's buffer (no notify) */               \
	X(CRYPTO_E_BUFFER, -5002, "buffer too small")                           \
	/* OpenSSL failed (allocation, provider): TEMPORARY_FAILURE or drop */  \
	X(CRYPTO_E_INTERNAL, -5003, "OpenSSL failure")                          \
	/* transform id not supported: NO_PROPOSAL_CHOSEN (§2.7) */            \
	X(CRYPTO_E_UNSUPPORTED, -5004, "transform not supported")               \
	/* Key Length attribute missing, forbidden or not allowed for the     \
	 * transform: NO_PROPOSAL_CHOSEN (§3.3.5) */ \
	X(CRYPTO_E_KEY_LENGTH, -5005, "key length not supported")               \
	/* peer KE data of the wrong length for its group: INVALID_SYNTAX     \
	 * (§3.4, RFC 6989 §2) */ \
	X(CRYPTO_E_KE_LENGTH, -5006, "KE public value has wrong length")        \
	/* MODP value 0, 1, p-1 or >= p: INVALID_SYNTAX (RFC 6989 §2.1) */     \
	X(CRYPTO_E_KE_RANGE, -5007, "KE public value out of range")             \
	/* ECP point not on the curve or at infinity: INVALID_SYNTAX          \
	 * (RFC 6989 §2.3) */ \
	X(CRYPTO_E_KE_POINT, -5008, "KE public value not on the curve")         \
	/* X25519/X448 result all zero: INVALID_SYNTAX (RFC 8031 §2) */        \
	X(CRYPTO_E_KE_ZERO, -5009, "KE shared secret is all zero")              \
	/* SK/SKF payload too short, misaligned or lengths inconsistent:      \
	 * INVALID_SYNTAX only after integrity passed, else drop (§3.14) */ \
	X(CRYPTO_E_SK_SYNTAX, -5010, "SK payload malformed")                    \
	/* ICV or AEAD tag does not verify: drop silently (§2.21.1) */         \
	X(CRYPTO_E_SK_ICV, -5011, "SK payload integrity check failed")          \
	/* decrypted Pad Length larger than the data: drop (§3.14) */          \
	X(CRYPTO_E_SK_PADDING, -5012, "SK payload padding invalid")             \
	/* AUTH data does not verify: AUTHENTICATION_FAILED (§2.21.2) */       \
	X(CRYPTO_E_AUTH_FAILED, -5013, "AUTH does not verify")                  \
	/* AUTH AlgorithmIdentifier unknown, unacceptable or not matching the \
	 * key: AUTHENTICATION_FAILED (RFC 7427 §3) */ \
	X(CRYPTO_E_AUTH_ALG, -5014, "signature algorithm not acceptable")       \
	/* no signature scheme both sides accept (RFC 7427 §4) */              \
	X(CRYPTO_E_AUTH_NO_HASH, -5015, "no common signature hash")             \
	/* PEM/DER key or certificate unreadable (local configuration) */       \
	X(CRYPTO_E_KEY_LOAD, -5016, "key or certificate unreadable")            \
	/* key log file could not be opened or written (local) */               \
	X(CRYPTO_E_IO, -5017, "key log I/O error")                              \
	/* encrypted key or PKCS#12 file: passphrase missing or wrong */        \
	X(CRYPTO_E_KEY_PASSPHRASE, -5018, "passphrase missing or wrong")

#define CRYPTO_ERR_ENUM(sym, val, name) sym = val,
enum crypto_err { CRYPTO_ERRORS(CRYPTO_ERR_ENUM) };

/* Name of a crypto error (e.g. "KE public value out of range"), of 0
 * ("success"), or NULL for a value that is not a crypto error. */
const char *crypto_err_name(int err);

/* Symbol of a crypto error as spelled in the source ("CRYPTO_E_KE_RANGE"),
 * or NULL; for logs and test output. */
const char *crypto_err_symbol(int err);

/* One piece of a message that is fed to a PRF or signature in order, so that
 * callers need not concatenate (e.g. Ni | Nr | SPIi | SPIr). */
struct crypto_span {
	const void *ptr;
	size_t len;
};

/* Wipes `len` bytes at `p` in a way the compiler cannot elide
 * (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t len);

/* Compares `len` bytes in constant time (CRYPTO_memcmp); true if equal. */
int crypto_equal(const void *a, const void *b, size_t len);

/* Fills `len` bytes with output of OpenSSL's CSPRNG; 0 or
 * CRYPTO_E_INTERNAL. */
int crypto_random(void *out, size_t len) __attribute__((warn_unused_result));

/* Fills `len` bytes from the kernel's getrandom(2), retrying after a
 * signal (the daemon's SPIs, nonces and jitter); 0 or -errno. */
int crypto_getrandom(void *out, size_t len) __attribute__((warn_unused_result));

#endif
