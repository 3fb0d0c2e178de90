/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wasm-bench - wee_alloc against the C library's malloc on one workload,
 * in one run: `make wasm-bench`.  Built for wasm32-wasi it compares with
 * wasi-libc's malloc (dlmalloc) under node; natively, with the system's.
 *
 * The workload is a random churn: 200 000 operations on up to 2 000 live
 * blocks, sizes log-uniform from 8 bytes to 8 KiB, each new block written
 * once (its first and last byte), a random live block freed when the table
 * is full or by a coin toss.  The same seed for both allocators.  The two
 * run alternately, 7 times each, and the median time of each is printed
 * with the ratio wee_alloc / libc (below 1: wee_alloc is faster).
 *
 * Not a test: timing depends on the machine, so there is no threshold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wee_alloc.h"

#define OPS     200000u
#define LIVE    2000u
#define ROUNDS  7

struct allocator {
    const char *name;
    void *(*alloc)(size_t);
    void (*release)(void *);
};

static void *libc_malloc(size_t n) { return malloc(n); }
static void libc_free(void *p) { free(p); }

static const struct allocator allocators[] = {
    { "wee_alloc", wee_malloc, wee_free },
    { "libc malloc", libc_malloc, libc_free },
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One run of the churn; returns its time in seconds, or -1 on failure. */
static double churn(const struct allocator *a)
{
    static unsigned char *live[LIVE];
    uint64_t r = 0x2545F4914F6CDD1Dull;
    size_t n_live = 0, i;
    unsigned op;
    double start = now();

    for (op = 0; op < OPS; op++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        if (n_live == LIVE || (n_live > 0 && (r & 1))) {
            i = (size_t)(r >> 8) % n_live;
            a->release(live[i]);
            live[i] = live[--n_live];
        } else {
            /* log-uniform 8 B .. 8 KiB: 2^(3..12) times 1..2 */
            unsigned shift = 3 + (unsigned)((r >> 8) % 10);
            size_t size = ((size_t)1 << shift) + (size_t)(r >> 20) % ((size_t)1 << shift);
            unsigned char *p = a->alloc(size);
            if (!p)
                return -1;
            p[0] = (unsigned char)op;
            p[size - 1] = (unsigned char)op;
            live[n_live++] = p;
        }
    }
    while (n_live > 0)
        a->release(live[--n_live]);
    return now() - start;
}

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(void)
{
    double t[2][ROUNDS], median[2];
    int round, k;

    printf("wasm-bench: churn, %u operations, up to %u live blocks of "
           "8 B to 8 KiB, median of %d runs (%s backend)\n",
           OPS, LIVE, ROUNDS, WEE_ALLOC_BACKEND);
    for (round = 0; round < ROUNDS; round++) {
        for (k = 0; k < 2; k++) {
            t[k][round] = churn(&allocators[k]);
            if (t[k][round] < 0) {
                fprintf(stderr, "wasm-bench: %s ran out of memory\n",
                        allocators[k].name);
                return 1;
            }
        }
    }
    for (k = 0; k < 2; k++) {
        qsort(t[k], ROUNDS, sizeof t[k][0], by_value);
        median[k] = t[k][ROUNDS / 2];
        printf("  %-12s %8.1f ns per operation\n", allocators[k].name,
               median[k] * 1e9 / OPS);
    }
    printf("  ratio wee_alloc / libc malloc: %.2f (below 1: wee_alloc is faster)\n",
           median[0] / median[1]);
    return 0;
}
