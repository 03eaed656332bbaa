# cython: language_level=3
"""Diameter (RFC 6733) decoder with the S6a application (3GPP TS 29.272), for the rows the
capture layer takes from SCTP (PPID 46/47) and TCP port 3868: one message per row, trailing bytes
after the message's own length are ignored.

What a row gets (no Python object per message):
- msg = command code << 1 | R flag; F_REQUEST when R is set; seq = Hop-by-Hop Identifier,
  e2e = End-to-End Identifier; an I_INFO V_DIAMETER_HDR item (b = flags octet R/P/E/T,
  c = Application-Id, d = version).
- Every AVP is walked (V flag -> 12-octet header with Vendor-Id; padding to 4 octets); grouped
  AVPs of the base protocol and S6a/Gx (GROUPED below) are walked recursively, at most
  MAX_DEPTH levels deep.
- Session-Id, Origin-Host, Origin-Realm, Destination-Host, Destination-Realm (message level)
  -> I_STR S_SESSION_ID / S_ORIGIN_HOST / ... (b = data offset, c = length, UTF-8 as on the wire).
- User-Name (IMSI in S6a) -> imsi when it is 5 to 15 digits.
- Result-Code -> cause_proto C_DIAMETER, cause_value; Experimental-Result (its
  Experimental-Result-Code) -> C_DIAMETER_EXP; a second message-level cause, and every
  Result-Code / Experimental-Result inside another grouped AVP (each Multiple-Services-Credit-
  Control of a Gy answer), is an I_CAUSE item of its own (proto C_DIAMETER / C_DIAMETER_EXP,
  group -1, value = code, context -1: a Diameter result has no E-RAB or bearer context).
- Visited-PLMN-Id -> plmn (3 raw octets as int); RAT-Type -> I_INFO V_RAT_TYPE; ULR-Flags ->
  I_INFO V_ULR_FLAGS; Auth-Application-Id -> I_INFO V_AUTH_APP_ID.
- Subscription-Data: MSISDN -> msisdn (TBCD); each APN-Configuration's Service-Selection ->
  I_STR S_APN. Service-Selection is dotted text on the wire; to keep one S_APN contract across
  protocols the decoder appends its label-encoded form (TS 23.003 9.1, as NAS and GTPv2 carry
  it) to the data buffer and the item points there.
Every length is checked; bad ones set F_MALFORMED and the row keeps what came before.

match_requests(t) pairs answers with requests by Hop-by-Hop and End-to-End identifiers.
"""
from libc.stdint cimport int64_t, uint8_t, uint32_t
from libc.string cimport memset
from chrtool._fast.events cimport (EventTable, P_DIAMETER, F_MALFORMED, F_REQUEST, C_DIAMETER,
                                   C_DIAMETER_EXP, S_APN, S_SESSION_ID, S_ORIGIN_HOST,
                                   S_ORIGIN_REALM, S_DEST_HOST, S_DEST_REALM, malformed,
                                   payload_cursor, put_cause, put_info, put_str)
from chrtool._fast.info cimport V_RAT_TYPE, V_ULR_FLAGS, V_DIAMETER_HDR, V_AUTH_APP_ID
from chrtool._fast.bytes cimport Cursor, be24, be32, span_at, sub_at, u8_at, be24_at, be32_at
from chrtool._fast.tbcd cimport tbcd
from chrtool._fast.gtpv2 import match_rows

cdef enum:
    VENDOR_3GPP = 10415
    MAX_DEPTH = 8
    MAX_APN = 32              # Service-Selection values re-encoded per message
    # base AVPs (RFC 6733 4.5, RFC 5778 for Service-Selection)
    AVP_USER_NAME = 1
    AVP_AUTH_APP_ID = 258
    AVP_SESSION_ID = 263
    AVP_ORIGIN_HOST = 264
    AVP_RESULT_CODE = 268
    AVP_DEST_REALM = 283
    AVP_DEST_HOST = 293
    AVP_ORIGIN_REALM = 296
    AVP_EXPERIMENTAL_RESULT = 297
    AVP_EXPERIMENTAL_RESULT_CODE = 298
    AVP_SERVICE_SELECTION = 493
    # 3GPP (vendor 10415) AVPs: TS 29.272 7.3, TS 29.329 (MSISDN), TS 29.212 (RAT-Type)
    AVP_MSISDN = 701
    AVP_RAT_TYPE = 1032
    AVP_ULR_FLAGS = 1405
    AVP_VISITED_PLMN_ID = 1407

