/* Benchmarks of daemon/crypto beside `openssl speed` run in the same
 * process run, on the same machine and load: each key exchange (key
 * generation + shared secret, and the shared secret alone), a full IKE SA
 * key derivation, and SK protect/unprotect of a 1 KiB message (AEAD
 * references use `-aead`: a fresh IV, AAD and tag per message, as SK
 * needs). */
#include "bench/bench.h"
#include "crypto/ke.h"
#include "crypto/keymat.h"
#include "crypto/skp.h"
#include "ike_iana.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs `openssl speed -seconds 1 -elapsed -mr ARGS` and returns the
 * nanoseconds per operation of the line that starts with `prefix` and has
 * `key` as its third field (+F5/+F8 lines: "prefix:idx:bits:ops/s:s/op";
 * +F lines: "+F:idx:name:bytes/s" for one block of `bytes`). 0 if the
 * command or the line is missing, which prints "n/a". */
static double speed_ns(const char *args, const char *prefix, const char *key,
		       double bytes)
{
	char cmd[256], line[512];
	double ns = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "openssl speed -seconds 1 -elapsed -mr %s 2>/dev/null", args);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tag = strtok_r(line, ":", &save);
		char *idx = strtok_r(NULL, ":", &save);
		char *name = strtok_r(NULL, ":", &save);
		char *val = strtok_r(NULL, ":\n", &save);

		if (!tag || !idx || !name || !val || strcmp(tag, prefix) ||
		    strcmp(name, key))
			continue;
		/* ops/s for key exchanges, bytes/s for ciphers and MACs */
		ns = bytes > 0 ? 1e9 * bytes / atof(val) : 1e9 / atof(val);
	}
	pclose(f);
	return ns;
}

struct ke_case {
	unsigned id;
	const char *speed, *bits; /* `openssl speed` algorithm, key size */
	const char *prefix;
	uint8_t peer[KE_PUB_MAX];
	size_t peer_len;
	struct ke *ke;
};

static void ke_full(void *arg)
{
	struct ke_case *c = arg;
	struct ke *ke = NULL;
	struct ke_secret s;
	uint8_t pub[KE_PUB_MAX];
	size_t len;

	if (ke_new(c->id, &ke) || ke_public(ke, pub, sizeof(pub), &len) ||
	    ke_derive(ke, c->peer, c->peer_len, &s))
		abort();
	ke_secret_wipe(&s);
	ke_free(ke);
}

static void ke_derive_only(void *arg)
{
	struct ke_case *c = arg;
	struct ke_secret s;

	if (ke_derive(c->ke, c->peer, c->peer_len, &s))
		abort();
}

BENCH(crypto_ke)
{
	static struct ke_case cases[] = {
		{ .id = KE_CURVE25519,
		  .speed = "ecdhx25519",
		  .bits = "253",
		  .prefix = "+F5" },
		{ .id = KE_CURVE448,
		  .speed = "ecdhx448",
		  .bits = "448",
		  .prefix = "+F5" },
		{ .id = KE_ECP_256,
		  .speed = "ecdhp256",
		  .bits = "256",
		  .prefix = "+F5" },
		{ .id = KE_ECP_384,
		  .speed = "ecdhp384",
		  .bits = "384",
		  .prefix = "+F5" },
		{ .id = KE_ECP_521,
		  .speed = "ecdhp521",
		  .bits = "521",
		  .prefix = "+F5" },
		/* openssl speed has the RFC 7919 ffdhe groups; the RFC 3526
		 * MODP groups have the same sizes and cost */
		{ .id = KE_MODP_2048,
		  .speed = "ffdh2048",
		  .bits = "2048",
		  .prefix = "+F8" },
		{ .id = KE_MODP_3072,
		  .speed = "ffdh3072",
		  .bits = "3072",
		  .prefix = "+F8" },
		{ .id = KE_MODP_4096,
		  .speed = "ffdh4096",
		  .bits = "4096",
		  .prefix = "+F8" },
	};
	double s = bench_seconds();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ke_case *c = &cases[i];
		struct ke *peer = NULL;
		double ref = speed_ns(c->speed, c->prefix, c->bits, 0);
		char what[80];

		if (ke_new(c->id, &peer) ||
		    ke_public(peer, c->peer, sizeof(c->peer), &c->peer_len) ||
		    ke_new(c->id, &c->ke))
			abort();
		snprintf(what, sizeof(what), "KE %s keygen + shared secret",
			 ike_ke_id_name(c->id));
		bench_report(what, bench_ns_per_op(ke_full, c, s), 2 * ref,
			     "2 x openssl speed derive", "ns/op", false);
		snprintf(what, sizeof(what), "KE %s shared secret (validated)",
			 ike_ke_id_name(c->id));
		bench_report(what, bench_ns_per_op(ke_derive_only, c, s), ref,
			     c->speed, "ns/op", false);
		ke_free(c->ke);
		ke_free(peer);
	}
}

