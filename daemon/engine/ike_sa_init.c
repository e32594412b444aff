/* IKE_SA_INIT (RFC 7296 §1.2):
 *
 *   HDR, SA, KEi, Ni, N(NAT_DETECTION_*), N(FRAG), N(SIG_HASH)  -->
 *                <--  HDR, SA, KEr, Nr, N(NAT_DETECTION_*), ...
 *
 * with the stateless detours of §2.6 (COOKIE) and §1.2 (INVALID_KE_PAYLOAD).
 */
#include "engine/exchange.h"

#include "crypto/auth.h"
#include "crypto/ke.h"
#include "crypto/skp.h"
#include "engine/dos_share.h"

#include <stdlib.h>
#include <string.h>

enum {
	NONCE_MIN = 16,
	/* Largest IKE_SA_INIT request we answer. A half-open SA keeps the
	 * request (the peer's AUTH signs it, §2.15), so its size bounds
	 * what an unauthenticated peer makes us hold. RFC 7296 §2 asks to
	 * accept 3000 bytes; a request with MODP-8192 and a long proposal
	 * list is about 2 KB, one with an ML-KEM-1024 key about 2.5 KB. */
	INIT_REQ_MAX = 4096,
};

static void spi_bytes(uint64_t spi, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(spi >> (56 - 8 * i));
}

static void sig_hash_parse(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *p =
		ike_msg_find_notify(m, N_SIGNATURE_HASH_ALGORITHMS);
	uint32_t mask = 0;

	if (p && !auth_hash_notify_parse(p->u.notify.data.ptr,
					 p->u.notify.data.len, &mask)) {
		sa->peer_sig_hash = true;
		sa->peer_hashes = (uint16_t)mask;
	}
	sa->peer_frag = ike_msg_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED);
	sa->peer_certreq = ike_msg_find(m, PL_CERTREQ, NULL) != NULL;
	sa->peer_childless =
		ike_msg_find_notify(m, N_CHILDLESS_IKEV2_SUPPORTED);
}

/* Our status notifies of §2.23 / RFC 7383 / RFC 7427. */
static int init_common_notifies(struct ike_sa *sa, struct ike_msg *m,
				uint8_t nat[2 * NAT_HASH_LEN],
				uint8_t hashes[16], bool want_nat)
{
	size_t hlen = 0;
	int err;

	if (want_nat && (err = nat_notifies(sa, m, false, nat)))
		return err;
	if (sa->conn->fragmentation != ENGINE_FRAG_NO &&
	    !msg_add_notify(m, false, N_IKEV2_FRAGMENTATION_SUPPORTED, 0, NULL,
			    0))
		return -ENG_ERR_NOMEM;
	if (auth_hash_notify_build(auth_hash_supported(), hashes, 16, &hlen))
		return -ENG_ERR_CRYPTO;
	if (!msg_add_notify(m, false, N_SIGNATURE_HASH_ALGORITHMS, 0, hashes,
			    hlen))
		return -ENG_ERR_NOMEM;
	/* RFC 6023 §2: we take IKE SAs without a CHILD SA */
	if (sa->conn->childless != ENGINE_CHILDLESS_NEVER &&
	    !msg_add_notify(m, false, N_CHILDLESS_IKEV2_SUPPORTED, 0, NULL, 0))
		return -ENG_ERR_NOMEM;
	return 0;
}

static int init_add_ke_nonce(struct ike_sa *sa, struct ike_msg *m, uint8_t *pub,
			     size_t cap)
{
	const uint8_t *nonce = sa->initiator ? sa->ni : sa->nr;
	uint16_t nonce_len = sa->initiator ? sa->ni_len : sa->nr_len;
	struct ike_payload *p;
	size_t len;

	if (ke_public(sa->ke, pub, cap, &len))
		return -ENG_ERR_CRYPTO;
	if (!(p = ike_msg_add(m, PL_KE)))
		return -ENG_ERR_NOMEM;
	p->u.ke.group = sa->alg.ke;
	p->u.ke.data = (struct ike_bytes){ pub, len };
	if (!(p = ike_msg_add(m, PL_NONCE)))
		return -ENG_ERR_NOMEM;
	p->u.nonce.data = (struct ike_bytes){ nonce, nonce_len };
	return 0;
}

