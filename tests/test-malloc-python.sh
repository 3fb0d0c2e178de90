#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# python3 builds a large JSON document, serialises it, reads it back and
# checks it, with and without libwee_alloc_malloc preloaded.  PYTHONMALLOC=
# malloc makes Python take every object from malloc instead of its own
# small-object allocator, so wee_alloc serves millions of calls.

# shellcheck source=tests/malloc-common.sh
. "${top_srcdir:-.}/tests/malloc-common.sh"

command -v python3 > /dev/null 2>&1 || skip "no python3 here"
find_preload
host_program_loads_preload python3

if [ "$scale_down" = 1 ]; then records=5000; else records=100000; fi

cat > "$tmp/build.py" <<'PY'
import json
import sys

n = int(sys.argv[1])
doc = {
    "records": [
        {
            "id": i,
            "name": "record-%06d" % i,
            "tags": ["t%d" % (i % k) for k in (3, 5, 7, 11)],
            "score": i * 0.25,
            "nested": {"even": i % 2 == 0, "square": i * i, "text": "x" * (i % 40)},
        }
        for i in range(n)
    ],
    "index": {"record-%06d" % i: i for i in range(0, n, 3)},
}
text = json.dumps(doc, sort_keys=True, indent=1)
back = json.loads(text)
if back != doc:
    sys.exit("the document read back differs")
sys.stdout.write(text)
sys.stdout.write("\n%d records, %d characters\n" % (n, len(text)))
PY

run_plain python env PYTHONMALLOC=malloc PYTHONHASHSEED=0 python3 "$tmp/build.py" "$records"
run_preloaded python env PYTHONMALLOC=malloc PYTHONHASHSEED=0 python3 "$tmp/build.py" "$records"
same_output python
# Each record is several Python objects, each from malloc.
check_stats python "$records"