struct keymat_case {
	struct keymat_suite suite;
	uint8_t gir[256], n[32], spi[8];
	size_t gir_len;
};

static void keymat_once(void *arg)
{
	struct keymat_case *c = arg;
	struct keymat_ike km;

	if (keymat_ike_derive(&km, &c->suite, c->gir, c->gir_len, c->n, 32,
			      c->n, 32, c->spi, c->spi))
		abort();
	keymat_ike_wipe(&km);
}

BENCH(crypto_keymat)
{
	static struct keymat_case c = { .gir_len = 32 };
	/* one HMAC-SHA2-256 over 64 bytes: SKEYSEED covers g^ir (32) keyed
	 * with the nonces; each prf+ round T | Ni | Nr | SPIs | n is 113 */
	double hmac64 =
		speed_ns("-bytes 64 -hmac sha256", "+F", "hmac(sha256)", 64);
	double hmac113 =
		speed_ns("-bytes 113 -hmac sha256", "+F", "hmac(sha256)", 113);
	size_t rounds;

	if (keymat_suite_init(&c.suite, ENCR_AES_GCM_16, 256, PRF_HMAC_SHA2_256,
			      AUTH_NONE))
		abort();
	/* SK_d, SK_pi, SK_pr 32 each, SK_ei, SK_er 36 each: 168 bytes */
	rounds = (3 * 32 + 2 * 36 + 31) / 32;
	bench_report("IKE SA keys (AES-GCM-256, PRF SHA2-256)",
		     bench_ns_per_op(keymat_once, &c, bench_seconds()),
		     hmac64 + (double)rounds * hmac113,
		     "openssl speed: 1+6 HMACs", "ns/op", false);
}

struct sk_case {
	unsigned encr, bits, integ;
	const char *name;
	const char *cipher_args, *cipher_key; /* openssl speed -evp */
	const char *mac_args;		      /* CBC: plus the HMAC */
	struct skp *tx, *rx, *tx2;	      /* tx2: a second SA, same keys */
	bool flip;
	uint8_t msg[1200], work[1200];
	size_t hdr, len;
};

static void sk_protect_once(void *arg)
{
	struct sk_case *c = arg;
	size_t len;

	if (skp_protect(c->tx, c->msg, sizeof(c->msg), c->hdr, PL_SK, 1024,
			NULL, &len))
		abort();
}

/* Two SAs in turn: the thread's cipher context takes a key every time, as
 * when a daemon answers many IKE SAs (skp.c keeps raw keys per SA). */
static void sk_protect_alternating(void *arg)
{
	struct sk_case *c = arg;
	size_t len;

	c->flip = !c->flip;
	if (skp_protect(c->flip ? c->tx2 : c->tx, c->msg, sizeof(c->msg),
			c->hdr, PL_SK, 1024, NULL, &len))
		abort();
}

