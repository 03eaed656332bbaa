#!/usr/bin/env python3
"""Linking and procedures: messages/s and peak RSS on generated captures of a few sizes.

    python benchmarks/bench_link.py [--sizes 10M,100M] [--out benchmarks/results/link.json]

Each size runs in a fresh process: decode the capture into the event table (timed apart), link
every message to its subscriber (chrtool.link.correlate), then build every subscriber's
procedures (chrtool.link.procedures). Reported: messages, subscribers, procedures, seconds and
messages/s per stage, the size-scaling exponent of linking (time ~ size^k), and the process's
peak RSS (which holds the whole decoded table: linking needs every message).
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
import json, resource, sys, time
from chrtool.inputs.pipeline import Run
from chrtool.link.correlate import correlate
from chrtool.link.procedures import build
t = time.perf_counter(); ev = Run([sys.argv[1]]).events(); decode = time.perf_counter() - t
t = time.perf_counter(); s = correlate(ev); link = time.perf_counter() - t
t = time.perf_counter(); procs = build(ev, s); proc = time.perf_counter() - t
print(json.dumps({"messages": ev.n, "subscribers": len(s.ues), "procedures": len(procs),
                  "decode_s": round(decode, 3), "link_s": round(link, 3), "procedures_s": round(proc, 3),
                  "link_msgs_per_s": round(ev.n / link), "procedures_msgs_per_s": round(ev.n / proc),
                  "conflicts": len(s.conflicts),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10M,100M", help="capture sizes (default 10M,100M)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "link.json"))
    args = ap.parse_args(argv)
    import gen_captures
    results = []
    for size in args.sizes.split(","):
        path = DATA / f"capture-{size}.pcap"
        if not path.exists():
            gen_captures.generate(path, gen_captures.parse_size(size))
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                             text=True, check=True, cwd=ROOT)
        r = dict(json.loads(out.stdout.strip().splitlines()[-1]), input=path.name,
                 mb=round(path.stat().st_size / 1e6, 1))
        results.append(r)
        print(f"{r['input']}: {r['messages']:,} messages, {r['subscribers']:,} subscribers, "
              f"{r['procedures']:,} procedures; link {r['link_s']} s ({r['link_msgs_per_s']:,} msg/s), "
              f"procedures {r['procedures_s']} s ({r['procedures_msgs_per_s']:,} msg/s), "
              f"peak RSS {r['peak_rss_mb']} MB")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        k = math.log(b["link_s"] / a["link_s"]) / math.log(b["messages"] / a["messages"])
        print(f"linking time ~ messages^{k:.2f}")
        for r in results:
            r["link_exponent"] = round(k, 3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/bench_link.py --sizes "
                                          + args.sizes, "results": results}, indent=2))


if __name__ == "__main__":
    main()
