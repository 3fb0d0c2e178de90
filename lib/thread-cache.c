/* SPDX-License-Identifier: MPL-2.0 */
/*
 * thread-cache.c - per-thread caches of small cells for the default heap.
 *
 * Once a process has a second thread, the heap's lock costs an atomic
 * exchange per call (backend.h), and when two threads allocate at once it
 * bounces between their processors on every call.  So
 * each thread keeps up to TCACHE_DEPTH freed cells of each small size
 * (cells of at most TCACHE_MAX_CELL bytes) and serves its next requests of
 * that size from them, with no lock:
 *
 *   this thread's cache:  bins[index_of_size(size)] -> cell -> cell -> NULL
 *
 * A cached cell keeps its header untouched (ALLOCATED, counted in the
 * heap's in_use_bytes), so the heap's structure and wee_check never depend
 * on what another thread is doing with its cache.  Its first payload word
 * links the bin; its second holds a key (heap.h's tcache_mark), which
 * marks the cell as cached so that freeing it again is caught.  The key
 * names the caching thread's slot: a cell freed again by another thread is
 * caught by the slot in its key; by the same thread, or under a shared
 * slot 0, by finding it in the bin (a program's data may hold the key by
 * chance).  Slots are handed out under the default heap's lock, as a
 * thread joins the list of caches, and handed back as it leaves it; no
 * cell keeps a slot's key once its cache is empty, so a slot can be used
 * again.
 *
 * Bounds: a full bin hands half its cells back to the heap under one lock;
 * before the heap grows, the growing thread hands back its whole cache; a
 * thread that exits hands back everything.  So a cache never holds more
 * than TCACHE_DEPTH cells of each of TCACHE_CLASSES sizes.
 */
#include "config.h"

#include "heap.h"

#if WEE_THREAD_CACHE

_Static_assert(TCACHE_MAX_CELL <= CLASS_MAX_CELL || !WEE_ALLOC_SIZE_CLASSES,
               "cached sizes are size-class sizes");
_Static_assert(TCACHE_DEPTH < 256, "counts fit a byte");

__thread struct thread_cache wee__tcache __attribute__((tls_model("initial-exec")));
struct thread_cache *wee__tcache_all;

/* Which slots caching threads hold (under the default heap's lock); slot 0
 * is everybody's, and the only one on 32-bit hosts. */
static unsigned char slot_taken[TCACHE_SLOT_MASK + 1];

static unsigned char take_slot(void)
{
    unsigned s;

    for (s = 1; s <= TCACHE_SLOT_MASK; s++)
        if (!slot_taken[s]) {
            slot_taken[s] = 1;
            return (unsigned char)s;
        }
    return 0;
}

/* Free tc's slot for another thread; tc keeps no key. */
static void give_slot_back(struct thread_cache *tc)
{
    slot_taken[tc->key & TCACHE_SLOT_MASK] = 0;
    tc->key = 0;
}

/* Usable bytes of the cells of bin i. */
static inline size_t bin_usable(size_t i)
{
    return size_of_index(i) - CELL_HEADER;
}

/* Hand the first n cells of bin i back to the heap (lock held); how many
 * there were. */
static unsigned give_back(struct wee_heap *heap, struct thread_cache *tc, size_t i, unsigned n)
{
    unsigned given = 0;
    struct cell *c;

    while (given < n && (c = tcache_take(tc, i)) != NULL) {
        wee__heap_free(heap, c, 1);
        given++;
    }
    return given;
}

static unsigned give_back_all(struct wee_heap *heap, struct thread_cache *tc)
{
    unsigned given = 0;
    size_t i;

    for (i = 0; i < TCACHE_CLASSES; i++)
        given += give_back(heap, tc, i, TCACHE_DEPTH);
    return given;
}

/* Thread exit: everything goes back, and the cache leaves the list. */
static void thread_exit(void *arg)
{
    struct thread_cache *tc = arg;
    struct wee_heap *heap = wee_heap_default();

    wee__lock_acquire(&heap->lock);
    give_back_all(heap, tc);
    if (tc->prev_next) {
        *tc->prev_next = tc->next;
        if (tc->next)
            tc->next->prev_next = tc->prev_next;
        tc->prev_next = NULL;
    }
    give_slot_back(tc);
    wee__lock_release(&heap->lock);
    tc->state = CACHE_OFF; /* later frees in other destructors take the lock */
}

