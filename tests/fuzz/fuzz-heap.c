/* SPDX-License-Identifier: MPL-2.0 */
/*
 * fuzz-heap.c - a libFuzzer target: the input is a program of heap
 * operations, run against wee_alloc and a shadow model of every live block.
 *
 * Built two ways (tests/fuzz/fuzz.am):
 *   - with `configure --enable-fuzzing` (clang): tests/fuzz/fuzz-heap,
 *     linked with -fsanitize=fuzzer,address,undefined; `make fuzz` runs it;
 *   - always (any compiler): tests/fuzz/fuzz-replay, this file plus
 *     replay-main.c, which `make check` runs on every input of
 *     tests/fuzz/corpus, so that every finding stays a regression test.
 *
 * The input format.  Every input is valid: a byte past the end reads as 0,
 * and the program stops when the input is used up (or after MAX_OPS).
 * Each operation is an opcode byte (taken modulo OP_COUNT) and arguments:
 *
 *   0 malloc          H S       heap selector H, size S
 *   1 calloc          H N S     element count N (one byte; 255 means a
 *                               count that overflows), element size S
 *   2 realloc         B S       block selector B, new size S (0 frees)
 *   3 aligned_alloc   H A S     alignment A (below), size S
 *   4 free            B
 *   5 heap_in         L L O     wee_heap_in on buffer O>>4 (of 4), length
 *                               (L<<8|L)*4 bytes, misaligned by O&15 bytes
 *   6 check           -         full check: every block's contents and a
 *                               walk of every heap against the model;
 *                               then wee_heap_trim on every heap, so
 *                               that later operations reuse cells whose
 *                               pages went back
 *   7 posix_memalign  A S       on the default heap
 *   8 rewrite         B         fill a block's whole usable size afresh
 *   9 free all        H         free every block of one heap
 *
 * H (byte % 8): 0 the default heap through wee_malloc & co., 1 through
 *   wee_heap_* with NULL, 2 through wee_heap_default(), 3 a heap from
 *   wee_heap_new() (made once, kept across inputs), 4..7 the heap in
 *   buffer 0..3 (the default heap while that buffer holds no heap).
 * S (first byte k): k < 0x80: k bytes; k < 0xf8: (k - 0x80) << 8 | next
 *   byte, up to 30 KiB; k < 0xfc: (k & 3) << 20 | next two bytes << 4, up
 *   to 4 MiB; otherwise the next byte picks an impossible size, near
 *   SIZE_MAX or SIZE_MAX/2, which must fail.
 * A (byte a): a < 0x80: 2^(a % bits of size_t), every power of two; else
 *   3 * (a & 0x7f) (0 included), or SIZE_MAX for 0xff: never a power of
 *   two, which must fail with EINVAL.
 * B (byte): the live block number B % count; its low bit picks the plain
 *   or the wee_heap_* function for a default-heap block.
 *
 * After every operation: wee_heap_check() is 0 on every heap the operation
 * called (on every heap at a check and at the end), the heap's in_use_bytes
 * equals the sum of the usable sizes the model holds for it, and the first
 * and last byte of every live block still hold its fill byte.  At the end,
 * wee_heap_trim on every heap, then every block verified whole.  On every
 * allocation: alignment, usable size >= the request,
 * no overlap with any live block, a buffer heap's blocks inside its buffer,
 * calloc memory zero, realloc keeping the old contents, errno and the
 * return value of every failure as include/wee_alloc.h promises, and a
 * failed impossible request taking nothing from the backend.  At the end
 * every block is verified and freed, so the next input starts with nothing
 * live (the default heap itself lives on: it cannot be reset).
 *
 * On any mismatch: a message on stderr, then abort(), which libFuzzer
 * reports as a crash and replay-main as a failure.  With FUZZ_HEAP_TRACE
 * set in the environment, every operation is printed on stderr (its name,
 * argument bytes and the number of live blocks after it), which is how to
 * read an input that failed.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wee_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WORD_BYTES  sizeof(void *)
#define MIN_ALIGN   (_Alignof(max_align_t) > 2 * WORD_BYTES \
                     ? _Alignof(max_align_t) : 2 * WORD_BYTES)
#define SIZE_BITS   (8 * sizeof(size_t))
#define KIB         ((size_t)1024)
#define MIB         (KIB * KIB)

enum {
    OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_ALIGNED, OP_FREE, OP_HEAP_IN,
    OP_CHECK, OP_POSIX_MEMALIGN, OP_REWRITE, OP_FREE_ALL, OP_COUNT
};

#define MAX_OPS       2000
#define MAX_BLOCKS    256
/* Live bytes (and alignment slack) allowed on the backend-fed heaps: the
 * backend never takes memory back, so this bounds the process's size. */
