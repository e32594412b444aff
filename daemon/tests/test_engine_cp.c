/* Virtual addresses (RFC 7296 §3.15): the CP payload's typed attributes
 * byte for byte, the pool allocator, and two engines where a (the road
 * warrior, vips = 0.0.0.0) gets an address from b's pool:
 *
 *   HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SA, TSi, TSr}  -->
 *            <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY), SA, TSi, TSr}
 */
#include "engine/cp.h"
#include "engine/exchange.h"
#include "engine/pool.h"
#include "ike_iana.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct engine_ipnet ip4(const char *s, uint8_t prefix)
{
	struct engine_ipnet p = { .family = AF_INET, .prefix = prefix };

	inet_pton(AF_INET, s, p.ip);
	return p;
}

static struct engine_ipnet ip6(const char *s, uint8_t prefix)
{
	struct engine_ipnet p = { .family = AF_INET6, .prefix = prefix };

	inet_pton(AF_INET6, s, p.ip);
	return p;
}

/* ---- typed attributes ---- */

TEST(cp_reply_bytes_and_parse)
{
	struct cp_wire w = { 0 };
	struct engine_ipnet a = ip4("10.3.0.1", 32), dns = ip4("10.3.0.53", 32);
	struct engine_ipnet a6 = ip6("fd00::1", 64), net = ip4("10.1.0.0", 16);
	struct ike_payload p = { .type = PL_CP };
	struct ike_msg *m = malloc(sizeof(*m));
	struct cp_attrs at;
	uint8_t buf[256], want[256];
	size_t len;
	long wlen;

	REQUIRE(m != NULL);
	REQUIRE(cp_wire_add(&w, CFGA_INTERNAL_IP4_ADDRESS, &a));
	REQUIRE(cp_wire_add(&w, CFGA_INTERNAL_IP4_DNS, &dns));
	REQUIRE(cp_wire_add(&w, CFGA_INTERNAL_IP6_ADDRESS, &a6));
	REQUIRE(cp_wire_add(&w, CFGA_INTERNAL_IP4_SUBNET, &net));
	REQUIRE(cp_wire_add(&w, CFGA_INTERNAL_IP6_DNS, NULL));
	/* an IPv6 value under an IPv4 type does not fit */
	CHECK(!cp_wire_add(&w, CFGA_INTERNAL_IP4_ADDRESS, &a6));
	p.u.cp = (struct ike_pl_cp){ CFG_REPLY, w.n, w.attrs };
	REQUIRE_EQ(ike_msg_encode_chain(&p, 1, buf, sizeof(buf), &len), 0);
	wlen = test_unhex("00 00 00 3d" /* generic header, 61 bytes */
			  "02 00 00 00" /* CFG_REPLY, reserved */
			  "00 01 00 04 0a 03 00 01" /* IP4_ADDRESS */
			  "00 03 00 04 0a 03 00 35" /* IP4_DNS */
			  "00 08 00 11 fd 00 00 00 00 00 00 00"
			  "00 00 00 00 00 00 00 01 40" /* IP6_ADDRESS /64 */
			  "00 0d 00 08 0a 01 00 00 ff ff 00 00" /* SUBNET */
			  "00 0a 00 00", /* IP6_DNS, empty: asked for */
			  want, sizeof(want));
	REQUIRE_EQ(wlen, (long)len);
	CHECK_MEM(buf, want, len);

	/* and back: decode the payload, then type its attributes */
	ike_msg_init(m, 0, 0, 0, 0, 0);
	REQUIRE_EQ(ike_msg_decode_chain(m, PL_CP, buf, len, true), 0);
	REQUIRE_EQ(cp_parse(&m->payloads[0].u.cp, &at), 0);
	CHECK_EQ(at.cfg_type, CFG_REPLY);
	REQUIRE_EQ(at.n_addrs, 2);
	CHECK_MEM(at.addrs[0].ip, a.ip, 4);
	CHECK_EQ(at.addrs[0].prefix, 32);
	CHECK_EQ(at.addrs[1].family, AF_INET6);
	CHECK_EQ(at.addrs[1].prefix, 64);
	REQUIRE_EQ(at.n_dns, 1);
	CHECK_MEM(at.dns[0].ip, dns.ip, 4);
	REQUIRE_EQ(at.n_subnets, 1);
	CHECK_EQ(at.subnets[0].prefix, 16);
	CHECK(at.asked & (1u << CFGA_INTERNAL_IP6_DNS));
	free(m);
}

