/* Road warriors and strongSwan (RFC 7296 §3.15), daemons in two network
 * namespaces:
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     road warrior (vips = 0.0.0.0)      gateway (pools { rw })
 *
 * keybridged as the gateway of charon (swanctl) and as charon's road
 * warrior, with PSK authentication. This kernel has no ESP, so the CHILD
 * SAs are not installed; the addresses, DNS servers, selectors and the
 * host address are what is checked here. kmod-tests/48-kb-road-warrior.sh
 * pings through the tunnel from the virtual address. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A road-warrior connection of `p` to `gw`: asks for any IPv4 address
 * and tunnels 10.2.0.0/24 behind the gateway. */
static void rw_conf(char *conf, size_t cap, const struct du_peer *p,
		    const struct du_peer *gw, bool start)
{
	snprintf(conf, cap,
		 "connections {\n"
		 "  rw {\n"
		 "    local_addrs = %s\n"
		 "    remote_addrs = %s\n"
		 "    vips = 0.0.0.0\n"
		 "    mobike = no\n"
		 "    proposals = aes256gcm16-prfsha256-x25519\n"
		 "    local {\n      auth = psk\n      id = carol@example.org\n"
		 "    }\n"
		 "    remote {\n      auth = psk\n      id = gw.example.org\n"
		 "    }\n"
		 "    children {\n"
		 "      c {\n"
		 "        remote_ts = 10.2.0.0/24\n"
		 "        esp_proposals = aes128gcm16\n"
		 "        start_action = %s\n"
		 "      }\n"
		 "    }\n"
		 "  }\n"
		 "}\n"
		 "secrets {\n"
		 "  ike-rw {\n    id-1 = carol@example.org\n"
		 "    id-2 = gw.example.org\n"
		 "    secret = \"road warrior secret 0123\"\n  }\n"
		 "}\n",
		 p->addr, gw->addr, start ? "start" : "none");
}

/* The gateway: any road warrior with the secret gets an address of
 * 10.3.0.0/28 (10.3.0.1-10.3.0.14) and DNS server 10.3.0.53. */
static void gw_conf(char *conf, size_t cap, const struct du_peer *p)
{
	snprintf(conf, cap,
		 "pools {\n"
		 "  rw_pool {\n    addrs = 10.3.0.0/28\n"
		 "    dns = 10.3.0.53\n  }\n"
		 "}\n"
		 "connections {\n"
		 "  gw {\n"
		 "    local_addrs = %s\n"
		 "    pools = rw_pool\n"
		 "    mobike = no\n"
		 "    proposals = aes256gcm16-prfsha256-x25519\n"
		 "    local {\n      auth = psk\n      id = gw.example.org\n"
		 "    }\n"
		 "    remote {\n      auth = psk\n    }\n"
		 "    children {\n"
		 "      c {\n"
		 "        local_ts = 10.2.0.0/24\n"
		 "        esp_proposals = aes128gcm16\n"
		 "      }\n"
		 "    }\n"
		 "  }\n"
		 "}\n"
		 "secrets {\n"
		 "  ike-rw {\n    id-1 = carol@example.org\n"
		 "    id-2 = gw.example.org\n"
		 "    secret = \"road warrior secret 0123\"\n  }\n"
		 "}\n",
		 p->addr);
}

static void run_in(const struct du_peer *p, const char *fmt, const char *arg,
		   char *out, size_t cap)
{
	char cmd[512], line[400];

	snprintf(line, sizeof(line), fmt, arg);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s %s 2>&1", p->ns, line);
	test_run_capture(cmd, out, cap);
}

static void dump(struct du_peer *a, struct du_peer *b)
{
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(a);
		du_log_dump(b);
	}
}

/* charon (carol) asks keybridged for an address and a DNS server; the
 * CHILD SA's selectors on both sides carry the leased address, and the
 * lease is listed by get-pools and goes offline when carol leaves. */
TEST(keybridged_gateway_leases_to_charon)
{
	struct du_peer a, b;
	char conf[2048], out[8192], uri[160];

	du_link(&a, &b, false);
	gw_conf(conf, sizeof(conf), &b);
	du_write_conf(&b, conf);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	rw_conf(conf, sizeof(conf), &a, &b, false);
	du_start_charon(&a, conf, "c");
	CHECK(du_log_wait(&b,
			  "leased virtual address 10.3.0.1 from pool "
			  "'rw_pool' to 'carol@example.org'",
			  10000));
	CHECK(du_log_wait(&b, "IKE SA established", 5000));
	/* (charon's resolve plugin writes to its directory, not /etc) */
	CHECK(du_charon_log_wait(&a, "installing DNS server 10.3.0.53", 5000));
	CHECK(du_charon_log_wait(&a, "installing new virtual IP 10.3.0.1",
				 5000));
	/* the CHILD SA was narrowed to the lease on both sides (charon
	 * names the selectors when it removes the policies it could not
	 * install without ESP) */
	CHECK(du_charon_log_wait(&a, "10.2.0.0/24 === 10.3.0.1/32", 5000));
	/* the gateway's view: swanctl on keybridged's vici socket */
	snprintf(uri, sizeof(uri), "--uri unix://%s/keybridge.vici", b.dir);
	run_in(&b, "swanctl --list-pools --leases %s", uri, out, sizeof(out));
	CHECK(strstr(out, "rw_pool") != NULL);
	CHECK(strstr(out, "10.3.0.1") != NULL);
	CHECK(strstr(out, "1 / 0 / 14") != NULL);
	CHECK(strstr(out, "online") != NULL);
	CHECK(strstr(out, "carol@example.org") != NULL);
	if (test_failed())
		test_note("swanctl --list-pools:\n%s", out);
	/* carol leaves: the lease is kept for her, offline */
	snprintf(uri, sizeof(uri), "--uri unix://%s/charon.vici", a.dir);
	run_in(&a, "swanctl --terminate --ike rw %s", uri, out, sizeof(out));
	CHECK(du_log_wait(&b, "IKE SA deleted", 5000));
	snprintf(uri, sizeof(uri), "--uri unix://%s/keybridge.vici", b.dir);
	run_in(&b, "swanctl --list-pools %s", uri, out, sizeof(out));
	CHECK(strstr(out, "0 / 1 / 14") != NULL);
	if (test_failed())
		test_note("swanctl --list-pools:\n%s", out);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	dump(&a, &b);
}

/* keybridged as charon's road warrior: the address charon's pool assigns
 * goes on the interface holding keybridged's own address, and goes away
 * when keybridged stops. */
TEST(keybridged_road_warrior_of_charon)
{
	struct du_peer a, b;
	char conf[2048], out[8192];

	du_link(&a, &b, false);
	gw_conf(conf, sizeof(conf), &b);
	du_start_charon(&b, conf, NULL);
	rw_conf(conf, sizeof(conf), &a, &b, true);
	du_write_conf(&a, conf);
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "peer assigned virtual address 10.3.0.1", 10000));
	CHECK(du_log_wait(&a, "peer names DNS servers 10.3.0.53", 2000));
	CHECK(du_log_wait(&a, "virtual address 10.3.0.1/32 added to", 2000));
	CHECK(du_charon_log_wait(&b, "assigning virtual IP 10.3.0.1", 3000));
	run_in(&a, "ip -4 address show %s", "", out, sizeof(out));
	CHECK(strstr(out, "inet 10.3.0.1/32") != NULL);
	if (test_failed())
		test_note("ip address:\n%s", out);
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	run_in(&a, "ip -4 address show %s", "", out, sizeof(out));
	CHECK(strstr(out, "10.3.0.1") == NULL);
	dump(&a, &b);
}
