/* The XFRM backend against this machine's kernel: real netlink, in a
 * private network namespace per test (xt_netns), nothing shared touched.
 * What needs ESP is in test_xfrm_esp.c. */
#include "ike_iana.h"
#include "tests/test.h"
#include "tests/test_xfrm_util.h"

#include <cap-ng.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct xfrm *open_xfrm(bool events)
{
	struct kernel_err err;
	struct xfrm *x = NULL;
	int r = xfrm_open(&x, events, &err);

	if (r == -EPROTONOSUPPORT)
		test_skip("no XFRM netlink in this kernel: %s", err.msg);
	REQUIRE_EQ(r, 0);
	return x;
}

/* With the SA and POLICY notes too (a daemon does not take them). */
static struct xfrm *open_xfrm_notes(void)
{
	struct xfrm *x = open_xfrm(true);

	REQUIRE_EQ(xfrm_event_watch_notes(x), 0);
	return x;
}

struct find_ctx {
	uint32_t index;
	struct kernel_policy found;
	unsigned hits;
};

static int find_policy(const struct kernel_policy *p, void *arg)
{
	struct find_ctx *f = arg;

	if (p->index == f->index) {
		f->found = *p;
		f->hits++;
	}
	return 0;
}

static bool is_our_policy_note(const struct kernel_event *ev, void *arg)
{
	return ev->u.policy.index == *(uint32_t *)arg;
}

/* Policies added, listed (by us and by `ip xfrm`), notified, removed. */
TEST(xfrm_host_policy_add_list_del_v4_v6)
{
	struct xfrm *x;
	struct kernel_policy p4, p6;
	struct kernel_req reqs[2] = { { .type = KERNEL_REQ_POLICY_ADD },
				      { .type = KERNEL_REQ_POLICY_ADD } };
	struct find_ctx f = { 0 };
	struct kernel_event ev;
	struct kernel_err err;
	const char *out;

	xt_netns();
	x = open_xfrm_notes();
	xt_policy(&p4, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_OUT, 1,
		  KERNEL_REQID_MIN + 1, "192.0.2.1", "192.0.2.2");
	p4.sel.proto = 17;
	p4.sel.dport = 4500;
	xt_policy(&p6, "2001:db8:1::", 64, "2001:db8:2::", 64, KERNEL_DIR_IN, 2,
		  KERNEL_REQID_MIN + 2, NULL, NULL);
	reqs[0].o.policy = &p4;
	reqs[1].o.policy = &p6;
	REQUIRE_EQ(xfrm_apply(x, reqs, 2), 0);

	/* The kernel kept our index and everything else. */
	f.index = p4.index;
	REQUIRE_EQ(xfrm_policy_list(x, find_policy, &f, &err), 0);
	REQUIRE_EQ(f.hits, 1);
	CHECK_MEM(&f.found.sel, &p4.sel, sizeof(p4.sel));
	CHECK_MEM(&f.found.tmpl[0], &p4.tmpl[0], sizeof(p4.tmpl[0]));
	CHECK_EQ(f.found.priority, 1000);
	memset(&f, 0, sizeof(f));
	REQUIRE_EQ(xfrm_policy_get(x, &p6, &f.found, &err), 0);
	CHECK_MEM(&f.found.sel, &p6.sel, sizeof(p6.sel));
	CHECK_EQ(f.found.tmpl[0].reqid, KERNEL_REQID_MIN + 2);
	CHECK(xt_wait_event(x, KERNEL_EV_POLICY_ADDED, 2000, is_our_policy_note,
			    &p4.index, &ev));
	CHECK_EQ(ev.u.policy.dir, KERNEL_DIR_OUT);

	/* iproute2 sees the same thing. */
	out = xt_sh_out("ip -s xfrm policy list");
	CHECK(strstr(out, "src 10.1.0.0/16 dst 10.2.0.0/16 proto udp "
			  "dport 4500"));
	CHECK(strstr(out, "src 2001:db8:1::/64 dst 2001:db8:2::/64"));
	CHECK(strstr(out, "index 1795162121")); /* 0x6b000009 */
	CHECK(strstr(out, "reqid 1801584641")); /* 0x6b620001 */

	/* Update in place: same index, new priority. */
	p4.priority = 7;
	CHECK_EQ(xfrm_policy_add(x, &p4, true, &err), 0);
	memset(&f, 0, sizeof(f));
	f.index = p4.index;
	REQUIRE_EQ(xfrm_policy_list(x, find_policy, &f, &err), 0);
	CHECK_EQ(f.found.priority, 7);

	/* Delete one by selector, one by index. */
	CHECK_EQ(xfrm_policy_del(x, &p4, &err), 0);
	p6.sel.family = AF_INET6;
	CHECK_EQ(
		xfrm_policy_del(x,
				&(struct kernel_policy){ .sel.family = AF_INET6,
							 .dir = KERNEL_DIR_IN,
							 .index = p6.index },
				&err),
		0);
	CHECK(xt_wait_event(x, KERNEL_EV_POLICY_DELETED, 2000,
			    is_our_policy_note, &p6.index, &ev));
	CHECK_EQ(xt_count_policies(x, NULL), 0);
	CHECK_EQ(xfrm_policy_del(x, &p4, &err), -ENOENT);
	CHECK(strstr(err.msg, "delete policy out 10.1.0.0/16->10.2.0.0/16"));
	xfrm_close(x);
}

