#!/usr/bin/env python3
"""`chrtool diagnose --imsi` end to end against `tshark -T fields` and `tshark -Y` filtering the
subscriber's IMSI, with peak RSS, at several sizes.

    python benchmarks/bench_diagnose.py [--sizes 10,100,1000] [--repeat 3] [--tshark-size 100]
                                        [--out benchmarks/results/diagnose.json]

The captures are the reference ones the speed goals are set on (benchmarks/common.py:
`ref-<N>M.pcap` with seed N in benchmarks/data/, from ../shared/bench/gen_capture.py, written
when missing). tshark reads the
--tshark-size file with the goal's five fields (frame.number, s1ap.procedureCode,
s1ap.MME_UE_S1AP_ID, s1ap.ENB_UE_S1AP_ID, nas_eps.emm.cause); chrtool diagnoses a subscriber of
each file's first chunk (wall time, start-up included; peak RSS of the process). Each chrtool run is
repeated --repeat times (tshark runs once): reported are the median MB/s with its min-max, the
ratio to tshark's MB/s, the largest peak RSS, and how time grows with size (time ~ size^k, least
squares over the sizes).
"""
import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import GENERATOR, QUICK_SIZES, exponent, reference_capture, sizes_arg, spread  # noqa: E402

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
    return reference_capture(mb, generator)


def main(argv=None):
    from bench_capture import run_measured
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=sizes_arg, default=QUICK_SIZES,
                    help="capture sizes in MB (default 10,100)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (median kept)")
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
    for mb in args.sizes:
        path = capture(mb, args.generator)
        imsi = subprocess.run([sys.executable, "-c", FIRST_IMSI, str(path)], capture_output=True,
                              text=True, check=True, cwd=ROOT).stdout.strip()
        runs = [run_measured([sys.executable, "-m", "chrtool", "diagnose", "--imsi", imsi,
                              "--format", "json", str(path)]) for _ in range(max(1, args.repeat))]
        out = runs[0][2]
        # the document, whatever the process also printed after it (a note on stderr)
        doc = json.JSONDecoder().raw_decode(out[out.index("{"):])[0] if "{" in out else {}
        size = path.stat().st_size / 1e6
        t = spread([x[0] for x in runs])
        s = t["median"]
        r = {"contender": "chrtool diagnose --imsi", "input": path.name, "mb": round(size, 1),
             "imsi": imsi, "seconds": round(s, 2), "seconds_min": round(t["min"], 2),
             "seconds_max": round(t["max"], 2), "runs": t["runs"],
             "mb_per_s": round(size / s, 1), "peak_rss_mb": round(max(x[1] for x in runs)),
             "findings": len(doc.get("findings", [])),
             "x_tshark": round(size / s / tshark["mb_per_s"], 1) if tshark else None}
        if tshark and mb == args.tshark_size:     # the latency question as tshark answers it
            s_y, rss_y, out_y = run_measured(["tshark", "-n", "-r", str(path), "-Y",
                                              f'e212.imsi == "{imsi}"'])
            filt = {"contender": "tshark -Y e212.imsi (the subscriber's packets)",
                    "input": path.name, "mb": round(size, 1), "imsi": imsi,
                    "seconds": round(s_y, 2), "peak_rss_mb": round(rss_y),
                    "packets": sum(1 for line in out_y.splitlines() if line.strip())}
            results.append(filt)
            r["x_tshark_filter"] = round(s_y / s, 1)
            print(f"{filt['contender']} on {path.name}: {filt['seconds']} s, "
                  f"{filt['packets']} packets; chrtool {r['x_tshark_filter']}x faster")
        results.append(r)
        print(f"{r['contender']} {imsi} on {path.name}: {r['seconds']} s "
              f"({r['seconds_min']}-{r['seconds_max']} over {r['runs']} runs), {r['mb_per_s']} MB/s"
              f" ({r['x_tshark']}x tshark), {r['peak_rss_mb']} MB RSS")
    ours = [r for r in results if r["contender"].startswith("chrtool")]
    k = exponent([(r["mb"], r["seconds"]) for r in ours])
    if k is not None:
        a, b = ours[0], ours[-1]
        print(f"time ~ size^{k:.2f}; {b['mb']:.0f} MB takes {b['seconds'] / a['seconds']:.1f}x "
              f"the time of {a['mb']:.0f} MB")
        for r in ours:
            r["size_exponent"] = k
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    how = "--sizes " + ",".join(map(str, args.sizes)) + f" --repeat {args.repeat}"
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/bench_diagnose.py " + how,
                                          "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
