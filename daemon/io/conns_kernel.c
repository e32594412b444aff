/* Backend capabilities applied to the configuration; see conns_kernel.h. */
#include "io/conns_kernel.h"

#include "config/conf_proposal.h"
#include "config/conf_tree.h"
#include "ike_iana.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Where child `child` of `conn` sets `key` (or, when it does not, where the
 * child starts), for "file:line:" in messages. Parses the configuration
 * again: this runs only when there is something to say. */
struct conns_loc {
	char file[KB_CONF_PATH_MAX];
	int line;
	char key[192];
};

static void conns_kernel_locate(const struct conns_opts *o, const char *conn,
				const char *child, const char *key,
				struct conns_loc *loc)
{
	struct conf_diag scratch = { 0 };
	struct conf_tree *t;
	const struct conf_section *s = NULL;
	const struct conf_kv *kv = NULL;

	memset(loc, 0, sizeof(*loc));
	snprintf(loc->key, sizeof(loc->key), "connections.%s.children.%s.%s",
		 conn, child, key);
	if (!o->conf_path)
		return;
	t = conf_tree_parse_file(o->conf_path, &scratch);
	if (t)
		s = conf_tree_sub(&t->root, "connections");
	if (s)
		s = conf_tree_sub(s, conn);
	if (s)
		s = conf_tree_sub(s, "children");
	if (s)
		s = conf_tree_sub(s, child);
	if (s)
		kv = conf_tree_kv(s, key);
	if (kv && kv->file) {
		snprintf(loc->file, sizeof(loc->file), "%s", kv->file);
		loc->line = kv->line;
	} else if (s && s->file) {
		snprintf(loc->file, sizeof(loc->file), "%s", s->file);
		loc->line = s->line;
	}
	conf_tree_free(t);
	conf_diag_free(&scratch);
}

/* Keeps in `ids` (`*n` of them) those `type` transforms the backend can
 * install; the reason for the first one dropped goes to `why`. Returns how
 * many were dropped. */
static unsigned conns_kernel_keep(const struct conns_opts *o, uint8_t type,
				  uint16_t *ids, uint8_t *n, char *why,
				  size_t len)
{
	uint8_t kept = 0;
	unsigned dropped = 0;
	char reason[256];

	for (uint8_t i = 0; i < *n; i++) {
		if (kernel_caps_check(o->caps, o->backend, type, ids[i], reason,
				      sizeof(reason)) == 0) {
			ids[kept++] = ids[i];
			continue;
		}
		if (!dropped++)
			snprintf(why, len, "%s", reason);
	}
	*n = kept;
	return dropped;
}

/* As conns_kernel_keep for the ciphers, which carry key lengths. */
static unsigned conns_kernel_keep_encr(const struct conns_opts *o,
				       struct kb_proposal *p, char *why,
				       size_t len)
{
	uint8_t kept = 0;
	unsigned dropped = 0;
	char reason[256];

	for (uint8_t i = 0; i < p->n_encr; i++) {
		if (kernel_caps_check(o->caps, o->backend, TRANS_ENCR,
				      p->encr[i].id, reason,
				      sizeof(reason)) == 0) {
			p->encr[kept++] = p->encr[i];
			continue;
		}
		if (!dropped++)
			snprintf(why, len, "%s", reason);
	}
	p->n_encr = kept;
	return dropped;
}

/* Filters one proposal; returns the number of transforms dropped (the
 * first reason in `why`), and in *usable whether it can still be
 * installed. */
static unsigned conns_kernel_proposal(const struct conns_opts *o,
				      struct kb_proposal *p, bool *usable,
				      char *why, size_t len)
{
	uint8_t n_integ = p->n_integ, n_esn = p->n_esn;
	char more[256];
	unsigned dropped = conns_kernel_keep_encr(o, p, why, len);

	dropped += conns_kernel_keep(o, TRANS_INTEG, p->integ, &p->n_integ,
				     dropped ? more : why,
				     dropped ? sizeof(more) : len);
	dropped += conns_kernel_keep(o, TRANS_ESN, p->esn, &p->n_esn,
				     dropped ? more : why,
				     dropped ? sizeof(more) : len);
	/* An AEAD proposal has no integrity transform (RFC 7296 §3.3). */
	*usable = p->n_encr && (!n_integ || p->n_integ) && (!n_esn || p->n_esn);
	return dropped;
}

