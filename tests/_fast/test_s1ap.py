"""S1AP decoder (chrtool/_fast/s1ap.pyx) against pycrate and tshark, on real captures and on a
generated corpus covering every procedure code and every cause value; plus bad input."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import s1ap_corpus as C  # noqa: E402

from chrtool._fast import events, s1ap  # noqa: E402
from chrtool.decoders import s1ap_tables  # noqa: E402

K = events.ITEM_KEYS
MALFORMED = events.FLAGS["malformed"]
S1AP_CAPTURES = [
    "open5gs/testattach.pcapng", "open5gs/testcups_19b93606.pcapng",
    "open5gs/testepc_48bfe83c.pcapng", "open5gs/srsenb.pcapng", "open5gs/volte.pcapng",
    "open5gs/nonipsec_reg.pcapng", "magma/nsa_connection.pcap",
    "magma/gx_gy_combined_03_210505_132953-1.pcapng",
    "magma/inbound_roaming_05_210504_215514-1.pcapng", "uecapabilityparser/sctpS1apNgap.pcap",
]


def capture(rel):
    path = C.find_capture(rel)
    if path is None:
        pytest.skip(f"capture {rel} not available")
    return path


@pytest.fixture(scope="module")
def generated():
    pdus, missing = C.corpus("s1ap", seed=7, per_message=3)
    return pdus, missing


# --- generated corpus against pycrate --------------------------------------------------------------
def test_corpus_covers_every_message(generated):
    pdus, missing = generated
    # PrivateMessage carries PrivateIE-Container (no IE table): pycrate cannot draw it at random
    assert missing == [(0, 39)]
    t = C.decode_all("s1ap", pdus)
    seen = {f["msg"] for f in C.chrtool_facts(t, "s1ap")}
    expected = set(s1ap_tables.MESSAGES) - {(0, 39)}
    assert expected <= seen


def test_corpus_agrees_with_pycrate(generated):
    pdus, _ = generated
    t = C.decode_all("s1ap", pdus)
    got = C.chrtool_facts(t, "s1ap")
    assert len(got) == len(pdus)
    bad = []
    for data, g in zip(pdus, got):
        exp, _ = C.pycrate_facts("s1ap", data)
        assert not g["flags"] & MALFORMED, data.hex()
        for key, value in exp.items():
            if g.get(key) != value:
                bad.append((key, exp["msg"], value, g.get(key), data.hex()))
    assert not bad, bad[:5]


def test_every_cause_value():
    pdus = C.cause_pdus("s1ap")
    t = C.decode_all("s1ap", pdus)
    got = C.chrtool_facts(t, "s1ap")
    seen_top, seen_erab = set(), set()
    for data, g in zip(pdus, got):
        exp, _ = C.pycrate_facts("s1ap", data)
        if "cause" in exp:
            assert g["cause"] == exp["cause"]
            seen_top.add(g["cause"])
        else:
            assert g["erab_causes"] == exp["erab_causes"] and len(g["erab_causes"]) == 1
            seen_erab.add(g["erab_causes"][0][1:])
            # no message-level Cause: the per-E-RAB cause is an item only, not the row's cause
            assert t.column("cause_proto")[g["row"]] == 0
    every = {(gi, v) for gi, g in enumerate(s1ap_tables.CAUSE_GROUPS)
             for v in range(len(s1ap_tables.CAUSES[g]))}
    assert seen_top == every and seen_erab == every


def test_erab_item_layouts_match_asn1():
    """The hand-kept E-RAB item table in s1ap.pyx agrees with the ASN.1 (pycrate)."""
    from pycrate_asn1dir import S1AP
    items = {}
    for _, _, _, msg in C.procedures("s1ap"):
        for row in _container_rows(msg):
            t = row["Value"]
            if t.TYPE == "SEQUENCE OF" and t._cont.TYPE == "SEQUENCE" and "value" in t._cont._cont:
                s = t._cont._cont["value"]._const_tab._val
                for it in (s.root or []) + (s.ext or []):
                    v = it["Value"]
                    if v.TYPE == "SEQUENCE" and list(v._cont)[0] == "e-RAB-ID":
                        nopt = sum(1 for k in v._root if k in v._root_opt)
                        items[it["id"]] = (1 + nopt, list(v._cont)[1], row["id"])
    assert S1AP  # imported for pycrate's side effects
    for item_id, (pre, second, list_id) in items.items():
        assert item_id in s1ap.ERAB_ITEMS, (item_id, list_id)
        layout, my_pre, _ = s1ap.ERAB_ITEMS[item_id]
        assert my_pre == pre, item_id
        assert list_id in s1ap.ERAB_LISTS, list_id
        assert (second == "cause") == (layout == 2), item_id


def _container_rows(msg):
    if "protocolIEs" not in msg._cont:
        return []
    comp = msg._cont["protocolIEs"]
    s = comp._cont._cont["value"]._const_tab._val
    return (s.root or []) + (s.ext or [])


# --- real captures against pycrate and tshark ---------------------------------------------------------
@pytest.mark.parametrize("rel", S1AP_CAPTURES)
def test_capture_agrees_with_pycrate(tshark, rel):
    pdus = [d for _, d in C.capture_pdus(capture(rel), "s1ap")]
    assert pdus
    t = C.decode_all("s1ap", pdus)
    got = C.chrtool_facts(t, "s1ap")
    for data, g in zip(pdus, got):
        assert not g["flags"] & MALFORMED
        try:
            exp, _ = C.pycrate_facts("s1ap", data)
        except Exception:  # noqa: BLE001
            # docs/reference-bugs.md: pycrate 0.8.1 fails on NextEPC's 3-octet ENB-UE-S1AP-ID
            # open type (value + a trailing zero octet); tshark and chrtool read the value.
            assert noncanonical_enb_id(g), data.hex()
            continue
        for key, value in exp.items():
            assert g.get(key) == value, (key, data.hex())


def noncanonical_enb_id(facts):
    return any(k == K["ie"] and a == 8 and c == 3 for k, a, b, c, d in facts["items"])


TSHARK_FIELDS = ["s1ap.procedureCode", "s1ap.MME_UE_S1AP_ID", "s1ap.ENB_UE_S1AP_ID",
                 "s1ap.radioNetwork", "s1ap.transport", "s1ap.nas", "s1ap.protocol", "s1ap.misc",
                 "s1ap.CellIdentity", "s1ap.tAC", "s1ap.m_TMSI", "s1ap.NAS_PDU", "s1ap.nAS_PDU",
                 "s1ap.e_RAB_ID", "s1ap.RRC_Establishment_Cause", "s1ap.HandoverType",
                 "s1ap.ENBname", "s1ap.MMEname", "s1ap.macroENB_ID", "s1ap.id",
                 "s1ap.transportLayerAddressIPv4", "s1ap.gTP_TEID", "s1ap.dL_gTP_TEID",
                 "s1ap.dL_GTP_TEID"]
GROUPS = ["radioNetwork", "transport", "nas", "protocol", "misc"]


def our_frame_facts(t):
    """{frame: facts} aggregated over the S1AP rows of each frame (tshark works per frame)."""
    cols = {k: t.column(k) for k in t.cols}
    it = t.items()
    per = {}
    rows_items = {}
    for i in range(t.n_items):
        rows_items.setdefault(int(it["row"][i]), []).append(
            tuple(int(it[k][i]) for k in ("key", "a", "b", "c", "d")))
    for r in range(t.n):
        frame = int(cols["frame"][r])
        f = per.setdefault(frame, {"pc": [], "mme": [], "enb": [], "cause": [], "eci": [],
                                   "tac": [], "tmsi": [], "nas": 0, "erab": [], "rrc": [],
                                   "hotype": [], "name": [], "macro": [], "teid": [],
                                   "ipv4": []})
        if cols["proto"][r] == C.PROTO["s1ap"] and cols["parent"][r] < 0:
            items = rows_items.get(r, [])
            ies = [a for k, a, b, c, d in items if k == K["ie"]]
            f["pc"].append(int(cols["procedure_code"][r]))
            if 0 in ies:
                f["mme"].append(int(cols["mme_ue_s1ap_id"][r]))
            if 8 in ies:
                f["enb"].append(int(cols["enb_ue_s1ap_id"][r]))
            for k, a, b, c, d in items:
                if k == K["s1ap_ids"]:
                    if a >= 0:
                        f["mme"].append(a)
                    if b >= 0:
                        f["enb"].append(b)
                elif k == K["cause"]:
                    f["cause"].append((b, c))
                elif k == K["erab"]:
                    f["erab"].append(a)
                elif k == K["enum"] and a in (134, 245):  # RRC-Resume-Cause has the same type
                    f["rrc"].append(b)
                elif k == K["enum"] and a == 1:
                    f["hotype"].append(b)
                elif k == K["str"]:
                    f["name"].append(t.bytes_at(b, c).decode("latin-1"))
                elif k == K["node"] and a == 1:
                    f["macro"].append(c)
                elif k == K["fteid"]:
                    f["teid"].append(b)
                    if c >= 0:
                        f["ipv4"].append(c)
            if cols["cause_proto"][r]:          # the columns hold the Cause IE (id 2) only
                f["cause"].append((int(cols["cause_group"][r]), int(cols["cause_value"][r])))
            if cols["eci"][r] >= 0:
                f["eci"].append(int(cols["eci"][r]))
            if cols["tac"][r] >= 0:
                f["tac"].append(int(cols["tac"][r]))
            if cols["m_tmsi"][r] >= 0:
                f["tmsi"].append(int(cols["m_tmsi"][r]))
        elif cols["proto"][r] == events.PROTO["NAS-EPS"]:
            f["nas"] += 1
    return per


@pytest.mark.parametrize("rel", S1AP_CAPTURES)
def test_capture_agrees_with_tshark(tshark, rel):
    path = capture(rel)
    pdus = C.capture_pdus(path, "s1ap")
    t = C.decode_all("s1ap", [d for _, d in pdus])
    t.cols["frame"][:len(pdus)] = [fr for fr, _ in pdus]
    for r in range(len(pdus), t.n):          # NAS children take their carrier's frame
        t.cols["frame"][r] = t.cols["frame"][t.cols["parent"][r]]
    ours = our_frame_facts(t)
    ts = C.tshark_fields(path, TSHARK_FIELDS, "s1ap")
    assert set(ts) == set(ours)
    for frame, f in ts.items():
        o = ours[frame]
        ints = lambda name: [int(x, 0) for x in f[name]]  # noqa: E731
        assert ints("s1ap.procedureCode") == o["pc"], frame
        # tshark 4.0.17 lists both IDs of a UE-S1AP-ID-pair twice (docs/reference-bugs.md)
        assert set(ints("s1ap.MME_UE_S1AP_ID")) == set(o["mme"]), frame
        assert set(ints("s1ap.ENB_UE_S1AP_ID")) == set(o["enb"]), frame
        causes = Counter((g, int(v)) for g, name in enumerate(GROUPS)
                         for v in f["s1ap." + name])
        assert causes == Counter(o["cause"]), frame
        # CellIdentity also appears inside containers we leave opaque (UE history...): ours ⊆ theirs
        assert set(o["eci"]) <= set(ints("s1ap.CellIdentity")), frame
        assert set(o["tac"]) <= set(ints("s1ap.tAC")), frame
        assert Counter(o["tmsi"]) == Counter(ints("s1ap.m_TMSI")), frame
        assert o["nas"] == len(f["s1ap.NAS_PDU"]) + len(f["s1ap.nAS_PDU"]), frame
        assert Counter(o["erab"]) == Counter(ints("s1ap.e_RAB_ID")), frame
        assert o["rrc"] == ints("s1ap.RRC_Establishment_Cause"), frame
        assert o["hotype"] == ints("s1ap.HandoverType"), frame
        assert Counter(o["name"]) == Counter(f["s1ap.ENBname"] + f["s1ap.MMEname"]), frame
        assert Counter(o["macro"]) == Counter(int(x.replace(":", ""), 16) >> 4
                                              for x in f["s1ap.macroENB_ID"]), frame
        teids = [int(x.replace(":", ""), 16) for x in
                 f["s1ap.gTP_TEID"] + f["s1ap.dL_gTP_TEID"] + f["s1ap.dL_GTP_TEID"]]
        assert Counter(o["teid"]) <= Counter(teids), frame


def test_generated_corpus_agrees_with_tshark(tshark, generated, tmp_path):
    """tshark on a pcap of the generated corpus: procedure codes, IDs and causes.

    Random octets inside containers (RRC, NAS, transparent containers) make tshark's inner
    dissectors stop with "malformed" part-way through some frames; those frames are left out here
    (pycrate agrees with us on all of them, test_corpus_agrees_with_pycrate)."""
    pdus, _ = generated
    path = tmp_path / "s1ap_corpus.pcap"
    C.write_pcap(path, pdus, "s1ap")
    ts = C.tshark_fields(path, TSHARK_FIELDS + ["_ws.expert.message"], "s1ap", C.INNER)
    t = C.decode_all("s1ap", pdus)
    for r in range(len(pdus), t.n):
        t.cols["frame"][r] = t.cols["frame"][t.cols["parent"][r]]
    ours = our_frame_facts(t)
    assert len(ts) == len(pdus)
    mismatches, skipped = [], 0
    for frame, f in ts.items():
        if any("Exception occurred" in m for m in f["_ws.expert.message"]):
            skipped += 1
            continue
        o = ours[frame]
        ints = lambda name: [int(x, 0) for x in f[name]]  # noqa: E731
        checks = {
            # later procedureCode values come from CriticalityDiagnostics
            "pc": ints("s1ap.procedureCode")[:1] == o["pc"],
            "mme": set(ints("s1ap.MME_UE_S1AP_ID")) == set(o["mme"]),
            "enb": set(ints("s1ap.ENB_UE_S1AP_ID")) == set(o["enb"]),
            "cause": Counter((g, int(v)) for g, name in enumerate(GROUPS)
                             for v in f["s1ap." + name]) == Counter(o["cause"]),
            "erab": Counter(ints("s1ap.e_RAB_ID")) >= Counter(o["erab"]),
            "rrc": ints("s1ap.RRC_Establishment_Cause") == o["rrc"],
        }
        for key, ok in checks.items():
            if not ok:
                mismatches.append((frame, key, pdus[frame - 1].hex()))
    assert skipped < len(pdus) // 20, skipped
    assert not mismatches, mismatches[:5]


# --- unit checks -----------------------------------------------------------------------------------
def one(data: bytes):
    t = C.decode_all("s1ap", [data])
    return t, C.chrtool_facts(t, "s1ap")[0]


def test_initial_ue_message_from_testattach():
    # frame 41 of open5gs/testcups: InitialUEMessage with NAS Attach Request, TAI and ECGI
    data = bytes.fromhex(
        "000c4058000005000800020001001a00302f177ca0b3880207410208091010103254869104e060c04000050"
        "221d031d15c0a003103e5e0349011035758a65d0100004300060000f1103039006440080000f1101079baf"
        "00086400130")
    t, f = one(data)
    assert f["msg"] == (0, 12) and t.column("enb_ue_s1ap_id")[0] == 1
    assert t.column("tac")[0] == 12345 and t.column("eci")[0] == 0x01079baf
    assert t.column("plmn")[0] == 0x00f110
    assert t.n == 2 and t.column("proto")[1] == events.PROTO["NAS-EPS"]
    assert t.column("parent")[1] == 0 and t.column("enb_ue_s1ap_id")[1] == 1
    assert (K["enum"], 134, 3, -1, -1) in f["items"]          # mo-Signalling


def test_unknown_procedure_and_ie_are_not_errors():
    # procedure code 200 (undefined) carrying IE id 4000 (undefined)
    body = bytes([0x00, 0x00, 0x01, 0x0F, 0xA0, 0x40, 0x02, 0xAB, 0xCD])
    data = bytes([0x00, 200, 0x40, len(body)]) + body
    t, f = one(data)
    assert f["msg"] == (0, 200)
    assert t.column("flags")[0] & events.FLAGS["unknown_msg"]
    assert not t.column("flags")[0] & MALFORMED
    ie = [x for x in f["items"] if x[0] == K["ie"] and x[1] == 4000]
    assert ie and t.bytes_at(ie[0][2], ie[0][3]) == b"\xab\xcd" and ie[0][4] == 1


# --- bad input ---------------------------------------------------------------------------------------
def _decode_bytes(blobs):
    t = C.decode_all("s1ap", blobs)
    assert t.n >= len(blobs)
    return t


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=20))
def test_random_bytes_never_crash(blobs):
    t = _decode_bytes(blobs)
    flags = t.column("flags")[:len(blobs)]
    for blob, fl in zip(blobs, flags):
        if len(blob) < 4:
            assert fl & (MALFORMED | events.FLAGS["unknown_msg"])
    problems, _ = C.fuzz_check("s1ap", blobs, t)
    assert not problems, problems


@pytest.fixture(scope="module")
def seeds():
    pdus, _ = C.corpus("s1ap", seed=11, per_message=1, p_opt=0.7)
    return pdus


def test_truncation_at_every_byte(seeds):
    blobs = [d[:i] for d in seeds[:150] for i in range(len(d))]
    t = _decode_bytes(blobs)
    flags = t.column("flags")[:len(blobs)]
    # every strict prefix is detected (the value length no longer fits), rows kept
    assert all(fl & (MALFORMED | events.FLAGS["unknown_msg"]) for fl in flags)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutations_never_crash(seeds, data):
    src = bytearray(data.draw(st.sampled_from(seeds)))
    kind = data.draw(st.sampled_from(["flip", "length", "splice"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(src) - 1))
            src[i] ^= 1 << data.draw(st.integers(0, 7))
    elif kind == "length":
        i = data.draw(st.integers(0, len(src) - 1))
        src[i] = data.draw(st.sampled_from([0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF]))
    else:
        i = data.draw(st.integers(0, len(src)))
        src[i:i] = data.draw(st.binary(max_size=16))
    t = _decode_bytes([bytes(src)])
    assert t.column("proto")[0] == C.PROTO["s1ap"]
    problems, _ = C.fuzz_check("s1ap", [bytes(src)], t)
    assert not problems, problems


def test_mutated_corpus_agrees_with_pycrate(seeds):
    """Mutations of valid PDUs: flagged, or read as pycrate reads them (C.fuzz_check)."""
    muts = C.mutations(seeds, 4000, seed=7)
    problems, confirmed = C.fuzz_check("s1ap", muts, _decode_bytes(muts))
    assert not problems, problems[:5]
    assert confirmed > 300, confirmed


def test_bad_payload_pointer_is_flagged():
    t = events.EventTable()
    t.add_python_row(proto=C.PROTO["s1ap"], payload_off=10**6, payload_len=30)
    s1ap.decode(t)
    assert t.column("flags")[0] & MALFORMED
