/* Bounds-checked big-endian writer; see wr.h. */
#include "engine/wr.h"

#include <string.h>

struct wr wr_init(void *buf, size_t cap)
{
	if (!buf && cap)
		return (struct wr){ .err = true };
	return (struct wr){ .buf = buf, .cap = cap };
}

bool wr_ok(const struct wr *w)
{
	return !w->err;
}

void wr_fail(struct wr *w)
{
	w->err = true;
}

size_t wr_len(const struct wr *w)
{
	return w->len;
}

uint8_t *wr_space(struct wr *w, size_t n)
{
	uint8_t *p;

	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

bool wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *p = wr_space(w, 1);

	if (p)
		p[0] = v;
	return p != NULL;
}

bool wr_u16(struct wr *w, uint16_t v)
{
	uint8_t *p = wr_space(w, 2);

	if (p) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
	return p != NULL;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool wr_u32(struct wr *w, uint32_t v)
{
	uint8_t *p = wr_space(w, 4);

	if (p)
		put_u32(p, v);
	return p != NULL;
}

bool wr_u64(struct wr *w, uint64_t v)
{
	uint8_t *p = wr_space(w, 8);

	if (p) {
		put_u32(p, (uint32_t)(v >> 32));
		put_u32(p + 4, (uint32_t)v);
	}
	return p != NULL;
}

bool wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_space(w, n);

	if (p && n)
		memcpy(p, src, n);
	return p != NULL;
}

bool wr_zero(struct wr *w, size_t n)
{
	uint8_t *p = wr_space(w, n);

	if (p && n)
		memset(p, 0, n);
	return p != NULL;
}

size_t wr_reserve_u16(struct wr *w)
{
	size_t at = w->len;

	wr_u16(w, 0);
	return at;
}

size_t wr_reserve_u32(struct wr *w)
{
	size_t at = w->len;

	wr_u32(w, 0);
	return at;
}

bool wr_fill_len_u16(struct wr *w, size_t at, size_t from)
{
	size_t n;

	if (w->err || at > w->len || w->len - at < 2 || from > w->len) {
		w->err = true;
		return false;
	}
	n = w->len - from;
	if (n > UINT16_MAX) {
		w->err = true;
		return false;
	}
	w->buf[at] = (uint8_t)(n >> 8);
	w->buf[at + 1] = (uint8_t)n;
	return true;
}

bool wr_fill_len_u32(struct wr *w, size_t at, size_t from)
{
	size_t n;

	if (w->err || at > w->len || w->len - at < 4 || from > w->len) {
		w->err = true;
		return false;
	}
	n = w->len - from;
	if (n > UINT32_MAX) {
		w->err = true;
		return false;
	}
	put_u32(w->buf + at, (uint32_t)n);
	return true;
}

bool wr_patch_u8(struct wr *w, size_t at, uint8_t v)
{
	if (w->err || at >= w->len) {
		w->err = true;
		return false;
	}
	w->buf[at] = v;
	return true;
}
