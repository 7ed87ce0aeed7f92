/* record.h - the wheel's RECORD: CSV as Python's csv module writes it. */
#ifndef CINSTALL_RECORD_H
#define CINSTALL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct cinstall_record_row { char *path; char *hash; /* "sha256=<b64>" or NULL */ int64_t size; /* -1 when empty */ } cinstall_record_row;
typedef struct cinstall_record { size_t n; cinstall_record_row *rows; } cinstall_record;

/* Parse RECORD (CSV as Python's csv module writes it: quoting, commas in paths, CRLF or LF). `wheel` names the wheel in messages.
 * Malformed input is CINSTALL_ERECORD naming the line. */
int cinstall_record__parse(cinstall_record **out, cinstall_err *err, const char *wheel, const char *data, size_t len);
void cinstall_record__free(cinstall_record *r);

/* Append one CSV row "path,hash,size\n" with Python csv quoting; hash NULL and size < 0 write empty fields. */
int cinstall_record__write_row(cinstall_buf *out, const char *path, const char *hash, int64_t size);

#endif
