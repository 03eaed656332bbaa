"""chr-v1: chrtool's binary CHR (call history record) format, declared with construct.

This module is the readable specification (docs/formats/chr-v1.md explains it in prose), the
writer used for samples and benchmarks, and the reference reader that the Cython bulk decoder
(chrtool/_fast/chr_v1.pyx) is checked against record by record.

Layout (all integers little-endian):

    file   = FileHeader Record*
    Record = length:u16 (whole record, this field included) | body
    body   = sync "\\xa5\\x5a" | event:u16 | present:u16 | ts_ns:i64 | identities | Param*
    Param  = tag:u8 | len:u16 | value[len]

`present` says which identities follow, in bit order (PRESENT below). Records and parameters
are length-prefixed, so a reader skips events and parameter tags it does not know.
"""
from construct import (Adapter, Bytes, Const, Enum, GreedyBytes, GreedyRange, If, Int8ul,
                       Int16sl, Int16ul, Int32sl, Int32ul, Int64sl, Int64ul, PascalString,
                       Prefixed, Rebuild, Struct, Switch, Terminated, this)

MAGIC = b"\x89CHR\r\n\x1a\n"      # PNG-style: high bit, name, CRLF, ^Z, LF catch transfer damage
VERSION = (1, 0)                  # major, minor: a reader accepts any minor of its major
SYNC = b"\xa5\x5a"
HEADER_FIXED = 29                 # header bytes before the NE name's characters
RECORD_FIXED = 16                 # length, sync, event, present, ts_ns
MAX_RECORD = 0xFFFF

# ---------------------------------------------------------------------------------- name tables
# Event ids (u16). Grouped by procedure; gaps leave room for vendors' further events.
EVENTS = {
    0x0101: "RRC_CONN_SETUP",            # cause: rrc-setup-result; param est_cause
    0x0102: "RRC_CONN_REESTABLISHMENT",  # cause: rrc-reestablishment (36.331 ReestablishmentCause)
    0x0103: "RRC_CONN_RELEASE",          # cause: release
    0x0110: "RADIO_LINK_FAILURE",        # cause: rlf; meas params = last measurement before it
    0x0120: "MEAS_REPORT",               # meas params: serving and neighbours
    0x0130: "HO_ATTEMPT",                # target_cell; cause: ho-reason
    0x0131: "HO_EXECUTION",              # target_cell; cause: ho-reason
    0x0132: "HO_RESULT",                 # target_cell; cause: ho-result; proto_cause
    0x0140: "ERAB_SETUP",                # erab params; cause: erab
    0x0141: "ERAB_RELEASE",              # erab params; cause: erab
    0x0150: "SGNB_ADDITION_ATTEMPT",     # secondary_cell (PSCell NR-CGI); meas (B1)
    0x0151: "SGNB_ADDITION_RESULT",      # cause: sgnb-addition-result; proto_cause (X2AP)
    0x0152: "SGNB_RELEASE",              # cause: sgnb-release
    0x0153: "SCG_FAILURE",               # cause: scg-failure (failure type); meas SS-RSRP..
    0x0160: "S1AP_MESSAGE",              # raw_pdu: a copy of an S1AP PDU
    0x0161: "X2AP_MESSAGE",              # raw_pdu: a copy of an X2AP PDU
    0x0162: "RRC_MESSAGE",               # rrc_raw: an RRC message kept raw (I_STR raw)
}
EVENT_IDS = {name: eid for eid, name in EVENTS.items()}
RAW_EVENTS = {0x0160: "S1AP", 0x0161: "X2AP"}

