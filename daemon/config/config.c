/* swanctl.conf tree -> struct kb_config (see config.h).
 *
 * Each section kind has one table of the keys keybridge supports: name,
 * value type and where the value goes. A key that is in no table is an
 * error naming file, line and key; so is a value that does not parse.
 * Defaults are strongSwan 5.9's (swanctl.conf(5)); the derived ones
 * (over_time, rand_time, life_time, ...) are computed as its vici plugin
 * does, after all keys are read.
 */
#include "config/config.h"
#include "config/conf_authority.h"
#include "config/conf_pool.h"
#include "config/conf_proposal.h"
#include "config/conf_tree.h"
#include "config/conf_value.h"
#include "ike_iana.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct load {
	struct conf_diag *diag;
	struct kb_config *cfg;
	bool oom;
};

/* Value types of the key tables. */
enum vtype {
	V_VERSION,	 /* uint8_t: 0 or 2 (1 refused) */
	V_ADDRS,	 /* struct kb_addr[], count at off2 */
	V_PORT,		 /* uint16_t, 1..65535 */
	V_IKE_PROPOSALS, /* struct kb_proposals */
	V_ESP_PROPOSALS, /* struct kb_proposals */
	V_TIME,		 /* uint64_t seconds */
	V_VOLUME,	 /* uint64_t bytes or packets */
	V_U32,		 /* uint32_t */
	V_ENUM,		 /* int-sized enum via names table */
	V_BOOL,		 /* bool */
	V_TS,		 /* struct kb_ts[], count at off2 */
	V_AUTH,		 /* struct kb_auth_round */
	V_ID,		 /* struct kb_auth_round */
	V_EAP_ID,	 /* struct kb_auth_round */
	V_FILES,	 /* char[][PATH], count at off2, dir in names */
	V_START,	 /* unsigned start_action bits */
	V_UPDOWN,	 /* char[KB_CONF_UPDOWN_MAX], an executable + args */
	V_SEND_CERT,	 /* enum kb_send_cert */
	V_SEND_CERTREQ,	 /* bool */
	V_POOLS,	 /* pool names (conf_pool.c) */
	V_VIPS,		 /* virtual addresses asked for (conf_pool.c) */
	V_MARK,		 /* struct kb_mark */
	V_IF_ID,	 /* uint32_t XFRM interface ID */
};

struct enum_name {
	const char *name;
	int value;
};

