#!/usr/bin/env python3
"""chr-v1 decode speed: the Cython bulk reader against the construct reference reader.

    python benchmarks/bench_chr.py [--mb 256] [--construct-mb 4] [--repeat 5]

Generates benchmarks/data/chr_bench.chr (a realistic mix: measurement reports with neighbours,
RRC/E-RAB/handover/EN-DC events, S1AP/X2AP message copies of 60-400 bytes), decodes it with
chrtool._fast.chr_v1.ChrV1Reader into EventTable batches (the median of --repeat runs with their
min-max, file in the page cache), and parses a prefix with the construct declaration. Writes
benchmarks/results/chr.json and prints a markdown table. Targets: >= 1.5 GB/s, >= 500x construct.

The headline figure is a consumer that handles each batch and lets it go (the reader then reuses
its tables). For scale, the same run also times: every batch kept (list(reader): each batch is
new memory, as when a run collects all events), the read() path that gzip and pipes take, and a
plain read() of the file into one buffer (the ceiling of any reader that copies the file).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from chrtool._fast.chr_v1 import ChrV1Reader  # noqa: E402
from chrtool.decoders import chr_v1 as spec  # noqa: E402

T0 = 1_795_770_000 * 10**9
TARGET_GBPS = 1.5
TARGET_RATIO = 500


def record_pool(n=4000, seed=1):
    rng = random.Random(seed)
    pool = []
    for i in range(n):
        ue = 1 + rng.randrange(5000)
        ids = dict(cell=dict(kind="ecgi", plmn="00101", cell_id=0x19A2100 + rng.randrange(6)),
                   mme_ue_s1ap_id=5000 + ue, enb_ue_s1ap_id=ue, crnti=0x4600 + ue % 512)
        if rng.random() < 0.5:
            ids["imsi"] = "00101%010d" % ue
        ts = T0 + i * 1_000_000
        kind = rng.random()
        if kind < 0.45:
            params = [spec.p_meas("rsrp", -80 - rng.randrange(45)),
                      spec.p_meas("rsrq", -5 - rng.randrange(15)),
                      spec.p_meas("sinr", rng.randrange(-5, 25)), spec.p_meas("cqi", 7)]
            params += [spec.p_meas("rsrp", -85 - rng.randrange(40), True, rng.randrange(504), 1850)
                       for _ in range(rng.randrange(4))]
            rec = spec.record("MEAS_REPORT", ts, params, **ids)
        elif kind < 0.75:
            ev = rng.choice(["RRC_CONN_SETUP", "RRC_CONN_RELEASE", "ERAB_SETUP", "HO_RESULT",
                             "SGNB_ADDITION_RESULT", "SCG_FAILURE", "RADIO_LINK_FAILURE"])
            params = [spec.p_cause("rrc-setup-result", 0), spec.p_erab(5, 9)]
            if ev in ("SGNB_ADDITION_RESULT", "SCG_FAILURE"):
                ids.update(menb_ue_x2ap_id=ue, sgnb_ue_x2ap_id=7000 + ue)
                params += [spec.p_cell("secondary_cell", "nr_cgi", "00101", 0x2B0401011),
                           spec.p_meas("ss_rsrp", -110 - rng.randrange(15))]
            if ev == "HO_RESULT":
                params.append(spec.p_cell("target_cell", "ecgi", "00101", 0x19A2202))
            rec = spec.record(ev, ts, params, **ids)
        else:
            ev = rng.choice(["S1AP_MESSAGE", "X2AP_MESSAGE"])
            rec = spec.record(ev, ts, [("raw_pdu", rng.randbytes(rng.randrange(60, 400)))],
                              **ids)
        pool.append(spec.Record.build(rec))
    return pool


def make_data(path, mb):
    pool = record_pool()
    head = spec.FileHeader.build(spec.header(T0, ne_name="BENCH"))
    blob = b"".join(pool)
    want = mb << 20
    if path.exists() and path.stat().st_size == len(head) + (want // len(blob) + 1) * len(blob):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(head)
        for _ in range(want // len(blob) + 1):
            fh.write(blob)
    return path


def bench_fast(path, repeat, mode="stream"):
    """Seconds of each repeat. mode: "stream" (each batch let go), "kept" (list(reader)),
    "read" (the read() path gzip and pipes take, each batch let go)."""
    times, rows = [], 0
    size = path.stat().st_size
    for _ in range(repeat):
        t0 = time.perf_counter()
        with open(path, "rb", buffering=0) as fh:
            r = ChrV1Reader(fh, str(path), use_mmap=mode != "read")
            if mode == "kept":
                kept = list(r)
                rows = sum(t.n for t in kept)
            else:
                rows = sum(t.n for t in r)
        times.append(time.perf_counter() - t0)
        kept = None
    return size, rows, times, r.counters


def bench_plain_read(path, repeat):
    """A plain read of the file into one reused 1 MiB buffer: seconds of each repeat."""
    times = []
    buf = bytearray(1 << 20)
    for _ in range(repeat):
        t0 = time.perf_counter()
        with open(path, "rb", buffering=0) as fh:
            while fh.readinto(buf):
                pass
        times.append(time.perf_counter() - t0)
    return times


def bench_construct(path, mb):
    data = path.read_bytes()[: (mb << 20)]
    hlen = spec.FileHeader.parse(data).header_len
    t0 = time.perf_counter()
    n = 0
    end = hlen
    for off, rec in spec.iter_records(data, hlen):
        if off + int.from_bytes(data[off:off + 2], "little") > len(data):
            break
        n += 1
        end = off + int.from_bytes(data[off:off + 2], "little")
        if end > len(data) - 65536:
            break
    dt = time.perf_counter() - t0
    return end - hlen, n, dt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--construct-mb", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    path = make_data(HERE / "data" / "chr_bench.chr", args.mb)
    plain = bench_plain_read(path, args.repeat)
    size, rows, times, counters = bench_fast(path, args.repeat)
    _, _, kept_times, _ = bench_fast(path, args.repeat, "kept")
    _, _, read_times, _ = bench_fast(path, args.repeat, "read")
    cbytes, crows, cdt = bench_construct(path, args.construct_mb)
    dt = statistics.median(times)
    fast_bps = size / dt
    con_bps = cbytes / cdt

    def gbps(ts):
        return {"best_GB_per_s": round(size / min(ts) / 1e9, 3),
                "median_GB_per_s": round(size / statistics.median(ts) / 1e9, 3),
                "worst_GB_per_s": round(size / max(ts) / 1e9, 3),
                "seconds": [round(t, 4) for t in ts]}

    res = {
        "file": str(path.relative_to(HERE.parent)), "bytes": size, "records": rows,
        "avg_record_bytes": round(size / rows, 1),
        "cython": {"seconds": round(dt, 4), "GB_per_s": round(fast_bps / 1e9, 3),
                   "GB_per_s_min": round(size / max(times) / 1e9, 3),
                   "GB_per_s_max": round(size / min(times) / 1e9, 3), "runs": len(times),
                   "records_per_s": round(rows / dt),
                   "median_GB_per_s": gbps(times)["median_GB_per_s"],
                   "repeats_seconds": [round(t, 4) for t in times]},
        "cython_batches_kept": gbps(kept_times),
        "cython_read_path": gbps(read_times),
        "plain_read": gbps(plain),
        "construct": {"bytes": cbytes, "records": crows, "seconds": round(cdt, 3),
                      "MB_per_s": round(con_bps / 1e6, 3), "records_per_s": round(crows / cdt)},
        "speedup": round(fast_bps / con_bps, 1),
        "targets": {"GB_per_s": TARGET_GBPS, "speedup": TARGET_RATIO},
        "met": {"GB_per_s": fast_bps / 1e9 >= TARGET_GBPS,
                "speedup": fast_bps / con_bps >= TARGET_RATIO},
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform()},
        "command": "python benchmarks/bench_chr.py " + " ".join(argv or sys.argv[1:]),
        "problems": counters.get("problems", 0),
    }
    out = HERE / "results" / "chr.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"medians of {args.repeat} runs, min-max in brackets")
    print("| reader | bytes | records | seconds | throughput | records/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, ts in (("Cython ChrV1Reader", times),
                      ("Cython, every batch kept (no reuse)", kept_times),
                      ("Cython, read() path (gzip, pipes)", read_times)):
        med = statistics.median(ts)
        print(f"| {label} | {size:,} | {rows:,} | {med:.3f} | {size / med / 1e9:.2f} GB/s "
              f"({size / max(ts) / 1e9:.2f}-{size / min(ts) / 1e9:.2f}) | {rows / med:,.0f} |")
    med = statistics.median(plain)
    print(f"| plain read() of the file (no decoding) | {size:,} | | {med:.3f} | "
          f"{size / med / 1e9:.2f} GB/s ({size / max(plain) / 1e9:.2f}-"
          f"{size / min(plain) / 1e9:.2f}) | |")
    print(f"| construct (reference) | {cbytes:,} | {crows:,} | {cdt:.3f} | "
          f"{con_bps / 1e6:.2f} MB/s | {crows / cdt:,.0f} |")
    print(f"\nspeedup: {fast_bps / con_bps:,.0f}x (target {TARGET_RATIO}x); "
          f"{fast_bps / 1e9:.2f} GB/s (target {TARGET_GBPS} GB/s); results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
