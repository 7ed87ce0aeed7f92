/* cmd_unpack.c - 'cinstall unpack WHEEL...': put wheels into the content
 * cache and print each entry's directory, one per line, in the order given.
 *
 * With -j N (default: the number of CPUs) wheels are unpacked by N threads,
 * each with its own context (a context is never entered from two threads). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char unpack_usage[] =
	"usage: cinstall unpack [OPTIONS] WHEEL...\n"
	"\n"
	"Put each wheel into the content cache (checking every file against its\n"
	"RECORD) and print the cache entry's directory, one line per wheel.\n"
	"\n"
	"  --cache-dir DIR        the cache (default $CINSTALL_CACHE_DIR, $XDG_CACHE_HOME/cinstall)\n"
	"  --strict               RECORD sloppiness pip tolerates is an error\n"
	"  --max-entries N        refuse wheels with more zip entries (default 200000)\n"
	"  --max-total-size N     refuse wheels larger than N bytes uncompressed (default 8 GiB)\n"
	"  --max-ratio N          refuse compression ratios above N (default 200)\n"
	"  -j, --jobs N           unpack N wheels at once, or a large one on N threads\n"
	"                         (default: CPUs)\n"
	"  -q, --quiet            no warnings\n"
	"  -v, --verbose          more messages\n";

enum { OPT_MAX_ENTRIES = OPT_CMD_BASE, OPT_MAX_TOTAL, OPT_MAX_RATIO };

typedef struct job {
	const char *wheel;
	char *entry;
	int code;
	char *msg;
} job;

typedef struct pool {
	cli *c;
	cinstall_options opts;    /* per-thread contexts are made from this */
	job *jobs;
	size_t njobs, next;
	pthread_mutex_t lock;     /* guards next and the log forwarding */
} pool;

/* Serialise the worker contexts' messages onto the command's callback. */
static void pool_log(cinstall_log_level level, const char *message, void *payload)
{
	pool *p = payload;

	pthread_mutex_lock(&p->lock);
	p->c->opts.log_cb(level, message, p->c->opts.log_payload);
	pthread_mutex_unlock(&p->lock);
}

static void run_job(cinstall_ctx *ctx, job *j)
{
	j->code = cinstall_unpack(&j->entry, ctx, j->wheel);
	if (j->code < 0)
		j->msg = strdup(cinstall_error_message(ctx));
}

static void *worker(void *arg)
{
	pool *p = arg;
	cinstall_ctx *ctx = NULL;
	int r = cinstall_ctx_new(&ctx, &p->opts);

	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->njobs)
			break;
		if (r < 0) {
			p->jobs[i].code = r;
			continue;
		}
		run_job(ctx, &p->jobs[i]);
	}
	cinstall_ctx_free(ctx);
	return NULL;
}

static int parse_u64(cli *c, const char *opt, const char *arg, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	if (errno || *end || end == arg || *arg == '-' || *out == 0 || *out > max)
		return cli_usage_error(c, "%s takes a positive number, not '%s'", opt, arg);
	return 0;
}

int cmd_unpack(cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "max-total-size", required_argument, NULL, OPT_MAX_TOTAL },
		{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
		{ NULL, 0, NULL, 0 }
	};
	pool p;
	pthread_t *threads = NULL;
	unsigned long long v;
	size_t i, nthreads, started = 0;
	int opt, r, rc = EXIT_OK;
	long ncpu;

	memset(&p, 0, sizeof(p));
	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(unpack_usage, stdout);
			return EXIT_OK;
		}
		r = cli_common_opt(c, opt, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (opt) {
		case OPT_MAX_ENTRIES:
			if (parse_u64(c, "--max-entries", optarg, ~0ULL, &v))
				return EXIT_USAGE;
			c->opts.max_entries = v;
			break;
		case OPT_MAX_TOTAL:
			if (parse_u64(c, "--max-total-size", optarg, ~0ULL, &v))
				return EXIT_USAGE;
			c->opts.max_total_size = v;
			break;
		case OPT_MAX_RATIO:
			if (parse_u64(c, "--max-ratio", optarg, 0xffffffffULL, &v))
				return EXIT_USAGE;
			c->opts.max_ratio = (uint32_t)v;
			break;
		default:
			return cli_usage_error(c, "unknown option for 'unpack'");
		}
	}
	if (optind >= argc)
		return cli_usage_error(c, "'unpack' needs at least one wheel");
	if ((rc = cli_ctx(c)) != EXIT_OK)
		return rc;

	p.c = c;
	p.njobs = (size_t)(argc - optind);
	if (!(p.jobs = calloc(p.njobs, sizeof(*p.jobs)))) {
		fprintf(stderr, "%s: error: out of memory\n", c->prog);
		return EXIT_IO;
	}
	for (i = 0; i < p.njobs; i++)
		p.jobs[i].wheel = argv[optind + (int)i];

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nthreads = c->opts.jobs ? c->opts.jobs : (ncpu > 0 ? (size_t)ncpu : 1);
	if (nthreads > p.njobs)
		nthreads = p.njobs;
	if (nthreads <= 1) {
		for (i = 0; i < p.njobs; i++)
			run_job(c->ctx, &p.jobs[i]);
	} else {
		pthread_mutex_init(&p.lock, NULL);
		p.opts = c->opts;
		p.opts.log_cb = pool_log;
		p.opts.log_payload = &p;
		if ((threads = calloc(nthreads, sizeof(*threads)))) {
			for (i = 0; i < nthreads; i++) {
				if (pthread_create(&threads[i], NULL, worker, &p) != 0)
					break;
				started++;
			}
		}
		if (!started) /* no threads: do it here */
			worker(&p);
		for (i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
		free(threads);
		pthread_mutex_destroy(&p.lock);
	}

	rc = EXIT_OK;
	for (i = 0; i < p.njobs; i++) {
		job *j = &p.jobs[i];
		if (j->code == 0) {
			printf("%s\n", j->entry);
		} else {
			const char *msg = j->msg && *j->msg ? j->msg : cinstall_strerror(j->code);
			if (c->color)
				fprintf(stderr, "%s: \033[31merror\033[0m: %s\n", c->prog, msg);
			else
				fprintf(stderr, "%s: error: %s\n", c->prog, msg);
			if (rc == EXIT_OK)
				rc = cli_exit_code(j->code);
		}
		cinstall_free(j->entry);
		free(j->msg);
	}
	free(p.jobs);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = EXIT_IO;
	return rc;
}
