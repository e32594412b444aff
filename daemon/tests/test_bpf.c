/* Tests of keybridge's tc classifier (bpf/kb_sa.bpf.c, attach mode 2) on
 * this host's kernel: the programs pass the verifier, and BPF_PROG_TEST_RUN
 * on crafted frames — ESP, ESP-in-UDP (RFC 3948), IKE, NAT-keepalives and
 * other traffic, IPv4 and IPv6 — counts exactly the right SA in
 * kb_sa_usage and posts threshold events to the ring buffer. */
#include "kernel/bpf.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Loads the tc programs without attaching them; skips loudly where the
 * kernel or the privileges refuse BPF (keybridged then polls, see
 * keybridged_bpf_* in test_bpf_daemon.c). */
static struct bpf_usage *tc_load(uint16_t natt_port)
{
	struct bpf_usage_opts o = { .mode = KB_BPF_TC, .natt_port = natt_port };
	struct bpf_usage *b;
	char why[512];
	int r = bpf_usage_open(&o, &b, why, sizeof(why));

	if (r == -EPERM || r == -EACCES)
		test_skip("BPF loading refused on this machine: %s", why);
	if (r < 0)
		test_fail(__FILE__, __LINE__, "tc programs did not load: %s",
			  why);
	REQUIRE_EQ(r, 0);
	return b;
}

enum { F_V6 = 1, F_FRAG = 2 };

/* An Ethernet frame carrying IPv4 or IPv6 from `src` to `dst` with IP
 * protocol `proto` and payload `pl`; returns its length. */
