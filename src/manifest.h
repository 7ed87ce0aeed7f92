/* manifest.h - what a cache entry holds, in memory and on disk.
 *
 * A cache entry is a directory <cache>/v1/wheels/<key>/ with
 *   tree/      the wheel's files, exactly as RECORD describes them
 *   MANIFEST   this structure, written last; an entry without a complete
 *              MANIFEST (one whose closing "end" line and checksum match)
 *              is not an entry.
 * The key is the XXH3-128 (hex) of the wheel's bytes.
 */
#ifndef CINSTALL_MANIFEST_H
#define CINSTALL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "hash.h"

/* Digest sizes in bytes. */
#define CINSTALL_SHA256_LEN 32
#define CINSTALL_XXH3_LEN 16

/*
 * One file of the entry.  72 bytes plus its path: a wheel of 50,000 files
 * is held in about 6 MiB.  Digests are binary (their text forms are made
 * when written: the MANIFEST line, a RECORD row, an object name); paths
 * live in the manifest's arena, not one allocation each.
 */
typedef struct cinstall_manifest_file {
	const char *path;              /* relative, '/'-separated, as in the wheel; in the arena */
	uint64_t size;
	uint32_t mode;                 /* 0644 or 0755 */
	uint32_t scratch;              /* the unpacker's while it builds the manifest; 0 otherwise */
	unsigned char sha256[CINSTALL_SHA256_LEN]; /* SHA-256 of the bytes */
	unsigned char xxh3[CINSTALL_XXH3_LEN];     /* XXH3-128 of the bytes (canonical, big-endian) */
} cinstall_manifest_file;

typedef struct cinstall_manifest {
	char key[CINSTALL_XXH_HEX];    /* XXH3-128 of the wheel file */
	char wheel_sha256[65];         /* SHA-256 of the wheel file, hex (for direct_url.json) */
	char *wheel;                   /* the wheel's file name when it was unpacked */
	char *name;                    /* Name from METADATA */
	char *version;                 /* Version from METADATA */
	char *dist_info;               /* "<name>-<version>.dist-info" as in the wheel */
	char *data_dir;                /* "<name>-<version>.data", or NULL when absent */
	char *requires_python;         /* Requires-Python, or NULL */
	char *tags;                    /* WHEEL Tag values joined by ' ', or NULL */
	int root_is_purelib;           /* WHEEL Root-Is-Purelib */
	size_t nfiles;
	cinstall_manifest_file *files; /* sorted by path (strcmp) */
	/* Added by the unpacker: the first RECORD sloppiness warning given
	 * when the wheel was unpacked ("<wheel>: '<entry>': <what>"), or NULL
	 * when RECORD was exact.  A cached entry with one is refused under
	 * CINSTALL_OPT_STRICT, and warned about again otherwise. */
	char *sloppy;
	/* The latest mtime (ns since the epoch) of the entry's files when it
	 * was published, or 0 when unknown (an older MANIFEST).  A file found
	 * later with another size or a newer mtime was changed behind the
	 * cache's back (written through a hard link). */
	uint64_t sealed_ns;
	cinstall_arena *arena;         /* where files[].path live; freed with the manifest */
} cinstall_manifest;

/* Read <entry>/MANIFEST.  CINSTALL_ECACHE when it is missing, truncated or
 * fails its checksum (the entry is then not trusted). */
int cinstall_manifest__load(cinstall_manifest **out, cinstall_err *err, const char *entry_dir);

/* Write `m` to <dir>/MANIFEST atomically (temporary + fsync + rename). */
int cinstall_manifest__save(cinstall_err *err, const cinstall_manifest *m, const char *dir);

/* The same; without `sync`, no fsync (a benchmark's knob: see bench/cache.sh). */
int cinstall_manifest__save_sync(cinstall_err *err, const cinstall_manifest *m, const char *dir, int sync);

/* Binary search by path; NULL when absent. */
const cinstall_manifest_file *cinstall_manifest__find(const cinstall_manifest *m, const char *path);

void cinstall_manifest__free(cinstall_manifest *m);

/* Copy path[0..len) (plus a NUL) into the manifest's arena (arena.h),
 * which lives as long as `m`; NULL when out of memory. */
const char *cinstall_manifest__intern(cinstall_manifest *m, const char *path, size_t len);

/* The text forms: RECORD's urlsafe base64 of the SHA-256 (no padding), and
 * the XXH3-128 as 32 lowercase hex digits. */
void cinstall_manifest__sha256_b64(char out[CINSTALL_B64_MAX], const cinstall_manifest_file *f);
void cinstall_manifest__xxh3_hex(char out[CINSTALL_XXH_HEX], const cinstall_manifest_file *f);

/* Parse 32 hex digits (a cinstall_xxh__final_hex result) into binary; 0,
 * or -1 when `hex` is not that. */
int cinstall_manifest__xxh3_parse(unsigned char out[CINSTALL_XXH3_LEN], const char *hex);

/* Free the files and their paths (nfiles becomes 0), keeping the rest:
 * for a caller done with them before it is done with the manifest. */
void cinstall_manifest__drop_files(cinstall_manifest *m);

/* Sort files by path and give back the unused capacity of the array. */
void cinstall_manifest__sort(cinstall_manifest *m);

#endif
