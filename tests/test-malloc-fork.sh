#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The main thread forks while four others allocate, and each child
# allocates and verifies at once (tests/malloc-fork.c), with
# libwee_alloc_malloc preloaded: the fork handlers keep the heap's lock and
# state consistent in the child.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

find_preload
preload_runs_here
not_under_emulator "qemu-user 7.2 aborts (cpu_exec assertion) when a threaded program forks"
prog=$(program malloc-fork) || exit 1
if [ "$scale_down" = 1 ]; then forks=20; else forks=100; fi

run_preloaded fork "$prog" --expect wee "$forks"
cat "$tmp/fork.wee.out"
check_stats fork
