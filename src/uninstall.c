/* uninstall.c - find installed distributions and remove them by RECORD. */
#include "uninstall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "path.h"
#include "record.h"
#include "report.h"
#include "sys.h"
#include "wheel.h"

void cinstall_uninstall__normalize(char *path)
{
	char *out = path, *p = path;
	size_t len;

	/* Keep one leading '/', then copy component by component. */
	if (*p == '/')
		*out++ = *p++;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			/* Back up over the previous component (never above '/'). */
			if (out > path + 1) {
				out--;
				while (out > path + 1 && out[-1] != '/')
					out--;
				if (out == path + 1 && path[0] != '/')
					out = path;
			}
			p += len;
			continue;
		}
		if (out > path && out[-1] != '/')
			*out++ = '/';
		memmove(out, p, len);
		out += len;
		p += len;
	}
	if (out > path + 1 && out[-1] == '/')
		out--;
	*out = '\0';
}

int cinstall_uninstall__relpath(cinstall_buf *out, const char *from, const char *to)
{
	size_t i = 0, common = 0;
	const char *p;

	/* Longest common prefix ending at a component boundary. */
	while (from[i] && to[i] && from[i] == to[i]) {
		i++;
		if (from[i] == '/' || from[i] == '\0')
			if (to[i] == '/' || to[i] == '\0')
				common = i;
	}
	if (from[i] == '\0' && to[i] == '\0')
		return cinstall_buf__puts(out, ".");
	if (common == 0 && from[0] == '/' && to[0] == '/')
		common = 0;
	/* One ".." per component of `from` after the common part. */
	for (p = from + common; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (cinstall_buf__puts(out, "../") < 0)
			return CINSTALL_ENOMEM;
		p += strcspn(p, "/");
	}
	p = to + common;
	while (*p == '/')
		p++;
	if (*p)
		return cinstall_buf__puts(out, p);
	/* `to` is an ancestor of `from`: drop the trailing '/'. */
	if (out->len && out->ptr[out->len - 1] == '/')
		cinstall_buf__truncate(out, out->len - 1);
	return 0;
}

int cinstall_uninstall__read_file(cinstall_buf *out, cinstall_err *err, const char *path)
{
	char chunk[16384];
	ssize_t n;
	int fd, error = 0;

	if ((fd = cinstall_sys__open(path, O_RDONLY, 0)) < 0)
		return cinstall_err__os(err, "cannot open '%s'", path);
	for (;;) {
		n = cinstall_sys__read_full(fd, chunk, sizeof(chunk));
		if (n < 0) {
			error = cinstall_err__os(err, "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		if (cinstall_buf__put(out, chunk, (size_t)n) < 0) {
			error = cinstall_err__oom(err);
			break;
		}
		if ((size_t)n < sizeof(chunk))
			break;
	}
	close(fd);
	return error;
}

/* ---- scanning ---------------------------------------------------------- */

static int dist_cmp(const void *a, const void *b)
{
	const cinstall_dist *x = a, *y = b;
	int c = strcmp(x->norm, y->norm);

	return c ? c : strcmp(x->dist_info, y->dist_info);
}

static void dist_release(cinstall_dist *d)
{
	free(d->name);
	free(d->norm);
	free(d->version);
	free(d->dist_info);
	free(d->root);
}

static int scan_dir(cinstall_dists *ds, size_t *cap, cinstall_err *err, const char *dir)
{
	DIR *d;
	struct dirent *de;
	cinstall_buf b = CINSTALL_BUF_INIT;
	cinstall_dist *nd, *items;
	size_t len;
	const char *dash;
	int error = 0;

	if (!(d = opendir(dir)))
		return errno == ENOENT || errno == ENOTDIR ? 0 : cinstall_err__os(err, "cannot read '%s'", dir);
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len <= 10 || strcmp(de->d_name + len - 10, ".dist-info"))
			continue;
		if (!(dash = memchr(de->d_name, '-', len - 10)))
			continue;
		/* The version is after the last '-' before ".dist-info". */
		for (const char *q = dash; q < de->d_name + len - 10; q++)
			if (*q == '-')
				dash = q;
		if (ds->n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 32;
			if (!(items = realloc(ds->items, ncap * sizeof(*items)))) {
				error = cinstall_err__oom(err);
				goto done;
			}
			ds->items = items;
			*cap = ncap;
		}
		nd = &ds->items[ds->n];
		memset(nd, 0, sizeof(*nd));
		cinstall_buf__truncate(&b, 0);
		nd->name = strndup(de->d_name, (size_t)(dash - de->d_name));
		nd->version = strndup(dash + 1, (size_t)(de->d_name + len - 10 - dash - 1));
		nd->root = strdup(dir);
		if (nd->name)
			nd->norm = cinstall_wheel__normalize_name(nd->name);
		if (cinstall_path__join(&b, dir, de->d_name) == 0)
			nd->dist_info = cinstall_buf__detach(&b);
		ds->n++;
		if (!nd->name || !nd->version || !nd->root || !nd->norm || !nd->dist_info) {
			error = cinstall_err__oom(err);
			goto done;
		}
	}
