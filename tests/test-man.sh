#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The manual pages are complete and clean:
#   - every page formats without a single warning from `man --warnings`,
#     run the way lintian runs it (and from `mandoc -Tlint -Wwarning` too,
#     where mandoc is installed);
#   - every function that include/wee_alloc.h declares with WEE_API has a
#     page man/man3/NAME.3, and the page it leads to names the function in
#     NAME (.Nm) and shows it in SYNOPSIS (.Fn);
#   - every page is listed in man/man.am, so make install installs it;
#   - wee_alloc_malloc(3) shows in SYNOPSIS (.Fn) and describes (.It Fn)
#     every function that libwee_alloc_malloc exports (lib/malloc.sym).
# SKIPs (77) when man(1) is not installed.

set -u

srcdir=${top_srcdir:-.}
header=$srcdir/include/wee_alloc.h
mandir=$srcdir/man
man_am=$mandir/man.am

fail_count=0
fail() {
    echo "FAIL: $*"
    fail_count=$((fail_count + 1))
}

if ! command -v man > /dev/null 2>&1; then
    echo "SKIP: man is not installed (Debian: apt-get install man-db)"
    exit 77
fi
[ -r "$header" ] || { echo "FAIL: cannot read $header"; exit 1; }
[ -r "$man_am" ] || { echo "FAIL: cannot read $man_am"; exit 1; }

tmp=${TMPDIR:-/tmp}/wee-man.$$
trap 'rm -f "$tmp".*' EXIT
trap 'exit 1' HUP INT TERM

# The pages, relative to man/ (a .so request names its target that way).
(cd "$mandir" && for page in man3/*.3 man7/*.7; do
    [ -f "$page" ] && echo "$page"
done) > "$tmp.pages"
pages=$(wc -l < "$tmp.pages")
[ "$pages" -gt 0 ] || { echo "FAIL: no pages in $mandir"; exit 1; }

# The target of a one-line .so stub, or the page itself.
resolve() {
    target=$(sed -n '1s/^\.so[ 	]*\([^ 	]*\).*/\1/p' "$mandir/$1")
    echo "${target:-$1}"
}

while IFS= read -r page; do
    # lintian's command: any output on stderr is a warning.
    (cd "$mandir" &&
        LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
            man --warnings -E UTF-8 -l -Tutf8 -Z "$page" > /dev/null) 2> "$tmp.err"
    status=$?
    if [ "$status" -ne 0 ] || [ -s "$tmp.err" ]; then
        fail "man --warnings $page (exit $status):"
        sed 's/^/    /' "$tmp.err"
    fi
    # mandoc warns that .so stubs are fragile; Debian turns them into
    # symbolic links anyway, so only whole pages go through mandoc.
    target=$(resolve "$page")
    if [ "$target" = "$page" ] && command -v mandoc > /dev/null 2>&1; then
        if ! (cd "$mandir" && mandoc -Tlint -Wwarning "$page") > "$tmp.err" 2>&1; then
            fail "mandoc -Tlint -Wwarning $page:"
            sed 's/^/    /' "$tmp.err"
        fi
    elif [ ! -f "$mandir/$target" ]; then
        fail "$page: .so target $target does not exist"
    fi
    if ! grep -q "^[ 	]*man/$page\\( \\|\$\\)" "$man_am"; then
        fail "$page is not listed in man/man.am, so make install leaves it out"
    fi
done < "$tmp.pages"

# The public functions: lines that start with WEE_API; the name is the last
# identifier before the first parenthesis.
sed -n 's/^WEE_API[^(]*[^A-Za-z0-9_]\(wee_[A-Za-z0-9_]*\)[ 	]*(.*/\1/p' "$header" |
    LC_ALL=C sort -u > "$tmp.functions"
functions=$(wc -l < "$tmp.functions")
[ "$functions" -gt 0 ] || fail "found no WEE_API functions in $header"

while IFS= read -r fn; do
    page=man3/$fn.3
    if [ ! -f "$mandir/$page" ]; then
        fail "$fn is public (WEE_API in $header) but has no page $page"
        continue
    fi
    target=$(resolve "$page")
    [ -f "$mandir/$target" ] || continue
    grep -q "^\\.Nm $fn\\( \\|\$\\)" "$mandir/$target" ||
        fail "$target (for $fn) does not name $fn in NAME (.Nm $fn)"
    sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$mandir/$target" |
        grep -q "^\\.Fn $fn\\( \\|\$\\)" ||
        fail "$target (for $fn) does not show $fn in SYNOPSIS (.Fn $fn)"
done < "$tmp.functions"

# The drop-in malloc's functions, one name a line in lib/malloc.sym.
malloc_page=$mandir/man3/wee_alloc_malloc.3
malloc_sym=$srcdir/lib/malloc.sym
if [ ! -r "$malloc_sym" ] || [ ! -f "$malloc_page" ]; then
    fail "cannot read $malloc_sym or $malloc_page"
else
    while IFS= read -r fn; do
        sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$malloc_page" |
            grep -q "^\\.Fn $fn\\( \\|\$\\)" ||
            fail "wee_alloc_malloc.3 does not show $fn (lib/malloc.sym) in SYNOPSIS (.Fn $fn)"
        sed -n '/^\.Sh DESCRIPTION/,/^\.Sh RETURN VALUES/p' "$malloc_page" |
            grep -Eq "^\\.It Fn (.*, Fn )?$fn( ,|\$)" ||
            fail "wee_alloc_malloc.3 does not describe $fn (lib/malloc.sym) in DESCRIPTION (.It Fn $fn)"
    done < "$malloc_sym"
fi

echo "$pages pages checked; $functions public functions in $header."
if [ "$fail_count" -ne 0 ]; then
    echo "$fail_count problem(s) found."
    exit 1
fi
command -v mandoc > /dev/null 2>&1 || echo "(mandoc is not installed: only man --warnings was run)"
echo "PASS: every page is clean and every public function has one."
exit 0
