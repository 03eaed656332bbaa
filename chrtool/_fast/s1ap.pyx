# cython: language_level=3
"""S1AP (TS 36.413) decoder: an ALIGNED PER walker over S1AP-PDU, no ASN.1 runtime.

Fills, for every row with proto S1AP: msg (pdu_type << 8 | procedure code), procedure_code,
the UE IDs, cause, cell and TAI, and adds one NAS-EPS child row per NAS-PDU carried.
"""
from libc.stdint cimport int64_t, uint8_t, uint64_t
from chrtool._fast.events cimport (EventTable, P_S1AP, P_NAS_EPS, F_MALFORMED, C_S1AP,
                                   I_S1AP_IDS, I_CAUSE, I_CELL, K_ECGI, K_TAI)
from chrtool._fast.aper cimport (Bits, bits_init, get_bits, align, byte_pos, skip_bytes,
                                 get_length, get_constrained_int, get_enum, get_choice)
from chrtool._fast.bytes cimport be16, be24, be32

# ProtocolIE-IDs and cause root counts (TS 36.413 S1AP-Constants / S1AP-IEs)
cdef enum:
    IE_MME_UE_S1AP_ID = 0
    IE_CAUSE = 2
    IE_ENB_UE_S1AP_ID = 8
    IE_NAS_PDU = 26
    IE_TAI = 67
    IE_S_TMSI = 96
    IE_UE_S1AP_IDS = 99
    IE_EUTRAN_CGI = 100

cdef int[5] CAUSE_ROOT = [36, 2, 4, 7, 6]   # radioNetwork, transport, nas, protocol, misc


cdef int decode_cause(Bits* b, int64_t* group, int64_t* value) noexcept nogil:
    cdef int g = get_choice(b, 5, True)
    if g < 0 or g >= 5:
        group[0] = g
        value[0] = -1
        return -1
    group[0] = g
    value[0] = get_enum(b, CAUSE_ROOT[g], True)
    return 0 if not b.err else -1


cdef int decode_ue_ids(Bits* b, int64_t* mme, int64_t* enb) noexcept nogil:
    """UE-S1AP-IDs: CHOICE {uE-S1AP-ID-pair, mME-UE-S1AP-ID, ...}."""
    cdef int alt = get_choice(b, 2, True)
    if alt == 0:
        get_bits(b, 2)       # extension bit + iE-Extensions presence of the pair
        mme[0] = get_constrained_int(b, 0, 1ULL << 32)
        enb[0] = get_constrained_int(b, 0, 1ULL << 24)
    elif alt == 1:
        mme[0] = get_constrained_int(b, 0, 1ULL << 32)
    return 0 if not b.err else -1


cdef int decode_pdu(EventTable t, Py_ssize_t row) except -1:
    cdef const uint8_t* p = &t.data[t.payload_off[row]]
    cdef Py_ssize_t n = t.payload_len[row]
    cdef Bits b, v
    cdef int pdu_type, pc, ie_id
    cdef Py_ssize_t vlen, nies, i, start, ielen, child, base = t.payload_off[row]
    cdef int64_t x, y
    cdef const uint8_t* q
    cdef list children = []
    bits_init(&b, p, n)
    if get_bits(&b, 1):
        t.flags[row] |= F_MALFORMED      # S1AP-PDU extension alternative: none defined
        return 0
    pdu_type = <int>get_bits(&b, 2)
    align(&b)
    pc = <int>get_bits(&b, 8)
    get_bits(&b, 2)                      # criticality
    vlen = get_length(&b)
    if b.err or pdu_type > 2:
        t.flags[row] |= F_MALFORMED
        return 0
    t.procedure_code[row] = pc
    t.msg[row] = (pdu_type << 8) | pc
    start = byte_pos(&b)
    if start + vlen > n:
        t.flags[row] |= F_MALFORMED
        vlen = n - start
    bits_init(&v, p + start, vlen)
    get_bits(&v, 1)                      # SEQUENCE extension bit
    align(&v)
    nies = <Py_ssize_t>get_bits(&v, 16)
    for i in range(nies):
        align(&v)
        ie_id = <int>get_bits(&v, 16)
        get_bits(&v, 2)
        ielen = get_length(&v)
        if v.err or byte_pos(&v) + ielen > vlen:
            t.flags[row] |= F_MALFORMED
            break
        q = p + start + byte_pos(&v)
        bits_init(&b, q, ielen)
        if ie_id == IE_MME_UE_S1AP_ID:
            t.mme_ue_s1ap_id[row] = get_constrained_int(&b, 0, 1ULL << 32)
        elif ie_id == IE_ENB_UE_S1AP_ID:
            t.enb_ue_s1ap_id[row] = get_constrained_int(&b, 0, 1ULL << 24)
        elif ie_id == IE_UE_S1AP_IDS:
            x = -1
            y = -1
            decode_ue_ids(&b, &x, &y)
            t.mme_ue_s1ap_id[row] = x
            t.enb_ue_s1ap_id[row] = y
            t.add_item(row, I_S1AP_IDS, x, y, ie_id, -1)
        elif ie_id == IE_CAUSE:
            x = -1
            y = -1
            if decode_cause(&b, &x, &y) == 0:
                t.cause_proto[row] = C_S1AP
                t.cause_group[row] = <short>x
                t.cause_value[row] = <int>y
        elif ie_id == IE_NAS_PDU:
            x = get_length(&b)
            if not b.err and byte_pos(&b) + x <= ielen:
                child = t.add_row()
                t.proto[child] = P_NAS_EPS
                t.parent[child] = row
                t.payload_off[child] = base + start + byte_pos(&v) + byte_pos(&b)
                t.payload_len[child] = <int>x
                children.append(child)
        elif ie_id == IE_EUTRAN_CGI and ielen >= 8:
            # ext + iE-Extensions bits, then pLMNidentity (3 octets) and cell-ID (28 bits), aligned
            t.plmn[row] = <int>be24(q + 1)
            t.eci[row] = be32(q + 4) >> 4
        elif ie_id == IE_TAI and ielen >= 6:
            t.plmn[row] = <int>be24(q + 1)
            t.tac[row] = be16(q + 4)
        elif ie_id == IE_S_TMSI and ielen >= 6:
            # ext + iE-Extensions bits, mMEC (1 octet, unaligned), m-TMSI (4 octets, aligned)
            t.m_tmsi[row] = be32(q + 2)
        if b.err:
            t.flags[row] |= F_MALFORMED
        skip_bytes(&v, ielen)
    if v.err:
        t.flags[row] |= F_MALFORMED
    for child in children:
        inherit(t, row, child)
    return 0


cdef void inherit(EventTable t, Py_ssize_t row, Py_ssize_t child):
    """A carried NAS message shares its carrier's frame, time, addresses and UE IDs."""
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
    t.ip_version[child] = t.ip_version[row]
    t.src[child, :] = t.src[row, :]
    t.dst[child, :] = t.dst[row, :]


def decode(EventTable t, Py_ssize_t start=0):
    """Decode every S1AP row from `start` on (rows added here are NAS-EPS, not revisited)."""
    cdef Py_ssize_t row, end = t.n
    for row in range(start, end):
        if t.proto[row] == P_S1AP:
            decode_pdu(t, row)
