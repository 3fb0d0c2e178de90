/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wasm-size-module.c - the module tests/wasm-size.sh measures: it exports
 * malloc, free and realloc, and nothing else.
 *
 *   -DALLOCATOR=WEE   they are wee_malloc, wee_free and wee_realloc
 *   -DALLOCATOR=LIBC  they are the C library's (wasi-libc: dlmalloc)
 *   -DALLOCATOR=NONE  they do nothing: the same module without an allocator
 *
 * The size of an allocator is the size of its module minus that of the
 * NONE module, both after wasm-opt -Oz.
 */
#include <stddef.h>

#define WEE 1
#define LIBC 2
#define NONE 3

#if ALLOCATOR == WEE
#  include "wee_alloc.h"
#  define MALLOC(n) wee_malloc(n)
#  define FREE(p) wee_free(p)
#  define REALLOC(p, n) wee_realloc(p, n)
#elif ALLOCATOR == LIBC
#  include <stdlib.h>
#  define MALLOC(n) malloc(n)
#  define FREE(p) free(p)
#  define REALLOC(p, n) realloc(p, n)
#elif ALLOCATOR == NONE
#  define MALLOC(n) ((void)(n), (void *)0)
#  define FREE(p) ((void)(p))
#  define REALLOC(p, n) ((void)(p), (void)(n), (void *)0)
#else
#  error "define ALLOCATOR as WEE, LIBC or NONE"
#endif

__attribute__((export_name("malloc"))) void *size_malloc(size_t n)
{
    return MALLOC(n);
}

__attribute__((export_name("free"))) void size_free(void *p)
{
    FREE(p);
}

__attribute__((export_name("realloc"))) void *size_realloc(void *p, size_t n)
{
    return REALLOC(p, n);
}
