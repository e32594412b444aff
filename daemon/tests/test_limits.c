/* keybridged's DoS limit options (io/limits.h): ranges, seconds, the
 * checks between them, and what the daemon says about bad values. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include "io/limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

TEST(limits_set_ranges_and_units)
{
	struct engine_settings set = { 0 };
	char err[160], buf[256];

	CHECK_EQ(limits_set(&set, "half-open-max", "5000", err, sizeof(err)),
		 0);
	CHECK_EQ(set.half_open_max, 5000u);
	CHECK_EQ(limits_set(&set, "half-open-timeout", "7", err, sizeof(err)),
		 0);
	CHECK_EQ(set.half_open_timeout_ms, 7000u);
	CHECK_EQ(limits_set(&set, "invalid-spi-rate", "3", err, sizeof(err)),
		 0);
	CHECK_EQ(set.invalid_spi_per_s, 3u);
	CHECK_EQ(
		limits_set(&set, "half-open-timeout", "3601", err, sizeof(err)),
		-EINVAL);
	CHECK_STR(err, "--half-open-timeout takes 1 to 3600 seconds, not "
		       "'3601'");
	CHECK_EQ(set.half_open_timeout_ms, 7000u); /* unchanged */
	CHECK_EQ(limits_set(&set, "cookie-threshold", "", err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(limits_set(&set, "cookie-threshold", "-1", err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(limits_set(&set, "cookie-threshold", "0x10", err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(limits_set(&set, "half-open-per-peer", "0", err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(limits_set(&set, "block-threshold", "5", err, sizeof(err)),
		 -ENOENT);
	CHECK_EQ(limits_set(&set, "window-size", "65", err, sizeof(err)),
		 -EINVAL);
	CHECK_STR(err, "--window-size takes 1 to 64 requests, not '65'");
	CHECK_EQ(limits_set(&set, "window-size", "8", err, sizeof(err)), 0);
	CHECK_EQ(set.window_size, 8u);
	limits_describe(&set, buf, sizeof(buf));
	CHECK_STR(buf, "half-open-max 5000, cookie-threshold 30, "
		       "half-open-per-peer 100, half-open-timeout 7, "
		       "invalid-spi-rate 3, window-size 8");
}

TEST(limits_check_against_half_open_max)
{
	struct engine_settings set = { 0 };
	char err[160];

	CHECK_EQ(limits_check(&set, err, sizeof(err)), 0);
	set.half_open_max = 20; /* below the default cookie threshold */
	CHECK_EQ(limits_check(&set, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "--cookie-threshold 30 is above --half-open-max 20: "
		       "it would never act");
	set.cookie_threshold = 10;
	CHECK_EQ(limits_check(&set, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "--half-open-per-peer 100 is above --half-open-max "
		       "20: it would never act");
	set.half_open_per_peer = 20;
	CHECK_EQ(limits_check(&set, err, sizeof(err)), 0);
}

TEST(keybridged_limit_options_refuse_bad_values)
{
	char out[4096], cmd[512];

	snprintf(cmd, sizeof(cmd), "%s --half-open-max 0 2>&1",
		 test_build_path("bin/keybridged"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
	CHECK_STR(out, "keybridged: --half-open-max takes 1 to 1000000 "
		       "half-open SAs, not '0'\n");
	snprintf(cmd, sizeof(cmd),
		 "%s --half-open-max 10 --cookie-threshold 5 "
		 "--half-open-per-peer 11 --check-config -c /nonexistent 2>&1",
		 test_build_path("bin/keybridged"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
	CHECK_STR(out, "keybridged: --half-open-per-peer 11 is above "
		       "--half-open-max 10: it would never act\n");
	snprintf(cmd, sizeof(cmd), "%s --help 2>&1",
		 test_build_path("bin/keybridged"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "--half-open-per-peer N") != NULL);
}
