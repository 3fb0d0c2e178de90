/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-fault - failure injection: the backend refuses the Nth page request.
 *
 * The program is built from the core's sources and tests/backend-fault.c,
 * which counts the heap's requests for pages and refuses the ones it is
 * told to.  A fixed workload (malloc, calloc, realloc of every kind,
 * aligned_alloc, posix_memalign and free, with random sizes and
 * alignments) is first run without failures, to count its requests R; then,
 * for every N from 1 to R, it runs again in a fresh child process in which
 * request N fails, and checks:
 *
 *   - an API call returns NULL (posix_memalign ENOMEM) exactly when the
 *     backend refused a request during that call, with errno ENOMEM, and
 *     a failed realloc leaves its block as it was;
 *   - every live block still holds its pattern and wee_heap_check is 0;
 *   - when every request from N on fails (the backend is exhausted): every
 *     allocating function, asked for more than the largest free cell, fails
 *     the same way; then everything allocated before is freed (check 0,
 *     nothing in use) and each of those blocks, one at a time, is
 *     allocated again from the freed memory, without a single new request
 *     to the backend;
 *   - when only request N fails: the workload carries on to its end and
 *     the heap grows again as it needs.
 * Each N runs on the default heap (the wee_ functions) and on a heap from
 * wee_heap_new (the wee_heap_ functions; with N = 1 it is wee_heap_new that
 * must fail), with the backend's grants contiguous (one region) and with a
 * gap after each (one region per grant).
 *
 * Then, in a child of its own, impossible requests (SIZE_MAX and its
 * neighbours, SIZE_MAX/2, calloc products that overflow, alignments up to
 * 2^30 and beyond with huge sizes): each fails with ENOMEM or EINVAL
 * without a single request to the backend (the original's issue #100,
 * where such requests grew the heap before failing), and requests that are
 * possible on paper but larger than the backend can give take nothing.
 *
 * Usage: test-fault [SEED]   (default: three built-in seeds)
 * Exit status 0 when everything held, 1 with a message if not.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wee_alloc.h"

#include "backend-fault.h"

#define MIN_ALIGN (2 * sizeof(void *))
#define OPS 4000u
#define SLOTS 48u
#define KIB ((size_t)1024)

/* Exit status of a child whose workload never reached request N. */
#define NOT_REACHED 3

/* Each seed is a workload of its own (about ten growth points each). */
static const unsigned long default_seeds[] = { 20261127, 7, 4242 };
static unsigned long seed;

static void fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "test-fault: FAIL: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---- the heap under test: the default heap's functions or a heap's ---- */

static wee_heap *heap;      /* NULL: the plain wee_ functions */

static void *t_malloc(size_t n)
{
    return heap ? wee_heap_malloc(heap, n) : wee_malloc(n);
}

static void *t_calloc(size_t k, size_t n)
{
    return heap ? wee_heap_calloc(heap, k, n) : wee_calloc(k, n);
}

static void *t_realloc(void *p, size_t n)
{
    return heap ? wee_heap_realloc(heap, p, n) : wee_realloc(p, n);
}

static void *t_aligned(size_t a, size_t n)
{
    return heap ? wee_heap_aligned_alloc(heap, a, n) : wee_aligned_alloc(a, n);
}

static void t_free(void *p)
{
    if (heap)
        wee_heap_free(heap, p);
    else
        wee_free(p);
}

static size_t t_usable(const void *p)
{
    return heap ? wee_heap_usable_size(heap, p) : wee_malloc_usable_size(p);
}

/* posix_memalign has no heap variant: on a heap it is aligned_alloc. */
static void *t_memalign(size_t a, size_t n)
{
    void *p = (void *)&p;   /* must stay as it is on failure */
    int saved, r;

    if (heap)
        return t_aligned(a, n);
    saved = errno;
    r = wee_posix_memalign(&p, a, n);
    if (errno != saved)
        fail("wee_posix_memalign changed errno");
    if (r != 0) {
        if (p != (void *)&p)
            fail("wee_posix_memalign failed with %d but stored a pointer", r);
        errno = r;
        return NULL;
    }
    return p;
}

