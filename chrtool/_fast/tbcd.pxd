# TBCD digit strings (3GPP TS 29.002 / 24.008: low nibble first, 0xF filler), the one decoder of
# them: GTPv2-C IMSI, MSISDN, MEI, the Diameter MSISDN AVP, NAS mobile identities and the chr-v1
# IMSI. Callers pass a checked span (a Cursor's p and n).
from libc.stdint cimport uint8_t

cdef inline Py_ssize_t tbcd_from(const uint8_t* p, Py_ssize_t n, Py_ssize_t first,
                                 uint8_t* out) noexcept nogil:
    """The digits of the nibbles of p[:n] from nibble `first` on (0: the low nibble of p[0]; 1:
    its high nibble, as in a mobile identity, 24.008 10.5.1.4, whose low nibble is the type),
    written to out: up to 16, stopping at the 0xF filler. Returns how many."""
    cdef const char* alphabet = b"0123456789*#abc"
    cdef Py_ssize_t i = 0, k = 0
    cdef int d
    if first:
        if n < 1 or (p[0] >> 4) == 0xF:
            return 0
        out[0] = alphabet[p[0] >> 4]
        k = i = 1
    while i < n:
        d = p[i] & 0xF
        if d == 0xF or k >= 16:
            break
        out[k] = alphabet[d]
        k += 1
        d = p[i] >> 4
        if d == 0xF or k >= 16:
            break
        out[k] = alphabet[d]
        k += 1
        i += 1
    return k


cdef inline Py_ssize_t tbcd(const uint8_t* p, Py_ssize_t n, uint8_t* out) noexcept nogil:
    """The TBCD digits of p[:n] (from the low nibble of p[0]); see tbcd_from."""
    return tbcd_from(p, n, 0, out)
