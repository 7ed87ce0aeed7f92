/* test_conflicts.c - conflict detection between distributions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conflicts.h"
#include "harness.h"

static const char *XA = "0123456789abcdef0123456789abcdef";
static const char *XB = "fedcba9876543210fedcba9876543210";

/* The list as "path:a:b" lines, for one comparison per test. */
static char *listing(cinstall_conflicts *c, size_t *count)
{
	cinstall_conflict *list = NULL;
	size_t n = 0, i, len = 0;
	char *out = calloc(1, 8192);

	if (cinstall_conflicts__list(&list, &n, c) != 0) {
		th_fail(__FILE__, __LINE__, "cinstall_conflicts__list failed");
		return out;
	}
	for (i = 0; i < n && len < 8000; i++)
		len += (size_t)snprintf(out + len, 8192 - len, "%s:%s:%s\n", list[i].path, list[i].dist_a,
		                        list[i].dist_b);
	if (count)
		*count = n;
	if (n == 0)
		CHECK(list == NULL);
	cinstall_conflicts__free_list(list, n);
	return out;
}

static void test_conflicts__identical_files_are_fine(void)
{
	cinstall_conflicts *c = NULL;
	char *s;
	size_t n = 99;

	CHECK_INT(cinstall_conflicts__new(&c), 0);
	/* A namespace package's __init__.py, the same in both wheels. */
	CHECK_INT(cinstall_conflicts__add(c, "ns-a", "ns/__init__.py", 42, XA), 0);
	CHECK_INT(cinstall_conflicts__add(c, "ns-b", "ns/__init__.py", 42, XA), 0);
	/* Shared directories are not conflicts. */
	CHECK_INT(cinstall_conflicts__add(c, "ns-a", "ns/a/mod.py", 10, XA), 0);
	CHECK_INT(cinstall_conflicts__add(c, "ns-b", "ns/b/mod.py", 10, XB), 0);
	/* Equal sizes without a hash on one side count as identical. */
	CHECK_INT(cinstall_conflicts__add(c, "ns-a", "ns/py.typed", 0, NULL), 0);
	CHECK_INT(cinstall_conflicts__add(c, "ns-b", "ns/py.typed", 0, XB), 0);
	/* One distribution registering a path twice is not a conflict. */
	CHECK_INT(cinstall_conflicts__add(c, "ns-a", "ns/a/mod.py", 11, XB), 0);
	s = listing(c, &n);
	CHECK_INT(n, 0);
	CHECK_STR(s, "");
	free(s);
	cinstall_conflicts__free(c);
}

static void test_conflicts__different_content(void)
{
	cinstall_conflicts *c = NULL;
	char *s;
	size_t n = 0;

	CHECK_INT(cinstall_conflicts__new(&c), 0);
	/* Different sizes. */
	CHECK_INT(cinstall_conflicts__add(c, "alpha", "shared/util.py", 100, XA), 0);
	CHECK_INT(cinstall_conflicts__add(c, "beta", "shared/util.py", 120, XA), 0);
	/* Same size, different XXH3: caught without reading the files. */
	CHECK_INT(cinstall_conflicts__add(c, "alpha", "shared/data.bin", 64, XA), 0);
	CHECK_INT(cinstall_conflicts__add(c, "beta", "shared/data.bin", 64, XB), 0);
	/* A third distribution is paired with the first. */
	CHECK_INT(cinstall_conflicts__add(c, "gamma", "shared/util.py", 130, NULL), 0);
	/* ... but not when it matches the first. */
	CHECK_INT(cinstall_conflicts__add(c, "delta", "shared/data.bin", 64, XA), 0);
	s = listing(c, &n);
	CHECK_INT(n, 3);
	CHECK_STR(s, "shared/data.bin:alpha:beta\n"
	             "shared/util.py:alpha:beta\n"
	             "shared/util.py:alpha:gamma\n");
	free(s);
	cinstall_conflicts__free(c);
}

