/* AUTH payload computation (RFC 7296 §2.15, RFC 7427, RFC 8420) and key
 * loading over OpenSSL. */
#include "crypto/auth.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct auth_key {
	EVP_PKEY *pkey;
};

struct auth_cert {
	X509 *x509;
	uint8_t *der;
	size_t der_len;
};

enum sig_kind { SIG_RSA_PSS, SIG_RSA_PKCS1, SIG_ECDSA, SIG_ED25519 };

struct sig_scheme {
	enum sig_kind kind;
	const char *md; /* OpenSSL digest, NULL for PureEdDSA */
	const uint8_t *algid;
	size_t algid_len;
	const uint8_t *alt; /* also accepted: hash parameters absent */
	size_t alt_len;
};

/* DER AlgorithmIdentifiers (RFC 7427 Appendix A, RFC 4055 §3.1 for the
 * RSASSA-PSS parameters: hash, MGF1 with the same hash, salt = hash
 * length; RFC 8420 §2 for Ed25519). */
#define OID_RSA_PKCS1 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01
#define OID_SHA2(n)                                                            \
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n
#define PSS(n, salt)                                                           \
	0x30, 0x41, OID_RSA_PKCS1, 0x0a, 0x30, 0x34, /* rsassa-pss, params */  \
		0xa0, 0x0f, 0x30, 0x0d, OID_SHA2(n), 0x05, 0x00, /* hash */    \
		0xa1, 0x1c, 0x30, 0x1a, OID_RSA_PKCS1, 0x08,	 /* mgf1 */    \
		0x30, 0x0d, OID_SHA2(n), 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01,   \
		salt /* saltLength */
#define PSS_NO_NULL(n, salt)                                                   \
	0x30, 0x3d, OID_RSA_PKCS1, 0x0a, 0x30, 0x30, 0xa0, 0x0d, 0x30, 0x0b,   \
		OID_SHA2(n), 0xa1, 0x1a, 0x30, 0x18, OID_RSA_PKCS1, 0x08,      \
		0x30, 0x0b, OID_SHA2(n), 0xa2, 0x03, 0x02, 0x01, salt
#define PKCS1(n) 0x30, 0x0d, OID_RSA_PKCS1, n, 0x05, 0x00
#define ECDSA(n)                                                               \
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, n

static const uint8_t pss256[] = { PSS(1, 0x20) }, pss384[] = { PSS(2, 0x30) },
		     pss512[] = { PSS(3, 0x40) };
static const uint8_t pss256a[] = { PSS_NO_NULL(1, 0x20) },
		     pss384a[] = { PSS_NO_NULL(2, 0x30) },
		     pss512a[] = { PSS_NO_NULL(3, 0x40) };
static const uint8_t pkcs256[] = { PKCS1(0x0b) }, pkcs384[] = { PKCS1(0x0c) },
		     pkcs512[] = { PKCS1(0x0d) };
static const uint8_t ecdsa256[] = { ECDSA(2) }, ecdsa384[] = { ECDSA(3) },
		     ecdsa512[] = { ECDSA(4) };
static const uint8_t ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };

#define ROW(kind, md, id)                                                      \
	{                                                                      \
		kind, md, id, sizeof(id), NULL, 0                              \
	}
#define ROW2(kind, md, id, alt)                                                \
	{                                                                      \
		kind, md, id, sizeof(id), alt, sizeof(alt)                     \
	}
static const struct sig_scheme schemes[AUTH_SIG_COUNT] = {
	[AUTH_SIG_RSA_PSS_SHA256] =
		ROW2(SIG_RSA_PSS, "SHA2-256", pss256, pss256a),
	[AUTH_SIG_RSA_PSS_SHA384] =
		ROW2(SIG_RSA_PSS, "SHA2-384", pss384, pss384a),
	[AUTH_SIG_RSA_PSS_SHA512] =
		ROW2(SIG_RSA_PSS, "SHA2-512", pss512, pss512a),
	[AUTH_SIG_RSA_PKCS1_SHA256] = ROW(SIG_RSA_PKCS1, "SHA2-256", pkcs256),
	[AUTH_SIG_RSA_PKCS1_SHA384] = ROW(SIG_RSA_PKCS1, "SHA2-384", pkcs384),
	[AUTH_SIG_RSA_PKCS1_SHA512] = ROW(SIG_RSA_PKCS1, "SHA2-512", pkcs512),
	[AUTH_SIG_ECDSA_SHA256] = ROW(SIG_ECDSA, "SHA2-256", ecdsa256),
	[AUTH_SIG_ECDSA_SHA384] = ROW(SIG_ECDSA, "SHA2-384", ecdsa384),
	[AUTH_SIG_ECDSA_SHA512] = ROW(SIG_ECDSA, "SHA2-512", ecdsa512),
	[AUTH_SIG_ED25519] = ROW(SIG_ED25519, NULL, ed25519),
};

#define AUTH_SIG_HASH(sym, name, hash) [sym] = hash,
static const unsigned scheme_hash[] = { AUTH_SIG_SCHEMES(AUTH_SIG_HASH) };
#define AUTH_SIG_NAME(sym, name, hash) [sym] = name,
static const char *const scheme_name[] = { AUTH_SIG_SCHEMES(AUTH_SIG_NAME) };

