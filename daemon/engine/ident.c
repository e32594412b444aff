/* Identities in IKE_AUTH; see ident.h. */
#include "engine/ident.h"

#include "crypto/crypto.h"
#include "engine/ike_sa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ident_text(uint8_t type)
{
	return type == ID_FQDN || type == ID_RFC822_ADDR;
}

static int ident_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool ident_caseeq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ident_lower(a[i]) != ident_lower(b[i]))
			return false;
	return true;
}

enum ident_match ident_match(const struct engine_id *id,
			     const struct engine_id *pattern)
{
	size_t n;

	if (!pattern->type)
		return IDENT_MATCH_ANY;
	if (!id->type || id->type != pattern->type)
		return IDENT_MATCH_NONE;
	if (!ident_text(id->type))
		return id->len == pattern->len &&
				       !memcmp(id->data, pattern->data, id->len)
			       ? IDENT_MATCH_PERFECT
			       : IDENT_MATCH_NONE;
	/* host and user names compare without regard to case (RFC 4343) */
	if (id->len == pattern->len &&
	    ident_caseeq(id->data, pattern->data, id->len))
		return IDENT_MATCH_PERFECT;
	if (!pattern->len || pattern->data[0] != '*')
		return IDENT_MATCH_NONE;
	if (pattern->len == 1)
		return IDENT_MATCH_STAR;
	n = pattern->len - 1u; /* the suffix after '*' */
	return n <= id->len && ident_caseeq(id->data + id->len - n,
					    pattern->data + 1, n)
		       ? IDENT_MATCH_SUFFIX
		       : IDENT_MATCH_NONE;
}

/* The best match of `id` among a key's owners; none listed is %any. */
static enum ident_match ident_owner(const struct engine_psk *k,
				    const struct engine_id *id)
{
	enum ident_match best = IDENT_MATCH_NONE, m;

	if (!k->n_ids)
		return IDENT_MATCH_ANY;
	for (size_t i = 0; i < k->n_ids; i++)
		if ((m = ident_match(id, &k->ids[i])) > best)
			best = m;
	return best;
}

int ident_psk(const struct engine_conn *c, const struct engine_id *me,
	      const struct engine_id *peer, const uint8_t **key, size_t *len,
	      const char **name)
{
	const struct engine_psk *best = NULL;
	enum ident_match best_me = IDENT_MATCH_NONE, best_peer = best_me;

	if (!c->psks) {
		*key = c->psk;
		*len = c->psk_len;
		*name = "";
		return 0;
	}
	for (size_t i = 0; i < c->n_psks; i++) {
		const struct engine_psk *k = &c->psks[i];
		enum ident_match m = ident_owner(k, me),
				 p = ident_owner(k, peer);

		if (m == IDENT_MATCH_NONE && p == IDENT_MATCH_NONE)
			continue;
		/* the peer's side decides first, as in strongSwan */
		if (!best || p > best_peer || (p == best_peer && m > best_me)) {
			best = k;
			best_me = m;
			best_peer = p;
		}
	}
	if (!best)
		return -ENG_ERR_NO_PSK;
	*key = best->key;
	*len = best->len;
	*name = best->name;
	return 0;
}

int ident_peer_set(struct ike_sa *sa, uint8_t type, const uint8_t *data,
		   size_t len, const uint8_t *eap, size_t eap_len)
{
	struct ike_peer *p;

	/* the decoder and the EAP server bound both to ENGINE_ID_MAX */
	if (len > ENGINE_ID_MAX)
		len = ENGINE_ID_MAX;
	if (!eap || eap_len > ENGINE_ID_MAX)
		eap_len = eap ? ENGINE_ID_MAX : 0;
	if (!(p = calloc(1, sizeof(*p) + len + eap_len)))
		return -ENG_ERR_NOMEM;
	p->type = type;
	p->len = (uint16_t)len;
	p->eap_len = (uint16_t)eap_len;
	if (len)
		memcpy(p->data, data, len);
	if (eap_len)
		memcpy(p->data + len, eap, eap_len);
	ident_peer_free(sa);
	sa->peer = p;
	return 0;
}

void ident_peer_id(const struct ike_peer *p, struct engine_id *out)
{
	out->type = p->type;
	out->len = p->len;
	memcpy(out->data, p->data, p->len);
}

int ident_peer_inherit(const struct ike_sa *old, struct ike_sa *n)
{
	const struct ike_peer *p = old->peer;

	if (!p)
		return 0;
	return ident_peer_set(n, p->type, p->data, p->len,
			      p->eap_len ? ident_peer_eap(p) : NULL,
			      p->eap_len);
}

void ident_peer_free(struct ike_sa *sa)
{
	if (!sa->peer)
		return;
	crypto_wipe(sa->peer,
		    sizeof(*sa->peer) + sa->peer->len + sa->peer->eap_len);
	free(sa->peer);
	sa->peer = NULL;
}

int engine_ike_ids(const struct engine *e, uint32_t ike_id,
		   struct engine_ike_ids *out)
{
	const struct ike_sa *sa = ike_sa_peek(e, ike_id);

	memset(out, 0, sizeof(*out));
	if (!sa)
		return -ENOENT;
	if (sa->conn)
		out->local = sa->conn->local_auth.id;
	if (sa->peer) {
		ident_peer_id(sa->peer, &out->remote);
		out->remote_eap_len = sa->peer->eap_len;
		memcpy(out->remote_eap, ident_peer_eap(sa->peer),
		       sa->peer->eap_len);
	}
	return 0;
}
