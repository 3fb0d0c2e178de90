/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-heaps.c - heap instances, walking and checking a heap.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "check-helpers.h"

/* A buffer for wee_heap_in, aligned for any heap. */
static _Alignas(64) unsigned char arena[1 << 20];

static struct wee_stats heap_stats_now(wee_heap *heap)
{
    struct wee_stats s;

    memset(&s, 0xa5, sizeof s);
    wee_heap_stats(heap, &s);
    return s;
}

START_TEST(test_heap_new_serves_requests_independently_of_the_default_heap)
{
    wee_heap *heap = wee_heap_new();
    struct wee_stats before = stats_now(), s;
    void *p;

    ck_assert_ptr_nonnull(heap);
    p = wee_heap_malloc(heap, 1000);
    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, TEST_MIN_ALIGN));
    memset(p, 0x11, 1000);
    s = heap_stats_now(heap);
    ck_assert_uint_ge(s.in_use_bytes, 1000);
    /* The default heap did not see it. */
    ck_assert_uint_eq(stats_now().in_use_bytes, before.in_use_bytes);
    ck_assert_uint_ge(wee_heap_usable_size(heap, p), 1000);
    wee_heap_free(heap, p);
    ck_assert_uint_eq(heap_stats_now(heap).in_use_bytes, 0);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_heap_new_grows_past_its_first_unit)
{
    wee_heap *heap = wee_heap_new();
    void *big;

    ck_assert_ptr_nonnull(heap);
    big = wee_heap_malloc(heap, 3 << 20);
    ck_assert_ptr_nonnull(big);
    memset(big, 0x22, 3 << 20);
    ck_assert_uint_ge(heap_stats_now(heap).backend_bytes, 3 << 20);
    wee_heap_free(heap, big);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_null_heap_means_the_default_heap)
{
    struct wee_stats before = stats_now();
    void *p = wee_heap_malloc(NULL, 100);

    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(wee_heap_default(), wee_heap_default());
    ck_assert_uint_eq(stats_now().in_use_bytes,
                      before.in_use_bytes + wee_malloc_usable_size(p));
    wee_free(p); /* the default heap's own free takes it back */
    ck_assert_uint_eq(stats_now().in_use_bytes, before.in_use_bytes);
}
END_TEST

START_TEST(test_heap_in_lives_inside_its_buffer)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    struct wee_stats before = stats_now();
    unsigned char *p;
    int i;

    ck_assert_ptr_nonnull(heap);
    ck_assert_ptr_eq((void *)heap, arena);
    for (i = 0; i < 100; i++) {
        p = wee_heap_malloc(heap, 100 + (size_t)i * 37);
        ck_assert_ptr_nonnull(p);
        ck_assert(p > arena && p + 100 + i * 37 <= arena + sizeof arena);
    }
    /* Nothing came from the backend. */
    ck_assert_uint_eq(stats_now().backend_bytes, before.backend_bytes);
    ck_assert_uint_le(heap_stats_now(heap).backend_bytes, sizeof arena);
}
END_TEST

START_TEST(test_heap_trim_gives_back_only_what_the_backend_gave)
{
    /* Blocks below the 128 KiB above which a free gives their pages
     * back by itself. */
    enum { BLOCK = 100000, N = 5 };
    wee_heap *in = wee_heap_in(arena, sizeof arena), *fed = wee_heap_new();
    unsigned char *a[N], *b[N];
    size_t page = (size_t)sysconf(_SC_PAGESIZE), i, given = 0;

    ck_assert(in && fed);
    for (i = 0; i < N; i++) {
        a[i] = wee_heap_malloc(in, BLOCK);
        b[i] = wee_heap_malloc(fed, BLOCK);
        ck_assert(a[i] && b[i]);
        memset(a[i], 0x33, BLOCK);
        memset(b[i], 0x44, BLOCK);
    }
    for (i = 0; i < N; i++) {
        wee_heap_free(in, a[i]);
        wee_heap_free(fed, b[i]);
    }
    /* The buffer is the caller's: its pages stay as they are. */
    ck_assert_uint_eq(wee_heap_trim(in), 0);
    for (i = 0; i < N; i++)
        ck_assert_uint_ge(resident_bytes(a[i] + page, BLOCK - 2 * page), BLOCK - 2 * page);
    ck_assert_uint_eq(heap_stats_now(in).given_back_bytes, 0);
    ck_assert_int_eq(wee_heap_check(in, NULL), WEE_CHECK_OK);
    ck_assert_uint_eq(heap_stats_now(fed).given_back_bytes, 0);
    if (TEST_TRIM_GIVES_BACK) {
        given = wee_heap_trim(fed);
        ck_assert_uint_ge(given, N * BLOCK - 2 * page);
        for (i = 0; i < N; i++)
            ck_assert_uint_eq(resident_bytes(b[i] + page, BLOCK - 2 * page), 0);
        /* The statistics count what went back; a second trim finds
         * nothing more. */
        ck_assert_uint_eq(heap_stats_now(fed).given_back_bytes, given);
        ck_assert_uint_eq(wee_heap_trim(fed), 0);
    } else {
        ck_assert_uint_eq(wee_heap_trim(fed), 0);
    }
    ck_assert_int_eq(wee_heap_check(fed, NULL), WEE_CHECK_OK);
    /* Both serve the same requests again, from the pages given back:
     * in use again, they are no longer counted. */
    for (i = 0; i < N; i++) {
        ck_assert_ptr_nonnull(wee_heap_malloc(in, BLOCK));
        b[i] = wee_heap_malloc(fed, BLOCK);
        ck_assert_ptr_nonnull(b[i]);
        memset(b[i], 0x55, BLOCK);
    }
    if (TEST_TRIM_GIVES_BACK)
        ck_assert_uint_le(heap_stats_now(fed).given_back_bytes + N * (BLOCK - 2 * page), given);
    else
        ck_assert_uint_eq(heap_stats_now(fed).given_back_bytes, 0);
    ck_assert_int_eq(wee_heap_check(in, NULL), WEE_CHECK_OK);
    ck_assert_int_eq(wee_heap_check(fed, NULL), WEE_CHECK_OK);
}
END_TEST

