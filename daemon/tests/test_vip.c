/* A road warrior's virtual address on the host: the rtnetlink builders of
 * kernel/addr.c byte for byte beside iproute2's messages, the real kernel
 * in a namespace of the test's own, and swanctl.conf pools/vips on their
 * way to the engine (io/vip.c). */
#include "engine/pool.h"
#include "ike_iana.h"
#include "io/conns.h"
#include "io/vip.h"
#include "kernel/addr.h"
#include "kernel/route.h"
#include "tests/conf_util.h"
#include "tests/engine_harness.h"
#include "tests/netns.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Compares a built message with `hex`, ignoring nlmsg_seq and nlmsg_pid. */
static void check_msg(const uint8_t *built, int len, const char *hex)
{
	uint8_t want[256], a[256];
	long n = test_unhex(hex, want, sizeof(want));

	REQUIRE_EQ(len, n);
	memcpy(a, built, (size_t)len);
	memset(a + 8, 0, 8);
	memset(want + 8, 0, 8);
	CHECK_MEM(a, want, (size_t)len);
}

/* What iproute2 6.1 sends for `ip address add 10.3.0.1/32 dev lo`, `ip
 * address add fd00::7/128 dev lo nodad` and `ip address del 10.3.0.1/32
 * dev lo` (strace -e sendmsg shows it decoded), with keybridge's IFA_PROTO
 * attribute after it on the adds (that iproute2 has no "proto" for
 * addresses). */
TEST(addr_msg_build_as_iproute2)
{
	uint8_t buf[ADDR_MSG_BUFSIZE], v4[4] = { 10, 3, 0, 1 }, v6[16];
	int len;

	inet_pton(AF_INET6, "fd00::7", v6);
	len = addr_msg_build(buf, sizeof(buf), true, 7, 1, AF_INET, v4, 32);
	check_msg(buf, len,
		  "30 00 00 00 14 00 05 06"   /* len, RTM_NEWADDR, REQ|ACK|
					       EXCL|CREATE */
		  "00 00 00 00 00 00 00 00"   /* seq, pid */
		  "02 20 00 00 01 00 00 00"   /* AF_INET /32, flags, scope
					       universe, lo */
		  "08 00 02 00 0a 03 00 01"   /* IFA_LOCAL */
		  "08 00 01 00 0a 03 00 01"   /* IFA_ADDRESS */
		  "05 00 0b 00 6b 00 00 00"); /* IFA_PROTO 0x6b */
	len = addr_msg_build(buf, sizeof(buf), true, 7, 1, AF_INET6, v6, 128);
	check_msg(buf, len,
		  "48 00 00 00 14 00 05 06 00 00 00 00 00 00 00 00"
		  "0a 80 02 00 01 00 00 00" /* AF_INET6 /128, IFA_F_NODAD */
		  "14 00 02 00 fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 07"
		  "14 00 01 00 fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 07"
		  "05 00 0b 00 6b 00 00 00");
	len = addr_msg_build(buf, sizeof(buf), false, 7, 1, AF_INET, v4, 32);
	check_msg(buf, len,
		  "28 00 00 00 15 00 05 00 00 00 00 00 00 00 00 00"
		  "02 20 00 00 01 00 00 00"
		  "08 00 02 00 0a 03 00 01 08 00 01 00 0a 03 00 01");
	/* bad input */
	CHECK_EQ(addr_msg_build(buf, sizeof(buf), true, 7, 1, AF_INET, v4, 33),
		 -EINVAL);
	CHECK_EQ(addr_msg_build(buf, sizeof(buf), true, 7, 0, AF_INET, v4, 32),
		 -EINVAL);
	CHECK_EQ(addr_msg_build(buf, sizeof(buf), true, 7, 1, 99, v4, 32),
		 -EINVAL);
	CHECK_EQ(addr_msg_build(buf, 16, true, 7, 1, AF_INET, v4, 32), -ENOSPC);
}

/* The parser of the start-up cleanup: an address we added (the kernel
 * reports it in the shape of our request), others, and truncated ones. */