/* ALLOCSPI: SPIs inside the range, distinct, visible as larval SAs that
 * carry our reqid; an exhausted range is an error naming the SA. The kernel
 * draws random SPIs in the range and gives up after as many draws as the
 * range is wide, so a nearly full range can fail early: keep ranges wide. */
TEST(xfrm_host_allocspi_range)
{
	struct kernel_sa_id id = { .proto = KERNEL_PROTO_ESP };
	uint32_t spis[8], spi;
	struct kernel_err err;
	struct xfrm *x;
	unsigned ours;
	int r;

	xt_netns();
	x = open_xfrm(false);
	id.src = xt_addr("192.0.2.2");
	id.dst = xt_addr("192.0.2.1");
	for (unsigned i = 0; i < 8; i++) {
		REQUIRE_EQ(xfrm_spi_alloc(x, &id, KERNEL_MODE_TUNNEL,
					  KERNEL_REQID_MIN + i, 0, 0x1000,
					  0x10ff, &spis[i], &err),
			   0);
		CHECK_GE(spis[i], 0x1000);
		CHECK_LE(spis[i], 0x10ff);
		for (unsigned k = 0; k < i; k++)
			CHECK_NE(spis[k], spis[i]);
	}
	CHECK_EQ(xt_count_sas(x, &ours), 8);
	CHECK_EQ(ours, 8);
	/* A one-value range whose value is taken. */
	r = xfrm_spi_alloc(x, &id, KERNEL_MODE_TUNNEL, KERNEL_REQID_MIN + 9, 0,
			   spis[3], spis[3], &spi, &err);
	CHECK_LT(r, 0);
	test_note("exhausted range: %s", err.msg);
	CHECK(strstr(err.msg, "allocate SPI 0x10"));
	CHECK(strstr(err.msg, "192.0.2.2->192.0.2.1 reqid 0x6b620009"));
	/* IPv6, one value range. */
	id.src = xt_addr("2001:db8::2");
	id.dst = xt_addr("2001:db8::1");
	REQUIRE_EQ(xfrm_spi_alloc(x, &id, KERNEL_MODE_TRANSPORT,
				  KERNEL_REQID_MIN, 0, 0xc0de, 0xc0de, &spis[0],
				  &err),
		   0);
	CHECK_EQ(spis[0], 0xc0de);
	xfrm_close(x);
}

static bool is_acquire_for(const struct kernel_event *ev, void *arg)
{
	return ev->u.acquire.policy_index == *(uint32_t *)arg;
}

