/* install.c - cinstall_install: wheels into an environment (see install.h
 * for the phases). */
#include "install.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#include "buf.h"
#include "conflicts.h"
#include "ctx.h"
#include "digests.h"
#include "hash.h"
#include "link.h"
#include "manifest.h"
#include "path.h"
#include "record.h"
#include "report.h"
#include "scheme.h"
#include "scripts.h"
#include "sys.h"
#include "tags.h"
#include "thread.h"
#include "uninstall.h"
#include "unpack.h"
#include "uthash/uthash.h"
#include "wheel.h"
#define XXH_INLINE_ALL
#include "xxhash/xxhash.h"

extern char **environ;

enum { ACT_INSTALL, ACT_UNCHANGED, ACT_REPLACE };

/* The scheme directory a file goes below. */
enum { BASE_ROOT, BASE_PURELIB, BASE_PLATLIB, BASE_SCRIPTS, BASE_HEADERS, BASE_DATA };

/*
 * One file of the wheel and where it goes: 16 bytes.  Its absolute path
 * and its RECORD path are made again when needed (dest_dst, dest_rel),
 * not kept: an install of many wheels holds, per file, its manifest entry
 * and this.
 */
typedef struct dest {
	const cinstall_manifest_file *f;
	uint32_t rest;              /* offset in f->path of the part below the base */
	unsigned int base : 3;      /* BASE_* */
	unsigned int plain : 1;     /* below the root as in the wheel: the RECORD path is f->path */
	unsigned int script : 1;    /* from <name>.data/scripts */
	unsigned int in_lib : 1;    /* purelib or platlib (compiled with --compile-bytecode) */
	unsigned int conflict : 1;  /* another wheel of this install ships it too */
	unsigned int rewritten : 1; /* a script written anew: its row is among the generated ones */
	unsigned int normal : 1;    /* <base>/<rest> needs no normalising */
} dest;

/* A destination's XXH3-128, with its index: place() sorts them to know
 * which files it placed itself. */
typedef struct dst_key {
	uint64_t lo, hi;
	size_t i;
} dst_key;

typedef struct row {
	char *path;
	char *hash;       /* "sha256=..." */
	int64_t size;
} row;

typedef struct moved {
	char *orig;
	char *stashed;
} moved;

typedef struct dirset {
	char *dir;
	int ours;         /* created by this wheel: no file can be there yet */
	UT_hash_handle hh;
} dirset;

typedef struct job {
	const char *given;
	const char *label;        /* the wheel's file name, for messages */
	char *abs;                /* absolute path of the wheel */
	cinstall_wheel_filename *wf;
	char *entry;              /* cache entry (or temporary directory) */
	char *tree;               /* <entry>/tree */
	char *tmpdir;             /* --no-cache: removed at the end */
	cinstall_manifest *m;
	int use_fd;               /* shared lock on the cache entry while we link from it, or -1 */
	char *norm;
	const cinstall_dist *old; /* what is installed under this name */
	struct dirset *last_parent; /* ensure_parent's last directory (files come sorted: mostly the next's too) */
	int keys_due;             /* place() runs: placed_here() makes `keys` when first asked */
	int alone;                /* a big wheel, prepared alone before the others (prepare_all) */
	int action;
	int error;
	cinstall_err *err;        /* the worker's while one works on it; `saved` after a failure */
	cinstall_err *saved;      /* the error, kept (1 KiB) only for a wheel that failed */
	const char *root_dir;     /* purelib or platlib, by Root-Is-Purelib */
	const char *env_root;     /* the environment (scheme root): no directory below it may lead out */
	cinstall_entry_points *eps; /* entry_points.txt, read before anything is placed (with
	                               --no-cache the tree's files are moved away while placing) */
	char *dist_info_dir;      /* <root_dir>/<dist_info> */
	char *headers_dir;        /* <headers>/<name> */
	dest *dests;
	size_t ndests;
	size_t ndone;             /* dests[0..ndone) are placed (undo removes them), or with
	                             `done`, that many of them */
	unsigned char *done;      /* a split placement: a byte per dest, placed */
	unsigned char *shared;    /* a bit per dest: another wheel writes its path too */
	dst_key *keys;            /* while placing: every dest's destination, sorted */
	cinstall_buf pdst, prel;  /* scratch for dest_dst and dest_rel */
	row *rows;                /* generated files' rows (and rewritten scripts', .pyc) */
	size_t nrows, caprows;
	char **placed;            /* generated files created, for undo */
	size_t nplaced, capplaced;
	char **created;           /* directories created, for undo */
	size_t ncreated, capcreated;
	dirset *dirs;             /* directories known to exist */
	char *stash;              /* directory holding what was moved away */
	moved *moves;
	size_t nmoves, capmoves;
	int keep_stash;           /* a stashed file is not in moves: never delete the stash */
	cinstall_linker *linker;
	/* While placing (else -1): the tree and the scheme directories open,
	 * so that files are linked by names below them (fewer path components
	 * for the kernel to walk).  base_fd[BASE_*] is opened by the job's
	 * thread when it first places a file there or before it splits the
	 * placing (-2: cannot be); the split's threads only read it. */
	int tree_fd;
	int base_fd[6];
	cinstall_sha *sha;        /* reused for generated files and .pyc rows */
	cinstall_digests digests; /* generated files' digests known to the cache entry */
	int digests_read;
	cinstall_link_mode mode_used;
	unsigned int fallbacks;
	uint64_t files;
	int placed_ok;
} job;

typedef struct install {
	cinstall_ctx *ctx;
	const cinstall_install_options *opts;
	cinstall_scheme *s;
	cinstall_dists *dists;
	job *jobs;
	size_t n;
	unsigned int nthreads;
	pthread_mutex_t lock;
	size_t next;
	unsigned int active;           /* threads working on a job of this phase, or helping one (`lock`) */
	void (*fn)(struct install *, job *);
	size_t wheels_done;
	uint64_t files_done, files_total;
	cinstall_report *rep;
	cinstall_conflicts *conflicts; /* filled by prepare (under `lock`), read by find_conflicts */
	size_t kept_files;             /* files of wheels whose manifests prepare kept (`lock`) */
	int trim;                      /* a big wheel was prepared: give freed memory back after */
} install;

/* ---- small helpers ----------------------------------------------------- */

#define PUSH(arr, n, cap, val)                                                             \
	(cinstall_array__grow((void **)&(arr), &(cap), (n), sizeof(*(arr))) < 0                \
	         ? CINSTALL_ENOMEM                                                          \
	         : ((arr)[(n)++] = (val), 0))

/* `*sha` is made on first use and kept: a new one costs more than hashing. */
static void sha256_b64(char out[CINSTALL_B64_MAX], cinstall_sha **sha, cinstall_ctx *ctx, const char *label,
                       const void *data, size_t len, cinstall_err *err, int *error)
{
	unsigned char digest[CINSTALL_DIGEST_MAX];
	size_t n;

	out[0] = '\0';
	if (*sha)
		*error = cinstall_sha__reset(*sha, CINSTALL_HASH_SHA256, err);
	else
		*error = cinstall_sha__new(sha, CINSTALL_HASH_SHA256, &ctx->dl, err, label);
	if (*error < 0)
		return;
	cinstall_sha__update(*sha, data, len);
	n = cinstall_sha__final(*sha, digest);
	cinstall_hash__b64url(out, digest, n);
}

static int add_row(job *j, const char *path, const char *b64, int64_t size)
{
	row r;
	size_t n = b64 ? strlen(b64) : 0;

	r.path = strdup(path);
	r.hash = NULL;
	r.size = size;
	if (b64 && (r.hash = malloc(7 + n + 1))) {
		memcpy(r.hash, "sha256=", 7);
		memcpy(r.hash + 7, b64, n + 1);
	}
	if (!r.path || (b64 && !r.hash) || PUSH(j->rows, j->nrows, j->caprows, r) < 0) {
		free(r.path);
		free(r.hash);
		return cinstall_err__oom(j->err);
	}
	return 0;
}

/* Row for a generated file: its bytes' digest, from the cache entry's
 * DIGESTS when an install made these bytes before (digests.h), else
 * computed (and kept there). */
static int add_generated_row(install *in, job *j, const char *dst, const void *data, size_t len)
{
	char b64[CINSTALL_B64_MAX];
	const char *known = NULL;
	cinstall_buf rel = CINSTALL_BUF_INIT;
	int error = 0;

	if (!j->tmpdir) {
		if (!j->digests_read && cinstall_digests__load(&j->digests, j->entry) == CINSTALL_ENOMEM)
			return cinstall_err__oom(j->err);
		j->digests_read = 1;
		known = cinstall_digests__find(&j->digests, data, len);
	}
	if (known) {
		memcpy(b64, known, 44);
	} else {
		sha256_b64(b64, &j->sha, in->ctx, j->label, data, len, j->err, &error);
		if (error < 0)
			return error;
		if (!j->tmpdir && cinstall_digests__add(&j->digests, data, len, b64) < 0)
			return cinstall_err__oom(j->err);
	}
	if (cinstall_uninstall__relpath(&rel, j->root_dir, dst) < 0)
		return cinstall_err__oom(j->err);
	error = add_row(j, rel.ptr, b64, (int64_t)len);
	cinstall_buf__release(&rel);
	return error;
}

static void progress(install *in, const char *wheel, int wheel_done, uint64_t files)
{
	cinstall_progress p;

	pthread_mutex_lock(&in->lock);
	in->files_done += files;
	if (wheel_done)
		in->wheels_done++;
	p.wheel = wheel;
	p.wheels_done = in->wheels_done;
	p.wheels_total = in->n;
	p.files_done = in->files_done;
	p.files_total = in->files_total;
	pthread_mutex_unlock(&in->lock);
	cinstall_ctx__progress(in->ctx, &p);
}

/* ---- the worker pool --------------------------------------------------- */

/* A job's error lives on the stack of whoever works on it, and is kept
 * only when the job failed: a thousand wheels do not hold a thousand
 * message buffers. */
static void job_begin(job *j, cinstall_err *scratch)
{
	if (j->saved) {
		j->err = j->saved;
		return;
	}
	cinstall_err__clear(scratch);
	j->err = scratch;
}

static void job_end(job *j)
{
	if (j->err != j->saved && j->error && (j->saved = malloc(sizeof(*j->saved))))
		cinstall_err__copy(j->saved, j->err);
	j->err = j->saved;
}

/* The error of a failed job (its message, or when even keeping that failed
 * for want of memory, its code). */
static void job_error(cinstall_err *out, const job *j)
{
	if (j->err)
		cinstall_err__copy(out, j->err);
	else
		cinstall_err__set(out, j->error, 0, "%s: %s", j->label ? j->label : j->given, cinstall_strerror(j->error));
}

static void prepare(install *in, job *j);

