"""chrtool batch on a simulated night: rotated files from two probes, CHR, tickets and a
damaged file. The findings agree with the generator's truth; the outputs are the same bytes for
any number of workers, on Dask, and after a SIGKILL at any moment and a rerun."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from chrtool.batch import triage
from chrtool.cli import main

SCENARIOS = (["cell-outage"] * 4 + ["healthy"] * 4
             + ["hss-unknown-eps-subscription", "rlf-coverage", "pgw-reject", "ho-prep-failure",
                "endc-reject-congestion", "gateway-silent", "service-reject-congestion",
                "auth-resync"])
OUTPUTS = ("findings.parquet", "sessions.parquet", "cells.parquet", "common_problems.parquet",
           "tickets.parquet", "report.txt", "report.html", "manifest.json")


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    pytest.importorskip("pycrate_asn1rt")
    root = tmp_path_factory.mktemp("night")
    data = root / "data"
    args = ["simulate", "-o", str(data), "--seed", "11", "--ues", str(len(SCENARIOS)),
            "--hours", "0.2", "--files", "3", "--chr-format", "chr-v1,csv"]
    for s in SCENARIOS:
        args += ["--scenario", s]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    truth = json.loads((data / "truth.json").read_text())["ues"]
    # a damaged export: a capture header, then nothing readable
    (data / "capture" / "probe-c-0001.pcap").write_bytes(
        bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000") + b"\xff" * 40)
    faulty = [u for u in truth if u["expect"]]
    coverage = next(u for u in truth if u["scenario"] == "rlf-coverage")
    hss = next(u for u in truth if u["scenario"] == "hss-unknown-eps-subscription")
    outage = next(u for u in truth if u["scenario"] == "cell-outage")
    pgw = next(u for u in truth if u["scenario"] == "pgw-reject")
    tickets = root / "tickets.csv"
    with open(tickets, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ticket", "msisdn", "imsi", "time", "address", "phenomenon", "customer_class"])
        t = _time(hss)
        w.writerow(["T1-VIP", "", hss["imsi"], t, "Road 1", "cannot access 4G", "VIP"])
        w.writerow(["T2-COVERAGE", "", coverage["imsi"], _time(coverage), "Lane 2",
                    "call dropped", "ordinary"])
        w.writerow(["T3-OUTAGE", "", outage["imsi"], _time(outage), "Lane 3", "no service",
                    "ordinary"])
        w.writerow(["T4-REPEAT-A", "", pgw["imsi"], _time(pgw), "Lane 4", "cannot access 4G",
                    "ordinary"])
        w.writerow(["T4-REPEAT-B", "", pgw["imsi"], _time(pgw), "Lane 4", "cannot access 4G",
                    "ordinary"])
        w.writerow(["T5-UNKNOWN", "8613999999999", "", t, "Lane 5", "no service", "ordinary"])
    assert faulty
    return {"data": data, "truth": truth, "tickets": tickets, "root": root}


def _time(ue):
    """A complaint time shortly after the subscriber's fault (or the night's start)."""
    e = ue["expect"]
    return e["time"] if e and e.get("time") else "2026-11-27T08:00:00Z"


def run_batch(night, out, *more):
    args = ["batch", str(night["data"]), "-o", str(out), "--tickets", str(night["tickets"]), *more]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return out


def digest(out):
    """Every output file's bytes (the per-ticket reports included)."""
    files = {name: (out / name).read_bytes() for name in OUTPUTS}
    for p in sorted((out / "tickets").iterdir()):
        files["tickets/" + p.name] = p.read_bytes()
    return files


@pytest.fixture(scope="module")
def reference(night):
    return run_batch(night, night["root"] / "out-1", "--workers", "1")


def rows(out, name):
    return pq.read_table(out / name).to_pylist()


