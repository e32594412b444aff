/* auth = rsa/pss-sha384, rsa-3072, pubkey-sha512 … (swanctl.conf local.auth
 * and remote.auth) reach the engine as signature rules; a key that cannot
 * keep them is refused at load, naming the connection and the side. */
#include "crypto/auth.h"
#include "io/conns.h"
#include "tests/conf_util.h"

#include "ike_iana.h"

TEST(conf_sig_rules_reach_the_engine)
{
	char *dir = cu_tmpdir(), cmd[1024];
	struct conf_diag d = { 0 };
	struct conns c = { 0 };
	int i;

	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir private pubkey; exec 2>/dev/null; "
		 "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
		 "-out private/moon.pem; "
		 "openssl pkey -in private/moon.pem -pubout -out "
		 "pubkey/moon.pem; "
		 "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
		 "-out sun.pem; openssl pkey -in sun.pem -pubout -out "
		 "pubkey/sun.pem",
		 dir);
	REQUIRE(system(cmd) == 0);
	REQUIRE_EQ(
		cu_build(dir,
			 "connections {\n"
			 "  pss {\n"
			 "    local { auth = rsa/pss-sha384\n"
			 "      pubkeys = moon.pem\n }\n"
			 "    remote { auth = rsa/pss-2048-sha256-sha512\n"
			 "      pubkeys = sun.pem\n }\n"
			 "  }\n"
			 "  big {\n"
			 "    local { auth = rsa\n pubkeys = moon.pem\n }\n"
			 "    remote { auth = rsa/pss-3072\n"
			 "      pubkeys = sun.pem\n }\n"
			 "  }\n"
			 "  ec {\n"
			 "    local { auth = ecdsa\n pubkeys = moon.pem\n }\n"
			 "    remote { auth = pubkey\n pubkeys = sun.pem\n }\n"
			 "  }\n"
			 "}\n",
			 &c, &d),
		0);
	REQUIRE_EQ(c.n, 1u);
	i = conns_find(&c, "pss");
	REQUIRE(i >= 0);
	CHECK_EQ(c.conn[i].local_auth.sig_family, AUTH_SIGF_RSA_PSS);
	CHECK_EQ(c.conn[i].local_auth.sig_hashes, 1u << HASH_SHA2_384);
	CHECK_EQ(c.conn[i].remote_auth.sig_family, AUTH_SIGF_RSA_PSS);
	CHECK_EQ(c.conn[i].remote_auth.sig_min_bits, 2048u);
	CHECK_EQ(c.conn[i].remote_auth.sig_hashes,
		 1u << HASH_SHA2_256 | 1u << HASH_SHA2_512);
	CHECK(cu_has(&d, "conn big: remote.auth = rsa/pss (at least 3072 "
			 "bits) cannot be kept with the peer's key of 2048 "
			 "bits"));
	CHECK(cu_has(&d, "conn ec: local.auth = ecdsa cannot be kept with the "
			 "private key of 2048 bits: it is of another kind"));
	conns_free(&c);
	conf_diag_free(&d);
	cu_rmtree(dir);
}
