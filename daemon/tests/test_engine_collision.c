/* The collision matrix (RFC 7296 §2.8, §2.25): both peers start an
 * exchange on the same SAs at the same moment, and the first messages are
 * delivered in every order, dropped or duplicated. Every case must end
 * with the SAs both sides agree on: one SA pair per child configuration
 * in both kernel models with the same SPIs, one IKE SA with the same
 * SPIs, no task or request left, nothing larval.
 *
 *   a = 192.0.2.1  <---- requests cross ---->  b = 192.0.2.2
 */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_sa.h"

#include <string.h>

enum start {
	REKEY_CHILD = 1,
	REKEY_IKE,
	DELETE_CHILD,
	DELETE_IKE,
};

/* How the first datagrams go (a's request "A", b's request "B"). */
enum order {
	O_AB,	     /* A to b, then B to a, then the rest */
	O_BA,	     /* B to a first */
	O_A_DONE,    /* A and its response, then B */
	O_B_DONE,    /* B and its response, then A */
	O_DROP_A,    /* A lost once (retransmitted) */
	O_DROP_B,    /* B lost once */
	O_DROP_RESP, /* A, B delivered; b's response to A lost once */
	O_DUP_A,     /* A delivered twice */
	O_N,
};

static uint32_t first_spi(const struct hpeer *p)
{
	struct engine_child_info ci;

	return engine_child_info(p->e, harness_ike_id(p), 0, &ci) ? 0
								  : ci.spi_in;
}

static void start(struct harness *h, struct hpeer *p, enum start s)
{
	uint32_t id = harness_ike_id(p);

	switch (s) {
	case REKEY_CHILD:
		REQUIRE_EQ(engine_rekey_child(p->e, h->now, id, first_spi(p)),
			   0);
		break;
	case REKEY_IKE: REQUIRE_EQ(engine_rekey(p->e, h->now, id), 0); break;
	case DELETE_CHILD:
		REQUIRE_EQ(
			engine_terminate_child(p->e, h->now, id, first_spi(p)),
			0);
		break;
	case DELETE_IKE:
		REQUIRE_EQ(engine_terminate(p->e, h->now, id), 0);
		break;
	}
	harness_collect(h);
}

static void deliver(struct harness *h, enum order o)
{
	switch (o) {
	case O_AB:
		transmit(h, &h->a, &h->b, H_DELIVER);
		transmit(h, &h->b, &h->a, H_DELIVER);
		break;
	case O_BA:
		transmit(h, &h->b, &h->a, H_DELIVER);
		transmit(h, &h->a, &h->b, H_DELIVER);
		break;
	case O_A_DONE:
		transmit(h, &h->a, &h->b, H_DELIVER);
		/* b's queue: B, then its response to A */
		transmit_nth(h, &h->b, &h->a, 1, H_DELIVER);
		break;
	case O_B_DONE:
		transmit(h, &h->b, &h->a, H_DELIVER);
		transmit_nth(h, &h->a, &h->b, 1, H_DELIVER);
		break;
	case O_DROP_A: transmit(h, &h->a, &h->b, H_DROP); break;
	case O_DROP_B: transmit(h, &h->b, &h->a, H_DROP); break;
	case O_DROP_RESP:
		transmit(h, &h->a, &h->b, H_DELIVER);
		transmit(h, &h->b, &h->a, H_DELIVER);
		transmit(h, &h->b, &h->a, H_DROP);
		break;
	case O_DUP_A: transmit(h, &h->a, &h->b, H_DUP); break;
	case O_N: break;
	}
}

static void check_idle(const struct hpeer *p)
{
	uint32_t ids[8];
	size_t n = engine_ike_list(p->e, ids, 8);

	for (size_t k = 0; k < n && k < 8; k++) {
		struct ike_sa *sa = ike_sa_by_id(p->e, ids[k]);

		REQUIRE(sa);
		CHECK(!sa->tasks);
		CHECK(!win_requests(sa));
		for (struct child_sa *c = sa->children; c; c = c->next)
			CHECK_EQ(c->state, CHILD_INSTALLED);
	}
}

/* Runs one case; `ike_left`/`children_left` is what must remain. */
static void collide(enum start sa_, enum start sb, enum order o,
		    size_t ike_left, size_t children_left)
{
	struct harness h = { 0 };
	struct engine_ike_info ia, ib;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	start(&h, &h.a, sa_);
	start(&h, &h.b, sb);
	deliver(&h, o);
	/* everything else, retransmissions and delayed removals included */
	for (int i = 0; i < 200; i++) {
		harness_run(&h, 100);
		harness_advance(&h, 1000);
	}
	harness_run(&h, 100);
	CHECK_EQ(engine_ike_count(h.a.e), ike_left);
	CHECK_EQ(engine_ike_count(h.b.e), ike_left);
	CHECK_EQ(engine_child_count(h.a.e), children_left);
	CHECK_EQ(engine_child_count(h.b.e), children_left);
	harness_check_kernels(&h, children_left, 3 * children_left);
	if (ike_left == 1) {
		REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &ia),
			   0);
		REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib),
			   0);
		CHECK_EQ(ia.spi_i, ib.spi_i);
		CHECK_EQ(ia.spi_r, ib.spi_r);
		CHECK_EQ(ia.n_children, children_left);
		CHECK_EQ(ib.n_children, children_left);
		CHECK_EQ(ia.state, ENGINE_IKE_ESTABLISHED);
	}
	check_idle(&h.a);
	check_idle(&h.b);
	harness_free(&h);
}

/* clang-format off */
#define ORDERS(X, a, b, ike, ch)                                               \
	X(a, b, O_AB, ike, ch) X(a, b, O_BA, ike, ch)                          \
	X(a, b, O_A_DONE, ike, ch) X(a, b, O_B_DONE, ike, ch)                  \
	X(a, b, O_DROP_A, ike, ch) X(a, b, O_DROP_B, ike, ch)                  \
	X(a, b, O_DROP_RESP, ike, ch) X(a, b, O_DUP_A, ike, ch)
/* clang-format on */

#define CASE(a, b, o, ike, ch)                                                 \
	TEST(engine_collision_##a##_vs_##b##_##o)                              \
	{                                                                      \
		collide(a, b, o, ike, ch);                                     \
	}

/* Simultaneous CHILD SA rekeys (§2.8.1): the lowest nonce decides. */
ORDERS(CASE, REKEY_CHILD, REKEY_CHILD, 1, 1)
/* A rekey against a delete of the same CHILD SA (§2.25.1). */
ORDERS(CASE, REKEY_CHILD, DELETE_CHILD, 1, 0)
ORDERS(CASE, DELETE_CHILD, REKEY_CHILD, 1, 0)
/* Simultaneous IKE SA rekeys (§2.8.2) and CHILD against IKE rekeys. */
ORDERS(CASE, REKEY_IKE, REKEY_IKE, 1, 1)
ORDERS(CASE, REKEY_CHILD, REKEY_IKE, 1, 1)
ORDERS(CASE, REKEY_IKE, REKEY_CHILD, 1, 1)
/* IKE rekey against IKE delete, and against a CHILD delete. */
ORDERS(CASE, REKEY_IKE, DELETE_IKE, 0, 0)
ORDERS(CASE, DELETE_IKE, REKEY_IKE, 0, 0)
ORDERS(CASE, REKEY_IKE, DELETE_CHILD, 1, 0)
