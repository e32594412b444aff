/* keybridged's limits on unauthenticated peers hold for the daemon, not
 * for each worker (daemon/engine/dos_share.h): with --workers 2 the
 * COOKIE threshold, the half-open maximum and the half-open SAs one
 * address may hold count both workers' half-open SAs together.
 *
 *   [ ns a: 192.0.2.1, 192.0.2.3 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     IKE_SA_INIT requests, never an IKE_AUTH      keybridged --workers 2
 *
 * Each request gets an initiator SPI chosen so that include/kb_steer.h
 * (which the kernel's SK_REUSEPORT program and the workers both follow)
 * sends it to the worker the test wants; the worker that answered is in
 * the first octet of the responder's SPI. So the test fills one worker
 * and shows that the other already counts what the first holds. */
#include "tests/daemon_util.h"
#include "tests/engine_harness.h"
#include "tests/netns.h"
#include "tests/test.h"

#include "engine/engine.h"
#include "ike_iana.h"
#include "kb_steer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char wd_psk[] = "workers dos test secret";

enum wd_reply { WD_NONE, WD_COOKIE, WD_ANSWER };

/* How long a request that must be answered may wait for it: the answer
 * ends the wait, so this costs nothing, but on a loaded machine (make
 * check beside QEMU guests) one took more than 3 s. The waits that must
 * see no answer stay short (700 ms): a late answer cannot make them
 * fail. */
enum { WD_ANSWER_MS = 10000 };

/* The slowest answer or COOKIE so far, for the notes of a failure. */
static unsigned wd_slowest_ms;

/* An initiator in ns a: a socket on one of its addresses and the first
 * IKE_SA_INIT request of a real engine, sent again with other SPIs. */
struct wd_peer {
	int fd;
	uint8_t addr[16]; /* as kb_steer_hash() takes it */
	uint8_t tmpl[2048];
	size_t tmpl_len;
};

/* One request: its SPIi and the COOKIE it was asked to return. */
struct wd_req {
	uint8_t spi[8];
	uint8_t cookie[64];
	size_t cookie_len;
	unsigned worker; /* the worker that answered */
};

/* A UDP socket in namespace `ns` on `ip` port 500; the test process
 * itself stays where it is. */
static void wd_peer_open(struct wd_peer *p, const char *ns, const char *ip)
{
	struct sockaddr_in me = { .sin_family = AF_INET,
				  .sin_port = htons(500) };
	struct engine_conn c;
	struct engine_env env = { .random = du_random };
	const struct engine_action *act;
	struct engine *e;
	int self = open("/proc/self/ns/net", O_RDONLY);
	int there = open(test_netns_path(ns), O_RDONLY);
	size_t n;

	memset(p, 0, sizeof(*p));
	REQUIRE(self >= 0 && there >= 0);
	REQUIRE(setns(there, CLONE_NEWNET) == 0);
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, ip, &me.sin_addr);
	REQUIRE(p->fd >= 0 &&
		bind(p->fd, (struct sockaddr *)&me, sizeof(me)) == 0);
	REQUIRE(setns(self, CLONE_NEWNET) == 0);
	close(self);
	close(there);
	memcpy(p->addr, &me.sin_addr, 4);
	/* HDR, SA, KEi, Ni, N(NAT_DETECTION_*) ... of a real initiator */
	harness_conn(&c, true, ENCR_AES_GCM_16, 128, 0, PRF_HMAC_SHA2_256,
		     KE_CURVE25519);
	c.local.family = c.remote.family = 2;
	inet_pton(AF_INET, ip, c.local.ip);
	inet_pton(AF_INET, "192.0.2.2", c.remote.ip);
	c.local.port = c.remote.port = 500;
	REQUIRE((e = engine_new(&env, NULL, &c, 1)) != NULL);
	REQUIRE(engine_initiate(e, 1000, c.name, NULL) == 0);
	act = engine_actions(e, &n);
	REQUIRE(n >= 1 && act[n - 1].type == ENGINE_ACT_SEND &&
		act[n - 1].u.send.len <= sizeof(p->tmpl));
	memcpy(p->tmpl, act[n - 1].u.send.buf, act[n - 1].u.send.len);
	p->tmpl_len = act[n - 1].u.send.len;
	engine_free(e);
}

static uint64_t wd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sends request `r` (a new SPIi for `worker`, or with `r`'s COOKIE in
 * front, §2.6) and waits up to `ms` for its answer. */