static void *worker(void *arg)
{
	install *in = arg;
	cinstall_err scratch;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&in->lock);
		/* Big wheels were prepared alone already (prepare_all). */
		while (in->fn == prepare && in->next < in->n && in->jobs[in->next].alone)
			in->next++;
		i = in->next++;
		if (i < in->n)
			in->active++;
		pthread_mutex_unlock(&in->lock);
		if (i >= in->n)
			return NULL;
		job_begin(&in->jobs[i], &scratch);
		in->fn(in, &in->jobs[i]);
		job_end(&in->jobs[i]);
		pthread_mutex_lock(&in->lock);
		in->active--;
		pthread_mutex_unlock(&in->lock);
	}
}

/* Run fn on every job with up to nthreads threads, this one among them;
 * returns when all are done.  (This thread works too: its malloc arena,
 * the main one in a program, is reused rather than one more thread's
 * starting another, whose memory is all new.) */
static void run_parallel(install *in, void (*fn)(install *, job *))
{
	pthread_t *t = NULL;
	unsigned int i, started = 0, want;

	in->fn = fn;
	in->next = 0;
	in->active = 0;
	want = in->nthreads < in->n ? in->nthreads : (unsigned int)in->n;
	if (want > 1 && (t = calloc(want - 1, sizeof(*t)))) {
		for (i = 0; i < want - 1; i++) {
			if (cinstall_thread__create(&t[i], worker, in) != 0)
				break;
			started++;
		}
	}
	worker(in);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
}

/* ---- phase 2: prepare -------------------------------------------------- */

static int read_text(cinstall_buf *out, cinstall_err *err, const char *dir, const char *name)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	int error;

	if (cinstall_path__join(&p, dir, name) < 0)
		return cinstall_err__oom(err);
	error = cinstall_uninstall__read_file(out, err, p.ptr);
	cinstall_buf__release(&p);
	return error;
}

/* Same wheel already installed: its direct_url.json names our sha256. */
static int same_wheel(const cinstall_dist *d, const cinstall_manifest *m)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	cinstall_err err = CINSTALL_ERR_INIT;
	int same = 0;

	if (!m->wheel_sha256[0])
		return 0;
	/* Without RECORD (written last), an install of it did not finish. */
	if (cinstall_path__join(&b, d->dist_info, "RECORD") < 0 || access(b.ptr, F_OK) < 0) {
		cinstall_buf__release(&b);
		return 0;
	}
	cinstall_buf__truncate(&b, 0);
	if (read_text(&b, &err, d->dist_info, "direct_url.json") == 0)
		same = strstr(cinstall_buf__cstr(&b), m->wheel_sha256) != NULL;
	cinstall_buf__release(&b);
	return same;
}

/* Is `p` a relative path with no empty, "." or ".." component: nothing
 * for cinstall_uninstall__normalize to change, nothing that climbs out,
 * once joined below a normalised directory? */
static int rel_is_clean(const char *p)
{
	const char *c = p, *e;
	size_t len;

	for (;;) {
		e = strchr(c, '/');
		len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0 || (c[0] == '.' && (len == 1 || (len == 2 && c[1] == '.'))))
			return 0;
		if (!e)
			return 1;
		c = e + 1;
	}
}

/* Is `dir` absolute and normalised (cinstall_uninstall__normalize would
 * leave it as it is)?  `b` is scratch. */
static int dir_is_normal(cinstall_buf *b, const char *dir)
{
	cinstall_buf__truncate(b, 0);
	if (dir[0] != '/' || !dir[1] || cinstall_buf__puts(b, dir) < 0)
		return 0;
	cinstall_uninstall__normalize(b->ptr);
	return !strcmp(b->ptr, dir);
}

static int map_files(install *in, job *j)
{
	const cinstall_manifest *m = j->m;
	cinstall_buf b = CINSTALL_BUF_INIT, headers = CINSTALL_BUF_INIT, rel = CINSTALL_BUF_INIT;
	size_t i, joined, dlen = m->data_dir ? strlen(m->data_dir) : 0, ilen = strlen(m->dist_info);
	const char *base, *rest;
	int error = 0, normal[BASE_DATA + 1]; /* by BASE_*: the directory is absolute and normalised */

	j->root_dir = m->root_is_purelib ? in->s->purelib : in->s->platlib;
	if (cinstall_path__join(&b, j->root_dir, m->dist_info) < 0 ||
	    cinstall_path__join(&headers, in->s->headers, m->name) < 0)
		goto oom;
	free(j->dist_info_dir);
	j->dist_info_dir = cinstall_buf__detach(&b);
	free(j->headers_dir);
	if (!(j->headers_dir = strdup(headers.ptr)))
		goto oom;
	free(j->dests);
	j->ndests = 0;
	if (!(j->dests = calloc(m->nfiles ? m->nfiles : 1, sizeof(*j->dests))))
		goto oom;
	/* An absolute root that normalising leaves alone: then <root>/<p>,
	 * left alone too, has the RECORD path <p>. */
	normal[BASE_ROOT] = dir_is_normal(&b, j->root_dir);
	normal[BASE_PURELIB] = dir_is_normal(&b, in->s->purelib);
	normal[BASE_PLATLIB] = dir_is_normal(&b, in->s->platlib);
	normal[BASE_SCRIPTS] = dir_is_normal(&b, in->s->scripts);
	normal[BASE_HEADERS] = dir_is_normal(&b, headers.ptr);
	normal[BASE_DATA] = dir_is_normal(&b, in->s->data);
	for (i = 0; i < m->nfiles; i++) {
		const cinstall_manifest_file *f = &m->files[i];
		dest *d = &j->dests[j->ndests];

		if (!strncmp(f->path, m->dist_info, ilen) && f->path[ilen] == '/') {
			const char *n = f->path + ilen + 1;
			/* RECORD is generated; so are the installer's own files. */
			if (!strcmp(n, "RECORD") || !strcmp(n, "INSTALLER") || !strcmp(n, "REQUESTED") ||
			    !strcmp(n, "direct_url.json"))
				continue;
		}
		memset(d, 0, sizeof(*d));
		d->f = f;
		d->base = BASE_ROOT;
		base = j->root_dir;
		rest = f->path;
		d->in_lib = 1;
		if (dlen && !strncmp(f->path, m->data_dir, dlen) && f->path[dlen] == '/') {
			int key = cinstall_wheel__data_key(j->err, j->label, m->data_dir, f->path, &rest);
			if (key < 0) {
				error = key;
				goto done;
			}
			d->in_lib = 0;
			switch ((cinstall_data_key)key) {
			case CINSTALL_DATA_PURELIB:
				base = in->s->purelib;
				d->base = BASE_PURELIB;
				d->in_lib = 1;
				break;
			case CINSTALL_DATA_PLATLIB:
				base = in->s->platlib;
				d->base = BASE_PLATLIB;
				d->in_lib = 1;
				break;
			case CINSTALL_DATA_SCRIPTS:
				base = in->s->scripts;
				d->base = BASE_SCRIPTS;
				d->script = 1;
				break;
			case CINSTALL_DATA_HEADERS:
				base = headers.ptr;
				d->base = BASE_HEADERS;
				break;
			case CINSTALL_DATA_DATA:
				base = in->s->data;
				d->base = BASE_DATA;
				break;
			}
		}
		d->rest = (uint32_t)(rest - f->path);
		if (normal[d->base] && rel_is_clean(rest)) {
			/* <base>/<rest> is normalised and below <base>, as the slow
			 * way below would find; below a normalised root its RECORD
			 * path is the wheel's. */
			d->plain = d->base == BASE_ROOT;
			d->normal = 1;
			j->ndests++;
			continue;
		}
		cinstall_buf__truncate(&b, 0);
		if (cinstall_path__join(&b, base, rest) < 0)
			goto oom;
		joined = b.len;
		cinstall_uninstall__normalize(b.ptr);
		b.len = strlen(b.ptr);
		if (!cinstall_path__is_within(base, b.ptr) || !strcmp(base, b.ptr)) {
			error = cinstall_err__set(j->err, CINSTALL_EUNSAFE, 0, "%s: '%s': escapes '%s'",
			                          j->label, f->path, base);
			goto done;
		}
		if (d->base == BASE_ROOT && b.len == joined) {
			/* Nothing to normalise: the RECORD path is the wheel's (below
			 * a root that is normalised itself, as most are: else ask). */
			if (normal[BASE_ROOT]) {
				d->plain = 1;
			} else {
				cinstall_buf__truncate(&rel, 0);
				if (cinstall_uninstall__relpath(&rel, j->root_dir, b.ptr) < 0)
					goto oom;
				d->plain = !strcmp(rel.ptr, f->path);
			}
		}
		j->ndests++;
	}
	goto done;
oom:
	error = cinstall_err__oom(j->err);
done:
	cinstall_buf__release(&b);
	cinstall_buf__release(&headers);
	cinstall_buf__release(&rel);
	return error;
}

static const char *base_dir(install *in, const job *j, unsigned int base)
{
	switch (base) {
	case BASE_PURELIB:
		return in->s->purelib;
	case BASE_PLATLIB:
		return in->s->platlib;
	case BASE_SCRIPTS:
		return in->s->scripts;
	case BASE_HEADERS:
		return j->headers_dir;
	case BASE_DATA:
		return in->s->data;
	default:
		return j->root_dir;
	}
}

/* The absolute destination of `d` (as map_files made and checked it), in
 * j->pdst; NULL when out of memory. */
static const char *dest_dst_in(cinstall_buf *b, install *in, const job *j, const dest *d)
{
	if (cinstall_path__join(b, base_dir(in, j, d->base), d->f->path + d->rest) < 0)
		return NULL;
	if (!d->plain && !d->normal) {
		cinstall_uninstall__normalize(b->ptr);
		b->len = strlen(b->ptr);
	}
	return b->ptr;
}

static const char *dest_dst(install *in, job *j, const dest *d)
{
	return dest_dst_in(&j->pdst, in, j, d);
}

/* Its RECORD path, relative to the root scheme directory (in j->prel, or
 * the manifest's path); NULL when out of memory. */
static const char *dest_rel(install *in, job *j, const dest *d)
{
	if (d->plain)
		return d->f->path;
	cinstall_buf__truncate(&j->prel, 0);
	if (!dest_dst(in, j, d) || cinstall_uninstall__relpath(&j->prel, j->root_dir, j->pdst.ptr) < 0)
		return NULL;
	return j->prel.ptr;
}

static void dst_hash(dst_key *k, const char *dst)
{
	XXH128_hash_t h = XXH3_128bits(dst, strlen(dst));

	k->lo = h.low64;
	k->hi = h.high64;
}

