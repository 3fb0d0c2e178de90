#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# Run tests/test-nolibc (wasm32-unknown-none) through tests/runner.sh with
# the traces shipped in tests/traces and, when WEE_TRACES_DIR names a
# directory, the shared traces there.  Paths are made absolute for node.
set -u

here=$(dirname "$0")
srcdir=$(cd "${top_srcdir:-$here/..}" && pwd)
program=${top_builddir:-.}/tests/test-nolibc

set --
for trace in "$srcdir"/tests/traces/*.trace; do
    [ -e "$trace" ] && set -- "$@" "$trace"
done
if [ -n "${WEE_TRACES_DIR-}" ] && [ -d "$WEE_TRACES_DIR" ]; then
    shared=$(cd "$WEE_TRACES_DIR" && pwd)
    for trace in "$shared"/*.trace; do
        [ -e "$trace" ] && set -- "$@" "$trace"
    done
else
    echo "test-nolibc: WEE_TRACES_DIR is not set to a directory; the shared" \
         "traces are not replayed"
fi
exec sh "$srcdir/tests/runner.sh" "$program" "$@"