# Grouped AVPs walked into: (vendor, code). Base: Vendor-Specific-Application-Id 260,
# Failed-AVP 279, Proxy-Info 284, Experimental-Result 297, Subscription-Id 443, MSCC 456,
# User-Equipment-Info 458, MIP6-Agent-Info 486, Requested/Used/Granted-Service-Unit 437/446/431.
# 3GPP (29.272 7.3, 29.212 5.3): Supported-Features 628, QoS-Information 1016,
# Allocation-Retention-Priority 1034, Subscription-Data 1400, Terminal-Information 1401,
# Requested-EUTRAN-/UTRAN-GERAN-Authentication-Info 1408/1409, Authentication-Info 1413,
# E-UTRAN-/UTRAN-/GERAN-Vector 1414/1415/1416, APN-Configuration-Profile 1429,
# APN-Configuration 1430, EPS-Subscribed-QoS-Profile 1431, AMBR 1435, Specific-APN-Info 1472.
GROUPED_BASE = (260, 279, 284, 297, 431, 437, 443, 446, 456, 458, 486)
GROUPED_3GPP = (628, 1016, 1034, 1400, 1401, 1408, 1409, 1413, 1414, 1415, 1416, 1429, 1430,
                1431, 1435, 1472)
cdef uint8_t G_BASE[2048]
cdef uint8_t G_3GPP[2048]
memset(G_BASE, 0, 2048)
memset(G_3GPP, 0, 2048)
for _c in GROUPED_BASE:
    G_BASE[_c] = 1
for _c in GROUPED_3GPP:
    G_3GPP[_c] = 1


cdef struct Walk:
    Py_ssize_t row
    Cursor p                  # the message (a checked view)
    int64_t base
    int64_t exp_code
    int napn
    int64_t apn_off[MAX_APN]
    int64_t apn_len[MAX_APN]


cdef int set_cause(EventTable t, Py_ssize_t row, int proto, int64_t code, bint top) except -1:
    """The first message-level result fills the columns; any other is an item of its own."""
    if top and t.cause_proto[row] == 0:
        t.cause_proto[row] = proto
        t.cause_value[row] = <int>code
    else:
        put_cause(t, row, proto, -1, code, -1)
    return 0


cdef int avps(EventTable t, Walk* w, Py_ssize_t pos, Py_ssize_t end, int depth,
              int parent) except -1:
    """The AVPs in p[pos:end] (RFC 6733 4.1)."""
    cdef Py_ssize_t row = w.row, alen, hdr, dlen, nd, i
    cdef uint32_t code, vendor
    cdef int fl
    cdef Cursor* p = &w.p
    cdef Cursor v
    cdef const uint8_t* h
    cdef uint8_t digits[16]
    cdef bint digit
    while pos < end:
        h = span_at(p, pos, 8)                     # the AVP header
        if h == NULL or pos + 8 > end:
            malformed(t, row)
            return 0
        code = be32(h)
        fl = h[4]
        alen = be24(h + 5)
        hdr = 12 if fl & 0x80 else 8
        vendor = be32_at(p, pos + 8) if (fl & 0x80) and pos + 12 <= end else 0
        if alen < hdr or pos + alen > end:
            malformed(t, row)
            return 0
        dlen = alen - hdr
        v = sub_at(p, pos + hdr, dlen)
        if vendor == 0:
            if code < 2048 and G_BASE[code]:
                if depth < MAX_DEPTH:
                    avps(t, w, pos + hdr, pos + alen, depth + 1, code)
                    if code == AVP_EXPERIMENTAL_RESULT and w.exp_code >= 0:
                        set_cause(t, row, C_DIAMETER_EXP, w.exp_code, depth == 0)
                        w.exp_code = -1
            elif code == AVP_RESULT_CODE:
                if dlen < 4:
                    malformed(t, row)
                else:                              # nested: e.g. per Multiple-Services-Credit-Control
                    set_cause(t, row, C_DIAMETER, be32_at(&v, 0), depth == 0)
            elif code == AVP_EXPERIMENTAL_RESULT_CODE and parent == AVP_EXPERIMENTAL_RESULT:
                w.exp_code = be32_at(&v, 0) if dlen >= 4 else 0
            elif code == AVP_USER_NAME and depth == 0:
                digit = 5 <= dlen <= 15
                for i in range(dlen):
                    if u8_at(&v, i) < 48 or u8_at(&v, i) > 57:
                        digit = False
                        break
                if digit:
                    t.set_digits(t.imsi, row, v.p, dlen)
            elif code == AVP_AUTH_APP_ID:
                put_info(t, row, V_AUTH_APP_ID, be32_at(&v, 0), -1, -1)
            elif code == AVP_SERVICE_SELECTION:
                if w.napn < MAX_APN:
                    w.apn_off[w.napn] = w.base + pos + hdr
                    w.apn_len[w.napn] = dlen
                    w.napn += 1
            elif depth == 0:
                if code == AVP_SESSION_ID:
                    put_str(t, row, S_SESSION_ID, w.base + pos + hdr, dlen, -1)
                elif code == AVP_ORIGIN_HOST:
                    put_str(t, row, S_ORIGIN_HOST, w.base + pos + hdr, dlen, -1)
                elif code == AVP_ORIGIN_REALM:
                    put_str(t, row, S_ORIGIN_REALM, w.base + pos + hdr, dlen, -1)
                elif code == AVP_DEST_HOST:
                    put_str(t, row, S_DEST_HOST, w.base + pos + hdr, dlen, -1)
                elif code == AVP_DEST_REALM:
                    put_str(t, row, S_DEST_REALM, w.base + pos + hdr, dlen, -1)
        elif vendor == VENDOR_3GPP:
            if code < 2048 and G_3GPP[code]:
                if depth < MAX_DEPTH:
                    avps(t, w, pos + hdr, pos + alen, depth + 1, code)
            elif code == AVP_VISITED_PLMN_ID:
                if dlen >= 3:
                    t.plmn[row] = be24_at(&v, 0)
            elif code == AVP_RAT_TYPE:
                put_info(t, row, V_RAT_TYPE, be32_at(&v, 0), -1, -1)
            elif code == AVP_ULR_FLAGS:
                put_info(t, row, V_ULR_FLAGS, be32_at(&v, 0), -1, -1)
            elif code == AVP_MSISDN:
                nd = tbcd(v.p, v.n, digits)
                t.set_digits(t.msisdn, row, digits, nd)
        pos += (alen + 3) & ~3
    return 0


