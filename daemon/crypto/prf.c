/* prf and prf+ over OpenSSL's HMAC (RFC 7296 §2.13). */
#include "crypto/prf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <string.h>

/* One keyless HMAC context per PRF digest, duplicated for each use:
 * fetching the MAC and digest by name is a provider lookup that would
 * otherwise dominate a key derivation. */
static EVP_MAC_CTX *templates[8];
static pthread_once_t templates_once = PTHREAD_ONCE_INIT;

static void templates_init(void)
{
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	const struct xform_prf *t;
	size_t n;

	t = xform_prf_table(&n);
	for (size_t i = 0; hmac && i < n && i < 8; i++) {
		OSSL_PARAM params[2] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							 (char *)t[i].md, 0),
			OSSL_PARAM_construct_end(),
		};
		templates[i] = EVP_MAC_CTX_new(hmac);
		if (templates[i] &&
		    !EVP_MAC_CTX_set_params(templates[i], params)) {
			EVP_MAC_CTX_free(templates[i]);
			templates[i] = NULL;
		}
	}
	EVP_MAC_free(hmac); /* the contexts hold their own references */
}

/* Returns a MAC context keyed with `key`, or NULL. */
static EVP_MAC_CTX *prf_ctx_new(const struct xform_prf *p, const void *key,
				size_t key_len)
{
	const struct xform_prf *t;
	EVP_MAC_CTX *ctx = NULL;
	size_t n;

	pthread_once(&templates_once, templates_init);
	t = xform_prf_table(&n);
	for (size_t i = 0; i < n && i < 8; i++) {
		if (t[i].id == p->id && templates[i])
			ctx = EVP_MAC_CTX_dup(templates[i]);
	}
	if (!ctx)
		return NULL;
	/* HMAC accepts an empty key; OpenSSL wants a non-NULL pointer. */
	if (!EVP_MAC_init(ctx, key_len ? key : (const void *)"", key_len,
			  NULL)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int prf_feed(EVP_MAC_CTX *ctx, const struct crypto_span *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i].len &&
		    !EVP_MAC_update(ctx, data[i].ptr, data[i].len))
			return CRYPTO_E_INTERNAL;
	}
	return 0;
}

static int prf_final(EVP_MAC_CTX *ctx, const struct xform_prf *p,
		     uint8_t out[PRF_MAX])
{
	size_t len = 0;

	if (!EVP_MAC_final(ctx, out, &len, PRF_MAX) || len != p->out_len)
		return CRYPTO_E_INTERNAL;
	return 0;
}

int prf_compute(const struct xform_prf *p, const void *key, size_t key_len,
		const struct crypto_span *data, size_t n, uint8_t out[PRF_MAX])
{
	EVP_MAC_CTX *ctx;
	int rc;

	if (!p || (!key && key_len) || !out)
		return CRYPTO_E_ARG;
	ctx = prf_ctx_new(p, key, key_len);
	if (!ctx)
		return CRYPTO_E_INTERNAL;
	rc = prf_feed(ctx, data, n);
	if (rc == 0)
		rc = prf_final(ctx, p, out);
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int prf_plus(const struct xform_prf *p, const void *key, size_t key_len,
	     const struct crypto_span *seed, size_t n, uint8_t *out,
	     size_t out_len)
{
	uint8_t t[PRF_MAX];
	EVP_MAC_CTX *ctx;
	size_t done = 0;
	int rc = 0;

	if (!p || (!key && key_len) || (!out && out_len) ||
	    out_len > (size_t)PRF_PLUS_MAX_ITER * p->out_len)
		return CRYPTO_E_ARG;
	ctx = prf_ctx_new(p, key, key_len);
	if (!ctx)
		return CRYPTO_E_INTERNAL;
	/* T1 = prf(K, S | 0x01); Tn = prf(K, Tn-1 | S | n) */
	for (unsigned iter = 1; done < out_len; iter++) {
		uint8_t counter = (uint8_t)iter;
		size_t take;

		/* HMAC re-initialises with the same key when given none. */
		if (iter > 1 && (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
				 !EVP_MAC_update(ctx, t, p->out_len))) {
			rc = CRYPTO_E_INTERNAL;
			break;
		}
		rc = prf_feed(ctx, seed, n);
		if (rc == 0 && !EVP_MAC_update(ctx, &counter, 1))
			rc = CRYPTO_E_INTERNAL;
		if (rc == 0)
			rc = prf_final(ctx, p, t);
		if (rc)
			break;
		take = out_len - done < p->out_len ? out_len - done
						   : p->out_len;
		memcpy(out + done, t, take);
		done += take;
	}
	crypto_wipe(t, sizeof(t));
	EVP_MAC_CTX_free(ctx);
	if (rc)
		crypto_wipe(out, out_len);
	return rc;
}
