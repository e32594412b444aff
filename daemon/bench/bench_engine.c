/* Engine benchmark: complete IKE SA + CHILD SA establishments per second
 * between two engines in one process (both sides on one core), beside the
 * ceiling set by the cryptography alone — the same crypto/ calls one
 * handshake makes on both sides, measured in the same run — and the heap
 * each established IKE SA + CHILD SA costs (mallinfo2 deltas). */
#include "bench/bench.h"

#include "crypto/auth.h"
#include "crypto/ke.h"
#include "crypto/keymat.h"
#include "crypto/skp.h"
#include "engine/engine.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bench_pair {
	struct engine *a, *b;
	struct engine_conn ca, cb;
	uint64_t now;
	unsigned long failures;
};

static int bench_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return crypto_random(buf, len);
}

static void bench_addr(struct engine_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = IKE_PORT;
	(void)inet_pton(AF_INET, ip, a->ip);
}

static void bench_ts(struct engine_ts *t, uint8_t net)
{
	memset(t, 0, sizeof(*t));
	t->type = TS_IPV4_ADDR_RANGE;
	t->port_hi = 65535;
	t->start[0] = t->end[0] = 10;
	t->start[1] = t->end[1] = net;
	t->end[2] = t->end[3] = 255;
}

static void bench_conn(struct engine_conn *c, bool is_a)
{
	struct engine_child_cfg *ch = &c->children[0];
	const struct engine_xform ike[] = {
		{ TRANS_ENCR, ENCR_AES_GCM_16, 256 },
		{ TRANS_PRF, PRF_HMAC_SHA2_256, 0 },
		{ TRANS_KE, KE_CURVE25519, 0 },
	};

	engine_conn_defaults(c);
	snprintf(c->name, sizeof(c->name), "bench");
	bench_addr(&c->local, is_a ? "192.0.2.1" : "192.0.2.2");
	bench_addr(&c->remote, is_a ? "192.0.2.2" : "192.0.2.1");
	c->n_ike = 1;
	c->ike[0].n = 3;
	memcpy(c->ike[0].x, ike, sizeof(ike));
	c->local_auth.method = c->remote_auth.method = ENGINE_AUTH_PSK;
	c->local_auth.id =
		(struct engine_id){ ID_FQDN, 1, { is_a ? 'a' : 'b' } };
	c->remote_auth.id =
		(struct engine_id){ ID_FQDN, 1, { is_a ? 'b' : 'a' } };
	c->psk_len = 32;
	memset(c->psk, 0x42, 32);
	c->n_children = 1;
	ch->n_esp = 1;
	ch->esp[0].n = 1;
	ch->esp[0].x[0] = ike[0];
	ch->n_local_ts = ch->n_remote_ts = 1;
	bench_ts(&ch->local_ts[0], is_a ? 1 : 2);
	bench_ts(&ch->remote_ts[0], is_a ? 2 : 1);
	ch->reqid = 0x6b620001;
}

static void bench_pair_init(struct bench_pair *p)
{
	struct engine_env env = { .random = bench_random };

	p->a = engine_new(&env, NULL, &p->ca, 1);
	p->b = engine_new(&env, NULL, &p->cb, 1);
	if (!p->a || !p->b)
		abort();
}

static void bench_pair_free(struct bench_pair *p)
{
	engine_free(p->a);
	engine_free(p->b);
	p->a = p->b = NULL;
}

/* Moves datagrams between the engines until both are quiet. */
static void bench_pump(struct bench_pair *p)
{
	bool busy = true;

	while (busy) {
		busy = false;
		for (int side = 0; side < 2; side++) {
			struct engine *from = side ? p->b : p->a;
			struct engine *to = side ? p->a : p->b;
			const struct engine_action *act;
			size_t n;
			struct {
				struct engine_addr l, r;
				uint8_t *buf;
				size_t len;
			} q[8];
			size_t nq = 0;

			act = engine_actions(from, &n);
			for (size_t i = 0; i < n && nq < 8; i++) {
				if (act[i].type != ENGINE_ACT_SEND)
					continue;
				q[nq].l = act[i].u.send.remote;
				q[nq].r = act[i].u.send.local;
				q[nq].len = act[i].u.send.len;
				q[nq].buf = malloc(q[nq].len);
				memcpy(q[nq].buf, act[i].u.send.buf, q[nq].len);
				nq++;
			}
			engine_actions_clear(from);
			for (size_t i = 0; i < nq; i++) {
				if (engine_datagram(to, p->now, &q[i].l,
						    &q[i].r, q[i].buf,
						    q[i].len))
					p->failures++;
				free(q[i].buf);
				busy = true;
			}
		}
	}
}

