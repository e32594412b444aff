/* IKE SAs by the identity their peer authenticated (RFC 7296 §2.4): a
 * peer's INITIAL_CONTACT removes its other IKE SAs, which this index finds
 * without walking every SA of the engine. An SA is in it from the moment
 * its peer's ID is known (IKE_AUTH, or a rekey inheriting it) until it is
 * freed, whatever its state; the callers filter by state and connection. */
#ifndef KB_ENGINE_PEER_IDX_H
#define KB_ENGINE_PEER_IDX_H

#include <stdint.h>

struct engine;
struct ike_sa;

/* Sets the SA's peer_id_hash and files it under that value (again, if it
 * was filed under another). Never fails. */
void peer_idx_set(struct ike_sa *sa, uint64_t peer_id_hash);
/* Takes the SA out of the index (ike_sa_free); harmless if not in it. */
void peer_idx_del(struct ike_sa *sa);

/* The first / next SA filed under `peer_id_hash`, in no particular
 * order. The caller may free the SA it holds once it has asked for the
 * next one. The SAs of one identity are a group (grouptab.h): freeing
 * one costs O(1) however many the identity holds (ike-load sets up
 * every SA under one identity). */
struct ike_sa *peer_idx_first(const struct engine *e, uint64_t peer_id_hash);
struct ike_sa *peer_idx_next(const struct ike_sa *sa);

#endif
