/* Tests for the growing intrusive hash table (daemon/engine/hashtab.c). */
#include "engine/hashtab.h"
#include "tests/test.h"

#include <stdlib.h>

struct item {
	uint64_t key;
	struct hashtab_node node;
	bool seen;
};

static struct item *ht_find(const struct hashtab *t, uint64_t key)
{
	for (struct hashtab_node *n = hashtab_first(t, hashtab_mix(key)); n;
	     n = hashtab_next(n)) {
		struct item *it = hashtab_entry(n, struct item, node);

		if (it->key == key)
			return it;
	}
	return NULL;
}

TEST(hashtab_empty_table_finds_nothing)
{
	struct hashtab t;
	struct hashtab_iter it;

	hashtab_init(&t, 0);
	CHECK(!ht_find(&t, 1));
	hashtab_iter_init(&it, &t);
	CHECK(!hashtab_iter_next(&it));
	hashtab_free(&t);
}

/* 100,000 keys: the buckets double as the table fills, every key stays
 * reachable, and a load above one per bucket never persists. */
TEST(hashtab_grows_and_finds_every_key)
{
	enum { N = 100000 };
	struct item *items = calloc(N, sizeof(*items));
	struct hashtab t;

	REQUIRE(items);
	hashtab_init(&t, 0);
	for (size_t i = 0; i < N; i++) {
		items[i].key = i * 7919 + 3;
		hashtab_add(&t, &items[i].node, hashtab_mix(items[i].key));
		CHECK_LE(t.n, 2 * (t.mask + 1));
	}
	CHECK_EQ(t.n, N);
	CHECK_GE(t.mask + 1, N / 2);
	for (size_t i = 0; i < N; i++)
		CHECK(ht_find(&t, items[i].key) == &items[i]);
	CHECK(!ht_find(&t, 5));
	/* remove the even ones: the odd ones stay */
	for (size_t i = 0; i < N; i += 2)
		hashtab_del(&t, &items[i].node);
	CHECK_EQ(t.n, N / 2);
	for (size_t i = 0; i < N; i++)
		CHECK((ht_find(&t, items[i].key) != NULL) == (i % 2 == 1));
	hashtab_free(&t);
	free(items);
}

/* Equal keys (and equal hashes) coexist: a multimap, as outbound ESP
 * SPIs of different peers are. */
TEST(hashtab_keeps_duplicate_keys)
{
	struct item a = { .key = 42 }, b = { .key = 42 }, c = { .key = 43 };
	struct hashtab t;
	size_t n = 0;

	hashtab_init(&t, 0);
	hashtab_add(&t, &a.node, hashtab_mix(42));
	hashtab_add(&t, &b.node, hashtab_mix(42));
	hashtab_add(&t, &c.node, hashtab_mix(43));
	for (struct hashtab_node *x = hashtab_first(&t, hashtab_mix(42)); x;
	     x = hashtab_next(x))
		n++;
	CHECK_EQ(n, 2);
	hashtab_del(&t, &a.node);
	CHECK(ht_find(&t, 42) == &b);
	hashtab_free(&t);
}

/* A walk visits every node once, and the node it stands on may be removed
 * during the walk (as ike_auth_initial_contact removes SAs). */
TEST(hashtab_removal_during_iteration)
{
	enum { N = 5000 };
	struct item *items = calloc(N, sizeof(*items));
	struct hashtab t;
	struct hashtab_iter it;
	struct hashtab_node *n;
	size_t visited = 0;

	REQUIRE(items);
	hashtab_init(&t, 0);
	for (size_t i = 0; i < N; i++) {
		items[i].key = i;
		hashtab_add(&t, &items[i].node, hashtab_mix(i));
	}
	hashtab_iter_init(&it, &t);
	while ((n = hashtab_iter_next(&it))) {
		struct item *x = hashtab_entry(n, struct item, node);

		CHECK(!x->seen);
		x->seen = true;
		visited++;
		if (x->key % 3 == 0)
			hashtab_del(&t, n);
	}
	CHECK_EQ(visited, N);
	CHECK_EQ(t.n, N - (N + 2) / 3);
	/* a second walk sees exactly the survivors */
	visited = 0;
	hashtab_iter_init(&it, &t);
	while ((n = hashtab_iter_next(&it))) {
		CHECK_NE(hashtab_entry(n, struct item, node)->key % 3, 0);
		visited++;
	}
	CHECK_EQ(visited, t.n);
	hashtab_free(&t);
	free(items);
}
