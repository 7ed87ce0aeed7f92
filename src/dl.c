/* dl.c - libarchive, libzip and libcrypto, bound when first needed (dl.h). */
#include "dl.h"

#include <stddef.h>
#include <string.h>

#ifndef CINSTALL_DLOPEN
#define CINSTALL_DLOPEN 1
#endif

#if CINSTALL_DLOPEN
#include <dlfcn.h>
#if !defined(CINSTALL_LIBARCHIVE_SONAME) || !defined(CINSTALL_LIBZIP_SONAME) || !defined(CINSTALL_LIBCRYPTO_SONAME)
#error "the Makefile passes the sonames (CINSTALL_LIB{ARCHIVE,ZIP,CRYPTO}_SONAME), or build with DLOPEN=0"
#endif
_Static_assert(sizeof(CINSTALL_LIBARCHIVE_SONAME) > 1 && sizeof(CINSTALL_LIBZIP_SONAME) > 1 &&
                       sizeof(CINSTALL_LIBCRYPTO_SONAME) > 1,
               "no soname for libarchive, libzip or libcrypto: are libarchive-dev, libzip-dev and libssl-dev installed?");
#else
/* Linked directly: the names serve only the (unused) messages. */
#ifndef CINSTALL_LIBARCHIVE_SONAME
#define CINSTALL_LIBARCHIVE_SONAME "libarchive"
#endif
#ifndef CINSTALL_LIBZIP_SONAME
#define CINSTALL_LIBZIP_SONAME "libzip"
#endif
#ifndef CINSTALL_LIBCRYPTO_SONAME
#define CINSTALL_LIBCRYPTO_SONAME "libcrypto"
#endif
#endif

void cinstall_dl__init(cinstall_dl *dl)
{
	memset(dl, 0, sizeof(*dl));
	pthread_mutex_init(&dl->lock, NULL);
}

void cinstall_dl__release(cinstall_dl *dl)
{
#if CINSTALL_DLOPEN
	if (dl->archive_handle)
		dlclose(dl->archive_handle);
	if (dl->zip_handle)
		dlclose(dl->zip_handle);
	if (dl->crypto_handle)
		dlclose(dl->crypto_handle);
#endif
	pthread_mutex_destroy(&dl->lock);
	memset(dl, 0, sizeof(*dl));
}

/* One function of a table: its name, where it goes, and (linked
 * directly) its address. */
typedef struct dl_sym {
	const char *name;
	size_t off;
	void *addr;
} dl_sym;

#if CINSTALL_DLOPEN
#define CINSTALL_DL_SYM(type, f) { #f, offsetof(type, f), NULL },
#else
#define CINSTALL_DL_SYM(type, f) { #f, offsetof(type, f), (void *)f },
#endif
#define CINSTALL_DL_ARCHIVE_SYM(f) CINSTALL_DL_SYM(cinstall_libarchive, f)
#define CINSTALL_DL_ZIP_SYM(f) CINSTALL_DL_SYM(cinstall_libzip, f)
#define CINSTALL_DL_CRYPTO_SYM(f) CINSTALL_DL_SYM(cinstall_libcrypto, f)

static const dl_sym archive_syms[] = { CINSTALL_LIBARCHIVE_FUNCS(CINSTALL_DL_ARCHIVE_SYM) };
static const dl_sym zip_syms[] = { CINSTALL_LIBZIP_FUNCS(CINSTALL_DL_ZIP_SYM) };
static const dl_sym crypto_syms[] = { CINSTALL_LIBCRYPTO_FUNCS(CINSTALL_DL_CRYPTO_SYM) };

/* Fill `table` with `syms` from `soname` (or, linked directly, with their
 * addresses), once: under dl->lock, *ready says it is done (set after the
 * table, read without the lock).  A failure is "<what>: cannot <task>:
 * ...". */
static int load(cinstall_dl *dl, void *table, void **handle, int *ready, const char *soname, const dl_sym *syms,
                size_t n, cinstall_err *err, const char *what, const char *task)
{
	size_t i;
	int error = 0;
#if CINSTALL_DLOPEN
	const char *why;
	void *h;
#endif

	/* Loaded: no lock (another thread may hold it for a while, loading
	 * another library). */
	if (__atomic_load_n(ready, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&dl->lock);
	if (*ready)
		goto done;
#if CINSTALL_DLOPEN
	/* RTLD_LOCAL: the symbols stay out of the process's global scope,
	 * where a host's own libarchive may be. */
	if (!(h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL))) {
		why = dlerror();
		error = cinstall_err__set(err, CINSTALL_ERROR, 0, "%s: cannot %s: '%s' cannot be loaded (%s)", what,
		                          task, soname, why ? why : "no reason given");
		goto done;
	}
	for (i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			why = dlerror();
			error = cinstall_err__set(err, CINSTALL_ERROR, 0, "%s: cannot %s: '%s' has no '%s' (%s)", what,
			                          task, soname, syms[i].name, why ? why : "no reason given");
			dlclose(h);
			goto done;
		}
		memcpy((char *)table + syms[i].off, &f, sizeof(f));
	}
	*handle = h;
#else
	(void)soname;
	(void)err;
	(void)what;
	(void)task;
	(void)handle;
	for (i = 0; i < n; i++)
		memcpy((char *)table + syms[i].off, &syms[i].addr, sizeof(syms[i].addr));
#endif
	__atomic_store_n(ready, 1, __ATOMIC_RELEASE); /* after the table */
done:
	pthread_mutex_unlock(&dl->lock);
	return error;
}

/* libarchive linked into the command (src/zipstack/zipstack.c): defined
 * only where $(BUILD)/zipstack.o is linked; elsewhere (libcinstall.so, a
 * host linking libcinstall.a) its address is NULL. */
extern const cinstall_libarchive cinstall_zipstack__archive __attribute__((weak, visibility("hidden")));

int cinstall_dl__libarchive(const cinstall_libarchive **out, cinstall_dl *dl, cinstall_err *err, const char *wheel)
{
	int error;

	if (&cinstall_zipstack__archive) {
		*out = &cinstall_zipstack__archive;
		return 0;
	}
	error = load(dl, &dl->archive, &dl->archive_handle, &dl->archive_ready, CINSTALL_LIBARCHIVE_SONAME,
	             archive_syms, sizeof(archive_syms) / sizeof(archive_syms[0]), err, wheel, "read it");

	*out = error < 0 ? NULL : &dl->archive;
	return error;
}

int cinstall_dl__libzip(const cinstall_libzip **out, cinstall_dl *dl, cinstall_err *err, const char *wheel)
{
	int error = load(dl, &dl->zip, &dl->zip_handle, &dl->zip_ready, CINSTALL_LIBZIP_SONAME, zip_syms,
	                 sizeof(zip_syms) / sizeof(zip_syms[0]), err, wheel, "read it");

	*out = error < 0 ? NULL : &dl->zip;
	return error;
}

int cinstall_dl__libcrypto(const cinstall_libcrypto **out, cinstall_dl *dl, cinstall_err *err, const char *what)
{
	int error = load(dl, &dl->crypto, &dl->crypto_handle, &dl->crypto_ready, CINSTALL_LIBCRYPTO_SONAME,
	                 crypto_syms, sizeof(crypto_syms) / sizeof(crypto_syms[0]), err, what,
	                 "compute SHA-2 digests");

	*out = error < 0 ? NULL : &dl->crypto;
	return error;
}
