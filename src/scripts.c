/* scripts.c - entry points, launcher scripts and shebangs.
 *
 * entry_points.txt is read the way Python's configparser reads it with "="
 * as the only delimiter and case-preserving keys (as pypa/installer reads
 * it): full-line comments start with '#' or ';' (after leading whitespace),
 * there are no inline comments, a line indented deeper than the key line
 * above continues that key's value, blank lines inside values are dropped
 * when the value is finally stripped.  Only [console_scripts] and
 * [gui_scripts] are kept; other sections are parsed for syntax only.
 */
#include "scripts.h"

#include <stdlib.h>
#include <string.h>

#include "path.h"

/* The longest "#!<interpreter>\n" line the shebang puts inline; longer
 * interpreters (and those holding a space) go through /bin/sh.  This is the
 * historical Linux BINPRM_BUF_SIZE (128) less the NUL, the limit
 * pypa/installer and distlib apply. */
#define SHEBANG_MAX 127

static const char ENTRY_POINTS[] = "entry_points.txt";

/* ------------------------------------------------------------------------ */
/* Small text helpers                                                       */
/* ------------------------------------------------------------------------ */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* An identifier character as Python's \w sees it, approximated: ASCII
 * letters, digits and '_', and any non-ASCII byte (part of a UTF-8 letter). */
static int is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c >= 0x80;
}

/* Trim [*s, *e) of whitespace on both sides. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space((unsigned char)**s))
		(*s)++;
	while (*e > *s && is_space((unsigned char)(*e)[-1]))
		(*e)--;
}

/* Is [s, s+len) valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
static int valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned int cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static char *dup_range(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);
	char *r = malloc(n + 1);

	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

void cinstall_scripts__free(cinstall_entry_points *eps)
{
	size_t i;

	if (!eps)
		return;
	for (i = 0; i < eps->n; i++) {
		free(eps->items[i].name);
		free(eps->items[i].module);
		free(eps->items[i].attr);
	}
	free(eps->items);
	free(eps);
}

/* One key of a script section, collected before its value is judged. */
typedef struct pending {
	unsigned int line;
	int gui;
	char *name;
	cinstall_buf value;  /* continuation lines joined with '\n' */
	int active;
} pending;

typedef struct parser {
	cinstall_err *err;
	const char *wheel;
	cinstall_entry_points *eps;
	size_t cap;
} parser;

static int bad_syntax(parser *p, unsigned int line, const char *what)
{
	return cinstall_err__set(p->err, CINSTALL_EBADWHEEL, 0, "%s: '%s' line %u: %s", p->wheel, ENTRY_POINTS,
	                         line, what);
}

static int bad_entry(parser *p, const pending *pe, const char *what)
{
	char q[256];

	cinstall_path__quote(q, sizeof(q), pe->name);
	return cinstall_err__set(p->err, CINSTALL_EBADWHEEL, 0, "%s: '%s' line %u: [%s] '%s': %s", p->wheel,
	                         ENTRY_POINTS, pe->line, pe->gui ? "gui_scripts" : "console_scripts", q, what);
}

/* python, python3, python3.12, python3.13t, pythonw, pythonw3.12, pypy3, ...
 * (compared without regard to case: the scripts directory may be on a
 * case-insensitive filesystem). */
static int shadows_interpreter(const char *name)
{
	static const char *const stems[] = { "pythonw", "python", "pypyw", "pypy" };
	size_t i;

	for (i = 0; i < sizeof(stems) / sizeof(stems[0]); i++) {
		size_t n = strlen(stems[i]);
		const char *p = name;

		if (strncasecmp(name, stems[i], n))
			continue;
		p += n;
		if (*p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
				p++;
				while (*p >= '0' && *p <= '9')
					p++;
			}
			if (*p == 't' || *p == 'T' || *p == 'd' || *p == 'D')
				p++;
		}
		if (*p == '\0')
			return 1;
	}
	return 0;
}

