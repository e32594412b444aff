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
#include "engine/cp.h"
#include "engine/eap.h"
#include "engine/eap_msg.h"
#include "engine/ident.h"
#include "engine/peer_idx.h"
#include "engine/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parts of our IKE_AUTH message that must outlive encoding. */
struct auth_out {
	uint8_t id_body[4 + ENGINE_ID_MAX];
	uint8_t certreq[CERT_REQ_MAX * 20];
	uint8_t auth[AUTH_DATA_MAX];
	struct child_wire cw;
	struct cp_wire cpw;
};

static size_t auth_id_body(const struct engine_id *id, uint8_t *out)
{
	/* §3.5: ID Type, three reserved octets, data. */
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4 + (size_t)id->len;
}

/* The ID payload's identity; -ENG_ERR_ID if it is longer than any we
 * configure or keep (ENGINE_ID_MAX). */
static int auth_id_get(struct ike_sa *sa, const struct ike_pl_id *got,
		       struct engine_id *out)
{
	if (got->data.len > sizeof(out->data)) {
		engine_log(sa->e, sa, 4,
			   "peer's identity of %zu bytes is longer than "
			   "keybridge's limit of %zu",
			   got->data.len, sizeof(out->data));
		return -ENG_ERR_ID;
	}
	out->type = got->type;
	out->len = (uint16_t)got->data.len;
	memcpy(out->data, got->data.ptr, got->data.len);
	return 0;
}

/* How well the peer's ID payload matches the configured `want` (0: not
 * at all; %any and wildcards as ident_match). */
static enum ident_match auth_id_match(const struct engine_id *want,
				      const struct ike_pl_id *got)
{
	struct engine_id id;

	if (!want->type) /* any identity */
		return IDENT_MATCH_ANY;
	if (got->data.len > sizeof(id.data))
		return IDENT_MATCH_NONE;
	id.type = got->type;
	id.len = (uint16_t)got->data.len;
	memcpy(id.data, got->data.ptr, got->data.len);
	return ident_match(&id, want);
}

/* The pre-shared key for us and the peer (ident_psk): the identity it
 * proves when we check its AUTH (`peer`), else the one it proved, else
 * (an initiator's first AUTH) the configured one. */
static int auth_psk(struct ike_sa *sa, const struct engine_id *peer,
		    const uint8_t **key, size_t *len, const char **name)
{
	const struct engine_id *me = &sa->conn->local_auth.id;
	struct engine_id proved;
	char a[160], b[160];
	int err;

	if (!peer && sa->peer) {
		ident_peer_id(sa->peer, &proved);
		peer = &proved;
	} else if (!peer) {
		peer = &sa->conn->remote_auth.id;
	}
	err = ident_psk(sa->conn, me, peer, key, len, name);
	if (err)
		engine_log(
			sa->e, sa, 4,
			"no pre-shared key (secrets.ike...) for our "
			"identity '%s' and the peer's '%s'",
			auth_id_str(me->type, me->data, me->len, a, sizeof(a)),
			auth_id_str(peer->type, peer->data, peer->len, b,
				    sizeof(b)));
	return err;
}

/* FNV-1a of the ID type and data: which peer an IKE SA authenticated. */
static uint64_t auth_id_hash(const struct ike_pl_id *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = (h ^ id->type) * 0x100000001b3ULL;
	for (size_t i = 0; i < id->data.len; i++)
		h = (h ^ id->data.ptr[i]) * 0x100000001b3ULL;
	return h;
}

/* The peer proved identity `id` (and `eap`, after EAP): kept for status,
 * scripts and INITIAL_CONTACT (§2.4). 0 or -ENG_ERR_NOMEM. */
static int auth_proved(struct ike_sa *sa, const struct ike_pl_id *id,
		       const uint8_t *eap, size_t eap_len)
{
	peer_idx_set(sa, auth_id_hash(id));
	return ident_peer_set(sa, id->type, id->data.ptr, id->data.len, eap,
			      eap_len);
}

/* "'carol@example.org'" (and " with EAP identity 'carol'"): who the peer
 * proved to be, for the log line saying the IKE SA is up. */
static const char *auth_peer_str(const struct ike_sa *sa, char *buf, size_t cap)
{
	const struct ike_peer *p = sa->peer;
	char id[300], eap[300];

	if (!p) {
		snprintf(buf, cap, "(unknown)");
		return buf;
	}
	auth_id_str(p->type, p->data, p->len, id, sizeof(id));
	if (p->eap_len)
		auth_id_str(ID_RFC822_ADDR, ident_peer_eap(p), p->eap_len, eap,
			    sizeof(eap)); /* text, control bytes as ? */
	snprintf(buf, cap, "'%s'%s%s%s", id,
		 p->eap_len ? " with EAP identity '" : "",
		 p->eap_len ? eap : "", p->eap_len ? "'" : "");
	return buf;
}

/* Removes the peer's IKE SAs of `conn` but `except` and those with an
 * id from `before_id` on (§2.4): only the SAs filed under its identity
 * (peer_idx.h) are looked at, whatever the number of SAs. */
static size_t ike_auth_forget_peer(struct engine *e,
				   const struct ike_sa *except,
				   const char *conn, uint64_t peer,
				   uint32_t before_id)
{
	struct ike_sa *s, *next;
	size_t n = 0;

	for (s = peer_idx_first(e, peer); s; s = next) {
		next = peer_idx_next(s);
		if (s == except || s->id >= before_id || !s->conn ||
		    strcmp(s->conn->name, conn) ||
		    (s->state != IKE_SA_ESTABLISHED &&
		     s->state != IKE_SA_DELETING))
			continue;
		engine_log(e, except ? except : s, 5,
			   "peer sent INITIAL_CONTACT: removing its old IKE "
			   "SA %s and its CHILD SAs",
			   s->name);
		ike_sa_destroy(s, 0);
		n++;
	}
	return n;
}

