/* fuzz_entry_points.c - entry_points.txt (cinstall_scripts__parse).  What is
 * accepted must be safe to place: a script name that cannot leave the
 * scripts directory and does not shadow the interpreter, and a launcher
 * can be written for it. */
#include "buf.h"
#include "fuzz.h"
#include "scripts.h"

static void check_name(const char *name)
{
	const unsigned char *p;
	if (!name[0] || strchr(name, '/') || strchr(name, '\\') || !strcmp(name, ".") || !strcmp(name, ".."))
		abort();
	for (p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
	if (!strcmp(name, "python") || !strcmp(name, "python3") || !strcmp(name, "pythonw"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_entry_points *eps = NULL;
	cinstall_buf out = CINSTALL_BUF_INIT;
	size_t i;
	int r = cinstall_scripts__parse(&eps, &err, "fuzz-1.0-py3-none-any.whl", (const char *)data, size);

	fuzz_check_err(r, &err);
	if (r < 0) {
		if (eps)
			abort();
		return 0;
	}
	for (i = 0; i < eps->n; i++) {
		const cinstall_entry_point *ep = &eps->items[i];
		if (!ep->name || !ep->module || !ep->attr || !ep->module[0] || !ep->attr[0])
			abort();
		check_name(ep->name);
		if (cinstall_scripts__launcher(&out, "/opt/venv/bin/python", ep) < 0)
			abort();
		cinstall_buf__truncate(&out, 0);
	}
	cinstall_buf__release(&out);
	cinstall_scripts__free(eps);
	return 0;
}
