#!/bin/sh
# test/cli/install.sh - 'cinstall install', sync, uninstall as a user runs
# them: upgrade, rollback, re-runs, -r, --target, --prefix, --json, exit
# codes, refusals, and results that do not depend on -j.
. "$TOP/test/lib.sh"

# Wheels made for these tests: mkwheel OUT NAME VERSION [TAG] [key=value...]
# with files given as PATH=CONTENT (PATH relative to the wheel root;
# "@data/..." goes under <name>-<version>.data/), plus special keys
# requires=SPEC, entry=NAME:MOD:FUNC, badhash=PATH.
cat > "$T/mkwheel.py" <<'PY'
import base64, hashlib, sys, zipfile, os
out, name, version = sys.argv[1:4]
tag = "py3-none-any"
args = sys.argv[4:]
if args and "=" not in args[0]:
    tag = args.pop(0)
files, meta_extra, entries, badhash = {}, "", [], set()
for a in args:
    k, v = a.split("=", 1)
    if k == "requires":
        meta_extra += "Requires-Python: %s\n" % v
    elif k == "entry":
        entries.append(v.split(":"))
    elif k == "badhash":
        badhash.add(v)
    else:
        files[k.replace("@data", "%s-%s.data" % (name, version))] = v.replace("\\n", "\n").encode()
di = "%s-%s.dist-info" % (name, version)
files[di + "/METADATA"] = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s\n" % (name, version, meta_extra)).encode()
files[di + "/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: mkwheel\nRoot-Is-Purelib: true\nTag: %s\n" % tag).encode()
if entries:
    files[di + "/entry_points.txt"] = ("[console_scripts]\n" + "".join("%s = %s:%s\n" % tuple(e) for e in entries)).encode()
rec = []
for p, data in files.items():
    h = base64.urlsafe_b64encode(hashlib.sha256(data + (b"x" if p in badhash else b"")).digest()).rstrip(b"=").decode()
    rec.append("%s,sha256=%s,%d" % (p, h, len(data)))
rec.append(di + "/RECORD,,")
path = os.path.join(out, "%s-%s-%s.whl" % (name, version, tag))
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for p, data in files.items():
        zi = zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0))
        zi.external_attr = (0o755 if "/scripts/" in p else 0o644) << 16
        z.writestr(zi, data)
    z.writestr(di + "/RECORD", "\n".join(rec) + "\n")
print(path)
PY
mkwheel() { "$PYTHON" "$T/mkwheel.py" "$@"; }
W=$T/wheels
mkdir -p "$W"

venv_or_skip install.sh "$T/venv" || exit 0
V=$T/venv
SP=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
PY=$V/bin/python
ci() { "$CINSTALL" --python "$V" "$@"; }

demo1=$(mkwheel "$W" demo 1.0 'demo/__init__.py=VERSION = "1.0"\n' 'demo/only_v1.py=x = 1\n' \
	'@data/scripts/demo-run=#!python\nimport demo\nprint("run", demo.VERSION)\n' \
	'@data/scripts/plain.sh=#!/bin/sh\necho plain\n' \
	'@data/data/share/demo/readme.txt=data file\n' \
	'@data/headers/demo.h=int demo;\n' entry=demo-cli:demo:main)
demo2=$(mkwheel "$W" demo 2.0 'demo/__init__.py=VERSION = "2.0"\ndef main():\n    print("cli", VERSION)\n' \
	'demo/only_v2.py=x = 2\n' entry=demo-cli:demo:main)
mkdir -p "$W/bad" "$W/v3"
# v3 places demo/... and then trips over a directory where zzz_blocker goes.
demo3=$(mkwheel "$W/v3" demo 3.0 'demo/__init__.py=VERSION = "3.0"\n' 'zzz_blocker=not a directory\n')
other=$(mkwheel "$W" other 1.0 'other/__init__.py=O = 1\n')
third=$(mkwheel "$W" third_pkg 0.5 'third_pkg.py=T = 3\n')