/* Fill n bytes at p, free them into heap, and say how many of the pages
 * inside them are still in memory. */
static size_t resident_after_free(wee_heap *heap, unsigned char *p, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    ck_assert_ptr_nonnull(p);
    memset(p, 0x66, n);
    wee_heap_free(heap, p);
    return resident_bytes(p + page, n - 2 * page);
}

START_TEST(test_heap_free_gives_back_a_large_block_once_per_size)
{
    enum { SMALL = 100 << 10, LARGE = 4 << 20 };
    wee_heap *heap = wee_heap_new();
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    ck_assert_ptr_nonnull(heap);
    /* Up to 128 KiB a freed block keeps its pages. */
    ck_assert_uint_ge(resident_after_free(heap, wee_heap_malloc(heap, SMALL), SMALL),
                      SMALL - 2 * page);
    /* The first large one gives them back; the next of its size keeps
     * them; a larger one gives them back again. */
    if (TEST_TRIM_GIVES_BACK) {
        ck_assert_uint_eq(resident_after_free(heap, wee_heap_malloc(heap, LARGE), LARGE), 0);
        ck_assert_uint_ge(heap_stats_now(heap).given_back_bytes, LARGE - 2 * page);
        ck_assert_uint_ge(resident_after_free(heap, wee_heap_malloc(heap, LARGE), LARGE),
                          LARGE - 2 * page);
        ck_assert_uint_le(heap_stats_now(heap).given_back_bytes, 2 * page);
        ck_assert_uint_eq(resident_after_free(heap, wee_heap_malloc(heap, 2 * LARGE),
                                              2 * LARGE), 0);
    } else {
        ck_assert_uint_ge(resident_after_free(heap, wee_heap_malloc(heap, LARGE), LARGE),
                          LARGE - 2 * page);
        ck_assert_uint_eq(heap_stats_now(heap).given_back_bytes, 0);
    }
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
    ck_assert_ptr_nonnull(wee_heap_malloc(heap, 2 * LARGE));
}
END_TEST

START_TEST(test_heap_realloc_that_shrinks_a_large_block_gives_its_tail_back)
{
    enum { LARGE = 4 << 20, SMALL = 1000 };
    wee_heap *heap = wee_heap_new();
    size_t page = (size_t)sysconf(_SC_PAGESIZE), tail;
    unsigned char *p, *q;

    ck_assert_ptr_nonnull(heap);
    p = wee_heap_malloc(heap, LARGE);
    ck_assert_ptr_nonnull(p);
    pattern_fill(p, LARGE, 9);
    q = wee_heap_realloc(heap, p, SMALL);
    ck_assert_ptr_eq(q, p);
    ck_assert_uint_eq(pattern_mismatch(p, SMALL, 9), SMALL);
    /* The pages of the tail, past the block's new end and the page where
     * the free tail keeps its links. */
    tail = resident_bytes(p + 2 * page, LARGE - 3 * page);
    if (TEST_TRIM_GIVES_BACK)
        ck_assert_uint_eq(tail, 0);
    else
        ck_assert_uint_ge(tail, LARGE - 3 * page);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
    wee_heap_free(heap, p);
}
END_TEST

/*
 * A heap that frees most of what it held gives the pages of its free
 * cells back, though each block was too small to give its own: blocks of
 * 24 000 bytes, each with a small one beside it that the size classes
 * take as it is freed, 48 MB in all, freed in a scattered order.  A heap that
 * then allocates those pages again keeps them from then on.  Where pages
 * cannot go back, a quarter of the blocks (the static backend's array
 * holds 32 MiB), which all stay in memory.
 */
