/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wee_alloc.c - the public API: argument checks, errno, the lock, heap
 * instances, and the choice between a size-class list and the main list.
 *
 * Everything that can be decided without the heap (overflow, alignment,
 * the cell size of a request) is decided before the lock is taken, and
 * copying is done after it is released, so the critical section holds only
 * list operations.
 */
#include "config.h"

#include "heap.h"
#include "libc-shim.h"
#include "wee_alloc.h"

#if defined(WEE_ALLOC_VALGRIND) && WEE_ALLOC_VALGRIND
#  include <valgrind/memcheck.h>
/*
 * Blocks are announced to memcheck with their usable size (the program may
 * use all of it).  Freed payloads become inaccessible to the program; the
 * allocator itself keeps links, headers and poison there, so it works with
 * error reporting off while it holds the lock.
 */
#  define VG_ENTER() VALGRIND_DISABLE_ERROR_REPORTING
#  define VG_LEAVE() VALGRIND_ENABLE_ERROR_REPORTING
#  define VG_MALLOC(p, size, zeroed) VALGRIND_MALLOCLIKE_BLOCK((p), (size), 0, (zeroed))
#  define VG_FREE(p) VALGRIND_FREELIKE_BLOCK((p), 0)
#  define VG_RESIZE(p, old, new) VALGRIND_RESIZEINPLACE_BLOCK((p), (old), (new), 0)
#  define VG_DEFINED(p, size) VALGRIND_MAKE_MEM_DEFINED((p), (size))
#else
#  define VG_ENTER() ((void)0)
#  define VG_LEAVE() ((void)0)
#  define VG_MALLOC(p, size, zeroed) ((void)0)
#  define VG_FREE(p) ((void)0)
#  define VG_RESIZE(p, old, new) ((void)0)
#  define VG_DEFINED(p, size) ((void)0)
#endif

/* The default heap.  All zero is an empty, unlocked heap. */
static struct wee_heap default_heap;

/* The fork handlers of the drop-in malloc (lib/malloc.c) hold the default
 * heap's lock, and the backend's, across fork(), so the child finds both
 * free and the heap consistent. */
void wee__default_heap_lock(void)
{
    wee__lock_acquire(&default_heap.lock);
    wee__backend_lock();
}

void wee__default_heap_unlock(void)
{
    wee__backend_unlock();
    wee__lock_release(&default_heap.lock);
}

/*
 * With extra assertions the whole heap is verified as the lock is released:
 * its structure after every call while it has at most CHECK_EVERY_CALL_CELLS
 * cells, and the poison of all freed memory (and, on larger heaps, the
 * structure) every CHECK_PERIOD calls, so that the checks stay linear in the
 * work done.  Every call also checks the cells it touches.
 */
#define CHECK_EVERY_CALL_CELLS 4096u
#define CHECK_PERIOD 256u

static struct wee_heap *heap_or_default(struct wee_heap *heap)
{
    return heap ? heap : &default_heap;
}

/* Take the heap's lock to serve `func`, which the extra assertions'
 * messages name (only they read it: nothing to store otherwise). */
static void lock(struct wee_heap *heap, const char *func)
{
    wee__lock_acquire(&heap->lock);
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        heap->caller = func;
    VG_ENTER();
}

/* Extra assertions: a broken heap is fatal, naming func.  `poison`: check
 * all freed memory's poison too. */
static void verify(struct wee_heap *heap, int poison, const char *func)
{
    const void *where;
    int result = wee__heap_check(heap, poison, &where, &heap->checked_cells);

    if (result != WEE_CHECK_OK)
        wee__fatal(func, wee_check_describe(result), where);
}

static void unlock(struct wee_heap *heap, const char *func)
{
    if (WEE_ALLOC_EXTRA_ASSERTIONS) {
        int periodic = ++heap->checked_calls % CHECK_PERIOD == 0;
        if (periodic || heap->checked_cells <= CHECK_EVERY_CALL_CELLS)
            verify(heap, periodic, func);
    }
    VG_LEAVE();
    wee__lock_release(&heap->lock);
}

/* Unlock after a call that changed nothing. */
static void unlock_unchanged(struct wee_heap *heap)
{
    VG_LEAVE();
    wee__lock_release(&heap->lock);
}

