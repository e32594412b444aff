/* Helpers for the XFRM tests on the real kernel (see test_xfrm_util.h). */
#include "tests/test_xfrm_util.h"

#include "tests/netns.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void xt_netns(void)
{
	test_netns_enter();
	/* Linux exempts loopback from IPsec (disable_xfrm/disable_policy are
	 * 1 on lo); the tests route their traffic over lo, so switch it on. */
	xt_sysctl("net/ipv4/conf/lo/disable_xfrm", "0");
	xt_sysctl("net/ipv4/conf/lo/disable_policy", "0");
}

int xt_ns_fd(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY);

	REQUIRE(fd >= 0);
	return fd;
}

void xt_ns_enter(int fd)
{
	REQUIRE(setns(fd, CLONE_NEWNET) == 0);
}

void xt_sysctl(const char *name, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "w");
	if (!f) {
		test_fail(__FILE__, __LINE__, "cannot open %s: %s", path,
			  strerror(errno));
		test_abort();
	}
	fputs(value, f);
	REQUIRE(fclose(f) == 0);
}

static void vfmt(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);
	REQUIRE(n >= 0 && (size_t)n < len);
}

int xt_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vfmt(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	return st < 0 ? -1 : WEXITSTATUS(st);
}

const char *xt_sh_out(const char *fmt, ...)
{
	static char out[65536];
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vfmt(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* callers judge the output; the exit status is theirs to ask for */
	(void)test_run_capture(cmd, out, sizeof(out));
	return out;
}

struct kernel_addr xt_addr(const char *s)
{
	struct kernel_addr a;

	if (kernel_addr_parse(&a, s) != 0) {
		test_fail(__FILE__, __LINE__, "bad address %s", s);
		test_abort();
	}
	return a;
}

void xt_policy(struct kernel_policy *p, const char *src, unsigned splen,
	       const char *dst, unsigned dplen, uint8_t dir, uint32_t n,
	       uint32_t reqid, const char *tsrc, const char *tdst)
{
	memset(p, 0, sizeof(*p));
	p->sel.src = xt_addr(src);
	p->sel.dst = xt_addr(dst);
	p->sel.family = p->sel.src.family;
	p->sel.src_plen = (uint8_t)splen;
	p->sel.dst_plen = (uint8_t)dplen;
	p->dir = dir;
	p->priority = 1000;
	p->index = kernel_policy_index(n, dir);
	p->n_tmpl = 1;
	p->tmpl[0].proto = KERNEL_PROTO_ESP;
	p->tmpl[0].reqid = reqid;
	p->tmpl[0].mode = KERNEL_MODE_TRANSPORT;
	if (tsrc && tdst) {
		p->tmpl[0].mode = KERNEL_MODE_TUNNEL;
		p->tmpl[0].src = xt_addr(tsrc);
		p->tmpl[0].dst = xt_addr(tdst);
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct wait_ctx {
	uint8_t type;
	bool (*match)(const struct kernel_event *, void *);
	void *arg;
	bool found;
	struct kernel_event *out;
};

static void wait_cb(const struct kernel_event *ev, void *arg)
{
	struct wait_ctx *w = arg;

	if (w->found || ev->type != w->type)
		return;
	if (w->match && !w->match(ev, w->arg))
		return;
	*w->out = *ev;
	w->found = true;
}

bool xt_wait_event(struct xfrm *x, uint8_t type, int ms,
		   bool (*match)(const struct kernel_event *ev, void *arg),
		   void *arg, struct kernel_event *out)
{
	struct wait_ctx w = { type, match, arg, false, out };
	double end = now_ms() + ms;
	struct pollfd pfd = { .fd = xfrm_event_fd(x), .events = POLLIN };

	REQUIRE(pfd.fd >= 0);
	while (!w.found) {
		double left = end - now_ms();
		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left + 1) < 0 && errno != EINTR)
			break;
		CHECK_EQ(xfrm_event_read(x, wait_cb, &w), 0);
	}
	return w.found;
}

struct count {
	unsigned all, ours;
};

static int count_policy(const struct kernel_policy *p, void *arg)
{
	struct count *c = arg;
	c->all++;
	c->ours += kernel_policy_is_ours(p);
	return 0;
}

static int count_sa(const struct kernel_sa_id *id,
		    const struct kernel_sa_stats *st, void *arg)
{
	struct count *c = arg;
	(void)id;
	c->all++;
	c->ours += kernel_reqid_is_ours(st->reqid);
	return 0;
}

unsigned xt_count_policies(struct xfrm *x, unsigned *ours)
{
	struct count c = { 0, 0 };
	struct kernel_err err;

	CHECK_EQ(xfrm_policy_list(x, count_policy, &c, &err), 0);
	if (ours)
		*ours = c.ours;
	return c.all;
}

unsigned xt_count_sas(struct xfrm *x, unsigned *ours)
{
	struct count c = { 0, 0 };
	struct kernel_err err;

	CHECK_EQ(xfrm_sa_list(x, count_sa, &c, &err), 0);
	if (ours)
		*ours = c.ours;
	return c.all;
}

int xt_send_udp(const char *src, const char *dst, uint16_t port)
{
	struct kernel_addr s = xt_addr(src), d = xt_addr(dst);
	struct sockaddr_storage ss = { 0 }, ds = { 0 };
	socklen_t len;
	int fd, r;

	if (s.family == AF_INET) {
		struct sockaddr_in *a = (void *)&ss, *b = (void *)&ds;
		a->sin_family = b->sin_family = AF_INET;
		memcpy(&a->sin_addr, s.a.v4, 4);
		memcpy(&b->sin_addr, d.a.v4, 4);
		b->sin_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&ss, *b = (void *)&ds;
		a->sin6_family = b->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, s.a.v6, 16);
		memcpy(&b->sin6_addr, d.a.v6, 16);
		b->sin6_port = htons(port);
		len = sizeof(*a);
	}
	fd = socket(s.family, SOCK_DGRAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(bind(fd, (struct sockaddr *)&ss, len) == 0);
	r = (int)sendto(fd, "keybridge", 9, 0, (struct sockaddr *)&ds, len);
	if (r < 0)
		r = -errno;
	close(fd);
	return r;
}