done:
	closedir(d);
	cinstall_buf__release(&b);
	return error;
}

int cinstall_uninstall__scan(cinstall_dists **out, cinstall_err *err, const cinstall_scheme *s)
{
	cinstall_dists *ds;
	size_t cap = 0;
	int error = 0;

	*out = NULL;
	if (!(ds = calloc(1, sizeof(*ds))))
		return cinstall_err__oom(err);
	if ((error = scan_dir(ds, &cap, err, s->purelib)) < 0)
		goto done;
	if (strcmp(s->purelib, s->platlib) && (error = scan_dir(ds, &cap, err, s->platlib)) < 0)
		goto done;
	if (ds->n)
		qsort(ds->items, ds->n, sizeof(*ds->items), dist_cmp);
done:
	if (error < 0)
		cinstall_uninstall__free_dists(ds);
	else
		*out = ds;
	return error;
}

const cinstall_dist *cinstall_uninstall__find(const cinstall_dists *d, const char *norm)
{
	size_t lo = 0, hi = d ? d->n : 0, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(d->items[mid].norm, norm);
		if (c == 0) {
			while (mid > 0 && !strcmp(d->items[mid - 1].norm, norm))
				mid--;
			return &d->items[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void cinstall_uninstall__free_dists(cinstall_dists *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		dist_release(&d->items[i]);
	free(d->items);
	free(d);
}

/* ---- planning ---------------------------------------------------------- */

/* The scheme's directories, lexically and with symlinks resolved. */
typedef struct roots {
	char *lex[6];
	char *real[6];
	size_t n;
} roots;

static void roots_release(roots *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->lex[i]);
		free(r->real[i]);
	}
	r->n = 0;
}

static int roots_init(roots *r, cinstall_err *err, const cinstall_scheme *s)
{
	const char *dirs[6];
	size_t i;

	dirs[0] = s->purelib;
	dirs[1] = s->platlib;
	dirs[2] = s->scripts;
	dirs[3] = s->headers;
	dirs[4] = s->data;
	dirs[5] = s->root;
	memset(r, 0, sizeof(*r));
	for (i = 0; i < 6; i++) {
		if (!dirs[i])
			continue;
		r->lex[r->n] = strdup(dirs[i]);
		if (!r->lex[r->n]) {
			roots_release(r);
			return cinstall_err__oom(err);
		}
		cinstall_uninstall__normalize(r->lex[r->n]);
		/* realpath of the directory, or of its nearest existing ancestor
		 * followed by the rest (a scheme directory may not exist yet). */
		r->real[r->n] = realpath(dirs[i], NULL);
		if (!r->real[r->n] && !(r->real[r->n] = strdup(r->lex[r->n]))) {
			free(r->lex[r->n]);
			roots_release(r);
			return cinstall_err__oom(err);
		}
		r->n++;
	}
	return 0;
}

static int roots_contain(char *const *dirs, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cinstall_path__is_within(dirs[i], path))
			return 1;
	return 0;
}

static int plan_add(cinstall_removal *p, char *path)
{
	char **files;

	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		if (!(files = realloc(p->files, ncap * sizeof(*files))))
			return CINSTALL_ENOMEM;
		p->files = files;
		p->cap = ncap;
	}
	p->files[p->n++] = path;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* For the .py files among p->files, add the files of their directory's
 * __pycache__ named <stem>.*.pyc. */
