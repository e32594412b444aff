/* Tests for the binary min-heap of deadlines (daemon/engine/heap.c). */
#include "engine/heap.h"
#include "tests/test.h"

#include <stdlib.h>

/* Checks the heap property over the whole array and every node's slot. */
static bool heap_ok(const struct heap *h)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct heap_ent *x = &h->v[i], *p;

		if (x->node->slot != i + 1)
			return false;
		if (!i)
			continue;
		p = &h->v[(i - 1) / 2];
		if (p->key > x->key || (p->key == x->key && p->tie > x->tie))
			return false;
	}
	return true;
}

TEST(heap_pops_in_key_then_tie_order)
{
	enum { N = 20000 };
	struct heap_node *v = calloc(N, sizeof(*v));
	struct heap h;
	uint64_t last_key = 0, last_tie = 0;

	REQUIRE(v);
	heap_init(&h);
	srand(7);
	for (size_t i = 0; i < N; i++) /* many equal keys */
		REQUIRE_EQ(heap_add(&h, &v[i], (uint64_t)(rand() % 1000), i),
			   0);
	CHECK(heap_ok(&h));
	for (size_t i = 0; i < N; i++) {
		struct heap_node *m = heap_min(&h);
		uint64_t key, tie;

		REQUIRE(m);
		key = heap_key(&h, m);
		tie = h.v[0].tie;
		CHECK(key > last_key ||
		      (key == last_key && (i == 0 || tie > last_tie)));
		last_key = key;
		last_tie = tie;
		heap_del(&h, m);
		CHECK(!heap_contains(m));
	}
	CHECK(!heap_min(&h));
	heap_free(&h);
	free(v);
}

/* Any node can leave or move, not only the least: the invariant holds
 * after every operation. */
TEST(heap_update_and_remove_anywhere)
{
	enum { N = 3000 };
	struct heap_node *v = calloc(N, sizeof(*v));
	uint64_t *key = calloc(N, sizeof(*key));
	struct heap h;

	REQUIRE(v && key);
	heap_init(&h);
	REQUIRE_EQ(heap_reserve(&h, N), 0);
	for (size_t i = 0; i < N; i++) {
		key[i] = (uint64_t)(i * 2654435761u % 100000);
		REQUIRE_EQ(heap_add(&h, &v[i], key[i], i), 0);
	}
	CHECK_EQ(h.cap, 4096);
	srand(11);
	for (int round = 0; round < 20000; round++) {
		size_t i = (size_t)rand() % N;
		struct heap_node *x = &v[i];

		switch (rand() % 3) {
		case 0:
			if (heap_contains(x)) {
				key[i] = (uint64_t)(rand() % 100000);
				heap_update(&h, x, key[i]);
			}
			break;
		case 1: heap_del(&h, x); break;
		default:
			if (!heap_contains(x))
				REQUIRE_EQ(heap_add(&h, x, key[i], i), 0);
		}
		if (round % 997 == 0)
			REQUIRE(heap_ok(&h));
	}
	CHECK(heap_ok(&h));
	/* the least is the least of those in the heap */
	{
		uint64_t least = UINT64_MAX;

		for (size_t i = 0; i < N; i++)
			if (heap_contains(&v[i]) && key[i] < least)
				least = key[i];
		if (heap_min(&h))
			CHECK_EQ(heap_key(&h, heap_min(&h)), least);
	}
	heap_free(&h);
	for (size_t i = 0; i < N; i++)
		CHECK(!heap_contains(&v[i]));
	free(v);
	free(key);
}
