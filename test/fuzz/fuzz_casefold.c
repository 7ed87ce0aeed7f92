/* fuzz_casefold.c - names that collide on case-insensitive filesystems
 * (cinstall_casefold__check).  The input is a list of paths, one a line.
 * A refusal must name two entries that really differ; an acceptance must
 * hold for every pair of distinct ASCII-folded file names. */
#include "casefold.h"
#include "fuzz.h"

#define MAX_PATHS 256

static const char *at(const void *payload, size_t i)
{
	return ((char *const *)payload)[i];
}

static int ascii_fold_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
		char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	char *s = fuzz_cstr(data, size), *p = s, *paths[MAX_PATHS];
	size_t n = 0, i, j;
	int r;

	while (n < MAX_PATHS && p && *p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		/* The unpacker has refused exact duplicates before this check. */
		for (i = 0; i < n && strcmp(paths[i], p); i++)
			;
		if (i == n)
			paths[n++] = p;
		p = nl ? nl + 1 : NULL;
	}
	r = cinstall_casefold__check(&err, "fuzz-1.0-py3-none-any.whl", n, at, paths, (locale_t)0);
	fuzz_check_err(r, &err);
	if (r != 0 && r != CINSTALL_EBADWHEEL)
		abort();
	if (r == 0)
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (ascii_fold_eq(paths[i], paths[j]))
					abort(); /* "A.py" and "a.py" went through */
	free(s);
	return 0;
}
