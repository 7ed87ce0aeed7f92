/* conflicts.h - paths that two distributions install with different content.
 *
 * The installer registers every file each distribution installs (its path
 * relative to the install root, its size and, when the cache manifest has
 * it, its XXH3-128) and, after all wheels are placed, lists the conflicts:
 *   - a path two distributions ship with different content: different
 *     sizes, or equal sizes and different XXH3 (equal-size files without
 *     a hash on either side are taken as identical);
 *   - a path one distribution ships as a file and another needs as a
 *     directory (a parent of one of its files).
 * Identical files (the same namespace package __init__.py in two wheels)
 * and directories shared by several distributions are not conflicts.
 * Each conflicting distribution is paired with the first one to register
 * the path.  Cost: registering appends a 48-byte entry per file and per
 * directory (a parent already registered with the previous file of the
 * same distribution is not registered again) and copies the path once;
 * listing sorts the entries once, O(n log n), through 4 bytes per entry.
 *
 * Not thread-safe: register from one thread, or serialise the calls.
 */
#ifndef CINSTALL_CONFLICTS_H
#define CINSTALL_CONFLICTS_H

#include <stddef.h>
#include <stdint.h>

#include "cinstall.h"

typedef struct cinstall_conflicts cinstall_conflicts;

/* 0 or CINSTALL_ENOMEM. */
int cinstall_conflicts__new(cinstall_conflicts **out);

/* Register a file `dist` installs: `relpath` relative to the install root
 * ('/'-separated, no trailing '/'), its `size`, its XXH3-128 as hex (may be
 * NULL).  The strings are copied.  0, CINSTALL_EINVAL (empty path or dist),
 * or CINSTALL_ENOMEM. */
int cinstall_conflicts__add(cinstall_conflicts *c, const char *dist, const char *relpath,
                            uint64_t size, const char *xxh3);

/* The same, with the XXH3-128 in binary (16 bytes, or NULL), and a `tag`
 * of the caller's given back by cinstall_conflicts__each_shared.  Tags
 * order the registrations ("the first one to register" is the one with
 * the lowest tag, then the earliest call): a caller registering from
 * several threads (serialised) stays deterministic. */
int cinstall_conflicts__add_tagged(cinstall_conflicts *c, const char *dist, const char *relpath,
                                   uint64_t size, const unsigned char *xxh3, uint64_t tag);

/* Call fn(tag) for every file registered at a path where another
 * distribution registers a file too (identical or not).  0 or
 * CINSTALL_ENOMEM (before any call). */
int cinstall_conflicts__each_shared(cinstall_conflicts *c, void (*fn)(uint64_t tag, void *payload),
                                     void *payload);

/* Every conflict, sorted by path (then by distribution).  The list and its
 * strings belong to the caller: free with cinstall_conflicts__free_list.
 * `*out` is NULL when `*n` is 0.  0 or CINSTALL_ENOMEM. */
int cinstall_conflicts__list(cinstall_conflict **out, size_t *n, cinstall_conflicts *c);

void cinstall_conflicts__free_list(cinstall_conflict *list, size_t n);
void cinstall_conflicts__free(cinstall_conflicts *c);

#endif
