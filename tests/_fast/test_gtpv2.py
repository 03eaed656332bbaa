"""GTPv2-C decoder (chrtool/_fast/gtpv2.pyx) against tshark, pycrate and bad input."""
from __future__ import annotations

import collections
import ipaddress

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core_corpus as C
from capture_rows import capture, messages, raw_table, table_of
from chrtool._fast import gtpv2
from chrtool._fast.events import CAUSE_CODES, FLAGS, ITEM_KEYS, PROTO
from chrtool.decoders import gtpv2_tables as GT
from chrtool.table.schema import ITEM_KINDS
from test_nas_eps import apn_text, items_by_row, tshark_frames

K = ITEM_KEYS
FTEID = ITEM_KINDS["fteid"]
GTPV2 = PROTO["GTPv2"]
CAPTURES = ["ndpi/gtp_c.pcap", "open5gs/testcups_19b93606.pcapng", "open5gs/testattach.pcapng",
            "open5gs/testepc_48bfe83c.pcapng", "magma/nsa_connection.pcap",
            "magma/inbound_roaming_05_210504_215514-1.pcapng", "open5gs/volte.pcapng"]
V_EBI, V_RAT, V_PDN, V_PIGGY = 11, 9, 8, 18


def our_view(t, r, items):
    c = t.cols
    out = {"msg": int(c["msg"][r]), "seq": int(c["seq"][r]), "teid": int(c["teid"][r]),
           "cause": [], "fteid": [], "imsi": [], "msisdn": [], "mei": [], "ebi": [], "apn": [],
           "rat": [], "tac": [], "eci": [], "pdn": [], "qci": []}
    if c["cause_proto"][r] == CAUSE_CODES["GTPv2"]:
        out["cause"].append((int(c["cause_value"][r]), -1))
    for col, name in (("imsi", "imsi"), ("msisdn", "msisdn"), ("imei", "mei")):
        if c[col][r][0]:
            out[name].append(bytes(c[col][r]).rstrip(b"\0").decode())
    for k, a, b, cc, d in items.get(r, []):
        if k == K["cause"]:
            out["cause"].append((cc, d))
        elif k == K["fteid"]:
            f = FTEID.unpack(a, b, cc, d)
            # pycrate's view says EBI 0 for a message-level F-TEID, the event table -1
            out["fteid"].append((f.interface, f.teid, f.address, f.instance, max(f.ebi, 0)))
        elif k == K["bearer"]:
            if a >= 0:
                out["ebi"].append(a)
            if cc >= 0:
                out["qci"].append(cc)
        elif k == K["info"] and a == V_EBI:
            out["ebi"].append(b)
        elif k == K["info"] and a == V_RAT:
            out["rat"].append(b)
        elif k == K["info"] and a == V_PDN:
            out["pdn"].append(b)
        elif k == K["cell"]:
            out["tac" if a == 6 else "eci"].append(cc)
        elif k == K["str"] and a == 1:
            out["apn"].append(apn_text(t.bytes_at(b, cc)))
    return {k: sorted(v) if isinstance(v, list) else v for k, v in out.items()}


def check(corpus, allow_unparsed=False):
    t = raw_table([raw for _n, raw in corpus], "GTPv2")
    gtpv2.decode(t)
    items = items_by_row(t)
    bad = []
    for r, (name, raw) in enumerate(corpus):
        ref = C.gtpv2_view(raw)
        if ref is None and allow_unparsed:
            continue                      # pycrate rejects the Recovery IE in this message
        assert ref is not None, name
        ours = our_view(t, r, items)
        if ours != ref:
            bad.append((name, ours, ref))
    assert not bad, bad[:3]
    return t


def test_request_and_message_tables_match_generated_tables():
    assert set(gtpv2.REQUEST_TYPES) == set(GT.REQUEST_RESPONSES)
    assert set(gtpv2.MESSAGE_TYPES) == set(GT.MESSAGES)


def test_every_cause_against_pycrate():
    corpus = C.gtpv2_causes()
    t = check(corpus)
    assert set(GT.CAUSES) <= {int(v) for v in t.column("cause_value")}
    it = t.items()
    detail = (it["key"] == K["info"]) & (it["a"] == 13)
    assert detail.sum() > len(corpus) // 2                      # PCE/BCE/CS and offending IE
    assert 93 in set((it["c"][detail] & 0xFF).tolist())


