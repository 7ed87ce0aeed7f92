/* fuzz_headers.c - RFC 822 style headers of WHEEL and METADATA
 * (cinstall_wheel__headers).  The callback checks what it is given. */
#include "fuzz.h"
#include "wheel.h"

static int header_cb(const char *name, const char *value, void *payload)
{
	size_t *n = payload;
	if (!name || !value || name[0] == '\0')
		abort();
	/* Touch every byte so ASan sees a bad pointer or a missing NUL. */
	(*n) += strlen(name) + strlen(value);
	return 0;
}

static int stop_cb(const char *name, const char *value, void *payload)
{
	(void)name;
	(void)value;
	(void)payload;
	return 7;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	size_t n = 0;
	int r = cinstall_wheel__headers(&err, "fuzz-1.0-py3-none-any.whl", "fuzz-1.0.dist-info/METADATA",
	                                (const char *)data, size, header_cb, &n);
	fuzz_check_err(r, &err);
	/* A callback's non-zero value comes back unchanged. */
	cinstall_err__clear(&err);
	r = cinstall_wheel__headers(&err, "fuzz-1.0-py3-none-any.whl", "fuzz-1.0.dist-info/WHEEL",
	                            (const char *)data, size, stop_cb, NULL);
	if (r != 0 && r != 7 && (r > 0 || err.msg[0] == '\0'))
		abort();
	return 0;
}