static uint8_t *init_dup(const void *p, size_t len)
{
	uint8_t *d = malloc(len);

	if (d)
		memcpy(d, p, len);
	return d;
}

int ike_sa_init_build_i(struct ike_sa *sa, uint64_t now)
{
	const struct engine_conn *c = sa->conn;
	uint8_t pub[KE_PUB_MAX], nat[2 * NAT_HASH_LEN], hashes[16];
	struct proposal_wire w;
	struct ike_payload *p;
	struct ike_msg *m;
	int err;

	if (!sa->alg.ke)
		sa->alg.ke = proposal_first_ke(&c->ike[0]);
	if (!sa->ke && (err = ke_new(sa->alg.ke, &sa->ke)))
		return err;
	if (!sa->ni_len && (err = ike_nonce_set(sa->e, &sa->ni, &sa->ni_len,
						NULL, IKE_SA_NONCE_LEN)))
		return err;
	if (!(m = malloc(sizeof(*m))))
		return -ENG_ERR_NOMEM;
	msg_start(sa, m, EXCH_IKE_SA_INIT, false, 0);
	err = -ENG_ERR_NOMEM;
	/* §2.6: the COOKIE notify comes first. */
	if (sa->cookie_len &&
	    !msg_add_notify(m, false, N_COOKIE, 0, sa->cookie, sa->cookie_len))
		goto out;
	if (!(p = ike_msg_add(m, PL_SA)))
		goto out;
	proposal_to_sa(c->ike, c->n_ike, PROTO_IKE, NULL, 0, 1, &w, &p->u.sa);
	if ((err = init_add_ke_nonce(sa, m, pub, sizeof(pub))) ||
	    (err = init_common_notifies(sa, m, nat, hashes, true)))
		goto out;
	sa->req_next = 0; /* retries after COOKIE/INVALID_KE reuse ID 0 */
	if ((err = msg_send_request(sa, now, m)))
		goto out;
	free(sa->init_req);
	sa->init_req = init_dup(sa->req.buf, sa->req.len); /* window of 1 */
	sa->init_req_len = sa->req.len;
	err = sa->init_req ? 0 : -ENG_ERR_NOMEM;
out:
	free(m);
	return err;
}

/* A response sent without creating state (COOKIE, INVALID_KE_PAYLOAD,
 * NO_PROPOSAL_CHOSEN): SPIr stays zero (§2.6, §1.2). */
static void init_stateless_reply(struct engine *e,
				 const struct engine_addr *local,
				 const struct engine_addr *remote,
				 const struct ike_msg *req, uint16_t type,
				 const void *data, size_t len)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct engine_action *a;
	uint8_t buf[512];
	size_t out;

	if (!m)
		return;
	ike_msg_init(m, req->hdr.spi_i, 0, EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE,
		     0);
	if (msg_add_notify(m, false, type, 0, data, len) &&
	    !ike_msg_encode(m, buf, sizeof(buf), &out) &&
	    (a = engine_push(e, ENGINE_ACT_SEND, 0)) &&
	    (a->u.send.buf = malloc(out))) {
		memcpy(a->u.send.buf, buf, out);
		a->u.send.len = out;
		a->u.send.local = *local;
		a->u.send.remote = *remote;
		a->u.send.non_esp_marker = local->port == IKE_NATT_PORT;
	}
	free(m);
}

/* The first connection whose addresses fit; IDs decide in IKE_AUTH. */
static const struct engine_conn *
init_conn_by_addr(struct engine *e, const struct engine_addr *local,
		  const struct engine_addr *remote)
{
	for (size_t i = 0; i < e->n_conns; i++) {
		const struct engine_conn *c = &e->conns[i];

		if (c->local.family && !ike_sa_addr_eq(&c->local, local, false))
			continue;
		if (!engine_conn_accepts_remote(c, remote))
			continue;
		return c;
	}
	return NULL;
}

/* One warning a second about refused IKE_SA_INIT requests, with the
 * count of those not logged: a flood must not fill the log. */
