# cython: language_level=3
"""The event table shared by every compiled decoder (see events.pxd for the layout)."""
import numpy as np
from libc.string cimport memcpy, memset

# (name, dtype, width or 0, fill): the schema lives here once; Python reads it as COLUMNS.
COLUMNS = (
    ("frame", np.int64, 0, 0), ("ts_ns", np.int64, 0, 0), ("parent", np.int64, 0, -1),
    ("payload_off", np.int64, 0, 0), ("src_offset", np.int64, 0, -1),
    ("mme_ue_s1ap_id", np.int64, 0, -1), ("enb_ue_s1ap_id", np.int64, 0, -1),
    ("old_enb_ue_x2ap_id", np.int64, 0, -1), ("new_enb_ue_x2ap_id", np.int64, 0, -1),
    ("menb_ue_x2ap_id", np.int64, 0, -1), ("sgnb_ue_x2ap_id", np.int64, 0, -1),
    ("m_tmsi", np.int64, 0, -1), ("teid", np.int64, 0, -1), ("seq", np.int64, 0, -1),
    ("e2e", np.int64, 0, -1),
    ("eci", np.int64, 0, -1), ("nci", np.int64, 0, -1),
    ("msg", np.int32, 0, -1), ("payload_len", np.int32, 0, 0), ("cause_value", np.int32, 0, -1),
    ("tac", np.int32, 0, -1), ("plmn", np.int32, 0, -1), ("nr_plmn", np.int32, 0, -1),
    ("crnti", np.int32, 0, -1),
    ("procedure_code", np.int16, 0, -1), ("cause_group", np.int16, 0, -1),
    ("flags", np.uint16, 0, 0), ("sport", np.uint16, 0, 0), ("dport", np.uint16, 0, 0),
    ("stream", np.uint16, 0, 0), ("ppid", np.uint32, 0, 0),
    ("proto", np.uint8, 0, 0), ("cause_proto", np.uint8, 0, 0), ("ip_version", np.uint8, 0, 0),
    ("src", np.uint8, 16, 0), ("dst", np.uint8, 16, 0),
    ("imsi", np.uint8, 16, 0), ("msisdn", np.uint8, 16, 0), ("imei", np.uint8, 16, 0),
)
ITEMS_PER_ROW = 8
ITEM_COLUMNS = (("row", np.int64), ("key", np.uint16), ("a", np.int64), ("b", np.int64),
                ("c", np.int64), ("d", np.int64))


def _alloc(spec, capacity):
    name, dtype, width, fill = spec
    shape = (capacity, width) if width else (capacity,)
    return np.full(shape, fill, dtype=dtype)