static size_t frame(uint8_t *out, int flags, const char *src, const char *dst,
		    uint8_t proto, const uint8_t *pl, size_t pl_len)
{
	size_t ip_len = flags & F_V6 ? 40 : 20;
	uint8_t *ip = out + 14;

	memset(out, 0, 14 + ip_len);
	memcpy(out, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	if (flags & F_V6) {
		out[12] = 0x86, out[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)(pl_len >> 8), ip[5] = (uint8_t)pl_len;
		ip[6] = proto;
		ip[7] = 64;
		REQUIRE_EQ(inet_pton(AF_INET6, src, ip + 8), 1);
		REQUIRE_EQ(inet_pton(AF_INET6, dst, ip + 24), 1);
	} else {
		size_t tot = 20 + pl_len;

		out[12] = 0x08, out[13] = 0x00;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
		if (flags & F_FRAG)
			ip[7] = 185; /* fragment offset 185 * 8 */
		ip[8] = 64;
		ip[9] = proto;
		REQUIRE_EQ(inet_pton(AF_INET, src, ip + 12), 1);
		REQUIRE_EQ(inet_pton(AF_INET, dst, ip + 16), 1);
	}
	memcpy(ip + ip_len, pl, pl_len);
	return 14 + ip_len + pl_len;
}

/* An ESP packet (RFC 4303 §2): SPI, sequence number, then 48 bytes that
 * stand for IV, ciphertext and ICV. */
static size_t esp(uint8_t *out, uint32_t spi)
{
	memset(out, 0xa5, 56);
	out[0] = (uint8_t)(spi >> 24), out[1] = (uint8_t)(spi >> 16);
	out[2] = (uint8_t)(spi >> 8), out[3] = (uint8_t)spi;
	memcpy(out + 4, "\0\0\0\x07", 4);
	return 56;
}

/* A UDP datagram from `sport` to `dport` around `pl`. */
static size_t udp(uint8_t *out, uint16_t sport, uint16_t dport,
		  const uint8_t *pl, size_t pl_len)
{
	size_t len = 8 + pl_len;

	out[0] = (uint8_t)(sport >> 8), out[1] = (uint8_t)sport;
	out[2] = (uint8_t)(dport >> 8), out[3] = (uint8_t)dport;
	out[4] = (uint8_t)(len >> 8), out[5] = (uint8_t)len;
	out[6] = out[7] = 0;
	memcpy(out + 8, pl, pl_len);
	return len;
}

static struct kb_sa_key key_of(uint32_t spi, int family, const char *dst)
{
	struct kb_sa_key k;
	uint8_t a[16];

	REQUIRE_EQ(inet_pton(family, dst, a), 1);
	bpf_usage_key(&k, spi, IPPROTO_ESP, family, a);
	return k;
}

static void run(struct bpf_usage *b, bool egress, const uint8_t *f, size_t n)
{
	int ret = 0;

	REQUIRE_EQ(bpf_usage_test_run(b, egress, f, n, 1, &ret, NULL), 0);
	CHECK_EQ(ret, -1); /* TC_ACT_UNSPEC: the program never decides */
}

static uint64_t packets(struct bpf_usage *b, const struct kb_sa_key *k)
{
	struct kb_sa_usage u;

	REQUIRE_EQ(bpf_usage_get(b, k, &u), 0);
	return u.packets;
}

TEST(bpf_tc_esp_v4_counts_its_sa_only)
{
	struct bpf_usage *b = tc_load(0);
	struct kb_sa_key in = key_of(0x1001, AF_INET, "10.0.0.2");
	struct kb_sa_key out = key_of(0x2002, AF_INET, "10.0.0.1");
	uint8_t pl[64], f[256];
	struct kb_sa_usage u;
	size_t n;

	REQUIRE_EQ(bpf_usage_sa_add(b, &in, NULL), 0);
	REQUIRE_EQ(bpf_usage_sa_add(b, &out, NULL), 0);
	/* ESP 0x1001 to 10.0.0.2, three times, on ingress */
	n = frame(f, 0, "10.0.0.1", "10.0.0.2", IPPROTO_ESP, pl,
		  esp(pl, 0x1001));
	for (int i = 0; i < 3; i++)
		run(b, false, f, n);
	REQUIRE_EQ(bpf_usage_get(b, &in, &u), 0);
	CHECK_EQ(u.packets, 3);
	CHECK_EQ(u.bytes, 3 * n); /* wire length, Ethernet header included */
	CHECK(u.first_ns > 0 && u.last_ns >= u.first_ns);
	CHECK_EQ(packets(b, &out), 0);
	/* ESP 0x2002 to 10.0.0.1 on egress */
	n = frame(f, 0, "10.0.0.2", "10.0.0.1", IPPROTO_ESP, pl,
		  esp(pl, 0x2002));
	run(b, true, f, n);
	CHECK_EQ(packets(b, &out), 1);
	CHECK_EQ(packets(b, &in), 3);
	/* same SPI, another destination: another SA, not ours */
	n = frame(f, 0, "10.0.0.1", "10.0.0.3", IPPROTO_ESP, pl,
		  esp(pl, 0x1001));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &in), 3);
	CHECK_EQ(bpf_usage_stat(b, KB_STAT_UNTRACKED), 1);
	/* a non-first fragment has no ESP header where one would be */
	n = frame(f, F_FRAG, "10.0.0.1", "10.0.0.2", IPPROTO_ESP, pl,
		  esp(pl, 0x1001));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &in), 3);
	/* truncated: an IPv4 header and two bytes of ESP */
	n = frame(f, 0, "10.0.0.1", "10.0.0.2", IPPROTO_ESP, pl, 2);
	run(b, false, f, n);
	CHECK_EQ(packets(b, &in), 3);
	/* once deleted, the SA is no longer counted */
	REQUIRE_EQ(bpf_usage_sa_del(b, &in), 0);
	CHECK_EQ(bpf_usage_get(b, &in, &u), -ENOENT);
	CHECK_EQ(bpf_usage_sa_del(b, &in), -ENOENT);
	bpf_usage_close(b);
}

