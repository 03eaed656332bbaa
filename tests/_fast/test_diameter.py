"""Diameter/S6a decoder (chrtool/_fast/diameter.pyx) against tshark, pycrate and bad input."""
from __future__ import annotations

import collections

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core_corpus as C
from capture_rows import capture, messages, raw_table, table_of
from chrtool._fast import diameter
from chrtool._fast.events import CAUSE_CODES, FLAGS, ITEM_KEYS
from chrtool.decoders import diameter_tables as DT
from chrtool.inputs.pipeline import Run
from chrtool.output.rows import iter_rows
from oracle import SAMPLES, tshark_path
from test_nas_eps import apn_text, items_by_row, tshark_frames

K = ITEM_KEYS
RC, ERC = CAUSE_CODES["DIAMETER"], CAUSE_CODES["DIAMETER_EXP"]
CAPTURES = ["open5gs/testcups_19b93606.pcapng", "open5gs/testattach.pcapng",
            "open5gs/testepc_48bfe83c.pcapng", "magma/nsa_connection.pcap",
            "magma/inbound_roaming_05_210504_215514-1.pcapng",
            "magma/gx_gy_combined_03_210505_132953-1.pcapng", "open5gs/volte.pcapng",
            "open5gs/srsenb.pcapng"]
# Diameter too, but Cx (NAI User-Names, which the check below does not take for IMSIs)
ROW_CAPTURES = CAPTURES + ["open5gs/nonipsec_reg.pcapng"]


def our_view(t, r, items):
    c = t.cols
    m = int(c["msg"][r])
    out = {"code": m >> 1, "req": m & 1, "app": None, "hbh": int(c["seq"][r]),
           "e2e": int(c["e2e"][r]), "rc": [], "erc": [], "user": [], "str": [], "plmn": [],
           "rat": [], "ulr": [], "apn": []}
    cp = int(c["cause_proto"][r])
    if cp:
        out["rc" if cp == RC else "erc"].append(int(c["cause_value"][r]))
    if c["imsi"][r][0]:
        out["user"].append(bytes(c["imsi"][r]).rstrip(b"\0").decode())
    if c["plmn"][r] >= 0:
        out["plmn"].append(int(c["plmn"][r]))
    for k, a, b, cc, d in items.get(r, []):
        if k == K["cause"]:
            out["rc" if a == RC else "erc"].append(cc)
        elif k == K["info"] and a == 12:
            out["app"] = cc
        elif k == K["info"] and a == 9:
            out["rat"].append(b)
        elif k == K["info"] and a == 10:
            out["ulr"].append(b)
        elif k == K["str"] and a == 1:
            out["apn"].append(apn_text(t.bytes_at(b, cc)))
        elif k == K["str"]:
            out["str"].append((a, t.bytes_at(b, cc).decode()))
    return {k: sorted(v) if isinstance(v, list) else v for k, v in out.items()}


def check(corpus):
    t = raw_table([raw for _n, raw in corpus], "Diameter")
    diameter.decode(t)
    items = items_by_row(t)
    bad = []
    for r, (name, raw) in enumerate(corpus):
        ref = C.diameter_view(raw)
        ours = our_view(t, r, items)
        if ref["user"] and not ref["user"][0].isdigit():
            ref["user"] = []                        # a User-Name that is no IMSI is not kept
        if ours != ref:
            bad.append((name, ours, ref))
    assert not bad, bad[:3]
    return t


def test_every_result_code_against_pycrate():
    corpus = C.diameter_results()
    t = check(corpus)
    values = set(t.column("cause_value").tolist())
    assert set(DT.RESULT_CODES) | set(DT.EXPERIMENTAL_RESULT_CODES) <= values


def test_s6a_update_location_against_pycrate():
    corpus = C.diameter_s6a()
    t = check(corpus)
    assert bytes(t.cols["msisdn"][1]).rstrip(b"\0") == b"8613800138000"
    assert t.cols["flags"][0] & FLAGS["request"] and not t.cols["flags"][1] & FLAGS["request"]
    assert t.cols["msg"][0] == 316 << 1 | 1
    assert diameter.match_requests(t).tolist() == [-1, 0]   # same hop-by-hop/end-to-end ids


