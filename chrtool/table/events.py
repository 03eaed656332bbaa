"""The event table as the rest of chrtool sees it.

Decoders fill `chrtool._fast.events.EventTable` batches (one per chunk of one file). `Events`
concatenates batches into one read-only columnar table for correlation and diagnosis, keeping
the item table and the data buffer consistent (row and data offsets are rebased). The schema
itself (columns, item kinds and their fields) is declared in chrtool/table/schema.py.
"""
import numpy as np

from chrtool.table.schema import references

from chrtool._fast.events import (CAUSE_CODES, CAUSE_PROTO, CELL_KINDS, COLUMNS, FLAGS,  # noqa: F401
                                  ITEM_COLUMNS, ITEM_KEYS, NODE_KINDS, PROTO, PROTO_NAMES,
                                  STR_KINDS, X2AP_ID_KINDS, EventTable)

DIGIT_COLUMNS = ("imsi", "msisdn", "imei")


class Events:
    """Columns (numpy arrays, one row per message), items, data, and the file of each row."""

    def __init__(self, cols, items, data, files):
        self.cols = cols
        self.items = items
        self.data = data
        self.files = files          # file_id -> path

    @property
    def n(self):
        return len(self.cols["frame"])

    def __len__(self):
        return self.n

    @classmethod
    def concat(cls, tables, files=None):
        """One Events from EventTable batches (in the order given)."""
        tables = [t for t in tables if t.n]
        files = dict(files or {})
        for t in tables:
            files.setdefault(t.file_id, t.file)
        if not tables:
            return cls.empty(files)
        row_base = np.cumsum([0] + [t.n for t in tables])[:-1]
        data_base = np.cumsum([0] + [t.n_data for t in tables])[:-1]
        cols = {}
        for name, *_ in COLUMNS:
            cols[name] = np.concatenate([t.column(name) for t in tables])
        cols["file_id"] = np.concatenate([np.full(t.n, t.file_id, np.int32) for t in tables])
        cols["payload_off"] += np.repeat(data_base, [t.n for t in tables])
        parent = cols["parent"]
        shift = np.repeat(row_base, [t.n for t in tables])
        cols["parent"] = np.where(parent >= 0, parent + shift, -1)
        items = {}
        parts = [t.items() for t in tables]
        for name, _ in ITEM_COLUMNS:
            items[name] = np.concatenate([p[name] for p in parts])
        item_row_base = np.repeat(row_base, [t.n_items for t in tables])
        item_data_base = np.repeat(data_base, [t.n_items for t in tables])
        items["row"] += item_row_base
        # item fields holding a row or a data offset (str, ie, nas, ...) move with their batch
        for sel, slot, ref in _references(items):
            base = item_row_base if ref == "row" else item_data_base
            items[slot] = np.where(sel, items[slot] + base, items[slot])
        data = np.concatenate([t.data_array[:t.n_data] for t in tables])
        return cls(cols, items, data, files)

    @classmethod
    def empty(cls, files=None):
        t = EventTable(capacity=16)
        cols = {name: t.column(name) for name, *_ in COLUMNS}
        cols["file_id"] = np.zeros(0, np.int32)
        return cls(cols, t.items(), np.zeros(0, np.uint8), files or {})

    def take(self, rows):
        """A new Events holding only `rows` (sorted indices); parents outside become -1."""
        rows = np.asarray(rows, dtype=np.int64)
        remap = np.full(self.n, -1, np.int64)
        remap[rows] = np.arange(len(rows))
        cols = {k: v[rows] for k, v in self.cols.items()}
        par = cols["parent"]
        cols["parent"] = np.where(par >= 0, remap[np.maximum(par, 0)], -1)
        keep = remap[self.items["row"]] >= 0 if len(self.items["row"]) else np.zeros(0, bool)
        items = {k: v[keep] for k, v in self.items.items()}
        items["row"] = remap[items["row"]]
        for sel, slot, ref in _references(items):     # data offsets stay: data is shared
            if ref == "row":
                items[slot] = items[slot].copy()
                items[slot][sel] = remap[items[slot][sel]]
        return Events(cols, items, self.data, self.files)

    def digits(self, name, row):
        """IMSI/MSISDN/IMEI of a row as a str ('' when absent)."""
        return bytes(self.cols[name][row]).rstrip(b"\0").decode("ascii", "replace")

    def digits_column(self, name):
        """A whole digit column as numpy bytes strings (b'' when absent)."""
        return np.ascontiguousarray(self.cols[name]).view("S16").ravel()

    def items_of(self, key):
        """Item rows of one key (name from ITEM_KEYS) as a dict of arrays."""
        sel = self.items["key"] == ITEM_KEYS[key]
        return {k: v[sel] for k, v in self.items.items()}

    def bytes_at(self, off, length):
        return bytes(self.data[int(off):int(off) + int(length)])


def _references(items):
    """(mask, slot, "row" | "data") per item field that points at a row or into the data
    buffer (schema.references()); the mask leaves out items where the field is -1 (absent)."""
    out = []
    for key, where, slot, ref in references():
        sel = items["key"] == key
        if where is not None:
            sel &= items[where[0]] == where[1]
        out.append((sel & (items[slot] >= 0), slot, ref))
    return out

