/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend.h - the one small interface between the core and the system.
 *
 * Exactly one backend-*.c is built.  Only the backend knows how pages are
 * obtained, how a thread waits for the lock and how the program is stopped;
 * the core (cells, free lists, size classes, the API) never calls the OS.
 */
#ifndef WEE_BACKEND_H
#define WEE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "wee_alloc_config.h"

/* The heap grows in units of this many bytes: a WebAssembly page, which
 * is also Windows' allocation granularity and a few of mmap's pages.  The
 * static array is handed out in 4 KiB units, so that an array of any size
 * is usable to its last 4 KiB, as on a microcontroller with little RAM. */
#if WEE_ALLOC_BACKEND_STATIC
#  define WEE_PAGE_BYTES ((size_t)4096)
#else
#  define WEE_PAGE_BYTES ((size_t)65536)
#endif

/* Whether the backend may place new memory right below the heap's newest
 * region (mmap does, top-down; VirtualAlloc may), so the core joins it
 * there too.  memory.grow and the static array only ever extend upwards. */
#define WEE_BACKEND_MAY_PLACE_BELOW \
    (WEE_ALLOC_BACKEND_MMAP || WEE_ALLOC_BACKEND_VIRTUALALLOC)

/* On Windows a DLL exports only what WEE_API marks, and gcc warns that
 * it ignores visibility there. */
#if defined(__GNUC__) && !defined(_WIN32) && !defined(__CYGWIN__)
#  define WEE_INTERNAL __attribute__((visibility("hidden")))
#else
#  define WEE_INTERNAL
#endif

#if defined(__GNUC__)
#  define WEE_NORETURN __attribute__((noreturn))
#  define WEE_NOINLINE __attribute__((noinline))
#  define WEE_ALWAYS_INLINE inline __attribute__((always_inline))
#  define WEE_LIKELY(x) __builtin_expect(!!(x), 1)
#  define WEE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define WEE_NORETURN
#  define WEE_NOINLINE
#  define WEE_ALWAYS_INLINE inline
#  define WEE_LIKELY(x) (x)
#  define WEE_UNLIKELY(x) (x)
#endif

/*
 * wee__backend_grow - get `bytes` (a multiple of WEE_PAGE_BYTES) of fresh,
 * readable and writable memory, aligned to at least 16 bytes.  Fresh
 * memory reads as zero (mmap and VirtualAlloc zero new pages; calloc
 * relies on that where WEE_BACKEND_CAN_PURGE).
 *
 * `hint` is where the core would like the memory: right after the heap's
 * newest region, or right before it (where mmap tends to put it anyway),
 * so that the two join.  A backend that can place it there should.  With
 * `exact`, memory anywhere else is of no use to the core: the backend
 * then returns NULL, taking nothing, unless the memory is at `hint`.
 * Returns NULL when no memory can be had.  Called with the backend's lock
 * held.
 */
WEE_INTERNAL void *wee__backend_grow(size_t bytes, void *hint, int exact);

/*
 * wee__backend_purge - the heap needs nothing in the whole pages of
 * [from, to): let the system take their physical memory back.  They stay
 * the heap's, readable and writable, but what they held is lost (Linux
 * gives zero pages at the next touch).  Returns the bytes of the pages
 * given back, 0 when none (a range without a whole page, or a call the
 * system refused).  Only backends whose memory the system can take back
 * have it: the static array and wasm's linear memory are the program's
 * for good.  Called with the heap's lock held; needs no other.
 */
#define WEE_BACKEND_CAN_PURGE (WEE_ALLOC_BACKEND_MMAP || WEE_ALLOC_BACKEND_VIRTUALALLOC)
#if WEE_BACKEND_CAN_PURGE
WEE_INTERNAL size_t wee__backend_purge(char *from, char *to);
/* The unit wee__backend_purge rounds to: the pages it gives back are the
 * whole ones of [from, to) at this size (wee__whole_pages). */
WEE_INTERNAL size_t wee__backend_page_bytes(void);
#endif

/* Narrow [*from, *to) to the whole pages of `page` bytes (a power of two)
 * inside it; empty (*from >= *to) when it holds none. */
static inline void wee__whole_pages(uintptr_t *from, uintptr_t *to, uintptr_t page)
{
    *from = (*from + page - 1) & ~(page - 1);
    *to &= ~(page - 1);
}

/*
 * Whether the pages wee__backend_purge gave back may read as zero until
 * they are written again: on Linux, whose MADV_DONTNEED gives private
 * anonymous memory fresh zero pages.  Not on Windows (MEM_RESET leaves
 * the contents undefined) nor with MADV_FREE.  Then
 * wee__backend_purge_zeroes is 1 when they do in this process: not every
 * system that runs Linux programs keeps the promise (qemu's user mode
 * ignores the advice for pages it cannot pass on to its host).  It is
 * known once the backend has grown a heap, as every heap that has pages
 * to give back did (a variable, not a function: the core reads it where
 * a call would cost every allocation the registers it saves).
 */
#ifndef WEE_BACKEND_PURGE_ZEROES
#  if WEE_ALLOC_BACKEND_MMAP && defined(__linux__)
#    define WEE_BACKEND_PURGE_ZEROES 1
#  else
#    define WEE_BACKEND_PURGE_ZEROES 0
#  endif
#endif
#if WEE_BACKEND_PURGE_ZEROES
WEE_INTERNAL extern int wee__backend_purge_zeroes;
#endif

/*
 * Per-thread caches of small blocks (thread-cache.c) need to run code when
 * a thread exits, which only the mmap backend (POSIX threads) provides.
 * They are left out where the extra assertions or valgrind must see every
 * free, and without threads there is nothing to cache per thread.  They
 * use GNU C's __thread and __atomic builtins (GCC and clang).
 */
