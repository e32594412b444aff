/* IKE SA table and lifetime, CHILD SA installation as kernel actions. */
#include "engine/ike_sa.h"

#include "crypto/crypto.h"
#include "crypto/ke.h"
#include "crypto/skp.h"
#include "engine/cp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t ike_sa_bucket(uint64_t spi)
{
	spi ^= spi >> 29;
	spi *= 0xbf58476d1ce4e5b9ULL;
	spi ^= spi >> 32;
	return (size_t)(spi % IKE_SA_HASH_BUCKETS);
}

static size_t ike_sa_init_bucket(uint64_t spi_i,
				 const struct engine_addr *remote)
{
	uint64_t h = spi_i;

	for (size_t i = 0; i < sizeof(remote->ip); i++)
		h = h * 131 + remote->ip[i];
	return ike_sa_bucket(h ^ remote->port);
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

struct ike_sa *ike_sa_find(struct engine *e, uint64_t local_spi)
{
	struct ike_sa *sa = e->by_spi[ike_sa_bucket(local_spi)];

	while (sa && ike_sa_local_spi(sa) != local_spi)
		sa = sa->hnext;
	return sa;
}

struct ike_sa *ike_sa_find_init(struct engine *e, uint64_t spi_i,
				const struct engine_addr *remote)
{
	struct ike_sa *sa = e->by_init[ike_sa_init_bucket(spi_i, remote)];

	while (sa && !(sa->spi_i == spi_i &&
		       ike_sa_addr_eq(&sa->remote, remote, true)))
		sa = sa->init_hnext;
	return sa;
}

struct ike_sa *ike_sa_by_id(const struct engine *e, uint32_t id)
{
	struct ike_sa *sa = e->sas;

	while (sa && sa->id != id)
		sa = sa->next;
	return sa;
}

static void ike_sa_unlink_bucket(struct ike_sa **head, struct ike_sa *sa,
				 bool init)
{
	for (struct ike_sa **pp = head; *pp;
	     pp = init ? &(*pp)->init_hnext : &(*pp)->hnext) {
		if (*pp == sa) {
			*pp = init ? sa->init_hnext : sa->hnext;
			return;
		}
	}
}

static void ike_sa_unindex_init(struct ike_sa *sa)
{
	struct engine *e = sa->e;

	ike_sa_unlink_bucket(&e->by_init[sa->init_bucket], sa, true);
	sa->init_indexed = false;
}

/* Half-open SAs in the sense of §2.6: answered IKE_SA_INIT as responder,
 * no IKE_AUTH yet. Our own initiations do not count against the peers. */
static bool ike_sa_half_open(const struct ike_sa *sa)
{
	return !sa->initiator && sa->state == IKE_SA_INIT_R;
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
	if (!(sa = calloc(1, sizeof(*sa))))
		return NULL;
	/* Our SPI is random, non-zero and unique in this engine (§2.6). */
	while (!spi || ike_sa_find(e, spi)) {
		if (engine_random(e, &spi, sizeof(spi))) {
			free(sa);
			return NULL;
		}
	}
	sa->e = e;
	sa->id = e->next_id++;
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
	sa->hnext = e->by_spi[ike_sa_bucket(spi)];
	e->by_spi[ike_sa_bucket(spi)] = sa;
	e->n_sas++;
	if (ike_sa_half_open(sa))
		e->n_half_open++;
	return sa;
}

void ike_sa_index_init(struct ike_sa *sa)
{
	struct engine *e = sa->e;
	size_t b = ike_sa_init_bucket(sa->spi_i, &sa->remote);

	sa->init_bucket = b;
	sa->init_hnext = e->by_init[b];
	e->by_init[b] = sa;
	sa->init_indexed = true;
}

void ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state st)
{
	bool was = ike_sa_half_open(sa);

	sa->state = st;
	if (was && !ike_sa_half_open(sa))
		sa->e->n_half_open--;
	/* The (SPIi, peer) index stays for the SA's life: a late copy of
	 * the IKE_SA_INIT request then finds this SA and is dropped rather
	 * than starting a second half-open SA (§2.1). */
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
	ike_sa_unlink_bucket(&e->by_spi[ike_sa_bucket(ike_sa_local_spi(sa))],
			     sa, false);
	if (sa->init_indexed)
		ike_sa_unindex_init(sa);
	if (ike_sa_half_open(sa))
		e->n_half_open--;
	e->n_sas--;
	while (sa->children) {
		struct child_sa *c = sa->children;

		sa->children = c->next;
		e->n_children--;
		child_free(c);
	}
	child_free(sa->pending_child);
	cp_sa_free(sa); /* leases released, virtual addresses removed */
	task_free_all(sa);
	ike_sa_ke_free(sa);
	skp_free(sa->sk);
	keymat_ike_wipe(&sa->km);
	free(sa->init_req);
	free(sa->init_resp);
	win_free(sa);
	frag_free(sa);
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
