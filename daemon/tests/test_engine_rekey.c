/* Rekeying (RFC 7296 §1.3, §2.8): CHILD and IKE SA rekeys in both
 * directions, PFS, make-before-break in the kernel model, more CHILD SAs
 * with CREATE_CHILD_SA, lifetimes in virtual time, and refusals. The
 * collision matrix is in test_engine_collision.c. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <string.h>

static uint32_t child_spi_in(const struct hpeer *p)
{
	struct engine_child_info ci;

	if (engine_child_info(p->e, harness_ike_id(p), 0, &ci))
		return 0;
	return ci.spi_in;
}

/* Every SA of both engines is idle: no task, no request in flight. */
static void check_idle(const struct harness *h)
{
	const struct hpeer *ps[2] = { &h->a, &h->b };

	for (size_t i = 0; i < 2; i++) {
		uint32_t ids[8];
		size_t n = engine_ike_list(ps[i]->e, ids, 8);

		for (size_t k = 0; k < n && k < 8; k++) {
			struct ike_sa *sa = ike_sa_by_id(ps[i]->e, ids[k]);

			CHECK(sa && !sa->tasks);
			CHECK(sa && !win_requests(sa));
		}
	}
}

/* Delivers everything and lets timers run for `s` virtual seconds. */
static void settle(struct harness *h, unsigned s)
{
	for (unsigned i = 0; i < s; i++) {
		harness_run(h, 100);
		harness_advance(h, 1000);
	}
	harness_run(h, 100);
}

TEST(engine_rekey_child_make_before_break)
{
	struct harness h = { 0 };
	struct hkernel ka, kb;
	uint32_t old_a, old_b;
	size_t pol_a;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	old_a = child_spi_in(&h.a);
	old_b = child_spi_in(&h.b);
	harness_kernel(&h.a, &ka);
	pol_a = h.a.n_pol_add;
	REQUIRE_EQ(
		engine_rekey_child(h.a.e, h.now, harness_ike_id(&h.a), old_a),
		0);
	/* HDR, SK {N(REKEY_SA), SA, TSi, TSr, Ni} --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	/* b: new inbound in, outbound still the old one */
	harness_kernel(&h.b, &kb);
	CHECK_EQ(kb.n_in, 2u);
	CHECK_EQ(kb.n_out, 1u);
	/* <-- HDR, SK {SA, TSi, TSr, Nr} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* a: new in and out; old out still there for a moment (the kernel
	 * takes the newest: cc_retire_out), old in kept */
	harness_kernel(&h.a, &ka);
	CHECK_EQ(ka.n_in, 2u);
	CHECK_EQ(ka.n_out, 2u);
	/* HDR, SK {D(old)} --> b switches its outbound */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	harness_kernel(&h.b, &kb);
	CHECK_EQ(kb.n_out, 2u); /* the old one goes in a moment */
	CHECK_EQ(kb.n_in, 2u);	/* old inbound kept a while */
	/* <-- HDR, SK {D(old)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK(child_spi_in(&h.a) != old_a);
	CHECK(child_spi_in(&h.b) != old_b);
	harness_advance(&h, 5001);
	harness_check_kernels(&h, 1, 3);
	/* the policies were never touched */
	harness_kernel(&h.a, &ka);
	CHECK_EQ(ka.n_pol_del, 0u);
	CHECK_EQ(h.a.n_pol_add, pol_a);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_REKEYED), 1u);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_REKEYED), 1u);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_DOWN), 0u);
	check_idle(&h);
	harness_free(&h);
}

/* Index in p->k of the first action of `type` for `spi` (inbound or not)
 * at or after `from`; p->n_k if there is none. */
static size_t kact(const struct hpeer *p, size_t from,
		   enum engine_action_type type, uint32_t spi, bool inbound)
{
	for (size_t i = from; i < p->n_k; i++)
		if (p->k[i].type == type && p->k[i].u.sa.spi == spi &&
		    p->k[i].u.sa.inbound == inbound)
			return i;
	return p->n_k;
}

/* A rekeyed inbound SA kept for delete_rekeyed_delay may reach its hard
 * lifetime first (a rekey that started late, kmod 47 on a loaded guest):
 * the kernel removes it itself, so the engine forgets it without a delete
 * (which would fail with ESRCH and be logged as a kernel error), and the
 * CHILD SA that replaced it stays. */
