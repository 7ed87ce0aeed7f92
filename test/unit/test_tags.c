/* test_tags.c - wheel tags and Requires-Python, checked against what pip
 * itself accepts for the same interpreter. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "scheme.h"
#include "tags.h"

#define PY "/usr/bin/python3"

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* A sorted list of strings (the interpreter's supported tags). */
typedef struct strset {
	char **v;
	size_t n;
	char *text;
} strset;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int strset_has(const strset *s, const char *x)
{
	return bsearch(&x, s->v, s->n, sizeof(char *), cmp_str) != NULL;
}

static void strset_free(strset *s)
{
	free(s->v);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* What pip accepts for `python`: pip's own get_supported() (the set it
 * checks local wheels against), else packaging.tags.sys_tags().  Returns
 * 0, or -1 when neither is importable (*why says so). */
static const char EXPECTED[] =
	"import sys\n"
	"try:\n"
	"    from pip._internal.utils.compatibility_tags import get_supported\n"
	"    tags = get_supported()\n"
	"except Exception:\n"
	"    try:\n"
	"        from packaging.tags import sys_tags\n"
	"    except ImportError:\n"
	"        from pip._vendor.packaging.tags import sys_tags\n"
	"    tags = sys_tags()\n"
	"for t in tags:\n"
	"    print(t)\n";

static int load_expected(strset *s, const char *python)
{
	cinstall_buf cmd = CINSTALL_BUF_INIT, out = CINSTALL_BUF_INIT;
	FILE *f = fopen("expected.py", "w");
	size_t cap = 0;
	char *line, *save = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	if (!f)
		return -1;
	fputs(EXPECTED, f);
	fclose(f);
	cinstall_buf__printf(&cmd, "'%s' expected.py 2>/dev/null", python);
	r = th_sh(&out, cinstall_buf__cstr(&cmd));
	cinstall_buf__release(&cmd);
	if (r != 0 || !out.len) {
		cinstall_buf__release(&out);
		return -1;
	}
	s->text = cinstall_buf__detach(&out);
	for (line = strtok_r(s->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (s->n == cap) {
			cap = cap ? cap * 2 : 1024;
			s->v = realloc(s->v, cap * sizeof(char *));
		}
		s->v[s->n++] = line;
	}
	qsort(s->v, s->n, sizeof(char *), cmp_str);
	return 0;
}

static cinstall_ctx *new_ctx(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_buf dir = CINSTALL_BUF_INIT;
	cinstall_ctx *ctx = NULL;

	cinstall_buf__printf(&dir, "%s/cache", th_tmpdir());
	o.cache_dir = cinstall_buf__cstr(&dir);
	o.flags = CINSTALL_OPT_NO_ENV;
	if (cinstall_ctx_new(&ctx, &o))
		th_fail(__FILE__, __LINE__, "cinstall_ctx_new failed");
	cinstall_buf__release(&dir);
	return ctx;
}

static cinstall_scheme *resolve(cinstall_ctx *ctx, const char *python)
{
	cinstall_install_options o = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_scheme *s = NULL;

	o.python = python;
	if (cinstall_scheme__resolve(&s, ctx, &err, &o))
		th_fail(__FILE__, __LINE__, "resolving '%s': %s", python, err.msg);
	return s;
}

static int fits(const cinstall_scheme *s, const char *py, const char *abi, const char *plat)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	int r = cinstall_tags__check(&err, s, "w-1.0-x-y-z.whl", py, abi, plat);

	if (r && r != CINSTALL_EINCOMPAT)
		th_fail(__FILE__, __LINE__, "%s-%s-%s: unexpected %d", py, abi, plat, r);
	return r == 0;
}

/* The product of compressed tag sets meets the expected set? */
static int expected_fits(const strset *e, const char *pys, const char *abis, const char *plats)
{
	char a[256], b[256], c[256], tag[800];
	char *s1, *s2, *s3, *p, *q, *r;

	snprintf(a, sizeof(a), "%s", pys);
	for (p = strtok_r(a, ".", &s1); p; p = strtok_r(NULL, ".", &s1)) {
		snprintf(b, sizeof(b), "%s", abis);
		for (q = strtok_r(b, ".", &s2); q; q = strtok_r(NULL, ".", &s2)) {
			snprintf(c, sizeof(c), "%s", plats);
			for (r = strtok_r(c, ".", &s3); r; r = strtok_r(NULL, ".", &s3)) {
				snprintf(tag, sizeof(tag), "%s-%s-%s", p, q, r);
				if (strset_has(e, tag))
					return 1;
			}
		}
	}
	return 0;
}

