"""3GPP TS 32.423 trace XML (traceCollecFile): an expat stream with DTD entities and external
references refused (billion laughs, XXE) and bounded memory. The raw S1AP/X2AP/NAS messages it
carries go through the same protocol decoders as captures; positions are line:column.
"""
from __future__ import annotations

import codecs
import re
from datetime import datetime, timezone
from xml.parsers import expat

import numpy as np

from chrtool.decoders import chr_v1 as spec
from chrtool.errors import DecodeError, ProblemLog
from chrtool.inputs import text
from chrtool.table.events import FLAGS, ITEM_KEYS, PROTO, STR_KINDS, EventTable
from chrtool.table.schema import ITEM_KINDS

_STR_IDS = {v: k for k, v in STR_KINDS.items()}
STR = ITEM_KINDS["str"]


class _Forbidden(Exception):
    pass


# where reading resumes after damage: the next message or session (any namespace prefix)
_RESUME = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(msg|traceRecSession)[\s/>]")
MAX_DEPTH = 256           # 32.423 nests a handful of levels; deeper is an attack on memory


_RAW_PROTOS = {"s1ap": "S1AP", "x2ap": "X2AP", "nas": "NAS-EPS", "nas-eps": "NAS-EPS",
               "gtpv2": "GTPv2", "gtpv2-c": "GTPv2", "diameter": "Diameter", "ngap": "NGAP"}
_RRC_PROTOS = {"rrc", "lte-rrc", "lte_rrc", "nr-rrc", "nr_rrc", "rrc-lte", "rrc-nr"}