static int cmp_key(const void *a, const void *b)
{
	const dst_key *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Did this wheel place `dst` already (a launcher named like a .data
 * script, two files of the wheel landing on one path)? */
static int placed_here(const job *j, const char *dst)
{
	dst_key k;
	size_t lo = 0, hi, i;

	for (i = j->nplaced; i-- > 0;)
		if (!strcmp(j->placed[i], dst))
			return 1;
	if (!j->keys)
		return 0;
	dst_hash(&k, dst);
	k.i = 0;
	hi = j->ndests;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_key(&j->keys[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < j->ndests && j->keys[i].lo == k.lo && j->keys[i].hi == k.hi; i++)
		if (j->done ? j->done[j->keys[i].i] : j->keys[i].i < j->ndone)
			return 1;
	return 0;
}

static int read_entry_points(job *j);
static const char *dest_rel(install *in, job *j, const dest *d);

/* Register the wheel's files for the conflict check (find_conflicts),
 * tagged with (job, dest) so that paths two wheels write can be marked. */
static int register_files(install *in, job *j)
{
	size_t i = (size_t)(j - in->jobs), k;
	int error = 0;

	if (!(j->shared = calloc(j->ndests / 8 + 1, 1)))
		return cinstall_err__oom(j->err);
	pthread_mutex_lock(&in->lock);
	for (k = 0; k < j->ndests && !error; k++) {
		const dest *d = &j->dests[k];
		const char *rel = dest_rel(in, j, d);
		if (!rel || k > 0xffffffffu ||
		    cinstall_conflicts__add_tagged(in->conflicts, j->m->name, rel, d->f->size, d->f->xxh3,
		                                   (uint64_t)i << 32 | k) < 0)
			error = cinstall_err__oom(j->err);
	}
	pthread_mutex_unlock(&in->lock);
	return error;
}

/* Read the manifest back (prepare dropped its files) and map the files
 * again, as prepare did. */
static int reload(install *in, job *j)
{
	cinstall_manifest *m = NULL;
	int error;

	if ((error = cinstall_manifest__load(&m, j->err, j->entry)) < 0)
		return error;
	if (strcmp(m->key, j->m->key) || strcmp(m->dist_info, j->m->dist_info)) {
		cinstall_manifest__free(m);
		return cinstall_err__set(j->err, CINSTALL_ECACHE, 0, "%s: cache entry '%s' changed while in use",
		                         j->label, j->entry);
	}
	cinstall_manifest__free(j->m);
	j->m = m;
	return map_files(in, j);
}

/*
 * Whether prepare keeps a wheel's files (manifest and destinations) for
 * place() instead of reading its MANIFEST again there: while all the kept
 * ones add up to KEEP_FILES at most (~1.2 MB), so that memory stays
 * bounded for any number of wheels.  Reading every MANIFEST twice was a
 * seventh of the instructions of a warm install of 98 ordinary wheels.
 */
#define KEEP_FILES 8192

static int keep_files(install *in, job *j)
{
	int keep;

	pthread_mutex_lock(&in->lock);
	keep = in->kept_files + j->ndests <= KEEP_FILES;
	if (keep)
		in->kept_files += j->ndests;
	pthread_mutex_unlock(&in->lock);
	return keep;
}

static void prepare(install *in, job *j)
{
	const cinstall_install_options *o = in->opts;
	cinstall_buf b = CINSTALL_BUF_INIT;
	char *abs;
	int error = 0;

	j->label = cinstall_path__basename(j->given);
	if ((error = cinstall_wheel__filename_parse(&j->wf, j->err, j->given)) < 0)
		goto done;
	if (!(abs = realpath(j->given, NULL))) {
		error = errno == ENOENT ? cinstall_err__set(j->err, CINSTALL_ENOTFOUND, ENOENT,
		                                            "%s: no such wheel", j->given)
		                        : cinstall_err__os(j->err, "%s: cannot open", j->given);
		goto done;
	}
	j->abs = abs;
	if (!(o->flags & CINSTALL_INSTALL_NO_COMPAT_CHECK) &&
	    (error = cinstall_tags__check(j->err, in->s, j->label, j->wf->python_tag, j->wf->abi_tag,
	                                  j->wf->platform_tag)) < 0)
		goto done;
	if (o->flags & CINSTALL_INSTALL_NO_CACHE) {
		if (cinstall_path__join(&b, in->s->root, ".cinstall-unpack-XXXXXX") < 0) {
			error = cinstall_err__oom(j->err);
			goto done;
		}
		if ((error = cinstall_path__mkdirs(j->err, in->s->root, 0755)) < 0)
			goto done;
		if (!mkdtemp(b.ptr)) {
			error = cinstall_err__os(j->err, "cannot create a temporary directory in '%s'",
			                         in->s->root);
			goto done;
		}
		j->tmpdir = cinstall_buf__detach(&b);
		if (cinstall_path__join(&b, j->tmpdir, "w") < 0) {
			error = cinstall_err__oom(j->err);
			goto done;
		}
		j->entry = cinstall_buf__detach(&b);
		if ((error = cinstall_unpack__to_dir(&j->m, in->ctx, j->err, j->given, j->entry)) < 0)
			goto done;
	} else if ((error = cinstall_unpack__wheel_use(&j->entry, &j->m, &j->use_fd, in->ctx, j->err, j->given)) < 0)
		goto done;
	if (cinstall_path__join(&b, j->entry, "tree") < 0) {
		error = cinstall_err__oom(j->err);
		goto done;
	}
	j->tree = cinstall_buf__detach(&b);
	if (!(o->flags & CINSTALL_INSTALL_NO_COMPAT_CHECK)) {
		error = cinstall_tags__requires_python(j->err, in->s, j->label, j->m->requires_python);
		if (error == CINSTALL_EBADWHEEL) {
			/* As pip: a malformed Requires-Python is only a warning. */
			cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING, "%s", j->err->msg);
			cinstall_err__clear(j->err);
			error = 0;
		}
		if (error < 0)
			goto done;
	}
	if (!(j->norm = cinstall_wheel__normalize_name(j->m->name))) {
		error = cinstall_err__oom(j->err);
		goto done;
	}
	j->old = cinstall_uninstall__find(in->dists, j->norm);
	j->action = ACT_INSTALL;
	if (j->old) {
		if (!(o->flags & CINSTALL_INSTALL_REINSTALL) && cinstall_wheel__version_eq(j->old->version, j->m->version) &&
		    same_wheel(j->old, j->m))
			j->action = ACT_UNCHANGED;
		else
			j->action = ACT_REPLACE;
	}
	if (j->action != ACT_UNCHANGED && (error = map_files(in, j)) == 0)
		error = read_entry_points(j);
	/* One wheel cannot conflict with another: nothing to register. */
	if (error == 0 && j->action != ACT_UNCHANGED && in->n > 1)
		error = register_files(in, j);
	if (error == 0 && (o->flags & CINSTALL_INSTALL_NO_CACHE))
		/* place() reads it back, as from a cache entry. */
		error = cinstall_manifest__save_sync(j->err, j->m, j->entry, 0);
	if (error == 0 && in->n > 1 && !keep_files(in, j)) {
		/* Until place(): every wheel is prepared before any is placed, so
		 * no wheel's files are held meanwhile (one wheel alone keeps
		 * them: place() would read them back at once). */
		cinstall_manifest__drop_files(j->m);
		free(j->dests);
		j->dests = NULL;
	}
done:
	cinstall_buf__release(&b);
	j->error = error;
	if (error < 0 && !j->err->code)
		cinstall_err__set(j->err, error, 0, "%s: %s", j->label, cinstall_strerror(error));
}

/*
 * Wheels of BIG_WHEEL bytes or more are prepared first, one at a time and
 * the largest first, each unpacked by all the threads (split); then the
 * others, on the threads side by side.  A big wheel's unpack is the
 * largest transient of an install (its central directory, its paths and
 * files): done first, nothing else is held yet, and what it frees is the
 * room the others' manifests and conflict entries take later.  The 98
 * ordinary wheels of the benchmark and one of 20,000 files, given last,
 * peaked at 16.7-17.1 MiB at -j1; with this 14.8-15.3 MiB.
 */
#define BIG_WHEEL ((uint64_t)8 << 20)

typedef struct big_wheel {
	size_t job;
	uint64_t size;
} big_wheel;

static int cmp_big(const void *a, const void *b)
{
	const big_wheel *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->job < y->job ? -1 : x->job > y->job;
}

static void prepare_all(install *in)
{
	big_wheel *big = NULL;
	cinstall_err scratch;
	struct stat st;
	size_t i, nbig = 0;

	if (in->n > 1 && (big = malloc(in->n * sizeof(*big))))
		for (i = 0; i < in->n; i++)
			if (stat(in->jobs[i].given, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= BIG_WHEEL) {
				big[nbig].job = i;
				big[nbig++].size = (uint64_t)st.st_size;
			}
	/* Without the memory for the list, in the order given. */
	if (nbig > 1)
		qsort(big, nbig, sizeof(*big), cmp_big);
	in->fn = prepare;
	for (i = 0; i < nbig; i++) {
		job *j = &in->jobs[big[i].job];
		j->alone = 1;
		job_begin(j, &scratch);
		prepare(in, j);
		job_end(j);
	}
	free(big);
	in->trim = nbig > 0;
#ifdef __GLIBC__
	/* What the big wheels freed goes back before the others grow the
	 * heaps elsewhere (see the trim after find_conflicts). */
	if (nbig)
		malloc_trim(0);
#endif
	run_parallel(in, prepare);
}

/* ---- phase 4: place ---------------------------------------------------- */

/* An existing directory below the environment's root that is a symbolic link
 * must resolve inside the environment (lib64 -> lib is fine): files placed
 * through it must never land outside.  0 or CINSTALL_EUNSAFE. */
static int check_dir_link(job *j, const char *dir)
{
	struct stat st;
	char *real_dir = NULL, *real_root = NULL;
	int error = 0;

	if (!j->env_root || !cinstall_path__is_within(j->env_root, dir) || !strcmp(j->env_root, dir))
		return 0;
	if (lstat(dir, &st) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	if (!(real_dir = realpath(dir, NULL)) || !(real_root = realpath(j->env_root, NULL))) {
		error = cinstall_err__os(j->err, "%s: cannot resolve '%s'", j->label, dir);
		goto done;
	}
	if (!cinstall_path__is_within(real_root, real_dir))
		error = cinstall_err__set(j->err, CINSTALL_EUNSAFE, 0,
		                          "%s: '%s' is a symbolic link leading out of the environment (to '%s')",
		                          j->label, dir, real_dir);
done:
	free(real_dir);
	free(real_root);
	return error;
}

/* Remove the temporaries (".<name>.cinstall-<16 hex>", see link.c) a killed
 * install left in `dir`. */
static void remove_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *t = strstr(de->d_name, ".cinstall-");
		size_t i;
		if (de->d_name[0] != '.' || !t || strlen(t) != 10 + 16)
			continue;
		for (i = 10; i < 26 && isxdigit((unsigned char)t[i]); i++)
			;
		if (i == 26)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Make sure `dir` exists, remembering which directories we create. */
static int ensure_dir(job *j, const char *dir)
{
	dirset *e;
	char *copy, *slash;
	struct stat st;
	int error, ours = 0;

	HASH_FIND_STR(j->dirs, dir, e);
	if (e)
		return 0;
	if (!(copy = strdup(dir)))
		return cinstall_err__oom(j->err);
	if (mkdir(dir, 0755) == 0) {
		ours = 1;
		if (PUSH(j->created, j->ncreated, j->capcreated, copy) < 0) {
			free(copy);
			return cinstall_err__oom(j->err);
		}
		if (!(copy = strdup(dir)))
			return cinstall_err__oom(j->err);
	} else if (errno == ENOENT) {
		slash = strrchr(copy, '/');
		if (!slash || slash == copy) {
			free(copy);
			return cinstall_err__os(j->err, "%s: cannot create directory '%s'", j->label, dir);
		}
		*slash = '\0';
		error = ensure_dir(j, copy);
		free(copy);
		if (error < 0)
			return error;
		return ensure_dir(j, dir);
	} else if (errno != EEXIST || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (errno == EEXIST)
			errno = ENOTDIR;
		free(copy);
		return cinstall_err__os(j->err, "%s: cannot create directory '%s'", j->label, dir);
	} else if ((error = check_dir_link(j, dir)) < 0) {
		free(copy);
		return error;
	}
	if (!(e = calloc(1, sizeof(*e)))) {
		free(copy);
		return cinstall_err__oom(j->err);
	}
	e->dir = copy;
	e->ours = ours;
	HASH_ADD_KEYPTR(hh, j->dirs, e->dir, strlen(e->dir), e);
	return 0;
}

/* Make sure the parent of `path` exists; *fresh: this wheel created it. */
static int ensure_parent(job *j, const char *path, int *fresh)
{
	dirset *e = j->last_parent;
	int error;
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;

	if (!len || len >= sizeof(dir))
		return cinstall_err__set(j->err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': bad path", path);
	/* The directory of the file before: made or checked already. */
	if (e && !strncmp(e->dir, path, len) && e->dir[len] == '\0') {
		if (fresh)
			*fresh = e->ours;
		return 0;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	if ((error = ensure_dir(j, dir)) < 0)
		return error;
	HASH_FIND_STR(j->dirs, dir, e);
	j->last_parent = e;
	if (fresh)
		*fresh = e && e->ours;
	return 0;
}

/* Move `path` into the stash (created on first use), to be put back on failure. */
static int stash_file(install *in, job *j, const char *path)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	moved mv;

	if (!j->stash) {
		if (cinstall_path__join(&b, in->s->root, ".cinstall-stash-XXXXXX") < 0)
			return cinstall_err__oom(j->err);
		if (!mkdtemp(b.ptr)) {
			cinstall_buf__release(&b);
			return cinstall_err__os(j->err, "%s: cannot create a directory in '%s'", j->label,
			                        in->s->root);
		}
		j->stash = cinstall_buf__detach(&b);
	}
	if (cinstall_buf__printf(&b, "%s/%zu", j->stash, j->nmoves) < 0)
		return cinstall_err__oom(j->err);
	if (rename(path, b.ptr) < 0) {
		cinstall_buf__release(&b);
		return cinstall_err__os(j->err, "%s: cannot move '%s' aside", j->label, path);
	}
	mv.stashed = cinstall_buf__detach(&b);
	mv.orig = strdup(path);
	if (!mv.orig || PUSH(j->moves, j->nmoves, j->capmoves, mv) < 0) {
		/* Put it back at once: we could not remember it.  Failing that,
		 * the stash must outlive the rollback. */
		if (rename(mv.stashed, path) < 0)
			j->keep_stash = 1;
		free(mv.orig);
		free(mv.stashed);
		return cinstall_err__oom(j->err);
	}
	return 0;
}

/* Where every file goes, hashed and sorted: to tell a file this wheel
 * placed from one that was there (placed_here).  Made when a file is
 * first found in the way (an upgrade, a launcher named like a script),
 * not for every install into a clean environment. */
static int make_keys(install *in, job *j)
{
	cinstall_buf b = CINSTALL_BUF_INIT; /* not j->pdst: the caller's path may be there */
	size_t i;

	if (!(j->keys = malloc((j->ndests ? j->ndests : 1) * sizeof(*j->keys))))
		return cinstall_err__oom(j->err);
	for (i = 0; i < j->ndests; i++) {
		const char *dst = dest_dst_in(&b, in, j, &j->dests[i]);
		if (!dst) {
			cinstall_buf__release(&b);
			free(j->keys);
			j->keys = NULL;
			return cinstall_err__oom(j->err);
		}
		dst_hash(&j->keys[i], dst);
		j->keys[i].i = i;
	}
	cinstall_buf__release(&b);
	qsort(j->keys, j->ndests, sizeof(*j->keys), cmp_key);
	return 0;
}

/* Before creating `dst`: move an existing file away (another distribution's,
 * or a stray one) so that undo can restore it. */
static int clear_dst(install *in, job *j, const char *dst)
{
	struct stat st;
	int error;

	if (lstat(dst, &st) < 0)
		return errno == ENOENT ? 0 : cinstall_err__os(j->err, "%s: cannot inspect '%s'", j->label, dst);
	if (S_ISDIR(st.st_mode))
		return cinstall_err__set(j->err, CINSTALL_EIO, EISDIR, "%s: cannot install '%s': a directory is there",
		                         j->label, dst);
	if (j->keys_due && !j->keys && (error = make_keys(in, j)) < 0)
		return error;
	/* Our own file (a launcher named like a .data script): replace it;
	 * stashing it would bring it back on undo. */
	if (placed_here(j, dst)) {
		if (unlink(dst) < 0 && errno != ENOENT)
			return cinstall_err__os(j->err, "%s: cannot replace '%s'", j->label, dst);
		return 0;
	}
	return stash_file(in, j, dst);
}

static int note_placed(job *j, const char *dst)
{
	char *copy = strdup(dst);

	if (!copy || PUSH(j->placed, j->nplaced, j->capplaced, copy) < 0) {
		free(copy);
		return cinstall_err__oom(j->err);
	}
	return 0;
}

/* Write a generated file (launcher, metadata, rewritten script). */
static int write_generated(install *in, job *j, const char *dst, const void *data, size_t len,
                           uint32_t mode, int record)
{
	int error;

	if ((error = ensure_parent(j, dst, NULL)) < 0 || (error = clear_dst(in, j, dst)) < 0)
		return error;
	if ((error = cinstall_link__write_file(j->err, in->ctx, dst, data, len, mode)) < 0)
		return error;
	if ((error = note_placed(j, dst)) < 0)
		return error;
	return record ? add_generated_row(in, j, dst, data, len) : 0;
}

/* A .data/scripts file: "#!python" is rewritten; others keep their bytes. */
static int place_script(install *in, job *j, dest *d, const char *src, const char *dst)
{
	cinstall_buf data = CINSTALL_BUF_INIT, out = CINSTALL_BUF_INIT;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	size_t line_len = 0;
	int error = 0;

	if ((error = cinstall_uninstall__read_file(&data, j->err, src)) < 0)
		goto done;
	if (cinstall_scripts__needs_rewrite(cinstall_buf__cstr(&data), data.len, &line_len)) {
		if (cinstall_scripts__rewrite_line(&out, in->s->python) < 0 ||
		    cinstall_buf__put(&out, data.ptr + line_len, data.len - line_len) < 0) {
			error = cinstall_err__oom(j->err);
			goto done;
		}
		if ((error = write_generated(in, j, dst, out.ptr, out.len, 0755, 1)) == 0)
			d->rewritten = 1;
		goto done;
	}
	if ((error = clear_dst(in, j, dst)) < 0)
		goto done;
	req.src = src;
	req.dst = dst;
	req.mode = 0755;
	req.replace = d->conflict;
	/* A file that must change mode gets its own inode. */
	if ((d->f->mode & 0777) == 0755 && !(in->opts->flags & CINSTALL_INSTALL_NO_CACHE))
		error = cinstall_linker__place(j->linker, j->err, &req);
	else
		error = cinstall_linker__copy(j->linker, j->err, &req);
done:
	cinstall_buf__release(&data);
	cinstall_buf__release(&out);
	return error;
}

/* Open the base directory `base` for req_names (once; -2: cannot be). */
static void open_base(install *in, job *j, int base)
{
	int *fd = &j->base_fd[base];

	if (*fd == -1 && (*fd = cinstall_sys__open(base_dir(in, j, base), CINSTALL_O_DIRPATH, 0)) < 0)
		*fd = -2;
}

/* Name req's files below j->tree_fd and the base directory's descriptor
 * (opened here when `may_open`) where it can; else req keeps the paths. */
static void req_names(install *in, job *j, const dest *d, cinstall_link_req *req, int may_open)
{
	const char *base = base_dir(in, j, d->base);
	size_t len = strlen(base);
	int fd;

	if (j->tree_fd >= 0) {
		req->src_at = j->tree_fd;
		req->src_name = d->f->path;
	}
	if (may_open)
		open_base(in, j, d->base);
	fd = j->base_fd[d->base];
	if (fd >= 0 && !strncmp(req->dst, base, len) && req->dst[len] == '/' && req->dst[len + 1]) {
		req->dst_at = fd;
		req->dst_name = req->dst + len + 1;
	}
}

/* Place dests[j->ndone] and count it placed. */
static int place_file(install *in, job *j, dest *d)
{
	cinstall_buf src = CINSTALL_BUF_INIT;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	const char *dst;
	int error = 0, fresh = 0;

	if (cinstall_path__join(&src, j->tree, d->f->path) < 0 || !(dst = dest_dst(in, j, d)))
		return cinstall_err__oom(j->err);
	if ((error = ensure_parent(j, dst, &fresh)) < 0)
		goto done;
	if (d->script) {
		error = place_script(in, j, d, src.ptr, dst);
		goto done;
	}
	/* In a directory this wheel created, only another wheel of this
	 * install could have put a file (d->conflict); else look first. */
	if ((!fresh || d->conflict) && (error = clear_dst(in, j, dst)) < 0)
		goto done;
	if (in->opts->flags & CINSTALL_INSTALL_NO_CACHE) {
		/* The unpacked tree is ours and on this filesystem: move the file in. */
		if (rename(src.ptr, dst) < 0) {
			error = cinstall_err__os(j->err, "%s: cannot move '%s' into place", j->label, d->f->path);
			goto done;
		}
	} else {
		req.src = src.ptr;
		req.dst = dst;
		req.mode = d->f->mode;
		req.replace = d->conflict;
		req_names(in, j, d, &req, 1);
		if ((error = cinstall_linker__place(j->linker, j->err, &req)) < 0)
			goto done;
	}
done:
	if (error == 0) {
		j->ndone++;
		if (j->done)
			j->done[d - j->dests] = 1;
	}
	cinstall_buf__release(&src);
	return error;
}

/* ---- a split placement -------------------------------------------------
 *
 * One large wheel placed by the install's idle threads (with -jN, those
 * not placing other wheels).  The job's thread first places every file
 * that needs judgement, in order: the first (it decides the link mode),
 * scripts, files another wheel ships too, files in a directory that was
 * there before (something may be in the way); it creates every directory.
 * The rest, files going into directories this wheel created, where
 * nothing can be in the way, are then linked by the threads, each a
 * contiguous run of them, with j->done marking what is placed for undo.
 * Only for hardlink and copy: the modes that never fall back once
 * decided (a busy clone and a directory without symlinks may). */
#define PLACE_SPLIT_FILES 256 /* files per thread, at least (CINSTALL_SPLIT_MIN too) */

typedef struct place_part {
	install *in;
	job *j;
	const unsigned char *par;     /* per dest: left to the threads */
	size_t first, end;            /* dests[first..end) */
	size_t placed;
	int error;
	int started;
	cinstall_err err;
	pthread_t thread;
} place_part;

static void run_place_part(place_part *p)
{
	cinstall_buf src = CINSTALL_BUF_INIT, dst = CINSTALL_BUF_INIT;
	cinstall_link_req req = CINSTALL_LINK_REQ_INIT;
	job *j = p->j;
	uint64_t batch = 0;
	size_t i;

	for (i = p->first; i < p->end && !p->error; i++) {
		const dest *d = &j->dests[i];
		if (!p->par[i])
			continue;
		if (cinstall_path__join(&src, j->tree, d->f->path) < 0 || !dest_dst_in(&dst, p->in, j, d)) {
			p->error = cinstall_err__oom(&p->err);
			break;
		}
		req.src = src.ptr;
		req.dst = dst.ptr;
		req.mode = d->f->mode;
		req.replace = 0;
		req.src_name = req.dst_name = NULL;
		req_names(p->in, j, d, &req, 0);
		if ((p->error = cinstall_linker__place(j->linker, &p->err, &req)) < 0)
			break;
		j->done[i] = 1;
		p->placed++;
		if (++batch == 64) {
			progress(p->in, j->given, 0, batch);
			batch = 0;
		}
	}
	progress(p->in, j->given, 0, batch);
	cinstall_buf__release(&src);
	cinstall_buf__release(&dst);
}

static void *place_part_thread(void *arg)
{
	run_place_part(arg);
	return NULL;
}

/* Threads of this install's phase not working on a job: up to `want`, taken. */
static unsigned int helpers_take(install *in, unsigned int want)
{
	unsigned int got;

	pthread_mutex_lock(&in->lock);
	got = in->nthreads > in->active ? in->nthreads - in->active : 0;
	if (got > want)
		got = want;
	in->active += got;
	pthread_mutex_unlock(&in->lock);
	return got;
}

static void helpers_give(install *in, unsigned int n)
{
	pthread_mutex_lock(&in->lock);
	in->active -= n;
	pthread_mutex_unlock(&in->lock);
}

/* Link the `npar` dests marked in `par` on this thread and `helpers` more. */
static int place_split(install *in, job *j, const unsigned char *par, size_t npar, unsigned int helpers)
{
	place_part *parts;
	size_t per_part = in->ctx->split_min ? in->ctx->split_min : PLACE_SPLIT_FILES;
	size_t nparts = npar / per_part, i, k, seen = 0;
	int error = 0;

	if (nparts > 1 + (size_t)helpers)
		nparts = 1 + helpers;
	if (nparts < 1)
		nparts = 1;
	if (!(parts = calloc(nparts, sizeof(*parts))))
		return cinstall_err__oom(j->err);
	for (k = 0; k < nparts; k++) {
		parts[k].in = in;
		parts[k].j = j;
		parts[k].par = par;
		parts[k].end = j->ndests;
	}
	/* Equal counts of files, in order; the parts' directories opened
	 * before the threads start (they only read j->base_fd). */
	for (i = 0, k = 0; i < j->ndests; i++) {
		if (!par[i])
			continue;
		open_base(in, j, j->dests[i].base);
		if (seen++ == (npar * (k + 1)) / nparts && k + 1 < nparts) {
			parts[k].end = i;
			parts[++k].first = i;
		}
	}
	/* The first file decides the mode (and may fall back) on this thread
	 * alone, when no file of the wheel was linked before (the ones before
	 * were all copied: RECORD, scripts). */
	for (i = 0; i < j->ndests && !par[i]; i++)
		;
	if (i < j->ndests && !cinstall_linker__decided(j->linker)) {
		size_t end = parts[0].end;
		parts[0].first = i;
		parts[0].end = i + 1;
		run_place_part(&parts[0]);
		parts[0].first = i + 1;
		parts[0].end = end;
	}
	for (k = 1; k < nparts && !parts[0].error; k++)
		parts[k].started = cinstall_thread__create(&parts[k].thread, place_part_thread, &parts[k]) == 0;
	cinstall_ctx__log(in->ctx, CINSTALL_LOG_DEBUG, "%s: %zu files placed by %zu threads", j->label, npar, nparts);
	run_place_part(&parts[0]);
	for (k = 1; k < nparts; k++) {
		if (parts[k].started)
			pthread_join(parts[k].thread, NULL);
		else if (!parts[0].error)
			run_place_part(&parts[k]); /* no thread for it */
	}
	for (k = 0; k < nparts; k++) {
		j->ndone += parts[k].placed;
		j->files += parts[k].placed;
		if (!error && parts[k].error) {
			error = parts[k].error;
			cinstall_err__copy(j->err, &parts[k].err);
		}
	}
	free(parts);
	return error;
}

/* Read and judge entry_points.txt while the tree is intact: a bad one refuses
 * the wheel before anything is placed. */
static int read_entry_points(job *j)
{
	cinstall_buf data = CINSTALL_BUF_INIT, p = CINSTALL_BUF_INIT;
	int error = 0;

	if (cinstall_path__join(&p, j->tree, j->m->dist_info) < 0) {
		error = cinstall_err__oom(j->err);
		goto done;
	}
	if ((error = read_text(&data, j->err, p.ptr, "entry_points.txt")) < 0) {
		if (error == CINSTALL_ENOTFOUND) {
			cinstall_err__clear(j->err);
			error = 0;
		}
		goto done;
	}
	error = cinstall_scripts__parse(&j->eps, j->err, j->label, cinstall_buf__cstr(&data), data.len);
done:
	cinstall_buf__release(&data);
	cinstall_buf__release(&p);
	return error;
}

static int write_launchers(install *in, job *j)
{
	cinstall_buf text = CINSTALL_BUF_INIT, dst = CINSTALL_BUF_INIT;
	const cinstall_entry_points *eps = j->eps;
	size_t i;
	int error = 0;

	for (i = 0; eps && i < eps->n; i++) {
		cinstall_buf__truncate(&text, 0);
		cinstall_buf__truncate(&dst, 0);
		if (cinstall_scripts__launcher(&text, in->s->python, &eps->items[i]) < 0 ||
		    cinstall_path__join(&dst, in->s->scripts, eps->items[i].name) < 0) {
			error = cinstall_err__oom(j->err);
			goto done;
		}
		if ((error = write_generated(in, j, dst.ptr, text.ptr, text.len, 0755, 1)) < 0)
			goto done;
		j->files++;
	}
done:
	cinstall_buf__release(&text);
	cinstall_buf__release(&dst);
	return error;
}

/* PEP 610 for a local file: file:// URL of the absolute path, percent-encoded. */
static int direct_url(cinstall_buf *out, const job *j)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	if (cinstall_buf__printf(out, "{\"archive_info\": {\"hash\": \"sha256=%s\", \"hashes\": {\"sha256\": \"%s\"}}, "
	                              "\"url\": \"file://",
	                         j->m->wheel_sha256, j->m->wheel_sha256) < 0)
		return CINSTALL_ENOMEM;
	for (p = (const unsigned char *)j->abs; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~!$&'()*+,;=:@", *p)) {
			if (cinstall_buf__putc(out, (char)*p) < 0)
				return CINSTALL_ENOMEM;
		} else if (cinstall_buf__putc(out, '%') < 0 || cinstall_buf__putc(out, hex[*p >> 4]) < 0 ||
		           cinstall_buf__putc(out, hex[*p & 15]) < 0)
			return CINSTALL_ENOMEM;
	}
	return cinstall_buf__puts(out, "\"}");
}

static int write_metadata(install *in, job *j)
{
	cinstall_buf dst = CINSTALL_BUF_INIT, text = CINSTALL_BUF_INIT;
	int error = 0;

	if (cinstall_path__join(&dst, j->dist_info_dir, "INSTALLER") < 0)
		goto oom;
	if ((error = write_generated(in, j, dst.ptr, "cinstall\n", 9, 0644, 1)) < 0)
		goto done;
	if (!(in->opts->flags & CINSTALL_INSTALL_NOT_REQUESTED)) {
		cinstall_buf__truncate(&dst, 0);
		if (cinstall_path__join(&dst, j->dist_info_dir, "REQUESTED") < 0)
			goto oom;
		if ((error = write_generated(in, j, dst.ptr, "", 0, 0644, 1)) < 0)
			goto done;
	}
	if (j->m->wheel_sha256[0]) {
		cinstall_buf__truncate(&dst, 0);
		if (cinstall_path__join(&dst, j->dist_info_dir, "direct_url.json") < 0 || direct_url(&text, j) < 0)
			goto oom;
		if ((error = write_generated(in, j, dst.ptr, text.ptr, text.len, 0644, 1)) < 0)
			goto done;
	}
	goto done;
oom:
	error = cinstall_err__oom(j->err);
done:
	cinstall_buf__release(&dst);
	cinstall_buf__release(&text);
	return error;
}

/* Undo everything done for this wheel: placed files, created directories,
 * then the stash back where it was.  What cannot be undone is said (a
 * warning per file, and a note on the wheel's error), and an old file that
 * cannot be put back stays in the stash, which is then kept: nothing of
 * the old version is lost. */
static void rollback(install *in, job *j)
{
	size_t i, left = 0, kept = 0;
	size_t len;

	for (i = j->nplaced; i-- > 0;)
		if (unlink(j->placed[i]) < 0 && errno != ENOENT) {
			left++;
			cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING, "%s: cannot remove '%s' while undoing the install: %s",
			                  j->label, j->placed[i], strerror(errno));
		}
	for (i = j->done ? j->ndests : j->ndone; i-- > 0;) {
		const char *dst;
		if (j->done && !j->done[i])
			continue;
		dst = dest_dst(in, j, &j->dests[i]);
		if (dst && unlink(dst) < 0 && errno != ENOENT) {
			left++;
			cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING, "%s: cannot remove '%s' while undoing the install: %s",
			                  j->label, dst, strerror(errno));
		}
	}
	j->ndone = 0;
	free(j->done);
	j->done = NULL;
	for (i = j->ncreated; i-- > 0;)
		if (rmdir(j->created[i]) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
			left++;
			cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING,
			                  "%s: cannot remove the directory '%s' while undoing the install: %s", j->label,
			                  j->created[i], strerror(errno));
		}
	for (i = j->nmoves; i-- > 0;)
		if (rename(j->moves[i].stashed, j->moves[i].orig) < 0) {
			kept++;
			cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING,
			                  "%s: cannot put '%s' back while undoing the install (it is kept as '%s'): %s",
			                  j->label, j->moves[i].orig, j->moves[i].stashed, strerror(errno));
		}
	if (j->stash && (kept || j->keep_stash))
		cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING,
		                  "%s: the old files that could not be put back are kept in '%s'", j->label, j->stash);
	else if (j->stash) {
		cinstall_err e = CINSTALL_ERR_INIT;
		cinstall_path__rmtree(&e, j->stash);
	}
	len = strlen(j->err->msg);
	if ((left || kept || j->keep_stash) && len < sizeof(j->err->msg))
		snprintf(j->err->msg + len, sizeof(j->err->msg) - len,
		         "; undoing the install left %zu new file(s) behind and %zu old file(s) in '%s'", left,
		         kept, j->stash ? j->stash : "(no stash)");
	j->placed_ok = 0;
}

