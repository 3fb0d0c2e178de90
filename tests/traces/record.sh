#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# record.sh - re-record the traces shipped in tests/traces (see README.md).
#
# Usage: tests/traces/record.sh [OUTPUT-DIR]     (default: tests/traces)
#
# Needs valgrind, python3, perl and GNU sort.  The traces depend on the
# versions of those programs and of libc, so a re-recorded trace differs a
# little from the shipped one; the workloads are what stay fixed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
record=$here/../record-trace.sh
outdir=${1:-$here}

work=$(mktemp -d "${TMPDIR:-/tmp}/record-traces.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The C locale keeps sort and perl away from locale-dependent collation.
LC_ALL=C
export LC_ALL

# The system python, not a wrapper script that would be traced instead.
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

"$python" "$here/gen-words.py" 300000 1 > "$work/words.txt"   # 6.4 MB
"$python" "$here/gen-words.py" 7000 2 > "$work/words-small.txt" # 150 KB

# sort with a 512 KiB buffer on a 6.4 MB file: it sorts runs into temporary
# files and merges them, so large buffers come and go.
sh "$record" "$outdir/sort-words.trace" \
    sort --parallel=1 -S 512K -T "$work" -o "$work/sorted.txt" \
    "$work/words.txt"

# python3 with its small-object allocator off, so every object is a malloc:
# start-up, building a JSON document of 80 records, serialising it twice.
PYTHONMALLOC=malloc sh "$record" "$outdir/python-json.trace" \
    "$python" -S "$here/json-build.py" 80

# perl counting words in a hash, then sorting the words by count.
sh "$record" "$outdir/perl-wordcount.trace" \
    perl -e 'my %n; while (<>) { $n{$_}++ for split }
             my @w = sort { $n{$b} <=> $n{$a} || $a cmp $b } keys %n;
             print scalar(@w), " words, most frequent: $w[0]\n";' \
    "$work/words-small.txt"
