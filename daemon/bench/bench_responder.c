/* Responder benchmark: what one childless PSK IKE SA with
 * aes128gcm16-prfsha256-x25519 costs keybridged as responder, the case
 * `make bench-peers` measures (issue 15).
 *
 * The crypto ceiling is the responder's crypto calls alone, the ones the
 * engine makes for that handshake, in its order (ike_sa_init.c,
 * exchange.c, ike_auth.c, lifetime.c):
 *
 *   IKE_SA_INIT request -->
 *     SPI (8 random bytes), NAT_DETECTION hashes of the request (2 SHA-1),
 *     Nr (32 random bytes), X25519 key pair, g^ir, SKEYSEED and the seven
 *     SK_* keys (§2.14), NAT_DETECTION hashes of the answer (2 SHA-1)
 *                                                <-- IKE_SA_INIT response
 *   IKE_AUTH request -->
 *     SK protection set up (8 random bytes of IV counter), the request
 *     opened (AES-GCM-128), the peer's AUTH checked (prf(SK_pi, IDi'),
 *     prf(PSK, "Key Pad for IKEv2"), prf over its signed octets), our
 *     AUTH made (the same three with SK_pr, IDr'), the IKE SA's rekey
 *     jitter (8 random bytes), the answer protected
 *                                                <-- IKE_AUTH response
 *
 * with the message and ID sizes of a real exchange between two engines
 * configured as ike-load and bench-peers' keybridged are. The engine's
 * random bytes come from getrandom(), as keybridged's do (daemon_random).
 * With KB_BENCH_CLOCK=cpu the figures are handshakes per CPU-second, the
 * unit bench-peers gives keybridged's responder in. */
#include "bench/bench.h"

#include "crypto/auth.h"
#include "crypto/crypto.h"
#include "crypto/ke.h"
#include "crypto/keymat.h"
#include "crypto/skp.h"
#include "engine/engine.h"
#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The IKE header and the SK payload header: the SK payload is the first
 * one in an IKE_AUTH message (§3.14). */
enum { RB_SK_HDR = 28 + 4, RB_ROUNDS = 3, RB_ENGINE_SAS = 1000 };

static const char rb_psk[] = "keybridge bench-peers secret";
static const char rb_id_r[] = "responder.bench", rb_id_i[] = "ike-load-0";

/* As keybridged's engine environment gets its random bytes. */
static int rb_getrandom(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return crypto_getrandom(buf, len);
}

static int rb_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return crypto_random(buf, len);
}

/* ---- the engines: ike-load's initiator, bench-peers' responder ---- */

struct rb_pair {
	struct engine *i, *r;
	struct engine_conn ci, cr;
	uint64_t now;
	unsigned n_sas; /* established in this pair of engines */
	unsigned long failures;
	uint64_t r_ns;	  /* responder's time, all handshakes */
	uint64_t r_count; /* handshakes */
	/* sizes of the last handshake's four messages */
	size_t len[4];
};

static void rb_addr(struct engine_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = IKE_PORT;
	(void)inet_pton(AF_INET, ip, a->ip);
}

static void rb_id(struct engine_id *id, const char *name)
{
	memset(id, 0, sizeof(*id));
	id->type = ID_FQDN;
	id->len = (uint16_t)strlen(name);
	memcpy(id->data, name, id->len);
}