static void test_conflicts__file_vs_directory(void)
{
	cinstall_conflicts *c = NULL;
	char *s;

	CHECK_INT(cinstall_conflicts__new(&c), 0);
	/* A file first, then a directory of the same name. */
	CHECK_INT(cinstall_conflicts__add(c, "one", "tool", 5, NULL), 0);
	CHECK_INT(cinstall_conflicts__add(c, "two", "tool/__init__.py", 0, NULL), 0);
	CHECK_INT(cinstall_conflicts__add(c, "two", "tool/main.py", 9, NULL), 0);
	/* A directory first (deep), then a file at an inner level. */
	CHECK_INT(cinstall_conflicts__add(c, "one", "lib/x/y/z.py", 1, NULL), 0);
	CHECK_INT(cinstall_conflicts__add(c, "two", "lib/x", 7, NULL), 0);
	CHECK_INT(cinstall_conflicts__add(c, "three", "lib/x/y/w.py", 1, NULL), 0);
	s = listing(c, NULL);
	CHECK_STR(s, "lib/x:one:two\n"
	             "tool:one:two\n");
	free(s);
	cinstall_conflicts__free(c);
}

static void test_conflicts__sorted_and_scales(void)
{
	cinstall_conflicts *c = NULL;
	cinstall_conflict *list = NULL;
	char path[64];
	size_t n = 0, i;
	int k, bad = 0;

	CHECK_INT(cinstall_conflicts__new(&c), 0);
	/* 20000 files each in two distributions; every 100th differs. */
	for (k = 19999; k >= 0; k--) {
		snprintf(path, sizeof(path), "pkg/sub%d/f%05d.py", k % 37, k);
		if (cinstall_conflicts__add(c, "first", path, 10, XA) < 0)
			bad++;
	}
	for (k = 0; k < 20000; k++) {
		snprintf(path, sizeof(path), "pkg/sub%d/f%05d.py", k % 37, k);
		if (cinstall_conflicts__add(c, "second", path, 10, k % 100 ? XA : XB) < 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(cinstall_conflicts__list(&list, &n, c), 0);
	CHECK_INT(n, 200);
	for (i = 1; i < n; i++)
		if (strcmp(list[i - 1].path, list[i].path) >= 0)
			bad++;
	CHECK_INT(bad, 0);
	CHECK_STR(n ? list[0].path : NULL, "pkg/sub0/f00000.py");
	CHECK_STR(n ? list[0].dist_a : NULL, "first");
	CHECK_STR(n ? list[0].dist_b : NULL, "second");
	cinstall_conflicts__free_list(list, n);
	cinstall_conflicts__free(c);
}

static void test_conflicts__arguments(void)
{
	cinstall_conflicts *c = NULL;

	CHECK_INT(cinstall_conflicts__new(&c), 0);
	CHECK_INT(cinstall_conflicts__add(c, "", "a", 1, NULL), CINSTALL_EINVAL);
	CHECK_INT(cinstall_conflicts__add(c, "d", "", 1, NULL), CINSTALL_EINVAL);
	CHECK_INT(cinstall_conflicts__add(c, NULL, "a", 1, NULL), CINSTALL_EINVAL);
	cinstall_conflicts__free(c);
	cinstall_conflicts__free(NULL);
	cinstall_conflicts__free_list(NULL, 0);
}

static void mark(uint64_t tag, void *payload)
{
	cinstall_buf *b = payload;

	cinstall_buf__printf(b, "%llx ", (unsigned long long)tag);
}

/* Registered in any order, tagged: the same conflicts, the lowest tag as
 * the first registrant; each_shared names every file two wheels write. */
static void test_conflicts__tags_order_and_shared(void)
{
	static const unsigned char HA[16] = { 1 }, HB[16] = { 2 };
	cinstall_conflicts *c = NULL;
	cinstall_buf shared = CINSTALL_BUF_INIT;
	char *s;
	size_t n = 0;

	CHECK_INT(cinstall_conflicts__new(&c), 0);
	/* Wheel 1 registers before wheel 0 (threads), but 0 comes first. */
	CHECK_INT(cinstall_conflicts__add_tagged(c, "b", "pkg/x.py", 5, HB, 0x100000000ull), 0);
	CHECK_INT(cinstall_conflicts__add_tagged(c, "b", "pkg/same.py", 5, HA, 0x100000001ull), 0);
	CHECK_INT(cinstall_conflicts__add_tagged(c, "b", "deep/a/b/c.py", 5, HA, 0x100000002ull), 0);
	CHECK_INT(cinstall_conflicts__add_tagged(c, "a", "pkg/x.py", 5, HA, 0), 0);
	CHECK_INT(cinstall_conflicts__add_tagged(c, "a", "pkg/same.py", 5, HA, 1), 0);
	CHECK_INT(cinstall_conflicts__add_tagged(c, "a", "deep/a", 1, NULL, 2), 0);
	CHECK_INT(cinstall_conflicts__add_tagged(c, "a", "only/a.py", 1, NULL, 3), 0);
	s = listing(c, &n);
	CHECK_INT(n, 2);
	CHECK_STR(s, "deep/a:a:b\npkg/x.py:a:b\n");
	free(s);
	CHECK_INT(cinstall_conflicts__each_shared(c, mark, &shared), 0);
	/* pkg/x.py and pkg/same.py, in both wheels; not deep/a (a directory for b). */
	CHECK_INT(shared.len, 24); /* "0 1 100000000 100000001 " in some order */
	CHECK_CONTAINS(cinstall_buf__cstr(&shared), "100000000 ");
	CHECK_CONTAINS(cinstall_buf__cstr(&shared), "100000001 ");
	CHECK(strncmp(cinstall_buf__cstr(&shared), "0 ", 2) == 0 || strstr(cinstall_buf__cstr(&shared), " 0 ") != NULL);
	CHECK(strncmp(cinstall_buf__cstr(&shared), "1 ", 2) == 0 || strstr(cinstall_buf__cstr(&shared), " 1 ") != NULL);
	cinstall_buf__release(&shared);
	cinstall_conflicts__free(c);
}

/* Paths of any length among short ones (a long one is kept in a block of
 * its own, one near the size of a block fills most of one), and files
 * registered after a listing are in the next one. */
static void test_conflicts__long_paths_and_late_adds(void)
{
	static const size_t lens[] = { 16383, 16384, 16385, 20000, 70000 };
	cinstall_conflicts *c = NULL;
	cinstall_conflict *list = NULL;
	char *big[5], name[32];
	size_t n = 0, i, k;
	int bad = 0;

	CHECK_INT(cinstall_conflicts__new(&c), 0);
	for (i = 0; i < 5; i++) {
		/* "d<i>/xxxx.../f": a directory and a file in it. */
		big[i] = malloc(lens[i] + 1);
		memset(big[i], 'x', lens[i]);
		big[i][0] = 'd';
		big[i][1] = (char)('0' + i);
		big[i][2] = '/';
		big[i][lens[i] - 2] = '/';
		big[i][lens[i] - 1] = 'f';
		big[i][lens[i]] = '\0';
	}
	for (k = 0; k < 3000; k++) {
		snprintf(name, sizeof(name), "pkg/m%04zu.py", k);
		if (cinstall_conflicts__add(c, "a", name, 1, XA) < 0 || cinstall_conflicts__add(c, "b", name, 1, XA) < 0)
			bad++;
		if (k % 600 == 0 && (cinstall_conflicts__add(c, "a", big[k / 600], 7, XA) < 0 ||
		                     cinstall_conflicts__add(c, "b", big[k / 600], k / 600 % 2 ? 7 : 8, XA) < 0))
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(cinstall_conflicts__list(&list, &n, c), 0);
	/* d0, d2, d4 differ in size; d1, d3 are the same file. */
	CHECK_INT(n, 3);
	for (i = 0; i < n && i < 3; i++) {
		CHECK_INT(strlen(list[i].path), lens[2 * i]);
		CHECK(!strcmp(list[i].path, big[2 * i]));
	}
	cinstall_conflicts__free_list(list, n);
	/* Registered after listing: seen by the next listing. */
	CHECK_INT(cinstall_conflicts__add(c, "c", "pkg/m0001.py", 2, XB), 0);
	CHECK_INT(cinstall_conflicts__add(c, "c", big[1], 7, XB), 0);
	CHECK_INT(cinstall_conflicts__list(&list, &n, c), 0);
	CHECK_INT(n, 5);
	for (i = 0, k = 0; i < n; i++)
		if (!strcmp(list[i].path, "pkg/m0001.py") && !strcmp(list[i].dist_a, "a") && !strcmp(list[i].dist_b, "c"))
			k++;
		else if (!strcmp(list[i].path, big[1]) && !strcmp(list[i].dist_b, "c"))
			k++;
	CHECK_INT(k, 2);
	cinstall_conflicts__free_list(list, n);
	for (i = 0; i < 5; i++)
		free(big[i]);
	cinstall_conflicts__free(c);
}

static const cinstall_test tests[] = {
	TEST(test_conflicts__identical_files_are_fine),
	TEST(test_conflicts__different_content),
	TEST(test_conflicts__file_vs_directory),
	TEST(test_conflicts__sorted_and_scales),
	TEST(test_conflicts__arguments),
	TEST(test_conflicts__tags_order_and_shared),
	TEST(test_conflicts__long_paths_and_late_adds),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