# ---- install, metadata -------------------------------------------------
if ci --link-mode=hardlink "$demo1" > "$T/out" 2>&1; then ok install-v1; else fail install-v1 "$(cat "$T/out")"; fi
check import-v1 "$PY" -c 'import demo, sys; sys.exit(demo.VERSION != "1.0")'
grep -q 'Installed 1 package in' "$T/out" && ok summary-line || fail summary-line "$(cat "$T/out")"
if grep -q "$(printf '\033')" "$T/out"; then fail no-escapes "escape codes without a terminal"; else ok no-escapes; fi
DI=$SP/demo-1.0.dist-info
[ "$(cat "$DI/INSTALLER")" = cinstall ] && ok installer-file || fail installer-file "INSTALLER: $(cat "$DI/INSTALLER" 2>&1)"
[ -f "$DI/REQUESTED" ] && [ ! -s "$DI/REQUESTED" ] && ok requested || fail requested "no empty REQUESTED"
if "$PYTHON" - "$DI/direct_url.json" "$demo1" <<'PY'
import json, sys, hashlib, urllib.parse, os
d = json.load(open(sys.argv[1]))
h = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert d["archive_info"]["hashes"]["sha256"] == h, d
assert d["archive_info"]["hash"] == "sha256=" + h, d
assert urllib.parse.unquote(d["url"]) == "file://" + os.path.realpath(sys.argv[2]), d
PY
then ok direct-url; else fail direct-url "direct_url.json is wrong: $(cat "$DI/direct_url.json")"; fi
# The rewritten script runs with the venv's python; the plain one keeps its bytes.
[ "$(head -1 "$V/bin/demo-run")" = "#!$V/bin/python" ] && ok shebang-rewritten || fail shebang-rewritten "$(head -1 "$V/bin/demo-run")"
[ "$("$V/bin/demo-run")" = "run 1.0" ] && ok script-runs || fail script-runs "demo-run did not run"
[ "$(stat -c %a "$V/bin/plain.sh")" = 755 ] && [ "$("$V/bin/plain.sh")" = plain ] && ok plain-script || fail plain-script "mode $(stat -c %a "$V/bin/plain.sh")"
[ -x "$V/bin/demo-cli" ] && ok launcher-made || fail launcher-made "no bin/demo-cli"
[ "$(cat "$V/share/demo/readme.txt")" = "data file" ] && ok data-scheme || fail data-scheme "share/demo/readme.txt missing"
hdr=$(find "$V/include" -name demo.h | head -1)
case $hdr in */demo/demo.h) ok headers-scheme ;; *) fail headers-scheme "demo.h at '$hdr'" ;; esac
[ ! -e "$SP/demo-1.0.data" ] && ok data-dir-gone || fail data-dir-gone ".data left in site-packages"
# RECORD: every installed file, hashes right, RECORD itself without hash, scripts as ../../../bin.
record_rows() {
	"$PYTHON" - "$SP" "$DI/RECORD" <<'PY'
import csv, sys, os, hashlib, base64
sp, rec = sys.argv[1:]
rows = list(csv.reader(open(rec, newline="")))
paths = [r[0] for r in rows]
assert paths == sorted(paths), "not sorted"
assert "../../../bin/demo-run" in paths and "../../../bin/demo-cli" in paths, paths
assert "demo-1.0.dist-info/RECORD" in paths
for p, h, s in rows:
    f = os.path.normpath(os.path.join(sp, p))
    if p.endswith("/RECORD"):
        assert h == "" and s == "", (p, h, s)
        continue
    data = open(f, "rb").read()
    want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert h == want and int(s) == len(data), (p, h, want)
PY
}
if record_rows; then ok record-rows; else fail record-rows "RECORD does not describe the install"; fi

# ---- re-run, reinstall -------------------------------------------------
ci --json "$demo1" > "$T/j" 2>"$T/e"
"$PYTHON" -m json.tool "$T/j" > /dev/null 2>&1 && ok json-parses || fail json-parses "$(cat "$T/j")"
grep -q '"action": "unchanged"' "$T/j" && ok rerun-unchanged || fail rerun-unchanged "$(cat "$T/j")"
ci --json --reinstall "$demo1" > "$T/j" 2>&1
grep -q '"action": "replaced"' "$T/j" && ok reinstall || fail reinstall "$(cat "$T/j")"
check import-after-reinstall "$PY" -c 'import demo'
# Warm, the generated files' digests came from the cache entry's DIGESTS.
entry=$("$CINSTALL" unpack "$demo1" 2>/dev/null | head -1)
if [ -f "$entry/DIGESTS" ] && record_rows; then ok record-rows-warm; else fail record-rows-warm "entry '$entry'"; fi
# A digest damaged on disk: the checksum gives it away; 'cache verify'
# reports it, and an install ignores the file (RECORD is still right).
if [ -f "$entry/DIGESTS" ]; then
	cp "$entry/DIGESTS" "$T/digests.bak"
	"$PYTHON" - "$entry/DIGESTS" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
