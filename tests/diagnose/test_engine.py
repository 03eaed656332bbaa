"""The diagnosis engine: procedures of one subscriber -> findings."""
import pytest

from chrtool.link.correlate import correlate
from chrtool.diagnose.catalogue import rules
from chrtool.diagnose.engine import diagnose_ue
from chrtool.table.events import CAUSE_CODES, PROTO
from eventsutil import events

S1AP, NAS = PROTO["S1AP"], PROTO["NAS-EPS"]
ENB, MME = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02"
IMSI = "001010000000002"
ECI = (4097 << 8) | 1
PLMN_00101 = 0x00F110


def attach(emm_cause, nas_msg=0x44):
    return events([
        dict(frame=3, ts_ns=1_000_000_000, proto=S1AP, msg=12, procedure_code=12, enb_ue_s1ap_id=1,
             src=ENB, dst=MME, eci=ECI, plmn=PLMN_00101, tac=1),
        dict(frame=3, ts_ns=1_000_000_000, proto=NAS, msg=0x41, parent=0, enb_ue_s1ap_id=1,
             imsi=IMSI),
        dict(frame=8, ts_ns=2_500_000_000, proto=S1AP, msg=11, procedure_code=11,
             enb_ue_s1ap_id=1, mme_ue_s1ap_id=40, src=MME, dst=ENB),
        dict(frame=8, ts_ns=2_500_000_000, proto=NAS, msg=nas_msg, parent=2, enb_ue_s1ap_id=1,
             mme_ue_s1ap_id=40, cause_proto=CAUSE_CODES["EMM"], cause_value=emm_cause),
    ], file="cap.pcap")


def findings_for(ev, **kw):
    s = correlate(ev)
    ue = s.find(imsi=IMSI)[0]
    return diagnose_ue(ev, s, ue, **kw)


@pytest.mark.parametrize("rule", [r for r in rules() if r.when.get("msg") == "AttachReject"],
                         ids=lambda r: r.id)
def test_each_attach_reject_rule_fires_on_its_causes(rule):
    want = rule.when.get("cause", {}).get("values")
    value = want[0] if want else 16           # the catch-all: a cause no other rule names
    [f] = findings_for(attach(value))
    assert f["rule"] == rule.id
    assert f["failure_node"] == "MME" and f["interface"] == "S1-MME"
    assert f["cause"]["proto"] == "NAS-EPS" and f["cause"]["group"] == "emm"
    assert f["cause"]["value"] == value
    assert f["category"] == rule.category and f["disposition"] == rule.disposition
    assert [(e["frame"], e["msg"]) for e in f["evidence"]] == [(3, "AttachRequest"),
                                                              (8, "AttachReject")]
    assert f["evidence"][1]["carrier"] == "DownlinkNASTransport"
    assert f["cell"] == {"ecgi": "001-01-4097-1"}
    assert f["time"] == "1970-01-01T00:00:02.500000Z"
    assert str(value) in f["summary"] and str(value) in f["reply"]


def test_reply_language():
    [en] = findings_for(attach(7))
    [zh] = findings_for(attach(7), lang="zh")
    assert en["reply"].startswith("Verified")
    assert zh["reply"].startswith("经核实")


def test_healthy_attach_gives_no_findings():
    assert findings_for(attach(0, nas_msg=0x42)) == []     # Attach Accept


def test_window_excludes_failures_outside_it():
    assert findings_for(attach(7), until_ns=2_000_000_000) == []
    assert len(findings_for(attach(7), since_ns=2_000_000_000)) == 1


# --- radio rules on CHR records and X2AP -----------------------------------------------------
from chrtool.table.events import ITEM_KEYS  # noqa: E402

CHR, X2AP = PROTO["CHR"], PROTO["X2AP"]
MEAS_REPORT, RLF, SGNB_ATTEMPT, SGNB_RESULT, SCG_FAILURE = 0x120, 0x110, 0x150, 0x151, 0x153
KIND = {"rsrp": 1, "sinr": 3, "ss_rsrp": 6, "ss_sinr": 8}
CHR_CAUSE = {"rlf": 5, "sgnb-addition-result": 9, "scg-failure": 11}
UE4 = "001010000000004"


def chr_row(frame, sec, msg, cause=None, meas=(), file_imsi=UE4, **kw):
    row = dict(frame=frame, ts_ns=int(sec * 1e9), proto=CHR, msg=msg, imsi=file_imsi,
               eci=ECI, plmn=PLMN_00101, **kw)
    if cause:
        row.update(cause_proto=CAUSE_CODES["CHR"], cause_group=CHR_CAUSE[cause[0]],
                   cause_value=cause[1])
    row["items"] = [(ITEM_KEYS["meas"], KIND[k], int(v * 100), -1, -1) for k, v in meas]
    return row


