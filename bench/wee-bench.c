/* SPDX-License-Identifier: MPL-2.0 */
/*
 * wee-bench - time and memory of wee_alloc against other allocators.
 *
 * Every figure comes from a fresh process: the driver re-executes itself
 * once per (workload, run, allocator), interleaving the allocators run by
 * run so that a noisy machine affects all of them alike, and reports the
 * median of the runs.  wee_alloc is called through its own API (wee_malloc,
 * wee_free, wee_realloc).  The system malloc and the others are called as
 * malloc, free and realloc; jemalloc, mimalloc and tcmalloc get there by
 * LD_PRELOAD of their shared library.  Linking them into the benchmark
 * instead would make them the malloc of every process, the "system" one
 * included.  Each child checks which library really provides malloc and
 * refuses to run if it is not the one asked for.
 *
 *   parent: for each workload, for each run, for each allocator:
 *             fork; child: [LD_PRELOAD=lib.so] exec wee-bench --child A W
 *   child:  prepare the workload's tables        (not measured)
 *           reset the peak resident set (VmHWM)
 *           time each pass of calls              (measured)
 *           after the first pass: peak RSS growth, wee_alloc's backend bytes
 *           print one "result ..." line on stdout
 *
 * See bench/README.md for the workloads and the figures.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-config.h"
#include "bench.h"
#include "wee_alloc.h"

#define DEFAULT_RUNS    5
#define CHILD_TIMEOUT   600   /* seconds for one child, by default */
#define MAX_ROWS        256
#define MAX_RUNS        101

static const char *progname = "wee-bench";

/* ------------------------------------------------------------------ */
/* Allocators.                                                          */

struct allocator {
    const char *name;
    const char *library;   /* what to preload; NULL: none */
    const char *probe;     /* a function only this allocator defines */
    int available;
    int selected;
    int wee;               /* called through the wee_* API */
    const char *variant;   /* the --wee-variant LABEL=LIBRARY that made it */
};

/*
 * The allocators, then the wee_alloc variants of --wee-variant: other
 * builds of libwee_alloc (another configuration, an older version),
 * preloaded in place of this build's, so their wee_* functions are the
 * ones called.  They have the same soname, so only one of them is loaded.
 */
#define MAX_VARIANTS   4
#define MAX_ALLOCATORS (5 + MAX_VARIANTS)
static struct allocator allocators[MAX_ALLOCATORS] = {
    { "wee_alloc", NULL, "wee_malloc", 1, 0, 1, NULL },
    { "system", NULL, NULL, 1, 0, 0, NULL },
    { "jemalloc", WEE_BENCH_JEMALLOC_SO, "mallctl", 0, 0, 0, NULL },
    { "mimalloc", WEE_BENCH_MIMALLOC_SO, "mi_version", 0, 0, 0, NULL },
    { "tcmalloc", WEE_BENCH_TCMALLOC_SO, "tc_version", 0, 0, 0, NULL },
};
static size_t n_allocators = 5;
#define WEE 0   /* index of wee_alloc, the reference of every ratio */

/* --wee-variant LABEL=LIBRARY: the allocator "wee:LABEL". */
static struct allocator *add_variant(const char *spec)
{
    const char *eq = strchr(spec, '=');
    struct allocator *al;
    char *name;

    if (!eq || eq == spec || !eq[1])
        return NULL;
    if (n_allocators == MAX_ALLOCATORS)
        return NULL;
    name = malloc((size_t)(eq - spec) + 5);
    if (!name)
        return NULL;
    snprintf(name, (size_t)(eq - spec) + 5, "wee:%.*s", (int)(eq - spec), spec);
    al = &allocators[n_allocators++];
    al->name = name;
    al->library = eq + 1;
    al->probe = "wee_malloc";
    al->available = 1;
    al->wee = 1;
    al->variant = spec;
    return al;
}

static const struct bench_api wee_api = { wee_malloc, wee_free, wee_realloc };
static const struct bench_api libc_api = { malloc, free, realloc };

/*
 * "null" (child only, for bench-instructions.sh): hands out one fixed
 * region and frees nothing, so that the calls cost almost nothing and what
 * is left is the benchmark's own loop.  Not an allocator: blocks overlap.
 */
#define NULL_REGION_BYTES ((size_t)1 << 30)
static unsigned char *null_region;

static void *null_malloc(size_t size)
{
    return size <= NULL_REGION_BYTES ? null_region : NULL;
}

static void null_free(void *ptr)
{
    (void)ptr;
}

static void *null_realloc(void *ptr, size_t size)
{
    (void)ptr;
    return null_malloc(size);
}

static const struct bench_api null_api = { null_malloc, null_free, null_realloc };

static struct allocator *find_allocator(const char *name)
{
    size_t a;

