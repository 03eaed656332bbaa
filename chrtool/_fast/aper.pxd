# ALIGNED PER primitives (ITU-T X.691) over a bounded buffer. Every read checks the remaining
# bits first; a read past the end sets `err` and returns 0, so callers test `b.err` once per IE.
from libc.stdint cimport uint8_t, uint64_t, int64_t
from chrtool._fast.events cimport EventTable

cdef extern from *:
    """
    #include <string.h>
    #if defined(__GNUC__)
    #define APER_HOT static inline __attribute__((always_inline))
    #define APER_COLD static __attribute__((noinline))
    #else
    #define APER_HOT static inline
    #define APER_COLD static
    #endif
    typedef struct {
        const uint8_t *p;
        Py_ssize_t nbits, pos;
        int err;
        const uint8_t *lim;
    } aper_Bits;

    /* n (1..64) bits at bit pos of p, octet by octet */
    APER_COLD uint64_t aper_read_bits(const uint8_t *p, Py_ssize_t pos, int n) {
        uint64_t v = 0;
        while (n > 0) {
            int avail = 8 - (int)(pos & 7), take = avail < n ? avail : n;
            v = (v << take) | ((p[pos >> 3] >> (avail - take)) & ((1u << take) - 1));
            pos += take;
            n -= take;
        }
        return v;
    }

    /* 8 octets at p as a big-endian number */
    APER_HOT uint64_t aper_load_be64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, 8);
    #if defined(__GNUC__)
        return __builtin_bswap64(v);
    #else
        v = ((v & 0x00FF00FF00FF00FFULL) << 8) | ((v >> 8) & 0x00FF00FF00FF00FFULL);
        v = ((v & 0x0000FFFF0000FFFFULL) << 16) | ((v >> 16) & 0x0000FFFF0000FFFFULL);
        return (v << 32) | (v >> 32);
    #endif
    }

    /* get_bits: one 8-octet load while the memory up to b->lim allows it (always inlined: it is
       the walkers' inner step, and the C compiler's size budget would otherwise leave it out) */
    APER_HOT uint64_t aper_get_bits(aper_Bits *b, int n) {
        Py_ssize_t pos = b->pos;
        if (n <= 0)
            return 0;
        if (pos + n > b->nbits) {
            b->err = 1;
            b->pos = b->nbits;
            return 0;
        }
        b->pos = pos + n;
        if ((pos & 7) + n <= 64 && b->p + (pos >> 3) + 8 <= b->lim)
            return (aper_load_be64(b->p + (pos >> 3)) << (pos & 7)) >> (64 - n);
        return aper_read_bits(b->p, pos, n);
    }

    /* bits needed for 0..x, x >= 1 */
    APER_HOT int aper_bit_width(uint64_t x) {
    #if defined(__GNUC__)
        return 64 - __builtin_clzll(x);
    #else
        int n = 0;
        while (x) { n++; x >>= 1; }
        return n;
    #endif
    }
    """
    ctypedef struct Bits "aper_Bits":
        const uint8_t* p
        Py_ssize_t nbits
        Py_ssize_t pos
        int err
        const uint8_t* lim    # end of the memory that may be loaded (>= p + nbits / 8): get_bits
                              # loads 8 octets at a time and keeps only the bits asked for
    uint64_t get_bits "aper_get_bits" (Bits* b, int n) nogil    # n (<= 64) bits, MSB first
    int aper_bit_width(uint64_t x) nogil

cdef inline void bits_init(Bits* b, const uint8_t* p, Py_ssize_t nbytes) noexcept nogil:
    b.p = p
    b.nbits = nbytes * 8
    b.pos = 0
    b.err = 0
    b.lim = p + nbytes

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
    """Unconstrained length determinant (X.691 11.9.3), aligned. The fragmented form (first octet
    11xxxxxx, X.691 11.9.3.8) sets err = 2: counts never use it here, and open types / octet
    strings that may be fragmented go through is_fragmented / frag_next / skip_open instead."""
    cdef uint64_t first
    align(b)
    first = get_bits(b, 8)
    if (first & 0x80) == 0:
        return <Py_ssize_t>first
    if (first & 0xC0) == 0x80:
        return <Py_ssize_t>(((first & 0x3F) << 8) | get_bits(b, 8))
    b.err = 2          # fragmented (>= 16K octets): see frag_next
    return 0


