#!/bin/sh
# test/conformance/installer.sh - cinstall against pypa/installer, file for
# file.  Every good fixture wheel, every wheel of ../shared/wheels that suits
# /usr/bin/python3 and Debian's pip/setuptools/wheel wheels are installed by
# Debian's python3-installer (`python -m installer --no-compile-bytecode`,
# run as the venv's python) and by cinstall in hardlink, copy and symlink
# modes, each into a fresh venv at the same path; then the trees must match
# (see compare() in the driver below for what "match" means).
. "$TOP/test/lib.sh"

INSTALLER_PATH=/usr/lib/python3/dist-packages
if ! PYTHONPATH=$INSTALLER_PATH "$PYTHON" -c 'import installer' 2>/dev/null; then
	skip installer-conformance "pypa/installer is not installed (Debian: python3-installer)"
	exit 0
fi
if ! "$PYTHON" -m venv --without-pip "$T/template" 2>"$T/err"; then
	skip installer-conformance "cannot create a venv: $(head -1 "$T/err")"
	exit 0
fi

: > "$T/wheels.txt"
# Good fixtures: the generator's top-level wheels (good.txt lists them).
for w in "$FIXTURES"/*.whl; do
	[ -f "$w" ] && echo "$w" >> "$T/wheels.txt"
done
[ -s "$T/wheels.txt" ] || skip installer-fixtures "no fixture wheels in $FIXTURES"
if [ -n "$SHARED_WHEELS" ]; then
	ls "$SHARED_WHEELS"/*.whl >> "$T/wheels.txt"
else
	skip installer-shared-wheels "../shared/wheels is absent"
fi
if ls /usr/share/python-wheels/*.whl > /dev/null 2>&1; then
	ls /usr/share/python-wheels/*.whl >> "$T/wheels.txt"
else
	skip installer-debian-wheels "/usr/share/python-wheels is empty (Debian: python3-pip-whl)"
fi

cat > "$T/driver.py" <<'PY'
import base64, csv, hashlib, io, os, re, shutil, stat, subprocess, sys, zipfile, configparser
import installer.__main__

T, CINSTALL, LIST = sys.argv[1:4]
ENV, TEMPLATE, REF = T + "/env", T + "/template", T + "/ref"
PYVER = "%d.%d" % sys.version_info[:2]
GLIBC = tuple(int(x) for x in os.confstr("CS_GNU_LIBC_VERSION").split()[1].split(".")[:2])
MODES = tuple(os.environ.get("CONFORMANCE_MODES", "hardlink copy symlink").split())

def suits(fn):
    """An independent tag check (cp311 on x86_64 glibc), to cross-check cinstall's."""
    parts = fn[:-4].split("-")
    pys, abis, plats = (set(p.split(".")) for p in parts[-3:])
    minor = sys.version_info[1]
    def plat_ok(p):
        if p == "linux_x86_64":
            return True
        m = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", p)
        if m:
            return (int(m.group(1)), int(m.group(2))) <= GLIBC
        return p in ("manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64")
    for py in pys:
        for abi in abis:
            for pl in plats:
                if abi == "none":
                    okpy = py in ("py3", "cp3%d" % minor) or py in ["py3%d" % i for i in range(minor + 1)]
                    if okpy and (pl == "any" or plat_ok(pl)):
                        return True
                elif abi == "abi3":
                    m = re.fullmatch(r"cp3(\d+)", py)
                    if m and 2 <= int(m.group(1)) <= minor and plat_ok(pl):
                        return True
                elif abi == "cp3%d" % minor and py == "cp3%d" % minor and plat_ok(pl):
                    return True
    return False

def fresh_env():
    shutil.rmtree(ENV, ignore_errors=True)
    shutil.copytree(TEMPLATE, ENV, symlinks=True)

def walk(top):
    out = {}
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(root, n)
            rel = os.path.relpath(p, top)
            if os.path.isdir(p) and not os.path.islink(p):
                out[rel] = ("D", stat.S_IMODE(os.lstat(p).st_mode))
            elif n in dirs and os.path.islink(p):
                out[rel] = ("L", os.readlink(p))
            else:
                out[rel] = ("F", stat.S_IMODE(os.stat(p).st_mode))
    return out

HDR_THEIRS = "include/python%s/" % PYVER
HDR_OURS = "include/site/python%s/" % PYVER

def hdr(p):
    """pypa/installer's CLI puts headers in include/pythonX.Y/<name>, pip (and
    cinstall) in include/site/pythonX.Y/<name>: compare them as one."""
    i = p.find(HDR_THEIRS)
    if i >= 0 and (i == 0 or p[i - 1] == "/"):
        p = p[:i] + HDR_OURS + p[i + len(HDR_THEIRS):]
    return p

OURS_ONLY = ("INSTALLER", "REQUESTED", "direct_url.json")

SITE = "lib/python%s/site-packages" % PYVER

def ours_only(rel, base=SITE):
    """INSTALLER, REQUESTED, direct_url.json of the installed distribution
    itself (not those a wheel vendors deeper down)."""
    d, n = os.path.split(rel)
    return d.endswith(".dist-info") and n in OURS_ONLY and os.path.dirname(d) == base

def read_record(path):
    rows = {}
    for r in csv.reader(open(path, newline="", encoding="utf-8")):
        if r:
            # pypa/installer writes "./x" for a .data/platlib file when
            # platlib is purelib; pip and cinstall write "x": the same path.
            rows[hdr(os.path.normpath(r[0]))] = (r[1] if len(r) > 1 else "", r[2] if len(r) > 2 else "")
    return rows

def entry_points(whl):
    with zipfile.ZipFile(whl) as z:
        names = [n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt") and n.count("/") == 1]
        if not names:
            return {}
        cp = configparser.ConfigParser(delimiters="=")
        cp.optionxform = str
        cp.read_string(z.read(names[0]).decode("utf-8"))
    eps = {}
    for sec in ("console_scripts", "gui_scripts"):
        if cp.has_section(sec):
            for k, v in cp.items(sec):
                eps[k] = v.split("[")[0].strip()
    return eps

def compare(whl, mode):
    eps = entry_points(whl)
    launchers = {"bin/" + k: v for k, v in eps.items()}
    theirs = {hdr(k): v for k, v in walk(REF).items()}
    ours = {k: v for k, v in walk(ENV).items() if not ours_only(k)}
    for d in ("include/python" + PYVER, "include/site", "include/site/python" + PYVER):
        theirs.pop(d, None); ours.pop(d, None)
    if set(theirs) != set(ours):
        a = sorted(set(theirs) - set(ours))[:4]; b = sorted(set(ours) - set(theirs))[:4]
        return "paths differ: only installer's %s, only cinstall's %s" % (a, b)
    ref_of = {hdr(k): k for k in walk(REF)}
    record_t = record_o = None
    for rel, (kind, m) in sorted(ours.items()):
        tk, tm = theirs[rel]
        if kind != tk:
            return "%s: %s vs %s" % (rel, tk, kind)
        if kind == "L":
            if m != tm:
                return "%s: symlink differs" % rel
            continue
        if m != tm and not (rel.startswith("bin/") and m == 0o755):
            return "%s: mode %o, installer %o" % (rel, m, tm)
        if kind != "F":
            continue
        if rel.endswith(".dist-info/RECORD") and os.path.dirname(os.path.dirname(rel)) == SITE:
            record_t, record_o = os.path.join(REF, ref_of[rel]), os.path.join(ENV, rel)
            continue
        a = open(os.path.join(REF, ref_of[rel]), "rb").read()
        b = open(os.path.join(ENV, rel), "rb").read()
        if rel in launchers:
            mod, _, attr = launchers[rel].partition(":")
            text = b.decode("utf-8", "replace")
            if mod.strip() not in text or attr.strip().split(".")[0] not in text:
                return "%s: launcher does not name %s" % (rel, launchers[rel])
            continue
        if a != b:
            return "%s: bytes differ" % rel
    if not record_t:
        return "no RECORD"
    rt, ro = read_record(record_t), read_record(record_o)
    own = [k for k in ro if k.endswith(".dist-info/RECORD") and k.count("/") == 1]
    if len(own) != 1 or ro[own[0]] != ("", ""):
        return "RECORD does not list itself without hash"
    for rows in (rt, ro):
        for k in [k for k in rows if ours_only(k, "") or (k.endswith(".dist-info/RECORD") and k.count("/") == 1)]:
            del rows[k]
    if set(rt) != set(ro):
        return "RECORD paths differ: only installer's %s, only cinstall's %s" % (
            sorted(set(rt) - set(ro))[:4], sorted(set(ro) - set(rt))[:4])
    for k in rt:
        if os.path.normpath(os.path.join("lib/python%s/site-packages" % PYVER, k)) in launchers:
            continue
        if rt[k] != ro[k]:
            return "RECORD row %s: %s vs %s" % (k, rt[k], ro[k])
    return None

def run_cinstall(whl, mode):
    return subprocess.run([CINSTALL, "--python", ENV, "--link-mode=" + mode, whl],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

incompatible, results = [], []
for whl in [l.strip() for l in open(LIST) if l.strip()]:
    name = os.path.basename(whl)
    fresh_env()
    first = run_cinstall(whl, MODES[0])
    expect = suits(name)
    if "Sanitizer" in first.stdout or "runtime error:" in first.stdout:
        # Not a refusal: a sanitizer's report (its exit code may look like one).
        print("FAIL installer-%s: %s" % (name, " ".join(l for l in first.stdout.splitlines() if "Sanitizer" in l or "runtime error:" in l)[:300]))
        continue
    if first.returncode == 5:
        if expect and "Requires-Python" not in first.stdout and "requires" not in first.stdout.lower():
            print("FAIL installer-%s: cinstall calls it incompatible: %s" % (name, first.stdout.strip()))
        else:
            incompatible.append(name)
        continue
    if not expect:
        print("FAIL installer-%s: cinstall installs a wheel that does not suit python%s (exit %d)" % (name, PYVER, first.returncode))
        continue
    # pypa/installer, as `python -m installer --no-compile-bytecode WHEEL`.
    shutil.rmtree(REF, ignore_errors=True)
    os.rename(ENV, REF)
    fresh_env()
    try:
        installer.__main__._main([whl, "--no-compile-bytecode"], "python -m installer")
        theirs_err = None
    except BaseException as e:
        theirs_err = "%s: %s" % (type(e).__name__, e)
    os.rename(ENV, T + "/theirs"); os.rename(REF, ENV); os.rename(T + "/theirs", REF)
    if theirs_err or first.returncode != 0:
        if theirs_err and first.returncode != 0:
            print("ok installer-%s (both refuse it: %s)" % (name, first.stdout.strip().splitlines()[-1][:100]))
        elif theirs_err:
            print("skip installer-%s: pypa/installer refuses it (%s), cinstall installs it" % (name, theirs_err[:120]))
        else:
            print("skip installer-%s: cinstall refuses it (exit %d: %s), pypa/installer installs it" % (
                name, first.returncode, first.stdout.strip()[:160]))
        continue
    problem = compare(whl, MODES[0])
    for mode in MODES[1:]:
        if problem:
            break
        fresh_env()
        r = run_cinstall(whl, mode)
        problem = ("cinstall failed: " + r.stdout.strip()) if r.returncode else compare(whl, mode)
        if problem:
            problem = mode + ": " + problem
    if problem:
        print("FAIL installer-%s: %s" % (name, problem))
    else:
        print("ok installer-%s" % name)
if incompatible:
    print("skip installer-incompatible: %d wheels do not suit python%s here (tags, where cinstall's check "
          "agrees with an independent one, or Requires-Python): %s" % (len(incompatible), PYVER, " ".join(incompatible)))
PY

PYTHONPATH=$INSTALLER_PATH "$T/template/bin/python" -c 'import installer' 2>/dev/null ||
	{ fail installer-conformance "the venv's python cannot import installer"; exit 0; }
# The driver runs as a venv's python at $T/env (so sys.executable is the
# venv's, as `python -m installer` run there would have it).
cp -a "$T/template" "$T/env"
# Under a sanitizer every cinstall run is several times slower: one link
# mode there (the plain build runs all three).
if [ -n "${SANITIZE:-}" ] || ldd "$CINSTALL" 2>/dev/null | grep -q 'libasan\|libubsan\|libtsan'; then
	export CONFORMANCE_MODES=hardlink
	skip installer-modes "copy and symlink are compared in the plain build only (sanitizer build)"
fi
PYTHONPATH=$INSTALLER_PATH "$T/env/bin/python" "$T/driver.py" "$T" "$CINSTALL" "$T/wheels.txt" ||
	fail installer-conformance "the driver failed"
exit 0
