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


def _bearer(s, e):
    s.attach()
    s.dedicated_bearer()
    s.go_idle()


def _bearer_fail(s, e):
    s.attach()
    s.dedicated_bearer(fail=("radioNetwork", "radio-resources-not-available"))
    s.go_idle()


BEARER_FIELDS = ("frame.number", "ip.src", "ip.dst", "gtpv2.message_type", "gtpv2.seq", "gtpv2.cause",
                 "gtpv2.ebi", "s1ap.procedureCode", "s1ap.radioNetwork", "s1ap.e_RAB_ID",
                 "nas_eps.nas_msg_esm_type", "_ws.col.Info")
GTP_NAMES = {95: "CBReq", 96: "CBResp", 99: "DBReq", 100: "DBResp"}
ESM_NAMES = {0xC5: "ActDedReq", 0xC6: "ActDedAcc", 0xCD: "DeactReq", 0xCE: "DeactAcc"}


def bearer_flow(tshark, d):
    """The dedicated bearer's messages as (name, interface, row): GTPv2 by type, the S1AP
    E-RAB procedures and the ESM messages inside S1AP."""
    pcap, = sorted((d / "capture").glob("probe-a-*.pcapng"))
    assert tshark.problems(pcap) == []
    flt = "gtpv2.message_type in {95,96,99,100} || s1ap.procedureCode in {5,7} || nas_eps.nas_msg_esm_type in {0xc6,0xce}"
    out = []
    for r in tshark.fields(pcap, *BEARER_FIELDS, filter=flt, extra=NULL_CIPHER):
        row = dict(zip(("frame", "src", "dst", "gtp", "seq", "cause", "ebi", "code", "rn", "erab", "esm", "info"), r))
        if row["gtp"]:
            iface = "S5" if "10.10.1.21" in (row["src"], row["dst"]) else "S11"
            out.append((GTP_NAMES[int(row["gtp"])], iface, row))
        else:
            names = re.findall(r"E-RAB[A-Za-z]+", row["info"])
            out += [(n, "S1", row) for n in names if n in s1ap.PROCEDURES]
            out += [(ESM_NAMES[int(x, 16)], "NAS", row) for x in row["esm"].split(",") if x]
    return out


def test_dedicated_bearer_from_the_pgw_to_the_ue_and_back(tmp_path, tshark, monkeypatch):
    flow = bearer_flow(tshark, play(tmp_path, _bearer, monkeypatch=monkeypatch))
    assert [(n, i) for n, i, _ in flow] == [
        ("CBReq", "S5"), ("CBReq", "S11"), ("E-RABSetupRequest", "S1"), ("ActDedReq", "NAS"),
        ("E-RABSetupResponse", "S1"), ("ActDedAcc", "NAS"), ("CBResp", "S11"), ("CBResp", "S5"),
        ("DBReq", "S5"), ("DBReq", "S11"), ("E-RABReleaseCommand", "S1"), ("DeactReq", "NAS"),
        ("E-RABReleaseResponse", "S1"), ("DeactAcc", "NAS"), ("DBResp", "S11"), ("DBResp", "S5")]
    rows = {(n, i): r for n, i, r in flow}
    for kind in ("CB", "DB"):           # each answer echoes its request's sequence number
        for iface in ("S5", "S11"):
            assert rows[(kind + "Req", iface)]["seq"] == rows[(kind + "Resp", iface)]["seq"]
    assert rows[("CBReq", "S5")]["ebi"] == "5,0"                 # linked EBI; the MME picks the new one
    assert rows[("CBResp", "S11")]["cause"] == "16,16" and rows[("CBResp", "S11")]["ebi"] == "6"
    assert rows[("E-RABSetupRequest", "S1")]["erab"] == "6" and rows[("E-RABSetupResponse", "S1")]["rn"] == ""
    assert rows[("CBResp", "S11")]["src"] == rows[("E-RABSetupRequest", "S1")]["src"]   # the MME


def test_erab_setup_failure_is_refused_on_s11_and_s5(tmp_path, tshark, monkeypatch):
    flow = bearer_flow(tshark, play(tmp_path, _bearer_fail, monkeypatch=monkeypatch))
    assert [(n, i) for n, i, _ in flow] == [
        ("CBReq", "S5"), ("CBReq", "S11"), ("E-RABSetupRequest", "S1"), ("ActDedReq", "NAS"),
        ("E-RABSetupResponse", "S1"), ("CBResp", "S11"), ("CBResp", "S5")]
    rows = {(n, i): r for n, i, r in flow}
    assert rows[("E-RABSetupResponse", "S1")]["rn"] == "25"       # radio-resources-not-available
    assert rows[("E-RABSetupResponse", "S1")]["erab"] == "6"
    assert rows[("CBResp", "S11")]["cause"] == rows[("CBResp", "S5")]["cause"] == "73,73"


def test_healthy_lives_include_dedicated_bearers(tmp_path, monkeypatch):
    seen = []
    real = catalogue.Life.dedicated_bearer

    def spy(self, *a, **kw):
        seen.append(kw)
        return real(self, *a, **kw)
    monkeypatch.setattr(catalogue.Life, "dedicated_bearer", spy)
    world.run(tmp_path, seed=2, ues=12, cells=9, scenarios=["healthy"], hours=0.05, noise=False)
    assert seen and all(kw.get("fail") is None for kw in seen)


def test_s1ap_messages_of_different_ues_share_sctp_packets_under_load(tmp_path, tshark):
    """A busy eNB (50 subscribers attaching within seconds): some packets carry DATA chunks of
    two subscribers; tshark dissects every one of them cleanly."""
    counts = world.run(tmp_path, seed=4, ues=50, cells=3, scenarios=["healthy"], hours=0.0015)
    assert counts["bundled"] > 0
    bundled = 0
    for pcap in sorted((tmp_path / "capture").glob("probe-a-*.pcapng")):
        assert tshark.problems(pcap) == []
        rows = tshark.fields(pcap, "sctp.data_tsn_raw", "sctp.data_sid", "s1ap.MME_UE_S1AP_ID",
                             "s1ap.ENB_UE_S1AP_ID", "s1ap.procedureCode", filter="s1ap", extra=NULL_CIPHER)
        for tsns, sids, mme, enb, codes in rows:
            if len(tsns.split(",")) < 2:
                continue
            bundled += 1
            tsn = [int(x) for x in tsns.split(",")]
            assert tsn == list(range(tsn[0], tsn[0] + len(tsn)))        # consecutive TSNs
            assert len(codes.split(",")) == len(tsn)                    # one S1AP PDU per chunk
            pairs = set(zip(mme.split(","), enb.split(","))) if mme else set()
            assert len(set(enb.split(","))) >= 2 or len(pairs) >= 2, (tsns, mme, enb)
    # retransmissions repeat a bundled packet now and then, so at least as many as were made
    assert bundled >= counts["bundled"]
