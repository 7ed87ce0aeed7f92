/* test_unpack.c - wheels into verified trees, through the library API, on
 * the fixture wheels of fixtures/gen_wheels.py. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cinstall.h"
#include "ctx.h"
#include "harness.h"
#include "hash.h"
#include "manifest.h"
#include "path.h"
#include "unpack.h"

typedef struct logbuf {
	char text[8192];
	int warnings;
} logbuf;

static void log_cb(cinstall_log_level level, const char *message, void *payload)
{
	logbuf *l = payload;
	size_t len = strlen(l->text);

	if (level == CINSTALL_LOG_WARNING)
		l->warnings++;
	if (level <= CINSTALL_LOG_WARNING)
		snprintf(l->text + len, sizeof(l->text) - len, "%s\n", message);
}

static cinstall_ctx *new_ctx(logbuf *l, unsigned int flags)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/cache", th_tmpdir());
	memset(l, 0, sizeof(*l));
	o.cache_dir = dir;
	o.flags = flags | CINSTALL_OPT_NO_ENV;
	o.log_cb = log_cb;
	o.log_payload = l;
	if (cinstall_ctx_new(&ctx, &o) != 0)
		th_fail(__FILE__, __LINE__, "cannot make a context");
	return ctx;
}

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", th_fixtures(), name);
	if (access(path, R_OK) != 0)
		th_fail(__FILE__, __LINE__, "fixture '%s' missing (run fixtures/gen_wheels.py)", path);
	return path;
}

/* sha256 of a file, in RECORD's base64 form. */
static void file_sha256(char out[CINSTALL_B64_MAX], const char *path)
{
	cinstall_dl dl;
	cinstall_sha *s = NULL;
	unsigned char buf[65536], d[CINSTALL_DIGEST_MAX];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	out[0] = '\0';
	cinstall_dl__init(&dl);
	if (fd < 0 || cinstall_sha__new(&s, CINSTALL_HASH_SHA256, &dl, NULL, path) < 0) {
		if (fd >= 0)
			close(fd);
		cinstall_dl__release(&dl);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		cinstall_sha__update(s, buf, (size_t)n);
	cinstall_hash__b64url(out, d, cinstall_sha__final(s, d));
	cinstall_sha__free(s);
	cinstall_dl__release(&dl);
	close(fd);
}

static void test_unpack__pure_wheel_manifest(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *m = NULL;
	char *entry = NULL, path[8192], sha[CINSTALL_B64_MAX], b64[CINSTALL_B64_MAX];
	size_t i;

	CHECK_INT(cinstall_unpack__wheel(&entry, &m, ctx, &err, fixture("simple-1.0-py3-none-any.whl")), 0);
	if (!m) {
		th_fail(__FILE__, __LINE__, "%s", err.msg);
		goto done;
	}
	CHECK_CONTAINS(entry, "/cache/v1/wheels/");
	CHECK_STR(m->name, "simple");
	CHECK_STR(m->version, "1.0");
	CHECK_STR(m->dist_info, "simple-1.0.dist-info");
	CHECK(m->data_dir == NULL);
	CHECK_INT(m->root_is_purelib, 1);
	CHECK_STR(m->tags, "py3-none-any");
	CHECK_STR(m->wheel, "simple-1.0-py3-none-any.whl");
	CHECK_INT(strlen(m->key), 32);
	CHECK_INT(strlen(m->wheel_sha256), 64);
	CHECK(m->sloppy == NULL);
	CHECK_INT(m->nfiles, 5);
	for (i = 0; i < m->nfiles; i++) {
		struct stat st;
		if (i)
			CHECK(strcmp(m->files[i - 1].path, m->files[i].path) < 0);
		snprintf(path, sizeof(path), "%s/tree/%s", entry, m->files[i].path);
		CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
		CHECK_INT((uint64_t)st.st_size, m->files[i].size);
		file_sha256(sha, path);
		cinstall_manifest__sha256_b64(b64, &m->files[i]);
		CHECK_STR(b64, sha);
		CHECK_INT(m->files[i].mode, 0644);
	}
	/* The RECORD row has no hash, but its manifest entry is real. */
	CHECK(cinstall_manifest__find(m, "simple-1.0.dist-info/RECORD") != NULL);
	CHECK_INT(l.warnings, 0);
done:
	free(entry);
	cinstall_manifest__free(m);
	cinstall_ctx_free(ctx);
}

static void test_unpack__modes(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *m = NULL;
	const cinstall_manifest_file *f;
	char *entry = NULL, path[8192];
	struct stat st;
	mode_t mask = umask(022);

	CHECK_INT(cinstall_unpack__wheel(&entry, &m, ctx, &err, fixture("execpkg-1.0-py3-none-any.whl")), 0);
	if (m) {
		CHECK((f = cinstall_manifest__find(m, "execpkg/tool.sh")) && f->mode == 0755);
		CHECK((f = cinstall_manifest__find(m, "execpkg/owner_only_x")) && f->mode == 0755);
		CHECK((f = cinstall_manifest__find(m, "execpkg/plain.txt")) && f->mode == 0644);
		snprintf(path, sizeof(path), "%s/tree/execpkg/tool.sh", entry);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0755);
		snprintf(path, sizeof(path), "%s/tree/execpkg/plain.txt", entry);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	}
	free(entry);
	cinstall_manifest__free(m);
	m = NULL;
	entry = NULL;
	/* Made on Windows: no unix modes at all. */
	CHECK_INT(cinstall_unpack__wheel(&entry, &m, ctx, &err, fixture("winpkg-1.0-py3-none-any.whl")), 0);
	if (m) {
		size_t i;
		for (i = 0; i < m->nfiles; i++)
			CHECK_INT(m->files[i].mode, 0644);
	}
	umask(mask);
	free(entry);
	cinstall_manifest__free(m);
	cinstall_ctx_free(ctx);
}

