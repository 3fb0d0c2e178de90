/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc.c - malloc, free and the rest of the C allocation functions on the
 * wee_alloc default heap.  This file, built together with the core sources,
 * is libwee_alloc_malloc: a separate library, so that linking -lwee_alloc
 * never replaces the C library's allocator by surprise.  It is the same on
 * every host; what only ELF hosts have (fork handlers, statistics) is in
 * lib/malloc-elf.c, behind lib/malloc.h.
 *
 * How it replaces malloc
 *   - ELF (Linux): by symbol interposition, with LD_PRELOAD or by linking
 *     the library before libc; lib/malloc-elf.c tells the whole story.
 *     Exported: exactly the fourteen functions below (lib/malloc.sym).
 *   - wasm32 without a C library (wasm32-unknown-none): there is no other
 *     malloc.  The library is a static archive that defines the fourteen
 *     functions (and holds the whole wee_alloc core); linking it gives a C
 *     program malloc & co. with nothing else.  It imports nothing from the
 *     host: memory.grow is an instruction (tests/test-malloc-wasm-imports.sh
 *     checks this).  There is no errno: the error number goes where the
 *     core's does, wee_errno (wee_alloc.h, lib/libc-shim.h), and ENOMEM
 *     and EINVAL are WEE_ENOMEM and WEE_EINVAL, which have WASI's values;
 *     posix_memalign returns those values too.
 *   - wasm32-wasi: linked before wasi-libc (the compiler driver adds libc
 *     last), the program's malloc and the rest come from here.  wasi-libc's
 *     own objects call its malloc also by internal names (__libc_malloc,
 *     __libc_calloc, __libc_free: atexit, the locale functions); they are
 *     defined here as well, so that its dlmalloc.o, which defines all of
 *     these names, is never pulled into the link (wasm-ld would stop on
 *     duplicate symbols) and libc's allocations come here too.
 *   - newlib (the static backend, bare metal): a static archive linked
 *     instead of newlib's allocator, which also defines newlib's reentrant
 *     names (at the end of this file).
 *   - picolibc (the static backend, bare metal): the same, without the
 *     reentrant names: picolibc calls its allocator by the standard ones.
 *
 * Semantics: those of glibc 2.36 (checked against it by tests/test-malloc-glibc;
 * on wasm32 with no C library by tests/malloc-nolibc.c)
 *   - malloc(0), calloc(n, 0) and friends return a unique, freeable pointer.
 *   - Sizes that overflow (calloc's and reallocarray's products included):
 *     NULL with errno ENOMEM.
 *   - realloc(p, 0) with p not NULL frees p and returns NULL, errno
 *     unchanged (glibc's REALLOC_ZERO_BYTES_FREES); realloc(NULL, n) is
 *     malloc(n); a failed realloc leaves p untouched.
 *   - Every pointer is aligned for max_align_t: 16 on 64-bit hosts, i386
 *     and wasm32, 8 on armhf (MALLOC_ALIGN below).
 *   - memalign, aligned_alloc (which is memalign in glibc 2.36), valloc,
 *     pvalloc: an alignment up to that minimum is plain malloc; one that
 *     is not a power of two is rounded up to the next power of two; one
 *     above SIZE_MAX / 2 + 1 fails with EINVAL.
 *   - posix_memalign: returns EINVAL (errno unchanged) unless the alignment
 *     is a power-of-two multiple of sizeof(void *), ENOMEM (and, as glibc,
 *     errno = ENOMEM) when memory is short; *memptr is unchanged on failure.
 *   - valloc and pvalloc align to the page size (sysconf(_SC_PAGESIZE);
 *     on wasm32 the wasm page, 64 KiB, as in wasi-libc);
 *     pvalloc also rounds the size up to a page, ENOMEM if that overflows.
 *   - free preserves errno; free_sized and free_aligned_sized (C23) are
 *     free, and with extra assertions check that the size (and alignment)
 *     can be the block's.
 *   - malloc_trim (glibc's, newlib's) is wee_trim: it lets the system take
 *     the pages under free memory and returns 1 when it gave any back,
 *     else 0 (always with the static and wasm backends, whose memory
 *     cannot go back).  `pad`, the room glibc keeps at the top of its
 *     heap, has nothing to apply to: wee_trim gives back only pages
 *     inside free blocks.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "libc-shim.h"
#include "malloc.h"
#include "wee_alloc.h"

#if WEE_MALLOC_NEWLIB
#  include <reent.h>
#endif

#if defined(__GNUC__)
#  define WEE_MALLOC_API __attribute__((visibility("default")))
#else
#  error "libwee_alloc_malloc needs GCC-compatible visibility"
#endif

/* Declared here rather than taken from <stdlib.h> and <malloc.h>: some are
 * GNU or C23 extensions a strict C99 build does not see, and the library
 * must define all of them wherever it is built. */
WEE_MALLOC_API void *malloc(size_t size);
WEE_MALLOC_API void free(void *ptr);
WEE_MALLOC_API void *calloc(size_t nmemb, size_t size);
WEE_MALLOC_API void *realloc(void *ptr, size_t size);
WEE_MALLOC_API void *reallocarray(void *ptr, size_t nmemb, size_t size);
WEE_MALLOC_API void *aligned_alloc(size_t alignment, size_t size);
WEE_MALLOC_API int posix_memalign(void **memptr, size_t alignment, size_t size);
WEE_MALLOC_API void *memalign(size_t alignment, size_t size);
WEE_MALLOC_API void *valloc(size_t size);
WEE_MALLOC_API void *pvalloc(size_t size);
WEE_MALLOC_API size_t malloc_usable_size(void *ptr);
WEE_MALLOC_API void free_sized(void *ptr, size_t size);
WEE_MALLOC_API void free_aligned_sized(void *ptr, size_t alignment, size_t size);
WEE_MALLOC_API int malloc_trim(size_t pad);

/*
 * The alignment of every pointer: what C11 asks of malloc, max_align_t's,
 * which is what wee_alloc's cells give (CELL_ALIGN, MIN_ALIGN of
 * wee_alloc.h): 16 on 64-bit hosts, i386 and wasm32, 8 on armhf.
 */
#define MALLOC_ALIGN CELL_ALIGN

/* ---- alignment helpers ---- */

/* glibc's memalign: small alignments are malloc's, others are rounded up
 * to a power of two; above SIZE_MAX / 2 + 1 there is none to round to. */
static void *align_alloc(size_t alignment, size_t size)
{
    size_t a;

    if (alignment <= MALLOC_ALIGN)
        return wee_malloc(size);
    if (alignment > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    for (a = MALLOC_ALIGN; a < alignment; a <<= 1)
        ;
    return wee_aligned_alloc(a, size);
}

/* ---- the functions ---- */

void *malloc(size_t size)
{
    count(F_MALLOC);
    return wee_malloc(size);
}

void free(void *ptr)
{
    count(F_FREE);
    wee_free(ptr);
}

void *calloc(size_t nmemb, size_t size)
{
    count(F_CALLOC);
    return wee_calloc(nmemb, size);
}

void *realloc(void *ptr, size_t size)
{
    count(F_REALLOC);
    return wee_realloc(ptr, size);
}

void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
    count(F_REALLOCARRAY);
    if (size && nmemb > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return wee_realloc(ptr, nmemb * size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    count(F_ALIGNED_ALLOC);
    return align_alloc(alignment, size);
}

int posix_memalign(void **memptr, size_t alignment, size_t size)
{
    void *p;

    count(F_POSIX_MEMALIGN);
    if (alignment == 0 || alignment % sizeof(void *) != 0
        || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    /* As glibc's, a failure for lack of memory also sets errno. */
    p = align_alloc(alignment, size);
    if (!p)
        return ENOMEM;
    *memptr = p;
    return 0;
}

void *memalign(size_t alignment, size_t size)
{
    count(F_MEMALIGN);
    return align_alloc(alignment, size);
}

void *valloc(size_t size)
{
    count(F_VALLOC);
    return align_alloc(wee__malloc_page_size(), size);
}

void *pvalloc(size_t size)
{
    size_t page = wee__malloc_page_size();

    count(F_PVALLOC);
    if (size > SIZE_MAX - (page - 1)) {
        errno = ENOMEM;
        return NULL;
    }
    return align_alloc(page, (size + page - 1) & ~(page - 1));
}

size_t malloc_usable_size(void *ptr)
{
    count(F_MALLOC_USABLE_SIZE);
    return wee_malloc_usable_size(ptr);
}

void free_sized(void *ptr, size_t size)
{
    count(F_FREE_SIZED);
    if (WEE_ALLOC_EXTRA_ASSERTIONS && ptr && size > wee_malloc_usable_size(ptr))
        wee__fatal("free_sized", "size larger than the block", ptr);
    wee_free(ptr);
}

void free_aligned_sized(void *ptr, size_t alignment, size_t size)
{
    count(F_FREE_ALIGNED_SIZED);
    if (WEE_ALLOC_EXTRA_ASSERTIONS && ptr
        && (size > wee_malloc_usable_size(ptr)
            || ((alignment & (alignment - 1)) == 0 && alignment
                && ((uintptr_t)ptr & (alignment - 1)) != 0)))
        wee__fatal("free_aligned_sized", "size or alignment not the block's", ptr);
    wee_free(ptr);
}

int malloc_trim(size_t pad)
{
    (void)pad;
    count(F_MALLOC_TRIM);
    return wee_trim() != 0;
}

#if defined(__wasi__)
/* wasi-libc's internal names for its malloc (see the top of the file). */
WEE_MALLOC_API void *__libc_malloc(size_t size);
WEE_MALLOC_API void *__libc_calloc(size_t nmemb, size_t size);
WEE_MALLOC_API void __libc_free(void *ptr);

void *__libc_malloc(size_t size)
{
    return wee_malloc(size);
}

void *__libc_calloc(size_t nmemb, size_t size)
{
    return wee_calloc(nmemb, size);
}

void __libc_free(void *ptr)
{
    wee_free(ptr);
}
#endif

#if WEE_MALLOC_NEWLIB
/*
 * newlib's reentrant entry points.  newlib's malloc, free and the rest
 * call _malloc_r, _free_r and so on with a struct _reent, and so does
 * newlib itself (stdio's buffers, strdup, asprintf, the atexit and locale
 * tables).  They are defined here, in the object that defines malloc and
 * free, so that a link that takes any of the names from this archive
 * takes all of them: newlib's allocator is never pulled in beside it, and
 * no block of one heap reaches the other's free.  Nothing calls _sbrk.
 * newlib's mallinfo, malloc_stats, mallopt and malloc_trim describe
 * newlib's heap and are not provided; a program that calls one pulls
 * newlib's allocator in after all, and the link fails.
 *
 * A reentrant function reports an error in its struct _reent, as
 * newlib's own do: the call runs with errno cleared, and what it leaves
 * there goes to r->_errno, errno itself keeping its value (when r is the
 * current thread's _REENT, r->_errno is errno, so errno gets the error).
 * The lock is wee_alloc's own, not newlib's __malloc_lock.
 */
WEE_MALLOC_API void *_malloc_r(struct _reent *r, size_t size);
WEE_MALLOC_API void _free_r(struct _reent *r, void *ptr);
WEE_MALLOC_API void *_calloc_r(struct _reent *r, size_t nmemb, size_t size);
WEE_MALLOC_API void *_realloc_r(struct _reent *r, void *ptr, size_t size);
WEE_MALLOC_API void *_memalign_r(struct _reent *r, size_t alignment, size_t size);
WEE_MALLOC_API void *_valloc_r(struct _reent *r, size_t size);
WEE_MALLOC_API void *_pvalloc_r(struct _reent *r, size_t size);
WEE_MALLOC_API size_t _malloc_usable_size_r(struct _reent *r, void *ptr);
WEE_MALLOC_API void _cfree_r(struct _reent *r, void *ptr);

/* Start a call on behalf of a struct _reent: errno cleared, its value
 * returned. */
static int reent_enter(void)
{
    int saved = errno;

    errno = 0;
    return saved;
}

/* End it: the call's error, if any, to r->_errno, and errno restored. */
static void *reent_leave(struct _reent *r, int saved, void *result)
{
    int error = errno;

    errno = saved;
    if (error)
        r->_errno = error;
    return result;
}

void *_malloc_r(struct _reent *r, size_t size)
{
    int saved = reent_enter();
    return reent_leave(r, saved, malloc(size));
}

void *_calloc_r(struct _reent *r, size_t nmemb, size_t size)
{
    int saved = reent_enter();
    return reent_leave(r, saved, calloc(nmemb, size));
}

void *_realloc_r(struct _reent *r, void *ptr, size_t size)
{
    int saved = reent_enter();
    return reent_leave(r, saved, realloc(ptr, size));
}

void *_memalign_r(struct _reent *r, size_t alignment, size_t size)
{
    int saved = reent_enter();
    return reent_leave(r, saved, memalign(alignment, size));
}

void *_valloc_r(struct _reent *r, size_t size)
{
    int saved = reent_enter();
    return reent_leave(r, saved, valloc(size));
}

void *_pvalloc_r(struct _reent *r, size_t size)
{
    int saved = reent_enter();
    return reent_leave(r, saved, pvalloc(size));
}

/* free and malloc_usable_size set no error. */
void _free_r(struct _reent *r, void *ptr)
{
    (void)r;
    free(ptr);
}

void _cfree_r(struct _reent *r, void *ptr)
{
    _free_r(r, ptr);
}

size_t _malloc_usable_size_r(struct _reent *r, void *ptr)
{
    (void)r;
    return malloc_usable_size(ptr);
}
#endif
