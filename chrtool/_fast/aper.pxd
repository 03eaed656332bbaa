# ALIGNED PER primitives (ITU-T X.691) over a bounded buffer. Every read checks the remaining
# bits first; a read past the end sets `err` and returns 0, so callers test `b.err` once per IE.
from libc.stdint cimport uint8_t, uint64_t, int64_t

cdef struct Bits:
    const uint8_t* p
    Py_ssize_t nbits
    Py_ssize_t pos
    int err

cdef inline void bits_init(Bits* b, const uint8_t* p, Py_ssize_t nbytes) noexcept nogil:
    b.p = p
    b.nbits = nbytes * 8
    b.pos = 0
    b.err = 0

cdef inline uint64_t get_bits(Bits* b, int n) noexcept nogil:
    """Read n (<= 64) bits MSB first."""
    cdef uint64_t v = 0
    cdef int off, take, avail
    if n <= 0:
        return 0
    if b.pos + n > b.nbits:
        b.err = 1
        b.pos = b.nbits
        return 0
    while n > 0:
        off = b.pos & 7
        avail = 8 - off
        take = avail if avail < n else n
        v = (v << take) | ((b.p[b.pos >> 3] >> (avail - take)) & ((1 << take) - 1))
        b.pos += take
        n -= take
    return v

cdef inline void align(Bits* b) noexcept nogil:
    b.pos = (b.pos + 7) & ~(<Py_ssize_t>7)
    if b.pos > b.nbits:
        b.err = 1
        b.pos = b.nbits

cdef inline Py_ssize_t byte_pos(Bits* b) noexcept nogil:
    return b.pos >> 3

cdef inline int skip_bytes(Bits* b, Py_ssize_t n) noexcept nogil:
    """Skip n octets from an aligned position."""
    if n < 0 or b.pos + n * 8 > b.nbits:
        b.err = 1
        b.pos = b.nbits
        return -1
    b.pos += n * 8
    return 0

cdef inline Py_ssize_t get_length(Bits* b) noexcept nogil:
    """Unconstrained length determinant (X.691 11.9.3), aligned. Fragmented form -> err."""
    cdef uint64_t first
    align(b)
    first = get_bits(b, 8)
    if (first & 0x80) == 0:
        return <Py_ssize_t>first
    if (first & 0xC0) == 0x80:
        return <Py_ssize_t>(((first & 0x3F) << 8) | get_bits(b, 8))
    b.err = 2          # fragmented (>= 16K): no S1AP/X2AP message that large is legitimate here
    return 0

cdef inline int64_t get_constrained_int(Bits* b, int64_t lo, uint64_t range_) noexcept nogil:
    """Constrained whole number lo..lo+range_-1 (X.691 11.5.7, ALIGNED)."""
    cdef int nbits = 0, nbytes, lbits
    cdef uint64_t r
    if range_ <= 1:
        return lo
    if range_ < 256:
        r = range_ - 1
        while r:
            nbits += 1
            r >>= 1
        return lo + <int64_t>get_bits(b, nbits)
    if range_ == 256:
        align(b)
        return lo + <int64_t>get_bits(b, 8)
    if range_ <= 65536:
        align(b)
        return lo + <int64_t>get_bits(b, 16)
    # indefinite-length case: octet count (1..max) in minimal bits, then aligned octets
    nbytes = 0
    r = range_ - 1
    while r:
        nbytes += 1
        r >>= 8
    lbits = 0
    r = nbytes - 1
    while r:
        lbits += 1
        r >>= 1
    nbytes = <int>get_bits(b, lbits) + 1
    align(b)
    return lo + <int64_t>get_bits(b, nbytes * 8)

cdef inline int64_t get_enum(Bits* b, int n_root, bint extensible) noexcept nogil:
    """ENUMERATED index: root values 0..n_root-1, extension values n_root + index."""
    cdef uint64_t idx
    if extensible and get_bits(b, 1):
        # normally small non-negative whole number (X.691 11.6)
        if get_bits(b, 1) == 0:
            return n_root + <int64_t>get_bits(b, 6)
        return n_root + get_constrained_int(b, 0, 1 << 16)   # never seen in practice
    return get_constrained_int(b, 0, <uint64_t>n_root)

cdef inline int get_choice(Bits* b, int n_root, bint extensible) noexcept nogil:
    """CHOICE index; extension alternatives come back as n_root + index (their value is an open type)."""
    if extensible and get_bits(b, 1):
        if get_bits(b, 1) == 0:
            return n_root + <int>get_bits(b, 6)
        return -1
    return <int>get_constrained_int(b, 0, <uint64_t>n_root)
