/* Tests for strongSwan proposal keywords (daemon/config/conf_proposal.c):
 * keyword -> IANA transform IDs (RFC 7296 §3.3.2), the IKE/ESP rules, the
 * "default" proposals and the errors. */
#include "config/conf_proposal.h"
#include "ike_iana.h"
#include "tests/test.h"

#include <errno.h>

/* Parses `value` and returns proposal `i` formatted like charon logs. */
static const char *fmt(const char *value, uint8_t proto, unsigned i)
{
	static char buf[1024];
	struct kb_proposals ps;
	char err[256];
	int rc = conf_proposal_parse(value, proto, &ps, err, sizeof(err));

	if (rc < 0) {
		snprintf(buf, sizeof(buf), "error: %s", err);
		return buf;
	}
	if (i >= ps.count)
		return "(none)";
	return conf_proposal_str(&ps.p[i], buf, sizeof(buf));
}

static const char *error_of(const char *value, uint8_t proto)
{
	static char err[256];
	struct kb_proposals ps;

	err[0] = '\0';
	if (conf_proposal_parse(value, proto, &ps, err, sizeof(err)) == 0)
		return "(accepted)";
	return err;
}

TEST(conf_proposal_ike_keywords_to_iana_ids)
{
	struct kb_proposals ps;
	char err[256];

	REQUIRE_EQ(conf_proposal_parse("aes256gcm16-prfsha384-x25519",
				       PROTO_IKE, &ps, err, sizeof(err)),
		   0);
	REQUIRE_EQ(ps.count, 1);
	CHECK_EQ(ps.p[0].protocol, PROTO_IKE);
	CHECK_EQ(ps.p[0].n_encr, 1);
	CHECK_EQ(ps.p[0].encr[0].id, ENCR_AES_GCM_16); /* 20 */
	CHECK_EQ(ps.p[0].encr[0].key_len, 256);
	CHECK_EQ(ps.p[0].n_integ, 0);
	CHECK_EQ(ps.p[0].n_prf, 1);
	CHECK_EQ(ps.p[0].prf[0], PRF_HMAC_SHA2_384); /* 6 */
	CHECK_EQ(ps.p[0].n_ke, 1);
	CHECK_EQ(ps.p[0].ke[0], KE_CURVE25519); /* 31 */
	CHECK_EQ(ps.p[0].n_esn, 0);

	CHECK_STR(fmt("aes128-sha256-modp3072", PROTO_IKE, 0),
		  "IKE:AES_CBC_128/AUTH_HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/"
		  "MODP_3072");
	CHECK_STR(fmt("aes256-sha256-ecp256", PROTO_IKE, 0),
		  "IKE:AES_CBC_256/AUTH_HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/"
		  "ECP_256");
	CHECK_STR(fmt("chacha20poly1305-prfsha256-curve25519", PROTO_IKE, 0),
		  "IKE:CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE25519");
	CHECK_STR(fmt("aes192-sha1-sha384-prfsha512-modp2048-modp4096-ecp384-"
		      "ecp521-x448",
		      PROTO_IKE, 0),
		  "IKE:AES_CBC_192/AUTH_HMAC_SHA1_96/AUTH_HMAC_SHA2_384_192/"
		  "PRF_HMAC_SHA2_512/MODP_2048/MODP_4096/ECP_384/ECP_521/"
		  "CURVE448");
	/* PRFs derived from the integrity algorithms, in their order */
	CHECK_STR(fmt("aes128-sha512-sha1-ecp256", PROTO_IKE, 0),
		  "IKE:AES_CBC_128/AUTH_HMAC_SHA2_512_256/AUTH_HMAC_SHA1_96/"
		  "PRF_HMAC_SHA2_512/PRF_HMAC_SHA1/ECP_256");
	/* aliases, case, duplicates */
	CHECK_STR(fmt("AES-SHA-x25519-curve25519", PROTO_IKE, 0),
		  "IKE:AES_CBC_128/AUTH_HMAC_SHA1_96/PRF_HMAC_SHA1/CURVE25519");
	CHECK_STR(
		fmt("aes128gcm128-aes256gcm16-prfsha256-ecp256", PROTO_IKE, 0),
		"IKE:AES_GCM_16_128/AES_GCM_16_256/PRF_HMAC_SHA2_256/"
		"ECP_256");
}

