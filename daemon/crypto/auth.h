/* The AUTH payload (RFC 7296 §2.15): shared key message integrity codes and
 * digital signatures with RFC 7427 (Authentication Method 14), plus loading
 * of the keys and certificates they use from PEM files.
 *
 * Both methods sign the same octets (§2.15):
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 *   MACedIDForI = prf(SK_pi, RestOfInitIDPayload)
 * (and the responder's with RealMessage2, NonceIData, SK_pr, IDr).
 */
#ifndef KB_CRYPTO_AUTH_H
#define KB_CRYPTO_AUTH_H

#include "crypto/crypto.h"
#include "crypto/prf.h"
#include "ike_iana.h"

#include <stdbool.h>

/* Upper bound of AUTH data keybridge produces or accepts for method 14:
 * one length octet, an AlgorithmIdentifier, a signature of RSA up to 8192
 * bits. */
#define AUTH_DATA_MAX 1200

/* RFC 7427 signature schemes: X(symbol, "name", hash, key type) where hash
 * is the SIGNATURE_HASH_ALGORITHMS value that announces it (RFC 7427 §4,
 * Identity for Ed25519 per RFC 8420 §2). */
#define AUTH_SIG_SCHEMES(X)                                                    \
	X(AUTH_SIG_RSA_PSS_SHA256, "rsassa-pss-sha256", HASH_SHA2_256)         \
	X(AUTH_SIG_RSA_PSS_SHA384, "rsassa-pss-sha384", HASH_SHA2_384)         \
	X(AUTH_SIG_RSA_PSS_SHA512, "rsassa-pss-sha512", HASH_SHA2_512)         \
	X(AUTH_SIG_RSA_PKCS1_SHA256, "sha256WithRSAEncryption", HASH_SHA2_256) \
	X(AUTH_SIG_RSA_PKCS1_SHA384, "sha384WithRSAEncryption", HASH_SHA2_384) \
	X(AUTH_SIG_RSA_PKCS1_SHA512, "sha512WithRSAEncryption", HASH_SHA2_512) \
	X(AUTH_SIG_ECDSA_SHA256, "ecdsa-with-SHA256", HASH_SHA2_256)           \
	X(AUTH_SIG_ECDSA_SHA384, "ecdsa-with-SHA384", HASH_SHA2_384)           \
	X(AUTH_SIG_ECDSA_SHA512, "ecdsa-with-SHA512", HASH_SHA2_512)           \
	X(AUTH_SIG_ED25519, "Ed25519", HASH_IDENTITY)

#define AUTH_SIG_ENUM(sym, name, hash) sym,
enum auth_sig_scheme { AUTH_SIG_SCHEMES(AUTH_SIG_ENUM) AUTH_SIG_COUNT };

/* A private or public key (RSA, EC P-256/P-384/P-521, Ed25519). */
struct auth_key;
/* An X.509 certificate. */
struct auth_cert;

/* Loads a PEM private key (PKCS#8, traditional RSA/EC). 0 or
 * CRYPTO_E_KEY_LOAD. */
int auth_key_load_private(const char *path, struct auth_key **out)
	__attribute__((warn_unused_result));

/* Loads a public key (SubjectPublicKeyInfo or PKCS#1 RSA) or the key of
 * the first certificate in the file, PEM or DER. 0 or CRYPTO_E_KEY_LOAD. */
int auth_key_load_public(const char *path, struct auth_key **out)
	__attribute__((warn_unused_result));

/* Loads a private key file as swanctl's private/, rsa/, ecdsa/ and pkcs8/
 * directories hold them: PEM or DER, PKCS#8 (encrypted or not) or
 * traditional RSA/EC. `pass` (NULL: none) decrypts an encrypted one.
 * 0, CRYPTO_E_KEY_LOAD (no key in it) or CRYPTO_E_KEY_PASSPHRASE
 * (encrypted, and no passphrase or a wrong one). */
int auth_key_load_private_pass(const char *path, const uint8_t *pass,
			       size_t pass_len, struct auth_key **out)
	__attribute__((warn_unused_result));

/* Loads the key and the end-entity certificate of a PKCS#12 file (DER),
 * with `pass` (NULL: try none). Same errors as above. */
int auth_pkcs12_load(const char *path, const uint8_t *pass, size_t pass_len,
		     struct auth_key **key, struct auth_cert **cert)
	__attribute__((warn_unused_result));

