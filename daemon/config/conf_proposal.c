/* strongSwan proposal keywords to IANA transform IDs (see conf_proposal.h).
 *
 * Keyword spellings follow strongSwan's proposal keyword list
 * (docs.strongswan.org/docs/5.9/config/IKEv2CipherSuites.html); IDs are
 * the IANA IKEv2 registry's (RFC 7296 §3.3.2, include/ike_iana.h).
 */
#include "config/conf_proposal.h"
#include "config/conf_value.h"
#include "ike_iana.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct keyword {
	const char *name;
	uint8_t type; /* TRANS_ENCR ... TRANS_ESN */
	uint16_t id;
	uint16_t key_len;
	bool aead;
};

/* What keybridge implements (the crypto module's list). */
static const struct keyword supported[] = {
	{ "aes128", TRANS_ENCR, ENCR_AES_CBC, 128, false },
	{ "aes", TRANS_ENCR, ENCR_AES_CBC, 128, false },
	{ "aes192", TRANS_ENCR, ENCR_AES_CBC, 192, false },
	{ "aes256", TRANS_ENCR, ENCR_AES_CBC, 256, false },
	{ "aes128gcm16", TRANS_ENCR, ENCR_AES_GCM_16, 128, true },
	{ "aes128gcm128", TRANS_ENCR, ENCR_AES_GCM_16, 128, true },
	{ "aes256gcm16", TRANS_ENCR, ENCR_AES_GCM_16, 256, true },
	{ "aes256gcm128", TRANS_ENCR, ENCR_AES_GCM_16, 256, true },
	{ "chacha20poly1305", TRANS_ENCR, ENCR_CHACHA20_POLY1305, 0, true },
	{ "sha1", TRANS_INTEG, AUTH_HMAC_SHA1_96, 0, false },
	{ "sha", TRANS_INTEG, AUTH_HMAC_SHA1_96, 0, false },
	{ "sha256", TRANS_INTEG, AUTH_HMAC_SHA2_256_128, 0, false },
	{ "sha2_256", TRANS_INTEG, AUTH_HMAC_SHA2_256_128, 0, false },
	{ "sha384", TRANS_INTEG, AUTH_HMAC_SHA2_384_192, 0, false },
	{ "sha2_384", TRANS_INTEG, AUTH_HMAC_SHA2_384_192, 0, false },
	{ "sha512", TRANS_INTEG, AUTH_HMAC_SHA2_512_256, 0, false },
	{ "sha2_512", TRANS_INTEG, AUTH_HMAC_SHA2_512_256, 0, false },
	{ "prfsha1", TRANS_PRF, PRF_HMAC_SHA1, 0, false },
	{ "prfsha256", TRANS_PRF, PRF_HMAC_SHA2_256, 0, false },
	{ "prfsha384", TRANS_PRF, PRF_HMAC_SHA2_384, 0, false },
	{ "prfsha512", TRANS_PRF, PRF_HMAC_SHA2_512, 0, false },
	{ "modp2048", TRANS_KE, KE_MODP_2048, 0, false },
	{ "modp3072", TRANS_KE, KE_MODP_3072, 0, false },
	{ "modp4096", TRANS_KE, KE_MODP_4096, 0, false },
	{ "ecp256", TRANS_KE, KE_ECP_256, 0, false },
	{ "ecp384", TRANS_KE, KE_ECP_384, 0, false },
	{ "ecp521", TRANS_KE, KE_ECP_521, 0, false },
	{ "curve25519", TRANS_KE, KE_CURVE25519, 0, false },
	{ "x25519", TRANS_KE, KE_CURVE25519, 0, false },
	{ "curve448", TRANS_KE, KE_CURVE448, 0, false },
	{ "x448", TRANS_KE, KE_CURVE448, 0, false },
	{ "esn", TRANS_ESN, ESN_YES, 0, false },
	{ "noesn", TRANS_ESN, ESN_NONE, 0, false },
};

/* strongSwan keywords keybridge knows but does not implement: refused with
 * "not supported" rather than "unknown". */
