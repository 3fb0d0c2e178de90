/* SPDX-License-Identifier: MPL-2.0 */
/*
 * workloads.c - the benchmark's workloads, each drawn from a fixed seed.
 *
 * "Calls" are the allocator calls a workload makes (malloc, free and
 * realloc each count one); time per operation is time per call.  After
 * every allocation (and realloc) the block is written to: its first byte,
 * one byte in every further 4 KiB and its last byte, so that every page
 * the program was given is resident and the resident set measures the
 * allocator's footprint the same way for every allocator.
 *
 * Churn, the shape of most rows:
 *
 *   fill    slots[0..N) = malloc(size) in slot order         N calls
 *   steady  K times: free(slots[s]); slots[s] = malloc(size)  2K calls
 *           with s drawn uniformly, so blocks die in random order
 *   drain   free every slot, in a random order                 N calls
 *
 * so exactly N blocks are live during the steady part, and
 * calls = 2N + 2K.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* Quick mode (CI): about a fiftieth of the calls, one pass. */
#define QUICK_DIVISOR 50u
/* A trace is replayed again and again until this many calls are made. */
#define TRACE_CALLS       1000000u
#define TRACE_CALLS_QUICK 20000u
#define PAGE_STRIDE 4096u

const struct bench_row bench_rows[] = {
    { "churn-small", "churn-small",
      "2 000 000 calls, 1 000 live blocks, 8-256 B uniform" },
    { "churn-mixed", "churn-mixed",
      "1 000 000 calls, 10 000 live blocks, 8 B-64 KiB log-uniform" },
    { "realloc-grow", "realloc-grow",
      "10 000 buffers grown by realloc 8 B -> 4 KiB, doubling; 10 passes" },
    { "fragment", "fragment",
      "100 000 x 64 B, free every other one, 50 000 x 128 B" },
    { "scaling-1k", "scaling",
      "churn, 2 000 000 calls, 1 000 live blocks, 8-256 B" },
    { "scaling-10k", "scaling",
      "churn, 2 000 000 calls, 10 000 live blocks, 8-256 B" },
    { "scaling-100k", "scaling",
      "churn, 2 000 000 calls, 100 000 live blocks, 8-256 B" },
    { "threads-1", "threads",
      "1 thread: churn, 1 000 000 calls, 1 000 live blocks, 8-256 B" },
    { "threads-2", "threads",
      "2 threads, each as threads-1 (time is per thread's call)" },
    { "first-touch", "first-touch",
      "100 allocations, 16 B-64 KiB log-uniform, from a fresh heap" },
};
const size_t bench_n_rows = sizeof bench_rows / sizeof bench_rows[0];

/* ------------------------------------------------------------------ */
/* Seeded random numbers (splitmix64): the same on every machine.       */

