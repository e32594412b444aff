/* Benchmark of the byte reader and writer: the floor under every codec
 * figure. The reference is memcpy of the same bytes. */
#include "bench/bench.h"
#include "engine/rd.h"
#include "engine/wr.h"

#include <string.h>

static uint8_t buf[1024];
static volatile uint64_t sink;

static void read_fields(void *arg)
{
	struct rd r = rd_init(buf, sizeof(buf));
	uint64_t acc = 0;

	(void)arg;
	while (rd_left(&r) >= 8)
		acc += rd_u32(&r) + rd_u16(&r) + rd_u8(&r) + rd_u8(&r);
	sink = acc;
}

static void copy_bytes(void *arg)
{
	static uint8_t out[sizeof(buf)];

	(void)arg;
	memcpy(out, buf, sizeof(buf));
	__asm__ volatile("" : : "r"(out) : "memory");
	sink = out[7];
}

static void write_fields(void *arg)
{
	static uint8_t out[sizeof(buf)];
	struct wr w = wr_init(out, sizeof(out));

	(void)arg;
	for (unsigned i = 0; i < sizeof(buf) / 8; i++) {
		wr_u32(&w, i);
		wr_u16(&w, (uint16_t)i);
		wr_u8(&w, 1);
		wr_u8(&w, 2);
	}
	__asm__ volatile("" : : "r"(out) : "memory");
	sink = wr_len(&w);
}

BENCH(bytes_reader_writer)
{
	double s = bench_seconds() / 2;
	double mc = bench_ns_per_op(copy_bytes, NULL, s);

	bench_report("rd: 1 KiB as u32/u16/u8/u8 fields",
		     bench_ns_per_op(read_fields, NULL, s), mc, "memcpy 1 KiB",
		     "ns/op", false);
	bench_report("wr: 1 KiB as u32/u16/u8/u8 fields",
		     bench_ns_per_op(write_fields, NULL, s), mc, "memcpy 1 KiB",
		     "ns/op", false);
}
