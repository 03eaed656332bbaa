# What the S1AP and X2AP walkers share: the per-message context, causes, the PDU header walk
# and the ProtocolIE-Container loop. Each protocol module keeps only its IE dispatch (decode_ie).
from libc.stdint cimport int64_t, uint8_t
from chrtool._fast.events cimport EventTable, F_MALFORMED, F_UNKNOWN_MSG, malformed, put_cause, put_ie
from chrtool._fast.aper cimport Bits, bits_init, get_bits, align, get_count, get_open, FRAG_UNIT

cdef struct Ctx:
    Py_ssize_t row
    int64_t base          # offset of the PDU in t.data
    const uint8_t* p      # the PDU
    Py_ssize_t n
    const uint8_t* d0     # &t.data[0]: offsets in data are pointer - d0 (reassembled runs too)
    Py_ssize_t budget     # octets of t.data reserved for reassembling fragmented runs
    int cause_proto       # C_S1AP / C_X2AP
    int ho_type           # S1AP: HandoverType seen so far in this message (-1 none)

ctypedef int (*IeDecoder)(EventTable t, Ctx* c, int ie_id, Bits* b) except -1


cdef inline int set_cause(EventTable t, Ctx* c, int64_t group, int64_t value, int64_t context,
                          bint top) except -1:
    """The message-level Cause IE goes to the columns; per-E-RAB causes are items only (d=E-RAB
    id), so each Cause IE is one cause and a row's columns never repeat an E-RAB's."""
    if not top:
        put_cause(t, c.row, c.cause_proto, group, value, context)
        return 0
    t.cause_proto[c.row] = c.cause_proto
    t.cause_group[c.row] = <short>group
    t.cause_value[c.row] = <int>value
    return 0


cdef inline int get_field(EventTable t, Ctx* c, Bits* b, int* crit, Bits* value) except -2:
    """ProtocolIE-Field / ProtocolIE-SingleContainer: id (0..65535), criticality, then the value
    (open type) in `value`. Returns the id, or -1 with b.err set when the value does not fit."""
    cdef int ie_id
    align(b)
    ie_id = <int>get_bits(b, 16)
    crit[0] = <int>get_bits(b, 2)
    if get_open(t, b, value, &c.budget, False) != 0:
        return -1
    return ie_id


cdef inline int walk_ies(EventTable t, Ctx* c, Bits* v, IeDecoder decode_ie) except -1:
    """ProtocolIE-Container at v: per field an I_IE item (a=id b=offset of the value in data
    c=length d=criticality), then decode_ie on the value."""
    cdef Py_ssize_t nies = get_count(v, 0, 65535, False), i
    cdef int ie_id, crit
    cdef Bits w
    for i in range(nies):
        ie_id = get_field(t, c, v, &crit, &w)
        if ie_id < 0:
            malformed(t, c.row)
            return 0
        put_ie(t, c.row, ie_id, w.p - c.d0, w.nbits >> 3, crit)
        decode_ie(t, c, ie_id, &w)
        if w.err:
            malformed(t, c.row)
    return 0


cdef inline bint pdu_begin(EventTable t, Ctx* c, Py_ssize_t row, int cause_proto,
                           const uint8_t* known, int private_pc, Bits* v) except -1:
    """S1AP-PDU / X2AP-PDU ::= CHOICE {initiatingMessage, successfulOutcome, unsuccessfulOutcome,
    ...} of SEQUENCE {procedureCode (0..255), criticality, value (open type)}. Sets up c, fills
    msg, procedure_code and flags (known[pdu_type * 256 + code] says the tables name the message)
    and the I_IE item of the message value (a=-1). True with v at the value's ProtocolIE-Container
    (past the SEQUENCE extension bit); False when there is nothing more to read."""
    cdef Bits b
    cdef int pdu_type, pc, crit, trunc
    if t.payload_len[row] < 0 or t.payload_off[row] < 0 or \
            t.payload_off[row] + t.payload_len[row] > t.n_data:
        malformed(t, row)
        return False
    c.row = row
    c.base = t.payload_off[row]
    c.n = t.payload_len[row]
    c.budget = 0
    if c.n > FRAG_UNIT:
        # room for reassembling fragmented runs (X.691 11.9.3.8), reserved before any pointer
        # into t.data is taken: message value, IE value, the NAS-PDU / container / nested IE
        # inside it and the E-RAB item inside that can each be fragmented, each copy smaller
        # than the PDU
        c.budget = 4 * c.n
        t.reserve_data(c.budget)
    c.d0 = &t.data[0]
    c.p = c.d0 + c.base
    c.cause_proto = cause_proto
    c.ho_type = -1
    bits_init(&b, c.p, c.n)
    b.lim = c.d0 + t.data.shape[0]                    # get_bits may load past the PDU, not t.data
    if get_bits(&b, 1):
        t.flags[row] |= F_UNKNOWN_MSG | (F_MALFORMED if b.err else 0)
        return False                                  # PDU extension alternative
    pdu_type = <int>get_bits(&b, 2)
    align(&b)
    pc = <int>get_bits(&b, 8)
    crit = <int>get_bits(&b, 2)
    if b.err or pdu_type > 2:
        malformed(t, row)
        if not b.err or b.pos > 16:
            t.procedure_code[row] = pc
            if pdu_type <= 2:
                t.msg[row] = (pdu_type << 8) | pc
        return False
    # the message value: cut short, what there is of it is still read (and the row flagged)
    trunc = get_open(t, &b, v, &c.budget, True)
    if trunc < 0:
        malformed(t, row)
        if b.pos > 16:
            t.procedure_code[row] = pc
            t.msg[row] = (pdu_type << 8) | pc
        return False
    t.procedure_code[row] = pc
    t.msg[row] = (pdu_type << 8) | pc
    if not known[pdu_type * 256 + pc]:
        t.flags[row] |= F_UNKNOWN_MSG
    if trunc:
        malformed(t, row)
    put_ie(t, row, -1, v.p - c.d0, v.nbits >> 3, crit)
    if pc == private_pc:
        return False                                  # PrivateIE-Container: nothing to read
    get_bits(v, 1)                                    # SEQUENCE extension bit
    return True