static void test_unpack__data_dir_and_platlib(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *m = NULL;
	const cinstall_manifest_file *f;

	CHECK_INT(cinstall_unpack__wheel(NULL, &m, ctx, &err, fixture("datapkg-1.0-py3-none-any.whl")), 0);
	if (m) {
		CHECK_STR(m->data_dir, "datapkg-1.0.data");
		CHECK((f = cinstall_manifest__find(m, "datapkg-1.0.data/scripts/datapkg-run")) && f->mode == 0755);
		CHECK(cinstall_manifest__find(m, "datapkg-1.0.data/headers/datapkg.h") != NULL);
	}
	cinstall_manifest__free(m);
	m = NULL;
	CHECK_INT(cinstall_unpack__wheel(NULL, &m, ctx, &err, fixture("platpkg-2.0-cp311-cp311-linux_x86_64.whl")), 0);
	if (m) {
		CHECK_INT(m->root_is_purelib, 0);
		CHECK_STR(m->tags, "cp311-cp311-linux_x86_64");
	}
	cinstall_manifest__free(m);
	m = NULL;
	CHECK_INT(cinstall_unpack__wheel(NULL, &m, ctx, &err, fixture("reqpy-1.0-py3-none-any.whl")), 0);
	if (m)
		CHECK_STR(m->requires_python, ">=3.7");
	cinstall_manifest__free(m);
	cinstall_ctx_free(ctx);
}

static void test_unpack__names_versions_and_hashes(void)
{
	static const char *const wheels[] = {
		"Dotted.Name-1.0-py3-none-any.whl", "UPPER_Case-1.0-py3-none-any.whl", "normver-2.0rc1-py3-none-any.whl",
		"buildtag-1.0-1-py3-none-any.whl", "sha384pkg-1.0-py3-none-any.whl", "sha512pkg-1.0-py3-none-any.whl",
		"awkward-1.0-py3-none-any.whl", "oldwheel-1.0-py3-none-any.whl", "dirs-1.0-py3-none-any.whl",
		"nspkg-1.0-py3-none-any.whl", "eppkg-1.0-py3-none-any.whl",
	};
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, CINSTALL_OPT_STRICT);
	size_t i;

	for (i = 0; i < sizeof(wheels) / sizeof(wheels[0]); i++) {
		char *entry = NULL;
		if (cinstall_unpack(&entry, ctx, fixture(wheels[i])) != 0)
			th_fail(__FILE__, __LINE__, "%s: %s", wheels[i], cinstall_error_message(ctx));
		cinstall_free(entry);
	}
	CHECK_INT(l.warnings, 0);
	cinstall_ctx_free(ctx);
}

