/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-growth.c - the heap stops taking memory from the backend once a
 * repeating workload has warmed it up.
 *
 * The original wee_alloc grew without bound on such workloads (its issue
 * #106: two large blocks freed in allocation order took 80 KiB more from
 * the backend on every iteration), and its size classes could take 22-44
 * MiB for a few hundred kilobytes of small blocks.  These tests repeat such
 * patterns and watch wee_stats().backend_bytes.
 *
 * The bound used for churn workloads is the one the trace replays use:
 * backend bytes <= 2 * peak in-use bytes + 1 MiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "wee_alloc.h"
#include "check-helpers.h"

#define MIB ((size_t)1 << 20)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Extra assertions poison every freed byte and verify the poison when the
 * memory is handed out again, so each iteration of a large-block pattern
 * costs a pass over the blocks.  Those builds repeat fewer times; the
 * default builds repeat as often as the issue asks.
 */
#if WEE_ALLOC_EXTRA_ASSERTIONS
#  define ISSUE_106_ITERATIONS 5000
#  define CHURN_SCALE 4
#else
#  define ISSUE_106_ITERATIONS 100000
#  define CHURN_SCALE 1
#endif

/*
 * Under AddressSanitizer the runtime maps its own memory between the
 * heap's mmap regions, so they cannot be joined, and a large block may not
 * fit in any of the scattered free regions: the churn bound below assumes
 * the backend hands out adjacent pages, as it does without ASan.  The
 * sanitizer build (.ci/run, "sanitizers") still runs these workloads for
 * their memory errors and heap checks; only that bound is not judged.
 */
#if defined(__SANITIZE_ADDRESS__)
#  define BACKEND_PAGES_ADJACENT 0
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define BACKEND_PAGES_ADJACENT 0
#  endif
#endif
#ifndef BACKEND_PAGES_ADJACENT
#  define BACKEND_PAGES_ADJACENT 1
#endif

/* Warm-up iterations after which backend bytes must stay constant. */
#define WARM_UP 10

static void
touch(unsigned char *p, size_t n)
{
    if (n == 0)
        return;
    p[n / 2] = 0xcd;
    p[n - 1] = 0xef;
    p[0] = 0xab; /* last, so that a one-byte block reads 0xab */
}

static void
assert_within_bound(const char *what)
{
    struct wee_stats s = stats_now();

    ck_assert_msg(s.backend_bytes <= 2 * s.peak_in_use_bytes + MIB,
                  "%s: %zu backend bytes for a peak of %zu bytes in use "
                  "(bound: 2 * peak + 1 MiB = %zu)", what, s.backend_bytes,
                  s.peak_in_use_bytes, 2 * s.peak_in_use_bytes + MIB);
}

/* ------------------------------------------------------------ issue 106 */

/*
 * The pairs of sizes: the issue's own (Box<[i32; 85196]> and
 * Box<[i32; 80000]>), the same numbers as bytes, a pair just above the
 * size classes, and a pair in which the second block is the larger.
 */
static const size_t issue_106_pairs[][2] = {
    { 85196 * 4, 80000 * 4 },
    { 85196, 80000 },
    { 3000, 2500 },
    { 70000, 300000 },
};

