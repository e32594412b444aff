/* Backend capabilities applied to connections (daemon/io/conns_kernel.c):
 * what a backend cannot install never reaches the engine, and a configured
 * proposal it cannot install is an error at file:line. The capabilities
 * here are PF_KEY's on Linux (no AEAD, HMAC-SHA-256 truncated to 96 bits,
 * no ESN, replay window of 32), written out so the rule is tested apart
 * from the backend that reports them. */
#include "ike_iana.h"
#include "io/conns.h"
#include "tests/conf_util.h"
#include "tests/test.h"

static const struct kernel_caps pfkey_like = {
	.replay_max = 32,
	.n_encr = 3,
	.encr = { ENCR_AES_CBC, ENCR_3DES, ENCR_NULL },
	.n_integ = 4,
	.integ = { AUTH_HMAC_SHA1_96, AUTH_HMAC_SHA2_256_128,
		   AUTH_HMAC_SHA2_384_192, AUTH_HMAC_SHA2_512_256 },
};

static const char conf_head[] = "connections {\n"		     /* 1 */
				"  gw {\n"			     /* 2 */
				"    remote_addrs = 192.0.2.2\n"     /* 3 */
				"    local { auth = psk }\n"	     /* 4 */
				"    remote { auth = psk }\n"	     /* 5 */
				"    children {\n"		     /* 6 */
				"      net {\n"			     /* 7 */
				"        remote_ts = 10.2.0.0/16\n"; /* 8 */
static const char conf_tail[] = "      }\n"			     /* 10 */
				"    }\n"
				"  }\n"
				"}\n"
				"secrets { ike { secret = abc } }\n";

/* Builds the connections of a file whose line 9 is `line9`. */
static int build(const char *line9, struct conns *out, struct conf_diag *diag,
		 char **dir_out, char *path, size_t cap)
{
	char text[2048];
	struct kb_config *cfg;
	struct conns_opts opts = { "pfkey", &pfkey_like, path };
	int r;

	*dir_out = cu_tmpdir();
	snprintf(text, sizeof(text), "%s%s\n%s", conf_head, line9, conf_tail);
	cu_write(*dir_out, "swanctl.conf", text);
	snprintf(path, cap, "%s/swanctl.conf", *dir_out);
	cfg = config_load_file(path, diag);
	REQUIRE(cfg != NULL);
	REQUIRE_EQ(conf_diag_errors(diag), 0);
	r = conns_build(cfg, &opts, out, diag);
	config_free(cfg);
	return r;
}

static bool esp_offers(const struct engine_child_cfg *ch, uint8_t type,
		       uint16_t id)
{
	for (unsigned i = 0; i < ch->n_esp; i++)
		for (unsigned k = 0; k < ch->esp[i].n; k++)
			if (ch->esp[i].x[k].type == type &&
			    ch->esp[i].x[k].id == id)
				return true;
	return false;
}

TEST(conns_kernel_refuses_gcm_at_file_and_line)
{
	struct conf_diag diag = { 0 };
	struct conns c = { 0 };
	char path[512], want[700], *dir;

	REQUIRE_EQ(build("        esp_proposals = aes128gcm16", &c, &diag, &dir,
			 path, sizeof(path)),
		   0);
	CHECK_EQ(c.n, 0);
	snprintf(want, sizeof(want),
		 "%s:9: connections.gw.children.net.esp_proposals: proposal 1 "
		 "(ESP:AES_GCM_16_128/NO_ESN) cannot be installed: the "
		 "pfkey backend cannot install AEAD ciphers such as "
		 "ENCR_AES_GCM_16",
		 path);
	for (size_t i = 0; i < diag.count; i++)
		test_note("%s", diag.msgs[i]);
	CHECK(conf_diag_contains(&diag, want));
	CHECK(conf_diag_contains(&diag, "conn gw: not loaded"));
	conns_free(&c);
	conf_diag_free(&diag);
	cu_rmtree(dir);
}

TEST(conns_kernel_refuses_sha256_and_esn_alone)
{
	struct conf_diag diag = { 0 };
	struct conns c = { 0 };
	char path[512], *dir;

	REQUIRE_EQ(
		build("        esp_proposals = aes128-sha256, aes256-sha1-esn",
		      &c, &diag, &dir, path, sizeof(path)),
		0);
	CHECK_EQ(c.n, 0);
	for (size_t i = 0; i < diag.count; i++)
		test_note("%s", diag.msgs[i]);
	CHECK(conf_diag_contains(&diag, ":9: connections.gw.children.net."
					"esp_proposals: proposal 1"));
	CHECK(conf_diag_contains(&diag, "truncates HMAC-SHA-256 to 96 bits"));
	CHECK(conf_diag_contains(&diag, "proposal 2"));
	CHECK(conf_diag_contains(&diag, "extended sequence numbers"));
	conns_free(&c);
	conf_diag_free(&diag);
	cu_rmtree(dir);
}

