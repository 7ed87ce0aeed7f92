/* test_scripts.c - entry_points.txt, shebangs, launchers and #!python
 * rewriting, checked against pypa/installer and by running the launchers. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "scripts.h"

#define PY "/usr/bin/python3"

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

static int write_file(const char *path, const void *data, size_t len, int mode)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	if (fclose(f))
		return -1;
	return chmod(path, (mode_t)mode);
}

/* Read a whole file into `out` (appending).  0 or -1. */
static int read_file(cinstall_buf *out, const char *path)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cinstall_buf__put(out, chunk, n);
	fclose(f);
	return 0;
}

/* Run a shell command; stdout into `out` (when not NULL).  Returns the exit
 * status, or -1. */
static int have_installer(void)
{
	return th_sh(NULL, PY " -c 'import installer.utils, installer.scripts' 2>/dev/null") == 0;
}

static cinstall_entry_points *parse_ok(const char *text)
{
	cinstall_entry_points *eps = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;
	int r = cinstall_scripts__parse(&eps, &err, "demo-1.0-py3-none-any.whl", text, strlen(text));

	if (r) {
		th_fail(__FILE__, __LINE__, "parse failed (%d): %s for:\n%s", r, err.msg, text);
		return NULL;
	}
	return eps;
}

/* ------------------------------------------------------------------------ */
/* entry_points.txt                                                         */
/* ------------------------------------------------------------------------ */

static void test_scripts__parse_basic(void)
{
	static const char text[] =
		"# a comment\n"
		"; another\n"
		"[console_scripts]\n"
		"demo = demo.cli:main\n"
		"Demo-Tool=demo.cli:Tool.run\n"
		"   # an indented comment\n"
		"spaced  =  demo.cli : main  [extra1, extra2]\n"
		"\n"
		"[paste.app_factory]\n"
		"main = demo.web:make_app\n"
		"[gui_scripts]\n"
		"demo-gui = demo.gui:start\n";
	cinstall_entry_points *eps = parse_ok(text);

	if (!eps)
		return;
	CHECK_INT(eps->n, 4);
	if (eps->n == 4) {
		CHECK_STR(eps->items[0].name, "demo");
		CHECK_STR(eps->items[0].module, "demo.cli");
		CHECK_STR(eps->items[0].attr, "main");
		CHECK_INT(eps->items[0].gui, 0);
		CHECK_STR(eps->items[1].name, "Demo-Tool");
		CHECK_STR(eps->items[1].attr, "Tool.run");
		CHECK_STR(eps->items[2].name, "spaced");
		CHECK_STR(eps->items[2].module, "demo.cli");
		CHECK_STR(eps->items[2].attr, "main");
		CHECK_STR(eps->items[3].name, "demo-gui");
		CHECK_STR(eps->items[3].module, "demo.gui");
		CHECK_INT(eps->items[3].gui, 1);
	}
	cinstall_scripts__free(eps);
}

static void test_scripts__parse_edges(void)
{
	cinstall_entry_points *eps;

	/* empty file, no script sections, CRLF, a BOM, blank lines in a value */
	eps = parse_ok("");
	if (eps) {
		CHECK_INT(eps->n, 0);
		cinstall_scripts__free(eps);
	}
	eps = parse_ok("[other]\nx = y\n   continued here\n");
	if (eps) {
		CHECK_INT(eps->n, 0);
		cinstall_scripts__free(eps);
	}
	eps = parse_ok("\xef\xbb\xbf[console_scripts]\r\nfoo = pkg.mod:main\r\n\r\n");
	if (eps) {
		CHECK_INT(eps->n, 1);
		if (eps->n == 1) {
			CHECK_STR(eps->items[0].name, "foo");
			CHECK_STR(eps->items[0].attr, "main");
		}
		cinstall_scripts__free(eps);
	}
	/* a section named with spaces inside the brackets is another section */
	eps = parse_ok("[ console_scripts ]\nfoo = a:b\n");
	if (eps) {
		CHECK_INT(eps->n, 0);
		cinstall_scripts__free(eps);
	}
	/* names that merely contain "python", dots, unicode */
	eps = parse_ok("[console_scripts]\npython-foo = a:b\nmypython = a:b\npythonista = a:b\npip3.11 = a:b\n"
	               "a..b = a:b\n\xc3\xa9t\xc3\xa9 = mod\xc3\xa9:f\n");
	if (eps) {
		CHECK_INT(eps->n, 6);
		cinstall_scripts__free(eps);
	}
	/* no file at all: NUL-free, not terminated */
	{
		char buf[] = { '[', 'g', 'u', 'i', '_', 's', 'c', 'r', 'i', 'p', 't', 's', ']', '\n',
			       'g', '=', 'm', ':', 'f' };
		cinstall_err err = CINSTALL_ERR_INIT;
		eps = NULL;
		CHECK_INT(cinstall_scripts__parse(&eps, &err, "w.whl", buf, sizeof(buf)), 0);
		if (eps) {
			CHECK_INT(eps->n, 1);
			if (eps->n == 1) {
				CHECK_STR(eps->items[0].attr, "f");
				CHECK_INT(eps->items[0].gui, 1);
			}
		}
		cinstall_scripts__free(eps);
	}
}

