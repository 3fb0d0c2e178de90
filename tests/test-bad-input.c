/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-bad-input - every row of README.md's "What happens when..." table.
 *
 * Each row runs in a child process of its own, on a fresh heap.  A row
 * either returns (its checks passed, exit 0) or must abort: then the child
 * must die of SIGABRT, and its standard error must hold the library's
 * message "wee_alloc: FUNCTION(0xADDRESS): ...", naming the function that
 * was called and the pointer it was given (the child tells the parent which
 * before the misuse).  Rows whose outcome is undefined without extra
 * assertions run only in a build with them (wee_alloc_config.h says); rows
 * whose outcome differs check the configured one.
 *
 * Exit status: 0 when every row held, 1 otherwise (each failure printed).
 *
 * `test-bad-input N` runs row N alone, in this process, for hosts that
 * cannot fork (Windows, WASI), where tests/test-bad-input-rows.sh starts
 * one process per row instead and judges it.  It prints "returns: NAME",
 * "aborts: NAME" or "skip: NAME (why)" first; an aborting row then prints
 * "expect: " and the start of the message that must follow on standard
 * error.  Past the last row it prints "no such row" and exits with 2.
 *
 * Without a C library (wasm32-unknown-none) it is built the same way, with
 * tests/nolibc-host.h in place of stdio, and runs one row per run under
 * tests/run-wasm.mjs.  There, and on bare metal (no OS), the library has
 * nowhere to write (WEE_ALLOC_WRITES_MESSAGES is 0): this program's
 * wee_fatal_hook prints the message, which the library calls only when
 * built with extra assertions; in other builds an aborting row says
 * "expect-trap:" instead of "expect:", and only the trap is checked.
 */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdint.h>

#include "wee_alloc.h"

#if WEE_ALLOC_HAVE_ERRNO
#  define HAVE_LIBC 1
#  include <errno.h>
#  include <stdio.h>
#  include <stdlib.h>
#  include <string.h>
#else
#  define HAVE_LIBC 0
#  include "nolibc-host.h"
#  define errno wee_errno
#  define ENOMEM WEE_ENOMEM
#  define EINVAL WEE_EINVAL
#endif

#if HAVE_LIBC && (defined(__unix__) || defined(__APPLE__)) && !defined(__wasi__)
#  define FORK_EACH_ROW 1
#  include <signal.h>
#  include <sys/resource.h>
#  include <sys/types.h>
#  include <sys/wait.h>
#  include <unistd.h>
#else
#  define FORK_EACH_ROW 0
#endif

#define MIN_ALIGN (2 * sizeof(void *))
#define HEADER (2 * sizeof(void *))

/* ---- in the child ---- */

#if FORK_EACH_ROW
/* The pipe to the parent, in a forked child. */
static int expect_fd = -1;
#endif

/* Output without printf, the same with and without a C library. */
#if HAVE_LIBC
static void put(int fd, const char *s)
{
    fputs(s, fd == 2 ? stderr : stdout);
}

static void put_uint(int fd, unsigned long v)
{
    fprintf(fd == 2 ? stderr : stdout, "%lu", v);
}

/* Standard output, written out before the row may abort. */
static void flush_out(void)
{
    fflush(stdout);
}

static void stop(int status)
{
    exit(status);
}
#else
static void flush_out(void)
{
}

static void stop(int status)
{
    host_exit(status);
}
#endif

/* A check that failed: say which (and the line, if not 0), and end the
 * child with status 1. */
static void fail(const char *what, int line)
{
    put(2, "check failed: ");
    put(2, what);
    if (line) {
        put(2, " (line ");
        put_uint(2, (unsigned long)line);
        put(2, ")");
    }
    put(2, "\n");
    stop(1);
}

