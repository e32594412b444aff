/* Per-peer pre-shared keys for a responder that accepts any peer, with
 * strongSwan's charon as the peers: the key is chosen by the identity each
 * initiator proves in IKE_AUTH (secrets.ike<suffix> { id, secret }), as
 * strongSwan chooses it.
 *
 *   [ ns a: 192.0.2.1 ]  <--- veth --->  [ ns b: 192.0.2.2 ]
 *     charon: carol, dave (their keys),    keybridged: "rw", remote %any,
 *     eve (a wrong key), mallory (none)    one secret per peer
 *
 * The responder's swanctl.conf is written the way strongSwan users write
 * it and is loaded by keybridged --check-config and by strongSwan's
 * swanctl --load-all (into a's charon, before a's own configuration): both
 * accept it. This kernel has no ESP: IKE SAs come up, CHILD SAs do not
 * install (make kmod-check runs tunnels). */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char responder_conf[] =
	"# a road-warrior gateway: anyone with a key of its own\n"
	"connections {\n"
	"    rw {\n"
	"        local_addrs = 192.0.2.2\n"
	"        proposals = aes256gcm16-prfsha256-x25519\n"
	"        local {\n"
	"            auth = psk\n"
	"            id = moon.example.org\n"
	"        }\n"
	"        remote {\n"
	"            auth = psk\n"
	"        }\n"
	"        children {\n"
	"            net {\n"
	"                local_ts = 10.2.0.0/24\n"
	"                esp_proposals = aes128gcm16\n"
	"            }\n"
	"        }\n"
	"    }\n"
	"}\n"
	"secrets {\n"
	"    ike-carol {\n"
	"        id = carol@example.org\n"
	"        secret = \"carol's secret, not dave's\"\n"
	"    }\n"
	"    ike-dave {\n"
	"        id-dave = dave@example.org\n"
	"        secret = 0x64617665732d7365637265742d6b6579\n"
	"    }\n"
	"    ike-eve {\n"
	"        id = eve@example.org\n"
	"        secret = \"eve's real secret\"\n"
	"    }\n"
	"}\n";

/* One charon connection: identity `who`, its child named after it. */
static size_t initiator_conn(char *buf, size_t cap, const char *who)
{
	return (size_t)snprintf(
		buf, cap,
		"    %1$s {\n"
		"        remote_addrs = 192.0.2.2\n"
		"        proposals = aes256gcm16-prfsha256-x25519\n"
		"        local {\n"
		"            auth = psk\n"
		"            id = %1$s@example.org\n"
		"        }\n"
		"        remote {\n"
		"            auth = psk\n"
		"            id = moon.example.org\n"
		"        }\n"
		"        children {\n"
		"            %1$s {\n"
		"                remote_ts = 10.2.0.0/24\n"
		"                esp_proposals = aes128gcm16\n"
		"            }\n"
		"        }\n"
		"    }\n",
		who);
}

static void initiator_conf(char *conf, size_t cap)
{
	static const char *const who[] = { "carol", "dave", "eve", "mallory" };
	size_t n = (size_t)snprintf(conf, cap, "connections {\n");

	for (size_t i = 0; i < 4; i++)
		n += initiator_conn(conf + n, cap - n, who[i]);
	snprintf(conf + n, cap - n,
		 "}\n"
		 "secrets {\n"
		 "    ike-carol {\n"
		 "        id = carol@example.org\n"
		 "        secret = \"carol's secret, not dave's\"\n"
		 "    }\n"
		 "    ike-dave {\n"
		 "        id = dave@example.org\n"
		 "        secret = \"daves-secret-key\"\n"
		 "    }\n"
		 "    ike-eve {\n"
		 "        id = eve@example.org\n"
		 "        secret = \"eve guesses wrong\"\n"
		 "    }\n"
		 "    ike-mallory {\n"
		 "        id = mallory@example.org\n"
		 "        secret = \"mallory has no key there\"\n"
		 "    }\n"
		 "}\n");
}

static int run(const char *cmd, char *out, size_t cap)
{
	int st = test_run_capture(cmd, out, cap);

	if (getenv("KB_TEST_VERBOSE"))
		test_note("$ %s -> %d\n%s", cmd, st, out);
	return st;
}

