/* err.c - error values and the fixed text of each code. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vformat(cinstall_err *e, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int cinstall_err__set(cinstall_err *e, int code, int os_errno, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	e->os_errno = os_errno;
	va_start(ap, fmt);
	vformat(e, fmt, ap);
	va_end(ap);
	return code;
}

static int errno_code(int os_errno)
{
	switch (os_errno) {
	case ENOMEM:
		return CINSTALL_ENOMEM;
	case ENOENT:
		return CINSTALL_ENOTFOUND;
	default:
		return CINSTALL_EIO;
	}
}

static int verr(cinstall_err *e, int code, int os_errno, const char *fmt, va_list ap)
{
	size_t len;

	if (!e)
		return code;
	e->code = code;
	e->os_errno = os_errno;
	vformat(e, fmt, ap);
	len = strlen(e->msg);
	if (len < sizeof(e->msg))
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(os_errno));
	return code;
}

int cinstall_err__os(cinstall_err *e, const char *fmt, ...)
{
	int os_errno = errno;
	va_list ap;
	int code;

	va_start(ap, fmt);
	code = verr(e, errno_code(os_errno), os_errno, fmt, ap);
	va_end(ap);
	return code;
}

int cinstall_err__errno(cinstall_err *e, int code, int os_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = verr(e, code, os_errno, fmt, ap);
	va_end(ap);
	return code;
}

int cinstall_err__oom(cinstall_err *e)
{
	return cinstall_err__set(e, CINSTALL_ENOMEM, ENOMEM, "out of memory");
}

void cinstall_err__copy(cinstall_err *dst, const cinstall_err *src)
{
	if (dst && src && dst != src)
		memcpy(dst, src, sizeof(*dst));
}

void cinstall_err__clear(cinstall_err *e)
{
	if (e) {
		e->code = 0;
		e->os_errno = 0;
		e->msg[0] = '\0';
	}
}

const char *cinstall_strerror(int code)
{
	switch (code) {
	case CINSTALL_OK: return "success";
	case CINSTALL_ERROR: return "error";
	case CINSTALL_ENOMEM: return "out of memory";
	case CINSTALL_EINVAL: return "invalid argument";
	case CINSTALL_EIO: return "input/output error";
	case CINSTALL_EBADWHEEL: return "invalid wheel";
	case CINSTALL_ERECORD: return "file does not match RECORD";
	case CINSTALL_ENOTSUP: return "not supported here";
	case CINSTALL_ENOTFOUND: return "not found";
	case CINSTALL_EINCOMPAT: return "wheel not compatible with the target";
	case CINSTALL_ECONFLICT: return "conflicting files";
	case CINSTALL_ELOCK: return "lock timeout";
	case CINSTALL_EUNSAFE: return "unsafe path";
	case CINSTALL_ELIMIT: return "archive limit exceeded";
	case CINSTALL_ECACHE: return "damaged cache entry";
	default: return "unknown error";
	}
}
