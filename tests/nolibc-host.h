/* SPDX-License-Identifier: MPL-2.0 */
/*
 * nolibc-host.h - what a test program for a host with no C library
 * (wasm32-unknown-none) gets from tests/run-wasm.mjs, its host, and the
 * few output helpers such a program needs in place of stdio.
 *
 * The program exports wee_test_main(), whose result is the exit status,
 * and imports from "env" only the functions declared here (run-wasm.mjs
 * says what each does).
 */
#ifndef WEE_TESTS_NOLIBC_HOST_H
#define WEE_TESTS_NOLIBC_HOST_H

#include <stddef.h>
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(wee_test_write) int host_write(int fd, const void *p, size_t n);
IMPORT(wee_test_arg_count) int host_arg_count(void);
IMPORT(wee_test_arg_read) int host_arg_read(int i, void *p, size_t cap);
IMPORT(wee_test_file_read) int host_file_read(int i, void *p, size_t cap);
/* Ends the run at once with this exit status: exit(), for a program that
 * has no other way out from deep inside a call. */
IMPORT(wee_test_exit) __attribute__((noreturn)) void host_exit(int status);

static inline size_t str_len(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

/* Write a string to standard output (1) or standard error (2). */
static inline void put(int fd, const char *s)
{
    host_write(fd, s, str_len(s));
}

static inline void put_uint(int fd, uint64_t v)
{
    char buf[24];
    size_t i = sizeof buf;

    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    host_write(fd, buf + i, sizeof buf - i);
}

static inline void put_hex(int fd, uintptr_t v)
{
    char buf[2 + 2 * sizeof v];
    size_t i = sizeof buf;

    do {
        buf[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    buf[--i] = 'x';
    buf[--i] = '0';
    host_write(fd, buf + i, sizeof buf - i);
}

#endif /* WEE_TESTS_NOLIBC_HOST_H */
