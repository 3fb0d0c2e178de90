# SPDX-License-Identifier: MPL-2.0
#
# The benchmark's configure checks (bench/wee-bench, `make bench`).
#
# WEE_BENCH_ALLOCATOR(NAME, HEADER, LIBRARY, FUNCTION, VARIABLE)
# --------------------------------------------------------------
# Set the shell VARIABLE (and AC_SUBST it) to the absolute path of the
# shared library libLIBRARY.so of allocator NAME, or to "" when it is not
# usable: HEADER must compile and FUNCTION, which only that allocator
# defines, must link with -lLIBRARY.  The path is what the compiler's
# library search finds (-print-file-name), with symbolic links resolved;
# wee-bench preloads it into the processes that measure NAME.
AC_DEFUN([WEE_BENCH_ALLOCATOR],
[AC_MSG_CHECKING([for $1 to compare against (lib$3.so)])
$5=
wee_save_LIBS=$LIBS
LIBS="-l$3 $LIBS"
AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <$2>]],
    [[void *volatile f = (void *)$4; return f == 0;]])],
  [wee_so=`$CC $CFLAGS $LDFLAGS -print-file-name=lib$3.so 2>/dev/null`
   AS_CASE([$wee_so],
     [/*], [wee_real=`readlink -f "$wee_so" 2>/dev/null`
            AS_IF([test -n "$wee_real" && test -f "$wee_real"], [wee_so=$wee_real])
            AS_IF([test -f "$wee_so"], [$5=$wee_so])])])
LIBS=$wee_save_LIBS
AS_IF([test -n "$$5"],
  [AC_MSG_RESULT([$$5])
   wee_bench_allocators="$wee_bench_allocators, $1"],
  [AC_MSG_RESULT([no])])
AC_SUBST([$5])
])

# WEE_BENCH
# ---------
# --enable-bench=auto|yes|no.  The benchmark needs a POSIX host with fork,
# exec, dladdr, scandir, clock_gettime and threads; it is built natively on
# such hosts (auto) and skipped elsewhere (mingw, wasm).  Sets the
# conditional BUILD_BENCH, WEE_BENCH_LIBS and LIBM, the programs
# BENCH_VALGRIND, BENCH_GNUPLOT and BENCH_PYTHON for the make targets, and
# writes bench/bench-config.h.
AC_DEFUN([WEE_BENCH],
[AC_ARG_ENABLE([bench],
  [AS_HELP_STRING([--enable-bench=auto|yes|no],
    [build bench/wee-bench, the benchmark (never installed); yes makes a
     host that cannot build it an error @<:@default=auto@:>@])],
  [], [enable_bench=auto])
AS_CASE([$enable_bench],
  [auto|yes|no], [],
  [AC_MSG_ERROR([invalid --enable-bench=$enable_bench: use auto, yes or no])])

wee_bench=no
wee_bench_allocators=
WEE_BENCH_LIBS=
AS_IF([test "x$enable_bench" != xno], [
  LT_LIB_M
  AC_MSG_CHECKING([whether the benchmark can be built])
  wee_save_LIBS=$LIBS
  wee_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS $PTHREAD_CFLAGS"
  for wee_try in none -ldl; do
    AS_IF([test "x$wee_try" = xnone], [WEE_BENCH_LIBS=], [WEE_BENCH_LIBS=$wee_try])
    LIBS="$WEE_BENCH_LIBS $PTHREAD_LIBS $LIBM $wee_save_LIBS"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[
#define _GNU_SOURCE 1
#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
]], [[
Dl_info info;
struct timespec ts;
struct dirent **list;
pthread_barrier_t b;
volatile double x = 2.0;
char *argv[] = { 0 };
if (fork() == 0) execv("/", argv);
return dladdr(dlsym(RTLD_DEFAULT, "malloc"), &info)
       + clock_gettime(CLOCK_MONOTONIC, &ts)
       + scandir(".", &list, 0, alphasort)
       + pthread_barrier_init(&b, 0, 2)
       + (int)exp(log(x))
       + (mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
]])],
      [wee_bench=yes])
    AS_IF([test $wee_bench = yes], [break])
  done
  LIBS=$wee_save_LIBS
  CFLAGS=$wee_save_CFLAGS
  AS_IF([test "x$wee_have_pthread" != xyes], [wee_bench=no])
  AC_MSG_RESULT([$wee_bench])
  AS_IF([test "x$enable_bench" = xyes && test $wee_bench = no],
    [AC_MSG_ERROR([--enable-bench=yes, but the benchmark needs fork, exec, dladdr, scandir, clock_gettime, pthread barriers and mmap, which $host lacks; use --enable-bench=auto])])
])

WEE_BENCH_JEMALLOC_SO=
WEE_BENCH_MIMALLOC_SO=
WEE_BENCH_TCMALLOC_SO=
AS_IF([test $wee_bench = yes], [
  WEE_BENCH_ALLOCATOR([jemalloc], [jemalloc/jemalloc.h], [jemalloc], [mallctl],
    [WEE_BENCH_JEMALLOC_SO])
  WEE_BENCH_ALLOCATOR([mimalloc], [mimalloc.h], [mimalloc], [mi_version],
    [WEE_BENCH_MIMALLOC_SO])
  dnl tcmalloc without the heap profiler: the allocator people preload.
  WEE_BENCH_ALLOCATOR([tcmalloc], [gperftools/tcmalloc.h], [tcmalloc_minimal],
    [tc_version], [WEE_BENCH_TCMALLOC_SO])
  AC_PATH_PROG([BENCH_VALGRIND], [valgrind])
  AC_PATH_PROG([BENCH_GNUPLOT], [gnuplot])
  AC_PATH_PROG([BENCH_PYTHON], [python3])
])
AC_SUBST([WEE_BENCH_LIBS])
AC_SUBST([LIBM])
AM_CONDITIONAL([BUILD_BENCH], [test $wee_bench = yes])

# CC and CFLAGS as C string literals, for the benchmark's report.
WEE_BENCH_CC_C=$(printf '%s' "$CC" | sed 's/@<:@\\"@:>@/\\&/g')
WEE_BENCH_CFLAGS_C=$(printf '%s' "$CFLAGS" | sed 's/@<:@\\"@:>@/\\&/g')
AC_SUBST([WEE_BENCH_CC_C])
AC_SUBST([WEE_BENCH_CFLAGS_C])
AC_CONFIG_FILES([bench/bench-config.h])
AS_IF([test $wee_bench = yes],
  [AC_MSG_NOTICE([benchmark: bench/wee-bench, against the system malloc$wee_bench_allocators])],
  [AC_MSG_NOTICE([benchmark: not built])])
])