TEST(engine_rekey_old_inbound_hard_expired_during_the_delay)
{
	struct harness h = { 0 };
	struct engine_kevent ev = { .type = ENGINE_KEV_EXPIRE_HARD,
				    .proto = PROTO_ESP };
	uint32_t old_a;
	size_t from;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	old_a = child_spi_in(&h.a);
	REQUIRE_EQ(
		engine_rekey_child(h.a.e, h.now, harness_ike_id(&h.a), old_a),
		0);
	for (int i = 0; i < 4; i++) /* request, answer, Delete, answer */
		REQUIRE_EQ(transmit(&h, i % 2 ? &h.b : &h.a,
				    i % 2 ? &h.a : &h.b, H_DELIVER),
			   0);
	REQUIRE(child_spi_in(&h.a) != old_a);
	harness_advance(&h, 1000); /* the old outbound SA is gone */
	from = h.a.n_k;
	ev.spi = old_a;
	REQUIRE_EQ(engine_kernel_event(h.a.e, h.now, &ev), 0);
	harness_advance(&h, 5001);
	harness_run(&h, 10);
	CHECK_EQ(kact(&h.a, from, ENGINE_ACT_SA_DEL, old_a, true), h.a.n_k);
	CHECK(!harness_logged(&h.a, "hard expired; deleting it"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_DOWN), 0u);
	CHECK(child_spi_in(&h.a) != 0);
	check_idle(&h);
	harness_free(&h);
}

/* The order of one CHILD rekey's kernel actions against its datagrams
 * (doc/rekeying.md, make-before-break): each side's new inbound SA is
 * filled in before the message that lets the peer send on it leaves, a
 * new outbound SA goes in before the old one goes out, and the old one
 * goes a moment later, not in the same batch. The kmod
 * rekey test lost pings when the responder answered first and filled
 * its larval inbound SA afterwards: the initiator's first packets on
 * the new SA met the larval SA (XfrmAcquireError). */
TEST(engine_rekey_child_kernel_order)
{
	struct harness h = { 0 };
	uint32_t old_a, old_b, new_a, new_b;
	size_t ka0, kb0, i_in, i_out, i_del;
	const struct hpkt *resp, *del;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	old_a = child_spi_in(&h.a);
	old_b = child_spi_in(&h.b);
	ka0 = h.a.n_k;
	kb0 = h.b.n_k;
	REQUIRE_EQ(
		engine_rekey_child(h.a.e, h.now, harness_ike_id(&h.a), old_a),
		0);
	harness_collect(&h);
	REQUIRE(ka0 < h.a.n_k);
	REQUIRE_EQ(h.a.k[ka0].type, ENGINE_ACT_ALLOC_SPI);
	new_a = h.a.k[ka0].u.spi.spi;
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	/* b: ALLOC_SPI, then its new inbound SA, then the answer */
	REQUIRE_EQ(h.b.n_q, 1u);
	resp = &h.b.q[0];
	REQUIRE(kb0 < h.b.n_k);
	REQUIRE_EQ(h.b.k[kb0].type, ENGINE_ACT_ALLOC_SPI);
	new_b = h.b.k[kb0].u.spi.spi;
	i_in = kact(&h.b, kb0, ENGINE_ACT_SA_ADD, new_b, true);
	CHECK(i_in < h.b.n_k);
	CHECK(i_in < resp->n_k_before);
	CHECK_EQ(kact(&h.b, kb0, ENGINE_ACT_SA_DEL, old_a, false), h.b.n_k);
	/* a: new inbound, new outbound, old outbound out, then Delete */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	REQUIRE_EQ(h.a.n_q, 1u);
	del = &h.a.q[0];
	i_in = kact(&h.a, ka0, ENGINE_ACT_SA_ADD, new_a, true);
	i_out = kact(&h.a, ka0, ENGINE_ACT_SA_ADD, new_b, false);
	CHECK(i_in < i_out);
	CHECK(i_out < del->n_k_before);
	/* the old outbound SA stays a moment: packets that found it just
	 * before the switch still leave on it */
	CHECK_EQ(kact(&h.a, ka0, ENGINE_ACT_SA_DEL, old_b, false), h.a.n_k);
	CHECK_EQ(kact(&h.a, ka0, ENGINE_ACT_SA_DEL, old_a, true), h.a.n_k);
	/* b reads Delete(old): new outbound in, the old one stays a moment */
	kb0 = h.b.n_k;
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK(kact(&h.b, kb0, ENGINE_ACT_SA_ADD, new_a, false) < h.b.n_k);
	CHECK_EQ(kact(&h.b, kb0, ENGINE_ACT_SA_DEL, old_a, false), h.b.n_k);
	CHECK_EQ(kact(&h.b, kb0, ENGINE_ACT_SA_DEL, old_b, true), h.b.n_k);
	/* half a second later the old outbound SAs go, the inbound ones
	 * after delete_rekeyed_delay */
	harness_advance(&h, 600);
	i_del = kact(&h.a, ka0, ENGINE_ACT_SA_DEL, old_b, false);
	CHECK(i_out < i_del);
	CHECK(i_del < h.a.n_k);
	CHECK(kact(&h.b, kb0, ENGINE_ACT_SA_DEL, old_a, false) < h.b.n_k);
	CHECK_EQ(kact(&h.a, ka0, ENGINE_ACT_SA_DEL, old_a, true), h.a.n_k);
	settle(&h, 6);
	CHECK(kact(&h.a, ka0, ENGINE_ACT_SA_DEL, old_a, true) < h.a.n_k);
	CHECK(kact(&h.b, kb0, ENGINE_ACT_SA_DEL, old_a, false) < h.b.n_k);
	CHECK(kact(&h.b, kb0, ENGINE_ACT_SA_DEL, old_b, true) < h.b.n_k);
	harness_check_kernels(&h, 1, 3);
	check_idle(&h);
	harness_free(&h);
}

