"""cinstall_ctypes - a Python binding of libcinstall through ctypes.

It shows that a package manager written in Python can hand its wheel
installs to libcinstall without compiling anything:

    import cinstall_ctypes as ci

    with ci.Context(cache_dir="/tmp/cache", log=print) as ctx:
        for r in ctx.install(["pkg-1.0-py3-none-any.whl"], python="venv",
                             link_mode="hardlink"):
            print(r.action, r.name, r.version, r.link_mode, r.files)

The library is found through $CINSTALL_LIB (a path), else as
"libcinstall.so.0" through the dynamic loader.  A failed call raises
CinstallError carrying the code, its name and the library's message
(cinstall_error_message).

Run as a script it is a small command:

    python3 cinstall_ctypes.py [--lib PATH] [--cache-dir DIR] install VENV WHEEL...
    python3 cinstall_ctypes.py [--lib PATH] [--cache-dir DIR] unpack WHEEL...
    python3 cinstall_ctypes.py [--lib PATH] [--cache-dir DIR] uninstall VENV NAME...
    python3 cinstall_ctypes.py [--lib PATH] [--cache-dir DIR] cache-info
"""

import ctypes
import os
import sys
from collections import namedtuple

__all__ = ["Context", "CinstallError", "Result", "Conflict", "load", "version",
           "OPT_STRICT", "OPT_NO_ENV", "OPT_NO_SYMLINKS",
           "INSTALL_STRICT_LINK_MODE", "INSTALL_NO_COMPAT_CHECK", "INSTALL_REINSTALL",
           "INSTALL_NO_CACHE", "INSTALL_COMPILE_BYTECODE", "INSTALL_CONFLICTS_ERROR",
           "INSTALL_SYNC", "INSTALL_NOT_REQUESTED"]

# Mirrors of include/cinstall.h.  Keep in step with it: fields are only
# ever appended there, and the version numbers below say which layout this
# module speaks.
OPTIONS_VERSION = 1
INSTALL_OPTIONS_VERSION = 1

ERROR_NAMES = {
    0: "CINSTALL_OK", -1: "CINSTALL_ERROR", -2: "CINSTALL_ENOMEM",
    -3: "CINSTALL_EINVAL", -4: "CINSTALL_EIO", -5: "CINSTALL_EBADWHEEL",
    -6: "CINSTALL_ERECORD", -7: "CINSTALL_ENOTSUP", -8: "CINSTALL_ENOTFOUND",
    -9: "CINSTALL_EINCOMPAT", -10: "CINSTALL_ECONFLICT", -11: "CINSTALL_ELOCK",
    -12: "CINSTALL_EUNSAFE", -13: "CINSTALL_ELIMIT", -14: "CINSTALL_ECACHE",
}

OPT_STRICT = 1 << 0
OPT_NO_ENV = 1 << 1
OPT_NO_SYMLINKS = 1 << 2

INSTALL_STRICT_LINK_MODE = 1 << 0
INSTALL_NO_COMPAT_CHECK = 1 << 1
INSTALL_REINSTALL = 1 << 2
INSTALL_NO_CACHE = 1 << 3
INSTALL_COMPILE_BYTECODE = 1 << 4
INSTALL_CONFLICTS_ERROR = 1 << 5
INSTALL_SYNC = 1 << 6
INSTALL_NOT_REQUESTED = 1 << 7

LOG_LEVELS = {0: "error", 1: "warning", 2: "info", 3: "debug"}

LOG_CB = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


class _Progress(ctypes.Structure):
    _fields_ = [("wheel", ctypes.c_char_p),
                ("wheels_done", ctypes.c_size_t),
                ("wheels_total", ctypes.c_size_t),
                ("files_done", ctypes.c_uint64),
                ("files_total", ctypes.c_uint64)]


PROGRESS_CB = ctypes.CFUNCTYPE(None, ctypes.POINTER(_Progress), ctypes.c_void_p)


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint),
                ("cache_dir", ctypes.c_char_p),
                ("flags", ctypes.c_uint),
                ("jobs", ctypes.c_uint),
                ("max_entries", ctypes.c_uint64),
                ("max_total_size", ctypes.c_uint64),
                ("max_ratio", ctypes.c_uint32),
                ("lock_timeout", ctypes.c_uint32),
                ("log_cb", LOG_CB),
                ("log_payload", ctypes.c_void_p),
                ("progress_cb", PROGRESS_CB),
                ("progress_payload", ctypes.c_void_p)]


