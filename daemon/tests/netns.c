/* Private network namespaces for tests; see netns.h. */
#include "tests/netns.h"
#include "tests/test.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void test_netns_enter(void)
{
	struct ifreq ifr;
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		test_skip("cannot create a network namespace: %s (needs root)",
			  strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	REQUIRE(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	REQUIRE(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	close(fd);
}

void test_netns_add_lo_addr(const char *cidr)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip addr add %s dev lo%s", cidr,
		 strchr(cidr, ':') ? " nodad" : "");
	if (system(cmd) != 0)
		test_fail(__FILE__, __LINE__, "'%s' failed", cmd);
}

const char *test_netns_path(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return path;
}
