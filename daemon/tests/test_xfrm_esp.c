/* ESP SAs through the XFRM backend: install, read back, carry traffic,
 * expire. These need a kernel with ESP: on the build host (none) they skip
 * loudly; under `make kmod-check` (KB_IN_GUEST=1, Debian's stock kernel)
 * a missing ESP is a failure.
 *
 * Topology, built per test inside the test's own process with unshare()
 * and setns() (nothing named, nothing left behind):
 *
 *   ┌──────────────────────────────┐          ┌──────────────────────────────┐
 *   │ A (test's namespace)         │  veth    │ B                            │
 *   │ kbxa 10.77.0.1/24 fd77::1/64 ├──────────┤ kbxb 10.77.0.2/24 fd77::2/64 │
 *   │ lo   10.78.1.1    fd78:1::1  │          │ lo   10.78.2.1    fd78:2::1  │
 *   └──────────────────────────────┘          └──────────────────────────────┘
 *   transport mode: 10.77.0.1 -> 10.77.0.2 (fd77::1 -> fd77::2);
 *   tunnel mode: inner 10.78.1.1 -> 10.78.2.1 (fd78:1::1 -> fd78:2::1) in
 *   outer 10.77.0.1 -> 10.77.0.2 (fd77::1 -> fd77::2).
 *   A holds the SA and an out policy, B the same SA and an in policy; UDP
 *   datagrams go A -> B, B's socket checks they arrive.
 */
#include "ike_iana.h"
#include "tests/test.h"
#include "tests/test_xfrm_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

struct pair {
	int ns_a, ns_b;
	struct xfrm *xa, *xb;
};

static struct xfrm *open_in(bool events)
{
	struct kernel_err err;
	struct xfrm *x = NULL;

	if (xfrm_open(&x, events, &err) != 0) {
		test_fail(__FILE__, __LINE__, "%s", err.msg);
		test_abort();
	}
	return x;
}

static void probe_sa(struct kernel_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->id.src = xt_addr("192.0.2.1");
	sa->id.dst = xt_addr("192.0.2.2");
	sa->id.spi = 0x100;
	sa->id.proto = KERNEL_PROTO_ESP;
	sa->reqid = KERNEL_REQID_MIN;
	sa->encr_id = ENCR_AES_GCM_16;
	sa->enc_key_len = 20;
}

/* Skips (host) or fails (guest) when the kernel cannot hold an ESP SA. */
static void esp_require(struct xfrm *x)
{
	struct kernel_sa sa;
	struct kernel_err err;
	int r;

	probe_sa(&sa);
	r = xfrm_sa_add(x, &sa, false, &err);
	if (r == 0) {
		REQUIRE_EQ(xfrm_sa_del(x, &sa.id, &err), 0);
		return;
	}
	if (getenv("KB_IN_GUEST") || (r != -ENOSYS && r != -EPROTONOSUPPORT &&
				      r != -ENOPROTOOPT && r != -ENOENT)) {
		test_fail(__FILE__, __LINE__, "no ESP: %s", err.msg);
		test_abort();
	}
	test_skip("no ESP in this kernel (%s); runs under make kmod-check",
		  err.msg);
}

/* One namespace's side of the drawing; runs inside that namespace. One
 * `ip -batch` rather than one ip per line: process start-up dominates under
 * the guest's TCG. */
static void side(char me)
{
	int a = me == 'a' ? 1 : 2, b = me == 'a' ? 2 : 1;

	REQUIRE_EQ(xt_sh("ip -batch - <<EOF\n"
			 "addr add 10.77.0.%d/24 dev kbx%c\n"
			 "addr add fd77::%d/64 dev kbx%c nodad\n"
			 "link set kbx%c up\n"
			 "addr add 10.78.%d.1/32 dev lo\n"
			 "addr add fd78:%d::1/128 dev lo nodad\n"
			 "route add 10.78.%d.1/32 via 10.77.0.%d\n"
			 "route add fd78:%d::1/128 via fd77::%d\n"
			 "EOF",
			 a, me, a, me, me, a, a, b, b, b, b),
		   0);
}

static void pair_setup(struct pair *p, bool events)
{
	xt_netns(); /* A */
	p->ns_a = xt_ns_fd();
	p->xa = open_in(events);
	esp_require(p->xa);
	xt_netns(); /* B */
	p->ns_b = xt_ns_fd();
	REQUIRE_EQ(xt_sh("ip link add kbxb type veth peer name kbxa "
			 "netns /proc/%d/fd/%d",
			 (int)getpid(), p->ns_a),
		   0);
	side('b');
	p->xb = open_in(false);
	xt_ns_enter(p->ns_a);
	side('a');
}

