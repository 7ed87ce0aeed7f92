/* test_base.c - the bottom layer: paths, hashes, buffers, errors. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digests.h"
#include "hash.h"
#include "harness.h"
#include "path.h"
#include "thread.h"

static void test_path__accepts_normal(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;

	CHECK_INT(cinstall_path__check(&err, "w.whl", "pkg/__init__.py"), 0);
	CHECK_INT(cinstall_path__check(&err, "w.whl", "pkg-1.0.dist-info/RECORD"), 0);
	CHECK_INT(cinstall_path__check(&err, "w.whl", "pkg/"), 0);
	CHECK_INT(cinstall_path__check(&err, "w.whl", "a/b c/d..e"), 0);
	/* UTF-8 names: 2, 3 and 4 byte characters. */
	CHECK_INT(cinstall_path__check(&err, "w.whl", "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.py"), 0);
	CHECK_INT(cinstall_path__check(&err, "w.whl", "emoji/\xf0\x9f\x90\x8d.txt"), 0);
}

/* Bytes that are not UTF-8 are refused, and messages show them escaped. */
static void test_path__utf8(void)
{
	static const char *bad[] = {
		"a/b\xff" "d.py",      /* never valid */
		"a/\x80",              /* stray continuation byte */
		"a/\xc3",              /* cut short */
		"a/\xc0\xaf",          /* overlong '/' */
		"a/\xe0\x80\xaf",      /* overlong '/' */
		"a/\xed\xa0\x80",      /* UTF-16 surrogate */
		"a/\xf4\x90\x80\x80",  /* above U+10FFFF */
		"a/\xe6\x97x",         /* cut short in the middle */
	};
	char q[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cinstall_err err = CINSTALL_ERR_INIT;
		CHECK_INT(cinstall_path__check(&err, "w.whl", bad[i]), CINSTALL_EBADWHEEL);
		CHECK_CONTAINS(err.msg, "path is not valid UTF-8");
	}
	cinstall_path__quote(q, sizeof(q), "a/b\xff" "d-caf\xc3\xa9\x01");
	CHECK_STR(q, "a/b\\xffd-caf\xc3\xa9\\x01");
	/* Cut short at a character boundary, never inside one. */
	cinstall_path__quote(q, 10, "abc\xe6\x97\xa5\xe6\x97\xa5");
	CHECK_STR(q, "abc");
}

