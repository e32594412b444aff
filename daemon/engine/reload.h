/* Connection tables replaced by reloads (reload.c): the engine keeps a
 * replaced table while IKE SAs still point into it (SAs of removed or
 * changed connections being deleted with their peers) and frees it, its
 * PSKs wiped, once none does. io keeps the keys and certificates those
 * tables name until the engine no longer refers to them. */
#ifndef KB_ENGINE_RELOAD_H
#define KB_ENGINE_RELOAD_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stddef.h>

/* Frees (wiping PSKs) every replaced table no IKE SA points into any
 * more; returns how many are still kept. engine_conns_replace() calls it;
 * io calls it again after SAs went away (cost: every SA, per kept table). */
size_t engine_retired_collect(struct engine *e);

/* How many replaced tables the engine still keeps. */
size_t engine_retired_count(const struct engine *e);

/* True if an IKE SA (its CHILD SAs, queued work) points into the table
 * [conns, conns + n). */
bool engine_conns_in_use(const struct engine *e,
			 const struct engine_conn *conns, size_t n);

/* True if a connection of the current table or of a kept replaced one
 * authenticates with key or certificate `key_or_cert` (struct auth_key,
 * auth_cert or auth_trust, or the eap_users or psks table): io may free
 * it only when this is false. */
bool engine_auth_in_use(const struct engine *e, const void *key_or_cert);

#endif
