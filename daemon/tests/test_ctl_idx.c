/* Tests for the control module's position index (daemon/control/ctl_idx.c),
 * driven the way ctl_sa.c drives it: records appended to an array, removed
 * by moving the last one into their place. */
#include "control/ctl_idx.h"
#include "tests/test.h"

#include <stdlib.h>

TEST(ctl_idx_empty_finds_nothing)
{
	struct ctl_idx x = { 0 };
	size_t pos;

	CHECK(!ctl_idx_get(&x, 1, &pos));
	ctl_idx_del(&x, 1); /* nothing to remove: fine */
	ctl_idx_free(&x);
	CHECK(!ctl_idx_get(&x, 1, &pos));
}

/* 100,000 records come, half of them go (the last record moving into each
 * hole, as ctl_ike_forget does), then more come: every key present finds
 * its record's position, every key removed finds nothing, and the table
 * stays at most half full. */
TEST(ctl_idx_grows_and_follows_moves)
{
	enum { N = 100000 };
	uint64_t *rec = calloc(2 * N, sizeof(*rec)); /* record i's key */
	struct ctl_idx x = { 0 };
	size_t n = 0, pos;
	bool ok = true;

	CHECK(rec != NULL);
	for (uint64_t k = 1; k <= N; k++) {
		CHECK(ctl_idx_put(&x, k * 7, n) == 0);
		rec[n++] = k * 7;
	}
	CHECK(x.n == N);
	CHECK(2 * x.n <= x.mask + 1);
	/* remove every odd key, in an order unrelated to the positions */
	for (uint64_t k = 1; k <= N; k += 2) {
		uint64_t key = ((k * 7919) % N | 1) * 7;

		if (!ctl_idx_get(&x, key, &pos))
			continue; /* removed already */
		ok &= rec[pos] == key;
		ctl_idx_del(&x, key);
		rec[pos] = rec[--n];
		if (pos < n)
			CHECK(ctl_idx_put(&x, rec[pos], pos) == 0);
	}
	for (uint64_t k = 1; k <= N; k++) {
		bool there = ctl_idx_get(&x, k * 7, &pos);

		ok &= there == ((k & 1) == 0);
		ok &= !there || rec[pos] == k * 7;
	}
	CHECK(ok);
	CHECK(x.n == n && n == N / 2);
	/* and new ones after the removals */
	for (uint64_t k = 1; k <= N; k++) {
		CHECK(ctl_idx_put(&x, k * 7 + 1, n) == 0);
		rec[n++] = k * 7 + 1;
	}
	for (size_t i = 0; i < n; i++)
		ok &= ctl_idx_get(&x, rec[i], &pos) && pos == i;
	CHECK(ok);
	CHECK(2 * x.n <= x.mask + 1);
	ctl_idx_free(&x);
	free(rec);
}

/* Keys that share a home slot (a full cluster that wraps around the end
 * of the table): removing one from the middle leaves the others found. */
TEST(ctl_idx_removal_inside_a_wrapping_cluster)
{
	struct ctl_idx x = { 0 };
	size_t pos;

	/* 32 keys in a 64-slot table: clusters form and some wrap */
	for (uint64_t k = 0; k < 32; k++)
		CHECK(ctl_idx_put(&x, k << 40, (size_t)k) == 0);
	CHECK(x.mask == 63);
	for (uint64_t k = 0; k < 32; k += 3)
		ctl_idx_del(&x, k << 40);
	for (uint64_t k = 0; k < 32; k++) {
		bool there = ctl_idx_get(&x, k << 40, &pos);

		CHECK(there == (k % 3 != 0));
		CHECK(!there || pos == k);
	}
	ctl_idx_free(&x);
}
