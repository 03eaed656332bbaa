#!/usr/bin/env python3
"""Linking and procedures: messages/s and peak RSS on captures of a few sizes, up to 10 M messages.

    python benchmarks/bench_link.py [--sizes 10,100,1000] [--repeat 3]
                                    [--captures ref-100M.pcap,...] [--out benchmarks/results/link.json]

Each capture runs in a fresh process, the way `chrtool diagnose` links: decode every batch and keep
only its compact link columns (chrtool/link/columns.py; timed with the decoding), then link every
message to its subscriber (chrtool.link.correlate.correlate_columns). Captures up to 200 MB also
build every subscriber's procedures from the whole decoded table (chrtool.link.procedures).
Reported: messages, subscribers, seconds and messages/s per stage, link-column bytes a message,
the size-scaling exponent of linking (time ~ messages^k, least squares over the captures), and
the process's peak RSS. The captures are the reference ones (benchmarks/common.py: ref-<N>M.pcap
for --sizes N, generated when missing); --captures takes other files in benchmarks/data. Each
runs --repeat times (procedures on the first run only): the medians are reported, with the
min-max of the link rate.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import QUICK_SIZES, exponent, reference_capture, sizes_arg, spread  # noqa: E402

CHILD = r"""
import json, os, resource, sys, time
from chrtool.inputs.pipeline import Run
from chrtool.link.columns import LinkColumns
from chrtool.link.correlate import correlate_columns
t = time.perf_counter()
run = Run([sys.argv[1]])
lc = LinkColumns.for_inputs(run.nbytes, len(run.sources))      # as chrtool diagnose does
for _, table in run.batches():
    lc.add_table(table)
lc.finish()
decode = time.perf_counter() - t
t = time.perf_counter(); s = correlate_columns(lc); link = time.perf_counter() - t
r = {"messages": lc.n, "subscribers": len(s.ues), "decode_and_columns_s": round(decode, 3),
     "link_s": round(link, 3), "link_msgs_per_s": round(lc.n / link),
     "column_bytes_per_message": round(lc.nbytes / lc.n, 1), "conflicts": len(s.conflicts)}
if os.path.getsize(sys.argv[1]) <= 200e6 and sys.argv[2] == "procedures":
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
    ap.add_argument("--sizes", type=sizes_arg, default=QUICK_SIZES,
                    help="reference capture sizes in MB (default 10,100)")
    ap.add_argument("--captures", default="", help="files in benchmarks/data instead of --sizes")
    ap.add_argument("--repeat", type=int, default=3, help="runs per capture (medians kept)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "link.json"))
    args = ap.parse_args(argv)
    results = []
    paths = [DATA / c for c in args.captures.split(",")] if args.captures else \
        [reference_capture(mb) for mb in args.sizes]
    for path in paths:
        runs = []
        for i in range(max(1, args.repeat)):
            out = subprocess.run([sys.executable, "-c", CHILD, str(path),
                                  "procedures" if i == 0 else "-"],
                                 capture_output=True, text=True, check=True, cwd=ROOT)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = dict(runs[0], input=path.name, mb=round(path.stat().st_size / 1e6, 1))
        link, decode = spread([x["link_s"] for x in runs]), \
            spread([x["decode_and_columns_s"] for x in runs])
        r.update(runs=len(runs), link_s=round(link["median"], 3),
                 link_s_min=link["min"], link_s_max=link["max"],
                 decode_and_columns_s=round(decode["median"], 3),
                 link_msgs_per_s=round(r["messages"] / link["median"]),
                 link_msgs_per_s_min=round(r["messages"] / link["max"]),
                 link_msgs_per_s_max=round(r["messages"] / link["min"]),
                 peak_rss_mb=max(x["peak_rss_mb"] for x in runs))
        results.append(r)
        procs = (f"; {r['procedures']:,} procedures in {r['procedures_s']} s "
                 f"({r['procedures_msgs_per_s']:,} msg/s)" if "procedures" in r else "")
        print(f"{r['input']}: {r['messages']:,} messages, {r['subscribers']:,} subscribers; "
              f"decode + link columns {r['decode_and_columns_s']} s "
              f"({r['column_bytes_per_message']} B/message); link {r['link_s']} s "
              f"({r['link_msgs_per_s']:,} msg/s, {r['link_msgs_per_s_min']:,}-"
              f"{r['link_msgs_per_s_max']:,} over {r['runs']} runs){procs}; "
              f"peak RSS {r['peak_rss_mb']} MB")
    k = exponent([(r["messages"], r["link_s"]) for r in results])
    if k is not None:
        print(f"linking time ~ messages^{k:.2f}")
        for r in results:
            r["link_exponent"] = k
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    how = (f"--captures {args.captures}" if args.captures
           else "--sizes " + ",".join(map(str, args.sizes))) + f" --repeat {args.repeat}"
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/bench_link.py " + how,
                                          "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