static void test_scripts__parse_refusals(void)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "foo = a:b\n", "before the first section" },
		{ "[console_scripts]\nfoo\n", "expected 'name = value'" },
		{ "[console_scripts]\n= a:b\n", "empty name" },
		{ "[console_scripts]\nfoo =\n", "empty entry point" },
		{ "[console_scripts]\nfoo = pkg.mod\n", "names no attribute" },
		{ "[console_scripts]\nfoo = pkg.mod:\n", "attribute is not a dotted name" },
		{ "[console_scripts]\nfoo = :main\n", "module is not a dotted name" },
		{ "[console_scripts]\nfoo = 1pkg:main\n", "module is not a dotted name" },
		{ "[console_scripts]\nfoo = a..b:main\n", "module is not a dotted name" },
		{ "[console_scripts]\nfoo = a:b.\n", "attribute is not a dotted name" },
		{ "[console_scripts]\nfoo = a:b c\n", "unexpected text" },
		{ "[console_scripts]\nfoo = a:b # comment\n", "unexpected text" },
		{ "[console_scripts]\nfoo = a:b [x\n", "unexpected text" },
		{ "[console_scripts]\nfoo = a:b;rm -rf\n", "unexpected text" },
		{ "[console_scripts]\nfoo = a\n  :b\n", "several lines" },
		/* an indented line after a key continues its value, even a section header */
		{ "[console_scripts]\nfoo = a:b\n  [gui_scripts]\nbar = a:c\n", "several lines" },
		{ "[console_scripts]\nfoo = a:b\nfoo = a:c\n", "defined twice" },
		{ "[console_scripts]\nfoo = a:b\n[gui_scripts]\nfoo = a:c\n", "both console_scripts and gui_scripts" },
		{ "[console_scripts]\nfoo = a:b\n[console_scripts]\nbar = a:c\n", "appears twice" },
		{ "[console_scripts]\n../evil = a:b\n", "escapes the scripts directory" },
		{ "[console_scripts]\nsub/dir = a:b\n", "escapes the scripts directory" },
		{ "[console_scripts]\nsub\\dir = a:b\n", "escapes the scripts directory" },
		{ "[console_scripts]\n.. = a:b\n", "escapes the scripts directory" },
		{ "[console_scripts]\n. = a:b\n", "escapes the scripts directory" },
		{ "[console_scripts]\na\001b = a:b\n", "control character" },
		{ "[console_scripts]\npython = a:b\n", "shadow the interpreter" },
		{ "[console_scripts]\npython3 = a:b\n", "shadow the interpreter" },
		{ "[console_scripts]\npython3.12 = a:b\n", "shadow the interpreter" },
		{ "[console_scripts]\npython3.13t = a:b\n", "shadow the interpreter" },
		{ "[gui_scripts]\npythonw = a:b\n", "shadow the interpreter" },
		{ "[gui_scripts]\nPython3 = a:b\n", "shadow the interpreter" },
		{ "[console_scripts]\npypy3 = a:b\n", "shadow the interpreter" },
		{ "[console_scripts]\nfoo = a:b\n\xff\n", "not valid UTF-8" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cinstall_entry_points *eps = NULL;
		cinstall_err err = CINSTALL_ERR_INIT;
		int r = cinstall_scripts__parse(&eps, &err, "demo-1.0-py3-none-any.whl", cases[i].text,
		                                strlen(cases[i].text));
		if (r != CINSTALL_EBADWHEEL) {
			th_fail(__FILE__, __LINE__, "case %zu: returned %d, expected EBADWHEEL: %s", i, r,
			        cases[i].text);
			cinstall_scripts__free(eps);
			continue;
		}
		CHECK(eps == NULL);
		CHECK_CONTAINS(err.msg, "demo-1.0-py3-none-any.whl: 'entry_points.txt'");
		CHECK_CONTAINS(err.msg, cases[i].why);
	}
	/* the message names the entry */
	{
		cinstall_entry_points *eps = NULL;
		cinstall_err err = CINSTALL_ERR_INIT;
		const char *t = "[console_scripts]\nok = a:b\npython3 = a:b\n";
		CHECK_INT(cinstall_scripts__parse(&eps, &err, "w.whl", t, strlen(t)), CINSTALL_EBADWHEEL);
		CHECK_CONTAINS(err.msg, "line 3: [console_scripts] 'python3': script name would shadow the interpreter");
	}
	/* a NUL byte */
	{
		cinstall_entry_points *eps = NULL;
		cinstall_err err = CINSTALL_ERR_INIT;
		const char t[] = "[console_scripts]\nfoo = a:b\0\n";
		CHECK_INT(cinstall_scripts__parse(&eps, &err, "w.whl", t, sizeof(t) - 1), CINSTALL_EBADWHEEL);
		CHECK_CONTAINS(err.msg, "NUL");
	}
}

