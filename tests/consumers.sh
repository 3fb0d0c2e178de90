#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# consumers.sh - build a program against an INSTALLED wee_alloc, from outside
# the source and build trees, the ways a consumer does, and run it.
#
# Usage: consumers.sh [--system] PKGCONFIGDIR EXAMPLE.c
#
#   PKGCONFIGDIR  the directory holding the installed wee_alloc.pc; it is the
#                 only place pkg-config looks (PKG_CONFIG_LIBDIR), so no
#                 other copy of wee_alloc can be picked up by mistake
#   EXAMPLE.c     examples/hello.c, which checks its own results
#   --system      the library is installed where the dynamic loader looks by
#                 itself (a distribution package): run the programs without
#                 LD_LIBRARY_PATH
#
# The three ways, each reported as PASS, FAIL or SKIP:
#   shared   cc hello.c $(pkg-config --cflags --libs wee_alloc); the header
#            compiled in and the libwee_alloc.so.N loaded at run time (ldd)
#            must be the installed ones
#   static   cc -static hello.c $(pkg-config --static --cflags --libs
#            wee_alloc); the linker must take the installed libwee_alloc.a,
#            ldd must show no libwee_alloc.so and nm must find wee_malloc
#            inside the program.  SKIP when the C compiler cannot
#            link static programs at all (no static C library)
#   malloc   the malloc replacement library through its own pkg-config file,
#            wee_alloc_malloc.pc: a program that only calls malloc, calloc,
#            realloc and free is linked with $(pkg-config --cflags --libs
#            wee_alloc_malloc), must load the installed
#            libwee_alloc_malloc and its malloc and free must bind to it
#            (LD_DEBUG=bindings).  SKIP when the library was not built
#            (WEE_MALLOC=no) or only as a static archive (WEE_SHARED=no)
#   c++      a C++ program that includes wee_alloc.h, compiled as C++98 with
#            -pedantic -Wall -Wextra -Werror and linked with $(pkg-config
#            --cflags --libs wee_alloc): the header must be C++ as well as
#            C, its declarations extern "C".  SKIP when there is no C++
#            compiler ($CXX, default c++)
#
# Environment: CC (default cc), CXX (default c++), PKG_CONFIG (default
# pkg-config), NM (default nm); WEE_CROSS=yes when the programs cannot run
# here (every way SKIPs);
# WEE_SHARED=no or WEE_STATIC=no when configure was told not to build that
# kind of library (that way SKIPs; by default a missing library FAILs);
# WEE_MALLOC=yes when libwee_alloc_malloc was built, so that a missing
# wee_alloc_malloc.pc FAILs, no when it was not (the malloc way SKIPs);
# unset, the malloc way SKIPs when wee_alloc_malloc.pc is not installed.
# Ends with "consumers: N passed, N failed, N skipped"; exits 1 if a way
# failed, 0 otherwise.

set -u

system=no
if [ "${1-}" = --system ]; then
    system=yes
    shift