def test_findings_agree_with_truth(night, reference):
    by = {}
    for f in rows(reference, "findings.parquet"):
        by.setdefault(f["imsi"], []).append(f)
    for ue in night["truth"]:
        got = by.get(ue["imsi"], [])
        e = ue["expect"]
        if e is None:
            assert not got, (ue["scenario"], got)
            continue
        cause = e.get("cause") or {}
        assert any(f["failure_node"] in e["failure_node"] and f["category"] == e["category"]
                   and (not cause or (f["cause_proto"], f["cause_value"]) ==
                        (cause["proto"], cause["value"])) for f in got), (ue["scenario"], got)


def test_findings_table_has_the_design_columns(reference):
    table = pq.read_table(reference / "findings.parquet")
    assert table.column_names[:21] == [
        "imsi", "msisdn", "complaint", "time", "procedure", "failure_node", "interface",
        "cause_proto", "cause_group", "cause_value", "cause_name", "category", "specialty",
        "disposition", "ecgi", "nr_cgi", "confidence", "count", "rule", "summary", "evidence"]
    for f in table.to_pylist():
        assert json.loads(f["evidence"]), f          # every finding names its frames


def test_the_outage_is_one_common_problem(night, reference):
    common = rows(reference, "common_problems.parquet")
    outage = {u["imsi"] for u in night["truth"] if u["scenario"] == "cell-outage"}
    hit = [c for c in common if set(json.loads(c["imsis"])) & outage]
    assert len(hit) == 1 and hit[0]["subscribers"] >= len(outage)
    assert set(json.loads(hit[0]["imsis"])) == outage


def test_cell_kpis_count_the_procedures(reference):
    """Attach attempts per cell and hour add up to the attaches of sessions.parquet that ended."""
    cells = rows(reference, "cells.parquet")
    seen, attempts, successes = set(), 0, 0
    for c in cells:
        if (c["ecgi"], c["hour"]) not in seen:
            seen.add((c["ecgi"], c["hour"]))
            attempts += c["attach_attempts"]
            successes += c["attach_successes"]
    procs = [p for p in rows(reference, "sessions.parquet") if p["kind"] == "attach"]
    assert attempts == sum(p["outcome"] != "open" for p in procs) > 0
    assert successes == sum(p["outcome"] == "success" for p in procs)
    failures = sum(c["failures"] for c in cells)
    assert failures == sum(f["count"] for f in rows(reference, "findings.parquet"))


def test_tickets_are_triaged(reference):
    by = {t["ticket"]: t for t in rows(reference, "tickets.parquet")}
    assert set(by) == {"T1-VIP", "T2-COVERAGE", "T3-OUTAGE", "T4-REPEAT-A", "T4-REPEAT-B",
                       "T5-UNKNOWN"}
    assert by["T1-VIP"]["class"] == "must-solve" and by["T1-VIP"]["failure_node"] == "HSS"
    assert by["T2-COVERAGE"]["class"] == "not-now"
    assert by["T2-COVERAGE"]["category"] == "coverage"
    assert by["T3-OUTAGE"]["class"] == "must-solve" and by["T3-OUTAGE"]["common_problem"]
    assert by["T4-REPEAT-A"]["class"] == by["T4-REPEAT-B"]["class"] == "must-solve"
    assert by["T4-REPEAT-A"]["complaints"] == 2
    unknown = by["T5-UNKNOWN"]
    assert unknown["class"] == "regular" and unknown["disposition"] == "field-test"
    assert unknown["reply"] == triage.NO_DATA["en"] and unknown["report"] is None
    order = [t["class"] for t in rows(reference, "tickets.parquet")]
    assert order == sorted(order, key=triage.CLASSES.index)
    report = json.loads((reference / "tickets" / "T1-VIP.json").read_text())
    assert report["complaint"] == "T1-VIP" and report["findings"][0]["failure_node"] == "HSS"
    assert "<svg" in (reference / "tickets" / "T1-VIP.html").read_text()