static enum wd_reply wd_send(struct wd_peer *p, unsigned worker,
			     struct wd_req *r, bool cookie, unsigned ms)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(500) };
	uint8_t msg[2200], buf[4096];
	size_t len = p->tmpl_len, add = cookie ? 8 + r->cookie_len : 0;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	uint64_t t0;
	ssize_t got;

	REQUIRE(!cookie ||
		(r->cookie_len && r->cookie_len <= sizeof(r->cookie)));
	inet_pton(AF_INET, "192.0.2.2", &to.sin_addr);
	memcpy(msg, p->tmpl, KB_STEER_HDR);
	if (!cookie) {
		do
			REQUIRE(getrandom(r->spi, 8, 0) == 8);
		while (memcpy(msg, r->spi, 8),
		       kb_steer_worker(msg, p->addr, 2) != worker);
	}
	memcpy(msg, r->spi, 8);
	if (cookie) {
		/* HDR, N(COOKIE), SA, KEi, Ni, ... */
		msg[16] = PL_NOTIFY;
		msg[28] = p->tmpl[16];
		msg[29] = 0;
		msg[30] = (uint8_t)(add >> 8);
		msg[31] = (uint8_t)add;
		msg[32] = msg[33] = 0; /* no protocol, no SPI */
		msg[34] = (uint8_t)(N_COOKIE >> 8);
		msg[35] = (uint8_t)N_COOKIE;
		memcpy(msg + 36, r->cookie, r->cookie_len);
	}
	memcpy(msg + KB_STEER_HDR + add, p->tmpl + KB_STEER_HDR,
	       len - KB_STEER_HDR);
	len += add;
	msg[24] = (uint8_t)(len >> 24);
	msg[25] = (uint8_t)(len >> 16);
	msg[26] = (uint8_t)(len >> 8);
	msg[27] = (uint8_t)len;
	REQUIRE(sendto(p->fd, msg, len, 0, (struct sockaddr *)&to,
		       sizeof(to)) == (ssize_t)len);
	t0 = wd_now_ms();
	for (;;) {
		if (poll(&pfd, 1, (int)du_ms(ms)) != 1)
			return WD_NONE;
		got = recv(p->fd, buf, sizeof(buf), 0);
		if (got < 36 || memcmp(buf, r->spi, 8) ||
		    buf[18] != EXCH_IKE_SA_INIT)
			continue; /* a late answer to an earlier request */
		if (wd_now_ms() - t0 > wd_slowest_ms)
			wd_slowest_ms = (unsigned)(wd_now_ms() - t0);
		if (memcmp(buf + 8, "\0\0\0\0\0\0\0\0", 8)) {
			r->worker = buf[8] % 2;
			return WD_ANSWER;
		}
		/* HDR, N(COOKIE) */
		r->cookie_len = (size_t)(buf[30] << 8 | buf[31]) - 8;
		if (buf[16] != PL_NOTIFY ||
		    (buf[34] << 8 | buf[35]) != N_COOKIE ||
		    r->cookie_len > sizeof(r->cookie) ||
		    36 + r->cookie_len > (size_t)got)
			continue;
		memcpy(r->cookie, buf + 36, r->cookie_len);
		return WD_COOKIE;
	}
}

/* The three limits at once, cookie threshold 6 and maximum 9: worker 0
 * takes six half-open SAs without COOKIEs; worker 1 then asks for one
 * at once, and admits COOKIE retries up to nine in all; after that
 * neither worker takes another. With the limits divided between the
 * workers (3 and 5 each), worker 0 would ask for COOKIEs after three. */
