"""chrtool diagnose --bundle DIR: every file is there and says what the separate commands say.

findings.json must be the `diagnose --format json` document, report.html the `--format html`
one, timeline.txt what `chrtool timeline` prints, the capture what `chrtool extract` writes (and
tshark opens it with as many frames as its sidecar lists), and README.txt must name every input
with its size and BLAKE2b hash, the version, the command line and the time zone.
"""
import csv
import hashlib
import json
import os
import subprocess

import pytest
from click.testing import CliRunner

from chrtool import __version__
from chrtool.cli import main
from chrtool.output.bundle import FILES
from oracle import ROOT

TICKET = ["--complaint", "T2026112700017", "--tickets", "samples/tickets.csv"]


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def blake2b(path):
    return hashlib.blake2b(open(path, "rb").read(), digest_size=16).hexdigest()


def check_bundle(tshark, bundle, diagnose_args, imsi, inputs, tmp_path):
    assert sorted(os.listdir(bundle)) == sorted(FILES)
    read = lambda name: open(os.path.join(bundle, name), encoding="utf-8").read()   # noqa: E731
    assert read("findings.json") == cli("diagnose", *diagnose_args, "--format", "json", *inputs)
    assert read("report.html") == cli("diagnose", *diagnose_args, "--format", "html", *inputs)
    assert read("timeline.txt") == cli("timeline", "--imsi", imsi, *inputs)
    doc = json.loads(read("findings.json"))
    # the capture is what extract writes, and tshark reads as many frames as the sidecar lists
    alone = tmp_path / "alone.pcapng"
    cli("extract", "--imsi", imsi, "-o", alone, *inputs)
    capture = os.path.join(bundle, "capture.pcapng")
    assert open(capture, "rb").read() == alone.read_bytes()
    with open(capture + ".frames.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    listed = [r for r in rows if r["frame"]]
    assert listed
    out = subprocess.run([tshark.path, "-r", capture, "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert [int(n) for n in out] == [int(r["frame"]) for r in listed]
    readme = read("README.txt")
    for path in doc["inputs"]:
        assert f"{path}  {os.path.getsize(path)}  {blake2b(path)}" in readme
    assert __version__ in readme and f"{len(listed)} frames" in readme
    return readme


def test_a_ticket_bundle_on_the_samples(tshark, tmp_path, at_root):
    bundle = tmp_path / "T2026112700017"
    args = [*TICKET, "--lang", "zh"]
    stdout = cli("diagnose", *args, "--bundle", bundle, "samples/")
    assert stdout == cli("diagnose", *args, "samples/")        # the usual output as before
    readme = check_bundle(tshark, bundle, args, "001010000000002", ["samples/"], tmp_path)
    assert "UTC+08:00 (the ticket's)" in readme
    assert f"chrtool diagnose {' '.join(args)} --bundle {bundle} samples/" in readme
    # the bundle's reply speaks the ticket's zone and language, as --format json does
    doc = json.loads((bundle / "findings.json").read_text(encoding="utf-8"))
    assert doc["findings"] and "17:00:14" in doc["findings"][0]["reply"]


def test_a_bundle_from_a_night_with_two_probes_and_chr(tshark, tmp_path):
    pytest.importorskip("pycrate_asn1rt")
    night = tmp_path / "night"
    cli("simulate", "-o", night, "--seed", 11, "--ues", 20, "--files", 3)
    bundle = tmp_path / "b"
    imsi = "001010000000019"
    args = ["--imsi", imsi, "--tz", "Asia/Shanghai"]
    cli("diagnose", *args, "--bundle", bundle, "-o", tmp_path / "d.txt", night)
    readme = check_bundle(tshark, bundle, args, imsi, [night], tmp_path)
    assert "Asia/Shanghai (--tz)" in readme
    assert (tmp_path / "d.txt").read_text() == cli("diagnose", *args, night)


def test_a_bundle_for_a_subscriber_not_in_the_inputs_still_has_every_file(tmp_path, at_root):
    bundle = tmp_path / "b"
    cli("diagnose", "--imsi", "001019999999999", "--bundle", bundle, "samples/attach_reject.pcap")
    assert sorted(os.listdir(bundle)) == sorted(FILES)
    assert json.loads((bundle / "findings.json").read_text())["findings"] == []
    assert "UTC (the default)" in (bundle / "README.txt").read_text()


def test_a_bundle_that_cannot_be_created_is_a_usage_error(tmp_path, at_root):
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["diagnose", "--imsi", "001010000000002", "--bundle",
                                       str(tmp_path / "file" / "b"), "samples/attach_reject.pcap"])
    assert result.exit_code == 2 and "--bundle" in result.stderr


def test_the_bundle_decodes_the_inputs_no_more_often_than_diagnose(tmp_path, at_root, monkeypatch):
    """Linking reads every input once, and the subscriber's rows are decoded once more: the
    bundle makes all its files from those rows, so it adds no pass over any input."""
    from chrtool.inputs.pipeline import Run
    passes = []
    decode = Run._decode

    def counting(self, source, progress, report):
        passes.append(source.path)
        return decode(self, source, progress, report)
    monkeypatch.setattr(Run, "_decode", counting)
    cli("diagnose", "--imsi", "001010000000002", "samples/")
    alone = sorted(passes)
    passes.clear()
    cli("diagnose", "--imsi", "001010000000002", "--bundle", tmp_path / "b", "samples/")
    assert sorted(passes) == alone and alone