/* Our answers for every tag pip accepts, for a grid of near misses, and
 * for the tags of every real wheel in ../shared/wheels, equal pip's. */
static void crosscheck(const cinstall_scheme *s, const strset *e, const char *label)
{
	static const char *const pys[] = { "cp311", "cp310", "cp312", "cp3", "cp36", "cp32", "cp31", "cp39",
		"cp313", "cp27", "py3", "py2", "py311", "py312", "py310", "py30", "py27", "py", "pp311", "pp3",
		"pp39", "pp73", "ip311", "cp37", "cp38", "py38", "cp314", "py37", "py314" };
	static const char *const abis[] = { "cp311", "cp311d", "cp311m", "cp311t", "cp310", "abi3", "none",
		"cp36m", "cp37m", "pypy39_pp73", "cp312", "cp313", "cp313t", "cp37", "cp38", "cp39", "fakeabi",
		"cp314", "abi4" };
	static const char *const plats[] = { "any", "linux_x86_64", "linux_i686", "linux_aarch64",
		"linux_armv7l", "manylinux1_x86_64", "manylinux1_i686", "manylinux2010_x86_64",
		"manylinux2014_x86_64", "manylinux2014_aarch64", "manylinux_2_17_x86_64", "manylinux_2_5_x86_64",
		"manylinux_2_4_x86_64", "manylinux_2_28_x86_64", "manylinux_2_35_x86_64", "manylinux_2_36_x86_64",
		"manylinux_2_37_x86_64", "manylinux_2_39_x86_64", "manylinux_3_0_x86_64", "manylinux_1_5_x86_64",
		"manylinux_2_17_aarch64", "musllinux_1_1_x86_64", "musllinux_1_2_x86_64", "win_amd64", "win32",
		"macosx_10_9_x86_64", "macosx_11_0_arm64", "android_24_arm64_v8a", "linux_x86_64_v2", "Any",
		"manylinux_2_17_x86_64x", "manylinux_2_17", "manylinux_2__x86_64", "linux_" };
	size_t i, j, k, checked = 0, yes = 0;
	DIR *d;
	struct dirent *de;
	cinstall_buf wheels = CINSTALL_BUF_INIT;

	/* everything pip accepts, we accept */
	for (i = 0; i < e->n; i++) {
		char t[256], *a, *b;
		snprintf(t, sizeof(t), "%s", e->v[i]);
		a = strchr(t, '-');
		b = a ? strchr(a + 1, '-') : NULL;
		if (!a || !b)
			continue;
		*a++ = '\0';
		*b++ = '\0';
		if (!fits(s, t, a, b))
			th_fail(__FILE__, __LINE__, "%s: pip accepts %s, we do not", label, e->v[i]);
		checked++;
	}
	CHECK(checked > 100);
	/* the grid */
	for (i = 0; i < sizeof(pys) / sizeof(pys[0]); i++)
		for (j = 0; j < sizeof(abis) / sizeof(abis[0]); j++)
			for (k = 0; k < sizeof(plats) / sizeof(plats[0]); k++) {
				int want = expected_fits(e, pys[i], abis[j], plats[k]);
				yes += (size_t)want;
				if (fits(s, pys[i], abis[j], plats[k]) != want)
					th_fail(__FILE__, __LINE__, "%s: %s-%s-%s: pip says %s", label, pys[i], abis[j],
					        plats[k], want ? "yes" : "no");
			}
	CHECK(yes > 20);
	/* compressed sets */
	{
		static const char *const sets[][3] = {
			{ "py2.py3", "none", "any" },
			{ "cp36.cp37.cp38", "abi3", "manylinux1_x86_64.manylinux2014_x86_64" },
			{ "cp311", "cp311", "manylinux_2_17_x86_64.manylinux2014_x86_64" },
			{ "cp311", "cp311", "macosx_11_0_arm64.win_amd64" },
			{ "cp310.cp312", "cp310.cp312", "manylinux_2_17_x86_64" },
			{ "pp39.cp311", "pypy39_pp73.cp311", "linux_x86_64.win32" },
		};
		for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
			if (fits(s, sets[i][0], sets[i][1], sets[i][2]) !=
			    expected_fits(e, sets[i][0], sets[i][1], sets[i][2]))
				th_fail(__FILE__, __LINE__, "%s: %s-%s-%s differs from pip", label, sets[i][0],
				        sets[i][1], sets[i][2]);
	}
	/* real wheel names */
	cinstall_buf__printf(&wheels, "%s/../shared/wheels", getenv("TOP") ? getenv("TOP") : ".");
	if ((d = opendir(cinstall_buf__cstr(&wheels)))) {
		size_t nwheels = 0;
		while ((de = readdir(d))) {
			char name[512], *parts[3], *dot;
			size_t len = strlen(de->d_name);
			int n;
			if (len < 5 || strcmp(de->d_name + len - 4, ".whl") || len >= sizeof(name))
				continue;
			memcpy(name, de->d_name, len - 4);
			name[len - 4] = '\0';
			for (n = 2; n >= 0; n--) {
				dot = strrchr(name, '-');
				if (!dot)
					break;
				parts[n] = dot + 1;
				*dot = '\0';
			}
			if (n >= 0)
				continue;
			nwheels++;
			if (fits(s, parts[0], parts[1], parts[2]) != expected_fits(e, parts[0], parts[1], parts[2]))
				th_fail(__FILE__, __LINE__, "%s: %s: pip says %s", label, de->d_name,
				        expected_fits(e, parts[0], parts[1], parts[2]) ? "yes" : "no");
		}
		closedir(d);
		CHECK(nwheels > 100);
	} else {
		fprintf(stderr, "  note: %s is absent: real wheel names not checked\n", cinstall_buf__cstr(&wheels));
	}
	cinstall_buf__release(&wheels);
}

