/* digests.h - the SHA-256 digests of files installs generated from a cache
 * entry, kept beside it (<entry>/DIGESTS).
 *
 * An install writes files of its own beside the wheel's (INSTALLER,
 * REQUESTED, direct_url.json, entry-point scripts, .data scripts whose
 * "#!python" it rewrites), and RECORD lists each with its SHA-256.  Their
 * bytes depend on the environment (the interpreter's path) and on where the
 * wheel was, so they cannot be in the manifest; but installs of one wheel
 * into environments at one path (a CI job's venv, made anew each run)
 * generate the same bytes every time.  Kept here, their digests spare a
 * warm install from loading libcrypto at all (0.45 ms: more than linking a
 * 100-file wheel takes; see dl.h).
 *
 * The file:
 *
 *   cinstall-digests 1\n
 *   <size> <sha256, RECORD's base64>\n<size bytes>\n      (per item)
 *   end <XXH3-128 hex of every byte above this line>\n
 *
 * A lookup compares the bytes themselves, so an item answers only for
 * exactly the bytes it was computed from, and the checksum catches a
 * digest damaged on disk.  A missing, unreadable or malformed file reads as
 * empty: it only saves work.  An install that
 * computed a digest replaces the file whole (a temporary beside it,
 * renamed), its own items first; items over CINSTALL_DIGESTS_ITEM_MAX bytes
 * are not kept, and the file stays under CINSTALL_DIGESTS_FILE_MAX.  Writing it is best
 * effort (a read-only cache is fine).  `cinstall cache verify` recomputes
 * every digest.
 */
#ifndef CINSTALL_DIGESTS_H
#define CINSTALL_DIGESTS_H

#include <stddef.h>

#define CINSTALL_DIGESTS_ITEM_MAX (16 * 1024)
#define CINSTALL_DIGESTS_FILE_MAX (256 * 1024)

typedef struct cinstall_digest_item {
	const unsigned char *data; /* into `text`, or `own` */
	unsigned char *own;
	size_t len;
	char b64[44];              /* SHA-256 in RECORD's base64: 43 digits */
	int used;                  /* found or added by this install */
} cinstall_digest_item;

typedef struct cinstall_digests {
	char *text;                /* the file as read */
	cinstall_digest_item *items;
	size_t n, cap;
	int changed;               /* an item was added: save() writes */
} cinstall_digests;

#define CINSTALL_DIGESTS_INIT { NULL, NULL, 0, 0, 0 }

/* Read <entry>/DIGESTS.  0, also when it is missing or unreadable; -1 when
 * it is malformed (read as empty); CINSTALL_ENOMEM. */
int cinstall_digests__load(cinstall_digests *d, const char *entry);

/* The digest of exactly these bytes (43 base64 digits), or NULL. */
const char *cinstall_digests__find(cinstall_digests *d, const void *data, size_t len);

/* Remember a digest computed for these bytes.  0 or CINSTALL_ENOMEM; bytes
 * over CINSTALL_DIGESTS_ITEM_MAX are not kept (0). */
int cinstall_digests__add(cinstall_digests *d, const void *data, size_t len, const char *b64);

/* Replace <entry>/DIGESTS when an item was added; failures are ignored. */
void cinstall_digests__save(cinstall_digests *d, const char *entry);

void cinstall_digests__release(cinstall_digests *d);

#endif
