/* arena.c - strings copied into blocks freed together (arena.h). */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct cinstall_arena {
	cinstall_arena *next;
	size_t used, cap;
	char data[];
};

#define BLOCK_FIRST ((size_t)512)
#define BLOCK_MAX ((size_t)64 << 10)

const char *cinstall_arena__copy(cinstall_arena **arena, const char *s, size_t len)
{
	cinstall_arena *b = *arena;
	char *out;

	if (!b || b->cap - b->used < len + 1) {
		size_t cap = b ? b->cap * 2 : BLOCK_FIRST;
		if (cap > BLOCK_MAX)
			cap = BLOCK_MAX;
		if (cap < len + 1)
			cap = len + 1;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = *arena;
		*arena = b;
	}
	out = b->data + b->used;
	memcpy(out, s, len);
	out[len] = '\0';
	b->used += len + 1;
	return out;
}

void cinstall_arena__free(cinstall_arena **arena)
{
	cinstall_arena *b, *next;

	for (b = *arena; b; b = next) {
		next = b->next;
		free(b);
	}
	*arena = NULL;
}
