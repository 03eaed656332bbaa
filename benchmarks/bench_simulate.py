#!/usr/bin/env python3
"""chrtool simulate: generation speed (MB/s) and peak RSS for a few output sizes, and per-scenario
precision/recall of ``chrtool diagnose`` against the generated truth.

    python benchmarks/bench_simulate.py [--sizes 1,3,9] [--score-ues 72] [--out benchmarks/results/simulate.json]

Each size runs in a fresh process (so its peak RSS is its own); memory flat in the output size is
the streaming claim. The score runs ``chrtool diagnose --imsi I --format json DIR`` for every
subscriber of a mixed corpus (two per scenario by default) and scores it with
chrtool.simulate.score.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys, time
from chrtool.simulate import world
t = time.perf_counter()
c = world.run(sys.argv[1], seed=1, size_mb=float(sys.argv[2]), hours=0.25, files=4)
dt = time.perf_counter() - t
print(json.dumps({"mb": c["bytes"] / 1e6, "seconds": round(dt, 2), "ues": c["ues"],
                  "packets": c["packets"], "chr_records": c["chr_records"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def speed(size_mb: float) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", CHILD, d, str(size_mb)], capture_output=True,
                             text=True, check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    r = json.loads(out.stdout)
    r["mb_per_s"] = round(r["mb"] / r["seconds"], 3)
    r["mb"] = round(r["mb"], 2)
    r["peak_rss_mb"] = round(r["peak_rss_mb"], 1)
    return r


def precision_recall(n_ues: int) -> dict:
    from click.testing import CliRunner

    from chrtool.cli import main
    from chrtool.simulate import catalogue, score
    names = list(catalogue.SCENARIOS)
    with tempfile.TemporaryDirectory() as d:
        args = [a for n in names for a in ("--scenario", n)]
        r = CliRunner().invoke(main, ["simulate", "-o", d, "--seed", "7", "--ues", str(n_ues),
                                      "--hours", "0.5", *args])
        assert r.exit_code == 0, r.output
        results = []
        for u in json.loads((Path(d) / "truth.json").read_text())["ues"]:
            r = CliRunner().invoke(main, ["diagnose", "--imsi", u["imsi"], "--format", "json", d])
            findings = json.loads(r.stdout)["findings"]
            ok, _why = score.judge(u["expect"], findings)
            results.append((u["scenario"], u["expect"], ok, bool(findings)))
    return score.per_scenario(results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,3,9")
    ap.add_argument("--score-ues", type=int, default=72)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "simulate.json"))
    a = ap.parse_args()
    runs = []
    for mb in [float(x) for x in a.sizes.split(",")]:
        r = speed(mb)
        runs.append(r)
        print(f"{r['mb']:8.2f} MB  {r['seconds']:7.2f} s  {r['mb_per_s']:6.3f} MB/s  "
              f"peak RSS {r['peak_rss_mb']:6.1f} MB  ({r['ues']} UEs, {r['packets']} packets, "
              f"{r['chr_records']} CHR records)")
    scores = precision_recall(a.score_ues) if a.score_ues else {}
    for name, s in scores.items():
        p = "-" if s["precision"] is None else f"{s['precision']:.2f}"
        print(f"{name:30} ues {s['ues']:3}  recall {s['recall']:.2f}  precision {p}")
    Path(a.out).write_text(json.dumps({"when": time.strftime("%Y-%m-%d"), "generation": runs,
                                       "diagnosis": scores}, indent=2) + "\n")


if __name__ == "__main__":
    main()
