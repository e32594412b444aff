/* Tests of the early-rekey prediction (daemon/io/usage.c): when an SA's
 * observed rate says it reaches its soft limit before a rekey could
 * complete, and the reason the log line gives. */
#include "io/usage.h"
#include "tests/test.h"

#include <stdio.h>

TEST(usage_rekey_due_by_threshold_share)
{
	struct usage_sa s = { .soft_bytes = 1000000 };
	char why[160];

	s.bytes = 799999;
	CHECK(!usage_rekey_due(&s, 10000, why, sizeof(why)));
	s.bytes = 800000; /* USAGE_THRESHOLD_PCT of rekey_bytes, no rate */
	REQUIRE(usage_rekey_due(&s, 10000, why, sizeof(why)));
	CHECK_STR(why, "80 % of rekey_bytes at 0 B/s, no traffic now");
}

TEST(usage_rekey_due_by_rate_before_the_limit)
{
	/* 1 GB limit, 50 % used, 120 MB/s: the limit is 4.2 s away */
	struct usage_sa s = { .soft_bytes = 1000000000,
			      .bytes = 500000000,
			      .rate_Bps = 120000000 };
	char why[160];

	CHECK(!usage_rekey_due(&s, 4000, why, sizeof(why)));
	REQUIRE(usage_rekey_due(&s, 10000, why, sizeof(why)));
	CHECK_STR(why, "50 % of rekey_bytes at 120.0 MB/s, limit in 4.2 s");
}

TEST(usage_rekey_due_by_packets)
{
	struct usage_sa s = { .soft_packets = 1000,
			      .packets = 100,
			      .rate_pps = 200 };
	char why[160];

	CHECK(!usage_rekey_due(&s, 4000, why, sizeof(why)));
	REQUIRE(usage_rekey_due(&s, 5000, why, sizeof(why)));
	CHECK_STR(why,
		  "10 % of rekey_packets at 200 packets/s, limit in 4.5 s");
}

TEST(usage_rekey_not_due_without_limits_or_past_them)
{
	struct usage_sa s = { .bytes = 1ULL << 62, .rate_Bps = 1ULL << 40 };
	char why[160];

	CHECK(!usage_rekey_due(&s, 10000, why, sizeof(why)));
	/* at or past the limit: due, at once */
	s.soft_bytes = 1ULL << 61;
	REQUIRE(usage_rekey_due(&s, 0, why, sizeof(why)));
	CHECK_STR(why,
		  "200 % of rekey_bytes at 1099511.6 MB/s, limit in 0.0 s");
}

TEST(usage_mode_names)
{
	CHECK_EQ(usage_mode_parse("auto"), USAGE_AUTO);
	CHECK_EQ(usage_mode_parse("fentry"), USAGE_FENTRY);
	CHECK_EQ(usage_mode_parse("tc"), USAGE_TC);
	CHECK_EQ(usage_mode_parse("off"), USAGE_POLL_ONLY);
	CHECK_EQ(usage_mode_parse("kprobe"), -1);
}
