"""Build small event tables by hand for tests of the stages after decoding."""
from chrtool._fast.events import EventTable
from chrtool.table.events import Events

DIGITS = ("imsi", "msisdn", "imei")


def digits(text):
    raw = text.encode()
    return list(raw) + [0] * (16 - len(raw))


def table(rows, file="mem.pcap", file_id=0):
    """rows: dicts of column values (digit columns as str, src/dst as 4-byte IPv4 bytes)."""
    t = EventTable(file=file, file_id=file_id)
    for values in rows:
        values = dict(values)
        items = values.pop("items", ())
        payload = values.pop("payload", None)
        for name in DIGITS:
            if name in values:
                values[name] = digits(values[name])
        for name in ("src", "dst"):
            if name in values:
                values[name] = list(values[name]) + [0] * (16 - len(values[name]))
                values.setdefault("ip_version", 4)
        if payload is not None:
            values["payload_off"] = t.add_python_data(payload)
            values["payload_len"] = len(payload)
        row = t.add_python_row(**values)
        for key, *abcd in items:
            t.add_python_item(row, key, *abcd)
    return t


def events(rows, file="mem.pcap"):
    t = table(rows, file)
    return Events.concat([t], {0: file})
