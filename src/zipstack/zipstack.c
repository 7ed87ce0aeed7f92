/* zipstack.c - libarchive's zip reader linked into the cinstall command.
 *
 * `make LIBARCHIVE=static` (the default) links this file with the static
 * archives of libarchive and of the decompressors its zip reader calls
 * (zlib, bzip2, xz, zstd), from their Debian -dev packages, into one
 * object whose only global symbol is the table below ($(BUILD)/zipstack.o;
 * the rest is made local, so nothing clashes with a libarchive or a zlib
 * the process also loads).  The cinstall command is linked with it;
 * src/dl.c then takes libarchive's functions from this table instead of
 * opening the system's libarchive.
 *
 * nettle is not linked: libarchive calls it only to decrypt a WinZip AES
 * entry, after a passphrase (archive_read_add_passphrase, which we never
 * call; without one the entry fails with "Passphrase required for this
 * entry": fixture encaes).  Its references are made weak, so they are null
 * and the command needs neither nettle's static archive (LGPL) nor its
 * shared object at every start (0.09 ms of a 1.8 ms warm install).
 *
 * libarchive's calls to mbrtowc and mktime go to our own (mbrtowc.c and
 * mktime.c say why).
 *
 * Why: opening the system's libarchive loads libxml2, ICU, libstdc++ and
 * nine more shared objects that reading a zip never calls; their
 * relocation was 1.5-2 ms of a 6-8 ms cold install of a 100-file wheel.
 * The cost: a security fix to libarchive or to these decompressors reaches
 * the command when it is rebuilt.  `make LIBARCHIVE=shared` keeps opening
 * the system's libarchive; libcinstall.so and libcinstall.a always do
 * (bzip2's and zstd's static archives are not position-independent).
 */
#include "../dl.h"

#define CINSTALL_ZIPSTACK_FN(f) .f = f,

__attribute__((visibility("hidden"))) const cinstall_libarchive cinstall_zipstack__archive = {
	CINSTALL_LIBARCHIVE_FUNCS(CINSTALL_ZIPSTACK_FN)
};