static void init_warn_limit(struct engine *e, uint64_t now, const char *why)
{
	if (now < e->half_open_warn_window + 1000) {
		e->half_open_warn_dropped++;
		return;
	}
	engine_log(e, NULL, 4,
		   "IKE_SA_INIT dropped: %s (%u half-open SAs; %u more "
		   "dropped in the last second)",
		   why, dos_half_open_total(e), e->half_open_warn_dropped);
	e->half_open_warn_window = now;
	e->half_open_warn_dropped = 0;
}

/* The per-address bound (half_open_per_peer): true if `remote` holds
 * fewer half-open SAs, in every worker; then it holds one more. */
static bool init_peer_admit(struct engine *e, uint64_t now,
			    const struct engine_addr *remote)
{
	if (dos_hold_peer(e, remote, e->set.half_open_per_peer))
		return true;
	dos_hold_drop(e);
	init_warn_limit(e, now,
			"one address holds half_open_per_peer half-open SAs");
	return false;
}

/* §2.6 and the half-open bounds: true if the request may create state,
 * which then holds its place in the counts (dos_share.h: every worker's
 * half-open SAs, and taking a place is one atomic step, so the limits
 * hold exactly whichever worker a request reaches). */
static bool init_admit(struct engine *e, uint64_t now,
		       const struct engine_addr *local,
		       const struct engine_addr *remote,
		       const struct ike_msg *m)
{
	uint8_t cookie[64];
	size_t len;

	if (dos_half_open_total(e) >= e->set.half_open_max) {
		init_warn_limit(e, now, "half-open SAs reached the limit");
		return false;
	}
	if (dos_hold(e, e->set.cookie_threshold))
		return init_peer_admit(e, now, remote);
	cookie_maybe_rotate(e, now);
	if (cookie_verify(e, m, remote)) {
		if (dos_hold(e, e->set.half_open_max))
			return init_peer_admit(e, now, remote);
		init_warn_limit(e, now, "half-open SAs reached the limit");
		return false;
	}
	if (ike_msg_find_notify(m, N_COOKIE))
		engine_log(e, NULL, 5,
			   "IKE_SA_INIT with a wrong or stale "
			   "COOKIE; sending a fresh one");
	if (!cookie_compute(e, e->cookie_ver, m, remote, cookie, &len))
		init_stateless_reply(e, local, remote, m, N_COOKIE, cookie,
				     len);
	return false;
}

/* Selects our proposal and checks the KE group; answers the peer itself
 * when it must retry or give up. */
static int init_select(struct engine *e, const struct engine_conn *c,
		       const struct engine_addr *local,
		       const struct engine_addr *remote,
		       const struct ike_msg *m, struct proposal_chosen *chosen)
{
	const struct ike_payload *sa = ike_msg_find(m, PL_SA, NULL);
	const struct ike_payload *ke = ike_msg_find(m, PL_KE, NULL);
	struct engine_proposal theirs[ENGINE_MAX_PROPOSALS];
	uint8_t nums[ENGINE_MAX_PROPOSALS], grp[2];
	size_t n;

	n = proposal_from_sa(&sa->u.sa, PROTO_IKE, c->ike, c->n_ike, theirs,
			     nums, NULL, ENGINE_MAX_PROPOSALS);
	if (proposal_select(c->ike, c->n_ike, theirs, n, true, ke->u.ke.group,
			    chosen)) {
		engine_log(e, NULL, 4,
			   "%s: IKE_SA_INIT from peer: no "
			   "acceptable proposal; answering NO_PROPOSAL_CHOSEN",
			   c->name);
		init_stateless_reply(e, local, remote, m, N_NO_PROPOSAL_CHOSEN,
				     NULL, 0);
		return -ENG_ERR_NO_PROPOSAL;
	}
	chosen->num = nums[chosen->num - 1];
	if (chosen->ke != ke->u.ke.group) {
		/* §1.2: tell the initiator which group we want. */
		engine_log(e, NULL, 5,
			   "%s: peer sent KE %s, we want %s; "
			   "answering INVALID_KE_PAYLOAD",
			   c->name, ike_ke_id_name(ke->u.ke.group) ?: "?",
			   ike_ke_id_name(chosen->ke) ?: "?");
		grp[0] = (uint8_t)(chosen->ke >> 8);
		grp[1] = (uint8_t)chosen->ke;
		init_stateless_reply(e, local, remote, m, N_INVALID_KE_PAYLOAD,
				     grp, 2);
		return -ENG_ERR_INVALID_KE;
	}
	return 0;
}

