/* SPDX-License-Identifier: MPL-2.0 */
/*
 * check-helpers.h - small helpers shared by the Check unit tests.
 *
 * Everything here is static so that each test program stays one
 * translation unit: a pseudo-random generator with a printable seed, a
 * fill pattern derived from a block's id, a statistics snapshot, a way to
 * run a misuse in a child process and check how it ended, and the usual
 * "run this suite, exit 0 or 1" main.
 */
#ifndef WEE_CHECK_HELPERS_H
#define WEE_CHECK_HELPERS_H

#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wee_alloc.h"

/* The contract's terms, spelled as the header spells them. */
#define TEST_W          (sizeof(void *))
#define TEST_MIN_ALIGN  (_Alignof(max_align_t) > 2 * sizeof(void *) \
                         ? _Alignof(max_align_t) : 2 * sizeof(void *))
#define TEST_HEADER     (2 * sizeof(void *))

/* Does wee_trim give pages back in this build (wee_alloc.h: the mmap and
 * VirtualAlloc backends, without extra assertions)? */
#define TEST_TRIM_GIVES_BACK \
    ((WEE_ALLOC_BACKEND_MMAP || WEE_ALLOC_BACKEND_VIRTUALALLOC) \
     && !WEE_ALLOC_EXTRA_ASSERTIONS)

/* Does calloc leave alone the pages a heap grows by (heap.h,
 * CALLOC_KNOWS_ZEROS), and those a freed block gave back, which read as
 * zero on Linux? */
#define TEST_CALLOC_SKIPS_FRESH TEST_TRIM_GIVES_BACK
#if defined(__linux__)
#  define TEST_CALLOC_SKIPS_GIVEN_BACK (TEST_TRIM_GIVES_BACK && WEE_ALLOC_BACKEND_MMAP)
#else
#  define TEST_CALLOC_SKIPS_GIVEN_BACK 0
#endif

/* A value errno never takes, to see whether a call touched errno. */
#define ERRNO_SENTINEL  4242

#if defined(__GNUC__)
#  define TEST_UNUSED __attribute__((unused))
#else
#  define TEST_UNUSED
#endif

static TEST_UNUSED int
is_aligned(const void *p, size_t alignment)
{
    return ((uintptr_t)p & (alignment - 1)) == 0;
}

/* The bytes of the pages of [p, p + n) that are in memory (mincore). */
static TEST_UNUSED size_t
resident_bytes(const void *p, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), i, pages, resident = 0;
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)(page - 1);
    unsigned char *in_core;

    pages = ((uintptr_t)p + n - start + page - 1) / page;
    in_core = malloc(pages);
    ck_assert_ptr_nonnull(in_core);
    ck_assert_int_eq(mincore((void *)start, pages * page, in_core), 0);
    for (i = 0; i < pages; i++)
        resident += (in_core[i] & 1) ? page : 0;
    free(in_core);
    return resident;
}

static TEST_UNUSED struct wee_stats
stats_now(void)
{
    struct wee_stats s;

    /* Garbage first, so that a field wee_stats forgets to fill shows. */
    memset(&s, 0xa5, sizeof s);
    wee_stats(&s);
    return s;
}

/* xorshift64*: small, fast, and the same sequence everywhere. */
struct prng {
    uint64_t state;
};

static TEST_UNUSED void
prng_seed(struct prng *r, uint64_t seed)
{
    r->state = seed ? seed : 0x9e3779b97f4a7c15u;
}

static TEST_UNUSED uint64_t
prng_next(struct prng *r)
{
    uint64_t x = r->state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->state = x;
    return x * 0x2545f4914f6cdd1du;
}

/* A value in [0, n), n > 0. */
static TEST_UNUSED size_t
prng_below(struct prng *r, size_t n)
{
    return (size_t)(prng_next(r) % n);
}

/* A value in [lo, hi]. */
static TEST_UNUSED size_t
prng_range(struct prng *r, size_t lo, size_t hi)
{
    return lo + prng_below(r, hi - lo + 1);
}

/*
 * The fill pattern of block `id`: the first 8 bytes hold the id (as far as
 * the block reaches), byte i >= 8 holds (base + i) mod 256 where base is
 * derived from the id.  A block that overlaps another, or whose contents
 * were moved to the wrong offset, does not read back as its own pattern.
 */
static TEST_UNUSED unsigned char
pattern_base(uint64_t id)
{
    return (unsigned char)((id * 0x9e3779b97f4a7c15u) >> 56);
}

static TEST_UNUSED void
pattern_fill(void *block, size_t n, uint64_t id)
{
    unsigned char *p = block;
    unsigned char base = pattern_base(id);
    size_t head = n < 8 ? n : 8;
    size_t i;

    for (i = 0; i < head; i++)
        p[i] = (unsigned char)(id >> (8 * i));
    for (i = head; i < n; i++)
        p[i] = (unsigned char)(base + i);
}

