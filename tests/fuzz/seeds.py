#!/usr/bin/env python3
# SPDX-License-Identifier: MPL-2.0
#
# seeds.py [DIR] - write the hand-made seed inputs of tests/fuzz/corpus
# (default: the corpus directory beside this script).  The build never runs
# it: the seeds are committed; this says what each one does, in the input
# format of fuzz-heap.c, and makes them again after a format change.
import os
import sys

MALLOC, CALLOC, REALLOC, ALIGNED, FREE, HEAP_IN, CHECK, POSIX_MEMALIGN, \
    REWRITE, FREE_ALL = range(10)


def size(n):
    """The bytes that encode request size n (fuzz-heap.c, S)."""
    if n < 0x80:
        return [n]
    if n < 30720:
        return [0x80 + (n >> 8), n & 0xff]
    assert n % 16 == 0 and n < 4 << 20
    return [0xf8 | n >> 20, (n >> 12) & 0xff, (n >> 4) & 0xff]


def impossible(k):
    """An impossible size: near SIZE_MAX or SIZE_MAX/2 (k picks which)."""
    return [0xfc, k]


def heap_in(buffer, length, misalign=0):
    assert length % 4 == 0 and length < 4 << 16
    return [HEAP_IN, (length // 4) >> 8, (length // 4) & 0xff,
            buffer << 4 | misalign]


seeds = {}

# The basics on the default heap, through the three ways of calling it.
b = []
for h, n in [(0, 0), (0, 16), (1, 300), (2, 5000), (0, 70000), (1, 1), (2, 63)]:
    b += [MALLOC, h] + size(n)
b += [CALLOC, 0, 10] + size(24)
b += [CALLOC, 1, 0] + size(100)
b += [CHECK]
b += [REALLOC, 0] + size(4000)
b += [REALLOC, 1] + size(8)
b += [REALLOC, 2] + size(0)
b += [REWRITE, 3]
b += [FREE, 0, FREE, 1, FREE, 2, CHECK]
seeds['basics'] = b

# A heap in a caller's buffer: fill it until requests fail, resize, take
# a misaligned buffer and refuse a too small one; make a new heap in a
# buffer.
b = heap_in(0, 65536)
for n in [16, 200, 1000, 3000, 20000, 40000, 60000]:
    b += [MALLOC, 4] + size(n)
b += [ALIGNED, 4, 8] + size(100)
b += [REALLOC, 5] + size(30000)
b += [CALLOC, 4, 3] + size(1000)
b += [CHECK]
b += heap_in(1, 65536, 8)
b += heap_in(2, 64)
b += heap_in(3, 262140)
b += [MALLOC, 7] + size(100000)
b += [FREE_ALL, 4]
b += [MALLOC, 4] + size(2000)
b += heap_in(0, 65536)
b += [MALLOC, 4] + size(10)
b += [CHECK]
seeds['heap-in'] = b

# Alignments: powers of two up to 2^20, impossible and invalid ones, on the
# default heap and in a buffer; posix_memalign's stricter rule.
b = []
for a in [0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 20, 21, 30, 0x3f, 0x3d]:
    b += [ALIGNED, a % 3, a] + size(a * 7 % 500)
for a in [0x80, 0x81, 0x82, 0xa0, 0xff]:
    b += [ALIGNED, 0, a] + size(32)
for a in [0, 2, 3, 4, 12, 0x3f, 0x81]:
    b += [POSIX_MEMALIGN, a] + size(40)
b += heap_in(0, 32768)
for a in [6, 10, 13, 16, 25, 0x3f]:
    b += [ALIGNED, 4, a] + size(64)
b += [REALLOC, 7] + size(9000)
b += [CHECK]
seeds['alignment'] = b

# Impossible requests: sizes near SIZE_MAX and SIZE_MAX/2, an overflowing
# calloc; they fail with ENOMEM and take nothing from the backend.
b = []
for k in range(8):
    b += [MALLOC, k % 3] + impossible(k)
b += [CALLOC, 0, 255] + size(2)
b += [CALLOC, 0, 255] + size(0)
b += [CALLOC, 0, 2] + impossible(3)
b += [MALLOC, 0] + size(100)
b += [REALLOC, 0] + impossible(0)
b += [REALLOC, 0] + impossible(4)
b += [ALIGNED, 0, 4] + impossible(1)
b += [POSIX_MEMALIGN, 4] + impossible(5)
b += heap_in(0, 65536)
b += [MALLOC, 4] + impossible(2)
b += [MALLOC, 4] + size(2 << 20)
b += [CHECK]
seeds['impossible'] = b

# Size classes: small blocks churned, reallocs across the class boundary.
b = []
for i in range(40):
    b += [MALLOC, i % 3] + size(i * 13 % 64)
for i in range(20):
    b += [FREE, i * 7 % 23]
for n in [2040, 2048, 2056, 2064, 4096]:
    b += [MALLOC, 0] + size(n)
for i in range(10):
    b += [REALLOC, i * 3] + size(2030 + i * 8 if i % 2 else 24)
b += [CHECK]
for i in range(30):
    b += [MALLOC, 1] + size(i)
b += [FREE_ALL, 0, CHECK]
seeds['size-classes'] = b

# The heap from wee_heap_new beside the default heap.
b = []
for n in [8, 100, 1000, 70000, 300000]:
    b += [MALLOC, 3] + size(n)
b += [CALLOC, 3, 4] + size(50)
b += [ALIGNED, 3, 12] + size(5000)
b += [REALLOC, 1] + size(200000)
b += [MALLOC, 0] + size(100)
b += [CHECK, FREE_ALL, 3, CHECK]
seeds['new-heap'] = b

out = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
for name, data in seeds.items():
    with open(os.path.join(out, 'seed-' + name), 'wb') as f:
        f.write(bytes(data))
