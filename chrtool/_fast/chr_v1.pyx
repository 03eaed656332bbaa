# cython: language_level=3
"""chr-v1 bulk decoder: records -> EventTable rows, no Python object per record.

The format is declared in decoders/chr_v1.py (construct; the reference reader and writer) and
described in docs/formats/chr-v1.md. This decoder must agree with the declaration on every
record (tests/_fast/test_chr_v1.py). Bytes are read through checked cursors (bytes.pxd) over
the buffer and over each record, and a length is checked against the record before its fields
are used; damage is reported in `problems` as (byte offset, layer, message) and decoding resumes
at the next record marker.

Rows: CHR events get proto P_CHR, msg = event id, frame = 1-based record number; copies of
S1AP/X2AP messages get proto P_S1AP/P_X2AP with the PDU in the data buffer (msg left for the
protocol decoder), carrying the record's UE identities.
"""
import io
import mmap
import os
import stat

import numpy as np

from cpython.ref cimport Py_REFCNT
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memmove, memset
from chrtool._fast.events cimport (EventTable, P_CHR, P_S1AP, P_X2AP, F_MALFORMED, F_UNKNOWN_MSG,
                                   C_CHR, K_TARGET_ECGI, K_TARGET_NR_CGI, S_RAW, M_NEIGHBOUR,
                                   init_row, malformed, put_cause, put_cell, put_erab, put_guti,
                                   put_meas, put_str)
from chrtool._fast.events cimport new_table as ev_new_table
from chrtool._fast.bytes cimport (Cursor, cursor, span_at, sub_at, u8_at, le16_at, be24, le16,
                                  le32, le64)
from chrtool._fast.tbcd cimport tbcd

from chrtool.errors import DecodeError
from chrtool.decoders import chr_v1 as spec

DEF_CHUNK_BYTES = 1 << 20          # measured best: a batch whose columns stay in cache
# Bytes of a regular file mapped at a time (the mapping moves along the file; page-cache pages,
# not copies, so memory stays bounded by this and not by the file).
WINDOW_BYTES = 8 << 20
# MAP_POPULATE: the window's page-table entries are made in one go (measured ~3% faster than
# taking a fault per 64 KiB), on systems that have it.
MAP_FLAGS = getattr(mmap, "MAP_SHARED", 0) | getattr(mmap, "MAP_POPULATE", 0)
POOL_TABLES = 3                    # batches kept for reuse once the consumer has let them go
MAGIC = spec.MAGIC
LAYER = "chr-v1"

cdef enum:
    RECORD_FIXED = 16
    MAX_RECORD = 0xFFFF
    SYNC0 = 0xA5
    SYNC1 = 0x5A
    PRESENT_CELL = 0x001
    PRESENT_IMSI = 0x002
    PRESENT_STMSI = 0x004
    PRESENT_MME = 0x008
    PRESENT_ENB = 0x010
    PRESENT_MENB = 0x020
    PRESENT_SGNB = 0x040
    PRESENT_CRNTI = 0x080
    PRESENT_TAC = 0x100
    PRESENT_RESERVED = 0xFE00
    TAG_CAUSE = 1
    TAG_PROTO_CAUSE = 2
    TAG_MEAS = 3
    TAG_TARGET_CELL = 4
    TAG_SECONDARY_CELL = 5
    TAG_ERAB = 6
    TAG_RAW_PDU = 7
    TAG_EST_CAUSE = 8
    TAG_RRC_RAW = 9
    CAUSE_KIND_EST = 1

# Per event id: 0 unknown, 1 CHR event, P_S1AP/P_X2AP + 16 for raw copies (filled from spec).
cdef uint8_t EVENT_KIND[65536]
# Size of the identity block for each combination of the 9 `present` bits.
cdef uint8_t IDENT_SIZE[512]
cdef int[9] _SIZES = [12, 8, 5, 4, 4, 4, 4, 2, 4]


