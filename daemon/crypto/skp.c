/* SK / SKF payload protection (RFC 7296 §3.14, RFC 5282, RFC 7634,
 * RFC 7383 §2.5) with OpenSSL EVP ciphers and HMAC. */
#include "crypto/skp.h"

#include "ike_iana.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-SA state is the raw keys only: an OpenSSL cipher context costs
 * about 1.2 KB (key schedule, GHASH tables, provider bookkeeping), two of
 * them per IKE SA were most of an established SA's memory (issue 15).
 * Each thread keeps one cipher context per transform and one HMAC
 * context, keyed again for the message at hand: an AES-GCM key setup is
 * a fraction of a microsecond (doc/performance.md has the figures). A
 * context remembers whose key it holds (`keyed`: skp id and direction),
 * so consecutive messages of one SA and direction skip the key setup,
 * and skp_free() cleanses the contexts of its thread that hold its keys.
 * An skp is used and freed by one thread (the engine that owns its IKE
 * SA). */

enum { SKP_SLOTS = 8 }; /* > the ENCR rows of xform.c */

struct skp_slot {
	const struct xform_encr *encr; /* NULL: unused */
	EVP_CIPHER_CTX *ctx;
	uint64_t keyed; /* skp_tag() of the key it holds, 0 if none */
};

struct skp_tls {
	bool registered; /* with skp_tls_key, for the destructor */
	unsigned evict;
	struct skp_slot slot[SKP_SLOTS];
	EVP_MAC *hmac;
	EVP_MAC_CTX *mac;
	const char *mac_md; /* digest the MAC context was set up with */
	uint64_t mac_keyed;
};

static _Thread_local struct skp_tls skp_tls;
static pthread_key_t skp_tls_key;
static pthread_once_t skp_tls_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t skp_next_id = 1;

struct skp {
	const struct xform_encr *encr;
	const struct xform_integ *integ; /* NULL with AEAD */
	uint64_t id;			 /* names its keys in skp_tls */
	/* AEAD: IVs are a per-key counter (RFC 5282 §3). CBC: the counter,
	 * encrypted under SK_e, makes unpredictable IVs (NIST SP 800-38A
	 * Appendix C) for the cost of one block instead of RAND_bytes. */
	uint64_t next_iv;
	/* SK_e out, SK_e in (each with its salt), then SK_a out, SK_a in */
	uint8_t key[];
};

enum skp_dir { SKP_OUT = 0, SKP_IN = 1 };

static uint64_t skp_tag(const struct skp *sk, enum skp_dir d)
{
	return sk->id << 1 | (uint64_t)d;
}

static const uint8_t *skp_ekey(const struct skp *sk, enum skp_dir d)
{
	return sk->key + (size_t)d * sk->encr->key_len;
}

static const uint8_t *skp_akey(const struct skp *sk, enum skp_dir d)
{
	return sk->key + 2u * sk->encr->key_len +
	       (size_t)d * sk->integ->key_len;
}

static size_t skp_key_bytes(const struct xform_encr *e,
			    const struct xform_integ *i)
{
	return 2u * e->key_len + (i ? 2u * i->key_len : 0);
}

static void skp_slot_clear(struct skp_slot *s)
{
	EVP_CIPHER_CTX_free(s->ctx); /* cleanses the key schedule */
	*s = (struct skp_slot){ 0 };
}

static void skp_tls_free(void *arg)
{
	struct skp_tls *t = arg;

	for (size_t i = 0; i < SKP_SLOTS; i++)
		skp_slot_clear(&t->slot[i]);
	EVP_MAC_CTX_free(t->mac);
	EVP_MAC_free(t->hmac);
	*t = (struct skp_tls){ 0 };
}

static void skp_tls_key_make(void)
{
	(void)pthread_key_create(&skp_tls_key, skp_tls_free);
}

/* The thread's contexts, registered for freeing at thread exit. */
static struct skp_tls *skp_tls_get(void)
{
	struct skp_tls *t = &skp_tls;

	if (!t->registered) {
		(void)pthread_once(&skp_tls_once, skp_tls_key_make);
		t->registered = pthread_setspecific(skp_tls_key, t) == 0;
	}
	return t;
}

/* The thread's cipher context for `sk`'s transform, keyed with `sk`'s
 * key of direction `d` and set up for message IV `iv`; NULL on failure. */
