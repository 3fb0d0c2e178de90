/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-nolibc - libwee_alloc_malloc on wasm32 with no C library: every
 * one of the fourteen functions, with good and bad inputs, behaves as
 * lib/malloc.c says (glibc's semantics, which tests/test-malloc-glibc.sh
 * checks natively), with the error number in wee_errno.  Run by
 * tests/run-wasm.mjs under node; the module exports wee_test_main.
 *
 * What no C library changes (lib/malloc.c, "How it replaces malloc"):
 *   - errno is wee_errno (wee_alloc.h), and ENOMEM and EINVAL are
 *     WEE_ENOMEM and WEE_EINVAL; posix_memalign returns those values;
 *   - the page of valloc and pvalloc is the wasm page, 64 KiB;
 *   - pointers are aligned for max_align_t (16 on wasm32), as C11 and
 *     wasi-libc's malloc give.
 *
 * Every call goes through a volatile function pointer, so the compiler
 * cannot fold or remove any of them.  Exit status (wee_test_main's
 * result): 0, or 1 with a line on stderr for each broken expectation.
 */
#include <stddef.h>
#include <stdint.h>

#include "wee_alloc.h"
#include "nolibc-host.h"

#if WEE_ALLOC_HAVE_ERRNO
#  error "malloc-nolibc is for hosts without a C library"
#endif

/* libwee_alloc_malloc's functions; no header declares them here. */
void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void *reallocarray(void *ptr, size_t nmemb, size_t size);
void *aligned_alloc(size_t alignment, size_t size);
int posix_memalign(void **memptr, size_t alignment, size_t size);
void *memalign(size_t alignment, size_t size);
void *valloc(size_t size);
void *pvalloc(size_t size);
size_t malloc_usable_size(void *ptr);
void free_sized(void *ptr, size_t size);
void free_aligned_sized(void *ptr, size_t alignment, size_t size);
int malloc_trim(size_t pad);

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
static void (*volatile f_free_sized)(void *, size_t) = free_sized;
static void (*volatile f_free_aligned_sized)(void *, size_t, size_t) = free_aligned_sized;
static int (*volatile f_malloc_trim)(size_t) = malloc_trim;

#define MIN_ALIGN   _Alignof(max_align_t)
#define WASM_PAGE   ((size_t)65536)
#define SENTINEL    7777    /* errno before a call, to see "unchanged" */

/* ------------------------------------------------------------------ */
/* Reporting, without stdio.                                            */

static int failures;

static void fail(const char *call, const char *what, uint64_t value)
{
    failures++;
    put(2, "malloc-nolibc: FAIL: ");
    put(2, call);
    put(2, ": ");
    put(2, what);
    put(2, " (");
    put_uint(2, value);
    put(2, ")\n");
}

#define CALL(expr) (wee_errno = SENTINEL, (expr))

/* A block that must have been returned: aligned to `align`, at least
 * `size` usable bytes, all of them writable. */
static void expect_block(const char *call, void *p, size_t size, size_t align)
{
    unsigned char *b = p;
    size_t i;

    if (!p) {
        fail(call, "NULL, errno", (uint64_t)wee_errno);
        return;
    }
    if ((uintptr_t)p % align != 0)
        fail(call, "misaligned, address", (uintptr_t)p);
    if (f_malloc_usable_size(p) < size)
        fail(call, "usable size too small", f_malloc_usable_size(p));
    for (i = 0; i < size; i++)
        b[i] = (unsigned char)i;
}