cdef int apn_items(EventTable t, Walk* w) except -1:
    """Append the label-encoded form of each Service-Selection and point an S_APN item at it."""
    cdef int k
    cdef Py_ssize_t i, n, out, lab
    cdef int64_t src
    for k in range(w.napn):
        src = w.apn_off[k]
        n = w.apn_len[k]
        t.reserve_data(n + 1)                      # may move the buffer: indices only below
        out = t.n_data
        lab = out
        t.data[lab] = 0
        for i in range(n):
            if t.data[src + i] == 46:              # '.'
                lab = out + 1 + i
                t.data[lab] = 0
            else:
                t.data[out + 1 + i] = t.data[src + i]
                t.data[lab] += 1
        t.n_data += n + 1
        put_str(t, w.row, S_APN, out, n + 1, -1)
    return 0


cdef int decode_msg(EventTable t, Py_ssize_t row) except -1:
    cdef int64_t off = t.payload_off[row]
    cdef Py_ssize_t n = t.payload_len[row], length
    cdef Cursor p = payload_cursor(t, row)
    cdef Walk w
    if n < 20 or p.err:
        malformed(t, row)
        return 0
    if u8_at(&p, 0) != 1:
        malformed(t, row)
        return 0
    length = be24_at(&p, 1)
    t.msg[row] = <int>((be24_at(&p, 5) << 1) | (1 if u8_at(&p, 4) & 0x80 else 0))
    if u8_at(&p, 4) & 0x80:
        t.flags[row] |= F_REQUEST
    t.seq[row] = be32_at(&p, 12)
    t.e2e[row] = be32_at(&p, 16)
    put_info(t, row, V_DIAMETER_HDR, u8_at(&p, 4), be32_at(&p, 8), u8_at(&p, 0))
    if length < 20 or length > n:
        malformed(t, row)
        if length < 20:
            return 0
        length = n
    w.row = row
    w.p = p
    w.base = off
    w.exp_code = -1
    w.napn = 0
    avps(t, &w, 20, length, 0, 0)
    if w.napn:
        apn_items(t, &w)
    return 0


def decode(EventTable t, Py_ssize_t start=0):
    """Decode every Diameter row from `start` on."""
    cdef Py_ssize_t row
    for row in range(start, t.n):
        if t.proto[row] == P_DIAMETER:
            decode_msg(t, row)


def match_requests(EventTable t):
    """Diameter: the request row of each answer row (-1 if none in this batch), matched by
    Hop-by-Hop and End-to-End identifiers, addresses and port (RFC 6733 6.2)."""
    return match_rows(t, P_DIAMETER, ("seq", "e2e"))
