/* Peer certificates for RFC 7427 authentication: issued by the configured
 * trust anchor, valid now (when the host gives the time), and naming the
 * identity the peer claims (RFC 7296 §3.5, RFC 4945 §3). One level only:
 * intermediate CAs, CRLs and OCSP are a later issue. Kept apart from the
 * files that include crypto/skp.h (OpenSSL's safestack defines sk_new). */
#include "engine/ike_sa.h"

#include "crypto/auth.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

static X509 *cert_x509(const struct auth_cert *c)
{
	const uint8_t *der;
	size_t len;

	if (auth_cert_der(c, &der, &len))
		return NULL;
	return d2i_X509(NULL, &der, (long)len);
}

int cert_req_hash(const struct auth_cert *anchor, uint8_t out[20])
{
	X509 *x = cert_x509(anchor);
	uint8_t *spki = NULL;
	unsigned int len = 0;
	int n, err = -ENG_ERR_CRYPTO;

	/* RFC 7296 §3.7: SHA-1 of the CA's SubjectPublicKeyInfo. */
	if (x && (n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki)) > 0 &&
	    EVP_Digest(spki, (size_t)n, out, &len, EVP_sha1(), NULL) &&
	    len == 20)
		err = 0;
	OPENSSL_free(spki);
	X509_free(x);
	return err;
}

/* Does the certificate name the identity of the ID payload? */
static bool cert_names_id(X509 *x, const struct ike_pl_id *id)
{
	const char *d = (const char *)id->data.ptr;
	uint8_t *dn = NULL;
	int n;
	bool ok;

	switch (id->type) {
	case ID_DER_ASN1_DN:
		n = i2d_X509_NAME(X509_get_subject_name(x), &dn);
		ok = n > 0 && (size_t)n == id->data.len &&
		     !memcmp(dn, id->data.ptr, (size_t)n);
		OPENSSL_free(dn);
		return ok;
	case ID_FQDN: return X509_check_host(x, d, id->data.len, 0, NULL) == 1;
	case ID_RFC822_ADDR:
		return X509_check_email(x, d, id->data.len, 0) == 1;
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		return X509_check_ip(x, id->data.ptr, id->data.len, 0) == 1;
	default: return false;
	}
}

static int cert_chain_ok(struct ike_sa *sa, X509 *leaf, X509 *ca)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	struct engine *e = sa->e;
	int err = -ENG_ERR_AUTH;

	if (!store || !ctx || !X509_STORE_add_cert(store, ca) ||
	    !X509_STORE_CTX_init(ctx, store, leaf, NULL))
		goto out;
	if (e->realtime) {
		X509_STORE_CTX_set_time(ctx, 0,
					(time_t)e->realtime(e->env.ctx));
	} else {
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
		engine_log(e, sa, 6,
			   "no wall clock: certificate validity "
			   "periods not checked");
	}
	if (X509_verify_cert(ctx) == 1)
		err = 0;
	else
		engine_log(e, sa, 4, "peer certificate not trusted: %s",
			   X509_verify_cert_error_string(
				   X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return err;
}

int cert_check_peer(struct ike_sa *sa, const uint8_t *der, size_t len,
		    const struct auth_cert *anchor, const struct ike_pl_id *id,
		    struct auth_key **key)
{
	const uint8_t *p = der;
	X509 *leaf = d2i_X509(NULL, &p, (long)len);
	X509 *ca = cert_x509(anchor);
	struct auth_cert *c = NULL;
	int err = -ENG_ERR_AUTH;

	*key = NULL;
	if (!leaf || p != der + len || !ca) {
		engine_log(sa->e, sa, 4, "peer certificate unreadable");
		goto out;
	}
	if ((err = cert_chain_ok(sa, leaf, ca)))
		goto out;
	if (!cert_names_id(leaf, id)) {
		engine_log(sa->e, sa, 4,
			   "peer certificate does not name its "
			   "%s identity",
			   ike_id_type_name(id->type) ?: "?");
		err = -ENG_ERR_ID;
		goto out;
	}
	if (auth_cert_from_der(der, len, &c) || auth_cert_key(c, key))
		err = -ENG_ERR_CRYPTO;
out:
	auth_cert_free(c);
	X509_free(leaf);
	X509_free(ca);
	return err;
}
