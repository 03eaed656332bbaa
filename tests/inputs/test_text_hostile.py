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


def test_the_layouts_encoding_wins_over_a_guess():
    # a Windows-1252 export: guessed, its è and the next byte read as one GB18030 character
    layout = dict(NO_ENCODING, layout=dict(NO_ENCODING["layout"], encoding="cp1252"))
    layout["cause"] = dict(layout["cause"], values={**layout["cause"]["values"],
                                                    "Succès": "rrc-setup-result:success"})
    src = SAMPLE.decode().replace("Success", "Succès")
    plain = dict(layout, layout=NO_ENCODING["layout"])          # no encoding: guessed
    want, _ = read(src.encode("utf-8"), mapping=plain)
    guessed, r = read(src.encode("cp1252"), mapping=plain)
    assert r.encoding == "gb18030" and guessed != want
    got, r = read(src.encode("cp1252"), mapping=layout)
    assert got == want and len(got) == len(INTACT) and r.encoding == "cp1252"
    assert got[0]["cause"] == INTACT[0]["cause"] and "cause" not in guessed[0]   # Succès
    bad = dict(NO_ENCODING, layout=dict(NO_ENCODING["layout"], encoding="klingon"))
    with pytest.raises(vendor_csv.InputError, match="encoding 'klingon' is not a known"):
        read(SAMPLE, mapping=bad)


def test_the_layouts_max_field_bytes_cuts():
    layout = dict(NO_ENCODING, layout=dict(NO_ENCODING["layout"], max_field_bytes=1000))
    got, r = read(damaged(5, lambda ln: ln + b"y" * 5000), mapping=layout)
    assert len(got) == len(INTACT)
    (p,) = [p for p in r.problems if p.line == 7]
    assert "5001 bytes, beyond the limit of 1000" in p.message


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


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_detected_with_chinese_and_damage(encoding):
    # 一 is U+4E00: a zero byte on the other side, as a damaged unit is
    body = "时间,事件\n2026-11-27,一\n".encode(encoding) * 20
    assert text.detect(body) == encoding
    assert text.detect(body[:100] + "\ud800".encode(encoding, "surrogatepass") + body) == encoding


def test_blank_and_crlf_lines_do_not_shift_line_numbers():
    lines = [ln + b"\r" for ln in LINES]
    lines.insert(3, b"")
    lines[6] = lines[6][:8] + b"\xff" + lines[6][8:]       # file line 8
    got, r = read(csv_of(lines))
    assert problem_lines(r) == {(8, 9)}
    assert len(got) == len(INTACT) - 1
    assert [row["frame"] for row in got] == [i + 1 for i in range(len(INTACT)) if i != 5]



# a layout that knows the event text with a newline in it, as some exports wrap long names
WRAPPED = dict(NO_ENCODING)
WRAPPED["event"] = dict(WRAPPED["event"], values={**WRAPPED["event"]["values"],
                                                  "RRC Connection\nSetup": "RRC_CONN_SETUP",
                                                  "RRC Connection\r\n\r\nSetup": "RRC_CONN_SETUP"})


def wrapped(lines, every=1):
    """Lines with quoted values holding newlines (RFC 4180): the event name of each RRC
    Connection Setup, and every `every`-th Vendor Extra (a blank line and quotes inside)."""
    out = []
    for i, ln in enumerate(lines):
        ln = ln.replace(b",RRC Connection Setup,", b',"RRC Connection\nSetup",' if i % 2 else
                        b',"RRC Connection\r\n\r\nSetup",')
        if i % every == 0:
            ln = ln[:-1] + b'"x\n\n""quoted"" y\n"'          # the last field, Vendor Extra
        out.append(ln)
    return out


def physical(lines):
    """The file line of each data row of csv_of(lines)."""
    at, out = 2, []
    for ln in lines:
        out.append(at)
        at += ln.count(b"\n") + 1
    return out


def test_a_quoted_value_with_newlines_is_one_field():
    got, r = read(csv_of(wrapped(LINES)), mapping=WRAPPED)
    want, _ = read(SAMPLE, mapping=WRAPPED)
    assert got == want and len(got) == len(INTACT)          # frames are record numbers too
    assert sum(row["msg"] == "RRC_CONN_SETUP" for row in got) == 3
    assert [p for p in r.problems if p.line != 1] == []


