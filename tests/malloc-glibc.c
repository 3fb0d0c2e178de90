/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-glibc.c - every allocation function with good and bad inputs, for
 * tests/test-malloc-glibc.sh, which runs it once on the C library's own
 * allocator and once with libwee_alloc_malloc preloaded and compares the
 * two outputs line by line.
 *
 * Each line reports what one call did in terms that any correct allocator
 * with glibc's semantics reports the same way: NULL or not, errno (set to a
 * sentinel before the call, so "unchanged" is seen), the return code, and
 * whether the alignment, usable size, zeroing and kept contents meet the
 * guarantee.  Addresses and exact usable sizes are never printed.
 *
 * A broken guarantee (misaligned, contents lost, calloc not zero, usable
 * size too small) is also a FAIL line and exit status 1 on its own, so the
 * program checks glibc as much as wee_alloc.
 *
 * With --c23 it then checks free_sized and free_aligned_sized, which glibc
 * 2.36 lacks: they must exist (looked up with dlsym) and free.  With
 * --trim it checks only malloc_trim, whose outcome a build with extra
 * assertions changes on purpose (it gives nothing back).
 *
 * Every call goes through a volatile function pointer, so the compiler
 * cannot fold or remove any of them (it knows what malloc does).
 */
#define _GNU_SOURCE 1

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SENTINEL_ERRNO 7777

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 38))
#  define LATER_ALIGNED_ALLOC 1
#else
#  define LATER_ALIGNED_ALLOC 0
#endif
/* What C11 asks of malloc, and glibc gives: max_align_t's alignment (16 on
 * x86-64, i386 and arm64, 8 on armhf). */
#define MIN_ALIGN _Alignof(max_align_t)

static void *(*volatile f_malloc)(size_t) = malloc;
static void (*volatile f_free)(void *) = free;
static void *(*volatile f_calloc)(size_t, size_t) = calloc;
static void *(*volatile f_realloc)(void *, size_t) = realloc;
static void *(*volatile f_reallocarray)(void *, size_t, size_t) = reallocarray;
static void *(*volatile f_aligned_alloc)(size_t, size_t) = aligned_alloc;
static int (*volatile f_posix_memalign)(void **, size_t, size_t) = posix_memalign;
static void *(*volatile f_memalign)(size_t, size_t) = memalign;
static void *(*volatile f_valloc)(size_t) = valloc;
static void *(*volatile f_pvalloc)(size_t) = pvalloc;
static size_t (*volatile f_malloc_usable_size)(void *) = malloc_usable_size;
static int (*volatile f_malloc_trim)(size_t) = malloc_trim;

static int failures;

static const char *errno_name(int e)
{
    static char other[32];

    switch (e) {
    case SENTINEL_ERRNO: return "unchanged";
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    default:
        snprintf(other, sizeof other, "%d", e);
        return other;
    }
}

static void fail(const char *what, const char *why)
{
    printf("FAIL %s: %s\n", what, why);
    failures++;
}

/* The alignment glibc's memalign gives for `alignment`. */
static size_t memalign_guarantee(size_t alignment)
{
    size_t a = MIN_ALIGN;

    while (a < alignment && a <= SIZE_MAX / 2)
        a <<= 1;
    return a;
}

/* Whether a request of `size` bytes may or may not be met: on a 32-bit
 * host, a request between a quarter of the address space and PTRDIFF_MAX
 * (2 GiB) fits in the 4 GiB of an i386 process on x86-64, or does not,
 * as the program's mappings happen to lie; and wee_alloc refuses those
 * within 1 MiB of PTRDIFF_MAX without asking (WEE_MAX_REQUEST, lib/heap.h)
 * where glibc tries.  On a 64-bit host such a request is an exbibyte and
 * fails everywhere. */
static int fits_by_chance(size_t size)
{
    return SIZE_MAX <= 0xffffffffu && size > SIZE_MAX / 4 && size <= PTRDIFF_MAX;
}

/* A block's guarantees, checked without a line of output of its own. */
static void check_block(const char *what, void *p, size_t size, size_t align)
{
    if ((uintptr_t)p % align != 0)
        fail(what, "misaligned");
    if (f_malloc_usable_size(p) < size)
        fail(what, "usable size smaller than asked");
    /* The whole block must be writable; of a block that fits_by_chance
     * (2 GiB on a 32-bit host), the first and last MiB: touching all of
     * it would take seconds and 2 GiB of memory, for each of the calls. */
    if (fits_by_chance(size)) {
        memset(p, 0xa5, (size_t)1 << 20);
        memset((char *)p + size - ((size_t)1 << 20), 0xa5, (size_t)1 << 20);
    } else
        memset(p, 0xa5, size);
}

/* Report a pointer-returning call: NULL or "ok", errno, and whether the
 * block meets its guarantees (which are also checked).  A request that
 * fits_by_chance reports success and ENOMEM alike. */
