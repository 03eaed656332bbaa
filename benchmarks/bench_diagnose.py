#!/usr/bin/env python3
"""`chrtool diagnose --imsi` end to end against `tshark -T fields`, with peak RSS, at several sizes.

    python benchmarks/bench_diagnose.py [--sizes 100,500,1000] [--tshark-size 100]
                                        [--out benchmarks/results/diagnose.json]

The captures are the reference ones the speed goals are set on (../shared/bench/gen_capture.py,
`ref-<N>M.pcap` with seed N in benchmarks/data/, written when missing). tshark reads the
--tshark-size file with the goal's five fields (frame.number, s1ap.procedureCode,
s1ap.MME_UE_S1AP_ID, s1ap.ENB_UE_S1AP_ID, nas_eps.emm.cause); chrtool diagnoses a subscriber of
each file's first chunk (wall time, start-up included; peak RSS of the process). Reported: MB/s,
the ratio to tshark's MB/s, peak RSS, and how time grows with size (time ~ size^k).
"""
import argparse
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_capture.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

TSHARK_FIELDS = ["frame.number", "s1ap.procedureCode", "s1ap.MME_UE_S1AP_ID",
                 "s1ap.ENB_UE_S1AP_ID", "nas_eps.emm.cause"]

FIRST_IMSI = r"""
import sys
from chrtool.inputs.pipeline import Run
for _, t in Run([sys.argv[1]]).batches():
    imsi = [bytes(x).rstrip(b"\0").decode() for x in t.column("imsi")]
    print(next(i for i in imsi if i))
    break
"""


def capture(mb, generator):
    path = DATA / f"ref-{mb}M.pcap"
    if not path.exists():
        if not generator.exists():
            sys.exit(f"{path} is missing and so is the generator {generator}: pass --generator")
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(generator), str(path), str(mb), "--seed", str(mb)],
                       check=True)
    return path


def main(argv=None):
    from bench_capture import run_measured
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,500,1000", help="capture sizes in MB")
    ap.add_argument("--tshark-size", type=int, default=100)
    ap.add_argument("--generator", type=Path, default=GENERATOR)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "diagnose.json"))
    args = ap.parse_args(argv)
    results = []
    tshark = None
    if shutil.which("tshark"):
        path = capture(args.tshark_size, args.generator)
        fields = [a for f in TSHARK_FIELDS for a in ("-e", f)]
        s, rss, _ = run_measured(["tshark", "-n", "-r", str(path), "-T", "fields", *fields])
        tshark = {"contender": "tshark -T fields (5 fields)", "input": path.name,
                  "mb": round(path.stat().st_size / 1e6, 1), "seconds": round(s, 2),
                  "mb_per_s": round(path.stat().st_size / 1e6 / s, 2), "peak_rss_mb": round(rss)}
        results.append(tshark)
        print(f"{tshark['contender']} on {path.name}: {tshark['seconds']} s, "
              f"{tshark['mb_per_s']} MB/s, {tshark['peak_rss_mb']} MB RSS")
    for mb in [int(x) for x in args.sizes.split(",")]:
        path = capture(mb, args.generator)
        imsi = subprocess.run([sys.executable, "-c", FIRST_IMSI, str(path)], capture_output=True,
                              text=True, check=True, cwd=ROOT).stdout.strip()
        s, rss, out = run_measured([sys.executable, "-m", "chrtool", "diagnose", "--imsi", imsi,
                                    "--format", "json", str(path)])
        # the document, whatever the process also printed after it (a note on stderr)
        doc = json.JSONDecoder().raw_decode(out[out.index("{"):])[0] if "{" in out else {}
        size = path.stat().st_size / 1e6
        r = {"contender": "chrtool diagnose --imsi", "input": path.name, "mb": round(size, 1),
             "imsi": imsi, "seconds": round(s, 2), "mb_per_s": round(size / s, 1),
             "peak_rss_mb": round(rss), "findings": len(doc.get("findings", [])),
             "x_tshark": round(size / s / tshark["mb_per_s"], 1) if tshark else None}
        results.append(r)
        print(f"{r['contender']} {imsi} on {path.name}: {r['seconds']} s, {r['mb_per_s']} MB/s"
              f" ({r['x_tshark']}x tshark), {r['peak_rss_mb']} MB RSS")
    ours = [r for r in results if r["contender"].startswith("chrtool")]
    if len(ours) >= 2:
        a, b = ours[0], ours[-1]
        k = math.log(b["seconds"] / a["seconds"]) / math.log(b["mb"] / a["mb"])
        print(f"time ~ size^{k:.2f}; {b['mb']:.0f} MB takes {b['seconds'] / a['seconds']:.1f}x "
              f"the time of {a['mb']:.0f} MB")
        for r in ours:
            r["size_exponent"] = round(k, 3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/bench_diagnose.py --sizes "
                                          + args.sizes, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
