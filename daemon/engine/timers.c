/* The IKE SAs ordered by their next deadline; see timers.h. */
#include "engine/ike_sa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* An SA's tslot: 0, or 1 + its index in `touched`, or that in `parked`
 * with TSLOT_PARKED set. Arrays, not lists in the SAs: 4 bytes an SA. */
enum { TSLOT_PARKED = 1u << 31 };

struct timers_set {
	struct ike_sa **v;
	uint32_t n, cap;
};

struct engine_timers {
	struct engine *e;
	struct heap heap;
	struct timers_set touched; /* deadline to be computed again */
	struct timers_set parked;  /* ran in this timers_run, due again */
	bool all_touched;	   /* every SA's (or a set could not grow) */
	uint32_t gen;		   /* timers_run calls */
};

static struct ike_sa *timers_sa(struct heap_node *n)
{
	return hashtab_entry(n, struct ike_sa, timer);
}

int timers_new(struct engine *e)
{
	struct engine_timers *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->e = e;
	heap_init(&t->heap);
	e->timers = t;
	return 0;
}

void timers_free(struct engine *e)
{
	if (!e->timers)
		return;
	heap_free(&e->timers->heap);
	free(e->timers->touched.v);
	free(e->timers->parked.v);
	free(e->timers);
	e->timers = NULL;
}

int timers_reserve(struct engine *e, size_t n)
{
	return heap_reserve(&e->timers->heap, n);
}

/* Adds `sa` (in no set) to `set`; false on ENOMEM. */
static bool timers_set_add(struct timers_set *set, struct ike_sa *sa,
			   uint32_t flag)
{
	if (set->n == set->cap) {
		uint32_t cap = set->cap ? set->cap * 2 : 64;
		struct ike_sa **v;

		if (cap >= TSLOT_PARKED ||
		    !(v = realloc(set->v, cap * sizeof(*v))))
			return false;
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = sa;
	sa->tslot = flag | set->n;
	return true;
}

/* Takes `sa` out of the set it is in, if any (the last one fills its
 * place: sets have no order). */
static void timers_unlink(struct engine_timers *t, struct ike_sa *sa)
{
	uint32_t flag = sa->tslot & TSLOT_PARKED, i;
	struct timers_set *set = flag ? &t->parked : &t->touched;
	struct ike_sa *last;

	if (!sa->tslot)
		return;
	i = (sa->tslot & ~TSLOT_PARKED) - 1;
	last = set->v[--set->n];
	set->v[i] = last;
	last->tslot = flag | (i + 1);
	sa->tslot = 0;
}

void timers_touch(struct ike_sa *sa)
{
	struct engine_timers *t = sa->e->timers;

	/* already touched, or parked until the end of a timers_run */
	if (!sa->tslot && !timers_set_add(&t->touched, sa, 0))
		t->all_touched = true; /* ENOMEM: compute them all */
}

void timers_touch_all(struct engine *e)
{
	e->timers->all_touched = true;
}

void timers_forget(struct ike_sa *sa)
{
	timers_unlink(sa->e->timers, sa);
	heap_del(&sa->e->timers->heap, &sa->timer);
}

/* Puts `sa` where its deadline says: in the heap, or out of it if it has
 * none. heap_add cannot fail: timers_reserve made room for every SA. */
static void timers_place(struct engine_timers *t, struct ike_sa *sa)
{
	uint64_t d = rtx_deadline(sa);

	if (d == UINT64_MAX) {
		heap_del(&t->heap, &sa->timer);
	} else if (heap_contains(&sa->timer)) {
		if (heap_key(&t->heap, &sa->timer) != d)
			heap_update(&t->heap, &sa->timer, d);
	} else {
		/* equal deadlines: the newest SA first */
		if (heap_add(&t->heap, &sa->timer, d, ~(uint64_t)sa->id))
			abort(); /* timers_reserve broken */
	}
}

static void timers_flush(struct engine_timers *t)
{
	if (t->all_touched) {
		t->all_touched = false;
		for (struct ike_sa *sa = t->e->sas; sa; sa = sa->next)
			if (!(sa->tslot & TSLOT_PARKED))
				timers_place(t, sa);
	}
	while (t->touched.n) {
		struct ike_sa *sa = t->touched.v[t->touched.n - 1];

		timers_unlink(t, sa);
		timers_place(t, sa);
	}
}

#ifdef KB_ENGINE_SELFCHECK
/* Test builds: after a flush every SA's place must match its deadline;
 * a mismatch means some change escaped timers_touch (see timers.h). */
static void timers_check(const struct engine_timers *t)
{
	if (t->e->n_sas > 512)
		return;
	for (const struct ike_sa *sa = t->e->sas; sa; sa = sa->next) {
		uint64_t d = rtx_deadline(sa);
		uint64_t k = heap_contains(&sa->timer)
				     ? heap_key(&t->heap, &sa->timer)
				     : UINT64_MAX;

		/* and the CHILD SAs know their IKE SA (child_by_spi) */
		for (const struct child_sa *c = sa->children; c; c = c->next)
			if (c->ike != sa) {
				fprintf(stderr,
					"timers: %s: CHILD SA %08x has another "
					"owner\n",
					sa->name, c->spi_in);
				abort();
			}
		if (d != k && !sa->tslot) {
			fprintf(stderr,
				"timers: %s deadline %llu but heap has %llu\n",
				sa->name, (unsigned long long)d,
				(unsigned long long)k);
			abort();
		}
	}
}
#else
static void timers_check(const struct engine_timers *t)
{
	(void)t;
}
#endif

uint64_t timers_next(const struct engine *e)
{
	struct heap_node *m;

	timers_flush(e->timers);
	timers_check(e->timers);
	m = heap_min(&e->timers->heap);
	return m ? heap_key(&e->timers->heap, m) : UINT64_MAX;
}

void timers_run(struct engine *e, uint64_t now)
{
	struct engine_timers *t = e->timers;
	struct heap_node *m;

	t->gen++;
	timers_flush(t);
	timers_check(t);
	while ((m = heap_min(&t->heap)) && heap_key(&t->heap, m) <= now) {
		struct ike_sa *sa = timers_sa(m);

		if (sa->timer_gen == t->gen) {
			/* once per call, as before: the rest waits for the
			 * next call (its deadline is still due) */
			if (!timers_set_add(&t->parked, sa, TSLOT_PARKED))
				break; /* ENOMEM: the next call goes on */
			heap_del(&t->heap, m);
			continue;
		}
		heap_del(&t->heap, m);
		sa->timer_gen = t->gen;
		timers_touch(sa);
		(void)rtx_timeout(sa, now); /* may free it: timers_forget */
		timers_flush(t);
	}
	while (t->parked.n) {
		struct ike_sa *sa = t->parked.v[t->parked.n - 1];

		timers_unlink(t, sa);
		timers_place(t, sa);
	}
	timers_flush(t);
}
