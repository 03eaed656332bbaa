"""Linking messages to subscribers: S1AP ID pairs with reuse, IMSI, GUTI, GTPv2/Diameter."""
from chrtool.link.correlate import correlate
from chrtool.table.events import PROTO
from eventsutil import events

S1AP, NAS, GTP, DIA = PROTO["S1AP"], PROTO["NAS-EPS"], PROTO["GTPv2"], PROTO["Diameter"]
ENB, MME, SGW = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x03"
INITIAL_UE, DL_NAS, UL_NAS = 12, 11, 13
RELEASE_CMD, RELEASE_COMPLETE = 23, (1 << 8) | 23


def s1(frame, msg, mme=-1, enb=-1, up=True, **kw):
    src, dst = (ENB, MME) if up else (MME, ENB)
    return dict(frame=frame, ts_ns=frame * 1000, proto=S1AP, msg=msg, procedure_code=msg & 0xFF,
                mme_ue_s1ap_id=mme, enb_ue_s1ap_id=enb, src=src, dst=dst, **kw)


def nas(frame, parent, msg, **kw):
    return dict(frame=frame, ts_ns=frame * 1000, proto=NAS, msg=msg, parent=parent, **kw)


def test_reused_s1ap_ids_start_a_new_subscriber_after_release():
    rows = [
        s1(1, INITIAL_UE, enb=5), nas(1, 0, 0x41, imsi="001010000000001"),
        s1(2, DL_NAS, mme=9, enb=5, up=False),
        s1(3, RELEASE_CMD, mme=9, enb=5, up=False),
        s1(4, RELEASE_COMPLETE, mme=9, enb=5),
        # the same eNB and MME IDs, now for another UE
        s1(5, INITIAL_UE, enb=5), nas(5, 5, 0x41, imsi="001010000000002"),
        s1(6, DL_NAS, mme=9, enb=5, up=False),
    ]
    ev = events(rows)
    s = correlate(ev)
    assert sorted(u.imsi for u in s.ues) == ["001010000000001", "001010000000002"]
    first = s.find(imsi="001010000000001")[0]
    second = s.find(imsi="001010000000002")[0]
    frames = lambda ue: sorted(ev.cols["frame"][s.rows_of(ue.index)].tolist())
    assert frames(first) == [1, 1, 2, 3, 4]
    assert frames(second) == [5, 5, 6]


def test_mme_id_links_messages_without_enb_id():
    rows = [s1(1, INITIAL_UE, enb=7), nas(1, 0, 0x41, imsi="001010000000003"),
            s1(2, DL_NAS, mme=70, enb=7, up=False), s1(3, RELEASE_CMD, mme=70, up=False)]
    s = correlate(events(rows))
    assert len(s.ues) == 1 and s.ues[0].imsi == "001010000000003"
    assert (s.ue_of_row == 0).all()


def test_guti_links_a_later_connection_to_the_subscriber():
    rows = [
        s1(1, INITIAL_UE, enb=1), nas(1, 0, 0x41, imsi="001010000000004"),
        s1(2, DL_NAS, mme=10, enb=1, up=False), nas(2, 2, 0x42, m_tmsi=0xC0FFEE),   # Attach Accept
        s1(3, RELEASE_COMPLETE, mme=10, enb=1),
        s1(4, INITIAL_UE, enb=2, m_tmsi=0xC0FFEE),                                # S-TMSI
        s1(5, DL_NAS, mme=11, enb=2, up=False),
        s1(6, INITIAL_UE, enb=3, m_tmsi=0xBAD),                                   # someone else
    ]
    s = correlate(events(rows))
    ue = s.find(imsi="001010000000004")[0]
    assert ue.connections == 2
    assert s.ue_of_row[5] == ue.index and s.ue_of_row[6] == ue.index
    assert s.ue_of_row[7] != ue.index


def test_gtpv2_response_follows_its_request_and_teids_link_later_messages():
    from chrtool.table.events import ITEM_KEYS
    rows = [
        dict(frame=1, proto=GTP, msg=32, seq=100, src=MME, dst=SGW, imsi="001010000000005",
             msisdn="8613800000005"),
        dict(frame=2, proto=GTP, msg=33, seq=100, teid=0x1111, src=SGW, dst=MME,
             items=[(ITEM_KEYS["fteid"], 11, 0x2222, -1, 0)]),
        dict(frame=3, proto=GTP, msg=34, seq=101, teid=0x2222, src=MME, dst=SGW),
        dict(frame=4, proto=GTP, msg=32, seq=102, src=MME, dst=SGW, imsi="001010000000006"),
    ]
    s = correlate(events(rows))
    ue = s.find(imsi="001010000000005")[0]
    assert ue.msisdn == "8613800000005"
    assert s.ue_of_row[:3].tolist() == [ue.index] * 3
    assert s.ue_of_row[3] != ue.index
    assert s.find(msisdn="8613800000005") == [ue]


def test_diameter_answer_follows_request_by_hop_by_hop_and_end_to_end():
    HSS = b"\x0a\x00\x00\x04"
    rows = [dict(frame=1, proto=DIA, msg=(318 << 1) | 1, seq=7, e2e=8, src=MME, dst=HSS,
                 imsi="001010000000007"),
            dict(frame=2, proto=DIA, msg=318 << 1, seq=7, e2e=8, src=HSS, dst=MME,
                 cause_proto=7, cause_value=5001),
            dict(frame=3, proto=DIA, msg=318 << 1, seq=7, e2e=9, src=HSS, dst=MME)]
    s = correlate(events(rows))
    ue = s.find(imsi="001010000000007")[0]
    assert s.ue_of_row.tolist()[:2] == [ue.index, ue.index]
    assert s.ue_of_row[2] != ue.index
