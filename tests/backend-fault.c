/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend-fault.c - a backend that counts the heap's page requests and
 * refuses the ones tests/test-fault asks it to (backend-fault.h).
 *
 * It hands out pages of a static array front to back, as the static
 * backend does, so the heap is fed exactly as on a real backend: the core
 * (lib/free-list.c, lib/wee_alloc.c) is compiled unchanged against it.
 */
#include "config.h"

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "fatal-message.h"

#include "backend-fault.h"

#define ARENA_ALIGN 16

static unsigned char arena[FAULT_ARENA_BYTES] __attribute__((aligned(WEE_PAGE_BYTES)));
static size_t arena_used;

static size_t fail_at;          /* 0: never */
static enum fault_mode fail_mode;
static int leave_gaps;
static size_t requests, refused, granted;

void fault_arm(size_t n, enum fault_mode mode, int scattered)
{
    fail_at = n;
    fail_mode = mode;
    leave_gaps = scattered;
}

size_t fault_requests(void) { return requests; }
size_t fault_refused(void) { return refused; }
size_t fault_granted_bytes(void) { return granted; }

static int must_fail(size_t request)
{
    if (fail_at == 0)
        return 0;
    return fail_mode == FAULT_FROM_N ? request >= fail_at : request == fail_at;
}

void *wee__backend_grow(size_t bytes, void *hint, int exact)
{
    size_t gap = leave_gaps && arena_used ? WEE_PAGE_BYTES : 0;
    void *p;

    requests++;
    if (bytes % WEE_PAGE_BYTES != 0)
        wee__fatal("wee__backend_grow", "asked for a size that is not whole pages",
                   (void *)(uintptr_t)bytes);
    if (must_fail(requests) || bytes > sizeof arena - arena_used
        || gap > sizeof arena - arena_used - bytes) {
        refused++;
        return NULL;
    }
    p = arena + arena_used + gap;
    /* The room after the heap is not free (a gap would be left): no
     * refusal, just not there. */
    if (exact && p != hint)
        return NULL;
    arena_used += gap + bytes;
    granted += bytes;
    return p;
}

size_t wee__backend_page_bytes(void)
{
    return 4096;
}

/* "Giving back" a page here scribbles over it, as a system may hand back
 * any contents: a trim that reached into a header, a free block's links
 * or a live block would show. */
size_t wee__backend_purge(char *from, char *to)
{
    uintptr_t start = (uintptr_t)from, end = (uintptr_t)to;

    wee__whole_pages(&start, &end, wee__backend_page_bytes());

    if (start >= end)
        return 0;
    memset((void *)start, 0xdb, (size_t)(end - start));
    return (size_t)(end - start);
}

#if WEE_THREAD_CACHE
/* The per-thread caches (lib/thread-cache.c) stay on, as with the mmap
 * backend: the test runs in one thread, whose cache needs no handing back
 * at exit (the process ends with it), so there is nothing to register. */
int wee__backend_on_thread_exit(void (*fn)(void *), void *arg)
{
    (void)fn;
    (void)arg;
    return 0;
}
#endif

void wee__lock_wait(wee__lock_t *lock)
{
    while (!wee__lock_try(lock))
        sched_yield();
}

void wee__fatal(const char *func, const char *what, const void *address)
{
    fatal_report(func, what, address);
    abort();
}
