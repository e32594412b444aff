/* EAP in the configuration (issue 17): remote.auth = eap-mschapv2,
 * remote.eap_id and secrets.eap<suffix> read by config.c, turned into the
 * engine's users by conns.c, and what keybridge does not do refused with
 * file, line and key. */
#include "config/config.h"
#include "crypto/mschapv2.h"
#include "io/conns.h"
#include "tests/conf_util.h"
#include "tests/test.h"

#define F "/nonexistent/test.conf"

static const char eap_conf[] =
	"connections { rw {\n"
	"  local { auth = pubkey\n id = moon.example.org }\n"
	"  remote { auth = eap-mschapv2\n eap_id = %any }\n"
	"  children { net { local_ts = 10.1.0.0/16 } }\n"
	"} }\n"
	"secrets {\n"
	"  eap-carol { id = carol\n secret = \"Ar3etTnp\" }\n"
	"  eap-two { id = dave\n id-2 = eve@example.org\n secret = pw }\n"
	"}\n";

TEST(conf_eap_model)
{
	struct conf_diag d = { 0 };
	struct kb_config *cfg = cu_load(eap_conf, &d);

	REQUIRE(cfg != NULL);
	if (conf_diag_errors(&d))
		cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	REQUIRE_EQ(cfg->n_conns, 1);
	CHECK_EQ(cfg->conns[0].remote.auth, KB_AUTH_EAP_MSCHAPV2);
	CHECK_EQ(strcmp(cfg->conns[0].remote.eap_id, "%any"), 0);
	REQUIRE_EQ(cfg->n_eap_secrets, 2);
	CHECK_EQ(cfg->eap_secrets[1].n_ids, 2);
	CHECK_EQ(strcmp(cfg->eap_secrets[1].ids[1], "eve@example.org"), 0);
	CHECK_EQ(cfg->eap_secrets[0].secret_len, 8);
	CHECK_EQ(cfg->n_ike_secrets, 0);
	config_free(cfg);
	conf_diag_free(&d);
}

static void one_error(const char *text, const char *msg)
{
	struct conf_diag d = { 0 };
	struct kb_config *c = cu_load(text, &d);

	if (!cu_has_exact(&d, msg) || conf_diag_errors(&d) != 1) {
		cu_show(&d);
		test_fail(__FILE__, __LINE__, "wanted only \"%s\"", msg);
	}
	config_free(c);
	conf_diag_free(&d);
}

TEST(conf_eap_refusals_name_file_line_and_key)
{
	one_error("connections { c { remote {\n auth = eap } } }\n",
		  F ":2: connections.c.remote.auth: 'eap' is not supported by "
		    "keybridge (of EAP methods it has eap-mschapv2)");
	one_error("connections { c { remote {\n auth = eap-md5 } } }\n",
		  F ":2: connections.c.remote.auth: 'eap-md5' is not "
		    "supported by keybridge (of EAP methods it has "
		    "eap-mschapv2)");
	one_error("connections { c { remote {\n auth = pubkey\n"
		  " eap_id = carol } } }\n",
		  F ":3: connections.c.remote.eap_id: eap_id needs auth = "
		    "eap-mschapv2");
	one_error("connections { c { local {\n eap_id = carol } } }\n",
		  F ":2: connections.c.local.eap_id: eap_id needs auth = "
		    "eap-mschapv2");
	one_error("connections {\n c { local { auth = eap-mschapv2 }\n"
		  " remote { auth = eap-mschapv2 } } }\n",
		  F ":2: connections.c: eap-mschapv2 on both sides: one side "
		    "is the EAP server and proves itself otherwise");
	one_error("secrets { eap-x {\n secret = pw } }\n",
		  F ":1: secrets.eap-x: has no 'id' (the EAP user the password "
		    "belongs to)");
}

/* A swanctl directory with moon's certificate and key (the EAP server
 * signs), made with openssl. */
static char *make_dir(void)
{
	char *dir = cu_tmpdir(), cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir x509 private; exec 2>/dev/null; "
		 "openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout private/moon.pem "
		 "-out x509/moon.pem -subj /CN=moon.example.org "
		 "-addext subjectAltName=DNS:moon.example.org -days 30",
		 dir);
	REQUIRE(system(cmd) == 0);
	return dir;
}

