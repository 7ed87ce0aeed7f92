/* fault.c - an LD_PRELOAD shim that makes chosen libc calls fail.
 *
 * Controlled by the environment (read once, at the first intercepted call):
 *   FAULT_CALL    comma-separated call names: link linkat ioctl (FICLONE
 *                 only) copy_file_range rename renameat open openat write
 *                 symlink symlinkat fsync mkdir mkdirat dlopen ("open" also
 *                 covers open64, "openat" openat64; a faulted dlopen opens
 *                 a path that does not exist instead, so that dlerror()
 *                 says why as for a missing library); a name may carry its own
 *                 errno: "copy_file_range=ENOSYS,write=ENOSPC"
 *   FAULT_ERRNO   the errno to fail with: a name (EMLINK, EXDEV, ENOSPC,
 *                 EAGAIN, EPERM, ...) or a number; default EIO.  SHORT
 *                 (write, copy_file_range only): do not fail, but write
 *                 only half the bytes asked for (a short write the caller
 *                 must complete)
 *   FAULT_AFTER   let this many matching calls through first (default 0)
 *   FAULT_COUNT   fail this many calls, then let the rest through
 *                 (default: all of them)
 *   FAULT_MATCH   only calls whose path contains this substring (for calls
 *                 on a descriptor, the path the descriptor has; for link and
 *                 rename either path; for the *at calls, a relative name is
 *                 matched as the path it names below its directory
 *                 descriptor)
 *   FAULT_REPORT  append one line "<call> <errno> <path>" here per fault
 *                 injected, so a test can tell the fault really fired
 *
 * Build: cc -shared -fPIC -o fault.so fault.c -ldl (make unit does it).
 * Under ASan the sanitizer runtime must come first in LD_PRELOAD.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef FICLONE
#define FICLONE _IOW(0x94, 9, int)
#endif

static struct {
	int ready;
	char calls[512];
	int err;
	long after;
	long count;
	char match[1024];
	char report[1024];
	long seen;     /* matching calls so far */
	long failed;   /* faults injected so far */
} cfg;

#define FAULT_SHORT (-1000)

static const struct { const char *name; int value; } errnos[] = {
	{ "SHORT", FAULT_SHORT },
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EEXIST", EEXIST }, { "EXDEV", EXDEV },
	{ "ENOTDIR", ENOTDIR }, { "EISDIR", EISDIR }, { "EINVAL", EINVAL }, { "EMFILE", EMFILE },
	{ "ENOTTY", ENOTTY }, { "EFBIG", EFBIG }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS },
	{ "EMLINK", EMLINK }, { "ENAMETOOLONG", ENAMETOOLONG }, { "ENOSYS", ENOSYS },
	{ "ENOTSUP", ENOTSUP }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EDQUOT", EDQUOT },
	{ "EINTR", EINTR }, { "ETXTBSY", ETXTBSY }, { "EBUSY", EBUSY },
};

static int parse_errno(const char *v, int dflt)
{
	size_t i, n = strcspn(v, ",");

	if (*v >= '0' && *v <= '9')
		return atoi(v);
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strlen(errnos[i].name) == n && !strncmp(v, errnos[i].name, n))
			return errnos[i].value;
	return dflt;
}

static void load(void)
{
	const char *v;

	if (__atomic_load_n(&cfg.ready, __ATOMIC_ACQUIRE))
		return;
	if ((v = getenv("FAULT_CALL")))
		snprintf(cfg.calls, sizeof(cfg.calls), ",%s,", v);
	cfg.err = EIO;
	if ((v = getenv("FAULT_ERRNO")) && *v)
		cfg.err = parse_errno(v, EIO);
	cfg.after = (v = getenv("FAULT_AFTER")) ? atol(v) : 0;
	cfg.count = (v = getenv("FAULT_COUNT")) && *v ? atol(v) : -1;
	if ((v = getenv("FAULT_MATCH")))
		snprintf(cfg.match, sizeof(cfg.match), "%s", v);
	if ((v = getenv("FAULT_REPORT")))
		snprintf(cfg.report, sizeof(cfg.report), "%s", v);
	__atomic_store_n(&cfg.ready, 1, __ATOMIC_RELEASE);
}

