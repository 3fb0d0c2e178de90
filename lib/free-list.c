/* SPDX-License-Identifier: MPL-2.0 */
/*
 * free-list.c - the main free list: regions from the backend, cells split
 * and merged in O(1), free cells kept in segregated bins (heap.h draws the
 * bin layout, cell.h the cell layout).
 *
 * Invariants (wee__heap_check verifies all of them):
 *   - cells tile each region exactly, each linked to both neighbours;
 *   - no two physically adjacent cells are both free (free merges at once);
 *   - every free cell is in exactly the bin its size maps to, and a bin's
 *     bitmap bits are set exactly when the bin is non-empty;
 *   - with extra assertions, a free cell's payload past its links holds
 *     POISON_MAIN.
 */
#include "config.h"

#include "heap.h"
#include "libc-shim.h"

/* ---- bit tricks ---- */

static inline unsigned log2_floor(size_t x)
{
#if SIZE_MAX > 0xffffffffu
    return 63u - (unsigned)__builtin_clzll((unsigned long long)x);
#else
    return 31u - (unsigned)__builtin_clz((unsigned)x);
#endif
}

static inline unsigned lowest_bit(size_t x)
{
#if SIZE_MAX > 0xffffffffu
    return (unsigned)__builtin_ctzll((unsigned long long)x);
#else
    return (unsigned)__builtin_ctz((unsigned)x);
#endif
}

static inline int is_aligned(const void *p, size_t align)
{
    return ((uintptr_t)p & (align - 1)) == 0;
}

/* ---- poison (extra assertions) ---- */

void wee__poison(void *from, void *to, int byte)
{
    if ((char *)to > (char *)from)
        memset(from, byte, (size_t)((char *)to - (char *)from));
}

int wee__poison_intact(const void *from, const void *to, int byte)
{
    const unsigned char *p = from;
    for (; p < (const unsigned char *)to; p++)
        if (*p != (unsigned char)byte)
            return 0;
    return 1;
}

/* The part of a free cell that holds poison: past the header and links. */
static inline char *poison_start(struct cell *c)
{
    return (char *)c + CELL_MIN;
}

/* ---- bins ---- */

/* The bin of a cell size, fl * BIN_SL_COUNT + sl (heap.h): the size in
 * granules shifted right until it is below 2 * BIN_SL_COUNT, plus
 * BIN_SL_COUNT for each bit shifted out.  Below 2 * BIN_SL_COUNT granules
 * nothing is shifted and the bin is the size in granules. */
static inline unsigned bin_of(size_t size)
{
    size_t q = size >> CELL_LOG2_GRANULE;
    unsigned shift = q < BIN_SL_COUNT ? 0 : log2_floor(q) - BIN_SL_LOG2;

    return (shift << BIN_SL_LOG2) + (unsigned)(q >> shift);
}

static void bin_insert(struct wee_heap *heap, struct free_cell *fc)
{
    unsigned b = bin_of(cell_size(&fc->header));
    struct free_cell *head = heap->bins[b];

    fc->next_free = head;
    fc->prev_free = NULL;
    heap->bins[b] = fc;
    if (head) {
        head->prev_free = fc;
    } else {
        heap->sl_bitmap[b >> BIN_SL_LOG2] |= 1u << (b % BIN_SL_COUNT);
        heap->fl_bitmap |= (size_t)1 << (b >> BIN_SL_LOG2);
    }
}

/*
 * With extra assertions, before fc leaves bin b: its links must be a
 * list's, each NULL or a cell of the heap that links back to it.  A write
 * after free lands on these words first, and unlinking would write
 * through whatever it left there.
 */
static void check_links(const struct wee_heap *heap, struct free_cell *fc, unsigned b)
{
    const struct free_cell *next = fc->next_free, *prev = fc->prev_free;

    if ((next && (!wee__heap_owns(heap, &next->header) || next->prev_free != fc))
        || (prev ? !wee__heap_owns(heap, &prev->header) || prev->next_free != fc
                 : heap->bins[b] != fc))
        wee__fatal(heap_caller(heap), "freed memory was written to (use after free?)",
                   cell_payload(&fc->header));
}

