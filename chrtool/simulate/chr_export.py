"""The eNBs' CHR in other shapes: vendor CSV exports (the ``huawei-chr`` and ``ericsson-ctr``
column layouts) and 3GPP TS 32.423 trace XML.

Both writers are fed what :class:`world.ChrFiles` / the S1 and X2 senders produce and stream
their files as the day is played. Their bytes are built with the csv module and
``xml.etree.ElementTree`` from the record dicts of :func:`chrtool.decoders.chr_v1.record` (the
construct declaration's input, not its output) and from the layout's mapping file read with
tomllib, never with chrtool's readers (``chrtool.inputs``).

- :class:`VendorCsv`: one ``<eNB>.csv`` per eNB in the column layout of a mapping file:
  ``decoders/maps/huawei_chr.toml`` (format ``csv`` / ``huawei-csv``: local time, eNodeB ID +
  Local Cell ID, measurements in natural units) or ``ericsson_ctr.toml`` (``ericsson-csv``:
  UTC date/hour/minute/second/millisecond parts, the 28-bit global cell id and a PLMN column,
  measurements as 3GPP reporting-range indexes), each with the layout's event and cause texts.
  What the layout has no column for is not written: the RRC establishment cause, the S-TMSI's
  MMEC, and whether a logged 3GPP cause was S1AP or X2AP (the layout says which per event);
  ericsson-ctr also has no TAC, M-TMSI, serving SINR or NR SS-RSRQ, and no time below the ms.
- :class:`TraceXml`: one ``<eNB>.xml`` per eNB (``traceCollecFile``): a ``traceRecSession`` per
  subscriber and S1 connection, with ``<ue idType="IMSI">`` and every S1AP and X2AP message the
  eNB sent or received on it as ``rawMsg`` (the same PDU bytes as in the capture), as an eNB's
  cell trace records them. A 32.423 trace carries signalling, not CHR events: the eNB's CHR
  events themselves stay in chr-v1 / CSV.
"""
from __future__ import annotations

import csv
import datetime as dt
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from chrtool.decoders import chr_v1 as spec

MAPS = Path(spec.__file__).resolve().parent / "maps"
FORMATS = ("chr-v1", "csv", "huawei-csv", "ericsson-csv", "xml")
ALIASES = {"huawei-csv": "csv"}                 # "csv" was first; this name says whose layout
# CSV format -> (directory under DIR, mapping file under decoders/maps/)
CSV_LAYOUTS = {"csv": ("chr-csv", "huawei_chr.toml"), "ericsson-csv": ("chr-ericsson", "ericsson_ctr.toml")}


# ------------------------------------------------------------------------------------ vendor CSV

def _offset(text: str) -> dt.timezone:
    sign = -1 if text.startswith("-") else 1
    h, m = text.lstrip("+-").split(":")
    return dt.timezone(sign * dt.timedelta(hours=int(h), minutes=int(m)))


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


# 3GPP reporting ranges (TS 36.133 / 38.133) as docs/formats/vendor-csv.md maps them: the index
# of the range holding a value (stored scaled by 100), from (steps per dB, index of 0 dB, top).
# The writer's own table, kept apart from the reader's: a disagreement shows in the tests.
_INDEX_UNITS = {"rsrp-index": (1, 141, 97), "rsrq-index": (2, 40, 34), "ss-rsrp-index": (1, 157, 127),
                "ss-rsrq-index": (2, 87, 127), "ss-sinr-index": (2, 46, 127)}


