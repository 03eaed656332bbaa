"""The benchmark suite, one command: every benchmark against its reference, then one table.

    python -m benchmarks [--quick] [--only NAME[,NAME...]] [--report-only]

Each benchmark is a script of this folder (bench_*.py, each runnable alone with its own
options); the suite runs them with the arguments below (--quick: the smaller inputs, within
about 10 minutes here), reads what each wrote to benchmarks/results/<name>.json, and turns it
into rows of one shape:

    {"name", "input", "chrtool", "reference", "ratio", "unit", "rss_mb", "exponent", "spread"}

The capture-based benchmarks (capture stage and `chrtool stats`, linking, diagnose) share one
set of inputs, the reference captures ref-10M, ref-100M and ref-1000M.pcap (benchmarks/common.py;
--quick: the first two), run repeatedly: `chrtool` is the median, `spread` its min-max over the
runs, `exponent` the k of time ~ size^k over the sizes run.

written to benchmarks/results/latest.json ({"machine", "date", "benchmarks": [...]}) and, as a
Markdown table, to benchmarks/results/latest.md, which it also writes into the README between
its benchmark markers; each holds every benchmark's latest results (--only chooses what runs).
--report-only skips the runs and rebuilds all three from the results already there.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parent / "README.md"
BEGIN, END = "<!-- benchmarks:begin (python -m benchmarks writes this table) -->", \
    "<!-- benchmarks:end -->"


def _r(name, input_, chrtool, reference, ratio, unit, rss_mb=None, exponent=None, spread=None):
    """One row; `chrtool` and `reference` are "value unit" texts or numbers in `unit` (medians
    where the runs were repeated); `spread` is the min-max of chrtool's figure over the runs."""
    return {"name": name, "input": input_, "chrtool": chrtool, "reference": reference,
            "ratio": None if ratio is None else round(float(ratio), 1), "unit": unit,
            "rss_mb": None if rss_mb is None else round(float(rss_mb)), "exponent": exponent,
            "spread": spread}


def _spread(lo, hi, digits=0):
    """'lo-hi' of a figure's min and max over repeated runs, or None."""
    if lo is None or hi is None:
        return None
    return f"{lo:,.{digits}f}-{hi:,.{digits}f}"


# ------------------------------------------------------------------ results -> rows
def _capture(d):
    rows = []
    exps = d.get("exponents", {})
    results = [r for r in d["results"] if "baseline" not in r["contender"]]

    def ref(prefix, file):
        return next((x for x in results if x["contender"].startswith(prefix)
                     and x["file"] == file), None)
    for r in results:
        c = r["contender"]
        spread = _spread(r.get("MB_per_s_min"), r.get("MB_per_s_max"))
        runs = f", median of {r['runs']} runs" if r.get("runs", 1) > 1 else ""
        if c.startswith("chrtool capture stage"):
            dpkt = ref("dpkt", r["file"])
            rows.append(_r("capture stage", r["file"], round(r["MB_per_s"]), dpkt and
                           round(dpkt["MB_per_s"], 1), dpkt and r["MB_per_s"] / dpkt["MB_per_s"],
                           f"MB/s{runs} (reference: dpkt)", r["peak_rss_MB"], exps.get(c),
                           spread))
        elif c.startswith("chrtool stats (end to end)"):
            ts = ref("tshark", r["file"])
            rows.append(_r("decode end to end (chrtool stats)", r["file"], round(r["MB_per_s"]),
                           ts and round(ts["MB_per_s"], 1), ts and r["MB_per_s"] / ts["MB_per_s"],
                           f"MB/s{runs}, wall, start-up included (reference: "
                           f"{ts['contender'] if ts else 'tshark -T fields'})",
                           r["peak_rss_MB"], exps.get(c), spread))
            loop = ref("chrtool stats (decode loop)", r["file"])
            if loop:
                rows.append(_r("chrtool stats, decode loop only", r["file"],
                               round(loop["MB_per_s"]), None, None,
                               f"MB/s{runs} (start-up and imports excluded)", None,
                               exps.get(loop["contender"]),
                               _spread(loop.get("MB_per_s_min"), loop.get("MB_per_s_max"))))
            py = ref("pyshark", r["file"])
            if py:
                rows.append(_r("decode end to end (chrtool stats)", r["file"],
                               round(r["MB_per_s"]), round(py["MB_per_s"], 2),
                               r["MB_per_s"] / py["MB_per_s"],
                               f"MB/s{runs} (reference: pyshark on the first "
                               f"{py['packets']:,} packets only)", r["peak_rss_MB"],
                               exps.get(c), spread))
    return rows


