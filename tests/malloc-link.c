/* SPDX-License-Identifier: MPL-2.0 */
/*
 * malloc-link.c - a program linked with $(pkg-config --libs wee_alloc_malloc)
 * by tests/test-malloc-link-shared.sh, and with --static --libs and
 * -static by tests/test-malloc-link-static.sh.
 *
 * It builds, checks and frees a list of strings (malloc, calloc, realloc,
 * free), then writes and frees a block of 4 MiB, whose pages go back to
 * the system (given_back_bytes in WEE_ALLOC_STATS), and exits 0 when the
 * strings were intact.  Whether wee_alloc served it is
 * shown from outside (WEE_ALLOC_STATS, the symbols of the static program)
 * and, in the shared case, from inside: glibc's own heap must be untouched.
 * (A static program must not ask glibc's heap: mallinfo2 would pull in
 * glibc's malloc.o, whose malloc clashes with ours.)
 */
#define _GNU_SOURCE 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(WEE_LINK_STATIC) && defined(__GLIBC__) \
    && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#  include <malloc.h>
#  define HAVE_MALLINFO2 1
#endif

struct node {
    struct node *next;
    char *text;
};

int main(void)
{
    struct node *head = NULL, *n;
    long i, count = 0, bad = 0;

    for (i = 0; i < 20000; i++) {
        char buf[64];
        size_t len = (size_t)snprintf(buf, sizeof buf, "node %ld", i);
        n = calloc(1, sizeof *n);
        if (!n || !(n->text = malloc(len + 1)))
            return 1;
        memcpy(n->text, buf, len + 1);
        if (i % 3 == 0) {
            char *longer = realloc(n->text, len + 100);
            if (!longer)
                return 1;
            n->text = longer;
        }
        n->next = head;
        head = n;
    }
    for (i = 19999; head; i--) {
        char buf[64];
        snprintf(buf, sizeof buf, "node %ld", i);
        if (strcmp(head->text, buf) != 0)
            bad++;
        n = head->next;
        free(head->text);
        free(head);
        head = n;
        count++;
    }
    printf("%ld nodes checked, %ld bad\n", count, bad);
    {
        size_t size = (size_t)4 << 20;
        char *big = malloc(size);
        if (!big)
            return 1;
        memset(big, 0x5a, size);
        free(big);
    }
#ifdef HAVE_MALLINFO2
    {
        struct mallinfo2 mi = mallinfo2();
        if (mi.arena || mi.hblkhd) {
            printf("FAIL: glibc's own heap was used (arena %zu bytes)\n", mi.arena);
            return 1;
        }
        printf("glibc's own heap is untouched\n");
    }
#endif
    return bad || count != 20000;
}
