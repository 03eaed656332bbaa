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


def test_each_side_numbers_its_own_gtpv2_requests():
    """open5gs testcups frames 303/308 and 485/498: the MME's Modify Bearer Request #0x11 for one
    subscriber, then the SGW's Create Bearer Request #0x11 for another, on the TEID the MME gave
    that one. Sequence numbers are the sender's own: the SGW's request is no answer to the
    MME's, it follows its TEID; its response follows it."""
    from chrtool.table.events import ITEM_KEYS
    rows = [
        dict(frame=1, proto=GTP, msg=32, seq=0x10, src=MME, dst=SGW, imsi="001010000000008",
             items=[(ITEM_KEYS["fteid"], 10, 0x8, -1, 0)]),
        dict(frame=2, proto=GTP, msg=33, seq=0x10, teid=0x8, src=SGW, dst=MME,
             items=[(ITEM_KEYS["fteid"], 11, 0x5, -1, 0)]),
        dict(frame=3, proto=GTP, msg=34, seq=0x11, teid=0x5, src=MME, dst=SGW),
        dict(frame=4, proto=GTP, msg=35, seq=0x11, teid=0x8, src=SGW, dst=MME),
        dict(frame=5, proto=GTP, msg=32, seq=0x12, src=MME, dst=SGW, imsi="001010000000009",
             items=[(ITEM_KEYS["fteid"], 10, 0x1, -1, 0)]),
        dict(frame=6, proto=GTP, msg=33, seq=0x12, teid=0x1, src=SGW, dst=MME,
             items=[(ITEM_KEYS["fteid"], 11, 0x7, -1, 0)]),
        dict(frame=7, proto=GTP, msg=95, seq=0x11, teid=0x1, src=SGW, dst=MME),
        dict(frame=8, proto=GTP, msg=96, seq=0x11, teid=0x7, src=MME, dst=SGW),
    ]
    for i, r in enumerate(rows):
        r["ts_ns"] = i * 1000
    s = correlate(events(rows))
    a, b = s.find(imsi="001010000000008")[0], s.find(imsi="001010000000009")[0]
    assert s.ue_of_row.tolist() == [a.index] * 4 + [b.index] * 4


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


# ------------------------------------------------------------------ the rules real networks need
from chrtool.link.correlate import LINK_KINDS   # noqa: E402
from chrtool.table.events import Events          # noqa: E402
from eventsutil import table                     # noqa: E402

ENB2 = b"\x0a\x00\x00\x05"
HANDOVER_REQUIRED, HANDOVER_REQUEST, HANDOVER_REQUEST_ACK = 0, 1, (1 << 8) | 1
HANDOVER_NOTIFY, PATH_SWITCH, PATH_SWITCH_ACK = 2, 3, (1 << 8) | 3
A, B = "001010000000011", "001010000000022"


def at(enb, row):
    """An S1AP row moved to another eNB (its address on the eNB side)."""
    row = dict(row)
    if row["src"] == ENB:
        row["src"] = enb
    else:
        row["dst"] = enb
    return row


def frames_of(ev, s, imsi):
    ue = s.find(imsi=imsi)[0]
    return sorted(ev.cols["frame"][s.rows_of(ue.index)].tolist())


def test_a_stale_s_tmsi_never_merges_two_imsis():
    """The real-capture bug: a connection presents an M-TMSI once assigned to A, the network asks
    its identity and B answers. B's messages stay B's, and the refused link is kept."""
    rows = [
        s1(1, INITIAL_UE, enb=1), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=10, enb=1, up=False), nas(2, 2, 0x42, m_tmsi=0xAB),     # A gets 0xAB
        s1(3, RELEASE_COMPLETE, mme=10, enb=1),
        s1(4, INITIAL_UE, enb=2, m_tmsi=0xAB),                                    # stale S-TMSI
        s1(5, UL_NAS, mme=11, enb=2), nas(5, 6, 0x56, imsi=B),                    # Identity Resp.
        s1(6, DL_NAS, mme=11, enb=2, up=False), nas(6, 8, 0x4E, cause_value=9),   # Service Reject
    ]
    ev = events(rows)
    s = correlate(ev)
    assert frames_of(ev, s, A) == [1, 1, 2, 2, 3]
    assert frames_of(ev, s, B) == [4, 5, 5, 6, 6]
    assert [c["imsis"] for c in s.conflicts] == [[A, B]]
    assert s.conflicts[0]["link"] == "s-tmsi" and s.conflicts[0]["frame"] == 4
    assert s.counts()["link_conflicts"] == 1