def _decoders(d):
    rows = []
    for name, p in d.get("protocols", {}).items():
        rows.append(_r(f"{name.upper()} decoder", p["messages"], p["chrtool_msgs_per_s"],
                       p["pycrate_msgs_per_s"], p["speedup_vs_pycrate"],
                       "messages/s (reference: pycrate)"))
    for p in d.get("results", ()):
        rows.append(_r(f"{p['protocol']} decoder", f"{p['distinct_messages']} distinct messages",
                       p["chrtool_msgs_per_s"], p["pycrate_msgs_per_s"], p["speedup"],
                       "messages/s (reference: pycrate)"))
    return rows


def _chr(d):
    return [_r("chr-v1 reader", f"{d['bytes'] / 1e6:.0f} MB, {d['records']:,} records",
               round(d["cython"]["GB_per_s"] * 1000), round(d["construct"]["MB_per_s"], 2),
               d["speedup"], "MB/s (reference: construct)")]


def _link(d):
    return [_r("linking", r["input"], r["link_msgs_per_s"], None, None,
               "messages/s" + (f", median of {r['runs']} runs" if r.get("runs", 1) > 1 else ""),
               r.get("peak_rss_mb"), r.get("link_exponent"),
               _spread(r.get("link_msgs_per_s_min"), r.get("link_msgs_per_s_max")))
            for r in d["results"]]


def _diagnose(d):
    ts = next((r for r in d["results"] if r["contender"].startswith("tshark")), None)
    return [_r("diagnose --imsi", r["input"], r["seconds"], ts and ts["seconds"],
               r.get("x_tshark"), "s" + (f", median of {r['runs']} runs" if r.get("runs", 1) > 1
                                         else "") + " (reference: tshark -T fields, 5 fields, "
               f"on the {ts['input'] if ts else '?'}; ratio in MB/s)", r["peak_rss_mb"],
               r.get("size_exponent"), _spread(r.get("seconds_min"), r.get("seconds_max"), 2))
            for r in d["results"] if r["contender"].startswith("chrtool")] + [
        _r("diagnose --imsi latency", r["input"], r["seconds"], f["seconds"],
           r["x_tshark_filter"], "s (reference: tshark -Y e212.imsi == the subscriber's IMSI, "
           "the same file; ratio in time)", r["peak_rss_mb"])
        for r in d["results"] if r.get("x_tshark_filter")
        for f in d["results"] if f["contender"].startswith("tshark -Y") and f["input"] == r["input"]]


def _batch(d):
    rows = [_r(f"batch, {r['workers']} worker(s)", f"{d['files']} files, {d['mb']:.0f} MB",
               r["mb_per_s"], None, None, "MB/s", max(r["coordinator_rss_mb"],
                                                      r["worker_rss_mb"]))
            for r in d["runs"]]
    if rows and d.get("scaling"):
        rows.append(_r("batch, 1 -> 2 workers", f"{d['files']} files", d["scaling"], None, None,
                       "x speed-up"))
    return rows


def _simulate(d):
    return [_r("simulate", f"{g['mb']:.0f} MB, {g['ues']} subscribers", g["mb_per_s"], None,
               None, "MB/s", g["peak_rss_mb"]) for g in d["generation"]]


def _diagnosis(d):
    return [_r("diagnosis accuracy", f"{d['subscribers']} simulated subscribers",
               f"{d['recovered']}/{d['subscribers']} recovered, "
               f"{d['healthy_with_finding']} false findings", "truth.json", None,
               "subscribers")]