static void place(install *in, job *j)
{
	cinstall_removal *plan = NULL;
	unsigned char *par = NULL;
	unsigned int lflags = 0, helpers = 0;
	uint64_t batch = 0;
	size_t i, npar = 0;
	int error = 0;

	j->tree_fd = -1;
	for (i = 0; i < sizeof(j->base_fd) / sizeof(j->base_fd[0]); i++)
		j->base_fd[i] = -1;
	if (j->error || j->action == ACT_UNCHANGED)
		return;
	if (!j->dests && (error = reload(in, j)) < 0)
		goto done;
	/* Paths another wheel writes too (find_conflicts). */
	for (i = 0; j->shared && i < j->ndests; i++)
		j->dests[i].conflict = (j->shared[i / 8] >> (i % 8)) & 1;
	if (!(in->opts->flags & CINSTALL_INSTALL_NO_CACHE))
		j->tree_fd = cinstall_sys__open(j->tree, CINSTALL_O_DIRPATH, 0);
	if (in->opts->flags & CINSTALL_INSTALL_STRICT_LINK_MODE)
		lflags |= CINSTALL_LINKER_STRICT;
	if ((error = cinstall_linker__new(&j->linker, j->err, in->ctx, in->opts->link_mode, lflags, j->label)) < 0)
		goto done;
	/* Move the installed version aside (by its RECORD). */
	if (j->old) {
		error = cinstall_uninstall__plan(&plan, j->err, in->s, j->old);
		if (error == CINSTALL_ENOTFOUND && !strcmp(j->old->dist_info, j->dist_info_dir)) {
			/* Our own .dist-info without RECORD: an install of this very
			 * wheel was killed before it finished.  Placing over it
			 * completes it (what is there is replaced, file by file). */
			cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING, "%s; completing an interrupted install", j->err->msg);
			cinstall_err__clear(j->err);
			error = 0;
		}
		if (error < 0)
			goto done;
		for (i = 0; plan && i < plan->n; i++)
			if ((error = stash_file(in, j, plan->files[i])) < 0)
				goto done;
	}
	/* placed_here() may be asked from now on (see make_keys). */
	j->keys_due = 1;
	/* A large wheel alone (or the last one) is split (see place_split). */
	if (!j->old && !(in->opts->flags & CINSTALL_INSTALL_NO_CACHE) && in->nthreads > 1 &&
	    j->ndests >= 2 * (in->ctx->split_min ? in->ctx->split_min : PLACE_SPLIT_FILES))
		helpers = helpers_take(in, in->nthreads - 1);
	for (i = 0; i < j->ndests; i++) {
		dest *d = &j->dests[i];
		if (helpers && i == 1) {
			cinstall_link_mode m = cinstall_linker__mode(j->linker);
			if ((m == CINSTALL_LINK_HARDLINK || m == CINSTALL_LINK_COPY) &&
			    (j->done = calloc(j->ndests, 1)) && (par = calloc(j->ndests, 1))) {
				j->done[0] = 1;
			} else {
				free(j->done);
				j->done = NULL;
				helpers_give(in, helpers);
				helpers = 0;
			}
		}
		if (par && !d->script && !d->conflict) {
			const char *dst = dest_dst(in, j, d);
			int fresh = 0;
			if (!dst) {
				error = cinstall_err__oom(j->err);
				goto done;
			}
			if ((error = ensure_parent(j, dst, &fresh)) < 0)
				goto done;
			if (fresh) {
				par[i] = 1;
				npar++;
				continue;
			}
		}
		if ((error = place_file(in, j, d)) < 0)
			goto done;
		j->files++;
		if (++batch == 64) {
			progress(in, j->given, 0, batch);
			batch = 0;
		}
	}
	progress(in, j->given, 0, batch);
	batch = 0;
	if (npar && (error = place_split(in, j, par, npar, helpers)) < 0)
		goto done;
	if ((error = write_launchers(in, j)) < 0 || (error = write_metadata(in, j)) < 0)
		goto done;
	j->mode_used = cinstall_linker__mode(j->linker);
	j->fallbacks = cinstall_linker__fallbacks(j->linker);
	j->placed_ok = 1;
	if (!j->tmpdir)
		cinstall_digests__save(&j->digests, j->entry);