static void pair_free(struct pair *p)
{
	xfrm_close(p->xa);
	xfrm_close(p->xb);
	close(p->ns_a);
	close(p->ns_b);
}

/* ---- The SA and policies for one case ---------------------------------- */

struct esp_case {
	uint16_t encr, integ;
	uint8_t enc_len, integ_len;
	uint16_t family; /* of the SA (outer) addresses */
	uint8_t mode;
	bool encap;
	bool esn;
	uint16_t inner; /* tunnel mode: inner family if not `family` */
};

static uint16_t inner_family(const struct esp_case *c)
{
	return c->inner ? c->inner : c->family;
}

struct flow {
	const char *src, *dst;	 /* the datagrams' addresses */
	const char *osrc, *odst; /* the SA's (outer) addresses */
};

static struct flow case_flow(const struct esp_case *c)
{
	bool v6 = c->family == AF_INET6;
	struct flow f = { v6 ? "fd77::1" : "10.77.0.1",
			  v6 ? "fd77::2" : "10.77.0.2", NULL, NULL };

	f.osrc = f.src;
	f.odst = f.dst;
	if (c->mode == KERNEL_MODE_TUNNEL) {
		v6 = inner_family(c) == AF_INET6;
		f.src = v6 ? "fd78:1::1" : "10.78.1.1";
		f.dst = v6 ? "fd78:2::1" : "10.78.2.1";
	}
	return f;
}

static void case_sa(struct kernel_sa *sa, const struct esp_case *c,
		    uint32_t spi)
{
	struct flow f = case_flow(c);

	memset(sa, 0, sizeof(*sa));
	sa->id.src = xt_addr(f.osrc);
	sa->id.dst = xt_addr(f.odst);
	sa->id.spi = spi;
	sa->id.proto = KERNEL_PROTO_ESP;
	sa->mode = c->mode;
	sa->reqid = KERNEL_REQID_MIN + 0x42;
	sa->encr_id = c->encr;
	sa->integ_id = c->integ;
	for (unsigned i = 0; i < c->enc_len; i++)
		sa->enc_key[i] = (uint8_t)(0x11 * i + spi);
	for (unsigned i = 0; i < c->integ_len; i++)
		sa->integ_key[i] = (uint8_t)(0x7 * i + 3);
	sa->enc_key_len = c->enc_len;
	sa->integ_key_len = c->integ_len;
	sa->replay_window = 64;
	sa->esn = c->esn;
	if (c->encap) {
		sa->encap.type = KERNEL_ENCAP_ESPINUDP;
		sa->encap.sport = 4500;
		sa->encap.dport = 4500;
	}
	if (c->mode == KERNEL_MODE_TRANSPORT) {
		sa->sel.family = c->family;
		sa->sel.src = sa->id.src;
		sa->sel.dst = sa->id.dst;
		sa->sel.src_plen = sa->sel.dst_plen =
			c->family == AF_INET6 ? 128 : 32;
	}
}

static void case_policy(struct kernel_policy *p, const struct esp_case *c,
			uint8_t dir)
{
	struct flow f = case_flow(c);
	unsigned plen = inner_family(c) == AF_INET6 ? 128 : 32;
	bool tun = c->mode == KERNEL_MODE_TUNNEL;

	xt_policy(p, f.src, plen, f.dst, plen, dir, 0x42,
		  KERNEL_REQID_MIN + 0x42, tun ? f.osrc : NULL,
		  tun ? f.odst : NULL);
	/* Only the test's datagrams: the NAT-T packets themselves (UDP to
	 * 4500 between the same addresses) must not match, or B's in policy
	 * drops them before its encap socket decapsulates them (a daemon
	 * gives its IKE sockets a bypass socket policy for the same reason). */
	p->sel.proto = IPPROTO_UDP;
	p->sel.dport = 7777;
}

/* Installs the case: SA in both namespaces, out policy in A, in policy in
 * B. */
static void case_install(struct pair *p, const struct esp_case *c,
			 struct kernel_sa *sa, uint32_t spi)
{
	struct kernel_policy out, in;
	struct kernel_err err;

