#!/usr/bin/python3
"""bench/record_digests.py OUT WHEEL... - what the "bsdtar -xf + RECORD"
baseline checks: every file RECORD hashes with sha256, as the extraction
loop lays the wheels out (wheel K of the list into directory K/).

Writes OUT.list (the paths, NUL-separated, for `xargs -0 openssl dgst
-sha256 -r`) and OUT.expected (the lines that command prints when every
file matches: "<hex digest> *<path>").  Rows hashed with other algorithms
(sha384, sha512: rare) are left out, and so is RECORD itself (no hash).
Not timed: it only turns RECORD's urlsafe base64 into openssl's hex.
"""
import base64
import csv
import io
import sys
import zipfile


def main():
    out, wheels = sys.argv[1], sys.argv[2:]
    with open(out + ".list", "wb") as lst, open(out + ".expected", "wb") as exp:
        for k, wheel in enumerate(wheels, 1):
            with zipfile.ZipFile(wheel) as z:
                record = [n for n in z.namelist() if n.endswith(".dist-info/RECORD") and n.count("/") == 1]
                if len(record) != 1:
                    sys.exit("%s: no single .dist-info/RECORD" % wheel)
                text = z.read(record[0]).decode("utf-8")
            for row in csv.reader(io.StringIO(text)):
                if len(row) < 2 or not row[1].startswith("sha256="):
                    continue
                digest = base64.urlsafe_b64decode(row[1][7:] + "=" * (-len(row[1][7:]) % 4)).hex()
                path = "%d/%s" % (k, row[0])
                lst.write(path.encode("utf-8") + b"\0")
                exp.write(("%s *%s\n" % (digest, path)).encode("utf-8"))


if __name__ == "__main__":
    main()
