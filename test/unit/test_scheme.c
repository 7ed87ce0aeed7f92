/* test_scheme.c - finding the target environment: real venvs read without
 * Python, compared with what the interpreter and pip say; --prefix,
 * --target, the probe's cache, and the failures. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "path.h"
#include "scheme.h"

#define PY "/usr/bin/python3"

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

static int write_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f))
		return -1;
	return chmod(path, (mode_t)mode);
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Log messages of a context, one per line. */
static cinstall_buf logged;

static void log_cb(cinstall_log_level level, const char *message, void *payload)
{
	(void)payload;
	cinstall_buf__printf(&logged, "%d %s\n", (int)level, message);
}

static cinstall_ctx *new_ctx(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_buf dir = CINSTALL_BUF_INIT;
	cinstall_ctx *ctx = NULL;

	cinstall_buf__printf(&dir, "%s/cache", th_tmpdir());
	o.cache_dir = cinstall_buf__cstr(&dir);
	o.flags = CINSTALL_OPT_NO_ENV;
	o.log_cb = log_cb;
	cinstall_buf__truncate(&logged, 0);
	if (cinstall_ctx_new(&ctx, &o))
		th_fail(__FILE__, __LINE__, "cinstall_ctx_new failed");
	cinstall_buf__release(&dir);
	return ctx;
}

static int resolve_opts(cinstall_scheme **out, cinstall_err *err, cinstall_ctx *ctx, const char *python,
                        const char *prefix, const char *target)
{
	cinstall_install_options o = CINSTALL_INSTALL_OPTIONS_INIT;

	o.python = python;
	o.prefix = prefix;
	o.target = target;
	*out = NULL;
	return cinstall_scheme__resolve(out, ctx, err, &o);
}

static cinstall_scheme *resolve(cinstall_ctx *ctx, const char *python, const char *prefix, const char *target)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_scheme *s = NULL;

	if (resolve_opts(&s, &err, ctx, python, prefix, target))
		th_fail(__FILE__, __LINE__, "resolving (python %s, prefix %s, target %s): %s", python ? python : "-",
		        prefix ? prefix : "-", target ? target : "-", err.msg);
	return s;
}

static int make_venv(const char *dir)
{
	cinstall_buf cmd = CINSTALL_BUF_INIT;
	int r;

	cinstall_buf__printf(&cmd, PY " -m venv --without-pip '%s'", dir);
	r = th_sh(NULL, cinstall_buf__cstr(&cmd));
	cinstall_buf__release(&cmd);
	return r;
}

/* What the interpreter says about itself (sysconfig, sys) and what pip
 * would use as its scheme (for `prefix`, or the default one).  Lines:
 * purelib platlib scripts data headers-base executable version abi platform
 * (pip's headers end in "/x", the distribution name, which is cut off). */
static const char TRUTH[] =
	"import os, sys, sysconfig\n"
	"v = sys.version_info\n"
	"p = sysconfig.get_paths()\n"
	"try:\n"
	"    from pip._internal.locations import get_scheme\n"
	"    kw = {'prefix': sys.argv[1]} if len(sys.argv) > 1 else {}\n"
	"    s = get_scheme('x', **kw)\n"
	"    paths = [s.purelib, s.platlib, s.scripts, s.data, s.headers[:-2]]\n"
	"except ImportError:\n"
	"    assert len(sys.argv) == 1\n"
	"    paths = [p['purelib'], p['platlib'], p['scripts'], p['data'], '?']\n"
	"print('\\n'.join(paths + [sys.executable, '%d.%d.%d' % v[:3], 'cp%d%d%s' % (v[0], v[1], sys.abiflags),\n"
	"      sysconfig.get_platform().replace('-', '_').replace('.', '_')]))\n";

typedef struct truth {
	cinstall_buf text;
	char *f[9];
} truth;