TEST(addr_msg_parse_ours_only)
{
	uint8_t buf[ADDR_MSG_BUFSIZE], v6[16];
	struct addr_entry e;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int len;

	inet_pton(AF_INET6, "fd00::7", v6);
	len = addr_msg_build(buf, sizeof(buf), true, 1, 3, AF_INET6, v6, 128);
	REQUIRE_GE(len, 0);
	REQUIRE_EQ(addr_msg_parse(nlh, &e), 0);
	CHECK_EQ(e.ifindex, 3);
	CHECK_EQ(e.family, AF_INET6);
	CHECK_EQ(e.prefix, 128);
	CHECK_MEM(e.ip, v6, 16);
	/* without IFA_PROTO (a delete has none): someone else's */
	len = addr_msg_build(buf, sizeof(buf), false, 1, 3, AF_INET6, v6, 128);
	nlh->nlmsg_type = RTM_NEWADDR;
	CHECK_EQ(addr_msg_parse(nlh, &e), -ENOMSG);
	/* cut inside the ifaddrmsg: malformed; an attribute running past
	 * the end stops the walk (libmnl), so the mark is not seen: not
	 * ours, and nothing is read beyond the message */
	len = addr_msg_build(buf, sizeof(buf), true, 1, 3, AF_INET6, v6, 128);
	nlh->nlmsg_len = NLMSG_LENGTH(4);
	CHECK_EQ(addr_msg_parse(nlh, &e), -EBADMSG);
	nlh->nlmsg_len = (uint32_t)len;
	buf[NLMSG_LENGTH(8)] = 0xff; /* IFA_LOCAL's nla_len */
	CHECK_EQ(addr_msg_parse(nlh, &e), -ENOMSG);
}

/* True if interface `ifname` holds `ip` (IPv4). */
static bool has_addr4(const char *ifname, const char *ip)
{
	struct ifaddrs *list, *i;
	struct in_addr want;
	bool found = false;

	inet_pton(AF_INET, ip, &want);
	if (getifaddrs(&list) < 0)
		return false;
	for (i = list; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, ifname) &&
		    ((struct sockaddr_in *)(void *)i->ifa_addr)
				    ->sin_addr.s_addr == want.s_addr)
			found = true;
	freeifaddrs(list);
	return found;
}

/* The real kernel: add (twice: idempotent), find the interface of a local
 * address, remove, and flush what a crashed run would have left while an
 * address of someone else's stays. */
TEST(addr_change_in_a_namespace)
{
	uint8_t vip[4] = { 10, 3, 0, 1 }, other[4] = { 10, 9, 9, 9 };
	uint8_t lo[4] = { 127, 0, 0, 1 };
	uint32_t idx;

	test_netns_enter();
	test_netns_add_lo_addr("10.9.9.9/32"); /* not ours: no proto */
	idx = addr_ifindex_of(AF_INET, lo);
	REQUIRE_EQ(idx, if_nametoindex("lo"));
	CHECK_EQ(addr_ifindex_of(AF_INET, vip), 0);
	REQUIRE_EQ(addr_change(true, idx, AF_INET, vip, 32), 0);
	CHECK(has_addr4("lo", "10.3.0.1"));
	CHECK_EQ(addr_change(true, idx, AF_INET, vip, 32), 0);
	REQUIRE_EQ(addr_change(false, idx, AF_INET, vip, 32), 0);
	CHECK(!has_addr4("lo", "10.3.0.1"));
	CHECK_EQ(addr_change(false, idx, AF_INET, vip, 32), 0); /* gone */
	/* a crash left one: the next start removes it, and only it */
	REQUIRE_EQ(addr_change(true, idx, AF_INET, vip, 32), 0);
	CHECK_EQ(addr_flush_ours(), 1);
	CHECK(!has_addr4("lo", "10.3.0.1"));
	CHECK(has_addr4("lo", "10.9.9.9"));
	CHECK_EQ(addr_change(true, 999, AF_INET, other, 32), -ENODEV);
}

/* An ADDR_ADD or ADDR_DEL action for 10.3.0.1/32 of an IKE SA whose
 * local address is `local`. */
static struct engine_action vip_act(enum engine_action_type t,
				    const char *local)
{
	struct engine_action a = { .type = t, .ike_id = 7 };

	a.u.vip.addr.family = AF_INET;
	a.u.vip.addr.prefix = 32;
	inet_pton(AF_INET, "10.3.0.1", a.u.vip.addr.ip);
	a.u.vip.local.family = AF_INET;
	inet_pton(AF_INET, local, a.u.vip.local.ip);
	snprintf(a.u.vip.conn, sizeof(a.u.vip.conn), "rw");
	return a;
}

