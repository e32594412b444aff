/* The authorities section of swanctl.conf; see conf_authority.h. */
#include "config/conf_authority.h"

#include "config/conf_value.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* strongSwan's authority keys keybridge does not implement: refused by
 * name (PKCS#11 tokens, OCSP, hash-and-URL). */
static const char *const auth_unsupported[] = {
	"handle", "slot", "module", "cert_uri_base", "ocsp_uris",
};

static void auth_bad(struct conf_diag *d, const struct conf_section *s,
		     const struct conf_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void auth_bad(struct conf_diag *d, const struct conf_section *s,
		     const struct conf_kv *kv, const char *fmt, ...)
{
	char path[512], key[600], msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_tree_path(s, path, sizeof(path));
	if (kv) {
		snprintf(key, sizeof(key), "%s.%s", path, kv->key);
		conf_diag_add(d, kv->file, kv->line, key, "%s", msg);
	} else {
		conf_diag_add(d, s->file, s->line, path, "%s", msg);
	}
}

/* `name` relative to <dir>/<sub> or absolute, into `out`; readable now. */
static int auth_file(const struct kb_config *cfg, const char *sub,
		     const char *name, char *out, size_t len)
{
	int n = name[0] == '/'
			? snprintf(out, len, "%s", name)
			: snprintf(out, len, "%s/%s/%s", cfg->dir, sub, name);

	if (n < 0 || (size_t)n >= len)
		return -E2BIG;
	return access(out, R_OK) == 0 ? 0 : -errno;
}

static void auth_cacert(const struct conf_section *s, const struct conf_kv *kv,
			const struct kb_config *cfg, struct kb_authority *a,
			struct conf_diag *d)
{
	bool file = strcmp(kv->key, "file") == 0;
	int rc;

	if (a->cacert[0]) {
		auth_bad(d, s, kv,
			 "the authority has its certificate already "
			 "(cacert or file, one of them)");
		return;
	}
	if (file && kv->value[0] != '/') {
		auth_bad(d, s, kv, "expected an absolute path, not '%s'",
			 kv->value);
		return;
	}
	rc = auth_file(cfg, "x509ca", kv->value, a->cacert, sizeof(a->cacert));
	if (rc < 0) {
		auth_bad(d, s, kv, "cannot read '%s': %s", a->cacert,
			 strerror(-rc));
		a->cacert[0] = '\0';
	}
}

/* crl_uris: file:///path or /path, each readable now; other schemes name
 * places keybridge would have to fetch from. */
static void auth_crls(const struct conf_section *s, const struct conf_kv *kv,
		      struct kb_authority *a, struct conf_diag *d)
{
	const char *pos = kv->value;
	char item[KB_CONF_PATH_MAX + 16];
	int rc;

	while ((rc = conf_value_item(&pos, item, sizeof(item))) > 0) {
		const char *path = item;
		char *out;

		if (strncmp(item, "file://", 7) == 0)
			path = item + 7;
		if (path[0] != '/') {
			auth_bad(d, s, kv,
				 "'%s' is not supported by keybridge: it "
				 "fetches no CRLs; give a file:// URI or an "
				 "absolute path, or put the CRL in x509crl/",
				 item);
			continue;
		}
		if (a->n_crls >= KB_CONF_MAX_FILES) {
			auth_bad(d, s, kv, "more than %d CRLs",
				 KB_CONF_MAX_FILES);
			return;
		}
		out = a->crls[a->n_crls];
		if ((size_t)snprintf(out, KB_CONF_PATH_MAX, "%s", path) >=
		    KB_CONF_PATH_MAX) {
			auth_bad(d, s, kv, "path too long");
			continue;
		}
		if (access(out, R_OK) < 0) {
			auth_bad(d, s, kv, "cannot read '%s': %s", out,
				 strerror(errno));
			continue;
		}
		a->n_crls++;
	}
	if (rc < 0)
		auth_bad(d, s, kv, "expected a list of file:// URIs, not '%s'",
			 kv->value);
}

static void auth_one(const struct conf_section *s, const struct kb_config *cfg,
		     struct kb_authority *a, struct conf_diag *d)
{
	snprintf(a->name, sizeof(a->name), "%s", s->name);
	for (struct conf_section *sub = s->subs; sub; sub = sub->next)
		auth_bad(d, sub, NULL, "unknown section");
	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next) {
		bool unsupported = false;

		if (!kv->value)
			continue;
		if (strcmp(kv->key, "cacert") == 0 ||
		    strcmp(kv->key, "file") == 0) {
			auth_cacert(s, kv, cfg, a, d);
			continue;
		}
		if (strcmp(kv->key, "crl_uris") == 0) {
			auth_crls(s, kv, a, d);
			continue;
		}
		for (size_t i = 0;
		     i < sizeof(auth_unsupported) / sizeof(auth_unsupported[0]);
		     i++)
			unsupported |=
				strcmp(kv->key, auth_unsupported[i]) == 0;
		auth_bad(d, s, kv, "%s",
			 unsupported ? "not supported by keybridge"
				     : "unknown key");
	}
	if (!a->cacert[0] && !conf_tree_kv(s, "cacert") &&
	    !conf_tree_kv(s, "file"))
		auth_bad(d, s, NULL, "has no 'cacert' (or 'file')");
}

int conf_authority_load(const struct conf_section *s, struct kb_config *cfg,
			struct conf_diag *d)
{
	size_t n = 0;

	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next)
		auth_bad(d, s, kv, "unknown key");
	for (struct conf_section *sub = s->subs; sub; sub = sub->next)
		n++;
	cfg->authorities = calloc(n ? n : 1, sizeof(*cfg->authorities));
	if (!cfg->authorities)
		return -ENOMEM;
	for (struct conf_section *sub = s->subs; sub; sub = sub->next) {
		struct kb_authority *a = &cfg->authorities[cfg->n_authorities];
		unsigned before = (unsigned)conf_diag_errors(d);

		if (strlen(sub->name) >= KB_CONF_NAME_MAX) {
			auth_bad(d, sub, NULL, "name longer than %d characters",
				 KB_CONF_NAME_MAX - 1);
			continue;
		}
		auth_one(sub, cfg, a, d);
		if (conf_diag_errors(d) == before)
			cfg->n_authorities++;
		else
			memset(a, 0, sizeof(*a));
	}
	return 0;
}
