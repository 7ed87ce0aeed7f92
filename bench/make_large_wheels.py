#!/usr/bin/python3
"""bench/make_large_wheels.py OUTDIR SIZE... - large, realistic wheels for
the benchmarks, repacked from Python code installed on this machine.

For each SIZE (a number of files, e.g. 5000 20000 50000) writes
OUTDIR/repacked_<SIZE>-1.0-py3-none-any.whl holding SIZE files in all:
the regular files of at most 64 KiB of installed Python trees (Debian's dist-packages, the
standard libraries of /usr/bin/python3 and of the python3 on PATH), bytes
unchanged, __pycache__ left out, under a package `repacked_<SIZE>`; when the
machine has fewer files than asked, the list is taken again under
`repacked_<SIZE>/copy<K>/`.  Every file of the wheel has distinct bytes:
a file whose bytes were already written (a second copy, or the same module
in two standard libraries) gets one line "# repacked copy <N>" appended, so
an installer cannot save work by linking duplicates that real wheels do not
have (version 1.1 of the wheels; 1.0 kept the duplicates).  The wheel is labelled as repacked in its
METADATA (Summary), carries a WHEEL file and a RECORD with the sha256 and
size of every file, and is deterministic for a given machine.  A wheel
that exists already is kept.
"""
import base64
import hashlib
import os
import subprocess
import sys
import zipfile

MAX_FILE = 1 << 16  # leave out files above 64 KiB (test data, archives)
VERSION = "1.1"  # 1.1: every file's bytes distinct


def roots():
    out = ["/usr/lib/python3/dist-packages"]
    for py in ("/usr/bin/python3", "python3"):
        try:
            r = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                               capture_output=True, text=True, check=True)
            out.append(r.stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
    seen, res = set(), []
    for r in out:
        real = os.path.realpath(r)
        if os.path.isdir(real) and real not in seen:
            seen.add(real)
            res.append(real)
    return res


def source_files():
    files = []
    for i, root in enumerate(roots()):
        base = "tree%d_%s" % (i, os.path.basename(root.rstrip("/")) or "root")
        for d, dirs, names in os.walk(root):
            dirs[:] = sorted(x for x in dirs if x not in ("__pycache__", "site-packages"))
            for n in sorted(names):
                p = os.path.join(d, n)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not os.path.isfile(p) or os.path.islink(p) or st.st_size > MAX_FILE:
                    continue
                if not os.access(p, os.R_OK):
                    continue
                rel = os.path.relpath(p, root)
                if "\\" in rel or any(c in rel for c in "\r\n,\"") or not rel.isascii():
                    continue  # keep RECORD and paths plain
                files.append((p, base + "/" + rel))
    return files


def b64(digest):
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make(outdir, size, files):
    name = "repacked_%d" % size
    path = os.path.join(outdir, "%s-%s-py3-none-any.whl" % (name, VERSION))
    if os.path.exists(path):
        return path
    tmp = path + ".tmp"
    dist = "%s-%s.dist-info" % (name, VERSION)
    record = []
    seen = set()
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        n = k = 0
        while n < size - 4:  # METADATA, WHEEL, top_level.txt, RECORD
            for src, rel in files:
                if n >= size - 4:
                    break
                arc = "%s/%s%s" % (name, "" if k == 0 else "copy%d/" % k, rel)
                with open(src, "rb") as f:
                    data = f.read()
                digest = hashlib.sha256(data).digest()
                if digest in seen:
                    data += b"\n# repacked copy %d\n" % n
                    digest = hashlib.sha256(data).digest()
                seen.add(digest)
                zi = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = (0o755 if os.access(src, os.X_OK) else 0o644) << 16 | 0o100000 << 16
                z.writestr(zi, data)
                record.append("%s,sha256=%s,%d" % (arc, b64(digest), len(data)))
                n += 1
            k += 1
        meta = {
            "METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                        "Summary: repacked for benchmarks from Python files installed on this machine "
                        "(bench/make_large_wheels.py); not a real distribution\n" % (name, VERSION),
            "WHEEL": "Wheel-Version: 1.0\nGenerator: bench/make_large_wheels.py\nRoot-Is-Purelib: true\n"
                     "Tag: py3-none-any\n",
            "top_level.txt": name + "\n",
        }
        for fn, text in meta.items():
            data = text.encode()
            arc = "%s/%s" % (dist, fn)
            zi = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o100644 << 16
            z.writestr(zi, data)
            record.append("%s,sha256=%s,%d" % (arc, b64(hashlib.sha256(data).digest()), len(data)))
        record.append("%s/RECORD,," % dist)
        zi = zipfile.ZipInfo("%s/RECORD" % dist, date_time=(2020, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o100644 << 16
        z.writestr(zi, "\n".join(record) + "\n")
    os.rename(tmp, path)
    return path


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: make_large_wheels.py OUTDIR SIZE...")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    files = source_files()
    if not files:
        sys.exit("make_large_wheels.py: no installed Python files found to repack")
    for s in sys.argv[2:]:
        size = int(s)
        if size < 10:
            sys.exit("make_large_wheels.py: a wheel needs at least 10 files")
        print(make(outdir, size, files))


if __name__ == "__main__":
    main()
