/* CREATE_CHILD_SA (RFC 7296 §1.3), both roles:
 *
 *   new CHILD SA (§1.3.1):
 *     HDR, SK {SA, Ni, [KEi], TSi, TSr}  -->
 *                  <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
 *   CHILD SA rekey (§1.3.3):
 *     HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}  -->
 *                  <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
 *   IKE SA rekey (§1.3.2):
 *     HDR, SK {SA, Ni, KEi}  -->
 *                  <--  HDR, SK {SA, Nr, KEr}
 *
 * Make-before-break and the collision rules of §2.8 are described in
 * doc/rekeying.md; every step below names the state it leaves.
 */
#include "engine/exchange.h"

#include "crypto/ke.h"
#include "crypto/skp.h"
#include "engine/cp.h"
#include "engine/ident.h"
#include "engine/peer_idx.h"

#include <stdlib.h>
#include <string.h>

enum {
	CC_KE_RETRIES = 2,	   /* INVALID_KE_PAYLOAD restarts */
	CC_RETRY_MS = 5000,	   /* after TEMPORARY_FAILURE, plus jitter */
	CC_RETRY_JITTER_MS = 5000, /* so colliding peers do not meet again */
	CC_FAIL_RETRY_MS = 30000,  /* after another refusal of a rekey */
	CC_OUT_GRACE_MS =
		500, /* a replaced outbound SA stays (cc_retire_out) */
};

/* The parts of a CREATE_CHILD_SA message that must outlive encoding. */
struct cc_out {
	struct child_wire cw;
	uint8_t pub[KE_PUB_MAX];
	uint8_t spi[8];
	uint8_t notify_spi[4];
	uint8_t grp[2];
	struct proposal_wire w;
};

static void cc_spi_put(uint8_t *p, uint32_t spi)
{
	p[0] = (uint8_t)(spi >> 24);
	p[1] = (uint8_t)(spi >> 16);
	p[2] = (uint8_t)(spi >> 8);
	p[3] = (uint8_t)spi;
}

static void cc_spi64_put(uint8_t *p, uint64_t spi)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(spi >> (56 - 8 * i));
}

static uint64_t cc_spi64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t cc_retry_delay(struct engine *e, uint64_t base)
{
	uint32_t r = 0;

	if (engine_random(e, &r, sizeof(r)))
		r = 0;
	return base + r % CC_RETRY_JITTER_MS;
}

/* Adds Nonce and (with `ke`) KE payloads. */
static int cc_add_nonce_ke(struct ike_msg *m, const uint8_t *nonce,
			   size_t nonce_len, const struct ke *ke,
			   uint16_t group, struct cc_out *o)
{
	struct ike_payload *p;
	size_t len;

	if (!(p = ike_msg_add(m, PL_NONCE)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	p->u.nonce.data = (struct ike_bytes){ nonce, nonce_len };
	if (!ke)
		return 0;
	if (ke_public(ke, o->pub, sizeof(o->pub), &len))
		return -ENG_ERR_CRYPTO;
	if (!(p = ike_msg_add(m, PL_KE)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	p->u.ke.group = group;
	p->u.ke.data = (struct ike_bytes){ o->pub, len };
	return 0;
}

/* The peer's nonce (§2.10: 16..256 octets) into `dst`. */
static int cc_nonce(struct ike_sa *sa, const struct ike_msg *m, uint8_t **dst,
		    uint16_t *len)
{
	const struct ike_payload *n = ike_msg_find(m, PL_NONCE, NULL);

	if (!n || n->u.nonce.data.len < 16 ||
	    n->u.nonce.data.len > IKE_SA_NONCE_MAX)
		return -ENG_ERR_MALFORMED;
	return ike_nonce_set(sa->e, dst, len, n->u.nonce.data.ptr,
			     n->u.nonce.data.len);
}

/* g^ir of our `ke` and the peer's KE payload of `group`. */
static int cc_secret(const struct ike_msg *m, struct ke *ke, uint16_t group,
		     struct ke_secret *s)
{
	const struct ike_payload *p = ike_msg_find(m, PL_KE, NULL);

	if (!p || p->u.ke.group != group)
		return -ENG_ERR_INVALID_KE;
	return ke_derive(ke, p->u.ke.data.ptr, p->u.ke.data.len, s);
}

/* ---- initiator: CHILD SA create and rekey ---- */

static struct child_sa *cc_peer_successor(struct ike_sa *sa,
					  const struct child_sa *old);
static int cc_queue_delete(struct ike_sa *sa, struct child_sa *c);

static int cc_child_build_i(struct ike_sa *sa, struct task *t, uint64_t now)
{
	struct engine_proposal props[ENGINE_MAX_PROPOSALS];
	struct child_sa *old = NULL, *c;
	const struct engine_child_cfg *cfg = t->cfg;
	struct ike_msg *m = NULL;
	struct cc_out *o = NULL;
	size_t n;
	int err = -ENG_ERR_NOMEM;

	if (t->type == TASK_CHILD_REKEY) {
		old = ike_sa_child_by_spi_in(sa, t->spi_in);
		if (!old || old->state != CHILD_INSTALLED || old->redundant ||
		    cc_peer_successor(sa, old))
			return 1; /* gone, or rekeyed by the peer meanwhile */
		cfg = old->cfg;
	} else if (!t->another && ike_sa_child_active(sa, cfg)) {
		return 1; /* the peer made it meanwhile */
	}
	if (!(c = t->child = child_new(sa, cfg)))
		return err;
	c->created_by_us = true;
	if (old) {
		/* §2.9.2: the rekeyed SA keeps the selectors it had */
		c->replaces = old->spi_in;
		c->n_local_ts = old->n_local_ts;
		c->n_remote_ts = old->n_remote_ts;
		memcpy(c->local_ts, old->local_ts, sizeof(c->local_ts));
		memcpy(c->remote_ts, old->remote_ts, sizeof(c->remote_ts));
	} else if ((err = cp_child_narrow(sa, c))) {
		return err;
	}
	n = child_proposals(cfg, true, props);
	if (!t->ke_group)
		t->ke_group = proposal_first_ke(&props[0]);
	if (t->ke_group == KE_NONE)
		t->ke_group = 0;
	if ((err = child_alloc_spi(sa, c)) ||
	    (err = ike_nonce_set(sa->e, &c->ni, &c->ni_len, NULL,
				 IKE_SA_NONCE_LEN)) ||
	    (t->ke_group && !t->ke && (err = ke_new(t->ke_group, &t->ke))))
		return err;
	m = malloc(sizeof(*m));
	o = calloc(1, sizeof(*o));
	err = -ENG_ERR_NOMEM;
	if (!m || !o)
		goto out;
	msg_start(sa, m, EXCH_CREATE_CHILD_SA, false, 0);
	if (old) {
		/* §3.10.1: the SPI we receive on, the one the peer sends to */
		struct ike_payload *np;

		cc_spi_put(o->notify_spi, old->spi_in);
		if (!(np = msg_add_notify(m, true, N_REKEY_SA, PROTO_ESP, NULL,
					  0)))
			goto out;
		np->u.notify.spi = (struct ike_bytes){ o->notify_spi, 4 };
	}
	if ((err = child_add_payloads(m, c, props, n, 1, &o->cw)) ||
	    (err = cc_add_nonce_ke(m, c->ni, c->ni_len, t->ke, t->ke_group,
				   o)) ||
	    (err = msg_send_request(sa, now, m)))
		goto out;
	if (old)
		old->state = CHILD_REKEYING;
	engine_log(sa->e, sa, 6, "%s '%s'%s sent", task_name(t->type),
		   cfg->name, t->ke_group ? " with PFS" : "");
out:
	free(m);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	return err;
}

/* Lexicographic order of nonces (§2.8.1 "the lowest of the four"). */
static int cc_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b,
			size_t bl)
{
	int r = al && bl ? memcmp(a, b, al < bl ? al : bl) : 0;

	return r ? r : (al > bl) - (al < bl);
}

static const uint8_t *cc_min_nonce(const struct child_sa *c, size_t *len)
{
	bool i = cc_nonce_cmp(c->ni, c->ni_len, c->nr, c->nr_len) < 0;

	*len = i ? c->ni_len : c->nr_len;
	return i ? c->ni : c->nr;
}

/* True if `a` was made with the lowest of the four nonces of the two
 * exchanges that made `a` and `b` (§2.8.1: it is the redundant one). */
static bool cc_redundant(const struct child_sa *a, const struct child_sa *b)
{
	size_t la, lb;
	const uint8_t *na = cc_min_nonce(a, &la), *nb = cc_min_nonce(b, &lb);

	return cc_nonce_cmp(na, la, nb, lb) < 0;
}

/* The CHILD SA the peer made to replace `old` (a rekey collision). */
static struct child_sa *cc_peer_successor(struct ike_sa *sa,
					  const struct child_sa *old)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->replaces == old->spi_in && !c->created_by_us &&
		    c->state == CHILD_INSTALLING)
			return c;
	return NULL;
}

/* The CHILD SA the peer's finished rekey put in place of `old`. */
static struct child_sa *cc_peer_replacement(struct ike_sa *sa,
					    const struct child_sa *old)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->replaces == old->spi_in && !c->created_by_us &&
		    c->state == CHILD_INSTALLED)
			return c;
	return NULL;
}