static int plan_pycache(cinstall_removal *p, cinstall_err *err)
{
	size_t n = p->n, i, j, k, dlen, slen;
	char **py = NULL;
	size_t npy = 0;
	cinstall_buf b = CINSTALL_BUF_INIT;
	DIR *d;
	struct dirent *de;
	const char *base;
	int error = 0;

	if (!(py = calloc(n ? n : 1, sizeof(*py))))
		return cinstall_err__oom(err);
	for (i = 0; i < n; i++) {
		size_t len = strlen(p->files[i]);
		if (len > 3 && !strcmp(p->files[i] + len - 3, ".py"))
			py[npy++] = p->files[i];
	}
	qsort(py, npy, sizeof(*py), str_cmp);
	for (i = 0; i < npy; i = j) {
		base = cinstall_path__basename(py[i]);
		dlen = (size_t)(base - py[i]);
		for (j = i + 1; j < npy; j++)
			if (strncmp(py[j], py[i], dlen) || strchr(py[j] + dlen, '/'))
				break;
		cinstall_buf__truncate(&b, 0);
		if (cinstall_buf__put(&b, py[i], dlen) < 0 || cinstall_buf__puts(&b, "__pycache__") < 0) {
			error = cinstall_err__oom(err);
			goto done;
		}
		if (!(d = opendir(b.ptr)))
			continue;
		while ((de = readdir(d))) {
			const char *dot = strchr(de->d_name, '.');
			size_t elen = strlen(de->d_name);
			if (!dot || elen < 4 || strcmp(de->d_name + elen - 4, ".pyc"))
				continue;
			for (k = i; k < j; k++) {
				const char *stem = py[k] + dlen;
				slen = strlen(stem) - 3;
				if (slen == (size_t)(dot - de->d_name) && !strncmp(stem, de->d_name, slen))
					break;
			}
			if (k == j)
				continue;
			{
				cinstall_buf f = CINSTALL_BUF_INIT;
				if (cinstall_path__join(&f, b.ptr, de->d_name) < 0 || plan_add(p, f.ptr) < 0) {
					cinstall_buf__release(&f);
					closedir(d);
					error = cinstall_err__oom(err);
					goto done;
				}
			}
		}
		closedir(d);
	}
done:
	free(py);
	cinstall_buf__release(&b);
	return error;
}

int cinstall_uninstall__plan(cinstall_removal **out, cinstall_err *err, const cinstall_scheme *s,
                             const cinstall_dist *dist)
{
	cinstall_removal *p = NULL;
	cinstall_buf data = CINSTALL_BUF_INIT, path = CINSTALL_BUF_INIT;
	cinstall_record *rec = NULL;
	roots r;
	char parent[PATH_MAX], *rp, *slash;
	struct stat st;
	size_t i, j;
	int error = 0;

	*out = NULL;
	if ((error = roots_init(&r, err, s)) < 0)
		return error;
	if (cinstall_path__join(&path, dist->dist_info, "RECORD") < 0) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if ((error = cinstall_uninstall__read_file(&data, err, path.ptr)) < 0) {
		if (error == CINSTALL_ENOTFOUND)
			cinstall_err__set(err, CINSTALL_ENOTFOUND, ENOENT, "%s: no RECORD in '%s'",
			                  dist->name, dist->dist_info);
		goto done;
	}
	if ((error = cinstall_record__parse(&rec, err, cinstall_path__basename(dist->dist_info),
	                                    cinstall_buf__cstr(&data), data.len)) < 0)
		goto done;
	if (!(p = calloc(1, sizeof(*p))) || !(p->dist_info = strdup(dist->dist_info))) {
		error = cinstall_err__oom(err);
		goto done;
	}
	for (i = 0; i < rec->n; i++) {
		const char *rowp = rec->rows[i].path;
		char shown[512];

		cinstall_path__quote(shown, sizeof(shown), rowp);
		cinstall_buf__truncate(&path, 0);
		if (!*rowp)
			continue;
		if (memchr(rowp, '\\', strlen(rowp)) || (rowp[0] != '/' && strchr(rowp, ':') == rowp + 1)) {
			error = cinstall_err__set(err, CINSTALL_EUNSAFE, 0,
			                          "%s: RECORD path '%s' is not a POSIX path", dist->name, shown);
			goto done;
		}
		if (rowp[0] == '/' ? cinstall_buf__puts(&path, rowp) < 0
		                   : cinstall_path__join(&path, dist->root, rowp) < 0) {
			error = cinstall_err__oom(err);
			goto done;
		}
		cinstall_uninstall__normalize(path.ptr);
		path.len = strlen(path.ptr);
		if (!roots_contain(r.lex, r.n, path.ptr)) {
			error = cinstall_err__set(err, CINSTALL_EUNSAFE, 0,
			                          "%s: RECORD path '%s' is outside the environment (%s)",
			                          dist->name, shown, path.ptr);
			goto done;
		}
		/* The parent directory, with symlinks resolved, must stay inside too. */
		if (path.len >= sizeof(parent))
			continue;
		memcpy(parent, path.ptr, path.len + 1);
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!(rp = realpath(parent, NULL))) {
			if (errno == ENOMEM) {
				error = cinstall_err__oom(err);
				goto done;
			}
			continue; /* the directory is gone, and so is the file */
		}
		if (!roots_contain(r.real, r.n, rp)) {
			error = cinstall_err__set(err, CINSTALL_EUNSAFE, 0,
			                          "%s: RECORD path '%s' leads out of the environment through a "
			                          "symbolic link ('%s')", dist->name, shown, rp);
			free(rp);
			goto done;
		}
		free(rp);
		if (lstat(path.ptr, &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (plan_add(p, path.ptr) < 0) {
			error = cinstall_err__oom(err);
			goto done;
		}
		path.ptr = NULL;
		path.len = path.cap = 0;
	}
	if ((error = plan_pycache(p, err)) < 0)
		goto done;
	/* Drop duplicates (a .pyc listed in RECORD and found again). */
	if (p->n > 1) {
		qsort(p->files, p->n, sizeof(*p->files), str_cmp);
		for (i = 1, j = 1; i < p->n; i++) {
			if (!strcmp(p->files[i], p->files[j - 1]))
				free(p->files[i]);
			else
				p->files[j++] = p->files[i];
		}
		p->n = j;
	}
done:
	roots_release(&r);
	cinstall_record__free(rec);
	cinstall_buf__release(&data);
	cinstall_buf__release(&path);
	if (error < 0)
		cinstall_uninstall__free_plan(p);
	else
		*out = p;
	return error;
}

void cinstall_uninstall__free_plan(cinstall_removal *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->files[i]);
	free(p->files);
	free(p->dist_info);
	free(p);
}

