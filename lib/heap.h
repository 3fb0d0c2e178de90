/* SPDX-License-Identifier: MPL-2.0 */
/*
 * heap.h - the heap's state and the interface between its layers.
 *
 *   backend pages  ->  main free list (free-list.c)  ->  size classes
 *   (backend-*.c)      bins, split, merge, regions       (size-classes.c)
 *                                   \                      /
 *                                    public API, lock, errno (wee_alloc.c)
 *
 * Every function here expects the heap's lock to be held by the caller.
 */
#ifndef WEE_HEAP_H
#define WEE_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "cell.h"
#include "wee_alloc.h"
#include "wee_alloc_config.h"

/*
 * The main free list is a two-level segregated fit (as in TLSF).  A free
 * cell of q granules lives in bin (fl, sl):
 *   q < 16:  fl = 0,  sl = q              (exact sizes)
 *   q >= 16: fl = log2(q) - 3,  sl = the 4 bits of q below its top bit
 * so each power-of-two range is cut into 16 bins.  fl_bitmap has bit fl set
 * when any bin of row fl is non-empty; sl_bitmap[fl] has bit sl set when bin
 * (fl, sl) is.  Finding a suitable non-empty bin is two find-first-set
 * operations, whatever the number of free cells.
 */
#define BIN_SL_LOG2   4
#define BIN_SL_COUNT  (1u << BIN_SL_LOG2)
#define BIN_FL_COUNT  (sizeof(size_t) * 8 - CELL_LOG2_GRANULE - BIN_SL_LOG2 + 1)
#define BIN_COUNT     (BIN_FL_COUNT * BIN_SL_COUNT)

_Static_assert(BIN_FL_COUNT <= sizeof(size_t) * 8, "fl_bitmap holds every row");
_Static_assert(BIN_SL_COUNT <= 32, "sl_bitmap holds every column");

/*
 * Size classes: cells of up to CLASS_MAX_CELL bytes (a payload of 256 words,
 * as in the original) that are freed wait on an exact-size LIFO list instead
 * of being merged, so the next request of that size is a pop.  The bytes
 * waiting there are bounded (see size-classes.c), and the lists are emptied
 * into the main list before the heap grows, so they never make it grow.
 */
#define CLASS_MAX_CELL  ROUND_UP(CELL_HEADER + 256 * WORD, CELL_GRANULE)
#define CLASS_COUNT     ((CLASS_MAX_CELL - CELL_MIN) / CELL_GRANULE + 1)

/*
 * A region is one run of memory from the backend:
 *   [struct region][first cell ... last cell][sentinel]
 * Memory that the backend places right after the newest region extends it
 * (its sentinel becomes an ordinary cell header), so a heap on a contiguous
 * backend (wasm, static array, mmap with a hint) is usually one region.
 */
struct region {
    struct region *next;      /* the next older region, or NULL */
    struct cell *sentinel;    /* the region's end marker */
};

_Static_assert((sizeof(struct region) + CELL_HEADER) % CELL_ALIGN == 0,
               "the first cell's payload is aligned when the region is");

static inline struct cell *region_first(const struct region *r)
{
    return (struct cell *)(r + 1);
}

/*
 * Whether calloc skips clearing what reads as zero already (wee_alloc.c,
 * calloc_sparse): where the backend's fresh memory is zero pages that the
 * system provides at the first touch (mmap, VirtualAlloc), so that leaving
 * them alone saves touching them, and not with extra assertions, whose
 * free memory holds poison.  What is known to be zero is a span of bytes,
 * set by the heap's last growth, and by a cell taken from a free cell
 * whose pages went back (wee__main_grow, wee__main_take):
 */
#define CALLOC_KNOWS_ZEROS (WEE_BACKEND_CAN_PURGE && !WEE_ALLOC_EXTRA_ASSERTIONS)

struct zero_span {
    char *lo, *hi;  /* [lo, hi) reads as zero; empty when lo >= hi */
};

