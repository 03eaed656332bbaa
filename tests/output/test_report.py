"""chrtool/output/report.py: the diagnosis as JSON (DESIGN.md shape) and text, and the subscriber
timeline (the HTML report: test_html.py).

The real documents come from the command line on samples/attach_reject.pcap, whose story
(samples/make_samples.py) puts IMSI 001010000000002's Attach Reject #7 in frame 68; the
hand-made ones check what the sample cannot show (escaping, Chinese, problems).
"""
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.errors import Problem
from chrtool.output import report
from oracle import ROOT, SAMPLES

CAPTURE = "samples/attach_reject.pcap"
UE = "001010000000002"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
TOP_KEYS = {"complaint", "imsi", "msisdn", "window", "inputs", "sessions", "findings",
            "common_problems"}
FINDING_KEYS = {"time", "imsi", "procedure", "failure_node", "interface", "cause", "category",
                "specialty", "disposition", "cell", "evidence", "summary", "reply"}
NODES = {"UE", "eNB", "gNB", "MME", "SGW", "PGW", "HSS", "transport", "unknown"}
INTERFACES = {"Uu", "S1-MME", "X2", "S11", "S5", "S6a"}
CATEGORIES = {"coverage", "interference", "hardware-link", "congestion", "configuration",
              "core-reject", "subscription", "user-terminal", "transport", "unknown"}
SPECIALTIES = {"ran", "ran-core", "switching", "ran-opt", "data-core"}
DISPOSITIONS = {"self-handle", "dispatch", "field-test"}


def cli(monkeypatch, *args):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def decoded():
    """Every decode row of the capture, by (file, frame)."""
    from chrtool.inputs.pipeline import Run
    from chrtool.output.rows import iter_rows
    by_frame = {}
    for r in iter_rows(Run([str(SAMPLES / "attach_reject.pcap")]).events()):
        by_frame.setdefault(r["frame"], []).append(r)
    return by_frame


def check_cause(cause):
    assert set(cause) in ({"proto", "group", "value", "name"}, {"proto", "value", "name"}), cause
    assert isinstance(cause["value"], int) and isinstance(cause["name"], str) and cause["name"]


# ------------------------------------------------------------------------------------ JSON
def test_diagnosis_json_has_the_design_shape(monkeypatch, decoded):
    doc = json.loads(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "json", CAPTURE))
    assert set(doc) == TOP_KEYS                                      # no "problems": none
    assert (doc["complaint"], doc["imsi"]) == (None, UE)
    assert doc["window"] == {"since": None, "until": None}
    assert doc["inputs"] == [CAPTURE] and isinstance(doc["sessions"], int) and doc["sessions"] > 0
    [f] = doc["findings"]
    assert FINDING_KEYS <= set(f)
    assert ISO.match(f["time"]) and f["imsi"] == UE and f["procedure"] == "attach"
    assert f["failure_node"] in NODES and f["interface"] in INTERFACES
    assert f["category"] in CATEGORIES and f["specialty"] in SPECIALTIES
    assert f["disposition"] in DISPOSITIONS
    check_cause(f["cause"])
    assert f["cause"] == {"proto": "Diameter", "group": "experimental-result", "value": 5420,
                          "name": "DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION"}   # the HSS's, in the ULA
    assert (f["failure_node"], f["interface"]) == ("HSS", "S6a")
    assert set(f["cell"]) <= {"ecgi", "nr_cgi"} and f["cell"]
    assert isinstance(f["summary"], str) and f["summary"] and "\n" not in f["summary"]
    # every piece of evidence names a message the decode rows hold in that frame
    assert {67, 68} <= {e["frame"] for e in f["evidence"]}     # the ULA and the MME's reject
    for e in f["evidence"]:
        assert {"file", "frame", "msg"} <= set(e) and e["file"] == CAPTURE
        names = {n for r in decoded[e["frame"]] for n in [r["msg"]] + [x["msg"] for x in
                                                                      r.get("nas", ())]}
        assert e["msg"] in names, e
        if "cause" in e:
            check_cause(e["cause"])


def test_a_healthy_subscriber_gets_an_empty_findings_list(monkeypatch):
    doc = json.loads(cli(monkeypatch, "diagnose", "--imsi", "001010000000001", "--format",
                         "json", CAPTURE))
    assert doc["findings"] == [] and doc["imsi"] == "001010000000001"


def test_diagnosis_json_carries_confidence_repeats_and_common_problems(monkeypatch):
    doc = json.loads(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "json", CAPTURE))
    assert isinstance(doc["common_problems"], list)
    [f] = doc["findings"]
    assert {"confidence", "confidence_reason", "count", "first", "last", "consequences",
            "procedure_id", "rule", "common_problem"} <= set(f)
    assert 0 <= f["confidence"] <= 1 and f["count"] >= 1


def test_reply_times_are_written_for_people(monkeypatch):
    doc = json.loads(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "json", CAPTURE))
    [f] = doc["findings"]
    assert "2026-11-27 09:00:14" in f["reply"] and "T09:00:14" not in f["reply"]


def test_to_json_keeps_unicode_and_numpy_numbers_and_lists_problems():
    doc = report.diagnosis_document("T1", UE, "", "2026-11-27T00:00:00.000000Z", None,
                                    ["a.pcap"], np.int64(2), [],
                                    [Problem("a.pcap", "sctp", "chunk length 3 < 16", offset=120)])
    text = report.to_json(doc)
    assert text.endswith("}\n")
    back = json.loads(text)
    assert back["sessions"] == 2 and back["msisdn"] is None           # '' -> null
    assert back["problems"] == [{"file": "a.pcap", "offset": 120, "layer": "sctp",
                                 "message": "chunk length 3 < 16"}]
    zh = report.to_json({"reply": "经核实"})
    assert "经核实" in zh                                              # not \\u-escaped