/* ---- keys and certificates ---- */

enum { KB_PASS_MAX = 256 }; /* PKCS#12 passwords, as KB_CONF_SECRET_MAX */

/* Refuses to prompt for a passphrase: the daemon has no terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int key_wrap(EVP_PKEY *pkey, struct auth_key **out)
{
	struct auth_key *k;

	if (!pkey)
		return CRYPTO_E_KEY_LOAD;
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return CRYPTO_E_INTERNAL;
	}
	k->pkey = pkey;
	*out = k;
	return 0;
}

int auth_key_load_private(const char *path, struct auth_key **out)
{
	BIO *b = path ? BIO_new_file(path, "r") : NULL;
	EVP_PKEY *pkey = NULL;

	if (b)
		pkey = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	return key_wrap(pkey, out);
}

static int cert_wrap(X509 *x, struct auth_cert **out);

/* Decodes a key of `selection` from any format OpenSSL knows (PEM, DER,
 * PKCS#8, traditional, SPKI, PKCS#1), with a passphrase callback. */
static EVP_PKEY *key_decode(BIO *b, int selection, pem_password_cb *cb,
			    void *arg)
{
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(
		&pkey, NULL, NULL, NULL, selection, NULL, NULL);

	if (d && cb)
		OSSL_DECODER_CTX_set_pem_password_cb(d, cb, arg);
	if (!d || !OSSL_DECODER_from_bio(d, b)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(d);
	ERR_clear_error();
	return pkey;
}

static X509 *cert_decode(BIO *b)
{
	X509 *x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);

	if (!x && BIO_reset(b) == 0)
		x = d2i_X509_bio(b, NULL);
	ERR_clear_error();
	return x;
}

int auth_key_load_public(const char *path, struct auth_key **out)
{
	BIO *b = path ? BIO_new_file(path, "rb") : NULL;
	EVP_PKEY *pkey = NULL;
	X509 *x;

	if (b)
		pkey = key_decode(b, EVP_PKEY_PUBLIC_KEY, no_passphrase, NULL);
	if (b && !pkey && BIO_reset(b) == 0 && (x = cert_decode(b))) {
		pkey = X509_get_pubkey(x);
		X509_free(x);
	}
	BIO_free(b);
	return key_wrap(pkey, out);
}

struct pass_state {
	const uint8_t *pass;
	size_t len;
	bool asked;
};

static int pass_give(char *buf, int size, int rwflag, void *u)
{
	struct pass_state *st = u;

	(void)rwflag;
	st->asked = true;
	if (!st->pass || st->len > (size_t)size)
		return -1;
	memcpy(buf, st->pass, st->len);
	return (int)st->len;
}

int auth_key_load_private_pass(const char *path, const uint8_t *pass,
			       size_t pass_len, struct auth_key **out)
{
	struct pass_state st = { pass, pass_len, false };
	BIO *b = path ? BIO_new_file(path, "rb") : NULL;
	EVP_PKEY *pkey = NULL;

	if (b)
		pkey = key_decode(b, EVP_PKEY_KEYPAIR, pass_give, &st);
	BIO_free(b);
	if (!pkey && st.asked)
		return CRYPTO_E_KEY_PASSPHRASE;
	return key_wrap(pkey, out);
}

int auth_pkcs12_load(const char *path, const uint8_t *pass, size_t pass_len,
		     struct auth_key **key, struct auth_cert **cert)
{
	BIO *b = path ? BIO_new_file(path, "rb") : NULL;
	PKCS12 *p12 = b ? d2i_PKCS12_bio(b, NULL) : NULL;
	char pw[KB_PASS_MAX + 1];
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	int r = CRYPTO_E_KEY_LOAD;

	BIO_free(b);
	*key = NULL;
	*cert = NULL;
	if (!p12 || pass_len > KB_PASS_MAX)
		goto out;
	if (pass)
		memcpy(pw, pass, pass_len);
	pw[pass ? pass_len : 0] = '\0';
	/* PKCS#12 allows an empty and an absent password alike */
	if (!PKCS12_verify_mac(p12, pw, -1) &&
	    !(!pass && PKCS12_verify_mac(p12, NULL, 0))) {
		r = CRYPTO_E_KEY_PASSPHRASE;
		goto out;
	}
	if (!PKCS12_parse(p12, pw, &pkey, &x, NULL) || !pkey || !x)
		goto out;
	if ((r = key_wrap(pkey, key)) == 0 && (r = cert_wrap(x, cert)) != 0) {
		auth_key_free(*key);
		*key = NULL;
	}
	pkey = NULL;
	x = NULL;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	EVP_PKEY_free(pkey);
	X509_free(x);
	PKCS12_free(p12);
	ERR_clear_error();
	return r;
}

