/* casefold.c - names of a wheel that collide on case-insensitive filesystems.
 *
 * One 64-bit hash per folded name (files, and the directories leading to
 * them), sorted; only when two hashes meet are the names themselves looked
 * at again.  Directory against directory is no collision worth refusing:
 * "A/x.py" and "a/y.py" merge into one directory and both files survive.
 */
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "buf.h"
#include "casefold.h"
#include "hash.h"
#include "path.h"

#define KIND_FILE 1u /* low bit of a key: a file's name, else a directory's */

/* Fold `len` bytes of UTF-8 into `out` (invalid bytes are kept as they are:
 * the path checks refuse them earlier). */
static int fold(cinstall_buf *out, const char *s, size_t len, locale_t loc)
{
	mbstate_t in, on;
	char mb[MB_LEN_MAX];
	size_t i = 0;

	cinstall_buf__truncate(out, 0);
	memset(&in, 0, sizeof(in));
	memset(&on, 0, sizeof(on));
	while (i < len) {
		wchar_t wc;
		size_t k, m;
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (cinstall_buf__putc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c)) < 0)
				return -1;
			i++;
			continue;
		}
		k = mbrtowc(&wc, s + i, len - i, &in);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&in, 0, sizeof(in));
			if (cinstall_buf__putc(out, s[i]) < 0)
				return -1;
			i++;
			continue;
		}
		wc = (wchar_t)towlower_l((wint_t)wc, loc);
		m = wcrtomb(mb, wc, &on);
		if (m == (size_t)-1) {
			if (cinstall_buf__put(out, s + i, k) < 0)
				return -1;
		} else if (cinstall_buf__put(out, mb, m) < 0)
			return -1;
		i += k;
	}
	return cinstall_buf__putc(out, '\0') < 0 ? -1 : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t key_of(const char *s, size_t len, unsigned kind, cinstall_buf *tmp, locale_t loc, int *oom)
{
	if (fold(tmp, s, len, loc) < 0) {
		*oom = 1;
		return 0;
	}
	return (cinstall_xxh__64(tmp->ptr, tmp->len - 1) & ~(uint64_t)1) | kind;
}

/* Which names give `want` (top 63 bits)?  Fill a and b with two names that
 * differ but fold alike, at least one a file; 1 when found. */
static int find_pair(cinstall_buf *a, cinstall_buf *b, uint64_t want, size_t n, cinstall_casefold_path_fn path_at,
                     const void *payload, cinstall_buf *tmp, locale_t loc, int *oom)
{
	cinstall_buf fa = CINSTALL_BUF_INIT;
	int found = 0, have = 0, a_file = 0;
	size_t i;

	for (i = 0; i < n && !found && !*oom; i++) {
		const char *p = path_at(payload, i), *s;
		size_t len = strlen(p);
		for (s = p;; s++) {
			unsigned kind = *s ? 0 : KIND_FILE;
			if (*s && *s != '/')
				continue;
			if ((key_of(p, (size_t)(s - p), kind, tmp, loc, oom) >> 1) == want >> 1 && !*oom) {
				if (!have) {
					if (cinstall_buf__put(a, p, (size_t)(s - p)) < 0 || cinstall_buf__putc(a, '\0') < 0 ||
					    cinstall_buf__put(&fa, tmp->ptr, tmp->len) < 0)
						*oom = 1;
					have = 1;
					a_file = kind == KIND_FILE;
				} else if (((size_t)(s - p) != a->len - 1 || memcmp(p, a->ptr, a->len - 1)) &&
				           tmp->len == fa.len && !memcmp(tmp->ptr, fa.ptr, fa.len) && (a_file || kind)) {
					if (cinstall_buf__put(b, p, (size_t)(s - p)) < 0 || cinstall_buf__putc(b, '\0') < 0)
						*oom = 1;
					found = 1;
					break;
				}
			}
			if (!*s || s - p >= (ptrdiff_t)len)
				break;
		}
	}
	cinstall_buf__release(&fa);
	return found;
}

int cinstall_casefold__check(cinstall_err *err, const char *wheel, size_t n, cinstall_casefold_path_fn path_at,
                             const void *payload, locale_t utf8)
{
	cinstall_buf tmp = CINSTALL_BUF_INIT, a = CINSTALL_BUF_INIT, b = CINSTALL_BUF_INIT;
	uint64_t *keys = NULL;
	size_t nkeys = 0, cap = 0, i;
	const char *prev = NULL;
	locale_t loc;
	int oom = 0, error = 0;

	if (n < 2)
		return 0;
	if (!(loc = utf8) && !(loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)))
		return 0; /* no Unicode tables: nothing to fold with */
	{
		locale_t saved = uselocale(loc);
		for (i = 0; i < n && !oom; i++) {
			const char *p = path_at(payload, i), *s;
			/* The file, then each directory on its way not already
			 * counted for the previous path. */
			for (s = p;; s++) {
				if (*s && *s != '/')
					continue;
				if (*s && prev && !strncmp(prev, p, (size_t)(s - p) + 1))
					continue;
				if (nkeys == cap) {
					size_t ncap = cap ? cap * 2 : 1024;
					uint64_t *nk = realloc(keys, ncap * sizeof(*nk));
					if (!nk) {
						oom = 1;
						break;
					}
					keys = nk;
					cap = ncap;
				}
				keys[nkeys++] = key_of(p, (size_t)(s - p), *s ? 0 : KIND_FILE, &tmp, loc, &oom);
				if (!*s)
					break;
			}
			prev = p;
		}
		if (!oom)
			qsort(keys, nkeys, sizeof(*keys), cmp_u64);
		for (i = 1; i < nkeys && !oom; i++) {
			if (keys[i] >> 1 != keys[i - 1] >> 1 || !((keys[i] | keys[i - 1]) & KIND_FILE))
				continue;
			cinstall_buf__truncate(&a, 0);
			cinstall_buf__truncate(&b, 0);
			if (find_pair(&a, &b, keys[i], n, path_at, payload, &tmp, loc, &oom)) {
				char qa[512], qb[512];
				cinstall_path__quote(qa, sizeof(qa), b.ptr);
				cinstall_path__quote(qb, sizeof(qb), a.ptr);
				error = cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
				                          "%s: '%s': name differs only in case from '%s' (the two are one "
				                          "file on case-insensitive filesystems: macOS, Windows, exFAT)",
				                          wheel, qa, qb);
				break;
			}
		}
		uselocale(saved);
	}
	if (oom && !error)
		error = cinstall_err__oom(err);
	if (loc != utf8)
		freelocale(loc);
	free(keys);
	cinstall_buf__release(&tmp);
	cinstall_buf__release(&a);
	cinstall_buf__release(&b);
	return error;
}