START_TEST(test_heap_that_empties_gives_pages_back_until_it_reuses_them)
{
    enum { BLOCK = 24000, SMALL = 200, N = 2000, ROUNDS = 3 };
    static unsigned char *large[N], *small[N];
    wee_heap *heap = wee_heap_new();
    size_t page = (size_t)sysconf(_SC_PAGESIZE), inner = BLOCK - 2 * page;
    size_t n = TEST_TRIM_GIVES_BACK ? N : N / 4, resident[ROUNDS], i, round;

    ck_assert_ptr_nonnull(heap);
    for (round = 0; round < ROUNDS; round++) {
        for (i = 0; i < n; i++) {
            large[i] = wee_heap_malloc(heap, BLOCK);
            small[i] = wee_heap_malloc(heap, SMALL);
            ck_assert(large[i] && small[i]);
            pattern_fill(large[i], BLOCK, (unsigned)(i + round));
            memset(small[i], 0x77, SMALL);
        }
        for (i = 0; i < n; i++)
            ck_assert_uint_eq(pattern_mismatch(large[i], BLOCK, (unsigned)(i + round)), BLOCK);
        /* 7 919 is prime: every block once, neighbours far apart in time. */
        for (i = 0; i < n; i++) {
            wee_heap_free(heap, large[i * 7919 % n]);
            wee_heap_free(heap, small[i * 7919 % n]);
        }
        ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
        resident[round] = 0;
        for (i = 0; i < n; i++)
            resident[round] += resident_bytes(large[i] + page, inner);
    }
    if (TEST_TRIM_GIVES_BACK) {
        ck_assert_uint_le(resident[0], n * inner / 4);
        ck_assert_uint_ge(resident[1], n * inner / 4 * 3);
        ck_assert_uint_ge(resident[2], n * inner / 4 * 3);
    } else {
        for (round = 0; round < ROUNDS; round++)
            ck_assert_uint_ge(resident[round], n * inner);
    }
    ck_assert_ptr_nonnull(wee_heap_malloc(heap, n * BLOCK));
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
}
END_TEST

/* calloc n bytes from heap: they must read as zero, and the pages inside
 * the block must be out of memory (`untouched`, at most 1 MiB in) or all
 * in memory.  Residence is measured first: reading maps pages in. */
static unsigned char *calloc_checked(wee_heap *heap, size_t n, int untouched)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), inner = n - 2 * page, resident;
    unsigned char *p = wee_heap_calloc(heap, 1, n);

    ck_assert_ptr_nonnull(p);
    resident = resident_bytes(p + page, inner);
    if (untouched)
        ck_assert_uint_le(resident, (size_t)1 << 20);
    else
        ck_assert_uint_ge(resident, inner);
    ck_assert_uint_eq(first_nonzero(p, n), n);
    return p;
}

/* A block of n bytes from heap, written all over with `fill`, freed. */
static void *write_and_free(wee_heap *heap, size_t n, int fill)
{
    void *p = wee_heap_malloc(heap, n);

    ck_assert_ptr_nonnull(p);
    memset(p, fill, n);
    wee_heap_free(heap, p);
    return p;
}

/*
 * calloc of a large block clears only what may not read as zero: the
 * pages a heap grows by for it, and on Linux those a freed block gave
 * back, stay out of memory until the program uses them.  Every block
 * reads as zero all the same, also where it lies on memory written
 * before: a freed block that kept its pages, and the written free end of
 * a heap that grows for the block.
 */
