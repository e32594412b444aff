/* One CHILD SA's kernel work, as keybridged carries it out, batched per
 * engine call (io/kbatch.c) beside one request per action (what it did
 * before): round trips to the kernel per CHILD SA and CHILD SAs per
 * second, installed and removed.
 *
 * A tunnel CHILD SA as its responder installs it is the engine's actions
 * ALLOC_SPI, SA_ADD in, SA_ADD out, POLICY_ADD out, in and fwd, then the
 * SEND of the answer; its removal SA_DEL in and out and POLICY_DEL out,
 * in and fwd. Both runs walk those lists as worker_run_actions() does:
 * "batched" hands the SPI, SA and policy actions before the SEND to one
 * kernel_ops.apply(), "one by one" each to its own (as keybridged did
 * before: ALLOC_SPI through kernel_ops.spi_alloc, each SA and policy
 * action through its own apply()).
 *
 * Everything happens in a child process in a private network namespace.
 * Without ESP (the build host) the SAs cannot be installed: the figures
 * are then for ALLOC_SPI and the three policies only (the removal takes
 * the larval SA ALLOC_SPI made), and say so; the
 * whole CHILD SA runs in the kmod guest (make kmod-check K=21-xfrm-bench).
 * $KB_BENCH_XFRM_N sets the number of CHILD SAs of each kind (default
 * 1000); the two kinds take turns every 50 CHILD SAs, and each figure is
 * the best of three runs. KB_BENCH_CLOCK=cpu counts the
 * process's CPU time, which includes the kernel's work on the requests
 * (XFRM handles them in the sender's sendmsg()), not the waits of a
 * loaded machine.
 */
#include "bench/bench.h"
#include "engine/engine.h"
#include "ike_iana.h"
#include "io/kbatch.h"
#include "kernel/xfrm.h"
#include "tests/kbatch_util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KB_ACTS 7 /* per CHILD SA: install or removal, then a barrier */

struct kb_run {
	const struct kernel_ops *ops;
	struct kernel *k;
	struct xfrm *x;
	struct kbatch b;
	uint32_t seq;
	bool sas; /* ESP here: the SAs too */
	unsigned n;
	struct engine_action act[KB_ACTS];
	unsigned failed;
};

/* CHILD SA i: 10.x.y.0/24 (192.0.2.1, us) <-> 10.200+x.y.0/24 (192.0.2.2),
 * x.y = i / 250 . i % 250 */
static struct ku_child kb_child_sa(unsigned i)
{
	uint8_t x = (uint8_t)(i / 250), y = (uint8_t)(i % 250);

	return (struct ku_child){ .us = ku_addr(1),
				  .peer = ku_addr(2),
				  .ts_us = ku_ts(x, y),
				  .ts_peer = ku_ts((uint8_t)(200 + x), y),
				  .reqid = KERNEL_REQID_MIN + i % 0x10000 };
}

/* The inbound SA of CHILD SA i, or its outbound one. */
static void kb_sa(struct engine_action *a, unsigned i, bool add, bool in)
{
	struct ku_child c = kb_child_sa(i);

	ku_sa(a, &c, add, in, (in ? 0x10000000u : 0x20000000u) + i);
}

/* CHILD SA i's actions: ALLOC_SPI (install only), its SAs (with ESP),
 * three policies, and a SEND that closes the run. */
static unsigned kb_actions(struct kb_run *r, unsigned i, bool add)
{
	struct ku_child c = kb_child_sa(i);
	unsigned n = 0;

	memset(r->act, 0, sizeof(r->act));
	if (add) /* the inbound SA's SPI */
		ku_spi(&r->act[n++], &c, 0x10000000u + i);
	if (r->sas || !add) /* without ESP: the larval SA goes */
		kb_sa(&r->act[n++], i, add, true);
	if (r->sas)
		kb_sa(&r->act[n++], i, add, false);
	ku_policy(&r->act[n++], &c, add, ENGINE_POL_OUT);
	ku_policy(&r->act[n++], &c, add, ENGINE_POL_IN);
	ku_policy(&r->act[n++], &c, add, ENGINE_POL_FWD);
	r->act[n++].type = ENGINE_ACT_SEND;
	return n;
}

static void kb_flush(struct kb_run *r)
{
	size_t failed = kbatch_apply(&r->b, r->ops, r->k);

	for (size_t i = 0; failed && !r->failed && i < r->b.n_req; i++)
		if (r->b.req[i].err.code)
			fprintf(stderr, "bench_kbatch: %s\n",
				r->b.req[i].err.msg);
	r->failed += (unsigned)failed;
	kbatch_reset(&r->b);
}

/* Walks the actions as worker_run_actions() does; `batched` false hands
 * each SA and policy action to the kernel alone. */
static void kb_walk(struct kb_run *r, unsigned n, bool batched)
{
	for (unsigned j = 0; j < n; j++) {
		const struct engine_action *a = &r->act[j];

		if (kbatch_takes(a->type)) {
			if (kbatch_add(&r->b, a, &r->seq, false))
				r->failed++;
			if (!batched)
				kb_flush(r);
			continue;
		}
		kb_flush(r); /* what this action (the SEND) must see */
	}
	kb_flush(r);
}

