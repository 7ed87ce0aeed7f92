/* report.h - what an install or uninstall did: results, conflicts and
 * warnings, owned by one cinstall_report (public accessors in cinstall.h). */
#ifndef CINSTALL_REPORT_H
#define CINSTALL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "cinstall.h"
#include "err.h"

struct cinstall_report {
	cinstall_result *results;
	size_t nresults, cap_results;
	cinstall_conflict *conflicts;
	size_t nconflicts, cap_conflicts;
	char **warnings;
	size_t nwarnings, cap_warnings;
	char **strings;           /* every string the above point at */
	size_t nstrings, cap_strings;
};

/* All return 0 or CINSTALL_ENOMEM. */
int cinstall_report__new(cinstall_report **out);

/* Append a result; the strings are copied (NULL stays NULL). */
int cinstall_report__add_result(cinstall_report *r, const char *wheel, const char *name,
                                const char *version, const char *action,
                                cinstall_link_mode mode, unsigned int fallbacks, uint64_t files);

int cinstall_report__add_conflict(cinstall_report *r, const char *path, const char *dist_a,
                                  const char *dist_b);

int cinstall_report__add_warning(cinstall_report *r, const char *message);

#endif
