"""Event table -> the `chrtool decode` rows of DESIGN.md (one dict per decoded message).

NAS-EPS messages carried inside an S1AP message are folded into that row's `nas` list; values a
message holds more than once stay under the same key as a list.
"""
import ipaddress
from collections import defaultdict

import numpy as np

from chrtool._fast.events import INFO_KINDS, MEAS_KINDS, MEAS_NEIGHBOUR, MEAS_SCALE
from chrtool.protocols import BY_NAME
from chrtool.table import names
from chrtool.table.events import (CELL_KINDS, FLAGS, ITEM_KEYS, NODE_KINDS, PROTO, STR_KINDS,
                                  X2AP_ID_KINDS)
from chrtool.table.names import iso
from chrtool.table.schema import ITEM_KINDS_BY_CODE

ID_COLUMNS = ("mme_ue_s1ap_id", "enb_ue_s1ap_id", "old_enb_ue_x2ap_id", "new_enb_ue_x2ap_id",
              "menb_ue_x2ap_id", "sgnb_ue_x2ap_id")


def ip(raw, version):
    raw = bytes(raw)
    if version == 4:
        return str(ipaddress.IPv4Address(raw[:4]))
    if version == 6:
        return str(ipaddress.IPv6Address(raw[:16]))
    return None


def _group_items(ev):
    """row -> list of (key, a, b, c, d) for every item row."""
    by_row = defaultdict(list)
    it = ev.items
    for r, k, a, b, c, d in zip(it["row"].tolist(), it["key"].tolist(), it["a"].tolist(),
                                it["b"].tolist(), it["c"].tolist(), it["d"].tolist()):
        by_row[r].append((k, a, b, c, d))
    return by_row


def _add(row, key, value):
    """Set row[key], turning it into a list when the message holds several distinct values."""
    if key not in row:
        row[key] = value
    elif isinstance(row[key], list) and not isinstance(value, list):
        if value not in row[key]:
            row[key].append(value)
    elif row[key] != value:
        row[key] = [row[key], value]


def _append(row, key, value):
    """Like _add, but keeps repeats: each cause item is a cause the message carries (five
    Multiple-Services-Credit-Control results of 2001 are five causes, as tshark lists them)."""
    if key not in row:
        row[key] = value
    elif isinstance(row[key], list):
        row[key].append(value)
    else:
        row[key] = [row[key], value]


def nas_summary(ev, r, cols, children):
    out = []
    stack = [r]
    while stack:                       # depth-first: an ESM container follows its EMM message
        cur = stack.pop()
        entry = {"msg": names.msg_name(PROTO["NAS-EPS"], cols["msg"][cur])}
        cp = int(cols["cause_proto"][cur])
        if cp:
            key = "emm_cause" if cp == 3 else "esm_cause"
            entry[key] = int(cols["cause_value"][cur])
        entry["ciphered"] = bool(cols["flags"][cur] & FLAGS["ciphered"])
        if entry["ciphered"]:
            entry["msg"] = None
        out.append(entry)
        stack.extend(reversed(children.get(cur, [])))
    return out


def iter_rows(ev, by_time=False):
    """Yield one DESIGN.md decode row (a dict) per message of an Events table, in file and frame
    order (or in time order across files, for timelines)."""
    cols = {k: v.tolist() if v.ndim == 1 else v for k, v in ev.cols.items()}
    items = _group_items(ev)
    children = defaultdict(list)
    nas = PROTO["NAS-EPS"]
    for r, (p, par) in enumerate(zip(cols["proto"], cols["parent"])):
        if par >= 0:
            children[par].append(r)
    if by_time:
        order = sorted(range(ev.n), key=lambda r: (cols["ts_ns"][r], cols["file_id"][r],
                                                   cols["frame"][r], r))
    else:
        order = sorted(range(ev.n), key=lambda r: (cols["file_id"][r], cols["frame"][r], r))
    for r in order:
        if cols["parent"][r] >= 0 and cols["proto"][r] == nas:
            continue                    # shown inside its carrier's `nas` list
        yield row_dict(ev, r, cols, items.get(r, ()), children)


