/* SIGHUP: reload the configuration. New connections start, removed ones are
 * torn down, changed ones restart, unchanged ones keep running untouched.
 * Errors never tear anything down: a connection with an error in the new
 * file keeps running with its previous settings (a new one is not added),
 * and an error outside any connection (syntax, secrets) cancels the whole
 * reload. */
#include "engine/reload.h"
#include "engine/pool.h"
#include "io/daemon_int.h"
#include "io/log.h"
#include "io/loop.h"
#include "io/names.h"
#include "io/notify.h"
#include "io/updown.h"
#include "io/worker.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next connection table being assembled. */
struct reload_table {
	struct conns next;
	bool *keep;
	unsigned n_new, n_changed, n_kept, n_removed, n_carried;
};

/* Room for every connection the next table can hold, allocated once: a
 * realloc would leave copies of pre-shared keys in freed memory. */
static bool reload_reserve(struct reload_table *t, size_t cap)
{
	t->next.conn = calloc(cap ? cap : 1, sizeof(*t->next.conn));
	t->next.extra = calloc(cap ? cap : 1, sizeof(*t->next.extra));
	t->keep = calloc(cap ? cap : 1, sizeof(*t->keep));
	return t->next.conn && t->next.extra && t->keep;
}

static void reload_push(struct reload_table *t, const struct engine_conn *c,
			const struct conn_extra *x, bool keep)
{
	size_t n = t->next.n;

	t->next.conn[n] = *c;
	t->next.extra[n] = *x;
	t->keep[n] = keep;
	t->next.n = n + 1;
}

/* The part of a diagnostic after its "file:line: " location, where the
 * key path starts ("connections.NAME.key: …"); conns.c's own messages
 * say "conn NAME: " after theirs. */
static const char *reload_diag_key(const char *msg)
{
	const char *p = strstr(msg, ": connections.");
	const char *c = strstr(msg, ": conn ");

	if (strncmp(msg, "conn ", 5) == 0)
		return msg;
	if (c && (!p || c < p))
		return c + 2;
	return p ? p + 2 : NULL;
}

/* True if an error is about connection `name`. */
static bool reload_conn_has_errors(const struct conf_diag *diag,
				   const char *name)
{
	char a[96], b[96];

	snprintf(a, sizeof(a), "connections.%s.", name);
	snprintf(b, sizeof(b), "conn %s:", name);
	for (size_t i = 0; i < diag->count; i++) {
		const char *k = reload_diag_key(diag->msgs[i]);

		if (k && (strncmp(k, a, strlen(a)) == 0 ||
			  strncmp(k, b, strlen(b)) == 0))
			return true;
	}
	return false;
}

/* True if some error is about no connection in particular (syntax,
 * secrets, a missing file). */
static bool reload_has_global_errors(const struct conf_diag *diag)
{
	for (size_t i = 0; i < diag->count; i++)
		if (!reload_diag_key(diag->msgs[i]))
			return true;
	return diag->dropped > 0;
}

/* Carries the current version of connection `j` over into the next
 * table. */
static void reload_carry(struct daemon *d, size_t j, struct reload_table *t)
{
	t->n_carried++;
	log_msg(LOG_LVL_WARNING, d->conns.conn[j].name,
		"not reloaded (configuration errors above); it keeps running "
		"with its previous settings");
	reload_push(t, &d->conns.conn[j], &d->conns.extra[j], true);
}

/* The shunts of connections that errors keep running as they were (a
 * connection of shunts only is in no table but this one). */
static int reload_carry_shunts(const struct conns *cur,
			       const struct conf_diag *diag,
			       struct shunts *next)
{
	for (size_t i = 0; i < cur->shunts.n; i++) {
		const char *name = cur->shunts.v[i].conn;

		if (i && !strcmp(name, cur->shunts.v[i - 1].conn))
			continue; /* each connection once */
		if (reload_conn_has_errors(diag, name) &&
		    shunt_carry(next, &cur->shunts, name) < 0)
			return -1;
	}
	return 0;
}

/* Builds the next table from the freshly loaded connections and the
 * current ones that errors keep. */
