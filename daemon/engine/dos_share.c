/* The DoS counts shared by the engines of a daemon; see dos_share.h. */
#include "engine/dos_share.h"

#include "engine/engine_err.h"
#include "engine/hashtab.h"
#include "engine/ike_sa.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum {
	DOS_PEERS_FIRST = 64,	 /* addresses the table first has room for */
	DOS_PEERS_MAX = 1 << 24, /* above any half_open_max (10^6) */
	DOS_RATE_N_BITS = 24,	 /* the rate word: start ms << 24 | count */
};

#define DOS_RATE_N_MASK ((UINT64_C(1) << DOS_RATE_N_BITS) - 1)
#define DOS_RATE_T_MASK ((UINT64_C(1) << (64 - DOS_RATE_N_BITS)) - 1)

struct dos_peer {
	uint8_t ip[16]; /* IPv4 in the first 4, the rest zero */
	uint8_t family;
	uint32_t n;    /* half-open SAs; 0: the slot is on the free list */
	uint32_t next; /* its bucket's chain or the free list: index + 1 */
};

struct dos_share {
	_Atomic uint32_t half_open;
	_Atomic uint64_t rate[DOS_RATES]; /* window start, count */
	_Atomic uint32_t refs;
	uint64_t key;
	pthread_mutex_t mu; /* guards what follows */
	struct dos_peer *peer;
	uint32_t *bucket; /* 2 * cap chains' first index + 1 */
	uint32_t cap, used, live, free;
};

