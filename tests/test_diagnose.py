"""The rule catalogue and the diagnosis engine."""
import pytest

from chrtool.correlate import correlate
from chrtool.diagnose import VOCABULARY, load_rules, rules, diagnose_ue
from chrtool.errors import ChrtoolError
from chrtool.events import CAUSE_CODES, PROTO
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


def test_catalogue_uses_only_design_vocabulary():
    for rule in rules():
        for key, allowed in VOCABULARY.items():
            assert getattr(rule, key) in allowed, rule.id
        assert rule.reply["en"] and rule.reply["zh"]


def test_a_typo_in_a_rule_fails_at_load_time():
    bad = """[[rule]]
id = "x"
when = { proto = "NAS-EPS", msg = "AttachReject" }
procedure = "attach"
failure_node = "MMe"
interface = "S1-MME"
category = "core-reject"
specialty = "ran-core"
disposition = "dispatch"
summary = "s"
reply.en = "e"
reply.zh = "z"
"""
    with pytest.raises(ChrtoolError, match="failure_node"):
        load_rules(bad)


@pytest.mark.parametrize("rule", [r for r in rules() if r.when.get("msg") == "AttachReject"],
                         ids=lambda r: r.id)
def test_each_attach_reject_rule_fires_on_its_causes(rule):
    want = rule.when.get("cause", {}).get("values")
    value = want[0] if want else 111          # the catch-all: a cause no other rule names
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
