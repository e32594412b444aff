/* The DoS counts engines share (daemon/engine/dos_share.c): the counts
 * alone, under threads that race for the last place, and two responder
 * engines counting in one set, as two workers of keybridged do:
 *
 *   a  (192.0.2.1) --> b   \  one dos_share: the cookie threshold, the
 *   a2 (192.0.2.1) --> b2  /  half-open maximum and the per-address
 *                             bound hold for b and b2 together
 */
#include "engine/dos_share.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/engine_err.h"
#include "engine/ike_msg.h"
#include "ike_iana.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void ds_addr4(struct engine_addr *a, uint32_t ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = 2;
	a->ip[0] = (uint8_t)(ip >> 24);
	a->ip[1] = (uint8_t)(ip >> 16);
	a->ip[2] = (uint8_t)(ip >> 8);
	a->ip[3] = (uint8_t)ip;
	a->port = port;
}

static void ds_addr6(struct engine_addr *a, uint32_t low)
{
	memset(a, 0, sizeof(*a));
	a->family = 10;
	a->ip[0] = 0x20;
	a->ip[1] = 0x01;
	a->ip[2] = 0x0d;
	a->ip[3] = 0xb8;
	a->ip[12] = (uint8_t)(low >> 24);
	a->ip[13] = (uint8_t)(low >> 16);
	a->ip[14] = (uint8_t)(low >> 8);
	a->ip[15] = (uint8_t)low;
	a->port = 500;
}

/* Address k of a set: 10.0.0.0 + k when k is even, 2001:db8::k else. */
static void ds_addr_k(struct engine_addr *a, uint32_t k)
{
	if (k % 2)
		ds_addr6(a, k);
	else
		ds_addr4(a, 0x0a000000 + k, 500);
}

TEST(dos_share_holds_stop_at_the_limit)
{
	struct dos_share *s = dos_share_new(1);

	REQUIRE(s);
	for (int i = 0; i < 5; i++)
		CHECK(dos_share_hold(s, 5));
	CHECK(!dos_share_hold(s, 5));
	CHECK(dos_share_hold(s, 6)); /* a higher limit: one more */
	CHECK_EQ(dos_share_half_open(s), 6u);
	/* counted beyond any limit (the new IKE SA of a rekey) */
	dos_share_add(s);
	CHECK_EQ(dos_share_half_open(s), 7u);
	CHECK(!dos_share_hold(s, 7));
	for (int i = 0; i < 7; i++)
		dos_share_release(s);
	CHECK_EQ(dos_share_half_open(s), 0u);
	CHECK(!dos_share_hold(s, 0));
	/* a second holder keeps it after the first lets go */
	CHECK(dos_share_ref(s) == s);
	dos_share_put(s);
	CHECK(dos_share_hold(s, 1));
	dos_share_put(s);
	dos_share_put(NULL);
}

/* Per address: the port does not count, IPv4 and IPv6 are apart, the
 * table grows past its first 64 addresses and forgets an address whose
 * last half-open SA is gone. */