/* Count `bytes` more in use.  Only an increase can set a new peak, so a
 * decrease is a plain subtraction at its call. */
static void note_in_use(struct wee_heap *heap, size_t bytes)
{
    heap->in_use_bytes += bytes;
    if (heap->in_use_bytes > heap->peak_in_use_bytes)
        heap->peak_in_use_bytes = heap->in_use_bytes;
}

/* A cell of `size` bytes aligned to `align`, from a size-class list when
 * one has it, else from the main list; the class lists are emptied into
 * the main list before the heap grows, so cached cells never make it grow. */
static WEE_ALWAYS_INLINE struct cell *heap_alloc(struct wee_heap *heap, size_t size,
                                                  size_t align)
{
    struct cell *c = NULL;

    if (WEE_ALLOC_SIZE_CLASSES && size <= CLASS_MAX_CELL && align <= CELL_ALIGN)
        c = wee__class_pop(heap, size);
    while (!c && !(c = wee__main_take(heap, size, align))) {
        /* Before growing, take back what this thread's cache and the
         * size classes hold, and try again. */
        if (heap == &default_heap && wee__tcache_flush_mine(heap))
            continue;
        if (!wee__class_flush(heap) && wee__main_grow(heap, size, align) != 0)
            return NULL;
    }
    note_in_use(heap, cell_size(c) - CELL_HEADER);
    return c;
}

/*
 * Pages of free memory go back to the system where the backend can give
 * them (GIVE_BACK_PAGES): on request (heap_trim), and as memory is freed,
 * as glibc gives it back:
 *
 *   - a freed block above 128 KiB gives its pages back at once, as glibc
 *     unmaps a block it mapped apart (above its mmap threshold).  And as
 *     glibc raises that threshold, freed blocks up to the size of the last
 *     one given back (up to 32 MiB) keep their pages from then on: a
 *     program that frees and allocates blocks of one size over and over
 *     pays for their pages once, not each time;
 *   - smaller blocks merge into larger free cells, which give their pages
 *     back when the heap is mostly free, as glibc trims the free top of
 *     its heap (purge_cells).
 */
#define PURGE_FREE_MIN  ((size_t)128 << 10)
#define PURGE_FLOOR_MAX ((size_t)32 << 20)
#define PURGE_PAD_MIN   ((size_t)16 << 20)

#if GIVE_BACK_PAGES
/*
 * A look, once a quarter of what is in use (and at least `min` bytes) has
 * been freed to the main list since the last: when the free memory
 * exceeds what is in use by more than the pad, every free cell of at
 * least `min` bytes gives its pages back.  Cells that gave theirs back
 * already (CELL_PURGED) are skipped, so a look costs a system call only
 * for free memory that is new since the last.
 *
 * The pad is 16 MiB at first.  A program whose use rose again after pages
 * went back has paid for those pages twice: from then on the pad is at
 * least twice that rise, so that a program that frees and allocates most
 * of its heap over and over pays for it once, not each time.  The rise is
 * sampled at the looks, which come more often as the heap empties.
 */
static void purge_cells(struct wee_heap *heap, size_t min)
{
    size_t in_use = heap->in_use_bytes, pad = PURGE_PAD_MIN;

    heap->purge_countdown = in_use / 4 > min ? in_use / 4 : min;
    if (heap->purge_pad) {
        /* Pages went back before: the rise in use since counts. */
        if (in_use > heap->purge_high)
            heap->purge_high = in_use;
        if (heap->purge_pad < 2 * (heap->purge_high - heap->purge_low))
            heap->purge_pad = 2 * (heap->purge_high - heap->purge_low);
        pad = heap->purge_pad;
    }
    if (heap->backend_bytes - in_use <= in_use + pad)
        return;
    heap->purge_pad = pad;
    heap->purge_low = heap->purge_high = in_use;
    /* The size classes' cells would keep free cells around them apart. */
    wee__class_flush(heap);
    wee__main_purge_free(heap, min);
}

