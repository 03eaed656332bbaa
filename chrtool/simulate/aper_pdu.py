"""The part S1AP (TS 36.413) and X2AP (TS 36.423) PDUs share, encoded with pycrate (APER).

Both protocols declare their PDU the same way: a CHOICE of initiatingMessage /
successfulOutcome / unsuccessfulOutcome, each holding a procedureCode, a criticality and the
message as an open type; the message is a SEQUENCE of a ProtocolIE-Container (IE id,
criticality, value as an open type). :class:`ApPdu` looks procedure codes, criticalities and IE
ids up in the protocol's ASN.1 object sets (its ELEMENTARY-PROCEDURES and each message's IE set),
so nothing is typed by hand, and encodes with a fast path that lays that framing out itself.

The fast path: everything around the IE values is octet-aligned APER (X.691): the CHOICE index
of the PDU (3 bits: extension bit + 2-bit index), procedureCode (one octet), criticality (2 bits,
padded), the message as an open type (length determinant + octets); in the message, the
extension bit (padded) and the IE count (0..65535: two octets); per IE its id (two octets),
criticality (padded octet) and value as an open type. Only the IE values need pycrate: each is
encoded alone with its own type and remembered by exact input (IDs, cells, causes, capabilities
and containers repeat across a connection's messages), so a message costs the pycrate encodings
of its new values only. A value of 16 KB or more goes back to pycrate's whole-PDU encoding
(APER fragments it). tests/simulate/test_s1ap_build.py and test_x2ap_build.py check that the
result equals :meth:`ApPdu.encode_whole` for every builder.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

KINDS = {"InitiatingMessage": "initiatingMessage", "SuccessfulOutcome": "successfulOutcome",
         "UnsuccessfulOutcome": "unsuccessfulOutcome"}
_ALT_INDEX = {"initiatingMessage": 0, "successfulOutcome": 1, "unsuccessfulOutcome": 2}
_CRIT = {"reject": 0, "ignore": 1, "notify": 2}
IE_VALUES_MAX = 8192           # remembered IE value encodings per protocol (memory stays bounded)


def open_type(content: bytes) -> bytes | None:
    """X.691 open type: unconstrained length determinant + the octets (None from 16K on, where
    APER fragments: the caller falls back to pycrate)."""
    n = len(content)
    if n < 128:
        return bytes([n]) + content
    if n < 16384:
        return bytes([0x80 | n >> 8, n & 0xFF]) + content
    return None


def ie_set(set_owner) -> list[tuple[int, str, str, str]]:
    """(id, criticality, value type name, presence) of the IE object set behind a container."""
    tab = set_owner._cont["value"]._const_tab._val
    return [(r["id"], r["criticality"], r["Value"]._tr._name, r["presence"])
            for r in tab.root + (tab.ext or [])]


class ApPdu:
    """Encoder of one protocol's PDUs: ``pdu`` the pycrate PDU object, ``procedures`` its
    ELEMENTARY-PROCEDURES object set, ``modules`` the pycrate modules holding its types."""

    def __init__(self, name: str, pdu, procedures, modules: Sequence):
        self.name, self.pdu, self.modules = name, pdu, tuple(modules)
        table = procedures._val
        self.procedures: dict[str, tuple[int, str, str]] = {}    # message -> (code, criticality, alt)
        for proc in table.root + (table.ext or []):
            for kind, alt in KINDS.items():
                if kind in proc:
                    self.procedures[proc[kind]._tr._name] = (proc["procedureCode"], proc["criticality"], alt)
        self._ies: dict[str, list] = {}
        self._values: dict = {}

    def asn1_type(self, name: str):
        """The pycrate object of a type, by its ASN.1 name ("E-RABToBeSetupListCtxtSUReq")."""
        attr = name.replace("-", "_")
        for mod in self.modules:
            if hasattr(mod, attr):
                return getattr(mod, attr)
        raise KeyError(f"unknown {self.name} type {name!r}")

    def message_ies(self, msg: str) -> list[tuple[int, str, str, str]]:
        """IEs a message may carry, in the order of its IE set: (id, criticality, type, presence)."""
        out = self._ies.get(msg)
        if out is None:
            out = self._ies[msg] = ie_set(self.asn1_type(msg)._cont["protocolIEs"]._cont)
        return out

    def items(self, list_type: str, items: Sequence[dict]) -> list[dict]:
        """Wrap the items of a list (SEQUENCE OF ProtocolIE-SingleContainer) with their IE id."""
        (ie_id, crit, typ, _p), = ie_set(self.asn1_type(list_type)._cont)
        return [{"id": ie_id, "criticality": crit, "value": (typ, item)} for item in items]

    def encode(self, msg: str, ies: Iterable[tuple[str | int, Any]]) -> bytes:
        """The APER PDU of message ``msg``. Each IE is named by its value type ("ENB-UE-S1AP-ID"),
        which picks the first IE of that type in the message's IE set, or by its numeric id (e.g.
        158, MME-UE-S1AP-ID-2). IEs are emitted in the IE-set order, as real nodes do; a missing
        mandatory IE raises ``ValueError``."""
        if msg not in self.procedures:
            raise KeyError(f"unknown {self.name} message {msg!r}")
        code, crit, alt = self.procedures[msg]
        table = self.message_ies(msg)
        by_key: dict = {}
        for ie_id, ie_crit, typ, _presence in table:
            by_key[ie_id] = (ie_id, ie_crit, typ)
            by_key.setdefault(typ, (ie_id, ie_crit, typ))
        given = {}
        for key, value in ies:
            if key not in by_key:
                raise KeyError(f"{msg} has no IE {key!r}")
            ie_id, ie_crit, typ = by_key[key]
            given[ie_id] = {"id": ie_id, "criticality": ie_crit, "value": (typ, value)}
        missing = [typ for ie_id, _c, typ, presence in table if presence == "mandatory" and ie_id not in given]
        if missing:
            raise ValueError(f"{msg}: mandatory IE(s) missing: {', '.join(missing)}")
        order = [ie_id for ie_id, *_ in table]
        fields = sorted(given.values(), key=lambda f: order.index(f["id"]))
        out = self._assemble(alt, code, crit, fields)
        return out if out is not None else self.encode_whole(alt, code, crit, msg, fields)

    def encode_whole(self, alt: str, code: int, crit: str, msg: str, fields: list[dict]) -> bytes:
        """pycrate's APER of the whole PDU (the reference the fast path is checked against)."""
        self.pdu.set_val((alt, {"procedureCode": code, "criticality": crit,
                                "value": (msg, {"protocolIEs": fields})}))
        return self.pdu.to_aper()

    def decode(self, data: bytes) -> tuple[str, str, dict]:
        """(PDU alternative, message name, {IE type name or id: value}); an IE type carried twice
        is keyed by its id instead. For tests and sanity checks."""
        self.pdu.from_aper(data)
        alt, body = self.pdu.get_val()
        msg, content = body["value"]
        out: dict = {}
        for f in content["protocolIEs"]:
            typ, value = f["value"]
            out[f["id"] if typ in out else typ] = value
        return alt, msg, out

    def cause_ie(self, cause: tuple[str, str | int]) -> tuple[str, str]:
        """The Cause CHOICE value from (group, name) or (group, enumeration index)."""
        group, value = cause
        enum = self.asn1_type("Cause")._cont[group]
        if isinstance(value, int):
            value = enum._cont_rev[value]
        elif value not in enum._cont:
            raise ValueError(f"{value!r} is not an {self.name} cause of group {group!r}")
        return group, value

    def cause_object(self, cause: tuple[str, str | int]) -> dict:
        """The DESIGN.md cause object: {"proto", "group", "value": enumeration index within the
        group, "name"}."""
        group, name = self.cause_ie(cause)
        return {"proto": self.name, "group": group, "value": self.asn1_type("Cause")._cont[group]._cont[name],
                "name": name}

    def _ie_value(self, typ: str, value) -> bytes:
        key = (typ, repr(value))        # repr is exact for the ints, bytes, str, tuples and dicts used
        out = self._values.get(key)
        if out is None:
            obj = self.asn1_type(typ)
            obj.set_val(value)
            out = obj.to_aper() or b"\x00"          # an empty encoding is one zero octet (X.691 11.2)
            if len(self._values) >= IE_VALUES_MAX:
                self._values.pop(next(iter(self._values)))     # the oldest
            self._values[key] = out
        return out

    def _assemble(self, alt: str, code: int, crit: str, fields: list[dict]) -> bytes | None:
        body = [b"\x00", len(fields).to_bytes(2, "big")]
        for f in fields:
            typ, value = f["value"]
            ot = open_type(self._ie_value(typ, value))
            if ot is None:
                return None
            body.append(f["id"].to_bytes(2, "big") + bytes([_CRIT[f["criticality"]] << 6]) + ot)
        msg = open_type(b"".join(body))
        if msg is None:
            return None
        return bytes([_ALT_INDEX[alt] << 5, code, _CRIT[crit] << 6]) + msg