#define BACKEND_BUDGET (16 * MIB)
/* Alignments above this are not tried on backend-fed heaps (they would
 * map that much address space for nothing), except the impossible ones. */
#define MAX_BACKEND_ALIGN_LOG2 20

/* Heap numbers of the model. */
/* A thread's cache of the default heap (lib/thread-cache.c): up to 8
 * blocks of each cell size up to 512 bytes. */
#define CACHED_BLOCK_MAX 512
#define CACHED_MAX       (8 * CACHED_BLOCK_MAX / MIN_ALIGN)

#define HEAP_DEFAULT  0
#define HEAP_NEW      1
#define HEAP_BUF0     2
#define N_BUFFERS     4
#define N_HEAPS       (HEAP_BUF0 + N_BUFFERS)

/* A buffer for wee_heap_in: at most 256 KiB - 4, misaligned by up to 15. */
#define BUFFER_BYTES  (256 * KIB + 128)

/*
 * The mmap and VirtualAlloc backends do not run out within the budget, so
 * a failed request there is a bug; the static array and wasm32's memory
 * may run out, and then ENOMEM is an answer.
 */
#define BACKEND_NEVER_RUNS_OUT (WEE_ALLOC_BACKEND_MMAP || WEE_ALLOC_BACKEND_VIRTUALALLOC)

struct block {
    unsigned char *p;
    size_t size;       /* requested */
    size_t usable;     /* wee_heap_usable_size at allocation */
    size_t align;      /* requested alignment, at least MIN_ALIGN */
    int heap;          /* HEAP_* */
    unsigned char fill;
};

struct buffer {
    unsigned char raw[BUFFER_BYTES];
    unsigned char *start;  /* what was given to wee_heap_in */
    size_t len;
    wee_heap *heap;        /* NULL while the buffer holds no heap */
};

static struct block blocks[MAX_BLOCKS];
static size_t n_blocks;
static struct buffer buffers[N_BUFFERS];
static wee_heap *new_heap;       /* from wee_heap_new, made once */
static int new_heap_tried;
static size_t backend_live;      /* charged against BACKEND_BUDGET */
static unsigned fill_counter;
static unsigned long op_index;
static unsigned touched;         /* heaps the current operation called */

/* Note that the current operation calls heap h. */
static int touch(int h)
{
    touched |= 1u << h;
    return h;
}

/* ---- failure ---- */

/* (No format attribute for Windows, whose printf gcc takes to lack %zu.) */
#if defined(__GNUC__) && !defined(_WIN32)
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#elif defined(__GNUC__)
static void fail(const char *fmt, ...) __attribute__((noreturn));
#endif

static void fail(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "fuzz-heap: operation %lu: ", op_index);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* ---- input ---- */

static const uint8_t *in_data;
static size_t in_size, in_pos;

static unsigned next_byte(void)
{
    return in_pos < in_size ? in_data[in_pos++] : 0;
}

/* Sizes that no heap can give: they overflow once a header is added, or
 * exceed the largest request the heap accepts (half the address space). */
static size_t impossible_size(unsigned k)
{
    switch (k % 8) {
    case 0: return SIZE_MAX;
    case 1: return SIZE_MAX - MIN_ALIGN;
    case 2: return SIZE_MAX - 2 * WORD_BYTES + 1;
    case 3: return SIZE_MAX / 2;
    case 4: return SIZE_MAX / 2 + 1;
    case 5: return SIZE_MAX / 2 - 64 * KIB;
    case 6: return SIZE_MAX - 64 * KIB;
    default: return ((size_t)1 << (SIZE_BITS - 1)) + 12345;
    }
}

static int is_impossible(size_t n)
{
    return n >= SIZE_MAX / 2 - 64 * KIB;
}

