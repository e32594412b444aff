/* The engine object: entry points, action list, logging; see engine.h. */
#include "engine/ike_sa.h"

#include "crypto/crypto.h"
#include "engine/dos_share.h"
#include "engine/exchange.h"
#include "engine/pool.h"
#include "kb_steer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct engine_settings engine_default_settings = {
	.half_open_max = 1000,
	.cookie_threshold = 30,
	.half_open_timeout_ms = 30000,
	.cookie_rotate_ms = 120000,
	.delete_rekeyed_delay_ms = 5000,
	.half_open_per_peer = 100,
	.invalid_spi_per_s = 20,
	.fragment_size = 1280,
	.window_size = 1,
	.n_workers = 1,
};

void engine_settings_defaults(struct engine_settings *s)
{
	*s = engine_default_settings;
}

void engine_conn_defaults(struct engine_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->rtx = (struct engine_retransmit){ 4000, 1.8, 5 };
	c->natt_keepalive_ms = 20000;
	/* swanctl.conf's defaults: rekey_time 4h, over_time and rand_time
	 * 10 % of it; children rekey after 1h, life_time 110 %. */
	c->ike_rekey_s = 4 * 3600;
	c->ike_rand_s = 4 * 360;
	c->ike_lifetime_s = 4 * 3600 + 4 * 360;
	c->local.port = IKE_PORT;
	c->remote.port = IKE_PORT;
	for (size_t i = 0; i < ENGINE_MAX_CHILD_CFG; i++) {
		struct engine_child_cfg *ch = &c->children[i];

		ch->life_soft_s = 3600;
		ch->life_hard_s = 3960;
		ch->rand_s = 360;
		ch->replay_window = 32;
	}
}

struct engine *engine_new(const struct engine_env *env,
			  const struct engine_settings *settings,
			  const struct engine_conn *conns, size_t n_conns)
{
	struct engine *e;

	if (!env || !env->random)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->env = *env;
	e->set = settings ? *settings : engine_default_settings;
#define ENGINE_DEFAULT(f)                                                      \
	if (!e->set.f)                                                         \
		e->set.f = engine_default_settings.f;
	ENGINE_DEFAULT(half_open_max)
	ENGINE_DEFAULT(cookie_threshold)
	ENGINE_DEFAULT(half_open_timeout_ms)
	ENGINE_DEFAULT(cookie_rotate_ms)
	ENGINE_DEFAULT(delete_rekeyed_delay_ms)
	ENGINE_DEFAULT(half_open_per_peer)
	ENGINE_DEFAULT(invalid_spi_per_s)
	ENGINE_DEFAULT(fragment_size)
	ENGINE_DEFAULT(window_size)
	ENGINE_DEFAULT(n_workers)
#undef ENGINE_DEFAULT
	if (e->set.n_workers > KB_STEER_MAX_WORKERS ||
	    e->set.worker >= e->set.n_workers) {
		free(e);
		return NULL;
	}
	if (e->set.window_size > IKE_WINDOW_MAX)
		e->set.window_size = IKE_WINDOW_MAX;
	if (n_conns) {
		e->conns = calloc(n_conns, sizeof(*conns));
		if (!e->conns) {
			free(e);
			return NULL;
		}
		memcpy(e->conns, conns, n_conns * sizeof(*conns));
	}
	e->n_conns = n_conns;
	e->next_id = e->set.worker + 1; /* then n_workers apart */
	/* The indexes start at 256 buckets each and grow with the SAs. */
	hashtab_init(&e->by_spi, ENGINE_INDEX_START);
	hashtab_init(&e->by_init, ENGINE_INDEX_START);
	hashtab_init(&e->by_id, ENGINE_INDEX_START);
	hashtab_init(&e->child_in, ENGINE_INDEX_START);
	hashtab_init(&e->child_out, ENGINE_INDEX_START);
	hashtab_init(&e->by_peer, 0); /* allocates at the first IKE_AUTH */
	sa_idx_init(&e->idx);	      /* likewise, nothing yet */
	/* the one message every datagram is decoded into (exchange.c) */
	if (timers_new(e) || timers_reserve(e, ENGINE_INDEX_START) ||
	    !(e->rx_msg = malloc(sizeof(*e->rx_msg))) ||
	    dos_share_engine_init(e)) {
		free(e->rx_msg);
		timers_free(e);
		hashtab_free(&e->by_spi);
		hashtab_free(&e->by_init);
		hashtab_free(&e->by_id);
		hashtab_free(&e->child_in);
		hashtab_free(&e->child_out);
		free(e->conns);
		free(e);
		return NULL;
	}
	return e;
}

