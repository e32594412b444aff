/* libFuzzer target: what daemon/crypto takes from a peer (issue 4, "Done
 * when": random peer values, ciphertexts and signatures).
 *
 * The first byte picks the decoder and its parameters; the rest is the
 * peer's data:
 *   0: an SK or SKF message for skp_unprotect, under fixed keys of every
 *      suite (never accepted: the fuzzer cannot forge an ICV),
 *   1: a KE payload's data for ke_check_peer and ke_derive, every group,
 *   2: AUTH data for auth_sig_check with Ed25519 and P-256 keys,
 *   3: SIGNATURE_HASH_ALGORITHMS data and a CERT payload's DER.
 * Results must be success or a named error for that input; ASan/UBSan
 * catch any read outside it, LeakSanitizer any leak. */
#include "crypto/auth.h"
#include "crypto/ke.h"
#include "crypto/keymat.h"
#include "crypto/skp.h"
#include "ike_iana.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned suites[][3] = {
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256 },
	{ ENCR_AES_GCM_16, 128, AUTH_NONE },
	{ ENCR_CHACHA20_POLY1305, 0, AUTH_NONE },
};
static const unsigned groups[] = { KE_MODP_2048, KE_ECP_256,	KE_ECP_384,
				   KE_ECP_521,	 KE_CURVE25519, KE_CURVE448 };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct skp *rx[N(suites)];
static struct ke *kes[N(groups)];
static struct auth_key *pubs[2];

/* A public key of a fresh key pair, through a PEM file as configured. */
static struct auth_key *fresh_public(const char *algo, const char *curve)
{
	char path[] = "/tmp/kb-fuzz-crypto.XXXXXX";
	EVP_PKEY *pk = curve ? EVP_PKEY_Q_keygen(NULL, NULL, algo, curve)
			     : EVP_PKEY_Q_keygen(NULL, NULL, algo);
	struct auth_key *key = NULL;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!pk || !f || PEM_write_PUBKEY(f, pk) != 1)
		abort();
	fclose(f);
	if (auth_key_load_public(path, &key))
		abort();
	unlink(path);
	EVP_PKEY_free(pk);
	return key;
}

static void init(void)
{
	uint8_t gir[32] = { 1 }, n[32] = { 2 }, spi[8] = { 3 };

	for (size_t i = 0; i < N(suites); i++) {
		struct keymat_suite s;
		struct keymat_ike km;

		if (keymat_suite_init(&s, suites[i][0], suites[i][1],
				      PRF_HMAC_SHA2_256, suites[i][2]) ||
		    keymat_ike_derive(&km, &s, gir, 32, n, 32, n, 32, spi,
				      spi) ||
		    skp_new(&km, false, &rx[i]))
			abort();
		keymat_ike_wipe(&km);
	}
	for (size_t i = 0; i < N(groups); i++) {
		if (ke_new(groups[i], &kes[i]))
			abort();
	}
	pubs[0] = fresh_public("ED25519", NULL);
	pubs[1] = fresh_public("EC", "P-256");
}

static void fuzz_sk(unsigned sel, const uint8_t *data, size_t size)
{
	unsigned type = sel & 1 ? PL_SKF : PL_SK;
	size_t hdr = IKE_HDR_LEN + skp_header_len(type), off = 0, len = 0;
	uint8_t *msg = malloc(size ? size : 1);
	int rc;

	memcpy(msg, data, size);
	rc = skp_unprotect(rx[(sel >> 1) % N(suites)], msg, size, hdr, type,
			   &off, &len);
	if (rc != CRYPTO_E_SK_SYNTAX && rc != CRYPTO_E_SK_ICV)
		abort();
	free(msg);
}

static void fuzz_ke(unsigned sel, const uint8_t *data, size_t size)
{
	unsigned g = sel % N(groups);
	struct ke_secret s;
	int c = ke_check_peer(groups[g], data, size);
	int d = ke_derive(kes[g], data, size, &s);

	/* both agree, except that only deriving sees an all-zero result */
	if (c != d && !(c == 0 && d == CRYPTO_E_KE_ZERO))
		abort();
	if (d == 0 && s.len != ke_xform(kes[g])->secret_len)
		abort();
	ke_secret_wipe(&s);
}

static void fuzz_auth(unsigned sel, const uint8_t *data, size_t size)
{
	struct auth_octets o = { .msg = (const uint8_t *)"m",
				 .msg_len = 1,
				 .nonce = (const uint8_t *)"n",
				 .nonce_len = 1 };
	int rc = auth_sig_check(pubs[sel & 1], &o, data, size,
				auth_hash_supported(), NULL);

	if (rc != CRYPTO_E_AUTH_ALG && rc != CRYPTO_E_AUTH_FAILED)
		abort();
}

static void fuzz_misc(const uint8_t *data, size_t size)
{
	struct auth_cert *cert = NULL;
	uint32_t mask;
	int rc = auth_hash_notify_parse(data, size, &mask);

	if (rc != 0 && rc != CRYPTO_E_ARG)
		abort();
	if (auth_cert_from_der(data, size, &cert) == 0)
		auth_cert_free(cert);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	unsigned sel;

	if (!ready++)
		init();
	if (size < 1)
		return 0;
	sel = data[0];
	switch (sel & 3) {
	case 0: fuzz_sk(sel >> 2, data + 1, size - 1); break;
	case 1: fuzz_ke(sel >> 2, data + 1, size - 1); break;
	case 2: fuzz_auth(sel >> 2, data + 1, size - 1); break;
	default: fuzz_misc(data + 1, size - 1); break;
	}
	return 0;
}
