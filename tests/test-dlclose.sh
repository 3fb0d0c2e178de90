#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# A thread that used libwee_alloc exits after the program dlclosed the
# library (tests/dlclose.c): the library is linked -z nodelete, so its
# thread-exit hook is still there to run, and opening the library again
# finds the same heap, still consistent.
set -u

builddir=${top_builddir:-.}
la=$builddir/lib/libwee_alloc.la
[ -r "$la" ] || { echo "FAIL: cannot read $la (is the library built?)"; exit 1; }
dlname=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$la")
if [ -z "$dlname" ]; then
    echo "SKIP: no shared library was built (--disable-shared)"
    exit 77
fi
so=$(cd "$builddir/lib/.libs" && pwd)/$dlname
[ -r "$so" ] || { echo "FAIL: libtool says the shared library is $dlname, but $so is missing"; exit 1; }
prog=$builddir/tests/dlclose${EXEEXT:-}
[ -x "$prog" ] || { echo "FAIL: $prog is missing (is it built?)"; exit 1; }

if [ "${WEE_CROSS_TESTS:-no}" = yes ]; then
    exec "${SHELL:-/bin/sh}" "${top_srcdir:-.}/tests/runner.sh" "$prog" "$so"
fi
exec "$prog" "$so"