/* Unlink fc from its bin, b. */
static void bin_unlink(struct wee_heap *heap, struct free_cell *fc, unsigned b)
{
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        check_links(heap, fc, b);
    if (fc->next_free)
        fc->next_free->prev_free = fc->prev_free;
    if (fc->prev_free) {
        fc->prev_free->next_free = fc->next_free;
    } else {
        heap->bins[b] = fc->next_free;
        if (!fc->next_free) {
            unsigned fl = b >> BIN_SL_LOG2;
            heap->sl_bitmap[fl] &= ~(1u << (b % BIN_SL_COUNT));
            if (!heap->sl_bitmap[fl])
                heap->fl_bitmap &= ~((size_t)1 << fl);
        }
    }
}

static void bin_remove(struct wee_heap *heap, struct free_cell *fc)
{
    bin_unlink(heap, fc, bin_of(cell_size(&fc->header)));
}

/*
 * Take a free cell of at least `size` bytes off its bin, or NULL.  The
 * head of the request's own bin is taken when it fits (the only bins whose
 * cells may be smaller than the request are the request's own); otherwise
 * the head of the first non-empty larger bin, which fits whatever its size.
 */
static struct free_cell *bin_take(struct wee_heap *heap, size_t size)
{
    unsigned b = bin_of(size), fl;
    uint32_t sl_map;
    struct free_cell *fc = heap->bins[b];

    if (!fc || cell_size(&fc->header) < size) {
        fl = b >> BIN_SL_LOG2;
        sl_map = heap->sl_bitmap[fl] & (~0u << (b % BIN_SL_COUNT) << 1);
        if (!sl_map) {
            size_t fl_map = heap->fl_bitmap & (~(size_t)0 << fl << 1);
            if (!fl_map)
                return NULL;
            fl = lowest_bit(fl_map);
            sl_map = heap->sl_bitmap[fl];
        }
        b = (fl << BIN_SL_LOG2) + lowest_bit(sl_map);
        fc = heap->bins[b];
    }
    bin_unlink(heap, fc, b);
    return fc;
}

/* ---- split and merge ---- */

static void release(struct wee_heap *heap, struct cell *c);

/* Insert a new cell boundary at `at` inside c: c keeps [c, at), the new
 * cell gets [at, old next).  Neither is put on a list. */
static struct cell *cut(struct cell *c, char *at)
{
    struct cell *r = (struct cell *)at;
    struct cell *next = cell_next(c);

    r->prev_raw = (uintptr_t)c;
    r->next_raw = (uintptr_t)next;
    next->prev_raw = (uintptr_t)r;
    cell_set_next(c, r);
    return r;
}

/* Trim an allocated cell to `size` bytes; a tail that can be a cell is
 * freed, merging with a free next neighbour. */
static void split(struct wee_heap *heap, struct cell *c, size_t size)
{
    if (cell_size(c) - size >= CELL_MIN)
        release(heap, cut(c, (char *)c + size));
}

/* The same for a cell that was free a moment ago (and is now marked
 * allocated): free cells never touch, so its tail has no free neighbour
 * to merge with and goes straight to its bin; it holds poison already.
 * `purged` is the free cell's CELL_PURGED flag: the tail's pages lie
 * inside the free cell's, past the one header written since. */
static void trim_taken(struct wee_heap *heap, struct cell *c, size_t size, uintptr_t purged)
{
    if (cell_size(c) - size >= CELL_MIN) {
        struct cell *tail = cut(c, (char *)c + size);
        tail->next_raw |= purged;
        bin_insert(heap, (struct free_cell *)tail);
    }
}

static void check_neighbours(const struct wee_heap *heap, const struct cell *c)
{
    const struct cell *prev = cell_prev(c);
    const struct cell *next = cell_next(c);

    if (next->prev_raw != (uintptr_t)c || (prev && cell_next(prev) != c))
        wee__fatal(heap_caller(heap), "heap corrupted: cell links disagree", c);
    if ((prev && cell_is_free(prev)) || cell_is_free(next))
        wee__fatal(heap_caller(heap), "heap corrupted: adjacent free cells", c);
}

