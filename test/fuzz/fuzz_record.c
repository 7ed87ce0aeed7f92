/* fuzz_record.c - RECORD, CSV as Python's csv module writes it
 * (cinstall_record__parse).  What parses is written back with
 * cinstall_record__write_row and must parse again to the same rows. */
#include "buf.h"
#include "fuzz.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_record *rec = NULL, *again = NULL;
	cinstall_buf out = CINSTALL_BUF_INIT;
	size_t i;
	int r = cinstall_record__parse(&rec, &err, "fuzz-1.0-py3-none-any.whl", (const char *)data, size);

	fuzz_check_err(r, &err);
	if (r < 0)
		goto done;
	for (i = 0; i < rec->n; i++) {
		const cinstall_record_row *row = &rec->rows[i];
		if (!row->path || row->size < -1)
			abort();
		if (cinstall_record__write_row(&out, row->path, row->hash, row->size) < 0)
			abort();
	}
	/* Round trip: our own writing parses back to the same rows. */
	r = cinstall_record__parse(&again, &err, "fuzz-1.0-py3-none-any.whl", out.ptr ? out.ptr : "", out.len);
	if (r < 0 || again->n != rec->n)
		abort();
	for (i = 0; i < rec->n; i++) {
		const cinstall_record_row *a = &rec->rows[i], *b = &again->rows[i];
		if (strcmp(a->path, b->path) != 0 || a->size != b->size || !a->hash != !b->hash ||
		    (a->hash && strcmp(a->hash, b->hash) != 0))
			abort();
	}
done:
	cinstall_record__free(again);
	cinstall_record__free(rec);
	cinstall_buf__release(&out);
	return 0;
}
