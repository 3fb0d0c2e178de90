/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wee_alloc.c - the public API: argument checks, errno, the lock, and the
 * choice between a size-class list and the main free list.
 *
 * Everything that can be decided without the heap (overflow, alignment,
 * the cell size of a request) is decided before the lock is taken, and
 * copying is done after it is released, so the critical section holds only
 * list operations.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "heap.h"
#include "wee_alloc.h"

/* The default heap.  All zero is an empty, unlocked heap. */
static struct wee__heap default_heap;

void wee__default_heap_lock(void)
{
    wee__lock_acquire(&default_heap.lock);
}

void wee__default_heap_unlock(void)
{
    wee__lock_release(&default_heap.lock);
}

/* With extra assertions, the whole heap is verified every this many calls,
 * on top of the local checks every call makes. */
#define FULL_CHECK_PERIOD 256u

static void extra_full_check(struct wee__heap *heap, const char *func)
{
    static unsigned calls;
    int result;

    if (++calls % FULL_CHECK_PERIOD)
        return;
    result = wee__heap_check(heap);
    if (result != WEE_CHECK_OK)
        wee__fatal(func, wee_check_describe(result), heap);
}

static void note_in_use(struct wee__heap *heap, size_t add, size_t remove)
{
    heap->in_use_bytes = heap->in_use_bytes + add - remove;
    if (heap->in_use_bytes > heap->peak_in_use_bytes)
        heap->peak_in_use_bytes = heap->in_use_bytes;
}

/* A cell of `size` bytes aligned to `align`, from a size-class list when
 * one has it, else from the main list, growing the heap when needed. */
static struct cell *heap_alloc(struct wee__heap *heap, size_t size, size_t align)
{
    struct cell *c = NULL;

    if (WEE_ALLOC_SIZE_CLASSES && size <= CLASS_MAX_CELL && align <= CELL_ALIGN)
        c = wee__class_pop(heap, size);
    if (!c)
        c = wee__main_take(heap, size, align);
    if (!c && wee__class_flush(heap))
        c = wee__main_take(heap, size, align);
    if (!c && wee__main_grow(heap, size, align) == 0)
        c = wee__main_take(heap, size, align);
    if (!c) {
        heap->failed_requests++;
        return NULL;
    }
    note_in_use(heap, cell_size(c) - CELL_HEADER, 0);
    return c;
}

static void heap_free(struct wee__heap *heap, struct cell *c)
{
    size_t size = cell_size(c);

    note_in_use(heap, 0, size - CELL_HEADER);
    if (WEE_ALLOC_SIZE_CLASSES && size <= CLASS_MAX_CELL && wee__class_push(heap, c))
        return;
    wee__main_release(heap, c);
}

/*
 * The cell behind a pointer the program hands back, or a fatal error.
 * The header flags are always checked (cheap, and they catch the double
 * free of a cell still in place); with extra assertions the pointer must
 * also be a cell of this heap with consistent neighbours.
 */
static struct cell *cell_from_user(struct wee__heap *heap, const void *p, const char *func)
{
    struct cell *c = cell_of_payload(p);

    if (((uintptr_t)p & (CELL_ALIGN - 1)) != 0
        || (WEE_ALLOC_EXTRA_ASSERTIONS && !wee__heap_owns(heap, c)))
        wee__fatal(func, "invalid pointer (not a block from wee_alloc, or already freed)", p);
    if ((c->next_raw & CELL_FLAGS) != CELL_ALLOCATED)
        wee__fatal(func, "double free (or invalid pointer)", p);
    return c;
}

static void *fail(struct wee__heap *heap, int error)
{
    if (error == ENOMEM) {
        wee__lock_acquire(&heap->lock);
        heap->failed_requests++;
        wee__lock_release(&heap->lock);
    }
    errno = error;
    return NULL;
}

/* Allocate `n` bytes aligned to `align` (a power of two), or fail with
 * ENOMEM.  Callers have rejected bad alignments. */
