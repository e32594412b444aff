/* kernel/route.c: the road warrior's routes in table 220. Builders byte
 * for byte, the dump parser on crafted messages, then on what this
 * machine's kernel dumps in a namespace of the test's own (the fuzz seeds
 * of fuzz_rtnl come from there). */
#include "kernel/route.h"
#include "kernel/rtnl.h"
#include "tests/netns.h"
#include "tests/rtnl_util.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_hex(const uint8_t *built, int len, const char *hex)
{
	uint8_t want[256];
	long n = test_unhex(hex, want, sizeof(want));

	REQUIRE_EQ(len, n);
	CHECK_MEM(built, want, (size_t)len);
}

/* `ip route add 10.10.0.0/24 via 192.0.2.1 dev #2 src 10.3.0.1 table 220
 * proto 0x6b` in the attribute order of route_msg_build (iproute2 names a
 * table below 256 in rtm_table only), then a delete of fd00:10::/64 that
 * matches any scope, and the rule. */
TEST(route_msg_build_bytes)
{
	uint8_t buf[ROUTE_MSG_BUFSIZE], dst[4] = { 10, 10, 0, 0 };
	uint8_t src[4] = { 10, 3, 0, 1 }, gw[4] = { 192, 0, 2, 1 }, dst6[16];
	int len;

	inet_pton(AF_INET6, "fd00:10::", dst6);
	len = route_msg_build(buf, sizeof(buf), true, 7, AF_INET, dst, 24, src,
			      gw, 2);
	check_hex(buf, len,
		  "44 00 00 00 18 00 05 05"   /* len, RTM_NEWROUTE, REQ|ACK|
						REPLACE|CREATE */
		  "07 00 00 00 00 00 00 00"   /* seq 7, pid */
		  "02 18 00 00 dc 6b 00 01"   /* AF_INET /24, table 220,
						proto 0x6b, universe,
						unicast */
		  "00 00 00 00"		      /* rtm_flags */
		  "08 00 0f 00 dc 00 00 00"   /* RTA_TABLE 220 */
		  "08 00 01 00 0a 0a 00 00"   /* RTA_DST */
		  "08 00 07 00 0a 03 00 01"   /* RTA_PREFSRC */
		  "08 00 05 00 c0 00 02 01"   /* RTA_GATEWAY */
		  "08 00 04 00 02 00 00 00"); /* RTA_OIF 2 */
	len = route_msg_build(buf, sizeof(buf), false, 8, AF_INET6, dst6, 64,
			      NULL, NULL, 0);
	check_hex(
		buf, len,
		"38 00 00 00 19 00 05 00 08 00 00 00 00 00 00 00"
		"0a 40 00 00 dc 6b ff 01 00 00 00 00" /* scope nowhere */
		"08 00 0f 00 dc 00 00 00"
		"14 00 01 00 fd 00 00 10 00 00 00 00 00 00 00 00 00 00 00 00");
	len = route_msg_rule(buf, sizeof(buf), true, 9, AF_INET);
	check_hex(buf, len,
		  "2c 00 00 00 20 00 05 06" /* RTM_NEWRULE, REQ|ACK|EXCL|
						CREATE */
		  "09 00 00 00 00 00 00 00"
		  "02 00 00 00 dc 00 00 01" /* AF_INET, table 220, to table */
		  "00 00 00 00"
		  "08 00 0f 00 dc 00 00 00"   /* FRA_TABLE */
		  "08 00 06 00 dc 00 00 00"); /* FRA_PRIORITY 220 */
	len = route_msg_rule(buf, sizeof(buf), false, 9, AF_INET6);
	check_hex(buf, len,
		  "2c 00 00 00 21 00 05 00 09 00 00 00 00 00 00 00"
		  "0a 00 00 00 dc 00 00 01 00 00 00 00"
		  "08 00 0f 00 dc 00 00 00 08 00 06 00 dc 00 00 00");
	/* bad input */
	CHECK_EQ(route_msg_build(buf, sizeof(buf), true, 7, AF_INET, dst, 33,
				 NULL, NULL, 0),
		 -EINVAL);
	CHECK_EQ(route_msg_build(buf, sizeof(buf), true, 7, 99, dst, 8, NULL,
				 NULL, 0),
		 -EINVAL);
	CHECK_EQ(route_msg_build(buf, 40, true, 7, AF_INET, dst, 8, NULL, NULL,
				 0),
		 -ENOSPC);
	CHECK_EQ(route_msg_rule(buf, sizeof(buf), true, 7, 99), -EINVAL);
	CHECK_EQ(route_msg_rule(buf, 40, true, 7, AF_INET), -ENOSPC);
}

