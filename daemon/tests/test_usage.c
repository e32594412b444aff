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
	/* 1 GB limit, 60 % used, 120 MB/s: the limit is 3.3 s away */
	struct usage_sa s = { .soft_bytes = 1000000000,
			      .bytes = 600000000,
			      .rate_Bps = 120000000 };
	char why[160];

	CHECK(!usage_rekey_due(&s, 3000, why, sizeof(why)));
	REQUIRE(usage_rekey_due(&s, 10000, why, sizeof(why)));
	CHECK_STR(why, "60 % of rekey_bytes at 120.0 MB/s, limit in 3.3 s");
}

TEST(usage_rekey_due_by_packets)
{
	struct usage_sa s = { .soft_packets = 1000,
			      .packets = 600,
			      .rate_pps = 200 };
	char why[160];

	CHECK(!usage_rekey_due(&s, 1000, why, sizeof(why)));
	REQUIRE(usage_rekey_due(&s, 5000, why, sizeof(why)));
	CHECK_STR(why,
		  "60 % of rekey_packets at 200 packets/s, limit in 2.0 s");
}

TEST(usage_rekey_lead_is_at_most_half_the_limit_at_this_rate)
{
	/* rekey_bytes = 100 kB at 20 kB/s lasts 5 s, less than the 10 s
	 * lead: a new SA's first sample (20 %, limit in 4 s) must not
	 * rekey it, or every successor is rekeyed a second after it came */
	struct usage_sa s = { .soft_bytes = 100000,
			      .bytes = 20000,
			      .rate_Bps = 20000 };
	char why[160];

	CHECK(!usage_rekey_due(&s, 10000, why, sizeof(why)));
	s.bytes = 50000; /* half used: the limit 2.5 s away, half its life */
	REQUIRE(usage_rekey_due(&s, 10000, why, sizeof(why)));
	CHECK_STR(why, "50 % of rekey_bytes at 20.0 kB/s, limit in 2.5 s");
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
