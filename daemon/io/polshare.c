/* Policies shared by the workers' CHILD SAs; see polshare.h. */
#include "io/polshare.h"

#include <stdlib.h>
#include <string.h>

static bool polshare_ts_eq(const struct engine_ts *a, const struct engine_ts *b)
{
	return a->type == b->type && a->proto == b->proto &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       !memcmp(a->start, b->start, sizeof(a->start)) &&
	       !memcmp(a->end, b->end, sizeof(a->end));
}

static struct polshare_entry *polshare_find(struct polshare *t,
					    const struct engine_policy *p)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].dir == p->dir &&
		    polshare_ts_eq(&t->v[i].src, &p->src) &&
		    polshare_ts_eq(&t->v[i].dst, &p->dst))
			return &t->v[i];
	return NULL;
}

bool polshare_add(struct polshare *t, const struct engine_policy *p)
{
	struct polshare_entry *e = polshare_find(t, p);

	if (e) {
		e->refs++;
		return true;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct polshare_entry *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return false;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct polshare_entry){
		.src = p->src, .dst = p->dst, .dir = p->dir, .refs = 1
	};
	return true;
}

bool polshare_del(struct polshare *t, const struct engine_policy *p)
{
	struct polshare_entry *e = polshare_find(t, p);

	if (!e)
		return true;
	if (--e->refs)
		return false;
	*e = t->v[--t->n]; /* the last entry takes its place */
	return true;
}

void polshare_free(struct polshare *t)
{
	free(t->v);
	*t = (struct polshare){ 0 };
}
