/* test_cache.c - the content cache: layout, locks, leftovers, info,
 * verify, prune, clean, and concurrent unpacks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "cinstall.h"
#include "ctx.h"
#include "digests.h"
#include "harness.h"
#include "hash.h"
#include "manifest.h"
#include "path.h"
#include "unpack.h"

typedef struct logbuf {
	char text[16384];
	int errors;
} logbuf;

static void log_cb(cinstall_log_level level, const char *message, void *payload)
{
	logbuf *l = payload;
	size_t len = strlen(l->text);

	if (level == CINSTALL_LOG_ERROR)
		l->errors++;
	snprintf(l->text + len, sizeof(l->text) - len, "%s\n", message);
}

static char cache_dir[4096];

static cinstall_ctx *new_ctx(logbuf *l, uint32_t lock_timeout)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;

	snprintf(cache_dir, sizeof(cache_dir), "%s/cache", th_tmpdir());
	if (l)
		memset(l, 0, sizeof(*l));
	o.cache_dir = cache_dir;
	o.flags = CINSTALL_OPT_NO_ENV;
	o.lock_timeout = lock_timeout;
	o.log_cb = l ? log_cb : NULL;
	o.log_payload = l;
	if (cinstall_ctx_new(&ctx, &o) != 0)
		th_fail(__FILE__, __LINE__, "cannot make a context");
	return ctx;
}

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", th_fixtures(), name);
	return path;
}

static int count_dir(const char *rel)
{
	char p[8192];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", cache_dir, rel);
	if (!(d = opendir(p)))
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_cache__layout_and_tag(void)
{
	cinstall_ctx *ctx = new_ctx(NULL, 0);
	char *entry = NULL, p[8192], tag[256] = { 0 };
	FILE *f;

	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, fixture("simple-1.0-py3-none-any.whl")));
	snprintf(p, sizeof(p), "%s/CACHEDIR.TAG", cache_dir);
	if ((f = fopen(p, "r"))) {
		CHECK(fgets(tag, sizeof(tag), f) != NULL);
		fclose(f);
	}
	CHECK_STR(tag, "Signature: 8a477f597d28d172789f06886806bc55\n");
	CHECK_INT(count_dir("v1/wheels"), 1);
	CHECK_INT(count_dir("v1/tmp"), 0);
	CHECK_INT(count_dir("v1/locks"), 0);
	snprintf(p, sizeof(p), "%s/MANIFEST", entry);
	CHECK(access(p, R_OK) == 0);
	CHECK_STR(cinstall_cache_dir(ctx), cache_dir);
	cinstall_free(entry);
	cinstall_ctx_free(ctx);
}

static void test_cache__info_counts(void)
{
	cinstall_ctx *ctx = new_ctx(NULL, 0);
	cinstall_cache_stats st;
	char *entry = NULL;

	CHECK_OK(ctx, cinstall_cache_info(&st, ctx));
	CHECK_INT(st.entries, 0);
	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, fixture("simple-1.0-py3-none-any.whl")));
	cinstall_free(entry);
	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, fixture("datapkg-1.0-py3-none-any.whl")));
	cinstall_free(entry);
	CHECK_OK(ctx, cinstall_cache_info(&st, ctx));
	CHECK_INT(st.entries, 2);
	CHECK_INT(st.files, 5 + 11);
	CHECK(st.bytes > 0);
	CHECK_INT(st.leftovers, 0);
	cinstall_ctx_free(ctx);
}

/* A work directory whose owner died (its lock file unlocked), and one whose
 * lock file is gone: both leftovers, swept by prune; a live one is not. */
