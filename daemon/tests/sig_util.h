/* Signature keys for the engine tests (test_engine_sig.c,
 * test_engine_sig_rules.c, test_engine_eap.c): made fresh with OpenSSL,
 * written as PEM and loaded through crypto/auth.h as the daemon loads
 * them, and two engines that authenticate each other with them. */
#ifndef KB_TESTS_SIG_UTIL_H
#define KB_TESTS_SIG_UTIL_H

#include "tests/engine_harness.h"

struct auth_key;

struct su_keys {
	struct auth_key *priv, *pub;
};

/* Makes a key pair of `type`: "EC" with curve `param` ("P-256"), "RSA"
 * (2048 bits), or a type without parameters ("ED25519"). */
void su_keys_make(struct su_keys *k, const char *type, const char *param);

/* Frees both halves and clears `k` (made again by su_keys_make). */
void su_keys_free(struct su_keys *k);

/* Fills both connections of `h` (harness_pair_default) to authenticate
 * with signatures: a signs with ka, b with kb, each trusts the other's
 * public key. */
void su_pair(struct harness *h, const struct su_keys *ka,
	     const struct su_keys *kb);

#endif