static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rng_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((rng_next(state) >> 32) * n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t size_uniform(uint64_t *state, uint32_t lo, uint32_t hi)
{
    return lo + rng_below(state, hi - lo + 1);
}

/* Log-uniform in [lo, hi]: every power of two as likely as the next. */
static uint32_t size_log_uniform(uint64_t *state, uint32_t lo, uint32_t hi)
{
    double u = (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
    double v = exp(log((double)lo) + u * (log((double)hi + 1.0) - log((double)lo)));
    uint32_t s = (uint32_t)v;

    return s < lo ? lo : s > hi ? hi : s;
}

static void shuffle(uint64_t *state, uint32_t *a, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        a[i] = (uint32_t)i;
    for (i = n; i > 1; i--) {
        uint32_t j = rng_below(state, (uint32_t)i), t = a[i - 1];

        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* ------------------------------------------------------------------ */
/* Tables outside the allocator under test.                             */

void *bench_table(size_t bytes)
{
    void *p;

    if (bytes == 0)
        bytes = 1;
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED) {
        perror("wee-bench: mmap for the benchmark's tables");
        abort();
    }
    memset(p, 0, bytes);
    return p;
}

void bench_table_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}

/* Write to every page of a new block (see the top of this file). */
static inline void touch(void *p, size_t n)
{
    unsigned char *b = p;
    size_t off;

    for (off = 0; off < n; off += PAGE_STRIDE)
        b[off] = (unsigned char)off;
    if (n)
        b[n - 1] = 1;
}

/* Say which allocation failed; a pass that returns 0 calls has failed. */
static uint64_t out_of_memory(char *err, size_t errlen, const char *what, size_t size)
{
    snprintf(err, errlen, "%s: allocation of %zu bytes returned NULL", what, size);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Churn.                                                               */

enum size_law { SIZES_UNIFORM, SIZES_LOG_UNIFORM };

struct churn {
    size_t live;            /* N */
    size_t steps;           /* K */
    uint32_t *fill_size;    /* N */
    uint32_t *step_slot;    /* K */
    uint32_t *step_size;    /* K */
    uint32_t *drain_order;  /* N */
    void **slots;           /* N */
    size_t peak_live;
};

static void churn_prepare(struct churn *c, uint64_t seed, size_t live,
                          size_t calls, enum size_law law, uint32_t lo,
                          uint32_t hi)
{
    uint64_t rng = seed;
    size_t i, bytes = 0;

    c->live = live;
    c->steps = calls > 2 * live ? (calls - 2 * live) / 2 : 0;
    c->fill_size = bench_table(live * sizeof *c->fill_size);
    c->step_slot = bench_table(c->steps * sizeof *c->step_slot);
    c->step_size = bench_table(c->steps * sizeof *c->step_size);
    c->drain_order = bench_table(live * sizeof *c->drain_order);
    c->slots = bench_table(live * sizeof *c->slots);

#define DRAW() (law == SIZES_UNIFORM ? size_uniform(&rng, lo, hi) \
                                     : size_log_uniform(&rng, lo, hi))
    for (i = 0; i < live; i++) {
        c->fill_size[i] = DRAW();
        bytes += c->fill_size[i];
    }
    c->peak_live = bytes;
    {
        /* The size of each slot's block, to follow the live bytes. */
        uint32_t *cur = bench_table(live * sizeof *cur);

        memcpy(cur, c->fill_size, live * sizeof *cur);
        for (i = 0; i < c->steps; i++) {
            uint32_t s = rng_below(&rng, (uint32_t)live);

            c->step_slot[i] = s;
            c->step_size[i] = DRAW();
            bytes = bytes - cur[s] + c->step_size[i];
            cur[s] = c->step_size[i];
            if (bytes > c->peak_live)
                c->peak_live = bytes;
        }
        bench_table_free(cur, live * sizeof *cur);
    }
#undef DRAW
    shuffle(&rng, c->drain_order, live);
}

static uint64_t churn_run(struct churn *c, const struct bench_api *api,
                          char *err, size_t errlen)
{
    size_t i, n = c->live, k = c->steps;
    void **slots = c->slots;

    for (i = 0; i < n; i++) {
        void *p = api->malloc_fn(c->fill_size[i]);

        if (!p)
            return out_of_memory(err, errlen, "churn fill", c->fill_size[i]);
        touch(p, c->fill_size[i]);
        slots[i] = p;
    }
    for (i = 0; i < k; i++) {
        uint32_t s = c->step_slot[i];
        void *p;

        api->free_fn(slots[s]);
        p = api->malloc_fn(c->step_size[i]);
        if (!p) {
            slots[s] = NULL;
            return out_of_memory(err, errlen, "churn", c->step_size[i]);
        }
        touch(p, c->step_size[i]);
        slots[s] = p;
    }
    for (i = 0; i < n; i++) {
        uint32_t s = c->drain_order[i];

        api->free_fn(slots[s]);
        slots[s] = NULL;
    }
    return 2 * (uint64_t)n + 2 * (uint64_t)k;
}

static void churn_finish(struct churn *c, const struct bench_api *api)
{
    size_t i;

    for (i = 0; i < c->live; i++) {
        if (api && c->slots[i])
            api->free_fn(c->slots[i]);
    }
    bench_table_free(c->fill_size, c->live * sizeof *c->fill_size);
    bench_table_free(c->step_slot, c->steps * sizeof *c->step_slot);
    bench_table_free(c->step_size, c->steps * sizeof *c->step_size);
    bench_table_free(c->drain_order, c->live * sizeof *c->drain_order);
    bench_table_free(c->slots, c->live * sizeof *c->slots);
}

/* ------------------------------------------------------------------ */
/* realloc-grow: buffers grown round by round, in a new random order    */
/* each round, so their neighbours are sometimes grown already.         */

#define GROW_FIRST  8u
#define GROW_ROUNDS 9u   /* 8 B doubled 9 times is 4 KiB */

struct grow {
    size_t buffers;
    uint32_t *order;     /* GROW_ROUNDS + 1 permutations; the last frees */
    void **bufs;
};

static void grow_prepare(struct grow *g, uint64_t seed, size_t buffers)
{
    uint64_t rng = seed;
    unsigned r;

    g->buffers = buffers;
    g->order = bench_table((GROW_ROUNDS + 1) * buffers * sizeof *g->order);
    g->bufs = bench_table(buffers * sizeof *g->bufs);
    for (r = 0; r <= GROW_ROUNDS; r++)
        shuffle(&rng, g->order + r * buffers, buffers);
}

static uint64_t grow_run(struct grow *g, const struct bench_api *api,
                         char *err, size_t errlen)
{
    size_t i, n = g->buffers;
    unsigned r;

    for (i = 0; i < n; i++) {
        void *p = api->malloc_fn(GROW_FIRST);

        if (!p)
            return out_of_memory(err, errlen, "realloc-grow", GROW_FIRST);
        touch(p, GROW_FIRST);
        g->bufs[i] = p;
    }
    for (r = 1; r <= GROW_ROUNDS; r++) {
        const uint32_t *order = g->order + (r - 1) * n;
        size_t size = (size_t)GROW_FIRST << r;

        for (i = 0; i < n; i++) {
            void *p = api->realloc_fn(g->bufs[order[i]], size);

            if (!p)
                return out_of_memory(err, errlen, "realloc-grow", size);
            touch(p, size);
            g->bufs[order[i]] = p;
        }
    }
    for (i = 0; i < n; i++) {
        const uint32_t b = g->order[GROW_ROUNDS * n + i];

        api->free_fn(g->bufs[b]);
        g->bufs[b] = NULL;
    }
    return (uint64_t)n * (GROW_ROUNDS + 2);
}

static void grow_finish(struct grow *g, const struct bench_api *api)
{
    size_t i;

    for (i = 0; i < g->buffers; i++) {
        if (api && g->bufs[i])
            api->free_fn(g->bufs[i]);
    }
    bench_table_free(g->order, (GROW_ROUNDS + 1) * g->buffers * sizeof *g->order);
    bench_table_free(g->bufs, g->buffers * sizeof *g->bufs);
}

/* ------------------------------------------------------------------ */
/* fragment and first-touch: a fixed list of blocks, made once.          */

#define FRAG_SMALL      100000u
#define FRAG_SMALL_SIZE 64u
#define FRAG_LARGE      50000u
#define FRAG_LARGE_SIZE 128u
#define FIRST_TOUCH_BLOCKS 100u

struct blocks {
    size_t n;
    uint32_t *size;   /* first-touch only */
    void **p;
};

static uint64_t fragment_run(struct blocks *b, const struct bench_api *api,
                             char *err, size_t errlen)
{
    size_t i;

    for (i = 0; i < FRAG_SMALL; i++) {
        void *p = api->malloc_fn(FRAG_SMALL_SIZE);

        if (!p)
            return out_of_memory(err, errlen, "fragment", FRAG_SMALL_SIZE);
        touch(p, FRAG_SMALL_SIZE);
        b->p[i] = p;
    }
    for (i = 1; i < FRAG_SMALL; i += 2) {
        api->free_fn(b->p[i]);
        b->p[i] = NULL;
    }
    for (i = 0; i < FRAG_LARGE; i++) {
        void *p = api->malloc_fn(FRAG_LARGE_SIZE);

        if (!p)
            return out_of_memory(err, errlen, "fragment", FRAG_LARGE_SIZE);
        touch(p, FRAG_LARGE_SIZE);
        b->p[FRAG_SMALL + i] = p;
    }
    return FRAG_SMALL + FRAG_SMALL / 2 + FRAG_LARGE;
}

static uint64_t first_touch_run(struct blocks *b, const struct bench_api *api,
                                char *err, size_t errlen)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        void *p = api->malloc_fn(b->size[i]);

        if (!p)
            return out_of_memory(err, errlen, "first-touch", b->size[i]);
        touch(p, b->size[i]);
        b->p[i] = p;
    }
    return b->n;
}

