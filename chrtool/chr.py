"""CHR inputs: chr-v1 binary files, vendor CSV exports, 3GPP TS 32.423 trace XML.

Each reader is iterable, yields EventTable batches, and keeps `problems` (a list of
(offset_or_line, layer, message)) and `counters` (a dict). sources.py picks the reader by content.

- ChrV1Reader: the Cython bulk decoder (chrtool/_fast/chr_v1.pyx); offsets are bytes.
- VendorCsvReader: pyarrow's CSV reader plus a column-mapping file (decoders/maps/*.toml);
  conversion is column-wise (no Python object per row); positions are line numbers.
- TraceXmlReader: an expat stream with DTD entities and external references refused (billion
  laughs, XXE) and bounded memory; positions are line numbers (with the column in the text).
"""
from __future__ import annotations

import csv
import io
import os
import re
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chrtool._fast.chr_v1 import ChrV1Reader, decode_bytes  # noqa: F401  (the public reader)
from chrtool._fast.events import (CAUSE_CODES, CELL_KINDS, FLAGS, ITEM_KEYS, PROTO, STR_KINDS,
                                  EventTable)
from chrtool.decoders import chr_v1 as spec
from chrtool.errors import DecodeError, InputError

__all__ = ["ChrV1Reader", "VendorCsvReader", "TraceXmlReader", "load_mapping", "known_layouts",
           "MAPS_DIR"]

MAPS_DIR = Path(spec.__file__).resolve().parent / "maps"
MAX_LISTED = 20            # bad values listed per column and batch; the rest are counted

_STR_IDS = {v: k for k, v in STR_KINDS.items()}
_CELL_IDS = {v: k for k, v in CELL_KINDS.items()}


class _Problems:
    """problems list with a cap, and the count of everything reported."""

    def __init__(self, limit=1000):
        self.items, self.limit, self.count = [], limit, 0

    def add(self, where, layer, message):
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append((where, layer, message))
        elif len(self.items) == self.limit:
            self.items.append((where, layer, "further problems not listed"))


def _item_arrays(parts):
    """Concatenate item parts [(row, key, a, b, c, d) arrays] sorted by row."""
    if not parts:
        return None
    cols = [np.concatenate([np.asarray(p[i], dtype=np.int64) for p in parts]) for i in range(6)]
    order = np.argsort(cols[0], kind="stable")
    return [c[order] for c in cols]


def _set_items(t, arrays):
    if arrays is None:
        return
    n = len(arrays[0])
    names = ("row", "key", "a", "b", "c", "d")
    t.item_cols = {name: arrays[i].astype(t.item_cols[name].dtype) for i, name in enumerate(names)}
    t._bind_items()
    t.n_items = n


# ============================================================================== vendor CSV
def known_layouts(maps_dir=None):
    """{layout name: mapping dict} of the shipped mapping files (and those in maps_dir)."""
    out = {}
    dirs = [MAPS_DIR] + ([Path(maps_dir)] if maps_dir else [])
    for d in dirs:
        for path in sorted(Path(d).glob("*.toml")):
            m = load_mapping(path)
            out[m["layout"]["name"]] = m
    return out


_UNITS = {
    # unit name -> (function from float array to natural units (dBm/dB/raw))
    "dBm": lambda x: x, "dB": lambda x: x, "raw": lambda x: x,
    "centi": lambda x: x / 100.0,                     # already x100
    "rsrp-index": lambda x: x - 141.0,                # TS 36.133 RSRP_00..97 (lower edge + 1)
    "rsrq-index": lambda x: (x - 40.0) / 2.0,         # TS 36.133 RSRQ_00..34
    "ss-rsrp-index": lambda x: x - 157.0,             # TS 38.133 SS-RSRP_0..127
    "ss-rsrq-index": lambda x: (x - 87.0) / 2.0,      # TS 38.133 SS-RSRQ_0..127
    "ss-sinr-index": lambda x: (x - 46.0) / 2.0,      # TS 38.133 SS-SINR_0..127
}
_EVENT_COLUMNS = ("imsi", "msisdn", "imei", "mme_ue_s1ap_id", "enb_ue_s1ap_id",
                  "menb_ue_x2ap_id", "sgnb_ue_x2ap_id", "m_tmsi", "crnti", "tac", "eci", "nci")


def load_mapping(path):
    """Read and check one column-mapping file; raises InputError naming the file and key."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            m = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the column mapping: {exc}") from exc
    m["_path"] = str(path)

    def need(cond, what):
        if not cond:
            raise InputError(f"{path}: {what}")

    lay = m.get("layout", {})
    need(isinstance(lay.get("name"), str), "[layout] needs name = \"...\"")
    need(isinstance(lay.get("required"), list) and lay["required"],
         "[layout] needs required = [header columns that identify the layout]")
    need("time" in m and ("column" in m["time"] or "parts" in m["time"]),
         "[time] needs column = ... (or parts = {...})")
    need("event" in m and "column" in m["event"], "[event] needs column = ...")
    for text, name in m["event"].get("values", {}).items():
        need(name in spec.EVENT_IDS, f"[event.values] {text!r} -> {name!r}: not a chr-v1 event "
             f"(known: {', '.join(sorted(spec.EVENT_IDS))})")
    for name in m.get("columns", {}):
        need(name in _EVENT_COLUMNS, f"[columns] {name!r} is not an event-table column "
             f"(known: {', '.join(_EVENT_COLUMNS)})")
    for i, ms in enumerate(m.get("meas", [])):
        need(ms.get("kind") in spec.MEAS_KIND_IDS, f"[[meas]] #{i + 1}: kind must be one of "
             f"{', '.join(spec.MEAS_KIND_IDS)}")
        need(ms.get("unit", "dBm") in _UNITS, f"[[meas]] #{i + 1}: unit must be one of "
             f"{', '.join(_UNITS)}")
    cause = m.get("cause")
    if cause:
        for text, target in cause.get("values", {}).items():
            kind, _, name = str(target).partition(":")
            need(kind in spec.CAUSE_KIND_IDS and name in spec.CAUSES[spec.CAUSE_KIND_IDS[kind]],
                 f"[cause.values] {text!r} -> {target!r}: not 'kind:name' of a chr-v1 cause")
    return m


def _header_of(fh):
    """The header line's column names (BOM stripped)."""
    first = fh.readline(1 << 20)
    text = first.decode("utf-8-sig", "replace").rstrip("\r\n")
    try:
        return next(csv.reader([text]), [])
    except csv.Error as exc:                   # e.g. a stray carriage return inside the header
        raise InputError(f"line 1: the CSV header cannot be read ({exc})") from exc


