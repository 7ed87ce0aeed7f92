/* zipcheck.c - a wheel's local file headers agree with its central directory.
 *
 * libzip does the comparison (ZIP_CHECKCONS).  It says only that the
 * archive is inconsistent, not where; to name the entry, a failed check is
 * followed by a diagnosis: the central directory's names (libzip) against
 * the local headers' names (libarchive, which reads those).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "path.h"
#include "sys.h"
#include "uthash/uthash.h"
#include "zipcheck.h"

typedef struct cd_name {
	UT_hash_handle hh;
	int seen;
	size_t len;
	char name[];
} cd_name;

static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		n--; /* directories: "a/" in one view may be "a" in the other */
	return n;
}

static void free_names(cd_name **set)
{
	cd_name *c, *tmp;

	HASH_ITER(hh, *set, c, tmp) {
		HASH_DEL(*set, c);
		free(c);
	}
}

/*
 * libzip reads the wheel through this source: pread into a window of
 * WINDOW bytes.  ZIP_CHECKCONS reads every local header, a few dozen
 * bytes each, with a seek before it; through stdio that was five lseeks
 * and two or three reads per entry (150,000 system calls at 20,000
 * files), here one pread per window of headers.  The descriptor's file
 * offset is left alone.
 */
#define WINDOW ((size_t)64 << 10)

typedef struct wsrc {
	const cinstall_libzip *zl;
	int fd;
	zip_uint64_t size, pos;          /* the file's size; where the next read starts */
	zip_uint64_t start;              /* the window holds [start, start + len) */
	size_t len;
	zip_error_t error;
	unsigned char buf[WINDOW];
} wsrc;

static zip_int64_t wsrc_fail(wsrc *w, int ze)
{
	w->zl->zip_error_set(&w->error, ze, errno);
	return -1;
}

static zip_int64_t wsrc_read(wsrc *w, unsigned char *out, zip_uint64_t want)
{
	zip_uint64_t done = 0;
	ssize_t n;

	zip_uint64_t avail = w->pos < w->size ? w->size - w->pos : 0;

	if (want > avail)
		want = avail;
	while (done < want) {
		zip_uint64_t at = w->pos + done, left = want - done;
		if (at >= w->start && at < w->start + w->len) {
			size_t k = (size_t)(w->start + w->len - at);
			if (k > left)
				k = (size_t)left;
			memcpy(out + done, w->buf + (at - w->start), k);
			done += k;
			continue;
		}
		if (left >= WINDOW) { /* a large read (the central directory): straight in */
			n = cinstall_sys__pread(w->fd, out + done, (size_t)left, at);
		} else {
			n = cinstall_sys__pread(w->fd, w->buf, WINDOW, at);
			if (n > 0) {
				w->start = at;
				w->len = (size_t)n;
				continue;
			}
		}
		if (n < 0)
			return wsrc_fail(w, ZIP_ER_READ);
		if (n == 0)
			break; /* shorter than it was */
		done += (zip_uint64_t)n;
	}
	w->pos += done;
	return (zip_int64_t)done;
}

static zip_int64_t wsrc_cb(void *state, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	wsrc *w = state;
	struct stat st;
	zip_int64_t to;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		if (fstat(w->fd, &st) < 0)
			return wsrc_fail(w, ZIP_ER_OPEN);
		w->size = (zip_uint64_t)st.st_size;
		w->pos = w->start = 0;
		w->len = 0;
		return 0;
	case ZIP_SOURCE_READ:
		return wsrc_read(w, data, len);
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *zs = data; /* ZIP_SOURCE_GET_ARGS, through the table */
		if (len < sizeof(*zs)) {
			w->zl->zip_error_set(&w->error, ZIP_ER_INVAL, 0);
			return -1;
		}
		if (fstat(w->fd, &st) < 0)
			return wsrc_fail(w, ZIP_ER_READ);
		w->zl->zip_stat_init(zs);
		zs->size = (zip_uint64_t)st.st_size;
		zs->mtime = st.st_mtime;
		zs->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
		return (zip_int64_t)sizeof(*zs);
	}
	case ZIP_SOURCE_ERROR:
		return w->zl->zip_error_to_data(&w->error, data, len);
	case ZIP_SOURCE_FREE:
		w->zl->zip_error_fini(&w->error);
		free(w);
		return 0;
	case ZIP_SOURCE_SEEK:
		if ((to = w->zl->zip_source_seek_compute_offset(w->pos, w->size, data, len, &w->error)) < 0)
			return -1;
		w->pos = (zip_uint64_t)to;
		return 0;
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)w->pos;
	case ZIP_SOURCE_SUPPORTS:
		return w->zl->zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
		                                             ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
		                                             ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_SUPPORTS, -1);
	default:
		w->zl->zip_error_set(&w->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

/* Open the zip on `fd` with libzip.  NULL with *zerr set on failure
 * (ZIP_ER_MEMORY, ZIP_ER_INCONS, ...). */
static zip_t *open_zip(const cinstall_libzip *zl, int fd, int flags, int *zerr, char *why, size_t cap)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za = NULL;
	wsrc *w = malloc(sizeof(*w));

	*zerr = 0;
	zl->zip_error_init(&ze);
	if (!w) {
		*zerr = ZIP_ER_MEMORY;
		snprintf(why, cap, "out of memory");
		goto done;
	}
	w->zl = zl;
	w->fd = fd;
	zl->zip_error_init(&w->error);
	if (!(src = zl->zip_source_function_create(wsrc_cb, w, &ze))) {
		zl->zip_error_fini(&w->error);
		free(w);
		goto failed;
	}
	if (!(za = zl->zip_open_from_source(src, flags | ZIP_RDONLY, &ze))) {
		zl->zip_source_free(src); /* frees w */
		goto failed;
	}
	goto done;
failed:
	*zerr = zl->zip_error_code_zip(&ze);
	snprintf(why, cap, "%s", zl->zip_error_strerror(&ze));
done:
	zl->zip_error_fini(&ze);
	return za;
}