static int len_desc(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);

	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is `dir` a scheme directory or above one? */
static int is_protected(char *const *dirs, size_t n, const char *dir)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cinstall_path__is_within(dir, dirs[i]))
			return 1;
	return 0;
}

void cinstall_uninstall__prune(const cinstall_scheme *s, char *const *files, size_t n)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	char **dirs;
	char *slash;
	size_t i, nd = 0;
	roots r;

	if (!n || roots_init(&r, &err, s) < 0)
		return;
	if (!(dirs = calloc(n, sizeof(*dirs))))
		goto done;
	for (i = 0; i < n; i++) {
		if (!(dirs[nd] = strdup(files[i])))
			goto done;
		slash = strrchr(dirs[nd], '/');
		if (!slash || slash == dirs[nd]) {
			free(dirs[nd]);
			continue;
		}
		*slash = '\0';
		nd++;
	}
	qsort(dirs, nd, sizeof(*dirs), len_desc);
	for (i = 0; i < nd; i++) {
		char *d = dirs[i];
		if (i > 0 && !strcmp(d, dirs[i - 1]))
			continue;
		while (d[0] && !is_protected(r.lex, r.n, d) && roots_contain(r.lex, r.n, d)) {
			if (rmdir(d) < 0)
				break;
			if (!(slash = strrchr(d, '/')) || slash == d)
				break;
			*slash = '\0';
		}
	}
done:
	if (dirs)
		for (i = 0; i < nd; i++)
			free(dirs[i]);
	free(dirs);
	roots_release(&r);
}

int cinstall_uninstall__remove(cinstall_err *err, const cinstall_scheme *s, const cinstall_removal *p)
{
	size_t i;
	int error;

	for (i = 0; i < p->n; i++)
		if (unlink(p->files[i]) < 0 && errno != ENOENT)
			return cinstall_err__os(err, "cannot remove '%s'", p->files[i]);
	if ((error = cinstall_path__rmtree(err, p->dist_info)) < 0)
		return error;
	cinstall_uninstall__prune(s, p->files, p->n);
	{
		char *one = p->dist_info;
		cinstall_uninstall__prune(s, &one, 1);
	}
	return 0;
}

