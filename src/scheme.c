/* scheme.c - find the target environment and the interpreter behind it.
 *
 * Two ways to learn about an interpreter:
 *   - the fast path, for a CPython virtual environment: pyvenv.cfg gives the
 *     version, the layout gives site-packages (lib/pythonX.Y[t]), the name
 *     of the real interpreter binary gives the ABI flags, and its ELF header
 *     gives the architecture (and glibc vs musl);
 *   - the probe: run the interpreter once with a small script that prints
 *     what sysconfig says, and keep the answer in
 *     <cache>/v1/interpreters/<xxh3 of the path>, checked against the
 *     interpreter binary's device, inode, size and mtime on every use.
 * --prefix always needs the probe (Debian's posix_local scheme and friends
 * are only known to the interpreter); the probe reports the prefix scheme's
 * paths for a placeholder prefix, so one cached answer serves every prefix.
 */
#include "scheme.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include "buf.h"
#include "ctx.h"
#include "hash.h"
#include "path.h"
#include "sys.h"

extern char **environ;

/* The placeholder prefix the probe substitutes for --prefix paths. */
#define PREFIX_MARK "/__cinstall_prefix__"
#define CACHE_MAGIC "cinstall-interpreter 1"
/* Largest probe answer we read. */
#define PROBE_MAX (64 * 1024)

/* What we know about an interpreter, from either path. */
typedef struct interp {
	char *executable;        /* sys.executable: the path for shebangs */
	char *prefix;            /* sys.prefix */
	int is_venv;
	int major, minor, micro;
	char *impl, *abi, *platform;
	int debug, free_threaded, is_musl, libc_major, libc_minor;
	/* the default scheme, and the prefix scheme for PREFIX_MARK */
	char *purelib, *platlib, *scripts, *data, *headers;
	char *p_purelib, *p_platlib, *p_scripts, *p_data, *p_headers;
} interp;

static void interp_free(interp *in)
{
	if (!in)
		return;
	free(in->executable);
	free(in->prefix);
	free(in->impl);
	free(in->abi);
	free(in->platform);
	free(in->purelib);
	free(in->platlib);
	free(in->scripts);
	free(in->data);
	free(in->headers);
	free(in->p_purelib);
	free(in->p_platlib);
	free(in->p_scripts);
	free(in->p_data);
	free(in->p_headers);
	free(in);
}

void cinstall_scheme__free(cinstall_scheme *s)
{
	if (!s)
		return;
	free(s->root);
	free(s->python);
	free(s->purelib);
	free(s->platlib);
	free(s->scripts);
	free(s->data);
	free(s->headers);
	free(s->impl);
	free(s->abi);
	free(s->platform);
	free(s);
}

/* ------------------------------------------------------------------------ */
/* Paths                                                                    */
/* ------------------------------------------------------------------------ */

/* An absolute, lexically normalised path (like os.path.abspath: no symlink
 * is resolved; "." and ".." components and repeated '/' are folded). */
static char *abspath(const char *p)
{
	cinstall_buf in = CINSTALL_BUF_INIT, out = CINSTALL_BUF_INIT;
	const char *s, *e;
	char *r = NULL;

	if (p[0] != '/') {
		char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		if (cinstall_buf__printf(&in, "%s/%s", cwd, p) < 0) {
			free(cwd);
			goto done;
		}
		free(cwd);
	} else if (cinstall_buf__puts(&in, p)) {
		goto done;
	}
	for (s = cinstall_buf__cstr(&in); *s; s = e) {
		while (*s == '/')
			s++;
		e = s;
		while (*e && *e != '/')
			e++;
		if (e == s || (e - s == 1 && s[0] == '.'))
			continue;
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = out.len ? strrchr(out.ptr, '/') : NULL;
			if (slash)
				cinstall_buf__truncate(&out, (size_t)(slash - out.ptr));
			continue;
		}
		if (cinstall_buf__putc(&out, '/') || cinstall_buf__put(&out, s, (size_t)(e - s)))
			goto done;
	}
	if (!out.len && cinstall_buf__putc(&out, '/'))
		goto done;
	r = cinstall_buf__detach(&out);
