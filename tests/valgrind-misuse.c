/* SPDX-License-Identifier: MPL-2.0 */
/*
 * valgrind-misuse - a program for tests/test-valgrind.sh to run under
 * valgrind's memcheck.
 *
 *   valgrind-misuse errors   two deliberate errors: a block of
 *                            LEAKED_BYTES from wee_malloc whose pointer is
 *                            lost, and a read from a block after wee_free
 *   valgrind-misuse clean    every function used correctly, with every
 *                            byte of every block written and read, and
 *                            everything freed: memcheck must find nothing
 *
 * Exit status 0 (memcheck's own verdict is what the script checks), 2 on a
 * usage error, 1 when a result is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wee_alloc.h"

#define LEAKED_BYTES 4000

/* Volatile so that the compiler keeps the read after free and the leak. */
static void *volatile sink;
static volatile unsigned char byte_sink;

static int failed;

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "valgrind-misuse: wrong result: %s\n", what);
        failed = 1;
    }
}

static void errors(void)
{
    unsigned char *p = wee_malloc(100);
    void *leaked = wee_malloc(LEAKED_BYTES);

    /* The leak: the only pointer to the block is overwritten. */
    expect(leaked != NULL, "wee_malloc");
    memset(leaked, 1, LEAKED_BYTES);
    sink = leaked;
    sink = NULL;
    leaked = NULL;

    /* The read after free. */
    expect(p != NULL, "wee_malloc");
    memset(p, 2, 100);
    wee_free(p);
    byte_sink = p[50];
}

/* Every one of the n bytes at p must read as zero. */
static void zeroed(const unsigned char *p, size_t n, const char *what)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != 0)
            expect(0, what);
}

/* Write every usable byte, then read them all back. */
static void use(unsigned char *p, size_t n, unsigned char tag)
{
    size_t i, usable = wee_malloc_usable_size(p);

    expect(usable >= n, "usable size");
    for (i = 0; i < usable; i++)
        p[i] = (unsigned char)(tag + i);
    for (i = 0; i < usable; i++)
        if (p[i] != (unsigned char)(tag + i))
            expect(0, "block contents");
}

static int count_cells(void *block, size_t size, int in_use, void *arg)
{
    (void)block;
    (void)size;
    (void)in_use;
    ++*(size_t *)arg;
    return 0;
}

static void clean(void)
{
    enum { N = 300 };
    static unsigned char arena[64 * 1024] __attribute__((aligned(64)));
    unsigned char *blocks[N];
    struct wee_stats st;
    size_t i, cells = 0;
    wee_heap *h;
    void *q;

    /* Small blocks (size classes), freed and reused. */
    for (i = 0; i < N; i++) {
        blocks[i] = wee_malloc(i % 97);
        expect(blocks[i] != NULL, "wee_malloc");
        use(blocks[i], i % 97, (unsigned char)i);
    }
    for (i = 0; i < N; i += 2)
        wee_free(blocks[i]);
    for (i = 0; i < N; i += 2) {
        blocks[i] = wee_calloc(i % 13 + 1, 8);
        expect(blocks[i] != NULL, "wee_calloc");
        expect(blocks[i][0] == 0 && blocks[i][(i % 13 + 1) * 8 - 1] == 0, "calloc zeroes");
        use(blocks[i], (i % 13 + 1) * 8, (unsigned char)i);
    }

    /* realloc: shrink, grow in place (the neighbour is freed first), move. */
    for (i = 0; i + 1 < N; i += 3) {
        size_t old = wee_malloc_usable_size(blocks[i]);
        unsigned char *r;

        wee_free(blocks[i + 1]);
        blocks[i + 1] = NULL;
        r = wee_realloc(blocks[i], old + 40);
        expect(r != NULL, "wee_realloc grow");
        expect(r[0] == (unsigned char)i, "realloc keeps contents");
        use(r, old + 40, 7);
        r = wee_realloc(r, 10);
        expect(r != NULL, "wee_realloc shrink");
        use(r, 10, 8);
        r = wee_realloc(r, 20000 + i);
        expect(r != NULL, "wee_realloc move");
        use(r, 20000 + i, 9);
        blocks[i] = r;
    }
    for (i = 0; i < N; i++)
        wee_free(blocks[i]);

    /* A large calloc leaves alone the pages that read as zero: the new
     * memory the heap grows by for it, and on Linux the pages a freed
     * block gave back, which the next calloc of its size takes.  memcheck
     * must see all of it as zero and defined. */
    for (i = 0; i < 2; i++) {
        size_t large = (size_t)1 << 20;
        unsigned char *z = wee_calloc(1, large);
        expect(z != NULL, "wee_calloc, large");
        zeroed(z, large, "large calloc zeroes");
        use(z, large, 10);
        wee_free(z);
    }

    /* Aligned blocks. */
    for (i = 0; i < 17; i++) {
        unsigned char *a = wee_aligned_alloc((size_t)1 << i, 100 + i);
        void *m = NULL;

        expect(a != NULL, "wee_aligned_alloc");
        use(a, 100 + i, 1);
        if (((size_t)1 << i) >= sizeof(void *)) {
            expect(wee_posix_memalign(&m, (size_t)1 << i, 3 * i) == 0, "wee_posix_memalign");
            use(m, 3 * i, 2);
        }
        wee_free(m);
        wee_free(a);
    }

    /* Large blocks, realloc(NULL) and realloc(p, 0). */
    q = wee_realloc(NULL, 300000);
    expect(q != NULL, "wee_realloc(NULL)");
    use(q, 300000, 3);
    expect(wee_realloc(q, 0) == NULL, "wee_realloc(p, 0)");
    wee_free(NULL);

    /* Heaps: one fed by the backend, one in a buffer. */
    h = wee_heap_new();
    expect(h != NULL, "wee_heap_new");
    if (h) {
        unsigned char *a = wee_heap_malloc(h, 5000);
        expect(a != NULL, "wee_heap_malloc");
        if (a) {
            memset(a, 4, wee_heap_usable_size(h, a));
            a = wee_heap_realloc(h, a, 70000);
            expect(a != NULL && a[4999] == 4, "wee_heap_realloc");
            wee_heap_free(h, a);
        }
        expect(wee_heap_check(h, NULL) == WEE_CHECK_OK, "wee_heap_check");
    }
    h = wee_heap_in(arena, sizeof arena);
    expect(h != NULL, "wee_heap_in");
    if (h) {
        unsigned char *a = wee_heap_calloc(h, 10, 100);
        unsigned char *b = wee_heap_aligned_alloc(h, 256, 300);
        expect(a != NULL && b != NULL, "wee_heap_calloc, wee_heap_aligned_alloc");
        if (a && b) {
            expect(a[999] == 0, "wee_heap_calloc zeroes");
            memset(b, 5, 300);
            wee_heap_free(h, a);
            wee_heap_free(h, b);
        }
        expect(wee_heap_walk(h, count_cells, &cells) == 0 && cells > 0, "wee_heap_walk");
        expect(wee_heap_check(h, NULL) == WEE_CHECK_OK, "wee_heap_check in a buffer");
    }

    wee_stats(&st);
    expect(st.in_use_bytes == 0, "nothing in use at the end");
    expect(wee_check() == WEE_CHECK_OK, "wee_check");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "errors") == 0)
        errors();
    else if (argc == 2 && strcmp(argv[1], "clean") == 0)
        clean();
    else {
        fprintf(stderr, "usage: valgrind-misuse errors|clean\n");
        return 2;
    }
    return failed;
}