# Cause kinds: the `group` of a CHR cause object; each has its own value table.
CAUSE_KINDS = {
    1: "rrc-establishment",
    2: "rrc-setup-result",
    3: "rrc-reestablishment",
    4: "release",
    5: "rlf",
    6: "ho-reason",
    7: "ho-result",
    8: "erab",
    9: "sgnb-addition-result",
    10: "sgnb-release",
    11: "scg-failure",
}
CAUSE_KIND_IDS = {name: k for k, name in CAUSE_KINDS.items()}
CAUSES = {
    # TS 36.331 EstablishmentCause, in ASN.1 order
    1: ["emergency", "highPriorityAccess", "mt-Access", "mo-Signalling", "mo-Data",
        "delayTolerantAccess", "mo-VoiceCall"],
    2: ["success", "reject-congestion", "reject-overload", "reject-license-limit",
        "no-setup-complete", "admission-failure", "mme-overload"],
    # TS 36.331 ReestablishmentCause, in ASN.1 order
    3: ["reconfigurationFailure", "handoverFailure", "otherFailure"],
    4: ["normal-release", "user-inactivity", "mme-initiated", "radio-link-failure",
        "handover-out", "reestablishment-failure", "s1-link-failure", "cell-unavailable",
        "csfb", "load-balancing", "other"],
    # TS 36.331 RLF-Report rlf-Cause-r11 (+ t312-Expiry-r12), then the eNB's own detection
    5: ["t310-Expiry", "randomAccessProblem", "rlc-MaxNumRetx", "t312-Expiry",
        "enb-ul-sync-loss"],
    6: ["a3-coverage", "a5-coverage", "load-balancing", "quality", "service-based", "inter-rat"],
    7: ["success", "prep-failure", "prep-timeout", "execution-failure", "cancelled",
        "reestablishment-to-source"],
    8: ["success", "no-radio-resources", "transport-resource-unavailable",
        "radio-connection-lost", "mme-initiated-release", "user-inactivity",
        "qci-not-supported", "reconfiguration-failure", "handover-out"],
    9: ["success", "sgnb-reject", "sgnb-no-response", "ue-reconfiguration-failure",
        "scg-random-access-failure", "no-nr-measurement", "menb-cancel"],
    10: ["normal-release", "scg-failure", "nr-coverage-poor", "menb-handover",
         "sgnb-initiated", "bearer-release", "x2-link-failure", "other"],
    # TS 36.331 SCGFailureInformationNR failureType-r15 (values 0..5 in ASN.1 order), then the
    # LTE-DC failureType-r12 scg-ChangeFailure and t313, and the Rel-16 extensions
    11: ["t310-Expiry", "randomAccessProblem", "rlc-MaxNumRetx", "synchReconfigFailure-SCG",
         "scg-reconfigFailure", "srb3-IntegrityFailure", "scg-ChangeFailure", "t313-Expiry",
         "beamFailureRecoveryFailure", "t312-Expiry", "scg-lbtFailure"],
}


def cause_name(kind, value):
    """Spec/vendor name of a CHR cause value ('' when the table has none)."""
    names = CAUSES.get(int(kind), ())
    return names[value] if 0 <= value < len(names) else ""


def cause_value(kind, name):
    """Inverse of cause_name: (kind id, value) from names; KeyError/ValueError if unknown."""
    k = CAUSE_KIND_IDS[kind] if isinstance(kind, str) else int(kind)
    return k, CAUSES[k].index(name)


# Measurement kinds (the event table's, chrtool/table/schema.py: same numbers, checked by
# tests/table/test_schema.py). Values are scaled
# integers: dB/dBm quantities x100 (-11250 = -112.50 dBm); CQI and TA (TA index, 36.213) raw.
MEAS_KINDS = {1: "rsrp", 2: "rsrq", 3: "sinr", 4: "cqi", 5: "ta",
              6: "ss_rsrp", 7: "ss_rsrq", 8: "ss_sinr"}
MEAS_KIND_IDS = {name: k for k, name in MEAS_KINDS.items()}
MEAS_SCALE = {"rsrp": 100, "rsrq": 100, "sinr": 100, "cqi": 1, "ta": 1,
              "ss_rsrp": 100, "ss_rsrq": 100, "ss_sinr": 100}
