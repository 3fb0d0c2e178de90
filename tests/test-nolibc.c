/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-nolibc - the portable tests for a host with no C library
 * (wasm32-unknown-none), run by tests/run-wasm.mjs under node.
 *
 *   test-nolibc [TRACE...]
 *
 * No stdio, no errno.h, no string.h, no stdlib.h: only the freestanding
 * headers, the wee_alloc API and the functions the runner gives (writing
 * output, reading the arguments and the files they name; tests/nolibc-host.h).
 * What it checks, in this order:
 *
 *  1. Bad input: sizes that overflow fail with ENOMEM (wee_errno) without
 *     taking memory from the backend; alignments that are not powers of two
 *     fail with EINVAL; free(NULL), realloc(NULL, n), realloc(p, 0) and
 *     usable_size(NULL) do what the header says; a failed realloc keeps
 *     the block.
 *  2. Random operations, as tests/test-random.c does them: malloc, calloc,
 *     realloc, aligned_alloc, posix_memalign and free in random order and
 *     sizes, every block filled with a pattern of its own and verified
 *     before it is freed or moved and at the end; alignment, usable size,
 *     no overlap with any live block, calloc's zeroes; every CHECK_EVERY
 *     operations wee_check() is 0 and in_use_bytes is the live blocks'
 *     usable bytes.
 *  3. Each TRACE (the runner copies the file into memory): replayed with the
 *     same pattern, overlap and heap checks as tests/replay.c.
 *  4. Exhaustion of the backend: the module is linked with a maximum memory
 *     (tests/cross.am), so memory.grow fails at last; the allocation that
 *     cannot be met returns NULL with ENOMEM, the blocks before it are
 *     intact, the heap is consistent, and freed memory serves new requests.
 *
 * Exit status (wee_test_main's result): 0 when everything held, 1 after the
 * first failure, with a message on stderr naming it.
 */
#include <stddef.h>
#include <stdint.h>

#include "wee_alloc.h"
#include "nolibc-host.h"

#if WEE_ALLOC_HAVE_ERRNO
#  error "test-nolibc is for hosts without a C library"
#endif

#define MIN_ALIGN    (2 * sizeof(void *))
#define CHECK_EVERY  1000u
#define MAX_LIVE     1024u
#define MAX_LIVE_BYTES ((size_t)4 << 20)
#define RANDOM_OPS   20000ul

/* ------------------------------------------------------------------ */
/* Failures.                                                            */

/* The failure message: "test-nolibc: FAIL: <where>: <what> <a> <b>". */
static const char *failing_part = "";
static int failed;

static void fail(const char *what, uint64_t a, uint64_t b)
{
    if (failed++)
        return;
    put(2, "test-nolibc: FAIL: ");
    put(2, failing_part);
    put(2, ": ");
    put(2, what);
    put(2, " (");
    put_uint(2, a);
    put(2, ", ");
    put_uint(2, b);
    put(2, ")\n");
}

#define EXPECT(cond, what, a, b) \
    do { if (!(cond)) { fail(what, (uint64_t)(a), (uint64_t)(b)); return; } } while (0)

/* ------------------------------------------------------------------ */
/* Random numbers (splitmix64) and block patterns.                      */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static size_t rng_below(size_t n)
{
    return (size_t)(rng_next() % n);
}

static size_t rng_range(size_t lo, size_t hi)
{
    return lo + rng_below(hi - lo + 1);
}

/* Byte i of block id: depends on both, never the same for two blocks at
 * the same offset, so overlaps and shifted copies do not verify. */
static unsigned char pattern_byte(uint64_t id, size_t i)
{
    uint32_t x = (uint32_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 32) ^ (uint32_t)(i >> 2) * 0x85EBCA6Bu;

    x ^= x >> 15;
    return (unsigned char)((x >> (8 * (i & 3))) | 1u);
}

static void pattern_fill(unsigned char *p, size_t n, uint64_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = pattern_byte(id, i);
}

/* The first offset in p[0..n) that differs, or n. */
static size_t pattern_mismatch(const unsigned char *p, size_t n, uint64_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != pattern_byte(id, i))
            return i;
    return n;
}

