#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The ABI of the shared library is the one committed in abi/, or the
# libtool version says that it changed.
#
#   abi/libwee_alloc.abi      abidw's description of libwee_alloc.so
#   abi/libwee_alloc.version  the -version-info CURRENT:REVISION:AGE of the
#                             library it describes
#
# PASS when abidiff finds no difference between abi/libwee_alloc.abi and the
# library just built (its functions and the types that the installed headers
# define; opaque types are not looked into), and the library's CURRENT and
# AGE are those of abi/libwee_alloc.version (REVISION may move: it counts
# changes of the code, not of the interface).  FAIL in every other case:
#   - the ABI changed and CURRENT:AGE did not: follow the rules next to
#     WEE_LT_CURRENT in configure.ac;
#   - CURRENT:AGE changed (with or without an ABI change): the baseline is
#     out of date.  Run `make abi-baseline` in a build directory (it runs
#     this script with --update, which rewrites both files) and commit abi/.
#
# With --update, writes both files from the library just built instead.
#
# SKIPs (77) when abigail-tools (abidw, abidiff) or readelf is missing, when
# no ELF shared library was built, when it has no debug information (abidw
# needs DWARF to see types), or when it is for another architecture than the
# baseline (sizes differ, e.g. on 32-bit hosts).

set -u

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
baseline=$srcdir/abi/libwee_alloc.abi
version_file=$srcdir/abi/libwee_alloc.version
la=$builddir/lib/libwee_alloc.la

update=no
if [ "${1-}" = --update ]; then
    update=yes
fi

fail() {
    echo "FAIL: $*"
    exit 1
}

# A reason not to compare: SKIP in a test, an error when asked to update.
skip() {
    if [ "$update" = yes ]; then
        fail "cannot write the ABI baseline: $*"
    fi
    echo "SKIP: $*"
    exit 77
}

for tool in abidw abidiff readelf; do
    command -v "$tool" > /dev/null 2>&1 ||
        skip "$tool is not installed (Debian: apt-get install abigail-tools binutils)"
done
[ -r "$la" ] || fail "cannot read $la (is the library built?)"

dlname=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$la")
[ -n "$dlname" ] || skip "no shared library was built (see dlname in $la)"
so=$builddir/lib/.libs/$dlname
[ -r "$so" ] || fail "libtool says the shared library is $dlname, but $so is missing"
magic=$(od -An -c -N4 "$so" | tr -d ' ')
[ "$magic" = '177ELF' ] || skip "$so is not an ELF file"
LC_ALL=C readelf -S "$so" | grep -q '\.z*debug_info' ||
    skip "$so has no debug information (build with -g, as configure does by default)"

# The library's libtool version, as libtool recorded it.
la_var() {
    sed -n "s/^$1=\([0-9]*\)\$/\1/p" "$la"
}
current=$(la_var current)
revision=$(la_var revision)
age=$(la_var age)
if [ -z "$current" ] || [ -z "$revision" ] || [ -z "$age" ]; then
    fail "cannot read current, revision and age from $la"
fi
built_version=$current:$revision:$age

tmp=${TMPDIR:-/tmp}/wee-abi.$$
trap 'rm -f "$tmp".*' EXIT
trap 'exit 1' HUP INT TERM

# Only what a program can see: no paths or line numbers that change with
# every build, no declarations of the C library's functions, and only the
# types that the installed headers define.  A type defined in the library's
# own sources, such as struct wee_heap behind the opaque wee_heap, is kept
# as a bare declaration: its layout is private and differs between
# configurations (size classes on or off), which is no change of the ABI.
abidw --no-corpus-path --no-comp-dir-path --no-show-locs --short-locs \
    --drop-undefined-syms --type-id-style hash \
    --header-file "$srcdir/include/wee_alloc.h" \
    --header-file "$builddir/include/wee_alloc_config.h" --drop-private-types \
    --out-file "$tmp.abi" "$so" ||
    fail "abidw $so failed"
architecture() {
    sed -n "s/^<abi-corpus .*architecture='\([^']*\)'.*/\1/p" "$1" | head -n 1
}
built_arch=$(architecture "$tmp.abi")

if [ "$update" = yes ]; then
    cp "$tmp.abi" "$baseline" || fail "cannot write $baseline"
    {
        echo "# The libtool -version-info (CURRENT:REVISION:AGE) of the library"
        echo "# that libwee_alloc.abi describes.  Written by make abi-baseline"
        echo "# (tests/test-abi.sh --update); see PACKAGERS."
        echo "$built_version"
    } > "$version_file" || fail "cannot write $version_file"
    echo "Wrote $baseline ($built_arch, $dlname) and $version_file ($built_version)."
    exit 0
fi

[ -r "$baseline" ] || fail "cannot read $baseline"
[ -r "$version_file" ] || fail "cannot read $version_file"
base_version=$(grep -v '^#' "$version_file" | head -n 1)
case $base_version in
    '' | *[!0-9:]* | *::* | :* | *:) base_version=bad ;;
esac
# REVISION (the second field) is not part of the interface.
IFS=: read -r base_current _ base_age extra <<EOF
$base_version
EOF
if [ -z "${base_age-}" ] || [ -n "${extra-}" ]; then
    fail "$version_file: expected CURRENT:REVISION:AGE, found '$base_version'"
fi
base_arch=$(architecture "$baseline")
[ "$built_arch" = "$base_arch" ] ||
    skip "the baseline describes $base_arch, this library is $built_arch"

echo "Baseline: $baseline, libtool version $base_version ($base_arch)."
echo "Built:    $so, libtool version $built_version."
# Both sides as abidw described them above, so that the same types are left out.
abidiff "$baseline" "$tmp.abi" > "$tmp.diff" 2>&1
status=$?
cat "$tmp.diff"
# abidiff's exit status is a bit set: 1 error, 2 usage error, 4 the ABI
# changed, 8 the change is incompatible.
if [ $((status & 3)) -ne 0 ]; then
    fail "abidiff could not compare (exit $status)"
fi

refresh="then run 'make abi-baseline' in the build directory and commit abi/ (see PACKAGERS)"
if [ "$current:$age" != "$base_current:$base_age" ]; then
    if [ "$status" -eq 0 ]; then
        fail "the libtool version moved from $base_version to $built_version but the ABI did not change: undo the change of CURRENT or AGE in configure.ac, or, if the baseline is older than the library, $refresh"
    fi
    fail "the ABI changed and the libtool version moved from $base_version to $built_version: check the new version against the rules next to WEE_LT_CURRENT in configure.ac, $refresh"
fi
if [ "$status" -ne 0 ]; then
    if [ $((status & 8)) -ne 0 ]; then
        kind="incompatibly (programs built against the baseline may break)"
    else
        kind="(abidiff reports it above)"
    fi
    fail "the ABI changed $kind but the libtool version is still $built_version: update WEE_LT_CURRENT, WEE_LT_REVISION and WEE_LT_AGE in configure.ac by the rules written there, $refresh"
fi
echo "PASS: the ABI is the baseline's and the libtool version is $built_version."
exit 0
