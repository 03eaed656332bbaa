# cython: language_level=3
"""NAS-EPS (3GPP TS 24.301) decoder for the NAS-EPS rows of the event table.

Every row with proto NAS-EPS (the S1AP decoder adds one per NAS-PDU, parent = the S1AP row) is
decoded in place; no Python object is made per message.

Security (24.301 9.3.1): header types 1 and 3 (integrity protected) are decoded; 2 and 4
(ciphered) are decoded only when the connection's Security Mode Command selected EEA0, the row then
carries F_EEA0; otherwise the row is F_CIPHERED and left opaque (msg = -1): never guessed. Type 5
(partially ciphered, Control Plane Service Request) is read as far as its plain part goes. Type 12
(and 13-15, which 9.3.1 says to treat as 12) is the short SERVICE REQUEST, msg = 0xC00.
The connection is keyed on the S1AP association (the unordered pair of address/port endpoints of
the row) + eNB UE S1AP ID; a NAS row carried by an InitialUEMessage clears its key (IDs are
reused). The entry is also kept under the MME side (MME endpoint + MME UE S1AP ID), where a UE
handed over to another eNB (new association and eNB ID, same MME ID) finds it. A wrong MME UE
S1AP ID on a known eNB connection does not hide the connection (36.413: the eNB UE S1AP ID alone
is unique within the eNB). An EPS security context outlives
the connection (the UE comes back with its GUTI and KSI and goes on without a new SMC), so the
chosen algorithm is also remembered per M-TMSI and IMSI of the UE (from any decoded on a connection
whose algorithm is known) and a new connection takes it over when its first message names that
M-TMSI (or IMSI): the S-TMSI of the InitialUEMessage, or the GUTI or IMSI of a readable
(integrity protected only) initial NAS message. Both live in one fixed-size table (LRU within a probe window): bounded.
Without an SMC in the inputs for a connection or its UE, nothing is adopted: its ciphered
messages stay F_CIPHERED. NasState(null_cipher=True) is the opt-in exception, tshark's
nas-eps.null_decipher: such a message (header type 2 or 4, no known algorithm) is read as if EEA0
and kept, with F_EEA0, only when the plaintext parses as NAS (see null_decipher); else it stays
F_CIPHERED. An algorithm is only ever learnt from an SMC that was read, never from a guess.

What a row gets:
- msg: the message type octet (EMM 0x41.., ESM 0xC1..); 0xC00 for SERVICE REQUEST (no type octet).
  F_UNKNOWN_MSG when the type is not in TS 24.301.
- cause_proto C_EMM / C_ESM, cause_value n for the first EMM/ESM cause; further causes as I_CAUSE
  items (a=C_EMM/C_ESM, b=-1, c=value, d=EBI for ESM or -1).
- imsi (IMSI), imei (IMEI or IMEISV digits), m_tmsi (M-TMSI of the first GUTI, or of the TMSI in an
  Extended Service Request), one I_GUTI item per GUTI (a=PLMN as 3 raw octets, b=MMEGI, c=MMEC,
  d=M-TMSI): the EPS mobile identity of Attach/Detach/Identity, old GUTI of TAU Request,
  additional GUTI, the GUTI of Attach Accept, TAU Accept and GUTI Reallocation Command.
- I_INFO items (kinds in info.pxd): attach type, EPS update type, detach type, identity type,
  selected algorithms, service type, attach/update result, ESM header (EBI, PTI), PDN and
  request type.
- I_STR S_APN (b=data offset, c=length): the APN of PDN Connectivity Request, ESM Information
  Response and Activate Default EPS Bearer Context Request, as on the wire: length-prefixed labels
  (TS 23.003 9.1; rows.apn_text turns it into dotted text). I_STR S_PDN_ADDRESS: the PDN address
  value as on the wire (first octet = PDN type, then the address).
- I_BEARER (a=EBI, b=-1, c=QCI) for the EPS QoS of an Activate ... EPS Bearer Context Request.
- The ESM message container of Attach Request/Accept/Complete/Reject (and of a readable Control
  Plane Service Request) becomes a NAS-EPS child row (parent = the EMM row, IDs, time, addresses
  and F_INTEGRITY/F_EEA0 copied from it), decoded in the same pass; the EMM row gets an I_NAS item
  (a = child row).
Bad lengths set F_MALFORMED; the row keeps what was decoded before.
"""
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcmp, memcpy, memset
from chrtool._fast.events cimport (EventTable, P_NAS_EPS, P_S1AP, F_MALFORMED, F_CIPHERED,
                                   F_INTEGRITY, F_EEA0, F_UNKNOWN_MSG, C_EMM, C_ESM, S_APN,
                                   S_PDN_ADDRESS, inherit, malformed, payload_cursor, put_bearer,
                                   put_cause, put_guti, put_info, put_nas, put_str, append_row)
from chrtool._fast.info cimport *
from chrtool._fast.bytes cimport Cursor, cursor, sub_at, u8_at, be16_at, be24_at, be32_at
from chrtool._fast.tbcd cimport tbcd_from
from chrtool._fast.events import COLUMNS