struct key_def {
	const char *name;
	enum vtype type;
	size_t off, off2;
	const void *extra; /* enum names, or a directory name for V_FILES */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define END_NAMES                                                              \
	{                                                                      \
		NULL, 0                                                        \
	}

static const struct enum_name unique_names[] = {
	{ "no", KB_UNIQUE_NO },
	{ "never", KB_UNIQUE_NEVER },
	{ "keep", KB_UNIQUE_KEEP },
	{ "replace", KB_UNIQUE_REPLACE },
	END_NAMES,
};
static const struct enum_name frag_names[] = {
	{ "yes", KB_FRAG_YES },
	{ "no", KB_FRAG_NO },
	{ "accept", KB_FRAG_ACCEPT },
	{ "force", KB_FRAG_FORCE },
	END_NAMES,
};
static const struct enum_name childless_names[] = {
	{ "allow", KB_CHILDLESS_ALLOW },
	{ "force", KB_CHILDLESS_FORCE },
	{ "never", KB_CHILDLESS_NEVER },
	END_NAMES,
};
static const struct enum_name mode_names[] = {
	{ "tunnel", KB_MODE_TUNNEL },
	{ "transport", KB_MODE_TRANSPORT },
	{ "pass", KB_MODE_PASS },
	{ "drop", KB_MODE_DROP },
	END_NAMES,
};
/* strongSwan's vici parse_action(): clear = none, restart = start,
 * route = trap. */
static const struct enum_name action_names[] = {
	{ "none", KB_ACTION_NONE },
	{ "clear", KB_ACTION_NONE },
	{ "trap", KB_ACTION_TRAP },
	{ "route", KB_ACTION_TRAP },
	{ "start", KB_ACTION_START },
	{ "restart", KB_ACTION_START },
	END_NAMES,
};

#define CONN(field)  offsetof(struct kb_conn, field)
#define CHILD(field) offsetof(struct kb_child, field)
#define ROUND(field) offsetof(struct kb_auth_round, field)

static const struct key_def conn_keys[] = {
	{ "version", V_VERSION, CONN(version), 0, NULL },
	{ "local_addrs", V_ADDRS, CONN(local_addrs), CONN(n_local_addrs),
	  NULL },
	{ "remote_addrs", V_ADDRS, CONN(remote_addrs), CONN(n_remote_addrs),
	  NULL },
	{ "local_port", V_PORT, CONN(local_port), 0, NULL },
	{ "remote_port", V_PORT, CONN(remote_port), 0, NULL },
	{ "proposals", V_IKE_PROPOSALS, CONN(proposals), 0, NULL },
	{ "dpd_delay", V_TIME, CONN(dpd_delay), 0, NULL },
	{ "dpd_timeout", V_TIME, CONN(dpd_timeout), 0, NULL },
	{ "rekey_time", V_TIME, CONN(rekey_time), 0, NULL },
	{ "over_time", V_TIME, CONN(over_time), 0, NULL },
	{ "rand_time", V_TIME, CONN(rand_time), 0, NULL },
	{ "reauth_time", V_TIME, CONN(reauth_time), 0, NULL },
	{ "keyingtries", V_U32, CONN(keyingtries), 0, NULL },
	{ "unique", V_ENUM, CONN(unique), 0, unique_names },
	{ "encap", V_BOOL, CONN(encap), 0, NULL },
	{ "mobike", V_BOOL, CONN(mobike), 0, NULL },
	{ "fragmentation", V_ENUM, CONN(fragmentation), 0, frag_names },
	{ "childless", V_ENUM, CONN(childless), 0, childless_names },
	{ "send_cert", V_SEND_CERT, CONN(send_cert), 0, NULL },
	{ "send_certreq", V_SEND_CERTREQ, CONN(send_certreq), 0, NULL },
	{ "pools", V_POOLS, CONN(pools), 0, NULL },
	{ "vips", V_VIPS, CONN(vips), 0, NULL },
	{ "if_id_in", V_IF_ID, CONN(if_id_in), 0, NULL },
	{ "if_id_out", V_IF_ID, CONN(if_id_out), 0, NULL },
};

static const struct key_def local_keys[] = {
	{ "auth", V_AUTH, 0, 0, NULL },
	{ "id", V_ID, 0, 0, NULL },
	{ "eap_id", V_EAP_ID, 0, 0, NULL },
	{ "certs", V_FILES, ROUND(certs), ROUND(n_certs), "x509" },
	{ "pubkeys", V_FILES, ROUND(pubkeys), ROUND(n_pubkeys), "pubkey" },
};

static const struct key_def remote_keys[] = {
	{ "auth", V_AUTH, 0, 0, NULL },
	{ "id", V_ID, 0, 0, NULL },
	{ "eap_id", V_EAP_ID, 0, 0, NULL },
	{ "certs", V_FILES, ROUND(certs), ROUND(n_certs), "x509" },
	{ "pubkeys", V_FILES, ROUND(pubkeys), ROUND(n_pubkeys), "pubkey" },
	{ "cacerts", V_FILES, ROUND(cacerts), ROUND(n_cacerts), "x509ca" },
};

static const struct key_def child_keys[] = {
	{ "local_ts", V_TS, CHILD(local_ts), CHILD(n_local_ts), NULL },
	{ "remote_ts", V_TS, CHILD(remote_ts), CHILD(n_remote_ts), NULL },
	{ "esp_proposals", V_ESP_PROPOSALS, CHILD(esp_proposals), 0, NULL },
	{ "mode", V_ENUM, CHILD(mode), 0, mode_names },
	{ "start_action", V_START, CHILD(start_action), 0, NULL },
	{ "close_action", V_ENUM, CHILD(close_action), 0, action_names },
	{ "dpd_action", V_ENUM, CHILD(dpd_action), 0, action_names },
	{ "rekey_time", V_TIME, CHILD(rekey_time), 0, NULL },
	{ "life_time", V_TIME, CHILD(life_time), 0, NULL },
	{ "rand_time", V_TIME, CHILD(rand_time), 0, NULL },
	{ "rekey_bytes", V_VOLUME, CHILD(rekey_bytes), 0, NULL },
	{ "life_bytes", V_VOLUME, CHILD(life_bytes), 0, NULL },
	{ "rand_bytes", V_VOLUME, CHILD(rand_bytes), 0, NULL },
	{ "rekey_packets", V_VOLUME, CHILD(rekey_packets), 0, NULL },
	{ "life_packets", V_VOLUME, CHILD(life_packets), 0, NULL },
	{ "rand_packets", V_VOLUME, CHILD(rand_packets), 0, NULL },
	{ "replay_window", V_U32, CHILD(replay_window), 0, NULL },
	{ "inactivity", V_TIME, CHILD(inactivity), 0, NULL },
	{ "updown", V_UPDOWN, CHILD(updown), 0, NULL },
	{ "hostaccess", V_BOOL, CHILD(hostaccess), 0, NULL },
	{ "mark_in", V_MARK, CHILD(mark_in), 0, NULL },
	{ "mark_in_sa", V_BOOL, CHILD(mark_in_sa), 0, NULL },
	{ "mark_out", V_MARK, CHILD(mark_out), 0, NULL },
	{ "if_id_in", V_IF_ID, CHILD(if_id_in), 0, NULL },
	{ "if_id_out", V_IF_ID, CHILD(if_id_out), 0, NULL },
};

/* Keys strongSwan's swanctl.conf(5) defines (5.9.8, and 6.0's icmp,
 * per_cpu_sas and ocsp) that keybridge does not implement, per section:
 * named "not supported by keybridge" rather than unknown, so operators
 * migrating from strongSwan see why. A key of another section is
 * unknown here, as it is to strongSwan. */
static const char *const conn_unsupported[] = {
	"aggressive", "pull",	     "dscp",	       "ppk_id", "ppk_required",
	"mediation",  "mediated_by", "mediation_peer", "ocsp",
};
static const char *const local_unsupported[] = {
	"round",
	"aaa_id",
	"xauth_id",
};
static const char *const remote_unsupported[] = {
	"round", "groups", "cert_policy", "ca_id", "revocation",
};
static const char *const child_unsupported[] = {
	"ah_proposals", "sha256_96",	"policies",    "policies_fwd_out",
	"ipcomp",	"reqid",	"priority",    "interface",
	"set_mark_in",	"set_mark_out", "label",       "label_mode",
	"tfc_padding",	"hw_offload",	"copy_df",     "copy_ecn",
	"copy_dscp",	"icmp",		"per_cpu_sas",
};

/* The keys of one kind of section: what keybridge reads, and what only
 * strongSwan does. */
struct section_kind {
	const char *doc; /* "connections.<conn>", for config_each_*key */
	const struct key_def *defs;
	size_t n;
	const char *const *unsupported;
	size_t n_unsupported;
};

#define KIND(doc, defs, unsup)                                                 \
	{                                                                      \
		doc, defs, COUNT(defs), unsup, COUNT(unsup)                    \
	}

static const struct section_kind conn_kind =
	KIND("connections.<conn>", conn_keys, conn_unsupported);
static const struct section_kind local_kind =
	KIND("connections.<conn>.local", local_keys, local_unsupported);
static const struct section_kind remote_kind =
	KIND("connections.<conn>.remote", remote_keys, remote_unsupported);
static const struct section_kind child_kind = KIND(
	"connections.<conn>.children.<child>", child_keys, child_unsupported);

static bool is_unsupported(const struct section_kind *k, const char *key)
{
	for (size_t i = 0; k && i < k->n_unsupported; i++)
		if (strcmp(k->unsupported[i], key) == 0)
			return true;
	return false;
}

/* --- errors --------------------------------------------------------------- */

static void key_path(const struct conf_section *s, const char *key, char *buf,
		     size_t len)
{
	char path[512];

	conf_tree_path(s, path, sizeof(path));
	snprintf(buf, len, "%s%s%s", path, *path ? "." : "", key);
}

static void bad_kv(struct load *ld, const struct conf_section *s,
		   const struct conf_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void bad_kv(struct load *ld, const struct conf_section *s,
		   const struct conf_kv *kv, const char *fmt, ...)
{
	char key[600], msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	key_path(s, kv->key, key, sizeof(key));
	conf_diag_add(ld->diag, kv->file, kv->line, key, "%s", msg);
}

static void bad_section(struct load *ld, const struct conf_section *s,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad_section(struct load *ld, const struct conf_section *s,
			const char *fmt, ...)
{
	char path[512], msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_tree_path(s, path, sizeof(path));
	conf_diag_add(ld->diag, s->file, s->line, path, "%s", msg);
}

static void unknown_key(struct load *ld, const struct conf_section *s,
			const struct conf_kv *kv, const struct section_kind *k)
{
	if (is_unsupported(k, kv->key))
		bad_kv(ld, s, kv, "not supported by keybridge");
	else
		bad_kv(ld, s, kv, "unknown key");
}

static const char *errno_text(int rc)
{
	return rc == -ERANGE ? "out of range" : rc == -E2BIG ? "too long" : "";
}

/* --- value handlers --------------------------------------------------------
 */

static int enum_value(const struct enum_name *names, const char *s, int *out)
{
	for (; names->name; names++) {
		if (strcmp(names->name, s) == 0) {
			*out = names->value;
			return 0;
		}
	}
	return -EINVAL;
}

static void enum_expected(const struct enum_name *names, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (; names->name && off < len; names++) {
		int w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
				 names->name);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* auth = psk | pubkey | rsa | rsa/pss | ecdsa | ed25519, the signature kinds
 * optionally followed by a key size (rsa-2048, ecdsa-256) and RFC 7427
 * hashes (pubkey-sha256-sha384), as swanctl.conf(5) local.auth; and
 * eap-mschapv2 (one side only, load_conn checks). */
static int parse_auth(const char *s, struct kb_auth_round *r, char *err,
		      size_t errlen)
{
	static const struct enum_name kinds[] = {
		{ "pubkey", KB_AUTH_PUBKEY },
		{ "psk", KB_AUTH_PSK },
		{ "rsa", KB_AUTH_RSA },
		{ "rsa/pss", KB_AUTH_RSA_PSS },
		{ "ecdsa", KB_AUTH_ECDSA },
		{ "ed25519", KB_AUTH_ED25519 },
		END_NAMES,
	};
	static const struct enum_name hashes[] = {
		{ "sha1", HASH_SHA1 },
		{ "sha256", HASH_SHA2_256 },
		{ "sha384", HASH_SHA2_384 },
		{ "sha512", HASH_SHA2_512 },
		END_NAMES,
	};
	char buf[128], *save = NULL, *tok;
	int kind, h;
	uint64_t bits;

	if (strcmp(s, "eap-mschapv2") == 0) {
		memset(r, 0, offsetof(struct kb_auth_round, id_type));
		r->auth = KB_AUTH_EAP_MSCHAPV2;
		return 0;
	}
	/* strongSwan's: other EAP methods, "eap" (whatever the client
	 * proposes), XAuth, constraints on the IKE signature only (ike:),
	 * NULL authentication, Ed448 and BLISS */
	if (strncmp(s, "eap", 3) == 0) {
		snprintf(err, errlen,
			 "'%s' is not supported by keybridge (of EAP methods "
			 "it has eap-mschapv2)",
			 s);
		return -EINVAL;
	}
	if (strncmp(s, "xauth", 5) == 0 || strncmp(s, "ike:", 4) == 0 ||
	    strcmp(s, "null") == 0 || strncmp(s, "ed448", 5) == 0 ||
	    (strchr(s, '/') && strncmp(s, "rsa/pss", 7) != 0) ||
	    strncmp(s, "bliss", 5) == 0) {
		snprintf(err, errlen, "'%s' is not supported by keybridge", s);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	tok = strtok_r(buf, "-", &save);
	if (!tok || enum_value(kinds, tok, &kind) < 0)
		goto bad;
	memset(r, 0, offsetof(struct kb_auth_round, id_type));
	r->auth = (enum kb_auth)kind;
	while ((tok = strtok_r(NULL, "-", &save))) {
		if (kind == KB_AUTH_PSK)
			goto bad;
		if ((kind == KB_AUTH_RSA || kind == KB_AUTH_RSA_PSS ||
		     kind == KB_AUTH_ECDSA) &&
		    !r->key_bits && !r->n_hashes &&
		    conf_value_uint(tok, 16384, &bits) == 0) {
			if (kind == KB_AUTH_ECDSA && bits != 256 &&
			    bits != 384 && bits != 521)
				goto bad;
			if (kind != KB_AUTH_ECDSA && bits < 1024)
				goto bad;
			r->key_bits = (uint16_t)bits;
		} else if (enum_value(hashes, tok, &h) == 0 &&
			   r->n_hashes < COUNT(r->hashes)) {
			r->hashes[r->n_hashes++] = (uint8_t)h;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "'%s' is not an authentication method keybridge knows "
		 "(psk, pubkey, rsa, rsa/pss, ecdsa, ed25519, optionally "
		 "with a key size and hashes, e.g. rsa/pss-2048-sha256)",
		 s);
	return -EINVAL;
}

/* start_action = none | trap | start | trap|start (route = trap). */
static int parse_start(const char *s, unsigned *out)
{
	char buf[64], *save = NULL, *tok;
	unsigned v = 0;

	if (strcmp(s, "none") == 0) {
		*out = KB_START_NONE;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save)) {
		if (strcmp(tok, "trap") == 0 || strcmp(tok, "route") == 0)
			v |= KB_START_TRAP;
		else if (strcmp(tok, "start") == 0)
			v |= KB_START_START;
		else
			return -EINVAL;
	}
	if (!v || s[strlen(s) - 1] == '|')
		return -EINVAL;
	*out = v;
	return 0;
}

/* A file name relative to <confdir>/<subdir> (swanctl's x509, x509ca,
 * pubkey, private directories) or absolute; it must be readable now, so
 * that --check-config finds a missing certificate. */
static int resolve_file(struct load *ld, const char *name, const char *subdir,
			char *out, size_t len)
{
	int n;

	if (name[0] == '/')
		n = snprintf(out, len, "%s", name);
	else
		n = snprintf(out, len, "%s/%s/%s", ld->cfg->dir, subdir, name);
	if (n < 0 || (size_t)n >= len)
		return -E2BIG;
	return access(out, R_OK) == 0 ? 0 : -errno;
}

/* Comma-separated list into an array of `size`-byte elements. */
static void set_list(struct load *ld, const struct conf_section *s,
		     const struct conf_kv *kv, const struct key_def *d,
		     uint8_t *base)
{
	const char *pos = kv->value;
	uint8_t *count = base + d->off2;
	unsigned max = d->type == V_ADDRS ? KB_CONF_MAX_ADDRS
		       : d->type == V_TS  ? KB_CONF_MAX_TS
					  : KB_CONF_MAX_FILES;
	char item[KB_CONF_PATH_MAX];
	int rc;

	*count = 0;
	while ((rc = conf_value_item(&pos, item, sizeof(item))) > 0) {
		if (*count >= max) {
			bad_kv(ld, s, kv, "more than %u entries", max);
			return;
		}
		if (d->type == V_ADDRS) {
			struct kb_addr *a = (struct kb_addr *)(base + d->off);

			if (conf_value_addr(item, &a[*count]) < 0) {
				bad_kv(ld, s, kv,
				       "'%s' is not an address, CIDR subnet, "
				       "range, %%any or DNS name",
				       item);
				continue;
			}
		} else if (d->type == V_TS) {
			struct kb_ts *t = (struct kb_ts *)(base + d->off);

			if (conf_value_ts(item, &t[*count]) < 0) {
				bad_kv(ld, s, kv,
				       "'%s' is not a traffic selector "
				       "(dynamic, address, CIDR subnet or "
				       "range, optionally [proto/port])",
				       item);
				continue;
			}
		} else {
			char(*f)[KB_CONF_PATH_MAX] =
				(char(*)[KB_CONF_PATH_MAX])(base + d->off);

			rc = resolve_file(ld, item, d->extra, f[*count],
					  KB_CONF_PATH_MAX);
			if (rc < 0) {
				bad_kv(ld, s, kv, "cannot read '%s': %s",
				       f[*count], strerror(-rc));
				continue;
			}
		}
		(*count)++;
	}
	if (rc < 0)
		bad_kv(ld, s, kv, "%s",
		       rc == -E2BIG ? "list entry too long"
				    : "empty entry in the list");
}

/* Values that are numbers: version, ports, durations, volumes. */
static void set_number(struct load *ld, const struct conf_section *s,
		       const struct conf_kv *kv, const struct key_def *d,
		       uint8_t *field)
{
	const char *v = kv->value;
	uint64_t u;
	int rc = 0;

	switch (d->type) {
	case V_VERSION:
		if (conf_value_uint(v, 2, &u) < 0)
			bad_kv(ld, s, kv, "expected 0 (any) or 2, not '%s'", v);
		else if (u == 1)
			bad_kv(ld, s, kv,
			       "IKEv1 is not supported by "
			       "keybridge (use 0 or 2)");
		else
			*field = (uint8_t)u;
		return;
	case V_PORT:
		if ((rc = conf_value_uint(v, 65535, &u)) < 0 || u == 0)
			bad_kv(ld, s, kv,
			       "expected a UDP port 1-65535, not "
			       "'%s'",
			       v);
		else
			memcpy(field, &(uint16_t){ (uint16_t)u }, 2);
		return;
	case V_TIME:
		if ((rc = conf_value_duration(v, &u)) < 0)
			bad_kv(ld, s, kv,
			       "expected a duration such as 90, 30s, 5m, 1h "
			       "or 2d, not '%s' %s",
			       v, errno_text(rc));
		else
			memcpy(field, &u, sizeof(u));
		return;
	case V_VOLUME:
		if ((rc = conf_value_volume(v, &u)) < 0)
			bad_kv(ld, s, kv,
			       "expected a count such as 1000, 64k, 512M or "
			       "1G, not '%s' %s",
			       v, errno_text(rc));
		else
			memcpy(field, &u, sizeof(u));
		return;
	case V_U32:
		if ((rc = conf_value_uint(v, UINT32_MAX, &u)) < 0)
			bad_kv(ld, s, kv, "expected a number 0-%u, not '%s'",
			       UINT32_MAX, v);
		else
			memcpy(field, &(uint32_t){ (uint32_t)u }, 4);
		return;
	default: return;
	}
}

/* updown = PATH [ARGS]: strongSwan hands the line to /bin/sh; the
 * program (the first word) must be executable now, so that a check finds
 * a missing or non-executable script before a tunnel comes up. */
static void set_updown(struct load *ld, const struct conf_section *s,
		       const struct conf_kv *kv, char *field)
{
	char prog[KB_CONF_PATH_MAX];
	size_t n = strcspn(kv->value, " \t");

	if (strlen(kv->value) >= KB_CONF_UPDOWN_MAX) {
		bad_kv(ld, s, kv, "longer than %d characters",
		       KB_CONF_UPDOWN_MAX - 1);
		return;
	}
	if (n >= sizeof(prog) || kv->value[0] != '/') {
		bad_kv(ld, s, kv, "'%.*s' is not an absolute path to a program",
		       (int)(n < 200 ? n : 200), kv->value);
		return;
	}
	memcpy(prog, kv->value, n);
	prog[n] = '\0';
	if (access(prog, X_OK) < 0) {
		bad_kv(ld, s, kv, "cannot execute '%s': %s", prog,
		       strerror(errno));
		return;
	}
	strcpy(field, kv->value);
}

/* mark_in / mark_out = value[/mask] and if_id_in / if_id_out = value, as
 * swanctl.conf(5): decimal or 0x hexadecimal, a mark's mask 0xffffffff
 * when left out and its value masked. strongSwan's %unique and
 * %unique-dir (a fresh value per CHILD or IKE SA) are refused. */
static void set_mark_ifid(struct load *ld, const struct conf_section *s,
			  const struct conf_kv *kv, const struct key_def *d,
			  uint8_t *field)
{
	const char *v = kv->value, *slash = strchr(v, '/');
	char value[32];
	uint64_t val, mask = UINT32_MAX;
	size_t n = slash && d->type == V_MARK ? (size_t)(slash - v) : strlen(v);

	if (strncasecmp(v, "%unique", 7) == 0) {
		bad_kv(ld, s, kv,
		       "'%s' is not supported by keybridge (give a number)", v);
		return;
	}
	if (n >= sizeof(value))
		goto bad;
	memcpy(value, v, n);
	value[n] = '\0';
	if (conf_value_uint(value, UINT32_MAX, &val) < 0 ||
	    (slash && d->type == V_MARK &&
	     conf_value_uint(slash + 1, UINT32_MAX, &mask) < 0))
		goto bad;
	if (d->type == V_IF_ID) {
		memcpy(field, &(uint32_t){ (uint32_t)val }, 4);
		return;
	}
	memcpy(field,
	       &(struct kb_mark){ (uint32_t)(val & mask), (uint32_t)mask },
	       sizeof(struct kb_mark));
	return;
bad:
	bad_kv(ld, s, kv, "expected %s, not '%s'",
	       d->type == V_MARK
		       ? "a mark value[/mask] such as 42 or 0x2a/0xff "
			 "(32 bits each)"
		       : "an interface ID 0-4294967295",
	       v);
}

/* Values that are words: enums, booleans, start_action, proposals. */
static void set_word(struct load *ld, const struct conf_section *s,
		     const struct conf_kv *kv, const struct key_def *d,
		     uint8_t *field)
{
	const char *v = kv->value;
	char err[400];
	bool b;
	int e;

	switch (d->type) {
	case V_ENUM:
		if (enum_value(d->extra, v, &e) < 0) {
			enum_expected(d->extra, err, sizeof(err));
			bad_kv(ld, s, kv, "expected one of %s, not '%s'", err,
			       v);
		} else {
			memcpy(field, &e, sizeof(e));
		}
		return;
	case V_BOOL:
		if (conf_value_bool(v, &b) < 0)
			bad_kv(ld, s, kv, "expected yes or no, not '%s'", v);
		else
			*(bool *)field = b;
		return;
	case V_SEND_CERT:
		if (strcmp(v, "always") == 0)
			*(enum kb_send_cert *)field = KB_SEND_CERT_ALWAYS;
		else if (strcmp(v, "ifasked") == 0)
			*(enum kb_send_cert *)field = KB_SEND_CERT_IFASKED;
		else if (strcmp(v, "never") == 0)
			*(enum kb_send_cert *)field = KB_SEND_CERT_NEVER;
		else
			bad_kv(ld, s, kv,
			       "expected always, ifasked or never, not '%s'",
			       v);
		return;
	case V_SEND_CERTREQ:
		if (conf_value_bool(v, &b) < 0)
			bad_kv(ld, s, kv, "expected yes or no, not '%s'", v);
		else
			*(bool *)field = b;
		return;
	case V_UPDOWN: set_updown(ld, s, kv, (char *)field); return;
	case V_MARK:
	case V_IF_ID: set_mark_ifid(ld, s, kv, d, field); return;
	case V_START:
		if (parse_start(v, (unsigned *)field) < 0)
			bad_kv(ld, s, kv,
			       "expected none, trap, start or trap|start, not "
			       "'%s'",
			       v);
		return;
	case V_IKE_PROPOSALS:
	case V_ESP_PROPOSALS:
		if (conf_proposal_parse(
			    v,
			    d->type == V_IKE_PROPOSALS ? PROTO_IKE : PROTO_ESP,
			    (struct kb_proposals *)field, err, sizeof(err)) < 0)
			bad_kv(ld, s, kv, "%s", err);
		return;
	default: set_number(ld, s, kv, d, field); return;
	}
}

/* Sets one key of a section whose table is `defs` into `base`. Returns the
 * table index, or -1 for an unknown key. */
static int set_key(struct load *ld, const struct conf_section *s,
		   const struct conf_kv *kv, const struct key_def *defs,
		   size_t n, uint8_t *base)
{
	struct kb_auth_round *r = (struct kb_auth_round *)base;
	uint8_t id_type;
	char err[400];

	for (size_t i = 0; i < n; i++) {
		const struct key_def *d = &defs[i];

		if (strcmp(d->name, kv->key) != 0)
			continue;
		if (!kv->value) /* "key =": the default applies */
			return (int)i;
		switch (d->type) {
		case V_ADDRS:
		case V_TS:
		case V_FILES: set_list(ld, s, kv, d, base); break;
		case V_AUTH:
			if (parse_auth(kv->value, r, err, sizeof(err)) < 0)
				bad_kv(ld, s, kv, "%s", err);
			break;
		case V_POOLS:
			conf_pool_conn_pools(s, kv, ld->cfg,
					     (struct kb_conn *)base, ld->diag);
			break;
		case V_VIPS:
			conf_pool_conn_vips(s, kv, (struct kb_conn *)base,
					    ld->diag);
			break;
		case V_ID:
			if (strlen(kv->value) >= sizeof(r->id) ||
			    conf_value_id_type(kv->value, &r->id_type) < 0)
				bad_kv(ld, s, kv, "'%s' is not an identity",
				       kv->value);
			else
				strcpy(r->id, kv->value);
			break;
		case V_EAP_ID:
			if (strlen(kv->value) >= sizeof(r->eap_id) ||
			    conf_value_id_type(kv->value, &id_type) < 0)
				bad_kv(ld, s, kv, "'%s' is not an identity",
				       kv->value);
			else
				strcpy(r->eap_id, kv->value);
			break;
		default: set_word(ld, s, kv, d, base + d->off); break;
		}
		return (int)i;
	}
	return -1;
}

/* Reads every key of `s` by table; returns a bitmask of the keys set (with
 * a value). */
static uint32_t set_keys(struct load *ld, const struct conf_section *s,
			 const struct section_kind *k, uint8_t *base)
{
	uint32_t set = 0;

	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next) {
		int i = set_key(ld, s, kv, k->defs, k->n, base);

		if (i < 0)
			unknown_key(ld, s, kv, k);
		else if (kv->value)
			set |= 1u << i;
	}
	return set;
}

static bool name_ok(struct load *ld, const struct conf_section *s)
{
	if (strlen(s->name) >= KB_CONF_NAME_MAX) {
		bad_section(ld, s, "name longer than %d characters",
			    KB_CONF_NAME_MAX - 1);
		return false;
	}
	return true;
}

static size_t key_index(const struct key_def *defs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return i;
	return 31;
}

#define IS_SET(set, defs, name)                                                \
	(((set) >> key_index(defs, COUNT(defs), name)) & 1)

/* --- sections ------------------------------------------------------------ */

/* Returns a copy of arr[n] with one more zeroed element and frees arr
 * (wiped: the arrays of secrets must not leave copies behind). */
static void *grow(struct load *ld, void *arr, size_t n, size_t size)
{
	uint8_t *p = calloc(n + 1, size);

	if (!p) {
		ld->oom = true;
		return NULL;
	}
	if (arr) {
		memcpy(p, arr, n * size);
		explicit_bzero(arr, n * size);
		free(arr);
	}
	return p;
}

/* Derived CHILD_SA lifetimes as strongSwan's vici check_lifetimes(): hard
 * = soft + 10%, jitter = hard - soft. */
static void child_lifetime(uint64_t rekey, uint64_t *life, uint64_t *rand,
			   bool life_set, bool rand_set)
{
	if (!life_set)
		*life = rekey / 100 * 110 + rekey % 100 * 110 / 100;
	if (!rand_set)
		*rand = *life - (*life < rekey ? *life : rekey);
}

static void check_child_times(struct load *ld, const struct conf_section *s,
			      const char *what, uint64_t rekey, uint64_t life,
			      uint64_t rand, bool life_set, bool rand_set)
{
	if (life_set && rekey && life && life <= rekey)
		bad_section(ld, s,
			    "life_%s (%llu) must be greater than "
			    "rekey_%s (%llu)",
			    what, (unsigned long long)life, what,
			    (unsigned long long)rekey);
	if (rand_set && rekey && rand >= rekey)
		bad_section(ld, s,
			    "rand_%s (%llu) must be smaller than "
			    "rekey_%s (%llu)",
			    what, (unsigned long long)rand, what,
			    (unsigned long long)rekey);
}

static void load_child(struct load *ld, const struct conf_section *s,
		       struct kb_child *c)
{
	uint32_t set;

	snprintf(c->name, sizeof(c->name), "%s", s->name);
	c->n_local_ts = c->n_remote_ts = 1;
	c->local_ts[0].dynamic = c->remote_ts[0].dynamic = true;
	c->local_ts[0].port_to = c->remote_ts[0].port_to = 65535;
	conf_proposal_default(PROTO_ESP, &c->esp_proposals);
	c->mode = KB_MODE_TUNNEL;
	c->dpd_action = KB_ACTION_NONE; /* "clear" */
	c->rekey_time = 3600;		/* swanctl.conf(5): 1h */
	c->replay_window = 32;
	snprintf(c->src_file, sizeof(c->src_file), "%s",
		 s->file ? s->file : "");
	c->src_line = s->line;
	set = set_keys(ld, s, &child_kind, (uint8_t *)c);
	for (struct conf_section *sub = s->subs; sub; sub = sub->next)
		bad_section(ld, sub, "unknown section");
#define CS(k) IS_SET(set, child_keys, k)
	child_lifetime(c->rekey_time, &c->life_time, &c->rand_time,
		       CS("life_time"), CS("rand_time"));
	child_lifetime(c->rekey_bytes, &c->life_bytes, &c->rand_bytes,
		       CS("life_bytes"), CS("rand_bytes"));
	child_lifetime(c->rekey_packets, &c->life_packets, &c->rand_packets,
		       CS("life_packets"), CS("rand_packets"));
	check_child_times(ld, s, "time", c->rekey_time, c->life_time,
			  c->rand_time, CS("life_time"), CS("rand_time"));
	check_child_times(ld, s, "bytes", c->rekey_bytes, c->life_bytes,
			  c->rand_bytes, CS("life_bytes"), CS("rand_bytes"));
	check_child_times(ld, s, "packets", c->rekey_packets, c->life_packets,
			  c->rand_packets, CS("life_packets"),
			  CS("rand_packets"));
#undef CS
}

static void load_children(struct load *ld, const struct conf_section *s,
			  struct kb_conn *conn)
{
	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next)
		unknown_key(ld, s, kv, NULL);
	for (struct conf_section *sub = s->subs; sub && !ld->oom;
	     sub = sub->next) {
		struct kb_child *c;

		if (!name_ok(ld, sub))
			continue;
		c = grow(ld, conn->children, conn->n_children, sizeof(*c));
		if (!c)
			return;
		conn->children = c;
		load_child(ld, sub, &c[conn->n_children++]);
	}
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void load_round(struct load *ld, const struct conf_section *s,
		       struct kb_auth_round *r, bool remote)
{
	const struct conf_kv *kv;

	set_keys(ld, s, remote ? &remote_kind : &local_kind, (uint8_t *)r);
	if (r->eap_id[0] && r->auth != KB_AUTH_EAP_MSCHAPV2 &&
	    (kv = conf_tree_kv(s, "eap_id")))
		bad_kv(ld, s, kv, "eap_id needs auth = eap-mschapv2");
	for (struct conf_section *sub = s->subs; sub; sub = sub->next) {
		if (has_prefix(sub->name, "cert") ||
		    (remote && has_prefix(sub->name, "cacert")))
			bad_section(ld, sub,
				    "certificate sections are not "
				    "supported by keybridge (use "
				    "certs/cacerts)");
		else
			bad_section(ld, sub, "unknown section");
	}
}

static void conn_sub(struct load *ld, const struct conf_section *sub,
		     struct kb_conn *c)
{
	if (strcmp(sub->name, "local") == 0)
		load_round(ld, sub, &c->local, false);
	else if (strcmp(sub->name, "remote") == 0)
		load_round(ld, sub, &c->remote, true);
	else if (strcmp(sub->name, "children") == 0)
		load_children(ld, sub, c);
	else if (has_prefix(sub->name, "local") ||
		 has_prefix(sub->name, "remote"))
		bad_section(ld, sub,
			    "multiple authentication rounds (RFC "
			    "4739) are not supported by keybridge; "
			    "use 'local' and 'remote'");
	else
		bad_section(ld, sub, "unknown section");
}

static void load_conn(struct load *ld, const struct conf_section *s,
		      struct kb_conn *c)
{
	uint32_t set;
	size_t errors;

	snprintf(c->name, sizeof(c->name), "%s", s->name);
	c->n_local_addrs = c->n_remote_addrs = 1; /* %any */
	c->local_port = c->remote_port = 500;
	conf_proposal_default(PROTO_IKE, &c->proposals);
	c->rekey_time = 4 * 3600; /* swanctl.conf(5): 4h */
	c->keyingtries = 1;
	c->fragmentation = KB_FRAG_YES;
	c->local.auth = c->remote.auth = KB_AUTH_PUBKEY;
	strcpy(c->remote.id, "%any");
	/* strongSwan's default is ifasked; keybridge sends its certificate
	 * unasked too, as it always did, so peers pinning no CA still get
	 * it (doc/configuration.md) */
	c->send_cert = KB_SEND_CERT_ALWAYS;
	c->send_certreq = true;
	snprintf(c->src_file, sizeof(c->src_file), "%s",
		 s->file ? s->file : "");
	c->src_line = s->line;
	errors = conf_diag_errors(ld->diag);
	set = set_keys(ld, s, &conn_kind, (uint8_t *)c);
	c->mobike_set = IS_SET(set, conn_keys, "mobike");
	for (struct conf_section *sub = s->subs; sub && !ld->oom;
	     sub = sub->next)
		conn_sub(ld, sub, c);
	if (c->local.auth == KB_AUTH_EAP_MSCHAPV2 &&
	    c->remote.auth == KB_AUTH_EAP_MSCHAPV2)
		bad_section(ld, s,
			    "eap-mschapv2 on both sides: one side is the EAP "
			    "server and proves itself otherwise");
	/* vici: over_time = 10% of the longer of rekey_time and
	 * reauth_time, rand_time = min(over_time, half the shorter one) */
	{
		uint64_t hi = c->rekey_time > c->reauth_time ? c->rekey_time
							     : c->reauth_time;
		uint64_t lo = !c->reauth_time  ? c->rekey_time
			      : !c->rekey_time ? c->reauth_time
					       : (c->rekey_time < c->reauth_time
							  ? c->rekey_time
							  : c->reauth_time);

		if (!IS_SET(set, conn_keys, "over_time"))
			c->over_time = hi / 10;
		if (!IS_SET(set, conn_keys, "rand_time"))
			c->rand_time =
				c->over_time < lo / 2 ? c->over_time : lo / 2;
		if (lo && c->rand_time >= lo)
			bad_section(ld, s,
				    "rand_time must be smaller than rekey_time "
				    "and reauth_time");
	}
	for (size_t i = 0; i < c->n_children; i++) {
		struct kb_child *ch = &c->children[i];
		bool any = true;

		/* swanctl.conf(5): a child's unset if_id is the connection's */
		if (!ch->if_id_in)
			ch->if_id_in = c->if_id_in;
		if (!ch->if_id_out)
			ch->if_id_out = c->if_id_out;
		if (ch->mode == KB_MODE_PASS || ch->mode == KB_MODE_DROP)
			continue; /* a shunt is never initiated */

		for (unsigned a = 0; a < c->n_remote_addrs; a++)
			if (c->remote_addrs[a].type == KB_ADDR_HOST ||
			    c->remote_addrs[a].type == KB_ADDR_FQDN)
				any = false;
		if ((ch->start_action & KB_START_START) && any)
			bad_section(ld, s,
				    "child '%s' has start_action = "
				    "start but remote_addrs names no "
				    "address or DNS name to initiate to",
				    ch->name);
	}
	c->n_errors = (unsigned)(conf_diag_errors(ld->diag) - errors);
}

static void load_connections(struct load *ld, const struct conf_section *s)
{
	struct kb_config *cfg = ld->cfg;

	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next)
		unknown_key(ld, s, kv, NULL);
	for (struct conf_section *sub = s->subs; sub && !ld->oom;
	     sub = sub->next) {
		struct kb_conn *c;

		if (!name_ok(ld, sub))
			continue;
		c = grow(ld, cfg->conns, cfg->n_conns, sizeof(*c));
		if (!c)
			return;
		cfg->conns = c;
		load_conn(ld, sub, &c[cfg->n_conns++]);
	}
}

/* secrets.ike<suffix> { id<suffix> = ..., secret = ... } */
static void load_ike_secret(struct load *ld, const struct conf_section *s,
			    struct kb_ike_secret *sec)
{
	bool have_secret = false;

	snprintf(sec->name, sizeof(sec->name), "%s", s->name);
	snprintf(sec->src_file, sizeof(sec->src_file), "%s",
		 s->file ? s->file : "");
	sec->src_line = s->line;
	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next) {
		uint8_t type;

		if (!kv->value) {
			continue;
		} else if (strcmp(kv->key, "secret") == 0) {
			int rc = conf_value_secret(kv->value, sec->secret,
						   sizeof(sec->secret),
						   &sec->secret_len);

			if (rc < 0)
				bad_kv(ld, s, kv,
				       rc == -E2BIG ? "longer than %d bytes"
						    : "not a secret: use text, "
						      "0x<hex> or 0s<base64> "
						      "(limit %d bytes)",
				       KB_CONF_SECRET_MAX);
			have_secret = rc == 0;
		} else if (has_prefix(kv->key, "id")) {
			if (sec->n_ids >= KB_CONF_MAX_IDS)
				bad_kv(ld, s, kv, "more than %d identities",
				       KB_CONF_MAX_IDS);
			else if (strlen(kv->value) >= KB_CONF_ID_MAX ||
				 conf_value_id_type(kv->value, &type) < 0)
				bad_kv(ld, s, kv, "'%s' is not an identity",
				       kv->value);
			else
				strcpy(sec->ids[sec->n_ids++], kv->value);
		} else {
			unknown_key(ld, s, kv, NULL);
		}
	}
	if (!have_secret && !conf_tree_kv(s, "secret"))
		bad_section(ld, s, "has no 'secret'");
}

static const char *const key_kind_names[KB_KEY_KINDS] = {
	"private", "rsa", "ecdsa", "pkcs8", "pkcs12",
};

const char *config_key_kind_name(enum kb_key_kind kind)
{
	return kind < KB_KEY_KINDS ? key_kind_names[kind] : "?";
}

/* The kind of key secret a secrets subsection name starts with, or -1.
 * "pkcs12" before "pkcs1…" would matter only for made-up names. */
static int key_kind_of(const char *name)
{
	for (int k = KB_KEY_KINDS - 1; k >= 0; k--)
		if (has_prefix(name, key_kind_names[k]))
			return k;
	return -1;
}

/* secrets.private<suffix> { file = ..., secret = ... }, and rsa, ecdsa,
 * pkcs8, pkcs12 alike: the passphrase of one file of that directory. */
static void load_private_secret(struct load *ld, const struct conf_section *s,
				struct kb_private_secret *sec)
{
	snprintf(sec->name, sizeof(sec->name), "%s", s->name);
	sec->kind = (enum kb_key_kind)key_kind_of(s->name);
	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next) {
		int rc;

		if (!kv->value)
			continue;
		if (strcmp(kv->key, "file") == 0) {
			rc = resolve_file(ld, kv->value,
					  key_kind_names[sec->kind], sec->file,
					  sizeof(sec->file));
			if (rc < 0)
				bad_kv(ld, s, kv, "cannot read '%s': %s",
				       sec->file, strerror(-rc));
		} else if (strcmp(kv->key, "secret") == 0) {
			rc = conf_value_secret(kv->value, sec->secret,
					       sizeof(sec->secret),
					       &sec->secret_len);
			if (rc < 0)
				bad_kv(ld, s, kv,
				       "not a passphrase (limit %d "
				       "bytes)",
				       KB_CONF_SECRET_MAX);
		} else {
			unknown_key(ld, s, kv, NULL);
		}
	}
	if (!sec->file[0] && !conf_tree_kv(s, "file"))
		bad_section(ld, s, "has no 'file'");
}

static void load_secrets(struct load *ld, const struct conf_section *s)
{
	static const char *const others[] = { "xauth", "ntlm", "ppk", "token" };
	struct kb_config *cfg = ld->cfg;

	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next)
		unknown_key(ld, s, kv, NULL);
	for (struct conf_section *sub = s->subs; sub && !ld->oom;
	     sub = sub->next) {
		bool other = false;

		if (!name_ok(ld, sub))
			continue;
		if (has_prefix(sub->name, "ike")) {
			struct kb_ike_secret *p =
				grow(ld, cfg->ike_secrets, cfg->n_ike_secrets,
				     sizeof(*p));
			if (!p)
				return;
			cfg->ike_secrets = p;
			load_ike_secret(ld, sub, &p[cfg->n_ike_secrets++]);
			continue;
		}
		if (has_prefix(sub->name, "eap")) {
			struct kb_ike_secret *p =
				grow(ld, cfg->eap_secrets, cfg->n_eap_secrets,
				     sizeof(*p));
			if (!p)
				return;
			cfg->eap_secrets = p;
			load_ike_secret(ld, sub, &p[cfg->n_eap_secrets]);
			if (!p[cfg->n_eap_secrets++].n_ids &&
			    !conf_tree_kv(sub, "id"))
				bad_section(ld, sub,
					    "has no 'id' (the EAP user the "
					    "password belongs to)");
			continue;
		}
		if (key_kind_of(sub->name) >= 0) {
			struct kb_private_secret *p =
				grow(ld, cfg->private_secrets,
				     cfg->n_private_secrets, sizeof(*p));
			if (!p)
				return;
			cfg->private_secrets = p;
			load_private_secret(ld, sub,
					    &p[cfg->n_private_secrets++]);
			continue;
		}
		for (size_t i = 0; i < COUNT(others); i++)
			other |= has_prefix(sub->name, others[i]);
		bad_section(ld, sub,
			    other ? "not supported by keybridge (ike, eap, "
				    "private, rsa, ecdsa, pkcs8 and pkcs12 "
				    "secrets are)"
				  : "unknown kind of secret (ike, eap, "
				    "private, rsa, ecdsa, pkcs8 or "
				    "pkcs12<suffix>)");
	}
}