/* Bad input: each is refused by the decoder or the typing, and unknown
 * attributes are skipped. */
TEST(cp_parse_bad_and_unknown)
{
	static const struct {
		const char *name, *hex;
		int decode, parse;
	} cases[] = {
		{ "netmask with a hole", "01 00 00 00 00 02 00 04 ff 00 ff 00",
		  0, -ENG_ERR_MALFORMED },
		{ "subnet mask with a hole",
		  "01 00 00 00 00 0d 00 08 0a 00 00 00 ff ff 00 ff", 0,
		  -ENG_ERR_MALFORMED },
		{ "IPv6 prefix 129",
		  "01 00 00 00 00 08 00 11 fd 00 00 00 00 00 00 00 00 00 00 00 "
		  "00 00 00 01 81",
		  0, -ENG_ERR_MALFORMED },
		{ "IPv4 address of 5 bytes",
		  "01 00 00 00 00 01 00 05 0a 03 00 01 00",
		  IKE_ERR_PAYLOAD_SYNTAX, 0 },
		{ "attribute past the end", "01 00 00 00 00 01 00 08 0a 03 00",
		  IKE_ERR_PAYLOAD_SYNTAX, 0 },
		{ "header cut", "01 00 00 00 00 01 00", IKE_ERR_PAYLOAD_SYNTAX,
		  0 },
		{ "unknown and reserved-bit attributes",
		  "01 00 00 00 70 00 00 02 ab cd 80 01 00 00 00 07 00 01 78", 0,
		  0 },
	};
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t body[128], buf[160];

	REQUIRE(m != NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = test_unhex(cases[i].hex, body, sizeof(body));
		struct cp_attrs at;
		int rc;

		REQUIRE_GE(n, 0);
		/* generic payload header, last payload */
		buf[0] = 0;
		buf[1] = 0;
		buf[2] = (uint8_t)((n + 4) >> 8);
		buf[3] = (uint8_t)(n + 4);
		memcpy(buf + 4, body, (size_t)n);
		ike_msg_init(m, 0, 0, 0, 0, 0);
		rc = ike_msg_decode_chain(m, PL_CP, buf, (size_t)n + 4, true);
		if (rc != cases[i].decode)
			test_fail(__FILE__, __LINE__, "%s: decode %d",
				  cases[i].name, rc);
		if (rc)
			continue;
		rc = cp_parse(&m->payloads[0].u.cp, &at);
		if (rc != cases[i].parse)
			test_fail(__FILE__, __LINE__, "%s: parse %d",
				  cases[i].name, rc);
		if (i == sizeof(cases) / sizeof(cases[0]) - 1) {
			/* 0x7000 skipped; 0x8001: reserved bit dropped, an
			 * IP4_ADDRESS request; APPLICATION_VERSION kept
			 * as "other" */
			CHECK_EQ(at.n_other, 2);
			CHECK(at.asked & (1u << CFGA_INTERNAL_IP4_ADDRESS));
		}
	}
	free(m);
}

/* ---- the allocator ---- */

static struct engine_id test_id(const char *s)
{
	struct engine_id id = { .type = ID_FQDN, .len = (uint16_t)strlen(s) };

	memcpy(id.data, s, id.len);
	return id;
}

static struct engine_pool test_pool4(const char *first, const char *last)
{
	struct engine_pool c = { .family = AF_INET };

	snprintf(c.name, sizeof(c.name), "rw");
	inet_pton(AF_INET, first, c.first);
	inet_pton(AF_INET, last, c.last);
	return c;
}

static void check_ip4(const uint8_t *got, const char *want)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, got, s, sizeof(s));
	CHECK_STR(s, want);
}

