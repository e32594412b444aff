/* A binary min-heap of intrusive nodes ordered by (key, tie): the least in
 * O(1), insertion, removal and a changed key in O(log n). Each node knows
 * its slot, so any node can be removed or moved, not only the least. */
#ifndef KB_ENGINE_HEAP_H
#define KB_ENGINE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an element carries: its place. Its key lives in the array. */
struct heap_node {
	size_t slot; /* 1-based position; 0 = not in a heap */
};

/* The keys are in the array, so ordering reads no node: at a million SAs
 * a node is a cache miss away. `key` orders, e.g. a deadline; `tie`
 * orders equal keys, so the order is deterministic. */
struct heap_ent {
	uint64_t key, tie;
	struct heap_node *node;
};

struct heap {
	struct heap_ent *v;
	size_t n, cap;
};

void heap_init(struct heap *h);
void heap_free(struct heap *h);

/* Makes room for `n` nodes, so that this many heap_add never fail:
 * 0 or -ENOMEM. */
int heap_reserve(struct heap *h, size_t n) __attribute__((warn_unused_result));

/* Adds `x` (not in a heap) under (key, tie); 0 or -ENOMEM (none after a
 * heap_reserve covering it). */
int heap_add(struct heap *h, struct heap_node *x, uint64_t key, uint64_t tie)
	__attribute__((warn_unused_result));
/* Removes `x` if it is in the heap. */
void heap_del(struct heap *h, struct heap_node *x);
/* Sets the key of `x` (in the heap) and moves it to its place. */
void heap_update(struct heap *h, struct heap_node *x, uint64_t key);

/* The least node, or NULL. */
static inline struct heap_node *heap_min(const struct heap *h)
{
	return h->n ? h->v[0].node : NULL;
}

/* The key of `x`, which must be in `h`. */
static inline uint64_t heap_key(const struct heap *h, const struct heap_node *x)
{
	return h->v[x->slot - 1].key;
}

static inline bool heap_contains(const struct heap_node *x)
{
	return x->slot != 0;
}

#endif
