/* IKE SAs by their peer's authenticated identity; see peer_idx.h. */
#include "engine/peer_idx.h"

#include "engine/grouptab.h"
#include "engine/ike_sa.h"

static bool peer_idx_eq(const struct grouptab_node *n, const void *key)
{
	return hashtab_entry(n, struct ike_sa, peer_node)->peer_id_hash ==
	       *(const uint64_t *)key;
}

void peer_idx_set(struct ike_sa *sa, uint64_t peer_id_hash)
{
	peer_idx_del(sa);
	sa->peer_id_hash = peer_id_hash;
	(void)grouptab_add(&sa->e->by_peer, &sa->peer_node,
			   hashtab_mix(peer_id_hash), peer_idx_eq,
			   &peer_id_hash);
	sa->peer_indexed = true;
}

void peer_idx_del(struct ike_sa *sa)
{
	if (!sa->peer_indexed)
		return;
	(void)grouptab_del(&sa->e->by_peer, &sa->peer_node);
	sa->peer_indexed = false;
}

struct ike_sa *peer_idx_first(const struct engine *e, uint64_t peer_id_hash)
{
	struct grouptab_node *n =
		grouptab_find(&e->by_peer, hashtab_mix(peer_id_hash),
			      peer_idx_eq, &peer_id_hash);

	return n ? hashtab_entry(n, struct ike_sa, peer_node) : NULL;
}

struct ike_sa *peer_idx_next(const struct ike_sa *sa)
{
	struct grouptab_node *n = grouptab_next(&sa->peer_node);

	return n ? hashtab_entry(n, struct ike_sa, peer_node) : NULL;
}