TEST(pool_lease_reuse_steal_exhaust)
{
	struct engine_pool c = test_pool4("10.3.0.255", "10.3.1.1");
	struct pool *p = pool_new(&c);
	struct engine_id a = test_id("a"), b = test_id("b"), x = test_id("x"),
			 y = test_id("y");
	uint8_t ip[16], ip2[16], want[16] = { 10, 3, 1, 1 };

	REQUIRE(p != NULL);
	CHECK_EQ(pool_size(p), 3);
	REQUIRE_EQ(pool_acquire(p, &a, NULL, ip), 0);
	check_ip4(ip, "10.3.0.255");
	/* the same identity again (a second IKE SA): the same address */
	REQUIRE_EQ(pool_acquire(p, &a, NULL, ip2), 0);
	CHECK_MEM(ip2, ip, 4);
	/* a requested address in the pool and free is honoured; the carry
	 * runs across the byte boundary */
	REQUIRE_EQ(pool_acquire(p, &b, want, ip), 0);
	check_ip4(ip, "10.3.1.1");
	REQUIRE_EQ(pool_acquire(p, &x, want, ip), 0); /* taken: next */
	check_ip4(ip, "10.3.1.0");
	CHECK_EQ(pool_acquire(p, &y, NULL, ip), -ENG_ERR_ADDRESS);
	/* b goes offline: its address is kept for it while others are
	 * online... */
	pool_release(p, want);
	REQUIRE_EQ(pool_acquire(p, &b, NULL, ip), 0);
	check_ip4(ip, "10.3.1.1");
	/* ...and only given to y once nothing was never used */
	pool_release(p, want);
	REQUIRE_EQ(pool_acquire(p, &y, NULL, ip), 0);
	check_ip4(ip, "10.3.1.1");
	CHECK_EQ(pool_acquire(p, &b, NULL, ip), -ENG_ERR_ADDRESS);
	/* releasing an address not in the pool changes nothing */
	memset(want, 0, sizeof(want));
	pool_release(p, want);
	CHECK(!pool_contains(p, want));
	pool_free(p);
}

TEST(pool_ipv6_and_sizes)
{
	struct engine_pool c = { .family = AF_INET6 };
	struct engine_id a = test_id("a");
	struct pool *p;
	uint8_t ip[16];
	char s[INET6_ADDRSTRLEN];

	inet_pton(AF_INET6, "fd00::", c.first);
	inet_pton(AF_INET6, "fd00::ffff:ffff:ffff:ffff", c.last);
	REQUIRE((p = pool_new(&c)) != NULL);
	CHECK_EQ(pool_size(p), POOL_SIZE_MAX); /* a /64 is capped */
	REQUIRE_EQ(pool_acquire(p, &a, NULL, ip), 0);
	inet_ntop(AF_INET6, ip, s, sizeof(s));
	CHECK_STR(s, "fd00::");
	pool_free(p);
	/* last before first: an empty pool, always exhausted */
	c = test_pool4("10.0.0.9", "10.0.0.1");
	REQUIRE((p = pool_new(&c)) != NULL);
	CHECK_EQ(pool_size(p), 0);
	CHECK_EQ(pool_acquire(p, &a, NULL, ip), -ENG_ERR_ADDRESS);
	pool_free(p);
}

/* ---- two engines ---- */

/* a asks for any IPv4 address (its child's local selector is 0.0.0.0/0
 * until then); b leases from pool "rw" = first..last with one DNS server
 * and narrows its child's remote side. b accepts any identity. */
static void cp_setup(struct harness *h, const char *first, const char *last)
{
	struct engine_pool pool = test_pool4(first, last);

	harness_pair_default(h);
	h->a.conn.n_vips = 1;
	h->a.conn.vips[0] = ip4("0.0.0.0", 32);
	harness_ts4(&h->a.conn.children[0].local_ts[0], "0.0.0.0",
		    "255.255.255.255");
	h->b.conn.n_pools = 1;
	snprintf(h->b.conn.pools[0], sizeof(h->b.conn.pools[0]), "rw");
	h->b.conn.remote_auth.id.type = 0; /* %any */
	harness_ts4(&h->b.conn.children[0].remote_ts[0], "0.0.0.0",
		    "255.255.255.255");
	pool.n_dns = 1;
	pool.dns[0] = ip4("10.3.0.53", 32);
	harness_start(h, NULL);
	REQUIRE_EQ(engine_pools_replace(h->b.e, &pool, 1), 0);
}