static size_t next_size(void)
{
    unsigned k = next_byte();
    size_t n;

    if (k < 0x80)
        return k;
    if (k < 0xf8)
        return (size_t)(k - 0x80) << 8 | next_byte();
    if (k < 0xfc) {
        n = (size_t)(k & 3) << 20;
        n |= (size_t)next_byte() << 12;
        return n | (size_t)next_byte() << 4;
    }
    return impossible_size(next_byte());
}

static size_t next_alignment(void)
{
    unsigned a = next_byte();

    if (a < 0x80)
        return (size_t)1 << (a % SIZE_BITS);
    if (a == 0xff)
        return SIZE_MAX;
    return 3 * (size_t)(a & 0x7f);
}

static int is_power_of_two(size_t x)
{
    return x && !(x & (x - 1));
}

static unsigned log2_of(size_t x)
{
    unsigned k = 0;

    while (x >>= 1)
        k++;
    return k;
}

/* ---- heaps ---- */

static wee_heap *heap_handle(int h)
{
    if (h == HEAP_DEFAULT)
        return wee_heap_default();
    if (h == HEAP_NEW)
        return new_heap;
    return buffers[h - HEAP_BUF0].heap;
}

static int heap_exists(int h)
{
    return heap_handle(h) != NULL;
}

static int is_backend_heap(int h)
{
    return h == HEAP_DEFAULT || h == HEAP_NEW;
}

/*
 * Decode H: the model's heap number, and how the default heap is called
 * (0 plain functions, 1 wee_heap_* with NULL, 2 with wee_heap_default()).
 */
static int next_heap(int *api)
{
    unsigned s = next_byte() % 8;

    *api = 0;
    if (s <= 2) {
        *api = (int)s;
        return touch(HEAP_DEFAULT);
    }
    if (s == 3) {
        if (!new_heap_tried) {
            new_heap_tried = 1;
            new_heap = wee_heap_new();
            if (!new_heap && BACKEND_NEVER_RUNS_OUT)
                fail("wee_heap_new failed (errno %d)", errno);
        }
        return touch(new_heap ? HEAP_NEW : HEAP_DEFAULT);
    }
    if (buffers[s - 4].heap)
        return touch(HEAP_BUF0 + (int)(s - 4));
    return touch(HEAP_DEFAULT);
}

/* The wee_heap * to pass to wee_heap_* for heap h called through api. */
static wee_heap *api_handle(int h, int api)
{
    if (h == HEAP_DEFAULT)
        return api == 2 ? wee_heap_default() : NULL;
    return heap_handle(h);
}

static size_t usable_size(int h, const void *p)
{
    size_t n = wee_heap_usable_size(heap_handle(h), p);

    if (h == HEAP_DEFAULT && wee_malloc_usable_size(p) != n)
        fail("wee_malloc_usable_size(%p) = %zu, wee_heap_usable_size says %zu",
             p, wee_malloc_usable_size(p), n);
    return n;
}

static size_t backend_bytes(int h)
{
    struct wee_stats s;

    wee_heap_stats(heap_handle(h), &s);
    return s.backend_bytes;
}

/* ---- the model ---- */

static size_t extent(const struct block *b)
{
    return b->usable ? b->usable : 1;
}

/* The first of the n bytes at p that is not `fill`, or n. */
static size_t mismatch(const unsigned char *p, size_t n, unsigned char fill)
{
    static unsigned char pattern[4096];
    size_t done = 0, i;

    /* memcmp a chunk at a time: far faster than a byte loop under ASan. */
    if (pattern[0] != fill)
        memset(pattern, fill, sizeof pattern);
    while (n - done >= sizeof pattern && memcmp(p + done, pattern, sizeof pattern) == 0)
        done += sizeof pattern;
    for (i = done; i < n; i++) {
        if (p[i] != fill)
            return i;
    }
    return n;
}

static void verify_contents(const struct block *b, size_t n, const char *when)
{
    size_t i = mismatch(b->p, n, b->fill);

    if (i < n)
        fail("%s: block %p (%zu bytes, heap %d) byte %zu is 0x%02x, "
             "expected 0x%02x", when, (void *)b->p, b->size, b->heap, i,
             b->p[i], b->fill);
}

