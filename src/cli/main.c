/* main.c - the cinstall command: global options and dispatch. */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
	"usage: cinstall [OPTIONS] WHEEL...            install wheels (same as 'install')\n"
	"       cinstall install [OPTIONS] WHEEL...    install wheels into an environment\n"
	"       cinstall sync [OPTIONS] WHEEL...       make the environment hold exactly these wheels\n"
	"       cinstall uninstall [OPTIONS] NAME...   remove installed distributions\n"
	"       cinstall unpack [OPTIONS] WHEEL...     put wheels into the cache, print the entries\n"
	"       cinstall cache dir|info|clean|prune|verify\n"
	"       cinstall --version\n"
	"\n"
	"Run 'cinstall COMMAND --help' or see cinstall(1) for the options.\n";

static void log_cb(cinstall_log_level level, const char *message, void *payload)
{
	cli *c = payload;

	if (level == CINSTALL_LOG_WARNING) {
		c->warnings++;
		if (c->quiet)
			return;
		if (c->color)
			fprintf(stderr, "\033[33mwarning\033[0m: %s\n", message);
		else
			fprintf(stderr, "warning: %s\n", message);
	} else if (level == CINSTALL_LOG_ERROR) {
		fprintf(stderr, "%s: %s\n", c->prog, message);
	} else if ((level == CINSTALL_LOG_INFO && c->verbose >= 1) ||
	           (level == CINSTALL_LOG_DEBUG && c->verbose >= 2)) {
		fprintf(stderr, "%s\n", message);
	}
}

int cli_exit_code(int code)
{
	switch (code) {
	case CINSTALL_OK: return EXIT_OK;
	case CINSTALL_EINVAL: return EXIT_USAGE;
	case CINSTALL_EBADWHEEL:
	case CINSTALL_ERECORD:
	case CINSTALL_ELIMIT: return EXIT_BADWHEEL;
	case CINSTALL_EIO:
	case CINSTALL_ENOMEM:
	case CINSTALL_ELOCK: return EXIT_IO;
	case CINSTALL_EINCOMPAT: return EXIT_INCOMPAT;
	case CINSTALL_ECONFLICT: return EXIT_CONFLICT;
	case CINSTALL_ENOTFOUND: return EXIT_NOTFOUND;
	case CINSTALL_ENOTSUP: return EXIT_NOTSUP;
	case CINSTALL_ECACHE: return EXIT_CACHE;
	case CINSTALL_EUNSAFE: return EXIT_UNSAFE;
	default: return EXIT_ERROR;
	}
}

int cli_fail(cli *c, int code)
{
	const char *msg = c->ctx ? cinstall_error_message(c->ctx) : "";

	if (!*msg)
		msg = cinstall_strerror(code);
	if (c->color)
		fprintf(stderr, "%s: \033[31merror\033[0m: %s\n", c->prog, msg);
	else
		fprintf(stderr, "%s: error: %s\n", c->prog, msg);
	return cli_exit_code(code);
}

int cli_usage_error(cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	return EXIT_USAGE;
}

void cli_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int cli_common_opt(cli *c, int opt, const char *arg)
{
	char *end;
	long n;

	switch (opt) {
	case OPT_CACHE_DIR:
		c->opts.cache_dir = arg;
		return 1;
	case OPT_STRICT:
		c->opts.flags |= CINSTALL_OPT_STRICT;
		return 1;
	case OPT_JSON:
		c->json = 1;
		return 1;
	case OPT_NO_COLOR:
		c->color = 0;
		return 1;
	case 'q':
		c->quiet = 1;
		return 1;
	case 'v':
		c->verbose++;
		return 1;
	case 'j':
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || n < 1 || n > 1024) {
			cli_usage_error(c, "-j takes a number from 1 to 1024, not '%s'", arg);
			return -1;
		}
		c->opts.jobs = (unsigned int)n;
		return 1;
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	default:
		return 0;
	}
}

/*
 * As many malloc arenas as threads work at once (-j), not glibc's 8 per
 * CPU.  The library's threads live for one step each (a phase, a split
 * wheel), and a new thread often got an arena other than the last one
 * used, each keeping its own high-water mark, all resident: 98 wheels and
 * one of 20,000 files at -j2 peaked at 15.7-19.4 MiB, with two arenas
 * 14.9-15.1 MiB.  (One arena for all was 1.26x slower for a warm install
 * at -j2: its lock.)  A user's MALLOC_ARENA_MAX or arena_max in
 * GLIBC_TUNABLES is kept.
 */
static void arenas_for_jobs(unsigned int jobs)
{
#ifdef __GLIBC__
	const char *tun = getenv("GLIBC_TUNABLES");
	long n = jobs ? (long)jobs : sysconf(_SC_NPROCESSORS_ONLN);

	if (getenv("MALLOC_ARENA_MAX") || (tun && strstr(tun, "arena_max")))
		return;
	mallopt(M_ARENA_MAX, n > 0 && n <= 1024 ? (int)n : 1);
#else
	(void)jobs;
#endif
}

int cli_ctx(cli *c)
{
	int r;

	if (c->ctx)
		return EXIT_OK;
	arenas_for_jobs(c->opts.jobs);
	c->opts.log_cb = log_cb;
	c->opts.log_payload = c;
	r = cinstall_ctx_new(&c->ctx, &c->opts);
	if (r < 0) {
		fprintf(stderr, "%s: error: cannot create a context: %s\n", c->prog, cinstall_strerror(r));
		return cli_exit_code(r);
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const cinstall_options defaults = CINSTALL_OPTIONS_INIT;
	cli c;
	const char *ci = getenv("CI");
	const char *cmd;
	int rc;

	/*
	 * libarchive turns each zip entry's DOS time into a time_t with
	 * mktime(), and with TZ unset glibc stats /etc/localtime on every call:
	 * one system call per file of every wheel.  Naming the same zone file
	 * explicitly lets glibc load it once.
	 */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 0);
	memset(&c, 0, sizeof(c));
	c.opts = defaults;
	c.prog = "cinstall";
	c.tty = isatty(2) && !(ci && *ci && strcmp(ci, "0") && strcmp(ci, "false"));
	c.color = isatty(2) && !getenv("NO_COLOR");

	if (argc < 2)
		return cli_usage_error(&c, "no command and no wheel given");
	cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("cinstall %s\n", cinstall_version());
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	optind = 1;
	if (!strcmp(cmd, "install") || !strcmp(cmd, "sync"))
		rc = cmd_install(&c, argc - 1, argv + 1);
	else if (!strcmp(cmd, "uninstall"))
		rc = cmd_uninstall(&c, argc - 1, argv + 1);
	else if (!strcmp(cmd, "unpack"))
		rc = cmd_unpack(&c, argc - 1, argv + 1);
	else if (!strcmp(cmd, "cache"))
		rc = cmd_cache(&c, argc - 1, argv + 1);
	else if (cmd[0] == '-' || strstr(cmd, ".whl") || strchr(cmd, '/')) {
		/* `cinstall [OPTIONS] WHEEL...`: install.  Hand the whole line over,
		 * with "install" standing in for the program name. */
		argv[0] = (char *)"install";
		rc = cmd_install(&c, argc, argv);
	} else
		rc = cli_usage_error(&c, "unknown command '%s'", cmd);
	cinstall_ctx_free(c.ctx);
	return rc;
}
