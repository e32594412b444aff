/* Address pools: leases per identity (see pool.h). */
#include "engine/pool.h"

#include "engine/ike_sa.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct pool_lease {
	uint64_t off; /* from the pool's first address */
	struct engine_id id;
	uint32_t holds;	      /* IKE SAs using it; 0: offline */
	uint64_t released_at; /* pool sequence number of the last release */
};

struct pool {
	/* Held around every use of the leases: with several workers, one
	 * pool serves every worker's engine (engine_pools_share). */
	pthread_mutex_t lock;
	unsigned refs; /* engines holding it (changed with every lock held) */
	struct engine_pool cfg;
	uint64_t size;
	uint64_t next_unused; /* no lease below this offset is missing */
	uint64_t seq;
	size_t n, cap;
	struct pool_lease *leases; /* in the order they were made */
};

static size_t pool_alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* Big-endian address + offset (offset < 2^63). */
static void pool_addr(const struct pool *p, uint64_t off, uint8_t out[16])
{
	size_t n = pool_alen(p->cfg.family);
	unsigned carry = 0;

	memset(out, 0, 16);
	memcpy(out, p->cfg.first, n);
	for (size_t i = n; i-- > 0;) {
		unsigned v = out[i] + (unsigned)(off & 0xff) + carry;

		out[i] = (uint8_t)v;
		carry = v >> 8;
		off >>= 8;
	}
}

/* Offset of `ip` from the first address, or UINT64_MAX if it is outside
 * the pool. */
static uint64_t pool_off(const struct pool *p, const uint8_t ip[16])
{
	size_t n = pool_alen(p->cfg.family);
	uint8_t d[16];
	int borrow = 0;
	uint64_t off = 0;

	/* d = ip - first, in n bytes */
	for (size_t i = n; i-- > 0;) {
		int v = (int)ip[i] - (int)p->cfg.first[i] - borrow;

		borrow = v < 0;
		d[i] = (uint8_t)(v + (borrow ? 256 : 0));
	}
	if (borrow)
		return UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (i + 8 < n && d[i])
			return UINT64_MAX;
		if (i + 8 >= n)
			off = off << 8 | d[i];
	}
	return off < p->size ? off : UINT64_MAX;
}

struct pool *pool_new(const struct engine_pool *cfg)
{
	struct pool *p = calloc(1, sizeof(*p));
	size_t n = pool_alen(cfg->family);
	uint8_t d[16];
	int borrow = 0;
	uint64_t hi = 0, lo = 0;

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->refs = 1;
	p->cfg = *cfg;
	for (size_t i = n; i-- > 0;) {
		int v = (int)cfg->last[i] - (int)cfg->first[i] - borrow;

		borrow = v < 0;
		d[i] = (uint8_t)(v + (borrow ? 256 : 0));
	}
	if (borrow)
		return p; /* last < first: empty */
	for (size_t i = 0; i < n; i++) {
		if (i + 8 < n)
			hi |= d[i];
		else
			lo = lo << 8 | d[i];
	}
	p->size = hi || lo >= POOL_SIZE_MAX ? POOL_SIZE_MAX : lo + 1;
	return p;
}

void pool_free(struct pool *p)
{
	if (!p || --p->refs)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->leases);
	free(p);
}

const struct engine_pool *pool_cfg(const struct pool *p)
{
	return &p->cfg;
}

uint64_t pool_size(const struct pool *p)
{
	return p->size;
}

bool pool_contains(const struct pool *p, const uint8_t ip[16])
{
	return pool_off(p, ip) != UINT64_MAX;
}

static bool pool_id_eq(const struct engine_id *a, const struct engine_id *b)
{
	return a->type == b->type && a->len == b->len &&
	       !memcmp(a->data, b->data, a->len);
}

static struct pool_lease *pool_by_off(struct pool *p, uint64_t off)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->leases[i].off == off)
			return &p->leases[i];
	return NULL;
}

static int pool_add(struct pool *p, uint64_t off, const struct engine_id *id)
{
	struct pool_lease *l;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct pool_lease *n = realloc(p->leases, cap * sizeof(*n));

		if (!n)
			return -ENG_ERR_NOMEM;
		p->leases = n;
		p->cap = cap;
	}
	l = &p->leases[p->n++];
	memset(l, 0, sizeof(*l));
	l->off = off;
	l->id = *id;
	l->holds = 1;
	return 0;
}

static int pool_acquire_locked(struct pool *p, const struct engine_id *id,
			       const uint8_t *want, uint8_t out[16])
{
	struct pool_lease *l, *oldest = NULL;
	uint64_t off;
	int err;

	/* the identity's own address, online or not */
	for (size_t i = 0; i < p->n; i++) {
		l = &p->leases[i];
		if (pool_id_eq(&l->id, id)) {
			l->holds++;
			pool_addr(p, l->off, out);
			return 0;
		}
	}
	/* RFC 7296 §3.15.1: a requested address is a hint */
	off = want ? pool_off(p, want) : UINT64_MAX;
	if (off != UINT64_MAX && !pool_by_off(p, off)) {
		if ((err = pool_add(p, off, id)))
			return err;
		pool_addr(p, off, out);
		return 0;
	}
	while (p->next_unused < p->size && pool_by_off(p, p->next_unused))
		p->next_unused++;
	if (p->next_unused < p->size) {
		if ((err = pool_add(p, p->next_unused, id)))
			return err;
		pool_addr(p, p->next_unused++, out);
		return 0;
	}
	for (size_t i = 0; i < p->n; i++) {
		l = &p->leases[i];
		if (!l->holds &&
		    (!oldest || l->released_at < oldest->released_at))
			oldest = l;
	}
	if (!oldest)
		return -ENG_ERR_ADDRESS;
	oldest->id = *id;
	oldest->holds = 1;
	pool_addr(p, oldest->off, out);
	return 0;
}

