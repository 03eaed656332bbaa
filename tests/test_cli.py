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


@pytest.mark.parametrize("command", ["decode", "stats", "timeline", "procedures", "diagnose", "batch",
                                     "simulate"])
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output) > 200


def test_batch_on_an_input_that_does_not_exist_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "x"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "x" in result.output and "Traceback" not in result.output


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


# tshark fields of every cause value stats counts: (proto, group as stats names it)
CAUSE_FIELDS = {**{f"s1ap.{g}": ("S1AP", g)
                   for g in ("radioNetwork", "transport", "nas", "protocol", "misc")},
                "nas_eps.emm.cause": ("NAS-EPS", "emm"), "nas_eps.esm.cause": ("NAS-EPS", "esm"),
                "gtpv2.cause": ("GTPv2", None),
                "diameter.Result-Code": ("Diameter", "result-code"),
                "diameter.Experimental-Result-Code": ("Diameter", "experimental-result")}


@pytest.mark.tshark
@pytest.mark.parametrize("rel", ["open5gs/testcups_19b93606.pcapng",
                                 "open5gs/testepc_48bfe83c.pcapng",
                                 "magma/gx_gy_combined_03_210505_132953-1.pcapng"])
def test_stats_counts_every_cause_as_tshark_does(captures_dir, tshark, rel):
    """by_cause counts each cause a message carries once: the message's own and the nested ones
    (per E-RAB, per bearer context, per Multiple-Services-Credit-Control), as tshark lists them."""
    cmd = [tshark.path, "-n", "-r", str(captures_dir / rel), "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=|"] + [a for f in CAUSE_FIELDS for a in ("-e", f)]
    want = {}
    for line in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines():
        for (proto, group), values in zip(CAUSE_FIELDS.values(), line.split("\t")):
            for v in filter(None, values.split("|")):
                key = (proto, group, int(v))
                want[key] = want.get(key, 0) + 1
    result = run("stats", "--json", captures_dir / rel)
    assert result.exit_code == 0
    got = {}
    for label, n in json.loads(result.stdout)["by_cause"].items():
        head, value = label.split(" #")
        proto, _, group = head.partition(" ")
        got[(proto, group or None, int(value.split()[0]))] = n
    assert got == want


def test_diagnose_json_finds_the_sample_attach_reject(samples_dir):
    result = run("diagnose", "--imsi", "001010000000002", "--format", "json", samples_dir)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["imsi"] == "001010000000002" and doc["complaint"] is None
    [f] = doc["findings"]                # the HSS's 5420 before the MME's #7 is the root
    assert f["failure_node"] == "HSS" and f["cause"]["value"] == 5420
    assert 7 in {e.get("cause", {}).get("value") for e in f["evidence"]}
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
    assert "failed at HSS" in text and "DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION" in text
    assert "EPS services not allowed" in text            # the MME's reject, as evidence
    out = tmp_path / "r.html"
    assert run("diagnose", "--imsi", "001010000000002", "--format", "html", "-o", out,
               samples_dir).exit_code == 0
    page = out.read_text()
    assert "<svg" in page and "AttachReject" in page


def test_timeline_shows_the_subscribers_procedures(samples_dir):
    result = run("timeline", "--imsi", "001010000000002", "--format", "json", samples_dir)
    doc = json.loads(result.stdout)
    attach = next(p for p in doc["procedures"] if p["kind"] == "attach")
    assert (attach["outcome"], attach["answered_by"], attach["cause"]["value"]) == ("reject", "MME", 7)
    rows = attach["messages"]
    assert rows[0]["msg"] == "InitialUEMessage"
    assert any(n["msg"] == "AttachReject" for r in rows for n in r.get("nas", ()))
    ula = next(c for c in attach["children"] if c["kind"] == "s6a-update-location")
    assert (ula["outcome"], ula["answered_by"], ula["cause"]["value"]) == ("reject", "HSS", 5420)
    text = run("timeline", "--imsi", "001010000000002", samples_dir).stdout
    assert "attach [REJECT] S1-MME  by MME  cause: NAS-EPS emm #7" in text
    assert "s6a-update-location [REJECT] S6a  by HSS" in text


