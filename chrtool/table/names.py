"""Names for the numbers in the event table: messages, causes, PLMNs and cells.

The hot path stores numbers only; these lookups run when a person or a program reads the result.
All names come from the tables generated from the 3GPP specs (chrtool.decoders.*_tables).
"""
import datetime as dt
from functools import lru_cache

from chrtool._fast import events as ev
from chrtool.decoders import (chr_v1, diameter_tables, gtpv2_tables, nas_eps_tables,
                              s1ap_tables, x2ap_tables)

P = ev.PROTO
PDU_TYPES = ("initiatingMessage", "successfulOutcome", "unsuccessfulOutcome")




@lru_cache(maxsize=None)
def msg_name(proto, msg):
    """The spec's name of message `msg` of protocol code `proto` (e.g. 'InitialUEMessage')."""
    proto, msg = int(proto), int(msg)
    if msg < 0:
        return None
    if proto in (P["S1AP"], P["X2AP"]):
        table = s1ap_tables if proto == P["S1AP"] else x2ap_tables
        name = table.MESSAGES.get((msg >> 8, msg & 0xFF))
        return name or f"unknown({PDU_TYPES[msg >> 8] if msg >> 8 < 3 else msg >> 8}, {msg & 0xFF})"
    if proto == P["NAS-EPS"]:
        if msg >= 0x100:                 # no message type octet: named by security header type
            return nas_eps_tables.EMM_SPECIAL.get(msg >> 8) or f"unknown(0x{msg:x})"
        name = nas_eps_tables.EMM_MESSAGES.get(msg) or nas_eps_tables.ESM_MESSAGES.get(msg)
        return name or f"unknown(0x{msg:02x})"
    if proto == P["GTPv2"]:
        return gtpv2_tables.MESSAGES.get(msg) or f"unknown({msg})"
    if proto == P["Diameter"]:
        code, request = msg >> 1, msg & 1
        base = diameter_tables.COMMANDS.get(code)
        if base is None:
            return f"unknown({code}, {'request' if request else 'answer'})"
        return f"{base}-{'Request' if request else 'Answer'}"
    if proto == P["CHR"]:
        return chr_v1.EVENTS.get(msg) or f"unknown({msg})"
    return None


_CAUSE_NAMES = {
    ev.CAUSE_CODES["EMM"]: ("emm", nas_eps_tables.EMM_CAUSES),
    ev.CAUSE_CODES["ESM"]: ("esm", nas_eps_tables.ESM_CAUSES),
    ev.CAUSE_CODES["GTPv2"]: (None, gtpv2_tables.CAUSES),
    ev.CAUSE_CODES["DIAMETER"]: ("result-code", diameter_tables.RESULT_CODES),
    ev.CAUSE_CODES["DIAMETER_EXP"]: ("experimental-result", diameter_tables.EXPERIMENTAL_RESULT_CODES),
}


@lru_cache(maxsize=None)
def cause(cause_proto, group, value):
    """The DESIGN.md cause object for a (cause proto, group, value) triple, or None."""
    cause_proto, group, value = int(cause_proto), int(group), int(value)
    if cause_proto == 0:
        return None
    proto = ev.CAUSE_PROTO.get(cause_proto, "unknown")
    if cause_proto in (ev.CAUSE_CODES["S1AP"], ev.CAUSE_CODES["X2AP"]):
        table = s1ap_tables if cause_proto == ev.CAUSE_CODES["S1AP"] else x2ap_tables
        gname = table.CAUSE_GROUPS[group] if 0 <= group < len(table.CAUSE_GROUPS) else f"unknown({group})"
        names = table.CAUSES.get(gname, [])
        name = names[value] if 0 <= value < len(names) else f"unknown({value})"
        return {"proto": proto, "group": gname, "value": value, "name": name}
    if cause_proto == ev.CAUSE_CODES["CHR"]:
        return _chr_cause(group, value)
    gname, names = _CAUSE_NAMES.get(cause_proto, (None, {}))
    obj = {"proto": proto}
    if gname:
        obj["group"] = gname
    obj["value"] = value
    obj["name"] = names.get(value, f"unknown({value})")
    return obj


def _chr_cause(kind, value):
    group = chr_v1.CAUSE_KINDS.get(kind, f"unknown({kind})")
    return {"proto": "CHR", "group": group, "value": value, "name": chr_v1.cause_name(kind, value)}


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


PROTO_NAMES_BY_CODE = dict(ev.PROTO_NAMES)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def iso(ts_ns):
    """ISO-8601 UTC with microseconds, e.g. '2026-11-27T09:00:00.123456Z'."""
    t = EPOCH + dt.timedelta(microseconds=int(ts_ns) // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
