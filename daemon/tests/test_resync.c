/* Robustness bug 6: a kernel event overrun (ENOBUFS) was only logged. The
 * daemon now re-reads keybridge's SAs and policies and gives the engine
 * what it missed (io/resync.h). Real kernel (a private network namespace
 * per test) and a real engine (the two-engine harness); this kernel has
 * no ESP, so the SAs here are the larval ones ALLOCSPI and ACQUIRE make,
 * which the kernel lists like any other. */
#include "io/resync.h"
#include "kernel/kernel.h"
#include "tests/engine_harness.h"
#include "tests/test.h"
#include "tests/test_xfrm_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum {
	REQID_A = 0x6b620001,	   /* the harness's child of a */
	REQID_FILLER = 0x6b620077, /* ours, but no connection has it */
};

static struct kernel *open_kernel(void)
{
	struct kernel_err err;
	struct kernel *k = NULL;
	int r = kernel_xfrm_ops.open(&k, true, &err);

	if (r == -EPROTONOSUPPORT)
		test_skip("no XFRM netlink in this kernel: %s", err.msg);
	REQUIRE_EQ(r, 0);
	return k;
}

struct seen {
	unsigned acquires, acquires_a, notes;
};

static void count_event(const struct kernel_event *ev, void *arg)
{
	struct seen *s = arg;

	if (ev->type == KERNEL_EV_ACQUIRE) {
		s->acquires++;
		s->acquires_a += ev->u.acquire.tmpl.reqid == REQID_A;
	}
	if (ev->type == KERNEL_EV_SA_ADDED ||
	    ev->type == KERNEL_EV_SA_DELETED ||
	    ev->type == KERNEL_EV_POLICY_ADDED ||
	    ev->type == KERNEL_EV_POLICY_DELETED)
		s->notes++;
}

/* The daemon's event socket takes ACQUIRE, EXPIRE and MAPPING only: SA
 * notes would bring every SA's keys (anyone's) into the process. */
TEST(resync_event_socket_leaves_sa_and_policy_groups)
{
	struct kernel *k;
	struct xfrm *other;
	struct kernel_policy p;
	struct kernel_sa_id id = { .proto = KERNEL_PROTO_ESP };
	struct kernel_err err;
	struct kernel_event ev;
	struct seen s = { 0 };

	xt_netns();
	k = open_kernel();
	REQUIRE_EQ(xfrm_open(&other, false, &err), 0);
	/* someone adds a policy and an SA */
	xt_policy(&p, "10.1.0.0", 16, "10.2.0.0", 16, KERNEL_DIR_OUT, 1,
		  KERNEL_REQID_MIN + 1, "192.0.2.1", "192.0.2.2");
	REQUIRE_EQ(xfrm_policy_add(other, &p, false, &err), 0);
	id.src = xt_addr("192.0.2.2");
	id.dst = xt_addr("192.0.2.1");
	REQUIRE_EQ(xfrm_spi_alloc(other, &id, KERNEL_MODE_TRANSPORT,
				  KERNEL_REQID_MIN + 1, 0, 0x1000, 0xffff,
				  &id.spi, &err),
		   0);
	REQUIRE_EQ(xfrm_sa_del(other, &id, &err), 0);
	REQUIRE_EQ(xfrm_policy_del(other, &p, &err), 0);
	CHECK_EQ(kernel_xfrm_ops.event_read(k, count_event, &s), 0);
	CHECK_EQ(s.notes, 0);
	/* the same socket with the notes asked for does see them (so the
	 * check above could fail) */
	REQUIRE_EQ(xfrm_event_watch_notes((struct xfrm *)k), 0);
	REQUIRE_EQ(xfrm_policy_add(other, &p, false, &err), 0);
	CHECK(xt_wait_event((struct xfrm *)k, KERNEL_EV_POLICY_ADDED, 2000,
			    NULL, NULL, &ev));
	xfrm_close(other);
	kernel_xfrm_ops.close(k);
}

/* Larval SAs of keybridge's (our reqids) are listed, others' are not. */
static unsigned larval_count(const struct resync_snap *s, uint32_t reqid)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->n_sa; i++)
		n += s->sa[i].spi == 0 && s->sa[i].reqid == reqid;
	return n;
}

/* Fills the daemon's tiny event queue: 64 flows of a filler trap (one
 * ACQUIRE each), then the flow a's connection traps. */
