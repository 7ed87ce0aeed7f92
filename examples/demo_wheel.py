#!/usr/bin/env python3
"""demo_wheel.py OUTDIR - write cinstall_demo-1.0-py3-none-any.whl into OUTDIR.

A small but complete wheel for examples/demo.sh: a package, a console
script entry point, a `#!python` script under .data/scripts (its shebang is
rewritten at install) and a RECORD with sha256 and sizes.  The zip's
timestamps are fixed, so the wheel's bytes, and with them its cache key, are
the same on every run.
"""
import base64
import hashlib
import os
import sys
import zipfile

NAME, VERSION = "cinstall_demo", "1.0"
DIST_INFO = "%s-%s.dist-info" % (NAME, VERSION)
DATA = "%s-%s.data" % (NAME, VERSION)

FILES = [
    ("cinstall_demo/__init__.py",
     '"""A package installed by cinstall for its demo."""\n'
     '__version__ = "1.0"\n\n\n'
     'def greeting(who="world"):\n'
     '    return "hello, %s, from cinstall_demo %s" % (who, __version__)\n', 0o644),
    ("cinstall_demo/cli.py",
     'import os\nimport sys\n\nimport cinstall_demo\n\n\n'
     'def main():\n'
     '    print(cinstall_demo.greeting(sys.argv[1] if len(sys.argv) > 1 else "world"))\n'
     '    st = os.stat(cinstall_demo.__file__)\n'
     '    print("  imported from %s (%d link%s to this file)"\n'
     '          % (cinstall_demo.__file__, st.st_nlink, "" if st.st_nlink == 1 else "s"))\n'
     '    return 0\n', 0o644),
    (DATA + "/scripts/cinstall-demo-env",
     '#!python\n'
     'import sys\n'
     'print("cinstall-demo-env runs on", sys.executable)\n', 0o755),
    (DIST_INFO + "/METADATA",
     "Metadata-Version: 2.1\nName: cinstall-demo\nVersion: 1.0\n"
     "Summary: The example wheel of cinstall's demo\nRequires-Python: >=3.7\n", 0o644),
    (DIST_INFO + "/WHEEL",
     "Wheel-Version: 1.0\nGenerator: cinstall demo_wheel.py\n"
     "Root-Is-Purelib: true\nTag: py3-none-any\n", 0o644),
    (DIST_INFO + "/entry_points.txt",
     "[console_scripts]\ncinstall-demo = cinstall_demo.cli:main\n", 0o644),
]


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "%s-%s-py3-none-any.whl" % (NAME, VERSION))
    rows = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text, mode in FILES:
            data = text.encode()
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
            rows.append("%s,%s,%d" % (name, record_hash(data), len(data)))
        rows.append(DIST_INFO + "/RECORD,,")
        info = zipfile.ZipInfo(DIST_INFO + "/RECORD", date_time=(2024, 1, 1, 0, 0, 0))
        info.external_attr = (0o100644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, "\n".join(rows) + "\n")
    print(path)


if __name__ == "__main__":
    main()