void engine_set_realtime(struct engine *e, int64_t (*realtime)(void *ctx))
{
	e->realtime = realtime;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	while (e->sas)
		ike_sa_free(e->sas);
	dos_share_engine_free(e);
	hashtab_free(&e->by_spi);
	hashtab_free(&e->by_init);
	hashtab_free(&e->by_id);
	hashtab_free(&e->child_in);
	hashtab_free(&e->child_out);
	hashtab_free(&e->by_peer);
	sa_idx_free(&e->idx);
	timers_free(e);
	free(e->rx_msg);
	if (e->rx_plain) {
		crypto_wipe(e->rx_plain, e->rx_plain_cap);
		free(e->rx_plain);
	}
	engine_actions_clear(e);
	free(e->act);
	free(e->act_spare.a); /* wiped by engine_actions_done() */
	if (e->conns) {
		crypto_wipe(e->conns, e->n_conns * sizeof(*e->conns));
		free(e->conns);
	}
	engine_retired_free(e);
	pool_table_free(e);
	crypto_wipe(e->cookie_secret, sizeof(e->cookie_secret));
	crypto_wipe(e->cookie_prev, sizeof(e->cookie_prev));
	free(e);
}

struct engine_action *engine_push(struct engine *e, enum engine_action_type t,
				  uint32_t ike_id)
{
	struct engine_action *a;

	if (e->n_act == e->cap_act) {
		size_t cap = e->cap_act ? e->cap_act * 2 : 16;
		struct engine_action *p = calloc(cap, sizeof(*e->act));

		if (!p)
			return NULL;
		/* Not realloc: SA_ADD actions hold keys, and the old block
		 * must be wiped before it goes back to the allocator. */
		if (e->n_act) {
			memcpy(p, e->act, e->n_act * sizeof(*e->act));
			crypto_wipe(e->act, e->cap_act * sizeof(*e->act));
		}
		free(e->act);
		e->act = p;
		e->cap_act = cap;
	}
	a = &e->act[e->n_act++];
	memset(a, 0, sizeof(*a));
	a->type = t;
	a->ike_id = ike_id;
	return a;
}

const struct engine_action *engine_actions(const struct engine *e, size_t *n)
{
	*n = e->n_act;
	return e->act;
}

bool engine_log_enabled(const struct engine *e, int level)
{
	return e->env.log &&
	       (!e->env.log_enabled || e->env.log_enabled(e->env.ctx, level));
}

void engine_log(struct engine *e, const struct ike_sa *sa, int level,
		const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!engine_log_enabled(e, level) ||
	    (sa && !dos_log_allowed(e, sa, level)))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e->env.log(e->env.ctx, level, sa ? sa->name : NULL, line);
}

void engine_event(struct engine *e, const struct ike_sa *sa,
		  enum engine_event_type type, int reason)
{
	struct engine_action *a =
		engine_push(e, ENGINE_ACT_EVENT, sa ? sa->id : 0);

	if (!a)
		return;
	a->u.event.type = type;
	a->u.event.reason = reason;
	a->u.event.unauth = sa && dos_half_open(sa);
	if (sa && sa->conn)
		snprintf(a->u.event.conn, sizeof(a->u.event.conn), "%s",
			 sa->conn->name);
}

