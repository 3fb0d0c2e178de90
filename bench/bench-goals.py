#!/usr/bin/env python3
# SPDX-License-Identifier: MPL-2.0
"""bench-goals.py RESULTS.json [--no-size-classes OTHER] [--markdown|--tables]

Check wee-bench's figures (its --json output, from the default
configuration) against the goals of the benchmark issue and print, for each
goal and each workload it covers, the figure, the limit and whether it is
met.  The goal "without size classes, within 2x of the default's time" needs
the figures of a build configured with --disable-size-classes: OTHER is
either the allocator of RESULTS.json that ran it (wee-bench --wee-variant
no-size-classes=LIBRARY makes "wee:no-size-classes"), or the JSON file of a
separate run of that build.  Without it that goal is reported as not
measured.  A separate run is less sure: the other comparisons use figures
measured in one run, interleaved.

With --tables, print instead the figures of RESULTS.json as two Markdown
tables, time and memory, one row a workload (for README.md).

Exit status: 0 when every measured goal is met, 1 otherwise, 2 on bad input.
"""

import argparse
import json
import sys

KIB = 1024


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("%s: %s: %s" % (sys.argv[0], path, e))
    return data, {(r["workload"], r["allocator"]): r for r in data["results"] if r["ok"]}


def workloads(data):
    """The workloads in the order wee-bench ran them."""
    seen = []
    for r in data["results"]:
        if r["workload"] not in seen:
            seen.append(r["workload"])
    return seen


def kib(v):
    return "-" if v is None else "{:,}".format(int(round(v / KIB)))


