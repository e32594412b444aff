/* CHILD SAs: their life cycle (doc/rekeying.md), the SA_ADD, ALLOC_SPI and
 * POLICY_* actions that put an ESP SA pair and its policies into the kernel
 * (RFC 4301 §4.4), and the SA/TS payloads both IKE_AUTH and CREATE_CHILD_SA
 * negotiate them with (RFC 7296 §2.9, §3.3, §3.13). */
#include "engine/exchange.h"

#include "crypto/xform.h"
#include "engine/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct child_sa *child_new(struct ike_sa *sa,
			   const struct engine_child_cfg *cfg)
{
	struct child_sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = ++sa->e->next_child_id;
	c->cfg = cfg;
	if (cfg) {
		c->mode = cfg->mode;
		c->n_local_ts = cfg->n_local_ts;
		c->n_remote_ts = cfg->n_remote_ts;
		memcpy(c->local_ts, cfg->local_ts, sizeof(c->local_ts));
		memcpy(c->remote_ts, cfg->remote_ts, sizeof(c->remote_ts));
	}
	return c;
}

void child_free(struct child_sa *c)
{
	if (!c)
		return;
#ifdef KB_ENGINE_SELFCHECK
	if (grouptab_in(&c->pol_node)) {
		fprintf(stderr,
			"child_free: CHILD SA %08x still holds its "
			"policies\n",
			c->spi_in);
		abort();
	}
#endif
	if (c->out_keys) {
		keymat_child_wipe(c->out_keys);
		free(c->out_keys);
	}
	ike_nonce_free(&c->ni, &c->ni_len);
	ike_nonce_free(&c->nr, &c->nr_len);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

/* A random value in [0, range] from the engine's source (jitter). */
static uint64_t child_jitter(struct engine *e, uint64_t range)
{
	uint64_t r = 0;

	if (!range || engine_random(e, &r, sizeof(r)))
		return 0;
	return r % (range + 1);
}

void child_schedule(struct ike_sa *sa, struct child_sa *c, uint64_t now)
{
	const struct engine_child_cfg *cfg = c->cfg;
	uint64_t soft = cfg->life_soft_s * 1000, hard = cfg->life_hard_s * 1000;
	uint64_t rand = cfg->rand_s * 1000;

	/* swanctl.conf semantics: rekey at rekey_time minus a random part of
	 * rand_time, never later than the hard lifetime. */
	if (rand >= soft)
		rand = soft ? soft - 1 : 0;
	c->rekey_at = soft ? now + soft - child_jitter(sa->e, rand) : 0;
	c->expire_at = hard ? now + hard : 0;
	if (c->rekey_at && c->expire_at && c->rekey_at >= c->expire_at)
		c->rekey_at = c->expire_at > now + 1 ? c->expire_at - 1 : now;
	c->life_soft_bytes =
		cfg->life_soft_bytes
			? cfg->life_soft_bytes -
				  child_jitter(
					  sa->e,
					  cfg->rand_bytes < cfg->life_soft_bytes
						  ? cfg->rand_bytes
						  : 0)
			: 0;
	c->life_soft_packets =
		cfg->life_soft_packets
			? cfg->life_soft_packets -
				  child_jitter(
					  sa->e,
					  cfg->rand_packets <
							  cfg->life_soft_packets
						  ? cfg->rand_packets
						  : 0)
			: 0;
}

/* Fills the parts of an engine_sa common to both directions. */
static void child_sa_fill(struct ike_sa *sa, struct child_sa *c,
			  struct engine_sa *k, uint64_t now)
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
	/* The kernel's soft limits back up the engine's own rekey timer and
	 * count what only the kernel sees (bytes, packets). */
	k->life_soft_s = c->rekey_at > now ? (c->rekey_at - now + 999) / 1000
					   : cfg->life_soft_s;
	k->life_hard_s = cfg->life_hard_s;
	k->life_soft_bytes = c->life_soft_bytes;
	k->life_hard_bytes = cfg->life_hard_bytes;
	k->life_soft_packets = c->life_soft_packets;
	k->life_hard_packets = cfg->life_hard_packets;
}

