/* cli.h - shared state of the cinstall command.  The command is a thin
 * client of include/cinstall.h: it parses arguments, reads the environment,
 * prints, and maps error codes to exit codes. */
#ifndef CINSTALL_CLI_H
#define CINSTALL_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "cinstall.h"

/* Exit codes (documented in cinstall(1)). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,        /* anything not below */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_BADWHEEL = 3,     /* invalid wheel, RECORD mismatch, archive limits */
	EXIT_IO = 4,           /* I/O error, lock timeout */
	EXIT_INCOMPAT = 5,     /* wheel does not suit the target */
	EXIT_CONFLICT = 6,     /* conflicting files (--conflicts=error) */
	EXIT_NOTFOUND = 7,     /* wheel, environment or distribution not found */
	EXIT_NOTSUP = 8,       /* link mode not supported (--strict-link-mode) */
	EXIT_CACHE = 9,        /* damaged cache entry (cache verify) */
	EXIT_UNSAFE = 10       /* a path would escape its root */
};

typedef struct cli {
	cinstall_options opts;  /* context options built from flags and env */
	cinstall_ctx *ctx;      /* made by cli_ctx() */
	int quiet;              /* -q */
	int verbose;            /* -v (repeatable) */
	int json;               /* --json */
	int color;              /* stderr is a terminal and NO_COLOR unset */
	int tty;                /* stderr is a terminal and not CI */
	unsigned int warnings;  /* warnings printed */
	const char *prog;
} cli;

/* Long options every command accepts; put CLI_COMMON_LONGOPTS in a
 * command's option table and pass unknown options to cli_common_opt. */
enum {
	OPT_CACHE_DIR = 1000, OPT_STRICT, OPT_JSON, OPT_NO_COLOR,
	OPT_CMD_BASE = 1100   /* commands number their own long options from here */
};
#define CLI_COMMON_SHORT "j:qvh"
#define CLI_COMMON_LONGOPTS \
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR }, \
	{ "strict", no_argument, NULL, OPT_STRICT }, \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "no-color", no_argument, NULL, OPT_NO_COLOR }, \
	{ "jobs", required_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }

/* Handle a common option: 1 handled, 0 not ours, -1 bad value (printed). */
int cli_common_opt(cli *c, int opt, const char *arg);

/* Create c->ctx from c->opts (once).  Returns an exit code. */
int cli_ctx(cli *c);

/* Print "cinstall: error: <message>" for a failed call and return the
 * exit code for `code`. */
int cli_fail(cli *c, int code);

/* Map a CINSTALL_E* code to an exit code. */
int cli_exit_code(int code);

/* Print a usage error and return EXIT_USAGE. */
int cli_usage_error(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write `s` as a JSON string literal (with quotes) to `f`. */
void cli_json_str(FILE *f, const char *s);

/* Commands: argv[0] is the command's name; optind is reset by main. */
int cmd_install(cli *c, int argc, char **argv);   /* install and sync */
int cmd_uninstall(cli *c, int argc, char **argv);
int cmd_unpack(cli *c, int argc, char **argv);
int cmd_cache(cli *c, int argc, char **argv);

#endif
