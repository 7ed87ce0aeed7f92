/* conflicts.c - conflict detection between distributions (see conflicts.h).
 *
 * Registering only appends: one 48-byte entry per file and per directory
 * (a file's parents, each once per distribution where consecutive files
 * share them), the path copied once (a directory's entry points into its
 * file's copy).  Listing sorts the entries by (path, tag, order of
 * registration) and compares each entry of a path with the first, as a
 * hash table filled in that order would: callers registering from several
 * threads give tags in the order they mean.
 *
 * Entries and paths (an arena, arena.h) live in blocks of at most 64 KiB,
 * never moved or grown: malloc takes those from the free space of its
 * heap, which a wheel just unpacked left behind, where one array grown by
 * realloc past malloc's mmap threshold is fresh memory every time
 * (registering a 20,000-file wheel after its unpack raised the peak RSS of
 * an install by 2.6 MB).  Sorting orders an array of entry numbers (4
 * bytes each).
 */
#include "conflicts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "hash.h"
#include "uthash/uthash.h"
#define XXH_INLINE_ALL
#include "xxhash/xxhash.h"

/* A distribution name, interned: entries refer to it by number. */
typedef struct dist_name {
	char *name;
	uint32_t id;
	UT_hash_handle hh;
} dist_name;

/* A path someone installs: a file, or a directory (a parent of a file). */
typedef struct entry {
	uint64_t hash;          /* XXH3-64 of the path: sorts before the bytes */
	uint64_t tag;           /* the caller's (add_tagged), else the order of registration */
	uint64_t size;
	uint64_t content;       /* 64 bits of the XXH3-128, when known */
	const char *path;       /* `len` bytes, in the arena */
	uint32_t len;
	uint32_t dist : 30;
	uint32_t is_dir : 1;
	uint32_t has_xxh : 1;
} entry;

#define MAX_DISTS ((uint32_t)1 << 30)
#define ENTRY_SHIFT 10                          /* 1,024 entries (48 KiB) a block */
#define ENTRY_BLOCK ((size_t)1 << ENTRY_SHIFT)
#define E(c, i) (&(c)->eblk[(i) >> ENTRY_SHIFT][(i) & (ENTRY_BLOCK - 1)])

struct cinstall_conflicts {
	dist_name *dists;
	dist_name **by_id;
	uint32_t ndists;
	size_t capdists;
	entry **eblk;           /* entry i: E(c, i) */
	size_t n, neblk, capeblk;
	cinstall_arena *paths;  /* every path registered */
	uint32_t *order;        /* entry numbers, sorted (sort_entries): `norder` */
	size_t norder;
	/* The last file registered: parents it shares with the next file of
	 * the same distribution are not registered again. */
	uint32_t last_dist;
	const char *last_path;
	size_t last_len;
};

int cinstall_conflicts__new(cinstall_conflicts **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out)
		(*out)->last_dist = UINT32_MAX;
	return *out ? 0 : CINSTALL_ENOMEM;
}

static int intern(uint32_t *out, cinstall_conflicts *c, const char *dist)
{
	dist_name *d;

	HASH_FIND_STR(c->dists, dist, d);
	if (d) {
		*out = d->id;
		return 0;
	}
	if (c->ndists == MAX_DISTS)
		return CINSTALL_ENOMEM;
	if (cinstall_array__grow((void **)&c->by_id, &c->capdists, c->ndists, sizeof(*c->by_id)) < 0)
		return CINSTALL_ENOMEM;
	if (!(d = calloc(1, sizeof(*d))) || !(d->name = strdup(dist))) {
		free(d);
		return CINSTALL_ENOMEM;
	}
	d->id = c->ndists;
	c->by_id[c->ndists++] = d;
	HASH_ADD_KEYPTR(hh, c->dists, d->name, strlen(d->name), d);
	*out = d->id;
	return 0;
}

static entry *push(cinstall_conflicts *c)
{
	entry *e;

	if (c->n == UINT32_MAX)
		return NULL; /* entry numbers are 32 bits (order) */
	if (c->n == c->neblk * ENTRY_BLOCK) {
		if (cinstall_array__grow((void **)&c->eblk, &c->capeblk, c->neblk, sizeof(*c->eblk)) < 0 ||
		    !(c->eblk[c->neblk] = malloc(ENTRY_BLOCK * sizeof(**c->eblk))))
			return NULL;
		c->neblk++;
	}
	e = E(c, c->n);
	c->n++;
	memset(e, 0, sizeof(*e));
	return e;
}

