#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# gcc compiles a C file (the driver, cc1, as, collect2 and ld all run with
# libwee_alloc_malloc preloaded): the same assembly, object file and
# program as without it, and the program runs.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

command -v gcc > /dev/null 2>&1 || skip "no gcc here"
find_preload
host_program_loads_preload gcc

src=$srcdir/tests/malloc-glibc.c
[ -r "$src" ] || fail "cannot read $src"

# One command makes assembly on stdout; the second an object and a program.
run_plain gcc-S gcc -O2 -S -o - "$src"
run_preloaded gcc-S gcc -O2 -S -o - "$src"
same_output gcc-S
check_stats gcc-S

run_plain gcc-c gcc -O2 -c -o "$tmp/plain.o" "$src"
run_preloaded gcc-c gcc -O2 -c -o "$tmp/wee.o" "$src"
same_output gcc-c
check_stats gcc-c
cmp "$tmp/plain.o" "$tmp/wee.o" || fail "the object files differ"

run_plain gcc-link gcc -O2 -o "$tmp/plain-prog" "$src"
run_preloaded gcc-link gcc -O2 -o "$tmp/wee-prog" "$src"
same_output gcc-link
check_stats gcc-link
"$tmp/wee-prog" > /dev/null || fail "the program gcc built with libwee_alloc_malloc preloaded fails"
echo "object file identical; the program built runs"