/* True if both keys have the same public key (a private key and the
 * certificate or public key it belongs to). */
bool auth_key_public_eq(const struct auth_key *a, const struct auth_key *b);

/* Frees a key; auth_key_free(NULL) is fine. */
void auth_key_free(struct auth_key *key);

/* Loads the first X.509 certificate of a file, PEM or DER. 0 or
 * CRYPTO_E_KEY_LOAD. */
int auth_cert_load(const char *path, struct auth_cert **out)
	__attribute__((warn_unused_result));

/* Parses a DER certificate (CERT payload, encoding 4). 0 or
 * CRYPTO_E_KEY_LOAD. */
int auth_cert_from_der(const uint8_t *der, size_t len, struct auth_cert **out)
	__attribute__((warn_unused_result));

/* The certificate's DER encoding (for the CERT payload), owned by `cert`. */
int auth_cert_der(const struct auth_cert *cert, const uint8_t **der,
		  size_t *len) __attribute__((warn_unused_result));

/* Extracts the certificate's public key as a new key. Does not check the
 * certificate's validity or chain: that is the caller's trust policy. */
int auth_cert_key(const struct auth_cert *cert, struct auth_key **out)
	__attribute__((warn_unused_result));

/* True if the certificate names identity `type` (ID_*) `data` (RFC 7296
 * §3.5 ID payload data), as RFC 4945 §3.1 says: a DN equals the subject
 * (both in canonical form: case and spacing of string values do not
 * matter); an FQDN equals a dNSName subjectAltName, ignoring ASCII case;
 * an RFC822 address equals an rfc822Name, its domain ignoring case; an IP
 * address equals an iPAddress, byte for byte. Exactly: no wildcards, no
 * fallback to the subject's CN. Other ID types name no certificate. */
bool auth_cert_names_id(const struct auth_cert *cert, uint8_t type,
			const uint8_t *data, size_t len);

/* An identity (RFC 7296 §3.5 type and data) as strongSwan prints it for
 * operators and updown scripts: addresses in text form, FQDN and e-mail
 * identities as they are (control bytes shown as '?'), a DN as "C=CH,
 * O=Example, CN=moon", other types as "@#" and hex; type 0 is "%any".
 * Always NUL-terminates `out` (cap > 0); returns `out`. */
const char *auth_id_str(uint8_t type, const uint8_t *data, size_t len,
			char *out, size_t cap);

/* The certificate's SHA-1 SubjectPublicKeyInfo hash (RFC 7296 §3.7: what a
 * CERTREQ names a CA by). 0 or CRYPTO_E_INTERNAL. */
int auth_cert_spki_sha1(const struct auth_cert *cert, uint8_t out[20])
	__attribute__((warn_unused_result));

/* True if the certificate was issued by `ca` (names and signature). */
bool auth_cert_issued_by(const struct auth_cert *cert,
			 const struct auth_cert *ca);

/* A certificate revocation list (RFC 5280 §5). */
struct auth_crl;

/* Loads a CRL file, PEM or DER. 0 or CRYPTO_E_KEY_LOAD. */
int auth_crl_load(const char *path, struct auth_crl **out)
	__attribute__((warn_unused_result));

void auth_crl_free(struct auth_crl *crl);

/* What a peer's certificate is verified against: trust anchors (the CAs a
 * connection trusts: cacerts, x509ca/), intermediate CA certificates that
 * may complete a chain without being trusted themselves (x509/), and CRLs
 * (x509crl/, authorities' crl_uris). Holds its own references: the
 * certificates and CRLs added may be freed afterwards. */
struct auth_trust;

int auth_trust_new(struct auth_trust **out) __attribute__((warn_unused_result));

/* Adds a trust anchor (`anchor`) or an untrusted intermediate. 0,
 * CRYPTO_E_ARG (an intermediate that is no CA) or CRYPTO_E_INTERNAL. */
int auth_trust_add_cert(struct auth_trust *t, const struct auth_cert *cert,
			bool anchor) __attribute__((warn_unused_result));

int auth_trust_add_crl(struct auth_trust *t, const struct auth_crl *crl)
	__attribute__((warn_unused_result));

/* Number of trust anchors, and the i-th one's SPKI SHA-1 (for CERTREQ). */
size_t auth_trust_anchors(const struct auth_trust *t);
const uint8_t *auth_trust_anchor_hash(const struct auth_trust *t, size_t i);

void auth_trust_free(struct auth_trust *t);