TEST(conf_proposal_esp_rules)
{
	CHECK_STR(fmt("aes128gcm16-prfsha256-ecp256-esn", PROTO_IKE, 0),
		  "error: proposal 'aes128gcm16-prfsha256-ecp256-esn' has "
		  "esn/noesn, which IKE proposals do not take");
	CHECK_STR(fmt("aes128gcm16-ecp256-esn", PROTO_ESP, 0),
		  "ESP:AES_GCM_16_128/ECP_256/ESN");
	CHECK_STR(fmt("aes256gcm16", PROTO_ESP, 0),
		  "ESP:AES_GCM_16_256/NO_ESN");
	CHECK_STR(fmt("aes128-sha256", PROTO_ESP, 0),
		  "ESP:AES_CBC_128/AUTH_HMAC_SHA2_256_128/NO_ESN");
	CHECK_STR(fmt("aes128-sha256-esn-noesn", PROTO_ESP, 0),
		  "ESP:AES_CBC_128/AUTH_HMAC_SHA2_256_128/ESN/NO_ESN");
	CHECK_STR(fmt("chacha20poly1305-x25519", PROTO_ESP, 0),
		  "ESP:CHACHA20_POLY1305/CURVE25519/NO_ESN");
	CHECK_STR(error_of("aes128gcm16-prfsha256", PROTO_ESP),
		  "proposal 'aes128gcm16-prfsha256' has a PRF, which ESP "
		  "proposals do not take");
}

TEST(conf_proposal_aead_rules)
{
	CHECK_STR(error_of("aes128gcm16-x25519", PROTO_IKE),
		  "proposal 'aes128gcm16-x25519' uses AEAD and needs a PRF "
		  "(e.g. prfsha256)");
	CHECK_STR(error_of("aes128gcm16-sha256-prfsha256-x25519", PROTO_IKE),
		  "proposal 'aes128gcm16-sha256-prfsha256-x25519' combines an "
		  "AEAD algorithm with an integrity algorithm");
	CHECK_STR(error_of("aes128-aes128gcm16-sha256-x25519", PROTO_IKE),
		  "proposal 'aes128-aes128gcm16-sha256-x25519' mixes AEAD and "
		  "non-AEAD encryption (use two proposals)");
	CHECK_STR(error_of("aes128-x25519", PROTO_IKE),
		  "proposal 'aes128-x25519' has no integrity algorithm");
	CHECK_STR(error_of("aes128", PROTO_ESP),
		  "proposal 'aes128' has no integrity algorithm");
	CHECK_STR(error_of("aes128-sha256", PROTO_IKE),
		  "proposal 'aes128-sha256' has no key exchange method (e.g. "
		  "x25519, ecp256, modp3072)");
	CHECK_STR(error_of("sha256-prfsha256-x25519", PROTO_IKE),
		  "proposal 'sha256-prfsha256-x25519' has no encryption "
		  "algorithm");
}

TEST(conf_proposal_unknown_and_unsupported_keywords)
{
	CHECK_STR(error_of("aes128-sha256-modp3072-bogus", PROTO_IKE),
		  "unknown algorithm 'bogus' in proposal "
		  "'aes128-sha256-modp3072-bogus'");
	CHECK_STR(error_of("3des-sha1-modp2048", PROTO_IKE),
		  "algorithm '3des' in proposal '3des-sha1-modp2048' is not "
		  "supported by keybridge");
	CHECK_STR(error_of("aes128-sha256-modp1024", PROTO_IKE),
		  "algorithm 'modp1024' in proposal 'aes128-sha256-modp1024' "
		  "is not supported by keybridge");
	CHECK_STR(error_of("aes128-md5", PROTO_ESP),
		  "algorithm 'md5' in proposal 'aes128-md5' is not supported "
		  "by keybridge");
	CHECK_STR(error_of("aes192gcm16-prfsha256-ecp256", PROTO_IKE),
		  "algorithm 'aes192gcm16' in proposal "
		  "'aes192gcm16-prfsha256-ecp256' is not supported by "
		  "keybridge");
	CHECK_STR(error_of("aes128-sha256-x25519-ke1_mlkem768", PROTO_IKE),
		  "algorithm 'ke1_mlkem768' in proposal "
		  "'aes128-sha256-x25519-ke1_mlkem768' is not supported by "
		  "keybridge");
	CHECK_STR(error_of("aes128--sha256-x25519", PROTO_IKE),
		  "proposal 'aes128--sha256-x25519' has an empty algorithm");
	CHECK_STR(error_of("aes128-sha256-x25519,", PROTO_IKE),
		  "empty proposal in the list");
	CHECK_STR(error_of("aes128-sha256-x25519!", PROTO_IKE),
		  "unknown algorithm 'x25519!' in proposal "
		  "'aes128-sha256-x25519!'");
}