/* For valid files, what we keep is what pypa/installer keeps. */
static void test_scripts__parse_matches_installer(void)
{
	static const char *const texts[] = {
		"[console_scripts]\npip = pip._internal.cli.main:main\npip3 = pip._internal.cli.main:main\n",
		"[console_scripts]\na=m:f\n[gui_scripts]\nb =  m.n : C.g [x]\n[other]\nc = d\n",
		"# c\n[console_scripts]\n\n\nwheel = wheel.cli:main\n\n; c\n[distutils.commands]\nbdist_wheel = "
		"wheel.bdist_wheel:bdist_wheel\n",
		"[console_scripts]\r\nfoo-bar = foo_bar.__main__:main\r\nFoo = foo:Main\r\n",
		"[gui_scripts]\nx = a.b.c:d.e.f\n\n  \n[console_scripts]\ny = a:b [e1,e2]  \n",
	};
	size_t i;

	if (!have_installer()) {
		th_skip("pypa/installer is not importable by " PY);
		return;
	}
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cinstall_buf ours = CINSTALL_BUF_INIT, theirs = CINSTALL_BUF_INIT;
		cinstall_entry_points *eps = parse_ok(texts[i]);
		size_t k;

		if (!eps)
			continue;
		for (k = 0; k < eps->n; k++)
			cinstall_buf__printf(&ours, "%s|%s|%s|%s\n", eps->items[k].name, eps->items[k].module,
			                     eps->items[k].attr, eps->items[k].gui ? "gui" : "console");
		cinstall_scripts__free(eps);
		write_file("ep.txt", texts[i], strlen(texts[i]), 0644);
		CHECK_INT(th_sh(&theirs, PY " -c 'import sys\nfrom installer.utils import parse_entrypoints\n"
		                       "for n, m, a, s in parse_entrypoints(open(\"ep.txt\", encoding=\"utf-8\", newline=\"\").read()):\n"
		                       "    print(\"%s|%s|%s|%s\" % (n, m, a, s))'"),
		          0);
		CHECK_STR(cinstall_buf__cstr(&ours), cinstall_buf__cstr(&theirs));
		cinstall_buf__release(&ours);
		cinstall_buf__release(&theirs);
	}
}

/* ------------------------------------------------------------------------ */
/* shebangs                                                                 */
/* ------------------------------------------------------------------------ */

static void long_path(char *out, size_t len)
{
	size_t i;

	strcpy(out, "/opt/");
	for (i = strlen(out); i < len - 7; i++)
		out[i] = (char)('a' + i % 26);
	strcpy(out + len - 7, "/python");
}

