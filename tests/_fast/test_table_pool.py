"""chrtool/_fast/events.pyx TablePool, as the capture reader uses it: a batch the consumer lets go
is refilled for a later chunk; one it keeps (the table, a column, the items or the data buffer)
never changes under it."""
import io
from pathlib import Path

import numpy as np

from chrtool._fast.capture import CaptureReader
from chrtool.inputs.pipeline import decode_batch, new_states

CAPTURE = Path(__file__).resolve().parents[2] / "samples" / "day" / "capture" / "probe-a-0001.pcapng"


def batches(chunk_bytes=4096):
    """The sample's pcapng 30 times over (30 sections): a dozen batches or so."""
    yield from CaptureReader(io.BytesIO(CAPTURE.read_bytes() * 30), str(CAPTURE),
                             chunk_bytes=chunk_bytes)


def snapshot(t):
    return ({k: v[:t.n].copy() for k, v in t.cols.items()},
            {k: v[:t.n_items].copy() for k, v in t.item_cols.items()},
            bytes(t.data_array[:t.n_data]))


def same(t, snap):
    cols, items, data = snap
    return (all(np.array_equal(t.cols[k][:t.n], v) for k, v in cols.items())
            and all(np.array_equal(t.item_cols[k][:t.n_items], v) for k, v in items.items())
            and bytes(t.data_array[:t.n_data]) == data)


def test_released_batches_are_reused_and_give_the_same_rows():
    kept = [snapshot(t) for t in batches()]           # copies only: every table let go
    ids, rows = set(), []
    for t in batches():
        ids.add(id(t))
        rows.append(snapshot(t))
        del t
    assert len(rows) == len(kept) > 10
    assert len(ids) < len(rows)                       # tables came back from the pool
    for (c1, i1, d1), (c2, i2, d2) in zip(kept, rows):
        assert d1 == d2 and all(np.array_equal(c1[k], c2[k]) for k in c1)


def test_kept_batches_columns_and_buffers_never_change():
    tables, columns, items, data, snaps = [], [], [], [], []
    states = new_states()
    for i, t in enumerate(batches()):
        decode_batch(t, states)                        # decoders add rows and items
        snap = snapshot(t)
        if i % 4 == 0:
            tables.append((t, snap))                   # the table itself
        elif i % 4 == 1:
            columns.append((t.column("imsi"), snap[0]["imsi"]))   # a view of one column
        elif i % 4 == 2:
            items.append((t.items()["a"], snap[1]["a"]))
        else:
            data.append((t.data_array, t.n_data, snap[2]))
        snaps.append(snap)
        del t
    assert tables and columns and items and data
    for t, snap in tables:
        assert same(t, snap)
    for view, copy in columns + items:
        assert np.array_equal(view, copy)
    for arr, n, raw in data:
        assert bytes(arr[:n]) == raw


def test_rows_past_the_last_are_defaults_when_a_table_is_reused():
    # a reused table's earlier rows are dirty; every row a decoder appends holds the defaults
    from chrtool._fast.events import COLUMNS
    for t in batches(2048):
        r = t.add_python_row()
        for name, _dtype, width, fill in COLUMNS:
            assert (t.cols[name][r] == fill).all(), name
        t.n -= 1
        del t
