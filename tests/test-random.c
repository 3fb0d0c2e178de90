/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-random - random operation sequences against the wee_alloc heap.
 *
 * In the spirit of the original's quickcheck suite: for each of a fixed
 * set of seeds, run a long random sequence of allocations, reallocations
 * and frees, and keep a shadow model of every live block:
 *
 *   live[i] = { pointer, requested size, usable size, alignment, id }
 *
 * What is checked, on every operation:
 *   - every pointer is aligned to MIN_ALIGN (the larger of 2 * sizeof(void *)
 *     and max_align_t's alignment) or to the alignment that was asked for;
 *   - wee_malloc_usable_size() is at least the requested size;
 *   - a new block overlaps no live block (zero-size blocks count as one
 *     byte, so their pointers must be unique too);
 *   - calloc memory reads as zero;
 *   - every block is filled over its whole usable size with a pattern
 *     derived from its id, and the pattern is verified before the block is
 *     freed or reallocated (realloc must keep the first min(old, new)
 *     requested bytes) and once more at the end.
 * Every CHECK_EVERY operations, and at the end:
 *   - wee_check() returns 0;
 *   - wee_stats().in_use_bytes equals the sum of the live blocks' usable
 *     sizes (the header promises exactly that).
 * Every TRIM_EVERY operations wee_trim() gives the pages of free memory
 * back to the system, and the checks go on as before: no live block may
 * notice.  At the end of each seed every block is freed and in_use_bytes
 * is 0, and wee_trim() gives pages back where the backend can (mmap,
 * VirtualAlloc; not with extra assertions), and nothing elsewhere.
 *
 * Usage:  test-random              run every built-in seed
 *         test-random SEED [OPS]   re-run one seed (printed on failure)
 *
 * Exit status: 0 when everything held, 1 on the first failure, with a
 * message naming the seed and the operation index, 2 on a usage error.
 *
 * The program needs only stdio, exit() and the wee_alloc API, so that the
 * same source runs on the cross targets (wine, wasm32-wasi, bare metal).
 * The live blocks stay well inside the heap's room: 8 MiB at most, blocks
 * of up to 1 MiB, and with the static backend no more than a quarter of
 * its array live and no block above a 32nd of it (the same with the
 * default array of 32 MiB; less on a board with little RAM).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wee_alloc.h"

#define WORD_BYTES   (sizeof(void *))
#define MIN_ALIGN    (_Alignof(max_align_t) > 2 * WORD_BYTES \
                      ? _Alignof(max_align_t) : 2 * WORD_BYTES)

/*
 * With extra assertions every operation walks the heap, so the default run
 * is shorter there (the seeds stay the same).
 */
#if WEE_ALLOC_EXTRA_ASSERTIONS
#  define DEFAULT_OPS 20000ul
#else
#  define DEFAULT_OPS 50000ul
#endif

#define CHECK_EVERY     1000ul
#define TRIM_EVERY      7000ul
/* Does wee_trim give pages back here (wee_alloc.h)? */
#define TRIM_GIVES_BACK ((WEE_ALLOC_BACKEND_MMAP || WEE_ALLOC_BACKEND_VIRTUALALLOC) \
                         && !WEE_ALLOC_EXTRA_ASSERTIONS)
#define KIB ((size_t)1024)
#define MIB ((size_t)1024 * 1024)

/* Bounds on the shadow model: keep the O(n) overlap scan and memory cheap,
 * and the heap's room ample. */
#define MAX_LIVE        2048u
#if WEE_ALLOC_BACKEND_STATIC && WEE_STATIC_ARRAY_BYTES < 33554432 /* 32 MiB */
#  define MAX_LIVE_BYTES  ((size_t)WEE_STATIC_ARRAY_BYTES / 4)
#  define MAX_BLOCK       ((size_t)WEE_STATIC_ARRAY_BYTES / 32 > 64 * KIB + 1 \
                           ? (size_t)WEE_STATIC_ARRAY_BYTES / 32 : 64 * KIB + 1)
#else
#  define MAX_LIVE_BYTES  (8 * MIB)
#  define MAX_BLOCK       (1 * MIB)
#endif

