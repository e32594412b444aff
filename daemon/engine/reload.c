/* Replacing the connection table at run time (SIGHUP): unchanged
 * connections keep their IKE and CHILD SAs, the others are deleted with
 * their peers. SAs being deleted still point into the previous table, so
 * tables are retired, not freed, until the engine is. */
#include "engine/ike_sa.h"

#include <errno.h>
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

/* Points an SA and its children at connection `c` of the new table;
 * false if a child's configuration is gone (then the SA must go). */
static bool reload_repoint(struct ike_sa *sa, const struct engine_conn *c)
{
	struct child_sa *ch;

	for (ch = sa->children; ch; ch = ch->next)
		if (!reload_child_cfg(c, ch->cfg->name))
			return false;
	if (sa->pending_child &&
	    !reload_child_cfg(c, sa->pending_child->cfg->name))
		return false;
	for (ch = sa->children; ch; ch = ch->next)
		ch->cfg = reload_child_cfg(c, ch->cfg->name);
	if (sa->pending_child)
		sa->pending_child->cfg =
			reload_child_cfg(c, sa->pending_child->cfg->name);
	sa->conn = c;
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
	return 0;
}

void engine_retired_free(struct engine *e)
{
	while (e->retired) {
		struct engine_retired *r = e->retired;

		e->retired = r->next;
		crypto_wipe(r->conns, r->n * sizeof(*r->conns));
		free(r->conns);
		free(r);
	}
}