def _init_tables():
    cdef int i, b, s
    for i in range(65536):
        EVENT_KIND[i] = 0
    for eid in spec.EVENTS:
        EVENT_KIND[eid] = 1
    for eid, proto in spec.RAW_EVENTS.items():
        EVENT_KIND[eid] = 16 + (P_S1AP if proto == "S1AP" else P_X2AP)
    for i in range(512):
        s = 0
        for b in range(9):
            if i & (1 << b):
                s += _SIZES[b]
        IDENT_SIZE[i] = s
    assert tuple(spec.IDENTITY_SIZES.values()) == tuple(_SIZES[b] for b in range(9))
    assert spec.RECORD_FIXED == RECORD_FIXED and spec.SYNC == bytes([SYNC0, SYNC1])


_init_tables()


cdef inline void init_rows(EventTable t, Py_ssize_t lo, Py_ssize_t hi) noexcept:
    """Column defaults for rows lo..hi, row by row (init_row, events.pxd): one pass over memory
    instead of np.full's fill pass plus the decoder's write pass."""
    cdef Py_ssize_t r
    for r in range(lo, hi):
        init_row(t, r)


def new_table(Py_ssize_t rows, Py_ssize_t data_capacity, Py_ssize_t item_capacity, name,
              int file_id):
    """An empty EventTable for `rows` rows whose every row holds the column defaults (as
    EventTable.add_row promises), made without np.full's slow generic fill."""
    cdef EventTable t = ev_new_table(rows, data_capacity, item_capacity, name, file_id)
    init_rows(t, 0, t.frame.shape[0])
    return t


cdef inline Py_ssize_t put_data(EventTable t, const uint8_t* p, Py_ssize_t length) except -1:
    """EventTable.add_data inline (the data buffer grows through add_data when full)."""
    cdef Py_ssize_t off = t.n_data
    if off + length > t.data.shape[0]:
        return t.add_data(p, length)
    if length > 0:
        memcpy(&t.data[off], p, length)
    t.n_data = off + length
    return off


cdef tuple table_objects(EventTable t):
    """The objects a consumer could still hold a batch's memory through."""
    return (t, t.cols, t.item_cols, t.data_array, *t.cols.values(), *t.item_cols.values())


cdef bint same_objects(tuple a, tuple b):
    cdef Py_ssize_t i
    if len(a) != len(b):
        return False
    for i in range(len(a)):
        if a[i] is not b[i]:
            return False
    return True


cdef tuple refcounts(tuple objs):
    return tuple([Py_REFCNT(o) for o in objs])


def map_window(fd, Py_ssize_t length, int64_t offset):
    """A read-only mapping of `length` bytes of the file from `offset`."""
    if hasattr(mmap, "PROT_READ"):
        return mmap.mmap(fd, length, flags=MAP_FLAGS, prot=mmap.PROT_READ, offset=offset)
    return mmap.mmap(fd, length, access=mmap.ACCESS_READ, offset=offset)


cdef inline bint plausible(Cursor* b, Py_ssize_t at) noexcept nogil:
    """A record could start at b[at] (the caller saw 8 bytes there)."""
    return (u8_at(b, at + 2) == SYNC0 and u8_at(b, at + 3) == SYNC1
            and le16_at(b, at) >= RECORD_FIXED and (le16_at(b, at + 6) & PRESENT_RESERVED) == 0)


