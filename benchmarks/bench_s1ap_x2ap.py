"""Throughput of the compiled S1AP/X2AP decoders against pycrate and tshark, in one run.

    python benchmarks/bench_s1ap_x2ap.py [--repeat N] [--rounds N] [--pycrate-sample N]
                                         [--tshark-messages N]

Messages: every S1AP PDU of the reference captures (tshark extracts them; the generated corpus
is used when tshark or the captures are missing) and the generated X2AP corpus (every procedure
code, every cause). chrtool: s1ap.decode / x2ap.decode over an EventTable holding the messages
`--repeat` times (the table is filled before the clock starts; NAS child rows and items are part
of the measured work), `--rounds` times: the median with its min-max. pycrate: S1AP_PDU.from_aper / X2AP_PDU.from_aper over a sample. tshark:
`tshark -r <pcap of the same messages> -T fields -e <proto>.procedureCode` (full dissection;
process start-up included, so the pcap is made large enough for it not to dominate).
Writes benchmarks/results/s1ap_x2ap.json and prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "_fast"))
sys.path.insert(0, str(ROOT / "tests"))         # oracle.py, which the corpora use for tshark
sys.path.insert(0, str(ROOT / "benchmarks"))    # common.py
sys.path.insert(0, str(ROOT))

import s1ap_corpus as C  # noqa: E402
from common import spread  # noqa: E402
from chrtool._fast import events, s1ap, x2ap  # noqa: E402

S1AP_CAPTURES = ["open5gs/testattach.pcapng", "open5gs/testcups_19b93606.pcapng",
                 "open5gs/testepc_48bfe83c.pcapng", "magma/nsa_connection.pcap",
                 "uecapabilityparser/sctpS1apNgap.pcap"]


def messages(proto):
    if proto == "s1ap" and shutil.which("tshark"):
        pdus = []
        for rel in S1AP_CAPTURES:
            path = C.find_capture(rel)
            if path is not None:
                pdus += [d for _, d in C.capture_pdus(path, "s1ap")]
        if pdus:
            return pdus, "S1AP PDUs of the reference captures"
    pdus, _ = C.corpus(proto, seed=3, per_message=3)
    return pdus, f"generated {proto.upper()} corpus (every procedure code and cause)"


def fill(proto, pdus, repeat):
    blob = b"".join(pdus)
    lens = np.array([len(p) for p in pdus], dtype=np.int64)
    offs = np.concatenate([[0], np.cumsum(lens)[:-1]])
    n = len(pdus) * repeat
    t = events.EventTable(capacity=n * 2, data_capacity=len(blob) * repeat + 1024)
    raw = np.frombuffer(blob * repeat, dtype=np.uint8).copy()
    t.add_python_data(raw)
    cols = t.cols
    cols["proto"][:n] = C.PROTO[proto]
    cols["payload_off"][:n] = (offs[None, :] + (np.arange(repeat) * len(blob))[:, None]).ravel()
    cols["payload_len"][:n] = np.tile(lens, repeat)
    t.n = n
    return t


def bench_chrtool(proto, pdus, repeat, rounds=5):
    """Messages/s of each of `rounds` passes as spread() (median, min, max), messages a pass,
    items a message."""
    mod = s1ap if proto == "s1ap" else x2ap
    n = len(pdus) * repeat
    rates = []
    for _ in range(rounds):
        t = fill(proto, pdus, repeat)
        t0 = time.perf_counter()
        mod.decode(t)
        rates.append(n / (time.perf_counter() - t0))
    return spread(rates), n, t.n_items / n


def bench_pycrate(proto, pdus, sample, rounds=3):
    """Messages/s, the median of `rounds` passes (the same treatment chrtool gets)."""
    pdu = C.asn1(proto)
    msgs = (pdus * (sample // len(pdus) + 1))[:sample]
    rates = []
    for _ in range(rounds):
        ok = 0
        t0 = time.perf_counter()
        for data in msgs:
            try:
                pdu.from_aper(data)
                ok += 1
            except Exception:  # noqa: BLE001 - pycrate refuses a few real PDUs (reference-bugs.md)
                pass
        rates.append(len(msgs) / (time.perf_counter() - t0))
    return spread(rates)["median"], len(msgs), ok


def bench_tshark(proto, pdus, count):
    if not shutil.which("tshark"):
        return None, 0
    msgs = (pdus * (count // len(pdus) + 1))[:count]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{proto}.pcap"
        C.write_pcap(path, msgs, proto)
        t0 = time.perf_counter()
        subprocess.run([shutil.which("tshark"), "-n", "-r", str(path), "-T", "fields", "-e",
                        f"{proto}.procedureCode"], check=True, capture_output=True)
        dt = time.perf_counter() - t0
    return len(msgs) / dt, len(msgs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5, help="timed passes (median, min-max)")
    ap.add_argument("--pycrate-sample", type=int, default=2000)
    ap.add_argument("--tshark-messages", type=int, default=20000)
    ap.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "results" / "s1ap_x2ap.json"))
    args = ap.parse_args(argv)
    results = {"command": "python benchmarks/bench_s1ap_x2ap.py " + " ".join(argv or sys.argv[1:]),
               "machine": platform.platform(), "python": platform.python_version(), "protocols": {}}
    for proto in ("s1ap", "x2ap"):
        pdus, source = messages(proto)
        runs, n_fast, items = bench_chrtool(proto, pdus, args.repeat, args.rounds)
        fast = runs["median"]
        slow, n_slow, ok = bench_pycrate(proto, pdus, args.pycrate_sample)
        shark, n_shark = bench_tshark(proto, pdus, args.tshark_messages)
        results["protocols"][proto] = {
            "messages": source, "distinct_pdus": len(pdus),
            "mean_pdu_bytes": round(sum(map(len, pdus)) / len(pdus), 1),
            "chrtool_msgs_per_s": round(fast), "chrtool_msgs_per_s_min": round(runs["min"]),
            "chrtool_msgs_per_s_max": round(runs["max"]), "chrtool_runs": runs["runs"],
            "chrtool_messages": n_fast,
            "chrtool_items_per_msg": round(items, 2),
            "pycrate_msgs_per_s": round(slow, 1), "pycrate_messages": n_slow, "pycrate_decoded": ok,
            "tshark_msgs_per_s": round(shark, 1) if shark else None, "tshark_messages": n_shark,
            "speedup_vs_pycrate": round(fast / slow, 1),
            "speedup_vs_tshark": round(fast / shark, 1) if shark else None,
        }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("| protocol | messages | chrtool msg/s (min-max) | pycrate msg/s | tshark msg/s | vs pycrate | vs tshark |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for proto, r in results["protocols"].items():
        print(f"| {proto.upper()} | {r['distinct_pdus']} ({r['messages']}) | {r['chrtool_msgs_per_s']:,} "
              f"({r['chrtool_msgs_per_s_min']:,}-{r['chrtool_msgs_per_s_max']:,}) | "
              f"{r['pycrate_msgs_per_s']:,} | {r['tshark_msgs_per_s'] or 'n/a'} | "
              f"{r['speedup_vs_pycrate']}x | {r['speedup_vs_tshark'] or 'n/a'}x |")
    return results


if __name__ == "__main__":
    main()
