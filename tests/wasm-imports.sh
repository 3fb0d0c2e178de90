#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# wasm-imports.sh MODULE - print what a linked WebAssembly module imports,
# one "module.name kind" line per import (kind: func, table, memory,
# global or tag), nothing when it imports nothing.
#
# llvm-objdump (14) shows a linked module's sections but not its imports'
# names, so this decodes the import section from `llvm-objdump -s -j
# IMPORT`'s hex dump, as the WebAssembly binary format defines it: a
# count, then for each import two names (a length and the bytes), a kind
# byte and a kind-specific description.  $LLVM_OBJDUMP names the tool
# (default llvm-objdump).  Exit status 2 when the module cannot be read.
set -u

if [ $# -ne 1 ]; then
    echo "usage: wasm-imports.sh MODULE" >&2
    exit 2
fi
objdump=${LLVM_OBJDUMP:-llvm-objdump}

headers=$("$objdump" -h "$1") || exit 2
# No import section at all: no imports.
printf '%s\n' "$headers" | grep -Eq '^ *[0-9]+ IMPORT ' || exit 0

"$objdump" -s -j IMPORT "$1" | awk '
    # The dump: " OFFSET HEX HEX HEX HEX  ASCII"; the hex groups take the
    # 35 columns after the offset.
    /^ [0-9a-f]+ / {
        line = substr($0, length($1) + 3, 35)
        gsub(/[^0-9a-f]/, "", line)
        hex = hex line
    }
    function byte(   v) {
        if (pos > length(hex)) { print "wasm-imports: truncated import section" > "/dev/stderr"; exit 2 }
        v = (index(H, substr(hex, pos, 1)) - 1) * 16 + index(H, substr(hex, pos + 1, 1)) - 1
        pos += 2
        return v
    }
    function leb(   v, scale, b) {
        v = 0; scale = 1
        do { b = byte(); v += (b % 128) * scale; scale *= 128 } while (b >= 128)
        return v
    }
    function name(   n, s, i) {
        n = leb(); s = ""
        for (i = 0; i < n; i++) s = s sprintf("%c", byte())
        return s
    }
    function limits(   flags) {
        flags = byte(); leb()
        if (flags % 2 == 1) leb()
    }
    END {
        H = "0123456789abcdef"
        pos = 1
        count = leb()
        for (i = 0; i < count; i++) {
            module = name(); field = name(); kind = byte()
            if (kind == 0)      { leb(); what = "func" }
            else if (kind == 1) { byte(); limits(); what = "table" }
            else if (kind == 2) { limits(); what = "memory" }
            else if (kind == 3) { byte(); byte(); what = "global" }
            else if (kind == 4) { byte(); leb(); what = "tag" }
            else { print "wasm-imports: unknown import kind " kind > "/dev/stderr"; exit 2 }
            print module "." field " " what
        }
    }'
