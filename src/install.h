/* install.h - installing wheels into an environment (the public
 * cinstall_install in cinstall.h), joining the unpacker, the compatibility
 * checks, the link engine and the scheme.
 *
 * Phases, each ended by a barrier, with results kept in wheel order:
 *   1. resolve the scheme, scan the installed distributions;
 *   2. per wheel, in parallel: parse the name, check tags, unpack (cache or
 *      a temporary directory on the target), check Requires-Python, decide
 *      installed / unchanged / replaced, map every file to its destination
 *      and register it for the conflict check; then drop the manifest's
 *      files (with many wheels, only the conflict entries are held: 48
 *      bytes and the path per file);
 *   3. conflicts between the wheels (warnings, or an error before placing);
 *   4. per wheel, in parallel: read the manifest back, stash what it
 *      replaces, place, write the metadata; on failure undo and put the
 *      stash back; then (5) its RECORD, and its per-file state is freed;
 *   5. with --compile-bytecode, 4 for every wheel, then the bytecode, then
 *      every RECORD; then the stashes dropped;
 *   6. for sync, uninstall every other distribution.
 */
#ifndef CINSTALL_INSTALL_H
#define CINSTALL_INSTALL_H

#include "cinstall.h"

#endif
