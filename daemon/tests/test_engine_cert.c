/* Engine scenarios with X.509 certificates: a CA made in the test issues
 * a certificate per peer (subjectAltName DNS:a.example / b.example); each
 * side sends its certificate in a CERT payload and trusts the CA. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "crypto/auth.h"
#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cert_id {
	EVP_PKEY *pk;
	X509 *x;
	struct auth_key *priv;
	struct auth_cert *cert;
};

static X509 *cert_make(EVP_PKEY *pk, const char *cn, const char *san,
		       X509 *issuer, EVP_PKEY *issuer_pk, long days_from,
		       long days_to)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	REQUIRE(x && n);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), days_from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), days_to * 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, pk);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  issuer ? "CA:FALSE" : "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (san) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	REQUIRE(X509_sign(x, issuer_pk ? issuer_pk : pk, EVP_sha256()));
	X509_NAME_free(n);
	return x;
}

/* Writes the key and certificate as PEM and loads them as the daemon
 * would. */
static void cert_load(struct cert_id *c)
{
	char kp[] = "/tmp/kb-engine-ckey-XXXXXX";
	char cp[] = "/tmp/kb-engine-cert-XXXXXX";
	int d1 = mkstemp(kp), d2 = mkstemp(cp);
	FILE *f1 = fdopen(d1, "w"), *f2 = fdopen(d2, "w");

	REQUIRE(f1 && f2);
	REQUIRE(PEM_write_PrivateKey(f1, c->pk, NULL, NULL, 0, NULL, NULL));
	REQUIRE(PEM_write_X509(f2, c->x));
	fclose(f1);
	fclose(f2);
	REQUIRE_EQ(auth_key_load_private(kp, &c->priv), 0);
	REQUIRE_EQ(auth_cert_load(cp, &c->cert), 0);
	unlink(kp);
	unlink(cp);
}

static void cert_id_make(struct cert_id *c, const char *cn, const char *san,
			 struct cert_id *ca, long from, long to)
{
	memset(c, 0, sizeof(*c));
	c->pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	REQUIRE(c->pk);
	c->x = cert_make(c->pk, cn, san, ca ? ca->x : NULL, ca ? ca->pk : NULL,
			 from, to);
	cert_load(c);
}

static void cert_id_free(struct cert_id *c)
{
	auth_key_free(c->priv);
	auth_cert_free(c->cert);
	X509_free(c->x);
	EVP_PKEY_free(c->pk);
}

static int64_t cert_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

/* Certificate connection: a and b send certificates, trust `ca`. */
static void cert_pair(struct harness *h, struct cert_id *ca, struct cert_id *a,
		      struct cert_id *b)
{
	harness_pair_default(h);
	h->a.conn.local_auth = (struct engine_auth){ ENGINE_AUTH_PUBKEY,
						     h->a.conn.local_auth.id,
						     a->priv, a->cert };
	h->a.conn.remote_auth = (struct engine_auth){ ENGINE_AUTH_PUBKEY,
						      h->a.conn.remote_auth.id,
						      NULL, ca->cert };
	h->b.conn.local_auth = (struct engine_auth){ ENGINE_AUTH_PUBKEY,
						     h->b.conn.local_auth.id,
						     b->priv, b->cert };
	h->b.conn.remote_auth = (struct engine_auth){ ENGINE_AUTH_PUBKEY,
						      h->b.conn.remote_auth.id,
						      NULL, ca->cert };
}

TEST(engine_cert_establishes)
{
	struct cert_id ca, a, b;
	struct harness h;

	cert_id_make(&ca, "keybridge test CA", NULL, NULL, -1, 30);
	cert_id_make(&a, "a", "DNS:a.example", &ca, -1, 30);
	cert_id_make(&b, "b", "DNS:b.example", &ca, -1, 30);
	cert_pair(&h, &ca, &a, &b);
	harness_start(&h, NULL);
	engine_set_realtime(h.a.e, cert_now);
	engine_set_realtime(h.b.e, cert_now);
	harness_establish(&h);
	harness_check_child_pair(&h);
	harness_free(&h);
	cert_id_free(&a);
	cert_id_free(&b);
	cert_id_free(&ca);
}

