/* Indexes over the engine's SAs for questions one SA asks about the
 * others; see sa_idx.h. */
#include "engine/sa_idx.h"

#include "engine/ike_sa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sa_idx_init(struct sa_idx *x)
{
	/* no buckets until the first SA: an engine may never have one */
	hashtab_init(&x->by_path, 0);
	hashtab_init(&x->by_conn, 0);
	hashtab_init(&x->policies, 0);
	hashtab_init(&x->vips, 0);
}

void sa_idx_free(struct sa_idx *x)
{
	hashtab_free(&x->by_path);
	hashtab_free(&x->by_conn);
	hashtab_free(&x->policies);
	hashtab_free(&x->vips);
}

/* FNV-1a over `n` bytes, continuing from `h`. */
static uint64_t idx_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static size_t idx_alen(uint8_t family)
{
	return family == 10 ? 16 : 4; /* as ike_sa_addr_eq */
}

/* ---- IKE SAs by (conn, remote address) and by conn ---- */

struct path_key {
	const struct engine_conn *conn;
	const struct engine_addr *remote;
};

static uint64_t path_hash(const struct engine_conn *c,
			  const struct engine_addr *a)
{
	uint64_t h = idx_bytes(0xcbf29ce484222325ULL, &a->family, 1);

	h = idx_bytes(h, a->ip, idx_alen(a->family));
	return hashtab_mix(h ^ (uint64_t)(uintptr_t)c);
}

static bool path_eq(const struct grouptab_node *n, const void *key)
{
	const struct ike_sa *sa = hashtab_entry(n, struct ike_sa, idx.path);
	const struct path_key *k = key;

	return sa->conn == k->conn &&
	       ike_sa_addr_eq(&sa->remote, k->remote, false);
}

static uint64_t conn_hash(const struct engine_conn *c)
{
	return hashtab_mix((uint64_t)(uintptr_t)c);
}

static bool conn_eq(const struct grouptab_node *n, const void *key)
{
	return hashtab_entry(n, struct ike_sa, idx.conn)->conn == key;
}

static void pol_refile(struct sa_idx *x, struct child_sa *c);

void sa_idx_sa_file(struct ike_sa *sa)
{
	struct sa_idx *x = &sa->e->idx;
	struct path_key k = { sa->conn, &sa->remote };

	(void)grouptab_del(&x->by_path, &sa->idx.path);
	(void)grouptab_del(&x->by_conn, &sa->idx.conn);
	if (!sa->conn)
		return;
	(void)grouptab_add(&x->by_path, &sa->idx.path,
			   path_hash(sa->conn, &sa->remote), path_eq, &k);
	(void)grouptab_add(&x->by_conn, &sa->idx.conn, conn_hash(sa->conn),
			   conn_eq, sa->conn);
	/* a reload moves the CHILD SAs to the new table's configs */
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (grouptab_in(&c->pol_node))
			pol_refile(x, c);
}

static struct ike_sa *conn_first(const struct engine *e,
				 const struct engine_conn *c)
{
	struct grouptab_node *n =
		grouptab_find(&e->idx.by_conn, conn_hash(c), conn_eq, c);

	return n ? hashtab_entry(n, struct ike_sa, idx.conn) : NULL;
}

static struct ike_sa *conn_next(const struct ike_sa *sa)
{
	struct grouptab_node *n = grouptab_next(&sa->idx.conn);

	return n ? hashtab_entry(n, struct ike_sa, idx.conn) : NULL;
}

#ifdef KB_ENGINE_SELFCHECK
/* Test builds: every SA is filed under its key of now (a change of
 * sa->conn or sa->remote without sa_idx_sa_file shows here). */