static bool is_larval_expire(const struct kernel_event *ev, void *arg)
{
	(void)arg;
	return ev->u.expire.hard && ev->u.expire.id.spi == 0 &&
	       kernel_reqid_is_ours(ev->u.expire.stats.reqid);
}

/* A UDP datagram hits an out policy with no SA: the kernel asks for one
 * (RFC 4301 §5.1); unanswered, the larval SA expires. */
TEST(xfrm_host_acquire_and_larval_expire)
{
	struct kernel_policy p;
	struct kernel_event ev;
	struct kernel_err err;
	const struct kernel_acquire *a = &ev.u.acquire;
	struct xfrm *x;
	char buf[64];

	xt_netns();
	/* Larval SAs live net.core.xfrm_acq_expires seconds (30 by default);
	 * this namespace's copy is ours to shorten. */
	xt_sysctl("net/core/xfrm_acq_expires", "1");
	x = open_xfrm(true);
	xt_policy(&p, "127.0.0.1", 32, "127.0.0.2", 32, KERNEL_DIR_OUT, 3,
		  KERNEL_REQID_MIN + 3, NULL, NULL);
	p.sel.proto = 17;
	REQUIRE_EQ(xfrm_policy_add(x, &p, false, &err), 0);
	test_note("sendto through a policy without SA: %d",
		  xt_send_udp("127.0.0.1", "127.0.0.2", 9999));
	REQUIRE(xt_wait_event(x, KERNEL_EV_ACQUIRE, 3000, is_acquire_for,
			      &p.index, &ev));
	CHECK_EQ(a->policy_dir, KERNEL_DIR_OUT);
	CHECK_EQ(a->tmpl.reqid, KERNEL_REQID_MIN + 3);
	CHECK_EQ(a->tmpl.proto, KERNEL_PROTO_ESP);
	CHECK_EQ(a->tmpl.mode, KERNEL_MODE_TRANSPORT);
	CHECK_STR(kernel_addr_str(&a->src, buf, sizeof(buf)), "127.0.0.1");
	CHECK_STR(kernel_addr_str(&a->dst, buf, sizeof(buf)), "127.0.0.2");
	CHECK_MEM(&a->sel, &p.sel, sizeof(p.sel));
	CHECK_EQ(a->packet.proto, 17);
	CHECK_EQ(a->packet.dport, 9999);
	CHECK_EQ(a->packet.dst_plen, 32);
	CHECK_NE(a->seq, 0);
	/* Nobody answers: the larval SA expires hard, SPI 0, our reqid. */
	REQUIRE(xt_wait_event(x, KERNEL_EV_EXPIRE, 5000, is_larval_expire, NULL,
			      &ev));
	CHECK_EQ(ev.u.expire.id.proto, KERNEL_PROTO_ESP);
	CHECK_STR(kernel_addr_str(&ev.u.expire.id.dst, buf, sizeof(buf)),
		  "127.0.0.2");
	xfrm_close(x);
}

/* The kernel's extended ack text reaches the operator, naming the
 * object. */
TEST(xfrm_host_extended_ack_error)
{
	struct kernel_policy p;
	struct kernel_err err;
	struct xfrm *x;

	xt_netns();
	x = open_xfrm(false);
	xt_policy(&p, "10.1.0.0", 33, "10.2.0.0", 16, KERNEL_DIR_OUT, 4,
		  KERNEL_REQID_MIN, NULL, NULL);
	CHECK_EQ(xfrm_policy_add(x, &p, false, &err), -EINVAL);
	CHECK_EQ(err.code, -EINVAL);
	test_note("%s", err.msg);
	CHECK(strstr(err.msg, "add policy out 10.1.0.0/33->10.2.0.0/16 index "
			      "0x6b000021: Invalid argument (kernel: "));
	CHECK(strstr(err.msg, "prefix"));
	xfrm_close(x);
}

/* A batch of N policies in one send, two bad ones: each error lands on
 * its own request, the others are installed. */