    for (a = 0; a < n_allocators; a++) {
        if (strcmp(allocators[a].name, name) == 0)
            return &allocators[a];
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Small helpers.                                                       */

static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* CLOCK_MONOTONIC: wall-clock time; CLOCK_PROCESS_CPUTIME_ID: the CPU
 * time of every thread of the process, user and system (page faults). */
static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A "Name:   N kB" field of /proc/self/status, in bytes, or -1.  Read with
 * read(2) into a buffer on the stack: stdio would allocate from the
 * allocator being measured.
 */
static long long status_bytes(const char *field)
{
    char buf[4096], *p;
    ssize_t n, got = 0;
    int fd = open("/proc/self/status", O_RDONLY);
    size_t len = strlen(field);

    if (fd < 0)
        return -1;
    while (got < (ssize_t)sizeof buf - 1
           && (n = read(fd, buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += n;
    close(fd);
    buf[got] = '\0';
    for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, field, len) == 0 && p[len] == ':')
            return strtoll(p + len + 1, NULL, 10) * 1024;
    }
    return -1;
}

/* Make VmHWM (the peak resident set) start again from the current one.
 * Linux 4.0 and later; returns 0 when it worked. */
static int reset_peak_rss(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    int ok;

    if (fd < 0)
        return -1;
    ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok ? 0 : -1;
}

/*
 * Map every page of the program's files (its code, the libraries', the
 * allocator's) into the page tables now, so that code run for the first
 * time in the measured part does not fault pages in and count them as
 * growth of the resident set.  Linux 5.14 and later
 * (MADV_POPULATE_READ); elsewhere the figures keep that noise, a few
 * hundred KiB at most.  /proc/self/maps is read without stdio, which
 * would allocate.
 */
static void prefault_files(void)
{
#ifdef MADV_POPULATE_READ
    static char maps[1 << 16];
    ssize_t n, got = 0;
    int fd = open("/proc/self/maps", O_RDONLY);
    char *line, *end;

    if (fd < 0)
        return;
    while (got < (ssize_t)sizeof maps - 1
           && (n = read(fd, maps + got, sizeof maps - 1 - (size_t)got)) > 0)
        got += n;
    close(fd);
    maps[got] = '\0';
    for (line = maps; *line; line = end + 1) {
        unsigned long lo, hi;
        char perms[8];
        int path_at = 0;

        end = strchr(line, '\n');
        if (!end)
            break;
        *end = '\0';
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms,
                   &path_at) >= 3 && path_at > 0 && line[path_at] == '/'
            && perms[0] == 'r')
            madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
    }
#endif
}

/* The measured part's stack, touched in advance for the same reason. */
static void prefault_stack(void)
{
    volatile unsigned char buf[128 * 1024];
    size_t i;

    for (i = 0; i < sizeof buf; i += 1024)
        buf[i] = 0;
}

