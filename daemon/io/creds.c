/* swanctl's credential directories; see creds.h. */
#include "io/creds.h"

#include "crypto/auth.h"
#include "crypto/crypto.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CREDS_MAX_FILES = 1024 }; /* per directory */

struct creds_ld {
	const struct kb_config *cfg;
	struct creds *c;
	struct conf_diag *diag, *warn;
	bool oom;
};

static int creds_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of <confdir>/<sub>, sorted (as a listing would show
 * them); a missing directory has none. Returns how many, -1 on error. */
static int creds_list(struct creds_ld *ld, const char *sub, char ***out)
{
	char dir[KB_CONF_PATH_MAX + 16], path[KB_CONF_PATH_MAX + 300];
	char **names = NULL;
	struct dirent *e;
	struct stat st;
	int n = 0;
	DIR *d;

	*out = NULL;
	snprintf(dir, sizeof(dir), "%s/%s", ld->cfg->dir, sub);
	if (!(d = opendir(dir))) {
		if (errno != ENOENT)
			conf_diag_add(ld->diag, dir, 0, NULL,
				      "cannot read the directory: %s",
				      strerror(errno));
		return errno == ENOENT ? 0 : -1;
	}
	while ((e = readdir(d))) {
		char **grown;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n >= CREDS_MAX_FILES) {
			conf_diag_add(ld->diag, dir, 0, NULL,
				      "more than %d files: the rest are not "
				      "loaded",
				      CREDS_MAX_FILES);
			break;
		}
		grown = realloc(names, (size_t)(n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(path))) {
			names = grown ? grown : names;
			ld->oom = true;
			break;
		}
		names = grown;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, (size_t)n, sizeof(*names), creds_name_cmp);
	*out = names;
	return n;
}

static void creds_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static struct creds_item *creds_push(struct creds_ld *ld,
				     struct creds_item **arr, size_t *n,
				     const char *path)
{
	struct creds_item *grown = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!grown) {
		ld->oom = true;
		return NULL;
	}
	*arr = grown;
	memset(&grown[*n], 0, sizeof(grown[*n]));
	snprintf(grown[*n].path, sizeof(grown[*n].path), "%s", path);
	return &grown[(*n)++];
}

/* A file that exists but cannot be opened: say why. */
static bool creds_readable(struct creds_ld *ld, const char *path)
{
	if (access(path, R_OK) == 0)
		return true;
	conf_diag_add(ld->diag, path, 0, NULL, "cannot read: %s",
		      strerror(errno));
	return false;
}

static void creds_load_certs(struct creds_ld *ld, const char *sub,
			     struct creds_item **arr, size_t *n)
{
	char **names;
	int count = creds_list(ld, sub, &names);

	for (int i = 0; i < count && !ld->oom; i++) {
		struct auth_cert *cert;
		struct creds_item *it;

		if (!creds_readable(ld, names[i]))
			continue;
		if (auth_cert_load(names[i], &cert)) {
			conf_diag_add(ld->diag, names[i], 0, NULL,
				      "not an X.509 certificate (PEM or DER)");
			continue;
		}
		if (!(it = creds_push(ld, arr, n, names[i]))) {
			auth_cert_free(cert);
			break;
		}
		it->cert = cert;
		if (auth_cert_key(cert, &it->key))
			conf_diag_add(ld->diag, names[i], 0, NULL,
				      "the certificate's public key is of a "
				      "kind keybridge cannot use");
	}
	creds_names_free(names, count > 0 ? count : 0);
}

static void creds_load_pubkeys(struct creds_ld *ld)
{
	char **names;
	int count = creds_list(ld, "pubkey", &names);

	for (int i = 0; i < count && !ld->oom; i++) {
		struct auth_key *key;
		struct creds_item *it;

		if (!creds_readable(ld, names[i]))
			continue;
		if (auth_key_load_public(names[i], &key)) {
			conf_diag_add(ld->diag, names[i], 0, NULL,
				      "not a public key (PEM or DER)");
			continue;
		}
		if (!(it = creds_push(ld, &ld->c->pubkeys, &ld->c->n_pubkeys,
				      names[i]))) {
			auth_key_free(key);
			break;
		}
		it->key = key;
	}
	creds_names_free(names, count > 0 ? count : 0);
}

