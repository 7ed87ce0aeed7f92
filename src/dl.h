/* dl.h - libarchive, libzip and libcrypto, bound when first needed.
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
 * libcrypto likewise, when a context first computes a SHA-2 digest: it is
 * built with BIND_NOW, and loading it (thousands of symbol relocations,
 * 125 pages faulted in) took 0.45 ms, more than linking a 100-file wheel
 * from the cache.  A warm install whose generated files' digests are known
 * (see digests.h) computes none.
 *
 * `make DLOPEN=0` links all three directly instead (the same tables, filled with
 * the linked functions' addresses), for a static build or a libc without
 * dlopen.  The cinstall command has libarchive's zip reader linked in
 * (src/zipstack/zipstack.c): where that object is linked, libarchive's
 * table is its own and libarchive.so is never opened.
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

/* SHA256_Init and the like are deprecated in OpenSSL 3 (hash.c says why
 * we use them); a libcrypto built without them has only EVP. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/opensslconf.h>
#include <openssl/evp.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#include <openssl/sha.h>
#endif

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
	X(archive_filter_bytes)                                                                                        \
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

#ifndef OPENSSL_NO_DEPRECATED_3_0
#define CINSTALL_LIBCRYPTO_SHA_FUNCS(X)                                                                               \
	X(SHA256_Init)                                                                                                 \
	X(SHA256_Update)                                                                                               \
	X(SHA256_Final)                                                                                                \
	X(SHA384_Init)                                                                                                 \
	X(SHA384_Update)                                                                                               \
	X(SHA384_Final)                                                                                                \
	X(SHA512_Init)                                                                                                 \
	X(SHA512_Update)                                                                                               \
	X(SHA512_Final)
#else
#define CINSTALL_LIBCRYPTO_SHA_FUNCS(X)
#endif

#define CINSTALL_LIBCRYPTO_FUNCS(X)                                                                                   \
	X(EVP_DigestFinal_ex)                                                                                          \
	X(EVP_DigestInit_ex)                                                                                           \
	X(EVP_DigestUpdate)                                                                                            \
	X(EVP_MD_CTX_free)                                                                                             \
	X(EVP_MD_CTX_new)                                                                                              \
	X(EVP_sha256)                                                                                                  \
	X(EVP_sha384)                                                                                                  \
	X(EVP_sha512)                                                                                                  \
	CINSTALL_LIBCRYPTO_SHA_FUNCS(X)

#define CINSTALL_DL_MEMBER(f) __typeof__(f) *f;

typedef struct cinstall_libarchive {
	CINSTALL_LIBARCHIVE_FUNCS(CINSTALL_DL_MEMBER)
} cinstall_libarchive;

typedef struct cinstall_libzip {
	CINSTALL_LIBZIP_FUNCS(CINSTALL_DL_MEMBER)
} cinstall_libzip;

typedef struct cinstall_libcrypto {
	CINSTALL_LIBCRYPTO_FUNCS(CINSTALL_DL_MEMBER)
} cinstall_libcrypto;

/* A context's tables (in struct cinstall_ctx).  A library that fails to
 * load is tried again at the next call: the failure is not remembered. */
typedef struct cinstall_dl {
	pthread_mutex_t lock;
	void *archive_handle, *zip_handle, *crypto_handle;
	int archive_ready, zip_ready, crypto_ready;
	cinstall_libarchive archive;
	cinstall_libzip zip;
	cinstall_libcrypto crypto;
} cinstall_dl;

void cinstall_dl__init(cinstall_dl *dl);
/* dlclose what was opened. */
void cinstall_dl__release(cinstall_dl *dl);

/* The table of libarchive (of libzip) into *out, loading the library the
 * first time; thread-safe.  On failure sets `err` (CINSTALL_ERROR, naming
 * `wheel`, the library and dlerror's cause) and returns its code. */
int cinstall_dl__libarchive(const cinstall_libarchive **out, cinstall_dl *dl, cinstall_err *err, const char *wheel);
int cinstall_dl__libzip(const cinstall_libzip **out, cinstall_dl *dl, cinstall_err *err, const char *wheel);
/* libcrypto's table; a failure reads "<what>: cannot compute SHA-2
 * digests: ...", `what` naming the wheel (and file) that needed one. */
int cinstall_dl__libcrypto(const cinstall_libcrypto **out, cinstall_dl *dl, cinstall_err *err, const char *what);

#endif
