/* The engine's indexes over its SAs (daemon/engine/sa_idx.c) in two-peer
 * scenarios: what they replaced walked every IKE SA, so the behaviour
 * must be the one those walks gave. The sanitizer build also compares
 * every answer with that walk (KB_ENGINE_SELFCHECK). */
#include "engine/ike_sa.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <string.h>

/* RFC 7296 §2.4: INITIAL_CONTACT goes with the first IKE SA to a peer
 * only. a's second IKE SA to b leaves b's first one alone; a restarted
 * comes with INITIAL_CONTACT again, and b drops the stale one. */
TEST(sa_idx_initial_contact_only_to_a_first_contact)
{
	struct harness h = { 0 };
	struct engine_conn c;
	uint32_t first, second;

	harness_pair_default(&h);
	harness_no_lifetimes(&h);
	harness_start(&h, NULL);
	/* HDR, SK {IDi, N(INITIAL_CONTACT), AUTH, SA, TSi, TSr} --> */
	harness_establish(&h);
	first = harness_ike_id(&h.b);
	/* HDR, SK {IDi, AUTH, SA, TSi, TSr} -->  (a knows b already) */
	REQUIRE((second = harness_initiate(&h)) != 0);
	harness_run(&h, 10);
	CHECK_EQ(engine_ike_count(h.a.e), 2u);
	CHECK_EQ(engine_ike_count(h.b.e), 2u);
	CHECK(!harness_logged(&h.b, "peer sent INITIAL_CONTACT"));
	/* a restarts: its one IKE SA to b is a first contact again */
	c = h.a.conn;
	harness_restart_a_with(&h, &c);
	REQUIRE(harness_initiate(&h) != 0);
	harness_run(&h, 10);
	CHECK(harness_logged(&h.b, "peer sent INITIAL_CONTACT: removing its "
				   "old IKE SA"));
	CHECK_EQ(engine_ike_count(h.b.e), 1u);
	CHECK(harness_ike_id(&h.b) != first);
	harness_free(&h);
}

static void sa_idx_mobike_pair(struct harness *h)
{
	harness_pair_default(h);
	harness_no_lifetimes(h);
	h->a.conn.mobike = h->b.conn.mobike = true;
	harness_start(h, NULL);
	harness_establish(h);
	harness_run(h, 50);
}

/* b's IKE SA to a follows a's move (RFC 4555 UPDATE_SA_ADDRESSES), and
 * the index with it: an IKE SA that b then makes to a's old address is
 * a first contact there (INITIAL_CONTACT, a drops the moved SA), where
 * without the move it is not. */
TEST(sa_idx_first_contact_follows_a_moved_peer)
{
	struct harness h = { 0 };
	struct engine_addr moved = { .family = AF_INET, .port = 500 };

	/* without a move: b's second IKE SA says nothing */
	sa_idx_mobike_pair(&h);
	REQUIRE_EQ(engine_initiate(h.b.e, h.now, h.b.conn.name, NULL), 0);
	harness_run(&h, 10);
	CHECK_EQ(engine_ike_count(h.a.e), 2u);
	CHECK(!harness_logged(&h.a, "peer sent INITIAL_CONTACT"));
	harness_free(&h);

	memset(&h, 0, sizeof(h));
	sa_idx_mobike_pair(&h);
	(void)inet_pton(AF_INET, "10.9.9.9", moved.ip);
	/* HDR, SK {N(UPDATE_SA_ADDRESSES), ...} -->  from 10.9.9.9 */
	REQUIRE_EQ(engine_ike_move(h.a.e, h.now, harness_ike_id(&h.a), &moved),
		   0);
	harness_run(&h, 10);
	REQUIRE(ike_sa_by_id(h.b.e, harness_ike_id(&h.b)) != NULL);
	CHECK_MEM(ike_sa_by_id(h.b.e, harness_ike_id(&h.b))->remote.ip,
		  moved.ip, 4);
	REQUIRE_EQ(engine_initiate(h.b.e, h.now, h.b.conn.name, NULL), 0);
	harness_run(&h, 10);
	CHECK(harness_logged(&h.a, "peer sent INITIAL_CONTACT: removing its "
				   "old IKE SA"));
	CHECK_EQ(engine_ike_count(h.a.e), 1u);
	harness_free(&h);
}