TEST(dos_share_peers_counted_per_address)
{
	struct dos_share *s = dos_share_new(0x1234);
	struct engine_addr a, a_port, v6;
	uint32_t slot[4], *many;

	REQUIRE(s);
	ds_addr4(&a, 0xc0000201, 500);
	ds_addr4(&a_port, 0xc0000201, 4500);
	a_port.ip[7] = 0xee; /* beyond an IPv4 address: ignored */
	ds_addr6(&v6, 0xc0000201);
	slot[0] = dos_share_peer_hold(s, &a, 3);
	slot[1] = dos_share_peer_hold(s, &a_port, 3);
	slot[2] = dos_share_peer_hold(s, &a, 3);
	CHECK(slot[0] && slot[0] == slot[1] && slot[1] == slot[2]);
	CHECK_EQ(dos_share_peer_hold(s, &a, 3), 0u);
	CHECK_EQ(dos_share_peer_count(s, &a_port), 3u);
	slot[3] = dos_share_peer_hold(s, &v6, 3);
	CHECK(slot[3] && slot[3] != slot[0]);
	CHECK_EQ(dos_share_peers(s), 2u);
	dos_share_peer_release(s, slot[0]);
	CHECK_EQ(dos_share_peer_count(s, &a), 2u);
	CHECK(dos_share_peer_hold(s, &a, 3) == slot[0]);
	for (int i = 0; i < 3; i++)
		dos_share_peer_release(s, slot[0]);
	CHECK_EQ(dos_share_peer_count(s, &a), 0u);
	CHECK_EQ(dos_share_peers(s), 1u);
	/* a slot given back once too often, or never held: nothing */
	dos_share_peer_release(s, slot[0]);
	dos_share_peer_release(s, 0);
	dos_share_peer_release(s, 999999);
	CHECK_EQ(dos_share_peer_count(s, &v6), 1u);
	dos_share_peer_release(s, slot[3]);
	CHECK_EQ(dos_share_peers(s), 0u);

	/* 5,000 addresses (every other one IPv6), two SAs each */
	many = calloc(5000, sizeof(*many));
	REQUIRE(many);
	for (int round = 0; round < 2; round++)
		for (uint32_t k = 0; k < 5000; k++) {
			ds_addr_k(&a, k);
			slot[0] = dos_share_peer_hold(s, &a, 2);
			CHECK(slot[0] != 0);
			CHECK(!round || slot[0] == many[k]);
			many[k] = slot[0];
		}
	CHECK_EQ(dos_share_peers(s), 5000u);
	for (uint32_t k = 0; k < 5000; k++) {
		ds_addr_k(&a, k);
		CHECK_EQ(dos_share_peer_count(s, &a), 2u);
		CHECK_EQ(dos_share_peer_hold(s, &a, 2), 0u);
	}
	/* every other address leaves; the rest stay found */
	for (uint32_t k = 0; k < 5000; k += 2) {
		dos_share_peer_release(s, many[k]);
		dos_share_peer_release(s, many[k]);
	}
	CHECK_EQ(dos_share_peers(s), 2500u);
	for (uint32_t k = 0; k < 5000; k++) {
		ds_addr_k(&a, k);
		CHECK_EQ(dos_share_peer_count(s, &a), k % 2 ? 2u : 0u);
	}
	/* new addresses take the free slots: the table does not grow */
	for (uint32_t k = 0; k < 5000; k += 2) {
		ds_addr4(&a, 0x0b000000 + k, 500);
		slot[0] = dos_share_peer_hold(s, &a, 1);
		CHECK(slot[0] != 0 && slot[0] <= 5000);
		dos_share_peer_release(s, slot[0]);
	}
	for (uint32_t k = 1; k < 5000; k += 2) {
		dos_share_peer_release(s, many[k]);
		dos_share_peer_release(s, many[k]);
	}
	CHECK_EQ(dos_share_peers(s), 0u);
	free(many);
	dos_share_put(s);
}

/* One window a second from the first answer in it, `per_s` answers in
 * it; a clock that went back opens a new one. */