TEST(engine_rekey_child_by_responder_with_pfs)
{
	struct harness h = { 0 };
	struct engine_proposal *pa, *pb;

	harness_pair_default(&h);
	pa = &h.a.conn.children[0].esp[0];
	pb = &h.b.conn.children[0].esp[0];
	pa->x[pa->n++] = (struct engine_xform){ TRANS_KE, KE_CURVE25519, 0 };
	pb->x[pb->n++] = (struct engine_xform){ TRANS_KE, KE_CURVE25519, 0 };
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_rekey_child(h.b.e, h.now, harness_ike_id(&h.b),
				      child_spi_in(&h.b)),
		   0);
	settle(&h, 10);
	harness_check_kernels(&h, 1, 3);
	CHECK(harness_logged(&h.b, "with PFS sent"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_REKEYED), 1u);
	check_idle(&h);
	harness_free(&h);
}

/* §1.3: the responder wants another group: INVALID_KE_PAYLOAD, retry. */
TEST(engine_rekey_child_invalid_ke_retry)
{
	struct harness h = { 0 };
	struct engine_proposal *pa, *pb;

	harness_pair_default(&h);
	pa = &h.a.conn.children[0].esp[0];
	pb = &h.b.conn.children[0].esp[0];
	pa->x[pa->n++] = (struct engine_xform){ TRANS_KE, KE_CURVE25519, 0 };
	pa->x[pa->n++] = (struct engine_xform){ TRANS_KE, KE_ECP_256, 0 };
	pb->x[pb->n++] = (struct engine_xform){ TRANS_KE, KE_ECP_256, 0 };
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_rekey_child(h.a.e, h.now, harness_ike_id(&h.a),
				      child_spi_in(&h.a)),
		   0);
	settle(&h, 10);
	CHECK(harness_logged(&h.b, "answering INVALID_KE_PAYLOAD"));
	CHECK(harness_logged(&h.a, "INVALID_KE_PAYLOAD"));
	harness_check_kernels(&h, 1, 3);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_REKEYED), 1u);
	check_idle(&h);
	harness_free(&h);
}