struct wee_heap {
    wee__lock_t lock;
    int in_buffer;                /* wee_heap_in: never asks the backend */
    size_t checked_cells;         /* extra assertions: cells at the last check */
    unsigned checked_calls;       /* extra assertions: calls since the heap began */
    const char *caller;           /* extra assertions: the API function being served */

    /* Main free list. */
    size_t fl_bitmap;
    uint32_t sl_bitmap[BIN_FL_COUNT];
    struct free_cell *bins[BIN_COUNT]; /* bin (fl, sl) at fl * BIN_SL_COUNT + sl */

    /* Regions of memory from the backend, newest first. */
    struct region *regions;

    /* Size-class lists, indexed by index_of_size (the smallest cell first). */
    struct cell *classes[WEE_ALLOC_SIZE_CLASSES ? CLASS_COUNT : 1];
    size_t class_bytes;           /* bytes of cells waiting on class lists */

    /* Giving pages back (wee_alloc.c, purge_freed): freed blocks up to
     * purge_floor keep their pages; bytes still to be freed to the main
     * list before free cells are looked at again; free bytes beyond those
     * in use that keep their pages (0 until pages first go back by
     * themselves); the bytes in use when they last did, and the most seen
     * in use since. */
    size_t purge_floor;
    size_t purge_countdown;
    size_t purge_pad;
    size_t purge_low;
    size_t purge_high;

#if CALLOC_KNOWS_ZEROS
    struct zero_span zero;        /* reads as zero (pages, where purged) */
#endif

    /* Accounting. */
    size_t backend_bytes;
    size_t in_use_bytes;
    size_t peak_in_use_bytes;
    size_t failed_requests;
};

/* The cell size (header included) that serves a request of n bytes.
 * n must not exceed WEE_MAX_REQUEST. */
static inline size_t cell_size_for(size_t n)
{
    size_t size = round_up(n + CELL_HEADER, CELL_GRANULE);
    return size < CELL_MIN ? CELL_MIN : size;
}

/* The index of a cell size (a multiple of CELL_GRANULE, at least CELL_MIN)
 * in the size-class and thread-cache lists; size_of_index is its inverse. */
static inline size_t index_of_size(size_t size)
{
    return (size - CELL_MIN) >> CELL_LOG2_GRANULE;
}

static inline size_t size_of_index(size_t i)
{
    return CELL_MIN + (i << CELL_LOG2_GRANULE);
}

/* The public function a fatal message names: the one being served. */
static inline const char *heap_caller(const struct wee_heap *heap)
{
    return heap->caller ? heap->caller : "wee_alloc";
}

/* Requests above this fail with ENOMEM before any arithmetic can overflow:
 * nothing that large can be had on any machine (as in glibc, whose limit
 * is PTRDIFF_MAX).  The margin is 16 units of 64 KiB whatever the
 * backend's unit, so that the limit is the same with every backend. */
#define WEE_MAX_REQUEST ((SIZE_MAX >> 1) - 16 * (size_t)65536)
_Static_assert(16 * (size_t)65536 >= 16 * WEE_PAGE_BYTES, "the margin holds 16 units");

/* ---- the default heap's lock: wee_alloc.c ---- */

/* Take and release the default heap's lock from outside wee_alloc.c.  Only
 * lib/malloc.c uses them: its fork handlers hold the lock across fork() so
 * that the child never inherits a heap in the middle of a change. */
WEE_INTERNAL void wee__default_heap_lock(void);
WEE_INTERNAL void wee__default_heap_unlock(void);

/* ---- the API layer: wee_alloc.c ---- */

/* Give an allocated cell back to the heap (the lock is held): to a
 * size-class list when `may_cache` and one takes it, else to the main list. */
WEE_INTERNAL void wee__heap_free(struct wee_heap *heap, struct cell *c, int may_cache);

/* ---- per-thread caches of the default heap: thread-cache.c ---- */