/* 0 when `call` is not faulted, else the errno to fail it with. */
static int wants(const char *call)
{
	const char *p = cfg.calls;
	size_t n = strlen(call);

	load();
	while (p && *p) {
		p++; /* the ',' */
		if (!strncmp(p, call, n) && (p[n] == ',' || p[n] == '='))
			return p[n] == '=' ? parse_errno(p + n + 1, cfg.err) : cfg.err;
		p = strchr(p, ',');
	}
	return 0;
}

static int path_matches(const char *a, const char *b)
{
	if (!cfg.match[0])
		return 1;
	return (a && strstr(a, cfg.match)) || (b && strstr(b, cfg.match));
}

static void fd_path(int fd, char *out, size_t cap)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* Decide whether this call fails; when it does, report it, set errno and
 * return the errno (FAULT_SHORT: a short write, errno untouched). */
static int inject(const char *call, const char *a, const char *b)
{
	long seen, failed;
	char line[2200];
	int fd, len, err;

	if (!(err = wants(call)) || !path_matches(a, b))
		return 0;
	seen = __atomic_fetch_add(&cfg.seen, 1, __ATOMIC_SEQ_CST);
	if (seen < cfg.after)
		return 0;
	failed = __atomic_fetch_add(&cfg.failed, 1, __ATOMIC_SEQ_CST);
	if (cfg.count >= 0 && failed >= cfg.count)
		return 0;
	if (cfg.report[0]) {
		len = snprintf(line, sizeof(line), "%s %d %s%s%s\n", call, err, a ? a : "",
		               b ? " " : "", b ? b : "");
		/* Raw syscalls: the intercepted open/write must not recurse. */
		fd = (int)syscall(SYS_openat, AT_FDCWD, cfg.report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (syscall(SYS_write, fd, line, (size_t)(len < (int)sizeof(line) ? len : (int)sizeof(line) - 1)) < 0) {
				/* nothing to do */
			}
			syscall(SYS_close, fd);
		}
	}
	if (err > 0)
		errno = err;
	return err;
}

static int inject_fd(const char *call, int fd)
{
	char path[1024];

	if (!wants(call))
		return 0;
	fd_path(fd, path, sizeof(path));
	return inject(call, path, NULL);
}

/* For an *at call faulted at all: the path `p` names below descriptor `d`
 * (in out), so that FAULT_MATCH sees whole paths. */
static const char *at_path(const char *call, int d, const char *p, char *out, size_t cap)
{
	size_t n, len;

	if (!p || p[0] == '/' || d == AT_FDCWD || !wants(call))
		return p;
	fd_path(d, out, cap);
	n = strlen(out);
	len = strlen(p);
	if (!n || n + 1 + len >= cap)
		return p;
	out[n] = '/';
	memcpy(out + n + 1, p, len + 1);
	return out;
}

/* Bytes to really write for a short write. */
static size_t half(size_t len)
{
	return len > 1 ? len / 2 : len;
}

#define REAL(type, name, args) \
	static type(*real) args; \
	if (!real) \
		*(void **)&real = dlsym(RTLD_NEXT, name)

int link(const char *a, const char *b)
{
	REAL(int, "link", (const char *, const char *));
	if (inject("link", a, b))
		return -1;
	return real(a, b);
}

int linkat(int da, const char *a, int db, const char *b, int flags)
{
	char pa[2048], pb[2048];

	REAL(int, "linkat", (int, const char *, int, const char *, int));
	if (inject("linkat", at_path("linkat", da, a, pa, sizeof(pa)), at_path("linkat", db, b, pb, sizeof(pb))))
		return -1;
	return real(da, a, db, b, flags);
}

