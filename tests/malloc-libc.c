/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-libc.c - libc functions that allocate on the caller's behalf, their
 * results freed with free(); then a look at glibc's own heap.
 *
 *   malloc-libc --expect wee [MODULE]     run with libwee_alloc_malloc
 *   malloc-libc --expect glibc [MODULE]   run without it
 *
 * If any of these functions used glibc's internal allocator (__libc_malloc)
 * instead of the interposable malloc, the program's free() would hand
 * wee_alloc a pointer it never made.  So after all of them, with
 * "--expect wee", glibc's heap must be untouched: mallinfo2() reports no
 * arena and no mmap'ed chunk.  With "--expect glibc" the same numbers must
 * be non-zero, which shows the check can see glibc's allocations at all.
 * (A build with --enable-extra-assertions also checks every pointer given
 * to free() here: it must be a cell of the heap.)
 *
 * MODULE is tests/.libs/malloc-tls-module.so: its dynamic TLS is allocated
 * with malloc by each thread that touches it, and freed at thread exit.
 */
#define _GNU_SOURCE 1

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <iconv.h>
#include <locale.h>
#include <malloc.h>
#include <netdb.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#  define HAVE_MALLINFO2 1
#endif

static int failures;
static const char *module_path;

static void fail(const char *what, const char *why)
{
    printf("FAIL %s: %s\n", what, why);
    failures++;
}

static void ok(const char *what)
{
    printf("%s: ok\n", what);
}

static void check_strings(void)
{
    char *a = strdup("a string copied by strdup");
    char *b = strndup("a string copied by strndup, cut", 26);

    if (!a || !b || strcmp(a, "a string copied by strdup") != 0
        || strcmp(b, "a string copied by strndup") != 0)
        fail("strdup, strndup", "wrong copy");
    free(a);
    free(b);
    ok("strdup, strndup");
}

static void check_getline(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long i, lines = 0;

    snprintf(path, sizeof path, "%s/wee-malloc-libc.XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0 || !(f = fdopen(fd, "w+"))) {
        fail("getline", "cannot create a temporary file");
        return;
    }
    unlink(path);
    for (i = 0; i < 2000; i++) {
        long j, width = (i * 7919) % 20000;
        for (j = 0; j < width; j++)
            fputc('a' + (int)(j % 26), f);
        fputc('\n', f);
    }
    rewind(f);
    while ((len = getline(&line, &cap, f)) > 0) {
        if ((long)len != (lines * 7919) % 20000 + 1)
            fail("getline", "wrong line length");
        lines++;
    }
    free(line);
    rewind(f);
    line = NULL;
    cap = 0;
    while (getdelim(&line, &cap, 'q', f) > 0)
        ;
    free(line);
    fclose(f);
    if (lines != 2000)
        fail("getline", "wrong number of lines");
    ok("getline, getdelim, fdopen, fputc buffers");
}

static int compare_longs(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void check_qsort(void)
{
    size_t n = 1000000, i;
    long *v = malloc(n * sizeof *v);

    if (!v) {
        fail("qsort", "malloc failed");
        return;
    }
    for (i = 0; i < n; i++)
        v[i] = (long)((i * 2654435761u) % 1000003);
    /* glibc's qsort sorts through a malloc'ed buffer this large. */
    qsort(v, n, sizeof *v, compare_longs);
    for (i = 1; i < n; i++)
        if (v[i - 1] > v[i]) {
            fail("qsort", "not sorted");
            break;
        }
    free(v);
    ok("qsort");
}

static int formatted(char **out, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(out, fmt, ap);
    va_end(ap);
    return n;
}

static void check_formatting(void)
{
    char *a = NULL, *b = NULL, *buf = NULL;
    size_t size = 0;
    FILE *mem, *null;
    int i;

    if (asprintf(&a, "%s-%d-%.3f", "asprintf", 42, 2.5) < 0 || strcmp(a, "asprintf-42-2.500") != 0)
        fail("asprintf", "wrong result");
    if (formatted(&b, "%0*d", 100000, 7) != 100000 || b[99999] != '7')
        fail("vasprintf", "wrong result");
    free(a);
    free(b);

    mem = open_memstream(&buf, &size);
    if (!mem) {
        fail("open_memstream", "failed");
        return;
    }
    for (i = 0; i < 100000; i++)
        fprintf(mem, "line %d\n", i);
    fclose(mem);
    if (size < 100000 * 7 || strncmp(buf, "line 0\n", 7) != 0)
        fail("open_memstream", "wrong contents");
    free(buf);

    /* A wide conversion makes vfprintf allocate a work buffer. */
    null = fopen("/dev/null", "w");
    if (!null) {
        fail("fopen", "cannot open /dev/null");
        return;
    }
    fprintf(null, "%*d\n", 200000, 1);
    fclose(null);
    ok("asprintf, vasprintf, open_memstream, fopen, wide printf");
}

static void check_files_and_dirs(void)
{
    char *cwd = getcwd(NULL, 0);
    char *real = realpath(".", NULL);
    struct dirent **names = NULL;
    glob_t g;
    DIR *d;
    int i, n;

    if (!cwd || !real || strcmp(cwd, real) != 0)
        fail("getcwd, realpath", "wrong result");
    free(cwd);
    free(real);

    n = scandir("/", &names, NULL, alphasort);
    if (n <= 0)
        fail("scandir", "no entries in /");
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);

    if (glob("/*", 0, NULL, &g) != 0 || g.gl_pathc == 0)
        fail("glob", "no match for /*");
    globfree(&g);

    d = opendir("/");
    if (!d)
        fail("opendir", "cannot open /");
    else {
        while (readdir(d))
            ;
        closedir(d);
    }
    ok("getcwd, realpath, scandir, glob, opendir");
}

