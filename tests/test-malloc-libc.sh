#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# libc functions that allocate for their caller (strdup, getline, qsort,
# asprintf, stdio, getaddrinfo, dlopen, threads with static and dynamic
# TLS...) use the interposed malloc, so the blocks the program frees are
# wee_alloc's: with libwee_alloc_malloc preloaded glibc's own heap stays
# empty (tests/malloc-libc.c), without it the same check sees it used.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

find_preload
preload_runs_here
not_under_emulator "under qemu-user 7.2 the program fails its checks on the C library's own allocator, before wee_alloc is involved"
prog=$(program malloc-libc) || exit 1

# The module with dynamic TLS, when a shared one was built.
module=
mla=$builddir/tests/malloc-tls-module.la
if [ -r "$mla" ]; then
    mdl=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$mla")
    [ -n "$mdl" ] && module=$(cd "$builddir/tests/.libs" && pwd)/$mdl
fi
[ -n "$module" ] || echo "note: no shared TLS module, dynamic TLS is not exercised"

run_plain libc "$prog" --expect glibc ${module:+"$module"}
run_preloaded libc "$prog" --expect wee ${module:+"$module"}
cat "$tmp/libc.wee.out"
check_stats libc