def test_an_m_tmsi_belongs_to_its_last_owner_from_the_assignment_on():
    rows = [
        s1(1, INITIAL_UE, enb=1), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=10, enb=1, up=False), nas(2, 2, 0x42, m_tmsi=0x77),     # A gets 0x77
        s1(3, RELEASE_COMPLETE, mme=10, enb=1),
        s1(4, INITIAL_UE, enb=2, m_tmsi=0x77),                                    # A comes back
        s1(5, RELEASE_COMPLETE, mme=11, enb=2),
        s1(6, INITIAL_UE, enb=3), nas(6, 7, 0x41, imsi=B),
        s1(7, DL_NAS, mme=12, enb=3, up=False), nas(7, 9, 0x42, m_tmsi=0x77),     # now B's
        s1(8, RELEASE_COMPLETE, mme=12, enb=3),
        s1(9, INITIAL_UE, enb=4, m_tmsi=0x77),                                    # B's S-TMSI
    ]
    ev = events(rows)
    s = correlate(ev)
    assert frames_of(ev, s, A) == [1, 1, 2, 2, 3, 4, 5]
    assert frames_of(ev, s, B) == [6, 6, 7, 7, 8, 9]
    assert s.link_kind(5) == "s-tmsi" and s.link_kind(0) == "imsi"
    assert not s.conflicts


def test_a_connection_is_followed_by_the_senders_own_id():
    """A stack that puts a wrong MME UE S1AP ID in its uplink PDUs: the eNB's ID still holds."""
    rows = [s1(1, INITIAL_UE, enb=3), nas(1, 0, 0x41, imsi=A),
            s1(2, DL_NAS, mme=30, enb=3, up=False),
            s1(3, UL_NAS, mme=31, enb=3),                 # wrong MME ID, right eNB ID
            s1(4, INITIAL_UE, enb=4), nas(4, 4, 0x41, imsi=B),
            s1(5, DL_NAS, mme=31, enb=4, up=False),       # 31 is B's
            s1(6, UL_NAS, mme=31, enb=3)]                 # A again, the same wrong ID
    ev = events(rows)
    s = correlate(ev)
    assert frames_of(ev, s, A) == [1, 1, 2, 3, 6]
    assert frames_of(ev, s, B) == [4, 4, 5]
    assert s.inconsistent == 2 and [int(ev.cols["frame"][r]) for r in s.inconsistent_rows] == [3, 6]


def test_an_s1_handover_keeps_one_story_and_the_source_release_does_not_cut_it():
    rows = [
        s1(1, INITIAL_UE, enb=1), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=50, enb=1, up=False),
        s1(3, HANDOVER_REQUIRED, mme=50, enb=1),
        at(ENB2, s1(4, HANDOVER_REQUEST, mme=50, up=False)),
        at(ENB2, s1(5, HANDOVER_REQUEST_ACK, mme=50, enb=9)),
        at(ENB2, s1(6, HANDOVER_NOTIFY, mme=50, enb=9)),
        s1(7, RELEASE_CMD, mme=50, enb=1, up=False),         # the source leg goes
        s1(8, RELEASE_COMPLETE, mme=50, enb=1),
        at(ENB2, s1(9, UL_NAS, mme=50, enb=9)),              # the target leg stays
        s1(10, INITIAL_UE, enb=1), nas(10, 10, 0x41, imsi=B),  # eNB ID 1 reused by B
        s1(11, DL_NAS, mme=51, enb=1, up=False),
    ]
    ev = events(rows)
    s = correlate(ev)
    assert frames_of(ev, s, A) == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert frames_of(ev, s, B) == [10, 10, 11]
    assert s.find(imsi=A)[0].connections == 2
    assert s.link_kind(4) == "handover" and s.inconsistent == 0


