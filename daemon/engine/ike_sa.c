/* IKE SA table and lifetime, CHILD SA installation as kernel actions. */
#include "engine/ike_sa.h"

#include "crypto/crypto.h"
#include "crypto/ke.h"
#include "crypto/skp.h"
#include "engine/cp.h"
#include "engine/dos_share.h"
#include "engine/eap.h"
#include "engine/ident.h"
#include "engine/peer_idx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t ike_sa_init_hash(uint64_t spi_i,
				 const struct engine_addr *remote)
{
	uint64_t h = spi_i;

	for (size_t i = 0; i < sizeof(remote->ip); i++)
		h = h * 131 + remote->ip[i];
	return hashtab_mix(h ^ remote->port);
}

bool ike_sa_addr_eq(const struct engine_addr *a, const struct engine_addr *b,
		    bool ports)
{
	size_t alen = a->family == 10 ? 16 : 4;

	return a->family == b->family && !memcmp(a->ip, b->ip, alen) &&
	       (!ports || a->port == b->port);
}

uint64_t ike_sa_local_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

/* Every lookup marks the SA it finds: whoever holds it may change its
 * timers (timers.h). */
struct ike_sa *ike_sa_find(struct engine *e, uint64_t local_spi)
{
	uint64_t h = hashtab_mix(local_spi);

	for (struct hashtab_node *n = hashtab_first(&e->by_spi, h); n;
	     n = hashtab_next(n)) {
		struct ike_sa *sa = hashtab_entry(n, struct ike_sa, spi_node);

		if (ike_sa_local_spi(sa) == local_spi) {
			timers_touch(sa);
			return sa;
		}
	}
	return NULL;
}

struct ike_sa *ike_sa_find_init(struct engine *e, uint64_t spi_i,
				const struct engine_addr *remote)
{
	uint64_t h = ike_sa_init_hash(spi_i, remote);

	for (struct hashtab_node *n = hashtab_first(&e->by_init, h); n;
	     n = hashtab_next(n)) {
		struct ike_sa *sa = hashtab_entry(n, struct ike_sa, init_node);

		if (sa->spi_i == spi_i &&
		    ike_sa_addr_eq(&sa->remote, remote, true)) {
			timers_touch(sa);
			return sa;
		}
	}
	return NULL;
}

struct ike_sa *ike_sa_peek(const struct engine *e, uint32_t id)
{
	for (struct hashtab_node *n = hashtab_first(&e->by_id, hashtab_mix(id));
	     n; n = hashtab_next(n)) {
		struct ike_sa *sa = hashtab_entry(n, struct ike_sa, id_node);

		if (sa->id == id)
			return sa;
	}
	return NULL;
}

struct ike_sa *ike_sa_by_id(const struct engine *e, uint32_t id)
{
	struct ike_sa *sa = ike_sa_peek(e, id);

	if (sa)
		timers_touch(sa);
	return sa;
}

/* Half-open SAs in the sense of §2.6: answered IKE_SA_INIT as responder,
 * no IKE_AUTH yet (or its EAP rounds, where the peer is still unproven).
 * Our own initiations do not count against the peers. */
static bool ike_sa_half_open(const struct ike_sa *sa)
{
	return !sa->initiator &&
	       (sa->state == IKE_SA_INIT_R || sa->state == IKE_SA_EAP_R);
}

/* Counted in the engine (its status) and in the counts its limits use,
 * which may be every worker's (dos_share.h). */
static void ike_sa_half_open_link(struct ike_sa *sa)
{
	sa->e->n_half_open++;
	dos_sa_count(sa);
}

static void ike_sa_half_open_unlink(struct ike_sa *sa)
{
	sa->e->n_half_open--;
	dos_sa_uncount(sa);
}

struct ike_sa *ike_sa_new(struct engine *e, const struct engine_conn *conn,
			  bool initiator, const struct engine_addr *local,
			  const struct engine_addr *remote)
{
	return ike_sa_new_spi(e, conn, initiator, local, remote, 0);
}

struct ike_sa *ike_sa_new_spi(struct engine *e, const struct engine_conn *conn,
			      bool initiator, const struct engine_addr *local,
			      const struct engine_addr *remote, uint64_t spi)
{
	struct ike_sa *sa;

	if (spi && ike_sa_find(e, spi))
		return NULL;
	if (timers_reserve(e, e->n_sas + 1))
		return NULL;
	if (!(sa = calloc(1, sizeof(*sa))))
		return NULL;
	/* Our SPI is random, non-zero and unique in this engine (§2.6). */
	while (!spi || ike_sa_find(e, spi)) {
		if (engine_random(e, &spi, sizeof(spi))) {
			free(sa);
			return NULL;
		}
		spi = engine_spi_own(e, spi);
	}
	sa->e = e;
	sa->id = e->next_id;
	e->next_id += e->set.n_workers;
	sa->conn = conn;
	sa->initiator = initiator;
	sa->state = initiator ? IKE_SA_INIT_I : IKE_SA_INIT_R;
	sa->local = *local;
	sa->remote = *remote;
	if (initiator)
		sa->spi_i = spi;
	else
		sa->spi_r = spi;
	snprintf(sa->name, sizeof(sa->name), "%s[%u]",
		 conn ? conn->name : "(responder)", sa->id);
	sa->next = e->sas;
	if (e->sas)
		e->sas->prev = sa;
	e->sas = sa;
	hashtab_add(&e->by_spi, &sa->spi_node, hashtab_mix(spi));
	hashtab_add(&e->by_id, &sa->id_node, hashtab_mix(sa->id));
	sa_idx_sa_file(sa);
	timers_touch(sa);
	e->n_sas++;
	if (ike_sa_half_open(sa))
		ike_sa_half_open_link(sa);
	return sa;
}

