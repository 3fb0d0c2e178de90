/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-fork.c - fork() while other threads allocate, then allocate in
 * the child.
 *
 *   malloc-fork [--expect wee|glibc] [FORKS]
 *
 * Four threads malloc, fill, verify and free blocks without pause while
 * the main thread forks FORKS times.  Without fork handlers the child can
 * inherit the heap's lock held by a thread that does not exist in it, and
 * its first malloc waits forever; or it inherits a heap in the middle of a
 * change.  Each child therefore verifies a block its parent filled before
 * the fork, allocates and verifies a few thousand blocks of its own (also
 * from a new thread), and exits 0; an alarm kills a child that hangs, which
 * the parent reports.  Exit status 0 when every child exited 0 and every
 * block, in the parent and in the children, was intact.
 *
 * --expect wee additionally requires glibc's own heap to be untouched
 * (mallinfo2), which shows the blocks came from the preloaded library.
 */
#define _GNU_SOURCE 1

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#  define HAVE_MALLINFO2 1
#endif

#define THREADS 4
#define CHILD_SECONDS 20

static atomic_int stop;
static atomic_long corrupt;

static uint32_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*state >> 33);
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 13);
}

static int intact(const unsigned char *p, size_t n, uint32_t seed)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 13))
            return 0;
    return 1;
}

/* Allocate, fill, verify and free `rounds` times a set of 64 blocks;
 * returns the number of corrupt blocks (or of failed allocations). */
static long churn(uint64_t *rng, long rounds)
{
    unsigned char *blocks[64];
    size_t sizes[64];
    long bad = 0, r;
    int i;

    for (r = 0; r < rounds && !atomic_load_explicit(&stop, memory_order_relaxed); r++) {
        for (i = 0; i < 64; i++) {
            sizes[i] = 1 + next_random(rng) % (next_random(rng) % 8 ? 512 : 70000);
            blocks[i] = malloc(sizes[i]);
            if (!blocks[i]) {
                bad++;
                continue;
            }
            fill(blocks[i], sizes[i], (uint32_t)(r + i));
        }
        for (i = 0; i < 64; i++) {
            if (!blocks[i])
                continue;
            if (!intact(blocks[i], sizes[i], (uint32_t)(r + i)))
                bad++;
            free(blocks[i]);
        }
    }
    return bad;
}

static void *allocator(void *arg)
{
    uint64_t rng = 77 + (uintptr_t)arg;

    while (!atomic_load(&stop))
        atomic_fetch_add(&corrupt, churn(&rng, 1));
    return NULL;
}

static void *child_thread(void *arg)
{
    uint64_t rng = 5;

    (void)arg;
    return (void *)(uintptr_t)(churn(&rng, 20) != 0);
}

/* In the child: only this thread exists; the heap must be usable. */
static int child(const unsigned char *inherited, size_t size, uint32_t seed)
{
    uint64_t rng = seed;
    pthread_t t;
    void *r = (void *)1;

    alarm(CHILD_SECONDS);
    if (!intact(inherited, size, seed))
        return 2;
    if (churn(&rng, 50) != 0)
        return 3;
    if (pthread_create(&t, NULL, child_thread, NULL) != 0 || pthread_join(t, &r) != 0 || r)
        return 4;
    return 0;
}

int main(int argc, char **argv)
{
    pthread_t t[THREADS];
    int i, forks = 100, expect_wee = 0, status = 0, arg = 1, failed_children = 0;
    uint64_t rng = 99;

    if (argc > 2 && strcmp(argv[1], "--expect") == 0) {
        expect_wee = strcmp(argv[2], "wee") == 0;
        arg = 3;
    }
    if (argc > arg)
        forks = atoi(argv[arg]);

    for (i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, allocator, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }

    for (i = 0; i < forks; i++) {
        size_t size = 1 + next_random(&rng) % 20000;
        uint32_t seed = next_random(&rng);
        unsigned char *p = malloc(size);
        pid_t pid;
        int ws;

        if (!p) {
            status = 1;
            break;
        }
        fill(p, size, seed);
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
            perror("fork");
            status = 1;
            free(p);
            break;
        }
        if (pid == 0)
            _exit(child(p, size, seed));
        if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            if (WIFSIGNALED(ws))
                printf("child %d killed by signal %d%s\n", i, WTERMSIG(ws),
                       WTERMSIG(ws) == SIGALRM ? " (it hung: a lock held across fork?)" : "");
            else
                printf("child %d exited with status %d\n", i, WEXITSTATUS(ws));
            failed_children++;
        }
        if (!intact(p, size, seed))
            atomic_fetch_add(&corrupt, 1);
        free(p);
    }

    atomic_store(&stop, 1);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("%d forks while %d threads allocated: %d children failed, %ld corrupt blocks\n",
           forks, THREADS, failed_children, atomic_load(&corrupt));
    if (failed_children || atomic_load(&corrupt))
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
