/* keybridged --kernel pfkey from the outside: --check-config refuses, at
 * file:line, an ESP proposal PF_KEY cannot install, and a kernel without
 * AF_KEY is a clear start-up error, not a crash. (The backend itself is
 * tested in test_pfkey_host.c, tunnels in kmod-tests/51-kb-pfkey-*.) */
#include "tests/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char conf[] = "connections {\n"		       /* 1 */
			   "  gw {\n"			       /* 2 */
			   "    remote_addrs = 192.0.2.2\n"    /* 3 */
			   "    local { auth = psk }\n"	       /* 4 */
			   "    remote { auth = psk }\n"       /* 5 */
			   "    children {\n"		       /* 6 */
			   "      net {\n"		       /* 7 */
			   "        remote_ts = 10.2.0.0/16\n" /* 8 */
			   "        esp_proposals = %s\n"      /* 9 */
			   "      }\n"			       /* 10 */
			   "    }\n"			       /* 11 */
			   "  }\n"			       /* 12 */
			   "}\n"			       /* 13 */
			   "secrets { ike { secret = abc } }\n";

/* Runs keybridged ARGS on a configuration with `esp` at line 9; returns
 * its exit status, output in `out`. */
static int run(const char *args, const char *esp, char *path, size_t plen,
	       char *out, size_t cap)
{
	char cmd[1024];
	FILE *f;

	snprintf(path, plen, "/tmp/kbpfkey-%d.conf", (int)getpid());
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, conf, esp);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s -c %s 2>&1",
		 test_build_path("bin/keybridged"), args, path);
	return test_run_capture(cmd, out, cap);
}

TEST(pfkey_config_check_refuses_gcm_at_file_line)
{
	char out[4096], path[64], want[256];

	CHECK_EQ(run("--kernel pfkey --check-config", "aes128gcm16", path,
		     sizeof(path), out, sizeof(out)),
		 1);
	test_note("%s", out);
	snprintf(want, sizeof(want),
		 "%s:9: connections.gw.children.net.esp_proposals: proposal 1 "
		 "(ESP:AES_GCM_16_128/NO_ESN) cannot be installed: the pfkey "
		 "backend cannot install AEAD ciphers such as ENCR_AES_GCM_16",
		 path);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, ": errors") != NULL);
	/* the same file is fine for XFRM */
	CHECK_EQ(run("--check-config", "aes128gcm16", path, sizeof(path), out,
		     sizeof(out)),
		 0);
	/* and AES-CBC + HMAC-SHA-1 is fine for PF_KEY */
	CHECK_EQ(run("--kernel pfkey --check-config", "aes128-sha1", path,
		     sizeof(path), out, sizeof(out)),
		 0);
	unlink(path);
}

TEST(pfkey_config_unknown_backend_is_refused)
{
	char out[1024], path[64];

	CHECK_EQ(run("--kernel netlink --check-config", "aes128-sha1", path,
		     sizeof(path), out, sizeof(out)),
		 2);
	CHECK(strstr(out, "unknown kernel backend 'netlink' (xfrm or pfkey)"));
	unlink(path);
}

/* Where the kernel has no AF_KEY (this machine's), the daemon says so and
 * exits; where it has, this test cannot show it. */
TEST(pfkey_config_no_af_key_is_a_clear_startup_error)
{
	char out[8192], path[64];
	int fd = socket(PF_KEY, SOCK_RAW, 2);

	if (fd >= 0 || errno != EAFNOSUPPORT) {
		if (fd >= 0)
			close(fd);
		test_skip("this kernel has AF_KEY: no start-up error to see "
			  "(the guest's tunnels test the other side)");
	}
	CHECK_EQ(run("--kernel pfkey --port 64999", "aes128-sha1", path,
		     sizeof(path), out, sizeof(out)),
		 1);
	test_note("%s", out);
	CHECK(strstr(out, "cannot open the pfkey kernel backend: open PF_KEY "
			  "socket: Address family not supported by protocol "
			  "(kernel: this kernel has no AF_KEY") != NULL);
	CHECK(strstr(out, "start-up failed") != NULL);
	unlink(path);
}