/* A call that must have failed with errno `err` (SENTINEL: unchanged). */
static void expect_null(const char *call, void *p, int err)
{
    if (p) {
        fail(call, "not NULL, address", (uintptr_t)p);
        f_free(p);
        return;
    }
    if (wee_errno != err)
        fail(call, "wrong errno", (uint64_t)wee_errno);
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

static size_t in_use(void)
{
    struct wee_stats s;

    wee_stats(&s);
    return s.in_use_bytes;
}

/* ------------------------------------------------------------------ */
/* The functions.                                                       */

static void check_malloc_free(void)
{
    static const size_t fine[] = { 0, 1, 7, 8, 9, 100, 4096, 100000 };
    static const size_t impossible[] = {
        SIZE_MAX, SIZE_MAX - 100, SIZE_MAX / 2 + 1, PTRDIFF_MAX
    };
    size_t i;
    void *p;

    for (i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        p = CALL(f_malloc(fine[i]));
        expect_block("malloc(fine)", p, fine[i], MIN_ALIGN);
        /* free keeps errno, here the sentinel. */
        wee_errno = SENTINEL;
        f_free(p);
        if (wee_errno != SENTINEL)
            fail("free(p)", "changed errno to", (uint64_t)wee_errno);
    }
    for (i = 0; i < sizeof impossible / sizeof impossible[0]; i++)
        expect_null("malloc(impossible)", CALL(f_malloc(impossible[i])), WEE_ENOMEM);
    CALL(f_free(NULL));
    if (wee_errno != SENTINEL)
        fail("free(NULL)", "changed errno to", (uint64_t)wee_errno);
}

static void check_calloc(void)
{
    unsigned char *p;
    void *dirty;
    size_t i;

    /* Leave dirty memory behind for calloc to reuse. */
    dirty = f_malloc(1000);
    if (dirty)
        fill(dirty, 1000, 3);
    f_free(dirty);
    p = CALL(f_calloc(10, 100));
    expect_block("calloc(10, 100)", p, 0, MIN_ALIGN);
    for (i = 0; p && i < 1000; i++)
        if (p[i]) {
            fail("calloc(10, 100)", "not zero at offset", i);
            break;
        }
    f_free(p);
    p = CALL(f_calloc(0, 0));
    expect_block("calloc(0, 0)", p, 0, MIN_ALIGN);
    f_free(p);
    expect_null("calloc(SIZE_MAX, 2)", CALL(f_calloc(SIZE_MAX, 2)), WEE_ENOMEM);
    /* 65536 * 65536 is 0 in 32 bits: an overflow, not a small request. */
    expect_null("calloc(65536, 65536)", CALL(f_calloc(65536, 65536)), WEE_ENOMEM);
}

static void check_realloc(void)
{
    unsigned char *p, *q;

    p = CALL(f_realloc(NULL, 100));
    expect_block("realloc(NULL, 100)", p, 100, MIN_ALIGN);
    if (!p)
        return;
    fill(p, 100, 5);
    q = CALL(f_realloc(p, 100000));
    expect_block("realloc(p, 100000)", q, 0, MIN_ALIGN);
    if (!q)
        return;
    if (!intact(q, 100, 5))
        fail("realloc(p, 100000)", "contents lost, size", 100);
    p = q;
    /* A failed realloc leaves the block as it was. */
    expect_null("realloc(p, SIZE_MAX)", CALL(f_realloc(p, SIZE_MAX)), WEE_ENOMEM);
    if (!intact(p, 100, 5))
        fail("realloc(p, SIZE_MAX)", "contents lost, size", 100);
    /* realloc(p, 0) frees p and returns NULL, errno unchanged. */
    expect_null("realloc(p, 0)", CALL(f_realloc(p, 0)), SENTINEL);

    p = CALL(f_reallocarray(NULL, 10, 10));
    expect_block("reallocarray(NULL, 10, 10)", p, 100, MIN_ALIGN);
    if (!p)
        return;
    fill(p, 100, 9);
    expect_null("reallocarray(p, SIZE_MAX, 2)", CALL(f_reallocarray(p, SIZE_MAX, 2)),
                WEE_ENOMEM);
    expect_null("reallocarray(p, 65536, 65536)", CALL(f_reallocarray(p, 65536, 65536)),
                WEE_ENOMEM);
    if (!intact(p, 100, 9))
        fail("reallocarray(p, overflow)", "contents lost, size", 100);
    q = CALL(f_reallocarray(p, 100, 10));
    if (q && !intact(q, 100, 9))
        fail("reallocarray(p, 100, 10)", "contents lost, size", 100);
    expect_block("reallocarray(p, 100, 10)", q, 1000, MIN_ALIGN);
    f_free(q);
}

static void check_aligned(void)
{
    void *p;

    p = CALL(f_aligned_alloc(64, 100));
    expect_block("aligned_alloc(64, 100)", p, 100, 64);
    f_free(p);
    /* Not a power of two: rounded up to one (24 -> 32), as glibc does. */
    p = CALL(f_aligned_alloc(24, 10));
    expect_block("aligned_alloc(24, 10)", p, 10, 32);
    f_free(p);
    p = CALL(f_aligned_alloc(0, 10));
    expect_block("aligned_alloc(0, 10)", p, 10, MIN_ALIGN);
    f_free(p);
    expect_null("aligned_alloc(SIZE_MAX / 2 + 2, 1)",
                CALL(f_aligned_alloc(SIZE_MAX / 2 + 2, 1)), WEE_EINVAL);
    expect_null("aligned_alloc(64, SIZE_MAX)", CALL(f_aligned_alloc(64, SIZE_MAX)),
                WEE_ENOMEM);
    p = CALL(f_memalign(4096, 1));
    expect_block("memalign(4096, 1)", p, 1, 4096);
    f_free(p);
    expect_null("memalign(SIZE_MAX, 1)", CALL(f_memalign(SIZE_MAX, 1)), WEE_EINVAL);
}

static void check_posix_memalign(void)
{
    static const size_t bad[] = { 0, 1, 2, 3, 12, 24, SIZE_MAX };
    void *const untouched = (void *)&failures;
    void *p;
    size_t i;
    int r;

    p = NULL;
    r = CALL(f_posix_memalign(&p, 64, 100));
    if (r != 0)
        fail("posix_memalign(&p, 64, 100)", "returned", (uint64_t)r);
    expect_block("posix_memalign(&p, 64, 100)", p, 100, 64);
    f_free(p);
    /* sizeof(void *) is 4 on wasm32: the smallest alignment it takes. */
    p = NULL;
    r = CALL(f_posix_memalign(&p, sizeof(void *), 10));
    if (r != 0)
        fail("posix_memalign(&p, sizeof(void *), 10)", "returned", (uint64_t)r);
    expect_block("posix_memalign(&p, sizeof(void *), 10)", p, 10, MIN_ALIGN);
    f_free(p);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = untouched;
        r = CALL(f_posix_memalign(&p, bad[i], 1));
        if (r != WEE_EINVAL)
            fail("posix_memalign(&p, bad alignment, 1)", "returned", (uint64_t)r);
        if (p != untouched)
            fail("posix_memalign(&p, bad alignment, 1)", "changed p, alignment", bad[i]);
        if (wee_errno != SENTINEL)
            fail("posix_memalign(&p, bad alignment, 1)", "changed errno to",
                 (uint64_t)wee_errno);
    }
    /* Lack of memory: returns ENOMEM and, as glibc, sets errno too. */
    p = untouched;
    r = CALL(f_posix_memalign(&p, 64, SIZE_MAX));
    if (r != WEE_ENOMEM || wee_errno != WEE_ENOMEM || p != untouched)
        fail("posix_memalign(&p, 64, SIZE_MAX)", "returned", (uint64_t)r);
}