struct dos_share *dos_share_new(uint64_t key)
{
	struct dos_share *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	atomic_init(&s->half_open, 0);
	for (int i = 0; i < DOS_RATES; i++)
		atomic_init(&s->rate[i], 0);
	atomic_init(&s->refs, 1);
	s->key = key;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

struct dos_share *dos_share_ref(struct dos_share *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void dos_share_put(struct dos_share *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->peer);
	free(s->bucket);
	free(s);
}

uint32_t dos_share_half_open(struct dos_share *s)
{
	return atomic_load(&s->half_open);
}

bool dos_share_hold(struct dos_share *s, uint32_t limit)
{
	uint32_t n = atomic_load(&s->half_open);

	/* a failed exchange reloads n: another engine counted meanwhile */
	while (n < limit)
		if (atomic_compare_exchange_weak(&s->half_open, &n, n + 1))
			return true;
	return false;
}

void dos_share_add(struct dos_share *s)
{
	atomic_fetch_add(&s->half_open, 1);
}

void dos_share_release(struct dos_share *s)
{
	atomic_fetch_sub(&s->half_open, 1);
}

/* ---- the address table (s->mu held) ---- */

static void dos_peer_key(const struct engine_addr *a, uint8_t ip[16])
{
	memset(ip, 0, 16);
	memcpy(ip, a->ip, a->family == 10 ? 16 : 4);
}

static uint32_t dos_peer_bucket(const struct dos_share *s, uint8_t family,
				const uint8_t ip[16])
{
	uint64_t w[2];

	memcpy(w, ip, sizeof(w));
	return (uint32_t)(hashtab_mix(hashtab_mix(s->key ^ w[0]) ^ w[1] ^
				      family) &
			  (2 * (uint64_t)s->cap - 1));
}

static uint32_t dos_peer_find(const struct dos_share *s, uint8_t family,
			      const uint8_t ip[16])
{
	uint32_t i;

	if (!s->cap)
		return 0;
	for (i = s->bucket[dos_peer_bucket(s, family, ip)]; i;
	     i = s->peer[i - 1].next)
		if (s->peer[i - 1].family == family &&
		    !memcmp(s->peer[i - 1].ip, ip, 16))
			return i;
	return 0;
}

static void dos_peer_link(struct dos_share *s, uint32_t i)
{
	struct dos_peer *p = &s->peer[i - 1];
	uint32_t *head = &s->bucket[dos_peer_bucket(s, p->family, p->ip)];

	p->next = *head;
	*head = i;
}

/* Twice the room, every address rehashed; called when no slot is free,
 * so every slot below `used` (= cap) is in a chain. */
static int dos_peer_grow(struct dos_share *s)
{
	uint32_t cap = s->cap ? 2 * s->cap : DOS_PEERS_FIRST, *bucket;
	struct dos_peer *peer;

	if (cap > DOS_PEERS_MAX)
		return -1;
	if (!(peer = realloc(s->peer, cap * sizeof(*peer))))
		return -1;
	s->peer = peer;
	if (!(bucket = calloc(2 * (size_t)cap, sizeof(*bucket))))
		return -1;
	free(s->bucket);
	s->bucket = bucket;
	s->cap = cap;
	for (uint32_t i = 1; i <= s->used; i++)
		dos_peer_link(s, i);
	return 0;
}

/* A slot for a new address (n still 0), or 0 on ENOMEM. */
static uint32_t dos_peer_alloc(struct dos_share *s, uint8_t family,
			       const uint8_t ip[16])
{
	uint32_t i;

	if (s->free) {
		i = s->free;
		s->free = s->peer[i - 1].next;
	} else if (s->used < s->cap || !dos_peer_grow(s)) {
		i = ++s->used;
	} else {
		return 0;
	}
	memcpy(s->peer[i - 1].ip, ip, 16);
	s->peer[i - 1].family = family;
	s->peer[i - 1].n = 0;
	dos_peer_link(s, i);
	s->live++;
	return i;
}

static void dos_peer_remove(struct dos_share *s, uint32_t i)
{
	struct dos_peer *p = &s->peer[i - 1];
	uint32_t *pp = &s->bucket[dos_peer_bucket(s, p->family, p->ip)];

	while (*pp && *pp != i)
		pp = &s->peer[*pp - 1].next;
	if (*pp)
		*pp = p->next;
	p->next = s->free;
	s->free = i;
	s->live--;
}

uint32_t dos_share_peer_hold(struct dos_share *s,
			     const struct engine_addr *addr, uint32_t limit)
{
	uint8_t ip[16];
	uint32_t i;

	dos_peer_key(addr, ip);
	pthread_mutex_lock(&s->mu);
	i = dos_peer_find(s, addr->family, ip);
	if (!i && limit)
		i = dos_peer_alloc(s, addr->family, ip);
	if (i && s->peer[i - 1].n < limit)
		s->peer[i - 1].n++;
	else
		i = 0;
	pthread_mutex_unlock(&s->mu);
	return i;
}

void dos_share_peer_release(struct dos_share *s, uint32_t slot)
{
	if (!slot)
		return;
	pthread_mutex_lock(&s->mu);
	/* a slot not held is a bug of the caller's: nothing to give back */
	if (slot <= s->used && s->peer[slot - 1].n && !--s->peer[slot - 1].n)
		dos_peer_remove(s, slot);
	pthread_mutex_unlock(&s->mu);
}

uint32_t dos_share_peer_count(struct dos_share *s,
			      const struct engine_addr *addr)
{
	uint8_t ip[16];
	uint32_t i, n;

	dos_peer_key(addr, ip);
	pthread_mutex_lock(&s->mu);
	i = dos_peer_find(s, addr->family, ip);
	n = i ? s->peer[i - 1].n : 0;
	pthread_mutex_unlock(&s->mu);
	return n;
}

uint32_t dos_share_peers(struct dos_share *s)
{
	uint32_t n;

	pthread_mutex_lock(&s->mu);
	n = s->live;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* One word, so that the window and its count change together: the
 * window's start in ms (the low 40 bits of the clock: 34 years; a start
 * that lies ahead after the wrap opens a new window) and the count. */
bool dos_share_rate(struct dos_share *s, enum dos_rate which, uint64_t now_ms,
		    uint32_t per_s)
{
	_Atomic uint64_t *rate = &s->rate[which];
	uint64_t t = now_ms & DOS_RATE_T_MASK, old = atomic_load(rate), nw;

	if (!per_s)
		return false;
	do {
		uint64_t start = old >> DOS_RATE_N_BITS,
			 n = old & DOS_RATE_N_MASK;

		if (t >= start + 1000 || t < start)
			nw = t << DOS_RATE_N_BITS | 1;
		else if (n >= per_s || n == DOS_RATE_N_MASK)
			return false;
		else
			nw = old + 1;
	} while (!atomic_compare_exchange_weak(rate, &old, nw));
	return true;
}

/* ---- the engine's side ---- */

int dos_share_engine_init(struct engine *e)
{
	uint64_t key;
	int err;

	if ((err = engine_random(e, &key, sizeof(key))))
		return err;
	return (e->dos = dos_share_new(key)) ? 0 : -ENG_ERR_NOMEM;
}

void dos_share_engine_free(struct engine *e)
{
	dos_hold_drop(e);
	dos_share_put(e->dos);
	e->dos = NULL;
}

int dos_share_join(struct engine *e, const struct engine *from)
{
	if (e->n_half_open || e->dos_held || e->dos_held_peer)
		return -ENG_ERR_BUSY;
	if (e->dos != from->dos) {
		dos_share_put(e->dos);
		e->dos = dos_share_ref(from->dos);
	}
	return 0;
}

uint32_t dos_half_open_total(const struct engine *e)
{
	return dos_share_half_open(e->dos);
}

bool dos_hold(struct engine *e, uint32_t limit)
{
	if (e->dos_held)
		return true;
	return e->dos_held = dos_share_hold(e->dos, limit);
}

bool dos_hold_peer(struct engine *e, const struct engine_addr *remote,
		   uint32_t limit)
{
	if (!e->dos_held_peer)
		e->dos_held_peer = dos_share_peer_hold(e->dos, remote, limit);
	return e->dos_held_peer != 0;
}

void dos_hold_drop(struct engine *e)
{
	if (e->dos_held)
		dos_share_release(e->dos);
	dos_share_peer_release(e->dos, e->dos_held_peer);
	e->dos_held = false;
	e->dos_held_peer = 0;
}

void dos_sa_count(struct ike_sa *sa)
{
	struct engine *e = sa->e;

	if (e->dos_held) {
		sa->ho_peer = e->dos_held_peer;
		e->dos_held = false;
		e->dos_held_peer = 0;
		return;
	}
	dos_share_add(e->dos);
	sa->ho_peer = dos_share_peer_hold(e->dos, &sa->remote, UINT32_MAX);
}

void dos_sa_uncount(struct ike_sa *sa)
{
	dos_share_release(sa->e->dos);
	dos_share_peer_release(sa->e->dos, sa->ho_peer);
	sa->ho_peer = 0;
}

bool dos_invalid_spi_allowed(struct engine *e, uint64_t now)
{
	return dos_share_rate(e->dos, DOS_RATE_INVALID_SPI, now,
			      e->set.invalid_spi_per_s);
}

bool dos_log_line_allowed(struct engine *e, uint32_t per_s)
{
	return dos_share_rate(e->dos, DOS_RATE_LOG, e->now_ms, per_s);
}