done:
	if (helpers)
		helpers_give(in, helpers);
	free(par);
	cinstall_uninstall__free_plan(plan);
	if (error < 0) {
		j->error = error;
		rollback(in, j);
	}
	j->keys_due = 0;
	free(j->keys);
	j->keys = NULL;
	if (j->tree_fd >= 0)
		close(j->tree_fd);
	j->tree_fd = -1;
	for (i = 0; i < sizeof(j->base_fd) / sizeof(j->base_fd[0]); i++) {
		if (j->base_fd[i] >= 0)
			close(j->base_fd[i]);
		j->base_fd[i] = -1;
	}
	progress(in, j->given, 0, batch);
}

/* ---- phase 5: bytecode, RECORD, commit --------------------------------- */

/* A row of RECORD while it is written: a file of the wheel, its digest
 * from the manifest, or a generated file's row. */
typedef struct out_row {
	const char *path;
	const dest *d;       /* a file of the wheel, or NULL */
	const row *gen;      /* a generated file's row, or NULL */
} out_row;

static int out_row_cmp(const void *a, const void *b)
{
	return strcmp(((const out_row *)a)->path, ((const out_row *)b)->path);
}

#define RECORD_FLUSH ((size_t)64 << 10)

/* RECORD's text, to `fd` as it is made: a row per file of the wheel (but
 * scripts written anew), per generated file, and RECORD's own, sorted by
 * path.  Made here from the manifest, not kept row by row while placing,
 * and never held whole. */
