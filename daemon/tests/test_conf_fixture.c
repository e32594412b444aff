/* A realistic swanctl.conf (daemon/tests/vectors/config/gateway, written in
 * the style of strongSwan's examples) read end to end, and the reader fed
 * truncated, mutated and random input: no crash, no leak (the test runner
 * is built with ASan and leak detection), bounded errors. */
#include "config/conf_proposal.h"
#include "config/config.h"
#include "ike_iana.h"
#include "tests/conf_util.h"
#include "tests/test.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define GW "daemon/tests/vectors/config/gateway"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	REQUIRE(f != NULL);
	buf = malloc(1 << 16);
	REQUIRE(buf != NULL);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

TEST(conf_fixture_gateway_loads_completely)
{
	struct conf_diag d = { 0 };
	struct kb_config *cfg =
		config_load_file(test_src_path(GW "/swanctl.conf"), &d);
	const struct kb_conn *c;
	const struct kb_child *ch;

	REQUIRE(cfg != NULL);
	cu_show(&d);
	REQUIRE_EQ(conf_diag_errors(&d), 0);
	CHECK_EQ(cfg->n_conns, 3);

	c = config_conn(cfg, "net-net");
	REQUIRE(c != NULL);
	CHECK_EQ(c->version, 2); /* inherited from conn-defaults */
	CHECK_EQ(c->local_addrs[0].type, KB_ADDR_HOST);
	CHECK_EQ(c->proposals.count, 2);
	CHECK_EQ(c->proposals.p[1].ke[0], KE_ECP_384);
	CHECK_EQ(c->dpd_delay, 30);
	CHECK_EQ(c->local.n_certs, 1);
	CHECK(strstr(c->local.certs[0], GW "/x509/moonCert.pem") != NULL);
	CHECK_EQ(c->remote.id_type, ID_DER_ASN1_DN);
	CHECK_EQ(c->remote.n_cacerts, 1);
	CHECK_EQ(c->n_children, 2);
	ch = config_child(c, "net-net");
	REQUIRE(ch != NULL);
	CHECK_EQ(ch->start_action, KB_START_TRAP);
	CHECK_EQ(ch->close_action, KB_ACTION_START);
	CHECK_EQ(ch->rekey_bytes, 2ULL << 30);
	CHECK_EQ(ch->life_bytes, 2362232012ULL); /* 2G + 10% */
	CHECK_EQ(ch->esp_proposals.p[1].esn[0], ESN_YES);
	ch = config_child(c, "services");
	REQUIRE(ch != NULL);
	CHECK_EQ(ch->n_remote_ts, 2);
	CHECK_EQ(ch->remote_ts[0].port_from, 53);
	CHECK_EQ(ch->remote_ts[1].proto, 6);

	c = config_conn(cfg, "backup");
	REQUIRE(c != NULL);
	CHECK_EQ(c->local_addrs[0].family, AF_INET6); /* overrides default */
	CHECK_EQ(c->local_port, 4500);
	CHECK(c->encap);
	CHECK_EQ(c->remote.auth, KB_AUTH_ED25519);
	CHECK_EQ(c->local.auth, KB_AUTH_PUBKEY); /* inherited round */
	ch = &c->children[0];
	CHECK_EQ(ch->mode, KB_MODE_TRANSPORT);
	CHECK_EQ(ch->life_time, 4800);
	CHECK_EQ(ch->rand_time, 1200);
	CHECK_EQ(ch->remote_ts[0].port_from, 873);

	c = config_conn(cfg, "branch"); /* from conf.d/branch.conf */
	REQUIRE(c != NULL);
	CHECK_EQ(c->n_remote_addrs, 2);
	CHECK_EQ(c->remote_addrs[0].type, KB_ADDR_FQDN);
	CHECK_EQ(c->keyingtries, 0);
	CHECK_EQ(c->over_time, 1800);
	CHECK_EQ(c->rand_time, 1800); /* min(over_time, rekey_time / 2) */
	CHECK_EQ(c->local.auth, KB_AUTH_PSK);
	CHECK_EQ(c->children[0].rekey_packets, 10 << 20);

	CHECK_EQ(cfg->n_ike_secrets, 1);
	CHECK_EQ(cfg->ike_secrets[0].n_ids, 2);
	CHECK_EQ(cfg->ike_secrets[0].secret_len, 24);
	CHECK_EQ(cfg->n_private_secrets, 1);
	config_free(cfg);
	conf_diag_free(&d);
}

/* xorshift64*: reproducible pseudo-random input */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* Loads `len` bytes as if they were the gateway's swanctl.conf (so its
 * includes resolve) and checks the result is sane. */
static void load_bytes(const char *text, size_t len)
{
	struct conf_diag d = { 0 };
	struct kb_config *cfg = config_load_string(
		text, len, test_src_path(GW "/swanctl.conf"), &d);

	REQUIRE(cfg != NULL);
	CHECK_LE(d.count, CONF_DIAG_MAX);
	for (size_t i = 0; i < d.count; i++)
		CHECK_LT(strlen(d.msgs[i]), 2048);
	config_free(cfg);
	conf_diag_free(&d);
}

TEST(conf_fixture_every_truncation)
{
	size_t len;
	char *text = read_all(test_src_path(GW "/swanctl.conf"), &len);

	for (size_t i = 0; i <= len; i++)
		load_bytes(text, i);
	free(text);
}