static void sk_unprotect_once(void *arg)
{
	struct sk_case *c = arg;
	size_t off, plen;

	memcpy(c->work, c->msg, c->len);
	if (skp_unprotect(c->rx, c->work, c->len, c->hdr, PL_SK, &off, &plen))
		abort();
}

static void sk_setup(struct sk_case *c)
{
	struct keymat_suite s;
	struct keymat_ike km;
	uint8_t gir[32] = { 1 }, n[32] = { 2 }, spi[8] = { 3 };

	if (keymat_suite_init(&s, c->encr, c->bits, PRF_HMAC_SHA2_256,
			      c->integ) ||
	    keymat_ike_derive(&km, &s, gir, 32, n, 32, n, 32, spi, spi) ||
	    skp_new(&km, true, &c->tx) || skp_new(&km, false, &c->rx) ||
	    skp_new(&km, true, &c->tx2))
		abort();
	keymat_ike_wipe(&km);
	memset(c->msg, 0, sizeof(c->msg));
	c->msg[16] = PL_SK;
	c->msg[17] = IKE_VERSION_2;
	c->msg[18] = EXCH_INFORMATIONAL;
	c->hdr = IKE_HDR_LEN + 4;
	if (skp_protect(c->tx, c->msg, sizeof(c->msg), c->hdr, PL_SK, 1024,
			NULL, &c->len))
		abort();
}

#define SK_CASE(e, b, i, n, ca, ck, ma)                                        \
	{                                                                      \
		.encr = e, .bits = b, .integ = i, .name = n,                   \
		.cipher_args = ca, .cipher_key = ck, .mac_args = ma            \
	}

BENCH(crypto_sk)
{
	static struct sk_case cases[] = {
		SK_CASE(ENCR_AES_GCM_16, 128, AUTH_NONE, "AES-GCM-16-128",
			"-aead -bytes 1024 -evp aes-128-gcm", "AES-128-GCM",
			NULL),
		SK_CASE(ENCR_AES_GCM_16, 256, AUTH_NONE, "AES-GCM-16-256",
			"-aead -bytes 1024 -evp aes-256-gcm", "AES-256-GCM",
			NULL),
		SK_CASE(ENCR_CHACHA20_POLY1305, 0, AUTH_NONE,
			"ChaCha20-Poly1305",
			"-aead -bytes 1024 -evp chacha20-poly1305",
			"ChaCha20-Poly1305", NULL),
		SK_CASE(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128,
			"AES-CBC-256 + HMAC-SHA2-256-128",
			"-bytes 1024 -evp aes-256-cbc", "AES-256-CBC",
			"-bytes 1024 -hmac sha256"),
	};
	double s = bench_seconds() / 2;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sk_case *c = &cases[i];
		double ref =
			speed_ns(c->cipher_args, "+F", c->cipher_key, 1024);
		char what[96], ref_name[64];

		if (c->mac_args)
			ref += speed_ns(c->mac_args, "+F", "hmac(sha256)",
					1024);
		snprintf(ref_name, sizeof(ref_name), "openssl speed %s%s",
			 c->cipher_key, c->mac_args ? "+HMAC" : "");
		sk_setup(c);
		snprintf(what, sizeof(what), "SK protect 1 KiB, %s", c->name);
		bench_report(what, bench_ns_per_op(sk_protect_once, c, s), ref,
			     ref_name, "ns/op", false);
		snprintf(what, sizeof(what), "SK unprotect 1 KiB (+memcpy), %s",
			 c->name);
		bench_report(what, bench_ns_per_op(sk_unprotect_once, c, s),
			     ref, ref_name, "ns/op", false);
		snprintf(what, sizeof(what),
			 "SK protect 1 KiB, two SAs in turn, %s", c->name);
		bench_report(what,
			     bench_ns_per_op(sk_protect_alternating, c, s),
			     bench_ns_per_op(sk_protect_once, c, s),
			     "one SA (its key set up already)", "ns/op", false);
		skp_free(c->tx);
		skp_free(c->rx);
		skp_free(c->tx2);
	}
}
