"""CaptureReader on generated captures: formats, link types, reassembly, bad input.

(tshark on the real captures: test_capture_tshark.py.)
"""
from __future__ import annotations

import io
import os
import random
import struct
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chrtool._fast.capture import LIMITS, CaptureReader
from chrtool.errors import InputError
from chrtool.simulate import pcap_writer as pw
from test_capture_build import (epb, flagged, idb, opb, pcap_file, pcap_record, read, shb, spb,
                                block, to_units, units_of)

A, B = "10.0.0.1", "10.0.0.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
T0 = 1_700_000_000_123_456_789


def s1ap_msg(i, size=60):
    return bytes([0, 12, 0x40 | (i & 0x3F)]) + bytes((i * 7 + k) & 0xFF for k in range(size))


def diameter_msg(i, size=40):
    size = max(20, size - size % 4)
    return struct.pack("!B3sB3sIII", 1, size.to_bytes(3, "big"), 0x80, (316).to_bytes(3, "big"),
                       16777251, i, i) + bytes((i + k) & 0xFF for k in range(size - 20))


def gtpv2_msg(i, size=30, piggy=False):
    body = bytes((i + k) & 0xFF for k in range(size))
    return struct.pack("!BBHI", 0x48 | (0x10 if piggy else 0), 32, len(body) + 4, i) + b"\0\0\0\0"[:0] + body


def sctp_pkt(src, dst, chunks, vtag=0x1234, sport=36412, dport=36412):
    return pw.ip(src, dst, 132, pw.sctp_packet(sport, dport, vtag, chunks))


def eth(pkt, **kw):
    return pw.link_frame(1, pkt, **kw)


# ------------------------------------------------------------------------------- file formats

