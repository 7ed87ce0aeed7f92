#!/bin/sh
# test/cli/api_docs.sh - the manuals and the README say what the code does:
# every option, environment variable and exit code of the command is in
# cinstall(1) and nothing there is made up; every function, code and flag of
# the header is in libcinstall(3); the example in libcinstall(3) compiles;
# every option and make target the README names exists.
. "$TOP/test/lib.sh"
man1=$TOP/man/cinstall.1
man3=$TOP/man/libcinstall.3
readme=$TOP/README.md
hdr=$TOP/include/cinstall.h

# Long options from the command's getopt tables (and the common ones).
sed -n 's/.*{ *"\([a-z][a-z-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' \
	"$TOP"/src/cli/*.c "$TOP"/src/cli/cli.h | sort -u > "$T/opts-src"
# Long options cinstall(1) documents: the \-name tokens of macro lines
# using Fl (".It Fl j , \-jobs Ar n", ".Fl \-link-mode Ns = Ns Cm copy").
grep '^\..*Fl ' "$man1" | grep -o '\\-[a-z][a-z-]*' | sed 's/^\\-//' | sort -u > "$T/opts-man"
# --version is handled by main() outside getopt.
echo version >> "$T/opts-src"
sort -u -o "$T/opts-src" "$T/opts-src"

if [ "$(wc -l < "$T/opts-src")" -lt 10 ]; then
	fail docs.options-found "only $(wc -l < "$T/opts-src") long options found in src/cli"
fi
undocumented=$(comm -23 "$T/opts-src" "$T/opts-man" | tr '\n' ' ')
if [ -z "$undocumented" ]; then ok docs.man1-every-option; else fail docs.man1-every-option "not in cinstall(1): $undocumented"; fi
invented=$(comm -13 "$T/opts-src" "$T/opts-man" | tr '\n' ' ')
if [ -z "$invented" ]; then ok docs.man1-no-invented-option; else fail docs.man1-no-invented-option "in cinstall(1) but not in src/cli: $invented"; fi

# Every command of the usage text has its entry in COMMANDS.
missing=
for cmd in install sync uninstall unpack cache; do
	"$CINSTALL" --help 2>&1 | grep -q "cinstall $cmd " || missing="$missing $cmd(not in --help)"
	grep -q "^\.It Nm Cm $cmd" "$man1" || missing="$missing $cmd"
done
for verb in dir info clean prune verify; do
	grep -q "^\.It Cm $verb\$" "$man1" || missing="$missing cache-$verb"
done
if [ -z "$missing" ]; then ok docs.man1-commands; else fail docs.man1-commands "missing:$missing"; fi

# Every environment variable the code reads is documented (the library's
# in either page, the command's in cinstall(1)); the brief's list too.
grep -ho 'getenv("[A-Z_]*")' "$TOP"/src/*.c "$TOP"/src/cli/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u > "$T/env-src"
missing=
for v in $( (cat "$T/env-src"; echo CINSTALL_CACHE_DIR CINSTALL_LINK_MODE CINSTALL_NO_SYMLINKS \
	CINSTALL_LOCK_TIMEOUT CINSTALL_COMPILE_BYTECODE VIRTUAL_ENV XDG_CACHE_HOME NO_COLOR CI) | tr ' ' '\n' | sort -u); do
	case $v in HOME|PATH|TMPDIR) continue ;; esac
	grep -q "^\.It Ev $v\$" "$man1" || missing="$missing $v"
done
if [ -z "$missing" ]; then ok docs.man1-environment; else fail docs.man1-environment "not in ENVIRONMENT:$missing"; fi

# Every exit code of src/cli/cli.h is in EXIT STATUS, with nothing extra.
sed -n 's/^[[:space:]]*EXIT_[A-Z]* = \([0-9]*\).*/\1/p' "$TOP/src/cli/cli.h" | sort -n > "$T/exit-src"
awk '/^\.Sh EXIT STATUS/ { f = 1; next } /^\.Sh/ { f = 0 } f && /^\.It [0-9]+$/ { print $2 }' "$man1" | sort -n > "$T/exit-man"
if [ -s "$T/exit-src" ] && cmp -s "$T/exit-src" "$T/exit-man"; then
	ok docs.man1-exit-codes
