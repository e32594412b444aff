/* See rtnl_util.h. */
#include "tests/rtnl_util.h"

#include "kernel/rtnl.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

/* $KB_SEED_DIR/<seed>-<i>.bin := the buffer, when asked for */
static void rtnl_util_seed(const char *seed, int i, const void *buf, size_t len)
{
	const char *dir = getenv("KB_SEED_DIR");
	char path[512];
	FILE *f;

	if (!dir || !*dir)
		return;
	snprintf(path, sizeof(path), "%s/%s-%d.bin", dir, seed, i);
	f = fopen(path, "wb");
	REQUIRE(f != NULL);
	REQUIRE_EQ(fwrite(buf, 1, len, f), len);
	REQUIRE_EQ(fclose(f), 0);
	test_note("wrote %s (%zu bytes)", path, len);
}

int rtnl_util_dump(uint16_t type, size_t hdr_len, const char *seed, mnl_cb_t cb,
		   void *data)
{
	static union {
		struct nlmsghdr align;
		uint8_t b[16384];
	} buf;
	struct timeval tv = { .tv_sec = 2 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int len, n = 0, r = 1;

	REQUIRE(nl != NULL);
	REQUIRE_EQ(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	REQUIRE_EQ(setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
			      &tv, sizeof(tv)),
		   0);
	len = rtnl_msg_dump(buf.b, sizeof(buf.b), type, 9, hdr_len);
	REQUIRE_GE(len, 16);
	REQUIRE_EQ(mnl_socket_sendto(nl, buf.b, (size_t)len), len);
	while (r == 1) {
		ssize_t got = mnl_socket_recvfrom(nl, buf.b, sizeof(buf.b));

		REQUIRE_GE(got, 16);
		rtnl_util_seed(seed, ++n, buf.b, (size_t)got);
		r = rtnl_msg_run(buf.b, (size_t)got, 9,
				 mnl_socket_get_portid(nl), cb, data);
		REQUIRE_GE(r, 0);
	}
	mnl_socket_close(nl);
	return n;
}