done:
	cinstall_buf__release(&in);
	cinstall_buf__release(&out);
	return r;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_exe(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static char *join2(const char *a, const char *b)
{
	cinstall_buf out = CINSTALL_BUF_INIT;

	if (cinstall_path__join(&out, a, b)) {
		cinstall_buf__release(&out);
		return NULL;
	}
	return cinstall_buf__detach(&out);
}

/* Search $PATH for an executable `name`; the result is absolute. */
static char *which(const char *name)
{
	const char *path = getenv("PATH"), *s, *e;

	if (!path)
		return NULL;
	for (s = path; *s; s = *e ? e + 1 : e) {
		cinstall_buf b = CINSTALL_BUF_INIT;
		char *abs;

		e = strchr(s, ':');
		if (!e)
			e = s + strlen(s);
		if (e == s)
			continue;
		if (cinstall_buf__printf(&b, "%.*s/%s", (int)(e - s), s, name) < 0)
			return NULL;
		if (is_exe(cinstall_buf__cstr(&b))) {
			abs = abspath(cinstall_buf__cstr(&b));
			cinstall_buf__release(&b);
			return abs;
		}
		cinstall_buf__release(&b);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* pyvenv.cfg and the fast path                                             */
/* ------------------------------------------------------------------------ */

typedef struct venv_cfg {
	char *home, *version, *version_info, *implementation, *executable;
} venv_cfg;

static void cfg_release(venv_cfg *c)
{
	free(c->home);
	free(c->version);
	free(c->version_info);
	free(c->implementation);
	free(c->executable);
	memset(c, 0, sizeof(*c));
}

/* Read pyvenv.cfg: "key = value" lines, as venv, virtualenv and uv write
 * them.  Returns 0, CINSTALL_ENOTFOUND when there is none, or an error. */
static int cfg_read(venv_cfg *c, cinstall_err *err, const char *root)
{
	cinstall_buf path = CINSTALL_BUF_INIT;
	char text[16384];
	ssize_t n;
	int fd = -1, error = 0;
	char *line, *save = NULL;

	memset(c, 0, sizeof(*c));
	if (cinstall_buf__printf(&path, "%s/pyvenv.cfg", root) < 0)
		return cinstall_err__oom(err);
	fd = cinstall_sys__open(cinstall_buf__cstr(&path), O_RDONLY, 0);
	if (fd < 0) {
		error = errno == ENOENT || errno == ENOTDIR
		                ? CINSTALL_ENOTFOUND
		                : cinstall_err__os(err, "cannot read '%s'", cinstall_buf__cstr(&path));
		goto done;
	}
	n = cinstall_sys__read_full(fd, text, sizeof(text) - 1);
	if (n < 0) {
		error = cinstall_err__os(err, "cannot read '%s'", cinstall_buf__cstr(&path));
		goto done;
	}
	text[n] = '\0';
	for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char *eq = strchr(line, '='), *k = line, *v, *ke, *ve, **slot = NULL;
		if (!eq)
			continue;
		ke = eq;
		while (*k == ' ' || *k == '\t')
			k++;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		*ke = '\0';
		v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		ve = v + strlen(v);
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		*ve = '\0';
		if (!strcmp(k, "home"))
			slot = &c->home;
		else if (!strcmp(k, "version"))
			slot = &c->version;
		else if (!strcmp(k, "version_info"))
			slot = &c->version_info;
		else if (!strcmp(k, "implementation"))
			slot = &c->implementation;
		else if (!strcmp(k, "executable"))
			slot = &c->executable;
		if (slot) {
			free(*slot);
			if (!(*slot = strdup(v))) {
				error = cinstall_err__oom(err);
				goto done;
			}
		}
	}
done:
	if (fd >= 0)
		close(fd);
	cinstall_buf__release(&path);
	if (error)
		cfg_release(c);
	return error;
}

/* "3.11.2", "3.11.2.final.0", "3.12" -> numbers; 0 on success. */
static int parse_pyversion(const char *v, int *major, int *minor, int *micro)
{
	char *e;
	long a, b, c = 0;

	if (!v)
		return -1;
	a = strtol(v, &e, 10);
	if (e == v || *e != '.')
		return -1;
	v = e + 1;
	b = strtol(v, &e, 10);
	if (e == v)
		return -1;
	if (*e == '.') {
		v = e + 1;
		c = strtol(v, &e, 10);
		if (e == v)
			return -1;
	}
	if (a < 2 || a > 99 || b < 0 || b > 999 || c < 0 || c > 9999)
		return -1;
	*major = (int)a;
	*minor = (int)b;
	*micro = (int)c;
	return 0;
}

/* The machine an ELF executable is for, in sysconfig's words (uname -m),
 * and whether it uses musl.  Returns 0 or -1 (not an ELF file we know, or
 * not for this machine: ask the interpreter then). */
static int elf_platform(const char *path, char *arch, size_t cap, int *is_musl)
{
	unsigned char ident[EI_NIDENT];
	struct utsname u;
	int fd, cls, ok = -1;
	unsigned int machine;
	uint64_t phoff;
	unsigned int phnum, phentsize, i;
	static const union { uint16_t u; unsigned char c[2]; } endian = { 1 };
	int native = endian.c[0] ? ELFDATA2LSB : ELFDATA2MSB;

	*is_musl = 0;
	if (uname(&u) != 0)
		return -1;
	fd = cinstall_sys__open(path, O_RDONLY, 0);
	if (fd < 0)
		return -1;
	if (cinstall_sys__read_full(fd, ident, sizeof(ident)) != (ssize_t)sizeof(ident) ||
	    memcmp(ident, ELFMAG, SELFMAG) || ident[EI_DATA] != native)
		goto done;
	cls = ident[EI_CLASS];
	if (cls == ELFCLASS64) {
		Elf64_Ehdr h;
		if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
			goto done;
		machine = h.e_machine;
		phoff = h.e_phoff;
		phnum = h.e_phnum;
		phentsize = h.e_phentsize;
		if (phentsize != sizeof(Elf64_Phdr))
			goto done;
	} else if (cls == ELFCLASS32) {
		Elf32_Ehdr h;
		if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
			goto done;
		machine = h.e_machine;
		phoff = h.e_phoff;
		phnum = h.e_phnum;
		phentsize = h.e_phentsize;
		if (phentsize != sizeof(Elf32_Phdr))
			goto done;
	} else {
		goto done;
	}
	/* PT_INTERP names the dynamic loader: ld-musl-* on musl. */
	for (i = 0; i < phnum && i < 64; i++) {
		uint64_t off, size;
		uint32_t type;
		char loader[256];
		if (cls == ELFCLASS64) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof(ph))
				goto done;
			type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof(ph))
				goto done;
			type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
		}
		if (type != PT_INTERP)
			continue;
		if (size == 0 || size >= sizeof(loader) || pread(fd, loader, size, (off_t)off) != (ssize_t)size)
			goto done;
		loader[size] = 0;
		if (strstr(loader, "ld-musl"))
			*is_musl = 1;
	}
	/* The interpreter's word size and machine must agree with uname, as
	 * sysconfig.get_platform() reports uname's machine; a 32-bit build on a
	 * 64-bit kernel is i686 / armv8l, as packaging.tags has it. */
	{
		const char *m = u.machine, *want = NULL;
		if (cls == ELFCLASS64) {
			if ((machine == EM_X86_64 && !strcmp(m, "x86_64")) ||
			    (machine == EM_AARCH64 && !strcmp(m, "aarch64")) ||
			    (machine == EM_PPC64 && !strncmp(m, "ppc64", 5)) ||
			    (machine == EM_S390 && !strcmp(m, "s390x")) ||
#ifdef EM_RISCV
			    (machine == EM_RISCV && !strcmp(m, "riscv64")) ||
#endif
#ifdef EM_LOONGARCH
			    (machine == EM_LOONGARCH && !strcmp(m, "loongarch64")) ||
#endif
			    0)
				want = m;
		} else {
			if (machine == EM_386 && !strcmp(m, "x86_64"))
				want = "i686";
			else if (machine == EM_ARM && !strcmp(m, "aarch64"))
				want = "armv8l";
			else if ((machine == EM_386 && m[0] == 'i' && !strcmp(m + 2, "86")) ||
			         (machine == EM_ARM && !strncmp(m, "arm", 3)))
				want = m;
		}
		if (want && strlen(want) < cap) {
			strcpy(arch, want);
			ok = 0;
		}
	}
