/* cache.h - the content cache: layout, locks, publication, maintenance.
 *
 * Layout under the context's cache directory:
 *
 *   CACHEDIR.TAG               the standard tag (backup tools skip the cache)
 *   v1/wheels/<key>/           published entries: tree/ and MANIFEST
 *   v1/tmp/<name>.lock         the lock of a work directory (see below)
 *   v1/tmp/<name>/             a work directory: an unpack in progress, or an
 *                              entry being removed
 *   v1/locks/<key>.lock        serialises unpacks of one wheel (transient)
 *   v1/objects/<xx>/<rest>-<mode>  one copy of each distinct file (see
 *                              cinstall_cache__dedupe); entries' files are
 *                              hard links to these
 *
 * <key> is the XXH3-128 (hex) of the wheel's bytes.
 *
 * Locks are fcntl locks (they work over NFS; flock does not everywhere),
 * open file description locks (F_OFD_SETLK) where the system has them, so
 * two threads of one process exclude each other too.  A lock file is always
 * locked by whoever created it before anything else happens under its name,
 * and it is unlinked last, by its holder.  Whoever takes a lock checks that
 * the file it locked is still the one at the path (a cleaner may have
 * removed it in between) and starts again when not.
 *
 * Work directories: a process first creates and locks <name>.lock, then
 * makes <name>/.  It publishes with rename(2) of <name>/ to v1/wheels/<key>
 * (atomic: readers see a complete entry or none), or removes <name>/; then
 * it unlinks <name>.lock.  A process killed on the way leaves <name>.lock
 * unlocked (the kernel drops the locks of dead processes): a later sweep
 * that manages to lock it knows the owner is dead and removes both.  A
 * <name>/ without <name>.lock is a leftover too.
 *
 * Where the filesystem has no locks (ENOLCK, EOPNOTSUPP), we warn once and
 * rely on atomic rename alone; sweeps then only remove work directories
 * older than a day.
 */
#ifndef CINSTALL_CACHE_H
#define CINSTALL_CACHE_H

#include <stdint.h>

#include "buf.h"
#include "cinstall.h"
#include "err.h"
#include "manifest.h"

/* Create the cache's directories and CACHEDIR.TAG when missing. */
int cinstall_cache__init(cinstall_err *err, cinstall_ctx *ctx);

/* out = <cache>/v1/wheels/<key>. */
int cinstall_cache__entry_path(cinstall_buf *out, cinstall_ctx *ctx, const char *key);

/* Load the manifest of entry `key`.  CINSTALL_ENOTFOUND when there is no
 * entry, CINSTALL_ECACHE when its MANIFEST is missing or damaged. */
int cinstall_cache__lookup(cinstall_manifest **out, cinstall_err *err, cinstall_ctx *ctx, const char *key);

/* A held lock file (fd < 0 when locks are unsupported and not held). */
typedef struct cinstall_cache_lock {
	int fd;
	char *path;
} cinstall_cache_lock;

#define CINSTALL_CACHE_LOCK_INIT { -1, NULL }

/* Take the lock of wheel `key`, waiting up to the context's lock timeout
 * (CINSTALL_ELOCK after it). */
int cinstall_cache__lock_key(cinstall_cache_lock *l, cinstall_err *err, cinstall_ctx *ctx, const char *key);

/* Unlink the lock file and drop the lock.  A zeroed/INIT lock is a no-op. */
void cinstall_cache__unlock(cinstall_cache_lock *l);

/* A work directory under v1/tmp, locked while it exists. */
typedef struct cinstall_cache_work {
	cinstall_cache_lock lock;
	char *dir;              /* v1/tmp/<prefix>.XXXXXX */
} cinstall_cache_work;

#define CINSTALL_CACHE_WORK_INIT { CINSTALL_CACHE_LOCK_INIT, NULL }

/* Make a locked work directory name with `prefix`; with `mkdir`, create
 * the directory too. */
int cinstall_cache__work_new(cinstall_cache_work *w, cinstall_err *err, cinstall_ctx *ctx, const char *prefix,
                             int make_dir);

/* Publish w->dir as entry `key`.  Returns 0 when ours became the entry,
 * 1 when an entry already existed (ours is left in place for
 * cinstall_cache__work_release to remove), or an error. */
int cinstall_cache__publish(cinstall_cache_work *w, cinstall_err *err, cinstall_ctx *ctx, const char *key);

/* Remove the work directory (if still there), then its lock. */
void cinstall_cache__work_release(cinstall_cache_work *w, cinstall_ctx *ctx);

/* Remove the work directories of dead processes (see above).  Returns
 * 0 or an error; *removed (may be NULL) counts what went. */
