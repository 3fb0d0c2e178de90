/* SPDX-License-Identifier: MPL-2.0 */
/*
 * replay - replay allocation traces of real programs on the wee_alloc heap.
 *
 * Usage: replay [--quiet] [--max-ratio R --slack BYTES] FILE...
 *
 * A trace has one event a line (the format of ../shared/traces/README.md):
 *
 *   Alloc(N),   allocate N bytes; allocations are numbered from 0
 *   Free(I),    free allocation number I (a no-op if it is already freed)
 *
 * Blank lines and white space around an event are ignored, and so is a
 * missing trailing comma; anything else is an error naming the line.  A
 * Free of an allocation that has not happened yet is an error too.
 *
 * While replaying, every block is checked as tests/test-random.c checks
 * them: the pointer is aligned to MIN_ALIGN (wee_alloc.h), the usable size is
 * at least the request, the whole usable size is filled with a pattern
 * derived from the allocation number and verified before the block is
 * freed and at the end (so two blocks that overlap are caught), and every
 * 1000 events and at the end wee_check() is 0, no two live blocks overlap
 * and wee_stats().in_use_bytes grew by exactly the live usable bytes.
 * Blocks still live at the end of a trace are freed then.
 *
 * For each trace it prints the number of events and allocations, the peak
 * live bytes (the largest sum of the requested sizes of the live blocks),
 * the bytes taken from the backend while the trace ran (backend_bytes
 * never decreases) and their ratio.  Traces replayed in one process share
 * the heap, so only the first one starts from an empty heap; to measure
 * each trace on its own, run one process per trace.
 *
 * With --max-ratio R --slack BYTES, a trace fails when its backend bytes
 * exceed R * peak live + BYTES.
 *
 * Exit status: 0 when every trace passed, 1 when a check or the limit
 * failed, 2 on a usage error, an unreadable file or a malformed trace.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wee_alloc.h"

#define MIN_ALIGN     (_Alignof(max_align_t) > 2 * sizeof(void *) \
                       ? _Alignof(max_align_t) : 2 * sizeof(void *))
#define CHECK_EVERY   1000u
#define MAX_LINE      256

enum event_kind { EV_ALLOC, EV_FREE };

struct event {
    enum event_kind kind;
    size_t arg;          /* bytes for EV_ALLOC, allocation number for EV_FREE */
    unsigned long line;
};

struct block {
    unsigned char *p;    /* NULL before it is allocated and once it is freed */
    size_t size;
    size_t usable;
};

struct trace {
    const char *name;
    struct event *events;
    size_t n_events;
    size_t n_allocs;
};

static const char *progname = "replay";

/* ------------------------------------------------------------------ */
/* Patterns (the same scheme as tests/test-random.c).                  */

static uint32_t pattern_word(uint64_t id, size_t k)
{
    uint32_t x = (uint32_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 32);

    x ^= (uint32_t)k * 0x85EBCA6Bu;
    x ^= x >> 15;
    return x | 1u;
}

static void pattern_fill(unsigned char *p, size_t n, uint64_t id)
{
    uint32_t *w = (uint32_t *)(void *)p;
    size_t words = n / 4, k, i;
    union { uint32_t w; unsigned char b[4]; } tail;

    for (k = 0; k < words; k++)
        w[k] = pattern_word(id, k);
    tail.w = pattern_word(id, words);
    for (i = 0; i < n % 4; i++)
        p[words * 4 + i] = tail.b[i];
}