/* The rarer part of purge_freed, out of line. */
static WEE_NOINLINE void purge_freed_slow(struct wee_heap *heap, struct cell *c, size_t size)
{
    size_t floor = heap->purge_floor > PURGE_FREE_MIN ? heap->purge_floor : PURGE_FREE_MIN;

    if (heap->in_buffer) {
        heap->purge_countdown = SIZE_MAX;
    } else if (size > floor) {
        /* The whole free cell, with the free neighbours the block merged
         * with: marked, trims skip it, and calloc knows that it reads as
         * zero where pages given back do. */
        c = main_released_into(c);
        if (wee__main_purge(c, (char *)cell_next(c)))
            c->next_raw |= CELL_PURGED;
        if (size <= PURGE_FLOOR_MAX)
            heap->purge_floor = size;
    } else if (size < heap->purge_countdown) {
        heap->purge_countdown -= size;
    } else {
        purge_cells(heap, 2 * floor);
    }
}
#endif

/* c, a cell of `size` bytes, was just released to the main list (and may
 * have merged with its free neighbours). */
static inline void purge_freed(struct wee_heap *heap, struct cell *c, size_t size)
{
#if GIVE_BACK_PAGES
    if (size > PURGE_FREE_MIN || size >= heap->purge_countdown)
        purge_freed_slow(heap, c, size);
    else
        heap->purge_countdown -= size;
#else
    (void)heap;
    (void)c;
    (void)size;
#endif
}

void wee__heap_free(struct wee_heap *heap, struct cell *c, int may_cache)
{
    size_t size = cell_size(c);

    heap->in_use_bytes -= size - CELL_HEADER;
    if (WEE_ALLOC_SIZE_CLASSES && may_cache && size <= CLASS_MAX_CELL
        && wee__class_push(heap, c))
        return;
    wee__main_release(heap, c);
    purge_freed(heap, c, size);
}

/*
 * The cell behind a pointer the program hands back, or a fatal error.
 * The header flags are always checked (cheap, and they catch the double
 * free of a cell still in place); with extra assertions the pointer must
 * also be a cell of this heap with consistent neighbours.
 */
static struct cell *cell_from_user(struct wee_heap *heap, const void *p, const char *func)
{
    struct cell *c = cell_of_payload(p);

    if (((uintptr_t)p & (CELL_ALIGN - 1)) != 0
        || (WEE_ALLOC_EXTRA_ASSERTIONS && !wee__heap_owns(heap, c)))
        wee__fatal(func, "invalid pointer (not a block of this heap, or already freed)", p);
    if ((c->next_raw & CELL_FLAGS) != CELL_ALLOCATED
        || (heap == &default_heap && wee__tcache_claims(c)))
        wee__fatal(func, "double free (or invalid pointer)", p);
    return c;
}

/* Every failed call ends here: it sets errno, and counts the request in
 * the heap's statistics when it could not be met (ENOMEM).  Out of line:
 * failures are rare, and one copy of this is smaller than many. */
static WEE_NOINLINE void *fail(struct wee_heap *heap, int error)
{
    if (error == ENOMEM) {
        wee__lock_acquire(&heap->lock);
        heap->failed_requests++;
        wee__lock_release(&heap->lock);
    }
    errno = error;
    return NULL;
}

/*
 * The part of an allocation that takes the lock: a cell of `size` bytes
 * aligned to `align`.  Out of line where there are thread caches, so that
 * an allocation served by a pop from one saves no registers.
 */
#if WEE_THREAD_CACHE
#  define LOCKED_PATH WEE_NOINLINE
#else
#  define LOCKED_PATH
#endif

/* allocate_locked's work, inline in it and in calloc_sparse (frames named
 * allocate*, as tests/test-valgrind.sh expects of the library); with
 * `zero` (calloc, CALLOC_KNOWS_ZEROS), *zero is set to what of the cell
 * reads as zero (heap->zero, which the main list sets). */
static WEE_ALWAYS_INLINE void *allocate_under_lock(struct wee_heap *heap, size_t size,
                                                   size_t align, const char *func,
                                                   struct zero_span *zero)
{
    struct cell *c;

    lock(heap, func);
#if CALLOC_KNOWS_ZEROS
    if (zero)
        heap->zero.lo = heap->zero.hi = NULL;
#endif
    c = heap_alloc(heap, size, align);
#if CALLOC_KNOWS_ZEROS
    if (zero)
        *zero = heap->zero;
#else
    (void)zero;
#endif
    if (c)
        VG_MALLOC(cell_payload(c), cell_size(c) - CELL_HEADER, 0);
    unlock(heap, func);