static void test_path__refuses_each_rule(void)
{
	static const struct { const char *path, *rule; } cases[] = {
		{ "", "empty path" },
		{ "/etc/passwd", "absolute path" },
		{ "C:/x", "drive letter" },
		{ "c:x", "drive letter" },
		{ "a\\b", "backslash" },
		{ "a/\001b", "control character" },
		{ "a/\177", "control character" },
		{ "a//b", "empty path component" },
		{ "a/", NULL },
		{ "a//", "empty path component" },
		{ "./a", "'.' component" },
		{ "a/./b", "'.' component" },
		{ "../a", "'..' component" },
		{ "a/../../b", "'..' component" },
		{ "a/..", "'..' component" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cinstall_err err = CINSTALL_ERR_INIT;
		int r = cinstall_path__check(&err, "w.whl", cases[i].path);
		if (!cases[i].rule) {
			CHECK_INT(r, 0);
			continue;
		}
		CHECK_INT(r, CINSTALL_EBADWHEEL);
		CHECK_CONTAINS(err.msg, cases[i].rule);
		CHECK_CONTAINS(err.msg, "w.whl: '");
	}
}

static void test_path__long_component(void)
{
	char name[300];
	cinstall_err err = CINSTALL_ERR_INIT;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK_INT(cinstall_path__check(&err, "w.whl", name), CINSTALL_EBADWHEEL);
	CHECK_CONTAINS(err.msg, "too long");
}

static void test_path__join_and_within(void)
{
	cinstall_buf b = CINSTALL_BUF_INIT;

	CHECK_INT(cinstall_path__join(&b, "/a/", "b"), 0);
	CHECK_STR(cinstall_buf__cstr(&b), "/a/b");
	CHECK_INT(cinstall_path__join(&b, "/", "/b"), 0);
	CHECK_STR(cinstall_buf__cstr(&b), "/b");
	CHECK(cinstall_path__is_within("/venv", "/venv/lib"));
	CHECK(cinstall_path__is_within("/venv", "/venv"));
	CHECK(!cinstall_path__is_within("/venv", "/venv2/lib"));
	cinstall_buf__release(&b);
}

static void test_path__mkdirs_rmtree(void)
{
	cinstall_err err = CINSTALL_ERR_INIT;

	CHECK_INT(cinstall_path__mkdirs(&err, "x/y/z", 0755), 0);
	CHECK_INT(cinstall_path__mkdirs(&err, "x/y/z", 0755), 0);
	CHECK(symlink("/", "x/y/root") == 0);
	CHECK_INT(cinstall_path__rmtree(&err, "x"), 0);
	CHECK(access("x", F_OK) != 0);
	CHECK(access("/etc/passwd", F_OK) == 0);
	CHECK_INT(cinstall_path__rmtree(&err, "missing"), 0);
}

static void test_hash__sha256_b64(void)
{
	cinstall_dl dl;
	cinstall_sha *s = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;
	unsigned char d[CINSTALL_DIGEST_MAX], back[CINSTALL_DIGEST_MAX];
	char b64[CINSTALL_B64_MAX];
	size_t n;

	cinstall_dl__init(&dl);
	CHECK_INT(cinstall_sha__new(&s, CINSTALL_HASH_SHA256, &dl, &err, "test"), 0);
	cinstall_sha__update(s, "", 0);
	n = cinstall_sha__final(s, d);
	CHECK_INT(n, 32);
	cinstall_hash__b64url(b64, d, n);
	/* sha256 of the empty string, as RECORD writes it. */
	CHECK_STR(b64, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), b64), 32);
	CHECK(memcmp(back, d, 32) == 0);
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), "not base64!"), -1);
	cinstall_sha__free(s);
	cinstall_dl__release(&dl);
	CHECK_INT(cinstall_hash__algo("md5"), CINSTALL_HASH_NONE);
	CHECK_INT(cinstall_hash__algo("sha1"), CINSTALL_HASH_NONE);
	CHECK_INT(cinstall_hash__algo("sha512"), CINSTALL_HASH_SHA512);
}

/* A reset context gives the same digests as a new one, also after a switch
 * of algorithm and back (with EVP, the context keeps the fetched
 * implementation).  test_base_evp runs these over the EVP path of hash.c. */
