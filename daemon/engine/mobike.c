/* MOBIKE (RFC 4555): an IKE SA and its CHILD SAs follow the initiator to
 * a new address.
 *
 *   IKE_AUTH  HDR, SK { ..., N(MOBIKE_SUPPORTED) }  -->
 *                  <--  HDR, SK { ..., N(MOBIKE_SUPPORTED) }
 *
 *   (the initiator's address changed; it now sends from the new one)
 *   HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP),
 *             N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2) }  -->
 *                  <--  HDR, SK { N(NAT_DETECTION_SOURCE_IP),
 *                                 N(NAT_DETECTION_DESTINATION_IP),
 *                                 N(COOKIE2) }
 *
 * Only the initiator decides which addresses are used (§3.1). The
 * responder takes the new addresses from the IP header of the request
 * (§3.5), checks for a NAT on the new path and moves its SAs; the
 * initiator moves its own once the answer comes. Both move the kernel's
 * policies and SAs with ENGINE_ACT_SA_MIGRATE, from the addresses they
 * hold (path_local/path_remote) to the IKE SA's current ones.
 * Not done: additional addresses (ADDITIONAL_IP*_ADDRESS), the return
 * routability check before an update, and NO_NATS_ALLOWED. */
#include "engine/cp.h"
#include "engine/exchange.h"

#include "crypto/crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool mobike_add_supported(const struct ike_sa *sa, struct ike_msg *m)
{
	if (!sa->conn || !sa->conn->mobike)
		return true;
	return msg_add_notify(m, true, N_MOBIKE_SUPPORTED, 0, NULL, 0) != NULL;
}

void mobike_auth_done(struct ike_sa *sa, const struct ike_msg *m)
{
	sa->mobike_seen = ike_msg_find_notify(m, N_MOBIKE_SUPPORTED) != NULL;
	sa->mobike = sa->conn->mobike && sa->mobike_seen;
	sa->path_local = sa->local;
	sa->path_remote = sa->remote;
	if (sa->mobike)
		engine_log(sa->e, sa, 6, "MOBIKE agreed (RFC 4555)");
}

void mobike_inherit(const struct ike_sa *old, struct ike_sa *n)
{
	n->mobike = old->mobike;
	n->mobike_seen = old->mobike_seen;
	n->path_local = old->path_local;
	n->path_remote = old->path_remote;
}

static void mobike_migrate_policy(struct ike_sa *sa, struct child_sa *c,
				  enum engine_policy_dir dir,
				  const struct engine_ts *l,
				  const struct engine_ts *r)
{
	struct engine_action *a =
		engine_push(sa->e, ENGINE_ACT_SA_MIGRATE, sa->id);
	struct engine_migrate *g;
	bool out = dir == ENGINE_POL_OUT;

	if (!a)
		return;
	g = &a->u.migrate;
	g->policy.dir = dir;
	g->policy.mode = c->mode;
	g->policy.reqid = c->cfg->reqid;
	g->policy.src = out ? *l : *r;
	g->policy.dst = out ? *r : *l;
	g->policy.tmpl_src = out ? sa->path_local : sa->path_remote;
	g->policy.tmpl_dst = out ? sa->path_remote : sa->path_local;
	engine_child_marks(c->cfg, !out, false, &g->policy.mark,
			   &g->policy.if_id);
	g->new_src = out ? sa->local : sa->remote;
	g->new_dst = out ? sa->remote : sa->local;
	/* ESP goes in UDP where a NAT is on the new path (§2.23) */
	g->encap = sa->nat_local || sa->nat_remote || sa->conn->force_encap;
}

/* Moves every policy the IKE SA's CHILD SAs hold, with their SAs, from
 * the path the kernel has to the SA's current addresses. */
static void mobike_migrate(struct ike_sa *sa)
{
	if (ike_sa_addr_eq(&sa->path_local, &sa->local, true) &&
	    ike_sa_addr_eq(&sa->path_remote, &sa->remote, true))
		return; /* the same path: the kernel has it */
	for (struct child_sa *c = sa->children; c; c = c->next) {
		if (!c->policies)
			continue;
		if (c->mode != ENGINE_MODE_TUNNEL) {
			engine_log(sa->e, sa, 4,
				   "transport-mode CHILD SA %08x/%08x cannot "
				   "move to the new address; it stays",
				   c->spi_in, c->spi_out);
			continue;
		}
		for (size_t i = 0; i < c->n_local_ts; i++) {
			for (size_t j = 0; j < c->n_remote_ts; j++) {
				const struct engine_ts *l = &c->local_ts[i];
				const struct engine_ts *r = &c->remote_ts[j];

				mobike_migrate_policy(sa, c, ENGINE_POL_OUT, l,
						      r);
				mobike_migrate_policy(sa, c, ENGINE_POL_IN, l,
						      r);
				mobike_migrate_policy(sa, c, ENGINE_POL_FWD, l,
						      r);
			}
		}
	}
	/* a virtual address on the old interface would vanish with it */
	if (!ike_sa_addr_eq(&sa->path_local, &sa->local, false))
		cp_local_moved(sa);
	sa->path_local = sa->local;
	sa->path_remote = sa->remote;
}

