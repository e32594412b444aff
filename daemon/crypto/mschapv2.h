/* MS-CHAPv2 (RFC 2759) and its MPPE master keys (RFC 3079), as EAP-MSCHAPv2
 * needs them to check a peer's password and to derive the MSK that keys
 * the IKEv2 AUTH payload (RFC 7296 §2.16).
 *
 * MD4 and single DES exist only for this protocol; OpenSSL 3 keeps them in
 * its "legacy" provider, which this module loads into a library context of
 * its own (the rest of the process never sees those algorithms). Passwords
 * are UTF-8 text, turned into UTF-16LE as RFC 2759 §8.3 expects Unicode.
 * Every function returns 0 or a negative enum crypto_err. */
#ifndef KB_CRYPTO_MSCHAPV2_H
#define KB_CRYPTO_MSCHAPV2_H

#include "crypto/crypto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	MSCHAPV2_CHALLENGE_LEN = 16, /* authenticator and peer challenges */
	MSCHAPV2_HASH_LEN = 16,	     /* NT password hash, master key */
	MSCHAPV2_NT_RESPONSE_LEN = 24,
	MSCHAPV2_AUTH_RESPONSE_LEN = 42, /* "S=" and 40 hex digits */
	MSCHAPV2_MSK_LEN = 64,
	MSCHAPV2_PASSWORD_MAX = 256, /* characters (RFC 2759 §8.3) */
};

/* NtPasswordHash (RFC 2759 §8.3): MD4 of the UTF-16LE password. Refuses
 * text that is not UTF-8 or longer than MSCHAPV2_PASSWORD_MAX characters
 * with CRYPTO_E_ARG. */
int mschapv2_nt_hash(const void *password, size_t len,
		     uint8_t out[MSCHAPV2_HASH_LEN])
	__attribute__((warn_unused_result));

/* The user name that enters ChallengeHash: `name` without a leading
 * "DOMAIN\" (RFC 2759 §4: the Name field may carry a domain, the hash
 * takes the user name only). Points into `name`. */
const uint8_t *mschapv2_user(const uint8_t *name, size_t len, size_t *out_len);

/* ChallengeHash (§8.2): first 8 bytes of SHA-1(PeerChallenge |
 * AuthenticatorChallenge | UserName). */
int mschapv2_challenge_hash(const uint8_t peer[MSCHAPV2_CHALLENGE_LEN],
			    const uint8_t auth[MSCHAPV2_CHALLENGE_LEN],
			    const uint8_t *user, size_t user_len,
			    uint8_t out[8]) __attribute__((warn_unused_result));

/* ChallengeResponse (§8.5): three DES encryptions of the 8-byte challenge
 * under the zero-padded password hash. */
int mschapv2_challenge_response(const uint8_t challenge[8],
				const uint8_t hash[MSCHAPV2_HASH_LEN],
				uint8_t out[MSCHAPV2_NT_RESPONSE_LEN])
	__attribute__((warn_unused_result));

/* GenerateNTResponse (§8.1) from the password hash. */
int mschapv2_nt_response(const uint8_t auth[MSCHAPV2_CHALLENGE_LEN],
			 const uint8_t peer[MSCHAPV2_CHALLENGE_LEN],
			 const uint8_t *user, size_t user_len,
			 const uint8_t hash[MSCHAPV2_HASH_LEN],
			 uint8_t out[MSCHAPV2_NT_RESPONSE_LEN])
	__attribute__((warn_unused_result));

/* GenerateAuthenticatorResponse (§8.7): "S=" followed by 40 upper-case
 * hex digits, not NUL-terminated. */
int mschapv2_auth_response(const uint8_t hash[MSCHAPV2_HASH_LEN],
			   const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
			   const uint8_t peer[MSCHAPV2_CHALLENGE_LEN],
			   const uint8_t auth[MSCHAPV2_CHALLENGE_LEN],
			   const uint8_t *user, size_t user_len,
			   uint8_t out[MSCHAPV2_AUTH_RESPONSE_LEN])
	__attribute__((warn_unused_result));

/* GetMasterKey (RFC 3079 §3.4) from the password hash (its hash is taken
 * here) and the NT-Response. */
int mschapv2_master_key(const uint8_t hash[MSCHAPV2_HASH_LEN],
			const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
			uint8_t out[MSCHAPV2_HASH_LEN])
	__attribute__((warn_unused_result));

/* GetAsymmetricStartKey (RFC 3079 §3.4) for a 128-bit session key: the
 * key `is_send` for the side `is_server`. */
int mschapv2_start_key(const uint8_t master[MSCHAPV2_HASH_LEN], bool is_send,
		       bool is_server, uint8_t out[MSCHAPV2_HASH_LEN])
	__attribute__((warn_unused_result));

/* The 64-byte EAP-MSCHAPv2 MSK as Windows and strongSwan build it: the
 * server's MS-MPPE-Recv-Key (the client's send key), its MS-MPPE-Send-Key,
 * then 32 zero bytes (RFC 5247's MSK = Recv-Key | Send-Key of what a
 * RADIUS server hands the authenticator). Both sides compute the same. */
int mschapv2_msk(const uint8_t hash[MSCHAPV2_HASH_LEN],
		 const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
		 uint8_t out[MSCHAPV2_MSK_LEN])
	__attribute__((warn_unused_result));

#endif