/* The last ADDR_ADD / ADDR_DEL action of a peer, or NULL; counts them. */
static const struct engine_vip *
cp_addr_act(const struct hpeer *p, enum engine_action_type t, size_t *n)
{
	const struct engine_vip *v = NULL;

	*n = 0;
	for (size_t i = 0; i < p->n_k; i++)
		if (p->k[i].type == t) {
			v = &p->k[i].u.vip;
			(*n)++;
		}
	return v;
}

static void cp_check_pool(const struct hpeer *p, uint32_t online,
			  uint32_t offline)
{
	struct engine_pool_info pi;

	REQUIRE_EQ(engine_pool_info(p->e, 0, &pi), 0);
	CHECK_EQ(pi.online, online);
	CHECK_EQ(pi.offline, offline);
}

/* a initiates again while b already holds IKE SAs (harness_establish
 * checks b's only SA): IKE_SA_INIT and IKE_AUTH both ways. */
static void cp_establish_again(struct harness *h)
{
	REQUIRE(harness_initiate(h));
	harness_run(h, 10);
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_ESTABLISHED);
}

static void cp_restart_a_as(struct harness *h, const char *id)
{
	struct engine_conn c = h->a.conn;

	c.local_auth.id = test_id(id);
	harness_restart_a_with(h, &c);
}

TEST(engine_cp_lease_and_narrowed_selectors)
{
	struct harness h;
	struct engine_child_info ca, cb;
	struct hkernel ka;
	const struct engine_vip *v;
	size_t n;

	cp_setup(&h, "10.3.0.1", "10.3.0.2");
	/* HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SA, TSi, TSr} -->
	 *     <-- HDR, SK {IDr, AUTH, CP(CFG_REPLY), SA, TSi, TSr} */
	harness_establish(&h);
	CHECK(harness_logged(&h.b, "leased virtual address 10.3.0.1 from "
				   "pool 'rw' to 'a.example'"));
	CHECK(harness_logged(&h.a, "peer assigned virtual address 10.3.0.1"));
	CHECK(harness_logged(&h.a, "peer names DNS servers 10.3.0.53"));
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_ADD, &n);
	REQUIRE(v != NULL);
	CHECK_EQ(n, 1);
	CHECK_MEM(v->addr.ip, ip4("10.3.0.1", 32).ip, 4);
	CHECK_EQ(v->addr.prefix, 32);
	CHECK_STR(v->conn, "a-to-b");
	CHECK_MEM(v->local.ip, h.a.conn.local.ip, 4);
	cp_addr_act(&h.b, ENGINE_ACT_ADDR_ADD, &n);
	CHECK_EQ(n, 0); /* the gateway installs nothing */
	cp_check_pool(&h.b, 1, 0);
	/* both CHILD SAs carry the virtual address on the road warrior's
	 * side, and so do the kernel policies */
	REQUIRE_EQ(engine_child_info(h.a.e, harness_ike_id(&h.a), 0, &ca), 0);
	REQUIRE_EQ(engine_child_info(h.b.e, harness_ike_id(&h.b), 0, &cb), 0);
	REQUIRE_EQ(ca.n_local_ts, 1);
	CHECK_MEM(ca.local_ts[0].start, ip4("10.3.0.1", 32).ip, 4);
	CHECK_MEM(ca.local_ts[0].end, ip4("10.3.0.1", 32).ip, 4);
	REQUIRE_EQ(cb.n_remote_ts, 1);
	CHECK_MEM(cb.remote_ts[0].start, ip4("10.3.0.1", 32).ip, 4);
	CHECK_MEM(cb.remote_ts[0].end, ip4("10.3.0.1", 32).ip, 4);
	harness_kernel(&h.a, &ka);
	REQUIRE_GE(ka.n_pol, 1);
	for (size_t i = 0; i < ka.n_pol; i++) {
		const struct engine_ts *mine = ka.pol[i].dir == ENGINE_POL_OUT
						       ? &ka.pol[i].src
						       : &ka.pol[i].dst;

		CHECK_MEM(mine->start, ip4("10.3.0.1", 32).ip, 4);
		CHECK_MEM(mine->end, ip4("10.3.0.1", 32).ip, 4);
	}
	harness_free(&h);
}

