/* record.h - the wheel's RECORD: CSV as Python's csv module writes it. */
#ifndef CINSTALL_RECORD_H
#define CINSTALL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct cinstall_record_row { char *path; char *hash; /* "sha256=<b64>" or NULL */ int64_t size; /* -1 when empty */ } cinstall_record_row;
typedef struct cinstall_record { size_t n; cinstall_record_row *rows; } cinstall_record;

/* Called for each row of RECORD as it is read: `path` and `hash` (NULL when
 * empty) live until the callback returns; `size` is -1 when empty; `line`
 * is the row's first line.  A nonzero return stops the reader and is
 * passed up. */
typedef int (*cinstall_record_row_cb)(const char *path, const char *hash, int64_t size, size_t line,
                                      void *payload);

/* Reads RECORD fed in pieces of any size (a row may span pieces), holding
 * only the row being read: RECORD of a wheel of 50,000 files is ~6 MiB of
 * text, never all in memory. */
typedef struct cinstall_record_reader {
	cinstall_err *err;
	const char *wheel;
	cinstall_record_row_cb cb;
	void *payload;
	cinstall_buf field[3];
	size_t n;        /* fields of the current row started */
	size_t line;     /* current line */
	size_t row_line; /* the current row's first line */
	int state;
	int error;       /* sticky */
} cinstall_record_reader;

void cinstall_record__reader_init(cinstall_record_reader *r, cinstall_err *err, const char *wheel,
                                  cinstall_record_row_cb cb, void *payload);
/* Feed the next `len` bytes; 0, CINSTALL_ERECORD naming the line, CINSTALL_ENOMEM, or the callback's code. */
int cinstall_record__reader_feed(cinstall_record_reader *r, const char *data, size_t len);
/* The end of RECORD: the last row (when not ended by a line break). */
int cinstall_record__reader_end(cinstall_record_reader *r);
void cinstall_record__reader_release(cinstall_record_reader *r);

/* Parse RECORD (CSV as Python's csv module writes it: quoting, commas in paths, CRLF or LF). `wheel` names the wheel in messages.
 * Malformed input is CINSTALL_ERECORD naming the line. */
int cinstall_record__parse(cinstall_record **out, cinstall_err *err, const char *wheel, const char *data, size_t len);
void cinstall_record__free(cinstall_record *r);

/* Append one CSV row "path,hash,size\n" with Python csv quoting; hash NULL and size < 0 write empty fields. */
int cinstall_record__write_row(cinstall_buf *out, const char *path, const char *hash, int64_t size);

#endif
