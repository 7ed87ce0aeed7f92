/* buf.h - a growable, always NUL-terminated byte string (git's strbuf). */
#ifndef CINSTALL_BUF_H
#define CINSTALL_BUF_H

#include <stddef.h>

#include "err.h"

/* Invariant: ptr is NULL or points at len bytes followed by a NUL;
 * the buffer owns ptr.  A zeroed struct is an empty buffer. */
typedef struct cinstall_buf {
	char *ptr;
	size_t len;
	size_t cap;
} cinstall_buf;

#define CINSTALL_BUF_INIT { NULL, 0, 0 }

/* All return 0 or CINSTALL_ENOMEM. */
int cinstall_buf__grow(cinstall_buf *b, size_t extra);
int cinstall_buf__put(cinstall_buf *b, const void *data, size_t len);
int cinstall_buf__puts(cinstall_buf *b, const char *s);
int cinstall_buf__putc(cinstall_buf *b, char c);
int cinstall_buf__printf(cinstall_buf *b, const char *fmt, ...) CINSTALL_PRINTF(2, 3);
/* Shrink to `len` bytes. */
void cinstall_buf__truncate(cinstall_buf *b, size_t len);
/* Contents as a string ("" when empty; never NULL). */
const char *cinstall_buf__cstr(const cinstall_buf *b);
/* Hand the string to the caller (who frees it); the buffer is left empty. */
char *cinstall_buf__detach(cinstall_buf *b);
void cinstall_buf__release(cinstall_buf *b);

/* An array of `size`-byte items at *ptr, `*cap` long, `n` used: room for
 * one more (the capacity doubled when full).  0 or CINSTALL_ENOMEM. */
int cinstall_array__grow(void **ptr, size_t *cap, size_t n, size_t size);

#endif