/* `c`'s outbound SA stops carrying traffic: a newer outbound SA of the
 * same child is in the kernel already. Adding it bumped the old one's
 * genid, so every new route lookup takes the newer one (the kernel
 * prefers the newest SA of a reqid); but a packet whose lookup found the
 * old SA just before may still be on its way to xfrm_output, and
 * deleting the SA under it drops it (XfrmOutStateInvalid: the kmod rekey
 * test lost pings to that when rekeys came every second). So the old SA
 * goes CC_OUT_GRACE_MS later (lifetime.c), not at once. Not longer: the
 * kernel prefers an SA short of its soft limit over a newer one past it,
 * and the peer removes its inbound half delete_rekeyed_delay after the
 * Delete. Only for an SA older than the one that replaces it. */
static void cc_retire_out(struct ike_sa *sa, struct child_sa *c, uint64_t now)
{
	if (c->out_sa && !c->out_delete_at)
		c->out_delete_at = now + CC_OUT_GRACE_MS;
	engine_log(sa->e, sa, 6, "outbound SA %08x replaced; it goes in %u ms",
		   c->spi_out, (unsigned)CC_OUT_GRACE_MS);
}

/* A responder's new CHILD SA becomes the one that carries traffic: its
 * outbound SA goes in, the old outbound SA goes out (make-before-break:
 * the peer has had our inbound SA since it answered or sent the rekey). */
void create_child_activate(struct ike_sa *sa, struct child_sa *c,
			   struct child_sa *old, uint64_t now)
{
	if (c->out_keys) {
		if (child_sa_add(sa, c, false, c->out_keys, now))
			engine_log(sa->e, sa, 3,
				   "outbound SA %08x could not be installed",
				   c->spi_out);
		keymat_child_wipe(c->out_keys);
		free(c->out_keys);
		c->out_keys = NULL;
	}
	c->state = CHILD_INSTALLED;
	child_policy_hold(sa, c);
	c->activate_at = 0;
	for (struct child_sa *x = sa->children; c->replaces && x; x = x->next) {
		/* ours lost a collision on `old` (cc_resolve_collision):
		 * now that the winner switched, it goes */
		if (x->replaces != c->replaces || !x->created_by_us ||
		    !x->redundant || x->state != CHILD_INSTALLED)
			continue;
		cc_retire_out(sa, x, now);
		x->state = CHILD_REKEYED;
		x->replaces = 0;
		(void)cc_queue_delete(sa, x);
	}
	if (old) {
		cc_retire_out(sa, old, now);
		old->state = CHILD_REKEYED;
		old->delete_at = now + sa->e->set.delete_rekeyed_delay_ms;
		engine_log(sa->e, sa, 5,
			   "CHILD SA '%s' %08x/%08x rekeyed to %08x/%08x",
			   c->cfg->name, old->spi_in, old->spi_out, c->spi_in,
			   c->spi_out);
		engine_event(sa->e, sa, ENGINE_EV_CHILD_REKEYED, 0);
	}
}