/* The first free of a thread: join the list and arrange the exit hook.
 * Until this is done the thread takes the locked path. */
static int set_up(struct wee_heap *heap)
{
    wee__tcache.state = CACHE_OFF;
    wee__lock_acquire(&heap->lock);
    wee__tcache.next = wee__tcache_all;
    wee__tcache.prev_next = &wee__tcache_all;
    if (wee__tcache_all)
        wee__tcache_all->prev_next = &wee__tcache.next;
    wee__tcache_all = &wee__tcache;
    wee__tcache.key = tcache_mark() | take_slot();
    wee__lock_release(&heap->lock);
    if (wee__backend_on_thread_exit(thread_exit, &wee__tcache) != 0) {
        /* The cache stays off, and empty: nothing could hand it back. */
        wee__lock_acquire(&heap->lock);
        give_slot_back(&wee__tcache);
        wee__lock_release(&heap->lock);
        return 0;
    }
    wee__tcache.state = CACHE_READY;
    return 1;
}

int wee__tcache_claims(const struct cell *c)
{
    size_t size = cell_size(c), i;
    uintptr_t slot;
    const struct cell *k;

    if (size > TCACHE_MAX_CELL || !tcache_marked((struct cell *)c))
        return 0;
    slot = *tcache_key((struct cell *)c) & TCACHE_SLOT_MASK;
    if (slot != (wee__tcache.key & TCACHE_SLOT_MASK))
        return slot != 0;  /* thread `slot`'s cache holds it */
    i = index_of_size(size);
    for (k = wee__tcache.bins[i]; k; k = *cell_link((struct cell *)k))
        if (k == c)
            return 1;
    return 0;
}

int wee__tcache_push_slow(struct wee_heap *heap, struct cell *c, size_t i, const char *func)
{
    if (wee__tcache.state != CACHE_READY && (wee__tcache.state == CACHE_OFF || !set_up(heap)))
        return 0;
    if (wee__tcache_claims(c))
        wee__fatal(func, "double free", cell_payload(c));
    if (wee__tcache.count[i] == TCACHE_DEPTH) {
        wee__lock_acquire(&heap->lock);
        give_back(heap, &wee__tcache, i, TCACHE_DEPTH / 2);
        wee__lock_release(&heap->lock);
    }
    tcache_link_in(c, i);
    return 1;
}

int wee__tcache_flush_mine(struct wee_heap *heap)
{
    return wee__tcache.state == CACHE_READY && give_back_all(heap, &wee__tcache) != 0;
}

void wee__tcache_totals(size_t *cells, size_t *bytes)
{
    const struct thread_cache *tc;
    size_t i, n;

    *cells = *bytes = 0;
    for (tc = wee__tcache_all; tc; tc = tc->next)
        for (i = 0; i < TCACHE_CLASSES; i++) {
            n = __atomic_load_n(&tc->count[i], __ATOMIC_RELAXED);
            *cells += n;
            *bytes += n * bin_usable(i);
        }
}

/*
 * Every cell on a bin of this thread's cache is an allocated cell of the
 * heap, of the bin's size, marked with this thread's key, and each bin
 * holds as many as its count says.  Other threads' caches change without
 * the lock and are not looked at.  A link that a write after free
 * replaced is not followed: the cell that holds it is at fault.
 */
int wee__tcache_check_mine(const struct wee_heap *heap, const void **where)
{
    const struct thread_cache *tc = &wee__tcache;
    size_t i;

    for (i = 0; i < TCACHE_CLASSES; i++) {
        size_t n = 0;

        if (wee__check_list(heap, &tc->bins[i], i, CELL_ALLOCATED, tc->key, tc->count[i], &n,
                            where) != WEE_CHECK_OK)
            return WEE_CHECK_SIZE_CLASS;
        if (n != tc->count[i]) {
            *where = &tc->bins[i];
            return WEE_CHECK_SIZE_CLASS;
        }
    }
    *where = NULL;
    return WEE_CHECK_OK;
}

#else
/* Built without per-thread caches: heap.h gives the no-op versions. */
typedef int wee__no_thread_cache;
#endif /* WEE_THREAD_CACHE */