static void check_heap(const char *when)
{
    void *where = NULL;
    int r = wee_heap_check(heap, &where);

    if (r != WEE_CHECK_OK)
        fail("%s: wee_heap_check: %s at %p", when, wee_check_describe(r), where);
}

/* ---- live blocks and their patterns ---- */

struct block {
    unsigned char *p;
    size_t size;            /* requested */
    size_t align;           /* asked for (MIN_ALIGN for plain ones) */
    unsigned char tag;
};

static struct block live[SLOTS];

static unsigned long rng;

static unsigned long next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(struct block *b)
{
    size_t i;

    for (i = 0; i < b->size; i++)
        b->p[i] = (unsigned char)(b->tag + i * 7);
}

static void verify(const struct block *b, size_t upto, const char *when)
{
    size_t i;

    for (i = 0; i < upto && i < b->size; i++)
        if (b->p[i] != (unsigned char)(b->tag + i * 7))
            fail("%s: block %p of %zu bytes changed at byte %zu", when,
                 (void *)b->p, b->size, i);
}

static void verify_all(const char *when)
{
    unsigned i;

    for (i = 0; i < SLOTS; i++)
        if (live[i].p)
            verify(&live[i], live[i].size, when);
}

/* A new block: aligned, large enough, not overlapping any live one. */
static void accept(struct block *b, unsigned char *p, size_t size, size_t align,
                   const char *what)
{
    unsigned i;

    if ((uintptr_t)p % (align > MIN_ALIGN ? align : MIN_ALIGN) != 0)
        fail("%s(%zu) with alignment %zu returned %p", what, size, align, (void *)p);
    if (t_usable(p) < size)
        fail("%s(%zu): usable size %zu", what, size, t_usable(p));
    for (i = 0; i < SLOTS; i++) {
        const struct block *o = &live[i];
        if (o != b && o->p && p < o->p + (o->size ? o->size : 1)
            && o->p < p + (size ? size : 1))
            fail("%s(%zu) returned %p, overlapping %p (%zu bytes)", what, size,
                 (void *)p, (void *)o->p, o->size);
    }
    b->p = p;
    b->size = size;
    b->align = align;
    b->tag = (unsigned char)next_random();
    fill(b);
}

/* Sizes: mostly small, some medium, a few larger than a backend unit. */
static size_t random_size(void)
{
    unsigned long r = next_random() % 100;

    if (r < 70)
        return next_random() % 300;
    if (r < 92)
        return next_random() % (24 * KIB);
    if (r < 98)
        return 64 * KIB + next_random() % (200 * KIB);
    return 256 * KIB + next_random() % (1024 * KIB);
}

/* ---- the workload ---- */

struct outcome {
    int failed;             /* an API call returned NULL */
    unsigned failed_op;
};

/*
 * Run the workload until its end, or (exhaust) until the first call that
 * fails.  Checks that a call fails exactly when the backend refused a
 * request during it.  `exhaust` says whether every later request fails too.
 */
static struct outcome run_workload(int exhaust)
{
    struct outcome out = { 0, 0 };
    unsigned op;