static const char *const unsupported[] = {
	"3des",
	"des",
	"desiv64",
	"cast128",
	"blowfish",
	"blowfish128",
	"blowfish192",
	"blowfish256",
	"null",
	"aes192gcm16",
	"aes192gcm128",
	"aes128gcm8",
	"aes128gcm64",
	"aes192gcm8",
	"aes192gcm64",
	"aes256gcm8",
	"aes256gcm64",
	"aes128gcm12",
	"aes128gcm96",
	"aes192gcm12",
	"aes192gcm96",
	"aes256gcm12",
	"aes256gcm96",
	"aes128ccm8",
	"aes128ccm64",
	"aes128ccm12",
	"aes128ccm96",
	"aes128ccm16",
	"aes128ccm128",
	"aes192ccm8",
	"aes192ccm64",
	"aes192ccm12",
	"aes192ccm96",
	"aes192ccm16",
	"aes192ccm128",
	"aes256ccm8",
	"aes256ccm64",
	"aes256ccm12",
	"aes256ccm96",
	"aes256ccm16",
	"aes256ccm128",
	"aes128ctr",
	"aes192ctr",
	"aes256ctr",
	"aes128gmac",
	"aes192gmac",
	"aes256gmac",
	"camellia",
	"camellia128",
	"camellia192",
	"camellia256",
	"camellia128ctr",
	"camellia192ctr",
	"camellia256ctr",
	"camellia128ccm8",
	"camellia128ccm12",
	"camellia128ccm16",
	"camellia256ccm16",
	"serpent128",
	"serpent192",
	"serpent256",
	"twofish128",
	"twofish192",
	"twofish256",
	"md5",
	"md5_128",
	"sha1_160",
	"sha256_96",
	"sha2_256_96",
	"aesxcbc",
	"aescmac",
	"camelliaxcbc",
	"prfmd5",
	"prfaesxcbc",
	"prfaescmac",
	"prfcamelliaxcbc",
	"modp768",
	"modp1024",
	"modp1536",
	"modp6144",
	"modp8192",
	"modp1024s160",
	"modp2048s224",
	"modp2048s256",
	"ecp192",
	"ecp224",
	"ecp224bp",
	"ecp256bp",
	"ecp384bp",
	"ecp512bp",
	"ntru112",
	"ntru128",
	"ntru192",
	"ntru256",
	"newhope128",
	"mlkem512",
	"mlkem768",
	"mlkem1024",
	"none",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct keyword *find_supported(const char *name)
{
	for (size_t i = 0; i < COUNT(supported); i++)
		if (strcasecmp(supported[i].name, name) == 0)
			return &supported[i];
	return NULL;
}

static bool is_unsupported(const char *name)
{
	for (size_t i = 0; i < COUNT(unsupported); i++)
		if (strcasecmp(unsupported[i], name) == 0)
			return true;
	/* RFC 9370 additional key exchanges: ke1_ ... ke7_ */
	return strncasecmp(name, "ke", 2) == 0 && name[2] >= '1' &&
	       name[2] <= '7' && name[3] == '_';
}

/* Appends `id` to list[*n] unless present; false if the list is full. */
static bool add_id(uint16_t *list, uint8_t *n, uint16_t id)
{
	for (unsigned i = 0; i < *n; i++)
		if (list[i] == id)
			return true;
	if (*n >= KB_CONF_MAX_ALGS)
		return false;
	list[(*n)++] = id;
	return true;
}

static bool add_kw(struct kb_proposal *p, const struct keyword *k)
{
	switch (k->type) {
	case TRANS_ENCR:
		for (unsigned i = 0; i < p->n_encr; i++)
			if (p->encr[i].id == k->id &&
			    p->encr[i].key_len == k->key_len)
				return true;
		if (p->n_encr >= KB_CONF_MAX_ALGS)
			return false;
		p->encr[p->n_encr].id = k->id;
		p->encr[p->n_encr++].key_len = k->key_len;
		return true;
	case TRANS_INTEG: return add_id(p->integ, &p->n_integ, k->id);
	case TRANS_PRF: return add_id(p->prf, &p->n_prf, k->id);
	case TRANS_KE: return add_id(p->ke, &p->n_ke, k->id);
	case TRANS_ESN:
		for (unsigned i = 0; i < p->n_esn; i++)
			if (p->esn[i] == k->id)
				return true;
		p->esn[p->n_esn++] = k->id;
		return true;
	}
	return false;
}

/* IKE PRF implied by an integrity algorithm when none is given: strongSwan
 * derives it so that "aes128-sha256-modp3072" is a full IKE proposal. */
static uint16_t prf_for_integ(uint16_t integ)
{
	switch (integ) {
	case AUTH_HMAC_SHA1_96: return PRF_HMAC_SHA1;
	case AUTH_HMAC_SHA2_256_128: return PRF_HMAC_SHA2_256;
	case AUTH_HMAC_SHA2_384_192: return PRF_HMAC_SHA2_384;
	case AUTH_HMAC_SHA2_512_256: return PRF_HMAC_SHA2_512;
	}
	return 0;
}

static bool is_aead(uint16_t encr)
{
	return encr == ENCR_AES_GCM_16 || encr == ENCR_CHACHA20_POLY1305;
}

/* The rules of RFC 7296 §3.3.3 (mandatory transform types) and strongSwan's
 * proposal check. */
static int check(struct kb_proposal *p, const char *text, char *err,
		 size_t errlen)
{
	bool aead = p->n_encr && is_aead(p->encr[0].id);
	const char *what = NULL;

	for (unsigned i = 1; i < p->n_encr; i++)
		if (is_aead(p->encr[i].id) != aead)
			what = "mixes AEAD and non-AEAD encryption (use two "
			       "proposals)";
	if (what)
		;
	else if (!p->n_encr) {
		what = "has no encryption algorithm";
	} else if (aead && p->n_integ) {
		what = "combines an AEAD algorithm with an integrity algorithm";
	} else if (!aead && !p->n_integ) {
		what = "has no integrity algorithm";
	} else if (p->protocol == PROTO_ESP && p->n_prf) {
		what = "has a PRF, which ESP proposals do not take";
	} else if (p->protocol == PROTO_IKE && p->n_esn) {
		what = "has esn/noesn, which IKE proposals do not take";
	} else if (p->protocol == PROTO_IKE && !p->n_ke) {
		what = "has no key exchange method (e.g. x25519, ecp256, "
		       "modp3072)";
	}
	if (!what && p->protocol == PROTO_IKE && !p->n_prf) {
		if (aead)
			what = "uses AEAD and needs a PRF (e.g. prfsha256)";
		for (unsigned i = 0; !what && i < p->n_integ; i++)
			add_id(p->prf, &p->n_prf, prf_for_integ(p->integ[i]));
	}
	if (what) {
		snprintf(err, errlen, "proposal '%s' %s", text, what);
		return -EINVAL;
	}
	if (p->protocol == PROTO_ESP && !p->n_esn)
		p->esn[p->n_esn++] = ESN_NONE; /* swanctl.conf(5): noesn */
	return 0;
}

/* One dash-separated proposal. */
static int parse_one(const char *text, uint8_t protocol, struct kb_proposal *p,
		     char *err, size_t errlen)
{
	char buf[256], *save = NULL, *tok;

	memset(p, 0, sizeof(*p));
	p->protocol = protocol;
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "proposal '%.40s...' is too long", text);
		return -E2BIG;
	}
	strcpy(buf, text);
	for (tok = strtok_r(buf, "-", &save); tok;
	     tok = strtok_r(NULL, "-", &save)) {
		const struct keyword *k = find_supported(tok);

		if (!k && is_unsupported(tok)) {
			snprintf(err, errlen,
				 "algorithm '%s' in proposal '%s' is not "
				 "supported by keybridge",
				 tok, text);
			return -EINVAL;
		}
		if (!k) {
			snprintf(err, errlen,
				 "unknown algorithm '%s' in proposal '%s'", tok,
				 text);
			return -EINVAL;
		}
		if (!add_kw(p, k)) {
			snprintf(err, errlen,
				 "proposal '%s' has too many algorithms", text);
			return -E2BIG;
		}
	}
	if (text[0] == '-' || text[strlen(text) - 1] == '-' ||
	    strstr(text, "--")) {
		snprintf(err, errlen, "proposal '%s' has an empty algorithm",
			 text);
		return -EINVAL;
	}
	return check(p, text, err, errlen);
}

