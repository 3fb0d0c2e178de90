/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-threads.c - four threads hammer the one default heap at once.
 *
 * Each thread runs its own fixed-seed sequence of random malloc, calloc,
 * realloc, aligned_alloc, posix_memalign and free calls on blocks of mixed
 * sizes, with every live block holding a pattern derived from its id that
 * is verified before the block is freed or resized.  Meanwhile the main
 * thread calls wee_check() and wee_stats(), which take the same lock.  At
 * the end every block is freed, the heap must check clean and hold nothing.
 * And a double free by a second thread must abort.
 *
 * Re-run a failure with WEE_TEST_SEED=<the printed base seed>.
 */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#  define _XOPEN_SOURCE 700 /* nanosleep */
#  define _DEFAULT_SOURCE 1 /* mincore (check-helpers.h) */
#endif

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "wee_alloc.h"
#include "check-helpers.h"

#define THREADS 4
/* Live blocks per thread: 512, fewer on a static array smaller than the
 * 128 MiB the four threads may need (check-helpers.h). */
#define SLOTS   scale_to_backend(512, (size_t)128 << 20)

/*
 * 200 000 operations per thread, as the issue asks.  Extra assertions check
 * every invariant of the heap on each call and verify the poison of every
 * cell handed out, which makes each operation many times slower; those
 * builds run a tenth of the operations.
 */
#if WEE_ALLOC_EXTRA_ASSERTIONS
#  define OPS_PER_THREAD 20000
#else
#  define OPS_PER_THREAD 200000
#endif

/* Blocks up to this size are filled and verified in full; larger ones in
 * their first and last SPAN bytes and at every STRIDE-th byte between. */
#define FULL_CHECK 16384
#define SPAN 8192
#define STRIDE 4093

struct slot {
    unsigned char *p;
    size_t n;
    uint64_t id;
};

/* How many workers have finished, for the main thread's checking loop. */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static int done_count;

struct worker {
    pthread_t thread;
    int index;
    uint64_t seed;
    long ops_done;
    char failure[512]; /* empty while all is well */
};

static void
fill(unsigned char *p, size_t n, uint64_t id)
{
    size_t i;
    unsigned char base = pattern_base(id);

    if (n <= FULL_CHECK) {
        pattern_fill(p, n, id);
        return;
    }
    pattern_fill(p, SPAN, id);
    for (i = SPAN; i < n - SPAN; i += STRIDE)
        p[i] = (unsigned char)(base + i);
    for (i = n - SPAN; i < n; i++)
        p[i] = (unsigned char)(base + i);
}

/*
 * The first offset below `limit` that does not hold the pattern fill(p, n,
 * id) wrote, or `limit` when all do.  limit < n checks the prefix that
 * realloc must have kept.
 */
static size_t
verify(const unsigned char *p, size_t n, uint64_t id, size_t limit)
{
    size_t i, head;
    unsigned char base = pattern_base(id);

    if (limit > n)
        limit = n;
    if (n <= FULL_CHECK)
        return pattern_mismatch(p, limit, id);
    head = limit < SPAN ? limit : SPAN;
    i = pattern_mismatch(p, head, id);
    if (i != head)
        return i;
    for (i = SPAN; i < n - SPAN && i < limit; i += STRIDE)
        if (p[i] != (unsigned char)(base + i))
            return i;
    for (i = n - SPAN; i < limit; i++)
        if (p[i] != (unsigned char)(base + i))
            return i;
    return limit;
}

/* Zero in the places verify() would look at. */
static size_t
verify_zero(const unsigned char *p, size_t n)
{
    size_t i;

    if (n <= FULL_CHECK)
        return first_nonzero(p, n);
    i = first_nonzero(p, SPAN);
    if (i != SPAN)
        return i;
    for (i = SPAN; i < n - SPAN; i += STRIDE)
        if (p[i] != 0)
            return i;
    i = first_nonzero(p + n - SPAN, SPAN);
    return i == SPAN ? n : n - SPAN + i;
}

static size_t
random_size(struct prng *r)
{
    size_t pick = prng_below(r, 1000);

    if (pick < 550)
        return prng_range(r, 0, 128);
    if (pick < 650) /* around the largest size class: 255-257 words */
        return prng_range(r, 255 * sizeof(void *) - 16,
                          257 * sizeof(void *) + 16);
    if (pick < 880)
        return prng_range(r, 129, 4096);
    if (pick < 980)
        return prng_range(r, 4097, 65536);
    if (pick < 997)
        return prng_range(r, 65537, 262144);
    return prng_range(r, 262145, 1 << 20);
}

