# cython: language_level=3
"""GTPv2-C (3GPP TS 29.274) decoder for the rows the capture layer takes from UDP port 2123.

What a row gets (no Python object per message):
- msg = message type (5.1), F_REQUEST for the messages that open a transaction (the keys of
  decoders/gtpv2_tables.py REQUEST_RESPONSES), F_UNKNOWN_MSG for types 29.274 does not define;
  teid = header TEID when the T flag is set; seq = sequence number.
- A piggybacked message (P flag, 5.5.1) becomes its own GTPv2 row (parent = the carrying row,
  frame/time/addresses copied by inherit_packet, decoded in the same call); the carrier gets an I_INFO
  V_PIGGYBACKED item (b = that row).
- IEs (8.x): IMSI -> imsi; MSISDN -> msisdn; MEI -> imei; Cause -> cause_proto C_GTPV2 and
  cause_value (cause_group stays -1), further causes as I_CAUSE items (a=C_GTPV2, b=-1,
  c=value, d=EBI of the enclosing Bearer Context or -1), and an I_INFO V_GTP_CAUSE item when the
  cause carries PCE/BCE/CS bits or an offending IE; F-TEID -> put_fteid (interface type,
  instance, TEID/GRE key, IPv4 as int or -1, EBI of the enclosing Bearer Context or -1 for
  message-level F-TEIDs); EBI -> I_INFO V_EBI (b=EBI, c=instance); APN -> I_STR S_APN
  (label-encoded as on the wire); RAT Type -> I_INFO V_RAT_TYPE; ULI: TAI -> tac/plmn and
  I_CELL K_TAI, ECGI -> eci/plmn and I_CELL K_ECGI (d = 86); PDN Type -> I_INFO V_PDN_TYPE
  (c = 99); PAA -> I_STR S_PDN_ADDRESS (the value as on the wire: PDN type octet, then the
  address) and V_PDN_TYPE (c = 79); Bearer Context (grouped, walked one level deep) -> one
  I_BEARER item (a=EBI, b=bearer cause or -1, c=QCI or -1) before the items found inside it.
Bytes are read through a checked cursor (bytes.pxd); a length that does not fit sets F_MALFORMED
and the row keeps what came before.

match_requests(t) pairs responses with requests by sequence number (numpy, per batch).
"""
import numpy as np
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memset
from chrtool._fast.events cimport (EventTable, P_GTPV2, F_REQUEST, F_UNKNOWN_MSG, C_GTPV2,
                                   S_APN, S_PDN_ADDRESS, K_ECGI, K_TAI, inherit_packet, malformed,
                                   payload_cursor, put_bearer, put_cause, put_cell, put_fteid,
                                   put_info, put_str, append_row)
from chrtool._fast.info cimport V_EBI, V_RAT_TYPE, V_PDN_TYPE, V_GTP_CAUSE, V_PIGGYBACKED
from chrtool._fast.bytes cimport (Cursor, cursor, be16, be32, left, skip, span_at, sub_at, u8_at,
                                  be16_at, be24_at, be32_at, next_u8, next_be16, next_be24,
                                  next_be32, next_span, next_sub)
from chrtool._fast.tbcd cimport tbcd

# IE types (29.274 8.1, Table 8.1-1)
cdef enum:
    IE_IMSI = 1             # 8.3
    IE_CAUSE = 2            # 8.4
    IE_APN = 71             # 8.6
    IE_EBI = 73             # 8.8
    IE_MEI = 75             # 8.10
    IE_MSISDN = 76          # 8.11
    IE_PAA = 79             # 8.14
    IE_BEARER_QOS = 80      # 8.15
    IE_RAT_TYPE = 82        # 8.17
    IE_ULI = 86             # 8.21
    IE_FTEID = 87           # 8.22
    IE_BEARER_CONTEXT = 93  # 8.28
    IE_PDN_TYPE = 99        # 8.34