static void verify_ends(const struct block *b)
{
    if (b->usable && (b->p[0] != b->fill || b->p[b->usable - 1] != b->fill))
        fail("block %p (%zu usable bytes, heap %d) was overwritten",
             (void *)b->p, b->usable, b->heap);
}

static unsigned char next_fill(void)
{
    /* 1..255: never 0, so that memory left zero never passes for a fill. */
    return (unsigned char)(1 + fill_counter++ % 255);
}

/*
 * Check a block the heap has just handed out (size `size`, alignment
 * `align`), fill it, and enter it in the model.  `skip` is the model slot
 * of the block it replaces (realloc), or -1.
 */
static void adopt(int h, unsigned char *p, size_t size, size_t align, long skip)
{
    struct block *b;
    size_t usable, i;

    if (align < MIN_ALIGN)
        align = MIN_ALIGN;
    if (((uintptr_t)p & (align - 1)) != 0)
        fail("%p is not aligned to %zu", (void *)p, align);
    usable = usable_size(h, p);
    if (usable < size)
        fail("usable size %zu of %p is below the %zu bytes asked for",
             usable, (void *)p, size);
    if (h >= HEAP_BUF0) {
        const struct buffer *buf = &buffers[h - HEAP_BUF0];
        if (p < buf->start || usable > buf->len
            || (size_t)(p - buf->start) > buf->len - usable)
            fail("%p (%zu bytes) lies outside its heap's buffer %p (%zu bytes)",
                 (void *)p, usable, (void *)buf->start, buf->len);
    }
    for (i = 0; i < n_blocks; i++) {
        const struct block *o = &blocks[i];
        size_t n = usable ? usable : 1;

        if ((long)i == skip)
            continue;
        if (p < o->p + extent(o) && o->p < p + n)
            fail("%p (%zu bytes) overlaps the live block %p (%zu bytes)",
                 (void *)p, n, (void *)o->p, extent(o));
    }
    if (skip >= 0) {
        b = &blocks[skip];
    } else {
        if (n_blocks == MAX_BLOCKS)
            fail("model full (the caller must check)");
        b = &blocks[n_blocks++];
    }
    b->p = p;
    b->size = size;
    b->usable = usable;
    b->align = align;
    b->heap = h;
    b->fill = next_fill();
    memset(p, b->fill, usable);
    if (is_backend_heap(h))
        backend_live += size + (align > MIN_ALIGN ? 2 * align : 0);
}

static void forget(size_t i)
{
    struct block *b = &blocks[i];

    if (is_backend_heap(b->heap))
        backend_live -= b->size + (b->align > MIN_ALIGN ? 2 * b->align : 0);
    blocks[i] = blocks[--n_blocks];
}

/* May a request of `bytes` more (alignment slack included) go to heap h? */
static int within_budget(int h, size_t bytes)
{
    return !is_backend_heap(h) || bytes <= BACKEND_BUDGET - backend_live;
}

/* Is there a model slot for one more block? */
static int room_for_block(void)
{
    return n_blocks < MAX_BLOCKS;
}

/*
 * A request returned NULL: it must say ENOMEM (or `want_errno`).  Only an
 * impossible request, a buffer heap or a backend that may run out can
 * fail; an impossible request must not take memory from the backend.
 */
static void expect_failure(int h, int err, int impossible, size_t before, const char *what)
{
    if (err != ENOMEM)
        fail("%s failed with errno %d, expected ENOMEM (%d)", what, err, ENOMEM);
    if (!impossible && is_backend_heap(h) && BACKEND_NEVER_RUNS_OUT)
        fail("%s failed on a backend that cannot run out", what);
    if (impossible && backend_bytes(h) != before)
        fail("%s is impossible, yet the heap took %zu bytes from the backend",
             what, backend_bytes(h) - before);
}

/* ---- operations ---- */

