/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend-virtualalloc.c - pages from VirtualAlloc, and the heap's lock
 * from an SRWLOCK, for Windows.
 *
 * Windows reserves address space in units of its allocation granularity,
 * 64 KiB on every version, the same as the heap's page, so each grant is
 * reserved and committed in one call and nothing is lost to rounding.  The
 * core's hint (next to the newest region) is tried first, so that
 * consecutive grants usually join into one region; when that address is
 * taken, Windows chooses.
 *
 * The lock is a slim reader/writer lock taken exclusively: uncontended it
 * is one interlocked instruction inside kernel32, contended it sleeps in
 * the kernel instead of spinning.  backend.h declares wee__lock_acquire
 * and wee__lock_release as functions for this backend; an all-zero
 * wee__lock_t is SRWLOCK_INIT, so the statically zeroed heap needs no
 * initialisation.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "backend.h"
#include "fatal-message.h"

void *wee__backend_grow(size_t bytes, void *hint, int exact)
{
    void *p = NULL;

    if (hint)
        p = VirtualAlloc(hint, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!p && !exact)
        p = VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    return p;
}

/*
 * MEM_RESET: the pages' contents are of no more interest; Windows drops
 * them instead of paging them out, and the pages stay committed.  A reset
 * may not cross from one VirtualAlloc allocation to the next, and the
 * heap joins adjacent allocations into one region: VirtualQuery says
 * where each run of pages with the same state ends.
 */
size_t wee__backend_page_bytes(void)
{
    SYSTEM_INFO info;

    GetSystemInfo(&info);
    return info.dwPageSize;
}

size_t wee__backend_purge(char *from, char *to)
{
    uintptr_t start = (uintptr_t)from, end = (uintptr_t)to;
    size_t given = 0;

    wee__whole_pages(&start, &end, wee__backend_page_bytes());
    from = (char *)start;
    to = (char *)end;
    while (from < to) {
        MEMORY_BASIC_INFORMATION run;
        char *end;

        if (VirtualQuery(from, &run, sizeof run) == 0)
            break;
        end = (char *)run.BaseAddress + run.RegionSize;
        if (end > to)
            end = to;
        if (VirtualAlloc(from, (size_t)(end - from), MEM_RESET, PAGE_READWRITE))
            given += (size_t)(end - from);
        from = end;
    }
    return given;
}

#if WEE_ALLOC_THREADS
_Static_assert(sizeof(SRWLOCK) == sizeof(wee__lock_t), "wee__lock_t holds an SRWLOCK");

void wee__lock_acquire(wee__lock_t *lock)
{
    AcquireSRWLockExclusive((PSRWLOCK)lock);
}

void wee__lock_release(wee__lock_t *lock)
{
    ReleaseSRWLockExclusive((PSRWLOCK)lock);
}
#endif

/* Never called: the SRWLOCK waits by itself.  Defined for the interface. */
void wee__lock_wait(wee__lock_t *lock)
{
    (void)lock;
}

void wee__fatal(const char *func, const char *what, const void *address)
{
    char buf[FATAL_MESSAGE_MAX];
    DWORD n = (DWORD)fatal_message(buf, func, what, address), done = 0;
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);

    while (err && err != INVALID_HANDLE_VALUE && done < n) {
        DWORD w = 0;
        if (!WriteFile(err, buf + done, n - done, &w, NULL) || w == 0)
            break;
        done += w;
    }
    abort();
}
