/* thread.h - helper threads that start where a CPU is idle.
 *
 * Linux places a new thread by where its creator runs.  On the 2-CPU
 * virtual machines the benchmarks run on, a CPU that has been idle for a
 * few milliseconds is taken for busy (its virtual CPU is descheduled on
 * the host: vcpu_is_preempted), so the helper was queued behind its
 * creator, the other CPU idle, until the next scheduler tick: made 20 ms
 * after the last helper, it started 3.9 ms late (median of 40; 0.04 ms
 * when the other CPU had just worked).  So a helper is made on the
 * creator's CPUs but its creator's own (pthread_attr_setaffinity_np),
 * then takes all of them again before it does anything: it starts within
 * 0.04 ms (median of 40, made 20 ms apart).  It also waits at a gate
 * that its creator opens once pthread_create has returned: where the
 * CPUs cannot be chosen, a new thread could preempt its creator at once
 * (pthread_create of a helper that spins 5 ms returned after 2.1-5.0 ms).
 */
#ifndef CINSTALL_THREAD_H
#define CINSTALL_THREAD_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg) through the gate: 0 or an errno value. */
int cinstall_thread__create(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