static void report(const char *what, void *p, int err, size_t size, size_t align)
{
    if (fits_by_chance(size) && (p ? err == SENTINEL_ERRNO : err == ENOMEM))
        printf("%s: ok or NULL errno=ENOMEM, as the address space allows\n", what);
    else if (!p) {
        printf("%s: NULL errno=%s\n", what, errno_name(err));
        return;
    } else
        printf("%s: ok errno=%s\n", what, errno_name(err));
    if (p)
        check_block(what, p, size, align);
}

#define CALL(expr) (errno = SENTINEL_ERRNO, (expr))

static void check_malloc(void)
{
    static const size_t sizes[] = {
        0, 1, 15, 16, 17, 100, 1000, 4096, 100000, (size_t)1 << 20,
        SIZE_MAX, SIZE_MAX - 100, SIZE_MAX / 2, SIZE_MAX / 2 + 1, PTRDIFF_MAX
    };
    size_t i;

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char what[64];
        void *p = CALL(f_malloc(sizes[i]));
        snprintf(what, sizeof what, "malloc(%zu)", sizes[i]);
        report(what, p, errno, sizes[i], MIN_ALIGN);
        f_free(p);
    }
}

static void check_calloc(void)
{
    static const size_t args[][2] = {
        {0, 0}, {0, 1}, {1, 0}, {1, 1}, {10, 10}, {1000, 1000}, {3, 4096},
        {SIZE_MAX, 2}, {2, SIZE_MAX}, {SIZE_MAX / 2 + 1, 2},
        {(size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4)},
        {1, SIZE_MAX}, {SIZE_MAX, 1}, {SIZE_MAX, 0}, {0, SIZE_MAX}
    };
    size_t i, j;

    for (i = 0; i < sizeof args / sizeof args[0]; i++) {
        char what[80];
        size_t n = args[i][0], size = args[i][1];
        unsigned char *p;

        /* Leave dirty memory behind for calloc to reuse. */
        if (n && size && n <= 1 << 20 && size <= 1 << 20 && n * size <= 1 << 22) {
            void *dirty = f_malloc(n * size);
            if (dirty) {
                memset(dirty, 0x5a, n * size);
                f_free(dirty);
            }
        }
        p = CALL(f_calloc(n, size));
        snprintf(what, sizeof what, "calloc(%zu, %zu)", n, size);
        if (p) {
            for (j = 0; j < n * size; j++)
                if (p[j]) {
                    fail(what, "memory not zeroed");
                    break;
                }
        }
        report(what, p, errno, p ? n * size : 0, MIN_ALIGN);
        f_free(p);
    }
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

static void check_realloc(void)
{
    static const size_t failing[] = {
        SIZE_MAX, SIZE_MAX - 100, SIZE_MAX / 2 + 1, PTRDIFF_MAX
    };
    static const size_t moves[][2] = {
        {1, 1000}, {1000, 1}, {100, 100000}, {100000, 100}, {16, 17},
        {5000, 5001}, {1 << 20, 2 << 20}, {2 << 20, 10}
    };
    unsigned char *p, *q;
    size_t i;

    p = CALL(f_realloc(NULL, 0));
    report("realloc(NULL, 0)", p, errno, 0, MIN_ALIGN);
    f_free(p);
    p = CALL(f_realloc(NULL, 100));
    report("realloc(NULL, 100)", p, errno, 100, MIN_ALIGN);

    /* realloc(p, 0) frees p: glibc returns NULL and leaves errno. */
    q = CALL(f_realloc(p, 0));
    report("realloc(p, 0)", q, errno, 0, MIN_ALIGN);
    f_free(q);

    for (i = 0; i < sizeof failing / sizeof failing[0]; i++) {
        char what[64];
        p = f_malloc(64);
        fill(p, 64, 3);
        q = CALL(f_realloc(p, failing[i]));
        snprintf(what, sizeof what, "realloc(p, %zu)", failing[i]);
        report(what, q, errno, failing[i], MIN_ALIGN);
        if (!q && !intact(p, 64, 3))
            fail(what, "failed realloc changed the old block");
        f_free(q ? q : p);
    }

    for (i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        char what[64];
        size_t from = moves[i][0], to = moves[i][1];
        p = f_malloc(from);
        fill(p, from, (unsigned)i);
        q = CALL(f_realloc(p, to));
        snprintf(what, sizeof what, "realloc(p of %zu, %zu)", from, to);
        if (q && !intact(q, from < to ? from : to, (unsigned)i))
            fail(what, "contents not kept");
        report(what, q, errno, to, MIN_ALIGN);
        f_free(q);
    }
}

static void check_reallocarray(void)
{
    static const size_t args[][2] = {
        {0, 0}, {1, 0}, {0, 1}, {10, 10}, {SIZE_MAX, 2}, {2, SIZE_MAX},
        {SIZE_MAX / 2 + 1, 2}, {(size_t)1 << (sizeof(size_t) * 4),
                                (size_t)1 << (sizeof(size_t) * 4)},
        {SIZE_MAX, 1}
    };
    size_t i;
    unsigned char *p, *q;

    for (i = 0; i < sizeof args / sizeof args[0]; i++) {
        char what[80];
        size_t n = args[i][0], size = args[i][1];
        int overflow = size && n > SIZE_MAX / size;
        size_t product = overflow ? 0 : n * size;

        p = CALL(f_reallocarray(NULL, n, size));
        snprintf(what, sizeof what, "reallocarray(NULL, %zu, %zu)", n, size);
        report(what, p, errno, p ? product : 0, MIN_ALIGN);
        f_free(p);

        p = f_malloc(32);
        fill(p, 32, 9);
        q = CALL(f_reallocarray(p, n, size));
        snprintf(what, sizeof what, "reallocarray(p, %zu, %zu)", n, size);
        if (q && !intact(q, product < 32 ? product : 32, 9))
            fail(what, "contents not kept");
        report(what, q, errno, q ? product : 0, MIN_ALIGN);
        /* A product of 0 freed p (glibc: realloc(p, 0)); any other
         * failure must leave p as it was. */
        if (q) {
            f_free(q);
        } else if (overflow || product != 0) {
            if (!intact(p, 32, 9))
                fail(what, "failed reallocarray changed the old block");
            f_free(p);
        }
    }
}

static const size_t alignments[] = {
    0, 1, 2, 3, 4, 8, 12, 16, 24, 32, 48, 64, 100, 128, 4096, 4097, 65536,
    (size_t)1 << 20, SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, SIZE_MAX - 1, SIZE_MAX
};
static const size_t aligned_sizes[] = { 0, 1, 100, 5000, SIZE_MAX, SIZE_MAX / 2 };

static void check_memalign_family(const char *name, void *(*volatile *fn)(size_t, size_t))
{
    size_t i, j;

    for (i = 0; i < sizeof alignments / sizeof alignments[0]; i++)
        for (j = 0; j < sizeof aligned_sizes / sizeof aligned_sizes[0]; j++) {
            char what[96];
            size_t a = alignments[i], size = aligned_sizes[j];
            void *p;

            /* glibc 2.38 made aligned_alloc refuse alignments that are not
             * powers of two; wee_alloc keeps 2.36's memalign semantics. */
            if (LATER_ALIGNED_ALLOC && fn == &f_aligned_alloc && (a == 0 || (a & (a - 1)) != 0))
                continue;
            p = CALL((*fn)(a, size));
            snprintf(what, sizeof what, "%s(%zu, %zu)", name, a, size);
            report(what, p, errno, size, memalign_guarantee(a));
            f_free(p);
        }
}

static void check_posix_memalign(void)
{
    size_t i, j;

    for (i = 0; i < sizeof alignments / sizeof alignments[0]; i++)
        for (j = 0; j < sizeof aligned_sizes / sizeof aligned_sizes[0]; j++) {
            char what[96];
            size_t a = alignments[i], size = aligned_sizes[j];
            void *p = &failures;    /* must stay so when the call fails */
            int rc = CALL(f_posix_memalign(&p, a, size));
            int err = errno;

            snprintf(what, sizeof what, "posix_memalign(%zu, %zu)", a, size);
            if (fits_by_chance(size) && (rc == 0 ? err == SENTINEL_ERRNO
                                         : rc == ENOMEM && err == ENOMEM)) {
                printf("%s: returns 0 (errno unchanged) or ENOMEM (errno=ENOMEM),"
                       " as the address space allows\n", what);
                if (rc == 0) {
                    check_block(what, p, size, memalign_guarantee(a));
                    f_free(p);
                }
                continue;
            }
            printf("%s: returns %s", what, rc == 0 ? "0" : errno_name(rc));
            printf(" errno=%s\n", errno_name(err));
            if (rc != 0) {
                if (p != &failures)
                    fail(what, "*memptr changed by a failing call");
                continue;
            }
            report(what, p, err, size, memalign_guarantee(a));
            f_free(p);
        }
}

static void check_page_aligned(void)
{
    static const size_t sizes[] = { 0, 1, 100, 4095, 4096, 4097, 100000, SIZE_MAX,
                                    SIZE_MAX - 4094, SIZE_MAX / 2 };
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t i;

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char what[64];
        size_t size = sizes[i];
        void *p = CALL(f_valloc(size));

        snprintf(what, sizeof what, "valloc(%zu)", size);
        report(what, p, errno, size, page);
        f_free(p);

        p = CALL(f_pvalloc(size));
        snprintf(what, sizeof what, "pvalloc(%zu)", size);
        /* pvalloc rounds the size up to whole pages (0 stays small). */
        report(what, p, errno, p && size ? (size + page - 1) / page * page : 0, page);
        f_free(p);
    }
}