MEAS_NEIGHBOUR = 0x100            # OR-ed into I_MEAS a= for a neighbour cell's measurement

# Which identities follow the fixed part, in this order.
PRESENT = {"cell": 0x001, "imsi": 0x002, "s_tmsi": 0x004, "mme_ue_s1ap_id": 0x008,
           "enb_ue_s1ap_id": 0x010, "menb_ue_x2ap_id": 0x020, "sgnb_ue_x2ap_id": 0x040,
           "crnti": 0x080, "tac": 0x100}
PRESENT_ORDER = tuple(PRESENT)
PRESENT_RESERVED = 0xFE00         # must be 0; a reader flags a record that sets them

PARAM_TAGS = {"cause": 1, "proto_cause": 2, "meas": 3, "target_cell": 4, "secondary_cell": 5,
              "erab": 6, "raw_pdu": 7, "est_cause": 8, "rrc_raw": 9}
PARAM_NAMES = {v: k for k, v in PARAM_TAGS.items()}
CELL_KINDS = {"ecgi": 1, "nr_cgi": 2}
NE_TYPES = {"eNB": 1, "gNB": 2, "MME": 3, "other": 255}
PROTO_CAUSE_PROTOS = {"S1AP": 1, "X2AP": 2, "EMM": 3, "ESM": 4}   # CauseProto numbers


# ----------------------------------------------------------------------------------- adapters
def tbcd_decode(raw):
    """TBCD digits (low nibble first, 0xF filler) as a str."""
    out = []
    for byte in raw:
        for nib in (byte & 0xF, byte >> 4):
            if nib == 0xF:
                return "".join(out)
            out.append("0123456789*#abc"[nib])
    return "".join(out)


def tbcd_encode(digits, size):
    nibs = [int(d) for d in digits] + [0xF] * (2 * size - len(digits))
    if len(nibs) > 2 * size:
        raise ValueError(f"{digits!r} has more than {2 * size} digits")
    return bytes(nibs[i] | nibs[i + 1] << 4 for i in range(0, 2 * size, 2))


def plmn_decode(raw):
    """PLMN-Identity (TS 24.008 10.5.1.3: MCC2 MCC1 | MNC3 MCC3 | MNC2 MNC1) as 'MCCMNC'."""
    d = [raw[0] & 0xF, raw[0] >> 4, raw[1] & 0xF, raw[2] & 0xF, raw[2] >> 4, raw[1] >> 4]
    mnc3 = "" if d[5] == 0xF else "0123456789abcdef"[d[5]]
    return "".join("0123456789abcdef"[x] for x in d[:5]) + mnc3


def plmn_encode(plmn):
    if len(plmn) not in (5, 6) or not plmn.isdigit():
        raise ValueError(f"PLMN {plmn!r} is not MCC+MNC (5 or 6 digits)")
    d = [int(c) for c in plmn]
    mnc3 = d[5] if len(d) == 6 else 0xF
    return bytes([d[1] << 4 | d[0], mnc3 << 4 | d[2], d[4] << 4 | d[3]])


def plmn_int(plmn):
    """The event table's plmn column: the 3 PLMN-Identity bytes as a big-endian int."""
    return int.from_bytes(plmn_encode(plmn), "big")


class Tbcd(Adapter):
    def _decode(self, obj, context, path):
        return tbcd_decode(obj)

    def _encode(self, obj, context, path):
        return tbcd_encode(obj, self.subcon.sizeof())


class Plmn(Adapter):
    def _decode(self, obj, context, path):
        return plmn_decode(obj)

    def _encode(self, obj, context, path):
        return plmn_encode(obj)