static void acquire_flood(struct kernel *k)
{
	struct kernel_policy filler, trap;
	char dst[32];
	int small = 1;

	/* the smallest receive buffer the kernel allows: a few events */
	REQUIRE_EQ(setsockopt(kernel_xfrm_ops.event_fd(k), SOL_SOCKET,
			      SO_RCVBUF, &small, sizeof(small)),
		   0);
	xt_policy(&filler, "127.0.0.1", 32, "127.1.0.0", 16, KERNEL_DIR_OUT, 1,
		  REQID_FILLER, NULL, NULL);
	xt_policy(&trap, "127.0.0.1", 32, "127.0.0.2", 32, KERNEL_DIR_OUT, 2,
		  REQID_A, NULL, NULL);
	REQUIRE_EQ(
		kernel_xfrm_ops.apply(
			k,
			(struct kernel_req[]){ { .type = KERNEL_REQ_POLICY_ADD,
						 .o.policy = &filler },
					       { .type = KERNEL_REQ_POLICY_ADD,
						 .o.policy = &trap } },
			2),
		0);
	for (int i = 1; i <= 64; i++) {
		snprintf(dst, sizeof(dst), "127.1.0.%d", i);
		(void)xt_send_udp("127.0.0.1", dst, 9);
	}
	(void)xt_send_udp("127.0.0.1", "127.0.0.2", 9);
}

/* A flood of ACQUIREs overruns the daemon's event socket while another
 * listener (ip xfrm monitor, say) takes them all: the kernel keeps a
 * larval SA for each ACQUIRE someone received and sends no new one for
 * that flow until it expires (30 s). The one a's connection needed is
 * lost to the daemon; the re-read finds its larval SA and the engine
 * initiates, as the lost ACQUIRE would have made it. */
TEST(resync_overrun_replays_a_lost_acquire)
{
	struct harness h;
	struct kernel *k;
	struct xfrm *monitor;
	struct kernel_err err;
	struct resync_snap snap;
	struct resync_result res;
	struct seen s = { 0 };
	int r;

	xt_netns();
	k = open_kernel();
	REQUIRE_EQ(xfrm_open(&monitor, true, &err), 0);
	acquire_flood(k);
	r = kernel_xfrm_ops.event_read(k, count_event, &s);
	test_note("read %u ACQUIREs before the overrun", s.acquires);
	CHECK_EQ(r, -ENOBUFS);
	CHECK_LT(s.acquires, 65);
	REQUIRE_EQ(s.acquires_a, 0); /* lost: the engine would never know */

	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE_EQ(resync_read(&kernel_xfrm_ops, k, &snap, &err), 0);
	CHECK_EQ(larval_count(&snap, REQID_FILLER), 64);
	CHECK_EQ(larval_count(&snap, REQID_A), 1);
	CHECK_EQ(snap.n_policies, 2);
	resync_apply(h.a.e, h.now, &snap, true, &res);
	/* IKE_SA_INIT --> for a's connection; the filler's reqid is no
	 * connection's and is ignored */
	harness_collect(&h);
	CHECK_EQ(res.acquired, 1);
	CHECK_EQ(res.expired, 0);
	CHECK_EQ(engine_ike_count(h.a.e), 1);
	CHECK_EQ(h.a.n_q, 1);
	/* a second re-read (another overrun) starts nothing new */
	resync_apply(h.a.e, h.now, &snap, true, &res);
	harness_collect(&h);
	CHECK_EQ(engine_ike_count(h.a.e), 1);
	CHECK_EQ(h.a.n_q, 1);
	resync_snap_free(&snap);
	harness_free(&h);
	xfrm_close(monitor);
	kernel_xfrm_ops.close(k);
}

static bool is_acquire_a(const struct kernel_event *ev, void *arg)
{
	(void)arg;
	return ev->u.acquire.tmpl.reqid == REQID_A;
}

/* The same overrun with the daemon as the only listener: the kernel
 * counts an ACQUIRE nobody received as failed and keeps no larval SA, so
 * there is nothing to replay, and the next packet of the flow raises the
 * ACQUIRE again (what resync.h promises). */