# --- fragmented length determinants (X.691 11.9.3.8) ---------------------------------------------
# Octet strings and open types of 16K octets or more are cut into fragments: a length octet
# 11mmmmmm (m = 1..4) followed by m * 16384 octets, repeated, and ended by an ordinary length
# determinant (0..16383 octets, possibly 0). `frag_next` walks them one at a time over a whole
# buffer, checking each against its end, so callers can skip, measure or reassemble them.

cdef enum:
    FRAG_UNIT = 16384
    FRAG_MORE = 1          # frag_next: a fragment, another length determinant follows
    FRAG_LAST = 0          # frag_next: the final part (ordinary length form)
    FRAG_ERR = -1          # frag_next: bad length octet, or a part does not fit the buffer
    FRAG_TRUNC = -2        # frag_next (clamp): the part was cut short; chunk = what is there

cdef inline bint is_fragmented(Bits* b) noexcept nogil:
    """At an (aligned) length determinant: is it the fragmented form?"""
    cdef Py_ssize_t at = (b.pos + 7) >> 3
    return at < (b.nbits >> 3) and (b.p[at] & 0xC0) == 0xC0

cdef inline int frag_next(const uint8_t* p, Py_ssize_t nbytes, Py_ssize_t* pos,
                          Py_ssize_t* chunk_off, Py_ssize_t* chunk_len, bint clamp) noexcept nogil:
    """One part of a (possibly fragmented) length-prefixed octet run starting at byte pos[0] of
    p[0:nbytes]: chunk_off/chunk_len locate its octets, pos[0] moves past them. Returns FRAG_MORE,
    FRAG_LAST, FRAG_ERR, or with `clamp` FRAG_TRUNC when the part runs past the buffer (the chunk
    is then what the buffer holds of it)."""
    cdef Py_ssize_t at = pos[0], n
    cdef uint8_t f
    cdef int rc
    if at < 0 or at >= nbytes:
        return FRAG_ERR
    f = p[at]
    if (f & 0x80) == 0:
        n = f
        at += 1
        rc = FRAG_LAST
    elif (f & 0xC0) == 0x80:
        if at + 2 > nbytes:
            return FRAG_ERR
        n = ((f & 0x3F) << 8) | p[at + 1]
        at += 2
        rc = FRAG_LAST
    else:
        n = f & 0x3F
        if n < 1 or n > 4:
            return FRAG_ERR
        n *= FRAG_UNIT
        at += 1
        rc = FRAG_MORE
    chunk_off[0] = at
    if at + n > nbytes:
        if not clamp:
            return FRAG_ERR
        chunk_len[0] = nbytes - at
        pos[0] = nbytes
        return FRAG_TRUNC
    chunk_len[0] = n
    pos[0] = at + n
    return rc

cdef inline Py_ssize_t frag_total(Bits* b, Py_ssize_t* end) noexcept nogil:
    """Total octets of the length-prefixed run at b's (aligned) position, every part checked
    against the buffer; end = byte offset after it. -1 when it does not fit or is malformed.
    b is not moved."""
    cdef Py_ssize_t pos = (b.pos + 7) >> 3, off, n, total = 0
    cdef int rc = FRAG_MORE
    while rc == FRAG_MORE:
        rc = frag_next(b.p, b.nbits >> 3, &pos, &off, &n, False)
        if rc == FRAG_ERR:
            return -1
        total += n
    end[0] = pos
    return total

cdef inline int64_t get_constrained_int(Bits* b, int64_t lo, uint64_t range_) noexcept nogil:
    """Constrained whole number lo..lo+range_-1 (X.691 11.5.7, ALIGNED)."""
    if range_ <= 1:
        return lo
    if range_ < 256:
        return lo + <int64_t>get_bits(b, aper_bit_width(range_ - 1))
    if range_ <= 65536:
        align(b)
        return lo + <int64_t>get_bits(b, 8 if range_ == 256 else 16)
    return lo + get_indefinite_int(b, range_)