def rows_at(ev, wanted):
    """{row: its decode row} for the given rows; a NAS message gives its carrier's row (where it
    is shown, in the carrier's `nas` list)."""
    cols = {k: v.tolist() if v.ndim == 1 else v for k, v in ev.cols.items()}
    nas = PROTO["NAS-EPS"]
    top = {}
    for r in wanted:
        t = r
        while cols["parent"][t] >= 0 and cols["proto"][t] == nas:
            t = cols["parent"][t]
        top[r] = t
    items = _group_items(ev)
    children = defaultdict(list)
    for r, par in enumerate(cols["parent"]):
        if par >= 0:
            children[par].append(r)
    made = {t: row_dict(ev, t, cols, items.get(t, ()), children) for t in set(top.values())}
    return {r: made[t] for r, t in top.items()}, top


def row_dict(ev, r, cols, items, children):
    proto = cols["proto"][r]
    row = {"file": ev.files.get(cols["file_id"][r]), "frame": cols["frame"][r],
           "ts": iso(cols["ts_ns"][r]), "proto": names.proto_name(proto) or "unknown"}
    msg = names.msg_name(proto, cols["msg"][r])
    if msg:
        row["msg"] = msg
    if cols["procedure_code"][r] >= 0:
        row["procedure_code"] = cols["procedure_code"][r]
    for name in ("imsi", "msisdn", "imei"):
        value = ev.digits(name, r)
        if value:
            row[name] = value
    if cols["m_tmsi"][r] >= 0:
        row["m_tmsi"] = cols["m_tmsi"][r]
    for name in ID_COLUMNS:
        if cols[name][r] >= 0:
            row[name] = cols[name][r]
    if cols["teid"][r] >= 0:
        row["teid"] = cols["teid"][r]
    cell = names.ecgi(cols["plmn"][r], cols["eci"][r])
    if cell:
        row["ecgi"] = cell
    nr = names.nr_cgi(cols["nr_plmn"][r] if cols["nr_plmn"][r] >= 0 else cols["plmn"][r],
                      cols["nci"][r])
    if nr:
        row["nr_cgi"] = nr
    if cols["tac"][r] >= 0:
        row["tac"] = cols["tac"][r]
    if cols["crnti"][r] >= 0:
        row["crnti"] = cols["crnti"][r]
    cause = names.cause(cols["cause_proto"][r], cols["cause_group"][r], cols["cause_value"][r])
    if cause:
        row["cause"] = cause
    _add_items(ev, row, items)
    if proto != PROTO["NAS-EPS"] and children.get(r):
        row["nas"] = [e for c in children[r] if cols["proto"][c] == PROTO["NAS-EPS"]
                      for e in nas_summary(ev, c, cols, children)]
    elif proto == PROTO["NAS-EPS"]:
        summary = nas_summary(ev, r, cols, children)
        row["nas"] = summary
    flags = cols["flags"][r]
    for flag in ("malformed", "truncated", "reassembled"):
        if flags & FLAGS[flag]:
            row[flag] = True
    if cols["ip_version"][r]:
        row["src"] = ip(ev.cols["src"][r], cols["ip_version"][r])
        row["dst"] = ip(ev.cols["dst"][r], cols["ip_version"][r])
    return row


