/* Replacing the connection table at run time (SIGHUP): unchanged
 * connections keep their IKE and CHILD SAs, the others are deleted with
 * their peers. SAs being deleted still point into the previous table, so
 * it is retired, and freed (PSKs wiped) once no SA points into it any more
 * (engine_retired_collect). */
#include "engine/reload.h"

#include "engine/ike_sa.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct engine_retired {
	struct engine_retired *next;
	struct engine_conn *conns;
	size_t n;
};

static const struct engine_child_cfg *
reload_child_cfg(const struct engine_conn *c, const char *name)
{
	for (unsigned i = 0; i < c->n_children; i++)
		if (strcmp(c->children[i].name, name) == 0)
			return &c->children[i];
	return NULL;
}

/* True if child configuration `cfg` (may be NULL) has a namesake in
 * `c`. */
static bool reload_child_ok(const struct engine_conn *c,
			    const struct engine_child_cfg *cfg)
{
	return !cfg || reload_child_cfg(c, cfg->name);
}

static void reload_child_move(const struct engine_conn *c,
			      const struct engine_child_cfg **cfg)
{
	if (*cfg)
		*cfg = reload_child_cfg(c, (*cfg)->name);
}

/* Points an SA, its children and its queued work at connection `c` of the
 * new table; false if a child's configuration is gone (then the SA must
 * go). Every pointer into the old table must move, or that table could
 * never be freed. */
static bool reload_repoint(struct ike_sa *sa, const struct engine_conn *c)
{
	struct child_sa *ch;
	struct task *t;

	for (ch = sa->children; ch; ch = ch->next)
		if (!reload_child_ok(c, ch->cfg))
			return false;
	if (sa->pending_child && !reload_child_ok(c, sa->pending_child->cfg))
		return false;
	for (t = sa->tasks; t; t = t->next)
		if (!reload_child_ok(c, t->cfg) ||
		    (t->child && !reload_child_ok(c, t->child->cfg)))
			return false;
	for (ch = sa->children; ch; ch = ch->next)
		reload_child_move(c, &ch->cfg);
	if (sa->pending_child)
		reload_child_move(c, &sa->pending_child->cfg);
	for (t = sa->tasks; t; t = t->next) {
		reload_child_move(c, &t->cfg);
		if (t->child && t->child->cfg)
			reload_child_move(c, &t->child->cfg);
	}
	sa->conn = c;
	sa_idx_sa_file(sa); /* its key and its CHILD SAs' moved */
	return true;
}

static const struct engine_conn *reload_find(const struct engine_conn *conns,
					     const bool *keep, size_t n,
					     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(conns[i].name, name) == 0)
			return keep[i] ? &conns[i] : NULL;
	return NULL;
}

int engine_conns_replace(struct engine *e, uint64_t now_ms,
			 const struct engine_conn *conns, const bool *keep,
			 size_t n)
{
	struct engine_retired *old = calloc(1, sizeof(*old));
	struct engine_conn *table = calloc(n ? n : 1, sizeof(*table));
	uint32_t *doomed = calloc(e->n_sas ? e->n_sas : 1, sizeof(*doomed));
	size_t n_doomed = 0;

	if (!old || !table || !doomed) {
		free(old);
		free(table);
		free(doomed);
		return -ENOMEM;
	}
	if (n)
		memcpy(table, conns, n * sizeof(*table));
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		const struct engine_conn *c;

		if (!sa->conn) /* half-open responder: picks at IKE_AUTH */
			continue;
		c = reload_find(table, keep, n, sa->conn->name);
		if (!c || !reload_repoint(sa, c))
			doomed[n_doomed++] = sa->id;
	}
	*old = (struct engine_retired){ e->retired, e->conns, e->n_conns };
	e->retired = old;
	e->conns = table;
	e->n_conns = n;
	for (size_t i = 0; i < n_doomed; i++) {
		struct ike_sa *sa = ike_sa_by_id(e, doomed[i]);

		if (sa)
			engine_log(e, sa, 5,
				   "connection removed or changed by a "
				   "reload; deleting the IKE SA");
		(void)engine_terminate(e, now_ms, doomed[i]);
	}
	free(doomed);
	(void)engine_retired_collect(e);
	return 0;
}

/* True if `p` points into the table [t, t + n). */
static bool reload_in(const struct engine_conn *t, size_t n, const void *p)
{
	uintptr_t a = (uintptr_t)t, b = (uintptr_t)(t + n), x = (uintptr_t)p;

	return p && x >= a && x < b;
}

static bool reload_child_in(const struct engine_conn *t, size_t n,
			    const struct child_sa *c)
{
	return c && reload_in(t, n, c->cfg);
}

/* True if IKE SA `sa` (its CHILD SAs, the one IKE_AUTH negotiates, its
 * queued work) points into table [t, t + n). */
static bool reload_sa_uses(const struct ike_sa *sa, const struct engine_conn *t,
			   size_t n)
{
	if (reload_in(t, n, sa->conn) ||
	    reload_child_in(t, n, sa->pending_child))
		return true;
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (reload_child_in(t, n, c))
			return true;
	for (const struct task *k = sa->tasks; k; k = k->next)
		if (reload_in(t, n, k->cfg) || reload_child_in(t, n, k->child))
			return true;
	return false;
}

bool engine_conns_in_use(const struct engine *e, const struct engine_conn *t,
			 size_t n)
{
	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (reload_sa_uses(sa, t, n))
			return true;
	return false;
}

static void reload_retired_drop(struct engine_retired *r)
{
	crypto_wipe(r->conns, r->n * sizeof(*r->conns));
	free(r->conns);
	free(r);
}

size_t engine_retired_collect(struct engine *e)
{
	struct engine_retired **pp = &e->retired;
	size_t left = 0;

	while (*pp) {
		struct engine_retired *r = *pp;

		if (engine_conns_in_use(e, r->conns, r->n)) {
			pp = &r->next;
			left++;
			continue;
		}
		*pp = r->next;
		reload_retired_drop(r);
	}
	return left;
}

size_t engine_retired_count(const struct engine *e)
{
	size_t n = 0;

	for (const struct engine_retired *r = e->retired; r; r = r->next)
		n++;
	return n;
}

static bool reload_chain_refs(const struct engine_auth *a, const void *p)
{
	for (size_t i = 0; i < a->n_chain && i < ENGINE_CHAIN_MAX; i++)
		if ((const void *)a->chain[i] == p)
			return true;
	return false;
}

/* True if connection `c` authenticates with key, certificate or trust
 * `p`. */
static bool reload_conn_refs(const struct engine_conn *c, const void *p)
{
	return (const void *)c->local_auth.key == p ||
	       (const void *)c->local_auth.cert == p ||
	       (const void *)c->remote_auth.key == p ||
	       (const void *)c->remote_auth.trust == p ||
	       (const void *)c->eap_users == p || (const void *)c->psks == p ||
	       reload_chain_refs(&c->local_auth, p);
}

bool engine_auth_in_use(const struct engine *e, const void *key_or_cert)
{
	for (size_t i = 0; i < e->n_conns; i++)
		if (reload_conn_refs(&e->conns[i], key_or_cert))
			return true;
	for (const struct engine_retired *r = e->retired; r; r = r->next)
		for (size_t i = 0; i < r->n; i++)
			if (reload_conn_refs(&r->conns[i], key_or_cert))
				return true;
	return false;
}

void engine_retired_free(struct engine *e)
{
	while (e->retired) {
		struct engine_retired *r = e->retired;

		e->retired = r->next;
		reload_retired_drop(r);
	}
}