static void rekey_ike(bool by_initiator)
{
	struct harness h = { 0 };
	struct hpeer *p;
	struct engine_ike_info ia, ib;
	uint32_t old_id;
	size_t sa_add_a;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	p = by_initiator ? &h.a : &h.b;
	old_id = harness_ike_id(p);
	sa_add_a = h.a.n_sa_add;
	REQUIRE_EQ(engine_rekey(p->e, h.now, old_id), 0);
	/* HDR, SK {SA, Ni, KEi} -->  <-- HDR, SK {SA, Nr, KEr}
	 * HDR(old), SK {D(IKE)} -->  <-- HDR(old), SK {} */
	settle(&h, 5);
	REQUIRE_EQ(engine_ike_count(h.a.e), 1u);
	REQUIRE_EQ(engine_ike_count(h.b.e), 1u);
	CHECK(harness_ike_id(p) != old_id);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &ia), 0);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib), 0);
	CHECK_EQ(ia.spi_i, ib.spi_i);
	CHECK_EQ(ia.spi_r, ib.spi_r);
	CHECK_EQ(ia.initiator, by_initiator);
	CHECK_EQ(ia.n_children, 1u);
	CHECK_EQ(ib.n_children, 1u);
	/* the CHILD SAs moved untouched */
	CHECK_EQ(h.a.n_sa_add, sa_add_a);
	CHECK_EQ(h.a.n_sa_del, 0u);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_REKEYED), 1u);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_DOWN), 0u);
	harness_check_kernels(&h, 1, 3);
	/* the new IKE SA works: a CHILD rekey over it */
	REQUIRE_EQ(engine_rekey_child(h.a.e, h.now, harness_ike_id(&h.a),
				      child_spi_in(&h.a)),
		   0);
	settle(&h, 10);
	harness_check_kernels(&h, 1, 3);
	check_idle(&h);
	harness_free(&h);
}

TEST(engine_rekey_ike_by_initiator)
{
	rekey_ike(true);
}

TEST(engine_rekey_ike_by_responder)
{
	rekey_ike(false);
}

/* Every children entry comes up: the first in IKE_AUTH, the second with
 * CREATE_CHILD_SA; an ACQUIRE for a child of an established IKE SA is
 * answered with CREATE_CHILD_SA on it. */
TEST(engine_second_child_and_acquire_use_create_child_sa)
{
	struct harness h = { 0 };
	struct engine_kevent ev = { .type = ENGINE_KEV_ACQUIRE };
	struct engine_conn *cs[2] = { &h.a.conn, &h.b.conn };

	harness_pair_default(&h);
	for (size_t i = 0; i < 2; i++) {
		struct engine_child_cfg *c2 = &cs[i]->children[1];

		*c2 = cs[i]->children[0];
		strcpy(c2->name, "second");
		c2->reqid += 16;
		c2->local_ts[0].start[1] = c2->local_ts[0].end[1] = i ? 4 : 3;
		c2->remote_ts[0].start[1] = c2->remote_ts[0].end[1] = i ? 3 : 4;
		cs[i]->n_children = 2;
	}
	harness_start(&h, NULL);
	harness_initiate(&h);
	settle(&h, 3);
	harness_check_kernels(&h, 2, 6);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_UP), 2u);
	/* b deletes the second; a's trap fires again */
	{
		struct engine_child_info ci;

		REQUIRE_EQ(
			engine_child_info(h.b.e, harness_ike_id(&h.b), 0, &ci),
			0);
		REQUIRE_EQ(engine_terminate_child(h.b.e, h.now,
						  harness_ike_id(&h.b),
						  ci.spi_in),
			   0);
		settle(&h, 1);
		harness_check_kernels(&h, 1, 3);
		ev.reqid = ci.reqid == h.b.conn.children[0].reqid
				   ? h.a.conn.children[0].reqid
				   : h.a.conn.children[1].reqid;
	}
	REQUIRE_EQ(engine_kernel_event(h.a.e, h.now, &ev), 0);
	CHECK(harness_logged(&h.a, "creating it"));
	settle(&h, 1);
	CHECK_EQ(engine_ike_count(h.a.e), 1u);
	harness_check_kernels(&h, 2, 6);
	check_idle(&h);
	harness_free(&h);
}

/* rekey_time = 60 s, rand_time = 10 s: every rekey falls in [50, 60] s
 * after the SA was made, never after life_time; IKE rekey_time 300 s. */