TEST(dos_share_rate_one_second_windows)
{
	struct dos_share *s = dos_share_new(7);

	REQUIRE(s);
	for (int i = 0; i < 3; i++)
		CHECK(dos_share_rate(s, DOS_RATE_INVALID_SPI,
				     5000 + (uint64_t)i, 3));
	CHECK(!dos_share_rate(s, DOS_RATE_INVALID_SPI, 5500, 3));
	CHECK(!dos_share_rate(s, DOS_RATE_INVALID_SPI, 5999, 3));
	CHECK(dos_share_rate(s, DOS_RATE_INVALID_SPI, 6000, 3));
	CHECK(dos_share_rate(s, DOS_RATE_INVALID_SPI, 6999, 3));
	CHECK(dos_share_rate(s, DOS_RATE_INVALID_SPI, 6999, 3));
	CHECK(!dos_share_rate(s, DOS_RATE_INVALID_SPI, 6999, 3));
	CHECK(dos_share_rate(s, DOS_RATE_INVALID_SPI, 100,
			     3)); /* behind the window: a new one */
	CHECK(!dos_share_rate(s, DOS_RATE_INVALID_SPI, 100, 0));
	/* the log lines have a window of their own */
	CHECK(dos_share_rate(s, DOS_RATE_LOG, 100, 1));
	CHECK(!dos_share_rate(s, DOS_RATE_LOG, 100, 1));
	/* a clock beyond 40 bits of ms still gets windows */
	CHECK(dos_share_rate(s, DOS_RATE_INVALID_SPI, (UINT64_C(1) << 41) + 10,
			     1));
	CHECK(!dos_share_rate(s, DOS_RATE_INVALID_SPI, (UINT64_C(1) << 41) + 20,
			      1));
	CHECK(dos_share_rate(s, DOS_RATE_INVALID_SPI,
			     (UINT64_C(1) << 41) + 1010, 1));
	dos_share_put(s);
}

enum { DS_THREADS = 8, DS_TRIES = 2000 };

struct ds_race {
	struct dos_share *s;
	pthread_barrier_t *go;
	uint32_t idx;
	unsigned held, peer_held, answers, churn_errors;
	uint32_t slots[DS_TRIES], kept[DS_TRIES];
};

/* Every thread tries for more places than there are: exactly the limit
 * are taken, however the threads interleave. */
static void *ds_race_run(void *arg)
{
	struct ds_race *r = arg;
	struct engine_addr one, mine;

	ds_addr4(&one, 0xc0000201, 500);
	pthread_barrier_wait(r->go);
	for (int i = 0; i < DS_TRIES; i++) {
		if (dos_share_hold(r->s, 5000))
			r->held++;
		if ((r->slots[i] = dos_share_peer_hold(r->s, &one, 3000)))
			r->peer_held++;
		if (dos_share_rate(r->s, DOS_RATE_INVALID_SPI, 42000, 1000))
			r->answers++;
	}
	/* then churn: addresses of its own come and go while the others'
	 * do, the table grows, slots are reused */
	for (uint32_t i = 0; i < DS_TRIES; i++) {
		uint32_t slot;

		ds_addr4(&mine, 0x0a000000 + r->idx * 65536 + i, 500);
		slot = dos_share_peer_hold(r->s, &mine, 1);
		if (!slot || dos_share_peer_hold(r->s, &mine, 1))
			r->churn_errors++;
		if (i % 3)
			dos_share_peer_release(r->s, slot);
		else
			r->kept[i] = slot;
	}
	for (uint32_t i = 0; i < DS_TRIES; i++) {
		ds_addr4(&mine, 0x0a000000 + r->idx * 65536 + i, 500);
		if (dos_share_peer_count(r->s, &mine) != (i % 3 ? 0u : 1u))
			r->churn_errors++;
		dos_share_peer_release(r->s, r->kept[i]);
	}
	return NULL;
}

TEST(dos_share_threads_take_exactly_the_limit)
{
	struct dos_share *s = dos_share_new(99);
	struct ds_race *r = calloc(DS_THREADS, sizeof(*r));
	pthread_t t[DS_THREADS];
	pthread_barrier_t go;
	unsigned held = 0, peer_held = 0, answers = 0;

	REQUIRE(s && r);
	pthread_barrier_init(&go, NULL, DS_THREADS);
	for (uint32_t i = 0; i < DS_THREADS; i++) {
		r[i].s = s;
		r[i].go = &go;
		r[i].idx = i;
		REQUIRE(pthread_create(&t[i], NULL, ds_race_run, &r[i]) == 0);
	}
	for (int i = 0; i < DS_THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(r[i].churn_errors, 0u);
		held += r[i].held;
		peer_held += r[i].peer_held;
		answers += r[i].answers;
	}
	CHECK_EQ(held, 5000u);
	CHECK_EQ(dos_share_half_open(s), 5000u);
	CHECK_EQ(peer_held, 3000u);
	CHECK_EQ(answers, 1000u);
	CHECK_EQ(dos_share_peers(s), 1u);
	for (int i = 0; i < DS_THREADS; i++)
		for (int k = 0; k < DS_TRIES; k++)
			dos_share_peer_release(s, r[i].slots[k]);
	CHECK_EQ(dos_share_peers(s), 0u);
	pthread_barrier_destroy(&go);
	free(r);
	dos_share_put(s);
}

