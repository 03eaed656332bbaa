"""chrtool procedures and stats --subscribers run the batch stages (chrtool/batch/job.py
Job.procedures): shards of subscribers on disk, one at a time in memory. The table they write
is the one the whole decoded table in memory gives, row for row, whatever the number of
shards or workers, and in every format."""
import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from chrtool.batch import job as job_module
from chrtool.cli import main
from chrtool.inputs.pipeline import Run
from chrtool.link.correlate import correlate
from chrtool.link.procedures import build
from chrtool.output.procedures import procedure_rows
from oracle import CAPTURES

OPEN5GS = [CAPTURES / "open5gs" / n for n in ("testattach.pcapng", "testcups_19b93606.pcapng",
                                              "testepc_48bfe83c.pcapng", "srsenb.pcapng")]


def _key(row):
    return json.dumps(row, sort_keys=True, default=str)


def in_memory(paths):
    """The procedure table from every decoded message held at once (the reference)."""
    ev = Run([str(p) for p in paths]).events()
    s = correlate(ev)
    rows = procedure_rows(ev, s, build(ev, s))
    for r in rows:                      # as the Parquet table holds them
        r["causes"] = json.dumps(r["causes"], ensure_ascii=False)
        r["frames"] = json.dumps(r["frames"], ensure_ascii=False)
    return rows


def cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r


@pytest.fixture(scope="module")
def inputs():
    paths = [p for p in OPEN5GS if p.exists()]
    if len(paths) < 2:
        pytest.skip("the open5gs captures are not present")
    return paths


def test_the_sharded_table_is_the_in_memory_table(inputs, tmp_path):
    out = tmp_path / "procs.parquet"
    cli("procedures", "-o", out, *inputs)
    got = pq.read_table(out).to_pylist()
    want = in_memory(inputs)
    assert len(got) == len(want) > 100
    assert sorted(map(_key, got)) == sorted(map(_key, want))
    # every shard's subscribers in subscriber then time order
    assert len({r["subscriber"] for r in got}) > 8


def test_shards_and_workers_do_not_change_the_table(inputs, tmp_path, monkeypatch):
    one = tmp_path / "one.parquet"
    cli("procedures", "-o", one, *inputs)
    monkeypatch.setattr(job_module, "MIN_SHARDS", 3)
    three = tmp_path / "three.parquet"
    cli("procedures", "-o", three, "--workers", "2", *inputs)
    a, b = pq.read_table(one).to_pylist(), pq.read_table(three).to_pylist()
    assert sorted(map(_key, a)) == sorted(map(_key, b))


def test_csv_and_jsonl_hold_the_same_rows(inputs, tmp_path):
    import csv
    cli("procedures", "-o", tmp_path / "p.parquet", *inputs)
    cli("procedures", "-o", tmp_path / "p.jsonl", *inputs)
    cli("procedures", "-o", tmp_path / "p.csv", *inputs)
    table = pq.read_table(tmp_path / "p.parquet").to_pylist()
    lines = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [(r["subscriber"], r["procedure"], r["kind"], r["outcome"], json.loads(r["frames"]))
            for r in table] == [(r["subscriber"], r["procedure"], r["kind"], r["outcome"],
                                 r["frames"]) for r in lines]
    with open(tmp_path / "p.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(int(r["subscriber"]), r["kind"], r["cause_name"] or None, r["frames"])
            for r in rows] == [(r["subscriber"], r["kind"], r["cause_name"], r["frames"])
                               for r in table]


def test_stats_subscribers_counts_what_the_table_holds(inputs, tmp_path):
    cli("procedures", "-o", tmp_path / "p.parquet", *inputs)
    table = pq.read_table(tmp_path / "p.parquet").to_pylist()
    doc = json.loads(cli("stats", "--json", "--subscribers", *inputs).stdout)
    counts = {}
    for r in table:
        counts[f"{r['kind']} {r['outcome']}"] = counts.get(f"{r['kind']} {r['outcome']}", 0) + 1
    assert doc["procedures"] == dict(sorted(counts.items()))
    s = correlate(Run([str(p) for p in inputs]).events())
    assert doc["linking"] == s.counts() and doc["subscribers"] == len(s.ues)


def test_a_damaged_input_is_named_and_the_rest_used(inputs, tmp_path):
    data = inputs[0].read_bytes()
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[:len(data) * 2 // 3])
    r = CliRunner().invoke(main, ["procedures", "-o", str(tmp_path / "p.parquet"), str(cut)])
    assert r.exit_code == 0, r.output
    assert "cut.pcapng at byte" in r.stderr and r.stderr.count("cut.pcapng at byte") == 1
    assert pq.read_table(tmp_path / "p.parquet").num_rows > 0
    strict = CliRunner().invoke(main, ["procedures", "--strict", "-o",
                                       str(tmp_path / "q.parquet"), str(cut)])
    assert strict.exit_code == 1
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"\x00" * 100)
    r = CliRunner().invoke(main, ["procedures", "-o", str(tmp_path / "b.parquet"), str(bad)])
    assert r.exit_code == 1 and "bad.pcap" in r.stderr


def test_a_full_temporary_folder_is_a_clear_error(inputs, tmp_path, monkeypatch):
    import errno
    from chrtool.batch import store

    def full(path, value):
        raise OSError(errno.ENOSPC, "No space left on device", path)
    monkeypatch.setattr(store, "write_json", full)
    r = CliRunner().invoke(main, ["procedures", "-o", str(tmp_path / "p.parquet"), str(inputs[0])])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "No space left on device" in r.stderr and "set TMPDIR" in r.stderr
    assert not (tmp_path / "p.parquet").exists()
