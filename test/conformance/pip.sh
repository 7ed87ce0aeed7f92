#!/bin/sh
# test/conformance/pip.sh - what cinstall installs works for pip and Python:
# Debian's pip, setuptools and wheel wheels go into a venv with cinstall;
# then pip --version / list / show -f, importlib.metadata, every console
# script, `pip uninstall` of a cinstall-installed distribution, and
# `cinstall uninstall` leaving the venv exactly as it was.
. "$TOP/test/lib.sh"

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_CACHE_DIR=1 PIP_CONFIG_FILE=/dev/null
pipw=$(ls /usr/share/python-wheels/pip-*.whl 2>/dev/null | head -1)
stw=$(ls /usr/share/python-wheels/setuptools-*.whl 2>/dev/null | head -1)
whw=$(ls /usr/share/python-wheels/wheel-*.whl 2>/dev/null | head -1)
if [ -z "$pipw" ] || [ -z "$stw" ] || [ -z "$whw" ]; then
	skip pip-conformance "Debian's pip/setuptools/wheel wheels are missing (python3-pip-whl, python3-setuptools-whl, python3-wheel-whl)"
	exit 0
fi
V=$T/venv
if ! "$PYTHON" -m venv --without-pip "$V" 2>"$T/err"; then
	skip pip-conformance "cannot create a venv: $(head -1 "$T/err")"
	exit 0
fi
before=$(tree_digest "$V")
check pip-install-with-cinstall "$CINSTALL" --python "$V" --link-mode=hardlink "$pipw" "$stw" "$whw"

out=$("$V/bin/pip" --version 2>&1)
case $out in "pip "*"$V/lib/"*) ok pip-version ;; *) fail pip-version "$out" ;; esac
out=$("$V/bin/pip" list 2>&1)
if printf '%s\n' "$out" | grep -q '^pip ' && printf '%s\n' "$out" | grep -q '^setuptools ' &&
   printf '%s\n' "$out" | grep -q '^wheel '; then ok pip-list; else fail pip-list "$out"; fi
out=$("$V/bin/pip" show -f wheel 2>&1)
if printf '%s\n' "$out" | grep -q '^Installer: cinstall\|^Location: ' && printf '%s\n' "$out" | grep -q ' wheel/__init__.py$' &&
   printf '%s\n' "$out" | grep -q '\.\./\.\./\.\./bin/wheel$'; then ok pip-show-files; else fail pip-show-files "$out"; fi
if "$V/bin/python" - <<'PY'
import importlib.metadata as md, os, sys
for name in ("pip", "setuptools", "wheel"):
    d = md.distribution(name)
    files = d.files
    assert files, name
    missing = [f for f in files if not os.path.exists(f.locate())]
    assert not missing, (name, missing[:3])
    assert d.read_text("INSTALLER") == "cinstall\n", name
scripts = {ep.name for ep in md.entry_points(group="console_scripts")}
assert {"pip", "wheel"} <= scripts, scripts
PY
then ok importlib-metadata; else fail importlib-metadata "importlib.metadata does not see the installs"; fi

# Every console script runs.
for s in $("$V/bin/python" -c 'import importlib.metadata as md; print(" ".join(sorted({e.name for e in md.entry_points(group="console_scripts")})))'); do
	if "$V/bin/$s" --version > "$T/out" 2>&1 || "$V/bin/$s" --help > "$T/out" 2>&1; then
		ok "console-script-$s"
	else
		fail "console-script-$s" "$(head -3 "$T/out")"
	fi
done

# pip uninstalls what cinstall installed.
if "$V/bin/pip" uninstall -y wheel > "$T/out" 2>&1 && [ ! -e "$V/bin/wheel" ] &&
   ! ls "$V"/lib/python*/site-packages | grep -q '^wheel'; then
	ok pip-uninstall
else
	fail pip-uninstall "$(cat "$T/out")"
fi
# cinstall uninstall leaves the venv as it was (__pycache__ made by running pip included).
"$CINSTALL" uninstall --python "$V" pip setuptools > "$T/out" 2>&1 || fail cinstall-uninstall "$(cat "$T/out")"
after=$(tree_digest "$V")
if [ "$before" = "$after" ]; then
	ok cinstall-uninstall-restores
else
	fail cinstall-uninstall-restores "the venv differs: $(printf '%s\n' "$after" | grep -vxF "$before" | head -3)"
fi
exit 0
