/* test_api.c - the public API as a host sees it: only include/cinstall.h.
 *
 * Versioned options, _free(NULL), error reporting on the handle, and two
 * contexts used from two threads at once in one process (run it under
 * SANITIZE=thread too).  The real wheels are Debian's
 * /usr/share/python-wheels (python3-pip-whl, python3-setuptools-whl,
 * python3-wheel-whl); tests that need them skip, saying so, when absent.
 */
#include <glob.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cinstall.h"
#include "harness.h"

#define DEBIAN_WHEELS "/usr/share/python-wheels"

/* The first wheel matching `pattern` in Debian's wheel directory, or NULL. */
static char *debian_wheel(const char *pattern)
{
	char pat[256];
	glob_t g;
	char *found = NULL;

	snprintf(pat, sizeof(pat), "%s/%s", DEBIAN_WHEELS, pattern);
	if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0)
		found = strdup(g.gl_pathv[0]);
	globfree(&g);
	return found;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_api__version(void)
{
	CHECK_STR(cinstall_version(), CINSTALL_VERSION_STRING);
}

static void test_api__free_null_is_a_noop(void)
{
	cinstall_ctx_free(NULL);
	cinstall_free(NULL);
	cinstall_wheel_filename_free(NULL);
	cinstall_report_free(NULL);
	CHECK(1);
}

static void test_api__strerror_every_code(void)
{
	int code;

	for (code = CINSTALL_OK; code >= CINSTALL_ECACHE; code--) {
		const char *s = cinstall_strerror(code);
		CHECK(s != NULL && *s != '\0');
	}
	CHECK(cinstall_strerror(-1000) != NULL);
	CHECK(cinstall_strerror(42) != NULL);
}

static void test_api__options_bad_version(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = (cinstall_ctx *)&o; /* must be reset to NULL */

	o.version = 0;
	CHECK_INT(cinstall_ctx_new(&ctx, &o), CINSTALL_EINVAL);
	CHECK(ctx == NULL);
	o.version = CINSTALL_OPTIONS_VERSION + 1;
	CHECK_INT(cinstall_ctx_new(&ctx, &o), CINSTALL_EINVAL);
	CHECK(ctx == NULL);
	CHECK_INT(cinstall_ctx_new(NULL, NULL), CINSTALL_EINVAL);
	o.version = CINSTALL_OPTIONS_VERSION;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK(ctx != NULL);
	CHECK_STR(cinstall_error_message(ctx), "");
	CHECK_INT(cinstall_error_errno(ctx), 0);
	cinstall_ctx_free(ctx);
}

static void test_api__install_options_bad_version(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_install_options io = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	cinstall_report *rep = NULL;
	const char *wheels[] = { "demo-1.0-py3-none-any.whl" };
	const char *names[] = { "demo" };

	o.cache_dir = "cache";
	o.flags = CINSTALL_OPT_NO_ENV;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	io.python = "venv";
	io.version = 0;
	CHECK_INT(cinstall_install(&rep, ctx, &io, wheels, 1), CINSTALL_EINVAL);
	cinstall_report_free(rep);
	rep = NULL;
	io.version = CINSTALL_INSTALL_OPTIONS_VERSION + 1;
	CHECK_INT(cinstall_install(&rep, ctx, &io, wheels, 1), CINSTALL_EINVAL);
	cinstall_report_free(rep);
	rep = NULL;
	CHECK_INT(cinstall_uninstall(&rep, ctx, &io, names, 1), CINSTALL_EINVAL);
	cinstall_report_free(rep);
	/* Nothing was touched: no cache, no environment. */
	CHECK(access("cache", F_OK) != 0);
	CHECK(access("venv", F_OK) != 0);
	cinstall_ctx_free(ctx);
}

