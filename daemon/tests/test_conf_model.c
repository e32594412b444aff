/* Tests for the configuration model (daemon/config/config.c): every key
 * keybridge supports, strongSwan's defaults, value checks and the error
 * messages naming file, line and key. */
#include "config/conf_proposal.h"
#include "config/config.h"
#include "ike_iana.h"
#include "tests/conf_util.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#define F "/nonexistent/test.conf"

/* Loads `text`, which must be free of errors, and returns the config. */
static struct kb_config *load_ok(const char *text)
{
	struct conf_diag d = { 0 };
	struct kb_config *cfg = cu_load(text, &d);

	REQUIRE(cfg != NULL);
	if (conf_diag_errors(&d)) {
		cu_show(&d);
		test_fail(__FILE__, __LINE__, "%zu unexpected errors",
			  conf_diag_errors(&d));
	}
	conf_diag_free(&d);
	return cfg;
}

/* Loads `text` and checks that its only error is `msg`. */
#define ONE_ERROR(text, msg)                                                   \
	do {                                                                   \
		struct conf_diag d_ = { 0 };                                   \
		struct kb_config *c_ = cu_load(text, &d_);                     \
		CU_HAS(&d_, msg);                                              \
		if (conf_diag_errors(&d_) != 1) {                              \
			cu_show(&d_);                                          \
			test_fail(__FILE__, __LINE__, "%zu errors, not 1",     \
				  conf_diag_errors(&d_));                      \
		}                                                              \
		config_free(c_);                                               \
		conf_diag_free(&d_);                                           \
	} while (0)

TEST(conf_model_defaults_are_strongswans)
{
	struct kb_config *cfg = load_ok("connections {\n"
					"  c {\n"
					"    children { net { } }\n"
					"  }\n"
					"}\n");
	const struct kb_conn *c = config_conn(cfg, "c");
	const struct kb_child *ch = config_child(c, "net");
	struct kb_proposals def;

	REQUIRE(c != NULL);
	REQUIRE(ch != NULL);
	/* swanctl.conf(5) defaults, keybridge's where noted */
	CHECK_EQ(c->version, 0);
	CHECK_EQ(c->n_local_addrs, 1);
	CHECK_EQ(c->local_addrs[0].type, KB_ADDR_ANY);
	CHECK_EQ(c->n_remote_addrs, 1);
	CHECK_EQ(c->remote_addrs[0].type, KB_ADDR_ANY);
	CHECK_EQ(c->local_port, 500);
	CHECK_EQ(c->remote_port, 500);
	conf_proposal_default(PROTO_IKE, &def);
	CHECK_MEM(&c->proposals, &def, sizeof(def));
	CHECK_EQ(c->dpd_delay, 0);
	CHECK_EQ(c->dpd_timeout, 0);
	CHECK_EQ(c->rekey_time, 4 * 3600);
	CHECK_EQ(c->over_time, 1440); /* 10% of rekey_time */
	CHECK_EQ(c->rand_time, 1440); /* = over_time */
	CHECK_EQ(c->keyingtries, 1);
	CHECK_EQ(c->unique, KB_UNIQUE_NO);
	CHECK(!c->encap);
	CHECK(!c->mobike); /* keybridge: strongSwan's default is yes */
	CHECK_EQ(c->fragmentation, KB_FRAG_YES);
	CHECK_EQ(c->local.auth, KB_AUTH_PUBKEY);
	CHECK_EQ(c->remote.auth, KB_AUTH_PUBKEY);
	CHECK_STR(c->local.id, "");
	CHECK_STR(c->remote.id, "%any");
	CHECK_EQ(ch->n_local_ts, 1);
	CHECK(ch->local_ts[0].dynamic);
	CHECK_EQ(ch->n_remote_ts, 1);
	CHECK(ch->remote_ts[0].dynamic);
	conf_proposal_default(PROTO_ESP, &def);
	CHECK_MEM(&ch->esp_proposals, &def, sizeof(def));
	CHECK_EQ(ch->mode, KB_MODE_TUNNEL);
	CHECK_EQ(ch->start_action, KB_START_NONE);
	CHECK_EQ(ch->close_action, KB_ACTION_NONE);
	CHECK_EQ(ch->dpd_action, KB_ACTION_NONE);
	CHECK_EQ(ch->rekey_time, 3600);
	CHECK_EQ(ch->life_time, 3960); /* rekey_time + 10% */
	CHECK_EQ(ch->rand_time, 360);  /* life_time - rekey_time */
	CHECK_EQ(ch->rekey_bytes, 0);
	CHECK_EQ(ch->life_bytes, 0);
	CHECK_EQ(ch->rekey_packets, 0);
	CHECK_EQ(ch->life_packets, 0);
	CHECK_EQ(ch->replay_window, 32);
	config_free(cfg);
}