def test_the_damaged_file_is_quarantined_and_the_rest_is_used(reference):
    manifest = json.loads((reference / "manifest.json").read_text())
    bad = [i for i in manifest["inputs"] if i["path"].endswith("probe-c-0001.pcap")]
    assert bad and bad[0]["status"] == "quarantined" and bad[0]["reason"]
    used = [i for i in manifest["inputs"] if i["status"] == "ok"]
    assert len(used) >= 8 and all(i["blake2b"] and i["bytes"] > 0 for i in used)
    assert "probe-c-0001.pcap" in (reference / "report.txt").read_text()
    assert "probe-c-0001.pcap" in (reference / "report.html").read_text()


def test_the_report_draws_its_charts_inline(reference):
    page = (reference / "report.html").read_text()
    assert page.count("<svg") >= 4 and "http" not in page.replace('href="tickets/', "")
    assert 'href="tickets/T1-VIP.html"' in page
    assert "Top causes" in (reference / "report.txt").read_text()


def test_outputs_do_not_depend_on_the_number_of_workers(night, reference):
    two = run_batch(night, night["root"] / "out-2", "--workers", "2")
    assert digest(two) == digest(reference)


def test_dask_gives_the_local_engine_outputs(night, reference):
    pytest.importorskip("distributed")
    out = run_batch(night, night["root"] / "out-dask", "--engine", "dask", "--workers", "2")
    assert digest(out) == digest(reference)


def test_a_rerun_skips_finished_files(night, reference):
    out = night["root"] / "out-rerun"
    run_batch(night, out, "--workers", "1")
    maps = {p: p.stat().st_mtime_ns for p in (out / ".work" / "map").iterdir()}
    run_batch(night, out, "--workers", "1")
    assert {p: p.stat().st_mtime_ns for p in (out / ".work" / "map").iterdir()} == maps
    assert digest(out) == digest(reference)


@pytest.mark.parametrize("fraction", [0.15, 0.35, 0.55, 0.75, 0.95])
def test_sigkill_at_any_moment_then_rerun_gives_the_same_bytes(night, reference, fraction):
    """The job is killed (SIGKILL, the whole process group) at a point of its run, then run
    again to the end: the outputs are the uninterrupted run's bytes."""
    out = night["root"] / f"out-kill-{fraction}"
    cmd = [sys.executable, "-m", "chrtool", "batch", str(night["data"]), "-o", str(out),
           "--tickets", str(night["tickets"]), "--workers", "2"]
    started = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    whole = time.monotonic() - started
    for p in out.iterdir():                         # start again from nothing, then kill
        if p.is_dir():
            import shutil
            shutil.rmtree(p)
        else:
            p.unlink()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(whole * fraction)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    subprocess.run(cmd, check=True, capture_output=True)
    assert digest(out) == digest(reference)


def test_events_table_on_request(night, tmp_path):
    out = run_batch(night, tmp_path / "out", "--events")
    events = pq.read_table(out / "events.parquet")
    assert events.num_rows > 100
    linked = [i for i in events.column("subscriber_imsi").to_pylist() if i]
    assert {u["imsi"] for u in night["truth"]} <= set(linked)


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler goes with --engine dask"),
    (["--since", "2026-11-28T00:00:00Z", "--until", "2026-11-27T00:00:00Z"], "swap them"),
    (["--workers", "0"], "--workers"),
])
def test_usage_errors(night, tmp_path, args, message):
    r = CliRunner().invoke(main, ["batch", str(night["data"]), "-o", str(tmp_path / "o"), *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


def test_outputs_read_with_pandas_and_duckdb(reference):
    """The analysts' tools read the tables as they are (DESIGN.md: pandas, polars, duckdb)."""
    pd = pytest.importorskip("pandas")
    duckdb = pytest.importorskip("duckdb")
    for name in ("findings", "sessions", "cells", "common_problems", "tickets"):
        path = Path(reference) / f"{name}.parquet"
        frame = pd.read_parquet(path)
        assert len(frame.columns) > 5
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
        assert n == len(frame) == pq.read_metadata(path).num_rows
    worst = duckdb.sql(f"SELECT failure_node, count(*) FROM read_parquet("
                       f"'{reference}/findings.parquet') GROUP BY 1 ORDER BY 2 DESC").fetchall()
    assert worst and worst[0][1] >= 1