static int get_truth(truth *t, const char *python, const char *prefix)
{
	cinstall_buf cmd = CINSTALL_BUF_INIT;
	char *line, *save = NULL;
	int r, n = 0;

	memset(t, 0, sizeof(*t));
	write_file("truth.py", TRUTH, 0644);
	/* pip is found in Debian's dist-packages, also from a venv without it */
	cinstall_buf__printf(&cmd, "PYTHONPATH=/usr/lib/python3/dist-packages '%s' truth.py %s%s%s", python,
	                     prefix ? "'" : "", prefix ? prefix : "", prefix ? "'" : "");
	r = th_sh(&t->text, cinstall_buf__cstr(&cmd));
	cinstall_buf__release(&cmd);
	if (r != 0)
		return -1;
	for (line = strtok_r(t->text.ptr, "\n", &save); line && n < 9; line = strtok_r(NULL, "\n", &save))
		t->f[n++] = line;
	return n == 9 ? 0 : -1;
}

static void check_truth(const cinstall_scheme *s, const truth *t, int with_python)
{
	char ver[32];

	CHECK_STR(s->purelib, t->f[0]);
	CHECK_STR(s->platlib, t->f[1]);
	CHECK_STR(s->scripts, t->f[2]);
	CHECK_STR(s->data, t->f[3]);
	if (strcmp(t->f[4], "?"))
		CHECK_STR(s->headers, t->f[4]);
	if (with_python)
		CHECK_STR(s->python, t->f[5]);
	snprintf(ver, sizeof(ver), "%d.%d.%d", s->py_major, s->py_minor, s->py_micro);
	CHECK_STR(ver, t->f[6]);
	CHECK_STR(s->impl, "cp");
	CHECK_STR(s->abi, t->f[7]);
	CHECK_STR(s->platform, t->f[8]);
}

static char *path_in_tmp(const char *rel)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	cinstall_buf__printf(&b, "%s/%s", th_tmpdir(), rel);
	return cinstall_buf__detach(&b);
}

/* ------------------------------------------------------------------------ */
/* venvs, read without Python                                               */
/* ------------------------------------------------------------------------ */

static void test_scheme__venv_fast_path_matches_python(void)
{
	char *venv = path_in_tmp("my venv"), *py = path_in_tmp("my venv/bin/python"),
	     *cache = path_in_tmp("cache/v1/interpreters");
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s = NULL;
	truth t;

	if (make_venv(venv)) {
		th_fail(__FILE__, __LINE__, "cannot make a venv with " PY);
		goto done;
	}
	if (get_truth(&t, py, NULL)) {
		th_fail(__FILE__, __LINE__, "cannot ask the venv's interpreter");
		goto done;
	}
	/* by directory */
	if ((s = resolve(ctx, venv, NULL, NULL))) {
		check_truth(s, &t, 1);
		CHECK_STR(s->root, venv);
		CHECK_STR(s->python, py);
		CHECK_INT(s->is_venv, 1);
		CHECK_INT(s->is_target, 0);
		CHECK(s->libc_major >= 2);
	}
	cinstall_scheme__free(s);
	/* by its interpreter, by a relative path with dots */
	s = resolve(ctx, "./my venv/bin/python3", NULL, NULL);
	if (s) {
		check_truth(s, &t, 1);
		CHECK_STR(s->root, venv);
	}
	cinstall_scheme__free(s);
	s = resolve(ctx, "my venv/../my venv/", NULL, NULL);
	if (s)
		CHECK_STR(s->root, venv);
	cinstall_scheme__free(s);
	/* pyvenv.cfg as virtualenv and uv write it */
	{
		cinstall_buf cfg = CINSTALL_BUF_INIT;
		cinstall_buf__printf(&cfg, "home = /usr/bin\nimplementation = CPython\nversion_info = %s.final.0\n"
		                           "include-system-site-packages = false\n",
		                     t.f[6]);
		write_file("my venv/pyvenv.cfg", cinstall_buf__cstr(&cfg), 0644);
		cinstall_buf__release(&cfg);
		if ((s = resolve(ctx, venv, NULL, NULL)))
			check_truth(s, &t, 1);
		cinstall_scheme__free(s);
	}
	/* nothing ran Python: nothing was cached */
	CHECK(!exists(cache));
	cinstall_buf__release(&t.text);
done:
	cinstall_ctx_free(ctx);
	free(venv);
	free(py);
	free(cache);
}

