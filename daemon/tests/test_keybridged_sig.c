/* auth = rsa/pss-sha384 with strongSwan's charon: RFC 7427 RSASSA-PSS both
 * ways, and a peer signing PKCS#1 v1.5 refused by name.
 *
 *   [ ns a: 192.0.2.1 ]  <--- veth --->  [ ns b: 192.0.2.2 ]
 *     charon: "pss" (local rsa/pss-sha384)    keybridged: "pss", "pkcs1"
 *             "pkcs1" (local rsa-sha256)      (remote rsa/pss-sha384),
 *                                             local rsa/pss-sha256
 *
 * charon's remote.auth = rsa/pss-sha256 accepts only keybridge's PSS
 * signature with SHA2-256, so it coming up proves what keybridge signs.
 * Private keys are in each side's rsa/ directory, as swanctl keeps them. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An RSA key pair: rsa/key-<name>.pem (swanctl's directory for RSA keys,
 * loaded without being named) and pub-<name>.pem in `dir`. */
static void make_rsa(const char *dir, const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %1$s/rsa && openssl genpkey -algorithm RSA -pkeyopt "
		 "rsa_keygen_bits:2048 -out %1$s/rsa/key-%2$s.pem 2>/dev/null "
		 "&& openssl pkey -in %1$s/rsa/key-%2$s.pem -pubout -out "
		 "%1$s/pub-%2$s.pem",
		 dir, name);
	REQUIRE(system(cmd) == 0);
}

static size_t conn(char *buf, size_t cap, const char *name, bool charon,
		   const char *local_auth, const char *remote_auth,
		   const struct du_peer *me, const struct du_peer *peer)
{
	return (size_t)snprintf(
		buf, cap,
		"    %1$s {\n"
		"        local_addrs = %2$s\n"
		"%3$s"
		"        proposals = aes256gcm16-prfsha384-ecp384\n"
		"        local {\n"
		"            auth = %4$s\n"
		"            id = %5$s-%1$s.example.org\n"
		"            pubkeys = %6$s/pub-%5$s.pem\n"
		"        }\n"
		"        remote {\n"
		"            auth = %7$s\n"
		"            id = %8$s-%1$s.example.org\n"
		"            pubkeys = %9$s/pub-%8$s.pem\n"
		"        }\n"
		"        children {\n"
		"            %1$s {\n"
		"                local_ts = 10.%10$d.0.0/24\n"
		"                remote_ts = 10.%11$d.0.0/24\n"
		"                esp_proposals = aes128gcm16\n"
		"            }\n"
		"        }\n"
		"    }\n",
		name, me->addr,
		charon ? "        remote_addrs = 192.0.2.2\n" : "", local_auth,
		charon ? "a" : "b", me->dir, remote_auth, charon ? "b" : "a",
		peer->dir, charon ? 1 : 2, charon ? 2 : 1);
}

TEST(keybridged_rsa_pss_with_charon)
{
	struct du_peer a, b;
	char conf[8192], cmd[1024];
	size_t n;

	du_link(&a, &b, false);
	make_rsa(a.dir, "a");
	make_rsa(b.dir, "b");
	/* keybridged: both connections take only RSASSA-PSS with SHA2-384
	 * and sign RSASSA-PSS with SHA2-256 */
	n = (size_t)snprintf(conf, sizeof(conf), "connections {\n");
	n += conn(conf + n, sizeof(conf) - n, "pss", false, "rsa/pss-sha256",
		  "rsa/pss-sha384", &b, &a);
	n += conn(conf + n, sizeof(conf) - n, "pkcs1", false, "rsa/pss-sha256",
		  "rsa/pss-sha384", &b, &a);
	snprintf(conf + n, sizeof(conf) - n, "}\n");
	du_write_conf(&b, conf);
	snprintf(cmd, sizeof(cmd),
		 "%s --check-config -c %s/swanctl.conf >/dev/null 2>&1",
		 du_daemon_bin(), b.dir);
	CHECK_EQ(system(cmd), 0);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	/* charon: "pss" signs as asked, "pkcs1" with PKCS#1 v1.5 */
	n = (size_t)snprintf(conf, sizeof(conf), "connections {\n");
	n += conn(conf + n, sizeof(conf) - n, "pss", true, "rsa/pss-sha384",
		  "rsa/pss-sha256", &a, &b);
	n += conn(conf + n, sizeof(conf) - n, "pkcs1", true, "rsa-sha256",
		  "rsa/pss-sha256", &a, &b);
	snprintf(conf + n, sizeof(conf) - n, "}\n");
	du_start_charon(&a, conf, "pss");
	CHECK(du_log_wait(&b, "pss[", 10000));
	CHECK(du_log_wait(&b,
			  "IKE SA established (responder); peer "
			  "authenticated as 'a-pss.example.org'",
			  10000));
	CHECK(du_charon_log_wait(&a, "IKE_SA pss[1] established", 5000));
	CHECK(du_charon_log_wait(&a,
				 "authentication of 'b-pss.example.org' with "
				 "RSA_EMSA_PSS",
				 1000));
	snprintf(cmd, sizeof(cmd),
		 "swanctl --initiate --child pkcs1 --timeout 10 "
		 "--uri unix://%1$s/charon.vici >>%1$s/swanctl.log 2>&1 &",
		 a.dir);
	REQUIRE_EQ(system(cmd), 0);
	CHECK(du_log_wait(
		&b,
		"peer signed with sha256WithRSAEncryption (a 2048-bit "
		"key), which remote.auth rsa/pss-sha384 does not "
		"allow",
		10000));
	CHECK(du_charon_log_wait(&a, "received AUTHENTICATION_FAILED", 5000));
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&b);
		snprintf(cmd, sizeof(cmd), "cat %s/charon.log >&2", a.dir);
		(void)!system(cmd);
	}
}
