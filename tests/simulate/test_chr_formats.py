"""``chrtool simulate --chr-format``: the same CHR as vendor CSV (the huawei-chr and ericsson-ctr
layouts) and the eNBs' 32.423 traces, checked through ``chrtool decode`` against chr-v1 and the
capture.

The writers build their bytes with csv / xml.etree from the generator's own record dicts; here
chrtool's readers decode each output and must find the same events."""
import collections
import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.simulate import catalogue

SCENARIOS = ["healthy", "healthy", "rlf-coverage", "ho-prep-failure", "s1-ho-prep-failure", "endc-reject-config",
             "endc-ra-failure-coverage", "endc-reconfig-failure", "no-5g-b1", "sgnb-release-required",
             "scg-failure-interference", "ho-too-late", "tau-reject", "erab-setup-failure", "auth-resync"]


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    out = tmp_path_factory.mktemp("formats")
    args = ["simulate", "-o", str(out), "--seed", "21", "--ues", str(len(SCENARIOS)), "--hours", "0.1",
            "--no-noise", "--chr-format", "chr-v1,csv,ericsson-csv,xml"] + [a for n in SCENARIOS for a in ("--scenario", n)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return out


def decode(path):
    r = CliRunner().invoke(main, ["decode", "--format", "jsonl", "--strict", str(path)])
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines()]


def chr_event(r):
    """What a CHR row says: subscriber, event, causes (3GPP causes by group and value: the CSV
    layout names the protocol per event), cells, identities, measurements. The RRC
    establishment cause and the S-TMSI's MMEC have no CSV column."""
    causes = r.get("cause") or []
    causes = [causes] if isinstance(causes, dict) else causes
    cz = sorted((c["proto"] if c["proto"] == "CHR" else "3GPP", c["group"], c["value"], c["name"])
                for c in causes if c["group"] != "rrc-establishment")
    meas = sorted((m["kind"], round(m["value"], 2)) for m in r.get("meas", []))
    return (r["ts"], r["msg"], r.get("imsi"), r.get("m_tmsi"), r.get("mme_ue_s1ap_id"), r.get("enb_ue_s1ap_id"),
            r.get("menb_ue_x2ap_id"), r.get("sgnb_ue_x2ap_id"), r.get("ecgi"), r.get("nr_cgi"), r.get("tac"),
            tuple(cz), tuple(meas), r.get("target_ecgi"))


def test_vendor_csv_decodes_to_the_chr_v1_events(day):
    v1 = [chr_event(r) for r in decode(day / "chr")]
    csv_ = [chr_event(r) for r in decode(day / "chr-csv")]
    assert len(v1) > 100
    assert collections.Counter(csv_) == collections.Counter(v1)
    kinds = {k[1] for k in v1}
    assert {"RRC_CONN_SETUP", "MEAS_REPORT", "RADIO_LINK_FAILURE", "HO_RESULT", "SGNB_ADDITION_RESULT",
            "SCG_FAILURE", "RRC_CONN_REESTABLISHMENT"} <= kinds
    assert any(k[9] for k in v1) and any(c[0] == "3GPP" for k in v1 for c in k[11])   # NR cells, 3GPP causes


def test_vendor_csv_is_the_layouts_header_and_local_time(day):
    first = sorted((day / "chr-csv").glob("*.csv"))[0].read_text(encoding="utf-8").splitlines()
    assert first[0].startswith("Time,Event Name,IMSI,MME UE S1AP ID,eNB UE S1AP ID")
    assert first[1][:4] == "2026" and first[1][11:13] == "16"      # 08:xx UTC written as UTC+8


# ericsson-ctr has no column for these: the serving SINR, NR SS-RSRQ, TAC and M-TMSI
ERICSSON_NO_COLUMN = {"sinr", "ss_rsrq"}
# its measurements are 3GPP reporting-range indexes: the decoded value is the range's lower edge
STEP_DB = {"rsrp": 1, "rsrq": 0.5, "ss_rsrp": 1, "ss_sinr": 0.5, "cqi": 0, "ta": 0}