static void rb_conn(struct engine_conn *c, bool initiator)
{
	const struct engine_xform ike[] = {
		{ TRANS_ENCR, ENCR_AES_GCM_16, 128 },
		{ TRANS_PRF, PRF_HMAC_SHA2_256, 0 },
		{ TRANS_KE, KE_CURVE25519, 0 },
	};
	struct engine_child_cfg *ch = &c->children[0];

	engine_conn_defaults(c);
	snprintf(c->name, sizeof(c->name), "bench");
	c->n_ike = 1;
	c->ike[0].n = 3;
	memcpy(c->ike[0].x, ike, sizeof(ike));
	c->local_auth.method = c->remote_auth.method = ENGINE_AUTH_PSK;
	c->psk_len = sizeof(rb_psk) - 1;
	memcpy(c->psk, rb_psk, c->psk_len);
	if (initiator) {
		/* ike-load --childless: no child, any responder identity */
		rb_addr(&c->local, "192.0.2.1");
		rb_addr(&c->remote, "192.0.2.2");
		rb_id(&c->local_auth.id, rb_id_i);
		return;
	}
	/* bench-peers' swanctl.conf: remote_addrs = %any, a child "c" */
	rb_addr(&c->local, "192.0.2.2");
	c->remote.family = 0;
	rb_id(&c->local_auth.id, rb_id_r);
	c->n_children = 1;
	snprintf(ch->name, sizeof(ch->name), "c");
	ch->n_esp = 1;
	ch->esp[0].n = 1;
	ch->esp[0].x[0] = ike[0];
	ch->n_local_ts = ch->n_remote_ts = 1;
	ch->local_ts[0].type = ch->remote_ts[0].type = TS_IPV4_ADDR_RANGE;
	ch->local_ts[0].port_hi = ch->remote_ts[0].port_hi = 65535;
	memset(ch->local_ts[0].end, 0xff, 4);
	memset(ch->remote_ts[0].end, 0xff, 4);
	ch->reqid = 0x6b620002;
}

static void rb_pair_init(struct rb_pair *p)
{
	struct engine_env ei = { .random = rb_random };
	struct engine_env er = { .random = rb_getrandom };

	p->i = engine_new(&ei, NULL, &p->ci, 1);
	p->r = engine_new(&er, NULL, &p->cr, 1);
	if (!p->i || !p->r)
		abort();
	p->n_sas = 0;
}

static void rb_pair_free(struct rb_pair *p)
{
	engine_free(p->i);
	engine_free(p->r);
	p->i = p->r = NULL;
}

/* The one datagram `e` wants sent, copied into `buf` (at most 2048). */
static size_t rb_take(struct engine *e, uint8_t *buf)
{
	const struct engine_action *a;
	size_t n, len = 0;

	a = engine_actions(e, &n);
	for (size_t k = 0; k < n; k++)
		if (a[k].type == ENGINE_ACT_SEND && !len &&
		    a[k].u.send.len <= 2048) {
			len = a[k].u.send.len;
			memcpy(buf, a[k].u.send.buf, len);
		}
	engine_actions_clear(e);
	return len;
}

/* One childless handshake; the responder's engine_datagram(), taking its
 * answer and asking its next deadline (what keybridged's loop does after
 * each datagram) are timed. */
static void rb_handshake(void *arg)
{
	struct rb_pair *p = arg;
	struct engine_addr ai, ar;
	uint8_t buf[2048];
	size_t len;

	if (p->n_sas == RB_ENGINE_SAS) {
		rb_pair_free(p);
		rb_pair_init(p);
	}
	rb_addr(&ai, "192.0.2.1");
	rb_addr(&ar, "192.0.2.2");
	if (engine_initiate(p->i, p->now, "bench", NULL))
		p->failures++;
	for (int m = 0; m < 2; m++) {
		uint64_t t0;

		if (!(len = rb_take(p->i, buf))) {
			p->failures++;
			return;
		}
		p->len[2 * m] = len;
		t0 = bench_now_ns();
		if (engine_datagram(p->r, p->now, &ar, &ai, buf, len))
			p->failures++;
		len = rb_take(p->r, buf);
		(void)engine_next_deadline(p->r);
		p->r_ns += bench_now_ns() - t0;
		p->len[2 * m + 1] = len;
		if (!len || engine_datagram(p->i, p->now, &ai, &ar, buf, len))
			p->failures++;
	}
	(void)rb_take(p->i, buf); /* nothing: the SA is up */
	p->r_count++;
	p->n_sas++;
}

/* ---- the crypto alone ---- */

struct rb_ceiling {
	size_t init_req, init_resp;		/* IKE_SA_INIT sizes */
	size_t auth_req_plain, auth_resp_plain; /* IKE_AUTH inner payloads */
	uint8_t peer_pub[32];			/* the initiator's KEi */
	uint8_t ni[32];
	uint8_t msg_req[2048], msg_resp[2048], auth_msg[2048];
	/* each step's time, summed over `count` handshakes */
	uint64_t ns[8], count;
};

