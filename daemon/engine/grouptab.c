/* Groups of equal keys over a growing hash table; see grouptab.h. */
#include "engine/grouptab.h"

#include <stddef.h>

struct grouptab_node *grouptab_find(const struct hashtab *t, uint64_t hash,
				    grouptab_eq_fn *eq, const void *key)
{
	for (struct hashtab_node *h = hashtab_first(t, hash); h;
	     h = hashtab_next(h)) {
		struct grouptab_node *n =
			hashtab_entry(h, struct grouptab_node, h);

		if (eq(n, key))
			return n;
	}
	return NULL;
}

bool grouptab_add(struct hashtab *t, struct grouptab_node *n, uint64_t hash,
		  grouptab_eq_fn *eq, const void *key)
{
	struct grouptab_node *head = grouptab_find(t, hash, eq, key);

	n->next = NULL;
	if (!head) {
		n->prev = n;
		hashtab_add(t, &n->h, hash);
		return false;
	}
	/* a member keeps the hash too, for the day it heads the group */
	n->h.hash = hash;
	n->h.next = NULL;
	/* right after the head: O(1), a head's prev being itself */
	n->prev = head;
	n->next = head->next;
	if (n->next)
		n->next->prev = n;
	head->next = n;
	return true;
}

bool grouptab_del(struct hashtab *t, struct grouptab_node *n)
{
	struct grouptab_node *next = n->next;
	bool head = n->prev == n;

	if (!n->prev)
		return false;
	if (head) {
		hashtab_del(t, &n->h);
		if (next) {
			/* the next member heads the group from now on */
			next->prev = next;
			hashtab_add(t, &next->h, n->h.hash);
		}
	} else {
		n->prev->next = next;
		if (next)
			next->prev = n->prev;
	}
	n->prev = n->next = NULL;
	return next != NULL || !head;
}