static EVP_CIPHER_CTX *skp_cipher(const struct skp *sk, enum skp_dir d,
				  const uint8_t *iv)
{
	struct skp_tls *t = skp_tls_get();
	struct skp_slot *s = NULL;
	uint64_t tag = skp_tag(sk, d);
	const uint8_t *key = skp_ekey(sk, d);
	int enc = d == SKP_OUT;

	for (size_t i = 0; i < SKP_SLOTS && !s; i++)
		if (t->slot[i].encr == sk->encr)
			s = &t->slot[i];
	for (size_t i = 0; i < SKP_SLOTS && !s; i++)
		if (!t->slot[i].encr)
			s = &t->slot[i];
	if (!s) {
		s = &t->slot[t->evict++ % SKP_SLOTS];
		skp_slot_clear(s);
	}
	if (!s->encr) {
		EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, sk->encr->cipher, NULL);

		s->ctx = EVP_CIPHER_CTX_new();
		if (!c || !s->ctx ||
		    !EVP_CipherInit_ex2(s->ctx, c, key, iv, enc, NULL)) {
			EVP_CIPHER_free(c);
			skp_slot_clear(s);
			return NULL;
		}
		EVP_CIPHER_free(c); /* the context holds a reference */
		s->encr = sk->encr;
	} else if (!EVP_CipherInit_ex2(s->ctx, NULL,
				       s->keyed == tag ? NULL : key, iv, enc,
				       NULL)) {
		skp_slot_clear(s);
		return NULL;
	}
	s->keyed = tag;
	if (!sk->encr->aead && !EVP_CIPHER_CTX_set_padding(s->ctx, 0)) {
		skp_slot_clear(s); /* we pad (§3.14) */
		return NULL;
	}
	return s->ctx;
}

