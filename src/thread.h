/* thread.h - helper threads that start where a CPU is idle.
 *
 * Linux places a thread being created by where its creator runs, and a new
 * thread may preempt its creator at once: on the 2-CPU machines the
 * benchmarks run on, the creator of the first helper of a process stood
 * still for 2-5 ms, the other CPU idle, until the scheduler moved one of
 * the two (measured: a helper that spins 5 ms; pthread_create returned
 * after 2.1, 5.0 and 3.7 ms).  A thread woken up, rather than created, is
 * placed on an idle CPU.  So the helper first waits at a gate, which its
 * creator opens once pthread_create has returned: the creator goes on
 * within 0.05 ms and the helper starts on the other CPU within 0.1 ms.
 */
#ifndef CINSTALL_THREAD_H
#define CINSTALL_THREAD_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg) through the gate: 0 or an errno value. */
int cinstall_thread__create(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