def test_after_values_with_newlines_damage_is_reported_at_its_physical_line():
    lines = wrapped(LINES, every=2)
    lines[9] = lines[9][:20] + b"\xff" + lines[9][20:]       # row 10
    imsi = lines[15].index(b",", lines[15].index(b",") + 1) + 1
    lines[15] = lines[15][:imsi] + b'"' + lines[15][imsi:]   # row 16: a quote that never closes
    got, r = read(csv_of(lines), mapping=WRAPPED)
    want, _ = read(SAMPLE, mapping=WRAPPED)
    assert got == [row for i, row in enumerate(want) if i not in (9, 15)]
    at = physical(lines)
    assert problem_lines(r) == {(at[9], 21), (at[15], imsi + 1)}
    assert at[15] > 15 + 2 + 15                             # the lines before hold newlines


def test_values_with_newlines_across_blocks():
    lines = wrapped(LINES * 100, every=3)                     # ~400 KB, 16 KB blocks
    got, r = read(csv_of(lines), mapping=WRAPPED, block_size=1 << 14)
    want, _ = read(csv_of(LINES * 100), mapping=WRAPPED, block_size=1 << 14)
    assert got == want and len(got) == 2300
    assert [p for p in r.problems if p.line != 1] == []


def test_an_unterminated_quote_before_a_value_with_newlines_costs_only_its_row():
    # read as pyarrow reads it, the open quote of row 4 runs to the first quote of row 8's
    # wrapped event name: no record of the header's width, so row 4 alone is skipped and
    # row 8 is read with its value holding a newline
    lines = wrapped(LINES, every=100)
    lines[3] = lines[3][:24] + b'"' + lines[3][24:]
    got, r = read(csv_of(lines), mapping=WRAPPED)
    want, _ = read(SAMPLE, mapping=WRAPPED)
    assert got == [row for i, row in enumerate(want) if i != 3]
    assert problem_lines(r) == {(physical(lines)[3], 25)}


def test_an_unterminated_quote_in_the_last_row_is_reported():
    got, r = read(damaged(22, lambda ln: ln[:24] + b'"' + ln[24:]), block_size=1 << 12)
    assert got == intact_minus(24) and problem_lines(r) == {(24, 25)}


def test_a_value_with_newlines_beyond_max_field_bytes_is_an_unterminated_quote():
    lines = list(LINES)
    lines[2] = lines[2][:-1] + b'"' + b"y\n" * 600 + b'"'    # 1.2 KB over lines 4-604
    got, r = read(csv_of(lines), max_field_bytes=1000)
    # the quote is unterminated; the value's lines are rows of one field, each reported
    no_frame = lambda rows: [{k: v for k, v in row.items() if k != "frame"} for row in rows]
    assert no_frame(got) == no_frame(intact_minus(4))
    skipped = {p.line: p.message for p in r.problems if "skipped" in p.message}
    assert set(skipped) == set(range(4, 605))
    assert "unterminated quote" in skipped[4] and "unterminated quote" in skipped[604]
    assert "row has 1 fields" in skipped[5]


def test_a_quote_the_quote_counts_miss_is_read_as_pyarrow_reads_it():
    # row 6 has two quotes: one inside the event name (a literal, as pyarrow reads it) and
    # one opening the IMSI that never closes; the count is even, so only pyarrow's own
    # reading of the block shows the open value, and the block is read again quote by quote
    line = LINES[4]
    imsi = line.index(b",", line.index(b",") + 1) + 1
    lines = list(LINES)
    lines[4] = line[:30] + b'"' + line[30:imsi] + b'"' + line[imsi:]
    got, r = read(csv_of(lines))
    assert got == intact_minus(6)
    assert problem_lines(r) == {(6, imsi + 2)}


def test_a_carriage_return_inside_a_row_stays_in_its_field():
    # pyarrow ends a record at a lone CR; a line here ends only at a newline
    layout = dict(NO_ENCODING)
    layout["event"] = dict(layout["event"], values={**layout["event"]["values"],
                                                    "RRC Connection\rSetup": "RRC_CONN_SETUP"})
    lines = [ln.replace(b",RRC Connection Setup,", b',"RRC Connection\rSetup",') for ln in LINES]
    lines[3] = lines[3][:-1] + b"a\rb"                        # unquoted, in Vendor Extra
    got, r = read(csv_of(lines), mapping=layout)
    want, _ = read(SAMPLE, mapping=layout)
    assert got == want and [p for p in r.problems if p.line != 1] == []
    assert sum(row["msg"] == "RRC_CONN_SETUP" for row in got) == 3