/* Make c free: merge it with free neighbours and bin the result. */
static void release(struct wee_heap *heap, struct cell *c)
{
    struct cell *next = cell_next(c);
    struct cell *prev = cell_prev(c);
    struct cell *merged = c;  /* where the free run starts; it ends at next */

    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        wee__poison(poison_start(c), next, POISON_MAIN);
    if (prev && cell_is_free(prev)) {
        bin_remove(heap, (struct free_cell *)prev);
        /* c's header becomes bytes of prev's payload.  Left as it was it
         * would still read as an allocated cell's, and a second free of c
         * would corrupt the heap; cleared, it reads as a free cell's, and
         * that free aborts instead. */
        c->next_raw = 0;
        if (WEE_ALLOC_EXTRA_ASSERTIONS)
            wee__poison(c, poison_start(c), POISON_MAIN);
        merged = prev;
    }
    if (cell_is_free(next)) {
        struct cell *absorbed = next;
        bin_remove(heap, (struct free_cell *)absorbed);
        next = cell_next(absorbed);
        if (WEE_ALLOC_EXTRA_ASSERTIONS)
            wee__poison(absorbed, poison_start(absorbed), POISON_MAIN);
    }
    merged->next_raw = (uintptr_t)next;  /* free: no flags */
    next->prev_raw = (uintptr_t)merged;
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        check_neighbours(heap, merged);
    bin_insert(heap, (struct free_cell *)merged);
}

void wee__main_release(struct wee_heap *heap, struct cell *c)
{
    release(heap, c);
}

/* Extra assertions: the bytes about to be handed out must still be poison. */
static void verify_poison(const struct wee_heap *heap, struct cell *c, char *from, char *to)
{
    if (from < poison_start(c))
        from = poison_start(c);
    if (!wee__poison_intact(from, to, POISON_MAIN))
        wee__fatal(heap_caller(heap), "freed memory was written to (use after free?)",
                   cell_payload(c));
}

struct cell *wee__main_take(struct wee_heap *heap, size_t size, size_t align)
{
    /*
     * Above CELL_ALIGN, find room for the worst case, an aligned payload
     * up to 2*align past the cell's own, so that the gap before it is
     * either empty or large enough to stay behind as a free cell.
     */
    struct free_cell *fc = bin_take(heap, align > CELL_ALIGN ? size + 2 * align : size);
    struct cell *c, *at;
    uintptr_t purged;

    /* &fc->header only once fc is known not to be NULL: taking a member's
     * address through a null pointer is undefined behaviour. */
    if (!fc)
        return NULL;
    c = at = &fc->header;
    purged = GIVE_BACK_PAGES ? c->next_raw & CELL_PURGED : 0;
    if (align > CELL_ALIGN) {
        char *payload = cell_payload(c);
        char *aligned = (char *)round_up((uintptr_t)payload, align);
        if (aligned != payload && (size_t)(aligned - payload) < CELL_MIN)
            aligned += align;
        at = cell_of_payload(aligned);
    }
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        verify_poison(heap, c, (char *)at, (char *)at + size);
    if (at != c) {
        /* The gap keeps c's header and flags; its neighbours are not
         * free, so it goes straight back to its bin. */
        struct cell *gap = c;
        c = cut(gap, (char *)at);
        bin_insert(heap, (struct free_cell *)gap);
    }
    c->next_raw = (c->next_raw & ~purged) | CELL_ALLOCATED;  /* no other flag */
#if CALLOC_KNOWS_ZEROS && WEE_BACKEND_PURGE_ZEROES
    if (purged && wee__backend_purge_zeroes > 0) {
        /* The free cell's pages went back and read as zero, all but those
         * that hold a header or links written since: the page rounding is
         * calloc_sparse's, outside the lock. */
        heap->zero.lo = poison_start(c);
        heap->zero.hi = (char *)cell_next(c);
    }
#endif
    trim_taken(heap, c, size, purged);
    return c;
}

void wee__main_shrink(struct wee_heap *heap, struct cell *c, size_t size)
{
    split(heap, c, size);
}

int wee__main_grow_in_place(struct wee_heap *heap, struct cell *c, size_t size)
{
    struct cell *next = cell_next(c);
    uintptr_t purged;

    if (!cell_is_free(next) || cell_size(c) + cell_size(next) < size)
        return 0;
    bin_remove(heap, (struct free_cell *)next);
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        verify_poison(heap, next, (char *)next, (char *)c + size);
    /* next's header becomes part of c, unpoisoned: it is about to be handed out. */
    purged = GIVE_BACK_PAGES ? next->next_raw & CELL_PURGED : 0;
    cell_set_next(c, cell_next(next));
    cell_next(next)->prev_raw = (uintptr_t)c;
    trim_taken(heap, c, size, purged);
    return 1;
}

/* ---- growth ---- */

static wee__lock_t backend_lock;

void wee__backend_lock(void)
{
    wee__lock_acquire(&backend_lock);
}

void wee__backend_unlock(void)
{
    wee__lock_release(&backend_lock);
}

void *wee__backend_grow_locked(size_t bytes, void *hint, int exact)
{
    void *base;

    wee__backend_lock();
    base = wee__backend_grow(bytes, hint, exact);
    wee__backend_unlock();
    return base;
}