TEST(conns_kernel_drops_what_it_cannot_install_and_warns)
{
	struct conf_diag diag = { 0 };
	struct conns c = { 0 };
	char path[512], *dir;

	REQUIRE_EQ(build("        esp_proposals = aes128-sha256-sha1-esn-noesn",
			 &c, &diag, &dir, path, sizeof(path)),
		   0);
	REQUIRE_EQ(c.n, 1);
	CHECK_EQ(conf_diag_errors(&diag), 0);
	const struct engine_child_cfg *ch = &c.conn[0].children[0];
	CHECK(esp_offers(ch, TRANS_ENCR, ENCR_AES_CBC));
	CHECK(esp_offers(ch, TRANS_INTEG, AUTH_HMAC_SHA1_96));
	CHECK(!esp_offers(ch, TRANS_INTEG, AUTH_HMAC_SHA2_256_128));
	CHECK(!esp_offers(ch, TRANS_ESN, ESN_YES));
	CHECK(esp_offers(ch, TRANS_ESN, ESN_NONE));
	CHECK(conf_diag_contains(&c.warnings, ":9: connections.gw.children."
					      "net.esp_proposals: proposal 1"));
	CHECK(conf_diag_contains(&c.warnings, "left out of this proposal"));
	conns_free(&c);
	conf_diag_free(&diag);
	cu_rmtree(dir);
}

/* strongSwan's default offers AES-GCM in a proposal of its own: under a
 * backend without AEAD that proposal goes quietly, the CBC one stays. */
TEST(conns_kernel_default_proposals_keep_what_can_be_installed)
{
	struct conf_diag diag = { 0 };
	struct conns c = { 0 };
	char path[512], *dir;

	REQUIRE_EQ(build("", &c, &diag, &dir, path, sizeof(path)), 0);
	REQUIRE_EQ(c.n, 1);
	CHECK_EQ(conf_diag_errors(&diag), 0);
	CHECK(!conf_diag_contains(&c.warnings, "esp_proposals"));
	const struct engine_child_cfg *ch = &c.conn[0].children[0];
	CHECK_EQ(ch->n_esp, 1);
	CHECK(esp_offers(ch, TRANS_ENCR, ENCR_AES_CBC));
	CHECK(!esp_offers(ch, TRANS_ENCR, ENCR_AES_GCM_16));
	CHECK(!esp_offers(ch, TRANS_INTEG, AUTH_HMAC_SHA2_256_128));
	CHECK(esp_offers(ch, TRANS_INTEG, AUTH_HMAC_SHA2_512_256));
	conns_free(&c);
	conf_diag_free(&diag);
	cu_rmtree(dir);
}

TEST(conns_kernel_refuses_a_replay_window_too_wide)
{
	struct conf_diag diag = { 0 };
	struct conns c = { 0 };
	char path[512], *dir;

	REQUIRE_EQ(build("        replay_window = 64", &c, &diag, &dir, path,
			 sizeof(path)),
		   0);
	CHECK_EQ(c.n, 0);
	CHECK(conf_diag_contains(&diag, ":9: connections.gw.children.net."
					"replay_window: 64 packets is more "
					"than the pfkey backend can install "
					"(32)"));
	conns_free(&c);
	conf_diag_free(&diag);
	cu_rmtree(dir);
}

/* Without capabilities (XFRM's are a superset of the config's) nothing
 * changes: GCM stays. */
TEST(conns_kernel_without_caps_changes_nothing)
{
	struct conf_diag diag = { 0 };
	struct conns c = { 0 };
	struct kb_config *cfg;
	char text[2048];

	snprintf(text, sizeof(text),
		 "%s        esp_proposals = aes128gcm16\n%s", conf_head,
		 conf_tail);
	cfg = config_load_string(text, strlen(text), "mem.conf", &diag);
	REQUIRE(cfg != NULL);
	REQUIRE_EQ(conns_build(cfg, NULL, &c, &diag), 0);
	REQUIRE_EQ(c.n, 1);
	CHECK(esp_offers(&c.conn[0].children[0], TRANS_ENCR, ENCR_AES_GCM_16));
	conns_free(&c);
	conf_diag_free(&diag);
	config_free(cfg);
}
