#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# runner.sh PROGRAM [ARG...] - run a test program of this build on the host
# it was built for: directly in a native build, under $TEST_RUNNER (node
# tests/run-wasm.mjs for wasm32, wine for Windows, qemu-CPU -L SYSROOT for
# Linux on another CPU) in a cross build.
#
# It is LOG_COMPILER for every test program, and the test scripts run
# their programs through it too.  Environment (AM_TESTS_ENVIRONMENT sets
# it from configure): TEST_RUNNER, empty to run the program directly;
# WEE_CROSS_TESTS, yes when the program cannot run here by itself.
#
# Exit status: the program's, or 77 (SKIP) when a cross build has no
# runner, i.e. configure found no node or wine.
#
# Under wine: WINEDEBUG=-all unless set, and unless WINEPREFIX is set, a
# private prefix in the build tree (tests/wine-prefix, made on first use,
# which takes a few seconds; see make_wine_prefix).
#
# Under qemu, a program linked with the uninstalled shared library is a
# libtool wrapper script, which qemu cannot run: libtool --mode=execute
# puts the real program in its place and the library's directory in
# LD_LIBRARY_PATH, which qemu passes on to the program.  A library the
# test preloads comes in WEE_RUNNER_PRELOAD (tests/malloc-common.sh) and
# goes to the program as qemu -E LD_PRELOAD=...: in LD_PRELOAD it would be
# preloaded into qemu itself.

set -u

if [ $# -eq 0 ]; then
    echo "usage: runner.sh PROGRAM [ARG...]" >&2
    exit 2
fi

if [ -z "${TEST_RUNNER-}" ]; then
    if [ "${WEE_CROSS_TESTS-no}" = yes ]; then
        echo "SKIP: $1 was cross-compiled and configure found no program" \
             "to run it (node for wasm32, wine for Windows, qemu-user for" \
             "Linux on another CPU); install one and run configure again," \
             "or set TEST_RUNNER"
        exit 77
    fi
    exec "$@"
fi

# Make the private prefix $WINEPREFIX before a program runs in it.  make -j
# runs tests at once, and when two wine processes both find no prefix and
# make it, one of them fails ("chdir to .../server-...: No such file or
# directory"): the first to make the lock directory makes the prefix
# (wineboot --init), the others wait for it.  A lock left by a killed run
# is waited out for five minutes, then ignored.  Then settle_wine_prefix.
make_wine_prefix() {
    ready=$WINEPREFIX/.wee-tests-ready
    [ -f "$ready" ] && return 0
    waited=0
    until mkdir "$WINEPREFIX.lock" 2> /dev/null; do
        waited=$((waited + 1))
        [ "$waited" -lt 300 ] || return 0
        sleep 1
    done
    if [ ! -f "$ready" ]; then
        # shellcheck disable=SC2086
        WINEDLLOVERRIDES="mscoree,mshtml=" $TEST_RUNNER wineboot --init > /dev/null 2>&1 &&
            settle_wine_prefix && : > "$ready"
    fi
    rmdir "$WINEPREFIX.lock"
}

# wineboot returns while the wine processes it started, and the prefix's
# wineserver, still run (about five seconds here; in one CI run two
# winedevice.exe processes never ended, and waiting for them hung the
# tests).  So they are stopped: the server saves the registry as it exits,
# and the tests start on a prefix that nothing is still writing to, the
# first of them starting a server anew (as clean-wine-prefix in
# tests/cross.am stops it before removing the prefix).
settle_wine_prefix() {
    command -v wineserver > /dev/null 2>&1 || return 0
    wineserver -k > /dev/null 2>&1
    wineserver -w > /dev/null 2>&1
    return 0
}

case $TEST_RUNNER in
    *wine*)
        WINEDEBUG=${WINEDEBUG:--all}
        export WINEDEBUG
        if [ -z "${WINEPREFIX-}" ]; then
            WINEPREFIX=$(cd "${top_builddir:-.}" && pwd)/tests/wine-prefix
            export WINEPREFIX
            make_wine_prefix
        fi
        ;;
    *qemu*)
        execute=
        if [ "$(head -c 2 "$1" 2> /dev/null)" = '#!' ] &&
           sed -n 1,5p "$1" | grep -q 'temporary wrapper script'; then
            execute="${top_builddir:-.}/libtool --mode=execute"
        fi
        if [ -n "${WEE_RUNNER_PRELOAD-}" ]; then
            set -- -E "LD_PRELOAD=$WEE_RUNNER_PRELOAD" "$@"
        fi
        # shellcheck disable=SC2086
        exec $execute $TEST_RUNNER "$@"
        ;;
esac

# TEST_RUNNER is a command with arguments ("node .../run-wasm.mjs").
# shellcheck disable=SC2086
exec $TEST_RUNNER "$@"