def test_procedures_writes_the_procedure_table(samples_dir, tmp_path):
    import pyarrow.parquet as pq
    out = tmp_path / "procs.parquet"
    result = run("procedures", "-o", out, samples_dir)
    assert result.exit_code == 0, result.output
    t = pq.read_table(out).to_pylist()
    mine = [r for r in t if r["imsi"] == "001010000000002"]
    attach = next(r for r in mine if r["kind"] == "attach")
    assert (attach["outcome"], attach["answered_by"], attach["cause_value"]) == ("reject", "MME", 7)
    assert json.loads(attach["frames"])[0]["msg"] == "InitialUEMessage"
    assert {r["kind"] for r in mine if r["parent"] == attach["procedure"]} >= {"s6a-update-location"}
    jsonl = tmp_path / "procs.jsonl"
    assert run("procedures", "-o", jsonl, "--imsi", "001010000000002", samples_dir).exit_code == 0
    assert len(jsonl.read_text().splitlines()) == len(mine)
    bad = run("procedures", "-o", tmp_path / "procs.txt", samples_dir)
    assert bad.exit_code == 2 and ".parquet, .csv or .jsonl" in bad.output


def test_stats_subscribers_counts_links_and_procedures(samples_dir):
    result = run("stats", "--subscribers", "--json", samples_dir)
    doc = json.loads(result.stdout)
    assert doc["linking"]["subscribers"] >= 3 and doc["linking"]["link_conflicts"] == 0
    assert doc["procedures"]["attach reject"] >= 1
    assert "linking" not in json.loads(run("stats", "--json", samples_dir).stdout)


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


# ----------------------------------------------------------------- options of every reading command
def test_strict_turns_any_input_problem_into_exit_1(samples_dir):
    broken = samples_dir / "chr_broken.chr"
    lenient = CliRunner().invoke(main, ["stats", "--json", str(broken)])
    assert lenient.exit_code == 0                 # damaged, but most records were read
    assert json.loads(lenient.stdout)["problems"] == 2
    strict = CliRunner().invoke(main, ["stats", "--strict", str(broken)])
    assert strict.exit_code == 1
    assert "chr_broken.chr at byte 310 [chr-v1]" in strict.stderr
    clean = CliRunner().invoke(main, ["stats", "--strict", str(samples_dir / "attach_reject.pcap")])
    assert clean.exit_code == 0


def _renamed_layout(tmp_path, samples_dir):
    """A user's own layout: the shipped Huawei map with the time column renamed."""
    from chrtool.inputs.vendor_csv import MAPS_DIR
    maps = tmp_path / "maps"
    maps.mkdir()
    text = (MAPS_DIR / "huawei_chr.toml").read_text()
    text = text.replace('name = "huawei-chr"', 'name = "site-chr"').replace('"Time"', '"Event Time"')
    (maps / "site_chr.toml").write_text(text)
    csv_text = (samples_dir / "vendor_huawei_chr.csv").read_text()
    export = tmp_path / "site.csv"
    export.write_text(csv_text.replace("Time,Event Name", "Event Time,Event Name", 1))
    return maps, export, len(csv_text.splitlines()) - 1


def test_maps_adds_a_vendor_layout_without_touching_the_package(tmp_path, samples_dir, monkeypatch):
    monkeypatch.delenv("CHRTOOL_MAPS", raising=False)
    maps, export, rows = _renamed_layout(tmp_path, samples_dir)
    unknown = CliRunner().invoke(main, ["decode", str(export)])
    assert unknown.exit_code == 1 and "without a known CHR column layout" in unknown.stderr
    known = CliRunner().invoke(main, ["decode", "--maps", str(maps), str(export)])
    assert known.exit_code == 0, known.stderr
    decoded = [json.loads(line) for line in known.stdout.splitlines()]
    assert len(decoded) == rows and decoded[0]["msg"] == "RRC_CONN_SETUP"
    monkeypatch.setenv("CHRTOOL_MAPS", str(maps))            # the same through the environment
    assert CliRunner().invoke(main, ["decode", str(export)]).stdout == known.stdout


