/* wheel.h - wheel file names, versions and the RFC 822 style headers of
 * WHEEL and METADATA. */
#ifndef CINSTALL_WHEEL_H
#define CINSTALL_WHEEL_H

#include <stddef.h>

#include "cinstall.h"
#include "err.h"

/* Parse a wheel's file name (only the last path component is looked at).
 * CINSTALL_EBADWHEEL with a message naming the rule broken.  The public
 * cinstall_wheel_filename_parse wraps it. */
int cinstall_wheel__filename_parse(cinstall_wheel_filename **out, cinstall_err *err, const char *path);

/* PEP 503 normalisation: lowercase, runs of [-_.] -> '-'. Returns malloc'd string or NULL (ENOMEM). */
char *cinstall_wheel__normalize_name(const char *name);

/* Compare two versions after normalisation (PEP 440 canonical form is enough: case, leading 'v', trailing .0 in release, pre/post/dev spellings, '_'/'-' escapes). 1 equal, 0 not. */
int cinstall_wheel__version_eq(const char *a, const char *b);

/* Read RFC 822 style headers (WHEEL, METADATA up to the first blank line): calls cb(name, value, payload) per header, in order; continuation lines joined.
 * `wheel` and `file` name the wheel and the file in messages.  A callback
 * returning non-zero stops the walk and that value is returned.  As in
 * Python's email parser, a line that is neither a header nor a continuation
 * ends the headers; a NUL byte is CINSTALL_EBADWHEEL. */
int cinstall_wheel__headers(cinstall_err *err, const char *wheel, const char *file, const char *data, size_t len,
                            int (*cb)(const char *name, const char *value, void *payload), void *payload);

/* The scheme keys of a wheel's .data directory. */
typedef enum cinstall_data_key {
	CINSTALL_DATA_PURELIB,
	CINSTALL_DATA_PLATLIB,
	CINSTALL_DATA_SCRIPTS,
	CINSTALL_DATA_HEADERS,
	CINSTALL_DATA_DATA
} cinstall_data_key;

/* `path` is a file of the wheel under `data_dir` ("<name>-<version>.data",
 * path = "<data_dir>/<key>/<rest>"): its key (>= 0) with *rest pointing
 * into path, or CINSTALL_EBADWHEEL when it is not inside a scheme directory
 * or the key is unknown (the message names `wheel` and the entry). */
int cinstall_wheel__data_key(cinstall_err *err, const char *wheel, const char *data_dir, const char *path,
                             const char **rest);

#endif