fi
if [ $# -ne 2 ]; then
    echo "usage: $0 [--system] PKGCONFIGDIR EXAMPLE.c" >&2
    exit 2
fi
pcdir=$1
example=$2
cc=${CC:-cc}
cxx=${CXX:-c++}
pkg_config=${PKG_CONFIG:-pkg-config}
nm_cmd=${NM:-nm}

passed=0
failed=0
skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
finish() {
    echo "consumers: $passed passed, $failed failed, $skipped skipped"
    if [ "$failed" -eq 0 ]; then
        exit 0
    fi
    exit 1
}

if [ "${WEE_CROSS:-no}" = yes ]; then
    for way in shared static malloc c++; do
        skip "$way: cross build, the programs cannot run on this machine"
    done
    finish
fi
if [ ! -f "$pcdir/wee_alloc.pc" ]; then
    fail "no wee_alloc.pc in $pcdir (is wee_alloc installed there?)"
    finish
fi
[ -r "$example" ] || { fail "cannot read $example"; finish; }

# Only the installation under test: no PKG_CONFIG_PATH, no default path.
PKG_CONFIG_LIBDIR=$pcdir
export PKG_CONFIG_LIBDIR
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR 2> /dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/wee-consumers.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
cp "$example" "$work/hello.c" || { fail "cannot copy $example"; finish; }
cd "$work" || exit 1

libdir=$($pkg_config --variable=libdir wee_alloc)
includedir=$($pkg_config --variable=includedir wee_alloc)
echo "Testing the wee_alloc $($pkg_config --modversion wee_alloc) installed in $libdir, $includedir"
if [ "$system" = yes ]; then
    run_env=
else
    run_env="LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# run LOG COMMAND...: run a command with its output in LOG; show LOG if it
# fails.
run() {
    log=$1
    shift
    echo "  \$ $*"
    if "$@" > "$log" 2>&1; then
        return 0
    fi
    sed 's/^/    /' "$log"
    return 1
}

# The first library of PROGRAM's that matches REGEX, as ldd names it.
needed() {
    # shellcheck disable=SC2086 # run_env is empty or one word
    env $run_env ldd "$2" 2> /dev/null | awk -v re="$1" '$1 ~ re { print $1; exit }'
}

# The file that the loader resolves LIBRARY to for PROGRAM, per ldd.
loaded() {
    # shellcheck disable=SC2086
    env $run_env ldd "$2" 2> /dev/null | awk -v lib="$1" '$1 == lib { print $3 }'
}

# Whether two paths name the same file.
same_file() {
    [ -n "$1" ] && [ -n "$2" ] && [ "$(readlink -f "$1")" = "$(readlink -f "$2")" ]
}


# 1. Shared, with pkg-config --cflags --libs.
if [ "${WEE_SHARED:-yes}" = no ]; then
    skip "shared: configured with --disable-shared"
elif ! cflags=$($pkg_config --cflags wee_alloc) || ! libs=$($pkg_config --libs wee_alloc); then
    fail "shared: pkg-config --cflags --libs wee_alloc failed"
else
    # shellcheck disable=SC2086
    header=$($cc -M $cflags hello.c 2> /dev/null | tr ' ' '\n' | grep '/wee_alloc\.h$' | head -n 1)
    # shellcheck disable=SC2086
    if ! run build-shared.log $cc hello.c $cflags $libs -o hello-shared; then
        fail "shared: cannot build hello.c"
    elif ! same_file "$header" "$includedir/wee_alloc.h"; then
        fail "shared: compiled with ${header:-no wee_alloc.h}, not $includedir/wee_alloc.h"
    else
        soname=$(needed '^libwee_alloc\.so' hello-shared)
        so=$(loaded "${soname:-libwee_alloc.so.0}" hello-shared)
        # shellcheck disable=SC2086
        if [ -z "$soname" ]; then
            fail "shared: hello-shared does not depend on libwee_alloc.so"
        elif ! same_file "$so" "$libdir/$soname"; then
            fail "shared: $soname resolves to ${so:-nothing}, not $libdir/$soname"
        elif ! run run-shared.log env $run_env ./hello-shared; then
            fail "shared: hello-shared failed"
        else
            pass "shared: built with $cflags $libs; runs with $so"
        fi
    fi
fi


# 2. Static, with pkg-config --static: a program with no libwee_alloc.so.
echo 'int main(void) { return 0; }' > trivial.c
if [ "${WEE_STATIC:-yes}" = no ]; then
    skip "static: configured with --disable-static"
elif ! $cc -static trivial.c -o trivial > /dev/null 2>&1; then
    skip "static: $cc cannot link any static program here (no static C library)"
elif ! cflags=$($pkg_config --static --cflags wee_alloc) ||
     ! libs=$($pkg_config --static --libs wee_alloc); then
    fail "static: pkg-config --static --cflags --libs wee_alloc failed"
elif [ ! -f "$libdir/libwee_alloc.a" ]; then
    fail "static: $libdir/libwee_alloc.a is not installed"
else
    # The linker's trace (-t) names the archive that it took wee_malloc
    # from, as a path or as path(member).
    # shellcheck disable=SC2086
    if ! run build-static.log $cc -static hello.c $cflags $libs -o hello-static -Wl,-t; then
        fail "static: cannot build hello.c with -static"
    elif archive=$(sed -n 's/^(*\([^()]*libwee_alloc\.a\).*/\1/p' build-static.log | head -n 1) &&
         ! same_file "$archive" "$libdir/libwee_alloc.a"; then
        fail "static: linked ${archive:-no libwee_alloc.a}, not $libdir/libwee_alloc.a"
    elif ldd hello-static 2>&1 | grep -q 'libwee_alloc'; then
        fail "static: hello-static still depends on libwee_alloc.so:"
        ldd hello-static 2>&1 | sed 's/^/    /'
    elif ! $nm_cmd hello-static | grep -q ' T wee_malloc$'; then
        fail "static: wee_malloc is not defined inside hello-static"
    elif ! run run-static.log ./hello-static; then
        fail "static: hello-static failed"
    else
        pass "static: built with -static $cflags $libs; ldd: $(ldd hello-static 2>&1 | head -n 1 | sed 's/^[[:space:]]*//')"
    fi
fi


# 3. The malloc replacement, through its own pkg-config file.
if [ "${WEE_MALLOC:-}" = no ]; then
    skip "malloc: libwee_alloc_malloc was not built (configure said no to --enable-malloc-replacement)"
elif [ ! -f "$pcdir/wee_alloc_malloc.pc" ] && [ "${WEE_MALLOC:-}" = yes ]; then
    fail "malloc: libwee_alloc_malloc was built, but $pcdir/wee_alloc_malloc.pc is not installed"
elif [ ! -f "$pcdir/wee_alloc_malloc.pc" ]; then
    skip "malloc: $pcdir/wee_alloc_malloc.pc is not installed (libwee_alloc_malloc, --enable-malloc-replacement, was not built)"
elif [ "${WEE_SHARED:-yes}" = no ]; then
    skip "malloc: configured with --disable-shared (the static link is tested by make check: tests/test-malloc-link-static.sh)"
elif ! cflags=$($pkg_config --cflags wee_alloc_malloc) ||
     ! libs=$($pkg_config --libs wee_alloc_malloc); then
    fail "malloc: pkg-config --cflags --libs wee_alloc_malloc failed"
else
    cat > uses-malloc.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *a = malloc(100), *b = calloc(10, 100), *c;
    size_t i;

    if (!a || !b)
        return 1;
    for (i = 0; i < 1000; i++)
        if (b[i] != 0)
            return 2;
    strcpy(a, "malloc replaced");
    c = realloc(a, 100000);
    if (!c || strcmp(c, "malloc replaced") != 0)
        return 3;
    free(c);
    free(b);
    puts("uses-malloc: ok");
    return 0;
}
EOF
    # shellcheck disable=SC2086
    if ! run build-malloc.log $cc uses-malloc.c $cflags $libs -o uses-malloc; then
        fail "malloc: cannot build a program with pkg-config --libs wee_alloc_malloc"
    else
        soname=$(needed '^libwee_alloc_malloc\.so' uses-malloc)
        so=$(loaded "${soname:-libwee_alloc_malloc.so}" uses-malloc)
        # shellcheck disable=SC2086
        if [ -z "$soname" ]; then
            fail "malloc: uses-malloc does not depend on libwee_alloc_malloc.so"
        elif ! same_file "$so" "$libdir/$soname"; then
            fail "malloc: $soname resolves to ${so:-nothing}, not $libdir/$soname"
        elif ! run run-malloc.log env $run_env LD_DEBUG=bindings ./uses-malloc; then
            fail "malloc: uses-malloc failed"
        elif ! grep -q "binding file ./uses-malloc .* to .*libwee_alloc_malloc\.so[.0-9]*.*: normal symbol \`malloc'" run-malloc.log ||
             ! grep -q "binding file ./uses-malloc .* to .*libwee_alloc_malloc\.so[.0-9]*.*: normal symbol \`free'" run-malloc.log; then
            fail "malloc: uses-malloc's malloc and free are not bound to $soname:"
            grep "symbol \`\(malloc\|free\)'" run-malloc.log | sed 's/^/    /'
        else
            pass "malloc: built with $cflags $libs; malloc and free bind to $so"
        fi
    fi