static int record_text(install *in, job *j, int fd, const char *dst)
{
	cinstall_buf rels = CINSTALL_BUF_INIT, text = CINSTALL_BUF_INIT;
	out_row *rows = NULL;
	const char *p;
	size_t i, n = 0;
	int error = 0;

	/* The RECORD paths that are not the wheel's, one after another. */
	for (i = 0; i < j->ndests; i++) {
		const dest *d = &j->dests[i];
		const char *rel;
		if (d->plain || d->rewritten)
			continue;
		if (!(rel = dest_rel(in, j, d)) || cinstall_buf__put(&rels, rel, strlen(rel) + 1) < 0)
			goto oom;
	}
	if (!(rows = malloc((j->ndests + j->nrows + 1) * sizeof(*rows))))
		goto oom;
	p = rels.ptr;
	for (i = 0; i < j->ndests; i++) {
		const dest *d = &j->dests[i];
		if (d->rewritten)
			continue;
		rows[n].d = d;
		rows[n].gen = NULL;
		if (d->plain) {
			rows[n].path = d->f->path;
		} else {
			rows[n].path = p;
			p += strlen(p) + 1;
		}
		n++;
	}
	for (i = 0; i < j->nrows; i++) {
		rows[n].path = j->rows[i].path;
		rows[n].d = NULL;
		rows[n].gen = &j->rows[i];
		n++;
	}
	qsort(rows, n, sizeof(*rows), out_row_cmp);
	for (i = 0; i < n; i++) {
		int r;
		if (rows[i].d) {
			char b64[CINSTALL_B64_MAX + 8];
			memcpy(b64, "sha256=", 7);
			cinstall_manifest__sha256_b64(b64 + 7, rows[i].d->f);
			r = cinstall_record__write_row(&text, rows[i].path, b64, (int64_t)rows[i].d->f->size);
		} else {
			r = cinstall_record__write_row(&text, rows[i].path, rows[i].gen->hash, rows[i].gen->size);
		}
		if (r < 0)
			goto oom;
		if ((text.len >= RECORD_FLUSH || i + 1 == n) && text.len) {
			if (cinstall_sys__write_all(fd, text.ptr, text.len) < 0) {
				error = cinstall_err__os(j->err, "cannot write '%s'", dst);
				goto done;
			}
			cinstall_buf__truncate(&text, 0);
		}
	}
	goto done;
oom:
	error = cinstall_err__oom(j->err);
done:
	free(rows);
	cinstall_buf__release(&rels);
	cinstall_buf__release(&text);
	return error;
}

/* RECORD, as write_generated writes a file (a temporary beside it, renamed
 * over it, under the directory's lock), but written as it is made. */
