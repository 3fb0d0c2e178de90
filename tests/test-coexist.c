/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-coexist - wee_alloc and the C library's malloc in one program.
 *
 * Both take memory from the same place on some hosts (on wasm32-wasi both
 * grow the one linear memory), so neither may hand out what the other
 * has.  wee_alloc goes first, before the program's first malloc: that is
 * the order in which Debian 12's wasi-libc used to claim wee_alloc's pages
 * (see lib/backend-wasm.c).  Then the two allocate in turns, blocks of
 * 16 bytes to 256 KiB, each block filled with a pattern of its own; at the
 * end every block still holds its pattern, no two blocks overlap, and
 * wee_check() is 0.
 *
 * Exit status 0 when all held, 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wee_alloc.h"

#define ROUNDS 20
#define PER_ROUND 16
#define BLOCKS (2 * ROUNDS * PER_ROUND)

struct block {
    unsigned char *p;
    size_t n;
    int from_wee;
};

static struct block blocks[BLOCKS];

static unsigned char byte_of(size_t block, size_t i)
{
    return (unsigned char)(block * 37 + i * 11 + 5);
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct block *)a)->p;
    uintptr_t y = (uintptr_t)((const struct block *)b)->p;

    return (x > y) - (x < y);
}

int main(void)
{
    size_t n = 0, i, k, bad = 0;
    int round, rc;

    for (round = 0; round < ROUNDS; round++) {
        /* wee_alloc first in every round, the C library second. */
        for (k = 0; k < 2 * PER_ROUND; k++) {
            struct block *b = &blocks[n];

            b->from_wee = k < PER_ROUND;
            b->n = (size_t)16 << ((n * 7 + (size_t)round) % 15);
            b->p = b->from_wee ? wee_malloc(b->n) : malloc(b->n);
            if (!b->p) {
                fprintf(stderr, "test-coexist: FAIL: %s(%zu) returned NULL\n",
                        b->from_wee ? "wee_malloc" : "malloc", b->n);
                return 1;
            }
            for (i = 0; i < b->n; i++)
                b->p[i] = byte_of(n, i);
            n++;
        }
    }
    for (k = 0; k < n; k++)
        for (i = 0; i < blocks[k].n; i++)
            if (blocks[k].p[i] != byte_of(k, i)) {
                fprintf(stderr, "test-coexist: FAIL: %s block %zu (%zu bytes "
                        "at %p) was overwritten at offset %zu\n",
                        blocks[k].from_wee ? "wee_alloc" : "libc", k,
                        blocks[k].n, (void *)blocks[k].p, i);
                bad++;
                break;
            }
    qsort(blocks, n, sizeof blocks[0], by_address);
    for (k = 1; k < n; k++)
        if ((uintptr_t)blocks[k].p < (uintptr_t)blocks[k - 1].p + blocks[k - 1].n) {
            fprintf(stderr, "test-coexist: FAIL: a %s block at %p (%zu bytes) "
                    "overlaps a %s block at %p\n",
                    blocks[k - 1].from_wee ? "wee_alloc" : "libc",
                    (void *)blocks[k - 1].p, blocks[k - 1].n,
                    blocks[k].from_wee ? "wee_alloc" : "libc",
                    (void *)blocks[k].p);
            bad++;
        }
    rc = wee_check();
    if (rc != WEE_CHECK_OK) {
        fprintf(stderr, "test-coexist: FAIL: wee_check() = %d (%s)\n", rc,
                wee_check_describe(rc));
        bad++;
    }
    for (k = 0; k < n; k++) {
        if (blocks[k].from_wee)
            wee_free(blocks[k].p);
        else
            free(blocks[k].p);
    }
    if (bad)
        return 1;
    printf("test-coexist: %zu blocks from wee_alloc and libc malloc in turns, "
           "none overlapping, all intact: PASS\n", n);
    return 0;
}
