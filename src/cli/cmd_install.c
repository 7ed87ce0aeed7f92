/* cmd_install.c - 'cinstall install' and 'cinstall sync'. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char install_usage[] =
	"usage: cinstall install [OPTIONS] WHEEL...\n"
	"       cinstall sync [OPTIONS] WHEEL...\n"
	"\n"
	"  --python PATH          the target interpreter or virtual environment\n"
	"                         (default: $VIRTUAL_ENV, else ./.venv)\n"
	"  --prefix DIR           install under this prefix\n"
	"  --target DIR           install flat into this directory\n"
	"  --link-mode MODE       auto, clone, hardlink, symlink or copy ($CINSTALL_LINK_MODE)\n"
	"  --strict-link-mode     a link mode fallback is an error\n"
	"  --no-compat-check      skip the wheel tag and Requires-Python checks\n"
	"  --reinstall            reinstall what is installed from the same wheel\n"
	"  --no-cache             unpack beside the target instead of into the cache\n"
	"  --compile-bytecode     compile the installed .py files ($CINSTALL_COMPILE_BYTECODE=1)\n"
	"  --conflicts warn|error files two wheels ship differently: warn (default) or fail\n"
	"  --no-requested         do not mark the wheels as requested (they are dependencies)\n"
	"  -r, --requirement FILE wheel paths, one a line ('#' starts a comment)\n"
	"  -j, --jobs N           worker threads (default: the number of CPUs)\n"
	"  -q, --quiet  -v, --verbose  --json  --no-color  --cache-dir DIR  --strict\n";

enum {
	OPT_PYTHON = OPT_CMD_BASE, OPT_PREFIX, OPT_TARGET, OPT_LINK_MODE, OPT_STRICT_LINK,
	OPT_NO_COMPAT, OPT_REINSTALL, OPT_NO_CACHE, OPT_COMPILE, OPT_CONFLICTS, OPT_NO_REQUESTED
};

typedef struct wheel_list {
	char **items;
	size_t n, cap;
	char **owned;       /* strings read from -r files */
	size_t nowned, capowned;
} wheel_list;

static int list_push(char ***arr, size_t *n, size_t *cap, char *s)
{
	char **p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		if (!(p = realloc(*arr, ncap * sizeof(*p))))
			return -1;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = s;
	return 0;
}

static void list_free(wheel_list *l)
{
	size_t i;

	for (i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->items);
}

