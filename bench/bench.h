/* SPDX-License-Identifier: MPL-2.0 */
/*
 * bench.h - what the benchmark driver (wee-bench.c) and the workloads
 * (workloads.c) share.
 *
 * A workload is prepared first: every size, every slot and every order is
 * drawn from a fixed seed (or read from a trace) into tables that are
 * touched before anything is measured, so the measured part does nothing
 * but call the allocator and write to the blocks it returns.  Then it is
 * run in one or more passes, each timed by the caller.  Blocks still live
 * after the last pass are freed by bench_work_finish(), which is not timed.
 */
#ifndef WEE_BENCH_H
#define WEE_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* The allocator under test, called through these pointers for every
 * allocator alike (so the cost of the indirect call is the same for all). */
struct bench_api {
    void *(*malloc_fn)(size_t size);
    void (*free_fn)(void *ptr);
    void *(*realloc_fn)(void *ptr, size_t size);
};

/* A workload row of the table: its name and what it does, in one line. */
struct bench_row {
    const char *name;
    const char *group;        /* the --workload NAME that selects it */
    const char *description;
};

/* The rows in the order the table lists them (traces are added at run
 * time, one row per trace file, named "trace:BASENAME"). */
extern const struct bench_row bench_rows[];
extern const size_t bench_n_rows;

struct bench_work;

/*
 * bench_work_prepare - build the tables of workload `id` (a row name, or
 * "trace:" followed by the path of a trace file).  `quick` shrinks it to a
 * fraction of a second.  Returns NULL after writing a message to `err`.
 */
struct bench_work *bench_work_prepare(const char *id, int quick,
                                      char *err, size_t errlen);

/* How many passes to time; memory is taken after the first. */
unsigned bench_work_passes(const struct bench_work *w);

/* Run pass number `pass` (0 first).  Returns the number of allocator
 * calls it made, or 0 after writing a message to `err` (an allocation
 * returned NULL). */
uint64_t bench_work_run_pass(struct bench_work *w, const struct bench_api *api,
                             unsigned pass, char *err, size_t errlen);

/* The largest sum of requested sizes of the live blocks, known from the
 * tables before anything runs.  For the threads rows, the sum of every
 * thread's own peak (an upper bound of what is live at once). */
size_t bench_work_peak_live(const struct bench_work *w);

/* The number of threads that run the calls (1 but for the threads rows);
 * time per operation is then per thread: wall time / calls of one thread. */
unsigned bench_work_threads(const struct bench_work *w);

/* 1 when the calls run in worker threads (the threads rows), not in the
 * thread that calls bench_work_run_pass. */
int bench_work_uses_workers(const struct bench_work *w);

/* For the threads rows: how long the worker threads of the last pass
 * waited, together, for a processor; 0 for the other rows. */
uint64_t bench_work_workers_waited_ns(const struct bench_work *w);

/* How long the calling thread has waited, runnable, for a processor since
 * it started (Linux schedstat); 0 where the system does not say. */
uint64_t bench_waited_ns(void);

/* Free what is still live (not timed) and the tables. */
void bench_work_finish(struct bench_work *w, const struct bench_api *api);

/* Memory for the benchmark's own tables: straight from mmap, never from
 * the allocator under test, and written to at once so that it is resident
 * before the resident set is measured.  Aborts when there is none. */
void *bench_table(size_t bytes);
void bench_table_free(void *p, size_t bytes);

#endif /* WEE_BENCH_H */
