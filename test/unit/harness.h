/* harness.h - a small unit test harness.
 *
 * A test file defines `static void test_<suite>__<case>(void)` functions and
 * lists them:
 *
 *     static const cinstall_test tests[] = {
 *         TEST(test_wheel__filename_basic),
 *         ...
 *         { NULL, NULL }
 *     };
 *     int main(int argc, char **argv) { return th_run(argc, argv, tests); }
 *
 * Each test runs in a fresh empty directory (its cwd) that is removed after.
 * Output is one line per test: "ok <name>", "FAIL <name>: <why>" or
 * "skip <name>: <reason>", which test/run.sh counts.
 */
#ifndef CINSTALL_TEST_HARNESS_H
#define CINSTALL_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "buf.h"

typedef struct cinstall_test {
	const char *name;
	void (*fn)(void);
} cinstall_test;

#define TEST(fn) { #fn, fn }

int th_run(int argc, char **argv, const cinstall_test *tests);

/* Record a failure (the test goes on; it is reported failed at its end). */
void th_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Mark the running test skipped, with a reason; return from it after. */
void th_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command; its stdout is appended to `out` (when not NULL).
 * Returns the exit status, or -1 when it could not run or was killed. */
int th_sh(cinstall_buf *out, const char *cmd);

/* The directory holding the test data: $FIXTURES or "fixtures". */
const char *th_fixtures(void);
/* The build directory: $BUILD or "build". */
const char *th_build(void);
/* The directory the current test started in (absolute, fresh, empty). */
const char *th_tmpdir(void);

#define CHECK(cond) \
	do { if (!(cond)) th_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
/* Check that a libcinstall call returned 0; print the context's message if not. */
#define CHECK_OK(ctx, expr) \
	do { int th_r_ = (expr); if (th_r_ != 0) th_fail(__FILE__, __LINE__, "%s = %d: %s", #expr, th_r_, \
		(ctx) ? cinstall_error_message(ctx) : ""); } while (0)
#define CHECK_INT(a, b) \
	do { long long th_a_ = (long long)(a), th_b_ = (long long)(b); if (th_a_ != th_b_) \
		th_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, th_a_, th_b_); } while (0)
#define CHECK_STR(a, b) \
	do { const char *th_a_ = (a), *th_b_ = (b); if (!th_a_ || !th_b_ || strcmp(th_a_, th_b_)) \
		th_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, th_a_ ? th_a_ : "(null)", th_b_ ? th_b_ : "(null)"); } while (0)
#define CHECK_CONTAINS(hay, needle) \
	do { const char *th_h_ = (hay), *th_n_ = (needle); if (!th_h_ || !strstr(th_h_, th_n_)) \
		th_fail(__FILE__, __LINE__, "%s == \"%s\", does not contain \"%s\"", #hay, th_h_ ? th_h_ : "(null)", th_n_); } while (0)

#endif