cdef inline int64_t get_indefinite_int(Bits* b, uint64_t range_) noexcept nogil:
    """The indefinite-length case of a constrained whole number (range_ > 65536): octet count
    (1..max) in minimal bits, then aligned octets."""
    cdef int nbytes = (aper_bit_width(range_ - 1) + 7) >> 3
    nbytes = <int>get_bits(b, aper_bit_width(nbytes - 1) if nbytes > 1 else 0) + 1
    align(b)
    return <int64_t>get_bits(b, nbytes * 8)

cdef inline int64_t get_small(Bits* b) noexcept nogil:
    """Normally small non-negative whole number (X.691 11.6): 0..63 in 7 bits, else length + octets."""
    cdef Py_ssize_t n
    if get_bits(b, 1) == 0:
        return <int64_t>get_bits(b, 6)
    n = get_length(b)
    if n < 1 or n > 4:
        b.err = 1
        return 0
    return <int64_t>get_bits(b, <int>(n * 8))

cdef inline int64_t get_enum(Bits* b, int n_root, bint extensible) noexcept nogil:
    """ENUMERATED index: root values 0..n_root-1, extension values n_root + index."""
    cdef uint64_t idx
    if extensible and get_bits(b, 1):
        # normally small non-negative whole number (X.691 11.6)
        return n_root + get_small(b)
    return get_constrained_int(b, 0, <uint64_t>n_root)

cdef inline int get_choice(Bits* b, int n_root, bint extensible) noexcept nogil:
    """CHOICE index; extension alternatives come back as n_root + index (their value is an open type)."""
    if extensible and get_bits(b, 1):
        return n_root + <int>get_small(b)
    return <int>get_constrained_int(b, 0, <uint64_t>n_root)


cdef inline int get_open_any(EventTable t, Bits* b, Bits* out, Py_ssize_t* budget, bint clamp) except -2:
    """An open type or unconstrained OCTET STRING at b: `out` reads its octets and b moves past it.
    Ordinary lengths: `out` reads them in place. Fragmented lengths (X.691 11.9.3.8): every part is
    checked against b's buffer first, then the parts are reassembled contiguously at the end of
    t.data (EventTable.add_data), so offsets taken from `out` are offsets in t.data like any other.
    The caller reserved `budget` octets of t.data beforehand (EventTable.reserve_data), so the
    copies never move the buffer that b and every enclosing reader point into; a run larger than
    the budget is an error. Returns 0, or -1 with b.err set (out empty); with `clamp`, a run cut
    short by the end of the buffer gives 1 and `out` holds what is there."""
    cdef Py_ssize_t n, total = 0, pos, off, clen, start, nbytes
    cdef int rc = FRAG_MORE, parts = 0, i
    bits_init(out, b.p, 0)
    if not is_fragmented(b):
        n = get_length(b)
        if b.err:
            return -1
        if b.pos + n * 8 > b.nbits:
            if not clamp:
                b.err = 1
                b.pos = b.nbits
                return -1
            bits_init(out, b.p + (b.pos >> 3), (b.nbits - b.pos) >> 3)
            b.pos = b.nbits
            return 1
        bits_init(out, b.p + (b.pos >> 3), n)
        b.pos += n * 8
        return 0
    align(b)
    nbytes = b.nbits >> 3
    pos = b.pos >> 3
    while rc == FRAG_MORE:                      # measure: nothing is copied unless it all fits
        rc = frag_next(b.p, nbytes, &pos, &off, &clen, clamp)
        if rc == FRAG_ERR:
            if clamp and parts > 0:
                rc = FRAG_TRUNC                 # cut right after a whole fragment
                break
            b.err = 1
            b.pos = b.nbits
            return -1
        total += clen
        parts += 1
    if total > budget[0]:
        b.err = 1
        b.pos = b.nbits
        return -1
    start = t.n_data
    pos = b.pos >> 3
    for i in range(parts):
        frag_next(b.p, nbytes, &pos, &off, &clen, clamp)
        t.add_data(b.p + off, clen)
    budget[0] -= total
    bits_init(out, &t.data[0] + start, total)
    b.pos = pos * 8
    return 1 if rc == FRAG_TRUNC else 0


