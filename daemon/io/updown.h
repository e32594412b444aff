/* children.<c>.updown: the operator's script, run when a CHILD SA comes
 * up and when it goes down, with strongSwan's PLUTO_* environment so that
 * scripts written for strongSwan work unchanged. A rekey is neither (as in
 * strongSwan). Scripts run one after another, off the event loop
 * (posix_spawn), each killed after a timeout; their output goes to the
 * log line by line. IKE never waits for them. */
#ifndef KB_IO_UPDOWN_H
#define KB_IO_UPDOWN_H

#include "config/config.h"
#include "engine/engine.h"

struct loop;
struct updown;

/* A runner on `loop`; scripts are killed after `timeout_ms`. NULL when out
 * of memory. */
struct updown *updown_new(struct loop *loop, unsigned timeout_ms);

/* Takes the updown settings of every child of `cfg` (after a load or a
 * reload). Returns 0 or -ENOMEM (the previous settings stay). */
int updown_configure(struct updown *u, const struct kb_config *cfg)
	__attribute__((warn_unused_result));

/* Looks at one engine event: CHILD SAs of the IKE SA it names that came up
 * or went down since the last look queue their script. */
void updown_event(struct updown *u, const struct engine *e,
		  const struct engine_action *a);

/* Runs what is still queued (each bounded by the timeout), then frees.
 * NULL is fine. */
void updown_free(struct updown *u);

#endif