void engine_child_marks(const struct engine_child_cfg *cfg, bool inbound,
			bool sa, struct engine_mark *mark, uint32_t *if_id)
{
	static const struct engine_mark none;

	*mark = !cfg			 ? none
		: !inbound		 ? cfg->mark_out
		: !sa || cfg->mark_in_sa ? cfg->mark_in
					 : none;
	*if_id = !cfg ? 0 : inbound ? cfg->if_id_in : cfg->if_id_out;
}

int child_sa_add(struct ike_sa *sa, struct child_sa *c, bool inbound,
		 const struct keymat_child *k, uint64_t now)
{
	struct engine_action *a = engine_push(sa->e, ENGINE_ACT_SA_ADD, sa->id);
	/* The initiator's keys protect initiator-to-responder traffic
	 * (§2.17): our outbound keys are the `i` ones iff we created the
	 * CHILD SA as initiator of its exchange. */
	bool use_i = inbound != c->created_by_us;

	if (!a)
		return -ENG_ERR_NOMEM;
	child_sa_fill(sa, c, &a->u.sa, now);
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
	engine_child_marks(c->cfg, inbound, true, &a->u.sa.mark,
			   &a->u.sa.if_id);
	if (inbound)
		c->in_sa = true;
	else
		c->out_sa = true;
	return 0;
}

void child_sa_del(struct ike_sa *sa, struct child_sa *c, bool inbound)
{
	struct engine_action *a;

	if (inbound ? !c->in_sa : !c->out_sa)
		return;
	if (inbound)
		c->in_sa = false;
	else
		c->out_sa = false;
	if (!(a = engine_push(sa->e, ENGINE_ACT_SA_DEL, sa->id)))
		return;
	a->u.sa.src = inbound ? sa->remote : sa->local;
	a->u.sa.dst = inbound ? sa->local : sa->remote;
	a->u.sa.spi = inbound ? c->spi_in : c->spi_out;
	a->u.sa.proto = PROTO_ESP;
	a->u.sa.inbound = inbound;
	a->u.sa.reqid = c->cfg ? c->cfg->reqid : 0;
	/* the kernel finds a marked SA only by its mark */
	engine_child_marks(c->cfg, inbound, true, &a->u.sa.mark,
			   &a->u.sa.if_id);
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
	engine_child_marks(c->cfg, !out, false, &a->u.policy.mark,
			   &a->u.policy.if_id);
}

/* Emits POLICY_ADD or POLICY_DEL actions for every selector pair. */
static void child_policies(struct ike_sa *sa, struct child_sa *c,
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

/* The policies belong to the instance of a child config with given
 * selectors, shared by every CHILD SA of it: on one IKE SA (a rekey), or
 * on another one of the same connection (a peer that restarted and came
 * back while its old IKE SA is still here). The first to hold them
 * installs them, the last to let go removes them (sa_idx.h counts). */
void child_policy_hold(struct ike_sa *sa, struct child_sa *c)
{
	if (c->policies)
		return;
	if (sa_idx_policy_hold(sa, c))
		child_policies(sa, c, ENGINE_ACT_POLICY_ADD);
	c->policies = true;
}

void child_policy_release(struct ike_sa *sa, struct child_sa *c)
{
	if (!c->policies)
		return;
	c->policies = false;
	if (sa_idx_policy_release(sa, c))
		child_policies(sa, c, ENGINE_ACT_POLICY_DEL);
}

void child_link(struct ike_sa *sa, struct child_sa *c)
{
	c->next = sa->children;
	sa->children = c;
	sa->n_children++;
	sa->e->n_children++;
	/* The SPIs are known once a CHILD SA is negotiated, before it is
	 * linked, and never change after. */
	c->ike = sa;
	hashtab_add(&sa->e->child_in, &c->in_node, hashtab_mix(c->spi_in));
	hashtab_add(&sa->e->child_out, &c->out_node, hashtab_mix(c->spi_out));
}

void child_unlink(struct ike_sa *sa, struct child_sa *c)
{
	for (struct child_sa **pp = &sa->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			sa->n_children--;
			sa->e->n_children--;
			hashtab_del(&sa->e->child_in, &c->in_node);
			hashtab_del(&sa->e->child_out, &c->out_node);
			c->ike = NULL;
			break;
		}
	}
}

