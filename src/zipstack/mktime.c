/* mktime.c - libarchive's mktime, inside the command's zip reader.
 *
 * libarchive turns every entry's DOS time into a time_t with mktime at
 * every header it reads (the first pass of a split reads each header
 * once, its parts again): glibc's looks up TZ in the environment and
 * converts through the zone each time, ~2,000 instructions.  Entries of a
 * wheel mostly share their time (all of them in reproducible builds), so
 * the Makefile points libarchive's calls here (as for mbrtowc.c): the
 * last conversion on this thread is kept, and the same broken-down time
 * gives the same answer without asking again.  Valid while TZ does not
 * change, which the command sets once before it reads a wheel
 * (src/cli/main.c); cinstall does not use entries' times anyway (files
 * get the time they are written at), only libarchive computes them.
 */
#include <time.h>

time_t cinstall_zipstack__mktime(struct tm *tm);

static _Thread_local struct {
	int valid;
	struct tm in, out;
	time_t t;
} last;

static int same_input(const struct tm *a, const struct tm *b)
{
	return a->tm_sec == b->tm_sec && a->tm_min == b->tm_min && a->tm_hour == b->tm_hour &&
	       a->tm_mday == b->tm_mday && a->tm_mon == b->tm_mon && a->tm_year == b->tm_year &&
	       a->tm_isdst == b->tm_isdst;
}

__attribute__((visibility("hidden"))) time_t cinstall_zipstack__mktime(struct tm *tm)
{
	struct tm in = *tm;

	if (last.valid && same_input(&in, &last.in)) {
		*tm = last.out;
		return last.t;
	}
	last.t = mktime(tm);
	/* A failure (-1, which is also a valid time) is not kept. */
	last.valid = last.t != (time_t)-1;
	last.in = in;
	last.out = *tm;
	return last.t;
}
