/* casefold.h - names of a wheel that collide on case-insensitive filesystems.
 *
 * "Foo.py" and "foo.py" are two files on Linux but one on macOS, Windows,
 * exFAT and most NAS shares: the second would silently replace the first
 * after its hash was checked.  Such a wheel is refused.
 */
#ifndef CINSTALL_CASEFOLD_H
#define CINSTALL_CASEFOLD_H

#include <locale.h>
#include <stddef.h>

#include "err.h"

/* The path of entry i of n (files, sorted or not). */
typedef const char *(*cinstall_casefold_path_fn)(const void *payload, size_t i);

/* Check that no two of the n files, nor a file and a directory leading to
 * another file, have names that differ only in case (Unicode simple case
 * folding, as towlower() in C.UTF-8).  `utf8` is a C.UTF-8 locale to fold
 * in (the context's), or 0 to make one for the call.  Returns 0, or
 * CINSTALL_EBADWHEEL naming both entries, or CINSTALL_ENOMEM. */
int cinstall_casefold__check(cinstall_err *err, const char *wheel, size_t n, cinstall_casefold_path_fn path_at,
                             const void *payload, locale_t utf8);

#endif
