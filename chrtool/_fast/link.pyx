# cython: language_level=3
"""Linking's per-message pass, compiled: every message joins a node (an S1 connection, an
exchange, an X2 handover or NR leg, a CHR story), in time order.

The rules are chrtool/link/correlate.py's (its docstring says them); this module runs them over
the compact link columns (chrtool/link/columns.py) with C hash maps, so a message costs a few map
lookups and no Python object. What happens once per connection rather than once per message (a
new key bound, a release, a handover, a Reset) takes the Python path beside it.
"""
import numpy as np

cimport cython

from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_FromStringAndSize

# link kinds of the rows (chrtool/link/columns.py computes them from the registry)
DEF K_NONE = 0
DEF K_S1 = 1
DEF K_NAS = 2
DEF K_EXCHANGE = 3
DEF K_X2 = 4
DEF K_CHR = 5
# senders of S1AP messages (directions.py)
DEF ASKS = 1                   # an exchange's request, and its answer
DEF ANSWERS = 2
DEF EITHER = 0
DEF ENB = 1
DEF MME = 2
# map key tags (the top 4 bits of the first key word)
DEF T_S1_MME = 1
DEF T_S1_ENB = 2
DEF T_X2_MENB = 3
DEF T_X2_HO = 4
DEF T_EXCHANGE = 5
DEF T_TUNNEL = 6
DEF T_CHR = 7
DEF T_DUP_IP = 8
DEF T_DUP_BYTES = 9
DEF T_BY_M = 10
DEF UNKNOWN = -2                # a map lookup not made yet

# S1AP / X2AP message codes ((type << 8) | procedure code) the pass reacts to
DEF S1_HANDOVER_REQUIRED = 0
DEF S1_HANDOVER_REQUEST = 1
DEF S1_PATH_SWITCH = 3
DEF S1_INITIAL_UE = 12
DEF S1_RESET = 14
DEF S1_SETUP = 17
DEF S1_RELEASE_COMPLETE = 279       # (1 << 8) | 23
DEF X2_HANDOVER_REQUEST = 0
DEF X2_SETUP = 6
DEF X2_RESET = 7
DEF X2_SGNB_ADDITION_REQUEST = 27


# ------------------------------------------------------------------ payload hashes
cdef inline uint64_t _mix(uint64_t x) noexcept nogil:
    # splitmix64's finaliser: every input bit reaches every output bit
    x ^= x >> 30
    x *= 0xbf58476d1ce4e5b9ULL
    x ^= x >> 27
    x *= 0x94d049bb133111ebULL
    x ^= x >> 31
    return x


def payload_hashes(const uint8_t[::1] data, const int64_t[::1] off, const int32_t[::1] length,
                   const int64_t[::1] parent):
    """A 64-bit hash of each top-level row's payload (0 for rows carried inside another): two
    copies of one packet hash alike, two different packets almost never."""
    cdef Py_ssize_t n = off.shape[0], i, j, ln, words
    out = np.zeros(n, np.uint64)
    cdef uint64_t[::1] h = out
    cdef uint64_t acc, w
    cdef const uint8_t* p
    cdef Py_ssize_t size = data.shape[0]
    with nogil:
        for i in range(n):
            if parent[i] >= 0:
                continue
            ln = length[i]
            if ln < 0 or off[i] < 0 or off[i] + ln > size:
                ln = 0
            acc = 0x9e3779b97f4a7c15ULL ^ <uint64_t>ln
            if ln:
                p = &data[off[i]]
                words = ln >> 3
                for j in range(words):
                    memcpy(&w, p + 8 * j, 8)
                    acc = _mix(acc ^ w) + 0x9e3779b97f4a7c15ULL
                w = 0
                if ln & 7:
                    memcpy(&w, p + 8 * words, ln & 7)
                    acc = _mix(acc ^ w ^ (<uint64_t>(ln & 7) << 56))
            h[i] = _mix(acc) | 1            # never 0: 0 is "not hashed"
    return out


# ------------------------------------------------------------------ link columns of a batch
def link_rows(int64_t base, int64_t n_ex, const uint8_t[::1] kind_of_proto,
              const int64_t[::1] ts, const int32_t[::1] file_id, const int64_t[::1] frame,
              const uint8_t[::1] proto, const int32_t[::1] msg, const int64_t[::1] parent,
              const int64_t[::1] mme, const int64_t[::1] enb, const int64_t[::1] old_x2,
              const int64_t[::1] menb, const uint8_t[::1] ip_version,
              const int32_t[::1] payload_len, const int64_t[::1] m_tmsi, const int32_t[::1] pair,
              const int32_t[::1] imsi,
              int64_t[::1] o_ts, int32_t[::1] o_file, int32_t[::1] o_frame, uint8_t[::1] o_kind,
              uint8_t[::1] o_proto, int32_t[::1] o_msg, int32_t[::1] o_parent,
              uint32_t[::1] o_mme, int32_t[::1] o_enb, int32_t[::1] o_old_x2,
              int32_t[::1] o_menb, int32_t[::1] o_pair, uint8_t[::1] o_flags,
              int32_t[::1] o_imsi, uint32_t[::1] o_m_tmsi, int32_t[::1] o_ex):
    """The dense link columns of a batch's rows (chrtool/link/columns.py): each row's values
    narrowed as numpy's astype would, its link kind (by protocol), its flags (IP layer, payload,
    MME UE S1AP ID and M-TMSI present), its parent as a row of the run (`base` + the batch's) and
    for exchange-like rows (GTPv2, Diameter, CHR) its entry in the side table (numbered from
    n_ex). Returns the batch's rows that got one."""
    cdef Py_ssize_t n = ts.shape[0], i, k = 0
    cdef uint8_t kind
    cdef Py_ssize_t[30] sizes = [
        file_id.shape[0], frame.shape[0], proto.shape[0], msg.shape[0], parent.shape[0],
        mme.shape[0], enb.shape[0], old_x2.shape[0], menb.shape[0], ip_version.shape[0],
        payload_len.shape[0], m_tmsi.shape[0], pair.shape[0], imsi.shape[0], o_ts.shape[0],
        o_file.shape[0], o_frame.shape[0], o_kind.shape[0], o_proto.shape[0], o_msg.shape[0],
        o_parent.shape[0], o_mme.shape[0], o_enb.shape[0], o_old_x2.shape[0], o_menb.shape[0],
        o_pair.shape[0], o_flags.shape[0], o_imsi.shape[0], o_m_tmsi.shape[0], o_ex.shape[0]]
    for i in range(30):
        if sizes[i] != n:
            raise ValueError("one value per row in every column")
    rows = np.empty(n, np.int64)
    cdef int64_t[::1] ex_rows = rows
    for i in range(n):
        kind = kind_of_proto[proto[i]]
        o_ts[i] = ts[i]
        o_file[i] = file_id[i]
        o_frame[i] = <int32_t>frame[i]
        o_kind[i] = kind
        o_proto[i] = proto[i]
        o_msg[i] = msg[i]
        o_parent[i] = <int32_t>(parent[i] + base) if parent[i] >= 0 else -1
        o_mme[i] = <uint32_t>mme[i]
        o_enb[i] = <int32_t>enb[i]
        o_old_x2[i] = <int32_t>old_x2[i]
        o_menb[i] = <int32_t>menb[i]
        o_pair[i] = pair[i]
        o_flags[i] = ((1 if ip_version[i] > 0 else 0) | (2 if payload_len[i] > 0 else 0)
                      | (4 if mme[i] >= 0 else 0) | (8 if m_tmsi[i] >= 0 else 0))
        o_imsi[i] = imsi[i]
        o_m_tmsi[i] = <uint32_t>m_tmsi[i]
        if kind == K_EXCHANGE or kind == K_CHR:
            o_ex[i] = <int32_t>(n_ex + k)
            ex_rows[k] = i
            k += 1
        else:
            o_ex[i] = -1
    return rows[:k]


