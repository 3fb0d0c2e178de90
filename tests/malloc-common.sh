# SPDX-License-Identifier: MPL-2.0
# shellcheck shell=sh
#
# tests/malloc-common.sh - sourced by the tests of libwee_alloc_malloc.
#
# Gives: $srcdir, $builddir, $tmp (a private directory, removed at exit),
# fail, skip, find_preload (sets $so, the shared library to preload),
# program (the path of a test program, or FAIL),
# run_plain and run_preloaded (run a command, its output to files),
# same_output (compare two runs) and check_stats (the preloaded run's
# WEE_ALLOC_STATS lines show that wee_alloc served it).

set -u

# shellcheck disable=SC2034 # used by the scripts that source this file
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
la=$builddir/lib/libwee_alloc_malloc.la

fail() {
    echo "FAIL: $*"
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

# Smaller workloads when every call also checks the heap (it is slower).
# shellcheck disable=SC2034 # used by the scripts that source this file
if [ "${WEE_EXTRA_ASSERTIONS:-no}" = yes ]; then scale_down=1; else scale_down=0; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wee-malloc.XXXXXX") || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# find_preload: set $so to the absolute path of libwee_alloc_malloc.so.
find_preload() {
    case " ${WEE_CFLAGS:-} " in
    *" -fsanitize="*)
        skip "built with a sanitizer, which replaces malloc itself: preloading another would conflict" ;;
    esac
    [ -r "$la" ] || fail "cannot read $la (is the library built?)"
    dlname=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$la")
    [ -n "$dlname" ] || skip "no shared library was built (--disable-shared): nothing to preload"
    so=$(cd "$builddir/lib/.libs" && pwd)/$dlname
    [ -r "$so" ] || fail "libtool says the shared library is $dlname, but $so is missing"
}

# elf_machine FILE: the ELF class, byte order and machine of FILE (bytes
# 4, 5, 18 and 19 of its header, in hex), or nothing if it is not ELF.
elf_machine() {
    magic=$(od -An -c -N4 "$1" 2> /dev/null | tr -d ' ')
    [ "$magic" = '177ELF' ] || return 0
    echo "$(od -An -tx1 -j4 -N2 "$1")$(od -An -tx1 -j18 -N2 "$1")" | tr -s ' '
}

# In a cross build this build's programs run under qemu (tests/runner.sh,
# which hands the program the library to preload: in LD_PRELOAD it would
# be preloaded into qemu).
cross=${WEE_CROSS_TESTS:-no}

# preload_runs_here: SKIP in a cross build with no qemu to run programs.
preload_runs_here() {
    case $cross:${TEST_RUNNER:-} in
        yes:*qemu*) ;;
        yes:*) skip "cross-compiled, and no qemu to run the programs with a library preloaded" ;;
    esac
}

# not_under_emulator WHY: SKIP in a cross build, for a test that the
# emulator cannot run (WHY says what goes wrong under qemu-user).
not_under_emulator() {
    [ "$cross" != yes ] || skip "cross-compiled: not run under the emulator: $1"
}

# host_program_loads_preload PROGRAM: SKIP unless the machine's PROGRAM
# (sort, python3...) can load the library found by find_preload: a
# program loads only libraries built for its own machine, not an i386
# library into an x86-64 sort, nor anything of a cross build.
host_program_loads_preload() {
    [ "$cross" != yes ] || skip "cross-compiled: the machine's $1 cannot load this build's library"
    path=$(command -v "$1") || skip "no $1 here"
    # A script (a pyenv shim, say) ends in a program of the machine's own
    # kind, as env(1) is.
    prog_machine=$(elf_machine "$path")
    if [ -z "$prog_machine" ]; then
        path="$path (a script), like $(command -v env),"
        prog_machine=$(elf_machine "$(command -v env)")
    fi
    lib_machine=$(elf_machine "$so")
    if [ -n "$lib_machine" ] && [ -n "$prog_machine" ] && [ "$lib_machine" != "$prog_machine" ]; then
        skip "$path is built for another machine than $so (ELF class, byte order, machine:$prog_machine against$lib_machine): it cannot preload this build's library"
    fi
}

# program NAME: the path of the test program tests/NAME, which must exist.
program() {
    p=$builddir/tests/$1${EXEEXT:-}
    [ -x "$p" ] || fail "$p is missing (is it built?)"
    echo "$p"
}

