"""Capture-ingestion benchmark: chrtool's capture stage and `chrtool stats` against a plain read,
dpkt, `tshark -T fields` and pyshark, on the same generated files in the same run.

    python benchmarks/bench_capture.py                    # ref-10M and ref-100M (generated if missing)
    python benchmarks/bench_capture.py --sizes 10,100,1000   # also the 1 GB capture
    python benchmarks/bench_capture.py --no-tshark        # skip tshark and pyshark (slow)
    python benchmarks/bench_capture.py --baseline /tmp/old   # also an older built tree, same run

The inputs are the reference captures (benchmarks/common.py: ref-<N>M.pcap, seed N, from
../shared/bench/gen_capture.py). chrtool's contenders and the plain read run --repeat times per
file (alternating with the baseline's when there is one); each is reported as the median with
the min-max spread, and the size-scaling exponent k of its time (time ~ size^k, least squares
over the sizes run). The references run once per file (--repeat times on files up to 20 MB):
dpkt and tshark (`-T fields` with the goal's five fields) read at most --tshark-max bytes (a
prefix cut at a record boundary, rates per byte of it); pyshark, by far the slowest, reads the
first --pyshark-packets packets of the smallest input only.

`--baseline DIR` runs chrtool's contenders a second time from another checkout (built in place,
e.g. `git worktree add /tmp/old REV && cd /tmp/old && python setup.py build_ext --inplace`),
alternating with this tree's runs, so a change's speed is compared on one machine in one run.

Every contender runs in its own subprocess; peak RSS is that process's (or, for tshark and the
CLI, its child's) ru_maxrss, the largest over the runs. Writes benchmarks/results/capture.json
and prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import QUICK_SIZES, exponent, reference_capture, sizes_arg, spread  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
ENV.pop("PYTHONDONTWRITEBYTECODE", None)     # start-up as installed: bytecode cached

# Each snippet gets the file path as sys.argv[1] and prints {"packets": n, "rows": n}.
SNIPPETS = {
    "plain read": r"""
import sys, time
t0 = time.perf_counter()
buf = bytearray(1 << 20)
n = 0
with open(sys.argv[1], "rb", buffering=0) as f:
    while True:
        k = f.readinto(buf)
        if not k:
            break
        n += k
print({"bytes": n, "work_s": time.perf_counter() - t0})
""",
    "chrtool capture stage": r"""
import sys, time
from chrtool._fast.capture import CaptureReader
t0 = time.perf_counter()
rows = 0
with open(sys.argv[1], "rb", buffering=0) as f:
    r = CaptureReader(f, sys.argv[1])
    for t in r:
        rows += t.n
print({"packets": r.frames, "rows": rows, "problems": len(r.problems),
       "work_s": time.perf_counter() - t0})
""",
    "dpkt (eth/ip/sctp/udp/tcp parse)": r"""
import sys, time, dpkt
t0 = time.perf_counter()
rows = packets = 0
with open(sys.argv[1], "rb") as f:
    for ts, buf in dpkt.pcap.UniversalReader(f):
        packets += 1
        eth = dpkt.ethernet.Ethernet(buf)
        ip = eth.data
        if not isinstance(ip, dpkt.ip.IP):
            continue
        l4 = ip.data
        if isinstance(l4, dpkt.sctp.SCTP):
            for c in l4.chunks:
                if c.type == 0 and c.flags & 3 == 3:
                    ppid = int.from_bytes(c.data[8:12], "big")
                    if ppid in (18, 27, 46, 47) or ppid == 0:
                        rows += 1
        elif isinstance(l4, dpkt.udp.UDP) and 2123 in (l4.sport, l4.dport):
            rows += 1
        elif isinstance(l4, dpkt.tcp.TCP) and 3868 in (l4.sport, l4.dport) and l4.data:
            rows += 1
print({"packets": packets, "rows": rows, "work_s": time.perf_counter() - t0})
""",
}

# pyshark gets the file, the packet count and the fields; it prints what it read
PYSHARK = r"""
import sys, time, pyshark
path, count, fields = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
t0 = time.perf_counter()
cap = pyshark.FileCapture(path, keep_packets=False)
n = nbytes = found = 0
for pkt in cap:
    for f in fields:
        layer, _, name = f.partition(".")
        lay = getattr(pkt, layer, None) if layer != "frame" else pkt.frame_info
        if lay is not None and lay.get_field_value(name) is not None:
            found += 1
    nbytes += int(pkt.captured_length) + 16           # the pcap record header too
    n += 1
    if n >= count:
        break