/* ------------------------------------------------------------------ */
/* The live blocks.                                                     */

struct block {
    unsigned char *p;
    size_t size;
    size_t usable;
    uint64_t id;
};

static struct block live[MAX_LIVE];
static size_t n_live, live_bytes;
static uint64_t next_id;

static size_t footprint(const struct block *b)
{
    return b->usable ? b->usable : 1;
}

/* Check a new block (alignment, usable size, no overlap), fill it and add
 * it to the live set.  `zeroed`: its requested bytes must read zero. */
static void admit(struct block *b, size_t align, int zeroed)
{
    uintptr_t a = (uintptr_t)b->p;
    size_t i;

    EXPECT(b->p != NULL, "allocation returned NULL: size, live", b->size, n_live);
    if (align < MIN_ALIGN)
        align = MIN_ALIGN;
    EXPECT(a % align == 0, "misaligned block: address, alignment", a, align);
    b->usable = wee_malloc_usable_size(b->p);
    EXPECT(b->usable >= b->size, "usable size below the request: usable, size",
           b->usable, b->size);
    for (i = 0; i < n_live; i++) {
        uintptr_t lo = (uintptr_t)live[i].p;
        EXPECT(a + footprint(b) <= lo || lo + footprint(&live[i]) <= a,
               "new block overlaps a live one: new, live", a, lo);
    }
    if (zeroed)
        for (i = 0; i < b->size; i++)
            EXPECT(b->p[i] == 0, "calloc memory not zero: size, offset", b->size, i);
    pattern_fill(b->p, b->usable, b->id);
    live[n_live++] = *b;
    live_bytes += b->size;
}

static void verify(const struct block *b, size_t n)
{
    size_t bad = pattern_mismatch(b->p, n, b->id);

    EXPECT(bad == n, "block pattern broken: block id, offset", b->id, bad);
}

static void drop(size_t i)
{
    live_bytes -= live[i].size;
    live[i] = live[--n_live];
}

static void check_heap(void)
{
    struct wee_stats st;
    size_t i, usable = 0;
    int rc = wee_check();

    EXPECT(rc == WEE_CHECK_OK, "wee_check() failed: code, live blocks", rc, n_live);
    for (i = 0; i < n_live; i++)
        usable += live[i].usable;
    wee_stats(&st);
    EXPECT(st.in_use_bytes == usable, "in_use_bytes differs from the live blocks: in use, live",
           st.in_use_bytes, usable);
}

static size_t draw_size(void)
{
    size_t r = rng_below(1000);

    if (r < 20)
        return 0;
    if (r < 550)
        return rng_range(1, 64);
    if (r < 700)
        return rng_range(254 * sizeof(void *), 258 * sizeof(void *));
    if (r < 850)
        return rng_range(65, 4096);
    if (r < 990)
        return rng_range(4097, 65536);
    return rng_range(65537, 1 << 20);
}

/* ------------------------------------------------------------------ */
/* 1. Bad input.                                                        */