static void test_api__cache_dir_from_options_and_no_env(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	char *saved = getenv("CINSTALL_CACHE_DIR") ? strdup(getenv("CINSTALL_CACHE_DIR")) : NULL;

	setenv("CINSTALL_CACHE_DIR", "/nonexistent/from-env", 1);
	o.cache_dir = "/tmp/from-options";
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK_STR(cinstall_cache_dir(ctx), "/tmp/from-options");
	cinstall_ctx_free(ctx);
	ctx = NULL;
	o.cache_dir = NULL;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK_STR(cinstall_cache_dir(ctx), "/nonexistent/from-env");
	cinstall_ctx_free(ctx);
	ctx = NULL;
	o.flags = CINSTALL_OPT_NO_ENV;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK(strcmp(cinstall_cache_dir(ctx), "/nonexistent/from-env") != 0);
	cinstall_ctx_free(ctx);
	if (saved)
		setenv("CINSTALL_CACHE_DIR", saved, 1);
	else
		unsetenv("CINSTALL_CACHE_DIR");
	free(saved);
}

static void test_api__link_mode_names(void)
{
	static const char *const names[] = { "auto", "clone", "hardlink", "symlink", "copy" };
	cinstall_link_mode m;
	int i;

	for (i = 0; i < 5; i++) {
		CHECK_INT(cinstall_link_mode_parse(&m, names[i]), 0);
		CHECK_INT(m, i);
		CHECK_STR(cinstall_link_mode_name(m), names[i]);
	}
	CHECK_INT(cinstall_link_mode_parse(&m, "reflink-please"), CINSTALL_EINVAL);
	CHECK_INT(cinstall_link_mode_parse(&m, ""), CINSTALL_EINVAL);
}

static void test_api__filename_parse(void)
{
	cinstall_wheel_filename *wf = NULL;
	cinstall_ctx *ctx = NULL;

	CHECK_OK(NULL, cinstall_wheel_filename_parse(&wf, NULL, "/x/Foo_Bar-1.0-1b-py2.py3-none-any.whl"));
	if (wf) {
		CHECK_STR(wf->name, "Foo_Bar");
		CHECK_STR(wf->version, "1.0");
	}
	cinstall_wheel_filename_free(wf);
	wf = NULL;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, NULL));
	CHECK_INT(cinstall_wheel_filename_parse(&wf, ctx, "notawheel.zip"), CINSTALL_EBADWHEEL);
	CHECK(wf == NULL);
	CHECK_CONTAINS(cinstall_error_message(ctx), "notawheel.zip");
	cinstall_ctx_free(ctx);
}

static void test_api__error_names_the_wheel(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	char *entry = NULL;

	o.cache_dir = "cache";
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK_INT(cinstall_unpack(&entry, ctx, "missing-1.0-py3-none-any.whl"), CINSTALL_ENOTFOUND);
	CHECK(entry == NULL);
	CHECK_CONTAINS(cinstall_error_message(ctx), "missing-1.0-py3-none-any.whl");
	cinstall_ctx_free(ctx);
}

/* One host thread: its own context, its own list of wheels. */
struct job {
	const char *cache;
	char *wheels[3];
	size_t nwheels;
	int rc;                 /* first failure, or 0 */
	char msg[1024];         /* its message */
	char *entries[3];       /* entry directories returned */
	uint64_t entry_count;   /* cinstall_cache_info after */
	uint64_t damaged;       /* cinstall_cache_verify after */
	unsigned long callbacks;/* log + progress calls: no lock, so TSan sees
	                         * two callbacks of one context overlapping */
};

static void job_log(cinstall_log_level level, const char *message, void *payload)
{
	struct job *j = payload;

	(void)level;
	(void)message;
	j->callbacks++;
}

static void job_progress(const cinstall_progress *p, void *payload)
{
	struct job *j = payload;

	(void)p;
	j->callbacks++;
}

