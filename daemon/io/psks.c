/* The table of pre-shared keys; see psks.h. */
#include "io/psks.h"

#include "config/conf_value.h"
#include "ike_iana.h"
#include "io/conns.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool psks_dn_wildcard(const char *text, uint8_t type)
{
	if (type != ID_DER_ASN1_DN)
		return false;
	for (const char *p = strchr(text, '='); p; p = strchr(p + 1, '=')) {
		const char *v = p + 1;

		while (*v == ' ')
			v++;
		if (*v++ != '*')
			continue;
		while (*v == ' ')
			v++;
		if (!*v || *v == ',' || *v == '/' || *v == ';' || *v == '+')
			return true;
	}
	return false;
}

static void psks_err(struct conf_diag *diag, const struct kb_ike_secret *s,
		     const char *what, const char *detail)
{
	conf_diag_add(diag, s->src_file[0] ? s->src_file : NULL, s->src_line,
		      NULL,
		      "secrets.%s: %s%s; this secret is not loaded, the "
		      "others are",
		      s->name, what, detail);
}

/* One secret into `k`, its owners appended at `ids`; false if refused. */
static bool psks_one(const struct kb_ike_secret *s, struct engine_psk *k,
		     struct engine_id *ids, struct conf_diag *diag)
{
	char msg[400];

	if (s->secret_len > sizeof(k->key)) {
		snprintf(msg, sizeof(msg), " (%zu bytes; keybridge keeps %zu)",
			 s->secret_len, sizeof(k->key));
		psks_err(diag, s, "the secret is too long", msg);
		return false;
	}
	for (unsigned i = 0; i < s->n_ids; i++) {
		uint8_t type = 0;

		bool bad = conf_value_id_type(s->ids[i], &type) < 0;

		if (!bad && psks_dn_wildcard(s->ids[i], type)) {
			snprintf(msg, sizeof(msg), " ('%s')", s->ids[i]);
			psks_err(diag, s,
				 "wildcards in a distinguished name are not "
				 "supported by keybridge (in FQDN and e-mail "
				 "identities they are: *@example.org)",
				 msg);
			return false;
		}
		if (bad || conns_id_parse(s->ids[i], type, &ids[i])) {
			snprintf(msg, sizeof(msg), " '%s'", s->ids[i]);
			psks_err(diag, s, "cannot use the identity", msg);
			return false;
		}
	}
	snprintf(k->name, sizeof(k->name), "%s", s->name);
	k->n_ids = s->n_ids;
	k->ids = s->n_ids ? ids : NULL;
	k->len = (uint16_t)s->secret_len;
	memcpy(k->key, s->secret, s->secret_len);
	return true;
}

int psks_build(const struct kb_config *cfg, struct psks *out,
	       struct conf_diag *diag)
{
	size_t n_ids = 0, used = 0;

	memset(out, 0, sizeof(*out));
	if (!cfg->n_ike_secrets)
		return 0;
	for (size_t i = 0; i < cfg->n_ike_secrets; i++)
		n_ids += cfg->ike_secrets[i].n_ids;
	out->keys = calloc(cfg->n_ike_secrets, sizeof(*out->keys));
	out->ids = calloc(n_ids ? n_ids : 1, sizeof(*out->ids));
	if (!out->keys || !out->ids) {
		psks_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_ike_secrets; i++) {
		const struct kb_ike_secret *s = &cfg->ike_secrets[i];

		if (psks_one(s, &out->keys[out->n], out->ids + used, diag)) {
			used += s->n_ids;
			out->n++;
		} else {
			OPENSSL_cleanse(&out->keys[out->n],
					sizeof(out->keys[out->n]));
		}
	}
	return 0;
}

void psks_free(struct psks *p)
{
	if (p->keys)
		OPENSSL_cleanse(p->keys, p->n * sizeof(*p->keys));
	free(p->keys);
	free(p->ids);
	memset(p, 0, sizeof(*p));
}