/* MOBIKE moved the IKE SA from 192.0.2.10 (kbv1) to 198.51.100.10
 * (kbv2): the engine's second ADDR_ADD moves the virtual address to kbv2
 * (a laptop's Wi-Fi may be about to go away with it), asked again on the
 * same interface it stays, and ADDR_DEL finds it where it is now even
 * once the old local address is gone. */
TEST(vip_follows_the_local_address)
{
	struct engine_action a;

	test_netns_enter();
	if (system("ip link add kbv1 type veth peer name kbv2 && "
		   "ip link set kbv1 up && ip link set kbv2 up && "
		   "ip addr add 192.0.2.10/24 dev kbv1 && "
		   "ip addr add 198.51.100.10/24 dev kbv2") != 0)
		test_skip("cannot create a veth pair in the test's namespace");
	a = vip_act(ENGINE_ACT_ADDR_ADD, "192.0.2.10");
	vip_action(&a);
	CHECK(has_addr4("kbv1", "10.3.0.1"));
	CHECK_EQ(addr_ours_ifindex(AF_INET, a.u.vip.addr.ip),
		 if_nametoindex("kbv1"));
	/* the same again: nothing changes */
	vip_action(&a);
	CHECK(has_addr4("kbv1", "10.3.0.1"));
	CHECK(!has_addr4("kbv2", "10.3.0.1"));
	/* moved: on kbv2 only */
	REQUIRE_EQ(system("ip addr del 192.0.2.10/24 dev kbv1"), 0);
	a = vip_act(ENGINE_ACT_ADDR_ADD, "198.51.100.10");
	vip_action(&a);
	CHECK(has_addr4("kbv2", "10.3.0.1"));
	CHECK(!has_addr4("kbv1", "10.3.0.1"));
	/* the IKE SA goes; its ADDR_DEL still names the first address */
	a = vip_act(ENGINE_ACT_ADDR_DEL, "192.0.2.10");
	vip_action(&a);
	CHECK(!has_addr4("kbv2", "10.3.0.1"));
	CHECK(!has_addr4("kbv1", "10.3.0.1"));
	CHECK_EQ(addr_ours_ifindex(AF_INET, a.u.vip.addr.ip), 0);
}

/* A tunnel from our virtual address (out policy src 10.3.0.1/32, dst
 * 10.10.0.0/24, peer 203.0.113.1 behind gateway 192.0.2.1): a route in
 * table 220 with the virtual address as source, looked up before the
 * main table (the rule), so that traffic to the site leaves from the
 * virtual address and meets the policy; gone with the policy, the rule
 * gone with the flush. A site-to-site policy gets no route. */
TEST(vip_route_for_a_tunnel_from_the_virtual_address)
{
	struct engine_action a = vip_act(ENGINE_ACT_ADDR_ADD, "192.0.2.10");
	struct engine_action pol = { .type = ENGINE_ACT_POLICY_ADD,
				     .ike_id = 7 };
	struct engine_policy *p = &pol.u.policy;
	char out[4096];

	test_netns_enter();
	if (system("ip link add kbv1 type veth peer name kbv2 && "
		   "ip link set kbv1 up && ip link set kbv2 up && "
		   "ip addr add 192.0.2.10/24 dev kbv1 && "
		   "ip route add 203.0.113.0/24 via 192.0.2.1") != 0)
		test_skip("cannot create a veth pair in the test's namespace");
	vip_action(&a);
	p->dir = ENGINE_POL_OUT;
	p->mode = ENGINE_MODE_TUNNEL;
	harness_ts4(&p->src, "10.3.0.1", "10.3.0.1");
	harness_ts4(&p->dst, "10.10.0.0", "10.10.0.255");
	p->tmpl_src.family = p->tmpl_dst.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", p->tmpl_src.ip);
	inet_pton(AF_INET, "203.0.113.1", p->tmpl_dst.ip);
	vip_policy("rw[7]", &pol);
	REQUIRE_EQ(
		test_run_capture("ip route show table 220", out, sizeof(out)),
		0);
	CHECK(strstr(out, "10.10.0.0/24 via 192.0.2.1 dev kbv1") != NULL);
	CHECK(strstr(out, "src 10.3.0.1") != NULL);
	REQUIRE_EQ(test_run_capture("ip rule", out, sizeof(out)), 0);
	CHECK(strstr(out, "220:") != NULL && strstr(out, "lookup 220"));
	REQUIRE_EQ(test_run_capture("ip route get 10.10.0.9", out, sizeof(out)),
		   0);
	CHECK(strstr(out, "src 10.3.0.1") != NULL);
	/* a site-to-site policy (source a subnet): no route */
	harness_ts4(&p->src, "10.1.0.0", "10.1.0.255");
	harness_ts4(&p->dst, "10.20.0.0", "10.20.0.255");
	vip_policy("net[8]", &pol);
	REQUIRE_EQ(
		test_run_capture("ip route show table 220", out, sizeof(out)),
		0);
	CHECK(strstr(out, "10.20.0.0") == NULL);
	/* the policy goes: its route too */
	harness_ts4(&p->src, "10.3.0.1", "10.3.0.1");
	harness_ts4(&p->dst, "10.10.0.0", "10.10.0.255");
	pol.type = ENGINE_ACT_POLICY_DEL;
	vip_policy("rw[7]", &pol);
	REQUIRE_EQ(
		test_run_capture("ip route show table 220", out, sizeof(out)),
		0);
	CHECK(strstr(out, "10.10.0.0") == NULL);
	/* a crash left a route and the rule: the next start removes them */
	pol.type = ENGINE_ACT_POLICY_ADD;
	vip_policy("rw[7]", &pol);
	CHECK_EQ(route_flush_ours(), 1);
	REQUIRE_EQ(test_run_capture("ip rule", out, sizeof(out)), 0);
	CHECK(strstr(out, "lookup 220") == NULL);
	a = vip_act(ENGINE_ACT_ADDR_DEL, "192.0.2.10");
	vip_action(&a);
}

