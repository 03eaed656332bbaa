"""Hostile and unlucky ticket files (issue 16): every readable ticket is kept, every damaged row
is reported at its own line (and column, in the file's own bytes), and the command line ends a
run it cannot do with one line and the documented status. Each case compares with an intact
copy: the tickets kept must be the intact ones minus the damaged rows."""
import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.errors import InputError
from chrtool.inputs import tickets as tk
from oracle import SAMPLES

HEADER = "工单号,用户号码,IMSI,投诉时间,投诉地点,问题现象,客户级别"
ROWS = [f"GD-{i:03},86139123{i:05},0010100000{i:05},2026-11-27T{8 + i % 12:02}:15:00+08:00,"
        f"\"上海市浦东新区, 世纪大道 {i} 号\",无法使用4G网络,{'金牌' if i % 3 else '普通'}"
        for i in range(1, 21)]                              # file lines 2..21
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "gbk"]


def encode(rows, encoding="utf-8", header=HEADER):
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def read(tmp_path, data):
    path = tmp_path / "tickets.csv"
    path.write_bytes(data)
    problems = []
    return tk.read_tickets(path, problems.append), problems


def where(problems):
    return {(p.line, p.column) for p in problems}


@pytest.fixture(scope="module")
def intact(tmp_path_factory):
    got, problems = read(tmp_path_factory.mktemp("intact"), encode(ROWS))
    assert len(got) == 20 and problems == []
    return got


def minus(intact, *lines):
    """The intact tickets without those of the given file lines (line 2 is GD-001)."""
    return {k: v for k, v in intact.items() if intact.line_of[k] not in lines}


def bad_unit(encoding):
    """Bytes that do not decode: a stray byte, or in UTF-16 a lone surrogate."""
    return "\ud800".encode("utf-16-le", "surrogatepass") if encoding == "utf-16" else b"\xff"


def damaged(encoding, index, char):
    """The tickets file in `encoding` with undecodable bytes before character `char` of row
    `index`; returns (bytes, the column those bytes are at in the file's own bytes)."""
    lines = encode(ROWS, encoding).split("\r\n".encode(encoding)[-4:] if encoding == "utf-16"
                                          else b"\r\n")
    row = ROWS[index]
    bom = len("".encode(encoding))                          # the BOM sits before the header
    before = len(row[:char].encode(encoding)) - bom
    line = lines[index + 1]
    lines[index + 1] = line[:before] + bad_unit(encoding) + line[before:]
    sep = "\r\n".encode(encoding)[-4:] if encoding == "utf-16" else b"\r\n"
    return sep.join(lines), before + 1


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("index, char", [(0, 0), (0, 3), (9, 40), (19, 60)])
def test_bad_bytes_cost_their_row(tmp_path, intact, encoding, index, char):
    # first row at its first byte and in its ticket number, a middle row in the Chinese
    # address, the last row in its phenomenon
    data, column = damaged(encoding, index, char)
    got, problems = read(tmp_path, data)
    assert got == minus(intact, index + 2)
    assert where(problems) == {(index + 2, column)}
    assert "row skipped" in problems[0].message


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_gives_the_intact_tickets(tmp_path, intact, encoding):
    got, problems = read(tmp_path, encode(ROWS, encoding))
    assert got == intact and problems == []


def test_bad_bytes_in_many_rows(tmp_path, intact):
    lines = encode(ROWS).split(b"\r\n")
    for i in (3, 4, 15):
        lines[i] = lines[i][:12] + b"\x80\xfe" + lines[i][12:]
    got, problems = read(tmp_path, b"\r\n".join(lines))
    assert got == minus(intact, 4, 5, 16) and where(problems) == {(4, 13), (5, 13), (16, 13)}


@pytest.mark.parametrize("head", [(SAMPLES / "attach_reject.pcap").read_bytes()[:3000],
                                  bytes(range(256)) * 8, b"\x00\x01\x02\x03" * 500])
