/* remote_addrs given as DNS names (io/names.c, io/resolve.c), with two real
 * keybridged processes. Each namespace gets its own /etc/hosts and
 * resolv.conf the way ip-netns(8) provides them (/etc/netns/NAME/ is bind
 * mounted over /etc/ for `ip netns exec`), so the names resolve through
 * glibc's getaddrinfo as they would from DNS, and the answers change when
 * the test rewrites the file. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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

static void names_conf(struct du_peer *p, const char *remote, bool is_a)
{
	char conf[2048];
	char me = is_a ? 'a' : 'b', other = is_a ? 'b' : 'a';

	snprintf(conf, sizeof(conf),
		 "connections {\n"
		 "  t {\n"
		 "    local_addrs = %s\n"
		 "    remote_addrs = %s\n"
		 "    proposals = aes256gcm16-prfsha256-x25519\n"
		 "    local {\n      auth = psk\n      id = %c.example.org\n"
		 "    }\n"
		 "    remote {\n      auth = psk\n      id = %c.example.org\n"
		 "    }\n"
		 "    children {\n"
		 "      c {\n"
		 "        local_ts = 10.%d.0.0/24\n"
		 "        remote_ts = 10.%d.0.0/24\n"
		 "        esp_proposals = aes128gcm16\n"
		 "        start_action = %s\n"
		 "      }\n"
		 "    }\n"
		 "  }\n"
		 "}\n"
		 "secrets {\n"
		 "  ike-t {\n    id-a = a.example.org\n    id-b = "
		 "b.example.org\n    secret = \"names resolved later\"\n  }\n"
		 "}\n",
		 p->addr, remote, me, other, is_a ? 1 : 2, is_a ? 2 : 1,
		 is_a ? "start" : "none");
	du_write_conf(p, conf);
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
	names_conf(&a, "gw-b.kbtest", true);
	names_conf(&b, "gw-a.kbtest", false);

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