done:
	close(fd);
	return ok;
}

/* A binary name whose ABI flags we can read off: python, python3,
 * python3.12, with an optional 't' (free-threaded) and 'd' (debug). */
static int binary_flags(const char *base, int *debug, int *ft)
{
	const char *p = base;

	*debug = *ft = 0;
	if (strncmp(p, "python", 6))
		return -1;
	p += 6;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 't') {
		*ft = 1;
		p++;
	}
	if (*p == 'd') {
		*debug = 1;
		p++;
	}
	return *p ? -1 : 0;
}

static void glibc_version(int *major, int *minor)
{
	*major = *minor = 0;
#if defined(__GLIBC__)
	if (sscanf(gnu_get_libc_version(), "%d.%d", major, minor) != 2)
		*major = *minor = 0;
#endif
}

/* The interpreter inside a venv (<root>/bin/python, python3, pythonX.Y). */
static char *venv_python(const char *root, int major, int minor)
{
	char name[32];
	const char *names[3] = { "bin/python", "bin/python3", name };
	size_t i;

	snprintf(name, sizeof(name), "bin/python%d.%d", major, minor);
	for (i = 0; i < 3; i++) {
		char *p = join2(root, names[i]);
		if (!p || is_exe(p))
			return p;
		free(p);
	}
	return NULL;
}

/* The fast path.  Returns 0 with *out set, 1 when the venv needs the probe
 * (with *out NULL), or an error. */
