#!/usr/bin/env python3
"""Write the CHR samples: chr-v1, two vendor CSV layouts and a TS 32.423 trace, with golden output.

Run: python samples/make_chr_samples.py [OUTDIR]   (byte-for-byte reproducible)

The subscribers, PLMN, eNBs and times mirror samples/make_samples.py (attach_reject.pcap): test
PLMN 001/01, eNBs ENB-SH-PD-0421 (0x19A21) and ENB-SH-PD-0422 (0x19A22), MME group 0x8001 code 1,
2026-11-27 around 09:00 UTC. The radio stories (README-chr.md):

- 001010000000001: healthy LTE session (RRC setup, E-RAB QCI 9, X2 handover, release).
- 001010000000004: NSA. SgNB addition succeeds, SS-RSRP falls to -124 dBm, SCG failure
  t310-Expiry, SgNB release (X2AP SgNBReleaseRequired copy, radio-connection-with-UE-lost),
  then the re-addition fails with scg-random-access-failure.
- 001010000000005: LTE. RSRP falls from -105 to -124 dBm, radio link failure t310-Expiry,
  re-establishment (otherFailure), release; S1AP UEContextReleaseRequest copy with
  radioNetwork radio-connection-with-ue-lost.

Each output `X` has `X.expected.jsonl` beside it: the rows `chrtool decode --format jsonl samples/X`
prints (DESIGN.md's decode rows, `file` as that command names the sample, run from the repository
root). They are written here from this script's own sources of truth, never by running chrtool:
the construct parse of the chr-v1 file (decoders/chr_v1.py), the CSV and XML rows it writes, and,
for the S1AP/X2AP message copies, the values the story put into each PDU (message name, procedure
code, IDs, cause; cause numbers from pycrate's ASN.1 enumerations). Tests compare them as JSON
values, so key order does not matter.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from chrtool.decoders import chr_v1 as spec  # noqa: E402

PLMN = "00101"
ENBS = {0: 0x19A21, 1: 0x19A22}
GNB = 0x2B0401                       # en-gNB id (24 bits) of the NR leg next to ENB 0421
START = 1_795_770_000 * 10**9        # 2026-11-27T09:00:00Z
MMEC = 1


def utc(text):
    dt = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 10**9 + dt.microsecond * 1000


assert START == utc("2026-11-27T09:00:00")


def eci(enb, cell):
    return ENBS[enb] << 8 | cell


def nci(cell):
    return GNB << 12 | cell


class Pdu(NamedTuple):
    """An S1AP/X2AP message copy: its APER bytes (pycrate) and the decode-row fields the protocol
    decoder must give for it, stated from the same values the PDU was built from."""
    raw: bytes
    row: dict


def _asn1_cause_module(proto):
    from pycrate_asn1dir import S1AP, X2AP
    return (S1AP.S1AP_IEs if proto == "S1AP" else X2AP.X2AP_IEs).Cause


def asn1_cause(proto, group, name):
    """The cause object of an S1AP/X2AP Cause CHOICE (group, enumeration name): `value` is the
    enumeration index within its group, taken from pycrate's ASN.1."""
    enum = _asn1_cause_module(proto)._cont[group]
    return {"proto": proto, "group": group, "value": enum._cont[name], "name": name}


def asn1_cause_by_number(proto, group_index, value):
    """The cause object of (CHOICE index, enumeration index), as CHR records log it."""
    choice = _asn1_cause_module(proto)
    group = list(choice._cont)[group_index]
    return asn1_cause(proto, group, choice._cont[group]._cont_rev[value])


def s1ap_ue_context_release_request(mme_id, enb_id, cause=("radioNetwork",
                                                          "radio-connection-with-ue-lost")):
    from pycrate_asn1dir import S1AP
    name, code = "UEContextReleaseRequest", 18
    pdu = S1AP.S1AP_PDU_Descriptions.S1AP_PDU
    pdu.set_val(("initiatingMessage", {
        "procedureCode": code, "criticality": "ignore",
        "value": (name, {"protocolIEs": [
            {"id": 0, "criticality": "reject", "value": ("MME-UE-S1AP-ID", mme_id)},
            {"id": 8, "criticality": "reject", "value": ("ENB-UE-S1AP-ID", enb_id)},
            {"id": 2, "criticality": "ignore", "value": ("Cause", cause)}]})}))
    return Pdu(pdu.to_aper(), {"proto": "S1AP", "msg": name, "procedure_code": code,
                               "mme_ue_s1ap_id": mme_id, "enb_ue_s1ap_id": enb_id,
                               "cause": asn1_cause("S1AP", *cause)})