def test_maps_overrides_a_shipped_layout_of_the_same_name(tmp_path, samples_dir):
    from chrtool.inputs.vendor_csv import MAPS_DIR, known_layouts
    maps = tmp_path / "maps"
    maps.mkdir()
    text = (MAPS_DIR / "huawei_chr.toml").read_text().replace('utc_offset = "+08:00"',
                                                                'utc_offset = "+00:00"')
    (maps / "mine.toml").write_text(text)
    assert known_layouts(maps)["huawei-chr"]["time"]["utc_offset"] == "+00:00"
    sample = str(samples_dir / "vendor_huawei_chr.csv")
    shipped = json.loads(run("decode", sample).stdout.splitlines()[0])
    mine = json.loads(run("decode", "--maps", maps, sample).stdout.splitlines()[0])
    assert shipped["ts"] == "2026-11-27T09:00:30.000000Z" and mine["ts"] == "2026-11-27T17:00:30.000000Z"


def test_maps_must_be_a_directory(tmp_path):
    result = CliRunner().invoke(main, ["stats", "--maps", str(tmp_path / "nope"), str(tmp_path)])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_nas_null_cipher_reads_nas_whose_security_mode_command_is_missing(captures_dir):
    """volte.pcapng starts inside security contexts whose SMC it never shows: that NAS stays
    marked ciphered, unless --nas-null-cipher reads what parses as valid NAS (tshark's
    nas-eps.null_decipher)."""
    path = captures_dir / "open5gs" / "volte.pcapng"

    def nas(*flags):
        out = run("decode", *flags, path)
        assert out.exit_code == 0
        return [n for line in out.stdout.splitlines() for n in json.loads(line).get("nas", [])]
    plain, null = nas(), nas("--nas-null-cipher")
    assert sum(n["ciphered"] for n in plain) == 4 and all(n["msg"] is None for n in plain if n["ciphered"])
    assert not any(n["ciphered"] for n in null) and len(null) == len(plain)
    assert all(n["msg"] for n in null)


# ---------------------------------------------------- argument and output errors (issue 16)
def one_line_error(result, status, *words):
    """The run ended with `status` and one stderr line naming the problem, no traceback."""
    assert result.exit_code == status, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chrtool: error: "), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for w in words:
        assert w in lines[0], lines[0]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def one_pcap(samples_dir):
    return samples_dir / "attach_reject.pcap"


def test_a_ticket_time_that_does_not_parse_is_a_usage_error(tmp_path, one_pcap):
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket,msisdn,time\nT1,8613912340002,yesterday\n")
    result = invoke("diagnose", "--complaint", "T1", "--tickets", tickets, one_pcap)
    one_line_error(result, 2, "ticket T1", "'yesterday'", "ISO-8601", "--since")
    # with both bounds given the ticket's time is not needed
    ok = invoke("diagnose", "--complaint", "T1", "--tickets", tickets, "--since",
                "2026-11-27T00:00:00Z", "--until", "2026-11-28T00:00:00Z", one_pcap)
    assert ok.exit_code == 0, ok.output


def test_a_binary_tickets_file_is_a_usage_error(tmp_path, one_pcap):
    tickets = tmp_path / "t.csv"
    tickets.write_bytes(one_pcap.read_bytes()[:3000])
    one_line_error(invoke("diagnose", "--complaint", "T1", "--tickets", tickets, one_pcap), 2,
                   "t.csv")


def test_a_ticket_with_a_bad_imsi_names_the_ticket(tmp_path, one_pcap):
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket,imsi,time\nT1,00101ABC,2026-11-27T09:00:00Z\n")
    one_line_error(invoke("diagnose", "--complaint", "T1", "--tickets", tickets, one_pcap), 2,
                   "ticket T1", "IMSI")


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_output_in_a_missing_directory_is_an_output_error(tmp_path, one_pcap, fmt):
    out = tmp_path / "no" / "such" / "x.out"
    one_line_error(invoke("decode", "--format", fmt, "-o", out, one_pcap), 1,
                   "cannot write", "directory does not exist")


@pytest.mark.parametrize("command", [["decode"], ["diagnose", "--imsi", "001010000000002"],
                                     ["timeline", "--imsi", "001010000000002"]])
def test_output_to_a_full_disk_is_an_output_error(one_pcap, command):
    # /dev/full fails every write with ENOSPC (parquet is left out: pyarrow deletes the path
    # it failed to write, which for a device node is not a thing to do in a test)
    one_line_error(invoke(*command, "-o", "/dev/full", one_pcap), 1, "/dev/full",
                   "disk is full")


@pytest.mark.parametrize("command, fmt", [(["decode", "--format", "csv"], "csv"),
                                          (["decode", "--format", "parquet"], "parquet"),
                                          (["procedures"], "csv"), (["procedures"], "jsonl")])