def test_a_binary_file_is_refused_with_what_to_give(tmp_path, head):
    with pytest.raises(InputError, match="not a text file; tickets must be a CSV"):
        read(tmp_path, head)


def test_a_huge_field_is_cut_and_the_rest_kept(tmp_path, intact):
    rows = list(ROWS)
    rows[4] = rows[4].replace("无法使用4G网络", "慢" * 3_000_000)   # 9 MB phenomenon, file line 6
    got, problems = read(tmp_path, encode(rows))
    assert set(got) == set(intact)
    assert {k: v for k, v in got.items() if k != "GD-005"} == minus(intact, 6)
    cut = got["GD-005"]
    assert cut.customer_class == intact["GD-005"].customer_class      # the field after it
    assert len(cut.phenomenon.encode()) <= tk.MAX_FIELD_BYTES
    (p,) = problems
    assert p.line == 6 and "问题现象" in p.message and "cut" in p.message


def test_an_unterminated_quote_costs_its_row_and_reading_goes_on(tmp_path, intact):
    rows = list(ROWS)
    rows[7] = rows[7].replace(",2026-", ',"2026-')                  # opens the time, line 9
    got, problems = read(tmp_path, encode(rows))
    assert got == minus(intact, 9)
    assert where(problems) == {(9, rows[7].index('"2026') + 1)}
    assert "unterminated quote" in problems[0].message


def test_an_unterminated_quote_in_the_last_row(tmp_path, intact):
    rows = list(ROWS)
    rows[19] = rows[19] + ',"open'
    got, problems = read(tmp_path, encode(rows))
    assert got == minus(intact, 21) and {p.line for p in problems} == {21}


def test_a_quoted_value_with_newlines_is_one_field(tmp_path, intact):
    rows = list(ROWS)
    rows[2] = rows[2].replace("世纪大道 3 号", "世纪大道\r\n3 号\r\n\r\n(东门)")   # 4 lines
    rows[10] = rows[10][:5] + "\xff" + rows[10][5:]             # damage after it
    data = encode(rows).replace("\xff".encode(), b"\xff")
    got, problems = read(tmp_path, data)
    assert got["GD-003"].address == "上海市浦东新区, 世纪大道\r\n3 号\r\n\r\n(东门)"
    rest = {k: v for k, v in got.items() if k != "GD-003"}
    assert rest == {k: v for k, v in minus(intact, 12).items() if k != "GD-003"}
    assert where(problems) == {(12 + 3, 6)}                      # its line on disk


def test_an_unparsable_time_is_reported_and_its_ticket_kept(tmp_path, intact):
    rows = list(ROWS)
    rows[5] = rows[5].replace("2026-11-27T", "27/11/2026 ")
    got, problems = read(tmp_path, encode(rows))
    assert set(got) == set(intact) and got["GD-006"].time.startswith("27/11/2026")
    (p,) = problems
    assert p.line == 7 and "ticket GD-006: cannot read time" in p.message and "--since" in p.message
    with pytest.raises(InputError):
        got["GD-006"].time_ns()


def test_missing_columns_refuse_the_file_and_say_what_it_needs(tmp_path):
    for header in ("用户号码,IMSI,投诉时间", "工单号,投诉时间,投诉地点", ""):
        with pytest.raises(InputError, match="needs a ticket column and an MSISDN or IMSI"):
            read(tmp_path, encode(ROWS[:2], header=header) if header else b"")


def test_rows_with_too_many_fields_or_no_ticket_number_are_reported(tmp_path, intact):
    rows = list(ROWS)
    rows[0] = rows[0].replace('"上海市浦东新区, 世纪大道 1 号"', "上海市浦东新区, 世纪大道 1 号")
    rows[1] = "," + rows[1].split(",", 1)[1]
    rows[2] = ",".join(rows[2].split(",")[:4])                  # short: the rest left empty
    got, problems = read(tmp_path, encode(rows))
    assert set(got) == set(intact) - {"GD-001", "GD-002"}
    assert got["GD-003"].address == "" and got["GD-003"].imsi == intact["GD-003"].imsi
    assert {p.line: p.message.split(":")[0] for p in problems} == {
        2: "row has 8 fields, the header 7 (quote a value that holds a comma)", 3: "no ticket number"}