static int fast_venv(interp **out, cinstall_err *err, const char *root, const venv_cfg *cfg)
{
	interp *in = NULL;
	char *python = NULL, *real = NULL, *lib = NULL;
	char arch[64], pyxy[64];
	int error = 0, major, minor, micro, debug, ft, musl;

	*out = NULL;
	if (parse_pyversion(cfg->version ? cfg->version : cfg->version_info, &major, &minor, &micro))
		return 1;
	/* Before 3.8 the ABI may carry 'm' (pymalloc): only the interpreter knows. */
	if (major < 3 || (major == 3 && minor < 8))
		return 1;
	if (cfg->implementation && strcasecmp(cfg->implementation, "cpython"))
		return 1;
	if (!(python = venv_python(root, major, minor))) {
		char *bin = join2(root, "bin");
		error = bin ? cinstall_err__set(err, CINSTALL_ENOTFOUND, 0,
		                                "virtual environment '%s' has no Python interpreter in '%s'", root, bin)
		            : cinstall_err__oom(err);
		free(bin);
		return error;
	}
	if (!(real = realpath(python, NULL)) || binary_flags(cinstall_path__basename(real), &debug, &ft) ||
	    elf_platform(real, arch, sizeof(arch), &musl) || musl) {
		error = 1;
		goto done;
	}
	if (major < 3 || (major == 3 && minor < 13))
		ft = 0;
	/* The layout must be there: lib/pythonX.Y[t]/site-packages. */
	snprintf(pyxy, sizeof(pyxy), "lib/python%d.%d%s/site-packages", major, minor, ft ? "t" : "");
	if (!(lib = join2(root, pyxy))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (!is_dir(lib)) {
		error = 1;
		goto done;
	}
	if (!(in = calloc(1, sizeof(*in)))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	in->is_venv = 1;
	in->major = major, in->minor = minor, in->micro = micro;
	in->debug = debug, in->free_threaded = ft;
	glibc_version(&in->libc_major, &in->libc_minor);
	/* pip's header directory in a venv; no 't' for free-threaded builds */
	snprintf(pyxy, sizeof(pyxy), "include/site/python%d.%d", major, minor);
	in->executable = python;
	python = NULL;
	in->prefix = strdup(root);
	in->impl = strdup("cp");
	in->purelib = lib;
	lib = NULL;
	in->platlib = strdup(in->purelib);
	in->scripts = join2(root, "bin");
	in->data = strdup(root);
	in->headers = join2(root, pyxy);
	{
		cinstall_buf b = CINSTALL_BUF_INIT;
		if (cinstall_buf__printf(&b, "cp%d%d%s%s", major, minor, ft ? "t" : "", debug ? "d" : "") >= 0)
			in->abi = cinstall_buf__detach(&b);
		if (cinstall_buf__printf(&b, "linux_%s", arch) >= 0)
			in->platform = cinstall_buf__detach(&b);
		cinstall_buf__release(&b);
	}
	if (!in->prefix || !in->impl || !in->platlib || !in->scripts || !in->data || !in->headers || !in->abi ||
	    !in->platform) {
		error = cinstall_err__oom(err);
		goto done;
	}
	*out = in;
	in = NULL;
done:
	interp_free(in);
	free(python);
	free(real);
	free(lib);
	return error;
}

/* ------------------------------------------------------------------------ */
/* The probe                                                                */
/* ------------------------------------------------------------------------ */

/* Runs under the target interpreter (Python 3.6 and later).  Prints one
 * "key<TAB>value" line per fact. */
static const char PROBE[] =
	"import os, sys, sysconfig\n"
	"M = '" PREFIX_MARK "'\n"
	"def out(k, v):\n"
	"    v = '' if v is None else str(v)\n"
	"    if '\\n' in v or '\\r' in v:\n"
	"        sys.exit('cinstall probe: newline in ' + k)\n"
	"    sys.stdout.write(k + '\\t' + v + '\\n')\n"
	"cv = sysconfig.get_config_var\n"
	"v = sys.version_info\n"
	"name = sys.implementation.name\n"
	"impl = {'cpython': 'cp', 'pypy': 'pp', 'ironpython': 'ip', 'jython': 'jy'}.get(name, name)\n"
	"dbg = cv('Py_DEBUG')\n"
	"debug = bool(dbg) if dbg is not None else hasattr(sys, 'gettotalrefcount')\n"
	"ft = bool(cv('Py_GIL_DISABLED')) and v >= (3, 13)\n"
	"if impl == 'cp':\n"
	"    abi = 'cp%d%d' % v[:2] + ('t' if ft else '') + ('d' if debug else '')\n"
	"    if v < (3, 8):\n"
	"        pm = cv('WITH_PYMALLOC')\n"
	"        abi += 'm' if (pm or pm is None) else ''\n"
	"else:\n"
	"    parts = (cv('EXT_SUFFIX') or '').split('.')\n"
	"    so = parts[1] if len(parts) > 2 else (cv('SOABI') or '')\n"
	"    if so.startswith('cpython'):\n"
	"        abi = 'cp' + so.split('-')[1]\n"
	"    elif so.startswith('cp'):\n"
	"        abi = so.split('-')[0]\n"
	"    elif so.startswith('pypy'):\n"
	"        abi = '-'.join(so.split('-')[:2])\n"
	"    elif so.startswith('graalpy'):\n"
	"        abi = '-'.join(so.split('-')[:3])\n"
	"    else:\n"
	"        abi = so or 'none'\n"
	"    abi = abi.replace('.', '_').replace('-', '_')\n"
	"plat = sysconfig.get_platform().replace('.', '_').replace('-', '_')\n"
	"if sys.maxsize <= 2 ** 32:\n"
	"    plat = {'linux_x86_64': 'linux_i686', 'linux_aarch64': 'linux_armv8l'}.get(plat, plat)\n"
	"libc = ''\n"
	"try:\n"
	"    g = os.confstr('CS_GNU_LIBC_VERSION')\n"
	"except (ValueError, OSError, AttributeError):\n"
	"    g = None\n"
	"if g and g.startswith('glibc '):\n"
	"    libc = 'glibc ' + g.split()[1]\n"
	"elif sys.platform.startswith('linux'):\n"
	"    import glob, re, subprocess\n"
	"    for ld in sorted(glob.glob('/lib/ld-musl-*.so.1')):\n"
	"        try:\n"
	"            e = subprocess.run([ld], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).stderr\n"
	"        except OSError:\n"
	"            continue\n"
	"        m = re.search(r'Version (\\d+)\\.(\\d+)', e.decode('utf-8', 'replace'))\n"
	"        if m:\n"
	"            libc = 'musl %s.%s' % m.groups()\n"
	"            break\n"
	"venv = sys.prefix != getattr(sys, 'base_prefix', sys.prefix) or hasattr(sys, 'real_prefix')\n"
	"names = sysconfig.get_scheme_names()\n"
	"pref = getattr(sysconfig, 'get_preferred_scheme', None)\n"
	"if pref:\n"
	"    sch = pref('prefix')\n"
	"else:\n"
	"    sch = next((n for n in (name + '_' + os.name, name, os.name + '_prefix') if n in names), 'posix_prefix')\n"
	"xy = 'python%d.%d' % v[:2]\n"
	"keys = ('installed_base', 'base', 'installed_platbase', 'platbase', 'prefix', 'exec_prefix')\n"
	"for tag, vars_, base in (('', None, sys.prefix), ('p_', dict.fromkeys(keys, M), M)):\n"
	"    p = sysconfig.get_paths(sch, vars=vars_) if vars_ else sysconfig.get_paths(sch)\n"
	"    for k in ('purelib', 'platlib', 'scripts', 'data'):\n"
	"        out(tag + k, p[k])\n"
	"    out(tag + 'headers', os.path.join(base, 'include', 'site', xy) if venv else p['include'])\n"
	"out('executable', sys.executable)\n"
	"out('prefix', sys.prefix)\n"
	"out('venv', int(venv))\n"
	"out('version', '%d.%d.%d' % v[:3])\n"
	"out('impl', impl)\n"
	"out('abi', abi)\n"
	"out('platform', plat)\n"
	"out('debug', int(debug))\n"
	"out('free_threaded', int(ft))\n"
	"out('libc', libc)\n"
	"out('end', 'ok')\n";

/* Fill `in` from the probe's lines.  0 or -1 (incomplete). */
static int parse_probe(interp *in, const char *text)
{
	const char *s = text;
	int have_end = 0;

	while (*s) {
		const char *nl = strchr(s, '\n'), *tab;
		size_t klen;
		char *val = NULL, **slot = NULL;

		if (!nl)
			break;
		tab = memchr(s, '\t', (size_t)(nl - s));
		if (!tab) {
			s = nl + 1;
			continue;
		}
		klen = (size_t)(tab - s);
		if (!(val = malloc((size_t)(nl - tab))))
			return -1;
		memcpy(val, tab + 1, (size_t)(nl - tab - 1));
		val[nl - tab - 1] = '\0';
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(s, k, klen))
		if (KEY("executable"))
			slot = &in->executable;
		else if (KEY("prefix"))
			slot = &in->prefix;
		else if (KEY("impl"))
			slot = &in->impl;
		else if (KEY("abi"))
			slot = &in->abi;
		else if (KEY("platform"))
			slot = &in->platform;
		else if (KEY("purelib"))
			slot = &in->purelib;
		else if (KEY("platlib"))
			slot = &in->platlib;
		else if (KEY("scripts"))
			slot = &in->scripts;
		else if (KEY("data"))
			slot = &in->data;
		else if (KEY("headers"))
			slot = &in->headers;
		else if (KEY("p_purelib"))
			slot = &in->p_purelib;
		else if (KEY("p_platlib"))
			slot = &in->p_platlib;
		else if (KEY("p_scripts"))
			slot = &in->p_scripts;
		else if (KEY("p_data"))
			slot = &in->p_data;
		else if (KEY("p_headers"))
			slot = &in->p_headers;
		else if (KEY("venv"))
			in->is_venv = atoi(val);
		else if (KEY("debug"))
			in->debug = atoi(val);
		else if (KEY("free_threaded"))
			in->free_threaded = atoi(val);
		else if (KEY("version")) {
			if (parse_pyversion(val, &in->major, &in->minor, &in->micro)) {
				free(val);
				return -1;
			}
		} else if (KEY("libc")) {
			if (!strncmp(val, "musl ", 5)) {
				in->is_musl = 1;
				sscanf(val + 5, "%d.%d", &in->libc_major, &in->libc_minor);
			} else if (!strncmp(val, "glibc ", 6)) {
				sscanf(val + 6, "%d.%d", &in->libc_major, &in->libc_minor);
			}
		} else if (KEY("end")) {
			have_end = 1;
		}
#undef KEY
		if (slot) {
			free(*slot);
			*slot = val;
		} else {
			free(val);
		}
		s = nl + 1;
	}
	if (!have_end || !in->executable || !in->prefix || !in->impl || !in->abi || !in->platform ||
	    !in->purelib || !in->platlib || !in->scripts || !in->data || !in->headers || !in->p_purelib ||
	    !in->p_platlib || !in->p_scripts || !in->p_data || !in->p_headers || !in->major)
		return -1;
	return 0;
}

/* Run `python -I -c PROBE`; its stdout into `out`, a bit of stderr into the
 * message on failure. */
static int run_probe(cinstall_buf *out, cinstall_err *err, const char *python)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, error = 0, status = 0, r;
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)python, (char *)"-I", (char *)"-c", (char *)PROBE, NULL };
	char ebuf[512];
	size_t elen = 0;
	pid_t pid = -1;
	struct pollfd pf[2];

	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC))
		return cinstall_err__os(err, "cannot run '%s'", python);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	r = posix_spawn(&pid, python, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(opipe[1]);
	close(epipe[1]);
	if (r != 0) {
		error = cinstall_err__errno(err, r == ENOENT ? CINSTALL_ENOTFOUND : CINSTALL_EIO, r,
		                            "cannot run the interpreter '%s'", python);
		goto done;
	}
	pf[0].fd = opipe[0];
	pf[1].fd = epipe[0];
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		char chunk[4096];
		int i;

		pf[0].events = pf[1].events = POLLIN;
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			error = cinstall_err__os(err, "cannot read from the interpreter '%s'", python);
			goto done;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pf[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				if (i == 0)
					opipe[0] = -1;
				else
					epipe[0] = -1;
				continue;
			}
			if (i == 0) {
				if (out->len + (size_t)n > PROBE_MAX) {
					error = cinstall_err__set(err, CINSTALL_EIO, 0,
					                          "the interpreter '%s' answered too much", python);
					goto done;
				}
				if (cinstall_buf__put(out, chunk, (size_t)n)) {
					error = cinstall_err__oom(err);
					goto done;
				}
			} else if (elen < sizeof(ebuf) - 1) {
				size_t k = (size_t)n < sizeof(ebuf) - 1 - elen ? (size_t)n : sizeof(ebuf) - 1 - elen;
				memcpy(ebuf + elen, chunk, k);
				elen += k;
			}
		}
	}
