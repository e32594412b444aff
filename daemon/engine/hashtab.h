/* Intrusive hash tables that grow with their contents: a node lives inside
 * the object it indexes (an IKE SA, a CHILD SA), so adding one never
 * allocates beyond the bucket array, and a failed growth only makes the
 * chains longer. The caller hashes (hashtab_mix) and compares its own keys;
 * equal keys may coexist (a multimap), lookups walk one chain. */
#ifndef KB_ENGINE_HASHTAB_H
#define KB_ENGINE_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashtab_node {
	struct hashtab_node *next;
	uint64_t hash;
};

struct hashtab {
	struct hashtab_node *
		*b; /* mask + 1 buckets; &one until the first add */
	struct hashtab_node *one;
	size_t mask, n;
};

/* An empty table with room for `n` nodes before it first grows (0: none
 * allocated yet). If that allocation fails it starts smaller. */
void hashtab_init(struct hashtab *t, size_t n);
/* Frees the buckets; the nodes belong to their owners. */
void hashtab_free(struct hashtab *t);

/* Links `n` under `hash`. Doubles the buckets when they hold more than one
 * node each on average; if that allocation fails the table keeps working
 * with longer chains. Never fails. */
void hashtab_add(struct hashtab *t, struct hashtab_node *n, uint64_t hash);
/* Unlinks `n` (which must be in `t`). */
void hashtab_del(struct hashtab *t, struct hashtab_node *n);

/* First / next node with `hash` (the caller compares its keys). */
struct hashtab_node *hashtab_first(const struct hashtab *t, uint64_t hash);
struct hashtab_node *hashtab_next(const struct hashtab_node *n);

/* Whole-table walk in no particular order. The walk holds the node after
 * the current one, so the current node may be removed (hashtab_del) while
 * walking; nothing may be added until the walk ends. */
struct hashtab_iter {
	const struct hashtab *t;
	size_t bucket;
	struct hashtab_node *next;
};
void hashtab_iter_init(struct hashtab_iter *it, const struct hashtab *t);
struct hashtab_node *hashtab_iter_next(struct hashtab_iter *it);

/* A 64-bit finalizer (splitmix64): spreads SPIs and ids over the buckets. */
static inline uint64_t hashtab_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#define hashtab_entry(ptr, type, member)                                       \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
