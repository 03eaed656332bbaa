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

Each output `X` has `X.expected.jsonl` beside it: the rows chrtool.chr.table_rows() must give,
written here from the story (not by running the decoder).
"""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

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


def s1ap_ue_context_release_request(mme_id, enb_id, cause=("radioNetwork",
                                                          "radio-connection-with-ue-lost")):
    from pycrate_asn1dir import S1AP
    pdu = S1AP.S1AP_PDU_Descriptions.S1AP_PDU
    pdu.set_val(("initiatingMessage", {
        "procedureCode": 18, "criticality": "ignore",
        "value": ("UEContextReleaseRequest", {"protocolIEs": [
            {"id": 0, "criticality": "reject", "value": ("MME-UE-S1AP-ID", mme_id)},
            {"id": 8, "criticality": "reject", "value": ("ENB-UE-S1AP-ID", enb_id)},
            {"id": 2, "criticality": "ignore", "value": ("Cause", cause)}]})}))
    return pdu.to_aper()


def x2ap_sgnb_release_required(menb_id, sgnb_id, cause=("radioNetwork",
                                                        "radio-connection-with-UE-lost")):
    from pycrate_asn1dir import X2AP
    pdu = X2AP.X2AP_PDU_Descriptions.X2AP_PDU
    pdu.set_val(("initiatingMessage", {
        "procedureCode": 32, "criticality": "reject",
        "value": ("SgNBReleaseRequired", {"protocolIEs": [
            {"id": 111, "criticality": "reject", "value": ("UE-X2AP-ID", menb_id)},
            {"id": 207, "criticality": "reject", "value": ("SgNB-UE-X2AP-ID", sgnb_id)},
            {"id": 5, "criticality": "ignore", "value": ("Cause", cause)}]})}))
    return pdu.to_aper()


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
        raw=x2ap_sgnb_release_required(104, 7004))
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
    add(96.900, u5, "S1AP_MESSAGE", raw=s1ap_ue_context_release_request(5005, 305))
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
    if "raw" in e:
        params.append(("raw_pdu", e["raw"]))
    return spec.record(e["ev"], START + round(e["t"] * 1e9), params, **ids)


def write_chr(out):
    hdr = spec.header(START, ne_name="ENB-SH-PD-0421", ne_type="eNB", ne_plmn=PLMN,
                      ne_id=ENBS[0])
    data = spec.build_file(hdr, [to_record(e) for e in story()])
    (out / "chr_nsa_radio.chr").write_bytes(data)
    rows = []
    for recno, (off, rec) in enumerate(spec.iter_records(data), 1):
        rows.append(golden_from_record(rec, recno))
    write_jsonl(out / "chr_nsa_radio.chr.expected.jsonl", rows)
    # the broken companion: damage in the middle, cut at the end (expected problems listed)
    recs = list(spec.iter_records(data))
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


def golden_from_record(rec, recno):
    """The canonical row (chrtool.chr.table_rows) of one record, from the construct parse."""
    raw = spec.RAW_EVENTS.get(rec.event)
    row = {"frame": recno, "ts": iso(rec.ts_ns), "proto": raw or "CHR"}
    if not raw:
        row["msg"] = spec.EVENTS[rec.event]
    row["imsi"] = rec.imsi
    row["m_tmsi"] = rec.s_tmsi.m_tmsi
    for k in ("mme_ue_s1ap_id", "enb_ue_s1ap_id", "menb_ue_x2ap_id", "sgnb_ue_x2ap_id",
              "crnti", "tac"):
        if rec[k] is not None:
            row[k] = rec[k]
    row["ecgi"] = {"plmn": rec.cell.plmn, "eci": rec.cell.cell_id}
    for p in rec.params:
        if p.tag == "secondary_cell":
            row["nr_cgi"] = {"plmn": p.value.plmn, "nci": p.value.cell_id}
    causes, meas, erabs = [], [], []
    for p in rec.params:
        v = p.value
        if p.tag == "cause":
            c = {"proto": "CHR", "group": str(v.kind), "value": v.value,
                 "name": spec.cause_name(int(v.kind), v.value)}
            if "cause" not in row:
                row["cause"] = c
            else:
                causes.append(c)
        elif p.tag == "est_cause":
            causes.append({"proto": "CHR", "group": "rrc-establishment", "value": v,
                           "name": spec.cause_name(1, v)})
        elif p.tag == "proto_cause":
            causes.append({"proto": str(v.proto), "group": v.group, "value": v.value})
        elif p.tag == "meas":
            m = {"kind": str(v.kind), "value": v.value / spec.MEAS_SCALE[str(v.kind)]}
            if v.neighbour:
                m["neighbour"] = True
            if v.pci >= 0:
                m["pci"] = v.pci
                m["arfcn"] = max(v.arfcn, 0)
            meas.append(m)
        elif p.tag == "target_cell":
            row["target_cell"] = {"plmn": v.plmn, ("nci" if v.kind == "nr_cgi" else "eci"):
                                  v.cell_id}
        elif p.tag == "erab":
            erabs.append({"erab_id": v.erab_id, **({"qci": v.qci} if v.qci else {})})
        elif p.tag == "raw_pdu":
            row["payload"] = bytes(v).hex()
    if causes:
        row["causes"] = causes
    if meas:
        row["meas"] = meas
    if erabs:
        row["erabs"] = erabs
    return row


def write_jsonl(path, rows):
    with open(path, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r, sort_keys=True) + "\n")


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
        g = _golden_base(i, ts, e, u)
        g["msisdn"] = r["MSISDN"]
        if e.get("nr"):
            r.update({"MeNB UE X2AP ID": u["menb"], "SgNB UE X2AP ID": u["sgnb"],
                      "gNodeB ID": GNB, "NR Cell ID": u["nr_cell"]})
        if "cause" in e:
            r["Cause"] = texts[f"{e['cause'][0]}:{e['cause'][1]}"]
        if "proto_cause" in e:
            r["3GPP Cause Group"], r["3GPP Cause Value"] = e["proto_cause"][1:]
            g.setdefault("causes", []).append(
                {"proto": e["proto_cause"][0], "group": e["proto_cause"][1],
                 "value": e["proto_cause"][2]})
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
            item = {"kind": ms["kind"], "value": float(val)}
            if ms.get("neighbour"):
                item["neighbour"] = True
            if "pci_column" in ms and r[ms["pci_column"]] != "":
                item["pci"], item["arfcn"] = int(r[ms["pci_column"]]), int(r[ms["arfcn_column"]])
            gm.append(item)
        if gm:
            g["meas"] = gm
        if "target" in e:
            r["Target eNodeB ID"], r["Target Local Cell ID"] = ENBS[e["target"][0]], e["target"][1]
            g["target_cell"] = {"plmn": PLMN, "eci": eci(*e["target"])}
        for erab_id, qci in e.get("erabs", ()):
            r["E-RAB ID"], r["QCI"] = erab_id, qci
            g["erabs"] = [{"erab_id": erab_id, "qci": qci}]
        w.writerow([r[c] for c in cols])
        golden.append(g)
    (out / "vendor_huawei_chr.csv").write_text(buf.getvalue())
    write_jsonl(out / "vendor_huawei_chr.csv.expected.jsonl", golden)


def _golden_base(i, ts, e, u):
    g = {"frame": i, "ts": iso(ts), "proto": "CHR", "msg": e["ev"], "imsi": e["ue"],
         "mme_ue_s1ap_id": u["mme"], "enb_ue_s1ap_id": u["enb_id"], "crnti": u["crnti"],
         "ecgi": {"plmn": PLMN, "eci": eci(u["enb"], u["cell"])}}
    g["m_tmsi"] = u["tmsi"]
    g["tac"] = u["tac"]
    if e.get("nr"):
        g.update(menb_ue_x2ap_id=u["menb"], sgnb_ue_x2ap_id=u["sgnb"],
                 nr_cgi={"plmn": PLMN, "nci": nci(u["nr_cell"])})
    if "cause" in e:
        k, v = spec.cause_value(*e["cause"])
        g["cause"] = {"proto": "CHR", "group": e["cause"][0], "value": v, "name": e["cause"][1]}
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
        g = _golden_base(i, ts, e, u)
        del g["m_tmsi"], g["tac"]
        if e.get("nr"):
            r.update({"EVENT_PARAM_MENB_UE_X2AP_ID": u["menb"],
                      "EVENT_PARAM_SGNB_UE_X2AP_ID": u["sgnb"],
                      "EVENT_PARAM_NR_CELL_ID": nci(u["nr_cell"])})
        if "cause" in e:
            r["EVENT_PARAM_RESULT_TEXT"] = texts[f"{e['cause'][0]}:{e['cause'][1]}"]
        if "proto_cause" in e:
            r["EVENT_PARAM_3GPP_CAUSE_GROUP"], r["EVENT_PARAM_3GPP_CAUSE"] = e["proto_cause"][1:]
            g.setdefault("causes", []).append(
                {"proto": e["proto_cause"][0], "group": e["proto_cause"][1],
                 "value": e["proto_cause"][2]})
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
                    item = {"kind": mm[0], "value": float(mm[1])}
                    if nb:
                        item.update(neighbour=True, pci=mm[3], arfcn=mm[4])
                    gm.append(item)
        if gm:
            g["meas"] = gm
        if "target" in e:
            r["EVENT_PARAM_TARGET_GLOBAL_CELL_ID"] = eci(*e["target"])
            g["target_cell"] = {"plmn": "00101", "eci": eci(*e["target"])}
        for erab_id, qci in e.get("erabs", ()):
            r["EVENT_PARAM_ERAB_ID"], r["EVENT_PARAM_QCI"] = erab_id, qci
            g["erabs"] = [{"erab_id": erab_id, "qci": qci}]
        w.writerow([r[c] for c in cols])
        golden.append(g)
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
        for ct, fn, name, proto, ini, tgt, raw in msgs:
            frame += 1
            lines += [f'      <msg function="{fn}" name="{name}" changeTime="{ct:.3f}" '
                      'vendorSpecific="false">',
                      f'        <initiator type="{ini}"/>', f'        <target type="{tgt}"/>',
                      f'        <rawMsg protocol="{proto}" version="17">{raw.hex().upper()}'
                      '</rawMsg>', '      </msg>']
            g = {"frame": frame, "ts": iso(begin + round(ct * 1e9)), "imsi": imsi,
                 "msg_name": name}
            if proto == "RRC":
                g.update(proto="CHR", msg="RRC_MESSAGE", raw=raw.hex())
            else:
                g.update(proto=proto, payload=raw.hex())
            golden.append(g)
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


if __name__ == "__main__":
    main(sys.argv)