static const unsigned long default_seeds[] = {
    1, 2, 3, 42, 1234, 65537, 20180401, 3735928559ul
};
#define N_DEFAULT_SEEDS (sizeof(default_seeds) / sizeof(default_seeds[0]))

/* ------------------------------------------------------------------ */
/* Failure reporting: every message names the seed and the operation.  */
/* (Sizes are printed as unsigned long: newlib's printf, on bare metal,  */
/* has no %zu.)                                                          */

static unsigned long current_seed;
static unsigned long current_op;

static void fail(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "test-random: FAIL: seed %lu, operation %lu: ",
            current_seed, current_op);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntest-random: re-run with: test-random %lu\n",
            current_seed);
    exit(1);
}

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, small and the same on every host.       */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A number in [0, n), n > 0. */
static size_t rng_below(size_t n)
{
    return (size_t)(rng_next() % n);
}

/* A number in [lo, hi]. */
static size_t rng_range(size_t lo, size_t hi)
{
    return lo + rng_below(hi - lo + 1);
}

/*
 * Request sizes, per mille:
 *    20  zero
 *   500  small, 1..64 bytes
 *   150  boundary of the size classes, 254..258 words (255-257 words and
 *        the bytes either side)
 *   130  medium, 65 bytes..4 KiB
 *   190  large, 4 KiB..64 KiB
 *    10  multi-page, 64 KiB..1 MiB
 */
static size_t draw_size(void)
{
    size_t r = rng_below(1000);

    if (r < 20)
        return 0;
    if (r < 520)
        return rng_range(1, 64);
    if (r < 670)
        return rng_range(254 * WORD_BYTES + 1, 258 * WORD_BYTES);
    if (r < 800)
        return rng_range(65, 4 * KIB);
    if (r < 990)
        return rng_range(4 * KIB + 1, 64 * KIB);
    return rng_range(64 * KIB + 1, MAX_BLOCK);
}

/* ------------------------------------------------------------------ */
/* Block patterns.                                                      */

/*
 * The pattern of block `id` is a sequence of 32-bit words; word k depends
 * on both id and k, so a block written through another block's pointer,
 * or shifted, does not verify.  Blocks are at least 8-byte aligned, so the
 * words are written in place; the last partial word is written bytewise
 * from the same word value, which keeps a realloc'd prefix comparable.
 */
static uint32_t pattern_word(uint64_t id, size_t k)
{
    uint32_t x = (uint32_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 32);

    x ^= (uint32_t)k * 0x85EBCA6Bu;
    x ^= x >> 15;
    return x | 1u; /* never zero, so freshly zeroed memory never verifies */
}

static void pattern_fill(unsigned char *p, size_t n, uint64_t id)
{
    uint32_t *w = (uint32_t *)(void *)p;
    size_t words = n / 4, k, i;
    union { uint32_t w; unsigned char b[4]; } tail;

    for (k = 0; k < words; k++)
        w[k] = pattern_word(id, k);
    tail.w = pattern_word(id, words);
    for (i = 0; i < n % 4; i++)
        p[words * 4 + i] = tail.b[i];
}