size, digest = lines[1].split(b" ")
lines[1] = size + b" " + (b"A" if digest[:1] != b"A" else b"B") + digest[1:]
open(p, "wb").write(b"\n".join(lines))
PY
	expect_error digests-verify-damage 9 "demo-1\.0-py3-none-any\.whl\): DIGESTS is malformed" "$CINSTALL" cache verify
	ci --reinstall "$demo1" > "$T/out" 2>&1
	if record_rows; then ok digests-damaged-ignored; else fail digests-damaged-ignored "$(cat "$T/out")"; fi
	cp "$T/digests.bak" "$entry/DIGESTS"
	check digests-verify-sound "$CINSTALL" cache verify
fi

# ---- upgrade -----------------------------------------------------------
ci "$demo2" > "$T/out" 2>&1 || fail upgrade "$(cat "$T/out")"
if [ ! -e "$SP/demo/only_v1.py" ] && [ -f "$SP/demo/only_v2.py" ] && [ ! -e "$SP/demo-1.0.dist-info" ] &&
   [ -d "$SP/demo-2.0.dist-info" ] && [ ! -e "$V/bin/demo-run" ] && [ ! -e "$V/share/demo" ]; then
	ok upgrade
else
	fail upgrade "v1 leftovers: $(ls "$SP" "$SP/demo" 2>&1 | tr '\n' ' ')"
fi
[ "$("$V/bin/demo-cli")" = "cli 2.0" ] && ok upgraded-launcher || fail upgraded-launcher "demo-cli: $("$V/bin/demo-cli" 2>&1)"

# ---- rollback: v3 fails midway, v2 comes back intact -------------------
mkdir -p "$SP/zzz_blocker" && echo keep > "$SP/zzz_blocker/stray"
before=$(tree_digest "$V")
expect_error rollback-fails 4 "zzz_blocker" ci "$demo3"
after=$(tree_digest "$V")
[ "$before" = "$after" ] && ok rollback-intact || fail rollback-intact "the venv changed"
check rollback-import "$PY" -c 'import demo, sys; sys.exit(demo.VERSION != "2.0")'
rm -rf "$SP/zzz_blocker"

# The same with a fault: link(2) fails with ENOSPC on the third file of an
# upgrade (test/shim/fault.c); v2 must be back intact.
SHIM=$BUILD/test/shim/fault.so
if [ -f "$SHIM" ]; then
	pre=$(asan_runtime)
	demo4=$(mkwheel "$W/v3" demo 4.0 'demo/__init__.py=VERSION = "4.0"\n' 'demo/a.py=a\n' 'demo/b.py=b\n' 'demo/c.py=c\n')
	before=$(tree_digest "$V")
	LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=link,linkat FAULT_ERRNO=ENOSPC FAULT_AFTER=2 FAULT_MATCH=site-packages \
		FAULT_REPORT="$T/faults" "$CINSTALL" --python "$V" --link-mode=hardlink "$demo4" > "$T/out" 2>&1
	rc=$?
	if [ ! -s "$T/faults" ]; then
		fail fault-rollback "the fault did not fire (rc $rc): $(cat "$T/out")"
	elif [ $rc -eq 4 ] && [ "$before" = "$(tree_digest "$V")" ]; then
		ok fault-rollback
	else
		fail fault-rollback "exit $rc, venv changed: $(cat "$T/out")"
	fi
else
	skip fault-rollback "no fault shim at $SHIM (make unit builds it)"
fi