class _InstallOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint),
                ("python", ctypes.c_char_p),
                ("prefix", ctypes.c_char_p),
                ("target", ctypes.c_char_p),
                ("link_mode", ctypes.c_int),
                ("flags", ctypes.c_uint),
                ("jobs", ctypes.c_uint)]


class _Result(ctypes.Structure):
    _fields_ = [("wheel", ctypes.c_char_p),
                ("name", ctypes.c_char_p),
                ("version", ctypes.c_char_p),
                ("action", ctypes.c_char_p),
                ("link_mode", ctypes.c_int),
                ("fallbacks", ctypes.c_uint),
                ("files", ctypes.c_uint64)]


class _Conflict(ctypes.Structure):
    _fields_ = [("path", ctypes.c_char_p),
                ("dist_a", ctypes.c_char_p),
                ("dist_b", ctypes.c_char_p)]


class _CacheStats(ctypes.Structure):
    _fields_ = [("entries", ctypes.c_uint64),
                ("files", ctypes.c_uint64),
                ("bytes", ctypes.c_uint64),
                ("leftovers", ctypes.c_uint64)]


Result = namedtuple("Result", "wheel name version action link_mode fallbacks files")
Conflict = namedtuple("Conflict", "path dist_a dist_b")
Report = namedtuple("Report", "results conflicts warnings")
CacheStats = namedtuple("CacheStats", "entries files bytes leftovers")


class CinstallError(Exception):
    """A libcinstall call failed: .code (negative), .name, .message."""

    def __init__(self, code, message, report=None):
        self.code = code
        self.name = ERROR_NAMES.get(code, "CINSTALL_E%d" % code)
        self.message = message
        self.report = report
        super().__init__("%s (%s)" % (message, self.name))


_lib = None


def _enc(s):
    if s is None:
        return None
    return os.fsencode(s)


def _dec(b):
    return None if b is None else os.fsdecode(b)


