/* sys.h - system calls that can fail in interesting ways, wrapped once:
 * EINTR is retried and short writes are completed here, so callers see only
 * real failures.  Tests inject faults with an LD_PRELOAD shim
 * (test/shim/fault.c) on the libc symbols these call. */
#ifndef CINSTALL_SYS_H
#define CINSTALL_SYS_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A directory opened only to name files below it (*at calls). */
#ifdef O_PATH
#define CINSTALL_O_DIRPATH (O_PATH | O_DIRECTORY)
#else
#define CINSTALL_O_DIRPATH (O_RDONLY | O_DIRECTORY)
#endif

/* open/openat that retry EINTR; always add O_CLOEXEC. */
int cinstall_sys__open(const char *path, int flags, mode_t mode);
int cinstall_sys__openat(int dirfd, const char *path, int flags, mode_t mode);
/* Write all `len` bytes; 0 or -1 with errno. */
int cinstall_sys__write_all(int fd, const void *buf, size_t len);
/* Read up to `len` bytes, retrying EINTR and short reads until EOF;
 * returns bytes read or -1 with errno. */
ssize_t cinstall_sys__read_full(int fd, void *buf, size_t len);
/* pread, retrying EINTR (one call's worth: short reads are the caller's);
 * returns bytes read, 0 at EOF, or -1 with errno.  The file offset is left
 * alone. */
ssize_t cinstall_sys__pread(int fd, void *buf, size_t len, uint64_t off);
/* close() that keeps errno of an earlier failure when asked. */
int cinstall_sys__close(int fd);
/* fsync, retrying EINTR. */
int cinstall_sys__fsync(int fd);

#endif