# Message types that open a transaction (29.274 Table 6.1-1; = keys of REQUEST_RESPONSES in the
# generated decoders/gtpv2_tables.py, checked by tests/_fast/test_gtpv2.py) and all defined types.
REQUEST_TYPES = (1, 4, 6, 17, 25, 27, 29, 31, 32, 34, 36, 38, 40, 64, 66, 68, 70, 71, 72, 73, 95,
                 97, 99, 101, 103, 128, 130, 133, 135, 137, 139, 141, 149, 151, 152, 153, 155,
                 157, 158, 160, 162, 164, 166, 168, 170, 176, 179, 200, 211, 231, 233, 235, 241,
                 243)
MESSAGE_TYPES = (1, 2, 3, 4, 5, 6, 7, 17, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,
                 39, 40, 41, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 95, 96, 97, 98, 99, 100, 101,
                 102, 103, 104, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140,
                 141, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163,
                 164, 165, 166, 167, 168, 169, 170, 171, 176, 177, 179, 180, 200, 201, 211, 212,
                 231, 232, 233, 234, 235, 236, 240, 241, 242, 243, 244)
cdef uint8_t IS_REQUEST[256]
cdef uint8_t KNOWN[256]
memset(IS_REQUEST, 0, 256)
memset(KNOWN, 0, 256)
for _t in REQUEST_TYPES:
    IS_REQUEST[_t] = 1
for _t in MESSAGE_TYPES:
    KNOWN[_t] = 1


cdef int cause(EventTable t, Py_ssize_t row, Cursor* v, int64_t ebi, bint bearer) except -1:
    """Cause (8.4): value, PCE/BCE/CS bits, and the offending IE when the value carries one."""
    cdef const uint8_t* h = span_at(v, 0, 2)
    cdef int64_t offending = -1
    cdef int value, bits
    if h == NULL:
        return malformed(t, row)
    value = h[0]
    bits = h[1] & 7
    if bearer or t.cause_proto[row] != 0:
        put_cause(t, row, C_GTPV2, -1, value, ebi)
    else:
        t.cause_proto[row] = C_GTPV2
        t.cause_value[row] = value
    if v.n >= 6:
        offending = u8_at(v, 2) | ((u8_at(v, 5) & 0xF) << 8)
    if bits or offending >= 0:
        put_info(t, row, V_GTP_CAUSE, bits, offending, ebi)
    return 0


cdef int uli(EventTable t, Py_ssize_t row, Cursor* v) except -1:
    """User Location Information (8.21): CGI, SAI, RAI, TAI, ECGI, LAI, macro eNB, ext macro."""
    cdef int fl = next_u8(v)
    cdef int64_t plmn, tac, eci
    skip(v, 7 * ((fl & 1) + ((fl >> 1) & 1) + ((fl >> 2) & 1)))     # CGI, SAI, RAI
    if fl & 8:
        plmn = next_be24(v)
        tac = next_be16(v)
        if v.err:
            return malformed(t, row)
        t.plmn[row] = plmn
        t.tac[row] = tac
        put_cell(t, row, K_TAI, plmn, tac, IE_ULI)
    if fl & 16:
        plmn = next_be24(v)
        eci = next_be32(v) & 0x0FFFFFFF
        if v.err:
            return malformed(t, row)
        t.plmn[row] = plmn
        t.eci[row] = eci
        put_cell(t, row, K_ECGI, plmn, eci, IE_ULI)
    if v.err:
        malformed(t, row)
    return 0


cdef int fteid(EventTable t, Py_ssize_t row, Cursor* v, int inst, int64_t ebi) except -1:
    """F-TEID (8.22): flags and interface type, TEID/GRE key, the IPv4 address if V4 is set."""
    cdef const uint8_t* h = span_at(v, 0, 5)
    cdef int64_t ipv4
    if h == NULL:
        return malformed(t, row)
    ipv4 = be32_at(v, 5) if h[0] & 0x80 else -1
    if v.err:
        return malformed(t, row)
    put_fteid(t, row, h[0] & 0x3F, inst, be32(h + 1), ipv4, ebi)
    return 0