/*
 * Each thread keeps a few freed small cells of the default heap per size,
 * so that most small allocations and frees take no lock at all.  Cached
 * cells stay ALLOCATED and counted in heap->in_use_bytes (so the heap's own
 * invariants never depend on another thread's cache); the statistics
 * subtract what the caches hold.
 */
#define TCACHE_MAX_CELL 512
#define TCACHE_CLASSES  ((TCACHE_MAX_CELL - CELL_MIN) / CELL_GRANULE + 1)
#define TCACHE_DEPTH    16

#if WEE_THREAD_CACHE
enum { CACHE_NEW, CACHE_READY, CACHE_OFF };

struct thread_cache {
    struct cell *bins[TCACHE_CLASSES];
    /* Written by the owner, read by other threads for the statistics:
     * relaxed atomic stores and loads (tcache_set_count, wee__tcache_totals). */
    unsigned char count[TCACHE_CLASSES];
    unsigned char state;
    /* The key of its cells (tcache_mark), with this thread's slot in the
     * bits of TCACHE_SLOT_MASK; 0 before a slot is taken and after it is
     * given back. */
    uintptr_t key;
    /* Every thread's cache, linked under the default heap's lock from
     * wee__tcache_all. */
    struct thread_cache *next, **prev_next;
};

/* This thread's cache (thread-cache.c), here so that a pop is inlined into
 * the allocation's fast path.  initial-exec: it is reached with one
 * instruction, not a call, and it is small, so the static TLS space a
 * library may use suffices. */
WEE_INTERNAL extern __thread struct thread_cache wee__tcache
    __attribute__((tls_model("initial-exec")));

/* A cached cell's first payload word links its bin (cell_link), its second
 * holds the key that marks it as cached. */
static inline uintptr_t *tcache_key(struct cell *c)
{
    return (uintptr_t *)cell_payload(c) + 1;
}

static inline void tcache_set_count(struct thread_cache *tc, size_t i, unsigned n)
{
    __atomic_store_n(&tc->count[i], (unsigned char)n, __ATOMIC_RELAXED);
}

/* The list of every thread's cache, linked under the default heap's lock
 * (thread-cache.c). */
WEE_INTERNAL extern struct thread_cache *wee__tcache_all;

/*
 * The key that marks a cell as cached is the process's mark, which differs
 * from run to run with address space layout randomisation, with the
 * caching thread's slot in the bits of TCACHE_SLOT_MASK.  On 64-bit hosts
 * the first 255 threads to cache have slots of their own, 1 to 255
 * (thread-cache.c), so a free can tell that a cell it is given sits in
 * another thread's cache; later threads, and every thread on a 32-bit
 * host, share slot 0, and a key of slot 0 is confirmed only by looking in
 * the freeing thread's own cache.  (Program data that holds another
 * thread's key by chance would be taken for a double free: one value in
 * 2^56 on 64-bit hosts; on 32-bit hosts one in 2^24 would be too many,
 * hence no slots there.)
 */
#if UINTPTR_MAX > 0xffffffffu
#  define TCACHE_SLOT_MASK ((uintptr_t)0xff)
#else
#  define TCACHE_SLOT_MASK ((uintptr_t)0)
#endif

static inline uintptr_t tcache_mark(void)
{
    return ((uintptr_t)&wee__tcache_all ^ (uintptr_t)0x5bd1e9955bd1e995ull)
           & ~TCACHE_SLOT_MASK;
}

/* Does c's key say that some thread's cache holds it? */
static inline int tcache_marked(struct cell *c)
{
    return (*tcache_key(c) & ~TCACHE_SLOT_MASK) == tcache_mark();
}

/* Put c on bin i, which has room. */
static inline void tcache_link_in(struct cell *c, size_t i)
{
    *cell_link(c) = wee__tcache.bins[i];
    *tcache_key(c) = wee__tcache.key;
    wee__tcache.bins[i] = c;
    tcache_set_count(&wee__tcache, i, wee__tcache.count[i] + 1u);
}