TEST(xfrm_host_batch_errors_attributed)
{
	enum { N = 300, BAD = 117, DUP = 250 };
	struct kernel_policy *p = calloc(N, sizeof(*p));
	struct kernel_req *q = calloc(N, sizeof(*q));
	struct xfrm *x;
	char src[32];

	REQUIRE(p && q);
	xt_netns();
	x = open_xfrm(false);
	for (unsigned i = 0; i < N; i++) {
		snprintf(src, sizeof(src), "10.%u.%u.0", 1 + i / 250, i % 250);
		xt_policy(&p[i], src, 24, "10.200.0.0", 16, KERNEL_DIR_OUT,
			  100 + i, KERNEL_REQID_MIN + i, NULL, NULL);
		q[i].type = KERNEL_REQ_POLICY_ADD;
		q[i].o.policy = &p[i];
	}
	p[BAD].sel.src_plen = 40; /* the kernel refuses: EINVAL */
	p[DUP].sel = p[3].sel;	  /* same selector as #3: EEXIST */
	p[DUP].index = p[3].index + 8 * 1000;
	CHECK_EQ(xfrm_apply(x, q, N), -EINVAL); /* the first failure */
	/* 300 policies of 252 bytes: two sendmsg() of up to 64 KiB. */
	CHECK_EQ(xfrm_sends(x), 2);
	for (unsigned i = 0; i < N; i++) {
		int want = i == BAD ? -EINVAL : i == DUP ? -EEXIST : 0;
		if (q[i].err.code != want)
			test_fail(__FILE__, __LINE__,
				  "request %u: expected %d, actual %d (%s)", i,
				  want, q[i].err.code, q[i].err.msg);
	}
	CHECK(strstr(q[BAD].err.msg, "10.1.117.0/40"));
	CHECK(strstr(q[DUP].err.msg, "File exists"));
	CHECK_EQ(xt_count_policies(x, NULL), N - 2);
	xfrm_close(x);
	free(p);
	free(q);
}

/* Start-up cleanup removes only keybridge's objects. */
TEST(xfrm_host_cleanup_spares_foreign)
{
	struct kernel_sa_id id = { .proto = KERNEL_PROTO_ESP };
	struct kernel_policy p, q;
	struct kernel_err err;
	unsigned n_sa, n_pol, ours;
	uint32_t spi;
	struct xfrm *x;
	const char *out;

	xt_netns();
	x = open_xfrm(false);
	/* Someone else's: a policy with its own reqid, a larval SA. */
	REQUIRE_EQ(xt_sh("ip xfrm policy add src 10.9.0.0/24 dst 10.8.0.0/24 "
			 "dir out priority 7 tmpl proto esp reqid 5 "
			 "mode transport"),
		   0);
	REQUIRE_EQ(xt_sh("ip xfrm policy add src 10.7.0.0/24 dst 10.8.0.0/24 "
			 "dir fwd action block"),
		   0);
	REQUIRE_EQ(xt_sh("ip xfrm state allocspi src 10.0.0.1 dst 10.0.0.2 "
			 "proto esp reqid 5 min 0x100 max 0x200 >/dev/null"),
		   0);
	/* Ours: tagged index; kernel-chosen index but our reqid; an SA. */
	xt_policy(&p, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_OUT, 5,
		  KERNEL_REQID_MIN + 5, NULL, NULL);
	REQUIRE_EQ(xfrm_policy_add(x, &p, false, &err), 0);
	xt_policy(&q, "10.3.0.0", 16, "10.4.0.0", 16, KERNEL_DIR_IN, 0,
		  KERNEL_REQID_MIN + 6, NULL, NULL);
	q.index = 0;
	REQUIRE_EQ(xfrm_policy_add(x, &q, false, &err), 0);
	id.src = xt_addr("10.0.0.2");
	id.dst = xt_addr("10.0.0.1");
	REQUIRE_EQ(xfrm_spi_alloc(x, &id, KERNEL_MODE_TRANSPORT,
				  KERNEL_REQID_MIN + 5, 0, 0x300, 0x400, &spi,
				  &err),
		   0);
	CHECK_EQ(xt_count_policies(x, &ours), 4);
	CHECK_EQ(ours, 2);

	REQUIRE_EQ(xfrm_cleanup(x, &n_sa, &n_pol, &err), 0);
	CHECK_EQ(n_pol, 2);
	CHECK_EQ(n_sa, 1);
	CHECK_EQ(xt_count_policies(x, &ours), 2);
	CHECK_EQ(ours, 0);
	CHECK_EQ(xt_count_sas(x, &ours), 1);
	CHECK_EQ(ours, 0);
	out = xt_sh_out("ip xfrm policy list; ip xfrm state list");
	CHECK(strstr(out, "src 10.9.0.0/24 dst 10.8.0.0/24"));
	CHECK(strstr(out, "src 10.7.0.0/24 dst 10.8.0.0/24"));
	CHECK(strstr(out, "reqid 5 "));
	CHECK(!strstr(out, "10.1.0.0/16"));
	/* A second run finds nothing. */
	REQUIRE_EQ(xfrm_cleanup(x, &n_sa, &n_pol, &err), 0);
	CHECK_EQ(n_pol + n_sa, 0);
	xfrm_close(x);
}

