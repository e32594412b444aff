/* The vici wire format; see vici.h. */
#include "control/vici.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool vici_type_named(unsigned type)
{
	return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER ||
	       type == VICI_EVENT_UNREGISTER || type == VICI_EVENT;
}

int vici_packet_decode(const uint8_t *buf, size_t len, struct vici_packet *out)
{
	struct rd r = rd_init(buf, len);

	memset(out, 0, sizeof(*out));
	out->type = rd_u8(&r);
	if (!rd_ok(&r) || out->type > VICI_EVENT)
		return -EBADMSG;
	if (vici_type_named(out->type)) {
		out->name_len = rd_u8(&r);
		out->name = rd_bytes(&r, out->name_len);
		if (!rd_ok(&r))
			return -EBADMSG;
	}
	out->msg_len = rd_left(&r);
	out->msg = rd_bytes(&r, out->msg_len);
	return vici_msg_check(out->msg, out->msg_len);
}

void vici_iter_init(struct vici_iter *it, const uint8_t *msg, size_t len)
{
	it->r = rd_init(msg, len);
	it->depth = 0;
	it->in_list = false;
}

/* An element's name: 8-bit length, then that many bytes. */
static void vici_read_name(struct rd *r, struct vici_elem *e)
{
	e->name_len = rd_u8(r);
	e->name = rd_bytes(r, e->name_len);
}

static void vici_read_value(struct rd *r, struct vici_elem *e)
{
	e->value_len = rd_u16(r);
	e->value = rd_bytes(r, e->value_len);
}

int vici_iter_next(struct vici_iter *it, struct vici_elem *e)
{
	struct rd *r = &it->r;

	memset(e, 0, sizeof(*e));
	if (!rd_ok(r))
		return -EBADMSG;
	if (rd_left(r) == 0)
		return it->depth == 0 && !it->in_list ? 0 : -EBADMSG;
	e->type = rd_u8(r);
	e->depth = (uint8_t)it->depth;
	/* Inside a list only items and its end may appear. */
	if (it->in_list !=
	    (e->type == VICI_LIST_ITEM || e->type == VICI_LIST_END))
		return -EBADMSG;
	switch (e->type) {
	case VICI_SECTION_START:
		if (it->depth >= VICI_DEPTH_MAX)
			return -EBADMSG;
		vici_read_name(r, e);
		it->depth++;
		break;
	case VICI_SECTION_END:
		if (it->depth == 0)
			return -EBADMSG;
		it->depth--;
		e->depth = (uint8_t)it->depth;
		break;
	case VICI_KEY_VALUE:
		vici_read_name(r, e);
		vici_read_value(r, e);
		break;
	case VICI_LIST_START:
		vici_read_name(r, e);
		it->in_list = true;
		break;
	case VICI_LIST_ITEM: vici_read_value(r, e); break;
	case VICI_LIST_END: it->in_list = false; break;
	default: return -EBADMSG;
	}
	return rd_ok(r) ? 1 : -EBADMSG;
}

int vici_msg_check(const uint8_t *msg, size_t len)
{
	struct vici_iter it;
	struct vici_elem e;
	int r;

	vici_iter_init(&it, msg, len);
	while ((r = vici_iter_next(&it, &e)) > 0)
		;
	return r;
}

bool vici_name_is(const struct vici_elem *e, const char *s)
{
	size_t n = strlen(s);

	return e->name && n == e->name_len && memcmp(e->name, s, n) == 0;
}

/* True if `e`'s name equals path component [p, p + n). */
static bool vici_name_eq(const struct vici_elem *e, const char *p, size_t n)
{
	return n == e->name_len && memcmp(e->name, p, n) == 0;
}

int vici_find_str(const uint8_t *msg, size_t len, const char *path, char *out,
		  size_t cap)
{
	const char *comp[VICI_DEPTH_MAX + 1];
	size_t comp_len[VICI_DEPTH_MAX + 1];
	unsigned ncomp = 0, matched = 0;
	struct vici_iter it;
	struct vici_elem e;
	int r;

	/* Split "a.b.key" into its components. */
	for (const char *p = path;; ncomp++) {
		const char *dot = strchr(p, '.');

		if (ncomp > VICI_DEPTH_MAX)
			return -ENOENT;
		comp[ncomp] = p;
		comp_len[ncomp] = dot ? (size_t)(dot - p) : strlen(p);
		if (!dot) {
			ncomp++;
			break;
		}
		p = dot + 1;
	}
	vici_iter_init(&it, msg, len);
	while ((r = vici_iter_next(&it, &e)) > 0) {
		/* `matched`: how many leading components the open sections
		 * match, never more than the depth. */
		if (e.type == VICI_SECTION_START) {
			if (matched == e.depth && e.depth + 1u < ncomp &&
			    vici_name_eq(&e, comp[e.depth], comp_len[e.depth]))
				matched = e.depth + 1u;
		} else if (e.type == VICI_SECTION_END) {
			if (matched > e.depth)
				matched = e.depth;
		} else if (e.type == VICI_KEY_VALUE && matched == e.depth &&
			   e.depth + 1u == ncomp &&
			   vici_name_eq(&e, comp[e.depth], comp_len[e.depth])) {
			if (e.value_len >= cap ||
			    memchr(e.value, 0, e.value_len))
				return -ENOSPC;
			memcpy(out, e.value, e.value_len);
			out[e.value_len] = 0;
			return 0;
		}
	}
	return r < 0 ? r : -ENOENT;
}

/* ---- writing ----------------------------------------------------------- */

static bool vici_wr_name(struct wr *w, const char *name)
{
	size_t n = strlen(name);

	if (n > VICI_NAME_MAX) {
		wr_fail(w);
		return false;
	}
	return wr_u8(w, (uint8_t)n) && wr_bytes(w, name, n);
}

static bool vici_wr_value(struct wr *w, const char *value)
{
	size_t n = strlen(value);

	if (n > VICI_VALUE_MAX) {
		wr_fail(w);
		return false;
	}
	return wr_u16(w, (uint16_t)n) && wr_bytes(w, value, n);
}

size_t vici_begin(struct wr *w, unsigned type, const char *name)
{
	size_t at = wr_reserve_u32(w);

	wr_u8(w, (uint8_t)type);
	if (vici_type_named(type))
		vici_wr_name(w, name ? name : "");
	return at;
}

bool vici_end(struct wr *w, size_t at)
{
	if (!wr_fill_len_u32(w, at, at + 4))
		return false;
	if (wr_len(w) - at - 4 > VICI_LEN_MAX) {
		wr_fail(w);
		return false;
	}
	return true;
}

bool vici_section(struct wr *w, const char *name)
{
	return wr_u8(w, VICI_SECTION_START) && vici_wr_name(w, name);
}

bool vici_section_end(struct wr *w)
{
	return wr_u8(w, VICI_SECTION_END);
}

bool vici_kv(struct wr *w, const char *key, const char *value)
{
	return wr_u8(w, VICI_KEY_VALUE) && vici_wr_name(w, key) &&
	       vici_wr_value(w, value);
}

bool vici_kvf(struct wr *w, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		wr_fail(w);
		return false;
	}
	return vici_kv(w, key, buf);
}

bool vici_list(struct wr *w, const char *name)
{
	return wr_u8(w, VICI_LIST_START) && vici_wr_name(w, name);
}

bool vici_item(struct wr *w, const char *value)
{
	return wr_u8(w, VICI_LIST_ITEM) && vici_wr_value(w, value);
}

bool vici_list_end(struct wr *w)
{
	return wr_u8(w, VICI_LIST_END);
}
