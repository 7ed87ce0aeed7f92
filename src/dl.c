/* dl.c - libarchive and libzip, bound when a wheel is first read (dl.h). */
#include "dl.h"

#include <string.h>

#ifndef CINSTALL_DLOPEN
#define CINSTALL_DLOPEN 1
#endif

#if CINSTALL_DLOPEN
#include <dlfcn.h>
#if !defined(CINSTALL_LIBARCHIVE_SONAME) || !defined(CINSTALL_LIBZIP_SONAME)
#error "the Makefile passes the sonames (CINSTALL_LIBARCHIVE_SONAME, CINSTALL_LIBZIP_SONAME), or build with DLOPEN=0"
#endif
_Static_assert(sizeof(CINSTALL_LIBARCHIVE_SONAME) > 1 && sizeof(CINSTALL_LIBZIP_SONAME) > 1,
               "no soname for libarchive or libzip: are libarchive-dev and libzip-dev installed?");
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
#endif
	pthread_mutex_destroy(&dl->lock);
	memset(dl, 0, sizeof(*dl));
}

#if CINSTALL_DLOPEN
/* Open `soname`, or say why not.  RTLD_LOCAL: the symbols stay out of the
 * process's global scope, where a host's own libarchive may be. */
static void *open_lib(cinstall_err *err, const char *wheel, const char *soname)
{
	void *h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	const char *why;

	if (!h) {
		why = dlerror();
		cinstall_err__set(err, CINSTALL_ERROR, 0, "%s: cannot read it: '%s' cannot be loaded (%s)", wheel, soname,
		                  why ? why : "no reason given");
	}
	return h;
}

static int no_symbol(cinstall_err *err, const char *wheel, const char *soname, const char *name)
{
	const char *why = dlerror();

	return cinstall_err__set(err, CINSTALL_ERROR, 0, "%s: cannot read it: '%s' has no '%s' (%s)", wheel, soname, name,
	                         why ? why : "no reason given");
}

/* Fill a table member from the handle `h`; on a missing symbol, fail. */
#define CINSTALL_DL_SYM(f)                                                                                             \
	if (!error && !(*(void **)&t->f = dlsym(h, #f)))                                                             \
		error = no_symbol(err, wheel, soname, #f);
#else
#define CINSTALL_DL_SYM(f) t->f = f;
#endif

static int load_archive(cinstall_dl *dl, cinstall_err *err, const char *wheel)
{
	cinstall_libarchive *t = &dl->archive;
	int error = 0;
#if CINSTALL_DLOPEN
	const char *soname = CINSTALL_LIBARCHIVE_SONAME;
	void *h = open_lib(err, wheel, soname);

	if (!h)
		return CINSTALL_ERROR;
	CINSTALL_LIBARCHIVE_FUNCS(CINSTALL_DL_SYM)
	if (error < 0) {
		dlclose(h);
		return error;
	}
	dl->archive_handle = h;
#else
	(void)err;
	(void)wheel;
	CINSTALL_LIBARCHIVE_FUNCS(CINSTALL_DL_SYM)
#endif
	dl->archive_ready = 1;
	return error;
}

static int load_zip(cinstall_dl *dl, cinstall_err *err, const char *wheel)
{
	cinstall_libzip *t = &dl->zip;
	int error = 0;
#if CINSTALL_DLOPEN
	const char *soname = CINSTALL_LIBZIP_SONAME;
	void *h = open_lib(err, wheel, soname);

	if (!h)
		return CINSTALL_ERROR;
	CINSTALL_LIBZIP_FUNCS(CINSTALL_DL_SYM)
	if (error < 0) {
		dlclose(h);
		return error;
	}
	dl->zip_handle = h;
#else
	(void)err;
	(void)wheel;
	CINSTALL_LIBZIP_FUNCS(CINSTALL_DL_SYM)
#endif
	dl->zip_ready = 1;
	return error;
}

int cinstall_dl__libarchive(const cinstall_libarchive **out, cinstall_dl *dl, cinstall_err *err, const char *wheel)
{
	int error = 0;

	pthread_mutex_lock(&dl->lock);
	if (!dl->archive_ready)
		error = load_archive(dl, err, wheel);
	pthread_mutex_unlock(&dl->lock);
	*out = error < 0 ? NULL : &dl->archive;
	return error;
}

int cinstall_dl__libzip(const cinstall_libzip **out, cinstall_dl *dl, cinstall_err *err, const char *wheel)
{
	int error = 0;

	pthread_mutex_lock(&dl->lock);
	if (!dl->zip_ready)
		error = load_zip(dl, err, wheel);
	pthread_mutex_unlock(&dl->lock);
	*out = error < 0 ? NULL : &dl->zip;
	return error;
}