# on_target COMMAND...: run COMMAND, through tests/runner.sh in a cross
# build (COMMAND is then one of this build's programs).
on_target() {
    if [ "$cross" = yes ]; then
        "${SHELL:-/bin/sh}" "$srcdir/tests/runner.sh" "$@"
    else
        "$@"
    fi
}

# run_plain NAME COMMAND...: run COMMAND on the C library's allocator;
# stdout to $tmp/NAME.plain.out, stderr to $tmp/NAME.plain.err.
run_plain() {
    name=$1
    shift
    on_target "$@" > "$tmp/$name.plain.out" 2> "$tmp/$name.plain.err" ||
        fail "$* exited with status $? without libwee_alloc_malloc: $(head -c 2000 "$tmp/$name.plain.err")"
}

# run_preloaded NAME COMMAND...: the same with the library preloaded and
# WEE_ALLOC_STATS=1; the statistics lines are kept apart in
# $tmp/NAME.stats, the rest of stderr in $tmp/NAME.wee.err.
run_preloaded() {
    preload="$so${LD_PRELOAD:+ $LD_PRELOAD}"
    run_with_stats "$@"
}

# run_linked NAME COMMAND...: as run_preloaded for a program linked with
# the library: nothing is preloaded.
run_linked() {
    preload=${LD_PRELOAD:-}
    run_with_stats "$@"
}

run_with_stats() {
    name=$1
    shift
    status=0
    if [ "$cross" = yes ]; then
        WEE_RUNNER_PRELOAD=$preload WEE_ALLOC_STATS=1 \
            "${SHELL:-/bin/sh}" "$srcdir/tests/runner.sh" "$@" \
            > "$tmp/$name.wee.out" 2> "$tmp/$name.wee.all" || status=$?
    else
        LD_PRELOAD=$preload WEE_ALLOC_STATS=1 "$@" \
            > "$tmp/$name.wee.out" 2> "$tmp/$name.wee.all" || status=$?
    fi
    grep -E '^wee_alloc_malloc\[[0-9]+\]: ' "$tmp/$name.wee.all" > "$tmp/$name.stats" || true
    grep -vE '^wee_alloc_malloc\[[0-9]+\]: ' "$tmp/$name.wee.all" > "$tmp/$name.wee.err" || true
    [ "$status" -eq 0 ] ||
        fail "$* exited with status $status with libwee_alloc_malloc: $(head -c 2000 "$tmp/$name.wee.all")"
}

# same_output NAME: the preloaded run printed exactly what the plain run
# did, on stdout and on stderr (the statistics aside).
same_output() {
    if ! cmp -s "$tmp/$1.plain.out" "$tmp/$1.wee.out"; then
        diff "$tmp/$1.plain.out" "$tmp/$1.wee.out" | head -20
        fail "$1: standard output differs with libwee_alloc_malloc preloaded"
    fi
    if ! cmp -s "$tmp/$1.plain.err" "$tmp/$1.wee.err"; then
        diff "$tmp/$1.plain.err" "$tmp/$1.wee.err" | head -20
        fail "$1: standard error differs with libwee_alloc_malloc preloaded"
    fi
    echo "$1: output identical ($(wc -c < "$tmp/$1.plain.out") bytes on stdout)"
}

# stat_value NAME FIELD: the largest value of FIELD (malloc, free,
# os_bytes...) over the processes of the preloaded run NAME.
stat_value() {
    sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$tmp/$1.stats" |
        awk 'BEGIN { max = 0 } $1 > max { max = $1 } END { print max }'
}

# check_stats NAME [MIN_MALLOC]: the preloaded run NAME reported its
# statistics, and some process made at least MIN_MALLOC (default 1) calls
# to malloc: wee_alloc served the program.
check_stats() {
    procs=$(grep -c ' os_bytes=' "$tmp/$1.stats" || true)
    [ "$procs" -gt 0 ] ||
        fail "$1: no WEE_ALLOC_STATS report: libwee_alloc_malloc was not preloaded"
    calls=$(stat_value "$1" malloc)
    os_bytes=$(stat_value "$1" os_bytes)
    [ "$calls" -ge "${2:-1}" ] ||
        fail "$1: at most $calls malloc calls went to wee_alloc, expected at least ${2:-1}"
    [ "$os_bytes" -gt 0 ] || fail "$1: wee_alloc took no memory from the OS"
    echo "$1: wee_alloc served $procs process(es); the busiest made $calls malloc calls, the largest heap took $os_bytes bytes from the OS"
}

