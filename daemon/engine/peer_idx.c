/* IKE SAs by their peer's authenticated identity; see peer_idx.h. */
#include "engine/peer_idx.h"

#include "engine/hashtab.h"
#include "engine/ike_sa.h"

void peer_idx_set(struct ike_sa *sa, uint64_t peer_id_hash)
{
	peer_idx_del(sa);
	sa->peer_id_hash = peer_id_hash;
	hashtab_add(&sa->e->by_peer, &sa->peer_node, hashtab_mix(peer_id_hash));
	sa->peer_indexed = true;
}

void peer_idx_del(struct ike_sa *sa)
{
	if (!sa->peer_indexed)
		return;
	hashtab_del(&sa->e->by_peer, &sa->peer_node);
	sa->peer_indexed = false;
}

/* The SA of node `n` or of a later one in its chain whose peer_id_hash is
 * `peer` (different values may share a mixed hash). */
static struct ike_sa *peer_idx_match(const struct hashtab_node *n,
				     uint64_t peer)
{
	for (; n; n = hashtab_next(n)) {
		struct ike_sa *sa = hashtab_entry(n, struct ike_sa, peer_node);

		if (sa->peer_id_hash == peer)
			return sa;
	}
	return NULL;
}

struct ike_sa *peer_idx_first(const struct engine *e, uint64_t peer_id_hash)
{
	return peer_idx_match(
		hashtab_first(&e->by_peer, hashtab_mix(peer_id_hash)),
		peer_id_hash);
}

struct ike_sa *peer_idx_next(const struct ike_sa *sa)
{
	return peer_idx_match(hashtab_next(&sa->peer_node), sa->peer_id_hash);
}
