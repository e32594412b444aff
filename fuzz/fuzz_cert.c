/* libFuzzer target: certificate and identity checking as a peer drives it
 * (robustness issue: "for certificate and ID checking"): the CERT
 * payloads of IKE_AUTH and the ID they must name, through
 * auth_cert_from_der, auth_trust_verify (chains, validity, CRLs, key
 * usage, purpose) and auth_cert_names_id.
 *
 * Input: byte 0 is the ID type, byte 1 the mode, then a 16-bit length and
 * the ID data, then the certificates:
 *   mode & 1 == 0: up to 4 DER certificates, each a 16-bit length and the
 *                  bytes (the first is the end entity);
 *   mode & 1 == 1: a valid chain made at start-up (leaf, intermediate)
 *                  with the rest of the input as patches (16-bit offset,
 *                  XOR byte) to the leaf's DER, so the fuzzer reaches the
 *                  extensions of a certificate OpenSSL can parse.
 * A trust of the root, with a CRL of the intermediate, verifies it. Every
 * result must be success or a named error; ASan/UBSan catch reads outside
 * the input, LeakSanitizer leaks. */
#include "crypto/auth.h"
#include "crypto/crypto.h"
#include "ike_iana.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FC_MAX_CERTS = 4, FC_NOW = 1800000000 /* 2027 */ };

static struct auth_trust *trust;
static uint8_t *leaf_der, *inter_der;
static int leaf_len, inter_len;

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!e || !X509_add_ext(x, e, -1))
		abort();
	X509_EXTENSION_free(e);
}

static X509 *make(EVP_PKEY *pk, const char *cn, X509 *issuer,
		  EVP_PKEY *issuer_pk, bool ca, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (!x || !n)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	/* valid around FC_NOW, whatever the machine's clock says */
	ASN1_TIME_set(X509_getm_notBefore(x), FC_NOW - 86400);
	ASN1_TIME_set(X509_getm_notAfter(x), FC_NOW + 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, pk);
	ext(x, issuer ? issuer : x, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (ca) {
		ext(x, issuer ? issuer : x, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		ext(x, issuer, NID_key_usage, "digitalSignature");
		ext(x, issuer, NID_ext_key_usage,
		    "serverAuth,1.3.6.1.5.5.7.3.17");
		ext(x, issuer, NID_subject_alt_name,
		    "DNS:a.example,email:a@example.org,IP:192.0.2.1");
	}
	if (!X509_sign(x, issuer_pk ? issuer_pk : pk, EVP_sha256()))
		abort();
	X509_NAME_free(n);
	return x;
}

static struct auth_cert *wrap(X509 *x)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	struct auth_cert *c = NULL;

	if (n <= 0 || auth_cert_from_der(der, (size_t)n, &c))
		abort();
	OPENSSL_free(der);
	return c;
}

static void init(void)
{
	EVP_PKEY *rk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ik = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *lk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *root, *inter, *leaf;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	char path[] = "/tmp/kb-fuzz-cert.XXXXXX";
	struct auth_cert *rc;
	struct auth_crl *ac;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!rk || !ik || !lk || !crl || !t || !rv || !sn || !f)
		abort();
	root = make(rk, "Root", NULL, NULL, true, 1);
	inter = make(ik, "Inter", root, rk, true, 2);
	leaf = make(lk, "a", inter, ik, false, 3);
	/* the intermediate revokes serial 4 */
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(inter));
	ASN1_TIME_set(t, FC_NOW - 3600);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_REVOKED_set_revocationDate(rv, t);
	ASN1_TIME_set(t, FC_NOW + 3600);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_INTEGER_set(sn, 4);
	X509_REVOKED_set_serialNumber(rv, sn);
	X509_CRL_add0_revoked(crl, rv);
	if (!X509_CRL_sign(crl, ik, EVP_sha256()) ||
	    !PEM_write_X509_CRL(f, crl))
		abort();
	fclose(f);
	if (auth_crl_load(path, &ac))
		abort();
	unlink(path);
	rc = wrap(root);
	if (auth_trust_new(&trust) || auth_trust_add_cert(trust, rc, true) ||
	    auth_trust_add_crl(trust, ac))
		abort();
	auth_cert_free(rc);
	auth_crl_free(ac);
	leaf_len = i2d_X509(leaf, &leaf_der);
	inter_len = i2d_X509(inter, &inter_der);
	if (leaf_len <= 0 || inter_len <= 0)
		abort();
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_CRL_free(crl);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(sn);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
}

static bool take16(const uint8_t **p, size_t *left, size_t *v)
{
	if (*left < 2)
		return false;
	*v = (size_t)((*p)[0] << 8 | (*p)[1]);
	*p += 2;
	*left -= 2;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct auth_cert *certs[FC_MAX_CERTS] = { 0 };
	const uint8_t *p, *id;
	size_t left, id_len, n = 0, len;
	uint8_t type, mode, h[20];
	char why[200];
	int rc;

	if (!ready) {
		init();
		ready = true;
	}
	if (size < 2)
		return 0;
	type = data[0];
	mode = data[1];
	p = data + 2;
	left = size - 2;
	if (!take16(&p, &left, &id_len) || id_len > left)
		return 0;
	id = p;
	p += id_len;
	left -= id_len;
	if (mode & 1) {
		uint8_t *der = malloc((size_t)leaf_len);
		size_t off;

		if (!der)
			abort();
		memcpy(der, leaf_der, (size_t)leaf_len);
		while (take16(&p, &left, &off) && left) {
			der[off % (size_t)leaf_len] ^= *p++;
			left--;
		}
		if (!auth_cert_from_der(der, (size_t)leaf_len, &certs[0]))
			n = 1;
		free(der);
		if (n && !auth_cert_from_der(inter_der, (size_t)inter_len,
					     &certs[1]))
			n = 2;
	} else {
		while (n < FC_MAX_CERTS && take16(&p, &left, &len) &&
		       len <= left) {
			if (auth_cert_from_der(p, len, &certs[n]) == 0)
				n++;
			p += len;
			left -= len;
		}
	}
	if (n) {
		rc = auth_trust_verify(
			trust, certs[0],
			(const struct auth_cert *const *)certs + 1, n - 1,
			(mode & 2) ? -1 : FC_NOW, why, sizeof(why));
		if (rc != 0 && rc != CRYPTO_E_AUTH_FAILED)
			abort();
		if (!memchr(why, '\0', sizeof(why)))
			abort();
		(void)auth_cert_names_id(certs[0], type, id, id_len);
		(void)auth_cert_is_ca(certs[0]);
		if (auth_cert_spki_sha1(certs[0], h) != 0 &&
		    auth_cert_spki_sha1(certs[0], h) != CRYPTO_E_INTERNAL)
			abort();
	}
	for (size_t i = 0; i < n; i++)
		auth_cert_free(certs[i]);
	return 0;
}
