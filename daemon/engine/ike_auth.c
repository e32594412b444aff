/* IKE_AUTH (RFC 7296 §1.2) with the first CHILD SA:
 *
 *   HDR, SK {IDi, AUTH, [N(USE_TRANSPORT_MODE)], SA, TSi, TSr}  -->
 *      <--  HDR, SK {IDr, AUTH, [N(USE_TRANSPORT_MODE)], SA, TSi, TSr}
 *
 * AUTH is a shared key MIC (§2.15) or an RFC 7427 signature. A CHILD SA
 * that cannot be agreed on (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) leaves the
 * IKE SA up (§1.2); a failed AUTH takes it down (§2.21.2).
 */
#include "engine/exchange.h"

#include "crypto/auth.h"
#include "crypto/xform.h"
#include "engine/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parts of our IKE_AUTH message that must outlive encoding. */
struct auth_out {
	uint8_t id_body[4 + ENGINE_ID_MAX];
	uint8_t certreq[20];
	uint8_t auth[AUTH_DATA_MAX];
	struct proposal_wire w;
	struct ike_ts tsi[ENGINE_MAX_TS], tsr[ENGINE_MAX_TS];
};

static size_t auth_id_body(const struct engine_id *id, uint8_t *out)
{
	/* §3.5: ID Type, three reserved octets, data. */
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4 + (size_t)id->len;
}

static bool auth_id_match(const struct engine_id *want,
			  const struct ike_pl_id *got)
{
	if (!want->type) /* any identity */
		return true;
	return want->type == got->type && want->len == got->data.len &&
	       !memcmp(want->data, got->data.ptr, want->len);
}