static void check_free_and_usable_size(void)
{
    void *p;
    size_t n;

    CALL(f_free(NULL));
    printf("free(NULL): errno=%s\n", errno_name(errno));
    p = f_malloc(100000);
    CALL(f_free(p));
    printf("free(p of 100000): errno=%s\n", errno_name(errno));
    p = f_malloc(10 << 20);
    CALL(f_free(p));
    printf("free(p of 10 MiB): errno=%s\n", errno_name(errno));
    n = CALL(f_malloc_usable_size(NULL));
    printf("malloc_usable_size(NULL): %zu errno=%s\n", n, errno_name(errno));
}

/* The bytes of the pages of [p, p + n) in memory; an unmapped page is
 * not in memory. */
static size_t resident_bytes(const unsigned char *p, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), i, pages, resident = 0;
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)(page - 1);
    unsigned char in_core[64];

    pages = ((uintptr_t)p + n - start + page - 1) / page;
    for (i = 0; i < pages; i++) {
        in_core[0] = 0;
        if (mincore((void *)(start + i * page), page, in_core) == 0 && (in_core[0] & 1))
            resident += page;
    }
    return resident;
}

/* malloc_trim: blocks below glibc's mmap threshold, freed in the middle
 * of the heap (a block still in use after them), stay the allocator's;
 * malloc_trim(0) gives their pages back, all but the first and last of
 * each, where the free block's own bookkeeping may sit. */