/* g^ir, SKEYSEED and the SK_* keys (§2.14), then SK protection. */
static int init_derive(struct ike_sa *sa, const struct ike_pl_ke *peer)
{
	struct keymat_suite suite;
	struct keymat_ike *km;
	struct ke_secret s;
	uint8_t spi_i[8], spi_r[8];
	int err;

	if ((err = keymat_suite_init(&suite, sa->alg.encr, sa->alg.encr_keylen,
				     sa->alg.prf, sa->alg.integ)))
		return err;
	if (!(km = calloc(1, sizeof(*km))))
		return -ENG_ERR_NOMEM;
	if ((err = ke_derive(sa->ke, peer->data.ptr, peer->data.len, &s))) {
		free(km);
		return err;
	}
	spi_bytes(sa->spi_i, spi_i);
	spi_bytes(sa->spi_r, spi_r);
	err = keymat_ike_derive(km, &suite, s.buf, s.len, sa->ni, sa->ni_len,
				sa->nr, sa->nr_len, spi_i, spi_r);
	ke_secret_wipe(&s);
	if (err) {
		keymat_ike_wipe(km);
		free(km);
		return err;
	}
	ike_sa_keys_set(sa, km);
	if (sa->e->env.ike_keys)
		sa->e->env.ike_keys(sa->e->env.ctx, spi_i, spi_r, sa->km);
	/* A responder sets up SK protection only once IKE_AUTH arrives: a
	 * half-open SA does not need it. */
	if (sa->initiator)
		err = skp_new(sa->km, sa->initiator, &sa->sk);
	return err;
}

int ike_sa_init_sk(struct ike_sa *sa)
{
	if (sa->sk)
		return 0;
	if (!sa->km)
		return -ENG_ERR_STATE;
	return skp_new(sa->km, sa->initiator, &sa->sk) ? -ENG_ERR_CRYPTO : 0;
}

static int init_nonce(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *n = ike_msg_find(m, PL_NONCE, NULL);

	/* §2.10: 16 to 256 octets. */
	if (!n || n->u.nonce.data.len < NONCE_MIN ||
	    n->u.nonce.data.len > IKE_SA_NONCE_MAX)
		return -ENG_ERR_MALFORMED;
	return ike_nonce_set(sa->e, sa->initiator ? &sa->nr : &sa->ni,
			     sa->initiator ? &sa->nr_len : &sa->ni_len,
			     n->u.nonce.data.ptr, n->u.nonce.data.len);
}

/* RFC 7296 §3.7: CERTREQ with the SHA-1 hashes of the public keys of the
 * CAs every connection that fits the peer's addresses trusts for it, so a
 * peer that sends its certificate only when asked (strongSwan's default)
 * sends it. Returns the number of hashes in `out`. */
static size_t init_certreq_hashes(struct ike_sa *sa,
				  uint8_t out[CERT_REQ_MAX * 20])
{
	struct engine *e = sa->e;
	size_t n = 0;

	for (size_t i = 0; i < e->n_conns && n < CERT_REQ_MAX; i++) {
		const struct engine_conn *c = &e->conns[i];

		if ((c->local.family &&
		     !ike_sa_addr_eq(&c->local, &sa->local, false)) ||
		    !engine_conn_accepts_remote(c, &sa->remote))
			continue;
		n = cert_req_hashes(c, out, n, CERT_REQ_MAX);
	}
	return n;
}

