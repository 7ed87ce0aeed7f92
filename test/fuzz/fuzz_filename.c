/* fuzz_filename.c - wheel file names (cinstall_wheel__filename_parse) and
 * PEP 503 normalisation / version comparison on what it accepts. */
#include "fuzz.h"
#include "wheel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_wheel_filename *wf = NULL;
	char *s = fuzz_cstr(data, size);
	int r = cinstall_wheel__filename_parse(&wf, &err, s);

	fuzz_check_err(r, &err);
	if (r == 0) {
		char *norm;
		if (!wf || !wf->name || !wf->normalized_name || !wf->version || !wf->python_tag || !wf->abi_tag ||
		    !wf->platform_tag)
			abort();
		if (!(norm = cinstall_wheel__normalize_name(wf->name)))
			abort();
		if (strcmp(norm, wf->normalized_name) != 0)
			abort();
		free(norm);
		/* A version always equals itself. */
		if (cinstall_wheel__version_eq(wf->version, wf->version) != 1)
			abort();
	} else if (wf) {
		abort();
	}
	cinstall_wheel_filename_free(wf);
	free(s);
	return 0;
}