static void test_hash__reset_reuses_and_switches(void)
{
	cinstall_dl dl;
	cinstall_sha *s = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;
	unsigned char d[CINSTALL_DIGEST_MAX];
	char b64[CINSTALL_B64_MAX];
	int i;

	cinstall_dl__init(&dl);
	CHECK_INT(cinstall_sha__new(&s, CINSTALL_HASH_SHA256, &dl, &err, "test"), 0);
	if (!s) {
		cinstall_dl__release(&dl);
		return;
	}
	for (i = 0; i < 3; i++) {
		CHECK_INT(cinstall_sha__reset(s, CINSTALL_HASH_SHA256, &err), 0);
		cinstall_sha__update(s, "abc", 3);
		cinstall_hash__b64url(b64, d, cinstall_sha__final(s, d));
		CHECK_STR(b64, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
		CHECK_INT(cinstall_sha__reset(s, CINSTALL_HASH_SHA512, &err), 0);
		cinstall_sha__update(s, "abc", 3);
		CHECK_INT(cinstall_sha__final(s, d), 64);
		CHECK(d[0] == 0xdd && d[1] == 0xaf && d[63] == 0x9f);
		CHECK_INT(cinstall_sha__reset(s, CINSTALL_HASH_SHA384, &err), 0);
		cinstall_sha__update(s, "a", 1);
		cinstall_sha__update(s, "bc", 2);
		CHECK_INT(cinstall_sha__final(s, d), 48);
		CHECK(d[0] == 0xcb && d[1] == 0x00 && d[47] == 0xa7);
	}
	cinstall_sha__free(s);
	cinstall_dl__release(&dl);
}

/* RECORD's base64 (our own code, not libcrypto's): RFC 4648's test
 * vectors, the URL-safe digits, and what the decoder refuses. */
static void test_hash__b64url_vectors(void)
{
	static const char *const plain[] = { "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	unsigned char back[CINSTALL_DIGEST_MAX], all[256];
	char b64[CINSTALL_B64_MAX * 4];
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		cinstall_hash__b64url(b64, (const unsigned char *)plain[i], strlen(plain[i]));
		CHECK_STR(b64, enc[i]);
		CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), enc[i]), (long)strlen(plain[i]));
		CHECK(memcmp(back, plain[i], strlen(plain[i])) == 0);
	}
	cinstall_hash__b64url(b64, (const unsigned char *)"", 0);
	CHECK_STR(b64, "");
	cinstall_hash__b64url(b64, (const unsigned char *)"\xfb\xff\xbf", 3);
	CHECK_STR(b64, "-_-_");
	/* The standard alphabet and padding are read too. */
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), "+/+/"), 3);
	CHECK(back[0] == 0xfb && back[1] == 0xff && back[2] == 0xbf);
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), "Zm8="), 2);
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), "Zg=="), 1);
	CHECK(back[0] == 'f');
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), ""), -1);
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), "Zm9vY"), -1);   /* 5 digits: no byte ends there */
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), "Zm=9v"), -1);   /* padding inside */
	CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), "Zm9 v"), -1);
	CHECK_INT(cinstall_hash__b64url_decode(back, 2, "Zm9v"), -1);               /* does not fit */
	/* Every byte value, both ways, through the longest digest's room. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	for (i = 0; i + CINSTALL_DIGEST_MAX <= sizeof(all); i += 61) {
		cinstall_hash__b64url(b64, all + i, CINSTALL_DIGEST_MAX);
		CHECK_INT((long)strlen(b64), 86);
		CHECK_INT(cinstall_hash__b64url_decode(back, sizeof(back), b64), CINSTALL_DIGEST_MAX);
		CHECK(memcmp(back, all + i, CINSTALL_DIGEST_MAX) == 0);
	}
}

/* printf into a buffer: fits in the spare room, does not, or grows from
 * nothing; the text before stays as it was. */
static void test_buf__printf_fits_and_grows(void)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	char big[300];
	size_t i;

	CHECK_INT(cinstall_buf__printf(&b, "%s-%d", "a", 1), 0);
	CHECK_STR(b.ptr, "a-1");
	CHECK_INT(cinstall_buf__printf(&b, "/%s", "b"), 0);
	CHECK_STR(b.ptr, "a-1/b");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(cinstall_buf__printf(&b, "[%s]", big), 0);
	CHECK_INT(b.len, 5 + 2 + sizeof(big) - 1);
	CHECK(strncmp(b.ptr, "a-1/b[xxx", 9) == 0);
	CHECK(b.ptr[b.len - 1] == ']' && b.ptr[b.len] == '\0');
	for (i = 6; i < b.len - 1; i++)
		if (b.ptr[i] != 'x')
			break;
	CHECK_INT(i, b.len - 1);
	cinstall_buf__truncate(&b, 3);
	CHECK_INT(cinstall_buf__printf(&b, "%s", ""), 0);
	CHECK_STR(b.ptr, "a-1");
	cinstall_buf__release(&b);
}

static void test_hash__xxh3_streaming_matches_oneshot(void)
{
	cinstall_xxh *x = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;
	char a[CINSTALL_XXH_HEX], b[CINSTALL_XXH_HEX];
	static const char data[] = "hello, wheel";

	CHECK_INT(cinstall_xxh__new(&x, &err), 0);
	cinstall_xxh__update(x, data, 5);
	cinstall_xxh__update(x, data + 5, sizeof(data) - 6);
	cinstall_xxh__final_hex(x, a);
	cinstall_xxh__hex(b, data, sizeof(data) - 1);
	CHECK_STR(a, b);
	CHECK_INT(strlen(a), 32);
	cinstall_xxh__free(x);
}

/* The streaming update takes xxHash's AVX2 code where the CPU has it
 * (hash_avx2.c) and its SSE2 code elsewhere; the one-shot hash is always
 * SSE2.  Both must give the same digests, over inputs long enough to run
 * the vector loops (stripes of 64 bytes, blocks of 1,024), fed in pieces
 * that end inside and across them. */
