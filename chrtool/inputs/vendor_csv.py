"""Vendor CSV exports of CHR, read through a column-mapping file (decoders/maps/*.toml).

pyarrow reads the CSV; conversion is column-wise (no Python object per row); positions are line
numbers. A new vendor layout is a new mapping file, not code (docs/formats/vendor-csv.md).
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
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
from chrtool.inputs.text import FieldCutter, Utf8Stream, column_codec, detect
from chrtool.table.events import CAUSE_CODES, CELL_KINDS, FLAGS, ITEM_KEYS, PROTO, EventTable
from chrtool.table.schema import ITEM_KINDS

MAPS_DIR = Path(spec.__file__).resolve().parent / "maps"
MAX_LISTED = 20            # bad values listed per column and batch; the rest are counted
MAX_FIELD_BYTES = 1 << 20  # a field longer than this is cut (no CHR value comes near it)

_CELL_IDS = {v: k for k, v in CELL_KINDS.items()}
# control bytes that stand in for a carriage return inside a line while pyarrow parses
_MASKS = [bytes([b]) for b in (*range(1, 9), 11, 12, *range(14, 32))]
_MISREAD = object()        # _parse: pyarrow's records are not the lines _clean took


class _Clean:
    """What _clean makes of a block: the data for pyarrow, the file line, record number and
    (with values holding newlines) line count of each record, problems to report once the
    records are taken, and the bytes left for the next block."""

    def __init__(self):
        self.data, self.lines, self.records, self.sizes = b"", None, None, None
        self.problems, self.bad_rows, self.records_after = [], 0, 0
        self.mask, self.carry, self.carry_line, self.exact_tried = None, b"", None, False


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


def _header_of(fh, encoding):
    """The header line's column names (BOM stripped), read as `encoding`."""
    stream, first = Utf8Stream(fh, encoding), b""
    while b"\n" not in first and len(first) < 1 << 20:
        more = stream.read(1 << 16)
        if not more:
            break
        first += more
    text = first.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
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

    def __init__(self, path_or_fh, name=None, file_id=0, mapping=None, block_size=2 << 20,
                 maps_dir=None, max_field_bytes=None):
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
        lay = self.mapping["layout"]
        # the layout's encoding wins over a guess, not over a BOM or the zeros of UTF-16
        if lay.get("encoding") and not self.encoding.startswith(("utf-16", "utf-8-sig")):
            try:
                self.encoding = codecs.lookup(lay["encoding"]).name
            except LookupError as exc:
                raise InputError(f"{self.mapping['_path']}: encoding {lay['encoding']!r} is "
                                 "not a known text encoding") from exc
            self._fh.seek(self._start)
            self.header = _header_of(self._fh, self.encoding)
        self.delimiter = lay.get("delimiter", ",")
        self._field = None                     # the field pattern of _one_record, once needed
        self._column_codec = column_codec(self.encoding, self._bom)
        self.max_field_bytes = int(max_field_bytes or lay.get("max_field_bytes", MAX_FIELD_BYTES))

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
        head = self._fh.read(1 << 16)
        self.encoding, self._bom = detect(head), head[:2]
        self._fh.seek(self._start)
        self.header = _header_of(self._fh, self.encoding)
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
        self._fh.seek(self._start)
        self._records = 0                      # records so far (damaged ones too): the frame number
        row0 = 0
        carry, carry_line = b"", 1             # a quoted value still open at a block's end
        blocks = self._blocks(Utf8Stream(self._fh, self.encoding))
        for block, line0, cuts in itertools.chain(blocks, [(b"", None, [])]):
            final = line0 is None
            if carry:
                block, line0 = carry + block, carry_line
            if not block:
                break
            clean = self._clean(block, line0, final)
            clean.problems += cuts
            batch = self._parse(clean)
            if batch is _MISREAD:
                # a quote pyarrow read otherwise than the quote counts said (one that opens a
                # value on a line with an even count): every quoted line of the block is
                # read as pyarrow reads it
                clean = self._clean(block, line0, final, exact=True)
                clean.problems += cuts
                batch = self._parse(clean)
            carry, carry_line = clean.carry, clean.carry_line
            if batch is None or batch is _MISREAD:
                continue
            t = self._convert(batch, row0)
            row0 += batch.num_rows
            self.counters["rows"] = row0
            yield t
        if not isinstance(self.source, (str, os.PathLike)):
            return
        self._fh.close()

    # -- records: bad bytes, quotes and huge fields cost their row or field, never the block ---
    def _blocks(self, stream):
        """(bytes of whole lines ending in a newline, the file line number of the first, the
        problems of a line cut on the way)."""
        line, pending = 1, b""
        while True:
            chunk = stream.read(self.block_size)
            data = pending + chunk if pending else chunk
            if not chunk:
                if data:
                    yield data + b"\n", line, []
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) <= self.block_size:
                    pending = data
                    continue
                # a line longer than a block: stream it through the cutter, in bounded memory
                cutter = FieldCutter(self.max_field_bytes, self.delimiter, len(self.header))
                end = cutter.feed(data)
                while end < 0:
                    data = stream.read(self.block_size)
                    if not data:
                        break
                    end = cutter.feed(data)
                yield cutter.line(), line, [(line, None, self._cut_message(field, size))
                                            for field, size in cutter.cut]
                line += 1
                pending = data[end:] if end >= 0 else b""
                continue
            yield data[:cut + 1], line, []
            line += data.count(b"\n", 0, cut + 1)
            pending = data[cut + 1:]

    def _cut_message(self, field, size):
        name = self.header[field - 1] if field <= len(self.header) else f"#{field}"
        return (f"field {field} ({name!r}) is {size} bytes, beyond the limit of "
                f"{self.max_field_bytes} (max_field_bytes): cut")

    def _clean(self, block, line0, final=True, exact=False):
        """A _Clean of whole lines: the header dropped, records with bad bytes or an
        unterminated quote taken out, over-long fields cut, carriage returns inside a line
        masked (pyarrow ends a record at one), a quoted value still open at the end left for
        the next block. Undamaged blocks pass through without a copy. With `exact`, every
        line with a quote is read as pyarrow reads it, not only those with an odd count."""
        out = _Clean()
        out.exact_tried = exact
        buf = np.frombuffer(block, np.uint8)
        ends = np.flatnonzero(buf == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        nums = line0 + np.arange(len(ends))
        # quotes per line from the quote positions only (few): a cumulative sum over the
        # block would cost 8 bytes per byte
        quotes = np.bincount(np.searchsorted(ends, np.flatnonzero(buf == 34)),
                             minlength=len(ends))
        candidates = np.flatnonzero(((quotes > 0) if exact else (quotes % 2 == 1)) & (nums > 1))
        spans, unterminated, rest = self._quoted_records(block, starts, ends, candidates, final)
        if rest is not None:                   # a quoted value open at the end: next block
            out.carry, out.carry_line = block[starts[rest]:], int(nums[rest])
            block, ends, starts, nums = block[:starts[rest]], ends[:rest], starts[:rest], nums[:rest]
            buf = buf[:len(block)]
        size = ends - starts
        size -= (size > 0) & (buf[np.maximum(ends - 1, 0)] == 13)
        data_line = nums > 1
        owner = np.arange(len(ends))           # the line each line's record starts on
        inside = np.zeros(len(ends), bool)     # lines inside a record begun above
        for i, j in spans:
            owner[i:j + 1] = i
            inside[i + 1:j + 1] = True
        starts_record = (size > 0) & data_line & ~inside
        records = self._records + np.cumsum(starts_record)
        out.records_after = int(records[-1]) if len(records) else self._records
        bad = np.zeros(len(ends), bool)
        for i, opened in unterminated:
            bad[i] = True
            out.problems.append((int(nums[i]), self._column(block, int(starts[i]), opened),
                                 "unterminated quote opened here: row skipped; reading goes "
                                 "on at the next line"))
        for i, at, byte in self._bad_bytes(block, starts):
            r = owner[i]
            if starts_record[r] and not bad[r]:
                bad[r] = True
                out.problems.append((int(nums[i]), self._column(block, int(starts[i]), at),
                                     f"{byte} that is not {self.encoding} text: row skipped"))
        # a carriage return not before a newline ends a record for pyarrow, not for us: it
        # goes to pyarrow as a control byte the block lacks and comes back after parsing
        cr = np.flatnonzero(buf == 13)
        bare = cr[buf[np.minimum(cr + 1, len(buf) - 1)] != 10] if len(cr) else cr
        if len(bare):
            out.mask = next((m for m in _MASKS if m not in block), None)
            if out.mask is None:               # every candidate is in the block: no mask
                for i in np.unique(owner[np.searchsorted(ends, bare)]):
                    if starts_record[i] and not bad[i]:
                        bad[i] = True
                        out.problems.append((int(nums[i]), None, "a carriage return inside "
                                             "the row: row skipped"))
            else:
                masked = buf.copy()
                masked[bare] = out.mask[0]
                block = masked.tobytes()
        long = np.flatnonzero((size > self.max_field_bytes) & starts_record & ~bad)
        out.bad_rows = int(bad.sum())
        keep = starts_record & ~bad
        kept = [(i, j) for i, j in spans if keep[i]]
        out.lines, out.records = nums[keep], records[keep]
        out.sizes = np.ones(len(out.lines), np.int64) if kept else None
        if kept:                               # lines of each kept record, for the check
            out.sizes[np.searchsorted(np.flatnonzero(keep), [i for i, _ in kept])] = \
                [j - i + 1 for i, j in kept]
        if not bad.any() and not len(long) and data_line.all():
            data = block
        else:
            take = keep.copy()
            for i, j in kept:                  # a record's later lines, blank ones too
                take[i + 1:j + 1] = True
            replaced = {}
            for i in long:
                cutter = FieldCutter(self.max_field_bytes, self.delimiter, len(self.header))
                cutter.feed(block[starts[i]:ends[i] + 1])
                out.problems.extend((int(nums[i]), None, self._cut_message(f, n))
                                    for f, n in cutter.cut)
                replaced[i] = cutter.line()
            data = b"".join([replaced.get(i) or block[starts[i]:ends[i] + 1]
                             for i in np.flatnonzero(take)])
        out.data = data
        return out

    def _quoted_records(self, block, starts, ends, candidates, final):
        """Records read from the quotes of the `candidates` lines as pyarrow reads them:
        ([(first, last line index)] of records whose quoted value holds newlines (RFC 4180),
        [(line index, offset of the quote)] of unterminated quotes, the line index from which
        the block is left for the next one, or None). A value may span lines when its record
        has the header's width and ends within max_field_bytes after its first line; else
        its quote is unterminated and the next line is read afresh."""
        spans, unterminated, inside_to = [], [], -1
        for i in candidates:
            i = int(i)
            if i <= inside_to:
                continue
            stop = min(len(block), int(ends[i]) + 1 + self.max_field_bytes)
            end, fields, opened = self._record(block, int(starts[i]), stop, int(ends[i]))
            if end is None:
                if stop == len(block) and not final:
                    return spans, unterminated, i
                unterminated.append((i, opened))
                continue
            j = int(np.searchsorted(ends, end - 1))
            if j == i:
                continue                       # a one-line record: pyarrow checks its width
            if fields == len(self.header):
                spans.append((i, j))
                inside_to = j
            else:
                unterminated.append((i, opened))
        return spans, unterminated, None

    def _record(self, block, pos, stop, line_end):
        """(end, fields, offset of the first quote that runs past `line_end`) of the record at
        `pos`, as pyarrow reads it: a quote opens a value only at a field's start, "" inside
        it is a quote, after its closing quote the field runs on to the delimiter. `end` is
        None when the record does not end before `stop` (the offset is then the open quote's)."""
        if self._field is None:
            d = re.escape(self.delimiter.encode())
            # possessive: pyarrow never takes back a quote it has read as "" or as closing
            self._field = re.compile(rb'(?:"(?:[^"]|"")*+"[^' + d + rb'\n]*+|[^"' + d
                                     + rb'\n][^' + d + rb'\n]*+|)(' + d + rb'|\n|\Z)')
        delim, fields, opened = self.delimiter.encode(), 0, None
        while True:
            m = self._field.match(block, pos, stop)
            if m is None or not m.group(1):    # an open quote, or the record runs to `stop`
                return None, fields, pos if opened is None else opened
            fields += 1
            if opened is None and m.end() > line_end + 1:
                opened = pos
            if m.group(1) != delim:
                return m.end(), fields, opened
            pos = m.end()

    def _column(self, block, start, at):
        """1-based column of byte `at` of the transcoded block, in bytes of the file's own
        encoding (a transcoded line is longer or shorter than the line on disk)."""
        if self._column_codec is None:
            return at - start + 1
        codec, errors = self._column_codec
        prefix = block[start:at].decode("utf-8", "surrogatepass")
        return len(prefix.encode(codec, errors)) + 1

    def _bad_bytes(self, block, starts):
        """(line index, block offset, byte as text) of the first undecodable byte of each
        damaged line. Decoding stops at the first error and resumes after that line, so this
        costs one pass over the block however many lines are damaged."""
        pos = 0
        while True:
            try:
                block[pos:].decode("utf-8")
                return
            except UnicodeDecodeError as exc:
                at = pos + exc.start
            i = int(np.searchsorted(starts, at, side="right")) - 1
            raw = block[at:at + 1]
            # a transcoded file's bad byte is a marker here, its value is gone
            byte = "a byte" if self.encoding != "utf-8" else f"byte 0x{raw.hex()}"
            yield i, at, byte
            nxt = block.find(b"\n", at)
            if nxt < 0:
                return
            pos = nxt + 1

    def _parse(self, clean):
        """pyarrow over a _Clean's records: one record batch (or None, or _MISREAD when
        pyarrow's records are not the lines _clean took), and the line and record number of
        each of its rows in self._batch_lines / self._batch_frames. The _Clean's problems
        are reported once its records are taken. Only a block with a value holding newlines
        pays for pyarrow's newlines_in_values."""
        lines, records = clean.lines, clean.records
        invalid = []

        def on_invalid(row):
            invalid.append((row.number - 1, row.actual_columns, row.text.count("\n") + 1))
            return "skip"                      # pyarrow counts from 1

        table = None
        if len(lines):
            read = pacsv.ReadOptions(column_names=self.header, use_threads=False,
                                     block_size=max(len(clean.data) + 1, 1 << 20))
            parse = pacsv.ParseOptions(delimiter=self.delimiter, invalid_row_handler=on_invalid,
                                       newlines_in_values=clean.sizes is not None)
            conv = pacsv.ConvertOptions(column_types={c: pa.string() for c in self.header},
                                        strings_can_be_null=False,
                                        quoted_strings_can_be_null=False)
            try:
                table = pacsv.read_csv(io.BytesIO(clean.data), read_options=read,
                                       parse_options=parse, convert_options=conv)
            except pa.ArrowInvalid as exc:     # not expected on clean lines: say where
                clean.problems.append((int(lines[0]), None, f"lines {lines[0]}-{lines[-1]} "
                                       f"cannot be read as CSV ({exc}): skipped"))
                clean.bad_rows += len(lines)
                lines = lines[:0]
        if table is not None and not self._same_records(clean, table, invalid):
            if not clean.exact_tried:
                clean.exact_tried = True
                return _MISREAD
            clean.problems.append((int(lines[0]), None, f"lines {lines[0]}-{lines[-1]} cannot "
                                   "be told apart into records: skipped"))
            clean.bad_rows += len(lines)
            table, lines = None, lines[:0]
        self._records = clean.records_after
        self.counters["bad_rows"] += clean.bad_rows
        for line, column, message in sorted(clean.problems, key=lambda p: p[0]):
            self._problems.add("csv", message, line=line, column=column)
        if table is None:
            return None
        if invalid:
            for k, fields, _ in invalid:
                self.counters["bad_rows"] += 1
                self.problem(int(lines[k]), f"row has {fields} fields, the header "
                             f"{len(self.header)}: row skipped")
            ok = np.ones(len(lines), bool)
            ok[[k for k, _, _ in invalid]] = False
            lines, records = lines[ok], records[ok]
        if table.num_rows == 0:
            return None
        if clean.mask is not None:
            mask = clean.mask.decode()
            table = pa.table([pc.replace_substring(c, mask, "\r") for c in table.columns],
                             names=table.column_names)
        self._batch_lines, self._batch_frames = lines, records
        return table.combine_chunks().to_batches()[0]

    def _same_records(self, clean, table, invalid):
        """Whether pyarrow's rows are the records _clean took, one for one: merged lines
        lower the count (nothing raises it: carriage returns are masked); with values that
        hold newlines, each row's lines must be its record's."""
        if table.num_rows + len(invalid) != len(clean.lines):
            return False
        if clean.sizes is None:
            return True
        got = np.ones(len(clean.lines), np.int64)
        rows = np.ones(len(clean.lines), bool)
        for k, _, n in invalid:
            got[k], rows[k] = n, False
        newlines = sum(pc.count_substring(c, "\n").to_numpy(zero_copy_only=False)
                       for c in table.columns)
        got[rows] += newlines
        return bool((got == clean.sizes).all())

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
        """File line number of data row i of the current batch."""
        return int(self._batch_lines[i])

    def _report(self, what, col, bad, row0, arr):
        idx = np.flatnonzero(bad)
        if not len(idx):
            return
        self.counters["bad_values"] += len(idx)
        shown = ", ".join(f"line {self._line(row0, int(i))}: {_short(arr[int(i)].as_py())}"
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
        cols["frame"][:n] = self._batch_frames      # record number: damage does not renumber
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
                                 f"{', '.join(map(_short, sorted(map(str, names))[:10]))}")
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


def _short(value, limit=60):
    """A value as shown in a problem: a cut field can be a megabyte long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value))} characters)"


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