TEST(workers_dos_cookie_threshold_and_maximum_daemon_wide)
{
	struct du_peer a, b;
	struct wd_peer p;
	struct wd_req r[16];
	unsigned w0 = 0;

	memset(r, 0, sizeof(r));
	du_link(&a, &b, false);
	du_any_peer_psk_conf(&b, wd_psk);
	du_start(&b, "-l info --workers 2 --cookie-threshold 6 "
		     "--half-open-max 9 --half-open-per-peer 9");
	REQUIRE(du_log_wait(&b, "ready", du_ms(5000)));
	CHECK(du_log_has(&b, "limits: half-open-max 9, cookie-threshold 6, "
			     "half-open-per-peer 9"));
	CHECK(du_log_has(&b, "(for all workers together)"));
	wd_peer_open(&p, a.ns, "192.0.2.1");
	/* HDR, SA, KEi, Ni --> worker 0, six times */
	for (int i = 0; i < 6; i++) {
		CHECK_EQ(wd_send(&p, 0, &r[i], false, WD_ANSWER_MS), WD_ANSWER);
		w0 += r[i].worker == 0;
	}
	CHECK_EQ(w0, 6u);
	/* --> worker 1: six half-open SAs exist, so <-- HDR, N(COOKIE) */
	for (int i = 6; i < 9; i++)
		CHECK_EQ(wd_send(&p, 1, &r[i], false, WD_ANSWER_MS), WD_COOKIE);
	/* HDR, N(COOKIE), SA, KEi, Ni --> worker 1: up to nine in all */
	for (int i = 6; i < 9; i++) {
		CHECK_EQ(wd_send(&p, 1, &r[i], true, WD_ANSWER_MS), WD_ANSWER);
		CHECK_EQ(r[i].worker, 1u);
	}
	/* nine: a new request gets nothing from either worker */
	CHECK_EQ(wd_send(&p, 0, &r[9], false, 700), WD_NONE);
	CHECK_EQ(wd_send(&p, 1, &r[10], false, 700), WD_NONE);
	CHECK(du_log_has(&b, "IKE_SA_INIT dropped: half-open SAs reached the "
			     "limit (9 half-open SAs"));
	close(p.fd);
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 12000), 0);
	if (test_failed())
		test_note("slowest answer: %u ms", wd_slowest_ms);
}

/* The half-open SAs one address may hold (4), in both workers together;
 * another address still gets in; when worker 0's half-open SAs time out
 * (2 s), worker 1 gives their places to the same address. */
TEST(workers_dos_half_open_per_peer_across_workers)
{
	struct du_peer a, b;
	struct wd_peer p, q;
	struct wd_req r[16];
	char cmd[256];

	memset(r, 0, sizeof(r));
	du_link(&a, &b, false);
	snprintf(cmd, sizeof(cmd), "ip -n %s addr add 192.0.2.3/24 dev %s",
		 a.ns, a.ns);
	REQUIRE(system(cmd) == 0);
	du_any_peer_psk_conf(&b, wd_psk);
	du_start(&b, "-l info --workers 2 --cookie-threshold 50 "
		     "--half-open-per-peer 4 --half-open-timeout 2");
	REQUIRE(du_log_wait(&b, "ready", du_ms(5000)));
	wd_peer_open(&p, a.ns, "192.0.2.1");
	wd_peer_open(&q, a.ns, "192.0.2.3");
	/* 192.0.2.1: three half-open SAs in worker 0, one in worker 1 */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(wd_send(&p, 0, &r[i], false, WD_ANSWER_MS), WD_ANSWER);
	CHECK_EQ(wd_send(&p, 1, &r[3], false, WD_ANSWER_MS), WD_ANSWER);
	CHECK_EQ(r[3].worker, 1u);
	/* four: the fifth is dropped, in either worker */
	CHECK_EQ(wd_send(&p, 1, &r[4], false, 700), WD_NONE);
	CHECK_EQ(wd_send(&p, 0, &r[5], false, 700), WD_NONE);
	CHECK(du_log_has(&b, "one address holds half_open_per_peer"));
	/* 192.0.2.3 is another address */
	CHECK_EQ(wd_send(&q, 1, &r[6], false, WD_ANSWER_MS), WD_ANSWER);
	CHECK_EQ(wd_send(&q, 0, &r[7], false, WD_ANSWER_MS), WD_ANSWER);
	/* all six time out (no IKE_AUTH came), in both workers */
	for (int i = 0; i < 100 && du_log_count(&b, "half-open IKE SA timed "
						    "out") < 6;
	     i++)
		usleep(100 * 1000);
	CHECK_EQ(du_log_count(&b, "half-open IKE SA timed out"), 6);
	/* worker 1 takes four from 192.0.2.1 again, then no more */
	for (int i = 8; i < 12; i++) {
		CHECK_EQ(wd_send(&p, 1, &r[i], false, WD_ANSWER_MS), WD_ANSWER);
		CHECK_EQ(r[i].worker, 1u);
	}
	CHECK_EQ(wd_send(&p, 0, &r[12], false, 700), WD_NONE);
	close(p.fd);
	close(q.fd);
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 12000), 0);
	if (test_failed())
		test_note("slowest answer: %u ms", wd_slowest_ms);
}
