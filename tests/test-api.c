/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-api.c - the public API against the contract in wee_alloc.h.
 *
 * One behaviour per test, each named for what it checks.  In Check's fork
 * mode (the default) every test runs in a fresh child process, so every test
 * starts from an untouched heap.  Tests that must end in SIGABRT, or that
 * corrupt the heap on purpose, are only registered in fork mode.
 */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#  define _XOPEN_SOURCE 700 /* fork, pipe, setrlimit */
#  define _DEFAULT_SOURCE 1 /* mincore (check-helpers.h) */
#endif

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "wee_alloc.h"
#include "check-helpers.h"

/*
 * A size no machine can map, but small enough that adding a header and an
 * alignment cannot overflow: the request reaches the backend, which fails.
 * (4 EiB on 64-bit hosts; on 32-bit ones 3 GiB, more than a process has.)
 */
#define HUGE_SIZE (SIZE_MAX > 0xffffffffu ? SIZE_MAX / 4 : SIZE_MAX / 4 * 3)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The sizes most tests walk through: zero, tiny, size-class boundaries
 * (255-257 words), main-list and multi-page blocks. */
static const size_t some_sizes[] = {
    0, 1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 100, 127, 128, 255,
    256, 500, 1000, 1024,
    255 * sizeof(void *), 256 * sizeof(void *), 257 * sizeof(void *),
    3000, 4095, 4096, 4097, 8192, 10000, 65535, 65536, 65537, 100000,
    300000, 1048576, 3 * 1048576 + 5,
};

/* Sizes that overflow once a two-word header and MIN_ALIGN are added. */
static const size_t overflowing_sizes[] = {
    SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 7, SIZE_MAX - sizeof(void *),
    SIZE_MAX - 2 * sizeof(void *), SIZE_MAX - 2 * sizeof(void *) + 1,
};

/* ---------------------------------------------------------------- malloc */

START_TEST(test_malloc_returns_min_aligned_writable_blocks)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(some_sizes); i++) {
        size_t n = some_sizes[i];
        unsigned char *p = wee_malloc(n);

        ck_assert_msg(p != NULL, "wee_malloc(%zu) returned NULL", n);
        ck_assert_msg(is_aligned(p, TEST_MIN_ALIGN),
                      "wee_malloc(%zu) = %p is not %zu-aligned", n, (void *)p,
                      TEST_MIN_ALIGN);
        pattern_fill(p, n, i);
        ck_assert_uint_eq(pattern_mismatch(p, n, i), n);
        wee_free(p);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_malloc_zero_returns_unique_freeable_pointer)
{
    void *p[32];
    size_t i, j;

    for (i = 0; i < ARRAY_LEN(p); i++) {
        p[i] = wee_malloc(0);
        ck_assert_msg(p[i] != NULL, "wee_malloc(0) #%zu returned NULL", i);
        ck_assert(is_aligned(p[i], TEST_MIN_ALIGN));
        for (j = 0; j < i; j++)
            ck_assert_msg(p[i] != p[j], "wee_malloc(0) returned %p twice",
                          p[i]);
    }
    for (i = 0; i < ARRAY_LEN(p); i++)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_malloc_live_blocks_do_not_overlap)
{
    enum { N = 2000 };
    static unsigned char *p[N];
    static size_t n[N];
    struct prng r;
    size_t i;

    prng_seed(&r, 12345);
    for (i = 0; i < N; i++) {
        size_t pick = prng_below(&r, 100);

        n[i] = pick < 80 ? prng_range(&r, 0, 300)
             : pick < 98 ? prng_range(&r, 301, 9000)
             : prng_range(&r, 9001, 200000);
        p[i] = wee_malloc(n[i]);
        ck_assert_ptr_nonnull(p[i]);
        pattern_fill(p[i], n[i], i);
    }
    for (i = 0; i < N; i++)
        ck_assert_msg(pattern_mismatch(p[i], n[i], i) == n[i],
                      "block %zu (%p, %zu bytes) was overwritten: it overlaps "
                      "another", i, (void *)p[i], n[i]);
    for (i = 0; i < N; i++)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_malloc_size_max_fails_enomem_without_growing_backend)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(overflowing_sizes); i++) {
        size_t n = overflowing_sizes[i];
        struct wee_stats before = stats_now(), after;
        void *p;

        errno = 0;
        p = wee_malloc(n);
        after = stats_now();
        ck_assert_msg(p == NULL, "wee_malloc(SIZE_MAX - %zu) = %p",
                      SIZE_MAX - n, p);
        ck_assert_msg(errno == ENOMEM, "wee_malloc(SIZE_MAX - %zu): errno %d",
                      SIZE_MAX - n, errno);
        ck_assert_msg(after.backend_bytes == before.backend_bytes,
                      "wee_malloc(SIZE_MAX - %zu) grew the backend from %zu "
                      "to %zu bytes", SIZE_MAX - n, before.backend_bytes,
                      after.backend_bytes);
        ck_assert_uint_eq(after.in_use_bytes, before.in_use_bytes);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_malloc_exhaustion_fails_enomem_and_keeps_blocks)
{
    unsigned char *keep = wee_malloc(5000);
    struct wee_stats before, after;
    void *p;

    ck_assert_ptr_nonnull(keep);
    pattern_fill(keep, 5000, 77);
    before = stats_now();
    errno = 0;
    p = wee_malloc(HUGE_SIZE);
    after = stats_now();
    ck_assert_ptr_null(p);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(pattern_mismatch(keep, 5000, 77), 5000);
    ck_assert_uint_eq(after.in_use_bytes, before.in_use_bytes);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    /* The heap still serves requests afterwards. */
    p = wee_malloc(5000);
    ck_assert_ptr_nonnull(p);
    wee_free(p);
    wee_free(keep);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* ---------------------------------------------------------------- calloc */

START_TEST(test_calloc_returns_zeroed_min_aligned_memory)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(some_sizes); i++) {
        size_t n = some_sizes[i];
        unsigned char *p = wee_calloc(1, n);
        unsigned char *q = wee_calloc(n, 1);

        ck_assert_msg(p != NULL && q != NULL, "wee_calloc of %zu bytes", n);
        ck_assert(is_aligned(p, TEST_MIN_ALIGN));
        ck_assert(is_aligned(q, TEST_MIN_ALIGN));
        ck_assert_uint_eq(first_nonzero(p, n), n);
        ck_assert_uint_eq(first_nonzero(q, n), n);
        wee_free(p);
        wee_free(q);
    }
}
END_TEST

