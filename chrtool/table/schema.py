"""The event table, declared once: its columns, its enumerations and its item kinds.

Every decoder writes rows of one table (one row per decoded message, one typed array per column)
plus an item table for what a message holds more than once: (row, key, a, b, c, d), four int64
slots whose meaning depends on the key. This module is that contract as plain data; nothing here
imports compiled code.

chrtool/table/gen_schema.py writes the compiled side from it (enums, the typed column views, the
per-kind put_<kind>() helpers, inherit(), the chr-v1 row defaults, the names dicts of
chrtool._fast.events and its .pyi stub); tests/table/test_schema.py fails when those are stale.
Python code reads and writes item fields by name through ITEM_KINDS instead of a..d.
"""
from collections import namedtuple
from dataclasses import dataclass, field

SLOTS = ("a", "b", "c", "d")


# --------------------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class Column:
    name: str
    dtype: str            # numpy dtype name
    width: int            # 0: one value per row; n: n bytes per row (addresses, digit strings)
    fill: int             # value of a row no decoder wrote
    inherit: str          # what a carried child message copies from its carrier: "packet"
                          # (every message of one packet/record shares it), "ue" (also the UE
                          # context of the carrier: S1AP IDs, cell), or "" (its own value)
    meaning: str


COLUMNS = (
    Column("frame", "int64", 0, 0, "packet", "1-based packet number as Wireshark counts it, or the "
           "CHR record number"),
    Column("ts_ns", "int64", 0, 0, "packet", "time of the packet or record, ns since 1970 UTC"),
    Column("parent", "int64", 0, -1, "", "row of the message carrying this one (NAS in S1AP, ESM in "
           "EMM, a piggybacked GTPv2 message), -1 at top level"),
    Column("payload_off", "int64", 0, 0, "", "offset of the message's bytes in the data buffer"),
    Column("src_offset", "int64", 0, -1, "packet", "byte offset of the packet or record in its "
           "input file"),
    Column("mme_ue_s1ap_id", "int64", 0, -1, "ue", "MME UE S1AP ID"),
    Column("enb_ue_s1ap_id", "int64", 0, -1, "ue", "eNB UE S1AP ID"),
    Column("old_enb_ue_x2ap_id", "int64", 0, -1, "", "Old eNB UE X2AP ID"),
    Column("new_enb_ue_x2ap_id", "int64", 0, -1, "", "New eNB UE X2AP ID"),
    Column("menb_ue_x2ap_id", "int64", 0, -1, "", "MeNB UE X2AP ID"),
    Column("sgnb_ue_x2ap_id", "int64", 0, -1, "", "SgNB UE X2AP ID"),
    Column("m_tmsi", "int64", 0, -1, "", "M-TMSI (of the S-TMSI or of the first GUTI)"),
    Column("teid", "int64", 0, -1, "", "GTPv2-C header TEID"),
    Column("seq", "int64", 0, -1, "", "GTPv2-C sequence number / Diameter Hop-by-Hop Identifier"),
    Column("e2e", "int64", 0, -1, "", "Diameter End-to-End Identifier"),
    Column("eci", "int64", 0, -1, "ue", "E-UTRAN cell identity (28 bits) of the ECGI"),
    Column("nci", "int64", 0, -1, "", "NR cell identity (36 bits) of the NR-CGI"),
    Column("msg", "int32", 0, -1, "", "message code (S1AP/X2AP: PDU type << 8 | procedure code; "
           "NAS: message type; GTPv2: type; Diameter: command code << 1 | R; CHR: event id)"),
    Column("payload_len", "int32", 0, 0, "", "length of the message's bytes in the data buffer"),
    Column("cause_value", "int32", 0, -1, "", "the message's first cause: value (see cause items)"),
    Column("tac", "int32", 0, -1, "ue", "tracking area code"),
    Column("plmn", "int32", 0, -1, "ue", "PLMN of eci and tac: 3 BCD octets as an int"),
    Column("nr_plmn", "int32", 0, -1, "", "PLMN of nci when it differs from plmn, else -1"),
    Column("crnti", "int32", 0, -1, "", "C-RNTI"),
    Column("procedure_code", "int16", 0, -1, "", "S1AP/X2AP procedure code"),
    Column("cause_group", "int16", 0, -1, "", "the message's first cause: group"),
    Column("flags", "uint16", 0, 0, "", "Flag bits (FLAGS)"),
    Column("sport", "uint16", 0, 0, "packet", "source port (SCTP/UDP/TCP)"),
    Column("dport", "uint16", 0, 0, "packet", "destination port"),
    Column("stream", "uint16", 0, 0, "packet", "SCTP stream identifier"),
    Column("ppid", "uint32", 0, 0, "packet", "SCTP payload protocol identifier"),
    Column("proto", "uint8", 0, 0, "", "protocol of the message (PROTO)"),
    Column("cause_proto", "uint8", 0, 0, "", "the message's first cause: cause protocol "
           "(CAUSE_CODES), 0 = no cause"),
    Column("ip_version", "uint8", 0, 0, "packet", "4 or 6; 0 = no IP layer (CHR, trace files)"),
    Column("src", "uint8", 16, 0, "packet", "source IP address (IPv4 in the first 4 bytes)"),
    Column("dst", "uint8", 16, 0, "packet", "destination IP address"),
    Column("imsi", "uint8", 16, 0, "", "IMSI digits, ASCII, NUL padded"),
    Column("msisdn", "uint8", 16, 0, "", "MSISDN digits, ASCII, NUL padded"),
    Column("imei", "uint8", 16, 0, "", "IMEI or IMEISV digits, ASCII, NUL padded"),
)

