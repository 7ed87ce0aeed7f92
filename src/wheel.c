/* wheel.c - wheel file names (binary distribution format), PEP 503 names,
 * PEP 440 version equality, and the RFC 822 style headers of WHEEL and
 * METADATA. */
#include "wheel.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctx.h"
#include "path.h"

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

static int is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

char *cinstall_wheel__normalize_name(const char *name)
{
	size_t len = strlen(name), o = 0;
	char *out = malloc(len + 1);
	const char *p;

	if (!out)
		return NULL;
	for (p = name; *p; p++) {
		if (is_sep(*p)) {
			if (o == 0 || out[o - 1] != '-')
				out[o++] = '-';
		} else {
			out[o++] = (char)tolower((unsigned char)*p);
		}
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */
/* ------------------------------------------------------------------------ */

/* Match keyword `kw` at *p (already lowercase); advance on success. */
static int eat(const char **p, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(*p, kw, n))
		return 0;
	*p += n;
	return 1;
}

/* Digits at *p as a number string without leading zeros; -1 when none. */
static int eat_number(const char **p, cinstall_buf *out)
{
	const char *s = *p, *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (e = s; isdigit((unsigned char)*e); e++)
		;
	*p = e;
	while (s + 1 < e && *s == '0')
		s++;
	return cinstall_buf__put(out, s, (size_t)(e - s));
}

/* An optional separator followed by one of `kws`: returns the index of the
 * keyword matched (and advances), or -1 leaving *p alone. */
static int eat_label(const char **p, const char *const *kws)
{
	const char *q = *p;
	size_t i;

	if (is_sep(*q))
		q++;
	for (i = 0; kws[i]; i++) {
		const char *r = q;
		if (eat(&r, kws[i])) {
			*p = r;
			return (int)i;
		}
	}
	return -1;
}

/* An optional separator and number after a label; "0" when absent. */
static int label_number(const char **p, cinstall_buf *out)
{
	const char *q = *p;

	if (is_sep(*q) && isdigit((unsigned char)q[1]))
		q++;
	if (!isdigit((unsigned char)*q))
		return cinstall_buf__putc(out, '0');
	*p = q;
	return eat_number(p, out);
}

/*
 * The canonical form of a PEP 440 version into `out`: lowercase, no leading
 * 'v', no epoch 0, release without trailing ".0" components and leading
 * zeros, pre-releases as a/b/rc, ".postN", ".devN", local segments joined by
 * '.'.  '_' is read as '-' first, since wheel file names escape '-' as '_'.
 * Returns 1 when `v` is a valid version, 0 when not (out then holds junk).
 */
static int canonical_version(cinstall_buf *out, const char *v)
{
	static const char *const pre_kw[] = { "alpha", "beta", "preview", "pre", "rc", "a", "b", "c", NULL };
	static const char *const pre_as[] = { "a", "b", "rc", "rc", "rc", "a", "b", "rc" };
	static const char *const post_kw[] = { "post", "rev", "r", NULL };
	static const char *const dev_kw[] = { "dev", NULL };
	cinstall_buf low = CINSTALL_BUF_INIT, num = CINSTALL_BUF_INIT;
	const char *p, *q;
	size_t release_start, last_nonzero;
	int k, ok = 0;

	cinstall_buf__truncate(out, 0);
	while (isspace((unsigned char)*v))
		v++;
	for (p = v; *p; p++) {
		char c = (char)tolower((unsigned char)*p);
		if (cinstall_buf__putc(&low, c == '_' ? '-' : c) < 0)
			goto done;
	}
	while (low.len && isspace((unsigned char)low.ptr[low.len - 1]))
		cinstall_buf__truncate(&low, low.len - 1);
	p = cinstall_buf__cstr(&low);
	if (*p == 'v')
		p++;
	/* Epoch. */
	for (q = p; isdigit((unsigned char)*q); q++)
		;
	if (q > p && *q == '!') {
		if (eat_number(&p, &num) < 0)
			goto done;
		p++;
		if (strcmp(cinstall_buf__cstr(&num), "0") &&
		    cinstall_buf__printf(out, "%s!", cinstall_buf__cstr(&num)) < 0)
			goto done;
	}
	/* Release. */
	release_start = out->len;
	last_nonzero = 0;
	for (;;) {
		cinstall_buf__truncate(&num, 0);
		if (eat_number(&p, &num) < 0)
			goto done;
		if (out->len > release_start && cinstall_buf__putc(out, '.') < 0)
			goto done;
		if (cinstall_buf__puts(out, cinstall_buf__cstr(&num)) < 0)
			goto done;
		if (strcmp(cinstall_buf__cstr(&num), "0") || last_nonzero == 0)
			last_nonzero = out->len;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	/* Drop trailing ".0" components (1.0.0 == 1). */
	cinstall_buf__truncate(out, last_nonzero);
	/* Pre-release. */
	if ((k = eat_label(&p, pre_kw)) >= 0) {
		if (cinstall_buf__puts(out, pre_as[k]) < 0 || label_number(&p, out) < 0)
			goto done;
	}
	/* Post-release: "-N" or [sep]post[sep][N]. */
	if (*p == '-' && isdigit((unsigned char)p[1])) {
		p++;
		if (cinstall_buf__puts(out, ".post") < 0 || eat_number(&p, out) < 0)
			goto done;
	} else if (eat_label(&p, post_kw) >= 0) {
		if (cinstall_buf__puts(out, ".post") < 0 || label_number(&p, out) < 0)
			goto done;
	}
	/* Development release. */
	if (eat_label(&p, dev_kw) >= 0) {
		if (cinstall_buf__puts(out, ".dev") < 0 || label_number(&p, out) < 0)
			goto done;
	}
	/* Local version: '+' then alphanumeric segments separated by -_. */
	if (*p == '+') {
		p++;
		if (cinstall_buf__putc(out, '+') < 0)
			goto done;
		for (;;) {
			const char *s = p;
			while (isalnum((unsigned char)*p))
				p++;
			if (p == s)
				goto done;
			/* Numeric segments compare as numbers. */
			for (q = s; q < p && isdigit((unsigned char)*q); q++)
				;
			if (q == p)
				while (s + 1 < p && *s == '0')
					s++;
			if (cinstall_buf__put(out, s, (size_t)(p - s)) < 0)
				goto done;
			if (!is_sep(*p))
				break;
			p++;
			if (cinstall_buf__putc(out, '.') < 0)
				goto done;
		}
	}
	ok = *p == '\0';
done:
	cinstall_buf__release(&low);
	cinstall_buf__release(&num);
	return ok;
}

int cinstall_wheel__version_eq(const char *a, const char *b)
{
	cinstall_buf ca = CINSTALL_BUF_INIT, cb = CINSTALL_BUF_INIT;
	int eq;

	if (!strcmp(a, b))
		return 1;
	if (canonical_version(&ca, a) && canonical_version(&cb, b)) {
		eq = !strcmp(cinstall_buf__cstr(&ca), cinstall_buf__cstr(&cb));
	} else {
		/* Not PEP 440 (legacy versions): compare case-insensitively with
		 * '-' and '_' taken as the same (the file name escapes '-'). */
		const char *p = a, *q = b;
		for (; *p && *q; p++, q++) {
			char x = (char)tolower((unsigned char)*p), y = (char)tolower((unsigned char)*q);
			if (x == '_')
				x = '-';
			if (y == '_')
				y = '-';
			if (x != y)
				break;
		}
		eq = !*p && !*q;
	}
	cinstall_buf__release(&ca);
	cinstall_buf__release(&cb);
	return eq;
}

/* ------------------------------------------------------------------------ */
/* File names                                                               */
/* ------------------------------------------------------------------------ */

static int bad_name(cinstall_err *err, const char *file, const char *rule)
{
	char q[512];

	cinstall_path__quote(q, sizeof(q), file);
	return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: invalid wheel file name: %s", q, rule);
}

void cinstall_wheel_filename_free(cinstall_wheel_filename *wf)
{
	if (!wf)
		return;
	free(wf->name);
	free(wf->normalized_name);
	free(wf->version);
	free(wf->build_tag);
	free(wf->python_tag);
	free(wf->abi_tag);
	free(wf->platform_tag);
	free(wf);
}

/* A compressed tag set: components separated by '.', each non-empty and
 * made of letters, digits and '_'. */
static int tag_set_ok(const char *s)
{
	int empty = 1;

	for (; *s; s++) {
		if (*s == '.') {
			if (empty)
				return 0;
			empty = 1;
		} else if (isalnum((unsigned char)*s) || *s == '_') {
			empty = 0;
		} else {
			return 0;
		}
	}
	return !empty;
}

int cinstall_wheel__filename_parse(cinstall_wheel_filename **out, cinstall_err *err, const char *path)
{
	const char *file = cinstall_path__basename(path);
	char *stem = NULL, *parts[6], *p;
	size_t len = strlen(file), n = 0, i;
	cinstall_wheel_filename *wf = NULL;
	int error = 0;

	*out = NULL;
	if (len < 4 || strcmp(file + len - 4, ".whl")) {
		error = bad_name(err, file, "it does not end in '.whl'");
		goto done;
	}
	if (!(stem = strndup(file, len - 4)))
		goto oom;
	for (p = stem; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\') {
			error = bad_name(err, file, "it contains a control character or separator");
			goto done;
		}
	}
	parts[n++] = stem;
	for (p = stem; *p; p++) {
		if (*p != '-')
			continue;
		*p = '\0';
		if (n == 6) {
			n++;
			break;
		}
		parts[n++] = p + 1;
	}
	if (n != 5 && n != 6) {
		error = bad_name(err, file, "expected {name}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (!*parts[i]) {
			error = bad_name(err, file, "empty component");
			goto done;
		}
	}
	for (p = parts[0]; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.') {
			error = bad_name(err, file, "the distribution name has characters other than letters, digits, '_' and '.'");
			goto done;
		}
	}
	if (!isalnum((unsigned char)parts[0][0]) || !isalnum((unsigned char)p[-1])) {
		error = bad_name(err, file, "the distribution name must start and end with a letter or digit");
		goto done;
	}
	for (p = parts[1]; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("._+!", *p)) {
			error = bad_name(err, file, "the version has characters other than letters, digits and '._+!'");
			goto done;
		}
	}
	if (n == 6) {
		if (!isdigit((unsigned char)parts[2][0])) {
			error = bad_name(err, file, "the build tag must start with a digit");
			goto done;
		}
		for (p = parts[2]; *p; p++) {
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.') {
				error = bad_name(err, file, "the build tag has characters other than letters, digits, '_' and '.'");
				goto done;
			}
		}
	}
	for (i = n - 3; i < n; i++) {
		if (!tag_set_ok(parts[i])) {
			error = bad_name(err, file, "a tag set has an empty or invalid tag");
			goto done;
		}
	}
	if (!(wf = calloc(1, sizeof(*wf))))
		goto oom;
	if (!(wf->name = strdup(parts[0])) || !(wf->normalized_name = cinstall_wheel__normalize_name(parts[0])) ||
	    !(wf->version = strdup(parts[1])) || (n == 6 && !(wf->build_tag = strdup(parts[2]))) ||
	    !(wf->python_tag = strdup(parts[n - 3])) || !(wf->abi_tag = strdup(parts[n - 2])) ||
	    !(wf->platform_tag = strdup(parts[n - 1])))
		goto oom;
	*out = wf;
	wf = NULL;
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	cinstall_wheel_filename_free(wf);
	free(stem);
	return error;
}

