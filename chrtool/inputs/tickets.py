"""Complaint tickets: a CSV with ticket number, MSISDN and/or IMSI, time, address, phenomenon,
customer class. Header names are matched loosely (English or the Chinese the ticket systems use).

A damaged row costs that row, never the file: each is reported at its own line, the others are
kept. Only a file that is not text, or whose header lacks the columns chrtool needs, is refused."""
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from chrtool.errors import InputError, ProblemLog
from chrtool.inputs import text

COLUMNS = {
    "ticket": ("ticket", "ticket_no", "ticket_number", "complaint", "工单号", "工单编号"),
    "msisdn": ("msisdn", "phone", "number", "用户号码", "号码", "手机号码"),
    "imsi": ("imsi",),
    "time": ("time", "complaint_time", "occurred", "投诉时间", "发生时间", "时间"),
    "address": ("address", "place", "location", "地址", "投诉地点"),
    "phenomenon": ("phenomenon", "problem", "description", "现象", "问题现象"),
    "customer_class": ("customer_class", "class", "vip", "客户级别", "用户级别"),
}
MAX_FIELD_BYTES = 1 << 16   # a longer field is cut (an address or a phenomenon is a few hundred)
_PIECE = 1 << 16            # characters read at a time: a line of any length stays bounded


@dataclass
class Ticket:
    ticket: str
    msisdn: str = ""
    imsi: str = ""
    time: str = ""
    address: str = ""
    phenomenon: str = ""
    customer_class: str = ""

    def time_ns(self):
        return parse_time(self.time) if self.time else None


def parse_time(text):
    """ISO-8601 (or 'YYYY-MM-DD HH:MM[:SS]') -> ns since the epoch; no zone means UTC."""
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"cannot read time {text!r}: use ISO-8601 like 2026-11-27T09:00:00Z") from exc
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000


class Tickets(dict):
    """Tickets by ticket number, the file line each was read from (`line_of`), and how many
    damaged rows were left out (`skipped`)."""

    def __init__(self):
        super().__init__()
        self.line_of, self.skipped = {}, 0


def read_tickets(path, on_problem=None):
    """All tickets of a CSV file, by ticket number (a Tickets dict). The encoding is detected (UTF-8 with or
    without BOM, UTF-16, GBK/GB18030: ticket systems in China often export GBK). Damaged rows
    (a byte that does not decode, an unterminated quote, the wrong number of fields, no ticket
    number) are left out and passed to `on_problem` as Problems at their line; a time that
    does not parse is reported too, its ticket kept (--since/--until can stand in for it).
    InputError when the file cannot be read, is not text or lacks the needed columns."""
    log = ProblemLog(str(path))
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            encoding, head_text = text.decode_head(head)
            # control characters mean binary; undecodable bytes are rows' damage, named below
            if head and not text.looks_like_text(head_text.replace(text.BAD, "")):
                raise InputError(f"{path}: not a text file; tickets must be a CSV (UTF-8, "
                                 "UTF-16 or GBK) with a header row")
            fh.seek(0)
            lines = io.TextIOWrapper(fh, encoding, errors="chrtool-mark", newline="\n")
            tickets = _Reader(path, log, text.column_codec(encoding, head)).read(lines)
    except OSError as exc:
        raise InputError(f"{path}: cannot read tickets ({exc})") from exc
    for problem in log.items:
        if on_problem:
            on_problem(problem)
    return tickets