int pool_acquire(struct pool *p, const struct engine_id *id,
		 const uint8_t *want, uint8_t out[16])
{
	int err;

	pthread_mutex_lock(&p->lock);
	err = pool_acquire_locked(p, id, want, out);
	pthread_mutex_unlock(&p->lock);
	return err;
}

void pool_release(struct pool *p, const uint8_t ip[16])
{
	uint64_t off = pool_off(p, ip);
	struct pool_lease *l;

	pthread_mutex_lock(&p->lock);
	l = off == UINT64_MAX ? NULL : pool_by_off(p, off);
	if (l && l->holds && !--l->holds)
		l->released_at = ++p->seq;
	pthread_mutex_unlock(&p->lock);
}

/* ---- the engine's table ---- */

struct pool *pool_find(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_pools; i++)
		if (!strcmp(e->pools[i]->cfg.name, name))
			return e->pools[i];
	return NULL;
}

void pool_table_free(struct engine *e)
{
	for (size_t i = 0; i < e->n_pools; i++)
		pool_free(e->pools[i]);
	free(e->pools);
	e->pools = NULL;
	e->n_pools = 0;
}

/* True if pool `p` is one of the `n` in `t`. */
static bool pool_in(struct pool *const *t, size_t n, const struct pool *p)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] == p)
			return true;
	return false;
}

int engine_pools_replace(struct engine *e, const struct engine_pool *pools,
			 size_t n)
{
	struct pool **t = calloc(n ? n : 1, sizeof(*t));
	bool *kept = calloc(n ? n : 1, sizeof(*kept));

	if (!t || !kept)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct pool *old = pool_find(e, pools[i].name);

		if (old && old->cfg.family == pools[i].family &&
		    !memcmp(old->cfg.first, pools[i].first, 16) &&
		    !memcmp(old->cfg.last, pools[i].last, 16) &&
		    !pool_in(t, i, old)) {
			t[i] = old;
			kept[i] = true;
		} else if (!(t[i] = pool_new(&pools[i]))) {
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (kept[i])
			t[i]->cfg = pools[i]; /* DNS servers, subnets */
	for (size_t i = 0; i < e->n_pools; i++)
		if (!pool_in(t, n, e->pools[i]))
			pool_free(e->pools[i]);
	free(e->pools);
	free(kept);
	e->pools = t;
	e->n_pools = n;
	return 0;
fail:
	for (size_t i = 0; t && kept && i < n; i++)
		if (!kept[i])
			pool_free(t[i]);
	free(t);
	free(kept);
	return -ENG_ERR_NOMEM;
}

int engine_pools_share(struct engine *e, const struct engine *from)
{
	struct pool **t = calloc(from->n_pools ? from->n_pools : 1, sizeof(*t));

	if (!t)
		return -ENG_ERR_NOMEM;
	for (size_t i = 0; i < from->n_pools; i++) {
		t[i] = from->pools[i];
		t[i]->refs++;
	}
	pool_table_free(e);
	e->pools = t;
	e->n_pools = from->n_pools;
	return 0;
}

size_t engine_pool_count(const struct engine *e)
{
	return e->n_pools;
}

int engine_pool_info(const struct engine *e, size_t i,
		     struct engine_pool_info *out)
{
	const struct pool *p;

	if (i >= e->n_pools)
		return -ENOENT;
	p = e->pools[i];
	memset(out, 0, sizeof(*out));
	out->cfg = p->cfg;
	out->size = p->size;
	pthread_mutex_lock(&e->pools[i]->lock);
	for (size_t k = 0; k < p->n; k++) {
		if (p->leases[k].holds)
			out->online++;
		else
			out->offline++;
	}
	pthread_mutex_unlock(&e->pools[i]->lock);
	return 0;
}

int engine_pool_lease(const struct engine *e, size_t i, size_t j,
		      struct engine_pool_lease *out)
{
	const struct pool *p;

	if (i >= e->n_pools)
		return -ENOENT;
	p = e->pools[i];
	pthread_mutex_lock(&e->pools[i]->lock);
	if (j >= p->n) {
		pthread_mutex_unlock(&e->pools[i]->lock);
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->family = p->cfg.family;
	pool_addr(p, p->leases[j].off, out->ip);
	out->id = p->leases[j].id;
	out->online = p->leases[j].holds > 0;
	pthread_mutex_unlock(&e->pools[i]->lock);
	return 0;
}