def _int_column(arr, base=10):
    """string array -> (int64 numpy values, valid mask, bad mask) column-wise."""
    s = pc.utf8_trim_whitespace(arr)
    empty = pc.fill_null(pc.equal(s, ""), True)
    if base == 16:
        s = pc.replace_substring_regex(s, r"^0[xX]", "")
        ok = pc.fill_null(pc.match_substring_regex(s, r"^[0-9A-Fa-f]{1,15}$"), False)
        vals = np.zeros(len(arr), np.int64)
        okn = ok.to_numpy(zero_copy_only=False)
        if okn.any():   # hex: no compute kernel; convert only the valid cells
            good = s.filter(ok).to_numpy(zero_copy_only=False).astype("U16")
            vals[okn] = np.array([int(x, 16) for x in good], np.int64) if len(good) else []
    else:
        ok = pc.fill_null(pc.match_substring_regex(s, r"^[+-]?\d{1,18}(\.0*)?$"), False)
        clean = pc.if_else(ok, pc.replace_substring_regex(s, r"\.0*$", ""), "0")
        vals = pc.cast(clean, pa.int64()).to_numpy(zero_copy_only=False)
        okn = ok.to_numpy(zero_copy_only=False)
    bad = ~okn & ~empty.to_numpy(zero_copy_only=False)
    return vals, okn, bad


