/* cmd_cache.c - 'cinstall cache dir|info|clean|prune|verify'. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char cache_usage[] =
	"usage: cinstall cache [OPTIONS] dir|info|clean|prune|verify\n"
	"\n"
	"  dir      print the cache directory\n"
	"  info     count entries, files, bytes (stored once each, and saved by\n"
	"           sharing) and leftovers of dead processes\n"
	"  clean    remove every entry not in use by an install\n"
	"  prune    remove leftovers, damaged entries not in use, unused objects\n"
	"  verify   re-check every entry's files (size, mode, sha256) and DIGESTS;\n"
	"           exit 9 on damage\n"
	"\n"
	"  --cache-dir DIR   the cache (default $CINSTALL_CACHE_DIR, $XDG_CACHE_HOME/cinstall)\n"
	"  --json            machine-readable output (info, verify, prune)\n";

int cmd_cache(cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *verb;
	int opt, r, rc;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(cache_usage, stdout);
			return EXIT_OK;
		}
		r = cli_common_opt(c, opt, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r == 0)
			return cli_usage_error(c, "unknown option for 'cache'");
	}
	if (optind >= argc)
		return cli_usage_error(c, "'cache' needs one of dir, info, clean, prune, verify");
	if (optind + 1 < argc)
		return cli_usage_error(c, "'cache' takes one action, not '%s'", argv[optind + 1]);
	verb = argv[optind];
	if ((rc = cli_ctx(c)) != EXIT_OK)
		return rc;

	if (!strcmp(verb, "dir")) {
		if (c->json) {
			fputs("{\"dir\": ", stdout);
			cli_json_str(stdout, cinstall_cache_dir(c->ctx));
			fputs("}\n", stdout);
		} else {
			printf("%s\n", cinstall_cache_dir(c->ctx));
		}
	} else if (!strcmp(verb, "info")) {
		cinstall_cache_stats st;
		uint64_t stored = 0;
		if ((r = cinstall_cache_info(&st, c->ctx)) < 0 || (r = cinstall_cache_disk_usage(&stored, c->ctx)) < 0)
			return cli_fail(c, r);
		/* Entries can come and go between the two counts. */
		if (stored > st.bytes)
			stored = st.bytes;
		if (c->json) {
			fputs("{\"dir\": ", stdout);
			cli_json_str(stdout, cinstall_cache_dir(c->ctx));
			printf(", \"entries\": %llu, \"files\": %llu, \"bytes\": %llu, \"stored\": %llu, \"saved\": %llu, "
			       "\"leftovers\": %llu}\n",
			       (unsigned long long)st.entries, (unsigned long long)st.files, (unsigned long long)st.bytes,
			       (unsigned long long)stored, (unsigned long long)(st.bytes - stored),
			       (unsigned long long)st.leftovers);
		} else {
			printf("dir: %s\nentries: %llu\nfiles: %llu\nbytes: %llu\nstored: %llu\nsaved: %llu\nleftovers: %llu\n",
			       cinstall_cache_dir(c->ctx), (unsigned long long)st.entries, (unsigned long long)st.files,
			       (unsigned long long)st.bytes, (unsigned long long)stored, (unsigned long long)(st.bytes - stored),
			       (unsigned long long)st.leftovers);
		}
	} else if (!strcmp(verb, "clean")) {
		if ((r = cinstall_cache_clean(c->ctx)) < 0)
			return cli_fail(c, r);
	} else if (!strcmp(verb, "prune")) {
		uint64_t removed = 0;
		if ((r = cinstall_cache_prune(&removed, c->ctx)) < 0)
			return cli_fail(c, r);
		if (c->json)
			printf("{\"removed\": %llu}\n", (unsigned long long)removed);
		else if (!c->quiet)
			printf("removed: %llu\n", (unsigned long long)removed);
	} else if (!strcmp(verb, "verify")) {
		uint64_t damaged = 0;
		r = cinstall_cache_verify(&damaged, c->ctx);
		if (r < 0 && r != CINSTALL_ECACHE)
			return cli_fail(c, r);
		if (c->json)
			printf("{\"damaged\": %llu}\n", (unsigned long long)damaged);
		if (r < 0)
			return cli_fail(c, r);
	} else {
		return cli_usage_error(c, "unknown cache action '%s'", verb);
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}