    for (op = 0; op < OPS; op++) {
        unsigned slot = (unsigned)(next_random() % SLOTS);
        struct block *b = &live[slot];
        unsigned kind = (unsigned)(next_random() % 6);
        size_t size = random_size();
        size_t align = MIN_ALIGN;
        size_t refused_before = fault_refused();
        const char *what;
        unsigned char *p;
        int refused;

        if (b->p && kind != 3) {
            verify(b, b->size, "before free");
            t_free(b->p);
            b->p = NULL;
            continue;
        }
        errno = 0;
        switch (kind) {
        case 0:
            what = "malloc";
            p = t_malloc(size);
            break;
        case 1:
            what = "calloc";
            p = t_calloc(size / 8 + 1, 8);
            if (p) {
                size_t i;
                for (i = 0; i < size / 8 * 8 + 8; i++)
                    if (p[i])
                        fail("calloc: byte %zu of %p is not zero", i, (void *)p);
            }
            size = size / 8 * 8 + 8;
            break;
        case 2:
            what = "aligned_alloc";
            align = (size_t)1 << (next_random() % 17);
            p = t_aligned(align, size);
            break;
        case 3:
            what = b->p ? "realloc" : "realloc(NULL)";
            if (b->p)
                verify(b, b->size, "before realloc");
            p = t_realloc(b->p, size ? size : 1);
            if (size == 0)
                size = 1;
            if (p && b->p) {
                /* The kept prefix moves with the block. */
                b->p = p;
                verify(b, b->size < size ? b->size : size, "after realloc");
            }
            break;
        case 4:
            what = "posix_memalign";
            align = sizeof(void *) << (next_random() % 14);
            p = t_memalign(align, size);
            break;
        default:
            what = "realloc(NULL)";
            p = t_realloc(NULL, size);
            break;
        }
        refused = fault_refused() != refused_before;
        if (!p) {
            if (!refused)
                fail("op %u: %s(%zu) returned NULL but the backend refused nothing",
                     op, what, size);
            if (errno != ENOMEM)
                fail("op %u: %s(%zu) failed with errno %d, not ENOMEM", op, what,
                     size, errno);
            if (b->p)
                verify(b, b->size, "after a failed realloc");
            out.failed = 1;
            out.failed_op = op;
            if (exhaust)
                return out;
            continue;
        }
        if (refused && exhaust)
            fail("op %u: %s(%zu) succeeded although the backend refused a "
                 "request during it and every request since", op, what, size);
        accept(b, p, size, align, what);
    }
    return out;
}

/* After the backend is exhausted: asking for more than the largest free
 * cell fails with every function, and the heap stays consistent. */
static void check_every_call_fails(void)
{
    struct wee_stats st;
    size_t big, i;
    struct block *some = NULL;

    wee_heap_stats(heap, &st);
    big = st.largest_free_cell + 64;
    for (i = 0; i < SLOTS; i++)
        if (live[i].p)
            some = &live[i];

#define EXPECT_ENOMEM(expr, name)                                           \
    do {                                                                    \
        size_t refused_before = fault_refused();                            \
        errno = 0;                                                          \
        if ((expr) != NULL)                                                 \
            fail("exhausted: %s of %zu bytes succeeded", name, big);        \
        if (errno != ENOMEM)                                                \
            fail("exhausted: %s failed with errno %d", name, errno);        \
        if (fault_refused() == refused_before)                              \
            fail("exhausted: %s failed without asking the backend", name);  \
    } while (0)

    EXPECT_ENOMEM(t_malloc(big), "malloc");
    EXPECT_ENOMEM(t_calloc(1, big), "calloc");
    EXPECT_ENOMEM(t_realloc(NULL, big), "realloc(NULL)");
    EXPECT_ENOMEM(t_aligned(64, big), "aligned_alloc");
    EXPECT_ENOMEM(t_aligned(4096, big), "aligned_alloc");
    EXPECT_ENOMEM(t_memalign(64, big), "posix_memalign");
    if (some) {
        size_t more = t_usable(some->p) + big;
        EXPECT_ENOMEM(t_realloc(some->p, more), "realloc");
        verify(some, some->size, "after a failed realloc");
    }
#undef EXPECT_ENOMEM
    wee_heap_stats(heap, &st);
    if (st.failed_requests == 0)
        fail("exhausted: stats count no failed request");
    verify_all("after the failed calls");
    check_heap("after the failed calls");
}

/* Free everything; then each block that was live, one at a time, is
 * allocated again from the freed memory, without asking the backend. */