class _Reader:
    def __init__(self, path, log, codec):
        self.path, self.log = path, log
        self.codec = codec or ("utf-8", "surrogateescape")
        self.width = None                      # the header's fields, once read
        self.tickets = Tickets()

    def read(self, fh):
        tickets, mapping = self.tickets, None
        for line, fields in self._records(fh):
            if mapping is None:
                self.header = [f.lstrip("\ufeff") for f in fields]
                mapping = _map_header(self.header, self.path)
                self.width = len(self.header)
                continue
            if len(fields) > self.width:       # a comma the export did not quote, most often
                self._skip(line, f"row has {len(fields)} fields, the header {self.width} "
                           "(quote a value that holds a comma)")
                continue
            values = {key: (fields[self.header.index(col)].strip()
                            if self.header.index(col) < len(fields) else "")
                      for key, col in mapping.items()}
            if not values.get("ticket"):
                self._skip(line, "no ticket number")
                continue
            if values.get("time"):
                try:
                    parse_time(values["time"])
                except InputError as exc:
                    self.log.add("tickets/time", f"ticket {values['ticket']}: {exc}; the "
                                 "ticket is kept (give --since and --until to diagnose it)",
                                 line=line)
            tickets[values["ticket"]] = Ticket(**values)
            tickets.line_of[values["ticket"]] = line
        if mapping is None:
            _map_header([], self.path)         # an empty file: say what a header needs
        return tickets

    def _problem(self, line, message, column=None):
        self.log.add("tickets", message, line=line, column=column)

    def _skip(self, line, message, column=None):
        """A damaged row left out."""
        self._problem(line, message + ": row skipped", column)
        self.tickets.skipped += 1

    def _lines(self, fh):
        """(line number, the line with its newline); a line with a field over
        MAX_FIELD_BYTES is cut (reported) as it is read, so no line is held whole."""
        number = 0
        while True:
            piece = fh.readline(_PIECE)
            if not piece:
                return
            number += 1
            if piece.endswith("\n") and len(piece.encode("utf-8", "surrogatepass")) <= \
                    MAX_FIELD_BYTES:
                yield number, piece
                continue
            cutter = text.FieldCutter(MAX_FIELD_BYTES, ",", self.width or 1 << 16)
            while cutter.feed(piece.encode("utf-8", "surrogatepass")) < 0:
                piece = fh.readline(_PIECE)
                if not piece:
                    break
            for field, size in cutter.cut:
                name = (self.header[field - 1] if self.width and field <= self.width
                        else f"#{field}")
                self._problem(number, f"field {field} ({name!r}) is {size} bytes, beyond the "
                              f"limit of {MAX_FIELD_BYTES}: cut")
            yield number, cutter.line().decode("utf-8", "surrogatepass")

    def _records(self, fh):
        """(first line number, fields) of each readable record. A quoted value may hold
        newlines: a line that ends inside one takes the next lines until the record ends, if
        it ends within MAX_FIELD_BYTES with the header's number of fields. Else the quote is
        unterminated: its line is reported and reading goes on at the next line."""
        queue, lines = [], self._lines(fh)

        def next_line():
            return queue.pop() if queue else next(lines, None)

        while (item := next_line()) is not None:
            number, first = item
            if not first.strip():
                continue
            group, fields = [item], _parse(first)
            if fields is None:                 # it ends inside a quoted value
                quotes, size = first.count('"'), len(first)
                while (more := next_line()) is not None:
                    group.append(more)
                    quotes, size = quotes + more[1].count('"'), size + len(more[1])
                    if size > MAX_FIELD_BYTES:
                        break
                    # only an even count of quotes so far can close the value
                    if quotes % 2 == 0 and (fields := _parse("".join(ln for _, ln in group))) \
                            is not None:
                        break
                if not fields or (self.width is not None and len(fields) != self.width):
                    queue.extend(reversed(group[1:]))          # read afresh
                    fields = False
            if fields is False:
                self._skip(number, "unterminated quote opened here (reading goes on at the "
                           "next line)", self._column(first, _quote_at(first)))
                continue
            bad = next(((n, ln) for n, ln in group if text.BAD in ln), None)
            if bad is not None:
                self._skip(bad[0], f"a byte that is not {self.codec[0]} text",
                           self._column(bad[1], bad[1].index(text.BAD)))
                continue
            yield number, fields

    def _column(self, line, at):
        """1-based column of character `at` in bytes of the file's own encoding."""
        codec, errors = self.codec
        return len(line[:at].encode(codec, errors)) + 1


# one field as the csv module reads it strictly: quoted (closed, then a comma or the end) or not
_FIELD = re.compile(r'(?:"(?:[^"]|"")*"|[^",\r\n][^,\r\n]*|)(,|\r?\n?\Z)')


def _parse(record):
    """The fields of one record; None when it ends inside a quoted value, False when a quoted
    value closes before something other than a comma (its quotes do not pair)."""
    try:
        rows = list(csv.reader(io.StringIO(record, newline=""), strict=True))
    except csv.Error as exc:
        return None if "unexpected end of data" in str(exc) else False
    return rows[0] if len(rows) == 1 else False


def _quote_at(line):
    """Where the first field the csv module cannot read starts on `line`: the quote that
    opened a value which does not close there, or closes before something else."""
    pos = 0
    while (m := _FIELD.match(line, pos)) is not None and m.group(1) == ",":
        pos = m.end()
    return pos if m is None else line.rfind('"')


def _map_header(header, path):
    lowered = {h.strip().lower(): h for h in header}
    mapping = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.lower() in lowered:
                mapping[key] = lowered[alias.lower()]
                break
    if "ticket" not in mapping or not ({"msisdn", "imsi"} & set(mapping)):
        raise InputError(f"{path}: a tickets CSV needs a ticket column and an MSISDN or IMSI column "
                         f"(found {header})")
    return mapping


def ticket_zone(ticket):
    """The zone the ticket's time is written in (None when it names none): the zone its
    subscriber lives in, so the times written for people are in it."""
    try:
        return dt.datetime.fromisoformat(ticket.time.strip().replace("Z", "+00:00")).tzinfo
    except (ValueError, AttributeError):
        return None