def tables(data, res):
    """The figures as two Markdown tables: time, then memory."""
    allocs = [a["name"] for a in data["allocators"] if a["selected"]]

    def get(w, a, key):
        r = res.get((w, a))
        return None if r is None else r.get(key)

    print("Time per call, ns (median of %d runs):\n" % data["runs"])
    print("| workload | " + " | ".join(allocs) + " | wee_alloc / system |")
    print("|---|" + "---:|" * (len(allocs) + 1))
    for w in workloads(data):
        cells = []
        for a in allocs:
            v = get(w, a, "ns_per_op")
            cells.append("-" if v is None else "%.1f" % v)
        wv, sv = get(w, "wee_alloc", "ns_per_op"), get(w, "system", "ns_per_op")
        ratio = "%.2f" % (wv / sv) if wv and sv else "-"
        print("| %s | %s | %s |" % (w, " | ".join(cells), ratio))
    print("\nMemory, KiB: the peak live bytes the workload asked for, the bytes "
          "wee_alloc took from its backend, and every allocator's peak RSS growth:\n")
    print("| workload | peak live | wee_alloc backend | " + " | ".join("%s RSS" % a for a in allocs) + " |")
    print("|---|" + "---:|" * (len(allocs) + 2))
    for w in workloads(data):
        live = next((get(w, a, "peak_live") for a in allocs if get(w, a, "peak_live")), None)
        print("| %s | %s | %s | %s |" % (w, kib(live), kib(get(w, "wee_alloc", "backend_bytes")),
                                         " | ".join(kib(get(w, a, "rss_growth")) for a in allocs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[2])
    ap.add_argument("results")
    ap.add_argument("--no-size-classes", metavar="OTHER.json")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--tables", action="store_true", help="print the figures as Markdown tables")
    args = ap.parse_args()

    data, res = load(args.results)
    if args.tables:
        tables(data, res)
        return 0
    if not data["wee_alloc"]["size_classes"]:
        sys.exit("%s: %s is from a build without size classes; give the default "
                 "build's figures first" % (sys.argv[0], args.results))
    traces = [w for w in workloads(data) if w.startswith("trace:")]
    rows = []   # (goal, workload, figure text, limit text, met: True/False/None)

    def wee(w):
        return res.get((w, "wee_alloc"))

    def add(goal, workload, figure, limit, met):
        rows.append((goal, workload, figure, limit, met))

    # Time: wee_alloc no slower than the system malloc, same run.
    for w in traces + ["churn-small", "churn-mixed", "realloc-grow"]:
        a, s = wee(w), res.get((w, "system"))
        if a and s:
            r = a["ns_per_op"] / s["ns_per_op"]
            add("time vs system", w, "%.1f / %.1f ns = %.2f" % (a["ns_per_op"], s["ns_per_op"], r),
                "<= 1.00", r <= 1.0)
        else:
            add("time vs system", w, "not measured", "<= 1.00", None)

    # Scaling: 100 000 live blocks at most 2x the time at 1 000.
    a, b = wee("scaling-100k"), wee("scaling-1k")
    if a and b:
        r = a["ns_per_op"] / b["ns_per_op"]
        add("scaling", "scaling-100k / scaling-1k",
            "%.1f / %.1f ns = %.2f" % (a["ns_per_op"], b["ns_per_op"], r), "<= 2.00", r <= 2.0)
    else:
        add("scaling", "scaling-100k / scaling-1k", "not measured", "<= 2.00", None)

    # Memory: backend bytes within 1.25 x peak live + 256 KiB.
    for w in traces + ["churn-mixed"]:
        a = wee(w)
        if a:
            limit = 1.25 * a["peak_live"] + 256 * KIB
            add("memory", w, "%.0f KiB for %.0f KiB live (%.2fx)"
                % (a["backend_bytes"] / KIB, a["peak_live"] / KIB, a["backend_bytes"] / a["peak_live"]),
                "<= %.0f KiB" % (limit / KIB), a["backend_bytes"] <= limit)
        else:
            add("memory", w, "not measured", "1.25 x live + 256 KiB", None)

    # fragment: no worse than the system malloc's peak RSS growth.
    a, s = wee("fragment"), res.get(("fragment", "system"))
    if a and s and s["rss_growth"]:
        add("fragment memory", "fragment",
            "backend %.0f KiB (RSS %.0f KiB) vs system RSS %.0f KiB = %.2f"
            % (a["backend_bytes"] / KIB, a["rss_growth"] / KIB, s["rss_growth"] / KIB,
               a["backend_bytes"] / s["rss_growth"]),
            "<= 1.00", a["backend_bytes"] <= s["rss_growth"])
    else:
        add("fragment memory", "fragment", "not measured", "<= system RSS", None)

    # Without size classes: within 2x of the default configuration's time.
    if args.no_size_classes:
        other = args.no_size_classes
        if any(al == other for (_, al) in res):
            ores, oname, how = res, other, "same run"
        else:
            odata, ores = load(other)
            if odata["wee_alloc"]["size_classes"]:
                sys.exit("%s: %s is from a build with size classes" % (sys.argv[0], other))
            oname, how = "wee_alloc", "separate run"
        for w in [w for w in workloads(data) if (w, "wee_alloc") in res]:
            a, o = wee(w), ores.get((w, oname))
            if a and o:
                r = o["ns_per_op"] / a["ns_per_op"]
                add("no size classes", w, "%.1f / %.1f ns = %.2f (%s)"
                    % (o["ns_per_op"], a["ns_per_op"], r, how), "<= 2.00", r <= 2.0)
            else:
                add("no size classes", w, "not measured", "<= 2.00", None)
    else:
        add("no size classes", "every workload", "not measured (give --no-size-classes)", "<= 2.00", None)

    # Threads: 2 threads no slower than 2.5x one thread, per call.
    a, b = wee("threads-2"), wee("threads-1")
    if a and b:
        r = a["ns_per_op"] / b["ns_per_op"]
        add("threads", "threads-2 / threads-1",
            "%.1f / %.1f ns = %.2f" % (a["ns_per_op"], b["ns_per_op"], r), "<= 2.50", r <= 2.5)
    else:
        add("threads", "threads-2 / threads-1", "not measured", "<= 2.50", None)

    word = {True: "met", False: "NOT met", None: "not measured"}
    if args.markdown:
        print("| goal | workload | figure | limit | |")
        print("|---|---|---|---|---|")
        for g, w, f, l, m in rows:
            print("| %s | %s | %s | %s | %s |" % (g, w, f, l, "**NOT met**" if m is False else word[m]))
    else:
        for g, w, f, l, m in rows:
            print("%-16s %-28s %-58s %-14s %s" % (g, w, f, l, word[m]))
    met = sum(1 for r in rows if r[4] is True)
    missed = sum(1 for r in rows if r[4] is False)
    print("\n%d met, %d not met, %d not measured (%s%s)" % (
        met, missed, sum(1 for r in rows if r[4] is None), data["date"],
        ", --quick: not a measurement" if data.get("quick") else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