static void check_free_and_reuse(void)
{
    struct block again[SLOTS];
    struct wee_stats st;
    size_t requests = fault_requests(), given;
    unsigned i;

    /* The fault backend scribbles over what a trim gives back: no live
     * block, header or free block's links may be among it. */
    given = wee_heap_trim(heap);
    verify_all("after wee_heap_trim");
    check_heap("after wee_heap_trim");
    memcpy(again, live, sizeof live);
    for (i = 0; i < SLOTS; i++) {
        if (live[i].p) {
            verify(&live[i], live[i].size, "before the final free");
            t_free(live[i].p);
            live[i].p = NULL;
        }
    }
    check_heap("after freeing everything");
    wee_heap_stats(heap, &st);
    if (st.in_use_bytes != 0)
        fail("after freeing everything, %zu bytes are in use", st.in_use_bytes);
    /* A free cell of three pages holds at least one whole page, given back
     * now or, if the cell has stayed as it was since, by the first trim. */
    given += wee_heap_trim(heap);
    if ((WEE_ALLOC_BACKEND_MMAP || WEE_ALLOC_BACKEND_VIRTUALALLOC) && !WEE_ALLOC_EXTRA_ASSERTIONS
        && st.largest_free_cell >= 3 * 4096 && given == 0)
        fail("wee_heap_trim gave nothing back from a free cell of %zu bytes",
             st.largest_free_cell);
    check_heap("after wee_heap_trim of the free heap");

    for (i = 0; i < SLOTS; i++) {
        unsigned char *p;

        if (!again[i].p)
            continue;
        errno = 0;
        p = again[i].align > MIN_ALIGN ? t_aligned(again[i].align, again[i].size)
                                       : t_malloc(again[i].size);
        if (!p)
            fail("the freed memory does not serve again a block of %zu bytes "
                 "(alignment %zu): errno %d", again[i].size, again[i].align, errno);
        accept(&live[i], p, again[i].size, again[i].align, "malloc again");
        verify(&live[i], live[i].size, "allocated again");
        t_free(p);
        live[i].p = NULL;
    }
    if (fault_requests() != requests)
        fail("allocating again what was freed asked the backend for memory");
    check_heap("at the end");
}

/* One child: fail request n (0: none), run, check; the exit status says
 * whether it held (0), failed (1) or never reached request n. */
static int child(size_t n, enum fault_mode mode, int scattered, int use_heap)
{
    struct outcome out;

    rng = seed;
    fault_arm(n, mode, scattered);
    heap = NULL;
    if (use_heap) {
        errno = 0;
        heap = wee_heap_new();
        if (!heap) {
            if (fault_refused() != 1 || errno != ENOMEM)
                fail("wee_heap_new failed with errno %d, %zu refusals", errno,
                     fault_refused());
            return 0;
        }
    }
    out = run_workload(mode == FAULT_FROM_N);
    verify_all("after the workload");
    check_heap("after the workload");
    if (out.failed && mode == FAULT_FROM_N) {
        check_every_call_fails();
        check_free_and_reuse();
    } else {
        unsigned i;
        for (i = 0; i < SLOTS; i++)
            if (live[i].p)
                t_free(live[i].p);
        check_heap("after freeing everything");
    }
    if (n == 0) {
        /* Report the number of requests for the parent's loop. */
        printf("%zu\n", fault_requests());
        return 0;
    }
    return fault_requests() < n ? NOT_REACHED : 0;
}

static int run_child(size_t n, enum fault_mode mode, int scattered, int use_heap,
                     size_t *requests)
{
    int fd[2], status;
    pid_t pid;

    if (pipe(fd) != 0)
        fail("pipe: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        close(fd[0]);
        if (dup2(fd[1], STDOUT_FILENO) < 0)
            _exit(1);
        status = child(n, mode, scattered, use_heap);
        fflush(NULL);
        _exit(status);
    }
    close(fd[1]);
    if (requests) {
        char buf[64];
        ssize_t got = read(fd[0], buf, sizeof buf - 1);
        buf[got > 0 ? got : 0] = '\0';
        *requests = strtoul(buf, NULL, 10);
    }
    close(fd[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail("waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        fail("seed %lu, request %zu failed (%s, %s, %s): the child died of signal %d", seed, n,
             mode == FAULT_FROM_N ? "and every later one" : "only it",
             scattered ? "scattered grants" : "contiguous grants",
             use_heap ? "wee_heap_new heap" : "default heap", WTERMSIG(status));
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != NOT_REACHED))
        fail("seed %lu, request %zu failed (%s, %s, %s): see above", seed, n,
             mode == FAULT_FROM_N ? "and every later one" : "only it",
             scattered ? "scattered grants" : "contiguous grants",
             use_heap ? "wee_heap_new heap" : "default heap");
    return WEXITSTATUS(status);
}