# ------------------------------------------------------------------------------------ text
FINDING = {
    "time": "2026-11-27T09:00:14.147309Z", "imsi": UE, "procedure": "attach",
    "failure_node": "MME", "interface": "S1-MME",
    "cause": {"proto": "NAS-EPS", "group": "emm", "value": 7, "name": "EPS services not allowed"},
    "category": "subscription", "specialty": "ran-core", "disposition": "self-handle",
    "cell": {"ecgi": "001-01-104993-1"},
    "evidence": [{"file": "x.pcap", "frame": 68, "msg": "AttachReject",
                  "carrier": "DownlinkNASTransport",
                  "cause": {"proto": "NAS-EPS", "group": "emm", "value": 7,
                            "name": "EPS services not allowed"}},
                 {"file": "x.pcap", "frame": 67, "msg": "Update-Location-Answer"}],
    "summary": "Attach rejected <by> the MME", "reply": "<script>alert('x')</script> & more",
}


def doc_with(findings, **kw):
    base = dict(complaint=None, imsi=UE, msisdn=None, since=None, until=None,
                inputs=["x.pcap"], sessions=1, findings=findings)
    base.update(kw)
    return report.diagnosis_document(**base)


def test_diagnosis_text_names_node_cause_and_each_evidence_frame():
    text = report.diagnosis_text(doc_with([FINDING], complaint="T2026112700017"))
    lines = text.splitlines()
    assert lines[0] == f"chrtool diagnosis  complaint=T2026112700017  imsi={UE}  msisdn=-"
    assert "Finding 1: 2026-11-27T09:00:14.147309Z  attach failed at MME (S1-MME)" in lines
    assert "  cause        NAS-EPS emm #7 EPS services not allowed" in lines
    assert "  cell         ECGI 001-01-104993-1" in lines
    ev = [line.strip() for line in lines if "x.pcap frame" in line]
    assert ev == ["evidence     x.pcap frame 68: AttachReject (in DownlinkNASTransport) "
                  "[NAS-EPS emm #7 EPS services not allowed]",
                  "x.pcap frame 67: Update-Location-Answer"]
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_diagnosis_text_without_findings_in_both_languages_and_problems():
    problem = Problem("bad.pcap", "sctp", "DATA chunk cut", offset=4242)
    en = report.diagnosis_text(doc_with([], problems=[problem]))
    assert "No signalling failure found for this subscriber in the window." in en
    assert "input problem: bad.pcap at byte 4242 [sctp]: DATA chunk cut" in en
    zh = report.diagnosis_text(doc_with([]), lang="zh")
    assert "在该时间窗内未发现该用户的信令失败。" in zh and "No signalling" not in zh


# -------------------------------------------------------------------------------- timeline
def test_timeline_holds_the_subscribers_messages_in_time_order(monkeypatch, tshark):
    doc = json.loads(cli(monkeypatch, "timeline", "--imsi", UE, "--format", "json", CAPTURE))
    assert set(doc) == {"imsi", "msisdn", "messages", "procedures", "other_messages"}
    assert doc["imsi"] == UE
    rows = doc["messages"]
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)
    assert {r.get("imsi", UE) for r in rows} == {UE}
    # tshark: the UE's connection opens with the InitialUEMessage before its IMSI first shows
    # (an Identity Response) and ends at the release complete that follows; the sample's UEs
    # take turns, so every S1AP/Diameter frame in between is this UE's
    frames = tshark.fields(SAMPLES / "attach_reject.pcap", "frame.number", "e212.imsi",
                           "s1ap.procedureCode", "diameter.cmd.code", "_ws.col.Info")
    seen = min(int(f[0]) for f in frames if UE in f[1].split(","))
    first = max(int(f[0]) for f in frames if int(f[0]) <= seen and "InitialUEMessage" in f[4])
    last = min(int(f[0]) for f in frames if int(f[0]) > first and "UEContextReleaseComplete" in f[4])
    want = [int(f[0]) for f in frames if first <= int(f[0]) <= last and (f[2] or f[3])]
    assert [r["frame"] for r in rows] == want


def test_timeline_text_is_a_ladder_of_procedures_holding_every_message(monkeypatch):
    text = cli(monkeypatch, "timeline", "--imsi", UE, CAPTURE)
    doc = json.loads(cli(monkeypatch, "timeline", "--imsi", UE, "--format", "json", CAPTURE))
    lines = text.splitlines()

    def count(procs):
        return sum(1 + count(p["children"]) for p in procs)
    assert lines[0] == f"timeline of {UE}: {count(doc['procedures'])} procedures"
    assert lines[1].endswith("attach [REJECT] S1-MME  by MME  cause: NAS-EPS emm #7 "
                             "EPS services not allowed")
    for r in doc["messages"]:                # every message of the subscriber is on the ladder
        mine = [line for line in lines if f"{r['ts']}  {CAPTURE}#{r['frame']}  " in line]
        assert mine, r["frame"]
        nas = [n["msg"] for n in r.get("nas", ())]
        assert all(f" {r['proto']} {r['msg']}" in line for line in mine)
        assert all((f"[{', '.join(nas)}]" in line) == bool(nas) for line in mine)
    reject = {line.strip() for line in lines if "#68 " in line}
    assert len(reject) == 1 and "[AttachReject]" in reject.pop()
