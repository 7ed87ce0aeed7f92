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

venv_or_skip hostile_install.sh "$T/env/venv" || exit 0
V=$T/env/venv
SP=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
C=$CINSTALL_CACHE_DIR
mkdir -p "$C" "$T/outside"
# The cache starts with one good entry: refusals must leave it as it is.
"$CINSTALL" unpack "$FIXTURES/simple-1.0-py3-none-any.whl" > /dev/null 2>&1 ||
	fail cache-seed "cannot unpack simple-1.0 into $C"

# Never a partial entry or a leftover temporary in the cache.
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
	# Through the cache: the environment and the cache unchanged (every
	# rule is judged before the cache entry is published).
	cache_before=$(tree_digest "$C")
	# shellcheck disable=SC2086
	expect_error "install-$wheel" "$code" "$regex" "$CINSTALL" --python "$V" $options "$w"
	if [ "$env_before" = "$(tree_digest "$T/env")" ] && [ "$cache_before" = "$(tree_digest "$C")" ] && cache_clean; then
		ok "unchanged-$wheel"
	else
		fail "unchanged-$wheel" "the environment or the cache changed"
	fi
done < "$tsv"
[ "$rows" -ge 14 ] && ok hostile-install-table || fail hostile-install-table "only $rows rows in $tsv"

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
# "Data.py" and "data.py" are one file on macOS, Windows and exFAT: refused
# everywhere (exit 3), so a wheel installs the same on every filesystem;
# nothing placed, nothing cached (the table's casecoll* rows cover the
# variants; this one goes through a venv with the cache).
env_before=$(tree_digest "$T/env"); cache_before=$(tree_digest "$C")
expect_error case-colliding-refused 3 "'casecoll/data\\.py': name differs only in case from 'casecoll/Data\\.py'" \
	"$CINSTALL" --python "$V" "$FIXTURES/hostile/casecoll-1.0-py3-none-any.whl"
[ "$env_before" = "$(tree_digest "$T/env")" ] && [ "$cache_before" = "$(tree_digest "$C")" ] &&
	ok case-colliding-nothing-changed || fail case-colliding-nothing-changed "the venv or the cache changed"

# ---- nothing ever landed outside ----------------------------------------
[ -z "$(ls -A "$T/outside")" ] && ok nothing-outside || fail nothing-outside "$(ls -A "$T/outside")"
for f in "$T/env/evil" "$T/evil" /tmp/evil "$V/evil"; do
	[ -e "$f" ] && fail "no-$f" "'$f' was written"
done
exit 0
