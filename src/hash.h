/* hash.h - SHA-2 (OpenSSL libcrypto) and XXH3-128 (xxHash), streaming. */
#ifndef CINSTALL_HASH_H
#define CINSTALL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "dl.h"
#include "err.h"

typedef enum cinstall_hash_algo {
	CINSTALL_HASH_NONE = 0,
	CINSTALL_HASH_SHA256,
	CINSTALL_HASH_SHA384,
	CINSTALL_HASH_SHA512
} cinstall_hash_algo;

/* Longest digest (sha512) in bytes, and in RECORD's urlsafe base64 form. */
#define CINSTALL_DIGEST_MAX 64
#define CINSTALL_B64_MAX 88
/* XXH3-128 as 32 lowercase hex digits plus NUL. */
#define CINSTALL_XXH_HEX 33

/* Map a RECORD algorithm name ("sha256", ...) to an algorithm.  Returns
 * CINSTALL_HASH_NONE for names we do not accept (md5, sha1, unknown). */
cinstall_hash_algo cinstall_hash__algo(const char *name);
const char *cinstall_hash__algo_name(cinstall_hash_algo algo);
size_t cinstall_hash__digest_len(cinstall_hash_algo algo);

/* A SHA-2 digest in progress (opaque; libcrypto's SHA256_CTX or SHA512_CTX,
 * or an EVP_MD_CTX: see hash.c). */
typedef struct cinstall_sha cinstall_sha;

/* libcrypto comes from `dl`, loaded on first use (dl.h); when it cannot be
 * loaded, the error names `what`. */
int cinstall_sha__new(cinstall_sha **out, cinstall_hash_algo algo, cinstall_dl *dl, cinstall_err *err,
                      const char *what);
/* Restart with `algo`, reusing the allocation. */
int cinstall_sha__reset(cinstall_sha *s, cinstall_hash_algo algo, cinstall_err *err);
void cinstall_sha__update(cinstall_sha *s, const void *data, size_t len);
/* Finish; writes the digest to `out` (CINSTALL_DIGEST_MAX bytes) and returns its length. */
size_t cinstall_sha__final(cinstall_sha *s, unsigned char *out);
void cinstall_sha__free(cinstall_sha *s);

/* XXH3-128 streaming state (opaque). */
typedef struct cinstall_xxh cinstall_xxh;

int cinstall_xxh__new(cinstall_xxh **out, cinstall_err *err);
void cinstall_xxh__reset(cinstall_xxh *x);
void cinstall_xxh__update(cinstall_xxh *x, const void *data, size_t len);
/* Finish into 32 hex digits + NUL. */
void cinstall_xxh__final_hex(cinstall_xxh *x, char out[CINSTALL_XXH_HEX]);
void cinstall_xxh__free(cinstall_xxh *x);

#if CINSTALL_XXH_AVX2
/* XXH3_128bits_update on an XXH3_state_t, compiled for AVX2 (hash_avx2.c):
 * for hash.c, which calls it only on a CPU with AVX2. */
void cinstall_xxh__update_avx2(void *state, const void *data, size_t len);
#endif
/* Whether `x` updates with the AVX2 code (for the tests). */
int cinstall_xxh__uses_avx2(const cinstall_xxh *x);

/* One-shot XXH3-128 of a buffer, as hex. */
void cinstall_xxh__hex(char out[CINSTALL_XXH_HEX], const void *data, size_t len);

/* One-shot XXH3-64 of a buffer (for in-memory tables, never stored). */
uint64_t cinstall_xxh__64(const void *data, size_t len);

/* Encode `len` bytes as urlsafe base64 without padding (RECORD's form) into
 * `out`, which holds at least CINSTALL_B64_MAX bytes. */
void cinstall_hash__b64url(char *out, const unsigned char *data, size_t len);

/* Decode RECORD's urlsafe base64 (padding optional).  Returns the number of
 * bytes written to `out` (at most `cap`) or -1 when `in` is not base64. */
long cinstall_hash__b64url_decode(unsigned char *out, size_t cap, const char *in);

#endif
