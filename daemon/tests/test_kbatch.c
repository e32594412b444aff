/* Kernel work batched per engine call (io/kbatch.c) against the real
 * kernel: the engine's SA and policy actions of one batch reach XFRM in
 * one sendmsg(), in the engine's order, and each action learns its own
 * outcome. Each test runs in a private network namespace (xt_netns).
 *
 * xfrm_host_kbatch_*: policies and refusals, which need no ESP; they also
 * run on Debian's stock kernel (kmod-tests/22). xfrm_esp_kbatch_*: SAs,
 * which need ESP: they skip loudly here and must pass in the guest
 * (kmod-tests/20). kbatch_daemon_*: two keybridged daemons.
 */
#include "engine/engine.h"
#include "ike_iana.h"
#include "io/kbatch.h"
#include "tests/daemon_util.h"
#include "tests/kbatch_util.h"
#include "tests/test.h"
#include "tests/test_xfrm_util.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQID (KERNEL_REQID_MIN + 7)

struct kb_fixture {
	struct xfrm *x;
	const struct kernel_ops *ops;
	struct kernel *k;
	struct kbatch b;
	uint32_t seq;
	struct engine_action a[16];
	size_t n;
};

static void kb_open(struct kb_fixture *f)
{
	struct kernel_err err;

	memset(f, 0, sizeof(*f));
	xt_netns();
	if (xfrm_open(&f->x, false, &err)) {
		test_fail(__FILE__, __LINE__, "%s", err.msg);
		test_abort();
	}
	f->ops = kernel_backend("xfrm");
	REQUIRE(f->ops != NULL);
	f->k = (struct kernel *)f->x; /* what the xfrm ops' open returns */
	f->seq = 1;
}

static void kb_close(struct kb_fixture *f)
{
	kbatch_free(&f->b);
	xfrm_close(f->x);
	explicit_bzero(f->a, sizeof(f->a));
}

/* The CHILD SA 10.1.0.0/24 (192.0.2.1, us) <-> 10.2.0.0/24 (192.0.2.2) */
static struct ku_child kb_child(uint32_t reqid)
{
	return (struct ku_child){ .us = ku_addr(1),
				  .peer = ku_addr(2),
				  .ts_us = ku_ts(1, 0),
				  .ts_peer = ku_ts(2, 0),
				  .reqid = reqid };
}

/* The fixture's next action (kbatch reads no IKE SA id: 0 here). */
static struct engine_action *kb_slot(struct kb_fixture *f)
{
	REQUIRE(f->n < sizeof(f->a) / sizeof(f->a[0]));
	return &f->a[f->n++];
}

static struct engine_action *kb_policy(struct kb_fixture *f, bool add,
				       enum engine_policy_dir dir)
{
	struct ku_child c = kb_child(REQID);

	return ku_policy(kb_slot(f), &c, add, dir);
}

/* An inbound SA (192.0.2.2 -> .1) or an outbound one. */
static struct engine_action *kb_sa(struct kb_fixture *f, bool add, bool in,
				   uint32_t spi)
{
	struct ku_child c = kb_child(REQID);

	return ku_sa(kb_slot(f), &c, add, in, spi);
}

/* ALLOC_SPI of `spi` for an inbound SA 192.0.2.2 -> .1 with `reqid`. */
static struct engine_action *kb_spi(struct kb_fixture *f, uint32_t spi,
				    uint32_t reqid)
{
	struct ku_child c = kb_child(reqid);

	return ku_spi(kb_slot(f), &c, spi);
}

static void kb_add_all(struct kb_fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		REQUIRE_EQ(kbatch_add(&f->b, &f->a[i], &f->seq, false), 0);
}

/* The failure code of item i, 0 if it went through. */
static int kb_code(const struct kb_fixture *f, size_t i)
{
	const struct kernel_err *e = kbatch_item_err(&f->b, i);

	return e ? e->code : 0;
}