/* The offset of the first byte in p[0..n) that differs, or n. */
static size_t pattern_mismatch(const unsigned char *p, size_t n, uint64_t id)
{
    const uint32_t *w = (const uint32_t *)(const void *)p;
    size_t words = n / 4, k, i, len;
    union { uint32_t w; unsigned char b[4]; } want;

    for (k = 0; k < words; k++) {
        if (w[k] != pattern_word(id, k))
            break;
    }
    want.w = pattern_word(id, k);
    len = k < words ? 4 : n % 4;
    for (i = 0; i < len; i++) {
        if (p[k * 4 + i] != want.b[i])
            return k * 4 + i;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Parsing.                                                             */

static int parse_size(const char **s, size_t *out)
{
    size_t v = 0;
    const char *p = *s;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        size_t d = (size_t)(*p - '0');

        if (v > (SIZE_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    *s = p;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'
           || c == '\f';
}

/* 1 for an event, 0 for a blank line, -1 for a malformed line. */
static int parse_line(const char *s, struct event *ev)
{
    while (is_space(*s))
        s++;
    if (*s == '\0')
        return 0;
    if (strncmp(s, "Alloc(", 6) == 0) {
        ev->kind = EV_ALLOC;
        s += 6;
    } else if (strncmp(s, "Free(", 5) == 0) {
        ev->kind = EV_FREE;
        s += 5;
    } else {
        return -1;
    }
    if (parse_size(&s, &ev->arg) != 0 || *s++ != ')')
        return -1;
    if (*s == ',')
        s++;
    while (is_space(*s))
        s++;
    return *s == '\0' ? 1 : -1;
}

/* Read and validate a whole trace; 0 on success, -1 after a message. */
static int load_trace(const char *path, struct trace *t)
{
    char line[MAX_LINE + 2];
    unsigned long lineno = 0;
    size_t cap = 0;
    FILE *f = fopen(path, "r");

    t->name = path;
    t->events = NULL;
    t->n_events = 0;
    t->n_allocs = 0;
    if (f == NULL) {
        fprintf(stderr, "%s: %s: cannot open\n", progname, path);
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        struct event ev;
        size_t len = strlen(line);
        int rc;

        lineno++;
        if (len > MAX_LINE) {
            fprintf(stderr, "%s: %s:%lu: line too long\n", progname, path,
                    lineno);
            goto fail;
        }
        rc = parse_line(line, &ev);
        if (rc == 0)
            continue;
        if (rc < 0) {
            if (len > 0 && line[len - 1] == '\n')
                line[len - 1] = '\0';
            fprintf(stderr, "%s: %s:%lu: malformed event '%s' (expected "
                    "'Alloc(N),' or 'Free(I),')\n", progname, path, lineno,
                    line);
            goto fail;
        }
        if (ev.kind == EV_FREE && ev.arg >= t->n_allocs) {
            fprintf(stderr, "%s: %s:%lu: Free(%lu) of an allocation that "
                    "has not been made (only %lu so far)\n", progname, path,
                    lineno, (unsigned long)ev.arg, (unsigned long)t->n_allocs);
            goto fail;
        }
        if (ev.kind == EV_ALLOC)
            t->n_allocs++;
        ev.line = lineno;
        if (t->n_events == cap) {
            struct event *grown;

            cap = cap ? 2 * cap : 4096;
            grown = realloc(t->events, cap * sizeof *grown);
            if (grown == NULL) {
                fprintf(stderr, "%s: %s: out of memory\n", progname, path);
                goto fail;
            }
            t->events = grown;
        }
        t->events[t->n_events++] = ev;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: %s: read error\n", progname, path);
        goto fail;
    }
    fclose(f);
    return 0;
fail:
    fclose(f);
    free(t->events);
    t->events = NULL;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Replaying.                                                           */

struct replay_result {
    size_t peak_live;
    size_t backend;
};

static const struct trace *cur_trace;
static const struct event *cur_event;

static void fail(const char *what)
{
    if (cur_event != NULL)
        fprintf(stderr, "%s: FAIL: %s:%lu: %s\n", progname, cur_trace->name,
                cur_event->line, what);
    else
        fprintf(stderr, "%s: FAIL: %s: %s\n", progname, cur_trace->name,
                what);
}

static int verify_block(const struct block *b, size_t id, const char *when)
{
    size_t bad = pattern_mismatch(b->p, b->usable, id);
    char msg[200];

    if (bad == b->usable)
        return 0;
    snprintf(msg, sizeof msg, "%s: allocation %lu at %p (size %lu, usable "
             "%lu): pattern broken at offset %lu", when, (unsigned long)id,
             (void *)b->p, (unsigned long)b->size, (unsigned long)b->usable,
             (unsigned long)bad);
    fail(msg);
    return -1;
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)(*(const struct block *const *)a)->p;
    uintptr_t y = (uintptr_t)(*(const struct block *const *)b)->p;

    return x < y ? -1 : x > y;
}

/*
 * wee_check() is 0, no two live blocks overlap, and in_use_bytes grew by
 * exactly the usable bytes of the live blocks.  `sorted` is scratch space
 * for one pointer per allocation.
 */
static int check_heap(const struct block *blocks, size_t n_blocks,
                      const struct block **sorted, size_t in_use_at_start,
                      const char *when)
{
    struct wee_stats st;
    size_t i, n = 0, usable = 0;
    char msg[240];
    int rc = wee_check();

    if (rc != 0) {
        snprintf(msg, sizeof msg, "%s: wee_check() = %d (%s)", when, rc,
                 wee_check_describe(rc));
        fail(msg);
        return -1;
    }
    for (i = 0; i < n_blocks; i++) {
        if (blocks[i].p != NULL) {
            sorted[n++] = &blocks[i];
            usable += blocks[i].usable;
        }
    }
    qsort(sorted, n, sizeof *sorted, by_address);
    for (i = 1; i < n; i++) {
        const struct block *a = sorted[i - 1], *b = sorted[i];
        size_t extent = a->usable ? a->usable : 1;

        if ((uintptr_t)b->p - (uintptr_t)a->p < extent) {
            snprintf(msg, sizeof msg, "%s: allocations %lu [%p, +%lu) and "
                     "%lu [%p, +%lu) overlap", when, (unsigned long)(a - blocks),
                     (void *)a->p, (unsigned long)a->usable,
                     (unsigned long)(b - blocks), (void *)b->p,
                     (unsigned long)b->usable);
            fail(msg);
            return -1;
        }
    }
    wee_stats(&st);
    if (st.in_use_bytes - in_use_at_start != usable) {
        snprintf(msg, sizeof msg, "%s: wee_stats().in_use_bytes grew by %lu, "
                 "but the %lu live blocks have %lu usable bytes", when,
                 (unsigned long)(st.in_use_bytes - in_use_at_start), (unsigned long)n,
                 (unsigned long)usable);
        fail(msg);
        return -1;
    }
    return 0;
}

static int replay(const struct trace *t, struct replay_result *res)
{
    struct block *blocks = calloc(t->n_allocs ? t->n_allocs : 1,
                                  sizeof *blocks);
    const struct block **sorted = malloc((t->n_allocs ? t->n_allocs : 1)
                                         * sizeof *sorted);
    struct wee_stats start, end;
    size_t i, n_allocated = 0, live = 0;
    char msg[200];
    int ok = -1;

    cur_trace = t;
    cur_event = NULL;
    res->peak_live = 0;
    res->backend = 0;
    if (blocks == NULL || sorted == NULL) {
        fail("out of memory for the replay's own tables");
        goto out;
    }
    wee_stats(&start);

    for (i = 0; i < t->n_events; i++) {
        const struct event *ev = &t->events[i];

        cur_event = ev;
        if (ev->kind == EV_ALLOC) {
            struct block *b = &blocks[n_allocated];

            b->size = ev->arg;
            b->p = wee_malloc(b->size);
            if (b->p == NULL) {
                snprintf(msg, sizeof msg, "wee_malloc(%lu) returned NULL",
                         (unsigned long)b->size);
                fail(msg);
                goto out;
            }
            if ((uintptr_t)b->p % MIN_ALIGN != 0) {
                snprintf(msg, sizeof msg, "wee_malloc(%lu) returned %p, not "
                         "aligned to %lu", (unsigned long)b->size, (void *)b->p,
                         (unsigned long)MIN_ALIGN);
                fail(msg);
                goto out;
            }
            b->usable = wee_malloc_usable_size(b->p);
            if (b->usable < b->size) {
                snprintf(msg, sizeof msg, "wee_malloc(%lu) returned %p with "
                         "usable size %lu", (unsigned long)b->size, (void *)b->p,
                         (unsigned long)b->usable);
                fail(msg);
                goto out;
            }
            pattern_fill(b->p, b->usable, n_allocated);
            n_allocated++;
            live += b->size;
            if (live > res->peak_live)
                res->peak_live = live;
        } else {
            struct block *b = &blocks[ev->arg];

            if (b->p != NULL) {
                if (verify_block(b, ev->arg, "before wee_free") != 0)
                    goto out;
                wee_free(b->p);
                b->p = NULL;
                live -= b->size;
            }
        }
        if ((i + 1) % CHECK_EVERY == 0
            && check_heap(blocks, n_allocated, sorted, start.in_use_bytes,
                          "periodic check") != 0)
            goto out;
    }

    cur_event = NULL;
    for (i = 0; i < n_allocated; i++) {
        if (blocks[i].p != NULL
            && verify_block(&blocks[i], i, "at the end") != 0)
            goto out;
    }
    if (check_heap(blocks, n_allocated, sorted, start.in_use_bytes,
                   "at the end") != 0)
        goto out;
    wee_stats(&end);
    res->backend = end.backend_bytes - start.backend_bytes;

    for (i = 0; i < n_allocated; i++) {
        wee_free(blocks[i].p);
        blocks[i].p = NULL;
    }
    if (check_heap(blocks, n_allocated, sorted, start.in_use_bytes,
                   "after freeing the blocks still live") != 0)
        goto out;
    ok = 0;
out:
    free(blocks);
    free(sorted);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Command line.                                                        */

static void usage(void)
{
    fprintf(stderr, "usage: %s [--quiet] [--max-ratio R --slack BYTES] "
            "FILE...\n", progname);
}

/* Print x (>= 0) with two decimals, in integers: newlib-nano's printf, on
 * bare metal, has no %f.  (Nor has newlib's %zu: sizes are printed as
 * unsigned long.) */
static void print_hundredths(double x)
{
    unsigned long h = (unsigned long)(x * 100.0 + 0.5);

    printf("%lu.%02lu", h / 100, h % 100);
}

int main(int argc, char **argv)
{
    int quiet = 0, have_limit = 0, status = 0, i;
    double max_ratio = 0;
    size_t slack = 0;
    int have_ratio = 0, have_slack = 0;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--max-ratio") == 0 && i + 1 < argc) {
            char *endp;

            max_ratio = strtod(argv[++i], &endp);
            if (*argv[i] == '\0' || *endp != '\0' || !(max_ratio > 0)) {
                fprintf(stderr, "%s: --max-ratio wants a positive number, "
                        "not '%s'\n", progname, argv[i]);
                return 2;
            }
            have_ratio = 1;
        } else if (strcmp(argv[i], "--slack") == 0 && i + 1 < argc) {
            const char *s = argv[++i];

            if (parse_size(&s, &slack) != 0 || *s != '\0') {
                fprintf(stderr, "%s: --slack wants a number of bytes, not "
                        "'%s'\n", progname, argv[i]);
                return 2;
            }
            have_slack = 1;
        } else {
            usage();
            return 2;
        }
    }
    if (have_ratio != have_slack) {
        fprintf(stderr, "%s: --max-ratio and --slack go together\n",
                progname);
        return 2;
    }
    have_limit = have_ratio;
    if (i == argc) {
        usage();
        return 2;
    }

    for (; i < argc; i++) {
        struct trace t;
        struct replay_result res;
        double limit = 0;
        int over;

        if (load_trace(argv[i], &t) != 0)
            return 2;
        if (replay(&t, &res) != 0) {
            free(t.events);
            status = 1;
            continue;
        }
        if (have_limit)
            limit = max_ratio * (double)res.peak_live + (double)slack;
        over = have_limit && (double)res.backend > limit;
        if (!quiet || over) {
            printf("%s: %s: %lu events, %lu allocations, peak live %lu B, "
                   "backend %lu B, ratio ", progname, t.name, (unsigned long)t.n_events,
                   (unsigned long)t.n_allocs, (unsigned long)res.peak_live,
                   (unsigned long)res.backend);
            if (res.peak_live > 0)
                print_hundredths((double)res.backend / (double)res.peak_live);
            else
                printf("-");
            if (have_limit) {
                printf(", limit %lu B (", (unsigned long)limit);
                print_hundredths(max_ratio);
                printf(" x peak live + %lu): %s", (unsigned long)slack,
                       over ? "EXCEEDED" : "ok");
            }
            printf("\n");
            fflush(stdout);
        }
        if (over) {
            fprintf(stderr, "%s: FAIL: %s: backend bytes %lu exceed the limit, %lu "
                    "(see above)\n", progname, t.name, (unsigned long)res.backend,
                    (unsigned long)limit);
            status = 1;
        }
        free(t.events);
    }
    return status;
}
