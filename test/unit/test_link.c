/* test_link.c - the link-mode engine: each mode, replacing, fallbacks,
 * strict mode, copy locks, generated files; fault injection through
 * test/shim/fault.so.
 *
 * Where the files go: CINSTALL_TEST_SOURCE (the "cache") and
 * CINSTALL_TEST_TARGET (the "site-packages") name directories on other
 * filesystems (the scripts in test/fs mount XFS, exFAT, tmpfs there); by default
 * both are the test's temporary directory.  Expectations follow what the
 * filesystem can really do, found with raw system calls first.
 *
 * The binary is also a driver: `test_link --place [options] SRC DST` places
 * the tree SRC (a file or a directory) at DST with one linker, as one wheel,
 * and prints the warnings and a result line; the fault tests, the fs tests
 * and bench/link.sh run it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#endif

#include "cinstall.h"
#include "conflicts.h"
#include "ctx.h"
#include "harness.h"
#include "link.h"
#include "path.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static const char *WHEEL = "demo-1.0-py3-none-any.whl";

/* Formatted strings from a small ring of buffers (tests are single-threaded). */
static const char *S(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *S(const char *fmt, ...)
{
	static char ring[16][PATH_MAX];
	static unsigned int next;
	char *b = ring[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, PATH_MAX, fmt, ap);
	va_end(ap);
	return b;
}

static int put_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	if (fchmod(fd, mode) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int put(const char *path, const char *text, mode_t mode)
{
	return put_file(path, text, strlen(text), mode);
}

/* Whole file into a malloc'd NUL-terminated buffer (NULL on error). */
static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, (size_t)st.st_size + 1);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

static int file_is(const char *path, const char *text)
{
	char *b = slurp(path, NULL);
	int r = b && !strcmp(b, text);

	free(b);
	return r;
}

/* Number of entries in `dir` whose name contains `needle`. */
static int count_named(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strstr(de->d_name, needle))
			n++;
	closedir(d);
	return n;
}

/* Number of lines of `text` starting with `prefix`. */
static int count_lines(const char *text, const char *prefix)
{
	const char *p = text;
	int n = 0;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
		if ((p = strchr(p, '\n')))
			p++;
	}
	return n;
}

/* A test's cache and target directories and its context, with the
 * warnings the context logged. */
typedef struct fx {
	cinstall_ctx *ctx;
	char src[PATH_MAX];
	char dst[PATH_MAX];
	int warnings;
	char warning[2048];
	int own_src, own_dst;
} fx;

static void fx_log(cinstall_log_level level, const char *msg, void *payload)
{
	fx *f = payload;

	if (level == CINSTALL_LOG_WARNING) {
		f->warnings++;
		snprintf(f->warning, sizeof(f->warning), "%s", msg);
	}
}

static void fx_dir(char *out, int *own, const char *env, const char *name)
{
	const char *base = getenv(env);

	if (!base || !*base)
		base = th_tmpdir();
	snprintf(out, PATH_MAX, "%s/%s-XXXXXX", base, name);
	*own = mkdtemp(out) != NULL;
	if (!*own)
		th_fail(__FILE__, __LINE__, "mkdtemp in %s: %s", base, strerror(errno));
}

static int fx_init(fx *f, unsigned int flags)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;

	memset(f, 0, sizeof(*f));
	o.flags = flags | CINSTALL_OPT_NO_ENV;
	o.log_cb = fx_log;
	o.log_payload = f;
	o.cache_dir = th_tmpdir();
	fx_dir(f->src, &f->own_src, "CINSTALL_TEST_SOURCE", "cache");
	fx_dir(f->dst, &f->own_dst, "CINSTALL_TEST_TARGET", "site");
	if (cinstall_ctx_new(&f->ctx, &o) != 0) {
		th_fail(__FILE__, __LINE__, "cinstall_ctx_new failed");
		return -1;
	}
	return 0;
}

static void fx_done(fx *f)
{
	cinstall_err err = CINSTALL_ERR_INIT;

	cinstall_ctx_free(f->ctx);
	if (f->own_src)
		cinstall_path__rmtree(&err, f->src);
	if (f->own_dst)
		cinstall_path__rmtree(&err, f->dst);
}

/* What the filesystems under the fixture can do, asked directly. */
static int can_hardlink(const fx *f)
{
	const char *a = S("%s/.probe-h", f->src), *b = S("%s/.probe-h", f->dst);
	int r;

	unlink(a);
	unlink(b);
	if (put(a, "x", 0644) < 0)
		return 0;
	r = link(a, b) == 0;
	unlink(a);
	unlink(b);
	return r;
}

static int can_symlink(const fx *f)
{
	const char *b = S("%s/.probe-s", f->dst);
	int r = symlink("target", b) == 0;

	unlink(b);
	return r;
}