cdef class EventTable:
    """A batch of decoded messages: `cols` (capacity rows, `n` used), `item_cols`, `data`."""

    def __init__(self, Py_ssize_t capacity=4096, Py_ssize_t data_capacity=1 << 20,
                 file=None, int file_id=0):
        self.n = 0
        self.n_items = 0
        self.n_data = 0
        self.file = file
        self.file_id = file_id
        capacity = max(capacity, 16)
        self.cols = {spec[0]: _alloc(spec, capacity) for spec in COLUMNS}
        # items need no defaults (every field is written when one is added): np.empty, and
        # room for several per row, since decoders add a handful to each message
        self.item_cols = {name: np.empty(max(capacity * ITEMS_PER_ROW, 64), dtype=dt)
                          for name, dt in ITEM_COLUMNS}
        self.data_array = np.zeros(max(data_capacity, 1024), dtype=np.uint8)
        self._bind()
        self._bind_items()
        self.data = self.data_array

    def _bind(self):
        c = self.cols
        self.frame = c["frame"]; self.ts_ns = c["ts_ns"]; self.parent = c["parent"]
        self.payload_off = c["payload_off"]; self.src_offset = c["src_offset"]
        self.mme_ue_s1ap_id = c["mme_ue_s1ap_id"]; self.enb_ue_s1ap_id = c["enb_ue_s1ap_id"]
        self.old_enb_ue_x2ap_id = c["old_enb_ue_x2ap_id"]; self.new_enb_ue_x2ap_id = c["new_enb_ue_x2ap_id"]
        self.menb_ue_x2ap_id = c["menb_ue_x2ap_id"]; self.sgnb_ue_x2ap_id = c["sgnb_ue_x2ap_id"]
        self.m_tmsi = c["m_tmsi"]; self.teid = c["teid"]; self.seq = c["seq"]; self.e2e = c["e2e"]
        self.eci = c["eci"]; self.nci = c["nci"]
        self.msg = c["msg"]; self.payload_len = c["payload_len"]; self.cause_value = c["cause_value"]
        self.tac = c["tac"]; self.plmn = c["plmn"]; self.nr_plmn = c["nr_plmn"]; self.crnti = c["crnti"]
        self.procedure_code = c["procedure_code"]; self.cause_group = c["cause_group"]
        self.flags = c["flags"]; self.sport = c["sport"]; self.dport = c["dport"]
        self.stream = c["stream"]; self.ppid = c["ppid"]
        self.proto = c["proto"]; self.cause_proto = c["cause_proto"]; self.ip_version = c["ip_version"]
        self.src = c["src"]; self.dst = c["dst"]
        self.imsi = c["imsi"]; self.msisdn = c["msisdn"]; self.imei = c["imei"]

    def _bind_items(self):
        c = self.item_cols
        self.it_row = c["row"]; self.it_key = c["key"]
        self.it_a = c["a"]; self.it_b = c["b"]; self.it_c = c["c"]; self.it_d = c["d"]

    @property
    def capacity(self):
        return self.frame.shape[0]

    cdef Py_ssize_t add_row(self) except -1:
        """Append a row holding the column defaults; returns its index."""
        cdef Py_ssize_t cap = self.frame.shape[0]
        if self.n >= cap:
            new = {}
            for spec in COLUMNS:
                arr = _alloc(spec, cap * 2)
                arr[:cap] = self.cols[spec[0]]
                new[spec[0]] = arr
            self.cols = new
            self._bind()
        self.n += 1
        return self.n - 1

    cdef int add_item(self, Py_ssize_t row, int key, int64_t a, int64_t b, int64_t c,
                      int64_t d) except -1:
        cdef Py_ssize_t cap = self.it_row.shape[0]
        cdef Py_ssize_t i = self.n_items
        if i >= cap:                      # grow by doubling, copying only the used part
            grown = {}
            for name, arr in self.item_cols.items():
                grown[name] = np.empty(cap * 2, dtype=arr.dtype)
                grown[name][:i] = arr[:i]
            self.item_cols = grown
            self._bind_items()
        self.it_row[i] = row
        self.it_key[i] = key
        self.it_a[i] = a
        self.it_b[i] = b
        self.it_c[i] = c
        self.it_d[i] = d
        self.n_items = i + 1
        return 0

    cdef int reserve_data(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t cap = self.data.shape[0]
        if self.n_data + extra > cap:
            grown = np.zeros(max(cap * 2, self.n_data + extra), dtype=np.uint8)
            grown[:self.n_data] = self.data_array[:self.n_data]
            self.data_array = grown
            self.data = grown
        return 0

    cdef Py_ssize_t add_data(self, const uint8_t* p, Py_ssize_t length) except -1:
        """Copy bytes into the data buffer; returns their offset."""
        self.reserve_data(length)
        cdef Py_ssize_t off = self.n_data
        if length > 0:
            memcpy(&self.data[off], p, length)
        self.n_data += length
        return off

    cdef void set_digits(self, uint8_t[:, ::1] col, Py_ssize_t row, const uint8_t* digits,
                         Py_ssize_t n):
        if n > 16:
            n = 16
        memset(&col[row, 0], 0, 16)
        if n > 0:
            memcpy(&col[row, 0], digits, n)

    # --- Python-side views -------------------------------------------------
    def column(self, name):
        """The used part of one column (a numpy view, no copy)."""
        return self.cols[name][:self.n]

    def items(self):
        """The used part of the item table as a dict of numpy views."""
        return {name: arr[:self.n_items] for name, arr in self.item_cols.items()}

    def payload(self, Py_ssize_t row):
        off = self.cols["payload_off"][row]
        return bytes(self.data_array[off:off + self.cols["payload_len"][row]])

    def bytes_at(self, Py_ssize_t off, Py_ssize_t length):
        return bytes(self.data_array[off:off + length])

    def add_python_row(self, **values):
        """Append one row from Python (tests, CHR readers written in Python); returns its index."""
        cdef Py_ssize_t row = self.add_row()
        for name, value in values.items():
            self.cols[name][row] = value
        return row

    def add_python_item(self, Py_ssize_t row, int key, a=-1, b=-1, c=-1, d=-1):
        self.add_item(row, key, a, b, c, d)

    def add_python_data(self, const uint8_t[::1] raw):
        if raw.shape[0] == 0:
            return self.n_data
        return self.add_data(&raw[0], raw.shape[0])

    def __len__(self):
        return self.n

    def __repr__(self):
        return f"<EventTable {self.file!r} rows={self.n} items={self.n_items} data={self.n_data}B>"


# Names of the enumerations in events.pxd, for the Python layer (one source of truth).
PROTO_NAMES = {P_S1AP: "S1AP", P_X2AP: "X2AP", P_NAS_EPS: "NAS-EPS", P_GTPV2: "GTPv2",
               P_DIAMETER: "Diameter", P_CHR: "CHR", P_NGAP: "NGAP"}
PROTO = {v: k for k, v in PROTO_NAMES.items()}
FLAGS = {"malformed": F_MALFORMED, "truncated": F_TRUNCATED, "ciphered": F_CIPHERED,
         "integrity": F_INTEGRITY, "request": F_REQUEST, "reassembled": F_REASSEMBLED,
         "unknown_msg": F_UNKNOWN_MSG, "eea0": F_EEA0}
CAUSE_PROTO = {C_S1AP: "S1AP", C_X2AP: "X2AP", C_EMM: "NAS-EPS", C_ESM: "NAS-EPS",
               C_GTPV2: "GTPv2", C_DIAMETER: "Diameter", C_DIAMETER_EXP: "Diameter", C_CHR: "CHR"}
CAUSE_CODES = {"S1AP": C_S1AP, "X2AP": C_X2AP, "EMM": C_EMM, "ESM": C_ESM, "GTPv2": C_GTPV2,
               "DIAMETER": C_DIAMETER, "DIAMETER_EXP": C_DIAMETER_EXP, "CHR": C_CHR}
ITEM_KEYS = {"cause": I_CAUSE, "s1ap_ids": I_S1AP_IDS, "x2ap_ids": I_X2AP_IDS, "erab": I_ERAB,
             "cell": I_CELL, "node": I_NODE, "str": I_STR, "fteid": I_FTEID, "bearer": I_BEARER,
             "guti": I_GUTI, "meas": I_MEAS, "nas": I_NAS, "ie": I_IE,
             "info": I_INFO, "enum": I_ENUM}
STR_KINDS = {S_APN: "apn", S_SESSION_ID: "session_id", S_ORIGIN_HOST: "origin_host",
             S_ORIGIN_REALM: "origin_realm", S_DEST_HOST: "destination_host",
             S_DEST_REALM: "destination_realm", S_NODE_NAME: "node_name",
             S_PDN_ADDRESS: "pdn_address", S_RAW: "raw",
             S_MSG_NAME: "msg_name"}
CELL_KINDS = {K_ECGI: "ecgi", K_NR_CGI: "nr_cgi", K_TARGET_ECGI: "target_ecgi",
              K_SERVED_ECGI: "served_ecgi", K_SERVED_NR_CGI: "served_nr_cgi", K_TAI: "tai",
              K_TARGET_NR_CGI: "target_nr_cgi"}
NODE_KINDS = {N_MACRO_ENB: "macro-eNB", N_HOME_ENB: "home-eNB", N_SHORT_MACRO_ENB: "short-macro-eNB",
              N_LONG_MACRO_ENB: "long-macro-eNB", N_EN_GNB: "en-gNB", N_MME: "MME"}
X2AP_ID_KINDS = {X_OLD_ENB: "old_enb_ue_x2ap_id", X_NEW_ENB: "new_enb_ue_x2ap_id",
                 X_MENB: "menb_ue_x2ap_id", X_SGNB: "sgnb_ue_x2ap_id"}
MEAS_KINDS = {M_RSRP: "rsrp", M_RSRQ: "rsrq", M_SINR: "sinr", M_CQI: "cqi", M_TA: "ta",
              M_SS_RSRP: "ss_rsrp", M_SS_RSRQ: "ss_rsrq", M_SS_SINR: "ss_sinr"}
MEAS_NEIGHBOUR = M_NEIGHBOUR
MEAS_SCALE = {"rsrp": 100, "rsrq": 100, "sinr": 100, "cqi": 1, "ta": 1,
              "ss_rsrp": 100, "ss_rsrq": 100, "ss_sinr": 100}