/* The thread's HMAC context keyed with `sk`'s SK_a of direction `d`. */
static EVP_MAC_CTX *skp_mac(const struct skp *sk, enum skp_dir d)
{
	struct skp_tls *t = skp_tls_get();
	uint64_t tag = skp_tag(sk, d);
	OSSL_PARAM params[2];
	bool same_md;

	if (!t->hmac && !(t->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
		return NULL;
	if (!t->mac && !(t->mac = EVP_MAC_CTX_new(t->hmac)))
		return NULL;
	same_md = t->mac_md == sk->integ->md;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)sk->integ->md, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* the digest is set (and fetched) only when it changes */
	if (!EVP_MAC_init(t->mac, t->mac_keyed == tag ? NULL : skp_akey(sk, d),
			  t->mac_keyed == tag ? 0 : sk->integ->key_len,
			  same_md ? NULL : params)) {
		EVP_MAC_CTX_free(t->mac);
		t->mac = NULL;
		t->mac_md = NULL;
		t->mac_keyed = 0;
		return NULL;
	}
	t->mac_md = sk->integ->md;
	t->mac_keyed = tag;
	return t->mac;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int skp_new(const struct keymat_ike *km, bool initiator, struct skp **out)
{
	const struct keymat_suite *s = &km->suite;
	const struct xform_integ *integ;
	struct skp *sk;
	size_t e, a;

	if (!s->encr || (!s->encr->aead && !s->integ) ||
	    km->e_len != s->encr->key_len ||
	    (s->integ && km->a_len != s->integ->key_len))
		return CRYPTO_E_ARG;
	integ = s->encr->aead ? NULL : s->integ;
	sk = calloc(1, sizeof(*sk) + skp_key_bytes(s->encr, integ));
	if (!sk)
		return CRYPTO_E_INTERNAL;
	sk->encr = s->encr;
	sk->integ = integ;
	sk->id = skp_next_id++;
	/* A random start keeps AEAD IVs unique even if a caller ever made two
	 * skp objects from the same keys; from getrandom(), as the engine's
	 * SPIs and nonces, without OpenSSL's DRBG and its locks. */
	if (crypto_getrandom(&sk->next_iv, sizeof(sk->next_iv))) {
		free(sk);
		return CRYPTO_E_INTERNAL;
	}
	/* The initiator sends with SK_ei/SK_ai and receives with SK_er/SK_ar
	 * (§2.14). */
	e = s->encr->key_len;
	memcpy(sk->key, initiator ? km->sk_ei : km->sk_er, e);
	memcpy(sk->key + e, initiator ? km->sk_er : km->sk_ei, e);
	if (integ) {
		a = integ->key_len;
		memcpy(sk->key + 2 * e, initiator ? km->sk_ai : km->sk_ar, a);
		memcpy(sk->key + 2 * e + a, initiator ? km->sk_ar : km->sk_ai,
		       a);
	}
	*out = sk;
	return 0;
}

void skp_free(struct skp *sk)
{
	struct skp_tls *t = &skp_tls;

	if (!sk)
		return;
	/* this thread's contexts holding our key schedules are cleansed */
	for (size_t i = 0; i < SKP_SLOTS; i++)
		if (t->slot[i].encr && t->slot[i].keyed >> 1 == sk->id)
			skp_slot_clear(&t->slot[i]);
	if (t->mac && t->mac_keyed >> 1 == sk->id) {
		EVP_MAC_CTX_free(t->mac);
		t->mac = NULL;
		t->mac_md = NULL;
		t->mac_keyed = 0;
	}
	crypto_wipe(sk->key, skp_key_bytes(sk->encr, sk->integ));
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

/* Writes the AEAD nonce salt | iv (RFC 5282 §4, RFC 7634 §2) to `nonce`
 * (16 bytes of room). */
static void aead_nonce(uint8_t *nonce, const struct xform_encr *e,
		       const uint8_t *key, const uint8_t *iv)
{
	memcpy(nonce, key + e->key_len - e->salt_len, e->salt_len);
	memcpy(nonce + e->salt_len, iv, e->iv_len);
}

/* Runs an AEAD context, keyed and set to the message's nonce, over `buf`
 * in place, `aad` first. Encrypting writes the tag, decrypting checks
 * it. */
static int aead_run(EVP_CIPHER_CTX *c, bool enc, const uint8_t *aad,
		    size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag,
		    size_t tag_len)
{
	int n;

	if (len > INT32_MAX || aad_len > INT32_MAX)
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

/* The AEAD of one SK/SKF message of `sk` in direction `d`: the IV is at
 * msg + hdr_len, the encrypted part at `p`, the tag after it. */
static int skp_aead(const struct skp *sk, enum skp_dir d, uint8_t *msg,
		    size_t hdr_len, uint8_t *p, size_t enc_len)
{
	uint8_t nonce[16];
	EVP_CIPHER_CTX *c;

	aead_nonce(nonce, sk->encr, skp_ekey(sk, d), msg + hdr_len);
	if (!(c = skp_cipher(sk, d, nonce)))
		return CRYPTO_E_INTERNAL;
	return aead_run(c, d == SKP_OUT, msg, hdr_len, p, enc_len, p + enc_len,
			sk->encr->icv_len);
}

/* CBC over whole blocks in place; the IV is per message (§3.14). With
 * `make_iv`, the IV is first made and written to `iv`: E_K(counter), unique
 * per message and unpredictable without the key, as one CBC block under a
 * zero IV. */
static int skp_cbc(struct skp *sk, enum skp_dir d, uint8_t *iv, bool make_iv,
		   uint8_t *buf, size_t len)
{
	static const uint8_t zero[16];
	uint8_t block[16] = { 0 };
	EVP_CIPHER_CTX *c = skp_cipher(sk, d, make_iv ? zero : iv);
	int n;

	if (!c || len > INT32_MAX)
		return CRYPTO_E_INTERNAL;
	if (make_iv) {
		put_be64(block + 8, sk->next_iv++);
		if (!EVP_CipherUpdate(c, iv, &n, block, 16) || n != 16 ||
		    !EVP_CipherInit_ex2(c, NULL, NULL, iv, 1, NULL))
			return CRYPTO_E_INTERNAL;
	}
	if (!EVP_CipherUpdate(c, buf, &n, buf, (int)len) || (size_t)n != len)
		return CRYPTO_E_INTERNAL;
	return 0;
}

/* The truncated HMAC over msg[0, len) (§3.14: from the IKE header through
 * the encrypted data) with SK_a of direction `d`. */
static int icv_compute(const struct skp *sk, enum skp_dir d, const uint8_t *msg,
		       size_t len, uint8_t *icv)
{
	EVP_MAC_CTX *mac = skp_mac(sk, d);
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (!mac || !EVP_MAC_update(mac, msg, len) ||
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
	memset(p + plain_len, 0, pad);
	p[plain_len + pad] = (uint8_t)pad;
	if (sk->encr->aead) {
		rc = skp_aead(sk, SKP_OUT, msg, hdr_len, p, enc_len);
	} else {
		rc = skp_cbc(sk, SKP_OUT, msg + hdr_len, !iv, p, enc_len);
		if (rc == 0)
			rc = icv_compute(sk, SKP_OUT, msg, total - icv,
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
		rc = skp_aead(sk, SKP_IN, msg, hdr_len, p, enc_len);
	} else {
		/* integrity first, in constant time (§3.14) */
		rc = icv_compute(sk, SKP_IN, msg, msg_len - icv, want);
		if (rc == 0 && !crypto_equal(want, msg + msg_len - icv, icv))
			rc = CRYPTO_E_SK_ICV;
		if (rc == 0)
			rc = skp_cbc(sk, SKP_IN, msg + hdr_len, false, p,
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
	uint8_t nonce[16];
	int rc = CRYPTO_E_INTERNAL;

	if (!e || !e->aead || !key || !iv || !tag || (!buf && len) ||
	    (!aad && aad_len))
		return CRYPTO_E_ARG;
	aead_nonce(nonce, e, key, iv);
	cipher = EVP_CIPHER_fetch(NULL, e->cipher, NULL);
	c = EVP_CIPHER_CTX_new();
	if (cipher && c && EVP_CipherInit_ex2(c, cipher, key, nonce, enc, NULL))
		rc = aead_run(c, enc, aad ? aad : tag, aad_len, buf, len, tag,
			      e->icv_len);
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