/* ---- two responder engines counting together ---- */

/* A pair a -> b where b takes any peer; b2 of a second pair joins the
 * first b's counts with ds_join. */
static void ds_pair(struct harness *h, const struct engine_settings *set,
		    bool nat)
{
	harness_pair_default(h);
	h->b.conn.remote.family = 0;
	h->nat_a = nat;
	harness_start(h, set);
}

static bool ds_is_cookie(const struct hpkt *k)
{
	/* §2.6: a COOKIE answer keeps no state, so SPIr is zero */
	return k->len >= 28 && k->buf[18] == EXCH_IKE_SA_INIT &&
	       !memcmp(k->buf + 8, "\0\0\0\0\0\0\0\0", 8);
}

/* b's IKE_SA_INIT answers and COOKIEs from its queue position `from`. */
static void ds_count(const struct hpeer *b, size_t from, unsigned *answers,
		     unsigned *cookies)
{
	*answers = *cookies = 0;
	for (size_t i = from; i < b->n_q; i++) {
		if (b->q[i].len < 28 || b->q[i].buf[18] != EXCH_IKE_SA_INIT)
			continue;
		if (ds_is_cookie(&b->q[i]))
			(*cookies)++;
		else
			(*answers)++;
	}
}

/* a starts `n` IKE SAs; each IKE_SA_INIT request reaches b. */
static void ds_init(struct harness *h, int n, unsigned *answers,
		    unsigned *cookies)
{
	size_t q0;

	for (int i = 0; i < n; i++)
		REQUIRE_EQ(engine_initiate(h->a.e, h->now, "a-to-b", NULL), 0);
	harness_collect(h);
	q0 = h->b.n_q;
	while (h->a.n_q)
		(void)transmit(h, &h->a, &h->b, H_DELIVER);
	ds_count(&h->b, q0, answers, cookies);
}

/* b's COOKIEs go back to a, whose retries (§2.6) reach b. */
static void ds_retry(struct harness *h, unsigned *answers, unsigned *cookies)
{
	size_t i = 0, q0;

	harness_collect(h);
	while (i < h->b.n_q)
		if (ds_is_cookie(&h->b.q[i]))
			(void)transmit_nth(h, &h->b, &h->a, i, H_DELIVER);
		else
			i++;
	q0 = h->b.n_q;
	while (h->a.n_q)
		(void)transmit(h, &h->a, &h->b, H_DELIVER);
	ds_count(&h->b, q0, answers, cookies);
}

/* The cookie threshold and the half-open maximum count b's and b2's
 * half-open SAs together; IKE SAs that come up or an engine that goes
 * away give their places back. */
