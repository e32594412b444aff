/* libFuzzer target: the IKEv2 decoder on hostile bytes (issue 3 item 7).
 *
 * Feeds the input as a UDP payload on port 500 and 4500 (datagram
 * classification, then the whole-message decoder) and, using the first
 * byte as the first payload type, as a bare payload chain (the path an SK
 * plaintext takes). ASan/UBSan catch any read outside the input; the
 * asserts check the decoder's own promises. CP payloads found are also
 * typed by cp_parse (virtual addresses, RFC 7296 §3.15.1). */
#include "engine/cp.h"
#include "engine/ike_msg.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_views(const struct ike_msg *m, const uint8_t *base,
			size_t size)
{
	assert(m->n_payloads <= IKE_MSG_MAX_PAYLOADS);
	for (unsigned i = 0; i < m->n_payloads; i++) {
		const struct ike_payload *p = &m->payloads[i];

		/* every payload body lies inside the buffer */
		assert(p->body.ptr >= base);
		assert(p->body.ptr + p->body.len <= base + size);
		/* the typed view of CP attributes (engine/cp.c) */
		if (p->type == PL_CP) {
			struct cp_attrs at;
			int rc = cp_parse(&p->u.cp, &at);

			assert(rc == 0 || rc == -ENG_ERR_MALFORMED);
			assert(at.n_addrs <= CP_MAX_VALUES &&
			       at.n_dns <= CP_MAX_VALUES &&
			       at.n_subnets <= CP_MAX_VALUES);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m;
	size_t off;
	int rc;

	for (int natt = 0; natt < 2; natt++) {
		if (ike_msg_classify(data, size, natt, &off) != IKE_DGRAM_IKE)
			continue;
		rc = ike_msg_decode(&m, data + off, size - off);
		assert(rc <= 0);
		if (rc == 0) {
			assert(m.hdr.length == size - off);
			check_views(&m, data + off, size - off);
		} else {
			assert(ike_err_name(rc)[0] == 'I');
		}
	}
	if (size > 0) {
		ike_msg_init(&m, 0, 0, 0, 0, 0);
		rc = ike_msg_decode_chain(&m, data[0], data + 1, size - 1,
					  true);
		assert(rc <= 0);
		if (rc == 0)
			check_views(&m, data + 1, size - 1);
	}
	return 0;
}