static bool conns_kernel_is_default(const struct kb_proposals *ps)
{
	struct kb_proposals def;

	conf_proposal_default(PROTO_ESP, &def);
	return memcmp(&def, ps, sizeof(def)) == 0;
}

/* file:line: key: message, to `d`. */
static void conns_kernel_say(const struct conns_opts *o, struct conf_diag *d,
			     const char *conn, const char *child,
			     const char *key, const char *msg)
{
	struct conns_loc loc;

	conns_kernel_locate(o, conn, child, key, &loc);
	conf_diag_add(d, loc.file[0] ? loc.file : NULL, loc.line, loc.key, "%s",
		      msg);
}

static int conns_kernel_replay(const struct conns_opts *o, const char *conn,
			       const struct kb_child *ch,
			       struct conf_diag *diag)
{
	char msg[256];

	if (!o->caps->replay_max || ch->replay_window <= o->caps->replay_max)
		return 0;
	snprintf(msg, sizeof(msg),
		 "%u packets is more than the %s backend can install (%u)",
		 ch->replay_window, o->backend, o->caps->replay_max);
	conns_kernel_say(o, diag, conn, ch->name, "replay_window", msg);
	return -ENOTSUP;
}

int conns_kernel_marks(const struct conns_opts *o, const char *conn,
		       const struct kb_child *ch, struct conf_diag *diag)
{
	const char *key = ch->mark_in.value || ch->mark_in.mask	    ? "mark_in"
			  : ch->mark_out.value || ch->mark_out.mask ? "mark_out"
			  : ch->if_id_in			    ? "if_id_in"
			  : ch->if_id_out ? "if_id_out"
					  : NULL;
	char msg[256];

	if (!o || !o->caps || o->caps->marks || !key)
		return 0;
	snprintf(msg, sizeof(msg),
		 "the %s backend cannot put marks or XFRM interface IDs on SAs "
		 "and policies (use --kernel xfrm)",
		 o->backend);
	conns_kernel_say(o, diag, conn, ch->name, key, msg);
	return -ENOTSUP;
}

int conns_kernel_child(const struct conns_opts *o, const char *conn,
		       const struct kb_child *ch, struct kb_proposals *esp,
		       struct conf_diag *diag, struct conf_diag *warnings)
{
	bool deflt, usable;
	uint8_t kept = 0;
	char why[256], text[192], msg[640];
	int r = 0;

	if (!o || !o->caps)
		return 0;
	deflt = conns_kernel_is_default(esp);
	for (uint8_t i = 0; i < esp->count; i++) {
		struct kb_proposal p = esp->p[i];

		conf_proposal_str(&esp->p[i], text, sizeof(text));
		if (!conns_kernel_proposal(o, &p, &usable, why, sizeof(why))) {
			esp->p[kept++] = p;
			continue;
		}
		if (deflt && !usable)
			continue; /* strongSwan's default offers what it can */
		if (!usable) {
			snprintf(msg, sizeof(msg),
				 "proposal %u (%s) cannot be installed: %s",
				 i + 1, text, why);
			conns_kernel_say(o, diag, conn, ch->name,
					 "esp_proposals", msg);
			r = -ENOTSUP;
			continue;
		}
		if (!deflt) {
			snprintf(msg, sizeof(msg),
				 "proposal %u (%s): %s; left out of this "
				 "proposal",
				 i + 1, text, why);
			conns_kernel_say(o, warnings, conn, ch->name,
					 "esp_proposals", msg);
		}
		esp->p[kept++] = p;
	}
	esp->count = kept;
	if (!r && !kept) {
		snprintf(msg, sizeof(msg),
			 "no proposal the %s backend can install", o->backend);
		conns_kernel_say(o, diag, conn, ch->name, "esp_proposals", msg);
		r = -ENOTSUP;
	}
	if (conns_kernel_replay(o, conn, ch, diag))
		r = -ENOTSUP;
	if (conns_kernel_marks(o, conn, ch, diag))
		r = -ENOTSUP;
	return r;
}
