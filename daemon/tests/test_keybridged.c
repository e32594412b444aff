/* Tests of the keybridged daemon as a process: its options, and two daemons
 * in two network namespaces negotiating with each other over a veth pair.
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     keybridged (initiator)             keybridged (responder)
 *
 * This kernel has no ESP: the IKE SA comes up, installing the CHILD SA
 * fails, and the daemons must say exactly that and stay up. Full tunnels
 * run under make kmod-check. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(keybridged_version_and_bad_options)
{
	char out[4096], cmd[512];

	snprintf(cmd, sizeof(cmd), "%s --version 2>&1",
		 test_build_path("bin/keybridged"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strncmp(out, "keybridged ", 11) == 0);
	snprintf(cmd, sizeof(cmd), "%s --bogus 2>&1",
		 test_build_path("bin/keybridged"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
	CHECK(strstr(out, "Usage:") != NULL);
	snprintf(cmd, sizeof(cmd), "%s -l loud 2>&1",
		 test_build_path("bin/keybridged"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
	CHECK(strstr(out, "unknown log level 'loud'") != NULL);
}

/* The daemon tests' PSK tunnel (daemon_util.h) with secret `psk`: a is
 * "a.example.org" with 10.1.0.0/24 behind it, b the same with 2. */
static void psk_conf(char *conf, size_t cap, const struct du_peer *p,
		     const struct du_peer *peer, bool is_a, const char *psk)
{
	const struct du_psk o = { .secret = psk,
				  .proposals = "aes256gcm16-prfsha256-x25519",
				  .esp_proposals = "aes128gcm16" };

	du_psk_conf_text(conf, cap, p, peer, is_a, &o);
}

static void write_psk_conf(struct du_peer *p, const struct du_peer *peer,
			   bool is_a, const char *psk)
{
	char conf[2048];

	psk_conf(conf, sizeof(conf), p, peer, is_a, psk);
	du_write_conf(p, conf);
}

TEST(keybridged_check_config_names_file_line_and_key)
{
	char out[4096], cmd[512], path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/kbcheck-%d.conf", (int)getpid());
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("connections {\n  t {\n    remote_addrs = 192.0.2.2\n"
	      "    rekey_tim = 1h\n  }\n}\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s --check-config -c %s 2>&1",
		 test_build_path("bin/keybridged"), path);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 1);
	char want[128];
	snprintf(want, sizeof(want), "%s:4", path);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "rekey_tim") != NULL);
	if (!strstr(out, want))
		test_note("output: %s", out);
	unlink(path);
}

static void two_daemons_psk(bool ipv6)
{
	struct du_peer a, b;

	du_link(&a, &b, ipv6);
	write_psk_conf(&a, &b, true, "a shared secret of some length");
	write_psk_conf(&b, &a, false, "a shared secret of some length");
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	bool up_a = du_log_wait(&a, "IKE SA established", 10000);
	bool up_b = du_log_wait(&b, "IKE SA established", 2000);
	CHECK(up_a);
	CHECK(up_b);
	/* No ESP in this kernel: the CHILD SA is refused, said so, and both
	 * daemons keep running. */
	CHECK(du_log_wait(&a, "kernel refused", 3000));
	CHECK(du_alive(&a));
	CHECK(du_alive(&b));
	/* Graceful stop: the peer sees the Delete, the daemon exits 0. */
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	CHECK(du_log_wait(&b, "IKE SA deleted", 3000));
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* A road warrior names no local address (local_addrs = %any): the
 * daemon asks the kernel which address reaches the peer, so its NAT
 * detection hashes (RFC 7296 §2.23) are over the real one and the peer
 * sees no NAT that is not there. */
TEST(keybridged_initiator_with_any_local_address)
{
	struct du_peer a, b;
	char conf[2048], any[2200], *at;

	du_link(&a, &b, false);
	psk_conf(conf, sizeof(conf), &a, &b, true,
		 "a shared secret of some "
		 "length");
	REQUIRE((at = strstr(conf, "local_addrs = ")) != NULL);
	*at = 0;
	snprintf(any, sizeof(any), "%slocal_addrs = %%any%s", conf,
		 strchr(at + 1, '\n'));
	du_write_conf(&a, any);
	write_psk_conf(&b, &a, false, "a shared secret of some length");
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "IKE SA established", 10000));
	CHECK(du_log_wait(&b, "IKE SA established", 2000));
	CHECK(!du_log_has(&b, "NAT detected"));
	CHECK(!du_log_has(&a, "NAT detected"));
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed()) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

