"""Throughput of the compiled NAS-EPS, GTPv2-C and Diameter decoders against pycrate, in one run.

Messages: every NAS-EPS (plain part), GTPv2-C and Diameter message of the shared captures,
repeated to --messages rows per protocol. chrtool decodes a whole EventTable (the table is built
before the clock starts; the median of --repeat passes, with their min-max); pycrate parses the same messages one by one (parse_NAS_MO/MT,
TS29274_GTPC.parse_GTPC, pycrate_diameter DiameterGeneric.from_bytes, which walks every AVP).

    python benchmarks/bench_nas_gtp_diameter.py [--messages 200000] [--pycrate-seconds 3] [--repeat 5]

Writes benchmarks/results/nas_gtp_diameter.json and prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "_fast"))
sys.path.insert(0, str(ROOT / "tests"))         # oracle.py, which the corpora use for tshark
sys.path.insert(0, str(ROOT / "benchmarks"))    # common.py
logging.getLogger("pycrate_mobile.TS24301_EMM").setLevel(logging.ERROR)

from capture_rows import CAPTURE_DIRS, messages, table_of  # noqa: E402
from common import spread  # noqa: E402
from chrtool._fast import diameter, gtpv2, nas_eps, s1ap  # noqa: E402
from chrtool._fast.events import FLAGS, PROTO, EventTable  # noqa: E402

FILES = ["open5gs/testcups_19b93606.pcapng", "open5gs/testattach.pcapng",
         "open5gs/testepc_48bfe83c.pcapng", "magma/nsa_connection.pcap",
         "magma/inbound_roaming_05_210504_215514-1.pcapng",
         "magma/gx_gy_combined_03_210505_132953-1.pcapng", "ndpi/gtp_c.pcap"]


def find(rel):
    for d in CAPTURE_DIRS:
        if (d / rel).exists():
            return d / rel
    return None


def corpus():
    """(proto, payload, mobile-originated) of every message of the captures."""
    out = {"NAS-EPS": [], "GTPv2": [], "Diameter": []}
    for rel in FILES:
        path = find(rel)
        if path is None:
            continue
        msgs = messages(path)
        for _f, proto, data, *_ in msgs:
            if proto in ("GTPv2", "Diameter"):
                out[proto].append((data, None))
        t = table_of(msgs, {"S1AP"})
        s1ap.decode(t)
        nas_eps.decode(t)
        c = t.cols
        for r in range(t.n):
            p = int(c["parent"][r])
            if c["proto"][r] != PROTO["NAS-EPS"] or c["proto"][p] != PROTO["S1AP"]:
                continue
            if c["flags"][r] & FLAGS["ciphered"] or c["msg"][r] == 0xC00:
                continue
            raw = t.payload(r)
            if raw[0] & 15 == 7 and raw[0] >> 4 in (1, 2, 3, 4):
                raw = raw[6:]
            out["NAS-EPS"].append((raw, (c["msg"][p] & 0xFF) in (12, 13)))
    return out


def make_table(payloads, proto, n):
    """An EventTable of n undecoded rows cycling through payloads (built with numpy)."""
    reps = -(-n // len(payloads))
    lens = np.array([len(p) for p in payloads] * reps, dtype=np.int64)[:n]
    blob = b"".join(payloads) * reps
    offs = np.concatenate([[0], np.cumsum([len(p) for p in payloads] * reps)])[:n]
    t = EventTable(capacity=2 * n + 16, data_capacity=len(blob) + n * 64 + 1024)
    t.add_python_data(np.frombuffer(blob, dtype=np.uint8).copy())
    t.cols["proto"][:n] = PROTO[proto]
    t.cols["payload_off"][:n] = offs
    t.cols["payload_len"][:n] = lens
    t.cols["frame"][:n] = np.arange(1, n + 1)
    t.n = n
    return t


def ours(proto, payloads, n, repeat=5):
    """Messages/s of `repeat` passes over a fresh table each, as spread() (median, min, max)."""
    dec = {"NAS-EPS": nas_eps.decode, "GTPv2": gtpv2.decode, "Diameter": diameter.decode}[proto]
    rates = []
    for _ in range(repeat):
        t = make_table([p for p, _mo in payloads], proto, n)
        t0 = time.perf_counter()
        dec(t)
        rates.append(n / (time.perf_counter() - t0))
    return spread(rates)


def theirs(proto, payloads, seconds):
    if proto == "NAS-EPS":
        from pycrate_mobile.NAS import parse_NAS_MO, parse_NAS_MT

        def parse(raw, mo):
            (parse_NAS_MO if mo else parse_NAS_MT)(raw)
    elif proto == "GTPv2":
        from pycrate_mobile.TS29274_GTPC import parse_GTPC

        def parse(raw, mo):
            parse_GTPC(raw)
    else:
        from pycrate_diameter.Diameter import DiameterGeneric

        def parse(raw, mo):
            DiameterGeneric().from_bytes(raw)
    done = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for raw, mo in payloads:
            parse(raw, mo)
        done += len(payloads)
    return done / (time.perf_counter() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--pycrate-seconds", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=5, help="timed chrtool passes (median, min-max)")
    ap.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "results" /
                                                  "nas_gtp_diameter.json"))
    args = ap.parse_args(argv)
    data = corpus()
    rows = []
    for proto, payloads in data.items():
        if not payloads:
            print(f"no {proto} messages found (captures missing?)", file=sys.stderr)
            continue
        runs = ours(proto, payloads, args.messages, args.repeat)
        fast = runs["median"]
        slow = theirs(proto, payloads, args.pycrate_seconds)
        rows.append({"protocol": proto, "distinct_messages": len(payloads),
                     "avg_bytes": round(sum(len(p) for p, _ in payloads) / len(payloads), 1),
                     "chrtool_msgs_per_s": round(fast), "chrtool_msgs_per_s_min": round(runs["min"]),
                     "chrtool_msgs_per_s_max": round(runs["max"]), "chrtool_runs": runs["runs"],
                     "pycrate_msgs_per_s": round(slow),
                     "speedup": round(fast / slow, 1)})
    result = {"benchmark": "nas_gtp_diameter", "messages_per_run": args.messages,
              "python": platform.python_version(), "machine": platform.machine(),
              "command": "python benchmarks/bench_nas_gtp_diameter.py "
                         f"--messages {args.messages} --pycrate-seconds {args.pycrate_seconds} "
                         f"--repeat {args.repeat}",
              "results": rows}
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("| protocol | distinct msgs | avg bytes | chrtool msg/s (min-max) | pycrate msg/s | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['protocol']} | {r['distinct_messages']} | {r['avg_bytes']} | "
              f"{r['chrtool_msgs_per_s']:,} ({r['chrtool_msgs_per_s_min']:,}-"
              f"{r['chrtool_msgs_per_s_max']:,}) | {r['pycrate_msgs_per_s']:,} | {r['speedup']}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
