/* Encrypted payload protection: SK (RFC 7296 §3.14) and SKF fragments
 * (RFC 7383 §2.5), for CBC + HMAC and for AEAD ciphers (RFC 5282 AES-GCM,
 * RFC 7634 ChaCha20-Poly1305).
 *
 * Messages are protected in place in the caller's buffer:
 *
 *   | IKE header | payloads… | SK hdr | IV | inner payloads | Pad | PL | ICV |
 *   |<------------ hdr_len ----------->|    |<- plain_len -->|
 *
 * `hdr_len` covers everything from the IKE header through the SK generic
 * payload header (4 bytes) or the SKF header (8 bytes: generic header,
 * Fragment Number, Total Fragments); the SK/SKF payload is the last one in
 * the message (§3.14). For AEAD these bytes are the associated data
 * (RFC 5282 §5.1); for CBC they are covered by the ICV with the rest.
 * skp_protect() fills in the IKE header's Length and the SK/SKF Payload
 * Length, because both are covered by the ICV.
 *
 * A `struct skp` holds one IKE SA's SK_e/SK_a keys for both directions,
 * inside keyed OpenSSL contexts that skp_free() cleanses. (The prefix is
 * skp_, not sk_: OpenSSL's stack.h defines sk_new and sk_free as macros.)
 */
#ifndef KB_CRYPTO_SKP_H
#define KB_CRYPTO_SKP_H

#include "crypto/crypto.h"
#include "crypto/keymat.h"

#include <stdbool.h>

struct skp;

/* Creates SK protection for an IKE SA with keys `km`: as initiator it
 * protects with SK_ei/SK_ai and verifies with SK_er/SK_ar, as responder the
 * reverse. 0, CRYPTO_E_ARG or CRYPTO_E_INTERNAL. */
int skp_new(const struct keymat_ike *km, bool initiator, struct skp **out)
	__attribute__((warn_unused_result));

/* Wipes the keys and frees `sk`; skp_free(NULL) is fine. */
void skp_free(struct skp *sk);

/* Length of the SK (PL_SK: 4) or SKF (PL_SKF: 8) header; 0 for other
 * types. */
size_t skp_header_len(unsigned payload_type);

/* IV length on the wire: inner payloads start at hdr_len + skp_iv_len(). */
size_t skp_iv_len(const struct skp *sk);

/* Bytes the protection adds to `plain_len` bytes of inner payloads: IV,
 * padding, Pad Length and ICV. The message is hdr_len + plain_len +
 * skp_overhead() bytes long. */
size_t skp_overhead(const struct skp *sk, size_t plain_len);

/* Protects a message laid out as above, with the inner payloads already at
 * msg + hdr_len + skp_iv_len(sk): writes the IV (`iv`; when NULL a per-SA
 * counter for AEAD, that counter encrypted under SK_e for CBC), padding
 * and Pad Length, encrypts, writes both length fields and the ICV;
 * *msg_len receives the message length. `payload_type` is PL_SK or
 * PL_SKF. 0, CRYPTO_E_ARG, CRYPTO_E_BUFFER or CRYPTO_E_INTERNAL. */
int skp_protect(struct skp *sk, uint8_t *msg, size_t cap, size_t hdr_len,
		unsigned payload_type, size_t plain_len, const uint8_t *iv,
		size_t *msg_len) __attribute__((warn_unused_result));

/* Verifies and decrypts a received message of `msg_len` bytes in place: the
 * ICV is checked first (constant time), then the padding. On success
 * *plain_off and *plain_len locate the inner payloads inside `msg`.
 * CRYPTO_E_SK_SYNTAX (too short, misaligned, length fields disagree with
 * msg_len), CRYPTO_E_SK_ICV, CRYPTO_E_SK_PADDING or CRYPTO_E_INTERNAL. */
int skp_unprotect(struct skp *sk, uint8_t *msg, size_t msg_len, size_t hdr_len,
		  unsigned payload_type, size_t *plain_off, size_t *plain_len)
	__attribute__((warn_unused_result));

/* Seals `len` bytes at `buf` in place with an AEAD transform, as the SK
 * payload does (RFC 5282 §4, RFC 7634 §2): `key` is SK_e (cipher key
 * followed by the salt), the nonce is salt | `iv`, `tag` receives
 * e->icv_len bytes. One-shot; for published vectors and tests. */
int skp_aead_seal(const struct xform_encr *e, const uint8_t *key,
		  const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *buf, size_t len, uint8_t *tag)
	__attribute__((warn_unused_result));

/* Opens what skp_aead_seal() sealed: 0, or CRYPTO_E_SK_ICV (and `buf`
 * wiped) when the tag does not verify. */
int skp_aead_open(const struct xform_encr *e, const uint8_t *key,
		  const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *buf, size_t len, const uint8_t *tag)
	__attribute__((warn_unused_result));

#endif