/* Read wheel paths from FILE, one a line; '#' starts a comment. */
static int read_requirements(cli *c, wheel_list *l, const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *line = NULL, *s, *e, *copy;
	size_t cap = 0;
	ssize_t len;
	int rc = EXIT_OK;

	if (!f) {
		fprintf(stderr, "%s: error: cannot open '%s': %s\n", c->prog, file, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_IO;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		if ((s = strchr(line, '#')))
			*s = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (!*s)
			continue;
		if (!(copy = strdup(s)) || list_push(&l->owned, &l->nowned, &l->capowned, copy) < 0 ||
		    list_push(&l->items, &l->n, &l->cap, copy) < 0) {
			fprintf(stderr, "%s: error: out of memory\n", c->prog);
			rc = EXIT_IO;
			break;
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The progress bar: redrawn at most every 50 ms, on stderr. */
typedef struct bar {
	double last;
	int drawn;
} bar;

static void progress_cb(const cinstall_progress *p, void *payload)
{
	bar *b = payload;
	double t = now_ms();
	char line[160];
	size_t width = 24, fill;
	const char *name;

	if (t - b->last < 50 && p->wheels_done < p->wheels_total)
		return;
	b->last = t;
	fill = p->files_total ? (size_t)(width * p->files_done / p->files_total) : 0;
	if (fill > width)
		fill = width;
	name = p->wheel ? strrchr(p->wheel, '/') : NULL;
	name = name ? name + 1 : (p->wheel ? p->wheel : "");
	memset(line, '#', fill);
	memset(line + fill, '-', width - fill);
	line[width] = '\0';
	fprintf(stderr, "\r\033[K[%s] %zu/%zu wheels, %llu/%llu files  %.60s", line, p->wheels_done,
	        p->wheels_total, (unsigned long long)p->files_done, (unsigned long long)p->files_total, name);
	fflush(stderr);
	b->drawn = 1;
}

static void print_json(cli *c, const cinstall_report *rep, int code, double ms)
{
	const cinstall_result *res;
	const cinstall_conflict *conf;
	const char *const *warn;
	size_t n, i;

	printf("{\"ok\": %s, \"elapsed_ms\": %.1f, \"error\": ", code ? "false" : "true", ms);
	if (code) {
		const char *msg = c->ctx ? cinstall_error_message(c->ctx) : "";
		cli_json_str(stdout, *msg ? msg : cinstall_strerror(code));
		printf(", \"exit_code\": %d", cli_exit_code(code));
	} else
		fputs("null", stdout);
	fputs(",\n \"results\": [", stdout);
	n = cinstall_report_results(&res, rep);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n  {" : "\n  {", stdout);
		fputs("\"wheel\": ", stdout);
		if (res[i].wheel)
			cli_json_str(stdout, res[i].wheel);
		else
			fputs("null", stdout);
		fputs(", \"name\": ", stdout);
		cli_json_str(stdout, res[i].name);
		fputs(", \"version\": ", stdout);
		cli_json_str(stdout, res[i].version);
		fputs(", \"action\": ", stdout);
		cli_json_str(stdout, res[i].action);
		printf(", \"files\": %llu, \"link_mode\": ", (unsigned long long)res[i].files);
		cli_json_str(stdout, cinstall_link_mode_name(res[i].link_mode));
		printf(", \"fallbacks\": %u}", res[i].fallbacks);
	}
	fputs(n ? "\n ],\n \"conflicts\": [" : "],\n \"conflicts\": [", stdout);
	n = cinstall_report_conflicts(&conf, rep);
	for (i = 0; i < n; i++) {
		fputs(i ? ", {\"path\": " : "{\"path\": ", stdout);
		cli_json_str(stdout, conf[i].path);
		fputs(", \"dists\": [", stdout);
		cli_json_str(stdout, conf[i].dist_a);
		fputs(", ", stdout);
		cli_json_str(stdout, conf[i].dist_b);
		fputs("]}", stdout);
	}
	fputs("],\n \"warnings\": [", stdout);
	n = cinstall_report_warnings(&warn, rep);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", stdout);
		cli_json_str(stdout, warn[i]);
	}
	fputs("]}\n", stdout);
}

/* uv's style: one line per change, then the summary. */
static void print_summary(cli *c, const cinstall_report *rep, double ms)
{
	const cinstall_result *res;
	size_t n, i, installed = 0, removed = 0, unchanged = 0;

	n = cinstall_report_results(&res, rep);
	for (i = 0; i < n; i++) {
		if (!strcmp(res[i].action, "uninstalled"))
			removed++;
		else if (!strcmp(res[i].action, "unchanged"))
			unchanged++;
		else
			installed++;
	}
	if (c->quiet)
		return;
	if (removed)
		fprintf(stderr, "Uninstalled %zu package%s in %.0f ms\n", removed, removed == 1 ? "" : "s", ms);
	if (installed)
		fprintf(stderr, "Installed %zu package%s in %.0f ms\n", installed, installed == 1 ? "" : "s", ms);
	if (!installed && !removed)
		fprintf(stderr, "Audited %zu package%s in %.0f ms\n", unchanged, unchanged == 1 ? "" : "s", ms);
	for (i = 0; i < n; i++) {
		const char *sign = !strcmp(res[i].action, "uninstalled") ? "-" :
		                   !strcmp(res[i].action, "unchanged") ? NULL : "+";
		if (!sign)
			continue;
		if (c->color)
			fprintf(stderr, " %s%s\033[0m \033[1m%s\033[0m==%s\n", *sign == '+' ? "\033[32m" : "\033[31m",
			        sign, res[i].name, res[i].version);
		else
			fprintf(stderr, " %s %s==%s\n", sign, res[i].name, res[i].version);
	}
	if (c->verbose)
		for (i = 0; i < n; i++)
			if (res[i].wheel)
				fprintf(stderr, "%s: %s, %llu files, %s%s\n", res[i].wheel, res[i].action,
				        (unsigned long long)res[i].files, cinstall_link_mode_name(res[i].link_mode),
				        res[i].fallbacks ? " (after a fallback)" : "");
}

int cmd_install(cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "python", required_argument, NULL, OPT_PYTHON },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "link-mode", required_argument, NULL, OPT_LINK_MODE },
		{ "strict-link-mode", no_argument, NULL, OPT_STRICT_LINK },
		{ "no-compat-check", no_argument, NULL, OPT_NO_COMPAT },
		{ "reinstall", no_argument, NULL, OPT_REINSTALL },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "compile-bytecode", no_argument, NULL, OPT_COMPILE },
		{ "conflicts", required_argument, NULL, OPT_CONFLICTS },
		{ "no-requested", no_argument, NULL, OPT_NO_REQUESTED },
		{ "requirement", required_argument, NULL, 'r' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	cinstall_install_options io = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_report *rep = NULL;
	wheel_list wl;
	bar b = { 0, 0 };
	const char *v, *mode_name = NULL;
	int sync = !strcmp(argv[0], "sync"), opt, r, rc = EXIT_OK;
	double t0;

	memset(&wl, 0, sizeof(wl));
	if ((v = getenv("CINSTALL_LINK_MODE")) && *v)
		mode_name = v;
	if ((v = getenv("CINSTALL_COMPILE_BYTECODE")) && *v && strcmp(v, "0"))
		io.flags |= CINSTALL_INSTALL_COMPILE_BYTECODE;
	if (sync)
		io.flags |= CINSTALL_INSTALL_SYNC;
	while ((opt = getopt_long(argc, argv, "r:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_PYTHON: io.python = optarg; break;
		case OPT_PREFIX: io.prefix = optarg; break;
		case OPT_TARGET: io.target = optarg; break;
		case OPT_LINK_MODE: mode_name = optarg; break;
		case OPT_STRICT_LINK: io.flags |= CINSTALL_INSTALL_STRICT_LINK_MODE; break;
		case OPT_NO_COMPAT: io.flags |= CINSTALL_INSTALL_NO_COMPAT_CHECK; break;
		case OPT_REINSTALL: io.flags |= CINSTALL_INSTALL_REINSTALL; break;
		case OPT_NO_CACHE: io.flags |= CINSTALL_INSTALL_NO_CACHE; break;
		case OPT_COMPILE: io.flags |= CINSTALL_INSTALL_COMPILE_BYTECODE; break;
		case OPT_NO_REQUESTED: io.flags |= CINSTALL_INSTALL_NOT_REQUESTED; break;
		case OPT_CONFLICTS:
			if (!strcmp(optarg, "error"))
				io.flags |= CINSTALL_INSTALL_CONFLICTS_ERROR;
			else if (strcmp(optarg, "warn")) {
				rc = cli_usage_error(c, "--conflicts takes 'warn' or 'error', not '%s'", optarg);
				goto done;
			}
			break;
		case 'r':
			if ((rc = read_requirements(c, &wl, optarg)) != EXIT_OK)
				goto done;
			break;
		case 'h':
			fputs(install_usage, stdout);
			rc = EXIT_OK;
			goto done;
		default:
			r = cli_common_opt(c, opt, optarg);
			if (r == 0) {
				rc = cli_usage_error(c, "unknown option for '%s'", argv[0]);
				goto done;
			}
			if (r < 0) {
				rc = EXIT_USAGE;
				goto done;
			}
		}
	}
	if (mode_name && cinstall_link_mode_parse(&io.link_mode, mode_name) < 0) {
		rc = cli_usage_error(c, "unknown link mode '%s' (auto, clone, hardlink, symlink or copy)", mode_name);
		goto done;
	}
	for (; optind < argc; optind++)
		if (list_push(&wl.items, &wl.n, &wl.cap, argv[optind]) < 0) {
			rc = EXIT_IO;
			goto done;
		}
	if (!wl.n) { /* sync with nothing would empty the environment: refused, as uv does */
		rc = cli_usage_error(c, "no wheel given");
		goto done;
	}
	if (c->tty && c->color && !c->quiet) {
		c->opts.progress_cb = progress_cb;
		c->opts.progress_payload = &b;
	}
	if ((rc = cli_ctx(c)) != EXIT_OK)
		goto done;
	t0 = now_ms();
	r = cinstall_install(&rep, c->ctx, &io, (const char *const *)wl.items, wl.n);
	if (b.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	if (c->json)
		print_json(c, rep, r, now_ms() - t0);
	if (r < 0)
		rc = cli_fail(c, r);
	else
		print_summary(c, rep, now_ms() - t0);
done:
	cinstall_report_free(rep);
	list_free(&wl);
	return rc;
}