TEST(conf_model_every_connection_key)
{
	struct kb_config *cfg = load_ok(
		"connections {\n"
		"  gw {\n"
		"    version = 2\n"
		"    local_addrs = 192.0.2.1, 2001:db8::1\n"
		"    remote_addrs = 198.51.100.0/24, 10.0.0.1-10.0.0.9, "
		"peer.example.org, %any6\n"
		"    local_port = 4501\n"
		"    remote_port = 4502\n"
		"    proposals = aes256gcm16-prfsha384-x25519, "
		"aes128-sha256-modp3072\n"
		"    dpd_delay = 30s\n"
		"    dpd_timeout = 2m\n"
		"    rekey_time = 1h\n"
		"    over_time = 10m\n"
		"    rand_time = 5m\n"
		"    keyingtries = 0\n"
		"    unique = replace\n"
		"    encap = yes\n"
		"    mobike = no\n"
		"    fragmentation = accept\n"
		"    childless = force\n"
		"    local {\n"
		"      auth = psk\n"
		"      id = moon.example.org\n"
		"    }\n"
		"    remote {\n"
		"      auth = ecdsa-256-sha256-sha384\n"
		"      id = \"C=CH, O=example, CN=sun\"\n"
		"    }\n"
		"  }\n"
		"}\n");
	const struct kb_conn *c = config_conn(cfg, "gw");

	REQUIRE(c != NULL);
	CHECK_EQ(c->version, 2);
	CHECK_EQ(c->n_local_addrs, 2);
	CHECK_EQ(c->local_addrs[1].family, AF_INET6);
	CHECK_EQ(c->n_remote_addrs, 4);
	CHECK_EQ(c->remote_addrs[0].type, KB_ADDR_SUBNET);
	CHECK_EQ(c->remote_addrs[1].type, KB_ADDR_RANGE);
	CHECK_EQ(c->remote_addrs[2].type, KB_ADDR_FQDN);
	CHECK_EQ(c->remote_addrs[3].family, AF_INET6);
	CHECK_EQ(c->local_port, 4501);
	CHECK_EQ(c->remote_port, 4502);
	CHECK_EQ(c->proposals.count, 2);
	CHECK_EQ(c->proposals.p[0].ke[0], KE_CURVE25519);
	CHECK_EQ(c->proposals.p[1].ke[0], KE_MODP_3072);
	CHECK_EQ(c->dpd_delay, 30);
	CHECK_EQ(c->dpd_timeout, 120);
	CHECK_EQ(c->rekey_time, 3600);
	CHECK_EQ(c->over_time, 600);
	CHECK_EQ(c->rand_time, 300);
	CHECK_EQ(c->keyingtries, 0);
	CHECK_EQ(c->unique, KB_UNIQUE_REPLACE);
	CHECK(c->encap);
	CHECK(!c->mobike);
	CHECK_EQ(c->fragmentation, KB_FRAG_ACCEPT);
	CHECK_EQ(c->childless, KB_CHILDLESS_FORCE);
	CHECK_EQ(c->local.auth, KB_AUTH_PSK);
	CHECK_STR(c->local.id, "moon.example.org");
	CHECK_EQ(c->local.id_type, ID_FQDN);
	CHECK_EQ(c->remote.auth, KB_AUTH_ECDSA);
	CHECK_EQ(c->remote.key_bits, 256);
	CHECK_EQ(c->remote.n_hashes, 2);
	CHECK_EQ(c->remote.hashes[1], HASH_SHA2_384);
	CHECK_EQ(c->remote.id_type, ID_DER_ASN1_DN);
	/* derived from the given rekey_time when not set */
	config_free(cfg);
	cfg = load_ok("connections { c { rekey_time = 2h } }\n");
	CHECK_EQ(cfg->conns[0].over_time, 720);
	CHECK_EQ(cfg->conns[0].rand_time, 720);
	config_free(cfg);
	cfg = load_ok("connections { c { rekey_time = 0 } }\n");
	CHECK_EQ(cfg->conns[0].over_time, 0);
	CHECK_EQ(cfg->conns[0].rand_time, 0);
	config_free(cfg);
}

TEST(conf_model_every_child_key)
{
	struct kb_config *cfg = load_ok(
		"connections { c {\n"
		"  remote_addrs = 192.0.2.9\n"
		"  children {\n"
		"    net {\n"
		"      local_ts = 10.1.0.0/16, 10.2.0.0/16[tcp/80]\n"
		"      remote_ts = dynamic[udp/53], fec0::/64\n"
		"      esp_proposals = aes128gcm16-x25519-esn, aes256-sha512\n"
		"      mode = transport\n"
		"      start_action = trap|start\n"
		"      close_action = restart\n"
		"      dpd_action = trap\n"
		"      rekey_time = 30m\n"
		"      life_time = 40m\n"
		"      rand_time = 2m\n"
		"      rekey_bytes = 512M\n"
		"      life_bytes = 1G\n"
		"      rand_bytes = 1M\n"
		"      rekey_packets = 1000k\n"
		"      life_packets = 2M\n"
		"      rand_packets = 100\n"
		"      replay_window = 1024\n"
		"      inactivity = 5m\n"
		"    }\n"
		"    pass { mode = pass\n start_action = trap\n"
		"           close_action = clear\n dpd_action = none }\n"
		"    drop { mode = drop\n close_action = none\n"
		"           dpd_action = start\n start_action = none }\n"
		"    both { start_action = start|trap\n close_action = trap\n"
		"           dpd_action = clear\n start_action = route }\n"
		"  }\n"
		"} }\n");
	const struct kb_conn *c = &cfg->conns[0];
	const struct kb_child *n = config_child(c, "net");

	REQUIRE(n != NULL);
	CHECK_EQ(c->n_children, 4);
	CHECK_EQ(n->n_local_ts, 2);
	CHECK_EQ(n->local_ts[1].proto, 6);
	CHECK_EQ(n->local_ts[1].port_from, 80);
	CHECK_EQ(n->n_remote_ts, 2);
	CHECK(n->remote_ts[0].dynamic);
	CHECK_EQ(n->remote_ts[0].port_to, 53);
	CHECK_EQ(n->remote_ts[1].family, AF_INET6);
	CHECK_EQ(n->esp_proposals.count, 2);
	CHECK_EQ(n->esp_proposals.p[0].ke[0], KE_CURVE25519);
	CHECK_EQ(n->esp_proposals.p[0].esn[0], ESN_YES);
	CHECK_EQ(n->esp_proposals.p[1].integ[0], AUTH_HMAC_SHA2_512_256);
	CHECK_EQ(n->mode, KB_MODE_TRANSPORT);
	CHECK_EQ(n->start_action, KB_START_TRAP | KB_START_START);
	CHECK_EQ(n->close_action, KB_ACTION_START);
	CHECK_EQ(n->dpd_action, KB_ACTION_TRAP);
	CHECK_EQ(n->rekey_time, 1800);
	CHECK_EQ(n->life_time, 2400);
	CHECK_EQ(n->rand_time, 120);
	CHECK_EQ(n->rekey_bytes, 512ULL << 20);
	CHECK_EQ(n->life_bytes, 1ULL << 30);
	CHECK_EQ(n->rand_bytes, 1 << 20);
	CHECK_EQ(n->rekey_packets, 1000 * 1024);
	CHECK_EQ(n->life_packets, 2 << 20);
	CHECK_EQ(n->rand_packets, 100);
	CHECK_EQ(n->replay_window, 1024);
	CHECK_EQ(n->inactivity, 300);
	n = config_child(c, "pass");
	CHECK_EQ(n->mode, KB_MODE_PASS);
	CHECK_EQ(n->start_action, KB_START_TRAP);
	CHECK_EQ(n->close_action, KB_ACTION_NONE);
	n = config_child(c, "drop");
	CHECK_EQ(n->mode, KB_MODE_DROP);
	CHECK_EQ(n->dpd_action, KB_ACTION_START);
	CHECK_EQ(n->start_action, KB_START_NONE);
	n = config_child(c, "both");
	CHECK_EQ(n->start_action, KB_START_TRAP); /* last value wins */
	CHECK_EQ(n->close_action, KB_ACTION_TRAP);
	config_free(cfg);

	/* volume lifetimes derived like the time ones */
	cfg = load_ok("connections { c { children { x {\n"
		      "  rekey_bytes = 1000\n rekey_packets = 100\n"
		      "  rekey_time = 0\n } } } }\n");
	n = &cfg->conns[0].children[0];
	CHECK_EQ(n->life_bytes, 1100);
	CHECK_EQ(n->rand_bytes, 100);
	CHECK_EQ(n->life_packets, 110);
	CHECK_EQ(n->rand_packets, 10);
	CHECK_EQ(n->life_time, 0);
	config_free(cfg);
}