	case_sa(sa, c, spi);
	case_policy(&out, c, KERNEL_DIR_OUT);
	case_policy(&in, c, KERNEL_DIR_IN);
	if (xfrm_sa_add(p->xa, sa, false, &err) ||
	    xfrm_sa_add(p->xb, sa, false, &err) ||
	    xfrm_policy_add(p->xa, &out, false, &err) ||
	    xfrm_policy_add(p->xb, &in, false, &err)) {
		test_fail(__FILE__, __LINE__, "%s", err.msg);
		test_abort();
	}
}

/* ---- Traffic ----------------------------------------------------------- */

static int sockaddr_of(struct sockaddr_storage *ss, const char *addr,
		       uint16_t port)
{
	struct kernel_addr a = xt_addr(addr);

	memset(ss, 0, sizeof(*ss));
	if (a.family == AF_INET) {
		struct sockaddr_in *s = (void *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a.a.v4, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (void *)ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	memcpy(&s->sin6_addr, a.a.v6, 16);
	return sizeof(*s);
}

/* A UDP socket bound to addr:port in the current namespace; with `encap`
 * the kernel decapsulates ESP-in-UDP arriving on it (RFC 3948). */
static int udp_socket(const char *addr, uint16_t port, bool encap)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 1 };
	int len = sockaddr_of(&ss, addr, port), one = UDP_ENCAP_ESPINUDP;
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);

	REQUIRE(fd >= 0);
	REQUIRE(bind(fd, (struct sockaddr *)&ss, (socklen_t)len) == 0);
	REQUIRE(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	if (encap)
		REQUIRE(setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &one,
				   sizeof(one)) == 0);
	return fd;
}

/* Sends `n` datagrams of `size` bytes A -> B and returns how many B's
 * socket received intact. */
static unsigned send_recv(struct pair *p, const struct esp_case *c, unsigned n,
			  size_t size)
{
	struct flow f = case_flow(c);
	struct sockaddr_storage dst;
	int rx, tx, encap_rx = -1, len;
	unsigned got = 0;
	char msg[1500], buf[1500];

	xt_ns_enter(p->ns_b);
	rx = udp_socket(f.dst, 7777, false);
	if (c->encap)
		encap_rx = udp_socket(c->family == AF_INET6 ? "::" : "0.0.0.0",
				      4500, true);
	xt_ns_enter(p->ns_a);
	tx = udp_socket(f.src, 0, false);
	len = sockaddr_of(&dst, f.dst, 7777);
	for (unsigned i = 0; i < n; i++) {
		memset(msg, 'a' + (int)i, size);
		if (sendto(tx, msg, size, 0, (struct sockaddr *)&dst,
			   (socklen_t)len) != (ssize_t)size)
			test_note("datagram %u: sendto: %s", i,
				  strerror(errno));
		ssize_t r = recv(rx, buf, sizeof(buf), 0);
		if (r == (ssize_t)size && memcmp(buf, msg, size) == 0)
			got++;
	}
	close(tx);
	close(rx);
	if (encap_rx >= 0)
		close(encap_rx);
	return got;
}

static void run_traffic(const struct esp_case *c)
{
	enum { N = 5, SIZE = 100 };
	struct kernel_sa_stats sa_a, sa_b;
	struct kernel_sa sa, back;
	struct kernel_err err;
	struct pair p;
	unsigned inner = c->mode == KERNEL_MODE_TRANSPORT ? 0
			 : inner_family(c) == AF_INET6	  ? 40
							  : 20;

	pair_setup(&p, false);
	case_install(&p, c, &sa, 0x2000 + c->encr);
	CHECK_EQ(send_recv(&p, c, N, SIZE), N);
	REQUIRE_EQ(xfrm_sa_get(p.xa, &sa.id, &sa_a, &back, &err), 0);
	REQUIRE_EQ(xfrm_sa_get(p.xb, &sa.id, &sa_b, NULL, &err), 0);
	test_note("A: %" PRIu64 " packets %" PRIu64 " bytes; B: %" PRIu64
		  " packets %" PRIu64 " bytes",
		  sa_a.packets, sa_a.bytes, sa_b.packets, sa_b.bytes);
	CHECK_EQ(sa_a.packets, N);
	CHECK_EQ(sa_b.packets, N);
	/* The kernel counts what ESP protects: the UDP datagram in transport
	 * mode, the inner IP packet in tunnel mode. */
	CHECK_EQ(sa_b.bytes, N * (inner + 8 + SIZE));
	CHECK_EQ(sa_a.bytes, N * (inner + 8 + SIZE));
	CHECK_NE(sa_a.use_time, 0);
	CHECK_NE(sa_a.add_time, 0);
	CHECK_EQ(sa_b.integrity_failed, 0);
	CHECK_EQ(back.encr_id, c->encr);
	CHECK_EQ(back.integ_id, c->integ);
	CHECK_EQ(back.mode, c->mode);
	CHECK_EQ(back.encap.type, c->encap ? KERNEL_ENCAP_ESPINUDP : 0);
	CHECK_EQ(back.encap.dport, c->encap ? 4500 : 0);
	kernel_sa_wipe(&sa);
	pair_free(&p);
}

