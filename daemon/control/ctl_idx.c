/* Position index of the control module's records; see ctl_idx.h. */
#include "control/ctl_idx.h"

#include <errno.h>
#include <stdlib.h>

enum { CTL_IDX_MIN = 64 };

/* splitmix64's finalizer: ids are sequential, the slots must not be */
static size_t ctl_idx_home(const struct ctl_idx *x, uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return (size_t)key & x->mask;
}

/* The slot holding `key`, or the empty slot where it would go. */
static size_t ctl_idx_find(const struct ctl_idx *x, uint64_t key)
{
	size_t i = ctl_idx_home(x, key);

	while (x->slots[i].pos1 && x->slots[i].key != key)
		i = (i + 1) & x->mask;
	return i;
}

static int ctl_idx_grow(struct ctl_idx *x)
{
	size_t cap = x->slots ? 2 * (x->mask + 1) : CTL_IDX_MIN;
	struct ctl_idx_slot *old = x->slots;
	size_t old_cap = old ? x->mask + 1 : 0;

	x->slots = calloc(cap, sizeof(*x->slots));
	if (!x->slots) {
		x->slots = old;
		return -ENOMEM;
	}
	x->mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].pos1)
			x->slots[ctl_idx_find(x, old[i].key)] = old[i];
	free(old);
	return 0;
}

int ctl_idx_put(struct ctl_idx *x, uint64_t key, size_t pos)
{
	size_t i;

	if (pos >= UINT32_MAX)
		return -ENOMEM;
	if (x->slots && x->slots[i = ctl_idx_find(x, key)].pos1) {
		x->slots[i].pos1 = (uint32_t)pos + 1; /* moved */
		return 0;
	}
	if ((!x->slots || 2 * (x->n + 1) > x->mask + 1) && ctl_idx_grow(x))
		return -ENOMEM;
	i = ctl_idx_find(x, key);
	x->slots[i].key = key;
	x->slots[i].pos1 = (uint32_t)pos + 1;
	x->n++;
	return 0;
}

bool ctl_idx_get(const struct ctl_idx *x, uint64_t key, size_t *pos)
{
	size_t i;

	if (!x->slots)
		return false;
	i = ctl_idx_find(x, key);
	if (!x->slots[i].pos1)
		return false;
	*pos = x->slots[i].pos1 - 1;
	return true;
}

void ctl_idx_del(struct ctl_idx *x, uint64_t key)
{
	size_t i, j, home;

	if (!x->slots || !x->slots[i = ctl_idx_find(x, key)].pos1)
		return;
	/* Backward shift: an entry after the hole whose home is not
	 * between the hole and itself (cyclically) moves into the hole. */
	for (j = (i + 1) & x->mask; x->slots[j].pos1; j = (j + 1) & x->mask) {
		home = ctl_idx_home(x, x->slots[j].key);
		if (((j - home) & x->mask) >= ((j - i) & x->mask)) {
			x->slots[i] = x->slots[j];
			i = j;
		}
	}
	x->slots[i].pos1 = 0;
	x->n--;
}

void ctl_idx_free(struct ctl_idx *x)
{
	free(x->slots);
	*x = (struct ctl_idx){ 0 };
}
