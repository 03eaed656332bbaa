#!/usr/bin/env python3
"""Linking and procedures: messages/s and peak RSS on captures of a few sizes, up to 10 M messages.

    python benchmarks/bench_link.py [--sizes 10M,100M] [--captures ref-100M.pcap,...]
                                    [--out benchmarks/results/link.json]

Each capture runs in a fresh process, the way `chrtool diagnose` links: decode every batch and keep
only its compact link columns (chrtool/link/columns.py; timed with the decoding), then link every
message to its subscriber (chrtool.link.correlate.correlate_columns). Captures up to 200 MB also
build every subscriber's procedures from the whole decoded table (chrtool.link.procedures).
Reported: messages, subscribers, seconds and messages/s per stage, link-column bytes a message,
the size-scaling exponent of linking (time ~ messages^k), and the process's peak RSS.
--captures takes files in benchmarks/data (the reference ones: bench_diagnose.py writes them).
"""
import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
sys.path.insert(0, str(ROOT / "benchmarks"))

CHILD = r"""
import json, os, resource, sys, time
from chrtool.inputs.pipeline import Run
from chrtool.link.columns import LinkColumns
from chrtool.link.correlate import correlate_columns
t = time.perf_counter()
run = Run([sys.argv[1]])
lc = LinkColumns.for_inputs(run.nbytes)
for _, table in run.batches():
    lc.add_table(table)
lc.finish()
decode = time.perf_counter() - t
t = time.perf_counter(); s = correlate_columns(lc); link = time.perf_counter() - t
r = {"messages": lc.n, "subscribers": len(s.ues), "decode_and_columns_s": round(decode, 3),
     "link_s": round(link, 3), "link_msgs_per_s": round(lc.n / link),
     "column_bytes_per_message": round(lc.nbytes / lc.n, 1), "conflicts": len(s.conflicts)}
if os.path.getsize(sys.argv[1]) <= 200e6:
    from chrtool.link.correlate import correlate
    from chrtool.link.procedures import build
    del lc, s
    ev = Run([sys.argv[1]]).events()
    s = correlate(ev)
    t = time.perf_counter(); procs = build(ev, s); proc = time.perf_counter() - t
    r.update(procedures=len(procs), procedures_s=round(proc, 3),
             procedures_msgs_per_s=round(ev.n / proc))
r["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(r))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10M,100M", help="capture sizes (default 10M,100M)")
    ap.add_argument("--captures", default="", help="files in benchmarks/data instead of --sizes")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "link.json"))
    args = ap.parse_args(argv)
    import gen_captures
    results = []
    paths = [DATA / c for c in args.captures.split(",")] if args.captures else []
    for size in [] if args.captures else args.sizes.split(","):
        path = DATA / f"capture-{size}.pcap"
        if not path.exists():
            gen_captures.generate(path, gen_captures.parse_size(size))
        paths.append(path)
    for path in paths:
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                             text=True, check=True, cwd=ROOT)
        r = dict(json.loads(out.stdout.strip().splitlines()[-1]), input=path.name,
                 mb=round(path.stat().st_size / 1e6, 1))
        results.append(r)
        procs = (f"; {r['procedures']:,} procedures in {r['procedures_s']} s "
                 f"({r['procedures_msgs_per_s']:,} msg/s)" if "procedures" in r else "")
        print(f"{r['input']}: {r['messages']:,} messages, {r['subscribers']:,} subscribers; "
              f"decode + link columns {r['decode_and_columns_s']} s "
              f"({r['column_bytes_per_message']} B/message); link {r['link_s']} s "
              f"({r['link_msgs_per_s']:,} msg/s){procs}; peak RSS {r['peak_rss_mb']} MB")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        k = math.log(b["link_s"] / a["link_s"]) / math.log(b["messages"] / a["messages"])
        print(f"linking time ~ messages^{k:.2f}")
        for r in results:
            r["link_exponent"] = round(k, 3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    how = f"--captures {args.captures}" if args.captures else f"--sizes {args.sizes}"
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/bench_link.py " + how,
                                          "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
