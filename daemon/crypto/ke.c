/* Key exchange methods over OpenSSL EVP_PKEY (RFC 7296 §1.2, §3.4) with
 * peer value validation (RFC 7296 §5, RFC 6989, RFC 8031 §2). */
#include "crypto/ke.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* X25519 and X448 (RFC 7748): key and u-coordinate lengths. */
#define KE_ECX_MAX 56

struct ke {
	const struct xform_ke *x;
	EVP_PKEY *pkey;
	/* X25519/X448: our public value, kept here since pkey's may be the
	 * placeholder ke_new_ecx() imported it with */
	uint8_t ecx_pub[KE_ECX_MAX];
	/* X25519/X448: ke_new_ecx()'s derive context, set up for our key,
	 * which ke_derive() takes (and frees) instead of a new one */
	EVP_PKEY_CTX *dctx;
};

static const char *ke_algo(const struct xform_ke *x)
{
	switch (x->kind) {
	case XFORM_KE_MODP: return "DH";
	case XFORM_KE_ECP: return "EC";
	case XFORM_KE_ECX: return x->group; /* "X25519" / "X448" */
	}
	return NULL;
}

/* Builds a key of `x`'s group from OpenSSL parameters: priv and/or pub
 * (BN for DH and EC private keys, octets for the EC public point). */
static EVP_PKEY *ke_fromdata(const struct xform_ke *x, const BIGNUM *priv,
			     const BIGNUM *pub_bn, const uint8_t *pub_oct,
			     size_t pub_len)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int sel = priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;

	if (!b ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
					     x->group, 0) ||
	    (priv &&
	     !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    (pub_bn &&
	     !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, pub_bn)) ||
	    (pub_oct && !OSSL_PARAM_BLD_push_octet_string(
				b, OSSL_PKEY_PARAM_PUB_KEY, pub_oct, pub_len)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(b);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, ke_algo(x), NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, sel, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return pkey;
}

/* The prime of a MODP group, from OpenSSL's named group (RFC 3526). */
static BIGNUM *ke_modp_prime(const struct xform_ke *x)
{
	EVP_PKEY *params = ke_fromdata(x, NULL, NULL, NULL, 0);
	BIGNUM *p = NULL;

	if (params)
		EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p);
	EVP_PKEY_free(params);
	return p;
}

/* X25519 and X448 key pairs, RFC 7748 §6: the public value is the
 * private scalar times the base point (u = 9 and u = 5). OpenSSL 3.0's
 * key generation computes it with portable fixed-base code, which takes
 * about 1.5 times as long here as the variable-base ladder its
 * EVP_PKEY_derive() runs (assembly on x86-64): ke_new_ecx() therefore
 * takes the private scalar from getrandom(), as OpenSSL's key generation
 * clamps it, and asks derive() for scalar times base point. The key pair
 * is still fresh for every exchange (no reuse, §2.12). */
static const uint8_t ecx_u9[32] = { 9 }, ecx_u5[56] = { 5 };
static EVP_PKEY *ecx_base[2]; /* X25519, X448 */
static pthread_once_t ecx_base_once = PTHREAD_ONCE_INIT;

static void ecx_base_init(void)
{
	ecx_base[0] = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL,
						     ecx_u9, sizeof(ecx_u9));
	ecx_base[1] = EVP_PKEY_new_raw_public_key_ex(NULL, "X448", NULL, ecx_u5,
						     sizeof(ecx_u5));
}

/* RFC 7748 §5 decodeScalar25519/448: what OpenSSL's key generation
 * stores, and what its scalar multiplication uses in any case. */
static void ecx_clamp(uint8_t *k, size_t len)
{
	if (len == sizeof(ecx_u9)) {
		k[0] &= 248;
		k[31] &= 127;
		k[31] |= 64;
	} else {
		k[0] &= 252;
		k[len - 1] |= 128;
	}
}

/* Per thread: what OpenSSL 3.0 makes slowly and each exchange can share.
 * - import: an X25519 and an X448 context set up for EVP_PKEY_fromdata(),
 *   which every key pair of ke_new_ecx() goes through (a new context
 *   fetches the key management by name each time).
 * - peer: a peer key of each ECP/ECX group, made from its template once;
 *   each exchange sets its peer's public value into it. Making a new
 *   EVP_PKEY costs a walk of OpenSSL's whole name map (to find the key
 *   type's legacy method) and a copy. Whoever takes it (ke_derive,
 *   ke_check_peer) releases it before returning, so no one holds it when
 *   it changes. */
