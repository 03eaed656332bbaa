"""chrtool.simulate.scenarios: frames, S1AP IDs (with reuse), SCTP bookkeeping and ground truth."""
from collections import defaultdict

import pytest

from chrtool.simulate import scenarios as sc

START = sc.utc_ns("2026-11-27T09:00:00Z")
ENBS = [sc.Enb("ENB-A", "10.20.4.21", 0x19A21, 0x2A01), sc.Enb("ENB-B", "10.20.4.22", 0x19A22, 0x2A02)]
UES = [
    sc.Ue("001010000000001", "8613912340001", "attach-ok", enb=0, start=1.0, then="detach"),
    sc.Ue("001010000000002", None, "attach-reject", enb=1, start=1.02, emm_cause=15),
    sc.Ue("001010000000003", None, "auth-failure", enb=1, start=1.03, then="idle"),
    sc.Ue("001010000000004", None, "attach-reject", enb=1, start=1.04, emm_cause=3,
          reject_after="security"),
    sc.Ue("001010000000005", None, "attach-ok", enb=0, start=1.05, identity=True, then=None),
    sc.Ue("001010000000006", None, "attach-reject", enb=0, start=9.0, emm_cause=7, identity=True,
          reject_after="auth"),
]
# what tshark must show in the evidence frame of each UE's finding: (NAS message, EMM cause,
# Diameter Experimental-Result-Code); the synch failure of ..003 is a normal resynchronisation
EVIDENCE = {"001010000000002": ("0x44", "15", ""), "001010000000004": ("0x44", "3", ""),
            "001010000000006": ("", "", "5420")}        # the HSS's ULA before the MME's #7


@pytest.fixture(scope="module")
def capture():
    return sc.simulate(UES, ENBS, start_ns=START, seed=7)


@pytest.fixture(scope="module")
def pcap(capture, tmp_path_factory):
    path = tmp_path_factory.mktemp("scenarios") / "mixed.pcap"
    capture.write(path)
    return path


def test_deterministic_and_seeded(capture):
    again = sc.simulate(UES, ENBS, start_ns=START, seed=7)
    assert again.packets == capture.packets
    assert sc.simulate(UES, ENBS, start_ns=START, seed=8).packets != capture.packets


def test_time_order(capture):
    times = [t for t, _ in capture.packets]
    assert times == sorted(times) and times[0] == START


def test_ids_are_reused_after_release_and_unique_while_in_use(capture):
    spans = defaultdict(list)          # (kind, node, id) -> [(first frame, last frame, imsi)]
    for r in capture.s1ap:
        if r.imsi is None:
            continue
        for kind, node, value in (("enb", r.enb, r.enb_ue_s1ap_id), ("mme", "MME", r.mme_ue_s1ap_id)):
            if value is None:
                continue
            runs = spans[kind, node, value]
            if runs and runs[-1][2] == r.imsi and runs[-1][1] is not None:
                runs[-1][1] = r.frame
            else:
                runs.append([r.frame, r.frame, r.imsi])
    for key, runs in spans.items():           # one holder at a time
        assert all(a[1] < b[0] for a, b in zip(runs, runs[1:])), key
    reused = {key: [r[2] for r in runs] for key, runs in spans.items() if len(runs) > 1}
    # UE 6 attaches on ENB-A after UE 1 detached there and gets both of UE 1's IDs
    assert sorted(reused.values()) == [["001010000000001", "001010000000006"]] * 2


def test_finding_truth(capture):
    truth = {u.imsi: u for u in capture.ues}
    assert [f for u in capture.ues if u.scenario == "attach-ok" for f in u.findings] == []
    f = truth["001010000000006"].findings[0]          # the MME's #7 only relays the HSS's 5420
    assert (f.procedure, f.failure_node, f.interface) == ("attach", "HSS", "S6a")
    assert f.category == "subscription"
    assert f.cause == {"proto": "Diameter", "group": "experimental-result", "value": 5420,
                       "name": "DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION"}
    assert capture.packets[f.evidence_frames[0] - 1][0] == f.time_ns
    assert truth["001010000000003"].findings == []     # resynchronised: normal
    doc = capture.truth()
    assert [u["expect"] is None for u in doc["ues"]] == [True, False, True, False, True, False]
    assert doc["ues"][1]["expect"]["failure_node"] == ["MME", "HSS"]
    assert doc["ues"][1]["expect"]["time"].endswith("Z")