# ---- sync, -r ----------------------------------------------------------
printf '# wheels\n%s\n\n%s  # trailing comment\n' "$other" "$third" > "$T/reqs.txt"
ci -r "$T/reqs.txt" > "$T/out" 2>&1 && [ -d "$SP/other" ] && [ -f "$SP/third_pkg.py" ] && ok requirement-file || fail requirement-file "$(cat "$T/out")"
"$CINSTALL" sync --python "$V" "$other" > "$T/out" 2>&1
if [ -d "$SP/other" ] && [ ! -e "$SP/third_pkg.py" ] && [ ! -e "$SP/demo" ] && ! ls "$SP" | grep -q 'demo-\|third_pkg-'; then
	ok sync
else
	fail sync "after sync: $(ls "$SP" | tr '\n' ' ') / $(cat "$T/out")"
fi
"$CINSTALL" sync --python "$V" "$other" "$demo2" > /dev/null 2>&1 && [ -d "$SP/demo" ] && ok sync-adds || fail sync-adds "demo not installed by sync"
expect_error sync-needs-wheels 2 "no wheel given" "$CINSTALL" sync --python "$V"
grep -q 'Uninstalled 2 packages' "$T/out" && ok sync-summary || fail sync-summary "$(cat "$T/out")"

# ---- uninstall ---------------------------------------------------------
before=$(tree_digest "$V")
ci "$third" > /dev/null 2>&1
"$CINSTALL" uninstall --python "$V" third-pkg > "$T/out" 2>&1
after=$(tree_digest "$V")
[ "$before" = "$after" ] && ok uninstall-restores || fail uninstall-restores "venv differs after install+uninstall: $(cat "$T/out")"
grep -q 'Uninstalled 1 package' "$T/out" && ok uninstall-summary || fail uninstall-summary "$(cat "$T/out")"
expect_error uninstall-missing 7 "not installed" "$CINSTALL" uninstall --python "$V" no-such-dist
# A RECORD naming paths outside the environment: refused, nothing removed.
for bad in /etc/passwd ../../../../../../x; do
	ci "$third" > /dev/null 2>&1
	echo "$bad,," >> "$SP/third_pkg-0.5.dist-info/RECORD"
	before=$(tree_digest "$V")
	expect_error "uninstall-refuses-$(basename "$bad")" 10 "outside the environment" "$CINSTALL" uninstall --python "$V" third_pkg
	[ "$before" = "$(tree_digest "$V")" ] && ok "uninstall-unchanged-$(basename "$bad")" || fail "uninstall-unchanged-$(basename "$bad")" "files were removed"
	[ -e /etc/passwd ] || fail uninstall-etc-passwd "/etc/passwd is gone"
	rm -rf "$SP/third_pkg-0.5.dist-info" "$SP/third_pkg.py"
done
# With --target, "../../x" leaves the target directory.
"$CINSTALL" --target "$T/tgt2" --python "$V" "$third" > /dev/null 2>&1
echo "../../x,," >> "$T/tgt2/third_pkg-0.5.dist-info/RECORD"
before=$(tree_digest "$T/tgt2")
expect_error uninstall-refuses-dotdot-target 10 "outside the environment" "$CINSTALL" uninstall --target "$T/tgt2" --python "$V" third_pkg
[ "$before" = "$(tree_digest "$T/tgt2")" ] && ok uninstall-unchanged-target || fail uninstall-unchanged-target "files were removed"
# A symlinked directory leading out of the environment.
mkdir -p "$T/outside" && echo secret > "$T/outside/secret.py"
ci "$third" > /dev/null 2>&1
ln -s "$T/outside" "$SP/link_out"
echo "link_out/secret.py,," >> "$SP/third_pkg-0.5.dist-info/RECORD"
expect_error uninstall-refuses-symlink 10 "symbolic link" "$CINSTALL" uninstall --python "$V" third_pkg
[ -f "$T/outside/secret.py" ] && ok symlink-target-kept || fail symlink-target-kept "a file outside was removed"
rm -rf "$SP/link_out" "$SP/third_pkg-0.5.dist-info" "$SP/third_pkg.py"
# No RECORD at all.
ci "$third" > /dev/null 2>&1
rm -f "$SP/third_pkg-0.5.dist-info/RECORD"
expect_error uninstall-no-record 7 "no RECORD" "$CINSTALL" uninstall --python "$V" third_pkg
rm -rf "$SP/third_pkg-0.5.dist-info" "$SP/third_pkg.py"

