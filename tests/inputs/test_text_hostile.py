"""Hostile and unlucky text inputs (issue 16): every readable row is kept, every damaged one
reported at its own line. Each case compares with an intact copy of the same file: the rows
kept must be the intact rows minus the damaged ones. (The million-row and 200 MB versions are
in benchmarks/bench_text_inputs.py.)"""
import io

import pytest

from chrtool.inputs import sources, text, vendor_csv
from chrtool.inputs.pipeline import decode_batch, new_states
from chrtool.output.rows import iter_rows
from chrtool.table.events import Events
from oracle import SAMPLES

SAMPLE = (SAMPLES / "vendor_huawei_chr.csv").read_bytes()
HEADER, *LINES = SAMPLE.rstrip(b"\n").split(b"\n")       # 23 data rows, lines 2..24

# the shipped layout pins utf8; detection is tried with the same columns and no encoding
NO_ENCODING = {k: v for k, v in vendor_csv.known_layouts()["huawei-chr"].items()}
NO_ENCODING["layout"] = {k: v for k, v in NO_ENCODING["layout"].items() if k != "encoding"}


def read(data, **kw):
    r = vendor_csv.VendorCsvReader(io.BytesIO(data), "h.csv", **kw)
    tables = list(r)
    states = new_states()
    for t in tables:
        decode_batch(t, states)
    return list(iter_rows(Events.concat(tables, {0: "h.csv"}))), r


def csv_of(lines):
    return HEADER + b"\n" + b"\n".join(lines) + b"\n"


INTACT, _ = read(SAMPLE)


def intact_minus(*lines):
    """The intact rows without those on the given file lines (line 2 is the first row)."""
    return [row for i, row in enumerate(INTACT) if i + 2 not in lines]


def damaged(index, make):
    """The sample with data line `index` (0-based) replaced by make(line)."""
    lines = list(LINES)
    lines[index] = make(lines[index])
    return csv_of(lines)


def problem_lines(r):
    return {(p.line, p.column) for p in r.problems if p.line != 1}


@pytest.mark.parametrize("index", [0, 1, 11, 22])          # first row, early, middle, last
def test_a_bad_byte_costs_its_row_only(index):
    data = damaged(index, lambda ln: ln[:20] + b"\xff" + ln[20:])
    got, r = read(data)
    assert got == intact_minus(index + 2)
    assert problem_lines(r) == {(index + 2, 21)}
    assert "0xff" in r.problems[-1].message and r.counters["bad_rows"] == 1


def test_a_bad_byte_in_a_ragged_row_is_one_problem_not_a_traceback():
    got, r = read(damaged(3, lambda ln: ln[:20] + b"\xc3(" + ln[20:] + b",,,"))
    assert got == intact_minus(5) and problem_lines(r) == {(5, 21)}


def test_bad_bytes_in_many_blocks_cost_only_their_rows():
    lines = LINES * 200                                    # 4600 rows, ~1.3 MB, 64 KB blocks
    bad = {7, 1000, 1001, 4599}
    data = csv_of([ln[:5] + b"\x80" + ln[5:] if i in bad else ln for i, ln in enumerate(lines)])
    got, r = read(data, block_size=1 << 16)
    assert len(got) == len(lines) - len(bad)
    assert problem_lines(r) == {(i + 2, 6) for i in bad}
    intact, _ = read(csv_of(lines), block_size=1 << 16)
    assert got == [row for i, row in enumerate(intact) if i not in bad]


def test_an_unterminated_quote_is_reported_where_it_opened_and_reading_goes_on():
    data = damaged(4, lambda ln: ln[:24] + b'"' + ln[24:])
    got, r = read(data)
    assert got == intact_minus(6)
    (p,) = [p for p in r.problems if p.line != 1]
    assert (p.line, p.column) == (6, 25) and "unterminated quote" in p.message


def test_a_huge_field_is_cut_and_the_row_and_the_rest_kept():
    junk = b"x" * 300_000
    data = damaged(5, lambda ln: ln + junk)                # the last field, Vendor Extra
    got, r = read(data, max_field_bytes=100_000, block_size=1 << 16)
    assert len(got) == len(INTACT) and got[:5] == INTACT[:5] and got[6:] == INTACT[6:]
    (p,) = [p for p in r.problems if p.line != 1]
    assert p.line == 7 and "cut" in p.message and "Vendor Extra" in p.message
    assert len(p.message) < 300                            # the value is not printed whole


def test_a_huge_field_inside_the_row_keeps_the_other_fields():
    # a 3 MB Event Name: the row stays (its event unknown), every other field as intact
    data = damaged(5, lambda ln: ln.replace(b",", b"," + b"A" * (3 << 20), 1))
    got, r = read(data, block_size=1 << 20)
    assert len(got) == len(INTACT)
    strip = lambda row: {k: v for k, v in row.items() if k != "msg"}
    assert [strip(g) for g in got] == [strip(i) for i in INTACT]
    assert any(p.line == 7 and "cut" in p.message for p in r.problems)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gbk",
                                      "gb18030"])
def test_encodings_are_detected(encoding):
    # Chinese event and cause texts, mapped in the layout, as an OMC in China writes them
    layout = dict(NO_ENCODING)
    layout["event"] = dict(layout["event"], values={**layout["event"].get("values", {}),
                                                     "无线链路失败": "RADIO_LINK_FAILURE"})
    src = SAMPLE.decode().replace("Radio Link Failure", "无线链路失败")
    got, r = read(src.encode(encoding), mapping=layout)
    want, _ = read(src.encode("utf-8"), mapping=layout)
    assert got == want and len(got) == len(INTACT)
    assert any(row["msg"] == "RADIO_LINK_FAILURE" for row in got)
    assert [p for p in r.problems if p.line != 1] == []
    head = src.encode(encoding)[:4096]
    assert sources.sniff_bytes(head) == "csv"


