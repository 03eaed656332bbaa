#!/usr/bin/env python3
"""`chrtool batch` on a night of rotated captures: files/s and MB/s per worker, the scaling from
1 to 2 workers, peak memory of the coordinator and of a worker, and the time of each stage.

    python benchmarks/bench_batch.py [--files 8] [--mb 12] [--workers 1,2]
                                     [--out benchmarks/results/batch.json]

The night is `--files` captures of `--mb` MB each from the reference generator
(../shared/bench/gen_capture.py, seeds 1..N, in benchmarks/data/night/, written when missing).
Each run is a fresh process (`chrtool.batch.job.Job` on the local engine, an empty OUTDIR);
worker memory is the largest peak RSS of its pool's processes (RUSAGE_CHILDREN).
"""
import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "night"
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_capture.py"

CHILD = r"""
import json, resource, sys, time
from chrtool.batch.engines import LocalEngine
from chrtool.batch.job import Job
inputs, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = LocalEngine(workers)
t = time.perf_counter()
job = Job([inputs], out, engine)
summary = job.run()
wall = time.perf_counter() - t
print(json.dumps({"seconds": round(wall, 3), "stages": job.timings, "summary": summary,
                  "coordinator_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}))
"""


def night(files, mb, generator):
    DATA.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(1, files + 1):
        path = DATA / f"probe-{i:04d}-{mb}M.pcap"
        if not path.exists():
            subprocess.run([sys.executable, str(generator), str(path), str(mb), "--seed", str(i)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        paths.append(path)
    for stale in DATA.iterdir():           # another --files/--mb's captures are not this night
        if stale not in paths and stale.suffix == ".pcap":
            stale.unlink()
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--mb", type=int, default=12)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--generator", type=Path, default=GENERATOR)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "batch.json"))
    args = ap.parse_args(argv)
    paths = night(args.files, args.mb, args.generator)
    total_mb = sum(p.stat().st_size for p in paths) / 1e6
    runs = []
    for workers in [int(w) for w in args.workers.split(",")]:
        out = Path(tempfile.mkdtemp(prefix="chrtool-bench-batch-"))
        try:
            r = subprocess.run([sys.executable, "-c", CHILD, str(DATA), str(out), str(workers)],
                               check=True, capture_output=True, text=True)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        m = json.loads(r.stdout.strip().splitlines()[-1])
        m.update(workers=workers, files_per_s=round(len(paths) / m["seconds"], 2),
                 mb_per_s=round(total_mb / m["seconds"], 1),
                 mb_per_s_per_worker=round(total_mb / m["seconds"] / workers, 1))
        runs.append(m)
        print(f"{workers} worker(s): {m['seconds']:.1f} s, {m['files_per_s']} files/s, "
              f"{m['mb_per_s']} MB/s ({m['mb_per_s_per_worker']} per worker), coordinator "
              f"{m['coordinator_rss_mb']} MB, worker {m['worker_rss_mb']} MB, stages {m['stages']}")
    result = {"machine": platform.processor() or platform.machine(), "files": len(paths),
              "mb": round(total_mb, 1), "runs": runs}
    if len(runs) >= 2:
        result["scaling"] = round(runs[0]["seconds"] / runs[1]["seconds"] * runs[0]["workers"], 2)
        print(f"scaling {runs[0]['workers']} -> {runs[1]['workers']} workers: {result['scaling']}x")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