static void test_hash__xxh3_vector_paths_agree(void)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 65, 240, 241, 1023, 1024, 1025, 4096, 65536 + 17, 300000 };
	static const size_t pieces[] = { 1, 7, 64, 100, 1024, 4099, 65536 };
	unsigned char *data = malloc(300000);
	cinstall_err err = CINSTALL_ERR_INIT;
	char a[CINSTALL_XXH_HEX], b[CINSTALL_XXH_HEX];
	uint32_t r = 2463534242u;
	size_t i, k, p, at;

	CHECK(data != NULL);
	if (!data)
		return;
	for (i = 0; i < 300000; i++) { /* xorshift32 */
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		data[i] = (unsigned char)r;
	}
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		cinstall_xxh__hex(b, data, sizes[k]);
		for (p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
			cinstall_xxh *x = NULL;
			CHECK_INT(cinstall_xxh__new(&x, &err), 0);
			for (at = 0; at < sizes[k]; at += pieces[p])
				cinstall_xxh__update(x, data + at, sizes[k] - at < pieces[p] ? sizes[k] - at : pieces[p]);
			cinstall_xxh__final_hex(x, a);
			if (strcmp(a, b))
				th_fail(__FILE__, __LINE__, "%zu bytes in pieces of %zu: streaming %s, one-shot %s", sizes[k],
				        pieces[p], a, b);
			cinstall_xxh__free(x);
		}
	}
	free(data);
#if CINSTALL_XXH_AVX2
	{
		/* The library asks glibc (CPU_FEATURE_ACTIVE), the test GCC. */
		cinstall_xxh *x = NULL;
		CHECK_INT(cinstall_xxh__new(&x, &err), 0);
		CHECK_INT(x ? cinstall_xxh__uses_avx2(x) : -1, __builtin_cpu_supports("avx2") != 0);
		cinstall_xxh__free(x);
	}
	if (!__builtin_cpu_supports("avx2"))
		th_skip("this CPU has no AVX2: only xxHash's SSE2 code was compared with itself");
#else
	th_skip("not built for x86-64: there is one vector path, compared with itself");
#endif
}

static void test_ctx__defaults_and_env(void)
{
	cinstall_ctx *ctx = NULL;
	cinstall_options o = CINSTALL_OPTIONS_INIT;

	setenv("CINSTALL_CACHE_DIR", "/tmp/cinstall-env-cache", 1);
	CHECK_OK(ctx, cinstall_ctx_new(&ctx, NULL));
	CHECK_STR(cinstall_cache_dir(ctx), "/tmp/cinstall-env-cache");
	cinstall_ctx_free(ctx);
	o.flags = CINSTALL_OPT_NO_ENV;
	setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
	CHECK_OK(NULL, cinstall_ctx_new(&ctx, &o));
	CHECK_STR(cinstall_cache_dir(ctx), "/tmp/xdg/cinstall");
	CHECK_STR(cinstall_error_message(ctx), "");
	cinstall_ctx_free(ctx);
	cinstall_ctx_free(NULL);
	o.version = 99;
	CHECK_INT(cinstall_ctx_new(&ctx, &o), CINSTALL_EINVAL);
	unsetenv("CINSTALL_CACHE_DIR");
	CHECK_STR(cinstall_strerror(CINSTALL_ERECORD), "file does not match RECORD");
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(text, 1, len, f) == len);
	fclose(f);
}

/* `body` as a DIGESTS file: with its "end <checksum>" line. */
static void write_digests(const char *path, const char *body)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	char sum[CINSTALL_XXH_HEX];

	cinstall_xxh__hex(sum, body, strlen(body));
	CHECK_INT(cinstall_buf__printf(&b, "%send %s\n", body, sum), 0);
	write_text(path, b.ptr, b.len);
	cinstall_buf__release(&b);
}

/* A cache entry's DIGESTS (digests.h): kept and found by exact bytes,
 * this install's items first when it is rewritten, a malformed or damaged
 * file read as empty, oversized bytes not kept. */
