/* scripts.h - entry points (entry_points.txt), launcher scripts and the
 * shebang of `#!python` scripts from <name>.data/scripts. */
#ifndef CINSTALL_SCRIPTS_H
#define CINSTALL_SCRIPTS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

typedef struct cinstall_entry_point {
	char *name;      /* script name */
	char *module;    /* "pkg.mod" */
	char *attr;      /* "main" or "Cls.method"; never NULL: an entry point naming only a module is
	                    refused (CINSTALL_EBADWHEEL), as pypa/installer refuses it */
	int gui;         /* from gui_scripts */
} cinstall_entry_point;
typedef struct cinstall_entry_points { size_t n; cinstall_entry_point *items; } cinstall_entry_points;

/* Parse entry_points.txt (INI as Python's configparser reads it: sections, "name = value", comments ; #,
   whitespace, extras in [..] ignored) and keep console_scripts and gui_scripts. Refuse (CINSTALL_EBADWHEEL,
   naming wheel and entry) bad syntax, names that escape the scripts directory ('/', '\\', '..', empty, NUL,
   control chars) or shadow the interpreter (python, python3, python3.X, pythonw...).
   `data` need not be NUL-terminated.  Items keep the file's order (console_scripts first when both
   sections appear in that order). */
int cinstall_scripts__parse(cinstall_entry_points **out, cinstall_err *err, const char *wheel, const char *data, size_t len);
void cinstall_scripts__free(cinstall_entry_points *eps);
/* The shebang for `python`: "#!<python>\n", or, when the path has spaces or is longer than the kernel's
   limit (127 bytes on Linux, BINPRM_BUF_SIZE), the /bin/sh exec trampoline.  Appends to `out`;
   0 or CINSTALL_ENOMEM. */
int cinstall_scripts__shebang(cinstall_buf *out, const char *python);
/* The whole launcher script for an entry point (our own text; it must behave like pypa/installer's launcher:
   import the module, call the attribute, sys.exit with its result, argv[0] cleaned).  Appends to `out`;
   0 or CINSTALL_ENOMEM. */
int cinstall_scripts__launcher(cinstall_buf *out, const char *python, const cinstall_entry_point *ep);
/* For a .data/scripts file: does `head` (its first bytes) start with "#!python" (also "#!pythonw")? Then
   return 1 and set *line_len to the length of the first line including its line ending; else 0. The
   installer replaces that whole first line with the shebang for the interpreter.  Pass at least the
   whole first line (the caller reads up to 4096 bytes, say); a first line without a line ending within
   `len` counts as the whole of `len`.  Replace those line_len bytes with cinstall_scripts__rewrite_line()
   (NOT cinstall_scripts__shebang(): see there). */
int cinstall_scripts__needs_rewrite(const char *head, size_t len, size_t *line_len);

/* --- added by C (after the agreed declarations) --- */

/* The first line that replaces a "#!python..." line of a .data/scripts file: exactly "#!<python>\n",
   whatever the path holds, byte-identical to what pypa/installer 0.6.0 (utils.fix_shebang) and pip
   (fix_script) write; they do not use the /bin/sh trampoline there.  Appends to `out`; 0 or
   CINSTALL_ENOMEM. */
int cinstall_scripts__rewrite_line(cinstall_buf *out, const char *python);

#endif
