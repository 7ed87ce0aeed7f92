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

/* Fields of the row being read. */
typedef struct row {
	cinstall_buf field[3];
	size_t n;       /* fields seen so far */
} row;

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

static int finish_row(cinstall_record *r, size_t *cap, cinstall_err *err, const char *wheel, size_t line, row *rw)
{
	cinstall_record_row *nr;
	size_t i;
	int error = 0;

	/* A blank line is no row, as with csv.reader. */
	if (rw->n == 1 && rw->field[0].len == 0)
		goto done;
	if (rw->n != 3) {
		error = bad(err, wheel, line, rw->n > 3 ? "more than three fields" : "fewer than three fields");
		goto done;
	}
	if (rw->field[0].len == 0) {
		error = bad(err, wheel, line, "empty path");
		goto done;
	}
	if (memchr(rw->field[0].ptr, '\0', rw->field[0].len) || memchr(rw->field[1].ptr ? rw->field[1].ptr : "", '\0', rw->field[1].len)) {
		error = bad(err, wheel, line, "NUL byte");
		goto done;
	}
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		if (!(nr = realloc(r->rows, ncap * sizeof(*nr)))) {
			error = cinstall_err__oom(err);
			goto done;
		}
		r->rows = nr;
		*cap = ncap;
	}
	nr = &r->rows[r->n];
	memset(nr, 0, sizeof(*nr));
	if (parse_size(&nr->size, cinstall_buf__cstr(&rw->field[2])) < 0) {
		error = bad(err, wheel, line, "size is not a number");
		goto done;
	}
	if (rw->field[1].len && !strchr(rw->field[1].ptr, '=')) {
		error = bad(err, wheel, line, "hash is not of the form 'algorithm=digest'");
		goto done;
	}
	nr->path = cinstall_buf__detach(&rw->field[0]);
	nr->hash = rw->field[1].len ? cinstall_buf__detach(&rw->field[1]) : NULL;
	if (!nr->path || (rw->field[1].len && !nr->hash)) {
		free(nr->path);
		free(nr->hash);
		error = cinstall_err__oom(err);
		goto done;
	}
	r->n++;
done:
	for (i = 0; i < 3; i++)
		cinstall_buf__truncate(&rw->field[i], 0);
	rw->n = 0;
	return error;
}

int cinstall_record__parse(cinstall_record **out, cinstall_err *err, const char *wheel, const char *data, size_t len)
{
	cinstall_record *r = NULL;
	row rw;
	size_t cap = 0, line = 1, row_line = 1, i;
	const char *p = data, *end = data + len;
	int error = 0;

	*out = NULL;
	memset(&rw, 0, sizeof(rw));
	if (!(r = calloc(1, sizeof(*r))))
		return cinstall_err__oom(err);
	while (p < end) {
		cinstall_buf *f;
		/* Start of a field. */
		if (rw.n == 3) {
			error = bad(err, wheel, row_line, "more than three fields");
			goto done;
		}
		f = &rw.field[rw.n++];
		if (*p == '"') {
			/* Quoted: up to a lone quote; "" is a quote; newlines kept. */
			p++;
			for (;;) {
				if (p >= end) {
					error = bad(err, wheel, row_line, "unterminated quoted field");
					goto done;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						if (cinstall_buf__putc(f, '"') < 0)
							goto oom;
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n')
					line++;
				if (cinstall_buf__putc(f, *p++) < 0)
					goto oom;
			}
		}
		/* Unquoted (or the rest after a closing quote, which csv keeps). */
		while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
			if (cinstall_buf__putc(f, *p++) < 0)
				goto oom;
		}
		if (p < end && *p == ',') {
			p++;
			if (p == end || *p == '\n' || *p == '\r') {
				/* A trailing ',' makes one more, empty, field. */
				if (rw.n == 3) {
					error = bad(err, wheel, row_line, "more than three fields");
					goto done;
				}
				rw.n++;
			} else {
				continue;
			}
		}
		/* End of row. */
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		if ((error = finish_row(r, &cap, err, wheel, row_line, &rw)) < 0)
			goto done;
		row_line = ++line;
	}
	if (rw.n && (error = finish_row(r, &cap, err, wheel, row_line, &rw)) < 0)
		goto done;
	*out = r;
	r = NULL;
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	for (i = 0; i < 3; i++)
		cinstall_buf__release(&rw.field[i]);
	cinstall_record__free(r);
	return error;
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
