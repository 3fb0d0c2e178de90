#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# size-report.sh SRCDIR - the code size of wee_alloc on a Cortex-M
# microcontroller: configure two throwaway builds of SRCDIR
#     --host=arm-none-eabi --with-backend=static
#     CFLAGS="-Os -mthumb -mcpu=cortex-m4 -ffunction-sections -fdata-sections"
# with and without size classes, build the static library, and print
#   - the .text of each of its objects (arm-none-eabi-size) and their sum:
#     the whole library, every public function included (statistics, heap
#     check, heap instances); -ffunction-sections only splits the sections
#     (the sum is about 1% more than without it);
#   - the .text that a program calling wee_malloc, wee_free and
#     wee_realloc links in with --gc-sections: that program's .text minus
#     the same program's without the calls (newlib's memcpy included,
#     which realloc needs).
# `make size-report` runs this.
#
# Goal (issue 8): under 1.5 KiB (1536 bytes) of .text with size classes,
# for the whole library.  The last line says whether it is met.  Exit status 0 when the sizes
# were measured (whether or not the goal is met), 77 when the toolchain
# is missing (Debian: gcc-arm-none-eabi libnewlib-dev), 1 otherwise.

set -u

goal=1536
cflags="-Os -mthumb -mcpu=cortex-m4 -ffunction-sections -fdata-sections"

[ $# -eq 1 ] || { echo "usage: size-report.sh SRCDIR" >&2; exit 2; }
srcdir=$(cd "$1" && pwd) || exit 1
for tool in arm-none-eabi-gcc arm-none-eabi-size; do
    command -v "$tool" > /dev/null 2>&1 || {
        echo "size-report: SKIP: $tool not found (Debian: apt-get install gcc-arm-none-eabi libnewlib-dev)"
        exit 77
    }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/size-report.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# measure NAME [CONFIGURE-ARG...]: build in $tmp/NAME, print its objects'
# .text, and set $text to their sum.
measure() {
    name=$1
    shift
    mkdir "$tmp/$name" || exit 1
    if ! (cd "$tmp/$name" &&
          "$srcdir/configure" --host=arm-none-eabi --with-backend=static \
              CFLAGS="$cflags" "$@" > configure.out 2>&1 &&
          make lib/libwee_alloc.la > make.out 2>&1); then
        echo "size-report: configure or make failed for $name:"
        tail -n 20 "$tmp/$name/configure.out" "$tmp/$name/make.out" 2> /dev/null
        exit 1
    fi
    archive=$tmp/$name/lib/.libs/libwee_alloc.a
    echo "$name (${*:-default configure}):"
    arm-none-eabi-size "$archive" |
        awk 'NR > 1 { sub(/^lib(wee_alloc_la-)?/, "", $6); sub(/ \(ex .*/, "", $6)
                      printf "  %-20s %6d\n", $6, $1 }'
    text=$(arm-none-eabi-size "$archive" | awk 'NR > 1 { t += $1 } END { print t + 0 }')
    echo "  total .text          $text bytes"
    # shellcheck disable=SC2086 # cflags holds several flags
    for use in 1 0; do
        arm-none-eabi-gcc $cflags -DUSE_WEE=$use -nostartfiles -Wl,--gc-sections \
            -Wl,-e,entry --specs=nosys.specs -o "$tmp/$name/module$use.elf" \
            "$tmp/module.c" "$archive" || { echo "size-report: linking the program failed"; exit 1; }
    done
    linked=$(arm-none-eabi-size "$tmp/$name/module1.elf" "$tmp/$name/module0.elf" |
        awk 'NR == 2 { a = $1 } NR == 3 { b = $1 } END { print a - b }')
    echo "  linked by malloc, free and realloc with --gc-sections: $linked bytes"
}

# The program: entry() calls the three functions, or does nothing with
# USE_WEE=0; volatile keeps the compiler from removing the calls.
cat > "$tmp/module.c" <<'END'
#include <stddef.h>
void *wee_malloc(size_t size);
void wee_free(void *ptr);
void *wee_realloc(void *ptr, size_t size);
void *volatile sink;
volatile size_t bytes = 100;
void entry(void);
void entry(void)
{
#if USE_WEE
    void *p = wee_realloc(wee_malloc(bytes), 2 * bytes);
    sink = p;
    wee_free(p);
#else
    sink = (void *)bytes;
#endif
}
END

echo "wee_alloc .text on Cortex-M4 ($cflags), static backend, bytes:"
measure size-classes
classes=$text
measure no-size-classes --disable-size-classes
echo
echo "goal: under $goal bytes of .text with size classes (the whole library);" \
     "measured $classes bytes ($text without size classes)"
if [ "$classes" -lt "$goal" ]; then
    echo "size-report: goal met"
else
    echo "size-report: goal NOT met: $((classes - goal)) bytes over"
fi
