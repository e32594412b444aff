/* The engine's timers: every IKE SA with a deadline sits in a min-heap
 * keyed by rtx_deadline(), so the next deadline is read in O(1) and
 * engine_timeout() visits only the SAs that are due.
 *
 * Keeping the heap right: whatever may change what rtx_deadline() returns
 * for an SA (a state, a retransmission, a lifetime, a CHILD SA's rekey
 * time, a queued task) only ever happens to an SA that code reached
 * through the SA table (ike_sa_find, ike_sa_find_init, ike_sa_by_id), a
 * CHILD SA lookup, a new SA or a due timer. Each of those marks the SA
 * "touched"; before the heap is read, every touched SA's deadline is
 * computed again and its place fixed (timers_flush). Code that reaches an
 * SA any other way and changes it calls timers_touch() itself. */
#ifndef KB_ENGINE_TIMERS_H
#define KB_ENGINE_TIMERS_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct ike_sa;

/* Allocates the engine's timer state: 0 or -ENOMEM. */
int timers_new(struct engine *e) __attribute__((warn_unused_result));
void timers_free(struct engine *e);

/* Room in the heap for `n` SAs, called before an SA is created so that
 * later updates cannot fail: 0 or -ENOMEM. */
int timers_reserve(struct engine *e, size_t n)
	__attribute__((warn_unused_result));

/* The SA's deadline may have changed: computed again before the next
 * read of the heap. */
void timers_touch(struct ike_sa *sa);
/* The same for every SA (a reload repoints them all). */
void timers_touch_all(struct engine *e);
/* The SA is being freed: out of the heap and the touched list. */
void timers_forget(struct ike_sa *sa);

/* Earliest deadline of all SAs, or UINT64_MAX. */
uint64_t timers_next(const struct engine *e);

/* Runs rtx_timeout() on every SA due at `now`, earliest deadline first
 * (equal deadlines: newest SA first), each at most once per call. */
void timers_run(struct engine *e, uint64_t now);

#endif