static double median(double *v, size_t n)
{
    size_t i, j;

    for (i = 1; i < n; i++) {            /* insertion sort: n is small */
        double x = v[i];

        for (j = i; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    if (n == 0)
        return 0;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------ */
/* The child: one workload on one allocator.                            */

/* Not inlined, so that `valgrind --tool=callgrind
 * --toggle-collect=bench_timed_pass` counts exactly the measured calls. */
__attribute__((noinline)) uint64_t bench_timed_pass(struct bench_work *w,
                                                    const struct bench_api *api,
                                                    unsigned pass, char *err,
                                                    size_t errlen);
__attribute__((noinline)) uint64_t bench_timed_pass(struct bench_work *w,
                                                    const struct bench_api *api,
                                                    unsigned pass, char *err,
                                                    size_t errlen)
{
    return bench_work_run_pass(w, api, pass, err, errlen);
}

static int same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];

    if (!realpath(a, ra) || !realpath(b, rb))
        return strcmp(a, b) == 0;
    return strcmp(ra, rb) == 0;
}

/* The library that provides `symbol` in this process, or "?". */
static const char *provider_of(const char *symbol, void **base)
{
    void *p = dlsym(RTLD_DEFAULT, symbol);
    Dl_info info;

    *base = NULL;
    if (!p || !dladdr(p, &info) || !info.dli_fname)
        return "?";
    *base = info.dli_fbase;
    return info.dli_fname;
}

/*
 * Check that the allocator asked for is the one that will run: malloc
 * comes from its library (for the system one: from the C library, the
 * object that also defines fopen), and its probe function is there.
 * Returns the file name of the library that provides the calls.
 */
static int run_child(const char *alloc_name, const char *id, int quick,
                     unsigned timeout);

static const char *verify_allocator(const struct allocator *al)
{
    void *base, *libc_base;
    const char *who;

    if (al->wee) {
        char dir[PATH_MAX];
        size_t len;
        Dl_info self, info;

        who = provider_of("wee_malloc", &base);
        if (al->library) {
            if (!base || !same_file(who, al->library))
                die("--child %s: wee_malloc comes from %s, not from %s: the "
                    "preload did not take effect", al->name, who, al->library);
            return who;
        }
        /* This build's library (or the program itself, if it is linked
         * statically), not an installed one that LD_LIBRARY_PATH found. */
        if (!base && dladdr((void *)(uintptr_t)run_child, &self)
            && dladdr((void *)(uintptr_t)wee_malloc, &info)
            && info.dli_fbase == self.dli_fbase)
            return "(linked into the program)";
        snprintf(dir, sizeof dir, "%s", who);
        len = strlen(dir);
        while (len > 0 && dir[len - 1] != '/')
            dir[--len] = '\0';
        if (!base || !same_file(dir, WEE_BENCH_BUILDDIR "/lib/.libs/"))
            die("--child %s: wee_malloc comes from %s, not from this build "
                "(%s/lib/.libs); is LD_LIBRARY_PATH or LD_PRELOAD set?",
                al->name, who, WEE_BENCH_BUILDDIR);
        return who;
    }
    who = provider_of("malloc", &base);
    if (!al->library) {
        provider_of("fopen", &libc_base);
        if (!base || base != libc_base)
            die("--child %s: malloc comes from %s, not from the C library "
                "(is LD_PRELOAD set?)", al->name, who);
        return who;
    }
    if (!base || !same_file(who, al->library))
        die("--child %s: malloc comes from %s, not from %s: the preload did "
            "not take effect", al->name, who, al->library);
    if (!dlsym(RTLD_DEFAULT, al->probe))
        die("--child %s: %s is preloaded but %s() is missing", al->name,
            al->library, al->probe);
    return who;
}

static int run_child(const char *alloc_name, const char *id, int quick,
                     unsigned timeout)
{
    const struct allocator *al = find_allocator(alloc_name);
    const struct bench_api *api;
    struct bench_work *w;
    struct wee_stats st;
    char err[512] = "";
    const char *lib;
    uint64_t calls = 0, ns = 0, cpu_ns = 0, waited_ns = 0;
    long long rss0, hwm_first = -1, hwm_all;
    size_t backend0 = 0, backend_first = 0, backend_all = 0;
    int rss_ok;
    unsigned pass, passes;

    if (strcmp(alloc_name, "null") == 0) {
        void *p = mmap(NULL, NULL_REGION_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

        if (p == MAP_FAILED)
            die("--child null: mmap: %s", strerror(errno));
        null_region = p;
        api = &null_api;
        lib = "(none)";
    } else if (al) {
        lib = verify_allocator(al);
        api = al->wee ? &wee_api : &libc_api;
    } else {
        die("--child: unknown allocator '%s'", alloc_name);
    }
    if (timeout)
        alarm(timeout);

    w = bench_work_prepare(id, quick, err, sizeof err);
    if (!w)
        die("%s", err);
    passes = bench_work_passes(w);

    if (al && al->wee) {
        wee_stats(&st);
        backend0 = st.backend_bytes;
    }
    prefault_files();
    prefault_stack();
    rss_ok = reset_peak_rss() == 0;
    rss0 = rss_ok ? status_bytes("VmRSS") : status_bytes("VmHWM");

    for (pass = 0; pass < passes; pass++) {
        uint64_t d0 = bench_waited_ns(), t0 = now_ns(CLOCK_MONOTONIC),
                 c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), c;

        c = bench_timed_pass(w, api, pass, err, sizeof err);
        cpu_ns += now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
        ns += now_ns(CLOCK_MONOTONIC) - t0;
        /* The main thread waits in join while workers run: count theirs. */
        waited_ns += bench_work_uses_workers(w) ? bench_work_workers_waited_ns(w)
                                                : bench_waited_ns() - d0;
        if (c == 0)
            die("%s on %s: %s", id, alloc_name, err);
        calls += c;
        if (pass == 0) {
            hwm_first = status_bytes("VmHWM");
            if (al && al->wee) {
                wee_stats(&st);
                backend_first = st.backend_bytes - backend0;
            }
        }
    }
    hwm_all = status_bytes("VmHWM");
    if (al && al->wee) {
        wee_stats(&st);
        backend_all = st.backend_bytes - backend0;
    }
    printf("result calls=%llu ns=%llu cpu_ns=%llu waited_ns=%llu passes=%u "
           "threads=%u peak_live=%zu backend=%zu backend_all=%zu rss=%lld "
           "rss_all=%lld lib=%s\n", (unsigned long long)calls,
           (unsigned long long)ns, (unsigned long long)cpu_ns,
           (unsigned long long)waited_ns, passes,
           bench_work_threads(w), bench_work_peak_live(w), backend_first,
           backend_all, rss0 >= 0 && hwm_first >= 0 ? hwm_first - rss0 : -1,
           rss0 >= 0 && hwm_all >= 0 ? hwm_all - rss0 : -1, lib);
    bench_work_finish(w, api);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* The parent.                                                          */

struct row {
    char *id;               /* what the child is asked to run */
    char *name;             /* what the table calls it */
    const char *description;
    const char *group;
};

struct sample {
    int ok;
    double wall_ns_per_op, cpu_ns_per_op;
    double waited;                 /* share of the time spent waiting for a CPU */
    double backend, backend_all;   /* wee_alloc only */
    double rss, rss_all;           /* -1: unknown */
    unsigned long long calls;
    unsigned passes, threads;
    size_t peak_live;
    char lib[PATH_MAX];
};

struct figure {             /* the medians of one (row, allocator) */
    int ok;
    int wall;               /* ns_per_op is wall-clock time, not CPU time */
    double ns_per_op, wall_ns_per_op, cpu_ns_per_op, waited;
    double backend, backend_all, rss, rss_all;
    unsigned long long calls;
    unsigned passes, threads;
    size_t peak_live;
    double runs_ns[MAX_RUNS];
    unsigned n_runs;
};

static char self_exe[PATH_MAX];

static int parse_result(const char *line, struct sample *s)
{
    long long rss, rss_all;
    size_t backend, backend_all;
    unsigned long long ns, cpu_ns, waited_ns;
    const char *lib;

    if (sscanf(line, "result calls=%llu ns=%llu cpu_ns=%llu waited_ns=%llu "
               "passes=%u threads=%u peak_live=%zu backend=%zu "
               "backend_all=%zu rss=%lld rss_all=%lld", &s->calls, &ns,
               &cpu_ns, &waited_ns, &s->passes, &s->threads, &s->peak_live,
               &backend, &backend_all, &rss, &rss_all) != 11
        || s->calls == 0 || s->threads == 0)
        return -1;
    lib = strstr(line, " lib=");
    snprintf(s->lib, sizeof s->lib, "%s", lib ? lib + 5 : "?");
    s->lib[strcspn(s->lib, "\n")] = '\0';
    /* For threads the time is per thread's call: calls is one thread's. */
    s->wall_ns_per_op = (double)ns / (double)s->calls;
    s->cpu_ns_per_op = (double)cpu_ns / (double)s->calls;
    s->waited = ns ? (double)waited_ns / ((double)ns * s->threads) : 0;
    s->backend = (double)backend;
    s->backend_all = (double)backend_all;
    s->rss = (double)rss;
    s->rss_all = (double)rss_all;
    return 0;
}

/* Run one child and read its result line. */
static int spawn_child(const struct allocator *al, const struct row *r,
                       int quick, unsigned timeout, struct sample *s)
{
    int fds[2], status;
    pid_t pid;
    char out[PATH_MAX + 512], tmo[32];
    size_t got = 0;
    ssize_t n;

    memset(s, 0, sizeof *s);
    if (pipe(fds) != 0)
        die("pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    snprintf(tmo, sizeof tmo, "%u", timeout);
    pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        char *argv[12];
        int n = 0;

        argv[n++] = self_exe;
        if (al->variant) {
            argv[n++] = "--wee-variant";
            argv[n++] = (char *)al->variant;
        }
        argv[n++] = "--child";
        argv[n++] = (char *)al->name;
        argv[n++] = r->id;
        argv[n++] = "--timeout";
        argv[n++] = tmo;
        if (quick)
            argv[n++] = "--quick";
        argv[n] = NULL;

        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        close(fds[1]);
        if (al->library)
            setenv("LD_PRELOAD", al->library, 1);
        else
            unsetenv("LD_PRELOAD");
        execv(self_exe, argv);
        fprintf(stderr, "%s: cannot run %s: %s\n", progname, self_exe,
                strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    while (got < sizeof out - 1
           && (n = read(fds[0], out + got, sizeof out - 1 - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "%s: %s on %s: killed by signal %d%s\n", progname,
                r->name, al->name, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timed out)" : "");
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0
        || parse_result(out, s) != 0) {
        fprintf(stderr, "%s: %s on %s: failed (exit status %d)\n", progname,
                r->name, al->name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    s->ok = 1;
    return 0;
}

/* ---- choosing the rows ---- */

static struct row rows[MAX_ROWS];
static size_t n_rows;

static void add_row(const char *id, const char *name, const char *group,
                    const char *description)
{
    if (n_rows == MAX_ROWS)
        die("too many workloads (at most %d)", MAX_ROWS);
    rows[n_rows].id = strdup(id);
    rows[n_rows].name = strdup(name);
    rows[n_rows].group = group;
    rows[n_rows].description = description;
    if (!rows[n_rows].id || !rows[n_rows].name)
        die("out of memory");
    n_rows++;
}

static void add_trace(const char *path)
{
    char id[PATH_MAX + 8], name[PATH_MAX + 8];
    const char *base = strrchr(path, '/');
    size_t len;

    base = base ? base + 1 : path;
    len = strlen(base);
    if (len > 6 && strcmp(base + len - 6, ".trace") == 0)
        len -= 6;
    snprintf(id, sizeof id, "trace:%s", path);
    snprintf(name, sizeof name, "trace:%.*s", (int)len, base);
    add_row(id, name, "traces", "replay of a real program's allocations");
}

static int is_trace_file(const struct dirent *d)
{
    size_t len = strlen(d->d_name);

    return len > 6 && strcmp(d->d_name + len - 6, ".trace") == 0;
}

/* Every *.trace of DIR, by name; returns how many. */
static int add_trace_dir(const char *dir, int must_exist)
{
    struct dirent **list;
    int n, i;

    n = scandir(dir, &list, is_trace_file, alphasort);
    if (n < 0) {
        if (must_exist)
            die("%s: %s", dir, strerror(errno));
        fprintf(stderr, "%s: no traces in %s (%s); set WEE_TRACES_DIR or use "
                "--trace-dir\n", progname, dir, strerror(errno));
        return 0;
    }
    for (i = 0; i < n; i++) {
        char path[PATH_MAX];

        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        add_trace(path);
        free(list[i]);
    }
    free(list);
    return n;
}

static int is_group(const char *name)
{
    size_t i;

    if (strcmp(name, "traces") == 0)
        return 1;
    for (i = 0; i < bench_n_rows; i++) {
        if (strcmp(name, bench_rows[i].group) == 0
            || strcmp(name, bench_rows[i].name) == 0)
            return 1;
    }
    return 0;
}

/* ---- output ---- */

static const char *human_bytes(double b, char *buf, size_t len)
{
    if (b < 0)
        snprintf(buf, len, "?");
    else if (b < 1024 * 1024)
        snprintf(buf, len, "%.1f KiB", b / 1024);
    else if (b < 1024.0 * 1024 * 1024)
        snprintf(buf, len, "%.1f MiB", b / (1024 * 1024));
    else
        snprintf(buf, len, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    return buf;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* A measurement, or null when there is none (negative). */
static void json_number(FILE *f, double v)
{
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%.6g", v);
}

/* A count of bytes: exact, never in exponent notation. */
static void json_bytes(FILE *f, double v)
{
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%.0f", v);
}

static char cpu_model[256] = "unknown";
static char date_utc[64];
static char kernel[256] = "unknown";
static char load_start[64] = "?", load_end[64] = "?";

/* The first three fields of /proc/loadavg: how busy the machine was. */
static void read_load(char *buf, size_t len)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1, l5, l15;

    if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
        snprintf(buf, len, "%.2f %.2f %.2f", l1, l5, l15);
    if (f)
        fclose(f);
}
static char alloc_lib[MAX_ALLOCATORS][PATH_MAX];

static void describe_machine(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    time_t t = time(NULL);
    struct utsname u;

    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            const char *v = strchr(line, ':') + 1;

            while (*v == ' ')
                v++;
            snprintf(cpu_model, sizeof cpu_model, "%s", v);
            cpu_model[strcspn(cpu_model, "\n")] = '\0';
            break;
        }
    }
    if (f)
        fclose(f);
    strftime(date_utc, sizeof date_utc, "%Y-%m-%d %H:%M UTC", gmtime(&t));
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release,
                 u.machine);
}

static void print_header(FILE *f, unsigned runs, int quick)
{
    size_t a;

    fprintf(f, "wee-bench: %s, %s, %ld CPUs, %s\n", date_utc, cpu_model,
            sysconf(_SC_NPROCESSORS_ONLN), kernel);
    fprintf(f, "wee_alloc %s: backend %s, size classes %s, extra assertions "
            "%s; %s %s\n", WEE_ALLOC_VERSION, WEE_ALLOC_BACKEND,
            WEE_ALLOC_SIZE_CLASSES ? "yes" : "no",
            WEE_ALLOC_EXTRA_ASSERTIONS ? "yes" : "no", WEE_BENCH_CC,
            WEE_BENCH_CFLAGS);
    if (WEE_ALLOC_EXTRA_ASSERTIONS)
        fprintf(f, "WARNING: extra assertions are on: wee_alloc's times are "
                "not representative\n");
    fprintf(f, "Allocators:\n");
    for (a = 0; a < n_allocators; a++) {
        const struct allocator *al = &allocators[a];

        if (!al->available)
            fprintf(f, "  %-10s not found (its Debian -dev package was not "
                    "installed when configure ran)\n", al->name);
        else if (!al->selected)
            fprintf(f, "  %-10s not selected\n", al->name);
        else
            fprintf(f, "  %-10s %s%s\n", al->name,
                    alloc_lib[a][0] ? alloc_lib[a] : "(did not run)",
                    al->wee && al->library ? " (wee_* API, preloaded; checked)"
                    : al->wee ? " (wee_* API; checked: this build's library)"
                    : al->library ? " (preloaded; checked that it provides malloc)"
                    : " (checked: malloc from the C library)");
    }
    fprintf(f, "Load average (1, 5, 15 min) at the start: %s; at the end: %s\n",
            load_start, load_end);
    fprintf(f, "Each figure: median of %u run%s, each a fresh process%s.\n",
            runs, runs == 1 ? "" : "s",
            quick ? "; --quick: shortened workloads, figures are only a "
            "smoke test" : "");
}

/* A wall-clock figure whose threads waited for a processor more than this
 * share of the time measured the machine's load, not the allocator. */
#define BUSY_WAIT 0.10

static void print_table(FILE *f, struct figure *fig, unsigned runs, int quick)
{
    size_t r, a;
    int nw = 9, busy = 0;

    for (a = 0; a < n_allocators; a++) {
        if (allocators[a].selected && (int)strlen(allocators[a].name) > nw)
            nw = (int)strlen(allocators[a].name);
    }

    print_header(f, runs, quick);
    fprintf(f, "time/wee and RSS/wee: the allocator's figure divided by "
            "wee_alloc's (above 1: wee_alloc is faster or smaller).\n"
            "backend: bytes wee_alloc took from its backend; RSS: growth of "
            "the peak resident set; live: peak of the requested bytes.\n"
            "ns/op: CPU time (user and system) per call; for the threads rows, "
            "wall-clock time per call of one thread.\n"
            "range: (slowest run - fastest run) / median, of the time.\n"
            "wait: share of the time the measured threads waited, runnable, "
            "for a processor.\n");
    for (r = 0; r < n_rows; r++) {
        const struct figure *w = &fig[r * MAX_ALLOCATORS + WEE];

        fprintf(f, "\n%s: %s\n", rows[r].name, rows[r].description);
        fprintf(f, "  %-*s %9s %6s %6s %8s %11s %11s %7s %11s %12s\n", nw,
                "allocator", "ns/op", "range", "wait", "time/wee", "backend",
                "RSS growth", "RSS/wee", "peak live", "backend/live");
        for (a = 0; a < n_allocators; a++) {
            const struct figure *x = &fig[r * MAX_ALLOCATORS + a];
            char b1[32], b2[32], b3[32], tr[16] = "-", mr[16] = "-",
                 bl[16] = "-", rg[16] = "-", wt[16];
            double lo, hi;
            unsigned i;

            if (!allocators[a].selected)
                continue;
            if (!x->ok) {
                fprintf(f, "  %-*s FAILED\n", nw, allocators[a].name);
                continue;
            }
            if (w->ok) {
                snprintf(tr, sizeof tr, "%.2f", x->ns_per_op / w->ns_per_op);
                if (x->rss > 0 && w->rss > 0)
                    snprintf(mr, sizeof mr, "%.2f", x->rss / w->rss);
            }
            if (allocators[a].wee && x->peak_live > 0)
                snprintf(bl, sizeof bl, "%.2f", x->backend / (double)x->peak_live);
            /* How far apart the runs were: (slowest - fastest) / median. */
            lo = hi = x->runs_ns[0];
            for (i = 1; i < x->n_runs; i++) {
                lo = x->runs_ns[i] < lo ? x->runs_ns[i] : lo;
                hi = x->runs_ns[i] > hi ? x->runs_ns[i] : hi;
            }
            if (x->n_runs > 1)
                snprintf(rg, sizeof rg, "%.0f%%", 100 * (hi - lo) / x->ns_per_op);
            snprintf(wt, sizeof wt, "%.0f%%%s", 100 * x->waited,
                     x->wall && x->waited > BUSY_WAIT ? "!" : "");
            if (x->wall && x->waited > BUSY_WAIT)
                busy++;
            fprintf(f, "  %-*s %9.1f %6s %6s %8s %11s %11s %7s %11s %12s\n", nw,
                    allocators[a].name, x->ns_per_op, rg, wt, tr,
                    allocators[a].wee ? human_bytes(x->backend, b1, sizeof b1) : "-",
                    human_bytes(x->rss, b2, sizeof b2), mr,
                    human_bytes((double)x->peak_live, b3, sizeof b3), bl);
        }
    }
    if (busy)
        fprintf(f, "\n!: %d wall-clock figure%s measured threads that waited "
                "for a processor more than %.0f%% of the time: the machine was "
                "busy, and %s the load more than the allocator.\n", busy,
                busy == 1 ? "" : "s", 100 * BUSY_WAIT,
                busy == 1 ? "that figure shows" : "those figures show");
}

static int write_json(const char *path, struct figure *fig, unsigned runs,
                      int quick)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    size_t r, a;
    unsigned i;
    int first = 1;

    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
        return -1;
    }
    fprintf(f, "{\n  \"format\": \"wee-bench 1\",\n  \"date\": ");
    json_string(f, date_utc);
    fprintf(f, ",\n  \"cpu\": ");
    json_string(f, cpu_model);
    fprintf(f, ",\n  \"cpus\": %ld,\n  \"kernel\": ", sysconf(_SC_NPROCESSORS_ONLN));
    json_string(f, kernel);
    fprintf(f, ",\n  \"load_average_start\": ");
    json_string(f, load_start);
    fprintf(f, ",\n  \"load_average_end\": ");
    json_string(f, load_end);
    fprintf(f, ",\n  \"wee_alloc\": {\"version\": ");
    json_string(f, WEE_ALLOC_VERSION);
    fprintf(f, ", \"backend\": ");
    json_string(f, WEE_ALLOC_BACKEND);
    fprintf(f, ", \"size_classes\": %s, \"extra_assertions\": %s, \"cc\": ",
            WEE_ALLOC_SIZE_CLASSES ? "true" : "false",
            WEE_ALLOC_EXTRA_ASSERTIONS ? "true" : "false");
    json_string(f, WEE_BENCH_CC);
    fprintf(f, ", \"cflags\": ");
    json_string(f, WEE_BENCH_CFLAGS);
    fprintf(f, "},\n  \"runs\": %u,\n  \"quick\": %s,\n  \"allocators\": [",
            runs, quick ? "true" : "false");
    for (a = 0; a < n_allocators; a++) {
        fprintf(f, "%s\n    {\"name\": ", a ? "," : "");
        json_string(f, allocators[a].name);
        fprintf(f, ", \"available\": %s, \"selected\": %s, \"library\": ",
                allocators[a].available ? "true" : "false",
                allocators[a].selected ? "true" : "false");
        if (alloc_lib[a][0])
            json_string(f, alloc_lib[a]);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fprintf(f, "\n  ],\n  \"results\": [");
    /* One result a line, keys in a fixed order. */
    for (r = 0; r < n_rows; r++) {
        const struct figure *w = &fig[r * MAX_ALLOCATORS + WEE];

        for (a = 0; a < n_allocators; a++) {
            const struct figure *x = &fig[r * MAX_ALLOCATORS + a];

            if (!allocators[a].selected)
                continue;
            fprintf(f, "%s\n    {\"workload\": ", first ? "" : ",");
            first = 0;
            json_string(f, rows[r].name);
            fprintf(f, ", \"group\": ");
            json_string(f, rows[r].group);
            fprintf(f, ", \"allocator\": ");
            json_string(f, allocators[a].name);
            fprintf(f, ", \"ok\": %s", x->ok ? "true" : "false");
            if (!x->ok) {
                fputc('}', f);
                continue;
            }
            fprintf(f, ", \"calls\": %llu, \"passes\": %u, \"threads\": %u, "
                    "\"clock\": \"%s\", \"ns_per_op\": ", x->calls, x->passes,
                    x->threads, x->wall ? "wall" : "cpu");
            json_number(f, x->ns_per_op);
            fprintf(f, ", \"wall_ns_per_op\": ");
            json_number(f, x->wall_ns_per_op);
            fprintf(f, ", \"cpu_ns_per_op\": ");
            json_number(f, x->cpu_ns_per_op);
            fprintf(f, ", \"waited_for_cpu\": %.3f", x->waited);
            fprintf(f, ", \"time_ratio\": ");
            json_number(f, w->ok ? x->ns_per_op / w->ns_per_op : -1);
            fprintf(f, ", \"backend_bytes\": ");
            json_bytes(f, allocators[a].wee ? x->backend : -1);
            fprintf(f, ", \"backend_bytes_all_passes\": ");
            json_bytes(f, allocators[a].wee ? x->backend_all : -1);
            fprintf(f, ", \"rss_growth\": ");
            json_bytes(f, x->rss);
            fprintf(f, ", \"rss_growth_all_passes\": ");
            json_bytes(f, x->rss_all);
            fprintf(f, ", \"rss_ratio\": ");
            json_number(f, w->ok && x->rss > 0 && w->rss > 0 ? x->rss / w->rss : -1);
            fprintf(f, ", \"peak_live\": %zu, \"runs_ns_per_op\": [", x->peak_live);
            for (i = 0; i < x->n_runs; i++)
                fprintf(f, "%s%.6g", i ? ", " : "", x->runs_ns[i]);
            fprintf(f, "]}");
        }
    }
    fprintf(f, "\n  ]\n}\n");
    if (f != stdout && fclose(f) != 0) {
        fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    size_t i;

    fprintf(f,
"Usage: wee-bench [OPTION]...\n"
"Time and memory of wee_alloc against the system malloc, jemalloc, mimalloc\n"
"and tcmalloc (those configure found), on fixed-seed workloads and traces.\n"
"\n"
"  --workload NAME   run this workload (repeatable; default: all)\n"
"  --trace FILE      replay this trace (repeatable); alone, only these\n"
"  --trace-dir DIR   take the traces from DIR instead of the defaults\n"
"                    (repeatable): $WEE_TRACES_DIR, or ../shared/traces\n"
"                    beside the source tree, and tests/traces\n"
"  --allocator NAME  run only this allocator (repeatable; wee_alloc always)\n"
"  --wee-variant LABEL=LIBRARY\n"
"                    also run another build of libwee_alloc.so (another\n"
"                    configuration or version), preloaded, as wee:LABEL\n"
"                    (repeatable)\n"
"  --runs N          runs per figure, the median is reported (default %d)\n"
"  --quick           shortened workloads and 1 run: a smoke test for CI\n"
"  --json FILE       also write the figures as JSON (- for stdout)\n"
"  --timeout SECS    give up on one run after SECS seconds (default %d)\n"
"  --list            list the workloads and allocators, then exit\n"
"  --help            this text\n"
"\n"
"Workloads:\n"
"  %-14s %s\n", DEFAULT_RUNS, CHILD_TIMEOUT, "traces",
            "every trace, each replayed until about 1 000 000 calls");
    for (i = 0; i < bench_n_rows; i++)
        fprintf(f, "  %-14s %s\n", bench_rows[i].name, bench_rows[i].description);
    fprintf(f, "(a group name - scaling, threads - selects all its rows)\n");
}

int main(int argc, char **argv)
{
    const char *child_alloc = NULL, *child_id = NULL, *json = NULL;
    const char *workloads[64], *traces[MAX_ROWS], *trace_dirs[16];
    size_t n_workloads = 0, n_traces = 0, n_trace_dirs = 0, r, a, i;
    unsigned runs = 0, timeout = CHILD_TIMEOUT, run;
    int quick = 0, list = 0, any_alloc_option = 0, failures = 0;
    struct figure *fig;
    ssize_t len;

    for (i = 1; i < (size_t)argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

#define NEED_VALUE() do { if (!v) die("%s needs a value (see --help)", o); i++; } while (0)
        if (strcmp(o, "--child") == 0) {
            if (i + 2 >= (size_t)argc)
                die("--child ALLOCATOR WORKLOAD");
            child_alloc = argv[++i];
            child_id = argv[++i];
        } else if (strcmp(o, "--workload") == 0) {
            NEED_VALUE();
            if (!is_group(v))
                die("unknown workload '%s' (see --list)", v);
            if (n_workloads == sizeof workloads / sizeof workloads[0])
                die("too many --workload options");
            workloads[n_workloads++] = v;
        } else if (strcmp(o, "--trace") == 0) {
            NEED_VALUE();
            if (n_traces == MAX_ROWS)
                die("too many --trace options");
            if (access(v, R_OK) != 0)
                die("--trace %s: %s", v, strerror(errno));
            traces[n_traces++] = v;
        } else if (strcmp(o, "--trace-dir") == 0) {
            NEED_VALUE();
            if (n_trace_dirs == sizeof trace_dirs / sizeof trace_dirs[0])
                die("too many --trace-dir options");
            trace_dirs[n_trace_dirs++] = v;
        } else if (strcmp(o, "--allocator") == 0) {
            struct allocator *al;

            NEED_VALUE();
            al = find_allocator(v);
            if (!al)
                die("unknown allocator '%s' (see --list)", v);
            if (al->library && !al->library[0])
                die("allocator %s was not found by configure", v);
            al->selected = 1;
            any_alloc_option = 1;
        } else if (strcmp(o, "--wee-variant") == 0) {
            NEED_VALUE();
            if (!add_variant(v))
                die("--wee-variant %s: give LABEL=LIBRARY (at most %d), e.g. "
                    "no-size-classes=../nosc/lib/.libs/libwee_alloc.so.0", v,
                    MAX_VARIANTS);
        } else if (strcmp(o, "--runs") == 0) {
            char *end;
            unsigned long n;

            NEED_VALUE();
            n = strtoul(v, &end, 10);
            if (*end || n < 1 || n > MAX_RUNS)
                die("--runs needs a number from 1 to %d", MAX_RUNS);
            runs = (unsigned)n;
        } else if (strcmp(o, "--timeout") == 0) {
            char *end;
            unsigned long n;

            NEED_VALUE();
            n = strtoul(v, &end, 10);
            if (*end || n > 86400)
                die("--timeout needs a number of seconds (0: none)");
            timeout = (unsigned)n;
        } else if (strcmp(o, "--json") == 0) {
            NEED_VALUE();
            json = v;
        } else if (strcmp(o, "--quick") == 0) {
            quick = 1;
        } else if (strcmp(o, "--list") == 0) {
            list = 1;
        } else if (strcmp(o, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            die("unknown option '%s'", o);
        }
#undef NEED_VALUE
    }

    for (a = 0; a < n_allocators; a++) {
        if (allocators[a].library)
            allocators[a].available = allocators[a].library[0] != '\0';
    }
    if (child_alloc)
        return run_child(child_alloc, child_id, quick, timeout);

    len = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (len > 0)
        self_exe[len] = '\0';
    else
        snprintf(self_exe, sizeof self_exe, "%s", argv[0]);
    if (!runs)
        runs = quick ? 1 : DEFAULT_RUNS;
    for (a = 0; a < n_allocators; a++) {
        if (!any_alloc_option || allocators[a].wee)
            allocators[a].selected = allocators[a].available;
    }
    describe_machine();
    read_load(load_start, sizeof load_start);

    if (list) {
        usage(stdout);
        printf("\n");
        print_header(stdout, runs, quick);
        return 0;
    }

    /* The rows: traces first, then the synthetic workloads in order. */
    {
        int want_all = n_workloads == 0 && n_traces == 0;
        int want_traces = want_all;

        for (i = 0; i < n_workloads; i++)
            want_traces |= strcmp(workloads[i], "traces") == 0;
        if (want_traces) {
            if (n_trace_dirs) {
                for (i = 0; i < n_trace_dirs; i++)
                    add_trace_dir(trace_dirs[i], 1);
            } else {
                const char *env = getenv("WEE_TRACES_DIR");

                if (env && *env)
                    add_trace_dir(env, 0);
                else
                    add_trace_dir(WEE_BENCH_SRCDIR "/../shared/traces", 0);
                add_trace_dir(WEE_BENCH_SRCDIR "/tests/traces", 0);
            }
        }
        for (i = 0; i < n_traces; i++)
            add_trace(traces[i]);
        for (r = 0; r < bench_n_rows; r++) {
            int want = want_all;

            for (i = 0; i < n_workloads; i++)
                want |= strcmp(workloads[i], bench_rows[r].group) == 0
                        || strcmp(workloads[i], bench_rows[r].name) == 0;
            if (want)
                add_row(bench_rows[r].name, bench_rows[r].name,
                        bench_rows[r].group, bench_rows[r].description);
        }
    }
    if (n_rows == 0)
        die("nothing to run: no traces found and no other workload chosen");

    fig = calloc(n_rows * MAX_ALLOCATORS, sizeof *fig);
    if (!fig)
        die("out of memory");

    for (r = 0; r < n_rows; r++) {
        struct sample *s = calloc((size_t)runs * MAX_ALLOCATORS, sizeof *s);

        if (!s)
            die("out of memory");
        fprintf(stderr, "[%zu/%zu] %s\n", r + 1, n_rows, rows[r].name);
        for (run = 0; run < runs; run++) {
            for (a = 0; a < n_allocators; a++) {
                if (!allocators[a].selected)
                    continue;
                if (spawn_child(&allocators[a], &rows[r], quick, timeout,
                                &s[run * MAX_ALLOCATORS + a]) != 0)
                    failures++;
                else if (!alloc_lib[a][0])
                    snprintf(alloc_lib[a], sizeof alloc_lib[a], "%s",
                             s[run * MAX_ALLOCATORS + a].lib);
            }
        }
        for (a = 0; a < n_allocators; a++) {
            struct figure *x = &fig[r * MAX_ALLOCATORS + a];
            double ns[MAX_RUNS], wall[MAX_RUNS], cpu[MAX_RUNS], be[MAX_RUNS],
                   bea[MAX_RUNS], rs[MAX_RUNS], rsa[MAX_RUNS], wt[MAX_RUNS];
            unsigned n = 0;

            /* CPU time, which a busy machine disturbs far less than wall
             * time, except where threads wait for each other: there only
             * wall time tells. */
            x->wall = strcmp(rows[r].group, "threads") == 0;
            for (run = 0; run < runs; run++) {
                const struct sample *y = &s[run * MAX_ALLOCATORS + a];

                if (!y->ok)
                    continue;
                x->calls = y->calls;
                x->passes = y->passes;
                x->threads = y->threads;
                x->peak_live = y->peak_live;
                wall[n] = y->wall_ns_per_op;
                cpu[n] = y->cpu_ns_per_op;
                wt[n] = y->waited;
                x->runs_ns[n] = ns[n] = x->wall ? wall[n] : cpu[n];
                be[n] = y->backend;
                bea[n] = y->backend_all;
                rs[n] = y->rss;
                rsa[n] = y->rss_all;
                n++;
            }
            /* A figure with a failed run is not a figure. */
            x->ok = n == runs;
            x->n_runs = n;
            if (!x->ok)
                continue;
            x->ns_per_op = median(ns, n);
            x->wall_ns_per_op = median(wall, n);
            x->cpu_ns_per_op = median(cpu, n);
            x->waited = median(wt, n);
            x->backend = median(be, n);
            x->backend_all = median(bea, n);
            x->rss = median(rs, n);
            x->rss_all = median(rsa, n);
        }
        free(s);
    }

    read_load(load_end, sizeof load_end);
    print_table(stdout, fig, runs, quick);
    if (json && write_json(json, fig, runs, quick) != 0)
        failures++;
    if (failures)
        fprintf(stderr, "%s: %d run%s failed\n", progname, failures,
                failures == 1 ? "" : "s");
    free(fig);
    return failures ? 1 : 0;
}