bool auth_key_public_eq(const struct auth_key *a, const struct auth_key *b)
{
	return a && b && EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

void auth_key_free(struct auth_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

static int cert_wrap(X509 *x, struct auth_cert **out)
{
	struct auth_cert *c;
	unsigned char *der = NULL;
	int len;

	if (!x)
		return CRYPTO_E_KEY_LOAD;
	len = i2d_X509(x, &der);
	c = len > 0 ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		OPENSSL_free(der);
		X509_free(x);
		return CRYPTO_E_KEY_LOAD;
	}
	c->x509 = x;
	c->der = der;
	c->der_len = (size_t)len;
	*out = c;
	return 0;
}

int auth_cert_load(const char *path, struct auth_cert **out)
{
	BIO *b = path ? BIO_new_file(path, "rb") : NULL;
	X509 *x = b ? cert_decode(b) : NULL;

	BIO_free(b);
	return cert_wrap(x, out);
}

int auth_cert_from_der(const uint8_t *der, size_t len, struct auth_cert **out)
{
	const unsigned char *p = der;
	X509 *x;

	if (!der || !len || len > INT32_MAX)
		return CRYPTO_E_KEY_LOAD;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) { /* trailing bytes: not one certificate */
		X509_free(x);
		x = NULL;
	}
	return cert_wrap(x, out);
}

int auth_cert_der(const struct auth_cert *cert, const uint8_t **der,
		  size_t *len)
{
	*der = cert->der;
	*len = cert->der_len;
	return 0;
}

int auth_cert_key(const struct auth_cert *cert, struct auth_key **out)
{
	return key_wrap(X509_get_pubkey(cert->x509), out);
}

/* ASCII case-insensitive equality of two byte strings. */
static bool ascii_caseeq(const uint8_t *a, size_t alen, const uint8_t *b,
			 size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* RFC822: the local part exactly, the domain ignoring case. */
static bool email_eq(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen)
{
	const uint8_t *at = memchr(a, '@', alen);
	size_t local;

	if (alen != blen || !at)
		return false;
	local = (size_t)(at - a);
	return !memcmp(a, b, local + 1) &&
	       ascii_caseeq(at, alen - local, b + local, blen - local);
}

static bool san_matches(X509 *x, int gen_type, const uint8_t *data, size_t len)
{
	GENERAL_NAMES *gens =
		X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	bool ok = false;

	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !ok; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *v;

		if (g->type != gen_type)
			continue;
		v = g->d.ia5; /* dNSName, rfc822Name, iPAddress: a string */
		if (!v || v->length < 0)
			continue;
		switch (gen_type) {
		case GEN_DNS:
			ok = ascii_caseeq(v->data, (size_t)v->length, data,
					  len);
			break;
		case GEN_EMAIL:
			ok = email_eq(v->data, (size_t)v->length, data, len);
			break;
		case GEN_IPADD:
			ok = (size_t)v->length == len &&
			     !memcmp(v->data, data, len);
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

static bool subject_is_dn(X509 *x, const uint8_t *data, size_t len)
{
	const unsigned char *p = data;
	X509_NAME *n;
	bool ok;

	if (!len || len > INT32_MAX)
		return false;
	n = d2i_X509_NAME(NULL, &p, (long)len);
	/* X509_NAME_cmp compares the canonical encodings (RFC 5280 §7.1) */
	ok = n && p == data + len &&
	     X509_NAME_cmp(n, X509_get_subject_name(x)) == 0;
	X509_NAME_free(n);
	return ok;
}

/* A DER distinguished name as "C=CH, O=Example, CN=moon". */
static void dn_str(const uint8_t *der, size_t len, char *out, size_t cap)
{
	const unsigned char *p = der;
	X509_NAME *name =
		len <= INT32_MAX ? d2i_X509_NAME(NULL, &p, (long)len) : NULL;
	BIO *bio = name ? BIO_new(BIO_s_mem()) : NULL;
	int n = 0;

	snprintf(out, cap, "(unparsable DN)");
	if (bio && cap > 1 &&
	    X509_NAME_print_ex(bio, name, 0,
			       XN_FLAG_SEP_CPLUS_SPC | ASN1_STRFLGS_RFC2253) >=
		    0)
		n = BIO_read(bio, out,
			     (int)(cap - 1 < INT32_MAX ? cap - 1 : INT32_MAX));
	if (n > 0)
		out[n] = 0;
	BIO_free(bio);
	X509_NAME_free(name);
}

const char *auth_id_str(uint8_t type, const uint8_t *data, size_t len,
			char *out, size_t cap)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	switch (type) {
	case 0: snprintf(out, cap, "%%any"); break;
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		if (len != (type == ID_IPV4_ADDR ? 4u : 16u) ||
		    !inet_ntop(type == ID_IPV4_ADDR ? AF_INET : AF_INET6, data,
			       out, (socklen_t)cap))
			snprintf(out, cap, "(bad address)");
		break;
	case ID_DER_ASN1_DN: dn_str(data, len, out, cap); break;
	case ID_FQDN:
	case ID_RFC822_ADDR:
		for (size_t i = 0; i < n; i++)
			out[i] = data[i] >= 0x20 && data[i] < 0x7f
					 ? (char)data[i]
					 : '?';
		out[n] = 0;
		break;
	default:
		snprintf(out, cap, "@#");
		for (size_t i = 0; i < len && 2 + 2 * i + 2 < cap; i++)
			snprintf(out + 2 + 2 * i, 3, "%02x", data[i]);
	}
	return out;
}

bool auth_cert_names_id(const struct auth_cert *cert, uint8_t type,
			const uint8_t *data, size_t len)
{
	X509 *x = cert->x509;
	bool ok = false;

	switch (type) {
	case ID_DER_ASN1_DN: ok = subject_is_dn(x, data, len); break;
	case ID_FQDN: ok = len && san_matches(x, GEN_DNS, data, len); break;
	case ID_RFC822_ADDR:
		ok = len && san_matches(x, GEN_EMAIL, data, len);
		break;
	case ID_IPV4_ADDR:
		ok = len == 4 && san_matches(x, GEN_IPADD, data, len);
		break;
	case ID_IPV6_ADDR:
		ok = len == 16 && san_matches(x, GEN_IPADD, data, len);
		break;
	}
	ERR_clear_error();
	return ok;
}

int auth_cert_spki_sha1(const struct auth_cert *cert, uint8_t out[20])
{
	uint8_t *spki = NULL;
	unsigned int len = 0;
	int n, r = CRYPTO_E_INTERNAL;

	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->x509), &spki);
	if (n > 0 && EVP_Digest(spki, (size_t)n, out, &len, EVP_sha1(), NULL) &&
	    len == 20)
		r = 0;
	OPENSSL_free(spki);
	ERR_clear_error();
	return r;
}

