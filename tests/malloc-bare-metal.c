/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-bare-metal - libwee_alloc_malloc linked into a program on a
 * bare-metal C library (the static backend), newlib or picolibc,
 * replaces the C library's allocator, for the program and for the C
 * library itself.
 *
 * The C library's own allocations must come to wee_alloc: strdup's,
 * asprintf's (which grows its string with realloc) and, on newlib,
 * stdout's buffer.  newlib makes them through its reentrant names
 * (_malloc_r, _realloc_r), picolibc through the standard ones.  Each of
 * them must raise the wee_alloc heap's in_use_bytes (wee_stats) and be a
 * block that free takes.  One source, five programs:
 *   tests/malloc-newlib and tests/malloc-picolibc name only the standard
 *       functions: on newlib, GNU ld then takes the archive's reentrant
 *       names only because they are in the object that defines malloc and
 *       free, and without them newlib's own allocator would serve strdup;
 *   tests/malloc-newlib-u and tests/malloc-picolibc-u
 *       (WEE_TEST_NO_ALLOCATION_CALLS) name none of them, and are linked
 *       with the flag that wee_alloc_malloc.pc gives (-Wl,-u,_malloc_r on
 *       newlib, -Wl,-u,malloc on picolibc), which must make GNU ld take the
 *       archive anyway;
 *   tests/malloc-newlib-r (WEE_TEST_REENTRANT) also calls the reentrant
 *       names itself: their results must be wee_alloc blocks, with errors
 * reported in the struct _reent they are given, not in errno.  Had the C
 * library's allocator been pulled in as well, the link would fail on a
 * name defined twice.  The semantics of malloc & co. are lib/malloc.c's,
 * checked elsewhere (tests/malloc-glibc.c natively, tests/malloc-nolibc.c
 * on wasm32).  Sizes are printed with %lu: newlib's printf may not know
 * %zu.  Exit status 0, or 1 with a FAIL line.
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wee_alloc.h"
#include "malloc-expect.h"

#if !defined(__PICOLIBC__)
#  include <reent.h>
#  define LIBC "newlib"
#else
#  define LIBC "picolibc"
#endif

#if WEE_TEST_REENTRANT
/* Defined by libwee_alloc_malloc (lib/malloc.c); newlib's headers
 * declare only some of them. */
void *_memalign_r(struct _reent *r, size_t alignment, size_t size);
void *_valloc_r(struct _reent *r, size_t size);
void *_pvalloc_r(struct _reent *r, size_t size);
size_t _malloc_usable_size_r(struct _reent *r, void *ptr);
size_t malloc_usable_size(void *ptr);
#endif

#if !WEE_TEST_NO_ALLOCATION_CALLS
static void *(*volatile f_malloc)(size_t) = malloc;
/* Defined by libwee_alloc_malloc, so that a program calling it links
 * without the C library's allocator. */
int malloc_trim(size_t pad);
#endif

#if WEE_TEST_REENTRANT
/* A struct _reent other than the program's: only its _errno is used. */
static struct _reent other;

/* After a reentrant call on behalf of `other`: errno must still be 0,
 * and other._errno must be `error`. */
static void expect_errors(int error, const char *what)
{
    if (errno != 0 || other._errno != error) {
        printf("FAIL: %s: errno %d, r->_errno %d (want 0 and %d)\n", what, errno,
               other._errno, error);
        failures++;
    }
}