uint8_t *engine_rx_plain(struct engine *e, size_t len)
{
	uint8_t *p;

	if (len <= e->rx_plain_cap)
		return e->rx_plain;
	/* not realloc: the old block held plaintext, wiped after each use */
	if (!(p = malloc(len < 4096 ? 4096 : len)))
		return NULL;
	free(e->rx_plain);
	e->rx_plain = p;
	e->rx_plain_cap = len < 4096 ? 4096 : len;
	return p;
}

uint64_t engine_spi_own(const struct engine *e, uint64_t spi)
{
	uint8_t top = kb_steer_spi_octet((uint8_t)(spi >> 56), e->set.worker,
					 e->set.n_workers);

	/* IKE SPIs go on the wire big-endian (wr_u64): octet 0 is the top */
	return (spi & ~((uint64_t)0xff << 56)) | (uint64_t)top << 56;
}

int engine_random(struct engine *e, void *buf, size_t len)
{
	return e->env.random(e->env.ctx, buf, len) ? -ENG_ERR_RANDOM : 0;
}

/* True if `a` names no address (local_addrs %any). */
static bool engine_addr_unset(const struct engine_addr *a)
{
	static const uint8_t zero[16];

	return !a->family || !memcmp(a->ip, zero, sizeof(zero));
}

int engine_conn_set_remote(struct engine *e, const char *conn,
			   const struct engine_addr *addr)
{
	for (size_t i = 0; i < e->n_conns; i++) {
		struct engine_conn *c = &e->conns[i];

		if (strcmp(c->name, conn))
			continue;
		c->remote.family = addr->family;
		memcpy(c->remote.ip, addr->ip, sizeof(c->remote.ip));
		c->remote_pending = false;
		return 0;
	}
	return -ENOENT;
}

bool engine_conn_accepts_remote(const struct engine_conn *c,
				const struct engine_addr *remote)
{
	if (c->remote_pending)
		return false;
	return !c->remote.family || ike_sa_addr_eq(&c->remote, remote, false);
}

int engine_initiate(struct engine *e, uint64_t now_ms, const char *conn,
		    uint32_t *ike_id)
{
	const struct engine_conn *c = NULL;
	struct engine_addr local;
	struct ike_sa *sa;
	int err;

	for (size_t i = 0; i < e->n_conns && !c; i++)
		if (!strcmp(e->conns[i].name, conn))
			c = &e->conns[i];
	if (!c) {
		engine_log(e, NULL, 3, "initiate: no connection named '%s'",
			   conn);
		return -ENG_ERR_NO_CONN;
	}
	if (c->remote_pending) {
		engine_log(e, NULL, 4,
			   "initiate %s: the peer's name in remote_addrs is "
			   "not resolved yet",
			   c->name);
		return -ENG_ERR_UNRESOLVED;
	}
	local = c->local;
	if (engine_addr_unset(&local) && e->env.source) {
		int err2 = e->env.source(e->env.ctx, &c->remote, &local);

		if (err2 || local.family != c->remote.family) {
			engine_log(e, NULL, 4,
				   "initiate %s: no source address to reach "
				   "the peer (%s)",
				   c->name, err2 ? strerror(-err2) : "family");
			return err2 ? err2 : -ENETUNREACH;
		}
		local.port = c->local.port;
	}
	sa = ike_sa_new(e, c, true, &local, &c->remote);
	if (!sa)
		return -ENG_ERR_NOMEM;
	engine_log(e, sa, 6, "initiating IKE SA to peer");
	err = ike_sa_init_build_i(sa, now_ms);
	if (err) {
		engine_log(e, sa, 3, "IKE_SA_INIT request failed: %s",
			   engine_err_name(err));
		ike_sa_destroy(sa, err);
		return err;
	}
	if (ike_id)
		*ike_id = sa->id;
	return 0;
}

int engine_terminate(struct engine *e, uint64_t now_ms, uint32_t ike_id)
{
	struct ike_sa *sa = ike_sa_by_id(e, ike_id);

	if (!sa)
		return -ENOENT;
	if (sa->state != IKE_SA_ESTABLISHED) {
		engine_log(e, sa, 5, "terminated before establishment");
		ike_sa_destroy(sa, 0);
		return 0;
	}
	return informational_delete_ike_i(sa, now_ms);
}

