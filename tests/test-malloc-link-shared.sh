#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# A program linked with $(pkg-config --libs wee_alloc_malloc) uses
# wee_alloc: WEE_ALLOC_STATS reports its calls and glibc's own heap stays
# empty.  pkg-config reads the wee_alloc_malloc.pc of the build tree, its
# libdir pointed at the uninstalled library.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

link_test shared