static int init_reply_r(struct ike_sa *sa, uint64_t now,
			const struct ike_msg *req)
{
	uint8_t certreq[CERT_REQ_MAX * 20];
	size_t n_certreq;
	uint8_t pub[KE_PUB_MAX], nat[2 * NAT_HASH_LEN], hashes[16];
	struct engine_proposal one;
	struct proposal_wire w;
	struct ike_payload *p;
	struct ike_msg *m = malloc(sizeof(*m));
	int err = -ENG_ERR_NOMEM;

	if (!m)
		return err;
	msg_start(sa, m, EXCH_IKE_SA_INIT, true, 0);
	if (!(p = ike_msg_add(m, PL_SA)))
		goto out;
	proposal_from_chosen(&sa->alg, &one);
	proposal_to_sa(&one, 1, PROTO_IKE, NULL, 0, sa->alg.num, &w, &p->u.sa);
	if ((err = init_add_ke_nonce(sa, m, pub, sizeof(pub))) ||
	    (err = init_common_notifies(
		     sa, m, nat, hashes,
		     ike_msg_find_notify(req, N_NAT_DETECTION_SOURCE_IP))))
		goto out;
	if ((n_certreq = init_certreq_hashes(sa, certreq))) {
		err = -ENG_ERR_NOMEM;
		if (!(p = ike_msg_add(m, PL_CERTREQ)))
			goto out;
		p->u.cert.encoding = CERT_X509_SIGNATURE;
		p->u.cert.data = (struct ike_bytes){ certreq, 20 * n_certreq };
	}
	if ((err = msg_send_response(sa, m)))
		goto out;
	/* The response is both what a retransmitted request gets and what
	 * our AUTH signs (§2.15): keep one copy, as init_resp. */
	sa->init_resp = sa->resp.buf;
	sa->init_resp_len = sa->resp.len;
	sa->resp = (struct ike_response){ 0 };
	sa->init_req = init_dup(req->raw.ptr, req->raw.len);
	sa->init_req_len = req->raw.len;
	if (!sa->init_resp || !sa->init_req)
		err = -ENG_ERR_NOMEM;
	sa->half_open_deadline = now + sa->e->set.half_open_timeout_ms;
out:
	free(m);
	return err;
}

static struct ike_sa *init_new_r(struct engine *e, const struct engine_conn *c,
				 const struct engine_addr *local,
				 const struct engine_addr *remote,
				 const struct ike_msg *m)
{
	struct ike_sa *sa = ike_sa_new(e, c, false, local, remote);

	if (!sa)
		return NULL;
	sa->spi_i = m->hdr.spi_i;
	sa->natt = local->port == IKE_NATT_PORT;
	/* Index by (SPIi, peer) for retransmitted requests (§2.1). */
	ike_sa_index_init(sa);
	return sa;
}

/* The initiator of a half-open SA sent IKE_SA_INIT again. Byte for byte
 * the same: a retransmission. With a COOKIE in front and the same nonce:
 * the request §2.6 has it repeat after our COOKIE demand, while a copy of
 * its first request, retransmitted before the demand reached it, was
 * answered here when our load had fallen. Whichever of the two answers it
 * takes (they are the same), its AUTH covers the request with the COOKIE
 * (§2.15), so that is the one we keep for verifying it. */
static void init_request_again_r(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *n = ike_msg_find(m, PL_NONCE, NULL);
	uint8_t *copy;

	if (sa->init_req_len == m->raw.len &&
	    !memcmp(sa->init_req, m->raw.ptr, m->raw.len))
		return;
	if (!ike_msg_find_notify(m, N_COOKIE) || !n ||
	    n->u.nonce.data.len != sa->ni_len ||
	    memcmp(n->u.nonce.data.ptr, sa->ni, sa->ni_len) ||
	    m->raw.len > INIT_REQ_MAX ||
	    !(copy = init_dup(m->raw.ptr, m->raw.len)))
		return;
	free(sa->init_req);
	sa->init_req = copy;
	sa->init_req_len = m->raw.len;
	engine_log(sa->e, sa, 6,
		   "IKE_SA_INIT repeated with a COOKIE after we answered it; "
		   "AUTH will cover the repeated request");
}