@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("ns", [False, True])
def test_classic_pcap_orders_and_resolutions(big, ns):
    msgs = [s1ap_msg(i) for i in range(5)]
    recs = [(T0 + i * 1_000_001, eth(sctp_pkt(A, B, [pw.data_chunk(i, 1, i, 18, m)])))
            for i, m in enumerate(msgs)]
    r, rows = read(pcap_file(recs, big=big, ns=ns))
    assert r.format == "pcap" and r.byte_order == ("big" if big else "little")
    assert r.linktypes == [1] and r.frames == 5 and not r.problems
    assert [x["payload"] for x in rows] == msgs
    assert [x["frame"] for x in rows] == [1, 2, 3, 4, 5]
    for x, (ts, _) in zip(rows, recs):
        assert x["ts"] == (ts if ns else ts // 1000 * 1000)
        assert (x["proto"], x["ppid"], x["stream"], x["sport"]) == ("S1AP", 18, 1, 36412)
        assert x["src"] == bytes([10, 0, 0, 1]) and x["ip_version"] == 4
    # src_offset is the byte offset of the record in the file
    assert rows[0]["offset"] == 24 and rows[1]["offset"] == 24 + 16 + len(recs[0][1])


def test_modified_pcap_format():
    m = s1ap_msg(1)
    data = pcap_file([(T0, eth(sctp_pkt(A, B, [pw.data_chunk(1, 0, 0, 18, m)])))], modified=True)
    r, rows = read(data)
    assert [x["payload"] for x in rows] == [m] and not r.problems


def _mixed_pcapng():
    """Several interfaces (link types, if_tsresol powers of 10 and 2, if_tsoffset), EPB/SPB/OPB,
    unknown and ignorable blocks, and a second section in the other byte order: (bytes, the
    (frame, ts, payload) rows they hold, the frame count)."""
    m = [s1ap_msg(i) for i in range(10)]
    pkt = [sctp_pkt(A, B, [pw.data_chunk(i, 0, i, 18, x)], vtag=7) for i, x in enumerate(m)]
    ifaces = [(1, None), (113, 9), (101, 3), (276, 0x80 | 20), (0, 0x80 | 10), (229, 6)]
    parts = [shb(), block(0x0BAD0BAD & 0x7FFFFFFF, b"unknown block body"),
             *[idb(lt, tsresol=res) for lt, res in ifaces],
             block(4, b"\0" * 4),                            # name resolution block
             block(0x40000BAD, b"PEN!custom")]                # Wireshark numbers it as a frame
    want = []
    frame = 1
    for i, (lt, res) in enumerate(ifaces[:5]):
        ts, back = to_units(T0 + i * 1_234_567_891, res)
        parts.append(epb(i, ts, pw.link_frame(lt, pkt[i])))
        frame += 1
        want.append((frame, back, m[i]))
    # IPv6 on interface 5 (raw IPv6 link type)
    p6 = pw.ip(A6, B6, 132, pw.sctp_packet(36412, 36412, 9, [pw.data_chunk(5, 0, 0, 18, m[5])]))
    ts, back = to_units(T0, 6)
    parts.append(epb(5, ts, p6, opts=pw.struct.pack("<HH", 1, 4) + b"hey!" + b"\0" * 4))
    frame += 1
    want.append((frame, back, m[5]))
    # OPB on interface 1, SPB (interface 0, no timestamp), interface statistics block
    ts, back = to_units(T0 + 5, 9)
    parts.append(opb(1, ts, pw.link_frame(113, pkt[6])))
    frame += 1
    want.append((frame, back, m[6]))
    parts.append(spb(eth(pkt[7])))
    frame += 1
    want.append((frame, 0, m[7]))
    parts.append(block(5, b"\0" * 12))
    # second section, big-endian, its own interface numbering, with an offset of -10 s
    parts.append(shb(big=True))
    parts.append(idb(1, big=True, tsresol=9, tsoffset=-10))
    parts.append(epb(0, T0, eth(pkt[8]), big=True))
    frame += 1
    want.append((frame, T0 - 10_000_000_000, m[8]))
    return b"".join(parts), want, frame


def test_pcapng_interfaces_resolutions_blocks_and_sections():
    data, want, frame = _mixed_pcapng()
    r, rows = read(data)
    assert not r.problems, r.problems
    assert r.format == "pcapng" and r.byte_order == "big"
    assert r.linktypes == [1, 113, 101, 276, 0, 229, 1]
    assert r.frames == frame
    assert [(x["frame"], x["ts"], x["payload"]) for x in rows] == want


def test_pcapng_times_agree_with_tshark(tshark, tmp_path):
    data, _, _ = _mixed_pcapng()
    _, rows = read(data)
    check_tshark_times(tshark, tmp_path / "mixed.pcapng", data, rows)


def check_tshark_times(tshark, path, data, rows):
    path.write_bytes(data)
    out = tshark.fields(path, "frame.number", "frame.time_epoch", "sctp.data_payload_proto_id")
    tsh = {int(line[0]): line for line in out}
    assert len(tsh) == rows[-1]["frame"]
    for x in rows:
        if x["ts"] == 0:                # SPB: no timestamp; tshark prints none
            assert tsh[x["frame"]][1] == ""
            continue
        t = Decimal(tsh[x["frame"]][1])
        # tshark prints at most 9 decimals: power-of-2 resolutions are rounded, not floored
        assert abs(int(t * 10 ** 9) - x["ts"]) <= 1, (x["frame"], t, x["ts"])
        assert tsh[x["frame"]][2] == "18"


@pytest.mark.parametrize("linktype,kw", [
    (1, {}), (1, {"vlans": [100]}), (1, {"vlans": [10, 20]}), (113, {}), (113, {"outbound": True}),
    (276, {}), (101, {}), (228, {}), (229, {}), (0, {}), (0, {"big_endian": True}), (108, {}),
    (12, {}), (14, {})])
@pytest.mark.parametrize("v6", [False, True])
def test_link_types(linktype, kw, v6):
    if (linktype == 228 and v6) or (linktype == 229 and not v6):
        pytest.skip("link type fixes the IP version")
    m = s1ap_msg(3)
    src, dst = (A6, B6) if v6 else (A, B)
    pkt = pw.ip(src, dst, 132, pw.sctp_packet(36412, 36412, 1, [pw.data_chunk(1, 0, 0, 18, m)]))
    if linktype == 108:           # LOOP: address family in network byte order
        frame = struct.pack(">I", 24 if v6 else 2) + pkt
    elif linktype in (12, 14):
        frame = pkt
    else:
        frame = pw.link_frame(linktype, pkt, **kw)
    r, rows = read(pcap_file([(T0, frame)], linktype=linktype))
    assert not r.problems
    assert [x["payload"] for x in rows] == [m]
    assert rows[0]["ip_version"] == (6 if v6 else 4)


def test_unknown_link_type_reported_once():
    frames = [(T0, b"\x01" * 40)] * 3
    r, rows = read(pcap_file(frames, linktype=147))
    assert rows == [] and r.frames == 3
    assert len(r.problems) == 1 and "link type 147" in r.problems[0][2]
    assert r.counters["undecoded_linktype"] == 3


# ----------------------------------------------------------------------------- transport layers

def test_sctp_bundling_routing_and_non_data_chunks():
    chunks = [pw.sack_chunk(5), pw.data_chunk(1, 2, 0, 18, b"s1"), pw.data_chunk(2, 3, 0, 27, b"x2"),
              pw.data_chunk(3, 0, 0, 46, diameter_msg(1)), pw.data_chunk(4, 0, 0, 60, b"ngap"),
              pw.data_chunk(5, 4, 0, 0, b"by-port"), pw.sctp_chunk(14, 0, b"")]
    frames = [(T0, eth(sctp_pkt(A, B, chunks))),
              (T0 + 1, eth(sctp_pkt(A, B, [pw.data_chunk(1, 0, 0, 0, b"x2-port")], sport=40000,
                                    dport=36422))),
              (T0 + 2, eth(sctp_pkt(A, B, [pw.data_chunk(1, 0, 0, 0, b"diam-port")], sport=3868,
                                    dport=40000)))]
    r, rows = read(pcap_file(frames))
    got = [(x["frame"], x["proto"], x["ppid"], x["stream"], x["payload"]) for x in rows]
    assert got == [(1, "S1AP", 18, 2, b"s1"), (1, "X2AP", 27, 3, b"x2"),
                   (1, "Diameter", 46, 0, diameter_msg(1)), (1, "S1AP", 0, 4, b"by-port"),
                   (2, "X2AP", 0, 0, b"x2-port"), (3, "Diameter", 0, 0, b"diam-port")]


def test_configurable_ports_and_ppids():
    frames = [(T0, eth(sctp_pkt(A, B, [pw.data_chunk(1, 0, 0, 0, b"a"), pw.data_chunk(2, 0, 0, 60, b"n")],
                                sport=5000, dport=5001))),
              (T0, eth(pw.udp_packet(A, B, 999, 999, gtpv2_msg(1))))]
    r, rows = read(pcap_file(frames), ports={"s1ap": 5001, "gtpv2": 999}, ppids={60: "NGAP"})
    assert [(x["proto"], x["payload"]) for x in rows] == [("S1AP", b"a"), ("NGAP", b"n"),
                                                           ("GTPv2", gtpv2_msg(1))]
    with pytest.raises(ValueError):
        CaptureReader(io.BytesIO(b""), ports={"bogus": 1})


def test_sctp_retransmission_emitted_once_and_out_of_order_fragments():
    m = s1ap_msg(9, 3000)
    f1 = pw.data_chunk(10, 1, 5, 18, m[:1000], end=False)
    f2 = pw.data_chunk(11, 1, 5, 18, m[1000:2000], begin=False, end=False)
    f3 = pw.data_chunk(12, 1, 5, 18, m[2000:], begin=False)
    whole = pw.data_chunk(13, 1, 6, 18, b"whole")
    pk = lambda *c: eth(sctp_pkt(A, B, list(c), vtag=99))
    frames = [(T0, pk(f3)), (T0 + 1, pk(whole)), (T0 + 2, pk(f1)), (T0 + 3, pk(whole)),
              (T0 + 4, pk(f1)), (T0 + 5, pk(f2)), (T0 + 6, pk(f2, whole))]
    r, rows = read(pcap_file(frames))
    assert [(x["frame"], x["payload"]) for x in rows] == [(2, b"whole"), (6, m)]
    assert flagged(rows[1], "reassembled") and not flagged(rows[0], "reassembled")
    assert r.counters["sctp_retransmissions"] == 4
    assert r.state["sctp_pieces"] == 0


def test_udp_gtpv2_version_and_piggyback():
    p1, p2 = gtpv2_msg(1, piggy=True), gtpv2_msg(2)
    v1 = bytes([0x32, 16, 0, 4, 0, 0, 0, 0])                    # GTPv1-C on 2123: not ours
    frames = [(T0, eth(pw.udp_packet(A, B, 2123, 2123, p1 + p2))),
              (T0, eth(pw.udp_packet(A, B, 2123, 2123, v1))),
              (T0, eth(pw.udp_packet(A6, B6, 40000, 2123, p2)))]
    r, rows = read(pcap_file(frames))
    assert [(x["frame"], x["payload"], x["ip_version"]) for x in rows] == [(1, p1, 4), (1, p2, 4),
                                                                            (3, p2, 6)]


def test_tcp_diameter_split_joined_retransmitted_reordered():
    msgs = [diameter_msg(i, 40 + 36 * i) for i in range(8)]
    stream = b"".join(msgs)
    conn = pw.TcpConnection(A, B, 40000, 3868, mss=50)
    pkts = conn.handshake() + conn.send(0, stream)
    data_pkts = pkts[3:]
    # reorder two segments and retransmit one
    data_pkts[2], data_pkts[3] = data_pkts[3], data_pkts[2]
    data_pkts.insert(5, data_pkts[4])
    frames = [(T0 + i, eth(p)) for i, p in enumerate(pkts[:3] + data_pkts)]
    r, rows = read(pcap_file(frames))
    assert [x["payload"] for x in rows] == msgs
    assert all(x["proto"] == "Diameter" and x["sport"] == 40000 for x in rows)
    assert any(flagged(x, "reassembled") for x in rows)
    assert r.counters["tcp_retransmissions"] >= 1 and not r.problems


def test_tcp_several_messages_in_one_segment():
    msgs = [diameter_msg(i, 24) for i in range(5)]
    conn = pw.TcpConnection(A, B, 3868, 41000, mss=1400)
    frames = [(T0, eth(p)) for p in conn.send(0, b"".join(msgs))]
    r, rows = read(pcap_file(frames))
    assert len(frames) == 1 and [x["payload"] for x in rows] == msgs
    assert not any(flagged(x, "reassembled") for x in rows)


def test_tcp_capture_starting_mid_stream():
    msgs = [diameter_msg(i, 100) for i in range(4)]
    conn = pw.TcpConnection(A, B, 40000, 3868, mss=70)
    pkts = conn.send(0, b"".join(msgs))
    frames = [(T0, eth(p)) for p in pkts[1:]]          # first segment not captured
    r, rows = read(pcap_file(frames))
    assert [x["payload"] for x in rows] == msgs[1:]


def test_ip_fragments_v4_v6_with_duplicates_and_overlap():
    m4, m6 = s1ap_msg(1, 3000), s1ap_msg(2, 2500)
    p4 = pw.ip(A, B, 132, pw.sctp_packet(36412, 36412, 5, [pw.data_chunk(1, 0, 0, 18, m4)]), ident=77)
    p6 = pw.ip(A6, B6, 132, pw.sctp_packet(36412, 36412, 6, [pw.data_chunk(1, 0, 0, 18, m6)]))
    f4 = pw.fragment(p4, 600)
    f6 = pw.fragment(p6, 700, ident=5)
    order4 = [f4[3], f4[0], f4[0], f4[1], f4[4], f4[2]] + f4[5:]
    frames = [(T0 + i, eth(p)) for i, p in enumerate(order4 + list(reversed(f6)))]
    r, rows = read(pcap_file(frames))
    assert [(x["payload"], x["ip_version"]) for x in rows] == [(m4, 4), (m6, 6)]
    assert rows[0]["frame"] == len(order4) and rows[1]["frame"] == len(frames)
    assert all(flagged(x, "reassembled") for x in rows)
    assert r.state["ip_datagrams"] == 0 and r.counters["ip_overlap"] >= 1


def test_ipv6_extension_headers():
    m = s1ap_msg(4)
    sctp = pw.sctp_packet(36412, 36412, 5, [pw.data_chunk(1, 0, 0, 18, m)])
    hop = bytes([60, 0]) + b"\x01\x04\0\0\0\0"          # hop-by-hop -> destination options
    dst = bytes([132, 0]) + b"\x01\x04\0\0\0\0"
    pkt = pw.ipv6(A6, B6, 0, hop + dst + sctp)
    r, rows = read(pcap_file([(T0, eth(pkt))]))
    assert [x["payload"] for x in rows] == [m]


def test_reassembly_state_is_bounded_and_times_out():
    # many first fragments that never complete
    frames = []
    for i in range(LIMITS["ip_frag_max_datagrams"] + 50):
        p = pw.ip(A, B, 132, b"\0" * 2000, ident=i)
        frames.append((T0 + i, eth(pw.fragment(p, 1000)[0])))
    frames.append((T0 + 10 ** 12, eth(sctp_pkt(A, B, [pw.data_chunk(1, 0, 0, 18, b"late")]))))
    r, rows = read(pcap_file(frames))
    assert r.state["ip_datagrams"] == 0          # everything expired or reported at the end
    assert r.counters["ip_frag_dropped"] == LIMITS["ip_frag_max_datagrams"] + 50
    assert len(r.problems) <= LIMITS["max_problems"] + 1
    assert [x["payload"] for x in rows] == [b"late"]


def test_snaplen_truncation_marks_rows():
    m = s1ap_msg(1, 400)
    frame = eth(sctp_pkt(A, B, [pw.data_chunk(1, 0, 0, 18, m)]))
    data = pcap_file([(T0, frame[:200], len(frame)), (T0, frame)], snaplen=200)
    r, rows = read(data)
    assert len(rows) == 2 and flagged(rows[0], "truncated") and not flagged(rows[1], "truncated")
    assert m.startswith(rows[0]["payload"]) and rows[1]["payload"] == m
    assert r.counters["truncated"] == 1


# -------------------------------------------------------------------------------- bad input

def small_capture(ng=False):
    """(bytes, messages, end offset of each packet record, end offsets of every record/block)."""
    msgs = [s1ap_msg(i, 20 + 13 * i) for i in range(6)]
    recs = [(T0 + i, eth(sctp_pkt(A, B, [pw.data_chunk(i, 0, i, 18, m)]))) for i, m in enumerate(msgs)]
    if not ng:
        data = pcap_file(recs)
        ends = []
        off = 24
        for _, f in recs:
            off += 16 + len(f)
            ends.append(off)
        return data, msgs, ends, [24] + ends
    parts, ends = [shb(), idb(1, tsresol=9)], []
    bounds = [len(parts[0]), len(parts[0]) + len(parts[1])]
    off = bounds[-1]
    for ts, f in recs:
        b = epb(0, ts, f)
        parts.append(b)
        off += len(b)
        ends.append(off)
    return b"".join(parts), msgs, ends, bounds + ends


@pytest.mark.parametrize("ng", [False, True])
def test_truncation_at_every_byte(ng):
    data, msgs, ends, bounds = small_capture(ng)
    for cut in range(len(data) + 1):
        try:
            r, rows = read(data[:cut], chunk_bytes=256)
        except InputError:
            assert cut < 4
            continue
        complete = sum(1 for e in ends if e <= cut)
        assert [x["payload"] for x in rows] == msgs[:complete], cut
        if cut not in bounds:
            assert len(r.problems) == 1, (cut, r.problems)
            last = max([0] + [b for b in bounds if b <= cut])
            assert r.problems[0][0] == last, (cut, r.problems)
        else:
            assert not r.problems, (cut, r.problems)


def test_not_a_capture():
    for data in (b"", b"ab", b"GIF89a" + bytes(100)):
        with pytest.raises(InputError):
            read(data)


def test_short_pcap_header_is_a_problem():
    r, rows = read(pcap_file([])[:10])
    assert rows == [] and len(r.problems) == 1 and r.problems[0][0] == 0


@pytest.mark.parametrize("ng", [False, True])
@pytest.mark.parametrize("where", [0, 1, 3])
def test_damage_in_the_middle_resynchronises(ng, where):
    data, msgs, ends, _ = small_capture(ng)
    garbage = bytes(random.Random(where).randrange(256) for _ in range(37)) + b"\xff\xff\xff\x7f" * 3
    cut = ends[where]
    bad = data[:cut] + garbage + data[cut:]
    r, rows = read(bad, chunk_bytes=256)
    assert [x["payload"] for x in rows] == msgs
    assert len(r.problems) == 1 and r.problems[0][0] == cut, r.problems
    assert r.counters["skipped_bytes"] == len(garbage)


def test_pcap_odd_records():
    m = [s1ap_msg(i) for i in range(4)]
    fr = [eth(sctp_pkt(A, B, [pw.data_chunk(i, 0, i, 18, x)])) for i, x in enumerate(m)]
    data = (pcap_file([], snaplen=65535) + pcap_record(T0, fr[0])
            + pcap_record(T0, b"", origlen=0)                           # zero length
            + pcap_record(T0, fr[1], origlen=10)                        # caplen > origlen
            + pcap_record(T0, b"", origlen=0)
            + pcap_record(T0, b"\0" * 100, caplen=0xFFFFFFF0)            # huge caplen
            + pcap_record(T0, fr[2]) + pcap_record(T0, fr[3]))
    r, rows = read(data)
    assert [x["payload"] for x in rows] == m
    msgs = " | ".join(p[2] for p in r.problems)
    assert "exceeds the original length" in msgs and "beyond any snaplen" in msgs


def test_pcapng_bad_blocks():
    m = [s1ap_msg(i) for i in range(3)]
    fr = [eth(sctp_pkt(A, B, [pw.data_chunk(i, 0, i, 18, x)])) for i, x in enumerate(m)]
    bad_trailer = bytearray(epb(0, 1, fr[1]))
    bad_trailer[-1] ^= 0xFF
    data = b"".join([shb(), idb(1), epb(0, 1, fr[0]), epb(7, 1, fr[1]), bytes(bad_trailer),
                     struct.pack("<II", 6, 0x7FFFFFF0), epb(0, 1, fr[2])])
    r, rows = read(data)
    assert [x["payload"] for x in rows] == [m[0], m[2]]
    assert any("interface 7" in p[2] for p in r.problems)
    assert any("skipped" in p[2] for p in r.problems)


@settings(max_examples=int(os.environ.get("CHRTOOL_FUZZ_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=3000), st.booleans(), st.integers(1, 4096))
def test_garbage_after_a_valid_header(garbage, ng, chunk):
    head = (shb() + idb(1)) if ng else pcap_file([])
    r, rows = read(head + garbage, chunk_bytes=chunk)
    assert isinstance(r.problems, list)
    for p in r.problems:
        assert 0 <= p[0] <= len(head) + len(garbage)


@settings(max_examples=int(os.environ.get("CHRTOOL_FUZZ_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_corruption_keeps_everything_outside_the_damage(data):
    """Noise over any bytes after the file header: packets wholly before the damage and wholly
    after the damaged record come back; at most the records the noise touches are lost."""
    cap, msgs, ends, bounds = small_capture(data.draw(st.booleans()))
    head = bounds[0] if cap[:4] != shb()[:4] else bounds[1]
    pos = data.draw(st.integers(head, len(cap) - 1))
    n = data.draw(st.integers(1, 64))
    noise = data.draw(st.binary(min_size=n, max_size=n))
    bad = cap[:pos] + noise + cap[pos + n:]
    r, rows = read(bad, chunk_bytes=data.draw(st.integers(256, 4096)))
    got = [x["payload"] for x in rows]
    starts = [head] + ends[:-1]
    for i, m in enumerate(msgs):
        if ends[i] <= pos or starts[i] >= pos + n:
            assert m in got, (i, pos, n, r.problems)
    # (noise inside a packet's own bytes may just change what it is: no problem to report)


# --------------------------------------------------------------------- property: round trips

LINKS = [(1, {}), (1, {"vlans": [5]}), (1, {"vlans": [5, 6]}), (113, {}), (276, {}), (101, {}),
         (0, {})]


@settings(max_examples=int(os.environ.get("CHRTOOL_FUZZ_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_captures_round_trip(data):
    """Random messages over random link types, SCTP bundling/fragmentation, IP fragmentation,
    UDP GTPv2 and TCP Diameter: every payload comes back byte-identical, in order."""
    d = data.draw
    v6 = d(st.booleans())
    a, b = (A6, B6) if v6 else (A, B)
    lt, kw = d(st.sampled_from(LINKS))
    ng = d(st.booleans())
    mtu = d(st.sampled_from([None, 576, 1280, 1500]))
    assoc = pw.Association(a, b, max_chunk=d(st.sampled_from([None, 100, 700])), mtu=mtu,
                           pmtu=d(st.sampled_from([1500, 4000, 9000])),
                           tags=(d(st.integers(1, 2 ** 32 - 1)), 2), tsns=(1000, 5000))
    conn = pw.TcpConnection(a, b, 40001, 3868, mss=d(st.sampled_from([40, 200, 1460])))
    packets = [p for _, p in assoc.handshake()] + conn.handshake()
    expect = []
    for i in range(d(st.integers(1, 12))):
        kind = d(st.sampled_from(["s1ap", "s1ap", "diam", "gtp"]))
        size = d(st.integers(1, 4000))
        if kind == "s1ap":
            msgs = [s1ap_msg(i * 10 + k, size) for k in range(d(st.integers(1, 3)))]
            packets += assoc.send(d(st.integers(0, 1)), msgs, stream=d(st.integers(0, 3)))
            expect += [("S1AP", m) for m in msgs]
        elif kind == "diam":
            msgs = [diameter_msg(i * 10 + k, size) for k in range(d(st.integers(1, 3)))]
            packets += conn.send(0, b"".join(msgs))
            expect += [("Diameter", m) for m in msgs]
        else:
            m = gtpv2_msg(i, min(size, 1400))
            u = pw.udp_packet(a, b, 2123, 2123, m, ident=i + 1)
            packets += pw.fragment(u, mtu, ident=i + 1000) if mtu else [u]
            expect.append(("GTPv2", m))
    buf = io.BytesIO()
    writer = (pw.PcapngWriter(buf, lt, nanosecond=d(st.booleans()), big_endian=d(st.booleans()))
              if ng else pw.PcapWriter(buf, lt, nanosecond=d(st.booleans()), big_endian=d(st.booleans())))
    for i, p in enumerate(packets):
        writer.write_packet(T0 + i * 1000, p, **kw)
    r, rows = read(buf.getvalue(), chunk_bytes=d(st.sampled_from([256, 5000, 1 << 20])))
    assert not r.problems, r.problems
    assert [(x["proto"], x["payload"]) for x in rows] == expect
    assert r.frames == len(packets)
    frames = [x["frame"] for x in rows]
    assert frames == sorted(frames)


def test_chunk_size_does_not_change_rows():
    data, msgs, ends, _ = small_capture(True)
    base = read(data)[1]
    for chunk in (256, 300, 1000, 4096):
        assert read(data, chunk_bytes=chunk)[1] == base


def test_tcp_state_is_bounded():
    """Streams that never finish a message: bytes held stay under the limit, reported on exit."""
    frames = []
    big_header = struct.pack("!B3sB3sIII", 1, (900_000).to_bytes(3, "big"), 0x80, b"\0\0\1", 0, 0, 0)
    for i in range(60):
        conn = pw.TcpConnection(A, f"10.9.{i // 250}.{i % 250 + 1}", 40000 + i, 3868, mss=60000)
        for p in conn.send(0, big_header + bytes(700_000)):
            frames.append((T0 + i, pw.link_frame(101, p)))
    r = CaptureReader(io.BytesIO(pcap_file(frames, linktype=101)), chunk_bytes=1 << 16)
    rows = 0
    for t in r:
        rows += len(t)
        assert r.state["tcp_bytes"] <= LIMITS["tcp_max_bytes"]
    assert rows == 0
    assert any("evicted" in p[2] for p in r.problems)
    assert r.state["tcp_streams"] == 0        # cleared at the end of the file
