/* Minimal test framework for keybridge.
 *
 * A test is a function declared with TEST(name). Every test runs in a child
 * process of its own, so a crash, a sanitizer report or a leak fails that test
 * alone. CHECK_* report a failure with file, line, expected and actual value
 * and go on; REQUIRE_* report it and end the test.
 */
#ifndef KB_TEST_H
#define KB_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void (*test_fn)(void);

/* Registers a test; called by TEST() before main(). */
void test_register(const char *name, test_fn fn, const char *file);

/* Records a failure for the running test and prints where and why. */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ends the running test as skipped with a reason printed loudly; use only
 * where the machine lacks what the test needs, never to hide a failure. */
_Noreturn void test_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Prints a note under the running test's name (e.g. what a tool said). */
void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ends the running test now, keeping the failures recorded so far. */
_Noreturn void test_abort(void);

/* True if the running test has recorded a failure so far. */
bool test_failed(void);

/* Formats `len` bytes as lowercase hex into a static buffer (test output). */
const char *test_hex(const void *buf, size_t len);

/* Decodes a hex string, ignoring spaces, newlines and `#...` comments to the
 * end of the line, into `out`; returns the byte count, or -1 on bad input. */
long test_unhex(const char *hex, uint8_t *out, size_t cap);

/* Runs `cmd` with /bin/sh, puts up to cap-1 bytes of its standard output
 * (NUL-terminated) in `out` and returns its exit status, or -1 if it could
 * not run or died by a signal. The rest of the output is drained. */
int test_run_capture(const char *cmd, char *out, size_t cap);

/* Path of a file in the source tree ($KB_ROOT) or build tree ($KB_BUILD). */
const char *test_src_path(const char *rel);
const char *test_build_path(const char *rel);

#define TEST(name)                                                             \
	static void test_##name(void);                                         \
	__attribute__((constructor)) static void test_reg_##name(void)         \
	{                                                                      \
		test_register(#name, test_##name, __FILE__);                   \
	}                                                                      \
	static void test_##name(void)

#define CHECK_INT_(a, op, b, fatal)                                            \
	do {                                                                   \
		long long test_a_ = (long long)(a), test_b_ = (long long)(b);  \
		if (!(test_a_ op test_b_)) {                                   \
			test_fail(__FILE__, __LINE__,                          \
				  "%s %s %s: expected %lld, actual %lld", #a,  \
				  #op, #b, test_b_, test_a_);                  \
			if (fatal)                                             \
				test_abort();                                  \
		}                                                              \
	} while (0)

#define CHECK_EQ(actual, expected)   CHECK_INT_(actual, ==, expected, 0)
#define CHECK_NE(actual, expected)   CHECK_INT_(actual, !=, expected, 0)
#define CHECK_LT(actual, bound)	     CHECK_INT_(actual, <, bound, 0)
#define CHECK_LE(actual, bound)	     CHECK_INT_(actual, <=, bound, 0)
#define CHECK_GT(actual, bound)	     CHECK_INT_(actual, >, bound, 0)
#define CHECK_GE(actual, bound)	     CHECK_INT_(actual, >=, bound, 0)
#define REQUIRE_EQ(actual, expected) CHECK_INT_(actual, ==, expected, 1)
#define REQUIRE_NE(actual, expected) CHECK_INT_(actual, !=, expected, 1)
#define REQUIRE_GE(actual, bound)    CHECK_INT_(actual, >=, bound, 1)

#define CHECK_TRUE_(cond, fatal)                                               \
	do {                                                                   \
		if (!(cond)) {                                                 \
			test_fail(__FILE__, __LINE__,                          \
				  "%s: expected true, actual false", #cond);   \
			if (fatal)                                             \
				test_abort();                                  \
		}                                                              \
	} while (0)
#define CHECK(cond)   CHECK_TRUE_(cond, 0)
#define REQUIRE(cond) CHECK_TRUE_(cond, 1)

#define CHECK_STR_(actual, expected, fatal)                                    \
	do {                                                                   \
		const char *test_a_ = (actual), *test_e_ = (expected);         \
		if (!test_a_ || !test_e_ || strcmp(test_a_, test_e_) != 0) {   \
			test_fail(__FILE__, __LINE__,                          \
				  "%s: expected \"%s\", actual \"%s\"",        \
				  #actual, test_e_ ? test_e_ : "(null)",       \
				  test_a_ ? test_a_ : "(null)");               \
			if (fatal)                                             \
				test_abort();                                  \
		}                                                              \
	} while (0)
#define CHECK_STR(actual, expected)   CHECK_STR_(actual, expected, 0)
#define REQUIRE_STR(actual, expected) CHECK_STR_(actual, expected, 1)

/* Compares two byte buffers; prints both in hex when they differ. */
#define CHECK_MEM(actual, expected, len)                                       \
	test_check_mem(__FILE__, __LINE__, #actual, actual, expected, len)
void test_check_mem(const char *file, int line, const char *what,
		    const void *actual, const void *expected, size_t len);

#endif