TEST(xfrm_esp_traffic_gcm_v4_transport)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_AES_GCM_16,
					.enc_len = 20,
					.family = AF_INET,
					.mode = KERNEL_MODE_TRANSPORT });
}

TEST(xfrm_esp_traffic_chacha_v6_transport_esn)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_CHACHA20_POLY1305,
					.enc_len = 36,
					.family = AF_INET6,
					.mode = KERNEL_MODE_TRANSPORT,
					.esn = true });
}

TEST(xfrm_esp_traffic_cbc_sha256_v4_tunnel)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_AES_CBC,
					.enc_len = 32,
					.integ = AUTH_HMAC_SHA2_256_128,
					.integ_len = 32,
					.family = AF_INET,
					.mode = KERNEL_MODE_TUNNEL });
}

TEST(xfrm_esp_traffic_gcm256_v6_tunnel)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_AES_GCM_16,
					.enc_len = 36,
					.family = AF_INET6,
					.mode = KERNEL_MODE_TUNNEL });
}

/* Cross-family tunnels: the SA's selector stays empty (AF_UNSPEC), so
 * the kernel accepts either inner family. */
TEST(xfrm_esp_traffic_v4_in_v6_tunnel)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_AES_GCM_16,
					.enc_len = 20,
					.family = AF_INET6,
					.mode = KERNEL_MODE_TUNNEL,
					.inner = AF_INET });
}

TEST(xfrm_esp_traffic_v6_in_v4_tunnel_sha384)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_AES_CBC,
					.enc_len = 24,
					.integ = AUTH_HMAC_SHA2_384_192,
					.integ_len = 48,
					.family = AF_INET,
					.mode = KERNEL_MODE_TUNNEL,
					.inner = AF_INET6 });
}

TEST(xfrm_esp_traffic_udp_encap_v4_transport)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_AES_GCM_16,
					.enc_len = 20,
					.family = AF_INET,
					.mode = KERNEL_MODE_TRANSPORT,
					.encap = true });
}

TEST(xfrm_esp_traffic_udp_encap_v4_tunnel_sha512)
{
	run_traffic(&(struct esp_case){ .encr = ENCR_AES_CBC,
					.enc_len = 16,
					.integ = AUTH_HMAC_SHA2_512_256,
					.integ_len = 64,
					.family = AF_INET,
					.mode = KERNEL_MODE_TUNNEL,
					.encap = true });
}

/* ---- Add, read back, update, delete, for every algorithm ---------------- */