def test_an_x2_handover_joins_the_path_switch_and_frees_the_source_ids():
    X2AP = PROTO["X2AP"]
    x2 = dict(proto=X2AP, src=ENB, dst=ENB2)
    rows = [
        s1(1, INITIAL_UE, enb=1), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=60, enb=1, up=False),
        dict(x2, frame=3, ts_ns=3000, msg=0, mme_ue_s1ap_id=60, old_enb_ue_x2ap_id=5),
        dict(x2, frame=4, ts_ns=4000, msg=(1 << 8), old_enb_ue_x2ap_id=5, new_enb_ue_x2ap_id=8,
             src=ENB2, dst=ENB),
        at(ENB2, s1(5, PATH_SWITCH, mme=60, enb=20)),
        at(ENB2, s1(6, PATH_SWITCH_ACK, mme=60, enb=20, up=False)),
        dict(x2, frame=7, ts_ns=7000, msg=5, old_enb_ue_x2ap_id=5, new_enb_ue_x2ap_id=8,
             src=ENB2, dst=ENB),
        s1(8, UL_NAS, mme=60, enb=1),          # eNB ID 1 at the source is free: a stale message
    ]
    ev = events(rows)
    s = correlate(ev)
    ue = s.find(imsi=A)[0]
    assert frames_of(ev, s, A) == [1, 1, 2, 3, 4, 5, 6, 7]
    assert s.ue_of_row[8] != ue.index
    assert s.link_kind(3) == "handover" and s.link_kind(5) == "handover"


def test_two_probes_count_a_packet_once_and_rotated_files_keep_the_connection():
    first = [s1(1, INITIAL_UE, enb=1, payload=b"\x00\x0c1"), nas(1, 0, 0x41, imsi=A),
             s1(2, DL_NAS, mme=70, enb=1, up=False, payload=b"\x00\x0b2")]
    rotated = [dict(s1(1, UL_NAS, mme=70, enb=1, payload=b"\x00\x0d3"), ts_ns=5000)]
    probe_b = [dict(r, ts_ns=r["ts_ns"] + 700) for r in first]   # the same packets, 0.7 us later
    ev = Events.concat([table(first, "a-1.pcap", 0), table(rotated, "a-2.pcap", 1),
                        table(probe_b, "b-1.pcap", 2)], {0: "a-1.pcap", 1: "a-2.pcap", 2: "b-1.pcap"})
    s = correlate(ev)
    assert len(s.ues) == 1
    rows = s.rows_of(0)
    assert sorted(zip(ev.cols["file_id"][rows].tolist(), ev.cols["frame"][rows].tolist())) == \
        [(0, 1), (0, 1), (0, 2), (1, 1)]
    assert s.duplicate_of_row[4:].tolist() == [0, 1, 2]
    assert len(s.rows_of(0, duplicates=True)) == 7
    assert s.counts()["duplicates"] == 3


def test_an_nr_leg_without_chr_goes_to_the_menb_connection_active_just_before():
    X2AP, GNB = PROTO["X2AP"], b"\x0a\x00\x00\x09"
    rows = [
        s1(1, INITIAL_UE, enb=1), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=80, enb=1, up=False),
        s1(1_000_000, INITIAL_UE, enb=2), nas(1_000_000, 3, 0x41, imsi=B),
        s1(1_000_001, (1 << 8) | 9, mme=81, enb=2),                  # B's ICS Response
        dict(frame=1_000_002, ts_ns=1_000_002_000, proto=X2AP, msg=27, menb_ue_x2ap_id=4,
             src=ENB, dst=GNB),
        dict(frame=1_000_003, ts_ns=1_000_003_000, proto=X2AP, msg=(1 << 8) | 27,
             menb_ue_x2ap_id=4, sgnb_ue_x2ap_id=7, src=GNB, dst=ENB),
    ]
    ev = events(rows)
    s = correlate(ev)
    assert frames_of(ev, s, B)[-2:] == [1_000_002, 1_000_003]
    assert s.link_kind(6) == "time-window" and "time-window" in LINK_KINDS


