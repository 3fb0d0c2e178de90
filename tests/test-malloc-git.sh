#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# git creates a repository (fast-import of a generated history), checks it,
# logs it and repacks it, with and without libwee_alloc_malloc preloaded.
# Fixed names and dates make both repositories the same, commit ids too.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

command -v git > /dev/null 2>&1 || skip "no git here (Debian: apt-get install git)"
find_preload
host_program_loads_preload git

if [ "$scale_down" = 1 ]; then commits=40; else commits=400; fi

# No user or system configuration, no pager, no terminal.
HOME=$tmp
GIT_CONFIG_NOSYSTEM=1
GIT_PAGER='cat'
export HOME GIT_CONFIG_NOSYSTEM GIT_PAGER

# A history of $commits commits touching a few of 20 files each.
awk -v n="$commits" 'BEGIN {
    for (c = 1; c <= n; c++) {
        print "commit refs/heads/main"
        printf "mark :%d\n", c
        printf "author Wee Alloc <wee@example.org> %d +0000\n", 1000000000 + c * 3600
        printf "committer Wee Alloc <wee@example.org> %d +0000\n", 1000000000 + c * 3600
        msg = sprintf("change %d: files %d and %d", c, c % 20, (c * 7) % 20)
        printf "data %d\n%s\n", length(msg), msg
        if (c > 1) printf "from :%d\n", c - 1
        for (k = 0; k < 2; k++) {
            f = k ? (c * 7) % 20 : c % 20
            body = ""
            for (l = 0; l < 5 + c % 30; l++)
                body = body sprintf("file %d line %d of commit %d\n", f, l, c)
            printf "M 100644 inline dir%d/file%d.txt\n", f % 4, f
            printf "data %d\n%s\n", length(body), body
        }
    }
}' > "$tmp/history" || fail "cannot write the history"

for mode in plain wee; do
    git init -q -b main "$tmp/$mode" || fail "git init failed"
done

# run MODE NAME GIT-ARGS...: git in repository MODE, as run_plain or
# run_preloaded according to MODE.
run() {
    mode=$1
    name=$2
    shift 2
    if [ "$mode" = plain ]; then
        run_plain "$name" git -C "$tmp/$mode" "$@"
    else
        run_preloaded "$name" git -C "$tmp/$mode" "$@"
    fi
}

for mode in plain wee; do
    run "$mode" import fast-import --quiet < "$tmp/history"
done
same_output import
check_stats import

for step in fsck "log --stat -p" "repack -a -d -q" "log --format=%H%x20%s --name-status"; do
    name=$(echo "$step" | tr -c 'a-z\n' '-')
    for mode in plain wee; do
        # shellcheck disable=SC2086 # $step is several arguments
        run "$mode" "$name" $step
    done
    same_output "$name"
    check_stats "$name"
done