def _meas_text(kind: str, value: int, unit: str) -> str:
    scale = spec.MEAS_SCALE[kind]
    if unit in _INDEX_UNITS:
        per_db, zero, top = _INDEX_UNITS[unit]
        return str(min(max(value * per_db // scale + zero, 0), top))    # floor: the range's index
    if unit == "centi":
        return str(value * 100 // scale)
    return _num(value / scale)                                   # dBm, dB, raw: natural units


class VendorCsv:
    """CHR records of each eNB as rows of a vendor CSV layout (a mapping file of
    decoders/maps/, read with tomllib): the layout's header, time zone and time columns, event and
    cause texts, cell columns and measurement units. What the layout has no column for is not
    written; events and causes it has no text for are counted in ``skipped``."""

    def __init__(self, directory: Path, layout: Path = MAPS / "huawei_chr.toml"):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        m = tomllib.loads(layout.read_text(encoding="utf-8"))
        self.m = m
        self.tz = _offset(m["time"].get("utc_offset", "+00:00"))
        self.event_text: dict[str, str] = {}
        for text, name in m["event"]["values"].items():
            self.event_text.setdefault(name, text)
        self.cause_text: dict[str, str] = {}
        for text, target in m["cause"]["values"].items():
            self.cause_text.setdefault(target, text)
        cols, cell = m["columns"], m.get("cell", {})
        self.meas = {(ms["kind"], bool(ms.get("neighbour"))): ms for ms in m["meas"]}
        tm = m["time"]
        self.time_parts = [(k, tm["parts"][k]) for k in ("date", "hour", "minute", "second", "millisecond")
                           if k in tm.get("parts", {})]
        head = [tm["column"]] if "column" in tm else [c for _k, c in self.time_parts]
        head.append(m["event"]["column"])
        for key in ("imsi", "mme_ue_s1ap_id", "enb_ue_s1ap_id", "menb_ue_x2ap_id", "sgnb_ue_x2ap_id",
                    "m_tmsi", "tac", "eci", "nci"):
            c = cols.get(key)
            if isinstance(c, dict):
                head += [c[k] for k in ("column", "enb", "gnb", "cell") if k in c]
            elif c:
                head.append(c)
        head += [cell[k] for k in ("plmn_column", "nr_plmn_column") if k in cell]
        head += [m["cause"]["column"], m["proto_cause"]["group_column"], m["proto_cause"]["value_column"]]
        tc = m.get("target_cell", {})
        head += [tc[k] for k in ("column", "enb_column", "cell_column") if k in tc]
        head += [cols[k] for k in ("msisdn", "crnti") if k in cols]
        head += [m["erab"][k] for k in ("id_column", "qci_column") if k in m.get("erab", {})]
        for ms in m["meas"]:
            head += [ms["column"]] + [ms[k] for k in ("pci_column", "arfcn_column") if k in ms]
        self.header = list(dict.fromkeys(head))        # a column named twice (PLMN) once
        nci = cols.get("nci")
        self.nr_shift = 36 - int(nci.get("gnb_bits", 24)) if isinstance(nci, dict) else 0
        self.files: dict[str, tuple] = {}
        self.bytes = 0
        self.skipped: dict[str, int] = {}          # events or causes the layout has no text for

    def _time(self, row: dict, ts_ns: int) -> None:
        t = dt.datetime.fromtimestamp(ts_ns // 1000 / 1e6, self.tz)
        tm = self.m["time"]
        if "column" in tm:
            row[tm["column"]] = t.strftime(tm["format"])
            return
        values = {"date": t.strftime(tm.get("date_format", "%Y-%m-%d")), "hour": t.hour, "minute": t.minute,
                  "second": t.second, "millisecond": t.microsecond // 1000}   # whole ms: all the parts hold
        for key, col in self.time_parts:
            row[col] = str(values[key])

    def write(self, enb_name: str, rec: dict) -> None:
        event = spec.EVENTS[rec["event"]]
        if event not in self.event_text:
            self.skipped[event] = self.skipped.get(event, 0) + 1
            return
        f = self.files.get(enb_name)
        if f is None:
            fh = open(self.dir / f"{enb_name}.csv", "w", encoding="utf-8", newline="", buffering=1 << 16)
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(self.header)
            f = self.files[enb_name] = (fh, w)
        cols, m = self.m["columns"], self.m
        row = dict.fromkeys(self.header, "")
        self._time(row, rec["ts_ns"])
        row[m["event"]["column"]] = self.event_text[event]
        for key in ("imsi", "mme_ue_s1ap_id", "enb_ue_s1ap_id", "menb_ue_x2ap_id", "sgnb_ue_x2ap_id", "tac"):
            if rec.get(key) is not None and key in cols:
                row[cols[key]] = str(rec[key])
        tmsi = cols.get("m_tmsi")
        if rec.get("s_tmsi") and tmsi:
            col, base = (tmsi["column"], tmsi.get("base", 10)) if isinstance(tmsi, dict) else (tmsi, 10)
            row[col] = f"{rec['s_tmsi']['m_tmsi']:08X}" if base == 16 else str(rec["s_tmsi"]["m_tmsi"])
        cell = rec.get("cell")
        if cell:
            self._cell(row, cell)
        for p in rec["params"]:
            tag, v = p["tag"], p["value"]
            if tag == "cause":
                kind = v["kind"] if isinstance(v["kind"], str) else spec.CAUSE_KINDS[v["kind"]]
                if kind == "rrc-establishment":
                    continue                       # no column for it in these layouts
                target = f"{kind}:{spec.CAUSES[spec.CAUSE_KIND_IDS[kind]][v['value']]}"
                if target not in self.cause_text:
                    self.skipped[target] = self.skipped.get(target, 0) + 1
                    continue
                row[m["cause"]["column"]] = self.cause_text[target]
            elif tag == "proto_cause":
                row[m["proto_cause"]["group_column"]] = str(v["group"])
                row[m["proto_cause"]["value_column"]] = str(v["value"])
            elif tag in ("target_cell", "secondary_cell"):
                self._cell(row, v, target=tag == "target_cell")
            elif tag == "meas":
                ms = self.meas.get((v["kind"], bool(v["neighbour"])))
                if ms is None:
                    continue
                row[ms["column"]] = _meas_text(v["kind"], int(v["value"]), ms["unit"])
                for k, field in (("pci_column", "pci"), ("arfcn_column", "arfcn")):
                    if k in ms and v[field] >= 0:
                        row[ms[k]] = str(v[field])
        data = [row[h] for h in self.header]
        f[1].writerow(data)
        self.bytes += sum(len(x) for x in data) + len(data)

    def _cell(self, row: dict, cell: dict, target: bool = False) -> None:
        cols, plmns = self.m["columns"], self.m.get("cell", {})
        nr = cell["kind"] == "nr_cgi"
        pcol = plmns.get("nr_plmn_column" if nr else "plmn_column")
        if pcol and not target:
            row[pcol] = f"{cell['plmn'][:3]}-{cell['plmn'][3:]}"
        spot = cols["nci"] if nr else self.m["target_cell"] if target else cols["eci"]
        if isinstance(spot, str) or "column" in spot:      # one column: the whole ECI / NCI
            row[spot if isinstance(spot, str) else spot["column"]] = str(cell["cell_id"])
        elif nr:
            row[spot["gnb"]] = str(cell["cell_id"] >> self.nr_shift)
            row[spot["cell"]] = str(cell["cell_id"] & ((1 << self.nr_shift) - 1))
        else:
            row[spot["enb_column" if target else "enb"]] = str(cell["cell_id"] >> 8)
            row[spot["cell_column" if target else "cell"]] = str(cell["cell_id"] & 0xFF)

    def close(self) -> None:
        for fh, _w in self.files.values():
            fh.close()


# ----------------------------------------------------------------------------- 32.423 trace XML

NS = "http://www.3gpp.org/ftp/specs/archive/32_series/32.423#traceData"


def _iso(ts_ns: int) -> str:
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=ts_ns // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TraceXml:
    """32.423 trace files of the eNBs, one ``traceRecSession`` per subscriber's S1 connection.

    A session is kept until its connection ends (``end``), then written whole: memory follows
    the connections alive at a time, not the file size."""

    def __init__(self, directory: Path, start_ns: int, plmn: str = "00101"):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.start, self.plmn = start_ns, plmn
        self.files: dict[str, object] = {}
        self.sessions: dict[tuple, dict] = {}
        self.trsr = 0
        self.bytes = 0

    def message(self, enb_name: str, key, imsi: str | None, ts_ns: int, function: str, name: str,
                proto: str, pdu: bytes, *, sent: bool) -> None:
        """One S1AP/X2AP message on connection ``key`` of ``enb_name`` (``sent`` by the eNB)."""
        s = self.sessions.get((enb_name, key))
        if s is None:
            self.trsr += 1
            s = self.sessions[(enb_name, key)] = {"stime": ts_ns, "imsi": imsi, "trsr": self.trsr, "msgs": []}
        if imsi and not s["imsi"]:
            s["imsi"] = imsi
        peer = "MME" if function == "S1" else "eNB"
        s["msgs"].append((ts_ns, function, name, proto, pdu, ("eNB", peer) if sent else (peer, "eNB")))

    def end(self, enb_name: str, key) -> None:
        s = self.sessions.pop((enb_name, key), None)
        if s is not None:
            self._write(enb_name, s)

    def _file(self, enb_name: str):
        f = self.files.get(enb_name)
        if f is None:
            f = self.files[enb_name] = open(self.dir / f"{enb_name}.xml", "w", encoding="utf-8",
                                            buffering=1 << 16)
            root = ET.Element("traceCollecFile", xmlns=NS)
            head = ET.SubElement(root, "fileHeader", fileFormatVersion="32.423 V17.0", vendorName="chrtool-sim")
            ET.SubElement(head, "fileSender", elementType="eNB", senderName=enb_name)
            ET.SubElement(head, "traceCollec", beginTime=_iso(self.start))
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
            opening = text[:text.rindex("</traceCollecFile>")] + "\n"   # sessions follow, then the footer
            f.write(opening)
            self.bytes += len(opening)
        return f

    def _write(self, enb_name: str, s: dict) -> None:
        sess = ET.Element("traceRecSession", stime=_iso(s["stime"]))
        ref = ET.SubElement(sess, "traceSessionRef")
        ET.SubElement(ref, "MCC").text = self.plmn[:3]
        ET.SubElement(ref, "MNC").text = self.plmn[3:]
        ET.SubElement(ref, "TRACE_ID").text = f"{0x0A0000 + s['trsr'] % 0xFFFF:06X}"
        ET.SubElement(ET.SubElement(sess, "traceRecSessionRef"), "TRSR").text = str(s["trsr"])
        if s["imsi"]:
            ET.SubElement(sess, "ue", idType="IMSI", idValue=s["imsi"])
        events = ET.SubElement(sess, "events")
        base_us = s["stime"] // 1000              # stime is written with microseconds
        for ts, function, name, proto, pdu, (ini, tgt) in s["msgs"]:
            d = ts // 1000 - base_us               # whole microseconds, as the capture has them
            m = ET.SubElement(events, "msg", function=function, name=name,
                              changeTime=f"{d // 10**6}.{d % 10**6:06d}", vendorSpecific="false")
            ET.SubElement(m, "initiator", type=ini)
            ET.SubElement(m, "target", type=tgt)
            raw = ET.SubElement(m, "rawMsg", protocol=proto, version="17")
            raw.text = pdu.hex()
        text = ET.tostring(sess, encoding="unicode") + "\n"
        self._file(enb_name).write(text)
        self.bytes += len(text)

    def close(self, end_ns: int) -> None:
        for (enb_name, key) in list(self.sessions):
            self.end(enb_name, key)
        for f in self.files.values():
            foot = f'<fileFooter><traceCollec endTime="{_iso(end_ns)}" /></fileFooter>\n</traceCollecFile>\n'
            f.write(foot)
            f.close()
