# cython: language_level=3
"""Capture framing: pcap/pcapng records -> link layer -> IP -> SCTP/UDP/TCP -> message rows.

`CaptureReader` reads the file in chunks into one reusable buffer and fills one EventTable per
chunk; no Python object is made per packet on the common path (complete SCTP DATA chunks, UDP
GTPv2-C, TCP segments holding whole Diameter messages). Payloads are copied into the batch's data
buffer, so a batch stays valid after the chunk it came from is gone.

Every header is read through a checked cursor (bytes.pxd) over the bytes of its own record,
packet or layer, so a wrong length can never read past them. Reassembly (IPv4/IPv6 fragments,
fragmented SCTP user messages, TCP streams for Diameter) keeps bounded state (see docs/capture.md). Damaged input is reported in `problems` as
(byte offset, layer, message) and decoding resumes at the next plausible record.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memmove, memset
from libc.stdlib cimport calloc, free
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from chrtool._fast.events cimport (EventTable, TablePool, append_row, append_data, P_NONE,
                                   P_S1AP, P_X2AP, P_DIAMETER, P_GTPV2,
                                   P_NGAP, F_TRUNCATED, F_REASSEMBLED, F_MALFORMED)
from chrtool._fast.bytes cimport (Cursor, cursor, span_at, sub_at, u8_at, be16_at, be24_at,
                                  be32_at, le32_at, rd16_at, rd32_at, be16, be32, rd32)

from chrtool.errors import InputError

cdef extern from *:
    """
    static inline uint64_t chr_muldiv(uint64_t a, uint64_t b, uint64_t c) {
        return (uint64_t)(((unsigned __int128)a * b) / c);
    }
    """
    uint64_t chr_muldiv(uint64_t a, uint64_t b, uint64_t c) nogil

DEF_CHUNK_BYTES = 1 << 20       # 1 MiB: the batch (buffer + table) stays in cache

cdef enum:
    MAX_RECORD = 262144            # Wireshark's largest packet for ordinary link types
    MAX_BLOCK = 16 << 20           # largest pcapng block kept in the buffer
    MAX_PROBLEMS = 1000            # further problems are counted, not listed
    MAX_DIAMETER = 1 << 20         # largest Diameter message accepted on TCP
    # Reassembly bounds (docs/capture.md)
    IP_FRAG_MAX_DATAGRAMS = 4096
    IP_FRAG_MAX_BYTES = 32 << 20
    SCTP_FRAG_MAX_PIECES = 65536
    SCTP_FRAG_MAX_BYTES = 64 << 20
    SCTP_MAX_MESSAGE = 16 << 20
    TCP_MAX_STREAMS = 4096
    TCP_MAX_OOO_SEGMENTS = 64
    TCP_MAX_OOO_BYTES = 1 << 20
    TCP_MAX_BYTES = 32 << 20       # all TCP streams together
    TIMEOUT_FRAMES = 100000        # incomplete reassembly older than this many frames is dropped
    TSN_WINDOW = 1024              # TSNs remembered per SCTP direction for duplicate detection
    TSN_TABLE_MAX = 1 << 16        # SCTP directions tracked at once

cdef int64_t TIMEOUT_NS = 120 * 1000000000LL   # ... or older than this in capture time

LIMITS = {"max_record": MAX_RECORD, "max_block": MAX_BLOCK, "max_problems": MAX_PROBLEMS,
          "max_diameter": MAX_DIAMETER, "ip_frag_max_datagrams": IP_FRAG_MAX_DATAGRAMS,
          "ip_frag_max_bytes": IP_FRAG_MAX_BYTES, "sctp_frag_max_pieces": SCTP_FRAG_MAX_PIECES,
          "sctp_frag_max_bytes": SCTP_FRAG_MAX_BYTES, "sctp_max_message": SCTP_MAX_MESSAGE,
          "tcp_max_streams": TCP_MAX_STREAMS, "tcp_max_ooo_segments": TCP_MAX_OOO_SEGMENTS,
          "tcp_max_ooo_bytes": TCP_MAX_OOO_BYTES, "tcp_max_bytes": TCP_MAX_BYTES, "timeout_frames": TIMEOUT_FRAMES,
          "timeout_ns": TIMEOUT_NS, "tsn_window": TSN_WINDOW, "tsn_table_max": TSN_TABLE_MAX}

cdef enum:
    LINK_NULL = 0
    LINK_ETHERNET = 1
    LINK_RAW_12 = 12
    LINK_RAW_14 = 14
    LINK_RAW = 101
    LINK_LOOP = 108
    LINK_SLL = 113
    LINK_IPV4 = 228
    LINK_IPV6 = 229
    LINK_SLL2 = 276

cdef enum:
    FMT_PCAP = 1
    FMT_PCAPNG = 2

cdef enum:
    BT_SHB = 0x0A0D0D0A
    BT_IDB = 1
    BT_OPB = 2
    BT_SPB = 3
    BT_NRB = 4
    BT_ISB = 5
    BT_EPB = 6
    BT_JOURNAL = 9
    BT_DSB = 10
    BT_CUSTOM = 0xBAD
    BT_CUSTOM_NC = 0x40000BAD

# counters (index into a C array; `counters` builds the dict)
cdef enum:
    C_PACKETS = 0
    C_BYTES
    C_ROWS
    C_SCTP_DATA
    C_UDP
    C_TCP
    C_OTHER
    C_IP_FRAGMENTS
    C_IP_REASSEMBLED
    C_IP_FRAG_DROPPED
    C_IP_OVERLAP
    C_SCTP_FRAGMENTS
    C_SCTP_REASSEMBLED
    C_SCTP_FRAG_DROPPED
    C_SCTP_RETRANS
    C_TCP_SEGMENTS
    C_TCP_RETRANS
    C_TCP_OOO
    C_TCP_REASSEMBLED
    C_TCP_GAPS
    C_TRUNCATED
    C_MALFORMED
    C_UNDECODED_LINK
    C_SKIPPED_BYTES
    C_SKIPPED_BLOCKS
    C_PROBLEMS_SUPPRESSED
    C_STATE_RESETS
    C_OTHER_RECORDS
    N_COUNTERS

COUNTER_NAMES = ("packets", "bytes", "rows", "sctp_data", "udp", "tcp", "other",
                 "ip_fragments", "ip_reassembled", "ip_frag_dropped", "ip_overlap",
                 "sctp_fragments", "sctp_reassembled", "sctp_frag_dropped",
                 "sctp_retransmissions", "tcp_segments", "tcp_retransmissions",
                 "tcp_out_of_order", "tcp_reassembled", "tcp_gaps", "truncated", "malformed",
                 "undecoded_linktype", "skipped_bytes", "skipped_blocks", "problems_suppressed",
                 "state_resets", "other_records")

# Default routing: SCTP PPIDs and well-known ports have one home, the protocol registry (DESIGN:
# configurable; a reader takes overrides).
from chrtool.protocols import capture_routes
DEFAULT_PPIDS, DEFAULT_PORTS = capture_routes()
_PROTO_BY_NAME = {"S1AP": P_S1AP, "X2AP": P_X2AP, "Diameter": P_DIAMETER, "GTPv2": P_GTPV2,
                  "NGAP": P_NGAP}
LINKTYPE_NAMES = {0: "null", 1: "ethernet", 12: "raw", 14: "raw", 101: "raw", 108: "loop",
                  113: "linux-sll", 228: "ipv4", 229: "ipv6", 276: "linux-sll2"}

cdef inline bytes cbytes(const uint8_t* p, Py_ssize_t n):
    return PyBytes_FromStringAndSize(<const char*>p, n)


cdef inline int bytearray_add(bytearray b, const uint8_t* p, Py_ssize_t n) except -1:
    cdef Py_ssize_t old = PyByteArray_GET_SIZE(b)
    if n <= 0:
        return 0
    PyByteArray_Resize(b, old + n)
    memcpy(PyByteArray_AS_STRING(b) + old, p, n)
    return 0


cdef inline bytes flow_key(const uint8_t* src, const uint8_t* dst, Py_ssize_t alen,
                           uint16_t sport, uint16_t dport, uint32_t extra):
    """Key bytes for reassembly state: addresses, ports and an id, built without temporaries."""
    cdef uint8_t k[44]
    memcpy(k, src, alen)
    memcpy(k + alen, dst, alen)
    k[2 * alen] = sport >> 8
    k[2 * alen + 1] = sport & 255
    k[2 * alen + 2] = dport >> 8
    k[2 * alen + 3] = dport & 255
    k[2 * alen + 4] = extra >> 24
    k[2 * alen + 5] = (extra >> 16) & 255
    k[2 * alen + 6] = (extra >> 8) & 255
    k[2 * alen + 7] = extra & 255
    return PyBytes_FromStringAndSize(<const char*>k, 2 * alen + 8)


cdef inline bint link_supported(int lt) noexcept nogil:
    return (lt == LINK_NULL or lt == LINK_ETHERNET or lt == LINK_RAW or lt == LINK_RAW_12 or
            lt == LINK_RAW_14 or lt == LINK_LOOP or lt == LINK_SLL or lt == LINK_IPV4 or
            lt == LINK_IPV6 or lt == LINK_SLL2)

cdef inline bint known_block(uint32_t bt) noexcept nogil:
    return (bt == BT_SHB or bt == BT_IDB or bt == BT_OPB or bt == BT_SPB or bt == BT_NRB or
            bt == BT_ISB or bt == BT_EPB or bt == BT_JOURNAL or bt == BT_DSB or
            bt == BT_CUSTOM or bt == BT_CUSTOM_NC)

cdef inline bint diameter_plausible(Cursor* c, Py_ssize_t at) noexcept nogil:
    """A Diameter header at c[at]: version 1, length a multiple of 4 in [20, MAX], reserved
    flags 0 (as far as the view goes)."""
    cdef uint32_t mlen
    if c.n - at < 5:
        return c.n - at >= 1 and u8_at(c, at) == 1
    mlen = be24_at(c, at + 1)
    return u8_at(c, at) == 1 and mlen >= 20 and mlen <= MAX_DIAMETER and (mlen & 3) == 0 and \
        (u8_at(c, at + 4) & 0x0F) == 0


# ------------------------------------------------------------------------- SCTP duplicate TSNs

cdef struct TsnWin:
    uint64_t key
    uint32_t max_tsn
    uint32_t used
    uint64_t bits[16]          # TSN_WINDOW bits, circular, indexed by tsn & (TSN_WINDOW - 1)


cdef class _TsnTable:
    """Open-addressing table (sport, dport, vtag) -> window of TSNs seen; bounded size."""
    cdef TsnWin* slots
    cdef Py_ssize_t cap, count
    cdef public int64_t resets

    def __cinit__(self):
        self.cap = 256
        self.count = 0
        self.resets = 0
        self.slots = <TsnWin*>calloc(self.cap, sizeof(TsnWin))
        if self.slots == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.slots)

    cdef int _grow(self) except -1:
        cdef Py_ssize_t old_cap = self.cap, i, j
        cdef TsnWin* old = self.slots
        cdef TsnWin* new
        if old_cap * 2 > TSN_TABLE_MAX:
            memset(self.slots, 0, old_cap * sizeof(TsnWin))     # full: forget everything
            self.count = 0
            self.resets += 1
            return 0
        new = <TsnWin*>calloc(old_cap * 2, sizeof(TsnWin))
        if new == NULL:
            raise MemoryError()
        self.cap = old_cap * 2
        for i in range(old_cap):
            if old[i].used:
                j = <Py_ssize_t>((old[i].key * 0x9E3779B97F4A7C15ULL) >> 40) & (self.cap - 1)
                while new[j].used:
                    j = (j + 1) & (self.cap - 1)
                new[j] = old[i]
        self.slots = new
        free(old)
        return 0

    cdef int seen(self, uint64_t key, uint32_t tsn) except -1:
        """1 when this TSN was already seen in this direction; otherwise remember it, 0."""
        cdef Py_ssize_t j
        cdef TsnWin* e
        cdef int32_t d
        cdef uint32_t x, bit
        if self.count * 2 >= self.cap:
            self._grow()
        j = <Py_ssize_t>((key * 0x9E3779B97F4A7C15ULL) >> 40) & (self.cap - 1)
        while self.slots[j].used and self.slots[j].key != key:
            j = (j + 1) & (self.cap - 1)
        e = &self.slots[j]
        bit = tsn & (TSN_WINDOW - 1)
        if not e.used:
            e.used = 1
            e.key = key
            e.max_tsn = tsn
            memset(e.bits, 0, sizeof(e.bits))
            e.bits[bit >> 6] |= 1ULL << (bit & 63)
            self.count += 1
            return 0
        d = <int32_t>(tsn - e.max_tsn)
        if d > 0:
            if d >= TSN_WINDOW:
                memset(e.bits, 0, sizeof(e.bits))
            else:
                x = e.max_tsn + 1
                while x != tsn:
                    e.bits[(x & (TSN_WINDOW - 1)) >> 6] &= ~(1ULL << (x & 63))
                    x += 1
            e.max_tsn = tsn
            e.bits[bit >> 6] |= 1ULL << (bit & 63)
            return 0
        if -d >= TSN_WINDOW:
            return 0           # older than the window: cannot tell, keep it
        if e.bits[bit >> 6] & (1ULL << (bit & 63)):
            return 1
        e.bits[bit >> 6] |= 1ULL << (bit & 63)
        return 0


cdef class _TcpStream:
    cdef uint32_t next_seq
    cdef bint has_seq
    cdef bint syncing
    cdef bytearray buf
    cdef dict ooo              # seq -> bytes
    cdef Py_ssize_t ooo_bytes
    cdef int64_t buf_frame, buf_off, last_frame, last_ts

    def __init__(self):
        self.has_seq = False
        self.syncing = True
        self.buf = bytearray()
        self.ooo = {}
        self.ooo_bytes = 0


cdef class CaptureReader:
    """Iterate EventTable batches from one pcap or pcapng stream (recognised by its magic).

    `fh` is a binary file object positioned at the start of the capture. Problems in the input
    are collected in `problems` as (byte offset, layer, message) and never raised mid-file; a
    stream that is not a capture at all raises `chrtool.errors.InputError`.
    """
    cdef object fh
    cdef public object name
    cdef public int file_id
    cdef public list problems
    cdef public str format
    cdef public str byte_order
    cdef public list linktypes     # pcap: [linktype]; pcapng: one per interface, in order
    cdef public int linktype       # first interface's link type (-1 before the header is read)
    cdef public int64_t snaplen
    cdef Py_ssize_t chunk_bytes
    cdef int64_t ctr[N_COUNTERS]
    # buffer
    cdef object buf_arr
    cdef uint8_t* bp
    cdef Py_ssize_t cap, pos, end, need
    cdef int64_t base_off          # file offset of bp[0]
    cdef bint eof, finished
    # format state
    cdef int fmt
    cdef bint big
    cdef Py_ssize_t rec_hdr        # classic pcap record header length (16, or 24 for the modified format)
    cdef int64_t ts_scale
    cdef bint scanning
    cdef int64_t damage_off
    cdef str damage_what
    cdef bint warned_snaplen, warned_caplen
    cdef bint have_good
    cdef uint32_t good_sec       # time of the last record that looked entirely sane
    # pcapng interfaces
    cdef list if_link, if_units, if_offset, if_snap
    cdef set warned_ifaces
    cdef int cur_link
    # routing
    cdef uint16_t port_s1ap, port_x2ap, port_diameter, port_gtpv2
    cdef uint8_t ppid_map[256]
    cdef dict ppid_big
    # per-packet context used while emitting rows
    cdef int64_t frame_no
    cdef int64_t cur_frame, cur_ts, cur_off
    cdef bint cur_trunc
    cdef int cur_extra_flags
    cdef int cur_ipver
    cdef const uint8_t* cur_src
    cdef const uint8_t* cur_dst
    # reassembly state
    cdef dict ip_frags
    cdef Py_ssize_t ip_frag_bytes
    cdef _TsnTable tsns
    cdef dict sctp_frags
    cdef Py_ssize_t sctp_frag_bytes
    cdef dict tcp_streams
    cdef Py_ssize_t tcp_bytes
    cdef double rows_per_byte
    cdef double items_per_row

    def __init__(self, fh, name="<stream>", int file_id=0, Py_ssize_t chunk_bytes=DEF_CHUNK_BYTES,
                 ports=None, ppids=None):
        self.fh = fh
        self.name = name
        self.file_id = file_id
        self.problems = []
        self.format = None
        self.byte_order = None
        self.linktypes = []
        self.linktype = -1
        self.snaplen = 0
        self.chunk_bytes = max(chunk_bytes, 256)
        memset(self.ctr, 0, sizeof(self.ctr))
        unknown = set(ports or {}) - set(DEFAULT_PORTS)
        if unknown:
            raise ValueError("unknown port keys %s (known: %s)" % (sorted(unknown), sorted(DEFAULT_PORTS)))
        p = dict(DEFAULT_PORTS, **(ports or {}))
        self.port_s1ap = p["s1ap"]; self.port_x2ap = p["x2ap"]
        self.port_diameter = p["diameter"]; self.port_gtpv2 = p["gtpv2"]
        memset(self.ppid_map, 0, sizeof(self.ppid_map))
        self.ppid_big = {}
        for ppid, proto in {**DEFAULT_PPIDS, **(ppids or {})}.items():
            if proto is None:
                continue
            code = _PROTO_BY_NAME[proto]
            if 0 <= ppid < 256:
                self.ppid_map[ppid] = code
            else:
                self.ppid_big[int(ppid)] = code
        self.frame_no = 0
        self.pos = self.end = self.need = 0
        self.base_off = 0
        self.eof = False
        self.finished = False
        self.scanning = False
        self.warned_snaplen = self.warned_caplen = False
        self.have_good = False
        self.good_sec = 0
        self.if_link = []; self.if_units = []; self.if_offset = []; self.if_snap = []
        self.warned_ifaces = set()
        self.cur_link = -1
        self.cur_extra_flags = 0
        self.ip_frags = {}
        self.ip_frag_bytes = 0
        self.tsns = _TsnTable()
        self.sctp_frags = {}
        self.sctp_frag_bytes = 0
        self.tcp_streams = {}
        self.tcp_bytes = 0
        self.rows_per_byte = 1.0 / 128
        self.items_per_row = 4.0
        self.cap = self.chunk_bytes + MAX_RECORD + 64
        self.buf_arr = np.empty(self.cap, dtype=np.uint8)
        self._bind_buf()

    # ------------------------------------------------------------------ reporting
    @property
    def counters(self):
        return {COUNTER_NAMES[i]: self.ctr[i] for i in range(N_COUNTERS)}

    @property
    def frames(self):
        """Packets (frames) read so far, numbered as Wireshark numbers them."""
        return self.frame_no

    @property
    def state(self):
        """Sizes of the reassembly state and the read buffer (bounded; see docs/capture.md)."""
        return {"ip_datagrams": len(self.ip_frags), "ip_bytes": self.ip_frag_bytes,
                "sctp_pieces": len(self.sctp_frags), "sctp_bytes": self.sctp_frag_bytes,
                "sctp_directions": self.tsns.count, "tcp_streams": len(self.tcp_streams),
                "tcp_bytes": self.tcp_bytes,
                "buffer_bytes": self.cap}

    def problem(self, offset, layer, message):
        if len(self.problems) >= MAX_PROBLEMS:
            self.ctr[C_PROBLEMS_SUPPRESSED] += 1
            return
        self.problems.append((int(offset), layer, message))

    # ------------------------------------------------------------------ buffer
    cdef void _bind_buf(self):
        cdef uint8_t[::1] v = self.buf_arr
        self.bp = &v[0]

    cdef inline Cursor _buffer(self) noexcept:
        """The bytes read and not yet dropped, bp[:end], as a checked view."""
        return cursor(self.bp, self.end)

    cdef int _fill(self) except -1:
        """Move unread bytes to the front and read until `need` bytes (and a chunk) are there."""
        cdef Py_ssize_t keep = self.end - self.pos, target
        cdef Py_ssize_t base_cap = self.chunk_bytes + MAX_RECORD + 64
        if keep > 0 and self.pos > 0:
            memmove(self.bp, self.bp + self.pos, keep)
        self.base_off += self.pos
        self.pos = 0
        self.end = keep
        target = max(self.need, keep + self.chunk_bytes)
        if target > self.cap or (self.cap > base_cap and target <= base_cap):
            resized = np.empty(max(target, base_cap), dtype=np.uint8)
            resized[:keep] = self.buf_arr[:keep]
            self.buf_arr = resized
            self.cap = resized.shape[0]
            self._bind_buf()
        if target > self.cap:
            target = self.cap
        readinto = getattr(self.fh, "readinto", None)
        while self.end < target:
            if readinto is not None:
                with memoryview(self.buf_arr) as mv:
                    got = readinto(mv[self.end:self.cap])
                if got is None:
                    got = 0
            else:
                data = self.fh.read(self.cap - self.end)
                got = len(data)
                if got:
                    self.buf_arr[self.end:self.end + got] = np.frombuffer(data, dtype=np.uint8)
            if got == 0:
                self.eof = True
                break
            self.end += got
        self.need = 0
        return 0

    # ------------------------------------------------------------------ iteration
    def __iter__(self):
        """One EventTable per chunk. Tables come from a TablePool: a batch the consumer has let
        go (as `chrtool stats` does) is refilled for a later chunk, one it keeps stays its own."""
        cdef EventTable table
        cdef TablePool pool = TablePool()
        cdef int64_t consumed
        cdef Py_ssize_t avail, rows, items
        cdef double ipr
        self._fill()
        self._read_file_header()
        while True:
            # Sized from what earlier batches held once decoded (the decoders add NAS rows
            # and items after the capture's own), so a batch seldom grows.
            avail = self.end - self.pos
            rows = <Py_ssize_t>(self.rows_per_byte * avail * 1.08) + 64
            items = <Py_ssize_t>(rows * (self.items_per_row * 1.25 + 1)) + 64
            table = pool.get(rows, max(avail, 4096), items, self.name, self.file_id)
            consumed = self.base_off + self.pos
            if self.fmt == FMT_PCAP:
                self._walk_pcap(table)
            else:
                self._walk_pcapng(table)
            consumed = self.base_off + self.pos - consumed
            if self.eof:
                self._finish(table)
            self.ctr[C_ROWS] += table.n
            if table.n:
                yield table
            if consumed > 0:        # the batch as the consumer left it (decoded, usually)
                if table.n > rows:  # it grew: size the next ones from it alone
                    self.rows_per_byte = table.n / <double>consumed
                else:
                    self.rows_per_byte = 0.5 * self.rows_per_byte + 0.5 * (table.n / <double>consumed)
                if table.n:
                    ipr = table.n_items / <double>table.n
                    self.items_per_row = ipr if table.n_items > items else \
                        0.5 * self.items_per_row + 0.5 * ipr
            table = None
            if self.eof:
                break
            self._fill()

    def _read_file_header(self):
        cdef Py_ssize_t avail = self.end - self.pos
        cdef Cursor h = cursor(self.bp + self.pos, avail)
        cdef uint32_t magic_le
        if avail < 4:
            raise InputError("%s: %s" % (self.name, "empty file" if avail == 0 else
                                         "too short for a capture file (%d bytes)" % avail))
        magic_le = le32_at(&h, 0)
        self.rec_hdr = 16
        if magic_le == BT_SHB:
            self.fmt = FMT_PCAPNG
            self.format = "pcapng"
            self.big = False
            return
        if magic_le == 0xA1B2C3D4:
            self.big, self.ts_scale = False, 1000
        elif magic_le == 0xD4C3B2A1:
            self.big, self.ts_scale = True, 1000
        elif magic_le == 0xA1B23C4D:
            self.big, self.ts_scale = False, 1
        elif magic_le == 0x4D3CB2A1:
            self.big, self.ts_scale = True, 1
        elif magic_le == 0xA1B2CD34:
            self.big, self.ts_scale, self.rec_hdr = False, 1000, 24
        elif magic_le == 0x34CDB2A1:
            self.big, self.ts_scale, self.rec_hdr = True, 1000, 24
        else:
            raise InputError("%s: not a pcap or pcapng file (magic %s)"
                             % (self.name, bytes(self.buf_arr[self.pos:self.pos + 4]).hex()))
        self.fmt = FMT_PCAP
        self.format = "pcap"
        self.byte_order = "big" if self.big else "little"
        if avail < 24:
            self.problem(self.base_off + self.pos, "pcap",
                         "file ends inside the pcap file header (%d of 24 bytes)" % avail)
            self.pos = self.end
            self.finished = True
            return
        self.snaplen = rd32_at(&h, 16, self.big)
        self.linktype = rd32_at(&h, 20, self.big) & 0xFFFF
        self.linktypes = [self.linktype]
        self.cur_link = self.linktype
        if not link_supported(self.linktype):
            self.problem(self.base_off + 20, "pcap",
                         "link type %d is not supported; packets are counted, not decoded"
                         % self.linktype)
        self.pos += 24

    # ------------------------------------------------------------------ classic pcap
    cdef inline bint _pcap_plausible(self, Py_ssize_t at, bint strict, bint allow_empty=False) noexcept:
        """Is there a believable record header at bp[at]? (caller checked rec_hdr bytes exist)"""
        cdef Cursor buf = self._buffer()
        cdef uint32_t frac = rd32_at(&buf, at + 4, self.big)
        cdef uint32_t caplen = rd32_at(&buf, at + 8, self.big)
        cdef uint32_t origlen = rd32_at(&buf, at + 12, self.big)
        cdef int64_t lim = MAX_RECORD
        if caplen > MAX_RECORD:
            return False
        if not strict:
            return True
        if 0 < self.snaplen < MAX_RECORD:
            lim = self.snaplen
        if (caplen == 0 and not allow_empty) or caplen > lim or caplen > origlen or origlen > 0x1000000:
            return False
        if frac >= (1000000 if self.ts_scale == 1000 else 1000000000):
            return False
        return True

    cdef int _pcap_chain(self, Py_ssize_t cand, int depth) except -2:
        """1: `depth` plausible records follow each other from cand (fewer when the file ends),
        their timestamps within a day of each other; 0: not; -1: more data needed (self.need)."""
        cdef Py_ssize_t pos = cand, end = self.end, hl = self.rec_hdr, nxt
        cdef uint32_t sec, sec0 = 0, caplen
        cdef Cursor buf = self._buffer()
        cdef int k
        for k in range(depth):
            if end - pos < hl:
                if self.eof:
                    # the chain ends at the end of the file: exactly, or in a cut record
                    if pos == end and k == 1 and self.have_good:
                        # one record that ends exactly at the end of the file: believe it when
                        # its time is near the last good record's
                        return 1 if sec0 <= self.good_sec + 86400 and sec0 + 86400 >= self.good_sec else 0
                    return 1 if (pos == end and k >= 2) or k >= 3 else 0
                self.need = pos + hl - cand
                return -1
            if not self._pcap_plausible(pos, True):
                return 0
            sec = rd32_at(&buf, pos, self.big)
            if k > 0 and (sec > sec0 + 86400 or sec + 86400 < sec0):
                return 0
            sec0 = sec
            caplen = rd32_at(&buf, pos + 8, self.big)
            nxt = pos + hl + caplen
            if nxt > end:
                if self.eof:
                    return 1 if k >= 3 else 0
                self.need = nxt + hl - cand
                return -1
            pos = nxt
        return 1

    cdef int _walk_pcap(self, EventTable t) except -1:
        cdef Py_ssize_t pos = self.pos, end = self.end, hl = self.rec_hdr, nxt
        cdef uint32_t caplen, origlen, sec, frac
        cdef int r
        cdef Cursor buf = self._buffer(), packet
        cdef const uint8_t* h
        if self.finished:
            self.pos = end
            return 0
        while True:
            if self.scanning:
                r = self._scan_pcap(&pos)
                if r == 0:          # need more data
                    break
            h = span_at(&buf, pos, hl)          # the record header
            if h == NULL:
                self.need = hl
                break
            sec = rd32(h, self.big)
            frac = rd32(h + 4, self.big)
            caplen = rd32(h + 8, self.big)
            origlen = rd32(h + 12, self.big)
            if caplen > MAX_RECORD:
                self._start_damage(pos, "pcap", "record length %d is beyond any snaplen" % caplen)
                pos += 1
                continue
            if end - pos < hl + caplen:
                if self.eof:
                    # cut short, or a damaged length: look for whole records in what is left
                    self._start_damage(pos, "pcap", "record of %d bytes runs past the end of "
                                       "the file" % caplen)
                    pos += 1
                    continue
                self.need = hl + caplen
                break
            if caplen > origlen or (0 < self.snaplen < caplen):
                # A writer bug or damage: believe it only if the next record header does.
                nxt = pos + hl + caplen
                if end - nxt < hl and not self.eof:
                    self.need = hl + caplen + hl
                    break
                if end - nxt >= hl and not self._pcap_plausible(nxt, True, True):
                    self._start_damage(pos, "pcap", "implausible record header (caplen %d, origlen %d)"
                                       % (caplen, origlen))
                    pos += 1
                    continue
                if caplen > origlen and not self.warned_caplen:
                    self.warned_caplen = True
                    self.problem(self.base_off + pos, "pcap",
                                 "frame %d: captured length %d exceeds the original length %d"
                                 % (self.frame_no + 1, caplen, origlen))
                if 0 < self.snaplen < caplen and not self.warned_snaplen:
                    self.warned_snaplen = True
                    self.problem(self.base_off + pos, "pcap",
                                 "frame %d: record length %d exceeds the snaplen %d"
                                 % (self.frame_no + 1, caplen, self.snaplen))
            if caplen > 0 and caplen <= origlen and \
                    frac < (1000000 if self.ts_scale == 1000 else 1000000000):
                self.have_good = True
                self.good_sec = sec
            self.frame_no += 1
            self.ctr[C_PACKETS] += 1
            self.ctr[C_BYTES] += caplen
            self.cur_frame = self.frame_no
            self.cur_ts = <int64_t>sec * 1000000000 + <int64_t>frac * self.ts_scale
            self.cur_off = self.base_off + pos
            self.cur_trunc = caplen < origlen
            if self.cur_trunc:
                self.ctr[C_TRUNCATED] += 1
            packet = sub_at(&buf, pos + hl, caplen)
            self.link(t, &packet)
            pos += hl + caplen
        self.pos = pos
        return 0

    cdef int _start_damage(self, Py_ssize_t pos, str layer, str what) except -1:
        if not self.scanning:
            self.scanning = True
            self.damage_off = self.base_off + pos
            self.damage_what = layer + ":" + what
        return 0

    cdef int _end_damage(self, Py_ssize_t pos, bint at_eof) except -1:
        layer, what = self.damage_what.split(":", 1)
        cdef int64_t skipped = self.base_off + pos - self.damage_off
        self.ctr[C_SKIPPED_BYTES] += skipped
        if at_eof:
            self.problem(self.damage_off, layer, "%s; no valid record follows: %d bytes skipped to "
                         "the end of the file" % (what, skipped))
        else:
            self.problem(self.damage_off, layer, "%s; %d bytes skipped, resumed at byte %d"
                         % (what, skipped, self.base_off + pos))
        self.scanning = False
        return 0

    cdef int _scan_pcap(self, Py_ssize_t* ppos) except -1:
        """Scan forward for six plausible records in a row (fewer if the file ends right after).

        Returns 1 when found (ppos at it), 0 when more data is needed or the file ended."""
        cdef Py_ssize_t pos = ppos[0], end = self.end, hl = self.rec_hdr
        cdef int r
        while True:
            if end - pos < hl:
                if self.eof:
                    self._end_damage(end, True)
                    ppos[0] = end
                    self.finished = True
                    return 0
                self.need = hl
                ppos[0] = pos
                return 0
            r = self._pcap_chain(pos, 6)
            if r == 1:
                self._end_damage(pos, False)
                ppos[0] = pos
                return 1
            if r == -1:
                ppos[0] = pos
                return 0
            pos += 1

    # ------------------------------------------------------------------ pcapng
    cdef int _walk_pcapng(self, EventTable t) except -1:
        cdef Py_ssize_t pos = self.pos, end = self.end
        cdef uint32_t btype, blen, bom
        cdef bint big
        cdef int r
        cdef Cursor buf = self._buffer()
        if self.finished:
            self.pos = end
            return 0
        while True:
            if self.scanning:
                r = self._scan_pcapng(&pos)
                if r == 0:
                    break
            if end - pos < 12:
                self.need = 12
                break
            btype = rd32_at(&buf, pos, self.big)
            big = self.big
            if btype == BT_SHB:
                bom = be32_at(&buf, pos + 8)
                if bom == 0x1A2B3C4D:
                    big = True
                elif bom == 0x4D3C2B1A:
                    big = False
                else:
                    self._start_damage(pos, "pcapng", "section header with a bad byte-order magic")
                    pos += 1
                    continue
            blen = rd32_at(&buf, pos + 4, big)
            if blen < 12 or (blen & 3) or blen > MAX_BLOCK:
                self._start_damage(pos, "pcapng", "block of type 0x%x with implausible length %d"
                                   % (btype, blen))
                pos += 1
                continue
            if end - pos < blen:
                if self.eof:
                    self._start_damage(pos, "pcapng", "block of type 0x%x and %d bytes runs past "
                                       "the end of the file" % (btype, blen))
                    pos += 1
                    continue
                self.need = blen
                break
            if rd32_at(&buf, pos + blen - 4, big) != blen:
                self._start_damage(pos, "pcapng", "block of type 0x%x: trailing length does not "
                                   "match %d" % (btype, blen))
                pos += 1
                continue
            self._block(t, pos, btype, blen, big)
            pos += blen
        self.pos = pos
        return 0

    cdef bint _block_plausible(self, Py_ssize_t pos, Py_ssize_t* need) noexcept:
        """A valid block at pos (type known, length sane, trailer equal); need>0: more data."""
        cdef Py_ssize_t end = self.end
        cdef uint32_t btype, blen, bom
        cdef bint big = self.big
        cdef Cursor buf = self._buffer()
        need[0] = 0
        if end - pos < 12:
            need[0] = 12
            return False
        btype = rd32_at(&buf, pos, big)
        if btype == BT_SHB:
            bom = be32_at(&buf, pos + 8)
            if bom == 0x1A2B3C4D:
                big = True
            elif bom == 0x4D3C2B1A:
                big = False
            else:
                return False
        elif not known_block(btype):
            return False
        blen = rd32_at(&buf, pos + 4, big)
        if blen < 12 or (blen & 3) or blen > MAX_BLOCK:
            return False
        if btype == BT_EPB and (blen < 32 or rd32_at(&buf, pos + 8, big) >= len(self.if_link)):
            return False
        if end - pos < blen:
            need[0] = blen
            return False
        return rd32_at(&buf, pos + blen - 4, big) == blen

    cdef int _scan_pcapng(self, Py_ssize_t* ppos) except -1:
        cdef Py_ssize_t pos = ppos[0], end = self.end, need
        while True:
            if end - pos < 12:
                if self.eof:
                    self._end_damage(end, True)
                    ppos[0] = end
                    self.finished = True
                    return 0
                self.need = 12
                ppos[0] = pos
                return 0
            if self._block_plausible(pos, &need):
                self._end_damage(pos, False)
                ppos[0] = pos
                return 1
            if need and not self.eof:
                self.need = need
                ppos[0] = pos
                return 0
            pos += 1

    cdef int _block(self, EventTable t, Py_ssize_t pos, uint32_t btype, uint32_t blen,
                    bint big) except -1:
        cdef Cursor buf = self._buffer(), packet
        cdef Cursor b = sub_at(&buf, pos, blen)
        cdef uint32_t iface, caplen, origlen, ts_hi, ts_lo
        cdef uint64_t ts, units
        cdef int64_t off = self.base_off + pos
        cdef Py_ssize_t data_at
        if btype == BT_SHB:
            if blen < 28:
                self.problem(off, "pcapng", "section header block too short (%d bytes)" % blen)
                return 0
            self.big = big
            if rd16_at(&b, 12, big) != 1:
                self.problem(off, "pcapng", "section version %d.%d is not 1.x; read as 1.0"
                             % (rd16_at(&b, 12, big), rd16_at(&b, 14, big)))
            self.byte_order = "big" if big else "little"
            self.if_link = []; self.if_units = []; self.if_offset = []; self.if_snap = []
            return 0
        if btype == BT_IDB:
            self._idb(&b, off)
            return 0
        if btype == BT_EPB or btype == BT_OPB:
            if blen < 32:
                self.problem(off, "pcapng", "packet block too short (%d bytes)" % blen)
                return 0
            if btype == BT_EPB:
                iface = rd32_at(&b, 8, big)
            else:
                iface = rd16_at(&b, 8, big)
            ts_hi = rd32_at(&b, 12, big)
            ts_lo = rd32_at(&b, 16, big)
            caplen = rd32_at(&b, 20, big)
            origlen = rd32_at(&b, 24, big)
            data_at = 28
            if caplen > blen - 32:
                self.problem(off, "pcapng", "frame %d: captured length %d is longer than its block"
                             % (self.frame_no + 1, caplen))
                caplen = blen - 32
            ts = (<uint64_t>ts_hi << 32) | ts_lo
        elif btype == BT_SPB:
            if blen < 16:
                self.problem(off, "pcapng", "simple packet block too short (%d bytes)" % blen)
                return 0
            iface = 0
            origlen = rd32_at(&b, 8, big)
            caplen = blen - 16
            if origlen < caplen:
                caplen = origlen
            if len(self.if_snap) > 0 and 0 < <uint32_t>self.if_snap[0] < caplen:
                caplen = <uint32_t>self.if_snap[0]
            data_at = 12
            ts = 0
        elif btype == BT_CUSTOM or btype == BT_CUSTOM_NC or btype == BT_JOURNAL:
            # Wireshark shows these records as frames of their own: keep its numbering
            self.frame_no += 1
            self.ctr[C_OTHER_RECORDS] += 1
            return 0
        else:
            self.ctr[C_SKIPPED_BLOCKS] += 1
            return 0
        self.frame_no += 1
        self.ctr[C_PACKETS] += 1
        self.ctr[C_BYTES] += caplen
        if iface >= <uint32_t>len(self.if_link):
            if iface not in self.warned_ifaces:
                self.warned_ifaces.add(iface)
                self.problem(off, "pcapng", "frame %d: interface %d was never described; its "
                             "packets are counted, not decoded" % (self.frame_no, iface))
            return 0
        self.cur_link = self.if_link[iface]
        units = self.if_units[iface]
        if btype == BT_SPB:
            self.cur_ts = 0
        elif units == 1000000:
            self.cur_ts = <int64_t>(ts * 1000)
        elif units == 1000000000:
            self.cur_ts = <int64_t>ts
        else:
            self.cur_ts = <int64_t>((ts // units) * 1000000000 + chr_muldiv(ts % units, 1000000000, units))
        if btype != BT_SPB:
            self.cur_ts += <int64_t>self.if_offset[iface] * 1000000000
        self.cur_frame = self.frame_no
        self.cur_off = off
        self.cur_trunc = caplen < origlen
        if self.cur_trunc:
            self.ctr[C_TRUNCATED] += 1
        if not link_supported(self.cur_link):
            self.ctr[C_UNDECODED_LINK] += 1
            return 0
        packet = sub_at(&b, data_at, caplen)
        self.link(t, &packet)
        return 0

    cdef int _idb(self, Cursor* b, int64_t off) except -1:
        cdef bint big = self.big
        cdef int lt
        cdef Py_ssize_t blen = b.n, o = 16, end = blen - 4
        cdef uint16_t code, olen
        cdef uint64_t units = 1000000
        cdef int64_t tsoffset = 0
        cdef int v, i
        if blen < 20:
            self.problem(off, "pcapng", "interface description block too short (%d bytes)" % blen)
            lt = -1
        else:
            lt = rd16_at(b, 8, big)
            while o + 4 <= end:
                code = rd16_at(b, o, big)
                olen = rd16_at(b, o + 2, big)
                if code == 0 or o + 4 + olen > end:
                    break
                if code == 9 and olen >= 1:       # if_tsresol
                    v = u8_at(b, o + 4)
                    if v & 0x80:
                        if (v & 0x7F) > 63:
                            self.problem(off, "pcapng", "if_tsresol 2^-%d is not supported" % (v & 0x7F))
                        else:
                            units = 1ULL << (v & 0x7F)
                    else:
                        if v > 19:
                            self.problem(off, "pcapng", "if_tsresol 10^-%d is not supported" % v)
                        else:
                            units = 1
                            for i in range(v):
                                units *= 10
                elif code == 14 and olen >= 8:    # if_tsoffset (seconds)
                    if big:
                        tsoffset = <int64_t>((<uint64_t>be32_at(b, o + 4) << 32) | be32_at(b, o + 8))
                    else:
                        tsoffset = <int64_t>((<uint64_t>le32_at(b, o + 8) << 32) | le32_at(b, o + 4))
                o += 4 + ((olen + 3) & ~3)
            if units == 0:
                units = 1000000
        if len(self.if_link) >= 65536:
            self.problem(off, "pcapng", "more than 65536 interfaces; further ones ignored")
            return 0
        self.if_link.append(lt)
        self.if_units.append(units)
        self.if_offset.append(tsoffset)
        self.if_snap.append(rd32_at(b, 12, big) if blen >= 20 else 0)
        self.linktypes.append(lt)
        if self.linktype < 0:
            self.linktype = lt
            self.snaplen = self.if_snap[len(self.if_snap) - 1]
        if lt >= 0 and not link_supported(lt):
            self.problem(off, "pcapng", "interface %d: link type %d is not supported; its packets "
                         "are counted, not decoded" % (len(self.if_link) - 1, lt))
        return 0

    # ------------------------------------------------------------------ end of file
    cdef int _finish(self, EventTable t) except -1:
        cdef Py_ssize_t left = self.end - self.pos
        if self.scanning:
            self._end_damage(self.end, True)
        elif left > 0 and not self.finished:
            self.problem(self.base_off + self.pos, self.format,
                         "file ends inside a %s (%d bytes left over, %d needed)"
                         % ("record" if self.fmt == FMT_PCAP else "block", left,
                            max(self.need, left + 1)))
            self.ctr[C_SKIPPED_BYTES] += left
        self.pos = self.end
        self.finished = True
        if self.ip_frags:
            self.ctr[C_IP_FRAG_DROPPED] += len(self.ip_frags)
            first = next(iter(self.ip_frags.values()))
            self.problem(first[4], "ip", "%d IP datagrams never completed (fragments missing); "
                         "first from frame %d" % (len(self.ip_frags), first[3]))
            self.ip_frags.clear()
        if self.sctp_frags:
            self.ctr[C_SCTP_FRAG_DROPPED] += len(self.sctp_frags)
            first = next(iter(self.sctp_frags.values()))
            self.problem(first[5], "sctp", "%d fragments of SCTP user messages never completed; "
                         "first from frame %d" % (len(self.sctp_frags), first[4]))
            self.sctp_frags.clear()
        cdef _TcpStream st
        for st in self.tcp_streams.values():
            if len(st.buf):
                self.problem(st.buf_off, "tcp", "frame %d: the capture ends inside a Diameter "
                             "message on TCP (%d bytes)" % (st.buf_frame, len(st.buf)))
            if st.ooo:
                self.ctr[C_TCP_GAPS] += 1
                self.problem(st.buf_off, "tcp", "%d TCP segments (%d bytes) after a hole that the "
                             "capture never fills" % (len(st.ooo), st.ooo_bytes))
        self.tcp_streams.clear()
        self.ctr[C_STATE_RESETS] += self.tsns.resets
        if self.ctr[C_PROBLEMS_SUPPRESSED]:
            self.problems.append((self.base_off + self.pos, self.format,
                                  "%d further problems not listed" % self.ctr[C_PROBLEMS_SUPPRESSED]))
        return 0

    # ------------------------------------------------------------------ link layer
    cdef int link(self, EventTable t, Cursor* c) except -1:
        cdef uint16_t ethertype
        cdef uint32_t af
        cdef Py_ssize_t off, n = c.n
        cdef int lt = self.cur_link
        cdef Cursor ip
        self.cur_extra_flags = 0
        if lt == LINK_ETHERNET:
            if n < 14:
                return self._short(n, "ethernet")
            ethertype = be16_at(c, 12)
            off = 14
            while (ethertype == 0x8100 or ethertype == 0x88A8 or ethertype == 0x9100 or
                   ethertype == 0x9200) and off + 4 <= n:
                ethertype = be16_at(c, off + 2)
                off += 4
        elif lt == LINK_SLL:
            if n < 16:
                return self._short(n, "linux-sll")
            ethertype = be16_at(c, 14)
            off = 16
        elif lt == LINK_SLL2:
            if n < 20:
                return self._short(n, "linux-sll2")
            ethertype = be16_at(c, 0)
            off = 20
        elif lt == LINK_RAW or lt == LINK_IPV4 or lt == LINK_IPV6 or lt == LINK_RAW_12 or lt == LINK_RAW_14:
            if n < 1:
                return 0
            ethertype = 0x0800 if (u8_at(c, 0) >> 4) == 4 else (0x86DD if (u8_at(c, 0) >> 4) == 6 else 0)
            off = 0
        elif lt == LINK_NULL or lt == LINK_LOOP:
            if n < 4:
                return self._short(n, "null")
            af = be32_at(c, 0) if lt == LINK_LOOP else le32_at(c, 0)
            if lt == LINK_NULL and af > 0xFFFF:
                af = be32_at(c, 0)
            off = 4
            if af == 2:
                ethertype = 0x0800
            elif af == 10 or af == 23 or af == 24 or af == 28 or af == 30:
                ethertype = 0x86DD
            else:
                ethertype = 0
        else:
            self.ctr[C_UNDECODED_LINK] += 1
            return 0
        ip = sub_at(c, off, n - off)
        if ethertype == 0x0800:
            return self.ipv4(t, &ip)
        if ethertype == 0x86DD:
            return self.ipv6(t, &ip)
        self.ctr[C_OTHER] += 1
        return 0

    cdef int _short(self, Py_ssize_t n, str layer) except -1:
        if not self.cur_trunc:
            self.ctr[C_MALFORMED] += 1
            self.problem(self.cur_off, layer, "frame %d: %d bytes, too short for the header"
                         % (self.cur_frame, n))
        return 0

    # ------------------------------------------------------------------ IP
    cdef int ipv4(self, EventTable t, Cursor* c) except -1:
        cdef Py_ssize_t ihl, total, n = c.n
        cdef uint16_t frag
        cdef Cursor payload
        cdef const uint8_t* h = span_at(c, 0, 20)      # the fixed header
        if h == NULL or (h[0] >> 4) != 4:
            if n >= 1 and (u8_at(c, 0) >> 4) == 6:
                return self.ipv6(t, c)
            return self._short(n, "ipv4") if h == NULL else 0
        ihl = (h[0] & 0x0F) * 4
        total = be16(h + 2)
        if ihl < 20 or ihl > n or total < ihl:
            if self.cur_trunc and ihl >= 20 and ihl > n:
                return 0
            self.ctr[C_MALFORMED] += 1
            self.problem(self.cur_off, "ipv4", "frame %d: bad header length (ihl %d, total %d)"
                         % (self.cur_frame, ihl, total))
            return 0
        if total > n:
            if not self.cur_trunc:
                self.ctr[C_MALFORMED] += 1
                self.problem(self.cur_off, "ipv4", "frame %d: total length %d beyond the %d bytes "
                             "in the frame" % (self.cur_frame, total, n))
                self.cur_trunc = True
            total = n          # cut by the snaplen: use what is there, the row is marked
        self.cur_ipver = 4
        self.cur_src = h + 12
        self.cur_dst = h + 16
        frag = be16(h + 6)
        payload = sub_at(c, ihl, total - ihl)
        if (frag & 0x3FFF) != 0:
            return self.ip_fragment(t, 4, h[9], be16(h + 4), (frag & 0x1FFF) * 8,
                                    (frag & 0x2000) != 0, &payload)
        return self.transport(t, h[9], &payload)

    cdef int ipv6(self, EventTable t, Cursor* c) except -1:
        cdef Py_ssize_t plen, n = c.n
        cdef Cursor payload
        if n < 40 or (u8_at(c, 0) >> 4) != 6:
            return self._short(n, "ipv6") if n < 40 else 0
        plen = be16_at(c, 4)
        if 40 + plen < n:
            n = 40 + plen
        elif 40 + plen > n and not self.cur_trunc:
            if plen != 0:          # 0: jumbogram, take what is there
                self.ctr[C_MALFORMED] += 1
                self.problem(self.cur_off, "ipv6", "frame %d: payload length %d beyond the frame"
                             % (self.cur_frame, plen))
                self.cur_trunc = True
        self.cur_ipver = 6
        self.cur_src = span_at(c, 8, 16)
        self.cur_dst = span_at(c, 24, 16)
        payload = sub_at(c, 40, n - 40)
        return self.ipv6_ext(t, u8_at(c, 6), &payload, True)

    cdef int ipv6_ext(self, EventTable t, int nxt, Cursor* c, bint allow_frag) except -1:
        """Walk IPv6 extension headers from the start of c (next header value nxt) to the
        transport."""
        cdef Py_ssize_t off = 0, hl, n = c.n
        cdef uint16_t fo
        cdef Cursor rest
        while True:
            if nxt == 0 or nxt == 43 or nxt == 60 or nxt == 135 or nxt == 139 or nxt == 140:
                if off + 8 > n:
                    return 0
                hl = (u8_at(c, off + 1) + 1) * 8
                nxt = u8_at(c, off)
                off += hl
            elif nxt == 51:        # AH
                if off + 8 > n:
                    return 0
                hl = (u8_at(c, off + 1) + 2) * 4
                nxt = u8_at(c, off)
                off += hl
            elif nxt == 44:
                if off + 8 > n:
                    return 0
                if not allow_frag:
                    return 0
                fo = be16_at(c, off + 2)
                rest = sub_at(c, off + 8, n - off - 8)
                return self.ip_fragment(t, 6, u8_at(c, off), be32_at(c, off + 4), fo & 0xFFF8,
                                        (fo & 1) != 0, &rest)
            else:
                break
            if off > n:
                return 0
        rest = sub_at(c, off, n - off)
        return self.transport(t, nxt, &rest)

    cdef int ip_fragment(self, EventTable t, int ver, int proto, uint32_t ident, Py_ssize_t foff,
                         bint more, Cursor* frag) except -1:
        """Keep one fragment; when the datagram is whole, decode it (rare path: Python objects)."""
        cdef Py_ssize_t alen = 4 if ver == 4 else 16, i, s, e, total, n = frag.n
        cdef bytearray data
        cdef list ranges
        cdef Cursor whole
        self.ctr[C_IP_FRAGMENTS] += 1
        if self.cur_trunc:
            # a fragment cut by the snaplen can never complete its datagram
            return 0
        if foff + n > 65535 + 40 or n < 0:
            self.ctr[C_MALFORMED] += 1
            self.problem(self.cur_off, "ip", "frame %d: fragment ends beyond 64 KiB" % self.cur_frame)
            return 0
        self._expire_ip()
        key = flow_key(self.cur_src, self.cur_dst, alen, ver, proto, ident)
        entry = self.ip_frags.get(key)
        if entry is None:
            if len(self.ip_frags) >= IP_FRAG_MAX_DATAGRAMS or self.ip_frag_bytes + n > IP_FRAG_MAX_BYTES:
                self._evict_ip()
            # [data, ranges, total (-1 unknown), first frame, first offset, first ts]
            entry = [bytearray(), [], -1, self.cur_frame, self.cur_off, self.cur_ts]
            self.ip_frags[key] = entry
        data = entry[0]
        ranges = entry[1]
        if not more:
            if entry[2] >= 0 and entry[2] != foff + n:
                self.ctr[C_IP_OVERLAP] += 1
            elif entry[2] < 0:
                entry[2] = foff + n
        if len(data) < foff + n:
            self.ip_frag_bytes += foff + n - len(data)
            data.extend(bytes(foff + n - len(data)))
        # copy only the parts no earlier fragment covered (first arrival wins)
        s = foff
        e = foff + n
        for r in ranges:
            if r[0] < e and r[1] > s:
                self.ctr[C_IP_OVERLAP] += 1
                break
        self._fill_gaps(data, ranges, s, e, frag.p)
        total = entry[2]
        if total >= 0 and len(ranges) == 1 and ranges[0][0] == 0 and ranges[0][1] >= total:
            del self.ip_frags[key]
            self.ip_frag_bytes -= len(data)
            self.ctr[C_IP_REASSEMBLED] += 1
            self.cur_extra_flags |= F_REASSEMBLED
            whole = cursor(<const uint8_t*>(<char*>data), min(total, len(data)))
            if ver == 4:
                self.transport(t, proto, &whole)
            else:
                self.ipv6_ext(t, proto, &whole, False)
            self.cur_extra_flags &= ~F_REASSEMBLED
        return 0

    cdef int _fill_gaps(self, bytearray data, list ranges, Py_ssize_t s, Py_ssize_t e,
                        const uint8_t* q) except -1:
        """Copy q[.. e-s] into data[s:e] where no range covers it; merge into `ranges`."""
        cdef char* d = <char*>data
        cdef Py_ssize_t cur = s, a, b
        cdef list merged = []
        ranges.sort()
        for r in ranges:
            a = r[0]; b = r[1]
            if b <= cur or a >= e:
                continue
            if a > cur:
                memcpy(d + cur, q + (cur - s), a - cur)
            cur = max(cur, b)
            if cur >= e:
                break
        if cur < e:
            memcpy(d + cur, q + (cur - s), e - cur)
        ranges.append((s, e))
        ranges.sort()
        for r in ranges:
            if merged and r[0] <= merged[len(merged) - 1][1]:
                if r[1] > merged[len(merged) - 1][1]:
                    merged[len(merged) - 1] = (merged[len(merged) - 1][0], r[1])
            else:
                merged.append(r)
        ranges[:] = merged
        return 0

    cdef int _expire_ip(self) except -1:
        while self.ip_frags:
            key = next(iter(self.ip_frags))
            entry = self.ip_frags[key]
            if self.cur_frame - entry[3] <= TIMEOUT_FRAMES and self.cur_ts - entry[5] <= TIMEOUT_NS:
                break
            self._drop_ip(key, "timed out")
        return 0

    cdef int _evict_ip(self) except -1:
        if self.ip_frags:
            self._drop_ip(next(iter(self.ip_frags)), "evicted (reassembly state full)")
        return 0

    cdef int _drop_ip(self, key, str why) except -1:
        entry = self.ip_frags.pop(key)
        self.ip_frag_bytes -= len(entry[0])
        self.ctr[C_IP_FRAG_DROPPED] += 1
        self.problem(entry[4], "ip", "frame %d: incomplete IP datagram %s" % (entry[3], why))
        return 0

    # ------------------------------------------------------------------ transport
    cdef int transport(self, EventTable t, int ipproto, Cursor* c) except -1:
        cdef uint16_t sport, dport
        cdef Py_ssize_t ulen, n = c.n
        cdef Cursor payload
        cdef const uint8_t* h
        if ipproto == 132:
            return self.sctp(t, c)
        if ipproto == 17:
            h = span_at(c, 0, 8)                        # the UDP header
            if h == NULL:
                return self._short(n, "udp")
            self.ctr[C_UDP] += 1
            sport = be16(h)
            dport = be16(h + 2)
            ulen = be16(h + 4)
            if ulen >= 8 and ulen < n:
                n = ulen
            if sport == self.port_gtpv2 or dport == self.port_gtpv2:
                payload = sub_at(c, 8, n - 8)
                return self.gtpv2(t, &payload, sport, dport)
            return 0
        if ipproto == 6:
            return self.tcp(t, c)
        self.ctr[C_OTHER] += 1
        return 0

    cdef int gtpv2(self, EventTable t, Cursor* c, uint16_t sport, uint16_t dport) except -1:
        """One row per GTPv2-C message; a piggybacked message (P flag) gets its own row."""
        cdef Py_ssize_t off = 0, mlen, n = c.n
        cdef Cursor msg
        while n - off >= 4 and (u8_at(c, off) >> 5) == 2:
            mlen = be16_at(c, off + 2) + 4
            if mlen > n - off:
                msg = sub_at(c, off, n - off)
                self.emit(t, P_GTPV2, &msg, sport, dport, 0, 0,
                          0 if self.cur_trunc else F_MALFORMED)
                return 0
            msg = sub_at(c, off, mlen)
            self.emit(t, P_GTPV2, &msg, sport, dport, 0, 0, 0)
            if (u8_at(c, off) & 0x10) and mlen < n - off:
                off += mlen
                continue
            return 0
        return 0

    cdef int sctp(self, EventTable t, Cursor* c) except -1:
        cdef Py_ssize_t off = 12, clen, plen, n = c.n
        cdef uint16_t sport, dport, stream
        cdef uint32_t ppid, tsn, vtag
        cdef int ctype, cflags, proto, rowflags
        cdef uint64_t key
        cdef Cursor data
        cdef const uint8_t* h = span_at(c, 0, 12)      # the common header
        if h == NULL:
            return self._short(n, "sctp")
        sport = be16(h)
        dport = be16(h + 2)
        vtag = be32(h + 4)
        key = (<uint64_t>sport << 48) | (<uint64_t>dport << 32) | vtag
        while True:
            h = span_at(c, off, 4)                      # the chunk header
            if h == NULL:
                break
            ctype = h[0]
            cflags = h[1]
            clen = be16(h + 2)
            rowflags = 0
            if clen < 4:
                self.ctr[C_MALFORMED] += 1
                self.problem(self.cur_off, "sctp", "frame %d: chunk length %d" % (self.cur_frame, clen))
                return 0
            if off + clen > n:
                if not self.cur_trunc:
                    self.ctr[C_MALFORMED] += 1
                    self.problem(self.cur_off, "sctp", "frame %d: chunk of %d bytes beyond the packet"
                                 % (self.cur_frame, clen))
                    rowflags = F_MALFORMED
                clen = n - off
                rowflags |= F_TRUNCATED
            if ctype == 0:
                h = span_at(c, off, 16)                 # the DATA chunk header
                if clen < 16 or h == NULL:
                    if not (rowflags & F_TRUNCATED):
                        self.ctr[C_MALFORMED] += 1
                    off += (clen + 3) & ~3
                    continue
                self.ctr[C_SCTP_DATA] += 1
                tsn = be32(h + 4)
                stream = be16(h + 8)
                ppid = be32(h + 12)
                proto = self.route_sctp(ppid, sport, dport)
                plen = clen - 16
                data = sub_at(c, off + 16, plen)
                if proto != P_NONE:
                    if rowflags & F_TRUNCATED:
                        # partial chunk: emit it, but do not let it hide a full retransmission
                        if (cflags & 3) == 3:
                            self.emit(t, proto, &data, sport, dport, ppid, stream, rowflags)
                    elif self.tsns.seen(key, tsn):
                        self.ctr[C_SCTP_RETRANS] += 1
                    elif (cflags & 3) == 3:
                        self.emit(t, proto, &data, sport, dport, ppid, stream, 0)
                    else:
                        self.sctp_fragment(t, key, tsn, cflags, stream, be16(h + 10), ppid,
                                           proto, &data, sport, dport)
            off += (clen + 3) & ~3
        return 0

    cdef int route_sctp(self, uint32_t ppid, uint16_t sport, uint16_t dport):
        if ppid < 256:
            if self.ppid_map[ppid]:
                return self.ppid_map[ppid]
        elif self.ppid_big:
            return self.ppid_big.get(ppid, P_NONE)
        if ppid == 0:
            if sport == self.port_s1ap or dport == self.port_s1ap:
                return P_S1AP
            if sport == self.port_x2ap or dport == self.port_x2ap:
                return P_X2AP
            if sport == self.port_diameter or dport == self.port_diameter:
                return P_DIAMETER
        return P_NONE

    cdef int sctp_fragment(self, EventTable t, uint64_t key, uint32_t tsn, int cflags,
                           uint16_t stream, uint16_t ssn, uint32_t ppid, int proto,
                           Cursor* frag, uint16_t sport, uint16_t dport) except -1:
        """Keep one fragment of a user message; emit the message when B..E are all there."""
        cdef uint32_t lo, hi, x
        cdef Py_ssize_t total = 0, n = frag.n
        cdef bint unordered = (cflags & 4) != 0
        cdef bytearray msg
        cdef Cursor whole
        self.ctr[C_SCTP_FRAGMENTS] += 1
        self._expire_sctp()
        if len(self.sctp_frags) >= SCTP_FRAG_MAX_PIECES or self.sctp_frag_bytes + n > SCTP_FRAG_MAX_BYTES:
            self._drop_sctp(next(iter(self.sctp_frags)), "evicted (reassembly state full)")
        # piece: (flags, stream, ssn, data, frame, file offset, ts, ppid)
        self.sctp_frags[(key, tsn)] = (cflags, stream, ssn, cbytes(frag.p, n),
                                       self.cur_frame, self.cur_off, self.cur_ts, ppid)
        self.sctp_frag_bytes += n
        # walk back to the B fragment and forward to the E fragment
        lo = tsn
        while True:
            piece = self.sctp_frags.get((key, lo))
            if piece is None or piece[1] != stream or (not unordered and piece[2] != ssn):
                return 0
            total += len(piece[3])
            if piece[0] & 2:
                break
            lo -= 1
            if <uint32_t>(tsn - lo) > 65536:
                return 0
        hi = tsn
        while True:
            if hi != tsn:
                piece = self.sctp_frags.get((key, hi))
                if piece is None or piece[1] != stream or (not unordered and piece[2] != ssn):
                    return 0
                total += len(piece[3])
            else:
                piece = self.sctp_frags[(key, hi)]
            if piece[0] & 1:
                break
            hi += 1
            if <uint32_t>(hi - tsn) > 65536:
                return 0
        if total > SCTP_MAX_MESSAGE:
            self.problem(self.cur_off, "sctp", "frame %d: reassembled message of %d bytes dropped"
                         % (self.cur_frame, total))
        msg = bytearray()
        x = lo
        first_ppid = self.sctp_frags[(key, lo)][7]
        while True:
            piece = self.sctp_frags.pop((key, x))
            self.sctp_frag_bytes -= len(piece[3])
            if total <= SCTP_MAX_MESSAGE:
                msg += piece[3]
            if x == hi:
                break
            x += 1
        if total > SCTP_MAX_MESSAGE:
            return 0
        self.ctr[C_SCTP_REASSEMBLED] += 1
        whole = cursor(<const uint8_t*>(<char*>msg), len(msg))
        self.emit(t, proto, &whole, sport, dport, first_ppid, stream, F_REASSEMBLED)
        return 0

    cdef int _expire_sctp(self) except -1:
        while self.sctp_frags:
            k = next(iter(self.sctp_frags))
            piece = self.sctp_frags[k]
            if self.cur_frame - piece[4] <= TIMEOUT_FRAMES and self.cur_ts - piece[6] <= TIMEOUT_NS:
                break
            self._drop_sctp(k, "timed out")
        return 0

    cdef int _drop_sctp(self, k, str why) except -1:
        piece = self.sctp_frags.pop(k)
        self.sctp_frag_bytes -= len(piece[3])
        self.ctr[C_SCTP_FRAG_DROPPED] += 1
        self.problem(piece[5], "sctp", "frame %d: fragment of an SCTP user message (TSN %d) %s"
                     % (piece[4], k[1], why))
        return 0

    # ------------------------------------------------------------------ TCP (Diameter)
    cdef int tcp(self, EventTable t, Cursor* c) except -1:
        cdef uint16_t sport, dport
        cdef Py_ssize_t doff, n = c.n
        cdef uint32_t seq
        cdef int flags
        cdef Py_ssize_t alen, before
        cdef _TcpStream st
        cdef Cursor data
        cdef const uint8_t* h = span_at(c, 0, 20)      # the fixed header
        if h == NULL:
            return self._short(n, "tcp")
        self.ctr[C_TCP] += 1
        sport = be16(h)
        dport = be16(h + 2)
        if sport != self.port_diameter and dport != self.port_diameter:
            return 0
        doff = (h[12] >> 4) * 4
        if doff < 20 or doff > n:
            if not self.cur_trunc:
                self.ctr[C_MALFORMED] += 1
                self.problem(self.cur_off, "tcp", "frame %d: bad header length %d"
                             % (self.cur_frame, doff))
            return 0
        seq = be32(h + 4)
        flags = h[13]
        self.ctr[C_TCP_SEGMENTS] += 1
        alen = 4 if self.cur_ipver == 4 else 16
        key = flow_key(self.cur_src, self.cur_dst, alen, sport, dport, 0)
        st = self.tcp_streams.pop(key, None)
        if st is None:
            if len(self.tcp_streams) >= TCP_MAX_STREAMS:
                self._tcp_evict_oldest("evicted (too many streams)")
            st = _TcpStream()
        self.tcp_streams[key] = st        # most recently used last
        before = len(st.buf) + st.ooo_bytes
        st.last_frame = self.cur_frame
        st.last_ts = self.cur_ts
        if flags & 0x02:                  # SYN: a new stream starts after it
            if len(st.buf):
                self._tcp_close(st, "restarted by SYN")
            st.ooo.clear()
            st.ooo_bytes = 0
            st.next_seq = seq + 1
            st.has_seq = True
            st.syncing = False
            seq += 1
        if n > doff:
            if self.cur_trunc:
                # payload cut by the snaplen: the stream has a hole we cannot fill
                self._tcp_gap(st, seq + <uint32_t>(n - doff))
            else:
                data = sub_at(c, doff, n - doff)
                self.tcp_data(t, st, seq, data.p, data.n, sport, dport)
        if flags & 0x05:                  # FIN or RST
            if len(st.buf):
                self._tcp_close(st, "closed")
            del self.tcp_streams[key]
            self.tcp_bytes -= before
            return 0
        self.tcp_bytes += len(st.buf) + st.ooo_bytes - before
        while self.tcp_bytes > TCP_MAX_BYTES and len(self.tcp_streams) > 1:
            self._tcp_evict_oldest("evicted (TCP reassembly state full)")
        return 0

    cdef int _tcp_evict_oldest(self, str why) except -1:
        cdef _TcpStream old = self.tcp_streams.pop(next(iter(self.tcp_streams)))
        self.tcp_bytes -= len(old.buf) + old.ooo_bytes
        self._tcp_close(old, why)
        return 0

    cdef int _tcp_close(self, _TcpStream st, str why) except -1:
        if len(st.buf):
            self.problem(st.buf_off, "tcp", "frame %d: TCP stream %s inside a Diameter message "
                         "(%d bytes dropped)" % (st.buf_frame, why, len(st.buf)))
        st.buf.clear()
        st.ooo.clear()
        st.ooo_bytes = 0
        st.has_seq = False
        st.syncing = True
        return 0

    cdef int _tcp_gap(self, _TcpStream st, uint32_t resume_seq) except -1:
        self.ctr[C_TCP_GAPS] += 1
        if len(st.buf):
            self.problem(st.buf_off, "tcp", "frame %d: bytes missing from the TCP stream; the "
                         "Diameter message in progress (%d bytes) is dropped"
                         % (st.buf_frame, len(st.buf)))
            st.buf.clear()
        st.next_seq = resume_seq
        st.has_seq = True
        st.syncing = True
        return 0

    cdef int tcp_data(self, EventTable t, _TcpStream st, uint32_t seq, const uint8_t* p,
                      Py_ssize_t n, uint16_t sport, uint16_t dport) except -1:
        cdef int32_t d
        cdef uint32_t s, first
        if not st.has_seq:
            st.next_seq = seq
            st.has_seq = True
        d = <int32_t>(seq - st.next_seq)
        if d < 0:
            if -d >= n:
                self.ctr[C_TCP_RETRANS] += 1
                return 0
            p += -d
            n -= -d
            seq = st.next_seq
            d = 0
        if d > 0:
            # a hole before this segment: hold it until the hole fills (bounded)
            self.ctr[C_TCP_OOO] += 1
            old = st.ooo.get(seq)
            if old is None or len(old) < n:
                st.ooo_bytes += n - (0 if old is None else len(old))
                st.ooo[seq] = cbytes(p, n)
            if len(st.ooo) <= TCP_MAX_OOO_SEGMENTS and st.ooo_bytes <= TCP_MAX_OOO_BYTES:
                return 0
            # waited long enough: the missing bytes are not in the capture; go on after them
            first = seq
            for k in st.ooo:
                s = k
                if <int32_t>(s - first) < 0:
                    first = s
            self._tcp_gap(st, first)
        else:
            self.tcp_consume(t, st, p, n, sport, dport)
            st.next_seq = seq + <uint32_t>n
        self._tcp_drain(t, st, sport, dport)
        return 0

    cdef int _tcp_drain(self, EventTable t, _TcpStream st, uint16_t sport, uint16_t dport) except -1:
        """Consume held segments that the stream has reached."""
        cdef uint32_t s
        cdef int32_t d
        cdef bytes seg
        while st.ooo:
            best = None
            for k in st.ooo:
                s = k
                if <int32_t>(s - st.next_seq) <= 0:
                    best = k
                    break
            if best is None:
                return 0
            seg = st.ooo.pop(best)
            st.ooo_bytes -= len(seg)
            s = best
            d = <int32_t>(st.next_seq - s)
            if d < len(seg):
                self.tcp_consume(t, st, (<const uint8_t*>seg) + d, len(seg) - d, sport, dport)
                st.next_seq = s + <uint32_t>len(seg)
            else:
                self.ctr[C_TCP_RETRANS] += 1
        return 0

    cdef int tcp_consume(self, EventTable t, _TcpStream st, const uint8_t* p, Py_ssize_t n,
                         uint16_t sport, uint16_t dport) except -1:
        """In-order stream bytes: split them into Diameter messages by the 24-bit length."""
        cdef Py_ssize_t off = 0, mlen, old, used
        cdef const uint8_t* q
        cdef bytearray buf = st.buf
        if n <= 0:
            return 0
        if len(buf) == 0:
            off = self._diameter_split(t, st, p, n, 0, sport, dport)
            if off < n:
                bytearray_add(buf, p + off, n - off)
                st.buf_frame = self.cur_frame
                st.buf_off = self.cur_off
            return 0
        old = len(buf)
        bytearray_add(buf, p, n)
        used = self._diameter_split(t, st, <const uint8_t*>(<char*>buf), len(buf), old, sport, dport)
        del buf[:used]
        if len(buf) > MAX_DIAMETER + 4:
            self.problem(st.buf_off, "tcp", "frame %d: Diameter message longer than %d bytes; "
                         "stream resynchronised" % (st.buf_frame, MAX_DIAMETER))
            buf.clear()
            st.syncing = True
        if len(buf) and used:
            st.buf_frame = self.cur_frame
            st.buf_off = self.cur_off
        return 0

    cdef Py_ssize_t _diameter_split(self, EventTable t, _TcpStream st, const uint8_t* p,
                                    Py_ssize_t n, Py_ssize_t old, uint16_t sport,
                                    uint16_t dport) except -1:
        """Emit every complete Diameter message in p[:n]; returns the bytes used.

        Bytes before `old` came from earlier segments (a message starting there is reassembled)."""
        cdef Py_ssize_t off = 0, mlen, start
        cdef Cursor c = cursor(p, n), msg
        while n - off >= 4:
            if st.syncing:
                start = off
                while off < n and not diameter_plausible(&c, off):
                    off += 1
                if off - start:
                    self.ctr[C_SKIPPED_BYTES] += off - start
                if n - off < 20:
                    if off >= n:
                        return n
                    return off      # keep the candidate, decide when more bytes come
                st.syncing = False
            mlen = be24_at(&c, off + 1)
            if u8_at(&c, off) != 1 or mlen < 20 or mlen > MAX_DIAMETER:
                self.ctr[C_MALFORMED] += 1
                self.problem(self.cur_off, "diameter", "frame %d: not a Diameter header in the TCP "
                             "stream (version %d, length %d); resynchronising"
                             % (self.cur_frame, u8_at(&c, off), mlen))
                st.syncing = True
                off += 1
                continue
            if mlen > n - off:
                break
            if off < old:
                self.ctr[C_TCP_REASSEMBLED] += 1
            msg = sub_at(&c, off, mlen)
            self.emit(t, P_DIAMETER, &msg, sport, dport, 0, 0, F_REASSEMBLED if off < old else 0)
            off += mlen
        return off

    # ------------------------------------------------------------------ rows
    cdef int emit(self, EventTable t, int proto, Cursor* msg, uint16_t sport, uint16_t dport,
                  uint32_t ppid, uint16_t stream, int flags) except -1:
        """A row for the message bytes of view msg (copied into the batch's data)."""
        cdef Py_ssize_t row = append_row(t)
        t.frame[row] = self.cur_frame
        t.ts_ns[row] = self.cur_ts
        t.src_offset[row] = self.cur_off
        t.proto[row] = proto
        t.sport[row] = sport
        t.dport[row] = dport
        t.ppid[row] = ppid
        t.stream[row] = stream
        t.ip_version[row] = self.cur_ipver
        flags |= self.cur_extra_flags
        if self.cur_trunc:
            flags |= F_TRUNCATED
        t.flags[row] = flags
        if self.cur_ipver == 4:
            memcpy(&t.src[row, 0], self.cur_src, 4)
            memcpy(&t.dst[row, 0], self.cur_dst, 4)
        else:
            memcpy(&t.src[row, 0], self.cur_src, 16)
            memcpy(&t.dst[row, 0], self.cur_dst, 16)
        t.payload_off[row] = append_data(t, msg.p, msg.n)
        t.payload_len[row] = msg.n
        return 0
