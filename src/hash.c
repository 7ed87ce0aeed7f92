/* hash.c - thin, allocation-once wrappers over libcrypto and xxHash. */
#include "hash.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define XXH_INLINE_ALL
#include "xxhash/xxhash.h"

struct cinstall_sha {
	EVP_MD_CTX *md;
	cinstall_hash_algo algo; /* the digest `md` holds, once `ready` */
	int ready;
};

struct cinstall_xxh {
	XXH3_state_t *state;
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

static const EVP_MD *md_of(cinstall_hash_algo algo)
{
	switch (algo) {
	case CINSTALL_HASH_SHA384: return EVP_sha384();
	case CINSTALL_HASH_SHA512: return EVP_sha512();
	default: return EVP_sha256();
	}
}

int cinstall_sha__new(cinstall_sha **out, cinstall_hash_algo algo, cinstall_err *err)
{
	cinstall_sha *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->md = EVP_MD_CTX_new())) {
		free(s);
		return cinstall_err__oom(err);
	}
	if (cinstall_sha__reset(s, algo, err) < 0) {
		cinstall_sha__free(s);
		return err ? err->code : CINSTALL_ERROR;
	}
	*out = s;
	return 0;
}

/*
 * With OpenSSL 3, initialising with EVP_sha256() fetches the implementation
 * anew each time (thousands of instructions, more than hashing a small
 * file); re-initialising with no type keeps the one the context holds.
 */
int cinstall_sha__reset(cinstall_sha *s, cinstall_hash_algo algo, cinstall_err *err)
{
	const EVP_MD *type = (s->ready && s->algo == algo) ? NULL : md_of(algo);

	s->ready = 0;
	if (EVP_DigestInit_ex(s->md, type, NULL) != 1)
		return cinstall_err__set(err, CINSTALL_ERROR, 0, "cannot initialise %s",
		                         cinstall_hash__algo_name(algo));
	s->algo = algo;
	s->ready = 1;
	return 0;
}

void cinstall_sha__update(cinstall_sha *s, const void *data, size_t len)
{
	EVP_DigestUpdate(s->md, data, len);
}

size_t cinstall_sha__final(cinstall_sha *s, unsigned char *out)
{
	unsigned int len = 0;

	EVP_DigestFinal_ex(s->md, out, &len);
	return len;
}

void cinstall_sha__free(cinstall_sha *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->md);
	free(s);
}

int cinstall_xxh__new(cinstall_xxh **out, cinstall_err *err)
{
	cinstall_xxh *x = calloc(1, sizeof(*x));

	*out = NULL;
	if (!x || !(x->state = XXH3_createState())) {
		free(x);
		return cinstall_err__oom(err);
	}
	XXH3_128bits_reset(x->state);
	*out = x;
	return 0;
}

void cinstall_xxh__reset(cinstall_xxh *x)
{
	XXH3_128bits_reset(x->state);
}

void cinstall_xxh__update(cinstall_xxh *x, const void *data, size_t len)
{
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

void cinstall_hash__b64url(char *out, const unsigned char *data, size_t len)
{
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	int i;

	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
}

long cinstall_hash__b64url_decode(unsigned char *out, size_t cap, const char *in)
{
	char tmp[CINSTALL_B64_MAX + 4];
	unsigned char dec[CINSTALL_B64_MAX];
	size_t len = strlen(in), i, pad = 0;
	int n;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len == 0 || len > CINSTALL_B64_MAX || len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		char c = in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/')
			; /* tolerate standard base64 */
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return -1;
		tmp[i] = c;
	}
	while ((len + pad) % 4) {
		tmp[len + pad] = '=';
		pad++;
	}
	n = EVP_DecodeBlock(dec, (const unsigned char *)tmp, (int)(len + pad));
	if (n < 0)
		return -1;
	n -= (int)pad;
	if ((size_t)n > cap)
		return -1;
	memcpy(out, dec, (size_t)n);
	return n;
}