static void test_cache__leftovers_of_dead_processes(void)
{
	cinstall_ctx *ctx = new_ctx(NULL, 0);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_cache_work live = CINSTALL_CACHE_WORK_INIT;
	cinstall_cache_stats st;
	uint64_t removed = 0;
	char p[8192];
	int fd;

	CHECK_INT(cinstall_cache__init(&err, ctx), 0);
	snprintf(p, sizeof(p), "%s/v1/tmp/0123.dead01.lock", cache_dir);
	CHECK((fd = open(p, O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/v1/tmp/0123.dead01/tree/x", cache_dir);
	CHECK_INT(cinstall_path__mkdirs(&err, p, 0755), 0);
	snprintf(p, sizeof(p), "%s/v1/tmp/orphan.dir/tree", cache_dir);
	CHECK_INT(cinstall_path__mkdirs(&err, p, 0755), 0);
	CHECK_INT(cinstall_cache__work_new(&live, &err, ctx, "live", 1), 0);

	CHECK_OK(ctx, cinstall_cache_info(&st, ctx));
	CHECK_INT(st.leftovers, 2);
	CHECK_OK(ctx, cinstall_cache_prune(&removed, ctx));
	CHECK_INT(removed, 2);
	/* Only the live work directory and its lock remain. */
	CHECK_INT(count_dir("v1/tmp"), 2);
	CHECK(live.dir && access(live.dir, F_OK) == 0);
	cinstall_cache__work_release(&live, ctx);
	CHECK_INT(count_dir("v1/tmp"), 0);
	cinstall_ctx_free(ctx);
}

static void test_cache__lock_timeout(void)
{
	cinstall_ctx *ctx = new_ctx(NULL, 1);
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_cache_lock a = CINSTALL_CACHE_LOCK_INIT, b = CINSTALL_CACHE_LOCK_INIT;

	CHECK_INT(cinstall_cache__init(&err, ctx), 0);
	CHECK_INT(cinstall_cache__lock_key(&a, &err, ctx, "0123456789abcdef0123456789abcdef"), 0);
	CHECK(a.fd >= 0);
	/* Open file description locks: a second lock in the same process waits. */
	CHECK_INT(cinstall_cache__lock_key(&b, &err, ctx, "0123456789abcdef0123456789abcdef"), CINSTALL_ELOCK);
	CHECK_CONTAINS(err.msg, "timed out after 1 s waiting for lock");
	cinstall_cache__unlock(&a);
	CHECK_INT(cinstall_cache__lock_key(&b, &err, ctx, "0123456789abcdef0123456789abcdef"), 0);
	cinstall_cache__unlock(&b);
	CHECK_INT(count_dir("v1/locks"), 0);
	cinstall_ctx_free(ctx);
}

static void damage_file(const char *entry, const char *rel, const char *how)
{
	char p[8192];
	int fd;

	snprintf(p, sizeof(p), "%s/tree/%s", entry, rel);
	if (!strcmp(how, "flip")) {
		char c;
		fd = open(p, O_RDWR);
		CHECK(fd >= 0 && pread(fd, &c, 1, 0) == 1);
		c ^= 1;
		CHECK(pwrite(fd, &c, 1, 0) == 1);
		close(fd);
	} else if (!strcmp(how, "chmod")) {
		CHECK(chmod(p, 0755) == 0);
	} else if (!strcmp(how, "remove")) {
		CHECK(unlink(p) == 0);
	} else if (!strcmp(how, "add")) {
		CHECK((fd = open(p, O_CREAT | O_WRONLY, 0644)) >= 0);
		close(fd);
	}
}

static void test_cache__verify_reports_damage_and_prune_removes_it(void)
{
	static const struct { const char *wheel, *file, *how, *msg; } cases[] = {
		{ "simple-1.0-py3-none-any.whl", "simple/mod.py", "flip", "'simple/mod.py': sha256 does not match the manifest" },
		{ "datapkg-1.0-py3-none-any.whl", "datapkg/__init__.py", "chmod", "'datapkg/__init__.py': mode is 755" },
		{ "eppkg-1.0-py3-none-any.whl", "eppkg/mod.py", "remove", "'eppkg/mod.py': cannot open" },
		{ "nspkg-1.0-py3-none-any.whl", "nsroot/intruder.py", "add", "'nsroot/intruder.py': file not in the manifest" },
	};
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	char *entries[5] = { NULL }, p[8192];
	uint64_t damaged = 0, removed = 0;
	cinstall_cache_stats st;
	size_t i;
	FILE *f;

	for (i = 0; i < 4; i++)
		CHECK_OK(ctx, cinstall_unpack(&entries[i], ctx, fixture(cases[i].wheel)));
	CHECK_OK(ctx, cinstall_unpack(&entries[4], ctx, fixture("execpkg-1.0-py3-none-any.whl")));
	CHECK_OK(ctx, cinstall_cache_verify(&damaged, ctx));
	CHECK_INT(damaged, 0);
	for (i = 0; i < 4; i++)
		if (entries[i])
			damage_file(entries[i], cases[i].file, cases[i].how);
	/* A MANIFEST cut short. */
	snprintf(p, sizeof(p), "%s/MANIFEST", entries[4] ? entries[4] : "");
	if ((f = fopen(p, "r+"))) {
		CHECK(ftruncate(fileno(f), 100) == 0);
		fclose(f);
	}
	CHECK_INT(cinstall_cache_verify(&damaged, ctx), CINSTALL_ECACHE);
	CHECK_INT(damaged, 5);
	CHECK_CONTAINS(cinstall_error_message(ctx), "5 damaged cache entries");
	for (i = 0; i < 4; i++) {
		CHECK_CONTAINS(l.text, cases[i].msg);
		CHECK_CONTAINS(l.text, cases[i].wheel);
	}
	CHECK_CONTAINS(l.text, "MANIFEST is incomplete or damaged");
	CHECK_OK(ctx, cinstall_cache_info(&st, ctx));
	CHECK_INT(st.entries, 4);
	CHECK_INT(st.leftovers, 1);

	CHECK_OK(ctx, cinstall_cache_prune(&removed, ctx));
	CHECK_INT(removed, 5);
	CHECK_INT(count_dir("v1/wheels"), 0);
	CHECK_INT(count_dir("v1/tmp"), 0);
	CHECK_OK(ctx, cinstall_cache_verify(&damaged, ctx));
	for (i = 0; i < 5; i++)
		cinstall_free(entries[i]);
	cinstall_ctx_free(ctx);
}

/* verify recomputes every digest kept in an entry's DIGESTS: a file whose
 * checksum holds but whose digest is wrong (not what an install writes:
 * made here through digests.c) is damage, naming the item; prune removes
 * the entry.  A sound one passes. */
static void test_cache__verify_checks_digests(void)
{
	static const char empty_sha[] = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";
	static const char wrong[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	cinstall_digests d = CINSTALL_DIGESTS_INIT;
	char *entry = NULL;
	uint64_t damaged = 9, removed = 0;

	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, fixture("simple-1.0-py3-none-any.whl")));
	if (!entry)
		goto done;
	CHECK_INT(cinstall_digests__add(&d, "", 0, empty_sha), 0);
	cinstall_digests__save(&d, entry);
	cinstall_digests__release(&d);
	CHECK_OK(ctx, cinstall_cache_verify(&damaged, ctx));
	CHECK_INT(damaged, 0);
	CHECK_INT(cinstall_digests__add(&d, "cinstall\n", 9, wrong), 0);
	cinstall_digests__save(&d, entry);
	cinstall_digests__release(&d);
	CHECK_INT(cinstall_cache_verify(&damaged, ctx), CINSTALL_ECACHE);
	CHECK_INT(damaged, 1);
	CHECK_CONTAINS(l.text, "(simple-1.0-py3-none-any.whl): DIGESTS: item 1 (9 bytes): sha256 is "
	                       "OSG9WveiZYu-fOWeXwcM43sQ_uEgtuaTh3K5-RiPIjQ, not AAAA");
	CHECK_OK(ctx, cinstall_cache_prune(&removed, ctx));
	CHECK_INT(removed, 1);
	CHECK_INT(count_dir("v1/wheels"), 0);
done:
	cinstall_free(entry);
	cinstall_ctx_free(ctx);
}

static void test_cache__damaged_manifest_is_replaced(void)
{
	cinstall_ctx *ctx = new_ctx(NULL, 0);
	char *a = NULL, *b = NULL, p[8192];
	FILE *f;

	CHECK_OK(ctx, cinstall_unpack(&a, ctx, fixture("simple-1.0-py3-none-any.whl")));
	snprintf(p, sizeof(p), "%s/MANIFEST", a ? a : "");
	if ((f = fopen(p, "a"))) {
		fputs("f 644 1 x y z\n", f);
		fclose(f);
	}
	CHECK_OK(ctx, cinstall_unpack(&b, ctx, fixture("simple-1.0-py3-none-any.whl")));
	CHECK_STR(a, b);
	CHECK_OK(ctx, cinstall_cache_verify(NULL, ctx));
	cinstall_free(a);
	cinstall_free(b);
	cinstall_ctx_free(ctx);
}

static void test_cache__clean(void)
{
	cinstall_ctx *ctx = new_ctx(NULL, 0);
	cinstall_cache_stats st;
	char *entry = NULL, p[8192];

	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, fixture("simple-1.0-py3-none-any.whl")));
	cinstall_free(entry);
	CHECK_OK(ctx, cinstall_cache_clean(ctx));
	CHECK_OK(ctx, cinstall_cache_info(&st, ctx));
	CHECK_INT(st.entries, 0);
	CHECK_INT(count_dir("v1/wheels"), 0);
	CHECK_INT(count_dir("v1/tmp"), 0);
	snprintf(p, sizeof(p), "%s/CACHEDIR.TAG", cache_dir);
	CHECK(access(p, F_OK) == 0);
	cinstall_ctx_free(ctx);
}