def load(path=None):
    """Load libcinstall (once) and declare the functions used here."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    lib = ctypes.CDLL(path or os.environ.get("CINSTALL_LIB") or "libcinstall.so.0")
    P = ctypes.POINTER
    vp = ctypes.c_void_p
    sig = {
        "cinstall_version": (ctypes.c_char_p, []),
        "cinstall_strerror": (ctypes.c_char_p, [ctypes.c_int]),
        "cinstall_ctx_new": (ctypes.c_int, [P(vp), P(_Options)]),
        "cinstall_ctx_free": (None, [vp]),
        "cinstall_error_message": (ctypes.c_char_p, [vp]),
        "cinstall_error_errno": (ctypes.c_int, [vp]),
        "cinstall_cache_dir": (ctypes.c_char_p, [vp]),
        "cinstall_free": (None, [vp]),
        "cinstall_unpack": (ctypes.c_int, [P(vp), vp, ctypes.c_char_p]),
        "cinstall_cache_info": (ctypes.c_int, [P(_CacheStats), vp]),
        "cinstall_cache_verify": (ctypes.c_int, [P(ctypes.c_uint64), vp]),
        "cinstall_cache_prune": (ctypes.c_int, [P(ctypes.c_uint64), vp]),
        "cinstall_cache_clean": (ctypes.c_int, [vp]),
        "cinstall_link_mode_name": (ctypes.c_char_p, [ctypes.c_int]),
        "cinstall_link_mode_parse": (ctypes.c_int, [P(ctypes.c_int), ctypes.c_char_p]),
        "cinstall_symlink_support_set": (ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_int]),
        "cinstall_install": (ctypes.c_int, [P(vp), vp, P(_InstallOptions),
                                            P(ctypes.c_char_p), ctypes.c_size_t]),
        "cinstall_uninstall": (ctypes.c_int, [P(vp), vp, P(_InstallOptions),
                                              P(ctypes.c_char_p), ctypes.c_size_t]),
        "cinstall_report_results": (ctypes.c_size_t, [P(P(_Result)), vp]),
        "cinstall_report_conflicts": (ctypes.c_size_t, [P(P(_Conflict)), vp]),
        "cinstall_report_warnings": (ctypes.c_size_t, [P(P(ctypes.c_char_p)), vp]),
        "cinstall_report_free": (None, [vp]),
    }
    for name, (restype, argtypes) in sig.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:  # an older library: calling it raises later
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    _lib = lib
    return lib


def version():
    return load().cinstall_version().decode()


def strerror(code):
    return load().cinstall_strerror(code).decode()


def _read_report(lib, rep):
    results, conflicts, warnings = [], [], []
    if not rep:
        return Report(results, conflicts, warnings)
    rp = ctypes.POINTER(_Result)()
    for i in range(lib.cinstall_report_results(ctypes.byref(rp), rep)):
        r = rp[i]
        results.append(Result(_dec(r.wheel), _dec(r.name), _dec(r.version), _dec(r.action),
                              lib.cinstall_link_mode_name(r.link_mode).decode(),
                              r.fallbacks, r.files))
    cp = ctypes.POINTER(_Conflict)()
    for i in range(lib.cinstall_report_conflicts(ctypes.byref(cp), rep)):
        c = cp[i]
        conflicts.append(Conflict(_dec(c.path), _dec(c.dist_a), _dec(c.dist_b)))
    wp = ctypes.POINTER(ctypes.c_char_p)()
    for i in range(lib.cinstall_report_warnings(ctypes.byref(wp), rep)):
        warnings.append(_dec(wp[i]))
    return Report(results, conflicts, warnings)


class Context:
    """A libcinstall context (cinstall_ctx).  Not to be used from two threads
    at once; make one per thread instead.

    log: a callable (level_name, message), called from the library's threads.
    progress: a callable (wheel, wheels_done, wheels_total, files_done, files_total).
    """

    def __init__(self, cache_dir=None, flags=0, jobs=0, lock_timeout=0,
                 log=None, progress=None, lib=None):
        self._lib = load(lib)
        self._ctx = None
        o = _Options()
        o.version = OPTIONS_VERSION
        o.cache_dir = _enc(cache_dir)
        o.flags = flags
        o.jobs = jobs
        o.lock_timeout = lock_timeout
        # The callbacks must outlive the context: keep them on self.
        self._log_cb = LOG_CB(self._on_log) if log else LOG_CB()
        self._progress_cb = PROGRESS_CB(self._on_progress) if progress else PROGRESS_CB()
        self._log, self._progress = log, progress
        o.log_cb = self._log_cb
        o.progress_cb = self._progress_cb
        self._opts = o
        ctx = ctypes.c_void_p()
        r = self._lib.cinstall_ctx_new(ctypes.byref(ctx), ctypes.byref(o))
        if r < 0:
            raise CinstallError(r, "cannot create a context: " + strerror(r))
        self._ctx = ctx

    def _on_log(self, level, message, _payload):
        try:
            self._log(LOG_LEVELS.get(level, str(level)), _dec(message))
        except Exception:  # an exception must not unwind through C
            pass

    def _on_progress(self, p, _payload):
        try:
            p = p.contents
            self._progress(_dec(p.wheel), p.wheels_done, p.wheels_total,
                           p.files_done, p.files_total)
        except Exception:
            pass

    def close(self):
        if self._ctx:
            self._lib.cinstall_ctx_free(self._ctx)
            self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _check(self, r, report=None):
        if r < 0:
            msg = self._lib.cinstall_error_message(self._ctx)
            raise CinstallError(r, _dec(msg) or strerror(r), report)
        return r

    @property
    def cache_dir(self):
        return _dec(self._lib.cinstall_cache_dir(self._ctx))

    @property
    def error_message(self):
        return _dec(self._lib.cinstall_error_message(self._ctx))

    def unpack(self, wheel):
        """Put a wheel into the content cache; return the entry's directory."""
        out = ctypes.c_void_p()
        self._check(self._lib.cinstall_unpack(ctypes.byref(out), self._ctx, _enc(wheel)))
        try:
            return _dec(ctypes.cast(out, ctypes.c_char_p).value)
        finally:
            self._lib.cinstall_free(out)

    def cache_info(self):
        s = _CacheStats()
        self._check(self._lib.cinstall_cache_info(ctypes.byref(s), self._ctx))
        return CacheStats(s.entries, s.files, s.bytes, s.leftovers)

    def cache_verify(self):
        """Return the number of damaged entries (0 when the cache is sound)."""
        n = ctypes.c_uint64()
        r = self._lib.cinstall_cache_verify(ctypes.byref(n), self._ctx)
        if r < 0 and r != -14:  # CINSTALL_ECACHE means "damage found"
            self._check(r)
        return n.value

    def cache_prune(self):
        n = ctypes.c_uint64()
        self._check(self._lib.cinstall_cache_prune(ctypes.byref(n), self._ctx))
        return n.value

    def cache_clean(self):
        self._check(self._lib.cinstall_cache_clean(self._ctx))

    def symlink_support_set(self, directory, supported):
        """supported: True, False, or None to return to probing."""
        v = -1 if supported is None else int(bool(supported))
        self._check(self._lib.cinstall_symlink_support_set(self._ctx, _enc(directory), v))

    def _install_opts(self, python, prefix, target, link_mode, flags, jobs):
        o = _InstallOptions()
        o.version = INSTALL_OPTIONS_VERSION
        o.python, o.prefix, o.target = _enc(python), _enc(prefix), _enc(target)
        mode = ctypes.c_int()
        if self._lib.cinstall_link_mode_parse(ctypes.byref(mode), _enc(link_mode)) < 0:
            raise CinstallError(-3, "unknown link mode '%s'" % link_mode)
        o.link_mode = mode.value
        o.flags = flags
        o.jobs = jobs
        return o

    def _run(self, fn, items, opts):
        arr = (ctypes.c_char_p * max(len(items), 1))(*[_enc(i) for i in items])
        rep = ctypes.c_void_p()
        r = fn(ctypes.byref(rep), self._ctx, ctypes.byref(opts), arr, len(items))
        try:
            report = _read_report(self._lib, rep)
        finally:
            self._lib.cinstall_report_free(rep)
        self._check(r, report)
        return report

    def install(self, wheels, python=None, prefix=None, target=None,
                link_mode="auto", flags=0, jobs=0):
        """Install wheels; return a Report (results, conflicts, warnings).
        On failure the CinstallError carries the report in .report."""
        opts = self._install_opts(python, prefix, target, link_mode, flags, jobs)
        return self._run(self._lib.cinstall_install, list(wheels), opts)

    def uninstall(self, names, python=None, prefix=None, target=None):
        opts = self._install_opts(python, prefix, target, "auto", 0, 0)
        return self._run(self._lib.cinstall_uninstall, list(names), opts)