cdef int bearer_context(EventTable t, Py_ssize_t row, Cursor* v, int64_t base) except -1:
    """A Bearer Context (8.28) at t.data[base]: first its EBI, cause and QCI (one bearer item),
    then the items found inside it."""
    cdef int64_t ebi = -1, bcause = -1, qci = -1
    cdef Cursor ies = cursor(v.p, v.n), ie
    cdef int typ
    while left(&ies) >= 4:
        typ = next_u8(&ies)
        ie = next_sub(&ies, next_be16(&ies) + 1)     # spare/instance octet, then the value
        if ies.err:
            break
        if typ == IE_EBI and ie.n >= 2 and ebi < 0:
            ebi = u8_at(&ie, 1) & 0xF
        elif typ == IE_CAUSE and ie.n >= 2 and bcause < 0:
            bcause = u8_at(&ie, 1)
        elif typ == IE_BEARER_QOS and ie.n >= 3 and qci < 0:
            qci = u8_at(&ie, 2)
    put_bearer(t, row, ebi, bcause, qci)
    return walk(t, row, v, base, 1, ebi)


cdef int walk(EventTable t, Py_ssize_t row, Cursor* view, int64_t base, int depth,
              int64_t ebi) except -1:
    """The IEs of a view starting at t.data[base] (8.2.1: type, length, spare+instance, value)."""
    cdef int typ, inst
    cdef Py_ssize_t l, at
    cdef uint8_t digits[16]
    cdef Py_ssize_t nd
    cdef const uint8_t* h
    cdef Cursor v
    cdef Cursor ies = view[0]             # a local copy: the compiler keeps it in registers
    while left(&ies) >= 4:
        h = next_span(&ies, 4)                     # the IE header, there in full
        typ = h[0]
        l = be16(h + 1)
        inst = h[3] & 0xF
        at = ies.pos
        v = next_sub(&ies, l)
        if ies.err:
            return malformed(t, row)
        if typ == IE_CAUSE:
            cause(t, row, &v, ebi, depth > 0)
        elif typ == IE_FTEID:
            fteid(t, row, &v, inst, ebi)
        elif typ == IE_BEARER_CONTEXT:
            if depth == 0:
                bearer_context(t, row, &v, base + at)
        elif depth == 0:
            if typ == IE_IMSI or typ == IE_MSISDN or typ == IE_MEI:
                nd = tbcd(v.p, v.n, digits)              # v is a checked span
                if typ == IE_IMSI:
                    t.set_digits(t.imsi, row, digits, nd)
                elif typ == IE_MSISDN:
                    t.set_digits(t.msisdn, row, digits, nd)
                else:
                    t.set_digits(t.imei, row, digits, nd)
            elif typ == IE_APN:
                put_str(t, row, S_APN, base + at, l, -1)
            elif typ == IE_EBI:
                if l >= 1:
                    put_info(t, row, V_EBI, u8_at(&v, 0) & 0xF, inst, -1)
            elif typ == IE_RAT_TYPE:
                if l >= 1:
                    put_info(t, row, V_RAT_TYPE, u8_at(&v, 0), -1, -1)
            elif typ == IE_ULI:
                uli(t, row, &v)
            elif typ == IE_PDN_TYPE:
                if l >= 1:
                    put_info(t, row, V_PDN_TYPE, u8_at(&v, 0) & 7, IE_PDN_TYPE, -1)
            elif typ == IE_PAA:
                if l >= 1:
                    put_info(t, row, V_PDN_TYPE, u8_at(&v, 0) & 7, IE_PAA, -1)
                    put_str(t, row, S_PDN_ADDRESS, base + at, l, -1)
    if left(&ies):
        malformed(t, row)                          # 1 to 3 bytes that are no IE header
    return 0