static int can_clone(const fx *f)
{
#ifdef FICLONE
	const char *a = S("%s/.probe-c", f->src), *b = S("%s/.probe-c", f->dst);
	int in, out, r = 0;

	unlink(a);
	unlink(b);
	if (put(a, "x", 0644) < 0)
		return 0;
	in = open(a, O_RDONLY);
	out = open(b, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (in >= 0 && out >= 0)
		r = ioctl(out, FICLONE, in) == 0;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	unlink(a);
	unlink(b);
	return r;
#else
	(void)f;
	return 0;
#endif
}

/* Does the target keep permission bits (exFAT does not)? */
static int keeps_modes(const fx *f)
{
	const char *p = S("%s/.probe-m", f->dst);
	struct stat st;
	int r;

	unlink(p);
	if (put(p, "x", 0755) < 0)
		return 0;
	r = stat(p, &st) == 0 && (st.st_mode & 07777) == 0755;
	chmod(p, 0644);
	r = r && stat(p, &st) == 0 && (st.st_mode & 07777) == 0644;
	unlink(p);
	return r;
}

static int same_inode(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

static int is_symlink(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

static int mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Place one file with a fresh linker; returns the code, fills `out_mode`. */
static int place_one(fx *f, cinstall_link_mode mode, unsigned int flags, const char *src,
                     const char *dst, uint32_t perm, int replace, cinstall_link_mode *out_mode,
                     cinstall_err *err)
{
	cinstall_linker *l = NULL;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	int r;

	req.src = src;
	req.dst = dst;
	req.mode = perm;
	req.replace = replace;

	if ((r = cinstall_linker__new(&l, err, f->ctx, mode, flags, WHEEL)) < 0)
		return r;
	r = cinstall_linker__place(l, err, &req);
	if (out_mode)
		*out_mode = cinstall_linker__mode(l);
	cinstall_linker__free(l);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

static void test_link__mode_names(void)
{
	static const char *names[] = { "auto", "clone", "hardlink", "symlink", "copy" };
	cinstall_link_mode m;
	size_t i;

	for (i = 0; i < 5; i++) {
		CHECK_INT(cinstall_link_mode_parse(&m, names[i]), 0);
		CHECK_INT(m, i);
		CHECK_STR(cinstall_link_mode_name(m), names[i]);
	}
	CHECK_INT(cinstall_link_mode_parse(&m, "reflink"), CINSTALL_EINVAL);
	CHECK_INT(cinstall_link_mode_parse(&m, ""), CINSTALL_EINVAL);
	CHECK_INT(cinstall_link_mode_parse(&m, "Copy"), CINSTALL_EINVAL);
	CHECK_INT(cinstall_link_mode_parse(&m, NULL), CINSTALL_EINVAL);
	CHECK_STR(cinstall_link_mode_name((cinstall_link_mode)42), "unknown");
	CHECK_STR(cinstall_link_clone_ops.name, "clone");
	CHECK_INT(cinstall_link_hardlink_ops.mode, CINSTALL_LINK_HARDLINK);
	CHECK_INT(cinstall_link_symlink_ops.version, 1);
	CHECK_INT(cinstall_link_copy_ops.mode, CINSTALL_LINK_COPY);
}

static void test_link__helpers(void)
{
	char buf[PATH_MAX];

	CHECK_INT(cinstall_link__dirname(buf, sizeof(buf), "/a/b/c.py"), 0);
	CHECK_STR(buf, "/a/b");
	CHECK_INT(cinstall_link__dirname(buf, sizeof(buf), "/c.py"), 0);
	CHECK_STR(buf, "/");
	CHECK_INT(cinstall_link__dirname(buf, sizeof(buf), "c.py"), 0);
	CHECK_STR(buf, ".");
	CHECK_INT(cinstall_link__dirname(buf, 3, "/abc/d"), CINSTALL_EINVAL);
	CHECK_INT(cinstall_link__tmpname(buf, sizeof(buf), "/a/b/c.py"), 0);
	CHECK(!strncmp(buf, "/a/b/.c.py.cinstall-", 20));
	CHECK_INT(strlen(buf), 20 + 16);
	CHECK_INT(cinstall_link__tmpname(buf, 10, "/a/b/c.py"), CINSTALL_EINVAL);
}

/* ------------------------------------------------------------------------ */
/* Each mode                                                                */
/* ------------------------------------------------------------------------ */

static void test_link__copy_content_and_mode(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_link_mode used;
	char big[300000];
	char *got;
	size_t i, len = 0;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 23);
	CHECK_INT(put(S("%s/tool", f.src), "#!/bin/sh\necho hi\n", 0755), 0);
	CHECK_INT(put_file(S("%s/big.bin", f.src), big, sizeof(big), 0644), 0);
	CHECK_INT(put(S("%s/empty", f.src), "", 0644), 0);

	CHECK_INT(place_one(&f, CINSTALL_LINK_COPY, 0, S("%s/tool", f.src), S("%s/tool", f.dst),
	                    0755, 0, &used, &err), 0);
	CHECK_INT(used, CINSTALL_LINK_COPY);
	CHECK(file_is(S("%s/tool", f.dst), "#!/bin/sh\necho hi\n"));
	CHECK(!same_inode(S("%s/tool", f.src), S("%s/tool", f.dst)));
	if (keeps_modes(&f))
		CHECK_INT(mode_of(S("%s/tool", f.dst)), 0755);

	CHECK_INT(place_one(&f, CINSTALL_LINK_COPY, 0, S("%s/big.bin", f.src),
	                    S("%s/big.bin", f.dst), 0644, 0, NULL, &err), 0);
	got = slurp(S("%s/big.bin", f.dst), &len);
	CHECK(got && len == sizeof(big) && !memcmp(got, big, len));
	free(got);
	if (keeps_modes(&f))
		CHECK_INT(mode_of(S("%s/big.bin", f.dst)), 0644);

	CHECK_INT(place_one(&f, CINSTALL_LINK_COPY, 0, S("%s/empty", f.src), S("%s/empty", f.dst),
	                    0644, 0, NULL, &err), 0);
	CHECK(file_is(S("%s/empty", f.dst), ""));

	/* A missing source is a plain error naming the wheel and the file. */
	CHECK_INT(place_one(&f, CINSTALL_LINK_COPY, 0, S("%s/absent", f.src), S("%s/absent", f.dst),
	                    0644, 0, NULL, &err), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, WHEEL);
	CHECK_CONTAINS(err.msg, "absent");
	CHECK_INT(f.warnings, 0);
	fx_done(&f);
}

static void test_link__hardlink_shares_inode(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_link_mode used;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(put(S("%s/mod.py", f.src), "x = 1\n", 0644), 0);
	CHECK_INT(put(S("%s/run", f.src), "#!/bin/sh\n", 0755), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_HARDLINK, 0, S("%s/mod.py", f.src),
	                    S("%s/mod.py", f.dst), 0644, 0, &used, &err), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_HARDLINK, 0, S("%s/run", f.src), S("%s/run", f.dst),
	                    0755, 0, NULL, &err), 0);
	CHECK(file_is(S("%s/mod.py", f.dst), "x = 1\n"));
	if (can_hardlink(&f)) {
		CHECK_INT(used, CINSTALL_LINK_HARDLINK);
		CHECK(same_inode(S("%s/mod.py", f.src), S("%s/mod.py", f.dst)));
		CHECK_INT(mode_of(S("%s/run", f.dst)), 0755);
		CHECK_INT(f.warnings, 0);
	} else {
		/* No hard links here: copies, and one warning for both wheels. */
		CHECK_INT(used, CINSTALL_LINK_COPY);
		CHECK(!same_inode(S("%s/mod.py", f.src), S("%s/mod.py", f.dst)));
		CHECK_INT(f.warnings, 1);
		CHECK_CONTAINS(f.warning, "cannot hardlink files into");
		CHECK_CONTAINS(f.warning, "--link-mode=copy");
	}
	fx_done(&f);
}

static void test_link__symlink_relative(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_link_mode used;
	char target[PATH_MAX];
	ssize_t n;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(mkdir(S("%s/pkg", f.src), 0755), 0);
	CHECK_INT(mkdir(S("%s/pkg", f.dst), 0755), 0);
	CHECK_INT(put(S("%s/pkg/a.py", f.src), "A\n", 0644), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/pkg/a.py", f.src),
	                    S("%s/pkg/a.py", f.dst), 0644, 0, &used, &err), 0);
	CHECK(file_is(S("%s/pkg/a.py", f.dst), "A\n"));
	if (!can_symlink(&f)) {
		CHECK_INT(used, CINSTALL_LINK_COPY);
		CHECK(!is_symlink(S("%s/pkg/a.py", f.dst)));
		CHECK_INT(f.warnings, 1);
		CHECK_CONTAINS(f.warning, "cannot symlink files into");
		fx_done(&f);
		return;
	}
	CHECK_INT(used, CINSTALL_LINK_SYMLINK);
	CHECK(is_symlink(S("%s/pkg/a.py", f.dst)));
	n = readlink(S("%s/pkg/a.py", f.dst), target, sizeof(target) - 1);
	CHECK(n > 0);
	target[n > 0 ? n : 0] = '\0';
	/* When both trees share a top-level directory the link is relative;
	 * either way it resolves to the cache file. */
	if (strcspn(f.src + 1, "/") == strcspn(f.dst + 1, "/") &&
	    !strncmp(f.src, f.dst, strcspn(f.src + 1, "/") + 1)) {
		CHECK(target[0] != '/');
		CHECK(!strncmp(target, "../", 3));
	} else {
		CHECK_STR(target, S("%s/pkg/a.py", f.src));
	}
	CHECK(same_inode(S("%s/pkg/a.py", f.dst), S("%s/pkg/a.py", f.src)));
	CHECK_INT(f.warnings, 0);
	fx_done(&f);
}

static void test_link__symlink_absolute_across_roots(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	char target[PATH_MAX], dir[] = "/dev/shm/cinstall-test-XXXXXX";
	ssize_t n;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!mkdtemp(dir)) {
		th_skip("no writable /dev/shm to hold a target under another top-level directory: %s",
		        strerror(errno));
		fx_done(&f);
		return;
	}
	CHECK_INT(put(S("%s/a.py", f.src), "A\n", 0644), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/a.py", f.src), S("%s/a.py", dir),
	                    0644, 0, NULL, &err), 0);
	n = readlink(S("%s/a.py", dir), target, sizeof(target) - 1);
	CHECK(n > 0);
	target[n > 0 ? n : 0] = '\0';
	CHECK_STR(target, S("%s/a.py", f.src));
	CHECK(file_is(S("%s/a.py", dir), "A\n"));
	cinstall_path__rmtree(&err, dir);
	fx_done(&f);
}

static void test_link__symlink_existing_link(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	char target[PATH_MAX];
	ssize_t n;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!can_symlink(&f)) {
		th_skip("the target filesystem has no symlinks (%s)", f.dst);
		fx_done(&f);
		return;
	}
	CHECK_INT(put(S("%s/a.py", f.src), "A\n", 0644), 0);
	CHECK_INT(put(S("%s/b.py", f.src), "B\n", 0644), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/a.py", f.src), S("%s/a.py", f.dst),
	                    0644, 0, NULL, &err), 0);
	n = readlink(S("%s/a.py", f.dst), target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	/* Another process placed the same link first: success, same link. */
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/a.py", f.src), S("%s/a.py", f.dst),
	                    0644, 0, NULL, &err), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/a.py", f.src), S("%s/a.py", f.dst),
	                    0644, 1, NULL, &err), 0);
	CHECK(file_is(S("%s/a.py", f.dst), "A\n"));
	/* A link to something else is replaced. */
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/b.py", f.src), S("%s/a.py", f.dst),
	                    0644, 0, NULL, &err), 0);
	CHECK(file_is(S("%s/a.py", f.dst), "B\n"));
	CHECK_INT(count_named(f.dst, ".cinstall-"), 0);
	fx_done(&f);
}