void ike_sa_index_init(struct ike_sa *sa)
{
	/* The hash is kept in the node: the remote may change later. */
	hashtab_add(&sa->e->by_init, &sa->init_node,
		    ike_sa_init_hash(sa->spi_i, &sa->remote));
	sa->init_indexed = true;
}

void ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state st)
{
	bool was = ike_sa_half_open(sa);

	sa->state = st;
	if (was && !ike_sa_half_open(sa))
		ike_sa_half_open_unlink(sa);
	/* The (SPIi, peer) index stays for the SA's life: a late copy of
	 * the IKE_SA_INIT request then finds this SA and is dropped rather
	 * than starting a second half-open SA (§2.1). */
}

int ike_nonce_set(struct engine *e, uint8_t **dst, uint16_t *dst_len,
		  const uint8_t *src, size_t len)
{
	uint8_t *p;
	int err;

	if (!len || len > IKE_SA_NONCE_MAX)
		return -ENG_ERR_MALFORMED;
	if (!(p = malloc(len)))
		return -ENG_ERR_NOMEM;
	if (src) {
		memcpy(p, src, len);
	} else if ((err = engine_random(e, p, len))) {
		free(p);
		return err;
	}
	ike_nonce_free(dst, dst_len);
	*dst = p;
	*dst_len = (uint16_t)len;
	return 0;
}

void ike_nonce_free(uint8_t **p, uint16_t *len)
{
	free(*p);
	*p = NULL;
	*len = 0;
}

void ike_sa_keys_set(struct ike_sa *sa, struct keymat_ike *km)
{
	ike_sa_keys_done(sa);
	sa->km = km;
	sa->prf = km->suite.prf;
	sa->d_len = (uint8_t)km->d_len;
	memcpy(sa->sk_d, km->sk_d, km->d_len);
}

void ike_sa_keys_done(struct ike_sa *sa)
{
	if (!sa->km)
		return;
	keymat_ike_wipe(sa->km);
	free(sa->km);
	sa->km = NULL;
}

void ike_sa_keymat_d(const struct ike_sa *sa, struct keymat_ike *tmp)
{
	memset(tmp, 0, sizeof(*tmp));
	tmp->suite.prf = sa->prf;
	memcpy(tmp->sk_d, sa->sk_d, sa->d_len);
	tmp->d_len = tmp->p_len = sa->d_len;
}

void ike_sa_ke_free(struct ike_sa *sa)
{
	ke_free(sa->ke);
	sa->ke = NULL;
}

void ike_sa_free(struct ike_sa *sa)
{
	struct engine *e = sa->e;

	if (sa->prev)
		sa->prev->next = sa->next;
	else
		e->sas = sa->next;
	if (sa->next)
		sa->next->prev = sa->prev;
	hashtab_del(&e->by_spi, &sa->spi_node);
	hashtab_del(&e->by_id, &sa->id_node);
	if (sa->init_indexed)
		hashtab_del(&e->by_init, &sa->init_node);
	peer_idx_del(sa);
	sa_idx_sa_del(sa);
	timers_forget(sa);
	if (ike_sa_half_open(sa))
		ike_sa_half_open_unlink(sa);
	e->n_sas--;
	while (sa->children) {
		struct child_sa *c = sa->children;

		child_unlink(sa, c);
		child_free(c);
	}
	child_free(sa->pending_child);
	cp_sa_free(sa); /* leases released, virtual addresses removed */
	task_free_all(sa);
	ike_sa_ke_free(sa);
	skp_free(sa->sk);
	ike_sa_keys_done(sa);
	crypto_wipe(sa->sk_d, sizeof(sa->sk_d));
	free(sa->init_req);
	free(sa->init_resp);
	ike_nonce_free(&sa->ni, &sa->ni_len);
	ike_nonce_free(&sa->nr, &sa->nr_len);
	free(sa->cookie);
	win_free(sa);
	frag_free(sa);
	ident_peer_free(sa);
	if (sa->initiator)
		eap_i_free(sa->eap_i);
	else
		eap_r_free(sa->eap);
	crypto_wipe(sa, sizeof(*sa));
	free(sa);
}

void ike_sa_destroy(struct ike_sa *sa, int reason)
{
	struct engine *e = sa->e;
	bool was_up =
		sa->state == IKE_SA_ESTABLISHED || sa->state == IKE_SA_DELETING;

	while (sa->children)
		ike_sa_child_remove(sa, sa->children);
	if (sa->pending_child && sa->pending_child->spi_in)
		child_release_spi(sa, sa->pending_child);
	task_release_all(sa);
	if (!sa->rekeyed) /* else its successor carries on */
		engine_event(e, sa,
			     was_up ? ENGINE_EV_IKE_DOWN : ENGINE_EV_IKE_FAILED,
			     reason);
	ike_sa_free(sa);
}