START_TEST(test_heap_calloc_of_a_large_block_leaves_untouched_pages_alone)
{
    /* large is above the 32 MiB up to which freed blocks keep their pages
     * once one of their size gave its pages back: each of its frees gives
     * them back.  The static backend's array holds 32 MiB.  Blocks below
     * 128 KiB (KEPT) keep their pages when freed. */
    enum { KEPT = 100 << 10, GROWN = 8 << 20 };
    size_t large = TEST_TRIM_GIVES_BACK ? (size_t)40 << 20 : (size_t)4 << 20;
    wee_heap *heap = wee_heap_new();
    unsigned char *p;

    ck_assert_ptr_nonnull(heap);
    p = calloc_checked(heap, large, TEST_CALLOC_SKIPS_FRESH);
    memset(p, 0x5a, large);
    wee_heap_free(heap, p);
    /* The same place again: given back where pages can go back. */
    ck_assert_ptr_eq(calloc_checked(heap, large, TEST_CALLOC_SKIPS_GIVEN_BACK), p);
    write_and_free(heap, large, 0x5b);
    /* calloc on memory written and freed a moment ago. */
    p = write_and_free(heap, KEPT, 0x5c);
    ck_assert_ptr_eq(calloc_checked(heap, KEPT, 0), p);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);

    /* A new heap whose free memory was written, grown for a block larger
     * than all of it: the block spans written and fresh memory. */
    heap = wee_heap_new();
    ck_assert_ptr_nonnull(heap);
    write_and_free(heap, KEPT, 0x5d);
    calloc_checked(heap, GROWN, TEST_CALLOC_SKIPS_FRESH);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_heap_in_exhaustion_fails_enomem_and_memory_is_reusable)
{
    wee_heap *heap = wee_heap_in(arena, 64 * 1024);
    void *blocks[1024];
    size_t n = 0, i;
    void *p;

    ck_assert_ptr_nonnull(heap);
    for (;;) {
        errno = 0;
        p = wee_heap_malloc(heap, 1000);
        if (!p)
            break;
        ck_assert_uint_lt(n, 1024);
        blocks[n++] = p;
    }
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_gt(n, 40); /* most of the 64 KiB was handed out */
    ck_assert_uint_ge(heap_stats_now(heap).failed_requests, 1);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
    for (i = 0; i < n; i++)
        wee_heap_free(heap, blocks[i]);
    p = wee_heap_malloc(heap, 20000);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_heap_in_rejects_small_or_null_buffers_with_einval)
{
    errno = 0;
    ck_assert_ptr_null(wee_heap_in(arena, 64));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(wee_heap_in(NULL, sizeof arena));
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* The smallest buffer wee_heap_in takes at an aligned start is too small
 * one byte further on, where the heap starts MIN_ALIGN - 1 bytes in; and
 * enough again with those bytes added. */
START_TEST(test_heap_in_counts_its_size_from_the_aligned_start)
{
    size_t least = TEST_MIN_ALIGN;

    while (least < 64 * 1024 && wee_heap_in(arena, least) == NULL)
        least += TEST_MIN_ALIGN;
    ck_assert_uint_lt(least, 64 * 1024);
    ck_assert_ptr_null(wee_heap_in(arena, least - TEST_MIN_ALIGN));
    errno = 0;
    ck_assert_ptr_null(wee_heap_in(arena + 1, least));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_nonnull(wee_heap_in(arena + 1, least + TEST_MIN_ALIGN - 1));
}
END_TEST

/* A pool declared as an array of bytes may start anywhere: the heap starts
 * at the first MIN_ALIGN boundary in it and keeps to the buffer, every
 * block aligned, for every start and end offset within two alignments. */
START_TEST(test_heap_in_takes_a_buffer_of_any_alignment)
{
    const size_t len = 64 * 1024;
    size_t off, end;

    for (off = 0; off < 2 * TEST_MIN_ALIGN; off++) {
        for (end = 0; end < 2 * TEST_MIN_ALIGN; end += 3) {
            unsigned char *buf = arena + off;
            size_t n = len - end, i;
            wee_heap *heap;
            unsigned char *p[8];

            memset(arena, 0x5a, len + 4 * TEST_MIN_ALIGN);
            heap = wee_heap_in(buf, n);
            ck_assert_msg(heap != NULL, "wee_heap_in(arena + %zu, %zu) failed", off, n);
            ck_assert((unsigned char *)heap >= buf && (unsigned char *)heap < buf + TEST_MIN_ALIGN);
            ck_assert(is_aligned(heap, TEST_MIN_ALIGN));
            for (i = 0; i < 8; i++) {
                p[i] = wee_heap_malloc(heap, 100 + i * 1000);
                ck_assert_ptr_nonnull(p[i]);
                ck_assert(is_aligned(p[i], TEST_MIN_ALIGN));
                ck_assert(p[i] > buf && p[i] + 100 + i * 1000 <= buf + n);
                memset(p[i], 0xc3, 100 + i * 1000);
            }
            /* Exhaustion stays inside the buffer too. */
            while (wee_heap_malloc(heap, 64) != NULL)
                ;
            ck_assert_uint_le(heap_stats_now(heap).backend_bytes, n);
            ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
            for (i = 0; i < off; i++)
                ck_assert_msg(arena[i] == 0x5a, "byte %zu before the buffer was written", i);
            for (i = off + n; i < len + 4 * TEST_MIN_ALIGN; i++)
                ck_assert_msg(arena[i] == 0x5a, "byte %zu after the buffer was written", i);
        }
    }
}
END_TEST

START_TEST(test_heap_functions_honour_the_api_contract)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    unsigned char *p, *q;
    size_t i;

    p = wee_heap_calloc(heap, 100, 10);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(first_nonzero(p, 1000), 1000);
    memset(p, 0x5a, 1000);
    q = wee_heap_realloc(heap, p, 5000);
    ck_assert_ptr_nonnull(q);
    for (i = 0; i < 1000; i++)
        ck_assert_uint_eq(q[i], 0x5a);
    p = wee_heap_aligned_alloc(heap, 4096, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, 4096));
    errno = 0;
    ck_assert_ptr_null(wee_heap_aligned_alloc(heap, 48, 100));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(wee_heap_calloc(heap, SIZE_MAX / 2, 3));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_ptr_null(wee_heap_realloc(heap, q, 0));
    wee_heap_free(heap, p);
    wee_heap_free(heap, NULL);
    ck_assert_uint_eq(wee_heap_usable_size(heap, NULL), 0);
    ck_assert_uint_eq(heap_stats_now(heap).in_use_bytes, 0);
}
END_TEST

struct walk_totals {
    size_t cells, used, used_bytes, free_bytes;
    int stop_after;
};

static int count_cell(void *block, size_t size, int in_use, void *arg)
{
    struct walk_totals *t = arg;

    ck_assert(is_aligned(block, TEST_MIN_ALIGN));
    t->cells++;
    if (in_use) {
        t->used++;
        t->used_bytes += size;
    } else {
        t->free_bytes += size;
    }
    return t->stop_after && (int)t->cells == t->stop_after ? 7 : 0;
}

