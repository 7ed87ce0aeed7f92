#!/bin/sh
# test/cli/hostile_install.sh - wheels that unpack but must not install, and
# hostile environments.  For every case: the documented exit code, a message
# naming the rule, nothing written outside the environment, and the
# environment (and, with --no-cache, the cache) byte for byte as before.
#
# The table is $FIXTURES/hostile_install.tsv (fixtures/gen_wheels.py,
# @hostile_install); the archive-level refusals are in hostile.tsv, checked
# by test/cli/unpack.sh.
. "$TOP/test/lib.sh"

if ! "$PYTHON" -m venv --without-pip "$T/env/venv" 2> "$T/venv.err"; then
	skip hostile_install.sh "cannot create a venv with $PYTHON: $(head -1 "$T/venv.err")"
	exit 0
fi
V=$T/env/venv
SP=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
C=$CINSTALL_CACHE_DIR
mkdir -p "$C" "$T/outside"

# The cache may gain verified entries (a refused install still unpacked a
# good archive), but never a partial one or a leftover temporary.
cache_clean() {
	[ -d "$C/v1/tmp" ] && [ -n "$(ls -A "$C/v1/tmp")" ] && return 1
	for e in "$C"/v1/wheels/*; do
		[ -e "$e" ] || continue
		[ -f "$e/MANIFEST" ] || return 1
	done
	return 0
}

tsv=$FIXTURES/hostile_install.tsv
rows=0
tab=$(printf '\t')
while IFS=$tab read -r wheel code regex options; do
	rows=$((rows + 1))
	w=$FIXTURES/hostile_install/$wheel
	# --no-cache: the environment, its parent and the cache all unchanged.
	env_before=$(tree_digest "$T/env"); cache_before=$(tree_digest "$C"); out_before=$(tree_digest "$T/outside")
	# shellcheck disable=SC2086
	expect_error "install-$wheel-nocache" "$code" "$regex" "$CINSTALL" --python "$V" --no-cache $options "$w"
	if [ "$env_before" = "$(tree_digest "$T/env")" ] && [ "$cache_before" = "$(tree_digest "$C")" ] &&
	   [ "$out_before" = "$(tree_digest "$T/outside")" ]; then
		ok "unchanged-$wheel-nocache"
	else
		fail "unchanged-$wheel-nocache" "the environment or the cache changed"
	fi
	# Through the cache: the environment unchanged, the cache clean.
	# shellcheck disable=SC2086
	expect_error "install-$wheel" "$code" "$regex" "$CINSTALL" --python "$V" $options "$w"
	if [ "$env_before" = "$(tree_digest "$T/env")" ] && cache_clean; then
		ok "unchanged-$wheel"
	else
		fail "unchanged-$wheel" "the environment changed or the cache holds a partial entry"
	fi
done < "$tsv"
[ "$rows" -ge 15 ] && ok hostile-install-table || fail hostile-install-table "only $rows rows in $tsv"

# ---- a directory in the environment replaced by a symlink ---------------
# Pointing outside: refused (exit 10), nothing written through it.
simple=$FIXTURES/simple-1.0-py3-none-any.whl
ln -s "$T/outside" "$SP/simple"
env_before=$(tree_digest "$T/env")
expect_error symlinked-dir-outside 10 "'$SP/simple' is a symbolic link leading out of the environment" \
	"$CINSTALL" --python "$V" "$simple"
[ -z "$(ls -A "$T/outside")" ] && ok symlinked-dir-nothing-outside || fail symlinked-dir-nothing-outside "$(ls "$T/outside")"
[ "$env_before" = "$(tree_digest "$T/env")" ] && ok symlinked-dir-env-unchanged || fail symlinked-dir-env-unchanged "the venv changed"
expect_error symlinked-dir-outside-nocache 10 "symbolic link leading out of the environment" \
	"$CINSTALL" --python "$V" --no-cache "$simple"
[ -z "$(ls -A "$T/outside")" ] && [ "$env_before" = "$(tree_digest "$T/env")" ] && ok symlinked-dir-nocache-unchanged ||
	fail symlinked-dir-nocache-unchanged "something was written"
# A relative link out (../../../../outside) is the same.
rm "$SP/simple"
ln -s "$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$T/outside" "$SP")" "$SP/simple"
expect_error symlinked-dir-relative 10 "symbolic link leading out" "$CINSTALL" --python "$V" "$simple"
[ -z "$(ls -A "$T/outside")" ] && ok symlinked-dir-relative-nothing-outside || fail symlinked-dir-relative-nothing-outside "$(ls "$T/outside")"
# Pointing inside the environment (as lib64 -> lib): followed, as pip does.
rm "$SP/simple"
mkdir "$SP/simple_real" && ln -s simple_real "$SP/simple"
if "$CINSTALL" --python "$V" "$simple" > "$T/out" 2>&1 && [ -f "$SP/simple_real/mod.py" ]; then
	ok symlinked-dir-inside
else
	fail symlinked-dir-inside "$(cat "$T/out")"
fi
"$CINSTALL" uninstall --python "$V" simple > /dev/null 2>&1
rm -rf "$SP/simple" "$SP/simple_real"

# ---- case-colliding names ------------------------------------------------
# On a case-sensitive filesystem both files are placed, each with its own
# bytes, as pip does; nothing is lost or mixed up.
"$PYTHON" - "$T/casecoll-1.0-py3-none-any.whl" <<'PY'
import base64, hashlib, sys, zipfile
files = {"casecoll/__init__.py": b"", "casecoll/Mod.py": b"x = 'upper'\n", "casecoll/mod.py": b"x = 'lower'\n",
         "casecoll-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: casecoll\nVersion: 1.0\n",
         "casecoll-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
rec = "".join("%s,sha256=%s,%d\n" % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d))
              for p, d in files.items()) + "casecoll-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for p, d in files.items():
        z.writestr(p, d)
    z.writestr("casecoll-1.0.dist-info/RECORD", rec)
PY
if "$CINSTALL" --python "$V" "$T/casecoll-1.0-py3-none-any.whl" > "$T/out" 2>&1 &&
   [ "$(cat "$SP/casecoll/Mod.py")" = "x = 'upper'" ] && [ "$(cat "$SP/casecoll/mod.py")" = "x = 'lower'" ]; then
	ok case-colliding-both-placed
else
	fail case-colliding-both-placed "$(cat "$T/out")"
fi
"$CINSTALL" uninstall --python "$V" casecoll > /dev/null 2>&1
[ ! -e "$SP/casecoll" ] && ok case-colliding-uninstalled || fail case-colliding-uninstalled "$(ls "$SP/casecoll")"

# ---- nothing ever landed outside ----------------------------------------
[ -z "$(ls -A "$T/outside")" ] && ok nothing-outside || fail nothing-outside "$(ls -A "$T/outside")"
for f in "$T/env/evil" "$T/evil" /tmp/evil "$V/evil"; do
	[ -e "$f" ] && fail "no-$f" "'$f' was written"
done
exit 0
