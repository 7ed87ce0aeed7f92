/* dl.h - libarchive and libzip, bound when a wheel is first read.
 *
 * A warm install (every wheel already in the cache) reads no zip, yet a
 * process linked against libarchive loads it and everything it needs
 * (libxml2, ICU, libstdc++, nettle, five compressors) before main: 7.3M of
 * the 8.8M instructions of a warm install of a 100-file wheel were the
 * dynamic loader's.  So the library opens both with dlopen when a context
 * first reads a wheel, takes the functions it calls from them, and keeps
 * them for the context's life.  The system's shared objects, by soname, as
 * the link would have taken them: their security updates still apply.
 *
 * `make DLOPEN=0` links both directly instead (the same tables, filled with
 * the linked functions' addresses), for a static build or a libc without
 * dlopen.
 *
 * Callers take a table for the context, then call through it:
 *   ar->archive_read_next_header(a, &e)
 * Each table's member has the name and type of the function it holds
 * (typeof the declaration in the library's header), so a prototype that
 * changes is a compile error, and a call that forgets the table does not
 * link (DLOPEN=1 does not link the libraries at all).
 */
#ifndef CINSTALL_DL_H
#define CINSTALL_DL_H

#include <archive.h>
#include <archive_entry.h>
#include <pthread.h>
#include <zip.h>

#include "err.h"

#define CINSTALL_LIBARCHIVE_FUNCS(X)                                                                                  \
	X(archive_entry_filetype)                                                                                      \
	X(archive_entry_hardlink)                                                                                      \
	X(archive_entry_pathname)                                                                                      \
	X(archive_entry_pathname_utf8)                                                                                 \
	X(archive_entry_perm)                                                                                          \
	X(archive_entry_size)                                                                                          \
	X(archive_entry_size_is_set)                                                                                   \
	X(archive_error_string)                                                                                        \
	X(archive_read_data_block)                                                                                     \
	X(archive_read_free)                                                                                           \
	X(archive_read_new)                                                                                            \
	X(archive_read_next_header)                                                                                    \
	X(archive_read_open1)                                                                                          \
	X(archive_read_open_fd)                                                                                        \
	X(archive_read_set_callback_data)                                                                              \
	X(archive_read_set_read_callback)                                                                              \
	X(archive_read_set_seek_callback)                                                                              \
	X(archive_read_set_skip_callback)                                                                              \
	X(archive_read_support_format_zip_seekable)                                                                    \
	X(archive_read_support_format_zip_streamable)                                                                  \
	X(archive_set_error)

#define CINSTALL_LIBZIP_FUNCS(X)                                                                                      \
	X(zip_discard)                                                                                                 \
	X(zip_error_code_zip)                                                                                          \
	X(zip_error_fini)                                                                                              \
	X(zip_error_init)                                                                                              \
	X(zip_error_set)                                                                                               \
	X(zip_error_strerror)                                                                                          \
	X(zip_error_to_data)                                                                                           \
	X(zip_get_name)                                                                                                \
	X(zip_get_num_entries)                                                                                         \
	X(zip_open_from_source)                                                                                        \
	X(zip_source_free)                                                                                             \
	X(zip_source_function_create)                                                                                  \
	X(zip_source_make_command_bitmap)                                                                              \
	X(zip_source_seek_compute_offset)                                                                              \
	X(zip_stat_init)

#define CINSTALL_DL_MEMBER(f) __typeof__(f) *f;

typedef struct cinstall_libarchive {
	CINSTALL_LIBARCHIVE_FUNCS(CINSTALL_DL_MEMBER)
} cinstall_libarchive;

typedef struct cinstall_libzip {
	CINSTALL_LIBZIP_FUNCS(CINSTALL_DL_MEMBER)
} cinstall_libzip;

/* A context's tables (in struct cinstall_ctx).  A library that fails to
 * load is tried again at the next call: the failure is not remembered. */
typedef struct cinstall_dl {
	pthread_mutex_t lock;
	void *archive_handle, *zip_handle;
	int archive_ready, zip_ready;
	cinstall_libarchive archive;
	cinstall_libzip zip;
} cinstall_dl;

void cinstall_dl__init(cinstall_dl *dl);
/* dlclose what was opened. */
void cinstall_dl__release(cinstall_dl *dl);

/* The table of libarchive (of libzip) into *out, loading the library the
 * first time; thread-safe.  On failure sets `err` (CINSTALL_ERROR, naming
 * `wheel`, the library and dlerror's cause) and returns its code. */
int cinstall_dl__libarchive(const cinstall_libarchive **out, cinstall_dl *dl, cinstall_err *err, const char *wheel);
int cinstall_dl__libzip(const cinstall_libzip **out, cinstall_dl *dl, cinstall_err *err, const char *wheel);

#endif