static bool reload_merge(struct daemon *d, struct conns *fresh,
			 const struct conf_diag *diag, struct reload_table *t)
{
	const struct conns *cur = &d->conns;

	if (!reload_reserve(t, fresh->n + cur->n))
		return false;
	for (size_t i = 0; i < fresh->n; i++) {
		int j = conns_find(cur, fresh->conn[i].name);
		bool same = j >= 0 &&
			    cur->extra[j].digest == fresh->extra[i].digest;

		if (reload_conn_has_errors(diag, fresh->conn[i].name)) {
			if (j >= 0)
				reload_carry(d, (size_t)j, t);
			continue;
		}
		if (j < 0)
			t->n_new++;
		else if (same)
			t->n_kept++;
		else
			t->n_changed++;
		reload_push(t, &fresh->conn[i], &fresh->extra[i], same);
	}
	for (size_t j = 0; j < cur->n; j++) {
		if (conns_find(fresh, cur->conn[j].name) >= 0)
			continue;
		if (reload_conn_has_errors(diag, cur->conn[j].name)) {
			reload_carry(d, j, t);
			continue;
		}
		t->n_removed++;
		log_msg(LOG_LVL_NOTICE, cur->conn[j].name,
			"removed from the configuration; tearing it down");
	}
	/* The fresh keys move to the next table; the current table's keys
	 * stay alive with it in d->retired. */
	t->next.keys = fresh->keys;
	t->next.n_keys = fresh->n_keys;
	t->next.certs = fresh->certs;
	t->next.n_certs = fresh->n_certs;
	t->next.trusts = fresh->trusts;
	t->next.n_trusts = fresh->n_trusts;
	t->next.eap_users = fresh->eap_users;
	t->next.n_eap_users = fresh->n_eap_users;
	t->next.psks = fresh->psks;
	t->next.warnings = fresh->warnings;
	t->next.shunts = fresh->shunts;
	memset(&fresh->shunts, 0, sizeof(fresh->shunts));
	fresh->keys = NULL;
	fresh->n_keys = 0;
	fresh->certs = NULL;
	fresh->n_certs = 0;
	fresh->trusts = NULL;
	fresh->n_trusts = 0;
	fresh->eap_users = NULL;
	fresh->n_eap_users = 0;
	memset(&fresh->psks, 0, sizeof(fresh->psks));
	memset(&fresh->warnings, 0, sizeof(fresh->warnings));
	/* after the moves: on failure each object has one owner left */
	return reload_carry_shunts(cur, diag, &t->next.shunts) == 0;
}

/* Hands the next table to the engine (which deletes the SAs of connections
 * that go or change), then removes those connections' trap policies. */
static int reload_apply(struct daemon *d, const struct reload_table *t,
			uint64_t now)
{
	/* every worker's engine; one that fails keeps the old table while
	 * the others have the new one: the reload is reported failed */
	for (unsigned i = 0; i < d->n_workers; i++)
		if (engine_conns_replace(d->workers[i].engine, now,
					 t->next.conn, t->keep, t->next.n) < 0)
			return -1;
	for (size_t j = 0; j < d->conns.n; j++) {
		int i = conns_find(&t->next, d->conns.conn[j].name);

		if ((i < 0 || !t->keep[i]) &&
		    (d->conns.extra[j].start_action & KB_START_TRAP))
			daemon_trap(d, &d->conns.conn[j], true);
	}
	return 0;
}

/* Keeps the current table's keys and certificates alive (SAs being
 * deleted may still use them, and connections carried over despite errors
 * still name them) until daemon_retired_collect() finds them unused; its
 * connections, PSKs included, go now: the engine has its own copy. */
static void reload_retire(struct daemon *d)
{
	struct conns *r = realloc(d->retired, (d->n_retired + 1) * sizeof(*r));
	struct conns *cur = &d->conns;

	if (cur->conn)
		OPENSSL_cleanse(cur->conn, cur->n * sizeof(*cur->conn));
	free(cur->conn);
	free(cur->extra);
	conf_diag_free(&cur->warnings);
	cur->conn = NULL;
	cur->extra = NULL;
	cur->n = 0;
	if (!r) { /* leak the keys rather than free them under live SAs */
		log_msg(LOG_LVL_ERR, NULL, "reload: out of memory");
		return;
	}
	d->retired = r;
	r[d->n_retired++] = *cur;
}

/* True if an engine still refers to a key or certificate of `c`. */
static bool reload_keys_in_use(const struct daemon *d, const struct conns *c)
{
	for (unsigned w = 0; w < d->n_workers; w++) {
		const struct engine *e = d->workers[w].engine;

		for (size_t i = 0; i < c->n_keys; i++)
			if (engine_auth_in_use(e, c->keys[i]))
				return true;
		for (size_t i = 0; i < c->n_certs; i++)
			if (engine_auth_in_use(e, c->certs[i]))
				return true;
		for (size_t i = 0; i < c->n_trusts; i++)
			if (engine_auth_in_use(e, c->trusts[i]))
				return true;
		if ((c->eap_users && engine_auth_in_use(e, c->eap_users)) ||
		    (c->psks.keys && engine_auth_in_use(e, c->psks.keys)))
			return true;
	}
	return false;
}

