/* tags.c - wheel tags and Requires-Python against the target interpreter.
 *
 * Tags: the set an interpreter accepts is the one pip builds (PEP 425 with
 * packaging.tags): for CPython X.Y with ABI A on platforms P
 *     cpXY-A-P, cpXY-abi3-P, cpXY-none-P, cpXW-abi3-P (W = Y-1 .. 2),
 *     pyXY-none-P, pyX-none-P, pyXW-none-P (W = Y-1 .. 0),
 *     cpXY-none-any, pyXY-none-any, pyX-none-any, pyXW-none-any
 * (abi3 only for X = 3 and not for free-threaded builds; a debug build also
 * takes the plain cpXY ABI), and for other implementations (PyPy...)
 *     <impl>XY-A-P, <impl>XY-none-P, the py* tags, <impl>XY-none-any and
 *     <impl>X-none-any.
 * On Linux, P is manylinux_2_Y_<arch> for every Y up to the machine's glibc
 * (down to 2_17, or 2_5 on x86), the legacy aliases manylinux1 (2_5),
 * manylinux2010 (2_12) and manylinux2014 (2_17), musllinux_1_Y_<arch> on
 * musl up to its version, and linux_<arch>.  A wheel fits when one tag of
 * the product of its compressed tag sets is in that set; the check tests
 * membership directly instead of listing the set.
 */
#include "tags.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include "buf.h"

/* ------------------------------------------------------------------------ */
/* Tags                                                                     */
/* ------------------------------------------------------------------------ */

