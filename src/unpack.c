/* unpack.c - read a wheel with libarchive, check every entry and every
 * file against RECORD while it streams to disk, and publish the tree in
 * the content cache.
 *
 * One pass over the archive (central directory first: libarchive's
 * seekable zip reader), each file written once, hashed (SHA-256 and
 * XXH3-128) in the same loop that writes it.  RECORD usually comes last,
 * so files are compared with it after the pass, from the digests kept for
 * the manifest; only files RECORD hashes with sha384/sha512 are read back
 * from the tree once.  WHEEL, METADATA and RECORD are read back from the
 * tree (they were just written) so that no file is ever held in memory
 * while streaming (but one small file at a time, below); RECORD a block at
 * a time, each row checked as it is read against the files, sorted into
 * the manifest and found by binary search.  No table of names: the tree
 * refuses a name written twice (O_EXCL), and the error is classified then.
 *
 * Large wheels are split over the context's idle threads: a first pass
 * over the headers checks the entries and creates the directories, then
 * the threads take runs of files in turn, each through its own reader
 * (do_split), a streaming one that holds no central directory.  Any
 * failure unpacks the wheel again on one thread, so that errors do not
 * depend on the threads.
 *
 * Files up to SHARE_MAX that the cache may share are read whole and
 * hashed before anything is created: bytes seen earlier in the wheel, or
 * held by a verified object of the cache, become a hard link instead of
 * a new inode.  The files written are shared with the cache's objects
 * after RECORD is checked (cinstall_cache__dedupe_paths).
 *
 * Memory, per file of the wheel: the manifest entry (72 bytes and the
 * path) and libarchive's central directory entry (~144 bytes, in the one
 * seekable reader: the single pass, or a split's first pass), freed with
 * the archive before RECORD is read.
 */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "casefold.h"
#include "ctx.h"
#include "hash.h"
#include "path.h"
#include "record.h"
#include "scripts.h"
#include "sys.h"
#include "thread.h"
#include "uthash/uthash.h"
#include "wheel.h"
#include "zipcheck.h"

#define READ_BLOCK ((size_t)128 << 10)        /* libarchive's reads from the wheel (each reader's;
                                                 * 256 KiB measured no faster, and each
                                                 * thread's reader held 128 KiB more) */
#define HASH_BLOCK ((size_t)64 << 10)         /* our reads when hashing files (below malloc's
                                                 * mmap threshold: reused, not mapped anew) */
#define RATIO_FLOOR ((uint64_t)16 << 20)      /* the ratio limit applies above this total */
#define MAX_WHEEL_FILE ((size_t)1 << 20)      /* WHEEL */
#define MAX_HEADERS ((size_t)4 << 20)         /* METADATA's headers */
#define MAX_RECORD ((size_t)256 << 20)        /* RECORD */
#define NO_FILE ((size_t)-1)
#define SPLIT_BYTES ((uint64_t)1 << 20)       /* wheels smaller than this are split only alone */
#define SPLIT_FILES 256                       /* files per thread, at least */
#define ALONE_BYTES ((uint64_t)64 << 10)      /* a wheel unpacked alone: split from this size */
#define ALONE_FILES 32                        /* and files per thread, at least */
#define BESIDE_BYTES ((uint64_t)16 << 20)     /* libzip's check beside the unpack below this (side_work) */
#define SPLIT_FILE_COST ((uint64_t)16 << 10)  /* a file's creation weighs as many bytes written */
#define SPLIT_CHUNKS 16                       /* runs of entries per thread of a split (see split) */
#define SHARE_MAX ((uint64_t)256 << 10)       /* files up to this size are read whole before written */
#define SAME_MAX 8192                         /* distinct contents remembered per wheel (~1 MB) */
#define RECORD_BLOCK ((size_t)64 << 10)       /* our reads of RECORD */

/* cinstall_manifest_file.scratch while RECORD is checked: the file's
 * first row (a second one must agree with it). */
#define ROW_SEEN 1u          /* a row named it */
#define ROW_HASHED 2u        /* that row had a hash */
#define ROW_ALGO_SHIFT 2     /* its algorithm (cinstall_hash_algo) */

/* A directory created in the tree (named in the archive or implied). */
typedef struct dir_ent {
	char *path;
	UT_hash_handle hh;
} dir_ent;

/* A file written whole by this unpacker (or part), by its bytes: a later
 * file with the same bytes and mode is a link to it, not written again. */
typedef struct same_ent {
	unsigned char key[20];   /* XXH3-128 and mode */
	size_t file;             /* index into u->files */
	UT_hash_handle hh;
} same_ent;

/* A top-level directory whose name ends in .dist-info or .data. */
typedef struct top_ent {
	char *name;
	int data;                /* 1 .data, 0 .dist-info */
	UT_hash_handle hh;
} top_ent;

typedef struct unpacker {
	cinstall_ctx *ctx;
	const cinstall_libarchive *ar;     /* the context's, loaded for this wheel */
	cinstall_err *err;
	const char *wheel;                 /* file name, for messages */
	const cinstall_wheel_filename *wf;
	uint64_t wheel_size;
	int treefd;
	cinstall_sha *sha;
	cinstall_xxh *xxh;
	cinstall_manifest *m;              /* paths go into its arena */
	cinstall_manifest_file *files;     /* archive order until finish() sorts them */
	size_t nfiles, cap;
	dir_ent *dirs;
	top_ent *tops;
	uint64_t entries, total;
	cinstall_buf scratch;
	char *sloppy;                      /* the first sloppiness warning */
	/* Sharing with the cache's objects while writing (NULL sharer: not). */
	cinstall_cache_sharer *sharer;
	const char *tree;                  /* the tree's path */
	unsigned char *fresh;              /* per file: written by us, for cinstall_cache__dedupe_paths */
	int64_t (*span)[2];                /* per file: where its data starts and ends in the wheel */
	int64_t at;                        /* where the data of the entry just read starts */
	unsigned char *data;               /* a file read whole (up to SHARE_MAX) */
	size_t datacap;
	uint64_t saved, obj_mtime;         /* bytes linked from objects; their newest mtime */
	same_ent *same;                    /* files written whole, by their bytes */
	same_ent **same_in;                /* the table to use: &same, or the split's */
	pthread_mutex_t *same_lock;        /* guards *same_in when split */
	unsigned int self;                 /* holds its own thread of ctx->jobs (1), or not (0) */
} unpacker;

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

static void quote(char *out, size_t cap, const char *path)
{
	cinstall_path__quote(out, cap, path);
}

/* "<wheel>: '<entry>': <what>" */
static int fail_entry(unpacker *u, int code, const char *entry, const char *fmt, ...) CINSTALL_PRINTF(4, 5);
static int fail_entry(unpacker *u, int code, const char *entry, const char *fmt, ...)
{
	char q[512], what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!entry)
		return cinstall_err__set(u->err, code, 0, "%s: %s", u->wheel, what);
	quote(q, sizeof(q), entry);
	return cinstall_err__set(u->err, code, 0, "%s: '%s': %s", u->wheel, q, what);
}

/* Sloppiness pip tolerates: a warning, or an error under CINSTALL_OPT_STRICT. */
static int sloppy(unpacker *u, const char *entry, const char *what)
{
	char q[512];

	if (u->ctx->opts.flags & CINSTALL_OPT_STRICT)
		return fail_entry(u, CINSTALL_ERECORD, entry, "%s (strict mode)", what);
	quote(q, sizeof(q), entry);
	cinstall_ctx__log(u->ctx, CINSTALL_LOG_WARNING, "%s: '%s': %s", u->wheel, q, what);
	if (!u->sloppy) {
		cinstall_buf b = CINSTALL_BUF_INIT;
		if (cinstall_buf__printf(&b, "%s: '%s': %s", u->wheel, q, what) < 0)
			return cinstall_err__oom(u->err);
		u->sloppy = cinstall_buf__detach(&b);
	}
	return 0;
}

static void same_release(unpacker *u)
{
	same_ent *s, *stmp;

	HASH_ITER(hh, u->same, s, stmp) {
		HASH_DEL(u->same, s);
		free(s);
	}
}

static void unpacker_release(unpacker *u)
{
	dir_ent *d, *dtmp;
	top_ent *t, *ttmp;

	HASH_ITER(hh, u->dirs, d, dtmp) {
		HASH_DEL(u->dirs, d);
		free(d->path);
		free(d);
	}
	HASH_ITER(hh, u->tops, t, ttmp) {
		HASH_DEL(u->tops, t);
		free(t->name);
		free(t);
	}
	free(u->files);
	same_release(u);
	free(u->fresh);
	free(u->span);
	free(u->data);
	cinstall_cache__sharer_free(u->sharer);
	cinstall_sha__free(u->sha);
	cinstall_xxh__free(u->xxh);
	cinstall_buf__release(&u->scratch);
	free(u->sloppy);
	if (u->treefd >= 0)
		close(u->treefd);
}