class _Rewound:
    """A file whose first bytes were read already (to tell its encoding)."""

    def __init__(self, head, fh):
        self.head, self.fh = head, fh

    def read(self, n):
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.fh.read(n)


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
                 batch_rows=65536, batch_bytes=16 << 20):
        self.fh = fh
        self.name = name
        self.file_id = file_id
        self._problems = ProblemLog(name)
        self.problems = self._problems.items
        self.counters = {"messages": 0, "sessions": 0, "raw_bytes": 0, "rrc": 0,
                         "unknown_protocols": 0, "bad_messages": 0}
        self.chunk_bytes = chunk_bytes
        self.max_raw_bytes = max_raw_bytes
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self.header = {}

    def problem(self, message, line=None, col=None):
        p = self._parser
        line = p.CurrentLineNumber if line is None else line
        col = p.CurrentColumnNumber if col is None else col
        if line == 1:                          # a resumed parser's first line starts mid-line
            col += self._col_shift
        self._problems.add("32.423", message, line=line + self._line_base, column=col + 1)

    def _new_table(self):
        return EventTable(capacity=1024, data_capacity=1 << 16, file=self.name,
                          file_id=self.file_id)

    def _new_parser(self, prefix=b"", line=1, col=0):
        """A parser for the file from (line, col) on, first fed `prefix` (the elements open
        there, made up, their handlers quiet). The first one reads namespaces; one resumed
        after damage does not (the prefixes' declarations are behind it)."""
        p = (expat.ParserCreate("UTF-8", namespace_separator="}") if not prefix
             else expat.ParserCreate("UTF-8"))
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
        self._line_base, self._col_shift = line - 1, col - len(prefix)
        self._prefix = len(prefix)
        if prefix:
            self._replaying = True
            p.Parse(prefix, False)
            self._replaying = False

    def __iter__(self):
        self._src = self._utf8(self.fh)
        self._win, self._win_start, self._win_line, self._win_col = b"", 0, 1, 0
        self._eof, self._recent = False, 0
        self._replaying = False
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
        self._new_parser()
        base, ok = 0, True                     # base: the file offset the parser began at
        data = self._read()
        while True:
            err = None
            try:
                self._parser.Parse(data, self._eof)
            except _Forbidden as exc:
                self.problem(str(exc))
                ok = False
            except expat.ExpatError as exc:
                err = base + self._parser.ErrorByteIndex - self._prefix
                self.problem(f"not well-formed XML ({expat.ErrorString(exc.code)}): the "
                             "message there is skipped; reading goes on at the next message",
                             exc.lineno, exc.offset)
            except (LookupError, ValueError) as exc:   # e.g. an XML declaration's unknown encoding
                self.problem(f"unreadable XML ({exc}): reading stopped here")
                ok = False
            while self._ready:
                self._rows_yielded += self._ready[0].n
                yield self._ready.pop(0)
            if not ok:
                break
            if err is not None:
                # damage costs the message it is in: a fresh parser resumes at the next <msg>
                # (inside the same session) or <traceRecSession>
                at = self._resume(err)
                if at is None:
                    ok = self._rows_yielded + self._t.n > 0
                    break
                base, data = at, self._win[at - self._win_start:]
                continue
            if self._eof:
                break
            data = self._read()
        yield from self._flush()
        if not ok and self._rows_yielded == 0:
            last = self.problems[-1]
            raise DecodeError(last.message, file=self.name, layer="32.423", line=last.line,
                              column=last.column)

    def _utf8(self, fh):
        """The file as UTF-8 for expat (and for finding where to resume after damage): UTF-16
        (BOM or zeros) and encodings expat does not know (GBK, GB18030, ...) transcoded."""
        head = fh.read(4096)
        encoding = text.detect(head)
        if not encoding.startswith("utf-16"):
            m = re.match(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""", head)
            try:
                encoding = codecs.lookup(m.group(1).decode()).name if m else "utf-8"
            except LookupError as exc:
                raise DecodeError(f"unknown encoding {m.group(1).decode()!r} in the XML "
                                  "declaration", file=self.name, layer="32.423", line=1,
                                  column=1) from exc
        stream = _Rewound(head, fh)
        return stream if encoding in ("utf-8", "ascii") else text.Utf8Stream(stream, encoding)

    def _read(self):
        """The next chunk; the window keeps it and the one before, to resume in."""
        chunk = self._src.read(self.chunk_bytes)
        self._eof = not chunk
        self._drop(len(self._win) - self._recent)
        self._win += chunk
        self._recent = len(chunk)
        return chunk

    def _drop(self, n):
        """Forget the window's first n bytes (their lines counted)."""
        gone = self._win[:n]
        lines = gone.count(b"\n")
        self._win_col = (len(gone) - gone.rfind(b"\n") - 1) if lines else self._win_col + n
        self._win_line += lines
        self._win_start += n
        self._win = self._win[n:]

    def _resume(self, err):
        """A parser set up at the first <msg> or <traceRecSession> after file offset `err`;
        returns that offset (None when the file ends first)."""
        pos = max(err + 1 - self._win_start, 0)
        # the damage is in a message if one is open, or in its start tag (never handed over)
        lt = self._win.rfind(b"<", 0, pos)
        tag = _RESUME.match(self._win, lt) if lt >= 0 else None
        if self._msg is not None or (tag and tag.group(1) == b"msg"
                                     and b">" not in self._win[lt:pos - 1]):
            self.counters["bad_messages"] += 1  # its frame number is spent, the rest keep theirs
            self._frame += 1
        while (m := _RESUME.search(self._win, pos)) is None:
            if self._eof:
                return None
            # nothing to resume at yet: keep only a tail that may hold a tag the chunk cut
            tail = max(len(self._win) - 64, 0)
            self._drop(tail)
            pos = max(pos - tail, 0)
            chunk = self._src.read(self.chunk_bytes)
            self._eof = not chunk
            self._win += chunk
            self._recent = len(chunk)
        at = m.start()
        seg = self._win[:at]
        lines = seg.count(b"\n")
        line = self._win_line + lines
        col = (len(seg) - seg.rfind(b"\n") - 1) if lines else self._win_col + len(seg)
        self._msg, self._text_parts = None, None
        in_session = m.group(1) == b"msg" and self._session is not None
        if not in_session and self._session is not None:
            self._apply_ids(self._session)
            self._session = None
        self._stack = []
        self._new_parser(b"<traceCollecFile>" + (b"<traceRecSession>" if in_session else b""),
                         line, col)
        return self._win_start + at

    def _flush(self):
        t = self._t
        if t.n:
            self._rows_yielded += t.n
            self._t = self._new_table()
            yield t

    # -- expat handlers -----------------------------------------------------------------------
    def _start(self, tag, attrs):
        local = tag.rpartition("}")[2].rpartition(":")[2]
        if len(self._stack) >= MAX_DEPTH:
            raise _Forbidden(f"elements nested deeper than {MAX_DEPTH}: refused (memory attack)")
        self._stack.append(local)
        if self._replaying:
            return
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
            self._session = {"stime": stime, "ids": {}, "first_row": self._t.n,
                             "handed_on": 0}
        elif local == "ue" and self._session is not None:
            kind = attrs.get("idType", "").strip().lower()
            value = attrs.get("idValue", "").strip()
            col = {"imsi": "imsi", "imei": "imei", "imeisv": "imei", "msisdn": "msisdn"}.get(kind)
            if col and value.isdigit() and len(value) <= 16:
                self._session["ids"][col] = value
                if self._session["handed_on"]:
                    self.problem(f"ue {kind.upper()} comes after {self._session['handed_on']} "
                                 "messages of its session already handed on: those are not "
                                 "labelled with it")
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
        local = self._stack.pop() if self._stack else tag.rpartition("}")[2].rpartition(":")[2]
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
            t = self._t
            if t.n >= 2 * self.batch_rows or t.n_data >= self.batch_bytes:
                # one long session (or messages outside any) must not hold the file in memory:
                # cut inside it, its identities so far applied to the rows handed on
                if self._session is not None:
                    self._apply_ids(self._session)
                    self._session["handed_on"] += t.n - min(self._session["first_row"], t.n)
                    self._session["first_row"] = 0
                self._ready.append(t)
                self._t = self._new_table()
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
            t.add_python_item(row, ITEM_KEYS["str"], *STR.pack(kind=_STR_IDS["raw"], offset=off,
                                                               length=len(raw)))
        if name:
            nb = name.encode("utf-8")[:255]
            off = t.add_python_data(np.frombuffer(nb, np.uint8))
            t.add_python_item(row, ITEM_KEYS["str"], *STR.pack(kind=_STR_IDS["msg_name"],
                                                               offset=off, length=len(nb)))
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
