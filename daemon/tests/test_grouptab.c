/* Tests for groups of equal keys over a growing hash table
 * (daemon/engine/grouptab.c), the base of the engine's sa_idx.c. */
#include "engine/grouptab.h"
#include "tests/test.h"

#include <stdlib.h>

struct gitem {
	uint32_t key;
	struct grouptab_node node;
	bool in, seen;
};

/* Keys share few hashes on purpose: groups of different keys sit in one
 * chain and only the key callback tells them apart. */
static uint64_t g_hash(uint32_t key)
{
	return hashtab_mix(key % 61);
}

static bool g_eq(const struct grouptab_node *n, const void *key)
{
	return hashtab_entry(n, struct gitem, node)->key ==
	       *(const uint32_t *)key;
}

static bool g_add(struct hashtab *t, struct gitem *it)
{
	it->in = true;
	return grouptab_add(t, &it->node, g_hash(it->key), g_eq, &it->key);
}

static struct gitem *g_head(const struct hashtab *t, uint32_t key)
{
	struct grouptab_node *n = grouptab_find(t, g_hash(key), g_eq, &key);

	return n ? hashtab_entry(n, struct gitem, node) : NULL;
}

/* The members of `key`'s group, each checked to have that key. */
static size_t g_count(const struct hashtab *t, uint32_t key)
{
	struct gitem *h = g_head(t, key);
	size_t n = 0;

	for (struct grouptab_node *m = h ? &h->node : NULL; m;
	     m = grouptab_next(m)) {
		CHECK_EQ(hashtab_entry(m, struct gitem, node)->key, key);
		n++;
	}
	return n;
}

enum { G_ITEMS = 30000, G_KEYS = 1000 };

/* 30,000 members of 1000 groups (sizes 1 to 59): the table holds one node
 * per group and grows with the groups, not the members; every member is
 * found through its group; leaving, the head included, keeps the others
 * found, and the last member to leave takes its group away. */
TEST(grouptab_groups_grow_and_empty)
{
	struct gitem *it = calloc(G_ITEMS, sizeof(*it));
	size_t *want = calloc(G_KEYS, sizeof(*want));
	struct hashtab t;
	size_t n_joined = 0;

	REQUIRE(it && want);
	hashtab_init(&t, 0);
	CHECK(!g_head(&t, 5));
	for (size_t i = 0; i < G_ITEMS; i++) {
		/* key k has k % 59 + 1 members at most */
		it[i].key = (uint32_t)(i % G_KEYS);
		if (want[it[i].key] > it[i].key % 59)
			continue;
		n_joined += g_add(&t, &it[i]);
		CHECK_EQ(grouptab_shared(&it[i].node), want[it[i].key] > 0);
		want[it[i].key]++;
	}
	CHECK_EQ(t.n, (size_t)G_KEYS); /* heads only */
	CHECK_GE(t.mask + 1, (size_t)G_KEYS);
	for (uint32_t k = 0; k < G_KEYS; k++)
		CHECK_EQ(g_count(&t, k), want[k]);
	/* every third member leaves, heads among them */
	for (size_t i = 0; i < G_ITEMS; i += 3) {
		bool lives;

		if (!it[i].in)
			continue;
		lives = grouptab_del(&t, &it[i].node);
		it[i].in = false;
		want[it[i].key]--;
		CHECK_EQ(lives, want[it[i].key] > 0);
		CHECK(!grouptab_in(&it[i].node));
		/* leaving twice is harmless */
		CHECK(!grouptab_del(&t, &it[i].node));
	}
	for (uint32_t k = 0; k < G_KEYS; k++) {
		CHECK_EQ(g_count(&t, k), want[k]);
		CHECK_EQ(g_head(&t, k) != NULL, want[k] > 0);
	}
	/* and the rest: the table ends empty */
	for (size_t i = 0; i < G_ITEMS; i++)
		if (it[i].in)
			(void)grouptab_del(&t, &it[i].node);
	CHECK_EQ(t.n, 0u);
	for (uint32_t k = 0; k < G_KEYS; k++)
		CHECK(!g_head(&t, k));
	hashtab_free(&t);
	free(it);
	free(want);
}

/* A walk over one group that takes out the member it stands on (every
 * other one, the head first) visits every member once; the members left
 * form the group, headed by the first one left. */
TEST(grouptab_members_leave_during_a_walk)
{
	enum { N = 101 };
	static struct gitem it[N + 1];
	struct hashtab t;
	struct grouptab_node *m, *next;
	size_t visited = 0, left = 0;
	bool out = true;

	hashtab_init(&t, 0);
	for (size_t i = 0; i < N; i++) {
		it[i].key = 7;
		(void)g_add(&t, &it[i]);
	}
	it[N].key = 68; /* same hash (68 % 61 == 7), another group */
	CHECK(!g_add(&t, &it[N]));
	for (m = &g_head(&t, 7)->node; m; m = next) {
		struct gitem *x = hashtab_entry(m, struct gitem, node);

		next = grouptab_next(m);
		CHECK(!x->seen);
		x->seen = true;
		visited++;
		if (out) {
			CHECK(grouptab_del(&t, m));
			x->in = false;
		}
		out = !out;
	}
	CHECK_EQ(visited, (size_t)N);
	CHECK_EQ(g_count(&t, 7), (size_t)N / 2);
	for (size_t i = 0; i < N; i++)
		left += it[i].in;
	CHECK_EQ(left, (size_t)N / 2);
	REQUIRE(g_head(&t, 7) != NULL);
	CHECK(g_head(&t, 7)->in);
	CHECK_EQ(g_count(&t, 68), 1u);
	CHECK(!grouptab_shared(&it[N].node));
	hashtab_free(&t);
}
