# TBCD digit strings (3GPP TS 29.002 / 24.008: low nibble first, 0xF filler) for GTPv2-C IMSI,
# MSISDN, MEI and the Diameter MSISDN AVP. Callers pass a checked length.
from libc.stdint cimport uint8_t

cdef inline Py_ssize_t tbcd(const uint8_t* p, Py_ssize_t n, uint8_t* out) noexcept nogil:
    """Write up to 16 digit characters to out; returns how many (stops at the 0xF filler)."""
    cdef const char* alphabet = b"0123456789*#abc"
    cdef Py_ssize_t i, k = 0
    cdef int d
    for i in range(n):
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
    return k
