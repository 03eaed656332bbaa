"""The event table as the rest of chrtool sees it.

Decoders fill `chrtool._fast.events.EventTable` batches (one per chunk of one file). `Events`
concatenates batches into one read-only columnar table for correlation and diagnosis, keeping
the item table and the data buffer consistent (row and data offsets are rebased). The schema
itself (columns, item kinds and their fields) is declared in chrtool/table/schema.py.
"""
import numpy as np

from chrtool.table.schema import ITEM_KINDS, references

from chrtool._fast.events import (CAUSE_CODES, CAUSE_PROTO, CELL_KINDS, COLUMNS, FLAGS,  # noqa: F401
                                  ITEM_COLUMNS, ITEM_KEYS, NODE_KINDS, PROTO, PROTO_NAMES,
                                  STR_KINDS, X2AP_ID_KINDS, EventTable)

DIGIT_COLUMNS = ("imsi", "msisdn", "imei")
# the item slot of the length of each data reference (the str and ie kinds' "length" field)
_LENGTH_SLOT = {ITEM_KINDS[k].field("offset").slot: ITEM_KINDS[k].field("length").slot
                for k in ("str", "ie")}


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
        return cls.join([cls.of_table(t) for t in tables if t.n], files, batches=True)

    @classmethod
    def of_table(cls, t):
        """One EventTable batch as Events (its columns are views of the batch's buffers)."""
        cols = {name: t.column(name) for name, *_ in COLUMNS}
        cols["file_id"] = np.full(t.n, t.file_id, np.int32)
        return cls(cols, t.items(), t.data_array[:t.n_data], {t.file_id: t.file})

    @classmethod
    def join(cls, parts, files=None, batches=False):
        """One Events from several (in the order given): rows, item rows and data offsets are
        rebased onto the joined table. `batches`: the parts are views of EventTable batches,
        always copied."""
        files = dict(files or {})
        for p in parts:
            for k, v in p.files.items():
                files.setdefault(k, v)
        parts = [p for p in parts if p.n]
        if not parts:
            return cls.empty(files)
        if len(parts) == 1 and batches:          # one batch: still copied, batches are reused
            p = parts[0]
            return cls({k: v.copy() for k, v in p.cols.items()},
                       {k: v.copy() for k, v in p.items.items()}, p.data.copy(), files)
        rows = [p.n for p in parts]
        n_items = [len(p.items["row"]) for p in parts]
        row_base = np.cumsum([0] + rows)[:-1]
        data_base = np.cumsum([0] + [len(p.data) for p in parts])[:-1]
        cols = {name: np.concatenate([p.cols[name] for p in parts]) for name in parts[0].cols}
        cols["payload_off"] += np.repeat(data_base, rows)
        parent = cols["parent"]
        cols["parent"] = np.where(parent >= 0, parent + np.repeat(row_base, rows), -1)
        items = {name: np.concatenate([p.items[name] for p in parts]) for name, _ in ITEM_COLUMNS}
        item_row_base = np.repeat(row_base, n_items)
        item_data_base = np.repeat(data_base, n_items)
        items["row"] += item_row_base
        # item fields holding a row or a data offset (str, ie, nas, ...) move with their part
        for sel, slot, ref in _references(items):
            base = item_row_base if ref == "row" else item_data_base
            items[slot] = np.where(sel, items[slot] + base, items[slot])
        data = np.concatenate([p.data for p in parts])
        return cls(cols, items, data, files)

    @classmethod
    def empty(cls, files=None):
        t = EventTable(capacity=16)
        cols = {name: t.column(name) for name, *_ in COLUMNS}
        cols["file_id"] = np.zeros(0, np.int32)
        return cls(cols, t.items(), np.zeros(0, np.uint8), files or {})

    def take(self, rows, compact=False):
        """A new Events holding only `rows` (sorted indices); parents outside become -1. The data
        buffer is shared, or with `compact` copied down to the bytes those rows refer to (their
        payloads, strings and IEs), so that a few rows kept from a batch do not keep it all."""
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
        if not compact:
            return Events(cols, items, self.data, self.files)
        return Events(cols, items, _compact(self.data, cols, items), self.files)

    def save(self, fh):
        """Write the table to a binary file object (.npz; chrtool batch hands tables between
        processes so). Columns, items and data are stored as they are; `files` as JSON."""
        import json
        arrays = {"c." + k: v for k, v in self.cols.items()}
        arrays.update({"i." + k: v for k, v in self.items.items()})
        files = json.dumps({str(k): v for k, v in self.files.items()}).encode()
        np.savez(fh, data=np.asarray(self.data, np.uint8),
                 files=np.frombuffer(files, np.uint8), **arrays)

    @classmethod
    def load(cls, path):
        import json
        with np.load(path, allow_pickle=False) as z:
            cols = {k[2:]: z[k] for k in z.files if k.startswith("c.")}
            items = {k[2:]: z[k] for k in z.files if k.startswith("i.")}
            files = {int(k): v for k, v in json.loads(z["files"].tobytes()).items()}
            return cls(cols, items, z["data"], files)

    def digits(self, name, row):
        """IMSI/MSISDN/IMEI of a row as a str ('' when absent)."""
        return bytes(self.cols[name][row]).rstrip(b"\0").decode("ascii", "replace")

    def digits_column(self, name):
        """A whole digit column as numpy bytes strings (b'' when absent)."""
        return np.ascontiguousarray(self.cols[name]).view("S16").ravel()

    def items_of(self, key):
        """Item rows of one key (name from ITEM_KEYS) as a dict of arrays."""
        at = np.flatnonzero(self.items["key"] == ITEM_KEYS[key])
        return {k: v.take(at) for k, v in self.items.items()}

    def bytes_at(self, off, length):
        return bytes(self.data[int(off):int(off) + int(length)])


def _compact(data, cols, items):
    """The bytes of `data` that cols' payloads and items' strings and IEs refer to, copied into a
    new buffer; the offsets are moved onto it in place."""
    refs = [(cols["payload_off"], cols["payload_len"], cols["payload_len"] > 0)]
    for sel, slot, ref in _references(items):
        if ref == "data":
            length = items[_LENGTH_SLOT[slot]]
            refs.append((items[slot], length, sel & (length > 0)))
    start = np.concatenate([off[sel] for off, _, sel in refs]).astype(np.int64)
    end = start + np.concatenate([ln[sel] for _, ln, sel in refs]).astype(np.int64)
    if not len(start):
        return np.zeros(0, np.uint8)
    by = np.argsort(start, kind="stable")
    start_s, end_s = start[by], end[by]
    reach = np.maximum.accumulate(end_s)
    new = np.ones(len(start_s), bool)           # a range starts a new block unless it overlaps
    new[1:] = start_s[1:] > reach[:-1]
    block_start = start_s[new]
    block_end = np.maximum.reduceat(end_s, np.flatnonzero(new))
    size = block_end - block_start
    block_base = np.cumsum(size) - size
    picked = np.repeat(block_start - block_base, size) + np.arange(int(size.sum()))
    for off, _, sel in refs:                    # every offset onto its block's new place
        at = np.searchsorted(block_start, off[sel], side="right") - 1
        off[sel] = (block_base[at] + off[sel] - block_start[at]).astype(off.dtype)
    return np.ascontiguousarray(data[picked])


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

