# The event table: one row per decoded message, columns as typed arrays.
# Every decoder in chrtool/_fast fills rows of this table; Python sees whole batches.
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy

cdef enum Proto:
    P_NONE = 0
    P_S1AP = 1
    P_X2AP = 2
    P_NAS_EPS = 3
    P_GTPV2 = 4
    P_DIAMETER = 5
    P_CHR = 6
    P_NGAP = 7

cdef enum Flag:
    F_MALFORMED = 1       # the decoder hit bad bytes; the row keeps what was decoded before
    F_TRUNCATED = 2       # the packet was cut by the snaplen
    F_CIPHERED = 4        # NAS ciphered with a non-null algorithm: left opaque
    F_INTEGRITY = 8       # NAS integrity protected (security header 1..4)
    F_REQUEST = 16        # GTPv2 / Diameter request (answers leave it clear)
    F_REASSEMBLED = 32    # payload rebuilt from IP fragments or SCTP/TCP segments
    F_UNKNOWN_MSG = 64    # message type the tables do not name
    F_EEA0 = 128          # NAS security header said ciphered, but the SMC chose EEA0

cdef enum CauseProto:
    C_NONE = 0
    C_S1AP = 1
    C_X2AP = 2
    C_EMM = 3
    C_ESM = 4
    C_GTPV2 = 5
    C_DIAMETER = 6        # Result-Code
    C_DIAMETER_EXP = 7    # Experimental-Result-Code
    C_CHR = 8

# Keys of the item table: values a message holds more than once, or that do not fit a column.
# Every item is (row, key, a, b, c, d); the meaning of a..d is given per key.
cdef enum ItemKey:
    I_CAUSE = 1           # a=CauseProto b=group c=value d=context (E-RAB id, EBI, or -1)
    I_S1AP_IDS = 2        # a=mme_ue_s1ap_id b=enb_ue_s1ap_id (-1 absent) c=IE id
    I_X2AP_IDS = 3        # a=IdKind b=value c=IE id
    I_ERAB = 4            # a=E-RAB id b=IE id of the list c=QCI or -1
    I_CELL = 5            # a=CellKind b=PLMN (3 raw bytes as int) c=cell identity d=IE id
    I_NODE = 6            # a=NodeKind b=PLMN c=node id d=bit length of the id
    I_STR = 7             # a=StrKind b=offset in data c=length
    I_FTEID = 8           # a=interface type b=TEID c=IPv4 as int or -1 d=instance
    I_BEARER = 9          # a=EBI b=bearer-level cause value or -1 c=QCI or -1
    I_GUTI = 10           # a=PLMN b=MMEGI c=MMEC d=M-TMSI
    I_MEAS = 11           # a=MeasKind b=value (scaled, see events.py) c=cell id or -1 d=PCI/ARFCN or -1
    I_NAS = 12            # a=row of the NAS message carried (child row index)
    I_IE = 13             # a=IE id b=offset of value in data c=length d=criticality
    I_INFO = 14           # a=InfoKind (info.pxd) b=value c,d per kind (NAS/GTPv2/Diameter scalars)
    I_ENUM = 15           # S1AP/X2AP: a=IE id b=ENUMERATED/CHOICE index (extensions follow the root) c,d=-1

cdef enum StrKind:
    S_APN = 1
    S_SESSION_ID = 2
    S_ORIGIN_HOST = 3
    S_ORIGIN_REALM = 4
    S_DEST_HOST = 5
    S_DEST_REALM = 6
    S_NODE_NAME = 7       # eNB-Name / MMEname / gNB name
    S_PDN_ADDRESS = 8
    S_RAW = 9             # opaque bytes kept for the reader (RRC containers and such)
    S_MSG_NAME = 10       # the message name a trace/CHR source gave for a raw copy

cdef enum CellKind:
    K_ECGI = 1
    K_NR_CGI = 2
    K_TARGET_ECGI = 3
    K_SERVED_ECGI = 4
    K_SERVED_NR_CGI = 5
    K_TAI = 6             # b=PLMN c=TAC
    K_TARGET_NR_CGI = 7   # target NR cell (handover / PSCell change), b=PLMN c=NCI

cdef enum NodeKind:
    N_MACRO_ENB = 1
    N_HOME_ENB = 2
    N_SHORT_MACRO_ENB = 3
    N_LONG_MACRO_ENB = 4
    N_EN_GNB = 5
    N_MME = 6             # b=PLMN c=MMEGI<<8|MMEC

