"""Linking and procedures on arbitrary event tables (hypothesis): they never fail, two IMSIs
never share a subscriber, and every procedure holds only its own subscriber's rows."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chrtool.link.correlate import LINK_KINDS, correlate
from chrtool.link.procedures import OUTCOMES, build
from chrtool.table.events import PROTO
from eventsutil import events

ADDRS = [bytes([10, 0, 0, i]) for i in range(1, 5)]
IMSIS = ["", "", "", "001010000000001", "001010000000002", "001010000000003"]
MSGS = {PROTO["S1AP"]: [0, 1, 3, 9, 12, 13, 11, 14, 17, 18, 23, (1 << 8) | 23, (1 << 8) | 9,
                        (2 << 8) | 9, (1 << 8) | 1, 2],
        PROTO["NAS-EPS"]: [0x41, 0x42, 0x43, 0x44, 0x52, 0x53, 0x5C, 12 << 8, 0x4E, 0xD0],
        PROTO["GTPv2"]: [32, 33, 34, 35, 36, 37],
        PROTO["Diameter"]: [(318 << 1) | 1, 318 << 1, (316 << 1) | 1, 316 << 1],
        PROTO["X2AP"]: [0, 1 << 8, 5, 27, (1 << 8) | 27, (2 << 8) | 27],
        PROTO["CHR"]: [257, 272, 339]}


@st.composite
def tables(draw):
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(n):
        proto = draw(st.sampled_from(sorted(MSGS)))
        row = dict(frame=i + 1, ts_ns=draw(st.integers(0, 60)) * 10**9, proto=proto,
                   msg=draw(st.sampled_from(MSGS[proto])),
                   src=draw(st.sampled_from(ADDRS)), dst=draw(st.sampled_from(ADDRS)),
                   mme_ue_s1ap_id=draw(st.sampled_from([-1, 1, 2])),
                   enb_ue_s1ap_id=draw(st.sampled_from([-1, 1, 2])),
                   old_enb_ue_x2ap_id=draw(st.sampled_from([-1, 5])),
                   menb_ue_x2ap_id=draw(st.sampled_from([-1, 7])),
                   m_tmsi=draw(st.sampled_from([-1, 0xAB, 0xCD])),
                   seq=draw(st.sampled_from([-1, 1, 2])), teid=draw(st.sampled_from([-1, 0, 9])),
                   payload=draw(st.binary(min_size=1, max_size=3)))
        imsi = draw(st.sampled_from(IMSIS))
        if imsi:
            row["imsi"] = imsi
        if proto == PROTO["NAS-EPS"] and i and draw(st.booleans()):
            row["parent"] = draw(st.integers(0, i - 1))
        if draw(st.booleans()):
            row.update(cause_proto=draw(st.integers(1, 8)), cause_group=0,
                       cause_value=draw(st.integers(0, 6000)))
        rows.append(row)
    return rows


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_linking_and_procedures_hold_on_any_table(rows):
    ev = events(rows)
    s = correlate(ev)
    imsis = ev.digits_column("imsi").tolist()
    conflicting = {c["row"] for c in s.conflicts}
    for ue in s.ues:            # a row naming another IMSI than its subscriber's is a conflict
        for r in s.rows_of(ue.index, duplicates=True).tolist():
            imsi = imsis[r].decode()
            assert not imsi or imsi == ue.imsi or r in conflicting, r
    assert all(0 <= k < len(LINK_KINDS) for k in s.link_of_row.tolist())
    assert ((s.ue_of_row >= 0) == (s.link_of_row > 0)).all()
    for p in build(ev, s):
        assert p.outcome in OUTCOMES and p.start_ns <= p.end_ns
        assert all(s.ue_of_row[r] == p.ue for r in p.rows)