TEST(bpf_tc_esp_in_udp_ike_and_keepalives_v4)
{
	struct bpf_usage *b = tc_load(0);
	struct kb_sa_key k = key_of(0xc0ffee01, AF_INET, "192.0.2.1");
	uint8_t e[64], pl[128], f[256];
	uint8_t ike[32] = { 0 }; /* non-ESP marker + start of an IKE header */
	size_t n;

	memset(ike + 4, 0x11, sizeof(ike) - 4);
	REQUIRE_EQ(bpf_usage_sa_add(b, &k, NULL), 0);
	/* ESP-in-UDP from a NAT's port 31000 to 4500 (RFC 3948 §2.1) */
	n = frame(f, 0, "198.51.100.7", "192.0.2.1", IPPROTO_UDP, pl,
		  udp(pl, 31000, 4500, e, esp(e, 0xc0ffee01)));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &k), 1);
	/* and from 4500 to the NAT's port (what our egress sends) */
	n = frame(f, 0, "198.51.100.7", "192.0.2.1", IPPROTO_UDP, pl,
		  udp(pl, 4500, 31000, e, esp(e, 0xc0ffee01)));
	run(b, true, f, n);
	CHECK_EQ(packets(b, &k), 2);
	/* IKE on 4500 behind the non-ESP marker is not ESP (§2.2) */
	n = frame(f, 0, "198.51.100.7", "192.0.2.1", IPPROTO_UDP, pl,
		  udp(pl, 31000, 4500, ike, sizeof(ike)));
	run(b, false, f, n);
	/* a NAT-keepalive: one byte 0xFF (§2.3) */
	n = frame(f, 0, "198.51.100.7", "192.0.2.1", IPPROTO_UDP, pl,
		  udp(pl, 31000, 4500, (const uint8_t *)"\xff", 1));
	run(b, false, f, n);
	/* IKE on 500 starts with its SPI, never mistaken for ESP */
	n = frame(f, 0, "198.51.100.7", "192.0.2.1", IPPROTO_UDP, pl,
		  udp(pl, 500, 500, e, esp(e, 0xc0ffee01)));
	run(b, false, f, n);
	/* any other UDP or TCP */
	n = frame(f, 0, "198.51.100.7", "192.0.2.1", IPPROTO_UDP, pl,
		  udp(pl, 53, 53, e, esp(e, 0xc0ffee01)));
	run(b, false, f, n);
	n = frame(f, 0, "198.51.100.7", "192.0.2.1", IPPROTO_TCP, pl,
		  esp(pl, 0xc0ffee01));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &k), 2);
	CHECK_EQ(bpf_usage_stat(b, KB_STAT_UNTRACKED), 0);
	/* an ARP frame */
	memset(f, 0, 60);
	f[12] = 0x08, f[13] = 0x06;
	run(b, false, f, 60);
	CHECK_EQ(packets(b, &k), 2);
	bpf_usage_close(b);
}

TEST(bpf_tc_esp_and_esp_in_udp_v6)
{
	struct bpf_usage *b = tc_load(0);
	struct kb_sa_key k = key_of(0x3003, AF_INET6, "fd00::2");
	struct kb_sa_key v4 = key_of(0x3003, AF_INET, "10.0.0.2");
	uint8_t e[64], pl[128], f[256];
	uint8_t ike[32] = { 0 };
	size_t n;

	REQUIRE_EQ(bpf_usage_sa_add(b, &k, NULL), 0);
	REQUIRE_EQ(bpf_usage_sa_add(b, &v4, NULL), 0);
	n = frame(f, F_V6, "fd00::1", "fd00::2", IPPROTO_ESP, pl,
		  esp(pl, 0x3003));
	run(b, false, f, n);
	n = frame(f, F_V6, "fd00::1", "fd00::2", IPPROTO_UDP, pl,
		  udp(pl, 4500, 4500, e, esp(e, 0x3003)));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &k), 2);
	/* IKE over IPv6 on 4500 and 500 */
	n = frame(f, F_V6, "fd00::1", "fd00::2", IPPROTO_UDP, pl,
		  udp(pl, 4500, 4500, ike, sizeof(ike)));
	run(b, false, f, n);
	n = frame(f, F_V6, "fd00::1", "fd00::2", IPPROTO_UDP, pl,
		  udp(pl, 500, 500, e, esp(e, 0x3003)));
	run(b, false, f, n);
	/* another IPv6 destination with the same SPI */
	n = frame(f, F_V6, "fd00::1", "fd00::3", IPPROTO_ESP, pl,
		  esp(pl, 0x3003));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &k), 2);
	CHECK_EQ(packets(b, &v4), 0); /* families never mix */
	CHECK_EQ(bpf_usage_stat(b, KB_STAT_UNTRACKED), 1);
	bpf_usage_close(b);
}

TEST(bpf_tc_natt_port_is_configurable)
{
	struct bpf_usage *b = tc_load(4501);
	struct kb_sa_key k = key_of(0x4004, AF_INET, "10.0.0.2");
	uint8_t e[64], pl[128], f[256];
	size_t n;

	REQUIRE_EQ(bpf_usage_sa_add(b, &k, NULL), 0);
	n = frame(f, 0, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, pl,
		  udp(pl, 4500, 4500, e, esp(e, 0x4004)));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &k), 0);
	n = frame(f, 0, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, pl,
		  udp(pl, 4501, 4501, e, esp(e, 0x4004)));
	run(b, false, f, n);
	CHECK_EQ(packets(b, &k), 1);
	bpf_usage_close(b);
}

