# SPDX-License-Identifier: MPL-2.0
"""Write LINES lines of 1-4 pseudo-random words to standard output.

The input of the sort and perl traces (see README.md).  The words come
from a fixed vocabulary of 5000 and the generator is seeded, so the same
arguments give the same file with any Python 3.
"""
import random
import sys

lines = int(sys.argv[1])
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
letters = "abcdefghijklmnopqrstuvwxyz"
vocabulary = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 12)))
              for _ in range(5000)]
out = sys.stdout
for _ in range(lines):
    out.write(" ".join(rng.choice(vocabulary)
                       for _ in range(rng.randint(1, 4))) + "\n")