fi


# 4. From C++.
cat > uses-header.cc <<'EOF'
#include <cstdio>
#include <cstring>

#include <wee_alloc.h>

int main()
{
    char *p = static_cast<char *>(wee_malloc(100));
    struct wee_stats s;

    if (!p)
        return 1;
    std::strcpy(p, "from C++");
    p = static_cast<char *>(wee_realloc(p, 10000));
    if (!p || std::strcmp(p, "from C++") != 0)
        return 2;
    wee_stats(&s);
    if (s.in_use_bytes < 10000)
        return 3;
    wee_free(p);
    if (wee_check() != WEE_CHECK_OK)
        return 4;
    std::puts("uses-header: ok");
    return 0;
}
EOF
if [ "${WEE_SHARED:-yes}" = no ]; then
    skip "c++: configured with --disable-shared"
elif ! $cxx --version > /dev/null 2>&1; then
    skip "c++: no C++ compiler ($cxx; Debian: g++)"
elif ! cflags=$($pkg_config --cflags wee_alloc) || ! libs=$($pkg_config --libs wee_alloc); then
    fail "c++: pkg-config --cflags --libs wee_alloc failed"
else
    # shellcheck disable=SC2086
    if ! run build-c++.log $cxx -std=c++98 -pedantic -Wall -Wextra -Werror uses-header.cc \
            $cflags $libs -o uses-header; then
        fail "c++: cannot build a C++98 program that includes wee_alloc.h"
    elif ! run run-c++.log env $run_env ./uses-header; then
        fail "c++: uses-header failed"
    else
        pass "c++: built as C++98 with $cflags $libs; runs"
    fi
fi

finish