START_TEST(test_calloc_zeroes_reused_memory)
{
    static const size_t sizes[] = {
        1, 8, 24, 100, 256, 1000, 2048, 2049, 4096, 8192, 65536, 100000,
        1048576,
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(sizes); i++) {
        size_t n = sizes[i];
        unsigned char *p = wee_malloc(n), *q;
        int round;

        ck_assert_ptr_nonnull(p);
        memset(p, 0xff, wee_malloc_usable_size(p));
        wee_free(p);
        /* Same size as one element, then as an array of smaller ones. */
        for (round = 0; round < 2; round++) {
            q = round == 0 ? wee_calloc(1, n) : wee_calloc(n, 1);
            ck_assert_ptr_nonnull(q);
            ck_assert_msg(first_nonzero(q, n) == n,
                          "wee_calloc of %zu bytes at %p (freed block was %p) "
                          "has a non-zero byte at %zu", n, (void *)q,
                          (void *)p, first_nonzero(q, n));
            memset(q, 0xff, n);
            wee_free(q);
        }
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_calloc_array_is_zeroed_across_elements)
{
    unsigned char *p = wee_malloc(33 * 100), *q;

    ck_assert_ptr_nonnull(p);
    memset(p, 0xee, 33 * 100);
    wee_free(p);
    q = wee_calloc(100, 33);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(first_nonzero(q, 3300), 3300);
    wee_free(q);
}
END_TEST

START_TEST(test_calloc_zero_elements_returns_freeable_pointer)
{
    void *a = wee_calloc(0, 16);
    void *b = wee_calloc(16, 0);
    void *c = wee_calloc(0, SIZE_MAX);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(a, b);
    ck_assert_ptr_ne(b, c);
    ck_assert_ptr_ne(a, c);
    wee_free(a);
    wee_free(b);
    wee_free(c);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_calloc_overflow_fails_enomem)
{
    static const size_t pairs[][2] = {
        { SIZE_MAX, 2 },
        { 2, SIZE_MAX },
        { SIZE_MAX / 2 + 1, 2 },
        { SIZE_MAX, SIZE_MAX },
        { (size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4) },
        { SIZE_MAX / 3 + 1, 3 },
        { 1, SIZE_MAX },
        { SIZE_MAX, 1 },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(pairs); i++) {
        struct wee_stats before = stats_now(), after;
        void *p;

        errno = 0;
        p = wee_calloc(pairs[i][0], pairs[i][1]);
        after = stats_now();
        ck_assert_msg(p == NULL, "wee_calloc(%zu, %zu) = %p", pairs[i][0],
                      pairs[i][1], p);
        ck_assert_msg(errno == ENOMEM, "wee_calloc(%zu, %zu): errno %d",
                      pairs[i][0], pairs[i][1], errno);
        ck_assert_msg(after.backend_bytes == before.backend_bytes,
                      "wee_calloc(%zu, %zu) grew the backend", pairs[i][0],
                      pairs[i][1]);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* --------------------------------------------------------------- realloc */

START_TEST(test_realloc_null_is_malloc)
{
    struct wee_stats before = stats_now(), after;
    unsigned char *p = wee_realloc(NULL, 100);

    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, TEST_MIN_ALIGN));
    ck_assert_uint_ge(wee_malloc_usable_size(p), 100);
    after = stats_now();
    ck_assert_uint_eq(after.in_use_bytes - before.in_use_bytes,
                      wee_malloc_usable_size(p));
    pattern_fill(p, 100, 5);
    ck_assert_uint_eq(pattern_mismatch(p, 100, 5), 100);
    wee_free(p);
    ck_assert_uint_eq(stats_now().in_use_bytes, before.in_use_bytes);
}
END_TEST

START_TEST(test_realloc_null_zero_returns_unique_freeable_pointer)
{
    void *a = wee_realloc(NULL, 0);
    void *b = wee_realloc(NULL, 0);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    wee_free(a);
    wee_free(b);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_realloc_zero_frees_and_returns_null)
{
    static const size_t sizes[] = { 1, 100, 2048, 8192, 200000 };
    size_t i;

    for (i = 0; i < ARRAY_LEN(sizes); i++) {
        struct wee_stats before = stats_now();
        void *p = wee_malloc(sizes[i]), *r;

        ck_assert_ptr_nonnull(p);
        errno = ERRNO_SENTINEL;
        r = wee_realloc(p, 0);
        ck_assert_ptr_null(r);
        ck_assert_msg(errno == ERRNO_SENTINEL,
                      "wee_realloc(p, 0) changed errno to %d", errno);
        ck_assert_msg(stats_now().in_use_bytes == before.in_use_bytes,
                      "wee_realloc(p of %zu bytes, 0) did not free p",
                      sizes[i]);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_realloc_shrinks_in_place)
{
    static const size_t pairs[][2] = {
        { 8192, 4096 }, { 8192, 100 }, { 100000, 50000 }, { 100000, 8 },
        { 2048, 16 }, { 300, 200 }, { 64, 1 }, { 1048576, 70000 },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(pairs); i++) {
        size_t from = pairs[i][0], to = pairs[i][1];
        unsigned char *p = wee_malloc(from), *r;

        ck_assert_ptr_nonnull(p);
        pattern_fill(p, from, i);
        r = wee_realloc(p, to);
        ck_assert_msg(r == p, "wee_realloc(%zu -> %zu bytes) moved %p to %p",
                      from, to, (void *)p, (void *)r);
        ck_assert_uint_ge(wee_malloc_usable_size(r), to);
        ck_assert_uint_eq(pattern_mismatch(r, to, i), to);
        wee_free(r);
        ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    }
}
END_TEST

START_TEST(test_realloc_shrink_returns_tail_to_heap)
{
    unsigned char *p = wee_malloc(1048576), *r;
    struct wee_stats before, after;

    ck_assert_ptr_nonnull(p);
    before = stats_now();
    r = wee_realloc(p, 4096);
    after = stats_now();
    ck_assert_ptr_eq(r, p);
    ck_assert_msg(after.in_use_bytes + 1000000 <= before.in_use_bytes,
                  "in use %zu -> %zu bytes after shrinking 1 MiB to 4 KiB",
                  before.in_use_bytes, after.in_use_bytes);
    ck_assert_uint_ge(after.free_bytes, before.free_bytes + 1000000);
    wee_free(r);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_realloc_grows_in_place_into_free_neighbour)
{
    const size_t n = 8192;
    unsigned char *a = wee_malloc(n);
    unsigned char *b = wee_malloc(n);
    unsigned char *c = wee_malloc(n);
    unsigned char *r;

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    if (b != a + wee_malloc_usable_size(a) + TEST_HEADER)
        ck_abort_msg("cannot test: two fresh %zu-byte blocks are not "
                     "neighbours (a = %p with %zu usable bytes, b = %p); the "
                     "allocator should carve fresh memory from the low end",
                     n, (void *)a, wee_malloc_usable_size(a), (void *)b);
    pattern_fill(a, n, 1);
    wee_free(b);
    /* b is free and held in place by c: growing a by half of b fits. */
    r = wee_realloc(a, n + n / 2);
    ck_assert_msg(r == a, "wee_realloc(a, %zu) moved a from %p to %p although "
                  "its free neighbour had room", n + n / 2, (void *)a,
                  (void *)r);
    ck_assert_uint_ge(wee_malloc_usable_size(r), n + n / 2);
    ck_assert_uint_eq(pattern_mismatch(r, n, 1), n);
    memset(r + n, 0x11, n / 2);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    /* Growing again to swallow all of b (and its header) also fits. */
    r = wee_realloc(a, 2 * n + TEST_HEADER);
    ck_assert_ptr_eq(r, a);
    ck_assert_uint_eq(pattern_mismatch(r, n, 1), n);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    wee_free(r);
    wee_free(c);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_realloc_moves_and_keeps_contents)
{
    static const size_t pairs[][2] = {
        { 24, 200 }, { 100, 3000 }, { 1000, 100000 }, { 8192, 65536 },
        { 2048, 2049 }, { 65536, 3 * 1048576 }, { 1, 1000 },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(pairs); i++) {
        size_t from = pairs[i][0], to = pairs[i][1];
        unsigned char *p = wee_malloc(from), *r;
        void *blocker = wee_malloc(from); /* a live neighbour */

        ck_assert_ptr_nonnull(p);
        ck_assert_ptr_nonnull(blocker);
        pattern_fill(p, from, 100 + i);
        r = wee_realloc(p, to);
        ck_assert_msg(r != NULL, "wee_realloc(%zu -> %zu) failed", from, to);
        ck_assert(is_aligned(r, TEST_MIN_ALIGN));
        ck_assert_uint_ge(wee_malloc_usable_size(r), to);
        ck_assert_msg(pattern_mismatch(r, from, 100 + i) == from,
                      "wee_realloc(%zu -> %zu) lost byte %zu", from, to,
                      pattern_mismatch(r, from, 100 + i));
        memset(r, 0x22, to);
        wee_free(r);
        wee_free(blocker);
        ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    }
}
END_TEST

START_TEST(test_realloc_failure_keeps_block)
{
    static const size_t huge[] = {
        SIZE_MAX, SIZE_MAX - 2 * sizeof(void *), HUGE_SIZE,
    };
    unsigned char *p = wee_malloc(300);
    size_t i;

    ck_assert_ptr_nonnull(p);
    pattern_fill(p, 300, 9);
    for (i = 0; i < ARRAY_LEN(huge); i++) {
        struct wee_stats before = stats_now(), after;
        void *r;

        errno = 0;
        r = wee_realloc(p, huge[i]);
        after = stats_now();
        ck_assert_msg(r == NULL, "wee_realloc(p, %zu) = %p", huge[i], r);
        ck_assert_int_eq(errno, ENOMEM);
        ck_assert_uint_eq(pattern_mismatch(p, 300, 9), 300);
        ck_assert_uint_eq(after.in_use_bytes, before.in_use_bytes);
        ck_assert_uint_eq(after.backend_bytes, before.backend_bytes);
        ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    }
    /* p still belongs to the caller: it can grow and be freed. */
    p = wee_realloc(p, 600);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(pattern_mismatch(p, 300, 9), 300);
    wee_free(p);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_realloc_of_aligned_block_keeps_contents_and_min_align)
{
    unsigned char *p = wee_aligned_alloc(4096, 100), *r;

    ck_assert_ptr_nonnull(p);
    ck_assert(is_aligned(p, 4096));
    pattern_fill(p, 100, 3);
    r = wee_realloc(p, 5000);
    ck_assert_ptr_nonnull(r);
    ck_assert(is_aligned(r, TEST_MIN_ALIGN));
    ck_assert_uint_eq(pattern_mismatch(r, 100, 3), 100);
    r = wee_realloc(r, 50);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(pattern_mismatch(r, 50, 3), 50);
    wee_free(r);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* ------------------------------------------------------------------ free */

START_TEST(test_free_null_is_noop)
{
    struct wee_stats before, after;
    void *p = wee_malloc(10);

    ck_assert_ptr_nonnull(p);
    before = stats_now();
    errno = ERRNO_SENTINEL;
    wee_free(NULL);
    after = stats_now();
    ck_assert_int_eq(errno, ERRNO_SENTINEL);
    /* Field by field: a struct's padding (after fragmentation_permille on
     * 64-bit hosts) is not kept when the struct is copied. */
    ck_assert_uint_eq(after.backend_bytes, before.backend_bytes);
    ck_assert_uint_eq(after.in_use_bytes, before.in_use_bytes);
    ck_assert_uint_eq(after.peak_in_use_bytes, before.peak_in_use_bytes);
    ck_assert_uint_eq(after.free_bytes, before.free_bytes);
    ck_assert_uint_eq(after.free_cells, before.free_cells);
    ck_assert_uint_eq(after.largest_free_cell, before.largest_free_cell);
    ck_assert_uint_eq(after.failed_requests, before.failed_requests);
    ck_assert_uint_eq(after.fragmentation_permille, before.fragmentation_permille);
    ck_assert_uint_eq(after.given_back_bytes, before.given_back_bytes);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    wee_free(p);
}
END_TEST

START_TEST(test_free_keeps_memory_for_later_requests)
{
    void *p = wee_malloc(1048576);
    struct wee_stats before;
    int i;

    ck_assert_ptr_nonnull(p);
    wee_free(p);
    before = stats_now();
    for (i = 0; i < 100; i++) {
        p = wee_malloc(1048576);
        ck_assert_ptr_nonnull(p);
        wee_free(p);
    }
    ck_assert_uint_eq(stats_now().backend_bytes, before.backend_bytes);
}
END_TEST

START_TEST(test_free_merges_neighbours_into_one_cell)
{
    enum { N = 16 };
    void *p[N];
    struct wee_stats empty, after;
    size_t i;

    /* Warm the heap, then free everything: the result is the baseline. */
    for (i = 0; i < N; i++)
        p[i] = wee_malloc(10000);
    for (i = 0; i < N; i++)
        wee_free(p[i]);
    empty = stats_now();
    for (i = 0; i < N; i++) {
        p[i] = wee_malloc(10000);
        ck_assert_ptr_nonnull(p[i]);
    }
    /* Free in an order that leaves holes before they are joined. */
    for (i = 0; i < N; i += 2)
        wee_free(p[i]);
    for (i = 1; i < N; i += 2)
        wee_free(p[i]);
    after = stats_now();
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    ck_assert_uint_eq(after.free_cells, empty.free_cells);
    ck_assert_uint_eq(after.largest_free_cell, empty.largest_free_cell);
    ck_assert_uint_eq(after.backend_bytes, empty.backend_bytes);
}
END_TEST

/* --------------------------------------------------------- aligned_alloc */

START_TEST(test_aligned_alloc_honours_every_power_of_two_up_to_64k)
{
    static const size_t sizes[] = { 1, 24, 100, 1000, 5000, 70000 };
    enum { MAX_SHIFT = 16, N = (MAX_SHIFT + 1) * 6 };
    unsigned char *p[N];
    size_t n[N];
    size_t shift, s, k = 0, i;

    for (shift = 0; shift <= MAX_SHIFT; shift++) {
        size_t alignment = (size_t)1 << shift;

        for (s = 0; s < ARRAY_LEN(sizes); s++, k++) {
            errno = 0;
            p[k] = wee_aligned_alloc(alignment, sizes[s]);
            n[k] = sizes[s];
            ck_assert_msg(p[k] != NULL,
                          "wee_aligned_alloc(%zu, %zu) failed, errno %d",
                          alignment, sizes[s], errno);
            ck_assert_msg(is_aligned(p[k], alignment < TEST_MIN_ALIGN
                                     ? TEST_MIN_ALIGN : alignment),
                          "wee_aligned_alloc(%zu, %zu) = %p", alignment,
                          sizes[s], (void *)p[k]);
            ck_assert_uint_ge(wee_malloc_usable_size(p[k]), sizes[s]);
            pattern_fill(p[k], n[k], k);
        }
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    for (i = 0; i < k; i++) {
        ck_assert_msg(pattern_mismatch(p[i], n[i], i) == n[i],
                      "aligned block %zu (%p) overlaps another", i,
                      (void *)p[i]);
        wee_free(p[i]);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_aligned_alloc_honours_alignments_beyond_64k)
{
    static const size_t sizes[] = { 1, 4096, 200000, 1048576 + 1 };
    size_t shift, s;

    for (shift = 17; shift <= 22; shift++) {
        size_t alignment = (size_t)1 << shift;

        for (s = 0; s < ARRAY_LEN(sizes); s++) {
            unsigned char *p = wee_aligned_alloc(alignment, sizes[s]);

            ck_assert_msg(p != NULL, "wee_aligned_alloc(%zu, %zu) failed",
                          alignment, sizes[s]);
            ck_assert_msg(is_aligned(p, alignment),
                          "wee_aligned_alloc(%zu, %zu) = %p", alignment,
                          sizes[s], (void *)p);
            pattern_fill(p, sizes[s], shift);
            ck_assert_uint_eq(pattern_mismatch(p, sizes[s], shift), sizes[s]);
            wee_free(p);
        }
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_aligned_alloc_below_min_align_gives_min_align)
{
    size_t alignment, i;

    for (alignment = 1; alignment < TEST_MIN_ALIGN; alignment <<= 1)
        for (i = 0; i < 64; i++) {
            void *p = wee_aligned_alloc(alignment, 1 + i * 7);

            ck_assert_ptr_nonnull(p);
            ck_assert_msg(is_aligned(p, TEST_MIN_ALIGN),
                          "wee_aligned_alloc(%zu, %zu) = %p", alignment,
                          1 + i * 7, p);
            wee_free(p);
        }
}
END_TEST

START_TEST(test_aligned_alloc_non_power_of_two_is_einval)
{
    static const size_t bad[] = {
        3, 5, 6, 7, 12, 24, 48, 100, 1000, 4095, 4097, 65535, 65537,
        SIZE_MAX, SIZE_MAX / 2, SIZE_MAX - 1,
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        void *p;

        errno = 0;
        p = wee_aligned_alloc(bad[i], 64);
        ck_assert_msg(p == NULL, "wee_aligned_alloc(%zu, 64) = %p", bad[i], p);
        ck_assert_msg(errno == EINVAL, "wee_aligned_alloc(%zu, 64): errno %d",
                      bad[i], errno);
    }
}
END_TEST

START_TEST(test_aligned_alloc_zero_alignment_is_einval)
{
    void *p;

    errno = 0;
    p = wee_aligned_alloc(0, 64);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_aligned_alloc_padding_overflow_fails_enomem)
{
    static const size_t cases[][2] = {
        { 4096, SIZE_MAX - 4096 + 2 },
        { 4096, SIZE_MAX - 100 },
        { 64, SIZE_MAX - 32 },
        { 1048576, SIZE_MAX - 1048576 },
        { (SIZE_MAX >> 1) + 1, (SIZE_MAX >> 1) + 1 },
        { 32, SIZE_MAX },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct wee_stats before = stats_now(), after;
        void *p;

        errno = 0;
        p = wee_aligned_alloc(cases[i][0], cases[i][1]);
        after = stats_now();
        ck_assert_msg(p == NULL, "wee_aligned_alloc(%zu, %zu) = %p",
                      cases[i][0], cases[i][1], p);
        ck_assert_msg(errno == ENOMEM, "wee_aligned_alloc(%zu, %zu): errno %d",
                      cases[i][0], cases[i][1], errno);
        ck_assert_msg(after.backend_bytes == before.backend_bytes,
                      "wee_aligned_alloc(%zu, %zu) grew the backend",
                      cases[i][0], cases[i][1]);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_aligned_alloc_huge_alignment_fails_enomem)
{
    void *p;

    errno = 0;
    p = wee_aligned_alloc((SIZE_MAX >> 1) + 1, 1);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* -------------------------------------------------------- posix_memalign */

START_TEST(test_posix_memalign_rejects_alignment_not_multiple_of_pointer)
{
    size_t bad[] = { 0, 1, 2, sizeof(void *) / 2, sizeof(void *) - 1,
                     sizeof(void *) + 1, sizeof(void *) + sizeof(void *) / 2 };
    size_t i;

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        void *sentinel = &bad[i];
        void *memptr = sentinel;
        int rc;

        errno = ERRNO_SENTINEL;
        rc = wee_posix_memalign(&memptr, bad[i], 64);
        ck_assert_msg(rc == EINVAL, "wee_posix_memalign(.., %zu, 64) = %d",
                      bad[i], rc);
        ck_assert_msg(memptr == sentinel, "alignment %zu: memptr was written",
                      bad[i]);
        ck_assert_msg(errno == ERRNO_SENTINEL,
                      "alignment %zu: errno changed to %d", bad[i], errno);
    }
}
END_TEST

START_TEST(test_posix_memalign_rejects_non_power_of_two_multiple_of_pointer)
{
    size_t bad[] = { 3 * sizeof(void *), 5 * sizeof(void *),
                     6 * sizeof(void *), 12 * sizeof(void *),
                     100 * sizeof(void *), SIZE_MAX - sizeof(void *) + 1 };
    size_t i;

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        void *sentinel = &bad[i];
        void *memptr = sentinel;
        int rc;

        errno = ERRNO_SENTINEL;
        rc = wee_posix_memalign(&memptr, bad[i], 64);
        ck_assert_msg(rc == EINVAL, "wee_posix_memalign(.., %zu, 64) = %d",
                      bad[i], rc);
        ck_assert_ptr_eq(memptr, sentinel);
        ck_assert_int_eq(errno, ERRNO_SENTINEL);
    }
}
END_TEST

START_TEST(test_posix_memalign_honours_power_of_two_alignments)
{
    static const size_t sizes[] = { 1, 64, 3000, 70000 };
    size_t alignment, s;

    for (alignment = sizeof(void *); alignment <= ((size_t)1 << 20);
         alignment <<= 1)
        for (s = 0; s < ARRAY_LEN(sizes); s++) {
            void *memptr = NULL;
            int rc;

            errno = ERRNO_SENTINEL;
            rc = wee_posix_memalign(&memptr, alignment, sizes[s]);
            ck_assert_msg(rc == 0, "wee_posix_memalign(.., %zu, %zu) = %d",
                          alignment, sizes[s], rc);
            ck_assert_int_eq(errno, ERRNO_SENTINEL);
            ck_assert_ptr_nonnull(memptr);
            ck_assert_msg(is_aligned(memptr, alignment < TEST_MIN_ALIGN
                                     ? TEST_MIN_ALIGN : alignment),
                          "wee_posix_memalign(.., %zu, %zu) gave %p",
                          alignment, sizes[s], memptr);
            ck_assert_uint_ge(wee_malloc_usable_size(memptr), sizes[s]);
            memset(memptr, 0x5a, sizes[s]);
            wee_free(memptr);
        }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_posix_memalign_zero_size_stores_unique_freeable_pointer)
{
    void *a = NULL, *b = NULL;

    ck_assert_int_eq(wee_posix_memalign(&a, 64, 0), 0);
    ck_assert_int_eq(wee_posix_memalign(&b, 64, 0), 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert(is_aligned(a, 64));
    ck_assert(is_aligned(b, 64));
    wee_free(a);
    wee_free(b);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_posix_memalign_overflow_returns_enomem_memptr_untouched)
{
    static const size_t cases[][2] = {
        { 64, SIZE_MAX },
        { 4096, SIZE_MAX - 4096 + 2 },
        { sizeof(void *), SIZE_MAX - sizeof(void *) },
        { 64, HUGE_SIZE },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        void *sentinel = (void *)&cases[i];
        void *memptr = sentinel;
        struct wee_stats before = stats_now();
        int rc;

        errno = ERRNO_SENTINEL;
        rc = wee_posix_memalign(&memptr, cases[i][0], cases[i][1]);
        ck_assert_msg(rc == ENOMEM, "wee_posix_memalign(.., %zu, %zu) = %d",
                      cases[i][0], cases[i][1], rc);
        ck_assert_ptr_eq(memptr, sentinel);
        ck_assert_int_eq(errno, ERRNO_SENTINEL);
        ck_assert_uint_eq(stats_now().backend_bytes, before.backend_bytes);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* ---------------------------------------------------- malloc_usable_size */

START_TEST(test_usable_size_at_least_requested)
{
    size_t i, n;

    for (i = 0; i < ARRAY_LEN(some_sizes); i++) {
        unsigned char *p = wee_malloc(some_sizes[i]);
        size_t usable;

        ck_assert_ptr_nonnull(p);
        usable = wee_malloc_usable_size(p);
        ck_assert_msg(usable >= some_sizes[i],
                      "wee_malloc_usable_size(wee_malloc(%zu)) = %zu",
                      some_sizes[i], usable);
        /* The caller may use all of it. */
        memset(p, 0x3c, usable);
        ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
        wee_free(p);
    }
    for (n = 0; n <= 4200; n++) {
        void *p = wee_malloc(n);

        ck_assert_ptr_nonnull(p);
        ck_assert_msg(wee_malloc_usable_size(p) >= n,
                      "wee_malloc_usable_size(wee_malloc(%zu)) = %zu", n,
                      wee_malloc_usable_size(p));
        wee_free(p);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_usable_size_null_is_zero)
{
    ck_assert_uint_eq(wee_malloc_usable_size(NULL), 0);
}
END_TEST

START_TEST(test_usable_size_of_grown_and_aligned_blocks)
{
    void *p = wee_malloc(10);
    void *q;

    ck_assert_ptr_nonnull(p);
    p = wee_realloc(p, 20000);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_ge(wee_malloc_usable_size(p), 20000);
    q = wee_aligned_alloc(8192, 3000);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_ge(wee_malloc_usable_size(q), 3000);
    q = wee_realloc(q, 100);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_ge(wee_malloc_usable_size(q), 100);
    wee_free(p);
    wee_free(q);
}
END_TEST

/* -------------------------------------------------------- min alignment */

START_TEST(test_min_alignment_is_two_words)
{
    enum { N = 600 };
    void *p[N];
    size_t i;

    /* Keep them all live, so that the later ones come from carved and
     * split cells rather than from the start of a fresh region. */
    for (i = 0; i < N; i++) {
        size_t n = i < 500 ? i : (i - 499) * 1111;

        p[i] = i % 3 == 0 ? wee_malloc(n)
             : i % 3 == 1 ? wee_calloc(1, n)
             : wee_realloc(NULL, n);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_msg(is_aligned(p[i], TEST_MIN_ALIGN),
                      "block %zu of %zu bytes at %p is not %zu-aligned", i, n,
                      p[i], TEST_MIN_ALIGN);
    }
    for (i = 0; i < N; i += 2) {
        p[i] = wee_realloc(p[i], 3 * i + 1);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert(is_aligned(p[i], TEST_MIN_ALIGN));
    }
    for (i = 0; i < N; i++)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* ----------------------------------------------------------------- stats */

START_TEST(test_stats_null_is_noop)
{
    struct wee_stats before = stats_now();

    wee_stats(NULL);
    ck_assert_uint_eq(stats_now().in_use_bytes, before.in_use_bytes);
}
END_TEST

START_TEST(test_stats_fresh_heap_holds_nothing)
{
    struct wee_stats s = stats_now();

    ck_assert_uint_eq(s.in_use_bytes, 0);
    ck_assert_uint_eq(s.peak_in_use_bytes, 0);
    ck_assert_uint_eq(s.failed_requests, 0);
    ck_assert_uint_le(s.free_bytes, s.backend_bytes);
}
END_TEST

START_TEST(test_stats_in_use_goes_up_by_usable_size_and_back_down)
{
    enum { N = 64 };
    void *p[N];
    struct wee_stats base = stats_now(), s;
    size_t i, total = 0;

    for (i = 0; i < N; i++) {
        size_t before = stats_now().in_use_bytes;

        p[i] = wee_malloc(i * i * 37);
        ck_assert_ptr_nonnull(p[i]);
        s = stats_now();
        ck_assert_msg(s.in_use_bytes - before == wee_malloc_usable_size(p[i]),
                      "wee_malloc(%zu): in use grew by %zu, usable size %zu",
                      i * i * 37, s.in_use_bytes - before,
                      wee_malloc_usable_size(p[i]));
        total += wee_malloc_usable_size(p[i]);
    }
    ck_assert_uint_eq(stats_now().in_use_bytes, base.in_use_bytes + total);
    for (i = 0; i < N; i++) {
        size_t before = stats_now().in_use_bytes;
        size_t usable = wee_malloc_usable_size(p[i]);

        wee_free(p[i]);
        ck_assert_uint_eq(before - stats_now().in_use_bytes, usable);
    }
    ck_assert_uint_eq(stats_now().in_use_bytes, base.in_use_bytes);
}
END_TEST

START_TEST(test_stats_backend_bytes_never_decrease)
{
    enum { N = 256 };
    void *p[N] = { 0 };
    struct prng r;
    size_t last = stats_now().backend_bytes, op;

    prng_seed(&r, 99);
    for (op = 0; op < 20000; op++) {
        size_t i = prng_below(&r, N);
        size_t now;

        if (p[i]) {
            wee_free(p[i]);
            p[i] = NULL;
        } else {
            p[i] = wee_malloc(prng_below(&r, 4) == 0
                              ? prng_range(&r, 5000, 300000)
                              : prng_range(&r, 0, 500));
            ck_assert_ptr_nonnull(p[i]);
        }
        now = stats_now().backend_bytes;
        ck_assert_msg(now >= last, "backend bytes went down from %zu to %zu "
                      "at operation %zu", last, now, op);
        last = now;
    }
    for (op = 0; op < N; op++)
        wee_free(p[op]);
    ck_assert_uint_ge(stats_now().backend_bytes, last);
}
END_TEST

START_TEST(test_stats_peak_in_use_tracks_the_maximum)
{
    struct wee_stats base = stats_now(), s;
    void *big = wee_malloc(2 * 1048576);
    size_t usable;

    ck_assert_ptr_nonnull(big);
    usable = wee_malloc_usable_size(big);
    wee_free(big);
    s = stats_now();
    ck_assert_uint_ge(s.peak_in_use_bytes, base.in_use_bytes + usable);
    ck_assert_uint_ge(s.peak_in_use_bytes, s.in_use_bytes);
    big = wee_malloc(100);
    ck_assert_ptr_nonnull(big);
    ck_assert_uint_eq(stats_now().peak_in_use_bytes, s.peak_in_use_bytes);
    wee_free(big);
}
END_TEST

START_TEST(test_stats_free_cells_and_largest_are_consistent)
{
    enum { N = 500 };
    void *p[N];
    struct prng r;
    size_t i, round, failed_before = stats_now().failed_requests;

    prng_seed(&r, 7);
    for (i = 0; i < N; i++)
        p[i] = NULL;
    for (round = 0; round < 6; round++) {
        struct wee_stats s;

        for (i = 0; i < N; i++) {
            if (p[i] && prng_below(&r, 2)) {
                wee_free(p[i]);
                p[i] = NULL;
            } else if (!p[i]) {
                p[i] = wee_malloc(prng_below(&r, 3) == 0
                                  ? prng_range(&r, 3000, 40000)
                                  : prng_range(&r, 1, 400));
                ck_assert_ptr_nonnull(p[i]);
            }
        }
        s = stats_now();
        ck_assert_uint_le(s.largest_free_cell, s.free_bytes);
        ck_assert_uint_le(s.in_use_bytes + s.free_bytes, s.backend_bytes);
        ck_assert_uint_ge(s.peak_in_use_bytes, s.in_use_bytes);
        ck_assert_msg((s.free_cells == 0) == (s.free_bytes == 0),
                      "free cells %zu but free bytes %zu", s.free_cells,
                      s.free_bytes);
        ck_assert_msg((s.free_cells == 0) == (s.largest_free_cell == 0),
                      "free cells %zu but largest free cell %zu",
                      s.free_cells, s.largest_free_cell);
        ck_assert_msg(s.free_bytes >= s.free_cells * TEST_MIN_ALIGN,
                      "%zu free cells in only %zu bytes", s.free_cells,
                      s.free_bytes);
        if (s.free_cells > 0)
            ck_assert_uint_ge(s.largest_free_cell, TEST_MIN_ALIGN);
        ck_assert_uint_eq(s.failed_requests, failed_before);
    }
    for (i = 0; i < N; i++)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_stats_largest_free_cell_follows_a_big_free)
{
    void *p = wee_malloc(4 * 1048576);
    void *guard = wee_malloc(64);
    struct wee_stats s;

    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(guard);
    wee_free(p);
    s = stats_now();
    ck_assert_msg(s.largest_free_cell >= 4 * 1048576,
                  "after freeing 4 MiB the largest free cell is %zu bytes",
                  s.largest_free_cell);
    ck_assert_uint_ge(s.free_bytes, 4 * 1048576);
    ck_assert_uint_ge(s.free_cells, 1);
    wee_free(guard);
}
END_TEST

/* Freed small blocks count as free cells, wherever the heap keeps them
 * (a size-class list or the main list).  Needs a fresh heap, where the
 * blocks' neighbours are not free cells they could merge with. */
START_TEST(test_stats_count_freed_small_blocks_as_free_cells)
{
    enum { N = 40 };
    void *p[N];
    struct wee_stats before, after;
    size_t i, freed_bytes = 0;

    for (i = 0; i < N; i++) {
        p[i] = wee_malloc(16 + (i / 2) * 8);
        ck_assert_ptr_nonnull(p[i]);
    }
    before = stats_now();
    /* Every other block: each freed one has live neighbours. */
    for (i = 0; i < N; i += 2) {
        freed_bytes += wee_malloc_usable_size(p[i]) + TEST_HEADER;
        wee_free(p[i]);
    }
    after = stats_now();
    ck_assert_msg(after.free_cells == before.free_cells + N / 2,
                  "%d small blocks freed, free cells %zu -> %zu", N / 2,
                  before.free_cells, after.free_cells);
    ck_assert_msg(after.free_bytes == before.free_bytes + freed_bytes,
                  "%zu bytes of cells freed, free bytes %zu -> %zu",
                  freed_bytes, before.free_bytes, after.free_bytes);
    for (i = 1; i < N; i += 2)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_stats_failed_requests_counts_exhaustion)
{
    struct wee_stats before = stats_now();
    void *p = wee_malloc(HUGE_SIZE);

    ck_assert_ptr_null(p);
    ck_assert_uint_eq(stats_now().failed_requests, before.failed_requests + 1);
    p = wee_malloc(100);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(stats_now().failed_requests, before.failed_requests + 1);
    wee_free(p);
}
END_TEST

/* ------------------------------------------------------------------ trim */

/* Blocks of 100 000 bytes: below the 128 KiB above which a free gives
 * a block's pages back by itself (test-heaps tests that). */
#define TRIM_BLOCK 100000

START_TEST(test_trim_gives_the_pages_of_freed_blocks_back)
{
    enum { N = 40 };
    size_t page = (size_t)sysconf(_SC_PAGESIZE), given, kept = 0, i;
    unsigned char *before = wee_malloc(100), *blocks[N], *after;

    for (i = 0; i < N; i++) {
        blocks[i] = wee_malloc(TRIM_BLOCK);
        ck_assert_ptr_nonnull(blocks[i]);
        memset(blocks[i], 0x5a, TRIM_BLOCK);
    }
    after = wee_malloc(100);
    ck_assert(before && after);
    pattern_fill(before, 100, 1);
    pattern_fill(after, 100, 2);
    for (i = 0; i < N; i++)
        wee_free(blocks[i]);
    /* Freed, they merge into one free block, whose pages stay... */
    for (i = 0; i < N; i++)
        kept += resident_bytes(blocks[i] + page, TRIM_BLOCK - 2 * page);
    ck_assert_uint_ge(kept, N * (TRIM_BLOCK - 2 * page));
    given = wee_trim();
    if (TEST_TRIM_GIVES_BACK) {
        /* ...until wee_trim gives them back: all but the page that holds
         * the free block's links, and a part page before its neighbour. */
        ck_assert_uint_ge(given, N * TRIM_BLOCK - 2 * page);
        for (i = 0; i < N; i++)
            ck_assert_uint_eq(resident_bytes(blocks[i] + page, TRIM_BLOCK - 2 * page), 0);
    } else {
        ck_assert_uint_eq(given, 0);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    ck_assert_uint_eq(pattern_mismatch(before, 100, 1), 100);
    ck_assert_uint_eq(pattern_mismatch(after, 100, 2), 100);
    /* The pages are the heap's still, and serve the next requests. */
    for (i = 0; i < N; i++) {
        blocks[i] = wee_malloc(TRIM_BLOCK);
        ck_assert_ptr_nonnull(blocks[i]);
        pattern_fill(blocks[i], TRIM_BLOCK, 3 + i);
    }
    for (i = 0; i < N; i++) {
        ck_assert_uint_eq(pattern_mismatch(blocks[i], TRIM_BLOCK, 3 + i), TRIM_BLOCK);
        wee_free(blocks[i]);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    wee_free(before);
    wee_free(after);
}
END_TEST

/* A wee_heap_walk visit that stops at a block in use or of a few KiB. */
static int small_or_used_block(void *block, size_t size, int in_use, void *arg)
{
    (void)block;
    (void)arg;
    return in_use || size < 8192;
}

START_TEST(test_trim_keeps_every_live_block)
{
    enum { N = 600 };
    unsigned char *p[N] = { 0 };
    size_t n[N] = { 0 }, i, round;
    struct prng r;
    struct wee_stats s;

    prng_seed(&r, 77);
    for (round = 0; round < 6; round++) {
        for (i = 0; i < N; i++) {
            if (p[i] && prng_below(&r, 2)) {
                ck_assert_uint_eq(pattern_mismatch(p[i], n[i], i), n[i]);
                wee_free(p[i]);
                p[i] = NULL;
            } else if (!p[i]) {
                n[i] = prng_below(&r, 8) == 0 ? prng_range(&r, 4096, 200000)
                                              : prng_range(&r, 0, 600);
                p[i] = wee_malloc(n[i]);
                ck_assert_ptr_nonnull(p[i]);
                pattern_fill(p[i], n[i], i);
            }
        }
        wee_trim();
        ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
        for (i = 0; i < N; i++)
            if (p[i])
                ck_assert_msg(pattern_mismatch(p[i], n[i], i) == n[i],
                              "block %zu changed by wee_trim in round %zu", i, round);
    }
    for (i = 0; i < N; i++)
        wee_free(p[i]);
    /* Everything free: wee_trim empties the size classes and this
     * thread's cache into the main list, where all of it merges. */
    if (TEST_TRIM_GIVES_BACK) {
        ck_assert_uint_gt(wee_trim(), 0);
        /* Each region is one free block now; without the emptying,
         * hundreds of small blocks would stay apart. */
        ck_assert_int_eq(wee_heap_walk(NULL, small_or_used_block, NULL), 0);
    } else {
        ck_assert_uint_eq(wee_trim(), 0);
    }
    s = stats_now();
    ck_assert_uint_eq(s.in_use_bytes, 0);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* ----------------------------------------------------------------- check */

START_TEST(test_check_ok_on_fresh_heap)
{
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_check_ok_after_operations)
{
    enum { N = 300 };
    unsigned char *p[N] = { 0 };
    size_t n[N] = { 0 };
    struct prng r;
    size_t op, i;

    prng_seed(&r, 2024);
    for (op = 0; op < 30000; op++) {
        size_t k = prng_below(&r, 6);
        size_t size = prng_below(&r, 8) == 0 ? prng_range(&r, 2049, 150000)
                                              : prng_range(&r, 0, 2048);

        i = prng_below(&r, N);
        if (p[i]) {
            ck_assert_msg(pattern_mismatch(p[i], n[i], i) == n[i],
                          "block %zu corrupted at op %zu", i, op);
            if (k < 3) {
                wee_free(p[i]);
                p[i] = NULL;
                continue;
            }
            p[i] = wee_realloc(p[i], size);
            if (size == 0) {
                /* realloc(p, 0) frees p. */
                ck_assert_ptr_null(p[i]);
                continue;
            }
        } else if (k == 0) {
            p[i] = wee_calloc(1, size);
        } else if (k == 1) {
            p[i] = wee_aligned_alloc((size_t)1 << prng_below(&r, 13), size);
        } else {
            p[i] = wee_malloc(size);
        }
        ck_assert_ptr_nonnull(p[i]);
        n[i] = size;
        pattern_fill(p[i], n[i], i);
        if (op % 1000 == 0)
            ck_assert_msg(wee_check() == WEE_CHECK_OK,
                          "wee_check() = %d (%s) after %zu operations",
                          wee_check(), wee_check_describe(wee_check()), op);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    for (i = 0; i < N; i++)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_check_describe_names_every_code)
{
    int code, other;

    for (code = WEE_CHECK_OK; code <= WEE_CHECK_SIZE_CLASS; code++) {
        const char *d = wee_check_describe(code);

        ck_assert_ptr_nonnull(d);
        ck_assert_msg(d[0] != '\0', "code %d has an empty description", code);
        ck_assert_msg(strcmp(d, "unknown wee_check result") != 0,
                      "known code %d is described as unknown", code);
        for (other = WEE_CHECK_OK; other < code; other++)
            ck_assert_msg(strcmp(d, wee_check_describe(other)) != 0,
                          "codes %d and %d share the description \"%s\"",
                          other, code, d);
    }
}
END_TEST

START_TEST(test_check_describe_unknown_code)
{
    static const int unknown[] = {
        -1, WEE_CHECK_SIZE_CLASS + 1, 1000, INT_MAX, INT_MIN,
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(unknown); i++) {
        const char *d = wee_check_describe(unknown[i]);

        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(d, "unknown wee_check result");
    }
}
END_TEST

/* ------------------------------------------------- backend exhaustion */

#if defined(__linux__)
/*
 * These tests cap the process's address space (RLIMIT_AS) a little above
 * what it uses, so that the backend really fails, then check that the heap
 * failed cleanly.  Nothing may call into Check while the cap is on (Check
 * itself needs memory to report), so results are collected first and
 * asserted after the cap is lifted.  Fork mode only: the cap is per process.
 */
static size_t
address_space_in_use(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    int got;

    ck_assert_msg(f != NULL, "cannot read /proc/self/statm");
    got = fscanf(f, "%lu", &pages);
    fclose(f);
    ck_assert_int_eq(got, 1);
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static struct rlimit
cap_address_space(size_t headroom)
{
    struct rlimit old, cap;

    ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
    cap = old;
    cap.rlim_cur = (rlim_t)(address_space_in_use() + headroom);
    if (old.rlim_cur != RLIM_INFINITY && cap.rlim_cur > old.rlim_cur)
        cap.rlim_cur = old.rlim_cur;
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &cap), 0);
    return old;
}

/*
 * On the static backend the array, not the address space, is what runs
 * out.  So that a test exhausts about as much memory there as under its
 * cap elsewhere, this fills all but `headroom` bytes of a larger array
 * with one block (freed by the caller); NULL on other backends.
 */
static void *
static_ballast(size_t headroom)
{
    void *ballast = NULL;

#if WEE_ALLOC_BACKEND_STATIC
    if ((size_t)WEE_STATIC_ARRAY_BYTES > 2 * headroom) {
        ballast = wee_malloc((size_t)WEE_STATIC_ARRAY_BYTES - headroom);
        ck_assert_msg(ballast != NULL, "no ballast block on a fresh heap");
    }
#else
    (void)headroom;
#endif
    return ballast;
}

START_TEST(test_backend_exhaustion_fails_enomem_and_keeps_heap_consistent)
{
    enum { N = 20000 };
    static unsigned char *p[N];
    static size_t n[N];
    struct rlimit old;
    struct prng r;
    size_t live = 0, i, bad_block = N, usable_after = 0;
    int failed_errno = 0, check_at_failure, check_after_free;
    struct wee_stats at_failure, before;
    void *after_free = NULL;

    prng_seed(&r, 31337);
    before = stats_now();
    old = cap_address_space(64 * 1048576);
    for (live = 0; live < N; live++) {
        n[live] = prng_below(&r, 4) == 0 ? prng_range(&r, 4097, 1048576)
                                         : prng_range(&r, 1, 4096);
        errno = 0;
        p[live] = wee_malloc(n[live]);
        if (!p[live]) {
            failed_errno = errno;
            break;
        }
        pattern_fill(p[live], n[live], live);
    }
    at_failure = stats_now();
    check_at_failure = wee_check();
    for (i = 0; i < live && bad_block == N; i++)
        if (pattern_mismatch(p[i], n[i], i) != n[i])
            bad_block = i;
    /* Free every other block: the heap serves from what it already has. */
    for (i = 0; i < live; i += 2) {
        wee_free(p[i]);
        p[i] = NULL;
    }
    after_free = wee_malloc(4096);
    if (after_free)
        usable_after = wee_malloc_usable_size(after_free);
    check_after_free = wee_check();
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);

    ck_assert_msg(live < N, "the backend never failed under a 64 MiB cap");
    ck_assert_msg(failed_errno == ENOMEM, "allocation %zu of %zu bytes "
                  "failed with errno %d", live, n[live], failed_errno);
    ck_assert_uint_ge(at_failure.failed_requests, before.failed_requests + 1);
    ck_assert_msg(check_at_failure == WEE_CHECK_OK, "wee_check() = %d (%s) "
                  "after the backend failed", check_at_failure,
                  wee_check_describe(check_at_failure));
    ck_assert_msg(bad_block == N, "block %zu was damaged by the failure",
                  bad_block);
    ck_assert_msg(after_free != NULL, "no 4 KiB block after freeing half "
                  "of the heap");
    ck_assert_uint_ge(usable_after, 4096);
    ck_assert_int_eq(check_after_free, WEE_CHECK_OK);
    wee_free(after_free);
    for (i = 1; i < live; i += 2)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    ck_assert_uint_eq(stats_now().in_use_bytes, before.in_use_bytes);
}
END_TEST

/*
 * Small blocks freed when the backend has run dry must serve other small
 * sizes: memory waiting on a size-class list is not lost to other sizes.
 */
START_TEST(test_exhaustion_reuses_freed_small_blocks_for_other_sizes)
{
    enum { N = 1 << 20 };
    unsigned char **p = calloc(N, sizeof *p);
    struct rlimit old;
    size_t live, i, holes = 0, reused = 0;
    int first_errno = 0, second_errno = 0, check_result;
    /* With extra assertions every free walks the cells before it; on the
     * static backend's one region that makes 16 MiB of 64-byte blocks
     * quadratic, too slow for the time limit, and 4 MiB shows the same. */
    void *ballast = static_ballast((WEE_ALLOC_EXTRA_ASSERTIONS ? 4 : 16) * 1048576);

    ck_assert_ptr_nonnull(p);
    old = cap_address_space(16 * 1048576);
    for (live = 0; live < N; live++) {
        errno = 0;
        p[live] = wee_malloc(64);
        if (!p[live]) {
            first_errno = errno;
            break;
        }
        memset(p[live], 0x64, 64);
    }
    /* Free two neighbours out of every three: each hole has room for one
     * 100-byte block (two 64-byte blocks and a header). */
    for (i = 0; i + 2 < live; i += 3) {
        wee_free(p[i + 1]);
        wee_free(p[i + 2]);
        p[i + 1] = p[i + 2] = NULL;
        holes++;
    }
    for (i = 0; i + 2 < live; i += 3) {
        errno = 0;
        p[i + 1] = wee_malloc(100);
        if (!p[i + 1]) {
            second_errno = errno;
            break;
        }
        memset(p[i + 1], 0x65, 100);
        reused++;
    }
    check_result = wee_check();
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);

    ck_assert_msg(live < N, "the backend never failed under a 16 MiB cap");
    ck_assert_int_eq(first_errno, ENOMEM);
    ck_assert_int_eq(check_result, WEE_CHECK_OK);
    ck_assert_msg(reused >= holes / 10 * 9,
                  "after freeing %zu pairs of 64-byte blocks only %zu "
                  "100-byte blocks could be allocated, errno %d", holes,
                  reused, second_errno);
    for (i = 0; i < live; i++)
        wee_free(p[i]);
    wee_free(ballast);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    free(p);
}
END_TEST
#endif /* __linux__ */

/* ------------------------------------------------------ misuse: aborting */

static void
free_twice(void *p)
{
    wee_free(p);
    wee_free(p);
}

static void
realloc_once(void *p)
{
    void *r = wee_realloc(p, 100);

    (void)r;
}

/* Three neighbouring blocks; the middle one is freed while both of its
 * neighbours are live, so its cell stays where it is after the free. */
static unsigned char *
middle_of_three(size_t n, void **outer)
{
    void *a = wee_malloc(n);
    unsigned char *b = wee_malloc(n);
    void *c = wee_malloc(n);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    outer[0] = a;
    outer[1] = c;
    return b;
}

START_TEST(test_double_free_after_merge_aborts)
{
    void *a = wee_malloc(10000);
    void *b = wee_malloc(10000);
    void *c = wee_malloc(10000);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    wee_free(b);
    wee_free(a); /* merges with b: b no longer starts a cell */
    wee_free(b);
}
END_TEST

/*
 * The misuse table's promise as a property: a block freed a second time,
 * before any later allocation has covered its header, aborts, whatever
 * the heap did in between.  Each trial runs in a child: a seeded random
 * run of allocations (some aligned), reallocations and frees on up to
 * DF_LIVE live blocks of 1 byte to 45 000 bytes, then a second free of
 * one of the blocks freed during the run whose header (the two words
 * before it) no later allocation's cell covers.  This is how a block that
 * had merged into the free block before it was found to pass a second
 * free unnoticed.
 */
#define DF_TRIALS 300
#define DF_OPS    400
#define DF_LIVE   64

/* The child's exit status when its run could not set up a double free. */
#define DF_NOTHING_TO_FREE 3
/* What the child writes to stderr right before the second free, so that an
 * abort earlier in the run (a false alarm) is not taken for the right one. */
#define DF_MARK "second free\n"

struct df_freed {
    unsigned char *p;
    int covered;
};

static size_t
df_size(struct prng *r)
{
    switch (prng_below(r, 4)) {
    case 0: return prng_range(r, 1, 64);
    case 1: return prng_range(r, 1, 600);
    case 2: return prng_range(r, 500, 5000);
    default: return prng_range(r, 5000, 45000);
    }
}

static void
double_free_trial(void *arg)
{
    static struct df_freed freed[DF_OPS];
    unsigned char *live[DF_LIVE] = { NULL };
    size_t n_freed = 0, op, i, k, n_candidates = 0;
    struct prng r;

    prng_seed(&r, *(const uint64_t *)arg);
    for (op = 0; op < DF_OPS; op++) {
        unsigned char *q, *old = NULL;
        size_t n = df_size(&r), kind = prng_below(&r, 8);
        uintptr_t lo, hi;

        k = prng_below(&r, DF_LIVE);
        if (live[k] && kind < 5) {
            freed[n_freed].p = live[k];
            freed[n_freed++].covered = 0;
            wee_free(live[k]);
            live[k] = NULL;
            continue;
        }
        if (live[k]) {
            old = live[k];
            q = wee_realloc(old, n);
        } else if (kind == 0) {
            q = wee_aligned_alloc((size_t)64 << prng_below(&r, 6), n);
        } else {
            q = wee_malloc(n);
        }
        if (!q)
            _exit(DF_NOTHING_TO_FREE); /* a small static array */
        if (old && q != old) {
            freed[n_freed].p = old;
            freed[n_freed++].covered = 0;
        }
        /* The new cell covers [q - TEST_HEADER, q + usable size). */
        lo = (uintptr_t)q - TEST_HEADER;
        hi = (uintptr_t)q + wee_malloc_usable_size(q);
        for (i = 0; i < n_freed; i++)
            if ((uintptr_t)freed[i].p - TEST_HEADER >= lo
                && (uintptr_t)freed[i].p - TEST_HEADER < hi)
                freed[i].covered = 1;
        memset(q, 0xa5, n);
        live[k] = q;
    }
    for (i = 0; i < n_freed; i++)
        if (!freed[i].covered)
            freed[n_candidates++] = freed[i];
    if (n_candidates == 0)
        _exit(DF_NOTHING_TO_FREE);
    if (write(STDERR_FILENO, DF_MARK, strlen(DF_MARK)) != (ssize_t)strlen(DF_MARK))
        _exit(2);
    wee_free(freed[prng_below(&r, n_candidates)].p);
}

START_TEST(test_double_free_before_reuse_always_aborts)
{
    uint64_t base = seed_from_env("WEE_TEST_SEED", 0xdf2026);
    size_t t, ran = 0;

    for (t = 0; t < DF_TRIALS; t++) {
        uint64_t seed = base + t;
        struct child_outcome o;
        const char *after;

        run_in_child(double_free_trial, &seed, &o);
        if (o.exited && o.status == DF_NOTHING_TO_FREE)
            continue;
        ran++;
        after = strstr(o.err, DF_MARK);
        ck_assert_msg(o.signaled && o.signal == SIGABRT && after != NULL
                      && strstr(after, "wee_free(") != NULL,
                      "trial with seed %llu (WEE_TEST_SEED=%llu, trial %zu): "
                      "the second free did not abort as it should (%s %d); "
                      "stderr: \"%s\"",
                      (unsigned long long)seed, (unsigned long long)base, t,
                      o.signaled ? "signal" : "exit status",
                      o.signaled ? o.signal : o.status, o.err);
    }
    ck_assert_msg(ran >= DF_TRIALS / 2, "only %zu of %d trials could free a "
                  "block twice", ran, DF_TRIALS);
}
END_TEST

START_TEST(test_double_free_of_small_block_aborts)
{
    void *outer[2];
    unsigned char *b = middle_of_three(48, outer);

    wee_free(b);
    wee_free(b);
    /* Not reached when the second free aborts. */
}
END_TEST

START_TEST(test_double_free_of_large_block_aborts)
{
    void *outer[2];
    unsigned char *b = middle_of_three(10000, outer);

    wee_free(b);
    wee_free(b);
}
END_TEST

START_TEST(test_realloc_of_freed_block_aborts)
{
    void *outer[2];
    unsigned char *b = middle_of_three(10000, outer);
    void *r;

    wee_free(b);
    r = wee_realloc(b, 20000);
    (void)r;
}
END_TEST

START_TEST(test_double_free_message_names_function_and_address)
{
    static const size_t sizes[] = { 48, 10000 };
    size_t i;

    for (i = 0; i < ARRAY_LEN(sizes); i++) {
        void *outer[2];
        unsigned char *b = middle_of_three(sizes[i], outer);
        struct child_outcome o;

        run_in_child(free_twice, b, &o);
        expect_abort_message(&o, "wee_free", b);
        wee_free(b);
        wee_free(outer[0]);
        wee_free(outer[1]);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

START_TEST(test_realloc_of_freed_block_message_names_function_and_address)
{
    void *outer[2];
    unsigned char *b = middle_of_three(10000, outer);
    struct child_outcome o;

    wee_free(b);
    run_in_child(realloc_once, b, &o);
    expect_abort_message(&o, "wee_realloc", b);
    wee_free(outer[0]);
    wee_free(outer[1]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

#if WEE_ALLOC_EXTRA_ASSERTIONS

/* A pointer that looks like a block but lies outside the heap. */
static union {
    unsigned char bytes[256];
    long double align_ld;
    void *align_p;
} foreign_buffer;

static void *
foreign_pointer(void)
{
    /* Make the would-be header look like an allocated cell's: odd
     * (flagged) words that point nowhere useful. */
    memset(foreign_buffer.bytes, 0x01, sizeof foreign_buffer.bytes);
    return foreign_buffer.bytes + 4 * TEST_MIN_ALIGN;
}

static void
free_once(void *p)
{
    wee_free(p);
}

START_TEST(test_foreign_pointer_free_aborts)
{
    wee_free(foreign_pointer());
}
END_TEST

START_TEST(test_libc_pointer_free_aborts)
{
    void *p = malloc(100);

    ck_assert_ptr_nonnull(p);
    wee_free(p);
}
END_TEST

START_TEST(test_interior_pointer_free_aborts)
{
    unsigned char *p = wee_malloc(10000);

    ck_assert_ptr_nonnull(p);
    memset(p, 0x01, 10000);
    wee_free(p + 8 * TEST_MIN_ALIGN);
}
END_TEST

START_TEST(test_foreign_pointer_realloc_aborts)
{
    void *r = wee_realloc(foreign_pointer(), 100);

    (void)r;
}
END_TEST

START_TEST(test_foreign_pointer_free_message_names_function_and_address)
{
    void *p = foreign_pointer();
    struct child_outcome o;

    run_in_child(free_once, p, &o);
    expect_abort_message(&o, "wee_free", p);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* Free a block with live neighbours, then write into the middle of it. */
static unsigned char *
freed_and_written(size_t n, void **outer)
{
    unsigned char *b = middle_of_three(n, outer);

    wee_free(b);
    b[n / 2] = (unsigned char)~b[n / 2];
    return b;
}

START_TEST(test_check_reports_poison_after_write_to_freed_small_block)
{
    void *outer[2];

    freed_and_written(256, outer);
    ck_assert_int_eq(wee_check(), WEE_CHECK_POISON);
}
END_TEST

START_TEST(test_check_reports_poison_after_write_to_freed_large_block)
{
    void *outer[2];

    freed_and_written(10000, outer);
    ck_assert_int_eq(wee_check(), WEE_CHECK_POISON);
}
END_TEST

/* Allocating the same size hands the poisoned cell out again, which must
 * abort before the caller sees it. */
static void
reuse_written_freed_cell(size_t n)
{
    void *outer[2];
    unsigned char *b = freed_and_written(n, outer);
    int tries;

    for (tries = 0; tries < 10000; tries++) {
        unsigned char *q = wee_malloc(n);

        ck_assert_ptr_nonnull(q);
        if (q == b)
            ck_abort_msg("the written-to freed cell %p was handed out again "
                         "without an abort", (void *)b);
    }
    ck_abort_msg("the freed cell %p was never handed out again", (void *)b);
}

START_TEST(test_reusing_a_written_freed_small_cell_aborts)
{
    reuse_written_freed_cell(256);
}
END_TEST

START_TEST(test_reusing_a_written_freed_large_cell_aborts)
{
    reuse_written_freed_cell(10000);
}
END_TEST

#endif /* WEE_ALLOC_EXTRA_ASSERTIONS */

/* ------------------------------------------------------------------ main */

static TCase *
tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    /* A guard against hangs, not a speed limit: the exhaustion tests take
     * a few seconds of CPU with extra assertions, several times that in
     * wall-clock time on a busy machine. */
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return tc;
}

int
main(void)
{
    Suite *s = suite_create("wee_alloc API");
    SRunner *sr = srunner_create(s);
    TCase *tc;
    struct rlimit no_core = { 0, 0 };

    /* The abort tests would otherwise leave core files behind. */
    setrlimit(RLIMIT_CORE, &no_core);

    tc = tcase(s, "malloc");
    tcase_add_test(tc, test_malloc_returns_min_aligned_writable_blocks);
    tcase_add_test(tc, test_malloc_zero_returns_unique_freeable_pointer);
    tcase_add_test(tc, test_malloc_live_blocks_do_not_overlap);
    tcase_add_test(tc, test_malloc_size_max_fails_enomem_without_growing_backend);
    tcase_add_test(tc, test_malloc_exhaustion_fails_enomem_and_keeps_blocks);

    tc = tcase(s, "calloc");
    tcase_add_test(tc, test_calloc_returns_zeroed_min_aligned_memory);
    tcase_add_test(tc, test_calloc_zeroes_reused_memory);
    tcase_add_test(tc, test_calloc_array_is_zeroed_across_elements);
    tcase_add_test(tc, test_calloc_zero_elements_returns_freeable_pointer);
    tcase_add_test(tc, test_calloc_overflow_fails_enomem);

    tc = tcase(s, "realloc");
    tcase_add_test(tc, test_realloc_null_is_malloc);
    tcase_add_test(tc, test_realloc_null_zero_returns_unique_freeable_pointer);
    tcase_add_test(tc, test_realloc_zero_frees_and_returns_null);
    tcase_add_test(tc, test_realloc_shrinks_in_place);
    tcase_add_test(tc, test_realloc_shrink_returns_tail_to_heap);
    tcase_add_test(tc, test_realloc_grows_in_place_into_free_neighbour);
    tcase_add_test(tc, test_realloc_moves_and_keeps_contents);
    tcase_add_test(tc, test_realloc_failure_keeps_block);
    tcase_add_test(tc, test_realloc_of_aligned_block_keeps_contents_and_min_align);

    tc = tcase(s, "free");
    tcase_add_test(tc, test_free_null_is_noop);
    tcase_add_test(tc, test_free_keeps_memory_for_later_requests);
    tcase_add_test(tc, test_free_merges_neighbours_into_one_cell);

    tc = tcase(s, "aligned_alloc");
    tcase_add_test(tc, test_aligned_alloc_honours_every_power_of_two_up_to_64k);
    tcase_add_test(tc, test_aligned_alloc_honours_alignments_beyond_64k);
    tcase_add_test(tc, test_aligned_alloc_below_min_align_gives_min_align);
    tcase_add_test(tc, test_aligned_alloc_non_power_of_two_is_einval);
    tcase_add_test(tc, test_aligned_alloc_zero_alignment_is_einval);
    tcase_add_test(tc, test_aligned_alloc_padding_overflow_fails_enomem);
    tcase_add_test(tc, test_aligned_alloc_huge_alignment_fails_enomem);

    tc = tcase(s, "posix_memalign");
    tcase_add_test(tc, test_posix_memalign_rejects_alignment_not_multiple_of_pointer);
    tcase_add_test(tc, test_posix_memalign_rejects_non_power_of_two_multiple_of_pointer);
    tcase_add_test(tc, test_posix_memalign_honours_power_of_two_alignments);
    tcase_add_test(tc, test_posix_memalign_zero_size_stores_unique_freeable_pointer);
    tcase_add_test(tc, test_posix_memalign_overflow_returns_enomem_memptr_untouched);

    tc = tcase(s, "usable_size");
    tcase_add_test(tc, test_usable_size_at_least_requested);
    tcase_add_test(tc, test_usable_size_null_is_zero);
    tcase_add_test(tc, test_usable_size_of_grown_and_aligned_blocks);
    tcase_add_test(tc, test_min_alignment_is_two_words);

    tc = tcase(s, "stats");
    tcase_add_test(tc, test_stats_null_is_noop);
    tcase_add_test(tc, test_stats_in_use_goes_up_by_usable_size_and_back_down);
    tcase_add_test(tc, test_stats_backend_bytes_never_decrease);
    tcase_add_test(tc, test_stats_peak_in_use_tracks_the_maximum);
    tcase_add_test(tc, test_stats_free_cells_and_largest_are_consistent);
    tcase_add_test(tc, test_stats_largest_free_cell_follows_a_big_free);
    tcase_add_test(tc, test_stats_failed_requests_counts_exhaustion);

    tc = tcase(s, "trim");
    tcase_add_test(tc, test_trim_gives_the_pages_of_freed_blocks_back);
    tcase_add_test(tc, test_trim_keeps_every_live_block);

    tc = tcase(s, "check");
    tcase_add_test(tc, test_check_ok_after_operations);
    tcase_add_test(tc, test_check_describe_names_every_code);
    tcase_add_test(tc, test_check_describe_unknown_code);

    tc = tcase(s, "misuse messages");
    tcase_add_test(tc, test_double_free_message_names_function_and_address);
    tcase_add_test(tc, test_realloc_of_freed_block_message_names_function_and_address);
#if WEE_ALLOC_EXTRA_ASSERTIONS
    tcase_add_test(tc, test_foreign_pointer_free_message_names_function_and_address);
#endif

    if (srunner_fork_status(sr) == CK_FORK) {
        /* Only a fresh process per test can start from an untouched heap,
         * end in SIGABRT, or be left with a corrupted heap. */
        tc = tcase(s, "fresh heap");
        tcase_add_test(tc, test_stats_fresh_heap_holds_nothing);
        tcase_add_test(tc, test_check_ok_on_fresh_heap);
        tcase_add_test(tc, test_stats_count_freed_small_blocks_as_free_cells);
#if defined(__linux__)
        tcase_add_test(tc, test_backend_exhaustion_fails_enomem_and_keeps_heap_consistent);
        tcase_add_test(tc, test_exhaustion_reuses_freed_small_blocks_for_other_sizes);
#endif

        tc = tcase(s, "misuse aborts");
        tcase_add_test_raise_signal(tc, test_double_free_of_small_block_aborts, SIGABRT);
        tcase_add_test_raise_signal(tc, test_double_free_of_large_block_aborts, SIGABRT);
        tcase_add_test_raise_signal(tc, test_realloc_of_freed_block_aborts, SIGABRT);
        tcase_add_test_raise_signal(tc, test_double_free_after_merge_aborts, SIGABRT);
        tcase_add_test(tc, test_double_free_before_reuse_always_aborts);
#if WEE_ALLOC_EXTRA_ASSERTIONS
        tcase_add_test_raise_signal(tc, test_foreign_pointer_free_aborts, SIGABRT);
        tcase_add_test_raise_signal(tc, test_libc_pointer_free_aborts, SIGABRT);
        tcase_add_test_raise_signal(tc, test_interior_pointer_free_aborts, SIGABRT);
        tcase_add_test_raise_signal(tc, test_foreign_pointer_realloc_aborts, SIGABRT);

        tc = tcase(s, "poison");
        tcase_add_test(tc, test_check_reports_poison_after_write_to_freed_small_block);
        tcase_add_test(tc, test_check_reports_poison_after_write_to_freed_large_block);
        tcase_add_test_raise_signal(tc, test_reusing_a_written_freed_small_cell_aborts, SIGABRT);
        tcase_add_test_raise_signal(tc, test_reusing_a_written_freed_large_cell_aborts, SIGABRT);
#endif
    } else {
        fprintf(stderr, "CK_FORK=no: skipping the tests that need a fresh "
                "process (fresh heap, misuse aborts, poison)\n");
    }

    return run_suite(sr);
}
