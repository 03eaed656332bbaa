"""What the capture-based benchmarks share: one set of inputs, repeated runs, the size exponent.

The inputs are the reference captures the speed goals are set on: `ref-<N>M.pcap` in
benchmarks/data, written by ../shared/bench/gen_capture.py with seed N (about 75% S1AP attach
flows with NAS, 12.5% X2AP EN-DC, 12% GTPv2), 10, 100 and 1000 MB (--quick: 10 and 100).
A missing one is generated under a temporary name and renamed when complete; one that another
process is writing (its temporary file is there) is waited for, never written twice.
"""
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_capture.py"

SIZES = (10, 100, 1000)             # MB: every capture-based benchmark's inputs
QUICK_SIZES = (10, 100)


def sizes_arg(text):
    """'10,100' -> (10, 100)"""
    return tuple(int(x) for x in str(text).split(",") if x.strip())


def reference_capture(mb, generator=GENERATOR, wait_s=1800):
    """The path of ref-<mb>M.pcap (seed mb), generated when missing."""
    path = DATA / f"ref-{mb}M.pcap"
    tmp = path.with_name(path.name + ".tmp")
    deadline = time.monotonic() + wait_s
    while not path.exists() and tmp.exists() and time.monotonic() < deadline:
        time.sleep(2)                   # someone else is writing it
    if path.exists():
        return path
    if not Path(generator).exists():
        sys.exit(f"{path} is missing and so is the generator {generator}: pass --generator")
    DATA.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(generator), str(tmp), str(mb), "--seed", str(mb)],
                   check=True)
    tmp.rename(path)
    meta = tmp.with_name(tmp.name + ".json")
    if meta.exists():
        meta.rename(path.with_name(path.name + ".json"))
    return path


def spread(values):
    """Median and min-max of repeated measurements: {"median", "min", "max", "runs"}."""
    values = [float(v) for v in values]
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def exponent(points):
    """k of time ~ size^k, the least-squares slope of log(time) on log(size) over
    [(size, seconds), ...]; None for fewer than two sizes."""
    pts = [(math.log(s), math.log(t)) for s, t in points if s > 0 and t > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts), 3)