cdef class ChrV1Reader:
    """Iterate EventTable batches from one chr-v1 stream.

    `fh` is a binary file object at the start of the file. `header` holds the file header once
    iteration has started. A file that is not chr-v1 (bad magic, unknown major version, cut
    header) raises DecodeError; damage after the header is collected in `problems` and never
    raised, and `counters` says how much was read, skipped and not understood.

    A regular file (open(path, "rb"), buffered or not) is decoded from a read-only memory map
    that moves along it WINDOW_BYTES at a time (use_mmap=False turns that off); anything else
    (gzip, pipes, BytesIO) through one reused read buffer. A batch covers about chunk_bytes of
    records. Once the consumer holds nothing of a batch (not the table, nor a column, item array,
    the data array or a view of them), the reader reuses its memory for a later batch;
    `tables_made` and `tables_reused` count both.
    """
    cdef object fh
    cdef public object name
    cdef public int file_id
    cdef public list problems
    cdef public dict counters
    cdef public dict header
    cdef public int max_problems
    cdef Py_ssize_t chunk_bytes
    cdef int64_t recno, file_pos, base_pos
    cdef bint resyncing
    cdef int64_t c_records, c_unknown_events, c_unknown_params, c_malformed, c_resyncs
    cdef int64_t c_skipped, c_raw, c_problems
    cdef double items_per_row, rows_per_byte, raw_per_byte
    cdef bint have_stats
    cdef public bint use_mmap
    cdef public int64_t tables_made, tables_reused

    def __init__(self, fh, name="<stream>", int file_id=0,
                 Py_ssize_t chunk_bytes=DEF_CHUNK_BYTES, int max_problems=1000,
                 bint use_mmap=True):
        self.fh = fh
        self.name = name
        self.file_id = file_id
        self.problems = []
        self.counters = {}
        self.header = None
        self.max_problems = max_problems
        self.chunk_bytes = max(chunk_bytes, 4096)
        self.use_mmap = use_mmap
        self.items_per_row = 3.0
        self._flush_counters()

    def problem(self, offset, layer, message):
        self.c_problems += 1
        if len(self.problems) < self.max_problems:
            self.problems.append((int(offset), layer, message))
        elif len(self.problems) == self.max_problems:
            self.problems.append((int(offset), layer,
                                  "further problems not listed (see counters['problems'])"))

    def _flush_counters(self):
        self.counters.update(records=self.c_records, bytes=self.file_pos,
                             unknown_events=self.c_unknown_events,
                             unknown_params=self.c_unknown_params,
                             malformed_records=self.c_malformed, resyncs=self.c_resyncs,
                             skipped_bytes=self.c_skipped, raw_messages=self.c_raw,
                             problems=self.c_problems)

    def _error(self, offset, message, snippet=b""):
        return DecodeError(message, file=self.name, offset=offset, layer=LAYER, snippet=snippet)

    def read_header(self):
        """Read and check the file header; returns it as a dict (also kept in `header`)."""
        head = self.fh.read(12)
        if len(head) < 12 or head[:8] != MAGIC:
            if len(head) >= 8 and head[:8] != MAGIC:
                raise self._error(0, "not a chr-v1 file: the magic is not 89 43 48 52 0d 0a 1a 0a",
                                  head)
            raise self._error(0, "file too short for a chr-v1 header (%d bytes)" % len(head), head)
        major, minor = head[8], head[9]
        hlen = head[10] | head[11] << 8
        if major != spec.VERSION[0]:
            raise self._error(8, "chr-v1 version %d.%d is not supported (this reader reads %d.x)"
                              % (major, minor, spec.VERSION[0]), head[8:12])
        if hlen < spec.HEADER_FIXED:
            raise self._error(10, "header length %d is shorter than the fixed header (%d)"
                              % (hlen, spec.HEADER_FIXED), head[10:12])
        rest = self.fh.read(hlen - 12)
        if len(rest) < hlen - 12:
            raise self._error(12 + len(rest), "file ends inside the header (%d of %d bytes)"
                              % (12 + len(rest), hlen))
        raw = head + rest
        namelen = raw[28]
        if spec.HEADER_FIXED + namelen > hlen:
            raise self._error(28, "NE name of %d bytes overruns the header of %d bytes"
                              % (namelen, hlen), raw[28:29])
        ne_types = {v: k for k, v in spec.NE_TYPES.items()}
        self.header = {
            "version": "%d.%d" % (major, minor), "header_len": hlen,
            "start_time_ns": int.from_bytes(raw[12:20], "little", signed=True),
            "ne_type": ne_types.get(raw[20], raw[20]), "ne_plmn": spec.plmn_decode(raw[21:24]),
            "ne_id": int.from_bytes(raw[24:28], "little"),
            "ne_name": raw[29:29 + namelen].decode("utf-8", "replace"),
        }
        if minor > spec.VERSION[1]:
            self.problem(9, LAYER, "minor version %d.%d is newer than this reader (%d.%d): "
                         "fields it does not know are skipped" % (major, minor, *spec.VERSION))
        self.file_pos = hlen
        return self.header

    def __iter__(self):
        if self.header is None:
            self.read_header()
        size = self._mappable_size()
        if size >= 0:
            yield from self._iter_mapped(size)
        else:
            yield from self._iter_stream()

    def _mappable_size(self):
        """The size of the file behind `fh` when it can be decoded from a memory map (a regular
        file opened with open(..., "rb"), positioned just after the header), else -1: gzip,
        pipes, sockets and in-memory streams are read with read()."""
        if not self.use_mmap:
            return -1
        fh = self.fh
        raw = fh.raw if isinstance(fh, io.BufferedReader) else fh
        if not isinstance(raw, io.FileIO):
            return -1
        try:
            st = os.fstat(raw.fileno())
            if not stat.S_ISREG(st.st_mode) or fh.tell() != self.file_pos:
                return -1
        except (OSError, ValueError):
            return -1
        return st.st_size

    def _iter_mapped(self, int64_t size):
        """Decode straight from a read-only mapping of the file, a window of WINDOW_BYTES at a
        time: no copy of the records into a buffer (the kernel's pages are read in place)."""
        cdef Py_ssize_t chunk = self.chunk_bytes, span = chunk + MAX_RECORD + 16
        cdef Py_ssize_t n, used, gran = mmap.ALLOCATIONGRANULARITY
        cdef Py_ssize_t wsize = ((max(WINDOW_BYTES, span) + gran - 1) // gran + 1) * gran
        cdef int64_t base = 0, win_end = 0
        cdef const uint8_t[::1] view
        cdef EventTable t
        cdef bint eof
        cdef list pool = []
        fd = (self.fh.raw if isinstance(self.fh, io.BufferedReader) else self.fh).fileno()
        mm = None
        while self.file_pos < size:
            if mm is None or (win_end < size and win_end - self.file_pos < span):
                view = None
                mm = None
                # A file cut while it is read ends where it now ends (pages past the end of a
                # file are not readable); one that grew is read on.
                size = os.fstat(fd).st_size
                if self.file_pos >= size:
                    break
                base = self.file_pos - self.file_pos % gran
                mm = map_window(fd, min(size - base, wsize), base)
                win_end = base + len(mm)
                view = mm
            n = <Py_ssize_t>min(win_end - self.file_pos, span)
            eof = self.file_pos + n >= size
            t = self._batch(pool, &view[self.file_pos - base], n)
            used = self.walk(t, &view[self.file_pos - base], n, chunk, eof)
            self._done(t, used, pool)
            if t.n:
                yield t
            t = None
        view = None
        mm = None
        self._flush_counters()
        try:
            self.fh.seek(self.file_pos)
        except (OSError, ValueError):
            pass

    def _iter_stream(self):
        """Decode from read()/readinto() into one reused buffer (gzip, pipes, BytesIO)."""
        cdef Py_ssize_t chunk = self.chunk_bytes, size = chunk + MAX_RECORD + 16
        cdef bytearray buf = bytearray(size)
        cdef uint8_t[::1] view = buf
        cdef Py_ssize_t have = 0, used, got
        cdef bint eof = False
        cdef EventTable t
        cdef list pool = []
        mv = memoryview(buf)
        readinto = getattr(self.fh, "readinto", None)
        while True:
            while not eof and have < size:
                if readinto is not None:
                    got = readinto(mv[have:size]) or 0
                else:
                    block = self.fh.read(size - have)
                    got = len(block)
                    buf[have:have + got] = block
                if got == 0:
                    eof = True
                    break
                have += got
            if have == 0:
                break
            t = self._batch(pool, &view[0], have)
            used = self.walk(t, &view[0], have, chunk, eof)
            if used < have:
                memmove(&view[0], &view[used], have - used)
            have -= used
            self._done(t, used, pool)
            if t.n:
                yield t
            t = None
        self._flush_counters()

    cdef EventTable _batch(self, list pool, const uint8_t* buf, Py_ssize_t n):
        """The table for the next batch: a pooled one the consumer no longer holds (nothing but
        the pool refers to it or to any of its arrays), else a new one sized from what earlier
        batches held (the first batch from a hop over its records)."""
        cdef Py_ssize_t rows, items, data, cap, i, pos = 0, length
        cdef Cursor b = cursor(buf, n)
        cdef EventTable t
        cdef list entry
        if not self.have_stats:
            rows = data = 0
            while pos + 4 <= n and pos < self.chunk_bytes:
                length = le16_at(&b, pos)
                if length < RECORD_FIXED or pos + length > n:
                    break
                rows += 1
                if EVENT_KIND[le16_at(&b, pos + 4)] >= 16:
                    data += length
                pos += length
            rows += 16
            data += 4096
        else:
            rows = <Py_ssize_t>(self.chunk_bytes * self.rows_per_byte * 1.1) + 64
            data = <Py_ssize_t>(self.chunk_bytes * self.raw_per_byte * 1.25) + 4096
        rows = min(rows, self.chunk_bytes // RECORD_FIXED + 16)
        items = <Py_ssize_t>(rows * (self.items_per_row * 1.25 + 1))
        for i in range(len(pool)):
            entry = pool[i]
            cap = entry[4]
            if cap * 4 < rows * 3 or cap > rows * 2:
                continue
            # (compared with no local holding the table, as when the counts were taken)
            if refcounts(<tuple>entry[1]) != entry[2]:
                continue
            t = entry[0]
            if not same_objects(table_objects(t), <tuple>entry[1]):
                t = None
                continue          # its arrays were swapped (grown): not ours to reuse
            # Free: the rows the last user had are dirty, the rest still hold defaults.
            entry[3] = min(t.n, cap)
            t.n = 0
            t.n_items = 0
            t.n_data = 0
            del pool[i]
            pool.append(entry)
            self.tables_reused += 1
            return t
        t = ev_new_table(rows, data, items, self.name, self.file_id)
        self.tables_made += 1
        entry = [t, None, None, t.frame.shape[0], t.frame.shape[0]]
        entry[1] = table_objects(t)
        t = None
        entry[2] = refcounts(<tuple>entry[1])
        pool.append(entry)
        if len(pool) > POOL_TABLES:
            del pool[0]
        t = entry[0]
        return t

    cdef int _done(self, EventTable t, Py_ssize_t used, list pool) except -1:
        """After a batch: rows past the last decoded one get their defaults (EventTable.add_row
        promises them to decoders that append child rows), counters and size estimates."""
        cdef list entry
        if pool and (<list>pool[len(pool) - 1])[0] is t:
            entry = pool[len(pool) - 1]
            init_rows(t, t.n, entry[3])
            entry[3] = t.n
        self._flush_counters()
        if t.n and used > 0:
            if self.have_stats:
                self.rows_per_byte = 0.8 * self.rows_per_byte + 0.2 * t.n / used
                self.raw_per_byte = 0.8 * self.raw_per_byte + 0.2 * t.n_data / used
                self.items_per_row = max(1.0, 0.8 * self.items_per_row + 0.2 * t.n_items / t.n)
            else:
                self.rows_per_byte = <double>t.n / used
                self.raw_per_byte = <double>t.n_data / used
                self.items_per_row = max(1.0, <double>t.n_items / t.n)
                self.have_stats = True
        return 0

    cdef Py_ssize_t resync(self, const uint8_t* buf, Py_ssize_t n, Py_ssize_t start, bint eof):
        """Scan for the next record marker from `start`. A candidate counts when the record after
        it starts with a marker too (or it ends the file). Returns where to go on from; while
        `resyncing` stays set the caller keeps buf[returned:] for the next chunk."""
        cdef Py_ssize_t i = start, nxt
        cdef Cursor b = cursor(buf, n)
        cdef bint found = False
        while True:
            if i + 8 > n:
                if not eof:
                    break
                i = n
                break
            if plausible(&b, i):
                nxt = i + le16_at(&b, i)
                if nxt + 8 <= n:
                    if plausible(&b, nxt):
                        found = True
                        break
                elif eof:
                    if nxt <= n:
                        found = True
                        break
                else:
                    break             # cannot confirm yet: wait for the next chunk
            i += 1
        self.c_skipped += i - start
        if found:
            self.resyncing = False
            self.c_resyncs += 1
        return i

    cdef Py_ssize_t walk(self, EventTable t, const uint8_t* buf, Py_ssize_t n,
                         Py_ssize_t limit, bint eof) except -1:
        """Decode the complete records in buf[:n] that start before `limit`, while the table has
        rows free; returns the bytes consumed. `eof`: buf[n] is the end of the file."""
        cdef Py_ssize_t pos = 0, length, cap = t.frame.shape[0]
        cdef Cursor b = cursor(buf, n), record
        while pos + 4 <= n and pos < limit and t.n < cap:
            if self.resyncing:
                pos = self.resync(buf, n, pos, eof)
                if self.resyncing:
                    break
                continue
            length = le16_at(&b, pos)
            if length < RECORD_FIXED or u8_at(&b, pos + 2) != SYNC0 or u8_at(&b, pos + 3) != SYNC1:
                if length < RECORD_FIXED:
                    what = "record length %d is less than the fixed %d bytes" % (length,
                                                                                 RECORD_FIXED)
                else:
                    what = "record marker %02x %02x is not a5 5a" % (u8_at(&b, pos + 2),
                                                                     u8_at(&b, pos + 3))
                self.problem(self.file_pos + pos, LAYER,
                             what + ": skipped to the next record marker")
                self.resyncing = True
                self.c_skipped += 1
                pos += 1
                continue
            if pos + length > n:
                if not eof:
                    break
                self.problem(self.file_pos + pos, LAYER,
                             "record %d (%d bytes) is cut by the end of the file (%d bytes left)"
                             % (self.recno + 1, length, n - pos))
                self.resyncing = True
                self.c_skipped += 1
                pos += 1
                continue
            self.recno += 1
            record = sub_at(&b, pos, length)
            self.decode_record(t, &record, self.file_pos + pos)
            pos += length
        if eof and pos < n and pos + 4 > n:
            if not self.resyncing:
                self.problem(self.file_pos + pos, LAYER,
                             "%d bytes at the end of the file are not a whole record" % (n - pos))
            self.c_skipped += n - pos
            pos = n
        self.file_pos += pos
        return pos

    cdef int bad(self, EventTable t, Py_ssize_t row, int64_t off, str message) except -1:
        if not (t.flags[row] & F_MALFORMED):
            self.c_malformed += 1
        malformed(t, row)
        self.problem(off, LAYER, "record %d: %s" % (self.recno, message))
        return 0

    cdef int decode_record(self, EventTable t, Cursor* r, int64_t off) except -1:
        """One record, the view r (length and marker already checked)."""
        cdef Py_ssize_t n = r.n
        cdef const uint8_t* h = span_at(r, 0, RECORD_FIXED)
        cdef int ev = le16(h + 4)
        cdef int present = le16(h + 6)
        cdef int kind = EVENT_KIND[ev]
        cdef int tag, ck, i, have_cause = 0, raw_done = 0
        cdef Py_ssize_t q = RECORD_FIXED, plen, row
        cdef Cursor v
        cdef int64_t a, d
        cdef uint8_t[16] digits
        if t.n < t.frame.shape[0]:
            row = t.n
            t.n = row + 1
        else:
            row = t.add_row()
        init_row(t, row)
        t.frame[row] = self.recno
        t.ts_ns[row] = <int64_t>le64(h + 8)
        t.src_offset[row] = off
        if kind >= 16:
            t.proto[row] = kind - 16
            self.c_raw += 1
        else:
            t.proto[row] = P_CHR
            t.msg[row] = ev
            if kind == 0:
                t.flags[row] |= F_UNKNOWN_MSG
                self.c_unknown_events += 1
        if present & PRESENT_RESERVED:
            self.bad(t, row, off + 6, "reserved identity bits %04x set" % (present & PRESENT_RESERVED))
            present &= ~PRESENT_RESERVED
        self.c_records += 1
        # --- identities, in bit order: one span of their summed size, read in order
        h = span_at(r, q, IDENT_SIZE[present])
        if h == NULL:
            return self.bad(t, row, off + q, "identities (%d bytes) overrun the record of %d bytes"
                            % (IDENT_SIZE[present], n))
        if present & PRESENT_CELL:
            ck = h[0]
            if ck == 2:
                t.nr_plmn[row] = <int32_t>be24(h + 1)
                t.nci[row] = <int64_t>le64(h + 4)
            elif ck == 1:
                t.plmn[row] = <int32_t>be24(h + 1)
                t.eci[row] = <int64_t>le64(h + 4)
            else:
                self.bad(t, row, off + q, "cell kind %d is neither ECGI (1) nor NR-CGI (2)" % ck)
            h += 12
        if present & PRESENT_IMSI:
            memset(digits, 0, 16)
            tbcd(h, 8, digits)
            memcpy(&t.imsi[row, 0], digits, 16)
            h += 8
        if present & PRESENT_STMSI:
            t.m_tmsi[row] = le32(h + 1)
            put_guti(t, row, -1, -1, h[0], le32(h + 1))
            h += 5
        if present & PRESENT_MME:
            t.mme_ue_s1ap_id[row] = le32(h)
            h += 4
        if present & PRESENT_ENB:
            t.enb_ue_s1ap_id[row] = le32(h)
            h += 4
        if present & PRESENT_MENB:
            t.menb_ue_x2ap_id[row] = le32(h)
            h += 4
        if present & PRESENT_SGNB:
            t.sgnb_ue_x2ap_id[row] = le32(h)
            h += 4
        if present & PRESENT_CRNTI:
            t.crnti[row] = le16(h)
            h += 2
        if present & PRESENT_TAC:
            t.tac[row] = <int32_t>le32(h)
        q += IDENT_SIZE[present]
        # --- parameters: each field group is one span, whose check is the length check
        while q < n:
            h = span_at(r, q, 3)
            if h == NULL:
                self.bad(t, row, off + q, "parameter header cut by the record end")
                break
            tag = h[0]
            plen = le16(h + 1)
            q += 3
            v = sub_at(r, q, plen)
            if v.err:
                self.bad(t, row, off + q - 3, "parameter %d of %d bytes overruns the record"
                         % (tag, plen))
                break
            q += plen
            if tag == TAG_MEAS:
                h = span_at(&v, 0, 10)
                if h == NULL:
                    self.bad(t, row, off + q - plen, "meas parameter of %d bytes (needs 10)" % plen)
                    continue
                a = h[0] | (M_NEIGHBOUR if h[1] else 0)
                d = <int16_t>le16(h + 4)
                if d >= 0:
                    i = <int32_t>le32(h + 6)
                    d |= (<int64_t>(i if i > 0 else 0)) << 10
                put_meas(t, row, a, <int16_t>le16(h + 2), -1, d)
            elif tag == TAG_CAUSE:
                h = span_at(&v, 0, 3)
                if h == NULL:
                    self.bad(t, row, off + q - plen, "cause parameter of %d bytes (needs 3)" % plen)
                    continue
                if not have_cause:
                    t.cause_proto[row] = C_CHR
                    t.cause_group[row] = h[0]
                    t.cause_value[row] = le16(h + 1)
                    have_cause = 1
                else:
                    put_cause(t, row, C_CHR, h[0], le16(h + 1), -1)
            elif tag == TAG_PROTO_CAUSE:
                h = span_at(&v, 0, 4)
                if h == NULL:
                    self.bad(t, row, off + q - plen, "proto_cause parameter of %d bytes (needs 4)"
                             % plen)
                    continue
                put_cause(t, row, h[0], h[1], le16(h + 2), -1)
            elif tag == TAG_TARGET_CELL or tag == TAG_SECONDARY_CELL:
                h = span_at(&v, 0, 12)
                if h == NULL:
                    self.bad(t, row, off + q - plen, "cell parameter of %d bytes (needs 12)" % plen)
                    continue
                if h[0] != 1 and h[0] != 2:
                    self.bad(t, row, off + q - plen, "cell kind %d is neither ECGI (1) nor NR-CGI (2)"
                             % h[0])
                    continue
                if tag == TAG_TARGET_CELL:
                    put_cell(t, row, K_TARGET_NR_CGI if h[0] == 2 else K_TARGET_ECGI,
                             be24(h + 1), <int64_t>le64(h + 4), -1)
                elif h[0] == 2:
                    t.nr_plmn[row] = <int32_t>be24(h + 1)
                    t.nci[row] = <int64_t>le64(h + 4)
                else:
                    t.plmn[row] = <int32_t>be24(h + 1)
                    t.eci[row] = <int64_t>le64(h + 4)
            elif tag == TAG_ERAB:
                h = span_at(&v, 0, 5)
                if h == NULL:
                    self.bad(t, row, off + q - plen, "erab parameter of %d bytes (needs 5)" % plen)
                    continue
                put_erab(t, row, h[0], -1, h[1] if h[1] else -1, -1)
                if h[2]:
                    put_cause(t, row, C_CHR, h[2], le16(h + 3), h[0])
            elif tag == TAG_RAW_PDU:
                if kind >= 16 and not raw_done:
                    t.payload_off[row] = put_data(t, v.p, v.n)
                    t.payload_len[row] = <int32_t>plen
                    raw_done = 1
                else:
                    put_str(t, row, S_RAW, put_data(t, v.p, v.n), plen, -1)
            elif tag == TAG_EST_CAUSE:
                h = span_at(&v, 0, 1)
                if h == NULL:
                    self.bad(t, row, off + q - plen, "est_cause parameter is empty")
                    continue
                put_cause(t, row, C_CHR, CAUSE_KIND_EST, h[0], -1)
            elif tag == TAG_RRC_RAW:
                put_str(t, row, S_RAW, put_data(t, v.p, v.n), plen, -1)
            else:
                self.c_unknown_params += 1
        if kind >= 16 and not raw_done:
            self.bad(t, row, off, "message copy without its raw_pdu parameter")
        return 0


def decode_bytes(data, name="<bytes>", int file_id=0, Py_ssize_t chunk_bytes=DEF_CHUNK_BYTES):
    """Decode a whole chr-v1 file held in memory: (list of EventTable, reader)."""
    import io
    reader = ChrV1Reader(io.BytesIO(bytes(data)), name, file_id, chunk_bytes)
    tables = list(reader)
    return tables, reader
