/* hash_avx2.c - XXH3-128's streaming update compiled for AVX2.
 *
 * xxHash picks its vector code when it is compiled (XXH_VECTOR from the
 * target's macros), so the build's baseline x86-64 gets SSE2, half the
 * width of AVX2: hashing a wheel for its cache key was 30% of the
 * instructions of a warm install of 5,000 files.  This file is compiled
 * with -mavx2 (Makefile) and hash.c calls it only when the CPU has AVX2
 * (glibc's CPU_FEATURE_ACTIVE), as xxHash's own x86 dispatcher does.  The
 * state is xxHash's, the same struct in both files; every vector path
 * computes the same hash.
 */
#include "hash.h"

#if CINSTALL_XXH_AVX2
#ifndef __AVX2__
#error "the Makefile compiles this file with -mavx2"
#endif
#define XXH_INLINE_ALL
#include "xxhash/xxhash.h"

void cinstall_xxh__update_avx2(void *state, const void *data, size_t len)
{
	XXH3_128bits_update((XXH3_state_t *)state, data, len);
}
#else
typedef int cinstall_hash_avx2_unused; /* not x86-64 */
#endif
