#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The wasm code size must not grow while its goal (tests/test-wasm-size.sh,
# an expected failure) is not met: tests/wasm-size.sh's ceiling, the size
# of 2026-11-27 plus about 10%.  SKIP (77) when clang, wasm-ld or wasm-opt
# is missing.
exec sh "${top_srcdir:-.}/tests/wasm-size.sh" ceiling "${top_srcdir:-.}" "${top_builddir:-.}"