int engine_ike_move(struct engine *e, uint64_t now_ms, uint32_t ike_id,
		    const struct engine_addr *local)
{
	struct ike_sa *sa = ike_sa_by_id(e, ike_id);
	struct task *t;

	if (!sa)
		return -ENOENT;
	if (!sa->mobike || !sa->initiator || sa->state != IKE_SA_ESTABLISHED ||
	    sa->rekeyed || local->family != sa->remote.family)
		return -ENG_ERR_STATE;
	sa->local = *local;
	sa->local.port = IKE_NATT_PORT; /* MOBIKE talks on 4500 (§3.3) */
	sa->natt = true;
	engine_log(e, sa, 5,
		   "our address changed; telling the peer "
		   "(UPDATE_SA_ADDRESSES)");
	/* a queued update sends the newest address when it starts; one on
	 * its way is followed by another (§3.5) */
	for (t = sa->tasks; t; t = t->next)
		if (t->type == TASK_MOBIKE && !t->active)
			return 0;
	if (!task_new(sa, TASK_MOBIKE, true))
		return -ENG_ERR_NOMEM;
	task_kick(sa, now_ms);
	return 0;
}

int mobike_build_i(struct ike_sa *sa, struct task *t, uint64_t now)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t nat[2 * NAT_HASH_LEN];
	int err;

	if (!m)
		return -ENG_ERR_NOMEM;
	msg_start(sa, m, EXCH_INFORMATIONAL, false, 0);
	err = -ENG_ERR_NOMEM;
	/* COOKIE2 (§3.5): the answer must echo it, which ties it to this
	 * request beyond the message ID */
	if (!engine_random(sa->e, t->cookie2, sizeof(t->cookie2)) &&
	    msg_add_notify(m, true, N_UPDATE_SA_ADDRESSES, 0, NULL, 0) &&
	    !nat_notifies(sa, m, true, nat) &&
	    msg_add_notify(m, true, N_COOKIE2, 0, t->cookie2,
			   sizeof(t->cookie2)))
		err = msg_send_request(sa, now, m);
	free(m);
	if (!err)
		engine_log(sa->e, sa, 6, "UPDATE_SA_ADDRESSES sent");
	return err;
}

static bool mobike_cookie2_ok(const struct task *t, const struct ike_msg *m)
{
	const struct ike_payload *p = ike_msg_find_notify(m, N_COOKIE2);

	return p && p->u.notify.data.len == sizeof(t->cookie2) &&
	       crypto_equal(p->u.notify.data.ptr, t->cookie2,
			    sizeof(t->cookie2));
}

int mobike_process_i(struct ike_sa *sa, struct task *t, const struct ike_msg *m)
{
	if (!mobike_cookie2_ok(t, m)) {
		/* §3.5: not the answer to our update; the kernel stays */
		engine_log(sa->e, sa, 4,
			   "answer to UPDATE_SA_ADDRESSES without our COOKIE2; "
			   "addresses left as they were");
		return 0;
	}
	nat_check(sa, m);
	mobike_migrate(sa);
	engine_log(sa->e, sa, 5, "moved to the new address%s",
		   sa->nat_local || sa->nat_remote ? " (behind a NAT now)"
						   : "");
	return 0;
}

int mobike_process_r(struct ike_sa *sa, const struct ike_msg *m,
		     struct ike_msg *r, uint8_t nat[2 * NAT_HASH_LEN])
{
	const struct ike_payload *c2 = ike_msg_find_notify(m, N_COOKIE2);
	struct engine *e = sa->e;

	if (!ike_msg_find_notify(m, N_UPDATE_SA_ADDRESSES))
		return c2 && !msg_add_notify(r, true, N_COOKIE2, 0,
					     c2->u.notify.data.ptr,
					     c2->u.notify.data.len)
			       ? -ENG_ERR_NOMEM
			       : 0;
	if (!sa->mobike) {
		engine_log(e, sa, 4,
			   "UPDATE_SA_ADDRESSES without MOBIKE agreed; "
			   "addresses unchanged");
		return 0;
	}
	if (sa->initiator) {
		/* §3.1: only the initiator decides on addresses */
		engine_log(e, sa, 4,
			   "UPDATE_SA_ADDRESSES from the responder ignored "
			   "(RFC 4555 §3.1)");
		return 0;
	}
	/* §3.5: an older update overtaken by a newer one changes nothing */
	if (sa->mobike_update_id > m->hdr.msg_id) {
		engine_log(e, sa, 6,
			   "UPDATE_SA_ADDRESSES %u older than %u; ignored",
			   m->hdr.msg_id, sa->mobike_update_id);
		return 0;
	}
	sa->mobike_update_id = m->hdr.msg_id;
	sa->local = e->rx_local;
	sa->remote = e->rx_remote;
	sa_idx_sa_file(sa);
	sa->natt = sa->local.port == IKE_NATT_PORT;
	nat_check(sa, m);
	if (nat_notifies(sa, r, true, nat) ||
	    (c2 && !msg_add_notify(r, true, N_COOKIE2, 0, c2->u.notify.data.ptr,
				   c2->u.notify.data.len)))
		return -ENG_ERR_NOMEM;
	engine_log(e, sa, 5, "peer moved; following it%s",
		   sa->nat_local || sa->nat_remote ? " (a NAT is on the new "
						     "path)"
						   : "");
	mobike_migrate(sa);
	return 0;
}