/* The secrets.<kind><suffix> section whose file is `path`, or NULL. */
static const struct kb_private_secret *
creds_secret_for(const struct creds_ld *ld, enum kb_key_kind kind,
		 const char *path)
{
	char want[PATH_MAX], have[PATH_MAX];

	if (!realpath(path, want))
		return NULL;
	for (size_t i = 0; i < ld->cfg->n_private_secrets; i++) {
		const struct kb_private_secret *s =
			&ld->cfg->private_secrets[i];

		if (s->kind == kind && realpath(s->file, have) &&
		    strcmp(want, have) == 0)
			return s;
	}
	return NULL;
}

static void creds_key_error(struct creds_ld *ld, enum kb_key_kind kind,
			    const char *path, const struct kb_private_secret *s,
			    int rc)
{
	const char *k = config_key_kind_name(kind);
	const char *base = strrchr(path, '/');

	if (rc == CRYPTO_E_KEY_PASSPHRASE && s && s->secret_len)
		conf_diag_add(ld->diag, path, 0, NULL,
			      "wrong passphrase (secrets.%s.secret)", s->name);
	else if (rc == CRYPTO_E_KEY_PASSPHRASE)
		conf_diag_add(ld->diag, path, 0, NULL,
			      "encrypted, and no secrets.%s<suffix> section "
			      "with file = %s gives its passphrase",
			      k, base ? base + 1 : path);
	else if (kind == KB_KEY_PKCS12)
		conf_diag_add(ld->diag, path, 0, NULL,
			      "not a PKCS#12 file with a key and its "
			      "certificate");
	else
		conf_diag_add(ld->diag, path, 0, NULL,
			      "not a private key (PEM or DER, PKCS#8 or "
			      "traditional RSA/EC)");
}

static void creds_load_key(struct creds_ld *ld, enum kb_key_kind kind,
			   const char *path)
{
	const struct kb_private_secret *s = creds_secret_for(ld, kind, path);
	const uint8_t *pass = s && s->secret_len ? s->secret : NULL;
	size_t pass_len = s ? s->secret_len : 0;
	struct auth_cert *cert = NULL;
	struct auth_key *key = NULL;
	struct creds_item *it;
	int rc;

	if (!creds_readable(ld, path))
		return;
	if (kind == KB_KEY_PKCS12)
		rc = auth_pkcs12_load(path, pass, pass_len, &key, &cert);
	else
		rc = auth_key_load_private_pass(path, pass, pass_len, &key);
	if (rc) {
		creds_key_error(ld, kind, path, s, rc);
		return;
	}
	if (!(it = creds_push(ld, &ld->c->keys, &ld->c->n_keys, path))) {
		auth_key_free(key);
		auth_cert_free(cert);
		return;
	}
	it->key = key;
	if (!cert)
		return;
	if (!(it = creds_push(ld, &ld->c->certs, &ld->c->n_certs, path))) {
		auth_cert_free(cert);
		return;
	}
	it->cert = cert;
	if (auth_cert_key(cert, &it->key))
		it->key = NULL;
}

static void creds_load_crl(struct creds_ld *ld, const char *path)
{
	struct creds *c = ld->c;
	struct auth_crl *crl, **grown;

	if (!creds_readable(ld, path))
		return;
	if (auth_crl_load(path, &crl)) {
		conf_diag_add(ld->diag, path, 0, NULL,
			      "not a certificate revocation list (PEM or DER)");
		return;
	}
	grown = realloc(c->crls, (c->n_crls + 1) * sizeof(*grown));
	if (!grown) {
		auth_crl_free(crl);
		ld->oom = true;
		return;
	}
	c->crls = grown;
	grown[c->n_crls++] = crl;
}

