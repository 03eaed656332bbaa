# cython: language_level=3
"""The event table shared by every compiled decoder (see events.pxd; the schema is declared in
chrtool/table/schema.py)."""
import numpy as np
from cpython.ref cimport Py_REFCNT
from libc.string cimport memcpy, memset

include "schema_names.pxi"      # COLUMNS, ITEM_COLUMNS, the names dicts (chrtool/table/schema.py)

ITEMS_PER_ROW = 8


def _alloc(spec, capacity):
    name, dtype, width, fill = spec
    shape = (capacity, width) if width else (capacity,)
    return np.full(shape, fill, dtype=dtype)


cdef class EventTable:
    """A batch of decoded messages: `cols` (capacity rows, `n` used), `item_cols`, `data`."""

    def __init__(self, Py_ssize_t capacity=4096, Py_ssize_t data_capacity=1 << 20,
                 file=None, int file_id=0):
        self.n = 0
        self.n_items = 0
        self.n_data = 0
        self.file = file
        self.file_id = file_id
        capacity = max(capacity, 16)
        self.cols = {spec[0]: _alloc(spec, capacity) for spec in COLUMNS}
        # items need no defaults (every field is written when one is added): np.empty, and
        # room for several per row, since decoders add a handful to each message
        self.item_cols = {name: np.empty(max(capacity * ITEMS_PER_ROW, 64), dtype=dt)
                          for name, dt in ITEM_COLUMNS}
        self.data_array = np.zeros(max(data_capacity, 1024), dtype=np.uint8)
        self._bind()
        self._bind_items()
        self.data = self.data_array

    def _bind(self):
        bind_columns(self, self.cols)

    def _bind_items(self):
        bind_item_columns(self, self.item_cols)

    @property
    def capacity(self):
        return self.frame.shape[0]

    cdef Py_ssize_t add_row(self) except -1:
        """Append a row holding the column defaults; returns its index. The row is given its
        defaults here (init_row), so tables from new_table() or a TablePool need no fill pass."""
        cdef Py_ssize_t cap = self.frame.shape[0]
        if self.n >= cap:
            new = {}
            for name, dtype, width, fill in COLUMNS:
                arr = np.empty((cap * 2, width) if width else (cap * 2,), dtype=dtype)
                arr[:cap] = self.cols[name]
                new[name] = arr
            self.cols = new
            self._bind()
        init_row(self, self.n)
        self.n += 1
        return self.n - 1

    cdef int add_item(self, Py_ssize_t row, int key, int64_t a, int64_t b, int64_t c,
                      int64_t d) except -1:
        cdef Py_ssize_t cap = self.it_row.shape[0]
        cdef Py_ssize_t i = self.n_items
        if i >= cap:                      # grow by doubling, copying only the used part
            grown = {}
            for name, arr in self.item_cols.items():
                grown[name] = np.empty(cap * 2, dtype=arr.dtype)
                grown[name][:i] = arr[:i]
            self.item_cols = grown
            self._bind_items()
        self.it_row[i] = row
        self.it_key[i] = key
        self.it_a[i] = a
        self.it_b[i] = b
        self.it_c[i] = c
        self.it_d[i] = d
        self.n_items = i + 1
        return 0

    cdef int reserve_data(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t cap = self.data.shape[0]
        if self.n_data + extra > cap:
            grown = np.zeros(max(cap * 2, self.n_data + extra), dtype=np.uint8)
            grown[:self.n_data] = self.data_array[:self.n_data]
            self.data_array = grown
            self.data = grown
        return 0

    cdef Py_ssize_t add_data(self, const uint8_t* p, Py_ssize_t length) except -1:
        """Copy bytes into the data buffer; returns their offset."""
        self.reserve_data(length)
        cdef Py_ssize_t off = self.n_data
        if length > 0:
            memcpy(&self.data[off], p, length)
        self.n_data += length
        return off

    cdef void set_digits(self, uint8_t[:, ::1] col, Py_ssize_t row, const uint8_t* digits,
                         Py_ssize_t n):
        if n > 16:
            n = 16
        memset(&col[row, 0], 0, 16)
        if n > 0:
            memcpy(&col[row, 0], digits, n)

    # --- Python-side views -------------------------------------------------
    def column(self, name):
        """The used part of one column (a numpy view, no copy)."""
        return self.cols[name][:self.n]

    def items(self):
        """The used part of the item table as a dict of numpy views."""
        return {name: arr[:self.n_items] for name, arr in self.item_cols.items()}

    def payload(self, Py_ssize_t row):
        off = self.cols["payload_off"][row]
        return bytes(self.data_array[off:off + self.cols["payload_len"][row]])

    def bytes_at(self, Py_ssize_t off, Py_ssize_t length):
        return bytes(self.data_array[off:off + length])

    def add_python_row(self, **values):
        """Append one row from Python (tests, CHR readers written in Python); returns its index."""
        cdef Py_ssize_t row = self.add_row()
        for name, value in values.items():
            self.cols[name][row] = value
        return row

    def add_python_item(self, Py_ssize_t row, int key, a=-1, b=-1, c=-1, d=-1):
        self.add_item(row, key, a, b, c, d)

    def add_python_data(self, const uint8_t[::1] raw):
        if raw.shape[0] == 0:
            return self.n_data
        return self.add_data(&raw[0], raw.shape[0])

    def __len__(self):
        return self.n

    def __repr__(self):
        return f"<EventTable {self.file!r} rows={self.n} items={self.n_items} data={self.n_data}B>"


cdef EventTable new_table(Py_ssize_t rows, Py_ssize_t data_capacity, Py_ssize_t item_capacity,
                          file, int file_id):
    """An empty table whose memory is not written (np.empty: no fill pass, no page touched
    before a decoder uses it). Only add_row() may add rows to it (it gives each its defaults)."""
    cdef EventTable t = EventTable.__new__(EventTable)
    t.n = t.n_items = t.n_data = 0
    t.file = file
    t.file_id = file_id
    rows = max(rows, 16)
    t.cols = {name: np.empty((rows, width) if width else (rows,), dtype=dtype)
              for name, dtype, width, fill in COLUMNS}
    t._bind()
    t.item_cols = {name: np.empty(max(item_capacity, 64), dtype=dt) for name, dt in ITEM_COLUMNS}
    t._bind_items()
    t.data_array = np.empty(max(data_capacity, 1024), dtype=np.uint8)
    t.data = t.data_array
    return t


cdef tuple _objects(EventTable t):
    """The objects through which a consumer could still hold a batch's memory."""
    return (t, t.cols, t.item_cols, t.data_array, *t.cols.values(), *t.item_cols.values())


cdef tuple _refcounts(tuple objs):
    return tuple([Py_REFCNT(o) for o in objs])


cdef class TablePool:
    """Batches handed out before, taken back once the consumer holds none of them.

    A reader asks the pool for each batch's table. A table comes back only when nothing but the
    pool refers to it or to any of its arrays (reference counts as when it was made) and none of
    its arrays was swapped by growth, so a consumer that keeps a batch, a column or the data
    buffer never sees it change; such a table is simply left to the consumer. Reusing the same
    memory batch after batch keeps it in cache and spares the page faults of fresh memory.
    """

    def __cinit__(self, Py_ssize_t size=3):
        self.size = size
        self.entries = []
        self.made = 0
        self.reused = 0

    cdef EventTable get(self, Py_ssize_t rows, Py_ssize_t data_capacity,
                        Py_ssize_t item_capacity, file, int file_id):
        """A free pooled table with room for `rows` rows (not more than twice that), `data_capacity`
        bytes and `item_capacity` items, emptied; else a new one from new_table()."""
        cdef Py_ssize_t i
        cdef list entry
        cdef EventTable t
        for i in range(len(self.entries)):
            entry = self.entries[i]
            t = <EventTable>entry[0]
            if (t.frame.shape[0] < rows or t.frame.shape[0] > 2 * rows + 64
                    or t.data.shape[0] < data_capacity or t.it_row.shape[0] < item_capacity):
                continue
            objs = _objects(t)
            same = len(objs) == len(<tuple>entry[1])
            if same:
                for a, b in zip(objs, <tuple>entry[1]):
                    if a is not b:
                        same = False
                        break
            objs = a = b = None
            if not same:
                del self.entries[i]          # grown: its arrays are no longer the pool's
                return self.get(rows, data_capacity, item_capacity, file, file_id)
            # (counted with the same locals holding it as when the counts were taken)
            if _refcounts(<tuple>entry[1]) != entry[2]:
                continue
            t.n = t.n_items = t.n_data = 0
            t.file = file
            t.file_id = file_id
            del self.entries[i]
            self.entries.append(entry)
            self.reused += 1
            return t
        # a quarter more than asked, so that the next batches' slightly different sizes fit
        t = new_table(rows + rows // 4, data_capacity + data_capacity // 4,
                      item_capacity + item_capacity // 4, file, file_id)
        self.made += 1
        entry = [t, _objects(t), None]
        entry[2] = _refcounts(<tuple>entry[1])
        self.entries.append(entry)
        if len(self.entries) > self.size:
            del self.entries[0]
        return t
