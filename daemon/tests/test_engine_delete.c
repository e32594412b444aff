/* INFORMATIONAL Delete (RFC 7296 §1.4.1) with several Delete payloads. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Two children: 10.1/16 <-> 10.2/16 and 10.3/16 <-> 10.4/16. */
static void two_children(struct harness *h)
{
	struct engine_conn *cs[2] = { &h->a.conn, &h->b.conn };

	harness_pair_default(h);
	for (size_t i = 0; i < 2; i++) {
		struct engine_child_cfg *c2 = &cs[i]->children[1];

		*c2 = cs[i]->children[0];
		strcpy(c2->name, "second");
		c2->reqid += 16;
		c2->local_ts[0].start[1] = c2->local_ts[0].end[1] = i ? 4 : 3;
		c2->remote_ts[0].start[1] = c2->remote_ts[0].end[1] = i ? 3 : 4;
		cs[i]->n_children = 2;
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Regression (robustness issue, bug 3): the response named the SPIs of
 * the last Delete payload only, so the peer kept the other CHILD SA's
 * inbound SA forever. */
TEST(engine_delete_payloads_all_answered)
{
	struct harness h = { 0 };
	struct ike_sa *sa;
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t spis[2][4];
	size_t i = 0;

	REQUIRE(m);
	two_children(&h);
	harness_start(&h, NULL);
	harness_initiate(&h);
	harness_run(&h, 20);
	harness_check_kernels(&h, 2, 6);
	sa = ike_sa_by_id(h.a.e, harness_ike_id(&h.a));
	REQUIRE(sa && sa->n_children == 2);
	/* HDR, SK {D(ESP, spi1), D(ESP, spi2)} --> */
	msg_start(sa, m, EXCH_INFORMATIONAL, false, 0);
	for (struct child_sa *c = sa->children; c; c = c->next, i++) {
		struct ike_payload *p = ike_msg_add(m, PL_DELETE);

		REQUIRE(p);
		put32(spis[i], c->spi_in);
		p->inner = true;
		p->u.del.protocol = PROTO_ESP;
		p->u.del.spi_size = 4;
		p->u.del.n_spis = 1;
		p->u.del.spis = (struct ike_bytes){ spis[i], 4 };
		c->state = CHILD_DELETING;
	}
	REQUIRE_EQ(msg_send_request(sa, h.now, m), 0);
	REQUIRE(task_new(sa, TASK_CHILD_DELETE, false));
	sa->tasks->active = true;
	sa->tasks->msg_id = sa->req_next - 1;
	sa->tasks->spi_in = sa->children->spi_in;
	free(m);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	/* b deleted both and names both in its answer:
	 *            <-- HDR, SK {D(ESP, spi1', spi2')} */
	CHECK_EQ(engine_ike_count(h.b.e), 1u);
	{
		struct engine_ike_info ib;

		REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib),
			   0);
		CHECK_EQ(ib.n_children, 0u);
	}
	{
		struct ike_msg *r = malloc(sizeof(*r));
		uint8_t plain[2048];
		size_t n_spis = 0;

		harness_collect(&h);
		REQUIRE(r && h.b.n_q == 1);
		REQUIRE_EQ(ike_msg_decode(r, h.b.q[0].buf, h.b.q[0].len), 0);
		REQUIRE_EQ(msg_open(sa, r, plain, sizeof(plain)), 0);
		for (const struct ike_payload *p =
			     ike_msg_find(r, PL_DELETE, NULL);
		     p; p = ike_msg_find(r, PL_DELETE, p))
			n_spis += p->u.del.n_spis;
		CHECK_EQ(n_spis, 2u);
		free(r);
	}
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	harness_free(&h);
}

/* RFC 7296 §2.4: b restarts (its SAs are gone) and initiates again with
 * INITIAL_CONTACT; a removes the stale IKE SA and CHILD SA at once, after
 * the new CHILD SA holds the policies, so none is removed meanwhile. */
TEST(engine_initial_contact_replaces_stale_sas)
{
	struct harness h = { 0 };
	struct hkernel ka;
	uint32_t old_id;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	old_id = harness_ike_id(&h.a);
	CHECK(harness_b_restarts(&h, old_id));
	harness_kernel(&h.a, &ka);
	CHECK_EQ(ka.n_in, 1u);
	CHECK_EQ(ka.n_out, 1u);
	CHECK_EQ(ka.n_pol, 3u);
	CHECK_EQ(ka.n_pol_del, 0u);
	harness_free(&h);
}

/* RFC 7296 §2.4: a liveness check only when nothing was heard. Inbound
 * ESP that io saw (engine_esp_seen) counts: no DPD under traffic; one
 * as soon as the traffic stops. */
TEST(engine_dpd_suppressed_by_esp_traffic)
{
	struct harness h = { 0 };
	struct engine_child_info ci;
	size_t sent;

	harness_pair_default(&h);
	harness_no_lifetimes(&h);
	h.a.conn.dpd_delay_ms = 30000;
	harness_start(&h, NULL);
	harness_establish(&h);
	REQUIRE_EQ(engine_child_info(h.a.e, harness_ike_id(&h.a), 0, &ci), 0);
	sent = h.a.n_sent;
	for (int s = 0; s < 120; s += 10) {
		harness_advance(&h, 10000);
		REQUIRE_EQ(engine_esp_seen(h.a.e, h.now, ci.spi_in), 0);
	}
	CHECK_EQ(h.a.n_sent, sent); /* two minutes, no liveness check */
	CHECK_EQ(engine_esp_seen(h.a.e, h.now, 0x1234), -ENOENT);
	harness_advance(&h, 30000); /* traffic stopped: DPD */
	CHECK_EQ(h.a.n_sent, sent + 1);
	harness_run(&h, 4);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	harness_free(&h);
}
