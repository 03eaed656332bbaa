"""One radio event, several exports: an eNB's CHR written both as the binary chr-v1 file and as
its CSV export is the same event twice. Linking keeps one (the first in time, then in input
order) and marks the other a copy, as it does for a packet two probes saw, so procedures,
KPIs and findings count it once; the copy is still named (timeline's `copies`)."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.inputs.pipeline import Run
from chrtool.link.correlate import correlate
from chrtool.link.procedures import build
from chrtool.table.events import PROTO

pytest.importorskip("pycrate_asn1rt")
SCENARIOS = ["scg-failure-coverage", "rlf-coverage", "healthy", "healthy"]


def simulate(out, formats):
    args = [a for n in SCENARIOS for a in ("--scenario", n)]
    r = CliRunner().invoke(main, ["simulate", "-o", str(out), "--seed", "11", "--ues",
                                  str(len(SCENARIOS)), "--chr-format", formats, *args])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    base = tmp_path_factory.mktemp("chrcopies")
    return simulate(base / "one", "chr-v1"), simulate(base / "two", "chr-v1,csv")


def linked(path):
    ev = Run([str(path)]).events()
    s = correlate(ev)
    return ev, s


def kinds(ev, s):
    procs = build(ev, s, list(range(len(s.ues))))
    out = {}
    for p in procs:
        imsi = s.ues[p.ue].imsi
        out.setdefault(imsi, []).append((p.start_ns // 10**6, p.kind, p.outcome))   # to the ms
    return {k: sorted(v) for k, v in out.items()}


def test_each_record_of_the_second_export_is_a_copy_of_its_twin(days):
    _, two = days
    ev, s = linked(two)
    chr_rows = np.flatnonzero(ev.cols["proto"] == PROTO["CHR"])
    files = [ev.files[int(f)] for f in ev.cols["file_id"][chr_rows]]
    in_csv = np.array(["chr-csv" in f for f in files])
    assert in_csv.any() and (~in_csv).any() and in_csv.sum() == (~in_csv).sum()
    dup = s.duplicate_of_row[chr_rows]
    # inputs are read in path order (chr-csv/ before chr/), so the CSV's records come first
    assert (dup[in_csv] < 0).all() and (dup[~in_csv] >= 0).all()
    copies, originals = chr_rows[~in_csv], dup[~in_csv]
    assert sorted(originals.tolist()) == sorted(chr_rows[in_csv].tolist())   # one twin each
    assert (ev.cols["msg"][originals] == ev.cols["msg"][copies]).all()
    gap = np.abs(ev.cols["ts_ns"][originals] - ev.cols["ts_ns"][copies])
    assert (gap < 10**6).all()                       # the CSV writes times to the millisecond
    assert (s.ue_of_row[originals] == s.ue_of_row[copies]).all()


def test_procedures_are_built_once_whatever_the_exports(days):
    one, two = days
    assert kinds(*linked(two)) == kinds(*linked(one))


def test_the_timeline_names_the_copies(days):
    _, two = days
    imsi = json.loads((two / "truth.json").read_text())["ues"][0]["imsi"]
    r = CliRunner().invoke(main, ["timeline", "--imsi", imsi, "--format", "json", str(two)])
    doc = json.loads(r.stdout)
    chr_msgs = [m for p in doc["procedures"] for m in p["messages"] if m["proto"] == "CHR"]
    assert chr_msgs and all("chr-csv" in m["file"] for m in chr_msgs)
    assert all([c["file"].rsplit("/", 2)[-2] for c in m.get("copies", ())] == ["chr"]
               for m in chr_msgs)


def test_different_subscribers_at_the_same_instant_are_not_copies(days):
    """A cell outage drops many UEs in one millisecond: same event, same cell, same time, but
    other subscribers; nothing that names another UE is ever a copy."""
    _, two = days
    ev, s = linked(two)
    dup = s.duplicate_of_row
    rows = np.flatnonzero(dup >= 0)
    assert (s.ue_of_row[rows] == s.ue_of_row[dup[rows]]).all()
    imsi = ev.digits_column("imsi")
    for r in rows.tolist():
        if imsi[r] and imsi[dup[r]]:
            assert imsi[r] == imsi[dup[r]]
