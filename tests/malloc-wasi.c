/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-wasi - libwee_alloc_malloc linked into a wasm32-wasi program
 * replaces wasi-libc's malloc, for the program and for wasi-libc itself.
 *
 * The program uses what makes wasi-libc allocate by its internal names
 * (atexit, past the 32 handlers of its static table: __libc_calloc) and
 * by the public ones (strdup, a stdio stream),
 * so it links only if lib/malloc.c keeps wasi-libc's dlmalloc.o out of the
 * link.  Each of those allocations must raise the wee_alloc heap's
 * in_use_bytes (wee_stats), and the functions' results must be
 * wee_alloc blocks.  Calls whose result the compiler could know go
 * through volatile function pointers.  Exit status 0, or 1 with a FAIL
 * line.
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wee_alloc.h"
#include "malloc-expect.h"

/* wasi-libc neither defines nor declares valloc;
 * libwee_alloc_malloc defines it. */
void *valloc(size_t size);
/* Nor malloc_trim, which libwee_alloc_malloc defines too. */
int malloc_trim(size_t pad);

static void *(*volatile f_malloc)(size_t) = malloc;
static void *(*volatile f_valloc)(size_t) = valloc;
static int (*volatile f_posix_memalign)(void **, size_t, size_t) = posix_memalign;

static void at_exit(void)
{
}

int main(void)
{
    size_t before;
    int i, registered = 1;
    char *s;
    void *p;
    FILE *f;

    /* wasi-libc's atexit (musl's) has room for 32 handlers; for more it
     * allocates a table with __libc_calloc. */
    before = in_use();
    for (i = 0; i < 40; i++)
        registered &= atexit(at_exit) == 0;
    expect(registered, "atexit");
    expect(in_use() > before, "atexit's table is not on the wee_alloc heap");

    /* strdup calls malloc inside wasi-libc. */
    before = in_use();
    s = strdup("wee_alloc serves wasi-libc");
    expect(s != NULL && in_use() >= before + strlen(s) + 1,
           "strdup's block is not on the wee_alloc heap");
    expect(s != NULL && wee_malloc_usable_size(s) >= strlen(s) + 1,
           "strdup's block is not a wee_alloc block");
    free(s);
    expect(in_use() == before, "free did not give strdup's block back");

    /* fopen allocates the stream and its buffer. */
    before = in_use();
    f = fopen("/dev/null", "w");
    if (f) {
        expect(in_use() > before, "fopen's stream is not on the wee_alloc heap");
        fclose(f);
        expect(in_use() == before, "fclose did not give the stream back");
    }

    /* The program's own calls, with errno as the C library has it. */
    before = in_use();
    p = f_malloc(100);
    expect(p != NULL && in_use() == before + malloc_usable_size(p),
           "malloc's block is not on the wee_alloc heap");
    free(p);
    errno = 0;
    expect(f_malloc(SIZE_MAX) == NULL && errno == ENOMEM, "malloc(SIZE_MAX): NULL, ENOMEM");
    p = f_valloc(1);
    expect(p != NULL && (uintptr_t)p % 65536 == 0, "valloc: the wasm page, 64 KiB");
    free(p);
    expect(f_posix_memalign(&p, 3, 1) == EINVAL, "posix_memalign(&p, 3, 1): EINVAL");
    expect(malloc_trim(0) == 0, "malloc_trim(0): wasm memory never shrinks");
    expect(wee_check() == WEE_CHECK_OK, "wee_check");
    if (!failures)
        printf("malloc-wasi: wasi-libc and the program allocate on wee_alloc\n");
    return failures != 0;
}