static void test_scheme__virtual_env_and_dot_venv(void)
{
	char *venv = path_in_tmp("env1"), *dot = path_in_tmp(".venv"), *py;
	const char *saved = getenv("VIRTUAL_ENV");
	char *saved_copy = saved ? strdup(saved) : NULL;
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s;

	if (make_venv(venv) || make_venv(dot)) {
		th_fail(__FILE__, __LINE__, "cannot make venvs with " PY);
		goto done;
	}
	/* $VIRTUAL_ENV wins over ./.venv */
	setenv("VIRTUAL_ENV", venv, 1);
	s = resolve(ctx, NULL, NULL, NULL);
	if (s)
		CHECK_STR(s->root, venv);
	cinstall_scheme__free(s);
	/* --python wins over $VIRTUAL_ENV */
	s = resolve(ctx, dot, NULL, NULL);
	if (s)
		CHECK_STR(s->root, dot);
	cinstall_scheme__free(s);
	/* ./.venv */
	unsetenv("VIRTUAL_ENV");
	s = resolve(ctx, NULL, NULL, NULL);
	if (s) {
		truth t;
		CHECK_STR(s->root, dot);
		py = path_in_tmp(".venv/bin/python");
		CHECK_STR(s->python, py);
		if (get_truth(&t, py, NULL) == 0)
			check_truth(s, &t, 1);
		else
			th_fail(__FILE__, __LINE__, "cannot ask the .venv's interpreter");
		cinstall_buf__release(&t.text);
		free(py);
	}
	cinstall_scheme__free(s);
done:
	if (saved_copy)
		setenv("VIRTUAL_ENV", saved_copy, 1);
	else
		unsetenv("VIRTUAL_ENV");
	free(saved_copy);
	cinstall_ctx_free(ctx);
	free(venv);
	free(dot);
}

/* ------------------------------------------------------------------------ */
/* asking the interpreter                                                   */
/* ------------------------------------------------------------------------ */

static void test_scheme__system_python_matches_pip(void)
{
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s;
	truth t;

	if (get_truth(&t, PY, NULL)) {
		th_fail(__FILE__, __LINE__, "cannot ask " PY);
		cinstall_ctx_free(ctx);
		return;
	}
	if ((s = resolve(ctx, PY, NULL, NULL))) {
		check_truth(s, &t, 1);
		CHECK_INT(s->is_venv, 0);
		CHECK_STR(s->root, s->data);
	}
	cinstall_scheme__free(s);
	cinstall_buf__release(&t.text);
	cinstall_ctx_free(ctx);
}

static void test_scheme__prefix_matches_pip(void)
{
	char *venv = path_in_tmp("venv"), *vpy = path_in_tmp("venv/bin/python"), *pfx = path_in_tmp("pfx");
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s;
	truth t;

	/* Debian's system interpreter: its posix_local scheme under the prefix */
	if (get_truth(&t, PY, pfx) == 0) {
		if ((s = resolve(ctx, PY, "pfx", NULL))) {
			check_truth(s, &t, 1);
			CHECK_STR(s->root, pfx);
			CHECK_INT(s->is_target, 0);
			CHECK(cinstall_path__is_within(pfx, s->purelib));
		}
		cinstall_scheme__free(s);
		cinstall_buf__release(&t.text);
	} else {
		th_fail(__FILE__, __LINE__, "cannot ask " PY " with pip for a prefix scheme");
	}
	/* a venv's interpreter: the venv scheme under the prefix; the shebang
	 * still names the venv's interpreter */
	if (make_venv(venv) == 0 && get_truth(&t, vpy, pfx) == 0) {
		if ((s = resolve(ctx, venv, pfx, NULL))) {
			check_truth(s, &t, 0);
			CHECK_STR(s->python, vpy);
			CHECK_STR(s->root, pfx);
		}
		cinstall_scheme__free(s);
		cinstall_buf__release(&t.text);
	} else {
		th_fail(__FILE__, __LINE__, "cannot make or ask a venv");
	}
	cinstall_ctx_free(ctx);
	free(venv);
	free(vpy);
	free(pfx);
}