static void test_bad_input(void)
{
    struct wee_stats before, after;
    void *p, *q;
    int rc;

    failing_part = "bad input";
    wee_stats(&before);

    wee_errno = 0;
    EXPECT(wee_malloc(SIZE_MAX) == NULL, "malloc(SIZE_MAX) did not fail", 0, 0);
    EXPECT(wee_errno == WEE_ENOMEM, "malloc(SIZE_MAX): errno", wee_errno, WEE_ENOMEM);
    wee_errno = 0;
    EXPECT(wee_malloc(SIZE_MAX / 2 + 1) == NULL, "malloc(SIZE_MAX/2+1) did not fail", 0, 0);
    EXPECT(wee_errno == WEE_ENOMEM, "malloc(SIZE_MAX/2+1): errno", wee_errno, WEE_ENOMEM);
    wee_errno = 0;
    EXPECT(wee_calloc(SIZE_MAX / 2, 3) == NULL, "calloc overflow did not fail", 0, 0);
    EXPECT(wee_errno == WEE_ENOMEM, "calloc overflow: errno", wee_errno, WEE_ENOMEM);
    wee_errno = 0;
    EXPECT(wee_aligned_alloc(24, 8) == NULL, "aligned_alloc(24) did not fail", 0, 0);
    EXPECT(wee_errno == WEE_EINVAL, "aligned_alloc(24): errno", wee_errno, WEE_EINVAL);
    wee_errno = 0;
    EXPECT(wee_aligned_alloc(0, 8) == NULL, "aligned_alloc(0) did not fail", 0, 0);
    EXPECT(wee_errno == WEE_EINVAL, "aligned_alloc(0): errno", wee_errno, WEE_EINVAL);
    wee_errno = 0;
    EXPECT(wee_aligned_alloc((size_t)1 << 31, 1) == NULL, "aligned_alloc(2 GiB) did not fail", 0, 0);
    EXPECT(wee_errno == WEE_ENOMEM, "aligned_alloc(2 GiB): errno", wee_errno, WEE_ENOMEM);

    p = (void *)&before;
    wee_errno = 1234;
    rc = wee_posix_memalign(&p, 2, 8);
    EXPECT(rc == WEE_EINVAL, "posix_memalign(2): result", rc, WEE_EINVAL);
    rc = wee_posix_memalign(&p, 48, 8);
    EXPECT(rc == WEE_EINVAL, "posix_memalign(48): result", rc, WEE_EINVAL);
    rc = wee_posix_memalign(&p, 16, SIZE_MAX);
    EXPECT(rc == WEE_ENOMEM, "posix_memalign(SIZE_MAX): result", rc, WEE_ENOMEM);
    EXPECT(p == (void *)&before, "failed posix_memalign changed *memptr", 0, 0);
    EXPECT(wee_errno == 1234, "posix_memalign changed errno", wee_errno, 1234);

    wee_stats(&after);
    EXPECT(after.backend_bytes == before.backend_bytes,
           "impossible requests took memory: after, before",
           after.backend_bytes, before.backend_bytes);
    EXPECT(after.failed_requests >= before.failed_requests + 4,
           "failed_requests not counted: after, before",
           after.failed_requests, before.failed_requests);

    wee_free(NULL);
    EXPECT(wee_malloc_usable_size(NULL) == 0, "usable_size(NULL) not 0", 0, 0);

    p = wee_realloc(NULL, 100);
    EXPECT(p != NULL, "realloc(NULL, 100) returned NULL", 0, 0);
    pattern_fill(p, 100, 7);
    wee_errno = 0;
    q = wee_realloc(p, SIZE_MAX - 64);
    EXPECT(q == NULL, "realloc(p, huge) did not fail", 0, 0);
    EXPECT(wee_errno == WEE_ENOMEM, "realloc(p, huge): errno", wee_errno, WEE_ENOMEM);
    EXPECT(pattern_mismatch(p, 100, 7) == 100, "failed realloc damaged the block", 0, 0);
    EXPECT(wee_realloc(p, 0) == NULL, "realloc(p, 0) did not return NULL", 0, 0);

    p = wee_malloc(0);
    q = wee_malloc(0);
    EXPECT(p && q && p != q, "malloc(0) pointers not unique", (uintptr_t)p, (uintptr_t)q);
    wee_free(p);
    wee_free(q);

    wee_stats(&after);
    EXPECT(after.in_use_bytes == before.in_use_bytes, "bytes left in use: after, before",
           after.in_use_bytes, before.in_use_bytes);
    EXPECT(wee_check() == WEE_CHECK_OK, "wee_check() after bad input", wee_check(), 0);
}

/* ------------------------------------------------------------------ */
/* 2. Random operations.                                                */

