/* Actions handed over without a copy (daemon/engine/engine_actions.c):
 * what the engine adds while a list is out waits for the next take, and
 * the arrays take turns instead of being allocated for every call. */
#include "engine/ike_sa.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

/* The first IKE_SA_INIT request of a new IKE SA to b. */
static void ea_initiate(struct harness *h)
{
	REQUIRE_EQ(engine_initiate(h->a.e, h->now, h->a.conn.name, NULL), 0);
}

TEST(engine_actions_take_while_the_engine_adds)
{
	struct harness h = { 0 };
	struct engine_action_list l1, l2, l3;
	struct engine_action *first_array;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	engine_actions_clear(h.a.e);
	CHECK(!engine_actions_take(h.a.e, &l1));
	CHECK(!l1.a && !l1.n);
	ea_initiate(&h);
	REQUIRE(engine_actions_take(h.a.e, &l1));
	REQUIRE_EQ(l1.n, 1u);
	CHECK_EQ(l1.a[0].type, ENGINE_ACT_SEND);
	CHECK(l1.a[0].u.send.buf && l1.a[0].u.send.len > 0);
	first_array = l1.a;
	/* while l1 is out (being carried out), the engine adds another */
	ea_initiate(&h);
	REQUIRE(engine_actions_take(h.a.e, &l2));
	REQUIRE_EQ(l2.n, 1u);
	CHECK(l2.a != l1.a);
	CHECK(l2.a[0].ike_id != l1.a[0].ike_id);
	/* l1's datagram is untouched by the second take */
	CHECK_EQ(l1.a[0].type, ENGINE_ACT_SEND);
	engine_actions_done(h.a.e, &l1);
	CHECK(!l1.a && !l1.n);
	CHECK(!engine_actions_take(h.a.e, &l3));
	engine_actions_done(h.a.e, &l2); /* a spare is kept already: freed */
	/* the next actions go to the array l1 gave back */
	ea_initiate(&h);
	REQUIRE(engine_actions_take(h.a.e, &l3));
	CHECK(l3.a == first_array);
	CHECK_EQ(l3.n, 1u);
	engine_actions_done(h.a.e, &l3);
	/* one left out at the end is freed with the engine */
	ea_initiate(&h);
	CHECK_EQ(engine_ike_count(h.a.e), 4u);
	harness_free(&h);
}