static void check_page_aligned(void)
{
    void *p;

    p = CALL(f_valloc(1));
    expect_block("valloc(1)", p, 1, WASM_PAGE);
    f_free(p);
    p = CALL(f_pvalloc(1));
    expect_block("pvalloc(1)", p, WASM_PAGE, WASM_PAGE);
    f_free(p);
    expect_null("valloc(SIZE_MAX)", CALL(f_valloc(SIZE_MAX)), WEE_ENOMEM);
    expect_null("pvalloc(SIZE_MAX)", CALL(f_pvalloc(SIZE_MAX)), WEE_ENOMEM);
}

static void check_usable_and_sized_frees(void)
{
    size_t before = in_use(), usable;
    void *p;

    if (f_malloc_usable_size(NULL) != 0)
        fail("malloc_usable_size(NULL)", "not 0 but", f_malloc_usable_size(NULL));
    p = f_malloc(50);
    usable = p ? f_malloc_usable_size(p) : 0;
    if (!p || usable < 50 || in_use() != before + usable)
        fail("malloc(50)", "in_use_bytes not grown by the usable size", usable);
    /* free_sized and free_aligned_sized give the block back. */
    f_free_sized(p, 50);
    if (in_use() != before)
        fail("free_sized(p, 50)", "block not freed, in_use_bytes", in_use());
    p = f_aligned_alloc(256, 300);
    f_free_aligned_sized(p, 256, 300);
    if (in_use() != before)
        fail("free_aligned_sized(p, 256, 300)", "block not freed, in_use_bytes", in_use());
    f_free_sized(NULL, 0);
    f_free_aligned_sized(NULL, 64, 0);
}

/* malloc_trim: wasm memory never shrinks, so nothing goes back (0), and
 * a block that lives through it keeps its contents. */
static void check_trim(void)
{
    unsigned char *keep = f_malloc(1000), *gone = f_malloc(300000);
    size_t i;
    int rc;

    if (!keep || !gone) {
        fail("malloc_trim", "could not allocate its blocks", 0);
        return;
    }
    for (i = 0; i < 1000; i++)
        keep[i] = (unsigned char)i;
    f_free(gone);
    rc = f_malloc_trim(0);
    if (rc != 0)
        fail("malloc_trim(0)", "returned, on wasm32,", (uint64_t)rc);
    for (i = 0; i < 1000 && keep[i] == (unsigned char)i; i++)
        ;
    if (i != 1000)
        fail("malloc_trim(0)", "changed a live block at byte", i);
    f_free(keep);
}

EXPORT(wee_test_main) int wee_test_main(void);

int wee_test_main(void)
{
    static const char ok[] = "malloc-nolibc: all fourteen functions behave\n";

    check_malloc_free();
    check_calloc();
    check_realloc();
    check_aligned();
    check_posix_memalign();
    check_page_aligned();
    check_usable_and_sized_frees();
    check_trim();
    /* Everything was freed, and the heap is sound. */
    if (in_use() != 0)
        fail("at the end", "in_use_bytes", in_use());
    if (wee_check() != WEE_CHECK_OK)
        fail("at the end", "wee_check", (uint64_t)wee_check());
    if (!failures)
        host_write(1, ok, sizeof ok - 1);
    return failures != 0;
}
