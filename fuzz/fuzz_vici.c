/* libFuzzer target: the vici decoder (control/vici.c) on hostile bytes.
 *
 * The input is one packet as a client sends it after the 32-bit length.
 * The packet decoder and the message walk must agree, never read outside
 * the input, and every key found by a lookup must be one the walk saw.
 * Whatever the walk accepts is written again with the encoder and must
 * come out byte for byte the same. Seeds: fuzz/seeds/vici_*.bin. */
#include "control/vici.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-encodes a well-formed message element by element. */
static void reencode(const uint8_t *msg, size_t len)
{
	static uint8_t out[VICI_LEN_MAX + 64];
	struct wr w = wr_init(out, sizeof(out));
	struct vici_iter it;
	struct vici_elem e;
	char name[VICI_NAME_MAX + 1];
	int r;

	vici_iter_init(&it, msg, len);
	while ((r = vici_iter_next(&it, &e)) > 0) {
		memcpy(name, e.name ? (const char *)e.name : "", e.name_len);
		name[e.name_len] = 0;
		if (memchr(name, 0, e.name_len) ||
		    (e.value && memchr(e.value, 0, e.value_len)))
			return; /* the C-string encoder cannot say NUL */
		switch (e.type) {
		case VICI_SECTION_START: vici_section(&w, name); break;
		case VICI_SECTION_END: vici_section_end(&w); break;
		case VICI_LIST_START: vici_list(&w, name); break;
		case VICI_LIST_END: vici_list_end(&w); break;
		case VICI_KEY_VALUE:
		case VICI_LIST_ITEM:
			wr_u8(&w, e.type);
			if (e.type == VICI_KEY_VALUE) {
				wr_u8(&w, e.name_len);
				wr_bytes(&w, name, e.name_len);
			}
			wr_u16(&w, e.value_len);
			wr_bytes(&w, e.value, e.value_len);
			break;
		}
	}
	assert(r == 0);
	assert(wr_ok(&w));
	assert(wr_len(&w) == len && memcmp(out, msg, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_packet p;
	char val[64];
	int r;

	if (size > VICI_LEN_MAX)
		return 0;
	r = vici_packet_decode(data, size, &p);
	assert(r == 0 || r == -EBADMSG);
	if (r)
		return 0;
	assert(p.msg + p.msg_len == data + size);
	assert(vici_msg_check(p.msg, p.msg_len) == 0);
	r = vici_find_str(p.msg, p.msg_len, "ike", val, sizeof(val));
	assert(r == 0 || r == -ENOENT || r == -ENOSPC);
	if (r == 0)
		assert(strlen(val) < sizeof(val));
	r = vici_find_str(p.msg, p.msg_len, "a.b.c", val, sizeof(val));
	assert(r == 0 || r == -ENOENT || r == -ENOSPC);
	reencode(p.msg, p.msg_len);
	return 0;
}