    return c ? cell_payload(c) : fail(heap, ENOMEM);
}

static LOCKED_PATH void *allocate_locked(struct wee_heap *heap, size_t size, size_t align,
                                         const char *func)
{
    return allocate_under_lock(heap, size, align, func, NULL);
}

/* Allocate `n` bytes aligned to `align` (a power of two), or fail with
 * ENOMEM.  Callers have rejected bad alignments. */
static void *allocate(struct wee_heap *heap, size_t n, size_t align, const char *func)
{
    struct cell *c;
    size_t size;

    if (align < CELL_ALIGN)
        align = CELL_ALIGN;
    if (n > WEE_MAX_REQUEST || align > WEE_MAX_REQUEST / 4
        || (align > CELL_ALIGN && n > WEE_MAX_REQUEST - 2 * align))
        return fail(heap, ENOMEM);

    size = cell_size_for(n);
    if (WEE_THREAD_CACHE && heap == &default_heap && size <= TCACHE_MAX_CELL
        && align <= CELL_ALIGN && (c = wee__tcache_pop(size)) != NULL)
        return cell_payload(c);
    return allocate_locked(heap, size, align, func);
}

/* Free the block at p under the lock: to a size-class list when
 * `may_cache` and one takes it, else merged into the main list at once.
 * Out of line where there are thread caches, as allocate_locked is. */
static LOCKED_PATH void release_locked(struct wee_heap *heap, void *p, int may_cache,
                                       const char *func)
{
    lock(heap, func);
    wee__heap_free(heap, cell_from_user(heap, p, func), may_cache);
    VG_FREE(p);
    unlock(heap, func);
}

static void release_user(struct wee_heap *heap, void *p, const char *func)
{
    if (WEE_THREAD_CACHE && heap == &default_heap) {
        /* The caller owns the block, so its header is stable: read it
         * without the lock.  Anything odd takes the locked path, which
         * reports it. */
        struct cell *c = cell_of_payload(p);
        if (((uintptr_t)p & (CELL_ALIGN - 1)) == 0
            && (c->next_raw & CELL_FLAGS) == CELL_ALLOCATED && wee__tcache_push(heap, c, func))
            return;
    }
    release_locked(heap, p, 1, func);
}

static int is_power_of_two(size_t x)
{
    return x && !(x & (x - 1));
}

#if CALLOC_KNOWS_ZEROS
/*
 * calloc of at least this many bytes clears only what may not read as
 * zero: not the new memory of a heap that grew for it, nor the pages of a
 * free block that went back to the system where those read as zero
 * (Linux).  Those pages stay untouched until the program uses them, as
 * with glibc's calloc of a block it maps apart: a large table that is
 * used sparsely costs only the pages used.  Smaller blocks come from
 * memory in use a moment ago, where clearing all is cheaper.
 */
#define CALLOC_SPARSE_MIN WEE_PAGE_BYTES

static WEE_NOINLINE void *calloc_sparse(struct wee_heap *heap, size_t n, const char *func)
{
    struct zero_span zero;
    uintptr_t p, end, lo, hi;

    if (n > WEE_MAX_REQUEST)
        return fail(heap, ENOMEM);
    p = (uintptr_t)allocate_under_lock(heap, cell_size_for(n), CELL_ALIGN, func, &zero);
    if (!p)
        return NULL;

    /* What reads as zero: the pages of the span (those given back are
     * whole pages), as far as they hold the block. */
    end = p + n;
    lo = (uintptr_t)zero.lo;
    hi = (uintptr_t)zero.hi;
#if WEE_BACKEND_PURGE_ZEROES
    wee__whole_pages(&lo, &hi, wee__backend_page_bytes());
#endif
    if (lo < p)
        lo = p;
    if (hi > end)
        hi = end;
    if (lo < hi) {
        memset((void *)p, 0, lo - p);
        memset((void *)hi, 0, end - hi);
        VG_DEFINED((void *)lo, hi - lo);
    } else {
        memset((void *)p, 0, n);
    }
    return (void *)p;
}
#endif

