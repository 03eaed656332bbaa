"""CHR readers: samples against their golden rows, vendor CSV maps, 32.423 XML, hostile input."""
import io
import json
import subprocess
import sys
import tracemalloc

import pytest
from click.testing import CliRunner

from chrtool._fast.chr_v1 import ChrV1Reader
from chrtool.cli import main
from chrtool.inputs import trace_xml, vendor_csv
from chrtool.inputs.pipeline import decode_batch, new_states
from chrtool.output.rows import iter_rows
from chrtool.table.events import Events
from chrtool._fast import events as ev
from chrtool.errors import DecodeError, InputError
from oracle import ROOT

# The CHR samples and their golden rows (samples/make_chr_samples.py writes both, the rows from
# its own story and construct parse). The golden rows are what `chrtool decode --format jsonl
# samples/X` prints from the repository root, `file` included; compared as JSON values.
CHR_SAMPLES = ["chr_nsa_radio.chr", "vendor_huawei_chr.csv", "vendor_ericsson_ctr.csv",
               "trace_enb_0421.xml"]


def golden(name):
    return [json.loads(line) for line in open(ROOT / "samples" / f"{name}.expected.jsonl")]


def decode_cli(monkeypatch, *args):
    """`chrtool decode --format jsonl ARGS` from the repository root: (rows, stderr)."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["decode", "--format", "jsonl", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def rows(reader):
    """The decode rows of a reader's batches, through the protocol decoders as in a real run."""
    tables = list(reader)
    states = new_states()
    for t in tables:
        decode_batch(t, states)
    return list(iter_rows(Events.concat(tables, {0: reader.name})))


# --------------------------------------------------------------------------------- samples
@pytest.mark.parametrize("name", CHR_SAMPLES)
def test_decode_prints_the_golden_rows(monkeypatch, name):
    got, _ = decode_cli(monkeypatch, f"samples/{name}")
    want = golden(name)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w, f"frame {w['frame']}"


