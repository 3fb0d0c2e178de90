#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# test-valgrind.sh - valgrind's memcheck sees wee_alloc's blocks
# (configure --enable-valgrind, lib/wee_alloc.c's client requests).
#
# 1. tests/valgrind-misuse errors: memcheck must report the read after
#    wee_free and the leaked block (definitely lost), each with a stack
#    that starts in the library.
# 2. tests/valgrind-misuse clean: every function used correctly, every
#    byte of every block written and read; memcheck must find no error
#    and no leak (no false positives from the allocator's own accesses).
# 3. The same for tests/test-random (one seed) and, when Check is there,
#    tests/test-api in Check's no-fork mode (its deliberate misuses run
#    only in fork mode).
#
# SKIP (77) when the library was built without --enable-valgrind, or
# valgrind is not installed.  Environment: WEE_VALGRIND (yes/no, from
# configure), top_builddir; VALGRIND overrides the valgrind program.

set -u

if [ "${WEE_VALGRIND-no}" != yes ]; then
    echo "SKIP: the library was built without --enable-valgrind"
    exit 77
fi
valgrind=${VALGRIND:-valgrind}
if ! "$valgrind" --version > /dev/null 2>&1; then
    echo "SKIP: $valgrind is not installed (Debian: apt-get install valgrind)"
    exit 77
fi

program=${top_builddir:-.}/tests/valgrind-misuse
log=test-valgrind.memcheck.$$
trap 'rm -f "$log"' EXIT
failed=0

memcheck() {
    "$valgrind" --tool=memcheck --leak-check=full --show-leak-kinds=all \
        --errors-for-leak-kinds=definite,possible --num-callers=20 \
        --error-exitcode=99 --log-file="$log" "$program" "$@"
}

# What memcheck said, and the status it ended with.
memcheck errors
status=$?
cat "$log"
if [ "$status" -ne 99 ]; then
    echo "FAIL: memcheck ended with status $status, not 99 (errors found)"
    failed=1
fi
# "Invalid read of size 1", "Address ... is 50 bytes inside a block of
# size N free'd", then the stack of the free, whose top frame is in the
# library (wee_free, or the functions it calls, or the .so without
# debugging information).
in_library='wee_free|wee_malloc|release_user|release_locked|allocate|libwee_alloc'
if ! awk -v lib="$in_library" '
    /Invalid read of size 1/                       { in_read = 1; next }
    in_read && /50 bytes inside a block of size [0-9]+ free.d/ { in_free = 1; next }
    in_free && $0 ~ lib                            { found = 1; exit }
    in_free                                        { exit }
    END                                            { exit !found }' "$log"; then
    echo "FAIL: memcheck did not report the read after wee_free"
    failed=1
fi
# "4,000 bytes in 1 blocks are definitely lost" (the usable size, which
# may be a little more), allocated in the library.
if ! awk -v lib="$in_library" '
    /4,0[0-9][0-9] bytes in 1 blocks are definitely lost/ { in_leak = 1; next }
    in_leak && $0 ~ lib                                   { found = 1; exit }
    in_leak                                               { exit }
    END                                                   { exit !found }' "$log"; then
    echo "FAIL: memcheck did not report the block leaked from wee_malloc"
    failed=1
fi

# expect_clean WHAT STATUS: memcheck, which wrote $log and exited with
# STATUS, must have found nothing in WHAT.
expect_clean() {
    if [ "$2" -ne 0 ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
        cat "$log"
        echo "FAIL: memcheck found errors in $1 (status $2)"
        failed=1
    else
        echo "$1 under memcheck: $(grep 'ERROR SUMMARY' "$log")"
    fi
}

memcheck clean
expect_clean "a correct program" $?

# Programs linked with the uninstalled shared library are libtool wrapper
# scripts: libtool --mode=execute runs valgrind on the real program.
for test in "test-random 1 20000" test-api; do
    # shellcheck disable=SC2086 # the program and its arguments
    set -- $test
    program=${top_builddir:-.}/tests/$1
    shift
    if [ ! -x "$program" ]; then
        echo "not run (not built): $program"
        continue
    fi
    CK_FORK=no "${top_builddir:-.}/libtool" --mode=execute "$valgrind" \
        --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
        --error-exitcode=99 --log-file="$log" "$program" "$@" > /dev/null 2>&1
    expect_clean "tests/$test" $?
done

exit "$failed"
