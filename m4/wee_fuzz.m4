# SPDX-License-Identifier: MPL-2.0
#
# The fuzzing build (tests/fuzz/fuzz.am, `make fuzz`).
#
# WEE_FUZZ
# --------
# --enable-fuzzing=yes|no.  With yes: the compiler must link a libFuzzer
# target (clang, with its runtime: Debian's libclang-rt-14-dev); CC
# defaults to clang when it was not given.  The whole build (library and
# tests) is then instrumented for coverage (-fsanitize=fuzzer-no-link) and
# checked by AddressSanitizer and UBSan, and WEE_FUZZ_LDFLAGS
# (-fsanitize=fuzzer) links tests/fuzz/fuzz-heap.  The drop-in malloc
# library is not built: ASan's own malloc would take precedence over it
# (--enable-malloc-replacement=yes is an error).  Also checks for
# <dirent.h>, which tests/fuzz/replay-main.c uses to read a corpus
# directory, in every build.  Sets the conditional FUZZING.
#
# Expand it after AC_PROG_CC and before the malloc replacement is decided.
AC_DEFUN([WEE_FUZZ],
[AC_ARG_ENABLE([fuzzing],
  [AS_HELP_STRING([--enable-fuzzing],
    [build tests/fuzz/fuzz-heap, the libFuzzer target, for `make fuzz', and
     instrument the whole build with AddressSanitizer and UBSan (needs clang
     and its libFuzzer runtime; CC defaults to clang) @<:@default=no@:>@])],
  [], [enable_fuzzing=no])
AS_CASE([$enable_fuzzing],
  [yes|no], [],
  [AC_MSG_ERROR([invalid --enable-fuzzing=$enable_fuzzing: use yes or no])])
dnl Before AC_PROG_CC looks for a compiler: clang unless CC was given.
m4_divert_text([INIT_PREPARE],
  [AS_IF([test "x$enable_fuzzing" = xyes && test -z "$CC"], [CC=clang])])

AC_CHECK_HEADERS([dirent.h])

WEE_FUZZ_LDFLAGS=
AS_IF([test "x$enable_fuzzing" = xyes], [
  wee_fuzz_cflags="-g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  wee_fuzz_ldflags="-fsanitize=address,undefined"
  AC_MSG_CHECKING([whether $CC links a libFuzzer target with ASan and UBSan])
  wee_save_CFLAGS=$CFLAGS wee_save_LDFLAGS=$LDFLAGS
  CFLAGS="$CFLAGS $wee_fuzz_cflags"
  LDFLAGS="$LDFLAGS $wee_fuzz_ldflags -fsanitize=fuzzer"
  AC_LINK_IFELSE([AC_LANG_SOURCE([[#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{ return size > 0 && data[0] == 'x'; }]])],
    [wee_fuzz_ok=yes], [wee_fuzz_ok=no])
  CFLAGS=$wee_save_CFLAGS LDFLAGS=$wee_save_LDFLAGS
  AC_MSG_RESULT([$wee_fuzz_ok])
  AS_IF([test "x$wee_fuzz_ok" != xyes],
    [AC_MSG_ERROR([--enable-fuzzing: $CC cannot link a libFuzzer target with -fsanitize=fuzzer,address,undefined; use clang with its runtime (Debian: apt-get install clang libclang-rt-14-dev) and CC=clang])])
  AS_CASE([$enable_malloc_replacement],
    [yes], [AC_MSG_ERROR([--enable-fuzzing and --enable-malloc-replacement cannot go together: ASan's malloc takes precedence over libwee_alloc_malloc])],
    [no], [],
    [enable_malloc_replacement=no
     AC_MSG_NOTICE([--enable-fuzzing: libwee_alloc_malloc is not built (ASan's malloc would take precedence)])])
  CFLAGS="$CFLAGS $wee_fuzz_cflags"
  LDFLAGS="$LDFLAGS $wee_fuzz_ldflags"
  WEE_FUZZ_LDFLAGS=-fsanitize=fuzzer])
AC_SUBST([WEE_FUZZ_LDFLAGS])
AM_CONDITIONAL([FUZZING], [test "x$enable_fuzzing" = xyes])
])