# ------------------------------------------------------------------ an open-addressing map
cdef struct _Slot:
    uint64_t k1
    uint64_t k2
    int64_t val                     # the value + 1; 0: empty, -1: deleted (calloc: all empty)


@cython.final
cdef class _Map:
    """(uint64, uint64) -> int64 (values >= 0), linear probing with tombstones; get() gives -1
    when absent. One slot holds the keys and the value, so a lookup touches one cache line."""
    cdef _Slot* slots
    cdef Py_ssize_t cap, n, used

    def __cinit__(self, Py_ssize_t capacity=1024):
        self._alloc(max(16, capacity))

    cdef int _alloc(self, Py_ssize_t cap) except -1:
        cdef Py_ssize_t c = 16
        while c < cap:
            c <<= 1
        self.cap = c
        self.slots = <_Slot*>calloc(c, sizeof(_Slot))
        if not self.slots:
            raise MemoryError()
        self.n = 0
        self.used = 0
        return 0

    def __dealloc__(self):
        free(self.slots)

    cdef inline Py_ssize_t _slot(self, uint64_t a, uint64_t b) noexcept nogil:
        cdef uint64_t mask = self.cap - 1
        cdef Py_ssize_t i = _mix(a ^ _mix(b)) & mask
        cdef _Slot* s
        while True:
            s = &self.slots[i]
            if s.val == 0:
                return -1 - i               # not there; -1 - (first empty slot)
            if s.val > 0 and s.k1 == a and s.k2 == b:
                return i
            i = (i + 1) & mask

    cdef inline int64_t get(self, uint64_t a, uint64_t b) noexcept nogil:
        cdef Py_ssize_t i = self._slot(a, b)
        return self.slots[i].val - 1 if i >= 0 else -1

    cdef int set(self, uint64_t a, uint64_t b, int64_t v) except -1:
        cdef Py_ssize_t i
        if v < 0:
            raise ValueError("map values are >= 0")
        i = self._slot(a, b)
        if i >= 0:
            self.slots[i].val = v + 1
            return 0
        if (self.used + 1) * 4 >= self.cap * 3:
            self._rehash(self.cap * 2 if (self.n + 1) * 2 >= self.cap else self.cap)
            i = self._slot(a, b)
        i = -1 - i
        self.slots[i].k1 = a
        self.slots[i].k2 = b
        self.slots[i].val = v + 1
        self.n += 1
        self.used += 1
        return 0

    cdef void delete(self, uint64_t a, uint64_t b) noexcept nogil:
        cdef Py_ssize_t i = self._slot(a, b)
        if i >= 0:
            self.slots[i].val = -1
            self.n -= 1

    cdef int _rehash(self, Py_ssize_t cap) except -1:
        cdef _Slot* old_slots = self.slots
        cdef Py_ssize_t old = self.cap, i
        self._alloc(cap)
        for i in range(old):
            if old_slots[i].val > 0:
                self.set(old_slots[i].k1, old_slots[i].k2, old_slots[i].val - 1)
        free(old_slots)
        return 0

    cdef int drop_tag(self, uint64_t a) except -1:
        """Delete every key whose first word is a."""
        cdef Py_ssize_t i
        for i in range(self.cap):
            if self.slots[i].val > 0 and self.slots[i].k1 == a:
                self.slots[i].val = -1
                self.n -= 1
        return 0

    cdef int drop_older(self, const int64_t[::1] ts, int64_t before) except -1:
        """Delete every key whose value is a row older than `before` (a sliding window)."""
        cdef Py_ssize_t i
        for i in range(self.cap):
            if self.slots[i].val > 0 and ts[self.slots[i].val - 1] < before:
                self.slots[i].val = -1
                self.n -= 1
        self._rehash(self.cap)
        return 0

    def __len__(self):
        return self.n


cdef inline uint64_t _tag(uint64_t tag, uint64_t rest) noexcept nogil:
    return (tag << 60) | rest


# ------------------------------------------------------------------ interning
@cython.final
cdef class Interner:
    """Values -> small ints, numbered in order of first sight; `values` lists them. Values are
    byte strings of up to 16 bytes (addresses, IMSIs as the decoders store them: NUL-padded
    rows of a (n, 16) uint8 array, kept without the padding) or int64s. With `empty`, the empty
    value is id 0."""
    cdef _Map map
    cdef public list values

    def __cinit__(self, empty=False):
        self.map = _Map(1024)
        self.values = []
        if empty:
            self.map.set(0, 0, 0)
            self.values.append(b"")

    def bytes16(self, const uint8_t[:, ::1] keys):
        """The ids of the rows of keys, (n, 16) uint8."""
        cdef Py_ssize_t n = keys.shape[0], i
        out = np.empty(n, np.int32)
        cdef int32_t[::1] ids = out
        cdef uint64_t a, b, last_a = 0, last_b = 0
        cdef int64_t v, last = -1
        cdef Py_ssize_t size
        if n and keys.shape[1] != 16:
            raise ValueError("keys must be (n, 16)")
        for i in range(n):
            memcpy(&a, &keys[i, 0], 8)
            memcpy(&b, &keys[i, 8], 8)
            if last >= 0 and a == last_a and b == last_b:   # as the row before (one packet's)
                ids[i] = <int32_t>last
                continue
            v = self.map.get(a, b)
            if v < 0:
                v = len(self.values)
                self.map.set(a, b, v)
                size = 16                   # kept without the NUL padding
                while size and keys[i, size - 1] == 0:
                    size -= 1
                self.values.append(PyBytes_FromStringAndSize(<const char*>&keys[i, 0], size))
            ids[i] = <int32_t>v
            last, last_a, last_b = v, a, b
        return out

    def int64(self, const int64_t[::1] keys):
        """The ids of int64 keys."""
        cdef Py_ssize_t n = keys.shape[0], i
        out = np.empty(n, np.int32)
        cdef int32_t[::1] ids = out
        cdef int64_t v, last = -1, last_key = 0
        for i in range(n):
            if last >= 0 and keys[i] == last_key:
                ids[i] = <int32_t>last
                continue
            v = self.map.get(<uint64_t>keys[i], 1)
            if v < 0:
                v = len(self.values)
                self.map.set(<uint64_t>keys[i], 1, v)
                self.values.append(keys[i])
            ids[i] = <int32_t>v
            last, last_key = v, keys[i]
        return out

    def id(self, value):
        """The id of one bytes value (up to 16 bytes)."""
        key = np.zeros((1, 16), np.uint8)
        key[0, :len(value)] = np.frombuffer(value, np.uint8)
        return int(self.bytes16(key)[0])

    def __len__(self):
        return len(self.values)