bool auth_cert_issued_by(const struct auth_cert *cert,
			 const struct auth_cert *ca)
{
	bool ok = X509_check_issued(ca->x509, cert->x509) == X509_V_OK;

	ERR_clear_error();
	return ok;
}

bool auth_cert_is_ca(const struct auth_cert *cert)
{
	return X509_check_ca(cert->x509) > 0;
}

void auth_cert_free(struct auth_cert *cert)
{
	if (!cert)
		return;
	X509_free(cert->x509);
	OPENSSL_free(cert->der);
	free(cert);
}

/* ---- chains, CRLs and the purpose of a peer's certificate ---- */

struct auth_crl {
	X509_CRL *crl;
};

int auth_crl_load(const char *path, struct auth_crl **out)
{
	BIO *b = path ? BIO_new_file(path, "rb") : NULL;
	X509_CRL *crl = NULL;

	*out = NULL;
	if (b) {
		crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		if (!crl && BIO_reset(b) == 0)
			crl = d2i_X509_CRL_bio(b, NULL);
	}
	BIO_free(b);
	ERR_clear_error();
	if (crl && !(*out = calloc(1, sizeof(**out)))) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	if (!crl)
		return CRYPTO_E_KEY_LOAD;
	(*out)->crl = crl;
	return 0;
}

void auth_crl_free(struct auth_crl *crl)
{
	if (!crl)
		return;
	X509_CRL_free(crl->crl);
	free(crl);
}

struct auth_trust {
	STACK_OF(X509) * anchors, *untrusted;
	STACK_OF(X509_CRL) * crls;
	uint8_t (*hashes)[20]; /* per anchor, SPKI SHA-1 */
};

int auth_trust_new(struct auth_trust **out)
{
	struct auth_trust *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return CRYPTO_E_INTERNAL;
	t->anchors = sk_X509_new_null();
	t->untrusted = sk_X509_new_null();
	t->crls = sk_X509_CRL_new_null();
	if (!t->anchors || !t->untrusted || !t->crls) {
		auth_trust_free(t);
		return CRYPTO_E_INTERNAL;
	}
	*out = t;
	return 0;
}

int auth_trust_add_cert(struct auth_trust *t, const struct auth_cert *cert,
			bool anchor)
{
	STACK_OF(X509) *sk = anchor ? t->anchors : t->untrusted;
	int n = sk_X509_num(t->anchors);
	uint8_t(*h)[20];

	if (!anchor && X509_check_ca(cert->x509) <= 0)
		return CRYPTO_E_ARG;
	if (anchor) {
		h = realloc(t->hashes, (size_t)(n + 1) * sizeof(*h));
		if (!h)
			return CRYPTO_E_INTERNAL;
		t->hashes = h;
		if (auth_cert_spki_sha1(cert, h[n]))
			return CRYPTO_E_INTERNAL;
	}
	if (!X509_up_ref(cert->x509))
		return CRYPTO_E_INTERNAL;
	if (!sk_X509_push(sk, cert->x509)) {
		X509_free(cert->x509);
		return CRYPTO_E_INTERNAL;
	}
	return 0;
}

int auth_trust_add_crl(struct auth_trust *t, const struct auth_crl *crl)
{
	if (!X509_CRL_up_ref(crl->crl))
		return CRYPTO_E_INTERNAL;
	if (!sk_X509_CRL_push(t->crls, crl->crl)) {
		X509_CRL_free(crl->crl);
		return CRYPTO_E_INTERNAL;
	}
	return 0;
}