static void op_realloc(void)
{
    size_t i = rng_below(n_live), keep, new_size;
    struct block b = live[i];
    void *old = b.p;

    verify(&b, b.usable);
    if (failed)
        return;
    switch (rng_below(4)) {
    case 0: new_size = rng_below(8) ? b.size / 2 : 0; break;
    case 1: new_size = b.size + rng_range(1, 64 + b.size / 4); break;
    default: new_size = draw_size(); break;
    }
    if (new_size > b.size && live_bytes - b.size + new_size > MAX_LIVE_BYTES)
        new_size = b.size / 2;
    drop(i);
    b.p = wee_realloc(old, new_size);
    if (new_size == 0) {
        EXPECT(b.p == NULL, "realloc(p, 0) did not return NULL", 0, 0);
        return;
    }
    EXPECT(b.p != NULL, "realloc returned NULL: size", new_size, 0);
    keep = b.size < new_size ? b.size : new_size;
    b.usable = wee_malloc_usable_size(b.p);
    EXPECT(b.usable >= keep, "realloc: usable below kept bytes", b.usable, keep);
    verify(&b, keep);
    b.size = new_size;
    admit(&b, MIN_ALIGN, 0);
}

static void random_operation(void)
{
    struct block b = { NULL, 0, 0, 0 };
    size_t r = rng_below(100), align = MIN_ALIGN, n, i;
    void *p = NULL;

    b.id = next_id++;
    if (r < 55) {
        b.size = draw_size();
        b.p = wee_malloc(b.size);
        admit(&b, align, 0);
    } else if (r < 65) {
        n = rng_range(1, 16);
        b.size = draw_size() / n * n;
        b.p = wee_calloc(n, b.size / n);
        admit(&b, align, 1);
    } else if (r < 80 && n_live > 0) {
        op_realloc();
    } else if (r < 90) {
        align = (size_t)1 << rng_below(17);
        b.size = draw_size();
        b.p = wee_aligned_alloc(align, b.size);
        admit(&b, align, 0);
    } else {
        align = (size_t)1 << rng_range(2, 16);
        b.size = draw_size();
        i = (size_t)wee_posix_memalign(&p, align, b.size);
        EXPECT(i == 0, "posix_memalign failed: alignment, size", align, b.size);
        b.p = p;
        admit(&b, align, 0);
    }
}

static void test_random(uint64_t seed)
{
    size_t op, i;
    int free_rate = 300;

    failing_part = "random operations";
    rng_state = seed;
    n_live = 0;
    live_bytes = 0;
    for (op = 0; op < RANDOM_OPS && !failed; op++) {
        if (op % 2000 == 0)
            free_rate = (int)rng_range(200, 650);
        if (n_live > 0 && (n_live == MAX_LIVE || live_bytes > MAX_LIVE_BYTES
                           || (int)rng_below(1000) < free_rate)) {
            i = rng_below(n_live);
            verify(&live[i], live[i].usable);
            wee_free(live[i].p);
            drop(i);
        } else {
            random_operation();
        }
        if ((op + 1) % CHECK_EVERY == 0)
            check_heap();
    }
    for (i = 0; i < n_live && !failed; i++)
        verify(&live[i], live[i].usable);
    if (!failed)
        check_heap();
    while (n_live > 0) {
        wee_free(live[n_live - 1].p);
        drop(n_live - 1);
    }
    if (!failed)
        check_heap();
    if (!failed) {
        put(1, "test-nolibc: random operations, seed ");
        put_uint(1, seed);
        put(1, ": ");
        put_uint(1, RANDOM_OPS);
        put(1, " operations passed\n");
    }
}

/* ------------------------------------------------------------------ */
/* 3. Trace replay.                                                     */

struct event {
    size_t arg;
    int is_alloc;
};