/* ---- impossible requests ---- */

static void impossible_requests(int use_heap)
{
    static const size_t minus[] = { 0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 4095, 4096,
                                    65535, 65536, 65537, 1u << 20, (1u << 20) + 1,
                                    16u << 20 };
    size_t i, k, before, granted;
    struct wee_stats st;
    void *p, *small;

    fault_arm(0, FAULT_FROM_N, 0);
    heap = use_heap ? wee_heap_new() : NULL;
    if (use_heap && !heap)
        fail("wee_heap_new failed");
    small = t_malloc(100);   /* the heap has memory, and a block to realloc */
    if (!small)
        fail("malloc(100) failed");
    before = fault_requests();
    granted = fault_granted_bytes();

#define NONE(call, error, what, a, b)                                       \
    do {                                                                    \
        errno = 0;                                                          \
        p = (call);                                                         \
        if (p)                                                              \
            fail("%s(%zu, %zu) succeeded", what, (size_t)(a), (size_t)(b)); \
        if (errno != (error))                                               \
            fail("%s(%zu, %zu): errno %d, expected %d", what, (size_t)(a),   \
                 (size_t)(b), errno, (error));                              \
        if (fault_requests() != before)                                     \
            fail("%s(%zu, %zu) asked the backend for memory", what,         \
                 (size_t)(a), (size_t)(b));                                 \
    } while (0)

    for (i = 0; i < sizeof minus / sizeof minus[0]; i++) {
        size_t huge = SIZE_MAX - minus[i];
        size_t half = SIZE_MAX / 2 - minus[i] % (1u << 19);

        NONE(t_malloc(huge), ENOMEM, "malloc", huge, 0);
        NONE(t_malloc(SIZE_MAX / 2 + minus[i]), ENOMEM, "malloc", SIZE_MAX / 2 + minus[i], 0);
        NONE(t_malloc(half), ENOMEM, "malloc", half, 0);
        NONE(t_calloc(1, huge), ENOMEM, "calloc", 1, huge);
        NONE(t_calloc(huge, 1), ENOMEM, "calloc", huge, 1);
        NONE(t_realloc(NULL, huge), ENOMEM, "realloc(NULL)", 0, huge);
        NONE(t_realloc(small, huge), ENOMEM, "realloc", 100, huge);
        NONE(t_realloc(small, half), ENOMEM, "realloc", 100, half);
        for (k = 0; k < sizeof(size_t) * 8; k++) {
            size_t align = (size_t)1 << k;
            NONE(t_aligned(align, huge), ENOMEM, "aligned_alloc", align, huge);
            NONE(t_aligned(align, half), ENOMEM, "aligned_alloc", align, half);
            if (align >= sizeof(void *))
                NONE(t_memalign(align, huge), ENOMEM, "posix_memalign", align, huge);
            /* A payload, however small, cannot be aligned to half the
             * address space. */
            if (align > SIZE_MAX / 4) {
                NONE(t_aligned(align, minus[i]), ENOMEM, "aligned_alloc", align, minus[i]);
                if (!heap)
                    NONE(t_memalign(align, minus[i]), ENOMEM, "posix_memalign", align,
                         minus[i]);
            }
        }
        /* Overflowing products. */
        NONE(t_calloc(SIZE_MAX / 2 + 1, 2), ENOMEM, "calloc", SIZE_MAX / 2 + 1, 2);
        NONE(t_calloc(65536 + minus[i], SIZE_MAX / 65536), ENOMEM, "calloc",
             65536 + minus[i], SIZE_MAX / 65536);
        NONE(t_calloc((size_t)1 << (sizeof(size_t) * 4), ((size_t)1 << (sizeof(size_t) * 4)) + minus[i]),
             ENOMEM, "calloc", (size_t)1 << (sizeof(size_t) * 4),
             ((size_t)1 << (sizeof(size_t) * 4)) + minus[i]);
        /* Alignments that are not powers of two. */
        NONE(t_aligned(0, minus[i]), EINVAL, "aligned_alloc", 0, minus[i]);
        NONE(t_aligned(3 + 2 * minus[i], 16), EINVAL, "aligned_alloc", 3 + 2 * minus[i], 16);
        NONE(t_aligned(huge - (huge & 1) + 0, 16), EINVAL, "aligned_alloc", huge, 16);
        if (!heap) {
            NONE(t_memalign(0, 16), EINVAL, "posix_memalign", 0, 16);
            NONE(t_memalign(sizeof(void *) / 2, 16), EINVAL, "posix_memalign",
                 sizeof(void *) / 2, 16);
            NONE(t_memalign(3 * sizeof(void *), huge), EINVAL, "posix_memalign",
                 3 * sizeof(void *), huge);
        }
    }
#undef NONE
    verify_all("after the impossible requests");
    check_heap("after the impossible requests");

    /*
     * Possible on paper, but more than the backend has: it is asked (and
     * refuses), and nothing is taken.  1 GiB aligned to 2^30 needs 3 GiB.
     */
    {
        static const size_t aligns[] = { 16, 4096, (size_t)1 << 20, (size_t)1 << 30 };
        for (i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
            for (k = 0; k < 3; k++) {
                size_t n = k == 0 ? FAULT_ARENA_BYTES : k == 1 ? (size_t)1 << 30 : 1;
                size_t refused = fault_refused();
                granted = fault_granted_bytes();
                wee_heap_stats(heap, &st);
                before = st.backend_bytes;
                errno = 0;
                p = t_aligned(aligns[i], n);
                if (p && fault_refused() != refused)
                    fail("aligned_alloc(%zu, %zu) succeeded after a refusal", aligns[i], n);
                if (p) {
                    /* It fitted after all (small sizes, small alignments). */
                    t_free(p);
                    continue;
                }
                if (errno != ENOMEM)
                    fail("aligned_alloc(%zu, %zu): errno %d", aligns[i], n, errno);
                wee_heap_stats(heap, &st);
                if (st.backend_bytes != before || fault_granted_bytes() != granted)
                    fail("aligned_alloc(%zu, %zu) failed but took memory", aligns[i], n);
            }
        }
    }
    check_heap("after the requests larger than the backend");
    t_free(small);
    check_heap("at the end");
}