/* An entry held by a user (the shared lock an install takes) survives
 * clean; released, it goes.  OFD locks: a second context of this process
 * is excluded like another process. */
static void test_cache__clean_skips_entry_in_use(void)
{
	logbuf l;
	cinstall_ctx *ctx = new_ctx(&l, 0);
	cinstall_manifest *m = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;
	char *entry = NULL;
	int use_fd = -1;
	struct stat st;

	CHECK_INT(cinstall_unpack__wheel_use(&entry, &m, &use_fd, ctx, &err, fixture("simple-1.0-py3-none-any.whl")), 0);
	CHECK(use_fd >= 0);
	CHECK_OK(ctx, cinstall_cache_clean(ctx));
	CHECK(stat(entry, &st) == 0);
	CHECK(strstr(l.text, "in use by an install, left in place") != NULL);
	CHECK_INT(cinstall_cache__remove_unused(&err, ctx, m->key, 0), 1);
	close(use_fd);
	CHECK_INT(cinstall_cache__remove_unused(&err, ctx, m->key, 0), 0);
	CHECK(stat(entry, &st) < 0);
	free(entry);
	cinstall_manifest__free(m);
	cinstall_ctx_free(ctx);
}

/* Two wheels with common files: stored once, the difference is saved. */
static void test_cache__dedupe_disk_usage(void)
{
	cinstall_ctx *ctx = new_ctx(NULL, 0);
	cinstall_cache_stats st;
	char *entry = NULL;
	uint64_t stored = 0;

	CHECK_OK(ctx, cinstall_unpack(&entry, ctx, fixture("simple-1.0-py3-none-any.whl")));
	cinstall_free(entry);
	CHECK_OK(ctx, cinstall_cache_info(&st, ctx));
	CHECK_OK(ctx, cinstall_cache_disk_usage(&stored, ctx));
	CHECK(stored == st.bytes); /* one entry: nothing shared yet */
	CHECK_INT(count_dir("v1/objects") > 0, 1);
	CHECK_OK(ctx, cinstall_cache_clean(ctx));
	CHECK_OK(ctx, cinstall_cache_disk_usage(&stored, ctx));
	CHECK(stored == 0);
	cinstall_ctx_free(ctx);
}