/* swanctl.conf's pools and vips reach the engine; "dynamic" selectors of
 * such connections cover every address of the families involved until
 * the engine narrows them to the virtual address. */
TEST(vip_conns_from_swanctl_conf)
{
	static const char text[] =
		"pools { rw { addrs = 10.3.0.0/24\n dns = 10.3.0.53 }\n"
		"        rw6 { addrs = fd00::/120 } }\n"
		"connections {\n"
		" gw { pools = rw, rw6\n local { auth = psk }\n"
		"      remote { auth = psk }\n"
		"      children { net { local_ts = 10.1.0.0/16 } } }\n"
		" road { remote_addrs = 192.0.2.1\n vips = 0.0.0.0\n"
		"      local { auth = psk }\n remote { auth = psk }\n"
		"      children { net { remote_ts = 10.1.0.0/16 } } }\n"
		"}\n"
		"secrets { ike { secret = abc } }\n";
	struct conf_diag diag = { 0 };
	struct conns c = { 0 };
	struct kb_config *cfg;
	const struct engine_conn *gw, *road;
	const struct engine_child_cfg *ch;

	cfg = config_load_string(text, strlen(text), "mem.conf", &diag);
	REQUIRE(cfg != NULL);
	REQUIRE_EQ(conf_diag_errors(&diag), 0);
	REQUIRE_EQ(conns_build(cfg, NULL, &c, &diag), 0);
	REQUIRE_EQ(c.n, 2);
	REQUIRE_EQ(c.n_pools, 2);
	CHECK_STR(c.pools[0].name, "rw");
	CHECK_EQ(c.pools[0].n_dns, 1);
	CHECK_EQ(c.pools[1].family, AF_INET6);
	gw = &c.conn[conns_find(&c, "gw")];
	road = &c.conn[conns_find(&c, "road")];
	REQUIRE_EQ(gw->n_pools, 2);
	CHECK_STR(gw->pools[1], "rw6");
	/* remote dynamic: 0.0.0.0/0 and ::/0 (both pool families) */
	ch = &gw->children[0];
	REQUIRE_EQ(ch->n_remote_ts, 2);
	CHECK_EQ(ch->remote_ts[0].type, TS_IPV4_ADDR_RANGE);
	CHECK_EQ(ch->remote_ts[0].end[0], 0xff);
	CHECK_EQ(ch->remote_ts[1].type, TS_IPV6_ADDR_RANGE);
	REQUIRE_EQ(road->n_vips, 1);
	CHECK_EQ(road->vips[0].family, AF_INET);
	ch = &road->children[0];
	REQUIRE_EQ(ch->n_local_ts, 1);
	CHECK_EQ(ch->local_ts[0].type, TS_IPV4_ADDR_RANGE);
	CHECK_EQ(ch->local_ts[0].start[0], 0);
	CHECK_EQ(ch->local_ts[0].end[3], 0xff);
	conns_free(&c);
	conf_diag_free(&diag);
	config_free(cfg);
}
