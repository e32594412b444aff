/* Groups of objects with equal keys, found by key in O(1) and left in
 * O(1) however large a group grows: the first member of each group (its
 * head) sits in a growing hash table (hashtab.h), the others hang off it
 * in a doubly linked list. A plain hashtab would chain every member of a
 * group in one bucket, where hashtab_del walks the chain: at 100,000 IKE
 * SAs of one connection to one address that is a walk per SA freed.
 *
 * Nodes live inside their objects (intrusive); adding never allocates
 * beyond the table's buckets and never fails. The caller hashes its key
 * (hashtab_mix) and compares keys through a callback. */
#ifndef KB_ENGINE_GROUPTAB_H
#define KB_ENGINE_GROUPTAB_H

#include "engine/hashtab.h"

#include <stdbool.h>

struct grouptab_node {
	struct hashtab_node h; /* in the table while it heads its group */
	/* the group, head first: prev is NULL outside any group and
	 * points back to the node itself on a head */
	struct grouptab_node *prev, *next;
};

/* True if member `n` has the key `key` (the caller's type). */
typedef bool grouptab_eq_fn(const struct grouptab_node *n, const void *key);

/* Files `n` (not in a group) under `hash`/`key`: it joins the group of
 * an equal key, right after its head, or heads a new group. Returns true if it
 * joined a group that had members already. Never fails. */
bool grouptab_add(struct hashtab *t, struct grouptab_node *n, uint64_t hash,
		  grouptab_eq_fn *eq, const void *key);

/* Takes `n` out of its group (harmless if in none). Returns true if the
 * group lives on with other members. */
bool grouptab_del(struct hashtab *t, struct grouptab_node *n);

/* The head of the group with `key`, or NULL. */
struct grouptab_node *grouptab_find(const struct hashtab *t, uint64_t hash,
				    grouptab_eq_fn *eq, const void *key);

/* The member after `n` in its group, or NULL after the last. A walk may
 * take out the member it stands on once it holds the next one (the next
 * member then heads the group if `n` did). */
static inline struct grouptab_node *grouptab_next(const struct grouptab_node *n)
{
	return n->next;
}

static inline bool grouptab_in(const struct grouptab_node *n)
{
	return n->prev != NULL;
}

/* True if `n` is in a group with at least one other member. */
static inline bool grouptab_shared(const struct grouptab_node *n)
{
	return n->prev && (n->next || n->prev != n);
}

#endif