# Protocol discriminators (24.007 11.2.3.1.1) and EMM/ESM message types (24.301 9.8)
cdef enum:
    PD_ESM = 2
    PD_EMM = 7
    MSG_SERVICE_REQUEST = 0xC00          # security header type 12 << 8: no message type octet
    ATTACH_REQUEST = 0x41
    ATTACH_ACCEPT = 0x42
    ATTACH_COMPLETE = 0x43
    ATTACH_REJECT = 0x44
    DETACH_REQUEST = 0x45
    DETACH_ACCEPT = 0x46
    TAU_REQUEST = 0x48
    TAU_ACCEPT = 0x49
    TAU_COMPLETE = 0x4A
    TAU_REJECT = 0x4B
    EXT_SERVICE_REQUEST = 0x4C
    CP_SERVICE_REQUEST = 0x4D
    SERVICE_REJECT = 0x4E
    SERVICE_ACCEPT = 0x4F
    GUTI_REALLOC_COMMAND = 0x50
    GUTI_REALLOC_COMPLETE = 0x51
    AUTH_REQUEST = 0x52
    AUTH_RESPONSE = 0x53
    AUTH_REJECT = 0x54
    IDENTITY_REQUEST = 0x55
    IDENTITY_RESPONSE = 0x56
    AUTH_FAILURE = 0x5C
    SECURITY_MODE_COMMAND = 0x5D
    SECURITY_MODE_COMPLETE = 0x5E
    SECURITY_MODE_REJECT = 0x5F
    EMM_STATUS = 0x60
    EMM_INFORMATION = 0x61
    DL_NAS_TRANSPORT = 0x62
    UL_NAS_TRANSPORT = 0x63
    CS_SERVICE_NOTIFICATION = 0x64
    DL_GENERIC_NAS_TRANSPORT = 0x68
    UL_GENERIC_NAS_TRANSPORT = 0x69
    # ESM (24.301 9.8.2)
    ACT_DEFAULT_REQUEST = 0xC1
    ACT_DEFAULT_ACCEPT = 0xC2
    ACT_DEFAULT_REJECT = 0xC3
    ACT_DEDICATED_REQUEST = 0xC5
    ACT_DEDICATED_ACCEPT = 0xC6
    ACT_DEDICATED_REJECT = 0xC7
    MODIFY_REQUEST = 0xC9
    MODIFY_ACCEPT = 0xCA
    MODIFY_REJECT = 0xCB
    DEACT_REQUEST = 0xCD
    DEACT_ACCEPT = 0xCE
    PDN_CONN_REQUEST = 0xD0
    PDN_CONN_REJECT = 0xD1
    PDN_DISC_REQUEST = 0xD2
    PDN_DISC_REJECT = 0xD3
    BR_ALLOC_REQUEST = 0xD4
    BR_ALLOC_REJECT = 0xD5
    BR_MODIF_REQUEST = 0xD6
    BR_MODIF_REJECT = 0xD7
    ESM_INFO_REQUEST = 0xD9
    ESM_INFO_RESPONSE = 0xDA
    ESM_NOTIFICATION = 0xDB
    ESM_DUMMY = 0xDC
    ESM_STATUS = 0xE8
    REMOTE_UE_REPORT = 0xE9
    REMOTE_UE_RESPONSE = 0xEA
    ESM_DATA_TRANSPORT = 0xEB
    # optional IEIs we read (24.301 8.2 / 8.3)
    IEI_GUTI = 0x50
    IEI_EMM_CAUSE = 0x53
    IEI_MS_IDENTITY = 0x23               # IMEISV in Security Mode Complete
    IEI_ESM_CONTAINER = 0x78
    IEI_APN = 0x28
    IEI_ESM_CAUSE = 0x58
    # mobile identity types (24.301 9.9.3.12, 24.008 10.5.1.4)
    ID_IMSI = 1
    ID_IMEI = 2
    ID_IMEISV = 3
    ID_TMSI = 4
    ID_GUTI = 6
    # how an identity is used
    USE_PRIMARY = 1                      # the message's identity: sets columns
    USE_EXTRA = 2                        # an additional GUTI: item only
    USE_TMSI = 4                         # a TMSI here is the M-TMSI (Extended Service Request)
    # security state table
    SEC_PROBE = 8
    KEY_CACHE = 1024             # keys whose hash NasState.find remembers (a power of two)

# Which message types exist (24.301 9.8), for F_UNKNOWN_MSG; checked against the generated
# decoders/nas_eps_tables.py by tests/_fast/test_nas_eps.py.
EMM_TYPES = (0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
             0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x5C, 0x5D, 0x5E, 0x5F, 0x60, 0x61, 0x62,
             0x63, 0x64, 0x68, 0x69)
ESM_TYPES = (0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xD0, 0xD1, 0xD2,
             0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD9, 0xDA, 0xDB, 0xDC, 0xE8, 0xE9, 0xEA, 0xEB)
cdef uint8_t KNOWN[256]
memset(KNOWN, 0, 256)
for _mt in EMM_TYPES:
    KNOWN[_mt] = 1
for _mt in ESM_TYPES:
    KNOWN[_mt] = 2

# Lengths of the type 3 (TV, fixed length) optional IEs; every other IEI below 0x80 is TLV, or
# TLV-E in 0x70..0x7F (24.007 11.2.4), and 0x80.. are one octet (types 1 and 2).
cdef uint8_t EMM_TV[256]
cdef uint8_t ESM_TV[256]
memset(EMM_TV, 0, 256)
memset(ESM_TV, 0, 256)
# 0x13 (old) LAI, 0x17 T3402 / additional information requested, 0x19 old P-TMSI signature,
# 0x46 local time zone, 0x47 universal time and time zone, 0x52 last visited TAI, 0x53 EMM cause,
# 0x55 NonceUE, 0x56 NonceMME, 0x59 T3423, 0x5A T3412, 0x5B T3442, 0x5C DRX parameter,
# 0x61 SS code, 0x62 LCS indicator
for _iei, _len in ((0x13, 6), (0x17, 2), (0x19, 4), (0x46, 2), (0x47, 8), (0x52, 6), (0x53, 2),
                   (0x55, 5), (0x56, 5), (0x59, 2), (0x5A, 2), (0x5B, 2), (0x5C, 3), (0x61, 2),
                   (0x62, 2)):
    EMM_TV[_iei] = _len