static void check_trim(void)
{
    enum { N = 64, SIZE = 100000 };
    unsigned char *blocks[N], *fence;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), i, before = 0, after = 0;
    int rc;

    for (i = 0; i < N; i++) {
        blocks[i] = f_malloc(SIZE);
        if (!blocks[i]) {
            fail("malloc_trim", "could not allocate the blocks to free");
            return;
        }
        memset(blocks[i], 0x5a, SIZE);
    }
    fence = f_malloc(100);
    for (i = 0; i < N; i++) {
        before += resident_bytes(blocks[i] + page, SIZE - 2 * page);
        f_free(blocks[i]);
    }
    /* errno is not compared: glibc's malloc_trim may leave ENOMEM there. */
    rc = f_malloc_trim(0);
    for (i = 0; i < N; i++)
        after += resident_bytes(blocks[i] + page, SIZE - 2 * page);
    printf("malloc_trim(0) after freeing %d blocks of %d bytes: %d, "
           "their pages in memory before: %s, after: %s\n", N, SIZE, rc,
           before ? "yes" : "none", after ? "some" : "none");
    f_free(fence);
}

/* free_sized and free_aligned_sized (C23): glibc 2.36 does not have them,
 * so they are looked up at run time.  They must release the block. */
static void check_c23(void)
{
    void (*fs)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
    void (*fas)(void *, size_t, size_t) =
        (void (*)(void *, size_t, size_t))dlsym(RTLD_DEFAULT, "free_aligned_sized");
    size_t i;

    if (!fs || !fas) {
        fail("--c23", "free_sized or free_aligned_sized is not defined");
        return;
    }
    errno = SENTINEL_ERRNO;
    fs(NULL, 0);
    fas(NULL, 64, 0);
    printf("free_sized(NULL, 0), free_aligned_sized(NULL, 64, 0): errno=%s\n",
           errno_name(errno));
    for (i = 0; i < 1000; i++) {
        size_t size = 1 + i * 37 % 3000;
        void *p = f_malloc(size);
        void *q = f_aligned_alloc(64, size);
        if (!p || !q || (uintptr_t)q % 64) {
            fail("--c23", "allocation for free_sized failed");
            return;
        }
        memset(p, 1, size);
        memset(q, 2, size);
        fs(p, size);
        fas(q, 64, size);
    }
    printf("free_sized, free_aligned_sized: 1000 blocks each released\n");
}

int main(int argc, char **argv)
{
#ifndef __GLIBC__
    puts("SKIP: the C library is not glibc, whose semantics libwee_alloc_malloc has");
    return 77;
#endif
    if (argc > 1 && strcmp(argv[1], "--trim") == 0) {
        check_trim();
        return failures ? 1 : 0;
    }
    check_malloc();
    check_calloc();
    check_realloc();
    check_reallocarray();
    check_memalign_family("aligned_alloc", &f_aligned_alloc);
    check_memalign_family("memalign", &f_memalign);
    check_posix_memalign();
    check_page_aligned();
    check_free_and_usable_size();
    if (argc > 1 && strcmp(argv[1], "--c23") == 0)
        check_c23();
    if (failures)
        printf("%d guarantee(s) broken\n", failures);
    return failures ? 1 : 0;
}