static void check_misc(void)
{
    regex_t re;
    regmatch_t m[2];
    time_t t = 86400 * 365;
    struct tm tm;
    iconv_t cd;

    if (regcomp(&re, "w(e+)_alloc", REG_EXTENDED) != 0
        || regexec(&re, "the wee_alloc heap", 2, m, 0) != 0 || m[1].rm_eo - m[1].rm_so != 2)
        fail("regcomp", "no match");
    regfree(&re);

    setenv("TZ", "UTC", 1);
    tzset();
    if (!localtime_r(&t, &tm) || tm.tm_year != 71)
        fail("localtime", "wrong year");

    if (!setlocale(LC_ALL, "C"))
        fail("setlocale", "C locale refused");

    cd = iconv_open("UTF-16LE", "UTF-8");
    if (cd == (iconv_t)-1) {
        printf("iconv_open: not available here (%s)\n", strerror(errno));
    } else {
        char in[] = "wee", out[16], *ip = in, *op = out;
        size_t il = 3, ol = sizeof out;
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || ol != sizeof out - 6)
            fail("iconv", "conversion failed");
        iconv_close(cd);
    }
    ok("regcomp, tzset, localtime, setlocale, iconv");
}

static void check_getaddrinfo(void)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo("localhost", "80", &hints, &res);
    if (rc != 0) {
        /* No resolver configuration for localhost: nothing to check. */
        printf("getaddrinfo(localhost): not resolvable here (%s)\n", gai_strerror(rc));
        return;
    }
    if (!res || !res->ai_addr)
        fail("getaddrinfo", "empty result");
    freeaddrinfo(res);
    ok("getaddrinfo(localhost)");
}

typedef int (*tls_touch_fn)(unsigned);
static tls_touch_fn tls_touch;
static __thread char static_tls[4096];

static void *thread_main(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    char *s;
    int i, bad = 0;

    memset(static_tls, (int)id, sizeof static_tls);
    for (i = 0; i < 1000; i++) {
        s = malloc(16 + (size_t)(i * 13 % 4000));
        if (!s)
            return (void *)1;
        s[0] = (char)i;
        free(s);
    }
    s = strdup("from a thread");
    if (!s || strcmp(s, "from a thread") != 0)
        bad = 1;
    free(s);
    if (tls_touch && tls_touch(id))
        bad = 1;
    for (i = 0; i < (int)sizeof static_tls; i++)
        if (static_tls[i] != (char)id)
            bad = 1;
    return (void *)(uintptr_t)bad;
}

static void check_dlopen_and_threads(void)
{
    void *libm, *module = NULL;
    double (*cosine)(double);
    int round, i;

    libm = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!libm) {
        fail("dlopen", dlerror());
        return;
    }
    *(void **)&cosine = dlsym(libm, "cos");
    if (!cosine || cosine(0.0) != 1.0)
        fail("dlsym", "cos(0) is not 1");
    dlclose(libm);

    if (module_path) {
        module = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
        if (!module) {
            fail("dlopen(module)", dlerror());
            return;
        }
        *(void **)&tls_touch = dlsym(module, "wee_tls_touch");
        if (!tls_touch)
            fail("dlsym(module)", "no wee_tls_touch");
    }

    /* Several rounds, so that thread stacks and TLS are reused too. */
    for (round = 0; round < 4; round++) {
        pthread_t t[8];
        for (i = 0; i < 8; i++)
            if (pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)(i + 1)) != 0) {
                fail("pthread_create", "failed");
                return;
            }
        for (i = 0; i < 8; i++) {
            void *result;
            pthread_join(t[i], &result);
            if (result)
                fail("thread", "allocation or TLS check failed");
        }
    }
    if (module) {
        tls_touch = NULL;
        dlclose(module);
    }
    ok(module_path ? "dlopen, dlclose, pthread_create with static and dynamic TLS"
                   : "dlopen, dlclose, pthread_create with static TLS");
}

int main(int argc, char **argv)
{
#ifdef HAVE_MALLINFO2
    struct mallinfo2 mi;
#else
    int mi = 0;
#endif
    int expect_wee;

    if (argc < 3 || strcmp(argv[1], "--expect") != 0
        || (strcmp(argv[2], "wee") != 0 && strcmp(argv[2], "glibc") != 0)) {
        fprintf(stderr, "usage: %s --expect wee|glibc [TLS-MODULE]\n", argv[0]);
        return 2;
    }
    expect_wee = strcmp(argv[2], "wee") == 0;
    module_path = argc > 3 ? argv[3] : NULL;

    check_strings();
    check_getline();
    check_qsort();
    check_formatting();
    check_files_and_dirs();
    check_misc();
    check_getaddrinfo();
    check_dlopen_and_threads();

#ifdef HAVE_MALLINFO2
    /* mallinfo2 is glibc's (libwee_alloc_malloc does not define it): it
     * describes glibc's own heap, whoever serves malloc. */
    mi = mallinfo2();
    printf("glibc's heap: arena %zu bytes, mmap'ed %zu bytes, in use %zu bytes\n",
           mi.arena, mi.hblkhd, mi.uordblks);
    if (expect_wee && (mi.arena || mi.hblkhd || mi.uordblks))
        fail("glibc's heap", "used: some allocation did not go through malloc");
    if (!expect_wee && !(mi.arena || mi.hblkhd))
        fail("glibc's heap", "empty without libwee_alloc_malloc: the check sees nothing");
#else
    (void)mi;
    (void)expect_wee;
    printf("glibc's heap: cannot be inspected here (no mallinfo2)\n");
#endif
    if (failures)
        printf("%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
