/* SPDX-License-Identifier: MPL-2.0 */
/*
 * dlclose.c - a program may dlopen libwee_alloc, use it from threads, and
 * dlclose it while those threads still run.
 *
 * A thread that frees small blocks keeps them in its cache and registers a
 * thread-exit hook (a pthread key destructor) inside the library.  Were the
 * library unmapped by dlclose, that thread's exit would jump into unmapped
 * code.  The library is linked -z nodelete, so it stays: the thread exits
 * cleanly, and opening the library again finds the same, working heap.
 *
 * usage: dlclose PATH-TO-libwee_alloc.so
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *malloc_fn(size_t);
typedef void free_fn(void *);
typedef int check_fn(void);

static malloc_fn *lib_malloc;
static free_fn *lib_free;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int worked, closed;

static void *symbol(void *handle, const char *name)
{
    void *p = dlsym(handle, name);

    if (!p) {
        fprintf(stderr, "dlclose: dlsym %s: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

/* dlopen the library at `path` and look up wee_malloc and wee_free; `when`
 * names the attempt in a failure message. */
static void *open_library(const char *path, const char *when)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    if (!handle) {
        fprintf(stderr, "dlclose: dlopen %s: %s\n", when, dlerror());
        exit(1);
    }
    lib_malloc = (malloc_fn *)symbol(handle, "wee_malloc");
    lib_free = (free_fn *)symbol(handle, "wee_free");
    return handle;
}

static void *worker(void *arg)
{
    void *blocks[64];
    int i, round;

    (void)arg;
    /* Frees fill this thread's cache and set up its exit hook. */
    for (round = 0; round < 4; round++) {
        for (i = 0; i < 64; i++)
            if (!(blocks[i] = lib_malloc((size_t)(16 + i % 8 * 16))))
                return "wee_malloc failed in the thread";
        for (i = 0; i < 64; i++)
            lib_free(blocks[i]);
    }
    pthread_mutex_lock(&mutex);
    worked = 1;
    pthread_cond_signal(&cond);
    while (!closed)
        pthread_cond_wait(&cond, &mutex);
    pthread_mutex_unlock(&mutex);
    return NULL; /* the exit hook runs now, after dlclose */
}

int main(int argc, char **argv)
{
    void *handle, *result;
    pthread_t thread;
    check_fn *check;
    void *p;

    if (argc != 2) {
        fprintf(stderr, "usage: dlclose PATH-TO-libwee_alloc.so\n");
        return 2;
    }
    handle = open_library(argv[1], "first");
    if (pthread_create(&thread, NULL, worker, NULL) != 0) {
        fprintf(stderr, "dlclose: pthread_create failed\n");
        return 1;
    }
    pthread_mutex_lock(&mutex);
    while (!worked)
        pthread_cond_wait(&cond, &mutex);
    pthread_mutex_unlock(&mutex);

    if (dlclose(handle) != 0) {
        fprintf(stderr, "dlclose: dlclose: %s\n", dlerror());
        return 1;
    }
    pthread_mutex_lock(&mutex);
    closed = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&mutex);
    if (pthread_join(thread, &result) != 0 || result) {
        fprintf(stderr, "dlclose: the thread failed: %s\n",
                result ? (const char *)result : "pthread_join");
        return 1;
    }

    /* Opened again: the same heap, which the exited thread's cache went
     * back to, still works and is consistent. */
    handle = open_library(argv[1], "again");
    check = (check_fn *)symbol(handle, "wee_check");
    p = lib_malloc(100);
    if (!p) {
        fprintf(stderr, "dlclose: wee_malloc after reopening failed\n");
        return 1;
    }
    lib_free(p);
    if (check() != 0) {
        fprintf(stderr, "dlclose: wee_check after reopening: %d\n", check());
        return 1;
    }
    dlclose(handle);
    puts("dlclose: the thread exited after dlclose; the reopened library works");
    return 0;
}