def test_make_chr_samples_reproduces_the_committed_files(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_chr_samples.py"), str(tmp_path)],
                   check=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(CHR_SAMPLES + [f"{n}.expected.jsonl" for n in CHR_SAMPLES]
                           + ["chr_broken.chr", "chr_broken.chr.expected.json"])
    for name in names:
        assert (tmp_path / name).read_bytes() == (ROOT / "samples" / name).read_bytes(), name


def test_the_message_copies_are_decoded_rows():
    """The raw S1AP/X2AP copies of the samples come out as decoded protocol rows (no payload)."""
    copies = [r for n in ("chr_nsa_radio.chr", "trace_enb_0421.xml") for r in golden(n)
              if r["proto"] in ("S1AP", "X2AP")]
    assert [(r["proto"], r["msg"]) for r in copies] == [
        ("X2AP", "SgNBReleaseRequired"), ("S1AP", "UEContextReleaseRequest")] * 2
    assert all("payload" not in r and r["cause"]["proto"] == r["proto"] for r in copies)


def test_chr_v1_broken_sample(monkeypatch):
    want = json.loads((ROOT / "samples" / "chr_broken.chr.expected.json").read_text())
    r = ChrV1Reader(open(ROOT / "samples" / "chr_broken.chr", "rb"), "chr_broken.chr")
    assert sum(t.n for t in r) == want["records_decoded"]
    assert len(r.problems) == len(want["problems"])
    for (off, layer, msg), w in zip(r.problems, want["problems"]):
        assert (off, layer) == (w["offset"], w["layer"]) and msg.startswith(w["starts_with"])
    # what the command prints: every record outside the damage, each warning with its byte offset
    got, err = decode_cli(monkeypatch, "samples/chr_broken.chr")
    intact = golden("chr_nsa_radio.chr")
    intact = intact[:3] + intact[4:-1]              # record 4 damaged, the last one cut
    strip = lambda r: {k: v for k, v in r.items() if k not in ("file", "frame")}  # noqa: E731
    assert [strip(r) for r in got] == [strip(r) for r in intact]
    assert {r["file"] for r in got} == {"samples/chr_broken.chr"}
    for w in want["problems"]:
        assert f"samples/chr_broken.chr at byte {w['offset']} [chr-v1]: {w['starts_with']}" in err


@pytest.mark.parametrize("name, layout", [("vendor_huawei_chr.csv", "huawei-chr"),
                                          ("vendor_ericsson_ctr.csv", "ericsson-ctr")])
def test_vendor_csv_samples_pick_their_layout(samples_dir, name, layout):
    r = vendor_csv.VendorCsvReader(samples_dir / name, name)
    assert r.layout == layout                       # picked from the header alone
    list(r)
    assert r.counters["rows"] == len(golden(name))
    assert r.counters["bad_values"] == 0 and r.counters["bad_rows"] == 0


def test_trace_xml_sample_sessions(samples_dir):
    r = trace_xml.TraceXmlReader(open(samples_dir / "trace_enb_0421.xml", "rb"), "trace_enb_0421.xml")
    assert sum(t.n for t in r) == len(golden("trace_enb_0421.xml"))
    assert not r.problems and r.counters["sessions"] == 2 and r.counters["rrc"] == 1


# ------------------------------------------------------------------------------ vendor CSV
HW_HEADER = ("Time,Event Name,IMSI,eNodeB ID,Local Cell ID,MME UE S1AP ID,Cause,"
             "Serving RSRP(dBm)\n")


def hw(body, header=HW_HEADER):
    return io.BytesIO((header + body).encode())


def test_csv_no_matching_layout_lists_known():
    with pytest.raises(InputError) as exc:
        vendor_csv.VendorCsvReader(io.BytesIO(b"a,b,c\n1,2,3\n"), "odd.csv")
    msg = str(exc.value)
    assert "odd.csv" in msg and "line 1" in msg
    assert "huawei-chr" in msg and "ericsson-ctr" in msg and "vendor-csv.md" in msg


def test_csv_named_layout_with_missing_required_column():
    with pytest.raises(InputError, match="Local Cell ID"):
        vendor_csv.VendorCsvReader(io.BytesIO(b"Time,Event Name,eNodeB ID,MME UE S1AP ID\n"), "x.csv",
                          mapping="huawei-chr")
    with pytest.raises(InputError, match="no column mapping called 'nokia'"):
        vendor_csv.VendorCsvReader(hw(""), "x.csv", mapping="nokia")


def test_csv_missing_optional_and_extra_columns_are_reported():
    r = vendor_csv.VendorCsvReader(hw("2026-11-27 17:00:01.250,Radio Link Failure,001010000000005,"
                             "105000,2,5005,T310 Expiry,-124,x\n",
                             HW_HEADER.rstrip("\n") + ",Mystery\n"), "x.csv")
    out = rows(r)
    assert out[0]["msg"] == "RADIO_LINK_FAILURE"
    assert out[0]["ts"] == "2026-11-27T09:00:01.250000Z"             # +08:00 local time
    assert out[0]["cause"]["name"] == "t310-Expiry"
    assert out[0]["meas"] == [{"kind": "rsrp", "value": -124.0}]
    assert out[0]["ecgi"] == "001-01-105000-2"                       # eNB 105000, cell 2
    texts = " ".join(p.message for p in r.problems)
    assert "Mystery" in texts and "'eNB UE S1AP ID'" in texts
    assert r.counters["missing_columns"] > 0 and r.counters["unmapped_columns"] == 1


def test_csv_bad_values_keep_the_rest_of_the_row():
    body = ("2026-11-27 17:00:01.000,RRC Connection Setup,00101000000000X,105000,1,5001,"
            "Success,-95\n"
            "2026-11-27 17:00:02.000,Measurement Report,001010000000001,105000,1,abc,,-9x5\n"
            "not a time,Measurement Report,001010000000001,105000,1,5001,,-96.5\n")
    r = vendor_csv.VendorCsvReader(hw(body), "bad.csv")
    out = rows(r)
    assert len(out) == 3
    assert "imsi" not in out[0] and out[0]["mme_ue_s1ap_id"] == 5001
    assert "mme_ue_s1ap_id" not in out[1] and out[1]["imsi"] == "001010000000001"
    assert "meas" not in out[1]
    assert out[2]["meas"] == [{"kind": "rsrp", "value": -96.5}]
    probs = {p.line: p.message for p in r.problems}
    assert "imsi" in probs[2] and "line 2" in probs[2]
    assert "line 3" in probs[3]
    assert "time" in probs[4] and "not a time" in probs[4]
    assert r.counters["bad_values"] == 4


def test_csv_ragged_rows_are_skipped_with_their_line():
    body = ("2026-11-27 17:00:01.000,RRC Connection Setup,001010000000001,105000,1,5001,"
            "Success,-95\n"
            "2026-11-27 17:00:02.000,too,few\n"
            "2026-11-27 17:00:03.000,RRC Connection Release,001010000000001,105000,1,5001,"
            "Normal Release,\n")
    r = vendor_csv.VendorCsvReader(hw(body), "ragged.csv")
    out = rows(r)
    assert [o["msg"] for o in out] == ["RRC_CONN_SETUP", "RRC_CONN_RELEASE"]
    assert r.counters["bad_rows"] == 1
    assert r.problems[-1].line == 3 and "skipped" in r.problems[-1].message


def test_csv_unknown_event_and_cause_texts():
    body = ("2026-11-27 17:00:01.000,Something New,001010000000001,105000,1,5001,Weird,\n"
            "2026-11-27 17:00:02.000,Something New,001010000000001,105000,1,5001,,\n")
    r = vendor_csv.VendorCsvReader(hw(body), "u.csv")
    t = list(r)[0]
    assert (t.column("flags") & ev.FLAGS["unknown_msg"]).all()
    assert r.counters["unknown_events"] == 2 and r.counters["unknown_causes"] == 1
    assert sum("Something New" in p.message for p in r.problems) == 1      # reported once


THIRD = """
[layout]
name = "acme-trace"
required = ["ts", "what", "subscriber"]
[time]
column = "ts"
format = "epoch_ms"
[event]
column = "what"
[event.values]
scg_fail = "SCG_FAILURE"
[columns]
imsi = "subscriber"
nci = "nr_cell"
[cell]
nr_plmn = "00101"
[cause]
column = "why"
[cause.values]
T310 = "scg-failure:t310-Expiry"
[[meas]]
column = "ssrsrp_idx"
kind = "ss_rsrp"
unit = "ss-rsrp-index"
"""


def test_a_third_layout_without_code(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_text(THIRD)
    data = b"ts,what,subscriber,nr_cell,why,ssrsrp_idx\n1795770067310,scg_fail,001010000000004,"\
           b"11807609873,T310,33\n"
    r = vendor_csv.VendorCsvReader(io.BytesIO(data), "acme.csv", mapping=path)
    (out,) = rows(r)
    assert out["msg"] == "SCG_FAILURE" and out["ts"] == "2026-11-27T09:01:07.310000Z"
    assert out["cause"]["name"] == "t310-Expiry"
    assert out["meas"] == [{"kind": "ss_rsrp", "value": -124.0}]
    assert out["nr_cgi"] == "001-01-11807609873"
    # and picked automatically once it sits in a maps directory
    r2 = vendor_csv.VendorCsvReader(io.BytesIO(data), "acme.csv", maps_dir=tmp_path)
    assert r2.layout == "acme-trace"


def test_mapping_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(THIRD.replace('"SCG_FAILURE"', '"NOT_AN_EVENT"'))
    with pytest.raises(InputError, match="bad.toml.*NOT_AN_EVENT"):
        vendor_csv.load_mapping(bad)
    bad.write_text("[layout\n")
    with pytest.raises(InputError, match="bad.toml"):
        vendor_csv.load_mapping(bad)


def test_csv_batches_are_bounded():
    line = ("2026-11-27 17:00:01.000,Measurement Report,001010000000001,105000,1,5001,,-95\n")
    data = (HW_HEADER + line * 60000).encode()
    r = vendor_csv.VendorCsvReader(io.BytesIO(data), "big.csv", block_size=1 << 20)
    tables = list(r)
    assert len(tables) > 1 and sum(t.n for t in tables) == 60000
    assert tables[-1].column("frame")[-1] == 60000


# ------------------------------------------------------------------------------ 32.423 XML
def xml_reader(text, **kw):
    return trace_xml.TraceXmlReader(io.BytesIO(text.encode() if isinstance(text, str) else text),
                            "t.xml", **kw)


SESSION = ('<traceRecSession stime="2026-11-27T09:01:00Z"><ue idType="IMSI" '
           'idValue="001010000000005"/><msg function="S1" name="UEContextReleaseRequest" '
           'changeTime="1.5"><rawMsg protocol="S1AP">0012</rawMsg></msg></traceRecSession>')


def wrap(body):
    return ('<?xml version="1.0"?><traceCollecFile xmlns="http://www.3gpp.org/ftp/specs/'
            'archive/32_series/32.423#traceData"><fileHeader><traceCollec beginTime='
            '"2026-11-27T09:00:00Z"/></fileHeader>' + body + "</traceCollecFile>")


def test_billion_laughs_is_refused():
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                     for i in range(1, 10))
           + ']><traceCollecFile>&lol9;</traceCollecFile>')
    with pytest.raises(DecodeError, match="entity") as exc:
        list(xml_reader(lol))
    assert "t.xml" in str(exc.value) and "line 1" in str(exc.value)


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<traceCollecFile><fileHeader>&x;</fileHeader></traceCollecFile>')
    with pytest.raises(DecodeError) as exc:
        list(xml_reader(xxe))
    assert "TOP SECRET" not in str(exc.value)