/* Back to an empty tree and empty tables, to unpack the wheel again. */
static int unpacker_restart(unpacker *u, const char *tree)
{
	unpacker fresh = *u;
	int error;

	/* Keep what the caller set up; release the rest. */
	fresh.dirs = NULL;
	fresh.tops = NULL;
	fresh.files = NULL;
	fresh.nfiles = fresh.cap = 0;
	fresh.entries = fresh.total = 0;
	fresh.sloppy = NULL;
	fresh.treefd = -1;
	fresh.fresh = NULL;
	fresh.span = NULL;
	fresh.same = NULL;
	fresh.saved = fresh.obj_mtime = 0;
	memset(&fresh.scratch, 0, sizeof(fresh.scratch));
	u->sha = NULL;
	u->xxh = NULL;
	u->sharer = NULL;
	u->data = NULL;
	unpacker_release(u);
	*u = fresh;
	u->same_in = &u->same;
	if ((error = cinstall_path__rmtree(u->err, tree)) < 0)
		return error;
	if (mkdir(tree, 0755) < 0 || (u->treefd = cinstall_sys__open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) < 0)
		return cinstall_err__os(u->err, "cannot create '%s'", tree);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The tree                                                                 */
/* ------------------------------------------------------------------------ */

/* Create directory path[0..len) (and its parents) once. */
static int ensure_dir(unpacker *u, const char *path, size_t len)
{
	dir_ent *d;
	const char *slash;
	char *s;
	int error;

	HASH_FIND(hh, u->dirs, path, len, d);
	if (d)
		return 0;
	for (slash = path + len; slash > path && slash[-1] != '/'; slash--)
		;
	if (slash > path && (error = ensure_dir(u, path, (size_t)(slash - 1 - path))) < 0)
		return error;
	if (!(s = strndup(path, len)))
		return cinstall_err__oom(u->err);
	/* A file of that name (written before) makes this EEXIST. */
	if (mkdirat(u->treefd, s, 0755) < 0) {
		int e = errno;
		if (e == EEXIST)
			error = fail_entry(u, CINSTALL_EBADWHEEL, s, "is both a file and a directory in the archive");
		else
			error = cinstall_err__errno(u->err, e == ENOMEM ? CINSTALL_ENOMEM : CINSTALL_EIO, e,
			                            "%s: '%s': cannot create directory", u->wheel, s);
		free(s);
		return error;
	}
	if (!(d = calloc(1, sizeof(*d)))) {
		free(s);
		return cinstall_err__oom(u->err);
	}
	d->path = s;
	HASH_ADD_KEYPTR(hh, u->dirs, d->path, len, d);
	return 0;
}

/* Note a top-level .dist-info or .data directory. */
static int note_top(unpacker *u, const char *path)
{
	const char *slash = strchr(path, '/');
	size_t len;
	top_ent *t;
	int data;

	if (!slash)
		return 0;
	len = (size_t)(slash - path);
	if (len > 10 && !memcmp(slash - 10, ".dist-info", 10))
		data = 0;
	else if (len > 5 && !memcmp(slash - 5, ".data", 5))
		data = 1;
	else
		return 0;
	HASH_FIND(hh, u->tops, path, len, t);
	if (t)
		return 0;
	if (!(t = calloc(1, sizeof(*t))) || !(t->name = strndup(path, len))) {
		free(t);
		return cinstall_err__oom(u->err);
	}
	t->data = data;
	HASH_ADD_KEYPTR(hh, u->tops, t->name, len, t);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                  */
/* ------------------------------------------------------------------------ */

static int archive_fail(unpacker *u, struct archive *a, const char *entry, const char *what)
{
	const char *msg = u->ar->archive_error_string(a);

	return fail_entry(u, CINSTALL_EBADWHEEL, entry, "%s: %s", what, msg ? msg : "unknown error");
}

/* No table of names: the tree is one.  A directory where a file was
 * written is EEXIST from mkdirat (ensure_dir), and so are a file written
 * twice, or where a directory is, from openat's O_EXCL (do_file). */
static int do_dir(unpacker *u, const char *path)
{
	size_t len = strlen(path);

	while (len && path[len - 1] == '/')
		len--;
	return ensure_dir(u, path, len);
}

/* Room for `ncap` files in u->files (and u->fresh). */
static int grow_files(unpacker *u, size_t ncap)
{
	cinstall_manifest_file *nf;
	int64_t(*sp)[2];
	unsigned char *fr;

	if (ncap <= u->cap)
		return 0;
	if (!(nf = realloc(u->files, ncap * sizeof(*nf))))
		return cinstall_err__oom(u->err);
	u->files = nf;
	if (!(sp = realloc(u->span, ncap * sizeof(*sp))))
		return cinstall_err__oom(u->err);
	u->span = sp;
	if (u->sharer) {
		if (!(fr = realloc(u->fresh, ncap)))
			return cinstall_err__oom(u->err);
		u->fresh = fr;
	}
	u->cap = ncap;
	return 0;
}

/* Take a file entry into the tables (and create its directory): all of a
 * file but its data. */
static int add_file(unpacker *u, struct archive_entry *e, const char *path)
{
	const char *slash = strrchr(path, '/');
	cinstall_manifest_file *f;
	dir_ent *d;
	int error;

	HASH_FIND_STR(u->dirs, path, d);
	if (d)
		return fail_entry(u, CINSTALL_EBADWHEEL, path, "is both a file and a directory in the archive");
	if (slash && (error = ensure_dir(u, path, (size_t)(slash - path))) < 0)
		return error;
	if (u->nfiles == u->cap && (error = grow_files(u, u->cap ? u->cap * 2 : 256)) < 0)
		return error;
	if (u->sharer)
		u->fresh[u->nfiles] = 0;
	f = &u->files[u->nfiles];
	memset(f, 0, sizeof(*f));
	if (!(f->path = cinstall_manifest__intern(u->m, path, strlen(path))))
		return cinstall_err__oom(u->err);
	u->span[u->nfiles][0] = u->span[u->nfiles][1] = u->at; /* the end once read (write_file) */
	u->nfiles++;
	f->mode = (u->ar->archive_entry_perm(e) & 0111) ? 0755 : 0644;
	f->size = (uint64_t)u->ar->archive_entry_size(e); /* declared; write_file sets what it wrote */
	return 0;
}

/* O_EXCL met a name already in the tree: the same name earlier in the
 * archive, a directory, or (on a filesystem that folds case or Unicode
 * forms) another name it takes for the same. */
static int name_taken(unpacker *u, const cinstall_manifest_file *f)
{
	size_t i;
	dir_ent *d;

	for (i = 0; i < u->nfiles; i++)
		if (&u->files[i] != f && !strcmp(u->files[i].path, f->path))
			return fail_entry(u, CINSTALL_EBADWHEEL, f->path, "duplicate name in the archive");
	HASH_FIND_STR(u->dirs, f->path, d);
	if (d)
		return fail_entry(u, CINSTALL_EBADWHEEL, f->path, "is both a file and a directory in the archive");
	return fail_entry(u, CINSTALL_EBADWHEEL, f->path,
	                  "another entry has the same name on the cache's filesystem (it folds case or "
	                  "Unicode forms; the names collide on such filesystems)");
}

static int create_file(unpacker *u, const cinstall_manifest_file *f, int *fd)
{
	*fd = cinstall_sys__openat(u->treefd, f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, f->mode);
	if (*fd < 0 && errno == EEXIST)
		return name_taken(u, f);
	if (*fd < 0)
		return cinstall_err__errno(u->err, errno == ENOMEM ? CINSTALL_ENOMEM : CINSTALL_EIO, errno,
		                           "%s: '%s': cannot create", u->wheel, f->path);
	return 0;
}

/* May the file be shared with other entries?  As cinstall_cache__dedupe
 * decides, before the .dist-info and .data directories are known: never
 * empty files, a RECORD of any .dist-info, or a file under any
 * .data/scripts/. */
static int may_share(const char *path, uint64_t size)
{
	const char *slash = strchr(path, '/');
	size_t len;

	if (size == 0 || !slash)
		return size > 0;
	len = (size_t)(slash - path);
	if (len > 10 && !memcmp(slash - 10, ".dist-info", 10) && !strcmp(slash, "/RECORD"))
		return 0;
	if (len > 5 && !memcmp(slash - 5, ".data", 5) && !strncmp(slash, "/scripts/", 9))
		return 0;
	return 1;
}

/* Write the data of the entry the reader is at to f->path, hashing it.
 * Touches only the tree, `f`, u->fresh[f - u->files] and u's err, sha,
 * xxh, sharer, data, saved and obj_mtime: threads that split a wheel call
 * it on copies of the unpacker with their own of those.  With a sharer, a
 * small file is read whole first: when its bytes are already an object of
 * the cache, the file is a link to it, never written. */
static int write_file(unpacker *u, struct archive *a, cinstall_manifest_file *f)
{
	const char *path = f->path;
	uint64_t declared = f->size, written = 0; /* as add_file took it from the central directory */
	unsigned char digest[CINSTALL_DIGEST_MAX];
	const void *buf;
	size_t size;
	la_int64_t offset;
	int whole = u->sharer && declared <= SHARE_MAX && may_share(path, declared), fd = -1, r, error = 0;

	if (whole && u->datacap < declared) {
		unsigned char *d = realloc(u->data, (size_t)declared);
		if (!d)
			return cinstall_err__oom(u->err);
		u->data = d;
		u->datacap = (size_t)declared;
	}
	if (!whole && (error = create_file(u, f, &fd)) < 0)
		return error;
	cinstall_sha__reset(u->sha, CINSTALL_HASH_SHA256, NULL);
	cinstall_xxh__reset(u->xxh);
	for (;;) {
		r = u->ar->archive_read_data_block(a, &buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			error = archive_fail(u, a, path, "cannot read entry");
			goto done;
		}
		if ((uint64_t)offset != written) {
			error = fail_entry(u, CINSTALL_EBADWHEEL, path, "entry data is not contiguous");
			goto done;
		}
		/* Stop as soon as an entry holds more than it declared. */
		if (size > declared - written) {
			error = fail_entry(u, CINSTALL_EBADWHEEL, path,
			                   "entry holds more data than its declared size of %llu bytes",
			                   (unsigned long long)declared);
			goto done;
		}
		cinstall_sha__update(u->sha, buf, size);
		cinstall_xxh__update(u->xxh, buf, size);
		if (whole) {
			if (size)
				memcpy(u->data + written, buf, size);
		} else if (cinstall_sys__write_all(fd, buf, size) < 0) {
			error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot write", u->wheel, path);
			goto done;
		}
		written += size;
	}
	if (written != declared) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, path,
		                   "entry holds %llu bytes, but its declared size is %llu",
		                   (unsigned long long)written, (unsigned long long)declared);
		goto done;
	}
	f->size = written;
	u->span[f - u->files][1] = u->ar->archive_filter_bytes(a, 0);
	cinstall_sha__final(u->sha, digest);
	memcpy(f->sha256, digest, CINSTALL_SHA256_LEN);
	{
		char hex[CINSTALL_XXH_HEX];
		cinstall_xxh__final_hex(u->xxh, hex);
		cinstall_manifest__xxh3_parse(f->xxh3, hex);
	}
	if (whole) {
		unsigned char key[20];
		char xh[CINSTALL_XXH_HEX];
		size_t first = NO_FILE;
		same_ent *same;

		/* The same bytes earlier in this wheel: a link to that file (made
		 * the object, or not, with it by cinstall_cache__dedupe_paths). */
		memcpy(key, f->xxh3, 16);
		memcpy(key + 16, &f->mode, 4);
		if (u->same_lock)
			pthread_mutex_lock(u->same_lock);
		HASH_FIND(hh, *u->same_in, key, sizeof(key), same);
		if (same)
			first = same->file;
		if (u->same_lock)
			pthread_mutex_unlock(u->same_lock);
		if (first != NO_FILE && linkat(u->treefd, u->files[first].path, u->treefd, path, 0) == 0)
			return 0;
		/* The same bytes in an object of the cache (another wheel's). */
		cinstall_manifest__xxh3_hex(xh, f);
		if (first == NO_FILE &&
		    cinstall_cache__share_existing(u->sharer, xh, f->mode, u->data, (size_t)written, u->treefd, path,
		                                   &u->saved, &u->obj_mtime))
			return 0;
		if ((error = create_file(u, f, &fd)) < 0)
			return error;
		if (cinstall_sys__write_all(fd, u->data, (size_t)written) < 0) {
			error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot write", u->wheel, path);
			goto done;
		}
		if (first == NO_FILE && (same = calloc(1, sizeof(*same)))) {
			same_ent *had;
			int keep;
			memcpy(same->key, key, sizeof(key));
			same->file = (size_t)(f - u->files);
			if (u->same_lock)
				pthread_mutex_lock(u->same_lock);
			HASH_FIND(hh, *u->same_in, key, sizeof(key), had);
			keep = !had && HASH_COUNT(*u->same_in) < SAME_MAX;
			if (keep)
				HASH_ADD(hh, *u->same_in, key, sizeof(same->key), same);
			if (u->same_lock)
				pthread_mutex_unlock(u->same_lock);
			if (!keep)
				free(same);
		}
	}
	if (u->sharer && may_share(path, written))
		u->fresh[f - u->files] = 1;
done:
	/* The seal (the newest mtime) is taken once, after the last close: see seal(). */
	if (fd >= 0 && cinstall_sys__close(fd) < 0 && !error)
		error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot write", u->wheel, path);
	return error;
}

static int do_file(unpacker *u, struct archive *a, struct archive_entry *e, const char *path)
{
	int error = add_file(u, e, path);

	return error < 0 ? error : write_file(u, a, &u->files[u->nfiles - 1]);
}

static int check_limits(unpacker *u, const char *path, struct archive_entry *e)
{
	const cinstall_options *o = &u->ctx->opts;
	uint64_t size;

	if (++u->entries > o->max_entries)
		return fail_entry(u, CINSTALL_ELIMIT, NULL, "more than %llu entries in the archive (the limit)",
		                  (unsigned long long)o->max_entries);
	if (u->ar->archive_entry_filetype(e) != AE_IFREG)
		return 0;
	if (!u->ar->archive_entry_size_is_set(e))
		return fail_entry(u, CINSTALL_EBADWHEEL, path, "entry has no declared size");
	size = (uint64_t)u->ar->archive_entry_size(e);
	if (u->ar->archive_entry_size(e) < 0 || size > o->max_total_size - u->total)
		return fail_entry(u, CINSTALL_ELIMIT, path,
		                  "total uncompressed size exceeds the limit of %llu bytes",
		                  (unsigned long long)o->max_total_size);
	u->total += size;
	if (u->total > RATIO_FLOOR && u->total / o->max_ratio > u->wheel_size)
		return fail_entry(u, CINSTALL_ELIMIT, path,
		                  "compression ratio exceeds the limit of %u (%llu bytes uncompressed from %llu)",
		                  (unsigned)o->max_ratio, (unsigned long long)u->total, (unsigned long long)u->wheel_size);
	return 0;
}

/* An entry of a split's first pass. */
typedef struct split_ent {
	size_t file;                       /* index into u->files, or NO_FILE */
	int64_t at;                        /* where its data starts (see plan_at) */
} split_ent;

/* A wheel split over threads: a first pass over the headers (no data)
 * checks every entry, creates the directories and lists the files; then
 * the threads write the files, each reading the wheel through its own
 * libarchive handle.  The entries are cut into runs ("chunks") of about
 * equal cost, SPLIT_CHUNKS per thread; each thread owns a contiguous range
 * of them and writes it from the front, and one that is done takes over
 * the back half of what another has left (its reader moves forward to
 * it, passing over headers at ~2 us an entry).  So a thread that is slower
 * (its files cost more than their sizes say, or the machine gives it less
 * time) is helped: with one fixed run per thread, the second of two on a
 * 1,000-file wheel finished 2-12 ms after the first. */