/* authorities { }: each CA certificate trusted as those of x509ca/, its
 * CRLs loaded as those of x509crl/. */
static void creds_load_authorities(struct creds_ld *ld)
{
	const struct kb_config *cfg = ld->cfg;
	struct creds *c = ld->c;

	for (size_t i = 0; i < cfg->n_authorities && !ld->oom; i++) {
		const struct kb_authority *a = &cfg->authorities[i];
		struct auth_cert *cert;
		struct creds_item *it;

		if (auth_cert_load(a->cacert, &cert)) {
			conf_diag_add(ld->diag, a->cacert, 0, NULL,
				      "authorities.%s: not an X.509 "
				      "certificate (PEM or DER)",
				      a->name);
		} else if (!auth_cert_is_ca(cert)) {
			conf_diag_add(ld->diag, a->cacert, 0, NULL,
				      "authorities.%s: not a CA certificate "
				      "(basicConstraints CA:TRUE)",
				      a->name);
			auth_cert_free(cert);
		} else if (!(it = creds_push(ld, &c->cas, &c->n_cas,
					     a->cacert))) {
			auth_cert_free(cert);
			return;
		} else {
			it->cert = cert;
			if (auth_cert_key(cert, &it->key))
				it->key = NULL;
		}
		for (unsigned k = 0; k < a->n_crls && !ld->oom; k++)
			creds_load_crl(ld, a->crls[k]);
	}
}

/* True if `path` is one of the files of the kind's directory. */
static bool creds_in_list(char **names, int n, const char *path)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (!realpath(path, a))
		return false;
	for (int i = 0; i < n; i++)
		if (realpath(names[i], b) && strcmp(a, b) == 0)
			return true;
	return false;
}

/* Every file of the kind's directory, and the files its secrets name
 * elsewhere (an absolute `file`). */
static void creds_load_keys(struct creds_ld *ld, enum kb_key_kind kind)
{
	char **names;
	int count = creds_list(ld, config_key_kind_name(kind), &names);

	for (int i = 0; i < count && !ld->oom; i++)
		creds_load_key(ld, kind, names[i]);
	for (size_t i = 0; i < ld->cfg->n_private_secrets && !ld->oom; i++) {
		const struct kb_private_secret *s =
			&ld->cfg->private_secrets[i];

		if (s->kind == kind && s->file[0] &&
		    !creds_in_list(names, count, s->file) &&
		    access(s->file, F_OK) == 0)
			creds_load_key(ld, kind, s->file);
	}
	creds_names_free(names, count > 0 ? count : 0);
}

int creds_load(const struct kb_config *cfg, struct creds *out,
	       struct conf_diag *diag, struct conf_diag *warnings)
{
	struct creds_ld ld = { cfg, out, diag, warnings, false };
	char **names;
	int n;

	memset(out, 0, sizeof(*out));
	creds_load_certs(&ld, "x509", &out->certs, &out->n_certs);
	creds_load_certs(&ld, "x509ca", &out->cas, &out->n_cas);
	creds_load_pubkeys(&ld);
	for (int k = 0; k < KB_KEY_KINDS && !ld.oom; k++)
		creds_load_keys(&ld, (enum kb_key_kind)k);
	n = creds_list(&ld, "x509crl", &names);
	for (int i = 0; i < n && !ld.oom; i++)
		creds_load_crl(&ld, names[i]);
	creds_names_free(names, n > 0 ? n : 0);
	creds_load_authorities(&ld);
	if (ld.oom) {
		creds_free(out, true);
		return -ENOMEM;
	}
	return 0;
}

struct creds_item *creds_private_for(struct creds *c,
				     const struct auth_key *pub)
{
	for (size_t i = 0; pub && i < c->n_keys; i++) {
		if (auth_key_public_eq(c->keys[i].key, pub)) {
			c->keys[i].used = true;
			return &c->keys[i];
		}
	}
	return NULL;
}

