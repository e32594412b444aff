/* Growing intrusive hash tables; see hashtab.h. */
#include "engine/hashtab.h"

#include <stdlib.h>

enum { HASHTAB_MIN = 16 };

static void hashtab_grow(struct hashtab *t);

void hashtab_init(struct hashtab *t, size_t n)
{
	t->one = NULL;
	t->b = &t->one;
	t->mask = 0;
	t->n = 0;
	while (n > t->mask + 1 && t->b != NULL) {
		size_t was = t->mask;

		hashtab_grow(t);
		if (t->mask == was)
			break; /* ENOMEM: grows later */
	}
}

void hashtab_free(struct hashtab *t)
{
	if (t->b != &t->one)
		free(t->b);
	hashtab_init(t, 0);
}

/* Rehashes into twice the buckets (or HASHTAB_MIN); on ENOMEM nothing
 * changes. */
static void hashtab_grow(struct hashtab *t)
{
	size_t cap = t->b == &t->one ? HASHTAB_MIN : (t->mask + 1) * 2;
	struct hashtab_node **nb = calloc(cap, sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct hashtab_node *n = t->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = nb[n->hash & (cap - 1)];
			nb[n->hash & (cap - 1)] = n;
		}
	}
	if (t->b != &t->one)
		free(t->b);
	t->b = nb;
	t->mask = cap - 1;
}

void hashtab_add(struct hashtab *t, struct hashtab_node *n, uint64_t hash)
{
	struct hashtab_node **head;

	if (t->n >= t->mask + 1)
		hashtab_grow(t);
	head = &t->b[hash & t->mask];
	n->hash = hash;
	n->next = *head;
	*head = n;
	t->n++;
}

void hashtab_del(struct hashtab *t, struct hashtab_node *n)
{
	for (struct hashtab_node **pp = &t->b[n->hash & t->mask]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->n--;
			return;
		}
	}
}

struct hashtab_node *hashtab_first(const struct hashtab *t, uint64_t hash)
{
	struct hashtab_node *n = t->b[hash & t->mask];

	while (n && n->hash != hash)
		n = n->next;
	return n;
}

struct hashtab_node *hashtab_next(const struct hashtab_node *n)
{
	uint64_t hash = n->hash;

	for (n = n->next; n && n->hash != hash; n = n->next)
		;
	return (struct hashtab_node *)n;
}

void hashtab_iter_init(struct hashtab_iter *it, const struct hashtab *t)
{
	it->t = t;
	it->bucket = 0;
	it->next = t->b[0];
}

struct hashtab_node *hashtab_iter_next(struct hashtab_iter *it)
{
	struct hashtab_node *n;

	while (!it->next) {
		if (it->bucket >= it->t->mask)
			return NULL;
		it->next = it->t->b[++it->bucket];
	}
	n = it->next;
	it->next = n->next;
	return n;
}
