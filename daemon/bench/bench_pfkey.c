/* Benchmark of the PF_KEY backend: SA + policy pairs installed per second
 * through PF_KEY (one message and one answer per object: PF_KEY has no
 * batches), beside the XFRM backend (batched, and one by one) and
 * iproute2's `ip -batch`, all installing the same set in the same run.
 *
 * The set is what PF_KEY can install: AES-CBC-128 + HMAC-SHA-1-96 tunnel
 * SAs, one outbound policy each. Everything runs in a child process inside
 * a private network namespace. Without AF_KEY or ESP (the build host) it
 * says so; the figures come from the kmod guest
 * (kmod-tests/53-pfkey-bench.sh). $KB_BENCH_PFKEY_N sets the number of
 * pairs (default 1000).
 */
#include "bench/bench.h"
#include "ike_iana.h"
#include "kernel/pfkey.h"
#include "kernel/xfrm.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct pset {
	unsigned n;
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

/* Pair i: SA 192.0.2.1 -> 198.51.x.y spi 0x1000+i, AES-CBC + HMAC-SHA-1,
 * tunnel; policy out 10.x.y.0/24 -> 10.200.0.0/16 through it. Reqids stay
 * within the 4096 PF_KEY can carry. */
static void make_pair(struct pset *s, unsigned i)
{
	struct kernel_sa *sa = &s->sa[i];
	struct kernel_policy *p = &s->pol[i];
	uint32_t reqid = KERNEL_REQID_MIN + 1 + i % 0xfff;

	memset(sa, 0, sizeof(*sa));
	addr4(&sa->id.src, 192, 0, 2, 1);
	addr4(&sa->id.dst, 198, 51, i / 250, 1 + i % 250);
	sa->id.spi = 0x1000 + i;
	sa->id.proto = KERNEL_PROTO_ESP;
	sa->mode = KERNEL_MODE_TUNNEL;
	sa->reqid = reqid;
	sa->encr_id = ENCR_AES_CBC;
	sa->encr_key_bits = 128;
	sa->enc_key_len = 16;
	memset(sa->enc_key, 0x5a, 16);
	sa->integ_id = AUTH_HMAC_SHA1_96;
	sa->integ_key_len = 20;
	memset(sa->integ_key, 0xa5, 20);
	sa->replay_window = 32;
	memset(p, 0, sizeof(*p));
	p->sel.family = AF_INET;
	addr4(&p->sel.src, 10, i / 250, i % 250, 0);
	addr4(&p->sel.dst, 10, 200, 0, 0);
	p->sel.src_plen = 24;
	p->sel.dst_plen = 16;
	p->dir = KERNEL_DIR_OUT;
	p->priority = 1000;
	p->n_tmpl = 1;
	p->tmpl[0].src = sa->id.src;
	p->tmpl[0].dst = sa->id.dst;
	p->tmpl[0].proto = KERNEL_PROTO_ESP;
	p->tmpl[0].mode = KERNEL_MODE_TUNNEL;
	p->tmpl[0].reqid = reqid;
}

static size_t make_reqs(struct pset *s, bool del)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->n; i++) {
		s->req[n].type = del ? KERNEL_REQ_SA_DEL : KERNEL_REQ_SA_ADD;
		if (del)
			s->req[n++].o.sa_id = &s->sa[i].id;
		else
			s->req[n++].o.sa = &s->sa[i];
		s->req[n].type =
			del ? KERNEL_REQ_POLICY_DEL : KERNEL_REQ_POLICY_ADD;
		s->req[n++].o.policy = &s->pol[i]; /* by selector: index 0 */
	}
	return n;
}

/* Seconds for the whole set through `apply` (`n_per_call` requests per
 * call: 1, or all of them), or -1 after printing the first failure. */
static double run(int (*apply)(void *, struct kernel_req *, size_t), void *be,
		  struct pset *s, bool del, bool batched)
{
	size_t n = make_reqs(s, del);
	uint64_t t0 = bench_now_ns();
	int r = 0;