enum {
	RB_T_RANDOM,  /* SPI and Nr */
	RB_T_NAT,     /* the four NAT_DETECTION hashes */
	RB_T_KEYPAIR, /* X25519 key pair and public value */
	RB_T_SECRET,  /* g^ir */
	RB_T_KEYS,    /* SKEYSEED and SK_* */
	RB_T_OPEN,    /* SK protection set up, request opened */
	RB_T_AUTH,    /* both AUTH payloads, rekey jitter */
	RB_T_SEAL,    /* the answer protected */
	RB_T_N
};

static const char *const rb_t_name[RB_T_N] = {
	[RB_T_RANDOM] = "  SPI and Nr (getrandom)",
	[RB_T_NAT] = "  4 NAT_DETECTION hashes (SHA-1)",
	[RB_T_KEYPAIR] = "  X25519 key pair",
	[RB_T_SECRET] = "  X25519 shared secret",
	[RB_T_KEYS] = "  SKEYSEED and SK_* (prf+)",
	[RB_T_OPEN] = "  SK set up, IKE_AUTH request opened",
	[RB_T_AUTH] = "  2 AUTH (PSK), rekey jitter",
	[RB_T_SEAL] = "  IKE_AUTH response protected",
};

static uint8_t *rb_id_body(const char *name, uint8_t *out, size_t *len)
{
	size_t n = strlen(name);

	out[0] = ID_FQDN;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, name, n);
	*len = 4 + n;
	return out;
}

/* Lays out an IKE_AUTH message for skp: IKE header, SK header, IV and
 * `plain` bytes of inner payloads. */
static void rb_sk_layout(uint8_t *msg, const struct skp *sk, size_t plain)
{
	memset(msg, 0, RB_SK_HDR + skp_iv_len(sk) + plain);
	msg[17] = PL_SK;
	msg[18] = 0x20;
	msg[RB_SK_HDR - 4] = PL_IDI;
}

/* Adds the time since *prev to *acc; *prev becomes now. */
static void rb_lap(uint64_t *prev, uint64_t *acc)
{
	uint64_t now = bench_now_ns();

	*acc += now - *prev;
	*prev = now;
}

/* One responder handshake's crypto, each step's time added to c->ns[].
 * The initiator's share (its AUTH, its SK set up and its IKE_AUTH request
 * protected, so that the responder has a real request to open) is done
 * in between and not counted. */