/* Parse "<digits>" at *p; returns -1 when there are none (or too many). */
static long take_num(const char **p)
{
	long v = 0;
	int n = 0;

	while (**p >= '0' && **p <= '9') {
		if (++n > 6)
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return n ? v : -1;
}

static void libc_version(const cinstall_scheme *s, int *major, int *minor)
{
	*major = s->libc_major;
	*minor = s->libc_minor;
	if (*major || s->is_musl)
		return;
#if defined(__GLIBC__)
	{
		const char *v = gnu_get_libc_version(), *p = v;
		long a = take_num(&p), b = -1;
		if (*p == '.') {
			p++;
			b = take_num(&p);
		}
		if (a >= 0 && b >= 0) {
			*major = (int)a;
			*minor = (int)b;
		}
	}
#endif
}

/* The architecture part of a "linux_<arch>" platform, or NULL. */
static const char *linux_arch(const cinstall_scheme *s)
{
	if (s->platform && !strncmp(s->platform, "linux_", 6) && s->platform[6])
		return s->platform + 6;
	return NULL;
}

/* Does the machine's architecture take `arch` (armv8l also runs armv7l)? */
static int arch_ok(const char *mine, const char *arch, size_t alen)
{
	if (strlen(mine) == alen && !memcmp(mine, arch, alen))
		return 1;
	return !strcmp(mine, "armv8l") && alen == 6 && !memcmp(arch, "armv7l", 6);
}

/* Architectures for which manylinux tags exist. */
static int manylinux_arch(const char *arch, size_t alen)
{
	static const char *const archs[] = { "x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le",
		                             "s390x", "loongarch64", "riscv64" };
	size_t i;

	for (i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
		if (strlen(archs[i]) == alen && !memcmp(archs[i], arch, alen))
			return 1;
	return 0;
}

/* One platform tag of length `len` (not NUL-terminated). */
static int platform_ok(const cinstall_scheme *s, const char *tag, size_t len)
{
	const char *mine = linux_arch(s), *p, *arch;
	int major, minor;
	long a, b;

	if (len == 3 && !memcmp(tag, "any", 3))
		return 1;
	if (!mine)
		return s->platform && strlen(s->platform) == len && !memcmp(s->platform, tag, len);
	if (len > 6 && !memcmp(tag, "linux_", 6))
		return arch_ok(mine, tag + 6, len - 6);

	libc_version(s, &major, &minor);
	p = tag;
	if (len > 10 && !memcmp(tag, "manylinux_", 10)) {
		p = tag + 10;
		if ((a = take_num(&p)) < 0 || *p != '_')
			return 0;
		p++;
		if ((b = take_num(&p)) < 0 || *p != '_')
			return 0;
		arch = p + 1;
	} else if (len > 11 && !memcmp(tag, "manylinux1_", 11)) {
		a = 2, b = 5, arch = tag + 11;
	} else if (len > 14 && !memcmp(tag, "manylinux2010_", 14)) {
		a = 2, b = 12, arch = tag + 14;
	} else if (len > 14 && !memcmp(tag, "manylinux2014_", 14)) {
		a = 2, b = 17, arch = tag + 14;
	} else if (len > 11 && !memcmp(tag, "musllinux_", 10)) {
		p = tag + 10;
		if ((a = take_num(&p)) < 0 || *p != '_')
			return 0;
		p++;
		if ((b = take_num(&p)) < 0 || *p != '_')
			return 0;
		arch = p + 1;
		if (arch >= tag + len || !arch_ok(mine, arch, len - (size_t)(arch - tag)))
			return 0;
		return s->is_musl && a == major && b <= minor;
	} else {
		return 0;
	}
	if (arch >= tag + len)
		return 0;
	{
		size_t alen = len - (size_t)(arch - tag);
		long min_minor = (alen == 6 && !memcmp(arch, "x86_64", 6)) || (alen == 4 && !memcmp(arch, "i686", 4))
		                         ? 5 : 17;
		if (s->is_musl || !arch_ok(mine, arch, alen) || !manylinux_arch(arch, alen))
			return 0;
		/* glibc 2 from 2.<min> up to the machine's; later majors take all
		 * of the earlier ones (packaging assumes compatibility across them). */
		if (a < 2 || (a == 2 && b < min_minor))
			return 0;
		return a < major || (a == major && b <= minor);
	}
}

/* "cp" "311" style: does `tag` equal impl followed by the decimal digits? */
static int is_impl_ver(const char *tag, size_t len, const char *impl, int major, int minor)
{
	char want[32];
	int n = minor >= 0 ? snprintf(want, sizeof(want), "%s%d%d", impl, major, minor)
	                   : snprintf(want, sizeof(want), "%s%d", impl, major);

	return n > 0 && (size_t)n == len && !memcmp(tag, want, len);
}

static int abi3_applies(const cinstall_scheme *s)
{
	return s->py_major == 3 && s->py_minor >= 2 && !s->free_threaded;
}

static int is_cpython(const cinstall_scheme *s)
{
	return s->impl && !strcmp(s->impl, "cp");
}

/* The interpreter's own ABIs (not abi3/none). */
static int own_abi(const cinstall_scheme *s, const char *abi, size_t alen)
{
	if (s->abi && strlen(s->abi) == alen && !memcmp(s->abi, abi, alen))
		return 1;
	/* A debug build (3.8+) also loads the modules of the same build without
	 * debugging: cp311d takes cp311, cp313td takes cp313t. */
	if (is_cpython(s) && s->debug && s->abi && (s->py_major > 3 || (s->py_major == 3 && s->py_minor >= 8))) {
		size_t n = strlen(s->abi);
		return n > 1 && s->abi[n - 1] == 'd' && alen == n - 1 && !memcmp(s->abi, abi, alen);
	}
	return 0;
}

/* Is py-abi-plat in the interpreter's set? */
static int tag_ok(const cinstall_scheme *s, const char *py, size_t plen, const char *abi, size_t alen,
                  const char *plat, size_t tlen)
{
	int any = tlen == 3 && !memcmp(plat, "any", 3);
	int none = alen == 4 && !memcmp(abi, "none", 4);
	int abi3 = alen == 4 && !memcmp(abi, "abi3", 4);
	const char *impl = s->impl ? s->impl : "cp";
	int w;

	if (!platform_ok(s, plat, tlen))
		return 0;
	if (any) {
		if (!none)
			return 0;
		/* <impl>XY-none-any (pip), <impl>X-none-any (packaging, PyPy) */
		if (is_impl_ver(py, plen, impl, s->py_major, s->py_minor))
			return 1;
		if (!is_cpython(s) && is_impl_ver(py, plen, impl, s->py_major, -1))
			return 1;
		goto py_range;
	}
	/* the interpreter's own tag: own ABIs, abi3 (CPython), none */
	if (is_impl_ver(py, plen, impl, s->py_major, s->py_minor)) {
		if (none || own_abi(s, abi, alen))
			return 1;
		if (abi3 && is_cpython(s) && abi3_applies(s))
			return 1;
		return 0;
	}
	/* older CPython minors with abi3 */
	if (abi3 && is_cpython(s) && abi3_applies(s)) {
		for (w = s->py_minor - 1; w >= 2; w--)
			if (is_impl_ver(py, plen, "cp", s->py_major, w))
				return 1;
		return 0;
	}
	if (!none)
		return 0;
py_range:
	if (is_impl_ver(py, plen, "py", s->py_major, -1))
		return 1;
	for (w = s->py_minor; w >= 0; w--)
		if (is_impl_ver(py, plen, "py", s->py_major, w))
			return 1;
	return 0;
}

/* Step through the '.'-separated parts of a compressed tag set: *cur is the
 * rest of the set (NULL at the end). */
static int next_part(const char **cur, const char **part, size_t *len)
{
	const char *dot;

	if (!*cur)
		return 0;
	dot = strchr(*cur, '.');
	*part = *cur;
	*len = dot ? (size_t)(dot - *cur) : strlen(*cur);
	*cur = dot ? dot + 1 : NULL;
	return 1;
}

static int any_platform(const cinstall_scheme *s, const char *plats)
{
	const char *cur = plats, *t;
	size_t tlen;

	while (next_part(&cur, &t, &tlen))
		if (tlen && platform_ok(s, t, tlen))
			return 1;
	return 0;
}

/* Would the python tag go with "none" or one of the wheel's ABIs on some
 * platform of this interpreter?  (cp36-cp36m fails on its python tag even
 * though cp36-abi3 would suit a later CPython.) */
static int any_python(const cinstall_scheme *s, const char *pys, const char *abis)
{
	const char *cur = pys, *py, *plat = s->platform ? s->platform : "any", *c2, *abi;
	size_t plen, alen, tlen = strlen(plat);

	while (next_part(&cur, &py, &plen)) {
		if (!plen)
			continue;
		if (tag_ok(s, py, plen, "none", 4, "any", 3) || tag_ok(s, py, plen, "none", 4, plat, tlen))
			return 1;
		for (c2 = abis; next_part(&c2, &abi, &alen);)
			if (alen && tag_ok(s, py, plen, abi, alen, plat, tlen))
				return 1;
	}
	return 0;
}

static void describe(cinstall_buf *b, const cinstall_scheme *s)
{
	int major, minor;

	cinstall_buf__printf(b, "%s%d%d-%s-%s", s->impl ? s->impl : "cp", s->py_major, s->py_minor,
	                     s->abi ? s->abi : "none", s->platform ? s->platform : "any");
	libc_version(s, &major, &minor);
	if (linux_arch(s) && major)
		cinstall_buf__printf(b, ", %s %d.%d", s->is_musl ? "musl" : "glibc", major, minor);
}

int cinstall_tags__check(cinstall_err *err, const cinstall_scheme *s, const char *wheel, const char *python_tag,
                         const char *abi_tag, const char *platform_tag)
{
	cinstall_buf d = CINSTALL_BUF_INIT;
	int error = 0;
	const char *c1 = python_tag, *c2, *c3, *py, *abi, *plat;
	size_t plen, alen, tlen;

	while (next_part(&c1, &py, &plen))
		for (c2 = abi_tag; next_part(&c2, &abi, &alen);)
			for (c3 = platform_tag; next_part(&c3, &plat, &tlen);)
				if (plen && alen && tlen && tag_ok(s, py, plen, abi, alen, plat, tlen))
					return 0;

	/* Say which part does not fit: the platform, else the python tag, else the ABI. */
	describe(&d, s);
	if (!any_platform(s, platform_tag)) {
		error = cinstall_err__set(err, CINSTALL_EINCOMPAT, 0,
		                          "%s: platform tag '%s' does not suit this interpreter (%s)", wheel,
		                          platform_tag, cinstall_buf__cstr(&d));
	} else if (!any_python(s, python_tag, abi_tag)) {
		error = cinstall_err__set(err, CINSTALL_EINCOMPAT, 0,
		                          "%s: python tag '%s' does not suit this interpreter (%s)", wheel,
		                          python_tag, cinstall_buf__cstr(&d));
	} else {
		error = cinstall_err__set(err, CINSTALL_EINCOMPAT, 0,
		                          "%s: abi tag '%s' does not suit this interpreter with python tag '%s' (%s)",
		                          wheel, abi_tag, python_tag, cinstall_buf__cstr(&d));
	}
	cinstall_buf__release(&d);
	return error;
}

/* ------------------------------------------------------------------------ */
/* PEP 440 versions and specifiers                                          */
/* ------------------------------------------------------------------------ */

#define MAX_RELEASE 32

/* A number as its digits without leading zeros (compared by length, then bytes). */
typedef struct num {
	const char *d;
	size_t n;
} num;

typedef struct version {
	num epoch;
	num release[MAX_RELEASE];
	size_t nrelease;
	int pre;        /* 0 none, 1 a, 2 b, 3 rc */
	num pre_n;
	int has_post;
	num post_n;
	int has_dev;
	num dev_n;
	int has_local;
	int wildcard;   /* ended in ".*" (specifiers only) */
} version;

static int num_cmp(num a, num b)
{
	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	return a.n ? memcmp(a.d, b.d, a.n) : 0;
}

static int take_digits(const char **p, const char *e, num *out)
{
	const char *s = *p;

	while (*p < e && **p >= '0' && **p <= '9')
		(*p)++;
	if (*p == s)
		return 0;
	while (s + 1 < *p && *s == '0')
		s++;
	out->d = s;
	out->n = (size_t)(*p - s);
	if (out->n == 1 && *s == '0')
		out->n = 0; /* zero is the empty number */
	return 1;
}

static int is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Case-insensitive: does [*p, e) start with `word`?  Advance past it. */
static int take_word(const char **p, const char *e, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(e - *p) < n || strncasecmp(*p, word, n))
		return 0;
	*p += n;
	return 1;
}

/* [sep] label [sep] [number]; the label is one of `labels` (longest first). */
static int take_labeled(const char **p, const char *e, const char *const *labels, int *which, num *n)
{
	const char *q = *p;
	int i;

	if (q < e && is_sep(*q))
		q++;
	for (i = 0; labels[i]; i++) {
		const char *r = q;
		if (take_word(&r, e, labels[i])) {
			const char *t = r;
			if (t < e && is_sep(*t))
				t++;
			n->d = NULL;
			n->n = 0;
			if (take_digits(&t, e, n))
				r = t;
			*which = i;
			*p = r;
			return 1;
		}
	}
	return 0;
}

/* Parse a PEP 440 version from [s, e).  `allow` says what may follow the
 * release: bit 0 pre/post/dev, bit 1 local, bit 2 ".*".  Returns 1 when the
 * whole range was used. */
enum { V_SUFFIX = 1, V_LOCAL = 2, V_WILD = 4 };

static int parse_version(version *v, const char *s, const char *e, unsigned allow)
{
	static const char *const pre_labels[] = { "alpha", "beta", "preview", "pre", "rc", "a", "b", "c", NULL };
	static const int pre_kind[] = { 1, 2, 3, 3, 3, 1, 2, 3 };
	static const char *const post_labels[] = { "post", "rev", "r", NULL };
	static const char *const dev_labels[] = { "dev", NULL };
	const char *p = s, *q;
	int which;

	memset(v, 0, sizeof(*v));
	if (p < e && (*p == 'v' || *p == 'V'))
		p++;
	/* epoch */
	q = p;
	if (take_digits(&q, e, &v->epoch) && q < e && *q == '!')
		p = q + 1;
	else
		v->epoch.n = 0;
	for (;;) {
		if (v->nrelease == MAX_RELEASE || !take_digits(&p, e, &v->release[v->nrelease]))
			return 0;
		v->nrelease++;
		if (p + 1 < e && *p == '.' && p[1] >= '0' && p[1] <= '9') {
			p++;
			continue;
		}
		break;
	}
	if ((allow & V_WILD) && e - p == 2 && p[0] == '.' && p[1] == '*') {
		v->wildcard = 1;
		return 1;
	}
	if (allow & V_SUFFIX) {
		if (take_labeled(&p, e, pre_labels, &which, &v->pre_n))
			v->pre = pre_kind[which];
		q = p;
		if (q + 1 < e && *q == '-' && q[1] >= '0' && q[1] <= '9') {
			q++;
			take_digits(&q, e, &v->post_n);
			v->has_post = 1;
			p = q;
		} else if (take_labeled(&p, e, post_labels, &which, &v->post_n)) {
			v->has_post = 1;
		}
		if (take_labeled(&p, e, dev_labels, &which, &v->dev_n))
			v->has_dev = 1;
	}
	if ((allow & V_LOCAL) && p < e && *p == '+') {
		const char *part;
		p++;
		for (;;) {
			part = p;
			while (p < e && isalnum((unsigned char)*p))
				p++;
			if (p == part)
				return 0;
			if (p + 1 < e && is_sep(*p) && isalnum((unsigned char)p[1])) {
				p++;
				continue;
			}
			break;
		}
		v->has_local = 1;
	}
	return p == e;
}

/* Compare as PEP 440 orders versions (locals aside: callers handle them). */
static int version_cmp(const version *a, const version *b)
{
	size_t na = a->nrelease, nb = b->nrelease, i;
	int c, ka, kb;

	if ((c = num_cmp(a->epoch, b->epoch)))
		return c;
	while (na > 0 && a->release[na - 1].n == 0)
		na--;
	while (nb > 0 && b->release[nb - 1].n == 0)
		nb--;
	for (i = 0; i < na && i < nb; i++)
		if ((c = num_cmp(a->release[i], b->release[i])))
			return c;
	if (na != nb)
		return na < nb ? -1 : 1;
	/* pre: a dev release of a final sorts before its pre-releases; a final
	 * (or post) after them */
	ka = a->pre ? a->pre : (!a->has_post && a->has_dev ? -1 : 9);
	kb = b->pre ? b->pre : (!b->has_post && b->has_dev ? -1 : 9);
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (a->pre && (c = num_cmp(a->pre_n, b->pre_n)))
		return c;
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post && (c = num_cmp(a->post_n, b->post_n)))
		return c;
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev && (c = num_cmp(a->dev_n, b->dev_n)))
		return c;
	return 0;
}

