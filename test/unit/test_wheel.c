/* test_wheel.c - wheel file names, name normalisation, version equality,
 * RFC 822 headers. */
#include <stdlib.h>

#include "cinstall.h"
#include "harness.h"
#include "wheel.h"

static void test_wheel__filename_basic(void)
{
	cinstall_wheel_filename *wf = NULL;
	cinstall_ctx *ctx = NULL;

	CHECK_OK(ctx, cinstall_ctx_new(&ctx, NULL));
	CHECK_OK(ctx, cinstall_wheel_filename_parse(&wf, ctx, "/some/dir/Foo_Bar-1.0.post1-py2.py3-none-any.whl"));
	if (wf) {
		CHECK_STR(wf->name, "Foo_Bar");
		CHECK_STR(wf->normalized_name, "foo-bar");
		CHECK_STR(wf->version, "1.0.post1");
		CHECK(wf->build_tag == NULL);
		CHECK_STR(wf->python_tag, "py2.py3");
		CHECK_STR(wf->abi_tag, "none");
		CHECK_STR(wf->platform_tag, "any");
	}
	cinstall_wheel_filename_free(wf);
	cinstall_wheel_filename_free(NULL);
	cinstall_ctx_free(ctx);
}

static void test_wheel__filename_build_tag_and_platforms(void)
{
	cinstall_wheel_filename *wf = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;

	CHECK_INT(cinstall_wheel__filename_parse(&wf, &err,
		"numpy-1.26.4-1_abc-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"), 0);
	if (wf) {
		CHECK_STR(wf->build_tag, "1_abc");
		CHECK_STR(wf->platform_tag, "manylinux_2_17_x86_64.manylinux2014_x86_64");
		CHECK_STR(wf->python_tag, "cp312");
	}
	cinstall_wheel_filename_free(wf);
}

