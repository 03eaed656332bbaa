"""The shipped complaint tickets through the command line: a ticket that names only an MSISDN is
resolved to its subscriber through the S6a data in the sample capture (ULA Subscription-Data)."""
import json

from click.testing import CliRunner

from chrtool.cli import main
from oracle import SAMPLES

EXPECTED = json.loads((SAMPLES / "attach_reject.expected.json").read_text())
TRUTH = {u["imsi"]: u for u in EXPECTED["ues"]}


def diagnose(*args):
    result = CliRunner().invoke(main, ["diagnose", *map(str, args), "--format", "json", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_msisdn_only_ticket_finds_the_emm_15_reject():
    doc = diagnose("--complaint", "T2026112700023", "--tickets", SAMPLES / "tickets.csv")
    want = TRUTH["001010000000003"]
    assert (doc["complaint"], doc["imsi"], doc["msisdn"]) == ("T2026112700023", want["imsi"],
                                                            "8613912340003")
    assert doc["window"] == {"since": "2026-11-26T09:05:00.000000Z",
                             "until": "2026-11-27T10:05:00.000000Z"}
    [f] = doc["findings"]
    [w] = want["findings"]
    for key in ("procedure", "failure_node", "interface", "cause", "time"):
        assert f[key] == w[key], key
    assert f["cause"]["value"] == 15 and f["imsi"] == "001010000000003"
    frames = {e["frame"]: e["msg"] for e in f["evidence"] if e["file"].endswith("attach_reject.pcap")}
    assert frames[w["evidence_frames"][0]] == "AttachReject"


def test_msisdn_option_gives_the_same_finding():
    by_ticket = diagnose("--complaint", "T2026112700023", "--tickets", SAMPLES / "tickets.csv")
    by_msisdn = diagnose("--msisdn", "8613912340003")
    assert by_msisdn["imsi"] == "001010000000003"
    assert by_msisdn["findings"][0]["evidence"] == by_ticket["findings"][0]["evidence"]


def test_vip_ticket_with_imsi_finds_the_hss_behind_emm_7():
    doc = diagnose("--complaint", "T2026112700017", "--tickets", SAMPLES / "tickets.csv")
    [f] = doc["findings"]
    assert doc["imsi"] == "001010000000002" and (f["failure_node"], f["cause"]["value"]) == ("HSS", 5420)
    assert 7 in {e.get("cause", {}).get("value") for e in f["evidence"]}
    assert f["time"] == TRUTH["001010000000002"]["findings"][0]["time"]


def test_healthy_subscriber_has_no_findings_and_a_known_msisdn():
    doc = diagnose("--imsi", "001010000000001")
    assert doc["findings"] == []
    assert doc["msisdn"] == "8613912340001"          # from the ULA / Create Session Request
