#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The shared library exports exactly the functions that include/wee_alloc.h
# declares with WEE_API: nothing internal leaks out, nothing public is lost.
#
# Reads the dynamic symbol table with `nm -D --defined-only`, or a Windows
# DLL's export table with `objdump -p` ($OBJDUMP).  SKIPs (77) when no
# shared library was built (--disable-shared, wasm) or it is neither.

set -u

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
header=$srcdir/include/wee_alloc.h
la=$builddir/lib/libwee_alloc.la
nm_cmd=${NM:-nm}

fail() {
    echo "FAIL: $*"
    exit 1
}

[ -r "$header" ] || fail "cannot read $header"
[ -r "$la" ] || fail "cannot read $la (is the library built?)"

# The shared library's file name, as libtool recorded it.
dlname=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$la")
if [ -z "$dlname" ]; then
    echo "SKIP: no shared library was built (see dlname in $la)"
    exit 77
fi
so=$builddir/lib/.libs/$dlname
[ -r "$so" ] || fail "libtool says the shared library is $dlname, but $so is missing"

magic=$(od -An -c -N4 "$so" | tr -d ' ')
case $magic in
    177ELF) format=elf ;;
    MZ*)    format=pe ;;   # a Windows DLL: its export table, by objdump -p
    *)
        echo "SKIP: $so is neither an ELF file nor a Windows DLL"
        exit 77
        ;;
esac

tmp=${TMPDIR:-/tmp}/wee-exports.$$
trap 'rm -f "$tmp".*' EXIT
trap 'exit 1' HUP INT TERM

# The public functions: strip comments and preprocessor lines from the
# header, join it into one line, cut it into declarations at ';', '{' and
# '}', keep those that start with WEE_API and take the name before '('.
awk '
    {
        line = $0
        out = ""
        while (length(line) > 0) {
            if (in_comment) {
                end = index(line, "*/")
                if (end == 0) { line = ""; break }
                line = substr(line, end + 2)
                in_comment = 0
            } else {
                start = index(line, "/*")
                if (start == 0) { out = out line; break }
                out = out substr(line, 1, start - 1) " "
                line = substr(line, start + 2)
                in_comment = 1
            }
        }
        sub(/\/\/.*/, "", out)
        if (continued || out ~ /^[ \t]*#/) {
            continued = (out ~ /\\$/)
            next
        }
        print out
    }
' "$header" |
    tr '\n\t{}' '  ;;' | tr ';' '\n' |
    sed -n 's/^ *WEE_API[ *][^(]*[^A-Za-z0-9_]\(wee_[A-Za-z0-9_]*\) *(.*/\1/p' |
    LC_ALL=C sort -u > "$tmp.declared"

# The exported functions and data.  Symbol-version definitions (type A) are
# not symbols of ours; a version suffix (@@VER) is not part of the name.
if [ "$format" = pe ]; then
    # The names of objdump's "[Ordinal/Name Pointer] Table", one a line.
    ${OBJDUMP:-objdump} -p "$so" > "$tmp.pe" || fail "${OBJDUMP:-objdump} -p $so failed"
    awk '/^\[Ordinal\/Name Pointer\] Table/ { table = 1; next }
         table && NF == 0 { exit }
         table { print $NF }' "$tmp.pe" | LC_ALL=C sort -u > "$tmp.exported"
else
    # shellcheck disable=SC2086 # NM may carry options, e.g. "nm -B"
    $nm_cmd -D --defined-only "$so" > "$tmp.nm" || fail "$nm_cmd -D --defined-only $so failed"
    awk 'NF >= 2 && $(NF - 1) != "A" { name = $NF; sub(/@.*/, "", name); print name }' "$tmp.nm" |
        LC_ALL=C sort -u > "$tmp.exported"
fi

declared=$(wc -l < "$tmp.declared")
exported=$(wc -l < "$tmp.exported")
echo "$header declares $declared WEE_API functions; $so exports $exported symbols."
[ "$declared" -gt 0 ] || fail "found no WEE_API declarations in $header"

missing=$(LC_ALL=C comm -23 "$tmp.declared" "$tmp.exported")
extra=$(LC_ALL=C comm -13 "$tmp.declared" "$tmp.exported")
status=0
if [ -n "$missing" ]; then
    echo "FAIL: declared with WEE_API but not exported:"
    echo "$missing" | sed 's/^/  /'
    status=1
fi
if [ -n "$extra" ]; then
    echo "FAIL: exported but not declared with WEE_API in the header:"
    echo "$extra" | sed 's/^/  /'
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "PASS: the exports are exactly the public API:"
    sed 's/^/  /' "$tmp.declared"
fi
exit "$status"
