/* MOBIKE (RFC 4555) between two engines: agreement in IKE_AUTH, the
 * initiator moving to a new address with UPDATE_SA_ADDRESSES, a NAT
 * appearing on the new path, and updates without agreement. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_sa.h"
#include "engine/pool.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static void mobike_pair(struct harness *h, bool a_wants, bool b_wants)
{
	harness_pair_default(h);
	harness_no_lifetimes(h);
	h->a.conn.mobike = a_wants;
	h->b.conn.mobike = b_wants;
	harness_start(h, NULL);
	harness_establish(h);
	harness_run(h, 50);
}

static struct ike_sa *only_sa(const struct hpeer *p)
{
	return ike_sa_by_id(p->e, harness_ike_id(p));
}

static void addr4(struct engine_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = port;
	(void)inet_pton(AF_INET, ip, a->ip);
}

static bool ip_is(const struct engine_addr *a, const char *ip)
{
	struct engine_addr want;

	addr4(&want, ip, 0);
	return a->family == AF_INET && !memcmp(a->ip, want.ip, 4);
}

/* The SA_MIGRATE actions a peer recorded from index `from` on. */
static size_t migrates(const struct hpeer *p, size_t from,
		       const struct engine_migrate **last)
{
	size_t n = 0;

	for (size_t i = from; i < p->n_k; i++) {
		if (p->k[i].type != ENGINE_ACT_SA_MIGRATE)
			continue;
		n++;
		*last = &p->k[i].u.migrate;
	}
	return n;
}

/* Both announce MOBIKE_SUPPORTED; the initiator talks on 4500 from
 * IKE_AUTH on, even without a NAT (§3.3). */
TEST(engine_mobike_agreed_in_ike_auth)
{
	struct harness h = { 0 };
	struct engine_ike_info ia, ib;

	mobike_pair(&h, true, true);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &ia), 0);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib), 0);
	CHECK(ia.mobike);
	CHECK(ib.mobike);
	CHECK_EQ(ia.local.port, IKE_NATT_PORT);
	CHECK_EQ(ib.local.port, IKE_NATT_PORT);
	CHECK(!ia.nat_local && !ia.nat_remote);
	/* plain ESP without a NAT, though IKE is on 4500 */
	CHECK(!harness_sa_add(&h.a, false)->encap);
	harness_free(&h);
}

/* The initiator's address changes: its UPDATE_SA_ADDRESSES from the new
 * address moves the responder's SAs at once, and its own when the answer
 * comes; traffic-bearing exchanges then use the new path. */
TEST(engine_mobike_initiator_moves)
{
	struct harness h = { 0 };
	struct engine_addr moved;
	const struct engine_migrate *g = NULL;
	struct engine_ike_info ib;
	size_t ka, kb;

	mobike_pair(&h, true, true);
	ka = h.a.n_k;
	kb = h.b.n_k;
	addr4(&moved, "192.0.2.11", 500);
	REQUIRE_EQ(engine_ike_move(h.a.e, h.now, harness_ike_id(&h.a), &moved),
		   0);
	harness_collect(&h);
	REQUIRE_EQ(h.a.n_q, 1u);
	CHECK(ip_is(&h.a.q[0].src, "192.0.2.11"));
	CHECK_EQ(h.a.q[0].src.port, IKE_NATT_PORT);
	/* HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_D_*), N(COOKIE2) } --> */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(engine_ike_info(h.b.e, harness_ike_id(&h.b), &ib), 0);
	CHECK(ip_is(&ib.remote, "192.0.2.11"));
	/* out, in and fwd of the one child */
	CHECK_EQ(migrates(&h.b, kb, &g), 3u);
	REQUIRE(g != NULL);
	CHECK(!g->encap);
	CHECK(ip_is(&g->policy.tmpl_src, "192.0.2.1") ||
	      ip_is(&g->policy.tmpl_dst, "192.0.2.1"));
	CHECK(ip_is(&g->new_src, "192.0.2.11") ||
	      ip_is(&g->new_dst, "192.0.2.11"));
	CHECK_EQ(migrates(&h.a, ka, &g), 0u); /* not before the answer */
	/* <-- HDR, SK { N(NAT_D_*), N(COOKIE2) } */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(migrates(&h.a, ka, &g), 3u);
	CHECK(harness_logged(&h.a, "moved to the new address"));
	CHECK(harness_logged(&h.b, "peer moved; following it"));
	/* the next exchange takes the new path both ways */
	{
		struct engine_child_info ci;

		REQUIRE_EQ(
			engine_child_info(h.a.e, harness_ike_id(&h.a), 0, &ci),
			0);
		REQUIRE_EQ(engine_rekey_child(h.a.e, h.now,
					      harness_ike_id(&h.a), ci.spi_in),
			   0);
		harness_collect(&h);
		REQUIRE(h.a.n_q >= 1);
		CHECK(ip_is(&h.a.q[0].src, "192.0.2.11"));
		harness_run(&h, 50);
		CHECK(ip_is(&harness_sa_add(&h.b, false)->dst, "192.0.2.11"));
		CHECK(ip_is(&harness_sa_add(&h.a, false)->src, "192.0.2.11"));
	}
	harness_free(&h);
}

/* The new path runs through a NAT: both sides see it in the update's
 * NAT_DETECTION notifies and put ESP in UDP from then on. */
