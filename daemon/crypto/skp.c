/* SK / SKF payload protection (RFC 7296 §3.14, RFC 5282, RFC 7634,
 * RFC 7383 §2.5) with OpenSSL EVP ciphers and HMAC. */
#include "crypto/skp.h"

#include "ike_iana.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKP_SALT_MAX 4

/* One direction: a keyed cipher context and, for CBC, a keyed HMAC. */
struct skp_dir {
	EVP_CIPHER_CTX *cipher;
	EVP_MAC_CTX *mac;
	uint8_t salt[SKP_SALT_MAX];
};

struct skp {
	const struct xform_encr *encr;
	const struct xform_integ *integ; /* NULL with AEAD */
	EVP_CIPHER *cipher;
	EVP_MAC *hmac;
	struct skp_dir out, in;
	/* AEAD: IVs are a per-key counter (RFC 5282 §3). CBC: the counter,
	 * encrypted under SK_e, makes unpredictable IVs (NIST SP 800-38A
	 * Appendix C) for the cost of one block instead of RAND_bytes. */
	uint64_t next_iv;
	EVP_CIPHER_CTX *ivgen; /* CBC only: AES-ECB keyed with our SK_e */
};

static int dir_init(struct skp *sk, struct skp_dir *d, bool enc,
		    const uint8_t *ek, const uint8_t *ak)
{
	size_t klen = sk->encr->key_len - sk->encr->salt_len;
	OSSL_PARAM params[2];

	d->cipher = EVP_CIPHER_CTX_new();
	if (!d->cipher ||
	    !EVP_CipherInit_ex2(d->cipher, sk->cipher, ek, NULL, enc, NULL))
		return CRYPTO_E_INTERNAL;
	if (!sk->encr->aead &&
	    !EVP_CIPHER_CTX_set_padding(d->cipher, 0)) /* we pad (§3.14) */
		return CRYPTO_E_INTERNAL;
	memcpy(d->salt, ek + klen, sk->encr->salt_len);
	if (!sk->integ)
		return 0;
	d->mac = EVP_MAC_CTX_new(sk->hmac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)sk->integ->md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!d->mac || !EVP_MAC_init(d->mac, ak, sk->integ->key_len, params))
		return CRYPTO_E_INTERNAL;
	return 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static int ivgen_init(struct skp *sk, const uint8_t *ek)
{
	char name[16];
	EVP_CIPHER *ecb;

	snprintf(name, sizeof(name), "AES-%u-ECB", sk->encr->key_len * 8u);
	ecb = EVP_CIPHER_fetch(NULL, name, NULL);
	sk->ivgen = EVP_CIPHER_CTX_new();
	if (!ecb || !sk->ivgen ||
	    !EVP_EncryptInit_ex2(sk->ivgen, ecb, ek, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(sk->ivgen, 0)) {
		EVP_CIPHER_free(ecb);
		return CRYPTO_E_INTERNAL;
	}
	EVP_CIPHER_free(ecb);
	return 0;
}

/* A CBC IV: E_K(counter), unique per message and unpredictable without
 * the key. */
static int ivgen_next(struct skp *sk, uint8_t iv[16])
{
	uint8_t block[16] = { 0 };
	int n = 0;

	put_be64(block + 8, sk->next_iv++);
	if (!EVP_EncryptUpdate(sk->ivgen, iv, &n, block, 16) || n != 16)
		return CRYPTO_E_INTERNAL;
	return 0;
}

int skp_new(const struct keymat_ike *km, bool initiator, struct skp **out)
{
	const struct keymat_suite *s = &km->suite;
	struct skp *sk;
	int rc = CRYPTO_E_INTERNAL;

	if (!s->encr || (!s->encr->aead && !s->integ) ||
	    km->e_len != s->encr->key_len ||
	    (s->integ && km->a_len != s->integ->key_len))
		return CRYPTO_E_ARG;
	sk = calloc(1, sizeof(*sk));
	if (!sk)
		return CRYPTO_E_INTERNAL;
	sk->encr = s->encr;
	sk->integ = s->encr->aead ? NULL : s->integ;
	/* A random start keeps AEAD IVs unique even if a caller ever made two
	 * skp objects from the same keys. */
	if (crypto_random(&sk->next_iv, sizeof(sk->next_iv)))
		goto out;
	sk->cipher = EVP_CIPHER_fetch(NULL, s->encr->cipher, NULL);
	if (sk->integ)
		sk->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!sk->cipher || (sk->integ && !sk->hmac))
		goto out;
	/* The initiator sends with SK_ei/SK_ai and receives with SK_er/SK_ar
	 * (§2.14). */
	rc = dir_init(sk, &sk->out, true, initiator ? km->sk_ei : km->sk_er,
		      initiator ? km->sk_ai : km->sk_ar);
	if (rc == 0 && !s->encr->aead)
		rc = ivgen_init(sk, initiator ? km->sk_ei : km->sk_er);
	if (rc == 0)
		rc = dir_init(sk, &sk->in, false,
			      initiator ? km->sk_er : km->sk_ei,
			      initiator ? km->sk_ar : km->sk_ai);
out:
	if (rc) {
		skp_free(sk);
		return rc;
	}
	*out = sk;
	return 0;
}

