/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-tls-module.c - a module that tests/malloc-libc.c loads with
 * dlopen: its thread-local array is dynamic TLS, which glibc allocates with
 * malloc in each thread that touches it and frees when the thread exits.
 */
#include <stddef.h>

int wee_tls_touch(unsigned seed);

static __thread unsigned char tls_block[64 * 1024];

/* Fill this thread's copy and check it: 0 when it held the pattern. */
int wee_tls_touch(unsigned seed)
{
    size_t i;

    for (i = 0; i < sizeof tls_block; i++)
        tls_block[i] = (unsigned char)(seed + i);
    for (i = 0; i < sizeof tls_block; i++)
        if (tls_block[i] != (unsigned char)(seed + i))
            return 1;
    return 0;
}
