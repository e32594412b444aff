/* NAT detection hashes (RFC 7296 §2.23). Kept apart from the files that
 * include crypto/skp.h: OpenSSL's safestack macros define `sk_new`. */
#include "engine/ike_sa.h"

#include <openssl/evp.h>
#include <string.h>

int nat_hash(uint64_t spi_i, uint64_t spi_r, const struct engine_addr *a,
	     uint8_t out[NAT_HASH_LEN])
{
	uint8_t buf[8 + 8 + 16 + 2];
	size_t alen = a->family == 10 ? 16 : 4, n = 16;
	unsigned int len = 0;

	for (int i = 0; i < 8; i++) {
		buf[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		buf[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	memcpy(buf + n, a->ip, alen);
	n += alen;
	buf[n++] = (uint8_t)(a->port >> 8);
	buf[n++] = (uint8_t)a->port;
	if (!EVP_Digest(buf, n, out, &len, EVP_sha1(), NULL) ||
	    len != NAT_HASH_LEN)
		return -ENG_ERR_CRYPTO;
	return 0;
}