size_t auth_trust_anchors(const struct auth_trust *t)
{
	return t ? (size_t)sk_X509_num(t->anchors) : 0;
}

const uint8_t *auth_trust_anchor_hash(const struct auth_trust *t, size_t i)
{
	return i < auth_trust_anchors(t) ? t->hashes[i] : NULL;
}

void auth_trust_free(struct auth_trust *t)
{
	if (!t)
		return;
	sk_X509_pop_free(t->anchors, X509_free);
	sk_X509_pop_free(t->untrusted, X509_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t->hashes);
	free(t);
}

/* CRLs are checked when present: a CA without one is no error. A CRL
 * past its nextUpdate still lists what its CA revoked. */
static int trust_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	int e = X509_STORE_CTX_get_error(ctx);

	if (!ok && (e == X509_V_ERR_UNABLE_TO_GET_CRL ||
		    e == X509_V_ERR_CRL_HAS_EXPIRED))
		return 1;
	return ok;
}

/* RFC 4945 §5.1.3.12, and what deployed IKE certificates carry. */
static bool leaf_eku_ok(X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	int crit = 0;
	bool ok = false;

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (!eku)
		return crit == -1; /* absent (-2: present but malformed) */
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku) && !ok; i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		char txt[64];

		switch (OBJ_obj2nid(o)) {
		case NID_ipsec_IKE:
		case NID_anyExtendedKeyUsage:
		case NID_server_auth:
		case NID_client_auth: ok = true; break;
		default:
			/* iKEIntermediate (RFC 4945 §5.1.3.12 mentions it
			 * as IKE's own purpose in deployed PKIs) */
			ok = OBJ_obj2txt(txt, sizeof(txt), o, 1) > 0 &&
			     strcmp(txt, "1.3.6.1.5.5.8.2.2") == 0;
		}
	}
	EXTENDED_KEY_USAGE_free(eku);
	return ok;
}

