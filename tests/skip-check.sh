#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
# Stands in for the Check unit tests when configure found no usable Check,
# so that the test summary shows a SKIP instead of quietly running fewer tests.
echo "The unit tests were not built: configure found no usable Check framework."
echo "Install it (Debian: apt-get install check) and run configure again;"
echo "configure --with-check=yes makes a missing Check an error."
exit 77