void wee__main_add_memory(struct wee_heap *heap, char *base, size_t bytes)
{
    struct region *r = heap->regions;
    struct cell *sentinel = (struct cell *)(base + bytes - CELL_HEADER);
    struct cell *first;

    if (r && base == (char *)r->sentinel + CELL_HEADER) {
        /* Contiguous above: the old sentinel heads the new room (its
         * link back to the cell before it stays). */
        first = r->sentinel;
    } else if (WEE_BACKEND_MAY_PLACE_BELOW && r && base + bytes == (char *)r) {
        /* Contiguous below (mmap places new mappings under old ones): the
         * new room and the old region record become one free cell in front
         * of the old first cell, under a region record at the new base. */
        struct region *fresh = (struct region *)base;
        struct cell *old_first = region_first(r);
        first = region_first(fresh);
        fresh->next = r->next;
        fresh->sentinel = r->sentinel;
        first->prev_raw = 0;
        first->next_raw = (uintptr_t)old_first | CELL_ALLOCATED;
        old_first->prev_raw = (uintptr_t)first;
        heap->regions = fresh;
        release(heap, first);
        return;
    } else {
        /* A region of its own, the newest. */
        struct region *fresh = (struct region *)base;
        first = region_first(fresh);
        first->prev_raw = 0;
        fresh->next = r;
        heap->regions = r = fresh;
    }
    /* first runs to the new sentinel: one free cell, once released. */
    r->sentinel = sentinel;
    sentinel->prev_raw = (uintptr_t)first;
    sentinel->next_raw = CELL_ALLOCATED | CELL_SENTINEL;
    first->next_raw = (uintptr_t)sentinel | CELL_ALLOCATED;
    release(heap, first);
}

int wee__main_grow(struct wee_heap *heap, size_t size, size_t align)
{
    struct region *r = heap->regions;
    size_t cell = size + (align > CELL_ALIGN ? 2 * align : 0);
    /* A region of its own: the cell, a region record and a sentinel.
     * Nothing beyond the request: every page taken stays the heap's for
     * good, so the heap grows by what the request needs, in whole pages. */
    size_t need = round_up(cell + sizeof(struct region) + CELL_HEADER, WEE_PAGE_BYTES);
    size_t bytes = need;
    char *after = r ? (char *)r->sentinel + CELL_HEADER : NULL;
    char *at = after;
    int exact = 0;
    char *base;

    if (heap->in_buffer)
        return -1;
    if (r) {
        /*
         * Pages right after the newest region merge with its free last
         * cell, pages right before it (where mmap puts new mappings) with
         * its free first cell: then only the rest of the cell has to be
         * new (and with no free cell there, the pages alone hold it,
         * without a region record).  Only there will such a run do, so
         * it is asked for there or not at all.
         */
        struct cell *end = WEE_BACKEND_MAY_PLACE_BELOW ? region_first(r) : cell_prev(r->sentinel);
        size_t room = cell_is_free(end) ? cell_size(end) : 0;

        bytes = round_up(cell > room ? cell - room : 1, WEE_PAGE_BYTES);
        if (WEE_BACKEND_MAY_PLACE_BELOW)
            at = (uintptr_t)r > bytes ? (char *)((uintptr_t)r - bytes) : NULL;
        exact = at != NULL;
    }
    /* The exact run first; when it cannot be had, a region of its own. */
    while (!(base = wee__backend_grow_locked(bytes, at, exact)) && exact) {
        bytes = need;
        at = after;
        exact = 0;
    }
    if (!base)
        return -1;
    heap->backend_bytes += bytes;
    wee__main_add_memory(heap, base, bytes);
#if CALLOC_KNOWS_ZEROS
    /* Fresh memory reads as zero, but for what was just written to it: at
     * most a region record and a free cell's header and links at its
     * start, and the sentinel at its end. */
    heap->zero.lo = (char *)region_first((struct region *)base) + sizeof(struct free_cell);
    heap->zero.hi = base + bytes - CELL_HEADER;
#endif
    return 0;
}

#if WEE_BACKEND_CAN_PURGE
size_t wee__main_purge(struct cell *c, char *end)
{
    return wee__backend_purge(poison_start(c), end);
}

