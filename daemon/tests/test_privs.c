/* Tests for the privilege drop (daemon/io/privs.c), on this process's real
 * capabilities (each test runs in a child of its own). */
#include "io/privs.h"
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads a capability mask line ("CapEff:", "CapBnd:" …) of /proc/self/status. */
static unsigned long long status_mask(const char *key)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");

	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			sscanf(line + strlen(key), "%llx", &v);
	fclose(f);
	return v;
}

TEST(privs_drop_keeps_only_net_admin_and_bind)
{
	unsigned long long want =
		1ULL << CAP_NET_ADMIN | 1ULL << CAP_NET_BIND_SERVICE;

	if (!(status_mask("CapEff:") & (1ULL << CAP_SYS_ADMIN)))
		test_skip("needs to start as root with CAP_SYS_ADMIN");
	REQUIRE_EQ(privs_drop(), 0);
	CHECK(status_mask("CapEff:") == want);
	CHECK(status_mask("CapPrm:") == want);
	CHECK(status_mask("CapBnd:") == want);
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	/* The dropped capabilities are really gone: CAP_SYS_ADMIN … */
	CHECK_EQ(unshare(CLONE_NEWNS), -1);
	CHECK_EQ(errno, EPERM);
	/* … and CAP_DAC_OVERRIDE (root may no longer write a 0400 file). */
	char path[] = "/tmp/kbprivsXXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(chmod(path, 0400) == 0);
	fd = open(path, O_WRONLY);
	CHECK_EQ(fd, -1);
	unlink(path);
	char text[256];
	CHECK(strstr(privs_describe(text, sizeof(text)), "net_admin") != NULL);
}
