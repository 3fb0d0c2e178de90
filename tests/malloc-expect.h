/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-expect.h - what the drop-in malloc's test programs for hosts with
 * a C library but no Check share (tests/malloc-wasi.c on wasi-libc,
 * tests/malloc-bare-metal.c on newlib and picolibc): a check that prints
 * a FAIL line and counts it, and the bytes in use on the wee_alloc heap.
 * Include it after <stdio.h> and "wee_alloc.h"; main returns
 * failures != 0.
 */
#ifndef WEE_MALLOC_EXPECT_H
#define WEE_MALLOC_EXPECT_H

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

static size_t in_use(void)
{
    struct wee_stats s;

    wee_stats(&s);
    return s.in_use_bytes;
}

#endif /* WEE_MALLOC_EXPECT_H */