typedef struct split {
	unpacker *u;
	int fd;
	split_ent *ents;                   /* the entries, in the archive's order */
	size_t nentries, nat, cap;         /* entries given their file (or none), their place; room */
	size_t *chunk_first;               /* chunk c: entries [chunk_first[c], chunk_first[c + 1]) */
	size_t nchunks;
	pthread_mutex_t chunk_lock;        /* guards lo and hi */
	size_t *lo, *hi;                   /* part k's chunks not yet taken: [lo[k], hi[k]) */
	size_t nparts;
	same_ent *same;                    /* u->same while the parts run (the parts
	                                      copy *u, so u stays untouched) */
	pthread_mutex_t same_lock;         /* guards same */
	int stop;                          /* set (atomically) by the first part that fails */
} split;

/* Entries up to u->entries, the one being read last: directories are
 * entries too (NO_FILE).  Each has its place already (plan_at comes first,
 * for every entry), so its room. */
static void plan_entries(split *sp, size_t entries)
{
	while (sp->nentries < entries)
		sp->ents[sp->nentries++].file = NO_FILE;
}

/* Where the entry just read by the first pass has its data: the end of
 * its local header, found through the central directory.  Each part's
 * reader, which walks the local headers one after the other, must find
 * every entry's there: a local header the central directory does not
 * point at (in a gap between entries) would otherwise be taken for the
 * entry of that name, and its bytes installed instead of those Python's
 * zipfile reads (fixture smuggle). */
static int plan_at(unpacker *u, split *sp)
{
	if (cinstall_array__grow((void **)&sp->ents, &sp->cap, sp->nat, sizeof(*sp->ents)) < 0)
		return cinstall_err__oom(u->err);
	sp->ents[sp->nat++].at = u->at;
	return 0;
}

static int plan_file(unpacker *u, split *sp, struct archive_entry *e, const char *path)
{
	int error;

	plan_entries(sp, u->entries);
	if ((error = add_file(u, e, path)) < 0)
		return error;
	sp->ents[sp->nentries - 1].file = u->nfiles - 1;
	return 0;
}

/* An entry's name as stored (UTF-8 in a wheel).  In C.UTF-8 (`utf8_locale`)
 * libarchive's own form already is that: asking for the UTF-8 form would
 * convert it to wide characters and back for every entry. */
static const char *entry_name(const cinstall_libarchive *ar, struct archive_entry *e, int utf8_locale)
{
	const char *p = utf8_locale ? ar->archive_entry_pathname(e) : ar->archive_entry_pathname_utf8(e);

	if (!p)
		p = utf8_locale ? ar->archive_entry_pathname_utf8(e) : ar->archive_entry_pathname(e);
	return p;
}

/* libarchive reads the wheel with pread: each reader (the one pass, or each
 * part of a split) at its own position in the one descriptor, whose file
 * offset nothing else then depends on. */
typedef struct preader {
	const cinstall_libarchive *ar;
	int fd;
	int64_t pos, size;
	unsigned char *buf;
} preader;

static la_ssize_t pr_read(struct archive *a, void *data, const void **out)
{
	preader *p = data;
	ssize_t n = cinstall_sys__pread(p->fd, p->buf, READ_BLOCK, (uint64_t)p->pos);

	if (n < 0) {
		p->ar->archive_set_error(a, errno, "cannot read");
		return -1;
	}
	p->pos += n;
	*out = p->buf;
	return n;
}

static la_int64_t pr_skip(struct archive *a, void *data, la_int64_t request)
{
	preader *p = data;

	(void)a;
	if (request > p->size - p->pos)
		request = p->size > p->pos ? p->size - p->pos : 0;
	p->pos += request;
	return request;
}

static la_int64_t pr_seek(struct archive *a, void *data, la_int64_t offset, int whence)
{
	preader *p = data;
	int64_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? p->pos + offset : p->size + offset;

	if (to < 0) {
		p->ar->archive_set_error(a, EINVAL, "seek before the start");
		return ARCHIVE_FATAL;
	}
	p->pos = to;
	return to;
}

/* A zip reader over the wheel on `fd` (u->wheel_size bytes) into *out, to
 * be freed with reader_close also when this fails.  Seekable: the central
 * directory first (libarchive keeps ~144 bytes an entry of it), the
 * entries as it lists them.  Streaming (`streaming`): the local headers
 * one after the other, no central directory held, so no permissions and
 * no size for an entry whose sizes follow its data: for the parts of a
 * split, which take those from the first pass. */
static int reader_open(unpacker *u, preader *pr, int fd, int streaming, struct archive **out)
{
	const cinstall_libarchive *ar = u->ar;
	struct archive *a;

	memset(pr, 0, sizeof(*pr));
	pr->ar = ar;
	pr->fd = fd;
	pr->size = (int64_t)u->wheel_size;
	if (!(pr->buf = malloc(READ_BLOCK)) || !(*out = a = ar->archive_read_new()))
		return cinstall_err__oom(u->err);
	if ((streaming ? ar->archive_read_support_format_zip_streamable(a)
	               : ar->archive_read_support_format_zip_seekable(a)) != ARCHIVE_OK)
		return archive_fail(u, a, NULL, "cannot set up the zip reader");
	if (ar->archive_read_set_callback_data(a, pr) != ARCHIVE_OK ||
	    ar->archive_read_set_read_callback(a, pr_read) != ARCHIVE_OK ||
	    ar->archive_read_set_skip_callback(a, pr_skip) != ARCHIVE_OK ||
	    (!streaming && ar->archive_read_set_seek_callback(a, pr_seek) != ARCHIVE_OK) ||
	    ar->archive_read_open1(a) != ARCHIVE_OK)
		return archive_fail(u, a, NULL, "not a valid zip archive");
	return 0;
}

static void reader_close(preader *pr, struct archive *a)
{
	if (a)
		pr->ar->archive_read_free(a);
	free(pr->buf);
	pr->buf = NULL;
}

/* One pass over the archive.  With `sp`, files are only planned (no
 * data read): the split's first pass. */
static int do_archive(unpacker *u, int wheel_fd, split *sp)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	preader pr;
	const char *path;
	locale_t utf8, saved = (locale_t)0;
	int r, error = 0;

	memset(&pr, 0, sizeof(pr));
	/*
	 * Wheel paths are UTF-8.  libarchive converts entry names to the
	 * current locale's charset, which fails for non-ASCII names under the
	 * C locale; run this thread (only) in C.UTF-8 while reading, so names
	 * come out as they are stored.
	 */
	utf8 = u->ctx->utf8;
	if (utf8)
		saved = uselocale(utf8);
	if ((error = reader_open(u, &pr, wheel_fd, 0, &a)) < 0)
		goto done;
	for (;;) {
		r = u->ar->archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		/* Warnings here are inconsistencies between the local and the
		 * central headers (or, without C.UTF-8, a name the locale
		 * cannot show, which we can still take as UTF-8). */
		if (r == ARCHIVE_WARN && !utf8 && u->ar->archive_error_string(a) &&
		    !strncmp(u->ar->archive_error_string(a), "Pathname cannot be converted", 28))
			r = ARCHIVE_OK;
		if (r != ARCHIVE_OK) {
			/* A warning comes with the entry it is about. */
			const char *name = r == ARCHIVE_WARN ? u->ar->archive_entry_pathname(e) : NULL;
			error = archive_fail(u, a, name, u->entries ? "damaged zip archive" : "not a valid zip archive");
			goto done;
		}
		u->at = u->ar->archive_filter_bytes(a, 0);
		if (sp && (error = plan_at(u, sp)) < 0)
			goto done;
		path = entry_name(u->ar, e, utf8 != (locale_t)0);
		if (!path) {
			error = fail_entry(u, CINSTALL_EBADWHEEL, NULL, "entry %llu has no name",
			                   (unsigned long long)u->entries + 1);
			goto done;
		}
		if ((error = cinstall_path__check(u->err, u->wheel, path)) < 0)
			goto done;
		if (u->ar->archive_entry_hardlink(e)) {
			error = fail_entry(u, CINSTALL_EBADWHEEL, path, "hard link entries are not allowed");
			goto done;
		}
		switch (u->ar->archive_entry_filetype(e)) {
		case AE_IFREG:
		case AE_IFDIR:
			break;
		case AE_IFLNK:
			error = fail_entry(u, CINSTALL_EBADWHEEL, path, "symbolic link entries are not allowed");
			goto done;
		default:
			error = fail_entry(u, CINSTALL_EBADWHEEL, path,
			                   "device, fifo or socket entries are not allowed (file type 0%o)",
			                   (unsigned)u->ar->archive_entry_filetype(e));
			goto done;
		}
		if ((error = check_limits(u, path, e)) < 0 || (error = note_top(u, path)) < 0)
			goto done;
		if (u->ar->archive_entry_filetype(e) == AE_IFDIR)
			error = do_dir(u, path);
		else if (path[strlen(path) - 1] == '/')
			error = fail_entry(u, CINSTALL_EBADWHEEL, path, "file entry with a directory name");
		else if (sp)
			error = plan_file(u, sp, e, path);
		else
			error = do_file(u, a, e, path);
		if (error < 0)
			goto done;
	}
done:
	reader_close(&pr, a);
	if (utf8)
		uselocale(saved);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Splitting a wheel over threads                                           */
/* ------------------------------------------------------------------------ */

#define NO_CHUNK ((size_t)-1)

typedef struct part {
	split *sp;
	size_t id;                         /* its index among the parts */
	size_t chunk;                      /* the chunk taken and not yet written, or NO_CHUNK */
	cinstall_err err;
	int error;
	int started;                       /* on a thread of its own */
	uint64_t saved, obj_mtime;         /* see unpacker */
	int seekable;                      /* read through a seekable reader (see read_part) */
	pthread_t thread;
} part;

static int part_failed(part *pt, int error)
{
	__atomic_store_n(&pt->sp->stop, 1, __ATOMIC_RELAXED);
	pt->error = error < 0 ? error : CINSTALL_ERROR;
	return pt->error;
}

/* The next chunk for part `pt`, whose reader has passed `pos` entries: the
 * first left in its own range; else it takes over the back half of what
 * is left in another range (the one with most left, preferring one ahead
 * of `pos`, so that its reader goes on forward) and starts on that.
 * NO_CHUNK when nothing is left. */
static size_t take_chunk(part *pt, size_t pos)
{
	split *sp = pt->sp;
	size_t k, me = pt->id, best = NO_CHUNK, c = NO_CHUNK;
	int ahead = 0;

	pthread_mutex_lock(&sp->chunk_lock);
	if (sp->lo[me] < sp->hi[me]) {
		c = sp->lo[me]++;
	} else {
		for (k = 0; k < sp->nparts; k++) {
			size_t left = sp->hi[k] - sp->lo[k];
			int fwd;
			if (!left)
				continue;
			fwd = sp->chunk_first[sp->hi[k] - (left + 1) / 2] >= pos;
			if (best == NO_CHUNK || fwd > ahead || (fwd == ahead && left > sp->hi[best] - sp->lo[best])) {
				best = k;
				ahead = fwd;
			}
		}
		if (best != NO_CHUNK) {
			size_t take = (sp->hi[best] - sp->lo[best] + 1) / 2;
			c = sp->hi[best] - take;
			sp->lo[me] = c + 1;
			sp->hi[me] = sp->hi[best];
			sp->hi[best] = c;
		}
	}
	pthread_mutex_unlock(&sp->chunk_lock);
	return c;
}

/* Take chunks and write their files, with a reader of the given kind.
 * 1 when a streaming reader would have to inflate an entry only to pass
 * over it (its sizes follow its data): the caller then goes on with a
 * seekable reader, from the chunk taken (pt->chunk; what earlier chunks
 * wrote stays). */