TEST(engine_dos_two_engines_one_cookie_threshold_and_maximum)
{
	struct harness h1 = { 0 }, h2 = { 0 };
	struct engine_settings set = { .cookie_threshold = 4,
				       .half_open_max = 6,
				       .half_open_per_peer = 100 };
	unsigned answers, cookies;

	ds_pair(&h1, &set, false);
	ds_pair(&h2, &set, false);
	REQUIRE_EQ(dos_share_join(h2.b.e, h1.b.e), 0);
	/* HDR, SA, KEi, Ni --> b (three times): under the threshold */
	ds_init(&h1, 3, &answers, &cookies);
	CHECK_EQ(answers, 3u);
	CHECK_EQ(cookies, 0u);
	/* HDR, SA, KEi, Ni --> b2 (four times): one place left below 4 */
	ds_init(&h2, 4, &answers, &cookies);
	CHECK_EQ(answers, 1u);
	CHECK_EQ(cookies, 3u);
	CHECK_EQ(engine_half_open_count(h2.b.e), 1u);
	/* HDR, N(COOKIE), SA, KEi, Ni --> b2 (three): 6 is the maximum */
	ds_retry(&h2, &answers, &cookies);
	CHECK_EQ(answers, 2u);
	CHECK_EQ(cookies, 0u);
	CHECK_EQ(engine_half_open_count(h1.b.e), 3u);
	CHECK_EQ(engine_half_open_count(h2.b.e), 3u);
	CHECK_EQ(dos_half_open_total(h1.b.e), 6u);
	CHECK(harness_logged(&h2.b, "IKE_SA_INIT dropped: half-open SAs "
				    "reached the limit (6 half-open SAs"));
	/* at the maximum, b drops a new request without a COOKIE */
	ds_init(&h1, 1, &answers, &cookies);
	CHECK_EQ(answers + cookies, 0u);
	/* b2 goes away (a worker stopping): its three places are free */
	harness_free(&h2);
	CHECK_EQ(dos_half_open_total(h1.b.e), 3u);
	/* b's three IKE SAs come up (IKE_AUTH): no half-open SA is left */
	harness_run(&h1, 100);
	CHECK_EQ(engine_ike_count(h1.b.e), 3u);
	CHECK_EQ(dos_half_open_total(h1.b.e), 0u);
	ds_init(&h1, 4, &answers, &cookies);
	CHECK_EQ(answers, 4u);
	harness_free(&h1);
}

/* One address holds half_open_per_peer half-open SAs in b and b2
 * together; another address still gets in; a half-open SA that times out
 * gives its address's place back. */
TEST(engine_dos_two_engines_one_bound_per_address)
{
	struct harness h1 = { 0 }, h2 = { 0 }, h3 = { 0 };
	struct engine_settings set = { .cookie_threshold = 100,
				       .half_open_max = 100,
				       .half_open_per_peer = 5,
				       .half_open_timeout_ms = 10000 };
	unsigned answers, cookies;

	ds_pair(&h1, &set, false);
	ds_pair(&h2, &set, false);
	ds_pair(&h3, &set, true); /* a3 at another address (198.51.100.7) */
	REQUIRE_EQ(dos_share_join(h2.b.e, h1.b.e), 0);
	REQUIRE_EQ(dos_share_join(h3.b.e, h2.b.e), 0);
	ds_init(&h1, 3, &answers, &cookies);
	CHECK_EQ(answers, 3u);
	/* 192.0.2.1 again, at b2: two more, then nothing */
	ds_init(&h2, 4, &answers, &cookies);
	CHECK_EQ(answers, 2u);
	CHECK_EQ(cookies, 0u);
	CHECK(harness_logged(&h2.b, "one address holds half_open_per_peer"));
	/* another address, at b3 */
	ds_init(&h3, 2, &answers, &cookies);
	CHECK_EQ(answers, 2u);
	CHECK_EQ(dos_half_open_total(h3.b.e), 7u);
	/* b's three time out (their peer never sent IKE_AUTH) */
	harness_advance(&h1, 10001);
	CHECK(harness_logged(&h1.b, "half-open IKE SA timed out"));
	CHECK_EQ(engine_half_open_count(h1.b.e), 0u);
	CHECK_EQ(dos_half_open_total(h2.b.e), 4u);
	ds_init(&h2, 4, &answers, &cookies);
	CHECK_EQ(answers, 3u);
	/* the first b, its SAs gone, stops last: the counts outlive it */
	harness_free(&h2);
	harness_free(&h3);
	CHECK_EQ(dos_half_open_total(h1.b.e), 0u);
	harness_free(&h1);
}

/* §2.21.4's rate of unprotected INVALID_IKE_SPI answers is the host's:
 * b and b2 answer 20 a second together. */
