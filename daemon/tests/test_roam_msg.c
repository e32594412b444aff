/* MOBIKE's address watch, kernel side (kernel/roam_msg.c): the
 * RTM_GETROUTE builder byte for byte, then builder and parsers against this
 * machine's kernel in a private network namespace: real address
 * notifications and real routing decisions. */
#include "kernel/roam_msg.h"
#include "tests/test.h"
#include "tests/test_xfrm_util.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

TEST(roam_msg_route_get_bytes)
{
	/* `ip route get 192.0.2.7` sends the same, plus RTM_F_LOOKUP_TABLE
	 * (which only changes the table the answer names) */
	static const char want_hex[] =
		"24 00 00 00 1a 00 01 00  05 00 00 00 00 00 00 00" /* nlmsghdr:
			36 bytes, RTM_GETROUTE, NLM_F_REQUEST, seq 5 */
		"02 20 00 00 00 00 00 00  00 00 00 00" /* rtmsg: AF_INET, dst
							  /32, rest 0 */
		"08 00 01 00 c0 00 02 07";	       /* RTA_DST 192.0.2.7 */
	uint8_t want[64], buf[ROAM_MSG_BUFSIZE];
	struct kernel_addr dst = xt_addr("192.0.2.7");
	long n = test_unhex(want_hex, want, sizeof(want));

	REQUIRE_EQ(roam_msg_route_get(buf, sizeof(buf), 5, &dst), n);
	CHECK_MEM(buf, want, (size_t)n);
	dst = xt_addr("2001:db8::7");
	CHECK_EQ(roam_msg_route_get(buf, sizeof(buf), 5, &dst),
		 16 + 12 + 4 + 16);
	CHECK_EQ(buf[16], AF_INET6);
	CHECK_EQ(buf[17], 128);
	CHECK_EQ(roam_msg_route_get(buf, 40, 5, &dst), -ENOSPC);
	memset(&dst, 0, sizeof(dst));
	CHECK_EQ(roam_msg_route_get(buf, sizeof(buf), 5, &dst), -EINVAL);
}

/* Malformed messages: refused, never read past their length. */
TEST(roam_msg_parse_refusals)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	struct roam_event ev;
	struct roam_route rt;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24 };
	uint8_t v6[16] = { 0 };

	/* an IPv4 address event carrying a 16-byte IFA_LOCAL */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(ifa)), &ifa, sizeof(ifa));
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(v6), v6);
	CHECK_EQ(roam_msg_parse_event(nlh, &ev), -EBADMSG);
	CHECK_EQ(ev.type, 0);
	/* no address at all */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELADDR;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(ifa)), &ifa, sizeof(ifa));
	CHECK_EQ(roam_msg_parse_event(nlh, &ev), -EBADMSG);
	/* a header shorter than ifaddrmsg */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	mnl_nlmsg_put_extra_header(nlh, 4);
	CHECK_EQ(roam_msg_parse_event(nlh, &ev), -EBADMSG);
	/* a prefix longer than the family allows */
	ifa.ifa_prefixlen = 33;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(ifa)), &ifa, sizeof(ifa));
	mnl_attr_put(nlh, IFA_LOCAL, 4, v6);
	CHECK_EQ(roam_msg_parse_event(nlh, &ev), -EBADMSG);
	/* other message types */
	nlh->nlmsg_type = RTM_NEWLINK;
	CHECK_EQ(roam_msg_parse_event(nlh, &ev), -ENOMSG);
	CHECK_EQ(roam_msg_parse_route(nlh, &rt), -ENOMSG);
	/* a route answer of an unknown family */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	memset(mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg)), 0,
	       sizeof(struct rtmsg));
	CHECK_EQ(roam_msg_parse_route(nlh, &rt), -EBADMSG);
}

/* ---- against the kernel --------------------------------------------------- */

static struct mnl_socket *rtnl(unsigned groups)
{
	struct timeval tv = { .tv_sec = 2 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);

	REQUIRE(nl != NULL);
	REQUIRE_EQ(mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID), 0);
	REQUIRE_EQ(setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
			      &tv, sizeof(tv)),
		   0);
	return nl;
}