static int read_part(part *pt, unpacker *t, int streaming)
{
	split *sp = pt->sp;
	preader pr;
	struct archive *a = NULL;
	struct archive_entry *e;
	size_t i = 0, first, end;
	int error = 0;

	memset(&pr, 0, sizeof(pr));
	/* A reader is opened for the first chunk taken (none when the others
	 * took them all), and again for one behind it. */
	while (pt->chunk != NO_CHUNK || (pt->chunk = take_chunk(pt, i)) != NO_CHUNK) {
		first = sp->chunk_first[pt->chunk];
		end = sp->chunk_first[pt->chunk + 1];
		if (!a || first < i) {
			reader_close(&pr, a);
			a = NULL;
			i = 0;
			if ((error = reader_open(t, &pr, sp->fd, streaming, &a)) < 0)
				goto done;
		}
		for (; i < end; i++) {
			cinstall_manifest_file *f;
			const char *path;

			if (__atomic_load_n(&sp->stop, __ATOMIC_RELAXED)) {
				error = CINSTALL_ERROR; /* another part failed */
				goto done;
			}
			if (t->ar->archive_read_next_header(a, &e) != ARCHIVE_OK) {
				error = archive_fail(t, a, NULL, "damaged zip archive");
				goto done;
			}
			if (i >= sp->nat || t->ar->archive_filter_bytes(a, 0) != sp->ents[i].at) {
				error = fail_entry(t, CINSTALL_EBADWHEEL, NULL,
				                   "entry %zu: a local header where the central directory has none", i + 1);
				goto done;
			}
			if (i < first && streaming && !t->ar->archive_entry_size_is_set(e)) {
				error = 1;
				goto done;
			}
			if (sp->ents[i].file == NO_FILE)
				continue;
			/* The local headers the streaming reader reads are checked
			 * against the central directory by libzip (zipcheck), but
			 * entries are still matched by name: a local header the
			 * central directory does not list would shift them. */
			f = &t->files[sp->ents[i].file];
			path = entry_name(t->ar, e, t->ctx->utf8 != (locale_t)0);
			if (!path || strcmp(path, f->path)) {
				error = fail_entry(t, CINSTALL_EBADWHEEL, f->path, "entry %zu changed between reads", i + 1);
				goto done;
			}
			if (i >= first && (error = write_file(t, a, f)) < 0)
				goto done;
		}
		pt->chunk = NO_CHUNK;
	}
done:
	reader_close(&pr, a);
	return error;
}

/* Write the files of the chunks this part takes.  Any failure stops every part:
 * the wheel is then unpacked again on one thread, which reports what a
 * single thread reports (so messages do not depend on the threads).
 * The parts read through streaming readers, which hold no copy of the
 * central directory (the first pass's is freed by then): at -j2, 5.8 MB
 * less at 20,000 files, and no part parses it again before it starts. */
static int run_part(part *pt)
{
	split *sp = pt->sp;
	unpacker t = *sp->u;               /* the tree, the files; our own err and hashes */
	locale_t saved = (locale_t)0;
	int error = 0;

	t.err = &pt->err;
	t.sha = NULL;
	t.xxh = NULL;
	t.sharer = NULL;
	t.data = NULL;
	t.datacap = 0;
	t.saved = t.obj_mtime = 0;
	t.same = NULL;
	t.same_in = &sp->same;
	t.same_lock = &sp->same_lock;
	if (sp->u->sharer && (error = cinstall_cache__sharer_new(&t.sharer, t.err, t.ctx)) < 0)
		goto done;
	if (t.ctx->utf8)
		saved = uselocale(t.ctx->utf8); /* see do_archive */
	if ((error = cinstall_sha__new(&t.sha, CINSTALL_HASH_SHA256, &t.ctx->dl, t.err, t.wheel)) < 0 ||
	    (error = cinstall_xxh__new(&t.xxh, t.err)) < 0)
		goto done;
	error = read_part(pt, &t, 1);
	if (error == 1) {
		pt->seekable = 1;
		error = read_part(pt, &t, 0);
	}
done:
	free(t.data);
	cinstall_cache__sharer_free(t.sharer);
	cinstall_sha__free(t.sha);
	cinstall_xxh__free(t.xxh);
	pt->saved = t.saved;
	pt->obj_mtime = t.obj_mtime;
	if (t.ctx->utf8)
		uselocale(saved);
	return error < 0 ? part_failed(pt, error) : 0;
}

static void *part_thread(void *arg)
{
	run_part(arg);
	return NULL;
}

/* Files per thread of a split, at least. */
static size_t split_files(const unpacker *u)
{
	if (u->ctx->split_min)
		return u->ctx->split_min;
	return u->wheel_size >= SPLIT_BYTES ? SPLIT_FILES : ALONE_FILES;
}

/* Threads of ctx->jobs not busy unpacking: take up to `want`, give back. */
static unsigned int threads_take(cinstall_ctx *ctx, unsigned int want)
{
	unsigned int got;

	pthread_mutex_lock(&ctx->table_lock);
	got = ctx->jobs > ctx->unpacking ? ctx->jobs - ctx->unpacking : 0;
	if (got > want)
		got = want;
	ctx->unpacking += got;
	pthread_mutex_unlock(&ctx->table_lock);
	return got;
}

static void threads_give(cinstall_ctx *ctx, unsigned int n)
{
	pthread_mutex_lock(&ctx->table_lock);
	ctx->unpacking -= n;
	pthread_mutex_unlock(&ctx->table_lock);
}

/* Is the caller's the only thread of ctx->jobs taken? */
static int alone(cinstall_ctx *ctx)
{
	int r;

	pthread_mutex_lock(&ctx->table_lock);
	r = ctx->unpacking == 1;
	pthread_mutex_unlock(&ctx->table_lock);
	return r;
}

/* The split itself, on up to 1 + `helpers` threads (the caller's and
 * `*helpers` more); the helpers not needed are given back to ctx and
 * taken off *helpers.
 * Fails when the first pass or any part does; the caller then unpacks
 * on one thread. */
