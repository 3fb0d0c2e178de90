#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# libwee_alloc_malloc for wasm32 with no C library needs nothing from the
# host: memory.grow is an instruction, not an import.
#   1. Every member of the archive, linked into one module that exports
#      the fourteen functions (wasm-ld fails if one is missing), gives a
#      module with no import section at all.
#   2. examples/wordfreq, linked with the library, imports exactly what
#      the example itself declares: env.wee_test_write, from the runner.
# The imports are read with llvm-objdump (tests/wasm-imports.sh).  SKIP
# (77) when configure found no llvm-objdump.
set -u

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
archive=$builddir/lib/.libs/libwee_alloc_malloc.a
example=$builddir/examples/wordfreq
LLVM_OBJDUMP=${LLVM_OBJDUMP:-llvm-objdump}
export LLVM_OBJDUMP

if ! command -v "$LLVM_OBJDUMP" > /dev/null 2>&1; then
    echo "SKIP: no llvm-objdump to read the modules' imports (Debian: llvm)"
    exit 77
fi

tmp=${TMPDIR:-/tmp}/wee-malloc-imports.$$
trap 'rm -f "$tmp".*' EXIT
trap 'exit 1' HUP INT TERM
status=0

# 1. The whole library.
set --
for name in malloc free calloc realloc reallocarray aligned_alloc \
    posix_memalign memalign valloc pvalloc malloc_usable_size free_sized \
    free_aligned_sized malloc_trim
do
    set -- "$@" "-Wl,--export=$name"
done
# shellcheck disable=SC2086 # CFLAGS and LDFLAGS are lists of flags
if ! ${WEE_CC:-clang} ${WEE_CFLAGS-} ${WEE_LDFLAGS-} \
        -Wl,--whole-archive "$archive" -Wl,--no-whole-archive "$@" \
        -o "$tmp.wasm"; then
    echo "FAIL: cannot link a module of the whole $archive exporting the fourteen functions"
    exit 1
fi
if ! imports=$(sh "$srcdir/tests/wasm-imports.sh" "$tmp.wasm"); then
    echo "FAIL: cannot read the imports of the library's module"
    exit 1
fi
if [ -n "$imports" ]; then
    echo "FAIL: the library imports from the host:"
    printf '  %s\n' "$imports"
    status=1
else
    echo "PASS: the whole library, fourteen functions exported, imports nothing"
fi

# 2. The example.
if ! imports=$(sh "$srcdir/tests/wasm-imports.sh" "$example"); then
    echo "FAIL: cannot read the imports of $example"
    exit 1
fi
if [ "$imports" != "env.wee_test_write func" ]; then
    echo "FAIL: $example should import env.wee_test_write alone, imports:"
    printf '  %s\n' "$imports"
    status=1
else
    echo "PASS: $example imports env.wee_test_write alone"
fi
exit $status