/* ---- the public call --------------------------------------------------- */

static int metadata_name_cb(const char *name, const char *value, void *payload)
{
	char **out = payload;

	if (!strcasecmp(name, "Name") && !*out) {
		*out = strdup(value);
		return 1;
	}
	return 0;
}

/* The Name of METADATA (display only); falls back to the directory's. */
static char *metadata_name(const cinstall_dist *d)
{
	cinstall_buf path = CINSTALL_BUF_INIT, data = CINSTALL_BUF_INIT;
	cinstall_err err = CINSTALL_ERR_INIT;
	char *name = NULL;

	if (cinstall_path__join(&path, d->dist_info, "METADATA") == 0 &&
	    cinstall_uninstall__read_file(&data, &err, path.ptr) == 0)
		cinstall_wheel__headers(&err, d->name, "METADATA", cinstall_buf__cstr(&data), data.len,
		                        metadata_name_cb, &name);
	cinstall_buf__release(&path);
	cinstall_buf__release(&data);
	return name ? name : strdup(d->name);
}

int cinstall_uninstall(cinstall_report **out, cinstall_ctx *ctx, const cinstall_install_options *opts,
                       const char *const *names, size_t nnames)
{
	static const cinstall_install_options defaults = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_scheme *s = NULL;
	cinstall_dists *ds = NULL;
	cinstall_report *rep = NULL;
	cinstall_removal **plans = NULL;
	const cinstall_dist **found = NULL;
	char *norm = NULL, *shown = NULL;
	size_t i;
	int error = 0;

	if (out)
		*out = NULL;
	if (!ctx)
		return CINSTALL_EINVAL;
	if (!opts)
		opts = &defaults;
	if (opts->version < 1 || opts->version > CINSTALL_INSTALL_OPTIONS_VERSION || (nnames && !names)) {
		error = cinstall_err__set(&err, CINSTALL_EINVAL, 0, "bad uninstall options");
		goto done;
	}
	if ((error = cinstall_report__new(&rep)) < 0) {
		cinstall_err__oom(&err);
		goto done;
	}
	if ((error = cinstall_scheme__resolve(&s, ctx, &err, opts)) < 0)
		goto done;
	if ((error = cinstall_uninstall__scan(&ds, &err, s)) < 0)
		goto done;
	plans = calloc(nnames ? nnames : 1, sizeof(*plans));
	found = calloc(nnames ? nnames : 1, sizeof(*found));
	if (!plans || !found) {
		error = cinstall_err__oom(&err);
		goto done;
	}
	/* Plan every removal before touching anything. */
	for (i = 0; i < nnames; i++) {
		free(norm);
		if (!(norm = cinstall_wheel__normalize_name(names[i]))) {
			error = cinstall_err__oom(&err);
			goto done;
		}
		if (!(found[i] = cinstall_uninstall__find(ds, norm))) {
			error = cinstall_err__set(&err, CINSTALL_ENOTFOUND, 0, "'%s' is not installed in '%s'",
			                          names[i], s->root);
			goto done;
		}
		if ((error = cinstall_uninstall__plan(&plans[i], &err, s, found[i])) < 0)
			goto done;
	}
	for (i = 0; i < nnames; i++) {
		if (!plans[i])
			continue; /* named twice */
		for (size_t k = i + 1; k < nnames; k++)
			if (found[k] == found[i]) {
				cinstall_uninstall__free_plan(plans[k]);
				plans[k] = NULL;
			}
		free(shown);
		shown = metadata_name(found[i]);
		if ((error = cinstall_uninstall__remove(&err, s, plans[i])) < 0)
			goto done;
		if (cinstall_report__add_result(rep, NULL, shown ? shown : found[i]->name, found[i]->version,
		                                "uninstalled", CINSTALL_LINK_AUTO, 0, plans[i]->n) < 0) {
			error = cinstall_err__oom(&err);
			goto done;
		}
	}
done:
	if (plans)
		for (i = 0; i < nnames; i++)
			cinstall_uninstall__free_plan(plans[i]);
	free(plans);
	free(found);
	free(norm);
	free(shown);
	cinstall_uninstall__free_dists(ds);
	cinstall_scheme__free(s);
	if (out)
		*out = rep;
	else
		cinstall_report_free(rep);
	if (error < 0)
		return cinstall_ctx__fail(ctx, &err);
	return 0;
}
