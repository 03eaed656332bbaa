"""chrtool simulate end to end: the DIR layout, truth.json, determinism, rotation, tshark, the
chr-v1 files, and chrtool diagnose recovering the truth of every subscriber of a mixed corpus."""
import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.decoders import chr_v1 as spec
from chrtool.simulate import catalogue, score

RULES = Path(__file__).resolve().parents[2] / "chrtool" / "diagnose" / "rules.toml"
NULL_CIPHER = ("-o", "nas-eps.null_decipher:TRUE")

# Scenarios today's rules do not diagnose as the truth says: known gaps until the diagnosis
# issue covers them (strict: a gap that closes makes the test fail, so the mark is removed).
GAPS = {}     # scenario -> why diagnosis still misses it (strict xfail); none today


def simulate(out, *args):
    r = CliRunner().invoke(main, ["simulate", "-o", str(out), *args])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """One subscriber per scenario plus a few more healthy ones, 6 cells, all the noise."""
    names = list(catalogue.SCENARIOS) + ["healthy"] * 3
    args = [a for n in names for a in ("--scenario", n)]
    return simulate(tmp_path_factory.mktemp("day"), "--seed", "11", "--ues", str(len(names)),
                    "--hours", "0.3", "--files", "2", *args)


def truth(d):
    return json.loads((d / "truth.json").read_text())["ues"]


def test_list_names_every_scenario():
    r = CliRunner().invoke(main, ["simulate", "--list"])
    assert r.exit_code == 0
    assert [line.split()[0] for line in r.output.splitlines()] == list(catalogue.SCENARIOS)
    assert len(catalogue.SCENARIOS) >= 20


def test_usage_errors_and_missing_pycrate(tmp_path, monkeypatch):
    r = CliRunner().invoke(main, ["simulate", "-o", str(tmp_path), "--scenario", "nope"])
    assert r.exit_code == 2 and "nope" in r.output
    r = CliRunner().invoke(main, ["simulate", "-o", str(tmp_path), "--cells", "3", "--scenario", "ho-prep-failure"])
    assert r.exit_code == 2 and "neighbouring eNB" in r.output          # one eNB: nobody to hand over to
    assert CliRunner().invoke(main, ["simulate"]).exit_code == 2
    monkeypatch.setitem(__import__("sys").modules, "pycrate_asn1rt", None)   # import fails
    r = CliRunner().invoke(main, ["simulate", "-o", str(tmp_path)])
    assert r.exit_code == 1
    assert r.output.strip() == "chrtool simulate needs pycrate: pip install 'chrtool[simulate]'"


def test_truth_has_design_shape(corpus):
    ues = truth(corpus)
    assert len(ues) == len(catalogue.SCENARIOS) + 3
    assert len({u["imsi"] for u in ues}) == len(ues)
    assert {u["scenario"] for u in ues} == set(catalogue.SCENARIOS)
    for u in ues:
        sc = catalogue.SCENARIOS[u["scenario"]]
        assert set(u) >= {"imsi", "scenario", "expect"}
        if sc.expect is None:
            assert u["expect"] is None
            continue
        e = u["expect"]
        assert set(e) == {"failure_node", "cause", "category", "time"}
        assert e["failure_node"] == list(sc.expect[0]) and e["category"] == sc.expect[2]
        assert e["time"].endswith("Z") and e["time"] > "2026-11-27T08:00"
        if e["cause"] is not None:
            assert set(e["cause"]) == {"proto", "group", "value", "name"}
    assert {u["imsi"][:5] for u in ues} > {"00101"}          # roamers from other PLMNs


def test_layout_rotation_and_two_probes(corpus):
    a = sorted((corpus / "capture").glob("probe-a-*.pcapng"))
    b = sorted((corpus / "capture").glob("probe-b-*.pcapng"))
    assert len(a) == 2 and len(b) == 2
    assert len(list((corpus / "chr").glob("ENB-*.chr"))) >= 2


def test_deterministic_for_a_seed(tmp_path):
    def files(d):
        return {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}
    one = files(simulate(tmp_path / "1", "--seed", "5", "--ues", "12", "--hours", "0.1"))
    two = files(simulate(tmp_path / "2", "--seed", "5", "--ues", "12", "--hours", "0.1"))
    other = files(simulate(tmp_path / "3", "--seed", "6", "--ues", "12", "--hours", "0.1"))
    assert one == two
    assert one[Path("truth.json")] != other[Path("truth.json")]


def test_size_bounds_the_output(tmp_path):
    d = simulate(tmp_path, "--size", "0.3", "--files", "3", "--hours", "0.05")
    total = sum(p.stat().st_size for p in d.rglob("*") if p.is_file() and p.name != "truth.json")
    assert 0.3e6 <= total < 0.6e6      # stops admitting at the size; admitted lives finish
    assert len(list((d / "capture").glob("probe-a-*"))) == 3


