/* Tests of the `ipsec` command (tools/ipsec.c) against two keybridged in
 * two namespaces, as in test_ctl.c:
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     keybridged (initiator)             keybridged (responder)
 *
 * Its output is checked against swanctl's view of the same daemon and the
 * peer's; exit statuses against ipsec(8). CHILD SA counters moving are
 * checked under make kmod-check (45-kb-control.sh). */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Both daemons' tunnel (daemon_util.h); a starts it. */
static const struct du_psk ipsec_psk = {
	.secret = "ipsec test secret",
	.proposals = "aes128gcm16-prfsha256-ecp256",
};

/* Runs `prefix ipsec ARGS` against peer `p`; output and errors in `out`. */
static int ipsec(const struct du_peer *p, const char *prefix, const char *args,
		 char *out, size_t cap)
{
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s --socket %s/keybridge.vici %s 2>&1",
		 prefix ? prefix : "", test_build_path("bin/ipsec"), p->dir,
		 args);
	st = test_run_capture(cmd, out, cap);
	if (getenv("KB_TEST_VERBOSE"))
		test_note("$ ipsec %s -> %d\n%s", args, st, out);
	return st;
}

static void up_pair(struct du_peer *a, struct du_peer *b)
{
	du_link(a, b, false);
	du_psk_conf(a, b, true, &ipsec_psk);
	du_psk_conf(b, a, false, &ipsec_psk);
	du_start(b, NULL);
	REQUIRE(du_log_wait(b, "ready", 5000));
	du_start(a, NULL);
	REQUIRE(du_log_wait(a, "IKE SA established", 10000));
	REQUIRE(du_log_wait(b, "IKE SA established", 3000));
}

static void down_pair(struct du_peer *a, struct du_peer *b)
{
	CHECK_EQ(du_stop(a, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(a);
		du_log_dump(b);
	}
}

/* A field of the first IKE SA of `ipsec status --json`, via python3's json
 * module (so the output is checked to be JSON at all). */
static void json_field(const struct du_peer *p, const char *expr, char *out,
		       size_t cap)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "%s --socket %s/keybridge.vici status --json | python3 -c "
		 "\"import json,sys; d=json.load(sys.stdin); print(%s)\"",
		 test_build_path("bin/ipsec"), p->dir, expr);
	if (test_run_capture(cmd, out, cap) != 0)
		test_fail(__FILE__, __LINE__, "%s: not JSON or no field", expr);
	out[strcspn(out, "\n")] = 0;
}

TEST(ipsec_status_matches_swanctl_and_the_peer)
{
	static char out[16384];
	char a_spi[64], b_spi[64], v[64], cmd[512];
	struct du_peer a, b;

	if (system("command -v python3 >/dev/null") != 0)
		test_skip("python3 is missing");
	up_pair(&a, &b);
	CHECK_EQ(ipsec(&a, NULL, "status", out, sizeof(out)), 0);
	CHECK(strstr(out, "connection t: IKE SA #"));
	CHECK(strstr(out, "ESTABLISHED, initiator"));
	CHECK(strstr(out, "remote 192.0.2.2[500] 'b.example.org'"));
	CHECK(strstr(out, "AES_GCM_16-128/PRF_HMAC_SHA2_256/ECP_256"));
	CHECK(!strstr(out, "\033[")); /* no colour into a pipe */
	/* both ends agree on the SPIs; the text and swanctl say the same */
	json_field(&a, "d['ike_sas'][0]['spi_i']", a_spi, sizeof(a_spi));
	json_field(&b, "d['ike_sas'][0]['spi_i']", b_spi, sizeof(b_spi));
	CHECK_STR(a_spi, b_spi);
	CHECK_EQ(strlen(a_spi), 16);
	json_field(&b, "d['ike_sas'][0]['initiator']", v, sizeof(v));
	CHECK_STR(v, "False");
	json_field(&a, "d['version'], d['ike_sas'][0]['local_port']", v,
		   sizeof(v));
	CHECK_STR(v, "1 500");
	snprintf(cmd, sizeof(cmd),
		 "swanctl --list-sas --uri unix://%s/keybridge.vici 2>&1",
		 a.dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, a_spi));

	CHECK_EQ(ipsec(&a, NULL, "status nope", out, sizeof(out)), 0);
	CHECK(strstr(out, "no IKE SAs of nope"));
	CHECK_EQ(ipsec(&a, NULL, "metrics", out, sizeof(out)), 0);
	CHECK(strstr(out, "# TYPE keybridge_ike_sas gauge\n"
			  "keybridge_ike_sas 1\n"));
	CHECK(strstr(out, "keybridge_ike_sa_established_seconds{conn=\"t\","));
	CHECK(strstr(out, "keybridge_up 1\n"));
	CHECK_EQ(ipsec(&a, NULL, "version", out, sizeof(out)), 0);
	CHECK(strstr(out, "keybridged "));
	down_pair(&a, &b);
}