/* The offset of the first byte in p[0..n) that differs, or n. */
static size_t pattern_mismatch(const unsigned char *p, size_t n, uint64_t id)
{
    const uint32_t *w = (const uint32_t *)(const void *)p;
    size_t words = n / 4, k, i, len;
    union { uint32_t w; unsigned char b[4]; } want;

    for (k = 0; k < words; k++) {
        if (w[k] != pattern_word(id, k))
            break;
    }
    /* Find the byte within the first differing word, or the tail. */
    want.w = pattern_word(id, k);
    len = k < words ? 4 : n % 4;
    for (i = 0; i < len; i++) {
        if (p[k * 4 + i] != want.b[i])
            return k * 4 + i;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* The shadow model.                                                    */

struct block {
    unsigned char *p;
    size_t size;      /* requested */
    size_t usable;    /* wee_malloc_usable_size() when allocated */
    size_t align;     /* the alignment that must hold */
    uint64_t id;
};

static struct block live[MAX_LIVE];
static size_t n_live;
static size_t live_bytes;   /* sum of requested sizes */
static uint64_t next_id;

/* Bytes the block occupies for the overlap check: at least one. */
static size_t footprint(const struct block *b)
{
    return b->usable ? b->usable : 1;
}

static void verify_block(const struct block *b, size_t n, const char *when)
{
    size_t bad = pattern_mismatch(b->p, n, b->id);

    if (bad != n)
        fail("%s: block id %lu at %p (size %lu, usable %lu): pattern "
             "broken at offset %lu of %lu checked",
             when, (unsigned long)b->id, (void *)b->p, (unsigned long)b->size,
             (unsigned long)b->usable, (unsigned long)bad, (unsigned long)n);
}

/*
 * Check a block that was just returned, fill its pattern and record it.
 * `zeroed` asks to verify that the requested bytes read as zero first.
 */
static void admit_block(struct block *b, const char *what, int zeroed)
{
    uintptr_t a = (uintptr_t)b->p, lo, hi;
    size_t i, need_align = b->align > MIN_ALIGN ? b->align : MIN_ALIGN;

    if (b->p == NULL)
        fail("%s(%lu) returned NULL", what, (unsigned long)b->size);
    if (a % need_align != 0)
        fail("%s(%lu) returned %p, not aligned to %lu", what, (unsigned long)b->size,
             (void *)b->p, (unsigned long)need_align);
    b->usable = wee_malloc_usable_size(b->p);
    if (b->usable < b->size)
        fail("%s(%lu) returned %p with usable size %lu", what, (unsigned long)b->size,
             (void *)b->p, (unsigned long)b->usable);
    if (a + footprint(b) < a)
        fail("%s(%lu) returned %p, whose usable size %lu wraps around",
             what, (unsigned long)b->size, (void *)b->p, (unsigned long)b->usable);

    lo = a;
    hi = a + footprint(b);
    for (i = 0; i < n_live; i++) {
        uintptr_t olo = (uintptr_t)live[i].p;
        uintptr_t ohi = olo + footprint(&live[i]);

        if (lo < ohi && olo < hi)
            fail("%s(%lu) returned [%p, +%lu), overlapping live block id "
                 "%lu at [%p, +%lu)", what, (unsigned long)b->size, (void *)b->p,
                 (unsigned long)footprint(b), (unsigned long)live[i].id,
                 (void *)live[i].p, (unsigned long)footprint(&live[i]));
    }

    if (zeroed) {
        for (i = 0; i < b->size; i++) {
            if (b->p[i] != 0)
                fail("%s(%lu) returned %p whose byte %lu is 0x%02x, not 0",
                     what, (unsigned long)b->size, (void *)b->p, (unsigned long)i,
                     b->p[i]);
        }
    }
    pattern_fill(b->p, b->usable, b->id);
}

static void add_live(const struct block *b)
{
    live[n_live++] = *b;
    live_bytes += b->size;
}

static void remove_live(size_t i)
{
    live_bytes -= live[i].size;
    live[i] = live[--n_live];
}

/* ------------------------------------------------------------------ */
/* Operations.                                                          */

static void op_free(void)
{
    size_t i = rng_below(n_live);

    verify_block(&live[i], live[i].usable, "before wee_free");
    wee_free(live[i].p);
    remove_live(i);
}

static void op_malloc(void)
{
    struct block b = { NULL, draw_size(), 0, MIN_ALIGN, next_id++ };

    b.p = wee_malloc(b.size);
    admit_block(&b, "wee_malloc", 0);
    add_live(&b);
}

static void op_calloc(void)
{
    struct block b = { NULL, draw_size(), 0, MIN_ALIGN, next_id++ };
    size_t nmemb = 1, elem = b.size;

    /* Split the request into nmemb elements to exercise the product. */
    if (b.size > 0 && rng_below(2)) {
        nmemb = rng_range(1, 16);
        elem = b.size / nmemb;
        if (elem == 0)
            elem = 1, nmemb = b.size;
        b.size = nmemb * elem;
    }
    b.p = wee_calloc(nmemb, elem);
    admit_block(&b, "wee_calloc", 1);
    add_live(&b);
}

static size_t draw_alignment(size_t min_log2)
{
    /* 2^min_log2 .. 64 KiB, smaller alignments more often. */
    size_t log2 = min_log2 + rng_below(17 - min_log2);

    if (rng_below(2))
        log2 = min_log2 + rng_below(log2 - min_log2 + 1);
    return (size_t)1 << log2;
}

static void op_aligned_alloc(void)
{
    /* Any power of two, also below MIN_ALIGN (which must then hold). */
    struct block b = { NULL, draw_size(), 0, draw_alignment(0), next_id++ };

    b.p = wee_aligned_alloc(b.align, b.size);
    admit_block(&b, "wee_aligned_alloc", 0);
    add_live(&b);
}

static void op_posix_memalign(void)
{
    struct block b = { NULL, draw_size(), 0, draw_alignment(4), next_id++ };
    void *p = NULL;
    int rc;

    rc = wee_posix_memalign(&p, b.align, b.size);
    if (rc != 0)
        fail("wee_posix_memalign(%lu, %lu) returned %d", (unsigned long)b.align,
             (unsigned long)b.size, rc);
    b.p = p;
    admit_block(&b, "wee_posix_memalign", 0);
    add_live(&b);
}

static void op_realloc(void)
{
    size_t i, new_size, keep;
    struct block b;
    void *old;

    if (n_live == 0 || rng_below(25) == 0) {
        /* realloc(NULL, n) is malloc(n). */
        b.p = NULL;
        b.size = draw_size();
        b.usable = 0;
        b.align = MIN_ALIGN;
        b.id = next_id++;
        b.p = wee_realloc(NULL, b.size);
        admit_block(&b, "wee_realloc(NULL)", 0);
        add_live(&b);
        return;
    }

    i = rng_below(n_live);
    b = live[i];
    verify_block(&b, b.usable, "before wee_realloc");

    switch (rng_below(8)) {
    case 0: /* halved, or once in 8 to zero, which frees the block */
        new_size = rng_below(8) ? b.size / 2 : 0;
        break;
    case 1: case 2: /* a little smaller, the shrink-in-place path */
        new_size = b.size - rng_below(b.size / 2 + 1);
        break;
    case 3: case 4: /* a little larger, the grow-in-place path */
        new_size = b.size + rng_range(1, 4 * WORD_BYTES + b.size / 4);
        break;
    default: /* anything */
        new_size = draw_size();
        break;
    }
    if (new_size > b.size && live_bytes - b.size + new_size > MAX_LIVE_BYTES)
        new_size = b.size / 2;

    remove_live(i);
    old = b.p;
    b.p = wee_realloc(old, new_size);
    if (new_size == 0) {
        if (b.p != NULL)
            fail("wee_realloc(p, 0) returned %p, not NULL", (void *)b.p);
        return;
    }
    if (b.p == NULL)
        fail("wee_realloc(%p, %lu) returned NULL", old, (unsigned long)new_size);

    /* The kept prefix must still hold the block's pattern. */
    keep = b.size < new_size ? b.size : new_size;
    b.size = new_size;
    b.usable = wee_malloc_usable_size(b.p);
    if (b.usable < keep)
        fail("wee_realloc(%lu) returned %p with usable size %lu",
             (unsigned long)new_size, (void *)b.p, (unsigned long)b.usable);
    verify_block(&b, keep, "after wee_realloc");
    b.align = MIN_ALIGN; /* realloc promises only MIN_ALIGN */
    admit_block(&b, "wee_realloc", 0);
    add_live(&b);
}

/* ------------------------------------------------------------------ */
/* Whole-heap checks.                                                   */

static void check_heap(const char *when)
{
    struct wee_stats st;
    size_t i, usable = 0;
    int rc = wee_check();

    if (rc != 0)
        fail("%s: wee_check() = %d (%s)", when, rc, wee_check_describe(rc));
    for (i = 0; i < n_live; i++)
        usable += live[i].usable;
    wee_stats(&st);
    if (st.in_use_bytes != usable)
        fail("%s: wee_stats().in_use_bytes = %lu, but the %lu live blocks "
             "have %lu usable bytes", when, (unsigned long)st.in_use_bytes,
             (unsigned long)n_live, (unsigned long)usable);
    if (st.peak_in_use_bytes < st.in_use_bytes)
        fail("%s: peak_in_use_bytes %lu < in_use_bytes %lu", when,
             (unsigned long)st.peak_in_use_bytes, (unsigned long)st.in_use_bytes);
}

/*
 * One seed.  The run goes through phases of random length that lean
 * towards allocating or towards freeing, so the heap both grows and
 * drains; the free rate is per mille.
 */
static void run_seed(unsigned long seed, unsigned long ops)
{
    static const size_t free_rates[] = { 200, 350, 500, 650 };
    size_t free_rate = free_rates[0], phase_left = 0, max_live = 0;
    size_t peak_live_bytes = 0, given;
    struct wee_stats st;

    current_seed = seed;
    current_op = 0;
    rng_state = seed;
    n_live = 0;
    live_bytes = 0;
    next_id = 0;
    printf("test-random: seed %lu, %lu operations\n", seed, ops);
    fflush(stdout);

    for (current_op = 0; current_op < ops; current_op++) {
        size_t r;

        if (phase_left == 0) {
            free_rate = free_rates[rng_below(4)];
            phase_left = rng_range(500, 5000);
        }
        phase_left--;

        if (n_live > 0 && (n_live == MAX_LIVE || live_bytes > MAX_LIVE_BYTES
                           || rng_below(1000) < free_rate)) {
            op_free();
        } else {
            r = rng_below(100);
            if (r < 55)
                op_malloc();
            else if (r < 65)
                op_calloc();
            else if (r < 85)
                op_realloc();
            else if (r < 93)
                op_aligned_alloc();
            else
                op_posix_memalign();
        }
        if (n_live > max_live)
            max_live = n_live;
        if (live_bytes > peak_live_bytes)
            peak_live_bytes = live_bytes;
        if ((current_op + 1) % CHECK_EVERY == 0)
            check_heap("periodic check");
        if ((current_op + 1) % TRIM_EVERY == 0) {
            wee_trim();
            check_heap("after wee_trim");
        }
    }

    /* The end: verify everything, free everything, the heap is empty. */
    {
        size_t i;

        for (i = 0; i < n_live; i++)
            verify_block(&live[i], live[i].usable, "at the end");
    }
    check_heap("at the end, before freeing");
    while (n_live > 0) {
        wee_free(live[n_live - 1].p);
        remove_live(n_live - 1);
    }
    check_heap("at the end, after freeing everything");
    wee_stats(&st);
    if (st.in_use_bytes != 0)
        fail("in_use_bytes is %lu after freeing everything",
             (unsigned long)st.in_use_bytes);
    /* The whole heap is free: every page but those holding a free
     * block's links can go. */
    given = wee_trim();
    check_heap("at the end, after wee_trim");
    if (TRIM_GIVES_BACK ? given == 0 : given != 0)
        fail("wee_trim() gave back %lu bytes of a free heap of %lu",
             (unsigned long)given, (unsigned long)st.backend_bytes);
    printf("test-random: seed %lu passed: max %lu live blocks, peak %lu live "
           "bytes, %lu backend bytes so far, %lu given back by wee_trim\n", seed,
           (unsigned long)max_live, (unsigned long)peak_live_bytes,
           (unsigned long)st.backend_bytes, (unsigned long)given);
    fflush(stdout);
}

/* A decimal number that fits in unsigned long, or -1. */
static int parse_ulong(const char *s, unsigned long *out)
{
    unsigned long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > ((unsigned long)-1 - (unsigned long)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long seed, ops = DEFAULT_OPS;
    size_t i;

    if (argc > 3 || (argc >= 2 && parse_ulong(argv[1], &seed) != 0)
        || (argc == 3 && parse_ulong(argv[2], &ops) != 0)) {
        fprintf(stderr, "usage: test-random [SEED [OPS]]\n");
        return 2;
    }
    if (WEE_ALLOC_EXTRA_ASSERTIONS && argc < 3)
        printf("test-random: extra assertions are on: %lu operations per "
               "seed instead of 50000\n", ops);
    if (argc >= 2) {
        run_seed(seed, ops);
    } else {
        for (i = 0; i < N_DEFAULT_SEEDS; i++)
            run_seed(default_seeds[i], ops);
    }
    printf("test-random: PASS\n");
    return 0;
}