int auth_trust_verify(const struct auth_trust *t, const struct auth_cert *leaf,
		      const struct auth_cert *const *extra, size_t n_extra,
		      int64_t now, char *why, size_t why_len)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
	uint32_t ku;
	int r = CRYPTO_E_AUTH_FAILED;

	snprintf(why, why_len, "out of memory");
	if (!t || !leaf || !store || !ctx || !untrusted)
		goto out;
	for (int i = 0; i < sk_X509_num(t->anchors); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(t->anchors, i)))
			goto out;
	for (int i = 0; i < sk_X509_CRL_num(t->crls); i++)
		if (!X509_STORE_add_crl(store, sk_X509_CRL_value(t->crls, i)))
			goto out;
	for (size_t i = 0; i < n_extra; i++)
		if (!sk_X509_push(untrusted, extra[i]->x509))
			goto out;
	for (int i = 0; i < sk_X509_num(t->untrusted); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(t->untrusted, i)))
			goto out;
	if (sk_X509_CRL_num(t->crls))
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	if (now < 0)
		flags |= X509_V_FLAG_NO_CHECK_TIME;
	X509_STORE_set_verify_cb(store, trust_verify_cb);
	if (!X509_STORE_CTX_init(ctx, store, leaf->x509, untrusted))
		goto out;
	X509_STORE_CTX_set_flags(ctx, flags);
	if (now >= 0)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		snprintf(why, why_len, "%s",
			 X509_verify_cert_error_string(
				 X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	ku = X509_get_key_usage(leaf->x509);
	if (!(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		snprintf(why, why_len,
			 "its keyUsage allows no digitalSignature");
		goto out;
	}
	if (!leaf_eku_ok(leaf->x509)) {
		snprintf(why, why_len,
			 "its extendedKeyUsage names no IKE purpose (ipsecIKE, "
			 "serverAuth, clientAuth, anyExtendedKeyUsage)");
		goto out;
	}
	r = 0;
	snprintf(why, why_len, "ok");
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted); /* references borrowed */
	ERR_clear_error();
	return r;
}

/* ---- shared key (§2.15) ---- */

int auth_octets_init(struct auth_octets *o, const struct xform_prf *prf,
		     const uint8_t *sk_p, size_t sk_p_len, const uint8_t *msg,
		     size_t msg_len, const uint8_t *nonce, size_t nonce_len,
		     const uint8_t *id, size_t id_len)
{
	struct crypto_span d = { id, id_len };
	int rc;

	if (!o || !prf || !msg || !nonce || !id)
		return CRYPTO_E_ARG;
	memset(o, 0, sizeof(*o));
	/* MACedIDForI = prf(SK_pi, RestOfInitIDPayload) */
	rc = prf_compute(prf, sk_p, sk_p_len, &d, 1, o->maced_id);
	if (rc)
		return rc;
	o->maced_id_len = prf->out_len;
	o->msg = msg;
	o->msg_len = msg_len;
	o->nonce = nonce;
	o->nonce_len = nonce_len;
	return 0;
}

int auth_psk_make(const struct xform_prf *prf, const uint8_t *psk,
		  size_t psk_len, const struct auth_octets *o,
		  uint8_t out[PRF_MAX], size_t *len)
{
	static const char pad[] = "Key Pad for IKEv2"; /* 17 octets, no NUL */
	struct crypto_span kp = { pad, sizeof(pad) - 1 };
	const struct crypto_span octets[] = {
		{ o->msg, o->msg_len },
		{ o->nonce, o->nonce_len },
		{ o->maced_id, o->maced_id_len },
	};
	uint8_t key[PRF_MAX];
	int rc;

	if (!prf || (!psk && psk_len) || !out || !len)
		return CRYPTO_E_ARG;
	/* AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"),
	 *	       <InitiatorSignedOctets>) */
	rc = prf_compute(prf, psk, psk_len, &kp, 1, key);
	if (rc == 0)
		rc = prf_compute(prf, key, prf->out_len, octets, 3, out);
	crypto_wipe(key, sizeof(key));
	if (rc == 0)
		*len = prf->out_len;
	return rc;
}

int auth_psk_check(const struct xform_prf *prf, const uint8_t *psk,
		   size_t psk_len, const struct auth_octets *o,
		   const uint8_t *auth, size_t auth_len)
{
	uint8_t want[PRF_MAX];
	size_t len = 0;
	int rc = auth_psk_make(prf, psk, psk_len, o, want, &len);

	if (rc == 0 &&
	    (auth_len != len || !auth || !crypto_equal(want, auth, len)))
		rc = CRYPTO_E_AUTH_FAILED;
	crypto_wipe(want, sizeof(want));
	return rc;
}

/* ---- RFC 7427 signatures ---- */

const char *auth_sig_scheme_name(enum auth_sig_scheme s)
{
	return (unsigned)s < AUTH_SIG_COUNT ? scheme_name[s] : NULL;
}

const uint8_t *auth_sig_algid(enum auth_sig_scheme s, size_t *len)
{
	if ((unsigned)s >= AUTH_SIG_COUNT)
		return NULL;
	*len = schemes[s].algid_len;
	return schemes[s].algid;
}

uint32_t auth_hash_supported(void)
{
	return 1u << HASH_SHA2_256 | 1u << HASH_SHA2_384 | 1u << HASH_SHA2_512 |
	       1u << HASH_IDENTITY;
}

int auth_hash_notify_build(uint32_t mask, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	for (unsigned h = 1; h < 32; h++) {
		if (!(mask & 1u << h))
			continue;
		if (n + 2 > cap)
			return CRYPTO_E_BUFFER;
		out[n++] = (uint8_t)(h >> 8);
		out[n++] = (uint8_t)h;
	}
	*len = n;
	return 0;
}

int auth_hash_notify_parse(const uint8_t *data, size_t len, uint32_t *mask)
{
	uint32_t m = 0;

	if (len % 2 || (!data && len))
		return CRYPTO_E_ARG;
	for (size_t i = 0; i < len; i += 2) {
		unsigned h = (unsigned)data[i] << 8 | data[i + 1];
		if (h < 32) /* RFC 7427 §4: ignore what we do not know */
			m |= 1u << h;
	}
	*mask = m;
	return 0;
}

enum key_kind { KEY_OTHER, KEY_RSA, KEY_RSA_PSS, KEY_EC, KEY_ED25519 };

static enum key_kind key_kind(const EVP_PKEY *pkey, unsigned *ec_hash)
{
	char group[32] = "";

	if (EVP_PKEY_is_a(pkey, "RSA"))
		return KEY_RSA;
	if (EVP_PKEY_is_a(pkey, "RSA-PSS"))
		return KEY_RSA_PSS;
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return KEY_ED25519;
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return KEY_OTHER;
	EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof(group),
				       NULL);
	*ec_hash = !strcmp(group, "prime256v1")	 ? HASH_SHA2_256
		   : !strcmp(group, "secp384r1") ? HASH_SHA2_384
		   : !strcmp(group, "secp521r1") ? HASH_SHA2_512
						 : 0;
	return *ec_hash ? KEY_EC : KEY_OTHER;
}

static bool scheme_fits(enum key_kind k, enum sig_kind s)
{
	switch (s) {
	case SIG_RSA_PSS: return k == KEY_RSA || k == KEY_RSA_PSS;
	case SIG_RSA_PKCS1: return k == KEY_RSA;
	case SIG_ECDSA: return k == KEY_EC;
	case SIG_ED25519: return k == KEY_ED25519;
	}
	return false;
}

static enum auth_sig_scheme scheme_for(enum sig_kind kind, unsigned hash)
{
	for (unsigned s = 0; s < AUTH_SIG_COUNT; s++) {
		if (schemes[s].kind == kind && scheme_hash[s] == hash)
			return (enum auth_sig_scheme)s;
	}
	return AUTH_SIG_COUNT;
}

/* The signature kind a key of kind `k` makes under family `fam`, or -1
 * if it cannot. */
