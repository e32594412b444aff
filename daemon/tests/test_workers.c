/* keybridged with several workers (io/worker.h, doc/performance.md "Every
 * core") against tools/ike-load in network namespaces:
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     ike-load (initiators)              keybridged --workers 2
 *
 * Every IKE SA must come up, be rekeyed by the peer (§1.3.2: a
 * CREATE_CHILD_SA, then a Delete of the old IKE SA, both for the worker
 * that holds it) and be listed over vici; each IKE SA lives in one worker
 * (its id and our SPI name the same one), both workers hold some; with the
 * SK_REUSEPORT program no datagram is handed between workers, without it
 * (--bpf off) they are, and everything still succeeds. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char wk_psk[] = "workers test secret";

static void wk_conf(struct du_peer *b, bool pool)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
		 "connections {\n"
		 "  load {\n"
		 "    remote_addrs = %%any\n"
		 "    proposals = aes128gcm16-prfsha256-x25519\n"
		 "%s"
		 "    local {\n      auth = psk\n      id = responder.example\n"
		 "    }\n"
		 "    remote {\n      auth = psk\n    }\n"
		 "    children {\n      c {\n        esp_proposals = "
		 "aes128gcm16\n      }\n    }\n"
		 "  }\n"
		 "}\n"
		 "%s"
		 "secrets {\n  ike-load {\n    secret = \"%s\"\n  }\n}\n",
		 pool ? "    pools = p\n" : "",
		 pool ? "pools {\n  p {\n    addrs = 10.9.0.0/24\n  }\n}\n"
		      : "",
		 wk_psk);
	du_write_conf(b, conf);
}

/* ike-load in a's namespace; its JSON reduced to "ok failed rekeyed
 * failures" on one line. */
static void wk_load(const struct du_peer *a, const char *args, char *out,
		    size_t cap)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s %s --peer 192.0.2.2 --psk '%s' "
		 "--ike aes128gcm16-prfsha256-x25519 --json %s 2>/dev/null | "
		 "python3 -c 'import json,sys; d=json.load(sys.stdin); "
		 "print(d[\"ok\"], d[\"failed\"], "
		 "d.get(\"rekey\", {}).get(\"ok\", 0), "
		 "sum(d[\"failures\"].values()))'",
		 a->ns, test_build_path("bin/ike-load"), wk_psk, args);
	CHECK_EQ(test_run_capture(cmd, out, cap), 0);
}

/* `ipsec status --json` of b, reduced by python to "SAs, SAs of worker 0,
 * of worker 1, SAs whose SPI names another worker than their id". */
static void wk_status(const struct du_peer *b, char *out, size_t cap)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s %s --socket %s/keybridge.vici status --json "
		 "| python3 -c 'import json,sys; d=json.load(sys.stdin); "
		 "s=d[\"ike_sas\"]; w=[(x[\"id\"]-1)%%2 for x in s]; "
		 "bad=[x for x in s if int(x[\"spi_r\"][:2],16)%%2 != "
		 "(x[\"id\"]-1)%%2]; "
		 "print(len(s), w.count(0), w.count(1), len(bad))'",
		 b->ns, test_build_path("bin/ipsec"), b->dir);
	CHECK_EQ(test_run_capture(cmd, out, cap), 0);
}

static void wk_run(bool bpf)
{
	struct du_peer a, b;
	char out[512];
	unsigned n, w0, w1, bad;

	du_link(&a, &b, false);
	wk_conf(&b, false);
	du_start(&b, bpf ? "-l info --workers 2"
			 : "-l info --workers 2 "
			   "--bpf off");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	CHECK(du_log_has(&b, bpf ? "the kernel steers each IKE datagram"
				 : "the workers hand them to each other"));
	wk_load(&a, "-n 400 -c 16 --rekey --childless", out, sizeof(out));
	CHECK_STR(out, "400 0 400 0\n");
	CHECK_EQ(du_log_count(&b, "IKE SA established (responder)"), 400);
	CHECK_EQ(du_log_count(&b, "IKE SA rekeyed by the peer"), 400);
	/* the rekeyed SAs were deleted by the peer, the new ones listed */
	wk_status(&b, out, sizeof(out));
	REQUIRE(sscanf(out, "%u %u %u %u", &n, &w0, &w1, &bad) == 4);
	CHECK_EQ(n, 400u);
	CHECK(w0 > 100 && w1 > 100);
	CHECK_EQ(bad, 0u);
	test_note("400 IKE SAs rekeyed: %u in worker 0, %u in worker 1", w0,
		  w1);
	CHECK(du_stop(&b, SIGTERM, 20000) == 0);
	CHECK(du_log_has(&b, "worker 0: "));
	CHECK(du_log_has(&b, "worker 1: "));
	if (bpf) {
		CHECK_EQ(du_log_count(&b, "0 handed to another worker, 0 "
					  "taken from others"),
			 2);
		CHECK(du_log_has(&b, " others left to the kernel, 0 for a "
				     "missing socket"));
	} else {
		/* one peer address and port: the kernel's own hash puts all
		 * of it on one socket, and that worker hands half over */
		CHECK(du_log_count(&b, " 0 handed to another worker") < 2);
	}
	if (test_failed())
		du_log_dump(&b);
}

TEST(workers_two_steered_by_the_kernel)
{
	wk_run(true);
}