# ------------------------------------------------------------------------------- declarations
FileHeader = Struct(
    "magic" / Const(MAGIC),
    "version_major" / Int8ul,
    "version_minor" / Int8ul,
    "header_len" / Rebuild(Int16ul, lambda this: HEADER_FIXED + len(this.ne_name.encode())
                           + len(this.get("extension", b""))),
    "start_time_ns" / Int64sl,
    "ne_type" / Enum(Int8ul, **NE_TYPES),
    "ne_plmn" / Plmn(Bytes(3)),
    "ne_id" / Int32ul,
    "ne_name" / PascalString(Int8ul, "utf8"),
    # later minor versions may add header fields; a reader skips them
    "extension" / Bytes(lambda this: this.header_len - HEADER_FIXED - len(this.ne_name.encode())),
)

Cell = Struct(
    "kind" / Enum(Int8ul, **CELL_KINDS),
    "plmn" / Plmn(Bytes(3)),
    "cell_id" / Int64ul,          # ECI (28 bits) or NCI (36 bits)
)

STmsi = Struct("mmec" / Int8ul, "m_tmsi" / Int32ul)

Cause = Struct("kind" / Enum(Int8ul, **{v: k for k, v in CAUSE_KINDS.items()}),
               "value" / Int16ul)

ProtoCause = Struct("proto" / Enum(Int8ul, **PROTO_CAUSE_PROTOS),
                    "group" / Int8ul,   # the protocol's cause CHOICE index (S1AP/X2AP) or 0
                    "value" / Int16ul)

Meas = Struct(
    "kind" / Enum(Int8ul, **MEAS_KIND_IDS),
    "neighbour" / Int8ul,         # 0 serving cell, 1 neighbour cell
    "value" / Int16sl,            # scaled, see MEAS_SCALE
    "pci" / Int16sl,              # -1 unknown
    "arfcn" / Int32sl,            # EARFCN / NR-ARFCN, -1 unknown
)

Erab = Struct(
    "erab_id" / Int8ul,
    "qci" / Int8ul,               # 0 unknown
    "cause_kind" / Int8ul,        # 0: no cause for this bearer, else a CAUSE_KINDS id
    "cause_value" / Int16ul,
)

Param = Struct(
    "tag" / Enum(Int8ul, **PARAM_TAGS),
    "value" / Prefixed(Int16ul, Switch(this.tag, {
        "cause": Cause,
        "proto_cause": ProtoCause,
        "meas": Meas,
        "target_cell": Cell,
        "secondary_cell": Cell,
        "erab": Erab,
        "raw_pdu": GreedyBytes,
        "est_cause": Int8ul,
        "rrc_raw": GreedyBytes,
    }, default=GreedyBytes)),
)


def _present(this):
    return sum(bit for name, bit in PRESENT.items() if this.get(name) is not None) \
        | (this.get("reserved_bits") or 0)


RecordBody = Struct(
    "sync" / Const(SYNC),
    "event" / Int16ul,
    "present" / Rebuild(Int16ul, _present),
    "ts_ns" / Int64sl,
    "cell" / If(this.present & PRESENT["cell"], Cell),
    "imsi" / If(this.present & PRESENT["imsi"], Tbcd(Bytes(8))),
    "s_tmsi" / If(this.present & PRESENT["s_tmsi"], STmsi),
    "mme_ue_s1ap_id" / If(this.present & PRESENT["mme_ue_s1ap_id"], Int32ul),
    "enb_ue_s1ap_id" / If(this.present & PRESENT["enb_ue_s1ap_id"], Int32ul),
    "menb_ue_x2ap_id" / If(this.present & PRESENT["menb_ue_x2ap_id"], Int32ul),
    "sgnb_ue_x2ap_id" / If(this.present & PRESENT["sgnb_ue_x2ap_id"], Int32ul),
    "crnti" / If(this.present & PRESENT["crnti"], Int16ul),
    "tac" / If(this.present & PRESENT["tac"], Int32ul),
    "params" / GreedyRange(Param),
    Terminated,
)

# The length counts the whole record, its own two bytes included.
Record = Prefixed(Int16ul, RecordBody, includelength=True)