static void bench_handshake(void *arg)
{
	struct bench_pair *p = arg;

	if (engine_initiate(p->a, p->now, "bench", NULL))
		p->failures++;
	bench_pump(p);
}

/* The crypto of one handshake, both sides, without the engine. */
struct bench_ceiling {
	const struct auth_key *priv_a, *pub_a, *priv_b, *pub_b;
};

static void bench_auth(const struct bench_ceiling *c,
		       const struct keymat_ike *km, const uint8_t *msg)
{
	static const uint8_t psk[32] = { 0x42 }, nonce[32] = { 1 };
	static const uint8_t id[5] = { ID_FQDN, 0, 0, 0, 'a' };
	uint8_t out[AUTH_DATA_MAX];
	struct auth_octets o;
	enum auth_sig_scheme s;
	size_t len;

	for (int side = 0; side < 2; side++) {
		const struct auth_key *priv = side ? c->priv_b : c->priv_a;
		const struct auth_key *pub = side ? c->pub_b : c->pub_a;

		if (auth_octets_init(&o, km->suite.prf, km->sk_pi, km->p_len,
				     msg, 300, nonce, 32, id, sizeof(id)))
			abort();
		if (!priv) {
			if (auth_psk_make(km->suite.prf, psk, 32, &o, out,
					  &len) ||
			    auth_psk_check(km->suite.prf, psk, 32, &o, out,
					   len))
				abort();
			continue;
		}
		if (auth_sig_choose(priv, auth_hash_supported(), true, &s) ||
		    auth_sig_make(priv, s, &o, out, sizeof(out), &len))
			abort();
		if (auth_sig_check(pub, &o, out, len, auth_hash_supported(),
				   NULL))
			abort();
	}
}

static void bench_crypto_only(void *arg)
{
	static const uint8_t nonce[32] = { 1 }, spi[8] = { 2 };
	struct ke *ka, *kb;
	uint8_t pa[KE_PUB_MAX], pb[KE_PUB_MAX], msg[1024] = { 0 };
	size_t la, lb, ml, off, pl;
	struct ke_secret sa, sb;
	struct keymat_suite suite;
	struct keymat_ike km;
	struct keymat_child kc;
	struct skp *sk[2];

	if (ke_new(KE_CURVE25519, &ka) || ke_new(KE_CURVE25519, &kb) ||
	    ke_public(ka, pa, sizeof(pa), &la) ||
	    ke_public(kb, pb, sizeof(pb), &lb) || ke_derive(ka, pb, lb, &sa) ||
	    ke_derive(kb, pa, la, &sb) ||
	    keymat_suite_init(&suite, ENCR_AES_GCM_16, 256, PRF_HMAC_SHA2_256,
			      0))
		abort();
	for (int side = 0; side < 2; side++) {
		if (keymat_ike_derive(&km, &suite, sa.buf, sa.len, nonce, 32,
				      nonce, 32, spi, spi) ||
		    skp_new(&km, side == 0, &sk[side]))
			abort();
	}
	bench_auth(arg, &km, msg);
	/* IKE_AUTH request and response: protect once, open once each */
	for (int i = 0; i < 2; i++) {
		if (skp_protect(sk[i], msg, sizeof(msg), 32, PL_SK, 250, NULL,
				&ml) ||
		    skp_unprotect(sk[!i], msg, ml, 32, PL_SK, &off, &pl))
			abort();
		if (keymat_child_derive(&kc, &km, NULL, 0, nonce, 32, nonce, 32,
					36, 0))
			abort();
	}
	skp_free(sk[0]);
	skp_free(sk[1]);
	ke_secret_wipe(&sa);
	ke_secret_wipe(&sb);
	keymat_ike_wipe(&km);
	keymat_child_wipe(&kc);
	ke_free(ka);
	ke_free(kb);
}