int cinstall_conflicts__add_tagged(cinstall_conflicts *c, const char *dist, const char *relpath, uint64_t size,
                                   const unsigned char *xxh3, uint64_t tag)
{
	const char *path;
	uint32_t d;
	entry *e;
	size_t len, plen;

	if (!dist || !*dist || !relpath || !*relpath)
		return CINSTALL_EINVAL;
	if (intern(&d, c, dist) < 0)
		return CINSTALL_ENOMEM;
	len = strlen(relpath);
	if (len > UINT32_MAX || !(path = cinstall_arena__copy(&c->paths, relpath, len)) || !(e = push(c)))
		return CINSTALL_ENOMEM;
	e->hash = XXH3_64bits(path, len);
	e->path = path;
	e->len = (uint32_t)len;
	e->size = size;
	e->tag = tag;
	e->dist = d;
	if (xxh3) {
		memcpy(&e->content, xxh3, sizeof(e->content));
		e->has_xxh = 1;
	}
	/* Its parents, but those of the last file of this distribution. */
	for (plen = len; plen > 0;) {
		while (plen > 0 && path[plen - 1] != '/')
			plen--;
		if (plen <= 1)
			break;
		plen--; /* the parent, without its '/' */
		if (c->last_dist == d && c->last_len > plen && c->last_path[plen] == '/' &&
		    !memcmp(c->last_path, path, plen))
			break; /* so are its own parents */
		if (!(e = push(c)))
			return CINSTALL_ENOMEM;
		e->hash = XXH3_64bits(path, plen);
		e->path = path;
		e->len = (uint32_t)plen;
		e->tag = tag;
		e->dist = d;
		e->is_dir = 1;
	}
	c->last_dist = d;
	c->last_path = path;
	c->last_len = len;
	return 0;
}

int cinstall_conflicts__add(cinstall_conflicts *c, const char *dist, const char *relpath, uint64_t size,
                            const char *xxh3)
{
	unsigned char bin[16];
	size_t i;

	if (xxh3) {
		for (i = 0; i < 32; i++) {
			char ch = xxh3[i];
			int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			                                          : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
			if (v < 0)
				break;
			if (i % 2 == 0)
				bin[i / 2] = (unsigned char)(v << 4);
			else
				bin[i / 2] |= (unsigned char)v;
		}
		if (i < 32 || xxh3[32])
			xxh3 = NULL; /* not a hash: compare by size only */
	}
	/* Untagged: in the order of registration. */
	return cinstall_conflicts__add_tagged(c, dist, relpath, size, xxh3 ? bin : NULL, c->n);
}

/* Entry numbers compared by their entries' (path, tag), then by the
 * order of registration; the table comes through qsort_r. */
static int cmp_entry(const void *a, const void *b, void *payload)
{
	cinstall_conflicts *c = payload;
	uint32_t i = *(const uint32_t *)a, k = *(const uint32_t *)b;
	const entry *x = E(c, i), *y = E(c, k);
	int r;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((r = memcmp(x->path, y->path, x->len)) != 0)
		return r;
	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return i < k ? -1 : i > k;
}

static int same_path(const entry *x, const entry *y)
{
	return x->hash == y->hash && x->len == y->len && !memcmp(x->path, y->path, x->len);
}

/* Equal sizes, and equal hashes where both sides have one (64 bits of the
 * XXH3-128: the same file by any accident's odds). */
static int same_content(const entry *x, const entry *y)
{
	if (x->size != y->size)
		return 0;
	if (!x->has_xxh || !y->has_xxh)
		return 1;
	return x->content == y->content;
}

/* The entries in order: c->order, made when entries were registered since
 * the last call.  0 or CINSTALL_ENOMEM. */
static int sort_entries(cinstall_conflicts *c)
{
	uint32_t *o;
	size_t i;

	if (c->order && c->norder == c->n)
		return 0;
	if (!(o = realloc(c->order, (c->n ? c->n : 1) * sizeof(*o))))
		return CINSTALL_ENOMEM;
	c->order = o;
	c->norder = c->n;
	for (i = 0; i < c->n; i++)
		o[i] = (uint32_t)i;
	for (i = 1; i < c->n; i++)
		if (cmp_entry(&o[i - 1], &o[i], c) > 0)
			break;
	if (i < c->n)
		qsort_r(o, c->n, sizeof(*o), cmp_entry, c);
	return 0;
}