/* The reentrant names, as the program's own calls. */
static void check_reentrant(void)
{
    size_t before;
    void *p, *q;

    before = in_use();
    p = _malloc_r(_REENT, 100);
    expect(p != NULL && in_use() == before + wee_malloc_usable_size(p),
           "_malloc_r's block is not on the wee_alloc heap");
    expect(p != NULL && _malloc_usable_size_r(_REENT, p) == malloc_usable_size(p)
           && malloc_usable_size(p) >= 100, "_malloc_usable_size_r");
    p = _realloc_r(_REENT, p, 3000);
    expect(p != NULL && in_use() == before + wee_malloc_usable_size(p)
           && wee_malloc_usable_size(p) >= 3000, "_realloc_r");
    _free_r(_REENT, p);
    expect(in_use() == before, "_free_r did not give the block back");
    p = _calloc_r(_REENT, 10, 10);
    expect(p != NULL && ((unsigned char *)p)[99] == 0, "_calloc_r");
    free(p);

    /* Errors go to the struct _reent given, not to errno. */
    errno = 0;
    other._errno = 0;
    expect(_malloc_r(&other, SIZE_MAX) == NULL, "_malloc_r(SIZE_MAX) is NULL");
    expect_errors(ENOMEM, "_malloc_r(&other, SIZE_MAX)");
    other._errno = 0;
    expect(_calloc_r(&other, SIZE_MAX / 2, 3) == NULL, "_calloc_r overflow is NULL");
    expect_errors(ENOMEM, "_calloc_r(&other, SIZE_MAX / 2, 3)");
    other._errno = 0;
    expect(_memalign_r(&other, SIZE_MAX, 1) == NULL, "_memalign_r(SIZE_MAX) is NULL");
    expect_errors(EINVAL, "_memalign_r(&other, SIZE_MAX, 1)");
    other._errno = 0;
    p = _malloc_r(&other, 50);
    before = in_use();
    q = _realloc_r(&other, p, 0);
    expect(q == NULL && in_use() < before, "_realloc_r(p, 0) frees p");
    expect_errors(0, "_realloc_r(&other, p, 0)");
    other._errno = 0;
    p = _memalign_r(&other, 256, 10);
    expect(p != NULL && (uintptr_t)p % 256 == 0, "_memalign_r(256): aligned");
    free(p);
    p = _valloc_r(&other, 10);
    expect(p != NULL && (uintptr_t)p % 4096 == 0, "_valloc_r: aligned to 4096");
    free(p);
    p = _pvalloc_r(&other, 1);
    expect(p != NULL && (uintptr_t)p % 4096 == 0 && malloc_usable_size(p) >= 4096,
           "_pvalloc_r: a whole page");
    free(p);
    expect_errors(0, "successful calls");

    /* Through _REENT, the error is errno. */
    errno = 0;
    expect(_malloc_r(_REENT, SIZE_MAX) == NULL && errno == ENOMEM,
           "_malloc_r(_REENT, SIZE_MAX): errno ENOMEM");
}
#endif

int main(void)
{
    size_t before;
    char *s, *t = NULL;

    /* On newlib, the first output allocates stdout's buffer; picolibc's
     * stdio has none. */
    before = in_use();
    printf("malloc-%s: %s and the program on the wee_alloc heap\n", LIBC, LIBC);
#if !defined(__PICOLIBC__)
    expect(in_use() > before, "stdout's buffer is not on the wee_alloc heap");
#endif

    /* strdup calls _malloc_r inside newlib, malloc inside picolibc. */
    before = in_use();
    s = strdup("wee_alloc serves " LIBC);
    expect(s != NULL && in_use() == before + wee_malloc_usable_size(s),
           "strdup's block is not on the wee_alloc heap");
    /* asprintf grows its string with _realloc_r (newlib) or realloc. */
    before = in_use();
    expect(asprintf(&t, "%s, %d times over: %s", s, 3, s) > 0 && t != NULL,
           "asprintf failed");
    expect(t != NULL && in_use() == before + wee_malloc_usable_size(t)
           && wee_malloc_usable_size(t) > strlen(t),
           "asprintf's block is not on the wee_alloc heap");
#if !WEE_TEST_NO_ALLOCATION_CALLS
    before = in_use();
    free(t);
    free(s);
    expect(in_use() < before, "free did not give the C library's blocks back");

#if WEE_TEST_REENTRANT
    check_reentrant();
#endif
    errno = 0;
    expect(f_malloc(SIZE_MAX) == NULL && errno == ENOMEM, "malloc(SIZE_MAX): errno ENOMEM");
    expect(malloc_trim(0) == 0, "malloc_trim(0): the static array cannot go back");
#endif

    expect(wee_check() == WEE_CHECK_OK, "wee_check");
    return failures != 0;
}