static void *unpack_job(void *arg)
{
	struct job *j = arg;
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_cache_stats stats;
	cinstall_ctx *ctx = NULL;
	size_t i;

	o.cache_dir = j->cache;
	o.flags = CINSTALL_OPT_NO_ENV;
	o.jobs = 2;
	o.log_cb = job_log;
	o.log_payload = j;
	o.progress_cb = job_progress;
	o.progress_payload = j;
	if ((j->rc = cinstall_ctx_new(&ctx, &o)) < 0) {
		snprintf(j->msg, sizeof(j->msg), "cinstall_ctx_new: %s", cinstall_strerror(j->rc));
		return NULL;
	}
	for (i = 0; i < j->nwheels; i++)
		if ((j->rc = cinstall_unpack(&j->entries[i], ctx, j->wheels[i])) < 0)
			goto done;
	if ((j->rc = cinstall_cache_info(&stats, ctx)) < 0)
		goto done;
	j->entry_count = stats.entries;
	j->rc = cinstall_cache_verify(&j->damaged, ctx);
done:
	if (j->rc < 0)
		snprintf(j->msg, sizeof(j->msg), "%s", cinstall_error_message(ctx));
	cinstall_ctx_free(ctx);
	return NULL;
}

static void job_release(struct job *j)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		free(j->wheels[i]);
		cinstall_free(j->entries[i]);
	}
}

