/* Engine actions converted to the neutral kernel model. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/engine_kernel.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <string.h>

static size_t prefixes(const char *from, const char *to,
		       struct engine_prefix *p, size_t cap)
{
	struct engine_ts ts;

	harness_ts4(&ts, from, to);
	return engine_ts_prefixes(&ts, p, cap);
}

TEST(engine_kernel_range_to_prefixes)
{
	struct engine_prefix p[ENGINE_KERNEL_PREFIX_MAX];
	struct engine_ts ts6 = { .type = TS_IPV6_ADDR_RANGE };

	REQUIRE_EQ(prefixes("10.1.0.0", "10.1.255.255", p, 8), 1);
	CHECK_EQ(p[0].plen, 16);
	CHECK_EQ(p[0].addr[1], 1);
	REQUIRE_EQ(prefixes("0.0.0.0", "255.255.255.255", p, 8), 1);
	CHECK_EQ(p[0].plen, 0);
	REQUIRE_EQ(prefixes("192.0.2.7", "192.0.2.7", p, 8), 1);
	CHECK_EQ(p[0].plen, 32);
	/* 10.0.0.1-10.0.0.6 = .1/32 .2/31 .4/31 .6/32 */
	REQUIRE_EQ(prefixes("10.0.0.1", "10.0.0.6", p, 8), 4);
	CHECK_EQ(p[0].plen, 32);
	CHECK_EQ(p[1].addr[3], 2);
	CHECK_EQ(p[1].plen, 31);
	CHECK_EQ(p[2].addr[3], 4);
	CHECK_EQ(p[2].plen, 31);
	CHECK_EQ(p[3].addr[3], 6);
	CHECK_EQ(p[3].plen, 32);
	/* the worst IPv4 case: 0.0.0.1-255.255.255.254 */
	CHECK_EQ(prefixes("0.0.0.1", "255.255.255.254", p, 100), 62);
	CHECK_EQ(prefixes("10.0.0.1", "10.0.0.6", p, 3), 0); /* too small */
	CHECK_EQ(prefixes("10.0.0.9", "10.0.0.6", p, 8), 0); /* reversed */
	memset(ts6.end, 0xff, 16);
	REQUIRE_EQ(engine_ts_prefixes(&ts6, p, 8), 1);
	CHECK_EQ(p[0].plen, 0);
	ts6.start[15] = 1;
	CHECK_EQ(engine_ts_prefixes(&ts6, p, ENGINE_KERNEL_PREFIX_MAX), 128);
}

TEST(engine_kernel_sa_and_policies_of_a_real_child)
{
	struct harness h;
	struct kernel_sa ks;
	struct kernel_policy kp[4];
	const struct engine_sa *sa;
	uint32_t seq = 1;
	size_t pol = 0;

	harness_pair_default(&h);
	h.nat_a = true;
	h.b.conn.remote.family = 0;
	harness_start(&h, NULL);
	harness_establish(&h);
	sa = harness_sa_add(&h.b, false);
	REQUIRE(sa);
	engine_sa_to_kernel(sa, &ks);
	CHECK_EQ(ks.id.spi, sa->spi);
	CHECK_EQ(ks.id.proto, KERNEL_PROTO_ESP);
	CHECK_EQ(ks.id.dst.family, AF_INET);
	CHECK_EQ(ks.id.dst.a.v4[0], 198); /* a's NAT address */
	CHECK_EQ(ks.mode, KERNEL_MODE_TUNNEL);
	CHECK_EQ(ks.encr_id, ENCR_AES_GCM_16);
	CHECK_EQ(ks.encr_key_bits, 256);
	CHECK_EQ(ks.integ_id, AUTH_NONE);
	CHECK_EQ(ks.enc_key_len, 36); /* key + salt, RFC 4106 §8.1 */
	CHECK_MEM(ks.enc_key, sa->enc_key, 36);
	CHECK_EQ(ks.icv_len, 16);
	CHECK_EQ(ks.encap.type, KERNEL_ENCAP_ESPINUDP);
	CHECK_EQ(ks.encap.sport, 4500);
	CHECK_EQ(ks.encap.dport, 14500);
	CHECK_EQ(ks.reqid, 0x6b620002);
	CHECK_EQ(ks.hard.add_seconds, 3960); /* life_time: 110 % of 1h */
	/* soft: the engine's own rekey time, 1h minus up to rand_time */
	CHECK(ks.soft.add_seconds <= 3600 && ks.soft.add_seconds >= 3240);
	CHECK_EQ(ks.sel.family, 0); /* tunnel mode: any */
	for (size_t i = 0; i < h.b.n_k; i++) {
		const struct engine_action *a = &h.b.k[i];
		int n;

		if (a->type != ENGINE_ACT_POLICY_ADD)
			continue;
		n = engine_policy_to_kernel(&a->u.policy, &seq, kp, 4);
		REQUIRE_EQ(n, 1);
		CHECK_EQ(kp[0].sel.src_plen, 16);
		CHECK_EQ(kp[0].n_tmpl, 1);
		CHECK_EQ(kp[0].tmpl[0].reqid, 0x6b620002);
		CHECK_EQ(kp[0].tmpl[0].mode, KERNEL_MODE_TUNNEL);
		CHECK(kernel_policy_index_is_ours(kp[0].index));
		if (kp[0].dir == KERNEL_DIR_OUT) {
			CHECK_EQ(kp[0].sel.src.a.v4[1], 2); /* 10.2/16 */
			CHECK_EQ(kp[0].tmpl[0].dst.a.v4[0], 198);
		}
		pol++;
	}
	CHECK_EQ(pol, 3);
	harness_free(&h);
}