static int do_split(unpacker *u, int wheel_fd, unsigned int *helpers)
{
	split sp;
	part *parts = NULL;
	uint64_t cost = 0, per, acc = 0;
	size_t i, k, nseekable = 0, nparts, nchunks, per_part = split_files(u);
	int error, locked = 0;

	memset(&sp, 0, sizeof(sp));
	sp.u = u;
	sp.fd = wheel_fd;
	if ((error = do_archive(u, wheel_fd, &sp)) < 0)
		goto done;
	plan_entries(&sp, u->entries);
	nparts = u->nfiles / per_part;
	if (nparts > 1 + (size_t)*helpers)
		nparts = 1 + *helpers;
	if (nparts < 1)
		nparts = 1;
	threads_give(u->ctx, *helpers - (unsigned int)(nparts - 1));
	*helpers = (unsigned int)(nparts - 1);
	nchunks = nparts > 1 ? nparts * SPLIT_CHUNKS : 1;
	if (!(parts = calloc(nparts, sizeof(*parts))) || !(sp.chunk_first = calloc(nchunks + 1, sizeof(size_t))) ||
	    !(sp.lo = calloc(2 * nparts, sizeof(size_t)))) {
		error = cinstall_err__oom(u->err);
		goto done;
	}
	sp.hi = sp.lo + nparts;
	sp.nparts = nparts;
	/* Contiguous runs of entries (so that the threads mostly write into
	 * different directories), balanced by bytes and files. */
	for (i = 0; i < sp.nentries; i++)
		if (sp.ents[i].file != NO_FILE)
			cost += u->files[sp.ents[i].file].size + SPLIT_FILE_COST;
	per = cost / nchunks + 1;
	for (i = 0, k = 0; i < sp.nentries; i++) {
		if (sp.ents[i].file != NO_FILE)
			acc += u->files[sp.ents[i].file].size + SPLIT_FILE_COST;
		if (acc >= per * (k + 1) && k + 1 < nchunks && i + 1 < sp.nentries)
			sp.chunk_first[++k] = i + 1;
	}
	sp.nchunks = k + 1; /* fewer when a few files hold most of the bytes */
	sp.chunk_first[sp.nchunks] = sp.nentries;
	for (k = 0; k < nparts; k++) {
		parts[k].sp = &sp;
		parts[k].id = k;
		parts[k].chunk = NO_CHUNK;
		sp.lo[k] = k * sp.nchunks / nparts;
		sp.hi[k] = (k + 1) * sp.nchunks / nparts;
	}
	pthread_mutex_init(&sp.same_lock, NULL);
	pthread_mutex_init(&sp.chunk_lock, NULL);
	locked = 1;
	sp.same = u->same;
	for (k = 1; k < nparts; k++)
		parts[k].started = cinstall_thread__create(&parts[k].thread, part_thread, &parts[k]) == 0;
	if (nparts > 1)
		cinstall_ctx__log(u->ctx, CINSTALL_LOG_DEBUG, "%s: %zu files split over %zu threads, %zu runs",
		                  u->wheel, u->nfiles, nparts, sp.nchunks);
	else /* too few files, once counted (the count was not known before: see unpack_tree) */
		cinstall_ctx__log(u->ctx, CINSTALL_LOG_DEBUG, "%s: %zu files, too few to split", u->wheel, u->nfiles);
	/* A part whose thread could not be made takes nothing: the others take
	 * its range from the back. */
	run_part(&parts[0]);
	for (k = 1; k < nparts; k++)
		if (parts[k].started)
			pthread_join(parts[k].thread, NULL);
	u->same = sp.same;
	for (k = 0; k < nparts; k++) {
		nseekable += (size_t)parts[k].seekable;
		if (!error)
			error = parts[k].error;
		u->saved += parts[k].saved;
		if (parts[k].obj_mtime > u->obj_mtime)
			u->obj_mtime = parts[k].obj_mtime;
	}
	if (nseekable)
		cinstall_ctx__log(u->ctx, CINSTALL_LOG_DEBUG,
		                  "%s: %zu of %zu parts read through a seekable reader (entries whose sizes follow "
		                  "their data)", u->wheel, nseekable, nparts);
	if (error < 0)
		cinstall_err__set(u->err, error, 0, "%s: split unpack failed", u->wheel);
done:
	if (locked) {
		pthread_mutex_destroy(&sp.same_lock);
		pthread_mutex_destroy(&sp.chunk_lock);
	}
	free(parts);
	free(sp.lo);
	free(sp.chunk_first);
	free(sp.ents);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Metadata                                                                 */
/* ------------------------------------------------------------------------ */

/* Read a file of the tree into `out`: all of it (up to `cap` bytes, else
 * CINSTALL_ELIMIT), or with `headers` only up to its first blank line. */
static int read_back(unpacker *u, const char *path, size_t cap, int headers, cinstall_buf *out)
{
	size_t scan = 0;
	ssize_t n;
	int fd, error = 0;

	cinstall_buf__truncate(out, 0);
	fd = cinstall_sys__openat(u->treefd, path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot read back", u->wheel, path);
	for (;;) {
		if (cinstall_buf__grow(out, 65536) < 0) {
			error = cinstall_err__oom(u->err);
			break;
		}
		n = read(fd, out->ptr + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot read back", u->wheel, path);
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		if (headers) {
			const char *p = out->ptr + scan, *end = out->ptr + out->len, *hit = NULL;
			for (; p + 1 < end; p++) {
				if (p[0] == '\n' && (p[1] == '\n' || (p[1] == '\r' && p + 2 < end && p[2] == '\n'))) {
					hit = p;
					break;
				}
			}
			if (hit) {
				cinstall_buf__truncate(out, (size_t)(hit - out->ptr) + 1);
				break;
			}
			scan = out->len > 2 ? out->len - 2 : 0;
		}
		if (out->len > cap) {
			error = fail_entry(u, CINSTALL_ELIMIT, path, "%s larger than %zu bytes", headers ? "headers" : "file", cap);
			break;
		}
	}
	close(fd);
	return error;
}

/* After finish() has sorted the files into the manifest. */
static int is_file(unpacker *u, const char *path)
{
	return cinstall_manifest__find(u->m, path) != NULL;
}

/* Does "<name>-<version>" (a .dist-info or .data stem) match the file name? */
static int stem_matches(const cinstall_wheel_filename *wf, const char *stem, size_t len)
{
	size_t i;
	int ok = 0;
	char *s = strndup(stem, len);

	if (!s)
		return 0;
	for (i = len; i-- > 0 && !ok;) {
		char *norm;
		if (s[i] != '-')
			continue;
		s[i] = '\0';
		if ((norm = cinstall_wheel__normalize_name(s))) {
			ok = !strcmp(norm, wf->normalized_name) && cinstall_wheel__version_eq(s + i + 1, wf->version);
			free(norm);
		}
		s[i] = '-';
	}
	free(s);
	return ok;
}

typedef struct wheel_info {
	char *wheel_version;
	char *root_is_purelib;
	cinstall_buf tags;
	char *name, *version, *requires_python;
	int oom;
} wheel_info;

static void keep_first(wheel_info *w, char **slot, const char *value)
{
	if (!*slot && !(*slot = strdup(value)))
		w->oom = 1;
}

static int wheel_cb(const char *name, const char *value, void *payload)
{
	wheel_info *w = payload;

	if (!strcasecmp(name, "Wheel-Version"))
		keep_first(w, &w->wheel_version, value);
	else if (!strcasecmp(name, "Root-Is-Purelib"))
		keep_first(w, &w->root_is_purelib, value);
	else if (!strcasecmp(name, "Tag")) {
		if ((w->tags.len && cinstall_buf__putc(&w->tags, ' ') < 0) || cinstall_buf__puts(&w->tags, value) < 0)
			w->oom = 1;
	}
	return w->oom ? CINSTALL_ENOMEM : 0;
}

static int metadata_cb(const char *name, const char *value, void *payload)
{
	wheel_info *w = payload;

	if (!strcasecmp(name, "Name"))
		keep_first(w, &w->name, value);
	else if (!strcasecmp(name, "Version"))
		keep_first(w, &w->version, value);
	else if (!strcasecmp(name, "Requires-Python"))
		keep_first(w, &w->requires_python, value);
	return w->oom ? CINSTALL_ENOMEM : 0;
}

static int check_wheel_version(unpacker *u, const char *path, const char *v)
{
	char *end;
	long major, minor = 0;

	errno = 0;
	major = strtol(v, &end, 10);
	if (end != v && *end == '.') {
		const char *m = end + 1;
		minor = strtol(m, &end, 10);
		if (end == m)
			end = (char *)v;
	}
	if (errno || end == v || *end || major < 0 || minor < 0)
		return fail_entry(u, CINSTALL_EBADWHEEL, path, "invalid Wheel-Version '%s'", v);
	if (major > 1)
		return fail_entry(u, CINSTALL_EBADWHEEL, path,
		                  "Wheel-Version %s is not supported (this installer reads 1.x)", v);
	if (major == 1 && minor > 0 && cinstall_ctx__warn_once(u->ctx, CINSTALL_WARN_WHEEL_VERSION))
		cinstall_ctx__log(u->ctx, CINSTALL_LOG_WARNING,
		                  "%s: Wheel-Version %s is newer than 1.0, which this installer reads; unpacking anyway",
		                  u->wheel, v);
	return 0;
}

/* Hash a file of the tree with `algo` (for RECORD rows not in sha256). */
static int rehash(unpacker *u, const char *path, cinstall_hash_algo algo, unsigned char *out, size_t *outlen)
{
	cinstall_sha *s = NULL;
	unsigned char *buf = NULL;
	ssize_t n;
	int fd = -1, error;

	if ((error = cinstall_sha__new(&s, algo, &u->ctx->dl, u->err, u->wheel)) < 0)
		goto done;
	if (!(buf = malloc(HASH_BLOCK))) {
		error = cinstall_err__oom(u->err);
		goto done;
	}
	if ((fd = cinstall_sys__openat(u->treefd, path, O_RDONLY | O_NOFOLLOW, 0)) < 0) {
		error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot read back", u->wheel, path);
		goto done;
	}
	while ((n = cinstall_sys__read_full(fd, buf, HASH_BLOCK)) > 0)
		cinstall_sha__update(s, buf, (size_t)n);
	if (n < 0) {
		error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot read back", u->wheel, path);
		goto done;
	}
	*outlen = cinstall_sha__final(s, out);
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	cinstall_sha__free(s);
	return error;
}

/* The file's true digest under `algo`: the manifest's SHA-256, or read back. */
static int true_digest(unpacker *u, const cinstall_manifest_file *f, cinstall_hash_algo algo, unsigned char *out,
                       size_t *outlen)
{
	if (algo == CINSTALL_HASH_SHA256) {
		memcpy(out, f->sha256, CINSTALL_SHA256_LEN);
		*outlen = CINSTALL_SHA256_LEN;
		return 0;
	}
	return rehash(u, f->path, algo, out, outlen);
}

/* "algo=digest" split and decoded; the algorithm, or CINSTALL_HASH_NONE
 * (with the name in algo_name) when not one we accept; *wlen -1 when the
 * digest is malformed. */
static cinstall_hash_algo split_hash(const char *hash, char *algo_name, size_t cap, unsigned char *want, long *wlen)
{
	const char *eq = strchr(hash, '=');
	size_t alen = (size_t)(eq - hash);
	cinstall_hash_algo algo;

	if (alen >= cap)
		alen = cap - 1;
	memcpy(algo_name, hash, alen);
	algo_name[alen] = '\0';
	algo = cinstall_hash__algo(algo_name);
	*wlen = -1;
	if (algo != CINSTALL_HASH_NONE) {
		*wlen = cinstall_hash__b64url_decode(want, CINSTALL_DIGEST_MAX, eq + 1);
		if (*wlen >= 0 && (size_t)*wlen != cinstall_hash__digest_len(algo))
			*wlen = -1;
	}
	return algo;
}

typedef struct row_check {
	unpacker *u;
	const char *record_path;
} row_check;

/* A file named by a second row: the rows must agree.  The first was
 * checked against the file, so the second agrees when it has a hash just
 * as the first, in the same algorithm, and that hash is the file's too. */
static int check_again(unpacker *u, const cinstall_manifest_file *f, const char *path, const char *hash, int is_record)
{
	unsigned char want[CINSTALL_DIGEST_MAX], got[CINSTALL_DIGEST_MAX];
	char algo_name[32];
	cinstall_hash_algo algo;
	size_t glen = 0;
	long wlen;
	int error;

	if (!!(f->scratch & ROW_HASHED) != (hash != NULL))
		goto differ;
	if (!hash || is_record)
		return 0;
	algo = split_hash(hash, algo_name, sizeof(algo_name), want, &wlen);
	if (algo == CINSTALL_HASH_NONE || (unsigned)algo != f->scratch >> ROW_ALGO_SHIFT || wlen < 0)
		goto differ;
	if ((error = true_digest(u, f, algo, got, &glen)) < 0)
		return error;
	if (glen == (size_t)wlen && !memcmp(want, got, glen))
		return 0;
differ:
	return fail_entry(u, CINSTALL_ERECORD, path, "listed twice in RECORD, with different hashes");
}

/* Check one RECORD row, as it is read, against the file it names. */
static int check_row(const char *path, const char *hash, int64_t size, size_t line, void *payload)
{
	row_check *rc = payload;
	unpacker *u = rc->u;
	unsigned char want[CINSTALL_DIGEST_MAX], got[CINSTALL_DIGEST_MAX];
	char algo_name[32], got_b64[CINSTALL_B64_MAX];
	cinstall_manifest_file *f;
	cinstall_hash_algo algo;
	size_t glen = 0;
	long wlen;
	int is_record = !strcmp(path, rc->record_path), error;

	(void)line;
	f = (cinstall_manifest_file *)cinstall_manifest__find(u->m, path);
	if (!f) {
		dir_ent *d;
		size_t len = strlen(path);
		while (len && path[len - 1] == '/')
			len--;
		HASH_FIND(hh, u->dirs, path, len, d);
		if (d)
			return 0;
		return sloppy(u, path, "listed in RECORD but not in the wheel");
	}
	if (f->scratch & ROW_SEEN)
		return check_again(u, f, path, hash, is_record);
	f->scratch = ROW_SEEN | (hash ? ROW_HASHED : 0);
	if (is_record)
		return 0; /* RECORD cannot hold its own hash */
	if (!hash)
		return sloppy(u, path, "no hash in RECORD");
	algo = split_hash(hash, algo_name, sizeof(algo_name), want, &wlen);
	if (algo == CINSTALL_HASH_NONE) {
		if (!strcasecmp(algo_name, "md5") || !strcasecmp(algo_name, "sha1") || !strcasecmp(algo_name, "sha224"))
			return fail_entry(u, CINSTALL_ERECORD, path,
			                  "RECORD hashes it with %s, which is too weak (sha256, sha384 or sha512 are accepted)",
			                  algo_name);
		return fail_entry(u, CINSTALL_ERECORD, path, "unknown hash algorithm '%s' in RECORD", algo_name);
	}
	f->scratch |= (uint32_t)algo << ROW_ALGO_SHIFT;
	if (wlen < 0)
		return fail_entry(u, CINSTALL_ERECORD, path, "malformed %s digest in RECORD", algo_name);
	if (size >= 0 && (uint64_t)size != f->size)
		return fail_entry(u, CINSTALL_ERECORD, path, "size does not match RECORD (expected %lld, got %llu)",
		                  (long long)size, (unsigned long long)f->size);
	if ((error = true_digest(u, f, algo, got, &glen)) < 0)
		return error;
	if (glen != (size_t)wlen || memcmp(want, got, glen)) {
		cinstall_hash__b64url(got_b64, got, glen);
		return fail_entry(u, CINSTALL_ERECORD, path, "%s does not match RECORD (expected %s, got %s)", algo_name,
		                  strchr(hash, '=') + 1, got_b64);
	}
	return 0;
}

/* Read RECORD back from the tree a block at a time, checking each row as
 * it comes: neither its text nor its rows are ever held whole. */
static int check_record(unpacker *u, const char *record_path)
{
	cinstall_record_reader rd;
	row_check rc;
	uint64_t total = 0;
	ssize_t n;
	int fd, error = 0;

	rc.u = u;
	rc.record_path = record_path;
	cinstall_record__reader_init(&rd, u->err, u->wheel, check_row, &rc);
	cinstall_buf__truncate(&u->scratch, 0);
	if (cinstall_buf__grow(&u->scratch, RECORD_BLOCK) < 0)
		return cinstall_err__oom(u->err);
	fd = cinstall_sys__openat(u->treefd, record_path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot read back", u->wheel, record_path);
	while ((n = cinstall_sys__read_full(fd, u->scratch.ptr, RECORD_BLOCK)) > 0) {
		total += (uint64_t)n;
		if (total > MAX_RECORD) {
			error = fail_entry(u, CINSTALL_ELIMIT, record_path, "file larger than %zu bytes", MAX_RECORD);
			goto done;
		}
		if ((error = cinstall_record__reader_feed(&rd, u->scratch.ptr, (size_t)n)) != 0)
			goto done;
	}
	if (n < 0) {
		error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: '%s': cannot read back", u->wheel, record_path);
		goto done;
	}
	error = cinstall_record__reader_end(&rd);
done:
	close(fd);
	cinstall_record__reader_release(&rd);
	return error;
}

/* After the archive: validate .dist-info, WHEEL, METADATA and RECORD, and
 * fill the manifest. */
static int finish(unpacker *u, cinstall_manifest *m)
{
	cinstall_buf p = CINSTALL_BUF_INIT, names = CINSTALL_BUF_INIT;
	wheel_info w;
	top_ent *t, *di = NULL, *data = NULL;
	size_t ndi = 0, i, rlen;
	char record_path[CINSTALL_PATH_MAX + 16];
	int error = 0;

	memset(&w, 0, sizeof(w));
	/* The files, sorted by path, are the manifest's from here on: names
	 * are looked up in it by binary search.  (Writing a name twice failed
	 * already, on O_EXCL; the check by adjacency costs nothing.) */
	m->files = u->files;
	m->nfiles = u->nfiles;
	u->files = NULL;
	u->nfiles = u->cap = 0;
	cinstall_manifest__sort(m);
	for (i = 1; i < m->nfiles; i++)
		if (!strcmp(m->files[i - 1].path, m->files[i].path)) {
			error = fail_entry(u, CINSTALL_EBADWHEEL, m->files[i].path, "duplicate name in the archive");
			goto done;
		}
	for (t = u->tops; t; t = t->hh.next) {
		if (t->data) {
			if (!stem_matches(u->wf, t->name, strlen(t->name) - 5))
				continue;
			if (data) {
				error = fail_entry(u, CINSTALL_EBADWHEEL, NULL, "more than one .data directory ('%s', '%s')",
				                   data->name, t->name);
				goto done;
			}
			data = t;
			continue;
		}
		ndi++;
		di = t;
		if ((names.len && cinstall_buf__puts(&names, "', '") < 0) || cinstall_buf__puts(&names, t->name) < 0)
			goto oom;
	}
	if (ndi == 0) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, NULL, "no .dist-info directory");
		goto done;
	}
	if (ndi > 1) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, NULL, "more than one .dist-info directory ('%s')", names.ptr);
		goto done;
	}
	if (!stem_matches(u->wf, di->name, strlen(di->name) - 10)) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, di->name,
		                   ".dist-info directory does not match the file name (name '%s', version '%s')",
		                   u->wf->name, u->wf->version);
		goto done;
	}

	/* WHEEL */
	cinstall_buf__truncate(&p, 0);
	if (cinstall_buf__printf(&p, "%s/WHEEL", di->name) < 0)
		goto oom;
	if (!is_file(u, p.ptr)) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, p.ptr, "missing");
		goto done;
	}
	if ((error = read_back(u, p.ptr, MAX_WHEEL_FILE, 0, &u->scratch)) < 0 ||
	    (error = cinstall_wheel__headers(u->err, u->wheel, p.ptr, u->scratch.ptr, u->scratch.len, wheel_cb, &w)) != 0)
		goto headers_failed;
	if (!w.wheel_version) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, p.ptr, "no Wheel-Version");
		goto done;
	}
	if ((error = check_wheel_version(u, p.ptr, w.wheel_version)) < 0)
		goto done;

	/* METADATA */
	cinstall_buf__truncate(&p, 0);
	if (cinstall_buf__printf(&p, "%s/METADATA", di->name) < 0)
		goto oom;
	if (!is_file(u, p.ptr)) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, p.ptr, "missing");
		goto done;
	}
	if ((error = read_back(u, p.ptr, MAX_HEADERS, 1, &u->scratch)) < 0 ||
	    (error = cinstall_wheel__headers(u->err, u->wheel, p.ptr, u->scratch.ptr, u->scratch.len, metadata_cb, &w)) != 0)
		goto headers_failed;
	if (!w.name || !w.version) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, p.ptr, "no %s", w.name ? "Version" : "Name");
		goto done;
	}
	{
		char *norm = cinstall_wheel__normalize_name(w.name);
		int same = norm && !strcmp(norm, u->wf->normalized_name);
		free(norm);
		if (!same) {
			error = fail_entry(u, CINSTALL_EBADWHEEL, p.ptr, "Name '%s' does not match the file name ('%s')",
			                   w.name, u->wf->name);
			goto done;
		}
	}
	if (!cinstall_wheel__version_eq(w.version, u->wf->version)) {
		error = fail_entry(u, CINSTALL_EBADWHEEL, p.ptr, "Version '%s' does not match the file name ('%s')",
		                   w.version, u->wf->version);
		goto done;
	}

	/* RECORD */
	snprintf(record_path, sizeof(record_path), "%s/RECORD", di->name);
	if (!is_file(u, record_path)) {
		error = fail_entry(u, CINSTALL_ERECORD, record_path, "missing");
		goto done;
	}
	if ((error = check_record(u, record_path)) != 0)
		goto done;
	cinstall_buf__release(&u->scratch);
	rlen = strlen(record_path);
	for (i = 0; i < m->nfiles; i++) {
		cinstall_manifest_file *f = &m->files[i];
		int seen = f->scratch & ROW_SEEN;
		f->scratch = 0;
		if (seen || !strcmp(f->path, record_path))
			continue;
		/* Signatures of RECORD are not listed in it. */
		if (!strncmp(f->path, record_path, rlen) && (!strcmp(f->path + rlen, ".jws") || !strcmp(f->path + rlen, ".p7s")))
			continue;
		if ((error = sloppy(u, f->path, "not listed in RECORD")) < 0)
			goto done;
	}

	m->root_is_purelib = w.root_is_purelib && !strcasecmp(w.root_is_purelib, "true");
	if (!(m->wheel = strdup(u->wheel)) || !(m->dist_info = strdup(di->name)) ||
	    (data && !(m->data_dir = strdup(data->name))) || (w.tags.len && !(m->tags = strdup(w.tags.ptr))))
		goto oom;
	m->sloppy = u->sloppy;
	u->sloppy = NULL;
	m->name = w.name;
	m->version = w.version;
	m->requires_python = w.requires_python;
	w.name = w.version = w.requires_python = NULL;
	goto done;