TEST(engine_rekey_lifetimes_in_virtual_time)
{
	struct harness h = { 0 };
	struct engine_conn *cs[2] = { &h.a.conn, &h.b.conn };
	uint64_t start, last;
	uint32_t spi;
	unsigned rekeys = 0;

	harness_pair_default(&h);
	for (size_t i = 0; i < 2; i++) {
		cs[i]->children[0].life_soft_s = 60;
		cs[i]->children[0].life_hard_s = 66;
		cs[i]->children[0].rand_s = 10;
		cs[i]->ike_rekey_s = 300;
		cs[i]->ike_rand_s = 30;
		cs[i]->ike_lifetime_s = 330;
	}
	/* b rekeys later than a, so a's schedule is what we see */
	cs[1]->children[0].life_soft_s = 200;
	cs[1]->children[0].life_hard_s = 220;
	cs[1]->ike_rekey_s = 3000;
	cs[1]->ike_lifetime_s = 3300;
	harness_start(&h, NULL);
	harness_establish(&h);
	start = last = h.now;
	spi = child_spi_in(&h.a);
	while (h.now < start + 3600 * 1000) {
		harness_run(&h, 100);
		harness_advance(&h, 500);
		if (child_spi_in(&h.a) && child_spi_in(&h.a) != spi) {
			uint64_t dt = h.now - last;

			/* the SPI changes when the rekey ends (< 1 s) */
			CHECK(dt >= 50000 && dt <= 61000);
			last = h.now;
			spi = child_spi_in(&h.a);
			rekeys++;
		}
	}
	test_note("%u CHILD SA rekeys in one virtual hour", rekeys);
	CHECK(rekeys >= 59 && rekeys <= 72);
	/* IKE SA ids count the rekeys (12 in [270, 300] s steps) */
	CHECK(harness_ike_id(&h.a) >= 13 && harness_ike_id(&h.a) <= 15);
	CHECK_EQ(harness_ike_id(&h.b), harness_ike_id(&h.a));
	CHECK(!harness_logged(&h.a, "CHILD SA deleted"));
	CHECK(!harness_logged(&h.a, "life_time without rekey"));
	harness_run(&h, 100);
	harness_advance(&h, 5001);
	harness_check_kernels(&h, 1, 3);
	harness_free(&h);
}

/* Bad input: a REKEY_SA for an SPI we do not have. */
TEST(engine_rekey_unknown_child_answered_not_found)
{
	struct harness h = { 0 };
	struct ike_sa *sa;
	struct child_sa *c;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	sa = ike_sa_by_id(h.a.e, harness_ike_id(&h.a));
	REQUIRE(sa && sa->children);
	c = sa->children;
	c->spi_in ^= 0x1000; /* b knows no such outbound SPI */
	REQUIRE_EQ(engine_rekey_child(h.a.e, h.now, sa->id, c->spi_in), 0);
	settle(&h, 2);
	CHECK(harness_logged(&h.b, "answering CHILD_SA_NOT_FOUND"));
	CHECK(harness_logged(&h.a, "peer refused rekey CHILD SA: "
				   "CHILD_SA_NOT_FOUND"));
	CHECK_EQ(engine_ike_count(h.b.e), 1u);
	check_idle(&h);
	harness_free(&h);
}

/* reauth_time (make-before-break reauthentication): a new IKE SA with
 * new CHILD SAs from IKE_SA_INIT on, then the old IKE SA is deleted; the
 * policies stay in place all along (the new CHILD SA holds them first). */
TEST(engine_reauth_make_before_break)
{
	struct harness h = { 0 };
	struct hkernel ka, kb;
	uint32_t old_a, old_b;

	harness_pair_default(&h);
	harness_no_lifetimes(&h);
	h.a.conn.ike_reauth_s = 100;
	harness_start(&h, NULL);
	harness_establish(&h);
	old_a = harness_ike_id(&h.a);
	old_b = harness_ike_id(&h.b);
	harness_advance(&h, 100 * 1000);
	CHECK(harness_logged(&h.a, "reauthenticating: new IKE SA"));
	settle(&h, 10);
	CHECK(harness_logged(&h.a, "reauthenticated: deleting"));
	REQUIRE_EQ(engine_ike_count(h.a.e), 1u);
	REQUIRE_EQ(engine_ike_count(h.b.e), 1u);
	CHECK(harness_ike_id(&h.a) != old_a);
	CHECK(harness_ike_id(&h.b) != old_b);
	harness_check_kernels(&h, 1, 3);
	harness_kernel(&h.a, &ka);
	harness_kernel(&h.b, &kb);
	CHECK_EQ(ka.n_pol_del, 0u);
	CHECK_EQ(kb.n_pol_del, 0u);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_IKE_UP), 2u);
	check_idle(&h);
	harness_free(&h);
}