struct kb_figures {
	double secs;
	double trips; /* per CHILD SA */
};

/* Installs (or removes) r->n CHILD SAs one by one (numbers 0..n-1) and
 * r->n batched (n..2n-1), taking turns every KB_CHUNK CHILD SAs, so that
 * both meet the same load on a shared machine and the same number of
 * objects in the kernel. f[0]: one by one, f[1]: batched. */
#define KB_CHUNK 50
static void kb_phase(struct kb_run *r, bool add, struct kb_figures f[2])
{
	memset(f, 0, 2 * sizeof(*f));
	for (unsigned i = 0; i < r->n; i += KB_CHUNK)
		for (int m = 0; m < 2; m++) {
			unsigned long sends = xfrm_sends(r->x);
			uint64_t t0 = bench_now_ns();

			for (unsigned j = i; j < i + KB_CHUNK && j < r->n; j++)
				kb_walk(r, kb_actions(r, m ? r->n + j : j, add),
					m == 1);
			f[m].secs += (double)(bench_now_ns() - t0) / 1e9;
			f[m].trips += (double)(xfrm_sends(r->x) - sends);
		}
	f[0].trips /= r->n;
	f[1].trips /= r->n;
}

static bool kb_have_esp(struct kb_run *r)
{
	struct engine_action a = { 0 };
	bool ok;

	kb_sa(&a, 60000, true, false);
	if (kbatch_add(&r->b, &a, &r->seq, false))
		return false;
	(void)kbatch_apply(&r->b, r->ops, r->k);
	ok = !kbatch_item_err(&r->b, 0);
	kbatch_reset(&r->b);
	if (ok) {
		a.type = ENGINE_ACT_SA_DEL;
		if (kbatch_add(&r->b, &a, &r->seq, false) == 0)
			kb_flush(r);
	}
	explicit_bzero(&a, sizeof(a));
	return ok;
}

static double kb_rate(unsigned n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

/* The best of three runs of each: f[0] installed one by one, f[1]
 * removed one by one, f[2] and f[3] the same batched. */
static void kb_best(struct kb_run *r, struct kb_figures f[4])
{
	for (int round = 0; round < 3; round++) {
		struct kb_figures add[2], del[2];

		kb_phase(r, true, add);
		kb_phase(r, false, del);
		for (int m = 0; m < 2; m++) {
			if (!round || add[m].secs < f[2 * m].secs)
				f[2 * m] = add[m];
			if (!round || del[m].secs < f[2 * m + 1].secs)
				f[2 * m + 1] = del[m];
		}
	}
}

static void kb_report(struct kb_run *r)
{
	const char *what =
		r->sas ? "CHILD SA" : "CHILD SA without SAs (no ESP)";
	struct kb_figures f[4], add_1, del_1, add_b, del_b;
	char line[128];

	kb_best(r, f);
	add_1 = f[0];
	del_1 = f[1];
	add_b = f[2];
	del_b = f[3];

	if (r->failed) {
		bench_report_alone("kernel work per CHILD SA", r->failed,
				   "requests failed",
				   "see the kernel's errors");
		return;
	}
	printf("%u tunnel CHILD SAs as their responder installs them: "
	       "ALLOC_SPI, %s3 policies\n",
	       r->n, r->sas ? "2 SAs, " : "no ESP here: no SAs, ");
	snprintf(line, sizeof(line), "%s installed: round trips each", what);
	bench_report(line, add_b.trips, add_1.trips, "one by one",
		     "round trips", false);
	snprintf(line, sizeof(line), "%s installed, batched", what);
	bench_report(line, kb_rate(r->n, add_b.secs), kb_rate(r->n, add_1.secs),
		     "one by one", "CHILD SAs/s", true);
	snprintf(line, sizeof(line), "%s removed: round trips each", what);
	bench_report(line, del_b.trips, del_1.trips, "one by one",
		     "round trips", false);
	snprintf(line, sizeof(line), "%s removed, batched", what);
	bench_report(line, kb_rate(r->n, del_b.secs), kb_rate(r->n, del_1.secs),
		     "one by one", "CHILD SAs/s", true);
}

static void kb_child(void)
{
	const char *env = getenv("KB_BENCH_XFRM_N");
	struct kb_run r = { .seq = 1, .n = env ? (unsigned)atoi(env) : 1000 };
	struct kernel_err err;

	if (r.n == 0 || r.n > 7000) /* 10.(i / 250 + 200) */
		r.n = 1000;
	if (unshare(CLONE_NEWNET) < 0) {
		bench_report_alone("kernel work per CHILD SA", 0, "",
				   "cannot unshare a netns");
		return;
	}
	if (xfrm_open(&r.x, false, &err)) {
		bench_report_alone("kernel work per CHILD SA", 0, "", err.msg);
		return;
	}
	r.ops = kernel_backend("xfrm");
	r.k = (struct kernel *)r.x; /* what the xfrm ops' open returns */
	r.sas = kb_have_esp(&r);
	kb_report(&r);
	kbatch_free(&r.b);
	explicit_bzero(r.act, sizeof(r.act));
	xfrm_close(r.x);
}

BENCH(xfrm_child_sa_kernel_work)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		kb_child();
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}