cdef int decode_msg(EventTable t, Py_ssize_t row) except -1:
    cdef Cursor m = payload_cursor(t, row), ies
    cdef int64_t off = t.payload_off[row]
    cdef Py_ssize_t n = m.n, total, hdr, child
    cdef const uint8_t* h = span_at(&m, 0, 4)
    cdef int fl, mt
    if h == NULL or (h[0] >> 5) != 2:
        return malformed(t, row)
    fl = h[0]
    mt = h[1]
    total = be16(h + 2) + 4
    t.msg[row] = mt
    if IS_REQUEST[mt]:
        t.flags[row] |= F_REQUEST
    if not KNOWN[mt]:
        t.flags[row] |= F_UNKNOWN_MSG
    hdr = 12 if fl & 0x08 else 8
    if total > n:
        malformed(t, row)
        total = n
    if total < hdr:
        return malformed(t, row)
    if fl & 0x08:
        t.teid[row] = be32_at(&m, 4)
        t.seq[row] = be24_at(&m, 8)
    else:
        t.seq[row] = be24_at(&m, 4)
    ies = sub_at(&m, hdr, total - hdr)
    walk(t, row, &ies, off + hdr, 0, -1)
    if (fl & 0x10) and total + 4 <= n:
        child = append_row(t)
        t.proto[child] = P_GTPV2
        t.parent[child] = row
        t.payload_off[child] = off + total
        t.payload_len[child] = <int>(n - total)
        inherit_packet(t, row, child)
        t.flags[child] = t.flags[row] & 0x22      # F_TRUNCATED | F_REASSEMBLED of the packet
        put_info(t, row, V_PIGGYBACKED, child, -1, -1)
    elif (fl & 0x10):
        malformed(t, row)                          # P flag set, nothing (whole) follows
    return 0


def decode(EventTable t, Py_ssize_t start=0):
    """Decode every GTPv2 row from `start` on (piggybacked messages are added and decoded)."""
    cdef Py_ssize_t row = start
    while row < t.n:
        if t.proto[row] == P_GTPV2:
            decode_msg(t, row)
        row += 1


def match_rows(EventTable t, int proto, id_columns):
    """For each row of `proto` that is not a request, the row of the latest earlier request of
    the same exchange, else -1: same identifiers (`id_columns`, e.g. ("seq",)) and mirrored
    addresses and port (a response goes back to the request's source address and port).
    Returns an int64 array of t.n entries (-1 for requests and other protocols). Per batch."""
    cdef Py_ssize_t n = t.n
    c = t.cols
    out = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(c["proto"][:n] == proto)
    if rows.size == 0:
        return out
    req = (c["flags"][rows] & F_REQUEST) != 0
    src = c["src"][rows]
    dst = c["dst"][rows]
    a = np.where(req[:, None], src, dst)
    b = np.where(req[:, None], dst, src)
    port = np.where(req, c["sport"][rows], c["dport"][rows]).astype(">u2")
    parts = [a, b, port.view(np.uint8).reshape(-1, 2)]
    for name in id_columns:
        parts.append(c[name][rows].astype(">i8").view(np.uint8).reshape(-1, 8))
    key = np.ascontiguousarray(np.concatenate(parts, axis=1))
    kv = key.view(np.dtype((np.void, key.shape[1]))).ravel()
    _, kid = np.unique(kv, return_inverse=True)
    kid = kid.ravel()
    order = np.lexsort((rows, kid))
    kid_s = kid[order]
    req_s = req[order]
    pos = np.arange(order.size)
    last = np.maximum.accumulate(np.where(req_s, pos, -1))
    starts = np.r_[0, np.flatnonzero(np.diff(kid_s)) + 1]
    gstart = np.repeat(starts, np.diff(np.r_[starts, order.size]))
    ok = (~req_s) & (last >= gstart)
    out[rows[order[ok]]] = rows[order[last[ok]]]
    return out


def match_requests(EventTable t):
    """GTPv2-C: the request row of each response row (-1 if none in this batch), matched by
    sequence number, addresses and port (29.274 7.6)."""
    return match_rows(t, P_GTPV2, ("seq",))
