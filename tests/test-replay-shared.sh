#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The traces of the original wee_alloc's test suite, in $WEE_TRACES_DIR
# (CI sets it to ../shared/traces), replay with every check passing, and
# each takes at most 2 x its peak live bytes plus 1 MiB from the backend.
# SKIP (exit 77) when WEE_TRACES_DIR is unset, empty or not a directory.
set -u

if [ -z "${WEE_TRACES_DIR-}" ]; then
    echo "test-replay-shared: SKIP: WEE_TRACES_DIR is not set; the shared" \
         "traces were not replayed (e.g. make check" \
         "WEE_TRACES_DIR=../shared/traces)"
    exit 77
fi
if [ ! -d "$WEE_TRACES_DIR" ]; then
    echo "test-replay-shared: SKIP: WEE_TRACES_DIR=$WEE_TRACES_DIR is not" \
         "a directory; the shared traces were not replayed"
    exit 77
fi
exec sh "$(dirname "$0")/test-replay.sh" "$WEE_TRACES_DIR"
