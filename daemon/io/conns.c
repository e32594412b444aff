/* From configuration to engine; see conns.h. */
#include "io/conns.h"

#include "crypto/auth.h"
#include "crypto/mschapv2.h"
#include "engine/ident.h"
#include "ike_iana.h"
#include "io/conns_kernel.h"
#include "io/creds.h"
#include "io/vip.h"
#include "kernel/kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Work area for one build: where errors go and which keys were loaded. */
struct conns_ctx {
	const struct kb_config *cfg;
	struct conns *out;
	struct conf_diag *diag;
	const struct kb_conn *conn; /* the connection being built */
	const struct conns *prev;   /* a reload's current table, or NULL */
	uint32_t *next_reqid;
	const struct conns_opts *opts; /* backend capabilities, or NULL */
	struct creds *creds;	       /* the swanctl directory's */
};

static void conns_say(const struct conns_ctx *x, struct conf_diag *d,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A message about connection x->conn, located at its section
 * ("file:line: conn NAME: …") so the operator finds it. */
static void conns_say(const struct conns_ctx *x, struct conf_diag *d,
		      const char *fmt, ...)
{
	const struct kb_conn *c = x->conn;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_diag_add(d, c && c->src_file[0] ? c->src_file : NULL,
		      c ? c->src_line : 0, NULL, "%s", msg);
}

#define conns_err(x, ...) conns_say((x), (x)->diag, "conn " __VA_ARGS__)

static int conns_keep_key(struct conns_ctx *x, struct auth_key *key)
{
	struct auth_key **k;

	k = realloc(x->out->keys, (x->out->n_keys + 1) * sizeof(*k));
	if (!k) {
		auth_key_free(key);
		return -ENOMEM;
	}
	x->out->keys = k;
	k[x->out->n_keys++] = key;
	return 0;
}

static int conns_keep_cert(struct conns_ctx *x, struct auth_cert *cert)
{
	struct auth_cert **c;

	c = realloc(x->out->certs, (x->out->n_certs + 1) * sizeof(*c));
	if (!c) {
		auth_cert_free(cert);
		return -ENOMEM;
	}
	x->out->certs = c;
	c[x->out->n_certs++] = cert;
	return 0;
}

static int conns_keep_trust(struct conns_ctx *x, struct auth_trust *t)
{
	struct auth_trust **k;

	k = realloc(x->out->trusts, (x->out->n_trusts + 1) * sizeof(*k));
	if (!k) {
		auth_trust_free(t);
		return -ENOMEM;
	}
	x->out->trusts = k;
	k[x->out->n_trusts++] = t;
	return 0;
}

/* Loads the certificate at `path` for connection x->conn. */
static int conns_load_cert(struct conns_ctx *x, const char *side,
			   const char *path, const struct auth_cert **out)
{
	struct auth_cert *cert;

	if (auth_cert_load(path, &cert)) {
		conns_err(x, "%s: %s: cannot load certificate '%s'",
			  x->conn->name, side, path);
		return -EINVAL;
	}
	*out = cert;
	return conns_keep_cert(x, cert);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "C=CH, O=Example, CN=moon" → DER Name (RFC 5280 §4.1.2.4). */
static int conns_dn_parse(const char *text, struct engine_id *out)
{
	X509_NAME *name = X509_NAME_new();
	char buf[ENGINE_ID_MAX], *save = NULL, *rdn;
	unsigned char *der = NULL;
	int len, r = -EINVAL;

	if (!name || strlen(text) >= sizeof(buf))
		goto out;
	strcpy(buf, text);
	for (rdn = strtok_r(buf, ",/", &save); rdn;
	     rdn = strtok_r(NULL, ",/", &save)) {
		char *eq = strchr(rdn, '=');

		while (*rdn == ' ')
			rdn++;
		if (!eq || eq == rdn)
			goto out;
		*eq = 0;
		if (!X509_NAME_add_entry_by_txt(name, rdn, MBSTRING_UTF8,
						(unsigned char *)eq + 1, -1, -1,
						0))
			goto out;
	}
	len = i2d_X509_NAME(name, &der);
	if (len <= 0 || len > ENGINE_ID_MAX)
		goto out;
	memcpy(out->data, der, (size_t)len);
	out->len = (uint16_t)len;
	r = 0;
out:
	OPENSSL_free(der);
	X509_NAME_free(name);
	return r;
}

int conns_id_parse(const char *text, uint8_t type, struct engine_id *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	if (strcmp(text, "%any") == 0 || type == 0)
		return 0;
	out->type = type;
	switch (type) {
	case ID_IPV4_ADDR:
		out->len = 4;
		return inet_pton(AF_INET, text, out->data) == 1 ? 0 : -EINVAL;
	case ID_IPV6_ADDR:
		out->len = 16;
		return inet_pton(AF_INET6, text, out->data) == 1 ? 0 : -EINVAL;
	case ID_DER_ASN1_DN: return conns_dn_parse(text, out);
	case ID_KEY_ID:
		if (strncmp(text, "@#", 2) != 0)
			break;
		text += 2;
		n = strlen(text);
		if (n % 2 || n / 2 > ENGINE_ID_MAX)
			return -EINVAL;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hex_nibble(text[2 * i]);
			int lo = hex_nibble(text[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			out->data[i] = (uint8_t)(hi << 4 | lo);
		}
		out->len = (uint16_t)(n / 2);
		return 0;
	}
	/* FQDN, RFC822 and KEY_ID as text: "@" only marks an FQDN. */
	if (type == ID_FQDN && text[0] == '@')
		text++;
	n = strlen(text);
	if (n == 0 || n > ENGINE_ID_MAX)
		return -EINVAL;
	memcpy(out->data, text, n);
	out->len = (uint16_t)n;
	return 0;
}

/* First usable entry of local_addrs / remote_addrs: an address, or a name
 * — with `fqdn` (remote_addrs) given to the caller to resolve later, else
 * resolved now. Subnets, ranges and %any accept any address (family 0). */
static int conns_addr(struct conns_ctx *x, const struct kb_addr *list,
		      uint8_t n, uint16_t port, struct engine_addr *out,
		      const struct kb_addr **fqdn)
{
	memset(out, 0, sizeof(*out));
	out->port = port;
	for (uint8_t i = 0; i < n; i++) {
		const struct kb_addr *a = &list[i];
		struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;

		if (a->type == KB_ADDR_HOST) {
			out->family = a->family;
			memcpy(out->ip, a->from, 16);
			return 0;
		}
		if (a->type != KB_ADDR_FQDN)
			continue;
		if (fqdn) {
			*fqdn = a;
			return 0;
		}
		hints.ai_family = a->family;
		if (getaddrinfo(a->fqdn, NULL, &hints, &ai) != 0) {
			conns_err(x, "%s: cannot resolve '%s'", x->conn->name,
				  a->fqdn);
			return -ENOENT;
		}
		out->family = (uint8_t)ai->ai_family;
		if (ai->ai_family == AF_INET)
			memcpy(out->ip,
			       &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
			       4);
		else
			memcpy(out->ip,
			       &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
			       16);
		freeaddrinfo(ai);
		return 0;
	}
	return 0;
}

void conns_proposal(const struct kb_proposal *p, struct engine_proposal *out)
{
	memset(out, 0, sizeof(*out));
#define ADD(t, i, k)                                                           \
	do {                                                                   \
		if (out->n < ENGINE_MAX_XFORMS)                                \
			out->x[out->n++] = (struct engine_xform){ t, i, k };   \
	} while (0)
	for (unsigned i = 0; i < p->n_encr; i++)
		ADD(TRANS_ENCR, p->encr[i].id, p->encr[i].key_len);
	for (unsigned i = 0; i < p->n_prf; i++)
		ADD(TRANS_PRF, p->prf[i], 0);
	for (unsigned i = 0; i < p->n_integ; i++)
		ADD(TRANS_INTEG, p->integ[i], 0);
	for (unsigned i = 0; i < p->n_ke; i++)
		ADD(TRANS_KE, p->ke[i], 0);
	for (unsigned i = 0; i < p->n_esn; i++)
		ADD(TRANS_ESN, p->esn[i], 0);
#undef ADD
}

static uint8_t conns_proposals(const struct kb_proposals *ps,
			       struct engine_proposal *out)
{
	uint8_t n = 0;

	/* the caller checked the limits with conns_proposals_fit() */
	for (unsigned i = 0; i < ps->count; i++)
		conns_proposal(&ps->p[i], &out[n++]);
	return n;
}

/* True if every proposal fits the engine's limits (nothing would be cut
 * off silently). */
static bool conns_proposals_fit(struct conns_ctx *x,
				const struct kb_proposals *ps, const char *what)
{
	if (ps->count > ENGINE_MAX_PROPOSALS) {
		conns_err(x, "%s: %s: more than %d proposals", x->conn->name,
			  what, ENGINE_MAX_PROPOSALS);
		return false;
	}
	for (unsigned i = 0; i < ps->count; i++) {
		const struct kb_proposal *p = &ps->p[i];
		unsigned n =
			p->n_encr + p->n_integ + p->n_prf + p->n_ke + p->n_esn;

		if (n > ENGINE_MAX_XFORMS) {
			conns_err(x,
				  "%s: %s: proposal %u has %u algorithms, "
				  "at most %d are supported",
				  x->conn->name, what, i + 1, n,
				  ENGINE_MAX_XFORMS);
			return false;
		}
	}
	return true;
}

/* A configured selector; "dynamic" is the tunnel endpoint's own address
 * (RFC 7296 §2.9: the initiator's TSi then contains its address). */
static void conns_ts(const struct kb_ts *t, const struct engine_addr *self,
		     struct engine_ts *out)
{
	memset(out, 0, sizeof(*out));
	out->proto = t->proto;
	out->port_lo = t->port_from;
	out->port_hi = t->port_to;
	if (t->dynamic && self->family) {
		out->type = self->family == AF_INET ? TS_IPV4_ADDR_RANGE
						    : TS_IPV6_ADDR_RANGE;
		memcpy(out->start, self->ip, 16);
		memcpy(out->end, self->ip, 16);
		return;
	}
	if (t->dynamic) { /* address unknown until negotiation: any */
		out->type = TS_IPV4_ADDR_RANGE;
		memset(out->end, 0xff, 4);
		return;
	}
	out->type =
		t->family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
	memcpy(out->start, t->from, 16);
	memcpy(out->end, t->to, 16);
}

/* The reqid of child `name` of the connection being built: the one it had
 * before a reload, else the next never-used one. */
static uint32_t conns_reqid(struct conns_ctx *x, const char *name)
{
	int i = x->prev ? conns_find(x->prev, x->conn->name) : -1;

	if (i >= 0) {
		const struct engine_conn *c = &x->prev->conn[i];

		for (unsigned k = 0; k < c->n_children; k++)
			if (strcmp(c->children[k].name, name) == 0)
				return c->children[k].reqid;
	}
	return (*x->next_reqid)++;
}

static int conns_child(struct conns_ctx *x, const struct kb_child *ch,
		       struct engine_conn *ec, struct engine_child_cfg *out)
{
	memset(out, 0, sizeof(*out));
	if (strlen(ch->name) >= sizeof(out->name)) {
		conns_err(x, "%s: child name '%s' longer than %zu characters",
			  x->conn->name, ch->name, sizeof(out->name) - 1);
		return -EINVAL;
	}
	memcpy(out->name, ch->name, strlen(ch->name) + 1);
	out->mode = ch->mode == KB_MODE_TRANSPORT ? ENGINE_MODE_TRANSPORT
						  : ENGINE_MODE_TUNNEL;
	if (ch->n_local_ts > ENGINE_MAX_TS || ch->n_remote_ts > ENGINE_MAX_TS) {
		conns_err(x,
			  "%s: child %s: more than %d traffic selectors per "
			  "side are not supported yet",
			  x->conn->name, ch->name, ENGINE_MAX_TS);
		return -ENOTSUP;
	}
	if ((ch->start_action & KB_START_TRAP) && ec->remote_pending) {
		conns_err(x,
			  "%s: child %s: start_action = trap with a DNS name "
			  "in remote_addrs is not supported by keybridge (the "
			  "trap policies need the peer's address; give it)",
			  x->conn->name, ch->name);
		return -ENOTSUP;
	}
	if ((ch->start_action & KB_START_TRAP) &&
	    (!ec->local.family || !ec->remote.family)) {
		conns_err(x,
			  "%s: child %s: start_action = trap needs fixed "
			  "local_addrs and remote_addrs (a trap for an "
			  "unknown peer would catch all traffic)",
			  x->conn->name, ch->name);
		return -EINVAL;
	}
	struct kb_proposals esp = ch->esp_proposals;

	if (conns_kernel_child(x->opts, x->conn->name, ch, &esp, x->diag,
			       &x->out->warnings) < 0)
		return -ENOTSUP;
	if (!conns_proposals_fit(x, &esp, "esp_proposals"))
		return -ENOTSUP;
	out->n_esp = conns_proposals(&esp, out->esp);
	/* both counts were checked against ENGINE_MAX_TS above */
	for (unsigned i = 0; i < ch->n_local_ts; i++)
		conns_ts(&ch->local_ts[i], &ec->local, &out->local_ts[i]);
	for (unsigned i = 0; i < ch->n_remote_ts; i++)
		conns_ts(&ch->remote_ts[i], &ec->remote, &out->remote_ts[i]);
	out->n_local_ts = ch->n_local_ts;
	out->n_remote_ts = ch->n_remote_ts;
	vip_conn_ts(x->cfg, x->conn, ch, out);
	out->reqid = conns_reqid(x, ch->name);
	/* swanctl.conf: rekey_* are the soft limits, life_* the hard ones,
	 * rand_* the jitter taken off the soft ones (doc/rekeying.md). */
	out->life_soft_s = ch->rekey_time;
	out->life_hard_s = ch->life_time;
	out->rand_s = ch->rand_time;
	out->life_soft_bytes = ch->rekey_bytes;
	out->life_hard_bytes = ch->life_bytes;
	out->rand_bytes = ch->rand_bytes;
	out->life_soft_packets = ch->rekey_packets;
	out->life_hard_packets = ch->life_packets;
	out->rand_packets = ch->rand_packets;
	out->replay_window = ch->replay_window;
	out->mark_in =
		(struct engine_mark){ ch->mark_in.value, ch->mark_in.mask };
	out->mark_out =
		(struct engine_mark){ ch->mark_out.value, ch->mark_out.mask };
	out->mark_in_sa = ch->mark_in_sa;
	out->if_id_in = ch->if_id_in;
	out->if_id_out = ch->if_id_out;
	return 0;
}

/* The public key a round names: its first pubkeys or certs entry. */
static int conns_round_public(struct conns_ctx *x,
			      const struct kb_auth_round *r, const char *side,
			      struct auth_key **out)
{
	const char *path = r->n_pubkeys ? r->pubkeys[0]
			   : r->n_certs ? r->certs[0]
					: NULL;

	*out = NULL;
	if (!path) {
		conns_err(x,
			  "%s: %s: public key authentication needs pubkeys, "
			  "certs or (remote) cacerts",
			  x->conn->name, side);
		return -ENOENT;
	}
	if (auth_key_load_public(path, out)) {
		conns_err(x,
			  "%s: %s: cannot load public key or certificate '%s'",
			  x->conn->name, side, path);
		return -EINVAL;
	}
	return 0;
}

/* Our key and certificate: the certificate or public key local names, or
 * the certificate of x509/ (or pkcs12/) that names our identity, and the
 * private key whose public key is its (swanctl loads them so). */
static int conns_local_key(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_auth_round *l = &x->conn->local;
	const struct engine_id *id = &ec->local_auth.id;
	struct creds_item *it = NULL, *priv;
	struct auth_key *pub = NULL;
	const char *what;
	int r;

	if (l->n_pubkeys || l->n_certs) {
		if ((r = conns_round_public(x, l, "local", &pub)))
			return r;
		what = l->n_pubkeys ? l->pubkeys[0] : l->certs[0];
	} else if (id->type) {
		it = creds_cert_for_id(x->creds, id->type, id->data, id->len);
		if (!it) {
			conns_err(x,
				  "%s: local: no certificate in %s/x509 or "
				  "pkcs12 names identity '%s' (and local "
				  "names no certs or pubkeys)",
				  x->conn->name, x->cfg->dir, l->id);
			return -ENOENT;
		}
		it->used = true;
		ec->local_auth.cert = it->cert;
		what = it->path;
	} else {
		conns_err(x,
			  "%s: local: public key authentication needs certs, "
			  "pubkeys, or an id that a certificate in x509/ "
			  "names",
			  x->conn->name);
		return -ENOENT;
	}
	priv = creds_private_for(x->creds, pub ? pub : it->key);
	auth_key_free(pub);
	if (!priv) {
		conns_err(x,
			  "%s: local: no private key in private/, rsa/, "
			  "ecdsa/, pkcs8/ or pkcs12/ (nor a file of "
			  "secrets) matches '%s'",
			  x->conn->name, what);
		return -ENOENT;
	}
	ec->local_auth.key = priv->key;
	return 0;
}

static bool conns_id_listed(const struct kb_ike_secret *s, const char *id)
{
	for (unsigned i = 0; i < s->n_ids; i++)
		if (strcmp(s->ids[i], id) == 0)
			return true;
	return false;
}

/* Pre-shared keys: the table of every secrets.ike* (the engine chooses by
 * the pair of identities in IKE_AUTH). A peer named exactly must have a
 * key now; one named by %any or a wildcard is looked up when it comes. */
static int conns_psk(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct engine_id *me = &ec->local_auth.id;
	const struct engine_id *peer = &ec->remote_auth.id;
	const struct psks *t = &x->out->psks;
	const uint8_t *key;
	const char *name;
	size_t len;

	ec->psks = t->keys;
	ec->n_psks = t->n;
	if (!t->n) {
		conns_err(x,
			  "%s: auth = psk and no usable secrets.ike<suffix> "
			  "section holds a key",
			  x->conn->name);
		return -ENOENT;
	}
	if (peer->type && !strchr(x->conn->remote.id, '*') &&
	    ident_psk(ec, me, peer, &key, &len, &name)) {
		conns_err(x,
			  "%s: no ike secret for local id '%s' and remote "
			  "id '%s'",
			  x->conn->name, x->conn->local.id, x->conn->remote.id);
		return -ENOENT;
	}
	return 0;
}

/* local.auth = eap-mschapv2: we are the EAP client; our EAP identity
 * (eap_id, else the IKE identity) and the password of the eap secret
 * that lists it. */
static int conns_eap_client(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_auth_round *l = &x->conn->local;
	const char *me = l->eap_id[0] ? l->eap_id : l->id;
	struct engine_eap_user *u = &ec->eap_client;
	const struct kb_ike_secret *s = NULL;

	if (!*me || strcmp(me, "%any") == 0 || strlen(me) > sizeof(u->id)) {
		conns_err(x,
			  "%s: local.auth = eap-mschapv2 needs our EAP "
			  "identity in local.eap_id or local.id",
			  x->conn->name);
		return -EINVAL;
	}
	if (x->conn->remote.auth == KB_AUTH_PSK) {
		conns_err(x,
			  "%s: local.auth = eap-mschapv2 needs the peer to "
			  "prove itself with a signature (RFC 7296 §2.16), "
			  "not psk",
			  x->conn->name);
		return -ENOTSUP;
	}
	for (size_t i = 0; !s && i < x->cfg->n_eap_secrets; i++)
		if (conns_id_listed(&x->cfg->eap_secrets[i], me))
			s = &x->cfg->eap_secrets[i];
	if (!s) {
		conns_err(x, "%s: no secrets.eap<suffix> lists the id '%s'",
			  x->conn->name, me);
		return -ENOENT;
	}
	if (mschapv2_nt_hash(s->secret, s->secret_len, u->nt_hash)) {
		conns_err(x,
			  "%s: the password of secrets.%s is not UTF-8 text "
			  "of at most %d characters",
			  x->conn->name, s->name, MSCHAPV2_PASSWORD_MAX);
		return -EINVAL;
	}
	u->id_len = (uint16_t)strlen(me);
	memcpy(u->id, me, u->id_len);
	ec->local_auth.method = ENGINE_AUTH_EAP_MSCHAPV2;
	return 0;
}

/* Our side: a pre-shared key, or a private key paired with the configured
 * public key or certificate (the certificate is also sent, RFC 7296
 * §3.6); or EAP. */
static int conns_auth_local(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_auth_round *l = &x->conn->local;
	int r;

	if (l->auth == KB_AUTH_EAP_MSCHAPV2)
		return conns_eap_client(x, ec);
	if (l->auth == KB_AUTH_PSK) {
		ec->local_auth.method = ENGINE_AUTH_PSK;
		return 0;
	}
	ec->local_auth.method = ENGINE_AUTH_PUBKEY;
	r = conns_local_key(x, ec);
	if (!r && l->n_certs)
		r = conns_load_cert(x, "local", l->certs[0],
				    &ec->local_auth.cert);
	if (!r && ec->local_auth.cert)
		ec->local_auth.n_chain = (uint8_t)creds_chain(
			x->creds, ec->local_auth.cert, ec->local_auth.chain,
			ENGINE_CHAIN_MAX);
	return r;
}

/* The CAs the peer's certificate may chain to: those `anchors` names
 * (remote.cacerts), or every CA of x509ca/; intermediates and CRLs of the
 * swanctl directory come along (creds_trust). */
static int conns_remote_trust(struct conns_ctx *x, struct engine_conn *ec,
			      const struct auth_cert *const *anchors,
			      size_t n_anchors)
{
	struct auth_trust *t;
	int r = creds_trust(x->creds, anchors, n_anchors, &t);

	if (r)
		return r;
	ec->remote_auth.trust = t;
	return conns_keep_trust(x, t);
}

/* The peer names no certificate or key: as swanctl, trust every CA of
 * x509ca/, or else a certificate of x509/ that names the peer's
 * identity. */
static int conns_remote_default(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct engine_id *id = &ec->remote_auth.id;
	struct creds *cr = x->creds;
	struct creds_item *it;

	if (cr->n_cas)
		return conns_remote_trust(x, ec, NULL, 0);
	if (id->type &&
	    (it = creds_cert_for_id(cr, id->type, id->data, id->len))) {
		it->used = true;
		ec->remote_auth.key = it->key;
		return 0;
	}
	conns_err(x,
		  "%s: remote: public key authentication needs certs, "
		  "pubkeys, cacerts, a CA certificate in x509ca/ or a "
		  "certificate in x509/ naming the remote id",
		  x->conn->name);
	return -ENOENT;
}

/* remote.cacerts: each file one trust anchor. */
static int conns_remote_cacerts(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_auth_round *rr = &x->conn->remote;
	const struct auth_cert *cas[KB_CONF_MAX_FILES];
	int r;

	for (unsigned i = 0; i < rr->n_cacerts; i++) {
		if ((r = conns_load_cert(x, "remote", rr->cacerts[i], &cas[i])))
			return r;
		if (!auth_cert_is_ca(cas[i])) {
			conns_err(x,
				  "%s: remote: cacerts '%s' is not a CA "
				  "certificate (basicConstraints CA:TRUE)",
				  x->conn->name, rr->cacerts[i]);
			return -EINVAL;
		}
	}
	return conns_remote_trust(x, ec, cas, rr->n_cacerts);
}

/* The users of secrets.eap* for every EAP connection: each id with the NT
 * hash of the password (all EAP-MSCHAPv2 needs; RFC 2759 §8.3). */
static int conns_eap_users(struct conns_ctx *x)
{
	const struct kb_config *cfg = x->cfg;
	struct engine_eap_user *u;
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_eap_secrets; i++)
		n += cfg->eap_secrets[i].n_ids;
	if (!n)
		return 0;
	if (!(u = calloc(n, sizeof(*u))))
		return -ENOMEM;
	x->out->eap_users = u;
	x->conn = NULL;
	for (size_t i = 0; i < cfg->n_eap_secrets; i++) {
		const struct kb_ike_secret *s = &cfg->eap_secrets[i];

		for (unsigned k = 0; k < s->n_ids; k++) {
			size_t len = strlen(s->ids[k]);

			if (len > sizeof(u->id) ||
			    mschapv2_nt_hash(s->secret, s->secret_len,
					     u->nt_hash)) {
				conns_say(x, x->diag,
					  "secrets.%s: the id '%s' or its "
					  "password does not fit EAP-MSCHAPv2 "
					  "(UTF-8 text of at most %d "
					  "characters)",
					  s->name, s->ids[k],
					  MSCHAPV2_PASSWORD_MAX);
				continue;
			}
			memcpy(u->id, s->ids[k], len);
			u->id_len = (uint16_t)len;
			u++;
			x->out->n_eap_users++;
		}
	}
	return 0;
}

/* remote.auth = eap-mschapv2 (RFC 7296 §2.16): we are the EAP server and
 * prove ourselves with a signature; eap_id says which users may come. */
static int conns_auth_eap(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_auth_round *rr = &x->conn->remote;

	if (x->conn->local.auth == KB_AUTH_PSK) {
		conns_err(x,
			  "%s: remote.auth = eap-mschapv2 needs local "
			  "public key authentication (RFC 7296 §2.16), not "
			  "psk",
			  x->conn->name);
		return -ENOTSUP;
	}
	if (!x->out->n_eap_users) {
		conns_err(x,
			  "%s: remote.auth = eap-mschapv2 and no usable "
			  "secrets.eap<suffix> section holds a user",
			  x->conn->name);
		return -ENOENT;
	}
	ec->remote_auth.method = ENGINE_AUTH_EAP_MSCHAPV2;
	ec->eap_users = x->out->eap_users;
	ec->n_eap_users = x->out->n_eap_users;
	if (!rr->eap_id[0]) {
		ec->eap_id_mode = ENGINE_EAP_ID_IKE;
	} else if (strcmp(rr->eap_id, "%any") == 0) {
		ec->eap_id_mode = ENGINE_EAP_ID_ANY;
	} else {
		ec->eap_id_mode = ENGINE_EAP_ID_FIXED;
		ec->eap_id_len = (uint16_t)strlen(rr->eap_id);
		memcpy(ec->eap_id, rr->eap_id, ec->eap_id_len);
	}
	return 0;
}

/* The peer: a pre-shared key, its own public key or certificate (pinned),
 * or a certificate issued by the configured CA (cacerts); or EAP. */
static int conns_auth_remote(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_auth_round *rr = &x->conn->remote;
	struct auth_key *peer;
	int r;

	if (rr->auth == KB_AUTH_EAP_MSCHAPV2)
		return conns_auth_eap(x, ec);
	if (rr->auth == KB_AUTH_PSK) {
		ec->remote_auth.method = ENGINE_AUTH_PSK;
		return 0;
	}
	ec->remote_auth.method = ENGINE_AUTH_PUBKEY;
	if (!rr->n_pubkeys && !rr->n_certs && rr->n_cacerts)
		return conns_remote_cacerts(x, ec);
	if (!rr->n_pubkeys && !rr->n_certs)
		return conns_remote_default(x, ec);
	r = conns_round_public(x, rr, "remote", &peer);
	if (r)
		return r;
	ec->remote_auth.key = peer;
	return conns_keep_key(x, peer);
}

/* The signature rules of a round (auth = rsa/pss-sha256, ecdsa-384, …)
 * for the engine. A key that cannot keep them, or a hash list keybridge
 * cannot sign IKE with, is refused now rather than failing every
 * IKE_AUTH. */
static int conns_sig_rules(struct conns_ctx *x, const struct kb_auth_round *r,
			   struct engine_auth *a, const char *side)
{
	static const uint8_t fam[] = {
		[KB_AUTH_PUBKEY] = AUTH_SIGF_ANY,
		[KB_AUTH_RSA] = AUTH_SIGF_RSA,
		[KB_AUTH_RSA_PSS] = AUTH_SIGF_RSA_PSS,
		[KB_AUTH_ECDSA] = AUTH_SIGF_ECDSA,
		[KB_AUTH_ED25519] = AUTH_SIGF_ED25519,
	};
	uint32_t hashes = 0;

	if (a->method != ENGINE_AUTH_PUBKEY || (size_t)r->auth >= sizeof(fam))
		return 0;
	for (unsigned i = 0; i < r->n_hashes; i++)
		hashes |= 1u << r->hashes[i];
	a->sig_family = fam[r->auth];
	a->sig_min_bits = r->key_bits;
	a->sig_hashes = (uint16_t)(hashes & auth_hash_supported());
	if (hashes && (!a->sig_hashes || a->sig_family == AUTH_SIGF_ED25519)) {
		conns_err(x,
			  "%s: %s.auth: %s; RFC 7427 signatures here use "
			  "sha256, sha384 or sha512",
			  x->conn->name, side,
			  a->sig_family == AUTH_SIGF_ED25519
				  ? "ed25519 signs without a separate hash "
				    "(RFC 8420): leave the hashes out"
				  : "none of its hashes is supported by "
				    "keybridge");
		return -ENOTSUP;
	}
	if (a->key && !auth_key_fits(a->key, a->sig_family, a->sig_min_bits)) {
		char size[32] = "";

		if (a->sig_min_bits)
			snprintf(size, sizeof(size), " (at least %u bits)",
				 a->sig_min_bits);
		conns_err(x,
			  "%s: %s.auth = %s%s cannot be kept with the %s key "
			  "of %u bits: it is of another kind%s",
			  x->conn->name, side,
			  auth_sig_family_name(a->sig_family), size,
			  side[0] == 'l' ? "private" : "peer's",
			  auth_key_bits(a->key),
			  a->sig_min_bits ? " or smaller" : "");
		return -EINVAL;
	}
	return 0;
}

static int conns_auth(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_auth_round *l = &x->conn->local, *rr = &x->conn->remote;
	int r;

	if (conns_id_parse(l->id, l->id_type, &ec->local_auth.id) ||
	    conns_id_parse(rr->id, rr->id_type, &ec->remote_auth.id)) {
		conns_err(x, "%s: bad identity '%s' or '%s'", x->conn->name,
			  l->id, rr->id);
		return -EINVAL;
	}
	if (psks_dn_wildcard(rr->id, rr->id_type)) {
		conns_err(x,
			  "%s: remote.id '%s': wildcards in a distinguished "
			  "name are not supported by keybridge (in FQDN and "
			  "e-mail identities they are: *@example.org)",
			  x->conn->name, rr->id);
		return -ENOTSUP;
	}
	if (l->auth == KB_AUTH_PSK || rr->auth == KB_AUTH_PSK) {
		r = conns_psk(x, ec);
		if (r)
			return r;
	}
	r = conns_auth_local(x, ec);
	if (!r)
		r = conns_auth_remote(x, ec);
	if (!r)
		r = conns_sig_rules(x, l, &ec->local_auth, "local");
	return r ? r : conns_sig_rules(x, rr, &ec->remote_auth, "remote");
}

/* FNV-1a over the connection's settings: a reload restarts only the
 * connections whose digest changed. */
static uint64_t conns_digest(const struct kb_conn *c)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const uint8_t *p = (const uint8_t *)c;

	for (size_t i = 0; i < offsetof(struct kb_conn, children); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	for (size_t k = 0; k < c->n_children; k++) {
		p = (const uint8_t *)&c->children[k];
		for (size_t i = 0; i < offsetof(struct kb_child, src_file); i++)
			h = (h ^ p[i]) * 0x100000001b3ULL;
	}
	return h;
}

#define conns_warn(x, ...)                                                     \
	conns_say((x), &(x)->out->warnings, "conn " __VA_ARGS__)

/* mobike = yes (RFC 4555): the CHILD SAs move with the IKE SA, which the
 * kernel does with XFRM_MSG_MIGRATE in tunnel mode only. */
static int conns_mobike(struct conns_ctx *x, struct engine_conn *ec)
{
	const struct kb_conn *c = x->conn;

	ec->mobike = c->mobike;
	if (!c->mobike)
		return 0;
	for (size_t i = 0; i < c->n_children; i++) {
		if (c->children[i].mode != KB_MODE_TRANSPORT)
			continue;
		conns_err(x,
			  "%s: mobike = yes with child %s in transport mode: "
			  "its selectors are the old addresses, and moving "
			  "the SAs would not move them (use mode = tunnel, "
			  "or mobike = no)",
			  c->name, c->children[i].name);
		return -ENOTSUP;
	}
	if (x->opts && x->opts->caps && !x->opts->caps->migrate) {
		conns_err(x,
			  "%s: mobike = yes needs SAs that can move to new "
			  "addresses, which the %s backend cannot do (use "
			  "--kernel xfrm, or mobike = no)",
			  c->name, x->opts->backend);
		return -ENOTSUP;
	}
	return 0;
}

/* Settings swanctl.conf accepts that the engine does not act on yet: said
 * once at load (never silently ignored), with what happens instead. */
static void conns_warn_unimplemented(struct conns_ctx *x)
{
	const struct kb_conn *c = x->conn;

	if (c->keyingtries != 1)
		conns_warn(x,
			   "%s: keyingtries = %u is not implemented yet; one "
			   "retransmission sequence is tried",
			   c->name, c->keyingtries);
	if (c->unique != KB_UNIQUE_NO)
		conns_warn(x,
			   "%s: unique is not enforced yet; every IKE SA of "
			   "this peer is kept",
			   c->name);
	if (c->dpd_timeout)
		conns_warn(x,
			   "%s: dpd_timeout is not implemented; liveness "
			   "follows the retransmission timeout as in IKEv2",
			   c->name);
	for (size_t i = 0; i < c->n_children; i++) {
		const struct kb_child *ch = &c->children[i];

		if (ch->close_action != KB_ACTION_NONE)
			conns_warn(x,
				   "%s: child %s: close_action is not "
				   "implemented yet (acts as none)",
				   c->name, ch->name);
		if (i > 0 && ch->dpd_action != c->children[0].dpd_action)
			conns_warn(x,
				   "%s: child %s: dpd_action differs from "
				   "the first child's; the first child's "
				   "applies to the whole connection",
				   c->name, ch->name);
	}
}

static bool conns_is_shunt(const struct kb_child *ch)
{
	return ch->mode == KB_MODE_PASS || ch->mode == KB_MODE_DROP;
}

/* A pass or drop child: its kernel policies (shunt.h), installed at load
 * with start_action = trap as strongSwan does; never negotiated. */
static int conns_shunt(struct conns_ctx *x, const struct kb_child *ch)
{
	const char *mode = ch->mode == KB_MODE_PASS ? "pass" : "drop";
	char why[256];
	int r;

	if (!(ch->start_action & KB_START_TRAP) &&
	    (ch->start_action & KB_START_START)) {
		conns_err(x,
			  "%s: child %s: mode = %s is a shunt, installed and "
			  "never negotiated: start_action = start does not "
			  "apply (use start_action = trap)",
			  x->conn->name, ch->name, mode);
		return -EINVAL;
	}
	if (conns_kernel_marks(x->opts, x->conn->name, ch, x->diag) < 0)
		return -ENOTSUP;
	r = shunt_build(x->conn, ch, &x->out->shunts, why, sizeof(why));
	if (r == -ENOMEM)
		return r;
	if (r) {
		conns_err(x, "%s: child %s: mode = %s: %s", x->conn->name,
			  ch->name, mode, why);
		return r;
	}
	if (!(ch->start_action & KB_START_TRAP))
		conns_warn(x,
			   "%s: child %s: mode = %s with start_action = none "
			   "is not installed (keybridge installs shunts at "
			   "load with start_action = trap, and has no "
			   "swanctl --install)",
			   x->conn->name, ch->name, mode);
	return 0;
}

/* Builds the shunts of x->conn; returns how many children are not shunts,
 * or a -errno. The policies of a connection that is then not loaded are
 * dropped by conns_build_next. */
static int conns_shunts(struct conns_ctx *x)
{
	const struct kb_conn *c = x->conn;
	size_t start = x->out->shunts.n;
	int n = 0, r;

	for (size_t i = 0; i < c->n_children; i++) {
		if (!conns_is_shunt(&c->children[i])) {
			n++;
			continue;
		}
		if ((r = conns_shunt(x, &c->children[i])) < 0)
			return r;
		/* start_action = none: built to be checked, not kept */
		if (!(c->children[i].start_action & KB_START_TRAP))
			x->out->shunts.n = start;
		start = x->out->shunts.n;
	}
	return n;
}

static int conns_one(struct conns_ctx *x, struct engine_conn *ec,
		     struct conn_extra *extra)
{
	const struct kb_conn *c = x->conn;
	const struct kb_addr *remote_name = NULL;
	int r, n_ipsec;

	engine_conn_defaults(ec);
	/* before anything about addresses and authentication: a shunt
	 * needs neither */
	n_ipsec = conns_shunts(x);
	if (n_ipsec < 0)
		return n_ipsec;
	if (c->n_children && !n_ipsec)
		return 1; /* shunts only: nothing to negotiate */
	if (strlen(c->name) >= sizeof(ec->name)) {
		conns_err(x, "%s: name longer than %zu characters", c->name,
			  sizeof(ec->name) - 1);
		return -EINVAL;
	}
	memcpy(ec->name, c->name, strlen(c->name) + 1);
	if ((size_t)n_ipsec > ENGINE_MAX_CHILD_CFG) {
		conns_err(x, "%s: more than %d children", c->name,
			  ENGINE_MAX_CHILD_CFG);
		return -ENOTSUP;
	}
	r = conns_addr(x, c->local_addrs, c->n_local_addrs, c->local_port,
		       &ec->local, NULL);
	if (!r)
		r = conns_addr(x, c->remote_addrs, c->n_remote_addrs,
			       c->remote_port, &ec->remote, &remote_name);
	if (r)
		return r;
	/* a name is resolved off the event loop (io/names.c), never here */
	ec->remote_pending = remote_name != NULL;
	if (!conns_proposals_fit(x, &c->proposals, "proposals"))
		return -ENOTSUP;
	ec->n_ike = conns_proposals(&c->proposals, ec->ike);
	r = conns_auth(x, ec);
	if (r)
		return r;
	memset(extra, 0, sizeof(*extra));
	if (remote_name) {
		memcpy(extra->remote_fqdn, remote_name->fqdn,
		       sizeof(extra->remote_fqdn));
		extra->remote_family = remote_name->family;
	}
	for (size_t i = 0, k = 0; i < c->n_children; i++) {
		if (conns_is_shunt(&c->children[i]))
			continue;
		r = conns_child(x, &c->children[i], ec, &ec->children[k]);
		if (r)
			return r;
		extra->start_action |= c->children[i].start_action;
		extra->inactivity_s[k++] = c->children[i].inactivity;
	}
	ec->n_children = (uint8_t)n_ipsec;
	ec->dpd_delay_ms = (uint32_t)(c->dpd_delay * 1000);
	ec->dpd_action =
		c->n_children && c->children[0].dpd_action == KB_ACTION_START
			? ENGINE_DPD_RESTART
			: ENGINE_DPD_CLEAR;
	ec->ike_rekey_s = c->rekey_time;
	ec->ike_rand_s = c->rand_time;
	ec->ike_reauth_s = c->reauth_time;
	/* the hard lifetime follows whichever of rekey and reauth is first */
	ec->ike_lifetime_s =
		c->rekey_time || c->reauth_time
			? (c->reauth_time && (!c->rekey_time ||
					      c->reauth_time < c->rekey_time)
				   ? c->reauth_time
				   : c->rekey_time) +
				  c->over_time
			: 0;
	ec->force_encap = c->encap;
	ec->send_cert = c->send_cert == KB_SEND_CERT_NEVER
				? ENGINE_SEND_CERT_NEVER
			: c->send_cert == KB_SEND_CERT_IFASKED
				? ENGINE_SEND_CERT_IFASKED
				: ENGINE_SEND_CERT_ALWAYS;
	ec->no_certreq = !c->send_certreq;
	ec->childless = (enum engine_childless)c->childless;
	/* `force` is IKEv1-only in strongSwan; for IKEv2 it means `yes` */
	ec->fragmentation = c->fragmentation == KB_FRAG_NO ? ENGINE_FRAG_NO
			    : c->fragmentation == KB_FRAG_ACCEPT
				    ? ENGINE_FRAG_ACCEPT
				    : ENGINE_FRAG_YES;
	vip_conn(c, ec);
	r = conns_mobike(x, ec);
	if (r)
		return r;
	extra->digest = conns_digest(c);
	conns_warn_unimplemented(x);
	return 0;
}

/* The connections point into the credentials: the table owns them now. */
static int conns_keep_creds(struct conns_ctx *x, struct creds *c)
{
	struct creds_item *lists[] = { c->certs, c->cas, c->pubkeys, c->keys };
	size_t counts[] = { c->n_certs, c->n_cas, c->n_pubkeys, c->n_keys };
	int r = 0;

	for (size_t l = 0; l < 4; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			struct creds_item *it = &lists[l][i];

			if (it->cert && conns_keep_cert(x, it->cert) < 0)
				r = -ENOMEM;
			if (it->key && conns_keep_key(x, it->key) < 0)
				r = -ENOMEM;
			it->cert = NULL;
			it->key = NULL;
		}
	}
	return r;
}

/* strongSwan enables MOBIKE unless told not to; keybridge only when told
 * to: say once which connections run without it. */
static void conns_note_mobike(struct conns_ctx *x, const struct kb_config *cfg)
{
	char names[400];
	size_t off = 0, n = 0;

	names[0] = '\0';
	for (size_t i = 0; i < cfg->n_conns; i++) {
		bool ipsec = !cfg->conns[i].n_children;

		for (size_t k = 0; k < cfg->conns[i].n_children; k++)
			ipsec |= !conns_is_shunt(&cfg->conns[i].children[k]);
		if (cfg->conns[i].mobike_set || cfg->conns[i].n_errors ||
		    !ipsec)
			continue;
		if (off < sizeof(names))
			off += (size_t)snprintf(
				names + off, sizeof(names) - off, "%s%s",
				n ? ", " : "", cfg->conns[i].name);
		n++;
	}
	if (!n)
		return;
	if (off >= sizeof(names))
		strcpy(names + sizeof(names) - 5, "...");
	x->conn = NULL;
	conns_say(x, &x->out->warnings,
		  "connection%s %s leave%s mobike unset, which strongSwan "
		  "takes as yes; keybridge runs %s without MOBIKE (RFC "
		  "4555), as with mobike = no: set mobike = yes to follow "
		  "address changes",
		  n == 1 ? "" : "s", names, n == 1 ? "s" : "",
		  n == 1 ? "it" : "them");
}

int conns_build_next(const struct kb_config *cfg, const struct conns *prev,
		     uint32_t *next_reqid, const struct conns_opts *opts,
		     struct conns *out, struct conf_diag *diag)
{
	struct conns_ctx x = { cfg,  out,	 diag, NULL,
			       prev, next_reqid, opts, NULL };
	struct creds creds;
	int r;

	memset(out, 0, sizeof(*out));
	if (creds_load(cfg, &creds, diag, &out->warnings) < 0) {
		conns_free(out);
		return -ENOMEM;
	}
	x.creds = &creds;
	if (conns_eap_users(&x) < 0 || psks_build(cfg, &out->psks, diag) < 0) {
		creds_free(&creds, true);
		conns_free(out);
		return -ENOMEM;
	}
	out->conn = calloc(cfg->n_conns ? cfg->n_conns : 1, sizeof(*out->conn));
	out->extra =
		calloc(cfg->n_conns ? cfg->n_conns : 1, sizeof(*out->extra));
	if (!out->conn || !out->extra) {
		creds_free(&creds, true);
		conns_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_conns; i++) {
		struct engine_conn *ec = &out->conn[out->n];

		size_t n_shunts = out->shunts.n;

		x.conn = &cfg->conns[i];
		/* its own errors were said where they are: nothing more */
		r = x.conn->n_errors ? -EINVAL
				     : conns_one(&x, ec, &out->extra[out->n]);
		if (r == 0)
			out->n++;
		if (r >= 0)
			continue;
		out->shunts.n = n_shunts;
		OPENSSL_cleanse(ec, sizeof(*ec));
		conns_err(&x, "%s: not loaded; the others are", x.conn->name);
	}
	conns_note_mobike(&x, cfg);
	if (vip_pools(cfg, &out->pools, &out->n_pools) < 0)
		r = -ENOMEM;
	else
		r = 0;
	creds_warn_unused(&creds, &out->warnings);
	if (!r)
		r = conns_keep_creds(&x, &creds);
	else
		(void)conns_keep_creds(&x, &creds);
	creds_free(&creds, false);
	if (r < 0) {
		conns_free(out);
		return r;
	}
	return 0;
}

int conns_build(const struct kb_config *cfg, const struct conns_opts *opts,
		struct conns *out, struct conf_diag *diag)
{
	uint32_t next = KERNEL_REQID_MIN + 1;

	return conns_build_next(cfg, NULL, &next, opts, out, diag);
}

void conns_free(struct conns *c)
{
	conf_diag_free(&c->warnings);
	if (c->conn)
		OPENSSL_cleanse(c->conn, c->n * sizeof(*c->conn));
	free(c->conn);
	free(c->extra);
	for (size_t i = 0; i < c->n_keys; i++)
		auth_key_free(c->keys[i]);
	free(c->keys);
	for (size_t i = 0; i < c->n_certs; i++)
		auth_cert_free(c->certs[i]);
	free(c->certs);
	free(c->pools);
	for (size_t i = 0; i < c->n_trusts; i++)
		auth_trust_free(c->trusts[i]);
	free(c->trusts);
	if (c->eap_users)
		OPENSSL_cleanse(c->eap_users,
				c->n_eap_users * sizeof(*c->eap_users));
	free(c->eap_users);
	shunt_free(&c->shunts);
	psks_free(&c->psks);
	memset(c, 0, sizeof(*c));
}

int conns_find(const struct conns *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->conn[i].name, name) == 0)
			return (int)i;
	return -1;
}

size_t conns_count(const struct conns *c)
{
	size_t n = c->n;

	for (size_t i = 0; i < c->shunts.n; i++) {
		const char *name = c->shunts.v[i].conn;

		if ((!i || strcmp(name, c->shunts.v[i - 1].conn)) &&
		    conns_find(c, name) < 0)
			n++;
	}
	return n;
}
