"""The cell view: a cell that goes down drops every subscriber on it; each one's diagnosis names
the same common problem, with the number of subscribers hit, and healthy subscribers get none."""
import json

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.diagnose.cells import MIN_SUBSCRIBERS


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    pytest.importorskip("pycrate_asn1rt")
    out = tmp_path_factory.mktemp("outage")
    args = ["simulate", "-o", str(out), "--seed", "3", "--ues", "6", "--hours", "0.1"]
    args += ["--scenario", "cell-outage"] * 4 + ["--scenario", "healthy"] * 2
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return out


def diagnose(corpus, imsi, *more):
    r = CliRunner().invoke(main, ["diagnose", "--imsi", imsi, "--format", "json", *more, str(corpus)])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_every_subscriber_of_the_outage_refers_to_one_common_problem(outage):
    truth = json.loads((outage / "truth.json").read_text())["ues"]
    hit = [u["imsi"] for u in truth if u["scenario"] == "cell-outage"]
    ids = set()
    for imsi in hit:
        doc = diagnose(outage, imsi)
        [f] = doc["findings"]
        [cp] = doc["common_problems"]
        assert f["common_problem"] == cp["id"] and f["rule"] == "release-cell-unavailable"
        assert cp["subscribers"] == len(hit) >= MIN_SUBSCRIBERS
        assert cp["cause"] == f["cause"] and cp["node"]["role"] == "eNB"
        assert cp["first"] <= f["time"] <= cp["last"]
        ids.add(cp["id"])
    assert len(ids) == 1                        # the same problem, whoever is diagnosed
    for u in truth:
        if u["scenario"] == "healthy":
            doc = diagnose(outage, u["imsi"])
            assert doc["findings"] == [] and doc["common_problems"] == []


def test_the_common_problem_speaks_the_tickets_language(outage):
    truth = json.loads((outage / "truth.json").read_text())["ues"]
    imsi = next(u["imsi"] for u in truth if u["scenario"] == "cell-outage")
    zh = diagnose(outage, imsi, "--lang", "zh", "--tz", "+08:00")["common_problems"][0]
    assert zh["reply"].startswith("经核实：该问题为共性问题") and zh["reply"].count("经核实") == 1
    assert "16:03:00" in zh["reply"]                                  # 08:03 UTC, at +08:00
    text = CliRunner().invoke(main, ["diagnose", "--imsi", imsi, str(outage)]).stdout
    assert "common problem cp-" in text and f"{zh['subscribers']} subscribers" in text