TEST(keybridged_psk_ike_sa_between_two_daemons_ipv4)
{
	two_daemons_psk(false);
}

TEST(keybridged_psk_ike_sa_between_two_daemons_ipv6)
{
	two_daemons_psk(true);
}

/* Generates an ECDSA P-256 key pair with the openssl command into the
 * peer's directory: key.pem (private) and pub.pem. */
static void make_ecdsa_key(struct du_peer *p)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "openssl genpkey -algorithm EC -pkeyopt "
		 "ec_paramgen_curve:P-256 "
		 "-out %1$s/key.pem 2>/dev/null && "
		 "openssl pkey -in %1$s/key.pem -pubout -out %1$s/pub.pem",
		 p->dir);
	REQUIRE(system(cmd) == 0);
}

static void write_ecdsa_conf(struct du_peer *p, const struct du_peer *peer,
			     bool is_a)
{
	char conf[2048];
	char me = is_a ? 'a' : 'b', other = is_a ? 'b' : 'a';

	snprintf(
		conf, sizeof(conf),
		"connections {\n"
		"  t {\n"
		"    local_addrs = %s\n"
		"    remote_addrs = %s\n"
		"    proposals = aes128gcm16-prfsha256-x25519\n"
		"    local {\n      auth = pubkey\n      id = %c.example.org\n"
		"      pubkeys = %s/pub.pem\n    }\n"
		"    remote {\n      auth = pubkey\n      id = %c.example.org\n"
		"      pubkeys = %s/pub.pem\n    }\n"
		"    children {\n"
		"      c {\n"
		"        local_ts = 10.%d.0.0/24\n"
		"        remote_ts = 10.%d.0.0/24\n"
		"        start_action = %s\n"
		"      }\n"
		"    }\n"
		"  }\n"
		"}\n"
		"secrets {\n  private-me {\n    file = %s/key.pem\n  }\n}\n",
		p->addr, peer->addr, me, p->dir, other, peer->dir, is_a ? 1 : 2,
		is_a ? 2 : 1, is_a ? "start" : "none", p->dir);
	du_write_conf(p, conf);
}

/* RFC 7427 signatures with ECDSA P-256 keys loaded from PEM files. */
TEST(keybridged_ecdsa_ike_sa_between_two_daemons)
{
	struct du_peer a, b;

	du_link(&a, &b, false);
	make_ecdsa_key(&a);
	make_ecdsa_key(&b);
	write_ecdsa_conf(&a, &b, true);
	write_ecdsa_conf(&b, &a, false);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "IKE SA established", 10000));
	CHECK(du_log_wait(&b, "IKE SA established", 2000));
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* A wrong pre-shared key: the responder refuses with AUTHENTICATION_FAILED,
 * neither side pretends to be up, and both keep running. */
TEST(keybridged_wrong_psk_fails_and_daemons_stay_up)
{
	struct du_peer a, b;

	du_link(&a, &b, false);
	write_psk_conf(&a, &b, true, "the initiator's idea of the secret");
	write_psk_conf(&b, &a, false, "the responder's idea of the secret");
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "IKE SA failed", 10000));
	CHECK(!du_log_has(&a, "IKE SA established"));
	CHECK(!du_log_has(&b, "IKE SA established"));
	CHECK(du_alive(&a));
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* The responder starts late: the initiator's first IKE_SA_INIT is lost
 * (port unreachable) and its retransmission (RFC 7296 §2.1, 4 s) brings the
 * SA up. */
TEST(keybridged_retransmission_recovers_a_lost_request)
{
	struct du_peer a, b;

	du_link(&a, &b, false);
	write_psk_conf(&a, &b, true, "a shared secret of some length");
	write_psk_conf(&b, &a, false, "a shared secret of some length");
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "ready", 5000));
	usleep(1000 * 1000);
	du_start(&b, NULL);
	CHECK(du_log_wait(&a, "retransmit", 6000));
	CHECK(du_log_wait(&a, "IKE SA established", 8000));
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* keybridged initiates to strongSwan's charon (PSK, AES-GCM, X25519). */
TEST(keybridged_initiates_to_charon)
{
	struct du_peer a, b;
	char conf[2048];

	du_link(&a, &b, false);
	psk_conf(conf, sizeof(conf), &b, &a, false, "interop secret 0123456");
	du_start_charon(&b, conf, NULL);
	write_psk_conf(&a, &b, true, "interop secret 0123456");
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "IKE SA established", 10000));
	CHECK(du_charon_log_wait(&b, "IKE_SA t[1] established", 3000));
	CHECK(du_alive(&a));
	/* A request that crossed charon's own IKE_AUTH processing is only
	 * answered after our retransmission (4 s): the stop waits for it. */
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK(du_charon_log_wait(&b, "deleting IKE_SA t[1]", 3000));
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* charon initiates to keybridged; it moves to port 4500 for IKE_AUTH
 * (MOBIKE), so this also covers the non-ESP marker path. */