/* The old SA's Delete, sent by whoever won the rekey (§2.8). */
static int cc_queue_delete(struct ike_sa *sa, struct child_sa *c)
{
	struct task *d;

	if (task_find(sa, TASK_CHILD_DELETE, c->spi_in))
		return 0;
	if (!(d = task_new(sa, TASK_CHILD_DELETE, true)))
		return -ENG_ERR_NOMEM;
	d->spi_in = c->spi_in;
	return 0;
}

/* Both CHILD SAs that replace `old` exist on our side: ours `mine` and
 * the peer's `theirs` (§2.8.1). The one made with the lowest nonce is
 * closed by its creator; the other one takes over, and the winner's
 * creator deletes `old`. */
static void cc_resolve_collision(struct ike_sa *sa, struct child_sa *old,
				 struct child_sa *mine, struct child_sa *theirs,
				 uint64_t now)
{
	if (!cc_redundant(mine, theirs)) {
		engine_log(sa->e, sa, 5,
			   "rekey collision on CHILD SA %08x: the peer's %08x "
			   "is redundant, the peer deletes it; ours %08x stays",
			   old->spi_in, theirs->spi_in, mine->spi_in);
		theirs->replaces = 0; /* waits for the peer's Delete */
		return;
	}
	engine_log(sa->e, sa, 5,
		   "rekey collision on CHILD SA %08x: ours %08x is redundant; "
		   "the peer's %08x takes over once the peer deletes %08x",
		   old->spi_in, mine->spi_in, theirs->spi_in, old->spi_in);
	/* Ours keeps carrying our traffic (the peer has its inbound SA)
	 * until the winner's Delete of the old SA says the peer reads
	 * its own SA: then theirs goes out and ours is deleted
	 * (create_child_activate). Switching now lost packets when the
	 * peer had not read our answer yet. */
	mine->redundant = true;
	mine->rekey_at = 0;
	theirs->activate_at = now + CC_FAIL_RETRY_MS / 3; /* if no Delete */
	cc_retire_out(sa, old, now);
	old->state = CHILD_REKEYED;
	if (!old->delete_at) /* should the winner never delete it */
		old->delete_at = now + CC_FAIL_RETRY_MS;
}

/* Our rekey's new CHILD SA is in the kernel: retire the old one. */
static void cc_rekeyed_i(struct ike_sa *sa, struct child_sa *c,
			 struct child_sa *old, uint64_t now)
{
	struct child_sa *theirs = cc_peer_successor(sa, old);

	child_policy_hold(sa, c);
	/* Make-before-break: new inbound and outbound are in; the old
	 * outbound goes in a moment, the old inbound stays until the peer
	 * switched. */
	cc_retire_out(sa, old, now);
	old->state = CHILD_REKEYED;
	engine_log(sa->e, sa, 5, "CHILD SA '%s' %08x/%08x rekeyed to %08x/%08x",
		   c->cfg->name, old->spi_in, old->spi_out, c->spi_in,
		   c->spi_out);
	engine_event(sa->e, sa, ENGINE_EV_CHILD_REKEYED, 0);
	if (theirs) {
		cc_resolve_collision(sa, old, c, theirs, now);
		if (c->state == CHILD_REKEYED)
			return; /* ours lost: the peer deletes the old SA */
	}
	if (cc_queue_delete(sa, old))
		engine_log(sa->e, sa, 3, "cannot queue Delete of %08x",
			   old->spi_in);
}

/* The peer refused our CREATE_CHILD_SA with `type`; returns true if the
 * task was set up again (INVALID_KE_PAYLOAD), false to drop it. */
static bool cc_refused_i(struct ike_sa *sa, struct task *t,
			 const struct ike_msg *m, uint16_t type, uint64_t now)
{
	struct child_sa *old = t->type == TASK_CHILD_REKEY
				       ? ike_sa_child_by_spi_in(sa, t->spi_in)
				       : NULL;
	const struct ike_payload *n = ike_msg_find_notify(m, type);

	engine_log(sa->e, sa, 4, "peer refused %s: %s", task_name(t->type),
		   ike_notify_type_name(type) ?: "?");
	if (old && old->state == CHILD_REKEYING)
		old->state = CHILD_INSTALLED;
	if (type == N_INVALID_KE_PAYLOAD && n && n->u.notify.data.len == 2 &&
	    t->ke_retries++ < CC_KE_RETRIES) {
		uint16_t grp = (uint16_t)(n->u.notify.data.ptr[0] << 8 |
					  n->u.notify.data.ptr[1]);
		struct engine_proposal props[ENGINE_MAX_PROPOSALS];
		size_t np =
			t->type == TASK_IKE_REKEY
				? sa->conn->n_ike
				: child_proposals(t->child->cfg, true, props);

		if (t->type == TASK_IKE_REKEY
			    ? proposal_offers_ke(sa->conn->ike, np, grp)
			    : proposal_offers_ke(props, np, grp)) {
			/* §1.3: start over with the group the peer wants */
			if (t->child) {
				child_release_spi(sa, t->child);
				child_free(t->child);
				t->child = NULL;
			}
			ke_free(t->ke);
			t->ke = NULL;
			t->ke_group = grp;
			t->active = false;
			return true;
		}
	}
	if (type == N_TEMPORARY_FAILURE || type == N_NO_ADDITIONAL_SAS) {
		/* §2.25: the peer is busy with that SA; try again later */
		uint64_t at = now + cc_retry_delay(sa->e, CC_RETRY_MS);

		if (t->type == TASK_IKE_REKEY)
			sa->rekey_at = at;
		else if (old)
			old->rekey_at = at;
	} else if (old) {
		old->rekey_at = now + CC_FAIL_RETRY_MS;
	} else if (t->type == TASK_IKE_REKEY) {
		sa->rekey_at = now + CC_FAIL_RETRY_MS;
	}
	return false;
}