static void op_malloc(void)
{
    int api, h = next_heap(&api);
    size_t size = next_size(), before;
    int impossible = is_impossible(size);
    void *p;

    if (!impossible && (!room_for_block() || !within_budget(h, size)))
        return;
    before = impossible ? backend_bytes(h) : 0;
    errno = 0;
    p = (h == HEAP_DEFAULT && api == 0) ? wee_malloc(size)
                                        : wee_heap_malloc(api_handle(h, api), size);
    if (!p) {
        expect_failure(h, errno, impossible, before, "malloc");
        return;
    }
    if (impossible)
        fail("malloc(%zu) returned %p", size, p);
    adopt(h, p, size, MIN_ALIGN, -1);
}

static void op_calloc(void)
{
    int api, h = next_heap(&api);
    unsigned nb = next_byte();
    size_t nmemb = nb == 255 ? SIZE_MAX / 2 + 1 : nb;
    size_t size = next_size(), before, total = 0, i;
    int impossible;
    unsigned char *p;

    impossible = size && nmemb > SIZE_MAX / size;
    if (!impossible) {
        total = nmemb * size;
        impossible = is_impossible(total);
    }
    if (!impossible && (!room_for_block() || !within_budget(h, total)))
        return;
    before = impossible ? backend_bytes(h) : 0;
    errno = 0;
    p = (h == HEAP_DEFAULT && api == 0) ? wee_calloc(nmemb, size)
                                        : wee_heap_calloc(api_handle(h, api), nmemb, size);
    if (!p) {
        expect_failure(h, errno, impossible, before, "calloc");
        return;
    }
    if (impossible)
        fail("calloc(%zu, %zu) returned %p", nmemb, size, (void *)p);
    i = mismatch(p, total, 0);
    if (i < total)
        fail("calloc(%zu, %zu) = %p: byte %zu is 0x%02x, not zero",
             nmemb, size, (void *)p, i, p[i]);
    adopt(h, p, total, MIN_ALIGN, -1);
}

static void op_realloc(void)
{
    unsigned sel = next_byte();
    size_t size = next_size(), before, keep;
    int impossible = is_impossible(size), h, plain;
    struct block *b;
    unsigned char *q;
    long i;

    if (n_blocks == 0) {
        /* realloc(NULL, size) is malloc(size), on the default heap. */
        touch(HEAP_DEFAULT);
        if (!impossible && !within_budget(HEAP_DEFAULT, size))
            return;   /* (the model is empty: there is room) */
        before = impossible ? backend_bytes(HEAP_DEFAULT) : 0;
        errno = 0;
        q = (sel & 1) ? wee_realloc(NULL, size) : wee_heap_realloc(NULL, NULL, size);
        if (!q) {
            expect_failure(HEAP_DEFAULT, errno, impossible, before, "realloc(NULL)");
            return;
        }
        if (impossible)
            fail("realloc(NULL, %zu) returned %p", size, (void *)q);
        adopt(HEAP_DEFAULT, q, size, MIN_ALIGN, -1);
        return;
    }
    i = (long)(sel % n_blocks);
    b = &blocks[i];
    h = touch(b->heap);
    plain = h == HEAP_DEFAULT && (sel & 1);
    verify_contents(b, b->usable, "before realloc");
    if (size == 0) {
        errno = 0;
        q = plain ? wee_realloc(b->p, 0) : wee_heap_realloc(heap_handle(h), b->p, 0);
        if (q)
            fail("realloc(%p, 0) returned %p, expected NULL", (void *)b->p, (void *)q);
        if (errno != 0)
            fail("realloc(%p, 0) set errno to %d", (void *)b->p, errno);
        forget((size_t)i);
        return;
    }
    if (!impossible && size > b->size && !within_budget(h, size - b->size))
        return;
    before = impossible ? backend_bytes(h) : 0;
    errno = 0;
    q = plain ? wee_realloc(b->p, size) : wee_heap_realloc(heap_handle(h), b->p, size);
    if (!q) {
        expect_failure(h, errno, impossible, before, "realloc");
        /* The old block is untouched and still ours. */
        verify_contents(b, b->usable, "after a failed realloc");
        if (usable_size(h, b->p) != b->usable)
            fail("a failed realloc changed the usable size of %p", (void *)b->p);
        return;
    }
    if (impossible)
        fail("realloc(%p, %zu) returned %p", (void *)b->p, size, (void *)q);
    /* What the caller could use before, up to the new size, is kept. */
    keep = b->usable < size ? b->usable : size;
    {
        size_t k = mismatch(q, keep, b->fill);
        if (k < keep)
            fail("realloc(%p, %zu) = %p lost byte %zu: 0x%02x, expected 0x%02x",
                 (void *)b->p, size, (void *)q, k, q[k], b->fill);
    }
    if (is_backend_heap(h))
        backend_live -= b->size + (b->align > MIN_ALIGN ? 2 * b->align : 0);
    adopt(h, q, size, MIN_ALIGN, i);
}

