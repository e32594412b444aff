/* Credentials from swanctl's directories (daemon/io/creds.c) as
 * connections use them (conns.c): a swanctl directory laid out as
 * strongSwan's users lay it out, made with openssl, and each bad input
 * named with its file and reason while everything else loads. */
#include "crypto/auth.h"
#include "crypto/crypto.h"
#include "io/conns.h"
#include "tests/cert_util.h"
#include "tests/conf_util.h"
#include "tests/test.h"

#include <time.h>

/* A CA, certificates for moon (DER in x509/, its key an encrypted PKCS#8
 * in private/) and sun (PEM, its key a traditional EC key in ecdsa/), and
 * carol's key and certificate in a PKCS#12 file. */
static char *make_swanctl_dir(void)
{
	char *dir = cu_tmpdir(), cmd[4096];

	snprintf(
		cmd, sizeof(cmd),
		"set -e; cd %s; mkdir x509 x509ca private ecdsa pkcs8 pkcs12 "
		"tmp; "
		"exec 2>/dev/null; "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -keyout tmp/ca.key -out x509ca/ca.pem "
		"-subj '/CN=Test CA' -days 30; "
		"for n in moon sun carol; do "
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -keyout tmp/$n.key -out tmp/$n.csr "
		"-subj /CN=$n.example.org; "
		"printf 'subjectAltName=DNS:%%s.example.org\\n' $n > "
		"tmp/$n.ext; "
		"openssl x509 -req -in tmp/$n.csr -CA x509ca/ca.pem "
		"-CAkey tmp/ca.key -CAcreateserial -CAserial tmp/ca.srl "
		"-out tmp/$n.pem -days 30 "
		"-extfile tmp/$n.ext; done; "
		"openssl x509 -in tmp/moon.pem -outform DER -out "
		"x509/moon.der; "
		"openssl pkcs8 -topk8 -in tmp/moon.key -v2 aes256 "
		"-passout pass:moonpass -out private/moon.pem; "
		"cp tmp/sun.pem x509/sun.pem; "
		"openssl ec -in tmp/sun.key -out ecdsa/sun.pem; "
		"openssl pkcs12 -export -in tmp/carol.pem -inkey tmp/carol.key "
		"-passout pass:carolpass -out pkcs12/carol.p12",
		dir);
	REQUIRE(system(cmd) == 0 ||
		(test_fail(__FILE__, __LINE__, "openssl failed"), 0));
	return dir;
}

static const char secrets[] =
	"secrets {\n"
	"  private-moon { file = moon.pem\n secret = moonpass }\n"
	"  pkcs12-carol { file = carol.p12\n secret = carolpass }\n"
	"}\n";

/* A connection for `me` that names no file: its certificate is found by
 * its identity, the peer's CA is the one of x509ca/. */
static void conn_text(char *buf, size_t len, const char *name, const char *me)
{
	snprintf(buf, len,
		 "  %s {\n"
		 "    remote_addrs = 192.0.2.2\n"
		 "    local { auth = pubkey\n id = %s.example.org }\n"
		 "    remote { auth = pubkey\n id = peer.example.org }\n"
		 "    children { net { remote_ts = 10.2.0.0/16 } }\n"
		 "  }\n",
		 name, me);
}

/* Loads swanctl.conf of `dir` with connections for each of `who`
 * (NULL-terminated) plus `extra` (a secrets section or NULL). */
static int load_build(const char *dir, const char *const *who,
		      const char *extra, struct conns *out,
		      struct conf_diag *diag)
{
	char text[8192], path[1024];
	size_t off = 0;
	struct kb_config *cfg;
	int r;

	off += (size_t)snprintf(text, sizeof(text), "connections {\n");
	for (; *who; who++) {
		char name[32];

		snprintf(name, sizeof(name), "c-%s", *who);
		conn_text(text + off, sizeof(text) - off, name, *who);
		off = strlen(text);
	}
	snprintf(text + off, sizeof(text) - off, "}\n%s", extra ? extra : "");
	cu_write(dir, "swanctl.conf", text);
	snprintf(path, sizeof(path), "%s/swanctl.conf", dir);
	cfg = config_load_file(path, diag);
	REQUIRE(cfg != NULL);
	r = conns_build(cfg, NULL, out, diag);
	config_free(cfg);
	return r;
}

static void show(const struct conf_diag *d, const struct conns *c)
{
	cu_show(d);
	for (size_t i = 0; i < c->warnings.count; i++)
		test_note("warning: %s", c->warnings.msgs[i]);
}

/* Contains `a` and then `b` in one message. */
static bool has2(const struct conf_diag *d, const char *a, const char *b)
{
	for (size_t i = 0; i < d->count; i++) {
		const char *p = strstr(d->msgs[i], a);

		if (p && strstr(p, b))
			return true;
	}
	return false;
}