TEST(engine_cert_subject_dn_identity)
{
	struct cert_id ca, a, b;
	struct harness h;
	uint8_t *dn = NULL;
	int n;

	cert_id_make(&ca, "keybridge test CA", NULL, NULL, -1, 30);
	cert_id_make(&a, "a", NULL, &ca, -1, 30);
	cert_id_make(&b, "b", "DNS:b.example", &ca, -1, 30);
	cert_pair(&h, &ca, &a, &b);
	/* a identifies itself by its subject DN */
	n = i2d_X509_NAME(X509_get_subject_name(a.x), &dn);
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
	cert_id_free(&a);
	cert_id_free(&b);
	cert_id_free(&ca);
}

static void cert_refused(struct cert_id *ca_a, struct cert_id *a,
			 struct cert_id *ca_b, struct cert_id *b,
			 const char *why)
{
	struct harness h;

	cert_pair(&h, ca_a, a, b);
	h.b.conn.remote_auth.cert = ca_b->cert;
	harness_start(&h, NULL);
	engine_set_realtime(h.b.e, cert_now);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* HDR, SK {IDi, CERT, CERTREQ, AUTH, SA, TSi, TSr} --> refused */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK(harness_logged(&h.b, why));
	/* <-- HDR, SK {N(AUTHENTICATION_FAILED)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	harness_free(&h);
}

TEST(engine_cert_refusals)
{
	struct cert_id ca, other_ca, a, b, a_wrong_name, a_expired;

	cert_id_make(&ca, "keybridge test CA", NULL, NULL, -1, 30);
	cert_id_make(&other_ca, "another CA", NULL, NULL, -1, 30);
	cert_id_make(&a, "a", "DNS:a.example", &ca, -1, 30);
	cert_id_make(&b, "b", "DNS:b.example", &ca, -1, 30);
	cert_id_make(&a_wrong_name, "a", "DNS:x.example", &ca, -1, 30);
	cert_id_make(&a_expired, "a", "DNS:a.example", &ca, -30, -1);
	test_note("issued by a CA b does not trust");
	cert_refused(&ca, &a, &other_ca, &b, "peer certificate not trusted");
	test_note("certificate for another name");
	cert_refused(&ca, &a_wrong_name, &ca, &b,
		     "peer certificate does not name its ID_FQDN identity");
	test_note("expired certificate");
	cert_refused(&ca, &a_expired, &ca, &b,
		     "peer certificate not trusted: certificate has expired");
	cert_id_free(&a);
	cert_id_free(&b);
	cert_id_free(&a_wrong_name);
	cert_id_free(&a_expired);
	cert_id_free(&ca);
	cert_id_free(&other_ca);
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
 * certificate asks for one in IKE_SA_INIT (RFC 7296 §3.7), naming the
 * trusted CA by the SHA-1 hash of its public key; strongSwan sends its
 * certificate only when asked. A PSK responder asks for nothing. */
TEST(engine_cert_responder_sends_certreq)
{
	struct cert_id ca, a, b;
	struct harness h;
	struct ike_msg *m = malloc(sizeof(*m));
	const struct ike_payload *p;
	uint8_t want[20];

	REQUIRE(m);
	cert_id_make(&ca, "keybridge test CA", NULL, NULL, -1, 30);
	cert_id_make(&a, "a", "DNS:a.example", &ca, -1, 30);
	cert_id_make(&b, "b", "DNS:b.example", &ca, -1, 30);
	cert_pair(&h, &ca, &a, &b);
	harness_start(&h, NULL);
	p = init_certreq(&h, m);
	REQUIRE(p);
	REQUIRE_EQ(cert_req_hash(ca.cert, want), 0);
	CHECK_EQ(p->u.cert.encoding, CERT_X509_SIGNATURE);
	CHECK_EQ(p->u.cert.data.len, 20u);
	CHECK_MEM(p->u.cert.data.ptr, want, 20);
	harness_free(&h);

	harness_pair_default(&h);
	harness_start(&h, NULL);
	CHECK(init_certreq(&h, m) == NULL);
	harness_free(&h);
	free(m);
	cert_id_free(&a);
	cert_id_free(&b);
	cert_id_free(&ca);
}