static void idx_check_filed(const struct engine *e)
{
	if (e->n_sas > 512)
		return;
	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		struct path_key k = { sa->conn, &sa->remote };
		const struct grouptab_node *p = NULL, *c = NULL;

		if (sa->conn) {
			p = grouptab_find(&e->idx.by_path,
					  path_hash(sa->conn, &sa->remote),
					  path_eq, &k);
			c = grouptab_find(&e->idx.by_conn, conn_hash(sa->conn),
					  conn_eq, sa->conn);
		}
		while (p && p != &sa->idx.path)
			p = grouptab_next(p);
		while (c && c != &sa->idx.conn)
			c = grouptab_next(c);
		if (!!sa->conn != !!p || !!sa->conn != !!c ||
		    grouptab_in(&sa->idx.path) != !!sa->conn ||
		    grouptab_in(&sa->idx.conn) != !!sa->conn) {
			fprintf(stderr,
				"sa_idx: %s is not filed under its "
				"connection and remote address\n",
				sa->name);
			abort();
		}
	}
}
#else
static void idx_check_filed(const struct engine *e)
{
	(void)e;
}
#endif

bool sa_idx_first_contact(const struct ike_sa *sa)
{
	const struct grouptab_node *n = &sa->idx.path;
	bool first;

	idx_check_filed(sa->e);
	if (grouptab_in(n)) {
		first = !grouptab_shared(n);
	} else {
		struct path_key k = { sa->conn, &sa->remote };

		first = !sa->conn ||
			!grouptab_find(&sa->e->idx.by_path,
				       path_hash(sa->conn, &sa->remote),
				       path_eq, &k);
	}
#ifdef KB_ENGINE_SELFCHECK
	if (sa->e->n_sas <= 512) {
		bool walk = true;

		for (const struct ike_sa *s = sa->e->sas; s; s = s->next)
			if (s != sa && s->conn == sa->conn &&
			    ike_sa_addr_eq(&s->remote, &sa->remote, false))
				walk = false;
		if (walk != first) {
			fprintf(stderr,
				"sa_idx: %s first contact %d, walk %d\n",
				sa->name, first, walk);
			abort();
		}
	}
#endif
	return first;
}

static bool conn_up(const struct ike_sa *sa)
{
	return !sa->rekeyed && sa->state == IKE_SA_ESTABLISHED;
}

#ifdef KB_ENGINE_SELFCHECK
/* Test builds: the ACQUIRE answers are the walks' (newest first). */
static void conn_check(const struct engine *e, const struct engine_conn *c,
		       const struct ike_sa *best, bool initiated)
{
	const struct ike_sa *walk_best = NULL;
	bool walk_initiated = false;

	if (e->n_sas > 512)
		return;
	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		if (sa->conn != c)
			continue;
		if (!walk_best && conn_up(sa))
			walk_best = sa;
		walk_initiated |= sa->initiator;
	}
	if (walk_best != best || walk_initiated != initiated) {
		fprintf(stderr, "sa_idx: %s: ACQUIRE answers differ\n",
			c->name);
		abort();
	}
}
#endif

struct ike_sa *sa_idx_conn_established(const struct engine *e,
				       const struct engine_conn *c)
{
	struct ike_sa *best = NULL;

	idx_check_filed(e);
	/* the newest, as a walk over e->sas (newest first) found it */
	for (struct ike_sa *sa = conn_first(e, c); sa; sa = conn_next(sa))
		if (conn_up(sa) && (!best || sa->id > best->id))
			best = sa;
#ifdef KB_ENGINE_SELFCHECK
	conn_check(e, c, best, sa_idx_conn_initiated(e, c));
#endif
	return best;
}

bool sa_idx_conn_initiated(const struct engine *e, const struct engine_conn *c)
{
	for (struct ike_sa *sa = conn_first(e, c); sa; sa = conn_next(sa))
		if (sa->initiator)
			return true;
	return false;
}

/* ---- CHILD SAs by the policies they hold ---- */

static bool pol_same(const struct child_sa *a, const struct child_sa *b)
{
	return a->cfg == b->cfg && a->mode == b->mode &&
	       a->n_local_ts == b->n_local_ts &&
	       a->n_remote_ts == b->n_remote_ts &&
	       !memcmp(a->local_ts, b->local_ts,
		       a->n_local_ts * sizeof(a->local_ts[0])) &&
	       !memcmp(a->remote_ts, b->remote_ts,
		       a->n_remote_ts * sizeof(a->remote_ts[0]));
}