TEST(creds_swanctl_directories_load_as_strongswan_does)
{
	char *dir = make_swanctl_dir();
	static const char *const who[] = { "moon", "sun", "carol", NULL };
	struct conf_diag d = { 0 };
	struct conns c = { 0 };

	REQUIRE_EQ(load_build(dir, who, secrets, &c, &d), 0);
	CHECK_EQ(conf_diag_errors(&d), 0);
	CHECK_EQ(c.n, 3);
	for (size_t i = 0; i < c.n; i++) {
		/* certificate found by identity, key matched by public key,
		 * the CA of x509ca/ trusted for the peer */
		CHECK(c.conn[i].local_auth.cert != NULL);
		CHECK(c.conn[i].local_auth.key != NULL);
		CHECK_EQ(auth_trust_anchors(c.conn[i].remote_auth.trust), 1);
		CHECK(c.conn[i].remote_auth.key == NULL);
	}
	CHECK(!conf_diag_contains(&c.warnings, "no connection uses"));
	if (test_failed())
		show(&d, &c);
	conns_free(&c);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

TEST(creds_bad_files_are_named_and_the_rest_loads)
{
	char *dir = make_swanctl_dir(), cmd[1024];
	static const char *const who[] = { "moon", "sun", "carol", NULL };
	struct conf_diag d = { 0 };
	struct conns c = { 0 };

	/* a key that is not one; a key without a certificate; a
	 * certificate without its key (mars names it) */
	cu_write(dir, "rsa/garbage.pem", "-----BEGIN RSA PRIVATE KEY-----\n");
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl genpkey -algorithm ed25519 -out "
		 "pkcs8/orphan.pem 2>/dev/null && "
		 "openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout tmp/mars.key -out "
		 "x509/mars.pem -subj /CN=mars.example.org -addext "
		 "subjectAltName=DNS:mars.example.org -days 30 2>/dev/null",
		 dir);
	REQUIRE_EQ(system(cmd), 0);
	REQUIRE_EQ(load_build(dir,
			      (const char *const[]){ "moon", "sun", "carol",
						     "mars", NULL },
			      "secrets {\n"
			      "  private-moon { file = moon.pem\n"
			      "    secret = wrong }\n"
			      "}\n",
			      &c, &d),
		   0);
	(void)who;
	CHECK(has2(&d, "/private/moon.pem: ",
		   "wrong passphrase (secrets.private-moon.secret)"));
	CHECK(has2(&d, "/pkcs12/carol.p12: ",
		   "encrypted, and no secrets.pkcs12<suffix> section with "
		   "file = carol.p12 gives its passphrase"));
	CHECK(has2(&d, "/rsa/garbage.pem: ", "not a private key"));
	CHECK(has2(&d, "conn c-mars: local: no private key in private/",
		   "/x509/mars.pem'"));
	CHECK(has2(&d, "conn c-moon: local: no private key", "moon.der"));
	CHECK(has2(&c.warnings,
		   "/pkcs8/orphan.pem: ", "no connection uses this key"));
	/* one cause, one message: nothing about pubkeys or certs */
	CHECK(!conf_diag_contains(&d, "needs certs"));
	/* sun's files are fine: it loads */
	CHECK_EQ(c.n, 1);
	CHECK(c.n == 1 && strcmp(c.conn[0].name, "c-sun") == 0);
	if (test_failed())
		show(&d, &c);
	conns_free(&c);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

/* A swanctl directory with a root CA and another CA in x509ca/, an
 * intermediate CA in x509/ that issued our certificate, and a CRL of the
 * intermediate in x509crl/ (issue 18: loaded; issue 16 bug 7: verified).
 * Connection a names no cacerts and trusts both CAs of x509ca/ (a set,
 * no longer one per connection), b names the other CA in cacerts. */
TEST(creds_several_cas_intermediates_and_crls)
{
	char *dir = cu_tmpdir(), path[1024], text[2048], why[200];
	struct tc root, other, inter, sun, peer, revoked;
	struct conf_diag d = { 0 };
	struct conns c = { 0 };
	struct kb_config *cfg;
	long serial = 66;

	tc_make(&root, &(struct tc_opts){ .cn = "Root CA", .ca = true }, NULL);
	tc_make(&other, &(struct tc_opts){ .cn = "Other CA", .ca = true },
		NULL);
	tc_make(&inter,
		&(struct tc_opts){
			.cn = "Intermediate CA", .ca = true, .serial = 2 },
		&root);
	tc_make(&sun,
		&(struct tc_opts){ .cn = "sun",
				   .san = "DNS:sun.example.org",
				   .serial = 5 },
		&inter);
	tc_make(&peer,
		&(struct tc_opts){ .cn = "peer",
				   .san = "DNS:peer.example.org",
				   .serial = 65 },
		&inter);
	tc_make(&revoked,
		&(struct tc_opts){ .cn = "peer",
				   .san = "DNS:peer.example.org",
				   .serial = 66 },
		&inter);
	cu_write(dir, "x509ca/.keep", "");
	cu_write(dir, "x509/.keep", "");
	cu_write(dir, "x509crl/.keep", "");
	cu_write(dir, "ecdsa/.keep", "");
#define AT(rel) (snprintf(path, sizeof(path), "%s/%s", dir, rel), path)
	tc_write_cert(&root, AT("x509ca/root.pem"), false);
	tc_write_cert(&other, AT("x509ca/other.der"), true);
	tc_write_cert(&inter, AT("x509/inter.pem"), false);
	tc_write_cert(&sun, AT("x509/sun.pem"), false);
	tc_write_key(&sun, AT("ecdsa/sun.pem"));
	tc_write_crl(&inter, &serial, 1, 7, AT("x509crl/inter.crl"));
	cu_write(dir, "x509crl/junk.crl", "not a CRL\n");
	snprintf(text, sizeof(text),
		 "connections {\n"
		 "  a {\n    local { auth = pubkey\n id = sun.example.org }\n"
		 "    remote { auth = pubkey\n id = peer.example.org }\n"
		 "    send_cert = ifasked\n  }\n"
		 "  b {\n    local { auth = pubkey\n id = sun.example.org }\n"
		 "    remote { auth = pubkey\n id = peer.example.org\n"
		 "      cacerts = other.der }\n"
		 "    send_cert = never\n    send_certreq = no\n  }\n}\n");
	cu_write(dir, "swanctl.conf", text);
	cfg = config_load_file(AT("swanctl.conf"), &d);
	REQUIRE(cfg != NULL);
	REQUIRE_EQ(conns_build(cfg, NULL, &c, &d), 0);
	CHECK(has2(&d, "/x509crl/junk.crl: ",
		   "not a certificate revocation list (PEM or DER)"));
	CHECK_EQ(conf_diag_errors(&d), 1);
	REQUIRE_EQ(c.n, 2);
	/* our chain: sun, then the intermediate (not the root) */
	CHECK_EQ(c.conn[0].local_auth.n_chain, 1);
	CHECK_EQ(c.conn[0].send_cert, ENGINE_SEND_CERT_IFASKED);
	CHECK(!c.conn[0].no_certreq);
	CHECK_EQ(c.conn[1].send_cert, ENGINE_SEND_CERT_NEVER);
	CHECK(c.conn[1].no_certreq);
	CHECK_EQ(auth_trust_anchors(c.conn[0].remote_auth.trust), 2);
	CHECK_EQ(auth_trust_anchors(c.conn[1].remote_auth.trust), 1);
	{
		struct auth_cert *pc = tc_cert(&peer), *rc = tc_cert(&revoked);
		int64_t now = (int64_t)time(NULL);

		/* the intermediate of x509/ completes the chain */
		CHECK_EQ(auth_trust_verify(c.conn[0].remote_auth.trust, pc,
					   NULL, 0, now, why, sizeof(why)),
			 0);
		/* the CRL of x509crl/ revokes */
		CHECK_EQ(auth_trust_verify(c.conn[0].remote_auth.trust, rc,
					   NULL, 0, now, why, sizeof(why)),
			 CRYPTO_E_AUTH_FAILED);
		CHECK_STR(why, "certificate revoked");
		/* b trusts the other CA only */
		CHECK_EQ(auth_trust_verify(c.conn[1].remote_auth.trust, pc,
					   NULL, 0, now, why, sizeof(why)),
			 CRYPTO_E_AUTH_FAILED);
		auth_cert_free(pc);
		auth_cert_free(rc);
	}
#undef AT
	if (test_failed())
		show(&d, &c);
	config_free(cfg);
	conns_free(&c);
	conf_diag_free(&d);
	tc_free(&root);
	tc_free(&other);
	tc_free(&inter);
	tc_free(&sun);
	tc_free(&peer);
	tc_free(&revoked);
	cu_rmtree(dir);
}

/* authorities { }: the CA of `file` is trusted as one of x509ca/ and the
 * CRL of crl_uris (a file:// URI) revokes; what keybridge would have to
 * fetch, and strongSwan's keys it does not implement, are refused by
 * name with file:line. */
TEST(creds_authorities_cacert_and_crl_uris)
{
	char *dir = cu_tmpdir(), path[1024], text[8192], why[200];
	char root_path[1024], crl_path[1024];
	struct tc root, inter, sun, peer, revoked;
	struct conf_diag d = { 0 };
	struct conns c = { 0 };
	struct kb_config *cfg;
	long serial = 66;

	tc_make(&root, &(struct tc_opts){ .cn = "Root CA", .ca = true }, NULL);
	tc_make(&inter,
		&(struct tc_opts){
			.cn = "Intermediate CA", .ca = true, .serial = 2 },
		&root);
	tc_make(&sun,
		&(struct tc_opts){ .cn = "sun",
				   .san = "DNS:sun.example.org",
				   .serial = 5 },
		&inter);
	tc_make(&peer,
		&(struct tc_opts){ .cn = "peer",
				   .san = "DNS:peer.example.org",
				   .serial = 65 },
		&inter);
	tc_make(&revoked,
		&(struct tc_opts){ .cn = "peer",
				   .san = "DNS:peer.example.org",
				   .serial = 66 },
		&inter);
	cu_write(dir, "x509/.keep", "");
	cu_write(dir, "ecdsa/.keep", "");
	cu_write(dir, "elsewhere/.keep", "");
#define AT(rel) (snprintf(path, sizeof(path), "%s/%s", dir, rel), path)
	tc_write_cert(&inter, AT("x509/inter.pem"), false);
	tc_write_cert(&sun, AT("x509/sun.pem"), false);
	tc_write_key(&sun, AT("ecdsa/sun.pem"));
	snprintf(root_path, sizeof(root_path), "%s/elsewhere/root.pem", dir);
	snprintf(crl_path, sizeof(crl_path), "%s/elsewhere/inter.crl", dir);
	tc_write_cert(&root, root_path, false);
	tc_write_crl(&inter, &serial, 1, 7, crl_path);
	snprintf(text, sizeof(text),
		 "authorities {\n"
		 "  root {\n    file = %s\n    crl_uris = file://%s\n  }\n"
		 "  fetched {\n    file = %s\n"
		 "    crl_uris = http://crl.example.org/x.crl\n  }\n"
		 "  ocsp {\n    cacert = %s\n"
		 "    ocsp_uris = http://ocsp.example.org\n  }\n"
		 "  missing {\n    cacert = nothere.pem\n  }\n"
		 "}\n"
		 "connections {\n"
		 "  a {\n    local { auth = pubkey\n id = sun.example.org }\n"
		 "    remote { auth = pubkey\n id = peer.example.org }\n  }\n"
		 "}\n",
		 root_path, crl_path, root_path, root_path);
	cu_write(dir, "swanctl.conf", text);
	cfg = config_load_file(AT("swanctl.conf"), &d);
	REQUIRE(cfg != NULL);
	CHECK(has2(&d, "swanctl.conf:8: authorities.fetched.crl_uris: ",
		   "'http://crl.example.org/x.crl' is not supported by "
		   "keybridge: it fetches no CRLs"));
	CHECK(has2(&d, "swanctl.conf:12: authorities.ocsp.ocsp_uris: ",
		   "not supported by keybridge"));
	CHECK(has2(&d, "swanctl.conf:15: authorities.missing.cacert: ",
		   "x509ca/nothere.pem': No such file or directory"));
	CHECK_EQ(conf_diag_errors(&d), 3);
	CHECK_EQ(cfg->n_authorities, 1);
	REQUIRE_EQ(conns_build(cfg, NULL, &c, &d), 0);
	CHECK_EQ(conf_diag_errors(&d), 3);
	REQUIRE_EQ(c.n, 1);
	CHECK_EQ(auth_trust_anchors(c.conn[0].remote_auth.trust), 1);
	{
		struct auth_cert *pc = tc_cert(&peer), *rc = tc_cert(&revoked);
		int64_t now = (int64_t)time(NULL);

		CHECK_EQ(auth_trust_verify(c.conn[0].remote_auth.trust, pc,
					   NULL, 0, now, why, sizeof(why)),
			 0);
		CHECK_EQ(auth_trust_verify(c.conn[0].remote_auth.trust, rc,
					   NULL, 0, now, why, sizeof(why)),
			 CRYPTO_E_AUTH_FAILED);
		CHECK_STR(why, "certificate revoked");
		auth_cert_free(pc);
		auth_cert_free(rc);
	}
#undef AT
	if (test_failed())
		show(&d, &c);
	config_free(cfg);
	conns_free(&c);
	conf_diag_free(&d);
	tc_free(&root);
	tc_free(&inter);
	tc_free(&sun);
	tc_free(&peer);
	tc_free(&revoked);
	cu_rmtree(dir);
}