static void rb_crypto(void *arg)
{
	static const struct engine_addr la = { .family = AF_INET,
					       .port = IKE_PORT,
					       .ip = { 192, 0, 2, 2 } };
	static const struct engine_addr ra = { .family = AF_INET,
					       .port = IKE_PORT,
					       .ip = { 192, 0, 2, 1 } };
	static const uint64_t spi_i = 0x0102030405060708ull;
	struct rb_ceiling *c = arg;
	uint8_t spi_ib[8], spi_rb[8], nr[32], nat[NAT_HASH_LEN];
	uint8_t pub[KE_PUB_MAX], idi[300], idr[300], mac[PRF_MAX];
	uint8_t auth_i[PRF_MAX];
	size_t pub_len, idi_len, idr_len, out_len, off, plen, ai_len;
	uint64_t spi, jitter, t;
	struct keymat_suite suite;
	struct keymat_ike km;
	struct ke_secret s;
	struct auth_octets o;
	struct skp *sk_r, *sk_i;
	struct ke *ke;

	rb_id_body(rb_id_i, idi, &idi_len);
	rb_id_body(rb_id_r, idr, &idr_len);
	for (int k = 0; k < 8; k++)
		spi_ib[k] = (uint8_t)(spi_i >> (56 - 8 * k));
	t = bench_now_ns();
	/* IKE_SA_INIT request --> */
	if (rb_getrandom(NULL, &spi, sizeof(spi)) ||
	    rb_getrandom(NULL, nr, sizeof(nr)))
		abort();
	for (int k = 0; k < 8; k++)
		spi_rb[k] = (uint8_t)(spi >> (56 - 8 * k));
	rb_lap(&t, &c->ns[RB_T_RANDOM]);
	for (int k = 0; k < 2; k++)
		if (nat_hash(spi_i, 0, k ? &la : &ra, nat))
			abort();
	rb_lap(&t, &c->ns[RB_T_NAT]);
	if (ke_new(KE_CURVE25519, &ke) ||
	    ke_public(ke, pub, sizeof(pub), &pub_len))
		abort();
	rb_lap(&t, &c->ns[RB_T_KEYPAIR]);
	if (ke_derive(ke, c->peer_pub, sizeof(c->peer_pub), &s))
		abort();
	ke_free(ke);
	rb_lap(&t, &c->ns[RB_T_SECRET]);
	if (keymat_suite_init(&suite, ENCR_AES_GCM_16, 128, PRF_HMAC_SHA2_256,
			      0) ||
	    keymat_ike_derive(&km, &suite, s.buf, s.len, c->ni, sizeof(c->ni),
			      nr, sizeof(nr), spi_ib, spi_rb))
		abort();
	ke_secret_wipe(&s);
	rb_lap(&t, &c->ns[RB_T_KEYS]);
	for (int k = 0; k < 2; k++)
		if (nat_hash(spi_i, spi, k ? &ra : &la, nat))
			abort();
	rb_lap(&t, &c->ns[RB_T_NAT]);
	/*                                   <-- IKE_SA_INIT response */
	if (auth_octets_init(&o, km.suite.prf, km.sk_pi, km.p_len, c->msg_req,
			     c->init_req, nr, sizeof(nr), idi, idi_len) ||
	    auth_psk_make(km.suite.prf, (const uint8_t *)rb_psk,
			  sizeof(rb_psk) - 1, &o, auth_i, &ai_len) ||
	    skp_new(&km, true, &sk_i))
		abort();
	rb_sk_layout(c->auth_msg, sk_i, c->auth_req_plain);
	if (skp_protect(sk_i, c->auth_msg, sizeof(c->auth_msg), RB_SK_HDR,
			PL_SK, c->auth_req_plain, NULL, &out_len))
		abort();
	skp_free(sk_i);
	t = bench_now_ns(); /* the initiator's share is not counted */
	/* IKE_AUTH request --> */
	if (skp_new(&km, false, &sk_r) ||
	    skp_unprotect(sk_r, c->auth_msg, out_len, RB_SK_HDR, PL_SK, &off,
			  &plen))
		abort();
	rb_lap(&t, &c->ns[RB_T_OPEN]);
	if (auth_octets_init(&o, km.suite.prf, km.sk_pi, km.p_len, c->msg_req,
			     c->init_req, nr, sizeof(nr), idi, idi_len) ||
	    auth_psk_check(km.suite.prf, (const uint8_t *)rb_psk,
			   sizeof(rb_psk) - 1, &o, auth_i, ai_len) ||
	    auth_octets_init(&o, km.suite.prf, km.sk_pr, km.p_len, c->msg_resp,
			     c->init_resp, c->ni, sizeof(c->ni), idr,
			     idr_len) ||
	    auth_psk_make(km.suite.prf, (const uint8_t *)rb_psk,
			  sizeof(rb_psk) - 1, &o, mac, &out_len) ||
	    rb_getrandom(NULL, &jitter, sizeof(jitter)))
		abort();
	rb_lap(&t, &c->ns[RB_T_AUTH]);
	/*                                   <-- IKE_AUTH response */
	rb_sk_layout(c->auth_msg, sk_r, c->auth_resp_plain);
	if (skp_protect(sk_r, c->auth_msg, sizeof(c->auth_msg), RB_SK_HDR,
			PL_SK, c->auth_resp_plain, NULL, &out_len))
		abort();
	skp_free(sk_r);
	keymat_ike_wipe(&km);
	rb_lap(&t, &c->ns[RB_T_SEAL]);
	c->count++;
}

/* The size of the inner payloads of an IKE_AUTH message of `len` bytes. */
static size_t rb_plain_len(const struct skp *sk, size_t len)
{
	for (size_t p = len; p > 0; p--)
		if (RB_SK_HDR + p + skp_overhead(sk, p) == len)
			return p;
	abort();
}