static int family_kind(enum key_kind k, enum auth_sig_family fam)
{
	switch (fam) {
	case AUTH_SIGF_ANY:
		return k == KEY_EC			  ? SIG_ECDSA
		       : k == KEY_ED25519		  ? SIG_ED25519
		       : k == KEY_RSA || k == KEY_RSA_PSS ? SIG_RSA_PSS
							  : -1;
	case AUTH_SIGF_RSA: return k == KEY_RSA ? SIG_RSA_PKCS1 : -1;
	case AUTH_SIGF_RSA_PSS:
		return k == KEY_RSA || k == KEY_RSA_PSS ? SIG_RSA_PSS : -1;
	case AUTH_SIGF_ECDSA: return k == KEY_EC ? SIG_ECDSA : -1;
	case AUTH_SIGF_ED25519: return k == KEY_ED25519 ? SIG_ED25519 : -1;
	}
	return -1;
}

int auth_sig_choose(const struct auth_key *key, uint32_t peer_mask,
		    bool rsa_pss, enum auth_sig_scheme *out)
{
	unsigned ec_hash = 0;

	/* an RSA-PSS key signs PSS only; a plain RSA key as asked */
	if (!rsa_pss && key_kind(key->pkey, &ec_hash) == KEY_RSA)
		return auth_sig_choose_rule(key, peer_mask, AUTH_SIGF_RSA, 0,
					    out);
	return auth_sig_choose_rule(key, peer_mask, AUTH_SIGF_ANY, 0, out);
}

int auth_sig_choose_rule(const struct auth_key *key, uint32_t peer_mask,
			 enum auth_sig_family fam, uint32_t hashes,
			 enum auth_sig_scheme *out)
{
	unsigned ec_hash = HASH_SHA2_256, order[3];
	enum key_kind k = key_kind(key->pkey, &ec_hash);
	int kind = family_kind(k, fam);
	uint32_t common;

	if (peer_mask == 0)
		peer_mask = 1u << HASH_SHA2_256;
	common = peer_mask & auth_hash_supported();
	if (kind < 0)
		return CRYPTO_E_AUTH_ALG;
	if (kind == SIG_ED25519) { /* RFC 8420 §2: announced as Identity */
		if (!(common & 1u << HASH_IDENTITY) || hashes)
			return CRYPTO_E_AUTH_NO_HASH;
		*out = AUTH_SIG_ED25519;
		return 0;
	}
	if (hashes)
		common &= hashes;
	/* the hash matching the key's strength first, then stronger ones */
	order[0] = ec_hash;
	order[1] = ec_hash == HASH_SHA2_512 ? HASH_SHA2_384 : HASH_SHA2_512;
	order[2] = ec_hash == HASH_SHA2_256 ? HASH_SHA2_384 : HASH_SHA2_256;
	for (int i = 0; i < 3; i++) {
		if (common & 1u << order[i]) {
			*out = scheme_for((enum sig_kind)kind, order[i]);
			return 0;
		}
	}
	return CRYPTO_E_AUTH_NO_HASH;
}

unsigned auth_key_bits(const struct auth_key *key)
{
	int bits = key && key->pkey ? EVP_PKEY_get_bits(key->pkey) : 0;

	return bits > 0 ? (unsigned)bits : 0;
}

bool auth_key_fits(const struct auth_key *key, enum auth_sig_family fam,
		   unsigned min_bits)
{
	unsigned ec_hash = 0;

	return key && family_kind(key_kind(key->pkey, &ec_hash), fam) >= 0 &&
	       auth_key_bits(key) >= min_bits;
}

bool auth_sig_allowed(const struct auth_key *key, enum auth_sig_scheme s,
		      enum auth_sig_family fam, uint32_t hashes,
		      unsigned min_bits)
{
	unsigned ec_hash = 0;
	enum key_kind k;

	if (!key || (unsigned)s >= AUTH_SIG_COUNT)
		return false;
	k = key_kind(key->pkey, &ec_hash);
	/* "rsa" alone names the key, as in strongSwan; with hashes it
	 * names PKCS#1 v1.5 schemes ("rsa/pss" names PSS, with or without) */
	if (fam == AUTH_SIGF_RSA && !hashes && family_kind(k, fam) >= 0)
		fam = AUTH_SIGF_ANY;
	if (fam != AUTH_SIGF_ANY && family_kind(k, fam) != (int)schemes[s].kind)
		return false;
	if (hashes && !(hashes & 1u << scheme_hash[s]))
		return false;
	return auth_key_bits(key) >= min_bits;
}

const char *auth_sig_family_name(enum auth_sig_family fam)
{
	static const char *const names[] = {
		[AUTH_SIGF_ANY] = "pubkey",	 [AUTH_SIGF_RSA] = "rsa",
		[AUTH_SIGF_RSA_PSS] = "rsa/pss", [AUTH_SIGF_ECDSA] = "ecdsa",
		[AUTH_SIGF_ED25519] = "ed25519",
	};

	return (unsigned)fam < sizeof(names) / sizeof(names[0]) ? names[fam]
								: "?";
}

