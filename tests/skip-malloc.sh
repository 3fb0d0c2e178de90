#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# Stands in for the tests of libwee_alloc_malloc when configure did not
# build it, so that the summary shows a SKIP instead of fewer tests.
echo "libwee_alloc_malloc was not built: configure says why in its summary"
echo "(\"Malloc replacement:\"); --enable-malloc-replacement makes that an error."
exit 77