cdef inline int get_open(EventTable t, Bits* b, Bits* out, Py_ssize_t* budget, bint clamp) except -2:
    """get_open_any (below) with the common case inline: an ordinary length whose octets fit."""
    cdef Py_ssize_t at = (b.pos + 7) >> 3, nbytes = b.nbits >> 3, n
    cdef uint8_t f
    if at < nbytes:
        f = b.p[at]
        if f < 0x80:
            n = f
            at += 1
        elif f < 0xC0 and at + 1 < nbytes:
            n = ((f & 0x3F) << 8) | b.p[at + 1]
            at += 2
        else:
            return get_open_any(t, b, out, budget, clamp)
        if at + n <= nbytes:
            out.p = b.p + at
            out.nbits = n * 8
            out.pos = 0
            out.err = 0
            out.lim = b.lim
            b.pos = (at + n) * 8
            return 0
    return get_open_any(t, b, out, budget, clamp)


# --- structural helpers shared by the S1AP and X2AP walkers -------------------------------------

cdef inline int skip_open(Bits* b) noexcept nogil:
    """Skip an open type or unconstrained OCTET STRING (aligned length + octets), fragmented
    (X.691 11.9.3.8) or not."""
    cdef Py_ssize_t n, end
    if is_fragmented(b):
        align(b)
        if frag_total(b, &end) < 0:
            b.err = 1
            b.pos = b.nbits
            return -1
        b.pos = end * 8
        return 0
    n = get_length(b)
    if b.err:
        return -1
    return skip_bytes(b, n)

cdef inline Py_ssize_t get_count(Bits* b, int64_t lb, int64_t ub, bint ext) noexcept nogil:
    """Length of a SIZE(lb..ub[, ...]) SEQUENCE OF / string (X.691 11.9.3.x, ALIGNED)."""
    if ext and get_bits(b, 1):
        return get_length(b)
    if ub >= 65536:
        return get_length(b)
    if lb == ub:
        return <Py_ssize_t>lb
    return <Py_ssize_t>get_constrained_int(b, lb, <uint64_t>(ub - lb + 1))

cdef inline uint64_t get_fixed_bitstring(Bits* b, int nbits) noexcept nogil:
    """BIT STRING (SIZE(n)), n <= 64: aligned when longer than 16 bits."""
    if nbits > 16:
        align(b)
    return get_bits(b, nbits)

cdef inline int skip_octets_sized(Bits* b, int64_t lb, int64_t ub, bint ext) noexcept nogil:
    """Skip an OCTET STRING (SIZE(lb..ub[, ...])), or an unconstrained one when ub < 0."""
    cdef Py_ssize_t n
    if ub < 0 or ub >= 65536 or (ext and get_bits(b, 1)):
        return skip_open(b)
    elif lb == ub:
        n = <Py_ssize_t>lb
        if n <= 2:
            get_bits(b, <int>(n * 8))
            return 0 if not b.err else -1
    else:
        n = <Py_ssize_t>get_constrained_int(b, lb, <uint64_t>(ub - lb + 1))
    align(b)
    return skip_bytes(b, n)

cdef inline int skip_bits_sized(Bits* b, int64_t lb, int64_t ub, bint ext) noexcept nogil:
    """Skip a BIT STRING (SIZE(lb..ub[, ...]))."""
    cdef Py_ssize_t n
    if ub >= 65536 or (ext and get_bits(b, 1)):
        n = get_length(b)
    elif lb == ub:
        n = <Py_ssize_t>lb
        if n > 16:
            align(b)
    else:
        n = <Py_ssize_t>get_constrained_int(b, lb, <uint64_t>(ub - lb + 1))
        align(b)
    if b.err or b.pos + n > b.nbits:
        b.err = 1
        b.pos = b.nbits
        return -1
    b.pos += n
    return 0

