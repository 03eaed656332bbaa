"""Vendor CSV exports of CHR, read through a column-mapping file (decoders/maps/*.toml).

pyarrow reads the CSV; conversion is column-wise (no Python object per row); positions are line
numbers. A new vendor layout is a new mapping file, not code (docs/formats/vendor-csv.md).
"""
from __future__ import annotations

import csv
import io
import os
import re
import tomllib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chrtool.decoders import chr_v1 as spec
from chrtool.errors import InputError, ProblemLog
from chrtool.table.events import CAUSE_CODES, CELL_KINDS, FLAGS, ITEM_KEYS, PROTO, EventTable
from chrtool.table.schema import ITEM_KINDS

MAPS_DIR = Path(spec.__file__).resolve().parent / "maps"
MAX_LISTED = 20            # bad values listed per column and batch; the rest are counted

_CELL_IDS = {v: k for k, v in CELL_KINDS.items()}


def _items(rows, item_kind, **fields):
    """An item part for `rows`: (row, key, a, b, c, d) arrays from the named fields of
    `item_kind` (chrtool/table/schema.py; scalars apply to every row, fields not given are
    absent)."""
    slots = ITEM_KINDS[item_kind].pack(**fields)
    n = len(rows)
    return (rows, np.full(n, ITEM_KEYS[item_kind]),
            *(np.broadcast_to(np.asarray(s, dtype=np.int64), (n,)) for s in slots))


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


def known_layouts(maps_dir=None):
    """{layout name: mapping dict} of the shipped mapping files and those in `maps_dir` (a
    directory or a sequence of them); a later directory's layout overrides one of the same name."""
    out = {}
    extra = [maps_dir] if isinstance(maps_dir, (str, os.PathLike)) else list(maps_dir or ())
    for d in [MAPS_DIR, *extra]:
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
        self._problems = ProblemLog(self.name)
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

    def problem(self, line, message):
        self._problems.add("csv", message, line=line)

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
        items.append(_items(rows, "cause", proto=protos[rows], group=gv[rows], value=vv[rows]))

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
            items.append(_items(rows, "meas", kind=kind, value=scaled[rows], arfcn_pci=d[rows]))

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
        items.append(_items(rows, "cell", kind=kind, plmn=plmn, cell=cid[rows]))

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
        items.append(_items(rows, "erab", erab_id=ids[rows], qci=qci[rows]))


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
