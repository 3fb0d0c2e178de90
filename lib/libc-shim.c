/* SPDX-License-Identifier: MPL-2.0 */
/*
 * libc-shim.c - the error number the library sets, and where to read it.
 *
 * With a C library it is errno itself; without one (wasm32-unknown-none)
 * it is this file's wee__errno.  libc-shim.h says why.
 */
#include "config.h"

#include "libc-shim.h"
#include "wee_alloc.h"

#if !HAVE_ERRNO_H
int wee__errno;
#endif

int *wee_errno_location(void)
{
    return &errno;
}