# 0x32 negotiated LLC SAPI, 0x58 ESM cause
for _iei, _len in ((0x32, 2), (0x58, 2)):
    ESM_TV[_iei] = _len


# Names of the info item kinds (info.pxd), for the Python layer.
from chrtool._fast.events import INFO_KINDS  # noqa: F401
MSG_SERVICE_REQUEST_CODE = MSG_SERVICE_REQUEST


# --------------------------------------------------------------------------- security state
cdef struct Slot:            # beside each entry, in a compact array of their own, so that a
    uint64_t stamp          # probe reads one or two cache lines, not eight entries
    uint64_t h              # the hash of the entry's key (0 stamp: free)


cdef struct SecEntry:
    int64_t enb
    int64_t mme
    int eea
    int64_t tmsi            # connection entries: the UE's M-TMSI and IMSI once seen
    uint8_t imsi[16]
    uint8_t key[36]         # the two endpoints (16-octet address + 2-octet port), lower first


cdef class NasState:
    """NAS security state of a capture: which connections run with EEA0 (null ciphering).

    A fixed table of `capacity` entries (LRU within a probe window), so memory stays bounded.
    """
    cdef SecEntry* tab
    cdef Slot* slots
    cdef uint8_t hkeys[KEY_CACHE][36]
    cdef uint64_t hkey_hash[KEY_CACHE]
    cdef bint hkey_used[KEY_CACHE]
    cdef Py_ssize_t cap
    cdef uint64_t clock
    cdef readonly bint null_cipher     # opt-in: read ciphered NAS of unknown algorithm as EEA0

    def __cinit__(self, Py_ssize_t capacity=1 << 14, bint null_cipher=False):
        cdef Py_ssize_t c = 64
        while c < capacity:
            c <<= 1
        self.cap = c
        self.clock = 0
        self.null_cipher = null_cipher
        memset(self.hkey_used, 0, sizeof(self.hkey_used))
        self.tab = <SecEntry*>calloc(c, sizeof(SecEntry))
        self.slots = <Slot*>calloc(c, sizeof(Slot))
        if self.tab == NULL or self.slots == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.tab)
        free(self.slots)

    def __len__(self):
        cdef Py_ssize_t i, k = 0
        for i in range(self.cap):
            if self.slots[i].stamp:
                k += 1
        return k

    @property
    def capacity(self):
        return self.cap

    def algorithm(self, EventTable t, Py_ssize_t row):
        """The EEA recorded for the connection of `row` (-1 if none): for tests and tools."""
        cdef uint8_t key[36]
        conn_key(t, row, key)
        cdef SecEntry* e = self.find(key, t.enb_ue_s1ap_id[row], False)
        return -1 if e == NULL else e.eea

    cdef SecEntry* find(self, const uint8_t* key, int64_t enb, bint create) noexcept:
        cdef uint64_t h = 1469598103934665603ULL
        cdef Py_ssize_t i, slot, victim = -1
        cdef SecEntry* e
        cdef Slot* s
        cdef int k
        cdef uint64_t w, w2
        # The key's part of the hash (36 dependent multiplies) is remembered in a small
        # direct-mapped cache: associations (and the zero key of M-TMSI entries) come back.
        memcpy(&w, key, 8)
        memcpy(&w2, key + 18, 8)
        k = <int>(((w ^ (w2 * 0x9E3779B97F4A7C15ULL)) >> 40) & (KEY_CACHE - 1))
        if self.hkey_used[k] and memcmp(self.hkeys[k], key, 36) == 0:
            h = self.hkey_hash[k]
        else:
            for i in range(36):
                h = (h ^ key[i]) * 1099511628211ULL
            memcpy(self.hkeys[k], key, 36)
            self.hkey_hash[k] = h
            self.hkey_used[k] = True
        h = (h ^ <uint64_t>enb) * 1099511628211ULL
        h ^= h >> 29
        for i in range(SEC_PROBE):
            slot = <Py_ssize_t>((h + <uint64_t>i) & <uint64_t>(self.cap - 1))
            s = &self.slots[slot]
            if s.stamp and s.h == h:
                e = &self.tab[slot]
                if e.enb == enb and memcmp(e.key, key, 36) == 0:
                    return e
            if victim < 0 or s.stamp < self.slots[victim].stamp:
                victim = slot
        if not create:
            return NULL
        e = &self.tab[victim]
        memset(e, 0, sizeof(SecEntry))
        memcpy(e.key, key, 36)
        e.enb = enb
        e.mme = -1
        e.eea = -1
        e.tmsi = -1
        self.clock += 1
        self.slots[victim].stamp = self.clock
        self.slots[victim].h = h
        return e

    cdef void drop(self, SecEntry* e) noexcept:
        """Free the entry e (a pointer find() returned)."""
        self.slots[e - self.tab].stamp = 0


cdef void conn_key(EventTable t, Py_ssize_t row, uint8_t* key) noexcept:
    """The S1AP association of a row: its two endpoints, the lower one first."""
    cdef uint8_t a[18]
    cdef uint8_t b[18]
    memcpy(a, &t.src[row, 0], 16)
    memcpy(b, &t.dst[row, 0], 16)
    a[16] = t.sport[row] >> 8
    a[17] = t.sport[row] & 0xFF
    b[16] = t.dport[row] >> 8
    b[17] = t.dport[row] & 0xFF
    if memcmp(a, b, 18) <= 0:
        memcpy(key, a, 18)
        memcpy(key + 18, b, 18)
    else:
        memcpy(key, b, 18)
        memcpy(key + 18, a, 18)


