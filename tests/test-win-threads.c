/* SPDX-License-Identifier: MPL-2.0 */
/*
 * test-win-threads - four Windows threads share the default heap, whose
 * lock on Windows is an SRWLOCK (lib/backend-virtualalloc.c).
 *
 * Each thread allocates, reallocates and frees blocks of random sizes
 * (16 bytes to 16 KiB) in random order, keeps up to 256 of its own live,
 * fills each with a pattern of its own and verifies it before the block is
 * freed or moved.  A lost update under the lock shows as a broken pattern,
 * a failed wee_check() or in_use_bytes that does not return to where it
 * started.  Built for Windows hosts only (tests/cross.am), run under wine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "wee_alloc.h"

#define THREADS 4
#define OPS     50000
#define LIVE    256

struct worker {
    unsigned id;
    uint64_t rng;
    unsigned long errors;
};

static unsigned char byte_of(unsigned thread, unsigned slot, size_t i)
{
    return (unsigned char)(thread * 61 + slot * 7 + i * 13 + 1);
}

static int intact(const unsigned char *p, size_t n, unsigned thread, unsigned slot)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != byte_of(thread, slot, i))
            return 0;
    return 1;
}

static void fill(unsigned char *p, size_t n, unsigned thread, unsigned slot)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = byte_of(thread, slot, i);
}

static size_t draw(struct worker *w, size_t n)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return (size_t)(w->rng % n);
}

static DWORD WINAPI churn(LPVOID arg)
{
    struct worker *w = arg;
    unsigned char *p[LIVE] = { 0 };
    size_t size[LIVE] = { 0 };
    unsigned op, s;

    for (op = 0; op < OPS; op++) {
        s = (unsigned)draw(w, LIVE);
        if (p[s] && !intact(p[s], size[s], w->id, s))
            w->errors++;
        if (p[s] && draw(w, 3) == 0) {
            size_t n = 16 + draw(w, 16384);
            unsigned char *q = wee_realloc(p[s], n);
            if (!q) {
                w->errors++;
                continue;
            }
            if (!intact(q, n < size[s] ? n : size[s], w->id, s))
                w->errors++;
            p[s] = q;
            size[s] = n;
            fill(q, n, w->id, s);
        } else if (p[s]) {
            wee_free(p[s]);
            p[s] = NULL;
        } else {
            size[s] = 16 + draw(w, 16384);
            p[s] = wee_malloc(size[s]);
            if (!p[s]) {
                w->errors++;
                continue;
            }
            fill(p[s], size[s], w->id, s);
        }
    }
    for (s = 0; s < LIVE; s++) {
        if (p[s] && !intact(p[s], size[s], w->id, s))
            w->errors++;
        wee_free(p[s]);
    }
    return 0;
}

int main(void)
{
    struct worker workers[THREADS];
    HANDLE threads[THREADS];
    struct wee_stats before, after;
    unsigned i;
    unsigned long errors = 0;
    int rc;

    wee_stats(&before);
    for (i = 0; i < THREADS; i++) {
        workers[i].id = i;
        workers[i].rng = 0x9E3779B97F4A7C15ull * (i + 1);
        workers[i].errors = 0;
        threads[i] = CreateThread(NULL, 0, churn, &workers[i], 0, NULL);
        if (!threads[i]) {
            fprintf(stderr, "test-win-threads: FAIL: CreateThread: error %lu\n",
                    (unsigned long)GetLastError());
            return 1;
        }
    }
    if (WaitForMultipleObjects(THREADS, threads, TRUE, INFINITE) == WAIT_FAILED) {
        fprintf(stderr, "test-win-threads: FAIL: WaitForMultipleObjects\n");
        return 1;
    }
    for (i = 0; i < THREADS; i++) {
        CloseHandle(threads[i]);
        errors += workers[i].errors;
    }
    rc = wee_check();
    wee_stats(&after);
    printf("test-win-threads: %d threads x %d operations: %lu errors, "
           "wee_check() = %d, in use %zu (before %zu), backend %zu bytes\n",
           THREADS, OPS, errors, rc, after.in_use_bytes, before.in_use_bytes,
           after.backend_bytes);
    if (errors || rc != WEE_CHECK_OK || after.in_use_bytes != before.in_use_bytes) {
        fprintf(stderr, "test-win-threads: FAIL\n");
        return 1;
    }
    printf("test-win-threads: PASS\n");
    return 0;
}