static int cc_child_process_i(struct ike_sa *sa, struct task *t,
			      struct ike_msg *m, uint64_t now)
{
	struct child_sa *c = t->child, *x;
	struct child_sa *old = t->type == TASK_CHILD_REKEY
				       ? ike_sa_child_by_spi_in(sa, t->spi_in)
				       : NULL;
	struct keymat_child k;
	struct ke_secret s = { 0 };
	int err;

	err = child_accept_i(sa, m, c, true);
	if (!err)
		err = cp_child_narrow(sa, c);
	if (!err)
		err = cc_nonce(sa, m, &c->nr, &c->nr_len);
	if (!err && c->alg.ke && c->alg.ke != KE_NONE)
		err = t->ke ? cc_secret(m, t->ke, t->ke_group, &s)
			    : -ENG_ERR_INVALID_KE;
	if (!err)
		err = child_keymat(sa, c, s.len ? s.buf : NULL, s.len, &k);
	ke_secret_wipe(&s);
	if (err) {
		engine_log(sa->e, sa, 4, "%s '%s' failed: %s",
			   task_name(t->type), c->cfg->name,
			   engine_err_name(err));
		if (old && old->state == CHILD_REKEYING) {
			old->state = CHILD_INSTALLED;
			old->rekey_at = now + CC_FAIL_RETRY_MS;
		}
		if (!old)
			engine_event(sa->e, sa, ENGINE_EV_CHILD_FAILED, err);
		return err;
	}
	t->child = NULL;
	child_schedule(sa, c, now);
	/* make-before-break: new inbound first, then new outbound */
	if ((err = child_sa_add(sa, c, true, &k, now)) ||
	    (err = child_sa_add(sa, c, false, &k, now))) {
		keymat_child_wipe(&k);
		child_link(sa, c);
		ike_sa_child_remove(sa, c);
		return err;
	}
	keymat_child_wipe(&k);
	c->state = CHILD_INSTALLED;
	child_link(sa, c);
	if (old && old->state == CHILD_REKEYING) {
		cc_rekeyed_i(sa, c, old, now);
	} else if (old && (x = cc_peer_replacement(sa, old))) {
		/* §2.8.1, the peer's rekey of the same SA ended first */
		child_policy_hold(sa, c);
		if (cc_redundant(c, x)) {
			engine_log(sa->e, sa, 5,
				   "rekey collision on CHILD SA %08x: ours "
				   "%08x is redundant, deleting it",
				   old->spi_in, c->spi_in);
			child_sa_del(sa, c, false);
			c->state = CHILD_REKEYED;
			c->redundant = true;
			return cc_queue_delete(sa, c);
		}
		engine_log(sa->e, sa, 5,
			   "rekey collision on CHILD SA %08x: the peer's %08x "
			   "is redundant, the peer deletes it; ours %08x stays",
			   old->spi_in, x->spi_in, c->spi_in);
		x->replaces = 0;
	} else {
		child_policy_hold(sa, c);
		engine_log(sa->e, sa, 5, "CHILD SA '%s' %08x/%08x established",
			   c->cfg->name, c->spi_in, c->spi_out);
		engine_event(sa->e, sa, ENGINE_EV_CHILD_UP, 0);
	}
	child_nonces_settle(sa, c);
	return 0;
}

/* ---- initiator: IKE SA rekey (§1.3.2, §2.18) ---- */

static int cc_ike_build_i(struct ike_sa *sa, struct task *t, uint64_t now)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct cc_out *o = calloc(1, sizeof(*o));
	struct ike_payload *p;
	struct child_sa *c;
	uint64_t spi = 0;
	int err = -ENG_ERR_NOMEM;

	if (!m || !o)
		goto out;
	/* The new SA's SPI: a placeholder child carries the nonces. */
	if (!(c = t->child = child_new(sa, NULL)))
		goto out;
	do {
		if ((err = engine_random(sa->e, &spi, sizeof(spi))))
			goto out;
		spi = engine_spi_own(sa->e, spi);
	} while (!spi || ike_sa_find(sa->e, spi));
	t->new_spi = spi;
	if (!t->ke_group)
		t->ke_group = sa->alg.ke;
	if ((err = ike_nonce_set(sa->e, &c->ni, &c->ni_len, NULL,
				 IKE_SA_NONCE_LEN)) ||
	    (!t->ke && (err = ke_new(t->ke_group, &t->ke))))
		goto out;
	msg_start(sa, m, EXCH_CREATE_CHILD_SA, false, 0);
	err = -ENG_ERR_NOMEM;
	if (!(p = ike_msg_add(m, PL_SA)))
		goto out;
	p->inner = true;
	cc_spi64_put(o->spi, spi);
	proposal_to_sa(sa->conn->ike, sa->conn->n_ike, PROTO_IKE, o->spi, 8, 1,
		       &o->w, &p->u.sa);
	if ((err = cc_add_nonce_ke(m, c->ni, c->ni_len, t->ke, t->ke_group,
				   o)) ||
	    (err = msg_send_request(sa, now, m)))
		goto out;
	engine_log(sa->e, sa, 5, "rekeying IKE SA");
out:
	free(m);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	return err;
}

/* A new IKE SA for a rekey of `old`: same peer and settings, our SPI
 * `spi` (0: a fresh one), keys from `old`'s SK_d (§2.18). */
