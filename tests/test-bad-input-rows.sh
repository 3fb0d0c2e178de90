#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# test-bad-input-rows.sh - tests/test-bad-input on hosts where it cannot
# fork a child per row (Windows under wine, wasm32 under node, with WASI
# or without a C library): this script starts one process per row
# instead, through tests/runner.sh, and judges it as test-bad-input's
# parent does elsewhere:
#   - a row that returns must exit with status 0;
#   - a row that aborts must end as an abort does on its host (status 3
#     on Windows, 134 under node, as for SIGABRT natively), and its
#     standard error must hold the library's message, which begins as
#     the row said on its standard output ("expect: ...");
#   - where the library has nowhere to write that message (no C library
#     or no OS, and no extra assertions), the row says "expect-trap: ..."
#     instead, and the abort must be the library's trap, which the runner
#     names (wasm's unreachable in tests/run-wasm.mjs, ARM's udf in
#     tests/run-cortex-m.sh), not a crash such as a memory access out of
#     bounds.
# The rows are README.md's "What happens when..." table (test-bad-input.c).
#
# tests/test-bad-input is found in $top_builddir/tests (exported by `make
# check`), or else beside this script.
set -u

here=$(dirname "$0")
if [ -n "${top_builddir-}" ]; then
    prog=$top_builddir/tests/test-bad-input
else
    prog=$here/test-bad-input
fi
if [ ! -x "$prog" ] && [ -x "$prog.exe" ]; then
    prog=$prog.exe
fi
if [ ! -x "$prog" ]; then
    echo "test-bad-input-rows: FAIL: no test-bad-input program at $prog" >&2
    exit 1
fi
runner=$(cd "${top_srcdir:-$here/..}" && pwd)/tests/runner.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bad-input.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

row=0
run=0
failed=0
skipped=0
while :; do
    sh "$runner" "$prog" "$row" > "$tmp/out.raw" 2> "$tmp/err.raw"
    rc=$?
    [ "$rc" -eq 77 ] && exit 77      # no runner for this host
    # Windows writes text with CR LF.
    tr -d '\r' < "$tmp/out.raw" > "$tmp/out"
    tr -d '\r' < "$tmp/err.raw" > "$tmp/err"
    first=$(sed -n 1p "$tmp/out")
    name=${first#*: }
    verdict=
    trap_only=
    case $first in
        "no such row"*)
            if [ "$rc" -ne 2 ]; then
                echo "FAIL: exit status $rc past the last row, $row"
                failed=$((failed + 1))
            fi
            break
            ;;
        skip:*)
            echo "$first"
            skipped=$((skipped + 1))
            row=$((row + 1))
            continue
            ;;
        returns:*)
            [ "$rc" -eq 0 ] || verdict="should return; exit status $rc"
            ;;
        aborts:*)
            expect=$(sed -n 's/^expect: //p' "$tmp/out")
            trap_only=$(sed -n 's/^expect-trap: //p' "$tmp/out")
            if [ "$rc" -ne 3 ] && [ "$rc" -ne 134 ]; then
                verdict="should abort; exit status $rc"
            elif [ -n "$trap_only" ]; then
                grep -E -q 'trap: (unreachable|udf)' "$tmp/err" ||
                    verdict="should stop at the library's trap (unreachable, udf)"
            elif [ -z "$expect" ]; then
                verdict="aborted before it said what to expect"
            elif ! grep -F -q -e "$expect" "$tmp/err"; then
                verdict="the message does not begin \"$expect\""
            fi
            ;;
        *)
            name="row $row"
            verdict="printed no verdict line; exit status $rc"
            ;;
    esac
    run=$((run + 1))
    if [ -n "$verdict" ]; then
        echo "FAIL: $name: $verdict"
        sed 's/^/  stderr: /' "$tmp/err"
        failed=$((failed + 1))
    elif [ "${first%%:*}" = aborts ] && [ -n "$trap_only" ]; then
        echo "ok:   $name (traps; this build has no message to give)"
    elif [ "${first%%:*}" = aborts ]; then
        echo "ok:   $name (aborts, naming the function and address)"
    else
        echo "ok:   $name (returns as documented)"
    fi
    row=$((row + 1))
    if [ "$row" -gt 1000 ]; then
        echo "FAIL: test-bad-input never said \"no such row\""
        exit 1
    fi
done

echo "$run rows run, $failed failed, $skipped not run in this build"
if [ "$run" -eq 0 ]; then
    echo "FAIL: no row was run"
    exit 1
fi
[ "$failed" -eq 0 ]
