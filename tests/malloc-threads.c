/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-threads.c - 8 threads share one table of blocks through malloc & co.
 *
 *   malloc-threads [--expect wee|glibc] [OPERATIONS-PER-THREAD]
 *
 * Every block carries a header naming its size and a seed, and a payload
 * filled from the seed.  Each operation makes a new block (malloc, calloc,
 * aligned_alloc, posix_memalign or realloc of a block taken out, sizes
 * from 1 byte to 1 MiB, mostly small) and swaps it into a random slot of
 * the shared table; the block that comes out, most often allocated by
 * another thread, is verified and then freed or reallocated.  At the end the
 * main thread verifies and frees what is left.  Exit status 0 when every
 * block was intact, 1 otherwise.
 *
 * --expect wee additionally requires glibc's own heap to be untouched
 * (mallinfo2), which shows the blocks came from the preloaded library.
 */
#define _GNU_SOURCE 1

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#  define HAVE_MALLINFO2 1
#endif

#define THREADS 8
#define SLOTS 4096

struct block {
    size_t size;        /* bytes of payload after this header */
    uint32_t seed;
    uint32_t check;     /* size ^ seed ^ a constant: a torn header shows */
};

#define CHECK_MAGIC 0x9e3779b9u

static _Atomic(struct block *) table[SLOTS];
static atomic_long verified, corrupt;

static uint32_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*state >> 33);
}

/* Mostly small blocks, some medium, a few large. */
static size_t random_size(uint64_t *rng)
{
    uint32_t r = next_random(rng) % 1000;

    if (r < 700)
        return 1 + next_random(rng) % 256;
    if (r < 950)
        return 256 + next_random(rng) % 8192;
    if (r < 998)
        return 8192 + next_random(rng) % (64 * 1024);
    return (1 << 20) + next_random(rng) % 4096;
}

static void fill(struct block *b, size_t size, uint32_t seed)
{
    unsigned char *p = (unsigned char *)(b + 1);
    size_t i;

    b->size = size;
    b->seed = seed;
    b->check = (uint32_t)size ^ seed ^ CHECK_MAGIC;
    for (i = 0; i < size; i++)
        p[i] = (unsigned char)(seed + i * 31);
}

/* 1 when the first `size` payload bytes (all when size is b->size) hold
 * the block's pattern. */
static int intact(const struct block *b, size_t size)
{
    const unsigned char *p = (const unsigned char *)(b + 1);
    size_t i;

    if (b->check != ((uint32_t)b->size ^ b->seed ^ CHECK_MAGIC) || size > b->size)
        return 0;
    for (i = 0; i < size; i++)
        if (p[i] != (unsigned char)(b->seed + i * 31))
            return 0;
    return 1;
}

static struct block *make_block(uint64_t *rng, struct block *old)
{
    size_t size = random_size(rng);
    size_t bytes = sizeof(struct block) + size;
    uint32_t how = next_random(rng) % 10;
    uint32_t seed = next_random(rng);
    struct block *b = NULL;
    void *p;

    if (old && how < 3) {
        /* realloc keeps the common prefix: check it in the new place. */
        size_t keep = old->size < size ? old->size : size;
        uint32_t old_seed = old->seed;
        b = realloc(old, bytes);
        if (!b)
            return NULL;
        b->size = keep;
        b->seed = old_seed;
        b->check = (uint32_t)keep ^ old_seed ^ CHECK_MAGIC;
        if (!intact(b, keep))
            atomic_fetch_add(&corrupt, 1);
        else
            atomic_fetch_add(&verified, 1);
    } else {
        if (old) {
            if (intact(old, old->size))
                atomic_fetch_add(&verified, 1);
            else
                atomic_fetch_add(&corrupt, 1);
            free(old);
        }
        switch (how) {
        case 3:
            b = calloc(1, bytes);
            if (b && ((unsigned char *)b)[bytes - 1] != 0)
                atomic_fetch_add(&corrupt, 1);
            break;
        case 4:
            b = aligned_alloc((size_t)64 << (next_random(rng) % 8), bytes);
            break;
        case 5:
            b = posix_memalign(&p, 32, bytes) == 0 ? p : NULL;
            break;
        default:
            b = malloc(bytes);
        }
        if (!b)
            return NULL;
    }
    fill(b, size, seed);
    return b;
}

static long operations = 100000;

static void *worker(void *arg)
{
    uint64_t rng = 0x12345 + (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15u;
    long i;

    for (i = 0; i < operations; i++) {
        size_t slot = next_random(&rng) % SLOTS;
        /* Take the slot's block out (often another thread's), replace it. */
        struct block *old = atomic_exchange(&table[slot], NULL);
        struct block *b = make_block(&rng, old);
        if (!b) {
            fprintf(stderr, "thread %u: allocation failed\n", (unsigned)(uintptr_t)arg);
            return (void *)1;
        }
        old = atomic_exchange(&table[slot], b);
        if (old) {
            if (intact(old, old->size))
                atomic_fetch_add(&verified, 1);
            else
                atomic_fetch_add(&corrupt, 1);
            free(old);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t[THREADS];
    int i, expect_wee = 0, status = 0, arg = 1;

    if (argc > 2 && strcmp(argv[1], "--expect") == 0) {
        expect_wee = strcmp(argv[2], "wee") == 0;
        arg = 3;
    }
    if (argc > arg)
        operations = atol(argv[arg]);

    for (i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    for (i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        if (r)
            status = 1;
    }
    for (i = 0; i < SLOTS; i++) {
        struct block *b = atomic_load(&table[i]);
        if (b) {
            if (intact(b, b->size))
                atomic_fetch_add(&verified, 1);
            else
                atomic_fetch_add(&corrupt, 1);
            free(b);
        }
    }
    printf("%d threads, %ld operations each: %ld blocks verified, %ld corrupt\n",
           THREADS, operations, atomic_load(&verified), atomic_load(&corrupt));
    if (atomic_load(&corrupt) || atomic_load(&verified) < operations)
        status = 1;
#ifdef HAVE_MALLINFO2
    if (expect_wee) {
        struct mallinfo2 mi = mallinfo2();
        if (mi.arena || mi.hblkhd) {
            printf("FAIL: glibc's own heap was used (arena %zu, mmap'ed %zu)\n",
                   mi.arena, mi.hblkhd);
            status = 1;
        }
    }
#else
    (void)expect_wee;
#endif
    return status;
}
