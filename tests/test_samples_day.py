"""samples/day, the small network day chrtool.simulate writes (samples/make_samples.py): small,
disjoint from the hand-placed sample subscribers, and diagnosed exactly as its truth.json says."""
import csv
import json

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.simulate import catalogue, score
from oracle import SAMPLES

DAY = SAMPLES / "day"
TRUTH = json.loads((DAY / "truth.json").read_text())["ues"]


def diagnose(imsi, where):
    r = CliRunner().invoke(main, ["diagnose", "--imsi", imsi, "--format", "json", str(where)])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["findings"]


def test_the_day_is_small_and_mixed():
    total = sum(p.stat().st_size for p in DAY.rglob("*") if p.is_file())
    assert total < 1_000_000
    scenarios = [u["scenario"] for u in TRUTH]
    assert scenarios.count("healthy") >= 3 and len(set(scenarios)) >= 10
    assert {u["imsi"][:5] for u in TRUTH} > {"00101"}             # roamers too
    nodes = {n for u in TRUTH if u["expect"] for n in u["expect"]["failure_node"]}
    assert nodes >= {"HSS", "MME", "PGW", "eNB", "gNB"}


def test_the_day_shares_no_subscriber_with_the_other_samples():
    """diagnose ... samples/ reads the day too: its IMSIs and MSISDNs must not be the stories'
    (attach_reject.pcap, the CHR samples) nor the tickets'."""
    others = {u["imsi"] for u in json.loads((SAMPLES / "attach_reject.expected.json").read_text())["ues"]}
    others |= {f"00101000000000{i}" for i in range(1, 6)}          # the CHR samples' stories
    with open(SAMPLES / "tickets.csv", newline="", encoding="utf-8") as f:
        tickets = list(csv.DictReader(f))
    msisdns = {t["msisdn"] for t in tickets} | {"8613912340001"}
    assert others.isdisjoint(u["imsi"] for u in TRUTH)
    assert msisdns.isdisjoint(u["msisdn"] for u in TRUTH)


@pytest.mark.parametrize("ue", TRUTH, ids=lambda u: f"{u['imsi']}-{u['scenario']}")
def test_diagnose_recovers_the_days_truth(ue):
    findings = diagnose(ue["imsi"], DAY)
    ok, why = score.judge(ue["expect"], findings)
    assert ok, why
    rule = catalogue.SCENARIOS[ue["scenario"]].rule
    if ue["expect"] and rule:
        assert findings[0]["rule"] == rule