def test_every_message_type_and_request_flag():
    corpus = C.gtpv2_message_types()
    t = check(corpus, allow_unparsed=True)
    for r, (_n, raw) in enumerate(corpus):
        assert bool(t.cols["flags"][r] & FLAGS["request"]) == (raw[1] in GT.REQUEST_RESPONSES)
        assert not t.cols["flags"][r] & (FLAGS["unknown_msg"] | FLAGS["malformed"])


def test_session_ies_and_piggybacking():
    corpus = C.gtpv2_session()
    t = check(corpus[:1])
    r = 0
    assert t.cols["tac"][r] == 0x1234 and t.cols["eci"][r] == 0x1234567
    assert t.cols["plmn"][r] == 0x00F110
    t = raw_table([corpus[1][1]], "GTPv2")
    gtpv2.decode(t)
    assert t.n == 2 and t.cols["parent"][1] == 0
    assert t.cols["msg"][0] == 33 and t.cols["msg"][1] == 95
    assert (K["info"], V_PIGGY, 1, -1, -1) in items_by_row(t)[0]
    assert t.cols["flags"][1] & FLAGS["request"] and t.cols["seq"][1] == 9


@pytest.mark.tshark
@pytest.mark.parametrize("rel", CAPTURES)
def test_capture_against_tshark_and_pycrate(tshark, rel):
    path = capture(rel)
    fields = ["frame.number", "gtpv2.message_type", "gtpv2.seq", "gtpv2.teid", "gtpv2.cause",
              "e212.imsi", "gtpv2.mei", "e164.msisdn", "gtpv2.f_teid_interface_type",
              "gtpv2.f_teid_gre_key", "gtpv2.f_teid_ipv4", "gtpv2.ebi", "gtpv2.apn",
              "gtpv2.rat_type", "gtpv2.tai_tac", "gtpv2.ecgi_eci", "gtpv2.pdn_type",
              "gtpv2.bearer_qos_label_qci", "gtpv2.response_to"]
    ref = tshark_frames(path, "gtpv2", fields)
    t = table_of(messages(path), {"GTPv2"})
    gtpv2.decode(t)
    items = items_by_row(t)
    match = gtpv2.match_requests(t)
    c = t.cols
    ours = collections.defaultdict(lambda: collections.defaultdict(list))
    unparsed = 0
    for r in range(t.n):
        v = our_view(t, r, items)
        o = ours[int(c["frame"][r])]
        for k, val in v.items():
            if k in ("msg", "seq") or (k == "teid" and val >= 0):
                o[k].append(val)
            elif isinstance(val, list):
                o[k].extend(val)
        o["fteid"] = [x for x in o["fteid"]]
        if match[r] >= 0:
            o["response_to"].append(int(c["frame"][match[r]]))
        # pycrate on the same bytes
        p = C.gtpv2_view(t.payload(r)[:4 + int.from_bytes(t.payload(r)[2:4], "big")])
        if p is None:
            unparsed += 1
        else:
            assert p == v, (int(c["frame"][r]), v, p)
    conv = {"gtpv2.message_type": ("msg", int), "gtpv2.seq": ("seq", lambda x: int(x, 0)),
            "gtpv2.teid": ("teid", lambda x: int(x, 0)),
            "gtpv2.cause": ("cause", int), "e212.imsi": ("imsi", str), "gtpv2.mei": ("mei", str),
            "e164.msisdn": ("msisdn", str), "gtpv2.f_teid_interface_type": ("ift", int),
            "gtpv2.f_teid_gre_key": ("gre", lambda x: int(x, 0)),
            "gtpv2.f_teid_ipv4": ("ipv4", str), "gtpv2.ebi": ("ebi", int),
            "gtpv2.apn": ("apn", str), "gtpv2.rat_type": ("rat", int),
            "gtpv2.tai_tac": ("tac", lambda x: int(x, 0)),
            # tshark 4.0 shows the ECGI's 4 spare bits as part of the ECI (reference-bugs-core.md)
            "gtpv2.ecgi_eci": ("eci", lambda x: int(x, 0) & 0x0FFFFFFF),
            "gtpv2.pdn_type": ("pdn", int), "gtpv2.bearer_qos_label_qci": ("qci", int)}
    bad = []
    for f, d in ref.items():
        o = ours[f]
        o2 = dict(o)
        o2["cause"] = [x[0] for x in o.get("cause", [])]
        o2["ift"] = [x[0] for x in o.get("fteid", [])]
        o2["gre"] = [x[1] for x in o.get("fteid", [])]
        o2["ipv4"] = [str(ipaddress.IPv4Address(x[2])) for x in o.get("fteid", []) if x[2] >= 0]
        for field, (key, cv) in conv.items():
            if sorted(cv(x) for x in d[field]) != sorted(o2.get(key, [])):
                bad.append((f, key, d[field], o2.get(key)))
        # tshark pairs only some message types (not e.g. Release Access Bearers): every pair it
        # shows must be ours; each further pair of ours must be a request/response of the spec
        theirs = {int(x) for x in d["gtpv2.response_to"]}
        mine = set(o.get("response_to", []))
        for req_frame in theirs - mine:
            # tshark also pairs by sequence number alone across message types (a Create Bearer
            # Response "to" a Create Session Request): not a 29.274 exchange, so not ours
            types = [(int(c["msg"][x]), int(c["msg"][y])) for x in range(t.n) for y in range(t.n)
                     if c["frame"][x] == req_frame and c["frame"][y] == f]
            if any(b in GT.REQUEST_RESPONSES.get(a, ()) for a, b in types):
                bad.append((f, "response_to", theirs, mine))
    for r in np.flatnonzero(match >= 0):
        req, resp = int(c["msg"][match[r]]), int(c["msg"][r])
        assert resp in GT.REQUEST_RESPONSES.get(req, ()), (req, resp)
    assert not bad, bad[:10]
    assert unparsed <= t.n // 4           # pycrate lacks some Bearer Context layouts