# The item table: (row, key) then the four value slots.
ITEM_COLUMNS = (("row", "int64"), ("key", "uint16"), ("a", "int64"), ("b", "int64"),
                ("c", "int64"), ("d", "int64"))


# ---------------------------------------------------------------------------------- enumerations
@dataclass(frozen=True)
class Member:
    c_name: str           # the C enum constant, e.g. P_S1AP
    value: int
    name: str | None      # the Python name (None: no entry in the names dicts)
    meaning: str = ""
    label: str = ""       # CAUSE_PROTO: the DESIGN proto string shown in cause objects
    scale: int = 1        # MEAS_KINDS: stored value = natural value x scale
    ref: str = ""         # INFO_KINDS: "row" when the item's value is a row of the same table


@dataclass(frozen=True)
class Enum:
    c_type: str
    meaning: str
    members: tuple

    def __getitem__(self, c_name):
        return next(m for m in self.members if m.c_name == c_name)


M = Member
ENUMS = {
    "proto": Enum("Proto", "protocol of a row (column proto)", (
        M("P_NONE", 0, None), M("P_S1AP", 1, "S1AP"), M("P_X2AP", 2, "X2AP"),
        M("P_NAS_EPS", 3, "NAS-EPS"), M("P_GTPV2", 4, "GTPv2"), M("P_DIAMETER", 5, "Diameter"),
        M("P_CHR", 6, "CHR"), M("P_NGAP", 7, "NGAP"))),
    "flag": Enum("Flag", "bits of the flags column", (
        M("F_MALFORMED", 1, "malformed", "the decoder hit bad bytes; the row keeps what was "
          "decoded before"),
        M("F_TRUNCATED", 2, "truncated", "the packet was cut by the snaplen"),
        M("F_CIPHERED", 4, "ciphered", "NAS ciphered with a non-null algorithm: left opaque"),
        M("F_INTEGRITY", 8, "integrity", "NAS integrity protected (security header 1..4)"),
        M("F_REQUEST", 16, "request", "GTPv2 / Diameter request (answers leave it clear)"),
        M("F_REASSEMBLED", 32, "reassembled", "payload rebuilt from IP fragments or SCTP/TCP "
          "segments"),
        M("F_UNKNOWN_MSG", 64, "unknown_msg", "message type the tables do not name"),
        M("F_EEA0", 128, "eea0", "NAS security header said ciphered, but the SMC chose EEA0"))),
    "cause_proto": Enum("CauseProto", "protocol whose numbering a cause uses (column cause_proto, "
                        "cause item field proto)", (
        M("C_NONE", 0, None),
        M("C_S1AP", 1, "S1AP", label="S1AP"), M("C_X2AP", 2, "X2AP", label="X2AP"),
        M("C_EMM", 3, "EMM", label="NAS-EPS"), M("C_ESM", 4, "ESM", label="NAS-EPS"),
        M("C_GTPV2", 5, "GTPv2", label="GTPv2"),
        M("C_DIAMETER", 6, "DIAMETER", "Result-Code", label="Diameter"),
        M("C_DIAMETER_EXP", 7, "DIAMETER_EXP", "Experimental-Result-Code", label="Diameter"),
        M("C_CHR", 8, "CHR", label="CHR"))),
    "str_kind": Enum("StrKind", "what a str item's bytes are", (
        M("S_APN", 1, "apn", "label-encoded as on the wire (TS 23.003 9.1)"),
        M("S_SESSION_ID", 2, "session_id"), M("S_ORIGIN_HOST", 3, "origin_host"),
        M("S_ORIGIN_REALM", 4, "origin_realm"), M("S_DEST_HOST", 5, "destination_host"),
        M("S_DEST_REALM", 6, "destination_realm"),
        M("S_NODE_NAME", 7, "node_name", "eNB-Name / MMEname / gNB name"),
        M("S_PDN_ADDRESS", 8, "pdn_address", "PDN type octet, then the address"),
        M("S_RAW", 9, "raw", "opaque bytes kept for the reader (RRC containers and such)"),
        M("S_MSG_NAME", 10, "msg_name", "the message name a trace/CHR source gave for a raw "
          "copy"))),
    "cell_kind": Enum("CellKind", "which cell a cell item names", (
        M("K_ECGI", 1, "ecgi"), M("K_NR_CGI", 2, "nr_cgi"), M("K_TARGET_ECGI", 3, "target_ecgi"),
        M("K_SERVED_ECGI", 4, "served_ecgi"), M("K_SERVED_NR_CGI", 5, "served_nr_cgi"),
        M("K_TAI", 6, "tai", "a tracking area: the item's cell field is the TAC"),
        M("K_TARGET_NR_CGI", 7, "target_nr_cgi", "target NR cell (handover / PSCell change)"))),
    "node_kind": Enum("NodeKind", "which node a node item names", (
        M("N_MACRO_ENB", 1, "macro-eNB"), M("N_HOME_ENB", 2, "home-eNB"),
        M("N_SHORT_MACRO_ENB", 3, "short-macro-eNB"), M("N_LONG_MACRO_ENB", 4, "long-macro-eNB"),
        M("N_EN_GNB", 5, "en-gNB"),
        M("N_MME", 6, "MME", "the item's id field is MMEGI << 8 | MMEC"))),
    "x2ap_id_kind": Enum("IdKind", "which UE X2AP ID an x2ap_ids item holds (the column it "
                         "names)", (
        M("X_OLD_ENB", 1, "old_enb_ue_x2ap_id"), M("X_NEW_ENB", 2, "new_enb_ue_x2ap_id"),
        M("X_MENB", 3, "menb_ue_x2ap_id"), M("X_SGNB", 4, "sgnb_ue_x2ap_id"))),
    "meas_kind": Enum("MeasKind", "what a meas item measured; OR M_NEIGHBOUR for a neighbour "
                      "cell. Values are stored x scale: dB and dBm x100 (-11250 = -112.50 dBm), "
                      "CQI and TA (timing advance index) as they are", (
        M("M_RSRP", 1, "rsrp", scale=100), M("M_RSRQ", 2, "rsrq", scale=100),
        M("M_SINR", 3, "sinr", scale=100), M("M_CQI", 4, "cqi"), M("M_TA", 5, "ta"),
        M("M_SS_RSRP", 6, "ss_rsrp", scale=100), M("M_SS_RSRQ", 7, "ss_rsrq", scale=100),
        M("M_SS_SINR", 8, "ss_sinr", scale=100),
        M("M_NEIGHBOUR", 256, None, "bit: the measurement is of a neighbour cell"))),
    # Scalars of NAS-EPS, GTPv2-C and Diameter messages without a column of their own: an info
    # item holds kind, value and up to two further values as given per kind (-1 where unused).
    "info_kind": Enum("InfoKind", "what an info item holds", (
        M("V_ATTACH_TYPE", 1, "attach_type", "NAS Attach Request: value=EPS attach type "
          "(24.301 9.9.3.11) value2=NAS KSI"),
        M("V_EPS_UPDATE_TYPE", 2, "eps_update_type", "NAS TAU Request: value=EPS update type "
          "(9.9.3.14) value2=active flag value3=NAS KSI"),
        M("V_DETACH_TYPE", 3, "detach_type", "NAS Detach Request: value=type of detach (9.9.3.7) "
          "value2=switch off"),
        M("V_IDENTITY_TYPE", 4, "identity_type", "NAS Identity Request: value=identity type 2 "
          "(9.9.3.17)"),
        M("V_NAS_ALGS", 5, "nas_algorithms", "NAS Security Mode Command: value=EEA (ciphering) "
          "value2=EIA (integrity)"),
        M("V_SERVICE_TYPE", 6, "service_type", "NAS Extended Service Request: value=service type "
          "(9.9.3.27)"),
        M("V_ESM_HEADER", 7, "esm_header", "NAS ESM message: value=EPS bearer identity "
          "value2=procedure transaction identity"),
        M("V_PDN_TYPE", 8, "pdn_type", "NAS PDN type (9.9.4.10) / GTPv2 PDN Type IE (8.34): "
          "value=PDN type value2=IE it came from"),
        M("V_RAT_TYPE", 9, "rat_type", "GTPv2 RAT Type (8.17) / Diameter RAT-Type AVP 1032 "
          "(29.212): value=RAT type"),
        M("V_ULR_FLAGS", 10, "ulr_flags", "Diameter ULR-Flags AVP 1405 (29.272 7.3.7): "
          "value=flags"),
        M("V_EBI", 11, "ebi", "GTPv2 message-level EBI IE (8.8): value=EBI value2=instance"),
        M("V_DIAMETER_HDR", 12, "diameter_header", "Diameter header: value=flags octet (R P E T) "
          "value2=Application-Id value3=version"),
        M("V_GTP_CAUSE", 13, "gtpv2_cause_detail", "GTPv2 Cause IE details: value=PCE/BCE/CS bits "
          "value2=offending IE type | instance << 8 (or -1) value3=EBI of the enclosing Bearer "
          "Context (or -1 at message level)"),
        M("V_ATTACH_RESULT", 14, "attach_result", "NAS Attach Accept: value=EPS attach result "
          "(9.9.3.10)"),
        M("V_UPDATE_RESULT", 15, "update_result", "NAS TAU Accept: value=EPS update result "
          "(9.9.3.13)"),
        M("V_REQUEST_TYPE", 16, "request_type", "NAS PDN Connectivity Request: value=request type "
          "(9.9.4.14)"),
        M("V_AUTH_APP_ID", 17, "auth_application_id", "Diameter Auth-Application-Id AVP 258: "
          "value=Application-Id"),
        M("V_PIGGYBACKED", 18, "piggybacked", "GTPv2: value=row of the piggybacked message "
          "carried after this one", ref="row"))),
}
del M