#define KE_TEMPLATES 8
struct ke_tls {
	bool registered; /* with ke_tls_key, for the destructor */
	EVP_PKEY_CTX *import[2];
	EVP_PKEY *peer[KE_TEMPLATES];
};

static _Thread_local struct ke_tls ke_tls;
static pthread_key_t ke_tls_key;
static pthread_once_t ke_tls_once = PTHREAD_ONCE_INIT;

static void ke_tls_free(void *arg)
{
	struct ke_tls *t = arg;

	for (size_t i = 0; i < 2; i++)
		EVP_PKEY_CTX_free(t->import[i]);
	for (size_t i = 0; i < KE_TEMPLATES; i++)
		EVP_PKEY_free(t->peer[i]);
	*t = (struct ke_tls){ 0 };
}

static void ke_tls_key_make(void)
{
	(void)pthread_key_create(&ke_tls_key, ke_tls_free);
}

/* The thread's shared objects, registered for freeing at thread exit. */
static struct ke_tls *ke_tls_get(void)
{
	struct ke_tls *t = &ke_tls;

	if (!t->registered) {
		(void)pthread_once(&ke_tls_once, ke_tls_key_make);
		t->registered = pthread_setspecific(ke_tls_key, t) == 0;
	}
	return t;
}

/* The thread's fromdata context for X25519 or X448, or NULL. */
static EVP_PKEY_CTX *ke_import_ctx(const struct xform_ke *x)
{
	EVP_PKEY_CTX **ctx =
		&ke_tls_get()->import[x->pub_len == KE_ECX_MAX ? 1 : 0];

	if (!*ctx &&
	    (*ctx = EVP_PKEY_CTX_new_from_name(NULL, x->group, NULL)) &&
	    EVP_PKEY_fromdata_init(*ctx) <= 0) {
		EVP_PKEY_CTX_free(*ctx);
		*ctx = NULL;
	}
	return *ctx;
}

/* An EVP_PKEY holding private scalar `priv` and public value `pub`,
 * taken as given (OpenSSL 3.0 does not check that they match). */
static EVP_PKEY *ecx_import(const struct xform_ke *x, uint8_t *priv,
			    const uint8_t *pub)
{
	OSSL_PARAM params[3] = {
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
						  priv, x->pub_len),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						  (void *)pub, x->pub_len),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = ke_import_ctx(x);
	EVP_PKEY *pkey = NULL;

	if (!ctx ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		pkey = NULL;
	return pkey;
}

static int ke_new_ecx(const struct xform_ke *x, struct ke **out)
{
	bool x25519 = x->pub_len == sizeof(ecx_u9);
	EVP_PKEY *base;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t priv[KE_ECX_MAX];
	struct ke *ke = NULL;
	size_t n = x->pub_len;
	int rc = CRYPTO_E_INTERNAL;

	pthread_once(&ecx_base_once, ecx_base_init);
	base = ecx_base[x25519 ? 0 : 1];
	if (!base || x->pub_len > sizeof(priv) ||
	    crypto_getrandom(priv, x->pub_len) ||
	    !(ke = calloc(1, sizeof(*ke))))
		goto out;
	ecx_clamp(priv, x->pub_len);
	ke->x = x;
	/* imported with the base point as its public value until derive()
	 * gives the real one, which only ke->ecx_pub keeps: derive() reads
	 * the private scalar alone */
	ke->pkey = ecx_import(x, priv, x25519 ? ecx_u9 : ecx_u5);
	ctx = ke->pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, ke->pkey, NULL)
		       : NULL;
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, base, 0) <= 0 ||
	    EVP_PKEY_derive(ctx, ke->ecx_pub, &n) <= 0 || n != x->pub_len)
		goto out;
	ke->dctx = ctx;
	ctx = NULL;
	*out = ke;
	ke = NULL;
	rc = 0;
out:
	crypto_wipe(priv, sizeof(priv));
	EVP_PKEY_CTX_free(ctx);
	ke_free(ke);
	return rc;
}