/* A kernel that refuses an SA says which SA and why; nothing else moves.
 * Without ESP (this host) the refusal is the missing type; with ESP, an
 * SPI collision. */
TEST(xfrm_host_sa_refusal_names_sa)
{
	struct kernel_sa sa = { .mode = KERNEL_MODE_TUNNEL };
	struct kernel_policy p;
	struct kernel_err err;
	struct xfrm *x;
	int r;

	xt_netns();
	x = open_xfrm(false);
	xt_policy(&p, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_OUT, 6,
		  KERNEL_REQID_MIN + 1, NULL, NULL);
	REQUIRE_EQ(xfrm_policy_add(x, &p, false, &err), 0);
	sa.id.src = xt_addr("192.0.2.1");
	sa.id.dst = xt_addr("192.0.2.2");
	sa.id.spi = 0xc0ffee01;
	sa.id.proto = KERNEL_PROTO_ESP;
	sa.reqid = KERNEL_REQID_MIN + 1;
	sa.encr_id = ENCR_AES_GCM_16;
	sa.enc_key_len = 20;
	r = xfrm_sa_add(x, &sa, false, &err);
	if (r == 0)
		r = xfrm_sa_add(x, &sa, false, &err);
	test_note("%s", err.msg);
	CHECK_LT(r, 0);
	CHECK(strstr(err.msg, "add SA esp spi 0xc0ffee01 192.0.2.1->192.0.2.2 "
			      "reqid 0x6b620001: "));
	if (r == -EEXIST)
		CHECK(strstr(err.msg, "File exists"));
	else
		CHECK(strstr(err.msg, "(kernel: "));
	CHECK_EQ(xt_count_policies(x, NULL), 1);
	kernel_sa_wipe(&sa);
	xfrm_close(x);
}

/* Requests the kernel cannot take are refused with a reason naming the SA,
 * inside a batch whose other members are installed regardless. */