/* The kernel reports our route in the shape of our request: parsed; any
 * other protocol or table is someone else's; broken ones are refused and
 * nothing is read beyond the message. */
TEST(route_msg_parse_ours_only)
{
	uint8_t buf[ROUTE_MSG_BUFSIZE], dst[4] = { 10, 10, 0, 0 };
	uint8_t gw[4] = { 192, 0, 2, 1 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct rtmsg *rtm = (struct rtmsg *)(buf + 16);
	struct route_entry e;
	int len;

	len = route_msg_build(buf, sizeof(buf), true, 1, AF_INET, dst, 24, NULL,
			      gw, 2);
	REQUIRE_GE(len, 0);
	REQUIRE_EQ(route_msg_parse(nlh, &e), 0);
	CHECK_EQ(e.family, AF_INET);
	CHECK_EQ(e.plen, 24);
	CHECK_MEM(e.dst, dst, 4);
	/* someone else's: another protocol, another table, a delete */
	rtm->rtm_protocol = RTPROT_STATIC;
	CHECK_EQ(route_msg_parse(nlh, &e), -ENOMSG);
	rtm->rtm_protocol = ROUTE_PROTO_KEYBRIDGE;
	buf[16 + 12 + 4] = RT_TABLE_MAIN; /* RTA_TABLE's value */
	CHECK_EQ(route_msg_parse(nlh, &e), -ENOMSG);
	buf[16 + 12 + 4] = ROUTE_TABLE_VIP;
	nlh->nlmsg_type = RTM_DELROUTE;
	CHECK_EQ(route_msg_parse(nlh, &e), -ENOMSG);
	nlh->nlmsg_type = RTM_NEWROUTE;
	/* a default route (remote_ts 0.0.0.0/0) has no RTA_DST */
	len = route_msg_build(buf, sizeof(buf), true, 1, AF_INET, dst, 0, NULL,
			      gw, 2);
	REQUIRE_EQ(route_msg_parse(nlh, &e), 0);
	CHECK_EQ(e.plen, 0);
	CHECK_MEM(e.dst, "\0\0\0\0", 4);
	/* a /24 without RTA_DST: the length says RTA_TABLE only */
	rtm->rtm_dst_len = 24;
	nlh->nlmsg_len = 16 + 12 + 8;
	CHECK_EQ(route_msg_parse(nlh, &e), -EBADMSG);
	/* an RTA_DST of the wrong size */
	len = route_msg_build(buf, sizeof(buf), true, 1, AF_INET, dst, 24, NULL,
			      NULL, 0);
	rtm->rtm_family = AF_INET6;
	CHECK_EQ(route_msg_parse(nlh, &e), -EBADMSG);
	rtm->rtm_family = AF_INET;
	/* a prefix longer than the family's */
	rtm->rtm_dst_len = 33;
	CHECK_EQ(route_msg_parse(nlh, &e), -EBADMSG);
	rtm->rtm_dst_len = 24;
	/* RTA_TABLE of two bytes */
	buf[16 + 12] = 6;
	CHECK_EQ(route_msg_parse(nlh, &e), -EBADMSG);
	buf[16 + 12] = 8;
	/* cut inside the rtmsg, and shorter than a netlink header */
	nlh->nlmsg_len = 16 + 8;
	CHECK_EQ(route_msg_parse(nlh, &e), -EBADMSG);
	nlh->nlmsg_len = 8;
	CHECK_EQ(route_msg_parse(nlh, &e), -EBADMSG);
	nlh->nlmsg_len = (uint32_t)len;
	CHECK_EQ(route_msg_parse(nlh, &e), 0);
}

struct route_seen {
	size_t n, other;
	struct route_entry r[8];
};

static int route_seen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_seen *s = data;
	struct route_entry e;
	int r = route_msg_parse(nlh, &e);

	CHECK(r == 0 || r == -ENOMSG);
	if (r == 0 && s->n < 8)
		s->r[s->n++] = e;
	else if (r)
		s->other++;
	return MNL_CB_OK;
}

