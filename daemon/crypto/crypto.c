/* Error names and small helpers shared by daemon/crypto. */
#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

const char *crypto_err_name(int err)
{
	switch (err) {
	case 0: return "success";
#define CRYPTO_ERR_NAME(sym, val, name)                                        \
	case val: return name;
		CRYPTO_ERRORS(CRYPTO_ERR_NAME)
#undef CRYPTO_ERR_NAME
	}
	return NULL;
}

const char *crypto_err_symbol(int err)
{
	switch (err) {
#define CRYPTO_ERR_SYM(sym, val, name)                                         \
	case val: return #sym;
		CRYPTO_ERRORS(CRYPTO_ERR_SYM)
#undef CRYPTO_ERR_SYM
	}
	return NULL;
}

void crypto_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

int crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int crypto_random(void *out, size_t len)
{
	if (len > (size_t)INT32_MAX)
		return CRYPTO_E_ARG;
	return RAND_bytes(out, (int)len) == 1 ? 0 : CRYPTO_E_INTERNAL;
}

int crypto_getrandom(void *out, size_t len)
{
	uint8_t *p = out;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