static void dir_free(struct skp_dir *d)
{
	EVP_CIPHER_CTX_free(d->cipher);
	EVP_MAC_CTX_free(d->mac);
	crypto_wipe(d->salt, sizeof(d->salt));
}

void skp_free(struct skp *sk)
{
	if (!sk)
		return;
	/* the contexts hold the key schedules; freeing them cleanses */
	dir_free(&sk->out);
	dir_free(&sk->in);
	EVP_CIPHER_CTX_free(sk->ivgen);
	EVP_CIPHER_free(sk->cipher);
	EVP_MAC_free(sk->hmac);
	free(sk);
}

size_t skp_header_len(unsigned payload_type)
{
	/* §3.14: generic header; RFC 7383 §2.5: + Fragment Number and Total
	 * Fragments */
	return payload_type == PL_SK ? 4 : payload_type == PL_SKF ? 8 : 0;
}

size_t skp_iv_len(const struct skp *sk)
{
	return sk->encr->iv_len;
}

static size_t icv_len(const struct skp *sk)
{
	return sk->integ ? sk->integ->icv_len : sk->encr->icv_len;
}

/* Padding so that inner payloads, padding and the Pad Length octet fill
 * whole cipher blocks (§3.14). */
static size_t pad_len(const struct skp *sk, size_t plain_len)
{
	size_t b = sk->encr->block_len;

	return (b - (plain_len + 1) % b) % b;
}

size_t skp_overhead(const struct skp *sk, size_t plain_len)
{
	return sk->encr->iv_len + pad_len(sk, plain_len) + 1 + icv_len(sk);
}

static void put_be(uint8_t *p, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_be(const uint8_t *p, int n)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Runs the keyed AEAD context over `buf` in place: nonce salt | iv (RFC
 * 5282 §4, RFC 7634 §2), `aad` first. Encrypting writes the tag, decrypting
 * checks it. */
static int aead_run(EVP_CIPHER_CTX *c, bool enc, const uint8_t *salt,
		    size_t salt_len, const uint8_t *iv, size_t iv_len,
		    const uint8_t *aad, size_t aad_len, uint8_t *buf,
		    size_t len, uint8_t *tag, size_t tag_len)
{
	uint8_t nonce[16];
	int n;

	memcpy(nonce, salt, salt_len);
	memcpy(nonce + salt_len, iv, iv_len);
	if (len > INT32_MAX || aad_len > INT32_MAX ||
	    !EVP_CipherInit_ex2(c, NULL, NULL, nonce, enc, NULL))
		return CRYPTO_E_INTERNAL;
	if (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag_len,
					 (void *)tag))
		return CRYPTO_E_INTERNAL;
	if (!EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) ||
	    (len && !EVP_CipherUpdate(c, buf, &n, buf, (int)len)))
		return CRYPTO_E_INTERNAL;
	if (!EVP_CipherFinal_ex(c, buf + len, &n)) {
		if (enc)
			return CRYPTO_E_INTERNAL;
		crypto_wipe(buf, len); /* never hand out unverified data */
		return CRYPTO_E_SK_ICV;
	}
	if (enc &&
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag))
		return CRYPTO_E_INTERNAL;
	return 0;
}

