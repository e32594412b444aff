/* Lifetimes (RFC 7296 §2.8, swanctl.conf rekey_time/life_time/rand_time
 * and their byte and packet forms): when an IKE or CHILD SA is rekeyed,
 * when it expires, and when the inbound SA of a rekeyed CHILD SA goes.
 * Named after the events, as WireGuard's timers.c. */
#include "engine/exchange.h"

#include "engine/cp.h"

#include <errno.h>
#include <stdio.h>

enum {
	LIFE_OLD_IKE_MS = 30000, /* a rekeyed IKE SA the peer never deletes */
};

/* Rekey at rekey_time minus random(0..rand_time), expire at the hard
 * lifetime (rekey_time + over_time). */
static void lifetime_ike_schedule(struct ike_sa *sa, uint64_t now)
{
	const struct engine_conn *c = sa->conn;
	uint64_t rekey = c->ike_rekey_s * 1000, rand = c->ike_rand_s * 1000;
	uint64_t r = 0;

	if (rand >= rekey)
		rand = rekey ? rekey - 1 : 0;
	if (rand && !engine_random(sa->e, &r, sizeof(r)))
		r %= rand + 1;
	else
		r = 0;
	sa->rekey_at = rekey ? now + rekey - r : 0;
	sa->reauth_at = c->ike_reauth_s && c->ike_reauth_s * 1000 > r
				? now + c->ike_reauth_s * 1000 - r
				: 0;
	sa->expire_at = c->ike_lifetime_s ? now + c->ike_lifetime_s * 1000 : 0;
	if (sa->rekey_at && sa->expire_at && sa->rekey_at >= sa->expire_at)
		sa->rekey_at = 0;
}

/* Reauthentication, make-before-break: a new IKE SA from scratch to the
 * same peer, which takes the old one's place once all its CHILD SAs are
 * up (lifetime_reauth_check). */
static void lifetime_reauth(struct ike_sa *sa, uint64_t now)
{
	struct engine_addr local = sa->local, remote = sa->remote;
	struct ike_sa *n;

	local.port = sa->conn->local.port ? sa->conn->local.port : IKE_PORT;
	remote.port = sa->conn->remote.port ? sa->conn->remote.port : IKE_PORT;
	if (!(n = ike_sa_new(sa->e, sa->conn, true, &local, &remote)))
		return;
	n->reauth_of = sa->id;
	engine_log(sa->e, sa, 5,
		   "reauthenticating: new IKE SA %s first, then this one "
		   "goes",
		   n->name);
	if (ike_sa_init_build_i(n, now)) {
		engine_log(sa->e, sa, 4,
			   "reauthentication could not start; trying again "
			   "in a minute");
		ike_sa_destroy(n, -ENG_ERR_NOMEM);
	}
}

void lifetime_reauth_check(struct ike_sa *sa, uint64_t now)
{
	struct ike_sa *old;

	if (!sa->reauth_of || sa->tasks || sa->state != IKE_SA_ESTABLISHED)
		return;
	old = ike_sa_by_id(sa->e, sa->reauth_of);
	sa->reauth_of = 0;
	if (!old || old->state != IKE_SA_ESTABLISHED || old->rekeyed)
		return;
	engine_log(sa->e, sa, 5,
		   "reauthenticated: deleting %s, its CHILD SAs are replaced",
		   old->name);
	(void)informational_delete_ike_i(old, now);
}

void ike_sa_established(struct ike_sa *sa, uint64_t now)
{
	const struct engine_conn *c = sa->conn;

	(void)win_open(sa); /* §2.3: windows grow once IKE_AUTH is done */
	lifetime_ike_schedule(sa, now);
	/* The first child came with IKE_AUTH (unless the IKE SA is
	 * childless, RFC 6023); the others follow, one CREATE_CHILD_SA each
	 * (§1.3.1). */
	for (size_t i = sa->childless ? 0 : 1;
	     sa->initiator && i < c->n_children; i++) {
		struct task *t = task_new(sa, TASK_CHILD_CREATE, false);

		if (!t)
			break;
		t->cfg = &c->children[i];
	}
	task_kick(sa, now);
	lifetime_reauth_check(sa, now);
}

void ike_sa_takeover(struct ike_sa *old, struct ike_sa *n, uint64_t now)
{
	n->children = old->children;
	n->n_children = old->n_children;
	for (struct child_sa *c = n->children; c; c = c->next) {
		c->ike = n; /* child_by_spi's answer */
		if (c->state == CHILD_REKEYING) {
			/* its rekey stays on the old IKE SA and fails: do it
			 * again on the new one */
			c->state = CHILD_INSTALLED;
			c->rekey_at = now + 1000;
		}
	}
	old->children = NULL;
	old->n_children = 0;
	task_move(old, n);
	cp_takeover(old, n);
	old->rekeyed = true;
	old->successor = n;
	old->rekey_at = 0;
	old->expire_at = now + LIFE_OLD_IKE_MS;
	old->dpd_deadline = old->keepalive_deadline = 0;
	n->last_heard = now;
	if (n->conn->dpd_delay_ms)
		n->dpd_deadline = now + n->conn->dpd_delay_ms;
	if (n->nat_local && n->natt && n->conn->natt_keepalive_ms)
		n->keepalive_deadline = now + n->conn->natt_keepalive_ms;
	lifetime_ike_schedule(n, now);
	n->reauth_at = old->reauth_at; /* a rekey does not reauthenticate */
	old->reauth_at = 0;
	engine_event(n->e, n, ENGINE_EV_IKE_REKEYED, (int)old->id);
}

