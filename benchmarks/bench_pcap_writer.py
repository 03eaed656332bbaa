#!/usr/bin/env python3
"""pcap writing speed: chrtool.simulate.pcap_writer against dpkt's writer, on the same prebuilt
frames in the same run (the fast path `chrtool simulate --size` and benchmarks/gen_captures.py
rely on).

    python benchmarks/bench_pcap_writer.py [--frames 200000] [--size 200] [--repeat 5]

Writes to /dev/null (the writer, not the disk, is measured): PcapWriter.write_many,
PcapWriter.write per frame, PcapngWriter.write_many and dpkt.pcap.Writer.writepkt. Prints a
markdown table and writes benchmarks/results/pcap_writer.json. Target: write_many >= 50 MB/s
(it used to be a unit-test assertion; speed is measured here, not in tests/).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from chrtool.simulate import pcap_writer as pw  # noqa: E402

T0 = 1_795_770_000 * 10**9
TARGET_MBPS = 50


def frames(n, size, seed=1):
    rng = random.Random(seed)
    pool = [rng.randbytes(size) for _ in range(4)]
    return [(T0 + i * 1000, pool[i % 4]) for i in range(n)]


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        with open(os.devnull, "wb") as f:
            t = time.perf_counter()
            fn(f)
            times.append(time.perf_counter() - t)
    return min(times), times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--size", type=int, default=200, help="bytes per frame")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    recs = frames(args.frames, args.size)
    nbytes = args.frames * (16 + args.size)          # record header + frame

    def pcap_many(f):
        pw.PcapWriter(f).write_many(recs)

    def pcap_each(f):
        w = pw.PcapWriter(f)
        for ts, frame in recs:
            w.write(ts, frame)

    def pcapng_many(f):
        pw.PcapngWriter(f).write_many(recs)

    contenders = {"PcapWriter.write_many": pcap_many, "PcapWriter.write": pcap_each,
                  "PcapngWriter.write_many": pcapng_many}
    try:
        import dpkt

        def dpkt_writer(f):
            w = dpkt.pcap.Writer(f, nano=True)
            for ts, frame in recs:
                w.writepkt(frame, ts / 1e9)
        contenders["dpkt.pcap.Writer"] = dpkt_writer
    except ImportError:
        pass
    results = {}
    for name, fn in contenders.items():
        best, times = best_of(args.repeat, fn)
        results[name] = {"seconds": round(best, 4), "MB_per_s": round(nbytes / best / 1e6, 1),
                         "repeats_seconds": [round(t, 4) for t in times]}
    out = {"frames": args.frames, "frame_bytes": args.size, "pcap_bytes": nbytes,
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                      f"{platform.python_version()}",
           "target_MB_per_s": TARGET_MBPS, "results": results,
           "meets_target": results["PcapWriter.write_many"]["MB_per_s"] >= TARGET_MBPS}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "pcap_writer.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"| writer | MB/s | best s |  ({args.frames} frames of {args.size} bytes)")
    print("| --- | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['MB_per_s']} | {r['seconds']} |")
    return 0 if out["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
