/* Address pools for virtual addresses (RFC 7296 §3.15, swanctl.conf pools):
 * a pure allocator of leases, and the engine's table of pools.
 *
 * A lease ties one address of a pool to one peer identity. It is "online"
 * while an IKE SA of that identity holds it (an identity with several IKE
 * SAs, a reauthentication or a second device with the same credentials,
 * gets the same address), "offline" once the last one is gone: the
 * address stays reserved for that identity, which gets it back when it
 * returns. Only when a pool has no address left that was never leased is
 * the offline lease released longest ago given to another identity; when
 * every address is online the pool is exhausted (the peer is answered
 * INTERNAL_ADDRESS_FAILURE, RFC 7296 §3.15.4).
 *
 * With several workers (doc/performance.md, "Every core") one pool serves
 * every worker's engine: worker 0's engine makes the pools
 * (engine_pools_replace), the others share them (engine_pools_share), and
 * each pool's lock guards its leases, so one identity holds one address
 * whichever worker answers its IKE SAs.
 *
 * Leases live in memory only: they do not survive a restart of the daemon,
 * as in strongSwan's in-memory pools.
 */
#ifndef KB_ENGINE_POOL_H
#define KB_ENGINE_POOL_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pools larger than this many addresses (IPv6 prefixes) use only their
 * first POOL_SIZE_MAX addresses. */
#define POOL_SIZE_MAX 0x7fffffffULL

struct pool;

/* A pool for `cfg`, held by one engine (family and first <= last checked by the caller; a
 * range the wrong way round gives an empty pool). NULL on ENOMEM. */
struct pool *pool_new(const struct engine_pool *cfg);
/* One engine less holds `p`; the last frees it. */
void pool_free(struct pool *p);

const struct engine_pool *pool_cfg(const struct pool *p);

/* Number of addresses the pool hands out. */
uint64_t pool_size(const struct pool *p);

/* Leases an address to identity `id`: the one it holds or held before,
 * else `want` (NULL or an address of the pool's family: honoured when it
 * lies in the pool and no one else has it), else the next address never
 * leased, else the offline lease released longest ago. Writes the address
 * (16 bytes, IPv4 in the first 4) to `out`. Returns 0, or -ENG_ERR_ADDRESS
 * when every address is online, or -ENG_ERR_NOMEM. */
int pool_acquire(struct pool *p, const struct engine_id *id,
		 const uint8_t *want, uint8_t out[16])
	__attribute__((warn_unused_result));

/* An IKE SA holding the lease of `ip` is gone: one hold less (the lease
 * stays reserved for its identity). Unknown addresses are ignored. */
void pool_release(struct pool *p, const uint8_t ip[16]);

/* True if `ip` (of the pool's family) lies in the pool. */
bool pool_contains(const struct pool *p, const uint8_t ip[16]);

/* ---- the engine's pools (for io and the control socket) ---- */

struct engine_pool_info {
	struct engine_pool cfg;
	uint64_t size;		  /* addresses handed out */
	uint32_t online, offline; /* leases */
};

struct engine_pool_lease {
	uint8_t family;
	uint8_t ip[16];
	struct engine_id id;
	bool online;
};

/* Replaces the engine's pools (at start and on a reload). A pool whose
 * name, family and range stay the same keeps its leases (its DNS servers
 * and subnets are updated); the others start empty. IKE SAs keep the
 * addresses they hold; releasing one of a pool that is gone does nothing.
 * Returns 0 or -ENG_ERR_NOMEM (the old pools stay then). */
int engine_pools_replace(struct engine *e, const struct engine_pool *pools,
			 size_t n) __attribute__((warn_unused_result));

/* Replaces e's pools with `from`'s own, shared: leases made through
 * either engine are seen by both (several workers, one set of pools).
 * Only while neither engine runs in another thread (the daemon holds
 * every worker's lock); `from` is then the one engine_pools_replace
 * updates, and every sharer shares again after it. Returns 0 or
 * -ENG_ERR_NOMEM (e keeps its pools then). */
int engine_pools_share(struct engine *e, const struct engine *from)
	__attribute__((warn_unused_result));

size_t engine_pool_count(const struct engine *e);

/* Pool `i` (0 .. engine_pool_count - 1); -ENOENT past the end. */
int engine_pool_info(const struct engine *e, size_t i,
		     struct engine_pool_info *out);

/* Lease `j` of pool `i`, in the order they were made; -ENOENT past the
 * end. */
int engine_pool_lease(const struct engine *e, size_t i, size_t j,
		      struct engine_pool_lease *out);

/* ---- engine internals (cp.c) ---- */

/* The pool named `name`, or NULL. */
struct pool *pool_find(struct engine *e, const char *name);

/* Frees every pool of the engine (engine_free). */
void pool_table_free(struct engine *e);

#endif
