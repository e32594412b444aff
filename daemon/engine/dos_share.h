/* The counts behind the limits on unauthenticated peers (struct
 * engine_settings: half_open_max, cookie_threshold, half_open_per_peer,
 * invalid_spi_per_s), kept so that they can hold across engines.
 *
 * keybridged runs one engine per worker (doc/performance.md, "Every
 * core") and spreads IKE_SA_INIT requests over them by a hash of the
 * initiator's SPI and address; the operator's limits are the daemon's,
 * not each worker's. So the counts live in a dos_share: an engine alone
 * (tests, kbbench, ike-load) has one of its own, made by engine_new;
 * keybridged has every worker's engine join worker 0's (dos_share_join).
 *
 *  - Half-open IKE SAs (ours as responder before IKE_AUTH is done,
 *    dos_half_open): one atomic count. The cookie threshold and the
 *    half-open maximum are checked by taking a hold (one more if fewer
 *    than the limit, in one compare-and-swap), so two workers answering
 *    at the same instant cannot both pass a limit that has room for one.
 *  - Half-open IKE SAs per peer address: a table of addresses with a
 *    count each, under a mutex (one short critical section per
 *    IKE_SA_INIT and per SA leaving half-open). Each SA remembers its
 *    address's slot, so it gives back exactly what it took even if its
 *    peer's address changes meanwhile. The table holds only addresses
 *    with half-open SAs, so it is never larger than the half-open count;
 *    it grows by doubling and its hash is keyed with a random secret.
 *  - Unprotected INVALID_IKE_SPI answers a second (§2.21.4): they exist
 *    so that we are no reflector, which is about what the host sends,
 *    whichever worker read the request: one atomic window and count.
 *    Log lines about half-open IKE SAs (dos.c) the same way: the log is
 *    the daemon's.
 *
 * The COOKIE secret stays per engine: a request and its COOKIE retry
 * reach the same worker (include/kb_steer.h). */
#ifndef KB_ENGINE_DOS_SHARE_H
#define KB_ENGINE_DOS_SHARE_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stdint.h>

struct dos_share;
struct ike_sa;

/* ---- the shared counts (thread-safe) ---- */

/* An empty set of counts, held once; `key` seeds the address hash (a
 * random value: peers must not be able to pick colliding addresses).
 * NULL on ENOMEM. */
struct dos_share *dos_share_new(uint64_t key);
/* One more holder of `s`; returns `s`. */
struct dos_share *dos_share_ref(struct dos_share *s);
/* One holder less; the last frees it. NULL is fine. */
void dos_share_put(struct dos_share *s);

/* Half-open IKE SAs counted now. */
uint32_t dos_share_half_open(struct dos_share *s);
/* One more if fewer than `limit` are counted: true if it was taken. */
bool dos_share_hold(struct dos_share *s, uint32_t limit);
/* One more whatever the count (an SA that must be counted anyway). */
void dos_share_add(struct dos_share *s);
/* One less (a hold or an add given back). */
void dos_share_release(struct dos_share *s);

/* One more half-open SA for `addr`'s IP address (the port does not
 * matter) if it has fewer than `limit`: returns the slot to give back to
 * dos_share_peer_release (never 0), or 0 if the address is at its limit
 * or the table could not grow. */
uint32_t dos_share_peer_hold(struct dos_share *s,
			     const struct engine_addr *addr, uint32_t limit);
/* Gives back a slot from dos_share_peer_hold (0 is ignored). */
void dos_share_peer_release(struct dos_share *s, uint32_t slot);
/* Half-open SAs `addr`'s IP address holds now. */
uint32_t dos_share_peer_count(struct dos_share *s,
			      const struct engine_addr *addr);
/* Addresses in the table now (each holds at least one). */
uint32_t dos_share_peers(struct dos_share *s);

/* What is counted a second: unprotected INVALID_IKE_SPI answers, and
 * log lines about half-open IKE SAs (dos.c). */
enum dos_rate { DOS_RATE_INVALID_SPI, DOS_RATE_LOG, DOS_RATES };

/* True if one more of `which` fits into the second that started with the
 * first one at least 1000 ms before `now_ms` (monotonic, the same clock
 * for every holder), at most `per_s` a second. */
bool dos_share_rate(struct dos_share *s, enum dos_rate which, uint64_t now_ms,
		    uint32_t per_s);

/* ---- the engine's side (one engine: one thread at a time) ---- */

/* engine_new: a dos_share of the engine's own. 0 or -ENG_ERR_NOMEM. */
int dos_share_engine_init(struct engine *e);
/* engine_free, once its SAs are gone: lets go of its dos_share. */
void dos_share_engine_free(struct engine *e);

/* Makes `e` count in `from`'s dos_share, for every engine of a daemon
 * (keybridged: each worker's engine joins worker 0's). `e` must not count
 * a half-open SA yet (join right after engine_new). 0, or -ENG_ERR_BUSY. */
int dos_share_join(struct engine *e, const struct engine *from)
	__attribute__((warn_unused_result));

/* Half-open IKE SAs of every engine sharing `e`'s counts. */
uint32_t dos_half_open_total(const struct engine *e);

/* init_admit's holds, pending until the IKE SA they admit exists: one
 * more half-open SA if fewer than `limit` (true if taken) ... */
bool dos_hold(struct engine *e, uint32_t limit);
/* ... and one more for `remote`'s address, if fewer than `limit`. */
bool dos_hold_peer(struct engine *e, const struct engine_addr *remote,
		   uint32_t limit);
/* Gives back the pending holds no IKE SA took (the request failed after
 * its admission); nothing if there are none. */
void dos_hold_drop(struct engine *e);

/* `sa` became half-open (created as responder): it takes the pending
 * holds, or, made otherwise (the new IKE SA of a rekey, which leaves
 * that state in the same call), counts beyond the limits. */
void dos_sa_count(struct ike_sa *sa);
/* `sa` is no longer half-open (established, failed or freed): gives back
 * what it counted, once. */
void dos_sa_uncount(struct ike_sa *sa);

/* True if an unprotected INVALID_IKE_SPI answer may go out now (the
 * rate counted across the engines sharing `e`'s counts). */
bool dos_invalid_spi_allowed(struct engine *e, uint64_t now);
/* True if a line about a half-open IKE SA may be logged now, at most
 * `per_s` a second across the engines sharing `e`'s counts. */
bool dos_log_line_allowed(struct engine *e, uint32_t per_s);

#endif