headers_failed:
	if (error > 0 || error == CINSTALL_ENOMEM)
		error = cinstall_err__oom(u->err);
	goto done;
oom:
	error = cinstall_err__oom(u->err);
done:
	free(w.wheel_version);
	free(w.root_is_purelib);
	free(w.name);
	free(w.version);
	free(w.requires_python);
	cinstall_buf__release(&w.tags);
	cinstall_buf__release(&p);
	cinstall_buf__release(&names);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Driving                                                                  */
/* ------------------------------------------------------------------------ */

/* Hash the wheel's bytes: XXH3-128 always, SHA-256 when sha_hex is given. */
static int hash_wheel(cinstall_err *err, cinstall_dl *dl, const char *wheel, int fd, char key[CINSTALL_XXH_HEX],
                      char *sha_hex)
{
	cinstall_xxh *x = NULL;
	cinstall_sha *s = NULL;
	unsigned char *buf = NULL, d[CINSTALL_DIGEST_MAX];
	uint64_t at = 0;
	ssize_t n;
	size_t i, len;
	int error = 0;

	if (key && (error = cinstall_xxh__new(&x, err)) < 0)
		goto done;
	if (sha_hex && (error = cinstall_sha__new(&s, CINSTALL_HASH_SHA256, dl, err, wheel)) < 0)
		goto done;
	if (!(buf = malloc(HASH_BLOCK))) {
		error = cinstall_err__oom(err);
		goto done;
	}
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	/* pread: the file offset is left alone, so another thread may read the
	 * wheel meanwhile (side_work). */
	while ((n = cinstall_sys__pread(fd, buf, HASH_BLOCK, at)) != 0) {
		if (n < 0) {
			error = cinstall_err__errno(err, CINSTALL_EIO, errno, "%s: cannot read", wheel);
			goto done;
		}
		at += (uint64_t)n;
		if (x)
			cinstall_xxh__update(x, buf, (size_t)n);
		if (s)
			cinstall_sha__update(s, buf, (size_t)n);
	}
	if (x)
		cinstall_xxh__final_hex(x, key);
	if (s) {
		len = cinstall_sha__final(s, d);
		for (i = 0; i < len; i++)
			snprintf(sha_hex + 2 * i, 3, "%02x", d[i]);
	}
done:
	free(buf);
	cinstall_xxh__free(x);
	cinstall_sha__free(s);
	return error;
}

/* A wheel's side work on a thread of its own, while this one unpacks it:
 * when asked, libzip loaded (with libcrypto, which it needs) and its check
 * (not naming a bad entry, which needs libarchive), while this thread
 * reads the headers: the dynamic loader's ~1 ms and the check's own time
 * off the unpack; then, when asked, the wheel's SHA-256 for
 * direct_url.json (not needed before the manifest is written). */
typedef struct side_work {
	pthread_t thread;
	int started;
	sem_t checked;        /* posted once the check is done */
	cinstall_dl *dl;
	int check;            /* load libzip and check */
	const cinstall_libzip *zl; /* libzip, once checked */
	locale_t utf8;
	const char *wheel;
	int fd;
	size_t entries;       /* the check's */
	cinstall_err err;     /* the check's */
	int error;
	char *sha_hex;        /* NULL: no hashing */
	cinstall_err hash_err;
	int hash_error;
} side_work;

static void *side_work_thread(void *arg)
{
	side_work *w = arg;

	if (w->check && (w->error = cinstall_dl__libzip(&w->zl, w->dl, &w->err, w->wheel)) == 0)
		w->error = cinstall_zipcheck__run(&w->err, &w->entries, w->zl, NULL, w->utf8, w->wheel, w->fd);
	sem_post(&w->checked);
	if (w->sha_hex)
		w->hash_error = hash_wheel(&w->hash_err, w->dl, w->wheel, w->fd, NULL, w->sha_hex);
	return NULL;
}

static void side_work_start(side_work *w, cinstall_ctx *ctx, int check, const char *wheel, int fd, char *sha_hex)
{
	cinstall_err init = CINSTALL_ERR_INIT;

	w->dl = &ctx->dl;
	w->check = check;
	w->zl = NULL;
	w->utf8 = ctx->utf8;
	w->wheel = wheel;
	w->fd = fd;
	w->err = w->hash_err = init;
	w->sha_hex = sha_hex;
	if (sem_init(&w->checked, 0, 0) < 0)
		return;
	if (!(w->started = cinstall_thread__create(&w->thread, side_work_thread, w) == 0))
		sem_destroy(&w->checked);
}

/* The check's result, as cinstall_zipcheck__run's. */
static int side_work_checked(side_work *w, cinstall_err *err, size_t *out_entries)
{
	while (sem_wait(&w->checked) < 0 && errno == EINTR)
		;
	*out_entries = w->entries;
	if (w->error < 0)
		cinstall_err__copy(err, &w->err);
	return w->error;
}

/* Wait for the rest; `error`: the caller's so far, which wins over the
 * hash's own. */
static int side_work_join(side_work *w, cinstall_err *err, int error)
{
	if (!w->started)
		return error;
	pthread_join(w->thread, NULL);
	sem_destroy(&w->checked);
	w->started = 0;
	if (error >= 0 && w->sha_hex && w->hash_error < 0) {
		cinstall_err__copy(err, &w->hash_err);
		error = w->hash_error;
	}
	return error;
}

/* Hash now, or start hashing beside (the side work, without the check);
 * side_work_join gives the result. */
static int hash_beside_start(side_work *w, cinstall_ctx *ctx, cinstall_err *err, const char *wheel, int fd,
                             uint64_t size, char *sha_hex)
{
	const cinstall_libcrypto *lc;

	/* As the split (extract).  libcrypto is loaded here first: loaded by
	 * the helper, it waited for the dynamic loader behind libarchive and
	 * libzip, then hashed while the split's threads ran (three threads on
	 * two CPUs). */
	if (ctx->jobs > 1 && (size >= SPLIT_BYTES || ctx->split_min) &&
	    cinstall_dl__libcrypto(&lc, &ctx->dl, err, wheel) == 0)
		side_work_start(w, ctx, 0, wheel, fd, sha_hex);
	return w->started ? 0 : hash_wheel(err, &ctx->dl, wheel, fd, NULL, sha_hex);
}

/* Open the wheel and parse its name. */
static int open_wheel(int *out_fd, uint64_t *out_size, cinstall_wheel_filename **wf, cinstall_err *err,
                      const char *wheel_path)
{
	struct stat st;
	int fd, error;

	*out_fd = -1;
	if ((error = cinstall_wheel__filename_parse(wf, err, wheel_path)) < 0)
		return error;
	fd = cinstall_sys__open(wheel_path, O_RDONLY, 0);
	if (fd < 0)
		return cinstall_err__os(err, "cannot open wheel '%s'", wheel_path);
	if (fstat(fd, &st) < 0) {
		error = cinstall_err__os(err, "cannot open wheel '%s'", wheel_path);
		close(fd);
		return error;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "'%s': not a regular file", wheel_path);
	}
	*out_fd = fd;
	*out_size = (uint64_t)st.st_size;
	return 0;
}

static const char *manifest_path_at(const void *payload, size_t i)
{
	return ((const cinstall_manifest *)payload)->files[i].path;
}

static int cmp_path(const void *key, const void *f)
{
	return strcmp((const char *)key, ((const cinstall_manifest_file *)f)->path);
}

/* What the installer would refuse later is refused now, before the entry
 * is published: a refused wheel leaves the cache as it was.  Names that
 * collide on case-insensitive filesystems, .data directories outside the
 * five scheme keys, and entry_points.txt (syntax, names escaping the
 * scripts directory or shadowing python). */
static int check_installable(unpacker *u, const cinstall_manifest *m)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	cinstall_entry_points *eps = NULL;
	size_t i, dlen = m->data_dir ? strlen(m->data_dir) : 0;
	const char *rest;
	int error;

	if ((error = cinstall_casefold__check(u->err, u->wheel, m->nfiles, manifest_path_at, m, u->ctx->utf8)) < 0)
		return error;
	for (i = 0; dlen && i < m->nfiles; i++) {
		const char *f = m->files[i].path;
		if (!strncmp(f, m->data_dir, dlen) && f[dlen] == '/' &&
		    (error = cinstall_wheel__data_key(u->err, u->wheel, m->data_dir, f, &rest)) < 0)
			return error;
	}
	if (cinstall_buf__printf(&p, "%s/entry_points.txt", m->dist_info) < 0)
		return cinstall_err__oom(u->err);
	if (bsearch(p.ptr, m->files, m->nfiles, sizeof(*m->files), cmp_path) &&
	    (error = read_back(u, p.ptr, MAX_HEADERS, 0, &u->scratch)) == 0)
		error = cinstall_scripts__parse(&eps, u->err, u->wheel, cinstall_buf__cstr(&u->scratch), u->scratch.len);
	cinstall_scripts__free(eps);
	cinstall_buf__release(&u->scratch);
	cinstall_buf__release(&p);
	return error < 0 ? error : 0;
}

/* The seal of a tree: the mtime of a file made after the last file of the
 * tree was closed, so no newer than any file's (on NFS too: the server's
 * clock orders it after the writes before it).  One file per wheel, not a
 * stat per file. */