/* The better of two candidates: the one on the newest IKE SA. */
static struct child_sa *child_newest(struct child_sa *a, struct child_sa *b)
{
	return !a || (b && b->ike->id > a->ike->id) ? b : a;
}

static struct child_sa *child_by_spi_in(struct hashtab *t, uint32_t spi,
					bool inbound)
{
	struct child_sa *best = NULL;

	for (struct hashtab_node *n = hashtab_first(t, hashtab_mix(spi)); n;
	     n = hashtab_next(n)) {
		struct child_sa *c =
			inbound ? hashtab_entry(n, struct child_sa, in_node)
				: hashtab_entry(n, struct child_sa, out_node);

		if ((inbound ? c->spi_in : c->spi_out) == spi &&
		    (c->in_sa || c->out_sa))
			best = child_newest(best, c);
	}
	return best;
}

struct child_sa *child_by_spi(struct engine *e, uint32_t spi)
{
	struct child_sa *c = child_by_spi_in(&e->child_in, spi, true);

	if (!c)
		c = child_by_spi_in(&e->child_out, spi, false);
	if (c)
		timers_touch(c->ike); /* its caller may change its timers */
	return c;
}

int ike_sa_child_install(struct ike_sa *sa, struct child_sa *c,
			 const struct keymat_child *k, uint64_t now)
{
	int err;

	child_schedule(sa, c, now);
	if ((err = child_sa_add(sa, c, true, k, now)) ||
	    (err = child_sa_add(sa, c, false, k, now)))
		return err;
	c->state = CHILD_INSTALLED;
	child_link(sa, c);
	child_policy_hold(sa, c);
	engine_event(sa->e, sa, ENGINE_EV_CHILD_UP, 0);
	return 0;
}

void child_release_spi(struct ike_sa *sa, struct child_sa *c)
{
	c->in_sa = true; /* the larval SA ALLOC_SPI made */
	child_sa_del(sa, c, true);
}

int child_alloc_spi(struct ike_sa *sa, struct child_sa *c)
{
	struct engine_action *a;
	int err;

	do {
		if ((err = engine_random(sa->e, &c->spi_in, sizeof(c->spi_in))))
			return err;
		/* 1..255 are reserved (RFC 4303 §2.1); ours are unique */
	} while (c->spi_in < 256 || ike_sa_child_by_spi_in(sa, c->spi_in));
	a = engine_push(sa->e, ENGINE_ACT_ALLOC_SPI, sa->id);
	if (!a)
		return -ENG_ERR_NOMEM;
	a->u.spi = (struct engine_spi){ .spi = c->spi_in,
					.proto = PROTO_ESP,
					.reqid = c->cfg->reqid,
					.src = sa->remote,
					.dst = sa->local };
	return 0;
}

int child_keymat(struct ike_sa *sa, struct child_sa *c, const uint8_t *g_ir,
		 size_t g_ir_len, struct keymat_child *k)
{
	return child_keymat_nonces(sa, c, g_ir, g_ir_len, c->ni, c->ni_len,
				   c->nr, c->nr_len, k);
}

void child_nonces_settle(struct ike_sa *sa, struct child_sa *c)
{
	if (c->replaces && ike_sa_child_by_spi_in(sa, c->replaces))
		return;
	ike_nonce_free(&c->ni, &c->ni_len);
	ike_nonce_free(&c->nr, &c->nr_len);
}

int child_keymat_nonces(struct ike_sa *sa, struct child_sa *c,
			const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni,
			size_t ni_len, const uint8_t *nr, size_t nr_len,
			struct keymat_child *k)
{
	const struct xform_encr *enc;
	const struct xform_integ *integ = NULL;
	struct keymat_ike d;
	int err;

