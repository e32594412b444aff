/* Random-mutation test: every message of a real exchange, corrupted in
 * many ways, is fed to the engine that would receive it. The engine must
 * not crash or leak (ASan/UBSan runner), and an established SA must keep
 * its keys, its CHILD SA and its ability to talk. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_sa.h"

#include <stdlib.h>
#include <string.h>

enum { MUT_MSGS = 6, MUT_PER_MSG = 400 };

struct mut_rec {
	struct hpkt pkt;
	bool to_b;
};

static uint64_t mut_rng = 0x5eed;

static uint32_t mut_rand(void)
{
	mut_rng ^= mut_rng << 13;
	mut_rng ^= mut_rng >> 7;
	mut_rng ^= mut_rng << 17;
	return (uint32_t)mut_rng;
}

/* Copies `in` into `out` with one random corruption; returns the length. */
static size_t mutate(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = len, i;

	memcpy(out, in, len);
	switch (mut_rand() % 7) {
	case 0: /* flip 1..4 bits */
		for (i = 1 + mut_rand() % 4; i > 0; i--)
			out[mut_rand() % n] ^=
				(uint8_t)(1u << (mut_rand() % 8));
		break;
	case 1: /* a random byte */
		out[mut_rand() % n] = (uint8_t)mut_rand();
		break;
	case 2: /* truncate */ n = mut_rand() % len; break;
	case 3: /* append garbage */
		for (i = mut_rand() % 64; i > 0 && n < cap; i--)
			out[n++] = (uint8_t)mut_rand();
		break;
	case 4: /* header fields: SPIs, next payload, version, type, flags,
		 * message ID, length */
		out[mut_rand() % 28] = (uint8_t)mut_rand();
		break;
	case 5: /* a payload length somewhere: two adjacent bytes */
		i = 28 + mut_rand() % (n > 30 ? n - 30 : 1);
		if (i + 1 < n) {
			out[i] = (uint8_t)mut_rand();
			out[i + 1] = (uint8_t)mut_rand();
		}
		break;
	default: /* zero a run */
		i = mut_rand() % n;
		memset(out + i, 0, (n - i) < 16 ? n - i : 16);
		break;
	}
	return n;
}

static void deliver_recorded(struct harness *h, struct mut_rec *rec,
			     size_t *n_rec, struct hpeer *from,
			     struct hpeer *to)
{
	harness_collect(h);
	REQUIRE(from->n_q >= 1);
	rec[*n_rec].pkt = from->q[0];
	rec[*n_rec].pkt.buf = malloc(from->q[0].len);
	REQUIRE(rec[*n_rec].pkt.buf);
	memcpy(rec[*n_rec].pkt.buf, from->q[0].buf, from->q[0].len);
	rec[*n_rec].to_b = to == &h->b;
	(*n_rec)++;
	REQUIRE_EQ(transmit(h, from, to, H_DELIVER), 0);
}

static void drop_all(struct harness *h)
{
	harness_collect(h);
	while (h->a.n_q)
		(void)transmit(h, &h->a, &h->b, H_DROP);
	while (h->b.n_q)
		(void)transmit(h, &h->b, &h->a, H_DROP);
}