static int seal(unpacker *u, const char *dir, uint64_t *out)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	struct stat st;
	int fd, error = 0;

	if (cinstall_path__join(&p, dir, "seal.tmp") < 0)
		return cinstall_err__oom(u->err);
	fd = cinstall_sys__open(p.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
	if (fd < 0 || cinstall_sys__close(fd) < 0 || stat(p.ptr, &st) < 0)
		error = cinstall_err__errno(u->err, CINSTALL_EIO, errno, "%s: cannot seal '%s'", u->wheel, p.ptr);
	else
		*out = mtime_ns(&st);
	unlink(p.ptr);
	cinstall_buf__release(&p);
	return error;
}

/* The wheel in one pass on this thread (its SHA-256 context made now:
 * libcrypto may still be loading beside). */
static int whole(unpacker *u, int fd)
{
	int error;

	if (!u->sha && (error = cinstall_sha__new(&u->sha, CINSTALL_HASH_SHA256, &u->ctx->dl, u->err, u->wheel)) < 0)
		return error;
	return do_archive(u, fd, NULL);
}

/* The archive into the tree (u->treefd, at `tree`): split over threads when
 * ctx->jobs has threads to spare and the wheel is big, or is not small and
 * has all of them (no other wheel is being unpacked), else on this one. */
static int extract(unpacker *u, int fd, const char *tree)
{
	cinstall_ctx *ctx = u->ctx;
	unsigned int helpers = 0, want = ctx->jobs - 1;
	int error;

	if (!u->self)
		return whole(u, fd); /* more unpacks than jobs */
	/* Files enough for two parts (by the central directory's count,
	 * u->cap): a few big files are not split. */
	if ((u->wheel_size >= SPLIT_BYTES || ctx->split_min) && (!u->cap || u->cap >= 2 * split_files(u)))
		helpers = threads_take(ctx, want);
	else if (u->wheel_size >= ALONE_BYTES && (!u->cap || u->cap >= 2 * split_files(u)) &&
	         (helpers = threads_take(ctx, want)) < want) {
		threads_give(ctx, helpers);
		helpers = 0;
	}
	if (helpers) {
		error = do_split(u, fd, &helpers);
		threads_give(u->ctx, helpers);
		if (error < 0) {
			/* Again on one thread, from scratch: the error it meets first
			 * is the one a single thread reports. */
			cinstall_ctx__log(u->ctx, CINSTALL_LOG_DEBUG, "%s: split unpack failed, again on one thread",
			                  u->wheel);
			cinstall_err__clear(u->err);
			if ((error = unpacker_restart(u, tree)) == 0)
				error = whole(u, fd);
		}
	} else {
		error = whole(u, fd);
	}
	return error;
}

static int cmp_span(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* No two files' data overlap in the wheel: each file's bytes are its own,
 * as Python's zipfile (3.12.2 and later, and 3.11.8) and uv require; an
 * entry whose local header lies in another's data is how "overlapping"
 * zip bombs are made.  (The size and ratio limits stop those bombs
 * already; this names the rule.)  In archive order, before finish()
 * sorts the files. */
static int check_overlaps(unpacker *u)
{
	int64_t(*by)[3];
	size_t i, n = 0;
	int error = 0;

	if (u->nfiles < 2)
		return 0;
	if (!(by = malloc(u->nfiles * sizeof(*by))))
		return cinstall_err__oom(u->err);
	for (i = 0; i < u->nfiles; i++) {
		if (u->span[i][1] <= u->span[i][0])
			continue; /* no data */
		by[n][0] = u->span[i][0];
		by[n][1] = u->span[i][1];
		by[n++][2] = (int64_t)i;
	}
	qsort(by, n, sizeof(*by), cmp_span);
	for (i = 1; i < n; i++)
		if (by[i][0] < by[i - 1][1]) {
			const char *a = u->files[by[i - 1][2]].path, *b = u->files[by[i][2]].path;
			error = fail_entry(u, CINSTALL_EBADWHEEL, b, "its data overlaps that of '%s' (overlapping entries)",
			                   a);
			break;
		}
	free(by);
	return error;
}

/* libzip's check of the wheel on `fd`, done beside (`side`) or here, as
 * cinstall_zipcheck__run (libzip loaded here too: a failure is the
 * check's). */
static int zip_checked(unpacker *u, side_work *side, int fd, cinstall_err *zerr, size_t *nzip)
{
	const cinstall_libzip *zl;
	int zerror;

	if (!side->started)
		return (zerror = cinstall_dl__libzip(&zl, &u->ctx->dl, zerr, u->wheel)) < 0
		               ? zerror
		               : cinstall_zipcheck__run(zerr, nzip, zl, u->ar, u->ctx->utf8, u->wheel, fd);
	zerror = side_work_checked(side, zerr, nzip);
	/* Inconsistent: again here, to name the entry with libarchive. */
	if (zerror == CINSTALL_EBADWHEEL)
		zerror = cinstall_zipcheck__run(zerr, nzip, side->zl, u->ar, u->ctx->utf8, u->wheel, fd);
	return zerror;
}

/* Unpack the open wheel into <dir>/tree and fill `m` (its key is the
 * caller's, and so is its wheel_sha256 unless `beside`: then the side work
 * hashes it).  `self`: the caller holds its thread of ctx->jobs. */
static int unpack_tree(cinstall_manifest *m, cinstall_ctx *ctx, cinstall_err *err, const cinstall_wheel_filename *wf,
                       const char *wheel_path, int fd, uint64_t wheel_size, const char *dir, int share,
                       unsigned int self, int beside)
{
	cinstall_buf tree = CINSTALL_BUF_INIT;
	cinstall_err zerr = CINSTALL_ERR_INIT;
	const cinstall_libzip *zl;
	unpacker u;
	const char **fresh = NULL;
	size_t i, nfresh = 0, nzip = 0;
	uint64_t saved = 0;
	side_work side;
	int error = 0, zerror = 0, late;

	memset(&u, 0, sizeof(u));
	memset(&side, 0, sizeof(side));
	/* Made before this thread, or the part threads it starts, read
	 * ctx->utf8. */
	(void)cinstall_ctx__utf8(ctx);
	u.ctx = ctx;
	u.err = err;
	u.wheel = cinstall_path__basename(wheel_path);
	u.wf = wf;
	u.wheel_size = wheel_size;
	u.self = self;
	u.treefd = -1;
	u.m = m;
	/* A wheel of SPLIT_BYTES or more checked beside is unpacked meanwhile
	 * (`late`, below), and libzip (with libcrypto, which it needs) is
	 * loaded beside too; else here, first.  The threads that hash files
	 * take libcrypto when they start (whole, run_part). */
	late = beside && wheel_size >= SPLIT_BYTES;
	if ((!late && (error = cinstall_dl__libzip(&zl, &ctx->dl, err, u.wheel)) < 0) ||
	    (error = cinstall_xxh__new(&u.xxh, err)) < 0)
		goto done;
	if (beside)
		side_work_start(&side, ctx, 1, u.wheel, fd, m->wheel_sha256);
	if ((error = cinstall_dl__libarchive(&u.ar, &ctx->dl, err, u.wheel)) < 0)
		goto done;
	if (cinstall_path__join(&tree, dir, "tree") < 0) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (mkdir(tree.ptr, 0755) < 0 ||
	    (u.treefd = cinstall_sys__open(tree.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) < 0) {
		error = cinstall_err__os(err, "cannot create '%s'", tree.ptr);
		goto done;
	}
	u.tree = tree.ptr;
	u.same_in = &u.same;
	if (share && (error = cinstall_cache__sharer_new(&u.sharer, err, ctx)) < 0)
		goto done;
	/* libzip's check first, so its copy of the central directory is gone
	 * before ours grows; but an archive libarchive cannot read either is
	 * reported in libarchive's words.  (Beside a split's first pass, which
	 * also reads every local header, it saved ~10 ms of 0.86 s at 20,000
	 * files and raised the peak by 1.4 MB: left.)  Checked beside, a
	 * wheel of SPLIT_BYTES or more is unpacked meanwhile, its entries
	 * counted by the first pass of its split (extract): loading libzip
	 * and libcrypto then checking took 3 ms of a 1,000-file wheel at -j2,
	 * the first pass 2.9.  A smaller one waits for the count, which
	 * decides its split (a split of the 100-file wheel while libcrypto
	 * loaded beside was slower: 6.62 -> 7.25 ms). */
	late = late && side.started;
	if (!late && (zerror = zip_checked(&u, &side, fd, &zerr, &nzip)) == CINSTALL_ENOMEM) {
		error = cinstall_err__oom(err);
		goto done;
	}
	/* The files table sized once from the central directory (entries
	 * include directories, rare in wheels), not doubled: a third less
	 * memory for it at 20,000 files.  Past the entry limit the read
	 * fails anyway. */
	if (nzip && (error = grow_files(&u, nzip < ctx->opts.max_entries ? nzip : ctx->opts.max_entries)) < 0)
		goto done;
	if ((error = extract(&u, fd, tree.ptr)) < 0 || (error = check_overlaps(&u)) < 0)
		goto done;
	if (late && (zerror = zip_checked(&u, &side, fd, &zerr, &nzip)) == CINSTALL_ENOMEM) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (zerror < 0) {
		cinstall_err__copy(err, &zerr);
		error = zerror;
		goto done;
	}
	if ((error = seal(&u, dir, &m->sealed_ns)) < 0)
		goto done;
	same_release(&u);
	/* The files we wrote (not linked from an object), to share them once
	 * the wheel is verified. */
	if (u.sharer) {
		if (!(fresh = malloc((u.nfiles ? u.nfiles : 1) * sizeof(*fresh)))) {
			error = cinstall_err__oom(err);
			goto done;
		}
		for (i = 0; i < u.nfiles; i++)
			if (u.fresh[i])
				fresh[nfresh++] = u.files[i].path;
	}
	if ((error = finish(&u, m)) < 0 || (error = check_installable(&u, m)) < 0)
		goto done;
	if (u.obj_mtime > m->sealed_ns)
		m->sealed_ns = u.obj_mtime;
	if (u.sharer) {
		/* Sharing a big wheel's files goes on the threads of ctx->jobs
		 * that are idle, like its unpacking. */
		unsigned int helpers = nfresh >= 2 * CINSTALL_DEDUPE_SPLIT_FILES ? threads_take(ctx, ctx->jobs - 1) : 0;

		unsigned int threads = 1;

		error = cinstall_cache__dedupe_split(&saved, &threads, err, ctx, m, dir, fresh, nfresh, helpers);
		threads_give(ctx, helpers);
		if (error < 0)
			goto done;
		if (threads > 1)
			cinstall_ctx__log(ctx, CINSTALL_LOG_DEBUG, "%s: %zu files shared with the cache by %u threads", u.wheel,
			                  nfresh, threads);
		if (saved + u.saved)
			cinstall_ctx__log(ctx, CINSTALL_LOG_DEBUG, "%s: %llu bytes shared with other cache entries", u.wheel,
			                  (unsigned long long)(saved + u.saved));
	}
	cinstall_ctx__log(ctx, CINSTALL_LOG_DEBUG, "%s: %zu files, %llu bytes unpacked", u.wheel, m->nfiles,
	                  (unsigned long long)u.total);
done:
	if (side.started)
		error = side_work_join(&side, err, error);
	else if (beside && error >= 0)
		error = hash_wheel(err, &ctx->dl, u.wheel, fd, NULL, m->wheel_sha256); /* no thread for it */
	free(fresh);
	unpacker_release(&u);
	cinstall_buf__release(&tree);
	return error;
}

static cinstall_manifest *manifest_new(cinstall_err *err)
{
	cinstall_manifest *m = calloc(1, sizeof(*m));

	if (!m)
		cinstall_err__oom(err);
	return m;
}

int cinstall_unpack__to_dir(cinstall_manifest **out_manifest, cinstall_ctx *ctx, cinstall_err *err,
                            const char *wheel_path, const char *dir)
{
	cinstall_wheel_filename *wf = NULL;
	cinstall_manifest *m = NULL;
	uint64_t size = 0;
	unsigned int self;
	int fd = -1, made = 0, error;

	*out_manifest = NULL;
	if ((error = open_wheel(&fd, &size, &wf, err, wheel_path)) < 0)
		goto done;
	if (!(m = manifest_new(err))) {
		error = CINSTALL_ENOMEM;
		goto done;
	}
	if ((error = hash_wheel(err, &ctx->dl, cinstall_path__basename(wheel_path), fd, m->key, m->wheel_sha256)) < 0)
		goto done;
	made = access(dir, F_OK) != 0;
	if ((error = cinstall_path__mkdirs(err, dir, 0755)) < 0) {
		made = 0;
		goto done;
	}
	self = threads_take(ctx, 1);
	error = unpack_tree(m, ctx, err, wf, wheel_path, fd, size, dir, 0, self, 0);
	threads_give(ctx, self);
	if (error < 0)
		goto done;
	*out_manifest = m;
	m = NULL;
done:
	if (error < 0 && made) {
		cinstall_err ignored = CINSTALL_ERR_INIT;
		cinstall_path__rmtree(&ignored, dir);
	}
	if (fd >= 0)
		close(fd);
	cinstall_manifest__free(m);
	cinstall_wheel_filename_free(wf);
	return error;
}

static int check_cached_name(cinstall_err *err, const char *wheel, const cinstall_wheel_filename *wf,
                             const cinstall_manifest *m)
{
	char *norm = cinstall_wheel__normalize_name(m->name);
	int same = norm && !strcmp(norm, wf->normalized_name);

	free(norm);
	if (!same)
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
		                         "%s: '%s/METADATA': Name '%s' does not match the file name ('%s')", wheel,
		                         m->dist_info, m->name, wf->name);
	if (!cinstall_wheel__version_eq(m->version, wf->version))
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
		                         "%s: '%s/METADATA': Version '%s' does not match the file name ('%s')", wheel,
		                         m->dist_info, m->version, wf->version);
	return 0;
}