def test_tshark_finds_no_malformed_or_expert_error(corpus, tshark):
    for pcap in sorted((corpus / "capture").glob("*.pcapng")):
        bad = tshark.run(pcap, *NULL_CIPHER, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message",
                         "-Y", '_ws.malformed || _ws.expert.severity == "Error"')
        assert bad == "", (pcap, bad[:500])
        assert "diameter" in tshark.run(pcap, "-T", "fields", "-e", "frame.protocols")


def test_tshark_sees_every_interface_with_nas_readable(corpus, tshark):
    pcap = sorted((corpus / "capture").glob("probe-a-*.pcapng"))[0]
    rows = tshark.run(pcap, *NULL_CIPHER, "-T", "fields", "-e", "frame.protocols",
                      "-e", "nas_eps.security_header_type", "-e", "nas_eps.nas_msg_emm_type",
                      "-e", "nas_eps.nas_msg_esm_type").splitlines()
    joined = "\n".join(rows)
    for proto in ("s1ap", "x2ap", "gtpv2", "diameter", "nas-eps"):
        assert f":{proto}" in joined, proto
    # EEA0 after the Security Mode Command: "ciphered" headers whose inner message tshark reads
    ciphered = [r for r in rows if r.split("\t")[1:2] and r.split("\t")[1].split(",")[0] in ("2", "4")]
    assert ciphered and all(r.split("\t")[2] or r.split("\t")[3] for r in ciphered)   # EMM or ESM inside


def test_chr_agrees_with_the_truth(corpus):
    imsis = {u["imsi"]: u["scenario"] for u in truth(corpus)}
    events = {}
    for path in (corpus / "chr").glob("*.chr"):
        for _off, rec in spec.iter_records(path.read_bytes()):     # the strict construct reader
            assert rec.imsi in imsis
            events.setdefault(imsis[rec.imsi], []).append(rec)
    rlf = [r for r in events["rlf-coverage"] if spec.EVENTS[r.event] == "RADIO_LINK_FAILURE"]
    rsrp = [p.value.value / 100 for p in rlf[0].params if p.tag == "meas" and p.value.kind == "rsrp"]
    assert rsrp and rsrp[0] <= -110
    healthy = [spec.EVENTS[r.event] for r in events["healthy"]]
    assert "RRC_CONN_SETUP" in healthy and "MEAS_REPORT" in healthy


def test_every_faulty_scenario_names_a_shipped_rule():
    """(Every rule has its own story in tests/diagnose/test_rules.py; here every fault of the
    simulated day names the rule that must explain it.)"""
    rules = {r["id"] for r in tomllib.loads(RULES.read_text())["rule"]}
    named = {sc.rule for sc in catalogue.SCENARIOS.values() if sc.rule}
    assert named <= rules, named - rules
    assert all(sc.rule for sc in catalogue.SCENARIOS.values() if sc.expect), \
        [n for n, sc in catalogue.SCENARIOS.items() if sc.expect and not sc.rule]


@pytest.fixture(scope="module")
def diagnoses(corpus):
    out = {}
    for u in truth(corpus):
        r = CliRunner().invoke(main, ["diagnose", "--imsi", u["imsi"], "--format", "json", str(corpus)])
        assert r.exit_code == 0, r.output
        out[u["imsi"]] = json.loads(r.stdout)["findings"]
    return out


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(reason=GAPS[n], strict=True)) if n in GAPS else n
    for n in catalogue.SCENARIOS])
def test_diagnose_recovers_the_truth(name, corpus, diagnoses):
    wrong = []
    rule = catalogue.SCENARIOS[name].rule
    for u in truth(corpus):
        if u["scenario"] == name:
            ok, why = score.judge(u["expect"], diagnoses[u["imsi"]])
            if not ok:
                wrong.append(f"{u['imsi']}: {why}")
            elif rule and diagnoses[u["imsi"]][0]["rule"] != rule:
                wrong.append(f"{u['imsi']}: rule {diagnoses[u['imsi']][0]['rule']}, not {rule}")
    assert not wrong, wrong


def test_judge_catches_each_kind_of_mismatch():
    e = {"failure_node": ["HSS"], "cause": {"proto": "Diameter", "group": "experimental-result",
                                            "value": 5420, "name": "x"},
         "category": "subscription", "time": "2026-11-27T08:00:00.000000Z"}
    f = {"failure_node": "HSS", "cause": dict(e["cause"]), "category": "subscription", "time": e["time"]}
    assert score.judge(e, [f]) == (True, "")
    for change in ({"failure_node": "MME"}, {"category": "core-reject"},
                   {"cause": {**e["cause"], "value": 5001}}, {"time": "2026-11-27T08:00:01.000000Z"}):
        assert not score.judge(e, [{**f, **change}])[0], change
    assert not score.judge(e, [])[0]
    assert not score.judge(None, [f])[0] and score.judge(None, [])[0]


def test_a_failed_dedicated_bearer_names_its_qci(corpus, diagnoses):
    """The eNB fails the QCI 7 bearer (catalogue.Life.dedicated_bearer): the finding says which."""
    [u] = [u for u in truth(corpus) if u["scenario"] == "erab-setup-failure"]
    assert "QCI 7" in diagnoses[u["imsi"]][0]["summary"]