# ------------------------------------------------------------------- the command line
def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def errors_only(result, status, *words):
    """Ended with `status`, the last stderr line the one error, no traceback."""
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("chrtool: error: ")
    assert all(w in lines[-1] for w in words), lines[-1]
    return lines[:-1]


PCAP = SAMPLES / "attach_reject.pcap"


def ticket_file(tmp_path, rows, encoding="utf-8"):
    path = tmp_path / "t.csv"
    path.write_bytes(encode(rows, encoding))
    return path


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_cli_a_damaged_row_is_a_warning_and_the_others_work(tmp_path, encoding):
    data, column = damaged(encoding, 3, 10)
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    ok = invoke("diagnose", "--complaint", "GD-002", "--tickets", path, "--imsi",
                "001010000000002", PCAP)
    assert ok.exit_code == 0 and "Traceback" not in ok.output
    (warning,) = [ln for ln in ok.stderr.splitlines() if "t.csv" in ln]
    assert warning.startswith("chrtool: warning: ") and f"at line 5:{column}" in warning
    gone = invoke("diagnose", "--complaint", "GD-004", "--tickets", path, PCAP)
    assert errors_only(gone, 2, "ticket GD-004 is not in", "damaged row") == [warning]


def test_cli_a_binary_tickets_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(PCAP.read_bytes()[:3000])
    assert errors_only(invoke("diagnose", "--complaint", "GD-1", "--tickets", path, PCAP), 2,
                       "not a text file", "CSV") == []


def test_cli_missing_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(encode(ROWS[:3], header="用户号码,投诉时间"))
    assert errors_only(invoke("diagnose", "--complaint", "GD-001", "--tickets", path, PCAP), 2,
                       "needs a ticket column") == []


def test_cli_the_tickets_unparsable_time_is_one_error_naming_its_line(tmp_path):
    rows = list(ROWS)
    rows[1] = rows[1].replace("2026-11-27T", "yesterday ")
    path = ticket_file(tmp_path, rows, "gbk")
    assert errors_only(invoke("diagnose", "--complaint", "GD-002", "--tickets", path, PCAP), 2,
                       "ticket GD-002", "(line 3)", "cannot read time", "--since") == []
    ok = invoke("diagnose", "--complaint", "GD-002", "--tickets", path, "--since",
                "2026-11-27T00:00:00Z", "--until", "2026-11-28T00:00:00Z", PCAP)
    assert ok.exit_code == 0 and "Traceback" not in ok.output
    # another ticket's bad time is a warning on its line, not an error
    other = invoke("diagnose", "--complaint", "GD-003", "--tickets", path, PCAP)
    assert other.exit_code == 0
    assert [ln for ln in other.stderr.splitlines() if "t.csv" in ln] == [
        ln for ln in other.stderr.splitlines() if "t.csv at line 3 [tickets/time]" in ln] != []


def test_cli_unterminated_quote_and_huge_field(tmp_path):
    rows = list(ROWS)
    rows[0] = rows[0].replace(",2026-", ',"2026-')
    rows[1] = rows[1].replace("无法使用4G网络", "x" * (3 << 20))
    path = ticket_file(tmp_path, rows, "utf-16")
    ok = invoke("diagnose", "--complaint", "GD-002", "--tickets", path, PCAP)
    assert ok.exit_code == 0 and "Traceback" not in ok.output
    warnings = [ln for ln in ok.stderr.splitlines() if "t.csv" in ln]
    assert [w.split(" [tickets]")[0].rsplit(" at ", 1)[1] for w in warnings] == [
        f"line 2:{2 * rows[0].index(chr(34)) + 1}", "line 3"]
    assert "unterminated quote" in warnings[0] and "cut" in warnings[1]
    gone = invoke("diagnose", "--complaint", "GD-001", "--tickets", path, PCAP)
    errors_only(gone, 2, "ticket GD-001 is not in")