TEST(xfrm_esp_sa_add_get_del_algorithms)
{
	static const struct esp_case cases[] = {
		{ ENCR_AES_GCM_16, AUTH_NONE, 20, 0, AF_INET,
		  KERNEL_MODE_TRANSPORT, false, false, 0 },
		{ ENCR_AES_GCM_12, AUTH_NONE, 28, 0, AF_INET6,
		  KERNEL_MODE_TUNNEL, false, true, 0 },
		{ ENCR_AES_GCM_8, AUTH_NONE, 36, 0, AF_INET, KERNEL_MODE_TUNNEL,
		  true, false, 0 },
		{ ENCR_CHACHA20_POLY1305, AUTH_NONE, 36, 0, AF_INET6,
		  KERNEL_MODE_TRANSPORT, false, true, 0 },
		{ ENCR_AES_CBC, AUTH_HMAC_SHA2_256_128, 16, 32, AF_INET,
		  KERNEL_MODE_TUNNEL, false, false, 0 },
		{ ENCR_AES_CBC, AUTH_HMAC_SHA2_384_192, 24, 48, AF_INET6,
		  KERNEL_MODE_TRANSPORT, true, false, 0 },
		{ ENCR_AES_CBC, AUTH_HMAC_SHA2_512_256, 32, 64, AF_INET,
		  KERNEL_MODE_TRANSPORT, false, true, 0 },
		{ ENCR_AES_CBC, AUTH_HMAC_SHA1_96, 16, 20, AF_INET6,
		  KERNEL_MODE_TUNNEL, false, false, 0 },
	};
	struct kernel_sa_stats st;
	struct kernel_sa sa, back;
	struct kernel_err err;
	struct pair p;

	pair_setup(&p, false);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct esp_case *c = &cases[i];
		case_sa(&sa, c, 0x3000 + i);
		sa.soft.bytes = 1000000 + i;
		sa.hard.add_seconds = 3600;
		if (xfrm_sa_add(p.xa, &sa, false, &err) != 0) {
			test_fail(__FILE__, __LINE__, "case %u: %s", i,
				  err.msg);
			continue;
		}
		REQUIRE_EQ(xfrm_sa_get(p.xa, &sa.id, &st, &back, &err), 0);
		CHECK_EQ(back.encr_id, c->encr);
		CHECK_EQ(back.integ_id, c->integ);
		CHECK_EQ(back.mode, c->mode);
		CHECK_EQ(st.reqid, sa.reqid);
		CHECK_EQ(back.esn, c->esn);
		CHECK_EQ(back.replay_window, 64);
		CHECK_EQ(back.soft.bytes, 1000000 + i);
		CHECK_EQ(back.hard.add_seconds, 3600);
		CHECK_EQ(back.encap.type, c->encap ? KERNEL_ENCAP_ESPINUDP : 0);
		CHECK_EQ(st.packets, 0);
		/* The same SA again: the kernel refuses, naming it. */
		CHECK_EQ(xfrm_sa_add(p.xa, &sa, false, &err), -EEXIST);
		CHECK(strstr(err.msg, "add SA esp spi 0x0000300"));
		/* UPDSA replaces lifetimes in place. */
		sa.soft.bytes = 5;
		CHECK_EQ(xfrm_sa_add(p.xa, &sa, true, &err), 0);
		REQUIRE_EQ(xfrm_sa_get(p.xa, &sa.id, &st, &back, &err), 0);
		CHECK_EQ(back.soft.bytes, 5);
		CHECK_EQ(xfrm_sa_del(p.xa, &sa.id, &err), 0);
		CHECK_EQ(xfrm_sa_get(p.xa, &sa.id, &st, NULL, &err), -ESRCH);
		test_note("case %u gone: %s", i, err.msg);
	}
	CHECK_EQ(xt_count_sas(p.xa, NULL), 0);
	kernel_sa_wipe(&sa);
	pair_free(&p);
}

/* ---- Expiry (RFC 4301 §4.4.2.1: soft limit -> rekey, hard -> gone) ---- */

struct expire_want {
	uint32_t spi;
	bool hard_only;
};

static bool is_expire_of(const struct kernel_event *ev, void *arg)
{
	const struct expire_want *w = arg;
	return ev->u.expire.id.spi == w->spi &&
	       (!w->hard_only || ev->u.expire.hard);
}

/* Installs a GCM transport SA with `soft`/`hard` limits, sends `n`
 * datagrams and waits for an EXPIRE of the SA in A. */
static void run_expire(const struct kernel_lifetime *soft,
		       const struct kernel_lifetime *hard, unsigned n,
		       bool want_hard, int wait_ms)
{
	const struct esp_case c = { .encr = ENCR_AES_GCM_16,
				    .enc_len = 20,
				    .family = AF_INET,
				    .mode = KERNEL_MODE_TRANSPORT };
	struct kernel_policy out, in;
	struct kernel_event ev;
	struct kernel_err err;
	struct expire_want want;
	struct kernel_sa sa;
	struct pair p;

	pair_setup(&p, true);
	case_sa(&sa, &c, 0x4000);
	sa.soft = *soft;
	sa.hard = *hard;
	case_policy(&out, &c, KERNEL_DIR_OUT);
	case_policy(&in, &c, KERNEL_DIR_IN);
	REQUIRE_EQ(xfrm_sa_add(p.xa, &sa, false, &err), 0);
	REQUIRE_EQ(xfrm_sa_add(p.xb, &sa, false, &err), 0);
	REQUIRE_EQ(xfrm_policy_add(p.xa, &out, false, &err), 0);
	REQUIRE_EQ(xfrm_policy_add(p.xb, &in, false, &err), 0);
	test_note("%u of %u datagrams arrived", send_recv(&p, &c, n, 50), n);
	want.spi = sa.id.spi;
	want.hard_only = want_hard;
	REQUIRE(xt_wait_event(p.xa, KERNEL_EV_EXPIRE, wait_ms, is_expire_of,
			      &want, &ev));
	CHECK_EQ(ev.u.expire.hard, want_hard);
	CHECK_EQ(ev.u.expire.stats.reqid, sa.reqid);
	test_note("expire: hard=%d after %" PRIu64 " packets %" PRIu64 " bytes",
		  ev.u.expire.hard, ev.u.expire.stats.packets,
		  ev.u.expire.stats.bytes);
	if (want_hard)
		CHECK_EQ(xfrm_sa_get(p.xa, &sa.id, NULL, NULL, &err), -ESRCH);
	kernel_sa_wipe(&sa);
	pair_free(&p);
}

