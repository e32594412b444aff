/* The vici wire format (strongSwan's Versatile IKE Control Interface), as
 * pure functions over buffers: no sockets here.
 *
 * A transport segment is a 32-bit big-endian length (at most VICI_LEN_MAX)
 * followed by a packet: one type byte, for named types a name (8-bit length,
 * no NUL), then a message. A message is a sequence of elements: sections
 * (named, nested, balanced), key/values (named, 16-bit length value), and
 * lists (named, not nested, holding only items). Values are opaque bytes;
 * the daemon sends text only, numbers as decimal strings.
 *
 * Writing goes through struct wr (engine/wr.h): a failed write (no room, a
 * name over 255 bytes, a value over 65535) fails the writer, check wr_ok()
 * once. Reading goes through struct rd (engine/rd.h) and never trusts the
 * input: vici_iter_next() refuses any element that breaks the nesting rules.
 */
#ifndef KB_CONTROL_VICI_H
#define KB_CONTROL_VICI_H

#include "engine/rd.h"
#include "engine/wr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vici_packet_type {
	VICI_CMD_REQUEST = 0,	   /* named: a command */
	VICI_CMD_RESPONSE = 1,	   /* its answer */
	VICI_CMD_UNKNOWN = 2,	   /* no such command */
	VICI_EVENT_REGISTER = 3,   /* named: subscribe to an event */
	VICI_EVENT_UNREGISTER = 4, /* named: unsubscribe */
	VICI_EVENT_CONFIRM = 5,	   /* (un)subscription done */
	VICI_EVENT_UNKNOWN = 6,	   /* no such event */
	VICI_EVENT = 7,		   /* named: an event message */
};

enum vici_elem_type {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

enum {
	VICI_LEN_MAX = 512 * 1024, /* largest segment, length field excluded */
	VICI_DEPTH_MAX = 32,	   /* deepest section nesting we accept */
	VICI_NAME_MAX = 255,
	VICI_VALUE_MAX = 65535,
};

/* True for packet types that carry a name. */
bool vici_type_named(unsigned type);

/* One decoded packet; pointers into the caller's buffer. */
struct vici_packet {
	uint8_t type;
	const uint8_t *name; /* NULL for unnamed types */
	uint8_t name_len;
	const uint8_t *msg; /* the message, possibly empty */
	size_t msg_len;
};

/* Decodes a packet: the `len` bytes after the transport length field.
 * Returns 0, or -EBADMSG for an unknown type, a truncated name or a
 * message that is not well formed (see vici_msg_check). */
int vici_packet_decode(const uint8_t *buf, size_t len, struct vici_packet *out)
	__attribute__((warn_unused_result));

/* One message element; pointers into the message. `depth` is the section
 * nesting the element sits in (0: the root), for SECTION_END the depth of
 * the section it closes. */
struct vici_elem {
	uint8_t type;
	uint8_t depth;
	const uint8_t *name; /* SECTION_START, KEY_VALUE, LIST_START */
	uint8_t name_len;
	const uint8_t *value; /* KEY_VALUE, LIST_ITEM */
	uint16_t value_len;
};

/* A walk over a message that checks its structure as it goes. */
struct vici_iter {
	struct rd r;
	unsigned depth;
	bool in_list;
};

void vici_iter_init(struct vici_iter *it, const uint8_t *msg, size_t len);

/* Next element: 1 with `e` filled, 0 at a well-formed end (all sections
 * and lists closed), -EBADMSG on anything else: unknown element types,
 * truncation, an unbalanced SECTION_END, a list inside a list, an item or
 * LIST_END outside one, keys or sections inside a list, nesting deeper
 * than VICI_DEPTH_MAX. */
int vici_iter_next(struct vici_iter *it, struct vici_elem *e)
	__attribute__((warn_unused_result));

/* 0 if the message is well formed, else -EBADMSG. */
int vici_msg_check(const uint8_t *msg, size_t len)
	__attribute__((warn_unused_result));

/* Finds the key/value at `path` ("key" at the root, "sec.sub.key" inside
 * sections) and copies its value, NUL-terminated, into `out`. Returns 0,
 * -ENOENT if absent, -ENOSPC if it does not fit or holds a NUL byte,
 * -EBADMSG if the message is malformed. */
int vici_find_str(const uint8_t *msg, size_t len, const char *path, char *out,
		  size_t cap) __attribute__((warn_unused_result));

/* True if `e`'s name equals the C string `s`. */
bool vici_name_is(const struct vici_elem *e, const char *s);

/* ---- writing ----------------------------------------------------------- */

/* Starts a segment: reserves its length and writes the packet type and,
 * for named types, `name`. Returns the offset to pass to vici_end(). */
size_t vici_begin(struct wr *w, unsigned type, const char *name);

/* Fills in the segment length; fails the writer if it exceeds
 * VICI_LEN_MAX. */
bool vici_end(struct wr *w, size_t at);

bool vici_section(struct wr *w, const char *name);
bool vici_section_end(struct wr *w);
bool vici_kv(struct wr *w, const char *key, const char *value);
bool vici_kvf(struct wr *w, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool vici_list(struct wr *w, const char *name);
bool vici_item(struct wr *w, const char *value);
bool vici_list_end(struct wr *w);

#endif