/* Refusals among policies and removals: one sendmsg(), each failure on
 * the action it belongs to, and the order kept (a policy added and
 * removed in the same batch is gone afterwards). */
TEST(xfrm_host_kbatch_errors_stay_per_action)
{
	struct kb_fixture f;
	const struct kernel_err *e;
	unsigned ours = 0;
	unsigned long sends;

	kb_open(&f);
	kb_policy(&f, false, ENGINE_POL_OUT); /* 0: not there: ENOENT */
	kb_policy(&f, true, ENGINE_POL_OUT);  /* 1 */
	kb_sa(&f, false, true, 0x3001);	      /* 2: not there: ESRCH */
	kb_policy(&f, true, ENGINE_POL_IN);   /* 3 */
	kb_policy(&f, false, ENGINE_POL_OUT); /* 4: the one #1 added */
	kb_policy(&f, true, ENGINE_POL_FWD);  /* 5 */
	kb_spi(&f, 0x4001, REQID);	      /* 6: a larval SA */
	kb_spi(&f, 0x4001, REQID + 1);	      /* 7: taken by #6: ENOENT */
	kb_spi(&f, 0x4002, REQID + 1);	      /* 8 */
	kb_add_all(&f);
	/* a removal another CHILD SA holds (polshare, a trap) passes through
	 * without a request */
	REQUIRE_EQ(kbatch_add(&f.b, kb_policy(&f, false, ENGINE_POL_IN), &f.seq,
			      true),
		   0);
	CHECK_EQ(f.b.n_item, 10u);
	CHECK_EQ(f.b.n_req, 9u);
	sends = xfrm_sends(f.x);
	CHECK_EQ(kbatch_apply(&f.b, f.ops, f.k), 3u);
	CHECK_EQ(xfrm_sends(f.x) - sends, 1u);
	CHECK_EQ(f.b.n_applies, 1u);
	CHECK_EQ(kb_code(&f, 0), -ENOENT);
	CHECK_EQ(kb_code(&f, 1), 0);
	CHECK_EQ(kb_code(&f, 2), -ESRCH);
	e = kbatch_item_err(&f.b, 2);
	CHECK(e && strstr(e->msg, "delete SA esp spi 0x00003001"));
	for (size_t i = 3; i < 7; i++)
		CHECK_EQ(kb_code(&f, i), 0);
	CHECK_EQ(kb_code(&f, 7), -ENOENT);
	e = kbatch_item_err(&f.b, 7);
	CHECK(e && strstr(e->msg, "allocate SPI 0x4001-0x4001 for SA esp"));
	CHECK_EQ(kb_code(&f, 8), 0);
	CHECK_EQ(kb_code(&f, 9), 0);
	CHECK_EQ(f.b.spi[0].got, 0x4001u);
	CHECK_EQ(f.b.spi[2].got, 0x4002u);
	CHECK(f.b.item[9].held && f.b.item[9].n == 0);
	/* in and fwd stay; out was added, then removed */
	CHECK_EQ(xt_count_policies(f.x, &ours), 2u);
	CHECK_EQ(ours, 2u);
	CHECK_EQ(xt_count_sas(f.x, NULL), 2u); /* the larval SAs */
	kbatch_reset(&f.b);
	CHECK_EQ(f.b.n_item, 0u);
	/* an empty batch costs no round trip */
	sends = xfrm_sends(f.x);
	CHECK_EQ(kbatch_apply(&f.b, f.ops, f.k), 0u);
	CHECK_EQ(xfrm_sends(f.x), sends);
	kb_close(&f);
}

/* A policy action the kernel model cannot express (a port range) is kept
 * with its error and sends nothing; the others go. */