static void test_link__symlink_forced_off(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_link_mode used;
	fx f;

	/* CINSTALL_OPT_NO_SYMLINKS: real files, no warning. */
	if (fx_init(&f, CINSTALL_OPT_NO_SYMLINKS) < 0)
		return;
	CHECK_INT(put(S("%s/a.py", f.src), "A\n", 0644), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, CINSTALL_LINKER_STRICT, S("%s/a.py", f.src),
	                    S("%s/a.py", f.dst), 0644, 0, &used, &err), 0);
	CHECK_INT(used, CINSTALL_LINK_COPY);
	CHECK(!is_symlink(S("%s/a.py", f.dst)));
	CHECK(file_is(S("%s/a.py", f.dst), "A\n"));
	CHECK_INT(f.warnings, 0);
	fx_done(&f);

	/* The per-directory setter: that directory and below get real files;
	 * -1 returns to probing. */
	if (fx_init(&f, 0) < 0)
		return;
	if (!can_symlink(&f)) {
		th_skip("the target filesystem has no symlinks (%s)", f.dst);
		fx_done(&f);
		return;
	}
	CHECK_INT(mkdir(S("%s/nas", f.dst), 0755), 0);
	CHECK_INT(mkdir(S("%s/nas/sub", f.dst), 0755), 0);
	CHECK_INT(put(S("%s/a.py", f.src), "A\n", 0644), 0);
	CHECK_INT(cinstall_symlink_support_set(f.ctx, S("%s/nas/", f.dst), 0), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, CINSTALL_LINKER_STRICT, S("%s/a.py", f.src),
	                    S("%s/nas/sub/a.py", f.dst), 0644, 0, NULL, &err), 0);
	CHECK(!is_symlink(S("%s/nas/sub/a.py", f.dst)));
	CHECK(file_is(S("%s/nas/sub/a.py", f.dst), "A\n"));
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/a.py", f.src),
	                    S("%s/nas/a.py", f.dst), 0644, 0, NULL, &err), 0);
	CHECK(!is_symlink(S("%s/nas/a.py", f.dst)));
	/* A sibling is not affected. */
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/a.py", f.src), S("%s/a.py", f.dst),
	                    0644, 0, NULL, &err), 0);
	CHECK(is_symlink(S("%s/a.py", f.dst)));
	CHECK_INT(cinstall_symlink_support_set(f.ctx, S("%s/nas", f.dst), -1), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_SYMLINK, 0, S("%s/a.py", f.src),
	                    S("%s/nas/sub/b.py", f.dst), 0644, 0, NULL, &err), 0);
	CHECK(is_symlink(S("%s/nas/sub/b.py", f.dst)));
	CHECK_INT(f.warnings, 0);
	CHECK_INT(cinstall_symlink_support_set(f.ctx, "/x", 2), CINSTALL_EINVAL);
	CHECK_INT(cinstall_symlink_support_set(f.ctx, NULL, 1), CINSTALL_EINVAL);
	CHECK_INT(cinstall_symlink_support_set(NULL, "/x", 1), CINSTALL_EINVAL);
	fx_done(&f);
}

static void test_link__clone(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_linker *l = NULL;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(put(S("%s/tool", f.src), "#!/bin/sh\n", 0755), 0);
	CHECK_INT(put(S("%s/b.py", f.src), "B\n", 0644), 0);
	CHECK_INT(cinstall_linker__new(&l, &err, f.ctx, CINSTALL_LINK_CLONE, 0, WHEEL), 0);
	req.src = S("%s/tool", f.src);
	req.dst = S("%s/tool", f.dst);
	req.mode = 0755;
	req.replace = 0;
	CHECK_OK(NULL, cinstall_linker__place(l, &err, &req));
	req.src = S("%s/b.py", f.src);
	req.dst = S("%s/b.py", f.dst);
	req.mode = 0644;
	CHECK_OK(NULL, cinstall_linker__place(l, &err, &req));
	CHECK(file_is(S("%s/tool", f.dst), "#!/bin/sh\n"));
	CHECK(file_is(S("%s/b.py", f.dst), "B\n"));
	CHECK(!same_inode(S("%s/tool", f.src), S("%s/tool", f.dst)));
	if (keeps_modes(&f))
		CHECK_INT(mode_of(S("%s/tool", f.dst)), 0755);
	if (can_clone(&f)) {
		CHECK_INT(cinstall_linker__mode(l), CINSTALL_LINK_CLONE);
		CHECK_INT(cinstall_linker__fallbacks(l), 0);
		CHECK_INT(f.warnings, 0);
	} else {
		/* An explicit mode falls back to copy, with one warning. */
		CHECK_INT(cinstall_linker__mode(l), CINSTALL_LINK_COPY);
		CHECK_INT(cinstall_linker__fallbacks(l), 1);
		CHECK_INT(f.warnings, 1);
		CHECK_CONTAINS(f.warning, WHEEL);
		CHECK_CONTAINS(f.warning, "cannot clone files into");
		CHECK_CONTAINS(f.warning, f.dst);
		CHECK_CONTAINS(f.warning, "falling back to copy");
	}
	cinstall_linker__free(l);
	fx_done(&f);
}

static void test_link__auto_mode(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_link_mode used;
	fx f;

	if (fx_init(&f, CINSTALL_LINKER_STRICT) < 0)
		return;
	CHECK_INT(put(S("%s/a.py", f.src), "A\n", 0644), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_AUTO, 0, S("%s/a.py", f.src), S("%s/a.py", f.dst),
	                    0644, 0, &used, &err), 0);
	CHECK(file_is(S("%s/a.py", f.dst), "A\n"));
	if (can_clone(&f)) {
		CHECK_INT(used, CINSTALL_LINK_CLONE);
		CHECK_INT(f.warnings, 0);
	} else if (can_hardlink(&f)) {
		/* clone -> hardlink is auto's expected path: silent, and fine in
		 * strict mode. */
		CHECK_INT(used, CINSTALL_LINK_HARDLINK);
		CHECK(same_inode(S("%s/a.py", f.src), S("%s/a.py", f.dst)));
		CHECK_INT(f.warnings, 0);
		CHECK_INT(place_one(&f, CINSTALL_LINK_AUTO, CINSTALL_LINKER_STRICT, S("%s/a.py", f.src),
		                    S("%s/b.py", f.dst), 0644, 0, &used, &err), 0);
		CHECK_INT(used, CINSTALL_LINK_HARDLINK);
	} else {
		CHECK_INT(used, CINSTALL_LINK_COPY);
		CHECK_INT(f.warnings, 1);
	}
	fx_done(&f);
}

/* ------------------------------------------------------------------------ */
/* Replacing                                                                */
/* ------------------------------------------------------------------------ */

static void test_link__replace_existing(void)
{
	static const cinstall_link_mode modes[] = { CINSTALL_LINK_AUTO, CINSTALL_LINK_CLONE,
		                                    CINSTALL_LINK_HARDLINK, CINSTALL_LINK_SYMLINK,
		                                    CINSTALL_LINK_COPY };
	cinstall_err err = CINSTALL_ERR_INIT;
	const char *dst;
	size_t i;
	int replace;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(put(S("%s/new.py", f.src), "new\n", 0644), 0);
	for (i = 0; i < 5; i++) {
		for (replace = 0; replace < 2; replace++) {
			dst = S("%s/m%zu-%d.py", f.dst, i, replace);
			CHECK_INT(put(dst, "old old old\n", 0644), 0);
			CHECK_INT(place_one(&f, modes[i], 0, S("%s/new.py", f.src), dst, 0644, replace,
			                    NULL, &err), 0);
			if (!file_is(dst, "new\n"))
				th_fail(__FILE__, __LINE__, "mode %s replace=%d: '%s' not replaced",
				        cinstall_link_mode_name(modes[i]), replace, dst);
		}
	}
	CHECK(file_is(S("%s/new.py", f.src), "new\n"));
	CHECK_INT(count_named(f.dst, ".cinstall-"), 0);

	/* replace=1 where nothing exists yet works too. */
	CHECK_INT(place_one(&f, CINSTALL_LINK_COPY, 0, S("%s/new.py", f.src), S("%s/fresh.py", f.dst),
	                    0644, 1, NULL, &err), 0);
	CHECK(file_is(S("%s/fresh.py", f.dst), "new\n"));
	fx_done(&f);
}

static void test_link__replace_hardlink_into_cache(void)
{
	static const cinstall_link_mode modes[] = { CINSTALL_LINK_AUTO, CINSTALL_LINK_CLONE,
		                                    CINSTALL_LINK_HARDLINK, CINSTALL_LINK_SYMLINK,
		                                    CINSTALL_LINK_COPY };
	cinstall_err err = CINSTALL_ERR_INIT;
	const char *dst, *old = NULL;
	size_t i;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!can_hardlink(&f)) {
		th_skip("no hard links between %s and %s", f.src, f.dst);
		fx_done(&f);
		return;
	}
	CHECK_INT(put(S("%s/v2.py", f.src), "version 2\n", 0644), 0);
	for (i = 0; i < 5; i++) {
		/* The installed file is a hard link to the previous version's
		 * cache file: replacing it must leave that cache file alone. */
		old = S("%s/v1-%zu.py", f.src, i);
		dst = S("%s/mod%zu.py", f.dst, i);
		CHECK_INT(put(old, "version 1, a longer file\n", 0644), 0);
		CHECK_INT(link(old, dst), 0);
		CHECK_INT(place_one(&f, modes[i], 0, S("%s/v2.py", f.src), dst, 0644, 1, NULL, &err), 0);
		CHECK(file_is(dst, "version 2\n"));
		if (!file_is(old, "version 1, a longer file\n"))
			th_fail(__FILE__, __LINE__, "mode %s wrote through a hard link into the cache",
			        cinstall_link_mode_name(modes[i]));
	}
	/* The installed file is already a hard link to this very source. */
	dst = S("%s/same.py", f.dst);
	CHECK_INT(link(S("%s/v2.py", f.src), dst), 0);
	for (i = 0; i < 5; i++) {
		CHECK_INT(place_one(&f, modes[i], 0, S("%s/v2.py", f.src), dst, 0644, 1, NULL, &err), 0);
		CHECK_INT(place_one(&f, modes[i], 0, S("%s/v2.py", f.src), dst, 0644, 0, NULL, &err), 0);
		CHECK(file_is(dst, "version 2\n"));
		CHECK(file_is(S("%s/v2.py", f.src), "version 2\n"));
	}
	CHECK_INT(count_named(f.dst, ".cinstall-"), 0);
	CHECK_INT(count_named(f.src, ".cinstall-"), 0);
	fx_done(&f);
}

