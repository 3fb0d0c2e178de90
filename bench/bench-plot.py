#!/usr/bin/env python3
# SPDX-License-Identifier: MPL-2.0
"""bench-plot.py [--gnuplot PROGRAM] RESULTS.json OUT.png

`make bench-plot`: draw wee-bench's figures (its --json output) as one PNG
with gnuplot, in three panels:
  1. scaling: time per call against the number of live blocks;
  2. traces: time per call on every trace, one bar per allocator;
  3. traces: memory against the peak live bytes (peak RSS growth for every
     allocator, and the bytes wee_alloc took from its backend), with the
     goal of the issue (1.25 x live + 256 KiB) drawn for each trace.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

SCALING = [("scaling-1k", 1000), ("scaling-10k", 10000), ("scaling-100k", 100000)]
GOAL_RATIO = 1.25
GOAL_SLACK = 256 * 1024
# One colour per allocator in every panel (the Okabe-Ito palette).
COLOURS = {"wee_alloc": "#8e44ad", "wee_alloc-backend": "#3b0a57", "system": "#009e73",
           "jemalloc": "#56b4e9", "mimalloc": "#e69f00", "tcmalloc": "#d55e00"}


def colour(name):
    return COLOURS.get(name, "#777777")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[2])
    ap.add_argument("--gnuplot", default="gnuplot")
    ap.add_argument("results")
    ap.add_argument("png")
    args = ap.parse_args()

    with open(args.results, encoding="utf-8") as f:
        data = json.load(f)
    allocs = [a["name"] for a in data["allocators"] if a["selected"]]
    res = {(r["workload"], r["allocator"]): r for r in data["results"] if r["ok"]}
    traces = []
    for r in data["results"]:
        if r["group"] == "traces" and r["workload"] not in traces:
            traces.append(r["workload"])
    have_scaling = any((w, a) in res for w, _ in SCALING for a in allocs)
    if not have_scaling and not traces:
        sys.exit("%s: no scaling or trace results in %s" % (sys.argv[0], args.results))

    def cell(workload, alloc, key, scale=1.0):
        r = res.get((workload, alloc))
        if r is None or r.get(key) is None:
            return "NaN"
        return "%.6g" % (r[key] * scale)

    with tempfile.TemporaryDirectory() as tmp:
        scaling = os.path.join(tmp, "scaling.dat")
        with open(scaling, "w", encoding="utf-8") as f:
            f.write("live " + " ".join(allocs) + "\n")
            for w, live in SCALING:
                f.write("%d %s\n" % (live, " ".join(cell(w, a, "ns_per_op") for a in allocs)))
        ttime = os.path.join(tmp, "trace-time.dat")
        tmem = os.path.join(tmp, "trace-mem.dat")
        mem_cols = ["goal"] + ["wee_alloc-backend"] + allocs
        with open(ttime, "w", encoding="utf-8") as f, open(tmem, "w", encoding="utf-8") as g:
            f.write("trace " + " ".join(allocs) + "\n")
            g.write("trace " + " ".join(mem_cols) + "\n")
            for t in traces:
                name = t.split(":", 1)[1]
                f.write("%s %s\n" % (name, " ".join(cell(t, a, "ns_per_op") for a in allocs)))
                live = next((res[(t, a)]["peak_live"] for a in allocs if (t, a) in res), None)
                if not live:
                    continue
                goal = (GOAL_RATIO * live + GOAL_SLACK) / live
                row = ["%.6g" % goal, cell(t, "wee_alloc", "backend_bytes", 1.0 / live)]
                row += [cell(t, a, "rss_growth", 1.0 / live) for a in allocs]
                g.write("%s %s\n" % (name, " ".join(row)))

        cfg = data.get("wee_alloc", {})
        title = "wee-bench %s, %s (%s CPUs); wee_alloc %s, size classes %s; median of %d run%s" % (
            data.get("date", "?"), data.get("cpu", "?"), data.get("cpus", "?"),
            cfg.get("version", "?"), "yes" if cfg.get("size_classes") else "no",
            data.get("runs", 0), "" if data.get("runs") == 1 else "s")
        if data.get("quick"):
            title += " (--quick: smoke test only)"
        panels = (1 if have_scaling else 0) + (2 if traces else 0)
        height = 420 * panels + 60
        script = [
            "set terminal pngcairo size 1200,%d font 'sans,10' noenhanced" % height,
            "set output '%s'" % args.png.replace("'", "''"),
            "set multiplot layout %d,1 title '%s' font 'sans,11'" % (panels, title.replace("'", "''")),
            "set key outside right top",
            "set grid ytics",
        ]
        if have_scaling:
            script += [
                "set title 'scaling: churn of 8-256 B blocks, time per call against the live blocks'",
                "set logscale x 10",
                "set xrange [700:140000]",
                "set xlabel 'live blocks'",
                "set ylabel 'ns per call'",
                "set yrange [0:*]",
                "plot " + ", ".join(
                    "'%s' using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' title columnheader(%d)"
                    % (scaling, i + 2, colour(a), i + 2) for i, a in enumerate(allocs)),
                "unset logscale x",
                "unset xlabel",
                "set xrange [*:*]",
            ]
        if traces:
            script += [
                "set style data histograms",
                "set style histogram clustered gap 1",
                "set style fill solid 0.85 border -1",
                "set boxwidth 0.9",
                "set xtics rotate by -30 left",
                "set title 'traces: time per call (log scale)'",
                "set ylabel 'ns per call'",
                "set logscale y 10",
                "set yrange [*:*]",
                "plot " + ", ".join(
                    "'%s' using %d:xtic(1) lc rgb '%s' title columnheader(%d)"
                    % (ttime, i + 2, colour(a), i + 2) for i, a in enumerate(allocs)),
                "set title 'traces: peak memory / peak live bytes (wee_alloc-backend: bytes from its "
                "backend; the others: peak RSS growth; line: the goal 1.25 x live + 256 KiB)'",
                "set ylabel 'x peak live bytes'",
                "plot " + ", ".join(
                    "'%s' using %d:xtic(1) lc rgb '%s' title columnheader(%d)"
                    % (tmem, i + 3, colour(a), i + 3) for i, a in enumerate(mem_cols[1:]))
                + ", '%s' using 0:2 with linespoints lc rgb 'black' lw 2 pt 5 "
                "title columnheader(2)" % tmem,
            ]
        script.append("unset multiplot")
        gp = os.path.join(tmp, "plot.gp")
        with open(gp, "w", encoding="utf-8") as f:
            f.write("\n".join(script) + "\n")
        subprocess.run([args.gnuplot, gp], check=True)
    print("wrote %s" % args.png)


if __name__ == "__main__":
    main()