static void op_aligned(void)
{
    int api, h = next_heap(&api);
    size_t align = next_alignment(), size = next_size(), before, cost;
    int valid = is_power_of_two(align), impossible;
    unsigned char *p;

    /* Alignments above a quarter of the largest request cannot be met. */
    impossible = is_impossible(size) || (valid && log2_of(align) >= SIZE_BITS - 3);
    if (valid && !impossible && is_backend_heap(h) && log2_of(align) > MAX_BACKEND_ALIGN_LOG2)
        return;
    cost = size + (valid && align > MIN_ALIGN ? 2 * align : 0);
    if (valid && !impossible && (!room_for_block() || !within_budget(h, cost)))
        return;
    before = impossible || !valid ? backend_bytes(h) : 0;
    errno = 0;
    p = (h == HEAP_DEFAULT && api == 0)
        ? wee_aligned_alloc(align, size)
        : wee_heap_aligned_alloc(api_handle(h, api), align, size);
    if (!valid) {
        if (p || errno != EINVAL)
            fail("aligned_alloc(%zu, %zu) = %p, errno %d: expected NULL and "
                 "EINVAL (%d)", align, size, (void *)p, errno, EINVAL);
        if (backend_bytes(h) != before)
            fail("aligned_alloc(%zu, %zu) took memory from the backend", align, size);
        return;
    }
    if (!p) {
        expect_failure(h, errno, impossible, before, "aligned_alloc");
        return;
    }
    if (impossible)
        fail("aligned_alloc(%zu, %zu) returned %p", align, size, (void *)p);
    adopt(h, p, size, align, -1);
}

static void op_posix_memalign(void)
{
    size_t align = next_alignment(), size = next_size(), before;
    int valid = is_power_of_two(align) && align % sizeof(void *) == 0;
    int impossible, rc;
    void *p = &p;   /* must stay untouched on failure */

    impossible = is_impossible(size) || (valid && log2_of(align) >= SIZE_BITS - 3);
    if (valid && !impossible && log2_of(align) > MAX_BACKEND_ALIGN_LOG2)
        return;
    if (valid && !impossible
        && (!room_for_block()
            || !within_budget(HEAP_DEFAULT, size + (align > MIN_ALIGN ? 2 * align : 0))))
        return;
    before = impossible ? backend_bytes(HEAP_DEFAULT) : 0;
    errno = 0;
    rc = wee_posix_memalign(&p, align, size);
    if (errno != 0)
        fail("posix_memalign(%zu, %zu) changed errno to %d", align, size, errno);
    if (rc != 0) {
        if (p != &p)
            fail("posix_memalign(%zu, %zu) failed with %d but stored %p",
                 align, size, rc, p);
        if (!valid) {
            if (rc != EINVAL)
                fail("posix_memalign(%zu, %zu) = %d, expected EINVAL", align, size, rc);
            return;
        }
        expect_failure(HEAP_DEFAULT, rc, impossible, before, "posix_memalign");
        return;
    }
    if (!valid || impossible)
        fail("posix_memalign(%zu, %zu) succeeded with %p", align, size, p);
    adopt(HEAP_DEFAULT, p, size, align, -1);
}

static void free_block(size_t i, int plain)
{
    struct block *b = &blocks[i];

    touch(b->heap);
    verify_contents(b, b->usable, "before free");
    if (usable_size(b->heap, b->p) != b->usable)
        fail("the usable size of %p changed from %zu to %zu while it was live",
             (void *)b->p, b->usable, usable_size(b->heap, b->p));
    if (b->heap == HEAP_DEFAULT && plain)
        wee_free(b->p);
    else
        wee_heap_free(heap_handle(b->heap), b->p);
    forget(i);
}

