/* test_casefold.c - names that collide on case-insensitive filesystems, and
 * the .data scheme keys (both judged by the unpacker before publishing). */
#include <stdio.h>
#include <stdlib.h>

#include "casefold.h"
#include "harness.h"
#include "wheel.h"

static const char *at(const void *payload, size_t i)
{
	return ((const char *const *)payload)[i];
}

static int check(cinstall_err *err, const char *const *paths, size_t n)
{
	cinstall_err__clear(err);
	return cinstall_casefold__check(err, "w.whl", n, at, paths, (locale_t)0);
}

static void test_casefold__collisions_refused(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	const char *files[] = { "pkg/Data.py", "pkg/__init__.py", "pkg/data.py" };
	const char *filedir[] = { "pkg/Sub", "pkg/sub/x.py" };
	const char *unicode[] = { "pkg/\xc3\x84.py", "pkg/\xc3\xa4.py" };       /* Ä, ä */
	const char *sharp[] = { "pkg/\xe1\xba\x9e.py", "pkg/\xc3\x9f.py" };     /* ẞ, ß */
	const char *deep[] = { "A/b/C/d.py", "a/B/c/D.py" };

	CHECK_INT(check(&err, files, 3), CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(err.msg, "w.whl: 'pkg/data.py': name differs only in case from 'pkg/Data.py'");
	CHECK_INT(check(&err, filedir, 2), CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(err.msg, "name differs only in case");
	CHECK_CONTAINS(err.msg, "'pkg/Sub'");
	CHECK_INT(check(&err, unicode, 2), CINSTALL_EBADWHEEL);
	CHECK_INT(check(&err, sharp, 2), CINSTALL_EBADWHEEL);
	CHECK_INT(check(&err, deep, 2), CINSTALL_EBADWHEEL);
}

static void test_casefold__no_false_alarms(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	/* Directories that differ in case merge, and each file survives. */
	const char *dirs[] = { "A/x.py", "a/y.py" };
	const char *plain[] = { "pkg/a.py", "pkg/a.pyi", "pkg/ab.py", "pkg/sub/a.py", "pkg-1.0.dist-info/RECORD" };
	const char *one[] = { "Only.py" };
	char **many;
	size_t i, n = 20000;

	CHECK_INT(check(&err, dirs, 2), 0);
	CHECK_INT(check(&err, plain, 5), 0);
	CHECK_INT(check(&err, one, 1), 0);
	CHECK_INT(check(&err, NULL, 0), 0);
	/* Many names in few directories: no collision, and the hashes of
	 * similar names do not meet by chance. */
	many = calloc(n + 1, sizeof(*many));
	CHECK(many != NULL);
	if (!many)
		return;
	for (i = 0; i < n; i++) {
		many[i] = malloc(64);
		if (many[i])
			snprintf(many[i], 64, "pkg/d%zu/m%zu.py", i % 37, i);
	}
	CHECK_INT(check(&err, (const char *const *)many, n), 0);
	snprintf(many[n - 1], 64, "pkg/D5/M%zu.py", (size_t)5);
	CHECK_INT(check(&err, (const char *const *)many, n), CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(err.msg, "m5.py");
	for (i = 0; i < n; i++)
		free(many[i]);
	free(many);
}

static void test_casefold__data_keys(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	const char *rest = NULL;

	CHECK_INT(cinstall_wheel__data_key(&err, "w.whl", "w-1.0.data", "w-1.0.data/scripts/run", &rest),
	          CINSTALL_DATA_SCRIPTS);
	CHECK_STR(rest, "run");
	CHECK_INT(cinstall_wheel__data_key(&err, "w.whl", "w-1.0.data", "w-1.0.data/data/share/x", &rest),
	          CINSTALL_DATA_DATA);
	CHECK_STR(rest, "share/x");
	CHECK_INT(cinstall_wheel__data_key(&err, "w.whl", "w-1.0.data", "w-1.0.data/purelibx/a", &rest),
	          CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(err.msg, "w.whl: 'w-1.0.data/purelibx/a': unknown scheme directory 'purelibx'");
	CHECK_INT(cinstall_wheel__data_key(&err, "w.whl", "w-1.0.data", "w-1.0.data/headers", &rest),
	          CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(err.msg, "not inside a scheme directory");
}

static const cinstall_test tests[] = {
	TEST(test_casefold__collisions_refused),
	TEST(test_casefold__no_false_alarms),
	TEST(test_casefold__data_keys),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
