#!/usr/bin/env python3
"""Text inputs at scale (issue 16): peak RSS and MB/s of `chrtool stats` on

- a vendor CSV of --csv-rows rows (default 1M, ~160 MB) with damage in it: a bad byte at line
  900,002, a row with an unterminated quote and a 5 MB field, and one row in a thousand with a
  quoted value holding newlines (RFC 4180), beside an intact copy of the same rows on one line
  each (the pair shows what damage and values with newlines cost), and
- a 32.423 trace XML of --xml-mb MB (default 200) holding one traceRecSession.

    python benchmarks/bench_text_inputs.py [--csv-rows 1000000] [--xml-mb 200]

Each run is its own process (peak RSS: its own ru_maxrss). The CSV run also checks that
every row but the two damaged ones is kept. Target: at most 300 MB RSS for each. Writes
benchmarks/results/text_inputs.json. Data goes to benchmarks/data/ (not committed).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
TARGET_MB = 300


def make_csv(path, rows, damage=True):
    """The CSV; returns the number of rows the damage costs."""
    lines = (ROOT / "samples" / "vendor_huawei_chr.csv").read_bytes().rstrip(b"\n").split(b"\n")
    header, body = lines[0], lines[1:]
    imsi = lambda ln: ln.index(b",", ln.index(b",") + 1) + 1         # the third field
    damage = {900_002: lambda ln: ln[:20] + b"\xff" + ln[20:],        # bad byte: its row
              900_010: lambda ln: ln[:imsi(ln)] + b'"' + ln[imsi(ln):],  # open quote: its row
              900_020: lambda ln: ln + b"x" * (5 << 20)} if damage else {}  # huge field: cut
    with open(path, "wb") as fh:
        fh.write(header + b"\n")
        chunk = []
        for i in range(rows):
            line_no = i + 2
            ln = body[i % len(body)]
            if line_no in damage:
                ln = damage[line_no](ln)
            elif damage and i % 1000 == 500:                       # Vendor Extra, 3 lines
                ln = ln[:-1] + b'"x\n""y""\r\nz"'
            chunk.append(ln)
            if len(chunk) == 10_000:
                fh.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            fh.write(b"\n".join(chunk) + b"\n")
    return sum(1 for k in damage if k <= rows + 1 and k != 900_020)


def make_xml(path, mb):
    head = (b'<?xml version="1.0"?><traceCollecFile xmlns="http://www.3gpp.org/ftp/specs/'
            b'archive/32_series/32.423#traceData"><fileHeader><traceCollec beginTime='
            b'"2026-11-27T09:00:00Z"/></fileHeader><traceRecSession stime='
            b'"2026-11-27T09:01:00Z"><ue idType="IMSI" idValue="001010000000005"/>\n')
    msg = (b'<msg function="S1" name="UEContextReleaseRequest" changeTime="1.5"><rawMsg '
           b'protocol="S1AP">0012400d0000020000000200010008400200</rawMsg></msg>\n')
    n = (mb << 20) // len(msg)
    with open(path, "wb") as fh:
        fh.write(head)
        block = msg * 10_000
        for _ in range(n // 10_000):
            fh.write(block)
        fh.write(msg * (n % 10_000))
        fh.write(b"</traceRecSession></traceCollecFile>\n")
    return n


CHILD = """import resource, runpy, sys
sys.argv = ["chrtool", "stats", "--json", sys.argv[1]]
try:
    runpy.run_module("chrtool", run_name="__main__")
finally:
    print("peak-rss-kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def stats(path):
    """`chrtool stats --json` in a child of its own: (summary, seconds, peak RSS MB, stderr)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                         text=True, env=env)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"chrtool stats {path} failed ({out.returncode}): {out.stderr[-2000:]}")
    rss = int(out.stderr.rsplit("peak-rss-kb", 1)[1].split()[0]) / 1024
    return json.loads(out.stdout), elapsed, rss, out.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv-rows", type=int, default=1_000_000,
                    help="rows of each vendor CSV (default 1000000)")
    ap.add_argument("--xml-mb", type=int, default=200,
                    help="size of the one-session trace XML in MB (default 200)")
    args = ap.parse_args()
    DATA.mkdir(exist_ok=True)
    results = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count()}

    for key, damage in (("csv_intact", False), ("csv", True)):
        csv_path = DATA / f"text_bench_{args.csv_rows}{'' if damage else '_intact'}.csv"
        skipped = make_csv(csv_path, args.csv_rows, damage)
        summary, secs, rss, err = stats(csv_path)
        size = csv_path.stat().st_size / 2**20
        kept = summary.get("messages", summary.get("rows"))
        results[key] = {"rows": args.csv_rows, "mb": round(size, 1), "seconds": round(secs, 2),
                        "mb_per_s": round(size / secs, 1), "peak_rss_mb": round(rss, 1),
                        "rows_kept": kept, "rows_expected": args.csv_rows - skipped,
                        "problems_reported": err.count("chrtool: warning:")}

    xml_path = DATA / f"text_bench_{args.xml_mb}mb.xml"
    n = make_xml(xml_path, args.xml_mb)
    summary, secs, rss, err = stats(xml_path)
    size = xml_path.stat().st_size / 2**20
    results["xml"] = {"mb": round(size, 1), "messages": n, "seconds": round(secs, 2),
                      "mb_per_s": round(size / secs, 1), "peak_rss_mb": round(rss, 1),
                      "rows_kept": summary.get("messages", summary.get("rows"))}

    (HERE / "results" / "text_inputs.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| input | MB | s | MB/s | peak RSS MB | rows kept / expected |")
    print("| --- | --- | --- | --- | --- | --- |")
    x = results["xml"]
    for key, what in (("csv_intact", "intact"), ("csv", "damaged, values with newlines")):
        c = results[key]
        print(f"| CSV {c['rows']} rows, {what} | {c['mb']} | {c['seconds']} | {c['mb_per_s']} | "
              f"{c['peak_rss_mb']} | {c['rows_kept']} / {c['rows_expected']} |")
    print(f"| XML one session | {x['mb']} | {x['seconds']} | {x['mb_per_s']} | "
          f"{x['peak_rss_mb']} | {x['rows_kept']} / {x['messages']} |")
    worst = max(results["csv"]["peak_rss_mb"], results["csv_intact"]["peak_rss_mb"],
                x["peak_rss_mb"])
    print(f"target: <= {TARGET_MB} MB RSS each: {'met' if worst <= TARGET_MB else 'NOT met'}")
    lost = [k for k in ("csv_intact", "csv", "xml") if results[k]["rows_kept"] !=
            results[k].get("rows_expected", results[k].get("messages"))]
    print("rows kept as expected: " + (f"NOT for {', '.join(lost)}" if lost else "all"))
    if lost or worst > TARGET_MB:
        sys.exit(1)

if __name__ == "__main__":
    main()