def _main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="cinstall_ctypes.py",
                                 description="libcinstall through ctypes")
    ap.add_argument("--lib", help="path of libcinstall.so.0 (default: $CINSTALL_LIB, "
                                  "else the dynamic loader's search)")
    ap.add_argument("--cache-dir")
    ap.add_argument("--link-mode", default="auto")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("install")
    p.add_argument("venv")
    p.add_argument("wheels", nargs="+")
    p = sub.add_parser("uninstall")
    p.add_argument("venv")
    p.add_argument("names", nargs="+")
    p = sub.add_parser("unpack")
    p.add_argument("wheels", nargs="+")
    sub.add_parser("cache-info")
    a = ap.parse_args(argv)

    def log(level, message):
        print("%s: %s" % (level, message), file=sys.stderr)

    try:
        with Context(cache_dir=a.cache_dir, log=log, lib=a.lib) as ctx:
            print("libcinstall %s through ctypes, cache %s" % (version(), ctx.cache_dir))
            if a.cmd == "unpack":
                for w in a.wheels:
                    print("unpacked %s -> %s" % (w, ctx.unpack(w)))
            elif a.cmd == "cache-info":
                print("%d entries, %d files, %d bytes, %d leftovers" % ctx.cache_info())
            elif a.cmd == "install":
                rep = ctx.install(a.wheels, python=a.venv, link_mode=a.link_mode)
                for r in rep.results:
                    print("%s %s %s (%s, %d files)" % (r.action, r.name, r.version,
                                                      r.link_mode, r.files))
                for c in rep.conflicts:
                    print("conflict: %s from %s and %s" % c)
            else:
                rep = ctx.uninstall(a.names, python=a.venv)
                for r in rep.results:
                    print("%s %s %s" % (r.action, r.name, r.version))
    except CinstallError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