int ke_new(unsigned ke_id, struct ke **out)
{
	const struct xform_ke *x;
	struct ke *ke;
	EVP_PKEY_CTX *ctx;
	OSSL_PARAM params[2];
	int rc = xform_ke_find(ke_id, &x);

	if (rc)
		return rc;
	if (x->kind == XFORM_KE_ECX)
		return ke_new_ecx(x, out);
	ke = calloc(1, sizeof(*ke));
	ctx = EVP_PKEY_CTX_new_from_name(NULL, ke_algo(x), NULL);
	rc = CRYPTO_E_INTERNAL;
	if (!ke || !ctx || EVP_PKEY_keygen_init(ctx) <= 0)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)x->group, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_CTX_set_params(ctx, params) <= 0)
		goto out;
	if (EVP_PKEY_generate(ctx, &ke->pkey) <= 0)
		goto out;
	ke->x = x;
	*out = ke;
	ke = NULL;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	ke_free(ke);
	return rc;
}

/* pub = g^priv mod p, so that an imported private key has its public
 * value (OpenSSL 3.0's import does not derive it). */
static BIGNUM *ke_modp_pub(const struct xform_ke *x, const BIGNUM *priv)
{
	EVP_PKEY *params = ke_fromdata(x, NULL, NULL, NULL, 0);
	BIGNUM *p = NULL, *g = NULL, *pub = BN_new();
	BN_CTX *bctx = BN_CTX_new();
	bool ok = params && pub && bctx &&
		  EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) &&
		  EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, &g) &&
		  BN_mod_exp(pub, g, priv, p, bctx);

	BN_CTX_free(bctx);
	BN_free(p);
	BN_free(g);
	EVP_PKEY_free(params);
	if (!ok) {
		BN_free(pub);
		return NULL;
	}
	return pub;
}

/* The uncompressed point priv * G (SEC 1: 0x04 | x | y). */
static size_t ke_ecp_pub(const struct xform_ke *x, const BIGNUM *priv,
			 uint8_t *out, size_t cap)
{
	int nid = EC_curve_nist2nid(x->group);
	EC_GROUP *grp = EC_GROUP_new_by_curve_name_ex(NULL, NULL, nid);
	EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
	size_t len = 0;

	if (pt && EC_POINT_mul(grp, pt, priv, NULL, NULL, NULL))
		len = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED,
					 out, cap, NULL);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return len;
}

int ke_new_from_private(unsigned ke_id, const uint8_t *priv, size_t len,
			struct ke **out)
{
	const struct xform_ke *x;
	uint8_t point[1 + KE_PUB_MAX];
	BIGNUM *bn = NULL, *pub = NULL;
	struct ke *ke;
	size_t plen;
	int rc = xform_ke_find(ke_id, &x);

	if (rc)
		return rc;
	if (!priv || !len)
		return CRYPTO_E_ARG;
	ke = calloc(1, sizeof(*ke));
	if (!ke)
		return CRYPTO_E_INTERNAL;
	ke->x = x;
	if (x->kind == XFORM_KE_ECX) {
		size_t n = x->pub_len;

		ke->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, x->group, NULL,
							   priv, len);
		if (ke->pkey &&
		    (!EVP_PKEY_get_raw_public_key(ke->pkey, ke->ecx_pub, &n) ||
		     n != x->pub_len)) {
			EVP_PKEY_free(ke->pkey);
			ke->pkey = NULL;
		}
	} else if ((bn = BN_bin2bn(priv, (int)len, NULL))) {
		if (x->kind == XFORM_KE_MODP && (pub = ke_modp_pub(x, bn)))
			ke->pkey = ke_fromdata(x, bn, pub, NULL, 0);
		plen = x->kind == XFORM_KE_ECP
			       ? ke_ecp_pub(x, bn, point, sizeof(point))
			       : 0;
		if (plen)
			ke->pkey = ke_fromdata(x, bn, NULL, point, plen);
	}
	BN_clear_free(bn);
	BN_free(pub);
	if (!ke->pkey) {
		ke_free(ke);
		return CRYPTO_E_ARG;
	}
	*out = ke;
	return 0;
}

void ke_free(struct ke *ke)
{
	if (!ke)
		return;
	EVP_PKEY_CTX_free(ke->dctx);
	EVP_PKEY_free(ke->pkey);
	crypto_wipe(ke, sizeof(*ke));
	free(ke);
}