/* A script name must be one path component we can create in the scripts
 * directory and must not replace the interpreter. */
static const char *check_name(const char *name)
{
	const unsigned char *p;

	if (!*name)
		return "empty script name";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "script name escapes the scripts directory";
	for (p = (const unsigned char *)name; *p; p++) {
		if (*p == '/' || *p == '\\')
			return "script name escapes the scripts directory";
		if (*p < 0x20 || *p == 0x7f)
			return "control character in script name";
	}
	if (strlen(name) > CINSTALL_NAME_MAX)
		return "script name is too long";
	if (shadows_interpreter(name))
		return "script name would shadow the interpreter";
	return NULL;
}

/* A dotted name: identifiers (not starting with a digit) joined by '.'. */
static const char *dotted(const char *s, const char *e, const char **end)
{
	const char *p = s;

	for (;;) {
		const char *start = p;
		while (p < e && is_word((unsigned char)*p))
			p++;
		if (p == start || (*start >= '0' && *start <= '9'))
			return NULL;
		if (p < e && *p == '.') {
			p++;
			continue;
		}
		break;
	}
	*end = p;
	return s;
}

/* "module:attr [extras]" (whitespace allowed around ':' and before '['). */
static int judge_value(parser *p, pending *pe)
{
	const char *s = cinstall_buf__cstr(&pe->value), *e = s + pe->value.len, *q, *mod_end, *attr, *attr_end;
	cinstall_entry_point *ep;
	const char *why;

	if ((why = check_name(pe->name)))
		return bad_entry(p, pe, why);
	trim(&s, &e);
	if (s == e)
		return bad_entry(p, pe, "empty entry point");
	if (memchr(s, '\n', (size_t)(e - s)))
		return bad_entry(p, pe, "entry point spans several lines");
	if (!dotted(s, e, &mod_end))
		return bad_entry(p, pe, "module is not a dotted name (expected 'module:attribute')");
	q = mod_end;
	while (q < e && is_space((unsigned char)*q))
		q++;
	if (q == e || *q != ':')
		return bad_entry(p, pe, "entry point names no attribute (expected 'module:attribute')");
	q++;
	while (q < e && is_space((unsigned char)*q))
		q++;
	attr = q;
	if (!dotted(attr, e, &attr_end))
		return bad_entry(p, pe, "attribute is not a dotted name (expected 'module:attribute')");
	q = attr_end;
	while (q < e && is_space((unsigned char)*q))
		q++;
	if (q < e) {
		/* extras: "[...]" then only whitespace */
		if (*q != '[' || e[-1] != ']')
			return bad_entry(p, pe, "unexpected text after the attribute");
	}
	if (p->eps->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 8;
		cinstall_entry_point *items = realloc(p->eps->items, ncap * sizeof(*items));
		if (!items)
			return cinstall_err__oom(p->err);
		p->eps->items = items;
		p->cap = ncap;
	}
	ep = &p->eps->items[p->eps->n];
	memset(ep, 0, sizeof(*ep));
	ep->gui = pe->gui;
	ep->name = pe->name;
	ep->module = dup_range(s, mod_end);
	ep->attr = dup_range(attr, attr_end);
	pe->name = NULL;
	p->eps->n++;
	if (!ep->module || !ep->attr)
		return cinstall_err__oom(p->err);
	return 0;
}

static int flush(parser *p, pending *pe)
{
	int error = 0;
	size_t i;

	if (!pe->active)
		return 0;
	pe->active = 0;
	for (i = 0; i < p->eps->n; i++) {
		if (!strcmp(p->eps->items[i].name, pe->name)) {
			error = bad_entry(p, pe, p->eps->items[i].gui == pe->gui
			                             ? "script defined twice"
			                             : "script defined in both console_scripts and gui_scripts");
			goto done;
		}
	}
	error = judge_value(p, pe);
done:
	free(pe->name);
	pe->name = NULL;
	cinstall_buf__release(&pe->value);
	return error;
}