IDENTITY_SIZES = {"cell": 12, "imsi": 8, "s_tmsi": 5, "mme_ue_s1ap_id": 4, "enb_ue_s1ap_id": 4,
                  "menb_ue_x2ap_id": 4, "sgnb_ue_x2ap_id": 4, "crnti": 2, "tac": 4}


# ---------------------------------------------------------------------------------- the writer
def header(start_time_ns, ne_name="", ne_type="eNB", ne_plmn="00101", ne_id=0,
           version=VERSION, extension=b""):
    return dict(version_major=version[0], version_minor=version[1],
                start_time_ns=int(start_time_ns), ne_type=ne_type, ne_plmn=ne_plmn,
                ne_id=int(ne_id), ne_name=ne_name, extension=extension)


def record(event, ts_ns, params=(), **ids):
    """A record dict for Record.build. `event` is an id or an EVENTS name; `ids` are identity
    fields (cell=dict(kind, plmn, cell_id), imsi='001010000000001', s_tmsi=dict(mmec, m_tmsi),
    mme_ue_s1ap_id=..., crnti=...); `params` a list of (tag name, value)."""
    unknown = set(ids) - set(PRESENT)
    if unknown:
        raise ValueError(f"unknown identity fields {sorted(unknown)}")
    rec = {name: ids.get(name) for name in PRESENT}
    rec["event"] = EVENT_IDS[event] if isinstance(event, str) else int(event)
    rec["ts_ns"] = int(ts_ns)
    rec["params"] = [dict(tag=tag, value=value) for tag, value in params]
    return rec


def build_file(hdr, records):
    """chr-v1 bytes from a header dict and record dicts."""
    return FileHeader.build(hdr) + b"".join(Record.build(r) for r in records)


# Parameter helpers for readable sample and test code.
def p_cause(kind, value):
    if isinstance(value, str):
        kind, value = cause_value(kind, value)
    return ("cause", dict(kind=kind if isinstance(kind, str) else CAUSE_KINDS[kind], value=value))


def p_proto_cause(proto, group, value):
    return ("proto_cause", dict(proto=proto, group=group, value=value))


def p_meas(kind, value, neighbour=False, pci=-1, arfcn=-1):
    """`value` in natural units (dBm, dB, CQI, TA index); stored scaled by MEAS_SCALE."""
    return ("meas", dict(kind=kind, neighbour=int(bool(neighbour)),
                         value=int(round(value * MEAS_SCALE[kind])), pci=pci, arfcn=arfcn))


def p_cell(tag, kind, plmn, cell_id):
    return (tag, dict(kind=kind, plmn=plmn, cell_id=cell_id))


def p_erab(erab_id, qci=0, cause_kind=0, cause_value=0):
    if isinstance(cause_kind, str):
        cause_kind, cause_value = cause_value_ids(cause_kind, cause_value)
    return ("erab", dict(erab_id=erab_id, qci=qci, cause_kind=cause_kind, cause_value=cause_value))


def cause_value_ids(kind, value):
    if isinstance(value, str):
        return cause_value(kind, value)
    return CAUSE_KIND_IDS[kind], value


# ---------------------------------------------------------------------------- the reference reader
def parse_header(data):
    hdr = FileHeader.parse(data)
    return hdr, hdr.header_len


def iter_records(data, offset=None):
    """(byte offset, parsed record) for every record of a whole chr-v1 file held in `data`.
    Raises construct errors on damage: this is the strict reference, not the lenient reader."""
    if offset is None:
        _, offset = parse_header(data)
    n = len(data)
    while offset < n:
        length = int.from_bytes(data[offset:offset + 2], "little")
        rec = Record.parse(data[offset:offset + max(length, 2)])
        yield offset, rec
        offset += length