void *dlopen(const char *name, int flags)
{
	char missing[1100];

	REAL(void *, "dlopen", (const char *, int));
	if (name && inject("dlopen", name, NULL)) {
		snprintf(missing, sizeof(missing), "/nonexistent/fault-injected/%s", name);
		return real(missing, flags);
	}
	return real(name, flags);
}

int symlink(const char *a, const char *b)
{
	REAL(int, "symlink", (const char *, const char *));
	if (inject("symlink", b, NULL))
		return -1;
	return real(a, b);
}

int symlinkat(const char *a, int d, const char *b)
{
	char pb[2048];

	REAL(int, "symlinkat", (const char *, int, const char *));
	if (inject("symlinkat", at_path("symlinkat", d, b, pb, sizeof(pb)), NULL))
		return -1;
	return real(a, d, b);
}

int rename(const char *a, const char *b)
{
	REAL(int, "rename", (const char *, const char *));
	if (inject("rename", a, b))
		return -1;
	return real(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
	char pa[2048], pb[2048];

	REAL(int, "renameat", (int, const char *, int, const char *));
	if (inject("renameat", at_path("renameat", da, a, pa, sizeof(pa)), at_path("renameat", db, b, pb, sizeof(pb))))
		return -1;
	return real(da, a, db, b);
}

int mkdir(const char *p, mode_t m)
{
	REAL(int, "mkdir", (const char *, mode_t));
	if (inject("mkdir", p, NULL))
		return -1;
	return real(p, m);
}

int mkdirat(int d, const char *p, mode_t m)
{
	char pp[2048];

	REAL(int, "mkdirat", (int, const char *, mode_t));
	if (inject("mkdirat", at_path("mkdirat", d, p, pp, sizeof(pp)), NULL))
		return -1;
	return real(d, p, m);
}

int fsync(int fd)
{
	REAL(int, "fsync", (int));
	if (inject_fd("fsync", fd))
		return -1;
	return real(fd);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	int e;
	REAL(ssize_t, "write", (int, const void *, size_t));
	if ((e = inject_fd("write", fd)) == FAULT_SHORT)
		return real(fd, buf, half(len));
	if (e)
		return -1;
	return real(fd, buf, len);
}

ssize_t copy_file_range(int in, off_t *ioff, int out, off_t *ooff, size_t len, unsigned int flags)
{
	char a[1024], b[1024];

	REAL(ssize_t, "copy_file_range", (int, off_t *, int, off_t *, size_t, unsigned int));
	if (wants("copy_file_range")) {
		fd_path(in, a, sizeof(a));
		fd_path(out, b, sizeof(b));
		int e = inject("copy_file_range", a, b);
		if (e == FAULT_SHORT)
			return real(in, ioff, out, ooff, half(len), flags);
		if (e)
			return -1;
	}
	return real(in, ioff, out, ooff, len, flags);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	REAL(int, "ioctl", (int, unsigned long, ...));
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == (unsigned long)FICLONE && inject_fd("ioctl", fd))
		return -1;
	return real(fd, req, arg);
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *p, int flags, ...)
{
	va_list ap;
	mode_t m;

	REAL(int, "open", (const char *, int, ...));
	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	if (inject("open", p, NULL))
		return -1;
	return real(p, flags, m);
}

int open64(const char *p, int flags, ...)
{
	va_list ap;
	mode_t m;

	REAL(int, "open64", (const char *, int, ...));
	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	if (inject("open", p, NULL))
		return -1;
	return real(p, flags, m);
}

int openat(int d, const char *p, int flags, ...)
{
	va_list ap;
	mode_t m;
	char pp[2048];

	REAL(int, "openat", (int, const char *, int, ...));
	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	if (inject("openat", at_path("openat", d, p, pp, sizeof(pp)), NULL))
		return -1;
	return real(d, p, flags, m);
}

int openat64(int d, const char *p, int flags, ...)
{
	va_list ap;
	mode_t m;
	char pp[2048];

	REAL(int, "openat64", (int, const char *, int, ...));
	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	if (inject("openat", at_path("openat", d, p, pp, sizeof(pp)), NULL))
		return -1;
	return real(d, p, flags, m);
}
