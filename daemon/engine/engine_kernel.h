/* Conversions between the engine's actions and events and the neutral
 * kernel model (kernel/kernel.h), so io can hand SA_ADD/POLICY_ADD actions
 * to any backend and feed kernel events back. Pure functions. */
#ifndef KB_ENGINE_ENGINE_KERNEL_H
#define KB_ENGINE_ENGINE_KERNEL_H

#include "engine/engine.h"
#include "kernel/kernel.h"

/* Most kernel selectors one IKE traffic selector range can need (an
 * arbitrary IPv6 range splits into at most 2 * 128 - 2 prefixes). */
#define ENGINE_KERNEL_PREFIX_MAX 254

/* A prefix of a range split (RFC 7296 §3.13.1 ranges vs. the kernel's
 * RFC 4301 prefixes). */
struct engine_prefix {
	uint8_t addr[16];
	uint8_t plen;
};

/* Splits the address range of `ts` into the fewest prefixes covering it
 * exactly; returns how many were written (at most `cap`), 0 on a bad
 * selector or if `cap` is too small. */
size_t engine_ts_prefixes(const struct engine_ts *ts, struct engine_prefix *out,
			  size_t cap);

/* Fills a kernel SA from an SA_ADD (or SA_DEL: only the id matters)
 * action: ESP by IP protocol number, kernel mode numbering, UDP
 * encapsulation ports, lifetimes, and a transport-mode selector when the
 * traffic selectors are single prefixes. */
void engine_sa_to_kernel(const struct engine_sa *in, struct kernel_sa *out);

/* Expands a POLICY_ADD/DEL action into kernel policies, one per pair of
 * prefixes of its selectors; port ranges must be one port or any (else
 * -EINVAL). `index_seq` numbers the policies for kernel_policy_index() and
 * is advanced. Returns the count or a -errno (-ENOSPC if `cap` is short). */
int engine_policy_to_kernel(const struct engine_policy *in, uint32_t *index_seq,
			    struct kernel_policy *out, size_t cap);

/* Turns a kernel event the engine cares about (ACQUIRE, EXPIRE) into an
 * engine event; -ENOENT for the others. */
int engine_kevent_from_kernel(const struct kernel_event *in,
			      struct engine_kevent *out);

#endif