TEST(xfrm_host_kbatch_inexpressible_policy_alone)
{
	struct kb_fixture f;
	struct engine_action *bad;

	kb_open(&f);
	kb_policy(&f, true, ENGINE_POL_OUT);
	bad = kb_policy(&f, true, ENGINE_POL_IN);
	bad->u.policy.src.proto = IPPROTO_TCP;
	bad->u.policy.src.port_lo = 1000;
	bad->u.policy.src.port_hi = 2000;
	kb_policy(&f, true, ENGINE_POL_FWD);
	kb_add_all(&f);
	CHECK_EQ(f.b.item[1].err, -EINVAL);
	CHECK_EQ(f.b.n_req, 2u);
	CHECK_EQ(kbatch_apply(&f.b, f.ops, f.k), 0u);
	CHECK_EQ(kb_code(&f, 0), 0);
	CHECK_EQ(kb_code(&f, 2), 0);
	CHECK_EQ(xt_count_policies(f.x, NULL), 2u);
	kb_close(&f);
}

/* Skips (host) or fails (guest) when the kernel cannot hold an ESP SA. */
static void kb_esp_require(struct kb_fixture *f)
{
	struct kb_fixture probe;
	const struct kernel_err *e;
	int r;

	memset(&probe, 0, sizeof(probe));
	probe.seq = 1;
	kb_sa(&probe, true, false, 0x100);
	REQUIRE_EQ(kbatch_add(&f->b, &probe.a[0], &probe.seq, false), 0);
	(void)kbatch_apply(&f->b, f->ops, f->k);
	e = kbatch_item_err(&f->b, 0);
	r = e ? e->code : 0;
	if (r == 0) {
		struct kernel_err err;
		struct kernel_sa_id id = f->b.sa[0].id;

		kbatch_reset(&f->b);
		REQUIRE_EQ(xfrm_sa_del(f->x, &id, &err), 0);
		explicit_bzero(&probe, sizeof(probe));
		return;
	}
	if (getenv("KB_IN_GUEST") || (r != -ENOSYS && r != -EPROTONOSUPPORT &&
				      r != -ENOPROTOOPT && r != -ENOENT)) {
		test_fail(__FILE__, __LINE__, "no ESP: %s", e->msg);
		test_abort();
	}
	test_skip("no ESP in this kernel (%s); runs under make kmod-check",
		  e->msg);
}

/* One CHILD SA's kernel work as the responder carries it out (ALLOC_SPI,
 * both SAs and the three policies in one batch: the inbound SA fills the
 * larval SA the batch's own ALLOC_SPI made), with a duplicate SPI and an
 * invalid key among them: those two SAs fail, each with its own error
 * naming its SPI, and everything else is installed. */
TEST(xfrm_esp_kbatch_child_sa_refusals_stay_per_sa)
{
	struct kb_fixture f;
	const struct kernel_err *e;
	unsigned ours = 0;
	unsigned long sends;

	kb_open(&f);
	kb_esp_require(&f);
	kb_spi(&f, 0x1001, REQID);	/* 0: the larval SA */
	kb_sa(&f, true, true, 0x1001);	/* 1: fills it */
	kb_sa(&f, true, false, 0x2001); /* 2 */
	kb_sa(&f, true, false, 0x2001); /* 3: the same again: EEXIST */
	kb_sa(&f, true, false, 0x2002)	/* 4: a 3-byte GCM key: EINVAL */
		->u.sa.enc_key_len = 3;
	kb_policy(&f, true, ENGINE_POL_OUT); /* 5 */
	kb_policy(&f, true, ENGINE_POL_IN);  /* 6 */
	kb_policy(&f, true, ENGINE_POL_FWD); /* 7 */
	kb_sa(&f, true, false, 0x2003);	     /* 8: after the refusals */
	kb_add_all(&f);
	sends = xfrm_sends(f.x);
	CHECK_EQ(kbatch_apply(&f.b, f.ops, f.k), 2u);
	CHECK_EQ(xfrm_sends(f.x) - sends, 1u);
	CHECK_EQ(f.b.spi[0].got, 0x1001u);
	for (size_t i = 0; i < f.n; i++) {
		int want = i == 3 ? -EEXIST : i == 4 ? -EINVAL : 0;

		if (kb_code(&f, i) != want)
			test_fail(__FILE__, __LINE__,
				  "action %zu: expected %d, actual %d", i, want,
				  kb_code(&f, i));
	}
	e = kbatch_item_err(&f.b, 3);
	CHECK(e && strstr(e->msg, "add SA esp spi 0x00002001"));
	e = kbatch_item_err(&f.b, 4);
	CHECK(e && strstr(e->msg, "spi 0x00002002"));
	kbatch_reset(&f.b);
	CHECK_EQ(xt_count_sas(f.x, &ours), 3u); /* 1001, 2001, 2003 */
	CHECK_EQ(ours, 3u);
	CHECK_EQ(xt_count_policies(f.x, NULL), 3u);
	kb_close(&f);
}

