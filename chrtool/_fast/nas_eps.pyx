# cython: language_level=3
"""NAS-EPS (TS 24.301) decoder for the NAS-EPS child rows the S1AP decoder adds.

Security protected messages: the inner message is decoded when it is plain (header types 1, 3)
or when the connection's Security Mode Command chose EEA0; otherwise it is marked ciphered.
"""
from libc.stdint cimport int64_t, uint8_t
from chrtool._fast.events cimport (EventTable, P_NAS_EPS, F_MALFORMED, F_CIPHERED, F_INTEGRITY,
                                   F_EEA0, C_EMM, C_ESM)
from chrtool._fast.bytes cimport be16, be32

cdef enum:
    PD_ESM = 2
    PD_EMM = 7
    ATTACH_REQUEST = 0x41
    ATTACH_ACCEPT = 0x42
    ATTACH_REJECT = 0x44
    IDENTITY_RESPONSE = 0x56
    SECURITY_MODE_COMMAND = 0x5D
    SERVICE_REJECT = 0x4E
    TAU_REJECT = 0x4B
    AUTH_FAILURE = 0x5C
    AUTH_REJECT = 0x54


cdef class NasState:
    """Per-capture NAS security state: which connections run with EEA0 (null ciphering)."""
    cdef public dict eea
    def __init__(self):
        self.eea = {}


cdef Py_ssize_t mobile_identity(EventTable t, Py_ssize_t row, const uint8_t* p, Py_ssize_t n):
    """EPS mobile identity / mobile identity value (TS 24.301 9.9.3.12, 24.008 10.5.1.4)."""
    cdef int kind, i, nd = 0
    cdef uint8_t[16] digits
    if n < 1:
        return 0
    kind = p[0] & 7
    if kind == 6 and n >= 11:                 # GUTI
        t.m_tmsi[row] = be32(p + 7)
        return 0
    if kind == 1 or kind == 2 or kind == 3:   # IMSI, IMEI, IMEISV: BCD digits
        digits[nd] = 48 + (p[0] >> 4)
        nd += 1
        for i in range(1, n):
            if nd < 16:
                digits[nd] = 48 + (p[i] & 0xF)
                nd += 1
            if (p[i] >> 4) != 0xF and nd < 16:
                digits[nd] = 48 + (p[i] >> 4)
                nd += 1
        if kind == 1:
            t.set_digits(t.imsi, row, digits, nd)
        else:
            t.set_digits(t.imei, row, digits, nd)
    return 0


cdef int decode_plain(EventTable t, Py_ssize_t row, const uint8_t* p, Py_ssize_t n,
                      NasState state) except -1:
    cdef int pd, mt
    cdef Py_ssize_t l
    if n < 2:
        t.flags[row] |= F_MALFORMED
        return 0
    pd = p[0] & 0xF
    if pd == PD_EMM:
        mt = p[1]
        t.msg[row] = mt
        if mt == ATTACH_REQUEST and n >= 4:
            l = p[3]
            if 4 + l <= n:
                mobile_identity(t, row, p + 4, l)
            else:
                t.flags[row] |= F_MALFORMED
        elif mt == IDENTITY_RESPONSE and n >= 3:
            l = p[2]
            if 3 + l <= n:
                mobile_identity(t, row, p + 3, l)
            else:
                t.flags[row] |= F_MALFORMED
        elif (mt == ATTACH_REJECT or mt == SERVICE_REJECT or mt == TAU_REJECT
              or mt == AUTH_FAILURE) and n >= 3:
            t.cause_proto[row] = C_EMM
            t.cause_value[row] = p[2]
        elif mt == SECURITY_MODE_COMMAND and n >= 3:
            state.eea[(t.mme_ue_s1ap_id[row], t.enb_ue_s1ap_id[row])] = (p[2] >> 4) & 7
    elif pd == PD_ESM:
        if n < 3:
            t.flags[row] |= F_MALFORMED
            return 0
        t.msg[row] = p[2]
    else:
        t.flags[row] |= F_MALFORMED
    return 0


cdef int decode_row(EventTable t, Py_ssize_t row, NasState state) except -1:
    cdef const uint8_t* p = &t.data[t.payload_off[row]]
    cdef Py_ssize_t n = t.payload_len[row]
    cdef int sht, pd
    if n < 2:
        t.flags[row] |= F_MALFORMED
        return 0
    sht = p[0] >> 4
    pd = p[0] & 0xF
    if pd != PD_EMM or sht == 0:
        return decode_plain(t, row, p, n, state)
    if sht == 12:                            # SERVICE REQUEST: its own short format
        t.msg[row] = 0x4D
        if n >= 4:
            t.flags[row] |= F_INTEGRITY
        return 0
    if n < 7:
        t.flags[row] |= F_MALFORMED
        return 0
    t.flags[row] |= F_INTEGRITY
    if sht == 2 or sht == 4:
        if state.eea.get((t.mme_ue_s1ap_id[row], t.enb_ue_s1ap_id[row]), -1) != 0:
            t.flags[row] |= F_CIPHERED
            return 0
        t.flags[row] |= F_EEA0
    return decode_plain(t, row, p + 6, n - 6, state)


def decode(EventTable t, NasState state=None, Py_ssize_t start=0):
    """Decode every NAS-EPS row from `start` on, in capture order (security state is stateful)."""
    if state is None:
        state = NasState()
    cdef Py_ssize_t row
    for row in range(start, t.n):
        if t.proto[row] == P_NAS_EPS:
            decode_row(t, row, state)
    return state