TEST(conf_fixture_random_mutations)
{
	static const char alphabet[] = "{}=\"#\n\\ ,:.[]/-|0123456789abcxyz%@\t"
				       "\r\x01\xff";
	size_t len;
	char *orig = read_all(test_src_path(GW "/swanctl.conf"), &len);
	char *buf = malloc(len + 64);

	REQUIRE(buf != NULL);
	for (int iter = 0; iter < 2000; iter++) {
		size_t n = len;

		memcpy(buf, orig, len);
		for (int k = 1 + (int)rnd(8); k > 0; k--) {
			size_t at = rnd((uint32_t)n);
			char c = alphabet[rnd(sizeof(alphabet) - 1)];

			switch (rnd(3)) {
			case 0: buf[at] = c; break; /* replace */
			case 1:			    /* insert */
				if (n < len + 63) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default: /* delete */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
		}
		load_bytes(buf, n);
	}
	free(buf);
	free(orig);
}

TEST(conf_fixture_random_bytes_and_tokens)
{
	static const char *tokens[] = {
		"connections",
		"children",
		"secrets",
		"local",
		"remote",
		"{",
		"}",
		"=",
		"\n",
		"\"",
		"include ",
		"x : y",
		"a.b",
		"#c\n",
		"ike-1",
		"proposals",
		"default",
		"10.0.0.0/8[tcp/80]",
		"1h",
		"esp_proposals",
		"aes128-sha256-x25519",
		",",
		"\\",
	};
	char buf[2048];

	for (int iter = 0; iter < 3000; iter++) {
		size_t n = 0, want = rnd(sizeof(buf) - 64);

		if (iter % 2) {
			while (n < want) {
				const char *t = tokens[rnd(sizeof(tokens) /
							   sizeof(*tokens))];
				size_t tl = strlen(t);

				memcpy(buf + n, t, tl);
				n += tl;
			}
		} else {
			for (; n < want; n++)
				buf[n] = (char)rnd(256);
		}
		load_bytes(buf, n);
	}
}

TEST(conf_fixture_kbconf_checks_files)
{
	static char out[1 << 16];
	char cmd[2048], *dir = cu_tmpdir();

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", test_build_path("bin/kbconf"),
		 test_src_path(GW "/swanctl.conf"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "net-net: version 2, rekey 14400s") != NULL);
	CHECK(strstr(out,
		     "  IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE25519\n") !=
	      NULL);
	CHECK(strstr(out, "remote_ts: 10.3.0.0-10.3.0.255[17/53-53]") != NULL);
	CHECK(strstr(out, "secret ike-branch: 2 identities, 24 bytes") != NULL);

	cu_write(dir, "swanctl.conf",
		 "connections {\n c {\n  version = 1\n"
		 "  rekey = 1h\n }\n}\n");
	snprintf(cmd, sizeof(cmd), "%s --quiet %s/swanctl.conf 2>&1",
		 test_build_path("bin/kbconf"), dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 1);
	CHECK(strstr(out, "/swanctl.conf:3: connections.c.version: IKEv1 is "
			  "not supported by keybridge (use 0 or 2)\n") != NULL);
	CHECK(strstr(out, "/swanctl.conf:4: connections.c.rekey: unknown "
			  "key\n") != NULL);
	CHECK(strstr(out, "/swanctl.conf: 2 errors\n") != NULL);

	snprintf(cmd, sizeof(cmd), "%s --bogus 2>&1",
		 test_build_path("bin/kbconf"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
	CHECK(strstr(out, "usage: kbconf") != NULL);
	cu_rmtree(dir);
}

/* config.h promises byte-identical connections for equivalent text (the
 * daemon's reload hashes them): same settings written differently, in
 * another order, with comments, must compare equal; a changed setting
 * must not. */
TEST(conf_fixture_equivalent_text_gives_identical_bytes)
{
	static const char *a = "connections { c {\n"
			       "  remote_addrs = 192.0.2.1, vpn.example.org\n"
			       "  proposals = aes128-sha256-x25519\n"
			       "  local { auth = psk\n id = moon }\n"
			       "  children { n { local_ts = 10.0.0.0/8\n"
			       "    rekey_time = 30m } }\n"
			       "} }\n";
	static const char *b = "# same, written differently\n"
			       "connections {\n"
			       "  c\n  {\n"
			       "    children {\n n {\n rekey_time = 1800\n"
			       "      local_ts = \"10.0.0.0/8\" } }\n"
			       "    local { id = moon\n auth = psk }\n"
			       "    proposals = AES128-SHA256-X25519\n"
			       "    remote_addrs = 192.0.2.1,vpn.example.org\n"
			       "    rekey_time = 4h\n"
			       "  }\n}\n";
	struct conf_diag d = { 0 };
	struct kb_config *x = cu_load(a, &d), *y = cu_load(b, &d), *z;

	cu_show(&d);
	REQUIRE_EQ(conf_diag_errors(&d), 0);
	REQUIRE(x->n_conns == 1 && y->n_conns == 1);
	CHECK_EQ(memcmp(&x->conns[0], &y->conns[0],
			offsetof(struct kb_conn, children)),
		 0);
	REQUIRE(x->conns[0].n_children == 1 && y->conns[0].n_children == 1);
	CHECK_EQ(memcmp(x->conns[0].children, y->conns[0].children,
			sizeof(struct kb_child)),
		 0);

	z = cu_load("connections { c {\n"
		    "  remote_addrs = 192.0.2.1, vpn.example.org\n"
		    "  proposals = aes128-sha256-x25519\n"
		    "  local { auth = psk\n id = moon }\n"
		    "  children { n { local_ts = 10.0.0.0/8\n"
		    "    rekey_time = 31m } }\n"
		    "} }\n",
		    &d);
	CHECK_NE(memcmp(x->conns[0].children, z->conns[0].children,
			sizeof(struct kb_child)),
		 0);
	config_free(x);
	config_free(y);
	config_free(z);
	conf_diag_free(&d);
}