def test_s1_setup_frees_the_ids_of_its_own_association_only():
    MME2 = b"\x0a\x00\x00\x07"
    S1_SETUP = 17
    rows = [
        s1(1, INITIAL_UE, enb=5), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=9, enb=5, up=False),
        dict(s1(3, S1_SETUP), dst=MME2),                   # the eNB sets up S1 with another MME
        s1(4, UL_NAS, mme=9, enb=5),                       # A's connection to the first goes on
        s1(5, S1_SETUP),                                   # the first association restarts
        s1(6, UL_NAS, mme=9, enb=5),                       # stale IDs: not A's any more
    ]
    ev = events(rows)
    s = correlate(ev)
    assert frames_of(ev, s, A) == [1, 1, 2, 4]
    assert s.ue_of_row[6] != s.find(imsi=A)[0].index


def test_an_s1_handover_with_a_new_mme_id_joins_the_handover_required_it_answers():
    """The MME may give the target connection a new MME UE S1AP ID: the HandoverRequest then
    answers the HandoverRequired pending at that MME (for that target eNB)."""
    rows = [
        s1(1, INITIAL_UE, enb=1), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=50, enb=1, up=False),
        s1(3, HANDOVER_REQUIRED, mme=50, enb=1),
        at(ENB2, s1(4, HANDOVER_REQUEST, mme=77, up=False)),          # a new MME UE S1AP ID
        at(ENB2, s1(5, HANDOVER_REQUEST_ACK, mme=77, enb=9)),
        at(ENB2, s1(6, HANDOVER_NOTIFY, mme=77, enb=9)),
        s1(7, RELEASE_CMD, mme=50, enb=1, up=False),
        s1(8, RELEASE_COMPLETE, mme=50, enb=1),
        at(ENB2, s1(9, UL_NAS, mme=77, enb=9)),
        at(ENB2, s1(12, HANDOVER_REQUEST, mme=78, up=False)),         # nothing pending: alone
    ]
    ev = events(rows)
    s = correlate(ev)
    assert frames_of(ev, s, A) == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert s.link_kind(4) == "handover"
    assert s.ue_of_row[10] != s.find(imsi=A)[0].index


def test_a_partial_reset_frees_only_the_connections_it_lists():
    """36.413 8.7.1: a Reset of part of the interface lists the UE-associated connections it
    resets; the association's other connections go on (and their IDs still link)."""
    from chrtool.table.events import ITEM_KEYS
    S1_RESET = 14
    other = "001010000000099"
    rows = [
        s1(1, INITIAL_UE, enb=5), nas(1, 0, 0x41, imsi=A),
        s1(2, DL_NAS, mme=9, enb=5, up=False),
        s1(3, INITIAL_UE, enb=6), nas(3, 3, 0x41, imsi=other),
        s1(4, DL_NAS, mme=10, enb=6, up=False),
        # the eNB resets A's connection only (by its MME and eNB UE S1AP IDs)
        s1(5, S1_RESET, items=[(ITEM_KEYS["s1ap_ids"], 9, 5, -1, -1)]),
        s1(6, UL_NAS, mme=10, enb=6),                      # the other's connection goes on
        s1(7, UL_NAS, mme=9, enb=5),                       # A's IDs are stale
    ]
    ev = events(rows)
    s = correlate(ev)
    assert s.ue_of_row[7] == s.find(imsi=other)[0].index
    assert s.ue_of_row[8] != s.find(imsi=A)[0].index
    assert [s.ue_of_row[r] for r in s.resets] and len(next(iter(s.resets.values()))) == 1