static void test_unpack__newer_wheel_version_warns_once(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	cinstall_err err = CINSTALL_ERR_INIT;

	cinstall_manifest *m = NULL;

	CHECK_INT(cinstall_unpack__to_dir(&m, ctx, &err, fixture("newwheel-1.0-py3-none-any.whl"), "one"), 0);
	cinstall_manifest__free(m);
	m = NULL;
	CHECK_INT(cinstall_unpack__to_dir(&m, ctx, &err, fixture("newwheel-1.0-py3-none-any.whl"), "two"), 0);
	cinstall_manifest__free(m);
	CHECK_INT(l.warnings, 1);
	CHECK_CONTAINS(l.text, "newwheel-1.0-py3-none-any.whl: Wheel-Version 1.9 is newer than 1.0");
	cinstall_ctx_free(ctx);
}

/* Every refusal names the wheel, the entry and the rule. */
static void test_unpack__refusals(void)
{
	static const struct { const char *wheel; int code; const char *msg; } cases[] = {
		{ "zipslip-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "zipslip-1.0-py3-none-any.whl: '../evil.py': '..' component" },
		{ "absolute-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "'/tmp/evil.py': absolute path" },
		{ "symlink-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "symlink-1.0-py3-none-any.whl: 'symlink/link': symbolic link" },
		{ "device-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "'device/dev': device" },
		{ "dup-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "dup-1.0-py3-none-any.whl: 'dup/mod.py': duplicate name" },
		{ "badcrc-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "badcrc-1.0-py3-none-any.whl: 'badcrc/mod.py': cannot read entry" },
		{ "sizelie-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "'sizelie/big.bin': entry holds more data than its declared size of 100 bytes" },
		{ "ratiobomb-1.0-py3-none-any.whl", CINSTALL_ELIMIT, "'ratiobomb/zeros.bin': compression ratio exceeds the limit of 200" },
		{ "wheelv2-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "'wheelv2-1.0.dist-info/WHEEL': Wheel-Version 2.0 is not supported" },
		{ "twodi-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "more than one .dist-info directory" },
		{ "md5rec-1.0-py3-none-any.whl", CINSTALL_ERECORD, "'md5rec/mod.py': RECORD hashes it with md5" },
		{ "wronghash-1.0-py3-none-any.whl", CINSTALL_ERECORD, "wronghash-1.0-py3-none-any.whl: 'wronghash/mod.py': sha256 does not match RECORD (expected " },
		{ "wrongsize-1.0-py3-none-any.whl", CINSTALL_ERECORD, "'wrongsize/mod.py': size does not match RECORD (expected 99, got 23)" },
		{ "wrong512-1.0-py3-none-any.whl", CINSTALL_ERECORD, "'wrong512/mod.py': sha512 does not match RECORD" },
		{ "norecord-1.0-py3-none-any.whl", CINSTALL_ERECORD, "'norecord-1.0.dist-info/RECORD': missing" },
		{ "namemis-1.0-py3-none-any.whl", CINSTALL_EBADWHEEL, "Name 'othername' does not match the file name" },
	};
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	char path[4096], cache[4096];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *entry = (char *)"untouched";
		int r;
		snprintf(path, sizeof(path), "hostile/%s", cases[i].wheel);
		r = cinstall_unpack(&entry, ctx, fixture(path));
		if (r != cases[i].code)
			th_fail(__FILE__, __LINE__, "%s: got %d, expected %d: %s", cases[i].wheel, r, cases[i].code,
			        cinstall_error_message(ctx));
		CHECK(entry == NULL);
		CHECK_CONTAINS(cinstall_error_message(ctx), cases[i].msg);
	}
	/* Nothing was published, nothing left behind. */
	snprintf(cache, sizeof(cache), "%s/cache/v1/wheels", th_tmpdir());
	CHECK(rmdir(cache) == 0);
	snprintf(cache, sizeof(cache), "%s/cache/v1/tmp", th_tmpdir());
	CHECK(rmdir(cache) == 0);
	snprintf(cache, sizeof(cache), "%s/cache/v1/locks", th_tmpdir());
	CHECK(rmdir(cache) == 0);
	cinstall_ctx_free(ctx);
}

static void test_unpack__limits_from_options(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	char *entry = NULL;

	o.cache_dir = "cache";
	o.flags = CINSTALL_OPT_NO_ENV;
	o.max_entries = 100;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK_INT(cinstall_unpack(&entry, ctx, fixture("hostile/manyentries-1.0-py3-none-any.whl")), CINSTALL_ELIMIT);
	CHECK_CONTAINS(cinstall_error_message(ctx), "manyentries-1.0-py3-none-any.whl: more than 100 entries");
	cinstall_ctx_free(ctx);
	o.max_entries = 0;
	o.max_total_size = 1000000;
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, &o));
	CHECK_INT(cinstall_unpack(&entry, ctx, fixture("hostile/bigtotal-1.0-py3-none-any.whl")), CINSTALL_ELIMIT);
	CHECK_CONTAINS(cinstall_error_message(ctx), "'bigtotal/big.bin': total uncompressed size exceeds the limit of 1000000");
	/* Small wheels never trip the ratio limit. */
	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, fixture("simple-1.0-py3-none-any.whl")));
	cinstall_free(entry);
	cinstall_ctx_free(ctx);
}

static void test_unpack__sloppy_warns_or_fails_under_strict(void)
{
	static const char *const wheels[][2] = {
		{ "sloppy/unlisted-1.0-py3-none-any.whl", "'unlisted/extra.py': not listed in RECORD" },
		{ "sloppy/absent-1.0-py3-none-any.whl", "'absent/gone.py': listed in RECORD but not in the wheel" },
		{ "sloppy/nohash-1.0-py3-none-any.whl", "'nohash/mod.py': no hash in RECORD" },
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		logbuf l;
		cinstall_ctx *ctx = new_ctx(&l, CINSTALL_OPT_STRICT), *lax;
		cinstall_err err = CINSTALL_ERR_INIT;
		cinstall_manifest *m = NULL;
		char *entry = NULL;

		CHECK_INT(cinstall_unpack(&entry, ctx, fixture(wheels[i][0])), CINSTALL_ERECORD);
		CHECK_CONTAINS(cinstall_error_message(ctx), wheels[i][1]);
		cinstall_ctx_free(ctx);

		lax = new_ctx(&l, 0);
		CHECK_INT(cinstall_unpack__wheel(&entry, &m, lax, &err, fixture(wheels[i][0])), 0);
		CHECK_INT(l.warnings, 1);
		CHECK_CONTAINS(l.text, wheels[i][1]);
		/* The manifest is complete and true whatever RECORD said. */
		if (m) {
			size_t j;
			CHECK(m->sloppy != NULL);
			for (j = 0; j < m->nfiles; j++) {
				char b64[CINSTALL_B64_MAX], sha[CINSTALL_B64_MAX], p[4096];
				snprintf(p, sizeof(p), "%s/tree/%s", entry, m->files[j].path);
				file_sha256(sha, p);
				cinstall_manifest__sha256_b64(b64, &m->files[j]);
				CHECK_STR(b64, sha);
			}
		}
		cinstall_manifest__free(m);
		free(entry);
		cinstall_ctx_free(lax);

		/* A cached sloppy entry is still refused under strict. */
		ctx = new_ctx(&l, CINSTALL_OPT_STRICT);
		CHECK_INT(cinstall_unpack(&entry, ctx, fixture(wheels[i][0])), CINSTALL_ERECORD);
		CHECK_CONTAINS(cinstall_error_message(ctx), "(strict mode)");
		cinstall_ctx_free(ctx);
		{
			cinstall_err e2 = CINSTALL_ERR_INIT;
			char cache[4096];
			snprintf(cache, sizeof(cache), "%s/cache", th_tmpdir());
			cinstall_path__rmtree(&e2, cache);
		}
	}
}

static void test_unpack__to_dir_no_cache(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *m = NULL;
	struct stat st;

	CHECK_INT(cinstall_unpack__to_dir(&m, ctx, &err, fixture("simple-1.0-py3-none-any.whl"), "target/tmp"), 0);
	CHECK(m != NULL);
	CHECK(stat("target/tmp/tree/simple/__init__.py", &st) == 0);
	CHECK(stat("cache", &st) != 0); /* no cache */
	if (m) {
		CHECK_INT(strlen(m->key), 32);
		CHECK_INT(strlen(m->wheel_sha256), 64);
	}
	cinstall_manifest__free(m);
	m = NULL;
	/* A refused wheel leaves nothing behind. */
	CHECK_INT(cinstall_unpack__to_dir(&m, ctx, &err, fixture("hostile/wronghash-1.0-py3-none-any.whl"), "target/bad"),
	          CINSTALL_ERECORD);
	CHECK(m == NULL);
	CHECK(stat("target/bad", &st) != 0);
	cinstall_ctx_free(ctx);
}

static void test_unpack__same_wheel_two_names_one_entry(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	char *a = NULL, *b = NULL, cmd[8192];

	snprintf(cmd, sizeof(cmd), "cp '%s' simple-1.0-py2.py3-none-any.whl", fixture("simple-1.0-py3-none-any.whl"));
	CHECK(system(cmd) == 0);
	CHECK_OK(ctx, cinstall_unpack(&a, ctx, fixture("simple-1.0-py3-none-any.whl")));
	CHECK_OK(ctx, cinstall_unpack(&b, ctx, "simple-1.0-py2.py3-none-any.whl"));
	CHECK_STR(a, b);
	cinstall_free(a);
	cinstall_free(b);
	cinstall_ctx_free(ctx);
}

static void test_unpack__missing_and_bad_arguments(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	char *entry = NULL;

	CHECK_INT(cinstall_unpack(&entry, ctx, "missing-1.0-py3-none-any.whl"), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(cinstall_error_message(ctx), "missing-1.0-py3-none-any.whl");
	CHECK_INT(cinstall_error_errno(ctx), ENOENT);
	CHECK_INT(cinstall_unpack(NULL, ctx, "x.whl"), CINSTALL_EINVAL);
	CHECK(mkdir("dir-1.0-py3-none-any.whl", 0755) == 0);
	CHECK_INT(cinstall_unpack(&entry, ctx, "dir-1.0-py3-none-any.whl"), CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(cinstall_error_message(ctx), "not a regular file");
	cinstall_ctx_free(ctx);
}

/* ---- one wheel split over threads: the same as on one thread ----------- */

typedef struct splitlog {
	int splits;
	int places;               /* split placements */
	int fallbacks;            /* split unpacks that failed and ran again on one thread */
	int seekable;             /* split unpacks with parts read through seekable readers */
	char warnings[8192];
} splitlog;

static void split_log_cb(cinstall_log_level level, const char *message, void *payload)
{
	splitlog *l = payload;
	size_t len = strlen(l->warnings);

	if (strstr(message, "split over"))
		l->splits++;
	if (strstr(message, "placed by"))
		l->places++;
	if (strstr(message, "again on one thread"))
		l->fallbacks++;
	if (strstr(message, "through a seekable reader"))
		l->seekable++;
	if (level <= CINSTALL_LOG_WARNING)
		snprintf(l->warnings + len, sizeof(l->warnings) - len, "%s\n", message);
}

/* jobs threads; with split, every wheel is split (CINSTALL_SPLIT_MIN=1). */
static cinstall_ctx *split_ctx(splitlog *l, unsigned int jobs, int split)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;

	memset(l, 0, sizeof(*l));
	o.cache_dir = "cache";
	o.flags = CINSTALL_OPT_NO_ENV;
	o.jobs = jobs;
	o.log_cb = split_log_cb;
	o.log_payload = l;
	if (cinstall_ctx_new(&ctx, &o) != 0)
		th_fail(__FILE__, __LINE__, "cannot make a context");
	if (split)
		ctx->split_min = 1;
	return ctx;
}

/* The manifest's text, without the seal (a time). */
static void manifest_text(cinstall_buf *out, cinstall_manifest *m, const char *dir)
{
	char path[4096], buf[65536];
	ssize_t n;
	int fd;

	m->sealed_ns = 0;
	cinstall_buf__truncate(out, 0);
	CHECK_INT(cinstall_manifest__save(NULL, m, dir), 0);
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	CHECK((fd = open(path, O_RDONLY)) >= 0);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		cinstall_buf__put(out, buf, (size_t)n);
	if (fd >= 0)
		close(fd);
}

/* Unpack `wheel` (no cache) on one thread and split over `jobs`: the same
 * result code, message, warnings and manifest. */
static void same_split(const char *wheel, unsigned int jobs, int *splits)
{
	splitlog l1, ln;
	cinstall_ctx *one = split_ctx(&l1, 1, 0), *many = split_ctx(&ln, jobs, 1);
	cinstall_err e1 = CINSTALL_ERR_INIT, en = CINSTALL_ERR_INIT;
	cinstall_manifest *m1 = NULL, *mn = NULL;
	cinstall_buf t1 = CINSTALL_BUF_INIT, tn = CINSTALL_BUF_INIT;
	char d1[8300], dn[8300];
	const char *base = strrchr(wheel, '/') ? strrchr(wheel, '/') + 1 : wheel;
	int r1, rn;

	snprintf(d1, sizeof(d1), "one-%u/%s", jobs, base);
	snprintf(dn, sizeof(dn), "many-%u/%s", jobs, base);
	r1 = cinstall_unpack__to_dir(&m1, one, &e1, wheel, d1);
	rn = cinstall_unpack__to_dir(&mn, many, &en, wheel, dn);
	if (r1 != rn || strcmp(e1.msg, en.msg))
		th_fail(__FILE__, __LINE__, "%s, %u threads: got %d '%s', one thread %d '%s'", base, jobs, rn, en.msg, r1,
		        e1.msg);
	CHECK_STR(ln.warnings, l1.warnings);
	CHECK(l1.splits == 0);
	*splits += ln.splits;
	if (r1 == 0 && rn == 0) {
		/* A good wheel is not unpacked twice: the parts' readers (streaming,
		 * or seekable where they must be) read it. */
		if (ln.fallbacks)
			th_fail(__FILE__, __LINE__, "%s, %u threads: the split failed, unpacked again on one thread", base,
			        jobs);
		manifest_text(&t1, m1, d1);
		manifest_text(&tn, mn, dn);
		CHECK(t1.len > 0);
		CHECK_STR(tn.ptr, t1.ptr);
	}
	cinstall_buf__release(&t1);
	cinstall_buf__release(&tn);
	cinstall_manifest__free(m1);
	cinstall_manifest__free(mn);
	cinstall_ctx_free(one);
	cinstall_ctx_free(many);
}

static void test_unpack__split_same_as_one_thread(void)
{
	const char *dirs[] = { "", "hostile/", "sloppy/" };
	char dir[4096], path[8192];
	unsigned int jobs;
	size_t i;
	int splits = 0, wheels = 0;

	/* As the command does: with TZ unset, each mktime() in libarchive
	 * re-reads the zone under a lock of glibc's that ThreadSanitizer
	 * does not see. */
	setenv("TZ", ":/etc/localtime", 0);
	tzset();
	for (jobs = 2; jobs <= 4; jobs += 2)
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			DIR *d;
			struct dirent *de;
			snprintf(dir, sizeof(dir), "%s/%s", th_fixtures(), dirs[i]);
			CHECK((d = opendir(dir)) != NULL);
			while (d && (de = readdir(d))) {
				size_t n = strlen(de->d_name);
				if (n < 4 || strcmp(de->d_name + n - 4, ".whl"))
					continue;
				snprintf(path, sizeof(path), "%s%s", dir, de->d_name);
				same_split(path, jobs, &splits);
				wheels++;
			}
			if (d)
				closedir(d);
		}
	/* Most wheels were split (the rest failed the first pass, or were
	 * not zip archives at all). */
	CHECK(wheels > 60);
	if (splits < wheels / 2)
		th_fail(__FILE__, __LINE__, "only %d of %d unpacks were split", splits, wheels);
}

/* A wheel whose entries have their sizes after their data (bit 3, as
 * written to a pipe): the parts after the first cannot pass over entries
 * with a streaming reader, and read through seekable ones; the first part
 * streams them.  No fallback to one thread, the same manifest. */
static void test_unpack__split_data_descriptors(void)
{
	splitlog l;
	cinstall_ctx *ctx = split_ctx(&l, 2, 1);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *m = NULL;
	int splits = 0;

	CHECK_INT(cinstall_unpack__to_dir(&m, ctx, &err, fixture("streamed-1.0-py3-none-any.whl"), "streamed"), 0);
	CHECK_INT(l.splits, 1);
	CHECK_INT(l.fallbacks, 0);
	CHECK_INT(l.seekable, 1);
	CHECK(m != NULL && m->nfiles == 12);
	cinstall_manifest__free(m);
	cinstall_ctx_free(ctx);
	same_split(fixture("streamed-1.0-py3-none-any.whl"), 4, &splits);
	CHECK_INT(splits, 1);
}

/* Threads unpacking other wheels are not taken: with every job busy, a
 * big wheel is not split. */
static void test_unpack__split_only_spare_threads(void)
{
	splitlog l;
	cinstall_ctx *ctx = split_ctx(&l, 2, 1);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *m = NULL;

	ctx->unpacking = 1; /* another thread is unpacking */
	CHECK_INT(cinstall_unpack__to_dir(&m, ctx, &err, fixture("simple-1.0-py3-none-any.whl"), "busy"), 0);
	CHECK_INT(l.splits, 0);
	CHECK_INT((int)ctx->unpacking, 1);
	cinstall_manifest__free(m);
	m = NULL;
	ctx->unpacking = 0;
	CHECK_INT(cinstall_unpack__to_dir(&m, ctx, &err, fixture("simple-1.0-py3-none-any.whl"), "idle"), 0);
	CHECK_INT(l.splits, 1);
	CHECK_INT((int)ctx->unpacking, 0);
	cinstall_manifest__free(m);
	cinstall_ctx_free(ctx);
}

/* Every regular file below `dir`, with its size, one line each, sorted. */
static void list_tree(cinstall_buf *out, const char *dir)
{
	char cmd[1024];
	FILE *p;
	char line[4096];

	cinstall_buf__truncate(out, 0);
	if (snprintf(cmd, sizeof(cmd), "cd '%.900s' && find . -type f -printf '%%p %%s %%m\\n' | LC_ALL=C sort", dir) >= (int)sizeof(cmd))
		return;
	CHECK((p = popen(cmd, "r")) != NULL);
	if (!p)
		return;
	while (fgets(line, sizeof(line), p))
		cinstall_buf__puts(out, line);
	pclose(p);
}

/* A wheel whose first files are scripts the install rewrites (copied, not
 * linked): its first linked file comes in the split placement. */
static const char scripts_first_py[] =
	"import base64, hashlib, sys, zipfile\n"
	"files = [('aaa-1.0.data/scripts/s%d' % i, b'#!python\\nprint(%d)\\n' % i) for i in range(3)]\n"
	"files += [('aaa/m%03d.py' % i, b'x = %d\\n' % i) for i in range(40)]\n"
	"files += [('aaa-1.0.dist-info/METADATA', b'Metadata-Version: 2.1\\nName: aaa\\nVersion: 1.0\\n\\n'),\n"
	"          ('aaa-1.0.dist-info/WHEEL', b'Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')]\n"
	"rows = ['%s,sha256=%s,%d' % (p, base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode(), len(b))\n"
	"        for p, b in files] + ['aaa-1.0.dist-info/RECORD,,']\n"
	"files.append(('aaa-1.0.dist-info/RECORD', ('\\n'.join(rows) + '\\n').encode()))\n"
	"with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
	"    for p, b in files:\n"
	"        z.writestr(zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0)), b)\n";

/* One wheel placed by two threads (CINSTALL_SPLIT_MIN=1), in hardlink and
 * copy mode: the same files as one thread places (and, under TSan, no
 * race between the threads): Debian's setuptools, and a wheel whose first
 * linked file is left to the threads (the first of them decides the mode,
 * alone, before the others start). */
static void test_unpack__split_place_same_as_one_thread(void)
{
	const char *py = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
	const cinstall_link_mode modes[] = { CINSTALL_LINK_HARDLINK, CINSTALL_LINK_COPY };
	const char *wheels[2];
	cinstall_buf one = CINSTALL_BUF_INIT, two = CINSTALL_BUF_INIT;
	char cmd[1024], venv[64];
	size_t k, w;
	unsigned int jobs;
	glob_t g;
	FILE *f;

	if (glob("/usr/share/python-wheels/setuptools-*.whl", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		globfree(&g);
		th_skip("Debian's setuptools wheel is not in /usr/share/python-wheels (apt-get install python3-setuptools-whl)");
		return;
	}
	wheels[0] = g.gl_pathv[0];
	wheels[1] = "aaa-1.0-py3-none-any.whl";
	CHECK((f = fopen("mkaaa.py", "w")) != NULL);
	if (f) {
		fputs(scripts_first_py, f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "'%s' mkaaa.py %s", py, wheels[1]);
	CHECK_INT(system(cmd), 0);
	for (k = 0; k < 4; k++) {
		const char *wheel = wheels[k / 2];
		w = k / 2;
		for (jobs = 1; jobs <= 2; jobs++) {
			cinstall_install_options io = CINSTALL_INSTALL_OPTIONS_INIT;
			cinstall_report *rep = NULL;
			splitlog l;
			cinstall_ctx *ctx = split_ctx(&l, jobs, 1);

			snprintf(venv, sizeof(venv), "pv%zu-%u", k, jobs);
			snprintf(cmd, sizeof(cmd), "'%s' -m venv --without-pip %s", py, venv);
			CHECK_INT(system(cmd), 0);
			io.python = venv;
			io.link_mode = modes[k % 2];
			io.flags = CINSTALL_INSTALL_STRICT_LINK_MODE;
			if (cinstall_install(&rep, ctx, &io, (const char *const *)&wheel, 1) != 0)
				th_fail(__FILE__, __LINE__, "%s: %s", venv, cinstall_error_message(ctx));
			CHECK_INT(l.places, jobs == 2 ? 1 : 0);
			cinstall_report_free(rep);
			cinstall_ctx_free(ctx);
			snprintf(cmd, sizeof(cmd), "%s/lib", venv);
			list_tree(jobs == 1 ? &one : &two, cmd);
		}
		CHECK(one.len > (w ? 1000 : 10000));
		CHECK_STR(cinstall_buf__cstr(&one), cinstall_buf__cstr(&two));
	}
	globfree(&g);
	cinstall_buf__release(&one);
	cinstall_buf__release(&two);
}

static const cinstall_test tests[] = {
	TEST(test_unpack__pure_wheel_manifest),
	TEST(test_unpack__modes),
	TEST(test_unpack__data_dir_and_platlib),
	TEST(test_unpack__names_versions_and_hashes),
	TEST(test_unpack__newer_wheel_version_warns_once),
	TEST(test_unpack__refusals),
	TEST(test_unpack__limits_from_options),
	TEST(test_unpack__sloppy_warns_or_fails_under_strict),
	TEST(test_unpack__to_dir_no_cache),
	TEST(test_unpack__same_wheel_two_names_one_entry),
	TEST(test_unpack__missing_and_bad_arguments),
	TEST(test_unpack__split_same_as_one_thread),
	TEST(test_unpack__split_data_descriptors),
	TEST(test_unpack__split_only_spare_threads),
	TEST(test_unpack__split_place_same_as_one_thread),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