cdef bint mme_key(EventTable t, Py_ssize_t row, uint8_t* key) noexcept:
    """The MME side of a row (the endpoint on the S1AP port 36412) + a marker; False if unknown."""
    if t.mme_ue_s1ap_id[row] < 0:
        return False
    if t.sport[row] == 36412:
        memcpy(key, &t.src[row, 0], 16)
    elif t.dport[row] == 36412:
        memcpy(key, &t.dst[row, 0], 16)
    else:
        return False
    key[16] = 36412 >> 8
    key[17] = 36412 & 0xFF
    memset(key + 18, 0xFF, 18)
    return True


cdef SecEntry* conn_entry(EventTable t, Py_ssize_t row, NasState state, bint create) noexcept:
    """The connection entry of a row: by association + eNB UE S1AP ID, else (a UE handed over to
    another eNB keeps its MME UE S1AP ID) by MME endpoint + MME UE S1AP ID."""
    cdef uint8_t key[36]
    cdef uint8_t mkey[36]
    cdef SecEntry* e
    cdef SecEntry* m
    conn_key(t, row, key)
    e = state.find(key, t.enb_ue_s1ap_id[row], False)
    if e == NULL and mme_key(t, row, mkey):
        m = state.find(mkey, t.mme_ue_s1ap_id[row], False)
        if m != NULL:
            e = state.find(key, t.enb_ue_s1ap_id[row], True)
            e.eea = m.eea
            e.tmsi = m.tmsi
            memcpy(e.imsi, m.imsi, 16)
    if e == NULL and create:
        e = state.find(key, t.enb_ue_s1ap_id[row], True)
    if e != NULL and t.mme_ue_s1ap_id[row] >= 0:
        e.mme = t.mme_ue_s1ap_id[row]
    return e


cdef void mirror(EventTable t, Py_ssize_t row, NasState state, SecEntry* e) noexcept:
    """Copy a connection entry under its MME-side key (for a later handover)."""
    cdef uint8_t mkey[36]
    cdef SecEntry* m
    if e.eea < 0 or not mme_key(t, row, mkey):
        return
    m = state.find(mkey, t.mme_ue_s1ap_id[row], True)
    m.eea = e.eea
    m.tmsi = e.tmsi
    memcpy(m.imsi, e.imsi, 16)


# --------------------------------------------------------------------------- helpers
cdef int set_cause(EventTable t, Py_ssize_t row, int proto, int value, int64_t ctx) except -1:
    if t.cause_proto[row] == 0:
        t.cause_proto[row] = proto
        t.cause_value[row] = value
    else:
        put_cause(t, row, proto, -1, value, ctx)
    return 0


cdef int identity(EventTable t, Py_ssize_t row, Cursor* msg, Py_ssize_t at, Py_ssize_t n,
                  int use) except -1:
    """EPS mobile identity (24.301 9.9.3.12) / mobile identity (24.008 10.5.1.4) value: the n
    bytes at msg[at]."""
    cdef int kind
    cdef Py_ssize_t nd
    cdef uint8_t[16] digits
    cdef int64_t tmsi
    cdef Cursor p = sub_at(msg, at, n)
    if n < 1:
        return 0
    kind = u8_at(&p, 0) & 7
    if kind == ID_GUTI:
        if n < 11:
            malformed(t, row)
            return 0
        tmsi = be32_at(&p, 7)
        put_guti(t, row, be24_at(&p, 1), be16_at(&p, 4), u8_at(&p, 6), tmsi)
        if (use & USE_PRIMARY) or t.m_tmsi[row] < 0:
            t.m_tmsi[row] = tmsi
    elif kind == ID_TMSI:
        if use & USE_TMSI:
            if n < 5:
                malformed(t, row)
                return 0
            t.m_tmsi[row] = be32_at(&p, 1)
    elif kind == ID_IMSI or kind == ID_IMEI or kind == ID_IMEISV:
        nd = tbcd_from(p.p, p.n, 1, digits)  # the first digit shares octet 1 with the type
        if kind == ID_IMSI:
            t.set_digits(t.imsi, row, digits, nd)
        else:
            t.set_digits(t.imei, row, digits, nd)
    return 0


cdef inline int info(EventTable t, Py_ssize_t row, int kind, int64_t b, int64_t c,
                     int64_t d) except -1:
    return put_info(t, row, kind, b, c, d)


cdef Py_ssize_t add_child(EventTable t, Py_ssize_t row, int64_t off, Py_ssize_t n) except -1:
    """An ESM message container as its own NAS-EPS row, carried by EMM row `row`."""
    cdef Py_ssize_t child = append_row(t)
    t.proto[child] = P_NAS_EPS
    t.parent[child] = row
    t.payload_off[child] = off
    t.payload_len[child] = <int>n
    inherit(t, row, child)
    t.flags[child] = t.flags[row] & (F_INTEGRITY | F_EEA0)
    put_nas(t, row, child)
    return child


# A message being decoded: its bytes (a checked view), their offset in the data buffer, the row.
cdef struct Msg:
    Cursor c
    Py_ssize_t n
    int64_t off
    Py_ssize_t row
    int ebi


cdef Py_ssize_t lv(Msg* m, Py_ssize_t pos, Py_ssize_t* vlen) noexcept:
    """Value start of the LV at pos (length in vlen), or -1 when it overruns the message."""
    if pos + 1 > m.n:
        return -1
    vlen[0] = u8_at(&m.c, pos)
    if pos + 1 + vlen[0] > m.n:
        return -1
    return pos + 1


cdef Py_ssize_t lve(Msg* m, Py_ssize_t pos, Py_ssize_t* vlen) noexcept:
    if pos + 2 > m.n:
        return -1
    vlen[0] = be16_at(&m.c, pos)
    if pos + 2 + vlen[0] > m.n:
        return -1
    return pos + 2