def test_tshark_agrees_frame_by_frame(capture, pcap, tshark):
    assert tshark.problems(pcap) == []
    rows = tshark.fields(pcap, "s1ap.procedureCode", "s1ap.ENB_UE_S1AP_ID", "s1ap.MME_UE_S1AP_ID",
                         "nas_eps.nas_msg_emm_type", "nas_eps.emm.cause", "e212.imsi",
                         "diameter.Experimental-Result-Code")
    assert len(rows) == len(capture.packets)
    from chrtool.simulate.s1ap_build import PROCEDURES
    for r in capture.s1ap:
        code, enb_id, mme_id = rows[r.frame - 1][:3]
        assert code == str(PROCEDURES[r.msg][0]), r
        if r.enb_ue_s1ap_id is not None:
            assert str(r.enb_ue_s1ap_id) in enb_id.split(","), r
        if r.mme_ue_s1ap_id is not None:
            assert str(r.mme_ue_s1ap_id) in mme_id.split(","), r
    for ue in capture.ues:
        for f in ue.findings:
            assert [tuple(rows[n - 1][3:5]) + (rows[n - 1][6],) for n in f.evidence_frames] == \
                [EVIDENCE[ue.imsi]]
    # the IMSI appears in the Attach Request (or the Identity Response) of every UE
    assert {r[5] for r in rows if r[5]} == {u.imsi for u in UES}


def test_sctp_tsns_are_gapless_and_all_acknowledged(pcap, tshark):
    rows = tshark.fields(pcap, "ip.src", "ip.dst", "sctp.data_tsn_raw", "sctp.sack_cumulative_tsn_ack_raw",
                         filter="sctp")          # S1AP and S6a associations (S11 is UDP)
    sent, acked = defaultdict(list), defaultdict(int)
    for src, dst, tsns, cum in rows:
        sent[src, dst] += [int(t) for t in tsns.split(",") if t]
        if cum:
            acked[dst, src] = max(acked[dst, src], int(cum))
    for flow, tsns in sent.items():
        assert tsns == list(range(tsns[0], tsns[0] + len(tsns))), flow
        assert acked[flow] == tsns[-1], flow          # the last DATA of each direction is SACKed


@pytest.mark.parametrize("kw, split", [({"max_chunk": 48}, "sctp.data_e_bit"),    # E=0: more chunks
                                       ({"pmtu": 4000, "mtu": 120}, "ip.flags.mf")])  # more fragments
def test_chunked_and_fragmented_messages_keep_their_evidence_frame(tmp_path, tshark, kw, split):
    cap = sc.simulate(UES[1:2], ENBS, start_ns=START, seed=7, s1_setup=False, **kw)
    path = tmp_path / "small.pcap"
    cap.write(path)
    assert tshark.problems(path) == []
    rows = tshark.fields(path, "nas_eps.emm.cause", split)
    (frame,) = cap.ues[0].findings[0].evidence_frames
    assert [i + 1 for i, r in enumerate(rows) if r[0]] == [frame] and rows[frame - 1][0] == "15"
    assert any("0" in r[1].split(",") if split.endswith("e_bit") else r[1] == "1" for r in rows)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown scenario"):
        sc.simulate([sc.Ue("001010000000001", scenario="teleport")], ENBS, start_ns=START)
    with pytest.raises(ValueError, match="emm_cause"):
        sc.simulate([sc.Ue("001010000000001", scenario="attach-reject")], ENBS, start_ns=START)


def test_time_helpers():
    assert sc.iso(START + 123_456_789) == "2026-11-27T09:00:00.123456Z"
    assert sc.utc_ns("2026-11-27T17:00:00+08:00") == START


def test_population_is_reproducible_and_plays_cleanly(tmp_path, tshark):
    ues, enbs = sc.population(12, 3, seed=5, spread_s=5)
    assert (ues, enbs) == sc.population(12, 3, seed=5, spread_s=5)
    assert [u.scenario for u in ues[:3]] == list(sc.SCENARIOS)
    assert len({u.imsi for u in ues}) == 12 and len({e.ip for e in enbs}) == 3
    cap = sc.simulate(ues, enbs, start_ns=START, seed=5)
    path = tmp_path / "population.pcap"
    cap.write(path)
    assert tshark.problems(path) == []
    assert sum(bool(u.findings) for u in cap.ues) == 4        # every reject (resyncs are normal)
    with pytest.raises(ValueError):
        sc.population(1, 1, ["attach-ok", "nope"])


