"""chrtool/inputs/tickets.py: complaint-ticket CSVs with English or Chinese headers, times with
zones, and a clear InputError when the columns chrtool needs are missing."""
import datetime as dt
import json

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.errors import InputError
from chrtool.inputs.tickets import Ticket, parse_time, read_tickets
from oracle import SAMPLES


def ns(text):
    """Independent reference: an aware ISO time -> ns since the epoch."""
    t = dt.datetime.fromisoformat(text)
    return int(t.timestamp()) * 10**9 + t.microsecond * 1000


def write(tmp_path, text, name="tickets.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_english_headers_the_shipped_sample():
    tickets = read_tickets(SAMPLES / "tickets.csv")
    assert list(tickets) == ["T2026112700017", "T2026112700023"]
    vip = tickets["T2026112700017"]
    assert (vip.msisdn, vip.imsi, vip.customer_class) == ("8613912340002", "001010000000002", "VIP")
    assert vip.address.startswith("No. 1 Example Road") and "4G" in vip.phenomenon
    assert vip.time_ns() == ns("2026-11-27T09:00:00+00:00")       # 17:00 at +08:00
    assert tickets["T2026112700023"].imsi == ""                    # MSISDN only


def test_chinese_headers_with_a_bom(tmp_path):
    path = write(tmp_path, "工单号,用户号码,IMSI,投诉时间,投诉地点,问题现象,客户级别\n"
                           "GD-0001,8613912340002,001010000000002,2026-11-27T17:00:00+08:00,"
                           "上海市浦东新区,无法使用4G网络,金牌\n", encoding="utf-8-sig")
    [(number, t)] = read_tickets(path).items()
    assert number == "GD-0001"
    assert t == Ticket(ticket="GD-0001", msisdn="8613912340002", imsi="001010000000002",
                       time="2026-11-27T17:00:00+08:00", address="上海市浦东新区",
                       phenomenon="无法使用4G网络", customer_class="金牌")
    assert t.time_ns() == ns("2026-11-27T09:00:00+00:00")


def test_other_header_spellings_case_and_spaces(tmp_path):
    path = write(tmp_path, " Ticket_No , Phone ,Occurred,Location,Description,Class\n"
                           "T9,8613900000009,2026-11-27 10:15,Lab,slow,ordinary\n")
    t = read_tickets(path)["T9"]
    assert (t.msisdn, t.address, t.phenomenon, t.customer_class) == \
        ("8613900000009", "Lab", "slow", "ordinary")
    assert t.imsi == "" and t.time_ns() == ns("2026-11-27T10:15:00+00:00")   # no zone: UTC


@pytest.mark.parametrize("text, iso", [
    ("2026-11-27T09:00:00Z", "2026-11-27T09:00:00+00:00"),
    ("2026-11-27T17:00:00+08:00", "2026-11-27T09:00:00+00:00"),
    ("2026-11-27T04:00:00-05:00", "2026-11-27T09:00:00+00:00"),
    ("2026-11-27 09:00:00.250", "2026-11-27T09:00:00.250000+00:00"),
    ("  2026-11-27T09:00  ", "2026-11-27T09:00:00+00:00"),
])
def test_times_with_and_without_zones(text, iso):
    assert parse_time(text) == ns(iso)


@pytest.mark.parametrize("text", ["yesterday", "27/11/2026 09:00", "2026-13-01T00:00:00Z", ""])
def test_unreadable_times_say_what_to_use(text):
    with pytest.raises(InputError, match=r"cannot read time .*ISO-8601 like 2026-11-27T09:00:00Z"):
        parse_time(text)


def test_a_ticket_without_a_time_has_none():
    assert Ticket(ticket="T1", msisdn="1").time_ns() is None


@pytest.mark.parametrize("header, missing", [
    ("msisdn,imsi,time\n", "a ticket column"),
    ("ticket,time,address\n", "an MSISDN or IMSI column"),
    ("", "a ticket column"),
])
def test_missing_columns_are_a_clear_input_error(tmp_path, header, missing):
    path = write(tmp_path, header + ("x,y,z\n" if header else ""))
    with pytest.raises(InputError) as exc:
        read_tickets(path)
    msg = str(exc.value)
    assert str(path) in msg and missing in msg
    if header:
        assert all(h in msg for h in header.strip().split(","))     # it shows what it found


def test_rows_without_a_ticket_number_are_left_out_and_short_rows_read(tmp_path):
    path = write(tmp_path, "ticket,msisdn,time\n,8613900000001,2026-11-27T09:00:00Z\n"
                           "T2,8613900000002\n")
    tickets = read_tickets(path)
    assert list(tickets) == ["T2"] and tickets["T2"].time == ""


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig"])
def test_gbk_and_utf16_tickets_are_read(tmp_path, encoding):
    path = tmp_path / "t.csv"        # ticket systems in China often export GBK
    path.write_bytes("工单号,用户号码,投诉地点\nGD-1,8613912340002,浦东新区\n".encode(encoding))
    ticket = read_tickets(path)["GD-1"]
    assert ticket.msisdn == "8613912340002" and ticket.address == "浦东新区"


def test_a_binary_file_is_an_input_error(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes((SAMPLES / "attach_reject.pcap").read_bytes()[:3000])
    with pytest.raises(InputError, match=r"bin.csv: not a text file"):
        read_tickets(path)
    result = CliRunner().invoke(main, ["diagnose", "--complaint", "GD-1", "--tickets", str(path),
                                       str(SAMPLES / "attach_reject.pcap")])
    assert result.exit_code == 2 and "not a text file" in result.output


def test_a_damaged_utf8_row_is_skipped_and_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("工单号,用户号码\nGD-1,8613912340002\n".encode() + b"GD-2,86\xff\xfe1\n")
    problems = []
    assert list(read_tickets(path, problems.append)) == ["GD-1"]
    (p,) = problems
    assert (p.line, p.column) == (3, 8) and "not utf-8 text: row skipped" in p.message


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read tickets"):
        read_tickets(tmp_path / "nope.csv")


def test_diagnose_by_complaint_from_a_chinese_ticket_file(tmp_path):
    path = write(tmp_path, "工单编号,手机号码,IMSI,发生时间\n"
                           "GD-7,8613912340002,001010000000002,2026-11-27T17:30:00+08:00\n")
    result = CliRunner().invoke(main, ["diagnose", "--complaint", "GD-7", "--tickets", str(path),
                                       "--format", "json", str(SAMPLES / "attach_reject.pcap")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["complaint"] == "GD-7" and doc["imsi"] == "001010000000002"
    # the window: the 24 hours before the complaint (09:30 UTC) to one hour after
    assert doc["window"] == {"since": "2026-11-26T09:30:00.000000Z",
                             "until": "2026-11-27T10:30:00.000000Z"}
    assert [f["cause"]["value"] for f in doc["findings"]] == [5420]      # the HSS behind EMM #7
    unknown = CliRunner().invoke(main, ["diagnose", "--complaint", "GD-8", "--tickets", str(path),
                                        str(SAMPLES / "attach_reject.pcap")])
    assert unknown.exit_code == 2 and "ticket GD-8 is not in" in unknown.output
