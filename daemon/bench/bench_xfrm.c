/* Benchmark of the XFRM backend: how fast keybridge installs and removes
 * SA + policy pairs, batched (one sendmsg per 64 KiB of messages, one ack
 * each) and one request per round trip, beside iproute2's `ip -batch`
 * installing the same set in the same run.
 *
 * Everything happens in a child process inside a private network namespace
 * (unshare), so the shared kernel's own SAs and policies are never touched.
 * Without ESP in the kernel (the build host) only policies can be measured;
 * SA pairs need the kmod guest (kmod-tests/21-xfrm-bench.sh).
 *
 * $KB_BENCH_XFRM_N sets the number of pairs (default 2000).
 */
#include "bench/bench.h"
#include "ike_iana.h"
#include "kernel/xfrm.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct set {
	unsigned n;
	bool sas; /* SA + policy pairs; else policies only */
	struct kernel_sa *sa;
	struct kernel_policy *pol;
	struct kernel_req *req;
};

static void addr4(struct kernel_addr *a, unsigned b1, unsigned b2, unsigned b3,
		  unsigned b4)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->a.v4[0] = (uint8_t)b1;
	a->a.v4[1] = (uint8_t)b2;
	a->a.v4[2] = (uint8_t)b3;
	a->a.v4[3] = (uint8_t)b4;
}

/* Pair i: SA 192.0.2.1 -> 198.51.x.y spi 0x1000+i, AES-GCM-16, tunnel;
 * policy out 10.x.y.0/24 -> 10.200.0.0/16 through it. */
static void make_pair(struct set *s, unsigned i)
{
	struct kernel_sa *sa = &s->sa[i];
	struct kernel_policy *p = &s->pol[i];
	uint32_t reqid = KERNEL_REQID_MIN + i % 0x10000;

	memset(sa, 0, sizeof(*sa));
	addr4(&sa->id.src, 192, 0, 2, 1);
	addr4(&sa->id.dst, 198, 51, i / 250, 1 + i % 250);
	sa->id.spi = 0x1000 + i;
	sa->id.proto = KERNEL_PROTO_ESP;
	sa->mode = KERNEL_MODE_TUNNEL;
	sa->reqid = reqid;
	sa->encr_id = ENCR_AES_GCM_16;
	sa->enc_key_len = 20;
	memset(sa->enc_key, 0x5a, 20);
	sa->replay_window = 32;
	memset(p, 0, sizeof(*p));
	p->sel.family = AF_INET;
	addr4(&p->sel.src, 10, i / 250, i % 250, 0);
	addr4(&p->sel.dst, 10, 200, 0, 0);
	p->sel.src_plen = 24;
	p->sel.dst_plen = 16;
	p->dir = KERNEL_DIR_OUT;
	p->priority = 1000;
	p->index = kernel_policy_index(i, KERNEL_DIR_OUT);
	p->n_tmpl = 1;
	p->tmpl[0].src = sa->id.src;
	p->tmpl[0].dst = sa->id.dst;
	p->tmpl[0].proto = KERNEL_PROTO_ESP;
	p->tmpl[0].mode = KERNEL_MODE_TUNNEL;
	p->tmpl[0].reqid = reqid;
}

/* Fills s->req for adding (or deleting) the whole set. */
static size_t make_reqs(struct set *s, bool del)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->n; i++) {
		if (s->sas) {
			s->req[n].type =
				del ? KERNEL_REQ_SA_DEL : KERNEL_REQ_SA_ADD;
			if (del)
				s->req[n++].o.sa_id = &s->sa[i].id;
			else
				s->req[n++].o.sa = &s->sa[i];
		}
		s->req[n].type =
			del ? KERNEL_REQ_POLICY_DEL : KERNEL_REQ_POLICY_ADD;
		s->req[n++].o.policy = &s->pol[i];
	}
	return n;
}