static void *heap_calloc(struct wee_heap *heap, size_t nmemb, size_t size, const char *func)
{
    void *p;

    if (size && nmemb > SIZE_MAX / size)
        return fail(heap, ENOMEM);
#if CALLOC_KNOWS_ZEROS
    if (nmemb * size >= CALLOC_SPARSE_MIN)
        return calloc_sparse(heap, nmemb * size, func);
#endif
    p = allocate(heap, nmemb * size, CELL_ALIGN, func);
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}

static void *heap_realloc(struct wee_heap *heap, void *ptr, size_t size, const char *func)
{
    struct cell *c;
    size_t want, have;
    void *moved;

    if (!ptr)
        return allocate(heap, size, CELL_ALIGN, func);
    if (size == 0) {
        release_user(heap, ptr, func);
        return NULL;
    }
    if (size > WEE_MAX_REQUEST)
        return fail(heap, ENOMEM);
    want = cell_size_for(size);

    lock(heap, func);
    c = cell_from_user(heap, ptr, func);
    have = cell_size(c);
    if (want <= have) {
        /* The tail goes back as a freed block would. */
        wee__main_shrink(heap, c, want);
        purge_freed(heap, (struct cell *)((char *)c + want), have - want);
    } else if (!wee__main_grow_in_place(heap, c, want)) {
        unlock(heap, func);
        /*
         * Move: the old block stays ours until the copy is done.  Then it
         * merges at once: a block that a realloc outgrew is rarely asked
         * for again at its size, and cached it would stand in the way of
         * its neighbours growing in place.
         */
        moved = allocate(heap, size, CELL_ALIGN, func);
        if (moved) {
            memcpy(moved, ptr, have - CELL_HEADER);
            release_locked(heap, ptr, 0, func);
        }
        return moved;
    }
    /* When the block shrank, the unsigned sum wraps round to the right
     * total, which is below the peak. */
    note_in_use(heap, cell_size(c) - have);
    VG_RESIZE(ptr, have - CELL_HEADER, cell_size(c) - CELL_HEADER);
    unlock(heap, func);
    return ptr;
}

static void heap_stats(struct wee_heap *heap, struct wee_stats *out, const char *func)
{
    if (!out)
        return;
    lock(heap, func);
    /* The counts follow the free lists' links: with extra assertions,
     * links that a write after free replaced are reported first. */
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        verify(heap, 0, func);
    out->backend_bytes = heap->backend_bytes;
    out->in_use_bytes = heap->in_use_bytes;
    out->peak_in_use_bytes = heap->peak_in_use_bytes;
    out->failed_requests = heap->failed_requests;
    wee__heap_count_free(heap, out);
    if (heap == &default_heap) {
        /* Cells in threads' caches are free to the program, though the
         * heap counts them in use. */
        size_t cells, bytes;
        wee__tcache_totals(&cells, &bytes);
        out->in_use_bytes -= bytes;
        out->free_cells += cells;
        out->free_bytes += bytes + cells * CELL_HEADER;
    }
    unlock_unchanged(heap);
    out->fragmentation_permille = 0;
    if (out->free_bytes) {
        /* 1000 - 1000 * largest / free, in size_t: on a 32-bit host a
         * 64-bit division would bring libgcc's (hundreds of bytes on a
         * Cortex-M) into every program that asks for statistics.  Above
         * SIZE_MAX / 1000 free bytes, both are counted in KiB: the result
         * moves by at most one. */
        size_t largest = out->largest_free_cell, free_bytes = out->free_bytes;
        if (free_bytes > SIZE_MAX / 1000) {
            largest >>= 10;
            free_bytes >>= 10;
        }
        out->fragmentation_permille = (unsigned)(1000 - largest * 1000 / free_bytes);
    }
}

static int heap_check(struct wee_heap *heap, void **where)
{
    const void *found;
    int result;

    lock(heap, "wee_heap_check");
    result = wee__heap_check(heap, 1, &found, NULL);
    if (result == WEE_CHECK_OK && heap == &default_heap)
        result = wee__tcache_check_mine(heap, &found);
    unlock_unchanged(heap);
    if (where)
        *where = (void *)found;
    return result;
}

