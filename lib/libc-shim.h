/* SPDX-License-Identifier: MPL-2.0 */
/*
 * libc-shim.h - the four things the core takes from the C library (errno,
 * ENOMEM, EINVAL, memset and memcpy), with stand-ins for hosts that have
 * none, such as wasm32-unknown-none.
 *
 * With a C library (configure found <errno.h> and <string.h>) this header
 * only includes them.  Without one:
 *   - errno is the library's own int, wee__errno (libc-shim.c), which a
 *     program reads through wee_errno_location() (include/wee_alloc.h);
 *     ENOMEM and EINVAL take the values WASI gives them;
 *   - memset and memcpy are the compiler's builtins when the target has
 *     the bulk-memory instructions (clang -mbulk-memory: one memory.fill or
 *     memory.copy), else small byte loops here.  The library is then
 *     compiled with -ffreestanding (configure), so the compiler does not
 *     turn those loops back into calls to a memset nobody provides.
 */
#ifndef WEE_LIBC_SHIM_H
#define WEE_LIBC_SHIM_H

#include <stddef.h>

#include "backend.h"

#if HAVE_ERRNO_H
#  include <errno.h>
#else
#  include "wee_alloc.h"
#  define ENOMEM WEE_ENOMEM
#  define EINVAL WEE_EINVAL
WEE_INTERNAL extern int wee__errno;
#  define errno wee__errno
#endif

#if HAVE_STRING_H
#  include <string.h>
#elif defined(__wasm_bulk_memory__)
#  define memset __builtin_memset
#  define memcpy __builtin_memcpy
#else
static inline void *wee__memset(void *to, int byte, size_t n)
{
    unsigned char *p = to;

    while (n--)
        *p++ = (unsigned char)byte;
    return to;
}

static inline void *wee__memcpy(void *to, const void *from, size_t n)
{
    unsigned char *p = to;
    const unsigned char *q = from;

    while (n--)
        *p++ = *q++;
    return to;
}
#  define memset wee__memset
#  define memcpy wee__memcpy
#endif

#endif /* WEE_LIBC_SHIM_H */
