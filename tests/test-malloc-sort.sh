#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# sort(1) on a generated 50 MB file, with and without libwee_alloc_malloc
# preloaded: the same output, byte for byte, and wee_alloc did serve it.
# (5 MB with extra assertions, which check the heap as it goes.)

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

command -v sort > /dev/null 2>&1 || skip "no sort(1) here"
find_preload
host_program_loads_preload sort

if [ "$scale_down" = 1 ]; then lines=200000; else lines=2000000; fi
# Lines of a hex key, a decimal counter and a word: about 26 bytes each.
awk -v n="$lines" 'BEGIN {
    srand(42)
    for (i = 0; i < n; i++)
        printf "%08x %d %s\n", int(rand() * 4294967295), i,
            substr("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", 1 + i % 26, 1 + i % 19)
}' > "$tmp/input" || fail "cannot write the input file"
echo "input: $(wc -c < "$tmp/input") bytes, $lines lines"

# sort by the word, then numerically by the counter, in reverse: keys,
# comparisons and a large buffer; --parallel=2 sorts in two threads.
run_plain sort env LC_ALL=C sort --parallel=2 -k3,3 -k2,2nr "$tmp/input"
run_preloaded sort env LC_ALL=C sort --parallel=2 -k3,3 -k2,2nr "$tmp/input"
same_output sort
check_stats sort
