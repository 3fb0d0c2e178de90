/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend-static.c - pages from a fixed array, for systems with no OS (or
 * programs that want a hard bound on their heap).
 *
 * The array is WEE_STATIC_ARRAY_BYTES long (configure
 * --with-static-array-bytes) and handed out front to back, in the 4 KiB
 * units the core asks for (WEE_PAGE_BYTES, backend.h):
 *
 *   arena: [ given out ........ | next ......... | tail < 4 KiB ]
 *          ^ start, 16-byte aligned           ^ end of the whole units
 *
 * Every grant starts where the previous one ended, which is the core's
 * hint, so the heap is one region and nothing is lost between grants.
 * Only a tail of N mod 4 KiB bytes (none for the default size) and the
 * padding up to a 16-byte boundary (none with GCC or clang, which align
 * the array) can never be handed out.
 */
#include "config.h"

#include <stdint.h>

/* On bare metal (WEE_HOST_HAS_OS 0) newlib declares write() and abort(),
 * but they would call into the OS the board does not have: configure
 * says there is nowhere to write (fatal_report), and the trap stops. */
#define WEE_CAN_ABORT (HAVE_STDLIB_H && WEE_HOST_HAS_OS)

#if WEE_CAN_ABORT
#  include <stdlib.h>
#endif
#if HAVE_SCHED_YIELD
#  include <sched.h>
#endif

#include "backend.h"
#include "fatal-message.h"

_Static_assert(WEE_STATIC_ARRAY_BYTES >= 2 * WEE_PAGE_BYTES,
               "the static array holds at least two units (configure checks)");

/* Payloads need 2 words of alignment, at most 16 bytes. */
#define ARENA_ALIGN 16

#if defined(__GNUC__)
static unsigned char arena[WEE_STATIC_ARRAY_BYTES]
    __attribute__((aligned(ARENA_ALIGN)));
#else
static unsigned char arena[WEE_STATIC_ARRAY_BYTES];
#endif

/* Bytes of the array given out so far (called with the heap's lock held). */
static size_t arena_used;

void *wee__backend_grow(size_t bytes, void *hint, int exact)
{
    uintptr_t start = ((uintptr_t)arena + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
    size_t room = (size_t)((uintptr_t)arena + sizeof arena - start);
    void *p;

    room -= room % WEE_PAGE_BYTES;
    p = (void *)(start + arena_used);
    if (bytes > room - arena_used || (exact && p != hint))
        return NULL;
    arena_used += bytes;
    return p;
}

/* A thread that finds the atomic lock taken waits here; on bare metal with
 * newlib or picolibc the lock is the C library's (backend.h), and nothing
 * waits here. */
#if WEE_ALLOC_THREADS && !WEE_LOCK_NOT_ATOMIC
void wee__lock_wait(wee__lock_t *lock)
{
    unsigned spins = 0;

    for (;;) {
        while (wee__lock_is_taken(lock)) {
            if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            } else {
#if HAVE_SCHED_YIELD
                sched_yield();
#endif
            }
        }
        if (wee__lock_try(lock))
            return;
    }
}
#endif

void wee__fatal(const char *func, const char *what, const void *address)
{
    /* With an OS: standard error, then abort().  Without one: the
     * program's hook, if any (it may print on a serial port), then the
     * trap, where a debugger sees the arguments. */
    fatal_report(func, what, address);
#if WEE_CAN_ABORT
    abort();
#else
    __builtin_trap();
#endif
}