TEST(ipsec_up_down_rekey_and_monitor)
{
	static char out[16384];
	char cmd[512], log[128];
	struct du_peer a, b;

	up_pair(&a, &b);
	snprintf(log, sizeof(log), "%s/monitor", a.dir);
	snprintf(cmd, sizeof(cmd),
		 "%s --socket %s/keybridge.vici monitor >%s 2>&1 & echo $! "
		 ">%s.pid",
		 test_build_path("bin/ipsec"), a.dir, log, log);
	REQUIRE(system(cmd) == 0);
	usleep(300 * 1000);

	CHECK_EQ(ipsec(&a, NULL, "rekey t", out, sizeof(out)), 0);
	CHECK(strstr(out, "rekey: done"));
	CHECK(du_log_wait(&a, "rekeyed", 3000));
	CHECK_EQ(ipsec(&a, NULL, "down t", out, sizeof(out)), 0);
	CHECK(strstr(out, "IKE SA deleted"));
	CHECK(strstr(out, "down: done"));
	CHECK(du_log_wait(&b, "IKE SA deleted", 3000));
	/* No ESP in this kernel: up says why the CHILD SA failed; with ESP
	 * it is done. */
	int st = ipsec(&a, NULL, "up t", out, sizeof(out));
	CHECK(st == 0 ? strstr(out, "up: done") != NULL
		      : strstr(out, "ipsec: up failed: establishing CHILD_SA "
				    "'c' failed") != NULL);
	CHECK(strstr(out, "IKE SA established"));
	CHECK_EQ(ipsec(&a, NULL, "up nope", out, sizeof(out)), 1);
	CHECK(strstr(out, "config 'nope' not found"));
	CHECK_EQ(ipsec(&a, NULL, "reload", out, sizeof(out)), 0);
	CHECK(du_log_wait(&a, "reloaded:", 2000));
	CHECK_EQ(ipsec(&a, NULL, "bogus", out, sizeof(out)), 2);
	CHECK_EQ(ipsec(&a, NULL, "up", out, sizeof(out)), 2);

	usleep(300 * 1000);
	snprintf(cmd, sizeof(cmd), "kill $(cat %s.pid)", log);
	CHECK(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "cat %s", log);
	test_run_capture(cmd, out, sizeof(out));
	CHECK(strstr(out, " ike-rekey t #"));
	CHECK(strstr(out, " ike-updown t down IKE SA #"));
	CHECK(strstr(out, " ike-updown t up IKE SA #"));
	if (test_failed())
		test_note("monitor:\n%s", out);
	down_pair(&a, &b);
}

TEST(ipsec_exit_status_without_daemon_or_permission)
{
	static char out[4096];
	struct du_peer a, b;
	char prefix[128];
	struct stat st;

	du_link(&a, &b, false);
	/* nothing listens */
	CHECK_EQ(ipsec(&a, NULL, "status", out, sizeof(out)), 3);
	CHECK(strstr(out, "keybridged is not running"));
	du_psk_conf(&b, &a, false, &ipsec_psk);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	CHECK_EQ(ipsec(&b,
		       "setpriv --reuid=65534 --regid=65534 "
		       "--clear-groups",
		       "status", out, sizeof(out)),
		 4);
	CHECK(strstr(out, "permission denied"));
	/* the socket's group reads, but does not change */
	snprintf(prefix, sizeof(prefix), "%s/keybridge.vici", b.dir);
	REQUIRE_EQ(stat(prefix, &st), 0);
	snprintf(prefix, sizeof(prefix),
		 "setpriv --reuid=65534 --regid=%u --clear-groups",
		 (unsigned)st.st_gid);
	CHECK_EQ(ipsec(&b, prefix, "status", out, sizeof(out)), 0);
	CHECK_EQ(ipsec(&b, prefix, "reload", out, sizeof(out)), 4);
	CHECK(strstr(out, "needs root or CAP_NET_ADMIN"));
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
}
