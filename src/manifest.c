/* manifest.c - a cache entry's MANIFEST, on disk and in memory.
 *
 * The file is text, one record per line, strings percent-escaped ('%',
 * control characters and bytes >= 0x7f are written as %XX) so that no
 * value can contain a line break or a space where one is a separator:
 *
 *   cinstall-manifest 1
 *   key <xxh3-128 hex of the wheel>
 *   wheel-sha256 <hex>
 *   wheel <file name>
 *   name <Name>
 *   version <Version>
 *   dist-info <dir>
 *   data-dir <dir>            (only when the wheel has one)
 *   requires-python <spec>    (only when METADATA has it)
 *   tags <tag tag ...>        (only when WHEEL has Tag lines)
 *   root-is-purelib 0|1
 *   sloppy <message>          (only when RECORD was sloppy: the first warning)
 *   sealed <ns>               (the newest file mtime at publication, ns since the epoch)
 *   files <n>
 *   f <mode octal> <size> <sha256 b64> <xxh3 hex> <path>     (n times, sorted)
 *   end <xxh3-128 hex of every byte above this line>
 *
 * An entry is trusted only when the "end" line is there and its checksum
 * matches: a MANIFEST cut short or altered is CINSTALL_ECACHE.
 */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "path.h"
#include "sys.h"

#define MANIFEST_MAGIC "cinstall-manifest 1"

void cinstall_manifest__drop_files(cinstall_manifest *m)
{
	cinstall_arena__free(&m->arena);
	free(m->files);
	m->files = NULL;
	m->nfiles = 0;
}

void cinstall_manifest__free(cinstall_manifest *m)
{
	if (!m)
		return;
	cinstall_manifest__drop_files(m);
	free(m->wheel);
	free(m->name);
	free(m->version);
	free(m->dist_info);
	free(m->data_dir);
	free(m->requires_python);
	free(m->tags);
	free(m->sloppy);
	free(m);
}

const char *cinstall_manifest__intern(cinstall_manifest *m, const char *path, size_t len)
{
	return cinstall_arena__copy(&m->arena, path, len);
}

void cinstall_manifest__sha256_b64(char out[CINSTALL_B64_MAX], const cinstall_manifest_file *f)
{
	cinstall_hash__b64url(out, f->sha256, CINSTALL_SHA256_LEN);
}

void cinstall_manifest__xxh3_hex(char out[CINSTALL_XXH_HEX], const cinstall_manifest_file *f)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < CINSTALL_XXH3_LEN; i++) {
		out[2 * i] = digits[f->xxh3[i] >> 4];
		out[2 * i + 1] = digits[f->xxh3[i] & 15];
	}
	out[2 * CINSTALL_XXH3_LEN] = '\0';
}

/* Hex digit values plus one, by byte (0: not a digit): a load per digit
 * rather than a chain of comparisons (MANIFEST holds 32 hex and 43 base64
 * digits a file). */
static const unsigned char hex_plus1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

static inline int hexval(char c)
{
	return (int)hex_plus1[(unsigned char)c] - 1;
}

int cinstall_manifest__xxh3_parse(unsigned char out[CINSTALL_XXH3_LEN], const char *hex)
{
	size_t i;

	for (i = 0; i < CINSTALL_XXH3_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return hex[2 * CINSTALL_XXH3_LEN] == '\0' ? 0 : -1;
}

/* urlsafe base64 digit values plus one, by byte (0: not a digit). */
static const unsigned char b64_plus1[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
	['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64
};

static inline int b64val(char c)
{
	return (int)b64_plus1[(unsigned char)c] - 1;
}

/* A SHA-256 as this file writes it: exactly 43 urlsafe base64 digits, the
 * last one's low 2 bits 0.  0, or -1 for anything else (which the general
 * decoder then reads). */
static int sha256_parse(unsigned char out[CINSTALL_SHA256_LEN], const char *b64)
{
	size_t i, o;
	int a, b, c, d;
	uint32_t v;

	/* Four digits to three bytes, ten times, then three digits to two. */
	for (i = 0, o = 0; i < 40; i += 4, o += 3) {
		a = b64val(b64[i]), b = b64val(b64[i + 1]), c = b64val(b64[i + 2]), d = b64val(b64[i + 3]);
		if ((a | b | c | d) < 0)
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o] = (unsigned char)(v >> 16);
		out[o + 1] = (unsigned char)(v >> 8);
		out[o + 2] = (unsigned char)v;
	}
	a = b64val(b64[40]), b = b64val(b64[41]), c = b64val(b64[42]);
	if ((a | b | c) < 0)
		return -1;
	v = (uint32_t)a << 12 | (uint32_t)b << 6 | (uint32_t)c;
	out[30] = (unsigned char)(v >> 10);
	out[31] = (unsigned char)(v >> 2);
	return b64[43] == '\0' && (v & 3) == 0 ? 0 : -1;
}

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const cinstall_manifest_file *)a)->path, ((const cinstall_manifest_file *)b)->path);
}

