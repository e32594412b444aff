/* Reconciling the engine with the kernel after lost events; see
 * resync.h. */
#include "io/resync.h"

#include "ike_iana.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int resync_add_sa(const struct kernel_sa_id *id,
			 const struct kernel_sa_stats *st, void *arg)
{
	struct resync_snap *s = arg;

	if (!kernel_reqid_is_ours(st->reqid) || id->proto != KERNEL_PROTO_ESP)
		return 0;
	if (s->n_sa == s->cap_sa) {
		size_t cap = s->cap_sa ? s->cap_sa * 2 : 64;
		struct resync_sa *n = realloc(s->sa, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->sa = n;
		s->cap_sa = cap;
	}
	s->sa[s->n_sa++] = (struct resync_sa){ id->dst, id->spi, st->reqid };
	return 0;
}

static int resync_add_policy(const struct kernel_policy *p, void *arg)
{
	struct resync_snap *s = arg;

	if (kernel_policy_is_ours(p))
		s->n_policies++;
	return 0;
}

int resync_read(const struct kernel_ops *ops, struct kernel *k,
		struct resync_snap *s, struct kernel_err *err)
{
	int r;

	memset(s, 0, sizeof(*s));
	r = ops->sa_list(k, resync_add_sa, s, err);
	if (r == -ENOMEM)
		kernel_err_set(err, r, "list SAs", NULL);
	if (!r)
		r = ops->policy_list(k, resync_add_policy, s, err);
	return r;
}

void resync_snap_free(struct resync_snap *s)
{
	free(s->sa);
	memset(s, 0, sizeof(*s));
}

/* True if the kernel holds SA `spi` towards `dst`. */
static bool resync_has(const struct resync_snap *s,
		       const struct engine_addr *dst, uint32_t spi)
{
	size_t len = dst->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < s->n_sa; i++)
		if (s->sa[i].spi == spi && s->sa[i].dst.family == dst->family &&
		    memcmp(s->sa[i].dst.a.raw, dst->ip, len) == 0)
			return true;
	return false;
}

/* SPIs of CHILD SAs the engine holds as installed that the kernel lost
 * (and reqids already replayed). */
struct resync_gone {
	uint32_t *spi;
	size_t n, cap;
};

static void resync_gone_add(struct resync_gone *g, uint32_t spi)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		uint32_t *n = realloc(g->spi, cap * sizeof(*n));

		if (!n)
			return; /* the rest is found at the next overrun */
		g->spi = n;
		g->cap = cap;
	}
	g->spi[g->n++] = spi;
}

/* Checks the CHILD SAs of IKE SA `id`. Which of a child's kernel SAs
 * exist follows from its state (doc/rekeying.md): both while installed
 * or being rekeyed, only the inbound one once replaced; none is checked
 * while it is being installed or deleted. */
static void resync_check_ike(struct engine *e, uint32_t id,
			     const struct resync_snap *s, struct resync_gone *g)
{
	struct engine_ike_info ike;
	struct engine_child_info c;

	if (engine_ike_info(e, id, &ike) != 0)
		return;
	for (uint32_t i = 0; engine_child_info(e, id, i, &c) == 0; i++) {
		bool both = c.state == ENGINE_CHILD_INSTALLED ||
			    c.state == ENGINE_CHILD_REKEYING;

		if (!both && c.state != ENGINE_CHILD_REKEYED)
			continue;
		if (!resync_has(s, &ike.local, c.spi_in))
			resync_gone_add(g, c.spi_in);
		else if (both && !resync_has(s, &ike.remote, c.spi_out))
			resync_gone_add(g, c.spi_out);
	}
}

/* Lost hard EXPIREs: children whose kernel SAs are gone. */
static unsigned resync_expired(struct engine *e, uint64_t now,
			       const struct resync_snap *s)
{
	size_t n = engine_ike_count(e);
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));
	struct resync_gone g = { 0 };
	unsigned done = 0;

	n = ids ? engine_ike_list(e, ids, n) : 0;
	for (size_t i = 0; i < n; i++)
		resync_check_ike(e, ids[i], s, &g);
	/* after the walk: each event may remove CHILD SAs */
	for (size_t i = 0; i < g.n; i++) {
		struct engine_kevent ev = { .type = ENGINE_KEV_EXPIRE_HARD,
					    .spi = g.spi[i],
					    .proto = PROTO_ESP };

		if (engine_kernel_event(e, now, &ev) == 0)
			done++;
	}
	free(g.spi);
	free(ids);
	return done;
}

/* Lost ACQUIREs: the larval SAs the kernel keeps for them, one replay
 * per reqid (the flows of a trap share it; reqids are few, larval SAs may
 * be many). */
static unsigned resync_acquired(struct engine *e, uint64_t now,
				const struct resync_snap *s)
{
	struct resync_gone seen = { 0 }; /* reqids replayed */
	unsigned done = 0;

	for (size_t i = 0; i < s->n_sa; i++) {
		struct engine_kevent ev = { .type = ENGINE_KEV_ACQUIRE,
					    .proto = PROTO_ESP,
					    .reqid = s->sa[i].reqid };
		size_t j;

		if (s->sa[i].spi)
			continue;
		for (j = 0; j < seen.n && seen.spi[j] != ev.reqid; j++)
			;
		if (j < seen.n)
			continue;
		resync_gone_add(&seen, ev.reqid);
		if (engine_kernel_event(e, now, &ev) == 0)
			done++;
	}
	free(seen.spi);
	return done;
}

void resync_apply(struct engine *e, uint64_t now, const struct resync_snap *s,
		  bool acquires, struct resync_result *out)
{
	memset(out, 0, sizeof(*out));
	out->expired = resync_expired(e, now, s);
	if (acquires)
		out->acquired = resync_acquired(e, now, s);
}