/* CBC over whole blocks in place; the IV is per message (§3.14). */
static int cbc_run(EVP_CIPHER_CTX *c, bool enc, const uint8_t *iv, uint8_t *buf,
		   size_t len)
{
	int n;

	if (len > INT32_MAX ||
	    !EVP_CipherInit_ex2(c, NULL, NULL, iv, enc, NULL) ||
	    !EVP_CipherUpdate(c, buf, &n, buf, (int)len) || (size_t)n != len)
		return CRYPTO_E_INTERNAL;
	return 0;
}

/* The truncated HMAC over msg[0, len) (§3.14: from the IKE header through
 * the encrypted data). */
static int icv_compute(const struct skp *sk, EVP_MAC_CTX *mac,
		       const uint8_t *msg, size_t len, uint8_t *icv)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (!EVP_MAC_init(mac, NULL, 0, NULL) ||
	    !EVP_MAC_update(mac, msg, len) ||
	    !EVP_MAC_final(mac, full, &n, sizeof(full)) ||
	    n < sk->integ->icv_len)
		return CRYPTO_E_INTERNAL;
	memcpy(icv, full, sk->integ->icv_len);
	crypto_wipe(full, sizeof(full));
	return 0;
}

int skp_protect(struct skp *sk, uint8_t *msg, size_t cap, size_t hdr_len,
		unsigned payload_type, size_t plain_len, const uint8_t *iv,
		size_t *msg_len)
{
	size_t hl = skp_header_len(payload_type), ivl = sk->encr->iv_len;
	size_t pad = pad_len(sk, plain_len), icv = icv_len(sk);
	size_t enc_len = plain_len + pad + 1, total;
	uint8_t *p = msg + hdr_len + ivl;
	int rc;

	if (!hl || hdr_len < IKE_HDR_LEN + hl || !msg || !msg_len)
		return CRYPTO_E_ARG;
	total = hdr_len + ivl + enc_len + icv;
	if (total > cap || total > UINT32_MAX || total - hdr_len + hl > 0xffff)
		return CRYPTO_E_BUFFER;
	/* both lengths are covered by the ICV / the associated data */
	put_be(msg + 24, (uint32_t)total, 4);
	put_be(msg + hdr_len - hl + 2, (uint32_t)(total - hdr_len + hl), 2);
	/* AEAD IVs need only be unique per key; CBC IVs must be
	 * unpredictable (§3.14). */
	if (iv)
		memcpy(msg + hdr_len, iv, ivl);
	else if (sk->encr->aead)
		put_be64(msg + hdr_len, sk->next_iv++);
	else if ((rc = ivgen_next(sk, msg + hdr_len)))
		return rc;
	memset(p + plain_len, 0, pad);
	p[plain_len + pad] = (uint8_t)pad;
	if (sk->encr->aead) {
		rc = aead_run(sk->out.cipher, true, sk->out.salt,
			      sk->encr->salt_len, msg + hdr_len, ivl, msg,
			      hdr_len, p, enc_len, p + enc_len, icv);
	} else {
		rc = cbc_run(sk->out.cipher, true, msg + hdr_len, p, enc_len);
		if (rc == 0)
			rc = icv_compute(sk, sk->out.mac, msg, total - icv,
					 msg + total - icv);
	}
	if (rc == 0)
		*msg_len = total;
	return rc;
}

