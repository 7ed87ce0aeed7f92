/* err.h - error values carried inside the library (one per worker). */
#ifndef CINSTALL_ERR_H
#define CINSTALL_ERR_H

#include "cinstall.h"

#define CINSTALL_ERR_MSG_MAX 1024

/* An error: a CINSTALL_E* code, the OS errno (or 0) and a message in git's
 * style: lowercase, problem first, naming the wheel and the entry. */
typedef struct cinstall_err {
	int code;
	int os_errno;
	char msg[CINSTALL_ERR_MSG_MAX];
} cinstall_err;

#define CINSTALL_ERR_INIT { 0, 0, { 0 } }

#if defined(__GNUC__)
#define CINSTALL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CINSTALL_PRINTF(a, b)
#endif

/* Set `e` and return `code`, so callers can write `return cinstall_err__set(...)`. */
int cinstall_err__set(cinstall_err *e, int code, int os_errno, const char *fmt, ...)
	CINSTALL_PRINTF(4, 5);

/* Set `e` from errno after a failed system call: the code is CINSTALL_ENOMEM
 * for ENOMEM, CINSTALL_ENOTFOUND for ENOENT, else CINSTALL_EIO, and the
 * message is the formatted text followed by ": " and strerror(errno). */
int cinstall_err__os(cinstall_err *e, const char *fmt, ...) CINSTALL_PRINTF(2, 3);

/* Like cinstall_err__os but with an explicit errno value and code. */
int cinstall_err__errno(cinstall_err *e, int code, int os_errno, const char *fmt, ...)
	CINSTALL_PRINTF(4, 5);

/* Set ENOMEM. */
int cinstall_err__oom(cinstall_err *e);

/* Copy `src` into `dst` (either may be the same). */
void cinstall_err__copy(cinstall_err *dst, const cinstall_err *src);

/* Clear. */
void cinstall_err__clear(cinstall_err *e);

#endif
