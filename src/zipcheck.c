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
#include <unistd.h>
#include <zip.h>

#include "path.h"
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

/* Open the zip on a duplicate of `fd` with libzip.  NULL with *zerr set on
 * failure (ZIP_ER_MEMORY, ZIP_ER_INCONS, ...). */
static zip_t *open_zip(int fd, int flags, int *zerr, char *why, size_t cap)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za = NULL;
	FILE *fp;
	int dfd = dup(fd);

	*zerr = 0;
	zip_error_init(&ze);
	if (dfd < 0 || lseek(dfd, 0, SEEK_SET) < 0 || !(fp = fdopen(dfd, "rb"))) {
		*zerr = ZIP_ER_OPEN;
		snprintf(why, cap, "cannot open: %s", strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto done;
	}
	if (!(src = zip_source_filep_create(fp, 0, -1, &ze))) {
		fclose(fp);
		goto failed;
	}
	if (!(za = zip_open_from_source(src, flags | ZIP_RDONLY, &ze))) {
		zip_source_free(src); /* closes fp */
		goto failed;
	}
	goto done;
failed:
	*zerr = zip_error_code_zip(&ze);
	snprintf(why, cap, "%s", zip_error_strerror(&ze));
done:
	zip_error_fini(&ze);
	return za;
}

/* The first name the local headers and the central directory disagree on,
 * as an error; 0 when no name differs (then method, time or sizes do). */
static int diagnose(cinstall_err *err, const char *wheel, int fd)
{
	cd_name *set = NULL, *c;
	struct archive *a = NULL;
	struct archive_entry *e;
	locale_t utf8, saved = (locale_t)0;
	char why[256], q[512];
	zip_int64_t i, n;
	zip_t *za;
	int zerr, r, error = 0;

	if (!(za = open_zip(fd, 0, &zerr, why, sizeof(why))))
		return zerr == ZIP_ER_MEMORY ? cinstall_err__oom(err) : 0;
	n = zip_get_num_entries(za, 0);
	for (i = 0; i < n; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
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
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		saved = uselocale(utf8);
	if (!(a = archive_read_new()) || archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK)
		goto restore;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname_utf8(e);
		size_t len;
		if (!name && !(name = archive_entry_pathname(e)))
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
		archive_read_free(a);
	if (utf8) {
		uselocale(saved);
		freelocale(utf8);
	}
done:
	free_names(&set);
	zip_discard(za);
	return error;
}

int cinstall_zipcheck__run(cinstall_err *err, size_t *out_entries, const char *wheel, int fd)
{
	char why[256];
	zip_t *za;
	zip_int64_t n;
	int zerr, error;

	*out_entries = 0;
	if ((za = open_zip(fd, ZIP_CHECKCONS, &zerr, why, sizeof(why)))) {
		n = zip_get_num_entries(za, 0);
		*out_entries = n > 0 ? (size_t)n : 0;
		zip_discard(za);
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
		if ((error = diagnose(err, wheel, fd)) < 0)
			return error;
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
		                         "%s: a local file header disagrees with the central directory "
		                         "(compression method, time, sizes or CRC-32; libzip: %s)",
		                         wheel, why);
	default:
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: damaged zip archive (libzip: %s)", wheel, why);
	}
}