static int run_two(struct job *a, struct job *b)
{
	pthread_t ta, tb;

	if (pthread_create(&ta, NULL, unpack_job, a) != 0)
		return -1;
	if (pthread_create(&tb, NULL, unpack_job, b) != 0) {
		pthread_join(ta, NULL);
		return -1;
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	return 0;
}

static void test_api__two_contexts_two_threads(void)
{
	struct job a, b;
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.cache = "cache-a";
	b.cache = "cache-b";
	a.wheels[0] = debian_wheel("pip-*.whl");
	b.wheels[0] = debian_wheel("setuptools-*.whl");
	b.wheels[1] = debian_wheel("wheel-*.whl");
	if (!a.wheels[0] || !b.wheels[0] || !b.wheels[1]) {
		th_skip("Debian's pip, setuptools and wheel wheels are not in " DEBIAN_WHEELS
		        " (apt-get install python3-pip-whl python3-setuptools-whl python3-wheel-whl)");
		goto done;
	}
	a.nwheels = 1;
	b.nwheels = 2;
	CHECK_INT(run_two(&a, &b), 0);
	if (a.rc)
		th_fail(__FILE__, __LINE__, "thread a: %d: %s", a.rc, a.msg);
	if (b.rc)
		th_fail(__FILE__, __LINE__, "thread b: %d: %s", b.rc, b.msg);
	/* Each context used its own cache, and only its own. */
	CHECK_INT(a.entry_count, 1);
	CHECK_INT(b.entry_count, 2);
	CHECK_INT(a.damaged, 0);
	CHECK_INT(b.damaged, 0);
	for (i = 0; i < a.nwheels; i++)
		CHECK(a.entries[i] && strstr(a.entries[i], "cache-a") && is_dir(a.entries[i]));
	for (i = 0; i < b.nwheels; i++)
		CHECK(b.entries[i] && strstr(b.entries[i], "cache-b") && is_dir(b.entries[i]));
done:
	job_release(&a);
	job_release(&b);
}

/* Two contexts of one process racing on the same wheels in one cache: the
 * cache's locks must hold between threads, not only between processes. */
static void test_api__two_contexts_one_cache(void)
{
	struct job a, b;
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.cache = b.cache = "cache";
	a.wheels[0] = debian_wheel("setuptools-*.whl");
	a.wheels[1] = debian_wheel("wheel-*.whl");
	b.wheels[0] = debian_wheel("wheel-*.whl");
	b.wheels[1] = debian_wheel("setuptools-*.whl");
	if (!a.wheels[0] || !a.wheels[1]) {
		th_skip("Debian's setuptools and wheel wheels are not in " DEBIAN_WHEELS
		        " (apt-get install python3-setuptools-whl python3-wheel-whl)");
		goto done;
	}
	a.nwheels = b.nwheels = 2;
	CHECK_INT(run_two(&a, &b), 0);
	if (a.rc)
		th_fail(__FILE__, __LINE__, "thread a: %d: %s", a.rc, a.msg);
	if (b.rc)
		th_fail(__FILE__, __LINE__, "thread b: %d: %s", b.rc, b.msg);
	CHECK_INT(a.entry_count, 2);
	CHECK_INT(b.entry_count, 2);
	CHECK_INT(a.damaged, 0);
	CHECK_INT(b.damaged, 0);
	/* Same wheel, same entry, whichever thread published it. */
	for (i = 0; i < 2; i++)
		CHECK(a.entries[i] && b.entries[1 - i] && !strcmp(a.entries[i], b.entries[1 - i]));
done:
	job_release(&a);
	job_release(&b);
}

/* One host thread installing into its own environment. */
struct install_job {
	const char *cache, *venv, *wheel;
	int rc;
	char msg[1024];
	char action[32];
	cinstall_link_mode mode;
	uint64_t files;
};

static void *install_job_run(void *arg)
{
	struct install_job *j = arg;
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_install_options io = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	cinstall_report *rep = NULL;
	const cinstall_result *res;

	o.cache_dir = j->cache;
	o.flags = CINSTALL_OPT_NO_ENV;
	if ((j->rc = cinstall_ctx_new(&ctx, &o)) < 0)
		return NULL;
	io.python = j->venv;
	io.link_mode = CINSTALL_LINK_COPY;
	j->rc = cinstall_install(&rep, ctx, &io, &j->wheel, 1);
	if (j->rc < 0)
		snprintf(j->msg, sizeof(j->msg), "%s", cinstall_error_message(ctx));
	if (rep && cinstall_report_results(&res, rep) == 1) {
		snprintf(j->action, sizeof(j->action), "%s", res[0].action);
		j->mode = res[0].link_mode;
		j->files = res[0].files;
	}
	cinstall_report_free(rep);
	cinstall_ctx_free(ctx);
	return NULL;
}

static void test_api__two_contexts_install_at_once(void)
{
	const char *py = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
	char *wheel = debian_wheel("wheel-*.whl");
	struct install_job a, b;
	pthread_t ta, tb;
	char cmd[1024];
	glob_t g;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (!wheel) {
		th_skip("Debian's wheel wheel is not in " DEBIAN_WHEELS " (apt-get install python3-wheel-whl)");
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s' -m venv --without-pip venv-a && '%s' -m venv --without-pip venv-b", py, py);
	if (system(cmd) != 0) {
		th_fail(__FILE__, __LINE__, "'%s' failed", cmd);
		free(wheel);
		return;
	}
	a.cache = "cache-a";
	b.cache = "cache-b";
	a.venv = "venv-a";
	b.venv = "venv-b";
	a.wheel = b.wheel = wheel;
	CHECK(pthread_create(&ta, NULL, install_job_run, &a) == 0);
	CHECK(pthread_create(&tb, NULL, install_job_run, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (a.rc)
		th_fail(__FILE__, __LINE__, "thread a: %d: %s", a.rc, a.msg);
	if (b.rc)
		th_fail(__FILE__, __LINE__, "thread b: %d: %s", b.rc, b.msg);
	CHECK_STR(a.action, "installed");
	CHECK_STR(b.action, "installed");
	CHECK_INT(a.mode, CINSTALL_LINK_COPY);
	CHECK(a.files > 0 && a.files == b.files);
	/* Each environment got the package and its entry point. */
	CHECK(glob("venv-a/lib/python3*/site-packages/wheel/__init__.py", 0, NULL, &g) == 0 && g.gl_pathc == 1);
	globfree(&g);
	CHECK(glob("venv-b/lib/python3*/site-packages/wheel/__init__.py", 0, NULL, &g) == 0 && g.gl_pathc == 1);
	globfree(&g);
	CHECK(access("venv-a/bin/wheel", X_OK) == 0);
	CHECK(access("venv-b/bin/wheel", X_OK) == 0);
	free(wheel);
}

static void test_api__report_accessors_accept_null(void)
{
	const cinstall_result *res = (const cinstall_result *)1;
	const cinstall_conflict *conf = (const cinstall_conflict *)1;
	const char *const *warn = (const char *const *)1;

	CHECK_INT(cinstall_report_results(&res, NULL), 0);
	CHECK(res == NULL);
	CHECK_INT(cinstall_report_conflicts(&conf, NULL), 0);
	CHECK(conf == NULL);
	CHECK_INT(cinstall_report_warnings(&warn, NULL), 0);
	CHECK(warn == NULL);
}

/* Messages a host collects through its log callback. */
struct logbook {
	unsigned int errors, warnings;
	char last_error[1024];
};

static void logbook_cb(cinstall_log_level level, const char *message, void *payload)
{
	struct logbook *lb = payload;

	if (level == CINSTALL_LOG_ERROR) {
		lb->errors++;
		snprintf(lb->last_error, sizeof(lb->last_error), "%s", message);
	} else if (level == CINSTALL_LOG_WARNING) {
		lb->warnings++;
	}
}

/* cache verify finds a file changed behind the cache's back and tells the
 * host through the log callback; prune then removes the entry. */
static void test_api__verify_reports_damage_through_log(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_cache_stats st;
	cinstall_ctx *ctx = NULL;
	struct logbook lb;
	char *wheel = debian_wheel("wheel-*.whl"), *entry = NULL, path[4096];
	uint64_t n = 99;
	FILE *f;

	memset(&lb, 0, sizeof(lb));
	if (!wheel) {
		th_skip("Debian's wheel wheel is not in " DEBIAN_WHEELS " (apt-get install python3-wheel-whl)");
		return;
	}
	o.cache_dir = "cache";
	o.flags = CINSTALL_OPT_NO_ENV;
	o.log_cb = logbook_cb;
	o.log_payload = &lb;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, wheel));
	CHECK_OK(ctx, cinstall_cache_verify(&n, ctx));
	CHECK_INT(n, 0);
	CHECK_INT(lb.errors, 0);
	if (!entry)
		goto done;
	snprintf(path, sizeof(path), "%s/tree/wheel/__init__.py", entry);
	if (!(f = fopen(path, "a"))) {
		th_fail(__FILE__, __LINE__, "cannot open %s", path);
		goto done;
	}
	fputs("# changed behind the cache's back\n", f);
	fclose(f);
	CHECK_INT(cinstall_cache_verify(&n, ctx), CINSTALL_ECACHE);
	CHECK_INT(n, 1);
	CHECK(lb.errors >= 1);
	CHECK_CONTAINS(lb.last_error, "wheel/__init__.py");
	n = 0;
	CHECK_OK(ctx, cinstall_cache_prune(&n, ctx));
	CHECK(n >= 1);
	CHECK_OK(ctx, cinstall_cache_info(&st, ctx));
	CHECK_INT(st.entries, 0);
	CHECK(access(entry, F_OK) != 0);
done:
	cinstall_free(entry);
	cinstall_ctx_free(ctx);
	free(wheel);
}

/* A directory forced to "no symlinks" gets real files in symlink mode; one
 * left to probing gets symlinks (the test directory's filesystem has them). */
static void test_api__symlink_support_override(void)
{
	const char *py = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_install_options io = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	char *wheel = debian_wheel("wheel-*.whl");
	char cmd[1024], dir[4096];
	struct stat st;
	glob_t g;
	const char *w;

	if (!wheel) {
		th_skip("Debian's wheel wheel is not in " DEBIAN_WHEELS " (apt-get install python3-wheel-whl)");
		return;
	}
	w = wheel;
	snprintf(cmd, sizeof(cmd), "'%s' -m venv --without-pip venv-a && '%s' -m venv --without-pip venv-b", py, py);
	if (system(cmd) != 0) {
		th_fail(__FILE__, __LINE__, "'%s' failed", cmd);
		goto done;
	}
	o.cache_dir = "cache";
	o.flags = CINSTALL_OPT_NO_ENV;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK_INT(cinstall_symlink_support_set(ctx, "venv-b", 2), CINSTALL_EINVAL);
	CHECK(*cinstall_error_message(ctx) != '\0');
	CHECK_INT(cinstall_symlink_support_set(ctx, NULL, 0), CINSTALL_EINVAL);
	snprintf(dir, sizeof(dir), "%s/venv-b", th_tmpdir());
	CHECK_OK(ctx, cinstall_symlink_support_set(ctx, dir, 0));
	io.link_mode = CINSTALL_LINK_SYMLINK;
	io.python = "venv-a";
	CHECK_OK(ctx, cinstall_install(NULL, ctx, &io, &w, 1));
	io.python = "venv-b";
	CHECK_OK(ctx, cinstall_install(NULL, ctx, &io, &w, 1));
	if (glob("venv-a/lib/python3*/site-packages/wheel/__init__.py", 0, NULL, &g) == 0) {
		CHECK(lstat(g.gl_pathv[0], &st) == 0 && S_ISLNK(st.st_mode));
		globfree(&g);
	} else {
		th_fail(__FILE__, __LINE__, "venv-a has no wheel/__init__.py");
	}
	if (glob("venv-b/lib/python3*/site-packages/wheel/__init__.py", 0, NULL, &g) == 0) {
		CHECK(lstat(g.gl_pathv[0], &st) == 0 && S_ISREG(st.st_mode));
		globfree(&g);
	} else {
		th_fail(__FILE__, __LINE__, "venv-b has no wheel/__init__.py");
	}
	/* Back to probing: symlinks again. */
	CHECK_OK(ctx, cinstall_symlink_support_set(ctx, dir, -1));
	io.flags = CINSTALL_INSTALL_REINSTALL;
	CHECK_OK(ctx, cinstall_install(NULL, ctx, &io, &w, 1));
	if (glob("venv-b/lib/python3*/site-packages/wheel/__init__.py", 0, NULL, &g) == 0) {
		CHECK(lstat(g.gl_pathv[0], &st) == 0 && S_ISLNK(st.st_mode));
		globfree(&g);
	}
done:
	cinstall_ctx_free(ctx);
	free(wheel);
}

static const cinstall_test tests[] = {
	TEST(test_api__version),
	TEST(test_api__free_null_is_a_noop),
	TEST(test_api__strerror_every_code),
	TEST(test_api__options_bad_version),
	TEST(test_api__install_options_bad_version),
	TEST(test_api__cache_dir_from_options_and_no_env),
	TEST(test_api__link_mode_names),
	TEST(test_api__filename_parse),
	TEST(test_api__error_names_the_wheel),
	TEST(test_api__two_contexts_two_threads),
	TEST(test_api__two_contexts_one_cache),
	TEST(test_api__two_contexts_install_at_once),
	TEST(test_api__report_accessors_accept_null),
	TEST(test_api__verify_reports_damage_through_log),
	TEST(test_api__symlink_support_override),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	locale_t keep_utf8;
	int r;

	/* libarchive converts zip timestamps with mktime(), which calls glibc's
	 * tzset under a lock ThreadSanitizer cannot see; with TZ unset every
	 * call frees and re-copies the zone name, which TSan then reports as
	 * a race between two unpacking threads.  A host is not affected; here,
	 * settle the zone once, before any thread starts. */
	setenv("TZ", "UTC", 0);
	tzset();
	/* Likewise the unpacker's newlocale("C.UTF-8")/freelocale pair: glibc
	 * loads and unloads the locale data under its own locks (both calls are
	 * MT-Safe), unseen by TSan.  Holding one reference for the whole run
	 * keeps the data loaded, so the threads only share it. */
	keep_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	r = th_run(argc, argv, tests);
	if (keep_utf8)
		freelocale(keep_utf8);
	return r;
}