# ------------------------------------------------------------------------------------ item kinds
@dataclass(frozen=True)
class Field:
    name: str
    slot: str             # a, b, c or d
    meaning: str
    bits: int = 0         # > 0: the field is `bits` wide at bit `shift` of its slot (two small
    shift: int = 0        #   fields sharing one slot); 0: the whole slot, -1 = absent
    ref: str = ""         # "data": an offset into the data buffer; "row": a row of the table

    @property
    def default(self):
        return 0 if self.bits else -1

    @property
    def mask(self):
        return (1 << self.bits) - 1


@dataclass(frozen=True)
class ItemKind:
    name: str
    c_name: str           # the ItemKey constant, e.g. I_CAUSE
    code: int
    meaning: str
    fields: tuple = field(default_factory=tuple)

    def __post_init__(self):
        object.__setattr__(self, "_named", namedtuple(self.name, [f.name for f in self.fields]))

    def field(self, name):
        return next(f for f in self.fields if f.name == name)

    def pack(self, **values):
        """(a, b, c, d) from named field values (ints or numpy arrays); unnamed fields get -1
        (0 for the parts of a shared slot)."""
        unknown = set(values) - {f.name for f in self.fields}
        if unknown:
            raise KeyError(f"{self.name} items have no field {', '.join(sorted(unknown))}")
        slots = {s: 0 if any(f.bits and f.slot == s for f in self.fields) else -1 for s in SLOTS}
        for f in self.fields:
            v = values.get(f.name, f.default)
            slots[f.slot] = slots[f.slot] | ((v & f.mask) << f.shift) if f.bits else v
        return tuple(slots[s] for s in SLOTS)

    def get(self, items, name):
        """Field `name` of item arrays (a dict with the slots a..d, e.g. Events.items_of(kind))."""
        f = self.field(name)
        raw = items[f.slot]
        return (raw >> f.shift) & f.mask if f.bits else raw

    def unpack(self, a, b, c, d):
        """The named fields of one item (a namedtuple)."""
        slots = {"a": a, "b": b, "c": c, "d": d}
        return self._named._make((slots[f.slot] >> f.shift) & f.mask if f.bits else slots[f.slot]
                                 for f in self.fields)