static struct ike_sa *cc_new_ike(struct ike_sa *old, bool initiator,
				 uint64_t spi, uint64_t peer_spi,
				 const struct proposal_chosen *alg,
				 const uint8_t *g_ir, size_t g_ir_len,
				 const struct child_sa *nonces, uint64_t now)
{
	struct ike_sa *n = ike_sa_new_spi(old->e, old->conn, initiator,
					  &old->local, &old->remote, spi);
	struct keymat_suite suite;
	struct keymat_ike d, *km = calloc(1, sizeof(*km));
	uint8_t spi_i[8], spi_r[8];
	int err;

	if (!n || !km) {
		if (n)
			ike_sa_free(n);
		free(km);
		return NULL;
	}
	if (initiator)
		n->spi_r = peer_spi;
	else
		n->spi_i = peer_spi;
	n->alg = *alg;
	n->natt = old->natt;
	n->nat_local = old->nat_local;
	n->nat_remote = old->nat_remote;
	n->peer_frag = old->peer_frag;
	peer_idx_set(n, old->peer_id_hash);
	if (ident_peer_inherit(old, n)) {
		ike_sa_free(n);
		return NULL;
	}
	n->peer_sig_hash = old->peer_sig_hash;
	n->peer_hashes = old->peer_hashes;
	cc_spi64_put(spi_i, n->spi_i);
	cc_spi64_put(spi_r, n->spi_r);
	err = keymat_suite_init(&suite, alg->encr, alg->encr_keylen, alg->prf,
				alg->integ);
	ike_sa_keymat_d(old, &d);
	if (!err)
		err = keymat_ike_rekey(km, &suite, &d, g_ir, g_ir_len,
				       nonces->ni, nonces->ni_len, nonces->nr,
				       nonces->nr_len, spi_i, spi_r);
	keymat_ike_wipe(&d);
	ike_sa_keys_set(n, km); /* n owns km now */
	if (!err && n->e->env.ike_keys)
		n->e->env.ike_keys(n->e->env.ctx, spi_i, spi_r, n->km);
	if (!err)
		err = skp_new(n->km, initiator, &n->sk);
	ike_sa_keys_done(n); /* established at once: SK_d is all it keeps */
	if (err) {
		engine_log(old->e, old, 3, "new IKE SA keys: %s",
			   engine_err_name(err));
		ike_sa_free(n);
		return NULL;
	}
	ike_sa_set_state(n, IKE_SA_ESTABLISHED);
	win_inherit(old, n);
	mobike_inherit(old, n);
	(void)win_open(n);
	if (!old->rekeyed)
		ike_sa_takeover(old, n, now);
	return n;
}

static int cc_ike_process_i(struct ike_sa *sa, struct task *t,
			    struct ike_msg *m, uint64_t now)
{
	const struct ike_payload *p = ike_msg_find(m, PL_SA, NULL);
	struct engine_proposal reply[1];
	struct proposal_chosen alg;
	struct ke_secret s = { 0 };
	struct ike_sa *n = NULL;
	uint64_t peer_spi = 0;
	int err = -ENG_ERR_NO_PROPOSAL;

	if (p && p->u.sa.n_proposals == 1 &&
	    p->u.sa.proposals[0].protocol == PROTO_IKE &&
	    p->u.sa.proposals[0].spi.len == 8 &&
	    proposal_from_sa(&p->u.sa, PROTO_IKE, sa->conn->ike,
			     sa->conn->n_ike, reply, NULL, NULL, 1) == 1 &&
	    !proposal_accept(sa->conn->ike, sa->conn->n_ike, reply, true,
			     &alg)) {
		peer_spi = cc_spi64_get(p->u.sa.proposals[0].spi.ptr);
		err = alg.ke == t->ke_group ? 0 : -ENG_ERR_INVALID_KE;
	}
	if (!err && !peer_spi)
		err = -ENG_ERR_MALFORMED;
	if (!err)
		err = cc_nonce(sa, m, &t->child->nr, &t->child->nr_len);
	if (!err)
		err = cc_secret(m, t->ke, t->ke_group, &s);
	if (!err && !(n = cc_new_ike(sa, true, t->new_spi, peer_spi, &alg,
				     s.buf, s.len, t->child, now)))
		err = -ENG_ERR_NOMEM;
	ke_secret_wipe(&s);
	if (err) {
		engine_log(sa->e, sa, 4,
			   "IKE SA rekey failed: %s; trying again later",
			   engine_err_name(err));
		sa->rekey_at = now + CC_FAIL_RETRY_MS;
		return err;
	}
	if (sa->successor != n) {
		/* The peer's simultaneous rekey won (see cc_ike_collision):
		 * the SA ours made is redundant, and we made it, so we
		 * delete it (§2.8.2). */
		engine_log(
			sa->e, n, 5,
			"redundant IKE SA of a rekey collision; deleting it");
		(void)informational_delete_ike_i(n, now);
		return 0;
	}
	engine_log(sa->e, n, 5, "IKE SA rekeyed, replaces %s", sa->name);
	/* §1.3.2: the rekey initiator deletes the old IKE SA */
	if (!task_new(sa, TASK_IKE_DELETE, true))
		return -ENG_ERR_NOMEM;
	task_kick(n, now);
	return 0;
}

int create_child_build_i(struct ike_sa *sa, struct task *t, uint64_t now)
{
	if (t->type == TASK_IKE_REKEY)
		return cc_ike_build_i(sa, t, now);
	return cc_child_build_i(sa, t, now);
}

int create_child_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	struct task *t = task_by_msg_id(sa, m->hdr.msg_id);
	uint16_t refused = 0;
	int err;

	win_request_done(sa, m->hdr.msg_id);
	if (!t) {
		engine_log(sa->e, sa, 5,
			   "CREATE_CHILD_SA response %u matches no request",
			   m->hdr.msg_id);
		task_kick(sa, now);
		return 0;
	}
	if (sa->rekeyed && t->type != TASK_IKE_REKEY) {
		/* Its CHILD SAs moved to the successor; what the peer may
		 * have made here goes with this IKE SA's Delete. */
		engine_log(sa->e, sa, 5,
			   "%s answered after the IKE SA was rekeyed; dropped",
			   task_name(t->type));
		task_remove(sa, t);
		task_kick(sa, now);
		return 0;
	}
	for (const struct ike_payload *n = ike_msg_find(m, PL_NOTIFY, NULL);
	     n && !refused; n = ike_msg_find(m, PL_NOTIFY, n))
		if (ike_notify_is_error(n->u.notify.type))
			refused = n->u.notify.type;
	if (refused) {
		if (!cc_refused_i(sa, t, m, refused, now))
			task_remove(sa, t);
		task_kick(sa, now);
		return 0;
	}
	if (t->type == TASK_IKE_REKEY)
		err = cc_ike_process_i(sa, t, m, now);
	else
		err = cc_child_process_i(sa, t, m, now);
	task_remove(sa, t);
	task_kick(sa, now);
	return err;
}

