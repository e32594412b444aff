/* X.509 material made in the test process with OpenSSL: CAs,
 * intermediates and end entities with the extensions a test needs, CRLs,
 * and the files the daemon loads. */
#ifndef KB_TESTS_CERT_UTIL_H
#define KB_TESTS_CERT_UTIL_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

struct auth_cert;
struct auth_key;

struct tc {
	EVP_PKEY *pk;
	X509 *x;
};

/* What one certificate says; NULL strings leave the extension out. */
struct tc_opts {
	const char *cn;	 /* subject CN */
	const char *dn;	 /* or a whole subject, "/C=CH/O=x/CN=y" */
	const char *san; /* "DNS:a.example,IP:192.0.2.1" */
	const char *ku;	 /* "digitalSignature,keyEncipherment" */
	const char *eku; /* "serverAuth,clientAuth" */
	bool ca;       /* basicConstraints CA:TRUE (and keyCertSign, cRLSign) */
	long from, to; /* validity, days from now (0, 0: -1 .. 30) */
	long serial;   /* 0: 1 */
	const char *key; /* "EC" (P-256, default) or "RSA" (2048) */
};

/* Makes a key and a certificate issued by `issuer` (NULL: self-signed). */
void tc_make(struct tc *c, const struct tc_opts *o, const struct tc *issuer);

/* The certificate as the daemon's type (from its DER). */
struct auth_cert *tc_cert(const struct tc *c);

/* The private key as the daemon loads it (through a PEM file). */
struct auth_key *tc_key(const struct tc *c);

/* Writes the certificate (PEM, or DER with `der`) or the private key
 * (PEM PKCS#8). */
void tc_write_cert(const struct tc *c, const char *path, bool der);
void tc_write_key(const struct tc *c, const char *path);

/* Writes a CRL of `ca` (PEM) revoking the serials given (n of them),
 * nextUpdate `next_days` from now (negative: already past). */
void tc_write_crl(const struct tc *ca, const long *serials, size_t n,
		  long next_days, const char *path);

void tc_free(struct tc *c);

#endif
