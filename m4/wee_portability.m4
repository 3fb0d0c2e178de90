# SPDX-License-Identifier: MPL-2.0
#
# Hosts with no operating system (issue 8): arm-none-eabi and the like.

# WEE_BARE_METAL
# --------------
# Before AC_PROG_CC.  A host with no OS (*-none*, *-eabi* but not
# *-linux-*eabi*, *-elf*; wasm32-unknown-none too) gets WEE_HOST_HAS_OS 0
# in config.h: the library then calls nothing of the OS, not even write()
# or abort() for a fatal error, even where newlib declares them (it traps
# instead).  configure's own link tests need a program to link, and
# newlib's C library leaves _exit, _sbrk and the rest to the board: unless
# LDFLAGS already says how (--specs=..., -nostdlib), or CFLAGS names
# picolibc's specs (which go there, since they also name the headers),
# newlib's stubs are linked (--specs=nosys.specs, from gcc-arm-none-eabi);
# wasm32 has flags of its own (WEE_WASM_TOOLCHAIN_HINT).  The library
# itself is an archive and links nothing.
AC_DEFUN([WEE_BARE_METAL],
[AS_CASE([$host],
  [*-*-linux*|*-*-wasi*], [wee_host_has_os=1],
  [*-none*|*-eabi*|*-elf*], [wee_host_has_os=0],
  [wee_host_has_os=1])
AS_IF([test "$wee_host_has_os" = 0],
  [AS_CASE([$host:" $LDFLAGS ":" $CFLAGS "],
    [wasm32-*], [],
    [*:*" -nostdlib "*:*|*:*"specs="*:*|*"picolibc.specs"*], [],
    [LDFLAGS="${LDFLAGS:+$LDFLAGS }--specs=nosys.specs"
     AC_MSG_NOTICE([$host has no OS: linking test programs with newlib's stubs (LDFLAGS=$LDFLAGS)])])])
AC_DEFINE_UNQUOTED([WEE_HOST_HAS_OS], [$wee_host_has_os],
  [1 when the host has an OS to write a fatal message to and abort;
   0 on bare metal, where the library calls nothing of the OS.])
])