const struct xform_ke *ke_xform(const struct ke *ke)
{
	return ke->x;
}

int ke_public(const struct ke *ke, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t point[1 + KE_PUB_MAX];
	const struct xform_ke *x = ke->x;
	BIGNUM *pub = NULL;
	size_t n = 0;
	int ok = 0;

	if (cap < x->pub_len)
		return CRYPTO_E_BUFFER;
	switch (x->kind) {
	case XFORM_KE_MODP:
		/* §3.4: padded with zeros to the length of the prime */
		ok = EVP_PKEY_get_bn_param(ke->pkey, OSSL_PKEY_PARAM_PUB_KEY,
					   &pub) &&
		     BN_bn2binpad(pub, out, x->pub_len) == x->pub_len;
		BN_free(pub);
		break;
	case XFORM_KE_ECP:
		/* RFC 5903 §7: x | y without the SEC 1 0x04 octet */
		ok = EVP_PKEY_get_octet_string_param(
			     ke->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
			     point, sizeof(point), &n) &&
		     n == 1u + x->pub_len && point[0] == 0x04;
		if (ok)
			memcpy(out, point + 1, x->pub_len);
		break;
	case XFORM_KE_ECX:
		memcpy(out, ke->ecx_pub, x->pub_len);
		ok = 1;
		break;
	}
	if (!ok)
		return CRYPTO_E_INTERNAL;
	*len = x->pub_len;
	return 0;
}

/* RFC 6989 §2.1: 1 < y < p-1 (the RFC 3526 primes are safe primes, so no
 * further subgroup test is needed). */
static int ke_check_modp(const struct xform_ke *x, const uint8_t *peer,
			 size_t len)
{
	BIGNUM *y = BN_bin2bn(peer, (int)len, NULL);
	BIGNUM *p = ke_modp_prime(x);
	int rc = CRYPTO_E_INTERNAL;

	if (y && p && BN_sub_word(p, 1)) {
		/* p now holds p-1 */
		rc = BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p) >= 0
			     ? CRYPTO_E_KE_RANGE
			     : 0;
	}
	BN_free(y);
	BN_free(p);
	return rc;
}

/* Imports a peer public value; NULL when it is not a valid element. */
/* Public-only keys of each ECP/ECX group, made once: a peer's key is a
 * copy of one with the peer's point set, which skips the name lookups and
 * group construction that importing from scratch costs (a third of a
 * P-256 exchange). */
static EVP_PKEY *templates[KE_TEMPLATES];
static pthread_once_t templates_once = PTHREAD_ONCE_INIT;

static void templates_init(void)
{
	const struct xform_ke *t;
	size_t n;

	t = xform_ke_table(&n);
	for (size_t i = 0; i < n && i < KE_TEMPLATES; i++) {
		uint8_t pub[1 + KE_PUB_MAX];
		EVP_PKEY *k = NULL;
		size_t len = 0;

		if (t[i].kind == XFORM_KE_MODP)
			continue;
		k = t[i].kind == XFORM_KE_ECP
			    ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", t[i].group)
			    : EVP_PKEY_Q_keygen(NULL, NULL, t[i].group);
		if (k && EVP_PKEY_get_octet_string_param(
				 k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
				 sizeof(pub), &len))
			templates[i] = t[i].kind == XFORM_KE_ECP
					       ? ke_fromdata(&t[i], NULL, NULL,
							     pub, len)
					       : EVP_PKEY_new_raw_public_key_ex(
							 NULL, t[i].group, NULL,
							 pub, len);
		EVP_PKEY_free(k);
	}
}

/* A key of `x`'s group with public value `enc` (SEC 1 point for ECP, the
 * raw u-coordinate for ECX), or NULL; the caller frees its reference.
 * OpenSSL refuses ECP coordinates >= p and points off the curve when
 * setting it (RFC 6989 §2.3). */
static EVP_PKEY *ke_peer_from_template(const struct xform_ke *x,
				       const uint8_t *enc, size_t len)
{
	const struct xform_ke *t;
	EVP_PKEY **slot;
	size_t n;

	pthread_once(&templates_once, templates_init);
	t = xform_ke_table(&n);
	if (x < t || x >= t + n || x - t >= KE_TEMPLATES || !templates[x - t])
		return NULL;
	slot = &ke_tls_get()->peer[x - t];
	if (!*slot)
		*slot = EVP_PKEY_dup(templates[x - t]);
	if (!*slot || EVP_PKEY_set1_encoded_public_key(*slot, enc, len) != 1 ||
	    !EVP_PKEY_up_ref(*slot)) {
		ERR_clear_error();
		return NULL;
	}
	return *slot;
}