/* Verifies an end entity's certificate for IKE (RFC 5280 path validation
 * by OpenSSL, RFC 4945 §5):
 * - a chain from `leaf` through intermediates (`extra`, the peer's further
 *   CERT payloads, and the trust's own) to one of the trust anchors; an
 *   anchor need not be self-signed (an intermediate CA configured as
 *   trusted ends the chain, as in strongSwan); every issuer must be a CA;
 * - every certificate valid at `now` (seconds since the epoch; negative:
 *   validity periods not checked);
 * - no certificate of the chain revoked by a CRL of the trust; a CA
 *   without a CRL is not an error (CRLs are checked when present), and an
 *   expired CRL still revokes;
 * - the leaf's keyUsage, if present, has digitalSignature or
 *   nonRepudiation (RFC 4945 §5.1.3.2);
 * - the leaf's extendedKeyUsage, if present, lists ipsecIKE,
 *   anyExtendedKeyUsage, serverAuth, clientAuth or iKEIntermediate (RFC
 *   4945 §5.1.3.12 names the first two; the others are what deployed CAs
 *   issue for IKE, and strongSwan and Windows accept them).
 * 0 or CRYPTO_E_AUTH_FAILED with the reason in `why`. */
int auth_trust_verify(const struct auth_trust *t, const struct auth_cert *leaf,
		      const struct auth_cert *const *extra, size_t n_extra,
		      int64_t now, char *why, size_t why_len)
	__attribute__((warn_unused_result));

/* True if the certificate is a CA's (basicConstraints cA). */
bool auth_cert_is_ca(const struct auth_cert *cert);

/* Frees a certificate; auth_cert_free(NULL) is fine. */
void auth_cert_free(struct auth_cert *cert);

/* The octets an AUTH payload covers, with MACedID computed. */
struct auth_octets {
	const uint8_t *msg; /* RealMessage1/2: the whole IKE_SA_INIT message */
	size_t msg_len;
	const uint8_t *nonce; /* the peer's Nonce Data */
	size_t nonce_len;
	uint8_t maced_id[PRF_MAX];
	size_t maced_id_len;
};

/* Fills `o` for one side: `sk_p` is SK_pi (initiator) or SK_pr (responder),
 * `id` the ID payload body after the generic payload header (ID Type,
 * RESERVED, data). `msg` and `nonce` are referenced, not copied. */
int auth_octets_init(struct auth_octets *o, const struct xform_prf *prf,
		     const uint8_t *sk_p, size_t sk_p_len, const uint8_t *msg,
		     size_t msg_len, const uint8_t *nonce, size_t nonce_len,
		     const uint8_t *id, size_t id_len)
	__attribute__((warn_unused_result));

/* Shared key AUTH (method 2, §2.15): prf(prf(Shared Secret, "Key Pad for
 * IKEv2"), <SignedOctets>) into `out` (prf->out_len bytes, *len). */
int auth_psk_make(const struct xform_prf *prf, const uint8_t *psk,
		  size_t psk_len, const struct auth_octets *o,
		  uint8_t out[PRF_MAX], size_t *len)
	__attribute__((warn_unused_result));

/* Recomputes the shared key AUTH and compares it with the received one in
 * constant time: 0 or CRYPTO_E_AUTH_FAILED. */
int auth_psk_check(const struct xform_prf *prf, const uint8_t *psk,
		   size_t psk_len, const struct auth_octets *o,
		   const uint8_t *auth, size_t auth_len)
	__attribute__((warn_unused_result));

/* Name of a scheme ("rsassa-pss-sha256", …) or NULL. */
const char *auth_sig_scheme_name(enum auth_sig_scheme s);

/* The scheme's DER AlgorithmIdentifier (RFC 7427 Appendix A, RFC 8420 §2),
 * *len bytes, or NULL. */
const uint8_t *auth_sig_algid(enum auth_sig_scheme s, size_t *len);

/* Bit (1u << HASH_*) of each hash keybridge can sign and verify with. */
uint32_t auth_hash_supported(void);

/* Builds SIGNATURE_HASH_ALGORITHMS Notification Data (RFC 7427 §4): one
 * 16-bit Hash Algorithm Identifier per bit of `mask`. */