cdef int apn(EventTable t, Msg* m, Py_ssize_t v, Py_ssize_t l) except -1:
    put_str(t, m.row, S_APN, m.off + v, l, -1)
    return 0


cdef int optional(EventTable t, Msg* m, Py_ssize_t pos, bint esm) except -1:
    """Walk the optional IEs from pos to the end, reading the ones we keep."""
    cdef int iei
    cdef Py_ssize_t l, v, row = m.row
    cdef Cursor* p = &m.c
    while pos < m.n:
        iei = u8_at(p, pos)
        if iei >= 0x80:                          # type 1 / type 2: one octet
            pos += 1
            continue
        l = ESM_TV[iei] if esm else EMM_TV[iei]
        if l:                                    # type 3, fixed length (IEI included)
            if pos + l > m.n:
                malformed(t, row)
                return 0
            if iei == IEI_EMM_CAUSE and not esm:
                set_cause(t, row, C_EMM, u8_at(p, pos + 1), -1)
            elif iei == IEI_ESM_CAUSE and esm:
                set_cause(t, row, C_ESM, u8_at(p, pos + 1), m.ebi)
            pos += l
            continue
        if (iei & 0xF0) == 0x70:                 # TLV-E
            if pos + 3 > m.n:
                malformed(t, row)
                return 0
            l = be16_at(p, pos + 1)
            v = pos + 3
        else:                                    # TLV
            if pos + 2 > m.n:
                malformed(t, row)
                return 0
            l = u8_at(p, pos + 1)
            v = pos + 2
        if v + l > m.n:
            malformed(t, row)
            return 0
        if esm:
            if iei == IEI_APN:
                apn(t, m, v, l)
        else:
            if iei == IEI_GUTI:
                identity(t, row, p, v, l, USE_EXTRA if t.msg[row] == ATTACH_REQUEST
                         or t.msg[row] == TAU_REQUEST else USE_PRIMARY)
            elif iei == IEI_MS_IDENTITY and t.msg[row] == SECURITY_MODE_COMPLETE:
                identity(t, row, p, v, l, USE_PRIMARY)
            elif iei == IEI_ESM_CONTAINER and (t.msg[row] == ATTACH_REJECT
                                               or t.msg[row] == CP_SERVICE_REQUEST):
                if not (t.flags[row] & F_CIPHERED):
                    add_child(t, row, m.off + v, l)
        pos = v + l
    return 0


