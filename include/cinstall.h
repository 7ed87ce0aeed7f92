/*
 * cinstall.h - the public API of libcinstall, and its manual.
 *
 * libcinstall installs Python wheels into environments.  It has two stages:
 *
 *   1. the unpacker reads a wheel with libarchive, checks every file against
 *      the wheel's RECORD (sha256 and size) while it streams to disk, and
 *      publishes the tree atomically in a content cache keyed by the XXH3-128
 *      of the wheel's bytes;
 *   2. the link engine places the cached files into an environment with one
 *      of four link modes (clone, hardlink, symlink, copy), falling back from
 *      a mode that the filesystem does not support on the first file of each
 *      wheel.
 *
 * Conventions of this API
 *   - Functions return 0 on success or a negative CINSTALL_E* code.  The
 *     message for the last failure on a context is cinstall_error_message();
 *     it names the wheel, the entry and the cause.
 *   - Output parameters come first.  Objects returned through `**out` belong
 *     to the caller, who frees them with the matching _free function; every
 *     _free accepts NULL.  A returned `const char *` is borrowed and lives as
 *     long as the object it came from.
 *   - Option structs start with `unsigned int version` and are initialised
 *     with their _INIT macro, so fields can be appended without breaking
 *     callers.  Error codes and flags are only ever appended.
 *   - The library never prints and never exits.  Warnings and progress reach
 *     the host through callbacks (cinstall_options.log_cb, .progress_cb).
 *   - Thread safety: contexts are independent; two contexts may be used from
 *     two threads at once.  One context must not be entered from two threads
 *     at once; it runs its own worker threads internally.  Callbacks may be
 *     invoked from worker threads, but never two at a time for one context.
 */
#ifndef CINSTALL_H
#define CINSTALL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CINSTALL_BUILDING) && defined(__GNUC__)
#define CINSTALL_API __attribute__((visibility("default")))
#else
#define CINSTALL_API
#endif

#define CINSTALL_VERSION_MAJOR 0
#define CINSTALL_VERSION_MINOR 1
#define CINSTALL_VERSION_PATCH 0
#define CINSTALL_VERSION_STRING "0.1.0"