cap.close()
print({"packets": n, "bytes": nbytes, "fields": found, "work_s": time.perf_counter() - t0})
"""

# the speed goal's five fields (../shared/bench/README.md)
TSHARK_FIELDS = ["frame.number", "s1ap.procedureCode", "s1ap.MME_UE_S1AP_ID", "s1ap.ENB_UE_S1AP_ID",
                 "nas_eps.emm.cause"]


def run_measured(cmd, env=ENV, cwd=None):
    """Run cmd (in cwd); return (seconds, peak RSS in MB of the process tree's largest member,
    stdout)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)\n"
        "dt = time.perf_counter() - t\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'seconds': dt, 'rss_kb': ru.ru_maxrss, 'rc': p.returncode,"
        " 'out': p.stdout[-4000:], 'err': p.stderr[-2000:]}))\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True,
                         env=env, check=True, cwd=cwd).stdout
    res = json.loads(out)
    if res["rc"] != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {res['err']}")
    return res["seconds"], res["rss_kb"] / 1024, res["out"]


def prefix_copy(path: Path, limit: int) -> Path:
    """A copy of the first `limit` bytes of a pcap, cut at a record boundary."""
    if path.stat().st_size <= limit:
        return path
    out = path.with_name(path.stem + f"-prefix{limit >> 20}M" + path.suffix)
    if out.exists() and out.stat().st_size <= limit:
        return out
    import struct
    with open(path, "rb") as f, open(out, "wb") as g:
        hdr = f.read(24)
        g.write(hdr)
        e = ">" if hdr[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else "<"
        written = 24
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                break
            caplen = struct.unpack(e + "I", rh[8:12])[0]
            if written + 16 + caplen > limit:
                break
            g.write(rh + f.read(caplen))
            written += 16 + caplen
    return out


def tree_env(tree):
    """The environment a contender runs in: this checkout, or a baseline checkout first on the path."""
    return dict(ENV, PYTHONPATH=str(tree_dir(tree)))


def tree_dir(tree):
    """Where a contender runs: `python -c` and `-m` put the working directory first on the path,
    so a baseline's contenders must run in the baseline's checkout."""
    return ROOT if tree is None else Path(tree).resolve()


def bench_file(path: Path, args, repeat: int, smallest: bool):
    size = path.stat().st_size
    trees = [None] + ([args.baseline] if args.baseline else [])
    ref_repeat = repeat if size <= 20e6 else 1

    def label(name, tree):
        return name if tree is None else f"{name} [baseline {Path(tree).name}]"
    results = []

    def record(name, runs, nbytes, packets, note=""):
        """runs: [(seconds, rss MB), ...] of one contender on this file."""
        t = spread([s for s, _ in runs])
        results.append({"contender": name, "file": path.name, "bytes": nbytes,
                        "seconds": t["median"], "seconds_min": t["min"], "seconds_max": t["max"],
                        "runs": t["runs"], "MB_per_s": nbytes / t["median"] / 1e6,
                        "MB_per_s_min": nbytes / t["max"] / 1e6,
                        "MB_per_s_max": nbytes / t["min"] / 1e6, "packets": packets,
                        "packets_per_s": packets / t["median"] if packets else None,
                        "peak_rss_MB": max(r for _, r in runs), "note": note})

    packets_total = None
    for name, code in SNIPPETS.items():
        dpkt = name.startswith("dpkt")
        if dpkt and args.no_dpkt:
            continue
        mine = name.startswith("chrtool")
        target = prefix_copy(path, args.tshark_max) if dpkt else path
        runs, infos = {}, {}
        for _ in range(ref_repeat if dpkt else repeat):
            for tree in (trees if mine else [None]):     # alternate: the machine's drift hits both
                s, rss, out = run_measured([sys.executable, "-c", code, str(target)], tree_env(tree),
                                           tree_dir(tree))
                info = eval(out.strip().splitlines()[-1])  # a dict literal we printed ourselves
                runs.setdefault(tree, []).append((info["work_s"], rss))
                infos[tree] = info
        for tree, rs in runs.items():
            info = infos[tree]
            if name == "chrtool capture stage" and tree is None:
                packets_total = info["packets"]
            note = "in-process time (interpreter start-up excluded)"
            if "rows" in info:
                note += f"; rows={info['rows']}"
            if target != path:
                note += f"; on the first {target.stat().st_size >> 20} MB"
            record(label(name, tree), rs, target.stat().st_size,
                   info.get("packets") or (packets_total if target == path else None), note)
    # end to end: chrtool stats (the CLI's decode benchmark entry point), from each tree
    runs, loops = {}, {}
    for _ in range(repeat):
        for tree in trees:
            s, rss, out = run_measured([sys.executable, "-m", "chrtool", "stats", "--json",
                                        str(path)], tree_env(tree), tree_dir(tree))
            runs.setdefault(tree, []).append((s, rss))
            loops.setdefault(tree, []).append((json.loads(out)["seconds"], rss))
    for tree, rs in runs.items():
        record(label("chrtool stats (end to end)", tree), rs, size, packets_total,
               "wall time of the CLI incl. start-up: capture + S1AP + X2AP + NAS + GTPv2 + "
               "Diameter + counts")
        record(label("chrtool stats (decode loop)", tree), loops[tree], size, packets_total,
               "the same runs' decode loop as stats reports it (start-up and imports excluded)")
    if not args.no_tshark and shutil.which("tshark"):
        sub = prefix_copy(path, args.tshark_max)
        fields = sum((["-e", f] for f in TSHARK_FIELDS), [])
        rs = [run_measured(["tshark", "-n", "-r", str(sub), "-T", "fields", *fields])[:2]
              for _ in range(ref_repeat)]
        note = "wall time" + ("" if sub == path else f", on the first {sub.stat().st_size >> 20} MB")
        record(f"tshark -T fields ({len(TSHARK_FIELDS)} fields)", rs, sub.stat().st_size,
               packets_total if sub == path else None, note)
        if smallest and args.pyshark_packets > 0:
            try:
                import pyshark  # noqa: F401
            except ImportError:
                pyshark = None
            if pyshark is not None:
                rs, info = [], None
                for _ in range(ref_repeat):
                    _, rss, out = run_measured([sys.executable, "-c", PYSHARK, str(path),
                                                str(args.pyshark_packets),
                                                ",".join(TSHARK_FIELDS)])
                    info = eval(out.strip().splitlines()[-1])
                    rs.append((info["work_s"], rss))
                record("pyshark", rs, info["bytes"], info["packets"],
                       f"in-process time, the first {info['packets']:,} packets "
                       f"({info['bytes'] / 1e6:.2f} MB), the {len(TSHARK_FIELDS)} fields read "
                       "from each")
    return results


def table(results):
    by_file = {}
    for r in results:
        by_file.setdefault(r["file"], []).append(r)
    lines = []
    for f, rs in by_file.items():
        tsh = next((r for r in rs if r["contender"].startswith("tshark")), None)
        dp = next((r for r in rs if r["contender"].startswith("dpkt")), None)
        lines.append(f"\n**{f}** ({rs[0]['bytes'] / 1e6:.0f} MB)\n")
        lines.append("| contender | MB/s (median) | min-max | runs | packets/s | peak RSS MB "
                     "| x tshark | x dpkt | note |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in rs:
            pps = f"{r['packets_per_s'] / 1e6:.2f} M" if r["packets_per_s"] else "-"
            xt = f"{r['MB_per_s'] / tsh['MB_per_s']:.0f}x" if tsh else "-"
            xd = f"{r['MB_per_s'] / dp['MB_per_s']:.1f}x" if dp else "-"
            lines.append(f"| {r['contender']} | {r['MB_per_s']:.1f} | {r['MB_per_s_min']:.1f}-"
                         f"{r['MB_per_s_max']:.1f} | {r['runs']} | {pps} | {r['peak_rss_MB']:.0f} "
                         f"| {xt} | {xd} | {r['note']} |")
    return "\n".join(lines)


def exponents(results):
    """contender -> k of its median time ~ size^k over the files (same-size prefixes excluded)."""
    out = {}
    for name in dict.fromkeys(r["contender"] for r in results):
        pts = [(r["bytes"], r["seconds"]) for r in results if r["contender"] == name]
        if len({b for b, _ in pts}) >= 2:
            out[name] = exponent(pts)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="capture ingestion benchmark")
    ap.add_argument("--sizes", type=sizes_arg, default=QUICK_SIZES,
                    help="reference capture sizes in MB (default 10,100; the full suite adds 1000)")
    ap.add_argument("--no-tshark", action="store_true", help="skip tshark and pyshark")
    ap.add_argument("--no-dpkt", action="store_true")
    ap.add_argument("--tshark-max", type=int, default=128 << 20,
                    help="bytes of a file tshark and dpkt read at most (default 128 MiB)")
    ap.add_argument("--pyshark-packets", type=int, default=2000,
                    help="packets pyshark reads, of the smallest input (0: no pyshark)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per chrtool contender")
    ap.add_argument("--baseline", metavar="DIR",
                    help="another chrtool checkout, built in place, to run beside this one")
    args = ap.parse_args(argv)
    sizes = sorted(args.sizes)
    results = []
    for mb in sizes:
        results += bench_file(reference_capture(mb), args, args.repeat, smallest=mb == sizes[0])
    meta = {"python": sys.version.split()[0], "machine": platform.machine(),
            "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "command": " ".join(["python", "benchmarks/bench_capture.py", *(argv or sys.argv[1:])])}
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"meta": meta, "results": results, "exponents": exponents(results)}
    (RESULTS / "capture.json").write_text(json.dumps(doc, indent=2))
    print(table(results))
    for name, k in doc["exponents"].items():
        print(f"{name}: time ~ size^{k}")
    print(f"\nwritten to {RESULTS / 'capture.json'}")


if __name__ == "__main__":
    main()
