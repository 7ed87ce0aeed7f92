/* conflicts.c - conflict detection between distributions (see conflicts.h). */
#include "conflicts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "uthash/uthash.h"

/* A distribution name, interned so entries share one copy. */
typedef struct dist_name {
	char *name;
	UT_hash_handle hh;
} dist_name;

/* A path someone installs: a file, or a directory (a parent of a file). */
typedef struct entry {
	char *path;
	const char *dist;      /* the first to register it */
	uint64_t size;
	char xxh3[CINSTALL_XXH_HEX];
	int is_dir;
	UT_hash_handle hh;
} entry;

/* One conflict, kept until listed. */
typedef struct found {
	const char *path;      /* borrowed from the entry */
	const char *dist_a, *dist_b;
	struct found *next;
} found;

struct cinstall_conflicts {
	dist_name *dists;
	entry *paths;
	found *found;
	size_t nfound;
};

int cinstall_conflicts__new(cinstall_conflicts **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : CINSTALL_ENOMEM;
}

static const char *intern(cinstall_conflicts *c, const char *dist)
{
	dist_name *d;

	HASH_FIND_STR(c->dists, dist, d);
	if (d)
		return d->name;
	if (!(d = calloc(1, sizeof(*d))) || !(d->name = strdup(dist))) {
		free(d);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, c->dists, d->name, strlen(d->name), d);
	return d->name;
}

static int record(cinstall_conflicts *c, const char *path, const char *a, const char *b)
{
	found *f;

	/* A pair is reported once per path (a distribution may clash with
	 * another's directory through many files). */
	for (f = c->found; f && f->path == path; f = f->next)
		if (f->dist_a == a && f->dist_b == b)
			return 0;
	if (!(f = malloc(sizeof(*f))))
		return CINSTALL_ENOMEM;
	f->path = path;
	f->dist_a = a;
	f->dist_b = b;
	f->next = c->found;
	c->found = f;
	c->nfound++;
	return 0;
}

static entry *new_entry(const char *path, size_t len, const char *dist)
{
	entry *e = calloc(1, sizeof(*e));

	if (!e || !(e->path = strndup(path, len))) {
		free(e);
		return NULL;
	}
	e->dist = dist;
	return e;
}

static int same_content(const entry *e, uint64_t size, const char *xxh3)
{
	if (e->size != size)
		return 0;
	if (!e->xxh3[0] || !xxh3 || !*xxh3)
		return 1;
	return !strcmp(e->xxh3, xxh3);
}

int cinstall_conflicts__add(cinstall_conflicts *c, const char *dist, const char *relpath,
                            uint64_t size, const char *xxh3)
{
	const char *d;
	entry *e;
	size_t len;
	int r;

	if (!dist || !*dist || !relpath || !*relpath)
		return CINSTALL_EINVAL;
	if (!(d = intern(c, dist)))
		return CINSTALL_ENOMEM;

	/* The file itself. */
	len = strlen(relpath);
	HASH_FIND(hh, c->paths, relpath, len, e);
	if (e) {
		if (e->dist == d)
			return 0;
		if (e->is_dir || !same_content(e, size, xxh3))
			return record(c, e->path, e->dist, d);
		return 0;
	}
	if (!(e = new_entry(relpath, len, d)))
		return CINSTALL_ENOMEM;
	e->size = size;
	if (xxh3)
		snprintf(e->xxh3, sizeof(e->xxh3), "%s", xxh3);
	HASH_ADD_KEYPTR(hh, c->paths, e->path, len, e);

	/* Its parents, until one is known: a known directory's parents are
	 * known too; a known file is a file-vs-directory clash. */
	while (len > 0) {
		while (len > 0 && relpath[len - 1] != '/')
			len--;
		if (len <= 1)
			break;
		len--; /* the parent, without its '/' */
		HASH_FIND(hh, c->paths, relpath, len, e);
		if (e) {
			if (!e->is_dir && e->dist != d && (r = record(c, e->path, e->dist, d)) < 0)
				return r;
			break;
		}
		if (!(e = new_entry(relpath, len, d)))
			return CINSTALL_ENOMEM;
		e->is_dir = 1;
		HASH_ADD_KEYPTR(hh, c->paths, e->path, len, e);
	}
	return 0;
}

static int cmp_conflict(const void *a, const void *b)
{
	const cinstall_conflict *x = a, *y = b;
	int r = strcmp(x->path, y->path);

	if (!r)
		r = strcmp(x->dist_a, y->dist_a);
	if (!r)
		r = strcmp(x->dist_b, y->dist_b);
	return r;
}

int cinstall_conflicts__list(cinstall_conflict **out, size_t *n, cinstall_conflicts *c)
{
	cinstall_conflict *list;
	found *f;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (!c->nfound)
		return 0;
	if (!(list = calloc(c->nfound, sizeof(*list))))
		return CINSTALL_ENOMEM;
	for (f = c->found; f; f = f->next, i++) {
		list[i].path = strdup(f->path);
		list[i].dist_a = strdup(f->dist_a);
		list[i].dist_b = strdup(f->dist_b);
		if (!list[i].path || !list[i].dist_a || !list[i].dist_b) {
			cinstall_conflicts__free_list(list, i + 1);
			return CINSTALL_ENOMEM;
		}
	}
	qsort(list, c->nfound, sizeof(*list), cmp_conflict);
	*out = list;
	*n = c->nfound;
	return 0;
}

void cinstall_conflicts__free_list(cinstall_conflict *list, size_t n)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < n; i++) {
		free((char *)list[i].path);
		free((char *)list[i].dist_a);
		free((char *)list[i].dist_b);
	}
	free(list);
}

void cinstall_conflicts__free(cinstall_conflicts *c)
{
	dist_name *d, *dtmp;
	entry *e, *etmp;
	found *f, *next;

	if (!c)
		return;
	for (f = c->found; f; f = next) {
		next = f->next;
		free(f);
	}
	HASH_ITER(hh, c->paths, e, etmp) {
		HASH_DEL(c->paths, e);
		free(e->path);
		free(e);
	}
	HASH_ITER(hh, c->dists, d, dtmp) {
		HASH_DEL(c->dists, d);
		free(d->name);
		free(d);
	}
	free(c);
}
