"""The rows the CHR samples' .expected.jsonl hold, rendered from EventTable batches."""
from datetime import datetime, timezone

from chrtool._fast.events import CAUSE_CODES, CELL_KINDS, FLAGS, ITEM_KEYS, STR_KINDS, EventTable
from chrtool.decoders import chr_v1 as spec

_STR_IDS = {v: k for k, v in STR_KINDS.items()}
_CELL_IDS = {v: k for k, v in CELL_KINDS.items()}


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