/* ------------------------------------------------------------------------ */
/* tags against pip, for real interpreters                                  */
/* ------------------------------------------------------------------------ */

static void test_tags__system_python_matches_pip(void)
{
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s;
	strset e;

	if (load_expected(&e, PY)) {
		th_skip("neither pip nor packaging is importable by " PY);
		cinstall_ctx_free(ctx);
		return;
	}
	if ((s = resolve(ctx, PY))) {
		CHECK_STR(s->impl, "cp");
		crosscheck(s, &e, PY);
	}
	cinstall_scheme__free(s);
	strset_free(&e);
	cinstall_ctx_free(ctx);
}

/* The same through a venv read by the fast path (no interpreter run). */
static void test_tags__venv_matches_pip(void)
{
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s = NULL;
	cinstall_buf cmd = CINSTALL_BUF_INIT;
	strset e;

	if (load_expected(&e, PY)) {
		th_skip("neither pip nor packaging is importable by " PY);
		cinstall_ctx_free(ctx);
		return;
	}
	cinstall_buf__printf(&cmd, PY " -m venv --without-pip '%s/venv'", th_tmpdir());
	CHECK_INT(th_sh(NULL, cinstall_buf__cstr(&cmd)), 0);
	if ((s = resolve(ctx, "venv")))
		crosscheck(s, &e, "venv");
	cinstall_scheme__free(s);
	cinstall_buf__release(&cmd);
	strset_free(&e);
	cinstall_ctx_free(ctx);
}

/* More interpreters, when the environment names them (colon-separated
 * CINSTALL_TEST_PYTHONS, e.g. other CPython versions with pip). */
static void test_tags__other_pythons_match_pip(void)
{
	const char *list = getenv("CINSTALL_TEST_PYTHONS");
	char *copy, *p, *save = NULL;
	int n = 0;

	if (!list || !*list) {
		th_skip("set CINSTALL_TEST_PYTHONS=/path/python3.X:... to check more interpreters");
		return;
	}
	copy = strdup(list);
	for (p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		cinstall_ctx *ctx = new_ctx();
		cinstall_scheme *s;
		strset e;

		if (load_expected(&e, p)) {
			th_fail(__FILE__, __LINE__, "%s: cannot list its tags with pip or packaging", p);
			cinstall_ctx_free(ctx);
			continue;
		}
		if ((s = resolve(ctx, p))) {
			fprintf(stderr, "  %s: %s-%s-%s, %zu tags\n", p, s->impl, s->abi, s->platform, e.n);
			crosscheck(s, &e, p);
			n++;
		}
		cinstall_scheme__free(s);
		strset_free(&e);
		cinstall_ctx_free(ctx);
	}
	free(copy);
	CHECK(n > 0);
}