static void test_scheme__target(void)
{
	char *venv = path_in_tmp("venv"), *tgt = path_in_tmp("tgt"), *bin = path_in_tmp("tgt/bin"),
	     *vpy = path_in_tmp("venv/bin/python"), *inc = path_in_tmp("tgt/include/python");
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s;
	cinstall_err err = CINSTALL_ERR_INIT;

	if (make_venv(venv)) {
		th_fail(__FILE__, __LINE__, "cannot make a venv");
		goto done;
	}
	if ((s = resolve(ctx, venv, NULL, "tgt/"))) {
		CHECK_STR(s->root, tgt);
		CHECK_STR(s->purelib, tgt);
		CHECK_STR(s->platlib, tgt);
		CHECK_STR(s->scripts, bin);
		CHECK_STR(s->data, tgt);
		CHECK_STR(s->headers, inc);
		CHECK_STR(s->python, vpy);
		CHECK_INT(s->is_target, 1);
		CHECK_INT(s->is_venv, 0);
		CHECK_INT(s->py_major, 3);
	}
	cinstall_scheme__free(s);
	/* the directories are not made */
	CHECK(!exists(tgt));
	/* --target with --prefix */
	CHECK_INT(resolve_opts(&s, &err, ctx, venv, "p", "t"), CINSTALL_EINVAL);
	CHECK_CONTAINS(err.msg, "--prefix and --target");
	CHECK(s == NULL);
done:
	cinstall_ctx_free(ctx);
	free(venv);
	free(tgt);
	free(bin);
	free(vpy);
	free(inc);
}

/* The probe's answer is cached by interpreter path and stat: a wrapper
 * script that counts its runs shows when Python is started. */
static void test_scheme__probe_cache(void)
{
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s;
	cinstall_buf count = CINSTALL_BUF_INIT;
	char *wrapper = path_in_tmp("fakepy"), *counter = path_in_tmp("count"), script[1024];

	snprintf(script, sizeof(script), "#!/bin/sh\necho run >> '%s'\nexec " PY " \"$@\"\n", counter);
	write_file(wrapper, script, 0755);
	s = resolve(ctx, wrapper, NULL, NULL);
	if (s)
		CHECK_STR(s->python, PY); /* sys.executable: the wrapper exec'd it */
	cinstall_scheme__free(s);
	s = resolve(ctx, wrapper, NULL, NULL);
	cinstall_scheme__free(s);
	/* another context with the same cache directory */
	cinstall_ctx_free(ctx);
	ctx = new_ctx();
	s = resolve(ctx, wrapper, "pfx", NULL);
	cinstall_scheme__free(s);
	CHECK_INT(th_sh(&count, "wc -l < count"), 0);
	CHECK_INT(atoi(cinstall_buf__cstr(&count)), 1);
	CHECK_CONTAINS(cinstall_buf__cstr(&logged), "from the cache");
	/* a changed interpreter is asked again */
	CHECK_INT(th_sh(NULL, "touch -d '2001-01-01 00:00:00' fakepy"), 0);
	s = resolve(ctx, wrapper, NULL, NULL);
	cinstall_scheme__free(s);
	cinstall_buf__truncate(&count, 0);
	CHECK_INT(th_sh(&count, "wc -l < count"), 0);
	CHECK_INT(atoi(cinstall_buf__cstr(&count)), 2);
	/* a damaged cache entry is ignored and replaced */
	CHECK_INT(th_sh(NULL, "for f in cache/v1/interpreters/*; do printf 'garbage' > \"$f\"; done"), 0);
	s = resolve(ctx, wrapper, NULL, NULL);
	if (s)
		CHECK_INT(s->py_major, 3);
	cinstall_scheme__free(s);
	cinstall_buf__truncate(&count, 0);
	CHECK_INT(th_sh(&count, "wc -l < count"), 0);
	CHECK_INT(atoi(cinstall_buf__cstr(&count)), 3);
	cinstall_buf__release(&count);
	cinstall_ctx_free(ctx);
	free(wrapper);
	free(counter);
}

