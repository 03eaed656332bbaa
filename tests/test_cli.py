"""The command line, through click's runner and through the installed console script."""
import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from chrtool.cli import main

REAL = "uecapabilityparser/sctpS1apNgap.pcap"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_version_reports_the_compiled_core():
    result = run("--version")
    assert result.exit_code == 0
    assert "compiled (Cython)" in result.output


@pytest.mark.parametrize("command", ["decode", "stats", "timeline", "diagnose", "batch", "simulate"])
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output) > 200


@pytest.mark.parametrize("command", [["batch", "x", "-o", "out"], ["simulate", "-o", "out"]])
def test_commands_not_built_yet_exit_2_with_one_line(command):
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2
    assert result.output.strip().endswith("not implemented yet")


def test_decode_jsonl_on_a_real_capture(captures_dir):
    result = run("decode", captures_dir / REAL)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 76   # tshark: s1ap=76 (two after SCTP reassembly)
    r19 = [r for r in rows if r["frame"] == 19][0]
    assert r19["msg"] == "UEContextReleaseCommand"
    assert r19["mme_ue_s1ap_id"] == 3692815114 and r19["enb_ue_s1ap_id"] == 2060815
    assert r19["cause"] == {"proto": "S1AP", "group": "nas", "value": 3, "name": "unspecified"}
    assert r19["ts"].endswith("Z") and r19["src"] == "10.0.0.16"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_decode_tables(tmp_path, captures_dir, fmt):
    out = tmp_path / f"rows.{fmt}"
    result = run("decode", "--format", fmt, "-o", out, captures_dir / REAL)
    assert result.exit_code == 0
    if fmt == "csv":
        import csv
        rows = list(csv.DictReader(open(out)))
    else:
        import pyarrow.parquet as pq
        rows = pq.read_table(out).to_pylist()
    assert len(rows) == 76   # tshark: s1ap=76 (two after SCTP reassembly)
    # the same rows as `decode` prints as JSON lines; nested values as JSON text
    jsonl = [json.loads(line) for line in run("decode", captures_dir / REAL).stdout.splitlines()]
    for want, got in zip(jsonl, rows):
        for key, value in got.items():
            if key not in want:
                assert value in ("", None), key
            elif isinstance(want[key], (dict, list)):
                assert json.loads(value) == want[key], key
            else:
                assert str(value) == str(want[key]), key


def test_stats_counts_messages_and_causes(captures_dir):
    result = run("stats", "--json", captures_dir / REAL)
    assert result.exit_code == 0
    s = json.loads(result.stdout)
    assert s["protocols"] == {"S1AP": 76}
    assert s["by_message"]["S1AP UEContextReleaseCommand"] == 12
    assert s["by_cause"]["S1AP nas #2 detach"] == 6


def test_diagnose_json_finds_the_sample_attach_reject(samples_dir):
    result = run("diagnose", "--imsi", "001010000000002", "--format", "json", samples_dir)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["imsi"] == "001010000000002" and doc["complaint"] is None
    [f] = doc["findings"]
    assert f["failure_node"] == "MME" and f["cause"]["value"] == 7
    assert set(f) >= {"time", "imsi", "procedure", "failure_node", "interface", "cause", "category",
                      "specialty", "disposition", "cell", "evidence", "summary", "reply"}


def test_diagnose_healthy_subscriber_has_no_findings(samples_dir):
    result = run("diagnose", "--imsi", "001010000000001", "--format", "json", samples_dir)
    assert json.loads(result.stdout)["findings"] == []


def test_diagnose_by_complaint_ticket_in_chinese(samples_dir):
    result = run("diagnose", "--complaint", "T2026112700017", "--tickets",
                 samples_dir / "tickets.csv", "--lang", "zh", "--format", "json", samples_dir)
    doc = json.loads(result.stdout)
    assert doc["complaint"] == "T2026112700017"
    assert doc["window"]["since"].startswith("2026-11-26T09:00")
    assert doc["findings"][0]["reply"].startswith("经核实")


def test_diagnose_text_and_html(samples_dir, tmp_path):
    text = run("diagnose", "--imsi", "001010000000002", samples_dir).output
    assert "failed at MME" in text and "EPS services not allowed" in text
    out = tmp_path / "r.html"
    assert run("diagnose", "--imsi", "001010000000002", "--format", "html", "-o", out,
               samples_dir).exit_code == 0
    page = out.read_text()
    assert "<svg" in page and "AttachReject" in page


def test_timeline_lists_the_subscribers_messages(samples_dir):
    result = run("timeline", "--imsi", "001010000000002", "--format", "json", samples_dir)
    rows = json.loads(result.stdout)["messages"]
    assert rows[0]["msg"] == "InitialUEMessage"
    assert any(n["msg"] == "AttachReject" for r in rows for n in r.get("nas", ()))


def test_usage_errors_exit_2(samples_dir, tmp_path):
    assert run("diagnose", samples_dir).exit_code == 2                       # no subscriber
    assert run("diagnose", "--imsi", "1", "--msisdn", "2", samples_dir).exit_code == 2
    assert run("diagnose", "--imsi", "1", tmp_path / "missing.pcap").exit_code == 2
    assert run("decode", "--format", "parquet", samples_dir).exit_code == 2  # needs -o


def test_unreadable_input_exits_1_and_names_the_file(tmp_path):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"\x00" * 100)
    result = CliRunner().invoke(main, ["stats", str(bad)])
    assert result.exit_code == 1
    assert "bad.pcap" in result.stderr


def test_truncated_capture_is_reported_with_offset_and_the_rest_used(tmp_path, samples_dir):
    data = (samples_dir / "attach_reject.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:len(data) - 30])
    result = CliRunner().invoke(main, ["stats", "--json", str(cut)])
    assert result.exit_code == 0
    assert "cut.pcap at byte" in result.stderr
    full = json.loads(run("stats", "--json", samples_dir / "attach_reject.pcap").stdout)
    got = json.loads(result.stdout)
    assert got["capture"]["packets"] == full["capture"]["packets"] - 1
    assert got["problems"] == 1


def test_console_script_runs_in_a_subprocess(samples_dir):
    exe = shutil.which("chrtool")
    cmd = [exe] if exe else [sys.executable, "-m", "chrtool"]
    out = subprocess.run(cmd + ["diagnose", "--imsi", "001010000000003", "--format", "json",
                                str(samples_dir)], capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["findings"][0]["cause"]["value"] == 15


@pytest.mark.parametrize("imsi,expected", [
    ("001010000000004", [("2026-11-27T09:01:07.310000Z", "endc-release", "scg-failure-weak-nr-coverage"),
                         ("2026-11-27T09:01:10.260000Z", "endc-addition",
                          "sgnb-addition-failure-weak-nr-coverage")]),
    ("001010000000005", [("2026-11-27T09:01:35.820000Z", "radio-link", "rlf-weak-coverage")]),
])
def test_diagnose_the_chr_radio_stories_of_the_samples(samples_dir, imsi, expected):
    doc = json.loads(run("diagnose", "--imsi", imsi, "--format", "json", samples_dir).stdout)
    got = [(f["time"], f["procedure"], f["rule"]) for f in doc["findings"]]
    assert got == expected
    for f in doc["findings"]:
        assert f["category"] == "coverage" and f["specialty"] == "ran-opt"
        # the same story is in the chr-v1, both vendor CSVs: one finding cites all of them
        assert len({e["file"] for e in f["evidence"]}) >= 3