/* The i-th entry in order (after sort_entries). */
#define SORTED(c, i) E(c, (c)->order[i])

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

/* Walk the groups of one path: call found(first, other) for each conflict,
 * each pair once. */
typedef int (*found_fn)(const entry *first, const entry *other, void *payload);

static int walk(cinstall_conflicts *c, found_fn fn, void *payload)
{
	size_t i = 0, k, m;
	int r;

	if (sort_entries(c) < 0)
		return CINSTALL_ENOMEM;
	while (i < c->n) {
		const entry *first = SORTED(c, i);
		for (k = i + 1; k < c->n && same_path(first, SORTED(c, k)); k++)
			;
		for (m = i + 1; m < k; m++) {
			const entry *x = SORTED(c, m);
			size_t p;
			int clash;
			if (x->dist == first->dist)
				continue;
			if (x->is_dir)
				clash = !first->is_dir;
			else
				clash = first->is_dir || !same_content(first, x);
			if (!clash)
				continue;
			/* Once per pair of distributions. */
			for (p = i + 1; p < m; p++) {
				const entry *y = SORTED(c, p);
				if (y->dist == x->dist && (y->is_dir ? !first->is_dir : first->is_dir || !same_content(first, y)))
					break;
			}
			if (p < m)
				continue;
			if ((r = fn(first, x, payload)) < 0)
				return r;
		}
		i = k;
	}
	return 0;
}

typedef struct collect {
	cinstall_conflicts *c;
	cinstall_conflict *list;
	size_t n, cap;
} collect;

static int add_found(const entry *first, const entry *other, void *payload)
{
	collect *k = payload;
	cinstall_conflict *cf;

	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 8;
		if (!(cf = realloc(k->list, ncap * sizeof(*cf))))
			return CINSTALL_ENOMEM;
		k->list = cf;
		k->cap = ncap;
	}
	cf = &k->list[k->n];
	cf->path = strndup(first->path, first->len);
	cf->dist_a = strdup(k->c->by_id[first->dist]->name);
	cf->dist_b = strdup(k->c->by_id[other->dist]->name);
	k->n++;
	if (!cf->path || !cf->dist_a || !cf->dist_b)
		return CINSTALL_ENOMEM;
	return 0;
}

int cinstall_conflicts__list(cinstall_conflict **out, size_t *n, cinstall_conflicts *c)
{
	collect k;

	*out = NULL;
	*n = 0;
	memset(&k, 0, sizeof(k));
	k.c = c;
	if (walk(c, add_found, &k) < 0) {
		cinstall_conflicts__free_list(k.list, k.n);
		return CINSTALL_ENOMEM;
	}
	if (!k.n)
		return 0;
	qsort(k.list, k.n, sizeof(*k.list), cmp_conflict);
	*out = k.list;
	*n = k.n;
	return 0;
}

int cinstall_conflicts__each_shared(cinstall_conflicts *c, void (*fn)(uint64_t tag, void *payload), void *payload)
{
	size_t i = 0, k, m;

	if (sort_entries(c) < 0)
		return CINSTALL_ENOMEM;
	while (i < c->n) {
		const entry *first = SORTED(c, i);
		int several = 0;
		for (k = i + 1; k < c->n && same_path(first, SORTED(c, k)); k++)
			if (SORTED(c, k)->dist != first->dist && !SORTED(c, k)->is_dir)
				several = 1;
		if (several && !first->is_dir)
			for (m = i; m < k; m++)
				if (!SORTED(c, m)->is_dir)
					fn(SORTED(c, m)->tag, payload);
		i = k;
	}
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
	size_t i;

	if (!c)
		return;
	cinstall_arena__free(&c->paths);
	for (i = 0; i < c->neblk; i++)
		free(c->eblk[i]);
	free(c->eblk);
	free(c->order);
	HASH_ITER(hh, c->dists, d, dtmp) {
		HASH_DEL(c->dists, d);
		free(d->name);
		free(d);
	}
	free(c->by_id);
	free(c);
}