void cinstall_manifest__sort(cinstall_manifest *m)
{
	cinstall_manifest_file *shrunk;

	size_t i;

	if (!m->nfiles)
		return;
	/* Read back from MANIFEST they are sorted already: no sort, and no
	 * buffer of qsort's. */
	for (i = 1; i < m->nfiles && cmp_files(&m->files[i - 1], &m->files[i]) <= 0; i++)
		;
	if (i < m->nfiles)
		qsort(m->files, m->nfiles, sizeof(*m->files), cmp_files);
	if ((shrunk = realloc(m->files, m->nfiles * sizeof(*m->files))))
		m->files = shrunk;
}

const cinstall_manifest_file *cinstall_manifest__find(const cinstall_manifest *m, const char *path)
{
	size_t lo = 0, hi = m->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, m->files[mid].path);
		if (c == 0)
			return &m->files[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

static int put_escaped(cinstall_buf *b, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
			if (cinstall_buf__printf(b, "%%%02X", *p) < 0)
				return CINSTALL_ENOMEM;
		} else if (cinstall_buf__putc(b, (char)*p) < 0) {
			return CINSTALL_ENOMEM;
		}
	}
	return 0;
}

static int put_field(cinstall_buf *b, const char *key, const char *value)
{
	if (!value)
		return 0;
	if (cinstall_buf__puts(b, key) < 0 || cinstall_buf__putc(b, ' ') < 0 || put_escaped(b, value) < 0 ||
	    cinstall_buf__putc(b, '\n') < 0)
		return CINSTALL_ENOMEM;
	return 0;
}

/* Flush `b` to fd, hashing what is written, once it grows past `limit`. */
static int flush(int fd, cinstall_buf *b, cinstall_xxh *x, size_t limit)
{
	if (b->len < limit)
		return 0;
	cinstall_xxh__update(x, b->ptr, b->len);
	if (cinstall_sys__write_all(fd, b->ptr, b->len) < 0)
		return -1;
	cinstall_buf__truncate(b, 0);
	return 0;
}

int cinstall_manifest__save(cinstall_err *err, const cinstall_manifest *m, const char *dir)
{
	return cinstall_manifest__save_sync(err, m, dir, 1);
}