static void op_free(void)
{
    unsigned sel = next_byte();

    if (n_blocks == 0) {
        wee_free(NULL);             /* a no-op */
        wee_heap_free(NULL, NULL);
        return;
    }
    free_block(sel % n_blocks, sel & 1);
}

static void op_free_all(void)
{
    int api, h = next_heap(&api);
    size_t i = n_blocks;

    while (i-- > 0) {
        if (blocks[i].heap == h)
            free_block(i, api == 0);
    }
}

static void op_rewrite(void)
{
    unsigned sel = next_byte();
    struct block *b;

    if (n_blocks == 0)
        return;
    b = &blocks[sel % n_blocks];
    verify_contents(b, b->usable, "before rewrite");
    b->fill = next_fill();
    memset(b->p, b->fill, b->usable);
}

static void op_heap_in(void)
{
    size_t len = ((size_t)next_byte() << 8 | next_byte()) * 4;
    unsigned o = next_byte();
    struct buffer *buf = &buffers[(o >> 4) % N_BUFFERS];
    int h = touch(HEAP_BUF0 + (int)(buf - buffers));
    size_t misalign = o & 15, i;
    wee_heap *heap;
    struct wee_stats s;

    /* The buffer's old heap, if any, is abandoned with its blocks. */
    for (i = n_blocks; i-- > 0;) {
        if (blocks[i].heap == h)
            forget(i);
    }
    buf->heap = NULL;
    buf->start = (unsigned char *)(((uintptr_t)buf->raw + 63) & ~(uintptr_t)63) + misalign;
    buf->len = len;
    memset(buf->start, 0xa5, len);
    errno = 0;
    heap = wee_heap_in(buf->start, len);
    if (!heap) {
        if (errno != EINVAL)
            fail("wee_heap_in(%p, %zu) failed with errno %d, expected EINVAL",
                 (void *)buf->start, len, errno);
        /* Only a buffer too small for the heap's state and a block may be
         * refused, whatever its alignment. */
        if (len >= 64 * KIB)
            fail("wee_heap_in(%p, %zu) refused a 64 KiB buffer", (void *)buf->start, len);
        return;
    }
    if (len < KIB)
        fail("wee_heap_in accepted %zu bytes, too few for its state and a block", len);
    /* The heap starts at the buffer's first MIN_ALIGN boundary. */
    if ((unsigned char *)heap < buf->start || (unsigned char *)heap >= buf->start + MIN_ALIGN
        || (uintptr_t)heap % MIN_ALIGN != 0)
        fail("wee_heap_in(%p, %zu) returned %p, not the buffer's first %zu-byte boundary",
             (void *)buf->start, len, (void *)heap, (size_t)MIN_ALIGN);
    buf->heap = heap;
    wee_heap_stats(heap, &s);
    if (s.in_use_bytes != 0 || s.backend_bytes > len)
        fail("a new heap in %zu bytes says %zu bytes in use, %zu from the backend",
             len, s.in_use_bytes, s.backend_bytes);
}

/* Call visit for every cell: count the blocks in use and their sizes. */
struct walk_count {
    size_t blocks;
    size_t bytes;
};

static int count_in_use(void *block, size_t size, int in_use, void *arg)
{
    struct walk_count *c = arg;

    (void)block;
    if (in_use) {
        c->blocks++;
        c->bytes += size;
    }
    return 0;
}

/*
 * After every operation: wee_heap_check and the byte count of every heap
 * the operation called (of all, when full), the ends of every block (all
 * of its contents, and a walk of every heap, when full).
 */
