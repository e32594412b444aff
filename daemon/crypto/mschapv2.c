/* MS-CHAPv2 and MPPE keys (RFC 2759, RFC 3079); see mschapv2.h.
 *
 * MD4 and DES come from OpenSSL's legacy provider in a private library
 * context: implementing either here would put a second, untested copy of
 * a block cipher and a hash in a security daemon, while the provider is
 * part of every OpenSSL 3 installation (Debian's libssl3 ships it). Keeping
 * it out of the default context means nothing else can select them. */
#include "crypto/mschapv2.h"

#include <openssl/evp.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <string.h>

static OSSL_LIB_CTX *legacy_ctx;
static EVP_MD *md4;
static EVP_CIPHER *des_ecb;
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;

static void legacy_init(void)
{
	legacy_ctx = OSSL_LIB_CTX_new();
	if (!legacy_ctx || !OSSL_PROVIDER_load(legacy_ctx, "legacy") ||
	    !OSSL_PROVIDER_load(legacy_ctx, "default"))
		return;
	md4 = EVP_MD_fetch(legacy_ctx, "MD4", NULL);
	des_ecb = EVP_CIPHER_fetch(legacy_ctx, "DES-ECB", NULL);
}

static int legacy_ready(void)
{
	pthread_once(&legacy_once, legacy_init);
	return md4 && des_ecb ? 0 : CRYPTO_E_INTERNAL;
}