struct events {
	int n;
	struct kb_event last;
};

static void on_event(void *arg, const struct kb_event *ev)
{
	struct events *e = arg;

	e->n++;
	e->last = *ev;
}

TEST(bpf_tc_threshold_posts_one_event_until_rearmed)
{
	struct bpf_usage *b = tc_load(0);
	struct kb_sa_key k = key_of(0x5005, AF_INET, "10.0.0.2");
	struct kb_sa_limit lim = { .packets = 3 };
	struct events ev = { 0 };
	uint8_t pl[64], f[256];
	size_t n;

	REQUIRE_EQ(bpf_usage_sa_add(b, &k, &lim), 0);
	n = frame(f, 0, "10.0.0.1", "10.0.0.2", IPPROTO_ESP, pl,
		  esp(pl, 0x5005));
	run(b, false, f, n);
	run(b, false, f, n);
	CHECK_EQ(bpf_usage_events_read(b, on_event, &ev), 0);
	run(b, false, f, n); /* the third packet reaches the limit */
	run(b, false, f, n);
	CHECK_EQ(bpf_usage_events_read(b, on_event, &ev), 1);
	CHECK_EQ(ev.n, 1);
	CHECK_EQ(ev.last.type, KB_EV_THRESHOLD);
	CHECK_MEM(&ev.last.key, &k, sizeof(k));
	CHECK_EQ(ev.last.usage.packets, 3);
	CHECK_EQ(ev.last.usage.bytes, 3 * n);
	/* a byte threshold, re-armed by writing the limit again */
	lim = (struct kb_sa_limit){ .bytes = 6 * n };
	REQUIRE_EQ(bpf_usage_limit_set(b, &k, &lim), 0);
	run(b, false, f, n);
	CHECK_EQ(bpf_usage_events_read(b, on_event, &ev), 0);
	run(b, false, f, n);
	CHECK_EQ(bpf_usage_events_read(b, on_event, &ev), 1);
	CHECK_EQ(ev.last.usage.bytes, 6 * n);
	CHECK_EQ(bpf_usage_stat(b, KB_STAT_EVENTS_LOST), 0);
	bpf_usage_close(b);
}

TEST(bpf_tc_rate_over_one_second_window)
{
	struct bpf_usage *b = tc_load(0);
	struct kb_sa_key k = key_of(0x6006, AF_INET, "10.0.0.2");
	uint8_t pl[64], f[256];
	struct kb_sa_usage u;
	size_t n;

	REQUIRE_EQ(bpf_usage_sa_add(b, &k, NULL), 0);
	n = frame(f, 0, "10.0.0.1", "10.0.0.2", IPPROTO_ESP, pl,
		  esp(pl, 0x6006));
	for (int i = 0; i < 10; i++)
		run(b, false, f, n);
	REQUIRE_EQ(bpf_usage_get(b, &k, &u), 0);
	CHECK_EQ(u.rate_Bps, 0); /* no complete window yet */
	usleep(1100 * 1000);
	run(b, false, f, n); /* closes the window: 10 packets in ≥ 1.1 s */
	REQUIRE_EQ(bpf_usage_get(b, &k, &u), 0);
	CHECK_LE(u.rate_Bps, 10 * n * 1000 / 1100);
	CHECK_GE(u.rate_Bps, 10 * n * 1000 / 2000);
	CHECK_LE(u.rate_pps, 10);
	CHECK_GE(u.rate_pps, 5);
	CHECK_EQ(u.packets, 11);
	bpf_usage_close(b);
}

TEST(bpf_fentry_refused_here_says_why)
{
	struct bpf_usage_opts o = { .mode = KB_BPF_FENTRY, .attach = true };
	struct bpf_usage *b = NULL;
	char why[512] = "";
	int r = bpf_usage_open(&o, &b, why, sizeof(why));

	if (r == 0) {
		/* A kernel that allows fentry (the kmod guest) */
		test_note("fentry loaded and attached: %s",
			  getenv("KB_IN_GUEST") ? "guest" : "this host");
		bpf_usage_close(b);
		return;
	}
	test_note("fentry refused: %s", why);
	CHECK(b == NULL);
	CHECK(strncmp(why, "load: ", 6) == 0 ||
	      strncmp(why, "attach: ", 8) == 0);
}