/*
 * A block that realloc moved away from is free for its neighbours at once:
 * it merges into the main list instead of waiting on a size-class list,
 * where the block before it could not have grown into it.
 */
START_TEST(test_realloc_leaves_the_old_block_free_for_its_neighbour)
{
    const size_t n = 64;
    wee_heap *heap = wee_heap_in(arena, 64 * 1024);
    unsigned char *a, *b, *c, *moved, *r;

    ck_assert_ptr_nonnull(heap);
    a = wee_heap_malloc(heap, n);
    b = wee_heap_malloc(heap, n);
    c = wee_heap_malloc(heap, n);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    if (b != a + wee_heap_usable_size(heap, a) + TEST_HEADER
        || c != b + wee_heap_usable_size(heap, b) + TEST_HEADER)
        ck_abort_msg("cannot test: three fresh blocks of a new heap are not "
                     "neighbours (%p, %p, %p)", (void *)a, (void *)b, (void *)c);
    pattern_fill(a, n, 7);
    moved = wee_heap_realloc(heap, b, 4096); /* c holds b in place: it moves */
    ck_assert_ptr_nonnull(moved);
    ck_assert_ptr_ne(moved, b);
    r = wee_heap_realloc(heap, a, 2 * n);
    ck_assert_msg(r == a, "a moved from %p to %p although the block after it "
                  "was freed by a realloc", (void *)a, (void *)r);
    ck_assert_uint_eq(pattern_mismatch(r, n, 7), n);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
    wee_heap_free(heap, r);
    wee_heap_free(heap, moved);
    wee_heap_free(heap, c);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_walk_visits_every_cell_and_agrees_with_stats)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    struct walk_totals t = { 0, 0, 0, 0, 0 };
    struct wee_stats s;
    void *p[10];
    int i;

    for (i = 0; i < 10; i++)
        p[i] = wee_heap_malloc(heap, 100 * (size_t)(i + 1));
    for (i = 0; i < 10; i += 2)
        wee_heap_free(heap, p[i]);
    ck_assert_int_eq(wee_heap_walk(heap, count_cell, &t), 0);
    s = heap_stats_now(heap);
    ck_assert_uint_eq(t.used, 5);
    ck_assert_uint_eq(t.used_bytes, s.in_use_bytes);
    ck_assert_uint_eq(t.cells, t.used + s.free_cells);
    /* The walk reports payload bytes, the stats whole cells. */
    ck_assert_uint_eq(t.free_bytes + s.free_cells * TEST_HEADER, s.free_bytes);
}
END_TEST

START_TEST(test_walk_stops_at_the_first_nonzero_visit)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    struct walk_totals t = { 0, 0, 0, 0, 2 };
    int i;

    for (i = 0; i < 5; i++)
        ck_assert_ptr_nonnull(wee_heap_malloc(heap, 64));
    ck_assert_int_eq(wee_heap_walk(heap, count_cell, &t), 7);
    ck_assert_uint_eq(t.cells, 2);
}
END_TEST

START_TEST(test_stats_fragmentation_is_zero_for_one_free_cell_and_grows_with_holes)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    void *p[64];
    int i;

    ck_assert_uint_eq(heap_stats_now(heap).fragmentation_permille, 0);
    for (i = 0; i < 64; i++)
        p[i] = wee_heap_malloc(heap, 4000);
    for (i = 0; i < 64; i += 2)
        wee_heap_free(heap, p[i]);
    ck_assert_uint_gt(heap_stats_now(heap).fragmentation_permille, 0);
    ck_assert_uint_le(heap_stats_now(heap).fragmentation_permille, 1000);
}
END_TEST

/* fragmentation_permille is 1000 - 1000 * largest / free, give or take
 * one: above SIZE_MAX / 1000 free bytes (4 MiB on a 32-bit host, where
 * this heap has more) the library counts in KiB, so that the product
 * cannot overflow. */
START_TEST(test_stats_fragmentation_matches_its_definition_on_a_large_heap)
{
    static _Alignas(64) unsigned char big[16 << 20];
    wee_heap *heap = wee_heap_in(big, sizeof big);
    void *p[6];
    struct wee_stats s;
    unsigned long long want;
    int i;

    for (i = 0; i < 6; i++)
        ck_assert_ptr_nonnull(p[i] = wee_heap_malloc(heap, 1 << 20));
    for (i = 0; i < 6; i += 2)
        wee_heap_free(heap, p[i]);
    s = heap_stats_now(heap);
    ck_assert_uint_gt(s.largest_free_cell, 8u << 20);
    want = 1000 - (unsigned long long)s.largest_free_cell * 1000 / s.free_bytes;
    ck_assert_uint_gt(want, 0);
    ck_assert_uint_ge(s.fragmentation_permille + 1ull, want);
    ck_assert_uint_le(s.fragmentation_permille, want + 1);
}
END_TEST

