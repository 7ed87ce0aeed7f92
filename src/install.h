/* install.h - installing wheels into an environment (the public
 * cinstall_install in cinstall.h), joining the unpacker, the compatibility
 * checks, the link engine and the scheme.
 *
 * Phases, each ended by a barrier, with results kept in wheel order:
 *   1. resolve the scheme, scan the installed distributions;
 *   2. per wheel, in parallel: parse the name, check tags, unpack (cache or
 *      a temporary directory on the target), check Requires-Python, decide
 *      installed / unchanged / replaced, map every file to its destination;
 *   3. conflicts between the wheels (warnings, or an error before placing);
 *   4. per wheel, in parallel: stash what it replaces, place, write the
 *      metadata; on failure undo and put the stash back;
 *   5. optionally compile bytecode; then RECORD; then drop the stashes;
 *   6. for sync, uninstall every other distribution.
 */
#ifndef CINSTALL_INSTALL_H
#define CINSTALL_INSTALL_H

#include "cinstall.h"

#endif
