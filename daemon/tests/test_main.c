/* Test runner: runs every registered test (or those whose names match the
 * glob patterns given as arguments), each in a child process of its own, and
 * ends with the line "N passed, N failed".
 *
 * Exit status of a child: 0 passed, 1 failed, 77 skipped; a signal (crash,
 * sanitizer abort, the per-test timeout) counts as a failure.
 */
#include "tests/test.h"

#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { TEST_EXIT_PASS = 0, TEST_EXIT_FAIL = 1, TEST_EXIT_SKIP = 77 };

struct test_entry {
	const char *name;
	const char *file;
	test_fn fn;
};

static struct test_entry *tests;
static size_t n_tests, cap_tests;
static const char *current;
static unsigned failures;

void test_register(const char *name, test_fn fn, const char *file)
{
	if (n_tests == cap_tests) {
		cap_tests = cap_tests ? cap_tests * 2 : 64;
		tests = realloc(tests, cap_tests * sizeof(*tests));
		if (!tests)
			abort();
	}
	tests[n_tests++] = (struct test_entry){ name, file, fn };
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void test_note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "    note: ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

_Noreturn void test_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "    SKIPPED %s: ", current);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	exit(failures ? TEST_EXIT_FAIL : TEST_EXIT_SKIP);
}

bool test_failed(void)
{
	return failures != 0;
}

_Noreturn void test_abort(void)
{
	fflush(stdout);
	exit(TEST_EXIT_FAIL);
}

const char *test_hex(const void *buf, size_t len)
{
	static char out[4][4096];
	static unsigned slot;
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = buf;
	char *s = out[slot++ % 4];
	size_t i, max = (sizeof(out[0]) - 4) / 2;

	for (i = 0; i < len && i < max; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * i] = 0;
	if (i < len)
		strcat(s, "...");
	return s;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long test_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p; p++) {
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == ':')
			continue;
		int d = hex_digit((unsigned char)*p);
		if (d < 0)
			return -1;
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

void test_check_mem(const char *file, int line, const char *what,
		    const void *actual, const void *expected, size_t len)
{
	if (memcmp(actual, expected, len) == 0)
		return;
	test_fail(file, line, "%s: expected %s, actual %s", what,
		  test_hex(expected, len), test_hex(actual, len));
}

int test_run_capture(const char *cmd, char *out, size_t cap)
{
	FILE *p;
	size_t n = 0, r;
	int st;

	if (cap)
		out[0] = 0;
	fflush(stdout);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < cap && (r = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += r;
	out[n] = 0;
	/* drain the rest so the child is not killed by SIGPIPE */
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static const char *tree_path(const char *env, const char *fallback,
			     const char *rel)
{
	static char buf[4][4096];
	static unsigned slot;
	const char *root = getenv(env);
	char *s = buf[slot++ % 4];

	snprintf(s, sizeof(buf[0]), "%s/%s", root ? root : fallback, rel);
	return s;
}

const char *test_src_path(const char *rel)
{
	return tree_path("KB_ROOT", ".", rel);
}

const char *test_build_path(const char *rel)
{
	return tree_path("KB_BUILD", "build", rel);
}

static int cmp_tests(const void *a, const void *b)
{
	const struct test_entry *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	return c ? c : strcmp(x->name, y->name);
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc == 0)
		return true;
	for (int i = 0; i < argc; i++)
		if (fnmatch(argv[i], name, 0) == 0)
			return true;
	return false;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs one test in a child; returns its TEST_EXIT_* outcome. */
static int run_one(const struct test_entry *t, unsigned timeout)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return TEST_EXIT_FAIL;
	}
	if (pid == 0) {
		current = t->name;
		alarm(timeout);
		t->fn();
		fflush(stdout);
		exit(failures ? TEST_EXIT_FAIL : TEST_EXIT_PASS);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return TEST_EXIT_FAIL;
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		printf("    %s: killed by signal %d (%s)%s\n", t->name, sig,
		       strsignal(sig),
		       sig == SIGALRM ? ", the per-test timeout" : "");
		return TEST_EXIT_FAIL;
	}
	status = WEXITSTATUS(status);
	if (status != TEST_EXIT_PASS && status != TEST_EXIT_SKIP)
		return TEST_EXIT_FAIL;
	return status;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0, skipped = 0, timeout = 300;
	const char *env = getenv("KB_TEST_TIMEOUT");

	if (env)
		timeout = (unsigned)atoi(env);
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		qsort(tests, n_tests, sizeof(*tests), cmp_tests);
		for (size_t i = 0; i < n_tests; i++)
			printf("%s\t%s\n", tests[i].name, tests[i].file);
		return 0;
	}
	qsort(tests, n_tests, sizeof(*tests), cmp_tests);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n_tests; i++) {
		const struct test_entry *t = &tests[i];
		if (!selected(t->name, argc - 1, argv + 1))
			continue;
		double start = now_ms();
		int r = run_one(t, timeout);
		double ms = now_ms() - start;
		const char *word = r == TEST_EXIT_PASS	 ? "PASS"
				   : r == TEST_EXIT_SKIP ? "SKIP"
							 : "FAIL";
		printf("%s %s (%.0f ms)\n", word, t->name, ms);
		if (r == TEST_EXIT_PASS)
			passed++;
		else if (r == TEST_EXIT_SKIP)
			skipped++;
		else
			failed++;
	}
	if (skipped)
		printf("%u skipped (see SKIPPED lines above for why)\n",
		       skipped);
	if (passed + failed + skipped == 0) {
		printf("no test matches\n");
		failed = 1;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
