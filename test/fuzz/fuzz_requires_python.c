/* fuzz_requires_python.c - Requires-Python specifier sets
 * (cinstall_tags__requires_python) against a fixed interpreter. */
#include "fuzz.h"
#include "scheme.h"
#include "tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_scheme s;
	char *spec = fuzz_cstr(data, size);
	int r;

	memset(&s, 0, sizeof(s));
	s.py_major = 3;
	s.py_minor = 11;
	s.py_micro = 2;
	s.impl = "cp";
	s.abi = "cp311";
	s.platform = "linux_x86_64";
	r = cinstall_tags__requires_python(&err, &s, "fuzz-1.0-py3-none-any.whl", spec);
	fuzz_check_err(r, &err);
	if (r != 0 && r != CINSTALL_EINCOMPAT && r != CINSTALL_EBADWHEEL && r != CINSTALL_ENOMEM)
		abort();
	free(spec);
	return 0;
}
