/* Binary min-heap; see heap.h. */
#include "engine/heap.h"

#include <errno.h>
#include <stdlib.h>

void heap_init(struct heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void heap_free(struct heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i].node->slot = 0;
	free(h->v);
	heap_init(h);
}

int heap_reserve(struct heap *h, size_t n)
{
	struct heap_ent *v;
	size_t cap = h->cap ? h->cap : 64;

	if (n <= h->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (!(v = realloc(h->v, cap * sizeof(*v))))
		return -ENOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

static bool heap_less(const struct heap_ent *a, const struct heap_ent *b)
{
	return a->key < b->key || (a->key == b->key && a->tie < b->tie);
}

static void heap_set(struct heap *h, size_t i, const struct heap_ent *x)
{
	h->v[i] = *x;
	x->node->slot = i + 1;
}

static void heap_up(struct heap *h, size_t i)
{
	struct heap_ent x = h->v[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!heap_less(&x, &h->v[p]))
			break;
		heap_set(h, i, &h->v[p]);
		i = p;
	}
	heap_set(h, i, &x);
}

static void heap_down(struct heap *h, size_t i)
{
	struct heap_ent x = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && heap_less(&h->v[c + 1], &h->v[c]))
			c++;
		if (!heap_less(&h->v[c], &x))
			break;
		heap_set(h, i, &h->v[c]);
		i = c;
	}
	heap_set(h, i, &x);
}

int heap_add(struct heap *h, struct heap_node *x, uint64_t key, uint64_t tie)
{
	struct heap_ent ent = { key, tie, x };

	if (h->n == h->cap && heap_reserve(h, h->n + 1))
		return -ENOMEM;
	heap_set(h, h->n++, &ent);
	heap_up(h, h->n - 1);
	return 0;
}

void heap_del(struct heap *h, struct heap_node *x)
{
	size_t i = x->slot - 1;
	struct heap_ent last;

	if (!x->slot)
		return;
	x->slot = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	heap_set(h, i, &last);
	heap_up(h, i);
	heap_down(h, last.node->slot - 1);
}

void heap_update(struct heap *h, struct heap_node *x, uint64_t key)
{
	h->v[x->slot - 1].key = key;
	heap_up(h, x->slot - 1);
	heap_down(h, x->slot - 1);
}
