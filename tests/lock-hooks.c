/* SPDX-License-Identifier: MPL-2.0 */
/*
 * lock-hooks - on bare metal with newlib or picolibc, the heap's lock is
 * the one the C library's own malloc takes, through functions an RTOS (or
 * the program) defines, as this program does:
 *   newlib: __malloc_lock and __malloc_unlock, called with the calling
 *       thread's struct _reent (_REENT);
 *   picolibc: the retargetable locking functions, through __LIBC_LOCK
 *       and __LIBC_UNLOCK, on picolibc's C library lock,
 *       __lock___libc_recursive_mutex.  The program defines every name of
 *       picolibc's own lock.o, so that it is not linked.
 * Each row below runs one call and checks that the lock was taken, as
 * often released as taken, never released more than taken, and on the
 * right argument.  Nothing is printed between a call and its check: the
 * C library's stdio may allocate and lock.  Exit status 0, or 1 with a
 * FAIL line.
 */
#include <stdint.h>
#include <stdio.h>

#include "wee_alloc.h"

static unsigned long locks, unlocks;
static int depth, max_depth, underflow, wrong_argument;

static void took(int right_argument)
{
    locks++;
    if (++depth > max_depth)
        max_depth = depth;
    if (!right_argument)
        wrong_argument = 1;
}

static void released(int right_argument)
{
    unlocks++;
    if (--depth < 0)
        underflow = 1;
    if (!right_argument)
        wrong_argument = 1;
}

#if defined(__PICOLIBC__)
#  include <sys/lock.h>
/* What an RTOS defines: the lock's type, picolibc's C library lock, and
 * the retargetable locking functions.  Only the recursive acquire and
 * release should be called. */
struct __lock {
    int unused;
};
struct __lock __lock___libc_recursive_mutex;

static int is_libc_lock(_LOCK_T lock)
{
    return lock == &__lock___libc_recursive_mutex;
}

void __retarget_lock_acquire_recursive(_LOCK_T lock) { took(is_libc_lock(lock)); }
void __retarget_lock_release_recursive(_LOCK_T lock) { released(is_libc_lock(lock)); }
void __retarget_lock_acquire(_LOCK_T lock) { (void)lock; took(0); }
void __retarget_lock_release(_LOCK_T lock) { (void)lock; released(0); }
int __retarget_lock_try_acquire(_LOCK_T lock) { (void)lock; took(0); return 1; }
int __retarget_lock_try_acquire_recursive(_LOCK_T lock) { (void)lock; took(0); return 1; }
void __retarget_lock_init(_LOCK_T *lock) { (void)lock; }
void __retarget_lock_init_recursive(_LOCK_T *lock) { (void)lock; }
void __retarget_lock_close(_LOCK_T lock) { (void)lock; }
void __retarget_lock_close_recursive(_LOCK_T lock) { (void)lock; }
#else
#  include <reent.h>
void __malloc_lock(struct _reent *r);
void __malloc_unlock(struct _reent *r);

void __malloc_lock(struct _reent *r) { took(r == _REENT); }
void __malloc_unlock(struct _reent *r) { released(r == _REENT); }
#endif

static int failures;
static void *block, *other;
static unsigned char pool[16384];
static wee_heap *pool_heap;

static void do_malloc(void) { block = wee_malloc(40); }
static void do_realloc_grow(void) { block = wee_realloc(block, 5000); }
static void do_realloc_shrink(void) { block = wee_realloc(block, 16); }
static void do_free(void) { wee_free(block); }
static void do_calloc(void) { block = wee_calloc(10, 10); }
static void do_aligned(void) { other = wee_aligned_alloc(256, 100); }
static void do_free_other(void) { wee_free(other); }
static void do_usable(void) { (void)wee_malloc_usable_size(block); }
static void do_stats(void) { struct wee_stats s; wee_stats(&s); }
static void do_check(void) { (void)wee_check(); }
static void do_big(void) { other = wee_malloc(64u << 20); }
static void do_overflow(void) { other = wee_calloc(SIZE_MAX / 2, 3); }
static void do_heap_in(void) { pool_heap = wee_heap_in(pool, sizeof pool); }
static void do_heap_malloc(void) { other = wee_heap_malloc(pool_heap, 100); }
static void do_heap_free(void) { wee_heap_free(pool_heap, other); }

static const struct row {
    const char *name;
    void (*call)(void);
    int must_lock;          /* 0: the call may decide without the heap */
} rows[] = {
    { "wee_malloc", do_malloc, 1 },
    { "wee_realloc (grow)", do_realloc_grow, 1 },
    { "wee_realloc (shrink)", do_realloc_shrink, 1 },
    { "wee_malloc_usable_size", do_usable, 0 },  /* reads its own header */
    { "wee_free", do_free, 1 },
    { "wee_calloc", do_calloc, 1 },
    { "wee_aligned_alloc", do_aligned, 1 },
    { "wee_free (aligned block)", do_free_other, 1 },
    { "wee_stats", do_stats, 1 },
    { "wee_check", do_check, 1 },
    { "wee_malloc (more than the array: grows and fails)", do_big, 1 },
    { "wee_calloc (overflow)", do_overflow, 0 },
    { "wee_heap_in", do_heap_in, 0 },
    { "wee_heap_malloc", do_heap_malloc, 1 },
    { "wee_heap_free", do_heap_free, 1 },
    { "wee_free", do_free, 1 },
};

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unsigned long l0 = locks, u0 = unlocks;
        unsigned long l, u;
        int ok;

        rows[i].call();
        l = locks - l0;
        u = unlocks - u0;
        ok = l == u && depth == 0 && !underflow && !wrong_argument
             && (!rows[i].must_lock || l > 0);
        if (!ok) {
            printf("FAIL: %s: %lu locks, %lu unlocks, depth %d afterwards%s%s\n",
                   rows[i].name, l, u, depth, underflow ? ", unlocked while not locked" : "",
                   wrong_argument ? ", a wrong argument or function" : "");
            failures++;
        }
        underflow = 0;
        wrong_argument = 0;
    }
    printf("%lu locks, %lu unlocks, deepest nesting %d\n", locks, unlocks, max_depth);
    if (max_depth < 1) {
        printf("FAIL: the hooks were never called\n");
        failures++;
    }
    return failures != 0;
}