TEST(engine_dos_two_engines_one_invalid_spi_rate)
{
	struct harness h1 = { 0 }, h2 = { 0 };
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[64];
	size_t len;

	REQUIRE(m);
	ds_pair(&h1, NULL, false);
	ds_pair(&h2, NULL, false);
	REQUIRE_EQ(dos_share_join(h2.b.e, h1.b.e), 0);
	for (int i = 0; i < 30; i++) {
		struct harness *h = i < 15 ? &h1 : &h2;

		ike_msg_init(m, 0x1000 + (uint64_t)i, 0x2000,
			     EXCH_INFORMATIONAL, IKE_FLAG_INITIATOR, 1);
		REQUIRE_EQ(ike_msg_encode(m, buf, sizeof(buf), &len), 0);
		CHECK_EQ(engine_datagram(h->b.e, h->now, &h->b.conn.local,
					 &h->b.conn.remote, buf, len),
			 -ENG_ERR_UNKNOWN_SPI);
	}
	harness_collect(&h1);
	harness_collect(&h2);
	CHECK_EQ(h1.b.n_q, 15u);
	CHECK_EQ(h2.b.n_q, 5u);
	free(m);
	harness_free(&h1);
	harness_free(&h2);
}

static size_t ds_lines(const char *log, const char *needle)
{
	size_t n = 0;

	for (const char *p = log; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Forged IKE_AUTH requests on a half-open SA of b's and one of b2's: ten
 * lines a second about half-open IKE SAs reach the log from both
 * together (dos.c), each engine counts the lines it left out. */
static void ds_forge(struct harness *h, uint8_t **forged, struct hpkt **auth)
{
	harness_initiate(h);
	/* IKE_SA_INIT --> <-- */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	harness_collect(h);
	REQUIRE_EQ(h->a.n_q, 1u); /* IKE_AUTH, not delivered */
	*auth = &h->a.q[0];
	REQUIRE((*forged = malloc((*auth)->len)));
	memcpy(*forged, (*auth)->buf, (*auth)->len);
	(*forged)[(*auth)->len - 1] ^= 0x55; /* its ICV */
}

TEST(engine_dos_two_engines_one_log_allowance)
{
	struct harness h1 = { 0 }, h2 = { 0 };
	struct hpkt *auth1, *auth2;
	uint8_t *forged1, *forged2;

	ds_pair(&h1, NULL, false);
	ds_pair(&h2, NULL, false);
	REQUIRE_EQ(dos_share_join(h2.b.e, h1.b.e), 0);
	h2.now = h1.now; /* one clock, as the workers' */
	/* "IKE_SA_INIT answered" twice: two of the ten lines */
	ds_forge(&h1, &forged1, &auth1);
	ds_forge(&h2, &forged2, &auth2);
	for (int i = 0; i < 50; i++) {
		CHECK(engine_datagram(h1.b.e, h1.now, &auth1->dst, &auth1->src,
				      forged1, auth1->len) < 0);
		CHECK(engine_datagram(h2.b.e, h2.now, &auth2->dst, &auth2->src,
				      forged2, auth2->len) < 0);
	}
	CHECK_EQ(ds_lines(h1.b.log, "IKE_AUTH request dropped") +
			 ds_lines(h2.b.log, "IKE_AUTH request dropped"),
		 8u);
	h1.now += 1000;
	h2.now += 1000;
	CHECK(engine_datagram(h1.b.e, h1.now, &auth1->dst, &auth1->src, forged1,
			      auth1->len) < 0);
	CHECK(engine_datagram(h2.b.e, h2.now, &auth2->dst, &auth2->src, forged2,
			      auth2->len) < 0);
	/* 100 forged requests, 8 logged (4 each): 46 left out by each */
	CHECK(harness_logged(&h1.b, "46 lines about half-open IKE SAs"));
	CHECK(harness_logged(&h2.b, "46 lines about half-open IKE SAs"));
	CHECK_EQ(ds_lines(h1.b.log, "IKE_AUTH request dropped") +
			 ds_lines(h2.b.log, "IKE_AUTH request dropped"),
		 10u);
	free(forged1);
	free(forged2);
	harness_free(&h1);
	harness_free(&h2);
}