F, I = Field, ItemKind
ITEM_KINDS = {k.name: k for k in (
    I("cause", "I_CAUSE", 1, "a cause the message holds besides its first (per E-RAB, bearer "
      "context, grouped AVP...)", (
        F("proto", "a", "cause protocol (CAUSE_CODES)"),
        F("group", "b", "S1AP/X2AP: the cause CHOICE index; CHR: the cause kind; Diameter "
          "Experimental-Result: the Vendor-Id; else -1"),
        F("value", "c", "the protocol's own cause number"),
        F("context", "d", "what the cause is about: E-RAB id (S1AP, X2AP, CHR) or EPS bearer id "
          "(NAS ESM, GTPv2 Bearer Context); -1 for the message as a whole"))),
    I("s1ap_ids", "I_S1AP_IDS", 2, "an MME/eNB UE S1AP ID pair (UE-S1AP-IDs, lists of them)", (
        F("mme_ue_s1ap_id", "a", "MME UE S1AP ID, -1 absent"),
        F("enb_ue_s1ap_id", "b", "eNB UE S1AP ID, -1 absent"),
        F("ie", "c", "IE id it came from"))),
    I("x2ap_ids", "I_X2AP_IDS", 3, "a UE X2AP ID", (
        F("kind", "a", "which ID (X2AP_ID_KINDS)"),
        F("value", "b", "the ID"),
        F("ie", "c", "IE id it came from"))),
    I("erab", "I_ERAB", 4, "an E-RAB of an E-RAB list", (
        F("erab_id", "a", "E-RAB id"),
        F("list_ie", "b", "IE id of the list"),
        F("qci", "c", "QCI, -1 absent"),
        F("item_ie", "d", "IE id of the item inside a nested list, else -1"))),
    I("cell", "I_CELL", 5, "a cell or tracking area the message names", (
        F("kind", "a", "which cell (CELL_KINDS)"),
        F("plmn", "b", "PLMN: 3 BCD octets as an int"),
        F("cell", "c", "cell identity (28-bit ECI, 36-bit NCI), or the TAC for a TAI"),
        F("ie", "d", "IE id it came from, -1 absent"))),
    I("node", "I_NODE", 6, "a node identity (Global eNB/en-gNB ID, GUMMEI)", (
        F("kind", "a", "which node (NODE_KINDS)"),
        F("plmn", "b", "PLMN: 3 BCD octets as an int"),
        F("node_id", "c", "node id (MME: MMEGI << 8 | MMEC)"),
        F("bits", "d", "bit length of the id"))),
    I("str", "I_STR", 7, "bytes of the data buffer", (
        F("kind", "a", "what the bytes are (STR_KINDS)"),
        F("offset", "b", "offset in the data buffer", ref="data"),
        F("length", "c", "length in bytes"),
        F("ie", "d", "IE id it came from, -1 absent"))),
    I("fteid", "I_FTEID", 8, "a tunnel endpoint (GTPv2 F-TEID, S1AP transport layer address + "
      "GTP-TEID)", (
        F("interface", "a", "interface type (29.274 8.22; S1AP: 0 = S1-U eNodeB, 1 = S1-U SGW)",
          bits=8),
        F("instance", "a", "GTPv2 IE instance (0 for S1AP)", bits=4, shift=8),
        F("teid", "b", "TEID / GRE key"),
        F("address", "c", "IPv4 address as an int, -1 absent (IPv6 only)"),
        F("ebi", "d", "EPS bearer id = E-RAB id it belongs to (S1AP E-RAB item, GTPv2 Bearer "
          "Context), -1 at message level"))),
    I("bearer", "I_BEARER", 9, "an EPS bearer (GTPv2 Bearer Context, NAS EPS QoS)", (
        F("ebi", "a", "EPS bearer id"),
        F("cause", "b", "bearer-level cause value, -1 absent"),
        F("qci", "c", "QCI, -1 absent"))),
    I("guti", "I_GUTI", 10, "a GUTI or S-TMSI", (
        F("plmn", "a", "PLMN: 3 BCD octets as an int, -1 absent (S-TMSI)"),
        F("mmegi", "b", "MME group id, -1 absent"),
        F("mmec", "c", "MME code"),
        F("m_tmsi", "d", "M-TMSI"))),
    I("meas", "I_MEAS", 11, "a radio measurement", (
        F("kind", "a", "what was measured (MEAS_KINDS), | MEAS_NEIGHBOUR for a neighbour cell"),
        F("value", "b", "the value x its kind's scale (MEAS_SCALE)"),
        F("cell", "c", "cell id, -1 absent"),
        F("arfcn_pci", "d", "ARFCN << 10 | PCI, -1 absent"))),
    I("nas", "I_NAS", 12, "a NAS message the row carries", (
        F("child", "a", "row of the carried message", ref="row"),)),
    I("ie", "I_IE", 13, "an S1AP/X2AP protocol IE of the message", (
        F("ie", "a", "IE id, -1 for the message value itself"),
        F("offset", "b", "offset of the IE value in the data buffer", ref="data"),
        F("length", "c", "length of the value in bytes"),
        F("criticality", "d", "criticality"))),
    I("info", "I_INFO", 14, "a scalar without a column (INFO_KINDS)", (
        F("kind", "a", "what it is (INFO_KINDS)"),
        F("value", "b", "the value"),
        F("value2", "c", "second value per kind, -1 unused"),
        F("value3", "d", "third value per kind, -1 unused"))),
    I("enum", "I_ENUM", 15, "an S1AP/X2AP ENUMERATED or CHOICE IE", (
        F("ie", "a", "IE id"),
        F("index", "b", "ENUMERATED/CHOICE index (extensions follow the root)"))),
)}
del F, I
ITEM_KINDS_BY_CODE = {k.code: k for k in ITEM_KINDS.values()}


