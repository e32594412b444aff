/* Policies shared by CHILD SAs of different workers (io/worker.h).
 *
 * The engine counts the CHILD SAs that use one policy (doc/rekeying.md)
 * and asks for it to go when the last one goes; but an engine sees its
 * own SAs only. With several workers, two CHILD SAs with the same traffic
 * selectors (a peer that connected again, its new IKE SA answered by
 * another worker) each have a worker that installed the policy (XFRM
 * keeps one per selectors and direction) and will remove it: the first
 * removal would leave the other SA's traffic without its policy. This
 * table counts, per selectors and direction, the workers' adds that were
 * not removed yet; a removal reaches the kernel only with the last.
 * Under the daemon's lock; used only when several workers run.
 */
#ifndef KB_IO_POLSHARE_H
#define KB_IO_POLSHARE_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stddef.h>

struct polshare_entry {
	struct engine_ts src, dst;
	enum engine_policy_dir dir;
	unsigned refs;
};

struct polshare {
	struct polshare_entry *v;
	size_t n, cap;
};

/* A worker installs `p`: counted. Returns false only when out of memory
 * (then a removal will reach the kernel as if no other worker used it). */
bool polshare_add(struct polshare *t, const struct engine_policy *p);

/* A worker removes `p`: true if the kernel's policy must go (the last
 * user, or one the table does not know). */
bool polshare_del(struct polshare *t, const struct engine_policy *p);

void polshare_free(struct polshare *t);

#endif