TEST(engine_mobike_nat_on_the_new_path)
{
	struct harness h = { 0 };
	struct engine_addr moved;
	const struct engine_migrate *g = NULL;
	size_t ka, kb;

	mobike_pair(&h, true, true);
	ka = h.a.n_k;
	kb = h.b.n_k;
	h.nat_a = true;
	addr4(&moved, "10.9.9.9", 500);
	REQUIRE_EQ(engine_ike_move(h.a.e, h.now, harness_ike_id(&h.a), &moved),
		   0);
	harness_run(&h, 10);
	CHECK_EQ(migrates(&h.b, kb, &g), 3u);
	REQUIRE(g != NULL);
	CHECK(g->encap);
	CHECK(only_sa(&h.b)->nat_remote);
	CHECK_EQ(migrates(&h.a, ka, &g), 3u);
	CHECK(g->encap);
	CHECK(only_sa(&h.a)->nat_local);
	CHECK(harness_logged(&h.a, "behind a NAT now"));
	harness_free(&h);
}

/* Without MOBIKE agreed nothing moves: the initiator cannot start an
 * update, and an update it sends anyway changes nothing on the peer,
 * whose answer then lacks COOKIE2. */
TEST(engine_mobike_update_without_agreement)
{
	struct harness h = { 0 };
	struct engine_addr moved;
	const struct engine_migrate *g = NULL;
	struct engine_ike_info ia;
	size_t kb;

	mobike_pair(&h, true, false);
	REQUIRE_EQ(engine_ike_info(h.a.e, harness_ike_id(&h.a), &ia), 0);
	CHECK(!ia.mobike);
	addr4(&moved, "192.0.2.11", 500);
	CHECK_EQ(engine_ike_move(h.a.e, h.now, harness_ike_id(&h.a), &moved),
		 -ENG_ERR_STATE);
	CHECK_EQ(engine_ike_move(h.b.e, h.now, harness_ike_id(&h.b), &moved),
		 -ENG_ERR_STATE);
	/* a believes in MOBIKE (as a peer that ignored the negotiation) */
	only_sa(&h.a)->mobike = true;
	kb = h.b.n_k;
	REQUIRE_EQ(engine_ike_move(h.a.e, h.now, harness_ike_id(&h.a), &moved),
		   0);
	harness_run(&h, 10);
	CHECK(harness_logged(&h.b, "UPDATE_SA_ADDRESSES without MOBIKE "
				   "agreed; addresses unchanged"));
	CHECK(harness_logged(&h.b, "b-from-a[1]"));
	CHECK_EQ(migrates(&h.b, kb, &g), 0u);
	CHECK(harness_logged(&h.a, "without our COOKIE2"));
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	harness_free(&h);
}

/* The road warrior's virtual address follows its moving end (as charon
 * reinstalls its virtual IPs after a roam): once the answer to its
 * update comes, a asks io again to put 10.3.0.1 on the interface of its
 * new address (ENGINE_ACT_ADDR_ADD with local 192.0.2.11); io moves it
 * there (io/vip.c, test vip_follows_the_local_address). The gateway,
 * whose address did not change, asks nothing. */
TEST(engine_mobike_virtual_address_follows)
{
	struct engine_pool pool = { .family = AF_INET };
	struct harness h = { 0 };
	struct engine_addr moved;
	const struct engine_vip *v = NULL;
	size_t ka, kb, adds = 0;

	harness_pair_default(&h);
	harness_no_lifetimes(&h);
	h.a.conn.mobike = h.b.conn.mobike = true;
	h.a.conn.n_vips = 1;
	h.a.conn.vips[0].family = AF_INET;
	h.a.conn.vips[0].prefix = 32;
	harness_ts4(&h.a.conn.children[0].local_ts[0], "0.0.0.0",
		    "255.255.255.255");
	h.b.conn.n_pools = 1;
	snprintf(h.b.conn.pools[0], sizeof(h.b.conn.pools[0]), "rw");
	harness_ts4(&h.b.conn.children[0].remote_ts[0], "0.0.0.0",
		    "255.255.255.255");
	snprintf(pool.name, sizeof(pool.name), "rw");
	(void)inet_pton(AF_INET, "10.3.0.1", pool.first);
	(void)inet_pton(AF_INET, "10.3.0.9", pool.last);
	harness_start(&h, NULL);
	REQUIRE_EQ(engine_pools_replace(h.b.e, &pool, 1), 0);
	harness_establish(&h);
	harness_run(&h, 50);
	CHECK(harness_logged(&h.a, "peer assigned virtual address 10.3.0.1"));
	ka = h.a.n_k;
	kb = h.b.n_k;
	addr4(&moved, "192.0.2.11", 500);
	REQUIRE_EQ(engine_ike_move(h.a.e, h.now, harness_ike_id(&h.a), &moved),
		   0);
	/* HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_D_*), N(COOKIE2) } --> */
	harness_collect(&h);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	for (size_t i = ka; i < h.a.n_k; i++)
		CHECK(h.a.k[i].type != ENGINE_ACT_ADDR_ADD); /* not yet */
	/* <-- HDR, SK { N(NAT_D_*), N(COOKIE2) } */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	for (size_t i = ka; i < h.a.n_k; i++)
		if (h.a.k[i].type == ENGINE_ACT_ADDR_ADD) {
			adds++;
			v = &h.a.k[i].u.vip;
		}
	REQUIRE_EQ(adds, 1u);
	CHECK(ip_is(&v->local, "192.0.2.11"));
	CHECK_EQ(v->addr.prefix, 32);
	CHECK(v->addr.ip[0] == 10 && v->addr.ip[3] == 1);
	CHECK(harness_logged(&h.a, "virtual address 10.3.0.1 follows our "
				   "address"));
	for (size_t i = kb; i < h.b.n_k; i++)
		CHECK(h.b.k[i].type != ENGINE_ACT_ADDR_ADD &&
		      h.b.k[i].type != ENGINE_ACT_ADDR_DEL);
	harness_free(&h);
}