int cinstall_cache__sweep(cinstall_err *err, cinstall_ctx *ctx, uint64_t *removed);

/* Entries in use: an install holds a shared fcntl lock on <entry>/MANIFEST
 * from the moment it looks the entry up until its files are placed;
 * whoever removes an entry (prune, clean, self-healing) first takes the
 * exclusive lock on the same file and renames the entry aside while
 * holding it.  A user whose lock lands on a MANIFEST no longer at the
 * entry's path looks the entry up again. */

/* Take the shared lock on entry `key` (waiting up to the lock timeout for
 * a remover).  0 held (release with cinstall_cache__unlock, which unlinks
 * nothing), 1 when the entry is gone (look it up again), or an error. */
int cinstall_cache__use_entry(cinstall_cache_lock *l, cinstall_err *err, cinstall_ctx *ctx, const char *key);

/* The same for a work directory about to be published (its MANIFEST
 * written): the lock follows the entry through the rename, so nobody can
 * remove it between our publication and our use. */
int cinstall_cache__use_work(cinstall_cache_lock *l, cinstall_err *err, cinstall_ctx *ctx, cinstall_cache_work *w);

/* Remove entry `key` unless it is in use.  With `wait`, wait up to the
 * lock timeout for its users (CINSTALL_ELOCK after); without, leave an
 * entry in use alone.  0 removed (or already gone), 1 in use, or an
 * error. */
int cinstall_cache__remove_unused(cinstall_err *err, cinstall_ctx *ctx, const char *key, int wait);

/* Move entry `key` out of v1/wheels (atomically) and delete it, in use or
 * not (see cinstall_cache__remove_unused). */
int cinstall_cache__remove_entry(cinstall_err *err, cinstall_ctx *ctx, const char *key);

/* File-level dedupe.  Each distinct file is stored once, as
 * v1/objects/<xx>/<rest>-<mode>, named by the XXH3-128 of its bytes
 * (<xx><rest>) and its mode (644 or 755); entries' files are hard links to
 * objects (relative to nothing: a moved cache keeps working; never a
 * symlink).  Empty files, RECORD and .data/scripts/ files are never shared.
 * An object is checked (size, mode, XXH3) before a new entry links to it;
 * a damaged one is replaced.  Removing an object (prune: link count 1) is
 * always safe for the data: an entry that linked it meanwhile keeps the
 * inode.
 *
 * Replace the shareable files of the unpacked tree <dir>/tree with links
 * to their objects (creating objects from ours where missing), and raise
 * m->sealed_ns to the newest mtime of the files as they end up.  Falls
 * back to private copies where the file system refuses hard links or an
 * object reached the link limit (EMLINK).  *out_saved: bytes now shared. */
int cinstall_cache__dedupe(uint64_t *out_saved, cinstall_err *err, cinstall_ctx *ctx, cinstall_manifest *m,
                           const char *dir);

/* The same for only the files of m named in `paths` (sorted or not; m's
 * files are sorted by path): those the unpacker wrote itself. */
int cinstall_cache__dedupe_paths(uint64_t *out_saved, cinstall_err *err, cinstall_ctx *ctx, cinstall_manifest *m,
                                 const char *dir, const char *const *paths, size_t npaths);

/* The same on this thread and up to `helpers` more (at least
 * CINSTALL_DEDUPE_SPLIT_FILES files each; *out_threads: how many ran);
 * the caller has taken the helpers from ctx. */
#define CINSTALL_DEDUPE_SPLIT_FILES 256
int cinstall_cache__dedupe_split(uint64_t *out_saved, unsigned int *out_threads, cinstall_err *err,
                                 cinstall_ctx *ctx, cinstall_manifest *m, const char *dir, const char *const *paths,
                                 size_t npaths, unsigned int helpers);

/* While unpacking: a file whose bytes are already an object is linked
 * from it instead of written.  One cinstall_cache_sharer per thread. */
typedef struct cinstall_cache_sharer cinstall_cache_sharer;

int cinstall_cache__sharer_new(cinstall_cache_sharer **out, cinstall_err *err, cinstall_ctx *ctx);
void cinstall_cache__sharer_free(cinstall_cache_sharer *s);

/* Can `path` below the open tree `treefd` (not yet there) be the object of these bytes?  Then
 * it is linked to it: returns 1, adds size to *saved and raises *mtime to
 * the object's mtime.  0 otherwise (no such object, a damaged one, the
 * link limit, no links here): write the file yourself.  Never fails. */
int cinstall_cache__share_existing(cinstall_cache_sharer *s, const char *xxh3, unsigned int mode, const void *data,
                                   size_t size, int treefd, const char *path, uint64_t *saved, uint64_t *mtime);

#endif