/* Imports a peer public value; NULL when it is not a valid element. */
static EVP_PKEY *ke_peer_key(const struct xform_ke *x, const uint8_t *peer,
			     size_t len)
{
	uint8_t point[1 + KE_PUB_MAX];
	BIGNUM *y;
	EVP_PKEY *pkey = NULL;

	switch (x->kind) {
	case XFORM_KE_MODP:
		y = BN_bin2bn(peer, (int)len, NULL);
		if (y)
			pkey = ke_fromdata(x, NULL, y, NULL, 0);
		BN_free(y);
		break;
	case XFORM_KE_ECP:
		point[0] = 0x04; /* RFC 5903 §7: x | y, uncompressed */
		memcpy(point + 1, peer, len);
		pkey = ke_peer_from_template(x, point, len + 1);
		break;
	case XFORM_KE_ECX: pkey = ke_peer_from_template(x, peer, len); break;
	}
	return pkey;
}

static int ke_check(const struct xform_ke *x, const uint8_t *peer, size_t len,
		    EVP_PKEY **pkey)
{
	int rc;

	if (!peer || len != x->pub_len)
		return CRYPTO_E_KE_LENGTH;
	if (x->kind == XFORM_KE_MODP && (rc = ke_check_modp(x, peer, len)))
		return rc;
	*pkey = ke_peer_key(x, peer, len);
	if (!*pkey)
		return x->kind == XFORM_KE_ECP ? CRYPTO_E_KE_POINT
					       : CRYPTO_E_INTERNAL;
	return 0;
}

int ke_check_peer(unsigned ke_id, const uint8_t *peer, size_t len)
{
	const struct xform_ke *x;
	EVP_PKEY *pkey = NULL;
	int rc = xform_ke_find(ke_id, &x);

	if (rc == 0)
		rc = ke_check(x, peer, len, &pkey);
	EVP_PKEY_free(pkey);
	return rc;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int ke_derive(struct ke *ke, const uint8_t *peer, size_t len,
	      struct ke_secret *out)
{
	const struct xform_ke *x = ke->x;
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = sizeof(out->buf);
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ke_check(x, peer, len, &peer_key);
	if (rc)
		return rc;
	rc = CRYPTO_E_INTERNAL;
	/* the context ke_new_ecx() left, or a new one (MODP, ECP, a second
	 * derive); freed below, so that no context keeps the thread's peer
	 * key (ke_peer_slot) beyond this call */
	ctx = ke->dctx;
	ke->dctx = NULL;
	if (!ctx &&
	    (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ke->pkey, NULL)) ||
	     EVP_PKEY_derive_init(ctx) <= 0))
		goto out;
	/* §2.14: g^ir padded with zeros to the length of the prime */
	if (x->kind == XFORM_KE_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	/* ke_check validated the peer (range for MODP, which is all RFC 6989
	 * asks with RFC 3526's safe primes; on-curve at import for ECP,
	 * whose curves have cofactor 1). OpenSSL's own check would add a
	 * full exponentiation or scalar multiplication. */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) <= 0) {
		rc = x->kind == XFORM_KE_MODP ? CRYPTO_E_KE_RANGE
					      : CRYPTO_E_KE_POINT;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, out->buf, &n) <= 0) {
		/* OpenSSL's X25519/X448 refuse an all-zero result. */
		rc = x->kind == XFORM_KE_ECX ? CRYPTO_E_KE_ZERO
					     : CRYPTO_E_INTERNAL;
		goto out;
	}
	if (n != x->secret_len)
		goto out;
	/* RFC 8031 §2: the all-zero value MUST be refused. */
	if (all_zero(out->buf, n)) {
		rc = CRYPTO_E_KE_ZERO;
		goto out;
	}
	out->len = n;
	rc = 0;
out:
	if (rc)
		ke_secret_wipe(out);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	return rc;
}

void ke_secret_wipe(struct ke_secret *s)
{
	if (s)
		crypto_wipe(s, sizeof(*s));
}
