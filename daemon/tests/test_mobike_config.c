/* mobike = yes in swanctl.conf, from the outside (keybridged
 * --check-config): accepted for tunnel-mode children under XFRM; refused,
 * naming file and line, with a transport-mode child and under --kernel
 * pfkey (neither can move its SAs); left unset, one warning says the
 * connection runs without MOBIKE. The exchange itself runs in
 * kmod-tests/48-kb-mobike.sh. */
#include "tests/test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char conf[] = "connections {\n"		       /* 1 */
			   "  gw {\n"			       /* 2 */
			   "    remote_addrs = 192.0.2.2\n"    /* 3 */
			   "    %s\n"			       /* 4 */
			   "    local { auth = psk }\n"	       /* 5 */
			   "    remote { auth = psk }\n"       /* 6 */
			   "    children {\n"		       /* 7 */
			   "      net {\n"		       /* 8 */
			   "        remote_ts = 10.2.0.0/16\n" /* 9 */
			   "        mode = %s\n"	       /* 10 */
			   "      }\n"			       /* 11 */
			   "    }\n"			       /* 12 */
			   "  }\n"			       /* 13 */
			   "}\n"			       /* 14 */
			   "secrets { ike { secret = abc } }\n";

/* keybridged ARGS --check-config on the configuration with `line4` and
 * `mode`; returns the exit status, output in `out`. */
static int run(const char *args, const char *line4, const char *mode,
	       char *path, size_t plen, char *out, size_t cap)
{
	char cmd[1024];
	FILE *f;

	snprintf(path, plen, "/tmp/kbmobike-%d.conf", (int)getpid());
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, conf, line4, mode);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s --check-config -c %s 2>&1",
		 test_build_path("bin/keybridged"), args, path);
	return test_run_capture(cmd, out, cap);
}

TEST(mobike_config_yes_accepted_for_tunnels_under_xfrm)
{
	char out[4096], path[64];

	CHECK_EQ(run("", "mobike = yes", "tunnel", path, sizeof(path), out,
		     sizeof(out)),
		 0);
	test_note("%s", out);
	CHECK(strstr(out, "MOBIKE") == NULL); /* nothing to say */
	CHECK_EQ(run("", "mobike = no", "transport", path, sizeof(path), out,
		     sizeof(out)),
		 0);
	CHECK(strstr(out, "MOBIKE") == NULL);
	unlink(path);
}

TEST(mobike_config_refused_with_transport_and_pfkey)
{
	char out[4096], path[64], want[320];

	CHECK_EQ(run("", "mobike = yes", "transport", path, sizeof(path), out,
		     sizeof(out)),
		 1);
	test_note("%s", out);
	snprintf(want, sizeof(want),
		 "%s:2: conn gw: mobike = yes with child net in transport "
		 "mode: its selectors are the old addresses",
		 path);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "not loaded") != NULL);

	CHECK_EQ(run("--kernel pfkey", "mobike = yes", "tunnel", path,
		     sizeof(path), out, sizeof(out)),
		 1);
	test_note("%s", out);
	snprintf(want, sizeof(want),
		 "%s:2: conn gw: mobike = yes needs SAs that can move to new "
		 "addresses, which the pfkey backend cannot do (use --kernel "
		 "xfrm, or mobike = no)",
		 path);
	CHECK(strstr(out, want) != NULL);
	unlink(path);
}

TEST(mobike_config_unset_is_said_once)
{
	char out[4096], path[64];

	CHECK_EQ(run("", "", "tunnel", path, sizeof(path), out, sizeof(out)),
		 0);
	test_note("%s", out);
	CHECK(strstr(out, "connection gw leaves mobike unset, which "
			  "strongSwan takes as yes; keybridge runs it "
			  "without MOBIKE (RFC 4555)") != NULL);
	unlink(path);
}