cdef enum IdKind:
    X_OLD_ENB = 1
    X_NEW_ENB = 2
    X_MENB = 3
    X_SGNB = 4

# I_MEAS kinds (a=, OR M_NEIGHBOUR for a neighbour cell). b= is scaled: dB and dBm x100
# (-11250 = -112.50 dBm), CQI and TA (timing advance index) unscaled. d= ARFCN<<10 | PCI.
cdef enum MeasKind:
    M_RSRP = 1
    M_RSRQ = 2
    M_SINR = 3
    M_CQI = 4
    M_TA = 5
    M_SS_RSRP = 6
    M_SS_RSRQ = 7
    M_SS_SINR = 8
    M_NEIGHBOUR = 256

cdef class EventTable:
    cdef public Py_ssize_t n          # rows in use
    cdef public Py_ssize_t n_items
    cdef public Py_ssize_t n_data     # bytes of data in use
    cdef public object cols           # dict: column name -> numpy array (capacity rows)
    cdef public object item_cols      # dict: item column name -> numpy array
    cdef public object data_array     # numpy uint8 array holding payloads the rows point into
    cdef public object file           # the input file this batch came from
    cdef public int file_id

    cdef int64_t[::1] frame, ts_ns, parent, payload_off
    cdef int64_t[::1] mme_ue_s1ap_id, enb_ue_s1ap_id
    cdef int64_t[::1] old_enb_ue_x2ap_id, new_enb_ue_x2ap_id, menb_ue_x2ap_id, sgnb_ue_x2ap_id
    cdef int64_t[::1] m_tmsi, teid, seq, e2e, eci, nci, src_offset
    cdef int32_t[::1] msg, payload_len, cause_value, tac, plmn, nr_plmn, crnti
    cdef int16_t[::1] procedure_code, cause_group
    cdef uint16_t[::1] flags, sport, dport, stream
    cdef uint32_t[::1] ppid
    cdef uint8_t[::1] proto, cause_proto, ip_version
    cdef uint8_t[:, ::1] src, dst, imsi, msisdn, imei
    cdef int64_t[::1] it_row, it_a, it_b, it_c, it_d
    cdef uint16_t[::1] it_key
    cdef uint8_t[::1] data

    cdef Py_ssize_t add_row(self) except -1
    cdef int add_item(self, Py_ssize_t row, int key, int64_t a, int64_t b, int64_t c, int64_t d) except -1
    cdef Py_ssize_t add_data(self, const uint8_t* p, Py_ssize_t length) except -1
    cdef int reserve_data(self, Py_ssize_t extra) except -1
    cdef void set_digits(self, uint8_t[:, ::1] col, Py_ssize_t row, const uint8_t* digits, Py_ssize_t n)


cdef inline void inherit(EventTable t, Py_ssize_t row, Py_ssize_t child) noexcept:
    """A message carried inside another (NAS in S1AP, ESM in EMM) shares its carrier's frame,
    time, addresses, ports and UE IDs."""
    t.frame[child] = t.frame[row]
    t.ts_ns[child] = t.ts_ns[row]
    t.src_offset[child] = t.src_offset[row]
    t.mme_ue_s1ap_id[child] = t.mme_ue_s1ap_id[row]
    t.enb_ue_s1ap_id[child] = t.enb_ue_s1ap_id[row]
    t.eci[child] = t.eci[row]
    t.plmn[child] = t.plmn[row]
    t.tac[child] = t.tac[row]
    t.sport[child] = t.sport[row]
    t.dport[child] = t.dport[row]
    t.ppid[child] = t.ppid[row]
    t.stream[child] = t.stream[row]
    t.ip_version[child] = t.ip_version[row]
    memcpy(&t.src[child, 0], &t.src[row, 0], 16)
    memcpy(&t.dst[child, 0], &t.dst[row, 0], 16)


cdef inline int put_item(EventTable t, Py_ssize_t row, int key, int64_t a, int64_t b, int64_t c,
                         int64_t d) except -1:
    """EventTable.add_item written in place (no method call) while the item table has room."""
    cdef Py_ssize_t i = t.n_items
    if i >= t.it_row.shape[0]:
        return t.add_item(row, key, a, b, c, d)      # grows the table
    t.it_row[i] = row
    t.it_key[i] = key
    t.it_a[i] = a
    t.it_b[i] = b
    t.it_c[i] = c
    t.it_d[i] = d
    t.n_items = i + 1
    return 0