def _float_column(arr):
    s = pc.utf8_trim_whitespace(arr)
    empty = pc.fill_null(pc.equal(s, ""), True)
    ok = pc.fill_null(pc.match_substring_regex(
        s, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"), False)
    vals = pc.cast(pc.if_else(ok, s, "0"), pa.float64()).to_numpy(zero_copy_only=False)
    okn = ok.to_numpy(zero_copy_only=False)
    return vals, okn, ~okn & ~empty.to_numpy(zero_copy_only=False)


def _lookup(arr, table, default=-1):
    """Map strings through a {text: int} table column-wise; (values, known, unknown-nonempty)."""
    s = pc.utf8_trim_whitespace(arr)
    keys = list(table)
    idx = pc.index_in(s, value_set=pa.array(keys, pa.string()))
    idxn = pc.fill_null(idx, -1).to_numpy(zero_copy_only=False)
    lut = np.array([table[k] for k in keys] + [default], np.int64)
    vals = lut[idxn]
    known = idxn >= 0
    empty = pc.fill_null(pc.equal(s, ""), True).to_numpy(zero_copy_only=False)
    return vals, known, ~known & ~empty


class VendorCsvReader:
    """Iterate EventTable batches from a vendor CSV export, through a column-mapping file.

    `mapping` is a mapping dict, a path to a .toml, a layout name, or None to pick the shipped
    layout whose `required` columns are all in the header (InputError listing the known layouts
    if none is). Bad cells leave their field empty and are reported with their line number.
    """

    def __init__(self, path_or_fh, name=None, file_id=0, mapping=None, block_size=4 << 20,
                 maps_dir=None):
        self.source = path_or_fh
        self.name = name or (str(path_or_fh) if isinstance(path_or_fh, (str, os.PathLike))
                             else getattr(path_or_fh, "name", "<csv>"))
        self.file_id = file_id
        self._problems = _Problems()
        self.problems = self._problems.items
        self.counters = {"rows": 0, "bad_rows": 0, "bad_values": 0, "unknown_events": 0,
                         "unknown_causes": 0, "unmapped_columns": 0, "missing_columns": 0}
        self.block_size = block_size
        self._open()
        self.mapping = self._choose(mapping, maps_dir)
        self.layout = self.mapping["layout"]["name"]

    # -- opening and layout choice ------------------------------------------------------------
    def _open(self):
        src = self.source
        if isinstance(src, (str, os.PathLike)):
            self._fh = open(src, "rb")
        else:
            self._fh = src
            if not (hasattr(src, "seekable") and src.seekable()):
                self._fh = io.BytesIO(src.read())
        self._start = self._fh.tell()
        self.header = _header_of(self._fh)
        self._fh.seek(self._start)
        if not self.header or self.header == [""]:
            raise InputError(f"{self.name}: line 1: no CSV header")

    def _choose(self, mapping, maps_dir):
        cols = set(self.header)
        if isinstance(mapping, dict):
            chosen = mapping
        elif isinstance(mapping, (str, os.PathLike)) and str(mapping).endswith(".toml"):
            chosen = load_mapping(mapping)
        else:
            layouts = known_layouts(maps_dir)
            if mapping is not None:
                if mapping not in layouts:
                    raise InputError(f"{self.name}: no column mapping called {mapping!r}; known "
                                     f"layouts: {', '.join(sorted(layouts))}")
                chosen = layouts[mapping]
            else:
                fits = [m for m in layouts.values() if set(m["layout"]["required"]) <= cols]
                if not fits:
                    lines = [f"  {n}: needs {', '.join(m['layout']['required'])}  "
                             f"({m['_path']})" for n, m in sorted(layouts.items())]
                    raise InputError(
                        f"{self.name}: line 1: the CSV header matches no known CHR export "
                        f"layout.\nHeader: {', '.join(self.header[:12])}"
                        f"{' ...' if len(self.header) > 12 else ''}\nKnown layouts:\n"
                        + "\n".join(lines)
                        + "\nAdd a mapping file for this export (docs/formats/vendor-csv.md).")
                chosen = max(fits, key=lambda m: len(m["layout"]["required"]))
        missing = [c for c in chosen["layout"]["required"] if c not in cols]
        if missing:
            raise InputError(f"{self.name}: line 1: columns {', '.join(missing)} required by "
                             f"layout {chosen['layout']['name']!r} are missing")
        return chosen

    def problem(self, where, message):
        self._problems.add(where, "csv", message)

    # -- reading ------------------------------------------------------------------------------
    def __iter__(self):
        m = self.mapping
        used = self._used_columns()
        extra = [c for c in self.header if c not in used]
        if extra:
            self.counters["unmapped_columns"] = len(extra)
            self.problem(1, f"columns not in layout {self.layout!r}, ignored: {', '.join(extra)}")
        self._missing = {c for c in used if c not in self.header}
        if self._missing:
            self.counters["missing_columns"] = len(self._missing)
            self.problem(1, f"columns of layout {self.layout!r} not in the file, their fields "
                         f"stay empty: {', '.join(repr(c) for c in sorted(self._missing))}")
        self._seen_unknown = set()
        self._bad_lines = []

        def invalid(row):
            self.counters["bad_rows"] += 1
            self._bad_lines.append(row.number)
            self.problem(row.number or 0, f"row has {row.actual_columns} fields, the header "
                         f"{row.expected_columns}: row skipped")
            return "skip"

        read = pacsv.ReadOptions(block_size=self.block_size, use_threads=False,
                                 encoding=m["layout"].get("encoding", "utf8"))
        parse = pacsv.ParseOptions(delimiter=m["layout"].get("delimiter", ","),
                                   invalid_row_handler=invalid)
        conv = pacsv.ConvertOptions(column_types={c: pa.string() for c in self.header},
                                    strings_can_be_null=False, quoted_strings_can_be_null=False)
        self._fh.seek(self._start)
        try:
            reader = pacsv.open_csv(self._fh, read_options=read, parse_options=parse,
                                    convert_options=conv)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise InputError(f"{self.name}: cannot read as CSV: {exc}") from exc
        row0 = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                self.problem(row0 + 2, f"CSV stops being readable here: {exc}")
                break
            if batch.num_rows == 0:
                continue
            t = self._convert(batch, row0)
            row0 += batch.num_rows
            self.counters["rows"] = row0
            yield t
        if not isinstance(self.source, (str, os.PathLike)):
            return
        self._fh.close()

    def _used_columns(self):
        m = self.mapping
        used = set()
        t = m["time"]
        used.update([t["column"]] if "column" in t else t["parts"].values())
        used.add(m["event"]["column"])
        for spec_ in m.get("columns", {}).values():
            used.update(_source_columns(spec_))
        for ms in m.get("meas", []):
            used.update(c for k, c in ms.items() if k in ("column", "pci_column", "arfcn_column"))
        for key in ("cause", "proto_cause", "target_cell", "erab"):
            sec = m.get(key, {})
            used.update(v for k, v in sec.items() if k.endswith("column") and isinstance(v, str))
        for k in ("plmn_column", "nr_plmn_column"):
            if k in m.get("cell", {}):
                used.add(m["cell"][k])
        return used

    def _line(self, row0, i):
        """Line number of data row i of this batch (header is line 1, skipped rows counted)."""
        line = row0 + i + 2
        for bad in self._bad_lines:
            if bad and bad <= line:
                line += 1
        return line

    def _report(self, what, col, bad, row0, arr):
        idx = np.flatnonzero(bad)
        if not len(idx):
            return
        self.counters["bad_values"] += len(idx)
        shown = ", ".join(f"line {self._line(row0, int(i))}: {arr[int(i)].as_py()!r}"
                          for i in idx[:5])
        more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
        self.problem(self._line(row0, int(idx[0])),
                     f"{what} (column {col!r}): {len(idx)} bad value(s) left empty: {shown}{more}")

    def _col(self, batch, name):
        if name in self._missing or name not in batch.schema.names:
            return None
        return batch.column(name)

    def _convert(self, batch, row0):
        m = self.mapping
        n = batch.num_rows
        t = EventTable(capacity=n, data_capacity=1024, file=self.name, file_id=self.file_id)
        cols = t.cols
        cols["frame"][:n] = np.arange(row0 + 1, row0 + n + 1)
        cols["proto"][:n] = PROTO["CHR"]
        # time
        ts = self._time(batch, row0)
        cols["ts_ns"][:n] = ts
        # event
        ev = m["event"]
        arr = self._col(batch, ev["column"])
        table = {k: spec.EVENT_IDS[v] for k, v in ev.get("values", {}).items()}
        table.update({name: eid for eid, name in spec.EVENTS.items()})
        if arr is not None:
            ids, known, unknown = _lookup(arr, table)
            numeric, isnum, _ = _int_column(arr)
            ids = np.where(~known & isnum, numeric, ids)     # numeric event ids pass through
            cols["msg"][:n] = ids
            unk = ~known & ~isnum
            if unk.any():
                cols["flags"][:n][unk] |= FLAGS["unknown_msg"]
                self.counters["unknown_events"] += int(unk.sum())
                names = set(pc.unique(arr.filter(pa.array(unk))).to_pylist()) - self._seen_unknown
                if names:
                    self._seen_unknown |= names
                    first = int(np.flatnonzero(unk)[0])
                    self.problem(self._line(row0, first), f"event names not in layout "
                                 f"{self.layout!r} (rows kept, marked unknown): "
                                 f"{', '.join(sorted(map(str, names))[:10])}")
        # identities
        for name, cspec in m.get("columns", {}).items():
            self._identity(t, batch, row0, name, cspec)
        cell = m.get("cell", {})
        if "plmn" in cell or "plmn_column" in cell:
            self._plmn(t, batch, row0, "plmn", cell, cols["eci"][:n] >= 0)
        if "nr_plmn" in cell or "nr_plmn_column" in cell:
            self._plmn(t, batch, row0, "nr_plmn", cell, cols["nci"][:n] >= 0)
        items = []
        self._cause(t, batch, row0, items)
        self._proto_cause(t, batch, row0, items)
        self._meas(batch, row0, items)
        self._target(batch, row0, items, cell)
        self._erab(batch, row0, items)
        t.n = n
        _set_items(t, _item_arrays(items))
        return t

    def _time(self, batch, row0):
        tm = self.mapping["time"]
        n = batch.num_rows
        offset_ns = _utc_offset_ns(tm.get("utc_offset", "+00:00"), self.mapping["_path"])
        fmt = tm.get("format", "%Y-%m-%d %H:%M:%S")
        if "parts" in tm:
            parts = tm["parts"]
            date = self._col(batch, parts["date"])
            if date is None:
                return np.zeros(n, np.int64)
            d = pc.strptime(pc.utf8_trim_whitespace(date), format=tm.get("date_format", "%Y-%m-%d"),
                            unit="s", error_is_null=True)
            ok = pc.is_valid(d).to_numpy(zero_copy_only=False)
            self._report("date", parts["date"], ~ok, row0, date)
            ts = pc.fill_null(pc.cast(d, pa.int64()), 0).to_numpy(zero_copy_only=False) * 10**9
            for key, mult in (("hour", 3600 * 10**9), ("minute", 60 * 10**9),
                              ("second", 10**9), ("millisecond", 10**6)):
                if key in parts and self._col(batch, parts[key]) is not None:
                    arr = self._col(batch, parts[key])
                    v, okv, bad = _int_column(arr)
                    self._report(key, parts[key], bad, row0, arr)
                    ts = ts + np.where(okv, v, 0) * mult
            return ts - offset_ns
        arr = self._col(batch, tm["column"])
        if arr is None:
            return np.zeros(n, np.int64)
        s = pc.utf8_trim_whitespace(arr)
        if fmt.startswith("epoch_"):
            unit = {"epoch_s": 10**9, "epoch_ms": 10**6, "epoch_us": 10**3, "epoch_ns": 1}[fmt]
            v, ok, bad = _float_column(arr)
            self._report("time", tm["column"], bad | (~ok), row0, arr)
            return (v * unit).astype(np.int64)
        frac = None
        if "%f" in fmt:   # arrow's strptime has no %f: take the fraction apart column-wise
            fmt = fmt.replace(".%f", "").replace(",%f", "")
            fr = pc.struct_field(pc.extract_regex(s, r"[.,](?P<f>\d{1,9})\d*$"), "f")
            s = pc.replace_substring_regex(s, r"[.,]\d*$", "")
            digits = pc.utf8_rpad(pc.fill_null(fr, ""), 9, "0")
            fv, fok, _ = _int_column(digits)
            frac = np.where(fok, fv, 0)
        d = pc.strptime(s, format=fmt, unit="s", error_is_null=True)
        ok = pc.is_valid(d).to_numpy(zero_copy_only=False)
        self._report("time", tm["column"], ~ok, row0, arr)
        ts = pc.fill_null(pc.cast(d, pa.int64()), 0).to_numpy(zero_copy_only=False) * 10**9
        if frac is not None:
            ts = ts + frac
        return ts - offset_ns

    def _identity(self, t, batch, row0, name, cspec):
        n = batch.num_rows
        if isinstance(cspec, str):
            cspec = {"column": cspec}
        if "enb" in cspec or "gnb" in cspec:            # ECI / NCI from node id + local cell
            node_col = cspec.get("enb") or cspec.get("gnb")
            a, b = self._col(batch, node_col), self._col(batch, cspec["cell"])
            if a is None or b is None:
                return
            av, aok, abad = _int_column(a)
            bv, bok, bbad = _int_column(b)
            self._report(name, node_col, abad, row0, a)
            self._report(name, cspec["cell"], bbad, row0, b)
            shift = 8 if "enb" in cspec else 36 - int(cspec.get("gnb_bits", 24))
            ok = aok & bok
            t.cols[name][:n][ok] = (av[ok] << shift) | bv[ok]
            return
        arr = self._col(batch, cspec["column"])
        if arr is None:
            return
        if name in ("imsi", "msisdn", "imei"):
            s = pc.utf8_trim_whitespace(arr)
            ok = pc.fill_null(pc.match_substring_regex(s, r"^\d{5,16}$"), False)
            okn = ok.to_numpy(zero_copy_only=False)
            empty = pc.fill_null(pc.equal(s, ""), True).to_numpy(zero_copy_only=False)
            self._report(name, cspec["column"], ~okn & ~empty, row0, arr)
            padded = pc.utf8_rpad(pc.if_else(ok, s, ""), 16, "\0")
            fixed = pc.cast(pc.cast(padded, pa.binary()), pa.binary(16))
            # every value is exactly 16 bytes now: one contiguous buffer, no Python objects
            raw = np.frombuffer(fixed.buffers()[1], np.uint8)[fixed.offset * 16:]
            t.cols[name][:n] = raw[:16 * n].reshape(n, 16)
            return
        v, ok, bad = _int_column(arr, int(cspec.get("base", 10)))
        self._report(name, cspec["column"], bad, row0, arr)
        t.cols[name][:n][ok] = v[ok]

    def _plmn(self, t, batch, row0, name, cell, where):
        n = batch.num_rows
        if f"{name}_column" in cell:
            arr = self._col(batch, cell[f"{name}_column"])
            if arr is None:
                return
            s = pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"[-_ /]", "")
            vals = pc.unique(s).to_pylist()
            table = {}
            for v in vals:
                try:
                    table[v] = spec.plmn_int(v)
                except ValueError:
                    pass
            out, known, bad = _lookup(s, table)
            self._report(name, cell[f"{name}_column"], bad, row0, arr)
            t.cols[name][:n][known] = out[known]
        else:
            t.cols[name][:n][where] = spec.plmn_int(str(cell[name]))

    def _cause(self, t, batch, row0, items):
        c = self.mapping.get("cause")
        if not c:
            return
        n = batch.num_rows
        arr = self._col(batch, c["column"])
        if arr is None:
            return
        table = {}
        for text, target in c.get("values", {}).items():
            kind, _, name = target.partition(":")
            k, v = spec.cause_value(kind, name)
            table[text] = k << 16 | v
        vals, known, unknown = _lookup(arr, table)
        if "kind" in c:                    # numeric cause values of one kind
            num, isnum, _ = _int_column(arr)
            use = ~known & isnum
            vals = np.where(use, spec.CAUSE_KIND_IDS[c["kind"]] << 16 | num, vals)
            known = known | use
            unknown = unknown & ~isnum
        if unknown.any():
            self.counters["unknown_causes"] += int(unknown.sum())
            self._report("cause text not in the layout", c["column"], unknown, row0, arr)
        cols = t.cols
        cols["cause_proto"][:n][known] = CAUSE_CODES["CHR"]
        cols["cause_group"][:n][known] = vals[known] >> 16
        cols["cause_value"][:n][known] = vals[known] & 0xFFFF

    def _proto_cause(self, t, batch, row0, items):
        c = self.mapping.get("proto_cause")
        if not c:
            return
        g, v = self._col(batch, c["group_column"]), self._col(batch, c["value_column"])
        if g is None or v is None:
            return
        gv, gok, gbad = _int_column(g)
        vv, vok, vbad = _int_column(v)
        self._report("3GPP cause group", c["group_column"], gbad, row0, g)
        self._report("3GPP cause", c["value_column"], vbad, row0, v)
        ok = gok & vok
        protos = np.full(batch.num_rows, CAUSE_CODES[c.get("proto", "S1AP")], np.int64)
        for ev_name, proto in c.get("proto_by_event", {}).items():
            protos[t.cols["msg"][:batch.num_rows] == spec.EVENT_IDS[ev_name]] = CAUSE_CODES[proto]
        rows = np.flatnonzero(ok)
        items.append((rows, np.full(len(rows), ITEM_KEYS["cause"]), protos[rows], gv[rows],
                      vv[rows], np.full(len(rows), -1)))

    def _meas(self, batch, row0, items):
        for ms in self.mapping.get("meas", []):
            arr = self._col(batch, ms["column"])
            if arr is None:
                continue
            v, ok, bad = _float_column(arr)
            self._report(f"{ms['kind']} measurement", ms["column"], bad, row0, arr)
            natural = _UNITS[ms.get("unit", "dBm")](v)
            scaled = np.rint(natural * spec.MEAS_SCALE[ms["kind"]]).astype(np.int64)
            kind = spec.MEAS_KIND_IDS[ms["kind"]] | (spec.MEAS_NEIGHBOUR if ms.get("neighbour")
                                                     else 0)
            d = np.full(batch.num_rows, -1, np.int64)
            pci = self._col(batch, ms["pci_column"]) if "pci_column" in ms else None
            if pci is not None:
                pv, pok, pbad = _int_column(pci)
                self._report("PCI", ms["pci_column"], pbad, row0, pci)
                arf = np.zeros(batch.num_rows, np.int64)
                a = self._col(batch, ms["arfcn_column"]) if "arfcn_column" in ms else None
                if a is not None:
                    av, aok, abad = _int_column(a)
                    self._report("ARFCN", ms["arfcn_column"], abad, row0, a)
                    arf = np.where(aok, av, 0)
                d = np.where(pok, (arf << 10) | pv, -1)
            rows = np.flatnonzero(ok)
            items.append((rows, np.full(len(rows), ITEM_KEYS["meas"]), np.full(len(rows), kind),
                          scaled[rows], np.full(len(rows), -1), d[rows]))

    def _target(self, batch, row0, items, cell):
        tc = self.mapping.get("target_cell")
        if not tc:
            return
        col = tc.get("column")
        if "enb_column" in tc:
            a, b = self._col(batch, tc["enb_column"]), self._col(batch, tc["cell_column"])
            if a is None or b is None:
                return
            av, aok, abad = _int_column(a)
            bv, bok, bbad = _int_column(b)
            self._report("target eNB", tc["enb_column"], abad, row0, a)
            self._report("target cell", tc["cell_column"], bbad, row0, b)
            ok, cid = aok & bok, (av << 8) | bv
        else:
            arr = self._col(batch, col)
            if arr is None:
                return
            cid, ok, bad = _int_column(arr)
            self._report("target cell", col, bad, row0, arr)
        kind = _CELL_IDS["target_nr_cgi" if tc.get("nr") else "target_ecgi"]
        plmn = spec.plmn_int(str(tc.get("plmn", cell.get("plmn", "00101"))))
        rows = np.flatnonzero(ok)
        items.append((rows, np.full(len(rows), ITEM_KEYS["cell"]), np.full(len(rows), kind),
                      np.full(len(rows), plmn), cid[rows], np.full(len(rows), -1)))

    def _erab(self, batch, row0, items):
        e = self.mapping.get("erab")
        if not e:
            return
        arr = self._col(batch, e["id_column"])
        if arr is None:
            return
        ids, ok, bad = _int_column(arr)
        self._report("E-RAB id", e["id_column"], bad, row0, arr)
        qci = np.full(batch.num_rows, -1, np.int64)
        if "qci_column" in e and self._col(batch, e["qci_column"]) is not None:
            q = self._col(batch, e["qci_column"])
            qv, qok, qbad = _int_column(q)
            self._report("QCI", e["qci_column"], qbad, row0, q)
            qci = np.where(qok, qv, -1)
        rows = np.flatnonzero(ok)
        items.append((rows, np.full(len(rows), ITEM_KEYS["erab"]), ids[rows],
                      np.full(len(rows), -1), qci[rows], np.full(len(rows), -1)))


def _source_columns(cspec):
    if isinstance(cspec, str):
        return [cspec]
    return [v for k, v in cspec.items() if k in ("column", "enb", "gnb", "cell")]


def _utc_offset_ns(text, where):
    mt = re.fullmatch(r"([+-])(\d\d):?(\d\d)", str(text))
    if not mt:
        raise InputError(f"{where}: utc_offset {text!r} is not +HH:MM")
    sign = 1 if mt.group(1) == "+" else -1
    return sign * (int(mt.group(2)) * 3600 + int(mt.group(3)) * 60) * 10**9


# ============================================================================== 32.423 XML
class _Forbidden(Exception):
    pass


_RAW_PROTOS = {"s1ap": "S1AP", "x2ap": "X2AP", "nas": "NAS-EPS", "nas-eps": "NAS-EPS",
               "gtpv2": "GTPv2", "gtpv2-c": "GTPv2", "diameter": "Diameter", "ngap": "NGAP"}
_RRC_PROTOS = {"rrc", "lte-rrc", "lte_rrc", "nr-rrc", "nr_rrc", "rrc-lte", "rrc-nr"}


def _iso_ns(text):
    dt = datetime.fromisoformat(text.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    delta = dt - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000


class TraceXmlReader:
    """Iterate EventTable batches from a 3GPP TS 32.423 trace file (traceCollecFile).

    Streaming (expat, fed in chunks); DTD entity declarations and external references are
    refused (the file is reported and reading stops there); text is kept only inside elements
    this reader uses, and a rawMsg longer than `max_raw_bytes` is reported and skipped.
    Each <msg> with a <rawMsg> becomes a row: S1AP/X2AP (and NAS, GTPv2, Diameter) with the
    PDU in the data buffer for the protocol decoders; RRC as a CHR RRC_MESSAGE row holding the
    bytes as an I_STR raw item. The session's <ue idType=... idValue=...> sets imsi/imei/msisdn
    on every row of its traceRecSession.
    """

    def __init__(self, fh, name="<xml>", file_id=0, chunk_bytes=1 << 20, max_raw_bytes=1 << 20,
                 batch_rows=65536):
        self.fh = fh
        self.name = name
        self.file_id = file_id
        self._problems = _Problems()
        self.problems = self._problems.items
        self.counters = {"messages": 0, "sessions": 0, "raw_bytes": 0, "rrc": 0,
                         "unknown_protocols": 0, "bad_messages": 0}
        self.chunk_bytes = chunk_bytes
        self.max_raw_bytes = max_raw_bytes
        self.batch_rows = batch_rows
        self.header = {}

    def problem(self, message, line=None, col=None):
        p = self._parser
        line = p.CurrentLineNumber if line is None else line
        col = p.CurrentColumnNumber if col is None else col
        self._problems.add(line, "32.423", f"line {line} column {col + 1}: {message}")

    def _new_table(self):
        return EventTable(capacity=1024, data_capacity=1 << 16, file=self.name,
                          file_id=self.file_id)

    def __iter__(self):
        p = expat.ParserCreate(namespace_separator="}")
        self._parser = p
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

        def forbid_entity(name, *args):
            raise _Forbidden(f"the document declares entity {name!r}: entity declarations are "
                             "refused (entity expansion / external entity attacks)")

        def forbid_external(context, base, sysid, pubid):
            raise _Forbidden(f"the document references an external entity ({sysid or pubid}): "
                             "refused")

        p.EntityDeclHandler = forbid_entity
        p.UnparsedEntityDeclHandler = forbid_entity
        p.ExternalEntityRefHandler = forbid_external
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._text
        self._t = self._new_table()
        self._stack = []
        self._text_parts = None
        self._text_len = 0
        self._session = None
        self._msg = None
        self._begin_ns = 0
        self._frame = 0
        self._rows_yielded = 0
        self._ready = []
        ok = True
        while ok:
            chunk = self.fh.read(self.chunk_bytes)
            final = not chunk
            try:
                p.Parse(chunk, final)
            except _Forbidden as exc:
                self.problem(str(exc))
                ok = False
            except expat.ExpatError as exc:
                self.problem(f"not well-formed XML ({expat.ErrorString(exc.code)}): reading "
                             "stopped here", exc.lineno, exc.offset)
                ok = False
            except (LookupError, ValueError) as exc:   # e.g. an XML declaration's unknown encoding
                self.problem(f"unreadable XML ({exc}): reading stopped here", p.CurrentLineNumber,
                             p.CurrentColumnNumber)
                ok = False
            while self._ready:
                self._rows_yielded += self._ready[0].n
                yield self._ready.pop(0)
            if final:
                break
        yield from self._flush()
        if not ok and self._rows_yielded == 0:
            line, _, msg = self.problems[-1]
            raise DecodeError(msg, file=self.name, layer="32.423")

    def _flush(self):
        t = self._t
        if t.n:
            self._rows_yielded += t.n
            self._t = self._new_table()
            yield t

    # -- expat handlers -----------------------------------------------------------------------
    def _start(self, tag, attrs):
        local = tag.rpartition("}")[2]
        self._stack.append(local)
        if local == "traceCollec" and "beginTime" in attrs:
            try:
                self._begin_ns = _iso_ns(attrs["beginTime"])
                self.header["begin_time_ns"] = self._begin_ns
            except ValueError:
                self.problem(f"beginTime {attrs['beginTime']!r} is not an ISO time")
        elif local == "fileHeader":
            self.header.update({k: v for k, v in attrs.items()})
        elif local == "fileSender":
            self.header["sender"] = dict(attrs)
        elif local == "traceRecSession":
            self.counters["sessions"] += 1
            stime = self._begin_ns
            if "stime" in attrs:
                try:
                    stime = _iso_ns(attrs["stime"])
                except ValueError:
                    self.problem(f"stime {attrs['stime']!r} is not an ISO time")
            self._session = {"stime": stime, "ids": {}, "first_row": self._t.n}
        elif local == "ue" and self._session is not None:
            kind = attrs.get("idType", "").strip().lower()
            value = attrs.get("idValue", "").strip()
            col = {"imsi": "imsi", "imei": "imei", "imeisv": "imei", "msisdn": "msisdn"}.get(kind)
            if col and value.isdigit() and len(value) <= 16:
                self._session["ids"][col] = value
            elif col:
                self.problem(f"ue idValue {value!r} is not a {kind.upper()}")
        elif local == "msg":
            self._msg = {"attrs": dict(attrs), "line": self._parser.CurrentLineNumber,
                         "col": self._parser.CurrentColumnNumber, "raw": None}
        elif local == "rawMsg" and self._msg is not None:
            self._msg["proto"] = attrs.get("protocol", "")
            self._text_parts, self._text_len = [], 0
        elif local in ("MCC", "MNC", "TRACE_ID", "TRSR") and self._session is not None:
            self._text_parts, self._text_len = [], 0

    def _text(self, data):
        if self._text_parts is None:
            return
        self._text_len += len(data)
        if self._text_len <= 2 * self.max_raw_bytes + 64:
            self._text_parts.append(data)

    def _end(self, tag):
        local = self._stack.pop() if self._stack else tag.rpartition("}")[2]
        if local == "rawMsg" and self._msg is not None:
            text, n = "".join(self._text_parts or ()), self._text_len
            self._text_parts = None
            if n > 2 * self.max_raw_bytes + 64:
                self.problem(f"rawMsg of {n // 2} bytes is beyond the limit of "
                             f"{self.max_raw_bytes}: skipped")
                self._msg["bad"] = True
                return
            try:
                self._msg["raw"] = bytes.fromhex("".join(text.split()))
            except ValueError:
                self.problem(f"rawMsg is not hex ({text.strip()[:24]!r}...): message skipped")
                self._msg["bad"] = True
        elif local in ("MCC", "MNC", "TRACE_ID", "TRSR") and self._session is not None:
            self._session[local] = "".join(self._text_parts or ()).strip()
            self._text_parts = None
        elif local == "msg" and self._msg is not None:
            self._emit(self._msg)
            self._msg = None
        elif local == "traceRecSession" and self._session is not None:
            self._apply_ids(self._session)
            self._session = None
            if self._t.n >= self.batch_rows:      # a whole session ends the batch
                self._ready.append(self._t)
                self._t = self._new_table()

    def _emit(self, msg):
        self._frame += 1
        attrs = msg["attrs"]
        if msg.get("bad") or msg["raw"] is None:
            self.counters["bad_messages"] += 1
            if msg["raw"] is None and not msg.get("bad"):
                self.problem(f"msg {attrs.get('name', '?')!r} has no rawMsg: skipped",
                             msg["line"], msg["col"])
            return
        t = self._t
        base = self._session["stime"] if self._session else self._begin_ns
        ts = base
        ct = attrs.get("changeTime")
        if ct:
            try:
                ts = base + int(round(float(ct) * 1e9))
            except ValueError:
                self.problem(f"changeTime {ct!r} is not seconds.milliseconds",
                             msg["line"], msg["col"])
        raw = msg["raw"]
        proto = msg.get("proto", "").strip().lower()
        name = attrs.get("name", "")
        self.counters["messages"] += 1
        self.counters["raw_bytes"] += len(raw)
        if proto in _RAW_PROTOS:
            off = t.add_python_data(np.frombuffer(raw, np.uint8)) if raw else t.n_data
            row = t.add_python_row(proto=PROTO[_RAW_PROTOS[proto]], frame=self._frame,
                                   ts_ns=ts, payload_off=off, payload_len=len(raw))
        else:
            if proto in _RRC_PROTOS:
                self.counters["rrc"] += 1
            else:
                self.counters["unknown_protocols"] += 1
            row = t.add_python_row(proto=PROTO["CHR"], frame=self._frame, ts_ns=ts,
                                   msg=spec.EVENT_IDS["RRC_MESSAGE"] if proto in _RRC_PROTOS
                                   else -1)
            if proto not in _RRC_PROTOS:
                t.cols["flags"][row] |= FLAGS["unknown_msg"]
            off = t.add_python_data(np.frombuffer(raw, np.uint8)) if raw else t.n_data
            t.add_python_item(row, ITEM_KEYS["str"], _STR_IDS["raw"], off, len(raw), -1)
        if name:
            nb = name.encode("utf-8")[:255]
            off = t.add_python_data(np.frombuffer(nb, np.uint8))
            t.add_python_item(row, ITEM_KEYS["str"], _STR_IDS["msg_name"], off, len(nb), -1)
        if self._session:
            for col, value in self._session["ids"].items():
                _set_digits(t, col, row, value)

    def _apply_ids(self, session):
        """A <ue> seen after some of its session's messages still labels them."""
        t = self._t
        lo = min(session["first_row"], t.n)
        for col, value in session["ids"].items():
            digits = np.zeros(16, np.uint8)
            digits[:len(value)] = np.frombuffer(value.encode(), np.uint8)
            empty = ~t.cols[col][lo:t.n].any(axis=1)
            t.cols[col][lo:t.n][empty] = digits


def _set_digits(t, col, row, value):
    arr = t.cols[col][row]
    arr[:] = 0
    arr[:len(value)] = np.frombuffer(value.encode(), np.uint8)


# ============================================================================== canonical rows
def table_rows(tables):
    """Rows of EventTable batches as plain dicts (what the samples' .expected.jsonl hold).

    For tests and golden files, not the hot path: keys only where the row has a value; cells as
    {"plmn": "00101", "eci"|"nci": int}; causes as cause objects (CHR groups by name);
    measurements in natural units (dBm, dB, CQI, TA index)."""
    from chrtool._fast.events import CAUSE_PROTO, PROTO_NAMES
    if isinstance(tables, EventTable):
        tables = [tables]
    meas_names = spec.MEAS_KINDS
    out = []
    for t in tables:
        c = {k: t.column(k) for k in t.cols}
        it = t.items()
        by_row = {}
        for i in range(t.n_items):
            by_row.setdefault(int(it["row"][i]), []).append(
                (int(it["key"][i]), int(it["a"][i]), int(it["b"][i]), int(it["c"][i]),
                 int(it["d"][i])))
        for r in range(t.n):
            row = {"frame": int(c["frame"][r]), "ts": _iso(int(c["ts_ns"][r])),
                   "proto": PROTO_NAMES.get(int(c["proto"][r]), str(int(c["proto"][r])))}
            msg = int(c["msg"][r])
            if msg >= 0:
                row["msg"] = spec.EVENTS.get(msg, msg) if row["proto"] == "CHR" else msg
            for name in ("imsi", "msisdn", "imei"):
                v = bytes(c[name][r]).rstrip(b"\0").decode("ascii", "replace")
                if v:
                    row[name] = v
            for name in ("m_tmsi", "mme_ue_s1ap_id", "enb_ue_s1ap_id", "menb_ue_x2ap_id",
                         "sgnb_ue_x2ap_id", "crnti", "tac"):
                if c[name][r] >= 0:
                    row[name] = int(c[name][r])
            if c["eci"][r] >= 0:
                row["ecgi"] = {"plmn": _plmn_str(c["plmn"][r]), "eci": int(c["eci"][r])}
            if c["nci"][r] >= 0:
                row["nr_cgi"] = {"plmn": _plmn_str(c["nr_plmn"][r]), "nci": int(c["nci"][r])}
            if c["cause_proto"][r]:
                row["cause"] = _cause_obj(int(c["cause_proto"][r]), int(c["cause_group"][r]),
                                          int(c["cause_value"][r]), CAUSE_PROTO)
            if c["flags"][r]:
                row["flags"] = sorted(k for k, bit in FLAGS.items() if c["flags"][r] & bit)
            if c["payload_len"][r] > 0:
                row["payload"] = t.bytes_at(c["payload_off"][r], c["payload_len"][r]).hex()
            for key, a, b, cc, d in by_row.get(r, ()):
                if key == ITEM_KEYS["cause"]:
                    obj = _cause_obj(a, b, cc, CAUSE_PROTO)
                    if d >= 0:
                        obj["context"] = d
                    row.setdefault("causes", []).append(obj)
                elif key == ITEM_KEYS["meas"]:
                    kind = meas_names.get(a & 0xFF, str(a & 0xFF))
                    m = {"kind": kind, "value": b / spec.MEAS_SCALE.get(kind, 1)}
                    if a & spec.MEAS_NEIGHBOUR:
                        m["neighbour"] = True
                    if d >= 0:
                        m["pci"], m["arfcn"] = d & 1023, d >> 10
                    row.setdefault("meas", []).append(m)
                elif key == ITEM_KEYS["cell"] and a in (_CELL_IDS["target_ecgi"],
                                                        _CELL_IDS["target_nr_cgi"]):
                    row["target_cell"] = {"plmn": _plmn_str(b), (
                        "nci" if a == _CELL_IDS["target_nr_cgi"] else "eci"): cc}
                elif key == ITEM_KEYS["erab"]:
                    e = {"erab_id": a}
                    if cc >= 0:
                        e["qci"] = cc
                    row.setdefault("erabs", []).append(e)
                elif key == ITEM_KEYS["str"]:
                    raw = t.bytes_at(b, cc)
                    if a == _STR_IDS["msg_name"]:
                        row["msg_name"] = raw.decode("utf-8", "replace")
                    else:
                        row["raw"] = raw.hex()
            out.append(row)
    return out


def _iso(ns):
    s, rem = divmod(ns, 10**9)
    return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + \
        f".{rem // 1000:06d}Z"


def _plmn_str(value):
    return spec.plmn_decode(int(value).to_bytes(3, "big")) if value >= 0 else ""


def _cause_obj(proto, group, value, names):
    if proto == CAUSE_CODES["CHR"]:
        return {"proto": "CHR", "group": spec.CAUSE_KINDS.get(group, group), "value": value,
                "name": spec.cause_name(group, value)}
    return {"proto": names.get(proto, str(proto)), "group": group, "value": value}
