/* CHILD SA installation: the SA_ADD, ALLOC_SPI and POLICY_* actions that
 * put an ESP SA pair and its policies into the kernel (RFC 4301 §4.4). */
#include "engine/ike_sa.h"

#include "crypto/xform.h"

#include <string.h>

/* Fills the parts of an engine_sa common to both directions. */
static void child_sa_fill(struct ike_sa *sa, struct child_sa *c,
			  struct engine_sa *k)
{
	const struct engine_child_cfg *cfg = c->cfg;
	const struct xform_encr *enc = NULL;
	const struct xform_integ *integ = NULL;

	k->proto = PROTO_ESP;
	k->mode = c->mode;
	k->reqid = cfg->reqid;
	/* UDP encapsulation follows NAT detection (RFC 7296 §2.23), not the
	 * port: strongSwan moves IKE to 4500 without a NAT (MOBIKE) and then
	 * sends plain ESP. */
	k->encap = sa->nat_local || sa->nat_remote || sa->conn->force_encap;
	k->esn = c->alg.esn;
	k->encr = c->alg.encr;
	k->encr_keylen = c->alg.encr_keylen;
	k->integ = c->alg.integ;
	if (!xform_encr_find(c->alg.encr, c->alg.encr_keylen, &enc) &&
	    enc->aead)
		k->icv_len = enc->icv_len;
	else if (!xform_integ_find(c->alg.integ, &integ))
		k->icv_len = integ->icv_len;
	k->replay_window = cfg->replay_window;
	k->life_soft_s = cfg->life_soft_s;
	k->life_hard_s = cfg->life_hard_s;
	k->life_soft_bytes = cfg->life_soft_bytes;
	k->life_hard_bytes = cfg->life_hard_bytes;
	k->life_soft_packets = cfg->life_soft_packets;
	k->life_hard_packets = cfg->life_hard_packets;
}

static int child_sa_add(struct ike_sa *sa, struct child_sa *c, bool inbound,
			const struct keymat_child *k)
{
	struct engine_action *a = engine_push(sa->e, ENGINE_ACT_SA_ADD, sa->id);
	/* The initiator's keys protect initiator-to-responder traffic
	 * (§2.17): our outbound keys are the `i` ones iff we initiated. */
	bool use_i = inbound != sa->initiator;

	if (!a)
		return -ENG_ERR_NOMEM;
	child_sa_fill(sa, c, &a->u.sa);
	a->u.sa.inbound = inbound;
	a->u.sa.src = inbound ? sa->remote : sa->local;
	a->u.sa.dst = inbound ? sa->local : sa->remote;
	a->u.sa.spi = inbound ? c->spi_in : c->spi_out;
	a->u.sa.enc_key_len = (uint16_t)k->e_len;
	a->u.sa.integ_key_len = (uint16_t)k->a_len;
	memcpy(a->u.sa.enc_key, use_i ? k->ei : k->er, k->e_len);
	memcpy(a->u.sa.integ_key, use_i ? k->ai : k->ar, k->a_len);
	a->u.sa.src_ts = inbound ? c->remote_ts[0] : c->local_ts[0];
	a->u.sa.dst_ts = inbound ? c->local_ts[0] : c->remote_ts[0];
	return 0;
}

static void child_policy(struct ike_sa *sa, struct child_sa *c,
			 enum engine_action_type t, enum engine_policy_dir dir,
			 const struct engine_ts *l, const struct engine_ts *r)
{
	struct engine_action *a = engine_push(sa->e, t, sa->id);
	bool out = dir == ENGINE_POL_OUT;

	if (!a)
		return;
	a->u.policy.dir = dir;
	a->u.policy.mode = c->mode;
	a->u.policy.reqid = c->cfg->reqid;
	a->u.policy.src = out ? *l : *r;
	a->u.policy.dst = out ? *r : *l;
	a->u.policy.tmpl_src = out ? sa->local : sa->remote;
	a->u.policy.tmpl_dst = out ? sa->remote : sa->local;
}

void child_policies(struct ike_sa *sa, struct child_sa *c,
		    enum engine_action_type t)
{
	for (size_t i = 0; i < c->n_local_ts; i++) {
		for (size_t j = 0; j < c->n_remote_ts; j++) {
			const struct engine_ts *l = &c->local_ts[i];
			const struct engine_ts *r = &c->remote_ts[j];

			child_policy(sa, c, t, ENGINE_POL_OUT, l, r);
			child_policy(sa, c, t, ENGINE_POL_IN, l, r);
			if (c->mode == ENGINE_MODE_TUNNEL)
				child_policy(sa, c, t, ENGINE_POL_FWD, l, r);
		}
	}
}

int ike_sa_child_install(struct ike_sa *sa, struct child_sa *c,
			 const struct keymat_child *k)
{
	int err;

	if ((err = child_sa_add(sa, c, true, k)) ||
	    (err = child_sa_add(sa, c, false, k)))
		return err;
	child_policies(sa, c, ENGINE_ACT_POLICY_ADD);
	c->installed = true;
	c->next = sa->children;
	sa->children = c;
	sa->n_children++;
	engine_event(sa->e, sa, ENGINE_EV_CHILD_UP, 0);
	return 0;
}

void child_release_spi(struct ike_sa *sa, struct child_sa *c)
{
	struct engine_action *a = engine_push(sa->e, ENGINE_ACT_SA_DEL, sa->id);

	if (!a)
		return;
	a->u.sa.src = sa->remote;
	a->u.sa.dst = sa->local;
	a->u.sa.spi = c->spi_in;
	a->u.sa.proto = PROTO_ESP;
	a->u.sa.inbound = true;
	a->u.sa.reqid = c->cfg ? c->cfg->reqid : 0;
}
