/*
 * embed.c - install wheels into a virtual environment through libcinstall,
 * the way a package manager embeds it.
 *
 *   cc -o embed embed.c $(pkg-config --cflags --libs cinstall)
 *   ./embed [-m MODE] [-c CACHE_DIR] VENV WHEEL...
 *   ./embed -u [-c CACHE_DIR] WHEEL...
 *
 *   -m MODE       link mode: auto (default), clone, hardlink, symlink, copy
 *   -c CACHE_DIR  the content cache (default: $CINSTALL_CACHE_DIR, else
 *                 $XDG_CACHE_HOME/cinstall, else ~/.cache/cinstall)
 *   -u            only unpack the wheels into the content cache and print
 *                 the entries' directories
 *
 * The host owns the output: the library never prints, so warnings arrive
 * through log_cb and progress through progress_cb, and the host decides what
 * to show.  Exit status: 0, or 1 with the library's message on stderr.
 */
#define _POSIX_C_SOURCE 200809L /* getopt */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cinstall.h>

struct host {
	unsigned int warnings;
	uint64_t last_files;
};

static void on_log(cinstall_log_level level, const char *message, void *payload)
{
	struct host *h = payload;

	if (level <= CINSTALL_LOG_WARNING) {
		h->warnings++;
		fprintf(stderr, "embed: %s: %s\n",
		        level == CINSTALL_LOG_ERROR ? "error" : "warning", message);
	}
}

/* Called from the library's worker threads, one call at a time per context. */
static void on_progress(const cinstall_progress *p, void *payload)
{
	struct host *h = payload;

	h->last_files = p->files_done;
}

static int usage(void)
{
	fprintf(stderr, "usage: embed [-m MODE] [-c CACHE_DIR] VENV WHEEL...\n"
	                "       embed -u [-c CACHE_DIR] WHEEL...\n");
	return 2;
}

int main(int argc, char **argv)
{
	cinstall_options opts = CINSTALL_OPTIONS_INIT;
	cinstall_install_options iopts = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx = NULL;
	cinstall_report *report = NULL;
	const cinstall_result *results;
	const cinstall_conflict *conflicts;
	struct host host = { 0, 0 };
	const char *mode = "auto";
	int unpack_only = 0, opt, error = 0, i;
	size_t n, k;

	while ((opt = getopt(argc, argv, "m:c:u")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'c': opts.cache_dir = optarg; break;
		case 'u': unpack_only = 1; break;
		default: return usage();
		}
	}
	if (argc - optind < (unpack_only ? 1 : 2))
		return usage();

	opts.log_cb = on_log;
	opts.log_payload = &host;
	opts.progress_cb = on_progress;
	opts.progress_payload = &host;
	if ((error = cinstall_ctx_new(&ctx, &opts)) < 0) {
		fprintf(stderr, "embed: cannot create a context: %s\n", cinstall_strerror(error));
		return 1;
	}
	printf("libcinstall %s, cache %s\n", cinstall_version(), cinstall_cache_dir(ctx));

	if (unpack_only) {
		for (i = optind; i < argc; i++) {
			char *entry = NULL;

			if ((error = cinstall_unpack(&entry, ctx, argv[i])) < 0)
				goto done;
			printf("unpacked %s -> %s\n", argv[i], entry);
			cinstall_free(entry);
		}
		goto done;
	}

	if ((error = cinstall_link_mode_parse(&iopts.link_mode, mode)) < 0) {
		fprintf(stderr, "embed: unknown link mode '%s'\n", mode);
		goto done;
	}
	iopts.python = argv[optind];
	error = cinstall_install(&report, ctx, &iopts, (const char *const *)argv + optind + 1,
	                         (size_t)(argc - optind - 1));
	/* The report exists on failure too, when it could be built. */
	if (report) {
		n = cinstall_report_results(&results, report);
		for (k = 0; k < n; k++)
			printf("%s %s %s (%s, %llu files)\n", results[k].action, results[k].name,
			       results[k].version, cinstall_link_mode_name(results[k].link_mode),
			       (unsigned long long)results[k].files);
		n = cinstall_report_conflicts(&conflicts, report);
		for (k = 0; k < n; k++)
			printf("conflict: %s from %s and %s\n", conflicts[k].path,
			       conflicts[k].dist_a, conflicts[k].dist_b);
	}
	if (error == 0)
		printf("done: progress reached %llu files, %u warnings\n", (unsigned long long)host.last_files,
		       host.warnings);

done:
	if (error < 0)
		fprintf(stderr, "embed: %s\n", *cinstall_error_message(ctx)
		        ? cinstall_error_message(ctx) : cinstall_strerror(error));
	cinstall_report_free(report);
	cinstall_ctx_free(ctx);
	return error < 0 ? 1 : 0;
}