static int init_respond(struct engine *e, uint64_t now,
			const struct engine_addr *local,
			const struct engine_addr *remote,
			const struct ike_msg *m)
{
	const struct engine_conn *c;
	struct proposal_chosen chosen;
	struct ike_sa *sa = ike_sa_find_init(e, m->hdr.spi_i, remote);
	int err;

	if (sa) {
		/* §2.1: a retransmission; answer with the same response. */
		if (sa->init_resp && sa->state == IKE_SA_INIT_R &&
		    m->hdr.msg_id == 0) {
			init_request_again_r(sa, m);
			(void)rtx_send(sa, sa->init_resp, sa->init_resp_len);
		}
		return 0;
	}
	if (m->raw.len > INIT_REQ_MAX) {
		init_warn_limit(e, now,
				"request larger than 4096 bytes (what a "
				"half-open SA may hold)");
		return -ENG_ERR_MALFORMED;
	}
	if (m->hdr.spi_r || m->hdr.msg_id || !ike_msg_find(m, PL_SA, NULL) ||
	    !ike_msg_find(m, PL_KE, NULL) || !ike_msg_find(m, PL_NONCE, NULL)) {
		engine_log(e, NULL, 5, "malformed IKE_SA_INIT request dropped");
		return -ENG_ERR_MALFORMED;
	}
	if (!(c = init_conn_by_addr(e, local, remote))) {
		engine_log(e, NULL, 5,
			   "IKE_SA_INIT from a peer no "
			   "connection matches; dropped");
		return -ENG_ERR_NO_CONN;
	}
	if (!init_admit(e, now, local, remote, m))
		return -ENG_ERR_BUSY;
	if ((err = init_select(e, c, local, remote, m, &chosen)))
		return err;
	if (!(sa = init_new_r(e, c, local, remote, m)))
		return -ENG_ERR_NOMEM;
	sa->alg = chosen;
	sa->resp_expect = 0;
	nat_check(sa, m);
	sig_hash_parse(sa, m);
	if ((err = init_nonce(sa, m)) ||
	    (err = ike_nonce_set(e, &sa->nr, &sa->nr_len, NULL,
				 IKE_SA_NONCE_LEN)) ||
	    (err = ke_new(sa->alg.ke, &sa->ke)) ||
	    (err = init_derive(sa, &ike_msg_find(m, PL_KE, NULL)->u.ke)) ||
	    (err = init_reply_r(sa, now, m))) {
		engine_log(e, sa, 4, "IKE_SA_INIT failed: %s; SA dropped",
			   engine_err_name(err));
		ike_sa_destroy(sa, err);
		return err;
	}
	ike_sa_ke_free(sa);
	engine_log(e, sa, 6, "IKE_SA_INIT answered, waiting for IKE_AUTH");
	return 0;
}

int ike_sa_init_process_r(struct engine *e, uint64_t now,
			  const struct engine_addr *local,
			  const struct engine_addr *remote,
			  const struct ike_msg *m)
{
	int err = init_respond(e, now, local, remote, m);

	/* what init_admit held and no SA took (the request failed later) */
	dos_hold_drop(e);
	return err;
}

/* COOKIE or INVALID_KE_PAYLOAD: start over with what the responder asked
 * for. Returns 1 if a retry was sent, 0 if `m` is neither, < 0 to fail. */
static int init_retry_i(struct ike_sa *sa, uint64_t now,
			const struct ike_msg *m)
{
	const struct ike_payload *ck = ike_msg_find_notify(m, N_COOKIE);
	const struct ike_payload *ke =
		ike_msg_find_notify(m, N_INVALID_KE_PAYLOAD);
	uint16_t grp;

	if (!ck && !ke)
		return 0;
	if (++sa->init_retries > IKE_SA_INIT_RETRIES) {
		engine_log(sa->e, sa, 4,
			   "responder keeps asking to retry "
			   "IKE_SA_INIT; giving up");
		return -ENG_ERR_PEER;
	}
	if (ck) {
		if (!ck->u.notify.data.len ||
		    ck->u.notify.data.len > IKE_SA_COOKIE_MAX)
			return -ENG_ERR_MALFORMED;
		/* out of line: few SAs are ever asked for one */
		if (!sa->cookie && !(sa->cookie = malloc(IKE_SA_COOKIE_MAX)))
			return -ENG_ERR_NOMEM;
		memcpy(sa->cookie, ck->u.notify.data.ptr,
		       ck->u.notify.data.len);
		sa->cookie_len = (uint16_t)ck->u.notify.data.len;
		engine_log(sa->e, sa, 6,
			   "responder demands a COOKIE; "
			   "retrying IKE_SA_INIT with it");
	} else {
		if (ke->u.notify.data.len != 2)
			return -ENG_ERR_MALFORMED;
		grp = (uint16_t)(ke->u.notify.data.ptr[0] << 8 |
				 ke->u.notify.data.ptr[1]);
		if (grp == sa->alg.ke ||
		    !proposal_offers_ke(sa->conn->ike, sa->conn->n_ike, grp)) {
			engine_log(sa->e, sa, 4,
				   "responder wants KE %u, which "
				   "we did not offer; giving up",
				   grp);
			return -ENG_ERR_NO_PROPOSAL;
		}
		engine_log(sa->e, sa, 5,
			   "responder wants KE %s; retrying "
			   "IKE_SA_INIT",
			   ike_ke_id_name(grp) ?: "?");
		ike_sa_ke_free(sa);
		sa->alg.ke = grp;
	}
	win_request_done(sa, m->hdr.msg_id);
	return ike_sa_init_build_i(sa, now) ?: 1;
}