def radio_findings(rows, imsi=UE4):
    ev = events(rows, file="chr.chr")
    s = correlate(ev)
    return diagnose_ue(ev, s, s.find(imsi=imsi)[0])


@pytest.mark.parametrize("meas,rule,category", [
    ([("ss_rsrp", -124), ("ss_sinr", -6.5)], "scg-failure-weak-nr-coverage", "coverage"),
    ([("ss_rsrp", -95), ("ss_sinr", -3)], "scg-failure-nr-interference", "interference"),
    ([("ss_rsrp", -100), ("ss_sinr", 8)], "scg-failure", "unknown"),
    ([], "scg-failure", "unknown"),
])
def test_scg_failure_is_classified_by_the_nr_measurements_it_carries(meas, rule, category):
    [f] = radio_findings([chr_row(1, 10, SCG_FAILURE, ("scg-failure", 0), meas)])
    assert (f["rule"], f["category"], f["procedure"]) == (rule, category, "endc-release")
    assert f["failure_node"] == "gNB" and f["interface"] == "Uu"
    assert f["cause"] == {"proto": "CHR", "group": "scg-failure", "value": 0, "name": "t310-Expiry"}
    assert f["disposition"] == {"coverage": "self-handle", "interference": "dispatch",
                                "unknown": "field-test"}[category]


def test_rlf_uses_the_latest_measurement_report_within_a_minute():
    weak = [chr_row(1, 10, MEAS_REPORT, meas=[("rsrp", -121), ("sinr", -2)]),
            chr_row(2, 40, RLF, ("rlf", 0))]
    [f] = radio_findings(weak)
    assert f["rule"] == "rlf-weak-coverage" and f["measurements"]["rsrp"] == -121
    assert [e["msg"] for e in f["evidence"]] == ["MEAS_REPORT", "RADIO_LINK_FAILURE"]
    assert "-121 dBm" in f["summary"]
    stale = [chr_row(1, 10, MEAS_REPORT, meas=[("rsrp", -121)]), chr_row(2, 75, RLF, ("rlf", 0))]
    [f] = radio_findings(stale)
    assert f["rule"] == "rlf" and f["disposition"] == "field-test"


def test_successful_sgnb_addition_is_no_finding_and_a_failed_one_is():
    ok = [chr_row(1, 1, SGNB_ATTEMPT, meas=[("ss_rsrp", -117)]),
          chr_row(2, 1.2, SGNB_RESULT, ("sgnb-addition-result", 0))]
    assert radio_findings(ok) == []
    bad = [ok[0], chr_row(2, 1.2, SGNB_RESULT, ("sgnb-addition-result", 4))]
    [f] = radio_findings(bad)
    assert f["rule"] == "sgnb-addition-failure-weak-nr-coverage"
    assert [e["msg"] for e in f["evidence"]] == ["SGNB_ADDITION_ATTEMPT", "SGNB_ADDITION_RESULT"]


def test_the_same_failure_in_two_inputs_is_one_finding_with_both_evidence():
    from chrtool.table.events import Events
    from eventsutil import table
    a = table([chr_row(5, 10, SCG_FAILURE, ("scg-failure", 0), [("ss_rsrp", -124)])], "a.chr", 0)
    b = table([chr_row(9, 10, SCG_FAILURE, ("scg-failure", 0), [("ss_rsrp", -124)])], "b.csv", 1)
    ev = Events.concat([a, b])
    s = correlate(ev)
    [f] = diagnose_ue(ev, s, s.find(imsi=UE4)[0])
    assert [(e["file"], e["frame"]) for e in f["evidence"]] == [("a.chr", 5), ("b.csv", 9)]


def test_x2ap_reject_joins_the_ue_through_chr_and_the_more_specific_rule_wins():
    ENB2, GNB = b"\x0a\x00\x00\x05", b"\x0a\x00\x00\x06"
    x2 = dict(src=ENB2, dst=GNB, menb_ue_x2ap_id=77)
    rows = [
        chr_row(1, 5.0, SGNB_ATTEMPT, menb_ue_x2ap_id=77),
        dict(frame=2, ts_ns=5_010_000_000, proto=X2AP, msg=27, procedure_code=27, **x2),
        dict(frame=3, ts_ns=5_050_000_000, proto=X2AP, msg=(2 << 8) | 27, procedure_code=27,
             cause_proto=CAUSE_CODES["X2AP"], cause_group=0, cause_value=36, **x2),
        chr_row(4, 5.06, SGNB_RESULT, ("sgnb-addition-result", 1), menb_ue_x2ap_id=77),
    ]
    [f] = radio_findings(rows)
    assert f["rule"] == "sgnb-addition-reject-congestion"
    assert f["cause"]["name"] == "no-radio-resources-available"
    assert {e["msg"] for e in f["evidence"]} >= {"SgNBAdditionRequest", "SgNBAdditionRequestReject",
                                                 "SGNB_ADDITION_RESULT"}