done:
	if (opipe[0] >= 0)
		close(opipe[0]);
	if (epipe[0] >= 0)
		close(epipe[0]);
	if (pid > 0) {
		pid_t w;
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		/* ECHILD: the host ignores SIGCHLD, the status is gone; the answer
		 * itself is checked by the caller */
		if (w < 0)
			status = 0;
		if (!error && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			ebuf[elen] = '\0';
			while (elen && (ebuf[elen - 1] == '\n' || ebuf[elen - 1] == '\r'))
				ebuf[--elen] = '\0';
			{
				/* the last line of stderr says most */
				char *last = strrchr(ebuf, '\n');
				error = cinstall_err__set(err, CINSTALL_EIO, 0,
				                          "the interpreter '%s' failed to describe itself (%s %d)%s%s",
				                          python, WIFEXITED(status) ? "exit" : "signal",
				                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				                          elen ? ": " : "", last ? last + 1 : ebuf);
			}
		}
	}
	return error;
}

/* The cache file for `python`, and the stat line that validates it. */
static int cache_key(cinstall_buf *file, cinstall_buf *stamp, cinstall_ctx *ctx, const char *python)
{
	char hex[CINSTALL_XXH_HEX];
	struct stat st;

	if (stat(python, &st) != 0)
		return -1;
	cinstall_xxh__hex(hex, python, strlen(python));
	if (cinstall_buf__printf(file, "%s/v1/interpreters/%s", ctx->cache_dir, hex) < 0 ||
	    cinstall_buf__printf(stamp, "%s\npath\t%s\nstat\t%llu %llu %lld %lld.%09ld\n", CACHE_MAGIC, python,
	                         (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	                         (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec) < 0)
		return -1;
	return 0;
}

static int cache_load(interp *in, const char *file, const char *stamp)
{
	size_t cap = PROBE_MAX + strlen(stamp) + 1, slen = strlen(stamp);
	char *buf;
	ssize_t n;
	int fd, r = -1;

	if ((fd = cinstall_sys__open(file, O_RDONLY, 0)) < 0)
		return -1;
	if ((buf = malloc(cap))) {
		n = cinstall_sys__read_full(fd, buf, cap - 1);
		if (n >= 0 && (size_t)n >= slen && !memcmp(buf, stamp, slen)) {
			buf[n] = '\0';
			r = parse_probe(in, buf + slen);
		}
		free(buf);
	}
	close(fd);
	return r;
}

/* Best effort: a cache we cannot write only costs a probe next time. */
static void cache_store(cinstall_ctx *ctx, const char *file, const char *stamp, const cinstall_buf *answer)
{
	cinstall_err ignored = CINSTALL_ERR_INIT;
	cinstall_buf dir = CINSTALL_BUF_INIT, tmp = CINSTALL_BUF_INIT;
	int fd = -1;

	if (cinstall_buf__printf(&dir, "%s/v1/interpreters", ctx->cache_dir) < 0 ||
	    cinstall_path__mkdirs(&ignored, cinstall_buf__cstr(&dir), 0755) ||
	    cinstall_buf__printf(&tmp, "%s.XXXXXX", file) < 0)
		goto done;
	if ((fd = mkostemp(tmp.ptr, O_CLOEXEC)) < 0)
		goto done;
	if (fchmod(fd, 0644) || cinstall_sys__write_all(fd, stamp, strlen(stamp)) ||
	    cinstall_sys__write_all(fd, answer->ptr, answer->len) || cinstall_sys__close(fd)) {
		fd = -1;
		unlink(tmp.ptr);
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, file))
		unlink(tmp.ptr);
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.ptr);
	}
	if (ignored.code)
		cinstall_ctx__log(ctx, CINSTALL_LOG_DEBUG, "not caching the interpreter's answer: %s", ignored.msg);
	cinstall_buf__release(&dir);
	cinstall_buf__release(&tmp);
}