TEST(engine_cp_released_and_same_address_on_return)
{
	struct harness h;
	size_t n;
	const struct engine_vip *v;

	cp_setup(&h, "10.3.0.1", "10.3.0.4");
	harness_establish(&h);
	/* a leaves: INFORMATIONAL { D(IKE) } both ways */
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, harness_ike_id(&h.a)), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_DEL, &n);
	REQUIRE(v != NULL);
	CHECK_EQ(n, 1);
	CHECK_MEM(v->addr.ip, ip4("10.3.0.1", 32).ip, 4);
	cp_check_pool(&h.b, 0, 1); /* kept for a.example */
	/* c.example comes: a never-used address, not a.example's */
	cp_restart_a_as(&h, "c.example");
	harness_establish(&h);
	CHECK(harness_logged(&h.b, "leased virtual address 10.3.0.2 from "
				   "pool 'rw' to 'c.example'"));
	/* a.example returns (c.example stays): its old address */
	cp_restart_a_as(&h, "a.example");
	h.a.n_k = 0;
	cp_establish_again(&h);
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_ADD, &n);
	REQUIRE(v != NULL);
	CHECK_MEM(v->addr.ip, ip4("10.3.0.1", 32).ip, 4);
	cp_check_pool(&h.b, 2, 0);
	harness_free(&h);
}

TEST(engine_cp_pool_exhausted_keeps_ike_sa_without_child)
{
	struct harness h;
	size_t n;

	cp_setup(&h, "10.3.0.7", "10.3.0.7");
	harness_establish(&h);
	cp_check_pool(&h.b, 1, 0);
	/* another identity while the only address is online:
	 *     <-- HDR, SK {IDr, AUTH, N(INTERNAL_ADDRESS_FAILURE)} */
	cp_restart_a_as(&h, "c.example");
	h.a.n_k = h.a.n_sa_add = 0;
	h.a.n_ev = 0;
	h.b.n_ev = 0;
	cp_establish_again(&h);
	CHECK(harness_logged(&h.b, "address pool 'rw' (1 address) "
				   "exhausted"));
	CHECK(harness_logged(&h.b, "no virtual IPv4 address for "
				   "'c.example'"));
	CHECK(harness_logged(&h.b, "b-from-a[2]: no virtual address for the "
				   "peer: answering INTERNAL_ADDRESS_FAILURE"));
	/* §3.15.4: the IKE SA is up, its CHILD SA is not */
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_IKE_UP), 1);
	CHECK_EQ(harness_events(&h.b, ENGINE_EV_CHILD_FAILED), 1);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_FAILED), 1);
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_UP), 0);
	CHECK(harness_logged(&h.a, "INTERNAL_ADDRESS_FAILURE"));
	cp_addr_act(&h.a, ENGINE_ACT_ADDR_ADD, &n);
	CHECK_EQ(n, 0);
	CHECK_EQ(h.a.n_sa_add, 0);
	cp_check_pool(&h.b, 1, 0);
	harness_free(&h);
}

TEST(engine_cp_request_outside_pool_gets_pool_address)
{
	struct harness h;
	struct engine_child_info ca;
	size_t n;
	const struct engine_vip *v;

	cp_setup(&h, "10.3.0.1", "10.3.0.9");
	h.a.conn.vips[0] = ip4("192.168.77.7", 32); /* not b's */
	harness_restart_a_with(&h, &h.a.conn);
	harness_establish(&h);
	CHECK(harness_logged(&h.b, "'a.example' asks for an address outside "
				   "pool 'rw'; assigning 10.3.0.1 instead"));
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_ADD, &n);
	REQUIRE(v != NULL);
	CHECK_MEM(v->addr.ip, ip4("10.3.0.1", 32).ip, 4);
	REQUIRE_EQ(engine_child_info(h.a.e, harness_ike_id(&h.a), 0, &ca), 0);
	CHECK_MEM(ca.local_ts[0].start, ip4("10.3.0.1", 32).ip, 4);
	/* a request inside the pool is honoured */
	h.a.conn.vips[0] = ip4("10.3.0.5", 32);
	h.a.conn.local_auth.id = test_id("c.example");
	harness_restart_a_with(&h, &h.a.conn);
	h.a.n_k = 0;
	cp_establish_again(&h);
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_ADD, &n);
	REQUIRE(v != NULL);
	CHECK_MEM(v->addr.ip, ip4("10.3.0.5", 32).ip, 4);
	harness_free(&h);
}

