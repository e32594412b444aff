/* The queue of local work of an IKE SA (DESIGN.md "Exchanges as queued
 * work"): tasks wait in order and start when the message ID window has
 * room; a response finds its task by message ID. The window is 1 today
 * (RFC 7296 §2.3), but nothing here depends on it: several tasks may be
 * active, each with its own message ID. */
#include "engine/exchange.h"

#include "crypto/ke.h"

#include <stdlib.h>

static const char *const task_names[] = {
	[TASK_CHILD_CREATE] = "create CHILD SA",
	[TASK_CHILD_REKEY] = "rekey CHILD SA",
	[TASK_IKE_REKEY] = "rekey IKE SA",
	[TASK_CHILD_DELETE] = "delete CHILD SA",
	[TASK_IKE_DELETE] = "delete IKE SA",
	[TASK_DPD] = "liveness check",
	[TASK_MOBIKE] = "address update",
};

const char *task_name(enum task_type t)
{
	return t < sizeof(task_names) / sizeof(task_names[0]) && task_names[t]
		       ? task_names[t]
		       : "task";
}

struct task *task_new(struct ike_sa *sa, enum task_type type, bool front)
{
	struct task *t = calloc(1, sizeof(*t)), **pp = &sa->tasks;

	if (!t)
		return NULL;
	t->type = type;
	if (front) {
		/* after the active ones, before anything queued */
		while (*pp && (*pp)->active)
			pp = &(*pp)->next;
	} else {
		while (*pp)
			pp = &(*pp)->next;
	}
	t->next = *pp;
	*pp = t;
	return t;
}

/* Frees the task's own state; a CHILD SA it was negotiating gives its
 * reserved SPI back when `release` is set. */
static void task_free(struct ike_sa *sa, struct task *t, bool release)
{
	if (t->child) {
		if (release && t->child->spi_in)
			child_release_spi(sa, t->child);
		child_free(t->child);
	}
	ke_free(t->ke);
	crypto_wipe(t, sizeof(*t));
	free(t);
}

void task_remove(struct ike_sa *sa, struct task *t)
{
	for (struct task **pp = &sa->tasks; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	task_free(sa, t, true);
}

void task_free_all(struct ike_sa *sa)
{
	while (sa->tasks) {
		struct task *t = sa->tasks;

		sa->tasks = t->next;
		task_free(sa, t, false);
	}
}

void task_release_all(struct ike_sa *sa)
{
	while (sa->tasks) {
		struct task *t = sa->tasks;

		sa->tasks = t->next;
		task_free(sa, t, true);
	}
}

struct task *task_by_msg_id(struct ike_sa *sa, uint32_t msg_id)
{
	for (struct task *t = sa->tasks; t; t = t->next)
		if (t->active && t->msg_id == msg_id)
			return t;
	return NULL;
}

struct task *task_find(struct ike_sa *sa, enum task_type type, uint32_t spi_in)
{
	for (struct task *t = sa->tasks; t; t = t->next)
		if (t->type == type && (!spi_in || t->spi_in == spi_in))
			return t;
	return NULL;
}

bool task_any_active(const struct ike_sa *sa)
{
	for (const struct task *t = sa->tasks; t; t = t->next)
		if (t->active)
			return true;
	return false;
}

void task_move(struct ike_sa *from, struct ike_sa *to)
{
	struct task **pp = &from->tasks, **tail = &to->tasks;

	while (*tail)
		tail = &(*tail)->next;
	while (*pp) {
		struct task *t = *pp;

		if (t->active || t->type == TASK_IKE_DELETE ||
		    t->type == TASK_IKE_REKEY || t->type == TASK_DPD) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
}

/* Builds and sends the request of `t`: 0 when sent, 1 when there is
 * nothing left to do, or an error. */
static int task_start(struct ike_sa *sa, struct task *t, uint64_t now)
{
	switch (t->type) {
	case TASK_CHILD_CREATE:
	case TASK_CHILD_REKEY:
	case TASK_IKE_REKEY: return create_child_build_i(sa, t, now);
	case TASK_CHILD_DELETE:
	case TASK_IKE_DELETE:
	case TASK_DPD: return informational_build_i(sa, t, now);
	case TASK_MOBIKE: return mobike_build_i(sa, t, now);
	}
	return -ENG_ERR_STATE;
}

/* Work on the IKE SA as a whole runs alone: an IKE rekey moves the CHILD
 * SAs and the queue to the successor, a Delete ends everything, an
 * address update changes where everything goes, and a liveness check only
 * runs when nothing else is going on anyway. */
static bool task_exclusive(enum task_type type)
{
	return type == TASK_IKE_REKEY || type == TASK_IKE_DELETE ||
	       type == TASK_DPD || type == TASK_MOBIKE;
}

/* May `t` start beside the active tasks? Besides the peer's window
 * (§2.3), one exchange at a time per CHILD SA: a Delete overtaking the
 * rekey of the same SA on the way would leave the peer guessing. */
static bool task_may_start(const struct ike_sa *sa, const struct task *t)
{
	for (const struct task *o = sa->tasks; o; o = o->next) {
		if (!o->active)
			continue;
		if (task_exclusive(t->type) || task_exclusive(o->type))
			return false;
		if (t->spi_in && o->spi_in == t->spi_in)
			return false;
	}
	return win_can_send(sa);
}

void task_kick(struct ike_sa *sa, uint64_t now)
{
	struct task *t;

	/* Tasks start in queue order while the window has room; with the
	 * default window of one, each waits for the previous answer. */
	while (sa->state == IKE_SA_ESTABLISHED) {
		int err;

		for (t = sa->tasks; t && t->active; t = t->next)
			;
		if (!t) {
			if (!sa->tasks)
				lifetime_reauth_check(sa, now);
			return;
		}
		if (sa->rekeyed && t->type != TASK_IKE_DELETE) {
			/* a rekeyed IKE SA only says goodbye */
			task_remove(sa, t);
			continue;
		}
		if (!task_may_start(sa, t))
			return;
		err = task_start(sa, t, now);
		if (!err) {
			t->active = true;
			t->msg_id = sa->req_next - 1;
			if (t->type == TASK_IKE_DELETE)
				ike_sa_set_state(sa, IKE_SA_DELETING);
			continue;
		}
		if (err < 0)
			engine_log(sa->e, sa, 4, "%s failed: %s; dropped",
				   task_name(t->type), engine_err_name(err));
		task_remove(sa, t);
	}
}
