/* Replacing the connection table (engine_conns_replace, a SIGHUP reload):
 * a kept connection's SAs carry on untouched, a removed or changed one's
 * are deleted with the peer. Two engines in one process (DESIGN.md). */
#include "engine/engine.h"
#include "engine/reload.h"
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

/* Robustness bug 4: every reload kept the replaced table, PSKs included.
 * A table no IKE SA points into is freed at once; one that SAs being
 * deleted still use goes when the last of them does. */
TEST(engine_reload_frees_replaced_tables)
{
	struct harness h;
	bool keep = true;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	/* a kept connection's SA moves to the new table: nothing stays */
	for (int i = 0; i < 200; i++) {
		REQUIRE_EQ(
			engine_conns_replace(h.a.e, h.now, &h.a.conn, &keep, 1),
			0);
		CHECK_EQ(engine_retired_count(h.a.e), 0);
	}
	harness_collect(&h);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);

	/* a changed one: its SA is deleted with the peer and holds the old
	 * table until it is gone */
	keep = false;
	h.a.conn.psk[0] ^= 1;
	REQUIRE_EQ(engine_conns_replace(h.a.e, h.now, &h.a.conn, &keep, 1), 0);
	CHECK_EQ(engine_retired_count(h.a.e), 1);
	CHECK_EQ(engine_retired_collect(h.a.e), 1);
	/* INFORMATIONAL { D(IKE) } -->, <-- INFORMATIONAL { } */
	harness_run(&h, 10);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
	CHECK_EQ(engine_retired_collect(h.a.e), 0);
	CHECK_EQ(engine_retired_count(h.a.e), 0);
	harness_free(&h);
}

/* io frees keys and certificates only when no table names them. */
TEST(engine_reload_auth_in_use_follows_tables)
{
	struct harness h;
	bool keep = false;
	int key_a, key_b;
	struct engine_conn c;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	/* (PSK authentication: the engine never reads these keys) */
	c = h.a.conn;
	c.local_auth.key = (const struct auth_key *)&key_a;
	REQUIRE_EQ(engine_conns_replace(h.a.e, h.now, &c, &keep, 1), 0);
	CHECK_EQ(engine_retired_count(h.a.e), 0);
	CHECK(engine_auth_in_use(h.a.e, &key_a));
	CHECK(!engine_auth_in_use(h.a.e, &key_b));
	harness_establish(&h);
	/* the SA of the connection with key_a holds its table */
	c.local_auth.key = (const struct auth_key *)&key_b;
	REQUIRE_EQ(engine_conns_replace(h.a.e, h.now, &c, &keep, 1), 0);
	CHECK(engine_auth_in_use(h.a.e, &key_a));
	CHECK(engine_auth_in_use(h.a.e, &key_b));
	harness_run(&h, 10);
	CHECK_EQ(engine_retired_collect(h.a.e), 0);
	CHECK(!engine_auth_in_use(h.a.e, &key_a));
	CHECK(engine_auth_in_use(h.a.e, &key_b));
	harness_free(&h);
}
