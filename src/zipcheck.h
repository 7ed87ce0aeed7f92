/* zipcheck.h - a wheel's local file headers agree with its central directory.
 *
 * libarchive's seekable zip reader walks the central directory but takes
 * each entry's name from the local file header, without comparing the two.
 * A zip whose two views differ is a parser differential: Python's zipfile
 * (so pip and pypa/installer) refuses it, other tools would see other
 * files.  libzip's ZIP_CHECKCONS compares every local header with its
 * central directory record (name, method, time, sizes, CRC-32).
 */
#ifndef CINSTALL_ZIPCHECK_H
#define CINSTALL_ZIPCHECK_H

#include <locale.h>

#include "dl.h"
#include "err.h"

/* Check the zip open on `fd` (any file offset; it is moved) with libzip
 * `zl` (and name a bad entry with libarchive `ar`, reading names in the
 * C.UTF-8 locale `utf8`, the context's, or 0; with `ar` NULL the entry is
 * not named, and `fd`'s offset is left alone).  `wheel` names
 * the wheel in messages.  On success *out_entries is the central
 * directory's number of entries (0 otherwise).  Returns 0, or CINSTALL_EBADWHEEL with a message
 * naming the entry where it can be found ("<wheel>: '<entry>': ..."),
 * CINSTALL_EIO or CINSTALL_ENOMEM. */
int cinstall_zipcheck__run(cinstall_err *err, size_t *out_entries, const cinstall_libzip *zl,
                           const cinstall_libarchive *ar, locale_t utf8, const char *wheel, int fd);

#endif