int cinstall_manifest__save_sync(cinstall_err *err, const cinstall_manifest *m, const char *dir, int sync)
{
	cinstall_buf b = CINSTALL_BUF_INIT, tmp = CINSTALL_BUF_INIT, dst = CINSTALL_BUF_INIT;
	cinstall_xxh *x = NULL;
	char sum[CINSTALL_XXH_HEX];
	int fd = -1, dfd = -1, error = 0;
	size_t i;

	if ((error = cinstall_xxh__new(&x, err)) < 0)
		goto done;
	if (cinstall_path__join(&dst, dir, "MANIFEST") < 0 || cinstall_buf__printf(&tmp, "%s.tmp.%ld", dst.ptr, (long)getpid()) < 0)
		goto oom;
	fd = cinstall_sys__open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd < 0) {
		error = cinstall_err__os(err, "cannot create '%s'", tmp.ptr);
		goto done;
	}
	if (cinstall_buf__puts(&b, MANIFEST_MAGIC "\n") < 0 || put_field(&b, "key", m->key) < 0 ||
	    put_field(&b, "wheel-sha256", m->wheel_sha256) < 0 || put_field(&b, "wheel", m->wheel ? m->wheel : "") < 0 ||
	    put_field(&b, "name", m->name ? m->name : "") < 0 || put_field(&b, "version", m->version ? m->version : "") < 0 ||
	    put_field(&b, "dist-info", m->dist_info ? m->dist_info : "") < 0 || put_field(&b, "data-dir", m->data_dir) < 0 ||
	    put_field(&b, "requires-python", m->requires_python) < 0 || put_field(&b, "tags", m->tags) < 0 || put_field(&b, "sloppy", m->sloppy) < 0 ||
	    (m->sealed_ns && cinstall_buf__printf(&b, "sealed %llu\n", (unsigned long long)m->sealed_ns) < 0) ||
	    cinstall_buf__printf(&b, "root-is-purelib %d\nfiles %zu\n", m->root_is_purelib ? 1 : 0, m->nfiles) < 0)
		goto oom;
	for (i = 0; i < m->nfiles; i++) {
		const cinstall_manifest_file *f = &m->files[i];
		char b64[CINSTALL_B64_MAX], hex[CINSTALL_XXH_HEX];
		cinstall_manifest__sha256_b64(b64, f);
		cinstall_manifest__xxh3_hex(hex, f);
		if (cinstall_buf__printf(&b, "f %o %llu %s %s ", (unsigned)f->mode, (unsigned long long)f->size,
		                         b64, hex) < 0 ||
		    put_escaped(&b, f->path) < 0 || cinstall_buf__putc(&b, '\n') < 0)
			goto oom;
		if (flush(fd, &b, x, 1 << 16) < 0)
			goto io;
	}
	if (flush(fd, &b, x, 0) < 0)
		goto io;
	cinstall_xxh__final_hex(x, sum);
	if (cinstall_buf__printf(&b, "end %s\n", sum) < 0)
		goto oom;
	if (cinstall_sys__write_all(fd, b.ptr, b.len) < 0 || (sync && cinstall_sys__fsync(fd) < 0))
		goto io;
	if (cinstall_sys__close(fd) < 0) {
		fd = -1;
		goto io;
	}
	fd = -1;
	if (rename(tmp.ptr, dst.ptr) < 0) {
		error = cinstall_err__os(err, "cannot rename '%s' to '%s'", tmp.ptr, dst.ptr);
		goto done;
	}
	/* Make the rename itself durable. */
	if (sync && (dfd = cinstall_sys__open(dir, O_RDONLY | O_DIRECTORY, 0)) >= 0)
		cinstall_sys__fsync(dfd);
	goto done;
io:
	error = cinstall_err__os(err, "cannot write '%s'", tmp.ptr);
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	if (fd >= 0)
		close(fd);
	if (error < 0 && tmp.ptr)
		unlink(tmp.ptr);
	if (dfd >= 0)
		close(dfd);
	cinstall_xxh__free(x);
	cinstall_buf__release(&b);
	cinstall_buf__release(&tmp);
	cinstall_buf__release(&dst);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