static int init_accept_i(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *p = ike_msg_find(m, PL_SA, NULL);
	const struct ike_payload *ke = ike_msg_find(m, PL_KE, NULL);
	struct engine_proposal reply[1];
	uint16_t want = sa->alg.ke;
	int err;

	if (!p || !ke || !m->hdr.spi_r ||
	    proposal_from_sa(&p->u.sa, PROTO_IKE, sa->conn->ike,
			     sa->conn->n_ike, reply, NULL, NULL, 1) != 1 ||
	    p->u.sa.n_proposals != 1)
		return -ENG_ERR_MALFORMED;
	if ((err = proposal_accept(sa->conn->ike, sa->conn->n_ike, reply, true,
				   &sa->alg)))
		return err;
	/* The responder must use the group of our KE payload (§1.2). */
	if (sa->alg.ke != want || ke->u.ke.group != want)
		return -ENG_ERR_INVALID_KE;
	sa->spi_r = m->hdr.spi_r;
	return init_nonce(sa, m);
}

int ike_sa_init_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	const struct ike_payload *err_n;
	char alg[96];
	int err;

	if ((err = init_retry_i(sa, now, m)) != 0) {
		if (err > 0)
			return 0;
		goto fail;
	}
	for (err_n = ike_msg_find(m, PL_NOTIFY, NULL); err_n;
	     err_n = ike_msg_find(m, PL_NOTIFY, err_n)) {
		if (ike_notify_is_error(err_n->u.notify.type)) {
			engine_log(sa->e, sa, 4,
				   "IKE_SA_INIT refused by peer: "
				   "%s",
				   ike_notify_type_name(err_n->u.notify.type)
					   ?: "?");
			err = -ENG_ERR_PEER;
			goto fail;
		}
	}
	if ((err = init_accept_i(sa, m)) ||
	    (err = init_derive(sa, &ike_msg_find(m, PL_KE, NULL)->u.ke)))
		goto fail;
	ike_sa_ke_free(sa);
	nat_check(sa, m);
	sig_hash_parse(sa, m);
	win_request_done(sa, m->hdr.msg_id);
	sa->init_resp = init_dup(m->raw.ptr, m->raw.len);
	sa->init_resp_len = m->raw.len;
	if (!sa->init_resp) {
		err = -ENG_ERR_NOMEM;
		goto fail;
	}
	/* §2.23: behind a NAT (or when asked to), move to port 4500; with
	 * MOBIKE always (RFC 4555 §3.3: a NAT may appear later) */
	if (sa->nat_local || sa->nat_remote || sa->conn->force_encap ||
	    sa->conn->mobike) {
		sa->local.port = IKE_NATT_PORT;
		sa->remote.port = IKE_NATT_PORT;
		sa->natt = true;
	}
	if (engine_log_enabled(sa->e, 6))
		engine_log(sa->e, sa, 6, "IKE_SA_INIT done with %s",
			   proposal_str(&sa->alg, alg, sizeof(alg)));
	if ((err = ike_auth_build_i(sa, now)))
		goto fail;
	return 0;
fail:
	engine_log(sa->e, sa, 4, "IKE_SA_INIT failed: %s; deleting IKE SA",
		   engine_err_name(err));
	ike_sa_destroy(sa, err);
	return EXCH_SA_GONE;
}