void ike_auth_initial_contact(struct ike_sa *sa)
{
	struct engine *e = sa->e;

	(void)ike_auth_forget_peer(e, sa, sa->conn->name, sa->peer_id_hash,
				   UINT32_MAX);
	/* the peer's older SAs may be in another worker's engine too */
	if (e->env.initial_contact)
		e->env.initial_contact(e->env.ctx, sa->conn->name,
				       sa->peer_id_hash);
}

size_t engine_initial_contact(struct engine *e, uint64_t now_ms,
			      const char *conn, uint64_t peer,
			      uint32_t before_id)
{
	(void)now_ms;
	return ike_auth_forget_peer(e, NULL, conn, peer, before_id);
}

uint32_t engine_next_ike_id(const struct engine *e)
{
	return e->next_id;
}

/* True if we have no other IKE SA with this connection's peer: then
 * ours is its only one (§2.4 INITIAL_CONTACT). */
static bool auth_first_contact(const struct ike_sa *sa)
{
	return sa_idx_first_contact(sa);
}

/* A round's signature rules as swanctl.conf writes them
 * ("rsa/pss-2048-sha384"), for log lines. */
static const char *auth_rule_str(const struct engine_auth *a, char *buf,
				 size_t cap)
{
	static const char *const hash[] = { [HASH_SHA2_256] = "sha256",
					    [HASH_SHA2_384] = "sha384",
					    [HASH_SHA2_512] = "sha512" };
	size_t n = (size_t)snprintf(
		buf, cap, "%s",
		auth_sig_family_name((enum auth_sig_family)a->sig_family));

	if (a->sig_min_bits && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "-%u", a->sig_min_bits);
	for (unsigned h = HASH_SHA2_256; h <= HASH_SHA2_512 && n < cap; h++)
		if (a->sig_hashes & 1u << h)
			n += (size_t)snprintf(buf + n, cap - n, "-%s", hash[h]);
	return buf;
}

/* Fills the AUTH payload for our side (§2.15), with the EAP MSK as the
 * shared key when `msk` is set (§2.16). */