#define FAIL(w, op, ...)                                                  \
    do {                                                                  \
        int len_ = snprintf((w)->failure, sizeof (w)->failure,            \
                            "thread %d (seed %llu) op %ld: ", (w)->index, \
                            (unsigned long long)(w)->seed, (long)(op));   \
        if (len_ > 0 && (size_t)len_ < sizeof (w)->failure)               \
            snprintf((w)->failure + len_, sizeof (w)->failure - len_,     \
                     __VA_ARGS__);                                        \
        goto out;                                                         \
    } while (0)

static void *
work(void *arg)
{
    struct worker *w = arg;
    struct slot *slot = calloc(SLOTS, sizeof *slot);
    uint64_t next_id = (uint64_t)w->index << 48;
    struct prng r;
    long op;
    size_t i;

    if (!slot) {
        snprintf(w->failure, sizeof w->failure, "thread %d: no memory for "
                 "its slots", w->index);
        return NULL;
    }
    prng_seed(&r, w->seed);
    for (op = 0; op < OPS_PER_THREAD; op++) {
        struct slot *s = &slot[prng_below(&r, SLOTS)];
        size_t kind = prng_below(&r, 100);
        size_t n = random_size(&r);
        size_t align = TEST_MIN_ALIGN;
        unsigned char *p;
        size_t bad;

        if (s->p) {
            bad = verify(s->p, s->n, s->id, s->n);
            if (bad != s->n)
                FAIL(w, op, "block %p of %zu bytes (id %llx) corrupted at "
                     "offset %zu", (void *)s->p, s->n,
                     (unsigned long long)s->id, bad);
            if (kind < 60) {
                wee_free(s->p);
                s->p = NULL;
                continue;
            }
            p = wee_realloc(s->p, n);
            if (n == 0) {
                /* realloc(p, 0) frees p and returns NULL. */
                if (p != NULL)
                    FAIL(w, op, "wee_realloc(p, 0) returned %p", (void *)p);
                s->p = NULL;
                continue;
            }
            if (!p)
                FAIL(w, op, "wee_realloc(%p, %zu) failed, errno %d",
                     (void *)s->p, n, errno);
            s->p = p; /* the old pointer is gone, even if the check fails */
            bad = verify(p, s->n, s->id, n);
            if (bad != (n < s->n ? n : s->n))
                FAIL(w, op, "wee_realloc(%zu -> %zu bytes) lost byte %zu",
                     s->n, n, bad);
        } else if (kind < 50) {
            p = wee_malloc(n);
            if (!p)
                FAIL(w, op, "wee_malloc(%zu) failed", n);
        } else if (kind < 65) {
            size_t count = prng_range(&r, 1, 4);

            n = n / count * count;
            p = wee_calloc(count, n / count);
            if (!p)
                FAIL(w, op, "wee_calloc(%zu, %zu) failed", count, n / count);
            bad = verify_zero(p, n);
            if (bad != n)
                FAIL(w, op, "wee_calloc(%zu, %zu) = %p: byte %zu not zero",
                     count, n / count, (void *)p, bad);
        } else if (kind < 80) {
            align = (size_t)1 << prng_below(&r, 14);
            p = wee_aligned_alloc(align, n);
            if (!p)
                FAIL(w, op, "wee_aligned_alloc(%zu, %zu) failed", align, n);
        } else if (kind < 90) {
            void *q = NULL;
            int rc;

            align = sizeof(void *) << prng_below(&r, 10);
            rc = wee_posix_memalign(&q, align, n);
            if (rc != 0)
                FAIL(w, op, "wee_posix_memalign(.., %zu, %zu) = %d", align, n,
                     rc);
            p = q;
        } else {
            p = wee_realloc(NULL, n);
            if (!p)
                FAIL(w, op, "wee_realloc(NULL, %zu) failed", n);
        }
        if (align < TEST_MIN_ALIGN)
            align = TEST_MIN_ALIGN;
        if (!is_aligned(p, align))
            FAIL(w, op, "%p (%zu bytes) is not %zu-aligned", (void *)p, n,
                 align);
        if (wee_malloc_usable_size(p) < n)
            FAIL(w, op, "%p: usable size %zu < %zu requested", (void *)p,
                 wee_malloc_usable_size(p), n);
        s->p = p;
        s->n = n;
        s->id = next_id++;
        fill(s->p, s->n, s->id);
    }
out:
    w->ops_done = op;
    /* Free what is left, also after a failure, so the heap can be checked. */
    for (i = 0; i < SLOTS; i++)
        wee_free(slot[i].p);
    free(slot);
    pthread_mutex_lock(&done_lock);
    done_count++;
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

START_TEST(test_four_threads_share_the_heap_safely)
{
    static struct worker w[THREADS];
    uint64_t base = seed_from_env("WEE_TEST_SEED", 0x5eed2024);
    struct wee_stats before = stats_now(), after;
    int checks_failed = 0;
    int t, running, bad_check = 0;

    done_count = 0;
    for (t = 0; t < THREADS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].index = t;
        w[t].seed = base + (uint64_t)t * 0x9e3779b97f4a7c15u;
        ck_assert_int_eq(pthread_create(&w[t].thread, NULL, work, &w[t]), 0);
    }
    /* Check the heap while the workers use it: the lock must cover it. */
    do {
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        int code = wee_check();
        struct wee_stats s = stats_now();

        if (code != WEE_CHECK_OK && !checks_failed) {
            checks_failed = 1;
            bad_check = code;
        }
        if (s.largest_free_cell > s.free_bytes && !checks_failed)
            checks_failed = 2;
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&done_lock);
        running = done_count < THREADS;
        pthread_mutex_unlock(&done_lock);
    } while (running);
    for (t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_join(w[t].thread, NULL), 0);

    for (t = 0; t < THREADS; t++)
        ck_assert_msg(w[t].failure[0] == '\0', "%s (base seed %llu)",
                      w[t].failure, (unsigned long long)base);
    ck_assert_msg(checks_failed != 1, "wee_check() = %d (%s) while the "
                  "threads ran (base seed %llu)", bad_check,
                  wee_check_describe(bad_check), (unsigned long long)base);
    ck_assert_msg(checks_failed != 2, "wee_stats() while the threads ran: "
                  "largest free cell larger than all free bytes");
    for (t = 0; t < THREADS; t++)
        ck_assert_int_eq(w[t].ops_done, OPS_PER_THREAD);
    ck_assert_msg(wee_check() == WEE_CHECK_OK, "wee_check() = %d (%s) after "
                  "the threads freed everything (base seed %llu)",
                  wee_check(), wee_check_describe(wee_check()),
                  (unsigned long long)base);
    after = stats_now();
    ck_assert_msg(after.in_use_bytes == before.in_use_bytes,
                  "%zu bytes still in use after every block was freed "
                  "(%zu before; base seed %llu)", after.in_use_bytes,
                  before.in_use_bytes, (unsigned long long)base);
    ck_assert_uint_eq(after.failed_requests, before.failed_requests);
}
END_TEST