# --------------------------------------------------------------------------- EMM
cdef int decode_emm(EventTable t, Msg* m, NasState state) except -1:
    cdef Cursor* p = &m.c
    cdef Py_ssize_t n = m.n, row = m.row, pos, v, l
    cdef int mt = u8_at(p, 1)
    cdef SecEntry* e
    cdef uint8_t key[36]
    t.msg[row] = mt
    if KNOWN[mt] != 1:
        t.flags[row] |= F_UNKNOWN_MSG
        return 0
    pos = 2
    # fixed first octet (half octets) of the messages that have one
    if mt in (ATTACH_REQUEST, ATTACH_ACCEPT, DETACH_REQUEST, TAU_REQUEST, TAU_ACCEPT,
              EXT_SERVICE_REQUEST, CP_SERVICE_REQUEST, IDENTITY_REQUEST, AUTH_REQUEST,
              SECURITY_MODE_COMMAND, ATTACH_REJECT, AUTH_FAILURE, SECURITY_MODE_REJECT,
              SERVICE_REJECT, TAU_REJECT, EMM_STATUS, CS_SERVICE_NOTIFICATION,
              DL_GENERIC_NAS_TRANSPORT, UL_GENERIC_NAS_TRANSPORT):
        if n < 3:
            malformed(t, row)
            return 0
        pos = 3
    if mt == ATTACH_REQUEST:
        info(t, row, V_ATTACH_TYPE, u8_at(p, 2) & 7, u8_at(p, 2) >> 4, -1)
        v = lv(m, pos, &l)                       # EPS mobile identity
        if v < 0:
            malformed(t, row)
            return 0
        identity(t, row, p, v, l, USE_PRIMARY)
        pos = lv(m, v + l, &l)                   # UE network capability
        if pos < 0:
            malformed(t, row)
            return 0
        v = lve(m, pos + l, &l)                  # ESM message container
        if v < 0:
            malformed(t, row)
            return 0
        add_child(t, row, m.off + v, l)
        return optional(t, m, v + l, False)
    if mt == ATTACH_ACCEPT:
        info(t, row, V_ATTACH_RESULT, u8_at(p, 2) & 7, -1, -1)
        v = lv(m, pos + 1, &l)                   # T3412 value (V), TAI list (LV)
        if v < 0:
            malformed(t, row)
            return 0
        v = lve(m, v + l, &l)                    # ESM message container
        if v < 0:
            malformed(t, row)
            return 0
        add_child(t, row, m.off + v, l)
        return optional(t, m, v + l, False)
    if mt == ATTACH_COMPLETE:
        v = lve(m, pos, &l)
        if v < 0:
            malformed(t, row)
            return 0
        add_child(t, row, m.off + v, l)
        return optional(t, m, v + l, False)
    if mt == TAU_REQUEST:
        info(t, row, V_EPS_UPDATE_TYPE, u8_at(p, 2) & 7, (u8_at(p, 2) >> 3) & 1,
             u8_at(p, 2) >> 4)
        v = lv(m, pos, &l)                       # old GUTI
        if v < 0:
            malformed(t, row)
            return 0
        identity(t, row, p, v, l, USE_PRIMARY)
        return optional(t, m, v + l, False)
    if mt == TAU_ACCEPT:
        info(t, row, V_UPDATE_RESULT, u8_at(p, 2) & 7, -1, -1)
        return optional(t, m, pos, False)
    if mt == DETACH_REQUEST:
        info(t, row, V_DETACH_TYPE, u8_at(p, 2) & 7, (u8_at(p, 2) >> 3) & 1, -1)
        # UE originating: EPS mobile identity LV; network originating: optional EMM cause (0x53),
        # which no identity length (<= 11) can be mistaken for.
        if n > 3 and u8_at(p, 3) != IEI_EMM_CAUSE:
            v = lv(m, pos, &l)
            if v < 0:
                malformed(t, row)
                return 0
            identity(t, row, p, v, l, USE_PRIMARY)
            return optional(t, m, v + l, False)
        return optional(t, m, pos, False)
    if mt == GUTI_REALLOC_COMMAND or mt == IDENTITY_RESPONSE:
        v = lv(m, pos, &l)
        if v < 0:
            malformed(t, row)
            return 0
        identity(t, row, p, v, l, USE_PRIMARY)
        return optional(t, m, v + l, False)
    if mt == EXT_SERVICE_REQUEST:
        info(t, row, V_SERVICE_TYPE, u8_at(p, 2) & 0xF, u8_at(p, 2) >> 4, -1)
        v = lv(m, pos, &l)                       # M-TMSI (mobile identity, type TMSI)
        if v < 0:
            malformed(t, row)
            return 0
        identity(t, row, p, v, l, USE_PRIMARY | USE_TMSI)
        return optional(t, m, v + l, False)
    if mt == CP_SERVICE_REQUEST:
        info(t, row, V_SERVICE_TYPE, u8_at(p, 2) & 0xF, u8_at(p, 2) >> 4, -1)
        return optional(t, m, pos, False)
    if mt == IDENTITY_REQUEST:
        info(t, row, V_IDENTITY_TYPE, u8_at(p, 2) & 7, -1, -1)
        return 0
    if mt == SECURITY_MODE_COMMAND:
        info(t, row, V_NAS_ALGS, (u8_at(p, 2) >> 4) & 7, u8_at(p, 2) & 7, -1)
        if state is not None and t.enb_ue_s1ap_id[row] >= 0:
            e = conn_entry(t, row, state, True)
            e.eea = (u8_at(p, 2) >> 4) & 7
            remember(state, e)
            mirror(t, row, state, e)
        if n < 4:                                # NAS key set identifier (V, half + spare)
            malformed(t, row)
            return 0
        v = lv(m, pos + 1, &l)                   # replayed UE security capabilities
        if v < 0:
            malformed(t, row)
            return 0
        return optional(t, m, v + l, False)
    if mt == AUTH_REQUEST:
        if n < pos + 16:                         # RAND (V, 16 octets), AUTN (LV)
            malformed(t, row)
            return 0
        v = lv(m, pos + 16, &l)
        if v < 0:
            malformed(t, row)
            return 0
        return optional(t, m, v + l, False)
    if mt in (ATTACH_REJECT, AUTH_FAILURE, SECURITY_MODE_REJECT, SERVICE_REJECT, TAU_REJECT,
              EMM_STATUS):
        set_cause(t, row, C_EMM, u8_at(p, 2), -1)
        if mt == SECURITY_MODE_REJECT or mt == EMM_STATUS:
            return 0
        return optional(t, m, pos, False)
    if mt == AUTH_RESPONSE or mt == DL_NAS_TRANSPORT or mt == UL_NAS_TRANSPORT:
        v = lv(m, pos, &l)
        if v < 0:
            malformed(t, row)
            return 0
        return optional(t, m, v + l, False) if mt == AUTH_RESPONSE else 0
    if mt == DL_GENERIC_NAS_TRANSPORT or mt == UL_GENERIC_NAS_TRANSPORT:
        v = lve(m, pos, &l)
        if v < 0:
            malformed(t, row)
            return 0
        return optional(t, m, v + l, False)
    if mt in (DETACH_ACCEPT, TAU_COMPLETE, GUTI_REALLOC_COMPLETE, AUTH_REJECT):
        return 0
    # SECURITY_MODE_COMPLETE, EMM_INFORMATION, SERVICE_ACCEPT, CS_SERVICE_NOTIFICATION
    return optional(t, m, pos, False)