TEST(xfrm_esp_soft_expire_packets)
{
	struct kernel_lifetime soft = { .packets = 3 },
			       hard = { .packets = 100 };
	run_expire(&soft, &hard, 5, false, 3000);
}

TEST(xfrm_esp_soft_expire_bytes)
{
	struct kernel_lifetime soft = { .bytes = 120 },
			       hard = { .bytes = 100000 };
	run_expire(&soft, &hard, 5, false, 3000);
}

TEST(xfrm_esp_soft_expire_time)
{
	struct kernel_lifetime soft = { .add_seconds = 1 },
			       hard = { .add_seconds = 60 };
	run_expire(&soft, &hard, 1, false, 5000);
}

TEST(xfrm_esp_hard_expire_packets)
{
	struct kernel_lifetime soft = { .packets = 2 }, hard = { .packets = 3 };
	run_expire(&soft, &hard, 5, true, 3000);
}

/* ---- The responder's and initiator's kernel sequences ------------------ */

/* RFC 7296 §2.17 needs the inbound SPI before the keys: ALLOCSPI reserves
 * it (a larval SA), UPDSA later fills in keys and mode. */
TEST(xfrm_esp_allocspi_then_update_carries_traffic)
{
	const struct esp_case c = { .encr = ENCR_AES_GCM_16,
				    .enc_len = 36,
				    .family = AF_INET6,
				    .mode = KERNEL_MODE_TRANSPORT };
	struct kernel_policy out, in;
	struct kernel_sa_stats st;
	struct kernel_err err;
	struct kernel_sa sa;
	struct pair p;
	uint32_t spi;

	pair_setup(&p, false);
	case_sa(&sa, &c, 0);
	REQUIRE_EQ(xfrm_spi_alloc(p.xb, &sa.id, c.mode, sa.reqid, 0, 0xc0000000,
				  0xcfffffff, &spi, &err),
		   0);
	CHECK_GE(spi, 0xc0000000);
	CHECK_LE(spi, 0xcfffffff);
	sa.id.spi = spi;
	/* A plain add collides with the larval SA; the update fills it. */
	CHECK_EQ(xfrm_sa_add(p.xb, &sa, false, &err), -EEXIST);
	REQUIRE_EQ(xfrm_sa_add(p.xb, &sa, true, &err), 0);
	REQUIRE_EQ(xfrm_sa_add(p.xa, &sa, false, &err), 0);
	case_policy(&out, &c, KERNEL_DIR_OUT);
	case_policy(&in, &c, KERNEL_DIR_IN);
	REQUIRE_EQ(xfrm_policy_add(p.xa, &out, false, &err), 0);
	REQUIRE_EQ(xfrm_policy_add(p.xb, &in, false, &err), 0);
	CHECK_EQ(send_recv(&p, &c, 4, 64), 4);
	REQUIRE_EQ(xfrm_sa_get(p.xb, &sa.id, &st, NULL, &err), 0);
	CHECK_EQ(st.packets, 4);
	CHECK_EQ(xt_count_sas(p.xb, NULL), 1);
	kernel_sa_wipe(&sa);
	pair_free(&p);
}

static bool is_acquire(const struct kernel_event *ev, void *arg)
{
	return ev->u.acquire.policy_index == *(uint32_t *)arg;
}

/* RFC 4301 §5.1: traffic without an SA makes the kernel ask (ACQUIRE);
 * the answer names the ACQUIRE's seq and replaces the larval SA, after
 * which traffic flows. */
