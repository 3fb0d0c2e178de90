#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# Bootstrap the build system from a git checkout: creates configure,
# Makefile.in and build-aux/.  Release tarballs do not need this.
set -e
cd "$(dirname "$0")"
exec autoreconf -fi
