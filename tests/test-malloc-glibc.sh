#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# Every allocation function with good and bad inputs (tests/malloc-glibc.c)
# behaves the same on glibc's allocator and with libwee_alloc_malloc
# preloaded: NULL or not, errno, return codes; and both keep the
# alignment, size, zeroing and contents guarantees, and malloc_trim gives
# the pages of freed blocks back on both.  Then the C23
# functions glibc 2.36 lacks, free_sized and free_aligned_sized, which the
# library adds.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

find_preload
preload_runs_here
not_under_emulator "under qemu-user 7.2 the program crashes (SIGSEGV) on the C library's own allocator, before wee_alloc is involved"
prog=$(program malloc-glibc) || exit 1

status=0
on_target "$prog" > /dev/null 2>&1 || status=$?
[ "$status" -ne 77 ] || skip "$(on_target "$prog")"

run_plain glibc "$prog"
run_preloaded glibc "$prog"
same_output glibc
check_stats glibc
echo "$(grep -c ': NULL' "$tmp/glibc.plain.out") calls fail, $(grep -c ': ok' "$tmp/glibc.plain.out") succeed, the same way on both"

# malloc_trim gives the pages of freed blocks back, as glibc's does;
# with extra assertions nothing goes back (freed memory keeps its poison).
run_plain trim "$prog" --trim
run_preloaded trim "$prog" --trim
check_stats trim
[ "$(stat_value trim malloc_trim)" -ge 1 ] || fail "malloc_trim was not wee_alloc's"
if [ "${WEE_EXTRA_ASSERTIONS:-no}" = yes ]; then
    expected='0, their pages in memory before: yes, after: some'
else
    same_output trim
    expected='1, their pages in memory before: yes, after: none'
fi
grep -q "^malloc_trim(0) .*: $expected\$" "$tmp/trim.wee.out" ||
    fail "malloc_trim: expected '$expected', got: $(cat "$tmp/trim.wee.out")"
echo "malloc_trim: served by wee_alloc: $expected"

run_preloaded c23 "$prog" --c23
grep -q 'free_sized, free_aligned_sized: 1000 blocks each released' "$tmp/c23.wee.out" ||
    fail "the free_sized check did not run: $(tail -3 "$tmp/c23.wee.out")"
check_stats c23
for f in free_sized free_aligned_sized; do
    n=$(stat_value c23 "$f")
    [ "$n" -ge 1000 ] || fail "$f was called $n times in wee_alloc, expected 1000 or more"
done
echo "free_sized and free_aligned_sized: served by wee_alloc"
