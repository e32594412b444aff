/* Benchmark framework for keybridge (`make bench`).
 *
 * A benchmark is a function declared with BENCH(name). It measures something
 * and reports each figure with bench_report(), side by side with the
 * reference it is measured against (strongSwan, `openssl speed`, `ip -batch`,
 * a computed ceiling …) and the ratio of the two. Benchmarks print numbers;
 * they do not pass or fail on them.
 */
#ifndef KB_BENCH_H
#define KB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*bench_fn)(void);

void bench_register(const char *name, bench_fn fn, const char *file);

#define BENCH(name)                                                            \
	static void bench_##name(void);                                        \
	__attribute__((constructor)) static void bench_reg_##name(void)        \
	{                                                                      \
		bench_register(#name, bench_##name, __FILE__);                 \
	}                                                                      \
	static void bench_##name(void)

/* Monotonic time in nanoseconds; with KB_BENCH_CLOCK=cpu the calling
 * thread's CPU time instead (a shared, loaded machine). */
uint64_t bench_now_ns(void);

/* Runs `fn(arg)` repeatedly for about `seconds` (after a short warm-up) and
 * returns the mean nanoseconds per call. */
double bench_ns_per_op(void (*fn)(void *arg), void *arg, double seconds);

/* Prints one figure: what was measured, our value, the reference's value and
 * what the reference is, with their ratio (ours / reference). `unit` says
 * what the numbers are ("ns/op", "ops/s", "bytes"); `higher_is_better`
 * decides how the ratio is worded. A reference of 0 prints "n/a". */
void bench_report(const char *what, double ours, double reference,
		  const char *reference_name, const char *unit,
		  bool higher_is_better);

/* Prints a figure that has no reference (say why in `note`). */
void bench_report_alone(const char *what, double ours, const char *unit,
			const char *note);

/* Seconds each measurement runs: $KB_BENCH_SECONDS, default 1. */
double bench_seconds(void);

#endif