TEST(keybridged_responds_to_charon)
{
	struct du_peer a, b;
	char conf[2048];

	du_link(&a, &b, false);
	write_psk_conf(&b, &a, false, "interop secret 0123456");
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	psk_conf(conf, sizeof(conf), &a, &b, true, "interop secret 0123456");
	du_start_charon(&a, conf, "c");
	CHECK(du_log_wait(&b, "IKE SA established", 10000));
	CHECK(du_charon_log_wait(&a, "IKE_SA t[1] established", 3000));
	CHECK(du_alive(&b));
	/* charon may ignore our first INFORMATIONAL while it still finishes
	 * IKE_AUTH; the stop then waits for our retransmission (4 s). */
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	CHECK(du_charon_log_wait(&a, "deleting IKE_SA t[1]", 3000));
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* Output of a command run in a peer's namespace. */
static void ns_capture(const struct du_peer *p, const char *what, char *out,
		       size_t cap)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip -n %s %s 2>&1", p->ns, what);
	test_run_capture(cmd, out, cap);
}

/* start_action = trap: the policy is in the kernel before any traffic, the
 * first packet's ACQUIRE brings the IKE SA up, and a stop leaves the
 * kernel clean. */
TEST(keybridged_trap_policy_acquire_starts_the_tunnel)
{
	struct du_peer a, b;
	char conf[2048], out[8192], cmd[512];

	du_link(&a, &b, false);
	psk_conf(conf, sizeof(conf), &a, &b, true, "a shared secret, trapped");
	char *sa = strstr(conf, "start_action = start");
	REQUIRE(sa != NULL);
	memcpy(sa, "start_action = trap ", 20);
	du_write_conf(&a, conf);
	write_psk_conf(&b, &a, false, "a shared secret, trapped");
	du_start(&b, NULL);
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "ready", 5000));
	REQUIRE(du_log_wait(&b, "ready", 5000));
	ns_capture(&a, "xfrm policy", out, sizeof(out));
	CHECK(strstr(out, "src 10.1.0.0/24 dst 10.2.0.0/24") != NULL);
	CHECK(!du_log_has(&a, "IKE SA established"));

	snprintf(cmd, sizeof(cmd),
		 "ip -n %1$s addr add 10.1.0.1/32 dev lo && "
		 "ip -n %1$s route add 10.2.0.0/24 via %2$s src 10.1.0.1 && "
		 "ip netns exec %1$s ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 "
		 ">/dev/null 2>&1",
		 a.ns, b.addr);
	if (system(cmd) == 0)
		test_note("ping passed without ESP: unexpected");
	CHECK(du_log_wait(&a, "IKE SA established", 10000));
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	ns_capture(&a, "xfrm policy", out, sizeof(out));
	CHECK_STR(out, "");
	/* Only the kernel's own larval SA (SPI 0, made by the ACQUIRE) may
	 * remain: on a kernel with ESP the real SA replaces it, here the
	 * install failed and the kernel expires it on its own timer. */
	ns_capture(&a, "xfrm state", out, sizeof(out));
	for (char *spi = strstr(out, "spi 0x"); spi;
	     spi = strstr(spi + 1, "spi 0x"))
		CHECK(strncmp(spi, "spi 0x00000000", 14) == 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* --keylog: the initiator writes its IKE SA keys as Wireshark's IKEv2
 * decryption table, and tshark decrypts a capture of the real exchange
 * with it: the identities inside the SK payloads show up. */
TEST(keybridged_keylog_lets_tshark_decrypt_the_exchange)
{
	struct du_peer a, b;
	char cmd[1024], out[8192], args[320], table[256];
	struct stat st;
	pid_t dump;

	if (system("command -v tshark >/dev/null && "
		   "command -v tcpdump >/dev/null") != 0)
		test_skip("tshark or tcpdump is not installed (make deps)");
	du_link(&a, &b, false);
	write_psk_conf(&a, &b, true, "a shared secret of some length");
	write_psk_conf(&b, &a, false, "a shared secret of some length");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/cfg/wireshark", a.dir);
	REQUIRE(system(cmd) == 0);
	snprintf(table, sizeof(table),
		 "%s/cfg/wireshark/ikev2_decryption_table", a.dir);
	snprintf(args, sizeof(args), "--keylog %s", table);

	dump = fork();
	REQUIRE(dump >= 0);
	if (dump == 0) {
		snprintf(cmd, sizeof(cmd),
			 "exec ip netns exec %1$s tcpdump -Z root -U "
			 "--immediate-mode -n "
			 "-i %1$s "
			 "-w %2$s/ike.pcap udp port 500 or udp port 4500 "
			 "2>%2$s/tcpdump.log",
			 b.ns, b.dir); /* b's veth is named like b's ns */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	snprintf(cmd, sizeof(cmd), "%s/ike.pcap", b.dir);
	for (int i = 0; i < 100 && access(cmd, F_OK) != 0; i++)
		usleep(50 * 1000);
	usleep(300 * 1000); /* the file exists before the capture runs */
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, args);
	CHECK(du_log_wait(&a, "KEY LOG ON", 5000));
	CHECK(du_log_wait(&a, "IKE SA established", 10000));
	CHECK(du_log_wait(&b, "IKE SA established", 3000));
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	usleep(300 * 1000);
	kill(dump, SIGTERM);
	waitpid(dump, NULL, 0);

	REQUIRE(stat(table, &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	snprintf(
		cmd, sizeof(cmd),
		"XDG_CONFIG_HOME=%1$s/cfg HOME=%1$s tshark -n -r %2$s/ike.pcap "
		"-T fields -e isakmp.id.data.fqdn 2>/dev/null | sort -u | tr "
		"'\\n' ' '",
		a.dir, b.dir);
	test_run_capture(cmd, out, sizeof(out));
	CHECK(strstr(out, "a.example.org") != NULL);
	CHECK(strstr(out, "b.example.org") != NULL);
	if (test_failed()) {
		test_note("tshark saw identities: '%s'", out);
		snprintf(cmd, sizeof(cmd),
			 "cat %1$s/tcpdump.log; "
			 "XDG_CONFIG_HOME=%2$s/cfg HOME=%2$s tshark -n -r "
			 "%1$s/ike.pcap 2>&1 | head",
			 b.dir, a.dir);
		if (system(cmd) != 0)
			test_note("cannot show the capture");
		du_log_dump(&a);
	}
}

/* A setting keybridged accepts but does not act on yet is said, not
 * silently ignored; the configuration stays valid (exit 0). */
TEST(keybridged_check_config_warns_about_unimplemented_settings)
{
	char out[8192], cmd[512], path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/kbwarn-%d.conf", (int)getpid());
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("connections {\n  t {\n    remote_addrs = 192.0.2.2\n"
	      "    unique = replace\n    keyingtries = 3\n"
	      "    local {\n      auth = psk\n      id = a.example\n    }\n"
	      "    remote {\n      auth = psk\n      id = b.example\n    }\n"
	      "  }\n}\n"
	      "secrets {\n  ike-t {\n    secret = 0x0102030405060708\n  }\n}\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s --check-config -c %s 2>&1",
		 test_build_path("bin/keybridged"), path);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, ".conf:2: conn t: unique is not enforced yet") !=
	      NULL);
	CHECK(strstr(out, "keyingtries = 3 is not implemented yet") != NULL);
	CHECK(strstr(out, "1 connection, 1 secret: OK") != NULL);
	if (test_failed())
		test_note("output: %s", out);
	unlink(path);
}

/* Connections t and optionally u between a and b; u has its own
 * identities and networks. `u_extra` is appended inside u (to break it). */
static void reload_conf(char *conf, size_t cap, const struct du_peer *p,
			const struct du_peer *peer, bool is_a, bool with_u,
			const char *u_extra)
{
	char me = is_a ? 'a' : 'b', other = is_a ? 'b' : 'a';
	int n = snprintf(
		conf, cap,
		"connections {\n"
		"  t {\n    local_addrs = %1$s\n    remote_addrs = %2$s\n"
		"    local {\n      auth = psk\n      id = %3$c.example.org\n"
		"    }\n    remote {\n      auth = psk\n"
		"      id = %4$c.example.org\n    }\n"
		"    children {\n      c {\n        local_ts = 10.%5$d.0.0/24\n"
		"        remote_ts = 10.%6$d.0.0/24\n        start_action = "
		"%7$s\n"
		"      }\n    }\n  }\n",
		p->addr, peer->addr, me, other, is_a ? 1 : 2, is_a ? 2 : 1,
		is_a ? "start" : "none");
	if (with_u)
		n += snprintf(conf + n, cap - (size_t)n,
			      "  u {\n    local_addrs = %1$s\n    remote_addrs "
			      "= %2$s\n"
			      "    local {\n      auth = psk\n      id = "
			      "u%3$c.example.org\n"
			      "    }\n    remote {\n      auth = psk\n"
			      "      id = u%4$c.example.org\n    }\n"
			      "    children {\n      c {\n"
			      "        local_ts = 10.%5$d.1.0/24\n"
			      "        remote_ts = 10.%6$d.1.0/24\n"
			      "        start_action = %7$s\n      }\n    "
			      "}\n%8$s  }\n",
			      p->addr, peer->addr, me, other, is_a ? 1 : 2,
			      is_a ? 2 : 1, is_a ? "start" : "none", u_extra);
	snprintf(conf + n, cap - (size_t)n,
		 "}\nsecrets {\n  ike-all {\n    secret = \"reload test "
		 "secret\"\n"
		 "  }\n}\n");
}

/* SIGHUP: a new connection starts while the unchanged one keeps its IKE SA;
 * a reload with an error tears nothing down; a removed connection is
 * deleted with the peer. */
TEST(keybridged_sighup_reload_adds_keeps_and_removes_connections)
{
	struct du_peer a, b;
	char conf[4096];

	du_link(&a, &b, false);
	reload_conf(conf, sizeof(conf), &b, &a, false, true, "");
	du_write_conf(&b, conf);
	reload_conf(conf, sizeof(conf), &a, &b, true, false, "");
	du_write_conf(&a, conf);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "t[1]: IKE SA established (initiator)", 10000));

	/* add u */
	reload_conf(conf, sizeof(conf), &a, &b, true, true, "");
	du_write_conf(&a, conf);
	kill(a.pid, SIGHUP);
	CHECK(du_log_wait(&a, "reloaded: 1 new, 0 changed, 1 unchanged", 5000));
	CHECK(du_log_wait(&a, "u[#]: IKE SA established (initiator)", 10000));
	CHECK_EQ(du_log_count(&a, "IKE SA established (initiator)"), 2);

	/* an error in u: nothing is torn down */
	reload_conf(conf, sizeof(conf), &a, &b, true, true,
		    "    rekey_tim = 1h\n");
	du_write_conf(&a, conf);
	kill(a.pid, SIGHUP);
	CHECK(du_log_wait(&a, "keeps running with its previous settings",
			  5000));
	CHECK(du_log_wait(&a, "1 unchanged, 0 removed, 1 kept despite errors",
			  5000));

	/* remove u: its IKE SA is deleted with the peer, t stays */
	reload_conf(conf, sizeof(conf), &a, &b, true, false, "");
	du_write_conf(&a, conf);
	kill(a.pid, SIGHUP);
	CHECK(du_log_wait(&a, "u: removed from the configuration", 5000));
	CHECK(du_log_wait(&b, "u[#]: IKE SA deleted", 5000));
	CHECK_EQ(du_log_count(&b, "t[#]: IKE SA deleted"), 0);
	CHECK(du_alive(&a));
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* make install puts the daemon and a systemd unit that systemd itself
 * accepts (systemd-analyze verify) and that points at the daemon. */