def x2ap_sgnb_release_required(menb_id, sgnb_id, cause=("radioNetwork",
                                                        "radio-connection-with-UE-lost")):
    from pycrate_asn1dir import X2AP
    name, code = "SgNBReleaseRequired", 32
    pdu = X2AP.X2AP_PDU_Descriptions.X2AP_PDU
    pdu.set_val(("initiatingMessage", {
        "procedureCode": code, "criticality": "reject",
        "value": (name, {"protocolIEs": [
            # id-MeNB-UE-X2AP-ID (111) and id-SgNB-UE-X2AP-ID (207), TS 36.423
            {"id": 111, "criticality": "reject", "value": ("UE-X2AP-ID", menb_id)},
            {"id": 207, "criticality": "reject", "value": ("SgNB-UE-X2AP-ID", sgnb_id)},
            {"id": 5, "criticality": "ignore", "value": ("Cause", cause)}]})}))
    return Pdu(pdu.to_aper(), {"proto": "X2AP", "msg": name, "procedure_code": code,
                               "menb_ue_x2ap_id": menb_id, "sgnb_ue_x2ap_id": sgnb_id,
                               "cause": asn1_cause("X2AP", *cause)})


# An RRC message kept raw (the trace sample): UL-DCCH MeasurementReport bytes as a UE sent them.
RRC_MEAS_REPORT = bytes.fromhex("08 10 a0 1d 18 00 06 1c 20".replace(" ", ""))

# ----------------------------------------------------------------------------------- the story
# Each event: dict(t=seconds after START, ue, ev, and optional cell/ids/cause/meas/...).
UES = {
    "001010000000001": dict(enb=0, cell=1, mme=5001, enb_id=301, crnti=0x4601, tmsi=0xC0DE0001,
                            tac=0x2A01),
    "001010000000004": dict(enb=0, cell=1, mme=5004, enb_id=304, crnti=0x4604, tmsi=0xC0DE0004,
                            tac=0x2A01, menb=104, sgnb=7004, nr_cell=0x11, pci=311, arfcn=627264),
    "001010000000005": dict(enb=1, cell=2, mme=5005, enb_id=305, crnti=0x4705, tmsi=0xC0DE0005,
                            tac=0x2A02),
}


def story():
    u1, u4, u5 = "001010000000001", "001010000000004", "001010000000005"
    ev = []

    def add(t, ue, name, **kw):
        ev.append(dict(t=t, ue=ue, ev=name, **kw))

    # UE 1: healthy, before its detach in attach_reject.pcap (attach at ~09:00:01)
    add(30.000, u1, "RRC_CONN_SETUP", cause=("rrc-setup-result", "success"), est=4)
    add(30.120, u1, "ERAB_SETUP", cause=("erab", "success"), erabs=[(5, 9)])
    add(31.500, u1, "MEAS_REPORT", meas=[("rsrp", -95.0), ("rsrq", -10.5), ("sinr", 12.0),
                                         ("cqi", 11), ("ta", 3),
                                         ("rsrp", -92.0, True, 172, 1850)])
    add(31.540, u1, "HO_ATTEMPT", target=(1, 2), cause=("ho-reason", "a3-coverage"))
    add(31.580, u1, "HO_RESULT", target=(1, 2), cause=("ho-result", "success"))
    add(45.000, u1, "RRC_CONN_RELEASE", cause=("release", "user-inactivity"))
    # UE 4: NSA, SCG failure with t310-Expiry after poor SS-RSRP, re-addition fails
    add(60.000, u4, "RRC_CONN_SETUP", cause=("rrc-setup-result", "success"), est=4)
    add(60.110, u4, "ERAB_SETUP", cause=("erab", "success"), erabs=[(5, 9)])
    add(60.400, u4, "SGNB_ADDITION_ATTEMPT", nr=True, meas=[("ss_rsrp", -108.0)])
    add(60.520, u4, "SGNB_ADDITION_RESULT", nr=True, cause=("sgnb-addition-result", "success"))
    add(64.000, u4, "MEAS_REPORT", nr=True, meas=[("rsrp", -99.0), ("ss_rsrp", -118.0),
                                                  ("ss_sinr", -2.0)])
    add(66.000, u4, "MEAS_REPORT", nr=True, meas=[("rsrp", -100.0), ("ss_rsrp", -121.0),
                                                  ("ss_sinr", -4.5)])
    add(67.310, u4, "SCG_FAILURE", nr=True, cause=("scg-failure", "t310-Expiry"),
        meas=[("ss_rsrp", -124.0), ("ss_rsrq", -19.5), ("ss_sinr", -6.5)])
    add(67.330, u4, "SGNB_RELEASE", nr=True, cause=("sgnb-release", "scg-failure"),
        proto_cause=("X2AP", 0, 43))
    add(67.330, u4, "X2AP_MESSAGE", nr=True,
        pdu=x2ap_sgnb_release_required(104, 7004))
    add(70.000, u4, "SGNB_ADDITION_ATTEMPT", nr=True, meas=[("ss_rsrp", -117.0)])
    add(70.260, u4, "SGNB_ADDITION_RESULT", nr=True,
        cause=("sgnb-addition-result", "scg-random-access-failure"))
    # UE 5: LTE radio link failure after RSRP falls
    add(90.000, u5, "RRC_CONN_SETUP", cause=("rrc-setup-result", "success"), est=3)
    add(90.100, u5, "ERAB_SETUP", cause=("erab", "success"), erabs=[(5, 9)])
    add(92.000, u5, "MEAS_REPORT", meas=[("rsrp", -105.0), ("rsrq", -12.0), ("sinr", 4.0),
                                         ("cqi", 7)])
    add(94.000, u5, "MEAS_REPORT", meas=[("rsrp", -114.0), ("rsrq", -15.5), ("sinr", -1.0),
                                         ("cqi", 4)])
    add(95.000, u5, "MEAS_REPORT", meas=[("rsrp", -121.0), ("rsrq", -17.0), ("sinr", -4.0),
                                         ("cqi", 3), ("ta", 41)])
    add(95.820, u5, "RADIO_LINK_FAILURE", cause=("rlf", "t310-Expiry"),
        meas=[("rsrp", -124.0), ("rsrq", -19.0), ("sinr", -7.0)])
    add(95.900, u5, "RRC_CONN_REESTABLISHMENT", cause=("rrc-reestablishment", "otherFailure"))
    add(96.900, u5, "RRC_CONN_RELEASE", cause=("release", "radio-link-failure"))
    add(96.900, u5, "S1AP_MESSAGE", pdu=s1ap_ue_context_release_request(5005, 305))
    return sorted(ev, key=lambda e: e["t"])