static int write_record(install *in, job *j, const char *dst)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	pthread_mutex_t *lock;
	int fd = -1, error = 0, tries, created = 0;

	if ((error = ensure_parent(j, dst, NULL)) < 0 || (error = clear_dst(in, j, dst)) < 0)
		return error;
	if (cinstall_link__dirname(dir, sizeof(dir), dst) < 0)
		return cinstall_err__set(j->err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': path is too long", dst);
	if (!(lock = cinstall_ctx__dir_lock(in->ctx, dir)))
		return cinstall_err__oom(j->err);
	pthread_mutex_lock(lock);
	for (tries = 0; fd < 0; tries++) {
		if (cinstall_link__tmpname(tmp, sizeof(tmp), dst) < 0) {
			error = cinstall_err__set(j->err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': path is too long", dst);
			goto done;
		}
		fd = cinstall_sys__open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		created = fd >= 0;
		if (fd < 0 && (errno != EEXIST || tries == 8)) {
			error = cinstall_err__os(j->err, "cannot create '%s'", tmp);
			goto done;
		}
	}
	if ((error = record_text(in, j, fd, dst)) < 0)
		goto done;
	if (cinstall_sys__close(fd) < 0) {
		fd = -1;
		error = cinstall_err__os(j->err, "cannot write '%s'", dst);
		goto done;
	}
	fd = -1;
	if (rename(tmp, dst) < 0) {
		error = cinstall_err__os(j->err, "cannot replace '%s'", dst);
		goto done;
	}
	created = 0;
done:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	pthread_mutex_unlock(lock);
	return error < 0 ? error : note_placed(j, dst);
}

/* After RECORD: free what was kept per file (the manifest's files, where
 * they went, what undo would remove).  commit() and the report need only
 * the names, the stash and the counts. */
static void shed(job *j)
{
	dirset *e, *tmp;
	size_t i;

	if (j->m)
		cinstall_manifest__drop_files(j->m);
	free(j->dests);
	j->dests = NULL;
	j->ndests = j->ndone = 0;
	free(j->done);
	j->done = NULL;
	free(j->keys);
	j->keys = NULL;
	cinstall_buf__release(&j->pdst);
	cinstall_buf__release(&j->prel);
	for (i = 0; i < j->nrows; i++) {
		free(j->rows[i].path);
		free(j->rows[i].hash);
	}
	free(j->rows);
	j->rows = NULL;
	j->nrows = j->caprows = 0;
	for (i = 0; i < j->nplaced; i++)
		free(j->placed[i]);
	free(j->placed);
	j->placed = NULL;
	j->nplaced = j->capplaced = 0;
	for (i = 0; i < j->ncreated; i++)
		free(j->created[i]);
	free(j->created);
	j->created = NULL;
	j->ncreated = j->capcreated = 0;
	j->last_parent = NULL;
	HASH_ITER(hh, j->dirs, e, tmp) {
		HASH_DEL(j->dirs, e);
		free(e->dir);
		free(e);
	}
	cinstall_scripts__free(j->eps);
	j->eps = NULL;
	cinstall_linker__free(j->linker);
	j->linker = NULL;
	cinstall_sha__free(j->sha);
	j->sha = NULL;
	cinstall_digests__release(&j->digests);
}

static void finish(install *in, job *j)
{
	cinstall_buf dst = CINSTALL_BUF_INIT, rel = CINSTALL_BUF_INIT;
	int error = 0;

	if (j->action == ACT_UNCHANGED) {
		shed(j);
		return; /* counted as done before placing */
	}
	if (j->error || !j->placed_ok)
		goto out;
	if (cinstall_path__join(&dst, j->dist_info_dir, "RECORD") < 0 ||
	    cinstall_uninstall__relpath(&rel, j->root_dir, dst.ptr) < 0 || add_row(j, rel.ptr, NULL, -1) < 0) {
		error = cinstall_err__oom(j->err);
		goto done;
	}
	error = write_record(in, j, dst.ptr);
done:
	if (error < 0) {
		j->error = error;
		rollback(in, j);
	}
out:
	cinstall_buf__release(&dst);
	cinstall_buf__release(&rel);
	progress(in, j->given, 1, 0);
	shed(j);
}

/* Without --compile-bytecode nothing waits for the other wheels between
 * placing a wheel and writing its RECORD: one wheel's files are in memory
 * only while a thread works on it. */
static void place_finish(install *in, job *j)
{
	place(in, j);
	finish(in, j);
}

/* Success: forget the stash and what the old version left behind. */
static void commit(install *in, job *j)
{
	cinstall_err e = CINSTALL_ERR_INIT;
	char **origs;
	size_t i;

	if (j->error || !j->placed_ok)
		return;
	/* The install stands; what cannot be tidied up is said, not hidden. */
	if (j->stash && cinstall_path__rmtree(&e, j->stash) < 0)
		cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING, "%s: cannot remove the old files kept in '%s' (%s); "
		                  "remove it by hand", j->label, j->stash, e.msg);
	if (j->old && strcmp(j->old->dist_info, j->dist_info_dir)) {
		struct stat st;
		/* Files the old RECORD did not list. */
		cinstall_err__clear(&e);
		if (lstat(j->old->dist_info, &st) == 0 && S_ISDIR(st.st_mode) &&
		    cinstall_path__rmtree(&e, j->old->dist_info) < 0)
			cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING, "%s: cannot remove '%s' (%s)", j->label,
			                  j->old->dist_info, e.msg);
	}
	if (j->nmoves && (origs = calloc(j->nmoves + 1, sizeof(*origs)))) {
		for (i = 0; i < j->nmoves; i++)
			origs[i] = j->moves[i].orig;
		origs[j->nmoves] = j->old ? j->old->dist_info : j->moves[0].orig;
		cinstall_uninstall__prune(in->s, origs, j->nmoves + 1);
		free(origs);
	}
}

/* The Python run for --compile-bytecode: reads NUL-separated paths from the
 * file named by argv[1], compiles them with argv[2] worker processes and
 * prints, NUL-separated and in order, the .pyc written for each (empty when
 * the file did not compile). */
static const char compile_py[] =
	"import sys, py_compile\n"
	"def c(p):\n"
	"    try:\n"
	"        return py_compile.compile(p, doraise=True) or ''\n"
	"    except Exception:\n"
	"        return ''\n"
	"files = [p for p in open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogateescape').split('\\0') if p]\n"
	"jobs = int(sys.argv[2])\n"
	"if jobs > 1 and len(files) > 32:\n"
	"    import concurrent.futures as cf\n"
	"    with cf.ProcessPoolExecutor(jobs) as ex:\n"
	"        out = list(ex.map(c, files, chunksize=16))\n"
	"else:\n"
	"    out = [c(p) for p in files]\n"
	"sys.stdout.buffer.write(b''.join(o.encode('utf-8', 'surrogateescape') + b'\\0' for o in out))\n";

/* The destination keeps the wheel path's last component: test that. */
static int is_py(const char *path)
{
	size_t len = strlen(path);

	return len >= 3 && !strcmp(path + len - 3, ".py");
}

static int compile_bytecode(install *in, cinstall_err *err)
{
	cinstall_buf list = CINSTALL_BUF_INIT, out = CINSTALL_BUF_INIT, path = CINSTALL_BUF_INIT;
	cinstall_buf pyc = CINSTALL_BUF_INIT;
	char jobs[16], *argv[6];
	posix_spawn_file_actions_t fa;
	int fds[2] = { -1, -1 }, fd = -1, status, error = 0, fa_init = 0;
	pid_t pid = -1;
	size_t i, k, npy = 0;
	const char *p, *end;
	char buf[16384];
	ssize_t n;

	for (i = 0; i < in->n; i++) {
		job *j = &in->jobs[i];
		if (j->error || !j->placed_ok)
			continue;
		for (k = 0; k < j->ndests; k++) {
			const char *dst;
			size_t len;
			if (!j->dests[k].in_lib || !is_py(j->dests[k].f->path))
				continue;
			if (!(dst = dest_dst(in, j, &j->dests[k])))
				goto oom;
			len = strlen(dst);
			if (len < 3 || strcmp(dst + len - 3, ".py"))
				continue;
			if (cinstall_buf__put(&list, dst, len + 1) < 0)
				goto oom;
			npy++;
		}
	}
	if (!npy)
		goto done;
	if (cinstall_path__join(&path, in->s->root, ".cinstall-compile-XXXXXX") < 0)
		goto oom;
	if ((fd = mkstemp(path.ptr)) < 0) {
		error = cinstall_err__os(err, "cannot create a file in '%s'", in->s->root);
		goto done;
	}
	if (cinstall_sys__write_all(fd, list.ptr, list.len) < 0) {
		error = cinstall_err__os(err, "cannot write '%s'", path.ptr);
		goto done;
	}
	close(fd);
	fd = -1;
	if (pipe(fds) < 0) {
		error = cinstall_err__os(err, "cannot create a pipe");
		goto done;
	}
	snprintf(jobs, sizeof(jobs), "%u", in->nthreads);
	argv[0] = in->s->python;
	argv[1] = (char *)"-c";
	argv[2] = (char *)compile_py;
	argv[3] = path.ptr;
	argv[4] = jobs;
	argv[5] = NULL;
	posix_spawn_file_actions_init(&fa);
	fa_init = 1;
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	if ((errno = posix_spawn(&pid, in->s->python, &fa, NULL, argv, environ)) != 0) {
		pid = -1;
		error = cinstall_err__os(err, "cannot run '%s'", in->s->python);
		goto done;
	}
	close(fds[1]);
	fds[1] = -1;
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (cinstall_buf__put(&out, buf, (size_t)n) < 0)
			goto oom;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING, "compiling bytecode with '%s' failed",
		                  in->s->python);
		goto done;
	}
	/* Walk the answers in the order of the list. */
	p = cinstall_buf__cstr(&out);
	end = p + out.len;
	for (i = 0; i < in->n && p < end; i++) {
		job *j = &in->jobs[i];
		if (j->error || !j->placed_ok)
			continue;
		for (k = 0; k < j->ndests && p < end; k++) {
			const char *dst;
			size_t len, plen;
			if (!j->dests[k].in_lib || !is_py(j->dests[k].f->path))
				continue;
			if (!(dst = dest_dst(in, j, &j->dests[k])))
				goto oom;
			len = strlen(dst);
			if (len < 3 || strcmp(dst + len - 3, ".py"))
				continue;
			plen = strlen(p);
			if (plen) {
				cinstall_err e = CINSTALL_ERR_INIT;
				cinstall_buf__truncate(&pyc, 0);
				if (cinstall_uninstall__read_file(&pyc, &e, p) == 0) {
					int herr = 0;
					char b64[CINSTALL_B64_MAX];
					cinstall_buf rel = CINSTALL_BUF_INIT;
					sha256_b64(b64, &j->sha, in->ctx, j->label, cinstall_buf__cstr(&pyc), pyc.len, &e, &herr);
					cinstall_err scratch;
					job_begin(j, &scratch);
					if (herr == 0 && cinstall_uninstall__relpath(&rel, j->root_dir, p) == 0 &&
					    add_row(j, rel.ptr, b64, (int64_t)pyc.len) == 0)
						note_placed(j, p);
					job_end(j);
					cinstall_buf__release(&rel);
				}
			}
			p += plen + 1;
		}
	}
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (fd >= 0)
		close(fd);
	if (path.ptr && path.ptr[path.len - 1] != 'X')
		unlink(path.ptr);
	cinstall_buf__release(&list);
	cinstall_buf__release(&out);
	cinstall_buf__release(&path);
	cinstall_buf__release(&pyc);
	return error;
}

/* ---- phase 3: conflicts ------------------------------------------------ */

static void mark_shared(uint64_t tag, void *payload)
{
	install *in = payload;

	/* A path two wheels write, identical or not, is placed by replacing
	 * (temporary + rename), so neither trips on the other. */
	size_t k = tag & 0xffffffffu;

	in->jobs[tag >> 32].shared[k / 8] |= (unsigned char)(1u << (k % 8));
}

static int find_conflicts(install *in, cinstall_err *err)
{
	cinstall_conflict *list = NULL;
	size_t i, n = 0;
	int error = 0;

	if (cinstall_conflicts__each_shared(in->conflicts, mark_shared, in) < 0 ||
	    cinstall_conflicts__list(&list, &n, in->conflicts) < 0) {
		error = cinstall_err__oom(err);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (cinstall_report__add_conflict(in->rep, list[i].path, list[i].dist_a, list[i].dist_b) < 0) {
			error = cinstall_err__oom(err);
			goto done;
		}
		if (in->opts->flags & CINSTALL_INSTALL_CONFLICTS_ERROR) {
			if (i == 0)
				error = cinstall_err__set(err, CINSTALL_ECONFLICT, 0,
				                          "'%s' is installed by both %s and %s, with different content",
				                          list[i].path, list[i].dist_a, list[i].dist_b);
			continue;
		}
		cinstall_ctx__log(in->ctx, CINSTALL_LOG_WARNING,
		                  "'%s' is installed by both %s and %s, with different content", list[i].path,
		                  list[i].dist_a, list[i].dist_b);
	}
done:
	cinstall_conflicts__free_list(list, n);
	cinstall_conflicts__free(in->conflicts);
	in->conflicts = NULL;
	return error;
}

