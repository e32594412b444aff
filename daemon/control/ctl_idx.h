/* An index from a 64-bit key to a record's position in an array. The
 * control module keeps its records (ctl_int.h) in arrays that grow by
 * realloc and shrink by moving the last record into the freed place, so
 * a record has no stable address: the index holds positions, and whoever
 * moves a record tells it (ctl_idx_put). Open addressing with linear
 * probing, at most half full; a removal shifts the entries after it back
 * (no tombstones), so lookups stay short however many come and go. */
#ifndef KB_CONTROL_CTL_IDX_H
#define KB_CONTROL_CTL_IDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_idx_slot {
	uint64_t key;
	uint32_t pos1; /* position + 1; 0: an empty slot */
};

struct ctl_idx {
	struct ctl_idx_slot *slots; /* mask + 1 of them, or NULL */
	size_t mask, n;
};

/* `key` at position `pos`: added, or moved when the key is there (which
 * never fails). 0, or -ENOMEM when the table could not grow for a new key
 * (it is then not added). Positions are below 2^32 - 1. */
int ctl_idx_put(struct ctl_idx *x, uint64_t key, size_t pos)
	__attribute__((warn_unused_result));

/* The position of `key` in *pos: true, or false if it is not there. */
bool ctl_idx_get(const struct ctl_idx *x, uint64_t key, size_t *pos);

/* Removes `key` if it is there. */
void ctl_idx_del(struct ctl_idx *x, uint64_t key);

/* Frees the table; the index is empty (and usable) after. */
void ctl_idx_free(struct ctl_idx *x);

#endif
