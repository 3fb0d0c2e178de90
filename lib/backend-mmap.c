/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend-mmap.c - pages from mmap, for Unix-like systems.
 */
/* MAP_ANONYMOUS is not in strict C99/POSIX headers without this. */
#ifndef _DEFAULT_SOURCE
#  define _DEFAULT_SOURCE 1
#endif
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "fatal-message.h"

#ifndef MAP_ANONYMOUS
#  define MAP_ANONYMOUS MAP_ANON
#endif

#if WEE_BACKEND_PURGE_ZEROES
/* 1 when MADV_DONTNEED gives zero pages here, -1 when not, 0 before the
 * first growth.  Written with the backend's lock held, before any heap
 * has memory; read by heaps that grew since, after that lock. */
int wee__backend_purge_zeroes;

/* Ask the system, on a page of its own, written then given back. */
static int probe_purge_zeroes(void)
{
    size_t page = wee__backend_page_bytes();
    volatile unsigned char *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int zeroes;

    if (p == MAP_FAILED)
        return -1;
    p[0] = p[page - 1] = 0xa5;
    zeroes = madvise((void *)p, page, MADV_DONTNEED) == 0 && p[0] == 0 && p[page - 1] == 0;
    munmap((void *)p, page);
    return zeroes ? 1 : -1;
}
#endif

void *wee__backend_grow(size_t bytes, void *hint, int exact)
{
    /* The hint asks for the pages next to the newest region, so the core
     * can join them to it; the kernel is free to put them elsewhere,
     * unless MAP_FIXED_NOREPLACE (Linux 4.17) says that only there will
     * do.  Older kernels take that flag for a hint too: hence the check. */
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    void *p;

#if WEE_BACKEND_PURGE_ZEROES
    if (!wee__backend_purge_zeroes)
        wee__backend_purge_zeroes = probe_purge_zeroes();
#endif
#ifdef MAP_FIXED_NOREPLACE
    if (exact)
        flags |= MAP_FIXED_NOREPLACE;
#endif
    p = mmap(hint, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (exact && p != hint) {
        munmap(p, bytes);
        return NULL;
    }
    return p;
}

/*
 * MADV_DONTNEED, as glibc's malloc_trim: on Linux the pages leave the
 * process's resident set at once and read as zero at the next touch.
 * Elsewhere (the BSDs) it is only a hint, and MADV_FREE is what lets the
 * system take the pages.
 */
#if defined(MADV_DONTNEED) && (defined(__linux__) || !defined(MADV_FREE))
#  define PURGE_ADVICE MADV_DONTNEED
#elif defined(MADV_FREE)
#  define PURGE_ADVICE MADV_FREE
#endif

#if WEE_BACKEND_PURGE_ZEROES && !(defined(__linux__) && PURGE_ADVICE == MADV_DONTNEED)
#  error "pages given back read as zero only with Linux's MADV_DONTNEED"
#endif

size_t wee__backend_page_bytes(void)
{
    long page = sysconf(_SC_PAGESIZE);

    return page > 0 ? (size_t)page : WEE_PAGE_BYTES;
}

size_t wee__backend_purge(char *from, char *to)
{
#ifdef PURGE_ADVICE
    uintptr_t start = (uintptr_t)from, end = (uintptr_t)to;

    wee__whole_pages(&start, &end, wee__backend_page_bytes());
    if (start < end && madvise((void *)start, (size_t)(end - start), PURGE_ADVICE) == 0)
        return (size_t)(end - start);
#else
    (void)from;
    (void)to;
#endif
    return 0;
}

#if WEE_THREAD_CACHE
/*
 * Thread exit: a pthread key whose destructor hands each thread's cache
 * back.  pthread_setspecific needs no memory for the first keys of a
 * process; should it call malloc, the caller's cache is not set up yet and
 * that malloc takes the locked path.
 */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static int exit_key_made;
static void (*exit_fn)(void *);

static void run_exit_fn(void *arg)
{
    exit_fn(arg);
}

static void make_exit_key(void)
{
    exit_key_made = pthread_key_create(&exit_key, run_exit_fn) == 0;
}

int wee__backend_on_thread_exit(void (*fn)(void *), void *arg)
{
    exit_fn = fn;
    if (pthread_once(&exit_once, make_exit_key) != 0 || !exit_key_made)
        return -1;
    return pthread_setspecific(exit_key, arg) == 0 ? 0 : -1;
}
#endif

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

void wee__fatal(const char *func, const char *what, const void *address)
{
    fatal_report(func, what, address);
    abort();
}
