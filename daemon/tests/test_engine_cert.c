/* Engine scenarios with X.509 certificates: CAs made in the test issue a
 * certificate per peer (subjectAltName DNS:a.example / b.example); each
 * side sends its certificate (and intermediates) in CERT payloads and
 * verifies the other's against the CAs it trusts (RFC 7296 §3.6, §3.7,
 * RFC 4945). */
#include "tests/cert_util.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "crypto/auth.h"
#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A certificate with its key, as the engine takes them. */
struct cid {
	struct tc tc;
	struct auth_key *priv;
	struct auth_cert *cert;
};

static void cid_make(struct cid *c, const struct tc_opts *o,
		     const struct cid *issuer)
{
	tc_make(&c->tc, o, issuer ? &issuer->tc : NULL);
	c->priv = tc_key(&c->tc);
	c->cert = tc_cert(&c->tc);
}

static void cid_free(struct cid *c)
{
	auth_key_free(c->priv);
	auth_cert_free(c->cert);
	tc_free(&c->tc);
}

static void ca_make(struct cid *c, const char *cn, const struct cid *issuer)
{
	cid_make(c, &(struct tc_opts){ .cn = cn, .ca = true, .serial = 3 },
		 issuer);
}

static void ee_make(struct cid *c, const char *san, const struct cid *issuer)
{
	cid_make(c, &(struct tc_opts){ .cn = "ee", .san = san, .serial = 9 },
		 issuer);
}

/* The trust anchors given (n of them) as one trust. */
static struct auth_trust *trust_new(const struct cid *const *cas, size_t n)
{
	struct auth_trust *t;

	REQUIRE_EQ(auth_trust_new(&t), 0);
	for (size_t i = 0; i < n; i++)
		REQUIRE_EQ(auth_trust_add_cert(t, cas[i]->cert, true), 0);
	return t;
}

static int64_t cert_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

/* Certificate connection: a and b send their certificates; a trusts
 * `ta`, b trusts `tb`. */
static void cert_pair(struct harness *h, const struct auth_trust *ta,
		      const struct cid *a, const struct auth_trust *tb,
		      const struct cid *b)
{
	harness_pair_default(h);
	h->a.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.local_auth.key = a->priv;
	h->a.conn.local_auth.cert = a->cert;
	h->a.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.remote_auth.trust = ta;
	h->b.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.local_auth.key = b->priv;
	h->b.conn.local_auth.cert = b->cert;
	h->b.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.remote_auth.trust = tb;
}

static void start_with_clock(struct harness *h)
{
	harness_start(h, NULL);
	engine_set_realtime(h->a.e, cert_now);
	engine_set_realtime(h->b.e, cert_now);
}

TEST(engine_cert_establishes)
{
	struct cid ca, a, b;
	struct auth_trust *t;
	struct harness h;

	ca_make(&ca, "keybridge test CA", NULL);
	ee_make(&a, "DNS:a.example", &ca);
	ee_make(&b, "DNS:b.example", &ca);
	t = trust_new((const struct cid *[]){ &ca }, 1);
	cert_pair(&h, t, &a, t, &b);
	start_with_clock(&h);
	harness_establish(&h);
	harness_check_child_pair(&h);
	harness_free(&h);
	auth_trust_free(t);
	cid_free(&a);
	cid_free(&b);
	cid_free(&ca);
}

TEST(engine_cert_subject_dn_identity)
{
	struct cid ca, a, b;
	struct auth_trust *t;
	struct harness h;
	uint8_t *dn = NULL;
	int n;

	ca_make(&ca, "keybridge test CA", NULL);
	cid_make(&a, &(struct tc_opts){ .dn = "/O=Example/CN=a" }, &ca);
	ee_make(&b, "DNS:b.example", &ca);
	t = trust_new((const struct cid *[]){ &ca }, 1);
	cert_pair(&h, t, &a, t, &b);
	/* a identifies itself by its subject DN */
	n = i2d_X509_NAME(X509_get_subject_name(a.tc.x), &dn);
	REQUIRE(n > 0 && n <= ENGINE_ID_MAX);
	h.a.conn.local_auth.id.type = ID_DER_ASN1_DN;
	h.a.conn.local_auth.id.len = (uint16_t)n;
	memcpy(h.a.conn.local_auth.id.data, dn, (size_t)n);
	h.b.conn.remote_auth.id = h.a.conn.local_auth.id;
	OPENSSL_free(dn);
	harness_start(&h, NULL);
	harness_establish(&h);
	CHECK(harness_logged(&h.b, "certificate validity periods not checked"));
	harness_free(&h);
	auth_trust_free(t);
	cid_free(&a);
	cid_free(&b);
	cid_free(&ca);
}

