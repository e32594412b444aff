/* Bounds-checked big-endian reader over a byte buffer (STYLE.md rule 3).
 *
 * Errors are sticky: a read past the end returns zero (or NULL), marks the
 * reader failed and every later read fails too, so a decoder can read a whole
 * structure and check rd_ok() once. Nested payloads are read through
 * sub-readers, which must be consumed exactly (rd_end()).
 */
#ifndef KB_ENGINE_RD_H
#define KB_ENGINE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *pos;
	const uint8_t *end;
	bool err;
};

/* Returns a reader over `len` bytes at `buf`. */
struct rd rd_init(const void *buf, size_t len);

/* Bytes not yet read; zero once the reader has failed. */
size_t rd_left(const struct rd *r);

/* True while no read has failed. */
bool rd_ok(const struct rd *r);

/* Marks the reader failed (for semantic errors found by the caller). */
void rd_fail(struct rd *r);

uint8_t rd_u8(struct rd *r);
uint16_t rd_u16(struct rd *r);
uint32_t rd_u32(struct rd *r);
uint64_t rd_u64(struct rd *r);

/* Returns a pointer to the next `n` bytes and skips them, or NULL on a short
 * buffer (n == 0 returns the current position). */
const uint8_t *rd_bytes(struct rd *r, size_t n);

/* Copies the next `n` bytes into `dst`; on a short buffer zeroes `dst`. */
bool rd_copy(struct rd *r, void *dst, size_t n);

/* Skips `n` bytes. */
bool rd_skip(struct rd *r, size_t n);

/* Takes the next `n` bytes as a sub-reader. On a short buffer both the parent
 * and the returned sub-reader are failed. */
struct rd rd_sub(struct rd *r, size_t n);

/* Takes everything that is left as a sub-reader. */
struct rd rd_rest(struct rd *r);

/* Checks that `r` was read without error and consumed exactly; marks it
 * failed otherwise. Returns rd_ok(r). */
bool rd_end(struct rd *r) __attribute__((warn_unused_result));

#endif
