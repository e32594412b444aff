/* Denial of service by unauthenticated peers (robustness issue): one
 * address cannot hold more than half_open_per_peer half-open SAs, even
 * when it answers cookies, so other peers still get in; unprotected
 * INVALID_IKE_SPI answers are rate-limited; limit warnings are logged
 * once a second. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/engine_err.h"
#include "engine/ike_msg.h"
#include "ike_iana.h"

#include <stdlib.h>
#include <string.h>

static size_t count_lines(const char *log, const char *needle)
{
	size_t n = 0;

	for (const char *p = log; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

TEST(engine_half_open_per_peer)
{
	struct harness h = { 0 };
	struct engine_settings set = { .cookie_threshold = 1000,
				       .half_open_per_peer = 5 };
	struct engine_addr other;

	harness_pair_default(&h);
	h.b.conn.remote.family = 0; /* b takes any peer */
	harness_start(&h, &set);
	/* a's address opens 5 half-open SAs, then is refused */
	for (int i = 0; i < 8; i++)
		REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", NULL), 0);
	harness_collect(&h);
	for (int i = 0; i < 8; i++)
		transmit(&h, &h.a, &h.b, H_DELIVER);
	CHECK_EQ(engine_half_open_count(h.b.e), 5u);
	CHECK(harness_logged(&h.b, "one address holds half_open_per_peer"));
	/* one warning line for the burst, the others counted */
	CHECK_EQ(count_lines(h.b.log, "IKE_SA_INIT dropped"), 1u);
	/* another address still gets in */
	REQUIRE_EQ(engine_initiate(h.a.e, h.now, "a-to-b", NULL), 0);
	harness_collect(&h);
	other = h.a.q[h.a.n_q - 1].src;
	other.ip[3] = 77;
	CHECK_EQ(engine_datagram(h.b.e, h.now, &h.a.q[h.a.n_q - 1].dst, &other,
				 h.a.q[h.a.n_q - 1].buf,
				 h.a.q[h.a.n_q - 1].len),
		 0);
	CHECK_EQ(engine_half_open_count(h.b.e), 6u);
	harness_free(&h);
}

/* §2.21.4: requests for unknown IKE SAs get INVALID_IKE_SPI, at most
 * invalid_spi_per_s of them a second. */
TEST(engine_invalid_spi_answers_rate_limited)
{
	struct harness h = { 0 };
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[64];
	size_t len;

	REQUIRE(m);
	harness_pair_default(&h);
	harness_start(&h, NULL);
	for (int i = 0; i < 100; i++) {
		ike_msg_init(m, 0x1000 + (uint64_t)i, 0x2000,
			     EXCH_INFORMATIONAL, IKE_FLAG_INITIATOR, 1);
		REQUIRE_EQ(ike_msg_encode(m, buf, sizeof(buf), &len), 0);
		CHECK_EQ(engine_datagram(h.b.e, h.now, &h.b.conn.local,
					 &h.b.conn.remote, buf, len),
			 -ENG_ERR_UNKNOWN_SPI);
	}
	harness_collect(&h);
	CHECK_EQ(h.b.n_q, 20u);
	h.now += 1000;
	REQUIRE_EQ(engine_datagram(h.b.e, h.now, &h.b.conn.local,
				   &h.b.conn.remote, buf, len),
		   -ENG_ERR_UNKNOWN_SPI);
	harness_collect(&h);
	CHECK_EQ(h.b.n_q, 21u); /* a new second, a new allowance */
	free(m);
	harness_free(&h);
}