static void test_link__replace_symlink_into_cache(void)
{
	static const cinstall_link_mode modes[] = { CINSTALL_LINK_AUTO, CINSTALL_LINK_CLONE,
		                                    CINSTALL_LINK_HARDLINK, CINSTALL_LINK_SYMLINK,
		                                    CINSTALL_LINK_COPY };
	cinstall_err err = CINSTALL_ERR_INIT;
	const char *dst, *old;
	size_t i;
	int replace;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!can_symlink(&f)) {
		th_skip("the target filesystem has no symlinks (%s)", f.dst);
		fx_done(&f);
		return;
	}
	CHECK_INT(put(S("%s/v2.py", f.src), "version 2\n", 0644), 0);
	for (i = 0; i < 5; i++) {
		for (replace = 0; replace < 2; replace++) {
			/* An earlier symlink-mode install left a link to the previous
			 * version's cache file: it is replaced, never written through. */
			old = S("%s/v1-%zu-%d.py", f.src, i, replace);
			dst = S("%s/mod%zu-%d.py", f.dst, i, replace);
			CHECK_INT(put(old, "version 1, a longer file\n", 0644), 0);
			CHECK_INT(symlink(old, dst), 0);
			CHECK_INT(place_one(&f, modes[i], 0, S("%s/v2.py", f.src), dst, 0644, replace, NULL,
			                    &err), 0);
			CHECK(file_is(dst, "version 2\n"));
			if (!file_is(old, "version 1, a longer file\n"))
				th_fail(__FILE__, __LINE__, "mode %s replace=%d wrote through a symlink",
				        cinstall_link_mode_name(modes[i]), replace);
		}
	}
	/* A dangling link is replaced too. */
	dst = S("%s/dangling.py", f.dst);
	CHECK_INT(symlink(S("%s/gone.py", f.src), dst), 0);
	CHECK_INT(place_one(&f, CINSTALL_LINK_COPY, 0, S("%s/v2.py", f.src), dst, 0644, 0, NULL, &err), 0);
	CHECK(!is_symlink(dst));
	CHECK(file_is(dst, "version 2\n"));
	CHECK(access(S("%s/gone.py", f.src), F_OK) < 0);
	CHECK_INT(count_named(f.dst, ".cinstall-"), 0);
	fx_done(&f);
}

static void test_link__replace_refuses_directory(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(put(S("%s/a", f.src), "A\n", 0644), 0);
	CHECK_INT(mkdir(S("%s/a", f.dst), 0755), 0);
	CHECK_INT(put(S("%s/a/keep", f.dst), "K\n", 0644), 0);
	CHECK(place_one(&f, CINSTALL_LINK_COPY, 0, S("%s/a", f.src), S("%s/a", f.dst), 0644, 0, NULL,
	                &err) < 0);
	CHECK_CONTAINS(err.msg, WHEEL);
	CHECK_CONTAINS(err.msg, S("%s/a", f.dst));
	CHECK(file_is(S("%s/a/keep", f.dst), "K\n"));
	CHECK_INT(count_named(f.dst, ".cinstall-"), 0);
	fx_done(&f);
}

/* ------------------------------------------------------------------------ */
/* Fallback policy on a real second filesystem (tmpfs)                      */
/* ------------------------------------------------------------------------ */

/* A directory on another filesystem than the test's source, or NULL. */
static const char *other_fs_dir(const fx *f, char *buf)
{
	struct stat a, b;

	snprintf(buf, PATH_MAX, "/dev/shm/cinstall-test-XXXXXX");
	if (!mkdtemp(buf))
		return NULL;
	if (stat(f->src, &a) < 0 || stat(buf, &b) < 0 || a.st_dev == b.st_dev) {
		rmdir(buf);
		return NULL;
	}
	return buf;
}

static void test_link__first_file_fallback_exdev(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_linker *l = NULL, *l2 = NULL;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	char buf[PATH_MAX];
	const char *shm;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!(shm = other_fs_dir(&f, buf))) {
		th_skip("no /dev/shm on another filesystem than %s", f.src);
		fx_done(&f);
		return;
	}
	CHECK_INT(put(S("%s/a.py", f.src), "A\n", 0644), 0);
	CHECK_INT(put(S("%s/b.py", f.src), "B\n", 0644), 0);
	CHECK_INT(cinstall_linker__new(&l, &err, f.ctx, CINSTALL_LINK_HARDLINK, 0, WHEEL), 0);
	req.src = S("%s/a.py", f.src);
	req.dst = S("%s/a.py", shm);
	req.mode = 0644;
	CHECK_OK(NULL, cinstall_linker__place(l, &err, &req));
	req.src = S("%s/b.py", f.src);
	req.dst = S("%s/b.py", shm);
	CHECK_OK(NULL, cinstall_linker__place(l, &err, &req));
	CHECK_INT(cinstall_linker__mode(l), CINSTALL_LINK_COPY);
	CHECK_INT(cinstall_linker__fallbacks(l), 1);
	CHECK(file_is(S("%s/a.py", shm), "A\n"));
	CHECK(file_is(S("%s/b.py", shm), "B\n"));
	CHECK_INT(f.warnings, 1);
	CHECK_CONTAINS(f.warning, WHEEL);
	CHECK_CONTAINS(f.warning, "cannot hardlink files into");
	CHECK_CONTAINS(f.warning, shm);
	CHECK_CONTAINS(f.warning, strerror(EXDEV));
	CHECK_CONTAINS(f.warning, "falling back to copy");
	CHECK_CONTAINS(f.warning, "--link-mode=copy");

	/* The next wheel decides again, but the context warned already. */
	CHECK_INT(cinstall_linker__new(&l2, &err, f.ctx, CINSTALL_LINK_AUTO, 0, "other-2.0-py3-none-any.whl"), 0);
	req.src = S("%s/a.py", f.src);
	req.dst = S("%s/c.py", shm);
	CHECK_OK(NULL, cinstall_linker__place(l2, &err, &req));
	CHECK_INT(cinstall_linker__mode(l2), CINSTALL_LINK_COPY);
	CHECK_INT(cinstall_linker__fallbacks(l2), 1);
	CHECK_INT(f.warnings, 1);
	cinstall_linker__free(l);
	cinstall_linker__free(l2);
	cinstall_path__rmtree(&err, shm);
	fx_done(&f);
}

static void test_link__strict_mode(void)
{
	static const cinstall_link_mode modes[] = { CINSTALL_LINK_AUTO, CINSTALL_LINK_CLONE,
		                                    CINSTALL_LINK_HARDLINK };
	cinstall_err err = CINSTALL_ERR_INIT;
	char buf[PATH_MAX];
	const char *shm;
	size_t i;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!(shm = other_fs_dir(&f, buf))) {
		th_skip("no /dev/shm on another filesystem than %s", f.src);
		fx_done(&f);
		return;
	}
	CHECK_INT(put(S("%s/a.py", f.src), "A\n", 0644), 0);
	for (i = 0; i < 3; i++) {
		cinstall_err__clear(&err);
		CHECK_INT(place_one(&f, modes[i], CINSTALL_LINKER_STRICT, S("%s/a.py", f.src),
		                    S("%s/a.py", shm), 0644, 0, NULL, &err), CINSTALL_ENOTSUP);
		CHECK_CONTAINS(err.msg, WHEEL);
		CHECK_CONTAINS(err.msg, shm);
		CHECK_CONTAINS(err.msg, strerror(EXDEV));
		CHECK_CONTAINS(err.msg, modes[i] == CINSTALL_LINK_CLONE ? "clone" : "hardlink");
		CHECK_INT(err.os_errno, EXDEV);
		CHECK_INT(count_named(shm, "a.py"), 0);
	}
	CHECK_INT(f.warnings, 0);
	cinstall_path__rmtree(&err, shm);
	fx_done(&f);
}

/* ------------------------------------------------------------------------ */
/* Rewritten and generated files                                            */
/* ------------------------------------------------------------------------ */

/* Files named below open directories (src_at/src_name, dst_at/dst_name)
 * are placed as by their paths; messages still name the paths. */
