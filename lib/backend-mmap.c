/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend-mmap.c - pages from mmap, for Unix-like systems.
 */
#include "config.h"

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"

#ifndef MAP_ANONYMOUS
#  define MAP_ANONYMOUS MAP_ANON
#endif

void *wee__backend_grow(size_t bytes, void *hint)
{
    /* The hint asks for the pages right after the newest region, so the
     * core can join them to it; the kernel is free to put them elsewhere. */
    void *p = mmap(hint, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

void wee__lock_wait(wee__lock_t *lock)
{
    unsigned spins = 0;

    for (;;) {
        /* Wait on a plain load, so the cache line is not bounced around,
         * then try to take it. */
        while (wee__lock_is_taken(lock)) {
            if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            } else {
                sched_yield();
            }
        }
        if (wee__lock_try(lock))
            return;
    }
}

/* Write without stdio: the heap may be what is broken. */
static void write_str(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    while (n) {
        ssize_t done = write(STDERR_FILENO, s, n);
        if (done <= 0)
            return;
        s += done;
        n -= (size_t)done;
    }
}

void wee__fatal(const char *func, const char *what, const void *address)
{
    char hex[2 + 2 * sizeof(void *) + 1];
    uintptr_t a = (uintptr_t)address;
    size_t i = sizeof hex - 1;

    hex[i] = '\0';
    do {
        hex[--i] = "0123456789abcdef"[a & 15];
        a >>= 4;
    } while (a && i > 2);
    hex[--i] = 'x';
    hex[--i] = '0';

    write_str("wee_alloc: ");
    write_str(func);
    write_str("(");
    write_str(hex + i);
    write_str("): ");
    write_str(what);
    write_str("\n");
    abort();
}
