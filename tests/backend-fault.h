/* SPDX-License-Identifier: MPL-2.0 */
/*
 * backend-fault.h - the failure-injection backend of tests/test-fault.
 *
 * tests/backend-fault.c stands in for the configured backend: the test
 * program is built from the core's sources and this file, so that it can
 * count the heap's page requests and make any one of them fail.
 */
#ifndef WEE_TEST_BACKEND_FAULT_H
#define WEE_TEST_BACKEND_FAULT_H

#include <stddef.h>

/* Bytes the backend can give out in all (fault_arena_bytes() tells). */
#define FAULT_ARENA_BYTES ((size_t)64 << 20)

/* How the Nth request fails: from it on, every request fails (the backend
 * is exhausted), or only that one (a transient failure). */
enum fault_mode { FAULT_FROM_N, FAULT_ONLY_N };

/*
 * Make request number `n` (counted from 1, since the process began) fail;
 * 0 means no request fails.  `scattered` leaves an unused page between
 * grants, so that no grant is contiguous with the one before and every
 * grant is a region of its own.
 */
void fault_arm(size_t n, enum fault_mode mode, int scattered);

/* Requests made so far, requests refused, and bytes given out. */
size_t fault_requests(void);
size_t fault_refused(void);
size_t fault_granted_bytes(void);

#endif /* WEE_TEST_BACKEND_FAULT_H */