/* ------------------------------------------------------------------------ */
/* tags for made-up interpreters                                            */
/* ------------------------------------------------------------------------ */

static cinstall_scheme fake(const char *impl, const char *abi, const char *platform, int major, int minor)
{
	cinstall_scheme s;

	memset(&s, 0, sizeof(s));
	s.impl = (char *)impl;
	s.abi = (char *)abi;
	s.platform = (char *)platform;
	s.py_major = major;
	s.py_minor = minor;
	s.libc_major = 2;
	s.libc_minor = 31;
	return s;
}

static void test_tags__musl(void)
{
	cinstall_scheme s = fake("cp", "cp312", "linux_x86_64", 3, 12);

	s.is_musl = 1;
	s.libc_major = 1;
	s.libc_minor = 2;
	CHECK(fits(&s, "cp312", "cp312", "musllinux_1_2_x86_64"));
	CHECK(fits(&s, "cp312", "cp312", "musllinux_1_0_x86_64"));
	CHECK(!fits(&s, "cp312", "cp312", "musllinux_1_3_x86_64"));
	CHECK(!fits(&s, "cp312", "cp312", "musllinux_2_0_x86_64"));
	CHECK(!fits(&s, "cp312", "cp312", "musllinux_1_1_aarch64"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux2014_x86_64"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux_2_17_x86_64"));
	CHECK(fits(&s, "cp312", "cp312", "linux_x86_64"));
	CHECK(fits(&s, "cp38", "abi3", "musllinux_1_1_x86_64"));
	CHECK(fits(&s, "py3", "none", "any"));
}