/* a (initiator) presents `a`, with `chain` as intermediates; b trusts
 * `tb` and must refuse with `why` logged. */
static void cert_refused(const struct cid *a, const struct cid *chain,
			 const struct auth_trust *tb, const struct cid *b,
			 const char *why)
{
	struct harness h;

	cert_pair(&h, tb, a, tb, b);
	if (chain) {
		h.a.conn.local_auth.chain[0] = chain->cert;
		h.a.conn.local_auth.n_chain = 1;
	}
	start_with_clock(&h);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* HDR, SK {IDi, CERT, CERTREQ, AUTH, SA, TSi, TSr} --> refused */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	if (!harness_logged(&h.b, why))
		test_fail(__FILE__, __LINE__, "b did not log '%s': %s", why,
			  h.b.log ? h.b.log : "");
	/* <-- HDR, SK {N(AUTHENTICATION_FAILED)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	harness_free(&h);
}

/* a presents `a` with `chain`; b trusts `tb`: the SA comes up. */
static void cert_accepted(const struct cid *a, const struct cid *chain,
			  const struct auth_trust *tb, const struct cid *b)
{
	struct harness h;

	cert_pair(&h, tb, a, tb, b);
	if (chain) {
		h.a.conn.local_auth.chain[0] = chain->cert;
		h.a.conn.local_auth.n_chain = 1;
	}
	start_with_clock(&h);
	harness_establish(&h);
	harness_free(&h);
}

TEST(engine_cert_refusals)
{
	struct cid ca, other_ca, a, b, wrong_name, expired;
	struct auth_trust *t, *t_other;

	ca_make(&ca, "keybridge test CA", NULL);
	ca_make(&other_ca, "another CA", NULL);
	ee_make(&a, "DNS:a.example", &ca);
	ee_make(&b, "DNS:b.example", &ca);
	ee_make(&wrong_name, "DNS:x.example", &ca);
	cid_make(&expired,
		 &(struct tc_opts){ .cn = "a",
				    .san = "DNS:a.example",
				    .from = -30,
				    .to = -1 },
		 &ca);
	t = trust_new((const struct cid *[]){ &ca }, 1);
	t_other = trust_new((const struct cid *[]){ &other_ca }, 1);
	test_note("issued by a CA b does not trust");
	cert_refused(&a, NULL, t_other, &b, "peer certificate not trusted");
	test_note("certificate for another name");
	cert_refused(&wrong_name, NULL, t, &b,
		     "peer certificate does not name its ID_FQDN identity");
	test_note("expired certificate");
	cert_refused(&expired, NULL, t, &b,
		     "peer certificate not trusted: certificate has expired");
	auth_trust_free(t);
	auth_trust_free(t_other);
	cid_free(&a);
	cid_free(&b);
	cid_free(&wrong_name);
	cid_free(&expired);
	cid_free(&ca);
	cid_free(&other_ca);
}

/* Robustness issue bug 7: the identity must equal a subjectAltName (no
 * wildcard, no CN), the key must be for signatures, and the purpose, if
 * the certificate states one, an IKE one. Each of these came up before. */
TEST(engine_cert_id_and_purpose_rules)
{
	struct cid ca, b, wild, cn_only, enc_only, mail_only, server;
	struct auth_trust *t;

	ca_make(&ca, "keybridge test CA", NULL);
	ee_make(&b, "DNS:b.example", &ca);
	ee_make(&wild, "DNS:*.example", &ca);
	cid_make(&cn_only, &(struct tc_opts){ .cn = "a.example" }, &ca);
	cid_make(&enc_only,
		 &(struct tc_opts){ .cn = "a",
				    .san = "DNS:a.example",
				    .ku = "keyEncipherment" },
		 &ca);
	cid_make(&mail_only,
		 &(struct tc_opts){ .cn = "a",
				    .san = "DNS:a.example",
				    .eku = "emailProtection" },
		 &ca);
	cid_make(&server,
		 &(struct tc_opts){ .cn = "a",
				    .san = "DNS:A.EXAMPLE",
				    .ku = "digitalSignature",
				    .eku = "serverAuth" },
		 &ca);
	t = trust_new((const struct cid *[]){ &ca }, 1);
	test_note("wildcard dNSName");
	cert_refused(&wild, NULL, t, &b,
		     "peer certificate does not name its ID_FQDN identity");
	test_note("the name only in the CN");
	cert_refused(&cn_only, NULL, t, &b,
		     "peer certificate does not name its ID_FQDN identity");
	test_note("keyUsage keyEncipherment only");
	cert_refused(&enc_only, NULL, t, &b,
		     "its keyUsage allows no digitalSignature");
	test_note("extendedKeyUsage emailProtection only");
	cert_refused(&mail_only, NULL, t, &b,
		     "its extendedKeyUsage names no IKE purpose");
	test_note("serverAuth, the name in other case: accepted");
	cert_accepted(&server, NULL, t, &b);
	auth_trust_free(t);
	cid_free(&b);
	cid_free(&wild);
	cid_free(&cn_only);
	cid_free(&enc_only);
	cid_free(&mail_only);
	cid_free(&server);
	cid_free(&ca);
}

/* Root CA -> intermediate -> end entity: the initiator sends its
 * intermediate after its certificate, the responder trusts the root
 * only. Before, verification was one level deep and refused it. */
TEST(engine_cert_chain_through_intermediate)
{
	struct cid root, inter, a, b, ee_as_ca, by_ee;
	struct auth_trust *t;

	ca_make(&root, "Root CA", NULL);
	ca_make(&inter, "Intermediate CA", &root);
	ee_make(&a, "DNS:a.example", &inter);
	ee_make(&b, "DNS:b.example", &root);
	ee_make(&ee_as_ca, "DNS:x.example", &inter);
	ee_make(&by_ee, "DNS:a.example", &ee_as_ca);
	t = trust_new((const struct cid *[]){ &root }, 1);
	cert_accepted(&a, &inter, t, &b);
	test_note("intermediate not sent");
	cert_refused(&a, NULL, t, &b, "unable to get local issuer certificate");
	test_note("issued by an end entity");
	cert_refused(&by_ee, &ee_as_ca, t, &b, "peer certificate not trusted");
	auth_trust_free(t);
	cid_free(&root);
	cid_free(&inter);
	cid_free(&a);
	cid_free(&b);
	cid_free(&ee_as_ca);
	cid_free(&by_ee);
}

/* The CERTREQ in b's IKE_SA_INIT response, or NULL. */
static const struct ike_payload *init_certreq(struct harness *h,
					      struct ike_msg *m)
{
	REQUIRE(harness_initiate(h));
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	harness_collect(h);
	REQUIRE_EQ(h->b.n_q, 1);
	REQUIRE_EQ(ike_msg_decode(m, h->b.q[0].buf, h->b.q[0].len), 0);
	return ike_msg_find(m, PL_CERTREQ, NULL);
}

/* Robustness issue, bug 2b: a responder that authenticates its peers by
 * certificate asks for one in IKE_SA_INIT (RFC 7296 §3.7), naming every
 * trusted CA by the SHA-1 hash of its public key; strongSwan sends its
 * certificate only when asked. A PSK responder, or one configured with
 * send_certreq = no, asks for nothing. Several CAs per connection (issue
 * 18): a peer of either is accepted. */
TEST(engine_cert_several_cas_and_certreq)
{
	struct cid ca, other, a, b, a2;
	struct auth_trust *t;
	struct harness h;
	struct ike_msg *m = malloc(sizeof(*m));
	const struct ike_payload *p;
	uint8_t want[40];

	REQUIRE(m);
	ca_make(&ca, "keybridge test CA", NULL);
	ca_make(&other, "another CA", NULL);
	ee_make(&a, "DNS:a.example", &ca);
	ee_make(&a2, "DNS:a.example", &other);
	ee_make(&b, "DNS:b.example", &ca);
	t = trust_new((const struct cid *[]){ &other, &ca }, 2);
	cert_pair(&h, t, &a, t, &b);
	harness_start(&h, NULL);
	p = init_certreq(&h, m);
	REQUIRE(p);
	REQUIRE_EQ(auth_cert_spki_sha1(other.cert, want), 0);
	REQUIRE_EQ(auth_cert_spki_sha1(ca.cert, want + 20), 0);
	CHECK_EQ(p->u.cert.encoding, CERT_X509_SIGNATURE);
	CHECK_EQ(p->u.cert.data.len, 40u);
	CHECK_MEM(p->u.cert.data.ptr, want, 40);
	harness_free(&h);

	test_note("peers of either CA come up");
	cert_accepted(&a, NULL, t, &b);
	cert_accepted(&a2, NULL, t, &b);

	test_note("send_certreq = no");
	cert_pair(&h, t, &a, t, &b);
	h.b.conn.no_certreq = true;
	harness_start(&h, NULL);
	CHECK(init_certreq(&h, m) == NULL);
	harness_free(&h);

	test_note("PSK responder");
	harness_pair_default(&h);
	harness_start(&h, NULL);
	CHECK(init_certreq(&h, m) == NULL);
	harness_free(&h);
	free(m);
	auth_trust_free(t);
	cid_free(&a);
	cid_free(&a2);
	cid_free(&b);
	cid_free(&ca);
	cid_free(&other);
}

/* send_cert = never / ifasked with and without the peer's CERTREQ, for
 * the initiator (asked in IKE_SA_INIT) and the responder (asked in
 * IKE_AUTH). Without a certificate the peer cannot verify: "peer sent no
 * X.509 certificate". */
TEST(engine_cert_send_cert_modes)
{
	static const struct {
		bool initiator_sends; /* else the responder is the one */
		enum engine_send_cert mode;
		bool peer_asks, up;
	} v[] = {
		{ true, ENGINE_SEND_CERT_NEVER, true, false },
		{ true, ENGINE_SEND_CERT_IFASKED, true, true },
		{ true, ENGINE_SEND_CERT_IFASKED, false, false },
		{ true, ENGINE_SEND_CERT_ALWAYS, false, true },
		{ false, ENGINE_SEND_CERT_NEVER, true, false },
		{ false, ENGINE_SEND_CERT_IFASKED, true, true },
		{ false, ENGINE_SEND_CERT_IFASKED, false, false },
		{ false, ENGINE_SEND_CERT_ALWAYS, false, true },
	};
	struct cid ca, a, b;
	struct auth_trust *t;

	ca_make(&ca, "keybridge test CA", NULL);
	ee_make(&a, "DNS:a.example", &ca);
	ee_make(&b, "DNS:b.example", &ca);
	t = trust_new((const struct cid *[]){ &ca }, 1);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct harness h;
		struct hpeer *sender, *verifier;

		cert_pair(&h, t, &a, t, &b);
		sender = v[i].initiator_sends ? &h.a : &h.b;
		verifier = v[i].initiator_sends ? &h.b : &h.a;
		sender->conn.send_cert = v[i].mode;
		verifier->conn.no_certreq = !v[i].peer_asks;
		start_with_clock(&h);
		REQUIRE(harness_initiate(&h));
		harness_run(&h, 20);
		if ((harness_state(&h.a) == ENGINE_IKE_ESTABLISHED) != v[i].up)
			test_fail(__FILE__, __LINE__, "case %zu: the SA is %s",
				  i, v[i].up ? "down" : "up");
		if (!v[i].up)
			CHECK(harness_logged(verifier,
					     "peer sent no X.509 certificate"));
		harness_free(&h);
	}
	auth_trust_free(t);
	cid_free(&a);
	cid_free(&b);
	cid_free(&ca);
}
