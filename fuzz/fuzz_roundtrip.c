/* libFuzzer target: decode -> encode -> decode -> encode (issue 3 item 7).
 *
 * Whatever the decoder accepts, the encoder must write back: the same
 * length (every length field is recomputed, nothing is dropped), bytes that
 * decode again, and a second encoding identical to the first (reserved
 * fields are the only thing allowed to change, and they go to zero at the
 * first step). For input whose reserved fields are already zero, the first
 * encoding equals the input. */
#include "engine/ike_msg.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m1, m2;
	static uint8_t out1[70000], out2[70000];
	size_t len1, len2;
	int rc;

	if (size > 65535 || ike_msg_decode(&m1, data, size) != 0)
		return 0;
	rc = ike_msg_encode(&m1, out1, sizeof(out1), &len1);
	assert(rc == 0);
	assert(len1 == size);
	rc = ike_msg_decode(&m2, out1, len1);
	assert(rc == 0);
	assert(m2.n_payloads == m1.n_payloads);
	rc = ike_msg_encode(&m2, out2, sizeof(out2), &len2);
	assert(rc == 0);
	assert(len2 == len1);
	assert(memcmp(out1, out2, len1) == 0);
	/* The header is copied field by field, never a reserved bit. */
	assert(memcmp(out1, data, IKE_HDR_LEN) == 0);
	return 0;
}