/* Seconds to run `n` requests: batched (one apply) or one by one. */
static double run_reqs(struct xfrm *x, struct set *s, bool del, bool batched)
{
	size_t n = make_reqs(s, del);
	uint64_t t0 = bench_now_ns();
	int r = 0;

	if (batched) {
		r = xfrm_apply(x, s->req, n);
	} else {
		for (size_t k = 0; k < n && !r; k++)
			r = xfrm_apply(x, &s->req[k], 1);
	}
	if (r) {
		for (size_t k = 0; k < n; k++)
			if (s->req[k].err.code) {
				fprintf(stderr, "bench_xfrm: %s\n",
					s->req[k].err.msg);
				break;
			}
		return -1;
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* Writes the `ip -batch` commands for the set to `path`. */
static int write_ip_batch(const struct set *s, const char *path, bool del)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	for (unsigned i = 0; i < s->n; i++) {
		const struct kernel_sa *sa = &s->sa[i];
		char dst[32];
		snprintf(dst, sizeof(dst), "198.51.%u.%u", i / 250,
			 1 + i % 250);
		if (s->sas && !del)
			fprintf(f,
				"xfrm state add src 192.0.2.1 dst %s proto esp "
				"spi 0x%x reqid 0x%x mode tunnel replay-window "
				"32 aead rfc4106(gcm(aes)) "
				"0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a "
				"128\n",
				dst, sa->id.spi, sa->reqid);
		if (s->sas && del)
			fprintf(f,
				"xfrm state delete src 192.0.2.1 dst %s proto "
				"esp spi 0x%x\n",
				dst, sa->id.spi);
		if (del)
			fprintf(f,
				"xfrm policy delete src 10.%u.%u.0/24 dst "
				"10.200.0.0/16 dir out\n",
				i / 250, i % 250);
		else
			fprintf(f,
				"xfrm policy add src 10.%u.%u.0/24 dst "
				"10.200.0.0/16 dir out priority 1000 index "
				"0x%x tmpl src 192.0.2.1 dst %s proto esp "
				"reqid 0x%x mode tunnel\n",
				i / 250, i % 250, s->pol[i].index, dst,
				sa->reqid);
	}
	return fclose(f) ? -errno : 0;
}

/* Seconds `ip -batch` takes for the file (fork and exec included). */
static double run_ip_batch(const struct set *s, bool del)
{
	char path[64], cmd[128];
	uint64_t t0;

	snprintf(path, sizeof(path), "/tmp/kb-bench-xfrm-%d.batch",
		 (int)getpid());
	if (write_ip_batch(s, path, del))
		return -1;
	snprintf(cmd, sizeof(cmd), "ip -batch %s", path);
	t0 = bench_now_ns();
	int st = system(cmd);
	double secs = (double)(bench_now_ns() - t0) / 1e9;
	unlink(path);
	return st == 0 ? secs : -1;
}

static bool have_esp(struct xfrm *x, struct set *s)
{
	struct kernel_err err;

	if (xfrm_sa_add(x, &s->sa[0], false, &err))
		return false;
	return xfrm_sa_del(x, &s->sa[0].id, &err) == 0;
}

static double rate(unsigned n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

static void measure(struct xfrm *x, struct set *s)
{
	const char *what = s->sas ? "SA+policy pairs" : "policies";
	const char *unit = s->sas ? "pairs/s" : "pol/s";
	char line[96];
	double ip_add, ip_del, batched, single, del_b, del_s;

	batched = run_reqs(x, s, false, true);
	del_b = run_reqs(x, s, true, true);
	single = run_reqs(x, s, false, false);
	del_s = run_reqs(x, s, true, false);
	ip_add = run_ip_batch(s, false);
	ip_del = run_ip_batch(s, true);
	if (batched < 0 || single < 0 || del_b < 0 || del_s < 0) {
		bench_report_alone("xfrm", 0, "",
				   "a request failed, see above");
		return;
	}
	snprintf(line, sizeof(line), "%u %s installed, batched", s->n, what);
	bench_report(line, rate(s->n, batched), rate(s->n, ip_add), "ip -batch",
		     unit, true);
	snprintf(line, sizeof(line), "%u %s installed, one by one", s->n, what);
	bench_report(line, rate(s->n, single), rate(s->n, ip_add), "ip -batch",
		     unit, true);
	snprintf(line, sizeof(line), "%u %s removed, batched", s->n, what);
	bench_report(line, del_b * 1e3, ip_del * 1e3, "ip -batch", "ms", false);
	snprintf(line, sizeof(line), "%u %s removed, one by one", s->n, what);
	bench_report(line, del_s * 1e3, ip_del * 1e3, "ip -batch", "ms", false);
}

static void bench_child(void)
{
	const char *env = getenv("KB_BENCH_XFRM_N");
	struct set s = { .n = env ? (unsigned)atoi(env) : 2000 };
	struct kernel_err err;
	struct xfrm *x;

	if (s.n == 0 || s.n > 60000)
		s.n = 2000;
	if (unshare(CLONE_NEWNET) < 0) {
		bench_report_alone("xfrm", 0, "", "cannot unshare a netns");
		return;
	}
	if (xfrm_open(&x, false, &err)) {
		bench_report_alone("xfrm", 0, "", err.msg);
		return;
	}
	s.sa = calloc(s.n, sizeof(*s.sa));
	s.pol = calloc(s.n, sizeof(*s.pol));
	s.req = calloc(2 * (size_t)s.n, sizeof(*s.req));
	if (!s.sa || !s.pol || !s.req)
		return;
	for (unsigned i = 0; i < s.n; i++)
		make_pair(&s, i);
	s.sas = have_esp(x, &s);
	if (!s.sas)
		bench_report_alone("SA+policy pairs: not measured", 0, "",
				   "no ESP in this kernel: policies only here; "
				   "SA pairs run in the kmod guest "
				   "(make kmod-check K=21-xfrm-bench)");
	measure(x, &s);
	for (unsigned i = 0; i < s.n; i++)
		kernel_sa_wipe(&s.sa[i]);
	free(s.sa);
	free(s.pol);
	free(s.req);
	xfrm_close(x);
}

BENCH(xfrm_install_remove)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		bench_child();
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}