/* True if `s` holds a route of `family` to `cidr`'s prefix. */
static bool route_seen_has(const struct route_seen *s, uint8_t family,
			   const char *addr, uint8_t plen)
{
	uint8_t a[16] = { 0 };

	REQUIRE_EQ(inet_pton(family, addr, a), 1);
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].family == family && s->r[i].plen == plen &&
		    !memcmp(s->r[i].dst, a, 16))
			return true;
	return false;
}

/* The real kernel: four routes of ours in table 220 (IPv4 via a gateway,
 * a default route, on-link IPv6, a host route) among the kernel's own
 * and two that look alike (table 220 but another protocol; our protocol
 * in the main table). The dump finds ours and only ours, and the flush
 * of a next start removes exactly them. */
TEST(route_dump_finds_ours_in_the_kernel)
{
	uint8_t a[16], gw[4] = { 192, 0, 2, 1 };
	struct route_seen s = { 0 };
	char out[4096];
	uint32_t oif;

	test_netns_enter();
	if (system("ip link add kbrt1 type veth peer name kbrt2 && "
		   "ip link set kbrt1 up && ip link set kbrt2 up && "
		   "ip addr add 192.0.2.10/24 dev kbrt1 && "
		   "ip addr add fd00:1::10/64 dev kbrt1 nodad && "
		   "ip route add 10.30.0.0/24 dev kbrt1 table 220 && "
		   "ip route add 10.40.0.0/24 dev kbrt1 proto 0x6b") != 0)
		test_skip("cannot create a veth pair in the test's namespace");
	oif = if_nametoindex("kbrt1");
	REQUIRE_NE(oif, 0);
	inet_pton(AF_INET, "10.10.0.0", a);
	REQUIRE_EQ(route_change(true, AF_INET, a, 24, NULL, gw, oif), 0);
	REQUIRE_EQ(route_change(true, AF_INET, a, 0, NULL, gw, oif), 0);
	inet_pton(AF_INET, "10.20.0.1", a);
	REQUIRE_EQ(route_change(true, AF_INET, a, 32, NULL, NULL, oif), 0);
	inet_pton(AF_INET6, "fd00:10::", a);
	REQUIRE_EQ(route_change(true, AF_INET6, a, 64, NULL, NULL, oif), 0);
	CHECK_GE(rtnl_util_dump(RTM_GETROUTE, sizeof(struct rtmsg),
				"rtnl_dump_route", route_seen_cb, &s),
		 1);
	CHECK_EQ(s.n, 4);
	CHECK(route_seen_has(&s, AF_INET, "10.10.0.0", 24));
	CHECK(route_seen_has(&s, AF_INET, "0.0.0.0", 0));
	CHECK(route_seen_has(&s, AF_INET, "10.20.0.1", 32));
	CHECK(route_seen_has(&s, AF_INET6, "fd00:10::", 64));
	CHECK_GE(s.other, 4); /* local and main tables, the look-alikes */
	CHECK_EQ(route_flush_ours(), 4);
	REQUIRE_EQ(test_run_capture("ip route show table 220; ip route show",
				    out, sizeof(out)),
		   0);
	CHECK(strstr(out, "10.30.0.0/24") != NULL);
	CHECK(strstr(out, "10.40.0.0/24") != NULL);
	CHECK(strstr(out, "10.10.0.0") == NULL);
	CHECK(strstr(out, "10.20.0.1") == NULL);
	REQUIRE_EQ(test_run_capture("ip -6 route show table 220", out,
				    sizeof(out)),
		   0);
	CHECK(strstr(out, "fd00:10::") == NULL);
}
