/* libFuzzer target: the EAP codec (daemon/engine/eap_msg.c) on hostile
 * bytes, as an EAP payload from a road warrior carries them (issue 17).
 *
 * Every view of a decoded message must lie inside the input; a message
 * that decodes is encoded again and must decode to the same fields (the
 * reserved octets and MS-Length are written fresh, so bytes may differ
 * there only). ASan/UBSan catch reads outside the input. */
#include "engine/eap_msg.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const void *p, size_t n, const uint8_t *base, size_t size)
{
	const uint8_t *b = p;

	if (!b)
		return;
	assert(b >= base && b + n <= base + size);
}

static void same_bytes(struct ike_bytes a, struct ike_bytes b)
{
	assert(a.len == b.len);
	assert(!a.len || !memcmp(a.ptr, b.ptr, a.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[EAP_MSG_MAX * 70];
	struct eap_msg m, again;
	size_t len = 0;
	int err;

	if (eap_msg_decode(&m, data, size))
		return 0;
	inside(m.data.ptr, m.data.len, data, size);
	inside(m.ms.challenge, 16, data, size);
	inside(m.ms.peer_challenge, 16, data, size);
	inside(m.ms.nt_response, 24, data, size);
	inside(m.ms.name.ptr, m.ms.name.len, data, size);
	inside(m.ms.message.ptr, m.ms.message.len, data, size);
	if (m.code == EAP_CODE_SUCCESS || m.code == EAP_CODE_FAILURE)
		err = eap_msg_encode_result(m.code, m.identifier, out,
					    sizeof(out), &len);
	else if (m.type == EAP_TYPE_MSCHAPV2)
		err = eap_msg_encode_ms(m.code, m.identifier, &m.ms, out,
					sizeof(out), &len);
	else
		err = eap_msg_encode_simple(m.code, m.identifier, m.type,
					    m.data.ptr, m.data.len, out,
					    sizeof(out), &len);
	assert(!err && len == size);
	assert(!eap_msg_decode(&again, out, len));
	assert(again.code == m.code && again.identifier == m.identifier &&
	       again.type == m.type && again.ms.op == m.ms.op &&
	       again.ms.flags == m.ms.flags);
	if (m.type != EAP_TYPE_MSCHAPV2)
		same_bytes(m.data, again.data);
	same_bytes(m.ms.name, again.ms.name);
	same_bytes(m.ms.message, again.ms.message);
	return 0;
}