/* A venv the fast path cannot read (no lib/pythonX.Y/site-packages where
 * it expects one) is asked instead, and gives the same answer. */
static void test_scheme__venv_falls_back_to_probe(void)
{
	char *venv = path_in_tmp("venv"), *py = path_in_tmp("venv/bin/python"), *cache = path_in_tmp("cache/v1/interpreters");
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s;
	truth t;

	if (make_venv(venv)) {
		th_fail(__FILE__, __LINE__, "cannot make a venv");
		goto done;
	}
	/* a pyvenv.cfg that names an implementation we do not read */
	CHECK_INT(th_sh(NULL, "echo 'implementation = SomethingElse' >> venv/pyvenv.cfg"), 0);
	if (get_truth(&t, py, NULL) == 0) {
		if ((s = resolve(ctx, venv, NULL, NULL))) {
			check_truth(s, &t, 1);
			CHECK_STR(s->root, venv);
			CHECK_INT(s->is_venv, 1);
		}
		cinstall_scheme__free(s);
		cinstall_buf__release(&t.text);
		CHECK(exists(cache));
	} else {
		th_fail(__FILE__, __LINE__, "cannot ask the venv's interpreter");
	}
done:
	cinstall_ctx_free(ctx);
	free(venv);
	free(py);
	free(cache);
}

/* ------------------------------------------------------------------------ */
/* failures                                                                 */
/* ------------------------------------------------------------------------ */

static void test_scheme__not_found(void)
{
	const char *saved = getenv("VIRTUAL_ENV");
	char *saved_copy = saved ? strdup(saved) : NULL;
	cinstall_ctx *ctx = new_ctx();
	cinstall_scheme *s = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;

	unsetenv("VIRTUAL_ENV");
	/* nothing given, nothing found */
	CHECK_INT(resolve_opts(&s, &err, ctx, NULL, NULL, NULL), CINSTALL_ENOTFOUND);
	CHECK(s == NULL);
	CHECK_CONTAINS(err.msg, "no Python environment found");
	CHECK_CONTAINS(err.msg, "--python");
	CHECK_CONTAINS(err.msg, "$VIRTUAL_ENV");
	CHECK_CONTAINS(err.msg, ".venv");
	CHECK_CONTAINS(err.msg, th_tmpdir());
	/* $VIRTUAL_ENV names nothing */
	setenv("VIRTUAL_ENV", "/nonexistent/venv", 1);
	CHECK_INT(resolve_opts(&s, &err, ctx, NULL, NULL, NULL), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "'/nonexistent/venv' ($VIRTUAL_ENV)");
	unsetenv("VIRTUAL_ENV");
	/* --python names nothing */
	CHECK_INT(resolve_opts(&s, &err, ctx, "/nonexistent/python3", NULL, NULL), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "'/nonexistent/python3' (--python)");
	CHECK_INT(resolve_opts(&s, &err, ctx, "no-such-python-9.9", NULL, NULL), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "no-such-python-9.9");
	/* a directory that is no environment */
	mkdir("empty", 0755);
	CHECK_INT(resolve_opts(&s, &err, ctx, "empty", NULL, NULL), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "is not a Python environment");
	/* a venv without its interpreter */
	mkdir("broken", 0755);
	mkdir("broken/bin", 0755);
	write_file("broken/pyvenv.cfg", "home = /usr/bin\nversion = 3.11.2\n", 0644);
	CHECK_INT(resolve_opts(&s, &err, ctx, "broken", NULL, NULL), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "has no Python interpreter");
	/* an interpreter that fails */
	write_file("false-python", "#!/bin/sh\necho 'it broke' >&2\nexit 3\n", 0755);
	CHECK_INT(resolve_opts(&s, &err, ctx, "./false-python", NULL, NULL), CINSTALL_EIO);
	CHECK_CONTAINS(err.msg, "failed to describe itself (exit 3): it broke");
	/* not an interpreter at all */
	write_file("not-python", "#!/bin/sh\necho hello\n", 0755);
	CHECK_INT(resolve_opts(&s, &err, ctx, "./not-python", NULL, NULL), CINSTALL_EIO);
	CHECK_CONTAINS(err.msg, "answer we cannot read");
	CHECK(s == NULL);
	if (saved_copy)
		setenv("VIRTUAL_ENV", saved_copy, 1);
	free(saved_copy);
	cinstall_ctx_free(ctx);
}