TEST(keybridged_install_and_systemd_unit)
{
	char cmd[1024], out[8192], dir[] = "/tmp/kbinstall-XXXXXX";

	if (system("command -v systemd-analyze >/dev/null") != 0)
		test_skip("systemd-analyze is not installed (package systemd)");
	REQUIRE(mkdtemp(dir) != NULL);
	/* PREFIX inside the temporary tree, so that the unit's ExecStart
	 * names a binary that exists for verify */
	snprintf(cmd, sizeof(cmd),
		 "make -s -C %1$s install BUILD=%2$s PREFIX=%3$s/usr "
		 "UNITDIR=%3$s/unit SYSCONFDIR=%3$s/etc DESTDIR= >/dev/null "
		 "2>&1 || echo failed",
		 test_src_path(""), test_build_path(""), dir);
	test_run_capture(cmd, out, sizeof(out));
	REQUIRE_STR(out, "");
	snprintf(cmd, sizeof(cmd), "%s/usr/sbin/keybridged --version", dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	snprintf(cmd, sizeof(cmd),
		 "grep -c '^ExecStart=%s/usr/sbin/keybridged -c' "
		 "%s/unit/keybridge.service",
		 dir, dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	snprintf(cmd, sizeof(cmd),
		 "systemd-analyze verify %s/unit/keybridge.service 2>&1", dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

/* A CA (and, with `other_ca`, a second unrelated one) and a certificate
 * for each peer with its FQDN as subjectAltName, made with openssl. */
static void make_pki(const char *dir)
{
	char cmd[2048];

	snprintf(
		cmd, sizeof(cmd),
		"set -e; cd %s; "
		"for ca in ca other; do openssl req -x509 -newkey ec "
		"-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key "
		"-out $ca.pem -subj \"/CN=keybridge test $ca\" -days 30; done; "
		"for n in a b; do "
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -keyout $n.key -out $n.csr -subj /CN=$n.example.org; "
		"printf 'subjectAltName=DNS:%%s.example.org\\n' $n > $n.ext; "
		"openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
		"-CAcreateserial -out $n.pem -days 30 -extfile $n.ext; done",
		dir);
	REQUIRE(system(cmd) == 0 ||
		(test_fail(__FILE__, __LINE__, "openssl failed"), 0));
}

static void write_cert_conf(struct du_peer *p, const struct du_peer *peer,
			    const char *pki, bool is_a, const char *ca)
{
	char conf[2048];
	char me = is_a ? 'a' : 'b', other = is_a ? 'b' : 'a';

	snprintf(
		conf, sizeof(conf),
		"connections {\n  t {\n    local_addrs = %1$s\n"
		"    remote_addrs = %2$s\n"
		"    local {\n      auth = pubkey\n      id = "
		"%3$c.example.org\n"
		"      certs = %5$s/%3$c.pem\n    }\n"
		"    remote {\n      auth = pubkey\n      id = "
		"%4$c.example.org\n"
		"      cacerts = %5$s/%6$s.pem\n    }\n"
		"    children {\n      c {\n        local_ts = 10.%7$d.0.0/24\n"
		"        remote_ts = 10.%8$d.0.0/24\n        start_action = "
		"%9$s\n"
		"      }\n    }\n  }\n}\n"
		"secrets {\n  private-me {\n    file = %5$s/%3$c.key\n  }\n}\n",
		p->addr, peer->addr, me, other, pki, ca, is_a ? 1 : 2,
		is_a ? 2 : 1, is_a ? "start" : "none");
	du_write_conf(p, conf);
}

/* X.509: each side sends its certificate, the peer checks it against its
 * configured CA and the identity against the subjectAltName; a peer whose
 * certificate another CA issued is refused. */
static void two_daemons_certs(const char *b_trusts, bool expect_up)
{
	struct du_peer a, b;
	char pki[96];

	du_link(&a, &b, false);
	snprintf(pki, sizeof(pki), "%s/pki", a.dir);
	REQUIRE(mkdir(pki, 0700) == 0);
	make_pki(pki);
	write_cert_conf(&a, &b, pki, true, "ca");
	write_cert_conf(&b, &a, pki, false, b_trusts);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	if (expect_up) {
		CHECK(du_log_wait(&a, "IKE SA established", 10000));
		CHECK(du_log_wait(&b, "IKE SA established", 3000));
	} else {
		CHECK(du_log_wait(&a, "IKE SA failed", 10000));
		CHECK(du_log_wait(&b, "AUTHENTICATION_FAILED", 2000) ||
		      du_log_has(&b, "authentication failed"));
		CHECK(!du_log_has(&b, "IKE SA established"));
	}
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

TEST(keybridged_certificates_from_a_trusted_ca)
{
	two_daemons_certs("ca", true);
}

TEST(keybridged_certificate_from_another_ca_is_refused)
{
	two_daemons_certs("other", false);
}

/* The same PKI laid out as strongSwan's users lay out /etc/swanctl: the
 * CA in x509ca/, our certificate in x509/ (DER for a), our key in
 * private/ encrypted with a passphrase from secrets (a) or as a plain EC
 * key in ecdsa/ (b), and a configuration that names no file at all. */
static void write_swanctl_dir(struct du_peer *p, const struct du_peer *peer,
			      const char *pki, bool is_a)
{
	char conf[2048], cmd[2048];
	char me = is_a ? 'a' : 'b', other = is_a ? 'b' : 'a';

	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %1$s; mkdir -p x509 x509ca private ecdsa; "
		 "cp %2$s/ca.pem x509ca/; "
		 "if [ %3$c = a ]; then "
		 "openssl x509 -in %2$s/a.pem -outform DER -out x509/a.der; "
		 "openssl pkcs8 -topk8 -in %2$s/a.key -v2 aes128 "
		 "-passout pass:open-sesame -out private/a.pem; "
		 "else cp %2$s/b.pem x509/; "
		 "openssl ec -in %2$s/b.key -out ecdsa/b.pem 2>/dev/null; fi",
		 p->dir, pki, me);
	REQUIRE(system(cmd) == 0);
	snprintf(
		conf, sizeof(conf),
		"connections {\n  t {\n    local_addrs = %1$s\n"
		"    remote_addrs = %2$s\n"
		"    local {\n      id = %3$c.example.org\n    }\n"
		"    remote {\n      id = %4$c.example.org\n    }\n"
		"    children {\n      c {\n        local_ts = 10.%5$d.0.0/24\n"
		"        remote_ts = 10.%6$d.0.0/24\n"
		"        start_action = %7$s\n      }\n    }\n  }\n}\n%8$s",
		p->addr, peer->addr, me, other, is_a ? 1 : 2, is_a ? 2 : 1,
		is_a ? "start" : "none",
		is_a ? "secrets {\n  private-a {\n    file = a.pem\n"
		       "    secret = open-sesame\n  }\n}\n"
		     : "");
	du_write_conf(p, conf);
}

TEST(keybridged_swanctl_directories_as_strongswan_lays_them_out)
{
	struct du_peer a, b;
	char pki[96];

	du_link(&a, &b, false);
	snprintf(pki, sizeof(pki), "%s/pki", a.dir);
	REQUIRE(mkdir(pki, 0700) == 0);
	make_pki(pki);
	write_swanctl_dir(&a, &b, pki, true);
	write_swanctl_dir(&b, &a, pki, false);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "IKE SA established", 10000));
	CHECK(du_log_wait(&b, "IKE SA established", 3000));
	CHECK(du_log_has(&a, "loaded 1 of 1 connections"));
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* Hostile input: thousands of random and half-valid datagrams on ports 500
 * and 4500 while a tunnel is up. The responder keeps running, keeps the
 * IKE SA and still processes its peer's Delete afterwards. */
TEST(keybridged_survives_garbage_datagrams)
{
	static const char flood[] =
		"import os, random, socket\n"
		"random.seed(7)\n"
		"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		"for i in range(3000):\n"
		"    n = random.choice([0, 1, 3, 4, 27, 28, 29, 60, 300, "
		"1400])\n"
		"    b = bytearray(os.urandom(n))\n"
		"    if n >= 28 and i %% 3 == 0:\n"
		"        b[17] = 0x20\n"
		"        b[18] = random.choice([34, 35, 36, 37])\n"
		"        b[24:28] = n.to_bytes(4, 'big')\n"
		"    port = 500 if i %% 2 else 4500\n"
		"    if port == 4500 and i %% 4 == 0 and n >= 4:\n"
		"        b[0:4] = bytes(4)\n"
		"    s.sendto(bytes(b), ('%s', port))\n";
	struct du_peer a, b;
	char script[2048], cmd[4096];

	if (system("command -v python3 >/dev/null") != 0)
		test_skip("python3 is not installed (make deps)");
	du_link(&a, &b, false);
	write_psk_conf(&a, &b, true, "a shared secret of some length");
	write_psk_conf(&b, &a, false, "a shared secret of some length");
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&b, "IKE SA established", 10000));

	snprintf(script, sizeof(script), flood, b.addr);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s python3 -c \"%s\"", a.ns,
		 script);
	CHECK_EQ(system(cmd), 0);
	/* a second burst a second later makes the first one's count show */
	usleep(1200 * 1000);
	CHECK_EQ(system(cmd), 0);
	usleep(500 * 1000);
	CHECK(du_alive(&b));
	CHECK(!du_log_has(&b, "IKE SA deleted"));
	/* anyone can send junk: the log is rate-limited */
	CHECK_LT(du_log_count(&b, "dropping malformed datagram"), 60);
	CHECK(du_log_has(&b, "were not logged"));
	/* the SA still works: a's Delete is understood and confirmed */
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK(du_log_wait(&b, "IKE SA deleted", 3000));
	CHECK(du_log_has(&a, "peer confirmed the IKE SA delete"));
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* remote_addrs given as DNS names (io/names.c, io/resolve.c). Each
 * namespace gets its own /etc/hosts and resolv.conf the way ip-netns(8)
 * provides them (/etc/netns/NAME/ is bind mounted over /etc/ for `ip netns
 * exec`), so the names resolve through glibc's getaddrinfo as they would
 * from DNS, and the answers change when the test rewrites the file. */
/* /etc/netns/<ns>/hosts, rewritten in place (the bind mount keeps the
 * inode), and a resolv.conf whose only server is a closed local port, so
 * a name missing from hosts fails at once instead of asking real DNS. */
static void names_hosts(const struct du_peer *p, const char *hosts)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/etc/netns/%s", p->ns);
	mkdir("/etc/netns", 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "/etc/netns/%s/resolv.conf", p->ns);
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "/etc/netns/%s/hosts", p->ns);
	REQUIRE((f = fopen(path, "w")) != NULL);
	fprintf(f, "127.0.0.1 localhost\n%s", hosts);
	fclose(f);
}