/* ---- responder ---- */

static int cc_refuse_r(struct ike_sa *sa, struct ike_msg *r, uint16_t type,
		       uint8_t proto, const void *data, size_t len)
{
	msg_start(sa, r, EXCH_CREATE_CHILD_SA, true, 0);
	if (!msg_add_notify(r, true, type, proto, data, len))
		return -ENG_ERR_NOMEM;
	return msg_send_response(sa, r);
}

/* §2.25: a CREATE_CHILD_SA while we rekey or delete the IKE SA. */
static bool cc_ike_busy(struct ike_sa *sa)
{
	for (struct task *t = sa->tasks; t; t = t->next)
		if (t->active &&
		    (t->type == TASK_IKE_REKEY || t->type == TASK_IKE_DELETE))
			return true;
	return sa->rekeyed || sa->state != IKE_SA_ESTABLISHED;
}

static int cc_child_process_r(struct ike_sa *sa, struct ike_msg *m,
			      const struct ike_payload *rekey, uint64_t now,
			      struct ike_msg *r, struct cc_out *o)
{
	const struct ike_payload *kep = ike_msg_find(m, PL_KE, NULL);
	struct child_sa *old = NULL, *c;
	struct engine_proposal one;
	struct keymat_child k;
	struct ke *ke = NULL;
	struct ke_secret s = { 0 };
	uint32_t spi;
	int err;

	if (rekey) {
		if (rekey->u.notify.spi.len != 4) {
			engine_log(sa->e, sa, 4,
				   "REKEY_SA without a 4-byte SPI; answering "
				   "INVALID_SYNTAX");
			return cc_refuse_r(sa, r, N_INVALID_SYNTAX, 0, NULL, 0);
		}
		spi = (uint32_t)rekey->u.notify.spi.ptr[0] << 24 |
		      rekey->u.notify.spi.ptr[1] << 16 |
		      rekey->u.notify.spi.ptr[2] << 8 |
		      rekey->u.notify.spi.ptr[3];
		old = ike_sa_child_by_spi_out(sa, spi);
		if (!old || old->state == CHILD_DELETED) {
			engine_log(sa->e, sa, 4,
				   "peer rekeys CHILD SA %08x we do not "
				   "have; answering CHILD_SA_NOT_FOUND",
				   spi);
			return cc_refuse_r(sa, r, N_CHILD_SA_NOT_FOUND,
					   PROTO_ESP, NULL, 0);
		}
		if (old->state == CHILD_DELETING ||
		    (old->state == CHILD_REKEYED &&
		     !task_find(sa, TASK_CHILD_DELETE, old->spi_in)) ||
		    cc_peer_successor(sa, old)) {
			engine_log(sa->e, sa, 5,
				   "peer rekeys CHILD SA %08x while it is "
				   "being %s; answering TEMPORARY_FAILURE",
				   old->spi_in,
				   old->state == CHILD_DELETING ? "deleted"
								: "replaced");
			return cc_refuse_r(sa, r, N_TEMPORARY_FAILURE, 0, NULL,
					   0);
		}
	}
	if (!(c = child_new(sa, NULL)))
		return -ENG_ERR_NOMEM;
	err = child_select_r(sa, m, c, old ? old->cfg : NULL, true);
	if (!err && old && c->cfg != old->cfg)
		err = -ENG_ERR_TS;
	if (!err)
		err = cp_child_narrow(sa, c); /* §3.15: the virtual address */
	if (!err && c->alg.ke && c->alg.ke != KE_NONE &&
	    (!kep || kep->u.ke.group != c->alg.ke)) {
		/* §1.3: tell the initiator which group we want */
		engine_log(sa->e, sa, 5,
			   "peer's CREATE_CHILD_SA has KE %s, we want %s; "
			   "answering INVALID_KE_PAYLOAD",
			   kep ? ike_ke_id_name(kep->u.ke.group) ?: "?"
			       : "none",
			   ike_ke_id_name(c->alg.ke) ?: "?");
		o->grp[0] = (uint8_t)(c->alg.ke >> 8);
		o->grp[1] = (uint8_t)c->alg.ke;
		child_free(c);
		return cc_refuse_r(sa, r, N_INVALID_KE_PAYLOAD, 0, o->grp, 2);
	}
	if (!err)
		err = cc_nonce(sa, m, &c->ni, &c->ni_len);
	if (!err)
		err = ike_nonce_set(sa->e, &c->nr, &c->nr_len, NULL,
				    IKE_SA_NONCE_LEN);
	if (!err && c->alg.ke && c->alg.ke != KE_NONE &&
	    !(err = ke_new(c->alg.ke, &ke)))
		err = cc_secret(m, ke, c->alg.ke, &s);
	if (!err)
		err = child_alloc_spi(sa, c);
	if (!err &&
	    (err = child_keymat(sa, c, s.len ? s.buf : NULL, s.len, &k)))
		child_release_spi(sa, c);
	ke_secret_wipe(&s);
	if (err) {
		unsigned n = engine_err_notify(err);

		engine_log(sa->e, sa, 4,
			   "CREATE_CHILD_SA from peer refused: %s; answering "
			   "%s",
			   engine_err_name(err),
			   ike_notify_type_name(n ? n : N_NO_PROPOSAL_CHOSEN)
				   ?: "?");
		ke_free(ke);
		child_free(c);
		return cc_refuse_r(sa, r,
				   n ? (uint16_t)n : N_NO_PROPOSAL_CHOSEN, 0,
				   NULL, 0);
	}
	/* Make-before-break (doc/rekeying.md): the new inbound SA is in the
	 * kernel before the answer goes out. The initiator sends on it as
	 * soon as it has read the answer; until our UPDSA fills the larval
	 * SA ALLOC_SPI made, the kernel drops those packets
	 * (XfrmAcquireError), which lost pings in the kmod rekey test. */
	child_schedule(sa, c, now);
	if ((err = child_sa_add(sa, c, true, &k, now))) {
		ke_free(ke);
		keymat_child_wipe(&k);
		child_release_spi(sa, c);
		child_free(c);
		return err;
	}
	/* SA, Nr, [KEr], TSi, TSr */
	msg_start(sa, r, EXCH_CREATE_CHILD_SA, true, 0);
	proposal_from_chosen(&c->alg, &one);
	if ((err = child_add_payloads(r, c, &one, 1, c->alg.num, &o->cw)) ||
	    (err = cc_add_nonce_ke(r, c->nr, c->nr_len,
				   c->alg.ke && c->alg.ke != KE_NONE ? ke
								     : NULL,
				   c->alg.ke, o)) ||
	    (err = msg_send_response(sa, r))) {
		ke_free(ke);
		keymat_child_wipe(&k);
		child_sa_del(sa, c, true); /* the SA we just filled in */
		child_free(c);
		return err;
	}
	ke_free(ke);
	child_link(sa, c);
	if (!err && old) {
		/* Rekey: our outbound stays on the old SA until the
		 * initiator deletes it; it cannot decrypt the new one
		 * before it has read this response. */
		c->replaces = old->spi_in;
		if ((c->out_keys = malloc(sizeof(*c->out_keys))))
			*c->out_keys = k;
		else
			err = -ENG_ERR_NOMEM;
		engine_log(sa->e, sa, 6,
			   "peer rekeys CHILD SA '%s' %08x: new inbound "
			   "%08x installed",
			   old->cfg->name, old->spi_in, c->spi_in);
		if (!err && old->state == CHILD_REKEYED) {
			/* our rekey of it completed already: collision */
			struct child_sa *mine = NULL;

			for (struct child_sa *x = sa->children; x; x = x->next)
				if (x->replaces == old->spi_in &&
				    x->created_by_us)
					mine = x;
			if (mine && cc_redundant(mine, c)) {
				struct task *d = task_find(
					sa, TASK_CHILD_DELETE, old->spi_in);

				bool told = !d || d->active;

				if (d && !d->active)
					task_remove(sa, d);
				cc_resolve_collision(sa, old, mine, c, now);
				/* our Delete of the old SA went out already:
				 * no Delete of the winner's will tell us when
				 * to switch; the peer reads this answer in
				 * well under two seconds */
				if (told)
					c->activate_at = now + 2000;
				task_kick(sa, now);
			} else if (mine) {
				c->replaces = 0;
			}
		}
	} else if (!err) {
		err = child_sa_add(sa, c, false, &k, now);
		c->state = CHILD_INSTALLED;
		child_policy_hold(sa, c);
		engine_log(sa->e, sa, 5,
			   "CHILD SA '%s' %08x/%08x established (peer's "
			   "CREATE_CHILD_SA)",
			   c->cfg->name, c->spi_in, c->spi_out);
		engine_event(sa->e, sa, ENGINE_EV_CHILD_UP, 0);
	}
	keymat_child_wipe(&k);
	if (err)
		ike_sa_child_remove(sa, c);
	else
		child_nonces_settle(sa, c);
	return err;
}