int lifetime_rekey_child(struct ike_sa *sa, struct child_sa *c, uint64_t now)
{
	struct task *t;

	if (sa->state != IKE_SA_ESTABLISHED || sa->rekeyed ||
	    c->state != CHILD_INSTALLED)
		return -EBUSY;
	if (task_find(sa, TASK_CHILD_REKEY, c->spi_in))
		return 0;
	if (!(t = task_new(sa, TASK_CHILD_REKEY, false)))
		return -ENOMEM;
	t->spi_in = c->spi_in;
	engine_log(sa->e, sa, 6, "CHILD SA '%s' %08x/%08x: rekey queued",
		   c->cfg->name, c->spi_in, c->spi_out);
	task_kick(sa, now);
	return 0;
}

int lifetime_rekey_ike(struct ike_sa *sa, uint64_t now)
{
	if (sa->state != IKE_SA_ESTABLISHED || sa->rekeyed ||
	    task_find(sa, TASK_IKE_DELETE, 0))
		return -EBUSY;
	if (task_find(sa, TASK_IKE_REKEY, 0))
		return 0;
	if (!task_new(sa, TASK_IKE_REKEY, false))
		return -ENOMEM;
	task_kick(sa, now);
	return 0;
}

static void lifetime_children(struct ike_sa *sa, uint64_t now)
{
	struct child_sa *c, *next;

	for (c = sa->children; c; c = next) {
		next = c->next;
		if (c->activate_at && now >= c->activate_at &&
		    c->state == CHILD_INSTALLING) {
			c->activate_at = 0;
			create_child_activate(
				sa, c, ike_sa_child_by_spi_in(sa, c->replaces),
				now);
			continue;
		}
		if (c->out_delete_at && now >= c->out_delete_at) {
			c->out_delete_at = 0; /* replaced: see cc_retire_out */
			child_sa_del(sa, c, false);
		}
		if (c->delete_at && now >= c->delete_at) {
			engine_log(sa->e, sa, 6,
				   "rekeyed CHILD SA %08x/%08x removed",
				   c->spi_in, c->spi_out);
			ike_sa_child_remove(sa, c);
			continue;
		}
		if (c->expire_at && now >= c->expire_at &&
		    c->state != CHILD_REKEYED) {
			c->expire_at = 0;
			engine_log(sa->e, sa, 4,
				   "CHILD SA '%s' %08x/%08x reached its "
				   "life_time without rekey; deleting it",
				   c->cfg->name, c->spi_in, c->spi_out);
			(void)informational_delete_child_i(sa, now, c);
			continue;
		}
		if (c->rekey_at && now >= c->rekey_at &&
		    c->state == CHILD_INSTALLED) {
			c->rekey_at = 0;
			(void)lifetime_rekey_child(sa, c, now);
		}
	}
}

bool lifetime_timeout(struct ike_sa *sa, uint64_t now)
{
	if (sa->state != IKE_SA_ESTABLISHED)
		return false;
	if (sa->expire_at && now >= sa->expire_at) {
		sa->expire_at = 0;
		engine_log(sa->e, sa, 4, "%s; deleting it",
			   sa->rekeyed
				   ? "rekeyed IKE SA not deleted by the peer"
				   : "IKE SA reached its lifetime "
				     "(rekey_time + over_time) unrekeyed");
		(void)informational_delete_ike_i(sa, now);
		return false;
	}
	if (sa->reauth_at && now >= sa->reauth_at && !sa->rekeyed) {
		sa->reauth_at = now + 60000; /* again if this one fails */
		lifetime_reauth(sa, now);
	}
	if (sa->rekey_at && now >= sa->rekey_at) {
		sa->rekey_at = 0;
		(void)lifetime_rekey_ike(sa, now);
	}
	lifetime_children(sa, now);
	task_kick(sa, now);
	return false;
}

static uint64_t lifetime_min(uint64_t a, uint64_t b)
{
	return b && b < a ? b : a;
}

uint64_t lifetime_deadline(const struct ike_sa *sa)
{
	uint64_t d = UINT64_MAX;

	if (sa->state != IKE_SA_ESTABLISHED)
		return d;
	d = lifetime_min(d, sa->expire_at);
	d = lifetime_min(d, sa->rekey_at);
	if (!sa->rekeyed)
		d = lifetime_min(d, sa->reauth_at);
	for (const struct child_sa *c = sa->children; c; c = c->next) {
		d = lifetime_min(d, c->delete_at);
		d = lifetime_min(d, c->out_delete_at);
		if (c->state == CHILD_INSTALLING)
			d = lifetime_min(d, c->activate_at);
		if (c->state != CHILD_REKEYED)
			d = lifetime_min(d, c->expire_at);
		if (c->state == CHILD_INSTALLED)
			d = lifetime_min(d, c->rekey_at);
	}
	return d;
}