static void set_algs(struct kb_proposal *p, const char *const *names)
{
	for (; *names; names++)
		add_kw(p, find_supported(*names));
}

/* strongSwan 5.9.8's "default", as charon really offers it (recorded by
 * daemon/tests/vectors/config/charon/make-charon-defaults.sh): classic
 * before AEAD for both IKE and ESP (proposal_create_default() then
 * proposal_create_default_aead() in vici_config.c), with the order in
 * which the crypto plugins register their algorithms, minus what keybridge
 * lacks: AES-CTR, Camellia, 3DES, AES-XCBC/CMAC, AES-CCM, AES-GCM-192,
 * AES-GCM-8/12, Brainpool, MODP-6144/8192. */
void conf_proposal_default(uint8_t protocol, struct kb_proposals *out)
{
	static const char *const ike_common[] = {
		"prfsha256", "prfsha384", "prfsha512", "prfsha1", "curve25519",
		"curve448",  "ecp256",	  "ecp384",    "ecp521",  "modp3072",
		"modp4096",  "modp2048",  NULL,
	};
	static const char *const cbc[] = { "aes128", "aes192", "aes256",
					   "sha256", "sha384", "sha512",
					   "sha1",   NULL };
	static const char *const ike_aead[] = { "aes128gcm16", "aes256gcm16",
						"chacha20poly1305", NULL };
	static const char *const esp_aead[] = { "aes128gcm16", "aes256gcm16",
						NULL };
	struct kb_proposal *a = &out->p[0], *b = &out->p[1];

	memset(out, 0, sizeof(*out));
	out->count = 2;
	a->protocol = b->protocol = protocol;
	set_algs(a, cbc);
	if (protocol == PROTO_IKE) {
		set_algs(a, ike_common);
		set_algs(b, ike_aead);
		set_algs(b, ike_common);
	} else {
		a->esn[a->n_esn++] = ESN_NONE;
		set_algs(b, esp_aead);
		b->esn[b->n_esn++] = ESN_NONE;
	}
}