def test_a_bom_wins_over_the_layouts_encoding():
    got, _ = read(SAMPLE.decode().encode("utf-16"))        # the shipped layout says utf8
    assert got == INTACT


def test_a_bad_byte_in_gbk_costs_its_row():
    src = SAMPLE.decode().replace("Success", "成功")
    lines = src.encode("gbk").split(b"\n")
    lines[3] = lines[3][:10] + b"\xff" + lines[3][10:]
    got, r = read(b"\n".join(lines), mapping=NO_ENCODING)
    assert r.encoding == "gb18030" and len(got) == len(INTACT) - 1
    (p,) = [p for p in r.problems if "skipped" in p.message]
    assert (p.line, p.column) == (4, 11) and "not gb18030 text" in p.message


@pytest.mark.parametrize("at", [0, 40, 300])
def test_a_bad_byte_early_in_the_file_does_not_stop_recognition(at):
    data = damaged(0, lambda ln: ln[:at] + b"\xfe" + ln[at:])
    assert sources.sniff_bytes(data[:4096]) == "csv"


@pytest.mark.parametrize("head", [bytes(range(256)) * 4, b"\x00\x01" * 500,
                                  b"a,b\n" + bytes(range(128, 256)) * 8])
def test_binary_is_still_not_text(head):
    assert sources.sniff_bytes(head) is None


def test_one_stray_byte_in_ascii_is_damage_not_gbk():
    assert text.detect(b"a,b,c\n" + b"1,2,3\n" * 10 + b"1,\xc3a,3\n") == "utf-8"
    assert text.detect("时间,事件\n".encode("utf-8") * 10 + b"\xff\xfe,") == "utf-8"
    assert text.detect("时间,事件\n".encode("gbk") * 10) == "gb18030"


def test_blank_and_crlf_lines_do_not_shift_line_numbers():
    lines = [ln + b"\r" for ln in LINES]
    lines.insert(3, b"")
    lines[6] = lines[6][:8] + b"\xff" + lines[6][8:]       # file line 8
    got, r = read(csv_of(lines))
    assert problem_lines(r) == {(8, 9)}
    assert len(got) == len(INTACT) - 1
    assert [row["frame"] for row in got] == [i + 1 for i in range(len(INTACT)) if i != 5]


# ------------------------------------------------------------------------------ 32.423 XML
import tracemalloc                                            # noqa: E402

from chrtool.errors import DecodeError                        # noqa: E402
from chrtool.inputs import trace_xml                          # noqa: E402

XML_HEAD = (b'<?xml version="1.0"?><traceCollecFile xmlns="http://www.3gpp.org/ftp/specs/'
            b'archive/32_series/32.423#traceData"><fileHeader><traceCollec beginTime='
            b'"2026-11-27T09:00:00Z"/></fileHeader>')
MSG = (b'<msg function="S1" name="UEContextReleaseRequest" changeTime="1.5"><rawMsg '
       b'protocol="S1AP">' + b"00" * 200 + b"</rawMsg></msg>")


class XmlStream:
    """A file object for head + body * n + tail, made as it is read."""

    def __init__(self, head, body, n, tail):
        self.parts = iter([head] + [body] * n + [tail])
        self.buf = b""

    def read(self, size=-1):
        while len(self.buf) < size:
            try:
                self.buf += next(self.parts)
            except StopIteration:
                break
        out, self.buf = self.buf[:size], self.buf[size:]
        return out


@pytest.mark.parametrize("open_, close", [
    (b'<traceRecSession stime="2026-11-27T09:01:00Z"><ue idType="IMSI" idValue="001010000000005"/>',
     b"</traceRecSession>"),
    (b"", b""),                                                # messages outside any session
])
def test_one_long_session_streams_in_bounded_memory(open_, close):
    n = 40_000                                                # ~17 MB of XML
    tracemalloc.start()
    r = trace_xml.TraceXmlReader(XmlStream(XML_HEAD + open_, MSG, n, close + b"</traceCollecFile>"),
                                 "one.xml", batch_rows=2_000)
    total, labelled, batches = 0, 0, 0
    for t in r:
        total += t.n
        batches += 1
        labelled += int(t.cols["imsi"][:t.n].any(axis=1).sum())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == n and batches >= 5 and peak < 24 << 20, peak
    assert labelled == (n if open_ else 0)                     # every row keeps the session's IMSI
    assert not r.problems


def test_a_ue_after_a_cut_is_reported():
    late = b'<ue idType="IMSI" idValue="001010000000005"/>'
    body = b'<traceRecSession>' + MSG * 30 + late + MSG + b"</traceRecSession>"
    r = trace_xml.TraceXmlReader(io.BytesIO(XML_HEAD + body + b"</traceCollecFile>"), "late.xml",
                                 batch_rows=10, chunk_bytes=4096)
    assert sum(t.n for t in r) == 31
    (p,) = r.problems
    assert "comes after" in p.message and p.line == 1


def test_deep_nesting_is_refused_in_bounded_memory():
    r = trace_xml.TraceXmlReader(XmlStream(XML_HEAD, b"<a>", 2_000_000, b""), "deep.xml")
    with pytest.raises(DecodeError, match="nested deeper than 256"):
        list(r)


def test_deep_nesting_after_good_sessions_keeps_them():
    session = (b'<traceRecSession stime="2026-11-27T09:01:00Z">' + MSG + b"</traceRecSession>")
    r = trace_xml.TraceXmlReader(XmlStream(XML_HEAD + session * 3, b"<a>", 1000, b""), "d.xml")
    assert sum(t.n for t in r) == 3
    assert "nested deeper" in r.problems[-1].message
