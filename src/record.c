/* record.c - RECORD, read and written as Python's csv module does (the
 * "excel" dialect: ',' separated, '"' quoting with doubled quotes, any of
 * CR, LF or CRLF ending a row). */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

void cinstall_record__free(cinstall_record *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->rows[i].path);
		free(r->rows[i].hash);
	}
	free(r->rows);
	free(r);
}

static int bad(cinstall_err *err, const char *wheel, size_t line, const char *why)
{
	return cinstall_err__set(err, CINSTALL_ERECORD, 0, "%s: RECORD line %zu: %s", wheel, line, why);
}

static int parse_size(int64_t *out, const char *s)
{
	int64_t v = 0;

	if (!*s) {
		*out = -1;
		return 0;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* Where the reader is within the CSV. */
enum {
	S_LINE,     /* at the start of a row */
	S_FIELD,    /* after a ',': a field starts here */
	S_UNQUOTED, /* in a field's unquoted part */
	S_QUOTED,   /* inside quotes */
	S_QUOTE,    /* after a '"' inside quotes: a doubled quote, or the closing one */
	S_CR        /* after a '\r' that ended a row: a '\n' belongs to it */
};

void cinstall_record__reader_init(cinstall_record_reader *r, cinstall_err *err, const char *wheel,
                                  cinstall_record_row_cb cb, void *payload)
{
	memset(r, 0, sizeof(*r));
	r->err = err;
	r->wheel = wheel;
	r->cb = cb;
	r->payload = payload;
	r->line = r->row_line = 1;
	r->state = S_LINE;
}

void cinstall_record__reader_release(cinstall_record_reader *r)
{
	size_t i;

	for (i = 0; i < 3; i++)
		cinstall_buf__release(&r->field[i]);
}

/* The row is complete: check it and hand it to the callback. */
static int end_row(cinstall_record_reader *r)
{
	cinstall_buf *f = r->field;
	int64_t size;
	size_t i;
	int error = 0;

	/* A blank line is no row, as with csv.reader. */
	if (r->n == 1 && f[0].len == 0)
		goto done;
	if (r->n != 3) {
		error = bad(r->err, r->wheel, r->row_line, r->n > 3 ? "more than three fields" : "fewer than three fields");
		goto done;
	}
	if (f[0].len == 0) {
		error = bad(r->err, r->wheel, r->row_line, "empty path");
		goto done;
	}
	if (memchr(f[0].ptr, '\0', f[0].len) || (f[1].len && memchr(f[1].ptr, '\0', f[1].len))) {
		error = bad(r->err, r->wheel, r->row_line, "NUL byte");
		goto done;
	}
	if (parse_size(&size, cinstall_buf__cstr(&f[2])) < 0) {
		error = bad(r->err, r->wheel, r->row_line, "size is not a number");
		goto done;
	}
	if (f[1].len && !strchr(f[1].ptr, '=')) {
		error = bad(r->err, r->wheel, r->row_line, "hash is not of the form 'algorithm=digest'");
		goto done;
	}
	error = r->cb(f[0].ptr, f[1].len ? f[1].ptr : NULL, size, r->row_line, r->payload);
done:
	for (i = 0; i < 3; i++)
		cinstall_buf__truncate(&f[i], 0);
	r->n = 0;
	r->row_line = ++r->line;
	return error;
}

/* Start a field (at most three). */
static int start_field(cinstall_record_reader *r)
{
	if (r->n == 3)
		return bad(r->err, r->wheel, r->row_line, "more than three fields");
	r->n++;
	return 0;
}

int cinstall_record__reader_feed(cinstall_record_reader *r, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	if (r->error)
		return r->error;
	while (p < end) {
		char c = *p;
		cinstall_buf *f = r->n ? &r->field[r->n - 1] : NULL;

		switch (r->state) {
		case S_CR:
			r->state = S_LINE;
			if (c == '\n')
				p++;
			continue;
		case S_FIELD:
			if (c == '\n' || c == '\r') {
				/* A trailing ',' makes one more, empty, field. */
				if ((r->error = start_field(r)) < 0 || (r->error = end_row(r)) != 0)
					return r->error;
				r->state = c == '\r' ? S_CR : S_LINE;
				p++;
				continue;
			}
			/* fall through */
		case S_LINE:
			if ((r->error = start_field(r)) < 0)
				return r->error;
			if (c == '"') {
				r->state = S_QUOTED;
				p++;
			} else {
				r->state = S_UNQUOTED;
			}
			continue;
		case S_UNQUOTED: {
			/* The run up to the next separator at once. */
			const char *q = p;
			while (q < end && *q != ',' && *q != '\n' && *q != '\r')
				q++;
			if (q > p && cinstall_buf__put(f, p, (size_t)(q - p)) < 0)
				goto oom;
			p = q;
			if (p == end)
				continue;
			c = *p++;
			if (c == ',') {
				r->state = S_FIELD;
				continue;
			}
			if ((r->error = end_row(r)) != 0)
				return r->error;
			r->state = c == '\r' ? S_CR : S_LINE;
			continue;
		}
		case S_QUOTED: {
			const char *q = p;
			while (q < end && *q != '"') {
				if (*q == '\n')
					r->line++;
				q++;
			}
			if (q > p && cinstall_buf__put(f, p, (size_t)(q - p)) < 0)
				goto oom;
			p = q;
			if (p < end) {
				p++;
				r->state = S_QUOTE;
			}
			continue;
		}
		case S_QUOTE:
			if (c == '"') {
				/* "" is a quote; the field stays quoted. */
				if (cinstall_buf__putc(f, '"') < 0)
					goto oom;
				p++;
				r->state = S_QUOTED;
			} else {
				/* Closed: the rest, if any, is kept as csv does. */
				r->state = S_UNQUOTED;
			}
			continue;
		}
	}
	return 0;
oom:
	return r->error = cinstall_err__oom(r->err);
}

int cinstall_record__reader_end(cinstall_record_reader *r)
{
	if (r->error)
		return r->error;
	switch (r->state) {
	case S_QUOTED:
		return r->error = bad(r->err, r->wheel, r->row_line, "unterminated quoted field");
	case S_FIELD:
		if ((r->error = start_field(r)) < 0)
			return r->error;
		/* fall through */
	case S_UNQUOTED:
	case S_QUOTE:
		r->error = end_row(r);
		r->state = S_LINE;
		return r->error;
	default:
		return 0;
	}
}

/* For cinstall_record__parse: keep every row. */
typedef struct keep_rows {
	cinstall_record *r;
	size_t cap;
	cinstall_err *err;
} keep_rows;

static int keep_row(const char *path, const char *hash, int64_t size, size_t line, void *payload)
{
	keep_rows *k = payload;
	cinstall_record_row *nr;

	(void)line;
	if (k->r->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 64;
		if (!(nr = realloc(k->r->rows, ncap * sizeof(*nr))))
			return cinstall_err__oom(k->err);
		k->r->rows = nr;
		k->cap = ncap;
	}
	nr = &k->r->rows[k->r->n];
	nr->size = size;
	nr->path = strdup(path);
	nr->hash = hash ? strdup(hash) : NULL;
	if (!nr->path || (hash && !nr->hash)) {
		free(nr->path);
		free(nr->hash);
		return cinstall_err__oom(k->err);
	}
	k->r->n++;
	return 0;
}

int cinstall_record__parse(cinstall_record **out, cinstall_err *err, const char *wheel, const char *data, size_t len)
{
	cinstall_record_reader rd;
	keep_rows k;
	int error;

	*out = NULL;
	memset(&k, 0, sizeof(k));
	k.err = err;
	if (!(k.r = calloc(1, sizeof(*k.r))))
		return cinstall_err__oom(err);
	cinstall_record__reader_init(&rd, err, wheel, keep_row, &k);
	if ((error = cinstall_record__reader_feed(&rd, data, len)) == 0)
		error = cinstall_record__reader_end(&rd);
	cinstall_record__reader_release(&rd);
	if (error < 0) {
		cinstall_record__free(k.r);
		return error;
	}
	*out = k.r;
	return 0;
}

/* Python's csv (QUOTE_MINIMAL) quotes a field holding the delimiter, the
 * quote character or a line break, and an empty only field. */
static int put_field(cinstall_buf *out, const char *s)
{
	const char *p;

	if (!strpbrk(s, ",\"\r\n"))
		return cinstall_buf__puts(out, s);
	if (cinstall_buf__putc(out, '"') < 0)
		return CINSTALL_ENOMEM;
	for (p = s; *p; p++) {
		if (*p == '"' && cinstall_buf__putc(out, '"') < 0)
			return CINSTALL_ENOMEM;
		if (cinstall_buf__putc(out, *p) < 0)
			return CINSTALL_ENOMEM;
	}
	return cinstall_buf__putc(out, '"');
}

int cinstall_record__write_row(cinstall_buf *out, const char *path, const char *hash, int64_t size)
{
	if (put_field(out, path) < 0 || cinstall_buf__putc(out, ',') < 0 ||
	    put_field(out, hash ? hash : "") < 0 || cinstall_buf__putc(out, ',') < 0)
		return CINSTALL_ENOMEM;
	if (size >= 0) {
		char digits[24], *p = digits + sizeof(digits);
		uint64_t v = (uint64_t)size;

		*--p = '\n';
		do
			*--p = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		return cinstall_buf__put(out, p, (size_t)(digits + sizeof(digits) - p));
	}
	return cinstall_buf__putc(out, '\n');
}