	if (batched)
		r = apply(be, s->req, n);
	for (size_t k = 0; !batched && k < n && !r; k++)
		r = apply(be, &s->req[k], 1);
	if (r) {
		for (size_t k = 0; k < n; k++)
			if (s->req[k].err.code) {
				fprintf(stderr, "bench_pfkey: %s\n",
					s->req[k].err.msg);
				break;
			}
		return -1;
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static int apply_pfkey(void *be, struct kernel_req *q, size_t n)
{
	return pfkey_apply(be, q, n);
}

static int apply_xfrm(void *be, struct kernel_req *q, size_t n)
{
	return xfrm_apply(be, q, n);
}

/* Seconds `ip -batch` takes to add (and then to remove) the set. */
static double run_ip(const struct pset *s, bool del)
{
	char path[64], cmd[128];
	uint64_t t0;
	FILE *f;
	int st;

	snprintf(path, sizeof(path), "/tmp/kb-bench-pfkey-%d.batch",
		 (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return -1;
	for (unsigned i = 0; i < s->n; i++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "198.51.%u.%u", i / 250,
			 1 + i % 250);
		if (!del)
			fprintf(f,
				"xfrm state add src 192.0.2.1 dst %s proto esp "
				"spi 0x%x reqid 0x%x mode tunnel replay-window "
				"32 enc 'cbc(aes)' "
				"0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a auth-trunc "
				"'hmac(sha1)' "
				"0xa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5 "
				"96\n"
				"xfrm policy add src 10.%u.%u.0/24 dst "
				"10.200.0.0/16 dir out priority 1000 tmpl src "
				"192.0.2.1 dst %s proto esp reqid 0x%x mode "
				"tunnel\n",
				dst, s->sa[i].id.spi, s->sa[i].reqid, i / 250,
				i % 250, dst, s->sa[i].reqid);
		else
			fprintf(f,
				"xfrm state delete src 192.0.2.1 dst %s proto "
				"esp spi 0x%x\n"
				"xfrm policy delete src 10.%u.%u.0/24 dst "
				"10.200.0.0/16 dir out\n",
				dst, s->sa[i].id.spi, i / 250, i % 250);
	}
	if (fclose(f))
		return -1;
	snprintf(cmd, sizeof(cmd), "ip -batch %s", path);
	t0 = bench_now_ns();
	st = system(cmd);
	double secs = (double)(bench_now_ns() - t0) / 1e9;
	unlink(path);
	return st == 0 ? secs : -1;
}

static double rate(unsigned n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

static void measure(struct pfkey *pk, struct xfrm *x, struct pset *s)
{
	double pf = run(apply_pfkey, pk, s, false, false);
	double pf_del = run(apply_pfkey, pk, s, true, false);
	double xb = run(apply_xfrm, x, s, false, true);
	double xb_del = run(apply_xfrm, x, s, true, true);
	double x1 = run(apply_xfrm, x, s, false, false);
	double x1_del = run(apply_xfrm, x, s, true, false);
	double ip = run_ip(s, false), ip_del = run_ip(s, true);
	char line[96];

	if (pf < 0 || pf_del < 0 || xb < 0 || xb_del < 0 || x1 < 0 ||
	    x1_del < 0) {
		bench_report_alone("pfkey", 0, "",
				   "a request failed, see above");
		return;
	}
	snprintf(line, sizeof(line), "%u SA+policy pairs via PF_KEY", s->n);
	bench_report(line, rate(s->n, pf), rate(s->n, xb),
		     "XFRM backend, batched", "pairs/s", true);
	bench_report(line, rate(s->n, pf), rate(s->n, x1),
		     "XFRM backend, one by one", "pairs/s", true);
	bench_report(line, rate(s->n, pf), rate(s->n, ip), "ip -batch",
		     "pairs/s", true);
	snprintf(line, sizeof(line), "%u pairs removed via PF_KEY", s->n);
	bench_report(line, pf_del * 1e3, xb_del * 1e3, "XFRM backend, batched",
		     "ms", false);
	bench_report(line, pf_del * 1e3, ip_del * 1e3, "ip -batch", "ms",
		     false);
	(void)x1_del;
}

static void bench_child(void)
{
	const char *env = getenv("KB_BENCH_PFKEY_N");
	struct pset s = { .n = env ? (unsigned)atoi(env) : 1000 };
	struct kernel_err err;
	struct pfkey *pk = NULL;
	struct xfrm *x = NULL;

	if (s.n == 0 || s.n > 60000)
		s.n = 1000;
	if (unshare(CLONE_NEWNET) < 0) {
		bench_report_alone("pfkey", 0, "", "cannot unshare a netns");
		return;
	}
	if (pfkey_open(&pk, false, &err) || xfrm_open(&x, false, &err)) {
		bench_report_alone("pfkey: not measured", 0, "", err.msg);
		goto out;
	}
	s.sa = calloc(s.n, sizeof(*s.sa));
	s.pol = calloc(s.n, sizeof(*s.pol));
	s.req = calloc(2 * (size_t)s.n, sizeof(*s.req));
	if (!s.sa || !s.pol || !s.req)
		goto out;
	for (unsigned i = 0; i < s.n; i++)
		make_pair(&s, i);
	if (xfrm_sa_add(x, &s.sa[0], false, &err) ||
	    xfrm_sa_del(x, &s.sa[0].id, &err)) {
		bench_report_alone("pfkey: not measured", 0, "",
				   "no ESP in this kernel; the figures come "
				   "from make kmod-check K=53-pfkey-bench");
		goto out;
	}
	measure(pk, x, &s);
out:
	for (unsigned i = 0; s.sa && i < s.n; i++)
		kernel_sa_wipe(&s.sa[i]);
	free(s.sa);
	free(s.pol);
	free(s.req);
	pfkey_close(pk);
	xfrm_close(x);
}

BENCH(pfkey_install_remove)
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
