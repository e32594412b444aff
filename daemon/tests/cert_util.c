/* See cert_util.h. */
#include "tests/cert_util.h"

#include "crypto/auth.h"
#include "tests/test.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void tc_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext;

	if (!value)
		return;
	ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
	REQUIRE(ext);
	REQUIRE(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

static X509_NAME *tc_name(const struct tc_opts *o)
{
	X509_NAME *n;

	if (o->dn) {
		n = X509_NAME_new();
		/* "/K=V/K=V" */
		char buf[512], *save = NULL, *tok;

		REQUIRE(n && strlen(o->dn) < sizeof(buf));
		strcpy(buf, o->dn);
		for (tok = strtok_r(buf, "/", &save); tok;
		     tok = strtok_r(NULL, "/", &save)) {
			char *eq = strchr(tok, '=');

			REQUIRE(eq);
			*eq = '\0';
			REQUIRE(X509_NAME_add_entry_by_txt(
				n, tok, MBSTRING_UTF8,
				(const unsigned char *)eq + 1, -1, -1, 0));
		}
		return n;
	}
	n = X509_NAME_new();
	REQUIRE(n);
	REQUIRE(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					   (const unsigned char *)o->cn, -1, -1,
					   0));
	return n;
}

void tc_make(struct tc *c, const struct tc_opts *o, const struct tc *issuer)
{
	long from = o->from || o->to ? o->from : -1;
	long to = o->from || o->to ? o->to : 30;
	X509_NAME *n = tc_name(o);
	X509V3_CTX v3;

	memset(c, 0, sizeof(*c));
	if (o->key && strcmp(o->key, "RSA") == 0)
		c->pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		c->pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	REQUIRE(c->pk && (c->x = X509_new()));
	X509_set_version(c->x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x),
			 o->serial ? o->serial : 1);
	X509_gmtime_adj(X509_getm_notBefore(c->x), from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(c->x), to * 86400);
	X509_set_subject_name(c->x, n);
	X509_set_issuer_name(c->x,
			     issuer ? X509_get_subject_name(issuer->x) : n);
	X509_set_pubkey(c->x, c->pk);
	X509V3_set_ctx(&v3, issuer ? issuer->x : c->x, c->x, NULL, NULL, 0);
	tc_ext(c->x, &v3, NID_basic_constraints,
	       o->ca ? "critical,CA:TRUE" : "CA:FALSE");
	tc_ext(c->x, &v3, NID_key_usage,
	       o->ca ? "critical,keyCertSign,cRLSign" : o->ku);
	tc_ext(c->x, &v3, NID_ext_key_usage, o->eku);
	tc_ext(c->x, &v3, NID_subject_alt_name, o->san);
	tc_ext(c->x, &v3, NID_subject_key_identifier, "hash");
	if (issuer)
		tc_ext(c->x, &v3, NID_authority_key_identifier, "keyid");
	REQUIRE(X509_sign(c->x, issuer ? issuer->pk : c->pk, EVP_sha256()));
	X509_NAME_free(n);
}

struct auth_cert *tc_cert(const struct tc *c)
{
	struct auth_cert *out = NULL;
	uint8_t *der = NULL;
	int n = i2d_X509(c->x, &der);

	REQUIRE(n > 0);
	REQUIRE_EQ(auth_cert_from_der(der, (size_t)n, &out), 0);
	OPENSSL_free(der);
	return out;
}

struct auth_key *tc_key(const struct tc *c)
{
	char path[] = "/tmp/kb-tc-key-XXXXXX";
	struct auth_key *k = NULL;
	int fd = mkstemp(path);

	REQUIRE(fd >= 0);
	close(fd);
	tc_write_key(c, path);
	REQUIRE_EQ(auth_key_load_private(path, &k), 0);
	unlink(path);
	return k;
}

void tc_write_cert(const struct tc *c, const char *path, bool der)
{
	FILE *f = fopen(path, "wb");

	REQUIRE(f);
	REQUIRE(der ? i2d_X509_fp(f, c->x) : PEM_write_X509(f, c->x));
	fclose(f);
}

void tc_write_key(const struct tc *c, const char *path)
{
	FILE *f = fopen(path, "wb");

	REQUIRE(f);
	REQUIRE(PEM_write_PrivateKey(f, c->pk, NULL, NULL, 0, NULL, NULL));
	fclose(f);
}

void tc_write_crl(const struct tc *ca, const long *serials, size_t n,
		  long next_days, const char *path)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	FILE *f;

	REQUIRE(crl && t);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->x));
	X509_gmtime_adj(t, next_days < 0 ? (next_days - 1) * 86400 : -3600);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, next_days * 86400);
	X509_CRL_set1_nextUpdate(crl, t);
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		REQUIRE(r && s);
		ASN1_INTEGER_set(s, serials[i]);
		X509_REVOKED_set_serialNumber(r, s);
		X509_gmtime_adj(t, -3600);
		X509_REVOKED_set_revocationDate(r, t);
		REQUIRE(X509_CRL_add0_revoked(crl, r));
		ASN1_INTEGER_free(s);
	}
	X509_CRL_sort(crl);
	REQUIRE(X509_CRL_sign(crl, ca->pk, EVP_sha256()));
	f = fopen(path, "wb");
	REQUIRE(f);
	REQUIRE(PEM_write_X509_CRL(f, crl));
	fclose(f);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
}

void tc_free(struct tc *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->pk);
	memset(c, 0, sizeof(*c));
}