/* Sets up a DigestSign/DigestVerify context for a scheme. */
static int sig_init(EVP_MD_CTX *m, const struct sig_scheme *s, EVP_PKEY *pkey,
		    bool sign)
{
	EVP_PKEY_CTX *pc = NULL;
	int ok = sign ? EVP_DigestSignInit_ex(m, &pc, s->md, NULL, NULL, pkey,
					      NULL)
		      : EVP_DigestVerifyInit_ex(m, &pc, s->md, NULL, NULL, pkey,
						NULL);

	if (ok != 1)
		return CRYPTO_E_AUTH_ALG;
	if (s->kind == SIG_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) <= 0))
		return CRYPTO_E_AUTH_ALG;
	if (s->kind == SIG_RSA_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0)
		return CRYPTO_E_AUTH_ALG;
	return 0;
}

/* The signed octets in one buffer: PureEdDSA cannot stream (RFC 8032). */
static uint8_t *octets_join(const struct auth_octets *o, size_t *len)
{
	size_t n = o->msg_len + o->nonce_len + o->maced_id_len;
	uint8_t *buf = malloc(n ? n : 1);

	if (!buf)
		return NULL;
	if (o->msg_len)
		memcpy(buf, o->msg, o->msg_len);
	if (o->nonce_len)
		memcpy(buf + o->msg_len, o->nonce, o->nonce_len);
	memcpy(buf + o->msg_len + o->nonce_len, o->maced_id, o->maced_id_len);
	*len = n;
	return buf;
}

int auth_sig_make(const struct auth_key *key, enum auth_sig_scheme scheme,
		  const struct auth_octets *o, uint8_t *out, size_t cap,
		  size_t *len)
{
	const struct sig_scheme *s;
	unsigned ec_hash = 0;
	EVP_MD_CTX *m = NULL;
	uint8_t *tbs = NULL;
	size_t tbs_len = 0, sig_len;
	int rc;

	if (!key || !o || !out || !len || (unsigned)scheme >= AUTH_SIG_COUNT)
		return CRYPTO_E_ARG;
	s = &schemes[scheme];
	if (!scheme_fits(key_kind(key->pkey, &ec_hash), s->kind))
		return CRYPTO_E_AUTH_ALG;
	/* RFC 7427 §3: ASN.1 length | AlgorithmIdentifier | signature */
	if (cap < 1 + s->algid_len + (size_t)EVP_PKEY_get_size(key->pkey))
		return CRYPTO_E_BUFFER;
	out[0] = (uint8_t)s->algid_len;
	memcpy(out + 1, s->algid, s->algid_len);
	sig_len = cap - 1 - s->algid_len;
	m = EVP_MD_CTX_new();
	tbs = octets_join(o, &tbs_len);
	rc = m && tbs ? sig_init(m, s, key->pkey, true) : CRYPTO_E_INTERNAL;
	if (rc == 0 && EVP_DigestSign(m, out + 1 + s->algid_len, &sig_len, tbs,
				      tbs_len) != 1)
		rc = CRYPTO_E_INTERNAL;
	if (rc == 0)
		*len = 1 + s->algid_len + sig_len;
	EVP_MD_CTX_free(m);
	free(tbs);
	return rc;
}

/* The scheme whose AlgorithmIdentifier is exactly `id`, or AUTH_SIG_COUNT. */
static enum auth_sig_scheme scheme_by_algid(const uint8_t *id, size_t len)
{
	for (unsigned i = 0; i < AUTH_SIG_COUNT; i++) {
		const struct sig_scheme *s = &schemes[i];
		if ((len == s->algid_len && !memcmp(id, s->algid, len)) ||
		    (s->alt && len == s->alt_len && !memcmp(id, s->alt, len)))
			return (enum auth_sig_scheme)i;
	}
	return AUTH_SIG_COUNT;
}

int auth_sig_check(const struct auth_key *key, const struct auth_octets *o,
		   const uint8_t *auth, size_t auth_len, uint32_t accept_mask,
		   enum auth_sig_scheme *used)
{
	enum auth_sig_scheme sch;
	unsigned ec_hash = 0;
	EVP_MD_CTX *m;
	uint8_t *tbs;
	size_t tbs_len = 0, idl;
	int rc;

	if (!key || !o || !auth)
		return CRYPTO_E_ARG;
	if (auth_len < 2 || (idl = auth[0]) + 2 > auth_len)
		return CRYPTO_E_AUTH_ALG;
	sch = scheme_by_algid(auth + 1, idl);
	if (sch == AUTH_SIG_COUNT || !(accept_mask & 1u << scheme_hash[sch]) ||
	    !scheme_fits(key_kind(key->pkey, &ec_hash), schemes[sch].kind))
		return CRYPTO_E_AUTH_ALG;
	m = EVP_MD_CTX_new();
	tbs = octets_join(o, &tbs_len);
	rc = m && tbs ? sig_init(m, &schemes[sch], key->pkey, false)
		      : CRYPTO_E_INTERNAL;
	if (rc == 0 && EVP_DigestVerify(m, auth + 1 + idl, auth_len - 1 - idl,
					tbs, tbs_len) != 1)
		rc = CRYPTO_E_AUTH_FAILED;
	EVP_MD_CTX_free(m);
	free(tbs);
	if (rc == 0 && used)
		*used = sch;
	return rc;
}