START_TEST(test_check_reports_the_broken_invariant_and_where)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    unsigned char *a = wee_heap_malloc(heap, 4000);
    unsigned char *b = wee_heap_malloc(heap, 4000);
    void *where = (void *)1;
    uintptr_t *header_of_b = (uintptr_t *)(b - TEST_HEADER);
    uintptr_t saved = header_of_b[0];

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(wee_heap_check(heap, &where), WEE_CHECK_OK);
    ck_assert_ptr_null(where);
    /* Break b's link to its previous neighbour, as an overrun of a would. */
    header_of_b[0] ^= 0x40;
    ck_assert_int_eq(wee_heap_check(heap, &where), WEE_CHECK_CELL_LINKS);
    ck_assert_ptr_eq(where, b - TEST_HEADER);
    header_of_b[0] = saved;
    ck_assert_int_eq(wee_heap_check(heap, &where), WEE_CHECK_OK);
}
END_TEST

/*
 * Each invariant that a stray write to a header can break, and the code
 * and cell that wee_heap_check names for it.  A header is two words: the
 * previous cell's address, then the next cell's with flags in its low
 * bits (lib/cell.h: 1 allocated, 4 on a size-class list).  The bitmap and
 * the counters live in the heap's own structure, out of reach of a write
 * to a block: they are not broken here.
 */
START_TEST(test_check_names_each_broken_invariant)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    unsigned char *a = wee_heap_malloc(heap, 4000), *b = wee_heap_malloc(heap, 4000);
    unsigned char *s = wee_heap_malloc(heap, 48), *keep = wee_heap_malloc(heap, 4000);
    uintptr_t *head_a = (uintptr_t *)(a - TEST_HEADER), *head_b = (uintptr_t *)(b - TEST_HEADER);
    uintptr_t *head_s = (uintptr_t *)(s - TEST_HEADER);
    struct {
        uintptr_t *word;  /* the header word written */
        uintptr_t value;
        int expect;
        const void *where;
        int applies;
    } rows[5];
    void *where;
    size_t i;

    ck_assert(a && b && s && keep);
    wee_heap_free(heap, a);  /* the main list */
    wee_heap_free(heap, s);  /* a size-class list, or the main list */
    /* b's next link at b itself: a cell of no size. */
    rows[0].word = &head_b[1];
    rows[0].value = (uintptr_t)head_b | 1;
    rows[0].expect = WEE_CHECK_CELL_SIZE;
    rows[0].where = head_b;
    rows[0].applies = 1;
    /* b's next link half a granule on: the cell after b is misaligned
     * (only where the granule is 16 bytes: in an 8-byte granule the
     * flags take the bits below it). */
    rows[1].word = &head_b[1];
    rows[1].value = head_b[1] + 8;
    rows[1].expect = WEE_CHECK_CELL_MISALIGNED;
    rows[1].where = (unsigned char *)(head_b[1] & ~(uintptr_t)7) + 8;
    rows[1].applies = TEST_MIN_ALIGN == 16;
    /* b looks free, next to free a. */
    rows[2].word = &head_b[1];
    rows[2].value = head_b[1] & ~(uintptr_t)1;
    rows[2].expect = WEE_CHECK_FREE_NEIGHBOURS;
    rows[2].where = head_b;
    rows[2].applies = 1;
    /* a, on a free list, looks allocated. */
    rows[3].word = &head_a[1];
    rows[3].value = head_a[1] | 1;
    rows[3].expect = WEE_CHECK_FREE_LIST;
    rows[3].where = head_a;
    rows[3].applies = 1;
    /* s, on a size-class list, looks handed out. */
    rows[4].word = &head_s[1];
    rows[4].value = head_s[1] & ~(uintptr_t)4;
    rows[4].expect = WEE_CHECK_SIZE_CLASS;
    rows[4].where = head_s;
    rows[4].applies = WEE_ALLOC_SIZE_CLASSES;

    ck_assert_int_eq(wee_heap_check(heap, &where), WEE_CHECK_OK);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uintptr_t saved = *rows[i].word;

        if (!rows[i].applies)
            continue;
        *rows[i].word = rows[i].value;
        where = NULL;
        ck_assert_msg(wee_heap_check(heap, &where) == rows[i].expect, "row %zu: %s", i,
                      wee_check_describe(wee_heap_check(heap, NULL)));
        ck_assert_ptr_eq(where, rows[i].where);
        *rows[i].word = saved;
        ck_assert_int_eq(wee_heap_check(heap, &where), WEE_CHECK_OK);
    }
}
END_TEST

/* Memory that is not the heap's, for a link to point at. */
static _Alignas(64) unsigned char elsewhere[256];

/*
 * Write `value` over word `word` of the freed block `p` (its free-list
 * links), as a write after free would: the check must report `expect`,
 * naming p's cell, without following the link, wherever it points.
 */
static void check_written_link(wee_heap *heap, unsigned char *p, int word, uintptr_t value,
                               int expect)
{
    uintptr_t *links = (uintptr_t *)p;
    uintptr_t saved = links[word];
    void *where = NULL;

    links[word] = value;
    ck_assert_int_eq(wee_heap_check(heap, &where), expect);
    ck_assert_ptr_eq(where, p - TEST_HEADER);
    links[word] = saved;
    ck_assert_int_eq(wee_heap_check(heap, &where), WEE_CHECK_OK);
}

