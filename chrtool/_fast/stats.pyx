# cython: language_level=3
"""The counting pass of `chrtool stats` (chrtool/output/stats.py): one pass over each batch's
rows and items into C hash maps, instead of numpy sorting and Python loops per batch.

Keys are packed as the Python layer reads them back:
- a message: proto << 32 | (msg & 0xFFFFFFFF);
- a cause: cause code << 48 | (group & 0xFFFF) << 32 | (value & 0xFFFFFFFF), from the row's
  first cause (cause_proto > 0) and from every cause item.
"""
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint64_t
from libc.stdlib cimport calloc, free
from chrtool._fast.events cimport EventTable


cdef struct Map:
    int64_t* keys
    int64_t* counts
    uint8_t* used
    Py_ssize_t cap          # a power of two
    Py_ssize_t n


cdef int map_init(Map* m, Py_ssize_t cap) except -1:
    m.keys = <int64_t*>calloc(cap, sizeof(int64_t))
    m.counts = <int64_t*>calloc(cap, sizeof(int64_t))
    m.used = <uint8_t*>calloc(cap, 1)
    if m.keys == NULL or m.counts == NULL or m.used == NULL:
        free(m.keys); free(m.counts); free(m.used)
        m.keys = m.counts = NULL
        m.used = NULL
        raise MemoryError()
    m.cap = cap
    m.n = 0
    return 0


cdef void map_free(Map* m) noexcept:
    free(m.keys); free(m.counts); free(m.used)
    m.keys = m.counts = NULL
    m.used = NULL


cdef inline Py_ssize_t slot_of(int64_t key, Py_ssize_t cap) noexcept nogil:
    cdef uint64_t h = <uint64_t>key * 0x9E3779B97F4A7C15ULL
    return <Py_ssize_t>((h ^ (h >> 29)) & <uint64_t>(cap - 1))


cdef int map_add(Map* m, int64_t key, int64_t count) except -1:
    cdef Py_ssize_t i = slot_of(key, m.cap)
    cdef Map old
    cdef Py_ssize_t j
    while m.used[i]:
        if m.keys[i] == key:
            m.counts[i] += count
            return 0
        i = (i + 1) & (m.cap - 1)
    m.used[i] = 1
    m.keys[i] = key
    m.counts[i] = count
    m.n += 1
    if m.n * 2 > m.cap:                 # grow: rehash into twice the room
        old = m[0]
        map_init(m, old.cap * 2)
        for j in range(old.cap):
            if old.used[j]:
                map_add(m, old.keys[j], old.counts[j])
        map_free(&old)
    return 0


cdef list map_items(Map* m):
    cdef Py_ssize_t j
    return [(m.keys[j], m.counts[j]) for j in range(m.cap) if m.used[j]]


cdef inline int64_t pack_cause(uint64_t cp, int64_t group, int64_t value) noexcept nogil:
    return <int64_t>((cp << 48) | ((<uint64_t>group & 0xFFFFULL) << 32)
                     | (<uint64_t>value & 0xFFFFFFFFULL))


cdef class Tally:
    """Messages and causes counted over EventTable batches (see the module's doc for keys)."""
    cdef Map msg_map
    cdef Map cause_map
    cdef uint16_t cause_key
    cdef uint16_t masks[4]

    def __cinit__(self, int cause_key, flag_masks):
        """cause_key: the item key of cause items; flag_masks: four flag bits counted per batch."""
        map_init(&self.msg_map, 256)
        map_init(&self.cause_map, 256)
        self.cause_key = cause_key
        for i, mask in enumerate(flag_masks):
            self.masks[i] = mask

    def __dealloc__(self):
        map_free(&self.msg_map)
        map_free(&self.cause_map)

    def add(self, EventTable t):
        """Count one batch; returns the rows carrying each of the four flags, in order."""
        cdef Py_ssize_t r, n = t.n
        cdef int64_t f0 = 0, f1 = 0, f2 = 0, f3 = 0
        cdef uint16_t fl
        cdef int64_t key, last = 0, run = 0
        cdef uint64_t cp
        for r in range(n):
            key = <int64_t>((<uint64_t>t.proto[r] << 32) | (<uint64_t><int64_t>t.msg[r] & 0xFFFFFFFFULL))
            if run and key == last:          # runs of one message are common: one map update
                run += 1
            else:
                if run:
                    map_add(&self.msg_map, last, run)
                last = key
                run = 1
            cp = t.cause_proto[r]
            if cp > 0:
                map_add(&self.cause_map, pack_cause(cp, t.cause_group[r], t.cause_value[r]), 1)
            fl = t.flags[r]
            if fl:
                f0 += (fl & self.masks[0]) != 0
                f1 += (fl & self.masks[1]) != 0
                f2 += (fl & self.masks[2]) != 0
                f3 += (fl & self.masks[3]) != 0
        if run:
            map_add(&self.msg_map, last, run)
        for r in range(t.n_items):
            if t.it_key[r] == self.cause_key:
                map_add(&self.cause_map, pack_cause(<uint64_t>t.it_a[r], t.it_b[r], t.it_c[r]), 1)
        return f0, f1, f2, f3

    def messages(self):
        """[(message key, count)], in no particular order."""
        return map_items(&self.msg_map)

    def causes(self):
        """[(cause key, count)], in no particular order."""
        return map_items(&self.cause_map)