TEST(keybridged_psk_per_peer_keys_with_charon)
{
	struct du_peer a, b;
	char conf[8192], cmd[1024], out[16384];
	static const char *const who[] = { "carol", "dave", "eve", "mallory" };

	du_link(&a, &b, false);
	du_write_conf(&b, responder_conf);
	/* keybridge accepts the file as it is ... */
	snprintf(cmd, sizeof(cmd), "%s --check-config -c %s/swanctl.conf 2>&1",
		 du_daemon_bin(), b.dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	/* ... and so does strongSwan (charon in a; its swanctl fails the
	 * test if it refuses anything) */
	du_start_charon(&a, responder_conf, NULL);
	snprintf(cmd, sizeof(cmd), "cat %s/swanctl.log", a.dir);
	run(cmd, out, sizeof(out));
	CHECK(strstr(out, "loaded connection 'rw'") != NULL);
	CHECK(strstr(out, "loaded ike secret 'ike-carol'") != NULL);
	CHECK(strstr(out, "loaded ike secret 'ike-dave'") != NULL);
	/* a becomes the peers: its own configuration replaces that one */
	initiator_conf(conf, sizeof(conf));
	du_write_conf(&a, conf);
	snprintf(cmd, sizeof(cmd),
		 "swanctl --load-all --file %1$s/swanctl.conf "
		 "--uri unix://%1$s/charon.vici 2>&1",
		 a.dir);
	REQUIRE_EQ(run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "loaded connection 'mallory'") != NULL);

	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	for (size_t i = 0; i < 4; i++) {
		snprintf(cmd, sizeof(cmd),
			 "swanctl --initiate --child %2$s --timeout 10 "
			 "--uri unix://%1$s/charon.vici >>%1$s/swanctl.log "
			 "2>&1 &",
			 a.dir, who[i]);
		REQUIRE_EQ(system(cmd), 0);
	}
	/* carol and dave: each IKE SA up with the key of its identity */
	CHECK(du_charon_log_wait(&a, "IKE_SA carol[", 10000));
	CHECK(du_log_wait(&b, "peer authenticated as 'carol@example.org'",
			  10000));
	CHECK(du_log_wait(&b, "peer authenticated as 'dave@example.org'",
			  10000));
	CHECK(du_charon_log_wait(&a, "established between 192.0.2.1", 5000));
	/* eve: her key is not the one of ike-eve; the line names the SA
	 * (rw[n]), the peer and the secret */
	CHECK(du_log_wait(&b,
			  "]: AUTH of peer 'eve@example.org' does not verify "
			  "with the pre-shared key of secrets.ike-eve",
			  10000));
	/* mallory: no secret names her */
	CHECK(du_log_wait(&b,
			  "no pre-shared key (secrets.ike...) for our "
			  "identity 'moon.example.org' and the peer's "
			  "'mallory@example.org'",
			  10000));
	CHECK(du_charon_log_wait(&a, "received AUTHENTICATION_FAILED", 5000));
	CHECK_EQ(du_log_count(&b, "answering AUTHENTICATION_FAILED"), 2);

	/* strongSwan's own client sees who is who: the proven identities */
	snprintf(cmd, sizeof(cmd),
		 "swanctl --list-sas --uri unix://%s/keybridge.vici 2>&1",
		 b.dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "local  'moon.example.org' @ 192.0.2.2") != NULL);
	CHECK(strstr(out, "remote 'carol@example.org' @ 192.0.2.1") != NULL);
	CHECK(strstr(out, "remote 'dave@example.org' @ 192.0.2.1") != NULL);
	CHECK(strstr(out, "eve@example.org") == NULL);
	snprintf(cmd, sizeof(cmd), "%s --socket %s/keybridge.vici status 2>&1",
		 test_build_path("bin/ipsec"), b.dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "carol@example.org") != NULL);
	CHECK(strstr(out, "dave@example.org") != NULL);

	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&b);
		snprintf(cmd, sizeof(cmd), "cat %s/charon.log %s/swanctl.log",
			 a.dir, a.dir);
		run(cmd, out, sizeof(out));
		test_note("%s", out);
	}
}