TEST(conf_proposal_lists_and_limits)
{
	struct kb_proposals ps;
	char err[256], many[1024] = "";

	REQUIRE_EQ(conf_proposal_parse("aes256gcm16-prfsha384-ecp384, "
				       "aes256-sha384-ecp384,default",
				       PROTO_IKE, &ps, err, sizeof(err)),
		   0);
	CHECK_EQ(ps.count, 4); /* two given, then the two defaults */
	CHECK_EQ(ps.p[1].encr[0].id, ENCR_AES_CBC);
	CHECK_EQ(ps.p[2].encr[0].key_len, 128);
	CHECK_EQ(ps.p[3].encr[0].id, ENCR_AES_GCM_16);

	for (int i = 0; i < KB_CONF_MAX_PROPOSALS + 1; i++)
		strcat(many, "aes128-sha256-x25519,");
	many[strlen(many) - 1] = '\0';
	CHECK_EQ(conf_proposal_parse(many, PROTO_IKE, &ps, err, sizeof(err)),
		 -E2BIG);
	CHECK_STR(err, "more than 8 proposals");
}

/* strongSwan 5.9.8's default as charon offered it (charon-defaults.log),
 * minus the algorithms keybridge does not implement. */
TEST(conf_proposal_default_is_strongswans)
{
	CHECK_STR(fmt("default", PROTO_IKE, 0),
		  "IKE:AES_CBC_128/AES_CBC_192/AES_CBC_256/"
		  "AUTH_HMAC_SHA2_256_128/AUTH_HMAC_SHA2_384_192/"
		  "AUTH_HMAC_SHA2_512_256/AUTH_HMAC_SHA1_96/"
		  "PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/"
		  "PRF_HMAC_SHA1/CURVE25519/CURVE448/ECP_256/ECP_384/ECP_521/"
		  "MODP_3072/MODP_4096/MODP_2048");
	CHECK_STR(fmt("default", PROTO_IKE, 1),
		  "IKE:AES_GCM_16_128/AES_GCM_16_256/CHACHA20_POLY1305/"
		  "PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/"
		  "PRF_HMAC_SHA1/CURVE25519/CURVE448/ECP_256/ECP_384/ECP_521/"
		  "MODP_3072/MODP_4096/MODP_2048");
	CHECK_STR(fmt("default", PROTO_IKE, 2), "(none)");
	CHECK_STR(fmt("DEFAULT", PROTO_ESP, 0),
		  "ESP:AES_CBC_128/AES_CBC_192/AES_CBC_256/"
		  "AUTH_HMAC_SHA2_256_128/AUTH_HMAC_SHA2_384_192/"
		  "AUTH_HMAC_SHA2_512_256/AUTH_HMAC_SHA1_96/NO_ESN");
	CHECK_STR(fmt("default", PROTO_ESP, 1),
		  "ESP:AES_GCM_16_128/AES_GCM_16_256/NO_ESN");
}

/* charon's names (its log) -> keybridge transforms; "" marks algorithms
 * strongSwan's default has and keybridge deliberately lacks. */