TEST(engine_mutation_keeps_established_sa)
{
	struct harness h;
	struct mut_rec rec[MUT_MSGS];
	size_t n_rec = 0, n_sa_a, n_sa_b, n_pol;
	struct ike_sa *sa_a, *sa_b;
	uint8_t skd_a[KEYMAT_KEY_MAX], skd_b[KEYMAT_KEY_MAX];
	struct skp *sk_a, *sk_b; /* SK_e, SK_a: the same object, unchanged */
	uint32_t spi_in_a, spi_out_a;
	uint8_t buf[4096];

	harness_pair_default(&h);
	h.a.conn.dpd_delay_ms = 10000;
	harness_start(&h, NULL);
	/* Record IKE_SA_INIT, IKE_AUTH and an INFORMATIONAL exchange. */
	REQUIRE(harness_initiate(&h));
	deliver_recorded(&h, rec, &n_rec, &h.a, &h.b);
	deliver_recorded(&h, rec, &n_rec, &h.b, &h.a);
	deliver_recorded(&h, rec, &n_rec, &h.a, &h.b);
	deliver_recorded(&h, rec, &n_rec, &h.b, &h.a);
	harness_advance(&h, 10000);
	deliver_recorded(&h, rec, &n_rec, &h.a, &h.b);
	deliver_recorded(&h, rec, &n_rec, &h.b, &h.a);
	REQUIRE_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	REQUIRE_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	sa_a = ike_sa_by_id(h.a.e, harness_ike_id(&h.a));
	sa_b = ike_sa_by_id(h.b.e, 1);
	REQUIRE(sa_a && sa_b);
	memcpy(skd_a, sa_a->sk_d, sizeof(skd_a));
	memcpy(skd_b, sa_b->sk_d, sizeof(skd_b));
	sk_a = sa_a->sk;
	sk_b = sa_b->sk;
	spi_in_a = sa_a->children->spi_in;
	spi_out_a = sa_a->children->spi_out;
	n_sa_a = h.a.n_sa_add + h.a.n_sa_del;
	n_sa_b = h.b.n_sa_add + h.b.n_sa_del;
	n_pol = h.a.n_pol_add + h.a.n_pol_del + h.b.n_pol_add + h.b.n_pol_del;

	for (size_t m = 0; m < n_rec; m++) {
		for (int i = 0; i < MUT_PER_MSG; i++) {
			struct hpeer *to = rec[m].to_b ? &h.b : &h.a;
			size_t len = mutate(rec[m].pkt.buf, rec[m].pkt.len, buf,
					    sizeof(buf));

			(void)engine_datagram(to->e, h.now, &rec[m].pkt.dst,
					      &rec[m].pkt.src, buf, len);
			drop_all(&h);
		}
	}
	/* Same SA, same keys, same CHILD SA, no kernel changes. */
	CHECK(ike_sa_by_id(h.a.e, sa_a->id) == sa_a);
	CHECK(ike_sa_by_id(h.b.e, 1) == sa_b);
	CHECK_EQ(sa_a->state, IKE_SA_ESTABLISHED);
	CHECK_EQ(sa_b->state, IKE_SA_ESTABLISHED);
	CHECK_MEM(sa_a->sk_d, skd_a, sizeof(skd_a));
	CHECK_MEM(sa_b->sk_d, skd_b, sizeof(skd_b));
	CHECK(sa_a->sk == sk_a && sa_b->sk == sk_b);
	REQUIRE(sa_a->children);
	CHECK_EQ(sa_a->children->spi_in, spi_in_a);
	CHECK_EQ(sa_a->children->spi_out, spi_out_a);
	CHECK_EQ(h.a.n_sa_add + h.a.n_sa_del, n_sa_a);
	CHECK_EQ(h.b.n_sa_add + h.b.n_sa_del, n_sa_b);
	CHECK_EQ(h.a.n_pol_add + h.a.n_pol_del + h.b.n_pol_add + h.b.n_pol_del,
		 n_pol);
	test_note("%zu half-open SAs created by mutated IKE_SA_INIT requests",
		  engine_half_open_count(h.b.e));
	/* And the SA still works: a liveness check goes through. */
	REQUIRE(task_new(sa_a, TASK_DPD, false));
	task_kick(sa_a, h.now);
	REQUIRE(win_requests(sa_a));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK(!win_requests(sa_a));
	for (size_t m = 0; m < n_rec; m++)
		free(rec[m].pkt.buf);
	harness_free(&h);
}

/* Corrupted copies of an in-flight message arrive before the real one.
 * Authenticated messages (IKE_AUTH) must still lead to the same CHILD SA
 * on both sides; for IKE_SA_INIT the test only demands no crash and no
 * half-made SA (forged IKE_SA_INIT messages can spoil that attempt). */
static void mutate_in_flight(unsigned step)
{
	struct harness h;
	uint8_t buf[4096];

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	for (unsigned s = 0; s < 4; s++) {
		struct hpeer *from = s % 2 ? &h.b : &h.a;
		struct hpeer *to = s % 2 ? &h.a : &h.b;

		harness_collect(&h);
		if (!from->n_q)
			break;
		for (int i = 0; s == step && i < MUT_PER_MSG / 4; i++) {
			size_t len = mutate(from->q[0].buf, from->q[0].len, buf,
					    sizeof(buf));

			(void)engine_datagram(to->e, h.now, &from->q[0].dst,
					      &from->q[0].src, buf, len);
			/* drop what the forgeries provoked */
			harness_collect(&h);
			while (to->n_q)
				(void)transmit(&h, to, from, H_DROP);
		}
		(void)transmit(&h, from, to, H_DELIVER);
	}
	(void)harness_run(&h, 10);
	if (step >= 2) {
		CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
		CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
		harness_check_child_pair(&h);
	} else if (harness_state(&h.a) == ENGINE_IKE_ESTABLISHED) {
		harness_check_child_pair(&h);
	}
	harness_free(&h);
}

TEST(engine_mutation_in_flight_init_request)
{
	mutate_in_flight(0);
}

TEST(engine_mutation_in_flight_init_response)
{
	mutate_in_flight(1);
}

TEST(engine_mutation_in_flight_auth_request)
{
	mutate_in_flight(2);
}

TEST(engine_mutation_in_flight_auth_response)
{
	mutate_in_flight(3);
}