void daemon_retired_collect(struct daemon *d, uint64_t now, bool force)
{
	size_t n_ike = 0, kept = 0, n_engine_retired = 0;

	for (unsigned w = 0; w < d->n_workers; w++) {
		n_ike += engine_ike_count(d->workers[w].engine);
		n_engine_retired += engine_retired_count(d->workers[w].engine);
	}
	if (!d->n_retired && !n_engine_retired)
		return;
	if (!force && n_ike == d->retired_ike_count &&
	    now - d->retired_checked < 1000)
		return;
	d->retired_checked = now;
	d->retired_ike_count = n_ike;
	for (unsigned w = 0; w < d->n_workers; w++)
		(void)engine_retired_collect(d->workers[w].engine);
	for (size_t i = 0; i < d->n_retired; i++) {
		if (reload_keys_in_use(d, &d->retired[i]))
			d->retired[kept++] = d->retired[i];
		else
			conns_free(&d->retired[i]);
	}
	d->n_retired = kept;
	if (!kept) {
		free(d->retired);
		d->retired = NULL;
	}
}

static void reload_log_diag(const struct conf_diag *diag,
			    const struct conns *fresh)
{
	for (size_t i = 0; i < diag->count; i++)
		log_msg(LOG_LVL_ERR, NULL, "%s", diag->msgs[i]);
	for (size_t i = 0; i < fresh->warnings.count; i++)
		log_msg(LOG_LVL_WARNING, NULL, "%s", fresh->warnings.msgs[i]);
}

void daemon_reload(struct daemon *d)
{
	struct conf_diag diag = { 0 };
	struct conns fresh = { 0 };
	struct reload_table t = { 0 };
	struct shunts old_shunts = { 0 };
	struct kb_config *cfg;
	uint64_t now = loop_now_ms();

	notify_reloading();
	log_msg(LOG_LVL_NOTICE, NULL, "SIGHUP: reloading %s",
		d->opts->conf_path);
	cfg = config_load_file_dir(d->opts->conf_path, d->opts->confdir, &diag);
	if (cfg && conns_build_next(cfg, &d->conns, &d->next_reqid,
				    &d->conns_opts, &fresh, &diag) == 0)
		reload_log_diag(&diag, &fresh);
	if (cfg && reload_has_global_errors(&diag)) {
		log_msg(LOG_LVL_ERR, NULL,
			"reload cancelled: the errors above "
			"are not about one connection; "
			"everything keeps running as it was");
		goto out;
	}
	if (!cfg || !fresh.conn || !reload_merge(d, &fresh, &diag, &t)) {
		log_msg(LOG_LVL_ERR, NULL,
			"reload failed (out of memory); "
			"the previous configuration stays");
		goto out;
	}
	if (reload_apply(d, &t, now) < 0) {
		log_msg(LOG_LVL_ERR, NULL,
			"reload failed (out of memory); "
			"the previous configuration stays");
		goto out;
	}
	old_shunts = d->conns.shunts; /* replaced below, after the deletes */
	memset(&d->conns.shunts, 0, sizeof(d->conns.shunts));
	reload_retire(d);
	if (daemon_pools_replace(d, fresh.pools, fresh.n_pools) < 0)
		log_msg(LOG_LVL_ERR, NULL,
			"address pools not reloaded (out of memory); the "
			"previous ones stay");
	if (updown_configure(d->updown, cfg) < 0)
		log_msg(LOG_LVL_ERR, NULL,
			"updown settings not reloaded (out of memory); the "
			"previous ones stay");
	d->conns = t.next;
	memset(&t.next, 0, sizeof(t.next));
	names_sync(d);
	/* The deletes the engine queued go first, so that they cannot remove
	 * a trap policy installed again just below. */
	daemon_run_actions(d, now);
	shunt_replace(d->kops, d->kernel, &old_shunts, &d->conns.shunts,
		      &d->policy_seq);
	for (size_t i = 0; i < d->conns.n; i++)
		if (!t.keep[i])
			daemon_start_conn(d, i, now);
	log_msg(LOG_LVL_NOTICE, NULL,
		"reloaded: %u new, %u changed, %u unchanged, %u removed, %u "
		"kept despite errors",
		t.n_new, t.n_changed, t.n_kept, t.n_removed, t.n_carried);
	daemon_run_actions(d, now);
	daemon_retired_collect(d, now, true);
out:
	free(t.keep);
	conns_free(&t.next);
	conns_free(&fresh);
	shunt_free(&old_shunts);
	config_free(cfg);
	conf_diag_free(&diag);
	notify_ready();
}