static const struct {
	const char *name;
	uint8_t type;
	uint16_t id, key_len;
} charon_names[] = {
	{ "AES_CBC_128", TRANS_ENCR, ENCR_AES_CBC, 128 },
	{ "AES_CBC_192", TRANS_ENCR, ENCR_AES_CBC, 192 },
	{ "AES_CBC_256", TRANS_ENCR, ENCR_AES_CBC, 256 },
	{ "AES_GCM_16_128", TRANS_ENCR, ENCR_AES_GCM_16, 128 },
	{ "AES_GCM_16_256", TRANS_ENCR, ENCR_AES_GCM_16, 256 },
	{ "CHACHA20_POLY1305", TRANS_ENCR, ENCR_CHACHA20_POLY1305, 0 },
	{ "HMAC_SHA1_96", TRANS_INTEG, AUTH_HMAC_SHA1_96, 0 },
	{ "HMAC_SHA2_256_128", TRANS_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
	{ "HMAC_SHA2_384_192", TRANS_INTEG, AUTH_HMAC_SHA2_384_192, 0 },
	{ "HMAC_SHA2_512_256", TRANS_INTEG, AUTH_HMAC_SHA2_512_256, 0 },
	{ "PRF_HMAC_SHA1", TRANS_PRF, PRF_HMAC_SHA1, 0 },
	{ "PRF_HMAC_SHA2_256", TRANS_PRF, PRF_HMAC_SHA2_256, 0 },
	{ "PRF_HMAC_SHA2_384", TRANS_PRF, PRF_HMAC_SHA2_384, 0 },
	{ "PRF_HMAC_SHA2_512", TRANS_PRF, PRF_HMAC_SHA2_512, 0 },
	{ "MODP_2048", TRANS_KE, KE_MODP_2048, 0 },
	{ "MODP_3072", TRANS_KE, KE_MODP_3072, 0 },
	{ "MODP_4096", TRANS_KE, KE_MODP_4096, 0 },
	{ "ECP_256", TRANS_KE, KE_ECP_256, 0 },
	{ "ECP_384", TRANS_KE, KE_ECP_384, 0 },
	{ "ECP_521", TRANS_KE, KE_ECP_521, 0 },
	{ "CURVE_25519", TRANS_KE, KE_CURVE25519, 0 },
	{ "CURVE_448", TRANS_KE, KE_CURVE448, 0 },
	{ "NO_EXT_SEQ", TRANS_ESN, ESN_NONE, 0 },
	{ "EXT_SEQ", TRANS_ESN, ESN_YES, 0 },
};

static const char *const charon_lacking[] = {
	"AES_CTR_",    "CAMELLIA_",	  "3DES_CBC",	     "AES_XCBC_96",
	"AES_CMAC_96", "PRF_AES128_XCBC", "PRF_AES128_CMAC", "ECP_256_BP",
	"ECP_384_BP",  "ECP_512_BP",	  "MODP_6144",	     "MODP_8192",
	"AES_CCM_",    "AES_GCM_16_192",  "AES_GCM_8_",	     "AES_GCM_12_",
};

/* Converts one logged proposal ("IKE:AES_CBC_128/.../MODP_2048") to a
 * kb_proposal, dropping what keybridge lacks; fails on a name it does not
 * know at all. */
static void from_charon(const char *text, struct kb_proposal *p)
{
	char buf[2048], *save = NULL, *tok;

	memset(p, 0, sizeof(*p));
	p->protocol = strncmp(text, "IKE:", 4) == 0 ? PROTO_IKE : PROTO_ESP;
	snprintf(buf, sizeof(buf), "%s", text + 4);
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		size_t i, n = sizeof(charon_names) / sizeof(*charon_names);
		bool lacking = false;

		for (i = 0; i < n && strcmp(charon_names[i].name, tok); i++)
			;
		if (i == n) {
			for (size_t j = 0; j < sizeof(charon_lacking) /
						       sizeof(*charon_lacking);
			     j++)
				lacking |=
					strncmp(tok, charon_lacking[j],
						strlen(charon_lacking[j])) == 0;
			if (!lacking)
				test_fail(__FILE__, __LINE__,
					  "charon offers %s by default, which "
					  "this test does not know",
					  tok);
			continue;
		}
		switch (charon_names[i].type) {
		case TRANS_ENCR:
			p->encr[p->n_encr].id = charon_names[i].id;
			p->encr[p->n_encr++].key_len = charon_names[i].key_len;
			break;
		case TRANS_INTEG:
			p->integ[p->n_integ++] = charon_names[i].id;
			break;
		case TRANS_PRF: p->prf[p->n_prf++] = charon_names[i].id; break;
		case TRANS_KE: p->ke[p->n_ke++] = charon_names[i].id; break;
		default: p->esn[p->n_esn++] = charon_names[i].id; break;
		}
	}
}

/* Compares conf_proposal_default(proto) with the proposals charon logged
 * on the "received proposals: " line for that protocol. */
static void check_against_charon(const char *log, const char *prefix,
				 uint8_t proto)
{
	const char *line = strstr(log, prefix);
	char buf[4096], a[1024], b[1024], *save = NULL, *one;
	struct kb_proposals def;
	unsigned n = 0;

	REQUIRE(line != NULL);
	line += strlen("received proposals: ");
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(line, "\n"), line);
	conf_proposal_default(proto, &def);
	for (one = strtok_r(buf, ",", &save); one;
	     one = strtok_r(NULL, ",", &save), n++) {
		struct kb_proposal p;

		while (*one == ' ')
			one++;
		from_charon(one, &p);
		REQUIRE(n < def.count);
		CHECK_STR(conf_proposal_str(&def.p[n], a, sizeof(a)),
			  conf_proposal_str(&p, b, sizeof(b)));
	}
	CHECK_EQ(n, def.count);
}

TEST(conf_proposal_default_matches_charon_5_9_8)
{
	static char log[1 << 14];
	FILE *f = fopen(test_src_path("daemon/tests/vectors/config/charon/"
				      "charon-defaults.log"),
			"r");
	size_t len;

	REQUIRE(f != NULL);
	len = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[len] = '\0';
	REQUIRE(strstr(log, "strongSwan 5.9.8") != NULL);
	check_against_charon(log, "received proposals: IKE:", PROTO_IKE);
	check_against_charon(log, "received proposals: ESP:", PROTO_ESP);
}
