# The event table: one row per decoded message, columns as typed arrays.
# Every decoder in chrtool/_fast fills rows of this table; Python sees whole batches.
# The schema (enums, columns, item kinds) is declared once in chrtool/table/schema.py;
# chrtool/table/gen_schema.py writes the schema_*.pxi files included here from it.
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy, memset
from chrtool._fast.bytes cimport Cursor, cursor

include "schema_decl.pxi"       # enums, and EventColumns: the typed column views


cdef class EventTable(EventColumns):
    cdef public Py_ssize_t n          # rows in use
    cdef public Py_ssize_t n_items
    cdef public Py_ssize_t n_data     # bytes of data in use
    cdef public object cols           # dict: column name -> numpy array (capacity rows)
    cdef public object item_cols      # dict: item column name -> numpy array
    cdef public object data_array     # numpy uint8 array holding payloads the rows point into
    cdef public object file           # the input file this batch came from
    cdef public int file_id
    cdef uint8_t[::1] data

    cdef Py_ssize_t add_row(self) except -1
    cdef int add_item(self, Py_ssize_t row, int key, int64_t a, int64_t b, int64_t c, int64_t d) except -1
    cdef Py_ssize_t add_data(self, const uint8_t* p, Py_ssize_t length) except -1
    cdef int reserve_data(self, Py_ssize_t extra) except -1
    cdef void set_digits(self, uint8_t[:, ::1] col, Py_ssize_t row, const uint8_t* digits, Py_ssize_t n)


cdef EventTable new_table(Py_ssize_t rows, Py_ssize_t data_capacity, Py_ssize_t item_capacity,
                          file, int file_id)


cdef class TablePool:
    cdef Py_ssize_t size
    cdef list entries                 # [table, its objects, their reference counts]
    cdef public Py_ssize_t made, reused
    cdef EventTable get(self, Py_ssize_t rows, Py_ssize_t data_capacity,
                        Py_ssize_t item_capacity, file, int file_id)


cdef inline int put_item(EventTable t, Py_ssize_t row, int key, int64_t a, int64_t b, int64_t c,
                         int64_t d) except -1:
    """EventTable.add_item written in place (no method call) while the item table has room.
    Decoders call the put_<kind>() helpers of schema_inline.pxi, which name the fields."""
    cdef Py_ssize_t i = t.n_items
    if i >= t.it_row.shape[0]:
        return t.add_item(row, key, a, b, c, d)      # grows the table
    t.it_row[i] = row
    t.it_key[i] = key
    t.it_a[i] = a
    t.it_b[i] = b
    t.it_c[i] = c
    t.it_d[i] = d
    t.n_items = i + 1
    return 0


cdef inline int malformed(EventTable t, Py_ssize_t row) noexcept:
    """Mark a row F_MALFORMED: the decoder hit bad bytes, the row keeps what came before.
    Returns 0, so a decoder can `return malformed(t, row)`."""
    t.flags[row] |= F_MALFORMED
    return 0


cdef inline Cursor payload_cursor(EventTable t, Py_ssize_t row) noexcept:
    """The row's message bytes (payload_off, payload_len) as a checked view; an empty one with
    err set when they do not lie inside the data in use."""
    cdef int64_t off = t.payload_off[row]
    cdef Py_ssize_t n = t.payload_len[row]
    cdef Cursor c
    if off < 0 or n < 0 or off + n > t.n_data:
        c = cursor(NULL, 0)
        c.err = True
        return c
    return cursor(&t.data[0] + off, n)


include "schema_inline.pxi"     # bind_columns, init_row, inherit, put_<kind>()


cdef inline Py_ssize_t append_row(EventTable t) except -1:
    """EventTable.add_row written in place (no method call) while the table has room: a new
    row holding the column defaults; returns its index."""
    cdef Py_ssize_t r = t.n
    if r >= t.frame.shape[0]:
        return t.add_row()                  # grows the table
    init_row(t, r)
    t.n = r + 1
    return r


cdef inline Py_ssize_t append_data(EventTable t, const uint8_t* p, Py_ssize_t length) except -1:
    """EventTable.add_data written in place while the data buffer has room: copies the bytes,
    returns their offset."""
    cdef Py_ssize_t off = t.n_data
    if off + length > t.data.shape[0]:
        return t.add_data(p, length)        # grows the buffer
    if length > 0:
        memcpy(&t.data[off], p, length)
    t.n_data = off + length
    return off