/* The peer rekeys the IKE SA while exchanges of ours are out. A CHILD
 * SA exchange of ours does not stop it: the peer answers it
 * TEMPORARY_FAILURE while it rekeys the IKE SA (§2.25.2), and the CHILD
 * SA moves to the new IKE SA and is rekeyed there; so neither side keeps
 * refusing the other. Both peers rekey the IKE SA at once (§2.8.2):
 * exactly one request is taken, the one whose nonce is higher. Each side sees both nonces
 * (its own in its task, the peer's in the request), so both decide
 * alike: the loser's request is answered TEMPORARY_FAILURE, and should
 * its answer come back as an SA anyway, the SA it made is deleted by its
 * maker. Returns true if the peer's request wins. */
static bool cc_ike_collision(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *n = ike_msg_find(m, PL_NONCE, NULL);
	struct task *mine = NULL;

	for (struct task *t = sa->tasks; t; t = t->next) {
		if (!t->active || t->type == TASK_CHILD_REKEY ||
		    t->type == TASK_CHILD_CREATE)
			continue; /* the peer refuses those (§2.25.2) */
		if (t->type != TASK_IKE_REKEY || mine || !t->child)
			return false; /* a delete or DPD of ours is out */
		mine = t;
	}
	if (!mine)
		return true; /* only CHILD SA work of ours is out */
	if (!n)
		return false;
	return cc_nonce_cmp(n->u.nonce.data.ptr, n->u.nonce.data.len,
			    mine->child->ni, mine->child->ni_len) > 0;
}

static int cc_ike_process_r(struct ike_sa *sa, struct ike_msg *m, uint64_t now,
			    struct ike_msg *r, struct cc_out *o)
{
	const struct ike_payload *sap = ike_msg_find(m, PL_SA, NULL);
	const struct ike_payload *kep = ike_msg_find(m, PL_KE, NULL);
	struct engine_proposal theirs[ENGINE_MAX_PROPOSALS], one;
	uint8_t nums[ENGINE_MAX_PROPOSALS];
	struct proposal_chosen alg;
	struct child_sa nonces;
	struct ke *ke = NULL;
	struct ke_secret s = { 0 };
	struct ike_payload *p;
	struct ike_sa *n = NULL;
	uint64_t peer_spi = 0;
	size_t np, i;
	int err;

