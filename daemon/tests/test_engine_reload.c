/* Replacing the connection table (engine_conns_replace, a SIGHUP reload):
 * a kept connection's SAs carry on untouched, a removed or changed one's
 * are deleted with the peer. Two engines in one process (DESIGN.md). */
#include "engine/engine.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

TEST(engine_reload_keeps_unchanged_connections_running)
{
	struct harness h;
	bool keep = true;
	uint32_t id;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	id = harness_ike_id(&h.a);
	REQUIRE_EQ(engine_conns_replace(h.a.e, h.now, &h.a.conn, &keep, 1), 0);
	harness_collect(&h);
	/* nothing is sent, the same IKE SA stays up and still works */
	CHECK_EQ(h.a.n_q, 0);
	CHECK_EQ(harness_ike_id(&h.a), id);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	/* INFORMATIONAL { D } --> : a Delete still finds its child config */
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, id), 0);
	harness_run(&h, 10);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	harness_free(&h);
}

TEST(engine_reload_deletes_removed_and_changed_connections)
{
	struct harness h;
	bool keep = false;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	/* the connection changed: its IKE SA is deleted with the peer */
	h.a.conn.dpd_delay_ms = 1000;
	REQUIRE_EQ(engine_conns_replace(h.a.e, h.now, &h.a.conn, &keep, 1), 0);
	harness_collect(&h);
	CHECK_EQ(h.a.n_q, 1);
	CHECK(harness_logged(&h.a, "deleting the IKE SA"));
	/* INFORMATIONAL { D(IKE) } -->, <-- INFORMATIONAL { } */
	harness_run(&h, 10);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	CHECK_GE(h.a.n_sa_del, 2);
	/* the new table is used for the next initiation */
	CHECK(harness_initiate(&h) != 0);
	harness_run(&h, 10);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);

	/* an empty table removes everything */
	REQUIRE_EQ(engine_conns_replace(h.a.e, h.now, NULL, NULL, 0), 0);
	harness_run(&h, 10);
	CHECK_EQ(engine_ike_count(h.a.e), 0);
	harness_free(&h);
}