/** @return the library's version string, e.g. "0.1.0" (static storage). */
CINSTALL_API const char *cinstall_version(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** Return codes.  Only ever appended; never renumbered. */
typedef enum cinstall_error_code {
	CINSTALL_OK = 0,
	CINSTALL_ERROR = -1,     /**< unclassified failure */
	CINSTALL_ENOMEM = -2,    /**< out of memory */
	CINSTALL_EINVAL = -3,    /**< bad argument or option */
	CINSTALL_EIO = -4,       /**< a system call failed; see cinstall_error_errno() */
	CINSTALL_EBADWHEEL = -5, /**< the wheel breaks the format (filename, zip, paths, metadata) */
	CINSTALL_ERECORD = -6,   /**< a file does not match RECORD, or RECORD is malformed */
	CINSTALL_ENOTSUP = -7,   /**< not supported here (a link mode on this filesystem) */
	CINSTALL_ENOTFOUND = -8, /**< a wheel, distribution, environment or file is missing */
	CINSTALL_EINCOMPAT = -9, /**< wheel tags or Requires-Python do not suit the target */
	CINSTALL_ECONFLICT = -10,/**< two wheels ship different files at one path */
	CINSTALL_ELOCK = -11,    /**< a lock could not be taken within the timeout */
	CINSTALL_EUNSAFE = -12,  /**< a path would escape its root */
	CINSTALL_ELIMIT = -13,   /**< an archive limit was exceeded (entries, size, ratio) */
	CINSTALL_ECACHE = -14    /**< a cache entry is damaged */
} cinstall_error_code;

/** @return fixed text describing `code` (static storage, never NULL). */
CINSTALL_API const char *cinstall_strerror(int code);

/* ------------------------------------------------------------------------ */
/* Context                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct cinstall_ctx cinstall_ctx;

/** Log levels for cinstall_log_cb. */
typedef enum cinstall_log_level {
	CINSTALL_LOG_ERROR = 0,
	CINSTALL_LOG_WARNING = 1,
	CINSTALL_LOG_INFO = 2,
	CINSTALL_LOG_DEBUG = 3
} cinstall_log_level;

/**
 * Receives warnings and informational messages.  `message` is one line
 * without a trailing newline, borrowed for the duration of the call.
 */
typedef void (*cinstall_log_cb)(cinstall_log_level level, const char *message,
                                void *payload);

/** Progress of an operation; every pointer is borrowed for the call. */
typedef struct cinstall_progress {
	const char *wheel;      /**< the wheel being worked on (path as given) */
	size_t wheels_done;     /**< wheels finished */
	size_t wheels_total;    /**< wheels in the operation */
	uint64_t files_done;    /**< files placed or unpacked so far, all wheels */
	uint64_t files_total;   /**< files known so far, all wheels */
} cinstall_progress;

typedef void (*cinstall_progress_cb)(const cinstall_progress *progress,
                                     void *payload);

/** Context flags (cinstall_options.flags). */
enum {
	/** Treat RECORD sloppiness pip tolerates (unlisted files, rows without
	 *  hash, rows naming absent files) as errors instead of warnings. */
	CINSTALL_OPT_STRICT = 1u << 0,
	/** Do not read any CINSTALL_* environment variable in cinstall_ctx_new. */
	CINSTALL_OPT_NO_ENV = 1u << 1,
	/** Never create symlinks: place real files instead (as
	 *  CINSTALL_NO_SYMLINKS=1 does). */
	CINSTALL_OPT_NO_SYMLINKS = 1u << 2
};

/** Options for cinstall_ctx_new().  Zero means "the default" throughout. */
typedef struct cinstall_options {
	unsigned int version;        /**< CINSTALL_OPTIONS_VERSION */
	/** Cache directory.  NULL: $CINSTALL_CACHE_DIR, else
	 *  $XDG_CACHE_HOME/cinstall, else $HOME/.cache/cinstall. */
	const char *cache_dir;
	unsigned int flags;          /**< CINSTALL_OPT_* */
	unsigned int jobs;           /**< worker threads; 0: number of CPUs.  Threads not busy unpacking
	                                  other wheels help unpack a large one (1 MiB or more), or one
	                                  of 64 KiB or more while no other is being unpacked */
	uint64_t max_entries;        /**< zip entries per wheel; 0: 200000 */
	uint64_t max_total_size;     /**< uncompressed bytes per wheel; 0: 8 GiB */
	uint32_t max_ratio;          /**< uncompressed/compressed ratio; 0: 200 */
	/** Seconds to wait for a cache lock; 0: $CINSTALL_LOCK_TIMEOUT or 600. */
	uint32_t lock_timeout;
	cinstall_log_cb log_cb;      /**< NULL: messages are dropped */
	void *log_payload;
	cinstall_progress_cb progress_cb; /**< NULL: no progress reports */
	void *progress_payload;
} cinstall_options;

#define CINSTALL_OPTIONS_VERSION 1
#define CINSTALL_OPTIONS_INIT { CINSTALL_OPTIONS_VERSION, NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL }

/**
 * Create a context.  Unless CINSTALL_OPT_NO_ENV is set, reads
 * CINSTALL_CACHE_DIR, CINSTALL_NO_SYMLINKS and CINSTALL_LOCK_TIMEOUT once,
 * here.  The cache directory is created lazily, on first use, and so are
 * libarchive and libzip loaded (dlopen, unless built with DLOPEN=0; the
 * cinstall command may have libarchive's zip reader linked in) when
 * the context first reads a wheel, and libcrypto when it first computes a
 * SHA-2 digest: a call that needs one that cannot be loaded fails with
 * CINSTALL_ERROR and a message naming it.
 *
 * @param[out] out   the new context; free with cinstall_ctx_free()
 * @param opts       options, or NULL for defaults
 * @return 0, CINSTALL_ENOMEM, CINSTALL_EINVAL (bad version or option)
 */
CINSTALL_API int cinstall_ctx_new(cinstall_ctx **out, const cinstall_options *opts);

/** Free a context (and dlclose what it loaded).  NULL is a no-op. */
CINSTALL_API void cinstall_ctx_free(cinstall_ctx *ctx);

/** @return the message of the last failure on `ctx` ("" if none); borrowed. */
CINSTALL_API const char *cinstall_error_message(const cinstall_ctx *ctx);

/** @return the OS errno of the last failure on `ctx`, or 0. */
CINSTALL_API int cinstall_error_errno(const cinstall_ctx *ctx);

/** @return the CINSTALL_E* code of the last failure on `ctx`, or 0 (handy
 *  for bindings that do not keep every return value). */
CINSTALL_API int cinstall_error_last(const cinstall_ctx *ctx);

/** @return the cache directory this context uses; borrowed. */
CINSTALL_API const char *cinstall_cache_dir(const cinstall_ctx *ctx);

/** Free memory the library returned as a plain `char *`.  NULL is a no-op. */
CINSTALL_API void cinstall_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Wheel filenames                                                          */
/* ------------------------------------------------------------------------ */

/** A parsed wheel filename:
 *  {name}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl */
typedef struct cinstall_wheel_filename {
	char *name;            /**< distribution name as written */
	char *normalized_name; /**< PEP 503 form: lowercase, runs of -_. as '-' */
	char *version;         /**< version as written */
	char *build_tag;       /**< NULL when absent; starts with a digit */
	char *python_tag;      /**< compressed tag set, e.g. "py2.py3" */
	char *abi_tag;
	char *platform_tag;
} cinstall_wheel_filename;

/**
 * Parse and validate a wheel's file name (a path is accepted; only the last
 * component is parsed).
 *
 * @param[out] out   the parsed name; free with cinstall_wheel_filename_free()
 * @param ctx        context for the error message (may be NULL)
 * @param path       the wheel's path or file name
 * @return 0, CINSTALL_EBADWHEEL (with a message saying which rule), CINSTALL_ENOMEM
 */
CINSTALL_API int cinstall_wheel_filename_parse(cinstall_wheel_filename **out,
                                               cinstall_ctx *ctx, const char *path);

/** Free a parsed file name.  NULL is a no-op. */
CINSTALL_API void cinstall_wheel_filename_free(cinstall_wheel_filename *wf);

/* ------------------------------------------------------------------------ */
/* Unpacker and content cache                                               */
/* ------------------------------------------------------------------------ */

/**
 * Put a wheel into the content cache (a no-op when its entry exists) and
 * return the entry's directory.  The wheel's files live under `tree/` there
 * and its manifest in `MANIFEST`.
 *
 * @param[out] out_entry  the entry directory; free with cinstall_free()
 * @param ctx             context
 * @param wheel_path      the wheel file
 * @return 0, CINSTALL_EBADWHEEL, CINSTALL_ERECORD, CINSTALL_ELIMIT,
 *         CINSTALL_EIO, CINSTALL_ENOTFOUND, CINSTALL_ELOCK, CINSTALL_ENOMEM
 */
CINSTALL_API int cinstall_unpack(char **out_entry, cinstall_ctx *ctx,
                                 const char *wheel_path);

/** Cache statistics (cinstall_cache_info). */
typedef struct cinstall_cache_stats {
	uint64_t entries;      /**< published entries */
	uint64_t files;        /**< files in all entries */
	uint64_t bytes;        /**< bytes of those files */
	uint64_t leftovers;    /**< temporary directories of dead processes */
} cinstall_cache_stats;

/** Count the cache's entries, files and bytes (reads manifests only).
 *  @return 0, CINSTALL_EIO, CINSTALL_ENOMEM */
CINSTALL_API int cinstall_cache_info(cinstall_cache_stats *out, cinstall_ctx *ctx);

/**
 * Re-check every entry's files against its manifest (size, mode, sha256),
 * and the digests of generated files kept in its DIGESTS.  Each damaged entry is reported through the log callback at
 * CINSTALL_LOG_ERROR, naming the entry and the file.
 *
 * @param[out] out_damaged  number of damaged entries (may be NULL)
 * @return 0 when the cache is sound, CINSTALL_ECACHE when damage was found
 */
CINSTALL_API int cinstall_cache_verify(uint64_t *out_damaged, cinstall_ctx *ctx);

/** Remove leftovers of dead processes and damaged or incomplete entries.
 *  @param[out] out_removed number of directories removed (may be NULL)
 *  @return 0, CINSTALL_EIO, CINSTALL_ELOCK, CINSTALL_ENOMEM */
CINSTALL_API int cinstall_cache_prune(uint64_t *out_removed, cinstall_ctx *ctx);

/** Remove every entry of the cache (the directory itself stays).
 *  @return 0, CINSTALL_EIO, CINSTALL_ELOCK */
CINSTALL_API int cinstall_cache_clean(cinstall_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Link modes                                                               */
/* ------------------------------------------------------------------------ */

typedef enum cinstall_link_mode {
	CINSTALL_LINK_AUTO = 0,     /**< clone, then hardlink, then copy */
	CINSTALL_LINK_CLONE = 1,    /**< reflink (FICLONE) / clonefile */
	CINSTALL_LINK_HARDLINK = 2, /**< link(2) */
	CINSTALL_LINK_SYMLINK = 3,  /**< relative symlink when possible */
	CINSTALL_LINK_COPY = 4      /**< copy_file_range, read/write */
} cinstall_link_mode;

/** @return "auto", "clone", "hardlink", "symlink" or "copy". */
CINSTALL_API const char *cinstall_link_mode_name(cinstall_link_mode mode);

/** Parse a link mode name.  @return 0 or CINSTALL_EINVAL */
CINSTALL_API int cinstall_link_mode_parse(cinstall_link_mode *out, const char *name);

/**
 * Override whether symlinks may be created in `dir` (and below): 1 allows,
 * 0 forces real files, -1 returns to probing (the default).  A probe's
 * result is remembered per directory on the context.  `dir` should be
 * absolute: it is matched against absolute destination paths.
 *
 * @return 0, CINSTALL_EINVAL (ctx or dir NULL or empty, `supported` not
 *         -1, 0 or 1), CINSTALL_ENOMEM
 */
CINSTALL_API int cinstall_symlink_support_set(cinstall_ctx *ctx, const char *dir,
                                              int supported);

/* ------------------------------------------------------------------------ */
/* Installing                                                               */
/* ------------------------------------------------------------------------ */

/** Install flags (cinstall_install_options.flags). */
enum {
	/** A link mode fallback is an error instead of a warning. */
	CINSTALL_INSTALL_STRICT_LINK_MODE = 1u << 0,
	/** Skip the wheel tag and Requires-Python checks. */
	CINSTALL_INSTALL_NO_COMPAT_CHECK = 1u << 1,
	/** Reinstall distributions already installed from the same wheel. */
	CINSTALL_INSTALL_REINSTALL = 1u << 2,
	/** Unpack to a temporary directory on the target and move files in. */
	CINSTALL_INSTALL_NO_CACHE = 1u << 3,
	/** Compile installed .py files with the target interpreter. */
	CINSTALL_INSTALL_COMPILE_BYTECODE = 1u << 4,
	/** Conflicting files between wheels fail the install before placing. */
	CINSTALL_INSTALL_CONFLICTS_ERROR = 1u << 5,
	/** Make the environment hold exactly the given wheels (uninstall the rest). */
	CINSTALL_INSTALL_SYNC = 1u << 6,
	/** Do not write REQUESTED (the wheels are dependencies, not user requests). */
	CINSTALL_INSTALL_NOT_REQUESTED = 1u << 7
};

/** Where and how to install. */
typedef struct cinstall_install_options {
	unsigned int version;         /**< CINSTALL_INSTALL_OPTIONS_VERSION */
	/** The target: an interpreter or a virtual environment directory.
	 *  NULL: $VIRTUAL_ENV, else .venv in the current directory. */
	const char *python;
	const char *prefix;           /**< install under this prefix (pip --prefix) */
	const char *target;           /**< install flat into this directory (pip --target) */
	cinstall_link_mode link_mode; /**< CINSTALL_LINK_AUTO by default */
	unsigned int flags;           /**< CINSTALL_INSTALL_* */
	unsigned int jobs;            /**< 0: the context's jobs (which also bound the threads
	                                   that split a large wheel's unpacking and placing) */
} cinstall_install_options;

#define CINSTALL_INSTALL_OPTIONS_VERSION 1
#define CINSTALL_INSTALL_OPTIONS_INIT { CINSTALL_INSTALL_OPTIONS_VERSION, NULL, NULL, NULL, CINSTALL_LINK_AUTO, 0, 0 }

/** What happened to one wheel or distribution. */
typedef struct cinstall_result {
	const char *wheel;            /**< the wheel path as given (NULL for uninstall) */
	const char *name;             /**< distribution name (METADATA) */
	const char *version;          /**< distribution version */
	const char *action;           /**< "installed", "unchanged", "replaced", "uninstalled" */
	cinstall_link_mode link_mode; /**< mode actually used for the wheel's files */
	unsigned int fallbacks;       /**< link mode fallbacks taken for this wheel */
	uint64_t files;               /**< files placed or removed */
} cinstall_result;

/** A path provided by two distributions with different content. */
typedef struct cinstall_conflict {
	const char *path;             /**< relative to the install root */
	const char *dist_a;           /**< distribution names */
	const char *dist_b;
} cinstall_conflict;

typedef struct cinstall_report cinstall_report;

/* The report accessors accept a NULL report: they return 0 and set *out to NULL. */

/** @return number of results; `*out` points at them (borrowed). */
CINSTALL_API size_t cinstall_report_results(const cinstall_result **out,
                                            const cinstall_report *report);
/** @return number of conflicts; `*out` points at them (borrowed). */
CINSTALL_API size_t cinstall_report_conflicts(const cinstall_conflict **out,
                                              const cinstall_report *report);
/** @return number of warnings; `*out` points at the messages (borrowed). */
CINSTALL_API size_t cinstall_report_warnings(const char *const **out,
                                             const cinstall_report *report);
/** Free a report.  NULL is a no-op. */
CINSTALL_API void cinstall_report_free(cinstall_report *report);

/**
 * Install wheels, in parallel, into the environment `opts` names.
 *
 * Each wheel is unpacked into the cache (or, with NO_CACHE, beside the
 * target), checked for compatibility, and placed with the link mode.  After
 * all are placed, conflicts between them are reported.  On failure, every
 * environment change made for a failed wheel is undone, and a distribution
 * it was replacing is put back.
 *
 * @param[out] out  a report of what was done (also on failure, when it could
 *                  be built; may be NULL); free with cinstall_report_free()
 * @return 0 or the first error by wheel order; the message names the wheel
 */
CINSTALL_API int cinstall_install(cinstall_report **out, cinstall_ctx *ctx,
                                  const cinstall_install_options *opts,
                                  const char *const *wheels, size_t nwheels);

/**
 * Uninstall distributions by name (PEP 503 comparison) from the environment
 * `opts` names: every file of their RECORD, their __pycache__ entries and the
 * directories left empty.
 *
 * @return 0, CINSTALL_ENOTFOUND (not installed, or no RECORD),
 *         CINSTALL_EUNSAFE (RECORD names a path outside the environment), CINSTALL_EIO
 */
CINSTALL_API int cinstall_uninstall(cinstall_report **out, cinstall_ctx *ctx,
                                    const cinstall_install_options *opts,
                                    const char *const *names, size_t nnames);

/* ------------------------------------------------------------------------ */
/* Cache disk usage (file-level dedupe); appended after the first API       */
/* ------------------------------------------------------------------------ */

/**
 * Bytes the cache's entries take on disk, each distinct file counted once:
 * entries' files are hard links to one copy of each distinct content
 * (`v1/objects`), so this is at most cinstall_cache_stats.bytes, and the
 * difference is what dedupe saves.  Walks every entry's tree (one lstat
 * per file).
 *
 * @param[out] out_stored  bytes stored
 * @return 0, CINSTALL_EIO, CINSTALL_ENOMEM, CINSTALL_EINVAL
 */
CINSTALL_API int cinstall_cache_disk_usage(uint64_t *out_stored, cinstall_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CINSTALL_H */