static void test_wheel__filename_refusals_name_the_rule(void)
{
	static const struct { const char *file, *rule; } cases[] = {
		{ "foo-1.0-py3-none-any.zip", "does not end in '.whl'" },
		{ "foo-1.0-py3-none.whl", "expected {name}-{version}" },
		{ "foo-1.0-a-b-py3-none-any.whl", "expected {name}-{version}" },
		{ "foo-1.0-x1-py3-none-any.whl", "build tag must start with a digit" },
		{ "foo--py3-none-any.whl", "empty component" },
		{ "foo-1.0-py3..py2-none-any.whl", "empty or invalid tag" },
		{ "fo~o-1.0-py3-none-any.whl", "distribution name" },
		{ "_foo-1.0-py3-none-any.whl", "start and end with a letter or digit" },
		{ "foo-1.0$-py3-none-any.whl", "the version has characters" },
		{ ".whl", "expected {name}" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cinstall_wheel_filename *wf = NULL;
		cinstall_err err = CINSTALL_ERR_INIT;
		int r = cinstall_wheel__filename_parse(&wf, &err, cases[i].file);
		CHECK_INT(r, CINSTALL_EBADWHEEL);
		CHECK(wf == NULL);
		CHECK_CONTAINS(err.msg, cases[i].rule);
		CHECK_CONTAINS(err.msg, "invalid wheel file name");
		cinstall_wheel_filename_free(wf);
	}
}

static void test_wheel__public_parse_sets_context_error(void)
{
	cinstall_wheel_filename *wf = NULL;
	cinstall_ctx *ctx = NULL;

	CHECK_OK(ctx, cinstall_ctx_new(&ctx, NULL));
	CHECK_INT(cinstall_wheel_filename_parse(&wf, ctx, "nope.txt"), CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(cinstall_error_message(ctx), "nope.txt: invalid wheel file name");
	/* A NULL context is allowed. */
	CHECK_INT(cinstall_wheel_filename_parse(&wf, NULL, "nope.txt"), CINSTALL_EBADWHEEL);
	cinstall_ctx_free(ctx);
}

static void test_wheel__normalize_name(void)
{
	static const char *const cases[][2] = {
		{ "Foo", "foo" }, { "foo_bar", "foo-bar" }, { "Foo.Bar", "foo-bar" },
		{ "foo--_.bar", "foo-bar" }, { "zope.interface", "zope-interface" }, { "A", "a" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = cinstall_wheel__normalize_name(cases[i][0]);
		CHECK_STR(n, cases[i][1]);
		free(n);
	}
}

static void test_wheel__version_eq(void)
{
	static const char *const same[][2] = {
		{ "1.0", "1.0" }, { "1.0", "1.0.0" }, { "1", "1.0.0.0" }, { "v1.0", "1.0" }, { "1.0RC1", "1.0rc1" },
		{ "1.0-rc.1", "1.0rc1" }, { "1.0c1", "1.0rc1" }, { "1.0preview1", "1.0rc1" }, { "1.0alpha", "1.0a0" },
		{ "1.0beta2", "1.0b2" }, { "1.0-1", "1.0.post1" }, { "1.0_1", "1.0.post1" }, { "1.0.rev2", "1.0.post2" },
		{ "1.0r", "1.0.post0" }, { "1.0-dev3", "1.0.dev3" }, { "1.0dev", "1.0.dev0" },
		{ "1.0+ubuntu-1", "1.0+ubuntu.1" }, { "1.0+ubuntu_1", "1.0+ubuntu.1" }, { "0!1.0", "1.0" },
		{ "01.02", "1.2" }, { "2.0.0-RC.1", "2.0rc1" }, { "1.0a1.post2.dev3", "1.0a1-2.dev3" },
		{ "1.0+001", "1.0+1" }, { "Legacy-Thing", "legacy_thing" },
	};
	static const char *const differ[][2] = {
		{ "1.0", "1.1" }, { "1.0", "1.0.1" }, { "1.0a1", "1.0b1" }, { "1.0", "1.0.post0" },
		{ "1.0", "1.0+local" }, { "1!1.0", "1.0" }, { "1.0.dev1", "1.0" }, { "10", "1.0" },
		{ "legacy", "legacy2" },
	};
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		if (!cinstall_wheel__version_eq(same[i][0], same[i][1]))
			th_fail(__FILE__, __LINE__, "'%s' and '%s' should be equal", same[i][0], same[i][1]);
	}
	for (i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		if (cinstall_wheel__version_eq(differ[i][0], differ[i][1]))
			th_fail(__FILE__, __LINE__, "'%s' and '%s' should differ", differ[i][0], differ[i][1]);
	}
}

typedef struct seen {
	char names[16][64];
	char values[16][256];
	int n;
} seen;

static int collect(const char *name, const char *value, void *payload)
{
	seen *s = payload;

	if (s->n < 16) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		snprintf(s->values[s->n], sizeof(s->values[0]), "%s", value);
		s->n++;
	}
	return 0;
}

static int stop_at_two(const char *name, const char *value, void *payload)
{
	seen *s = payload;

	(void)name;
	(void)value;
	return ++s->n == 2 ? 7 : 0;
}

static void test_wheel__headers(void)
{
	static const char text[] =
		"Wheel-Version: 1.0\r\n"
		"Generator: bdist_wheel (0.40.0)\n"
		"Root-Is-Purelib:true\n"
		"Tag: py2-none-any\n"
		"Tag: py3-none-any\n"
		"Summary: a long\n"
		"  folded\n"
		"\tvalue\n"
		"\n"
		"Body: not a header\n";
	cinstall_err err = CINSTALL_ERR_INIT;
	seen s;

	memset(&s, 0, sizeof(s));
	CHECK_INT(cinstall_wheel__headers(&err, "w.whl", "WHEEL", text, sizeof(text) - 1, collect, &s), 0);
	CHECK_INT(s.n, 6);
	CHECK_STR(s.names[0], "Wheel-Version");
	CHECK_STR(s.values[0], "1.0");
	CHECK_STR(s.values[2], "true");
	CHECK_STR(s.names[4], "Tag");
	CHECK_STR(s.values[4], "py3-none-any");
	CHECK_STR(s.values[5], "a long folded value");

	/* The callback's non-zero return stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	CHECK_INT(cinstall_wheel__headers(&err, "w.whl", "WHEEL", text, sizeof(text) - 1, stop_at_two, &s), 7);

	/* A line that is not a header ends the headers, as in Python's email parser. */
	memset(&s, 0, sizeof(s));
	CHECK_INT(cinstall_wheel__headers(&err, "w.whl", "METADATA", "Name: x\nnot a header\nVersion: 1\n", 29,
	                                  collect, &s), 0);
	CHECK_INT(s.n, 1);

	/* A NUL byte is refused, naming the wheel and the file. */
	CHECK_INT(cinstall_wheel__headers(&err, "w.whl", "x.dist-info/WHEEL", "Name: a\0b\n", 10, collect, &s),
	          CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(err.msg, "w.whl: 'x.dist-info/WHEEL': NUL byte");
}

static const cinstall_test tests[] = {
	TEST(test_wheel__filename_basic),
	TEST(test_wheel__filename_build_tag_and_platforms),
	TEST(test_wheel__filename_refusals_name_the_rule),
	TEST(test_wheel__public_parse_sets_context_error),
	TEST(test_wheel__normalize_name),
	TEST(test_wheel__version_eq),
	TEST(test_wheel__headers),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
