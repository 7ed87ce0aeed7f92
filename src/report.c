/* report.c - the report of an install or uninstall. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

int cinstall_report__new(cinstall_report **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : CINSTALL_ENOMEM;
}

/* Copy `s` into the report's string pool; *out is NULL for a NULL `s`. */
static int keep(cinstall_report *r, const char **out, const char *s)
{
	char *copy;

	*out = NULL;
	if (!s)
		return 0;
	if (cinstall_array__grow((void **)&r->strings, &r->cap_strings, r->nstrings, sizeof(*r->strings)) < 0)
		return CINSTALL_ENOMEM;
	if (!(copy = strdup(s)))
		return CINSTALL_ENOMEM;
	r->strings[r->nstrings++] = copy;
	*out = copy;
	return 0;
}

int cinstall_report__add_result(cinstall_report *r, const char *wheel, const char *name,
                                const char *version, const char *action,
                                cinstall_link_mode mode, unsigned int fallbacks, uint64_t files)
{
	cinstall_result res;

	memset(&res, 0, sizeof(res));
	if (keep(r, &res.wheel, wheel) < 0 || keep(r, &res.name, name) < 0 ||
	    keep(r, &res.version, version) < 0 || keep(r, &res.action, action) < 0)
		return CINSTALL_ENOMEM;
	res.link_mode = mode;
	res.fallbacks = fallbacks;
	res.files = files;
	if (cinstall_array__grow((void **)&r->results, &r->cap_results, r->nresults, sizeof(res)) < 0)
		return CINSTALL_ENOMEM;
	r->results[r->nresults++] = res;
	return 0;
}

int cinstall_report__add_conflict(cinstall_report *r, const char *path, const char *dist_a,
                                  const char *dist_b)
{
	cinstall_conflict c;

	if (keep(r, &c.path, path) < 0 || keep(r, &c.dist_a, dist_a) < 0 ||
	    keep(r, &c.dist_b, dist_b) < 0)
		return CINSTALL_ENOMEM;
	if (cinstall_array__grow((void **)&r->conflicts, &r->cap_conflicts, r->nconflicts, sizeof(c)) < 0)
		return CINSTALL_ENOMEM;
	r->conflicts[r->nconflicts++] = c;
	return 0;
}

int cinstall_report__add_warning(cinstall_report *r, const char *message)
{
	const char *kept;

	if (keep(r, &kept, message) < 0)
		return CINSTALL_ENOMEM;
	if (cinstall_array__grow((void **)&r->warnings, &r->cap_warnings, r->nwarnings, sizeof(*r->warnings)) < 0)
		return CINSTALL_ENOMEM;
	r->warnings[r->nwarnings++] = (char *)kept;
	return 0;
}

size_t cinstall_report_results(const cinstall_result **out, const cinstall_report *report)
{
	if (out)
		*out = report ? report->results : NULL;
	return report ? report->nresults : 0;
}

size_t cinstall_report_conflicts(const cinstall_conflict **out, const cinstall_report *report)
{
	if (out)
		*out = report ? report->conflicts : NULL;
	return report ? report->nconflicts : 0;
}

size_t cinstall_report_warnings(const char *const **out, const cinstall_report *report)
{
	if (out)
		*out = report ? (const char *const *)report->warnings : NULL;
	return report ? report->nwarnings : 0;
}

void cinstall_report_free(cinstall_report *report)
{
	size_t i;

	if (!report)
		return;
	for (i = 0; i < report->nstrings; i++)
		free(report->strings[i]);
	free(report->strings);
	free(report->results);
	free(report->conflicts);
	free(report->warnings);
	free(report);
}
