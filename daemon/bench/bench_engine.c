/* Engine benchmark: complete IKE SA + CHILD SA establishments per second
 * between two engines in one process (both sides on one core), beside the
 * ceiling set by the cryptography alone — the same crypto/ calls one
 * handshake makes on both sides, measured in the same run — and the heap
 * each established IKE SA + CHILD SA costs (mallinfo2 deltas). */
#include "bench/bench.h"
#include "bench/bench_conn.h"

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

static void bench_conn(struct engine_conn *c, bool is_a)
{
	bench_psk_conn(c, is_a, "bench", 256, 0x42, 0x6b620001);
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

/* ---- At scale: one responder engine holding N established SAs ----------
 *
 * The responder keeps every IKE SA + CHILD SA it accepts; the initiator
 * engine is replaced every SCALE_GEN SAs (as ike-load does), each
 * generation with its own identity so that its INITIAL_CONTACT (§2.4)
 * removes nothing. After every datagram each engine is asked for its next
 * deadline, as the daemon's event loop does. Sizes: $KB_BENCH_SCALE
 * (default "1000 100000"; "1000 100000 1000000" for a million, which
 * needs about ten minutes and a few GB). */

enum { SCALE_GEN = 1024 };

struct scale {
	struct bench_pair p; /* a: the initiator of this generation, b: all */
	size_t gen_sas;	     /* SAs the current initiator made */
	unsigned gen;
	uint64_t dl_ns, dl_calls; /* time in engine_next_deadline */
};

static uint64_t scale_deadline(struct scale *s, struct engine *e)
{
	uint64_t t0 = bench_now_ns(), d = engine_next_deadline(e);

	s->dl_ns += bench_now_ns() - t0;
	s->dl_calls++;
	return d;
}

static void scale_new_initiator(struct scale *s)
{
	struct engine_env env = { .random = bench_random };

	engine_free(s->p.a);
	s->gen++;
	s->p.ca.local_auth.id.len = (uint16_t)snprintf(
		(char *)s->p.ca.local_auth.id.data,
		sizeof(s->p.ca.local_auth.id.data), "a%u", s->gen);
	if (!(s->p.a = engine_new(&env, NULL, &s->p.ca, 1)))
		abort();
	s->gen_sas = 0;
}

static void scale_deadline_of(void *arg, struct engine *e)
{
	(void)scale_deadline(arg, e);
}

/* bench_pump, plus the deadline query after each datagram. */
static void scale_pump(struct scale *s)
{
	struct bench_pair *p = &s->p;
	bool busy = true;

	while (busy) {
		busy = false;
		for (int side = 0; side < 2; side++)
			if (bench_carry(side ? p->b : p->a, side ? p->a : p->b,
					p->now, &p->failures, scale_deadline_of,
					s))
				busy = true;
	}
}

static void scale_handshake(void *arg)
{
	struct scale *s = arg;

	if (s->gen_sas == SCALE_GEN)
		scale_new_initiator(s);
	if (engine_initiate(s->p.a, s->p.now, "bench", NULL))
		s->p.failures++;
	(void)scale_deadline(s, s->p.a);
	scale_pump(s);
	s->gen_sas++;
}

/* What a fired timer of the responder started, told apart by the actions
 * it left: a CHILD SA rekey reserves an inbound SPI; a request whose
 * (SPI, message ID) went out before is a retransmission; another
 * CREATE_CHILD_SA request is an IKE SA rekey (§2.18, with its key
 * exchange); anything else (INFORMATIONAL: liveness, deletes) is other. */
enum scale_timer {
	ST_CHILD_REKEY,
	ST_IKE_REKEY,
	ST_RETRANSMIT,
	ST_OTHER,
	ST_N
};

static const char *const scale_timer_name[ST_N] = {
	"CHILD SA rekey started",
	"IKE SA rekey started",
	"retransmission",
	"other timer",
};

struct scale_sent {
	uint8_t spi_msgid[12]; /* SPIi (8) and message ID (4) */
};

static enum scale_timer scale_classify(const struct engine_action *a, size_t n,
				       struct scale_sent *sent, size_t *n_sent,
				       size_t cap)
{
	bool spi = false;
	const uint8_t *m = NULL;

	for (size_t i = 0; i < n; i++) {
		if (a[i].type == ENGINE_ACT_ALLOC_SPI)
			spi = true;
		else if (a[i].type == ENGINE_ACT_SEND && !m)
			m = a[i].u.send.buf;
	}
	if (!m)
		return ST_OTHER;
	/* the bench's peers talk on port 500: no non-ESP marker */
	for (size_t i = 0; i < *n_sent; i++) {
		if (!memcmp(sent[i].spi_msgid, m, 8) &&
		    !memcmp(sent[i].spi_msgid + 8, m + 20, 4))
			return ST_RETRANSMIT;
	}
	if (*n_sent < cap) {
		memcpy(sent[*n_sent].spi_msgid, m, 8);
		memcpy(sent[*n_sent].spi_msgid + 8, m + 20, 4);
		(*n_sent)++;
	}
	return spi ? ST_CHILD_REKEY : ST_OTHER;
}

struct scale_fired {
	double ns[ST_N]; /* mean per timer of each kind */
	unsigned n[ST_N];
	double all_ns;
};

/* Fires the next `k` due timers of the responder, one engine_timeout()
 * each (the timer's own work included: a rekey's request built), and
 * sorts the time per timer by what each started. */
static void scale_fire(struct scale *s, int k, struct scale_fired *out)
{
	static struct scale_sent sent[512];
	struct engine *e = s->p.b;
	uint64_t total = 0, by[ST_N] = { 0 };
	size_t n_sent = 0;
	int fired = 0;

	memset(out, 0, sizeof(*out));
	for (; fired < k; fired++) {
		uint64_t d = engine_next_deadline(e), t0, dt;
		const struct engine_action *a;
		enum scale_timer kind;
		size_t n;

		if (d == UINT64_MAX)
			break;
		if (d > s->p.now)
			s->p.now = d;
		t0 = bench_now_ns();
		engine_timeout(e, s->p.now);
		dt = bench_now_ns() - t0;
		a = engine_actions(e, &n);
		kind = scale_classify(a, n, sent, &n_sent,
				      sizeof(sent) / sizeof(sent[0]));
		by[kind] += dt;
		out->n[kind]++;
		total += dt;
		engine_actions_clear(e);
	}
	for (int i = 0; i < ST_N; i++)
		out->ns[i] = out->n[i] ? (double)by[i] / out->n[i] : 0;
	out->all_ns = fired ? (double)total / fired : 0;
}

struct scale_figures {
	double hs_per_s, bytes_per_sa, dl_ns;
	struct scale_fired fire;
};

static void scale_report(size_t n, const struct scale_figures *f,
			 const struct scale_figures *ref)
{
	char what[96], vs[64];

	snprintf(what, sizeof(what), "%zu SAs: handshakes/s", n);
	bench_report(what, f->hs_per_s, ref->hs_per_s,
		     "at 1000 SAs (goal >= 0.80)", "ops/s", true);
	snprintf(what, sizeof(what), "%zu SAs: heap per IKE+CHILD SA", n);
	bench_report(what, f->bytes_per_sa, 2048, "goal <= 2 KiB", "bytes",
		     false);
	snprintf(what, sizeof(what), "%zu SAs: next deadline per datagram", n);
	bench_report(what, f->dl_ns, ref->dl_ns, "at 1000 SAs", "ns", false);
	snprintf(what, sizeof(what), "%zu SAs: one timer firing, any", n);
	bench_report(what, f->fire.all_ns, ref->fire.all_ns,
		     "at 1000 SAs (the mix differs)", "ns", false);
	for (int i = 0; i < ST_N; i++) {
		if (!f->fire.n[i])
			continue;
		snprintf(what, sizeof(what), "  %u x %s", f->fire.n[i],
			 scale_timer_name[i]);
		snprintf(vs, sizeof(vs), "at 1000 SAs (%u of them)",
			 ref->fire.n[i]);
		if (ref->fire.n[i])
			bench_report(what, f->fire.ns[i], ref->fire.ns[i], vs,
				     "ns", false);
		else
			bench_report_alone(what, f->fire.ns[i], "ns",
					   "none at 1000 SAs");
	}
}

BENCH(engine_scale)
{
	static struct scale s;
	const char *env = getenv("KB_BENCH_SCALE");
	char sizes[128];
	struct scale_figures ref = { 0 };
	struct mallinfo2 m0, m1;
	size_t have = 0;
	uint64_t t0;

	snprintf(sizes, sizeof(sizes), "%s", env ? env : "1000 100000");
	bench_conn(&s.p.ca, true);
	bench_conn(&s.p.cb, false);
	s.p.cb.remote_auth.id = (struct engine_id){ 0 }; /* any initiator */
	bench_pair_init(&s.p);
	scale_new_initiator(&s);
	m0 = mallinfo2();
	t0 = bench_now_ns();
	for (char *tok = strtok(sizes, " ,"); tok; tok = strtok(NULL, " ,")) {
		size_t n = strtoul(tok, NULL, 10);
		struct scale_figures f;
		char what[96];
		double ns;

		while (have < n) {
			scale_handshake(&s);
			have++;
		}
		/* bytes of the responder's SAs: the initiator's are dropped */
		scale_new_initiator(&s);
		m1 = mallinfo2();
		f.bytes_per_sa =
			((double)m1.uordblks - (double)m0.uordblks) / (double)n;
		snprintf(what, sizeof(what), "%zu SAs: set up in", n);
		bench_report_alone(what, (bench_now_ns() - t0) / 1e9, "s",
				   "both sides on one core, cumulative");
		s.dl_ns = s.dl_calls = 0;
		ns = bench_ns_per_op(scale_handshake, &s, bench_seconds());
		f.hs_per_s = 1e9 / ns;
		f.dl_ns = s.dl_calls ? (double)s.dl_ns / s.dl_calls : 0;
		have = engine_ike_count(s.p.b);
		/* fire timers on a copy of time: the SAs stay established */
		{
			uint64_t now = s.p.now;

			scale_fire(&s, 200, &f.fire);
			s.p.now = now;
		}
		if (!ref.hs_per_s)
			ref = f;
		scale_report(n, &f, &ref);
	}
	if (s.p.failures)
		bench_report_alone("handshake errors", (double)s.p.failures,
				   "count", "must be 0");
	bench_pair_free(&s.p);
}

/* ---- Walks over every SA: one engine's side at scale -------------------
 *
 * Two engines that each hold N established IKE SA + CHILD SA pairs while
 * a fresh peer engine per handshake plays the other side (it keeps no SA,
 * so nothing but the engine under test grows):
 *  - a hub: one initiator engine whose connection is pointed at a new
 *    remote address before each handshake (engine_conn_set_remote), so
 *    every IKE SA it makes is a first contact (§2.4 INITIAL_CONTACT);
 *  - road warriors: one responder engine taking a new initiator per
 *    handshake, each with its own identity and its own /32 inside
 *    10.0.0.0/8 as its traffic selector, so no two CHILD SAs share
 *    their policies.
 * Each size's handshake rate is printed beside the first size's: a
 * step that walks every SA shows as a ratio that falls with N. Sizes:
 * $KB_BENCH_SCALE (default "1000 100000"). */

struct walks {
	struct engine_conn ci, cr; /* the initiator's, the responder's */
	struct bench_pair p;
	bool hub;   /* a stays, b is fresh; else b stays, a is fresh */
	unsigned k; /* handshakes so far */
};

/* The k-th peer's address or selector: 10.x.y.z, never 10.0.0.0. */
static void walks_ip(uint8_t ip[4], unsigned k)
{
	k++;
	ip[0] = 10;
	ip[1] = (uint8_t)(k >> 16);
	ip[2] = (uint8_t)(k >> 8);
	ip[3] = (uint8_t)k;
}

static void walks_handshake(void *arg)
{
	struct walks *w = arg;
	struct engine_env env = { .random = bench_random };
	struct engine **fresh = w->hub ? &w->p.b : &w->p.a;

	if (w->hub) {
		struct engine_addr r = w->ci.remote;

		walks_ip(r.ip, w->k);
		if (engine_conn_set_remote(w->p.a, "bench", &r))
			abort();
		*fresh = engine_new(&env, NULL, &w->cr, 1);
	} else {
		struct engine_ts *ts = &w->ci.children[0].local_ts[0];

		walks_ip(ts->start, w->k);
		memcpy(ts->end, ts->start, 4);
		w->ci.local_auth.id.len = (uint16_t)snprintf(
			(char *)w->ci.local_auth.id.data,
			sizeof(w->ci.local_auth.id.data), "r%u", w->k);
		*fresh = engine_new(&env, NULL, &w->ci, 1);
	}
	if (!*fresh)
		abort();
	if (engine_initiate(w->p.a, w->p.now, "bench", NULL))
		w->p.failures++;
	bench_pump(&w->p);
	engine_free(*fresh);
	*fresh = NULL;
	w->k++;
}

static void walks_series(struct walks *w, const char *what_side)
{
	const char *env = getenv("KB_BENCH_SCALE");
	struct engine_env eenv = { .random = bench_random };
	char sizes[128];
	double ref = 0;
	size_t have = 0;

	snprintf(sizes, sizeof(sizes), "%s", env ? env : "1000 100000");
	memset(&w->p, 0, sizeof(w->p));
	w->k = 0;
	if (w->hub)
		w->p.a = engine_new(&eenv, NULL, &w->ci, 1);
	else
		w->p.b = engine_new(&eenv, NULL, &w->cr, 1);
	if (!w->p.a && !w->p.b)
		abort();
	for (char *tok = strtok(sizes, " ,"); tok; tok = strtok(NULL, " ,")) {
		size_t n = strtoul(tok, NULL, 10);
		struct engine *kept = w->hub ? w->p.a : w->p.b;
		char what[96];
		double rate;

		while (have < n) {
			walks_handshake(w);
			have++;
		}
		rate = 1e9 /
		       bench_ns_per_op(walks_handshake, w, bench_seconds());
		have = engine_ike_count(kept);
		snprintf(what, sizeof(what), "%s, %zu SAs: handshakes/s",
			 what_side, n);
		if (!ref)
			ref = rate;
		bench_report(what, rate, ref, "at the first size", "ops/s",
			     true);
	}
	if (w->p.failures)
		bench_report_alone("handshake errors", (double)w->p.failures,
				   "count", "must be 0");
	engine_free(w->p.a);
	engine_free(w->p.b);
}

BENCH(engine_scale_walks)
{
	static struct walks w;
	struct engine_child_cfg *rch = &w.cr.children[0];

	bench_conn(&w.ci, true);
	bench_conn(&w.cr, false);
	w.cr.local.family = 0; /* any of the hub's targets */
	w.cr.remote_auth.id = (struct engine_id){ 0 }; /* any initiator */
	bench_ts(&rch->remote_ts[0], 0); /* 10.0.0.0/8, narrowed */
	rch->remote_ts[0].start[1] = 0;
	rch->remote_ts[0].end[1] = 255;
	w.hub = true;
	walks_series(&w, "initiator (hub)");
	w.hub = false;
	bench_conn(&w.ci, true);
	walks_series(&w, "responder (road warriors)");
}
