/* harness.c - runs the tests of one file, each in a fresh directory. */
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int failed;
static int skipped;
static char skip_reason[512];
static char fail_msg[2048];
static char tmpdir[PATH_MAX];

void th_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	size_t len = strlen(fail_msg);

	if (failed++ == 0 && len < sizeof(fail_msg)) {
		int n = snprintf(fail_msg + len, sizeof(fail_msg) - len, "%s:%d: ", file, line);
		if (n > 0 && (size_t)n < sizeof(fail_msg) - len) {
			va_start(ap, fmt);
			vsnprintf(fail_msg + len + n, sizeof(fail_msg) - len - n, fmt, ap);
			va_end(ap);
		}
	}
	/* Every failure goes to stderr in full; the summary line shows the first. */
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void th_skip(const char *fmt, ...)
{
	va_list ap;

	skipped = 1;
	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
}

int th_sh(cinstall_buf *out, const char *cmd)
{
	char chunk[4096];
	size_t n;
	int st;
	FILE *p;

	fflush(stdout);
	if (!(p = popen(cmd, "r")))
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (out)
			cinstall_buf__put(out, chunk, n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *th_fixtures(void)
{
	const char *f = getenv("FIXTURES");
	return f && *f ? f : "fixtures";
}

const char *th_build(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

const char *th_tmpdir(void)
{
	return tmpdir;
}

int th_run(int argc, char **argv, const cinstall_test *tests)
{
	char cwd[PATH_MAX], cmd[PATH_MAX + 32];
	const char *base = getenv("TMPDIR");
	const cinstall_test *t;
	int nfail = 0;

	if (!getcwd(cwd, sizeof(cwd)))
		return 2;
	for (t = tests; t->name; t++) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		snprintf(tmpdir, sizeof(tmpdir), "%s/cinstall-unit-XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(tmpdir) || chdir(tmpdir) < 0) {
			printf("FAIL %s: cannot make a temporary directory: %s\n", t->name, strerror(errno));
			nfail++;
			continue;
		}
		failed = 0;
		skipped = 0;
		fail_msg[0] = '\0';
		t->fn();
		if (chdir(cwd) < 0)
			return 2;
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "  warning: cannot remove %s\n", tmpdir);
		if (failed) {
			printf("FAIL %s: %s\n", t->name, fail_msg);
			nfail++;
		} else if (skipped) {
			printf("skip %s: %s\n", t->name, skip_reason);
		} else {
			printf("ok %s\n", t->name);
		}
		fflush(stdout);
	}
	return nfail ? 1 : 0;
}