static void test_scripts__shebang_forms(void)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	char p124[125], p125[126];

	CHECK_INT(cinstall_scripts__shebang(&b, "/venv/bin/python"), 0);
	CHECK_STR(cinstall_buf__cstr(&b), "#!/venv/bin/python\n");
	cinstall_buf__truncate(&b, 0);

	CHECK_INT(cinstall_scripts__shebang(&b, "/my venv/bin/python"), 0);
	CHECK_STR(cinstall_buf__cstr(&b), "#!/bin/sh\n'''exec' '/my venv/bin/python' \"$0\" \"$@\"\n' '''\n");
	cinstall_buf__truncate(&b, 0);

	CHECK_INT(cinstall_scripts__shebang(&b, "/it's here/python"), 0);
	CHECK_STR(cinstall_buf__cstr(&b), "#!/bin/sh\n'''exec' '/it'\"'\"'s here/python' \"$0\" \"$@\"\n' '''\n");
	cinstall_buf__truncate(&b, 0);

	/* "#!" + 124 bytes + "\n" = 127: still inline; one more byte is not */
	long_path(p124, sizeof(p124) - 1);
	long_path(p125, sizeof(p125) - 1);
	CHECK_INT(strlen(p124), 124);
	CHECK_INT(cinstall_scripts__shebang(&b, p124), 0);
	CHECK(b.len == 127 && !memcmp(b.ptr, "#!/opt/", 7));
	cinstall_buf__truncate(&b, 0);
	CHECK_INT(cinstall_scripts__shebang(&b, p125), 0);
	CHECK(!strncmp(cinstall_buf__cstr(&b), "#!/bin/sh\n'''exec' /opt/", 24));
	cinstall_buf__release(&b);
}

/* Our shebang for each path is installer's _build_shebang(path, False) + "\n". */
static void test_scripts__shebang_matches_installer(void)
{
	char p124[125], p200[201];
	const char *paths[] = { "/venv/bin/python", "/my venv/bin/python", "/it's/python", "/a\"b/python", p124, p200,
		                "/x/$HOME/py" };
	size_t i;

	if (!have_installer()) {
		th_skip("pypa/installer is not importable by " PY);
		return;
	}
	long_path(p124, sizeof(p124) - 1);
	long_path(p200, sizeof(p200) - 1);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		cinstall_buf ours = CINSTALL_BUF_INIT, theirs = CINSTALL_BUF_INIT;

		write_file("exe.txt", paths[i], strlen(paths[i]), 0644);
		CHECK_INT(cinstall_scripts__shebang(&ours, paths[i]), 0);
		CHECK_INT(th_sh(&theirs, PY " -c 'import sys\nfrom installer.scripts import _build_shebang\n"
		                       "sys.stdout.buffer.write(_build_shebang(open(\"exe.txt\").read(), False) + b\"\\n\")'"),
		          0);
		CHECK_STR(cinstall_buf__cstr(&ours), cinstall_buf__cstr(&theirs));
		cinstall_buf__release(&ours);
		cinstall_buf__release(&theirs);
	}
}

/* ------------------------------------------------------------------------ */
/* #!python                                                                 */
/* ------------------------------------------------------------------------ */

static void test_scripts__needs_rewrite(void)
{
	size_t n = 0;

	CHECK_INT(cinstall_scripts__needs_rewrite("#!python\nprint(1)\n", 18, &n), 1);
	CHECK_INT(n, 9);
	CHECK_INT(cinstall_scripts__needs_rewrite("#!pythonw\r\nprint(1)\n", 20, &n), 1);
	CHECK_INT(n, 11);
	CHECK_INT(cinstall_scripts__needs_rewrite("#!python3 -u\nx", 14, &n), 1);
	CHECK_INT(n, 13);
	CHECK_INT(cinstall_scripts__needs_rewrite("#!python -E\r\n", 13, &n), 1);
	CHECK_INT(n, 13);
	/* a first line without a line ending: all of it */
	CHECK_INT(cinstall_scripts__needs_rewrite("#!python", 8, &n), 1);
	CHECK_INT(n, 8);
	/* an old Mac line ending is not a line ending to installer (readline) */
	CHECK_INT(cinstall_scripts__needs_rewrite("#!python\rprint(1)\n", 18, &n), 1);
	CHECK_INT(n, 18);
	n = 99;
	CHECK_INT(cinstall_scripts__needs_rewrite("#!/usr/bin/python\n", 18, &n), 0);
	CHECK_INT(cinstall_scripts__needs_rewrite("#!/usr/bin/env python\n", 22, &n), 0);
	CHECK_INT(cinstall_scripts__needs_rewrite("#!pytho", 7, &n), 0);
	CHECK_INT(cinstall_scripts__needs_rewrite(" #!python\n", 10, &n), 0);
	CHECK_INT(cinstall_scripts__needs_rewrite("#!PYTHON\n", 9, &n), 0);
	CHECK_INT(cinstall_scripts__needs_rewrite("", 0, &n), 0);
	CHECK_INT(n, 99);
}

