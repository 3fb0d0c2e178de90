#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# bench-instructions.sh VALGRIND WEE_BENCH TRACE
#
# `make bench-instructions`: instructions per allocator call of wee_alloc
# and of the system malloc on churn-small and on TRACE, counted by
# valgrind's callgrind.  Unlike a time, the count is the same on every run
# and on a busy machine, so it is the figure to judge an optimisation by.
#
# Only the measured calls are counted: callgrind collects inside
# bench_timed_pass() (wee-bench's timed part) and nowhere else.  The count
# includes the benchmark's own loop and its writes to each new block, the
# same for both allocators.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 VALGRIND WEE_BENCH TRACE" >&2
    exit 2
fi
valgrind=$1
bench=$2
trace=$3
if [ -z "$valgrind" ]; then
    echo "make bench-instructions needs valgrind (Debian: apt-get install valgrind), then configure again" >&2
    exit 1
fi
if [ ! -r "$trace" ]; then
    echo "$0: cannot read the trace $trace" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# instructions ALLOCATOR WORKLOAD: print "INSTRUCTIONS CALLS".
instructions() {
    if ! env -u LD_PRELOAD "$valgrind" --tool=callgrind \
            --callgrind-out-file="$tmp/callgrind.out" \
            --collect-atstart=no --toggle-collect=bench_timed_pass \
            "$bench" --child "$1" "$2" --timeout 0 \
            > "$tmp/result" 2> "$tmp/valgrind.log"; then
        cat "$tmp/valgrind.log" >&2
        echo "$0: $2 on $1 failed under callgrind" >&2
        exit 1
    fi
    ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/callgrind.out")
    calls=$(sed -n 's/^result calls=\([0-9]*\) .*/\1/p' "$tmp/result")
    if [ -z "$ir" ] || [ -z "$calls" ] || [ "$calls" -eq 0 ]; then
        echo "$0: no instruction count or no calls for $2 on $1" >&2
        exit 1
    fi
    echo "$ir $calls"
}

# The benchmark's own part of the count: the same calls on "null", an
# allocator that does nothing (it hands out one fixed region).
echo "Instructions per allocator call, counted by callgrind.  'loop' is what"
echo "the benchmark itself spends per call (measured with the null allocator);"
echo "'own' = instr/call - loop is the allocator's own count."
printf '%-24s %-10s %14s %10s %10s %8s %8s %9s\n' workload allocator \
    instructions calls instr/call loop own own/system
for work in churn-small "trace:$trace"; do
    name=$work
    case $work in
        trace:*) name=trace:$(basename "$trace" .trace) ;;
    esac
    for alloc in null system wee_alloc; do
        instructions "$alloc" "$work" > "$tmp/$alloc.count"
    done
    read -r null_ir null_calls < "$tmp/null.count"
    read -r sys_ir sys_calls < "$tmp/system.count"
    read -r wee_ir wee_calls < "$tmp/wee_alloc.count"
    awk -v name="$name" -v ni="$null_ir" -v nc="$null_calls" \
        -v wi="$wee_ir" -v wc="$wee_calls" -v si="$sys_ir" -v sc="$sys_calls" '
    BEGIN {
        loop = ni / nc
        wown = wi / wc - loop
        sown = si / sc - loop
        fmt = "%-24s %-10s %14d %10d %10.1f %8.1f %8.1f %9s\n"
        ratio = sown > 0 ? sprintf("%.2f", wown / sown) : "-"
        printf fmt, name, "wee_alloc", wi, wc, wi / wc, loop, wown, ratio
        printf fmt, name, "system", si, sc, si / sc, loop, sown, "1.00"
    }'
done
