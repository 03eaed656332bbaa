"""Complaint tickets: a CSV with ticket number, MSISDN and/or IMSI, time, address, phenomenon,
customer class. Header names are matched loosely (English or the Chinese the ticket systems use)."""
import csv
import datetime as dt
import io
from dataclasses import dataclass

from chrtool.errors import InputError
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


def read_tickets(path):
    """All tickets of a CSV file, by ticket number. The encoding is detected (UTF-8 with or
    without BOM, UTF-16, GBK/GB18030: ticket systems in China often export GBK)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read tickets ({exc})") from exc
    encoding, head = text.decode_head(raw[:1 << 16])
    # control characters mean binary; undecodable bytes are named below, where they are
    if head and not text.looks_like_text(head.replace(text.BAD, "")):
        raise InputError(f"{path}: not a text file; tickets must be a CSV (UTF-8, UTF-16 or "
                         "GBK) with a header row")
    try:
        decoded = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: byte {exc.start} is not {encoding} text ({exc.reason}); "
                         "save the tickets CSV as UTF-8") from exc
    try:
        reader = csv.DictReader(io.StringIO(decoded.lstrip("\ufeff"), newline=""))
        mapping = _map_header(reader.fieldnames or [], path)
        tickets = {}
        for row in reader:
            values = {key: (row.get(col) or "").strip() for key, col in mapping.items()}
            if values.get("ticket"):
                tickets[values["ticket"]] = Ticket(**values)
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: not readable as CSV ({exc})") from exc
    return tickets


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