def test_a_carriage_return_in_a_block_holding_every_control_byte_costs_its_row():
    controls = bytes(b for b in range(1, 32) if b not in (9, 10, 13))
    lines = list(LINES)
    lines[1] = lines[1][:-1] + controls                       # Vendor Extra: no byte is free
    lines[3] = lines[3][:-1] + b"a\rb"
    got, r = read(csv_of(lines))
    assert got == intact_minus(5)
    (p,) = [p for p in r.problems if p.line != 1]
    assert p.line == 5 and "carriage return" in p.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "gbk", "gb18030"])
def test_columns_count_the_files_own_bytes(encoding):
    # Chinese before the damage: a transcoded column would count 3 bytes per character
    src = SAMPLE.decode().replace("Success", "成功成功")
    rows = src.split("\n")
    quoted = rows[5].index("成功成功,") + 5                     # the field after the Chinese
    rows[5] = rows[5][:quoted] + '"' + rows[5][quoted:]       # unterminated, file line 6
    raw = [r.encode(encoding) for r in rows]
    if encoding == "utf-16":                                  # one BOM, at the start
        raw = [raw[0]] + [r[2:] for r in raw[1:]]
    nl = "\n".encode(encoding)[-2:] if encoding.startswith("utf-16") else b"\n"
    line = raw[2]
    cut = len(rows[2][:rows[2].index("成功") + 2].encode(encoding)) - (encoding == "utf-16") * 2
    bad = b"\x00\xd8" if encoding in ("utf-16", "utf-16-le") else (
        b"\xd8\x00" if encoding == "utf-16-be" else b"\xff")  # a lone surrogate; a stray byte
    raw[2] = line[:cut] + bad + line[cut:]                    # file line 3
    got, r = read(nl.join(raw), mapping=NO_ENCODING)
    assert len(got) == len(INTACT) - 2
    want_quote = len(rows[5][:quoted].encode(encoding)) - (encoding == "utf-16") * 2 + 1
    skipped = {(p.line, p.column) for p in r.problems if "skipped" in p.message}
    assert skipped == {(3, cut + 1), (6, want_quote)}

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


# damaged XML: a fresh parser resumes at the next <msg> (same session) or <traceRecSession>
RAW = "0012400d0000020000000200010008400200"                   # UEContextReleaseRequest