int engine_terminate_child(struct engine *e, uint64_t now_ms, uint32_t ike_id,
			   uint32_t spi_in)
{
	struct ike_sa *sa = ike_sa_by_id(e, ike_id);
	struct child_sa *c = sa ? ike_sa_child_by_spi_in(sa, spi_in) : NULL;

	if (!c)
		return -ENOENT;
	return informational_delete_child_i(sa, now_ms, c);
}

int engine_initiate_child(struct engine *e, uint64_t now_ms, uint32_t ike_id,
			  const char *child, bool another)
{
	struct ike_sa *sa = ike_sa_by_id(e, ike_id);
	const struct engine_child_cfg *cfg = NULL;
	struct task *t;

	if (!sa || sa->state != IKE_SA_ESTABLISHED || sa->rekeyed)
		return -ENOENT;
	for (size_t i = 0; i < sa->conn->n_children && !cfg; i++)
		if (!strcmp(sa->conn->children[i].name, child))
			cfg = &sa->conn->children[i];
	if (!cfg) {
		engine_log(e, sa, 3, "initiate: no child named '%s'", child);
		return -ENG_ERR_NO_CONN;
	}
	if (!(t = task_new(sa, TASK_CHILD_CREATE, false)))
		return -ENG_ERR_NOMEM;
	t->cfg = cfg;
	t->another = another;
	task_kick(sa, now_ms);
	return 0;
}

int engine_rekey(struct engine *e, uint64_t now_ms, uint32_t ike_id)
{
	struct ike_sa *sa = ike_sa_by_id(e, ike_id);

	if (!sa)
		return -ENOENT;
	return lifetime_rekey_ike(sa, now_ms);
}

int engine_rekey_child(struct engine *e, uint64_t now_ms, uint32_t ike_id,
		       uint32_t spi_in)
{
	struct ike_sa *sa = ike_sa_by_id(e, ike_id);
	struct child_sa *c = sa ? ike_sa_child_by_spi_in(sa, spi_in) : NULL;

	if (!c)
		return -ENOENT;
	return lifetime_rekey_child(sa, c, now_ms);
}

/* Finds the SA and child an inbound or outbound ESP SPI belongs to. */
static struct child_sa *engine_child_by_spi(struct engine *e, uint32_t spi,
					    struct ike_sa **out)
{
	struct child_sa *c = child_by_spi(e, spi);

	if (c)
		*out = c->ike;
	return c;
}

/* An ACQUIRE for child `cfg` of an established IKE SA: CREATE_CHILD_SA
 * on it (§1.3.1) rather than a new IKE SA. */
static int engine_acquire_child(struct ike_sa *sa, uint64_t now,
				const struct engine_child_cfg *cfg)
{
	struct task *t;

	if (ike_sa_child_active(sa, cfg))
		return 0;
	for (t = sa->tasks; t; t = t->next)
		if (t->type == TASK_CHILD_CREATE && t->cfg == cfg)
			return 0; /* already on its way */
	if (!(t = task_new(sa, TASK_CHILD_CREATE, false)))
		return -ENOMEM;
	timers_touch(sa);
	t->cfg = cfg;
	engine_log(sa->e, sa, 5, "traffic needs CHILD SA '%s'; creating it",
		   cfg->name);
	task_kick(sa, now);
	return 0;
}

static int engine_acquire(struct engine *e, uint64_t now, uint32_t reqid)
{
	for (size_t i = 0; i < e->n_conns; i++) {
		const struct engine_conn *c = &e->conns[i];

		for (size_t k = 0; k < c->n_children; k++) {
			if (c->children[k].reqid != reqid)
				continue;
			struct ike_sa *sa = sa_idx_conn_established(e, c);

			if (sa)
				return engine_acquire_child(sa, now,
							    &c->children[k]);
			if (sa_idx_conn_initiated(e, c))
				return 0; /* already on its way */
			engine_log(e, NULL, 5,
				   "%s: traffic needs an SA; "
				   "initiating",
				   c->name);
			return engine_initiate(e, now, c->name, NULL);
		}
	}
	engine_log(e, NULL, 5, "ACQUIRE for unknown reqid %u ignored", reqid);
	return -ENOENT;
}