cdef inline int skip_ext_container(Bits* b) noexcept nogil:
    """Skip a ProtocolExtensionContainer (SIZE(1..65535) OF {id, criticality, extensionValue})."""
    cdef Py_ssize_t n = get_count(b, 1, 65535, False), i
    for i in range(n):
        align(b)
        get_bits(b, 18)
        skip_open(b)
        if b.err:
            return -1
    return 0

cdef inline int skip_seq_additions(Bits* b) noexcept nogil:
    """Skip the extension additions of a SEQUENCE whose extension bit was set (X.691 19.7-19.9)."""
    cdef int64_t n
    cdef int64_t i
    cdef uint64_t present
    if get_bits(b, 1) == 0:
        n = <int64_t>get_bits(b, 6) + 1
    else:
        n = get_length(b)
    if b.err or n > 64:
        b.err = 1
        return -1
    present = get_bits(b, <int>n)
    for i in range(n):
        if (present >> (n - 1 - i)) & 1:
            skip_open(b)
    return 0 if not b.err else -1

cdef inline int seq_end(Bits* b, bint ext, bint opt) noexcept nogil:
    """The end of an extensible SEQUENCE: its iE-Extensions when present (`opt`), then its
    extension additions when the extension bit was set (`ext`). 0, or -1 once b.err is set."""
    if opt:
        skip_ext_container(b)
    if ext:
        skip_seq_additions(b)
    return 0 if not b.err else -1

cdef inline int64_t get_plmn(Bits* b) noexcept nogil:
    """PLMN-Identity: OCTET STRING (SIZE(3)), aligned; returned as a 24-bit int."""
    align(b)
    return <int64_t>get_bits(b, 24)

