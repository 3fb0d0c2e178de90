# SPDX-License-Identifier: MPL-2.0
#
# Checks for the backends that need more than a C compiler (wasm) and for
# running a cross build's tests (wine, node).

# WEE_WASM_TOOLCHAIN_HINT
# -----------------------
# Before AC_PROG_CC: a wasm32 host needs clang and LLVM's tools, and with no
# C library also linker flags, or AC_PROG_CC picks the build machine's gcc
# or fails with "C compiler cannot create executables".  Say what to pass
# before that happens.
AC_DEFUN([WEE_WASM_TOOLCHAIN_HINT],
[AS_CASE([$host],
  [wasm32-*-wasi*],
    [AS_IF([test -z "$CC" || test -z "$AR"],
      [AC_MSG_WARN([for --host=$host pass CC=clang CFLAGS=--target=wasm32-wasi AR=llvm-ar RANLIB=llvm-ranlib (Debian: clang lld llvm wasi-libc libclang-rt-14-dev-wasm32)])])],
  [wasm32-*],
    [AS_CASE([" $LDFLAGS "], [*" -nostdlib "*], [wee_wasm_flags=ok], [wee_wasm_flags=])
     AS_IF([test -z "$CC" || test -z "$AR" || test -z "$wee_wasm_flags"],
      [AC_MSG_WARN([for --host=$host (no C library) pass CC=clang CFLAGS="--target=wasm32 -Oz -mbulk-memory" LDFLAGS="-nostdlib -Wl,--no-entry" AR=llvm-ar RANLIB=llvm-ranlib (Debian: clang lld llvm)])])])
])