/* Undo put_escaped in place; the new length, or -1 on a bad escape. */
static long unescape_in_place(char *s)
{
	char *o, *start = s;

	/* Most paths have nothing escaped: copy nothing before the first '%'. */
	if (!(s = strchr(s, '%')))
		return (long)strlen(start);
	for (o = s; *s; s++) {
		if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return (long)(o - start);
}

/* Undo put_escaped into a new string; NULL on a bad escape or out of memory. */
static char *unescape(const char *s)
{
	char *out = strdup(s);

	if (out && unescape_in_place(out) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (hexval(s[i]) < 0)
			return 0;
	return s[len] == '\0';
}

/* Parse one "f ..." line into `f` (its path into m's arena); 0, -1 when
 * malformed, CINSTALL_ENOMEM. */
static int parse_file_line(cinstall_manifest *m, cinstall_manifest_file *f, char *line)
{
	unsigned char digest[CINSTALL_DIGEST_MAX];
	long len;
	char *p = line + 2, *end, *sha, *xxh;
	uint32_t mode;
	uint64_t size = 0;

	/* The two modes this file is written with, and the size in decimal
	 * (strtoul and strtoull were a fifth of reading a MANIFEST). */
	if (!memcmp(p, "644 ", 4))
		mode = 0644;
	else if (!memcmp(p, "755 ", 4))
		mode = 0755;
	else
		return -1;
	for (p += 4, end = p; *end >= '0' && *end <= '9'; end++) {
		if (size > (UINT64_MAX - 9) / 10)
			return -1;
		size = size * 10 + (uint64_t)(*end - '0');
	}
	if (end == p || *end != ' ')
		return -1;
	sha = end + 1;
	if (!(end = strchr(sha, ' ')) || (size_t)(end - sha) >= CINSTALL_B64_MAX || end == sha)
		return -1;
	*end = '\0';
	xxh = end + 1;
	if (!(end = strchr(xxh, ' ')) || end - xxh != 32)
		return -1;
	*end = '\0';
	if (sha256_parse(f->sha256, sha) < 0) {
		if (cinstall_hash__b64url_decode(digest, sizeof(digest), sha) != CINSTALL_SHA256_LEN)
			return -1;
		memcpy(f->sha256, digest, CINSTALL_SHA256_LEN);
	}
	if (cinstall_manifest__xxh3_parse(f->xxh3, xxh) < 0)
		return -1;
	f->mode = mode;
	f->size = size;
	if ((len = unescape_in_place(end + 1)) <= 0)
		return -1;
	if (!(f->path = cinstall_manifest__intern(m, end + 1, (size_t)len)))
		return CINSTALL_ENOMEM;
	return 0;
}

/* MANIFEST is read a block at a time (lines held whole: a longer one grows
 * the buffer), and each block's complete lines are checksummed in one
 * XXH3 update before they are parsed in place: line by line, through
 * stdio's getline and an update per line, the checksum and the reading
 * were a third of loading it. */
#define LOAD_BLOCK ((size_t)64 << 10)

/* The string fields, by key. */
static const struct {
	const char *key;
	size_t off;
} string_fields[] = {
	{ "wheel", offsetof(cinstall_manifest, wheel) },
	{ "name", offsetof(cinstall_manifest, name) },
	{ "version", offsetof(cinstall_manifest, version) },
	{ "dist-info", offsetof(cinstall_manifest, dist_info) },
	{ "data-dir", offsetof(cinstall_manifest, data_dir) },
	{ "requires-python", offsetof(cinstall_manifest, requires_python) },
	{ "tags", offsetof(cinstall_manifest, tags) },
	{ "sloppy", offsetof(cinstall_manifest, sloppy) },
};

/* One line of MANIFEST, its '\n' replaced by NUL, not "end": into `m`. 0,
 * -1 when malformed, CINSTALL_ENOMEM. */
static int parse_line(cinstall_manifest *m, char *line, size_t lineno, size_t *want)
{
	char *v;

	if (lineno == 1)
		return strcmp(line, MANIFEST_MAGIC) ? -1 : 0;
	if (line[0] == 'f' && line[1] == ' ') {
		int r;
		if (m->nfiles >= *want)
			return -1;
		if ((r = parse_file_line(m, &m->files[m->nfiles], line)) < 0)
			return r;
		m->nfiles++;
		return 0;
	}
	if (!(v = strchr(line, ' ')))
		return -1;
	*v++ = '\0';
	if (!strcmp(line, "files")) {
		char *end;
		unsigned long long nf;
		errno = 0;
		nf = strtoull(v, &end, 10);
		if (errno || *end || end == v || *want != (size_t)-1 || nf > ((size_t)1 << 28))
			return -1;
		*want = (size_t)nf;
		if (*want && !(m->files = calloc(*want, sizeof(*m->files))))
			return CINSTALL_ENOMEM;
	} else if (!strcmp(line, "sealed")) {
		char *end;
		errno = 0;
		m->sealed_ns = strtoull(v, &end, 10);
		if (errno || *end || end == v || *v == '-')
			return -1;
	} else if (!strcmp(line, "root-is-purelib")) {
		m->root_is_purelib = !strcmp(v, "1");
	} else if (!strcmp(line, "key") || !strcmp(line, "wheel-sha256")) {
		int is_key = line[0] == 'k';
		size_t len = is_key ? 32 : 64;
		if (!is_hex(v, len))
			return -1;
		memcpy(is_key ? m->key : m->wheel_sha256, v, len + 1);
	} else {
		char **slot = NULL;
		size_t i;
		for (i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]) && !slot; i++)
			if (!strcmp(line, string_fields[i].key))
				slot = (char **)((char *)m + string_fields[i].off);
		if (slot && (*slot || !(*slot = unescape(v))))
			return -1;
		/* Unknown keys are fields a later version added. */
	}
	return 0;
}