/* ---- sync -------------------------------------------------------------- */

static int sync_others(install *in, cinstall_err *err)
{
	cinstall_dists *now = NULL;
	cinstall_removal **plans = NULL;
	size_t i, k;
	int error = 0;

	if ((error = cinstall_uninstall__scan(&now, err, in->s)) < 0)
		return error;
	if (!(plans = calloc(now->n ? now->n : 1, sizeof(*plans)))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	for (i = 0; i < now->n; i++) {
		for (k = 0; k < in->n; k++)
			if (in->jobs[k].norm && !strcmp(in->jobs[k].norm, now->items[i].norm))
				break;
		if (k < in->n)
			continue;
		if ((error = cinstall_uninstall__plan(&plans[i], err, in->s, &now->items[i])) < 0)
			goto done;
	}
	for (i = 0; i < now->n; i++) {
		if (!plans[i])
			continue;
		if ((error = cinstall_uninstall__remove(err, in->s, plans[i])) < 0)
			goto done;
		if (cinstall_report__add_result(in->rep, NULL, now->items[i].name, now->items[i].version,
		                                "uninstalled", CINSTALL_LINK_AUTO, 0, plans[i]->n) < 0) {
			error = cinstall_err__oom(err);
			goto done;
		}
	}
done:
	if (plans)
		for (i = 0; i < now->n; i++)
			cinstall_uninstall__free_plan(plans[i]);
	free(plans);
	cinstall_uninstall__free_dists(now);
	return error;
}

/* ---- the public call --------------------------------------------------- */

typedef struct log_tee {
	cinstall_log_cb cb;
	void *payload;
	cinstall_report *rep;
} log_tee;

/* Runs under the context's log lock: warnings also go into the report. */
static void tee_log(cinstall_log_level level, const char *message, void *payload)
{
	log_tee *t = payload;

	if (level == CINSTALL_LOG_WARNING)
		cinstall_report__add_warning(t->rep, message);
	if (t->cb)
		t->cb(level, message, t->payload);
}

static void job_release(job *j)
{
	dirset *e, *tmp;
	size_t i;

	if (j->tmpdir) {
		cinstall_err e2 = CINSTALL_ERR_INIT;
		cinstall_path__rmtree(&e2, j->tmpdir);
	}
	if (j->use_fd >= 0)
		close(j->use_fd);
	j->use_fd = -1;
	free(j->abs);
	cinstall_scripts__free(j->eps);
	cinstall_wheel_filename_free(j->wf);
	cinstall_digests__release(&j->digests);
	free(j->entry);
	free(j->tree);
	free(j->tmpdir);
	cinstall_manifest__free(j->m);
	free(j->norm);
	free(j->dist_info_dir);
	free(j->headers_dir);
	free(j->dests);
	free(j->done);
	free(j->shared);
	free(j->keys);
	cinstall_buf__release(&j->pdst);
	cinstall_buf__release(&j->prel);
	for (i = 0; i < j->nrows; i++) {
		free(j->rows[i].path);
		free(j->rows[i].hash);
	}
	free(j->rows);
	for (i = 0; i < j->nplaced; i++)
		free(j->placed[i]);
	free(j->placed);
	for (i = 0; i < j->ncreated; i++)
		free(j->created[i]);
	free(j->created);
	j->last_parent = NULL;
	HASH_ITER(hh, j->dirs, e, tmp) {
		HASH_DEL(j->dirs, e);
		free(e->dir);
		free(e);
	}
	free(j->stash);
	for (i = 0; i < j->nmoves; i++) {
		free(j->moves[i].orig);
		free(j->moves[i].stashed);
	}
	free(j->moves);
	cinstall_linker__free(j->linker);
	cinstall_sha__free(j->sha);
	free(j->saved);
}

static const char *action_name(int action)
{
	return action == ACT_UNCHANGED ? "unchanged" : action == ACT_REPLACE ? "replaced" : "installed";
}

int cinstall_install(cinstall_report **out, cinstall_ctx *ctx, const cinstall_install_options *opts,
                     const char *const *wheels, size_t nwheels)
{
	static const cinstall_install_options defaults = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_err err = CINSTALL_ERR_INIT;
	install in;
	log_tee t;
	size_t i, k;
	int error = 0, teed = 0, lock_init = 0;

	if (out)
		*out = NULL;
	if (!ctx)
		return CINSTALL_EINVAL;
	if (!opts)
		opts = &defaults;
	memset(&in, 0, sizeof(in));
	in.ctx = ctx;
	in.opts = opts;
	in.n = nwheels;
	if (opts->version < 1 || opts->version > CINSTALL_INSTALL_OPTIONS_VERSION || (nwheels && !wheels) ||
	    (unsigned int)opts->link_mode > CINSTALL_LINK_COPY) {
		error = cinstall_err__set(&err, CINSTALL_EINVAL, 0, "bad install options");
		goto done;
	}
	for (i = 0; i < nwheels; i++)
		if (!wheels[i]) {
			error = cinstall_err__set(&err, CINSTALL_EINVAL, 0, "wheel %zu is NULL", i);
			goto done;
		}
	if (cinstall_report__new(&in.rep) < 0 || !(in.jobs = calloc(nwheels ? nwheels : 1, sizeof(*in.jobs))) ||
	    cinstall_conflicts__new(&in.conflicts) < 0) {
		error = cinstall_err__oom(&err);
		goto done;
	}
	for (i = 0; i < nwheels; i++)
		in.jobs[i].use_fd = -1;
	pthread_mutex_init(&in.lock, NULL);
	lock_init = 1;
	in.nthreads = opts->jobs ? opts->jobs : ctx->jobs;
	if (!in.nthreads)
		in.nthreads = 1;
	t.cb = ctx->opts.log_cb;
	t.payload = ctx->opts.log_payload;
	t.rep = in.rep;
	pthread_mutex_lock(&ctx->log_lock);
	ctx->opts.log_cb = tee_log;
	ctx->opts.log_payload = &t;
	pthread_mutex_unlock(&ctx->log_lock);
	teed = 1;

	/* 1. The environment. */
	if ((error = cinstall_scheme__resolve(&in.s, ctx, &err, opts)) < 0)
		goto done;
	if ((error = cinstall_uninstall__scan(&in.dists, &err, in.s)) < 0)
		goto done;

	/* 2. Every wheel: unpack, check, decide. */
	for (i = 0; i < nwheels; i++) {
		in.jobs[i].given = wheels[i];
		in.jobs[i].env_root = in.s->root;
	}
	prepare_all(&in);
	for (i = 0; i < nwheels && !error; i++) {
		if (in.jobs[i].error) {
			job_error(&err, &in.jobs[i]);
			error = in.jobs[i].error;
			break;
		}
		for (k = 0; k < i; k++)
			if (!strcmp(in.jobs[k].norm, in.jobs[i].norm)) {
				error = cinstall_err__set(&err, CINSTALL_EINVAL, 0,
				                          "%s: distribution '%s' is given twice (also %s)",
				                          in.jobs[i].label, in.jobs[i].m->name, in.jobs[k].label);
				break;
			}
	}
	if (error)
		goto done;
	for (i = 0; i < nwheels; i++)
		if (in.jobs[i].action != ACT_UNCHANGED)
			in.files_total += in.jobs[i].ndests;
		else
			in.wheels_done++;

	/* 3. Conflicts between the wheels. */
	if ((error = find_conflicts(&in, &err)) < 0)
		goto done;
#ifdef __GLIBC__
	/* What a big wheel's unpack and the conflict check freed goes back to
	 * the system before placing starts (glibc keeps free memory inside
	 * its heaps otherwise, and placing allocates in other places of them,
	 * or in another thread's heap): with the trim after the big wheels,
	 * 98 wheels and one of 20,000 files at -j2 (two arenas) peaked at
	 * 14.9-15.1 MiB instead of 15.7-16.4, each under a millisecond. */
	if (in.trim)
		malloc_trim(0);
#endif

	/* 4. Place.  First, what installs killed before their RECORD left:
	 * temporaries, removed here, before any thread writes its own. */
	{
		int interrupted = 0;
		cinstall_buf rp = CINSTALL_BUF_INIT;
		for (i = 0; i < nwheels; i++) {
			job *j = &in.jobs[i];
			if (j->error || j->action == ACT_UNCHANGED || !j->old || strcmp(j->old->dist_info, j->dist_info_dir))
				continue;
			cinstall_buf__truncate(&rp, 0);
			if (cinstall_path__join(&rp, j->dist_info_dir, "RECORD") == 0 && access(rp.ptr, F_OK) < 0) {
				remove_temporaries(j->dist_info_dir);
				interrupted = 1;
			}
		}
		if (interrupted)
			remove_temporaries(in.s->scripts);
		cinstall_buf__release(&rp);
	}
	/* 5. Bytecode, RECORD, and the stashes dropped. */
	if (opts->flags & CINSTALL_INSTALL_COMPILE_BYTECODE) {
		cinstall_err cerr = CINSTALL_ERR_INIT;
		run_parallel(&in, place);
		if (compile_bytecode(&in, &cerr) < 0)
			cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "bytecode not compiled: %s", cerr.msg);
		run_parallel(&in, finish);
	} else {
		run_parallel(&in, place_finish);
	}
	for (i = 0; i < nwheels; i++)
		commit(&in, &in.jobs[i]);

	for (i = 0; i < nwheels; i++) {
		job *j = &in.jobs[i];
		if (j->error) {
			if (!error) {
				job_error(&err, j);
				error = j->error;
			}
			continue;
		}
		if (cinstall_report__add_result(in.rep, j->given, j->m->name, j->m->version, action_name(j->action),
		                                j->action == ACT_UNCHANGED ? opts->link_mode : j->mode_used,
		                                j->fallbacks, j->files) < 0 && !error)
			error = cinstall_err__oom(&err);
	}

	/* 6. Sync: nothing else stays. */
	if (!error && (opts->flags & CINSTALL_INSTALL_SYNC))
		error = sync_others(&in, &err);
done:
	if (teed) {
		pthread_mutex_lock(&ctx->log_lock);
		ctx->opts.log_cb = t.cb;
		ctx->opts.log_payload = t.payload;
		pthread_mutex_unlock(&ctx->log_lock);
	}
	if (in.jobs)
		for (i = 0; i < nwheels; i++)
			job_release(&in.jobs[i]);
	free(in.jobs);
	if (lock_init)
		pthread_mutex_destroy(&in.lock);
	cinstall_uninstall__free_dists(in.dists);
	cinstall_scheme__free(in.s);
	cinstall_conflicts__free(in.conflicts);
	if (out)
		*out = in.rep;
	else
		cinstall_report_free(in.rep);
	if (error < 0)
		return cinstall_ctx__fail(ctx, &err);
	return 0;
}