bool engine_child_spi_known(struct engine *e, uint32_t spi)
{
	struct ike_sa *sa;

	return engine_child_by_spi(e, spi, &sa) != NULL;
}

int engine_esp_seen(struct engine *e, uint64_t now_ms, uint32_t spi_in)
{
	struct ike_sa *sa = NULL;
	struct child_sa *c = engine_child_by_spi(e, spi_in, &sa);

	if (!c || c->spi_in != spi_in)
		return -ENOENT;
	sa->last_heard = now_ms;
	if (sa->conn && sa->conn->dpd_delay_ms)
		sa->dpd_deadline = now_ms + sa->conn->dpd_delay_ms;
	/* a liveness check still waiting its turn is moot now */
	for (struct task *t = sa->tasks; t; t = t->next)
		if (t->type == TASK_DPD && !t->active) {
			task_remove(sa, t);
			break;
		}
	return 0;
}

int engine_kernel_event(struct engine *e, uint64_t now_ms,
			const struct engine_kevent *ev)
{
	struct ike_sa *sa = NULL;
	struct child_sa *c;

	if (ev->type == ENGINE_KEV_ACQUIRE)
		return engine_acquire(e, now_ms, ev->reqid);
	c = engine_child_by_spi(e, ev->spi, &sa);
	if (!c) {
		engine_log(e, NULL, 6, "kernel event %d for unknown SPI %08x",
			   ev->type, ev->spi);
		return -ENOENT;
	}
	switch (ev->type) {
	case ENGINE_KEV_EXPIRE_SOFT:
		if (c->state != CHILD_INSTALLED)
			return 0; /* being rekeyed or deleted already */
		engine_log(e, sa, 5,
			   "CHILD SA '%s' %08x/%08x reached a soft limit in "
			   "the kernel; rekeying it",
			   c->cfg->name, c->spi_in, c->spi_out);
		return lifetime_rekey_child(sa, c, now_ms);
	case ENGINE_KEV_EXPIRE_HARD:
		/* the kernel removed that SA itself: no delete for it */
		if (ev->spi == c->spi_in)
			c->in_sa = false;
		else if (ev->spi == c->spi_out)
			c->out_sa = false;
		if (c->state == CHILD_REKEYED) {
			ike_sa_child_remove(sa, c); /* replaced already */
			return 0;
		}
		/* fall through */
	case ENGINE_KEV_SA_FAILED:
	case ENGINE_KEV_SPI_FAILED:
		engine_log(e, sa, 4, "CHILD SA %08x/%08x %s; deleting it",
			   c->spi_in, c->spi_out,
			   ev->type == ENGINE_KEV_EXPIRE_HARD
				   ? "hard expired"
				   : "could not be installed");
		if (informational_delete_child_i(sa, now_ms, c))
			ike_sa_child_remove(sa, c);
		return 0;
	default: return -EINVAL;
	}
}

void engine_timeout(struct engine *e, uint64_t now_ms)
{
	e->now_ms = now_ms;
	if (e->cookie_ready) /* secrets exist once cookies were needed */
		cookie_maybe_rotate(e, now_ms);
	timers_run(e, now_ms); /* the due SAs only (timers.h) */
}

uint64_t engine_next_deadline(const struct engine *e)
{
	uint64_t d = timers_next(e);

	if (e->cookie_ready && e->cookie_rotate_at < d)
		d = e->cookie_rotate_at;
	return d;
}

int engine_ike_info(const struct engine *e, uint32_t ike_id,
		    struct engine_ike_info *out)
{
	const struct ike_sa *sa = ike_sa_peek(e, ike_id);