/* The first cell of bin i of the cache tc, taken off it, or NULL. */
static inline struct cell *tcache_take(struct thread_cache *tc, size_t i)
{
    struct cell *c = tc->bins[i];

    if (c) {
        tc->bins[i] = *cell_link(c);
        tcache_set_count(tc, i, tc->count[i] - 1u);
        *tcache_key(c) = 0;
    }
    return c;
}

/* A cell of exactly `size` bytes (<= TCACHE_MAX_CELL) from this thread's
 * cache, or NULL.  No lock. */
static inline struct cell *wee__tcache_pop(size_t size)
{
    return tcache_take(&wee__tcache, index_of_size(size));
}

/* wee__tcache_push's uncommon cases, out of line: the thread's first push,
 * a cell that may be in the cache already, or a full bin, which hands half
 * of its cells back. */
WEE_INTERNAL int wee__tcache_push_slow(struct wee_heap *heap, struct cell *c, size_t i,
                                       const char *func);

/* Keep an allocated cell of at most TCACHE_MAX_CELL bytes in this thread's
 * cache; 0 when it does not (the caller frees it with the lock).  A cell
 * that a cache holds already (wee__tcache_claims) is a double free: fatal,
 * naming func.  May take the lock of `heap` (the default heap) to hand
 * half a full list back.  The common case is inline and calls nothing. */
static inline int wee__tcache_push(struct wee_heap *heap, struct cell *c, const char *func)
{
    size_t size = cell_size(c), i;

    if (size > TCACHE_MAX_CELL)
        return 0;
    i = index_of_size(size);
    /* A key that differs from this thread's in the slot alone is
     * tcache_marked. */
    if (WEE_UNLIKELY(wee__tcache.state != CACHE_READY
                     || (*tcache_key(c) ^ wee__tcache.key) <= TCACHE_SLOT_MASK
                     || wee__tcache.count[i] == TCACHE_DEPTH))
        return wee__tcache_push_slow(heap, c, i, func);
    tcache_link_in(c, i);
    return 1;
}
/* Is c in a thread's cache, as far as this thread can tell: in its own,
 * or marked with another thread's slot?  (A misuse check.) */
WEE_INTERNAL int wee__tcache_claims(const struct cell *c);
/* With the lock held: hand this thread's cached cells back to the heap;
 * 1 if there were any. */
WEE_INTERNAL int wee__tcache_flush_mine(struct wee_heap *heap);
/* With the lock held: the cells and usable bytes all caches hold (an
 * estimate while other threads run). */
WEE_INTERNAL void wee__tcache_totals(size_t *cells, size_t *bytes);
/* With the lock held, for wee_check: this thread's cache holds only cells
 * of the heap that it may hold; else the WEE_CHECK_ code, and in *where the
 * cell (or bin) at fault. */
WEE_INTERNAL int wee__tcache_check_mine(const struct wee_heap *heap, const void **where);
#else
static inline struct cell *wee__tcache_pop(size_t size) { (void)size; return NULL; }
static inline int wee__tcache_push(struct wee_heap *heap, struct cell *c, const char *func)
{ (void)heap; (void)c; (void)func; return 0; }
static inline int wee__tcache_claims(const struct cell *c) { (void)c; return 0; }
static inline int wee__tcache_flush_mine(struct wee_heap *heap) { (void)heap; return 0; }
static inline void wee__tcache_totals(size_t *cells, size_t *bytes)
{ *cells = 0; *bytes = 0; }
static inline int wee__tcache_check_mine(const struct wee_heap *heap, const void **where)
{ (void)heap; (void)where; return 0; }
#endif

/* ---- main free list: free-list.c ---- */

/* Take a free cell of at least `size` bytes (a cell size) whose payload
 * is aligned to `align` (a power of two, at least CELL_ALIGN), split it to
 * size and mark it allocated.  NULL when no free cell fits; the heap does
 * not grow.  A cell taken from a free cell whose pages went back sets
 * heap->zero where those read as zero (WEE_BACKEND_PURGE_ZEROES). */
