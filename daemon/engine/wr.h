/* Bounds-checked big-endian writer into a caller's buffer (STYLE.md rule 3).
 *
 * Overflow is sticky: a write that does not fit writes nothing, marks the
 * writer failed, and every later write fails too; check wr_ok() once at the
 * end. Length fields are reserved with wr_reserve_*() and filled in later with
 * wr_fill_len_*() once the nested content is written.
 */
#ifndef KB_ENGINE_WR_H
#define KB_ENGINE_WR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wr {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool err;
};

/* Returns a writer over `cap` bytes at `buf`. */
struct wr wr_init(void *buf, size_t cap);

/* True while every write fitted. */
bool wr_ok(const struct wr *w);

/* Marks the writer failed (for semantic errors found by the caller). */
void wr_fail(struct wr *w);

/* Bytes written so far. */
size_t wr_len(const struct wr *w);

bool wr_u8(struct wr *w, uint8_t v);
bool wr_u16(struct wr *w, uint16_t v);
bool wr_u32(struct wr *w, uint32_t v);
bool wr_u64(struct wr *w, uint64_t v);
bool wr_bytes(struct wr *w, const void *p, size_t n);
bool wr_zero(struct wr *w, size_t n);

/* Reserves `n` bytes and returns a pointer to them for the caller to fill,
 * or NULL on overflow. */
uint8_t *wr_space(struct wr *w, size_t n);

/* Reserves a 16-bit (32-bit) length field, written as zero for now, and
 * returns its offset; fill it in with wr_fill_len_u16 (u32). */
size_t wr_reserve_u16(struct wr *w);
size_t wr_reserve_u32(struct wr *w);

/* Writes into the field at `at` the number of bytes from offset `from` to the
 * current end. Fails the writer if the length does not fit the field or `at`
 * was never reserved. */
bool wr_fill_len_u16(struct wr *w, size_t at, size_t from);
bool wr_fill_len_u32(struct wr *w, size_t at, size_t from);

/* Overwrites one byte already written (next-payload chaining). */
bool wr_patch_u8(struct wr *w, size_t at, uint8_t v);

#endif
