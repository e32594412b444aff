/* Per-packet cost of keybridge's tc classifier (bpf/kb_sa.bpf.c, mode 2),
 * measured with BPF_PROG_TEST_RUN in the kernel, beside an empty tc
 * program run the same way (the floor: the test-run harness and the
 * program call). The fentry program (mode 1) cannot be test-run on its own
 * hook; its cost shows as ESP throughput with and without it in
 * kmod-tests/62-bpf-throughput.sh.
 */
#include "bench/bench.h"
#include "kernel/bpf.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { REPEAT = 1000000 };

/* mov r0, -1 (TC_ACT_UNSPEC); exit */
static int bench_bpf_empty_prog(void)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = 0,
		  .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "kb_bench_empty", "GPL",
			     insns, 2, NULL);
}

/* Ethernet + IPv4 10.0.0.1 -> 10.0.0.2 + `pl`. */
static size_t bench_bpf_frame(uint8_t *f, uint8_t proto, const uint8_t *pl,
			      size_t n)
{
	static const uint8_t hdr[34] = {
		2,    0,    0, 0, 0,  2, 2, 0, 0,  0, 0, 1,
		0x08, 0x00,				    /* Ethernet */
		0x45, 0,    0, 0, 0,  0, 0, 0, 64, 0, 0, 0, /* IPv4 */
		10,   0,    0, 1, 10, 0, 0, 2,
	};

	memcpy(f, hdr, sizeof(hdr));
	f[14 + 2] = (uint8_t)((20 + n) >> 8);
	f[14 + 3] = (uint8_t)(20 + n);
	f[14 + 9] = proto;
	memcpy(f + sizeof(hdr), pl, n);
	return sizeof(hdr) + n;
}

static double bench_bpf_run(int fd, struct bpf_usage *b, const uint8_t *f,
			    size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f,
		    .data_size_in = (uint32_t)n, .repeat = REPEAT);
	uint32_t ns = 0;
	int ret;

	if (b)
		return bpf_usage_test_run(b, false, f, n, REPEAT, &ret, &ns) < 0
			       ? -1.0
			       : (double)ns;
	return bpf_prog_test_run_opts(fd, &t) < 0 ? -1.0 : (double)t.duration;
}

BENCH(bpf_tc_per_packet)
{
	struct bpf_usage_opts o = { .mode = KB_BPF_TC };
	struct bpf_usage *b = NULL;
	struct kb_sa_key k;
	uint8_t esp[1400], udp[1408], f[1500];
	const uint8_t dst[4] = { 10, 0, 0, 2 };
	char why[512];
	int empty = bench_bpf_empty_prog();

	if (empty < 0 || bpf_usage_open(&o, &b, why, sizeof(why)) < 0) {
		printf("  bpf_tc_per_packet: BPF refused here (%s); skipped\n",
		       empty < 0 ? strerror(errno) : why);
		if (empty >= 0)
			close(empty);
		return;
	}
	memset(esp, 0xa5, sizeof(esp));
	memcpy(esp, "\x00\x00\x10\x01\x00\x00\x00\x07", 8);
	bpf_usage_key(&k, 0x1001, IPPROTO_ESP, AF_INET, dst);
	(void)bpf_usage_sa_add(b, &k, &(struct kb_sa_limit){ .bytes = ~0ULL });
	/* UDP 4500 -> 4500 around the same ESP packet (RFC 3948) */
	memcpy(udp, "\x11\x94\x11\x94\x05\x80\x00\x00", 8);
	memcpy(udp + 8, esp, sizeof(esp));

	size_t n = bench_bpf_frame(f, IPPROTO_ESP, esp, sizeof(esp));
	double floor = bench_bpf_run(empty, NULL, f, n);
	bench_report("tc classifier, ESP of a tracked SA (1434-byte frame)",
		     bench_bpf_run(-1, b, f, n), floor,
		     "empty tc program, same harness", "ns/packet", false);
	n = bench_bpf_frame(f, IPPROTO_UDP, udp, sizeof(udp));
	bench_report("tc classifier, ESP-in-UDP of a tracked SA",
		     bench_bpf_run(-1, b, f, n), floor,
		     "empty tc program, same harness", "ns/packet", false);
	esp[3] = 0x02; /* SPI 0x1002: nobody's */
	n = bench_bpf_frame(f, IPPROTO_ESP, esp, sizeof(esp));
	bench_report("tc classifier, ESP of an untracked SA",
		     bench_bpf_run(-1, b, f, n), floor,
		     "empty tc program, same harness", "ns/packet", false);
	n = bench_bpf_frame(f, IPPROTO_TCP, esp, sizeof(esp));
	bench_report("tc classifier, TCP (not IPsec)",
		     bench_bpf_run(-1, b, f, n), floor,
		     "empty tc program, same harness", "ns/packet", false);
	bpf_usage_close(b);
	close(empty);
}