static void *
free_it(void *p)
{
    wee_free(p);
    return NULL;
}

/* In the child of run_in_child: free p from a thread of its own. */
static void
free_in_another_thread(void *p)
{
    pthread_t t;

    if (pthread_create(&t, NULL, free_it, p) == 0)
        pthread_join(t, NULL);
}

/*
 * A block that one thread freed, and that its cache holds, freed again by
 * another thread: the second free must abort, naming wee_free and the
 * block (the default build catches it by the first thread's slot in the
 * cache's key; builds without thread caches by the block's header).  On
 * 32-bit hosts the keys have no slots (lib/heap.h), and the default build
 * misses it, as README.md says: nothing to test there.
 */
START_TEST(test_double_free_by_another_thread_aborts)
{
    struct child_outcome o;
    void *p;

    if (sizeof(void *) < 8 && WEE_ALLOC_BACKEND_MMAP && !WEE_ALLOC_EXTRA_ASSERTIONS) {
        printf("not tested: this build misses a double free across threads\n");
        return;
    }
    p = wee_malloc(48);
    ck_assert_ptr_nonnull(p);
    wee_free(p); /* into this thread's cache, which the child inherits */
    run_in_child(free_in_another_thread, p, &o);
    expect_abort_message(&o, "wee_free", p);
    ck_assert_msg(strstr(o.err, "double free") != NULL,
                  "the abort message does not say \"double free\": \"%s\"", o.err);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wee_alloc threads");
    SRunner *sr = srunner_create(s);
    TCase *tc = tcase_create("threads");

    if (!WEE_ALLOC_THREADS) {
        printf("SKIP: this wee_alloc was built without a lock\n");
        srunner_free(sr);
        return 77;
    }
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_four_threads_share_the_heap_safely);
    tcase_add_test(tc, test_double_free_by_another_thread_aborts);
    suite_add_tcase(s, tc);
    return run_suite(sr);
}