TEST(conf_eap_users_reach_the_engine)
{
	char *dir = make_dir();
	struct conf_diag d = { 0 };
	struct conns c = { 0 };
	uint8_t hash[16];

	REQUIRE_EQ(cu_build(dir, eap_conf, &c, &d), 0);
	if (conf_diag_errors(&d))
		cu_show(&d);
	REQUIRE_EQ(c.n, 1);
	CHECK_EQ(c.conn[0].remote_auth.method, ENGINE_AUTH_EAP_MSCHAPV2);
	CHECK_EQ(c.conn[0].eap_id_mode, ENGINE_EAP_ID_ANY);
	REQUIRE_EQ(c.conn[0].n_eap_users, 3);
	CHECK_EQ(c.conn[0].eap_users == c.eap_users, 1);
	CHECK_EQ(c.eap_users[0].id_len, 5);
	CHECK_EQ(memcmp(c.eap_users[0].id, "carol", 5), 0);
	REQUIRE_EQ(mschapv2_nt_hash("Ar3etTnp", 8, hash), 0);
	CHECK_EQ(memcmp(c.eap_users[0].nt_hash, hash, 16), 0);
	CHECK_EQ(memcmp(c.eap_users[2].id, "eve@example.org", 15), 0);
	CHECK_EQ(memcmp(c.eap_users[1].nt_hash, c.eap_users[2].nt_hash, 16), 0);
	conns_free(&c);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

/* keybridge as the client: its EAP identity and password. */
TEST(conf_eap_client)
{
	static const char text[] =
		"connections { home {\n remote_addrs = 192.0.2.2\n"
		"  local { auth = eap-mschapv2\n id = carol@example.org\n"
		"    eap_id = carol }\n"
		"  remote { id = moon.example.org\n pubkeys = moon.pub }\n"
		"} }\n"
		"secrets { eap-carol { id = carol\n secret = \"Ar3etTnp\" } "
		"}\n";
	char *dir = make_dir(), cmd[512];
	struct conf_diag d = { 0 };
	struct conns c = { 0 };
	uint8_t hash[16];

	snprintf(cmd, sizeof(cmd),
		 "openssl pkey -in %s/private/moon.pem -pubout -out "
		 "%s/pubkey/moon.pub 2>/dev/null || (mkdir -p %s/pubkey && "
		 "openssl pkey -in %s/private/moon.pem -pubout -out "
		 "%s/pubkey/moon.pub)",
		 dir, dir, dir, dir, dir);
	REQUIRE(system(cmd) == 0);
	REQUIRE_EQ(cu_build(dir, text, &c, &d), 0);
	if (conf_diag_errors(&d))
		cu_show(&d);
	REQUIRE_EQ(c.n, 1);
	CHECK_EQ(c.conn[0].local_auth.method, ENGINE_AUTH_EAP_MSCHAPV2);
	CHECK_EQ(c.conn[0].eap_client.id_len, 5);
	CHECK_EQ(memcmp(c.conn[0].eap_client.id, "carol", 5), 0);
	REQUIRE_EQ(mschapv2_nt_hash("Ar3etTnp", 8, hash), 0);
	CHECK_EQ(memcmp(c.conn[0].eap_client.nt_hash, hash, 16), 0);
	conns_free(&c);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

TEST(conf_eap_connection_errors)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "connections { rw { local { auth = psk }\n"
		  " remote { auth = eap-mschapv2 } } }\n"
		  "secrets { eap-c { id = c\n secret = pw }\n"
		  " ike-x { secret = s } }\n",
		  "needs local public key authentication" },
		{ "connections { rw { local { id = moon.example.org }\n"
		  " remote { auth = eap-mschapv2 } } }\n",
		  "no usable secrets.eap<suffix> section holds a user" },
		/* Latin-1 "é" is not UTF-8 */
		{ "connections { rw { local { id = moon.example.org }\n"
		  " remote { auth = eap-mschapv2 } } }\n"
		  "secrets { eap-c { id = c\n secret = 0x41e9 } }\n",
		  "secrets.eap-c: the id 'c' or its password does not fit" },
		/* the client: no secret for its identity, no identity */
		{ "connections { rw { local { auth = eap-mschapv2\n"
		  " id = dave }\n remote { id = moon.example.org } } }\n"
		  "secrets { eap-c { id = c\n secret = pw } }\n",
		  "no secrets.eap<suffix> lists the id 'dave'" },
		{ "connections { rw { local { auth = eap-mschapv2 } } }\n"
		  "secrets { eap-c { id = c\n secret = pw } }\n",
		  "needs our EAP identity in local.eap_id or local.id" },
		{ "connections { rw { local { auth = eap-mschapv2\n id = c }\n"
		  " remote { auth = psk } } }\n"
		  "secrets { eap-c { id = c\n secret = pw }\n"
		  " ike-x { secret = s } }\n",
		  "not psk" },
	};
	char *dir = make_dir();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct conf_diag d = { 0 };
		struct conns c = { 0 };
		bool found = false;

		REQUIRE_EQ(cu_build(dir, bad[i].text, &c, &d), 0);
		for (size_t k = 0; k < d.count; k++)
			found |= strstr(d.msgs[k], bad[i].msg) != NULL;
		if (!found) {
			cu_show(&d);
			test_fail(__FILE__, __LINE__, "case %zu: no \"%s\"", i,
				  bad[i].msg);
		}
		CHECK_EQ(c.n, 0);
		conns_free(&c);
		conf_diag_free(&d);
	}
	cu_rmtree(dir);
}
