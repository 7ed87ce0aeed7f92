/* fuzz.h - shared bits of the libFuzzer targets in test/fuzz/.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput for one parser of the
 * library.  Every input must end in 0 or a negative CINSTALL_E* code with a
 * message; anything else (a crash, a sanitizer report, a leak, an error code
 * without a message) is a bug.  Built by `make fuzz` with clang's
 * -fsanitize=fuzzer,address,undefined; see test/fuzz/run.sh. */
#ifndef CINSTALL_FUZZ_H
#define CINSTALL_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cinstall.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (the C-string parsers need one). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A failure must carry a known code and a message, and success no code. */
static inline void fuzz_check_err(int r, const cinstall_err *err)
{
	if (r > 0)
		abort();
	if (r < 0 && (err->code != r || err->msg[0] == '\0'))
		abort();
	if (r < 0 && strnlen(err->msg, sizeof(err->msg)) >= sizeof(err->msg))
		abort();
}

#endif