struct creds_item *creds_cert_for_id(struct creds *c, uint8_t type,
				     const uint8_t *data, size_t len)
{
	struct creds_item *first = NULL;

	for (size_t i = 0; i < c->n_certs; i++) {
		struct creds_item *it = &c->certs[i];

		if (!it->cert || !it->key ||
		    !auth_cert_names_id(it->cert, type, data, len))
			continue;
		for (size_t k = 0; k < c->n_keys; k++)
			if (auth_key_public_eq(c->keys[k].key, it->key))
				return it;
		if (!first)
			first = it;
	}
	return first;
}

int creds_trust(struct creds *c, const struct auth_cert *const *anchors,
		size_t n_anchors, struct auth_trust **out)
{
	struct creds_item *lists[] = { c->certs, c->cas };
	size_t counts[] = { c->n_certs, c->n_cas };
	struct auth_trust *t;
	int r = 0;

	*out = NULL;
	if (!n_anchors && !c->n_cas)
		return -ENOENT;
	if (auth_trust_new(&t))
		return -ENOMEM;
	for (size_t i = 0; i < n_anchors && !r; i++)
		r = auth_trust_add_cert(t, anchors[i], true);
	for (size_t i = 0; !n_anchors && i < c->n_cas && !r; i++) {
		c->cas[i].used = true;
		r = auth_trust_add_cert(t, c->cas[i].cert, true);
	}
	for (size_t l = 0; l < 2 && !r; l++)
		for (size_t i = 0; i < counts[l] && !r; i++)
			if (lists[l][i].cert &&
			    auth_cert_is_ca(lists[l][i].cert))
				r = auth_trust_add_cert(t, lists[l][i].cert,
							false);
	for (size_t i = 0; i < c->n_crls && !r; i++)
		r = auth_trust_add_crl(t, c->crls[i]);
	if (r) {
		auth_trust_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

/* A CA certificate of x509/ or x509ca/ that issued `cert`, or NULL. */
static const struct auth_cert *creds_issuer(const struct creds *c,
					    const struct auth_cert *cert)
{
	const struct creds_item *lists[] = { c->cas, c->certs };
	size_t counts[] = { c->n_cas, c->n_certs };

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const struct auth_cert *ca = lists[l][i].cert;

			if (ca && ca != cert && auth_cert_is_ca(ca) &&
			    auth_cert_issued_by(cert, ca))
				return ca;
		}
	return NULL;
}

size_t creds_chain(const struct creds *c, const struct auth_cert *leaf,
		   const struct auth_cert **out, size_t max)
{
	const struct auth_cert *cur = leaf, *up;
	size_t n = 0;

	while (n < max && (up = creds_issuer(c, cur)) &&
	       !auth_cert_issued_by(up, up)) {
		for (size_t k = 0; k < n; k++)
			if (out[k] == up)
				return n; /* a loop of cross-signed CAs */
		out[n++] = up;
		cur = up;
	}
	return n;
}

void creds_warn_unused(const struct creds *c, struct conf_diag *warnings)
{
	for (size_t i = 0; i < c->n_keys; i++)
		if (!c->keys[i].used)
			conf_diag_add(warnings, c->keys[i].path, 0, NULL,
				      "no connection uses this key (no "
				      "certificate or public key of a "
				      "connection matches it)");
}

static void creds_items_free(struct creds_item *arr, size_t n, bool objects)
{
	for (size_t i = 0; objects && i < n; i++) {
		auth_cert_free(arr[i].cert);
		auth_key_free(arr[i].key);
	}
	free(arr);
}

void creds_free(struct creds *c, bool objects)
{
	creds_items_free(c->certs, c->n_certs, objects);
	creds_items_free(c->cas, c->n_cas, objects);
	creds_items_free(c->pubkeys, c->n_pubkeys, objects);
	creds_items_free(c->keys, c->n_keys, objects);
	for (size_t i = 0; i < c->n_crls; i++)
		auth_crl_free(c->crls[i]);
	free(c->crls);
	memset(c, 0, sizeof(*c));
}