/* Sizes and the initiator's values from the handshake `p` just made. */
static void rb_ceiling_init(struct rb_ceiling *c, const struct rb_pair *p)
{
	static const uint8_t spi[8] = { 1 };
	struct keymat_suite suite;
	struct keymat_ike km;
	struct ke_secret s;
	struct skp *sk;
	struct ke *ke;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->init_req = p->len[0];
	c->init_resp = p->len[1];
	if (c->init_req > sizeof(c->msg_req) ||
	    c->init_resp > sizeof(c->msg_resp) || crypto_random(c->ni, 32) ||
	    crypto_random(c->msg_req, c->init_req) ||
	    crypto_random(c->msg_resp, c->init_resp) ||
	    ke_new(KE_CURVE25519, &ke) ||
	    ke_public(ke, c->peer_pub, sizeof(c->peer_pub), &n) ||
	    ke_derive(ke, c->peer_pub, n, &s) ||
	    keymat_suite_init(&suite, ENCR_AES_GCM_16, 128, PRF_HMAC_SHA2_256,
			      0) ||
	    keymat_ike_derive(&km, &suite, s.buf, s.len, c->ni, 32, c->ni, 32,
			      spi, spi) ||
	    skp_new(&km, true, &sk))
		abort();
	c->auth_req_plain = rb_plain_len(sk, p->len[2]);
	c->auth_resp_plain = rb_plain_len(sk, p->len[3]);
	skp_free(sk);
	keymat_ike_wipe(&km);
	ke_secret_wipe(&s);
	ke_free(ke);
}

/* What one bench_now_ns() costs (CPU time is a system call). */
static double rb_clock_ns(void)
{
	uint64_t t0 = bench_now_ns(), sink = 0;

	for (int k = 0; k < 10000; k++)
		sink += bench_now_ns();
	return sink ? (double)(bench_now_ns() - t0) / 10001 : 0;
}

/* Runs `fn(arg)` for about `secs` of the benchmark's clock. */
static void rb_run_for(void (*fn)(void *), void *arg, double secs)
{
	uint64_t t0 = bench_now_ns(), budget = (uint64_t)(secs * 1e9);

	do {
		for (int k = 0; k < 16; k++)
			fn(arg);
	} while (bench_now_ns() - t0 < budget);
}

BENCH(responder_psk_x25519_gcm128)
{
	static struct rb_pair p;
	static struct rb_ceiling c;
	double secs = bench_seconds(), clk = rb_clock_ns();
	double eng = 1e30, ceil = 1e30, best[RB_T_N] = { 0 };
	char what[64];

	rb_conn(&p.ci, true);
	rb_conn(&p.cr, false);
	rb_pair_init(&p);
	rb_handshake(&p);
	if (p.failures)
		abort();
	rb_ceiling_init(&c, &p);
	/* The machine is shared: interleave the rounds and keep the best of
	 * each, so both figures see the same load. A clock reading is taken
	 * off each timed step. */
	for (int round = 0; round < RB_ROUNDS; round++) {
		double e, sum = 0;

		p.r_ns = p.r_count = 0;
		rb_run_for(rb_handshake, &p, secs / RB_ROUNDS / 2);
		e = (double)p.r_ns / (double)p.r_count - 2 * clk;
		eng = e < eng ? e : eng;
		memset(c.ns, 0, sizeof(c.ns));
		c.count = 0;
		rb_run_for(rb_crypto, &c, secs / RB_ROUNDS / 2);
		for (int k = 0; k < RB_T_N; k++)
			sum += (double)c.ns[k] / (double)c.count - clk;
		if (sum < ceil) {
			ceil = sum;
			for (int k = 0; k < RB_T_N; k++)
				best[k] =
					(double)c.ns[k] / (double)c.count - clk;
		}
	}
	bench_report("engine as responder, handshakes/s", 1e9 / eng, 1e9 / ceil,
		     "responder crypto ceiling", "hs/s", true);
	bench_report_alone("responder crypto ceiling, handshakes/s", 1e9 / ceil,
			   "hs/s",
			   "make bench-peers sets keybridged beside it");
	for (int k = 0; k < RB_T_N; k++)
		bench_report_alone(rb_t_name[k], best[k] / 1e3, "us",
				   "of the ceiling's handshake");
	snprintf(what, sizeof(what), "%zu, %zu, %zu, %zu bytes", p.len[0],
		 p.len[1], p.len[2], p.len[3]);
	bench_report_alone("the four messages",
			   (double)(p.len[0] + p.len[1] + p.len[2] + p.len[3]),
			   "bytes", what);
	if (p.failures)
		bench_report_alone("handshake errors", (double)p.failures,
				   "count", "must be 0");
	rb_pair_free(&p);
}