static int run_impossible(int use_heap)
{
    int status;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        impossible_requests(use_heap);
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail("waitpid: %s", strerror(errno));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    size_t points = 0, s, seeds = sizeof default_seeds / sizeof default_seeds[0];

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1)
        seeds = 1;
    for (s = 0; s < seeds; s++) {
        int mode, scattered, use_heap;

        seed = argc > 1 ? strtoul(argv[1], NULL, 0) : default_seeds[s];
        if (seed == 0)
            seed = 1;
        for (use_heap = 0; use_heap < 2; use_heap++) {
            for (scattered = 0; scattered < 2; scattered++) {
                size_t total, n;

                run_child(0, FAULT_FROM_N, scattered, use_heap, &total);
                if (total < 3)
                    fail("the workload made only %zu page requests", total);
                for (mode = FAULT_FROM_N; mode <= FAULT_ONLY_N; mode++) {
                    for (n = 1; n <= total; n++) {
                        if (run_child(n, (enum fault_mode)mode, scattered, use_heap,
                                      NULL) == NOT_REACHED)
                            fail("request %zu of %zu was never made", n, total);
                        points++;
                    }
                }
                printf("seed %lu, %s heap, %s grants: %zu page requests, each "
                       "made to fail (alone, and with every later one)\n", seed,
                       use_heap ? "wee_heap_new" : "default",
                       scattered ? "scattered" : "contiguous", total);
            }
        }
    }
    if (!run_impossible(0) || !run_impossible(1))
        fail("impossible requests: see above");
    printf("impossible requests fail without asking the backend, on the default "
           "heap and on a wee_heap_new heap\n");
    printf("PASS: %zu failure points\n", points);
    return 0;
}