# ------------------------------------------------------------------ duplicates
def duplicates(const int32_t[::1] order, const int64_t[::1] ts, const int32_t[::1] file_id,
               const uint8_t[::1] proto, const uint8_t[::1] flags, const int32_t[::1] pair,
               const uint64_t[::1] hashes, const int32_t[::1] parent, int p_s1ap, int p_x2ap,
               int64_t skew):
    """Per row, the row it copies (-1: an original), for top-level rows (correlate.py's
    `_duplicates` says which copies count): the same packet seen by a second probe (same bytes,
    protocol and addresses, another file, within `skew` ns), or an S1AP/X2AP message an eNB's
    trace or CHR recorded (same bytes, no IP layer). Keys older than the skew are swept out, so
    the maps hold one window of packets, not the run."""
    cdef Py_ssize_t n = ts.shape[0], i
    out = np.full(n, -1, np.int32)
    cdef int32_t[::1] dup = out
    cdef _Map seen = _Map(4096), by_bytes = _Map(4096)
    cdef Py_ssize_t sweep_at = 1 << 16
    cdef int64_t r, s, first
    cdef uint64_t k1, k2, kb
    cdef uint8_t has_ip
    for i in range(order.shape[0]):
        r = order[i]
        if parent[r] >= 0 or hashes[r] == 0:
            continue
        k2 = hashes[r]
        has_ip = flags[r] & 1
        if has_ip:
            k1 = _tag(T_DUP_IP, (<uint64_t>proto[r] << 40) | <uint32_t>pair[r])
            s = seen.get(k1, k2)
            if s >= 0 and file_id[s] != file_id[r] and ts[r] - ts[s] <= skew:
                dup[r] = <int32_t>s
                continue
            seen.set(k1, k2, r)
        if (proto[r] != p_s1ap and proto[r] != p_x2ap) or not (flags[r] & 2):
            continue
        kb = _tag(T_DUP_BYTES, proto[r])
        first = by_bytes.get(kb, k2)
        if (first >= 0 and file_id[first] != file_id[r] and ts[r] - ts[first] <= skew
                and (flags[first] & 1) != has_ip and dup[first] < 0):
            if has_ip:                      # the trace's copy came first: it is the copy
                dup[first] = <int32_t>r
                by_bytes.set(kb, k2, r)
            else:
                dup[r] = <int32_t>first
        else:
            by_bytes.set(kb, k2, r)
        if seen.n + by_bytes.n > sweep_at:
            seen.drop_older(ts, ts[r] - skew)
            by_bytes.drop_older(ts, ts[r] - skew)
            sweep_at = max(1 << 16, 2 * (seen.n + by_bytes.n))
    return out


def twin_copies(const int64_t[::1] rows, const uint8_t[::1] same, const int32_t[::1] file_id,
                const int64_t[::1] ts, int64_t skew, int32_t[::1] dup):
    """Records sorted by event then time (correlate.py's `_chr_copies`; same[i]: record i is the
    same event as record i - 1): each is a copy of the last original of its event when another
    file holds that one, within `skew` ns; else it is an original itself."""
    cdef Py_ssize_t i, anchor = -1
    for i in range(rows.shape[0]):
        if (same[i] and anchor >= 0 and file_id[i] != file_id[anchor]
                and ts[i] - ts[anchor] <= skew):
            dup[rows[i]] = <int32_t>rows[anchor]
        else:
            anchor = i


# ------------------------------------------------------------------ union-find
def join_edges(int64_t[::1] parent, int32_t[::1] imsi, const int64_t[::1] a,
               const int64_t[::1] b):
    """Apply links a[i] -> b[i] in order over a union-find forest in which two IMSIs never meet
    (correlate.py's pass 2); the root of a set is its lowest node. Returns (ok, imsi_a, imsi_b):
    ok per link 2 joined, 1 already one subscriber, 0 refused (the IMSIs differ: a conflict,
    whose two IMSIs imsi_a/imsi_b hold). parent and imsi (per root) are updated in place."""
    cdef Py_ssize_t i, n = a.shape[0]
    out = np.zeros(n, np.uint8)
    out_a = np.zeros(n, np.int32)
    out_b = np.zeros(n, np.int32)
    cdef uint8_t[::1] ok = out
    cdef int32_t[::1] ia = out_a, ib = out_b
    cdef int64_t ra, rb, root, other
    for i in range(n):
        ra = _find(parent, a[i])
        rb = _find(parent, b[i])
        if ra == rb:
            ok[i] = 1
            continue
        if imsi[ra] and imsi[rb] and imsi[ra] != imsi[rb]:
            ia[i], ib[i] = imsi[ra], imsi[rb]
            continue
        root, other = (ra, rb) if ra < rb else (rb, ra)
        parent[other] = root
        if not imsi[root]:
            imsi[root] = imsi[other]
        ok[i] = 2
    return out, out_a, out_b


cdef inline int64_t _find(int64_t[::1] parent, int64_t x) noexcept:
    cdef int64_t root = x, nxt
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:           # path compression
        nxt = parent[x]
        parent[x] = root
        x = nxt
    return root


def roots(int64_t[::1] parent):
    """Every node's root (parent is compressed in place)."""
    cdef Py_ssize_t i, n = parent.shape[0]
    out = np.empty(n, np.int64)
    cdef int64_t[::1] o = out
    for i in range(n):
        o[i] = _find(parent, i)
    return out