def test_entities_after_good_sessions_keep_what_was_read():
    text = wrap(SESSION).replace("</traceCollecFile>", "") + "<broken></traceCollecFile>"
    r = xml_reader(text)
    out = rows(r)
    assert len(out) == 1 and out[0]["imsi"] == "001010000000005"
    assert r.problems and "not well-formed" in r.problems[-1].message


def test_xml_bad_hex_and_missing_raw_and_bad_time():
    body = (SESSION.replace(">0012<", ">00ZZ<")
            + SESSION.replace('<rawMsg protocol="S1AP">0012</rawMsg>', "")
            + SESSION.replace('changeTime="1.5"', 'changeTime="soon"'))
    r = xml_reader(wrap(body))
    out = rows(r)
    assert len(out) == 1 and out[0]["ts"] == "2026-11-27T09:01:00.000000Z"
    msgs = " | ".join(p.message for p in r.problems)
    assert "not hex" in msgs and "no rawMsg" in msgs and "changeTime" in msgs
    assert all(p.line >= 1 and p.column >= 1 and str(p).startswith(f"t.xml at line {p.line}:{p.column} [32.423]")
               for p in r.problems)


def test_xml_raw_size_limit():
    big = "00" * 5000
    r = xml_reader(wrap(SESSION.replace(">0012<", f">{big}<")), max_raw_bytes=1000)
    assert rows(r) == [] and "beyond the limit" in r.problems[0].message