static void verify_heaps(int full)
{
    size_t model_bytes[N_HEAPS] = { 0 }, model_count[N_HEAPS] = { 0 }, i;
    int h;

    for (i = 0; i < n_blocks; i++) {
        const struct block *b = &blocks[i];

        model_bytes[b->heap] += b->usable;
        model_count[b->heap]++;
        if (full)
            verify_contents(b, b->usable, "full check");
        else
            verify_ends(b);
    }
    for (h = 0; h < N_HEAPS; h++) {
        wee_heap *heap = heap_handle(h);
        struct wee_stats s;
        void *where = NULL;
        int rc;

        if (!heap_exists(h) || (!full && !(touched & 1u << h)))
            continue;
        rc = wee_heap_check(heap, &where);
        if (rc != WEE_CHECK_OK)
            fail("wee_heap_check(heap %d) = %d (%s) at %p", h, rc,
                 wee_check_describe(rc), where);
        if (h == HEAP_DEFAULT && full && wee_check() != WEE_CHECK_OK)
            fail("wee_check() = %d but wee_heap_check(default) = 0", wee_check());
        wee_heap_stats(heap, &s);
        if (s.in_use_bytes != model_bytes[h])
            fail("heap %d: in_use_bytes %zu, but its %zu live blocks have %zu "
                 "usable bytes", h, s.in_use_bytes, model_count[h], model_bytes[h]);
        if (full) {
            struct walk_count c = { 0, 0 };

            if (wee_heap_walk(heap, count_in_use, &c) != 0)
                fail("wee_heap_walk(heap %d) stopped early", h);
            /* On the default heap, blocks this thread freed may wait in
             * its cache (mmap backend), which the walk reports in use and
             * the statistics count as free: only small blocks, at most
             * CACHED_MAX of them. */
            if (h == HEAP_DEFAULT && c.blocks > model_count[h]
                && c.bytes > model_bytes[h]
                && c.blocks - model_count[h] <= CACHED_MAX
                && c.bytes - model_bytes[h]
                       <= (c.blocks - model_count[h]) * CACHED_BLOCK_MAX)
                continue;
            if (c.blocks != model_count[h] || c.bytes != model_bytes[h])
                fail("heap %d: the walk saw %zu blocks in use (%zu bytes), the "
                     "model holds %zu (%zu bytes)", h, c.blocks, c.bytes,
                     model_count[h], model_bytes[h]);
        }
    }
    touched = 0;
}

static const char *const op_names[OP_COUNT] = {
    "malloc", "calloc", "realloc", "aligned_alloc", "free", "heap_in",
    "check", "posix_memalign", "rewrite", "free all"
};

/* FUZZ_HEAP_TRACE: print the operation that consumed input[from, in_pos). */
static void trace(unsigned op, size_t from)
{
    static int enabled = -1;
    size_t i;

    if (enabled < 0)
        enabled = getenv("FUZZ_HEAP_TRACE") != NULL;
    if (!enabled)
        return;
    fprintf(stderr, "fuzz-heap: %lu %s", op_index, op_names[op]);
    for (i = from; i < in_pos; i++)
        fprintf(stderr, " %02x", in_data[i]);
    fprintf(stderr, " -> %lu live\n", (unsigned long)n_blocks);
}

static void trim_heaps(void)
{
    int k;

    for (k = 0; k < N_HEAPS; k++)
        if (heap_exists(k))
            wee_heap_trim(heap_handle(k));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int k;

    in_data = data;
    in_size = size;
    in_pos = 0;
    fill_counter = 0;

    for (op_index = 0; in_pos < in_size && op_index < MAX_OPS; op_index++) {
        size_t from = in_pos;
        unsigned op = next_byte() % OP_COUNT;

        switch (op) {
        case OP_MALLOC: op_malloc(); break;
        case OP_CALLOC: op_calloc(); break;
        case OP_REALLOC: op_realloc(); break;
        case OP_ALIGNED: op_aligned(); break;
        case OP_FREE: op_free(); break;
        case OP_HEAP_IN: op_heap_in(); break;
        case OP_CHECK: verify_heaps(1); trim_heaps(); break;
        case OP_POSIX_MEMALIGN: op_posix_memalign(); break;
        case OP_REWRITE: op_rewrite(); break;
        default: op_free_all(); break;
        }
        trace(op, from + 1);
        verify_heaps(0);
    }

    /* Give every heap's free pages back while the blocks live: none may
     * change. */
    trim_heaps();
    /* Leave nothing live: the next input starts from empty heaps (the
     * buffers' heaps are dropped; the next heap_in makes new ones). */
    verify_heaps(1);
    while (n_blocks > 0)
        free_block(n_blocks - 1, (int)(n_blocks & 1));
    verify_heaps(1);
    for (k = 0; k < N_BUFFERS; k++)
        buffers[k].heap = NULL;
    if (backend_live != 0)
        fail("the model's budget did not return to zero (%zu)", backend_live);
    return 0;
}