/* The offset of the first byte that differs from the pattern, or n. */
static TEST_UNUSED size_t
pattern_mismatch(const void *block, size_t n, uint64_t id)
{
    const unsigned char *p = block;
    unsigned char base = pattern_base(id);
    size_t head = n < 8 ? n : 8;
    size_t i, start;

    for (i = 0; i < head; i++)
        if (p[i] != (unsigned char)(id >> (8 * i)))
            return i;
    /* Compare in chunks without an early exit so the loop vectorises,
     * then find the exact byte only in a chunk that differs. */
    for (start = head; start < n; start += 4096) {
        size_t end = n - start < 4096 ? n : start + 4096;
        unsigned char diff = 0;

        for (i = start; i < end; i++)
            diff |= (unsigned char)(p[i] ^ (unsigned char)(base + i));
        if (diff)
            for (i = start; i < end; i++)
                if (p[i] != (unsigned char)(base + i))
                    return i;
    }
    return n;
}

/* The offset of the first non-zero byte, or n. */
static TEST_UNUSED size_t
first_nonzero(const void *block, size_t n)
{
    const unsigned char *p = block;
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != 0)
            return i;
    return n;
}

/* Seed from $name when set (decimal or 0x-hex), else the default. */
static TEST_UNUSED uint64_t
seed_from_env(const char *name, uint64_t fallback)
{
    const char *s = getenv(name);

    if (s && *s)
        return (uint64_t)strtoull(s, NULL, 0);
    return fallback;
}

/*
 * The static backend's heap cannot grow past its array (configure
 * --with-static-array-bytes, 32 MiB by default).  A workload that needs
 * up to `needs` bytes of heap with `n` live blocks keeps n on the other
 * backends, and on the static backend with a smaller array is cut to
 * n * array / needs blocks (at least 1), so it tests the same property
 * at a size that fits.
 */
static TEST_UNUSED size_t
scale_to_backend(size_t n, size_t needs)
{
#if WEE_ALLOC_BACKEND_STATIC
    if ((size_t)WEE_STATIC_ARRAY_BYTES < needs) {
        size_t scaled = (size_t)((double)n * (double)WEE_STATIC_ARRAY_BYTES
                                 / (double)needs);
        return scaled ? scaled : 1;
    }
#else
    (void)needs;
#endif
    return n;
}

/* Run every test of `s` as CK_ENV asks, exit status 0 when all passed. */
static TEST_UNUSED int
run_suite(SRunner *sr)
{
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- misuse in a child process ---- */

/*
 * What a child process that misused the heap wrote to stderr and how it
 * ended.  Used to check that the abort message names the function and the
 * address, which Check's own signal tests cannot see.
 */
struct child_outcome {
    int signaled;
    int signal;
    int exited;
    int status;
    char err[4096];
};

static TEST_UNUSED void
run_in_child(void (*misuse)(void *), void *arg, struct child_outcome *out)
{
    int fd[2];
    pid_t pid;
    size_t len = 0;
    int status;

    memset(out, 0, sizeof *out);
    ck_assert_int_eq(pipe(fd), 0);
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };

        setrlimit(RLIMIT_CORE, &no_core);
        close(fd[0]);
        dup2(fd[1], STDERR_FILENO);
        misuse(arg);
        _exit(0);
    }
    close(fd[1]);
    for (;;) {
        ssize_t got = read(fd[0], out->err + len, sizeof out->err - 1 - len);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
        if (len == sizeof out->err - 1)
            break;
    }
    out->err[len] = '\0';
    close(fd[0]);
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    out->signaled = WIFSIGNALED(status);
    out->signal = out->signaled ? WTERMSIG(status) : 0;
    out->exited = WIFEXITED(status);
    out->status = out->exited ? WEXITSTATUS(status) : 0;
}

/* Does `msg` hold `addr` as a hexadecimal number (with or without 0x)? */
static TEST_UNUSED int
message_names_address(const char *msg, const void *addr)
{
    const char *s = msg;

    while (*s) {
        if (strchr("0123456789abcdefABCDEF", *s)) {
            char *end;
            unsigned long long v = strtoull(s, &end, 16);

            if ((uintptr_t)v == (uintptr_t)addr && end - s >= 4)
                return 1;
            s = end > s ? end : s + 1;
        } else {
            s++;
        }
    }
    return 0;
}

static TEST_UNUSED void
expect_abort_message(const struct child_outcome *o, const char *function,
                     const void *addr)
{
    ck_assert_msg(o->signaled && o->signal == SIGABRT,
                  "expected SIGABRT, got %s %d; stderr: \"%s\"",
                  o->signaled ? "signal" : "exit status",
                  o->signaled ? o->signal : o->status, o->err);
    ck_assert_msg(strstr(o->err, function) != NULL,
                  "the abort message does not name %s: \"%s\"", function,
                  o->err);
    ck_assert_msg(message_names_address(o->err, addr),
                  "the abort message does not name the address %p: \"%s\"",
                  addr, o->err);
}

#endif /* WEE_CHECK_HELPERS_H */