static void test_digests__keep_find_and_refuse(void)
{
	static const char d1[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char d2[] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
	static const char *const bad[] = {
		"cinstall-digests 2\n",
		"cinstall-digests 1\n3 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nab\n",   /* shorter than said */
		"cinstall-digests 1\n2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nabc\n",  /* longer */
		"cinstall-digests 1\n2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=AAAA\nab\n",   /* not a digit */
		"cinstall-digests 1\n2 AAAA\nab\n",
		"cinstall-digests 1\n-2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nab\n",
		"cinstall-digests 1\n9999999 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nab\n",
	};
	cinstall_digests d = CINSTALL_DIGESTS_INIT;
	char big[CINSTALL_DIGESTS_ITEM_MAX + 1];
	size_t i;

	CHECK_INT(mkdir("e", 0755), 0);
	CHECK_INT(cinstall_digests__load(&d, "e"), 0); /* none yet */
	CHECK(cinstall_digests__find(&d, "cinstall\n", 9) == NULL);
	CHECK_INT(cinstall_digests__add(&d, "cinstall\n", 9, d1), 0);
	CHECK_INT(cinstall_digests__add(&d, "", 0, d2), 0);
	memset(big, 'x', sizeof(big));
	CHECK_INT(cinstall_digests__add(&d, big, sizeof(big), d2), 0); /* not kept */
	cinstall_digests__save(&d, "e");
	cinstall_digests__release(&d);

	CHECK_INT(cinstall_digests__load(&d, "e"), 0);
	CHECK_INT((long)d.n, 2);
	CHECK_STR(cinstall_digests__find(&d, "cinstall\n", 9), d1);
	CHECK_STR(cinstall_digests__find(&d, "", 0), d2);
	CHECK(cinstall_digests__find(&d, "cinstall", 8) == NULL);  /* a prefix is other bytes */
	CHECK(cinstall_digests__find(&d, "cinstalL\n", 9) == NULL);
	CHECK(cinstall_digests__find(&d, big, sizeof(big)) == NULL);
	cinstall_digests__save(&d, "e"); /* nothing added: not rewritten */
	cinstall_digests__release(&d);

	/* A later install adds one and uses one: its two come first. */
	CHECK_INT(cinstall_digests__load(&d, "e"), 0);
	CHECK(cinstall_digests__find(&d, "", 0) != NULL);
	CHECK_INT(cinstall_digests__add(&d, "other", 5, d1), 0);
	cinstall_digests__save(&d, "e");
	cinstall_digests__release(&d);
	CHECK_INT(cinstall_digests__load(&d, "e"), 0);
	CHECK_INT((long)d.n, 3);
	if (d.n == 3) {
		CHECK_INT((long)d.items[0].len, 0);
		CHECK_INT((long)d.items[1].len, 5);
		CHECK_INT((long)d.items[2].len, 9);
	}
	cinstall_digests__release(&d);

	/* Well-formed, with its checksum: read. */
	write_digests("e/DIGESTS", "cinstall-digests 1\n2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nab\n");
	CHECK_INT(cinstall_digests__load(&d, "e"), 0);
	CHECK_STR(cinstall_digests__find(&d, "ab", 2), d1);
	cinstall_digests__release(&d);
	/* Each rule broken (the checksum right), then the checksum wrong or missing. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_digests("e/DIGESTS", bad[i]);
		CHECK_INT(cinstall_digests__load(&d, "e"), -1);
		CHECK_INT((long)d.n, 0);
		CHECK(cinstall_digests__find(&d, "ab", 2) == NULL);
		cinstall_digests__release(&d);
	}
	for (i = 0; i < 2; i++) {
		const char *text = i ? "cinstall-digests 1\n2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nab\n"
		                       "end 00000000000000000000000000000000\n"
		                     : "cinstall-digests 1\n2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nab\n";
		write_text("e/DIGESTS", text, strlen(text));
		CHECK_INT(cinstall_digests__load(&d, "e"), -1);
		CHECK_INT((long)d.n, 0);
		cinstall_digests__release(&d);
	}
	/* A directory in its place, or an unwritable entry: read as empty,
	 * saving fails quietly. */
	CHECK_INT(unlink("e/DIGESTS"), 0);
	CHECK_INT(mkdir("e/DIGESTS", 0755), 0);
	CHECK_INT(cinstall_digests__load(&d, "e"), -1);
	CHECK_INT(cinstall_digests__add(&d, "x", 1, d1), 0);
	cinstall_digests__save(&d, "e");
	cinstall_digests__release(&d);
	CHECK_INT(cinstall_digests__load(&d, "missing-entry"), 0);
	CHECK_INT(cinstall_digests__add(&d, "x", 1, d1), 0);
	cinstall_digests__save(&d, "missing-entry");
	CHECK(access("missing-entry", F_OK) != 0);
	cinstall_digests__release(&d);
}

static void *add_one(void *arg)
{
	int *n = arg;

	(*n)++;
	return n;
}

/* A gated helper (thread.h) runs its function once, with its argument, and
 * its result comes back through pthread_join; many at once too. */
static void test_thread__gated_create_runs_once(void)
{
	pthread_t t[16];
	int n[16] = { 0 };
	void *ret;
	size_t i;

	for (i = 0; i < 16; i++)
		CHECK_INT(cinstall_thread__create(&t[i], add_one, &n[i]), 0);
	for (i = 0; i < 16; i++) {
		CHECK_INT(pthread_join(t[i], &ret), 0);
		CHECK(ret == &n[i]);
		CHECK_INT(n[i], 1);
	}
}

#if defined(__linux__) && defined(__GLIBC__)
static void *own_cpus(void *arg)
{
	cpu_set_t *s = arg;

	if (sched_getaffinity(0, sizeof(*s), s) < 0)
		CPU_ZERO(s);
	return NULL;
}

/* Make a helper from a thread that may run on `mine` only, and give the
 * CPUs the helper's function may run on. */
typedef struct pinned {
	cpu_set_t mine, helper;
	int made;
} pinned;

static void *make_from_pinned(void *arg)
{
	pinned *p = arg;
	pthread_t t;

	if (sched_setaffinity(0, sizeof(p->mine), &p->mine) < 0)
		return NULL;
	if ((p->made = cinstall_thread__create(&t, own_cpus, &p->helper) == 0))
		pthread_join(t, NULL);
	return NULL;
}
#endif

/* A helper is made away from its creator's CPU (thread.h), but its
 * function runs on all the CPUs its creator may use; a creator bound to
 * one CPU still gets its helper, on that CPU. */
static void test_thread__helper_keeps_the_creators_cpus(void)
{
#if defined(__linux__) && defined(__GLIBC__)
	cpu_set_t all, seen;
	pinned p;
	pthread_t t;
	int cpu;

	CHECK(sched_getaffinity(0, sizeof(all), &all) == 0);
	CHECK_INT(cinstall_thread__create(&t, own_cpus, &seen), 0);
	CHECK_INT(pthread_join(t, NULL), 0);
	CHECK(CPU_EQUAL(&seen, &all));

	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &all); cpu++)
		;
	memset(&p, 0, sizeof(p));
	CPU_SET(cpu, &p.mine);
	CHECK_INT(pthread_create(&t, NULL, make_from_pinned, &p), 0);
	CHECK_INT(pthread_join(t, NULL), 0);
	CHECK(p.made);
	CHECK(CPU_EQUAL(&p.helper, &p.mine));
#else
	th_skip("CPU affinity is Linux and glibc only");
#endif
}

static const cinstall_test tests[] = {
	TEST(test_path__accepts_normal),
	TEST(test_path__refuses_each_rule),
	TEST(test_path__long_component),
	TEST(test_path__utf8),
	TEST(test_path__join_and_within),
	TEST(test_path__mkdirs_rmtree),
	TEST(test_hash__sha256_b64),
	TEST(test_hash__reset_reuses_and_switches),
	TEST(test_hash__b64url_vectors),
	TEST(test_digests__keep_find_and_refuse),
	TEST(test_thread__gated_create_runs_once),
	TEST(test_thread__helper_keeps_the_creators_cpus),
	TEST(test_buf__printf_fits_and_grows),
	TEST(test_hash__xxh3_streaming_matches_oneshot),
	TEST(test_hash__xxh3_vector_paths_agree),
	TEST(test_ctx__defaults_and_env),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
