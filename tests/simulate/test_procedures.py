"""Procedures of simulated lives as tshark sees them in the capture: S1 handover (and its
preparation failure), X2 handover with Path Switch and X2 UE Context Release.

Each test plays one purpose-built life (a scenario put into the catalogue for the test) through
:class:`chrtool.simulate.world.World`, so the procedure is there whatever the random draws of
``busy_day``; tshark (the oracle, not chrtool's decoders) reads the result."""
import re
from pathlib import Path

import pytest

from chrtool.simulate import catalogue, s1ap_build as s1ap, world

NULL_CIPHER = ("-o", "nas-eps.null_decipher:TRUE")
S1_FIELDS = ("frame.number", "ip.src", "ip.dst", "s1ap.procedureCode", "s1ap.MME_UE_S1AP_ID",
             "s1ap.ENB_UE_S1AP_ID", "s1ap.radioNetwork", "_ws.col.Info")


def play(tmp_path: Path, life, *, ues=1, seed=1, monkeypatch) -> Path:
    """Write a day of ``ues`` subscribers living ``life`` (noise off, one probe) into tmp_path."""
    monkeypatch.setitem(catalogue.SCENARIOS, "t-life",
                        catalogue.Scenario("t-life", "test", life, None, None, "nbr"))
    world.run(tmp_path, seed=seed, ues=ues, cells=9, scenarios=["t-life"], hours=0.02, noise=False)
    return tmp_path


def s1_rows(tshark, d: Path) -> list[dict]:
    pcap, = sorted((d / "capture").glob("probe-a-*.pcapng"))
    assert tshark.problems(pcap) == []
    rows = tshark.fields(pcap, *S1_FIELDS, filter="s1ap", extra=NULL_CIPHER)
    return [dict(zip(("frame", "src", "dst", "code", "mme", "enb", "rn", "info"), r)) for r in rows]


def messages(rows):
    """(message name, row) for every S1AP message but the S1 Setup, in capture order (from the
    Info column, which names each message of a packet)."""
    skip = {"S1SetupRequest", "S1SetupResponse"}
    return [(name, r) for r in rows for name in re.findall(r"[A-Za-z0-9]+", r["info"])
            if name in s1ap.PROCEDURES and name not in skip]


def first(seq) -> dict:
    by: dict = {}
    for n, r in seq:
        by.setdefault(n, r)
    return by


def _s1_ho(s, e):
    s.attach()
    s.s1_handover(*s.neighbour())
    s.go_idle()


def _s1_ho_fail(s, e):
    s.attach()
    s.s1_handover(*s.neighbour(), fail=("radioNetwork", "no-radio-resources-available-in-target-cell"))
    s.go_idle()


def _x2_ho(s, e):
    s.attach()
    s.x2_handover(*s.neighbour())
    s.go_idle()


