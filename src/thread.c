/* thread.c - helper threads that start where a CPU is idle (thread.h). */
#include "thread.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

typedef struct gated {
	void *(*fn)(void *);
	void *arg;
	sem_t gate;
} gated;

static void *gated_start(void *p)
{
	gated *g = p;
	void *(*fn)(void *) = g->fn;
	void *arg = g->arg;

	while (sem_wait(&g->gate) < 0 && errno == EINTR)
		;
	sem_destroy(&g->gate);
	free(g);
	return fn(arg);
}

int cinstall_thread__create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	gated *g = malloc(sizeof(*g));
	int r;

	if (!g)
		return ENOMEM;
	g->fn = fn;
	g->arg = arg;
	if (sem_init(&g->gate, 0, 0) < 0) {
		free(g);
		return errno;
	}
	if ((r = pthread_create(t, NULL, gated_start, g)) != 0) {
		sem_destroy(&g->gate);
		free(g);
		return r;
	}
	sem_post(&g->gate); /* the helper owns `g` from here */
	return 0;
}