static void blocks_finish(struct blocks *b, const struct bench_api *api)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        if (api && b->p[i])
            api->free_fn(b->p[i]);
    }
    bench_table_free(b->size, b->n * sizeof *b->size);
    bench_table_free(b->p, b->n * sizeof *b->p);
}

/* ------------------------------------------------------------------ */
/* Traces (the format of ../shared/traces/README.md).                   */

#define EV_FREE (UINT64_C(1) << 63)

struct trace {
    size_t n_events, n_allocs;
    uint64_t *events;     /* a size, or EV_FREE | allocation number */
    size_t events_cap;    /* the table's length: the lines of the file */
    void **blocks;        /* n_allocs */
    uint64_t calls;       /* per pass, the final frees included */
};

/* One event: 1, a blank line: 0, anything else: -1. */
static int parse_event(const char *s, uint64_t *ev)
{
    int is_free;
    uint64_t v = 0;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\n' || *s == '\r' || *s == '\0')
        return 0;
    if (strncmp(s, "Alloc(", 6) == 0) {
        is_free = 0;
        s += 6;
    } else if (strncmp(s, "Free(", 5) == 0) {
        is_free = 1;
        s += 5;
    } else {
        return -1;
    }
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_C(1) << 40))
            return -1;    /* no program asks for a terabyte */
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (*s++ != ')')
        return -1;
    if (*s == ',')
        s++;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    if (*s != '\0')
        return -1;
    *ev = is_free ? EV_FREE | v : v;
    return 1;
}