	if (task_any_active(sa) && !cc_ike_collision(sa, m)) {
		/* §2.25.2: the peer tries again after a random delay */
		engine_log(sa->e, sa, 5,
			   "peer rekeys the IKE SA while an exchange of ours "
			   "is out; answering TEMPORARY_FAILURE");
		return cc_refuse_r(sa, r, N_TEMPORARY_FAILURE, 0, NULL, 0);
	}
	np = proposal_from_sa(&sap->u.sa, PROTO_IKE, sa->conn->ike,
			      sa->conn->n_ike, theirs, nums, NULL,
			      ENGINE_MAX_PROPOSALS);
	if (!kep || proposal_select(sa->conn->ike, sa->conn->n_ike, theirs, np,
				    true, kep->u.ke.group, &alg)) {
		engine_log(sa->e, sa, 4,
			   "peer's IKE SA rekey: no acceptable proposal; "
			   "answering NO_PROPOSAL_CHOSEN");
		return cc_refuse_r(sa, r, N_NO_PROPOSAL_CHOSEN, 0, NULL, 0);
	}
	if (alg.ke != kep->u.ke.group) {
		o->grp[0] = (uint8_t)(alg.ke >> 8);
		o->grp[1] = (uint8_t)alg.ke;
		return cc_refuse_r(sa, r, N_INVALID_KE_PAYLOAD, 0, o->grp, 2);
	}
	/* the SPI of the proposal we chose (§1.3.2) */
	for (i = 0; i < sap->u.sa.n_proposals; i++)
		if (sap->u.sa.proposals[i].num == nums[alg.num - 1] &&
		    sap->u.sa.proposals[i].protocol == PROTO_IKE &&
		    sap->u.sa.proposals[i].spi.len == 8)
			peer_spi = cc_spi64_get(sap->u.sa.proposals[i].spi.ptr);
	alg.num = nums[alg.num - 1];
	memset(&nonces, 0, sizeof(nonces));
	err = peer_spi ? 0 : -ENG_ERR_MALFORMED;
	if (!err)
		err = cc_nonce(sa, m, &nonces.ni, &nonces.ni_len);
	if (!err)
		err = ike_nonce_set(sa->e, &nonces.nr, &nonces.nr_len, NULL,
				    IKE_SA_NONCE_LEN);
	if (!err && !(err = ke_new(alg.ke, &ke)))
		err = cc_secret(m, ke, alg.ke, &s);
	if (!err && !(n = cc_new_ike(sa, false, 0, peer_spi, &alg, s.buf, s.len,
				     &nonces, now)))
		err = -ENG_ERR_NOMEM;
	ke_secret_wipe(&s);
	if (err) {
		ke_free(ke);
		ike_nonce_free(&nonces.ni, &nonces.ni_len);
		ike_nonce_free(&nonces.nr, &nonces.nr_len);
		engine_log(sa->e, sa, 4, "peer's IKE SA rekey failed: %s",
			   engine_err_name(err));
		return cc_refuse_r(sa, r, N_NO_PROPOSAL_CHOSEN, 0, NULL, 0);
	}
	/* SA (our new SPI), Nr, KEr */
	msg_start(sa, r, EXCH_CREATE_CHILD_SA, true, 0);
	err = -ENG_ERR_NOMEM;
	if ((p = ike_msg_add(r, PL_SA))) {
		p->inner = true;
		cc_spi64_put(o->spi, n->spi_r);
		proposal_from_chosen(&alg, &one);
		proposal_to_sa(&one, 1, PROTO_IKE, o->spi, 8, alg.num, &o->w,
			       &p->u.sa);
		err = cc_add_nonce_ke(r, nonces.nr, nonces.nr_len, ke, alg.ke,
				      o);
	}
	if (!err)
		err = msg_send_response(sa, r);
	ke_free(ke);
	ike_nonce_free(&nonces.ni, &nonces.ni_len);
	ike_nonce_free(&nonces.nr, &nonces.nr_len);
	engine_log(sa->e, n, 5, "IKE SA rekeyed by the peer, replaces %s",
		   sa->name);
	/* the initiator deletes the old IKE SA; if it never does: */
	sa->expire_at = now + CC_FAIL_RETRY_MS;
	task_kick(n, now);
	return err;
}

int create_child_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	const struct ike_payload *sap = ike_msg_find(m, PL_SA, NULL);
	const struct ike_payload *rekey = ike_msg_find_notify(m, N_REKEY_SA);
	struct ike_msg *r = malloc(sizeof(*r));
	struct cc_out *o = calloc(1, sizeof(*o));
	bool ike = sap && sap->u.sa.n_proposals &&
		   sap->u.sa.proposals[0].protocol == PROTO_IKE;
	int err = -ENG_ERR_NOMEM;

	if (!r || !o)
		goto out;
	if (!sap || !ike_msg_find(m, PL_NONCE, NULL) ||
	    (!ike && (!ike_msg_find(m, PL_TSI, NULL) ||
		      !ike_msg_find(m, PL_TSR, NULL)))) {
		engine_log(sa->e, sa, 4,
			   "CREATE_CHILD_SA request lacks SA, Nonce or "
			   "TS payloads; answering INVALID_SYNTAX");
		err = cc_refuse_r(sa, r, N_INVALID_SYNTAX, 0, NULL, 0);
		goto out;
	}
	if (ike ? sa->rekeyed || sa->state != IKE_SA_ESTABLISHED
		: cc_ike_busy(sa)) {
		engine_log(sa->e, sa, 5,
			   "CREATE_CHILD_SA while the IKE SA is being "
			   "rekeyed or deleted; answering TEMPORARY_FAILURE");
		err = cc_refuse_r(sa, r, N_TEMPORARY_FAILURE, 0, NULL, 0);
		goto out;
	}
	if (ike)
		err = cc_ike_process_r(sa, m, now, r, o);
	else
		err = cc_child_process_r(sa, m, rekey, now, r, o);
out:
	free(r);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	return err;
}