TEST(xfrm_host_batch_refusals_name_sa)
{
	struct kernel_policy p1, p2;
	struct kernel_sa bad_alg = { .mode = KERNEL_MODE_TUNNEL }, bad_key;
	struct kernel_req q[4] = { { .type = KERNEL_REQ_POLICY_ADD },
				   { .type = KERNEL_REQ_SA_ADD },
				   { .type = KERNEL_REQ_SA_ADD },
				   { .type = KERNEL_REQ_POLICY_ADD } };
	struct xfrm *x;

	xt_netns();
	x = open_xfrm(false);
	xt_policy(&p1, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_OUT, 8,
		  KERNEL_REQID_MIN + 8, NULL, NULL);
	xt_policy(&p2, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_IN, 9,
		  KERNEL_REQID_MIN + 8, NULL, NULL);
	bad_alg.id.src = xt_addr("192.0.2.1");
	bad_alg.id.dst = xt_addr("192.0.2.2");
	bad_alg.id.spi = 0xbad0a1;
	bad_alg.id.proto = KERNEL_PROTO_ESP;
	bad_alg.reqid = KERNEL_REQID_MIN + 8;
	bad_alg.encr_id = ENCR_CAMELLIA_CCM_16;
	bad_alg.enc_key_len = 19;
	bad_key = bad_alg;
	bad_key.id.spi = 0xbad0c0;
	bad_key.encr_id = ENCR_AES_CBC;
	bad_key.enc_key_len = 16;
	bad_key.integ_id = AUTH_HMAC_SHA2_512_256;
	bad_key.integ_key_len = 32;
	q[0].o.policy = &p1;
	q[1].o.sa = &bad_alg;
	q[2].o.sa = &bad_key;
	q[3].o.policy = &p2;
	CHECK_EQ(xfrm_apply(x, q, 4), -ENOPROTOOPT);
	CHECK_EQ(q[0].err.code, 0);
	CHECK_EQ(q[3].err.code, 0);
	CHECK_STR(q[1].err.msg,
		  "add SA esp spi 0x00bad0a1 192.0.2.1->192.0.2.2 reqid "
		  "0x6b620008: Protocol not available (no kernel algorithm "
		  "for ENCR_CAMELLIA_CCM_16 (27))");
	CHECK_STR(q[2].err.msg,
		  "add SA esp spi 0x00bad0c0 192.0.2.1->192.0.2.2 reqid "
		  "0x6b620008: Invalid argument (AUTH_HMAC_SHA2_512_256 needs "
		  "a 64-byte key, got 32 bytes)");
	CHECK_EQ(xt_count_policies(x, NULL), 2);
	CHECK_EQ(xt_count_sas(x, NULL), 0);
	/* Caller mistakes are refusals too, not crashes. */
	q[0].type = 99;
	q[1].o.sa = NULL;
	CHECK_EQ(xfrm_apply(x, q, 2), -EINVAL);
	CHECK_STR(q[0].err.msg, "request of unknown type 99: Invalid argument "
				"(not expressible to XFRM)");
	CHECK_EQ(q[1].err.code, -EFAULT);
	CHECK_STR(q[1].err.msg, "add (no object given): Bad address");
	xfrm_close(x);
}

/* Without CAP_NET_ADMIN the kernel says no; the error names the object. */
TEST(xfrm_host_permission_denied_names_policy)
{
	struct kernel_policy p;
	struct kernel_err err;
	struct xfrm *x;

	xt_netns();
	x = open_xfrm(false);
	capng_clear(CAPNG_SELECT_BOTH);
	REQUIRE_EQ(capng_apply(CAPNG_SELECT_BOTH), 0);
	xt_policy(&p, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_OUT, 10,
		  KERNEL_REQID_MIN, NULL, NULL);
	CHECK_EQ(xfrm_policy_add(x, &p, false, &err), -EPERM);
	CHECK_STR(err.msg, "add policy out 10.1.0.0/16->10.2.0.0/16 index "
			   "0x6b000051: Operation not permitted");
	xfrm_close(x);
}

static bool is_sa_note(const struct kernel_event *ev, void *arg)
{
	return ev->u.sa.id.spi == *(uint32_t *)arg;
}

/* The SA group: deleting an SA (here a larval one from ALLOCSPI) is
 * announced with its id and reqid. */