	if ((err = xform_encr_find(c->alg.encr, c->alg.encr_keylen, &enc)))
		return err;
	if (!enc->aead && (err = xform_integ_find(c->alg.integ, &integ)))
		return err;
	/* §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) */
	ike_sa_keymat_d(sa, &d);
	err = keymat_child_derive(k, &d, g_ir, g_ir_len, ni, ni_len, nr, nr_len,
				  enc->key_len, integ ? integ->key_len : 0);
	keymat_ike_wipe(&d);
	return err;
}

void ike_sa_child_remove(struct ike_sa *sa, struct child_sa *c)
{
	bool was_up = c->state != CHILD_INSTALLING &&
		      c->state != CHILD_REKEYED && c->state != CHILD_DELETED;

	child_sa_del(sa, c, true);
	child_sa_del(sa, c, false);
	child_policy_release(sa, c);
	child_unlink(sa, c);
	if (was_up)
		engine_event(sa->e, sa, ENGINE_EV_CHILD_DOWN, 0);
	/* with `c` gone, no collision compares its replacements' nonces */
	for (struct child_sa *x = sa->children; x; x = x->next)
		if (x->replaces == c->spi_in && x->replaces) {
			ike_nonce_free(&x->ni, &x->ni_len);
			ike_nonce_free(&x->nr, &x->nr_len);
		}
	child_free(c);
}

struct child_sa *ike_sa_child_by_spi_in(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c = sa->children;

	while (c && c->spi_in != spi)
		c = c->next;
	return c;
}

struct child_sa *ike_sa_child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c = sa->children;

	while (c && c->spi_out != spi)
		c = c->next;
	return c;
}

struct child_sa *ike_sa_child_active(struct ike_sa *sa,
				     const struct engine_child_cfg *cfg)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == cfg && c->state != CHILD_REKEYED &&
		    c->state != CHILD_DELETED && c->state != CHILD_DELETING)
			return c;
	return NULL;
}

/* ---- payloads (§3.3, §3.13) ---- */

static void child_ts_to_wire(const struct engine_ts *ts, size_t n,
			     struct ike_ts *out)
{
	for (size_t i = 0; i < n; i++) {
		size_t alen = ts_addr_len(ts[i].type);

		out[i] = (struct ike_ts){
			.type = ts[i].type,
			.ip_proto = ts[i].proto,
			.start_port = ts[i].port_lo,
			.end_port = ts[i].port_hi,
			.start = { ts[i].start, alen },
			.end = { ts[i].end, alen },
		};
	}
}

size_t child_ts_from_wire(const struct ike_pl_ts *p, struct engine_ts *out,
			  size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_ts && n < cap; i++) {
		const struct ike_ts *t = &p->ts[i];
		size_t alen = ts_addr_len(t->type);

		if (!alen || t->start.len != alen || t->end.len != alen)
			continue; /* a type we do not narrow */
		memset(&out[n], 0, sizeof(out[n]));
		out[n].type = t->type;
		out[n].proto = t->ip_proto;
		out[n].port_lo = t->start_port;
		out[n].port_hi = t->end_port;
		memcpy(out[n].start, t->start.ptr, alen);
		memcpy(out[n].end, t->end.ptr, alen);
		n++;
	}
	return n;
}

