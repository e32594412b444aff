/* Pending actions handed to the caller without a copy; see engine.h.
 *
 * Two arrays take turns: the caller carries out the one it took while the
 * engine fills the other (a handler's call into the engine may add
 * actions), and the taken one, given back, waits to be filled after the
 * next take; in a steady state nothing is allocated. */
#include "engine/engine.h"

#include "crypto/crypto.h"
#include "engine/ike_sa.h"

#include <stdlib.h>

/* What carried-out actions own: a datagram's buffer, an SA's keys. */
static void actions_release(struct engine_action *act, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct engine_action *a = &act[i];

		if (a->type == ENGINE_ACT_SEND)
			free(a->u.send.buf);
		else if (a->type == ENGINE_ACT_SA_ADD)
			crypto_wipe(&a->u.sa, sizeof(a->u.sa));
	}
}

void engine_actions_clear(struct engine *e)
{
	actions_release(e->act, e->n_act);
	e->n_act = 0;
}

bool engine_actions_take(struct engine *e, struct engine_action_list *l)
{
	if (!e->n_act) {
		*l = (struct engine_action_list){ 0 };
		return false;
	}
	*l = (struct engine_action_list){ e->act, e->n_act, e->cap_act };
	e->act = e->act_spare.a;
	e->cap_act = e->act_spare.cap;
	e->n_act = 0;
	e->act_spare = (struct engine_action_list){ 0 };
	return true;
}

void engine_actions_done(struct engine *e, struct engine_action_list *l)
{
	actions_release(l->a, l->n);
	if (!e->act) { /* nothing added since the take: fill it next */
		e->act = l->a;
		e->cap_act = l->cap;
	} else if (!e->act_spare.a) {
		e->act_spare = (struct engine_action_list){ l->a, 0, l->cap };
	} else {
		/* a take while another list was out: one array too many */
		free(l->a);
	}
	*l = (struct engine_action_list){ 0 };
}
