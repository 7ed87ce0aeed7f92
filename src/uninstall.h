/* uninstall.h - installed distributions: finding them, and removing one by
 * its RECORD (also used by install to stash a distribution it replaces). */
#ifndef CINSTALL_UNINSTALL_H
#define CINSTALL_UNINSTALL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "scheme.h"

/* One installed distribution: a <name>-<version>.dist-info directory. */
typedef struct cinstall_dist {
	char *name;       /* as the directory spells it */
	char *norm;       /* PEP 503 form */
	char *version;
	char *dist_info;  /* absolute path of the .dist-info directory */
	char *root;       /* the directory holding it (purelib or platlib) */
} cinstall_dist;

typedef struct cinstall_dists {
	size_t n;
	cinstall_dist *items; /* sorted by norm */
} cinstall_dists;

/* Scan purelib and platlib once for *.dist-info directories.  Missing
 * scheme directories are fine (an empty list). */
int cinstall_uninstall__scan(cinstall_dists **out, cinstall_err *err, const cinstall_scheme *s);
/* The distribution with normalised name `norm`, or NULL. */
const cinstall_dist *cinstall_uninstall__find(const cinstall_dists *d, const char *norm);
void cinstall_uninstall__free_dists(cinstall_dists *d);

/* What removing one distribution means: every existing file of its RECORD
 * (absolute, checked to lie inside the scheme's directories without a
 * symlinked parent leading out), the __pycache__ files of its .py files,
 * and the .dist-info directory. */
typedef struct cinstall_removal {
	size_t n, cap;
	char **files;
	char *dist_info;
} cinstall_removal;

/* Build the plan.  CINSTALL_ENOTFOUND "no RECORD", CINSTALL_ERECORD (bad
 * RECORD), CINSTALL_EUNSAFE (a path outside the environment); nothing is
 * touched. */
int cinstall_uninstall__plan(cinstall_removal **out, cinstall_err *err, const cinstall_scheme *s,
                             const cinstall_dist *d);
void cinstall_uninstall__free_plan(cinstall_removal *p);

/* Remove directories left empty by removing `files` (absolute paths),
 * bottom-up, never a scheme directory nor one above it. */
void cinstall_uninstall__prune(const cinstall_scheme *s, char *const *files, size_t n);

/* Carry out a plan: unlink the files, remove the .dist-info directory and
 * the directories left empty. */
int cinstall_uninstall__remove(cinstall_err *err, const cinstall_scheme *s, const cinstall_removal *p);

/* Small path helpers shared with install.c. */
/* Lexically normalise an absolute path in place ("." and ".." components,
 * doubled '/'). */
void cinstall_uninstall__normalize(char *path);
/* out = `to` relative to directory `from` (both absolute, normalised), as
 * os.path.relpath computes it. */
int cinstall_uninstall__relpath(cinstall_buf *out, const char *from, const char *to);
/* Read a whole (small) file.  CINSTALL_ENOTFOUND when missing. */
int cinstall_uninstall__read_file(cinstall_buf *out, cinstall_err *err, const char *path);

#endif
