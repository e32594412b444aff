/* Policies shared by several workers' CHILD SAs (io/polshare.h): the
 * kernel's policy goes with the last worker's SA that uses it. */
#include "tests/test.h"

#include "io/polshare.h"

#include <string.h>

static struct engine_policy ps_policy(uint8_t net, enum engine_policy_dir dir)
{
	struct engine_policy p;

	memset(&p, 0, sizeof(p));
	p.src.type = p.dst.type = 7; /* TS_IPV4_ADDR_RANGE */
	p.src.port_hi = p.dst.port_hi = 65535;
	p.src.start[0] = p.src.end[0] = 10;
	p.src.start[1] = p.src.end[1] = 1;
	p.dst.start[0] = p.dst.end[0] = 10;
	p.dst.start[1] = p.dst.end[1] = net;
	p.dst.end[2] = p.dst.end[3] = 255;
	p.dir = dir;
	return p;
}

TEST(polshare_last_removal_reaches_the_kernel)
{
	struct polshare t = { 0 };
	struct engine_policy out = ps_policy(2, ENGINE_POL_OUT);
	struct engine_policy in = ps_policy(2, ENGINE_POL_IN);
	struct engine_policy other = ps_policy(3, ENGINE_POL_OUT);

	/* two workers install the same selectors, one another's */
	CHECK(polshare_add(&t, &out));
	CHECK(polshare_add(&t, &in));
	CHECK(polshare_add(&t, &out));
	CHECK(polshare_add(&t, &other));
	/* the reqid and templates do not matter: selectors and direction */
	out.reqid = 99;
	out.tmpl_dst.ip[0] = 1;
	CHECK(!polshare_del(&t, &out)); /* the other worker still uses it */
	CHECK(polshare_del(&t, &out));	/* the last */
	CHECK(polshare_del(&t, &in));
	CHECK(polshare_del(&t, &out)); /* unknown: removed as before */
	CHECK_EQ(t.n, 1u);
	CHECK(polshare_del(&t, &other));
	CHECK_EQ(t.n, 0u);
	/* growth past the first allocation */
	for (int i = 0; i < 100; i++) {
		struct engine_policy p = ps_policy((uint8_t)i, ENGINE_POL_FWD);

		CHECK(polshare_add(&t, &p));
	}
	CHECK_EQ(t.n, 100u);
	for (int i = 99; i >= 0; i--) {
		struct engine_policy p = ps_policy((uint8_t)i, ENGINE_POL_FWD);

		CHECK(polshare_del(&t, &p));
	}
	CHECK_EQ(t.n, 0u);
	polshare_free(&t);
}
