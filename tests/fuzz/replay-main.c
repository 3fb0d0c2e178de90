/* SPDX-License-Identifier: MPL-2.0 */
/*
 * replay-main.c - run a libFuzzer target on saved inputs, without libFuzzer.
 *
 * Usage: fuzz-replay PATH...
 *
 * Each PATH is an input file, or a directory whose files (not its
 * subdirectories, nor names starting with '.') are all replayed, in name
 * order.  Each input goes to LLVMFuzzerTestOneInput once, in one process,
 * as libFuzzer would give it.  A failing input aborts the process there
 * (the target's own message says why); the name of the input is printed
 * before it runs so that the log shows which one it was.
 *
 * Exit status: 0 when every input ran, 1 when a path could not be read
 * or no input was found, 2 on a usage error.
 *
 * Needs stdio only, and <dirent.h> for directories where the host has it,
 * so that the cross builds (wine, wasm32-wasi under node) replay too.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if HAVE_DIRENT_H
#  include <dirent.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long replayed;

/* Read the whole file at path; NULL (and a message) when it cannot be read
 * as a regular file. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t cap = 0, n = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t got;

        if (n == cap) {
            uint8_t *bigger;

            cap = cap ? 2 * cap : 4096;
            bigger = realloc(data, cap);
            if (!bigger) {
                fprintf(stderr, "fuzz-replay: %s: out of memory\n", path);
                free(data);
                fclose(f);
                return NULL;
            }
            data = bigger;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return data;
}

static int replay_file(const char *path)
{
    size_t len = 0;
    uint8_t *data = read_file(path, &len);

    if (!data) {
        fprintf(stderr, "fuzz-replay: cannot read %s\n", path);
        return 1;
    }
    printf("fuzz-replay: %s (%lu bytes)\n", path, (unsigned long)len);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    replayed++;
    return 0;
}

#if HAVE_DIRENT_H
static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every file of the directory dir (already opened as d). */
static int replay_directory(const char *path, DIR *d)
{
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    struct dirent *e;
    int status = 0;

    while ((e = readdir(d)) != NULL) {
        size_t len;
        char *full;

        if (e->d_name[0] == '.')
            continue;
        len = strlen(path) + 1 + strlen(e->d_name) + 1;
        full = malloc(len);
        if (n == cap) {
            char **bigger;

            cap = cap ? 2 * cap : 64;
            bigger = realloc(names, cap * sizeof *names);
            if (!bigger) {
                free(full);
                full = NULL;
            } else {
                names = bigger;
            }
        }
        if (!full) {
            fprintf(stderr, "fuzz-replay: %s: out of memory\n", path);
            status = 1;
            break;
        }
        snprintf(full, len, "%s/%s", path, e->d_name);
        names[n++] = full;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, compare_names);
    for (i = 0; i < n; i++) {
        /* A subdirectory is not an input: skip it. */
        DIR *sub = opendir(names[i]);

        if (sub)
            closedir(sub);
        else if (status == 0)
            status = replay_file(names[i]);
        free(names[i]);
    }
    free(names);
    return status;
}
#endif

int main(int argc, char **argv)
{
    int i, status = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: fuzz-replay FILE-OR-DIRECTORY...\n");
        return 2;
    }
    for (i = 1; i < argc && status == 0; i++) {
#if HAVE_DIRENT_H
        DIR *d = opendir(argv[i]);

        if (d) {
            status = replay_directory(argv[i], d);
            continue;
        }
#endif
        status = replay_file(argv[i]);
    }
    if (status == 0 && replayed == 0) {
        fprintf(stderr, "fuzz-replay: no input found\n");
        status = 1;
    }
    if (status == 0)
        printf("fuzz-replay: %lu inputs replayed, no failure\n", replayed);
    return status;
}