/*
 * Read and check a whole trace.  Neither the file's contents nor the
 * events go through malloc: memory the allocator under test had handed out
 * and taken back before the measurement would be resident already, and
 * would hide part of its footprint.  (So no stdio either: a FILE and its
 * buffer come from malloc.)
 */
static int trace_load(struct trace *t, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    char *text = NULL, *line, *end;
    size_t size = 0, got = 0, lines = 1, i;
    unsigned long lineno = 0;

    memset(t, 0, sizeof *t);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    size = (size_t)st.st_size;
    text = bench_table(size + 1);
    while (got < size) {
        ssize_t n = read(fd, text + got, size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s: read error", path);
            goto fail;
        }
        got += (size_t)n;
    }
    text[size] = '\0';
    for (i = 0; i < size; i++)
        lines += text[i] == '\n';
    t->events = bench_table(lines * sizeof *t->events);

    for (line = text; line < text + size; line = end + 1) {
        uint64_t ev;
        int rc;

        end = strchr(line, '\n');
        if (!end)
            end = text + size;
        *end = '\0';
        lineno++;
        rc = parse_event(line, &ev);
        if (rc == 0)
            continue;
        if (rc < 0 || ((ev & EV_FREE) && (ev & ~EV_FREE) >= t->n_allocs)) {
            snprintf(err, errlen, "%s:%lu: not an event of an allocation made "
                     "before: %.60s", path, lineno, line);
            goto fail;
        }
        t->events[t->n_events++] = ev;
        if (!(ev & EV_FREE))
            t->n_allocs++;
    }
    t->events_cap = lines;
    t->blocks = bench_table(t->n_allocs * sizeof *t->blocks);
    bench_table_free(text, size + 1);
    close(fd);
    return 0;
fail:
    bench_table_free(t->events, lines * sizeof *t->events);
    t->events = NULL;
    bench_table_free(text, size + 1);
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Count the calls of one pass and the peak live bytes, without the
 * allocator: blocks[] holds a non-NULL marker for a live block. */
static size_t trace_simulate(struct trace *t)
{
    size_t i, next = 0, live = 0, peak = 0;
    uint64_t *sizes = bench_table(t->n_allocs * sizeof *sizes);
    char *is_live = bench_table(t->n_allocs);

    t->calls = 0;
    for (i = 0; i < t->n_events; i++) {
        uint64_t ev = t->events[i];

        if (!(ev & EV_FREE)) {
            sizes[next] = ev;
            is_live[next++] = 1;
            live += (size_t)ev;
            if (live > peak)
                peak = live;
            t->calls++;
        } else if (is_live[ev & ~EV_FREE]) {
            is_live[ev & ~EV_FREE] = 0;
            live -= (size_t)sizes[ev & ~EV_FREE];
            t->calls++;
        }
    }
    for (i = 0; i < t->n_allocs; i++)
        t->calls += (uint64_t)is_live[i];
    bench_table_free(sizes, t->n_allocs * sizeof *sizes);
    bench_table_free(is_live, t->n_allocs);
    return peak;
}

static uint64_t trace_run(struct trace *t, const struct bench_api *api,
                          char *err, size_t errlen)
{
    size_t i, next = 0;
    void **blocks = t->blocks;

    for (i = 0; i < t->n_events; i++) {
        uint64_t ev = t->events[i];

        if (!(ev & EV_FREE)) {
            void *p = api->malloc_fn((size_t)ev);

            if (!p && ev != 0)
                return out_of_memory(err, errlen, "trace", (size_t)ev);
            touch(p, (size_t)ev);
            blocks[next++] = p;
        } else if (blocks[ev & ~EV_FREE]) {
            api->free_fn(blocks[ev & ~EV_FREE]);
            blocks[ev & ~EV_FREE] = NULL;
        }
    }
    /* What the program never freed, so the next pass starts alike. */
    for (i = 0; i < t->n_allocs; i++) {
        if (blocks[i]) {
            api->free_fn(blocks[i]);
            blocks[i] = NULL;
        }
    }
    return t->calls;
}

static void trace_finish(struct trace *t)
{
    bench_table_free(t->events, t->events_cap * sizeof *t->events);
    bench_table_free(t->blocks, t->n_allocs * sizeof *t->blocks);
}

/* ------------------------------------------------------------------ */
/* Threads: each runs its own churn on the shared heap.  They are made   */
/* while the workload is prepared and wait at a barrier until the        */
/* timed pass releases them.                                             */

#define MAX_THREADS 2u

struct worker {
    struct churn churn;
    pthread_t thread;
    struct bench_work *w;
    uint64_t calls;
    uint64_t waited_ns;   /* run_delay while it worked */
    char err[160];
};

struct threads {
    unsigned n;
    pthread_barrier_t start;
    const struct bench_api *api;
    struct worker workers[MAX_THREADS];
};

/* ------------------------------------------------------------------ */

enum work_kind { W_CHURN, W_GROW, W_FRAGMENT, W_FIRST_TOUCH, W_TRACE, W_THREADS };

struct bench_work {
    enum work_kind kind;
    unsigned passes;
    size_t peak_live;
    uint64_t workers_waited_ns;   /* threads rows: of the last pass */
    union {
        struct churn churn;
        struct grow grow;
        struct blocks blocks;
        struct trace trace;
        struct threads threads;
    } u;
};

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct threads *th = &wk->w->u.threads;

    uint64_t d0;

    pthread_barrier_wait(&th->start);
    d0 = bench_waited_ns();
    wk->calls = churn_run(&wk->churn, th->api, wk->err, sizeof wk->err);
    wk->waited_ns = bench_waited_ns() - d0;
    return NULL;
}