def _add_items(ev, row, items):
    K = ITEM_KEYS
    for key, a, b, c, d in items:
        spec = ITEM_KINDS_BY_CODE.get(key)
        if spec is None:
            continue
        f = spec.unpack(a, b, c, d)          # the item's named fields (chrtool/table/schema.py)
        if key == K["cause"]:
            obj = names.cause(f.proto, f.group, f.value)
            if obj is not None:
                if f.context >= 0:
                    obj = dict(obj, context=f.context)
                _append(row, "cause", obj)
        elif key == K["s1ap_ids"]:
            if f.mme_ue_s1ap_id >= 0:
                _add(row, "mme_ue_s1ap_id", f.mme_ue_s1ap_id)
            if f.enb_ue_s1ap_id >= 0:
                _add(row, "enb_ue_s1ap_id", f.enb_ue_s1ap_id)
        elif key == K["x2ap_ids"]:
            name = X2AP_ID_KINDS.get(f.kind)
            if name:
                _add(row, name, f.value)
        elif key == K["erab"]:
            row.setdefault("erabs", []).append(f.erab_id)
            if f.qci >= 0:                   # an E-RAB to set up: its id is the EPS bearer id
                row.setdefault("bearers", []).append({"ebi": f.erab_id, "qci": f.qci})
        elif key == K["bearer"]:
            bearer = {"ebi": f.ebi} if f.ebi >= 0 else {}
            if f.qci >= 0:
                bearer["qci"] = f.qci
            if bearer:                       # its cause, if any, is in the row's cause list
                row.setdefault("bearers", []).append(bearer)
        elif key == K["cell"]:
            kind = CELL_KINDS.get(f.kind, "cell")
            if kind == "tai":
                _add(row, "tai", f"{names.plmn(f.plmn)}-{f.cell}")
            elif "nr" in kind:
                _add(row, "nr_cgi" if kind == "nr_cgi" else kind, names.nr_cgi(f.plmn, f.cell))
            else:
                _add(row, kind, names.ecgi(f.plmn, f.cell))
        elif key == K["node"]:
            _add(row, "node", {"kind": NODE_KINDS.get(f.kind, str(f.kind)),
                               "plmn": names.plmn(f.plmn), "id": f.node_id})
        elif key == K["str"]:
            kind = STR_KINDS.get(f.kind, "str")
            raw = ev.bytes_at(f.offset, f.length)
            _add(row, kind, raw.hex() if kind == "raw" else _text(raw, kind))
        elif key == K["fteid"]:
            fteid = {"interface": f.interface, "teid": f.teid}
            if f.address >= 0:
                fteid["ipv4"] = str(ipaddress.IPv4Address(f.address))
            if f.ebi >= 0:
                fteid["ebi"] = f.ebi
            _add(row, "fteid", fteid)
        elif key == K["guti"]:
            guti = {"plmn": names.plmn(f.plmn), "mmegi": f.mmegi, "mmec": f.mmec,
                    "m_tmsi": f.m_tmsi}
            _add(row, "guti", {k: v for k, v in guti.items() if v is not None and v != -1})
        elif key == K["meas"]:
            row.setdefault("meas", []).append(_meas(*f))
        elif key == K["info"]:
            info = row.setdefault("info", {})
            name = INFO_KINDS.get(f.kind, str(f.kind))
            value = f.value if f.value2 < 0 and f.value3 < 0 else [f.value, f.value2, f.value3]
            _add(info, name, value)
        elif key == K["enum"]:
            _add(row.setdefault("enums", {}), ie_name(row["proto"], f.ie), f.index)


def _meas(kind, value, cell, arfcn_pci):
    """A measurement item: kinds and scaling from chrtool/table/schema.py (dB/dBm stored x100)."""
    neighbour = bool(kind & MEAS_NEIGHBOUR)
    name = MEAS_KINDS.get(kind & ~MEAS_NEIGHBOUR, str(kind))
    out = {"kind": name, "value": value / MEAS_SCALE.get(name, 1)}
    if neighbour:
        out["neighbour"] = True
    if cell >= 0:
        out["cell"] = cell
    if arfcn_pci >= 0:
        out["arfcn"], out["pci"] = arfcn_pci >> 10, arfcn_pci & 0x3FF
    return out


def ie_name(proto, ie_id):
    """The ASN.1 name of an IE id of an S1AP/X2AP-like protocol (DESIGN proto string)."""
    return BY_NAME[proto].table.IES.get(ie_id, str(ie_id))


def _text(raw, kind):
    if kind == "apn":
        return apn_text(raw)
    return raw.decode("utf-8", "replace")


def apn_text(raw):
    """An APN as on the wire (length-prefixed labels, TS 23.003 9.1) -> dotted text."""
    labels, i = [], 0
    while i < len(raw):
        n = raw[i]
        labels.append(raw[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return ".".join(labels)


def to_jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")