	memset(out, 0, sizeof(*out));
	if (!sa)
		return -ENOENT;
	out->ike_id = sa->id;
	if (sa->conn)
		snprintf(out->conn, sizeof(out->conn), "%s", sa->conn->name);
	out->state = sa->state == IKE_SA_DEAD
			     ? ENGINE_IKE_NONE
			     : (enum engine_ike_state)sa->state;
	out->initiator = sa->initiator;
	out->spi_i = sa->spi_i;
	out->spi_r = sa->spi_r;
	out->local = sa->local;
	out->remote = sa->remote;
	out->nat_local = sa->nat_local;
	out->nat_remote = sa->nat_remote;
	out->mobike = sa->mobike;
	out->encr = sa->alg.encr;
	out->encr_keylen = sa->alg.encr_keylen;
	out->prf = sa->alg.prf;
	out->integ = sa->alg.integ;
	out->ke = sa->alg.ke;
	out->n_children = sa->n_children;
	return 0;
}

int engine_child_info(const struct engine *e, uint32_t ike_id, uint32_t idx,
		      struct engine_child_info *out)
{
	const struct ike_sa *sa = ike_sa_peek(e, ike_id);
	const struct child_sa *c = sa ? sa->children : NULL;

	memset(out, 0, sizeof(*out));
	for (; c && idx; idx--)
		c = c->next;
	if (!c)
		return -ENOENT;
	out->child_id = c->id;
	if (c->cfg) {
		snprintf(out->name, sizeof(out->name), "%s", c->cfg->name);
		out->reqid = c->cfg->reqid;
	}
	out->state = (enum engine_child_state)c->state;
	out->spi_in = c->spi_in;
	out->spi_out = c->spi_out;
	out->mode = c->mode;
	out->encr = c->alg.encr;
	out->encr_keylen = c->alg.encr_keylen;
	out->integ = c->alg.integ;
	out->esn = c->alg.esn;
	out->n_local_ts = c->n_local_ts;
	out->n_remote_ts = c->n_remote_ts;
	memcpy(out->local_ts, c->local_ts, sizeof(out->local_ts));
	memcpy(out->remote_ts, c->remote_ts, sizeof(out->remote_ts));
	return 0;
}

size_t engine_ike_count(const struct engine *e)
{
	return e->n_sas;
}

size_t engine_child_count(const struct engine *e)
{
	return e->n_children;
}

size_t engine_half_open_count(const struct engine *e)
{
	return e->n_half_open;
}

size_t engine_ike_list(const struct engine *e, uint32_t *ids, size_t cap)
{
	size_t n = 0;

	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next, n++)
		if (n < cap)
			ids[n] = sa->id;
	return n;
}

/* clang-format off */
#define ENGINE_ERR_NAME(sym, val, notify, name) case val: return name;
#define ENGINE_ERR_NOTIFY(sym, val, notify, name) case val: return notify;
/* clang-format on */

const char *engine_err_name(int err)
{
	static __thread char buf[32];
	const char *s;

	if (err > 0)
		err = -err;
	switch (-err) {
		ENGINE_ERRORS(ENGINE_ERR_NAME)
	default: break;
	}
	if ((s = crypto_err_name(err)))
		return s;
	if (err <= -1000 && err > -2000)
		return ike_err_str(err);
	snprintf(buf, sizeof(buf), "error %d", err);
	return buf;
}

unsigned engine_err_notify(int err)
{
	if (err > 0)
		err = -err;
	switch (-err) {
		ENGINE_ERRORS(ENGINE_ERR_NOTIFY)
	default: break;
	}
	if (err <= -1000 && err > -2000)
		return ike_err_notify(err);
	if (err >= CRYPTO_E_KE_ZERO && err <= CRYPTO_E_KE_LENGTH)
		return N_INVALID_SYNTAX;
	if (err == CRYPTO_E_AUTH_FAILED || err == CRYPTO_E_AUTH_ALG ||
	    err == CRYPTO_E_AUTH_NO_HASH)
		return N_AUTHENTICATION_FAILED;
	return 0;
}
