/* hash.c - thin, allocation-once wrappers over libcrypto and xxHash. */
#include "hash.h"

#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h> /* CPU_FEATURE_ACTIVE (glibc 2.33) */
#define CINSTALL_HAVE_X86_PLATFORM_H 1
#endif
#endif

/*
 * SHA-2 through libcrypto's own SHA256_* and SHA512_* functions, not EVP:
 * with OpenSSL 3 the first EVP digest of a process loads openssl.cnf and
 * activates the default provider, which registers every algorithm it has
 * (about 1 ms and 2 MiB of resident memory, measured: more than a warm
 * install of a small wheel takes).  The direct functions run the same
 * assembly (SHA-NI where the CPU has it) and touch nothing global.  OpenSSL
 * 3 marks them deprecated in favour of EVP; a libcrypto built without them
 * (no-deprecated), or `make CFLAGS+=-DCINSTALL_SHA_EVP` (say, for a FIPS
 * provider), takes the EVP path below instead.  Either way through the
 * context's table (dl.h): libcrypto is loaded when first needed.
 */
#include "dl.h"
#if !defined(CINSTALL_SHA_EVP) && defined(OPENSSL_NO_DEPRECATED_3_0)
#define CINSTALL_SHA_EVP 1
#endif

#define XXH_INLINE_ALL
#include "xxhash/xxhash.h"

struct cinstall_sha {
	const cinstall_libcrypto *c;
#ifdef CINSTALL_SHA_EVP
	EVP_MD_CTX *md;
#else
	union {
		SHA256_CTX s256;
		SHA512_CTX s512;               /* also SHA-384's */
	} u;
#endif
	cinstall_hash_algo algo; /* the digest in progress, once `ready` */
	int ready;
};

struct cinstall_xxh {
	XXH3_state_t *state;
	int avx2; /* the CPU has AVX2: cinstall_xxh__update_avx2 (hash_avx2.c) */
};

cinstall_hash_algo cinstall_hash__algo(const char *name)
{
	if (!strcmp(name, "sha256"))
		return CINSTALL_HASH_SHA256;
	if (!strcmp(name, "sha384"))
		return CINSTALL_HASH_SHA384;
	if (!strcmp(name, "sha512"))
		return CINSTALL_HASH_SHA512;
	return CINSTALL_HASH_NONE;
}

const char *cinstall_hash__algo_name(cinstall_hash_algo algo)
{
	switch (algo) {
	case CINSTALL_HASH_SHA256: return "sha256";
	case CINSTALL_HASH_SHA384: return "sha384";
	case CINSTALL_HASH_SHA512: return "sha512";
	default: return "none";
	}
}

size_t cinstall_hash__digest_len(cinstall_hash_algo algo)
{
	switch (algo) {
	case CINSTALL_HASH_SHA256: return 32;
	case CINSTALL_HASH_SHA384: return 48;
	case CINSTALL_HASH_SHA512: return 64;
	default: return 0;
	}
}

#ifdef CINSTALL_SHA_EVP
static const EVP_MD *md_of(const cinstall_libcrypto *c, cinstall_hash_algo algo)
{
	switch (algo) {
	case CINSTALL_HASH_SHA384: return c->EVP_sha384();
	case CINSTALL_HASH_SHA512: return c->EVP_sha512();
	default: return c->EVP_sha256();
	}
}
#endif

int cinstall_sha__new(cinstall_sha **out, cinstall_hash_algo algo, cinstall_dl *dl, cinstall_err *err,
                      const char *what)
{
	const cinstall_libcrypto *c;
	cinstall_sha *s;
	int error;

	*out = NULL;
	if ((error = cinstall_dl__libcrypto(&c, dl, err, what)) < 0)
		return error;
	if (!(s = calloc(1, sizeof(*s))))
		return cinstall_err__oom(err);
	s->c = c;
#ifdef CINSTALL_SHA_EVP
	if (!(s->md = c->EVP_MD_CTX_new())) {
		free(s);
		return cinstall_err__oom(err);
	}
#endif
	if (cinstall_sha__reset(s, algo, err) < 0) {
		cinstall_sha__free(s);
		return err ? err->code : CINSTALL_ERROR;
	}
	*out = s;
	return 0;
}

/*
 * EVP: with OpenSSL 3, initialising with EVP_sha256() fetches the
 * implementation anew each time (thousands of instructions, more than
 * hashing a small file); re-initialising with no type keeps the one the
 * context holds.
 */
int cinstall_sha__reset(cinstall_sha *s, cinstall_hash_algo algo, cinstall_err *err)
{
	int ok;
#ifdef CINSTALL_SHA_EVP
	const EVP_MD *type = (s->ready && s->algo == algo) ? NULL : md_of(s->c, algo);

	s->ready = 0;
	ok = s->c->EVP_DigestInit_ex(s->md, type, NULL) == 1;
#else
	s->ready = 0;
	switch (algo) {
	case CINSTALL_HASH_SHA384: ok = s->c->SHA384_Init(&s->u.s512) == 1; break;
	case CINSTALL_HASH_SHA512: ok = s->c->SHA512_Init(&s->u.s512) == 1; break;
	default: ok = s->c->SHA256_Init(&s->u.s256) == 1; break;
	}
#endif
	if (!ok)
		return cinstall_err__set(err, CINSTALL_ERROR, 0, "cannot initialise %s",
		                         cinstall_hash__algo_name(algo));
	s->algo = algo;
	s->ready = 1;
	return 0;
}