/*
 * Give the physical pages of free memory back to the system.  The size
 * classes and this thread's cache are emptied into the main list first,
 * so that their cells merge with their free neighbours and whole pages
 * appear.
 */
static size_t heap_trim(struct wee_heap *heap, const char *func)
{
    size_t given = 0;

#if GIVE_BACK_PAGES
    if (heap->in_buffer)
        return 0;
    lock(heap, func);
    if (heap == &default_heap)
        wee__tcache_flush_mine(heap);
    wee__class_flush(heap);
    given = wee__main_purge_free(heap, 0);
    unlock(heap, func);
#else
    (void)heap;
    (void)func;
#endif
    return given;
}

/* ---- the default heap ---- */

void *wee_malloc(size_t size)
{
    return allocate(&default_heap, size, CELL_ALIGN, "wee_malloc");
}

void *wee_calloc(size_t nmemb, size_t size)
{
    return heap_calloc(&default_heap, nmemb, size, "wee_calloc");
}

void wee_free(void *ptr)
{
    if (ptr)
        release_user(&default_heap, ptr, "wee_free");
}

void *wee_realloc(void *ptr, size_t size)
{
    return heap_realloc(&default_heap, ptr, size, "wee_realloc");
}

void *wee_aligned_alloc(size_t alignment, size_t size)
{
    if (!is_power_of_two(alignment))
        return fail(&default_heap, EINVAL);
    return allocate(&default_heap, size, alignment, "wee_aligned_alloc");
}

int wee_posix_memalign(void **memptr, size_t alignment, size_t size)
{
    int saved = errno;
    void *p;

    if (!memptr || !is_power_of_two(alignment) || alignment % sizeof(void *) != 0)
        return EINVAL;
    p = allocate(&default_heap, size, alignment, "wee_posix_memalign");
    errno = saved;
    if (!p)
        return ENOMEM;
    *memptr = p;
    return 0;
}

/* The usable size of a block of `heap`; `func` names the caller in a
 * misuse message. */
static size_t usable_size(struct wee_heap *heap, const void *ptr, const char *func)
{
    size_t size;

    if (!ptr)
        return 0;
    /* An allocated cell's own header changes only when the cell itself is
     * resized or freed, so its owner may read it without the lock; the
     * extra assertions' ownership check walks the regions and needs it. */
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        wee__lock_acquire(&heap->lock);
    VG_ENTER();
    size = cell_size(cell_from_user(heap, ptr, func));
    VG_LEAVE();
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        wee__lock_release(&heap->lock);
    return size - CELL_HEADER;
}

size_t wee_malloc_usable_size(const void *ptr)
{
    return usable_size(&default_heap, ptr, "wee_malloc_usable_size");
}

void wee_stats(struct wee_stats *out)
{
    heap_stats(&default_heap, out, "wee_stats");
}

int wee_check(void)
{
    return heap_check(&default_heap, NULL);
}

size_t wee_trim(void)
{
    return heap_trim(&default_heap, "wee_trim");
}

const char *wee_check_describe(int code)
{
    switch (code) {
    case WEE_CHECK_OK: return "every invariant holds";
    case WEE_CHECK_CELL_MISALIGNED: return "a cell header is misaligned";
    case WEE_CHECK_CELL_LINKS: return "a cell's neighbour does not point back to it";
    case WEE_CHECK_CELL_SIZE: return "a cell is too small or runs past its region";
    case WEE_CHECK_FREE_NEIGHBOURS: return "two adjacent free cells were not merged";
    case WEE_CHECK_FREE_LIST: return "a free list holds a wrong cell";
    case WEE_CHECK_BITMAP: return "the bin bitmap disagrees with the bins";
    case WEE_CHECK_POISON: return "freed memory was written to (use after free?)";
    case WEE_CHECK_ACCOUNTING: return "the byte counters disagree with the cells";
    case WEE_CHECK_SIZE_CLASS: return "a size-class list holds a wrong cell";
    default: return "unknown wee_check result";
    }
}

/* ---- heap instances ---- */

/* The heap's state, rounded so the memory after it stays aligned. */
#define HEAP_STATE_BYTES round_up(sizeof(struct wee_heap), CELL_ALIGN)

