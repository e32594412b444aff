/* The IKE SAs ordered by their next deadline; see timers.h. */
#include "engine/ike_sa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct engine_timers {
	struct engine *e;
	struct heap heap;
	struct ike_sa *touched; /* deadline to be computed again */
	struct ike_sa *parked;	/* ran in this timers_run, due again */
	bool all_touched;
	uint32_t gen; /* timers_run calls */
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
	free(e->timers);
	e->timers = NULL;
}

int timers_reserve(struct engine *e, size_t n)
{
	return heap_reserve(&e->timers->heap, n);
}

static void timers_link(struct ike_sa **head, struct ike_sa *sa)
{
	sa->tnext = *head;
	if (*head)
		(*head)->tpprev = &sa->tnext;
	sa->tpprev = head;
	*head = sa;
}

static void timers_unlink(struct ike_sa *sa)
{
	if (!sa->tpprev)
		return;
	*sa->tpprev = sa->tnext;
	if (sa->tnext)
		sa->tnext->tpprev = sa->tpprev;
	sa->tnext = NULL;
	sa->tpprev = NULL;
}

void timers_touch(struct ike_sa *sa)
{
	/* already touched, or parked until the end of a timers_run */
	if (!sa->tpprev)
		timers_link(&sa->e->timers->touched, sa);
}

void timers_touch_all(struct engine *e)
{
	e->timers->all_touched = true;
}

void timers_forget(struct ike_sa *sa)
{
	timers_unlink(sa);
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
			timers_touch(sa);
	}
	while (t->touched) {
		struct ike_sa *sa = t->touched;

		timers_unlink(sa);
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
		if (d != k && !sa->tpprev) {
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

		heap_del(&t->heap, m);
		if (sa->timer_gen == t->gen) {
			/* once per call, as before: the rest waits for the
			 * next call (its deadline is still due) */
			timers_link(&t->parked, sa);
			continue;
		}
		sa->timer_gen = t->gen;
		timers_touch(sa);
		(void)rtx_timeout(sa, now); /* may free it: timers_forget */
		timers_flush(t);
	}
	while (t->parked) {
		struct ike_sa *sa = t->parked;

		timers_unlink(sa);
		timers_touch(sa);
	}
	timers_flush(t);
}