typedef struct racer {
	const char *wheel;
	char *entry;
	int rc;
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;

	o.cache_dir = cache_dir; /* set before the threads start; only read here */
	o.flags = CINSTALL_OPT_NO_ENV;
	if ((r->rc = cinstall_ctx_new(&ctx, &o)) == 0)
		r->rc = cinstall_unpack(&r->entry, ctx, r->wheel);
	cinstall_ctx_free(ctx);
	return NULL;
}

/* Threads with their own contexts unpack one wheel at once: one entry. */
static void test_cache__concurrent_threads_one_entry(void)
{
	racer r[6];
	pthread_t t[6];
	size_t i;
	cinstall_ctx *ctx;
	/* fixture() returns a static buffer: take the path once, before any
	 * thread reads it. */
	const char *wheel = fixture("awkward-1.0-py3-none-any.whl");

	snprintf(cache_dir, sizeof(cache_dir), "%s/cache", th_tmpdir());
	for (i = 0; i < 6; i++) {
		r[i].wheel = wheel;
		r[i].entry = NULL;
		r[i].rc = -100;
		CHECK(pthread_create(&t[i], NULL, race, &r[i]) == 0);
	}
	for (i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 6; i++) {
		CHECK_INT(r[i].rc, 0);
		if (i)
			CHECK_STR(r[i].entry, r[0].entry);
	}
	for (i = 0; i < 6; i++)
		cinstall_free(r[i].entry);
	CHECK_INT(count_dir("v1/wheels"), 1);
	CHECK_INT(count_dir("v1/tmp"), 0);
	ctx = new_ctx(NULL, 0);
	CHECK_OK(ctx, cinstall_cache_verify(NULL, ctx));
	cinstall_ctx_free(ctx);
}