size_t wee__main_purge_free(struct wee_heap *heap, size_t min)
{
    size_t given = 0;
    unsigned b;

    for (b = bin_of(min); b < BIN_COUNT; b++) {
        struct free_cell *fc;
        for (fc = heap->bins[b]; fc; fc = fc->next_free) {
            struct cell *c = &fc->header;
            size_t bytes;

            if (cell_has(c, CELL_PURGED) || cell_size(c) < min)
                continue;
            bytes = wee__main_purge(c, (char *)cell_next(c));
            /* The mark says that the pages went (calloc relies on it
             * where they read as zero, and wee_stats counts them): a
             * purge the system refused (madvise on pages locked with
             * mlock) is tried again at the next look. */
            if (bytes)
                c->next_raw |= CELL_PURGED;
            given += bytes;
        }
    }
    return given;
}
#endif

/* ---- checks and statistics ---- */

int wee__heap_owns(const struct wee_heap *heap, const struct cell *c)
{
    const struct region *r;

    for (r = heap->regions; r; r = r->next) {
        const struct cell *first = region_first(r);
        const struct cell *next, *prev;

        if (c < first || c >= r->sentinel)
            continue;
        if (!cell_aligned(c))
            return 0;
        next = cell_next(c);
        prev = cell_prev(c);
        if (next <= c || next > r->sentinel || !cell_aligned(next)
            || next->prev_raw != (uintptr_t)c)
            return 0;
        if (!prev)
            return c == first;
        return prev >= first && prev < c && cell_aligned(prev)
               && cell_next(prev) == c;
    }
    return 0;
}

/* What a check found: the result and the cell it is about. */
#define FOUND(result, cell) (*where = (cell), (result))

/* Walk every cell of every region: links, sizes, merging, poison, and the
 * counts that the lists must match. */
static int check_cells(const struct wee_heap *heap, int poison, const void **where,
                       size_t *free_cells, size_t *cached_cells, size_t *cached_bytes,
                       size_t *used_cells, size_t *in_use)
{
    const struct region *r;

    for (r = heap->regions; r; r = r->next) {
        struct cell *c = region_first(r);
        const struct cell *prev = NULL;

        if (!is_aligned(r, CELL_ALIGN) || !cell_aligned(r->sentinel))
            return FOUND(WEE_CHECK_CELL_MISALIGNED, r);
        for (;;) {
            struct cell *next;

            if (!cell_aligned(c))
                return FOUND(WEE_CHECK_CELL_MISALIGNED, c);
            if (c->prev_raw != (uintptr_t)prev)
                return FOUND(WEE_CHECK_CELL_LINKS, c);
            if (c == r->sentinel) {
                if ((c->next_raw & CELL_FLAGS) != (CELL_ALLOCATED | CELL_SENTINEL))
                    return FOUND(WEE_CHECK_CELL_LINKS, c);
                break;
            }
            if (cell_has(c, CELL_SENTINEL))
                return FOUND(WEE_CHECK_CELL_LINKS, c);
            next = cell_next(c);
            if (next <= c || next > r->sentinel || cell_size(c) < CELL_MIN)
                return FOUND(WEE_CHECK_CELL_SIZE, c);
            if (cell_is_free(c)) {
                if (!GIVE_BACK_PAGES && cell_has(c, CELL_PURGED))
                    return FOUND(WEE_CHECK_FREE_LIST, c);
                if (prev && cell_is_free(prev))
                    return FOUND(WEE_CHECK_FREE_NEIGHBOURS, c);
                if (WEE_ALLOC_EXTRA_ASSERTIONS && poison
                    && !wee__poison_intact(poison_start(c), next, POISON_MAIN))
                    return FOUND(WEE_CHECK_POISON, c);
                ++*free_cells;
            } else if (cell_has(c, CELL_CACHED)) {
                if (WEE_ALLOC_EXTRA_ASSERTIONS && poison
                    && !wee__poison_intact((char *)c + CELL_HEADER + WORD, next,
                                           POISON_CLASS))
                    return FOUND(WEE_CHECK_POISON, c);
                ++*cached_cells;
                *cached_bytes += cell_size(c);
            } else {
                ++*used_cells;
                *in_use += cell_size(c) - CELL_HEADER;
            }
            prev = c;
            c = next;
        }
    }
    return WEE_CHECK_OK;
}