int cinstall_scripts__parse(cinstall_entry_points **out, cinstall_err *err, const char *wheel, const char *data,
                            size_t len)
{
	parser p = { err, wheel, NULL, 0 };
	pending pe = { 0, 0, NULL, CINSTALL_BUF_INIT, 0 };
	const char *s = data, *end = data + len;
	unsigned int line = 0;
	int in_section = 0;     /* a section header has been seen */
	int script_section = -1;/* -1 other section, 0 console_scripts, 1 gui_scripts */
	int have_key = 0;       /* a key line opened a value (continuations allowed) */
	size_t indent = 0;      /* indentation of that key line */
	int seen[2] = { 0, 0 };
	int error = 0;

	*out = NULL;
	if (!(p.eps = calloc(1, sizeof(*p.eps))))
		return cinstall_err__oom(err);
	if (memchr(data, '\0', len)) {
		error = cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: '%s': NUL byte in the file", wheel,
		                          ENTRY_POINTS);
		goto done;
	}
	if (!valid_utf8((const unsigned char *)data, len)) {
		error = cinstall_err__set(err, CINSTALL_EBADWHEEL, 0, "%s: '%s': not valid UTF-8", wheel,
		                          ENTRY_POINTS);
		goto done;
	}
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end, *vs = s, *ve = le;
		size_t ind = 0;

		line++;
		trim(&vs, &ve);
		if (vs == ve || *vs == '#' || *vs == ';') {
			/* blank line or comment: inside a value, dropped in the end */
			s = nl ? nl + 1 : end;
			continue;
		}
		ind = (size_t)(vs - s);
		if (have_key && ind > indent) {
			/* continuation of the value above */
			if (pe.active && (cinstall_buf__putc(&pe.value, '\n') || cinstall_buf__put(&pe.value, vs, (size_t)(ve - vs)))) {
				error = cinstall_err__oom(err);
				goto done;
			}
			s = nl ? nl + 1 : end;
			continue;
		}
		indent = ind;
		if (*vs == '[') {
			const char *close = ve;
			while (close > vs + 1 && close[-1] != ']')
				close--;
			if (close > vs + 1 && close - 1 > vs + 1) {
				const char *name = vs + 1;
				size_t n = (size_t)(close - 1 - name);

				if ((error = flush(&p, &pe)))
					goto done;
				in_section = 1;
				have_key = 0;
				script_section = -1;
				if (n == 15 && !memcmp(name, "console_scripts", 15))
					script_section = 0;
				else if (n == 11 && !memcmp(name, "gui_scripts", 11))
					script_section = 1;
				if (script_section >= 0) {
					if (seen[script_section]) {
						error = bad_syntax(&p, line, script_section ? "section [gui_scripts] appears twice"
						                                            : "section [console_scripts] appears twice");
						goto done;
					}
					seen[script_section] = 1;
				}
				s = nl ? nl + 1 : end;
				continue;
			}
		}
		if (!in_section) {
			error = bad_syntax(&p, line, "text before the first section header");
			goto done;
		}
		{
			const char *eq = memchr(vs, '=', (size_t)(ve - vs)), *ks = vs, *ke;
			if (!eq) {
				error = bad_syntax(&p, line, "expected 'name = value'");
				goto done;
			}
			ke = eq;
			trim(&ks, &ke);
			if (ks == ke) {
				error = bad_syntax(&p, line, "empty name before '='");
				goto done;
			}
			if ((error = flush(&p, &pe)))
				goto done;
			have_key = 1;
			if (script_section >= 0) {
				const char *v = eq + 1, *w = ve;
				trim(&v, &w);
				pe.line = line;
				pe.gui = script_section;
				pe.active = 1;
				if (!(pe.name = dup_range(ks, ke)) || cinstall_buf__put(&pe.value, v, (size_t)(w - v))) {
					error = cinstall_err__oom(err);
					goto done;
				}
			}
		}
		s = nl ? nl + 1 : end;
	}
	error = flush(&p, &pe);

