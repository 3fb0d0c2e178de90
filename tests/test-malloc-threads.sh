#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# 8 threads allocate blocks of mixed sizes, swap them through a shared
# table and free blocks other threads made (tests/malloc-threads.c), with
# libwee_alloc_malloc preloaded; every block is verified.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

find_preload
preload_runs_here
prog=$(program malloc-threads) || exit 1
if [ "$scale_down" = 1 ]; then ops=10000; else ops=100000; fi

run_preloaded threads "$prog" --expect wee "$ops"
cat "$tmp/threads.wee.out"
check_stats threads "$ops"