def test_xml_ue_after_messages_still_labels_them():
    s = SESSION.replace('<ue idType="IMSI" idValue="001010000000005"/>', "")
    s = s.replace("</traceRecSession>", '<ue idType="IMSI" idValue="001010000000007"/>'
                  "</traceRecSession>")
    (out,) = rows(xml_reader(wrap(s)))
    assert out["imsi"] == "001010000000007"


class _Stream(io.RawIOBase):
    """A large trace generated on the fly: the reader must not need it all in memory."""

    def __init__(self, sessions):
        self.parts = iter([wrap("").split("</traceCollecFile>")[0].encode()]
                          + [SESSION.encode()] * sessions + [b"</traceCollecFile>"])
        self.buf = b""

    def readable(self):
        return True

    def read(self, n=-1):
        while len(self.buf) < n:
            try:
                self.buf += next(self.parts)
            except StopIteration:
                break
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def test_huge_xml_streams_in_bounded_memory():
    n = 60_000                       # ~16 MB of XML
    tracemalloc.start()
    r = trace_xml.TraceXmlReader(_Stream(n), "huge.xml", batch_rows=5_000)
    batches = 0
    total = 0
    for t in r:
        total += t.n
        batches += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == n and r.counters["sessions"] == n
    assert batches >= 10 and peak < 24 << 20, peak
