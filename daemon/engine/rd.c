/* Bounds-checked big-endian reader; see rd.h. */
#include "engine/rd.h"

#include <string.h>

struct rd rd_init(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!p && len)
		return (struct rd){ .err = true };
	return (struct rd){ .pos = p, .end = p ? p + len : p };
}

size_t rd_left(const struct rd *r)
{
	return r->err ? 0 : (size_t)(r->end - r->pos);
}

bool rd_ok(const struct rd *r)
{
	return !r->err;
}

void rd_fail(struct rd *r)
{
	r->err = true;
}

/* Returns the next n bytes and advances, or NULL and fails the reader. */
static const uint8_t *rd_take(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || (size_t)(r->end - r->pos) < n) {
		r->err = true;
		return NULL;
	}
	p = r->pos;
	r->pos += n;
	return p;
}

uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);
	return p ? p[0] : 0;
}

uint16_t rd_u16(struct rd *r)
{
	const uint8_t *p = rd_take(r, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_take(r, 4);

	if (!p)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint64_t rd_u64(struct rd *r)
{
	uint64_t hi = rd_u32(r);
	uint64_t lo = rd_u32(r);
	return r->err ? 0 : hi << 32 | lo;
}

const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	return rd_take(r, n);
}

bool rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	if (!p) {
		if (n)
			memset(dst, 0, n);
		return false;
	}
	if (n)
		memcpy(dst, p, n);
	return true;
}

bool rd_skip(struct rd *r, size_t n)
{
	return rd_take(r, n) != NULL;
}

struct rd rd_sub(struct rd *r, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	if (!p)
		return (struct rd){ .err = true };
	return (struct rd){ .pos = p, .end = p + n };
}

struct rd rd_rest(struct rd *r)
{
	return rd_sub(r, rd_left(r));
}

bool rd_end(struct rd *r)
{
	if (r->pos != r->end)
		r->err = true;
	return !r->err;
}