/* MANIFEST is read a block at a time (a line longer than the buffer grows
 * it), and each block's complete lines are checksummed in one XXH3 update,
 * then parsed in place: line by line through stdio's getline, with an
 * update per line, the reading and the checksum were a third of loading
 * it. */
#define LOAD_BLOCK ((size_t)64 << 10)

int cinstall_manifest__load(cinstall_manifest **out, cinstall_err *err, const char *entry_dir)
{
	cinstall_buf path = CINSTALL_BUF_INIT;
	cinstall_manifest *m = NULL;
	cinstall_xxh *x = NULL;
	char *buf = NULL, *line, *nl, *hashed_end, sum[CINSTALL_XXH_HEX];
	size_t cap = LOAD_BLOCK, len = 0, want = (size_t)-1, lineno = 0, used;
	ssize_t n;
	int fd = -1, error = 0, r, ended = 0, eof = 0;

	*out = NULL;
	if (cinstall_path__join(&path, entry_dir, "MANIFEST") < 0)
		goto oom;
	if ((error = cinstall_xxh__new(&x, err)) < 0)
		goto done;
	if ((fd = cinstall_sys__open(path.ptr, O_RDONLY, 0)) < 0) {
		error = cinstall_err__errno(err, errno == ENOMEM ? CINSTALL_ENOMEM : CINSTALL_ECACHE, errno,
		                            "cache entry '%s': cannot read MANIFEST", entry_dir);
		goto done;
	}
	if (!(m = calloc(1, sizeof(*m))) || !(buf = malloc(cap)))
		goto oom;
	while (!ended && !eof) {
		if (len == cap) {
			/* One line fills the buffer: hold more. */
			char *nb = cap >= ((size_t)1 << 28) ? NULL : realloc(buf, 2 * cap);
			if (!nb)
				goto oom;
			buf = nb;
			cap *= 2;
		}
		if ((n = cinstall_sys__read_full(fd, buf + len, cap - len)) < 0) {
			error = cinstall_err__errno(err, CINSTALL_ECACHE, errno, "cache entry '%s': cannot read MANIFEST",
			                            entry_dir);
			goto done;
		}
		eof = (size_t)n < cap - len;
		len += (size_t)n;
		/* Checksum the complete lines, up to the "end" line (which it
		 * does not cover), before parsing changes them. */
		hashed_end = buf;
		for (line = buf; (nl = memchr(line, '\n', (size_t)(buf + len - line))); line = nl + 1) {
			if (nl - line >= 4 && !memcmp(line, "end ", 4))
				break;
			hashed_end = nl + 1;
		}
		if (hashed_end > buf)
			cinstall_xxh__update(x, buf, (size_t)(hashed_end - buf));
		for (line = buf; (nl = memchr(line, '\n', (size_t)(buf + len - line))); line = nl + 1) {
			lineno++;
			*nl = '\0';
			if (line >= hashed_end) {
				/* "end <checksum>", the last line of the file. */
				cinstall_xxh__final_hex(x, sum);
				if (strcmp(line + 4, sum) || nl + 1 != buf + len)
					goto bad;
				if (!eof && cinstall_sys__read_full(fd, sum, 1) != 0)
					goto bad; /* it filled the buffer exactly: nothing may follow */
				ended = 1;
				break;
			}
			if ((r = parse_line(m, line, lineno, &want)) == CINSTALL_ENOMEM)
				goto oom;
			if (r < 0)
				goto bad;
		}
		if (ended)
			break;
		/* A partial line waits for the next block; at the end of the file
		 * it is a line without its '\n'. */
		used = (size_t)(line - buf);
		memmove(buf, line, len - used);
		len -= used;
	}
	if (!ended || want == (size_t)-1 || m->nfiles != want || !m->key[0] || !m->name || !m->version || !m->dist_info)
		goto bad;
	/* Written sorted; sort anyway so a hand-edited file cannot break find(). */
	cinstall_manifest__sort(m);
	*out = m;
	m = NULL;
	goto done;
bad:
	error = cinstall_err__set(err, CINSTALL_ECACHE, 0, "cache entry '%s': MANIFEST is incomplete or damaged (line %zu)",
	                          entry_dir, lineno);
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	cinstall_xxh__free(x);
	cinstall_manifest__free(m);
	cinstall_buf__release(&path);
	return error;
}
