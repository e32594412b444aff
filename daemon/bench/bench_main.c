/* Benchmark runner: runs every BENCH (or those matching the glob patterns
 * given as arguments) and prints their figures. */
#include "bench/bench.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bench_entry {
	const char *name;
	const char *file;
	bench_fn fn;
};

static struct bench_entry benches[256];
static size_t n_benches;

void bench_register(const char *name, bench_fn fn, const char *file)
{
	if (n_benches == sizeof(benches) / sizeof(benches[0]))
		abort();
	benches[n_benches++] = (struct bench_entry){ name, file, fn };
}

uint64_t bench_now_ns(void)
{
	static clockid_t clk = (clockid_t)-1;
	struct timespec ts;

	/* KB_BENCH_CLOCK=cpu: the thread's CPU time, so that a machine
	 * shared with other work still gives comparable figures (not the
	 * cache and memory contention, though). */
	if (clk == (clockid_t)-1) {
		const char *c = getenv("KB_BENCH_CLOCK");

		clk = c && !strcmp(c, "cpu") ? CLOCK_THREAD_CPUTIME_ID
					     : CLOCK_MONOTONIC;
	}
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_seconds(void)
{
	const char *env = getenv("KB_BENCH_SECONDS");
	double s = env ? atof(env) : 1.0;

	return s > 0 ? s : 1.0;
}

double bench_ns_per_op(void (*fn)(void *arg), void *arg, double seconds)
{
	uint64_t budget = (uint64_t)(seconds * 1e9), start, elapsed;
	uint64_t n = 0, batch = 1;

	for (int i = 0; i < 3; i++) /* warm-up */
		fn(arg);
	start = bench_now_ns();
	do {
		for (uint64_t i = 0; i < batch; i++)
			fn(arg);
		n += batch;
		if (batch < (1u << 20))
			batch *= 2;
		elapsed = bench_now_ns() - start;
	} while (elapsed < budget);
	return (double)elapsed / (double)n;
}

void bench_report(const char *what, double ours, double reference,
		  const char *reference_name, const char *unit,
		  bool higher_is_better)
{
	printf("  %-44s %14.1f %-7s | %14.1f %-7s %-26s | ", what, ours, unit,
	       reference, unit, reference_name);
	if (reference <= 0 || ours <= 0) {
		printf("ratio n/a\n");
		return;
	}
	double ratio = ours / reference;
	printf("ratio %.2f (%s)\n", ratio,
	       (ratio >= 1) == higher_is_better ? "keybridge ahead or even"
						: "keybridge behind");
}

void bench_report_alone(const char *what, double ours, const char *unit,
			const char *note)
{
	printf("  %-44s %14.1f %-7s | %s\n", what, ours, unit, note);
}

static int cmp_benches(const void *a, const void *b)
{
	const struct bench_entry *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
	unsigned ran = 0;
	const char *clk = getenv("KB_BENCH_CLOCK");

	qsort(benches, n_benches, sizeof(benches[0]), cmp_benches);
	if (clk && !strcmp(clk, "cpu"))
		printf("KB_BENCH_CLOCK=cpu: our times are CPU time of the "
		       "thread; references run as other processes (openssl "
		       "speed, ip) stay wall-clock\n");
	printf("  %-44s %22s | %-49s | %s\n", "measurement", "keybridge",
	       "reference", "ratio");
	for (size_t i = 0; i < n_benches; i++) {
		bool want = argc < 2;

		for (int j = 1; j < argc; j++)
			if (fnmatch(argv[j], benches[i].name, 0) == 0)
				want = true;
		if (!want)
			continue;
		printf("%s (%s)\n", benches[i].name, benches[i].file);
		fflush(stdout);
		benches[i].fn();
		fflush(stdout);
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "no benchmark matches\n");
		return 1;
	}
	return 0;
}