static uint64_t pol_hash(const struct child_sa *c)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)(uintptr_t)c->cfg;
	uint8_t m[3] = { (uint8_t)c->mode, c->n_local_ts, c->n_remote_ts };

	h = idx_bytes(h, m, sizeof(m));
	h = idx_bytes(h, c->local_ts, c->n_local_ts * sizeof(c->local_ts[0]));
	h = idx_bytes(h, c->remote_ts,
		      c->n_remote_ts * sizeof(c->remote_ts[0]));
	return hashtab_mix(h);
}

static bool pol_eq(const struct grouptab_node *n, const void *key)
{
	return pol_same(hashtab_entry(n, struct child_sa, pol_node), key);
}

/* Files `c` under its key of now (a reload changed its cfg). */
static void pol_refile(struct sa_idx *x, struct child_sa *c)
{
	(void)grouptab_del(&x->policies, &c->pol_node);
	(void)grouptab_add(&x->policies, &c->pol_node, pol_hash(c), pol_eq, c);
}

#ifdef KB_ENGINE_SELFCHECK
/* The walk the index replaced: another CHILD SA holding the policies,
 * on `sa` or on another IKE SA of its connection. */
static void pol_check(const struct ike_sa *sa, const struct child_sa *c,
		      bool shared)
{
	bool walk = false;

	if (sa->e->n_sas > 512)
		return;
	for (const struct ike_sa *s = sa->e->sas; s; s = s->next) {
		if (s != sa && s->conn != sa->conn)
			continue;
		for (const struct child_sa *x = s->children; x; x = x->next)
			if (x != c && x->policies && pol_same(x, c))
				walk = true;
	}
	if (walk != shared) {
		fprintf(stderr,
			"sa_idx: %s CHILD SA %08x policies shared %d, "
			"walk %d\n",
			sa->name, c->spi_in, shared, walk);
		abort();
	}
}
#else
static void pol_check(const struct ike_sa *sa, const struct child_sa *c,
		      bool shared)
{
	(void)sa;
	(void)c;
	(void)shared;
}
#endif

bool sa_idx_policy_hold(const struct ike_sa *sa, struct child_sa *c)
{
	bool shared;

	if (grouptab_in(&c->pol_node))
		return false;
	shared = grouptab_add(&sa->e->idx.policies, &c->pol_node, pol_hash(c),
			      pol_eq, c);
	pol_check(sa, c, shared);
	return !shared;
}

bool sa_idx_policy_release(const struct ike_sa *sa, struct child_sa *c)
{
	bool shared;

	if (!grouptab_in(&c->pol_node))
		return false;
	shared = grouptab_del(&sa->e->idx.policies, &c->pol_node);
	pol_check(sa, c, shared);
	return !shared;
}

void sa_idx_sa_del(struct ike_sa *sa)
{
	struct sa_idx *x = &sa->e->idx;

	(void)grouptab_del(&x->by_path, &sa->idx.path);
	(void)grouptab_del(&x->by_conn, &sa->idx.conn);
	for (struct child_sa *c = sa->children; c; c = c->next)
		(void)grouptab_del(&x->policies, &c->pol_node);
	if (sa->pending_child)
		(void)grouptab_del(&x->policies, &sa->pending_child->pol_node);
}

/* ---- virtual addresses the peers gave us ---- */

static uint64_t vip_hash(uint8_t family, const uint8_t ip[16])
{
	uint64_t h = idx_bytes(0xcbf29ce484222325ULL, &family, 1);

	return hashtab_mix(idx_bytes(h, ip, 16));
}

static bool vip_eq(const struct grouptab_node *n, const void *key)
{
	const struct sa_idx_vip *v = hashtab_entry(n, struct sa_idx_vip, node);
	const struct sa_idx_vip *k = key;

	return v->family == k->family && !memcmp(v->ip, k->ip, 16);
}

void sa_idx_vip_add(struct engine *e, struct sa_idx_vip *v,
		    const struct engine_ipnet *addr)
{
	if (grouptab_in(&v->node))
		(void)grouptab_del(&e->idx.vips, &v->node);
	v->family = addr->family;
	memcpy(v->ip, addr->ip, 16);
	(void)grouptab_add(&e->idx.vips, &v->node, vip_hash(v->family, v->ip),
			   vip_eq, v);
}

bool sa_idx_vip_del(struct engine *e, struct sa_idx_vip *v)
{
	return grouptab_del(&e->idx.vips, &v->node);
}