def expected_row(rec, recno, offset):
    """What the event table must hold for one parsed record: (columns, items, payload), with the
    same conventions the Cython decoder follows. Used by the agreement tests."""
    from chrtool._fast import events as ev
    cols = {"frame": recno, "ts_ns": rec.ts_ns, "src_offset": offset}
    raw = RAW_EVENTS.get(rec.event)
    cols["proto"] = ev.PROTO[raw] if raw else ev.PROTO["CHR"]
    if not raw:
        cols["msg"] = rec.event
    flags = 0
    if rec.event not in EVENTS:
        flags |= ev.FLAGS["unknown_msg"]
    if rec.present & PRESENT_RESERVED:
        flags |= ev.FLAGS["malformed"]
    items = []
    payload = None
    strings = []
    if rec.cell is not None:
        if rec.cell.kind == "nr_cgi":
            cols["nr_plmn"], cols["nci"] = plmn_int(rec.cell.plmn), rec.cell.cell_id
        else:
            cols["plmn"], cols["eci"] = plmn_int(rec.cell.plmn), rec.cell.cell_id
    if rec.imsi is not None:
        cols["imsi"] = rec.imsi
    if rec.s_tmsi is not None:
        cols["m_tmsi"] = rec.s_tmsi.m_tmsi
        items.append((ev.ITEM_KEYS["guti"], -1, -1, rec.s_tmsi.mmec, rec.s_tmsi.m_tmsi))
    for name in ("mme_ue_s1ap_id", "enb_ue_s1ap_id", "menb_ue_x2ap_id", "sgnb_ue_x2ap_id",
                 "crnti", "tac"):
        if rec[name] is not None:
            cols[name] = rec[name]
    have_cause = False
    for p in rec.params:
        tag, v = str(p.tag), p.value
        if tag == "cause":
            kind = int(v.kind)
            if not have_cause:
                cols.update(cause_proto=ev.CAUSE_CODES["CHR"], cause_group=kind,
                            cause_value=v.value)
                have_cause = True
            else:
                items.append((ev.ITEM_KEYS["cause"], ev.CAUSE_CODES["CHR"], kind, v.value, -1))
        elif tag == "proto_cause":
            items.append((ev.ITEM_KEYS["cause"], int(v.proto), v.group, v.value, -1))
        elif tag == "meas":
            a = int(v.kind) | (MEAS_NEIGHBOUR if v.neighbour else 0)
            d = -1 if v.pci < 0 else (max(v.arfcn, 0) << 10) | v.pci
            items.append((ev.ITEM_KEYS["meas"], a, v.value, -1, d))
        elif tag in ("target_cell", "secondary_cell"):
            nr = v.kind == "nr_cgi"
            if tag == "secondary_cell":
                if nr:
                    cols["nr_plmn"], cols["nci"] = plmn_int(v.plmn), v.cell_id
                else:
                    cols["plmn"], cols["eci"] = plmn_int(v.plmn), v.cell_id
            else:
                ids = {name: k for k, name in ev.CELL_KINDS.items()}
                kind = ids["target_nr_cgi" if nr else "target_ecgi"]
                items.append((ev.ITEM_KEYS["cell"], kind, plmn_int(v.plmn), v.cell_id, -1))
        elif tag == "erab":
            items.append((ev.ITEM_KEYS["erab"], v.erab_id, -1, v.qci or -1, -1))
            if v.cause_kind:
                items.append((ev.ITEM_KEYS["cause"], ev.CAUSE_CODES["CHR"], v.cause_kind,
                              v.cause_value, v.erab_id))
        elif tag == "est_cause":
            items.append((ev.ITEM_KEYS["cause"], ev.CAUSE_CODES["CHR"],
                          CAUSE_KIND_IDS["rrc-establishment"], v, -1))
        elif tag == "raw_pdu":
            if raw and payload is None:
                payload = bytes(v)
            else:
                strings.append(bytes(v))
        elif tag == "rrc_raw":
            strings.append(bytes(v))
    if raw and payload is None:
        flags |= ev.FLAGS["malformed"]          # a message copy without its message
    if flags:
        cols["flags"] = flags
    return cols, items, payload, strings