/* Two IKE SAs of one connection, each with a CHILD SA of the same config
 * and selectors: the kernel policies go in with the first CHILD SA and
 * out with the last, on both peers, also across a reload that keeps the
 * connection (its CHILD SAs then point into the new table). */
TEST(sa_idx_shared_policies_go_with_the_last_child)
{
	struct harness h = { 0 };
	const bool keep = true;
	uint32_t first, second;

	harness_pair_default(&h);
	harness_no_lifetimes(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_run(&h, 10);
	first = harness_ike_id(&h.a);
	CHECK_EQ(h.a.n_pol_add, 3u); /* out, in, fwd */
	CHECK_EQ(h.b.n_pol_add, 3u);
	REQUIRE_EQ(engine_conns_replace(h.a.e, h.now, &h.a.conn, &keep, 1), 0);
	REQUIRE((second = harness_initiate(&h)) != 0);
	harness_run(&h, 10);
	REQUIRE_EQ(engine_child_count(h.a.e), 2u);
	REQUIRE_EQ(engine_child_count(h.b.e), 2u);
	CHECK_EQ(h.a.n_pol_add, 3u);
	CHECK_EQ(h.b.n_pol_add, 3u);
	/* INFORMATIONAL { D(IKE) } both ways: the other CHILD SA holds on */
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, first), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	REQUIRE_EQ(engine_ike_count(h.a.e), 1u);
	REQUIRE_EQ(engine_ike_count(h.b.e), 1u);
	CHECK_EQ(h.a.n_pol_del, 0u);
	CHECK_EQ(h.b.n_pol_del, 0u);
	/* the last one takes them */
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, second), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	CHECK_EQ(engine_ike_count(h.a.e), 0u);
	CHECK_EQ(h.a.n_pol_del, 3u);
	CHECK_EQ(h.b.n_pol_del, 3u);
	harness_free(&h);
}

/* A kernel ACQUIRE goes to the newest established IKE SA of its
 * connection (found through the index by connection): with the CHILD
 * SA of the newer one closed, the ACQUIRE makes it again there, though
 * the older IKE SA still has one; the policies never left meanwhile. */
TEST(sa_idx_acquire_goes_to_the_newest_ike_sa)
{
	struct harness h = { 0 };
	struct engine_kevent ev = { .type = ENGINE_KEV_ACQUIRE };
	struct engine_child_info ci;
	uint32_t second;

	harness_pair_default(&h);
	harness_no_lifetimes(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_run(&h, 10);
	REQUIRE((second = harness_initiate(&h)) != 0);
	harness_run(&h, 10);
	REQUIRE_EQ(engine_child_info(h.a.e, second, 0, &ci), 0);
	/* INFORMATIONAL { D(ESP) } both ways, on the newer IKE SA */
	REQUIRE_EQ(engine_terminate_child(h.a.e, h.now, second, ci.spi_in), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	REQUIRE(engine_child_info(h.a.e, second, 0, &ci) != 0);
	CHECK_EQ(engine_child_count(h.a.e), 1u);
	CHECK_EQ(h.a.n_pol_del, 0u);
	/* CREATE_CHILD_SA { SA, Ni, KEi, TSi, TSr } --> on `second` */
	ev.reqid = h.a.conn.children[0].reqid;
	REQUIRE_EQ(engine_kernel_event(h.a.e, h.now, &ev), 0);
	CHECK(harness_logged(&h.a, "creating it"));
	harness_collect(&h);
	harness_run(&h, 10);
	CHECK_EQ(engine_child_info(h.a.e, second, 0, &ci), 0);
	CHECK_EQ(engine_child_count(h.a.e), 2u);
	CHECK_EQ(h.a.n_pol_add, 3u);
	CHECK_EQ(h.a.n_pol_del, 0u);
	harness_free(&h);
}