/* More interpreters, when the environment names them (colon-separated
 * CINSTALL_TEST_PYTHONS): their venvs read by the fast path, compared with
 * what they say. */
static void test_scheme__other_pythons(void)
{
	const char *list = getenv("CINSTALL_TEST_PYTHONS");
	char *copy, *p, *save = NULL;
	int n = 0;

	if (!list || !*list) {
		th_skip("set CINSTALL_TEST_PYTHONS=/path/python3.X:... to check more interpreters");
		return;
	}
	copy = strdup(list);
	for (p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save), n++) {
		cinstall_buf dir = CINSTALL_BUF_INIT, cmd = CINSTALL_BUF_INIT, py = CINSTALL_BUF_INIT;
		cinstall_ctx *ctx = new_ctx();
		cinstall_scheme *s;
		truth t;

		cinstall_buf__printf(&dir, "%s/venv%d", th_tmpdir(), n);
		cinstall_buf__printf(&py, "%s/bin/python", cinstall_buf__cstr(&dir));
		cinstall_buf__printf(&cmd, "'%s' -m venv --without-pip '%s'", p, cinstall_buf__cstr(&dir));
		if (th_sh(NULL, cinstall_buf__cstr(&cmd)) || get_truth(&t, cinstall_buf__cstr(&py), NULL)) {
			th_fail(__FILE__, __LINE__, "%s: cannot make or ask a venv", p);
		} else {
			if ((s = resolve(ctx, cinstall_buf__cstr(&dir), NULL, NULL))) {
				fprintf(stderr, "  %s: %s %s %s\n", p, s->abi, s->platform, s->purelib);
				check_truth(s, &t, 1);
			}
			cinstall_scheme__free(s);
			cinstall_buf__release(&t.text);
		}
		cinstall_buf__release(&dir);
		cinstall_buf__release(&cmd);
		cinstall_buf__release(&py);
		cinstall_ctx_free(ctx);
	}
	free(copy);
}

static void cleanup(void)
{
	cinstall_buf__release(&logged);
}

static const cinstall_test tests[] = {
	TEST(test_scheme__venv_fast_path_matches_python),
	TEST(test_scheme__virtual_env_and_dot_venv),
	TEST(test_scheme__system_python_matches_pip),
	TEST(test_scheme__prefix_matches_pip),
	TEST(test_scheme__target),
	TEST(test_scheme__probe_cache),
	TEST(test_scheme__venv_falls_back_to_probe),
	TEST(test_scheme__not_found),
	TEST(test_scheme__other_pythons),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	int r = th_run(argc, argv, tests);
	cleanup();
	return r;
}