def test_s1_handover_moves_the_ue_to_a_new_connection_on_the_target(tmp_path, tshark, monkeypatch):
    rows = s1_rows(tshark, play(tmp_path, _s1_ho, monkeypatch=monkeypatch))
    seq = messages(rows)
    names = [n for n, _ in seq]
    i = names.index("HandoverRequired")
    flow = [n for n in names[i:] if n not in ("ENBStatusTransfer", "MMEStatusTransfer")]
    assert flow[:7] == ["HandoverRequired", "HandoverRequest", "HandoverRequestAcknowledge",
                        "HandoverCommand", "HandoverNotify", "UEContextReleaseCommand",
                        "UEContextReleaseComplete"], flow
    by = first(seq[i:])
    src_enb_ip = by["HandoverRequired"]["src"]
    tgt_enb_ip = by["HandoverRequestAcknowledge"]["src"]
    assert src_enb_ip != tgt_enb_ip
    assert by["HandoverRequest"]["dst"] == tgt_enb_ip
    assert by["HandoverCommand"]["dst"] == src_enb_ip and by["HandoverNotify"]["src"] == tgt_enb_ip
    # the source connection's IDs throughout on the source; a new pair on the target
    old = (by["HandoverRequired"]["mme"], by["HandoverRequired"]["enb"])
    new_mme = by["HandoverRequest"]["mme"]
    new = (by["HandoverRequestAcknowledge"]["mme"], by["HandoverRequestAcknowledge"]["enb"])
    assert new[0] == new_mme != old[0]
    assert (by["HandoverCommand"]["mme"], by["HandoverCommand"]["enb"]) == old
    assert (by["HandoverNotify"]["mme"], by["HandoverNotify"]["enb"]) == new
    rel = by["UEContextReleaseCommand"]
    # (tshark lists the IDs of the UE-S1AP-ID pair twice)
    assert rel["dst"] == src_enb_ip and rel["mme"].split(",")[0] == old[0] and rel["rn"] == "2"
    assert by["UEContextReleaseComplete"]["src"] == src_enb_ip
    # the UE lives on on the target, under the new pair: its later release uses it
    later = [r for n, r in seq[i + 7:] if n == "UEContextReleaseRequest"]
    assert later and (later[0]["mme"], later[0]["enb"]) == new and later[0]["src"] == tgt_enb_ip
    # the SGW learns the target's downlink tunnel after the notify
    pcap, = sorted((tmp_path / "capture").glob("probe-a-*.pcapng"))
    mbr = tshark.fields(pcap, "frame.number", "gtpv2.f_teid_ipv4", filter="gtpv2.message_type == 34")
    notify_frame = int(by["HandoverNotify"]["frame"])
    assert any(int(f) > notify_frame and tgt_enb_ip in ip for f, ip in mbr), mbr


def test_s1_handover_preparation_failure_keeps_the_ue_on_the_source(tmp_path, tshark, monkeypatch):
    seq = messages(s1_rows(tshark, play(tmp_path, _s1_ho_fail, monkeypatch=monkeypatch)))
    names = [n for n, _ in seq]
    i = names.index("HandoverRequired")
    assert names[i:i + 4] == ["HandoverRequired", "HandoverRequest", "HandoverFailure",
                              "HandoverPreparationFailure"]
    by = first(seq[i:])
    assert by["HandoverFailure"]["rn"] == by["HandoverPreparationFailure"]["rn"] == "12"
    assert by["HandoverPreparationFailure"]["dst"] == by["HandoverRequired"]["src"]
    assert "HandoverNotify" not in names and "HandoverCommand" not in names
    rel = [r for n, r in seq[i:] if n == "UEContextReleaseRequest"]
    assert rel and rel[0]["src"] == by["HandoverRequired"]["src"]          # still on the source


def test_x2_handover_has_path_switch_and_x2_context_release(tmp_path, tshark, monkeypatch):
    d = play(tmp_path, _x2_ho, monkeypatch=monkeypatch)
    pcap, = sorted((d / "capture").glob("probe-a-*.pcapng"))
    rows = tshark.fields(pcap, "ip.src", "ip.dst", "_ws.col.Info", filter="s1ap || x2ap", extra=NULL_CIPHER)
    seq = [(part.split(" ")[0], r[0], r[1]) for r in rows for part in r[2].split(", ")
           if part.split(" ")[0] in ("HandoverRequest", "HandoverRequestAcknowledge", "PathSwitchRequest",
                                     "PathSwitchRequestAcknowledge", "UEContextRelease")]
    assert [n for n, *_ in seq] == ["HandoverRequest", "HandoverRequestAcknowledge", "PathSwitchRequest",
                                    "PathSwitchRequestAcknowledge", "UEContextRelease"]
    (_, src, tgt), *_ = seq
    assert seq[2][1] == tgt and seq[4][1:] == (tgt, src)        # target switches, tells the source


def test_healthy_lives_include_s1_handovers(tmp_path, monkeypatch):
    """busy_day sends some handovers through the MME: over a few subscribers there is one."""
    seen = []
    real = catalogue.Life.s1_handover

    def spy(self, *a, **kw):
        seen.append(a)
        return real(self, *a, **kw)
    monkeypatch.setattr(catalogue.Life, "s1_handover", spy)
    world.run(tmp_path, seed=2, ues=25, cells=9, scenarios=["healthy"], hours=0.05, noise=False)
    assert seen
