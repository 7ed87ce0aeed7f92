/* scheme.h - the target environment: where each part of a wheel goes, and
 * which interpreter it is for.
 *
 * Resolution order (cinstall_scheme__resolve): opts->target (pip --target:
 * a flat directory), else opts->prefix (pip --prefix, paths asked of the
 * interpreter), else opts->python (an interpreter or a venv directory), else
 * $VIRTUAL_ENV, else ./.venv.  A venv is read without starting Python when
 * its pyvenv.cfg and layout say enough (the fast path); otherwise the
 * interpreter is asked once and the answer cached in
 * <ctx->cache_dir>/v1/interpreters/ keyed by the interpreter's path and mtime.
 * For --target and --prefix the interpreter is opts->python, else the
 * $VIRTUAL_ENV / ./.venv one when present, else python3 (then python) on
 * $PATH, as uv finds one.
 * A non-venv interpreter given as --python (e.g. /usr/bin/python3) means its
 * own default scheme, as `pip install` run by it would use (Debian:
 * /usr/local/lib/python3.X/dist-packages); root is then that scheme's data
 * directory (/usr/local).
 * headers: pip's choice: <venv>/include/site/pythonX.Y in a venv (pypa/installer's CLI uses
 * <venv>/include/pythonX.Y instead), the interpreter's include dir otherwise, <target>/include/python
 * for --target.
 */
#ifndef CINSTALL_SCHEME_H
#define CINSTALL_SCHEME_H

#include "cinstall.h"
#include "err.h"

typedef struct cinstall_scheme {
	char *root;      /* the environment (venv dir), the --prefix, or the --target directory; absolute */
	char *python;    /* absolute interpreter path used in shebangs, e.g. <venv>/bin/python */
	char *purelib, *platlib, *scripts, *data;   /* absolute */
	char *headers;   /* absolute base, e.g. <venv>/include/site/python3.11 ; install appends the dist name */
	int py_major, py_minor, py_micro;
	char *impl;      /* interpreter tag prefix: "cp", "pp", ... */
	char *abi;       /* the interpreter's ABI tag, e.g. "cp311" (with 'd' / 't' suffixes when relevant) */
	int is_venv;     /* root has pyvenv.cfg */
	int is_target;   /* --target: flat directory */
	/* --- added by C (after the agreed fields) --- */
	char *platform;  /* the interpreter's platform tag, e.g. "linux_x86_64" (sysconfig.get_platform()
	                    with '-' and '.' as '_') */
	int free_threaded; /* Py_GIL_DISABLED build (3.13t): abi3 does not apply */
	int debug;       /* Py_DEBUG build: also loads the plain cpXY ABI (from 3.8) */
	int is_musl;     /* the interpreter runs on musl libc (musllinux tags instead of manylinux) */
	int libc_major, libc_minor; /* glibc (or musl) version; 0 when unknown: tags then ask
	                               gnu_get_libc_version() */
} cinstall_scheme;

/* Find the target from opts (python = interpreter or venv dir; NULL -> $VIRTUAL_ENV, else ./.venv;
   prefix; target), fast path from pyvenv.cfg + layout without starting Python; ask the interpreter only
   when needed (e.g. no pyvenv.cfg, --prefix, non-venv interpreter), and cache what was learned in the
   cinstall cache dir (ctx->cache_dir) keyed by interpreter path + mtime. Not found -> CINSTALL_ENOTFOUND with
   a message naming what was tried.  Other errors: CINSTALL_EIO (the interpreter could not be run or
   its answer read), CINSTALL_EINVAL (bad options, e.g. both prefix and target), CINSTALL_ENOMEM.
   The directories are not created. */
int cinstall_scheme__resolve(cinstall_scheme **out, cinstall_ctx *ctx, cinstall_err *err, const cinstall_install_options *opts);
void cinstall_scheme__free(cinstall_scheme *s);

#endif
