#!/bin/sh
# SPDX-License-Identifier: MPL-2.0
#
# record-trace.sh - record the allocations of a real program as a trace that
# tests/replay can replay (the format of ../shared/traces/README.md).
#
# Usage:
#   tests/record-trace.sh OUTPUT.trace COMMAND [ARG...]
#       Run COMMAND under `valgrind --trace-malloc=yes` (standard input and
#       output pass through) and write its allocations to OUTPUT.trace.
#   tests/record-trace.sh --convert VALGRIND.log OUTPUT.trace
#       Convert a log that valgrind --trace-malloc=yes already wrote.
#
# Conversion rules:
#   malloc, calloc (n*size bytes), memalign/posix_memalign/aligned_alloc/
#   valloc (valgrind reports them all as memalign), operator new and new[]
#       -> Alloc(N)
#   free, cfree, operator delete and delete[] -> Free(I)
#   realloc(p, n) -> Free(I of p), then Alloc(n); realloc(NULL, n) is the
#       malloc(n) that valgrind reports inside it; realloc(p, 0) is the free
#       that valgrind reports inside it.
#   Failed calls (result 0) and free(NULL) are dropped.
# Only the process that valgrind started is recorded (events of forked
# children carry another pid and are ignored).  Use single-threaded
# programs: valgrind prints a call and its result separately, and another
# thread's call could come in between.
#
# Needs valgrind and python3.  Keep recorded traces small (under 1 MB):
# shrink the workload, never cut the trace, or blocks stay live at the end
# that the program really freed.
set -eu

usage() {
    echo "usage: $0 OUTPUT.trace COMMAND [ARG...]" >&2
    echo "       $0 --convert VALGRIND.log OUTPUT.trace" >&2
    exit 2
}

convert() {
    # $1: valgrind log, $2: output trace
    python3 - "$1" "$2" <<'PYTHON'
import re
import sys

log_path, out_path = sys.argv[1], sys.argv[2]

with open(log_path, encoding="utf-8", errors="replace") as f:
    lines = f.read().split("\n")

# The pid of the process valgrind started: the first "==PID==" line.
pid = None
for line in lines:
    m = re.match(r"==(\d+)==", line)
    if m:
        pid = m.group(1)
        break
if pid is None:
    sys.exit("record-trace: %s: not a valgrind log" % log_path)

# Calls and results can be split over lines ("realloc(p,0)free(p)" then
# " = 0"), so join this process's trace output and scan it as one stream.
prefix = "--%s-- " % pid
stream = "\n".join(l[len(prefix):] for l in lines if l.startswith(prefix))

TOKEN = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\((?P<args>[^()]*)\)"
    r"|(?P<result> = (?P<value>0x[0-9A-Fa-f]+|\d+|\(nil\)))")
NEW = re.compile(r"^(_Znw|_Zna|__builtin_new$|__builtin_vec_new$)")
DELETE = re.compile(r"^(free$|cfree$|_Zdl|_Zda|__builtin_delete$"
                    r"|__builtin_vec_delete$)")

out = []
index_of = {}      # live address -> allocation number
n_allocs = 0
pending = []       # calls waiting for their " = result"
unknown_frees = 0


def number(text):
    return int(text, 16) if text.startswith("0x") else int(text)


def emit_alloc(size, addr):
    global n_allocs
    out.append("Alloc(%d)," % size)
    index_of[addr] = n_allocs
    n_allocs += 1


def emit_free(addr):
    global unknown_frees
    if addr == 0:
        return
    i = index_of.pop(addr, None)
    if i is None:
        unknown_frees += 1
    else:
        out.append("Free(%d)," % i)


for m in TOKEN.finditer(stream):
    if m.group("result") is not None:
        if not pending:
            continue            # e.g. malloc_usable_size's " = N"
        kind, a, b = pending.pop()
        value = m.group("value")
        addr = 0 if value == "(nil)" else number(value)
        if kind == "alloc" and addr != 0:
            emit_alloc(a, addr)
        elif kind == "realloc" and addr != 0:
            emit_free(a)
            emit_alloc(b, addr)
        continue
    name, args = m.group("name"), m.group("args")
    nums = [number(x) for x in re.findall(r"0x[0-9A-Fa-f]+|\d+", args)]
    if name == "malloc" and len(nums) == 1:
        pending.append(("alloc", nums[0], None))
    elif name == "calloc" and len(nums) == 2:
        pending.append(("alloc", nums[0] * nums[1], None))
    elif name == "memalign" and len(nums) == 2:
        pending.append(("alloc", nums[1], None))
    elif NEW.match(name) and nums:
        pending.append(("alloc", nums[0], None))
    elif name == "realloc" and len(nums) == 2:
        if nums[0] != 0:        # realloc(NULL, n) reports a malloc inside
            pending.append(("realloc", nums[0], nums[1]))
    elif name == "malloc_usable_size":
        pending.append(("ignore", None, None))
    elif DELETE.match(name) and nums:
        emit_free(nums[0])

if pending:
    sys.exit("record-trace: %s: %d calls without a result at the end; "
             "was the program multi-threaded?" % (log_path, len(pending)))

with open(out_path, "w", encoding="ascii") as f:
    f.write("\n".join(out) + ("\n" if out else ""))

size = sum(len(l) + 1 for l in out)
print("record-trace: %s: %d events, %d allocations, %d still live at the "
      "end, %d bytes" % (out_path, len(out), n_allocs, len(index_of), size),
      file=sys.stderr)
if unknown_frees:
    print("record-trace: warning: %d frees of addresses never allocated "
          "were dropped" % unknown_frees, file=sys.stderr)
if size >= 1 << 20:
    print("record-trace: warning: the trace is 1 MB or more; shrink the "
          "workload", file=sys.stderr)
PYTHON
}

[ $# -ge 2 ] || usage

if [ "$1" = "--convert" ]; then
    [ $# -eq 3 ] || usage
    convert "$2" "$3"
    exit 0
fi

out=$1
shift
log=$(mktemp "${TMPDIR:-/tmp}/record-trace.XXXXXX")
trap 'rm -f "$log"' EXIT

# The program's own exit status does not matter for its trace, but say so.
status=0
valgrind --trace-malloc=yes --leak-check=no --undef-value-errors=no \
    --log-file="$log" -- "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "record-trace: note: '$1' exited with status $status" >&2
fi
convert "$log" "$out"
