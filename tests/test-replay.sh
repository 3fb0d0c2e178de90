#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# test-replay.sh [DIR...] - replay every DIR/*.trace with tests/replay, one
# process per trace so that each starts from an empty heap, and fail when a
# replay fails its checks or takes more than 2 x its peak live bytes plus
# 1 MiB from the backend.
#
# Without DIR: the traces shipped in tests/traces, and those in
# $WEE_TRACES_DIR when it names a directory (else it says they were
# skipped).  `make check` runs it through test-replay-shipped.sh and
# test-replay-shared.sh, one directory each, so that a SKIP shows.
#
# tests/replay is found in $top_builddir/tests (exported by `make check`),
# or else beside this script.
set -u

max_ratio=2
slack=1048576    # 1 MiB

here=$(dirname "$0")
if [ $# -eq 0 ]; then
    set -- "${top_srcdir:-$here/..}/tests/traces"
    if [ -n "${WEE_TRACES_DIR-}" ] && [ -d "$WEE_TRACES_DIR" ]; then
        set -- "$@" "$WEE_TRACES_DIR"
    else
        echo "test-replay: WEE_TRACES_DIR is not set to a directory;" \
             "the shared traces were skipped"
    fi
fi

if [ -n "${top_builddir-}" ]; then
    replay=$top_builddir/tests/replay
else
    replay=$here/replay
fi
if [ ! -x "$replay" ] && [ -x "$replay.exe" ]; then
    replay=$replay.exe
fi
if [ ! -x "$replay" ]; then
    echo "test-replay: FAIL: no replay program at $replay" >&2
    exit 1
fi

# The program runs through tests/runner.sh, so that a cross build runs it
# under node or wine; node's WASI wants absolute paths.
runner=$(cd "${top_srcdir:-$here/..}" && pwd)/tests/runner.sh

status=0
for dir in "$@"; do
    total=0
    failed=0
    dir=$(cd "$dir" && pwd) || exit 1
    for trace in "$dir"/*.trace; do
        [ -e "$trace" ] || continue
        total=$((total + 1))
        sh "$runner" "$replay" --max-ratio "$max_ratio" --slack "$slack" "$trace"
        rc=$?
        if [ "$rc" -eq 77 ]; then
            exit 77
        elif [ "$rc" -ne 0 ]; then
            echo "test-replay: FAIL: $trace (exit status $rc)" >&2
            failed=$((failed + 1))
        fi
    done
    if [ "$total" -eq 0 ]; then
        echo "test-replay: FAIL: no *.trace files in $dir" >&2
        status=1
        continue
    fi
    echo "test-replay: $total traces from $dir, $failed failed" \
         "(limit: backend bytes <= $max_ratio x peak live + $slack)"
    [ "$failed" -eq 0 ] || status=1
done
exit "$status"