TEST(resync_acquire_nobody_received_comes_again_with_the_next_packet)
{
	struct kernel *k;
	struct kernel_err err;
	struct resync_snap snap;
	struct kernel_event ev;
	struct seen s = { 0 };

	xt_netns();
	k = open_kernel();
	acquire_flood(k);
	CHECK_EQ(kernel_xfrm_ops.event_read(k, count_event, &s), -ENOBUFS);
	REQUIRE_EQ(s.acquires_a, 0);
	while (kernel_xfrm_ops.event_read(k, count_event, &s) == -ENOBUFS)
		;
	REQUIRE_EQ(resync_read(&kernel_xfrm_ops, k, &snap, &err), 0);
	CHECK_EQ(larval_count(&snap, REQID_A), 0);
	CHECK_LT(larval_count(&snap, REQID_FILLER), 64);
	resync_snap_free(&snap);
	(void)xt_send_udp("127.0.0.1", "127.0.0.2", 9);
	CHECK(xt_wait_event((struct xfrm *)k, KERNEL_EV_ACQUIRE, 2000,
			    is_acquire_a, NULL, &ev));
	kernel_xfrm_ops.close(k);
}

/* Stands in for a CHILD SA's kernel SA: a larval SA with its SPI. */
static void sa_alloc(struct kernel *k, const struct engine_addr *src,
		     const struct engine_addr *dst, uint32_t spi)
{
	struct kernel_sa_id id = { .proto = KERNEL_PROTO_ESP };
	struct kernel_err err;
	uint32_t got = 0;

	id.src.family = src->family;
	memcpy(id.src.a.raw, src->ip, 16);
	id.dst.family = dst->family;
	memcpy(id.dst.a.raw, dst->ip, 16);
	REQUIRE_EQ(kernel_xfrm_ops.spi_alloc(k, &id, REQID_A, 0, spi, spi, &got,
					     &err),
		   0);
	REQUIRE_EQ(got, spi);
}

/* A lost hard EXPIRE: the kernel removed the outbound SA of an installed
 * CHILD SA. The re-read finds it missing and the engine deletes the child
 * with the peer, as the EXPIRE would have made it; a child whose SAs are
 * both there is left alone. */
TEST(resync_lost_hard_expire_deletes_the_child)
{
	struct harness h;
	struct kernel *k;
	struct kernel_err err;
	struct resync_snap snap;
	struct resync_result res;
	struct engine_ike_info ike;
	struct engine_child_info c;
	struct kernel_sa_id out = { .proto = KERNEL_PROTO_ESP };
	uint32_t id;

	xt_netns();
	k = open_kernel();
	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	id = harness_ike_id(&h.a);
	REQUIRE_EQ(engine_ike_info(h.a.e, id, &ike), 0);
	REQUIRE_EQ(engine_child_info(h.a.e, id, 0, &c), 0);
	REQUIRE_EQ(c.state, ENGINE_CHILD_INSTALLED);
	sa_alloc(k, &ike.remote, &ike.local, c.spi_in);
	sa_alloc(k, &ike.local, &ike.remote, c.spi_out);

	/* both there: nothing to do */
	REQUIRE_EQ(resync_read(&kernel_xfrm_ops, k, &snap, &err), 0);
	resync_apply(h.a.e, h.now, &snap, true, &res);
	resync_snap_free(&snap);
	harness_collect(&h);
	CHECK_EQ(res.expired, 0);
	CHECK_EQ(h.a.n_q, 0);

	/* the outbound SA hard-expired, and its EXPIRE was lost */
	out.dst.family = ike.remote.family;
	memcpy(out.dst.a.raw, ike.remote.ip, 16);
	out.src.family = ike.local.family;
	memcpy(out.src.a.raw, ike.local.ip, 16);
	out.spi = c.spi_out;
	REQUIRE_EQ(xfrm_sa_del((struct xfrm *)k, &out, &err), 0);
	REQUIRE_EQ(resync_read(&kernel_xfrm_ops, k, &snap, &err), 0);
	resync_apply(h.a.e, h.now, &snap, true, &res);
	resync_snap_free(&snap);
	CHECK_EQ(res.expired, 1);
	/* INFORMATIONAL { D(ESP) } -->, <-- INFORMATIONAL { D(ESP) } */
	harness_collect(&h);
	CHECK_EQ(h.a.n_q, 1);
	CHECK(harness_logged(&h.a, "hard expired"));
	harness_run(&h, 10);
	CHECK_EQ(engine_child_info(h.a.e, id, 0, &c), -ENOENT);
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	harness_free(&h);
	kernel_xfrm_ops.close(k);
}