void cinstall_sha__update(cinstall_sha *s, const void *data, size_t len)
{
#ifdef CINSTALL_SHA_EVP
	s->c->EVP_DigestUpdate(s->md, data, len);
#else
	if (s->algo == CINSTALL_HASH_SHA384)
		s->c->SHA384_Update(&s->u.s512, data, len);
	else if (s->algo == CINSTALL_HASH_SHA512)
		s->c->SHA512_Update(&s->u.s512, data, len);
	else
		s->c->SHA256_Update(&s->u.s256, data, len);
#endif
}

size_t cinstall_sha__final(cinstall_sha *s, unsigned char *out)
{
#ifdef CINSTALL_SHA_EVP
	unsigned int len = 0;

	s->c->EVP_DigestFinal_ex(s->md, out, &len);
	return len;
#else
	if (s->algo == CINSTALL_HASH_SHA384)
		s->c->SHA384_Final(out, &s->u.s512);
	else if (s->algo == CINSTALL_HASH_SHA512)
		s->c->SHA512_Final(out, &s->u.s512);
	else
		s->c->SHA256_Final(out, &s->u.s256);
	return cinstall_hash__digest_len(s->algo);
#endif
}

void cinstall_sha__free(cinstall_sha *s)
{
	if (!s)
		return;
#ifdef CINSTALL_SHA_EVP
	s->c->EVP_MD_CTX_free(s->md);
#endif
	free(s);
}

#if CINSTALL_XXH_AVX2
/*
 * Whether AVX2 is usable.  glibc (2.33 and later) answers from what it
 * learnt at startup; __builtin_cpu_supports would link libgcc's
 * __cpu_indicator_init, a constructor that runs its own CPUID sequence in
 * every process, even one that hashes nothing: in a virtual machine each
 * CPUID exits to the hypervisor (~2% of a cold install's CPU time here).
 */
static int cpu_has_avx2(void)
{
#if CINSTALL_HAVE_X86_PLATFORM_H
	return CPU_FEATURE_ACTIVE(AVX2) != 0;
#else
	return __builtin_cpu_supports("avx2") != 0;
#endif
}
#endif

int cinstall_xxh__new(cinstall_xxh **out, cinstall_err *err)
{
	cinstall_xxh *x = calloc(1, sizeof(*x));

	*out = NULL;
	if (!x || !(x->state = XXH3_createState())) {
		free(x);
		return cinstall_err__oom(err);
	}
	XXH3_128bits_reset(x->state);
#if CINSTALL_XXH_AVX2
	x->avx2 = cpu_has_avx2();
#endif
	*out = x;
	return 0;
}

int cinstall_xxh__uses_avx2(const cinstall_xxh *x)
{
#if CINSTALL_XXH_AVX2
	return x->avx2;
#else
	(void)x;
	return 0;
#endif
}

void cinstall_xxh__reset(cinstall_xxh *x)
{
	XXH3_128bits_reset(x->state);
}

void cinstall_xxh__update(cinstall_xxh *x, const void *data, size_t len)
{
#if CINSTALL_XXH_AVX2
	if (x->avx2) {
		cinstall_xxh__update_avx2(x->state, data, len);
		return;
	}
#endif
	XXH3_128bits_update(x->state, data, len);
}

static void hex128(char out[CINSTALL_XXH_HEX], XXH128_hash_t h)
{
	XXH128_canonical_t c;
	static const char digits[] = "0123456789abcdef";
	size_t i;

	XXH128_canonicalFromHash(&c, h);
	for (i = 0; i < sizeof(c.digest); i++) {
		out[2 * i] = digits[c.digest[i] >> 4];
		out[2 * i + 1] = digits[c.digest[i] & 15];
	}
	out[32] = '\0';
}

void cinstall_xxh__final_hex(cinstall_xxh *x, char out[CINSTALL_XXH_HEX])
{
	hex128(out, XXH3_128bits_digest(x->state));
}

void cinstall_xxh__free(cinstall_xxh *x)
{
	if (!x)
		return;
	XXH3_freeState(x->state);
	free(x);
}

void cinstall_xxh__hex(char out[CINSTALL_XXH_HEX], const void *data, size_t len)
{
	hex128(out, XXH3_128bits(data, len));
}

uint64_t cinstall_xxh__64(const void *data, size_t len)
{
	return XXH3_64bits(data, len);
}

/*
 * RECORD's base64 (RFC 4648's URL-safe alphabet, no padding), our own: a
 * warm install writes a RECORD row per file from the digests in the
 * cache's manifest, and should not load libcrypto for its encoder.
 */
static const char b64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void cinstall_hash__b64url(char *out, const unsigned char *data, size_t len)
{
	size_t i;

	for (i = 0; i + 3 <= len; i += 3, out += 4) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		out[0] = b64_digits[v >> 18];
		out[1] = b64_digits[(v >> 12) & 63];
		out[2] = b64_digits[(v >> 6) & 63];
		out[3] = b64_digits[v & 63];
	}
	if (len - i == 1) {
		out[0] = b64_digits[data[i] >> 2];
		out[1] = b64_digits[(data[i] & 3) << 4];
		out += 2;
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 8 | data[i + 1];
		out[0] = b64_digits[v >> 10];
		out[1] = b64_digits[(v >> 4) & 63];
		out[2] = b64_digits[(v & 15) << 2];
		out += 3;
	}
	*out = '\0';
}

/* The value of a base64 digit of either alphabet (RECORD files written
 * with the standard one exist), or -1. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

/* Bits left over in the last digit are ignored, as Python's decoder does. */
long cinstall_hash__b64url_decode(unsigned char *out, size_t cap, const char *in)
{
	size_t len = strlen(in), i, n = 0;
	uint32_t acc = 0;
	int bits = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len == 0 || len > CINSTALL_B64_MAX || len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)n;
}