static int check_bins(const struct wee_heap *heap, size_t free_cells, const void **where)
{
    size_t seen = 0;
    unsigned fl, sl;

    for (fl = 0; fl < BIN_FL_COUNT; fl++) {
        if (!!(heap->fl_bitmap >> fl & 1) != !!heap->sl_bitmap[fl])
            return FOUND(WEE_CHECK_BITMAP, &heap->sl_bitmap[fl]);
        for (sl = 0; sl < BIN_SL_COUNT; sl++) {
            const struct free_cell *fc, *prev = NULL;
            unsigned b = fl * BIN_SL_COUNT + sl;

            if (!!(heap->sl_bitmap[fl] >> sl & 1) != !!heap->bins[b])
                return FOUND(WEE_CHECK_BITMAP, &heap->bins[b]);
            for (fc = heap->bins[b]; fc; prev = fc, fc = fc->next_free) {
                /* A link that a write after free replaced is not
                 * followed: the cell that holds it is at fault. */
                if (!wee__heap_owns(heap, &fc->header))
                    return FOUND(WEE_CHECK_FREE_LIST,
                                 prev ? (const void *)prev : (const void *)&heap->bins[b]);
                if (++seen > free_cells || !cell_is_free(&fc->header) || fc->prev_free != prev
                    || bin_of(cell_size(&fc->header)) != b)
                    return FOUND(WEE_CHECK_FREE_LIST, fc);
            }
        }
    }
    return seen == free_cells ? WEE_CHECK_OK : FOUND(WEE_CHECK_FREE_LIST, heap);
}

int wee__heap_check(const struct wee_heap *heap, int poison, const void **where,
                    size_t *cells)
{
    size_t free_cells = 0, cached_cells = 0, cached_bytes = 0, used_cells = 0;
    size_t in_use = 0, listed = 0;
    int result;

    *where = NULL;
    result = check_cells(heap, poison, where, &free_cells, &cached_cells, &cached_bytes,
                         &used_cells, &in_use);
    if (result == WEE_CHECK_OK)
        result = check_bins(heap, free_cells, where);
    if (result == WEE_CHECK_OK)
        result = wee__class_check(heap, cached_cells, &listed, where);
    if (result == WEE_CHECK_OK && listed != cached_cells)
        result = FOUND(WEE_CHECK_SIZE_CLASS, heap);
    if (result == WEE_CHECK_OK
        && (in_use != heap->in_use_bytes || cached_bytes != heap->class_bytes))
        result = FOUND(WEE_CHECK_ACCOUNTING, heap);
    if (result == WEE_CHECK_OK)
        *where = NULL;
    if (cells)
        *cells = free_cells + cached_cells + used_cells;
    return result;
}

int wee__heap_walk(const struct wee_heap *heap, int (*visit)(void *, size_t, int, void *),
                   void *arg)
{
    const struct region *r;

    for (r = heap->regions; r; r = r->next) {
        struct cell *c;
        for (c = region_first(r); c != r->sentinel; c = cell_next(c)) {
            int in_use = !cell_is_free(c) && !cell_has(c, CELL_CACHED);
            int stop = visit(cell_payload(c), cell_size(c) - CELL_HEADER, in_use, arg);
            if (stop)
                return stop;
        }
    }
    return 0;
}

void wee__heap_count_free(const struct wee_heap *heap, struct wee_stats *out)
{
    size_t b, i, cells = 0, bytes = 0, largest = 0, given = 0;
#if GIVE_BACK_PAGES
    uintptr_t page = wee__backend_page_bytes();
#endif

    for (b = 0; b < BIN_COUNT; b++) {
        const struct free_cell *fc;
        for (fc = heap->bins[b]; fc; fc = fc->next_free) {
            const struct cell *c = &fc->header;
            size_t size = cell_size(c);
            cells++;
            bytes += size;
            if (size > largest)
                largest = size;
#if GIVE_BACK_PAGES
            if (cell_has(c, CELL_PURGED)) {
                /* The whole pages that wee__main_purge gave back. */
                uintptr_t from = (uintptr_t)poison_start((struct cell *)c);
                uintptr_t to = (uintptr_t)cell_next(c);
                wee__whole_pages(&from, &to, page);
                given += to > from ? to - from : 0;
            }
#endif
        }
    }
    for (i = 0; WEE_ALLOC_SIZE_CLASSES && i < CLASS_COUNT; i++) {
        const struct cell *c;
        for (c = heap->classes[i]; c; c = *cell_link((struct cell *)c)) {
            size_t size = cell_size(c);
            cells++;
            bytes += size;
            if (size > largest)
                largest = size;
        }
    }
    out->free_cells = cells;
    out->free_bytes = bytes;
    out->largest_free_cell = largest;
    out->given_back_bytes = given;
}