TEST(xfrm_host_sa_deleted_event)
{
	struct kernel_sa_id id = { .proto = KERNEL_PROTO_ESP };
	struct kernel_event ev;
	struct kernel_err err;
	struct xfrm *x;
	char s[64];

	xt_netns();
	x = open_xfrm_notes();
	id.src = xt_addr("2001:db8::2");
	id.dst = xt_addr("2001:db8::1");
	REQUIRE_EQ(xfrm_spi_alloc(x, &id, KERNEL_MODE_TRANSPORT,
				  KERNEL_REQID_MIN + 11, 0, 0x5000, 0x5fff,
				  &id.spi, &err),
		   0);
	REQUIRE_EQ(xfrm_sa_del(x, &id, &err), 0);
	REQUIRE(xt_wait_event(x, KERNEL_EV_SA_DELETED, 2000, is_sa_note,
			      &id.spi, &ev));
	CHECK_EQ(ev.u.sa.reqid, KERNEL_REQID_MIN + 11);
	CHECK_EQ(ev.u.sa.id.proto, KERNEL_PROTO_ESP);
	CHECK_STR(kernel_addr_str(&ev.u.sa.id.dst, s, sizeof(s)),
		  "2001:db8::1");
	CHECK_STR(kernel_addr_str(&ev.u.sa.id.src, s, sizeof(s)),
		  "2001:db8::2");
	CHECK_EQ(xfrm_sa_del(x, &id, &err), -ESRCH);
	test_note("%s", err.msg);
	xfrm_close(x);
}

static bool is_policy_expire(const struct kernel_event *ev, void *arg)
{
	const struct kernel_policy *p = arg;
	return ev->u.policy_expire.index == p->index &&
	       ev->u.policy_expire.hard == (p->priority == 1);
}

/* Policy lifetimes (RFC 4301 §4.4.1 leaves them to the implementation;
 * XFRM has them): soft then hard POLEXPIRE, and the policy is gone. */
TEST(xfrm_host_policy_expire_soft_then_hard)
{
	struct kernel_policy p, want;
	struct kernel_event ev;
	struct kernel_err err;
	struct xfrm *x;

	xt_netns();
	x = open_xfrm(true);
	xt_policy(&p, "10.5.0.0", 16, "10.6.0.0", 16, KERNEL_DIR_FWD, 12,
		  KERNEL_REQID_MIN + 12, "192.0.2.1", "192.0.2.2");
	/* three seconds apart: in a loaded TCG guest a late soft expiry
	 * and the hard one could otherwise come in one read, and the wait
	 * for the first drops the second */
	p.soft.add_seconds = 1;
	p.hard.add_seconds = 4;
	REQUIRE_EQ(xfrm_policy_add(x, &p, false, &err), 0);
	want = p;
	want.priority = 0; /* soft */
	REQUIRE(xt_wait_event(x, KERNEL_EV_POLICY_EXPIRE, 6000,
			      is_policy_expire, &want, &ev));
	CHECK_EQ(ev.u.policy_expire.dir, KERNEL_DIR_FWD);
	CHECK_MEM(&ev.u.policy_expire.sel, &p.sel, sizeof(p.sel));
	want.priority = 1; /* hard */
	REQUIRE(xt_wait_event(x, KERNEL_EV_POLICY_EXPIRE, 8000,
			      is_policy_expire, &want, &ev));
	CHECK_EQ(xt_count_policies(x, NULL), 0);
	xfrm_close(x);
}

/* A batch never outgrows the room its acks need: with a small receive
 * buffer (a guest's default rmem_max is 208 KiB) 1500 deletions still get
 * 1500 answers, in more sendmsg() calls. */
TEST(xfrm_host_batch_fits_small_receive_buffer)
{
	enum { N = 1500 };
	struct kernel_sa_id *id = calloc(N, sizeof(*id));
	struct kernel_req *q = calloc(N, sizeof(*q));
	struct xfrm *x;
	int got;

	REQUIRE(id && q);
	xt_netns();
	x = open_xfrm(false);
	got = xfrm_set_rcvbuf(x, 100 * 1024);
	test_note("receive buffer %d bytes, %zu requests per sendmsg", got,
		  xfrm_batch_max(x));
	CHECK_LE(xfrm_batch_max(x) * 2048, (size_t)got);
	for (unsigned i = 0; i < N; i++) {
		id[i].src = xt_addr("192.0.2.1");
		id[i].dst = xt_addr("192.0.2.2");
		id[i].spi = 0x100 + i;
		id[i].proto = KERNEL_PROTO_ESP;
		q[i].type = KERNEL_REQ_SA_DEL;
		q[i].o.sa_id = &id[i];
	}
	CHECK_EQ(xfrm_apply(x, q, N), -ESRCH);
	for (unsigned i = 0; i < N; i++)
		if (q[i].err.code != -ESRCH) {
			test_fail(__FILE__, __LINE__, "request %u: %s", i,
				  q[i].err.msg);
			break;
		}
	CHECK_GE(xfrm_sends(x),
		 (N + xfrm_batch_max(x) - 1) / xfrm_batch_max(x));
	xfrm_close(x);
	free(id);
	free(q);
}