# ------------------------------------------------------------------ pass 1: connections
@cython.final
cdef class Connections:
    """Pass 1 of correlate.py over LinkColumns `lc`: every row's node, and what pass 2 needs
    (nodes' IMSIs, handover and NR-leg links, M-TMSIs assigned and presented)."""
    # the columns (correlate.py's LinkColumns)
    cdef const uint8_t[::1] kind, proto
    cdef const int32_t[::1] msg, parent, enb, old_x2, menb, pair, imsi, ex, file_id
    cdef const int32_t[::1] pair_src, pair_dst, upair, ex_msisdn, f_addr
    cdef const int64_t[::1] ts, ex_seq, ex_e2e, ex_teid, f_row, f_teid
    cdef const uint32_t[::1] mme_ids, m_tmsis         # present where flags say so
    cdef const uint8_t[::1] flags
    cdef const int32_t[::1] dup
    cdef const uint8_t[::1] sender_of
    cdef const uint8_t[::1] gtp_side       # GTPv2 message type -> ASKS, ANSWERS or 0
    cdef uint8_t proto_gtp, proto_dia
    cdef uint8_t[::1] is_enb
    # per row
    cdef public object conn_array, exchange_array
    cdef int32_t[::1] conn
    cdef uint8_t[::1] by_exchange
    # per node (grown as nodes are added)
    cdef public Py_ssize_t n_nodes
    cdef public object node_imsi_array, node_kind_array
    cdef int32_t[::1] node_imsi, node_enb, node_mme
    cdef uint8_t[::1] node_kind, node_open, cnt_m, cnt_e
    cdef int64_t[::1] last_seen
    # each node's first MME-side and eNB-side key (cnt_*: how many of that side it has; the rare
    # further ones are in more_keys)
    cdef uint64_t[::1] key_m1, key_m2, key_e1, key_e2
    # open connections by MME UE S1AP ID (by_m: the newest; m_next/m_prev: the list; m_of: the
    # ID a node is listed under, -1 none), and open connections per eNB address (enb_head)
    cdef int32_t[::1] m_next, m_prev, at_next, at_prev, node_msisdn
    cdef int64_t[::1] m_of, enb_head
    cdef _Map by_m
    cdef const int32_t[::1] order
    cdef Py_ssize_t pos
    # per position in `order`: the eNB address (as its connection has it) of an S1AP or NAS
    # message linked to a connection, else -1: what _last_active walks back over
    cdef int32_t[::1] enb_at
    cdef object _node_arrays
    cdef uint8_t imsi_code
    # maps
    cdef _Map s1_keys, x2_keys, exchanges, tunnels, chr_node
    # the Python side: once per connection, not per message
    cdef public dict more_keys, pending_ho, assigned, chr_menb
    cdef public list edges, presented, nr_legs, conflicts, inconsistent
    cdef dict source_mme_id, target_enb, enb_of_addr, reset_ids
    cdef public dict reset_nodes          # S1 Reset row -> the open connections it listed
    cdef list imsis
    cdef int64_t prep_ns, nr_window_ns

    def __init__(self, lc, sender_of, imsi_code, prep_ns, nr_window_ns, gtp_side, proto_gtp,
                 proto_dia):
        self.kind, self.proto, self.msg, self.parent = lc.kind, lc.proto, lc.msg, lc.parent
        self.enb, self.old_x2, self.menb, self.pair = lc.enb, lc.old_x2, lc.menb, lc.pair
        self.imsi, self.ex, self.file_id, self.ts = lc.imsi, lc.ex, lc.file_id, lc.ts
        self.mme_ids, self.m_tmsis, self.flags = lc.mme, lc.m_tmsi, lc.flags
        self.pair_src, self.pair_dst, self.upair = lc.pair_src, lc.pair_dst, lc.upair
        self.ex_seq, self.ex_e2e, self.ex_teid, self.ex_msisdn = (
            lc.ex_seq, lc.ex_e2e, lc.ex_teid, lc.ex_msisdn)
        self.f_row, self.f_addr, self.f_teid = lc.f_row, lc.f_addr, lc.f_teid
        self.source_mme_id, self.target_enb = lc.source_mme_id, lc.target_enb
        self.reset_ids, self.reset_nodes = getattr(lc, "reset_ids", {}), {}
        self.enb_of_addr, self.imsis = lc.enb_of_addr, lc.imsis
        self.sender_of = sender_of
        self.gtp_side, self.proto_gtp, self.proto_dia = gtp_side, proto_gtp, proto_dia
        self.is_enb = np.zeros(len(lc.addrs) + 1, np.uint8)
        self.enb_head = np.full(len(lc.addrs) + 1, -1, np.int64)
        self.by_m = _Map(4096)
        n = len(lc.ts)
        self.conn_array = np.full(n, -1, np.int32)
        self.conn = self.conn_array
        self.exchange_array = np.zeros(n, np.uint8)
        self.by_exchange = self.exchange_array
        self.imsi_code = imsi_code
        self.prep_ns = prep_ns
        self.nr_window_ns = nr_window_ns
        self.n_nodes = 0
        self._node_arrays = {}
        self._grow(1024)
        self.s1_keys, self.x2_keys, self.exchanges = _Map(4096), _Map(1024), _Map(4096)
        self.tunnels, self.chr_node = _Map(4096), _Map(1024)
        self.more_keys = {}
        self.pending_ho, self.assigned, self.chr_menb = {}, {}, {}
        self.edges, self.presented, self.nr_legs = [], [], []
        self.conflicts, self.inconsistent = [], []

    NODE_FIELDS = (("imsi", np.int32, 0), ("enb", np.int32, -1), ("mme", np.int32, -1),
                   ("kind", np.uint8, 0), ("open", np.uint8, 0), ("cnt_m", np.uint8, 0),
                   ("cnt_e", np.uint8, 0), ("last_seen", np.int64, -1),
                   ("key_m1", np.uint64, 0), ("key_m2", np.uint64, 0),
                   ("key_e1", np.uint64, 0), ("key_e2", np.uint64, 0),
                   ("m_next", np.int32, -1), ("m_prev", np.int32, -1), ("m_of", np.int64, -1),
                   ("at_next", np.int32, -1), ("at_prev", np.int32, -1), ("msisdn", np.int32, 0))

    cdef _grow(self, Py_ssize_t cap):
        for name, dtype, fill in self.NODE_FIELDS:
            new = np.full(cap, fill, dtype)
            old = self._node_arrays.get(name)
            if old is not None:
                new[:len(old)] = old
            self._node_arrays[name] = new
        a = self._node_arrays
        self.node_imsi, self.node_enb, self.node_mme = a["imsi"], a["enb"], a["mme"]
        self.node_kind, self.node_open = a["kind"], a["open"]
        self.cnt_m, self.cnt_e, self.last_seen = a["cnt_m"], a["cnt_e"], a["last_seen"]
        self.key_m1, self.key_m2, self.key_e1, self.key_e2 = (
            a["key_m1"], a["key_m2"], a["key_e1"], a["key_e2"])
        self.m_next, self.m_prev, self.m_of = a["m_next"], a["m_prev"], a["m_of"]
        self.at_next, self.at_prev = a["at_next"], a["at_prev"]
        self.node_msisdn = a["msisdn"]
        self.node_imsi_array, self.node_kind_array = a["imsi"], a["kind"]

    def drop_columns(self):
        """Let go of the link columns (the pass is over): their memory can be freed."""
        self.kind = self.proto = self.sender_of = self.flags = self.gtp_side = None
        self.msg = self.parent = self.enb = self.old_x2 = self.menb = self.pair = None
        self.imsi = self.ex = self.file_id = self.pair_src = self.pair_dst = self.upair = None
        self.ex_msisdn = self.f_addr = self.ts = self.ex_seq = self.ex_e2e = self.ex_teid = None
        self.f_row = self.f_teid = self.mme_ids = self.m_tmsis = self.dup = self.order = None
        self.enb_at = None

    def node_column(self, name):
        return self._node_arrays[name][:self.n_nodes]

    cdef inline int64_t mme(self, int64_t r) noexcept:
        return self.mme_ids[r] if self.flags[r] & 4 else -1

    cdef inline int64_t m_tmsi(self, int64_t r) noexcept:
        return self.m_tmsis[r] if self.flags[r] & 8 else -1

    cdef int64_t _new(self, int32_t imsi) except -1:
        if self.n_nodes == self.node_imsi.shape[0]:
            self._grow(self.n_nodes + self.n_nodes // 2 + 1024)
        cdef int64_t node = self.n_nodes
        self.n_nodes += 1
        if imsi:
            self.node_imsi[node] = imsi
            self.node_kind[node] = self.imsi_code
        return node

    def run(self, const int32_t[::1] order, const int32_t[::1] dup):
        """Every row, in `order` (time order); dup: the row each copy copies (-1 originals)."""
        cdef Py_ssize_t i
        cdef int64_t r
        cdef uint8_t k
        self.dup = dup
        self.order = order
        self.enb_at = np.full(order.shape[0], -1, np.int32)
        for i in range(order.shape[0]):
            self.pos = i
            r = order[i]
            if dup[r] >= 0:
                self.conn[r] = self.conn[dup[r]]
                continue
            k = self.kind[r]
            if k == K_NAS and self.parent[r] >= 0:
                self._nas(r)
            elif k == K_S1 or k == K_NAS:
                self._s1(r)
            elif k == K_EXCHANGE:
                self._exchange(r)
            elif k == K_X2:
                self._x2(r)
            elif k == K_CHR:
                self._chr(r)
            if (k == K_S1 or k == K_NAS) and self.conn[r] >= 0:
                self.enb_at[i] = self.node_enb[self.conn[r]]
        self.enb_at = None                            # only the pass walks back over it

    # -------------------------------------------------------------- S1
    cdef int _s1(self, int64_t r) except -1:
        cdef int32_t msg = self.msg[r], enb_a, mme_a, src, dst
        cdef int64_t m = self.mme(r), e = self.enb[r], node, other, source
        cdef uint8_t sender = self.sender_of[msg] if 0 <= msg < self.sender_of.shape[0] else EITHER
        cdef bint has_m, has_e, own_m
        cdef uint64_t km1, ke1, own1, own2, peer1, peer2
        cdef int64_t ts, at_m, at_e
        if m < 0 and msg == S1_PATH_SWITCH:          # SourceMME-UE-S1AP-ID is an ID item
            m = self.source_mme_id.get(r, -1)
        src, dst = self.pair_src[self.pair[r]], self.pair_dst[self.pair[r]]
        if sender == MME or (sender != ENB and not self.is_enb[src] and self.is_enb[dst]):
            enb_a, mme_a = dst, src
        else:
            self.is_enb[src] = 1
            enb_a, mme_a = src, dst
        if msg == S1_RESET or msg == S1_SETUP:
            self._free_association(enb_a, mme_a, r if msg == S1_RESET else -1)
            return 0
        has_m, has_e = m >= 0, e >= 0
        if not has_m and not has_e:
            return 0                                  # not UE-associated
        km1 = _tag(T_S1_MME, (<uint64_t>mme_a << 30) | <uint64_t>enb_a)
        ke1 = _tag(T_S1_ENB, <uint64_t>enb_a)
        ts = self.ts[r]
        at_m = at_e = UNKNOWN                         # the keys' nodes, when looked up already
        if msg == S1_INITIAL_UE and has_e:
            node = self._new(0)
        elif (msg == S1_HANDOVER_REQUEST or msg == S1_PATH_SWITCH) and has_m:
            # a new connection at the target eNB, for the source's MME UE S1AP ID, or (S1
            # handover) for the MME's new ID: then for the HandoverRequired it answers
            node = self._new(0)
            source, how = self._s1_source(m, mme_a, enb_a), "handover"
            if source < 0 and msg == S1_HANDOVER_REQUEST:
                source, how = self._required(mme_a, enb_a, ts)
            if source >= 0:
                self.edges.append((ts, how, source, node, r))
                if msg == S1_PATH_SWITCH:             # X2 handover done: the source freed its IDs
                    self._release(source)
        else:
            own_m = sender == MME
            if own_m:
                own1, own2, peer1, peer2 = km1, <uint64_t>m, ke1, <uint64_t>e
            else:
                own1, own2, peer1, peer2 = ke1, <uint64_t>e, km1, <uint64_t>m
            node = self.s1_keys.get(own1, own2) if (has_m if own_m else has_e) else -1
            other = self.s1_keys.get(peer1, peer2) if (has_e if own_m else has_m) else -1
            at_m, at_e = (node, other) if own_m else (other, node)
            if node < 0:
                node = other
            if node < 0:
                node = self._new(0)                   # the capture started inside the connection
            elif (has_e if own_m else has_m) and (
                    (other >= 0 and other != node) or self._other_key(node, not own_m, peer1, peer2)):
                # the peer's ID is not the one this connection has: follow the sender's own
                self.inconsistent.append(r)
                if own_m:
                    has_e = False
                else:
                    has_m = False
        self._bind(node, has_m, km1, m, has_e, ke1, e, enb_a, mme_a, at_m, at_e)
        self.conn[r] = <int32_t>node
        self.last_seen[node] = ts
        if self.imsi[r]:                              # a NAS copy outside its carrier, Paging
            self._name(node, self.imsi[r], r)
        if msg == S1_HANDOVER_REQUIRED:
            self.pending_ho.setdefault(mme_a, []).append((ts, node, self.target_enb.get(r)))
        if self.m_tmsi(r) >= 0:                       # the S-TMSI of an InitialUEMessage
            self.presented.append((ts, self.m_tmsi(r), node, r))
        if msg == S1_RELEASE_COMPLETE:
            self._release(node)
        return 0

    cdef bint _other_key(self, int64_t node, bint tag_m, uint64_t k1, uint64_t k2) noexcept:
        """Has the node a key of this side (MME or eNB) other than (k1, k2)?"""
        if tag_m:
            return self.cnt_m[node] > 1 or (self.cnt_m[node] == 1 and (
                self.key_m1[node] != k1 or self.key_m2[node] != k2))
        return self.cnt_e[node] > 1 or (self.cnt_e[node] == 1 and (
            self.key_e1[node] != k1 or self.key_e2[node] != k2))

    cdef int _bind(self, int64_t node, bint has_m, uint64_t km1, int64_t m, bint has_e,
                   uint64_t ke1, int64_t e, int32_t enb_a, int32_t mme_a, int64_t at_m,
                   int64_t at_e) except -1:
        # at_m, at_e: the nodes the keys belong to, as looked up before (UNKNOWN: not yet)
        if at_m == UNKNOWN and has_m:
            at_m = self.s1_keys.get(km1, <uint64_t>m)
        if at_e == UNKNOWN and has_e:
            at_e = self.s1_keys.get(ke1, <uint64_t>e)
        if ((not has_m or at_m == node) and (not has_e or at_e == node)
                and self.node_open[node] and self.node_enb[node] == enb_a
                and self.node_mme[node] == mme_a):
            return 0                                  # nothing new: the common case
        if has_m:
            self._take_key(node, km1, <uint64_t>m, True)
        if has_e:
            self._take_key(node, ke1, <uint64_t>e, False)
        if self.node_open[node] and self.node_enb[node] != enb_a:
            self._unlist_at(node)
        self.node_enb[node], self.node_mme[node] = enb_a, mme_a
        if not self.node_open[node]:
            self._list_at(node, enb_a)
        return 0

    cdef int _take_key(self, int64_t node, uint64_t k1, uint64_t k2, bint side_m) except -1:
        """The key is the node's from now on (an ID reused without a release we saw leaves the
        connection that had it)."""
        cdef int64_t old = self.s1_keys.get(k1, k2)
        if old == node:
            return 0
        if old >= 0:
            self._drop_key(old, k1, k2, side_m)
        self.s1_keys.set(k1, k2, node)
        if node in self.more_keys or (self.cnt_m[node] if side_m else self.cnt_e[node]):
            self._set_keys(node, self._keys_of(node) + [(k1, k2)])     # a further key: rare
        elif side_m:
            self.key_m1[node], self.key_m2[node], self.cnt_m[node] = k1, k2, 1
            self._list_m(node, <int64_t>k2)
        else:
            self.key_e1[node], self.key_e2[node], self.cnt_e[node] = k1, k2, 1
        return 0

    cdef int _drop_key(self, int64_t node, uint64_t k1, uint64_t k2, bint side_m) except -1:
        if node in self.more_keys:
            keys = self._keys_of(node)
            if (k1, k2) in keys:
                keys.remove((k1, k2))
            self._set_keys(node, keys)
        elif side_m:
            if self.cnt_m[node] and self.key_m1[node] == k1 and self.key_m2[node] == k2:
                self.cnt_m[node] = 0
                self._unlist_m(node)
        elif self.cnt_e[node] and self.key_e1[node] == k1 and self.key_e2[node] == k2:
            self.cnt_e[node] = 0
        return 0

    cdef list _keys_of(self, int64_t node):
        keys = []
        if self.cnt_m[node]:
            keys.append((self.key_m1[node], self.key_m2[node]))
        if self.cnt_e[node]:
            keys.append((self.key_e1[node], self.key_e2[node]))
        keys.extend(k for k in self.more_keys.get(node, ()) if k not in keys)
        return keys

    cdef int _set_keys(self, int64_t node, list keys) except -1:
        """The node's keys are `keys`: the first of each side inline, the rest in more_keys."""
        self._unlist_m(node)
        self.more_keys.pop(node, None)
        cm = [k for k in keys if (k[0] >> 60) == T_S1_MME]
        ce = [k for k in keys if (k[0] >> 60) != T_S1_MME]
        self.cnt_m[node], self.cnt_e[node] = min(len(cm), 255), min(len(ce), 255)
        if cm:
            self.key_m1[node], self.key_m2[node] = cm[0]
            self._list_m(node, <int64_t>self.key_m2[node])
        if ce:
            self.key_e1[node], self.key_e2[node] = ce[0]
        if len(cm) > 1 or len(ce) > 1:
            self.more_keys[node] = set(cm[1:] + ce[1:])
        return 0

    cdef int _list_m(self, int64_t node, int64_t m) except -1:
        cdef int64_t head = self.by_m.get(_tag(T_BY_M, 0), <uint64_t>m)
        self.m_next[node], self.m_prev[node], self.m_of[node] = <int32_t>head, -1, m
        if head >= 0:
            self.m_prev[head] = <int32_t>node
        self.by_m.set(_tag(T_BY_M, 0), <uint64_t>m, node)
        return 0

    cdef int _unlist_m(self, int64_t node) except -1:
        cdef int64_t p = self.m_prev[node], n = self.m_next[node], m = self.m_of[node]
        if m < 0:
            return 0
        if p >= 0:
            self.m_next[p] = <int32_t>n
        elif n >= 0:
            self.by_m.set(_tag(T_BY_M, 0), <uint64_t>m, n)
        else:
            self.by_m.delete(_tag(T_BY_M, 0), <uint64_t>m)
        if n >= 0:
            self.m_prev[n] = <int32_t>p
        self.m_of[node] = -1
        return 0

    cdef int _list_at(self, int64_t node, int32_t enb_a) except -1:
        cdef int64_t head = self.enb_head[enb_a]
        self.at_next[node], self.at_prev[node] = <int32_t>head, -1
        if head >= 0:
            self.at_prev[head] = <int32_t>node
        self.enb_head[enb_a] = node
        self.node_open[node] = 1
        return 0

    cdef int _unlist_at(self, int64_t node) except -1:
        cdef int64_t p = self.at_prev[node], n = self.at_next[node]
        if not self.node_open[node]:
            return 0
        if p >= 0:
            self.at_next[p] = <int32_t>n
        else:
            self.enb_head[self.node_enb[node]] = n
        if n >= 0:
            self.at_prev[n] = <int32_t>p
        self.node_open[node] = 0
        return 0

    cdef int _release(self, int64_t node) except -1:
        """The connection is over at its eNB: its IDs are free for the next UE."""
        if node in self.more_keys:
            for k1, k2 in self._keys_of(node):
                if self.s1_keys.get(k1, k2) == node:
                    self.s1_keys.delete(k1, k2)
            self.more_keys.pop(node)
        else:
            if self.cnt_m[node] and self.s1_keys.get(self.key_m1[node], self.key_m2[node]) == node:
                self.s1_keys.delete(self.key_m1[node], self.key_m2[node])
            if self.cnt_e[node] and self.s1_keys.get(self.key_e1[node], self.key_e2[node]) == node:
                self.s1_keys.delete(self.key_e1[node], self.key_e2[node])
        self.cnt_m[node] = self.cnt_e[node] = 0
        self._unlist_m(node)
        self._unlist_at(node)
        return 0

    cdef int _free_association(self, int32_t enb_a, int32_t mme_a, int64_t reset) except -1:
        """Reset (either side) or S1 Setup (the association restarted): the connections between
        the two are gone (the eNB's connections to other MMEs stay): all of them, or those a
        partial Reset lists (its UE-associated logical S1 connections, by MME or eNB UE S1AP
        ID). A Reset (row `reset`) records the open connections it cut."""
        cdef int64_t node = self.enb_head[enb_a], nxt
        cdef bint partial = False, hit
        by_m, by_e = set(), set()
        if reset >= 0:
            for m, e in self.reset_ids.get(reset, ()):
                if m >= 0:
                    by_m.add(m)
                if e >= 0:
                    by_e.add(e)
            partial = bool(by_m or by_e)
        while node >= 0:
            nxt = self.at_next[node]
            if self.node_mme[node] == mme_a:
                hit = not partial or self.m_of[node] in by_m or (
                    self.cnt_e[node] >= 1 and <int64_t>self.key_e2[node] in by_e)
                if hit:
                    if reset >= 0:
                        self.reset_nodes.setdefault(reset, []).append(int(node))
                    self._release(node)
            node = nxt
        return 0

    cdef int64_t _s1_source(self, int64_t m, int32_t mme_a, int32_t target):
        """The newest open connection at another eNB of the same MME with MME UE S1AP ID m, else
        (eNBs that share one address, as on a test bench, told apart only by their SCTP ports)
        the newest at the same address."""
        cdef int64_t node = self.by_m.get(_tag(T_BY_M, 0), <uint64_t>m), same = -1
        while node >= 0:
            if self.node_mme[node] == mme_a:
                if self.node_enb[node] != target:
                    return node
                if same < 0:
                    same = node
            node = self.m_next[node]
        return same

    cdef tuple _required(self, int32_t mme_a, int32_t target_a, int64_t ts):
        """The HandoverRequired a HandoverRequest to target_a answers: the oldest one pending at
        that MME within TS1RELOCprep, for that target eNB when both are known. A guess between
        several is a time-window link."""
        pending = [p for p in self.pending_ho.get(mme_a, ()) if 0 <= ts - p[0] <= self.prep_ns]
        target = self.enb_of_addr.get(target_a)
        named = [p for p in pending if target is not None and p[2] == target]
        pick = named or pending
        if not pick:
            return -1, ""
        self.pending_ho[mme_a] = [p for p in pending if p is not pick[0]]
        return pick[0][1], "handover" if named or len(pending) == 1 else "time-window"

    # -------------------------------------------------------------- NAS, exchanges, X2, CHR
    cdef int _nas(self, int64_t r) except -1:
        cdef int64_t node = self.conn[self.parent[r]]
        cdef int64_t t
        if node < 0:
            return 0
        self.conn[r] = <int32_t>node
        if self.imsi[r]:
            self._name(node, self.imsi[r], r)
        t = self.m_tmsi(r)
        if t >= 0:
            if self.msg[r] == 0x42 or self.msg[r] == 0x49 or self.msg[r] == 0x50:
                # AttachAccept, TAU Accept, GUTI Reallocation Command assign it
                self.assigned.setdefault(t, []).append((self.ts[r], node))
            else:
                self.presented.append((self.ts[r], t, node, r))
        return 0

    cdef int _name(self, int64_t node, int32_t imsi, int64_t r) except -1:
        """An identity seen on the node itself."""
        if not self.node_imsi[node]:
            self.node_imsi[node] = imsi
            self.node_kind[node] = self.imsi_code
        elif self.node_imsi[node] != imsi:
            self.conflicts.append(("imsi", r, self.node_imsi[node], imsi))
        return 0

    cdef int _exchange(self, int64_t r) except -1:
        cdef int32_t p = self.pair[r], a = self.pair_src[p], b = self.pair_dst[p]
        cdef int32_t x = self.ex[r], imsi = self.imsi[r], asker
        cdef int64_t seq = self.ex_seq[x], e2e = self.ex_e2e[x], teid = self.ex_teid[x], node
        cdef uint8_t side = 0
        if self.proto[r] == self.proto_gtp:
            side = self.gtp_side[self.msg[r] & 0xFF]
        elif self.proto[r] == self.proto_dia:
            side = ASKS if self.msg[r] & 1 else ANSWERS       # the R bit
        # each side numbers the requests it sends (GTPv2 sequence numbers, Diameter hop-by-hop
        # identifiers): an exchange is keyed by the pair, its sequence and which side asked, so
        # the SGW's Create Bearer Request #17 is not the answer to the MME's Modify Bearer #17
        asker = a if side == ASKS else b
        cdef uint64_t k1 = _tag(T_EXCHANGE, (<uint64_t>self.proto[r] << 40)
                                | (<uint64_t>(seq < 0) << 39) | (<uint64_t>(e2e < 0) << 38)
                                | (<uint64_t>(side != 0) << 37)
                                | (<uint64_t>(side != 0 and asker < (b if side == ASKS else a)) << 36)
                                | <uint32_t>self.upair[p])
        cdef uint64_t k2 = ((<uint64_t>seq & 0xFFFFFFFFULL) << 32) | (<uint64_t>e2e & 0xFFFFFFFFULL)
        cdef bint how
        cdef Py_ssize_t lo, hi, mid
        node = -1
        if side != 0 and teid > 0:
            # the header TEID is the one the receiver gave for the session: surer than a sequence
            # number, which a test bench sharing one address between nodes repeats
            node = self.tunnels.get(_tag(T_TUNNEL, <uint32_t>b), <uint64_t>teid)
        if node < 0:
            node = self.exchanges.get(k1, k2)
        how = node >= 0
        if node < 0 and teid > 0:
            node = self.tunnels.get(_tag(T_TUNNEL, <uint32_t>b), <uint64_t>teid)
            how = node >= 0
        if node < 0 or (imsi and self.node_imsi[node] and self.node_imsi[node] != imsi):
            node = self._new(0)
            how = False
        self.exchanges.set(k1, k2, node)
        self.conn[r] = <int32_t>node
        if imsi:
            self._name(node, imsi, r)
        elif how:
            self.by_exchange[r] = 1
        if self.ex_msisdn[x]:
            self.node_msisdn[node] = self.ex_msisdn[x]
        lo, hi = 0, self.f_row.shape[0]             # the row's F-TEIDs announce its tunnels
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.f_row[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        while lo < self.f_row.shape[0] and self.f_row[lo] == r:
            self.tunnels.set(_tag(T_TUNNEL, <uint32_t>(self.f_addr[lo] if self.f_addr[lo] >= 0 else a)),
                             <uint64_t>self.f_teid[lo], node)
            lo += 1
        return 0

    cdef int _x2(self, int64_t r) except -1:
        cdef int32_t msg = self.msg[r], menb = self.menb[r], old = self.old_x2[r]
        cdef int32_t p = self.pair[r], a = self.pair_src[p]
        cdef uint64_t up = <uint32_t>self.upair[p]
        cdef int64_t node, source, guess
        cdef int64_t ts = self.ts[r]
        if msg == X2_RESET or msg == X2_SETUP:
            self.x2_keys.drop_tag(_tag(T_X2_MENB, up))
            self.x2_keys.drop_tag(_tag(T_X2_HO, up))
            return 0
        if menb >= 0:
            node = self.x2_keys.get(_tag(T_X2_MENB, up), <uint64_t>menb)
            if node < 0 or msg == X2_SGNB_ADDITION_REQUEST:
                node = self._new(0)                   # a new NR leg, even on a reused ID
                self.x2_keys.set(_tag(T_X2_MENB, up), <uint64_t>menb, node)
                guess = self._last_active(a, ts) if msg == X2_SGNB_ADDITION_REQUEST else -1
                self.nr_legs.append((ts, guess, menb, node, r))
        elif old >= 0:
            node = self.x2_keys.get(_tag(T_X2_HO, up), <uint64_t>old)
            if node < 0 or msg == X2_HANDOVER_REQUEST:
                node = self._new(0)
                self.x2_keys.set(_tag(T_X2_HO, up), <uint64_t>old, node)
            if msg == X2_HANDOVER_REQUEST and self.mme(r) >= 0:
                source = self._s1_at(self.mme(r), a)
                if source >= 0:
                    self.edges.append((ts, "handover", source, node, r))
        else:
            return 0
        self.conn[r] = <int32_t>node
        if self.imsi[r]:                              # trace files name the UE of their copies
            self._name(node, self.imsi[r], r)
        return 0

    cdef int64_t _s1_at(self, int64_t mme_id, int32_t enb_a):
        """The open S1 connection with this MME UE S1AP ID at this eNB (else the only one)."""
        cdef int64_t node = self.by_m.get(_tag(T_BY_M, 0), <uint64_t>mme_id), at = -1, first = node
        cdef Py_ssize_t n = 0, n_at = 0
        while node >= 0:
            n += 1
            if self.node_enb[node] == enb_a:
                n_at += 1
                at = node
            node = self.m_next[node]
        if n_at == 1:
            return at
        return first if n == 1 else -1

    cdef int64_t _last_active(self, int32_t enb_a, int64_t ts):
        """No CHR may name an NR leg: the MeNB's open S1 connection with the latest message in
        the nr_window_ns before the SgNB Addition Request (-1 without one). Walks back over the
        messages already linked: the first of an open connection at that eNB is the latest.
        Only messages at that eNB can be (enb_at): a connection's latest message is at the eNB
        it is at now, and so is any message after it."""
        cdef Py_ssize_t j = self.pos - 1, steps = 0
        cdef int64_t r, node
        while j >= 0 and steps < 1 << 20:
            r = self.order[j]
            if ts - self.ts[r] > self.nr_window_ns:
                break
            if self.enb_at[j] != enb_a:
                j -= 1
                steps += 1
                continue
            node = self.conn[r]
            if (node >= 0 and self.dup[r] < 0 and (self.kind[r] == K_S1 or self.kind[r] == K_NAS)
                    and self.node_open[node] and self.node_enb[node] == enb_a
                    and self.last_seen[node] == self.ts[r]):
                return node
            j -= 1
            steps += 1
        return -1

    cdef int _chr(self, int64_t r) except -1:
        cdef int32_t imsi = self.imsi[r], x = self.ex[r]
        cdef int64_t node
        if not imsi:
            return 0
        node = self.chr_node.get(_tag(T_CHR, <uint32_t>self.file_id[r]), <uint64_t>imsi)
        if node < 0:                                  # one CHR story per subscriber and file
            node = self._new(imsi)
            self.chr_node.set(_tag(T_CHR, <uint32_t>self.file_id[r]), <uint64_t>imsi, node)
        self.conn[r] = <int32_t>node
        if x >= 0 and self.ex_msisdn[x]:
            self.node_msisdn[node] = self.ex_msisdn[x]
        if self.menb[r] >= 0:
            self.chr_menb.setdefault(self.menb[r], []).append((self.ts[r], node))
        return 0


# ------------------------------------------------------------------ address roles
def role_rows(const uint8_t[::1] proto, const int32_t[::1] msg, const int64_t[::1] item_row,
              const int64_t[::1] item_iface, const int8_t[::1] sender_role,
              const int8_t[::1] gtp_sender_role, const int8_t[::1] gtp_asks_role,
              const uint8_t[::1] gtp_request, const int8_t[::1] request_src,
              const int8_t[::1] request_dst, int p_s1ap, int p_gtp, int64_t msg_codes):
    """chrtool/link/procedures.py `role_claims` compiled, from its tables (ROLE_TABLES): per row
    (sure_src, sure_dst, weak_src, weak_dst). item_row/item_iface: the F-TEID items' rows and
    interface types (0..255), in item order (a message's first F-TEID is its own)."""
    cdef Py_ssize_t n = proto.shape[0], i, j
    cdef int64_t m, at, iface
    cdef int8_t role
    out = [np.zeros(n, np.int8) for _ in range(4)]
    cdef int8_t[::1] ss = out[0], sd = out[1], ws = out[2], wd = out[3]
    seen = np.zeros(n, np.uint8)
    cdef uint8_t[::1] first = seen
    if (msg.shape[0] != n or item_iface.shape[0] != item_row.shape[0]
            or sender_role.shape[0] != 1024 or gtp_sender_role.shape[0] != 256
            or gtp_asks_role.shape[0] != 256 or gtp_request.shape[0] != 256
            or request_src.shape[0] != 256 * msg_codes or request_dst.shape[0] != 256 * msg_codes):
        raise ValueError("a claim per row, and the tables of role_claims")
    for i in range(n):
        m = msg[i]
        if proto[i] == p_s1ap:
            role = sender_role[m & 0x3FF]
            if role > 0:
                ss[i] = role
                sd[i] = 3 - role                      # the peer: the other side
        at = <int64_t>proto[i] * msg_codes + (m if 0 <= m < msg_codes else msg_codes - 1)
        ws[i] = request_src[at]
        if ws[i] != 0:
            wd[i] = request_dst[at]
    for j in range(item_row.shape[0]):
        i = item_row[j]
        if i < 0 or i >= n or first[i]:
            continue
        first[i] = 1
        iface = item_iface[j]
        if iface < 0 or iface >= 256:                 # with an instance: none of the tables'
            iface = 0
        if proto[i] != p_gtp or gtp_sender_role[iface] <= 0:
            continue
        ss[i] = gtp_sender_role[iface]
        m = msg[i]
        if gtp_asks_role[iface] > 0 and 0 <= m < 256 and gtp_request[m]:
            sd[i] = gtp_asks_role[iface]
    return tuple(out)


def claim_rows(int8_t[::1] role_of, uint8_t[::1] surely, const int32_t[::1] src,
               const int32_t[::1] dst, const int8_t[::1] sure_src, const int8_t[::1] sure_dst,
               const int8_t[::1] weak_src, const int8_t[::1] weak_dst, int32_t none):
    """Apply the role claims of a batch's rows (chrtool/link/procedures.py `role_claims`): row
    by row, the sender's then the receiver's, first the sure ones (the last claim wins; the
    address is marked in `surely`), then the weak ones (only where no role is known yet). A
    role 0 claims nothing; `none` (no address) is never claimed. role_of and surely must cover
    every address id."""
    cdef Py_ssize_t i, n = src.shape[0]
    if not (dst.shape[0] == sure_src.shape[0] == sure_dst.shape[0] == weak_src.shape[0]
            == weak_dst.shape[0] == n) or surely.shape[0] < role_of.shape[0]:
        raise ValueError("one claim per row, and a sure mark per address")
    for i in range(n):
        _claim_one(role_of, surely, src[i], sure_src[i], False, none)
        _claim_one(role_of, surely, dst[i], sure_dst[i], False, none)
    for i in range(n):
        _claim_one(role_of, surely, src[i], weak_src[i], True, none)
        _claim_one(role_of, surely, dst[i], weak_dst[i], True, none)


cdef inline void _claim_one(int8_t[::1] role_of, uint8_t[::1] surely, int32_t a, int8_t role,
                            bint weak, int32_t none) noexcept:
    if role == 0 or a == none or a < 0 or a >= role_of.shape[0] or (weak and role_of[a] != 0):
        return
    role_of[a] = role
    if not weak:
        surely[a] = 1