# WEE_CHECK_WASM_TOOLCHAIN
# ------------------------
# The wasm backend needs a compiler that targets wasm32 (without one, gcc
# quietly builds an x86-64 library) and LLVM's archiver (wasm-ld rejects
# GNU ar's archives: "archive has no index").
AC_DEFUN([WEE_CHECK_WASM_TOOLCHAIN],
[AS_CASE([$host],
  [wasm32-*-wasi*], [wee_wasm_cflags="--target=wasm32-wasi"],
                    [wee_wasm_cflags="--target=wasm32"])
AC_MSG_CHECKING([whether $CC targets wasm32])
AC_COMPILE_IFELSE([AC_LANG_SOURCE([[#ifndef __wasm32__
#error "not a wasm32 compiler"
#endif
int wee_probe(void);]])],
  [AC_MSG_RESULT([yes])],
  [AC_MSG_RESULT([no])
   AC_MSG_ERROR([the wasm backend needs a C compiler that targets wasm32, and $CC $CFLAGS does not; configure with CC=clang CFLAGS="$wee_wasm_cflags -Oz" AR=llvm-ar RANLIB=llvm-ranlib (and, with no C library, LDFLAGS="-nostdlib -Wl,--no-entry")])])
for wee_tool in "$AR" "$RANLIB"; do
  AC_MSG_CHECKING([whether $wee_tool handles wasm32 archives])
  AS_IF([$wee_tool --version 2>&1 | grep LLVM >/dev/null],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([the wasm backend needs LLVM's archiver and ranlib ($wee_tool is not: wasm-ld rejects its archives); configure with AR=llvm-ar RANLIB=llvm-ranlib (Debian package llvm)])])
done
])

# WEE_TEST_RUNNER
# ---------------
# Sets wee_host_kind (wasm, windows or native), TEST_RUNNER (the command
# that runs a test program of this build, empty to run it directly) and
# WEE_CROSS_TESTS (yes when the programs cannot run here without a runner;
# tests/runner.sh then SKIPs them if TEST_RUNNER is empty).  A TEST_RUNNER
# given to configure is kept.
AC_DEFUN([WEE_TEST_RUNNER],
[AC_ARG_VAR([TEST_RUNNER],
  [command that runs a test program of a cross build (default: node
   tests/run-wasm.mjs for wasm32, wine for Windows, none otherwise)])
AC_ARG_VAR([NODE], [Node.js, to run wasm32 test programs])
AC_ARG_VAR([WINE], [wine, to run Windows test programs])
AC_ARG_VAR([QEMU], [qemu-user emulator, to run Linux test programs of another CPU])
AC_ARG_VAR([QEMU_SYSTEM_ARM],
  [qemu-system-arm, to run bare-metal Cortex-M test programs (tests/run-cortex-m.sh)])
WEE_CROSS_TESTS=$cross_compiling
WEE_NODE_FLAGS=
AS_CASE([$host],
  [wasm32-*], [wee_host_kind=wasm WEE_CROSS_TESTS=yes],
  [*-*-mingw*|*-*-cygwin*|*-*-msys*],
    [wee_host_kind=windows
     AS_CASE([$build], [*-*-mingw*|*-*-cygwin*|*-*-msys*], [], [WEE_CROSS_TESTS=yes])],
  [*-*-linux*],
    [AS_IF([test "x$cross_compiling" = xyes], [wee_host_kind=qemu], [wee_host_kind=native])],
  [wee_host_kind=native])
AS_IF([test -n "$TEST_RUNNER"],
  [wee_runner_summary="$TEST_RUNNER (given)"],
  [AS_CASE([$wee_host_kind:$WEE_CROSS_TESTS],
    [wasm:yes],
      [AC_PATH_PROGS([NODE], [node nodejs])
       AS_IF([test -n "$NODE"], [
         dnl Node 18 hides node:wasi behind a flag that node 20 rejects.
         AC_MSG_CHECKING([whether $NODE needs --experimental-wasi-unflagged])
         AS_IF([$NODE -e "require('wasi')" >/dev/null 2>&1],
           [AC_MSG_RESULT([no])],
           [AS_IF([$NODE --experimental-wasi-unflagged -e "require('wasi')" >/dev/null 2>&1],
              [AC_MSG_RESULT([yes])
               WEE_NODE_FLAGS=--experimental-wasi-unflagged],
              [AC_MSG_RESULT([node:wasi is missing; the wasm32-wasi tests will fail])])])
         TEST_RUNNER='$(NODE) $(WEE_NODE_FLAGS) $(abs_top_srcdir)/tests/run-wasm.mjs'
         wee_runner_summary="$NODE tests/run-wasm.mjs"],
         [wee_runner_summary="none: node not found, the tests will SKIP (Debian: apt-get install nodejs)"])],
    [windows:yes],
      [AC_PATH_PROGS([WINE], [wine64 wine])
       AS_IF([test -n "$WINE"],
         [TEST_RUNNER='$(WINE)'
          wee_runner_summary=$WINE],
         [wee_runner_summary="none: wine not found, the tests will SKIP (Debian: apt-get install wine wine64)"])],
    [qemu:yes],
      [WEE_QEMU_RUNNER],
    [native:yes],
      [WEE_CORTEX_M_RUNNER],
    [*:yes],
      [wee_runner_summary="none: cross build, the tests will SKIP (set TEST_RUNNER)"],
    [wee_runner_summary="none needed (native)"])])
AC_SUBST([WEE_CROSS_TESTS])
AC_SUBST([WEE_NODE_FLAGS])
])

# WEE_CORTEX_M_RUNNER
# -------------------
# A host with no OS (WEE_BARE_METAL): an ARM one's test programs run on
# QEMU's MPS2 Cortex-M4 board (tests/run-cortex-m.sh) when they are linked
# for semihosting (their I/O and exit status go through the emulator) and
# qemu-system-arm is found: with newlib, LDFLAGS has --specs=rdimon.specs;
# with picolibc, --oslib=semihost (in CFLAGS or LDFLAGS).  They are then
# linked to run from the board's 16 MiB of PSRAM at 0x21000000, unless
# LDFLAGS places them itself: newlib's with -Ttext-segment, picolibc's
# with the memory regions of its linker script (1 MiB for the code, the
# rest for data, the static array, the stack).  With newlib's stubs
# (nosys.specs, WEE_BARE_METAL's default) a program has no way to report
# anything, and the tests SKIP.
AC_DEFUN([WEE_CORTEX_M_RUNNER],
[AS_CASE([$wee_host_has_os:$host_cpu:" $CFLAGS $LDFLAGS "],
  [0:arm*:*"rdimon.specs "*|0:arm*:*" --oslib=semihost "*],
    [AC_PATH_PROGS([QEMU_SYSTEM_ARM], [qemu-system-arm])
     AS_IF([test -n "$QEMU_SYSTEM_ARM"],
       [wee_place=
        AS_CASE([" $CFLAGS $LDFLAGS "],
          [*-Ttext*|*__flash=*], [],
          [*" --oslib=semihost "*],
            [wee_place="-Wl,--defsym=__flash=0x21000000 -Wl,--defsym=__flash_size=0x100000 -Wl,--defsym=__ram=0x21100000 -Wl,--defsym=__ram_size=0xf00000"],
          [wee_place=-Wl,-Ttext-segment=0x21000000])
        AS_IF([test -n "$wee_place"],
          [LDFLAGS="$LDFLAGS $wee_place"
           AC_MSG_NOTICE([linking test programs to run from the MPS2 board's PSRAM (LDFLAGS=$LDFLAGS)])])
        TEST_RUNNER='env QEMU_SYSTEM_ARM=$(QEMU_SYSTEM_ARM) CORTEX_M_TOOL_PREFIX=$(host_alias)- $(SHELL) $(abs_top_srcdir)/tests/run-cortex-m.sh'
        wee_runner_summary="$QEMU_SYSTEM_ARM -M mps2-an386 (tests/run-cortex-m.sh)"],
       [wee_runner_summary="none: qemu-system-arm not found, the tests will SKIP (Debian: apt-get install qemu-system-arm)"])],
  [0:arm*:*],
    [wee_runner_summary="none: bare metal; link the tests for semihosting (newlib: LDFLAGS=--specs=rdimon.specs; picolibc: --oslib=semihost) and install qemu-system-arm to run them"],
  [wee_runner_summary="none: cross build, the tests will SKIP (set TEST_RUNNER)"])
])

# WEE_QEMU_RUNNER
# ---------------
# A Linux host of another CPU (armhf, arm64, s390x...): its test programs
# run under qemu-user, qemu-CPU (Debian: qemu-user), with -L naming the
# cross toolchain's C library (Debian: /usr/arm-linux-gnueabihf), where
# the program's dynamic loader is found.  Sets TEST_RUNNER and
# wee_runner_summary; without qemu the tests SKIP.
AC_DEFUN([WEE_QEMU_RUNNER],
[AS_CASE([$host_cpu],
  [arm*],          [wee_qemu_cpu=arm],
  [i?86],          [wee_qemu_cpu=i386],
  [powerpc64le],   [wee_qemu_cpu=ppc64le],
  [powerpc64],     [wee_qemu_cpu=ppc64],
  [powerpc],       [wee_qemu_cpu=ppc],
                   [wee_qemu_cpu=$host_cpu])
AC_PATH_PROGS([QEMU], [qemu-$wee_qemu_cpu])
dnl The cross C library's directory: /usr/TRIPLET/lib/libc.so.6 in
dnl Debian's cross toolchains; a multiarch or native path needs no -L.
wee_qemu_prefix=
wee_libc=`$CC $CFLAGS -print-file-name=libc.so.6 2>/dev/null`
wee_libc_dir=
AS_CASE([$wee_libc], [/*],
  [wee_libc_dir=$(cd "$(dirname "$wee_libc")" 2>/dev/null && pwd -P)])
AS_CASE([$wee_libc_dir],
  [/lib|/lib/*|/usr/lib|/usr/lib/*], [],
  [/*/lib], [wee_qemu_prefix=`echo "$wee_libc_dir" | sed 's,/lib$,,'`])
AS_IF([test -n "$QEMU"],
  [AS_IF([test -n "$wee_qemu_prefix"],
     [TEST_RUNNER="\$(QEMU) -L $wee_qemu_prefix"
      wee_runner_summary="$QEMU -L $wee_qemu_prefix"],
     [TEST_RUNNER='$(QEMU)'
      wee_runner_summary=$QEMU])],
  [wee_runner_summary="none: qemu-$wee_qemu_cpu not found, the tests will SKIP (Debian: apt-get install qemu-user)"])
])