/* The kernel's routing decision for `dst`: 0 and the route, or -errno. */
static int route_get(struct mnl_socket *nl, const char *dst,
		     struct roam_route *rt)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct kernel_addr a = xt_addr(dst);
	int len = roam_msg_route_get(buf, sizeof(buf), 1, &a);
	const struct nlmsghdr *nlh = (const void *)buf;
	ssize_t n;

	REQUIRE_GE(len, 16);
	REQUIRE_EQ(mnl_socket_sendto(nl, buf, (size_t)len), len);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	REQUIRE_GE(n, 16);
	REQUIRE(mnl_nlmsg_ok(nlh, (int)n));
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;
		memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
		return e.error;
	}
	return roam_msg_parse_route(nlh, rt);
}

/* Reads notifications until one of `type` for `addr` came (2 s at most). */
static bool wait_addr(struct mnl_socket *nl, uint8_t type, const char *addr,
		      struct roam_event *out)
{
	struct kernel_addr want = xt_addr(addr);
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];

	for (int i = 0; i < 50; i++) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const void *)buf;
		int left = (int)n;

		if (n < 0)
			return false;
		for (; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			int r = roam_msg_parse_event(nlh, out);
			CHECK(r == 0 || r == -ENOMSG);
			if (r == 0 && out->type == type &&
			    memcmp(&out->addr, &want, sizeof(want)) == 0)
				return true;
		}
	}
	return false;
}

/* What io/roam.c relies on: an address that comes or goes is notified,
 * and the kernel names the source address it would use for a peer (its
 * RTA_PREFSRC), which follows the routes. */
TEST(roam_msg_kernel_addresses_and_routes)
{
	struct mnl_socket *ev, *req;
	struct roam_event e;
	struct roam_route rt;
	char s[64];

	xt_netns();
	ev = rtnl(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
		  RTMGRP_IPV6_ROUTE);
	req = rtnl(0);
	REQUIRE_EQ(xt_sh("ip addr add 10.9.0.1/24 dev lo && "
			 "ip addr add fd00:9::1/64 dev lo nodad"),
		   0);
	REQUIRE(wait_addr(ev, ROAM_EV_ADDR_NEW, "10.9.0.1", &e));
	CHECK_EQ(e.family, AF_INET);
	CHECK_EQ(e.plen, 24);
	CHECK_EQ(e.ifindex, 1); /* lo */
	REQUIRE(wait_addr(ev, ROAM_EV_ADDR_NEW, "fd00:9::1", &e));
	CHECK_EQ(e.plen, 64);

	REQUIRE_EQ(route_get(req, "10.9.0.7", &rt), 0);
	CHECK_STR(kernel_addr_str(&rt.src, s, sizeof(s)), "10.9.0.1");
	CHECK_EQ(rt.oif, 1);
	REQUIRE_EQ(route_get(req, "fd00:9::7", &rt), 0);
	CHECK_STR(kernel_addr_str(&rt.src, s, sizeof(s)), "fd00:9::1");
	/* Nothing routes there yet: the kernel says so. */
	CHECK_EQ(route_get(req, "198.18.0.1", &rt), -ENETUNREACH);

	/* A second address, and a route that prefers it: the answer moves
	 * (what MOBIKE's initiator follows). */
	REQUIRE_EQ(xt_sh("ip addr add 10.9.1.1/24 dev lo && "
			 "ip route add 198.18.0.0/16 dev lo src 10.9.1.1"),
		   0);
	REQUIRE_EQ(route_get(req, "198.18.0.1", &rt), 0);
	CHECK_STR(kernel_addr_str(&rt.src, s, sizeof(s)), "10.9.1.1");
	REQUIRE_EQ(xt_sh("ip route replace 198.18.0.0/16 dev lo src 10.9.0.1"),
		   0);
	REQUIRE_EQ(route_get(req, "198.18.0.1", &rt), 0);
	CHECK_STR(kernel_addr_str(&rt.src, s, sizeof(s)), "10.9.0.1");

	/* The address goes: notified, and its routes with it. */
	REQUIRE_EQ(xt_sh("ip addr del 10.9.0.1/24 dev lo"), 0);
	REQUIRE(wait_addr(ev, ROAM_EV_ADDR_DEL, "10.9.0.1", &e));
	CHECK_EQ(route_get(req, "198.18.0.1", &rt), -ENETUNREACH);
	mnl_socket_close(ev);
	mnl_socket_close(req);
}
