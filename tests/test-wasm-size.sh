#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The wasm code-size goal: the library as this build is configured adds at
# most 1000 bytes (with size classes; 600 without) to a module exporting
# malloc, free and realloc, measured by tests/wasm-size.sh; more than 10%
# over the goal fails.  SKIP (77) when clang, wasm-ld or wasm-opt is missing.
exec sh "${top_srcdir:-.}/tests/wasm-size.sh" check "${top_srcdir:-.}" "${top_builddir:-.}"