static size_t scaled(size_t calls, size_t live, int quick)
{
    size_t q;

    if (!quick)
        return calls;
    q = calls / QUICK_DIVISOR;
    return q > 2 * live + 2000 ? q : 2 * live + 2000;
}

struct bench_work *bench_work_prepare(const char *id, int quick, char *err,
                                      size_t errlen)
{
    struct bench_work *w = bench_table(sizeof *w);
    uint64_t rng;
    size_t i;

    w->passes = 1;
    if (strcmp(id, "churn-small") == 0) {
        w->kind = W_CHURN;
        churn_prepare(&w->u.churn, 0x5EED0001, 1000, scaled(2000000, 1000, quick),
                      SIZES_UNIFORM, 8, 256);
        w->peak_live = w->u.churn.peak_live;
    } else if (strcmp(id, "churn-mixed") == 0) {
        w->kind = W_CHURN;
        churn_prepare(&w->u.churn, 0x5EED0002, 10000, scaled(1000000, 10000, quick),
                      SIZES_LOG_UNIFORM, 8, 65536);
        w->peak_live = w->u.churn.peak_live;
    } else if (strncmp(id, "scaling-", 8) == 0) {
        size_t live = strcmp(id + 8, "1k") == 0 ? 1000
                      : strcmp(id + 8, "10k") == 0 ? 10000
                      : strcmp(id + 8, "100k") == 0 ? 100000 : 0;

        if (!live)
            goto unknown;
        w->kind = W_CHURN;
        churn_prepare(&w->u.churn, 0x5EED0003, live, scaled(2000000, live, quick),
                      SIZES_UNIFORM, 8, 256);
        w->peak_live = w->u.churn.peak_live;
    } else if (strcmp(id, "realloc-grow") == 0) {
        w->kind = W_GROW;
        w->passes = quick ? 1 : 10;
        grow_prepare(&w->u.grow, 0x5EED0004, 10000);
        w->peak_live = (size_t)10000 * (GROW_FIRST << GROW_ROUNDS);
    } else if (strcmp(id, "fragment") == 0) {
        w->kind = W_FRAGMENT;
        w->u.blocks.n = FRAG_SMALL + FRAG_LARGE;
        w->u.blocks.p = bench_table(w->u.blocks.n * sizeof(void *));
        w->peak_live = (size_t)FRAG_SMALL / 2 * FRAG_SMALL_SIZE
                       + (size_t)FRAG_LARGE * FRAG_LARGE_SIZE;
    } else if (strcmp(id, "first-touch") == 0) {
        w->kind = W_FIRST_TOUCH;
        w->u.blocks.n = FIRST_TOUCH_BLOCKS;
        w->u.blocks.size = bench_table(FIRST_TOUCH_BLOCKS * sizeof(uint32_t));
        w->u.blocks.p = bench_table(FIRST_TOUCH_BLOCKS * sizeof(void *));
        rng = 0x5EED0005;
        for (i = 0; i < FIRST_TOUCH_BLOCKS; i++) {
            w->u.blocks.size[i] = size_log_uniform(&rng, 16, 65536);
            w->peak_live += w->u.blocks.size[i];
        }
    } else if (strcmp(id, "threads-1") == 0 || strcmp(id, "threads-2") == 0) {
        struct threads *th = &w->u.threads;
        unsigned t;

        w->kind = W_THREADS;
        th->n = (unsigned)(id[8] - '0');
        if (pthread_barrier_init(&th->start, NULL, th->n + 1) != 0) {
            snprintf(err, errlen, "%s: pthread_barrier_init failed", id);
            return NULL;
        }
        for (t = 0; t < th->n; t++) {
            struct worker *wk = &th->workers[t];

            /* Thread t draws the same calls in threads-1 and threads-2. */
            churn_prepare(&wk->churn, 0x5EED0006 + t, 1000,
                          scaled(1000000, 1000, quick), SIZES_UNIFORM, 8, 256);
            w->peak_live += wk->churn.peak_live;
            wk->w = w;
            if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0) {
                snprintf(err, errlen, "%s: pthread_create failed", id);
                return NULL;
            }
        }
    } else if (strncmp(id, "trace:", 6) == 0) {
        struct trace *t = &w->u.trace;
        uint64_t target = quick ? TRACE_CALLS_QUICK : TRACE_CALLS;

        w->kind = W_TRACE;
        if (trace_load(t, id + 6, err, errlen) != 0)
            return NULL;
        w->peak_live = trace_simulate(t);
        if (t->calls == 0) {
            snprintf(err, errlen, "%s: the trace has no events", id + 6);
            return NULL;
        }
        w->passes = (unsigned)((target + t->calls - 1) / t->calls);
    } else {
        goto unknown;
    }
    return w;