static void test_link__names_below_dirs(void)
{
	static const cinstall_link_mode modes[] = { CINSTALL_LINK_HARDLINK, CINSTALL_LINK_COPY };
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_linker *l = NULL;
	cinstall_link_req req;
	size_t i;
	int sfd, dfd;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(mkdir(S("%s/pkg", f.src), 0755), 0);
	CHECK_INT(put(S("%s/pkg/mod.py", f.src), "x = 1\n", 0644), 0);
	sfd = open(f.src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dfd = open(f.dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(sfd >= 0 && dfd >= 0);
	for (i = 0; i < 2 && sfd >= 0 && dfd >= 0; i++) {
		const char *sub = modes[i] == CINSTALL_LINK_COPY ? "c" : "h";
		cinstall_link_req init = CINSTALL_LINK_REQ_INIT;

		CHECK_INT(mkdir(S("%s/%s", f.dst, sub), 0755), 0);
		CHECK_INT(cinstall_linker__new(&l, &err, f.ctx, modes[i], 0, WHEEL), 0);
		/* The paths name nothing: only the names can have been used. */
		req = init;
		req.src = S("%s/nowhere/mod.py", f.src);
		req.dst = S("%s/nowhere/%s/mod.py", f.dst, sub);
		req.mode = 0644;
		req.src_at = sfd;
		req.src_name = "pkg/mod.py";
		req.dst_at = dfd;
		req.dst_name = S("%s/mod.py", sub);
		CHECK_OK(NULL, cinstall_linker__place(l, &err, &req));
		CHECK(file_is(S("%s/%s/mod.py", f.dst, sub), "x = 1\n"));
		if (modes[i] == CINSTALL_LINK_HARDLINK && can_hardlink(&f))
			CHECK(same_inode(S("%s/pkg/mod.py", f.src), S("%s/%s/mod.py", f.dst, sub)));
		if (modes[i] == CINSTALL_LINK_COPY)
			CHECK(!same_inode(S("%s/pkg/mod.py", f.src), S("%s/%s/mod.py", f.dst, sub)));
		/* A missing source: the message names its path. */
		req.src_name = "pkg/absent.py";
		req.dst_name = S("%s/absent.py", sub);
		CHECK_INT(cinstall_linker__place(l, &err, &req), CINSTALL_ENOTFOUND);
		CHECK_CONTAINS(err.msg, S("%s/nowhere/mod.py", f.src));
		cinstall_linker__free(l);
		l = NULL;
	}
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	fx_done(&f);
}

static void test_link__copy_always(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_linker *l = NULL;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(put(S("%s/RECORD", f.src), "rows\n", 0644), 0);
	CHECK_INT(cinstall_linker__new(&l, &err, f.ctx, CINSTALL_LINK_HARDLINK, 0, WHEEL), 0);
	req.src = S("%s/RECORD", f.src);
	req.dst = S("%s/RECORD", f.dst);
	req.mode = 0644;
	req.replace = 0;
	CHECK_OK(NULL, cinstall_linker__copy(l, &err, &req));
	CHECK(file_is(req.dst, "rows\n"));
	CHECK(!same_inode(req.src, req.dst));
	CHECK_INT(cinstall_linker__fallbacks(l), 0);
	req.src = S("%s/missing", f.src);
	CHECK_INT(cinstall_linker__copy(l, &err, &req), CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, S("%s: cannot open", WHEEL));
	cinstall_linker__free(l);
	fx_done(&f);
}

static void test_link__write_file(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	const char *p;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	p = S("%s/INSTALLER", f.dst);
	CHECK_INT(cinstall_link__write_file(&err, f.ctx, p, "cinstall\n", 9, 0644), 0);
	CHECK(file_is(p, "cinstall\n"));
	if (keeps_modes(&f))
		CHECK_INT(mode_of(p), 0644);
	p = S("%s/launcher", f.dst);
	CHECK_INT(cinstall_link__write_file(&err, f.ctx, p, "#!/usr/bin/python3\n", 19, 0755), 0);
	if (keeps_modes(&f))
		CHECK_INT(mode_of(p), 0755);
	/* Over a hard link into the cache: the cache file keeps its bytes. */
	if (can_hardlink(&f)) {
		CHECK_INT(put(S("%s/cached", f.src), "cached bytes\n", 0644), 0);
		CHECK_INT(link(S("%s/cached", f.src), S("%s/gen", f.dst)), 0);
		CHECK_INT(cinstall_link__write_file(&err, f.ctx, S("%s/gen", f.dst), "gen\n", 4, 0644), 0);
		CHECK(file_is(S("%s/gen", f.dst), "gen\n"));
		CHECK(file_is(S("%s/cached", f.src), "cached bytes\n"));
	}
	CHECK_INT(count_named(f.dst, ".cinstall-"), 0);
	CHECK_INT(cinstall_link__write_file(&err, f.ctx, S("%s/no/such/dir/x", f.dst), "x", 1, 0644),
	          CINSTALL_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "cannot create");
	fx_done(&f);
}

/* ------------------------------------------------------------------------ */
/* Copy locks under threads                                                 */
/* ------------------------------------------------------------------------ */

#define STRESS_THREADS 8
#define STRESS_ROUNDS 60

typedef struct stress_arg {
	fx *f;
	int id;
	int failures;
	char msg[1100];
} stress_arg;

static size_t stress_size(int id)
{
	return 20000 + (size_t)id * 7919;
}

static void *stress_writer(void *p)
{
	stress_arg *a = p;
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_linker *l = NULL;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	char src[PATH_MAX + 32], dst[PATH_MAX + 32];
	char *data;
	int i, r;

	snprintf(src, sizeof(src), "%s/v%d", a->f->src, a->id);
	snprintf(dst, sizeof(dst), "%s/ns/__init__.py", a->f->dst);
	if (cinstall_linker__new(&l, &err, a->f->ctx, CINSTALL_LINK_COPY, 0, "ns-wheel") < 0) {
		a->failures++;
		return NULL;
	}
	req.src = src;
	req.dst = dst;
	req.mode = 0644;
	if (!(data = malloc(stress_size(a->id)))) {
		a->failures++;
		cinstall_linker__free(l);
		return NULL;
	}
	memset(data, 'A' + a->id, stress_size(a->id));
	for (i = 0; i < STRESS_ROUNDS; i++) {
		/* Copies that replace through a temporary, copies that try O_EXCL
		 * first, and generated files written from memory. */
		req.replace = (i + a->id) % 2;
		if (i % 3 == 2)
			r = cinstall_link__write_file(&err, a->f->ctx, dst, data, stress_size(a->id), 0644);
		else
			r = cinstall_linker__copy(l, &err, &req);
		if (r < 0 && !a->failures++)
			snprintf(a->msg, sizeof(a->msg), "%s", err.msg);
	}
	free(data);
	cinstall_linker__free(l);
	return NULL;
}

/* The file is exactly one writer's version: its size and its byte pattern. */
static int one_version(const char *buf, size_t len)
{
	size_t i;
	int id;

	if (len == 0)
		return 0;
	id = buf[0] - 'A';
	if (id < 0 || id >= STRESS_THREADS || len != stress_size(id))
		return 0;
	for (i = 0; i < len; i++)
		if (buf[i] != (char)('A' + id))
			return 0;
	return 1;
}

static void test_link__copy_lock_stress(void)
{
	pthread_t th[STRESS_THREADS];
	stress_arg args[STRESS_THREADS];
	char *buf, *data;
	size_t len;
	int i, bad = 0, reads = 0;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	CHECK_INT(mkdir(S("%s/ns", f.dst), 0755), 0);
	for (i = 0; i < STRESS_THREADS; i++) {
		data = malloc(stress_size(i));
		memset(data, 'A' + i, stress_size(i));
		CHECK_INT(put_file(S("%s/v%d", f.src, i), data, stress_size(i), 0644), 0);
		free(data);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].f = &f;
		args[i].id = i;
		CHECK_INT(pthread_create(&th[i], NULL, stress_writer, &args[i]), 0);
	}
	/* Read while they write: whenever the file can be read, it is one
	 * whole version (writers hold the directory's copy lock, and
	 * replacements are renames). */
	for (i = 0; i < 400; i++) {
		struct timespec ts = { 0, 100000 };
		pthread_mutex_t *lock = cinstall_ctx__dir_lock(f.ctx, S("%s/ns", f.dst));

		pthread_mutex_lock(lock);
		buf = slurp(S("%s/ns/__init__.py", f.dst), &len);
		pthread_mutex_unlock(lock);
		if (buf) {
			reads++;
			if (!one_version(buf, len))
				bad++;
		}
		free(buf);
		nanosleep(&ts, NULL);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (args[i].failures)
			th_fail(__FILE__, __LINE__, "writer %d: %d failures: %s", i, args[i].failures,
			        args[i].msg);
	}
	CHECK_INT(bad, 0);
	CHECK(reads > 0);
	buf = slurp(S("%s/ns/__init__.py", f.dst), &len);
	CHECK(buf && one_version(buf, len));
	free(buf);
	CHECK_INT(count_named(S("%s/ns", f.dst), ".cinstall-"), 0);
	CHECK_INT(count_named(S("%s/ns", f.dst), "__init__"), 1);
	fx_done(&f);
}

/* ------------------------------------------------------------------------ */
/* Fault injection: this binary again, with test/shim/fault.so preloaded    */
/* ------------------------------------------------------------------------ */

/* The sanitizer runtime this binary loaded (it must come first in
 * LD_PRELOAD), from /proc/self/maps; "" when none. */
static void find_sanitizer(char *out, size_t cap)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128], *p;

	out[0] = '\0';
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		if (!strstr(line, "/libasan.so") && !strstr(line, "/libtsan.so"))
			continue;
		if ((p = strchr(line, '/'))) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(out, cap, "%s", p);
			break;
		}
	}
	fclose(fp);
}

