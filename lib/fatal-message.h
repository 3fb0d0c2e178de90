/* SPDX-License-Identifier: MPL-2.0 */
/*
 * fatal-message.h - the text of wee__fatal's message, built without stdio
 * (the heap may be what is broken), for the backends that have somewhere
 * to write it, and its write to standard error where there is write();
 * fatal_report, which the backends call, sends it where the build can.
 * Include config.h first.
 */
#ifndef WEE_FATAL_MESSAGE_H
#define WEE_FATAL_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#if HAVE_UNISTD_H
#  include <unistd.h>
#endif

#include "wee_alloc.h"

/* Room for the fixed parts, the address and this much of each string. */
#define FATAL_STRING_MAX 200
#define FATAL_MESSAGE_MAX (2 * FATAL_STRING_MAX + 2 * sizeof(void *) + 32)

static inline size_t fatal_append(char *buf, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < FATAL_STRING_MAX && s[i]; i++)
        buf[n++] = s[i];
    return n;
}

/*
 * Write "wee_alloc: FUNC(0xADDRESS): WHAT\n" into buf, which has room for
 * FATAL_MESSAGE_MAX bytes; returns its length (no terminating zero).
 */
static inline size_t fatal_message(char *buf, const char *func, const char *what,
                                   const void *address)
{
    char hex[2 * sizeof(void *) + 1];
    uintptr_t a = (uintptr_t)address;
    size_t i = sizeof hex - 1, n;

    hex[i] = '\0';
    do {
        hex[--i] = "0123456789abcdef"[a & 15];
        a >>= 4;
    } while (a && i > 0);

    n = fatal_append(buf, 0, "wee_alloc: ");
    n = fatal_append(buf, n, func);
    n = fatal_append(buf, n, "(0x");
    n = fatal_append(buf, n, hex + i);
    n = fatal_append(buf, n, "): ");
    n = fatal_append(buf, n, what);
    buf[n++] = '\n';
    return n;
}

#if HAVE_UNISTD_H
/* Write the message to standard error: in one write() unless the system
 * cuts it short, so that it does not mix with other threads' output. */
static inline void fatal_write_stderr(const char *func, const char *what,
                                      const void *address)
{
    char buf[FATAL_MESSAGE_MAX];
    size_t n = fatal_message(buf, func, what, address), done = 0;

    while (done < n) {
        ssize_t w = write(STDERR_FILENO, buf + done, n - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
}
#endif

#if !WEE_ALLOC_WRITES_MESSAGES
/* The program's hook (wee_alloc.h), referred to weakly: a program without
 * one links as before, and its address is then null. */
extern void wee_fatal_hook(const char *func, const char *what, const void *address)
    __attribute__((weak));
#elif !HAVE_UNISTD_H
#  error "configure says the library writes its messages, but there is no write()"
#endif

/*
 * Report a fatal error before the backend stops the program: on standard
 * error where the host has one (WEE_ALLOC_WRITES_MESSAGES, which configure
 * decides and wee_alloc_config.h publishes); where it has none (no C
 * library, or no OS), with extra assertions, to the program's
 * wee_fatal_hook, if it defines one.  Without extra assertions nothing
 * there refers to the hook or the strings, so the smallest builds carry
 * neither (129 bytes of wasm32).
 */
static inline void fatal_report(const char *func, const char *what, const void *address)
{
#if WEE_ALLOC_WRITES_MESSAGES
    fatal_write_stderr(func, what, address);
#else
    if (WEE_ALLOC_EXTRA_ASSERTIONS && wee_fatal_hook)
        wee_fatal_hook(func, what, address);
#endif
}

#endif /* WEE_FATAL_MESSAGE_H */