/* Makes a P-256 key pair and loads it through crypto/auth.h. */
static void bench_ec_key(struct auth_key **priv, struct auth_key **pub)
{
	char fp[] = "/tmp/kb-bench-key-XXXXXX",
	     fq[] = "/tmp/kb-bench-pub-XXXXXX";
	int d1 = mkstemp(fp), d2 = mkstemp(fq);
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *f1 = d1 >= 0 ? fdopen(d1, "w") : NULL;
	FILE *f2 = d2 >= 0 ? fdopen(d2, "w") : NULL;

	if (!pk || !f1 || !f2 ||
	    !PEM_write_PrivateKey(f1, pk, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_PUBKEY(f2, pk))
		abort();
	fclose(f1);
	fclose(f2);
	EVP_PKEY_free(pk);
	if (auth_key_load_private(fp, priv) || auth_key_load_public(fq, pub))
		abort();
	unlink(fp);
	unlink(fq);
}

static void bench_run(const char *what, struct bench_pair *p,
		      struct bench_ceiling *ceil)
{
	double secs = bench_seconds();
	double ns, ns_ceil;
	char label[160];

	/* The machine is shared: interleave three rounds of each and keep
	 * the best, so both figures see the same load. */
	bench_pair_init(p);
	ns = ns_ceil = 1e30;
	for (int round = 0; round < 3; round++) {
		double a = bench_ns_per_op(bench_handshake, p, secs / 3);
		double b = bench_ns_per_op(bench_crypto_only, ceil, secs / 3);

		ns = a < ns ? a : ns;
		ns_ceil = b < ns_ceil ? b : ns_ceil;
	}
	snprintf(label, sizeof(label),
		 "%s: IKE+CHILD SA establishments/s, both sides on one core",
		 what);
	bench_report(label, 1e9 / ns, 1e9 / ns_ceil,
		     "crypto-only ceiling (same crypto calls, this run)",
		     "ops/s", true);
	if (p->failures)
		bench_report_alone("handshake errors", (double)p->failures,
				   "count", "must be 0");
	bench_pair_free(p);
}

BENCH(engine_psk_x25519_gcm)
{
	static struct bench_pair p;
	struct bench_ceiling ceil = { 0 };

	bench_conn(&p.ca, true);
	bench_conn(&p.cb, false);
	bench_run("PSK+X25519+AES-GCM-256", &p, &ceil);
}

BENCH(engine_ecdsa_p256_x25519)
{
	static struct bench_pair p;
	struct auth_key *pa, *qa, *pb, *qb;
	struct bench_ceiling ceil;

	bench_ec_key(&pa, &qa);
	bench_ec_key(&pb, &qb);
	bench_conn(&p.ca, true);
	bench_conn(&p.cb, false);
	p.ca.local_auth.method = ENGINE_AUTH_PUBKEY;
	p.ca.local_auth.key = pa;
	p.ca.remote_auth.method = ENGINE_AUTH_PUBKEY;
	p.ca.remote_auth.key = qb;
	p.cb.local_auth.method = ENGINE_AUTH_PUBKEY;
	p.cb.local_auth.key = pb;
	p.cb.remote_auth.method = ENGINE_AUTH_PUBKEY;
	p.cb.remote_auth.key = qa;
	ceil = (struct bench_ceiling){ pa, qa, pb, qb };
	bench_run("ECDSA-P256+X25519+AES-GCM-256", &p, &ceil);
	auth_key_free(pa);
	auth_key_free(qa);
	auth_key_free(pb);
	auth_key_free(qb);
}

BENCH(engine_heap_per_sa)
{
	static struct bench_pair p;
	enum { N = 2000 };
	struct mallinfo2 before, after;
	double per_pair;

	bench_conn(&p.ca, true);
	bench_conn(&p.cb, false);
	bench_pair_init(&p);
	bench_handshake(&p); /* warm up lazily allocated state */
	before = mallinfo2();
	for (int i = 0; i < N; i++)
		bench_handshake(&p);
	after = mallinfo2();
	per_pair = ((double)after.uordblks - (double)before.uordblks) / N;
	bench_report_alone("heap per established IKE SA + CHILD SA, one side",
			   per_pair / 2, "bytes",
			   "(initiator + responder) / 2, mallinfo2 delta over "
			   "2000 SAs");
	bench_report_alone("heap per IKE SA + CHILD SA pair, both engines",
			   per_pair, "bytes", "mallinfo2 delta");
	bench_pair_free(&p);
}