WEE_INTERNAL struct cell *wee__main_take(struct wee_heap *heap, size_t size, size_t align);

/* Get memory from the backend so that a request of `size` bytes aligned to
 * `align` can be met.  0 on success, -1 when the backend fails or the heap
 * lives in a fixed buffer.  On success, where CALLOC_KNOWS_ZEROS,
 * heap->zero is the new memory that still reads as zero. */
WEE_INTERNAL int wee__main_grow(struct wee_heap *heap, size_t size, size_t align);

/* Hand [base, base + bytes) to the heap: a new region, or an extension of
 * the newest one when it is contiguous with it.  base and bytes are
 * multiples of CELL_ALIGN, and bytes holds at least a region record, a
 * minimum cell and a sentinel. */
WEE_INTERNAL void wee__main_add_memory(struct wee_heap *heap, char *base, size_t bytes);

/* The smallest run of memory wee__main_add_memory accepts. */
#define REGION_MIN_BYTES (sizeof(struct region) + CELL_MIN + CELL_HEADER)

/* The backend is shared by every heap: calls to it are serialised by a
 * lock of its own, taken after a heap's lock, never before. */
WEE_INTERNAL void *wee__backend_grow_locked(size_t bytes, void *hint, int exact);
WEE_INTERNAL void wee__backend_lock(void);
WEE_INTERNAL void wee__backend_unlock(void);

/* Put an allocated (or cached) cell back on the main list, merging it with
 * its free neighbours. */
WEE_INTERNAL void wee__main_release(struct wee_heap *heap, struct cell *c);

/* The free cell that holds c once wee__main_release freed it: c, or the
 * free cell before it, which c merged into (release() then clears c's
 * next_raw, which a free cell's never is: it points at the next cell). */
static inline struct cell *main_released_into(struct cell *c)
{
    return c->next_raw ? c : cell_prev(c);
}

/* Shrink an allocated cell to `size` bytes, releasing the tail when it is
 * large enough to be a cell. */
WEE_INTERNAL void wee__main_shrink(struct wee_heap *heap, struct cell *c, size_t size);

/* Grow an allocated cell to `size` bytes by taking from its free next
 * neighbour.  1 on success, 0 when the neighbour is not free or too small. */
WEE_INTERNAL int wee__main_grow_in_place(struct wee_heap *heap, struct cell *c,
                                         size_t size);

/* Whether free memory gives its pages back to the system (wee_alloc.c):
 * where the backend can, but not with extra assertions, whose freed
 * memory keeps its poison. */
#define GIVE_BACK_PAGES (WEE_BACKEND_CAN_PURGE && !WEE_ALLOC_EXTRA_ASSERTIONS)

#if WEE_BACKEND_CAN_PURGE
/* Give the whole pages of [c, end) back to the system
 * (wee__backend_purge), past c's header and the links a free cell keeps
 * there; c starts a free cell or lies inside one, and end is not past it.
 * The bytes given back. */
WEE_INTERNAL size_t wee__main_purge(struct cell *c, char *end);
/* The same for every free cell on the main list of at least `min` bytes
 * whose pages have not gone back already, marking CELL_PURGED each whose
 * pages the system took. */
WEE_INTERNAL size_t wee__main_purge_free(struct wee_heap *heap, size_t min);
#endif

/* Is c a cell header of this heap, any address at all?  Reads nothing
 * outside the heap's regions: O(regions).  The extra assertions ask it of
 * the pointers a program hands back, and wee_check of every list link
 * before following it. */
WEE_INTERNAL int wee__heap_owns(const struct wee_heap *heap, const struct cell *c);