/* A road warrior asking a gateway without pools: answered
 * INTERNAL_ADDRESS_FAILURE, no CHILD SA on a selector it cannot use. */
TEST(engine_cp_no_pool_configured)
{
	struct harness h;

	cp_setup(&h, "10.3.0.1", "10.3.0.9");
	engine_free(h.b.e);
	h.b.conn.n_pools = 0;
	harness_start_peer_b(&h);
	harness_establish(&h);
	CHECK(harness_logged(&h.b, "has no pools"));
	CHECK_EQ(harness_events(&h.a, ENGINE_EV_CHILD_FAILED), 1);
	CHECK_EQ(h.a.n_sa_add, 0);
	harness_free(&h);
}

/* §2.19: CP belongs in IKE_AUTH. A CREATE_CHILD_SA request carrying one
 * is logged with the SA's name and the CP ignored; the IKE SA stays. */
TEST(engine_cp_in_create_child_sa_is_ignored)
{
	struct harness h;
	struct ike_sa *sa_a;
	struct ike_msg *m = malloc(sizeof(*m));
	struct cp_wire w = { 0 };
	struct ike_payload *p;
	uint8_t buf[2048];
	size_t len;

	REQUIRE(m != NULL);
	cp_setup(&h, "10.3.0.1", "10.3.0.9");
	harness_establish(&h);
	sa_a = ike_sa_by_id(h.a.e, harness_ike_id(&h.a));
	REQUIRE(sa_a != NULL);
	/* HDR(CREATE_CHILD_SA), SK {CP(CFG_REQUEST)} --> */
	msg_start(sa_a, m, EXCH_CREATE_CHILD_SA, false, sa_a->req_next);
	REQUIRE(cp_wire_add(&w, CFGA_INTERNAL_IP4_ADDRESS, NULL));
	REQUIRE((p = ike_msg_add(m, PL_CP)) != NULL);
	p->inner = true;
	p->u.cp = (struct ike_pl_cp){ CFG_REQUEST, w.n, w.attrs };
	REQUIRE_EQ(msg_seal(sa_a, m, buf, sizeof(buf), &len), 0);
	(void)engine_datagram(h.b.e, h.now, &h.b.conn.local, &h.a.conn.local,
			      buf, len);
	harness_collect(&h);
	CHECK(harness_logged(&h.b, "b-from-a[1]: peer sent CP(CFG_REQUEST) "
				   "in CREATE_CHILD_SA; configuration "
				   "payloads belong in IKE_AUTH"));
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	cp_check_pool(&h.b, 1, 0); /* nothing more leased */
	free(m);
	harness_free(&h);
}

/* An IKE SA rekey moves the address to the new IKE SA: nothing is
 * removed from the host, the lease stays online once. */
TEST(engine_cp_ike_rekey_keeps_address)
{
	struct harness h;
	size_t n;

	cp_setup(&h, "10.3.0.1", "10.3.0.9");
	harness_establish(&h);
	REQUIRE_EQ(engine_rekey(h.a.e, h.now, harness_ike_id(&h.a)), 0);
	harness_collect(&h);
	harness_run(&h, 20);
	harness_advance(&h, 10000);
	harness_run(&h, 20);
	CHECK_EQ(engine_ike_count(h.a.e), 1);
	CHECK_EQ(engine_ike_count(h.b.e), 1);
	cp_addr_act(&h.a, ENGINE_ACT_ADDR_DEL, &n);
	CHECK_EQ(n, 0);
	cp_check_pool(&h.b, 1, 0);
	/* and the new IKE SA gives it back when it goes */
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, harness_ike_id(&h.a)), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	cp_addr_act(&h.a, ENGINE_ACT_ADDR_DEL, &n);
	CHECK_EQ(n, 1);
	cp_check_pool(&h.b, 0, 1);
	harness_free(&h);
}

static void cp_ts6(struct engine_ts *ts, const char *from, const char *to)
{
	memset(ts, 0, sizeof(*ts));
	ts->type = TS_IPV6_ADDR_RANGE;
	ts->port_hi = 65535;
	inet_pton(AF_INET6, from, ts->start);
	inet_pton(AF_INET6, to, ts->end);
}

