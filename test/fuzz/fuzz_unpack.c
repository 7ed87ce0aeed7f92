/* fuzz_unpack.c - the whole unpack of a wheel from bytes
 * (cinstall_unpack__to_dir): zip reading, limits, path checks, WHEEL,
 * METADATA and RECORD verification.
 *
 * The input is written to a wheel file in a private temporary directory and
 * unpacked into <tmp>/out.  The wheel's file name is taken from the first
 * "<name>-<version>.dist-info/" in the bytes, so that the seeds (real
 * wheels) get past the name check and the fuzzer explores what follows.
 * A refused wheel must leave nothing behind: <tmp>/out is gone again. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "manifest.h"
#include "path.h"
#include "unpack.h"
#include "wheel.h"

static char tmp[256];
static cinstall_ctx *ctx;

static void cleanup(void)
{
	cinstall_err ignored = CINSTALL_ERR_INIT;
	if (tmp[0])
		cinstall_path__rmtree(&ignored, tmp);
	cinstall_ctx_free(ctx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	const char *base = getenv("TMPDIR");
	char cache[300];

	(void)argc;
	(void)argv;
	snprintf(tmp, sizeof(tmp), "%s/cinstall-fuzz.XXXXXX", base && base[0] ? base : "/tmp");
	if (!mkdtemp(tmp))
		abort();
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	o.cache_dir = cache;
	o.flags = CINSTALL_OPT_NO_ENV;
	o.jobs = 1;
	o.max_total_size = 64u << 20; /* keep each run small and quick */
	if (cinstall_ctx_new(&ctx, &o) != 0)
		abort();
	atexit(cleanup);
	return 0;
}

/* "<stem>-py3-none-any.whl" from the first "<stem>.dist-info/" in the data. */
static void wheel_name(char *out, size_t cap, const uint8_t *data, size_t size)
{
	static const char marker[] = ".dist-info/";
	const uint8_t *hit = size >= sizeof(marker) - 1 ? memmem(data, size, marker, sizeof(marker) - 1) : NULL;
	cinstall_wheel_filename *wf = NULL;
	cinstall_err err = CINSTALL_ERR_INIT;

	snprintf(out, cap, "fuzz-1.0-py3-none-any.whl");
	if (hit) {
		const uint8_t *b = hit;
		while (b > data && hit - b < 100 && b[-1] > 0x20 && b[-1] < 0x7f && b[-1] != '/' && b[-1] != '\\')
			b--;
		snprintf(out, cap, "%.*s-py3-none-any.whl", (int)(hit - b), (const char *)b);
		if (cinstall_wheel__filename_parse(&wf, &err, out) < 0)
			snprintf(out, cap, "fuzz-1.0-py3-none-any.whl");
		cinstall_wheel_filename_free(wf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_manifest *m = NULL;
	char name[160], wheel[512], dir[300];
	struct stat st;
	FILE *f;
	int r;

	wheel_name(name, sizeof(name), data, size);
	snprintf(wheel, sizeof(wheel), "%s/%s", tmp, name);
	snprintf(dir, sizeof(dir), "%s/out", tmp);
	if (!(f = fopen(wheel, "wb")) || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	r = cinstall_unpack__to_dir(&m, ctx, &err, wheel, dir);
	fuzz_check_err(r, &err);
	if (r == 0 && !m)
		abort();
	if (r < 0 && (m || lstat(dir, &st) == 0))
		abort(); /* a refused wheel left its tree behind */
	cinstall_manifest__free(m);
	cinstall_err__clear(&err);
	if (cinstall_path__rmtree(&err, dir) < 0 || unlink(wheel) != 0)
		abort();
	return 0;
}
