#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# The traces recorded by this project (tests/traces/*.trace) replay with
# every check passing, and each takes at most 2 x its peak live bytes plus
# 1 MiB from the backend.
set -u

here=$(dirname "$0")
traces=${top_srcdir:-$here/..}/tests/traces
exec sh "$here/test-replay.sh" "$traces"