int child_add_payloads(struct ike_msg *m, struct child_sa *c,
		       const struct engine_proposal *props, size_t n_props,
		       uint8_t first_num, struct child_wire *o)
{
	struct ike_payload *p;
	uint8_t spi[4] = { (uint8_t)(c->spi_in >> 24),
			   (uint8_t)(c->spi_in >> 16),
			   (uint8_t)(c->spi_in >> 8), (uint8_t)c->spi_in };
	bool resp = m->hdr.flags & IKE_FLAG_RESPONSE;
	/* TSi is the initiator's side: ours when we initiate. */
	const struct engine_ts *tsi = resp ? c->remote_ts : c->local_ts;
	const struct engine_ts *tsr = resp ? c->local_ts : c->remote_ts;
	size_t ni = resp ? c->n_remote_ts : c->n_local_ts;
	size_t nr = resp ? c->n_local_ts : c->n_remote_ts;

	if (c->mode == ENGINE_MODE_TRANSPORT &&
	    !msg_add_notify(m, true, N_USE_TRANSPORT_MODE, 0, NULL, 0))
		return -ENG_ERR_NOMEM;
	if (!(p = ike_msg_add(m, PL_SA)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	proposal_to_sa(props, n_props, PROTO_ESP, spi, 4, first_num, &o->w,
		       &p->u.sa);
	child_ts_to_wire(tsi, ni, o->tsi);
	child_ts_to_wire(tsr, nr, o->tsr);
	if (!(p = ike_msg_add(m, PL_TSI)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	p->u.ts = (struct ike_pl_ts){ (uint16_t)ni, o->tsi };
	if (!(p = ike_msg_add(m, PL_TSR)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	p->u.ts = (struct ike_pl_ts){ (uint16_t)nr, o->tsr };
	return 0;
}

/* Narrows the initiator's selectors to `cfg` (§2.9); true if both sides
 * keep something. */
static bool child_narrow(struct child_sa *c, const struct engine_child_cfg *cfg,
			 const struct engine_ts *tsi, size_t n_tsi,
			 const struct engine_ts *tsr, size_t n_tsr)
{
	/* §2.9: TSi is the initiator's (our remote) side. */
	c->n_remote_ts =
		(uint8_t)ts_narrow(tsi, n_tsi, cfg->remote_ts, cfg->n_remote_ts,
				   c->remote_ts, ENGINE_MAX_TS);
	c->n_local_ts =
		(uint8_t)ts_narrow(tsr, n_tsr, cfg->local_ts, cfg->n_local_ts,
				   c->local_ts, ENGINE_MAX_TS);
	return c->n_remote_ts && c->n_local_ts;
}

int child_select_r(struct ike_sa *sa, const struct ike_msg *m,
		   struct child_sa *c, const struct engine_child_cfg *only,
		   bool pfs_allowed)
{
	const struct engine_conn *conn = sa->conn;
	const struct ike_payload *sap = ike_msg_find(m, PL_SA, NULL);
	const struct ike_payload *ke = ike_msg_find(m, PL_KE, NULL);
	struct engine_ts tsi[ENGINE_MAX_TS * 4], tsr[ENGINE_MAX_TS * 4];
	struct engine_proposal ours[ENGINE_MAX_PROPOSALS];
	struct engine_proposal theirs[ENGINE_MAX_PROPOSALS];
	uint8_t nums[ENGINE_MAX_PROPOSALS];
	uint32_t spis[ENGINE_MAX_PROPOSALS];
	size_t n_tsi, n_tsr, n, n_ours;
	bool transport = ike_msg_find_notify(m, N_USE_TRANSPORT_MODE);
	bool pfs;

	const struct ike_payload *pi = ike_msg_find(m, PL_TSI, NULL);
	const struct ike_payload *pr = ike_msg_find(m, PL_TSR, NULL);

	if (!sap || !pi || !pr)
		return -ENG_ERR_TS;
	n_tsi = child_ts_from_wire(&pi->u.ts, tsi, ENGINE_MAX_TS * 4);
	n_tsr = child_ts_from_wire(&pr->u.ts, tsr, ENGINE_MAX_TS * 4);
	if (only) {
		if (child_narrow(c, only, tsi, n_tsi, tsr, n_tsr))
			c->cfg = only;
	}
	for (size_t i = 0; !only && i < conn->n_children && !c->cfg; i++)
		if (child_narrow(c, &conn->children[i], tsi, n_tsi, tsr, n_tsr))
			c->cfg = &conn->children[i];
	if (!c->cfg)
		return -ENG_ERR_TS;
	if ((c->cfg->mode == ENGINE_MODE_TRANSPORT) != transport) {
		engine_log(sa->e, sa, 4,
			   "peer asks for %s mode, child '%s' is "
			   "configured for the other",
			   transport ? "transport" : "tunnel", c->cfg->name);
		return -ENG_ERR_NO_PROPOSAL;
	}
	c->mode = c->cfg->mode;
	n_ours = child_proposals(c->cfg, pfs_allowed, ours);
	pfs = pfs_allowed && proposal_first_ke(&ours[0]) &&
	      proposal_first_ke(&ours[0]) != KE_NONE;
	n = proposal_from_sa(&sap->u.sa, PROTO_ESP, ours, n_ours, theirs, nums,
			     spis, ENGINE_MAX_PROPOSALS);
	if (proposal_select(ours, n_ours, theirs, n, pfs,
			    ke ? ke->u.ke.group : 0, &c->alg))
		return -ENG_ERR_NO_PROPOSAL;
	c->spi_out = spis[c->alg.num - 1];
	c->alg.num = nums[c->alg.num - 1];
	if (c->spi_out < 256)
		return -ENG_ERR_NO_PROPOSAL;
	return 0;
}

int child_accept_i(struct ike_sa *sa, const struct ike_msg *m,
		   struct child_sa *c, bool pfs_allowed)
{
	const struct ike_payload *sap = ike_msg_find(m, PL_SA, NULL);
	const struct ike_payload *tsi = ike_msg_find(m, PL_TSI, NULL);
	const struct ike_payload *tsr = ike_msg_find(m, PL_TSR, NULL);
	struct engine_proposal ours[ENGINE_MAX_PROPOSALS], reply[1];
	struct engine_ts li[ENGINE_MAX_TS], ri[ENGINE_MAX_TS];
	uint32_t spi;
	size_t nl, nr, n_ours;
	bool transport = ike_msg_find_notify(m, N_USE_TRANSPORT_MODE);

	for (const struct ike_payload *n = ike_msg_find(m, PL_NOTIFY, NULL); n;
	     n = ike_msg_find(m, PL_NOTIFY, n))
		if (ike_notify_is_error(n->u.notify.type)) {
			engine_log(
				sa->e, sa, 4, "peer refused the CHILD SA: %s",
				ike_notify_type_name(n->u.notify.type) ?: "?");
			return n->u.notify.type == N_TS_UNACCEPTABLE
				       ? -ENG_ERR_TS
				       : -ENG_ERR_NO_PROPOSAL;
		}
	if (!sap || !tsi || !tsr || sap->u.sa.n_proposals != 1)
		return -ENG_ERR_MISSING;
	n_ours = child_proposals(c->cfg, pfs_allowed, ours);
	if (proposal_from_sa(&sap->u.sa, PROTO_ESP, ours, n_ours, reply, NULL,
			     &spi, 1) != 1 ||
	    proposal_accept(ours, n_ours, reply,
			    pfs_allowed && proposal_first_ke(&ours[0]),
			    &c->alg) ||
	    spi < 256)
		return -ENG_ERR_NO_PROPOSAL;
	c->spi_out = spi;
	/* §2.9: the responder may only narrow what we proposed. */
	nl = child_ts_from_wire(&tsi->u.ts, li, ENGINE_MAX_TS);
	nr = child_ts_from_wire(&tsr->u.ts, ri, ENGINE_MAX_TS);
	if (!nl || !nr || !ts_within(li, nl, c->local_ts, c->n_local_ts) ||
	    !ts_within(ri, nr, c->remote_ts, c->n_remote_ts))
		return -ENG_ERR_TS;
	memcpy(c->local_ts, li, sizeof(li));
	memcpy(c->remote_ts, ri, sizeof(ri));
	c->n_local_ts = (uint8_t)nl;
	c->n_remote_ts = (uint8_t)nr;
	if (transport != (c->mode == ENGINE_MODE_TRANSPORT))
		return -ENG_ERR_NO_PROPOSAL;
	return 0;
}

size_t child_proposals(const struct engine_child_cfg *cfg, bool pfs,
		       struct engine_proposal *out)
{
	proposal_esp_normalize(cfg->esp, cfg->n_esp, out);
	if (pfs)
		return cfg->n_esp;
	/* IKE_AUTH's CHILD SA uses the IKE SA's keys: no KE (§1.2). */
	for (size_t i = 0; i < cfg->n_esp; i++) {
		struct engine_proposal *p = &out[i];
		size_t k = 0;

		for (size_t j = 0; j < p->n; j++)
			if (p->x[j].type != TRANS_KE)
				p->x[k++] = p->x[j];
		p->n = (uint8_t)k;
	}
	return cfg->n_esp;
}