def xml_lines(sessions=3, per=5, name="UEContextReleaseRequest"):
    """A trace with one element a line: (lines, {(session, message): line index})."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<traceCollecFile xmlns="http://www.3gpp.org/ftp/specs/archive/32_series/'
             '32.423#traceData"><fileHeader><traceCollec beginTime="2026-11-27T09:00:00Z"/>'
             '</fileHeader>']
    at = {}
    for s_ in range(sessions):
        lines.append(f'<traceRecSession stime="2026-11-27T09:0{s_}:00Z"><ue idType="IMSI" '
                     f'idValue="00101000000000{s_}"/>')
        for m in range(per):
            at[s_, m] = len(lines)
            lines.append(f'<msg function="S1" name="{name}" changeTime="{m}.5"><rawMsg '
                         f'protocol="S1AP">{RAW}</rawMsg></msg>')
        lines.append("</traceRecSession>")
    lines.append("</traceCollecFile>")
    return lines, at


def read_xml(data, **kw):
    r = trace_xml.TraceXmlReader(io.BytesIO(data), "t.xml", **kw)
    tables = list(r)
    states = new_states()
    for t in tables:
        decode_batch(t, states)
    return list(iter_rows(Events.concat(tables, {0: "t.xml"}))), r


XML_LINES, XML_AT = xml_lines()
XML_INTACT, _ = read_xml("\n".join(XML_LINES).encode())


def xml_minus(*keys):
    gone = {XML_AT[k] for k in keys}
    frames = sorted(XML_AT.values())
    return [row for row, ln in zip(XML_INTACT, frames) if ln not in gone]


def test_the_xml_intact_copy():
    assert len(XML_INTACT) == 15 and {r["imsi"] for r in XML_INTACT} == {
        "001010000000000", "001010000000001", "001010000000002"}
    assert [r["frame"] for r in XML_INTACT] == list(range(1, 16))


@pytest.mark.parametrize("key, where", [((0, 0), "rawMsg"), ((1, 2), "name"), ((1, 4), "rawMsg"),
                                        ((2, 4), "tag")])
def test_a_bad_byte_in_xml_costs_its_message(key, where):
    lines = [ln.encode() for ln in XML_LINES]
    i = XML_AT[key]
    pos = {"rawMsg": lines[i].index(RAW.encode()) + 6, "name": lines[i].index(b'name="') + 9,
           "tag": lines[i].index(b"</rawMsg>") + 3}[where]
    lines[i] = lines[i][:pos] + b"\xff" + lines[i][pos:]
    got, r = read_xml(b"\n".join(lines))
    assert got == xml_minus(key)                              # frames kept: the rest keep theirs
    (p,) = r.problems
    assert p.line == i + 1 and p.column == pos + 1 and "not well-formed" in p.message


def test_bad_bytes_in_several_xml_messages_and_chunks():
    lines, at = xml_lines(sessions=4, per=400)
    lines = [ln.encode() for ln in lines]
    bad = [(0, 0), (1, 399), (2, 7), (2, 8), (3, 200)]
    for k in bad:
        lines[at[k]] = lines[at[k]][:30] + b"\x80" + lines[at[k]][30:]
    got, r = read_xml(b"\n".join(lines), chunk_bytes=4096, batch_rows=100)
    intact, _ = read_xml(b"\n".join(ln.encode() for ln in xml_lines(4, 400)[0]), batch_rows=100)
    gone = {at[k] for k in bad}
    assert got == [row for row, ln in zip(intact, sorted(at.values())) if ln not in gone]
    assert sorted((p.line, p.column) for p in r.problems) == sorted((at[k] + 1, 31) for k in bad)


def test_a_truncated_xml_keeps_what_came_before():
    data = "\n".join(XML_LINES).encode()
    cut = data.index(RAW.encode(), data.index(b"0.5", 2000)) + 5   # inside a later message
    got, r = read_xml(data[:cut])
    assert got == XML_INTACT[:len(got)] and 0 < len(got) < 15
    assert r.problems and "not well-formed" in r.problems[-1].message


def test_a_damaged_session_end_ends_the_session():
    lines = list(XML_LINES)
    end = XML_AT[0, 4] + 1                                    # session 0's </traceRecSession>
    lines[end] = "</traceRec\udcffSession>"
    got, r = read_xml("\n".join(lines).encode("utf-8", "surrogateescape"))
    assert got == XML_INTACT and [p.line for p in r.problems] == [end + 1]


@pytest.mark.parametrize("encoding", ["utf-16", "gbk", "gb18030", "iso-8859-1"])
def test_xml_encodings(encoding):
    name = "释放请求" if encoding != "iso-8859-1" else "libération"
    lines, _ = xml_lines(name=name)
    want, _ = read_xml("\n".join(lines).encode())
    lines[0] = f'<?xml version="1.0" encoding="{encoding}"?>'
    data = "\n".join(lines).encode(encoding)
    got, r = read_xml(data)
    assert got == want and not r.problems
    assert sources.sniff_bytes(data[:4096]) == "xml"


def test_a_bad_byte_in_gbk_xml_costs_its_message():
    lines, at = xml_lines(name="释放请求")
    lines[0] = '<?xml version="1.0" encoding="GBK"?>'
    raw = [ln.encode("gbk") for ln in lines]
    i = at[1, 1]
    raw[i] = raw[i][:40] + b"\xff" + raw[i][40:]
    got, r = read_xml(b"\n".join(raw))
    assert len(got) == 14 and [p.line for p in r.problems] == [i + 1]
    # expat's columns count characters: 40 GBK bytes before the byte, 4 Chinese among them
    assert r.problems[0].column == raw[i][:40].decode("gbk").__len__() + 1 == 37


def test_an_unknown_xml_encoding_is_a_decode_error():
    with pytest.raises(DecodeError, match="unknown encoding 'klingon'"):
        read_xml(b'<?xml version="1.0" encoding="klingon"?><traceCollecFile/>')
