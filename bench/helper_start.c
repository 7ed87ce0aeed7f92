/* bench/helper_start.c - how late a helper thread starts when the other
 * CPUs have been idle a while: pthread_create as is, against
 * cinstall_thread__create (src/thread.h), which makes the helper away from
 * its creator's CPU.  The creator spins until the helper runs (as an
 * unpack keeps working), so a helper queued behind it waits for the
 * scheduler.  Not a test: a measurement of the machine.
 *
 *   make && cc -O2 -pthread -Isrc bench/helper_start.c build/libcinstall.a -o helper_start
 *   ./helper_start [ROUNDS [GAP_MS]]     (default 40 rounds, 20 ms apart)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "thread.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static volatile double started;
static volatile int where;

static void *helper(void *arg)
{
	(void)arg;
	where = sched_getcpu();
	started = now_ms();
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void run(const char *name, int away, int rounds, int gap)
{
	double *lat = calloc((size_t)rounds, sizeof(*lat));
	int i, elsewhere = 0;

	if (!lat)
		return;
	for (i = 0; i < rounds; i++) {
		pthread_t t;
		double t0;
		int cpu, r;

		usleep((useconds_t)gap * 1000);
		started = 0;
		cpu = sched_getcpu();
		t0 = now_ms();
		r = away ? cinstall_thread__create(&t, helper, NULL) : pthread_create(&t, NULL, helper, NULL);
		if (r != 0) {
			fprintf(stderr, "cannot make a thread\n");
			exit(1);
		}
		while (!started && now_ms() - t0 < 100)
			;
		lat[i] = started ? started - t0 : 100;
		pthread_join(t, NULL);
		elsewhere += where != cpu;
	}
	qsort(lat, (size_t)rounds, sizeof(*lat), cmp);
	printf("%-24s started after: median %.3f ms, min %.3f, max %.3f; on another CPU %d of %d\n", name,
	       lat[rounds / 2], lat[0], lat[rounds - 1], elsewhere, rounds);
	free(lat);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 40, gap = argc > 2 ? atoi(argv[2]) : 20;

	if (rounds < 1 || gap < 0) {
		fprintf(stderr, "usage: helper_start [ROUNDS [GAP_MS]]\n");
		return 2;
	}
	printf("%d helpers, made %d ms apart, %ld CPUs\n", rounds, gap, sysconf(_SC_NPROCESSORS_ONLN));
	run("pthread_create", 0, rounds, gap);
	run("cinstall_thread__create", 1, rounds, gap);
	return 0;
}