/* Rewrite like an installer that uses this module: needs_rewrite over the
 * head, rewrite_line, then the rest of the bytes. */
static void rewrite(cinstall_buf *out, const char *python, const char *data, size_t len)
{
	size_t line = 0;

	if (cinstall_scripts__needs_rewrite(data, len, &line)) {
		cinstall_scripts__rewrite_line(out, python);
		cinstall_buf__put(out, data + line, len - line);
	} else {
		cinstall_buf__put(out, data, len);
	}
}

static void test_scripts__rewrite_matches_installer(void)
{
	static const struct {
		const char *data;
		size_t len;
	} scripts[] = {
#define S(x) { x, sizeof(x) - 1 }
		S("#!python\nimport sys\nprint(sys.argv)\n"),
		S("#!pythonw\r\nprint('crlf')\r\n"),
		S("#!python3.11 -u -E\nprint(1)\n"),
		S("#!python"),
		S("#!python\rold mac\rlines\nnext\n"),
		S("#!/usr/bin/env python\nprint(1)\n"),
		S("#!/bin/sh\necho hi\n"),
		S("\x00\x01binary\xff#!python\n"),
		S(""),
#undef S
	};
	char p200[201];
	const char *interps[] = { "/venv/bin/python", "/my venv/bin/python", p200 };
	size_t i, j;

	if (!have_installer()) {
		th_skip("pypa/installer is not importable by " PY);
		return;
	}
	long_path(p200, sizeof(p200) - 1);
	for (j = 0; j < sizeof(interps) / sizeof(interps[0]); j++) {
		write_file("exe.txt", interps[j], strlen(interps[j]), 0644);
		for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
			cinstall_buf ours = CINSTALL_BUF_INIT, theirs = CINSTALL_BUF_INIT;

			write_file("script.in", scripts[i].data, scripts[i].len, 0644);
			rewrite(&ours, interps[j], scripts[i].data, scripts[i].len);
			CHECK_INT(th_sh(NULL, PY " -c 'import sys\nfrom installer.utils import fix_shebang\n"
			                   "exe = open(\"exe.txt\").read()\n"
			                   "with open(\"script.in\", \"rb\") as f, fix_shebang(f, exe) as g:\n"
			                   "    open(\"script.out\", \"wb\").write(g.read())'"),
			          0);
			CHECK_INT(read_file(&theirs, "script.out"), 0);
			if (ours.len != theirs.len || (ours.len && memcmp(ours.ptr, theirs.ptr, ours.len)))
				th_fail(__FILE__, __LINE__, "script %zu with '%s': ours differs from installer's:\n%s\n--\n%s",
				        i, interps[j], cinstall_buf__cstr(&ours), cinstall_buf__cstr(&theirs));
			cinstall_buf__release(&ours);
			cinstall_buf__release(&theirs);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* launchers that run                                                       */
/* ------------------------------------------------------------------------ */

static const char DEMO_MODULE[] =
	"import sys\n"
	"def main():\n"
	"    print('main argv0=%s args=%s' % (sys.argv[0], ','.join(sys.argv[1:])))\n"
	"    return int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else None\n"
	"class Tool:\n"
	"    @staticmethod\n"
	"    def run():\n"
	"        print('Tool.run', sys.executable)\n"
	"        return 'tool failed'\n";

/* Make a venv at `dir` with cinstall_demo_mod.py in site-packages. */
static int make_venv(const char *dir)
{
	cinstall_buf cmd = CINSTALL_BUF_INIT, sp = CINSTALL_BUF_INIT;
	int r;

	cinstall_buf__printf(&cmd, PY " -m venv --without-pip '%s' && '%s/bin/python' -c 'import sysconfig; "
	                           "print(sysconfig.get_paths()[\"purelib\"], end=\"\")'",
	                     dir, dir);
	r = th_sh(&sp, cinstall_buf__cstr(&cmd));
	if (r == 0) {
		cinstall_buf path = CINSTALL_BUF_INIT;
		cinstall_buf__printf(&path, "%s/cinstall_demo_mod.py", cinstall_buf__cstr(&sp));
		r = write_file(cinstall_buf__cstr(&path), DEMO_MODULE, sizeof(DEMO_MODULE) - 1, 0644);
		cinstall_buf__release(&path);
	}
	cinstall_buf__release(&cmd);
	cinstall_buf__release(&sp);
	return r;
}

static int write_launcher(const char *path, const char *python, const char *name, const char *attr)
{
	cinstall_entry_point ep = { (char *)name, (char *)"cinstall_demo_mod", (char *)attr, 0 };
	cinstall_buf b = CINSTALL_BUF_INIT;
	int r = cinstall_scripts__launcher(&b, python, &ep);

	if (!r)
		r = write_file(path, b.ptr, b.len, 0755);
	cinstall_buf__release(&b);
	return r;
}

/* Runs launchers in a venv at `dir`: exit codes, output, argv[0]. */
static void check_launchers(const char *dir)
{
	cinstall_buf py = CINSTALL_BUF_INIT, path = CINSTALL_BUF_INIT, cmd = CINSTALL_BUF_INIT, out = CINSTALL_BUF_INIT;

	if (make_venv(dir)) {
		th_fail(__FILE__, __LINE__, "cannot make a venv at '%s'", dir);
		goto done;
	}
	cinstall_buf__printf(&py, "%s/bin/python", dir);

	/* main() returning an int: the exit status; the arguments pass through */
	cinstall_buf__printf(&path, "%s/bin/demo", dir);
	CHECK_INT(write_launcher(cinstall_buf__cstr(&path), cinstall_buf__cstr(&py), "demo", "main"), 0);
	cinstall_buf__printf(&cmd, "'%s' 7 'a b' 2>&1", cinstall_buf__cstr(&path));
	CHECK_INT(th_sh(&out, cinstall_buf__cstr(&cmd)), 7);
	cinstall_buf__truncate(&cmd, 0);
	cinstall_buf__printf(&cmd, "main argv0=%s args=7,a b\n", cinstall_buf__cstr(&path));
	CHECK_STR(cinstall_buf__cstr(&out), cinstall_buf__cstr(&cmd));

	/* main() returning None: status 0 */
	cinstall_buf__truncate(&cmd, 0);
	cinstall_buf__truncate(&out, 0);
	cinstall_buf__printf(&cmd, "'%s' x", cinstall_buf__cstr(&path));
	CHECK_INT(th_sh(&out, cinstall_buf__cstr(&cmd)), 0);
	CHECK_CONTAINS(cinstall_buf__cstr(&out), "args=x");

	/* a "Cls.method" attribute returning a string: printed to stderr, status 1;
	 * it runs under the venv's interpreter */
	cinstall_buf__truncate(&path, 0);
	cinstall_buf__truncate(&cmd, 0);
	cinstall_buf__truncate(&out, 0);
	cinstall_buf__printf(&path, "%s/bin/tool", dir);
	CHECK_INT(write_launcher(cinstall_buf__cstr(&path), cinstall_buf__cstr(&py), "tool", "Tool.run"), 0);
	cinstall_buf__printf(&cmd, "'%s' 2>&1", cinstall_buf__cstr(&path));
	CHECK_INT(th_sh(&out, cinstall_buf__cstr(&cmd)), 1);
	CHECK_CONTAINS(cinstall_buf__cstr(&out), "tool failed");
	cinstall_buf__truncate(&cmd, 0);
	cinstall_buf__printf(&cmd, "Tool.run %s\n", cinstall_buf__cstr(&py));
	CHECK_CONTAINS(cinstall_buf__cstr(&out), cinstall_buf__cstr(&cmd));

	/* argv[0] loses a "-script.pyw" or ".exe" ending, as installer's does */
	cinstall_buf__truncate(&path, 0);
	cinstall_buf__truncate(&cmd, 0);
	cinstall_buf__truncate(&out, 0);
	cinstall_buf__printf(&path, "%s/bin/demo-script.pyw", dir);
	CHECK_INT(write_launcher(cinstall_buf__cstr(&path), cinstall_buf__cstr(&py), "demo", "main"), 0);
	cinstall_buf__printf(&cmd, "'%s'", cinstall_buf__cstr(&path));
	CHECK_INT(th_sh(&out, cinstall_buf__cstr(&cmd)), 0);
	cinstall_buf__truncate(&cmd, 0);
	cinstall_buf__printf(&cmd, "main argv0=%s/bin/demo args=\n", dir);
	CHECK_STR(cinstall_buf__cstr(&out), cinstall_buf__cstr(&cmd));
done:
	cinstall_buf__release(&py);
	cinstall_buf__release(&path);
	cinstall_buf__release(&cmd);
	cinstall_buf__release(&out);
}

static void test_scripts__launcher_runs(void)
{
	cinstall_buf dir = CINSTALL_BUF_INIT;

	cinstall_buf__printf(&dir, "%s/venv", th_tmpdir());
	check_launchers(cinstall_buf__cstr(&dir));
	cinstall_buf__release(&dir);
}

/* A venv whose interpreter path has a space and is longer than the kernel's
 * shebang limit: the /bin/sh trampoline must carry it. */
static void test_scripts__launcher_runs_via_sh(void)
{
	cinstall_buf dir = CINSTALL_BUF_INIT, b = CINSTALL_BUF_INIT;
	char seg[61];

	memset(seg, 'x', sizeof(seg) - 1);
	seg[sizeof(seg) - 1] = '\0';
	cinstall_buf__printf(&dir, "%s/with space/%s/%s", th_tmpdir(), seg, seg);
	cinstall_buf__printf(&b, "%s/bin/python", cinstall_buf__cstr(&dir));
	CHECK(b.len > 127);
	cinstall_buf__truncate(&b, 0);
	cinstall_scripts__shebang(&b, "/x y/bin/python");
	CHECK(!strncmp(cinstall_buf__cstr(&b), "#!/bin/sh\n", 10));
	check_launchers(cinstall_buf__cstr(&dir));
	cinstall_buf__release(&dir);
	cinstall_buf__release(&b);
}

/* The launcher's text is ours, but its Python is what installer's does: it
 * compiles, and imports exactly the entry point's module and first name. */
static void test_scripts__launcher_text(void)
{
	cinstall_entry_point ep = { (char *)"demo", (char *)"pkg.sub", (char *)"Cls.meth", 1 };
	cinstall_buf b = CINSTALL_BUF_INIT;

	CHECK_INT(cinstall_scripts__launcher(&b, "/v/bin/python", &ep), 0);
	CHECK(!strncmp(cinstall_buf__cstr(&b), "#!/v/bin/python\n", 16));
	CHECK_CONTAINS(cinstall_buf__cstr(&b), "\nfrom pkg.sub import Cls\n");
	CHECK_CONTAINS(cinstall_buf__cstr(&b), "sys.exit(Cls.meth())\n");
	write_file("launcher.py", b.ptr, b.len, 0644);
	CHECK_INT(th_sh(NULL, PY " -c 'import ast; ast.parse(open(\"launcher.py\").read())'"), 0);
	cinstall_buf__release(&b);
}

static const cinstall_test tests[] = {
	TEST(test_scripts__parse_basic),
	TEST(test_scripts__parse_edges),
	TEST(test_scripts__parse_refusals),
	TEST(test_scripts__parse_matches_installer),
	TEST(test_scripts__shebang_forms),
	TEST(test_scripts__shebang_matches_installer),
	TEST(test_scripts__needs_rewrite),
	TEST(test_scripts__rewrite_matches_installer),
	TEST(test_scripts__launcher_text),
	TEST(test_scripts__launcher_runs),
	TEST(test_scripts__launcher_runs_via_sh),
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	return th_run(argc, argv, tests);
}