# --------------------------------------------------------------------------- ESM
cdef int decode_esm(EventTable t, Msg* m) except -1:
    cdef Cursor* p = &m.c
    cdef Py_ssize_t n = m.n, row = m.row, pos = 3, v, l
    cdef int mt
    if n < 3:
        malformed(t, row)
        return 0
    mt = u8_at(p, 2)
    m.ebi = u8_at(p, 0) >> 4
    t.msg[row] = mt
    info(t, row, V_ESM_HEADER, u8_at(p, 0) >> 4, u8_at(p, 1), -1)
    if KNOWN[mt] != 2:
        t.flags[row] |= F_UNKNOWN_MSG
        return 0
    if mt in (ACT_DEFAULT_REJECT, ACT_DEDICATED_REJECT, MODIFY_REJECT, DEACT_REQUEST,
              PDN_CONN_REJECT, PDN_DISC_REJECT, BR_ALLOC_REJECT, BR_MODIF_REJECT, ESM_STATUS):
        if n < 4:
            malformed(t, row)
            return 0
        set_cause(t, row, C_ESM, u8_at(p, 3), m.ebi)
        if mt == ESM_STATUS:
            return 0
        return optional(t, m, 4, True)
    if mt == ACT_DEFAULT_REQUEST or mt == ACT_DEDICATED_REQUEST:
        if mt == ACT_DEDICATED_REQUEST:
            if n < 4:                            # linked EBI (V, half) + spare
                malformed(t, row)
                return 0
            pos = 4
        v = lv(m, pos, &l)                       # EPS QoS
        if v < 0:
            malformed(t, row)
            return 0
        put_bearer(t, row, m.ebi, -1, u8_at(p, v) if l >= 1 else -1)
        v = lv(m, v + l, &l)                     # APN / TFT
        if v < 0:
            malformed(t, row)
            return 0
        if mt == ACT_DEDICATED_REQUEST:
            return optional(t, m, v + l, True)
        apn(t, m, v, l)
        v = lv(m, v + l, &l)                     # PDN address
        if v < 0:
            malformed(t, row)
            return 0
        if l >= 1:
            info(t, row, V_PDN_TYPE, u8_at(p, v) & 7, 0, -1)
        put_str(t, row, S_PDN_ADDRESS, m.off + v, l, -1)
        return optional(t, m, v + l, True)
    if mt == PDN_CONN_REQUEST:
        if n < 4:                                # PDN type (high half) + request type (low half)
            malformed(t, row)
            return 0
        info(t, row, V_PDN_TYPE, (u8_at(p, 3) >> 4) & 7, 0, -1)
        info(t, row, V_REQUEST_TYPE, u8_at(p, 3) & 7, -1, -1)
        return optional(t, m, 4, True)
    if mt == PDN_DISC_REQUEST:
        if n < 4:
            malformed(t, row)
            return 0
        return optional(t, m, 4, True)
    if mt == BR_ALLOC_REQUEST or mt == BR_MODIF_REQUEST:
        if n < 4:
            malformed(t, row)
            return 0
        v = lv(m, 4, &l)                         # traffic flow aggregate
        if v < 0:
            malformed(t, row)
            return 0
        if mt == BR_ALLOC_REQUEST:
            v = lv(m, v + l, &l)                 # required traffic flow QoS
            if v < 0:
                malformed(t, row)
                return 0
        return optional(t, m, v + l, True)
    if mt == ESM_NOTIFICATION:
        if lv(m, 3, &l) < 0:
            malformed(t, row)
        return 0
    if mt == ESM_DATA_TRANSPORT:
        v = lve(m, 3, &l)
        if v < 0:
            malformed(t, row)
            return 0
        return optional(t, m, v + l, True)
    if mt == ESM_INFO_REQUEST or mt == ESM_DUMMY:
        return 0
    return optional(t, m, 3, True)


# --------------------------------------------------------------------------- rows
cdef int decode_plain(EventTable t, Py_ssize_t row, Cursor* c, int64_t off,
                      NasState state) except -1:
    """The plain NAS message c, at t.data[off]."""
    cdef Msg m
    m.c = c[0]
    m.n = c.n
    m.off = off
    m.row = row
    m.ebi = -1
    if m.n < 2:
        malformed(t, row)
        return 0
    if (u8_at(&m.c, 0) & 0xF) == PD_EMM:
        return decode_emm(t, &m, state)
    if (u8_at(&m.c, 0) & 0xF) == PD_ESM:
        return decode_esm(t, &m)
    malformed(t, row)
    return 0


cdef int decode_row(EventTable t, Py_ssize_t row, NasState state) except -1:
    cdef int64_t off = t.payload_off[row]
    cdef Py_ssize_t n = t.payload_len[row], par = t.parent[row]
    cdef Cursor p = payload_cursor(t, row), body
    cdef int sht
    cdef uint8_t key[36]
    cdef SecEntry* e
    if n < 1 or p.err:
        malformed(t, row)
        return 0
    # a NAS message carried by an InitialUEMessage starts a new connection for its eNB UE ID
    if (state is not None and par >= 0 and t.proto[par] == P_S1AP and t.msg[par] == 12
            and t.enb_ue_s1ap_id[row] >= 0):
        conn_key(t, row, key)
        e = state.find(key, t.enb_ue_s1ap_id[row], False)
        if e != NULL:
            state.drop(e)
    sht = u8_at(&p, 0) >> 4
    if (u8_at(&p, 0) & 0xF) != PD_EMM or sht == 0:
        decode_plain(t, row, &p, off, state)
        if state is not None and t.enb_ue_s1ap_id[row] >= 0:
            adopt(t, row, state, t.m_tmsi[row], False)
        return 0
    if (state is not None and par >= 0 and t.proto[par] == P_S1AP and t.msg[par] == 12
            and t.enb_ue_s1ap_id[row] >= 0 and t.m_tmsi[par] >= 0):
        adopt(t, row, state, t.m_tmsi[par], True)   # S-TMSI of a returning UE
    if sht >= 12:                                # SERVICE REQUEST (9.3.1: 13-15 read as 12)
        t.msg[row] = MSG_SERVICE_REQUEST
        t.flags[row] |= F_INTEGRITY
        if n < 4:
            malformed(t, row)
        return 0
    if sht > 5:
        malformed(t, row)
        return 0
    if n < 7:
        malformed(t, row)
        return 0
    t.flags[row] |= F_INTEGRITY
    body = sub_at(&p, 6, n - 6)
    if sht == 2 or sht == 4 or sht == 5:
        e = NULL
        if state is not None and t.enb_ue_s1ap_id[row] >= 0:
            e = conn_entry(t, row, state, False)
        if e != NULL and e.eea == 0:
            t.flags[row] |= F_EEA0
        elif (sht != 5 and (e == NULL or e.eea < 0) and state is not None and state.null_cipher
              and null_decipher(t, row, &body, off + 6)):
            if t.enb_ue_s1ap_id[row] >= 0:
                adopt(t, row, state, t.m_tmsi[row], True)
            return 0                             # read as EEA0 (opt-in), decoded just now
        else:
            t.flags[row] |= F_CIPHERED
            if sht != 5:
                return 0                         # opaque: never guessed
    decode_plain(t, row, &body, off + 6, state)
    if state is not None and t.enb_ue_s1ap_id[row] >= 0:
        adopt(t, row, state, t.m_tmsi[row], True)
    return 0