static int auth_make(struct ike_sa *sa, struct ike_msg *m, struct auth_out *o,
		     size_t id_len, const uint8_t *msk)
{
	const struct engine_auth *a = &sa->conn->local_auth;
	const uint8_t *msg = sa->initiator ? sa->init_req : sa->init_resp;
	size_t msg_len = sa->initiator ? sa->init_req_len : sa->init_resp_len;
	struct auth_octets oct;
	struct ike_payload *p;
	enum auth_sig_scheme scheme;
	const uint8_t *psk;
	const char *psk_name;
	size_t len = 0, psk_len;
	int err;

	err = auth_octets_init(
		&oct, sa->km->suite.prf,
		sa->initiator ? sa->km->sk_pi : sa->km->sk_pr, sa->km->p_len,
		msg, msg_len, sa->initiator ? sa->nr : sa->ni,
		sa->initiator ? sa->nr_len : sa->ni_len, o->id_body, id_len);
	if (err)
		return err;
	if (!(p = ike_msg_add(m, PL_AUTH)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	if (msk) {
		p->u.auth.method = AUTHM_SHARED_KEY;
		err = auth_psk_make(sa->km->suite.prf, msk, MSCHAPV2_MSK_LEN,
				    &oct, o->auth, &len);
	} else if (a->method == ENGINE_AUTH_PSK) {
		p->u.auth.method = AUTHM_SHARED_KEY;
		err = auth_psk(sa, NULL, &psk, &psk_len, &psk_name);
		if (!err)
			err = auth_psk_make(sa->km->suite.prf, psk, psk_len,
					    &oct, o->auth, &len);
	} else {
		p->u.auth.method = AUTHM_DIGITAL_SIGNATURE;
		err = auth_sig_choose_rule(
			a->key, sa->peer_sig_hash ? sa->peer_hashes : 0,
			(enum auth_sig_family)a->sig_family, a->sig_hashes,
			&scheme);
		if (err) {
			char rule[64];

			engine_log(sa->e, sa, 4,
				   "cannot sign as local.auth = %s says with "
				   "the hashes the peer announced (RFC 7427)",
				   auth_rule_str(a, rule, sizeof(rule)));
		}
		if (!err)
			err = auth_sig_make(a->key, scheme, &oct, o->auth,
					    sizeof(o->auth), &len);
	}
	p->u.auth.data = (struct ike_bytes){ o->auth, len };
	return err;
}

/* The peer's signature by `key`, within the rules of remote.auth. */
static int auth_verify_sig(struct ike_sa *sa, const struct auth_key *key,
			   const struct auth_octets *oct,
			   const struct ike_pl_auth *au)
{
	const struct engine_auth *a = &sa->conn->remote_auth;
	enum auth_sig_scheme used;
	char rule[64];
	int err = auth_sig_check(key, oct, au->data.ptr, au->data.len,
				 auth_hash_supported(), &used);

	if (err ||
	    auth_sig_allowed(key, used, (enum auth_sig_family)a->sig_family,
			     a->sig_hashes, a->sig_min_bits))
		return err;
	engine_log(sa->e, sa, 4,
		   "peer signed with %s (a %u-bit key), which remote.auth %s "
		   "does not allow",
		   auth_sig_scheme_name(used) ?: "?", auth_key_bits(key),
		   auth_rule_str(a, rule, sizeof(rule)));
	return -ENG_ERR_AUTH;
}

/* Signature by the key of the peer's certificate (cert.c verifies it). */
static int auth_verify_cert(struct ike_sa *sa, const struct ike_msg *m,
			    const struct ike_pl_id *id,
			    const struct auth_octets *oct,
			    const struct ike_pl_auth *au)
{
	struct auth_key *key = NULL;
	int err = cert_verify_peer(sa, m, id, &key);

	if (!err)
		err = auth_verify_sig(sa, key, oct, au);
	auth_key_free(key);
	return err;
}

/* The peer's shared key MIC (§2.15) with the key for its identity. */
static int auth_verify_psk(struct ike_sa *sa, const struct ike_pl_id *idp,
			   const struct auth_octets *oct,
			   const struct ike_pl_auth *au)
{
	struct engine_id peer;
	const uint8_t *psk;
	const char *name;
	size_t len;
	char who[160];
	int err;

	if (au->method != AUTHM_SHARED_KEY)
		return -ENG_ERR_AUTH;
	if ((err = auth_id_get(sa, idp, &peer)) ||
	    (err = auth_psk(sa, &peer, &psk, &len, &name)))
		return err;
	err = auth_psk_check(sa->km->suite.prf, psk, len, oct, au->data.ptr,
			     au->data.len);
	if (err)
		engine_log(sa->e, sa, 4,
			   "AUTH of peer '%s' does not verify with the "
			   "pre-shared key%s%s (a different key on its side?)",
			   auth_id_str(peer.type, peer.data, peer.len, who,
				       sizeof(who)),
			   *name ? " of secrets." : "", name);
	return err;
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
	if (!sa->initiator && ike_msg_find(m, PL_CERTREQ, NULL))
		sa->peer_certreq = true; /* send_cert = ifasked */
	err = auth_octets_init(&oct, sa->km->suite.prf,
			       sa->initiator ? sa->km->sk_pr : sa->km->sk_pi,
			       sa->km->p_len, msg, msg_len,
			       sa->initiator ? sa->ni : sa->nr,
			       sa->initiator ? sa->ni_len : sa->nr_len,
			       id->body.ptr, id->body.len);
	if (err)
		return err;
	if (a->method == ENGINE_AUTH_PSK)
		return auth_verify_psk(sa, &id->u.id, &oct, &au->u.auth);
	if (au->u.auth.method != AUTHM_DIGITAL_SIGNATURE)
		return -ENG_ERR_AUTH;
	if (a->key)
		return auth_verify_sig(sa, a->key, &oct, &au->u.auth);
	return auth_verify_cert(sa, m, &id->u.id, &oct, &au->u.auth);
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
	/* AUTH (§2.15) and the first CHILD SA's KEYMAT (§2.17) were the
	 * last to need them; a rekey brings nonces of its own */
	ike_nonce_free(&sa->ni, &sa->ni_len);
	ike_nonce_free(&sa->nr, &sa->nr_len);
	ike_sa_keys_done(sa); /* SK_p too; SK_d stays */
}

/* KEYMAT for a CHILD SA created in IKE_AUTH (§2.17: the IKE SA's nonces,
 * no PFS) and install. */
static int auth_child_install(struct ike_sa *sa, struct child_sa *c,
			      uint64_t now)
{
	struct keymat_child k;
	int err;

	c->created_by_us = sa->initiator;
	/* it replaces nothing: no collision will need the nonces */
	err = child_keymat_nonces(sa, c, NULL, 0, sa->ni, sa->ni_len, sa->nr,
				  sa->nr_len, &k);
	if (!err)
		err = ike_sa_child_install(sa, c, &k, now);
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
	size_t id_len, n_esp;
	int err = -ENG_ERR_NOMEM;

	/* RFC 6023: without a child to negotiate, or when asked to, the
	 * IKE SA comes up alone and CREATE_CHILD_SA brings the children. */
	sa->childless = !sa->conn->n_children ||
			sa->conn->childless == ENGINE_CHILDLESS_FORCE;
	if (sa->childless && (!sa->peer_childless ||
			      sa->conn->childless == ENGINE_CHILDLESS_NEVER)) {
		engine_log(sa->e, sa, 3,
			   "%s, and the peer does not announce childless IKE "
			   "SAs (RFC 6023); giving up",
			   sa->conn->n_children ? "childless = force"
						: "the connection has no "
						  "CHILD SA to negotiate");
		err = -ENG_ERR_UNSUPPORTED;
		goto out;
	}
	if (!o || !m)
		goto out;
	c = NULL;
	if (!sa->childless && (!(c = sa->pending_child = child_new(sa, cfg)) ||
			       (err = child_alloc_spi(sa, c))))
		goto out;
	msg_start(sa, m, EXCH_IKE_AUTH, false, 0);
	err = -ENG_ERR_NOMEM;
	if (!(p = ike_msg_add(m, PL_IDI)))
		goto out;
	id_len = auth_id_body(&sa->conn->local_auth.id, o->id_body);
	p->inner = true;
	p->u.id.type = sa->conn->local_auth.id.type;
	p->u.id.data = (struct ike_bytes){ o->id_body + 4, id_len - 4 };
	n_esp = c ? child_proposals(cfg, false, esp) : 0;
	if (auth_first_contact(sa) &&
	    !msg_add_notify(m, true, N_INITIAL_CONTACT, 0, NULL, 0))
		goto out;
	if (!win_add_notify(sa, m) || !mobike_add_supported(sa, m))
		goto out;
	/* §2.16: without AUTH we ask for EAP */
	if (sa->conn->local_auth.method == ENGINE_AUTH_EAP_MSCHAPV2 &&
	    !sa->eap_i && !(sa->eap_i = eap_i_new())) {
		err = -ENG_ERR_NOMEM;
		goto out;
	}
	if ((err = cert_add_payloads(sa, m, o->certreq)) ||
	    (!sa->eap_i && (err = auth_make(sa, m, o, id_len, NULL))) ||
	    (err = cp_build_i(sa, m, &o->cpw)) ||
	    (c && (err = child_add_payloads(m, c, esp, n_esp, 1, &o->cw))) ||
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
	/* §2.16: a peer asks for EAP by leaving AUTH out */
	if (c->remote_auth.method == ENGINE_AUTH_EAP_MSCHAPV2)
		return !au;
	if (!au)
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
	const struct engine_conn *refused = NULL, *best = NULL;
	enum ident_match best_m = IDENT_MATCH_NONE, rank;
	struct engine *e = sa->e;
	char alg[128];

	/* the connection whose remote id fits best (an exact id before a
	 * wildcard before %any, as strongSwan), the first of equals */
	for (size_t i = 0; i < e->n_conns; i++) {
		const struct engine_conn *c = &e->conns[i];

		if (c->local.family &&
		    !ike_sa_addr_eq(&c->local, &sa->local, false))
			continue;
		if (!engine_conn_accepts_remote(c, &sa->remote))
			continue;
		rank = auth_id_match(&c->remote_auth.id, &id->u.id);
		if (rank == IDENT_MATCH_NONE || rank <= best_m)
			continue;
		if (auth_conn_allows(sa, c, au ? &au->u.auth : NULL)) {
			best = c;
			best_m = rank;
		} else if (!refused) {
			refused = c;
		}
	}
	if (best)
		return best;
	if (refused)
		engine_log(e, sa, 4,
			   "peer's identity matches connection '%s', which "
			   "does not allow this IKE SA (%s, %s%u)",
			   refused->name,
			   proposal_str(&sa->alg, alg, sizeof(alg)),
			   au ? "auth method " : "no AUTH: EAP, ",
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

/* Our IKE_AUTH response: IDr, [CERT,] AUTH and the CHILD SA's payloads;
 * after EAP (`msk` set, §2.16) only AUTH, keyed with the MSK, and the
 * CHILD SA's payloads. */
static int auth_reply_r(struct ike_sa *sa, struct ike_msg *r,
			struct child_sa *c, int child_err, struct auth_out *o,
			const uint8_t *msk)
{
	struct engine_proposal one;
	struct ike_payload *p;
	size_t id_len;
	int err;

	msg_start(sa, r, EXCH_IKE_AUTH, true, 0);
	id_len = auth_id_body(&sa->conn->local_auth.id, o->id_body);
	if (!msk) {
		if (!(p = ike_msg_add(r, PL_IDR)))
			return -ENG_ERR_NOMEM;
		p->inner = true;
		p->u.id.type = sa->conn->local_auth.id.type;
		p->u.id.data = (struct ike_bytes){ o->id_body + 4, id_len - 4 };
		if ((err = cert_add_payloads(sa, r, o->certreq)))
			return err;
	}
	if ((err = auth_make(sa, r, o, id_len, msk)) ||
	    (err = cp_build_r(sa, r, &o->cpw)))
		return err;
	if (!win_add_notify(sa, r) || !mobike_add_supported(sa, r))
		return -ENG_ERR_NOMEM;
	if (child_err) {
		unsigned n = engine_err_notify(child_err);

		if (!msg_add_notify(r, true, n ? n : N_NO_PROPOSAL_CHOSEN, 0,
				    NULL, 0))
			return -ENG_ERR_NOMEM;
		return 0;
	}
	if (!c)
		return 0; /* childless */
	proposal_from_chosen(&c->alg, &one);
	return child_add_payloads(r, c, &one, 1, c->alg.num, &o->cw);
}

/* The peer is authenticated: the CHILD SA the request `m` asks for (none,
 * RFC 6023, without an SA payload), our response, and the IKE SA up. */
static int auth_finish_r(struct ike_sa *sa, uint64_t now,
			 const struct ike_msg *m, struct ike_msg *r,
			 struct auth_out *o, const uint8_t *msk)
{
	const struct engine_conn *conn = sa->conn;
	struct child_sa *c = child_new(sa, NULL);
	bool owned = false; /* c linked into the SA */
	char who[700];
	int err, child_err;

	if (!c) {
		ike_sa_destroy(sa, -ENG_ERR_NOMEM);
		return EXCH_SA_GONE;
	}
	win_peer_notify(sa, m);
	mobike_auth_done(sa, m);
	/* RFC 6023 §3: no SA payload, no CHILD SA in this exchange */
	sa->childless = !ike_msg_find(m, PL_SA, NULL);
	if (sa->childless && conn->childless == ENGINE_CHILDLESS_NEVER) {
		engine_log(sa->e, sa, 4,
			   "peer asks for an IKE SA without CHILD SA and the "
			   "connection says childless = never");
		err = auth_fail_r(sa, r, -ENG_ERR_UNSUPPORTED);
		goto out;
	}
	ike_sa_set_state(sa, IKE_SA_ESTABLISHED);
	/* §3.15: a virtual address first, the CHILD SA is narrowed to it */
	child_err = cp_process_r(sa, m, &ike_msg_find(m, PL_IDI, NULL)->u.id);
	if (!sa->childless && !child_err) {
		child_err = child_select_r(sa, m, c, NULL, false);
		if (!child_err)
			child_err = cp_child_narrow(sa, c);
		if (!child_err)
			child_err = child_alloc_spi(sa, c);
		if (!child_err && (child_err = auth_child_install(sa, c, now)))
			child_release_spi(sa, c);
		owned = !child_err;
	}
	if ((err = auth_reply_r(sa, r, sa->childless ? NULL : c, child_err, o,
				msk)) ||
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
	/* after our new CHILD SA holds the policies, so none goes away */
	if (ike_msg_find_notify(m, N_INITIAL_CONTACT))
		ike_auth_initial_contact(sa);
	ike_sa_established(sa, now);
	if (engine_log_enabled(sa->e, 5))
		engine_log(sa->e, sa, 5,
			   "IKE SA established (responder)%s%s%s%s; peer "
			   "authenticated as %s",
			   msk ? ", peer authenticated with EAP-MSCHAPv2" : "",
			   sa->childless ? ", childless (RFC 6023)" : "",
			   child_err ? ", CHILD SA refused: " : "",
			   child_err ? engine_err_name(child_err) : "",
			   auth_peer_str(sa, who, sizeof(who)));
	engine_event(sa->e, sa, ENGINE_EV_IKE_UP, 0);
	if (child_err)
		engine_event(sa->e, sa, ENGINE_EV_CHILD_FAILED, child_err);
out:
	if (!owned)
		child_free(c);
	return err;
}

/* ---- EAP (RFC 7296 §2.16), responder ----
 *
 *   HDR, SK {IDi, [IDr,] SA, TSi, TSr}  -->           (no AUTH: EAP)
 *      <--  HDR, SK {IDr, [CERT,] AUTH, EAP}
 *   HDR, SK {EAP}  -->
 *      <--  HDR, SK {EAP}                              (… until)
 *      <--  HDR, SK {EAP(Success)}
 *   HDR, SK {AUTH}  -->                                (keyed with the MSK)
 *      <--  HDR, SK {AUTH, SA, TSi, TSr}
 *
 * Every round is an exchange of its own with the next message ID. The
 * CHILD SA is the one the first request asked for: its payloads are kept
 * (re-encoded) until the last exchange. */

/* §2.21.2 with EAP: EAP-Failure (when there is one to send) and
 * AUTHENTICATION_FAILED, then the SA is gone. */
static int auth_eap_fail_r(struct ike_sa *sa, struct ike_msg *r, int err,
			   const uint8_t *eap, size_t eap_len)
{
	struct ike_payload *p;
	char who[64];

	engine_log(sa->e, sa, 4,
		   "IKE_AUTH with EAP failed for user '%s': %s; answering %s"
		   "AUTHENTICATION_FAILED and deleting the IKE SA",
		   eap_r_user_str(sa->eap, who, sizeof(who)),
		   engine_err_name(err), eap_len ? "EAP-Failure and " : "");
	msg_start(sa, r, EXCH_IKE_AUTH, true, 0);
	if (eap_len && (p = ike_msg_add(r, PL_EAP))) {
		p->inner = true;
		p->u.eap.data = (struct ike_bytes){ eap, eap_len };
	}
	if (!msg_add_notify(r, true, N_AUTHENTICATION_FAILED, 0, NULL, 0) ||
	    msg_send_response(sa, r))
		engine_log(sa->e, sa, 3,
			   "could not send AUTHENTICATION_FAILED");
	ike_sa_destroy(sa, err);
	return EXCH_SA_GONE;
}

/* Sends one EAP message as the whole response. */
static int auth_eap_send_r(struct ike_sa *sa, uint64_t now, struct ike_msg *r,
			   const uint8_t *eap, size_t eap_len)
{
	struct ike_payload *p = ike_msg_add(r, PL_EAP);
	int err;

	if (!p)
		return -ENG_ERR_NOMEM;
	p->inner = true;
	p->u.eap.data = (struct ike_bytes){ eap, eap_len };
	if ((err = msg_send_response(sa, r)))
		return err;
	/* each answered round gives the peer (a user typing a password)
	 * another half-open timeout */
	sa->half_open_deadline = now + sa->e->set.half_open_timeout_ms;
	return 0;
}

/* The first request's inner payloads, re-encoded as a chain for the last
 * exchange (the message's own views die with this datagram). */
static int auth_eap_keep_first(struct eap_r *s, const struct ike_msg *m)
{
	struct ike_payload *pl = malloc(IKE_MSG_MAX_PAYLOADS * sizeof(*pl));
	uint8_t *buf = malloc(UINT16_MAX);
	size_t n = 0, len;
	int err = -ENG_ERR_NOMEM;

	if (!pl || !buf)
		goto out;
	for (size_t i = 0; i < m->n_payloads; i++)
		if (m->payloads[i].inner)
			pl[n++] = m->payloads[i];
	err = -ENG_ERR_MALFORMED;
	if (!n || ike_msg_encode_chain(pl, n, buf, UINT16_MAX, &len))
		goto out;
	s->first_hdr = m->hdr;
	s->first_type = pl[0].type;
	s->first_len = len;
	s->first = realloc(buf, len) ?: buf;
	buf = NULL;
	err = 0;
out:
	free(pl);
	free(buf);
	return err;
}

/* First IKE_AUTH request without AUTH from a peer of an EAP connection:
 * our signature, and the first EAP request. */
static int auth_eap_start_r(struct ike_sa *sa, uint64_t now,
			    const struct ike_msg *m, struct ike_msg *r,
			    struct auth_out *o)
{
	const struct ike_payload *id = ike_msg_find(m, PL_IDI, NULL);
	uint8_t eap[EAP_MSG_MAX];
	struct ike_payload *p;
	struct eap_r *s;
	size_t id_len, eap_len;
	int err;

	if (!(s = sa->eap = eap_r_new()))
		return auth_fail_r(sa, r, -ENG_ERR_NOMEM);
	if (id->body.len > sizeof(s->idi))
		return auth_fail_r(sa, r, -ENG_ERR_ID);
	memcpy(s->idi, id->body.ptr, id->body.len);
	s->idi_len = (uint16_t)id->body.len;
	peer_idx_set(sa, auth_id_hash(&id->u.id));
	if ((err = auth_eap_keep_first(s, m)) ||
	    (err = eap_r_start(sa, s, id->u.id.data.ptr, id->u.id.data.len, eap,
			       sizeof(eap), &eap_len)))
		return auth_fail_r(sa, r, err);
	msg_start(sa, r, EXCH_IKE_AUTH, true, 0);
	if (!(p = ike_msg_add(r, PL_IDR)))
		return auth_fail_r(sa, r, -ENG_ERR_NOMEM);
	id_len = auth_id_body(&sa->conn->local_auth.id, o->id_body);
	p->inner = true;
	p->u.id.type = sa->conn->local_auth.id.type;
	p->u.id.data = (struct ike_bytes){ o->id_body + 4, id_len - 4 };
	if ((err = cert_add_payloads(sa, r, o->certreq)) ||
	    (err = auth_make(sa, r, o, id_len, NULL)) ||
	    (err = auth_eap_send_r(sa, now, r, eap, eap_len))) {
		engine_log(sa->e, sa, 3, "IKE_AUTH response failed: %s",
			   engine_err_name(err));
		ike_sa_destroy(sa, err);
		return EXCH_SA_GONE;
	}
	ike_sa_set_state(sa, IKE_SA_EAP_R);
	engine_log(sa->e, sa, 6,
		   "peer asks for EAP: sent our AUTH and EAP-%s request",
		   s->state == EAP_R_IDENTITY ? "Identity" : "MSCHAPv2");
	return 0;
}

/* The last IKE_AUTH request: AUTH keyed with the MSK over the first
 * request's octets (§2.16, with IDi as sent then); the CHILD SA of the
 * first request. */
static int auth_eap_finish_r(struct ike_sa *sa, uint64_t now,
			     const struct ike_msg *m, struct ike_msg *r,
			     struct auth_out *o)
{
	const struct ike_payload *au = ike_msg_find(m, PL_AUTH, NULL);
	struct eap_r *s = sa->eap;
	struct ike_msg *first = malloc(sizeof(*first));
	struct auth_octets oct;
	int err;

	if (!first)
		return auth_fail_r(sa, r, -ENG_ERR_NOMEM);
	err = auth_octets_init(&oct, sa->km->suite.prf, sa->km->sk_pi,
			       sa->km->p_len, sa->init_req, sa->init_req_len,
			       sa->nr, sa->nr_len, s->idi, s->idi_len);
	if (!err && au->u.auth.method != AUTHM_SHARED_KEY)
		err = -ENG_ERR_AUTH;
	if (!err)
		err = auth_psk_check(sa->km->suite.prf, s->msk,
				     MSCHAPV2_MSK_LEN, &oct,
				     au->u.auth.data.ptr, au->u.auth.data.len);
	if (err) {
		engine_log(sa->e, sa, 4,
			   "AUTH after EAP does not verify with the MSK");
		err = auth_fail_r(sa, r, err);
		goto out;
	}
	/* proved: the IDi of the first request and the EAP user */
	if ((err = ident_peer_set(sa, s->idi[0], s->idi + 4, s->idi_len - 4u,
				  s->user, s->user_len))) {
		err = auth_fail_r(sa, r, err);
		goto out;
	}
	ike_msg_init(first, 0, 0, 0, 0, 0);
	first->hdr = s->first_hdr;
	if (ike_msg_decode_chain(first, s->first_type, s->first, s->first_len,
				 true)) {
		err = auth_fail_r(sa, r, -ENG_ERR_MALFORMED);
		goto out;
	}
	err = auth_finish_r(sa, now, first, r, o, s->msk);
	if (err != EXCH_SA_GONE) {
		eap_r_free(sa->eap); /* the MSK and the kept request */
		sa->eap = NULL;
	}
out:
	free(first);
	return err;
}

/* One EAP round: the peer's EAP response in, our next EAP message out. */
static int auth_eap_round_r(struct ike_sa *sa, uint64_t now,
			    const struct ike_payload *eap, struct ike_msg *r)
{
	uint8_t out[EAP_MSG_MAX];
	size_t len;
	int res, err;

	res = eap_r_process(sa, sa->eap, eap->u.eap.data.ptr,
			    eap->u.eap.data.len, out, sizeof(out), &len);
	if (res < 0)
		return auth_eap_fail_r(sa, r, res, out, len);
	msg_start(sa, r, EXCH_IKE_AUTH, true, 0);
	if ((err = auth_eap_send_r(sa, now, r, out, len))) {
		engine_log(sa->e, sa, 3, "IKE_AUTH response failed: %s",
			   engine_err_name(err));
		ike_sa_destroy(sa, err);
		return EXCH_SA_GONE;
	}
	if (res == EAP_R_OK)
		engine_log(sa->e, sa, 6,
			   "EAP-MSCHAPv2 succeeded; waiting for the peer's "
			   "AUTH");
	return 0;
}

int ike_auth_eap_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	const struct ike_payload *eap = ike_msg_find(m, PL_EAP, NULL);
	const struct ike_payload *au = ike_msg_find(m, PL_AUTH, NULL);
	struct ike_msg *r = malloc(sizeof(*r));
	struct auth_out *o = calloc(1, sizeof(*o));
	int err;

	if (!r || !o || !sa->eap) {
		err = -ENG_ERR_NOMEM;
		goto out;
	}
	if (sa->eap->state == EAP_R_DONE && au && !eap) {
		err = auth_eap_finish_r(sa, now, m, r, o);
	} else if (sa->eap->state != EAP_R_DONE && eap && !au) {
		err = auth_eap_round_r(sa, now, eap, r);
	} else {
		engine_log(sa->e, sa, 4,
			   "IKE_AUTH request with %s%s out of sequence: "
			   "expected %s",
			   eap	? "EAP"
			   : au ? "AUTH"
				: "neither EAP nor AUTH",
			   eap && au ? " and AUTH" : "",
			   sa->eap->state == EAP_R_DONE ? "AUTH" : "EAP");
		err = auth_eap_fail_r(sa, r, -ENG_ERR_EAP, NULL, 0);
	}
out:
	free(r);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	return err;
}

int ike_auth_eap_info_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	char who[64];

	if (!ike_msg_find_notify(m, N_AUTHENTICATION_FAILED))
		return informational_process_r(sa, now, m);
	/* §2.21.2: the client refuses to go on (our MSCHAPv2 Failure, or
	 * our AUTH); it has deleted its side already */
	engine_log(sa->e, sa, 4,
		   "IKE_AUTH with EAP failed for user '%s': the peer gave up "
		   "(AUTHENTICATION_FAILED); deleting the IKE SA",
		   eap_r_user_str(sa->eap, who, sizeof(who)));
	ike_sa_destroy(sa, -ENG_ERR_EAP);
	return EXCH_SA_GONE;
}

int ike_auth_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	struct ike_msg *r = malloc(sizeof(*r));
	struct auth_out *o = calloc(1, sizeof(*o));
	const struct engine_conn *conn;
	int err;

	if (!r || !o) {
		err = -ENG_ERR_NOMEM;
		goto out;
	}
	if (!(conn = auth_conn_r(sa, m))) {
		err = auth_fail_r(sa, r, -ENG_ERR_ID);
		goto out;
	}
	sa->conn = conn;
	sa_idx_sa_file(sa);
	snprintf(sa->name, sizeof(sa->name), "%s[%u]", conn->name, sa->id);
	if (conn->remote_auth.method == ENGINE_AUTH_EAP_MSCHAPV2) {
		err = auth_eap_start_r(sa, now, m, r, o);
		goto out;
	}
	if ((err = auth_verify(sa, m))) {
		err = auth_fail_r(sa, r, err);
		goto out;
	}
	if ((err = auth_proved(sa, &ike_msg_find(m, PL_IDI, NULL)->u.id, NULL,
			       0))) {
		err = auth_fail_r(sa, r, err);
		goto out;
	}
	err = auth_finish_r(sa, now, m, r, o, NULL);
out:
	free(r);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	return err;
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

/* The responder authenticated: the CHILD SA of its response (if we asked
 * for one) and the IKE SA up. */
static int auth_finish_i(struct ike_sa *sa, uint64_t now,
			 const struct ike_msg *m, bool eap)
{
	struct child_sa *c = sa->pending_child;
	char who[700];
	int child_err, cp_err;

	win_peer_notify(sa, m);
	mobike_auth_done(sa, m);
	ike_sa_set_state(sa, IKE_SA_ESTABLISHED);
	sa->pending_child = NULL;
	cp_err = cp_process_i(sa, m); /* §3.15: ADDR_ADD before the SAs */
	child_err = c ? child_accept_i(sa, m, c, false) : 0;
	if (c && !child_err)
		child_err = cp_err ? cp_err : cp_child_narrow(sa, c);
	if (c && !child_err && !(child_err = auth_child_install(sa, c, now)))
		c = NULL;
	if (c) {
		child_release_spi(sa, c);
		child_free(c);
	}
	if (sa->conn->dpd_delay_ms)
		sa->dpd_deadline = now + sa->conn->dpd_delay_ms;
	auth_done(sa, now);
	if (ike_msg_find_notify(m, N_INITIAL_CONTACT))
		ike_auth_initial_contact(sa);
	ike_sa_established(sa, now);
	if (engine_log_enabled(sa->e, 5))
		engine_log(sa->e, sa, 5,
			   "IKE SA established (initiator)%s%s%s; peer "
			   "authenticated as %s",
			   eap ? ", authenticated with EAP-MSCHAPv2" : "",
			   child_err ? ", CHILD SA failed: " : "",
			   child_err ? engine_err_name(child_err) : "",
			   auth_peer_str(sa, who, sizeof(who)));
	engine_event(sa->e, sa, ENGINE_EV_IKE_UP, 0);
	if (child_err)
		engine_event(sa->e, sa, ENGINE_EV_CHILD_FAILED, child_err);
	return 0;
}

/* A response without what we need: the peer refused (its notify says
 * why, §2.21.2). */
static int auth_refused_i(struct ike_sa *sa, const struct ike_msg *m,
			  const char *what)
{
	const struct ike_payload *n = ike_msg_find(m, PL_NOTIFY, NULL);

	engine_log(sa->e, sa, 4, "IKE_AUTH refused by peer: %s",
		   n ? ike_notify_type_name(n->u.notify.type) ?: "?" : what);
	return auth_fail_i(sa, -ENG_ERR_PEER);
}

/* ---- EAP (RFC 7296 §2.16), initiator: the mirror of the responder's
 * rounds above. Our first request left AUTH out; the first response
 * carries the responder's IDr, CERT and AUTH and the first EAP request;
 * after EAP-Success our AUTH is keyed with the MSK, and so is the
 * responder's in the last response, which also brings the CHILD SA. */

/* The last response: AUTH with the MSK over the responder's octets (its
 * IDr as sent in the first response). */
static int auth_eap_finish_i(struct ike_sa *sa, uint64_t now,
			     const struct ike_msg *m)
{
	const struct ike_payload *au = ike_msg_find(m, PL_AUTH, NULL);
	struct eap_i *s = sa->eap_i;
	struct auth_octets oct;
	int err;

	if (!au)
		return auth_refused_i(sa, m, "no AUTH payload after EAP");
	err = auth_octets_init(&oct, sa->km->suite.prf, sa->km->sk_pr,
			       sa->km->p_len, sa->init_resp, sa->init_resp_len,
			       sa->ni, sa->ni_len, s->idr, s->idr_len);
	if (!err && au->u.auth.method != AUTHM_SHARED_KEY)
		err = -ENG_ERR_AUTH;
	if (!err)
		err = auth_psk_check(sa->km->suite.prf, s->msk,
				     MSCHAPV2_MSK_LEN, &oct,
				     au->u.auth.data.ptr, au->u.auth.data.len);
	if (err) {
		engine_log(sa->e, sa, 4,
			   "responder's AUTH after EAP does not verify with "
			   "the MSK");
		return auth_fail_i(sa, err);
	}
	eap_i_free(sa->eap_i);
	sa->eap_i = NULL;
	return auth_finish_i(sa, now, m, true);
}

/* The first response: the responder's own AUTH (a signature, checked as
 * without EAP) before we give it anything of ours. */
static int auth_eap_first_i(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *id = ike_msg_find(m, PL_IDR, NULL);
	struct eap_i *s = sa->eap_i;
	int err;

	if (!ike_msg_find(m, PL_AUTH, NULL) || !id ||
	    !ike_msg_find(m, PL_EAP, NULL))
		return auth_refused_i(sa, m, "no IDr, AUTH and EAP payloads");
	if (!auth_id_match(&sa->conn->remote_auth.id, &id->u.id))
		return auth_fail_i(sa, -ENG_ERR_ID);
	if ((err = auth_verify(sa, m)))
		return auth_fail_i(sa, err);
	if (id->body.len > sizeof(s->idr))
		return auth_fail_i(sa, -ENG_ERR_ID);
	memcpy(s->idr, id->body.ptr, id->body.len);
	s->idr_len = (uint16_t)id->body.len;
	if ((err = auth_proved(sa, &id->u.id, NULL, 0)))
		return auth_fail_i(sa, err);
	s->state = EAP_I_WAIT;
	return 0;
}

static int auth_eap_process_i(struct ike_sa *sa, uint64_t now,
			      const struct ike_msg *m)
{
	const struct ike_payload *eap = ike_msg_find(m, PL_EAP, NULL);
	struct eap_i *s = sa->eap_i;
	struct ike_msg *r = NULL;
	struct auth_out *o = NULL;
	uint8_t out[EAP_MSG_MAX];
	struct ike_payload *p;
	size_t len;
	int res, err;

	if (s->state == EAP_I_DONE)
		return auth_eap_finish_i(sa, now, m);
	if (s->state == EAP_I_START && (err = auth_eap_first_i(sa, m)))
		return err;
	if (!eap)
		return auth_refused_i(sa, m, "no EAP payload");
	res = eap_i_process(sa, s, eap->u.eap.data.ptr, eap->u.eap.data.len,
			    out, sizeof(out), &len);
	if (res < 0)
		return auth_fail_i(sa, res);
	err = -ENG_ERR_NOMEM;
	if (!(r = malloc(sizeof(*r))) || !(o = calloc(1, sizeof(*o))))
		goto out;
	msg_start(sa, r, EXCH_IKE_AUTH, false, 0);
	if (res == EAP_I_OK) {
		/* HDR, SK {AUTH} with the MSK over our first octets */
		err = auth_make(
			sa, r, o,
			auth_id_body(&sa->conn->local_auth.id, o->id_body),
			s->msk);
	} else if ((p = ike_msg_add(r, PL_EAP))) {
		p->inner = true;
		p->u.eap.data = (struct ike_bytes){ out, len };
		err = 0;
	}
	if (!err)
		err = msg_send_request(sa, now, r);
out:
	free(r);
	if (o)
		crypto_wipe(o, sizeof(*o));
	free(o);
	crypto_wipe(out, sizeof(out));
	return err ? auth_fail_i(sa, err) : 0;
}

int ike_auth_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	const struct ike_payload *id = ike_msg_find(m, PL_IDR, NULL);
	int err;

	win_request_done(sa, m->hdr.msg_id);
	if (sa->eap_i)
		return auth_eap_process_i(sa, now, m);
	if (!ike_msg_find(m, PL_AUTH, NULL) || !id)
		return auth_refused_i(sa, m, "no AUTH payload");
	if (!auth_id_match(&sa->conn->remote_auth.id, &id->u.id))
		return auth_fail_i(sa, -ENG_ERR_ID);
	if ((err = auth_verify(sa, m)) ||
	    (err = auth_proved(sa, &id->u.id, NULL, 0)))
		return auth_fail_i(sa, err);
	return auth_finish_i(sa, now, m, false);
}
