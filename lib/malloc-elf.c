/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-elf.c - the part of libwee_alloc_malloc that only ELF hosts
 * (Linux) have: the fork handlers, WEE_ALLOC_STATS and the page size from
 * sysconf.  lib/malloc.c holds the functions themselves, lib/malloc.h the
 * interface between the two.
 *
 * How it replaces malloc
 *   On ELF systems a program's references to malloc bind to the first
 *   definition in the global search order: the executable, then LD_PRELOAD
 *   libraries, then the libraries it links, in link order, libc last.  So
 *   `LD_PRELOAD=libwee_alloc_malloc.so program`, or linking the library
 *   before libc (`cc ... $(pkg-config --libs wee_alloc_malloc)`), makes every
 *   call in the process, those inside libc and ld.so included, come here.
 *   A static link takes these definitions instead of libc.a's malloc.o.
 *   Exported: exactly the fourteen functions of lib/malloc.c
 *   (lib/malloc.sym).
 *
 * Pointers the heap did not allocate
 *   free() on a pointer that is not ours is undefined behaviour; the heap
 *   catches some cases (see wee_alloc.h) and all of them with extra
 *   assertions.  The library relies on that never happening in a correct
 *   program, and on glibc it does not:
 *   - The heap is static, zero-initialised data that needs no constructor,
 *     so the first call of the process, whenever it comes (inside ld.so
 *     once it has relocated itself, in libc's initialisation, in another
 *     library's constructor), is served by wee_alloc.  There is no "before"
 *     in which another allocator's blocks could be made and later freed
 *     here.
 *   - Before relocation ld.so allocates from its own minimal allocator.  It
 *     never passes those blocks to free(): they live as long as the process,
 *     and glibc copies the one it does resize (the initial thread's DTV)
 *     instead of calling realloc on it.
 *   - Inside libc (2.36) every allocation goes through the interposable
 *     names malloc, calloc, realloc and free: strdup, getline, qsort,
 *     asprintf, stdio buffers, getaddrinfo, dlopen, thread start-up (the
 *     DTV, dynamic TLS blocks) all allocate here.  Thread stacks are
 *     mmap'ed, not allocated.  tests/test-malloc-libc.c checks this: after
 *     all of them, glibc's own arena (mallinfo2) is still empty.
 *   - What is not covered: loading this library with dlopen() has no
 *     effect (libc's malloc was bound first, and stays); a program calling
 *     glibc's internal __libc_malloc directly gets glibc's heap, and must
 *     not pass that memory to free(); mallopt, mallinfo and malloc_stats
 *     still act on glibc's (empty) heap.  malloc_trim is ours (wee_trim).
 *
 * fork
 *   A constructor registers pthread_atfork handlers (glibc keeps the first
 *   48 registrations in static storage: registering does not allocate).
 *   prepare takes the heap's lock, so no other thread is in the middle of
 *   changing the heap when the process is copied; the parent and the child
 *   release it.  The child can then allocate at once.  Preloaded, the
 *   constructor runs right after libc's; linked, with the other libraries'
 *   constructors; either way before main and before a program normally
 *   starts threads.  (A fork from an earlier constructor, while threads of
 *   that constructor allocate, is not covered.)
 *
 * Statistics: WEE_ALLOC_STATS=1 (any value but empty or 0)
 *   At exit (a destructor, so after the program's atexit handlers) the
 *   process writes two lines to standard error:
 *     wee_alloc_malloc[PID]: os_bytes=N given_back_bytes=N peak_in_use_bytes=N
 *         in_use_bytes=N failed_requests=N   (one line)
 *     wee_alloc_malloc[PID]: malloc=N free=N calloc=N ... malloc_trim=N
 *   with one write(2), formatted in a buffer on the stack: no stdio, no
 *   allocation.  They go to a close-on-exec copy of stderr made by the
 *   constructor (programs such as coreutils close stderr at exit); that
 *   copy keeps the stream open until the process ends.  The call counters
 *   are relaxed atomic increments, done only when statistics are on (and
 *   before the constructor has read the variable, so that the earliest
 *   calls are counted too).  A child of
 *   fork starts with its parent's counts; _exit() and exec print nothing.
 */
/* POSIX.1-2008 for F_DUPFD_CLOEXEC, also under a strict -std=c99. */
#ifndef _POSIX_C_SOURCE
#  define _POSIX_C_SOURCE 200809L
#endif

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "heap.h"
#include "malloc.h"
#include "wee_alloc.h"

#if !WEE_MALLOC_ELF
#  error "malloc-elf.c is for ELF hosts (configure defines WEE_MALLOC_ELF)"
#endif

#if defined(__GNUC__)
#  define WEE_CONSTRUCTOR __attribute__((constructor))
#  define WEE_DESTRUCTOR __attribute__((destructor))
#else
#  error "libwee_alloc_malloc needs GCC-compatible constructors and destructors"
#endif

/* ---- statistics ---- */

static const char *const function_names[F_COUNT] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "aligned_alloc",
    "posix_memalign", "memalign", "valloc", "pvalloc", "malloc_usable_size",
    "free_sized", "free_aligned_sized", "malloc_trim"
};

/* The call counters of malloc.h's count(). */
atomic_int wee__malloc_stats_mode = STATS_UNDECIDED;
atomic_ulong wee__malloc_calls[F_COUNT];

/* Where the statistics go: a copy of standard error made at start-up,
 * because programs may close stderr before the destructors run (coreutils
 * do, in their atexit handler). */
static int stats_fd = STDERR_FILENO;

/* A line being built on the stack: no stdio, no allocation. */
struct line {
    char text[1024];
    size_t len;
};

static void put_str(struct line *l, const char *s)
{
    while (*s && l->len < sizeof l->text)
        l->text[l->len++] = *s++;
}

static void put_num(struct line *l, unsigned long long n)
{
    char digits[24];
    size_t i = sizeof digits;

    digits[--i] = '\0';
    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    put_str(l, digits + i);
}

static void put_field(struct line *l, const char *name, unsigned long long n)
{
    put_str(l, " ");
    put_str(l, name);
    put_str(l, "=");
    put_num(l, n);
}

static void print_stats(void)
{
    struct wee_stats s;
    struct line l;
    const char *p;
    size_t i, left;
    unsigned long long pid = (unsigned long long)getpid();

    wee_stats(&s);
    l.len = 0;
    put_str(&l, "wee_alloc_malloc[");
    put_num(&l, pid);
    put_str(&l, "]:");
    put_field(&l, "os_bytes", s.backend_bytes);
    put_field(&l, "given_back_bytes", s.given_back_bytes);
    put_field(&l, "peak_in_use_bytes", s.peak_in_use_bytes);
    put_field(&l, "in_use_bytes", s.in_use_bytes);
    put_field(&l, "failed_requests", s.failed_requests);
    put_str(&l, "\nwee_alloc_malloc[");
    put_num(&l, pid);
    put_str(&l, "]:");
    for (i = 0; i < F_COUNT; i++)
        put_field(&l, function_names[i],
                  atomic_load_explicit(&wee__malloc_calls[i], memory_order_relaxed));
    put_str(&l, "\n");

    /* One write, so that the lines of several processes sharing the
     * stream do not interleave. */
    p = l.text;
    left = l.len;
    while (left) {
        ssize_t done = write(stats_fd, p, left);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return;
        p += done;
        left -= (size_t)done;
    }
}

/* ---- fork ---- */

static void fork_prepare(void)
{
    wee__default_heap_lock();
}

static void fork_release(void)
{
    wee__default_heap_unlock();
}

/* ---- set-up and exit ---- */

WEE_CONSTRUCTOR static void malloc_init(void)
{
    const char *v = getenv("WEE_ALLOC_STATS");
    int on = v && v[0] && !(v[0] == '0' && v[1] == '\0');

    if (on) {
        /* Close-on-exec, and above the descriptors programs expect to be
         * the lowest free ones. */
        int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 64);
        if (fd < 0)
            fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (fd >= 0)
            stats_fd = fd;
    }
    atomic_store_explicit(&wee__malloc_stats_mode, on ? STATS_ON : STATS_OFF,
                          memory_order_relaxed);
    /* Fails only for lack of memory; the process then has no fork safety,
     * which is what it would have with no handler at all. */
    (void)pthread_atfork(fork_prepare, fork_release, fork_release);
}

WEE_DESTRUCTOR static void malloc_fini(void)
{
    if (atomic_load_explicit(&wee__malloc_stats_mode, memory_order_relaxed)
        == STATS_ON) {
        int saved = errno;
        print_stats();
        errno = saved;
    }
}

/* ---- page size ---- */

size_t wee__malloc_page_size(void)
{
    static atomic_size_t cached;
    size_t size = atomic_load_explicit(&cached, memory_order_relaxed);

    if (!size) {
        long n = sysconf(_SC_PAGESIZE);
        size = n > 0 ? (size_t)n : 4096;
        atomic_store_explicit(&cached, size, memory_order_relaxed);
    }
    return size;
}