cdef inline int get_cgi(Bits* b, int cell_bits, int64_t* plmn, int64_t* cell) noexcept nogil:
    """EUTRAN-CGI / ECGI (cell_bits 28) or NR-CGI / NRCGI (36): SEQUENCE {pLMN, cell id,
    iE-Extensions OPTIONAL, ...}; reads the whole value."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    plmn[0] = get_plmn(b)
    cell[0] = <int64_t>get_fixed_bitstring(b, cell_bits)
    return seq_end(b, ext, opt)

cdef inline int get_enb_id(Bits* b, int64_t* kind, int64_t* value, int64_t* nbits) noexcept nogil:
    """ENB-ID CHOICE {macro (20), home (28), ..., short-macro (18), long-macro (21)}.
    kind: 1 macro, 2 home, 3 short macro, 4 long macro (events.pxd NodeKind)."""
    cdef int alt = get_choice(b, 2, True)
    cdef Py_ssize_t n, end
    if alt == 0:
        kind[0] = 1; nbits[0] = 20
    elif alt == 1:
        kind[0] = 2; nbits[0] = 28
    elif alt == 2 or alt == 3:
        kind[0] = alt + 1
        nbits[0] = 18 if alt == 2 else 21
        n = get_length(b)              # open type around the extension alternative
        end = b.pos + n * 8
        if b.err or end > b.nbits:
            b.err = 1
            return -1
        value[0] = <int64_t>get_bits(b, <int>nbits[0])
        b.pos = end
        return 0 if not b.err else -1
    else:
        kind[0] = -1
        nbits[0] = 0
        if alt > 3:
            skip_open(b)
        return -1
    value[0] = <int64_t>get_fixed_bitstring(b, <int>nbits[0])
    return 0 if not b.err else -1

cdef inline int get_global_enb_id(Bits* b, int64_t* plmn, int64_t* kind, int64_t* value,
                                  int64_t* nbits) noexcept nogil:
    """Global-ENB-ID / GlobalENB-ID: SEQUENCE {pLMN, eNB-ID, iE-Extensions OPTIONAL, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    plmn[0] = get_plmn(b)
    get_enb_id(b, kind, value, nbits)
    return seq_end(b, ext, opt)

cdef inline int get_global_gnb_id(Bits* b, int64_t* plmn, int64_t* value,
                                  int64_t* nbits) noexcept nogil:
    """GlobalGNB-ID / Global-en-gNB-ID: SEQUENCE {pLMN, gNB-ID CHOICE {BIT STRING (SIZE(22..32)),
    ...}, iE-Extensions OPTIONAL, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    cdef int alt
    plmn[0] = get_plmn(b)
    alt = get_choice(b, 1, True)
    if alt == 0:
        nbits[0] = get_constrained_int(b, 22, 11)
        align(b)
        value[0] = <int64_t>get_bits(b, <int>nbits[0])
    else:
        nbits[0] = 0
        value[0] = -1
        skip_open(b)
    return seq_end(b, ext, opt)

cdef inline int get_cause(Bits* b, const int* roots, int n_groups, int64_t* group,
                          int64_t* value) noexcept nogil:
    """Cause CHOICE {group ENUMERATED {...}, ...}: roots[g] is the root count of group g.
    Extension groups give group >= n_groups and value -1 (their content is skipped)."""
    cdef int g = get_choice(b, n_groups, True)
    group[0] = g
    value[0] = -1
    if g < 0 or b.err:
        return -1
    if g >= n_groups:
        skip_open(b)
        return -1
    value[0] = get_enum(b, roots[g], True)
    return 0 if not b.err else -1

cdef inline int64_t get_unconstrained_int(Bits* b) noexcept nogil:
    """Unconstrained / extension-range INTEGER (X.691 12.2.6): length octets then two's complement."""
    cdef Py_ssize_t n = get_length(b)
    cdef uint64_t v
    if b.err or n < 1 or n > 8:
        b.err = 1
        return 0
    v = get_bits(b, <int>(n * 8))
    if n < 8 and (v >> (n * 8 - 1)) & 1:
        return <int64_t>v - (<int64_t>1 << (n * 8))
    return <int64_t>v

cdef inline int64_t get_int_ext(Bits* b, int64_t lo, uint64_t range_) noexcept nogil:
    """INTEGER (lo..hi, ...): extension bit, then the root encoding or an unconstrained value."""
    if get_bits(b, 1):
        return get_unconstrained_int(b)
    return get_constrained_int(b, lo, range_)

cdef inline int64_t get_erab_id(Bits* b) noexcept nogil:
    """E-RAB-ID ::= INTEGER (0..15, ...)."""
    return get_int_ext(b, 0, 16)


cdef inline int64_t get_qci(Bits* b, bint whole) noexcept nogil:
    """E-RABLevelQoSParameters (S1AP) / E-RAB-Level-QoS-Parameters (X2AP), the same SEQUENCE:
    returns the QCI; with `whole`, reads the rest of the value too."""
    cdef bint ext = get_bits(b, 1)
    cdef bint gbr = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    cdef int64_t qci = get_constrained_int(b, 0, 256)
    cdef bint e2, o2
    cdef int i
    if not whole:
        return qci
    # allocationRetentionPriority
    e2 = get_bits(b, 1)
    o2 = get_bits(b, 1)
    get_bits(b, 6)
    seq_end(b, e2, o2)
    if gbr:
        e2 = get_bits(b, 1)
        o2 = get_bits(b, 1)
        for i in range(4):
            get_constrained_int(b, 0, 10000000001ULL)
        seq_end(b, e2, o2)
    seq_end(b, ext, opt)
    return qci


cdef inline int get_tnl(Bits* b, int64_t* ipv4, int64_t* teid) noexcept nogil:
    """TransportLayerAddress (BIT STRING (SIZE(1..160, ...))) then GTP-TEID (OCTET STRING (SIZE(4)))."""
    cdef Py_ssize_t nbits
    if get_bits(b, 1):
        nbits = get_length(b)
    else:
        nbits = <Py_ssize_t>get_constrained_int(b, 1, 160)
    align(b)
    if b.err or b.pos + nbits > b.nbits:
        b.err = 1
        return -1
    if nbits == 32 or nbits == 160:
        ipv4[0] = <int64_t>get_bits(b, 32)
        b.pos += nbits - 32
    else:
        ipv4[0] = -1
        b.pos += nbits
    align(b)
    teid[0] = <int64_t>get_bits(b, 32)
    return 0 if not b.err else -1