# ---------------------------------------------------------------------------------- chr-v1
def to_record(e):
    u = UES[e["ue"]]
    ids = dict(cell=dict(kind="ecgi", plmn=PLMN, cell_id=eci(u["enb"], u["cell"])),
               imsi=e["ue"], s_tmsi=dict(mmec=MMEC, m_tmsi=u["tmsi"]),
               mme_ue_s1ap_id=u["mme"], enb_ue_s1ap_id=u["enb_id"], crnti=u["crnti"],
               tac=u["tac"])
    params = []
    if e.get("nr"):
        ids.update(menb_ue_x2ap_id=u["menb"], sgnb_ue_x2ap_id=u["sgnb"])
        params.append(spec.p_cell("secondary_cell", "nr_cgi", PLMN, nci(u["nr_cell"])))
    if "cause" in e:
        params.append(spec.p_cause(*e["cause"]))
    if "est" in e:
        params.append(("est_cause", e["est"]))
    if "proto_cause" in e:
        params.append(spec.p_proto_cause(*e["proto_cause"]))
    for m in e.get("meas", ()):
        kind, value = m[0], m[1]
        nb = len(m) > 2 and m[2]
        pci, arfcn = (m[3], m[4]) if nb else (-1, -1)
        if kind.startswith("ss_") and "pci" in u:
            pci, arfcn = u["pci"], u["arfcn"]
        params.append(spec.p_meas(kind, value, nb, pci, arfcn))
    if "target" in e:
        params.append(spec.p_cell("target_cell", "ecgi", PLMN, eci(*e["target"])))
    for erab_id, qci in e.get("erabs", ()):
        params.append(spec.p_erab(erab_id, qci))
    if "pdu" in e:
        params.append(("raw_pdu", e["pdu"].raw))
    return spec.record(e["ev"], START + round(e["t"] * 1e9), params, **ids)


def write_chr(out):
    hdr = spec.header(START, ne_name="ENB-SH-PD-0421", ne_type="eNB", ne_plmn=PLMN,
                      ne_id=ENBS[0])
    events = story()
    data = spec.build_file(hdr, [to_record(e) for e in events])
    (out / "chr_nsa_radio.chr").write_bytes(data)
    recs = list(spec.iter_records(data))
    assert len(recs) == len(events)
    rows = [chr_v1_row("samples/chr_nsa_radio.chr", recno, rec, e.get("pdu"))
            for recno, ((off, rec), e) in enumerate(zip(recs, events), 1)]
    write_jsonl(out / "chr_nsa_radio.chr.expected.jsonl", rows)
    # the broken companion: damage in the middle, cut at the end (expected problems listed)
    bad = bytearray(data)
    off3 = recs[3][0]
    bad[off3:off3 + 2] = b"\x03\x00"             # record 4: length 3 (less than the fixed part)
    bad = bytes(bad[:-7])                         # the last record is cut
    (out / "chr_broken.chr").write_bytes(bad)
    (out / "chr_broken.chr.expected.json").write_text(json.dumps({
        "records_decoded": len(recs) - 2,
        "problems": [
            {"offset": off3, "layer": "chr-v1", "starts_with": "record length 3 is less than"},
            {"offset": recs[-1][0], "layer": "chr-v1", "starts_with": "record"},
        ]}, indent=2) + "\n")


def iso(ns):
    s, rem = divmod(ns, 10**9)
    return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + \
        f".{rem // 1000:06d}Z"