static void names_cleanup(const struct du_peer *p)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf /etc/netns/%s", p->ns);
	if (system(cmd) != 0)
		test_note("could not remove /etc/netns/%s", p->ns);
}

/* psk_conf's connection with `name` in remote_addrs. */
static void names_peer_conf(struct du_peer *p, const struct du_peer *peer,
			    const char *name, bool is_a)
{
	struct du_peer named = *peer;

	snprintf(named.addr, sizeof(named.addr), "%s", name);
	write_psk_conf(p, &named, is_a, "names resolved later");
}

/* The initiator starts while its peer's name does not resolve: it runs,
 * says so, and waits; a reload after the name appears starts the tunnel.
 * The responder accepts it only because its own name for the initiator
 * resolves to the initiator's address; a later answer moves a
 * connection, and list-conns shows the name as configured. */
TEST(keybridged_remote_addrs_names_resolved_off_the_event_loop)
{
	struct du_peer a, b;
	char line[256], out[4096], cmd[512];

	du_link(&a, &b, false);
	snprintf(line, sizeof(line), "%s gw-a.kbtest\n", a.addr);
	names_hosts(&b, line);
	names_hosts(&a, "");
	names_peer_conf(&a, &b, "gw-b.kbtest", true);
	names_peer_conf(&b, &a, "gw-a.kbtest", false);

	/* --check-config resolves nothing: a name that does not resolve
	 * now is no configuration error */
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s %s --check-config -c %s/swanctl.conf 2>&1",
		 a.ns, du_daemon_bin(), a.dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	if (test_failed())
		test_note("--check-config: %s", out);

	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	CHECK(du_log_wait(&b, "t: remote_addrs gw-a.kbtest is ", 5000));
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "ready", 5000));
	CHECK(du_log_wait(&a, "cannot resolve remote_addrs gw-b.kbtest", 5000));
	CHECK(du_log_has(&a, "initiating once remote_addrs gw-b.kbtest is "
			     "resolved"));
	CHECK(!du_log_has(&a, "IKE SA established"));

	/* the name appears; a reload looks it up again at once */
	snprintf(line, sizeof(line), "%s gw-b.kbtest\n", b.addr);
	names_hosts(&a, line);
	kill(a.pid, SIGHUP);
	snprintf(line, sizeof(line), "t: remote_addrs gw-b.kbtest is %s",
		 b.addr);
	CHECK(du_log_wait(&a, line, 5000));
	CHECK(du_log_wait(&a, "t[1]: IKE SA established (initiator)", 10000));
	CHECK(du_log_wait(&b, "IKE SA established", 5000));

	snprintf(cmd, sizeof(cmd),
		 "swanctl --list-conns --uri unix://%s/keybridge.vici 2>&1",
		 a.dir);
	if (test_run_capture(cmd, out, sizeof(out)) == 0)
		CHECK(strstr(out, "gw-b.kbtest") != NULL);
	else
		test_note("swanctl --list-conns: %s", out);

	/* the responder's name for the initiator now points elsewhere: its
	 * connection moves, the established IKE SA stays */
	names_hosts(&b, "192.0.2.77 gw-a.kbtest\n");
	kill(b.pid, SIGHUP);
	snprintf(line, sizeof(line),
		 "t: remote_addrs gw-a.kbtest moved from %s to 192.0.2.77",
		 a.addr);
	CHECK(du_log_wait(&b, line, 5000));
	CHECK(!du_log_has(&b, "IKE SA deleted"));

	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
	names_cleanup(&a);
	names_cleanup(&b);
}
