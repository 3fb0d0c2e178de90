#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# test-fuzz-replay.sh [DIR] - replay every input of the fuzzer's corpus
# (default: tests/fuzz/corpus of the source tree) with tests/fuzz/fuzz-replay:
# the seeds and every input that once made the fuzzer fail.  FAIL when one
# of them fails the target's checks, or when there is no input.
#
# The files are passed one by one, with absolute paths, through
# tests/runner.sh, so that a cross build replays them under node or wine.
set -u

here=$(dirname "$0")
srcdir=${top_srcdir:-$here/../..}
corpus=${1:-$srcdir/tests/fuzz/corpus}
corpus=$(cd "$corpus" && pwd) || exit 1

if [ -n "${top_builddir-}" ]; then
    replay=$top_builddir/tests/fuzz/fuzz-replay
else
    replay=$here/fuzz-replay
fi
if [ ! -x "$replay" ] && [ -x "$replay.exe" ]; then
    replay=$replay.exe
fi
if [ ! -x "$replay" ]; then
    echo "test-fuzz-replay: FAIL: no replay program at $replay" >&2
    exit 1
fi
runner=$(cd "$srcdir" && pwd)/tests/runner.sh

set --
for input in "$corpus"/*; do
    [ -f "$input" ] && set -- "$@" "$input"
done
if [ $# -eq 0 ]; then
    echo "test-fuzz-replay: FAIL: no inputs in $corpus" >&2
    exit 1
fi
echo "test-fuzz-replay: $# inputs from $corpus"
# One run per input: a bare-metal program's command line (semihosting)
# holds about 255 bytes.
failed=0
for input in "$@"; do
    sh "$runner" "$replay" "$input"
    status=$?
    [ "$status" -eq 77 ] && exit 77
    if [ "$status" -ne 0 ]; then
        echo "test-fuzz-replay: FAIL: $input (exit status $status)"
        failed=$((failed + 1))
    fi
done
[ "$failed" -eq 0 ]