static void test_tags__glibc_and_arch(void)
{
	cinstall_scheme s = fake("cp", "cp312", "linux_aarch64", 3, 12);
	cinstall_err err = CINSTALL_ERR_INIT;

	/* aarch64 manylinux starts at glibc 2.17: no manylinux1/2010 */
	CHECK(fits(&s, "cp312", "cp312", "manylinux2014_aarch64"));
	CHECK(fits(&s, "cp312", "cp312", "manylinux_2_17_aarch64"));
	CHECK(fits(&s, "cp312", "cp312", "manylinux_2_31_aarch64"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux_2_32_aarch64"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux_2_16_aarch64"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux2010_aarch64"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux1_aarch64"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux2014_x86_64"));
	CHECK(!fits(&s, "cp312", "cp312", "musllinux_1_2_aarch64"));
	CHECK_INT(cinstall_tags__check(&err, &s, "x-1-cp312-cp312-manylinux_2_34_aarch64.whl", "cp312", "cp312",
	                               "manylinux_2_34_aarch64"),
	          CINSTALL_EINCOMPAT);
	CHECK_CONTAINS(err.msg, "platform tag 'manylinux_2_34_aarch64' does not suit this interpreter "
	                        "(cp312-cp312-linux_aarch64, glibc 2.31)");
	/* a 32-bit interpreter on a 64-bit ARM kernel runs armv7l wheels */
	s = fake("cp", "cp312", "linux_armv8l", 3, 12);
	CHECK(fits(&s, "cp312", "cp312", "linux_armv7l"));
	CHECK(fits(&s, "cp312", "cp312", "manylinux_2_17_armv7l"));
	CHECK(fits(&s, "cp312", "cp312", "linux_armv8l"));
	CHECK(!fits(&s, "cp312", "cp312", "linux_aarch64"));
	/* x86: manylinux1 (2.5) and up */
	s = fake("cp", "cp312", "linux_i686", 3, 12);
	CHECK(fits(&s, "cp312", "cp312", "manylinux1_i686"));
	CHECK(fits(&s, "cp312", "cp312", "manylinux_2_5_i686"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux_2_4_i686"));
	CHECK(!fits(&s, "cp312", "cp312", "manylinux1_x86_64"));
	/* other architectures have no manylinux at all */
	s = fake("cp", "cp312", "linux_mips64", 3, 12);
	CHECK(!fits(&s, "cp312", "cp312", "manylinux_2_17_mips64"));
	CHECK(fits(&s, "cp312", "cp312", "linux_mips64"));
	/* a platform that is not Linux: exact names only */
	s = fake("cp", "cp312", "macosx_14_0_arm64", 3, 12);
	CHECK(fits(&s, "cp312", "cp312", "macosx_14_0_arm64"));
	CHECK(!fits(&s, "cp312", "cp312", "linux_arm64"));
}

static void test_tags__abi_flavours(void)
{
	cinstall_scheme s = fake("cp", "cp37m", "linux_x86_64", 3, 7);

	/* 3.7: the pymalloc 'm' ABI; abi3 down to cp32 */
	CHECK(fits(&s, "cp37", "cp37m", "manylinux1_x86_64"));
	CHECK(!fits(&s, "cp37", "cp37", "manylinux1_x86_64"));
	CHECK(fits(&s, "cp32", "abi3", "linux_x86_64"));
	CHECK(!fits(&s, "cp38", "abi3", "linux_x86_64"));
	CHECK(fits(&s, "py37", "none", "any"));
	CHECK(!fits(&s, "py38", "none", "any"));
	CHECK(!fits(&s, "cp36", "cp36m", "linux_x86_64"));
	CHECK(!fits(&s, "cp36", "none", "linux_x86_64"));

	/* a debug build also loads plain modules */
	s = fake("cp", "cp311d", "linux_x86_64", 3, 11);
	s.debug = 1;
	CHECK(fits(&s, "cp311", "cp311d", "linux_x86_64"));
	CHECK(fits(&s, "cp311", "cp311", "linux_x86_64"));
	CHECK(fits(&s, "cp39", "abi3", "linux_x86_64"));

	/* free-threaded 3.13t: its own ABI, no abi3 */
	s = fake("cp", "cp313t", "linux_x86_64", 3, 13);
	s.free_threaded = 1;
	CHECK(fits(&s, "cp313", "cp313t", "manylinux_2_17_x86_64"));
	CHECK(!fits(&s, "cp313", "cp313", "manylinux_2_17_x86_64"));
	CHECK(!fits(&s, "cp313", "abi3", "manylinux_2_17_x86_64"));
	CHECK(!fits(&s, "cp38", "abi3", "manylinux_2_17_x86_64"));
	CHECK(fits(&s, "cp313", "none", "any"));
	CHECK(fits(&s, "py3", "none", "any"));

	/* free-threaded debug: cp313td, and cp313t */
	s = fake("cp", "cp313td", "linux_x86_64", 3, 13);
	s.free_threaded = 1;
	s.debug = 1;
	CHECK(fits(&s, "cp313", "cp313td", "linux_x86_64"));
	CHECK(fits(&s, "cp313", "cp313t", "linux_x86_64"));
	CHECK(!fits(&s, "cp313", "cp313", "linux_x86_64"));
}

static void test_tags__pypy(void)
{
	cinstall_scheme s = fake("pp", "pypy310_pp73", "linux_x86_64", 3, 10);

	CHECK(fits(&s, "pp310", "pypy310_pp73", "manylinux_2_17_x86_64"));
	CHECK(fits(&s, "pp310", "none", "linux_x86_64"));
	CHECK(!fits(&s, "pp310", "abi3", "linux_x86_64"));
	CHECK(!fits(&s, "cp310", "abi3", "linux_x86_64"));
	CHECK(!fits(&s, "cp310", "cp310", "linux_x86_64"));
	CHECK(fits(&s, "pp310", "none", "any"));
	CHECK(fits(&s, "pp3", "none", "any"));
	CHECK(fits(&s, "py3", "none", "any"));
	CHECK(fits(&s, "py310", "none", "linux_x86_64"));
	CHECK(!fits(&s, "pp39", "pypy39_pp73", "linux_x86_64"));
}

static void test_tags__messages(void)
{
	cinstall_scheme s = fake("cp", "cp311", "linux_x86_64", 3, 11);
	cinstall_err err = CINSTALL_ERR_INIT;

	s.libc_minor = 36;
	CHECK_INT(cinstall_tags__check(&err, &s, "foo-1.0-cp36-cp36m-win_amd64.whl", "cp36", "cp36m", "win_amd64"),
	          CINSTALL_EINCOMPAT);
	CHECK_STR(err.msg, "foo-1.0-cp36-cp36m-win_amd64.whl: platform tag 'win_amd64' does not suit this "
	                   "interpreter (cp311-cp311-linux_x86_64, glibc 2.36)");
	CHECK_INT(cinstall_tags__check(&err, &s, "foo-1.0-py2-none-any.whl", "py2", "none", "any"), CINSTALL_EINCOMPAT);
	CHECK_CONTAINS(err.msg, "foo-1.0-py2-none-any.whl: python tag 'py2' does not suit this interpreter");
	CHECK_INT(cinstall_tags__check(&err, &s, "foo-1.0-cp36-cp36m-manylinux1_x86_64.whl", "cp36", "cp36m",
	                               "manylinux1_x86_64"),
	          CINSTALL_EINCOMPAT);
	CHECK_CONTAINS(err.msg, "python tag 'cp36' does not suit");
	CHECK_INT(cinstall_tags__check(&err, &s, "foo-1.0-cp311-cp311m-linux_x86_64.whl", "cp311", "cp311m",
	                               "linux_x86_64"),
	          CINSTALL_EINCOMPAT);
	CHECK_CONTAINS(err.msg, "abi tag 'cp311m' does not suit");
	CHECK_INT(cinstall_tags__check(&err, &s, "foo-1.0-cp311-abi3-linux_x86_64.whl", "cp311", "abi3",
	                               "linux_x86_64"),
	          0);
}

/* ------------------------------------------------------------------------ */
/* Requires-Python                                                          */
/* ------------------------------------------------------------------------ */

enum { ADMIT = 0, REFUSE = CINSTALL_EINCOMPAT, MALFORMED = CINSTALL_EBADWHEEL };

/* Expectations for Python 3.11.2, as packaging 24.1's
 * SpecifierSet(spec).contains("3.11.2") answers (MALFORMED: it raises
 * InvalidSpecifier).  "=== foo" is a valid arbitrary-equality specifier
 * that does not match. */
static void test_tags__requires_python(void)
{
	static const struct {
		const char *spec;
		int want;
	} cases[] = {
		{ ">=3.6", ADMIT },
		{ ">=3.11", ADMIT },
		{ ">=3.11.2", ADMIT },
		{ ">3.11.2", REFUSE },
		{ ">3.11", ADMIT },
		{ "<3.11", REFUSE },
		{ "<3.12", ADMIT },
		{ "<=3.11", REFUSE },
		{ "<=3.11.2", ADMIT },
		{ "<=3.11.1", REFUSE },
		{ "==3.11.2", ADMIT },
		{ "==3.11", REFUSE },
		{ "==3.11.*", ADMIT },
		{ "==3.*", ADMIT },
		{ "==3.1.*", REFUSE },
		{ "==3.11.2.*", ADMIT },
		{ "==3.11.2.0.*", ADMIT },
		{ "==3.11.2.0", ADMIT },
		{ "!=3.11.*", REFUSE },
		{ "!=3.10.*", ADMIT },
		{ "!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", ADMIT },
		{ "~=3.11", ADMIT },
		{ "~=3.10", ADMIT },
		{ "~=3.9.0", REFUSE },
		{ "~=3.11.0", ADMIT },
		{ "~=3.11.2", ADMIT },
		{ "~=3.11.3", REFUSE },
		{ "~=3", MALFORMED },
		{ "===3.11.2", ADMIT },
		{ "===3.11", REFUSE },
		{ ">=3.12.0a1", REFUSE },
		{ ">=3.11.3rc1", REFUSE },
		{ "<3.11.2rc1", REFUSE },
		{ ">=3.11.2rc1", ADMIT },
		{ ">=3.11.2.post1", REFUSE },
		{ ">3.11.2.dev0", ADMIT },
		{ "<3.11.3.dev0", ADMIT },
		{ ">=3.11.2.dev0", ADMIT },
		{ "==3.11.2+local", REFUSE },
		{ "!=3.11.2+local", ADMIT },
		{ ">=3.6.*", MALFORMED },
		{ ">=3.6,", ADMIT },
		{ " >= 3.6 , < 4 ", ADMIT },
		{ "", ADMIT },
		{ ",", ADMIT },
		{ ">=1!3.6", REFUSE },
		{ "==1!3.*", REFUSE },
		{ "<1!0", ADMIT },
		{ ">=3.6;", MALFORMED },
		{ "3.6", MALFORMED },
		{ ">= 3.6rc", ADMIT },
		{ ">=3.6-1", ADMIT },
		{ ">=3.6.post", ADMIT },
		{ ">=v3.6", ADMIT },
		{ ">=3.6a.1", ADMIT },
		{ ">=3.6-dev", ADMIT },
		{ "<3.11.2-1", ADMIT },
		{ "~=3.11.*", MALFORMED },
		{ "<=3.11.2+x", MALFORMED },
		{ ">=3.6 <4", MALFORMED },
		{ ">=03.011", ADMIT },
		{ "==3.11.02", ADMIT },
		{ "<4.0.0.0", ADMIT },
		{ "!=3.11.2", REFUSE },
		{ "!=3.11.2.0", REFUSE },
		{ ">3.11.2.post0", REFUSE },
		{ "== 3.11.*", ADMIT },
		{ ">=3.11.0c1", ADMIT },
		{ ">=3.11_1", MALFORMED },
		{ ">=3.7, <3.11", REFUSE },
		{ ">=3.11.2,!=3.11.2", REFUSE },
		{ "~=3.11.1.0", REFUSE },
		{ ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*", ADMIT },
		{ "<3.12,>=3.8", ADMIT },
		{ ">=3.11.1a", ADMIT },
		{ ">3.11.1-1", ADMIT },
		{ "==3.11.2rc1", REFUSE },
		{ "===3.11.2.0", REFUSE },
		{ "=== foo", REFUSE },
		{ "==3.11.2.*.*", MALFORMED },
		{ ">=3.11.", MALFORMED },
		{ ">=.3", MALFORMED },
		{ "==*", MALFORMED },
		{ "!=", MALFORMED },
		{ "~=3.11.2.dev1", ADMIT },
		{ "~= 3.10.post1", ADMIT },
		{ "  ", ADMIT },
		{ ">=3.6,\n<4", ADMIT },
		{ ">=3.6;python_version<'4'", MALFORMED },
		{ "~=3.11.2.post1+x", MALFORMED },
		{ "===3.11.2.0a", REFUSE },
		{ "==3.11.2a1.*", MALFORMED },
		{ "== 3.11.2+abc.1", REFUSE },
		{ ">=3.99999999999999999999999", REFUSE },
		{ "<3.99999999999999999999999", ADMIT },
	};
	cinstall_scheme s = fake("cp", "cp311", "linux_x86_64", 3, 11);
	size_t i;

	s.py_micro = 2;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cinstall_err err = CINSTALL_ERR_INIT;
		int r = cinstall_tags__requires_python(&err, &s, "w-1.0-py3-none-any.whl", cases[i].spec);
		if (r != cases[i].want)
			th_fail(__FILE__, __LINE__, "Requires-Python '%s': %d, expected %d (%s)", cases[i].spec, r,
			        cases[i].want, err.msg);
		else if (r)
			CHECK_CONTAINS(err.msg, "w-1.0-py3-none-any.whl: Requires-Python '");
	}
	CHECK_INT(cinstall_tags__requires_python(NULL, &s, "w.whl", NULL), 0);
	{
		cinstall_err err = CINSTALL_ERR_INIT;
		CHECK_INT(cinstall_tags__requires_python(&err, &s, "w.whl", ">=3.12"), CINSTALL_EINCOMPAT);
		CHECK_STR(err.msg, "w.whl: Requires-Python '>=3.12' does not admit this interpreter (Python 3.11.2)");
		CHECK_INT(cinstall_tags__requires_python(&err, &s, "w.whl", ">=3.6, >=3.6.*"), CINSTALL_EBADWHEEL);
		CHECK_STR(err.msg, "w.whl: Requires-Python '>=3.6, >=3.6.*': invalid specifier '>=3.6.*'");
	}
	/* a pre-release-free interpreter version, as pip takes it: 3.13.0 */
	s.py_minor = 13;
	s.py_micro = 0;
	CHECK_INT(cinstall_tags__requires_python(NULL, &s, "w.whl", ">=3.13.0rc1"), 0);
	CHECK_INT(cinstall_tags__requires_python(NULL, &s, "w.whl", "<3.13"), CINSTALL_EINCOMPAT);
	CHECK_INT(cinstall_tags__requires_python(NULL, &s, "w.whl", "<3.13.0rc1"), CINSTALL_EINCOMPAT);
	CHECK_INT(cinstall_tags__requires_python(NULL, &s, "w.whl", "==3.13"), 0);
}

static const cinstall_test tests[] = {
	TEST(test_tags__system_python_matches_pip),
	TEST(test_tags__venv_matches_pip),
	TEST(test_tags__other_pythons_match_pip),
	TEST(test_tags__musl),
	TEST(test_tags__glibc_and_arch),
	TEST(test_tags__abi_flavours),
	TEST(test_tags__pypy),
	TEST(test_tags__messages),
	TEST(test_tags__requires_python),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