int auth_hash_notify_build(uint32_t mask, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

/* Parses the peer's SIGNATURE_HASH_ALGORITHMS Notification Data into a
 * mask; unknown identifiers are ignored (§4), an odd length is
 * CRYPTO_E_ARG. */
int auth_hash_notify_parse(const uint8_t *data, size_t len, uint32_t *mask)
	__attribute__((warn_unused_result));

/* Chooses the scheme to sign with `key` given the hashes the peer announced
 * (`peer_mask`; 0 if it sent no notify, which keybridge treats as SHA2-256
 * only): RSA-PSS rather than PKCS#1 v1.5 if `rsa_pss` (always for RSA-PSS
 * keys), the hash matching the key first (SHA2-256 for RSA and P-256,
 * SHA2-384 for P-384, SHA2-512 for P-521), then the others; Ed25519 needs
 * Identity announced (RFC 8420 §2). 0, CRYPTO_E_AUTH_NO_HASH or
 * CRYPTO_E_AUTH_ALG (key type not supported). */
int auth_sig_choose(const struct auth_key *key, uint32_t peer_mask,
		    bool rsa_pss, enum auth_sig_scheme *out)
	__attribute__((warn_unused_result));

/* Which signatures an authentication round allows (swanctl.conf auth =
 * pubkey, rsa, rsa/pss, ecdsa, ed25519). The values are stored in
 * struct engine_auth's sig_family. */
enum auth_sig_family {
	AUTH_SIGF_ANY = 0, /* pubkey: what the key makes (RSA: PSS) */
	AUTH_SIGF_RSA,	   /* RSASSA-PKCS1-v1_5 */
	AUTH_SIGF_RSA_PSS, /* RSASSA-PSS (RFC 4055 parameters, RFC 7427) */
	AUTH_SIGF_ECDSA,
	AUTH_SIGF_ED25519,
};

/* auth_sig_choose within rules: a scheme of family `fam` (ANY: RSA-PSS
 * for RSA keys) whose hash is in `hashes` (bit n: RFC 7427 hash n; 0 any)
 * as well as in what the peer announced. CRYPTO_E_AUTH_ALG if the key
 * cannot make that family, CRYPTO_E_AUTH_NO_HASH if no hash fits. */
int auth_sig_choose_rule(const struct auth_key *key, uint32_t peer_mask,
			 enum auth_sig_family fam, uint32_t hashes,
			 enum auth_sig_scheme *out)
	__attribute__((warn_unused_result));

/* The key's size in bits (RSA modulus, EC field; 0 if unknown). */
unsigned auth_key_bits(const struct auth_key *key);

/* True if `key` can make signatures of family `fam` and has at least
 * `min_bits` (0: any size). */
bool auth_key_fits(const struct auth_key *key, enum auth_sig_family fam,
		   unsigned min_bits);

/* True if the peer's signature with scheme `s` by `key` keeps the rules:
 * the family (ANY: every scheme; RSA without hashes: any RSA scheme, with
 * hashes PKCS#1 v1.5 only, as strongSwan reads "rsa-sha256"), the hashes
 * (0: any; Ed25519's is Identity, which no hash list names) and the key
 * size. */
bool auth_sig_allowed(const struct auth_key *key, enum auth_sig_scheme s,
		      enum auth_sig_family fam, uint32_t hashes,
		      unsigned min_bits);

/* "rsa/pss", "ecdsa", … for messages. */
const char *auth_sig_family_name(enum auth_sig_family fam);

/* Signs the octets with `key` and writes method-14 AUTH data (RFC 7427 §3):
 * AlgorithmIdentifier length octet, AlgorithmIdentifier, signature. ECDSA
 * signatures are DER Ecdsa-Sig-Value. 0, CRYPTO_E_AUTH_ALG (scheme does not
 * fit the key), CRYPTO_E_BUFFER or CRYPTO_E_INTERNAL. */
int auth_sig_make(const struct auth_key *key, enum auth_sig_scheme scheme,
		  const struct auth_octets *o, uint8_t *out, size_t cap,
		  size_t *len) __attribute__((warn_unused_result));

/* Verifies method-14 AUTH data with the peer's public key. The
 * AlgorithmIdentifier must be one of ours, match the key type and use a
 * hash in `accept_mask`: else CRYPTO_E_AUTH_ALG; a bad signature is
 * CRYPTO_E_AUTH_FAILED. *used (may be NULL) receives the scheme. */
int auth_sig_check(const struct auth_key *key, const struct auth_octets *o,
		   const uint8_t *auth, size_t auth_len, uint32_t accept_mask,
		   enum auth_sig_scheme *used)
	__attribute__((warn_unused_result));

#endif
