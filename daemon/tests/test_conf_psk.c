/* secrets.ike<suffix> as the engine's table of pre-shared keys (io/psks.c):
 * every secret with its owners reaches the connections, chosen later by
 * identity; what keybridge cannot honour is refused naming the secret,
 * with its file and line, and the rest loads. */
#include "io/conns.h"
#include "tests/conf_util.h"

#include "engine/ident.h"
#include "ike_iana.h"

static const char rw[] =
	"connections {\n"
	"  rw {\n"
	"    local { auth = psk\n id = moon.example.org\n }\n"
	"    remote { auth = psk\n id = %s\n }\n"
	"    children { c { local_ts = 10.2.0.0/24\n } }\n"
	"  }\n"
	"}\n"
	"secrets {\n"
	"  ike-carol {\n    id = carol@example.org\n    secret = carols\n  }\n"
	"  ike-dn {\n    id = \"C=CH, O=Example, CN=*\"\n    secret = dns\n  "
	"}\n"
	"  ike-any {\n    secret = 0x0102030405060708\n  }\n"
	"}\n";

TEST(conf_psk_table_reaches_the_connection)
{
	char *dir = cu_tmpdir(), text[2048];
	struct conf_diag d = { 0 };
	struct conns c = { 0 };
	struct engine_id carol = { .type = ID_RFC822_ADDR, .len = 17 };
	struct engine_id dave = { .type = ID_RFC822_ADDR, .len = 16 };
	const uint8_t *key;
	const char *name;
	size_t len;

	memcpy(carol.data, "carol@example.org", 17);
	memcpy(dave.data, "dave@example.org", 16);
	snprintf(text, sizeof(text), rw, "%any");
	REQUIRE_EQ(cu_build(dir, text, &c, &d), 0);
	REQUIRE_EQ(c.n, 1u);
	/* the DN with a wildcard is refused, file:line and secret named */
	CHECK(cu_has(&d, "swanctl.conf:18: secrets.ike-dn: wildcards in a "
			 "distinguished name are not supported by "
			 "keybridge"));
	CHECK_EQ(c.psks.n, 2u);
	CHECK(c.conn[0].psks == c.psks.keys);
	CHECK_EQ(c.conn[0].n_psks, 2u);
	/* chosen by the peer's identity: carol's own, anyone else the
	 * catch-all */
	REQUIRE_EQ(ident_psk(&c.conn[0], &c.conn[0].local_auth.id, &carol, &key,
			     &len, &name),
		   0);
	CHECK_EQ(strcmp(name, "ike-carol"), 0);
	CHECK_EQ(len, 6u);
	CHECK_EQ(memcmp(key, "carols", 6), 0);
	REQUIRE_EQ(ident_psk(&c.conn[0], &c.conn[0].local_auth.id, &dave, &key,
			     &len, &name),
		   0);
	CHECK_EQ(strcmp(name, "ike-any"), 0);
	CHECK_EQ(len, 8u);
	conns_free(&c);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

/* `text` loads with no connection left, and a message holds `msg`. */
static void check_refused(const char *text, const char *msg)
{
	char *dir = cu_tmpdir();
	struct conf_diag d = { 0 };
	struct conns c = { 0 };

	REQUIRE_EQ(cu_build(dir, text, &c, &d), 0);
	CHECK_EQ(c.n, 0u);
	if (!cu_has(&d, msg)) {
		cu_show(&d);
		test_fail(__FILE__, __LINE__, "no message with \"%s\"", msg);
	}
	conns_free(&c);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

TEST(conf_psk_remote_id_dn_wildcard_refused)
{
	char text[2048];

	snprintf(text, sizeof(text), rw, "\"C=CH, O=Example, CN=*\"");
	check_refused(text, "conn rw: remote.id 'C=CH, O=Example, CN=*': "
			    "wildcards in a distinguished name are not "
			    "supported by keybridge");
}

TEST(conf_psk_exact_peer_needs_a_secret)
{
	check_refused("connections { c {\n"
		      "  local { auth = psk\n id = moon.example.org\n }\n"
		      "  remote { auth = psk\n id = sun.example.org\n }\n"
		      "} }\n"
		      "secrets { ike-x { id = carol@example.org\n"
		      "  secret = x\n } }\n",
		      "no ike secret for local id 'moon.example.org' and "
		      "remote id 'sun.example.org'");
	check_refused("connections { c {\n"
		      "  local { auth = psk\n }\n"
		      "  remote { auth = psk\n }\n"
		      "} }\n",
		      "auth = psk and no usable secrets.ike<suffix> "
		      "section holds a key");
}
