"""chrtool/errors.py: what a decoding problem looks like to the user (file, byte offset or line,
layer, a look at the bytes), from the error classes and from real readers through the CLI."""
import struct

import pytest
from click.testing import CliRunner

from chrtool._fast.chr_v1 import ChrV1Reader
from chrtool.cli import main
from chrtool.errors import ChrtoolError, DecodeError, InputError, Problem, ProblemLog
from oracle import SAMPLES


# --------------------------------------------------------------------------- the classes
def test_binary_positions_are_bytes_with_layer_and_snippet():
    e = DecodeError("chunk length 3 is less than 16", file="cap.pcap", offset=1234, layer="sctp",
                    snippet=b"\x00\x03\x00\x10")
    assert str(e) == "cap.pcap at byte 1234 [sctp]: chunk length 3 is less than 16 (bytes: 00 03 00 10)"
    assert (e.message, e.file, e.offset, e.layer, e.snippet) == \
        ("chunk length 3 is less than 16", "cap.pcap", 1234, "sctp", b"\x00\x03\x00\x10")
    assert isinstance(e, ChrtoolError) and isinstance(InputError("x"), ChrtoolError)
    with pytest.raises(ChrtoolError, match=r"^cap.pcap at byte 1234 \[sctp\]"):
        raise e


@pytest.mark.parametrize("layer", ["csv", "32.423", "tickets"])
def test_text_positions_are_lines_and_columns(layer):
    assert str(DecodeError("bad value", file="f", line=7, layer=layer)) == \
        f"f at line 7 [{layer}]: bad value"
    assert str(DecodeError("bad value", file="f", line=7, column=12, layer=layer)) == \
        f"f at line 7:12 [{layer}]: bad value"


def test_offset_zero_is_shown_and_missing_parts_are_left_out():
    assert str(DecodeError("empty", file="f.chr", offset=0, layer="chr-v1")) == \
        "f.chr at byte 0 [chr-v1]: empty"
    assert str(DecodeError("no idea")) == "<input>: no idea"
    assert str(DecodeError("m", file="f", layer="s1ap")) == "f [s1ap]: m"


def test_the_snippet_is_a_short_look():
    e = DecodeError("m", file="f", offset=1, layer="ip", snippet=bytes(range(40)))
    assert e.snippet == bytes(range(16))
    assert str(e).endswith("(bytes: " + " ".join(f"{i:02x}" for i in range(16)) + ")")


def test_a_problem_renders_like_the_error_and_as_a_dict():
    p = Problem("trace.xml", "32.423", "rawMsg is not hex", line=12, column=5)
    assert str(p) == "trace.xml at line 12:5 [32.423]: rawMsg is not hex"
    assert p.as_dict() == {"file": "trace.xml", "line": 12, "column": 5, "layer": "32.423",
                           "message": "rawMsg is not hex"}
    cut = Problem("a.pcap", "pcap", "cut", offset=88, snippet=b"\xde\xad")
    assert str(cut) == "a.pcap at byte 88 [pcap]: cut (bytes: de ad)"
    assert cut.as_dict() == {"file": "a.pcap", "offset": 88, "layer": "pcap", "message": "cut",
                             "snippet": "dead"}
    e = DecodeError("bad", offset=3, layer="sctp", snippet=b"\x01")
    assert str(e.problem("x.pcap")) == "x.pcap at byte 3 [sctp]: bad (bytes: 01)"


def test_the_problem_log_is_capped_but_counts_everything():
    log = ProblemLog("x.csv", limit=3)
    for i in range(10):
        log.add("csv", f"problem {i}", line=i)
    assert log.count == 10
    assert [str(p) for p in log.items] == [
        "x.csv at line 0 [csv]: problem 0", "x.csv at line 1 [csv]: problem 1",
        "x.csv at line 2 [csv]: problem 2", "x.csv at line 3 [csv]: further problems not listed"]


# ------------------------------------------------------------------------- real readers
def test_chr_v1_header_error_carries_offset_layer_and_bytes(tmp_path):
    path = tmp_path / "v2.chr"
    path.write_bytes(b"\x89CHR\r\n\x1a\n" + b"\x02\x00\x1d\x00" + bytes(40))
    with pytest.raises(DecodeError) as exc:
        list(ChrV1Reader(open(path, "rb"), "v2.chr"))
    e = exc.value
    assert (e.file, e.offset, e.layer, e.snippet) == ("v2.chr", 8, "chr-v1", b"\x02\x00\x1d\x00")
    assert str(e) == ("v2.chr at byte 8 [chr-v1]: chr-v1 version 2.0 is not supported (this "
                      "reader reads 1.x) (bytes: 02 00 1d 00)")


def warnings_of(*args):
    result = CliRunner().invoke(main, ["decode", *map(str, args)])
    return result.exit_code, [line for line in result.stderr.splitlines()
                              if line.startswith("chrtool: warning: ")]


def test_cli_reports_a_cut_capture_at_the_byte_of_its_last_record(tmp_path):
    data = (SAMPLES / "attach_reject.pcap").read_bytes()[:-10]
    offset, last = 24, None                         # walk the pcap records ourselves
    while offset + 16 <= len(data):
        last = offset
        offset += 16 + struct.unpack_from("<I", data, offset + 8)[0]
    path = tmp_path / "cut.pcap"
    path.write_bytes(data)
    code, warnings = warnings_of(path)
    assert code == 0                                # everything before the damage was used
    assert len(warnings) == 1
    assert warnings[0].startswith(f"chrtool: warning: {path} at byte {last} [pcap]: ")


def test_cli_reports_csv_and_trace_xml_problems_by_line(tmp_path):
    csv_path = tmp_path / "hw.csv"
    csv_path.write_text("Time,Event Name,IMSI,eNodeB ID,Local Cell ID,MME UE S1AP ID\n"
                        "2026-11-27 17:00:01.000,Radio Link Failure,001010000000005,105000,2,5005\n"
                        "2026-11-27 17:00:02.000,Radio Link Failure,00101000000000X,105000,2,5005\n")
    xml_path = tmp_path / "t.xml"
    xml_path.write_text(
        '<?xml version="1.0"?>\n<traceCollecFile xmlns="http://www.3gpp.org/ftp/specs/archive/'
        '32_series/32.423#traceData">\n<traceRecSession stime="2026-11-27T09:01:00Z">\n'
        '<msg function="S1" name="X" changeTime="1.5"><rawMsg protocol="S1AP">00ZZ</rawMsg></msg>\n'
        '</traceRecSession></traceCollecFile>\n')
    code, warnings = warnings_of(csv_path, xml_path)
    assert code == 0
    assert any(w.startswith(f"chrtool: warning: {csv_path} at line 3 [csv]: ") and "imsi" in w.lower()
               for w in warnings), warnings
    assert any(w.startswith(f"chrtool: warning: {xml_path} at line 4:") and "[32.423]: " in w
               and "not hex" in w
               for w in warnings), warnings
