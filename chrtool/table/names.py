"""Names for the numbers in the event table: messages, causes, PLMNs and cells.

The hot path stores numbers only; these lookups run when a person or a program reads the result.
All names come from the tables generated from the 3GPP specs (chrtool.decoders.*_tables).
"""
import datetime as dt
from functools import lru_cache

from chrtool.protocols import BY_CODE, cause_object


@lru_cache(maxsize=None)
def msg_name(proto, msg):
    """The spec's name of message `msg` of protocol code `proto` (e.g. 'InitialUEMessage')."""
    record = BY_CODE.get(int(proto))
    return record.msg_name(int(msg)) if record else None


@lru_cache(maxsize=None)
def _cause(cause_proto, group, value):
    return cause_object(cause_proto, group, value)


def cause(cause_proto, group, value):
    """The DESIGN.md cause object for a (cause proto, group, value) triple, or None.

    A fresh dict each call: callers may add keys (context) without touching a shared one."""
    cause_proto = int(cause_proto)
    if cause_proto == 0:
        return None
    return dict(_cause(cause_proto, int(group), int(value)))


def cause_text(cause):
    """A cause object for people: 'S1AP radioNetwork #10 cell-not-available' ('-' for none)."""
    if not cause:
        return "-"
    group = f" {cause['group']}" if cause.get("group") else ""
    return f"{cause['proto']}{group} #{cause['value']} {cause['name']}"


def plmn(raw):
    """3 octets of BCD PLMN identity (as an int) -> 'MCC-MNC' (e.g. '001-01'), or None."""
    raw = int(raw)
    if raw < 0:
        return None
    b0, b1, b2 = (raw >> 16) & 0xFF, (raw >> 8) & 0xFF, raw & 0xFF
    mcc = f"{b0 & 0xF}{b0 >> 4}{b1 & 0xF}"
    mnc = f"{b2 & 0xF}{b2 >> 4}" + ("" if (b1 >> 4) == 0xF else f"{b1 >> 4}")
    return f"{mcc}-{mnc}"


def ecgi(plmn_raw, eci):
    """ECGI as 'MCC-MNC-eNBID-CellID' (ECI = 20-bit eNB ID + 8-bit cell ID), or None."""
    if int(eci) < 0 or int(plmn_raw) < 0:
        return None
    return f"{plmn(plmn_raw)}-{int(eci) >> 8}-{int(eci) & 0xFF}"


def nr_cgi(plmn_raw, nci):
    """NR-CGI as 'MCC-MNC-NCI' (36-bit NR cell identity in decimal), or None."""
    if int(nci) < 0 or int(plmn_raw) < 0:
        return None
    return f"{plmn(plmn_raw)}-{int(nci)}"



EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def iso(ts_ns):
    """ISO-8601 UTC with microseconds, e.g. '2026-11-27T09:00:00.123456Z'."""
    t = EPOCH + dt.timedelta(microseconds=int(ts_ns) // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def proto_name(proto):
    """DESIGN's proto string of a protocol code ('S1AP'), or None."""
    record = BY_CODE.get(int(proto))
    return record.name if record else None
