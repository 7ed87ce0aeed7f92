/* tags.h - does a wheel suit the target interpreter?  Wheel tags (PEP 425,
 * with the platform tags of PEP 600 / PEP 656 and the legacy manylinux
 * aliases) and Requires-Python (PEP 440 specifier sets), as pip checks a
 * local wheel. */
#ifndef CINSTALL_TAGS_H
#define CINSTALL_TAGS_H

#include "err.h"
#include "scheme.h"

/* The wheel's compressed tag sets (from its filename) must suit the interpreter (Python version, ABI incl.
   abi3 and none, platform incl. manylinux1/2010/2014/_X_Y against the machine's glibc via
   gnu_get_libc_version, musllinux on musl, linux_<arch>, any). 0 or CINSTALL_EINCOMPAT with a message
   naming the wheel and the tag that does not fit, e.g.
   "foo-1.0-cp36-cp36m-win_amd64.whl: platform tag 'win_amd64' does not suit this interpreter (linux_x86_64)".
   `wheel` names the wheel in messages. */
int cinstall_tags__check(cinstall_err *err, const cinstall_scheme *s, const char *wheel,
                         const char *python_tag, const char *abi_tag, const char *platform_tag);
/* Requires-Python (PEP 440 specifier set: ==, !=, <=, >=, <, >, ~=, ===, wildcards .*) against the
   interpreter's version. 0, or CINSTALL_EINCOMPAT naming the wheel and the specifier. A malformed
   specifier: CINSTALL_EBADWHEEL naming it.  NOTE: pip (23.x, 24.x) does NOT refuse a wheel for a
   malformed Requires-Python: it logs "Package 'x' has an invalid Requires-Python: ..." and installs;
   callers that follow pip log err->msg as a warning on CINSTALL_EBADWHEEL and go on.
   NULL or blank `spec`: 0.  The interpreter's version is X.Y.Z (final), as pip takes it. */
int cinstall_tags__requires_python(cinstall_err *err, const cinstall_scheme *s, const char *wheel, const char *spec);

#endif