# ---- exit codes, nothing placed on failure -----------------------------
cp "$demo1" "$W/bad/"
printf 'garbage' > "$W/bad/broken-1.0-py3-none-any.whl"
badrec=$(mkwheel "$W/bad" badrec 1.0 'badrec/__init__.py=x\n' badhash=badrec/__init__.py)
win=$(mkwheel "$W/bad" winonly 1.0 cp36-cp36m-win_amd64 'winonly.py=x\n')
future=$(mkwheel "$W/bad" future 1.0 'future_pkg.py=x\n' 'requires=>=4')
unknown=$(mkwheel "$W/bad" unk 1.0 'unk.py=x\n' '@data/nosuch/file=x\n')
before=$(tree_digest "$V")
expect_error exit-bad-zip 3 "broken" ci "$W/bad/broken-1.0-py3-none-any.whl"
expect_error exit-record-mismatch 3 "sha256" ci "$badrec"
expect_error exit-incompatible-tag 5 "win_amd64" ci "$win"
expect_error exit-requires-python 5 ">=4" ci "$future"
expect_error exit-unknown-data-key 3 "nosuch" ci "$unknown"
expect_error exit-missing-wheel 7 "no-such" ci "$W/no-such-1.0-py3-none-any.whl"
expect_error exit-bad-filename 3 "" ci "$W/mkwheel.whl"
expect_error exit-missing-env 7 "" "$CINSTALL" --python "$T/no-such-venv" "$other"
expect_error exit-usage 2 "link mode" ci --link-mode=teleport "$other"
# A good wheel alongside a bad one: nothing is placed.
expect_error exit-mixed 3 "sha256" ci "$third" "$badrec"
[ "$before" = "$(tree_digest "$V")" ] && ok nothing-placed-on-failure || fail nothing-placed-on-failure "the venv changed"
check no-compat-check ci --no-compat-check "$win"
[ -f "$SP/winonly.py" ] && ok no-compat-placed || fail no-compat-placed "winonly.py missing"

# ---- conflicts ---------------------------------------------------------
mkdir -p "$W/c1" "$W/c2"
c1=$(mkwheel "$W/c1" clash_a 1.0 'clash/shared.py=a\n')
c2=$(mkwheel "$W/c2" clash_b 1.0 'clash/shared.py=b\n')
before=$(tree_digest "$V")
expect_error conflicts-error 6 "clash/shared.py" ci --conflicts=error "$c1" "$c2"
[ "$before" = "$(tree_digest "$V")" ] && ok conflicts-error-nothing-placed || fail conflicts-error-nothing-placed "the venv changed"
expect_error conflicts-warn 0 "warning: .*clash/shared.py" ci "$c1" "$c2"

# Two wheels shipping the same file with the same bytes (a namespace
# package's __init__.py): no conflict, no failure, whichever lands first.
ns1=$(mkwheel "$W/c1" ns_a 1.0 'nsx/__init__.py=# ns\n' 'nsx/a.py=A = 1\n')
ns2=$(mkwheel "$W/c2" ns_b 1.0 'nsx/__init__.py=# ns\n' 'nsx/b.py=B = 1\n')
for i in 1 2 3; do
	"$PYTHON" -m venv --without-pip "$T/nsv$i"
	"$CINSTALL" --python "$T/nsv$i" -j 2 --link-mode=hardlink "$ns1" "$ns2" > "$T/out" 2>&1 || break
done
if grep -q 'warning\|error' "$T/out" || ! "$T/nsv$i/bin/python" -c 'import nsx.a, nsx.b' 2>/dev/null; then
	fail shared-identical-file "$(cat "$T/out")"
else
	ok shared-identical-file
fi