unknown:
    snprintf(err, errlen, "unknown workload '%s'", id);
    return NULL;
}

unsigned bench_work_passes(const struct bench_work *w)
{
    return w->passes;
}

size_t bench_work_peak_live(const struct bench_work *w)
{
    return w->peak_live;
}

int bench_work_uses_workers(const struct bench_work *w)
{
    return w->kind == W_THREADS;
}

uint64_t bench_work_workers_waited_ns(const struct bench_work *w)
{
    return w->kind == W_THREADS ? w->workers_waited_ns : 0;
}

/*
 * The second field of /proc/thread-self/schedstat: how long this thread
 * has waited, runnable, for a processor (Linux with CONFIG_SCHED_INFO).
 * Read without stdio, which would allocate; 0 where it is missing.
 */
uint64_t bench_waited_ns(void)
{
    char buf[128], *p;
    ssize_t n;
    int fd = open("/proc/thread-self/schedstat", O_RDONLY);

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p = strchr(buf, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

unsigned bench_work_threads(const struct bench_work *w)
{
    return w->kind == W_THREADS ? w->u.threads.n : 1;
}

uint64_t bench_work_run_pass(struct bench_work *w, const struct bench_api *api,
                             unsigned pass, char *err, size_t errlen)
{
    uint64_t calls = 0;
    unsigned t;

    (void)pass;
    switch (w->kind) {
    case W_CHURN:
        calls = churn_run(&w->u.churn, api, err, errlen);
        break;
    case W_GROW:
        calls = grow_run(&w->u.grow, api, err, errlen);
        break;
    case W_FRAGMENT:
        calls = fragment_run(&w->u.blocks, api, err, errlen);
        break;
    case W_FIRST_TOUCH:
        calls = first_touch_run(&w->u.blocks, api, err, errlen);
        break;
    case W_TRACE:
        calls = trace_run(&w->u.trace, api, err, errlen);
        break;
    case W_THREADS:
        w->u.threads.api = api;
        pthread_barrier_wait(&w->u.threads.start);
        for (t = 0; t < w->u.threads.n; t++) {
            struct worker *wk = &w->u.threads.workers[t];

            pthread_join(wk->thread, NULL);
            if (wk->calls == 0) {
                snprintf(err, errlen, "thread %u: %s", t, wk->err);
                return 0;
            }
        }
        /* Per thread: every thread made the same number of calls. */
        calls = w->u.threads.workers[0].calls;
        w->workers_waited_ns = 0;
        for (t = 0; t < w->u.threads.n; t++)
            w->workers_waited_ns += w->u.threads.workers[t].waited_ns;
        break;
    }
    return calls;
}

void bench_work_finish(struct bench_work *w, const struct bench_api *api)
{
    unsigned t;

    switch (w->kind) {
    case W_CHURN:
        churn_finish(&w->u.churn, api);
        break;
    case W_GROW:
        grow_finish(&w->u.grow, api);
        break;
    case W_FRAGMENT:
    case W_FIRST_TOUCH:
        blocks_finish(&w->u.blocks, api);
        break;
    case W_TRACE:
        trace_finish(&w->u.trace);
        break;
    case W_THREADS:
        for (t = 0; t < w->u.threads.n; t++)
            churn_finish(&w->u.threads.workers[t].churn, api);
        pthread_barrier_destroy(&w->u.threads.start);
        break;
    }
    bench_table_free(w, sizeof *w);
}