int cinstall_wheel_filename_parse(cinstall_wheel_filename **out, cinstall_ctx *ctx, const char *path)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	int error;

	if (!out || !path) {
		cinstall_err__set(&err, CINSTALL_EINVAL, 0, "no wheel file name given");
		return cinstall_ctx__fail(ctx, &err);
	}
	if ((error = cinstall_wheel__filename_parse(out, &err, path)) < 0)
		return cinstall_ctx__fail(ctx, &err);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Headers                                                                  */
/* ------------------------------------------------------------------------ */

static void trim(cinstall_buf *b)
{
	size_t start = 0, end = b->len;

	while (start < end && (b->ptr[start] == ' ' || b->ptr[start] == '\t'))
		start++;
	while (end > start && isspace((unsigned char)b->ptr[end - 1]))
		end--;
	if (start)
		memmove(b->ptr, b->ptr + start, end - start);
	cinstall_buf__truncate(b, end - start);
}

/*
 * Headers end at the first blank line or at the end of the data.  A line
 * that starts with a space or tab continues the previous header (joined
 * with one space).  A line that is neither, like Python's email parser
 * does, ends the headers.  A header name is printable ASCII without ':'.
 */
int cinstall_wheel__headers(cinstall_err *err, const char *wheel, const char *file, const char *data, size_t len,
                            int (*cb)(const char *name, const char *value, void *payload), void *payload)
{
	cinstall_buf name = CINSTALL_BUF_INIT, value = CINSTALL_BUF_INIT;
	const char *p = data, *end = data + len;
	int have = 0, error = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *next, *colon, *q;
		size_t llen;

		if (!eol)
			eol = end;
		next = eol < end ? eol + 1 : end;
		llen = (size_t)(eol - p);
		if (llen && p[llen - 1] == '\r')
			llen--;
		if (memchr(p, '\0', llen)) {
			error = cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: '%s': NUL byte in headers", wheel, file);
			goto done;
		}
		if (llen == 0)
			break;
		if (p[0] == ' ' || p[0] == '\t') {
			if (!have)
				break;
			while (llen && (*p == ' ' || *p == '\t')) {
				p++;
				llen--;
			}
			trim(&value);
			if ((value.len && llen && cinstall_buf__putc(&value, ' ') < 0) || cinstall_buf__put(&value, p, llen) < 0)
				goto oom;
			p = next;
			continue;
		}
		colon = memchr(p, ':', llen);
		for (q = p; colon && q < colon; q++)
			if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
				colon = NULL;
		if (!colon || colon == p)
			break;
		if (have) {
			trim(&value);
			if ((error = cb(cinstall_buf__cstr(&name), cinstall_buf__cstr(&value), payload)) != 0)
				goto done;
		}
		cinstall_buf__truncate(&name, 0);
		cinstall_buf__truncate(&value, 0);
		if (cinstall_buf__put(&name, p, (size_t)(colon - p)) < 0 ||
		    cinstall_buf__put(&value, colon + 1, llen - (size_t)(colon + 1 - p)) < 0)
			goto oom;
		have = 1;
		p = next;
	}
	if (have) {
		trim(&value);
		error = cb(cinstall_buf__cstr(&name), cinstall_buf__cstr(&value), payload);
	}
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	cinstall_buf__release(&name);
	cinstall_buf__release(&value);
	return error;
}

int cinstall_wheel__data_key(cinstall_err *err, const char *wheel, const char *data_dir, const char *path,
                             const char **rest)
{
	static const char *const keys[] = { "purelib", "platlib", "scripts", "headers", "data" };
	const char *k = path + strlen(data_dir) + 1, *slash = strchr(k, '/');
	size_t klen = slash ? (size_t)(slash - k) : 0, i;

	if (!slash || !slash[1])
		return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: '%s': not inside a scheme directory of '%s'",
		                         wheel, path, data_dir);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == klen && !memcmp(keys[i], k, klen)) {
			*rest = slash + 1;
			return (int)i;
		}
	return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
	                         "%s: '%s': unknown scheme directory '%.*s' in '%s' (expected "
	                         "purelib, platlib, scripts, headers or data)",
	                         wheel, path, (int)(klen > 64 ? 64 : klen), k, data_dir);
}