/* MOBIKE's XFRM_MSG_MIGRATE on policies alone (no ESP needed): the policy
 * keeps its index and selector, its template gets the new addresses; a
 * selector the kernel does not hold is an error naming the policy. The
 * SAs' part runs in test_xfrm_esp.c (xfrm_esp_migrate_*). */
TEST(xfrm_host_migrate_policy_template)
{
	struct kernel_policy out, in;
	struct kernel_migrate m = { 0 };
	struct kernel_req q = { .type = KERNEL_REQ_MIGRATE };
	struct find_ctx f = { 0 };
	struct kernel_err err;
	struct xfrm *x;

	xt_netns();
	x = open_xfrm(false);
	xt_policy(&out, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_OUT, 5,
		  KERNEL_REQID_MIN + 5, "192.0.2.1", "192.0.2.2");
	xt_policy(&in, "10.2.0.0", 16, "10.1.0.0", 16, KERNEL_DIR_IN, 6,
		  KERNEL_REQID_MIN + 5, "192.0.2.2", "192.0.2.1");
	REQUIRE_EQ(xfrm_policy_add(x, &out, false, &err), 0);
	REQUIRE_EQ(xfrm_policy_add(x, &in, false, &err), 0);

	m.sel = out.sel;
	m.dir = KERNEL_DIR_OUT;
	m.old_src = xt_addr("192.0.2.1");
	m.old_dst = xt_addr("192.0.2.2");
	m.new_src = xt_addr("198.51.100.7");
	m.new_dst = xt_addr("192.0.2.2");
	m.proto = KERNEL_PROTO_ESP;
	m.mode = KERNEL_MODE_TUNNEL;
	m.reqid = KERNEL_REQID_MIN + 5;
	q.o.migrate = &m;
	REQUIRE_EQ(xfrm_apply(x, &q, 1), 0);

	f.index = out.index;
	REQUIRE_EQ(xfrm_policy_list(x, find_policy, &f, &err), 0);
	REQUIRE_EQ(f.hits, 1);
	CHECK_MEM(&f.found.sel, &out.sel, sizeof(out.sel));
	CHECK_MEM(&f.found.tmpl[0].src, &m.new_src, sizeof(m.new_src));
	CHECK_MEM(&f.found.tmpl[0].dst, &m.new_dst, sizeof(m.new_dst));
	CHECK_EQ(f.found.tmpl[0].reqid, KERNEL_REQID_MIN + 5);
	/* The in policy was not touched. */
	memset(&f, 0, sizeof(f));
	f.index = in.index;
	REQUIRE_EQ(xfrm_policy_list(x, find_policy, &f, &err), 0);
	CHECK_MEM(&f.found.tmpl[0].src, &in.tmpl[0].src, sizeof(m.new_src));
	CHECK(strstr(xt_sh_out("ip xfrm policy list"),
		     "tmpl src 198.51.100.7 dst 192.0.2.2"));

	/* A policy that is not there: refused (-ENOENT on 6.1, -ENODATA on
	 * 6.18), and said which. */
	m.sel.dst_plen = 24;
	CHECK_LT(xfrm_apply(x, &q, 1), 0);
	CHECK(strstr(q.err.msg, "migrate policy out 10.1.0.0/16->10.2.0.0/24"));
	test_note("%s", q.err.msg);
	xfrm_close(x);
}
