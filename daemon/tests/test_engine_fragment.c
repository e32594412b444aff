/* IKE fragmentation (RFC 7383) between two engines: with a small
 * fragment size (200 bytes: a PSK IKE_AUTH is about 200 bytes), IKE_AUTH goes out in several Encrypted Fragment
 * payloads; they arrive in order, out of order, twice, forged or lost.
 * Regression for the robustness issue's bug 2: fragmented messages were
 * dropped as "a required payload is missing". */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_msg.h"
#include "ike_iana.h"

#include <stdlib.h>
#include <string.h>

static const struct engine_settings frag_small = { .fragment_size = 200 };

/* Number of datagrams in `p`'s queue that carry an SKF payload. */
static size_t frag_count(const struct hpeer *p)
{
	struct ike_msg *m = malloc(sizeof(*m));
	size_t n = 0;

	REQUIRE(m);
	for (size_t i = 0; i < p->n_q; i++)
		if (!ike_msg_decode(m, p->q[i].buf, p->q[i].len) &&
		    ike_msg_find(m, PL_SKF, NULL))
			n++;
	free(m);
	return n;
}

/* a and b up to the point where a's IKE_AUTH fragments are queued. */
static size_t frag_to_auth(struct harness *h)
{
	harness_pair_default(h);
	harness_start(h, &frag_small);
	REQUIRE(harness_initiate(h));
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	harness_collect(h);
	return frag_count(&h->a);
}

TEST(engine_fragment_ike_auth_both_ways)
{
	struct harness h = { 0 };
	size_t n = frag_to_auth(&h);

	test_note("IKE_AUTH request in %zu fragments of <= 200 bytes", n);
	REQUIRE(n >= 2);
	for (size_t i = 0; i < h.a.n_q; i++)
		CHECK(h.a.q[i].len <= 200 - 28);
	/* HDR, SKF{1/n} ... SKF{n/n} --> */
	harness_run(&h, 40);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	harness_check_child_pair(&h);
	harness_free(&h);
}

/* Last fragment first, a duplicate, and a forged copy (flipped ICV)
 * before the real one: reassembly takes only authentic parts, once. */
TEST(engine_fragment_reordered_duplicated_forged)
{
	struct harness h = { 0 };
	size_t n = frag_to_auth(&h);
	struct hpkt *last;

	REQUIRE(n >= 2);
	last = &h.a.q[h.a.n_q - 1];
	last->buf[last->len - 1] ^= 0x55;
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, h.a.n_q - 1, H_DELIVER) != 0,
		   1); /* forged: dropped */
	CHECK(harness_logged(&h.b, "dropped"));
	/* the forged copy was consumed; the genuine one comes with a's
	 * retransmission later. First the others, the first one twice. */
	REQUIRE_EQ(transmit_nth(&h, &h.a, &h.b, 0, H_DUP), 0);
	while (h.a.n_q)
		REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_INIT_DONE_R);
	/* a retransmits the whole train; b completes with the fragment it
	 * lacked and answers once */
	harness_advance(&h, 4000);
	harness_run(&h, 40);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	harness_check_child_pair(&h);
	harness_free(&h);
}

/* `fragmentation = no` on b: b does not announce it, so a sends IKE_AUTH
 * whole, whatever its size. */
TEST(engine_fragment_not_announced_not_sent)
{
	struct harness h = { 0 };

	harness_pair_default(&h);
	h.b.conn.fragmentation = ENGINE_FRAG_NO;
	harness_start(&h, &frag_small);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	harness_collect(&h);
	CHECK_EQ(frag_count(&h.a), 0u);
	CHECK_EQ(h.a.n_q, 1u);
	harness_run(&h, 10);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	harness_free(&h);
}