def references():
    """(item key, where, slot, "row" | "data") for every item value that points at a row or
    into the data buffer (joining tables shifts these with the rows and the data); `where` is
    None, or (slot, value) when only items with that value in that slot point (info kinds)."""
    out = []
    for kind in ITEM_KINDS.values():
        out.extend((kind.code, None, f.slot, f.ref) for f in kind.fields if f.ref)
    info = ITEM_KINDS["info"]
    for m in ENUMS["info_kind"].members:
        if m.ref:
            out.append((info.code, (info.field("kind").slot, m.value), info.field("value").slot,
                        m.ref))
    return out


# ------------------------------------------------------------------- names, as Python sees them
# name -> (enum, mapping): "name" code -> name, "code" name -> code, "label" code -> label,
# "scale" name -> scale (members without a Python name are left out). chrtool._fast.events
# exports the same dicts, built from the compiled constants (gen_schema writes them).
NAME_DICTS = {
    "PROTO_NAMES": ("proto", "name"), "PROTO": ("proto", "code"), "FLAGS": ("flag", "code"),
    "CAUSE_PROTO": ("cause_proto", "label"), "CAUSE_CODES": ("cause_proto", "code"),
    "STR_KINDS": ("str_kind", "name"), "CELL_KINDS": ("cell_kind", "name"),
    "NODE_KINDS": ("node_kind", "name"), "X2AP_ID_KINDS": ("x2ap_id_kind", "name"),
    "MEAS_KINDS": ("meas_kind", "name"), "MEAS_SCALE": ("meas_kind", "scale"),
    "INFO_KINDS": ("info_kind", "name"),
}