# ------------------------------------------------------------------- decode rows (DESIGN.md)
# The conventions of `chrtool decode` rows: keys only where the message carries a value; cells as
# 'MCC-MNC-eNBID-CellID' (ECI = 20-bit eNB ID + 8-bit cell) and 'MCC-MNC-NCI'; cause objects;
# a key a message holds several different values of becomes a list under the same key.
ROW_ORDER = ("file", "frame", "ts", "proto", "msg", "procedure_code", "imsi", "msisdn", "m_tmsi",
             "mme_ue_s1ap_id", "enb_ue_s1ap_id", "old_enb_ue_x2ap_id", "new_enb_ue_x2ap_id",
             "menb_ue_x2ap_id", "sgnb_ue_x2ap_id", "teid", "ecgi", "nr_cgi", "tac", "crnti",
             "cause", "nas", "src", "dst")


def put(row, key, value):
    """row[key] = value; a second, different value turns the key into a list."""
    if key not in row:
        row[key] = value
    elif isinstance(row[key], list):
        if value not in row[key]:
            row[key].append(value)
    elif row[key] != value:
        row[key] = [row[key], value]


def plmn_text(plmn):
    return f"{plmn[:3]}-{plmn[3:]}"


def cell_text(kind, plmn, cell_id):
    if kind == "nr_cgi":
        return f"{plmn_text(plmn)}-{cell_id}"
    return f"{plmn_text(plmn)}-{cell_id >> 8}-{cell_id & 0xFF}"


def chr_cause(kind, name_or_value):
    """A CHR cause object from the chr-v1 cause tables (kind name or id, value name or index)."""
    kid = spec.CAUSE_KIND_IDS[kind] if isinstance(kind, str) else int(kind)
    names = spec.CAUSES[kid]
    value = names.index(name_or_value) if isinstance(name_or_value, str) else name_or_value
    return {"proto": "CHR", "group": spec.CAUSE_KINDS[kid], "value": value, "name": names[value]}


def meas_item(kind, value, neighbour=False, pci=-1, arfcn=-1):
    m = {"kind": kind, "value": float(value)}
    if neighbour:
        m["neighbour"] = True
    if pci >= 0:
        m["arfcn"], m["pci"] = max(arfcn, 0), pci
    return m


def ordered(row):
    return {**{k: row[k] for k in ROW_ORDER if k in row},
            **{k: v for k, v in row.items() if k not in ROW_ORDER}}


def chr_v1_row(file, recno, rec, pdu):
    """The decode row of one chr-v1 record, from its construct parse; for an S1AP/X2AP message
    copy the protocol fields are those the story built the PDU from (`pdu.row`)."""
    row = {"file": file, "frame": recno, "ts": iso(rec.ts_ns)}
    raw = spec.RAW_EVENTS.get(rec.event)
    if raw:
        copies = [bytes(p.value) for p in rec.params if p.tag == "raw_pdu"]
        assert pdu is not None and pdu.row["proto"] == raw and copies[:1] == [pdu.raw]
        for k, v in pdu.row.items():
            put(row, k, v)
    else:
        row.update(proto="CHR", msg=spec.EVENTS[rec.event])
    if rec.imsi is not None:
        put(row, "imsi", rec.imsi)
    if rec.s_tmsi is not None:
        put(row, "m_tmsi", rec.s_tmsi.m_tmsi)
    for k in ("mme_ue_s1ap_id", "enb_ue_s1ap_id", "menb_ue_x2ap_id", "sgnb_ue_x2ap_id", "tac",
              "crnti"):
        if rec[k] is not None:
            put(row, k, rec[k])
    if rec.cell is not None:
        put(row, "nr_cgi" if rec.cell.kind == "nr_cgi" else "ecgi",
            cell_text(str(rec.cell.kind), rec.cell.plmn, rec.cell.cell_id))
    if rec.s_tmsi is not None:
        put(row, "guti", {"mmec": rec.s_tmsi.mmec, "m_tmsi": rec.s_tmsi.m_tmsi})
    main = next((p for p in rec.params if p.tag == "cause"), None)
    if main is not None:                   # the record's cause first, the others after it
        put(row, "cause", chr_cause(int(main.value.kind), main.value.value))
    copies_seen = 0
    for p in rec.params:
        tag, v = str(p.tag), p.value
        if tag == "cause" and p is not main:
            put(row, "cause", chr_cause(int(v.kind), v.value))
        elif tag == "est_cause":
            put(row, "cause", chr_cause("rrc-establishment", v))
        elif tag == "proto_cause":
            put(row, "cause", asn1_cause_by_number(str(v.proto), v.group, v.value))
        elif tag == "meas":
            row.setdefault("meas", []).append(meas_item(
                str(v.kind), v.value / spec.MEAS_SCALE[str(v.kind)], v.neighbour, v.pci, v.arfcn))
        elif tag == "secondary_cell":
            put(row, "nr_cgi" if v.kind == "nr_cgi" else "ecgi",
                cell_text(str(v.kind), v.plmn, v.cell_id))
        elif tag == "target_cell":
            put(row, "target_nr_cgi" if v.kind == "nr_cgi" else "target_ecgi",
                cell_text(str(v.kind), v.plmn, v.cell_id))
        elif tag == "erab":
            row.setdefault("erabs", []).append(v.erab_id)
            if v.qci:                      # 0: no QCI; an E-RAB's id is its EPS bearer id
                row.setdefault("bearers", []).append({"ebi": v.erab_id, "qci": v.qci})
            if v.cause_kind:
                put(row, "cause", dict(chr_cause(v.cause_kind, v.cause_value), context=v.erab_id))
        elif tag == "raw_pdu" and raw and copies_seen == 0:
            copies_seen = 1                # the message itself, decoded above
        elif tag in ("raw_pdu", "rrc_raw"):
            put(row, "raw", bytes(v).hex())
    return ordered(row)