static void *allocate(struct wee__heap *heap, size_t n, size_t align, const char *func)
{
    struct cell *c;
    size_t size;

    if (align < CELL_ALIGN)
        align = CELL_ALIGN;
    if (n > WEE_MAX_REQUEST || align > WEE_MAX_REQUEST / 4
        || (align > CELL_ALIGN && n > WEE_MAX_REQUEST - 2 * align))
        return fail(heap, ENOMEM);
    size = cell_size_for(n);

    wee__lock_acquire(&heap->lock);
    c = heap_alloc(heap, size, align);
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        extra_full_check(heap, func);
    wee__lock_release(&heap->lock);

    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    return cell_payload(c);
}

static void release_user(struct wee__heap *heap, void *p, const char *func)
{
    wee__lock_acquire(&heap->lock);
    heap_free(heap, cell_from_user(heap, p, func));
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        extra_full_check(heap, func);
    wee__lock_release(&heap->lock);
}

static int is_power_of_two(size_t x)
{
    return x && !(x & (x - 1));
}

void *wee_malloc(size_t size)
{
    return allocate(&default_heap, size, CELL_ALIGN, "wee_malloc");
}

void *wee_calloc(size_t nmemb, size_t size)
{
    void *p;

    if (size && nmemb > SIZE_MAX / size)
        return fail(&default_heap, ENOMEM);
    p = allocate(&default_heap, nmemb * size, CELL_ALIGN, "wee_calloc");
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}

void wee_free(void *ptr)
{
    if (ptr)
        release_user(&default_heap, ptr, "wee_free");
}

void *wee_realloc(void *ptr, size_t size)
{
    struct wee__heap *heap = &default_heap;
    struct cell *c;
    size_t want, have;
    void *moved;

    if (!ptr)
        return allocate(heap, size, CELL_ALIGN, "wee_realloc");
    if (size == 0) {
        release_user(heap, ptr, "wee_realloc");
        return NULL;
    }
    if (size > WEE_MAX_REQUEST)
        return fail(heap, ENOMEM);
    want = cell_size_for(size);

    wee__lock_acquire(&heap->lock);
    c = cell_from_user(heap, ptr, "wee_realloc");
    have = cell_size(c);
    if (want <= have) {
        wee__main_shrink(heap, c, want);
    } else if (!wee__main_grow_in_place(heap, c, want)) {
        wee__lock_release(&heap->lock);
        /* Move: the old block stays ours until the copy is done. */
        moved = allocate(heap, size, CELL_ALIGN, "wee_realloc");
        if (moved) {
            memcpy(moved, ptr, have - CELL_HEADER);
            release_user(heap, ptr, "wee_realloc");
        }
        return moved;
    }
    note_in_use(heap, cell_size(c), have);
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        extra_full_check(heap, "wee_realloc");
    wee__lock_release(&heap->lock);
    return ptr;
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

    if (!is_power_of_two(alignment) || alignment % sizeof(void *) != 0)
        return EINVAL;
    p = allocate(&default_heap, size, alignment, "wee_posix_memalign");
    errno = saved;
    if (!p)
        return ENOMEM;
    *memptr = p;
    return 0;
}

size_t wee_malloc_usable_size(const void *ptr)
{
    struct wee__heap *heap = &default_heap;
    size_t size;

    if (!ptr)
        return 0;
    /* An allocated cell's own header changes only when the cell itself is
     * resized or freed, so the owner may read it without the lock. */
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        wee__lock_acquire(&heap->lock);
    size = cell_size(cell_from_user(heap, ptr, "wee_malloc_usable_size"));
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        wee__lock_release(&heap->lock);
    return size - CELL_HEADER;
}

void wee_stats(struct wee_stats *out)
{
    struct wee__heap *heap = &default_heap;

    if (!out)
        return;
    wee__lock_acquire(&heap->lock);
    out->backend_bytes = heap->backend_bytes;
    out->in_use_bytes = heap->in_use_bytes;
    out->peak_in_use_bytes = heap->peak_in_use_bytes;
    out->failed_requests = heap->failed_requests;
    wee__heap_count_free(heap, &out->free_cells, &out->free_bytes, &out->largest_free_cell);
    wee__lock_release(&heap->lock);
}

int wee_check(void)
{
    struct wee__heap *heap = &default_heap;
    int result;

    wee__lock_acquire(&heap->lock);
    result = wee__heap_check(heap);
    wee__lock_release(&heap->lock);
    return result;
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