def test_ericsson_csv_decodes_to_the_chr_v1_events(day):
    """The same events as chr-v1, as far as the layout carries them: its time parts stop at the
    millisecond, its measurements are indexes (each chr-v1 value must lie in the range its index
    names), and it has no TAC, M-TMSI, serving SINR or NR SS-RSRQ."""
    def comparable(r, *, v1):
        e = list(chr_event(r))
        ts = e[0]
        e[0] = ts[:23] + "000Z" if v1 else ts                   # ...HH:MM:SS.mmm of the parts
        e[3] = e[10] = None                                      # m_tmsi, tac
        meas = [m for m in e[12] if m[0] not in ERICSSON_NO_COLUMN]
        e[12] = tuple(k for k, _v in meas)
        return tuple(e), [v for _k, v in meas]

    v1 = sorted(comparable(r, v1=True) for r in decode(day / "chr"))
    eri = sorted(comparable(r, v1=False) for r in decode(day / "chr-ericsson"))
    assert len(eri) == len(v1) > 100
    checked = 0
    for (k1, vals1), (k2, vals2) in zip(v1, eri):
        assert k1 == k2
        for kind, x, d in zip(k1[12], vals1, vals2):
            step = STEP_DB[kind]
            assert d <= x < d + step if step else d == x, (k1, kind, x, d)
            checked += 1
    assert checked > 100
    kinds = {k[1] for k, _v in v1}
    assert {"HO_EXECUTION", "SGNB_ADDITION_ATTEMPT", "SCG_FAILURE", "RADIO_LINK_FAILURE"} <= kinds


def test_ericsson_csv_has_the_layouts_header_and_utc_parts(day):
    path = sorted((day / "chr-ericsson").glob("*.csv"))[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("DATE,EVENT_PARAM_TIMESTAMP_HOUR,EVENT_PARAM_TIMESTAMP_MINUTE,")
    assert "EVENT_NAME" in lines[0] and "EVENT_PARAM_GLOBAL_CELL_ID" in lines[0]
    assert lines[1].split(",")[:2] == ["2026-11-27", "8"]                # 08:xx UTC as it is
    r = CliRunner().invoke(main, ["decode", "--format", "jsonl", str(path)])
    assert r.exit_code == 0 and "not in layout" not in r.stderr and "not in the file" not in r.stderr


def s1x2(rows):
    """S1AP/X2AP messages as a decoder reads them (IDs, cells, causes, time, NAS count)."""
    return collections.Counter(
        (r["proto"], r["msg"], json.dumps(r.get("mme_ue_s1ap_id")), json.dumps(r.get("enb_ue_s1ap_id")),
         r.get("old_enb_ue_x2ap_id"), r.get("new_enb_ue_x2ap_id"), r.get("menb_ue_x2ap_id"),
         r.get("sgnb_ue_x2ap_id"), r.get("ecgi"), r.get("nr_cgi"), json.dumps(r.get("cause"), sort_keys=True),
         len(r.get("nas") or ()), r["ts"])
        for r in rows if r["proto"] in ("S1AP", "X2AP") and r["msg"] not in ("S1SetupRequest", "S1SetupResponse"))


def test_trace_xml_carries_the_enbs_signalling_of_each_subscriber(day):
    xml_rows = decode(day / "trace-xml")
    assert xml_rows and s1x2(xml_rows) == s1x2(decode(day / "capture"))
    imsis = {u["imsi"] for u in json.loads((day / "truth.json").read_text())["ues"]}
    s1 = [r for r in xml_rows if r["proto"] in ("S1AP", "X2AP")]
    assert all(r.get("imsi") in imsis for r in s1)                  # every session names its UE
    assert {r["msg"] for r in s1} >= {"InitialUEMessage", "HandoverRequest", "HandoverFailure",
                                      "SgNBAdditionRequest", "E-RABSetupResponse"}


def test_trace_xml_is_32423_shaped(day):
    ns = "{http://www.3gpp.org/ftp/specs/archive/32_series/32.423#traceData}"
    for path in sorted((day / "trace-xml").glob("*.xml")):
        root = ET.parse(path).getroot()
        assert root.tag == ns + "traceCollecFile"
        assert root.find(f"{ns}fileHeader/{ns}fileSender").get("senderName") == path.stem
        sessions = root.findall(f"{ns}traceRecSession")
        assert sessions and all(s.find(f"{ns}ue").get("idType") == "IMSI" for s in sessions)
        assert root.find(f"{ns}fileFooter/{ns}traceCollec").get("endTime").endswith("Z")


def test_only_the_formats_asked_for(tmp_path):
    r = CliRunner().invoke(main, ["simulate", "-o", str(tmp_path), "--ues", "3", "--hours", "0.01",
                                  "--chr-format", "csv"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "chr-csv").is_dir() and not (tmp_path / "chr").exists()
    assert not (tmp_path / "trace-xml").exists()
    r = CliRunner().invoke(main, ["simulate", "-o", str(tmp_path), "--chr-format", "chr-v1,pdf"])
    assert r.exit_code == 2 and "pdf" in r.output
    r = CliRunner().invoke(main, ["simulate", "-o", str(tmp_path / "e"), "--ues", "3", "--hours", "0.01",
                                  "--chr-format", "huawei-csv,ericsson-csv"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == ["capture", "chr-csv", "chr-ericsson",
                                                                  "truth.json"]


def test_scenarios_used_here_exist():
    assert set(SCENARIOS) <= set(catalogue.SCENARIOS)