/* vips = :: and an IPv6 pool: INTERNAL_IP6_ADDRESS (address and prefix
 * length, §3.15.1) and INTERNAL_IP6_DNS; the host gets a /128. */
TEST(engine_cp_ipv6_address_and_dns)
{
	struct harness h;
	struct engine_pool pool = { .family = AF_INET6 };
	struct engine_child_info ca, cb;
	const struct engine_vip *v;
	size_t n;

	harness_pair_default(&h);
	h.a.conn.n_vips = 1;
	h.a.conn.vips[0] = ip6("::", 128);
	cp_ts6(&h.a.conn.children[0].local_ts[0],
	       "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	cp_ts6(&h.a.conn.children[0].remote_ts[0], "fd02::", "fd02::ffff");
	h.b.conn.n_pools = 1;
	snprintf(h.b.conn.pools[0], sizeof(h.b.conn.pools[0]), "v6");
	cp_ts6(&h.b.conn.children[0].remote_ts[0],
	       "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	cp_ts6(&h.b.conn.children[0].local_ts[0], "fd02::", "fd02::ffff");
	snprintf(pool.name, sizeof(pool.name), "v6");
	inet_pton(AF_INET6, "fd00::1", pool.first);
	inet_pton(AF_INET6, "fd00::ff", pool.last);
	pool.n_dns = 1;
	pool.dns[0] = ip6("fd00::53", 128);
	harness_start(&h, NULL);
	REQUIRE_EQ(engine_pools_replace(h.b.e, &pool, 1), 0);
	harness_establish(&h);
	CHECK(harness_logged(&h.a, "peer assigned virtual address fd00::1"));
	CHECK(harness_logged(&h.a, "peer names DNS servers fd00::53"));
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_ADD, &n);
	REQUIRE(v != NULL);
	CHECK_EQ(v->addr.family, AF_INET6);
	CHECK_EQ(v->addr.prefix, 128);
	REQUIRE_EQ(engine_child_info(h.a.e, harness_ike_id(&h.a), 0, &ca), 0);
	REQUIRE_EQ(engine_child_info(h.b.e, harness_ike_id(&h.b), 0, &cb), 0);
	CHECK_MEM(ca.local_ts[0].start, ip6("fd00::1", 128).ip, 16);
	CHECK_MEM(ca.local_ts[0].end, ip6("fd00::1", 128).ip, 16);
	CHECK_MEM(cb.remote_ts[0].end, ip6("fd00::1", 128).ip, 16);
	harness_free(&h);
}

/* A reload (engine_pools_replace): a pool with the same name and range
 * keeps its leases and takes the new DNS servers; a changed range starts
 * empty, and the IKE SA holding an address of the old one lets it go
 * without touching the new pool. */
TEST(engine_cp_pools_replaced_by_a_reload)
{
	struct harness h;
	struct engine_pool p = test_pool4("10.3.0.1", "10.3.0.9");
	struct engine_pool_info pi;

	cp_setup(&h, "10.3.0.1", "10.3.0.9");
	harness_establish(&h);
	p.n_dns = 1;
	p.dns[0] = ip4("10.3.0.54", 32);
	REQUIRE_EQ(engine_pools_replace(h.b.e, &p, 1), 0);
	REQUIRE_EQ(engine_pool_info(h.b.e, 0, &pi), 0);
	CHECK_EQ(pi.online, 1);
	CHECK_MEM(pi.cfg.dns[0].ip, p.dns[0].ip, 4);
	p = test_pool4("10.3.0.1", "10.3.0.20");
	REQUIRE_EQ(engine_pools_replace(h.b.e, &p, 1), 0);
	cp_check_pool(&h.b, 0, 0);
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, harness_ike_id(&h.a)), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
	cp_check_pool(&h.b, 0, 0);
	CHECK_EQ(engine_pools_replace(h.b.e, NULL, 0), 0);
	CHECK_EQ(engine_pool_count(h.b.e), 0);
	harness_free(&h);
}

/* Several workers, one set of pools (pool.h): b1 and b2 stand for two
 * workers' engines, b2 sharing b1's pools. An identity answered by
 * either gets the one address it holds; another identity answered by b2
 * does not get an address b1 leased; a reload of b1's pools, shared
 * again, keeps the leases; and the pools outlive the engine that made
 * them while another still holds them. */
