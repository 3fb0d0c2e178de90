/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wee_alloc.h - the Wasm-Enabled, Elfin Allocator, for C.
 *
 * This header is the contract.  Every function states its complexity, the
 * alignment of what it returns and what it does with bad input.  Anything
 * not stated here is not promised.
 *
 * Terms used below:
 *   W        sizeof(void *): 4 on wasm32 and other 32-bit hosts, 8 on 64-bit.
 *   MIN_ALIGN  the larger of 2*W and max_align_t's alignment, what C11's
 *            malloc guarantees: 16 on 64-bit hosts, i386 and wasm32, 8 on
 *            armhf and Cortex-M.  Every pointer returned by an allocating
 *            function is aligned to at least this.
 *   block    the memory behind a pointer returned by wee_malloc and friends.
 *
 * Threads: every function may be called from any number of threads at once,
 * except where the backend was built without a lock (see wee_alloc_config.h).
 * Not from a signal or interrupt handler: one that interrupts a call
 * holding the lock would wait for it for ever.  On bare metal with newlib
 * the lock is newlib's __malloc_lock and __malloc_unlock, the hooks of
 * newlib's own malloc, and with picolibc its C library lock (__LIBC_LOCK),
 * which its malloc takes: they do nothing unless an RTOS or the program
 * defines the functions behind them, and the lock then does what those do
 * (if they mask interrupts, handlers may allocate).  Elsewhere without an
 * OS, a thread that finds the lock taken spins until the holder releases
 * it, which needs the holder to run meanwhile: on another core, or in a
 * time slice of the scheduler.
 *
 * Exhaustion: when the backend can give no more memory, allocating functions
 * return NULL and set errno to ENOMEM; the heap stays consistent and every
 * block allocated before stays valid.  A size that cannot be met on any
 * machine (it overflows once the header and alignment are added) fails the
 * same way without asking the backend for anything.
 *
 * Misuse: free/realloc of a pointer that was not returned by this library, or
 * that was already freed, is undefined behaviour in C and here too.  The cheap
 * checks that are always on (a block's own header flags) abort the program
 * with a message naming the function and the address when they catch it.
 * With extra assertions (WEE_ALLOC_EXTRA_ASSERTIONS) every such pointer is
 * caught unless it is the address of a live block again (a block freed,
 * then handed out anew): it must lie in the heap, start a cell, and have
 * consistent neighbours, and freed memory is poisoned and verified before
 * reuse.  README.md's "What happens when..." lists every case.
 */
#ifndef WEE_ALLOC_H
#define WEE_ALLOC_H

#include <stddef.h>

#include "wee_alloc_config.h"

/*
 * WEE_API marks the exported functions.  The library is built with hidden
 * visibility, so nothing else leaves the shared object.  Consumers see a
 * plain declaration, which links against the shared library, the Windows
 * import library and the static archive alike.
 */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(WEE_ALLOC_BUILDING) && defined(DLL_EXPORT)
#    define WEE_API __declspec(dllexport)
#  else
#    define WEE_API
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define WEE_API __attribute__((visibility("default")))
#else
#  define WEE_API
#endif

#if defined(__GNUC__) && __GNUC__ >= 5
#  define WEE_MALLOC_ATTRS __attribute__((malloc, warn_unused_result))
#else
#  define WEE_MALLOC_ATTRS
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * wee_malloc - allocate a block of at least `size` bytes.
 *
 * Returns a pointer aligned to MIN_ALIGN, or NULL with errno = ENOMEM.
 * size 0 returns a unique, freeable pointer (as glibc does), never NULL
 * unless memory is exhausted.  The contents are unspecified.
 * Complexity: O(1); amortised O(1) including growth of the heap.
 */
WEE_API void *wee_malloc(size_t size) WEE_MALLOC_ATTRS;

/*
 * wee_calloc - allocate zeroed memory for an array of `nmemb` elements of
 * `size` bytes each.
 *
 * Returns a pointer aligned to MIN_ALIGN whose first nmemb*size bytes are
 * zero, also when the memory is reused.  NULL with errno = ENOMEM when
 * nmemb*size overflows or memory is exhausted.  From 64 KiB up, with the
 * mmap and VirtualAlloc backends, the pages that read as zero already are
 * not written: those the heap grows by for the block, and on Linux those
 * a freed block gave back (see wee_free).  They stay out of the process's
 * memory until the program touches them, as with glibc's calloc.
 * Complexity: O(1) plus O(nmemb*size) to clear.
 */
WEE_API void *wee_calloc(size_t nmemb, size_t size) WEE_MALLOC_ATTRS;

/*
 * wee_realloc - resize the block at `ptr` to at least `size` bytes.
 *
 * - ptr NULL: same as wee_malloc(size).
 * - size 0 (ptr not NULL): frees ptr and returns NULL (glibc's behaviour;
 *   errno is left unchanged).
 * - Otherwise the first min(old size, size) bytes are kept.  The block is
 *   shrunk in place, grown in place when the next cell is free and large
 *   enough, and moved otherwise.  The tail a block sheds by shrinking is
 *   freed, and gives its pages back as a freed block would (wee_free).
 * - Failure: NULL with errno = ENOMEM; ptr is then left untouched and
 *   still owned by the caller.
 * The result keeps MIN_ALIGN (not a larger alignment the block may have had).
 * Complexity: O(1) in place, O(size) when the contents move.
 */
WEE_API void *wee_realloc(void *ptr, size_t size);

/*
 * wee_free - release the block at `ptr`.
 *
 * ptr NULL: no-op.  The block is merged with free neighbours at once, or
 * kept on its size class's list.  Freed memory is kept by the heap for
 * later requests.  Where wee_trim can give pages back, the free of a block
 * above 128 KiB gives back the pages inside it and inside the free blocks
 * it merges with, as glibc does with the blocks it maps apart, unless a
 * block at least as large has had its pages given back before (up to
 * 32 MiB): then the heap keeps them, as glibc raises its threshold, so
 * that freeing and allocating blocks of one size over and over costs no
 * system calls (the same holds for the tail that a block sheds in
 * wee_realloc).  And once the heap's free memory exceeds what is in use by
 * more than 16 MiB, every free block above 256 KiB (twice that threshold,
 * as it rises; smaller blocks merge into such blocks as they are freed)
 * gives its pages back too, looked at each time a quarter of what is in
 * use has been freed.  A program whose use then rises again makes the heap
 * keep twice that rise free from then on, so that freeing and allocating
 * most of the heap over and over costs its pages once.  Complexity: O(1);
 * at such a look, O(free blocks above 256 KiB) and a system call for each
 * one not given back already.
 */
WEE_API void wee_free(void *ptr);

/*
 * wee_aligned_alloc - allocate `size` bytes aligned to `alignment`.
 *
 * `alignment` must be a power of two; any power of two is honoured (values
 * below MIN_ALIGN give MIN_ALIGN).  Unlike C11, `size` need not be a
 * multiple of `alignment`.
 * Errors: NULL with errno = EINVAL when alignment is not a power of two;
 * NULL with errno = ENOMEM when size plus alignment overflows or memory is
 * exhausted.
 * Complexity: O(1) amortised.
 */
WEE_API void *wee_aligned_alloc(size_t alignment, size_t size) WEE_MALLOC_ATTRS;

/*
 * wee_posix_memalign - POSIX posix_memalign on the wee_alloc heap.
 *
 * Stores a block of `size` bytes aligned to `alignment` in *memptr and
 * returns 0.  Returns EINVAL (memptr untouched) when memptr is NULL or
 * alignment is not a power of two multiple of sizeof(void *), ENOMEM
 * (memptr untouched) when the request overflows or memory is exhausted.
 * errno is not changed.
 * size 0 stores a unique, freeable pointer.
 * Complexity: O(1) amortised.
 */
WEE_API int wee_posix_memalign(void **memptr, size_t alignment, size_t size);

/*
 * wee_malloc_usable_size - the number of bytes usable at `ptr`.
 *
 * At least the size that was asked for; the caller may use all of it.
 * ptr NULL: 0.  Complexity: O(1).
 */
WEE_API size_t wee_malloc_usable_size(const void *ptr);

/*
 * wee_errno_location - where the library stores the error number that the
 * functions above set (ENOMEM, EINVAL).
 *
 * With a C library this is &errno of the calling thread, so errno and
 * wee_errno are the same.  Without one (wasm32-unknown-none, where
 * WEE_ALLOC_HAVE_ERRNO is 0) the library keeps its own int: read it as
 * wee_errno, and compare it with WEE_ENOMEM and WEE_EINVAL, which have the
 * values WASI gives ENOMEM and EINVAL.  Complexity: O(1).
 */
WEE_API int *wee_errno_location(void);
#define wee_errno (*wee_errno_location())
#if !WEE_ALLOC_HAVE_ERRNO
#  define WEE_ENOMEM 48
#  define WEE_EINVAL 28
#endif

/*
 * Statistics of the heap, copied out by wee_stats().  Sizes are bytes.
 * "Cells" are the heap's blocks, free or in use, each with a two-word header.
 */
struct wee_stats {
    size_t backend_bytes;      /* taken from the backend so far; never given back
                                  (wee_trim gives back pages, not addresses) */
    size_t in_use_bytes;       /* usable bytes of the blocks the program holds */
    size_t peak_in_use_bytes;  /* the largest in_use_bytes seen */
    size_t free_bytes;         /* bytes of free cells, headers included */
    size_t free_cells;         /* number of free cells (size-class lists included) */
    size_t largest_free_cell;  /* bytes of the largest free cell, header included */
    size_t failed_requests;    /* allocations that returned NULL for lack of memory */
    unsigned fragmentation_permille; /* 1000 * (1 - largest_free_cell / free_bytes);
                                        0 when nothing is free */
    size_t given_back_bytes;   /* of free_bytes, the pages given back to the
                                  system (wee_trim, or the heap by itself:
                                  see wee_free) and not used since; 0 with
                                  the static and wasm backends */
};

/*
 * wee_stats - fill *out with the default heap's statistics.
 *
 * out NULL: no-op.  Complexity: O(number of free cells); takes the lock.
 * With extra assertions the heap is checked first (O(number of cells)), so
 * that free-list links a write after free replaced abort the program
 * instead of being followed.
 */
WEE_API void wee_stats(struct wee_stats *out);

/*
 * wee_trim - give the memory of the default heap's free pages back to the
 * system.
 *
 * Freed memory stays the heap's, for reuse (but see wee_free for large
 * blocks); this lets the system take back the physical pages under it:
 * every whole page inside a free block (its first words, where the heap
 * keeps its links, excepted).  The addresses stay the heap's, so
 * backend_bytes does not change, and the next use of such a page is a
 * page fault that brings a fresh one.  Before that, the small blocks that
 * size classes and the calling thread's cache keep for reuse go back to
 * the free list, where they merge with their neighbours.  Returns the
 * bytes of the pages given back (not those of free blocks whose pages
 * went back before, by a call or by the heap itself; wee_stats counts
 * those in given_back_bytes): on Linux (madvise MADV_DONTNEED, as glibc's
 * malloc_trim) they leave the process's resident set at once; on Windows
 * (MEM_RESET) the system takes them when it needs memory.  Returns 0,
 * giving nothing back, with the static and wasm backends, whose memory is
 * the program's for good, for a heap inside a buffer (wee_heap_in), and
 * in a library built with extra assertions, which keeps freed memory
 * poisoned to catch writes after free.  Complexity: O(free blocks), and a
 * system call for each free block that holds a whole page; takes the
 * lock.  No block moves: every pointer the program holds stays valid.
 */
WEE_API size_t wee_trim(void);

/* What wee_check() found: 0 when every invariant holds. */
enum wee_check_result {
    WEE_CHECK_OK = 0,
    WEE_CHECK_CELL_MISALIGNED,  /* a cell's payload is not on a MIN_ALIGN boundary */
    WEE_CHECK_CELL_LINKS,       /* a cell's neighbour does not point back to it */
    WEE_CHECK_CELL_SIZE,        /* a cell is smaller than the minimum or runs past its region */
    WEE_CHECK_FREE_NEIGHBOURS,  /* two adjacent free cells were not merged */
    WEE_CHECK_FREE_LIST,        /* a free list holds a cell that is not free, or in the wrong list */
    WEE_CHECK_BITMAP,           /* the non-empty-bin bitmap disagrees with the bins */
    WEE_CHECK_POISON,           /* freed memory was written to (extra assertions only) */
    WEE_CHECK_ACCOUNTING,       /* the byte or cell counters disagree with the cells */
    WEE_CHECK_SIZE_CLASS        /* a size-class list holds a cell of the wrong size or state */
};

/*
 * wee_check - walk the whole default heap and verify every invariant.
 *
 * Returns WEE_CHECK_OK (0) or the first broken invariant found.  A link
 * of a free list is followed only once it is known to lead to a cell of
 * the heap: links that a write after free replaced are reported
 * (WEE_CHECK_FREE_LIST, WEE_CHECK_SIZE_CLASS), in every build.  The
 * small blocks that the calling thread's cache holds (mmap backend) are
 * checked too, not those of other threads' caches.
 * Complexity: O(number of cells), each free one looked up among the heap's
 * regions (runs of memory from the backend, usually one or two); takes
 * the lock.
 */
WEE_API int wee_check(void);

/*
 * wee_check_describe - a short English description of a wee_check() code.
 *
 * Never NULL; unknown codes give "unknown wee_check result".
 */
WEE_API const char *wee_check_describe(int code);

/*
 * wee_fatal_hook - defined by the program, if it wants one, never by the
 * library: told why the library is about to stop the program, on a host
 * with nowhere to write (wasm32-unknown-none, bare metal).
 *
 * A fatal error is misuse caught (a double free, a foreign pointer) or a
 * heap found corrupted.  Where there is a standard error stream the library
 * writes "wee_alloc: FUNC(0xADDRESS): WHAT" there and aborts, and never
 * calls this.  Where there is none (WEE_ALLOC_WRITES_MESSAGES is 0 in
 * wee_alloc_config.h), it traps; before that, a library built
 * with extra assertions (WEE_ALLOC_EXTRA_ASSERTIONS) calls
 * wee_fatal_hook(FUNC, WHAT, ADDRESS) when the program defines it: FUNC is
 * the API function that was called ("wee_free"), WHAT what went wrong,
 * ADDRESS the pointer at fault.  (Other builds spend no bytes on the
 * messages.)  The library's reference is weak, so a program without a
 * hook links and runs as before.  The heap may be broken and, with
 * threads, its lock is held: the hook must not call wee_alloc.  It may
 * write the message where it can (a serial port, a function the wasm host
 * gives) and return, or stop the program its own way.
 */
void wee_fatal_hook(const char *func, const char *what, const void *address);

/*
 * Heap instances.
 *
 * The functions above work on the default heap.  A program may also keep
 * independent heaps, each with its own lock and free lists:
 *   - wee_heap_new() makes a heap fed by the configured backend, as the
 *     default heap is;
 *   - wee_heap_in(buf, len) makes a heap that lives entirely inside a
 *     caller's buffer (an arena, an embedded pool): requests it cannot meet
 *     fail with ENOMEM, it never asks the backend for anything.
 * A block must be freed (or resized) through the heap that allocated it.
 * Freeing it into another heap is undefined behaviour; with extra
 * assertions it aborts with a message naming the function and the address.
 * Heaps are never destroyed: like the original, the backend never takes
 * their memory back (wee_heap_trim lets the system take the pages under
 * their free memory).  Every wee_heap_* function takes NULL to mean the
 * default heap, and otherwise behaves exactly as the function of the same
 * name above.
 */
typedef struct wee_heap wee_heap;

/* wee_heap_default - the default heap (never NULL).  O(1). */
WEE_API wee_heap *wee_heap_default(void);

/*
 * wee_heap_new - a new, empty heap fed by the backend.
 *
 * Its state takes the start of the memory it gets from the backend (in
 * 64 KiB units; 4 KiB units from the static array), whose rest is the
 * heap's first free memory.  NULL with errno = ENOMEM when the backend has
 * no memory.  O(1).
 */
WEE_API wee_heap *wee_heap_new(void);

/*
 * wee_heap_in - a heap inside the `len` bytes at `buf`.
 *
 * buf may have any alignment: the heap starts at the first MIN_ALIGN
 * boundary in it.  len must be large enough for the heap's own state and
 * one block (about 9 KiB on 64-bit hosts, 3 KiB on 32-bit ones), after
 * that boundary; otherwise, or when buf is NULL, NULL with errno = EINVAL.
 * The caller keeps the buffer alive and untouched for as long as the heap
 * is used.  O(1).
 */
WEE_API wee_heap *wee_heap_in(void *buf, size_t len);

WEE_API void *wee_heap_malloc(wee_heap *heap, size_t size) WEE_MALLOC_ATTRS;
WEE_API void *wee_heap_calloc(wee_heap *heap, size_t nmemb, size_t size) WEE_MALLOC_ATTRS;
WEE_API void *wee_heap_realloc(wee_heap *heap, void *ptr, size_t size);
WEE_API void wee_heap_free(wee_heap *heap, void *ptr);
WEE_API void *wee_heap_aligned_alloc(wee_heap *heap, size_t alignment, size_t size)
    WEE_MALLOC_ATTRS;
WEE_API size_t wee_heap_usable_size(wee_heap *heap, const void *ptr);
WEE_API void wee_heap_stats(wee_heap *heap, struct wee_stats *out);
WEE_API size_t wee_heap_trim(wee_heap *heap);

/*
 * wee_heap_check - as wee_check, for one heap, and where.
 *
 * When an invariant is broken and `where` is not NULL, *where receives the
 * address of the cell (or heap structure) at fault; on success, NULL.
 * With extra assertions the library runs this check itself: after every
 * operation while the heap has at most 4096 cells, and every 256 operations
 * on larger heaps (so that checking stays linear in the work done); every
 * operation also checks the cells it touches, and poison is verified
 * whenever freed memory is handed out again.  When a write after free
 * replaced a free cell's links, *where is that cell.  O(number of cells),
 * as wee_check.
 */
WEE_API int wee_heap_check(wee_heap *heap, void **where);

/*
 * wee_heap_walk - call visit(block, size, in_use, arg) for every cell.
 *
 * block is the cell's payload address, size its usable bytes, in_use 1 for
 * a block the program holds and 0 for free memory (on the main list or a
 * size-class list).  On the default heap, a block that a thread freed into
 * its own cache (mmap backend) counts as in use until it goes back to the
 * heap; wee_stats counts it as free.  Cells are visited in address order within each region.
 * The walk stops at the first non-zero value visit returns, and returns it;
 * 0 when every cell was visited (and when visit is NULL, which visits
 * nothing).  The heap's lock is held throughout: visit must not call into
 * the same heap.  O(number of cells).  With extra assertions the heap is
 * checked first, so that headers an overrun broke abort the program
 * instead of being followed.
 */
typedef int (*wee_walk_fn)(void *block, size_t size, int in_use, void *arg);
WEE_API int wee_heap_walk(wee_heap *heap, wee_walk_fn visit, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* WEE_ALLOC_H */