@pytest.mark.tshark
@pytest.mark.parametrize("rel", CAPTURES)
def test_capture_against_tshark_and_pycrate(tshark, rel):
    path = capture(rel)
    fields = ["frame.number", "diameter.cmd.code", "diameter.flags.request",
              "diameter.applicationId", "diameter.hopbyhopid", "diameter.endtoendid",
              "diameter.Session-Id", "diameter.Origin-Host", "diameter.Origin-Realm",
              "diameter.Destination-Host", "diameter.Destination-Realm", "diameter.User-Name",
              "diameter.Result-Code", "diameter.Experimental-Result-Code",
              "diameter.Visited-PLMN-Id", "diameter.RAT-Type", "diameter.ULR-Flags",
              "diameter.MSISDN", "diameter.Service-Selection", "diameter.answer_to"]
    ref = tshark_frames(path, "diameter", fields)
    t = table_of(messages(path), {"Diameter"})
    diameter.decode(t)
    items = items_by_row(t)
    match = diameter.match_requests(t)
    c = t.cols
    ours = collections.defaultdict(lambda: collections.defaultdict(list))
    skind = {2: "sid", 3: "oh", 4: "or", 5: "dh", 6: "dr"}
    for r in range(t.n):
        v = our_view(t, r, items)
        p = C.diameter_view(t.payload(r)[:int.from_bytes(t.payload(r)[1:4], "big")])
        if p["user"] and not p["user"][0].isdigit():
            p["user"] = []
        assert p == v, (int(c["frame"][r]), v, p)
        o = ours[int(c["frame"][r])]
        for k in ("code", "req", "app", "hbh", "e2e"):
            o[k].append(v[k])
        for k in ("rc", "erc", "user", "rat", "ulr", "apn"):
            o[k].extend(v[k])
        o["plmn"].extend("%06x" % x for x in v["plmn"])
        for a, s in v["str"]:
            o[skind[a]].append(s)
        if c["msisdn"][r][0]:
            o["msisdn"].append(bytes(c["msisdn"][r]).rstrip(b"\0").decode())
        if match[r] >= 0:
            o["answer_to"].append(int(c["frame"][match[r]]))
    tb = lambda x: "".join("%x%x" % (b & 15, b >> 4) for b in bytes.fromhex(x)).split("f")[0]  # noqa: E731
    conv = {"diameter.cmd.code": ("code", int),
            "diameter.flags.request": ("req", lambda x: int(x in ("1", "True"))),
            "diameter.applicationId": ("app", int),
            "diameter.hopbyhopid": ("hbh", lambda x: int(x, 0)),
            "diameter.endtoendid": ("e2e", lambda x: int(x, 0)),
            "diameter.Session-Id": ("sid", str), "diameter.Origin-Host": ("oh", str),
            "diameter.Origin-Realm": ("or", str), "diameter.Destination-Host": ("dh", str),
            "diameter.Destination-Realm": ("dr", str), "diameter.User-Name": ("user", str),
            "diameter.Result-Code": ("rc", int), "diameter.Experimental-Result-Code": ("erc", int),
            "diameter.Visited-PLMN-Id": ("plmn", str), "diameter.RAT-Type": ("rat", int),
            "diameter.ULR-Flags": ("ulr", lambda x: int(x, 0)),
            "diameter.MSISDN": ("msisdn", tb),          # tshark shows the TBCD octets as hex
            "diameter.Service-Selection": ("apn", str),
            "diameter.answer_to": ("answer_to", int)}
    bad = []
    for f, d in ref.items():
        for field, (key, cv) in conv.items():
            if sorted(cv(x) for x in d[field]) != sorted(ours[f].get(key, [])):
                bad.append((f, key, d[field], ours[f].get(key)))
    assert not bad, bad[:10]


