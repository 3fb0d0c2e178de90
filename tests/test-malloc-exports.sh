#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# libwee_alloc_malloc.so exports exactly the functions listed in
# lib/malloc.sym (malloc, free and the rest): nothing of wee_alloc's own
# API or internals, nothing missing.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

find_preload
nm_cmd=${NM:-nm}
sym=$srcdir/lib/malloc.sym
[ -r "$sym" ] || fail "cannot read $sym"

LC_ALL=C sort -u "$sym" > "$tmp/listed"
# shellcheck disable=SC2086 # NM may carry options, e.g. "nm -B"
$nm_cmd -D --defined-only "$so" > "$tmp/nm" || fail "$nm_cmd -D --defined-only $so failed"
# Symbol-version definitions (type A) are not functions of ours.
awk 'NF >= 2 && $(NF - 1) != "A" { name = $NF; sub(/@.*/, "", name); print name }' "$tmp/nm" |
    LC_ALL=C sort -u > "$tmp/exported"

missing=$(LC_ALL=C comm -23 "$tmp/listed" "$tmp/exported")
extra=$(LC_ALL=C comm -13 "$tmp/listed" "$tmp/exported")
[ -z "$missing" ] || fail "listed in lib/malloc.sym but not exported: $missing"
[ -z "$extra" ] || fail "exported but not listed in lib/malloc.sym: $extra"
[ "$(wc -l < "$tmp/listed")" -eq 14 ] || fail "lib/malloc.sym should list the 14 functions"
echo "PASS: $so exports exactly:"
sed 's/^/  /' "$tmp/exported"