/*
 * For wee_check: the list of cells linked by their first payload word from
 * *head (a size-class list, a thread cache's bin) holds only cells of the
 * heap with header flags `flags`, of size size_of_index(i) and, when `key`
 * is not 0, with `key` in their second word; *cells counts them, and more
 * than `limit` means a cycle.  WEE_CHECK_OK, or WEE_CHECK_SIZE_CLASS with
 * *where at fault: the cell, or the holder of a link that leads out of
 * the heap, which is not followed.  Inline: each caller's constants fold.
 */
static inline int wee__check_list(const struct wee_heap *heap, struct cell *const *head,
                                  size_t i, uintptr_t flags, uintptr_t key, size_t limit,
                                  size_t *cells, const void **where)
{
    const void *holder = head;
    struct cell *c;

    for (c = *head; c; holder = c, c = *cell_link(c)) {
        *where = holder;
        if (!wee__heap_owns(heap, c))
            return WEE_CHECK_SIZE_CLASS;
        *where = c;
        if (++*cells > limit || (c->next_raw & CELL_FLAGS) != flags
            || index_of_size(cell_size(c)) != i
            || (key && ((uintptr_t *)cell_payload(c))[1] != key))
            return WEE_CHECK_SIZE_CLASS;
    }
    return WEE_CHECK_OK;
}

/* Verify every invariant; returns a wee_check_result and, when it is not
 * WEE_CHECK_OK, stores the offending cell's address in *where.  `poison`
 * 0 skips the scan of freed memory (the structure is still verified).
 * *cells (when not NULL) receives the number of cells walked. */
WEE_INTERNAL int wee__heap_check(const struct wee_heap *heap, int poison,
                                 const void **where, size_t *cells);

/* Call visit(payload, usable bytes, in use, arg) for every cell, in address
 * order within each region; stop at the first non-zero result. */
WEE_INTERNAL int wee__heap_walk(const struct wee_heap *heap,
                                int (*visit)(void *, size_t, int, void *), void *arg);

/* Fill the free_cells, free_bytes, largest_free_cell and given_back_bytes
 * of *out from the main list and the class lists. */
WEE_INTERNAL void wee__heap_count_free(const struct wee_heap *heap, struct wee_stats *out);

/* Extra assertions: fill [from, to) with `byte`, or verify it holds only
 * `byte` (returns 0 when intact). */
WEE_INTERNAL void wee__poison(void *from, void *to, int byte);
WEE_INTERNAL int wee__poison_intact(const void *from, const void *to, int byte);

/* ---- size classes: size-classes.c ---- */

#if WEE_ALLOC_SIZE_CLASSES
/* Pop a cached cell of exactly `size` bytes (a class size) or NULL. */
WEE_INTERNAL struct cell *wee__class_pop(struct wee_heap *heap, size_t size);
/* Cache an allocated cell of a class size.  0 when the cache is full and
 * the caller must release the cell to the main list instead. */
WEE_INTERNAL int wee__class_push(struct wee_heap *heap, struct cell *c);
/* Release every cached cell to the main list; 1 if there were any. */
WEE_INTERNAL int wee__class_flush(struct wee_heap *heap);
/* Verify the class lists (a wee_check_result; the bad cell in *where),
 * visiting at most `limit` cells (more means a cycle or a stray cell);
 * *cells is how many it saw. */
WEE_INTERNAL int wee__class_check(const struct wee_heap *heap, size_t limit,
                                  size_t *cells, const void **where);
#else
static inline struct cell *wee__class_pop(struct wee_heap *heap, size_t size)
{ (void)heap; (void)size; return NULL; }
static inline int wee__class_push(struct wee_heap *heap, struct cell *c)
{ (void)heap; (void)c; return 0; }
static inline int wee__class_flush(struct wee_heap *heap)
{ (void)heap; return 0; }
static inline int wee__class_check(const struct wee_heap *heap, size_t limit,
                                   size_t *cells, const void **where)
{ (void)heap; (void)limit; (void)where; *cells = 0; return 0; }
#endif

#endif /* WEE_HEAP_H */