done:
	free(pe.name);
	cinstall_buf__release(&pe.value);
	if (error) {
		cinstall_scripts__free(p.eps);
		return error;
	}
	*out = p.eps;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Shebangs and launchers                                                   */
/* ------------------------------------------------------------------------ */

/* Quote for /bin/sh the way Python's shlex.quote does: unchanged when made
 * only of [A-Za-z0-9_@%+=:,./-] (and not empty), else in single quotes with
 * each ' written as '"'"'. */
static int sh_quote(cinstall_buf *out, const char *s)
{
	const unsigned char *p;
	int safe = *s != '\0';

	for (p = (const unsigned char *)s; *p && safe; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("_@%+=:,./-", *p)))
			safe = 0;
	}
	if (safe)
		return cinstall_buf__puts(out, s);
	if (cinstall_buf__putc(out, '\''))
		return CINSTALL_ENOMEM;
	for (; *s; s++) {
		if (*s == '\'') {
			if (cinstall_buf__puts(out, "'\"'\"'"))
				return CINSTALL_ENOMEM;
		} else if (cinstall_buf__putc(out, *s)) {
			return CINSTALL_ENOMEM;
		}
	}
	return cinstall_buf__putc(out, '\'');
}

int cinstall_scripts__shebang(cinstall_buf *out, const char *python)
{
	size_t n = strlen(python);

	if (!strchr(python, ' ') && n + 3 <= SHEBANG_MAX)
		return cinstall_buf__printf(out, "#!%s\n", python);
	/* /bin/sh reads the second line as: exec <python> "$0" "$@" (the
	 * leading ''' is an empty string glued to 'exec'); Python reads the
	 * second and third lines as one string literal and moves on. */
	if (cinstall_buf__puts(out, "#!/bin/sh\n'''exec' ") || sh_quote(out, python) ||
	    cinstall_buf__puts(out, " \"$0\" \"$@\"\n' '''\n"))
		return CINSTALL_ENOMEM;
	return 0;
}

int cinstall_scripts__rewrite_line(cinstall_buf *out, const char *python)
{
	return cinstall_buf__printf(out, "#!%s\n", python);
}

int cinstall_scripts__launcher(cinstall_buf *out, const char *python, const cinstall_entry_point *ep)
{
	const char *dot = strchr(ep->attr, '.');
	int first_len = dot ? (int)(dot - ep->attr) : (int)strlen(ep->attr);

	if (cinstall_scripts__shebang(out, python))
		return CINSTALL_ENOMEM;
	/* Names were checked by cinstall_scripts__parse: dotted identifiers,
	 * so they cannot break out of the code below. */
	return cinstall_buf__printf(out,
		"# -*- coding: utf-8 -*-\n"
		"# Launcher for the %s entry point %s = %s:%s (written by cinstall).\n"
		"import sys\n"
		"from %s import %.*s\n"
		"if __name__ == \"__main__\":\n"
		"    for _ending in (\"-script.pyw\", \".exe\"):\n"
		"        if sys.argv[0].endswith(_ending):\n"
		"            sys.argv[0] = sys.argv[0][: -len(_ending)]\n"
		"            break\n"
		"    sys.exit(%s())\n",
		ep->gui ? "gui_scripts" : "console_scripts", ep->name, ep->module, ep->attr,
		ep->module, first_len, ep->attr, ep->attr);
}

int cinstall_scripts__needs_rewrite(const char *head, size_t len, size_t *line_len)
{
	const char *nl;

	if (len < 8 || memcmp(head, "#!python", 8))
		return 0;
	nl = memchr(head, '\n', len);
	*line_len = nl ? (size_t)(nl - head) + 1 : len;
	return 1;
}