def test_nested_results_are_items_and_vendor_is_no_context():
    """The message-level result fills the columns whatever the AVP order; a result inside another
    grouped AVP (Multiple-Services-Credit-Control) is an item of its own; the Experimental-Result's
    Vendor-Id is not stored as the cause's context (d is an E-RAB id / EBI)."""
    exp = lambda code: C.avp(297, C.avp(266, C.u32(10415)) + C.avp(298, C.u32(code)))  # noqa: E731
    mscc = lambda inner: C.avp(456, C.avp(432, C.u32(1)) + inner)  # noqa: E731
    msgs = [C.diameter(272, C.COMMON + [mscc(exp(5030)), mscc(C.avp(268, C.u32(4012))),
                                        C.avp(268, C.u32(2001))], app=4),
            C.diameter(318, C.COMMON + [C.avp(268, C.u32(2001)), exp(5001)])]
    t = raw_table(msgs, "Diameter")
    diameter.decode(t)
    items = items_by_row(t)
    causes = lambda r: sorted((a, c, d) for k, a, b, c, d in items[r] if k == K["cause"])  # noqa: E731
    c = t.cols
    assert (c["cause_proto"][0], c["cause_value"][0]) == (RC, 2001)
    assert causes(0) == sorted([(ERC, 5030, -1), (RC, 4012, -1)])
    assert (c["cause_proto"][1], c["cause_value"][1]) == (RC, 2001)
    assert causes(1) == [(ERC, 5001, -1)]


@pytest.mark.tshark
@pytest.mark.parametrize("rel", ROW_CAPTURES + ["samples/attach_reject.pcap"])
def test_decode_rows_keep_every_result_tshark_shows(rel):
    """`chrtool decode` rows: per frame, every Result-Code and Experimental-Result-Code tshark
    lists (occurrence=a, nested ones included) is a cause of the frame's Diameter rows, none with
    a context."""
    tshark_path()
    path = SAMPLES / "attach_reject.pcap" if rel.startswith("samples/") else capture(rel)
    ref = tshark_frames(path, "diameter", ["frame.number", "diameter.Result-Code",
                                           "diameter.Experimental-Result-Code"])
    ours = collections.defaultdict(collections.Counter)
    for row in iter_rows(Run([str(path)]).events()):
        if row["proto"] != "Diameter":
            continue
        causes = row.get("cause", [])
        for cause in causes if isinstance(causes, list) else [causes]:
            assert "context" not in cause, (row["frame"], cause)
            ours[row["frame"]][(cause["group"], cause["value"])] += 1
    assert ref
    for frame, f in ref.items():
        want = collections.Counter([("result-code", int(x)) for x in f["diameter.Result-Code"]]
                                   + [("experimental-result", int(x))
                                      for x in f["diameter.Experimental-Result-Code"]])
        assert ours[frame] == want, frame


def test_trailing_bytes_truncation_and_depth_limit():
    ok = C.diameter_s6a()[1][1]
    deep = C.avp(263, b"x")
    for _ in range(20):
        deep = C.avp(297, deep)
    cuts = [ok + b"\x01\x02\x03", ok[:40], ok[:19], b"\x02" + ok[1:],
            C.diameter(316, [deep, C.avp(268, C.u32(5001))])]
    t = raw_table(cuts, "Diameter")
    diameter.decode(t)
    c = t.cols
    assert not c["flags"][0] & FLAGS["malformed"] and c["cause_value"][0] == 2001
    assert c["flags"][1] & FLAGS["malformed"] and c["msg"][1] == 316 << 1
    assert c["flags"][2] & FLAGS["malformed"] and c["msg"][2] == -1
    assert c["flags"][3] & FLAGS["malformed"]
    assert c["cause_value"][4] == 5001 and not c["flags"][4] & FLAGS["malformed"]


SEEDS = [raw for _n, raw in C.diameter_s6a() + C.diameter_results()[:10]]


@st.composite
def mutated(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return bytes(raw[:draw(st.integers(0, len(raw)))])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.binary(max_size=80), mutated()), min_size=1, max_size=20))
def test_fuzz_never_crashes(payloads):
    t = raw_table(payloads, "Diameter")
    diameter.decode(t)
    diameter.match_requests(t)
    it = t.items()
    strs = it["key"] == K["str"]
    assert np.all(it["b"][strs] + it["c"][strs] <= t.n_data)
