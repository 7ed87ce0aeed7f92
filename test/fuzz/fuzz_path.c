/* fuzz_path.c - the wheel path validator (cinstall_path__check).  Every path
 * it accepts must stay inside the directory it is joined to, and the
 * quoting used in messages must never overflow. */
#include "fuzz.h"
#include "path.h"

static void check_accepted(const char *p)
{
	size_t len = strlen(p);
	const char *c = p;

	if (len == 0 || len > CINSTALL_PATH_MAX || p[0] == '/' || strchr(p, '\\'))
		abort();
	/* A drive letter: "C:" (another byte before a colon is a plain name). */
	if (len >= 2 && ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':')
		abort();
	/* No empty, "." or ".." component (one trailing '/' is allowed). */
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || n > CINSTALL_NAME_MAX || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		if (!e)
			break;
		c = e + 1;
	}
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	char quoted[64];
	char *s = fuzz_cstr(data, size);
	int r = cinstall_path__check(&err, "fuzz-1.0-py3-none-any.whl", s);

	fuzz_check_err(r, &err);
	if (r == 0)
		check_accepted(s);
	else if (r != CINSTALL_EBADWHEEL)
		abort();
	cinstall_path__quote(quoted, sizeof(quoted), s);
	if (strnlen(quoted, sizeof(quoted)) >= sizeof(quoted))
		abort();
	free(s);
	return 0;
}
