#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# A program linked -static with $(pkg-config --static --libs
# wee_alloc_malloc) uses wee_alloc: WEE_ALLOC_STATS reports its calls, and
# glibc's malloc.o is not in it (its _int_malloc is missing).

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

link_test static