/* A manifest of `name` 1.0 with no files. */
static void manifest_init(cinstall_manifest *m, const char *wheel, const char *name, const char *dist_info)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->key, "0123456789abcdef0123456789abcdef", 33);
	memset(m->wheel_sha256, 'a', 64);
	m->wheel = (char *)wheel;
	m->name = (char *)name;
	m->version = (char *)"1.0";
	m->dist_info = (char *)dist_info;
}

static void test_cache__manifest_round_trip(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest m, *back = NULL;
	cinstall_manifest_file files[2];

	manifest_init(&m, "odd name-1.0-py3-none-any.whl", "odd", "odd-1.0.dist-info");
	memset(files, 0, sizeof(files));
	m.requires_python = (char *)">=3.8, <4 % 100";
	m.sloppy = (char *)"w.whl: 'x': no hash in RECORD";
	m.nfiles = 2;
	m.files = files;
	files[0].path = (char *)"a b/c\xc3\xa9%.txt";
	files[0].size = 3;
	files[0].mode = 0755;
	CHECK(cinstall_hash__b64url_decode(files[0].sha256, sizeof(files[0].sha256),
	                                   "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU") == 32);
	CHECK_INT(cinstall_manifest__xxh3_parse(files[0].xxh3, "99aa06d3014798d86001c324468d497f"), 0);
	CHECK(cinstall_manifest__xxh3_parse(files[1].xxh3, "99aa06d3014798d86001c324468d497") < 0);
	CHECK(cinstall_manifest__xxh3_parse(files[1].xxh3, "99aa06d3014798d86001c324468d497fa") < 0);
	CHECK(cinstall_manifest__xxh3_parse(files[1].xxh3, "99aa06d3014798d86001c324468d497g") < 0);
	files[1] = files[0];
	files[1].path = (char *)"z.py";
	files[1].mode = 0644;
	CHECK(mkdir("entry", 0755) == 0);
	CHECK_INT(cinstall_manifest__save(&err, &m, "entry"), 0);
	CHECK_INT(cinstall_manifest__load(&back, &err, "entry"), 0);
	if (back) {
		CHECK_STR(back->wheel, m.wheel);
		CHECK_STR(back->requires_python, m.requires_python);
		CHECK_STR(back->sloppy, m.sloppy);
		CHECK(back->data_dir == NULL);
		CHECK_INT(back->nfiles, 2);
		CHECK_STR(back->files[0].path, files[0].path);
		CHECK_INT(back->files[0].mode, 0755);
		char b64[CINSTALL_B64_MAX], hex[CINSTALL_XXH_HEX];
		CHECK(!memcmp(back->files[0].xxh3, files[0].xxh3, CINSTALL_XXH3_LEN));
		CHECK(!memcmp(back->files[0].sha256, files[0].sha256, CINSTALL_SHA256_LEN));
		CHECK_INT(back->files[1].size, 3);
		cinstall_manifest__sha256_b64(b64, &back->files[0]);
		CHECK_STR(b64, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
		cinstall_manifest__xxh3_hex(hex, &back->files[0]);
		CHECK_STR(hex, "99aa06d3014798d86001c324468d497f");
		CHECK(cinstall_manifest__find(back, "z.py") == &back->files[1]);
		CHECK(cinstall_manifest__find(back, "nope") == NULL);
	}
	cinstall_manifest__free(back);
	back = NULL;
	/* One byte changed: the checksum no longer matches. */
	CHECK(system("sed -i 's/^version 1.0$/version 1.1/' entry/MANIFEST") == 0);
	CHECK_INT(cinstall_manifest__load(&back, &err, "entry"), CINSTALL_ECACHE);
	CHECK_CONTAINS(err.msg, "cache entry 'entry': MANIFEST is incomplete or damaged");
	CHECK(back == NULL);
}

/* A manifest of `n` files (the i-th named from `name` and i, the one at
 * `long_at` with a path of `long_len` bytes) saved into "big". */
static void save_big_manifest(size_t n, size_t long_at, size_t long_len)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest m;
	cinstall_manifest_file *files = calloc(n, sizeof(*files));
	char **names = calloc(n, sizeof(*names));
	size_t i;

	CHECK(files != NULL && names != NULL);
	manifest_init(&m, "big-1.0-py3-none-any.whl", "big", "big-1.0.dist-info");
	for (i = 0; files && names && i < n; i++) {
		size_t len = i == long_at ? long_len : 40;
		if (!(names[i] = malloc(len + 1)))
			break;
		memset(names[i], 'p', len);
		snprintf(names[i], len + 1, "pkg/%08zu/", i); /* sorted by i */
		names[i][strlen(names[i])] = 'p';
		names[i][len] = '\0';
		files[i].path = names[i];
		files[i].size = i * 1000003u;
		files[i].mode = i % 3 ? 0644 : 0755;
		files[i].sha256[0] = (unsigned char)i;
		files[i].xxh3[15] = (unsigned char)(i >> 3);
	}
	m.nfiles = i;
	m.files = files;
	CHECK(mkdir("big", 0755) == 0 || errno == EEXIST);
	CHECK_INT(cinstall_manifest__save(&err, &m, "big"), 0);
	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(files);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* MANIFEST is read in 64 KiB blocks: lines across blocks, a line longer
 * than a block, the "end" line ending a block exactly; anything cut short,
 * added after "end", or changed is refused. */
static void test_cache__manifest_blocks(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *back = NULL;
	long size, pad;
	size_t i;
	char cmd[256];

	save_big_manifest(3000, 1234, 200000);
	size = file_size("big/MANIFEST");
	CHECK(size > 3 * 65536);
	CHECK_INT(cinstall_manifest__load(&back, &err, "big"), 0);
	CHECK(back && back->nfiles == 3000);
	for (i = 0; back && i < back->nfiles; i += 7) {
		CHECK_INT((long)back->files[i].size, (long)(i * 1000003u));
		CHECK_INT((int)back->files[i].mode, i % 3 ? 0644 : 0755);
		CHECK_INT(back->files[i].sha256[0], (unsigned char)i);
		CHECK_INT(back->files[i].xxh3[15], (unsigned char)(i >> 3));
		CHECK_INT((long)strlen(back->files[i].path), i == 1234 ? 200000 : 40);
	}
	cinstall_manifest__free(back);
	back = NULL;

	/* The file ends exactly at a block's end: lengthen one path until it does. */
	save_big_manifest(100, 50, 40);
	size = file_size("big/MANIFEST");
	pad = 65536 - size % 65536;
	save_big_manifest(100, 50, 40 + (size_t)pad);
	CHECK_INT(file_size("big/MANIFEST") % 65536, 0);
	CHECK_INT(cinstall_manifest__load(&back, &err, "big"), 0);
	CHECK(back && back->nfiles == 100);
	cinstall_manifest__free(back);
	back = NULL;
	/* ... and then a byte after it. */
	CHECK(system("printf x >> big/MANIFEST") == 0);
	CHECK_INT(cinstall_manifest__load(&back, &err, "big"), CINSTALL_ECACHE);
	CHECK(back == NULL);

	/* Cut anywhere: refused. */
	save_big_manifest(3000, 1234, 200000);
	size = file_size("big/MANIFEST");
	for (i = 0; i < 6; i++) {
		long at = i == 0 ? 0 : i == 1 ? 30 : i == 2 ? 65536 : i == 3 ? size / 2 : i == 4 ? size - 40 : size - 1;
		snprintf(cmd, sizeof(cmd), "cp big/MANIFEST cut.tmp && truncate -s %ld cut.tmp && mkdir -p cut && mv cut.tmp cut/MANIFEST", at);
		CHECK(system(cmd) == 0);
		CHECK_INT(cinstall_manifest__load(&back, &err, "cut"), CINSTALL_ECACHE);
		CHECK(back == NULL);
	}
	/* One byte changed in the middle of the long line: the checksum says so. */
	CHECK(system("cp big/MANIFEST cut/MANIFEST && printf q | dd of=cut/MANIFEST bs=1 seek=150000 conv=notrunc 2>/dev/null") == 0);
	CHECK_INT(cinstall_manifest__load(&back, &err, "cut"), CINSTALL_ECACHE);
	CHECK(back == NULL);
}

/* Paths in the manifest's arena: any length, stable, freed with it. */
static void test_cache__manifest_arena(void)
{
	cinstall_manifest *m = calloc(1, sizeof(*m));
	const char *kept[3000];
	char name[64], *big = malloc(100000);
	const char *b;
	size_t i;

	CHECK(m != NULL && big != NULL);
	if (!m || !big)
		return;
	memset(big, 'x', 99999);
	big[99999] = '\0';
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "pkg/sub%zu/mod%zu.py", i % 7, i);
		kept[i] = cinstall_manifest__intern(m, name, strlen(name));
		CHECK(kept[i] != NULL);
		if (i == 1500) {
			b = cinstall_manifest__intern(m, big, 99999);
			CHECK(b != NULL && strlen(b) == 99999);
		}
	}
	for (i = 0; i < 3000; i += 499) {
		snprintf(name, sizeof(name), "pkg/sub%zu/mod%zu.py", i % 7, i);
		CHECK_STR(kept[i], name);
	}
	/* Not NUL-terminated input: the copy is. */
	CHECK_STR(cinstall_manifest__intern(m, "abcdef", 3), "abc");
	cinstall_manifest__drop_files(m);
	CHECK(m->arena == NULL && m->files == NULL && m->nfiles == 0);
	CHECK_STR(cinstall_manifest__intern(m, "again", 5), "again");
	cinstall_manifest__free(m);
	free(big);
}

static const cinstall_test tests[] = {
	TEST(test_cache__layout_and_tag),
	TEST(test_cache__info_counts),
	TEST(test_cache__leftovers_of_dead_processes),
	TEST(test_cache__lock_timeout),
	TEST(test_cache__verify_reports_damage_and_prune_removes_it),
	TEST(test_cache__verify_checks_digests),
	TEST(test_cache__damaged_manifest_is_replaced),
	TEST(test_cache__clean),
	TEST(test_cache__clean_skips_entry_in_use),
	TEST(test_cache__dedupe_disk_usage),
	TEST(test_cache__concurrent_threads_one_entry),
	TEST(test_cache__manifest_round_trip),
	TEST(test_cache__manifest_blocks),
	TEST(test_cache__manifest_arena),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
