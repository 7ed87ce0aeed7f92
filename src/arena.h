/* arena.h - strings copied into blocks freed together.
 *
 * For many small strings that live as long as their owner (a manifest's
 * paths, the conflict check's): one allocation per block, not per string.
 * Blocks grow from 512 bytes to 64 KiB, so a small arena stays small and a
 * large one wastes at most the tail of each block; a block never moves or
 * grows, and stays below malloc's mmap threshold, so blocks come from the
 * heap's free space (a string longer than a block gets one of its own).
 */
#ifndef CINSTALL_ARENA_H
#define CINSTALL_ARENA_H

#include <stddef.h>

/* An arena is a pointer to one, NULL when empty. */
typedef struct cinstall_arena cinstall_arena;

/* Copy s[0..len) plus a NUL into *arena; the copy, or NULL when out of
 * memory. */
const char *cinstall_arena__copy(cinstall_arena **arena, const char *s, size_t len);

/* Free every block; *arena becomes NULL (empty). */
void cinstall_arena__free(cinstall_arena **arena);

#endif
