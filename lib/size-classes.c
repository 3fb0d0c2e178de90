/* SPDX-License-Identifier: MPL-2.0 */
/*
 * size-classes.c - exact-size lists for small cells.
 *
 * A freed cell of at most CLASS_MAX_CELL bytes is pushed on the list of its
 * exact size instead of being merged, and the next request for that size
 * pops it: two loads and a store each way.  Cells on these lists stay
 * ALLOCATED to the main list (so neighbours never merge into them) and carry
 * CELL_CACHED; their first payload word links the list:
 *
 *   classes[index_of_size(size)] -> cell -> cell -> NULL
 *
 * Unlike the original, whose class chunks were never given back (22-44 MiB
 * with every class in use), the bytes waiting here are bounded: a push that
 * would exceed the cap is refused and the cell merges into the main list;
 * and before the heap asks the backend for more, every list is emptied into
 * the main list, so cached cells never make the heap grow.
 */
#include "config.h"

#include "heap.h"

#if WEE_ALLOC_SIZE_CLASSES

/*
 * The lists may hold as many bytes as are in use, and at least this.  The
 * cap does not bound the heap's size directly (the lists are emptied
 * before it grows), but cells waiting here do not merge, so the main list
 * serves other requests from a more broken-up heap: the larger the cap,
 * the more the heap grows under a churn of many sizes (tests/test-growth's
 * one block of each size from 1 to 2048 bytes levels off at 2240 KiB with
 * an eighth, 2368 KiB with half, 2432 KiB with all of it, and stays there
 * for 100 rounds).  A small cap costs time: programs free and allocate in
 * waves, and a cell the lists refuse takes the main list's longer way out
 * and back (instructions per call on the dogfood and source-map traces:
 * 154 and 217 with an eighth, 140 and 210 with half, 128 and 194 with all;
 * glibc 161 and 212).  The bytes each trace takes from the backend are the
 * same with any of the three.
 */
#define CLASS_CACHE_MIN_BYTES ((size_t)64 * 1024)

/* The cell after c on its list.  With extra assertions the link must be
 * NULL or a cell of the heap that waits on the same list: a write after
 * free lands on it first, and it must be reported, never followed. */
static struct cell *class_next(const struct wee_heap *heap, struct cell *c)
{
    struct cell *next = *cell_link(c);

    if (WEE_ALLOC_EXTRA_ASSERTIONS && next
        && (!wee__heap_owns(heap, next)
            || (next->next_raw & CELL_FLAGS) != (CELL_ALLOCATED | CELL_CACHED)
            || cell_size(next) != cell_size(c)))
        wee__fatal(heap_caller(heap), "freed memory was written to (use after free?)",
                   cell_payload(c));
    return next;
}

struct cell *wee__class_pop(struct wee_heap *heap, size_t size)
{
    struct cell **head = &heap->classes[index_of_size(size)];
    struct cell *c = *head;

    if (!c)
        return NULL;
    *head = class_next(heap, c);
    heap->class_bytes -= size;
    if (WEE_ALLOC_EXTRA_ASSERTIONS
        && !wee__poison_intact((char *)cell_payload(c) + WORD, cell_next(c), POISON_CLASS))
        wee__fatal(heap_caller(heap), "freed memory was written to (use after free?)",
                   cell_payload(c));
    c->next_raw &= ~CELL_CACHED;  /* ALLOCATED stays */
    return c;
}

int wee__class_push(struct wee_heap *heap, struct cell *c)
{
    size_t size = cell_size(c);
    size_t cap = heap->in_use_bytes;
    struct cell **head;

    if (cap < CLASS_CACHE_MIN_BYTES)
        cap = CLASS_CACHE_MIN_BYTES;
    if (heap->class_bytes + size > cap)
        return 0;
    head = &heap->classes[index_of_size(size)];
    *cell_link(c) = *head;
    *head = c;
    heap->class_bytes += size;
    c->next_raw |= CELL_CACHED;  /* ALLOCATED already */
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        wee__poison((char *)cell_payload(c) + WORD, cell_next(c), POISON_CLASS);
    return 1;
}

int wee__class_flush(struct wee_heap *heap)
{
    size_t i;

    if (!heap->class_bytes)
        return 0;
    for (i = 0; i < CLASS_COUNT; i++) {
        struct cell *c;
        while ((c = heap->classes[i]) != NULL) {
            heap->classes[i] = class_next(heap, c);
            wee__main_release(heap, c);
        }
    }
    heap->class_bytes = 0;
    return 1;
}

int wee__class_check(const struct wee_heap *heap, size_t limit, size_t *cells,
                     const void **where)
{
    size_t i;

    *cells = 0;
    for (i = 0; i < CLASS_COUNT; i++)
        if (wee__check_list(heap, &heap->classes[i], i, CELL_ALLOCATED | CELL_CACHED, 0, limit,
                            cells, where) != WEE_CHECK_OK)
            return WEE_CHECK_SIZE_CLASS;
    return WEE_CHECK_OK;
}

#else
/* Built without size classes: heap.h gives the no-op versions.  (ISO C
 * wants at least one declaration in a file.) */
typedef int wee__no_size_classes;
#endif /* WEE_ALLOC_SIZE_CLASSES */
