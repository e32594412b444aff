/* The SK_REUSEPORT program (bpf/kb_steer.bpf.c) steering real datagrams:
 * two "workers" with a socket each on an IKE port and a NAT-T port (a
 * reuseport group each), the program loaded and attached by
 * kernel/steer.c, crafted IKE headers sent over loopback. Every IKE
 * datagram must arrive at the socket of the worker include/kb_steer.h
 * names; ESP on the NAT-T port and short datagrams go wherever the
 * kernel's own hash puts them. sk_reuseport programs have no
 * BPF_PROG_TEST_RUN, hence sockets. */
#include "tests/test.h"

#include "kb_steer.h"
#include "kernel/steer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { SB_WORKERS = 2 };

static int sb_socket(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(*port) };
	socklen_t len = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	REQUIRE(fd >= 0);
	REQUIRE(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ==
		0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Which of the group's sockets the datagram reached (-1: none). */
static int sb_arrived(const int *socks)
{
	uint8_t buf[256];

	for (int tries = 0; tries < 100; tries++) {
		for (int w = 0; w < SB_WORKERS; w++)
			if (recv(socks[w], buf, sizeof(buf), 0) > 0)
				return w;
		poll(NULL, 0, 2);
	}
	return -1;
}

static void sb_send(int fd, uint16_t port, const uint8_t *p, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port) };

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(sendto(fd, p, n, 0, (struct sockaddr *)&to, sizeof(to)) ==
		(ssize_t)n);
}

TEST(steer_bpf_reuseport_program_steers_real_datagrams)
{
	/* fds[group * SB_WORKERS + worker]: group 0 IKE, 1 NAT-T */
	int fds[STEER_GROUPS * SB_WORKERS];
	uint16_t ike_port = 0, natt_port = 0;
	const uint8_t lo[16] = { 127, 0, 0, 1 };
	struct steer *st = NULL;
	uint64_t steered, passed, missing;
	unsigned per_worker[SB_WORKERS] = { 0 }, sent = 0;
	char why[256];
	int client, r;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fds[i] = -1;
	for (int w = 0; w < SB_WORKERS; w++) {
		fds[0 * SB_WORKERS + w] = sb_socket(&ike_port);
		fds[1 * SB_WORKERS + w] = sb_socket(&natt_port);
	}
	r = steer_open(fds, SB_WORKERS, natt_port, &st, why, sizeof(why));
	if (r == -EPERM)
		test_skip("SK_REUSEPORT programs need CAP_BPF: %s", why);
	REQUIRE_EQ(r, 0);
	client = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(client >= 0);
	for (int i = 0; i < 64; i++) {
		uint8_t pkt[4 + KB_STEER_HDR] = { 0 }, *hdr = pkt + 4;
		bool natt = i & 1;
		uint32_t want;

		/* SPIi varies; a third are IKE_SA_INIT requests (SPIr 0),
		 * a third from the initiator, a third from the responder */
		for (int k = 0; k < 8; k++)
			hdr[k] = (uint8_t)(i * 37 + k * 11 + 1);
		if (i % 3) {
			hdr[8] = (uint8_t)(i * 5);
			hdr[15] = 1;
		}
		hdr[17] = 0x20;				       /* IKEv2 */
		hdr[19] = i % 3 == 2 ? 0x20 : KB_STEER_FLAG_I; /* flags */
		want = kb_steer_worker(hdr, lo, SB_WORKERS);
		if (natt)
			sb_send(client, natt_port, pkt, sizeof(pkt));
		else
			sb_send(client, ike_port, hdr, KB_STEER_HDR);
		r = sb_arrived(&fds[natt * SB_WORKERS]);
		if (r != (int)want)
			test_fail(__FILE__, __LINE__,
				  "datagram %d (%s port) reached worker %d, "
				  "not %u",
				  i, natt ? "NAT-T" : "IKE", r, want);
		else
			per_worker[want]++;
		sent++;
	}
	/* ESP on the NAT-T port, and a datagram too short for IKE: the
	 * kernel's hash places them, on some socket of the group */
	sb_send(client, natt_port, (const uint8_t *)"\x12\x34\x56\x78....", 8);
	CHECK(sb_arrived(&fds[SB_WORKERS]) >= 0);
	sb_send(client, ike_port, (const uint8_t *)"short", 5);
	CHECK(sb_arrived(&fds[0]) >= 0);
	steer_stats(st, &steered, &passed, &missing);
	CHECK_EQ(steered, (uint64_t)sent);
	CHECK_EQ(passed, 2u);
	CHECK_EQ(missing, 0u);
	/* both workers got some: the test would pass for a program that
	 * steers nothing only if every datagram hashed to one worker */
	CHECK(per_worker[0] > 8 && per_worker[1] > 8);
	test_note("%u IKE datagrams: %u to worker 0, %u to worker 1", sent,
		  per_worker[0], per_worker[1]);
	steer_free(st);
	close(client);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