static void load_root(struct load *ld, const struct conf_section *root)
{
	for (struct conf_kv *kv = root->kvs; kv; kv = kv->next)
		unknown_key(ld, root, kv, NULL);
	/* pools first: connections name them */
	for (struct conf_section *s = root->subs; s && !ld->oom; s = s->next)
		if (strcmp(s->name, "pools") == 0 && !ld->cfg->pools &&
		    conf_pool_load(s, ld->cfg, ld->diag) < 0)
			ld->oom = true;
	for (struct conf_section *s = root->subs; s && !ld->oom; s = s->next) {
		if (strcmp(s->name, "pools") == 0)
			; /* above (a second one: merged by the parser) */
		else if (strcmp(s->name, "connections") == 0)
			load_connections(ld, s);
		else if (strcmp(s->name, "secrets") == 0)
			load_secrets(ld, s);
		else if (s->referenced)
			; /* a template for references, read where used */
		else if (strcmp(s->name, "authorities") == 0) {
			if (!ld->cfg->authorities &&
			    conf_authority_load(s, ld->cfg, ld->diag) < 0)
				ld->oom = true;
		} else
			bad_section(ld, s, "unknown section");
	}
}

static struct kb_config *load_tree(struct conf_tree *tree, const char *name,
				   const char *confdir, struct conf_diag *diag)
{
	struct kb_config *cfg;
	struct load ld = { .diag = diag };
	char *copy;

	if (!tree)
		return NULL;
	cfg = calloc(1, sizeof(*cfg));
	copy = strdup(name);
	if (!cfg || !copy) {
		free(cfg);
		free(copy);
		conf_tree_free(tree);
		return NULL;
	}
	snprintf(cfg->dir, sizeof(cfg->dir), "%s",
		 confdir ? confdir : dirname(copy));
	free(copy);
	ld.cfg = cfg;
	load_root(&ld, &tree->root);
	conf_tree_free(tree);
	if (ld.oom) {
		conf_diag_add(diag, NULL, 0, NULL, "out of memory");
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct kb_config *config_load_file_dir(const char *path, const char *confdir,
				       struct conf_diag *diag)
{
	return load_tree(conf_tree_parse_file(path, diag), path, confdir, diag);
}

struct kb_config *config_load_file(const char *path, struct conf_diag *diag)
{
	return config_load_file_dir(path, NULL, diag);
}

struct kb_config *config_load_string(const char *text, size_t len,
				     const char *name, struct conf_diag *diag)
{
	return load_tree(conf_tree_parse_string(text, len, name, diag), name,
			 NULL, diag);
}

void config_free(struct kb_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_conns; i++)
		free(cfg->conns[i].children);
	free(cfg->conns);
	for (size_t i = 0; i < cfg->n_ike_secrets; i++)
		explicit_bzero(&cfg->ike_secrets[i],
			       sizeof(cfg->ike_secrets[i]));
	for (size_t i = 0; i < cfg->n_private_secrets; i++)
		explicit_bzero(&cfg->private_secrets[i],
			       sizeof(cfg->private_secrets[i]));
	for (size_t i = 0; i < cfg->n_eap_secrets; i++)
		explicit_bzero(&cfg->eap_secrets[i],
			       sizeof(cfg->eap_secrets[i]));
	free(cfg->ike_secrets);
	free(cfg->eap_secrets);
	free(cfg->private_secrets);
	free(cfg->pools);
	free(cfg->authorities);
	free(cfg);
}

const struct kb_conn *config_conn(const struct kb_config *cfg, const char *name)
{
	for (size_t i = 0; cfg && i < cfg->n_conns; i++)
		if (strcmp(cfg->conns[i].name, name) == 0)
			return &cfg->conns[i];
	return NULL;
}

const struct kb_pool *config_pool(const struct kb_config *cfg, const char *name)
{
	for (size_t i = 0; cfg && i < cfg->n_pools; i++)
		if (strcmp(cfg->pools[i].name, name) == 0)
			return &cfg->pools[i];
	return NULL;
}

const struct kb_child *config_child(const struct kb_conn *conn,
				    const char *name)
{
	for (size_t i = 0; conn && i < conn->n_children; i++)
		if (strcmp(conn->children[i].name, name) == 0)
			return &conn->children[i];
	return NULL;
}

static void each_of(const char *prefix, const struct key_def *defs, size_t n,
		    void (*fn)(const char *, void *), void *arg)
{
	char name[128];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.%s", prefix, defs[i].name);
		fn(name, arg);
	}
}

