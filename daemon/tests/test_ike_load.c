/* Tests of tools/ike-load against real responders in network namespaces:
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     ike-load (initiators)              keybridged, or strongSwan's charon
 *
 * ike-load must set up every IKE SA it was asked for, say so in JSON that
 * parses, and the responder must have seen each one. Most runs ask for
 * childless IKE SAs (RFC 6023); with a CHILD SA, this kernel (no ESP)
 * refuses to install it, and the IKE SAs still come up. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char load_psk[] = "ike-load test secret";

/* A responder for any peer with a PSK. */
static void load_responder_conf(char *conf, size_t cap)
{
	snprintf(conf, cap,
		 "connections {\n"
		 "  load {\n"
		 "    remote_addrs = %%any\n"
		 "    proposals = aes128gcm16-prfsha256-x25519\n"
		 "    local {\n      auth = psk\n      id = responder.example\n"
		 "    }\n"
		 "    remote {\n      auth = psk\n    }\n"
		 "    children {\n      c {\n        esp_proposals = "
		 "aes128gcm16\n      }\n    }\n"
		 "  }\n"
		 "}\n"
		 "secrets {\n  ike-load {\n    secret = \"%s\"\n  }\n}\n",
		 load_psk);
}

/* Runs ike-load in a's namespace with `args`, its JSON checked by python3
 * and reduced to "ok failed rekeyed failures-by-reason cookies-seen" on
 * one line; returns the exit status of ike-load. */
static int load_run(const struct du_peer *a, const char *args, char *out,
		    size_t cap)
{
	char cmd[1024];
	int r;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s %s --peer 192.0.2.2 --psk '%s' "
		 "--ike aes128gcm16-prfsha256-x25519 --esp aes128gcm16 "
		 "--json %s >%s/load.json 2>%s/load.err; echo $? "
		 ">%s/load.rc",
		 a->ns, test_build_path("bin/ike-load"), load_psk, args, a->dir,
		 a->dir, a->dir);
	REQUIRE(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "cat %s/load.rc", a->dir);
	REQUIRE(test_run_capture(cmd, out, cap) == 0);
	r = atoi(out);
	snprintf(
		cmd, sizeof(cmd),
		"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		"l=d[\"latency_ms\"]; "
		"assert 0 <= l[\"p50\"] <= l[\"p99\"] <= l[\"max\"]; "
		"assert (d[\"handshakes_per_second\"] > 0) == (d[\"ok\"] > 0); "
		"print(d[\"ok\"], d[\"failed\"], "
		"d.get(\"rekey\", {}).get(\"ok\", 0), "
		"sum(d[\"failures\"].values()), d[\"cookies\"] > 0)' "
		"%s/load.json",
		a->dir);
	if (test_run_capture(cmd, out, cap) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/load.json %s/load.err",
			 a->dir, a->dir);
		(void)test_run_capture(cmd, out, cap);
		test_fail(__FILE__, __LINE__, "ike-load's JSON: %s", out);
		out[0] = 0;
	}
	return r;
}

/* 200 childless IKE SAs at concurrency 16 (below the 30 half-open SAs
 * above which keybridged asks for COOKIEs, counted over all its workers:
 * one COOKIE would show that an IKE SA kept its place after it came
 * up), then every one rekeyed. */
TEST(ike_load_against_keybridged)
{
	struct du_peer a, b;
	char conf[2048], out[4096];

	du_link(&a, &b, false);
	load_responder_conf(conf, sizeof(conf));
	du_write_conf(&b, conf);
	du_start(&b, "-l notice");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	CHECK_EQ(load_run(&a, "-n 200 -c 16 --rekey --childless", out,
			  sizeof(out)),
		 0);
	CHECK_STR(out, "200 0 200 0 False\n");
	CHECK_EQ(du_log_count(&b, "IKE SA established (responder)"), 200);
	CHECK_EQ(du_log_count(&b, "IKE SA rekeyed by the peer"), 200);
	CHECK(!du_log_has(&b, "CHILD SA"));
	CHECK(du_alive(&b));
	if (test_failed())
		du_log_dump(&b);
}

/* Concurrency 64 makes keybridged demand COOKIEs (RFC 7296 §2.6) part of
 * the time: every handshake must still succeed. With CHILD SAs, which
 * the responder's kernel refuses. */
TEST(ike_load_through_cookies)
{
	struct du_peer a, b;
	char conf[2048], out[4096];

	du_link(&a, &b, false);
	load_responder_conf(conf, sizeof(conf));
	du_write_conf(&b, conf);
	du_start(&b, "-l info");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	CHECK_EQ(load_run(&a, "-n 128 -c 64", out, sizeof(out)), 0);
	CHECK_STR(out, "128 0 0 0 True\n");
	if (test_failed())
		du_log_dump(&b);
}

/* strongSwan as the responder: 100 childless IKE SAs (charon 5.9 accepts
 * them by default), 4 at a time (charon asks one peer address for COOKIEs
 * above 3 half-open SAs, which ike-load must follow, and blocks it above
 * 5). */
TEST(ike_load_against_charon)
{
	struct du_peer a, b;
	char conf[2048], out[4096];

	du_link(&a, &b, false);
	load_responder_conf(conf, sizeof(conf));
	du_start_charon(&b, conf, NULL);
	CHECK_EQ(load_run(&a, "-n 100 -c 4 --childless", out, sizeof(out)), 0);
	CHECK_STR(out, "100 0 0 0 True\n");
	CHECK(du_charon_log_wait(&b, "established between", 1000));
	if (test_failed())
		du_log_dump(&b);
}

/* A responder that refuses: every failure is counted under its reason,
 * and the exit status says that not everything succeeded. */
TEST(ike_load_counts_failures_by_reason)
{
	struct du_peer a, b;
	char conf[2048], out[4096], cmd[256];

	du_link(&a, &b, false);
	load_responder_conf(conf, sizeof(conf));
	/* a different secret: IKE_AUTH fails */
	char *s = strstr(conf, load_psk);
	REQUIRE(s != NULL);
	s[0] = 'X';
	du_write_conf(&b, conf);
	du_start(&b, "-l notice");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	CHECK_EQ(load_run(&a, "-n 20 -c 4", out, sizeof(out)), 1);
	CHECK_STR(out, "0 20 0 20 False\n");
	snprintf(cmd, sizeof(cmd), "cat %s/load.json", a.dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "AUTHENTICATION_FAILED\": 20") != NULL);
	if (test_failed())
		test_note("%s", out);
}

/* Usage errors: exit status 2 and a sentence naming the problem. */
TEST(ike_load_refuses_bad_options)
{
	static const struct {
		const char *args, *says;
	} cases[] = {
		{ "--psk x", "--peer is required" },
		{ "--peer 192.0.2.2", "--psk is required" },
		{ "--peer 192.0.2.2:0 --psk x", "bad --peer" },
		{ "--peer 192.0.2.2 --psk x --ike aes128-bogus", "bogus" },
		{ "--peer 192.0.2.2 --psk x -c 0", "-c: '0'" },
	};
	char cmd[512], out[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s %s 2>&1",
			 test_build_path("bin/ike-load"), cases[i].args);
		CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
		if (!strstr(out, cases[i].says))
			test_fail(__FILE__, __LINE__,
				  "'%s' said '%s', not '%s'", cases[i].args,
				  out, cases[i].says);
	}
}
