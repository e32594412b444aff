/* SK / SKF payload protection (RFC 7296 §3.14, RFC 5282, RFC 7383).
 * Placeholder until the implementation lands: every call refuses. */
#include "crypto/sk.h"

#include "ike_iana.h"

#include <stdlib.h>

struct sk {
	int unused;
};

int sk_new(const struct keymat_ike *km, bool initiator, struct sk **out)
{
	(void)km, (void)initiator, (void)out;
	return CRYPTO_E_UNSUPPORTED;
}

void sk_free(struct sk *sk)
{
	free(sk);
}

size_t sk_header_len(unsigned payload_type)
{
	return payload_type == PL_SK ? 4 : payload_type == PL_SKF ? 8 : 0;
}

size_t sk_iv_len(const struct sk *sk)
{
	(void)sk;
	return 0;
}

size_t sk_overhead(const struct sk *sk, size_t plain_len)
{
	(void)sk, (void)plain_len;
	return 0;
}

int sk_protect(struct sk *sk, uint8_t *msg, size_t cap, size_t hdr_len,
	       unsigned payload_type, size_t plain_len, const uint8_t *iv,
	       size_t *msg_len)
{
	(void)sk, (void)msg, (void)cap, (void)hdr_len, (void)payload_type;
	(void)plain_len, (void)iv, (void)msg_len;
	return CRYPTO_E_UNSUPPORTED;
}

int sk_unprotect(struct sk *sk, uint8_t *msg, size_t msg_len, size_t hdr_len,
		 unsigned payload_type, size_t *plain_off, size_t *plain_len)
{
	(void)sk, (void)msg, (void)msg_len, (void)hdr_len, (void)payload_type;
	(void)plain_off, (void)plain_len;
	return CRYPTO_E_UNSUPPORTED;
}
