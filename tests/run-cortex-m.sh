#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# run-cortex-m.sh PROGRAM [ARG...] - run a bare-metal Cortex-M test program
# (an arm-none-eabi build, linked with newlib's --specs=rdimon.specs or
# with picolibc's --oslib=semihost) on QEMU's MPS2 board with a Cortex-M4
# (qemu-system-arm -M mps2-an386), as tests/runner.sh does for every test
# program of such a build.
#
# The program talks to this machine through semihosting: its arguments (at
# most about 255 bytes of them: newlib's buffer), standard output and
# error, the files it opens, and its exit status all pass through QEMU.
# picolibc's start-up code names the program "program-name" and takes the
# command line for the arguments after it, so a picolibc program (one with
# picolibc's sys_semihost_get_cmdline) is not given its own name, and an
# empty command line when it has no arguments (QEMU would give the file's
# name); picolibc writes both standard output and error to the semihosting
# console, which goes to this script's standard output (QEMU's default
# would be its standard error).  The program must be linked to run from
# the board's 16 MiB of PSRAM at 0x21000000 (configure adds the flags:
# -Ttext-segment for newlib, picolibc's memory regions otherwise); with
# newlib, the stack and newlib's own heap take the rest of the PSRAM
# (QEMU's semihosting gives them the largest gap).  newlib gives the
# program no vector table: this script adds one at address 0, in the
# board's SSRAM (QEMU's generic loader writes it before the CPU starts),
# whose reset vector is the program's entry point.  Its fault vectors end
# the run: with status 134, as SIGABRT would natively, and "trap: udf" on
# standard error, when the fault is an undefined instruction (the
# compiler's trap, which is how the library stops a program where there is
# no OS to abort); with status 139, as SIGSEGV would, on any other fault.
# A program that runs longer than WEE_CORTEX_M_TIMEOUT seconds (default
# 600) is stopped, status 124.
#
# Tools: qemu-system-arm (Debian: qemu-system-arm), and the cross
# toolchain's as, ld and readelf: $CORTEX_M_TOOL_PREFIX (default
# arm-none-eabi-) followed by the tool's name.
set -u

if [ $# -eq 0 ]; then
    echo "usage: run-cortex-m.sh PROGRAM [ARG...]" >&2
    exit 2
fi
program=$1

qemu=${QEMU_SYSTEM_ARM:-qemu-system-arm}
prefix=${CORTEX_M_TOOL_PREFIX:-arm-none-eabi-}
for tool in "$qemu" "${prefix}as" "${prefix}ld" "${prefix}readelf"; do
    if ! command -v "$tool" > /dev/null 2>&1; then
        echo "SKIP: $tool not found (Debian: qemu-system-arm, gcc-arm-none-eabi)"
        exit 77
    fi
done

entry=$("${prefix}readelf" -h "$program" | sed -n 's/^ *Entry point address: *//p')
case $entry in
    0x*) ;;
    *)
        echo "run-cortex-m: $program: no entry point (is it an ARM ELF program?)" >&2
        exit 1
        ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cortex-m.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# The vector table and the fault handler.  The handler reads the
# Configurable Fault Status Register: UNDEFINSTR (bit 16) is the trap.
# Semihosting's SYS_EXIT_EXTENDED (0x20) takes a block of two words: the
# reason, "application exit", and the status.
cat > "$tmp/boot.S" <<'EOF'
    .syntax unified
    .thumb
    .section .vectors, "a"
    .word 0x20400000        /* initial stack pointer: the top of SSRAM2/3 */
    .word ENTRY | 1         /* reset: the program's entry point, Thumb */
    .rept 14
    .word fault + 1         /* NMI, HardFault, ... SysTick */
    .endr
    .text
    .global fault
    .thumb_func
fault:
    ldr r2, =0xe000ed28     /* CFSR */
    ldr r2, [r2]
    movs r3, #139
    tst r2, #0x10000        /* UFSR.UNDEFINSTR */
    it ne
    movne r3, #134
    adr r1, exit_block
    str r3, [r1, #4]
    movs r0, #0x20
    bkpt 0xab
1:  b 1b
    .ltorg
    .align 2
exit_block:
    .word 0x20026           /* ADP_Stopped_ApplicationExit */
    .word 0
EOF
"${prefix}as" -mcpu=cortex-m4 -mthumb --defsym "ENTRY=$entry" "$tmp/boot.S" -o "$tmp/boot.o" &&
    "${prefix}ld" -e fault -Ttext=0x40 --section-start=.vectors=0 "$tmp/boot.o" -o "$tmp/boot.elf" ||
    exit 1

# The program's arguments, argv[0] first but for picolibc; a comma in a
# QEMU option value is written twice.
console=
if "${prefix}readelf" -sW "$program" | grep -q ' sys_semihost_get_cmdline$'; then
    shift
    console="-chardev stdio,id=semihosting"
fi
args=
for arg in "$@"; do
    args="$args,arg=$(printf '%s' "$arg" | sed 's/,/,,/g')"
done
if [ -n "$console" ]; then
    args=",chardev=semihosting${args:-,arg=}"
fi

# shellcheck disable=SC2086 # $console is two words or none
timeout "${WEE_CORTEX_M_TIMEOUT:-600}" "$qemu" -M mps2-an386 -nographic -monitor none \
    -serial none $console -semihosting-config "enable=on,target=native$args" \
    -kernel "$program" -device "loader,file=$tmp/boot.elf"
status=$?
case $status in
    134) echo "run-cortex-m: $program: trap: udf (an undefined instruction)" >&2 ;;
    139) echo "run-cortex-m: $program: a fault other than the trap" >&2 ;;
esac
exit "$status"