START_TEST(test_issue_106_pattern_keeps_backend_bytes_constant)
{
    const size_t size_a = issue_106_pairs[_i][0];
    const size_t size_b = issue_106_pairs[_i][1];
    size_t warm = 0;
    long i;

    for (i = 0; i < ISSUE_106_ITERATIONS; i++) {
        unsigned char *a = wee_malloc(size_a);
        unsigned char *b = wee_malloc(size_b);

        ck_assert_msg(a != NULL && b != NULL, "iteration %ld: allocation "
                      "failed (sizes %zu, %zu)", i, size_a, size_b);
        touch(a, size_a);
        touch(b, size_b);
        /* Freed in the order they were allocated, as in the issue. */
        wee_free(a);
        wee_free(b);
        if (i == WARM_UP) {
            warm = stats_now().backend_bytes;
        } else if (i > WARM_UP) {
            size_t now = stats_now().backend_bytes;

            ck_assert_msg(now == warm, "sizes %zu, %zu: backend bytes grew "
                          "from %zu to %zu by iteration %ld", size_a, size_b,
                          warm, now, i);
        }
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    assert_within_bound("issue 106 pattern");
}
END_TEST

/* The same pattern with a third, longer-lived block in the middle of the
 * heap, so that the freed pair cannot just rejoin the end of a region. */
START_TEST(test_issue_106_pattern_around_a_live_block_keeps_backend_bytes_constant)
{
    size_t warm = 0;
    long i;
    unsigned char *keep = NULL;

    for (i = 0; i < ISSUE_106_ITERATIONS; i++) {
        unsigned char *a = wee_malloc(85196 * 4);
        unsigned char *b = wee_malloc(80000 * 4);

        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        touch(a, 85196 * 4);
        touch(b, 80000 * 4);
        /* Every 64 iterations the long-lived block moves. */
        if (i % 64 == 0) {
            wee_free(keep);
            keep = wee_malloc(100000);
            ck_assert_ptr_nonnull(keep);
        }
        wee_free(a);
        wee_free(b);
        if (i == 64 * 2 + WARM_UP) {
            warm = stats_now().backend_bytes;
        } else if (i > 64 * 2 + WARM_UP) {
            size_t now = stats_now().backend_bytes;

            ck_assert_msg(now == warm, "backend bytes grew from %zu to %zu "
                          "by iteration %ld", warm, now, i);
        }
    }
    wee_free(keep);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* ---------------------------------------------------------- size classes */

/*
 * One block of every size from 1 to 2048 bytes (every size class on 64-bit
 * hosts and the first ones above), freed in a different shuffled order each
 * round.  After a few rounds the heap has about what it needs: in all the
 * rounds after the tenth it may grow by an eighth at most.  (It grows last
 * in round 4 natively; under AddressSanitizer, whose mappings fall between
 * the heap's regions, a page now and then later on.  The original grew in
 * every round, without bound.)
 */
START_TEST(test_size_class_churn_levels_off)
{
    enum { MAX = 2048, WARM_ROUNDS = 10, ROUNDS = 60 / CHURN_SCALE + WARM_ROUNDS + 2 };
    static unsigned char *p[MAX + 1];
    static size_t order[MAX];
    struct prng r;
    size_t warm = 0;
    int round;
    size_t i;

    prng_seed(&r, 106);
    for (i = 0; i < MAX; i++)
        order[i] = i + 1;
    for (round = 0; round < ROUNDS; round++) {
        for (i = 1; i <= MAX; i++) {
            p[i] = wee_malloc(i);
            ck_assert_ptr_nonnull(p[i]);
            pattern_fill(p[i], i, i);
        }
        /* Fisher-Yates shuffle of the order in which they are freed. */
        for (i = MAX - 1; i > 0; i--) {
            size_t j = prng_below(&r, i + 1), t = order[i];

            order[i] = order[j];
            order[j] = t;
        }
        for (i = 0; i < MAX; i++) {
            size_t k = order[i];

            ck_assert_msg(pattern_mismatch(p[k], k, k) == k,
                          "round %d: block of %zu bytes corrupted", round, k);
            wee_free(p[k]);
        }
        if (round == WARM_ROUNDS)
            warm = stats_now().backend_bytes;
        else if (round > WARM_ROUNDS)
            ck_assert_msg(stats_now().backend_bytes <= warm + warm / 8,
                          "round %d: backend bytes grew from %zu to %zu, "
                          "by more than an eighth",
                          round, warm, stats_now().backend_bytes);
    }
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    assert_within_bound("size-class churn");
}
END_TEST

/*
 * The original carved a (k+2)^2-word chunk for every size class k it saw:
 * 44 MiB on 64-bit for one small block in each of its 256 classes.
 */
START_TEST(test_one_block_in_every_size_class_takes_little_backend_memory)
{
    enum { CLASSES = 256 };
    void *p[CLASSES];
    size_t k;

    for (k = 0; k < CLASSES; k++) {
        p[k] = wee_malloc((k + 1) * sizeof(void *));
        ck_assert_ptr_nonnull(p[k]);
    }
    assert_within_bound("one block per size class");
    for (k = 0; k < CLASSES; k++)
        wee_free(p[k]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/*
 * Half of the small blocks stay live from one round to the next, so that
 * the size classes see fragmented use rather than all-free rounds.
 */
START_TEST(test_small_block_churn_with_survivors_stays_bounded)
{
    enum { SLOTS = 8192 };
    static unsigned char *p[SLOTS];
    static size_t n[SLOTS];
    const int rounds = 120 / CHURN_SCALE;
    struct prng r;
    size_t mid = 0, i;
    int round;

    prng_seed(&r, 4242);
    for (round = 0; round < rounds; round++) {
        for (i = 0; i < SLOTS; i++) {
            if (p[i] && prng_below(&r, 2) == 0)
                continue;
            if (p[i]) {
                ck_assert_uint_eq(pattern_mismatch(p[i], n[i], i), n[i]);
                wee_free(p[i]);
            }
            n[i] = prng_range(&r, 1, 2048);
            p[i] = wee_malloc(n[i]);
            ck_assert_ptr_nonnull(p[i]);
            pattern_fill(p[i], n[i], i);
        }
        if (round == rounds / 2)
            mid = stats_now().backend_bytes;
    }
    assert_within_bound("small-block churn with survivors");
    ck_assert_msg(stats_now().backend_bytes <= mid + mid / 8,
                  "backend bytes still growing: %zu at round %d, %zu at the "
                  "end", mid, rounds / 2, stats_now().backend_bytes);
    for (i = 0; i < SLOTS; i++)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
}
END_TEST

/* ------------------------------------------------------------ mixed churn */

static size_t
mixed_size(struct prng *r)
{
    size_t pick = prng_below(r, 1000);

    if (pick < 600)
        return prng_range(r, 0, 256);
    if (pick < 850)
        return prng_range(r, 257, 4096);
    if (pick < 970)
        return prng_range(r, 4097, 65536);
    return prng_range(r, 65537, MIB);
}

/*
 * Random frees, mallocs and reallocs of mixed sizes, from a few bytes to a
 * mebibyte, on a pool of `slots` blocks.
 */
static void
mixed_churn(size_t slots, long ops, uint64_t seed)
{
    unsigned char **p = calloc(slots, sizeof *p);
    size_t *n = calloc(slots, sizeof *n);
    struct prng r;
    size_t mid = 0, i;
    long op;

    ck_assert(p != NULL && n != NULL);
    prng_seed(&r, seed);
    for (op = 0; op < ops; op++) {
        i = prng_below(&r, slots);
        if (p[i] && prng_below(&r, 10) == 0) {
            size_t size = mixed_size(&r) + 1;
            unsigned char *q = wee_realloc(p[i], size);

            ck_assert_msg(q != NULL, "seed %llu op %ld: realloc to %zu failed",
                          (unsigned long long)seed, op, size);
            ck_assert_msg(n[i] == 0 || q[0] == 0xab,
                          "seed %llu op %ld: realloc lost the contents",
                          (unsigned long long)seed, op);
            p[i] = q;
            n[i] = size;
            touch(p[i], n[i]);
        } else if (p[i]) {
            ck_assert_msg(n[i] == 0 || (p[i][0] == 0xab && (n[i] == 1
                                        || p[i][n[i] - 1] == 0xef)),
                          "seed %llu op %ld: block %zu corrupted",
                          (unsigned long long)seed, op, i);
            wee_free(p[i]);
            p[i] = NULL;
        } else {
            n[i] = mixed_size(&r);
            p[i] = wee_malloc(n[i]);
            ck_assert_msg(p[i] != NULL, "seed %llu op %ld: malloc(%zu) "
                          "failed", (unsigned long long)seed, op, n[i]);
            touch(p[i], n[i]);
        }
        if (op == ops / 2)
            mid = stats_now().backend_bytes;
    }
    {
        struct wee_stats s = stats_now();

        ck_assert_msg(!BACKEND_PAGES_ADJACENT
                      || s.backend_bytes <= 2 * s.peak_in_use_bytes + MIB,
                      "seed %llu: %zu backend bytes for a peak of %zu bytes "
                      "in use", (unsigned long long)seed, s.backend_bytes,
                      s.peak_in_use_bytes);
        ck_assert_msg(!BACKEND_PAGES_ADJACENT
                      || s.backend_bytes <= mid + mid / 4 + MIB,
                      "seed %llu: backend bytes still growing: %zu half-way, "
                      "%zu at the end", (unsigned long long)seed, mid,
                      s.backend_bytes);
    }
    for (i = 0; i < slots; i++)
        wee_free(p[i]);
    ck_assert_int_eq(wee_check(), WEE_CHECK_OK);
    free(p);
    free(n);
}

START_TEST(test_mixed_size_churn_stays_within_twice_peak_in_use)
{
    /* 2048 slots may need 128 MiB of heap: fewer on a smaller static array. */
    mixed_churn(scale_to_backend(2048, (size_t)128 << 20), 300000 / CHURN_SCALE,
                seed_from_env("WEE_TEST_SEED", 20220324));
}
END_TEST

/* The original's worst case without size classes: 118 MB from the backend
 * for 77 KB live.  A small live set must keep a small heap. */
START_TEST(test_small_live_set_churn_keeps_backend_bytes_small)
{
    mixed_churn(16, 300000 / CHURN_SCALE,
                seed_from_env("WEE_TEST_SEED", 77));
}
END_TEST

/* A block that outgrows a fresh heap takes only the pages it lacks: the
 * new pages join the heap's free cell (earlier versions took a whole
 * region's worth).  The static array and wasm memory always place them
 * right after the heap; mmap, right before it when that room is free,
 * which it need not be (the kernel may have put the first page in a hole
 * between other mappings): then the block gets a region of its own. */
START_TEST(test_growth_takes_only_the_pages_a_block_lacks)
{
    /* The backend's unit (lib/backend.h): the static array's is 4 KiB. */
    const size_t page = WEE_ALLOC_BACKEND_STATIC ? 4096 : 64 * 1024;
    wee_heap *heap = wee_heap_new();
    struct wee_stats s;
    size_t first;
    void *p;

    ck_assert_ptr_nonnull(heap);
    wee_heap_stats(heap, &s);
    /* The heap's state and its first free cell, in as few units as hold
     * them (a 4 KiB unit is too small for the state on 64-bit hosts). */
    first = s.backend_bytes;
    ck_assert_uint_eq(first % page, 0);
    /* More than the free cell of the first pages, less than it and a page. */
    p = wee_heap_malloc(heap, s.largest_free_cell + page / 2);
    ck_assert_ptr_nonnull(p);
    touch(p, s.largest_free_cell + page / 2);
    wee_heap_stats(heap, &s);
    if (WEE_ALLOC_BACKEND_STATIC || WEE_ALLOC_BACKEND_WASM)
        ck_assert_msg(s.backend_bytes == first + page,
                      "%zu backend bytes for a block that lacked less than a page "
                      "(expected %zu)", s.backend_bytes, first + page);
    else
        ck_assert_msg(s.backend_bytes == first + page || s.backend_bytes == first + 2 * page,
                      "%zu backend bytes for a block that lacked less than a page "
                      "(expected %zu, or %zu when the room before the heap was taken)",
                      s.backend_bytes, first + page, first + 2 * page);
    ck_assert_int_eq(wee_heap_check(heap, NULL), WEE_CHECK_OK);
    wee_heap_free(heap, p);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wee_alloc growth");
    SRunner *sr = srunner_create(s);
    TCase *tc = tcase_create("growth");

    /* Minutes rather than Check's default 4 s: these repeat a lot. */
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_issue_106_pattern_keeps_backend_bytes_constant,
                        0, (int)ARRAY_LEN(issue_106_pairs));
    tcase_add_test(tc, test_issue_106_pattern_around_a_live_block_keeps_backend_bytes_constant);
    tcase_add_test(tc, test_size_class_churn_levels_off);
    tcase_add_test(tc, test_one_block_in_every_size_class_takes_little_backend_memory);
    tcase_add_test(tc, test_small_block_churn_with_survivors_stays_bounded);
    tcase_add_test(tc, test_mixed_size_churn_stays_within_twice_peak_in_use);
    tcase_add_test(tc, test_small_live_set_churn_keeps_backend_bytes_small);
    tcase_add_test(tc, test_growth_takes_only_the_pages_a_block_lacks);
    suite_add_tcase(s, tc);
    return run_suite(sr);
}