/* ---- the same handshakes on several threads at once ---- */

/* One thread's engines and count; `stop` is shared by all. */
struct rb_thread {
	pthread_t t;
	struct rb_pair p;
	const _Atomic bool *stop;
	unsigned long count;
	uint64_t cpu_ns;
};

static uint64_t rb_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *rb_thread_main(void *arg)
{
	struct rb_thread *t = arg;
	uint64_t cpu0 = rb_clock(CLOCK_THREAD_CPUTIME_ID);

	while (!atomic_load(t->stop)) {
		rb_handshake(&t->p);
		t->count++;
	}
	t->cpu_ns = rb_clock(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	return NULL;
}

/* `n` threads doing whole handshakes (both engines of a pair each) for
 * `secs` of wall-clock time: handshakes per second of all of them, and
 * CPU nanoseconds per handshake in *cpu_per_hs. */
static double rb_threads_run(struct rb_thread *t, unsigned n, double secs,
			     double *cpu_per_hs)
{
	_Atomic bool stop = false;
	uint64_t t0 = rb_clock(CLOCK_MONOTONIC), cpu = 0;
	unsigned long count = 0;
	struct timespec ts = { (time_t)secs,
			       (long)((secs - (double)(time_t)secs) * 1e9) };

	for (unsigned k = 0; k < n; k++) {
		t[k].stop = &stop;
		t[k].count = 0;
		if (pthread_create(&t[k].t, NULL, rb_thread_main, &t[k]))
			abort();
	}
	nanosleep(&ts, NULL);
	atomic_store(&stop, true);
	for (unsigned k = 0; k < n; k++) {
		pthread_join(t[k].t, NULL);
		count += t[k].count;
		cpu += t[k].cpu_ns;
	}
	*cpu_per_hs = count ? (double)cpu / (double)count : 0;
	return (double)count * 1e9 / (double)(rb_clock(CLOCK_MONOTONIC) - t0);
}

/* Whether the handshake code scales over cores: the engines, OpenSSL and
 * malloc, without sockets or kernel (keybridged's workers each own an
 * engine, as each thread here owns a pair). Two threads beside one, in
 * turns, the best of three rounds each: handshakes per second of wall
 * time (what two cores give, if the machine has two idle ones) and CPU
 * time per handshake (what sharing costs: locks and cache lines taken
 * in turns; 1.00 is none). Each handshake is both sides', as in
 * engine_psk_x25519_gcm. */
BENCH(responder_threads)
{
	static struct rb_thread t[2];
	double secs = bench_seconds(), rate[3] = { 0 },
	       cpu[3] = { 1e30, 1e30, 1e30 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	for (unsigned k = 0; k < 2; k++) {
		rb_conn(&t[k].p.ci, true);
		rb_conn(&t[k].p.cr, false);
		rb_pair_init(&t[k].p);
		rb_handshake(&t[k].p); /* OpenSSL's one-time set-up */
	}
	for (int round = 0; round < RB_ROUNDS; round++)
		for (unsigned n = 1; n <= 2; n++) {
			double c, r = rb_threads_run(t, n, secs, &c);

			rate[n] = r > rate[n] ? r : rate[n];
			cpu[n] = c < cpu[n] ? c : cpu[n];
		}
	bench_report("2 threads beside 1, handshakes/s", rate[2], rate[1],
		     "1 thread", "hs/s", true);
	bench_report("  CPU time per handshake, 2 threads", cpu[2] / 1e3,
		     cpu[1] / 1e3, "1 thread", "us", false);
	bench_report_alone("online CPUs", (double)ncpu, "count",
			   ncpu < 2 ? "one: two threads cannot run at once"
				    : "issue 15 asks keybridged >= 1.8x on 2");
	for (unsigned k = 0; k < 2; k++) {
		if (t[k].p.failures)
			bench_report_alone("handshake errors",
					   (double)t[k].p.failures, "count",
					   "must be 0");
		rb_pair_free(&t[k].p);
	}
}