# link_test shared|static: build tests/malloc-link.c with the flags
# pkg-config gives for wee_alloc_malloc, run it, prove wee_alloc served it.
link_test() {
    mode=$1
    preload_runs_here
    cc=${WEE_CC:-cc}
    pc=${PKG_CONFIG:-pkg-config}
    command -v "$pc" > /dev/null 2>&1 || skip "no pkg-config ($pc)"
    [ -r "$builddir/wee_alloc_malloc.pc" ] || fail "$builddir/wee_alloc_malloc.pc is missing"
    [ -r "$la" ] || fail "cannot read $la (is the library built?)"
    libs_dir=$(cd "$builddir/lib/.libs" && pwd)
    if [ "$mode" = static ]; then
        grep -q "^old_library='..*'" "$la" ||
            skip "no static library was built (--disable-static)"
        printf 'int main(void) { return 0; }\n' > "$tmp/trivial.c"
        # shellcheck disable=SC2086 # WEE_CFLAGS holds several flags
        $cc ${WEE_CFLAGS:-} -static -o "$tmp/trivial" "$tmp/trivial.c" > /dev/null 2>&1 ||
            skip "$cc cannot link any static program here (no libc.a?)"
        pc_flags="--static --libs"
        cc_flags="-static -DWEE_LINK_STATIC"
    else
        grep -q "^dlname='..*'" "$la" || skip "no shared library was built (--disable-shared)"
        pc_flags="--libs"
        cc_flags=
    fi
    # Only the build tree's .pc, its libdir the uninstalled library's.
    # shellcheck disable=SC2086 # pc_flags holds several flags
    libs=$(PKG_CONFIG_LIBDIR=$builddir PKG_CONFIG_PATH='' "$pc" \
        --define-variable=libdir="$libs_dir" $pc_flags wee_alloc_malloc) ||
        fail "$pc $pc_flags wee_alloc_malloc failed"
    echo "pkg-config $pc_flags wee_alloc_malloc: $libs"
    # shellcheck disable=SC2086 # flag lists
    $cc ${WEE_CFLAGS:-} $cc_flags -o "$tmp/linked" "$srcdir/tests/malloc-link.c" $libs ||
        fail "linking with $libs failed"
    LD_LIBRARY_PATH=$libs_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
    run_linked "link-$mode" "$tmp/linked"
    cat "$tmp/link-$mode.wee.out"
    check_stats "link-$mode" 20000
    # The pages of its freed 4 MiB block went back to the system, but with
    # extra assertions, which keep freed memory poisoned.
    given=$(stat_value "link-$mode" given_back_bytes)
    checking=$(PKG_CONFIG_LIBDIR=$builddir PKG_CONFIG_PATH='' "$pc" \
        --variable=extra_assertions wee_alloc_malloc)
    if [ "$checking" = yes ]; then
        [ "$given" -eq 0 ] || fail "link-$mode: given_back_bytes=$given with extra assertions"
    else
        [ "$given" -ge 4000000 ] ||
            fail "link-$mode: given_back_bytes=$given after a block of 4 MiB was freed"
    fi
    echo "link-$mode: given_back_bytes=$given"
    if [ "$mode" = static ]; then
        nm_cmd=${NM:-nm}
        # shellcheck disable=SC2086 # NM may carry options
        syms=$($nm_cmd "$tmp/linked") || fail "$nm_cmd $tmp/linked failed"
        # t or T: in a static program the binding does not matter, and on
        # arm64 and s390x glibc's libc.a refers to malloc as hidden, which
        # makes the linker turn the definition local.
        echo "$syms" | grep -Eq ' [tT] malloc$' || fail "the static program defines no malloc"
        if echo "$syms" | grep -Eq ' [tT] _int_malloc$'; then
            fail "glibc's malloc.o is linked into the static program"
        fi
        echo "the static program holds wee_alloc's malloc and not glibc's"
    fi
}