void config_each_key(void (*fn)(const char *name, void *arg), void *arg)
{
	each_of("connections.<conn>", conn_keys, COUNT(conn_keys), fn, arg);
	each_of("connections.<conn>.local", local_keys, COUNT(local_keys), fn,
		arg);
	each_of("connections.<conn>.remote", remote_keys, COUNT(remote_keys),
		fn, arg);
	each_of("connections.<conn>.children.<child>", child_keys,
		COUNT(child_keys), fn, arg);
	fn("secrets.ike<suffix>.id<suffix>", arg);
	fn("secrets.ike<suffix>.secret", arg);
	fn("pools.<name>.addrs", arg);
	fn("pools.<name>.dns", arg);
	fn("pools.<name>.subnet", arg);
	fn("authorities.<name>.cacert", arg);
	fn("authorities.<name>.file", arg);
	fn("authorities.<name>.crl_uris", arg);
	fn("secrets.eap<suffix>.id<suffix>", arg);
	fn("secrets.eap<suffix>.secret", arg);
	for (int k = 0; k < KB_KEY_KINDS; k++) {
		char name[64];

		snprintf(name, sizeof(name), "secrets.%s<suffix>.file",
			 key_kind_names[k]);
		fn(name, arg);
		snprintf(name, sizeof(name), "secrets.%s<suffix>.secret",
			 key_kind_names[k]);
		fn(name, arg);
	}
}