TEST(xfrm_esp_acquire_answered_then_traffic)
{
	const struct esp_case c = { .encr = ENCR_CHACHA20_POLY1305,
				    .enc_len = 36,
				    .family = AF_INET,
				    .mode = KERNEL_MODE_TUNNEL };
	struct kernel_policy out, in;
	struct kernel_event ev;
	struct kernel_err err;
	struct kernel_sa sa;
	struct pair p;
	unsigned n_sa;

	pair_setup(&p, true);
	case_sa(&sa, &c, 0x5005);
	case_policy(&out, &c, KERNEL_DIR_OUT);
	case_policy(&in, &c, KERNEL_DIR_IN);
	REQUIRE_EQ(xfrm_policy_add(p.xa, &out, false, &err), 0);
	REQUIRE_EQ(xfrm_policy_add(p.xb, &in, false, &err), 0);
	REQUIRE_EQ(xfrm_sa_add(p.xb, &sa, false, &err), 0);
	/* No SA in A yet: the datagram only triggers the ACQUIRE. */
	test_note("sendto: %d", xt_send_udp("10.78.1.1", "10.78.2.1", 7777));
	REQUIRE(xt_wait_event(p.xa, KERNEL_EV_ACQUIRE, 3000, is_acquire,
			      &out.index, &ev));
	CHECK_EQ(ev.u.acquire.tmpl.reqid, sa.reqid);
	CHECK_EQ(ev.u.acquire.tmpl.mode, KERNEL_MODE_TUNNEL);
	CHECK_MEM(&ev.u.acquire.dst, &sa.id.dst, sizeof(sa.id.dst));
	CHECK_EQ(xt_count_sas(p.xa, NULL), 1); /* the larval SA */
	sa.acquire_seq = ev.u.acquire.seq;
	REQUIRE_EQ(xfrm_sa_add(p.xa, &sa, false, &err), 0);
	CHECK_EQ(xt_count_sas(p.xa, &n_sa), 1); /* it was replaced */
	CHECK_EQ(n_sa, 1);
	CHECK_EQ(send_recv(&p, &c, 3, 10), 3);
	kernel_sa_wipe(&sa);
	pair_free(&p);
}

static bool is_mapping(const struct kernel_event *ev, void *arg)
{
	return ev->u.mapping.id.spi == *(uint32_t *)arg;
}

/* RFC 3948 §4 / RFC 7296 §2.23: ESP-in-UDP arriving from another port than
 * the SA's makes the kernel report the new mapping, so the daemon can
 * follow a NAT that changed its binding. */
TEST(xfrm_esp_natt_mapping_event)
{
	const struct esp_case c = { .encr = ENCR_AES_GCM_16,
				    .enc_len = 20,
				    .family = AF_INET,
				    .mode = KERNEL_MODE_TRANSPORT,
				    .encap = true };
	struct kernel_policy out, in;
	struct kernel_event ev;
	struct kernel_err err;
	struct kernel_sa sa;
	struct xfrm *xb_ev;
	struct pair p;
	char s[64];

	pair_setup(&p, false);
	xt_ns_enter(p.ns_b);
	xb_ev = open_in(true);
	xt_ns_enter(p.ns_a);
	case_sa(&sa, &c, 0x6006);
	case_policy(&out, &c, KERNEL_DIR_OUT);
	case_policy(&in, &c, KERNEL_DIR_IN);
	REQUIRE_EQ(xfrm_sa_add(p.xb, &sa, false, &err), 0);
	sa.encap.sport = 4501; /* A's NAT moved it to another port */
	REQUIRE_EQ(xfrm_sa_add(p.xa, &sa, false, &err), 0);
	REQUIRE_EQ(xfrm_policy_add(p.xa, &out, false, &err), 0);
	REQUIRE_EQ(xfrm_policy_add(p.xb, &in, false, &err), 0);
	test_note("%u of 2 datagrams arrived", send_recv(&p, &c, 2, 20));
	REQUIRE(xt_wait_event(xb_ev, KERNEL_EV_MAPPING, 3000, is_mapping,
			      &sa.id.spi, &ev));
	CHECK_EQ(ev.u.mapping.old_port, 4500);
	CHECK_EQ(ev.u.mapping.new_port, 4501);
	CHECK_EQ(ev.u.mapping.reqid, sa.reqid);
	CHECK_STR(kernel_addr_str(&ev.u.mapping.new_addr, s, sizeof(s)),
		  "10.77.0.1");
	kernel_sa_wipe(&sa);
	xfrm_close(xb_ev);
	pair_free(&p);
}