cdef SecEntry* ue_entry(NasState state, const uint8_t* imsi, int64_t tmsi, bint create) noexcept:
    """UE entries have no endpoints: key = IMSI digits (enb = -1) or zeros (enb = -2 - M-TMSI)."""
    cdef uint8_t key[36]
    memset(key, 0, 36)
    if imsi != NULL:
        memcpy(key, imsi, 16)
        return state.find(key, -1, create)
    return state.find(key, -2 - tmsi, create)


cdef void remember(NasState state, SecEntry* c) noexcept:
    """The connection's algorithm is the UE's: store it under the UE's identities."""
    cdef SecEntry* u
    if c.eea < 0:
        return
    if c.tmsi >= 0:
        u = ue_entry(state, NULL, c.tmsi, True)
        u.eea = c.eea
    if c.imsi[0] != 0:
        u = ue_entry(state, c.imsi, -1, True)
        u.eea = c.eea


cdef int adopt(EventTable t, Py_ssize_t row, NasState state, int64_t tmsi,
               bint protected) except -1:
    """Link a connection and its UE (M-TMSI `tmsi`, IMSI of the row). A connection whose algorithm
    is known teaches it to the UE; a connection whose first message is protected (or names an
    S-TMSI) and whose algorithm is not known takes the one remembered for the UE."""
    cdef uint8_t key[36]
    cdef SecEntry* c
    cdef SecEntry* u = NULL
    cdef bint has_imsi = t.imsi[row, 0] != 0
    if tmsi < 0 and not has_imsi:
        return 0
    c = conn_entry(t, row, state, True)
    if tmsi >= 0:
        c.tmsi = tmsi
    if has_imsi:
        memcpy(c.imsi, &t.imsi[row, 0], 16)
    if c.eea >= 0:
        remember(state, c)
        mirror(t, row, state, c)
        return 0
    if not protected:
        return 0
    if tmsi >= 0:
        u = ue_entry(state, NULL, tmsi, False)
    if (u == NULL or u.eea < 0) and has_imsi:
        u = ue_entry(state, &t.imsi[row, 0], -1, False)
    if u != NULL and u.eea >= 0:
        c.eea = u.eea
        mirror(t, row, state, c)
    return 0


cdef bint null_decipher(EventTable t, Py_ssize_t row, Cursor* c, int64_t off) except -1:
    """The opt-in null-cipher reading of the ciphered message c at data[off] (past the
    security header). Kept (True) only when it parses as NAS: a plain EMM header (0x07) or an ESM
    header with a valid EPS bearer identity (0 or 5..15, 24.301 9.3.2), a message type 24.301
    names, no malformed or unknown-message flag, and every ESM container it carries starting
    with a known ESM message. Otherwise everything the attempt wrote is undone (False)."""
    cdef Py_ssize_t n = c.n, n0 = t.n, i0 = t.n_items, child
    cdef int64_t coff
    cdef uint16_t flags = t.flags[row]
    cdef int msg = t.msg[row], cp = t.cause_proto[row], cv = t.cause_value[row]
    cdef int64_t tmsi = t.m_tmsi[row]
    cdef uint8_t imsi[16]
    cdef uint8_t imei[16]
    cdef bint ok
    if n < 2:
        return False
    if u8_at(c, 0) == PD_EMM:
        ok = KNOWN[u8_at(c, 1)] == 1
    else:
        ok = ((u8_at(c, 0) & 0xF) == PD_ESM and not 1 <= (u8_at(c, 0) >> 4) <= 4 and n >= 3
              and KNOWN[u8_at(c, 2)] == 2)
    if not ok:
        return False
    memcpy(imsi, &t.imsi[row, 0], 16)
    memcpy(imei, &t.imei[row, 0], 16)
    t.flags[row] = flags | F_EEA0                # before decoding: ESM containers copy it
    decode_plain(t, row, c, off, None)           # no state: a guessed reading teaches nothing
    ok = not t.flags[row] & (F_MALFORMED | F_UNKNOWN_MSG)
    for child in range(n0, t.n):
        coff = t.payload_off[child]
        if t.payload_len[child] < 3 or (t.data[coff] & 0xF) != PD_ESM \
                or KNOWN[t.data[coff + 2]] != 2:
            ok = False
    if ok:
        return True
    t.flags[row] = flags
    t.msg[row] = msg
    t.cause_proto[row] = cp
    t.cause_value[row] = cv
    t.m_tmsi[row] = tmsi
    memcpy(&t.imsi[row, 0], imsi, 16)
    memcpy(&t.imei[row, 0], imei, 16)
    t.n_items = i0
    if t.n > n0:                                 # ESM container rows: back to the defaults
        for name, _dtype, _width, fill in COLUMNS:
            t.cols[name][n0:t.n] = fill
        t.n = n0
    return False


def decode(EventTable t, NasState state=None, Py_ssize_t start=0):
    """Decode every NAS-EPS row from `start` on, in table order (the security state is carried
    from row to row: pass the returned NasState to the next batch). ESM containers become rows
    at the end of the table and are decoded in the same call."""
    if state is None:
        state = NasState()
    cdef Py_ssize_t row = start
    while row < t.n:
        if t.proto[row] == P_NAS_EPS:
            decode_row(t, row, state)
        row += 1
    return state
