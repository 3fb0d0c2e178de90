/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend-wasm.c - pages from WebAssembly's memory.grow, for wasm32 with
 * or without a C library (wasm32-unknown-none, wasm32-wasi).
 *
 * memory.grow adds whole 64 KiB pages at the end of linear memory and
 * returns the old size in pages, or -1 when the engine refuses.  The new
 * pages are zero and follow the previous end, so unless something else
 * grew the memory in between (the C library's own malloc, say), each grant
 * starts at the core's hint and the heap stays one region.
 *
 * There are no threads here (wasm32 without shared memory), so configure
 * builds the heap without a lock; wee__lock_wait exists only to satisfy
 * the interface.
 */
#include "config.h"

#include <stdint.h>

#if HAVE_STDLIB_H
#  include <stdlib.h>
#endif

#include "backend.h"
#include "fatal-message.h"

#if !defined(__wasm32__)
#  error "backend-wasm.c is for wasm32 targets: configure with CC=clang CFLAGS=--target=wasm32"
#endif

_Static_assert(WEE_PAGE_BYTES == 65536, "the heap's page is the wasm page");

#if defined(__wasi__) && !WEE_MALLOC_LIBRARY
/*
 * wasi-libc's own malloc (dlmalloc), as Debian 12 ships it, takes for its
 * first segment everything from __heap_base to the end of linear memory
 * at the time of its first call: pages this backend grew before that
 * call would be handed out twice.  So before the first grow, let it make
 * that first call.  The references are weak, by dlmalloc's own names, so
 * a program without libc's malloc does not get one, and a malloc that is
 * not dlmalloc is never called from here.  (Later wasi-libc versions stop
 * at __heap_end, a fixed address, and are unaffected either way.)  In
 * libwee_alloc_malloc those names are its own (lib/malloc.c) and dlmalloc
 * is not linked: nothing to wait for.
 */
extern void *__libc_malloc(size_t size) __attribute__((weak));
extern void __libc_free(void *p) __attribute__((weak));

static void let_libc_malloc_start(void)
{
    static int done;

    if (!done) {
        done = 1;
        if (__libc_malloc && __libc_free)
            __libc_free(__libc_malloc(1));
    }
}
#else
static void let_libc_malloc_start(void)
{
}
#endif

void *wee__backend_grow(size_t bytes, void *hint, int exact)
{
    size_t old_pages;

    let_libc_malloc_start();
    /* memory.grow always extends the end of memory: that is the hint
     * unless some other code grew it since. */
    if (exact && __builtin_wasm_memory_size(0) * WEE_PAGE_BYTES != (size_t)hint)
        return NULL;
    old_pages = __builtin_wasm_memory_grow(0, bytes / WEE_PAGE_BYTES);
    if (old_pages == SIZE_MAX)
        return NULL;
    return (void *)(old_pages * WEE_PAGE_BYTES);
}

void wee__lock_wait(wee__lock_t *lock)
{
    while (!wee__lock_try(lock))
        continue;
}

void wee__fatal(const char *func, const char *what, const void *address)
{
    fatal_report(func, what, address);
#if HAVE_STDLIB_H
    abort();
#else
    __builtin_trap();
#endif
}