/* "==X.Y.*": the release prefix matches (the candidate padded with zeros). */
static int prefix_match(const version *cand, const version *spec, size_t nspec)
{
	size_t i;
	num zero = { NULL, 0 };

	if (num_cmp(cand->epoch, spec->epoch))
		return 0;
	for (i = 0; i < nspec; i++)
		if (num_cmp(i < cand->nrelease ? cand->release[i] : zero, spec->release[i]))
			return 0;
	return 1;
}

static int equal(const version *cand, const version *spec)
{
	if (spec->wildcard)
		return prefix_match(cand, spec, spec->nrelease);
	if (spec->has_local) /* the candidate (an interpreter version) has none */
		return 0;
	return version_cmp(cand, spec) == 0;
}

/* One specifier against the candidate: 1 admits, 0 does not, -1 malformed. */
static int one_spec(const version *cand, const char *cand_str, const char *s, const char *e)
{
	static const char *const ops[] = { "===", "~=", "==", "!=", "<=", ">=", "<", ">", NULL };
	version v;
	int op, c;
	const char *p = s;

	for (op = 0; ops[op]; op++)
		if (take_word(&p, e, ops[op]))
			break;
	if (!ops[op])
		return -1;
	while (p < e && isspace((unsigned char)*p))
		p++;
	switch (op) {
	case 0: /* === arbitrary equality, as strings */
		for (const char *q = p; q < e; q++)
			if (isspace((unsigned char)*q) || *q == ';' || *q == ')')
				return -1;
		return strlen(cand_str) == (size_t)(e - p) && !strncasecmp(cand_str, p, (size_t)(e - p));
	case 1: /* ~= */
		if (!parse_version(&v, p, e, V_SUFFIX) || v.nrelease < 2)
			return -1;
		return version_cmp(cand, &v) >= 0 && prefix_match(cand, &v, v.nrelease - 1);
	case 2: /* == */
	case 3: /* != */
		if (!parse_version(&v, p, e, V_SUFFIX | V_LOCAL | V_WILD))
			return -1;
		return equal(cand, &v) == (op == 2);
	default:
		if (!parse_version(&v, p, e, V_SUFFIX))
			return -1;
		c = version_cmp(cand, &v);
		switch (op) {
		case 4: return c <= 0;
		case 5: return c >= 0;
		case 6: return c < 0;
		default: return c > 0;
		}
	}
}