# ------------------------------------------------------------------------------ S6a and S11

def _core(capture, imsi):
    return [r for r in capture.core if r.imsi == imsi]


def test_core_messages_follow_each_story(capture):
    msgs = {u.imsi: [r.msg for r in _core(capture, u.imsi)] for u in UES}
    attach = ["AIR", "AIA", "ULR", "ULA", "CreateSessionRequest", "CreateSessionResponse",
              "ModifyBearerRequest", "ModifyBearerResponse"]
    assert msgs["001010000000001"] == attach + ["DeleteSessionRequest", "DeleteSessionResponse"]
    assert msgs["001010000000002"] == ["AIR", "AIA", "ULR", "ULA"]            # #15 at once
    assert msgs["001010000000003"] == ["AIR", "AIA", "AIR", "AIA"] + attach[2:] + [
        "ReleaseAccessBearersRequest", "ReleaseAccessBearersResponse"]       # resync, then idle
    assert msgs["001010000000004"] == ["AIR", "AIA", "ULR", "ULA"]
    assert msgs["001010000000005"] == attach                                  # stays connected
    assert msgs["001010000000006"] == ["AIR", "AIA", "ULR", "ULA"]
    ula7 = _core(capture, "001010000000006")[-1]
    assert ula7.result == 5420                                               # -> EMM #7
    assert [r.msg for r in capture.core if r.imsi is None] == ["CER", "CEA"]
    # every S6a/S11 answer comes before the S1AP message that depends on it
    s1 = {(r.imsi, r.frame) for r in capture.s1ap}
    for u in capture.ues:
        for f in u.findings:
            if f.failure_node == "MME":
                assert max(r.frame for r in _core(capture, u.imsi)) < f.evidence_frames[0]
    assert s1


def test_core_values_agree_across_interfaces(capture, pcap, tshark):
    """The AIA's vector is what the NAS Authentication Request/Response carry, the Create Session
    Response's S1-U TEID is the E-RAB's, the Modify Bearer Request carries the eNB's S1-U TEID, and
    the ULA's MSISDN is the subscriber's."""
    rows = tshark.fields(pcap, "diameter.RAND", "diameter.XRES", "gsm_a.dtap.rand", "nas_eps.emm.res",
                         "gtpv2.f_teid_gre_key", "s1ap.gTP_TEID", "e164.msisdn", "diameter.User-Name",
                         "e212.imsi")
    imsi1 = "001010000000001"
    frames = {r.msg: r.frame for r in _core(capture, imsi1)}
    s1 = {r.msg: r.frame for r in capture.s1ap if r.imsi == imsi1}
    rand, xres = rows[frames["AIA"] - 1][:2]
    auth = [r for r in capture.s1ap if r.imsi == imsi1 and r.msg == "DownlinkNASTransport"][0]
    assert rows[auth.frame - 1][2] == rand
    auth_resp = [r for r in capture.s1ap if r.imsi == imsi1 and r.msg == "UplinkNASTransport"][0]
    assert rows[auth_resp.frame - 1][3] == xres
    ics_teid = int(rows[s1["InitialContextSetupRequest"] - 1][5], 16)
    csr_teids = [int(x, 0) for x in rows[frames["CreateSessionResponse"] - 1][4].split(",")]
    assert ics_teid in csr_teids
    enb_teid = int(rows[s1["InitialContextSetupResponse"] - 1][5], 16)
    assert [int(x, 0) for x in rows[frames["ModifyBearerRequest"] - 1][4].split(",")] == [enb_teid]
    assert rows[frames["ULA"] - 1][6] == "8613912340001"
    assert rows[frames["ULR"] - 1][7] == imsi1


def test_without_core_only_s1ap(tmp_path, tshark):
    cap = sc.simulate(UES[:2], ENBS, start_ns=START, seed=7, core=False)
    assert cap.core == []
    path = tmp_path / "s1only.pcap"
    cap.write(path)
    assert tshark.problems(path) == []
    assert tshark.fields(path, "frame.number", filter="diameter || gtpv2") == []