static void each_swanctl_of(const struct section_kind *k,
			    void (*fn)(const char *, bool, void *), void *arg)
{
	char name[128];

	for (size_t i = 0; i < k->n; i++) {
		snprintf(name, sizeof(name), "%s.%s", k->doc, k->defs[i].name);
		fn(name, true, arg);
	}
	for (size_t i = 0; i < k->n_unsupported; i++) {
		snprintf(name, sizeof(name), "%s.%s", k->doc,
			 k->unsupported[i]);
		fn(name, false, arg);
	}
}

void config_each_swanctl_key(void (*fn)(const char *name, bool supported,
					void *arg),
			     void *arg)
{
	static const char *const sections[] = {
		"connections.<conn>.local<suffix>",
		"connections.<conn>.remote<suffix>",
		"connections.<conn>.local.cert<suffix>",
		"connections.<conn>.remote.cert<suffix>",
		"connections.<conn>.remote.cacert<suffix>",
		"secrets.xauth<suffix>",
		"secrets.ntlm<suffix>",
		"secrets.ppk<suffix>",
		"secrets.token<suffix>",
		"pools.<name>.nbns",
		"pools.<name>.dhcp",
		"pools.<name>.netmask",
		"pools.<name>.server",
		"pools.<name>.split_include",
		"pools.<name>.split_exclude",
		"pools.<name>.<attr>",
		"authorities.<name>.handle",
		"authorities.<name>.slot",
		"authorities.<name>.module",
		"authorities.<name>.cert_uri_base",
		"authorities.<name>.ocsp_uris",
	};
	char name[128];

	each_swanctl_of(&conn_kind, fn, arg);
	each_swanctl_of(&local_kind, fn, arg);
	each_swanctl_of(&remote_kind, fn, arg);
	each_swanctl_of(&child_kind, fn, arg);
	fn("secrets.ike<suffix>.id<suffix>", true, arg);
	fn("secrets.ike<suffix>.secret", true, arg);
	fn("pools.<name>.addrs", true, arg);
	fn("pools.<name>.dns", true, arg);
	fn("pools.<name>.subnet", true, arg);
	fn("authorities.<name>.cacert", true, arg);
	fn("authorities.<name>.file", true, arg);
	fn("authorities.<name>.crl_uris", true, arg);
	fn("secrets.eap<suffix>.id<suffix>", true, arg);
	fn("secrets.eap<suffix>.secret", true, arg);
	for (int k = 0; k < KB_KEY_KINDS; k++) {
		snprintf(name, sizeof(name), "secrets.%s<suffix>.file",
			 key_kind_names[k]);
		fn(name, true, arg);
		snprintf(name, sizeof(name), "secrets.%s<suffix>.secret",
			 key_kind_names[k]);
		fn(name, true, arg);
	}
	for (size_t i = 0; i < COUNT(sections); i++)
		fn(sections[i], false, arg);
}