def test_matcher_pairs_by_sequence_and_direction():
    a, b = bytes([10, 0, 0, 1]) + bytes(12), bytes([10, 0, 0, 2]) + bytes(12)
    t = raw_table([C.gtp(32, [], seq=5), C.gtp(32, [], seq=6), C.gtp(33, [C.cause(16)], seq=6),
                   C.gtp(33, [C.cause(16)], seq=5), C.gtp(33, [C.cause(16)], seq=7),
                   C.gtp(33, [C.cause(16)], seq=5)], "GTPv2")
    for r, (s, d, sp, dp) in enumerate([(a, b, 3000, 2123), (a, b, 3000, 2123),
                                        (b, a, 2123, 3000), (b, a, 2123, 3000),
                                        (b, a, 2123, 3000), (a, b, 2123, 3000)]):
        t.cols["src"][r] = list(s)
        t.cols["dst"][r] = list(d)
        t.cols["sport"][r], t.cols["dport"][r] = sp, dp
    gtpv2.decode(t)
    assert gtpv2.match_requests(t).tolist() == [-1, -1, 1, 0, -1, -1]


def test_bad_lengths_are_flagged_not_fatal():
    ok = C.gtpv2_session()[0][1]
    cuts = [ok[:k] for k in range(len(ok))] + [b"\x48", b"\x20\x20\x00\x00", ok + b"\x00"]
    t = raw_table(cuts, "GTPv2")
    gtpv2.decode(t)
    fl = t.column("flags")
    assert all(fl[r] & FLAGS["malformed"] for r in range(len(cuts) - 1))
    assert t.cols["msg"][len(cuts) - 1] == 32


SEEDS = [raw for _n, raw in C.gtpv2_session() + C.gtpv2_causes()[:20]]


@st.composite
def mutated(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return bytes(raw[:draw(st.integers(0, len(raw)))])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.binary(max_size=80), mutated()), min_size=1, max_size=20))
def test_fuzz_never_crashes(payloads):
    t = raw_table(payloads, "GTPv2")
    gtpv2.decode(t)
    gtpv2.match_requests(t)
    it = t.items()
    strs = it["key"] == K["str"]
    assert np.all(it["b"][strs] + it["c"][strs] <= t.n_data)
