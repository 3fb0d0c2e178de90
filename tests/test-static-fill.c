/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-static-fill - the static backend hands out (nearly) its whole array.
 *
 * The original lost most of a small static array to alignment (its issue
 * #85).  Here, with an array of N = WEE_STATIC_ARRAY_BYTES bytes:
 *
 *  1. Blocks of 4000 bytes are allocated until the first NULL: at least 95%
 *     of N must have been handed out (usable bytes of the blocks), the NULL
 *     comes with errno = ENOMEM, the heap is consistent, every block keeps
 *     its pattern and backend_bytes never exceeds N; the heap has taken
 *     all of the array but less than one 4 KiB unit (for any N, not only
 *     a multiple of the unit).
 *  2. A request larger than the array fails with ENOMEM at once.
 *  3. After freeing every other block, blocks of the freed size fit again,
 *     as many as were freed; after freeing everything, one block of 90% of
 *     N fits (the free cells merged back into one).
 *  4. Blocks of random sizes, 1 byte to 64 KiB, are allocated until the
 *     first NULL: again at least 95% of N is handed out (the last request
 *     that fails may be up to 64 KiB).
 *
 * Exit status 0 when all held, 1 on the first failure, 77 (SKIP) when the
 * library was not built with the static backend.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wee_alloc.h"

#define BLOCK 4000u
/* The static backend hands out its array in units of this many bytes
 * (WEE_PAGE_BYTES in lib/backend.h). */
#define ARRAY_UNIT 4096u
/* Blocks are 4000 bytes, or random up to 64 KiB (32 KiB on average). */
#define MAX_BLOCKS (WEE_STATIC_ARRAY_BYTES / 1024 + 1024)

static unsigned char **blocks;
static size_t *sizes;

/* Sizes are printed as unsigned long: newlib's printf, on bare metal, has
 * no %zu. */
static void fail(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "test-static-fill: FAIL: %s (%lu, %lu)\n", what, (unsigned long)a,
            (unsigned long)b);
    exit(1);
}

static void fill(unsigned char *p, size_t n, size_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(id * 131 + i * 7 + 1);
}

static int intact(const unsigned char *p, size_t n, size_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != (unsigned char)(id * 131 + i * 7 + 1))
            return 0;
    return 1;
}

/* Allocate blocks (of `fixed` bytes, or random sizes when 0) until the
 * first NULL; returns how many, and the usable bytes handed out. */
static size_t fill_heap(size_t fixed, size_t *handed_out)
{
    size_t n = 0;
    uint64_t r = 88172645463325252ull;

    *handed_out = 0;
    for (;;) {
        size_t size = fixed;
        if (!size) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            size = 1 + (size_t)(r % 65536);
        }
        if (n == MAX_BLOCKS)
            fail("more blocks than the array can hold", n, size);
        errno = 0;
        blocks[n] = wee_malloc(size);
        if (!blocks[n]) {
            if (errno != ENOMEM)
                fail("exhaustion: errno is not ENOMEM", (size_t)errno, size);
            return n;
        }
        sizes[n] = size;
        fill(blocks[n], size, n);
        *handed_out += wee_malloc_usable_size(blocks[n]);
        n++;
    }
}

static void check_all(size_t n, const char *when)
{
    size_t i;
    int rc = wee_check();

    if (rc != WEE_CHECK_OK)
        fail(when, (size_t)rc, n);
    for (i = 0; i < n; i++)
        if (blocks[i] && !intact(blocks[i], sizes[i], i))
            fail("a block lost its pattern", i, n);
}

static void expect_most_of_the_array(size_t handed_out, const char *what)
{
    struct wee_stats st;
    size_t n = WEE_STATIC_ARRAY_BYTES;
    unsigned long permyriad;

    wee_stats(&st);
    /* The percentage with two decimals, rounded, in integers:
     * newlib-nano's printf has no %f. */
    permyriad = (unsigned long)((double)handed_out / (double)n * 10000.0 + 0.5);
    printf("test-static-fill: %s: %lu of %lu bytes handed out (%lu.%02lu%%), "
           "backend_bytes %lu\n", what, (unsigned long)handed_out, (unsigned long)n,
           permyriad / 100, permyriad % 100, (unsigned long)st.backend_bytes);
    if (handed_out < n / 100 * 95)
        fail("less than 95% of the array was handed out", handed_out, n);
    if (st.backend_bytes > n)
        fail("backend_bytes exceeds the array", st.backend_bytes, n);
}

/* After 4000-byte blocks ran out: the heap took the array up to its last
 * partial unit of ARRAY_UNIT bytes, which no such block fits in, and the
 * padding up to the array's first 16-byte boundary. */
static void expect_array_used_up(void)
{
    struct wee_stats st;

    wee_stats(&st);
    if (st.backend_bytes + ARRAY_UNIT + 16 <= WEE_STATIC_ARRAY_BYTES)
        fail("the heap ran out with a unit or more of the array left",
             st.backend_bytes, (size_t)WEE_STATIC_ARRAY_BYTES);
}

int main(void)
{
    size_t n, i, handed_out, freed = 0, refilled = 0;
    void *p;

    if (!WEE_ALLOC_BACKEND_STATIC) {
        printf("test-static-fill: SKIP: the backend is %s, not static\n",
               WEE_ALLOC_BACKEND);
        return 77;
    }
    /* The test's own tables come from libc's malloc, not from the array. */
    blocks = calloc(MAX_BLOCKS, sizeof *blocks);
    sizes = calloc(MAX_BLOCKS, sizeof *sizes);
    if (!blocks || !sizes)
        fail("no memory for the test's tables", MAX_BLOCKS, 0);

    /* 1. */
    n = fill_heap(BLOCK, &handed_out);
    check_all(n, "wee_check() after filling with 4000-byte blocks");
    expect_most_of_the_array(handed_out, "4000-byte blocks");
    expect_array_used_up();

    /* 2. */
    errno = 0;
    p = wee_malloc((size_t)WEE_STATIC_ARRAY_BYTES + 1);
    if (p || errno != ENOMEM)
        fail("a request larger than the array did not fail with ENOMEM",
             (size_t)errno, 0);

    /* 3. */
    for (i = 0; i < n; i += 2) {
        wee_free(blocks[i]);
        blocks[i] = NULL;
        freed++;
    }
    for (i = 0; i < n; i += 2) {
        blocks[i] = wee_malloc(BLOCK);
        if (!blocks[i])
            break;
        fill(blocks[i], BLOCK, i);
        refilled++;
    }
    check_all(n, "wee_check() after refilling the freed blocks");
    if (refilled != freed)
        fail("freed blocks could not all be allocated again", refilled, freed);
    for (i = 0; i < n; i++)
        wee_free(blocks[i]);
    p = wee_malloc((size_t)WEE_STATIC_ARRAY_BYTES / 10 * 9);
    if (!p)
        fail("no block of 90% of the array after freeing everything", 0, 0);
    wee_free(p);
    printf("test-static-fill: %lu freed blocks allocated again; one block of "
           "90%% of the array after freeing all\n", (unsigned long)refilled);

    /* 4. */
    n = fill_heap(0, &handed_out);
    check_all(n, "wee_check() after filling with random sizes");
    expect_most_of_the_array(handed_out, "random sizes up to 64 KiB");
    for (i = 0; i < n; i++)
        wee_free(blocks[i]);
    if (wee_check() != WEE_CHECK_OK)
        fail("wee_check() at the end", (size_t)wee_check(), 0);

    free(blocks);
    free(sizes);
    printf("test-static-fill: PASS\n");
    return 0;
}
