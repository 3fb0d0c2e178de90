/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc.h - what lib/malloc.c (the fourteen allocation functions, the
 * same on every host) asks of the host part of libwee_alloc_malloc.
 *
 *   lib/malloc.c       malloc, free, ... malloc_trim: semantics,
 *                      argument checks, errno; built on every host
 *   lib/malloc-elf.c   ELF hosts: WEE_ALLOC_STATS, the fork handlers, the
 *                      page size from sysconf (constructor, destructor)
 *   (nothing)          wasm32, newlib and picolibc (static backend): no
 *                      statistics, no fork, the backend's unit as the page
 *
 * configure chooses (WEE_MALLOC_ELF in config.h); this header is the one
 * place that looks.
 */
#ifndef WEE_MALLOC_H
#define WEE_MALLOC_H

#include <stddef.h>

#include "backend.h"

/* The functions, in the order of lib/malloc.sym and of the statistics. */
enum malloc_function {
    F_MALLOC, F_FREE, F_CALLOC, F_REALLOC, F_REALLOCARRAY, F_ALIGNED_ALLOC,
    F_POSIX_MEMALIGN, F_MEMALIGN, F_VALLOC, F_PVALLOC, F_MALLOC_USABLE_SIZE,
    F_FREE_SIZED, F_FREE_ALIGNED_SIZED, F_MALLOC_TRIM, F_COUNT
};

#if WEE_MALLOC_ELF
#  include <stdatomic.h>

/* Counting is on until the constructor has read WEE_ALLOC_STATS. */
enum { STATS_UNDECIDED, STATS_ON, STATS_OFF };
WEE_INTERNAL extern atomic_int wee__malloc_stats_mode;
WEE_INTERNAL extern atomic_ulong wee__malloc_calls[F_COUNT];

/* Count one call of f, when statistics are (or may yet be) on. */
static inline void count(enum malloc_function f)
{
    if (atomic_load_explicit(&wee__malloc_stats_mode, memory_order_relaxed) != STATS_OFF)
        atomic_fetch_add_explicit(&wee__malloc_calls[f], 1, memory_order_relaxed);
}

/* The system's page size, for valloc and pvalloc. */
WEE_INTERNAL size_t wee__malloc_page_size(void);
#else
/* wasm32 and bare metal: no environment to turn statistics on, and
 * nothing is counted.  The page is the backend's unit: on wasm32 the wasm
 * page, as wasi-libc's sysconf(_SC_PAGESIZE) says too; with the static
 * backend 4 KiB, newlib's own malloc page. */
static inline void count(enum malloc_function f)
{
    (void)f;
}

static inline size_t wee__malloc_page_size(void)
{
    return WEE_PAGE_BYTES;
}
#endif

#endif /* WEE_MALLOC_H */