int cinstall_tags__requires_python(cinstall_err *err, const cinstall_scheme *s, const char *wheel, const char *spec)
{
	char cand_str[64];
	version cand;
	const char *p, *e;
	int admitted = 1;

	if (!spec)
		return 0;
	snprintf(cand_str, sizeof(cand_str), "%d.%d.%d", s->py_major, s->py_minor, s->py_micro);
	if (!parse_version(&cand, cand_str, cand_str + strlen(cand_str), 0))
		return cinstall_err__set(err, CINSTALL_EINVAL, 0, "%s: bad interpreter version '%s'", wheel, cand_str);
	for (p = spec; *p; p = *e ? e + 1 : e) {
		const char *a = p, *b;
		int r;

		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		b = e;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b)
			continue; /* empty items are dropped, as packaging does */
		r = one_spec(&cand, cand_str, a, b);
		if (r < 0)
			return cinstall_err__set(err, CINSTALL_EBADWHEEL, 0,
			                         "%s: Requires-Python '%s': invalid specifier '%.*s'", wheel, spec,
			                         (int)(b - a), a);
		if (!r)
			admitted = 0; /* keep going: a later malformed item still counts */
	}
	if (!admitted)
		return cinstall_err__set(err, CINSTALL_EINCOMPAT, 0,
		                         "%s: Requires-Python '%s' does not admit this interpreter (Python %s)", wheel,
		                         spec, cand_str);
	return 0;
}
