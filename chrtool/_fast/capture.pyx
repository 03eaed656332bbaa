# cython: language_level=3
"""Capture framing: pcap records -> link layer -> IP -> SCTP/UDP/TCP -> message rows.

The reader fills EventTable batches; no Python object is made per packet. Payloads are copied
into the batch's data buffer, so a batch stays valid after the file chunk it came from is gone.
"""
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy, memset
from chrtool._fast.events cimport (EventTable, P_NONE, P_S1AP, P_X2AP, P_DIAMETER, P_GTPV2,
                                   F_TRUNCATED)
from chrtool._fast.bytes cimport be16, be32, rd16, rd32

DEF_CHUNK_BYTES = 8 << 20
MAX_RECORD = 1 << 18          # pcap's largest sane snaplen (262144)

cdef enum:
    LINK_NULL = 0
    LINK_ETHERNET = 1
    LINK_RAW = 101
    LINK_SLL = 113
    LINK_IPV4 = 228
    LINK_IPV6 = 229
    LINK_SLL2 = 276

# Default routing, overridable per reader (DESIGN: ports configurable).
DEFAULT_PORTS = {"s1ap": 36412, "x2ap": 36422, "diameter": 3868, "gtpv2": 2123}


cdef class CaptureReader:
    """Iterate EventTable batches from one classic pcap stream.

    `fh` is a binary file object positioned at the start of the capture. Problems in the input
    are collected in `problems` as (byte offset, layer, message) and never raised mid-file.
    """
    cdef object fh
    cdef public object name
    cdef public int file_id
    cdef public list problems
    cdef public dict counters
    cdef Py_ssize_t chunk_bytes
    cdef bint big
    cdef int64_t ts_scale
    cdef public int linktype
    cdef int64_t frame_no
    cdef int64_t file_pos
    cdef uint16_t port_s1ap, port_x2ap, port_diameter, port_gtpv2
    # per-packet context used while emitting rows
    cdef int64_t cur_frame, cur_ts, cur_off
    cdef bint cur_trunc
    cdef int cur_ipver
    cdef const uint8_t* cur_src
    cdef const uint8_t* cur_dst

    def __init__(self, fh, name="<stream>", int file_id=0, Py_ssize_t chunk_bytes=DEF_CHUNK_BYTES,
                 ports=None):
        self.fh = fh
        self.name = name
        self.file_id = file_id
        self.problems = []
        self.counters = {"packets": 0, "bytes": 0, "sctp_data": 0, "udp": 0, "tcp": 0,
                         "other": 0, "ip_fragments": 0, "sctp_fragments": 0}
        self.chunk_bytes = max(chunk_bytes, MAX_RECORD + 16)
        p = dict(DEFAULT_PORTS, **(ports or {}))
        self.port_s1ap = p["s1ap"]; self.port_x2ap = p["x2ap"]
        self.port_diameter = p["diameter"]; self.port_gtpv2 = p["gtpv2"]
        self.frame_no = 0
        self.file_pos = 0

    def problem(self, offset, layer, message):
        self.problems.append((int(offset), layer, message))

    def _read_header(self):
        hdr = self.fh.read(24)
        if len(hdr) < 24:
            raise ValueError("file too short for a pcap header")
        magic = hdr[:4]
        if magic == b"\xd4\xc3\xb2\xa1":
            self.big, self.ts_scale = False, 1000
        elif magic == b"\xa1\xb2\xc3\xd4":
            self.big, self.ts_scale = True, 1000
        elif magic == b"\x4d\x3c\xb2\xa1":
            self.big, self.ts_scale = False, 1
        elif magic == b"\xa1\xb2\x3c\x4d":
            self.big, self.ts_scale = True, 1
        else:
            raise ValueError("not a classic pcap file (magic %s)" % magic.hex())
        cdef const uint8_t[::1] h = hdr
        self.linktype = rd32(&h[20], self.big) & 0xFFFF
        self.file_pos = 24

    def __iter__(self):
        self._read_header()
        cdef bytearray pending = bytearray()
        cdef EventTable table
        while True:
            block = self.fh.read(self.chunk_bytes)
            if pending:
                pending.extend(block)
                buf = pending
            else:
                buf = bytearray(block)
            eof = len(block) == 0
            table = EventTable(capacity=4096, data_capacity=max(len(buf), 1024),
                               file=self.name, file_id=self.file_id)
            used = self._walk(table, buf, eof)
            pending = bytearray(buf[used:])
            if table.n:
                yield table
            if eof:
                break

    cdef Py_ssize_t _walk(self, EventTable t, bytearray buf, bint eof) except -1:
        """Decode every complete record in buf; returns the bytes consumed."""
        cdef const uint8_t[::1] view = buf
        cdef Py_ssize_t n = len(buf), pos = 0
        cdef uint32_t caplen, origlen
        cdef int64_t ts
        if n == 0:
            return 0
        while pos + 16 <= n:
            caplen = rd32(&view[pos + 8], self.big)
            origlen = rd32(&view[pos + 12], self.big)
            if caplen > MAX_RECORD:
                self.problem(self.file_pos + pos, "pcap",
                             "record length %d is beyond any snaplen; rest of file skipped" % caplen)
                self.fh.seek(0, 2)
                return n
            if pos + 16 + caplen > n:
                break
            ts = <int64_t>rd32(&view[pos], self.big) * 1000000000 + \
                 <int64_t>rd32(&view[pos + 4], self.big) * self.ts_scale
            self.frame_no += 1
            self.counters["packets"] += 1
            self.counters["bytes"] += caplen
            self.cur_frame = self.frame_no
            self.cur_ts = ts
            self.cur_off = self.file_pos + pos
            self.cur_trunc = caplen < origlen
            self.link(t, &view[pos + 16], caplen)
            pos += 16 + caplen
        if eof and pos < n:
            self.problem(self.file_pos + pos, "pcap",
                         "file ends inside a record (%d bytes left over)" % (n - pos))
            pos = n
        self.file_pos += pos
        return pos

    cdef int link(self, EventTable t, const uint8_t* p, Py_ssize_t n) except -1:
        cdef uint16_t ethertype
        cdef Py_ssize_t off
        if self.linktype == LINK_ETHERNET:
            if n < 14:
                return 0
            ethertype = be16(p + 12)
            off = 14
            while (ethertype == 0x8100 or ethertype == 0x88A8) and off + 4 <= n:
                ethertype = be16(p + off + 2)
                off += 4
        elif self.linktype == LINK_SLL:
            if n < 16:
                return 0
            ethertype = be16(p + 14)
            off = 16
        elif self.linktype == LINK_SLL2:
            if n < 20:
                return 0
            ethertype = be16(p)
            off = 20
        elif self.linktype == LINK_RAW or self.linktype == LINK_IPV4 or self.linktype == LINK_IPV6:
            if n < 1:
                return 0
            ethertype = 0x0800 if (p[0] >> 4) == 4 else 0x86DD
            off = 0
        elif self.linktype == LINK_NULL:
            if n < 4:
                return 0
            ethertype = 0x0800 if (p[0] == 2 or p[3] == 2) else 0x86DD
            off = 4
        else:
            return 0
        if ethertype == 0x0800:
            return self.ipv4(t, p + off, n - off)
        if ethertype == 0x86DD:
            return self.ipv6(t, p + off, n - off)
        self.counters["other"] += 1
        return 0

    cdef int ipv4(self, EventTable t, const uint8_t* p, Py_ssize_t n) except -1:
        cdef Py_ssize_t ihl, total
        if n < 20 or (p[0] >> 4) != 4:
            return 0
        ihl = (p[0] & 0x0F) * 4
        total = be16(p + 2)
        if ihl < 20 or ihl > n:
            self.problem(self.cur_off, "ipv4", "frame %d: bad header length" % self.cur_frame)
            return 0
        if total > n:
            total = n          # cut by the snaplen: use what is there, the row is marked
        if total < ihl:
            total = n
        if (be16(p + 6) & 0x3FFF) != 0:
            self.counters["ip_fragments"] += 1   # reassembly: capture issue
            return 0
        self.cur_ipver = 4
        self.cur_src = p + 12
        self.cur_dst = p + 16
        return self.transport(t, p[9], p + ihl, total - ihl)

    cdef int ipv6(self, EventTable t, const uint8_t* p, Py_ssize_t n) except -1:
        cdef Py_ssize_t plen
        cdef int nxt
        cdef Py_ssize_t off = 40
        if n < 40 or (p[0] >> 4) != 6:
            return 0
        plen = be16(p + 4)
        nxt = p[6]
        if 40 + plen < n:
            n = 40 + plen
        # hop-by-hop, routing, destination options
        while (nxt == 0 or nxt == 43 or nxt == 60) and off + 8 <= n:
            nxt = p[off]
            off += (p[off + 1] + 1) * 8
        if nxt == 44 or off > n:
            self.counters["ip_fragments"] += 1
            return 0
        self.cur_ipver = 6
        self.cur_src = p + 8
        self.cur_dst = p + 24
        return self.transport(t, nxt, p + off, n - off)

    cdef int transport(self, EventTable t, int ipproto, const uint8_t* p, Py_ssize_t n) except -1:
        cdef uint16_t sport, dport
        cdef int proto
        if ipproto == 132:
            return self.sctp(t, p, n)
        if ipproto == 17:
            if n < 8:
                return 0
            self.counters["udp"] += 1
            sport = be16(p)
            dport = be16(p + 2)
            if (sport == self.port_gtpv2 or dport == self.port_gtpv2) and n > 8 and (p[8] >> 5) == 2:
                self.emit(t, P_GTPV2, p + 8, n - 8, sport, dport, 0, 0)
            return 0
        if ipproto == 6:
            if n < 20:
                return 0
            self.counters["tcp"] += 1
            sport = be16(p)
            dport = be16(p + 2)
            off = (p[12] >> 4) * 4
            if (sport == self.port_diameter or dport == self.port_diameter) and 20 <= off < n:
                self.emit(t, P_DIAMETER, p + off, n - off, sport, dport, 0, 0)
            return 0
        self.counters["other"] += 1
        return 0

    cdef int sctp(self, EventTable t, const uint8_t* p, Py_ssize_t n) except -1:
        cdef Py_ssize_t off = 12, clen
        cdef uint16_t sport, dport, stream
        cdef uint32_t ppid
        cdef int ctype, cflags, proto
        if n < 12:
            return 0
        sport = be16(p)
        dport = be16(p + 2)
        while off + 4 <= n:
            ctype = p[off]
            cflags = p[off + 1]
            clen = be16(p + off + 2)
            if clen < 4:
                self.problem(self.cur_off, "sctp", "frame %d: chunk length %d" % (self.cur_frame, clen))
                return 0
            if off + clen > n:
                clen = n - off   # truncated chunk: decode what is there, row marked truncated
                self.cur_trunc = True
            if ctype == 0 and clen >= 16:
                self.counters["sctp_data"] += 1
                stream = be16(p + off + 8)
                ppid = be32(p + off + 12)
                if (cflags & 3) != 3:
                    self.counters["sctp_fragments"] += 1   # reassembly: capture issue
                else:
                    proto = self.route_sctp(ppid, sport, dport)
                    if proto != P_NONE:
                        self.emit(t, proto, p + off + 16, clen - 16, sport, dport, ppid, stream)
            off += (clen + 3) & ~3
        return 0

    cdef int route_sctp(self, uint32_t ppid, uint16_t sport, uint16_t dport):
        if ppid == 18:
            return P_S1AP
        if ppid == 27:
            return P_X2AP
        if ppid == 46 or ppid == 47:
            return P_DIAMETER
        if ppid == 0:
            if sport == self.port_s1ap or dport == self.port_s1ap:
                return P_S1AP
            if sport == self.port_x2ap or dport == self.port_x2ap:
                return P_X2AP
            if sport == self.port_diameter or dport == self.port_diameter:
                return P_DIAMETER
        return P_NONE

    cdef int emit(self, EventTable t, int proto, const uint8_t* p, Py_ssize_t n,
                  uint16_t sport, uint16_t dport, uint32_t ppid, uint16_t stream) except -1:
        cdef Py_ssize_t row = t.add_row()
        t.frame[row] = self.cur_frame
        t.ts_ns[row] = self.cur_ts
        t.src_offset[row] = self.cur_off
        t.proto[row] = proto
        t.sport[row] = sport
        t.dport[row] = dport
        t.ppid[row] = ppid
        t.stream[row] = stream
        t.ip_version[row] = self.cur_ipver
        if self.cur_trunc:
            t.flags[row] |= F_TRUNCATED
        memset(&t.src[row, 0], 0, 16)
        memset(&t.dst[row, 0], 0, 16)
        if self.cur_ipver == 4:
            memcpy(&t.src[row, 0], self.cur_src, 4)
            memcpy(&t.dst[row, 0], self.cur_dst, 4)
        else:
            memcpy(&t.src[row, 0], self.cur_src, 16)
            memcpy(&t.dst[row, 0], self.cur_dst, 16)
        t.payload_off[row] = t.add_data(p, n)
        t.payload_len[row] = n
        return 0
