/* SPDX-License-Identifier: MPL-2.0 */
/*
 * hello.c - a first program with wee_alloc.
 *
 * Build it against the installed library:
 *     cc examples/hello.c $(pkg-config --cflags --libs wee_alloc) -o hello
 *
 * It allocates, grows, aligns and frees a few blocks, prints what it did,
 * checks every result and exits with status 1 if anything was wrong.
 * Sizes are printed as unsigned long: the printf of newlib, on bare
 * metal, may not know C99's %zu.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <wee_alloc.h>

static int failures;

static void expect(int ok, const char *what)
{
    printf("  %-52s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

static int is_aligned(const void *p, size_t alignment)
{
    return ((uintptr_t)p & (alignment - 1)) == 0;
}

int main(void)
{
    const size_t min_align = 2 * sizeof(void *);
    struct wee_stats stats;
    const char *greeting = "hello from wee_alloc";
    char *text;
    char *longer;
    void *page;
    int code;

    printf("wee_alloc %s, %s backend, size classes %s, extra assertions %s\n",
           WEE_ALLOC_VERSION, WEE_ALLOC_BACKEND,
           WEE_ALLOC_SIZE_CLASSES ? "on" : "off",
           WEE_ALLOC_EXTRA_ASSERTIONS ? "on" : "off");

    /* A small block holding a string. */
    text = wee_malloc(strlen(greeting) + 1);
    expect(text != NULL, "wee_malloc(21) returns memory");
    if (text == NULL)
        return 1;
    expect(is_aligned(text, min_align), "it is aligned like malloc's");
    strcpy(text, greeting);
    printf("  text = \"%s\" at %p\n", text, (void *)text);

    /* Grow it: the string must survive, wherever the block ends up. */
    longer = wee_realloc(text, 4000);
    expect(longer != NULL, "wee_realloc(text, 4000) returns memory");
    if (longer == NULL)
        return 1;
    text = longer;
    expect(strcmp(text, greeting) == 0, "the text survives the move");
    expect(wee_malloc_usable_size(text) >= 4000, "at least 4000 bytes are usable");
    printf("  text now at %p, %lu usable bytes\n", (void *)text,
           (unsigned long)wee_malloc_usable_size(text));

    /* A block on a 4 KiB boundary, as a page-sized buffer would need. */
    page = wee_aligned_alloc(4096, 4096);
    expect(page != NULL && is_aligned(page, 4096),
           "wee_aligned_alloc(4096, 4096) is 4096-aligned");
    if (page != NULL)
        memset(page, 0xab, 4096);

    wee_stats(&stats);
    printf("  in use: %lu bytes, taken from the backend: %lu bytes\n",
           (unsigned long)stats.in_use_bytes, (unsigned long)stats.backend_bytes);
    expect(stats.in_use_bytes >= 4000 + 4096, "wee_stats counts both blocks as in use");
    expect(stats.backend_bytes >= stats.in_use_bytes,
           "the backend gave at least what is in use");

    wee_free(page);
    wee_free(text);
    wee_free(NULL); /* a no-op, as with free() */

    wee_stats(&stats);
    printf("  after freeing: in use %lu bytes, %lu free cells, largest %lu bytes\n",
           (unsigned long)stats.in_use_bytes, (unsigned long)stats.free_cells,
           (unsigned long)stats.largest_free_cell);
    expect(stats.in_use_bytes == 0, "everything freed: nothing in use");

    code = wee_check();
    expect(code == WEE_CHECK_OK, "wee_check() finds the heap consistent");
    if (code != WEE_CHECK_OK)
        printf("  wee_check: %s\n", wee_check_describe(code));

    if (failures != 0) {
        printf("hello: %d check(s) failed\n", failures);
        return 1;
    }
    printf("hello: all checks passed\n");
    return 0;
}
