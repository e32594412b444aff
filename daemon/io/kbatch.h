/* Kernel work batched per engine call (doc/performance.md, "Kernel work
 * per CHILD SA").
 *
 * The engine's ALLOC_SPI, SA_ADD, SA_DEL, POLICY_ADD and POLICY_DEL
 * actions of one run are collected here up to the next action that must
 * see them done (a SEND, an EVENT, …: kbatch_takes() says which) and
 * go to the kernel in one kernel_ops.apply(), in the engine's order
 * (make-before-break, doc/rekeying.md, depends on it). The backend answers
 * each request on its own, so the outcome is read per action afterwards:
 * a refused SA is that SA's failure only.
 *
 * A batch holds kernel copies of the SAs (keys) until kbatch_reset(),
 * which wipes them. It is not locked: daemon.c uses one under the
 * daemon's lock, from the first action added to the last outcome read.
 */
#ifndef KB_IO_KBATCH_H
#define KB_IO_KBATCH_H

#include "engine/engine.h"
#include "kernel/kernel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel policies one POLICY action may become (a pair of prefixes each). */
#define KBATCH_POLICY_MAX 64

/* One collected action and where its requests are. */
struct kbatch_item {
	const struct engine_action *a; /* the caller's, valid until reset */
	size_t first, n;	       /* its requests: req[first .. first+n) */
	size_t obj; /* its object(s): sa[obj], pol[obj ..], spi[obj] */
	int err;    /* -errno: nothing was sent for it (not expressible,
		     out of memory) */
	bool held;  /* a policy removal the caller keeps: no request */
};

struct kbatch {
	struct kbatch_item *item;
	size_t n_item, cap_item;
	struct kernel_req *req;
	size_t n_req, cap_req;
	struct kernel_sa *sa;
	size_t n_sa, cap_sa;
	struct kernel_policy *pol;
	size_t n_pol, cap_pol;
	struct kernel_spi_req *spi;
	size_t n_spi, cap_spi;
	/* totals since the batch was made, for the stop log and tests */
	unsigned long n_applies, n_requests;
};

/* True for the actions a batch takes: ALLOC_SPI, SA_ADD, SA_DEL,
 * POLICY_ADD, POLICY_DEL. Every other action must see them in the kernel
 * first. */
bool kbatch_takes(enum engine_action_type type);

/* Adds action `a` (one kbatch_takes() accepts) to batch `b`; `a` must stay
 * valid until kbatch_reset(). An ALLOC_SPI becomes one request for
 * exactly its SPI, an SA one request (an inbound SA updates the larval SA
 * ALLOC_SPI made), a policy one per pair of
 * prefixes, numbered from *policy_seq (advanced); with `held`, a policy
 * action passes through without any request. An action that cannot be
 * expressed is kept with `err` set. Returns 0, or -ENOMEM when not even
 * the action could be kept (then `b` is unchanged). */
int kbatch_add(struct kbatch *b, const struct engine_action *a,
	       uint32_t *policy_seq, bool held)
	__attribute__((warn_unused_result));

/* Sends every request added since the last reset in one ops->apply()
 * (none when there is none). Returns how many requests failed. */
size_t kbatch_apply(struct kbatch *b, const struct kernel_ops *ops,
		    struct kernel *k);

/* The first failed request of item `i` after kbatch_apply(), or NULL. An
 * ALLOC_SPI the kernel answered with another SPI than asked also fails
 * here (-EADDRINUSE). */
const struct kernel_err *kbatch_item_err(const struct kbatch *b, size_t i);

/* Forgets the collected actions, wiping the SA copies; keeps the memory
 * for the next batch. */
void kbatch_reset(struct kbatch *b);

/* Resets and frees the memory; `b` can be used again. */
void kbatch_free(struct kbatch *b);

#endif