# ---- --target, --prefix, --no-cache, --compile-bytecode ----------------
"$CINSTALL" --target "$T/tgt" --python "$V" "$demo2" > "$T/out" 2>&1
[ -f "$T/tgt/demo/__init__.py" ] && [ -d "$T/tgt/demo-2.0.dist-info" ] && ok target || fail target "$(cat "$T/out"; ls -R "$T/tgt" 2>&1 | head)"
"$CINSTALL" --prefix "$T/pfx" --python "$PY" "$other" > "$T/out" 2>&1
found=$(find "$T/pfx" -name __init__.py -path '*other*' | head -1)
[ -n "$found" ] && ok prefix || fail prefix "$(cat "$T/out")"
"$PYTHON" -m venv --without-pip "$T/v2"
"$CINSTALL" --python "$T/v2" --no-cache "$demo1" > "$T/out" 2>&1 && [ -f "$T/v2/bin/demo-run" ] &&
	! ls -a "$T/v2" | grep -q cinstall && ok no-cache || fail no-cache "$(cat "$T/out")"
# --no-cache moves the tree's files into place: entry points must still
# become launchers (they were read before placing).
if [ -x "$T/v2/bin/demo-cli" ] && grep -q '^\.\./\.\./\.\./bin/demo-cli,' "$T"/v2/lib/python3*/site-packages/demo-1.0.dist-info/RECORD; then
	ok no-cache-launchers
else
	fail no-cache-launchers "no bin/demo-cli after --no-cache: $(ls "$T/v2/bin")"
fi
CINSTALL_COMPILE_BYTECODE=1 "$CINSTALL" --python "$T/v2" --reinstall "$demo2" > "$T/out" 2>&1
pyc=$(find "$T/v2" -name '__init__*.pyc' -path '*demo/__pycache__*' | head -1)
if [ -n "$pyc" ] && grep -q "demo/__pycache__/__init__" "$(dirname "$(dirname "$pyc")")/../demo-2.0.dist-info/RECORD"; then
	ok compile-bytecode
else
	fail compile-bytecode "no .pyc in RECORD: $(cat "$T/out")"
fi
before=$(tree_digest "$T/v2")
"$CINSTALL" uninstall --python "$T/v2" demo > /dev/null 2>&1
find "$T/v2" -path '*demo*' | grep -q . && fail uninstall-pyc "demo files left: $(find "$T/v2" -path '*demo*' | head -3)" || ok uninstall-pyc

# ---- on a terminal: a progress bar, erased; NO_COLOR: no escape codes ---
if command -v script > /dev/null 2>&1; then
	esc=$(printf '\033')
	out=$(env -u CI -u NO_COLOR script -qec "'$CINSTALL' --python '$V' --reinstall '$demo2'" /dev/null 2>&1)
	if printf '%s' "$out" | grep -q "${esc}\[K" && printf '%s' "$out" | grep -q 'Installed 1 package in'; then
		ok tty-progress-bar
	else
		fail tty-progress-bar "no bar or no summary on a terminal: $(printf '%s' "$out" | od -c | head -3)"
	fi
	out=$(env -u CI NO_COLOR=1 script -qec "'$CINSTALL' --python '$V' --reinstall '$demo2'" /dev/null 2>&1)
	if printf '%s' "$out" | grep -q "$esc"; then
		fail tty-no-color "escape codes with NO_COLOR"
	elif printf '%s' "$out" | grep -q 'Installed 1 package in'; then
		ok tty-no-color
	else
		fail tty-no-color "no summary: $out"
	fi
	out=$(env -u CI script -qec "'$CINSTALL' -q --python '$V' --reinstall '$demo2'" /dev/null 2>&1)
	[ -z "$out" ] && ok tty-quiet || fail tty-quiet "-q printed: $out"
else
	skip tty-progress-bar "script(1) is not installed (util-linux)"
fi

# ---- the same results with -j1 and -j4 ---------------------------------
set -- "$demo1" "$other" "$third" "$c1"
for j in 1 4; do
	rm -rf "$T/jv"
	"$PYTHON" -m venv --without-pip "$T/jv"
	"$CINSTALL" --python "$T/jv" -j $j --json "$@" > "$T/json$j" 2>/dev/null
	tree_digest "$T/jv" > "$T/digest$j"
	sed 's/"elapsed_ms": [0-9.]*//' "$T/json$j" > "$T/json$j.s"
done
cmp -s "$T/digest1" "$T/digest4" && ok jobs-same-tree || fail jobs-same-tree "trees differ between -j1 and -j4"
cmp -s "$T/json1.s" "$T/json4.s" && ok jobs-same-report || fail jobs-same-report "reports differ between -j1 and -j4"
exit 0