#if WEE_ALLOC_BACKEND_MMAP && WEE_ALLOC_THREADS && defined(__GNUC__) \
    && !WEE_ALLOC_EXTRA_ASSERTIONS \
    && !(defined(WEE_ALLOC_VALGRIND) && WEE_ALLOC_VALGRIND)
#  define WEE_THREAD_CACHE 1
#else
#  define WEE_THREAD_CACHE 0
#endif

/*
 * wee__backend_on_thread_exit - call fn(arg) when the calling thread exits
 * (thread-cache.c registers each thread's cache).  0 on success, -1 when it
 * cannot be arranged.
 */
WEE_INTERNAL int wee__backend_on_thread_exit(void (*fn)(void *), void *arg);

/*
 * wee__fatal - report heap corruption or misuse and stop the program.
 *
 * Writes "wee_alloc: FUNC(ADDRESS): WHAT" to the standard error stream when
 * there is one, then aborts (a trap where there is no abort).
 */
WEE_INTERNAL WEE_NORETURN void wee__fatal(const char *func, const char *what,
                                          const void *address);

/*
 * The lock.  Uncontended, taking and releasing it is one atomic exchange and
 * one release store, inlined at the call site; a thread that finds it taken
 * calls the backend's wee__lock_wait, which spins a little and then yields
 * the processor the way the system allows (on bare metal with newlib or
 * picolibc the lock is the C library's instead, first below).  With
 * WEE_ALLOC_THREADS off the lock compiles to nothing.
 *
 * With glibc 2.32 or later the exchange is skipped while
 * __libc_single_threaded says the process has one thread, as glibc's own
 * malloc does: nothing can contend, and the exchange is a full barrier,
 * the dearest part of a call that takes the lock.  The flag turns false
 * in pthread_create before the new thread runs, and only the one thread
 * can create it, never inside a call that holds the lock; so a call sees
 * the same value at both ends.  The release is a plain store either way,
 * so a lock taken before the flag turned true again (in a fork child,
 * whose atfork handler releases it) is still released.
 */
#if (WEE_LOCK_NEWLIB || WEE_LOCK_PICOLIBC) && WEE_ALLOC_THREADS
/* Bare metal (configure): every lock is the one lock the C library's own
 * malloc takes, through functions an RTOS or the program defines (the C
 * library's own do nothing): newlib's __malloc_lock and __malloc_unlock
 * hooks, or picolibc's recursive C library lock, through its retargetable
 * locking functions.  Both may nest, as a heap's lock and the backend's
 * do here. */
#  if WEE_LOCK_NEWLIB
#    include <reent.h>
extern void __malloc_lock(struct _reent *);
extern void __malloc_unlock(struct _reent *);
#    define WEE_LIBC_LOCK() __malloc_lock(_REENT)
#    define WEE_LIBC_UNLOCK() __malloc_unlock(_REENT)
#  else
#    include <sys/lock.h>
#    define WEE_LIBC_LOCK() __LIBC_LOCK()
#    define WEE_LIBC_UNLOCK() __LIBC_UNLOCK()
#  endif
typedef int wee__lock_t;                       /* a placeholder: unused */
static inline void wee__lock_acquire(wee__lock_t *lock)
{
    (void)lock;
    WEE_LIBC_LOCK();
}

static inline void wee__lock_release(wee__lock_t *lock)
{
    (void)lock;
    WEE_LIBC_UNLOCK();
}
#  define WEE_LOCK_NOT_ATOMIC 1
#elif WEE_ALLOC_BACKEND_VIRTUALALLOC && WEE_ALLOC_THREADS
/* Windows: the lock is an SRWLOCK (one pointer, all zero when unlocked),
 * taken and released by backend-virtualalloc.c, which alone includes
 * <windows.h>.  The SRWLOCK waits by itself; wee__lock_wait is unused. */
typedef void *wee__lock_t;
WEE_INTERNAL void wee__lock_acquire(wee__lock_t *lock);
WEE_INTERNAL void wee__lock_release(wee__lock_t *lock);
#  define WEE_LOCK_NOT_ATOMIC 1
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_ATOMICS__)
#  include <stdatomic.h>
typedef atomic_int wee__lock_t;
#  define wee__lock_try(l) \
      (atomic_exchange_explicit((l), 1, memory_order_acquire) == 0)
#  define wee__lock_is_taken(l) atomic_load_explicit((l), memory_order_relaxed)
#  define wee__lock_release_now(l) atomic_store_explicit((l), 0, memory_order_release)
#else
typedef int wee__lock_t;
#  define wee__lock_try(l) (__atomic_exchange_n((l), 1, __ATOMIC_ACQUIRE) == 0)
#  define wee__lock_is_taken(l) __atomic_load_n((l), __ATOMIC_RELAXED)
#  define wee__lock_release_now(l) __atomic_store_n((l), 0, __ATOMIC_RELEASE)
#endif

WEE_INTERNAL void wee__lock_wait(wee__lock_t *lock);

#ifndef WEE_LOCK_NOT_ATOMIC
#  if WEE_HAVE_LIBC_SINGLE_THREADED
#    include <sys/single_threaded.h>
#    define wee__lock_needed() (!__libc_single_threaded)
#  else
#    define wee__lock_needed() 1
#  endif

static inline void wee__lock_acquire(wee__lock_t *lock)
{
    if (WEE_ALLOC_THREADS && wee__lock_needed() && WEE_UNLIKELY(!wee__lock_try(lock)))
        wee__lock_wait(lock);
}

static inline void wee__lock_release(wee__lock_t *lock)
{
    if (WEE_ALLOC_THREADS)
        wee__lock_release_now(lock);
}
#endif

#endif /* WEE_BACKEND_H */