TEST(workers_two_handing_over_without_bpf)
{
	wk_run(false);
}

/* §2.4 INITIAL_CONTACT across workers: one peer (one identity) sets up
 * an IKE SA, forgets it and comes again, eight times; each new IKE_SA_INIT
 * goes to the worker its new SPIi hashes to, and the older IKE SA must go
 * wherever it is. */
TEST(workers_initial_contact_reaches_every_worker)
{
	struct du_peer a, b;
	char out[512];
	unsigned n, w0 = 0, w1 = 0, bad, used = 0;

	du_link(&a, &b, false);
	wk_conf(&b, false);
	du_start(&b, "-l info --workers 2");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	for (int i = 0; i < 8; i++) {
		/* a fresh ike-load: its first IKE SA says INITIAL_CONTACT */
		wk_load(&a, "-n 1 -c 1 --childless --id same-peer", out,
			sizeof(out));
		CHECK_STR(out, "1 0 0 0\n");
		wk_status(&b, out, sizeof(out));
		REQUIRE(sscanf(out, "%u %u %u %u", &n, &w0, &w1, &bad) == 4);
		CHECK_EQ(n, 1u);
		CHECK_EQ(bad, 0u);
		used |= w0 ? 1u : 2u;
	}
	/* 2^-7 that all eight hashed to one worker: then nothing crossed */
	if (used != 3)
		test_note("all IKE SAs were in one worker this time");
	CHECK_EQ(du_log_count(&b, "peer sent INITIAL_CONTACT"), 7);
	CHECK(du_stop(&b, SIGTERM, 20000) == 0);
	if (test_failed())
		du_log_dump(&b);
}

/* Eight road warriors (one keybridged, eight connections without
 * children, each its own identity and vips = 0.0.0.0) ask a responder
 * with two workers for addresses: every IKE SA gets one, no address
 * twice, whichever worker answered (one set of pools, pool.h); a reload
 * keeps the leases. */
TEST(workers_share_address_pools)
{
	struct du_peer a, b;
	char conf[8192], out[512], cmd[1024];
	size_t len = 0;
	unsigned n, w0, w1, bad;

	du_link(&a, &b, false);
	wk_conf(&b, true);
	len += (size_t)snprintf(conf + len, sizeof(conf) - len,
				"connections {\n");
	for (int k = 1; k <= 8; k++)
		len += (size_t)snprintf(
			conf + len, sizeof(conf) - len,
			"  r%d {\n    remote_addrs = 192.0.2.2\n"
			"    vips = 0.0.0.0\n"
			"    proposals = aes128gcm16-prfsha256-x25519\n"
			"    local {\n      auth = psk\n      id = "
			"r%d.example\n"
			"    }\n    remote {\n      auth = psk\n    }\n"
			"  }\n",
			k, k);
	snprintf(conf + len, sizeof(conf) - len,
		 "}\nsecrets {\n  ike-load {\n    secret = \"%s\"\n  }\n}\n",
		 wk_psk);
	du_write_conf(&a, conf);
	du_start(&b, "-l info --workers 2");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "ready", 5000));
	snprintf(cmd, sizeof(cmd),
		 "for k in 1 2 3 4 5 6 7 8; do ip netns exec %s swanctl "
		 "--initiate --ike r$k --uri unix://%s/keybridge.vici "
		 "--timeout 20 >/dev/null 2>&1 || exit 1; done",
		 a.ns, a.dir);
	CHECK_EQ(system(cmd), 0);
	for (int i = 0;
	     i < 200 && du_log_count(&a, "IKE SA established (initiator)") < 8;
	     i++)
		usleep(50 * 1000);
	CHECK_EQ(du_log_count(&a, "IKE SA established (initiator)"), 8);
	CHECK_EQ(du_log_count(&a, "peer assigned virtual address 10.9.0."), 8);
	/* eight leases, eight addresses */
	snprintf(cmd, sizeof(cmd),
		 "grep -o 'leased virtual address [0-9.]*' %s/log | sort -u | "
		 "wc -l",
		 b.dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK_STR(out, "8\n");
	wk_status(&b, out, sizeof(out));
	REQUIRE(sscanf(out, "%u %u %u %u", &n, &w0, &w1, &bad) == 4);
	CHECK_EQ(n, 8u);
	CHECK_EQ(bad, 0u);
	/* 2^-7 that all eight hashed to one worker: then nothing was shared */
	if (!w0 || !w1)
		test_note("all IKE SAs were in one worker this time");
	test_note("8 road warriors: %u in worker 0, %u in worker 1", w0, w1);
	/* a reload keeps the pool and its leases */
	CHECK_EQ(kill(b.pid, SIGHUP), 0);
	CHECK(du_log_wait(&b, "reload", 5000));
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s swanctl --list-pools --uri "
		 "unix://%s/keybridge.vici 2>/dev/null",
		 b.ns, b.dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, " 8 / 0 / ") != NULL); /* online / offline / size */
	if (test_failed())
		test_note("swanctl --list-pools: %s", out);
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed()) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

TEST(workers_option_refuses_bad_counts)
{
	static const char *bad[] = { "0", "65", "-1", "two", "" };
	char cmd[512], out[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s --workers '%s' 2>&1",
			 du_daemon_bin(), bad[i]);
		CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
		CHECK(strstr(out, "--workers") != NULL);
	}
}