/* A tunnel 10.1.0.0/24 (a) <-> 10.2.0.0/24 (b); a starts it. */
static const struct du_psk kb_psk = {
	.secret = "kbatch: a shared secret of some length",
	.proposals = "aes128gcm16-prfsha256-x25519",
	.esp_proposals = "aes128gcm16",
};

/* Two daemons, a tunnel CHILD SA, no ESP on this host: the responder's
 * SPI, two SAs and three policies go to the kernel in one batch, the kernel
 * refuses both SAs, each refusal is logged naming its own SPI and goes
 * back to the engine, which deletes the CHILD SA; the daemon keeps
 * running and says at stop how its requests were batched. Both daemons
 * stop within their stop timeout: each Delete is answered. */
TEST(kbatch_daemon_refused_sas_reported_each)
{
	struct du_peer a, b;
	unsigned long reqs = 0, batches = 0;
	const char *at;
	char log[512];
	FILE *fp;

	du_link(&a, &b, false);
	du_psk_conf(&a, &b, true, &kb_psk);
	du_psk_conf(&b, &a, false, &kb_psk);
	du_start(&b, "-l info");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, "-l info");
	CHECK(du_log_wait(&b, "IKE SA established", 10000));
	CHECK(du_log_wait(&b, "could not be installed", 3000));
	/* both SAs refused, each on its own line naming it */
	CHECK(du_log_wait(&b, "kernel refused: update SA esp spi", 1000));
	CHECK(du_log_wait(&b, "kernel refused: add SA esp spi", 1000));
	CHECK(du_alive(&b));
	/* Each side deletes the CHILD SA it could not install: INFORMATIONAL
	 * { D } requests cross (RFC 7296 §1.4.1). Wait for both ends: b's
	 * refusals say nothing of a, which may not have read IKE_AUTH's
	 * response yet; stopped then, a drops its IKE SA unannounced
	 * ("terminated before establishment") and b's stop waits for a
	 * Delete answer that never comes (its stop timeout, 10 s). */
	CHECK(du_log_wait(&a, "t[#]: CHILD SA deleted", 10000));
	CHECK(du_log_wait(&b, "t[#]: CHILD SA deleted", 10000));
	CHECK(du_log_has(&a, "kernel refused: update SA esp spi"));
	CHECK(du_log_has(&a, "kernel refused: add SA esp spi"));
	/* a's Delete of the IKE SA, answered by b: b has none left */
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	CHECK(du_log_has(&a, "peer confirmed the IKE SA delete"));
	CHECK(du_log_wait(&b, "t[#]: IKE SA deleted", 1000));
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	snprintf(log, sizeof(log), "%s/log", b.dir);
	REQUIRE((fp = fopen(log, "r")) != NULL);
	while (fgets(log, sizeof(log), fp))
		if ((at = strstr(log, "kernel: ")) &&
		    sscanf(at,
			   "kernel: %lu SPI, SA and policy requests went in "
			   "%lu",
			   &reqs, &batches) == 2)
			break;
	fclose(fp);
	test_note("responder: %lu requests in %lu batches", reqs, batches);
	/* one by one: at least 6 calls for the CHILD SA's install alone */
	CHECK(reqs >= 6);
	CHECK(batches >= 1 && 2 * batches <= reqs);
	/* a failure shows both daemons' logs (daemon_util.h) */
}