def test_an_output_device_or_pipe_is_written_not_replaced(tmp_path, one_pcap, command, fmt):
    # -o /dev/full or a named pipe: a write through a temporary file and a rename would put a
    # regular file in the device's place (it did, for /dev/full); a pipe shows the difference
    # without touching /dev
    import os
    import stat
    import threading
    fifo = tmp_path / f"out.{fmt}"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = invoke(*command, "-o", fifo, one_pcap)        # procedures: format by suffix
    reader.join(timeout=30)                               # a hang guard, not a speed limit
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got and got[0]
    if fmt == "parquet":
        import io
        import pyarrow.parquet as pq
        assert pq.read_table(io.BytesIO(got[0])).num_rows > 0
    else:
        assert got[0].count(b"\n") > 1


def test_stdout_on_a_full_disk_is_an_output_error(one_pcap):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "chrtool", "decode", str(one_pcap)],
                              stdout=full, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == ["chrtool: error: cannot write standard output: No space left on device; "
                     "the disk is full: free space or choose another -o"], proc.stderr


@pytest.mark.parametrize("args, words", [
    (["--since", "2026-11-28T00:00:00Z", "--until", "2026-11-27T00:00:00Z"],
     ["window is empty", "swap"]),
    (["--since", ""], ["--since is empty"]),
    (["--until", "  "], ["--until is empty"]),
    (["--since", "noon"], ["--since", "'noon'", "ISO-8601"]),
])
def test_bad_windows_are_usage_errors(one_pcap, args, words):
    one_line_error(invoke("diagnose", "--imsi", "001010000000002", *args, one_pcap), 2, *words)


@pytest.mark.parametrize("command", ["diagnose", "timeline"])
@pytest.mark.parametrize("option, value", [
    ("--imsi", "00101000000000A"), ("--imsi", "0" * 22), ("--imsi", ""), ("--imsi", "12345"),
    ("--msisdn", "+86-139-ABC"), ("--msisdn", "+"), ("--msisdn", "8" * 16),
])
def test_identities_that_are_not_numbers_are_usage_errors(one_pcap, command, option, value):
    one_line_error(invoke(command, option, value, one_pcap), 2, option, repr(value))


def test_msisdn_written_the_way_people_write_it_is_normalised(one_pcap):
    for text in ["+86 139 1234 0002", "+86-139-1234-0002", "(86) 139.1234.0002"]:
        result = invoke("diagnose", "--msisdn", text, "--format", "json", one_pcap)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["msisdn"] == "8613912340002"


def test_unknown_options_are_one_line_usage_errors(one_pcap):
    one_line_error(invoke("decode", "--bogus", one_pcap), 2, "--bogus", "--help")


def test_a_reader_that_stops_early_is_not_an_error(one_pcap):
    # `chrtool decode x | head`: a pipe with no reader left fails every write with EPIPE
    proc = subprocess.Popen([sys.executable, "-m", "chrtool", "decode", str(one_pcap)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0 and err == "", err


def test_reply_times_are_in_the_tickets_zone_or_tz(samples_dir):
    """The finding's JSON time stays UTC; the reply speaks the ticket's local time (+08:00), or
    the zone --tz names; a zone that does not exist is a usage error that says what to give."""
    by_ticket = json.loads(run("diagnose", "--complaint", "T2026112700017", "--tickets",
                               samples_dir / "tickets.csv", "--format", "json", samples_dir).stdout)
    [f] = by_ticket["findings"]
    assert f["time"].startswith("2026-11-27T09:00:14") and "2026-11-27 17:00:14" in f["reply"]
    plain = json.loads(run("diagnose", "--imsi", "001010000000002", "--format", "json",
                           samples_dir).stdout)["findings"][0]
    assert "2026-11-27 09:00:14" in plain["reply"]
    west = json.loads(run("diagnose", "--imsi", "001010000000002", "--tz", "-05:00", "--format",
                          "json", samples_dir).stdout)["findings"][0]
    assert "2026-11-27 04:00:14" in west["reply"]
    bad = run("diagnose", "--imsi", "001010000000002", "--tz", "Mars/Base", samples_dir)
    assert bad.exit_code == 2 and "Asia/Shanghai" in bad.output
