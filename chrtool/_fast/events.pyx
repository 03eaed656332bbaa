# cython: language_level=3
"""The event table shared by every compiled decoder (see events.pxd; the schema is declared in
chrtool/table/schema.py)."""
import numpy as np
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
        """Append a row holding the column defaults; returns its index."""
        cdef Py_ssize_t cap = self.frame.shape[0]
        if self.n >= cap:
            new = {}
            for spec in COLUMNS:
                arr = _alloc(spec, cap * 2)
                arr[:cap] = self.cols[spec[0]]
                new[spec[0]] = arr
            self.cols = new
            self._bind()
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