START_TEST(test_check_reports_free_list_links_written_after_free)
{
    wee_heap *heap = wee_heap_in(arena, sizeof arena);
    unsigned char *big[4], *small[4];
    /* Not the heap's: an unmapped page, static data, the middle of a block. */
    uintptr_t values[3];
    int i, word, small_expect;

    /* Every other block is freed, so none merges with a neighbour. */
    for (i = 0; i < 4; i++)
        ck_assert_ptr_nonnull(big[i] = wee_heap_malloc(heap, 4000));
    for (i = 0; i < 4; i++)
        ck_assert_ptr_nonnull(small[i] = wee_heap_malloc(heap, 48));
    values[0] = 16;
    values[1] = (uintptr_t)elsewhere;
    values[2] = (uintptr_t)(big[1] + 64);
    /* Two blocks on the main list, big[2] first (it was freed last), then
     * big[0]: word 0 of each links to the next, word 1 to the one before. */
    wee_heap_free(heap, big[0]);
    wee_heap_free(heap, big[2]);
    for (i = 0; i < 3; i++)
        for (word = 0; word < 2; word++) {
            check_written_link(heap, big[2], word, values[i], WEE_CHECK_FREE_LIST);
            check_written_link(heap, big[0], word, values[i], WEE_CHECK_FREE_LIST);
        }
    /* Small blocks wait on a size-class list, linked by their first word
     * (on the main list without size classes). */
    wee_heap_free(heap, small[0]);
    wee_heap_free(heap, small[2]);
    small_expect = WEE_ALLOC_SIZE_CLASSES ? WEE_CHECK_SIZE_CLASS : WEE_CHECK_FREE_LIST;
    for (i = 0; i < 3; i++) {
        check_written_link(heap, small[2], 0, values[i], small_expect);
        check_written_link(heap, small[0], 0, values[i], small_expect);
    }
}
END_TEST

/*
 * On the default heap a freed small block may wait in the calling
 * thread's cache (mmap backend), on a size-class list or on the main list;
 * wherever it waits, a link written over after free is reported.
 */
START_TEST(test_check_reports_a_link_written_after_free_on_the_default_heap)
{
    unsigned char *p[64], *b = NULL;
    void *where = NULL;
    uintptr_t saved;
    int i, result;

    for (i = 0; i < 64; i++)
        ck_assert_ptr_nonnull(p[i] = wee_malloc(48));
    /* A block between two in use, so that it merges with neither: the
     * heap may have holes left by earlier tests (CK_FORK=no). */
    for (i = 1; i < 63 && !b; i++)
        if (p[i] == p[i - 1] + wee_malloc_usable_size(p[i - 1]) + TEST_HEADER
            && p[i + 1] == p[i] + wee_malloc_usable_size(p[i]) + TEST_HEADER)
            b = p[i];
    ck_assert_ptr_nonnull(b);
    wee_free(b);
    ck_assert_int_eq(wee_heap_check(NULL, &where), WEE_CHECK_OK);
    saved = *(uintptr_t *)b;
    *(uintptr_t *)b = 16;
    result = wee_heap_check(NULL, &where);
    ck_assert_msg(result == WEE_CHECK_SIZE_CLASS || result == WEE_CHECK_FREE_LIST, "%s",
                  wee_check_describe(result));
    ck_assert_ptr_eq(where, b - TEST_HEADER);
    ck_assert_int_eq(wee_check(), result);
    *(uintptr_t *)b = saved;
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    for (i = 0; i < 64; i++)
        if (p[i] != b)
            wee_free(p[i]);
}
END_TEST

struct churn_job {
    wee_heap *heap;
    uint64_t seed;
    int failed;
};

static void *churn(void *arg)
{
    struct churn_job *job = arg;
    struct prng r;
    void *live[256] = { 0 };
    size_t size[256] = { 0 };
    int i;

    prng_seed(&r, job->seed);
    for (i = 0; i < 100000; i++) {
        size_t k = prng_below(&r, 256);
        if (live[k]) {
            if (pattern_mismatch(live[k], size[k], k) != size[k])
                job->failed = 1;
            wee_heap_free(job->heap, live[k]);
            live[k] = NULL;
        } else {
            size[k] = prng_range(&r, 1, 3000);
            live[k] = wee_heap_malloc(job->heap, size[k]);
            if (!live[k]) {
                job->failed = 1;
                break;
            }
            pattern_fill(live[k], size[k], k);
        }
    }
    for (i = 0; i < 256; i++)
        wee_heap_free(job->heap, live[i]);
    return NULL;
}