/* Checks the lengths of a received SK/SKF message before any crypto. */
static int skp_check_layout(const struct skp *sk, const uint8_t *msg,
			    size_t msg_len, size_t hdr_len, size_t hl,
			    size_t *enc_len)
{
	size_t fixed = hdr_len + sk->encr->iv_len + icv_len(sk);

	if (!hl || hdr_len < IKE_HDR_LEN + hl || msg_len <= fixed)
		return CRYPTO_E_SK_SYNTAX;
	*enc_len = msg_len - fixed;
	if (*enc_len % sk->encr->block_len && !sk->encr->aead)
		return CRYPTO_E_SK_SYNTAX;
	if (get_be(msg + 24, 4) != msg_len ||
	    get_be(msg + hdr_len - hl + 2, 2) != msg_len - hdr_len + hl)
		return CRYPTO_E_SK_SYNTAX;
	return 0;
}

int skp_unprotect(struct skp *sk, uint8_t *msg, size_t msg_len, size_t hdr_len,
		  unsigned payload_type, size_t *plain_off, size_t *plain_len)
{
	size_t hl = skp_header_len(payload_type), ivl = sk->encr->iv_len;
	size_t icv = icv_len(sk), enc_len;
	uint8_t *p = msg + hdr_len + ivl, want[XFORM_KEY_MAX];
	int rc;

	if (!msg)
		return CRYPTO_E_ARG;
	rc = skp_check_layout(sk, msg, msg_len, hdr_len, hl, &enc_len);
	if (rc)
		return rc;
	if (sk->encr->aead) {
		rc = aead_run(sk->in.cipher, false, sk->in.salt,
			      sk->encr->salt_len, msg + hdr_len, ivl, msg,
			      hdr_len, p, enc_len, p + enc_len, icv);
	} else {
		/* integrity first, in constant time (§3.14) */
		rc = icv_compute(sk, sk->in.mac, msg, msg_len - icv, want);
		if (rc == 0 && !crypto_equal(want, msg + msg_len - icv, icv))
			rc = CRYPTO_E_SK_ICV;
		if (rc == 0)
			rc = cbc_run(sk->in.cipher, false, msg + hdr_len, p,
				     enc_len);
	}
	if (rc)
		return rc;
	/* Pad Length counts the padding before it */
	if ((size_t)p[enc_len - 1] + 1 > enc_len)
		return CRYPTO_E_SK_PADDING;
	*plain_off = hdr_len + ivl;
	*plain_len = enc_len - p[enc_len - 1] - 1;
	return 0;
}

static int aead_oneshot(const struct xform_encr *e, bool enc,
			const uint8_t *key, const uint8_t *iv,
			const uint8_t *aad, size_t aad_len, uint8_t *buf,
			size_t len, uint8_t *tag)
{
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *c;
	int rc = CRYPTO_E_INTERNAL;

	if (!e || !e->aead || !key || !iv || !tag || (!buf && len) ||
	    (!aad && aad_len))
		return CRYPTO_E_ARG;
	cipher = EVP_CIPHER_fetch(NULL, e->cipher, NULL);
	c = EVP_CIPHER_CTX_new();
	if (cipher && c && EVP_CipherInit_ex2(c, cipher, key, NULL, enc, NULL))
		rc = aead_run(c, enc, key + e->key_len - e->salt_len,
			      e->salt_len, iv, e->iv_len, aad ? aad : tag,
			      aad_len, buf, len, tag, e->icv_len);
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(cipher);
	return rc;
}

int skp_aead_seal(const struct xform_encr *e, const uint8_t *key,
		  const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *buf, size_t len, uint8_t *tag)
{
	return aead_oneshot(e, true, key, iv, aad, aad_len, buf, len, tag);
}

int skp_aead_open(const struct xform_encr *e, const uint8_t *key,
		  const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *buf, size_t len, const uint8_t *tag)
{
	return aead_oneshot(e, false, key, iv, aad, aad_len, buf, len,
			    (uint8_t *)tag);
}