TEST(engine_cp_pools_shared_by_two_engines)
{
	struct harness h1, h2;
	struct engine_pool p = test_pool4("10.3.0.1", "10.3.0.9");
	struct engine_pool_lease l;

	cp_setup(&h1, "10.3.0.1", "10.3.0.9");
	cp_setup(&h2, "10.3.0.1", "10.3.0.9");
	REQUIRE_EQ(engine_pools_share(h2.b.e, h1.b.e), 0);
	CHECK_EQ(engine_pool_count(h2.b.e), 1);
	harness_establish(&h1); /* a.example through b1 */
	CHECK(harness_logged(&h1.b, "leased virtual address 10.3.0.1 from "
				    "pool 'rw' to 'a.example'"));
	cp_restart_a_as(&h2, "c.example"); /* through b2 */
	harness_establish(&h2);
	CHECK(harness_logged(&h2.b, "leased virtual address 10.3.0.2 from "
				    "pool 'rw' to 'c.example'"));
	cp_check_pool(&h1.b, 2, 0);
	cp_check_pool(&h2.b, 2, 0);
	/* a.example again, through b2: its address, held twice */
	cp_restart_a_as(&h2, "a.example");
	h2.a.n_k = 0;
	cp_establish_again(&h2);
	CHECK(harness_logged(&h2.b, "leased virtual address 10.3.0.1 from "
				    "pool 'rw' to 'a.example'"));
	/* the first a.example leaves b1: the lease is still online (b2) */
	REQUIRE_EQ(engine_terminate(h1.a.e, h1.now, harness_ike_id(&h1.a)), 0);
	harness_collect(&h1);
	harness_run(&h1, 10);
	CHECK_EQ(harness_state(&h1.b), ENGINE_IKE_NONE);
	cp_check_pool(&h2.b, 2, 0);
	/* a reload: b1 replaces (same range, another DNS server), b2 shares
	 * again; the leases stay */
	p.n_dns = 1;
	p.dns[0] = ip4("10.3.0.54", 32);
	REQUIRE_EQ(engine_pools_replace(h1.b.e, &p, 1), 0);
	REQUIRE_EQ(engine_pools_share(h2.b.e, h1.b.e), 0);
	cp_check_pool(&h2.b, 2, 0);
	REQUIRE_EQ(engine_pool_lease(h2.b.e, 0, 1, &l), 0);
	CHECK_MEM(l.ip, ip4("10.3.0.2", 32).ip, 4);
	CHECK(l.online);
	/* b1 goes first; b2's pool lives on (ASan would see a free) */
	harness_free(&h1);
	REQUIRE_EQ(engine_terminate(h2.a.e, h2.now, harness_ike_id(&h2.a)), 0);
	harness_collect(&h2);
	harness_run(&h2, 10);
	cp_check_pool(&h2.b, 1, 1);
	harness_free(&h2);
}

/* Two IKE SAs of a.example hold the same address (b keeps one lease per
 * identity): the first to go leaves it on the host, the last removes it
 * (one ADDR_DEL). */
TEST(engine_cp_address_shared_by_two_ike_sas)
{
	struct harness h;
	uint32_t first, second;
	const struct engine_vip *v;
	size_t n;

	cp_setup(&h, "10.3.0.1", "10.3.0.9");
	harness_establish(&h);
	first = harness_ike_id(&h.a);
	REQUIRE((second = harness_initiate(&h)) != 0);
	harness_run(&h, 10);
	REQUIRE_EQ(engine_ike_count(h.a.e), 2u);
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_ADD, &n);
	REQUIRE_EQ(n, 2u);
	CHECK_MEM(v->addr.ip, ip4("10.3.0.1", 32).ip, 4);
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, first), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	cp_addr_act(&h.a, ENGINE_ACT_ADDR_DEL, &n);
	CHECK_EQ(n, 0u);
	REQUIRE_EQ(engine_terminate(h.a.e, h.now, second), 0);
	harness_collect(&h);
	harness_run(&h, 10);
	v = cp_addr_act(&h.a, ENGINE_ACT_ADDR_DEL, &n);
	REQUIRE_EQ(n, 1u);
	CHECK_MEM(v->addr.ip, ip4("10.3.0.1", 32).ip, 4);
	harness_free(&h);
}