typedef struct run {
	int status;       /* exit code, or -1 */
	char *out;        /* the driver's stdout */
	char *faults;     /* FAULT_REPORT contents ("" when none fired) */
	int nfaults;
} run;

/* Run `test_link --place ARGS...` under the shim with `env` (NULL-terminated
 * "NAME=value" list).  Returns 0, or -1 when the shim is not available (the
 * test is then skipped with the reason). */
static int run_driver(run *r, const char *const *env, const char *const *args)
{
	const char *shim = S("%s/test/shim/fault.so", th_build());
	const char *report = S("%s/faults.txt", th_tmpdir());
	const char *outfile = S("%s/driver-out.txt", th_tmpdir());
	char self[PATH_MAX], preload[2 * PATH_MAX + 2], sanitizer_lib[PATH_MAX];
	const char *argv[32];
	ssize_t n;
	pid_t pid;
	int i, st, fd;
	char *p;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (access(shim, R_OK) < 0) {
		th_skip("%s is missing (make unit builds it)", shim);
		return -1;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
		th_skip("cannot find this binary: %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	find_sanitizer(sanitizer_lib, sizeof(sanitizer_lib));
	if (sanitizer_lib[0])
		snprintf(preload, sizeof(preload), "%s %s", sanitizer_lib, shim);
	else
		snprintf(preload, sizeof(preload), "%s", shim);
	unlink(report);
	argv[0] = self;
	argv[1] = "--place";
	for (i = 0; args[i] && i < 28; i++)
		argv[i + 2] = args[i];
	argv[i + 2] = NULL;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		th_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		setenv("LD_PRELOAD", preload, 1);
		setenv("FAULT_REPORT", report, 1);
		for (i = 0; env[i]; i++)
			putenv((char *)env[i]);
		execv(self, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0) {
		th_fail(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
		return -1;
	}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->out = slurp(outfile, NULL);
	if (!r->out)
		r->out = strdup("");
	r->faults = slurp(report, NULL);
	if (!r->faults)
		r->faults = strdup("");
	for (p = r->faults; *p; p++)
		if (*p == '\n')
			r->nfaults++;
	if (r->status == 126 || r->status == 127) {
		th_fail(__FILE__, __LINE__, "cannot run the driver under %s", preload);
		return -1;
	}
	return 0;
}

static void run_free(run *r)
{
	free(r->out);
	free(r->faults);
}

/* A small tree for the driver: bin/tool (0755) and pkg/{a,b,c}.py; the
 * driver walks in name order, so bin/tool is the first file placed. */
static void make_tree(const fx *f)
{
	CHECK_INT(mkdir(S("%s/tree", f->src), 0755), 0);
	CHECK_INT(mkdir(S("%s/tree/pkg", f->src), 0755), 0);
	CHECK_INT(mkdir(S("%s/tree/bin", f->src), 0755), 0);
	CHECK_INT(put(S("%s/tree/bin/tool", f->src), "#!/bin/sh\n", 0755), 0);
	CHECK_INT(put(S("%s/tree/pkg/a.py", f->src), "a = 1\n", 0644), 0);
	CHECK_INT(put(S("%s/tree/pkg/b.py", f->src), "b = 2\n", 0644), 0);
	CHECK_INT(put(S("%s/tree/pkg/c.py", f->src), "c = 3\n", 0644), 0);
}

static int tree_placed(const fx *f, const char *out)
{
	return file_is(S("%s/bin/tool", out), "#!/bin/sh\n") && file_is(S("%s/pkg/a.py", out), "a = 1\n") &&
	       file_is(S("%s/pkg/b.py", out), "b = 2\n") && file_is(S("%s/pkg/c.py", out), "c = 3\n") &&
	       (void *)f != NULL;
}

#define RUN(r, env, args) \
	do { if (run_driver(r, env, args) < 0) { fx_done(&f); return; } } while (0)

static void test_fault__emlink_fresh_inode(void)
{
	struct stat before, after;
	char out[PATH_MAX + 64], src[PATH_MAX + 64];
	run r;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!can_hardlink(&f)) {
		th_skip("no hard links between %s and %s", f.src, f.dst);
		fx_done(&f);
		return;
	}
	make_tree(&f);
	snprintf(src, sizeof(src), "%s/tree/pkg/a.py", f.src);
	snprintf(out, sizeof(out), "%s/out", f.dst);
	CHECK_INT(stat(src, &before), 0);
	{
		/* The second link (pkg/a.py) hits the link limit, once. */
		const char *env[] = { "FAULT_CALL=link,linkat", "FAULT_ERRNO=EMLINK", "FAULT_AFTER=1",
		                      "FAULT_COUNT=1", NULL };
		const char *args[] = { "--mode", "hardlink", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 1);
	CHECK_CONTAINS(r.faults, "pkg/a.py");
	CHECK_CONTAINS(r.out, "result mode=hardlink fallbacks=0 files=4");
	CHECK(!strstr(r.out, "warning"));
	CHECK(tree_placed(&f, out));
	/* The cache file got a fresh inode with the same bytes and mode, and
	 * the placed file is a link to it. */
	CHECK_INT(stat(src, &after), 0);
	CHECK(before.st_ino != after.st_ino);
	CHECK_INT(after.st_mode & 07777, 0644);
	CHECK(file_is(src, "a = 1\n"));
	CHECK(same_inode(src, S("%s/pkg/a.py", out)));
	CHECK(same_inode(S("%s/tree/pkg/b.py", f.src), S("%s/pkg/b.py", out)));
	CHECK_INT(count_named(S("%s/tree/pkg", f.src), ".cinstall-"), 0);
	run_free(&r);
	fx_done(&f);
}

static void test_fault__emlink_persistent(void)
{
	char out[PATH_MAX + 64];
	run r;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	if (!can_hardlink(&f)) {
		th_skip("no hard links between %s and %s", f.src, f.dst);
		fx_done(&f);
		return;
	}
	make_tree(&f);
	/* On the first file even a fresh inode cannot be linked: copy, warn. */
	snprintf(out, sizeof(out), "%s/out1", f.dst);
	{
		const char *env[] = { "FAULT_CALL=link,linkat", "FAULT_ERRNO=EMLINK", NULL };
		const char *args[] = { "--mode", "hardlink", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 2);
	CHECK_CONTAINS(r.out, "result mode=copy fallbacks=1 files=4");
	CHECK_CONTAINS(r.out, "warning: " "demo-1.0-py3-none-any.whl: cannot hardlink files into");
	CHECK_CONTAINS(r.out, strerror(EMLINK));
	CHECK(tree_placed(&f, out));
	CHECK(!same_inode(S("%s/tree/pkg/a.py", f.src), S("%s/pkg/a.py", out)));
	run_free(&r);

	/* After a first success it is an error naming the wheel and the file. */
	snprintf(out, sizeof(out), "%s/out2", f.dst);
	{
		const char *env[] = { "FAULT_CALL=link,linkat", "FAULT_ERRNO=EMLINK", "FAULT_AFTER=1", NULL };
		const char *args[] = { "--mode", "hardlink", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 1);
	CHECK_CONTAINS(r.out, S("error %d %d: %s: cannot hard link", CINSTALL_EIO, EMLINK, WHEEL));
	CHECK_CONTAINS(r.out, "pkg/a.py");
	CHECK_CONTAINS(r.out, strerror(EMLINK));
	CHECK(!strstr(r.out, "warning"));
	CHECK(file_is(S("%s/bin/tool", out), "#!/bin/sh\n"));
	CHECK_INT(count_named(S("%s/pkg", out), ".py"), 0);
	CHECK_INT(count_named(S("%s/tree/pkg", f.src), ".cinstall-"), 0);
	run_free(&r);
	fx_done(&f);
}

static void test_fault__exdev_first_file_vs_later(void)
{
	char out[PATH_MAX + 64];
	run r;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	make_tree(&f);
	/* EXDEV on the first file: fall back to copy for the wheel, one warning. */
	snprintf(out, sizeof(out), "%s/out1", f.dst);
	{
		const char *env[] = { "FAULT_CALL=link,linkat", "FAULT_ERRNO=EXDEV", NULL };
		const char *args[] = { "--mode", "hardlink", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 1);
	CHECK_CONTAINS(r.out, "result mode=copy fallbacks=1 files=4");
	CHECK_CONTAINS(r.out, S("cannot hardlink files into '%s/bin' (%s); falling back to copy", out,
	                        strerror(EXDEV)));
	CHECK(tree_placed(&f, out));
	if (keeps_modes(&f))
		CHECK_INT(mode_of(S("%s/bin/tool", out)), 0755);
	run_free(&r);

	/* The same in strict mode: an error naming wheel, mode, directory, errno. */
	snprintf(out, sizeof(out), "%s/out2", f.dst);
	{
		const char *env[] = { "FAULT_CALL=link,linkat", "FAULT_ERRNO=EXDEV", NULL };
		const char *args[] = { "--mode", "hardlink", "--strict", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 1);
	CHECK_CONTAINS(r.out, S("error %d %d: %s: link mode hardlink is not supported in '%s/bin': %s",
	                        CINSTALL_ENOTSUP, EXDEV, WHEEL, out, strerror(EXDEV)));
	CHECK(!strstr(r.out, "warning"));
	run_free(&r);

	/* EXDEV after the first success: an error, and nothing half-placed. */
	if (!can_hardlink(&f)) {
		fx_done(&f);
		return;
	}
	snprintf(out, sizeof(out), "%s/out3", f.dst);
	{
		const char *env[] = { "FAULT_CALL=link,linkat", "FAULT_ERRNO=EXDEV", "FAULT_AFTER=2", NULL };
		const char *args[] = { "--mode", can_clone(&f) ? "hardlink" : "auto", S("%s/tree", f.src),
		                       out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 1);
	CHECK_CONTAINS(r.out, S("error %d %d: %s: cannot hard link '%s/tree/pkg/b.py' to '%s/pkg/b.py': %s",
	                        CINSTALL_EIO, EXDEV, WHEEL, f.src, out, strerror(EXDEV)));
	CHECK(file_is(S("%s/pkg/a.py", out), "a = 1\n"));
	CHECK(access(S("%s/pkg/b.py", out), F_OK) < 0);
	CHECK(!strstr(r.out, "warning"));
	run_free(&r);
	fx_done(&f);
}

static void test_fault__clone_eagain(void)
{
	char out[PATH_MAX + 64];
	int cloneable;
	run r;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	make_tree(&f);
	cloneable = can_clone(&f);
	/* Always busy: retried, then the wheel falls back to copy. */
	snprintf(out, sizeof(out), "%s/out1", f.dst);
	{
		const char *env[] = { "FAULT_CALL=ioctl", "FAULT_ERRNO=EAGAIN", NULL };
		const char *args[] = { "--mode", "clone", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 4); /* CLONE_TRIES attempts on the first file, then none */
	CHECK_CONTAINS(r.out, "result mode=copy fallbacks=1 files=4");
	CHECK_CONTAINS(r.out, S("cannot clone files into '%s/bin' (%s)", out, strerror(EAGAIN)));
	CHECK(tree_placed(&f, out));
	CHECK_INT(count_named(S("%s/bin", out), ".cinstall-"), 0);
	run_free(&r);

	/* Busy twice, then the filesystem answers for itself. */
	snprintf(out, sizeof(out), "%s/out2", f.dst);
	{
		const char *env[] = { "FAULT_CALL=ioctl", "FAULT_ERRNO=EAGAIN", "FAULT_COUNT=2", NULL };
		const char *args[] = { "--mode", "clone", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 2);
	CHECK_CONTAINS(r.out, cloneable ? "result mode=clone fallbacks=0" : "result mode=copy fallbacks=1");
	CHECK(tree_placed(&f, out));
	run_free(&r);
	if (!cloneable) {
		th_skip("clone after a first success needs a filesystem with reflinks "
		        "(test/fs/xfs.sh runs this on XFS); %s has none", f.dst);
		fx_done(&f);
		return;
	}
	/* Busy after the first clone: still a fallback, not an error. */
	snprintf(out, sizeof(out), "%s/out3", f.dst);
	{
		const char *env[] = { "FAULT_CALL=ioctl", "FAULT_ERRNO=EAGAIN", "FAULT_AFTER=1", NULL };
		const char *args[] = { "--mode", "clone", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 4);
	CHECK_CONTAINS(r.out, "result mode=copy fallbacks=1 files=4");
	CHECK_CONTAINS(r.out, strerror(EAGAIN));
	CHECK(tree_placed(&f, out));
	run_free(&r);

	/* In auto mode the rest of the wheel is hard linked, with a warning
	 * (unlike the silent clone -> hardlink step on the first file). */
	snprintf(out, sizeof(out), "%s/out4", f.dst);
	{
		const char *env[] = { "FAULT_CALL=ioctl", "FAULT_ERRNO=EAGAIN", "FAULT_AFTER=1", NULL };
		const char *args[] = { "--mode", "auto", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_CONTAINS(r.out, "result mode=hardlink fallbacks=1 files=4");
	CHECK_CONTAINS(r.out, S("warning: %s: cannot clone files into '%s/pkg' (%s); falling back to hardlink",
	                        WHEEL, out, strerror(EAGAIN)));
	CHECK(tree_placed(&f, out));
	CHECK(same_inode(S("%s/tree/pkg/c.py", f.src), S("%s/pkg/c.py", out)));
	run_free(&r);
	fx_done(&f);
}

static void test_fault__enospc_mid_copy(void)
{
	char out[PATH_MAX + 64];
	run r;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	make_tree(&f);
	/* Copying b.py fails after its first call: the second copy_file_range
	 * call, or the first write when copy_file_range cannot cross devices. */
	snprintf(out, sizeof(out), "%s/out1", f.dst);
	{
		const char *env[] = { "FAULT_CALL=copy_file_range,write", "FAULT_ERRNO=ENOSPC",
		                      "FAULT_MATCH=b.py", "FAULT_AFTER=1", NULL };
		const char *args[] = { "--mode", "copy", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 1);
	CHECK_INT(r.nfaults, 1);
	CHECK_CONTAINS(r.out, S("error %d %d: %s: cannot copy '%s/tree/pkg/b.py' to '%s/pkg/b.py': %s",
	                        CINSTALL_EIO, ENOSPC, WHEEL, f.src, out, strerror(ENOSPC)));
	CHECK(file_is(S("%s/pkg/a.py", out), "a = 1\n"));
	CHECK(access(S("%s/pkg/b.py", out), F_OK) < 0);
	CHECK_INT(count_named(S("%s/pkg", out), ".cinstall-"), 0);
	run_free(&r);

	/* Through read/write (copy_file_range unavailable), replacing an
	 * existing file: the old file stays whole and no temporary is left. */
	snprintf(out, sizeof(out), "%s/out2", f.dst);
	CHECK_INT(mkdir(out, 0755), 0);
	CHECK_INT(mkdir(S("%s/pkg", out), 0755), 0);
	CHECK_INT(put(S("%s/pkg/b.py", out), "old b\n", 0644), 0);
	{
		const char *env[] = { "FAULT_CALL=copy_file_range=ENOSYS,write=ENOSPC",
		                      "FAULT_MATCH=b.py", NULL };
		const char *args[] = { "--mode", "copy", "--replace", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 1);
	CHECK_CONTAINS(r.faults, "write 28 ");
	CHECK_CONTAINS(r.out, strerror(ENOSPC));
	CHECK_CONTAINS(r.out, "pkg/.b.py.cinstall-");
	CHECK(file_is(S("%s/pkg/b.py", out), "old b\n"));
	CHECK(file_is(S("%s/pkg/a.py", out), "a = 1\n"));
	CHECK_INT(count_named(S("%s/pkg", out), ".cinstall-"), 0);
	run_free(&r);

	/* rename(2) failing over an existing file: old file kept, temp removed. */
	{
		const char *env[] = { "FAULT_CALL=rename", "FAULT_ERRNO=EIO", "FAULT_MATCH=b.py", NULL };
		const char *args[] = { "--mode", "auto", "--replace", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 1);
	CHECK_INT(r.nfaults, 1);
	CHECK_CONTAINS(r.out, S("cannot replace '%s/pkg/b.py'", out));
	CHECK(file_is(S("%s/pkg/b.py", out), "old b\n"));
	CHECK_INT(count_named(S("%s/pkg", out), ".cinstall-"), 0);
	run_free(&r);
	fx_done(&f);
}

static void test_fault__symlink_eperm(void)
{
	char out[PATH_MAX + 64];
	run r;
	fx f;

	if (fx_init(&f, 0) < 0)
		return;
	make_tree(&f);
	snprintf(out, sizeof(out), "%s/out", f.dst);
	{
		/* A filesystem refusing symlinks (FAT through FUSE, SMB shares). */
		const char *env[] = { "FAULT_CALL=symlink", "FAULT_ERRNO=EPERM", NULL };
		const char *args[] = { "--mode", "symlink", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 1);
	CHECK_CONTAINS(r.out, "result mode=copy fallbacks=1 files=4");
	CHECK_CONTAINS(r.out, S("cannot symlink files into '%s/bin' (%s)", out, strerror(EPERM)));
	CHECK(tree_placed(&f, out));
	CHECK(!is_symlink(S("%s/pkg/a.py", out)));
	run_free(&r);

	/* Three wheels on one context into the same directories: the first
	 * learns that bin/ refuses symlinks and the context remembers it per
	 * directory, so the later wheels' first file (bin/tool again) falls
	 * back without a symlink(2) call: one fault in all, one warning. */
	snprintf(out, sizeof(out), "%s/out2", f.dst);
	{
		const char *env[] = { "FAULT_CALL=symlink", "FAULT_ERRNO=EPERM", NULL };
		const char *args[] = { "--mode", "symlink", "--repeat", "3", S("%s/tree", f.src), out, NULL };
		RUN(&r, env, args);
	}
	CHECK_INT(r.status, 0);
	CHECK_INT(r.nfaults, 1);
	CHECK_CONTAINS(r.faults, "/bin/tool");
	CHECK_CONTAINS(r.out, "result mode=copy fallbacks=1 files=4\nresult mode=copy fallbacks=1 files=4\n"
	                      "result mode=copy fallbacks=1 files=4\n");
	CHECK_INT(count_named(S("%s/bin", out), "tool"), 1);
	CHECK_INT(count_lines(r.out, "warning: "), 1);
	CHECK_INT(count_named(S("%s/pkg", out), ".cinstall-"), 0);
	CHECK(tree_placed(&f, out));
	run_free(&r);
	fx_done(&f);
}

/* ------------------------------------------------------------------------ */
/* The driver                                                               */
/* ------------------------------------------------------------------------ */

typedef struct drv {
	cinstall_ctx *ctx;
	cinstall_linker *linker;
	cinstall_err err;
	int copy_only;
	int replace;
	int quiet;
	uint64_t files;
	cinstall_buf path_src, path_dst;
} drv;

static void drv_log(cinstall_log_level level, const char *msg, void *payload)
{
	const drv *d = payload;

	if (level <= CINSTALL_LOG_WARNING && !d->quiet)
		printf("%s: %s\n", level == CINSTALL_LOG_ERROR ? "error" : "warning", msg);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Place the tree under d->path_src at d->path_dst (both grow and shrink as
 * the walk goes), in name order so fault counts are reproducible. */
static int drv_walk(drv *d)
{
	size_t slen = d->path_src.len, dlen = d->path_dst.len, n = 0, cap = 0, i;
	char **names = NULL;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int r = 0;

	if (!(dir = opendir(d->path_src.ptr)))
		return cinstall_err__os(&d->err, "cannot open '%s'", d->path_src.ptr);
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
			if (!nn) {
				r = cinstall_err__oom(&d->err);
				goto done;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = cinstall_err__oom(&d->err);
			goto done;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && r == 0; i++) {
		cinstall_link_req req = CINSTALL_LINK_REQ_INIT;

		cinstall_buf__truncate(&d->path_src, slen);
		cinstall_buf__truncate(&d->path_dst, dlen);
		if (cinstall_buf__putc(&d->path_src, '/') < 0 ||
		    cinstall_buf__puts(&d->path_src, names[i]) < 0 ||
		    cinstall_buf__putc(&d->path_dst, '/') < 0 ||
		    cinstall_buf__puts(&d->path_dst, names[i]) < 0) {
			r = cinstall_err__oom(&d->err);
			break;
		}
		if (fstatat(dirfd(dir), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = cinstall_err__os(&d->err, "cannot stat '%s'", d->path_src.ptr);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(d->path_dst.ptr, 0755) < 0 && errno != EEXIST) {
				r = cinstall_err__os(&d->err, "cannot create directory '%s'", d->path_dst.ptr);
				break;
			}
			r = drv_walk(d);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		req.src = d->path_src.ptr;
		req.dst = d->path_dst.ptr;
		req.mode = (uint32_t)(st.st_mode & 07777);
		req.replace = d->replace;
		r = d->copy_only ? cinstall_linker__copy(d->linker, &d->err, &req)
		                 : cinstall_linker__place(d->linker, &d->err, &req);
		d->files++;
	}
done:
	cinstall_buf__truncate(&d->path_src, slen);
	cinstall_buf__truncate(&d->path_dst, dlen);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return r;
}

static int drive(int argc, char **argv)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_link_mode mode = CINSTALL_LINK_AUTO;
	unsigned int flags = 0;
	const char *src = NULL, *dst = NULL, *wheel = WHEEL;
	struct timespec t0, t1;
	struct stat st;
	int i, r = 0, timing = 0, repeat = 1, round;
	drv d;

	memset(&d, 0, sizeof(d));
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			if (cinstall_link_mode_parse(&mode, argv[++i]) < 0) {
				fprintf(stderr, "unknown mode %s\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--strict")) {
			flags |= CINSTALL_LINKER_STRICT;
		} else if (!strcmp(argv[i], "--replace")) {
			d.replace = 1;
		} else if (!strcmp(argv[i], "--copy-only")) {
			d.copy_only = 1;
		} else if (!strcmp(argv[i], "--no-symlinks")) {
			o.flags |= CINSTALL_OPT_NO_SYMLINKS;
		} else if (!strcmp(argv[i], "--quiet")) {
			d.quiet = 1;
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
			repeat = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--time")) {
			timing = 1;
		} else if (!strcmp(argv[i], "--wheel") && i + 1 < argc) {
			wheel = argv[++i];
		} else if (!strcmp(argv[i], "--sorted")) {
			/* the walk is always in name order; accepted for clarity */
		} else if (!src) {
			src = argv[i];
		} else if (!dst) {
			dst = argv[i];
		} else {
			fprintf(stderr, "usage: %s --place [--mode M] [--strict] [--replace] "
			        "[--copy-only] [--no-symlinks] [--quiet] [--time] [--repeat N] SRC DST\n", argv[0]);
			return 2;
		}
	}
	if (!src || !dst) {
		fprintf(stderr, "%s --place: SRC and DST are required\n", argv[0]);
		return 2;
	}
	o.log_cb = drv_log;
	o.log_payload = &d;
	o.cache_dir = "/nonexistent-cinstall-cache";
	if (cinstall_ctx_new(&d.ctx, &o) < 0) {
		fprintf(stderr, "cinstall_ctx_new failed\n");
		return 2;
	}
	/* --repeat N: N wheels in turn (a linker each) on one context, the
	 * later ones replacing what the first placed. */
	for (round = 0; round < repeat && r == 0; round++) {
		if (d.linker) {
			printf("result mode=%s fallbacks=%u files=%llu\n",
			       cinstall_link_mode_name(cinstall_linker__mode(d.linker)),
			       cinstall_linker__fallbacks(d.linker), (unsigned long long)d.files);
			cinstall_linker__free(d.linker);
			d.linker = NULL;
			d.files = 0;
			d.replace = 1;
		}
		if ((r = cinstall_linker__new(&d.linker, &d.err, d.ctx, mode, flags, wheel)) < 0)
			goto out;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (stat(src, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (mkdir(dst, 0755) < 0 && errno != EEXIST) {
				r = cinstall_err__os(&d.err, "cannot create directory '%s'", dst);
				goto out;
			}
			cinstall_buf__truncate(&d.path_src, 0);
			cinstall_buf__truncate(&d.path_dst, 0);
			if (cinstall_buf__puts(&d.path_src, src) < 0 || cinstall_buf__puts(&d.path_dst, dst) < 0) {
				r = cinstall_err__oom(&d.err);
				goto out;
			}
			r = drv_walk(&d);
		} else {
			cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
			req.src = src;
			req.dst = dst;
			req.mode = 0644;
			req.replace = d.replace;
			if (stat(src, &st) == 0)
				req.mode = (uint32_t)(st.st_mode & 07777);
			r = d.copy_only ? cinstall_linker__copy(d.linker, &d.err, &req)
			                : cinstall_linker__place(d.linker, &d.err, &req);
			d.files = 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (timing)
			printf("time_ns %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
			                             (t1.tv_nsec - t0.tv_nsec));
	}
out:
	if (r < 0 || d.err.code < 0)
		printf("error %d %d: %s\n", d.err.code, d.err.os_errno, d.err.msg);
	if (d.linker)
		printf("result mode=%s fallbacks=%u files=%llu\n",
		       cinstall_link_mode_name(cinstall_linker__mode(d.linker)),
		       cinstall_linker__fallbacks(d.linker), (unsigned long long)d.files);
	cinstall_linker__free(d.linker);
	cinstall_ctx_free(d.ctx);
	cinstall_buf__release(&d.path_src);
	cinstall_buf__release(&d.path_dst);
	return r < 0 || d.err.code < 0 ? 1 : 0;
}

static const cinstall_test tests[] = {
	TEST(test_link__mode_names),
	TEST(test_link__helpers),
	TEST(test_link__copy_content_and_mode),
	TEST(test_link__hardlink_shares_inode),
	TEST(test_link__symlink_relative),
	TEST(test_link__symlink_absolute_across_roots),
	TEST(test_link__symlink_existing_link),
	TEST(test_link__symlink_forced_off),
	TEST(test_link__clone),
	TEST(test_link__auto_mode),
	TEST(test_link__replace_existing),
	TEST(test_link__replace_hardlink_into_cache),
	TEST(test_link__replace_symlink_into_cache),
	TEST(test_link__replace_refuses_directory),
	TEST(test_link__first_file_fallback_exdev),
	TEST(test_link__strict_mode),
	TEST(test_link__names_below_dirs),
	TEST(test_link__copy_always),
	TEST(test_link__write_file),
	TEST(test_link__copy_lock_stress),
	TEST(test_fault__emlink_fresh_inode),
	TEST(test_fault__emlink_persistent),
	TEST(test_fault__exdev_first_file_vs_later),
	TEST(test_fault__clone_eagain),
	TEST(test_fault__enospc_mid_copy),
	TEST(test_fault__symlink_eperm),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--place"))
		return drive(argc, argv);
	return th_run(argc, argv, tests);
}