int conf_proposal_parse(const char *value, uint8_t protocol,
			struct kb_proposals *out, char *err, size_t errlen)
{
	const char *pos = value;
	char item[256];
	int rc;

	memset(out, 0, sizeof(*out));
	while ((rc = conf_value_item(&pos, item, sizeof(item))) > 0) {
		if (strcasecmp(item, "default") == 0) {
			struct kb_proposals def;

			conf_proposal_default(protocol, &def);
			for (unsigned i = 0; i < def.count; i++) {
				if (out->count >= KB_CONF_MAX_PROPOSALS)
					goto too_many;
				out->p[out->count++] = def.p[i];
			}
			continue;
		}
		if (out->count >= KB_CONF_MAX_PROPOSALS)
			goto too_many;
		rc = parse_one(item, protocol, &out->p[out->count], err,
			       errlen);
		if (rc < 0)
			return rc;
		out->count++;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s",
			 rc == -E2BIG ? "proposal too long"
				      : "empty proposal in the list");
		return rc;
	}
	return 0;
too_many:
	snprintf(err, errlen, "more than %d proposals", KB_CONF_MAX_PROPOSALS);
	return -E2BIG;
}

static void put(char *buf, size_t len, size_t *off, const char *s)
{
	int w = snprintf(buf + *off, len - *off, "%s%s",
			 buf[*off - 1] == ':' ? "" : "/", s ? s : "?");

	if (w > 0)
		*off += (size_t)w;
	if (*off >= len)
		*off = len - 1;
}

const char *conf_proposal_str(const struct kb_proposal *p, char *buf,
			      size_t len)
{
	char tmp[48];
	size_t off;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	off = (size_t)snprintf(buf, len,
			       "%s:", p->protocol == PROTO_IKE ? "IKE" : "ESP");
	for (unsigned i = 0; i < p->n_encr; i++) {
		const char *n = ike_encr_id_name(p->encr[i].id);

		n = n && strncmp(n, "ENCR_", 5) == 0 ? n + 5 : n;
		if (p->encr[i].key_len)
			snprintf(tmp, sizeof(tmp), "%s_%u", n ? n : "?",
				 p->encr[i].key_len);
		else
			snprintf(tmp, sizeof(tmp), "%s", n ? n : "?");
		put(buf, len, &off, tmp);
	}
	for (unsigned i = 0; i < p->n_integ; i++)
		put(buf, len, &off, ike_integ_id_name(p->integ[i]));
	for (unsigned i = 0; i < p->n_prf; i++)
		put(buf, len, &off, ike_prf_id_name(p->prf[i]));
	for (unsigned i = 0; i < p->n_ke; i++)
		put(buf, len, &off, ike_ke_id_name(p->ke[i]));
	for (unsigned i = 0; i < p->n_esn; i++)
		put(buf, len, &off, ike_esn_id_name(p->esn[i]));
	return buf;
}