/* Is every file of the entry as it was published?  One fstatat per file:
 * the size, the kind, and an mtime no newer than the
 * seal (modes are not compared: some file systems, exFAT, show 0777 for
 * all).  NULL when sound, else the first changed file's path, with a
 * description in `what`. */
static const char *changed_file(const cinstall_manifest *m, const char *entry, char *what, size_t cap)
{
	cinstall_buf tree = CINSTALL_BUF_INIT;
	const char *bad = NULL;
	struct stat st;
	size_t i;
	int treefd;

	if (cinstall_path__join(&tree, entry, "tree") < 0)
		return NULL; /* out of memory: the link step will say so */
	treefd = cinstall_sys__open(tree.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	cinstall_buf__release(&tree);
	if (treefd < 0) {
		snprintf(what, cap, "tree/ cannot be opened: %s", strerror(errno));
		return "tree";
	}
	for (i = 0; i < m->nfiles && !bad; i++) {
		const cinstall_manifest_file *f = &m->files[i];
		if (fstatat(treefd, f->path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(what, cap, "is missing (%s)", strerror(errno));
			bad = f->path;
		} else if (!S_ISREG(st.st_mode)) {
			snprintf(what, cap, "is not a regular file");
			bad = f->path;
		} else if ((uint64_t)st.st_size != f->size) {
			snprintf(what, cap, "size is %llu, the manifest says %llu", (unsigned long long)st.st_size,
			         (unsigned long long)f->size);
			bad = f->path;
		} else if (m->sealed_ns && mtime_ns(&st) > m->sealed_ns) {
			snprintf(what, cap, "modified after the entry was made");
			bad = f->path;
		}
	}
	close(treefd);
	return bad;
}

/* Give up on an entry after this many lookups that saw it removed or
 * re-made under our feet. */
#define MAX_LOOKUPS 8

int cinstall_unpack__wheel_use(char **out_entry, cinstall_manifest **out_manifest, int *out_use_fd, cinstall_ctx *ctx,
                               cinstall_err *err, const char *wheel_path)
{
	cinstall_wheel_filename *wf = NULL;
	cinstall_manifest *m = NULL;
	cinstall_cache_lock lock = CINSTALL_CACHE_LOCK_INIT, use = CINSTALL_CACHE_LOCK_INIT;
	cinstall_cache_work work = CINSTALL_CACHE_WORK_INIT;
	cinstall_buf entry = CINSTALL_BUF_INIT;
	const char *wheel = cinstall_path__basename(wheel_path);
	char key[CINSTALL_XXH_HEX];
	side_work hash;
	uint64_t size = 0;
	unsigned int self;
	int fd = -1, r, cached, lookups = 0, beside, error;

	if (out_entry)
		*out_entry = NULL;
	if (out_manifest)
		*out_manifest = NULL;
	if (out_use_fd)
		*out_use_fd = -1;
	if ((error = open_wheel(&fd, &size, &wf, err, wheel_path)) < 0)
		goto done;
	if ((error = hash_wheel(err, &ctx->dl, wheel, fd, key, NULL)) < 0)
		goto done;
	if (cinstall_cache__entry_path(&entry, ctx, key) < 0) {
		error = cinstall_err__oom(err);
		goto done;
	}
again:
	cached = 1;
	if (++lookups > MAX_LOOKUPS) {
		error = cinstall_err__set(err, CINSTALL_ELOCK, 0,
		                          "%s: cache entry '%s' keeps being removed while we use it", wheel, entry.ptr);
		goto done;
	}
	cinstall_manifest__free(m);
	m = NULL;
	/* Warm path: a published entry with a sound MANIFEST. */
	r = cinstall_cache__lookup(&m, err, ctx, key);
	if (r == 0)
		goto found;
	if (r != CINSTALL_ENOTFOUND && r != CINSTALL_ECACHE) {
		error = r;
		goto done;
	}
	if ((error = cinstall_cache__init(err, ctx)) < 0)
		goto done;
	/* Clear what killed processes left behind (cheap: one readdir). */
	{
		cinstall_err e = CINSTALL_ERR_INIT;
		uint64_t swept = 0;
		if (cinstall_cache__sweep(&e, ctx, &swept) < 0)
			cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "%s", e.msg);
		else if (swept)
			cinstall_ctx__log(ctx, CINSTALL_LOG_INFO, "removed %llu leftovers of dead processes from the cache",
			                  (unsigned long long)swept);
	}
	if (lock.fd < 0 && (error = cinstall_cache__lock_key(&lock, err, ctx, key)) < 0)
		goto done;
	/* Someone may have published it while we waited. */
	r = cinstall_cache__lookup(&m, err, ctx, key);
	if (r == 0)
		goto found;
	if (r == CINSTALL_ECACHE) {
		cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "%s; unpacking %s again", err->msg, wheel);
		if ((error = cinstall_cache__remove_entry(err, ctx, key)) < 0)
			goto done;
	} else if (r != CINSTALL_ENOTFOUND) {
		error = r;
		goto done;
	}
	if (!(m = manifest_new(err))) {
		error = CINSTALL_ENOMEM;
		goto done;
	}
	memcpy(m->key, key, sizeof(key));
	if ((error = cinstall_cache__work_new(&work, err, ctx, key, 1)) < 0)
		goto done;
	/* This unpack's own thread of ctx->jobs (none when more wheels are
	 * unpacked at once than there are jobs: API callers' threads). */
	self = threads_take(ctx, 1);
	/* The side work (libzip's check, then the wheel's SHA-256) on a
	 * thread of its own, started by unpack_tree, for a wheel that is split:
	 * one of SPLIT_BYTES or more, or one of ALONE_BYTES unpacked alone.
	 * Not from BESIDE_BYTES: libzip's copy of the central directory, made
	 * in that thread's malloc arena, is not reused by the unpack (the
	 * 20,000-file wheel, 56 MiB, at -j2 peaked at 19.1 MiB instead of
	 * 14.7); those have their check here and their hash beside. */
	beside = self && ctx->jobs > 1 && size < BESIDE_BYTES &&
	         (size >= SPLIT_BYTES || (size >= ALONE_BYTES && alone(ctx)));
	memset(&hash, 0, sizeof(hash));
	if (beside || (error = hash_beside_start(&hash, ctx, err, wheel, fd, size, m->wheel_sha256)) == 0)
		error = unpack_tree(m, ctx, err, wf, wheel_path, fd, size, work.dir, !ctx->no_dedupe, self, beside);
	error = side_work_join(&hash, err, error);
	threads_give(ctx, self);
	if (error < 0)
		goto done;
	/*
	 * Durability: the MANIFEST is written last and fsynced, with its
	 * directory, before the rename that publishes the entry.  The files
	 * themselves are not fsynced one by one (that would cost more than the
	 * whole unpack); after a power loss an entry could hold files whose
	 * data never reached the disk.  `cinstall cache verify` finds such an
	 * entry and `cinstall cache prune` removes it.
	 */
	if ((error = cinstall_manifest__save_sync(err, m, work.dir, !ctx->no_fsync)) < 0)
		goto done;
	/* In use from before its publication: nobody removes it under us. */
	if ((error = cinstall_cache__use_work(&use, err, ctx, &work)) < 0)
		goto done;
	r = cinstall_cache__publish(&work, err, ctx, key);
	if (r < 0) {
		error = r;
		goto done;
	}
	cinstall_cache__work_release(&work, ctx);
	cached = r == 1;
	if (r == 1) {
		/* Another process won the race: use its entry. */
		cinstall_cache__unlock(&use);
		cinstall_manifest__free(m);
		m = NULL;
		r = cinstall_cache__lookup(&m, err, ctx, key);
		if (r == CINSTALL_ENOTFOUND || r == CINSTALL_ECACHE)
			goto again; /* and someone removed it already */
		if ((error = r) < 0)
			goto done;
	}
	cinstall_ctx__log(ctx, CINSTALL_LOG_INFO, "unpacked %s into %s", wheel, entry.ptr);
found:
	/* Hold the entry against prune and clean while the caller uses it. */
	if (use.fd < 0 && (r = cinstall_cache__use_entry(&use, err, ctx, key)) != 0) {
		if (r < 0) {
			error = r;
			goto done;
		}
		goto again; /* removed between our lookup and our lock */
	}
	if (cached) {
		/* Self-healing: a file changed behind the cache's back (written
		 * through a hard link in an environment) is not linked again. */
		char what[256], q[512];
		const char *bad = changed_file(m, entry.ptr, what, sizeof(what));
		if (bad) {
			cinstall_path__quote(q, sizeof(q), bad);
			cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "cache entry %s (%s): '%s': %s; unpacking %s again", key,
			                  m->wheel ? m->wheel : wheel, q, what, wheel);
			cinstall_cache__unlock(&use);
			if (lock.fd < 0 && (error = cinstall_cache__lock_key(&lock, err, ctx, key)) < 0)
				goto done;
			/* Wait for its other users (they hold the shared lock). */
			if ((error = cinstall_cache__remove_unused(err, ctx, key, 1)) < 0)
				goto done;
			goto again;
		}
	}
	/* The same bytes may come under another file name: it must still name
	 * the distribution inside (checked on a cold unpack by finish()). */
	if (cached && (error = check_cached_name(err, wheel, wf, m)) < 0)
		goto done;
	if (m->sloppy) {
		/* RECORD was sloppy when this entry was made. */
		if (ctx->opts.flags & CINSTALL_OPT_STRICT) {
			error = cinstall_err__set(err, CINSTALL_ERECORD, 0, "%s (strict mode)", m->sloppy);
			goto done;
		}
		if (cached)
			cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "%s", m->sloppy);
	}
	if (out_entry && !(*out_entry = cinstall_buf__detach(&entry))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (out_manifest) {
		*out_manifest = m;
		m = NULL;
	}
	if (out_use_fd) {
		*out_use_fd = use.fd;
		use.fd = -1;
	}
	error = 0;
done:
	cinstall_cache__unlock(&use);
	cinstall_cache__work_release(&work, ctx);
	cinstall_cache__unlock(&lock);
	if (error < 0 && out_entry) {
		free(*out_entry);
		*out_entry = NULL;
	}
	if (fd >= 0)
		close(fd);
	cinstall_manifest__free(m);
	cinstall_wheel_filename_free(wf);
	cinstall_buf__release(&entry);
	return error;
}

int cinstall_unpack__wheel(char **out_entry, cinstall_manifest **out_manifest, cinstall_ctx *ctx, cinstall_err *err,
                           const char *wheel_path)
{
	return cinstall_unpack__wheel_use(out_entry, out_manifest, NULL, ctx, err, wheel_path);
}

int cinstall_unpack(char **out_entry, cinstall_ctx *ctx, const char *wheel_path)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	int error;

	if (!out_entry || !ctx || !wheel_path) {
		cinstall_err__set(&err, CINSTALL_EINVAL, 0, "unpack: no wheel, output or context given");
		return cinstall_ctx__fail(ctx, &err);
	}
	if ((error = cinstall_unpack__wheel(out_entry, NULL, ctx, &err, wheel_path)) < 0)
		return cinstall_ctx__fail(ctx, &err);
	return 0;
}