/* The first name the local headers and the central directory disagree on,
 * as an error; 0 when no name differs (then method, time or sizes do). */
static int diagnose(cinstall_err *err, const cinstall_libzip *zl, const cinstall_libarchive *ar, locale_t utf8,
                    const char *wheel, int fd)
{
	cd_name *set = NULL, *c;
	struct archive *a = NULL;
	struct archive_entry *e;
	locale_t saved = (locale_t)0;
	char why[256], q[512];
	zip_int64_t i, n;
	zip_t *za;
	int zerr, r, error = 0;

	if (!(za = open_zip(zl, fd, 0, &zerr, why, sizeof(why))))
		return zerr == ZIP_ER_MEMORY ? cinstall_err__oom(err) : 0;
	n = zl->zip_get_num_entries(za, 0);
	for (i = 0; i < n; i++) {
		const char *name = zl->zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
		size_t len;
		if (!name)
			continue;
		len = name_len(name);
		HASH_FIND(hh, set, name, len, c);
		if (c)
			continue;
		if (!(c = malloc(sizeof(*c) + len + 1))) {
			error = cinstall_err__oom(err);
			goto done;
		}
		memcpy(c->name, name, len);
		c->name[len] = '\0';
		c->len = len;
		c->seen = 0;
		HASH_ADD(hh, set, name, len, c);
	}

	/* libarchive names entries as their local headers do (see unpack.c
	 * for the locale). */
	if (utf8)
		saved = uselocale(utf8);
	if (!(a = ar->archive_read_new()) || ar->archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    lseek(fd, 0, SEEK_SET) < 0 || ar->archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK)
		goto restore;
	while ((r = ar->archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = ar->archive_entry_pathname_utf8(e);
		size_t len;
		if (!name && !(name = ar->archive_entry_pathname(e)))
			continue;
		len = name_len(name);
		HASH_FIND(hh, set, name, len, c);
		if (!c) {
			cinstall_path__quote(q, sizeof(q), name);
			error = cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
			                          "%s: '%s': local file header names a file the central directory "
			                          "does not list (the zip's two views of its contents differ)",
			                          wheel, q);
			goto restore;
		}
		c->seen = 1;
	}
	for (c = set; c; c = c->hh.next)
		if (!c->seen) {
			cinstall_path__quote(q, sizeof(q), c->name);
			error = cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
			                          "%s: '%s': listed in the central directory, but no local file header "
			                          "has that name (the zip's two views of its contents differ)",
			                          wheel, q);
			break;
		}
restore:
	if (a)
		ar->archive_read_free(a);
	if (utf8)
		uselocale(saved);
done:
	free_names(&set);
	zl->zip_discard(za);
	return error;
}

int cinstall_zipcheck__run(cinstall_err *err, size_t *out_entries, const cinstall_libzip *zl,
                           const cinstall_libarchive *ar, locale_t utf8, const char *wheel, int fd)
{
	char why[256];
	zip_t *za;
	zip_int64_t n;
	int zerr, error;

	*out_entries = 0;
	if ((za = open_zip(zl, fd, ZIP_CHECKCONS, &zerr, why, sizeof(why)))) {
		n = zl->zip_get_num_entries(za, 0);
		*out_entries = n > 0 ? (size_t)n : 0;
		zl->zip_discard(za);
		return 0;
	}
	switch (zerr) {
	case ZIP_ER_MEMORY:
		return cinstall_err__oom(err);
	case ZIP_ER_OPEN:
	case ZIP_ER_READ:
	case ZIP_ER_SEEK:
		return cinstall_err__set(err, CINSTALL_EIO, 0, "%s: cannot read the zip's headers: %s", wheel, why);
	case ZIP_ER_INCONS:
		if (ar && (error = diagnose(err, zl, ar, utf8, wheel, fd)) < 0)
			return error;
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
		                         "%s: a local file header disagrees with the central directory "
		                         "(compression method, time, sizes or CRC-32; libzip: %s)",
		                         wheel, why);
	default:
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: damaged zip archive (libzip: %s)", wheel, why);
	}
}