TEST(engine_kernel_events)
{
	struct kernel_event ev = { .type = KERNEL_EV_EXPIRE };
	struct engine_kevent out;

	ev.u.expire.id.spi = 0xc0ffee01;
	ev.u.expire.hard = true;
	REQUIRE_EQ(engine_kevent_from_kernel(&ev, &out), 0);
	CHECK_EQ(out.type, ENGINE_KEV_EXPIRE_HARD);
	CHECK_EQ(out.spi, 0xc0ffee01);
	ev.type = KERNEL_EV_ACQUIRE;
	ev.u.acquire.tmpl.reqid = 0x6b620009;
	REQUIRE_EQ(engine_kevent_from_kernel(&ev, &out), 0);
	CHECK_EQ(out.type, ENGINE_KEV_ACQUIRE);
	CHECK_EQ(out.reqid, 0x6b620009);
	ev.type = KERNEL_EV_SA_ADDED;
	CHECK_EQ(engine_kevent_from_kernel(&ev, &out), -2);
}

TEST(engine_kernel_expire_and_acquire_drive_the_engine)
{
	struct harness h;
	struct engine_kevent ev = { .type = ENGINE_KEV_ACQUIRE,
				    .reqid = 0x6b620001 };
	const struct engine_sa *sa;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	/* Traffic hits a's policy: a negotiates. */
	REQUIRE_EQ(engine_kernel_event(h.a.e, h.now, &ev), 0);
	harness_collect(&h);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_INIT_SENT);
	REQUIRE_EQ(harness_run(&h, 10), 4);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	/* a second ACQUIRE while the SA exists does nothing */
	REQUIRE_EQ(engine_kernel_event(h.a.e, h.now, &ev), 0);
	CHECK_EQ(engine_ike_count(h.a.e), 1);
	/* The inbound SA of a hits its hard limit: the CHILD SA is deleted
	 * with the peer; a deletes only its outbound SA (the kernel removed
	 * the expired one itself: a delete would fail with ESRCH). */
	sa = harness_sa_add(&h.a, true);
	REQUIRE(sa);
	ev = (struct engine_kevent){ .type = ENGINE_KEV_EXPIRE_HARD,
				     .spi = sa->spi,
				     .proto = PROTO_ESP };
	REQUIRE_EQ(engine_kernel_event(h.a.e, h.now, &ev), 0);
	REQUIRE_EQ(harness_run(&h, 10), 2);
	CHECK_EQ(h.a.n_sa_del, 1);
	CHECK_EQ(h.b.n_sa_del, 2);
	CHECK(harness_logged(&h.a, "hard expired; deleting it"));
	harness_free(&h);
}