else
	fail docs.man1-exit-codes "cli.h has $(tr '\n' ' ' < "$T/exit-src"), cinstall(1) $(tr '\n' ' ' < "$T/exit-man")"
fi

# Every link mode is described.
missing=
for m in auto clone hardlink symlink copy; do
	awk '/^\.Sh LINK MODES/ { f = 1; next } /^\.Sh/ { f = 0 } f' "$man1" | grep -q "^\.It Cm $m\$" || missing="$missing $m"
done
if [ -z "$missing" ]; then ok docs.man1-link-modes; else fail docs.man1-link-modes "missing:$missing"; fi

# libcinstall(3): every function, error code and flag of the header.
sed -n 's/^CINSTALL_API[^(]*[ *]\(cinstall_[a-z0-9_]*\)(.*/\1/p' "$hdr" | sort -u > "$T/fn-hdr"
missing=
for f in $(cat "$T/fn-hdr"); do
	grep -Eq "^\.(Fn|Fo) $f( |\$)" "$man3" || missing="$missing $f"
done
if [ -s "$T/fn-hdr" ] && [ -z "$missing" ]; then ok docs.man3-every-function; else fail docs.man3-every-function "not in SYNOPSIS:$missing"; fi
missing=
for d in $(grep -o 'CINSTALL_\(E[A-Z]*\|ERROR\|OPT_[A-Z][A-Z_]*\|INSTALL_[A-Z][A-Z_]*\|LINK_[A-Z][A-Z]*\)\b' "$hdr" | sort -u); do
	case $d in *_INIT) continue ;; esac
	grep -q "Dv $d\b" "$man3" || missing="$missing $d"
done
if [ -z "$missing" ]; then ok docs.man3-codes-and-flags; else fail docs.man3-codes-and-flags "not in libcinstall(3):$missing"; fi

# The example of libcinstall(3) compiles against the header.
awk '/^\.Sh EXAMPLES/ { e = 1 } e && /^\.Bd -literal/ { f = 1; next } f && /^\.Ed/ { exit } f' "$man3" |
	sed 's/\\e/\\/g' > "$T/example.c"
if [ ! -s "$T/example.c" ]; then
	fail docs.man3-example-compiles "no literal block under EXAMPLES"
elif cc -std=c11 -pedantic -Wall -Wextra -Werror -Wno-missing-prototypes -I"$TOP/include" -c \
	-o "$T/example.o" "$T/example.c" 2> "$T/cc.log"; then
	ok docs.man3-example-compiles
else
	fail docs.man3-example-compiles "$(head -5 "$T/cc.log")"
fi

# The README: every --option it names exists, every `make TARGET` is a
# target of the Makefile, and the files it tells people to run exist.
if [ ! -f "$readme" ]; then
	fail docs.readme "README.md is missing"
else
	bad=
	for o in $(grep -o -- '--[a-z][a-z-]*' "$readme" | sort -u); do
		n=${o#--}
		case $n in
		without-pip|disable-pip-version-check|cflags|libs|static|modversion|version|help|keep) continue ;; # python, pip, pkg-config, demo.sh
		esac
		grep -qx "$n" "$T/opts-src" || bad="$bad $o"
	done
	if [ -z "$bad" ]; then ok docs.readme-options; else fail docs.readme-options "not options of cinstall:$bad"; fi
	bad=
	targets=$(sed -n 's/^\.PHONY: *//p' "$TOP/Makefile")
	for t in $(grep -o 'make [a-z][a-z-]*' "$readme" | awk '{ print $2 }' | sort -u); do
		case " $targets " in *" $t "*) ;; *) bad="$bad $t" ;; esac
	done
	if [ -z "$bad" ]; then ok docs.readme-make-targets; else fail docs.readme-make-targets "not make targets:$bad"; fi
	bad=
	for f in examples/demo.sh .ci/check.sh .ci/run examples/embed.c examples/python/cinstall_ctypes.py \
		bench/run.sh; do
		grep -q "$f" "$readme" || bad="$bad $f(not mentioned)"
		[ -e "$TOP/$f" ] || bad="$bad $f(missing)"
	done
	if [ -z "$bad" ]; then ok docs.readme-files; else fail docs.readme-files "$bad"; fi
fi