TEST(conf_model_auth_rounds_and_files)
{
	char *dir = cu_tmpdir(), text[2048], path[1024];
	struct conf_diag d = { 0 };
	struct kb_config *cfg;
	const struct kb_conn *c;

	cu_write(dir, "x509/moonCert.pem", "cert");
	cu_write(dir, "x509/other.pem", "cert");
	cu_write(dir, "x509ca/caCert.pem", "ca");
	cu_write(dir, "pubkey/peer.pub", "key");
	cu_write(dir, "private/moonKey.pem", "key");
	snprintf(text, sizeof(text),
		 "connections { c {\n"
		 "  local { auth = pubkey\n certs = moonCert.pem, "
		 "%s/x509/other.pem\n"
		 "    pubkeys = peer.pub\n id = @moon }\n"
		 "  remote { auth = rsa-2048-sha256\n cacerts = caCert.pem\n"
		 "    certs = other.pem\n pubkeys = peer.pub\n"
		 "    id = 192.0.2.1 }\n"
		 "} }\n"
		 "secrets { private-moon { file = moonKey.pem\n"
		 "  secret = \"pass phrase\" } }\n",
		 dir);
	cfg = cu_load_in(dir, text, &d);
	REQUIRE(cfg != NULL);
	cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	c = &cfg->conns[0];
	CHECK_EQ(c->local.auth, KB_AUTH_PUBKEY);
	CHECK_EQ(c->local.n_certs, 2);
	snprintf(path, sizeof(path), "%s/x509/moonCert.pem", dir);
	CHECK_STR(c->local.certs[0], path);
	snprintf(path, sizeof(path), "%s/x509/other.pem", dir);
	CHECK_STR(c->local.certs[1], path);
	CHECK_EQ(c->local.n_pubkeys, 1);
	CHECK_EQ(c->local.id_type, ID_FQDN);
	CHECK_EQ(c->remote.auth, KB_AUTH_RSA);
	CHECK_EQ(c->remote.key_bits, 2048);
	CHECK_EQ(c->remote.hashes[0], HASH_SHA2_256);
	CHECK_EQ(c->remote.n_cacerts, 1);
	snprintf(path, sizeof(path), "%s/x509ca/caCert.pem", dir);
	CHECK_STR(c->remote.cacerts[0], path);
	CHECK_EQ(c->remote.id_type, ID_IPV4_ADDR);
	CHECK_EQ(cfg->n_private_secrets, 1);
	snprintf(path, sizeof(path), "%s/private/moonKey.pem", dir);
	CHECK_STR(cfg->private_secrets[0].file, path);
	CHECK_EQ(cfg->private_secrets[0].secret_len, 11);
	config_free(cfg);
	conf_diag_free(&d);

	/* a missing file is reported with where it was looked for */
	cfg = cu_load_in(dir,
			 "connections { c { remote {\n"
			 "  cacerts = caCert.pem, missing.pem } } }\n",
			 &d);
	snprintf(path, sizeof(path),
		 "%s/test.conf:2: connections.c.remote.cacerts: cannot read "
		 "'%s/x509ca/missing.pem': No such file or directory",
		 dir, dir);
	CU_HAS(&d, path);
	CHECK_EQ(conf_diag_errors(&d), 1);
	config_free(cfg);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

TEST(conf_model_secrets)
{
	struct kb_config *cfg = load_ok(
		"secrets {\n"
		"  ike-moon { id = moon.example.org\n"
		"    secret = 0x0102030405060708 }\n"
		"  ike-2 { id-1 = 192.0.2.1\n id-sun = sun@example.org\n"
		"    id2 = @sun\n secret = 0sc2VjcmV0 }\n"
		"  ike { secret = \"plain text with spaces\" }\n"
		"  private-a { file = /dev/null }\n"
		"}\n");

	CHECK_EQ(cfg->n_ike_secrets, 3);
	CHECK_STR(cfg->ike_secrets[0].name, "ike-moon");
	CHECK_EQ(cfg->ike_secrets[0].n_ids, 1);
	CHECK_EQ(cfg->ike_secrets[0].secret_len, 8);
	CHECK_MEM(cfg->ike_secrets[0].secret,
		  "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	CHECK_EQ(cfg->ike_secrets[1].n_ids, 3);
	CHECK_STR(cfg->ike_secrets[1].ids[1], "sun@example.org");
	CHECK_STR(cfg->ike_secrets[1].ids[2], "@sun");
	CHECK_MEM(cfg->ike_secrets[1].secret, "secret", 6);
	CHECK_EQ(cfg->ike_secrets[2].n_ids, 0);
	CHECK_EQ(cfg->ike_secrets[2].secret_len, 22);
	CHECK_EQ(cfg->n_private_secrets, 1);
	CHECK_STR(cfg->private_secrets[0].file, "/dev/null");
	config_free(cfg);

	ONE_ERROR("secrets { ike-x { id = a } }\n",
		  F ":1: secrets.ike-x: has no 'secret'");
	ONE_ERROR("secrets { ike-x {\n secret = 0xabc } }\n",
		  F ":2: secrets.ike-x.secret: not a secret: use text, "
		    "0x<hex> or 0s<base64> (limit 256 bytes)");
	ONE_ERROR("secrets { ike-x { secret = s\n user = a } }\n",
		  F ":2: secrets.ike-x.user: unknown key");
	ONE_ERROR("secrets { private-k { secret = s } }\n",
		  F ":1: secrets.private-k: has no 'file'");
	ONE_ERROR("secrets { eap-carol { secret = s } }\n",
		  F ":1: secrets.eap-carol: has no 'id' (the EAP user the "
		    "password belongs to)");
	ONE_ERROR("secrets { xauth-carol { secret = s } }\n",
		  F ":1: secrets.xauth-carol: not supported by keybridge (ike, "
		    "eap, private, rsa, ecdsa, pkcs8 and pkcs12 secrets are)");
	ONE_ERROR("secrets { foo { secret = s } }\n",
		  F ":1: secrets.foo: unknown kind of secret (ike, eap, "
		    "private, rsa, ecdsa, pkcs8 or pkcs12<suffix>)");
	ONE_ERROR("secrets { rsa-k {\n file = nothere.pem } }\n",
		  F ":2: secrets.rsa-k.file: cannot read "
		    "'/nonexistent/rsa/nothere.pem': No such file or "
		    "directory");
	ONE_ERROR("secrets { pkcs12-k {\n file = a.p12 } }\n",
		  F ":2: secrets.pkcs12-k.file: cannot read "
		    "'/nonexistent/pkcs12/a.p12': No such file or directory");
	ONE_ERROR("secrets {\n secret = s\n}\n",
		  F ":2: secrets.secret: unknown key");
}

TEST(conf_model_bad_values_name_file_line_key)
{
	ONE_ERROR("connections {\n c {\n  version = 1\n } }\n",
		  F ":3: connections.c.version: IKEv1 is not supported by "
		    "keybridge (use 0 or 2)");
	ONE_ERROR("connections { c {\n version = 3 } }\n",
		  F ":2: connections.c.version: expected 0 (any) or 2, not "
		    "'3'");
	ONE_ERROR("connections { c {\n local_addrs = 10.0.0.300 } }\n",
		  F ":2: connections.c.local_addrs: '10.0.0.300' is not an "
		    "address, CIDR subnet, range, %any or DNS name");
	ONE_ERROR("connections { c {\n remote_addrs = 10.0.0.1,, x } }\n",
		  F ":2: connections.c.remote_addrs: empty entry in the list");
	ONE_ERROR("connections { c {\n local_port = 0 } }\n",
		  F ":2: connections.c.local_port: expected a UDP port "
		    "1-65535, not '0'");
	ONE_ERROR("connections { c {\n remote_port = 70000 } }\n",
		  F ":2: connections.c.remote_port: expected a UDP port "
		    "1-65535, not '70000'");
	ONE_ERROR("connections { c {\n proposals = aes128-sha256-modp1024 } "
		  "}\n",
		  F ":2: connections.c.proposals: algorithm 'modp1024' in "
		    "proposal 'aes128-sha256-modp1024' is not supported by "
		    "keybridge");
	ONE_ERROR("connections { c {\n dpd_delay = 30 sec } }\n",
		  F ":2: connections.c.dpd_delay: expected a duration such as "
		    "90, 30s, 5m, 1h or 2d, not '30 sec' ");
	ONE_ERROR("connections { c {\n rekey_time = 1w } }\n",
		  F ":2: connections.c.rekey_time: expected a duration such "
		    "as 90, 30s, 5m, 1h or 2d, not '1w' ");
	ONE_ERROR("connections { c {\n keyingtries = many } }\n",
		  F ":2: connections.c.keyingtries: expected a number "
		    "0-4294967295, not 'many'");
	ONE_ERROR("connections { c {\n unique = always } }\n",
		  F ":2: connections.c.unique: expected one of no, never, "
		    "keep, replace, not 'always'");
	ONE_ERROR("connections { c {\n encap = maybe } }\n",
		  F ":2: connections.c.encap: expected yes or no, not 'maybe'");
	ONE_ERROR("connections { c {\n mobike = often } }\n", F
		  ":2: connections.c.mobike: expected yes or no, not 'often'");
	ONE_ERROR("connections { c {\n fragmentation = sometimes } }\n",
		  F ":2: connections.c.fragmentation: expected one of yes, no, "
		    "accept, force, not 'sometimes'");
	ONE_ERROR("connections { c {\n rekey_time = 1h\n rand_time = 2h } }\n",
		  F ":1: connections.c: rand_time must be smaller than "
		    "rekey_time and reauth_time");
}

TEST(conf_model_bad_child_and_round_values)
{
#define C(body) "connections { c { children { n {\n" body " } } } }\n"
#define K(key)	F ":2: connections.c.children.n." key
	ONE_ERROR(C("local_ts = 10.0.0.0/24[tcp/99999]"),
		  K("local_ts") ": '10.0.0.0/24[tcp/99999]' is not a traffic "
				"selector (dynamic, address, CIDR subnet or "
				"range, optionally [proto/port])");
	ONE_ERROR(C("remote_ts = example.org"),
		  K("remote_ts") ": 'example.org' is not a traffic selector "
				 "(dynamic, address, CIDR subnet or range, "
				 "optionally [proto/port])");
	ONE_ERROR(C("esp_proposals = aes128gcm16-prfsha256"),
		  K("esp_proposals") ": proposal 'aes128gcm16-prfsha256' has "
				     "a PRF, which ESP proposals do not take");
	ONE_ERROR(C("mode = beet"),
		  K("mode") ": expected one of tunnel, transport, pass, drop, "
			    "not 'beet'");
	ONE_ERROR(C("start_action = restart"),
		  K("start_action") ": expected none, trap, start or "
				    "trap|start, not 'restart'");
	ONE_ERROR(C("start_action = trap|"),
		  K("start_action") ": expected none, trap, start or "
				    "trap|start, not 'trap|'");
	ONE_ERROR(C("close_action = hold"),
		  K("close_action") ": expected one of none, clear, trap, "
				    "route, start, restart, not 'hold'");
	ONE_ERROR(C("dpd_action = hold"),
		  K("dpd_action") ": expected one of none, clear, trap, route, "
				  "start, restart, not 'hold'");
	ONE_ERROR(C("life_time = forever"),
		  K("life_time") ": expected a duration such as 90, 30s, 5m, "
				 "1h or 2d, not 'forever' ");
	ONE_ERROR(C("rekey_bytes = 1T"),
		  K("rekey_bytes") ": expected a count such as 1000, 64k, "
				   "512M or 1G, not '1T' ");
	ONE_ERROR(C("life_packets = 99999999999999999999"),
		  K("life_packets") ": expected a count such as 1000, 64k, "
				    "512M or 1G, not '99999999999999999999' "
				    "out of range");
	ONE_ERROR(C("replay_window = -1"),
		  K("replay_window") ": expected a number 0-4294967295, not "
				     "'-1'");
	ONE_ERROR("connections { c { children { n {\n"
		  " rekey_time = 1h\n life_time = 30m } } } }\n",
		  F ":1: connections.c.children.n: life_time (1800) must be "
		    "greater than rekey_time (3600)");
	ONE_ERROR("connections { c { children { n {\n"
		  " rekey_bytes = 1M\n rand_bytes = 2M } } } }\n",
		  F ":1: connections.c.children.n: rand_bytes (2097152) must "
		    "be smaller than rekey_bytes (1048576)");
#undef C
#undef K
	ONE_ERROR("connections { c { local {\n auth = eap-md5 } } }\n",
		  F ":2: connections.c.local.auth: 'eap-md5' is not "
		    "supported by keybridge (of EAP methods it has "
		    "eap-mschapv2)");
	ONE_ERROR("connections { c { local {\n auth = ecdsa-255 } } }\n",
		  F ":2: connections.c.local.auth: 'ecdsa-255' is not an "
		    "authentication method keybridge knows (psk, pubkey, rsa, "
		    "rsa/pss, ecdsa, ed25519, optionally with a key size and "
		    "hashes, e.g. rsa/pss-2048-sha256)");
	ONE_ERROR("connections { c { local {\n auth = psk-sha256 } } }\n",
		  F ":2: connections.c.local.auth: 'psk-sha256' is not an "
		    "authentication method keybridge knows (psk, pubkey, rsa, "
		    "rsa/pss, ecdsa, ed25519, optionally with a key size and "
		    "hashes, e.g. rsa/pss-2048-sha256)");
	ONE_ERROR("connections { c { local {\n cacerts = x.pem } } }\n",
		  F ":2: connections.c.local.cacerts: unknown key");
	ONE_ERROR("connections { c { remote {\n id = fqdn: } } }\n",
		  F ":2: connections.c.remote.id: 'fqdn:' is not an identity");
	ONE_ERROR("connections {\n c {\n remote_addrs = %any\n"
		  " children { n { start_action = start } } } }\n",
		  F ":2: connections.c: child 'n' has start_action = start "
		    "but remote_addrs names no address or DNS name to "
		    "initiate to");
}

/* updown = PATH [ARGS]: the program must be there and executable when the
 * configuration is read, so that a check finds it before a tunnel does. */
TEST(conf_model_updown_names_a_program_that_runs)
{
	struct kb_config *cfg = load_ok("connections { c { children { n {\n"
					"  updown = /bin/true iptables x\n"
					"  hostaccess = yes } } } }\n");

	CHECK_STR(cfg->conns[0].children[0].updown, "/bin/true iptables x");
	CHECK(cfg->conns[0].children[0].hostaccess);
	config_free(cfg);
	ONE_ERROR("connections { c { children { n {\n updown = /nonexistent/x "
		  "up } } } }\n",
		  F ":2: connections.c.children.n.updown: cannot execute "
		    "'/nonexistent/x': No such file or directory");
	ONE_ERROR("connections { c { children { n {\n updown = /etc/passwd "
		  "} } } }\n",
		  F ":2: connections.c.children.n.updown: cannot execute "
		    "'/etc/passwd': Permission denied");
	ONE_ERROR("connections { c { children { n {\n updown = ipsec _updown "
		  "} } } }\n",
		  F ":2: connections.c.children.n.updown: 'ipsec' is not an "
		    "absolute path to a program");
}

TEST(conf_model_unknown_keys_and_sections_are_errors)
{
	ONE_ERROR("connections { c {\n rekey_tme = 1h } }\n",
		  F ":2: connections.c.rekey_tme: unknown key");
	ONE_ERROR("connections { c {\n ppk_id = x } }\n",
		  F ":2: connections.c.ppk_id: not supported by keybridge");
	ONE_ERROR("connections { c { children { n {\n set_mark_in = 42 } } "
		  "} }\n",
		  F ":2: connections.c.children.n.set_mark_in: not supported "
		    "by keybridge");
	/* strongSwan 6.0's keys and ways to authenticate are known too */
	ONE_ERROR("connections { c { children { n {\n icmp = yes } } } }\n",
		  F ":2: connections.c.children.n.icmp: not supported by "
		    "keybridge");
	ONE_ERROR("connections { c { local {\n auth = ed448 } } }\n",
		  F ":2: connections.c.local.auth: 'ed448' is not supported "
		    "by keybridge");
	ONE_ERROR("connections { c { local {\n auth = ike:rsa/pss } } }\n",
		  F ":2: connections.c.local.auth: 'ike:rsa/pss' is not "
		    "supported by keybridge");
	/* defined by strongSwan, but in another section: unknown here */
	ONE_ERROR("connections { c {\n mark_in = 42 } }\n",
		  F ":2: connections.c.mark_in: unknown key");
	ONE_ERROR("connections { c {\n local_addrs6 = ::1 } }\n",
		  F ":2: connections.c.local_addrs6: unknown key");
	ONE_ERROR("connections { c { remote {\n cacert-1 { file = x } } } }\n",
		  F ":2: connections.c.remote.cacert-1: certificate sections "
		    "are not supported by keybridge (use certs/cacerts)");
	ONE_ERROR("connections { c {\n local-2 { auth = psk } } }\n",
		  F ":2: connections.c.local-2: multiple authentication rounds "
		    "(RFC 4739) are not supported by keybridge; use 'local' "
		    "and 'remote'");
	ONE_ERROR("connections { c { local {\n cert-1 { file = x } } } }\n",
		  F ":2: connections.c.local.cert-1: certificate sections are "
		    "not supported by keybridge (use certs/cacerts)");
	ONE_ERROR("connections { c {\n other { } } }\n",
		  F ":2: connections.c.other: unknown section");
	ONE_ERROR("connections { c { children {\n mode = tunnel } } }\n",
		  F ":2: connections.c.children.mode: unknown key");
	ONE_ERROR("connections { c { children { n {\n sub { } } } } }\n",
		  F ":2: connections.c.children.n.sub: unknown section");
	ONE_ERROR("connections {\n version = 2 }\n",
		  F ":2: connections.version: unknown key");
	ONE_ERROR("authorities { ca {\n file = /dev/null\n module = p11 } }\n",
		  F ":3: authorities.ca.module: not supported by keybridge");
	ONE_ERROR("\nconnection { }\n", F ":2: connection: unknown section");
	ONE_ERROR("charondebug = all\n", F ":1: charondebug: unknown key");
	/* an empty assignment restores the default, as in strongSwan */
	struct kb_config *cfg = load_ok("connections { c {\n"
					"  rekey_time = 1h\n rekey_time =\n"
					"  proposals =\n } }\n");

	CHECK_EQ(cfg->conns[0].rekey_time, 14400);
	CHECK_EQ(cfg->conns[0].proposals.count, 2);
	config_free(cfg);
}

TEST(conf_model_reports_every_error_of_a_file)
{
	struct conf_diag d = { 0 };
	struct kb_config *cfg = cu_load("connections {\n"	    /* 1 */
					"  a {\n"		    /* 2 */
					"    version = 1\n"	    /* 3 */
					"    bogus = 1\n"	    /* 4 */
					"    children {\n"	    /* 5 */
					"      x { mode = beet }\n" /* 6 */
					"    }\n"		    /* 7 */
					"  }\n"			    /* 8 */
					"  b {\n"		    /* 9 */
					"    oops\n"		    /* 10 */
					"    mobike = often\n"	    /* 11 */
					"  }\n"			    /* 12 */
					"}\n",			    /* 13 */
					&d);

	CU_HAS(&d, F ":3: connections.a.version: IKEv1 is not supported by "
		     "keybridge (use 0 or 2)");
	CU_HAS(&d, F ":4: connections.a.bogus: unknown key");
	CU_HAS(&d, F ":6: connections.a.children.x.mode: expected one of "
		     "tunnel, transport, pass, drop, not 'beet'");
	CU_HAS(&d, F ":10: connections.b.oops: expected '=' or '{' after "
		     "'oops'");
	CU_HAS(&d, F ":11: connections.b.mobike: expected yes or no, not "
		     "'often'");
	CHECK_EQ(conf_diag_errors(&d), 5);
	/* what was valid is still there */
	REQUIRE(cfg != NULL);
	CHECK_EQ(cfg->n_conns, 2);
	config_free(cfg);
	conf_diag_free(&d);
}

TEST(conf_model_names_are_bounded)
{
	char text[512];

	snprintf(text, sizeof(text), "connections {\n %0*d { }\n}\n", 70, 7);
	struct conf_diag d = { 0 };
	struct kb_config *cfg = cu_load(text, &d);

	CHECK(conf_diag_contains(&d, ": name longer than 63 characters"));
	CHECK_EQ(cfg->n_conns, 0);
	config_free(cfg);
	conf_diag_free(&d);
}

struct doc_check {
	const char *doc;
	size_t n;
	char names[128][96];
};

static void doc_has_key(const char *name, void *arg)
{
	struct doc_check *dc = arg;
	char row[128];

	snprintf(row, sizeof(row), "| `%s` |", name);
	if (!strstr(dc->doc, row))
		test_fail(__FILE__, __LINE__,
			  "doc/configuration.md has no row for %s", name);
	if (dc->n < 128)
		snprintf(dc->names[dc->n++], sizeof(dc->names[0]), "%s", name);
}

/* Every supported key has a row in doc/configuration.md, and every row
 * names a supported key. */
TEST(conf_model_doc_table_lists_every_key)
{
	struct doc_check dc = { 0 };
	FILE *f = fopen(test_src_path("doc/configuration.md"), "r");
	static char doc[1 << 17];
	size_t len;
	const char *p;

	REQUIRE(f != NULL);
	len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[len] = '\0';
	dc.doc = doc;
	config_each_key(doc_has_key, &dc);
	CHECK_GE(dc.n, 40);
	/* the list of strongSwan's keys at the end is checked below */
	if ((p = strstr(doc, "\n## Every swanctl.conf key")))
		doc[p - doc] = '\0';
	for (p = doc; (p = strstr(p, "\n| `")); p++) {
		char name[96];
		const char *end = strchr(p + 4, '`');
		bool known = false;

		if (!end || (size_t)(end - p - 4) >= sizeof(name))
			continue;
		memcpy(name, p + 4, (size_t)(end - p - 4));
		name[end - p - 4] = '\0';
		if (strncmp(name, "connections.", 12) != 0 &&
		    strncmp(name, "secrets.", 8) != 0)
			continue;
		for (size_t i = 0; i < dc.n; i++)
			known |= strcmp(dc.names[i], name) == 0;
		if (!known)
			test_fail(__FILE__, __LINE__,
				  "doc/configuration.md documents %s, which "
				  "keybridge does not accept",
				  name);
	}
}

static void doc_has_status(const char *name, bool supported, void *arg)
{
	const char *doc = arg;
	char row[160];

	snprintf(row, sizeof(row), "\n| `%s` | %s", name,
		 supported ? "yes" : "no: not supported by keybridge");
	if (!strstr(doc, row))
		test_fail(__FILE__, __LINE__,
			  "doc/configuration.md: no row \"%s\"", row + 1);
}

/* doc/configuration.md lists every key of strongSwan's swanctl.conf with
 * what keybridge does with it, as config.c decides. */
TEST(conf_model_doc_lists_every_swanctl_key)
{
	FILE *f = fopen(test_src_path("doc/configuration.md"), "r");
	static char doc[1 << 17];
	const char *list;
	size_t len;

	REQUIRE(f != NULL);
	len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[len] = '\0';
	list = strstr(doc, "\n## Every swanctl.conf key");
	REQUIRE(list != NULL);
	config_each_swanctl_key(doc_has_status, (void *)list);
}

/* A quoted value can hold any byte; echoed in an error it must not
 * forge more lines in a log or terminal. */
TEST(conf_model_errors_stay_on_one_line)
{
	ONE_ERROR("connections { c {\n"
		  " version = \"1\\n/etc/x.conf:1: forged\x1b[2J\" } }\n",
		  F ":2: connections.c.version: expected 0 (any) or 2, not "
		    "'1?/etc/x.conf:1: forged?[2J'");
}

/* Writes the swanctl.conf text that sets the documented key `name`
 * (connections.<conn>.local.auth ...) to `value` on line `line`, and the
 * dotted key an error must name. */
static void key_text(const char *name, const char *value, int line, char *text,
		     size_t tlen, char *dotted, size_t dlen)
{
	char buf[256], *save = NULL, *tok, *next;
	size_t off = 0, doff = 0;
	int depth = 0;

	snprintf(buf, sizeof(buf), "%s", name);
	for (int i = 1; i < line; i++)
		off += (size_t)snprintf(text + off, tlen - off, "\n");
	tok = strtok_r(buf, ".", &save);
	while (tok) {
		char *suffix = strstr(tok, "<suffix>");
		const char *part = strcmp(tok, "<conn>") == 0	    ? "c"
				   : strcmp(tok, "<child>") == 0    ? "n"
				   : strcmp(tok, "id<suffix>") == 0 ? "id-1"
								    : tok;

		if (suffix && part == tok) /* ike<suffix>: ike-x */
			strcpy(suffix, "-x");

		doff += (size_t)snprintf(dotted + doff, dlen - doff, "%s%s",
					 doff ? "." : "", part);
		next = strtok_r(NULL, ".", &save);
		if (next) {
			off += (size_t)snprintf(text + off, tlen - off, "%s { ",
						part);
			depth++;
		} else {
			off += (size_t)snprintf(text + off, tlen - off,
						"%s = %s\n", part, value);
		}
		tok = next;
	}
	while (depth-- > 0)
		off += (size_t)snprintf(text + off, tlen - off, "}");
	off += (size_t)snprintf(text + off, tlen - off, "\n");
}

static void bad_value_named(const char *name, void *arg)
{
	char text[1024], dotted[256], want[512];
	struct conf_diag d = { 0 };
	struct kb_config *cfg;

	/* identities and secrets are free text in swanctl.conf */
	if (strstr(name, ".id") || strstr(name, ".secret"))
		return;
	(*(int *)arg)++;
	key_text(name, "\"%bad value%\"", 7, text, sizeof(text), dotted,
		 sizeof(dotted));
	cfg = cu_load(text, &d);
	snprintf(want, sizeof(want), F ":7: %s: ", dotted);
	if (!conf_diag_contains(&d, want)) {
		cu_show(&d);
		test_fail(__FILE__, __LINE__, "%s: no error naming %s", name,
			  want);
	}
	config_free(cfg);
	conf_diag_free(&d);
}

/* Every supported key refuses a bad value with file:line: key. */
TEST(conf_model_every_key_refuses_a_bad_value)
{
	int tested = 0;

	config_each_key(bad_value_named, &tested);
	CHECK_EQ(tested, 69);
}

/* pools { } and the connection keys pools and vips (RFC 7296 §3.15):
 * values as written, CIDR pools without network and broadcast address,
 * and each bad value refused with file:line. */
TEST(conf_model_pools_and_vips)
{
	struct kb_config *cfg = load_ok(
		"pools {\n"
		" rw { addrs = 10.3.0.0/24\n dns = 10.3.0.53, 2001:db8::53\n"
		"      subnet = 10.1.0.0/16 }\n"
		" rw6 { addrs = fd00::/120 }\n"
		" few { addrs = 10.4.0.10-10.4.0.12 }\n"
		"}\n"
		"connections { gw { pools = rw, rw6 }\n"
		" rw { vips = 0.0.0.0, ::\n remote_addrs = 192.0.2.1 } }\n");
	const struct kb_pool *p;
	const struct kb_conn *c;
	char s[64];

	REQUIRE(cfg != NULL);
	REQUIRE_EQ(cfg->n_pools, 3);
	REQUIRE((p = config_pool(cfg, "rw")) != NULL);
	CHECK_EQ(p->family, AF_INET);
	inet_ntop(AF_INET, p->first, s, sizeof(s));
	CHECK_STR(s, "10.3.0.1");
	inet_ntop(AF_INET, p->last, s, sizeof(s));
	CHECK_STR(s, "10.3.0.254");
	REQUIRE_EQ(p->n_dns, 2);
	CHECK_EQ(p->dns[1].family, AF_INET6);
	REQUIRE_EQ(p->n_subnets, 1);
	CHECK_EQ(p->subnets[0].prefix, 16);
	REQUIRE((p = config_pool(cfg, "rw6")) != NULL);
	inet_ntop(AF_INET6, p->first, s, sizeof(s));
	CHECK_STR(s, "fd00::1");
	inet_ntop(AF_INET6, p->last, s, sizeof(s));
	CHECK_STR(s, "fd00::ff"); /* no broadcast in IPv6 */
	REQUIRE((p = config_pool(cfg, "few")) != NULL);
	inet_ntop(AF_INET, p->first, s, sizeof(s));
	CHECK_STR(s, "10.4.0.10");
	REQUIRE((c = config_conn(cfg, "gw")) != NULL);
	REQUIRE_EQ(c->n_pools, 2);
	CHECK_STR(c->pools[1], "rw6");
	REQUIRE((c = config_conn(cfg, "rw")) != NULL);
	REQUIRE_EQ(c->n_vips, 2);
	CHECK_EQ(c->vips[0].family, AF_INET);
	CHECK_EQ(c->vips[1].family, AF_INET6);
	config_free(cfg);

	ONE_ERROR("pools { p {\n addrs = 10.3.0.0/33 } }\n",
		  F ":2: pools.p.addrs: '10.3.0.0/33' is not a CIDR subnet or "
		    "an address range from-to");
	ONE_ERROR("pools { p {\n addrs = 10.3.0.9-10.3.0.1 } }\n",
		  F ":2: pools.p.addrs: '10.3.0.9-10.3.0.1' is not a CIDR "
		    "subnet or an address range from-to");
	ONE_ERROR("pools { p {\n addrs = 10.3.0.0/24\n dns = 10.3.0.0/24 } "
		  "}\n",
		  F ":3: pools.p.dns: '10.3.0.0/24' is not an IP address");
	ONE_ERROR("pools { p {\n addrs = 10.3.0.0/24\n netmask = "
		  "255.255.255.0 } }\n",
		  F
		  ":3: pools.p.netmask: not supported by keybridge (addrs, dns "
		  "and subnet are)");
	ONE_ERROR("pools { p {\n addrs = 10.3.0.0/24\n colour = red } }\n",
		  F ":3: pools.p.colour: unknown key");
	ONE_ERROR("pools {\n p { dns = 10.0.0.1 } }\n",
		  F ":2: pools.p: has no 'addrs'");
	ONE_ERROR("pools { p { addrs = 10.3.0.0/24 }\n q { addrs = "
		  "10.3.0.200-10.3.1.5 } }\n",
		  F
		  ":2: pools.q: overlaps pool 'p' (pools must be disjoint: one "
		  "address, one lease)");
	ONE_ERROR("connections { c {\n pools = nope } }\n",
		  F ":2: connections.c.pools: no pool 'nope' in the pools "
		    "section (or it has errors)");
	ONE_ERROR("connections { c {\n vips = 0.0.0.0, 10.1.1.1 } }\n",
		  F ":2: connections.c.vips: more than one IPv4 address: "
		    "keybridge asks for one per family");
	ONE_ERROR(
		"connections { c {\n vips = %any } }\n", F
		":2: connections.c.vips: '%any' is not an IP address (0.0.0.0 "
		"or :: ask for any)");
}
