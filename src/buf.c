/* buf.c - growable strings. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cinstall_buf__grow(cinstall_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;
	char *p;

	if (need < b->len)
		return CINSTALL_ENOMEM;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(b->ptr, cap);
	if (!p)
		return CINSTALL_ENOMEM;
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int cinstall_buf__put(cinstall_buf *b, const void *data, size_t len)
{
	if (cinstall_buf__grow(b, len) < 0)
		return CINSTALL_ENOMEM;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int cinstall_buf__puts(cinstall_buf *b, const char *s)
{
	return cinstall_buf__put(b, s, strlen(s));
}

int cinstall_buf__putc(cinstall_buf *b, char c)
{
	return cinstall_buf__put(b, &c, 1);
}

/* Formats once into the spare room when the result fits (the usual case
 * with a reused buffer), twice only when the buffer has to grow. */
int cinstall_buf__printf(cinstall_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->ptr + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CINSTALL_ENOMEM;
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return 0;
	}
	if (room)
		b->ptr[b->len] = '\0'; /* unchanged on failure below */
	if (cinstall_buf__grow(b, (size_t)n) < 0)
		return CINSTALL_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void cinstall_buf__truncate(cinstall_buf *b, size_t len)
{
	if (b->ptr && len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

const char *cinstall_buf__cstr(const cinstall_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *cinstall_buf__detach(cinstall_buf *b)
{
	char *p = b->ptr;

	if (!p)
		p = calloc(1, 1);
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void cinstall_buf__release(cinstall_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

int cinstall_array__grow(void **ptr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap < *cap || ncap > (size_t)-1 / size || !(p = realloc(*ptr, ncap * size)))
		return CINSTALL_ENOMEM;
	*ptr = p;
	*cap = ncap;
	return 0;
}
