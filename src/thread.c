/* thread.c - helper threads that start where a CPU is idle (thread.h). */
#include "thread.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>

#if defined(__linux__) && defined(__GLIBC__) && defined(CPU_COUNT)
#define AWAY 1 /* the helper is made on a CPU other than its creator's */
#else
#define AWAY 0
#endif

typedef struct gated {
	void *(*fn)(void *);
	void *arg;
	sem_t gate;
#if AWAY
	int restore;    /* the CPUs it may run on were narrowed: widen them */
	cpu_set_t cpus; /* the creator's */
#endif
} gated;

static void *gated_start(void *p)
{
	gated *g = p;
	void *(*fn)(void *) = g->fn;
	void *arg = g->arg;

	while (sem_wait(&g->gate) < 0 && errno == EINTR)
		;
#if AWAY
	/* Started away from the creator; from here the scheduler places it
	 * as any other thread (failing that, it stays where it is). */
	if (g->restore)
		(void)pthread_setaffinity_np(pthread_self(), sizeof(g->cpus), &g->cpus);
#endif
	sem_destroy(&g->gate);
	free(g);
	return fn(arg);
}

#if AWAY
/* `attr` set to make the thread on any CPU of the creator's but the one
 * the creator runs on; 0 when there is no such CPU or it cannot be said. */
static int away_from_here(pthread_attr_t *attr, gated *g)
{
	cpu_set_t away;
	int cpu = sched_getcpu();

	if (cpu < 0 || sched_getaffinity(0, sizeof(g->cpus), &g->cpus) < 0 || !CPU_ISSET(cpu, &g->cpus) ||
	    CPU_COUNT(&g->cpus) < 2)
		return 0;
	away = g->cpus;
	CPU_CLR(cpu, &away);
	if (pthread_attr_init(attr) != 0)
		return 0;
	if (pthread_attr_setaffinity_np(attr, sizeof(away), &away) != 0) {
		pthread_attr_destroy(attr);
		return 0;
	}
	return 1;
}
#endif

int cinstall_thread__create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	gated *g = malloc(sizeof(*g));
	pthread_attr_t attr;
	int r, with_attr = 0;

	if (!g)
		return ENOMEM;
	g->fn = fn;
	g->arg = arg;
	if (sem_init(&g->gate, 0, 0) < 0) {
		free(g);
		return errno;
	}
#if AWAY
	g->restore = with_attr = away_from_here(&attr, g);
#endif
	r = pthread_create(t, with_attr ? &attr : NULL, gated_start, g);
	if (with_attr)
		pthread_attr_destroy(&attr);
	if (r != 0) {
		sem_destroy(&g->gate);
		free(g);
		return r;
	}
	sem_post(&g->gate); /* the helper owns `g` from here */
	return 0;
}