/* Parse "Alloc(N)," or "Free(I),"; returns the text after it, or NULL. */
static const char *parse_event(const char *s, const char *end, struct event *ev)
{
    static const char alloc[] = "Alloc(", freed[] = "Free(";
    const char *word = NULL;
    size_t i, len = 0, v = 0;

    if (end - s >= 6 && s[0] == 'A') {
        word = alloc;
        len = 6;
    } else if (end - s >= 5 && s[0] == 'F') {
        word = freed;
        len = 5;
    }
    if (!word)
        return NULL;
    for (i = 0; i < len; i++)
        if (s[i] != word[i])
            return NULL;
    s += len;
    if (s == end || *s < '0' || *s > '9')
        return NULL;
    while (s < end && *s >= '0' && *s <= '9') {
        if (v > (SIZE_MAX - 9) / 10)
            return NULL;
        v = v * 10 + (size_t)(*s++ - '0');
    }
    if (s == end || *s++ != ')')
        return NULL;
    if (s < end && *s == ',')
        s++;
    ev->arg = v;
    ev->is_alloc = word == alloc;
    return s;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void replay(const char *text, size_t len)
{
    const char *s = text, *end = text + len;
    struct block *blocks = NULL;
    size_t cap = 0, n_allocs = 0, events = 0, i, peak = 0, live_now = 0;
    struct wee_stats start, st;

    wee_stats(&start);
    for (;;) {
        struct event ev;

        while (s < end && is_space(*s))
            s++;
        if (s == end)
            break;
        s = parse_event(s, end, &ev);
        if (!s) {
            fail("malformed event: event number, allocations", events, n_allocs);
            break;
        }
        events++;
        if (ev.is_alloc) {
            struct block *b;

            if (n_allocs == cap) {
                struct block *grown;
                cap = cap ? 2 * cap : 1024;
                grown = wee_realloc(blocks, cap * sizeof *blocks);
                if (!grown) {
                    fail("no memory for the block table: blocks", cap, 0);
                    break;
                }
                blocks = grown;
            }
            b = &blocks[n_allocs];
            b->size = ev.arg;
            b->id = n_allocs;
            b->p = wee_malloc(b->size);
            if (!b->p) {
                fail("malloc returned NULL: event, size", events, b->size);
                break;
            }
            b->usable = wee_malloc_usable_size(b->p);
            if ((uintptr_t)b->p % MIN_ALIGN || b->usable < b->size) {
                fail("bad block: event, usable", events, b->usable);
                break;
            }
            pattern_fill(b->p, b->usable, b->id);
            n_allocs++;
            live_now += b->size;
            if (live_now > peak)
                peak = live_now;
        } else {
            struct block *b;

            if (ev.arg >= n_allocs) {
                fail("Free of an allocation not made yet: event, allocation", events, ev.arg);
                break;
            }
            b = &blocks[ev.arg];
            if (b->p) {
                verify(b, b->usable);
                if (failed)
                    break;
                wee_free(b->p);
                b->p = NULL;
                live_now -= b->size;
            }
        }
        if (events % CHECK_EVERY == 0) {
            int rc = wee_check();
            if (rc != WEE_CHECK_OK) {
                fail("wee_check() failed: event, code", events, rc);
                break;
            }
        }
    }

    /* The blocks still live are intact (two blocks that overlapped would
     * have broken each other's pattern), and in_use_bytes grew by exactly
     * their usable bytes and the block table's. */
    if (!failed) {
        size_t usable = 0;
        for (i = 0; i < n_allocs && !failed; i++)
            if (blocks[i].p) {
                verify(&blocks[i], blocks[i].usable);
                usable += blocks[i].usable;
            }
        wee_stats(&st);
        if (!failed && st.in_use_bytes - start.in_use_bytes
                       != usable + wee_malloc_usable_size(blocks))
            fail("in_use_bytes differs from the live blocks: in use, live",
                 st.in_use_bytes - start.in_use_bytes, usable);
    }
    for (i = 0; i < n_allocs; i++)
        wee_free(blocks[i].p);
    wee_free(blocks);
    if (!failed && wee_check() != WEE_CHECK_OK)
        fail("wee_check() failed after the replay", wee_check(), 0);
    wee_stats(&st);
    if (!failed && st.in_use_bytes != start.in_use_bytes)
        fail("bytes left in use after the replay: now, before", st.in_use_bytes,
             start.in_use_bytes);
    if (!failed) {
        put(1, "test-nolibc: ");
        put(1, failing_part);
        put(1, ": ");
        put_uint(1, events);
        put(1, " events, ");
        put_uint(1, n_allocs);
        put(1, " allocations, peak live ");
        put_uint(1, peak);
        put(1, " B, backend now ");
        put_uint(1, st.backend_bytes);
        put(1, " B: passed\n");
    }
}

static void test_traces(void)
{
    int i, n = host_arg_count();

    for (i = 0; i < n && !failed; i++) {
        static char name[512];
        int name_len = host_arg_read(i, name, sizeof name - 1);
        int size = host_file_read(i, NULL, 0);
        char *text;

        name[name_len > 0 && (size_t)name_len < sizeof name ? name_len : 0] = '\0';
        failing_part = name;
        if (size < 0) {
            fail("cannot read the trace: argument", (uint64_t)i, 0);
            return;
        }
        text = wee_malloc((size_t)size);
        if (!text || host_file_read(i, text, (size_t)size) != size) {
            fail("cannot load the trace: size", (uint64_t)size, 0);
            return;
        }
        replay(text, (size_t)size);
        wee_free(text);
    }
}

/* ------------------------------------------------------------------ */
/* 4. Exhaustion of the backend.                                        */

static void test_exhaustion(void)
{
    enum { BLOCK = 256 * 1024, MAX_BLOCKS = 4096 };
    static unsigned char *p[MAX_BLOCKS];
    struct wee_stats before, at_failure;
    size_t n, i;
    void *again;

    failing_part = "exhaustion";
    wee_stats(&before);
    for (n = 0; n < MAX_BLOCKS; n++) {
        wee_errno = 0;
        p[n] = wee_malloc(BLOCK);
        if (!p[n])
            break;
        /* Pattern only the ends: the bytes between are not the point. */
        pattern_fill(p[n], 64, n);
        pattern_fill(p[n] + BLOCK - 64, 64, n + MAX_BLOCKS);
    }
    EXPECT(n < MAX_BLOCKS, "memory.grow never failed: blocks of 256 KiB", n, 0);
    EXPECT(n > 0, "not even one block", n, 0);
    EXPECT(wee_errno == WEE_ENOMEM, "exhaustion: errno", wee_errno, WEE_ENOMEM);
    wee_stats(&at_failure);
    EXPECT(at_failure.failed_requests > before.failed_requests,
           "failed request not counted", at_failure.failed_requests, before.failed_requests);
    EXPECT(wee_check() == WEE_CHECK_OK, "wee_check() after exhaustion", wee_check(), 0);
    for (i = 0; i < n; i++) {
        EXPECT(pattern_mismatch(p[i], 64, i) == 64
               && pattern_mismatch(p[i] + BLOCK - 64, 64, i + MAX_BLOCKS) == 64,
               "block damaged by exhaustion: block, blocks", i, n);
    }
    /* Free every other block: their room serves new requests. */
    for (i = 0; i < n; i += 2) {
        wee_free(p[i]);
        p[i] = NULL;
    }
    again = wee_malloc(BLOCK / 2);
    EXPECT(again != NULL, "no block after freeing half the heap", 0, 0);
    wee_free(again);
    for (i = 1; i < n; i += 2)
        wee_free(p[i]);
    again = wee_malloc((n / 2) * BLOCK);
    EXPECT(again != NULL, "the freed blocks did not merge: bytes", (n / 2) * BLOCK, 0);
    wee_free(again);
    EXPECT(wee_check() == WEE_CHECK_OK, "wee_check() at the end", wee_check(), 0);
    put(1, "test-nolibc: exhaustion: ");
    put_uint(1, n);
    put(1, " blocks of 256 KiB, then NULL with ENOMEM; backend ");
    put_uint(1, at_failure.backend_bytes);
    put(1, " B: passed\n");
}

EXPORT(wee_test_main) int wee_test_main(void)
{
    static const uint64_t seeds[] = { 1, 42, 20180401 };
    size_t i;

    put(1, "test-nolibc: wee_alloc ");
    put(1, WEE_ALLOC_VERSION);
    put(1, ", backend " WEE_ALLOC_BACKEND ", size classes ");
    put(1, WEE_ALLOC_SIZE_CLASSES ? "on" : "off");
    put(1, ", linear memory ends at ");
    put_hex(1, (uintptr_t)__builtin_wasm_memory_size(0) * 65536);
    put(1, " before the heap grows\n");

    test_bad_input();
    for (i = 0; i < sizeof seeds / sizeof seeds[0] && !failed; i++)
        test_random(seeds[i]);
    if (!failed)
        test_traces();
    if (!failed)
        test_exhaustion();
    if (!failed)
        put(1, "test-nolibc: PASS\n");
    return failed ? 1 : 0;
}