/* Migrates the policy `dir` of `pol` (installed in namespace `x`) and the
 * SA it names from A's old address 10.77.0.1 to 10.77.0.3. */
static void migrate_a(struct xfrm *x, const struct kernel_policy *pol,
		      bool encap)
{
	struct kernel_migrate m = { 0 };
	struct kernel_req q = { .type = KERNEL_REQ_MIGRATE };

	m.sel = pol->sel;
	m.dir = pol->dir;
	m.old_src = xt_addr("10.77.0.1");
	m.old_dst = xt_addr("10.77.0.2");
	m.new_src = xt_addr("10.77.0.3");
	m.new_dst = xt_addr("10.77.0.2");
	m.proto = KERNEL_PROTO_ESP;
	m.mode = KERNEL_MODE_TUNNEL;
	m.reqid = pol->tmpl[0].reqid;
	if (encap)
		m.encap = (struct kernel_encap){ .type = KERNEL_ENCAP_ESPINUDP,
						 .sport = 4500,
						 .dport = 4500 };
	q.o.migrate = &m;
	if (xfrm_apply(x, &q, 1) != 0) {
		test_fail(__FILE__, __LINE__, "%s", q.err.msg);
		test_abort();
	}
}

/* MOBIKE (RFC 4555 §3.5): A's address changes under a running tunnel;
 * XFRM_MSG_MIGRATE moves policy and SA in both namespaces to the new
 * address with keys, sequence numbers and counters kept (B's replay
 * window would drop A's packets if the sequence numbers started again),
 * optionally switching to ESP in UDP (a NAT found on the new path). */
static void run_migrate(bool encap)
{
	enum { N = 4, SIZE = 64 };
	struct esp_case c = { .encr = ENCR_AES_GCM_16,
			      .enc_len = 20,
			      .family = AF_INET,
			      .mode = KERNEL_MODE_TUNNEL };
	struct kernel_policy out, in;
	struct kernel_sa_stats st;
	struct kernel_sa sa, back;
	struct kernel_sa_id moved;
	struct kernel_err err;
	struct pair p;

	pair_setup(&p, false);
	case_install(&p, &c, &sa, 0x4555);
	case_policy(&out, &c, KERNEL_DIR_OUT);
	case_policy(&in, &c, KERNEL_DIR_IN);
	CHECK_EQ(send_recv(&p, &c, N, SIZE), N);

	/* A moves: old address gone (its routes with it), new one up. */
	REQUIRE_EQ(xt_sh("ip -batch - <<EOF\n"
			 "addr del 10.77.0.1/24 dev kbxa\n"
			 "addr add 10.77.0.3/24 dev kbxa\n"
			 "route add 10.78.2.1/32 via 10.77.0.2\n"
			 "EOF"),
		   0);
	migrate_a(p.xa, &out, encap);
	xt_ns_enter(p.ns_b);
	migrate_a(p.xb, &in, encap);
	xt_ns_enter(p.ns_a);
	c.encap = encap; /* B listens for ESP in UDP on 4500 */
	CHECK_EQ(send_recv(&p, &c, N, SIZE), N);

	/* The SA now has the new source; the old one is gone. */
	moved = sa.id;
	moved.src = xt_addr("10.77.0.3");
	REQUIRE_EQ(xfrm_sa_get(p.xa, &moved, &st, &back, &err), 0);
	CHECK_EQ(st.packets, 2 * N); /* counters kept */
	CHECK_EQ(back.encap.type, encap ? KERNEL_ENCAP_ESPINUDP : 0);
	REQUIRE_EQ(xfrm_sa_get(p.xb, &moved, &st, NULL, &err), 0);
	CHECK_EQ(st.packets, 2 * N);
	CHECK_EQ(st.replay_failed, 0);
	CHECK_EQ(xt_count_sas(p.xa, NULL), 1);
	CHECK(strstr(xt_sh_out("ip xfrm state"),
		     "src 10.77.0.3 dst 10.77.0.2"));
	CHECK(strstr(xt_sh_out("ip xfrm policy"),
		     "tmpl src 10.77.0.3 dst 10.77.0.2"));
	kernel_sa_wipe(&sa);
	pair_free(&p);
}

TEST(xfrm_esp_migrate_tunnel_v4)
{
	run_migrate(false);
}

TEST(xfrm_esp_migrate_tunnel_v4_to_udp_encap)
{
	run_migrate(true);
}