/* Ask the interpreter (or the cache). */
static int probe(interp **out, cinstall_ctx *ctx, cinstall_err *err, const char *python)
{
	cinstall_buf file = CINSTALL_BUF_INIT, stamp = CINSTALL_BUF_INIT, answer = CINSTALL_BUF_INIT;
	interp *in = calloc(1, sizeof(*in));
	int error = 0, cacheable;

	*out = NULL;
	if (!in)
		return cinstall_err__oom(err);
	cacheable = cache_key(&file, &stamp, ctx, python) == 0;
	if (cacheable && cache_load(in, cinstall_buf__cstr(&file), cinstall_buf__cstr(&stamp)) == 0) {
		cinstall_ctx__log(ctx, CINSTALL_LOG_DEBUG, "interpreter '%s': from the cache", python);
		goto found;
	}
	interp_free(in);
	if (!(in = calloc(1, sizeof(*in)))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	cinstall_ctx__log(ctx, CINSTALL_LOG_DEBUG, "interpreter '%s': asking it", python);
	if ((error = run_probe(&answer, err, python)))
		goto done;
	if (parse_probe(in, cinstall_buf__cstr(&answer))) {
		error = cinstall_err__set(err, CINSTALL_EIO, 0, "the interpreter '%s' gave an answer we cannot read",
		                          python);
		goto done;
	}
	if (cacheable)
		cache_store(ctx, cinstall_buf__cstr(&file), cinstall_buf__cstr(&stamp), &answer);
found:
	*out = in;
	in = NULL;
done:
	interp_free(in);
	cinstall_buf__release(&file);
	cinstall_buf__release(&stamp);
	cinstall_buf__release(&answer);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Resolution                                                               */
/* ------------------------------------------------------------------------ */

/* Learn about an environment or interpreter named by `what` (a venv
 * directory, an interpreter path, or a command name on $PATH).  `how` says
 * where the name came from, for messages. */
static int learn(interp **out, cinstall_ctx *ctx, cinstall_err *err, const char *what, const char *how)
{
	char *path = NULL, *python = NULL, *root = NULL;
	venv_cfg cfg;
	int error = 0, r;

	*out = NULL;
	memset(&cfg, 0, sizeof(cfg));
	if (!strchr(what, '/') && !is_dir(what) && !is_exe(what)) {
		if (!(path = which(what))) {
			error = cinstall_err__set(err, CINSTALL_ENOTFOUND, 0, "no Python interpreter '%s' (%s) on $PATH",
			                          what, how);
			goto done;
		}
	} else if (!(path = abspath(what))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (is_dir(path)) {
		root = path;
		path = NULL;
	} else if (is_exe(path)) {
		/* <venv>/bin/python*: the venv; other interpreters are asked */
		char *bin = strrchr(path, '/');
		python = path;
		path = NULL;
		if (bin && bin - python >= 4 && !strncmp(bin - 4, "/bin", 4)) {
			char *cand = strndup(python, (size_t)(bin - 4 - python));
			if (!cand) {
				error = cinstall_err__oom(err);
				goto done;
			}
			if (!*cand) {
				free(cand);
			} else if ((r = cfg_read(&cfg, err, cand)) == 0) {
				root = cand;
			} else {
				free(cand);
				if (r != CINSTALL_ENOTFOUND) {
					error = r;
					goto done;
				}
			}
		}
	} else {
		error = cinstall_err__set(err, CINSTALL_ENOTFOUND, 0,
		                          "no Python environment at '%s' (%s): no such directory or interpreter", path,
		                          how);
		goto done;
	}

	if (root && !python) {
		/* a directory: a venv (pyvenv.cfg), or a prefix holding bin/python3 */
		r = cfg_read(&cfg, err, root);
		if (r && r != CINSTALL_ENOTFOUND) {
			error = r;
			goto done;
		}
		if (r == CINSTALL_ENOTFOUND) {
			char *p3 = join2(root, "bin/python3"), *p = join2(root, "bin/python");
			if (p3 && is_exe(p3)) {
				python = p3;
				p3 = NULL;
			} else if (p && is_exe(p)) {
				python = p;
				p = NULL;
			}
			free(p3);
			free(p);
			free(root);
			root = NULL;
			if (!python) {
				error = cinstall_err__set(err, CINSTALL_ENOTFOUND, 0,
				                          "'%s' (%s) is not a Python environment: no pyvenv.cfg and no "
				                          "bin/python3",
				                          what, how);
				goto done;
			}
		}
	}
	if (root) {
		/* a venv: the fast path, else ask its interpreter */
		r = fast_venv(out, err, root, &cfg);
		if (r <= 0) {
			error = r;
			goto done;
		}
		if (!python && !(python = venv_python(root, 3, 0))) {
			error = cinstall_err__set(err, CINSTALL_ENOTFOUND, 0,
			                          "virtual environment '%s' has no Python interpreter in bin/", root);
			goto done;
		}
	}
	if ((error = probe(out, ctx, err, python)))
		goto done;
	if (root && (*out)->is_venv) {
		/* the shebang names the venv's interpreter as given */
		char *vp = venv_python(root, (*out)->major, (*out)->minor);
		if (vp) {
			free((*out)->executable);
			(*out)->executable = vp;
		}
	}
done:
	cfg_release(&cfg);
	free(path);
	free(python);
	free(root);
	return error;
}

/* opts->python, $VIRTUAL_ENV, ./.venv; with `fallback` (for --prefix and
 * --target) also python3 / python on $PATH. */
static int find_env(interp **out, cinstall_ctx *ctx, cinstall_err *err, const cinstall_install_options *opts,
                    int fallback)
{
	const char *venv = getenv("VIRTUAL_ENV");
	char *cwd = NULL;
	int error;

	if (opts && opts->python && *opts->python)
		return learn(out, ctx, err, opts->python, "--python");
	if (venv && *venv)
		return learn(out, ctx, err, venv, "$VIRTUAL_ENV");
	if (is_dir(".venv"))
		return learn(out, ctx, err, ".venv", "the .venv of the current directory");
	if (fallback) {
		char *p = which("python3");
		if (!p)
			p = which("python");
		if (p) {
			error = learn(out, ctx, err, p, "found on $PATH");
			free(p);
			return error;
		}
	}
	cwd = getcwd(NULL, 0);
	error = cinstall_err__set(err, CINSTALL_ENOTFOUND, 0,
	                          "no Python environment found: no --python given, $VIRTUAL_ENV is not set and "
	                          "there is no .venv in '%s'%s",
	                          cwd ? cwd : ".", fallback ? ", nor python3 on $PATH" : "");
	free(cwd);
	return error;
}

/* PREFIX_MARK at the start of `tmpl` becomes `prefix`. */
static char *subst(const char *tmpl, const char *prefix)
{
	size_t n = strlen(PREFIX_MARK);
	cinstall_buf b = CINSTALL_BUF_INIT;

	if (!strncmp(tmpl, PREFIX_MARK, n) && (tmpl[n] == '/' || tmpl[n] == '\0')) {
		if (cinstall_buf__printf(&b, "%s%s", strcmp(prefix, "/") ? prefix : "", tmpl + n) < 0)
			return NULL;
		if (!b.len && cinstall_buf__putc(&b, '/'))
			return NULL;
		return cinstall_buf__detach(&b);
	}
	return strdup(tmpl);
}

int cinstall_scheme__resolve(cinstall_scheme **out, cinstall_ctx *ctx, cinstall_err *err,
                             const cinstall_install_options *opts)
{
	cinstall_scheme *s = NULL;
	interp *in = NULL;
	char *dir = NULL;
	int error = 0;
	const char *prefix = opts ? opts->prefix : NULL, *target = opts ? opts->target : NULL;

	*out = NULL;
	if (prefix && !*prefix)
		prefix = NULL;
	if (target && !*target)
		target = NULL;
	if (prefix && target)
		return cinstall_err__set(err, CINSTALL_EINVAL, 0, "--prefix and --target cannot be used together");
	if ((error = find_env(&in, ctx, err, opts, prefix || target)))
		goto done;
	if (!(s = calloc(1, sizeof(*s)))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (target || prefix) {
		if (!(dir = abspath(target ? target : prefix))) {
			error = cinstall_err__oom(err);
			goto done;
		}
	}
	if (target) {
		/* pip --target: packages flat in the directory, scripts in bin/,
		 * data and headers as pip's home scheme places them */
		s->is_target = 1;
		s->root = strdup(dir);
		s->purelib = strdup(dir);
		s->platlib = strdup(dir);
		s->scripts = join2(dir, "bin");
		s->data = strdup(dir);
		s->headers = join2(dir, "include/python");
	} else if (prefix) {
		/* the fast path does not know the prefix scheme: ask */
		const interp *src = in;
		interp *asked = NULL;
		if (!in->p_purelib) {
			if ((error = probe(&asked, ctx, err, in->executable)))
				goto done;
			src = asked;
		}
		s->root = strdup(dir);
		s->purelib = subst(src->p_purelib, dir);
		s->platlib = subst(src->p_platlib, dir);
		s->scripts = subst(src->p_scripts, dir);
		s->data = subst(src->p_data, dir);
		s->headers = subst(src->p_headers, dir);
		interp_free(asked);
	} else {
		s->is_venv = in->is_venv;
		/* a venv is its prefix; another interpreter's environment is its
		 * scheme's base (Debian: /usr/local) */
		s->root = strdup(in->is_venv ? in->prefix : in->data);
		s->purelib = strdup(in->purelib);
		s->platlib = strdup(in->platlib);
		s->scripts = strdup(in->scripts);
		s->data = strdup(in->data);
		s->headers = strdup(in->headers);
	}
	s->python = strdup(in->executable);
	s->impl = strdup(in->impl);
	s->abi = strdup(in->abi);
	s->platform = strdup(in->platform);
	s->py_major = in->major;
	s->py_minor = in->minor;
	s->py_micro = in->micro;
	s->debug = in->debug;
	s->free_threaded = in->free_threaded;
	s->is_musl = in->is_musl;
	s->libc_major = in->libc_major;
	s->libc_minor = in->libc_minor;
	if (!s->root || !s->python || !s->purelib || !s->platlib || !s->scripts || !s->data || !s->headers ||
	    !s->impl || !s->abi || !s->platform) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (!*s->python) {
		error = cinstall_err__set(err, CINSTALL_ENOTFOUND, 0, "the interpreter does not know its own path");
		goto done;
	}
	*out = s;
	s = NULL;
done:
	cinstall_scheme__free(s);
	interp_free(in);
	free(dir);
	return error;
}