def _names(dict_name):
    enum, how = NAME_DICTS[dict_name]
    members = [m for m in ENUMS[enum].members if m.name is not None]
    if how == "code":
        return {m.name: m.value for m in members}
    if how == "scale":
        return {m.name: m.scale for m in members}
    return {m.value: getattr(m, how) for m in members}


PROTO_NAMES = _names("PROTO_NAMES")
PROTO = _names("PROTO")
FLAGS = _names("FLAGS")
CAUSE_PROTO = _names("CAUSE_PROTO")
CAUSE_CODES = _names("CAUSE_CODES")
STR_KINDS = _names("STR_KINDS")
CELL_KINDS = _names("CELL_KINDS")
NODE_KINDS = _names("NODE_KINDS")
X2AP_ID_KINDS = _names("X2AP_ID_KINDS")
MEAS_KINDS = _names("MEAS_KINDS")
MEAS_SCALE = _names("MEAS_SCALE")
INFO_KINDS = _names("INFO_KINDS")
ITEM_KEYS = {k.name: k.code for k in ITEM_KINDS.values()}
MEAS_NEIGHBOUR = ENUMS["meas_kind"]["M_NEIGHBOUR"].value
RUNTIME_NAMES = (*NAME_DICTS, "ITEM_KEYS", "MEAS_NEIGHBOUR")


# ---------------------------------------------------------------------------------------- Arrow
def arrow_schema():
    """The event table's columns as a pyarrow schema (Parquet output of events): byte columns
    of width n are fixed-size binary; `file_id` (added when batches are joined) comes last."""
    import pyarrow as pa
    fields = [pa.field(c.name, pa.binary(c.width) if c.width else pa.from_numpy_dtype(c.dtype),
                       nullable=False, metadata={"meaning": c.meaning, "fill": str(c.fill)})
              for c in COLUMNS]
    fields.append(pa.field("file_id", pa.int32(), nullable=False,
                           metadata={"meaning": "input file of the row (Events.files)"}))
    return pa.schema(fields)


def arrow_item_schema():
    """The item table as a pyarrow schema (the raw slots; ITEM_KINDS says what they mean)."""
    import pyarrow as pa
    return pa.schema([pa.field(name, pa.from_numpy_dtype(dtype), nullable=False)
                      for name, dtype in ITEM_COLUMNS])