/* Set up a heap at `base` whose first memory is the rest of `bytes`. */
static struct wee_heap *heap_init(char *base, size_t bytes, int in_buffer)
{
    struct wee_heap *heap = (struct wee_heap *)base;

    /* The buffer may have held blocks of an earlier heap, which valgrind
     * has marked inaccessible once freed; the heap's state and cells are
     * the allocator's to write now. */
    VG_ENTER();
    memset(heap, 0, sizeof *heap);
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        heap->caller = in_buffer ? "wee_heap_in" : "wee_heap_new";
    heap->in_buffer = in_buffer;
    heap->backend_bytes = bytes;
    wee__main_add_memory(heap, base + HEAP_STATE_BYTES, bytes - HEAP_STATE_BYTES);
    VG_LEAVE();
    return heap;
}

wee_heap *wee_heap_default(void)
{
    return &default_heap;
}

wee_heap *wee_heap_new(void)
{
    size_t bytes = round_up(HEAP_STATE_BYTES + REGION_MIN_BYTES, WEE_PAGE_BYTES);
    char *base = wee__backend_grow_locked(bytes, NULL, 0);

    if (!base) {
        errno = ENOMEM;
        return NULL;
    }
    return heap_init(base, bytes, 0);
}

wee_heap *wee_heap_in(void *buf, size_t len)
{
    /* Any alignment will do: the heap starts at the first CELL_ALIGN
     * boundary in the buffer.  (A pool declared as an array of bytes gets
     * whatever alignment the compiler and linker give it, which changes
     * from build to build and differs between hosts.) */
    size_t skip = (size_t)(round_up((uintptr_t)buf, CELL_ALIGN) - (uintptr_t)buf);

    if (!buf || len < skip
        || ((len - skip) & ~(CELL_ALIGN - 1)) < HEAP_STATE_BYTES + REGION_MIN_BYTES) {
        errno = EINVAL;
        return NULL;
    }
    return heap_init((char *)buf + skip, (len - skip) & ~(CELL_ALIGN - 1), 1);
}

void *wee_heap_malloc(wee_heap *heap, size_t size)
{
    return allocate(heap_or_default(heap), size, CELL_ALIGN, "wee_heap_malloc");
}

void *wee_heap_calloc(wee_heap *heap, size_t nmemb, size_t size)
{
    return heap_calloc(heap_or_default(heap), nmemb, size, "wee_heap_calloc");
}

void *wee_heap_realloc(wee_heap *heap, void *ptr, size_t size)
{
    return heap_realloc(heap_or_default(heap), ptr, size, "wee_heap_realloc");
}

void wee_heap_free(wee_heap *heap, void *ptr)
{
    if (ptr)
        release_user(heap_or_default(heap), ptr, "wee_heap_free");
}

void *wee_heap_aligned_alloc(wee_heap *heap, size_t alignment, size_t size)
{
    heap = heap_or_default(heap);
    if (!is_power_of_two(alignment))
        return fail(heap, EINVAL);
    return allocate(heap, size, alignment, "wee_heap_aligned_alloc");
}

size_t wee_heap_usable_size(wee_heap *heap, const void *ptr)
{
    return usable_size(heap_or_default(heap), ptr, "wee_heap_usable_size");
}

void wee_heap_stats(wee_heap *heap, struct wee_stats *out)
{
    heap_stats(heap_or_default(heap), out, "wee_heap_stats");
}

int wee_heap_check(wee_heap *heap, void **where)
{
    return heap_check(heap_or_default(heap), where);
}

size_t wee_heap_trim(wee_heap *heap)
{
    return heap_trim(heap_or_default(heap), "wee_heap_trim");
}

int wee_heap_walk(wee_heap *heap, wee_walk_fn visit, void *arg)
{
    int result;

    heap = heap_or_default(heap);
    if (!visit)
        return 0;
    lock(heap, "wee_heap_walk");
    /* The walk follows the cells' headers: with extra assertions, headers
     * that an overrun broke are reported first. */
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        verify(heap, 0, "wee_heap_walk");
    result = wee__heap_walk(heap, visit, arg);
    unlock_unchanged(heap);
    return result;
}
