# Reading bytes. Decoders read through a Cursor: a checked view of n bytes with a sticky error
# flag (what Bits in aper.pxd is for APER). A read that does not fit returns 0 (NULL, an empty
# view) and sets `err`, so a wrong length can never read outside the view; callers check once
# after a group of reads. Reads come at an offset from the start of the view (<type>_at) or at
# the cursor's position, which moves on (next_<type>).
# A fixed-size header is taken with one check: h = span_at(c, off, SIZE) (NULL when it does not
# fit), then the raw loads below on h[0:SIZE] only: the span check is the length check. The raw
# loads are for that and for the cursor itself; whole spans (a view's p and n) may go to memcpy
# and tbcd. Nothing else reads through a bare pointer.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

cdef inline uint16_t be16(const uint8_t* p) noexcept nogil:
    return (<uint16_t>p[0] << 8) | p[1]

cdef inline uint32_t be24(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0] << 16) | (<uint32_t>p[1] << 8) | p[2]

cdef inline uint32_t be32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]

cdef inline uint16_t le16(const uint8_t* p) noexcept nogil:
    return (<uint16_t>p[1] << 8) | p[0]

cdef inline uint32_t le32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[3] << 24) | (<uint32_t>p[2] << 16) | (<uint32_t>p[1] << 8) | p[0]

cdef inline uint64_t le64(const uint8_t* p) noexcept nogil:
    return (<uint64_t>le32(p + 4) << 32) | le32(p)

cdef inline uint32_t rd32(const uint8_t* p, bint big) noexcept nogil:
    return be32(p) if big else le32(p)

cdef inline uint16_t rd16(const uint8_t* p, bint big) noexcept nogil:
    return be16(p) if big else le16(p)


cdef struct Cursor:
    const uint8_t* p      # first byte of the view
    Py_ssize_t n          # bytes in the view
    Py_ssize_t pos        # where next_* reads; always within 0..n
    bint err              # some read did not fit (sticky)


cdef inline Cursor cursor(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    cdef Cursor c
    c.p = p
    c.n = n if n > 0 else 0
    c.pos = 0
    c.err = False
    return c


cdef inline bint fits(Cursor* c, Py_ssize_t off, Py_ssize_t k) noexcept nogil:
    """Are the k bytes at off inside the view? Sets err when not."""
    # unsigned compares turn away a negative off or k too (n >= 0 always): two tests, not three
    if <size_t>off > <size_t>c.n or <size_t>k > <size_t>(c.n - off):
        c.err = True
        return False
    return True


cdef inline Py_ssize_t left(Cursor* c) noexcept nogil:
    """Bytes from the position to the end of the view."""
    return c.n - c.pos


# --- at an offset from the start of the view (the position does not move)
cdef inline uint8_t u8_at(Cursor* c, Py_ssize_t off) noexcept nogil:
    return c.p[off] if fits(c, off, 1) else 0

cdef inline uint16_t be16_at(Cursor* c, Py_ssize_t off) noexcept nogil:
    return be16(c.p + off) if fits(c, off, 2) else 0

cdef inline uint32_t be24_at(Cursor* c, Py_ssize_t off) noexcept nogil:
    return be24(c.p + off) if fits(c, off, 3) else 0

cdef inline uint32_t be32_at(Cursor* c, Py_ssize_t off) noexcept nogil:
    return be32(c.p + off) if fits(c, off, 4) else 0

cdef inline uint16_t le16_at(Cursor* c, Py_ssize_t off) noexcept nogil:
    return le16(c.p + off) if fits(c, off, 2) else 0

cdef inline uint32_t le32_at(Cursor* c, Py_ssize_t off) noexcept nogil:
    return le32(c.p + off) if fits(c, off, 4) else 0

cdef inline uint64_t le64_at(Cursor* c, Py_ssize_t off) noexcept nogil:
    return le64(c.p + off) if fits(c, off, 8) else 0

cdef inline uint16_t rd16_at(Cursor* c, Py_ssize_t off, bint big) noexcept nogil:
    return rd16(c.p + off, big) if fits(c, off, 2) else 0

cdef inline uint32_t rd32_at(Cursor* c, Py_ssize_t off, bint big) noexcept nogil:
    return rd32(c.p + off, big) if fits(c, off, 4) else 0

cdef inline const uint8_t* span_at(Cursor* c, Py_ssize_t off, Py_ssize_t k) noexcept nogil:
    """The k bytes at off (a pointer into the view), or NULL when they do not fit."""
    return c.p + off if fits(c, off, k) else NULL

cdef inline Cursor _view(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """cursor() for an n already checked (>= 0)."""
    cdef Cursor s
    s.p = p
    s.n = n
    s.pos = 0
    s.err = False
    return s

cdef inline Cursor _empty(const uint8_t* p) noexcept nogil:
    cdef Cursor s = _view(p, 0)
    s.err = True
    return s

cdef inline Cursor sub_at(Cursor* c, Py_ssize_t off, Py_ssize_t k) noexcept nogil:
    """A view of the k bytes at off; an empty view with err set (here too) when they do not fit."""
    return _view(c.p + off, k) if fits(c, off, k) else _empty(c.p)


# --- at the position, which moves on (to the end of the view when a read does not fit)
cdef inline bint _take(Cursor* c, Py_ssize_t k) noexcept nogil:
    # n - pos >= 0 always, so one unsigned compare also turns away a negative k
    if <size_t>k > <size_t>(c.n - c.pos):
        c.err = True
        c.pos = c.n
        return False
    c.pos += k
    return True

cdef inline uint8_t next_u8(Cursor* c) noexcept nogil:
    return c.p[c.pos - 1] if _take(c, 1) else 0

cdef inline uint16_t next_be16(Cursor* c) noexcept nogil:
    return be16(c.p + c.pos - 2) if _take(c, 2) else 0

cdef inline uint32_t next_be24(Cursor* c) noexcept nogil:
    return be24(c.p + c.pos - 3) if _take(c, 3) else 0

cdef inline uint32_t next_be32(Cursor* c) noexcept nogil:
    return be32(c.p + c.pos - 4) if _take(c, 4) else 0

cdef inline uint16_t next_le16(Cursor* c) noexcept nogil:
    return le16(c.p + c.pos - 2) if _take(c, 2) else 0

cdef inline uint32_t next_le32(Cursor* c) noexcept nogil:
    return le32(c.p + c.pos - 4) if _take(c, 4) else 0

cdef inline const uint8_t* next_span(Cursor* c, Py_ssize_t k) noexcept nogil:
    """The next k bytes (a pointer into the view), or NULL when they do not fit."""
    return c.p + c.pos - k if _take(c, k) else NULL

cdef inline Cursor next_sub(Cursor* c, Py_ssize_t k) noexcept nogil:
    """A view of the next k bytes (empty, err set here too, when they do not fit)."""
    return _view(c.p + c.pos - k, k) if _take(c, k) else _empty(c.p)

cdef inline void skip(Cursor* c, Py_ssize_t k) noexcept nogil:
    _take(c, k)
