/* Identities in IKE_AUTH (RFC 7296 §2.15, §3.5): how well an identity
 * matches a configured one (with strongSwan's wildcards, so swanctl.conf
 * files mean the same here), which pre-shared key serves a pair of
 * identities, and what the peer proved, kept on its IKE SA. */
#ifndef KB_ENGINE_IDENT_H
#define KB_ENGINE_IDENT_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike_sa;

/* How well an identity matches a pattern; higher is better. The values
 * are strongSwan's (id_match_t), so ranks compare as they do there. */
enum ident_match {
	IDENT_MATCH_NONE = 0,
	IDENT_MATCH_ANY = 1,	  /* the pattern is %any */
	IDENT_MATCH_STAR = 2,	  /* "*": any FQDN / any e-mail address */
	IDENT_MATCH_SUFFIX = 19,  /* "*@example.org", "*.example.org" */
	IDENT_MATCH_PERFECT = 20, /* equal (FQDN and e-mail: any case) */
};

/* How well `id` (a peer's IDi/IDr, or ours) matches `pattern` (a
 * configured identity; type 0 is %any). Only FQDN and e-mail patterns
 * have wildcards: a leading '*' stands for any prefix. */
enum ident_match ident_match(const struct engine_id *id,
			     const struct engine_id *pattern);

/* The pre-shared key for our identity `me` and the peer's `peer` (type 0
 * when not known yet: an initiator's %any remote id). From the
 * connection's table, the key whose owners match the peer best, then us
 * best (one matching neither is no candidate); without a table, the
 * connection's own key. Sets *key, *len and *name ("" for the
 * connection's own); -ENG_ERR_NO_PSK if no key fits. */
int ident_psk(const struct engine_conn *c, const struct engine_id *me,
	      const struct engine_id *peer, const uint8_t **key, size_t *len,
	      const char **name);

/* What an IKE SA keeps of its peer once it authenticated (a half-open SA
 * holds none of it): its ID as proved, and its EAP identity, in one block
 * allocated at their lengths (a few dozen bytes for a usual identity,
 * where two ENGINE_ID_MAX arrays took 518 per IKE SA). */
struct ike_peer {
	uint8_t type;	  /* the ID payload's type */
	uint16_t len;	  /* ID data: data[0 .. len) */
	uint16_t eap_len; /* EAP identity: data[len .. len + eap_len) */
	uint8_t data[];
};

/* The peer's ID as an engine_id, copied to *out. */
void ident_peer_id(const struct ike_peer *p, struct engine_id *out);

/* The peer's EAP identity (eap_len bytes; none if 0). */
static inline const uint8_t *ident_peer_eap(const struct ike_peer *p)
{
	return p->data + p->len;
}

/* Records what the peer of `sa` proved: its ID payload's type and data,
 * and the EAP identity (`eap`, `eap_len`; NULL for none). 0 or
 * -ENG_ERR_NOMEM. */
int ident_peer_set(struct ike_sa *sa, uint8_t type, const uint8_t *data,
		   size_t len, const uint8_t *eap, size_t eap_len);

/* The successor of a rekeyed IKE SA (§2.18) authenticated nobody anew:
 * it carries the old one's peer identity. */
int ident_peer_inherit(const struct ike_sa *old, struct ike_sa *n);

/* Frees what ident_peer_set kept; for ike_sa_free. */
void ident_peer_free(struct ike_sa *sa);

#endif