/* One digest over several pieces. */
static int digest(const EVP_MD *md, const struct crypto_span *s, size_t n,
		  uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex2(c, md, NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(c, s[i].ptr, s[i].len);
	ok = ok && EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return ok ? 0 : CRYPTO_E_INTERNAL;
}

static int sha1(const struct crypto_span *s, size_t n, uint8_t out[20])
{
	return digest(EVP_sha1(), s, n, out);
}

/* One UTF-8 sequence at s[*i] as a code point, or -1 if malformed
 * (overlong forms, surrogates and values above U+10FFFF included). */
static long utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	static const long min[] = { 0, 0x80, 0x800, 0x10000 };
	uint8_t b = s[(*i)++];
	size_t more;
	long cp;

	if (b < 0x80)
		return b;
	if ((b & 0xe0) == 0xc0)
		more = 1, cp = b & 0x1f;
	else if ((b & 0xf0) == 0xe0)
		more = 2, cp = b & 0x0f;
	else if ((b & 0xf8) == 0xf0)
		more = 3, cp = b & 0x07;
	else
		return -1;
	if (len - *i < more)
		return -1;
	for (size_t k = 0; k < more; k++) {
		b = s[(*i)++];
		if ((b & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (b & 0x3f);
	}
	if (cp < min[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	return cp;
}

int mschapv2_nt_hash(const void *password, size_t len,
		     uint8_t out[MSCHAPV2_HASH_LEN])
{
	/* UTF-16: at most two units per character */
	uint8_t u16[MSCHAPV2_PASSWORD_MAX * 4];
	const uint8_t *s = password;
	size_t i = 0, n = 0, chars = 0;
	int err = CRYPTO_E_ARG;

	if ((err = legacy_ready()))
		return err;
	err = CRYPTO_E_ARG;
	while (i < len) {
		long cp = utf8_next(s, len, &i);

		if (cp < 0 || ++chars > MSCHAPV2_PASSWORD_MAX)
			goto out;
		if (cp >= 0x10000) { /* a surrogate pair */
			long v = cp - 0x10000, hi = 0xd800 | v >> 10,
			     lo = 0xdc00 | (v & 0x3ff);

			u16[n++] = (uint8_t)hi;
			u16[n++] = (uint8_t)(hi >> 8);
			cp = lo;
		}
		u16[n++] = (uint8_t)cp;
		u16[n++] = (uint8_t)(cp >> 8);
	}
	err = digest(md4, &(struct crypto_span){ u16, n }, 1, out);
out:
	crypto_wipe(u16, sizeof(u16));
	return err;
}

const uint8_t *mschapv2_user(const uint8_t *name, size_t len, size_t *out_len)
{
	const uint8_t *bs = len ? memchr(name, '\\', len) : NULL;

	if (!bs) {
		*out_len = len;
		return name;
	}
	*out_len = len - (size_t)(bs + 1 - name);
	return bs + 1;
}

int mschapv2_challenge_hash(const uint8_t peer[MSCHAPV2_CHALLENGE_LEN],
			    const uint8_t auth[MSCHAPV2_CHALLENGE_LEN],
			    const uint8_t *user, size_t user_len,
			    uint8_t out[8])
{
	const struct crypto_span s[] = {
		{ peer, MSCHAPV2_CHALLENGE_LEN },
		{ auth, MSCHAPV2_CHALLENGE_LEN },
		{ user, user_len },
	};
	uint8_t d[20];
	int err = sha1(s, 3, d);

	memcpy(out, d, 8);
	crypto_wipe(d, sizeof(d));
	return err;
}

/* DesEncrypt (§8.6): a 7-byte key spread over the 8 bytes DES takes, the
 * low (parity) bit of each left zero; DES ignores it. */
static int des_block(const uint8_t clear[8], const uint8_t k7[7],
		     uint8_t out[8])
{
	uint8_t k[8];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok;

	k[0] = k7[0] & 0xfe;
	for (int i = 1; i < 7; i++)
		k[i] = (uint8_t)((k7[i - 1] << (8 - i)) | (k7[i] >> i)) & 0xfe;
	k[7] = (uint8_t)(k7[6] << 1);
	ok = c && EVP_EncryptInit_ex2(c, des_ecb, k, NULL, NULL) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) &&
	     EVP_EncryptUpdate(c, out, &len, clear, 8) && len == 8;
	EVP_CIPHER_CTX_free(c);
	crypto_wipe(k, sizeof(k));
	return ok ? 0 : CRYPTO_E_INTERNAL;
}

int mschapv2_challenge_response(const uint8_t challenge[8],
				const uint8_t hash[MSCHAPV2_HASH_LEN],
				uint8_t out[MSCHAPV2_NT_RESPONSE_LEN])
{
	uint8_t z[21] = { 0 };
	int err = legacy_ready();

	memcpy(z, hash, MSCHAPV2_HASH_LEN);
	for (int i = 0; !err && i < 3; i++)
		err = des_block(challenge, z + 7 * i, out + 8 * i);
	crypto_wipe(z, sizeof(z));
	return err;
}

int mschapv2_nt_response(const uint8_t auth[MSCHAPV2_CHALLENGE_LEN],
			 const uint8_t peer[MSCHAPV2_CHALLENGE_LEN],
			 const uint8_t *user, size_t user_len,
			 const uint8_t hash[MSCHAPV2_HASH_LEN],
			 uint8_t out[MSCHAPV2_NT_RESPONSE_LEN])
{
	uint8_t ch[8];
	int err = mschapv2_challenge_hash(peer, auth, user, user_len, ch);

	if (!err)
		err = mschapv2_challenge_response(ch, hash, out);
	return err;
}

/* HashNtPasswordHash (§8.4). */
static int hash_hash(const uint8_t hash[MSCHAPV2_HASH_LEN],
		     uint8_t out[MSCHAPV2_HASH_LEN])
{
	int err = legacy_ready();

	return err ? err
		   : digest(md4,
			    &(struct crypto_span){ hash, MSCHAPV2_HASH_LEN }, 1,
			    out);
}

int mschapv2_auth_response(const uint8_t hash[MSCHAPV2_HASH_LEN],
			   const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
			   const uint8_t peer[MSCHAPV2_CHALLENGE_LEN],
			   const uint8_t auth[MSCHAPV2_CHALLENGE_LEN],
			   const uint8_t *user, size_t user_len,
			   uint8_t out[MSCHAPV2_AUTH_RESPONSE_LEN])
{
	static const char magic1[] = "Magic server to client signing constant";
	static const char magic2[] =
		"Pad to make it do more than one iteration";
	static const char hex[] = "0123456789ABCDEF";
	uint8_t hh[MSCHAPV2_HASH_LEN], d[20], ch[8];
	int err;

	if ((err = hash_hash(hash, hh)) ||
	    (err = sha1(
		     (const struct crypto_span[]){
			     { hh, sizeof(hh) },
			     { nt_response, MSCHAPV2_NT_RESPONSE_LEN },
			     { magic1, sizeof(magic1) - 1 } },
		     3, d)) ||
	    (err = mschapv2_challenge_hash(peer, auth, user, user_len, ch)) ||
	    (err = sha1((const struct crypto_span[]){ { d, sizeof(d) },
						      { ch, sizeof(ch) },
						      { magic2,
							sizeof(magic2) - 1 } },
			3, d)))
		goto out;
	out[0] = 'S';
	out[1] = '=';
	for (int i = 0; i < 20; i++) {
		out[2 + 2 * i] = (uint8_t)hex[d[i] >> 4];
		out[3 + 2 * i] = (uint8_t)hex[d[i] & 15];
	}
out:
	crypto_wipe(hh, sizeof(hh));
	crypto_wipe(d, sizeof(d));
	return err;
}

int mschapv2_master_key(const uint8_t hash[MSCHAPV2_HASH_LEN],
			const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
			uint8_t out[MSCHAPV2_HASH_LEN])
{
	static const char magic1[] = "This is the MPPE Master Key";
	uint8_t hh[MSCHAPV2_HASH_LEN], d[20];
	int err;

	if (!(err = hash_hash(hash, hh)))
		err = sha1(
			(const struct crypto_span[]){
				{ hh, sizeof(hh) },
				{ nt_response, MSCHAPV2_NT_RESPONSE_LEN },
				{ magic1, sizeof(magic1) - 1 } },
			3, d);
	memcpy(out, d, MSCHAPV2_HASH_LEN);
	crypto_wipe(hh, sizeof(hh));
	crypto_wipe(d, sizeof(d));
	return err;
}

int mschapv2_start_key(const uint8_t master[MSCHAPV2_HASH_LEN], bool is_send,
		       bool is_server, uint8_t out[MSCHAPV2_HASH_LEN])
{
	/* RFC 3079 §3.4: Magic2 names the client's send key, Magic3 its
	 * receive key; the server's keys are the other way round. */
	static const char magic2[] =
		"On the client side, this is the send key; on the server "
		"side, it is the receive key.";
	static const char magic3[] =
		"On the client side, this is the receive key; on the server "
		"side, it is the send key.";
	const char *magic = is_send != is_server ? magic2 : magic3;
	uint8_t pad1[40], pad2[40], d[20];
	int err;

	memset(pad1, 0x00, sizeof(pad1));
	memset(pad2, 0xf2, sizeof(pad2));
	err = sha1((const struct crypto_span[]){ { master, MSCHAPV2_HASH_LEN },
						 { pad1, sizeof(pad1) },
						 { magic, strlen(magic) },
						 { pad2, sizeof(pad2) } },
		   4, d);
	memcpy(out, d, MSCHAPV2_HASH_LEN);
	crypto_wipe(d, sizeof(d));
	return err;
}

int mschapv2_msk(const uint8_t hash[MSCHAPV2_HASH_LEN],
		 const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
		 uint8_t out[MSCHAPV2_MSK_LEN])
{
	uint8_t mk[MSCHAPV2_HASH_LEN];
	int err;

	memset(out, 0, MSCHAPV2_MSK_LEN);
	if (!(err = mschapv2_master_key(hash, nt_response, mk)) &&
	    !(err = mschapv2_start_key(mk, false, true, out)))
		err = mschapv2_start_key(mk, true, true,
					 out + MSCHAPV2_HASH_LEN);
	crypto_wipe(mk, sizeof(mk));
	if (err)
		crypto_wipe(out, MSCHAPV2_MSK_LEN);
	return err;
}
