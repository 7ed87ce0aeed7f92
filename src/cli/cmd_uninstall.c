/* cmd_uninstall.c - 'cinstall uninstall NAME...'. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char uninstall_usage[] =
	"usage: cinstall uninstall [OPTIONS] NAME...\n"
	"\n"
	"  --python PATH   the interpreter or virtual environment (default: $VIRTUAL_ENV, else ./.venv)\n"
	"  --prefix DIR    the prefix the distributions were installed under\n"
	"  --target DIR    the directory they were installed flat into\n"
	"  -q, --quiet  -v, --verbose  --json  --no-color\n";

enum { OPT_PYTHON = OPT_CMD_BASE, OPT_PREFIX, OPT_TARGET };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cmd_uninstall(cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "python", required_argument, NULL, OPT_PYTHON },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "target", required_argument, NULL, OPT_TARGET },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	cinstall_install_options io = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_report *rep = NULL;
	const cinstall_result *res;
	size_t n, i;
	int opt, r, rc = EXIT_OK;
	double t0, ms;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_PYTHON: io.python = optarg; break;
		case OPT_PREFIX: io.prefix = optarg; break;
		case OPT_TARGET: io.target = optarg; break;
		case 'h':
			fputs(uninstall_usage, stdout);
			return EXIT_OK;
		default:
			r = cli_common_opt(c, opt, optarg);
			if (r == 0)
				return cli_usage_error(c, "unknown option for 'uninstall'");
			if (r < 0)
				return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(c, "no distribution named");
	if ((rc = cli_ctx(c)) != EXIT_OK)
		return rc;
	t0 = now_ms();
	r = cinstall_uninstall(&rep, c->ctx, &io, (const char *const *)argv + optind, (size_t)(argc - optind));
	ms = now_ms() - t0;
	n = cinstall_report_results(&res, rep);
	if (c->json) {
		printf("{\"ok\": %s, \"elapsed_ms\": %.1f, \"error\": ", r ? "false" : "true", ms);
		if (r)
			cli_json_str(stdout, cinstall_error_message(c->ctx));
		else
			fputs("null", stdout);
		fputs(", \"results\": [", stdout);
		for (i = 0; i < n; i++) {
			fputs(i ? ", {\"name\": " : "{\"name\": ", stdout);
			cli_json_str(stdout, res[i].name);
			fputs(", \"version\": ", stdout);
			cli_json_str(stdout, res[i].version);
			printf(", \"action\": \"uninstalled\", \"files\": %llu}", (unsigned long long)res[i].files);
		}
		fputs("]}\n", stdout);
	}
	if (r < 0)
		rc = cli_fail(c, r);
	else if (!c->quiet) {
		fprintf(stderr, "Uninstalled %zu package%s in %.0f ms\n", n, n == 1 ? "" : "s", ms);
		for (i = 0; i < n; i++)
			fprintf(stderr, " - %s==%s\n", res[i].name, res[i].version);
	}
	cinstall_report_free(rep);
	return rc;
}