def write_jsonl(path, rows):
    with open(path, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------- vendor CSV
HUAWEI_EVENTS = {"RRC_CONN_SETUP": "RRC Connection Setup",
                 "RRC_CONN_REESTABLISHMENT": "RRC Connection Reestablishment",
                 "RRC_CONN_RELEASE": "RRC Connection Release",
                 "RADIO_LINK_FAILURE": "Radio Link Failure", "MEAS_REPORT": "Measurement Report",
                 "HO_ATTEMPT": "Handover Preparation", "HO_RESULT": "Handover Result",
                 "ERAB_SETUP": "E-RAB Setup", "SGNB_ADDITION_ATTEMPT": "SgNB Addition Attempt",
                 "SGNB_ADDITION_RESULT": "SgNB Addition Result", "SGNB_RELEASE": "SgNB Release",
                 "SCG_FAILURE": "SCG Failure"}


def _cause_texts(layout):
    import tomllib
    with open(HERE.parent / "decoders" / "maps" / f"{layout}.toml", "rb") as fh:
        m = tomllib.load(fh)
    return {v: k for k, v in m["cause"]["values"].items()}, m


def csv_story():
    """The story without raw copies (vendor CSV exports carry no PDUs)."""
    return [e for e in story() if e["ev"] not in ("S1AP_MESSAGE", "X2AP_MESSAGE") and
            e["ev"] != "RRC_CONN_REESTABLISHMENT"]


def write_huawei(out):
    texts, m = _cause_texts("huawei_chr")
    cols = ["Time", "Event Name", "IMSI", "MSISDN", "eNodeB ID", "Local Cell ID", "TAC",
            "MME UE S1AP ID", "eNB UE S1AP ID", "C-RNTI", "M-TMSI", "MeNB UE X2AP ID",
            "SgNB UE X2AP ID", "gNodeB ID", "NR Cell ID", "Cause", "3GPP Cause Group",
            "3GPP Cause Value", "Serving RSRP(dBm)", "Serving RSRQ(dB)", "Serving SINR(dB)",
            "CQI", "TA", "Neighbor RSRP(dBm)", "Neighbor PCI", "Neighbor EARFCN",
            "NR SS-RSRP(dBm)", "NR PCI", "NR ARFCN", "NR SS-RSRQ(dB)", "NR SS-SINR(dB)",
            "Target eNodeB ID", "Target Local Cell ID", "E-RAB ID", "QCI", "Vendor Extra"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    golden = []
    for i, e in enumerate(csv_story(), 1):
        u = UES[e["ue"]]
        ts = START + round(e["t"] * 1e9)
        local = datetime.fromtimestamp(ts // 10**9 + 8 * 3600, timezone.utc)
        r = dict.fromkeys(cols, "")
        r.update({"Time": local.strftime("%Y-%m-%d %H:%M:%S") + f".{(ts // 10**6) % 1000:03d}",
                  "Event Name": HUAWEI_EVENTS[e["ev"]], "IMSI": e["ue"],
                  "MSISDN": "86139123400" + e["ue"][-2:], "eNodeB ID": ENBS[u["enb"]],
                  "Local Cell ID": u["cell"], "TAC": u["tac"], "MME UE S1AP ID": u["mme"],
                  "eNB UE S1AP ID": u["enb_id"], "C-RNTI": u["crnti"],
                  "M-TMSI": f"{u['tmsi']:08X}", "Vendor Extra": "x"})
        g = _golden_base("samples/vendor_huawei_chr.csv", i, ts, e, u)
        g["msisdn"] = r["MSISDN"]
        g["m_tmsi"] = int(r["M-TMSI"], 16)
        g["tac"] = r["TAC"]
        if e.get("nr"):
            r.update({"MeNB UE X2AP ID": u["menb"], "SgNB UE X2AP ID": u["sgnb"],
                      "gNodeB ID": GNB, "NR Cell ID": u["nr_cell"]})
        if "cause" in e:
            r["Cause"] = texts[f"{e['cause'][0]}:{e['cause'][1]}"]
        if "proto_cause" in e:
            r["3GPP Cause Group"], r["3GPP Cause Value"] = e["proto_cause"][1:]
            put(g, "cause", asn1_cause_by_number(*e["proto_cause"]))
        hw = {("rsrp", False): "Serving RSRP(dBm)", ("rsrq", False): "Serving RSRQ(dB)",
              ("sinr", False): "Serving SINR(dB)", ("cqi", False): "CQI", ("ta", False): "TA",
              ("rsrp", True): "Neighbor RSRP(dBm)", ("ss_rsrp", False): "NR SS-RSRP(dBm)",
              ("ss_rsrq", False): "NR SS-RSRQ(dB)", ("ss_sinr", False): "NR SS-SINR(dB)"}
        gm = []
        for mm in e.get("meas", ()):
            nb = len(mm) > 2 and mm[2]
            r[hw[(mm[0], nb)]] = mm[1]
            if nb:
                r["Neighbor PCI"], r["Neighbor EARFCN"] = mm[3], mm[4]
            if mm[0] == "ss_rsrp" and "pci" in u:
                r["NR PCI"], r["NR ARFCN"] = u["pci"], u["arfcn"]
        # layout order of [[meas]]: the golden lists measurements in that order
        for ms in m["meas"]:
            val = r[ms["column"]]
            if val == "":
                continue
            pci = "pci_column" in ms and r[ms["pci_column"]] != ""
            gm.append(meas_item(ms["kind"], float(val), ms.get("neighbour", False),
                                int(r[ms["pci_column"]]) if pci else -1,
                                int(r[ms["arfcn_column"]]) if pci else -1))
        if gm:
            g["meas"] = gm
        if "target" in e:
            r["Target eNodeB ID"], r["Target Local Cell ID"] = ENBS[e["target"][0]], e["target"][1]
            g["target_ecgi"] = cell_text("ecgi", PLMN, eci(*e["target"]))
        for erab_id, qci in e.get("erabs", ()):
            r["E-RAB ID"], r["QCI"] = erab_id, qci
            g.setdefault("erabs", []).append(erab_id)     # rows list E-RAB ids
            g.setdefault("bearers", []).append({"ebi": erab_id, "qci": qci})
        w.writerow([r[c] for c in cols])
        golden.append(ordered(g))
    (out / "vendor_huawei_chr.csv").write_text(buf.getvalue())
    write_jsonl(out / "vendor_huawei_chr.csv.expected.jsonl", golden)


def _golden_base(file, i, ts, e, u):
    """The decode-row fields both CSV layouts carry for a story event."""
    g = {"file": file, "frame": i, "ts": iso(ts), "proto": "CHR", "msg": e["ev"],
         "imsi": e["ue"], "mme_ue_s1ap_id": u["mme"], "enb_ue_s1ap_id": u["enb_id"],
         "crnti": u["crnti"], "ecgi": cell_text("ecgi", PLMN, eci(u["enb"], u["cell"]))}
    if e.get("nr"):
        g.update(menb_ue_x2ap_id=u["menb"], sgnb_ue_x2ap_id=u["sgnb"],
                 nr_cgi=cell_text("nr_cgi", PLMN, nci(u["nr_cell"])))
    if "cause" in e:
        g["cause"] = chr_cause(*e["cause"])
    return g


ERICSSON_EVENTS = {"RRC_CONN_SETUP": "INTERNAL_PROC_RRC_CONN_SETUP",
                   "RRC_CONN_RELEASE": "INTERNAL_PROC_UE_CTXT_RELEASE",
                   "RADIO_LINK_FAILURE": "INTERNAL_EVENT_UE_RLF",
                   "MEAS_REPORT": "INTERNAL_PER_RADIO_UE_MEASUREMENT",
                   "HO_ATTEMPT": "INTERNAL_PROC_HO_PREP_X2_OUT",
                   "HO_RESULT": "INTERNAL_PROC_HO_EXEC_X2_OUT",
                   "ERAB_SETUP": "INTERNAL_PROC_ERAB_SETUP",
                   "SGNB_ADDITION_RESULT": "INTERNAL_PROC_SGNB_ADDITION",
                   "SGNB_RELEASE": "INTERNAL_PROC_SGNB_RELEASE",
                   "SCG_FAILURE": "INTERNAL_EVENT_SCG_FAILURE"}
_INDEX = {"rsrp": lambda v: v + 141, "rsrq": lambda v: v * 2 + 40,
          "ss_rsrp": lambda v: v + 157, "ss_sinr": lambda v: v * 2 + 46,
          "cqi": lambda v: v, "ta": lambda v: v}


def write_ericsson(out):
    texts, m = _cause_texts("ericsson_ctr")
    cols = ["DATE", "EVENT_PARAM_TIMESTAMP_HOUR", "EVENT_PARAM_TIMESTAMP_MINUTE",
            "EVENT_PARAM_TIMESTAMP_SECOND", "EVENT_PARAM_TIMESTAMP_MILLISEC", "EVENT_ID",
            "EVENT_NAME", "EVENT_PARAM_SCANNER_ID", "EVENT_PARAM_RBS_MODULE_ID",
            "EVENT_PARAM_GLOBAL_CELL_ID", "EVENT_PARAM_PLMN", "EVENT_PARAM_ENBS1APID",
            "EVENT_PARAM_MMES1APID", "EVENT_PARAM_RAC_UE_REF", "EVENT_PARAM_CRNTI",
            "EVENT_PARAM_IMSI", "EVENT_PARAM_MENB_UE_X2AP_ID", "EVENT_PARAM_SGNB_UE_X2AP_ID",
            "EVENT_PARAM_NR_CELL_ID", "EVENT_PARAM_RESULT_TEXT", "EVENT_PARAM_3GPP_CAUSE_GROUP",
            "EVENT_PARAM_3GPP_CAUSE", "EVENT_PARAM_RSRP_SERVING", "EVENT_PARAM_RSRQ_SERVING",
            "EVENT_PARAM_CQI", "EVENT_PARAM_TA", "EVENT_PARAM_RSRP_NEIGHBOR",
            "EVENT_PARAM_PCI_NEIGHBOR", "EVENT_PARAM_EARFCN_NEIGHBOR", "EVENT_PARAM_NR_SS_RSRP",
            "EVENT_PARAM_NR_SS_SINR", "EVENT_PARAM_TARGET_GLOBAL_CELL_ID", "EVENT_PARAM_ERAB_ID",
            "EVENT_PARAM_QCI"]
    ids = {"INTERNAL_PROC_RRC_CONN_SETUP": 4097, "INTERNAL_PROC_UE_CTXT_RELEASE": 4125,
           "INTERNAL_PROC_HO_PREP_X2_OUT": 4110, "INTERNAL_PROC_HO_EXEC_X2_OUT": 4112,
           "INTERNAL_PROC_ERAB_SETUP": 4099, "INTERNAL_PER_RADIO_UE_MEASUREMENT": 3075}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    golden = []
    i = 0
    for e in csv_story():
        if e["ev"] not in ERICSSON_EVENTS:
            continue
        # measurements this layout has no column for are not exported
        meas = [mm for mm in e.get("meas", ()) if mm[0] != "sinr" and mm[0] != "ss_rsrq"]
        i += 1
        u = UES[e["ue"]]
        ts = START + round(e["t"] * 1e9)
        dt = datetime.fromtimestamp(ts // 10**9, timezone.utc)
        r = dict.fromkeys(cols, "")
        name = ERICSSON_EVENTS[e["ev"]]
        r.update({"DATE": dt.strftime("%Y-%m-%d"), "EVENT_PARAM_TIMESTAMP_HOUR": dt.hour,
                  "EVENT_PARAM_TIMESTAMP_MINUTE": dt.minute,
                  "EVENT_PARAM_TIMESTAMP_SECOND": dt.second,
                  "EVENT_PARAM_TIMESTAMP_MILLISEC": (ts // 10**6) % 1000,
                  "EVENT_ID": ids.get(name, ""), "EVENT_NAME": name,
                  "EVENT_PARAM_SCANNER_ID": 0, "EVENT_PARAM_RBS_MODULE_ID": "DU1",
                  "EVENT_PARAM_GLOBAL_CELL_ID": eci(u["enb"], u["cell"]),
                  "EVENT_PARAM_PLMN": "001-01", "EVENT_PARAM_ENBS1APID": u["enb_id"],
                  "EVENT_PARAM_MMES1APID": u["mme"], "EVENT_PARAM_RAC_UE_REF": 9000 + i,
                  "EVENT_PARAM_CRNTI": u["crnti"], "EVENT_PARAM_IMSI": e["ue"]})
        g = _golden_base("samples/vendor_ericsson_ctr.csv", i, ts, e, u)
        if e.get("nr"):
            r.update({"EVENT_PARAM_MENB_UE_X2AP_ID": u["menb"],
                      "EVENT_PARAM_SGNB_UE_X2AP_ID": u["sgnb"],
                      "EVENT_PARAM_NR_CELL_ID": nci(u["nr_cell"])})
        if "cause" in e:
            r["EVENT_PARAM_RESULT_TEXT"] = texts[f"{e['cause'][0]}:{e['cause'][1]}"]
        if "proto_cause" in e:
            r["EVENT_PARAM_3GPP_CAUSE_GROUP"], r["EVENT_PARAM_3GPP_CAUSE"] = e["proto_cause"][1:]
            put(g, "cause", asn1_cause_by_number(*e["proto_cause"]))
        col = {("rsrp", False): "EVENT_PARAM_RSRP_SERVING",
               ("rsrq", False): "EVENT_PARAM_RSRQ_SERVING", ("cqi", False): "EVENT_PARAM_CQI",
               ("ta", False): "EVENT_PARAM_TA", ("rsrp", True): "EVENT_PARAM_RSRP_NEIGHBOR",
               ("ss_rsrp", False): "EVENT_PARAM_NR_SS_RSRP",
               ("ss_sinr", False): "EVENT_PARAM_NR_SS_SINR"}
        for mm in meas:
            nb = len(mm) > 2 and mm[2]
            r[col[(mm[0], nb)]] = int(_INDEX[mm[0]](mm[1]))
            if nb:
                r["EVENT_PARAM_PCI_NEIGHBOR"], r["EVENT_PARAM_EARFCN_NEIGHBOR"] = mm[3], mm[4]
        gm = []
        for ms in m["meas"]:
            for mm in meas:
                nb = len(mm) > 2 and mm[2]
                if col[(mm[0], nb)] == ms["column"]:
                    gm.append(meas_item(mm[0], mm[1], nb, *(mm[3:5] if nb else ())))
        if gm:
            g["meas"] = gm
        if "target" in e:
            r["EVENT_PARAM_TARGET_GLOBAL_CELL_ID"] = eci(*e["target"])
            g["target_ecgi"] = cell_text("ecgi", PLMN, eci(*e["target"]))
        for erab_id, qci in e.get("erabs", ()):
            r["EVENT_PARAM_ERAB_ID"], r["EVENT_PARAM_QCI"] = erab_id, qci
            g.setdefault("erabs", []).append(erab_id)     # rows list E-RAB ids
            g.setdefault("bearers", []).append({"ebi": erab_id, "qci": qci})
        w.writerow([r[c] for c in cols])
        golden.append(ordered(g))
    (out / "vendor_ericsson_ctr.csv").write_text(buf.getvalue())
    write_jsonl(out / "vendor_ericsson_ctr.csv.expected.jsonl", golden)


# ------------------------------------------------------------------------------ 32.423 XML
def write_trace(out):
    """A trace recording session per UE, as an eNB writes them (TS 32.423 traceCollecFile)."""
    begin = START + 60 * 10**9
    u4, u5 = UES["001010000000004"], UES["001010000000005"]
    msgs4 = [(7.330, "X2", "SgNBReleaseRequired", "X2AP", "eNB", "gNB",
              x2ap_sgnb_release_required(u4["menb"], u4["sgnb"]))]
    msgs5 = [(35.000, "Uu", "MeasurementReport", "RRC", "UE", "eNB", RRC_MEAS_REPORT),
             (36.900, "S1", "UEContextReleaseRequest", "S1AP", "eNB", "MME",
              s1ap_ue_context_release_request(u5["mme"], u5["enb_id"]))]
    ns = "http://www.3gpp.org/ftp/specs/archive/32_series/32.423#traceData"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<traceCollecFile xmlns="{ns}">',
             '  <fileHeader fileFormatVersion="32.423 V17.0" vendorName="chrtool-sample">',
             '    <fileSender elementType="eNB" senderName="ENB-SH-PD-0421"/>',
             f'    <traceCollec beginTime="{iso(begin)}"/>',
             '  </fileHeader>']
    golden = []
    frame = 0
    for imsi, trsr, msgs in (("001010000000004", 41, msgs4), ("001010000000005", 42, msgs5)):
        lines += [f'  <traceRecSession stime="{iso(begin)}">',
                  '    <traceSessionRef><MCC>001</MCC><MNC>01</MNC>'
                  f'<TRACE_ID>0A0B{trsr:02X}</TRACE_ID></traceSessionRef>',
                  f'    <traceRecSessionRef><TRSR>{trsr}</TRSR></traceRecSessionRef>',
                  f'    <ue idType="IMSI" idValue="{imsi}"/>',
                  '    <events>']
        for ct, fn, name, proto, ini, tgt, msg in msgs:
            raw = msg.raw if isinstance(msg, Pdu) else msg
            frame += 1
            lines += [f'      <msg function="{fn}" name="{name}" changeTime="{ct:.3f}" '
                      'vendorSpecific="false">',
                      f'        <initiator type="{ini}"/>', f'        <target type="{tgt}"/>',
                      f'        <rawMsg protocol="{proto}" version="17">{raw.hex().upper()}'
                      '</rawMsg>', '      </msg>']
            g = {"file": "samples/trace_enb_0421.xml", "frame": frame,
                 "ts": iso(begin + round(ct * 1e9))}
            if proto == "RRC":             # kept raw: a CHR RRC_MESSAGE row with the bytes
                g.update(proto="CHR", msg="RRC_MESSAGE", raw=raw.hex())
            else:                          # decoded by the S1AP/X2AP decoder
                assert msg.row["proto"] == proto
                g.update(msg.row)
            g["imsi"] = imsi
            g["msg_name"] = name           # the <msg name=...> attribute
            golden.append(ordered(g))
        lines += ['    </events>', '  </traceRecSession>']
    lines += ['  <fileFooter><traceCollec endTime="%s"/></fileFooter>' % iso(begin + 60 * 10**9),
              '</traceCollecFile>', '']
    (out / "trace_enb_0421.xml").write_text("\n".join(lines))
    write_jsonl(out / "trace_enb_0421.xml.expected.jsonl", golden)


def main(argv):
    out = Path(argv[1]) if len(argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    write_chr(out)
    write_huawei(out)
    write_ericsson(out)
    write_trace(out)
    # the golden rows are this script's own: nothing of chrtool's but the declarative specs
    # (chrtool.decoders: the construct chr-v1 declaration) may have been used
    used = [m for m in sys.modules if m.startswith("chrtool.") and m != "chrtool.decoders"
            and not m.startswith("chrtool.decoders.")]
    assert not used, used


if __name__ == "__main__":
    main(sys.argv)
