/* mbrtowc.c - libarchive's mbrtowc, inside the command's zip reader.
 *
 * libarchive's zip reader asks for every entry's name as wide characters
 * (to see whether it ends in '/'), which it makes with one mbrtowc call
 * per byte; glibc's goes through its character set converter each time:
 * half the instructions of reading a header (12k of 25k an entry, a
 * 1,000-file wheel's first pass at -j2 taking 2.9 ms).  The Makefile
 * points libarchive's calls here (objcopy --redefine-sym, in
 * $(BUILD)/zipstack.o only): a byte below 0x80 at the start of a character
 * is that character in every locale cinstall reads names in (C.UTF-8, or C
 * where it is missing; src/unpack.c, do_archive); anything else is
 * glibc's.
 */
#include <wchar.h>

size_t cinstall_zipstack__mbrtowc(wchar_t *pwc, const char *s, size_t n, mbstate_t *ps);

__attribute__((visibility("hidden"))) size_t cinstall_zipstack__mbrtowc(wchar_t *pwc, const char *s, size_t n,
                                                                        mbstate_t *ps)
{
	if (s && n && ps && (unsigned char)*s < 0x80 && mbsinit(ps)) {
		if (pwc)
			*pwc = (wchar_t)(unsigned char)*s;
		return *s != '\0';
	}
	return mbrtowc(pwc, s, n, ps);
}
