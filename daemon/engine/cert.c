/* Certificates in IKE_AUTH (RFC 7296 §3.6, §3.7, RFC 4945): the CERT and
 * CERTREQ payloads we send, and the verification of the peer's
 * certificate: its chain through intermediates to one of the CAs the
 * connection trusts, validity, revocation by CRLs, key usage and purpose
 * (crypto/auth.c, auth_trust_verify), then the identity it must name
 * exactly (auth_cert_names_id). Kept apart from the files that include
 * crypto/skp.h (OpenSSL's safestack defines sk_new). */
#include "engine/ike_sa.h"

#include "crypto/auth.h"

#include <string.h>

enum { CERT_PEER_MAX = 8 }; /* CERT payloads looked at: leaf + 7 CAs */

size_t cert_req_hashes(const struct engine_conn *c, uint8_t *out, size_t n,
		       size_t max)
{
	const struct engine_auth *r = &c->remote_auth;
	size_t anchors = auth_trust_anchors(r->trust);

	if (r->method != ENGINE_AUTH_PUBKEY || r->key || c->no_certreq)
		return n;
	for (size_t i = 0; i < anchors && n < max; i++) {
		const uint8_t *h = auth_trust_anchor_hash(r->trust, i);
		bool dup = false;

		for (size_t k = 0; k < n && !dup; k++)
			dup = !memcmp(out + 20 * k, h, 20);
		if (!dup)
			memcpy(out + 20 * n++, h, 20);
	}
	return n;
}

static int cert_add(struct ike_msg *m, const struct auth_cert *cert)
{
	struct ike_payload *p;
	const uint8_t *der;
	size_t len;

	if (auth_cert_der(cert, &der, &len) || !(p = ike_msg_add(m, PL_CERT)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	p->u.cert.encoding = CERT_X509_SIGNATURE;
	p->u.cert.data = (struct ike_bytes){ der, len };
	return 0;
}

int cert_add_payloads(struct ike_sa *sa, struct ike_msg *m, uint8_t *certreq)
{
	const struct engine_conn *c = sa->conn;
	const struct engine_auth *l = &c->local_auth;
	struct ike_payload *p;
	bool send =
		c->send_cert == ENGINE_SEND_CERT_ALWAYS ||
		(c->send_cert == ENGINE_SEND_CERT_IFASKED && sa->peer_certreq);
	size_t n;
	int err;

	if (l->method == ENGINE_AUTH_PUBKEY && l->cert && send) {
		if ((err = cert_add(m, l->cert)))
			return err;
		for (size_t i = 0; i < l->n_chain && i < ENGINE_CHAIN_MAX; i++)
			if ((err = cert_add(m, l->chain[i])))
				return err;
	}
	/* The responder named its CAs in IKE_SA_INIT already. */
	if (!sa->initiator ||
	    !(n = cert_req_hashes(c, certreq, 0, CERT_REQ_MAX)))
		return 0;
	if (!(p = ike_msg_add(m, PL_CERTREQ)))
		return -ENG_ERR_NOMEM;
	p->inner = true;
	p->u.cert.encoding = CERT_X509_SIGNATURE;
	p->u.cert.data = (struct ike_bytes){ certreq, 20 * n };
	return 0;
}

int cert_verify_peer(struct ike_sa *sa, const struct ike_msg *m,
		     const struct ike_pl_id *id, struct auth_key **key)
{
	const struct auth_trust *trust = sa->conn->remote_auth.trust;
	struct auth_cert *certs[CERT_PEER_MAX];
	const struct ike_payload *p;
	struct engine *e = sa->e;
	size_t n = 0;
	int64_t now = -1;
	char why[160];
	int err = -ENG_ERR_AUTH;

	*key = NULL;
	if (!trust || !auth_trust_anchors(trust)) {
		engine_log(e, sa, 4, "no CA to verify the peer certificate");
		return -ENG_ERR_AUTH;
	}
	for (p = ike_msg_find(m, PL_CERT, NULL); p && n < CERT_PEER_MAX;
	     p = ike_msg_find(m, PL_CERT, p)) {
		if (p->u.cert.encoding != CERT_X509_SIGNATURE)
			continue;
		if (auth_cert_from_der(p->u.cert.data.ptr, p->u.cert.data.len,
				       &certs[n])) {
			engine_log(e, sa, 4, "peer certificate %zu unreadable",
				   n + 1);
			goto out;
		}
		n++;
	}
	if (!n) {
		engine_log(e, sa, 4, "peer sent no X.509 certificate");
		return -ENG_ERR_AUTH;
	}
	if (e->realtime)
		now = e->realtime(e->env.ctx);
	else
		engine_log(e, sa, 6,
			   "no wall clock: certificate validity "
			   "periods not checked");
	/* §3.6: the first certificate holds the key that signed AUTH */
	if (auth_trust_verify(trust, certs[0],
			      (const struct auth_cert *const *)certs + 1, n - 1,
			      now, why, sizeof(why))) {
		engine_log(e, sa, 4, "peer certificate not trusted: %s", why);
		goto out;
	}
	if (!auth_cert_names_id(certs[0], id->type, id->data.ptr,
				id->data.len)) {
		engine_log(e, sa, 4,
			   "peer certificate does not name its %s identity",
			   ike_id_type_name(id->type) ?: "?");
		err = -ENG_ERR_ID;
		goto out;
	}
	engine_log(e, sa, 6, "peer certificate trusted (%zu CERT payload%s)", n,
		   n == 1 ? "" : "s");
	err = auth_cert_key(certs[0], key) ? -ENG_ERR_CRYPTO : 0;
out:
	for (size_t i = 0; i < n; i++)
		auth_cert_free(certs[i]);
	return err;
}