#define CHECK(cond) \
    do { if (!(cond)) fail(#cond, __LINE__); } while (0)

static void fill(void *p, int byte, size_t n)
{
    unsigned char *b = p;

    while (n--)
        *b++ = (unsigned char)byte;
}

static int same_string(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* Append s to buf, which holds *n bytes and has room for `size`. */
static void append(char *buf, size_t size, size_t *n, const char *s)
{
    while (*s && *n + 1 < size)
        buf[(*n)++] = *s++;
    buf[*n] = '\0';
}

/* How the library's message about func and addr begins (the address in
 * lowercase hexadecimal without leading zeros, as lib/fatal-message.h
 * writes it, whatever printf's %p does on the host). */
static void message_start(char *buf, size_t size, const char *func, const void *addr)
{
    char hex[2 * sizeof(uintptr_t) + 1];
    uintptr_t a = (uintptr_t)addr;
    size_t i = sizeof hex - 1, n = 0;

    hex[i] = '\0';
    do {
        hex[--i] = "0123456789abcdef"[a & 15];
        a >>= 4;
    } while (a);
    buf[0] = '\0';
    append(buf, size, &n, "wee_alloc: ");
    append(buf, size, &n, func);
    append(buf, size, &n, "(0x");
    append(buf, size, &n, hex + i);
    append(buf, size, &n, "): ");
}

#if !WEE_ALLOC_WRITES_MESSAGES
/* The library has nowhere to write here: with extra assertions it hands
 * the message's parts to this hook (wee_alloc.h), which writes them as the
 * library does elsewhere, before it traps. */
void wee_fatal_hook(const char *func, const char *what, const void *address)
{
    char start[256];

    message_start(start, sizeof start, func, address);
    put(2, start);
    put(2, what);
    put(2, "\n");
}
#endif

/* Say which function must abort, and about which address: to the parent,
 * or on standard output when the row runs alone. */
static void expect_abort(const char *func, const void *addr)
{
    char want[256];

    message_start(want, sizeof want, func, addr);
#if FORK_EACH_ROW
    if (expect_fd >= 0) {
        size_t n = strlen(want);
        if (write(expect_fd, want, n) != (ssize_t)n)
            fail("cannot write to the parent", 0);
        return;
    }
#endif
    /* Nowhere to write and no extra assertions: the library traps
     * without a word (README.md), so there is no message to expect. */
    put(1, !WEE_ALLOC_WRITES_MESSAGES && !WEE_ALLOC_EXTRA_ASSERTIONS ? "expect-trap: "
                                                                      : "expect: ");
    put(1, want);
    put(1, "\n");
    flush_out();
}

static void heap_ok(void)
{
    void *where = NULL;
    int r = wee_heap_check(NULL, &where);

    if (r != WEE_CHECK_OK)
        fail(wee_check_describe(r), 0);
}

/* Three neighbouring blocks of n bytes; the middle one is returned, so
 * that freeing it merges it with nothing. */
static unsigned char *middle_of_three(size_t n)
{
    static void *keep[2];
    unsigned char *b;

    keep[0] = wee_malloc(n);
    b = wee_malloc(n);
    keep[1] = wee_malloc(n);
    CHECK(keep[0] && b && keep[1]);
    fill(b, 0xab, n);
    return b;
}

/* ---- rows that return ---- */

static void row_free_null(void)
{
    struct wee_stats before, after;

    wee_stats(&before);
    wee_free(NULL);
    wee_heap_free(NULL, NULL);
    wee_heap_free(wee_heap_default(), NULL);
    wee_stats(&after);
    CHECK(before.in_use_bytes == after.in_use_bytes);
    heap_ok();
}

static void row_realloc_null(void)
{
    unsigned char *p = wee_realloc(NULL, 100);

    CHECK(p != NULL);
    CHECK((uintptr_t)p % MIN_ALIGN == 0);
    CHECK(wee_malloc_usable_size(p) >= 100);
    fill(p, 1, 100);
    wee_free(p);
    heap_ok();
}

static void row_realloc_zero(void)
{
    struct wee_stats st;
    void *p = wee_malloc(100);

    CHECK(p != NULL);
    errno = 1234;
    CHECK(wee_realloc(p, 0) == NULL);
    CHECK(errno == 1234);
    wee_stats(&st);
    CHECK(st.in_use_bytes == 0);
    heap_ok();
}

static void row_zero_sizes(void)
{
    void *a = wee_malloc(0), *b = wee_malloc(0), *c = wee_calloc(0, 5);
    void *d = wee_calloc(5, 0), *e = wee_aligned_alloc(64, 0), *f = NULL;

    CHECK(a && b && c && d && e);
    CHECK(a != b && a != c && c != d && d != e);
    CHECK((uintptr_t)e % 64 == 0);
    CHECK(wee_posix_memalign(&f, 64, 0) == 0 && f != NULL && (uintptr_t)f % 64 == 0);
    wee_free(a);
    wee_free(b);
    wee_free(c);
    wee_free(d);
    wee_free(e);
    wee_free(f);
    heap_ok();
}

static void row_null_queries(void)
{
    CHECK(wee_malloc_usable_size(NULL) == 0);
    CHECK(wee_heap_usable_size(NULL, NULL) == 0);
    wee_stats(NULL);
    wee_heap_stats(NULL, NULL);
    CHECK(wee_heap_check(NULL, NULL) == WEE_CHECK_OK);
    CHECK(wee_heap_walk(NULL, NULL, NULL) == 0);
    CHECK(same_string(wee_check_describe(-1), "unknown wee_check result"));
    CHECK(same_string(wee_check_describe(1000), "unknown wee_check result"));
}

static void row_overflowing_sizes(void)
{
    static const size_t huge[] = { SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX - 65536,
                                   SIZE_MAX / 2 + 1, SIZE_MAX / 2 };
    struct wee_stats before, after;
    unsigned char *p = wee_malloc(100);
    size_t i;

    CHECK(p != NULL);
    fill(p, 7, 100);
    wee_stats(&before);
    for (i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        void *q = &q;
        int saved;

        errno = 0;
        CHECK(wee_malloc(huge[i]) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(wee_calloc(1, huge[i]) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(wee_realloc(NULL, huge[i]) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(wee_realloc(p, huge[i]) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(wee_aligned_alloc(16, huge[i]) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(wee_aligned_alloc(4096, huge[i]) == NULL && errno == ENOMEM);
        saved = errno = 77;
        CHECK(wee_posix_memalign(&q, 64, huge[i]) == ENOMEM && q == (void *)&q);
        CHECK(errno == saved);
    }
    errno = 0;
    CHECK(wee_calloc(SIZE_MAX / 2 + 1, 2) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(wee_calloc(65536, SIZE_MAX / 65536 + 1) == NULL && errno == ENOMEM);
    wee_stats(&after);
    /* Nothing was asked of the backend; the block is as it was. */
    CHECK(after.backend_bytes == before.backend_bytes);
    for (i = 0; i < 100; i++)
        CHECK(p[i] == 7);
    wee_free(p);
    heap_ok();
}

static void row_bad_alignments(void)
{
    static const size_t not_powers[] = { 0, 3, 6, 24, 48, 100, SIZE_MAX };
    size_t i;
    void *q;

    for (i = 0; i < sizeof not_powers / sizeof not_powers[0]; i++) {
        q = &q;
        errno = 0;
        CHECK(wee_aligned_alloc(not_powers[i], 16) == NULL && errno == EINVAL);
        errno = 0;
        CHECK(wee_heap_aligned_alloc(NULL, not_powers[i], 16) == NULL && errno == EINVAL);
        CHECK(wee_posix_memalign(&q, not_powers[i], 16) == EINVAL && q == (void *)&q);
    }
    /* Below MIN_ALIGN: aligned_alloc gives MIN_ALIGN; posix_memalign
     * wants a multiple of sizeof(void *). */
    for (i = 1; i < sizeof(void *); i <<= 1) {
        void *p = wee_aligned_alloc(i, 10);
        CHECK(p != NULL && (uintptr_t)p % MIN_ALIGN == 0);
        wee_free(p);
        q = &q;
        CHECK(wee_posix_memalign(&q, i, 10) == EINVAL && q == (void *)&q);
    }
    q = NULL;
    CHECK(wee_posix_memalign(&q, sizeof(void *), 10) == 0 && q != NULL);
    wee_free(q);
    CHECK(wee_posix_memalign(NULL, 64, 10) == EINVAL);
    /* A power of two so large that no block can have it. */
    errno = 0;
    CHECK(wee_aligned_alloc(SIZE_MAX / 2 + 1, 1) == NULL && errno == ENOMEM);
    q = &q;
    CHECK(wee_posix_memalign(&q, SIZE_MAX / 2 + 1, 1) == ENOMEM && q == (void *)&q);
    heap_ok();
}

static void row_bad_heap_buffers(void)
{
    static union { unsigned char bytes[64 * 1024]; long double ld; void *p; } buf;

    errno = 0;
    CHECK(wee_heap_in(NULL, sizeof buf) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(wee_heap_in(buf.bytes, 64) == NULL && errno == EINVAL);
    CHECK(wee_heap_in(buf.bytes, sizeof buf) != NULL);
    /* Any alignment is taken: the heap starts at the next boundary. */
    {
        unsigned char *odd = buf.bytes + 1;
        wee_heap *h = wee_heap_in(odd, sizeof buf - 1);
        void *p;

        CHECK(h != NULL && (unsigned char *)h > odd);
        p = wee_heap_malloc(h, 1000);
        CHECK(p != NULL && (uintptr_t)p % MIN_ALIGN == 0);
        CHECK((unsigned char *)p > odd && (unsigned char *)p + 1000 <= buf.bytes + sizeof buf);
        CHECK(wee_heap_check(h, NULL) == WEE_CHECK_OK);
    }
}

/* ---- rows that abort, in every build ---- */

static void row_double_free_small(void)
{
    unsigned char *b = middle_of_three(48);

    wee_free(b);
    expect_abort("wee_free", b);
    wee_free(b);
}

/* The same through wee_heap_free(NULL, ...): a small block of the default
 * heap may sit in the thread's cache after the first free, and the message
 * must still name the function that was called. */
static void row_double_free_small_default_heap(void)
{
    unsigned char *b = middle_of_three(48);

    wee_heap_free(NULL, b);
    expect_abort("wee_heap_free", b);
    wee_heap_free(NULL, b);
}

static void row_double_free_large(void)
{
    unsigned char *b = middle_of_three(10000);

    wee_free(b);
    expect_abort("wee_free", b);
    wee_free(b);
}

static void row_double_free_heap(void)
{
    static union { unsigned char bytes[64 * 1024]; long double ld; void *p; } buf;
    wee_heap *h = wee_heap_in(buf.bytes, sizeof buf);
    void *a, *b, *c;

    CHECK(h != NULL);
    a = wee_heap_malloc(h, 300);
    b = wee_heap_malloc(h, 300);
    c = wee_heap_malloc(h, 300);
    CHECK(a && b && c);
    wee_heap_free(h, b);
    expect_abort("wee_heap_free", b);
    wee_heap_free(h, b);
}

static void row_realloc_freed(void)
{
    unsigned char *b = middle_of_three(10000);
    void *r;

    wee_free(b);
    expect_abort("wee_realloc", b);
    r = wee_realloc(b, 20000);
    (void)r;
}

static void row_usable_size_freed(void)
{
    unsigned char *b = middle_of_three(200);

    wee_free(b);
    expect_abort("wee_malloc_usable_size", b);
    (void)wee_malloc_usable_size(b);
}

static void row_free_misaligned(void)
{
    unsigned char *p = wee_malloc(1000);

    CHECK(p != NULL);
    expect_abort("wee_free", p + 1);
    wee_free(p + 1);
}

static void row_free_misaligned_by_a_word(void)
{
    unsigned char *p = wee_malloc(1000);

    CHECK(p != NULL);
    fill(p, 0, 1000);
    expect_abort("wee_realloc", p + MIN_ALIGN / 2);
    (void)wee_realloc(p + MIN_ALIGN / 2, 10);
}

/* ---- rows that abort with extra assertions (undefined without) ---- */

static void row_free_interior(void)
{
    unsigned char *p = wee_malloc(10000);

    CHECK(p != NULL);
    fill(p, 0x01, 10000);   /* the "header" before p + 512 looks allocated */
    expect_abort("wee_free", p + 512);
    wee_free(p + 512);
}

static void row_free_stack(void)
{
    union { unsigned char bytes[256]; long double ld; void *p; } local;

    fill(local.bytes, 0x01, sizeof local.bytes);
    expect_abort("wee_free", local.bytes + 64);
    wee_free(local.bytes + 64);
}

static void row_free_static(void)
{
    static union { unsigned char bytes[256]; long double ld; void *p; } other;

    fill(other.bytes, 0x01, sizeof other.bytes);
    expect_abort("wee_free", other.bytes + 64);
    wee_free(other.bytes + 64);
}

#if HAVE_LIBC
static void row_free_libc_block(void)
{
    void *p = calloc(1, 100);

    CHECK(p != NULL);
    expect_abort("wee_free", p);
    wee_free(p);
}
#endif

static void row_free_into_other_heap(void)
{
    static union { unsigned char bytes[64 * 1024]; long double ld; void *p; } buf;
    wee_heap *h = wee_heap_in(buf.bytes, sizeof buf);
    void *p;

    CHECK(h != NULL);
    p = wee_heap_malloc(h, 100);
    CHECK(p != NULL);
    expect_abort("wee_free", p);
    wee_free(p);   /* the default heap's free */
}

static void row_free_into_other_heap_new(void)
{
    wee_heap *h1 = wee_heap_new(), *h2 = wee_heap_new();
    void *p;

    CHECK(h1 && h2);
    p = wee_heap_malloc(h1, 100);
    CHECK(p != NULL);
    expect_abort("wee_heap_free", p);
    wee_heap_free(h2, p);
}

/* Free b twice after it has merged with its free neighbour a: absorbed by
 * a's release (b freed first), or merged into a as it is freed (a freed
 * first), which leaves b's header inside a's cell, where it must not pass
 * for an allocated cell's.  Either way b no longer starts a cell. */
static void double_free_after_merge(int b_first)
{
    void *a = wee_malloc(10000), *b = wee_malloc(10000), *c = wee_malloc(10000);

    CHECK(a && b && c);
    wee_free(b_first ? b : a);
    wee_free(b_first ? a : b);
    expect_abort("wee_free", b);
    wee_free(b);
}

static void row_double_free_after_merge(void)
{
    double_free_after_merge(1);
}

static void row_double_free_merged_into_previous(void)
{
    double_free_after_merge(0);
}

/* Write into a freed block: wee_check reports it; handing the memory out
 * again aborts, naming the function that would have handed it out. */
static void row_write_after_free_check(void)
{
    unsigned char *b = middle_of_three(256);

    wee_free(b);
    b[100] ^= 0xff;
    CHECK(wee_check() == WEE_CHECK_POISON);
}

static void row_write_after_free_calloc(void)
{
    unsigned char *b = middle_of_three(256);
    int i;

    wee_free(b);
    b[100] ^= 0xff;
    expect_abort("wee_calloc", b);
    for (i = 0; i < 1000; i++)
        CHECK(wee_calloc(1, 256) != b);
    fail("the written freed block was never handed out again", 0);
}

static void row_write_after_free_large(void)
{
    unsigned char *b = middle_of_three(10000);
    int i;

    wee_free(b);
    b[5000] ^= 0xff;
    expect_abort("wee_malloc", b);
    for (i = 0; i < 1000; i++)
        CHECK(wee_malloc(10000) != b);
    fail("the written freed block was never handed out again", 0);
}

/* The first word of a freed block links it to the next free block of its
 * list.  Write there an address that is no block's: wee_check reports the
 * list, in every build, without following the link.  (A small block may
 * wait in the thread's cache, which wee_check does not see: test-heaps
 * covers the size-class lists on a heap of its own.) */
static void row_links_written_after_free_check(void)
{
    unsigned char *b = middle_of_three(10000);
    uintptr_t saved;

    wee_free(b);
    saved = *(uintptr_t *)b;
    *(uintptr_t *)b = 16;
    CHECK(wee_check() == WEE_CHECK_FREE_LIST);
    *(uintptr_t *)b = saved;
    CHECK(wee_check() == WEE_CHECK_OK);
}

/* With extra assertions, the call that would follow the link aborts
 * instead, naming the block: from the main list, and from a size-class
 * list (the main list without size classes). */
static void links_written_after_free(size_t n)
{
    unsigned char *b = middle_of_three(n);

    wee_free(b);
    *(uintptr_t *)b = 16;
    expect_abort("wee_malloc", b);
    b = wee_malloc(n);
    fail("the block was handed out", 0);
}

static void row_links_written_after_free_large(void)
{
    links_written_after_free(10000);
}

static void row_links_written_after_free_small(void)
{
    links_written_after_free(48);
}

/* wee_stats follows the same links: with extra assertions it checks them
 * first, and aborts naming the cell that holds the broken one. */
static void row_links_written_after_free_stats(void)
{
    unsigned char *b = middle_of_three(10000);
    struct wee_stats s;

    wee_free(b);
    *(uintptr_t *)b = 16;
    expect_abort("wee_stats", b - HEADER);
    wee_stats(&s);
    fail("wee_stats returned", 0);
}

/* Write past the end of a block, over the next cell's header: wee_check
 * says where; the next call that checks the heap aborts. */
static void row_overrun(void)
{
    unsigned char *a = wee_malloc(100), *b = wee_malloc(100);
    void *where = NULL;
    size_t n;

    CHECK(a && b);
    n = wee_malloc_usable_size(a);
    fill(a, 0x5a, n + HEADER / 2);
    CHECK(wee_heap_check(NULL, &where) == WEE_CHECK_CELL_LINKS);
    CHECK(where == b - HEADER);
    expect_abort("wee_malloc", where);
    where = wee_malloc(10);
}

static int visit_nothing(void *block, size_t size, int in_use, void *arg)
{
    (void)block;
    (void)size;
    (void)in_use;
    (void)arg;
    return 0;
}

/* wee_heap_walk follows the headers: with extra assertions it checks
 * them first. */
static void row_overrun_walk(void)
{
    unsigned char *a = wee_malloc(100), *b = wee_malloc(100);

    CHECK(a && b);
    fill(a, 0x5a, wee_malloc_usable_size(a) + HEADER / 2);
    expect_abort("wee_heap_walk", b - HEADER);
    wee_heap_walk(NULL, visit_nothing, NULL);
    fail("wee_heap_walk returned", 0);
}

/* ---- the table ---- */

enum outcome { RETURNS, ABORTS };
enum when { ALWAYS, WITH_ASSERTIONS };

struct row {
    const char *name;
    void (*run)(void);
    enum outcome outcome;
    enum when when;
};

static const struct row rows[] = {
    { "free(NULL)", row_free_null, RETURNS, ALWAYS },
    { "realloc(NULL, n)", row_realloc_null, RETURNS, ALWAYS },
    { "realloc(p, 0)", row_realloc_zero, RETURNS, ALWAYS },
    { "size 0", row_zero_sizes, RETURNS, ALWAYS },
    { "NULL to the queries", row_null_queries, RETURNS, ALWAYS },
    { "overflowing sizes", row_overflowing_sizes, RETURNS, ALWAYS },
    { "bad alignments", row_bad_alignments, RETURNS, ALWAYS },
    { "wee_heap_in: NULL, too small, misaligned", row_bad_heap_buffers, RETURNS, ALWAYS },
    { "double free (small block)", row_double_free_small, ABORTS, ALWAYS },
    { "double free (large block)", row_double_free_large, ABORTS, ALWAYS },
    { "double free (wee_heap_free)", row_double_free_heap, ABORTS, ALWAYS },
    { "double free (wee_heap_free, default heap)", row_double_free_small_default_heap, ABORTS, ALWAYS },
    { "realloc of a freed block", row_realloc_freed, ABORTS, ALWAYS },
    { "usable size of a freed block", row_usable_size_freed, ABORTS, ALWAYS },
    { "free of a misaligned pointer", row_free_misaligned, ABORTS, ALWAYS },
    { "realloc of a pointer half a granule in", row_free_misaligned_by_a_word, ABORTS, ALWAYS },
    { "free of an aligned pointer into a block", row_free_interior, ABORTS, WITH_ASSERTIONS },
    { "free of a stack pointer", row_free_stack, ABORTS, WITH_ASSERTIONS },
    { "free of a static pointer", row_free_static, ABORTS, WITH_ASSERTIONS },
#if HAVE_LIBC
    { "free of a C library malloc block", row_free_libc_block, ABORTS, WITH_ASSERTIONS },
#endif
    { "free into the wrong heap (wee_heap_in)", row_free_into_other_heap, ABORTS, WITH_ASSERTIONS },
    { "free into the wrong heap (wee_heap_new)", row_free_into_other_heap_new, ABORTS, WITH_ASSERTIONS },
    { "double free after a merge", row_double_free_after_merge, ABORTS, ALWAYS },
    { "double free after merging into the block before", row_double_free_merged_into_previous, ABORTS, ALWAYS },
    { "write after free: wee_check", row_write_after_free_check, RETURNS, WITH_ASSERTIONS },
    { "write after free: reuse by calloc", row_write_after_free_calloc, ABORTS, WITH_ASSERTIONS },
    { "write after free: reuse by malloc", row_write_after_free_large, ABORTS, WITH_ASSERTIONS },
    { "write after free over the links: wee_check", row_links_written_after_free_check, RETURNS, ALWAYS },
    { "write after free over the links: reuse by malloc", row_links_written_after_free_large, ABORTS, WITH_ASSERTIONS },
    { "write after free over a small block's link", row_links_written_after_free_small, ABORTS, WITH_ASSERTIONS },
    { "write after free over the links: wee_stats", row_links_written_after_free_stats, ABORTS, WITH_ASSERTIONS },
    { "write past the end of a block", row_overrun, ABORTS, WITH_ASSERTIONS },
    { "write past the end of a block: wee_heap_walk", row_overrun_walk, ABORTS, WITH_ASSERTIONS },
};

#define ROW_COUNT (sizeof rows / sizeof rows[0])

/* ---- one row, alone ---- */

static int run_one(const char *arg)
{
    const char *d = arg;
    size_t i = 0;
    const struct row *row;

    while (*d >= '0' && *d <= '9' && i < ROW_COUNT)
        i = i * 10 + (size_t)(*d++ - '0');
    if (d == arg || *d != '\0' || i >= ROW_COUNT) {
        put(1, "no such row: ");
        put(1, arg);
        put(1, "\n");
        return 2;
    }
    row = &rows[i];
    if (row->when == WITH_ASSERTIONS && !WEE_ALLOC_EXTRA_ASSERTIONS) {
        put(1, "skip: ");
        put(1, row->name);
        put(1, " (undefined without extra assertions)\n");
        return 0;
    }
    put(1, row->outcome == ABORTS ? "aborts: " : "returns: ");
    put(1, row->name);
    put(1, "\n");
    flush_out();
    row->run();
    if (row->outcome == ABORTS)
        fail("returned instead of aborting", 0);
    return 0;
}

#if FORK_EACH_ROW
/* ---- in the parent ---- */

static size_t read_all(int fd, char *buf, size_t size)
{
    size_t len = 0;

    for (;;) {
        ssize_t got = read(fd, buf + len, size - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || (len += (size_t)got) == size - 1)
            break;
    }
    buf[len] = '\0';
    return len;
}

/* Run one row in a child; 1 when it behaved as the table says. */
static int run_row(const struct row *row)
{
    int expect_pipe[2], err_pipe[2], status;
    char expect[256], err[4096];
    pid_t pid;

    if (pipe(expect_pipe) != 0 || pipe(err_pipe) != 0) {
        perror("pipe");
        return 0;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 0;
    }
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };

        setrlimit(RLIMIT_CORE, &no_core);
        close(expect_pipe[0]);
        close(err_pipe[0]);
        expect_fd = expect_pipe[1];
        dup2(err_pipe[1], STDERR_FILENO);
        row->run();
        if (row->outcome == ABORTS)
            fail("returned instead of aborting", 0);
        _exit(0);
    }
    close(expect_pipe[1]);
    close(err_pipe[1]);
    /* The child writes its expectation before it misuses the heap. */
    read_all(expect_pipe[0], expect, sizeof expect);
    read_all(err_pipe[0], err, sizeof err);
    close(expect_pipe[0]);
    close(err_pipe[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("waitpid");
            return 0;
        }
    }

    if (row->outcome == RETURNS) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            return 1;
        printf("FAIL: %s: should return; the child %s %d: %s\n", row->name,
               WIFSIGNALED(status) ? "died of signal" : "exited with status",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), err);
        return 0;
    }
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
        printf("FAIL: %s: should abort; the child %s %d: %s\n", row->name,
               WIFSIGNALED(status) ? "died of signal" : "exited with status",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), err);
        return 0;
    }
    if (expect[0] == '\0') {
        printf("FAIL: %s: aborted before it said what to expect: %s\n", row->name, err);
        return 0;
    }
    if (strstr(err, expect) == NULL) {
        printf("FAIL: %s: the message does not begin \"%s\": %s\n", row->name, expect, err);
        return 0;
    }
    return 1;
}

/* Every row, each in a child of its own; 0 when all held. */
static int run_all(void)
{
    size_t i, run = 0, skipped = 0, failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 0; i < ROW_COUNT; i++) {
        const struct row *row = &rows[i];

        if (row->when == WITH_ASSERTIONS && !WEE_ALLOC_EXTRA_ASSERTIONS) {
            printf("skip: %s (undefined without extra assertions)\n", row->name);
            skipped++;
            continue;
        }
        run++;
        if (run_row(row))
            printf("ok:   %s (%s)\n", row->name,
                   row->outcome == ABORTS ? "aborts, naming the function and address"
                                          : "returns as documented");
        else
            failed++;
    }
    printf("%lu rows run, %lu failed, %lu not run in this build\n", (unsigned long)run,
           (unsigned long)failed, (unsigned long)skipped);
    return failed ? 1 : 0;
}
#endif /* FORK_EACH_ROW */

#if HAVE_LIBC
int main(int argc, char **argv)
{
    if (argc == 2)
        return run_one(argv[1]);
#if FORK_EACH_ROW
    return run_all();
#else
    fprintf(stderr, "usage: test-bad-input ROW (this host cannot fork: "
                    "tests/test-bad-input-rows.sh runs every row)\n");
    return 2;
#endif
}
#else
EXPORT(wee_test_main) int wee_test_main(void);

int wee_test_main(void)
{
    char arg[32];
    int n = host_arg_count() == 1 ? host_arg_read(0, arg, sizeof arg - 1) : -1;

    if (n < 0 || (size_t)n >= sizeof arg) {
        put(2, "usage: test-bad-input ROW (tests/test-bad-input-rows.sh runs every row)\n");
        return 2;
    }
    arg[n] = '\0';
    return run_one(arg);
}
#endif