/* Fills the AUTH payload for our side (§2.15). */
static int auth_make(struct ike_sa *sa, struct ike_msg *m, struct auth_out *o,
		     size_t id_len)
{
	const struct engine_auth *a = &sa->conn->local_auth;
	const uint8_t *msg = sa->initiator ? sa->init_req : sa->init_resp;
	size_t msg_len = sa->initiator ? sa->init_req_len : sa->init_resp_len;
	struct auth_octets oct;
	struct ike_payload *p;
	enum auth_sig_scheme scheme;
	size_t len = 0;
	int err;

	err = auth_octets_init(
		&oct, sa->km.suite.prf,
		sa->initiator ? sa->km.sk_pi : sa->km.sk_pr, sa->km.p_len, msg,
		msg_len, sa->initiator ? sa->nr : sa->ni,
		sa->initiator ? sa->nr_len : sa->ni_len, o->id_body, id_len);
	if (err)
		return err;
	if (!(p = ike_msg_add(m, PL_AUTH)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	if (a->method == ENGINE_AUTH_PSK) {
		p->u.auth.method = AUTHM_SHARED_KEY;
		err = auth_psk_make(sa->km.suite.prf, sa->conn->psk,
				    sa->conn->psk_len, &oct, o->auth, &len);
	} else {
		p->u.auth.method = AUTHM_DIGITAL_SIGNATURE;
		err = auth_sig_choose(a->key,
				      sa->peer_sig_hash ? sa->peer_hashes : 0,
				      true, &scheme);
		if (!err)
			err = auth_sig_make(a->key, scheme, &oct, o->auth,
					    sizeof(o->auth), &len);
	}
	p->u.auth.data = (struct ike_bytes){ o->auth, len };
	return err;
}

/* Signature by the key of the peer's certificate, which the configured
 * trust anchor must have issued for the ID the peer claims. */
static int auth_verify_cert(struct ike_sa *sa, const struct ike_msg *m,
			    const struct ike_pl_id *id,
			    const struct auth_octets *oct,
			    const struct ike_pl_auth *au)
{
	const struct auth_cert *anchor = sa->conn->remote_auth.cert;
	const struct ike_payload *c;
	struct auth_key *key = NULL;
	int err;

	if (!anchor)
		return -ENG_ERR_AUTH;
	for (c = ike_msg_find(m, PL_CERT, NULL); c;
	     c = ike_msg_find(m, PL_CERT, c))
		if (c->u.cert.encoding == CERT_X509_SIGNATURE)
			break;
	if (!c) {
		engine_log(sa->e, sa, 4, "peer sent no X.509 certificate");
		return -ENG_ERR_AUTH;
	}
	err = cert_check_peer(sa, c->u.cert.data.ptr, c->u.cert.data.len,
			      anchor, id, &key);
	if (!err)
		err = auth_sig_check(key, oct, au->data.ptr, au->data.len,
				     auth_hash_supported(), NULL);
	auth_key_free(key);
	return err;
}

/* Our CERT (and, as initiator expecting one, CERTREQ) payloads. */
static int auth_add_certs(struct ike_sa *sa, struct ike_msg *m,
			  struct auth_out *o)
{
	const struct engine_conn *c = sa->conn;
	struct ike_payload *p;
	const uint8_t *der;
	size_t len;

	if (c->local_auth.method == ENGINE_AUTH_PUBKEY && c->local_auth.cert) {
		if (auth_cert_der(c->local_auth.cert, &der, &len) ||
		    !(p = ike_msg_add(m, PL_CERT)))
			return -ENG_ERR_CRYPTO;
		p->inner = true;
		p->u.cert.encoding = CERT_X509_SIGNATURE;
		p->u.cert.data = (struct ike_bytes){ der, len };
	}
	if (sa->initiator && c->remote_auth.method == ENGINE_AUTH_PUBKEY &&
	    c->remote_auth.cert && !c->remote_auth.key) {
		if (cert_req_hash(c->remote_auth.cert, o->certreq) ||
		    !(p = ike_msg_add(m, PL_CERTREQ)))
			return -ENG_ERR_CRYPTO;
		p->inner = true;
		p->u.cert.encoding = CERT_X509_SIGNATURE;
		p->u.cert.data = (struct ike_bytes){ o->certreq, 20 };
	}
	return 0;
}

/* Checks the peer's AUTH payload against the configured method. */
static int auth_verify(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct engine_auth *a = &sa->conn->remote_auth;
	const struct ike_payload *id =
		ike_msg_find(m, sa->initiator ? PL_IDR : PL_IDI, NULL);
	const struct ike_payload *au = ike_msg_find(m, PL_AUTH, NULL);
	const uint8_t *msg = sa->initiator ? sa->init_resp : sa->init_req;
	size_t msg_len = sa->initiator ? sa->init_resp_len : sa->init_req_len;
	struct auth_octets oct;
	int err;

	if (!id || !au)
		return -ENG_ERR_MISSING;
	err = auth_octets_init(&oct, sa->km.suite.prf,
			       sa->initiator ? sa->km.sk_pr : sa->km.sk_pi,
			       sa->km.p_len, msg, msg_len,
			       sa->initiator ? sa->ni : sa->nr,
			       sa->initiator ? sa->ni_len : sa->nr_len,
			       id->body.ptr, id->body.len);
	if (err)
		return err;
	if (a->method == ENGINE_AUTH_PSK) {
		if (au->u.auth.method != AUTHM_SHARED_KEY)
			return -ENG_ERR_AUTH;
		return auth_psk_check(sa->km.suite.prf, sa->conn->psk,
				      sa->conn->psk_len, &oct,
				      au->u.auth.data.ptr, au->u.auth.data.len);
	}
	if (au->u.auth.method != AUTHM_DIGITAL_SIGNATURE)
		return -ENG_ERR_AUTH;
	if (a->key)
		return auth_sig_check(a->key, &oct, au->u.auth.data.ptr,
				      au->u.auth.data.len,
				      auth_hash_supported(), NULL);
	return auth_verify_cert(sa, m, &id->u.id, &oct, &au->u.auth);
}

static void auth_ts_to_wire(const struct engine_ts *ts, size_t n,
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

static size_t auth_ts_from_wire(const struct ike_pl_ts *p,
				struct engine_ts *out, size_t cap)
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

/* Adds SA, TSi, TSr (and USE_TRANSPORT_MODE) for child `c`. */
static int auth_add_child(struct ike_msg *m, struct child_sa *c,
			  const struct engine_proposal *props, size_t n_props,
			  uint8_t first_num, struct auth_out *o)
{
	struct ike_payload *p;
	uint8_t spi[4] = { (uint8_t)(c->spi_in >> 24),
			   (uint8_t)(c->spi_in >> 16),
			   (uint8_t)(c->spi_in >> 8), (uint8_t)c->spi_in };
	/* TSi is the initiator's side: ours when we initiate. */
	const struct engine_ts *tsi =
		m->hdr.flags & IKE_FLAG_RESPONSE ? c->remote_ts : c->local_ts;
	const struct engine_ts *tsr =
		m->hdr.flags & IKE_FLAG_RESPONSE ? c->local_ts : c->remote_ts;
	size_t ni = m->hdr.flags & IKE_FLAG_RESPONSE ? c->n_remote_ts
						     : c->n_local_ts;
	size_t nr = m->hdr.flags & IKE_FLAG_RESPONSE ? c->n_local_ts
						     : c->n_remote_ts;

	if (c->mode == ENGINE_MODE_TRANSPORT &&
	    !msg_add_notify(m, true, N_USE_TRANSPORT_MODE, 0, NULL, 0))
		return -ENG_ERR_NOMEM;
	if (!(p = ike_msg_add(m, PL_SA)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	proposal_to_sa(props, n_props, PROTO_ESP, spi, 4, first_num, &o->w,
		       &p->u.sa);
	auth_ts_to_wire(tsi, ni, o->tsi);
	auth_ts_to_wire(tsr, nr, o->tsr);
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

/* Picks our inbound SPI for a new CHILD SA and asks io to reserve it. */
static int auth_alloc_spi(struct ike_sa *sa, struct child_sa *c)
{
	struct engine_action *a;
	int err;

	do {
		if ((err = engine_random(sa->e, &c->spi_in, sizeof(c->spi_in))))
			return err;
	} while (c->spi_in < 256); /* 1..255 are reserved (RFC 4303 §2.1) */
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

/* Both AUTH payloads are done: the IKE_SA_INIT messages they signed are
 * no longer needed (§2.15), so an established SA does not carry them. */
static void auth_done(struct ike_sa *sa, uint64_t now)
{
	if (sa->nat_local && sa->natt && sa->conn->natt_keepalive_ms)
		sa->keepalive_deadline = now + sa->conn->natt_keepalive_ms;
	free(sa->init_req);
	free(sa->init_resp);
	sa->init_req = sa->init_resp = NULL;
	sa->init_req_len = sa->init_resp_len = 0;
}

/* KEYMAT for a CHILD SA created in IKE_AUTH (§2.17, no PFS) and install. */
static int auth_child_install(struct ike_sa *sa, struct child_sa *c)
{
	const struct xform_encr *enc;
	const struct xform_integ *integ = NULL;
	struct keymat_child k;
	int err;

	if ((err = xform_encr_find(c->alg.encr, c->alg.encr_keylen, &enc)))
		return err;
	if (!enc->aead && (err = xform_integ_find(c->alg.integ, &integ)))
		return err;
	err = keymat_child_derive(&k, &sa->km, NULL, 0, sa->ni, sa->ni_len,
				  sa->nr, sa->nr_len, enc->key_len,
				  integ ? integ->key_len : 0);
	if (!err)
		err = ike_sa_child_install(sa, c, &k);
	keymat_child_wipe(&k);
	return err;
}

int ike_auth_build_i(struct ike_sa *sa, uint64_t now)
{
	const struct engine_child_cfg *cfg = &sa->conn->children[0];
	struct engine_proposal esp[ENGINE_MAX_PROPOSALS];
	struct auth_out *o = calloc(1, sizeof(*o));
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_payload *p;
	struct child_sa *c;
	size_t id_len;
	int err = -ENG_ERR_NOMEM;

	if (!sa->conn->n_children) {
		/* RFC 6023 childless IKE SAs are not implemented. */
		engine_log(sa->e, sa, 3,
			   "connection has no CHILD SA to "
			   "negotiate; IKE SAs without one are not supported");
		err = -ENG_ERR_UNSUPPORTED;
		goto out;
	}
	if (!o || !m)
		goto out;
	if (!(c = sa->pending_child = calloc(1, sizeof(*c))))
		goto out;
	c->cfg = cfg;
	c->mode = cfg->mode;
	c->n_local_ts = cfg->n_local_ts;
	c->n_remote_ts = cfg->n_remote_ts;
	memcpy(c->local_ts, cfg->local_ts, sizeof(c->local_ts));
	memcpy(c->remote_ts, cfg->remote_ts, sizeof(c->remote_ts));
	if ((err = auth_alloc_spi(sa, c)))
		goto out;
	msg_start(sa, m, EXCH_IKE_AUTH, false, 0);
	err = -ENG_ERR_NOMEM;
	if (!(p = ike_msg_add(m, PL_IDI)))
		goto out;
	id_len = auth_id_body(&sa->conn->local_auth.id, o->id_body);
	p->inner = true;
	p->u.id.type = sa->conn->local_auth.id.type;
	p->u.id.data = (struct ike_bytes){ o->id_body + 4, id_len - 4 };
	proposal_esp_normalize(cfg->esp, cfg->n_esp, esp);
	if ((err = auth_add_certs(sa, m, o)) ||
	    (err = auth_make(sa, m, o, id_len)) ||
	    (err = auth_add_child(m, c, esp, cfg->n_esp, 1, o)) ||
	    (err = msg_send_request(sa, now, m)))
		goto out;
	ike_sa_set_state(sa, IKE_SA_AUTH_I);
out:
	free(m);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	return err;
}

/* Responder side of the child: selectors, proposal, mode. Returns 0 or
 * the error to report in a Notify (the IKE SA stays up). */
static int auth_child_select_r(struct ike_sa *sa, const struct ike_msg *m,
			       struct child_sa *c)
{
	const struct engine_conn *conn = sa->conn;
	const struct ike_payload *sap = ike_msg_find(m, PL_SA, NULL);
	struct engine_ts tsi[ENGINE_MAX_TS * 4], tsr[ENGINE_MAX_TS * 4];
	struct engine_proposal ours[ENGINE_MAX_PROPOSALS];
	struct engine_proposal theirs[ENGINE_MAX_PROPOSALS];
	uint8_t nums[ENGINE_MAX_PROPOSALS];
	uint32_t spis[ENGINE_MAX_PROPOSALS];
	size_t n_tsi, n_tsr, n;
	bool transport = ike_msg_find_notify(m, N_USE_TRANSPORT_MODE);

	n_tsi = auth_ts_from_wire(&ike_msg_find(m, PL_TSI, NULL)->u.ts, tsi,
				  ENGINE_MAX_TS * 4);
	n_tsr = auth_ts_from_wire(&ike_msg_find(m, PL_TSR, NULL)->u.ts, tsr,
				  ENGINE_MAX_TS * 4);
	for (size_t i = 0; i < conn->n_children && !c->cfg; i++) {
		const struct engine_child_cfg *cfg = &conn->children[i];

		/* §2.9: TSi is the initiator's (our remote) side. */
		c->n_remote_ts = (uint8_t)ts_narrow(
			tsi, n_tsi, cfg->remote_ts, cfg->n_remote_ts,
			c->remote_ts, ENGINE_MAX_TS);
		c->n_local_ts = (uint8_t)ts_narrow(tsr, n_tsr, cfg->local_ts,
						   cfg->n_local_ts, c->local_ts,
						   ENGINE_MAX_TS);
		if (c->n_remote_ts && c->n_local_ts)
			c->cfg = cfg;
	}
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
	proposal_esp_normalize(c->cfg->esp, c->cfg->n_esp, ours);
	n = proposal_from_sa(&sap->u.sa, PROTO_ESP, ours, c->cfg->n_esp, theirs,
			     nums, spis, ENGINE_MAX_PROPOSALS);
	if (proposal_select(ours, c->cfg->n_esp, theirs, n, false, 0, &c->alg))
		return -ENG_ERR_NO_PROPOSAL;
	c->spi_out = spis[c->alg.num - 1];
	c->alg.num = nums[c->alg.num - 1];
	if (c->spi_out < 256)
		return -ENG_ERR_NO_PROPOSAL;
	return auth_alloc_spi(sa, c);
}

/* True if connection `c` allows what IKE_SA_INIT already settled before
 * the peer's identity was known: the IKE proposal chosen then (from the
 * first connection whose addresses fit) and the AUTH method the peer
 * uses. Without this check an initiator could name a strict connection's
 * identity and bring it up with another connection's weaker suite. */
static bool auth_conn_allows(const struct ike_sa *sa,
			     const struct engine_conn *c,
			     const struct ike_pl_auth *au)
{
	struct engine_proposal one;
	struct proposal_chosen again;

	proposal_from_chosen(&sa->alg, &one);
	if (proposal_accept(c->ike, c->n_ike, &one, true, &again))
		return false;
	if (c->remote_auth.method == ENGINE_AUTH_PSK)
		return au->method == AUTHM_SHARED_KEY;
	return au->method == AUTHM_DIGITAL_SIGNATURE;
}

/* Finds the connection for the initiator's identity (§2.15: IDs must
 * match the configuration) among those that allow the IKE SA as
 * negotiated. A connection that names the identity but refuses the
 * suite is reported, so the operator sees why the peer was refused. */
static const struct engine_conn *auth_conn_r(struct ike_sa *sa,
					     const struct ike_msg *m)
{
	const struct ike_payload *id = ike_msg_find(m, PL_IDI, NULL);
	const struct ike_payload *au = ike_msg_find(m, PL_AUTH, NULL);
	const struct engine_conn *refused = NULL;
	struct engine *e = sa->e;
	char alg[128];

	for (size_t i = 0; i < e->n_conns; i++) {
		const struct engine_conn *c = &e->conns[i];

		if (c->local.family &&
		    !ike_sa_addr_eq(&c->local, &sa->local, false))
			continue;
		if (c->remote.family &&
		    !ike_sa_addr_eq(&c->remote, &sa->remote, false))
			continue;
		if (!auth_id_match(&c->remote_auth.id, &id->u.id))
			continue;
		if (au && auth_conn_allows(sa, c, &au->u.auth))
			return c;
		if (!refused)
			refused = c;
	}
	if (refused)
		engine_log(e, sa, 4,
			   "peer's identity matches connection '%s', which "
			   "does not allow this IKE SA (%s, auth method %u)",
			   refused->name,
			   proposal_str(&sa->alg, alg, sizeof(alg)),
			   au ? au->u.auth.method : 0);
	return NULL;
}

/* §2.21.2: AUTHENTICATION_FAILED in the response, then the SA is gone. */
static int auth_fail_r(struct ike_sa *sa, struct ike_msg *r, int err)
{
	engine_log(sa->e, sa, 4,
		   "IKE_AUTH from peer failed: %s; answering "
		   "AUTHENTICATION_FAILED and deleting the IKE SA",
		   engine_err_name(err));
	msg_start(sa, r, EXCH_IKE_AUTH, true, 0);
	if (msg_add_notify(r, true, N_AUTHENTICATION_FAILED, 0, NULL, 0) &&
	    msg_send_response(sa, r))
		engine_log(sa->e, sa, 3,
			   "could not send AUTHENTICATION_FAILED");
	ike_sa_destroy(sa, err);
	return EXCH_SA_GONE;
}

static int auth_reply_r(struct ike_sa *sa, struct ike_msg *r,
			struct child_sa *c, int child_err, struct auth_out *o)
{
	struct engine_proposal one;
	struct ike_payload *p;
	size_t id_len;
	int err;

	msg_start(sa, r, EXCH_IKE_AUTH, true, 0);
	if (!(p = ike_msg_add(r, PL_IDR)))
		return -ENG_ERR_NOMEM;
	id_len = auth_id_body(&sa->conn->local_auth.id, o->id_body);
	p->inner = true;
	p->u.id.type = sa->conn->local_auth.id.type;
	p->u.id.data = (struct ike_bytes){ o->id_body + 4, id_len - 4 };
	if ((err = auth_add_certs(sa, r, o)) ||
	    (err = auth_make(sa, r, o, id_len)))
		return err;
	if (child_err) {
		unsigned n = engine_err_notify(child_err);

		if (!msg_add_notify(r, true, n ? n : N_NO_PROPOSAL_CHOSEN, 0,
				    NULL, 0))
			return -ENG_ERR_NOMEM;
		return 0;
	}
	proposal_from_chosen(&c->alg, &one);
	return auth_add_child(r, c, &one, 1, c->alg.num, o);
}

int ike_auth_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	struct ike_msg *r = malloc(sizeof(*r));
	struct auth_out *o = calloc(1, sizeof(*o));
	struct child_sa *c = calloc(1, sizeof(*c));
	const struct engine_conn *conn;
	int err, child_err;
	bool owned = false; /* c linked into the SA */

	if (!r || !o || !c) {
		err = -ENG_ERR_NOMEM;
		goto out;
	}
	if (!(conn = auth_conn_r(sa, m))) {
		err = auth_fail_r(sa, r, -ENG_ERR_ID);
		goto out;
	}
	sa->conn = conn;
	snprintf(sa->name, sizeof(sa->name), "%s[%u]", conn->name, sa->id);
	if ((err = auth_verify(sa, m))) {
		err = auth_fail_r(sa, r, err);
		goto out;
	}
	ike_sa_set_state(sa, IKE_SA_ESTABLISHED);
	child_err = auth_child_select_r(sa, m, c);
	if (!child_err && (child_err = auth_child_install(sa, c)))
		child_release_spi(sa, c);
	owned = !child_err;
	if ((err = auth_reply_r(sa, r, c, child_err, o)) ||
	    (err = msg_send_response(sa, r))) {
		engine_log(sa->e, sa, 3, "IKE_AUTH response failed: %s",
			   engine_err_name(err));
		ike_sa_destroy(sa, err);
		err = EXCH_SA_GONE;
		goto out;
	}
	if (conn->dpd_delay_ms)
		sa->dpd_deadline = now + conn->dpd_delay_ms;
	auth_done(sa, now);
	engine_log(sa->e, sa, 5, "IKE SA established (responder)%s%s",
		   child_err ? ", CHILD SA refused: " : "",
		   child_err ? engine_err_name(child_err) : "");
	engine_event(sa->e, sa, ENGINE_EV_IKE_UP, 0);
	if (child_err)
		engine_event(sa->e, sa, ENGINE_EV_CHILD_FAILED, child_err);
out:
	free(r);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	if (!owned)
		free(c);
	return err;
}

/* Initiator side of the child in the IKE_AUTH response. */
static int auth_child_accept_i(struct ike_sa *sa, const struct ike_msg *m,
			       struct child_sa *c)
{
	const struct ike_payload *sap = ike_msg_find(m, PL_SA, NULL);
	const struct ike_payload *tsi = ike_msg_find(m, PL_TSI, NULL);
	const struct ike_payload *tsr = ike_msg_find(m, PL_TSR, NULL);
	struct engine_proposal ours[ENGINE_MAX_PROPOSALS], reply[1];
	struct engine_ts li[ENGINE_MAX_TS], ri[ENGINE_MAX_TS];
	uint32_t spi;
	size_t nl, nr;
	bool transport = ike_msg_find_notify(m, N_USE_TRANSPORT_MODE);

	for (const struct ike_payload *n = ike_msg_find(m, PL_NOTIFY, NULL); n;
	     n = ike_msg_find(m, PL_NOTIFY, n))
		if (ike_notify_is_error(n->u.notify.type)) {
			engine_log(sa->e, sa, 4,
				   "peer refused the CHILD SA: "
				   "%s",
				   ike_notify_type_name(n->u.notify.type)
					   ?: "?");
			return n->u.notify.type == N_TS_UNACCEPTABLE
				       ? -ENG_ERR_TS
				       : -ENG_ERR_NO_PROPOSAL;
		}
	if (!sap || !tsi || !tsr || sap->u.sa.n_proposals != 1)
		return -ENG_ERR_MISSING;
	proposal_esp_normalize(c->cfg->esp, c->cfg->n_esp, ours);
	if (proposal_from_sa(&sap->u.sa, PROTO_ESP, ours, c->cfg->n_esp, reply,
			     NULL, &spi, 1) != 1 ||
	    proposal_accept(ours, c->cfg->n_esp, reply, false, &c->alg) ||
	    spi < 256)
		return -ENG_ERR_NO_PROPOSAL;
	c->spi_out = spi;
	/* §2.9: the responder may only narrow what we proposed. */
	nl = auth_ts_from_wire(&tsi->u.ts, li, ENGINE_MAX_TS);
	nr = auth_ts_from_wire(&tsr->u.ts, ri, ENGINE_MAX_TS);
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

/* The initiator found the responder wrong: tell it (§2.21.2) in an
 * INFORMATIONAL that we do not wait for, and forget the SA. */
static int auth_fail_i(struct ike_sa *sa, int err)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[512];
	size_t len;

	engine_log(sa->e, sa, 4, "IKE_AUTH failed: %s; deleting IKE SA",
		   engine_err_name(err));
	if (m && err != -ENG_ERR_PEER) {
		msg_start(sa, m, EXCH_INFORMATIONAL, false, sa->req_next);
		if (msg_add_notify(m, true, N_AUTHENTICATION_FAILED, 0, NULL,
				   0) &&
		    !msg_seal(sa, m, buf, sizeof(buf), &len))
			(void)rtx_send(sa, buf, len);
	}
	free(m);
	ike_sa_destroy(sa, err);
	return EXCH_SA_GONE;
}

int ike_auth_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	const struct ike_payload *id = ike_msg_find(m, PL_IDR, NULL);
	struct child_sa *c = sa->pending_child;
	int err, child_err;

	rtx_request_done(sa);
	if (!ike_msg_find(m, PL_AUTH, NULL) || !id) {
		const struct ike_payload *n = ike_msg_find(m, PL_NOTIFY, NULL);

		engine_log(sa->e, sa, 4, "IKE_AUTH refused by peer: %s",
			   n ? ike_notify_type_name(n->u.notify.type) ?: "?"
			     : "no AUTH payload");
		return auth_fail_i(sa, -ENG_ERR_PEER);
	}
	if (!auth_id_match(&sa->conn->remote_auth.id, &id->u.id))
		return auth_fail_i(sa, -ENG_ERR_ID);
	if ((err = auth_verify(sa, m)))
		return auth_fail_i(sa, err);
	ike_sa_set_state(sa, IKE_SA_ESTABLISHED);
	sa->pending_child = NULL;
	child_err = auth_child_accept_i(sa, m, c);
	if (!child_err && !(child_err = auth_child_install(sa, c)))
		c = NULL;
	if (c) {
		child_release_spi(sa, c);
		free(c);
	}
	if (sa->conn->dpd_delay_ms)
		sa->dpd_deadline = now + sa->conn->dpd_delay_ms;
	auth_done(sa, now);
	engine_log(sa->e, sa, 5, "IKE SA established (initiator)%s%s",
		   child_err ? ", CHILD SA failed: " : "",
		   child_err ? engine_err_name(child_err) : "");
	engine_event(sa->e, sa, ENGINE_EV_IKE_UP, 0);
	if (child_err)
		engine_event(sa->e, sa, ENGINE_EV_CHILD_FAILED, child_err);
	return 0;
}