# name -> (script, quick arguments, full arguments, results file, rows)
BENCHMARKS = {
    "capture": ("bench_capture.py", ["--sizes", "10,100", "--repeat", "3"],
                ["--sizes", "10,100,1000", "--repeat", "5"], "capture.json", _capture),
    "s1ap_x2ap": ("bench_s1ap_x2ap.py", [], [], "s1ap_x2ap.json", _decoders),
    "nas_gtp_diameter": ("bench_nas_gtp_diameter.py", ["--messages", "50000"],
                         ["--messages", "200000"], "nas_gtp_diameter.json", _decoders),
    "chr": ("bench_chr.py", ["--mb", "64", "--construct-mb", "2"],
            ["--mb", "256", "--construct-mb", "4"], "chr.json", _chr),
    "link": ("bench_link.py", ["--sizes", "10,100", "--repeat", "3"],
             ["--sizes", "10,100,1000", "--repeat", "3"], "link.json", _link),
    "diagnose": ("bench_diagnose.py", ["--sizes", "10,100", "--repeat", "3"],
                 ["--sizes", "10,100,1000", "--repeat", "3"], "diagnose.json", _diagnose),
    "batch": ("bench_batch.py", ["--files", "2", "--mb", "10"], ["--files", "4", "--mb", "25"],
              "batch.json", _batch),
    "simulate": ("bench_simulate.py", ["--sizes", "1,4", "--score-ues", "0"],
                 ["--sizes", "1,4,16"], "simulate.json", _simulate),
    "diagnosis": ("bench_diagnosis.py", ["--seeds", "1", "--per-scenario", "1", "--healthy", "5"],
                  [], "diagnosis.json", _diagnosis),
}


def rows_of(names):
    """The rows of the named benchmarks from their results files (missing files are noted)."""
    rows, missing = [], []
    for name in names:
        path = RESULTS / BENCHMARKS[name][3]
        if not path.exists():
            missing.append(name)
            continue
        rows += BENCHMARKS[name][4](json.loads(path.read_text()))
    return rows, missing


def markdown(doc):
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:,.2f}".rstrip("0").rstrip(".")
        return f"{v:,}" if isinstance(v, int) else str(v)
    lines = [f"Benchmarks of {doc['date']} on {doc['machine']} (`python -m benchmarks`).", "",
             "| benchmark | input | chrtool | min-max | reference | ratio | unit | peak RSS MB "
             "| size exponent |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in doc["benchmarks"]:
        lines.append("| " + " | ".join(cell(r.get(k)) for k in (
            "name", "input", "chrtool", "spread", "reference", "ratio", "unit", "rss_mb",
            "exponent")) + " |")
    return "\n".join(lines) + "\n"


def embed(md, readme=README):
    """Put the table between the README's markers (nothing happens without them)."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{md}{END}{tail}")
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the smaller inputs (about 10 minutes)")
    ap.add_argument("--only", help="comma-separated benchmarks: " + ", ".join(BENCHMARKS))
    ap.add_argument("--report-only", action="store_true",
                    help="no runs: rebuild latest.json and latest.md from the results there")
    args = ap.parse_args(argv)
    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            ap.error(f"unknown benchmark {unknown[0]!r}; known: {', '.join(BENCHMARKS)}")
    failed = []
    if not args.report_only:
        for name in names:
            script, quick, full, _, _ = BENCHMARKS[name]
            cmd = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
            print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
            if subprocess.run(cmd, cwd=HERE.parent).returncode != 0:
                failed.append(name)              # its old results, if any, still show
    rows, missing = rows_of(list(BENCHMARKS))     # the table shows every benchmark's latest
    missing = [n for n in missing if n in names]
    doc = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
           "date": datetime.date.today().isoformat(), "benchmarks": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(doc, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(doc))
    embed(markdown(doc))
    print(markdown(doc))
    for name in missing:
        print(f"no results for {name}: run `python -m benchmarks --only {name}`", file=sys.stderr)
    if failed:
        print("failed (their earlier results shown): " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