START_TEST(test_two_heaps_churned_from_two_threads_stay_consistent)
{
    struct churn_job jobs[2] = { { wee_heap_new(), 1, 0 }, { wee_heap_new(), 2, 0 } };
    pthread_t threads[2];
    int i;

    for (i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(jobs[i].heap);
        ck_assert_int_eq(pthread_create(&threads[i], NULL, churn, &jobs[i]), 0);
    }
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
        ck_assert_msg(!jobs[i].failed, "heap %d: a block lost its pattern", i);
        ck_assert_int_eq(wee_heap_check(jobs[i].heap, NULL), WEE_CHECK_OK);
        ck_assert_uint_eq(heap_stats_now(jobs[i].heap).in_use_bytes, 0);
    }
}
END_TEST

static int count_in_use(void *block, size_t size, int in_use, void *arg)
{
    (void)block;
    (void)size;
    *(size_t *)arg += (size_t)in_use;
    return 0;
}

static size_t default_heap_cells_in_use(void)
{
    size_t n = 0;

    wee_heap_walk(NULL, count_in_use, &n);
    return n;
}

static void *allocate_and_free_small_blocks(void *arg)
{
    void *p[64];
    int i;

    (void)arg;
    for (i = 0; i < 64; i++)
        p[i] = wee_malloc(16 + (size_t)(i % 8) * 16);
    for (i = 0; i < 64; i++)
        wee_free(p[i]);
    return NULL;
}

/* A thread may keep freed small blocks in a cache of its own (the walk
 * reports them in use); when it exits they must all come back. */
START_TEST(test_thread_exit_hands_its_cached_blocks_back)
{
    size_t before = default_heap_cells_in_use();
    struct wee_stats s_before = stats_now(), s_after;
    pthread_t t;

    ck_assert_int_eq(pthread_create(&t, NULL, allocate_and_free_small_blocks, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_eq(default_heap_cells_in_use(), before);
    s_after = stats_now();
    ck_assert_uint_eq(s_after.in_use_bytes, s_before.in_use_bytes);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_free_into_the_wrong_heap_aborts)
{
    wee_heap *one = wee_heap_new(), *two = wee_heap_new();
    void *p = wee_heap_malloc(one, 100);

    wee_heap_free(two, p);
}
END_TEST

static Suite *heaps_suite(SRunner *sr)
{
    Suite *s = suite_create("heaps");
    TCase *tc = tcase_create("instances");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_heap_new_serves_requests_independently_of_the_default_heap);
    tcase_add_test(tc, test_heap_new_grows_past_its_first_unit);
    tcase_add_test(tc, test_null_heap_means_the_default_heap);
    tcase_add_test(tc, test_heap_in_lives_inside_its_buffer);
    tcase_add_test(tc, test_heap_trim_gives_back_only_what_the_backend_gave);
    tcase_add_test(tc, test_heap_free_gives_back_a_large_block_once_per_size);
    tcase_add_test(tc, test_heap_realloc_that_shrinks_a_large_block_gives_its_tail_back);
    tcase_add_test(tc, test_heap_that_empties_gives_pages_back_until_it_reuses_them);
    tcase_add_test(tc, test_heap_calloc_of_a_large_block_leaves_untouched_pages_alone);
    tcase_add_test(tc, test_heap_in_exhaustion_fails_enomem_and_memory_is_reusable);
    tcase_add_test(tc, test_heap_in_rejects_small_or_null_buffers_with_einval);
    tcase_add_test(tc, test_heap_in_counts_its_size_from_the_aligned_start);
    tcase_add_test(tc, test_heap_in_takes_a_buffer_of_any_alignment);
    tcase_add_test(tc, test_heap_functions_honour_the_api_contract);
    tcase_add_test(tc, test_realloc_leaves_the_old_block_free_for_its_neighbour);
    tcase_add_test(tc, test_walk_visits_every_cell_and_agrees_with_stats);
    tcase_add_test(tc, test_walk_stops_at_the_first_nonzero_visit);
    tcase_add_test(tc, test_stats_fragmentation_is_zero_for_one_free_cell_and_grows_with_holes);
    tcase_add_test(tc, test_stats_fragmentation_matches_its_definition_on_a_large_heap);
    tcase_add_test(tc, test_check_reports_the_broken_invariant_and_where);
    tcase_add_test(tc, test_check_names_each_broken_invariant);
    tcase_add_test(tc, test_check_reports_free_list_links_written_after_free);
    tcase_add_test(tc, test_check_reports_a_link_written_after_free_on_the_default_heap);
    tcase_add_test(tc, test_two_heaps_churned_from_two_threads_stay_consistent);
    tcase_add_test(tc, test_thread_exit_hands_its_cached_blocks_back);
    suite_add_tcase(s, tc);
    srunner_add_suite(sr, s);

    /* Needs a fresh process per test (fork mode) and the extra assertions,
     * which are what detect a block freed into another heap. */
    if (WEE_ALLOC_EXTRA_ASSERTIONS && srunner_fork_status(sr) == CK_FORK) {
        TCase *abort_tc = tcase_create("misuse");
        tcase_add_test_raise_signal(abort_tc, test_free_into_the_wrong_heap_aborts, SIGABRT);
        suite_add_tcase(s, abort_tc);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(NULL);

    heaps_suite(sr);
    return run_suite(sr);
}
