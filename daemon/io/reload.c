/* SIGHUP: reload the configuration. New connections start, removed ones are
 * torn down, changed ones restart, unchanged ones keep running untouched.
 * Errors never tear anything down: a connection with an error in the new
 * file keeps running with its previous settings (a new one is not added),
 * and an error outside any connection (syntax, secrets) cancels the whole
 * reload. */
#include "io/daemon_int.h"
#include "io/log.h"
#include "io/loop.h"
#include "io/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next connection table being assembled. */
struct reload_table {
	struct conns next;
	bool *keep;
	unsigned n_new, n_changed, n_kept, n_removed, n_carried;
};

static bool reload_push(struct reload_table *t, const struct engine_conn *c,
			const struct conn_extra *x, bool keep)
{
	size_t n = t->next.n + 1;
	struct engine_conn *conn = realloc(t->next.conn, n * sizeof(*conn));
	struct conn_extra *extra;
	bool *k;

	if (!conn)
		return false;
	t->next.conn = conn;
	extra = realloc(t->next.extra, n * sizeof(*extra));
	if (!extra)
		return false;
	t->next.extra = extra;
	k = realloc(t->keep, n * sizeof(*k));
	if (!k)
		return false;
	t->keep = k;
	conn[n - 1] = *c;
	extra[n - 1] = *x;
	k[n - 1] = keep;
	t->next.n = n;
	return true;
}

/* True if an error names connection `name` ("…: connections.NAME.key: …"
 * or conns.c's "conn NAME: …"). */
static bool reload_conn_has_errors(const struct conf_diag *diag,
				   const char *name)
{
	char a[96], b[96];

	snprintf(a, sizeof(a), "connections.%s.", name);
	snprintf(b, sizeof(b), "conn %s:", name);
	return conf_diag_contains(diag, a) || conf_diag_contains(diag, b);
}

/* True if some error is about no connection in particular. */
static bool reload_has_global_errors(const struct conf_diag *diag)
{
	for (size_t i = 0; i < diag->count; i++)
		if (!strstr(diag->msgs[i], "connections.") &&
		    !strstr(diag->msgs[i], "conn "))
			return true;
	return diag->dropped > 0;
}

/* Carries the current version of connection `j` over into the next
 * table. */
static bool reload_carry(struct daemon *d, size_t j, struct reload_table *t)
{
	t->n_carried++;
	log_msg(LOG_LVL_WARNING, d->conns.conn[j].name,
		"not reloaded (configuration errors above); it keeps running "
		"with its previous settings");
	return reload_push(t, &d->conns.conn[j], &d->conns.extra[j], true);
}

/* Builds the next table from the freshly loaded connections and the
 * current ones that errors keep. */
static bool reload_merge(struct daemon *d, struct conns *fresh,
			 const struct conf_diag *diag, struct reload_table *t)
{
	const struct conns *cur = &d->conns;

	for (size_t i = 0; i < fresh->n; i++) {
		int j = conns_find(cur, fresh->conn[i].name);
		bool same = j >= 0 &&
			    cur->extra[j].digest == fresh->extra[i].digest;

		if (reload_conn_has_errors(diag, fresh->conn[i].name)) {
			if (j >= 0 && !reload_carry(d, (size_t)j, t))
				return false;
			continue;
		}
		if (j < 0)
			t->n_new++;
		else if (same)
			t->n_kept++;
		else
			t->n_changed++;
		if (!reload_push(t, &fresh->conn[i], &fresh->extra[i], same))
			return false;
	}
	for (size_t j = 0; j < cur->n; j++) {
		if (conns_find(fresh, cur->conn[j].name) >= 0)
			continue;
		if (reload_conn_has_errors(diag, cur->conn[j].name)) {
			if (!reload_carry(d, j, t))
				return false;
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
	t->next.warnings = fresh->warnings;
	fresh->keys = NULL;
	fresh->n_keys = 0;
	fresh->certs = NULL;
	fresh->n_certs = 0;
	memset(&fresh->warnings, 0, sizeof(fresh->warnings));
	return true;
}

/* Removes trap policies of connections that go or change; installs and
 * initiates those that are new or changed. */
static void reload_apply(struct daemon *d, const struct reload_table *t,
			 uint64_t now)
{
	for (size_t j = 0; j < d->conns.n; j++) {
		int i = conns_find(&t->next, d->conns.conn[j].name);

		if ((i < 0 || !t->keep[i]) &&
		    (d->conns.extra[j].start_action & KB_START_TRAP))
			daemon_trap(d, &d->conns.conn[j], true);
	}
	if (engine_conns_replace(d->engine, now, t->next.conn, t->keep,
				 t->next.n) < 0) {
		log_msg(LOG_LVL_ERR, NULL,
			"reload: out of memory; the "
			"previous configuration stays");
		return;
	}
}

static void reload_retire(struct daemon *d)
{
	struct conns *r = realloc(d->retired, (d->n_retired + 1) * sizeof(*r));

	if (!r) { /* keep the keys alive rather than free them under SAs */
		log_msg(LOG_LVL_ERR, NULL, "reload: out of memory");
		return;
	}
	d->retired = r;
	r[d->n_retired++] = d->conns;
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
	struct kb_config *cfg;
	uint64_t now = loop_now_ms();

	notify_reloading();
	log_msg(LOG_LVL_NOTICE, NULL, "SIGHUP: reloading %s",
		d->opts->conf_path);
	cfg = config_load_file(d->opts->conf_path, &diag);
	if (cfg && conns_build(cfg, &fresh, &diag) == 0)
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
	reload_apply(d, &t, now);
	reload_retire(d);
	d->conns = t.next;
	memset(&t.next, 0, sizeof(t.next));
	config_free(d->cfg);
	d->cfg = cfg;
	cfg = NULL;
	for (size_t i = 0; i < d->conns.n; i++)
		if (!t.keep[i])
			daemon_start_conn(d, i, now);
	log_msg(LOG_LVL_NOTICE, NULL,
		"reloaded: %u new, %u changed, %u unchanged, %u removed, %u "
		"kept despite errors",
		t.n_new, t.n_changed, t.n_kept, t.n_removed, t.n_carried);
	daemon_run_actions(d, now);
out:
	free(t.keep);
	conns_free(&t.next);
	conns_free(&fresh);
	config_free(cfg);
	conf_diag_free(&diag);
	notify_ready();
}
