"""chrtool.simulate.pcap_writer: read back with dpkt and dissected by tshark with every check on."""
import gzip
import io
import random
import struct

import dpkt
import dpkt.crc32c
import pytest
from hypothesis import given, settings, strategies as st

from chrtool.simulate import pcap_writer as pw

T0 = 1_795_770_000_123_456_789          # 2026-11-27T09:00:00.123456789Z
# Valid S1AP PDUs (built with chrtool.simulate.s1ap_build, checked by tshark): kept literal so
# these tests depend on the writer alone.
S1AP_RELEASE_REQUEST = bytes.fromhex("0012401800000300000005c00d0000010008000200a8000240020280")
S1AP_RELEASE_COMPLETE = bytes.fromhex("2017001200000200004005c00d0000010008400200a8")
S1AP_SETUP_REQUEST = bytes.fromhex("0011002a000004003b00080000f1100019a210003c40070200454e422d31"
                                   "00400007000a804000f1100089400140")
# Large messages are raw bytes on ports and a PPID no dissector claims, so tshark shows the
# (reassembled) payload itself as data.data.
RAW_PORTS = (40001, 40002)
RAW_PPID = 0x7F000001


def _raw(n, seed=1):
    return random.Random(seed).randbytes(n)


# ------------------------------------------------------------------------------------ checksums

@pytest.mark.parametrize("data, crc", [
    (b"123456789", 0xE3069283),                      # the CRC-32C check value
    (bytes(32), 0x8A9136AA),                          # RFC 3720 B.4 test vectors
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
])
def test_crc32c_known_vectors(data, crc):
    assert pw.crc32c(data) == crc


@settings(max_examples=200)
@given(st.binary(max_size=300), st.integers(0, 300))
def test_crc32c_matches_dpkt_and_continues(data, cut):
    expected = dpkt.crc32c.cksum(data)               # dpkt returns it byte-swapped for packing
    assert struct.pack("<I", pw.crc32c(data)) == struct.pack(">I", expected)
    cut = min(cut, len(data))
    assert pw.crc32c(data[cut:], pw.crc32c(data[:cut])) == pw.crc32c(data)


@given(st.binary(max_size=200))
def test_inet_checksum_verifies_to_zero(data):
    data += b"\0" * (len(data) & 1)
    csum = pw.inet_checksum(data)
    assert pw.inet_checksum(data + struct.pack("!H", csum)) == 0


def test_ipv4_header_checksum_agrees_with_dpkt():
    pkt = pw.ipv4("10.0.0.1", "192.0.2.77", pw.IPPROTO_UDP, b"x" * 11, ident=0x1234, ttl=63, dscp=46)
    ip = dpkt.ip.IP(pkt)
    assert (ip.id, ip.ttl, ip.tos >> 2, ip.len, ip.df) == (0x1234, 63, 46, 31, 1)
    sent = ip.sum
    ip.sum = 0
    assert dpkt.ip.IP(bytes(ip)).sum == sent


# ---------------------------------------------------------------------------------------- files

FRAMES = [(T0 + i * 1_000_000_007, _raw(60 + 37 * i, i)) for i in range(5)]


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("nanosecond", [False, True])
def test_pcap_header_and_records(big_endian, nanosecond):
    buf = io.BytesIO()
    with pw.PcapWriter(buf, pw.LINKTYPE_RAW, nanosecond=nanosecond, big_endian=big_endian) as w:
        for ts, frame in FRAMES:
            w.write(ts, frame)
        assert w.count == len(FRAMES)
    data = buf.getvalue()
    e = ">" if big_endian else "<"
    magic, major, minor, _zone, _sig, snaplen, link = struct.unpack_from(e + "IHHiIII", data)
    assert (magic, major, minor, snaplen, link) == (
        0xA1B23C4D if nanosecond else 0xA1B2C3D4, 2, 4, 262144, pw.LINKTYPE_RAW)
    off = 24
    for ts, frame in FRAMES:
        sec, frac, caplen, length = struct.unpack_from(e + "IIII", data, off)
        assert sec * 10**9 + frac * (1 if nanosecond else 1000) == ts - (0 if nanosecond else ts % 1000)
        assert caplen == length == len(frame) and data[off + 16:off + 16 + caplen] == frame
        off += 16 + caplen
    assert off == len(data)
    # and an independent reader agrees
    frames = [(ts, bytes(f)) for ts, f in dpkt.pcap.Reader(io.BytesIO(data))]
    assert [f for _, f in frames] == [f for _, f in FRAMES]
    assert all(abs(float(ts) - t / 1e9) < 1e-6 for (ts, _), (t, _) in zip(frames, FRAMES))


def test_write_many_equals_write():
    a, b = io.BytesIO(), io.BytesIO()
    with pw.PcapWriter(a, nanosecond=True) as w:
        for ts, f in FRAMES:
            w.write(ts, f)
    with pw.PcapWriter(b, nanosecond=True) as w:
        w.write_many(FRAMES)
    assert a.getvalue() == b.getvalue()


def test_snaplen_truncates_but_keeps_original_length():
    buf = io.BytesIO()
    with pw.PcapWriter(buf, pw.LINKTYPE_RAW, snaplen=64) as w:
        w.write(T0, bytes(100))
    assert struct.unpack_from("<II", buf.getvalue(), 24 + 8) == (64, 100)


@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_blocks_read_by_dpkt(big_endian):
    buf = io.BytesIO()
    with pw.PcapngWriter(buf, pw.LINKTYPE_RAW, big_endian=big_endian) as w:
        w.write_many(FRAMES)
    got = list(dpkt.pcapng.Reader(io.BytesIO(buf.getvalue())))
    assert [bytes(f) for _, f in got] == [f for _, f in FRAMES]
    assert all(abs(float(ts) - t / 1e9) < 1e-6 for (ts, _), (t, _) in zip(got, FRAMES))


def test_gzip_output_is_deterministic(tmp_path):
    paths = [tmp_path / "a.pcap.gz", tmp_path / "b.pcap.gz"]
    for p in paths:
        with pw.PcapWriter(p, gzip=True) as w:
            w.write_many(FRAMES)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert gzip.decompress(paths[0].read_bytes())[:4] == struct.pack("<I", 0xA1B2C3D4)


# ----------------------------------------------------------------------------------- link layer

def _sctp_packets(src, dst, messages, **kw):
    a = pw.Association(src, dst, **kw)
    return [p for _, p in a.handshake()] + [p for m in messages for p in a.send(0, m, stream=1)]


LINKS = [  # (linktype, link options, IP version, protocols tshark must show)
    (pw.LINKTYPE_ETHERNET, {}, 4, "eth:ethertype:ip:sctp"),
    (pw.LINKTYPE_ETHERNET, {"vlans": (301,)}, 4, "eth:ethertype:vlan:ethertype:ip:sctp"),
    (pw.LINKTYPE_ETHERNET, {"vlans": (30, 301)}, 6,
     "eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ipv6:sctp"),
    (pw.LINKTYPE_LINUX_SLL, {"outbound": True}, 4, "sll:ethertype:ip:sctp"),
    (pw.LINKTYPE_LINUX_SLL2, {}, 6, "sll:ethertype:ipv6:sctp"),
    (pw.LINKTYPE_RAW, {}, 4, "raw:ip:sctp"),
    (pw.LINKTYPE_RAW, {}, 6, "raw:ipv6:sctp"),
    (pw.LINKTYPE_IPV4, {}, 4, "ip:sctp"),
    (pw.LINKTYPE_IPV6, {}, 6, "ipv6:sctp"),
    (pw.LINKTYPE_NULL, {}, 4, "null:ip:sctp"),
    (pw.LINKTYPE_NULL, {"big_endian": True}, 6, "null:ipv6:sctp"),
]
ADDR = {4: ("10.20.4.21", "10.10.0.1"), 6: ("2001:db8:20::21", "2001:db8:10::1")}


@pytest.mark.parametrize("linktype, link, version, protocols", LINKS)
@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_link_types_dissect_cleanly(tmp_path, tshark, linktype, link, version, protocols, fmt):
    packets = _sctp_packets(*ADDR[version], [S1AP_SETUP_REQUEST, S1AP_RELEASE_REQUEST])
    path = tmp_path / f"x.{fmt}"
    big_endian = link.pop("big_endian", False)
    pw.write_pcap(path, [(T0 + i * 1000, p) for i, p in enumerate(packets)], linktype,
                  pcapng=fmt == "pcapng", big_endian=big_endian, **link)
    rows = tshark.fields(path, "frame.protocols", "ip.src", "ipv6.src", "s1ap.procedureCode",
                         "ieee8021ad.id", "vlan.id")
    assert len(rows) == 6
    assert all(r[0].startswith(protocols) for r in rows)
    assert {r[1] or r[2] for r in rows} == set(ADDR[version])
    assert [r[3] for r in rows[4:]] == ["17", "18"]          # S1SetupRequest, UEContextReleaseRequest
    assert [int(v) for v in rows[0][4:] if v] == list(link.get("vlans", ()))   # outer tag first
    assert tshark.problems(path) == []


def test_pcapng_interfaces_resolutions_and_times(tmp_path, tshark):
    path = tmp_path / "multi.pcapng"
    a = pw.Association(*ADDR[4])
    b = pw.Association(*ADDR[6])
    with pw.PcapngWriter(path, pw.LINKTYPE_ETHERNET, nanosecond=True, vlans=(7,)) as w:
        sll = w.add_interface(pw.LINKTYPE_LINUX_SLL2, name="s1-mme-tap")            # microseconds
        raw = w.add_interface(pw.LINKTYPE_RAW, nanosecond=True, name="raw6")
        w.write_packet(T0, a.send(0, S1AP_SETUP_REQUEST)[0])
        w.write_packet(T0 + 1001, a.send(1, S1AP_RELEASE_COMPLETE, stream=1)[0], sll)
        w.write_packet(T0 + 2002, b.send(0, S1AP_RELEASE_REQUEST, stream=1)[0], raw)
    rows = tshark.fields(path, "frame.interface_id", "frame.time_epoch", "frame.protocols",
                         "s1ap.procedureCode")
    assert [r[0] for r in rows] == ["0", "1", "2"]
    assert [r[1] for r in rows] == ["1795770000.123456789", "1795770000.123457000",  # us interface
                                    "1795770000.123458791"]
    assert rows[0][2].startswith("eth:ethertype:vlan") and rows[1][2].startswith("sll")
    assert [r[3] for r in rows] == ["17", "23", "18"]
    assert tshark.problems(path) == []


# ------------------------------------------------------------------------------------------ SCTP

def test_sctp_handshake_tags_and_tsns(tmp_path, tshark):
    a = pw.Association(*ADDR[4], tags=(0x11111111, 0x22222222), tsns=(1000, 5000))
    packets = [p for _, p in a.handshake()] + a.send(0, S1AP_SETUP_REQUEST) + a.send(1, S1AP_RELEASE_COMPLETE)
    path = tmp_path / "hs.pcap"
    pw.write_pcap(path, [(T0 + i * 1000, p) for i, p in enumerate(packets)])
    rows = tshark.fields(path, "sctp.verification_tag", "sctp.chunk_type", "sctp.init_initiate_tag",
                         "sctp.initack_initiate_tag", "sctp.data_tsn_raw",
                         "sctp.sack_cumulative_tsn_ack_raw", "sctp.data_payload_proto_id")
    assert [r[:2] for r in rows] == [["0x00000000", "1"], ["0x11111111", "2"], ["0x22222222", "10"],
                                     ["0x11111111", "11"], ["0x22222222", "0"], ["0x11111111", "3,0"]]
    assert rows[0][2] == "0x11111111" and rows[1][3] == "0x22222222"
    assert (rows[4][4], rows[5][4], rows[5][5]) == ("1000", "5000", "1000")   # SACK acks TSN 1000
    assert rows[4][6] == rows[5][6] == "18"
    assert tshark.problems(path) == []


def test_sctp_message_split_into_chunks_with_b_e_flags(tmp_path, tshark):
    payload = _raw(1000)
    a = pw.Association(*ADDR[4], *RAW_PORTS, ppid=RAW_PPID, max_chunk=300, tsns=(77, 1))
    packets = a.send(0, payload, stream=3, bundle=False)
    assert len(packets) == 4
    path = tmp_path / "chunks.pcap"
    pw.write_pcap(path, [(T0 + i * 1000, p) for i, p in enumerate(packets)])
    rows = tshark.fields(path, "sctp.data_tsn_raw", "sctp.data_b_bit", "sctp.data_e_bit", "sctp.data_sid",
                         "sctp.data_ssn", "sctp.data_payload_proto_id", "data.data")
    assert [r[:3] for r in rows] == [["77", "1", "0"], ["78", "0", "0"], ["79", "0", "0"], ["80", "0", "1"]]
    assert {tuple(r[3:6]) for r in rows} == {("0x0003", "0", str(RAW_PPID))}
    assert bytes.fromhex(rows[-1][6]) == payload                    # reassembled in the last frame
    assert tshark.problems(path) == []


def test_sctp_bundling_messages_and_sack(tmp_path, tshark):
    a = pw.Association(*ADDR[4])
    first = a.send(1, S1AP_SETUP_REQUEST)          # MME side sends; eNB now owes a SACK
    bundled = a.send(0, [S1AP_RELEASE_REQUEST, S1AP_RELEASE_COMPLETE, S1AP_RELEASE_REQUEST], stream=2)
    assert len(bundled) == 1
    path = tmp_path / "bundle.pcap"
    pw.write_pcap(path, [(T0 + i, p) for i, p in enumerate(first + bundled)])
    rows = tshark.fields(path, "sctp.chunk_type", "sctp.data_ssn", "s1ap.procedureCode")
    assert rows[1] == ["3,0,0,0", "0,1,2", "18,23,18"]               # SACK first, then 3 DATA
    assert tshark.problems(path) == []
    # without bundling every chunk gets its own packet
    assert len(pw.Association(*ADDR[4]).send(0, [S1AP_RELEASE_REQUEST] * 3, bundle=False)) == 3


def test_sctp_payload_round_trip_through_dpkt():
    payloads = [_raw(n, n) for n in (1, 2, 3, 4, 5, 131)]
    pkt = pw.sctp_data_packet("10.0.0.1", "10.0.0.2", 1000, 2000,
                              [(i, 99, p, i * 10) for i, p in enumerate(payloads)], vtag=0xABCD, tsn=7)
    sctp = dpkt.ip.IP(pkt).data
    assert (sctp.sport, sctp.dport, sctp.vtag) == (1000, 2000, 0xABCD)
    body = bytes(pkt[20 + 12:])
    assert struct.pack("<I", pw.crc32c(bytes(pkt[20:28]) + bytes(4) + body)) == bytes(pkt[28:32])
    off = 0
    for i, p in enumerate(payloads):
        ctype, flags, length = struct.unpack_from("!BBH", body, off)
        tsn, sid, ssn, ppid = struct.unpack_from("!IHHI", body, off + 4)
        assert (ctype, flags, length, tsn, sid, ssn, ppid) == (0, 3, 16 + len(p), 7 + i, i, i * 10, 99)
        assert body[off + 16:off + length] == p
        off += length + (-length % 4)                   # every chunk padded to 4 bytes
    assert off == len(body)


@pytest.mark.parametrize("version, mtu", [(4, 576), (4, 1500), (6, 1280)])
def test_ip_fragmentation_reassembles(tmp_path, tshark, version, mtu):
    payload = _raw(3000)
    a = pw.Association(*ADDR[version], *RAW_PORTS, ppid=RAW_PPID, pmtu=9000, mtu=mtu)
    packets = a.send(0, payload) + a.send(1, S1AP_RELEASE_REQUEST)
    assert all(len(p) <= mtu for p in packets) and len(packets) > 3
    path = tmp_path / "frag.pcap"
    pw.write_pcap(path, [(T0 + i * 1000, p) for i, p in enumerate(packets)])
    rows = tshark.fields(path, "frame.protocols", "data.data")
    sctp = [i for i, r in enumerate(rows) if ":sctp" in r[0]]   # fragments alone show as ip:data
    assert sctp == [len(packets) - 2, len(packets) - 1]       # the last fragment completes it
    assert bytes.fromhex(rows[sctp[0]][1]) == payload
    assert tshark.problems(path) == []
    if version == 4:   # offsets in 8-byte units, MF on all but the last, same identification
        ips = [dpkt.ip.IP(p) for p in packets[:-1]]
        assert len({ip.id for ip in ips}) == 1
        assert [bool(ip.mf) for ip in ips] == [True] * (len(ips) - 1) + [False]
        assert sum(len(p) - 20 for p in packets[:-1]) == len(payload) + 12 + 16 + (-len(payload) % 4)


def test_fragment_leaves_small_packets_alone():
    pkt = pw.ipv4("10.0.0.1", "10.0.0.2", 132, b"x" * 100)
    assert pw.fragment(pkt, 1500) == [pkt]
    with pytest.raises(ValueError):
        pw.fragment(pkt, 20)


# ------------------------------------------------------------------------------------ UDP / TCP

GTPV2_ECHO_REQUEST = bytes.fromhex("4001000900000100" "0300010005")   # with a Recovery IE


@pytest.mark.parametrize("version", [4, 6])
def test_udp_checksums_and_payload(tmp_path, tshark, version):
    pkt = pw.udp_packet(*ADDR[version], pw.PORT_GTPC, pw.PORT_GTPC, GTPV2_ECHO_REQUEST, ident=9)
    path = tmp_path / "udp.pcap"
    pw.write_pcap(path, [(T0, pkt)], pw.LINKTYPE_ETHERNET)
    rows = tshark.fields(path, "udp.checksum.status", "gtpv2.message_type", "gtpv2.rec")
    assert rows == [["1", "1", "5"]]                                    # 1 = checksum good
    assert tshark.problems(path) == []


def _diameter_dwr(host=b"mme01.epc.mnc001.mcc001.3gppnetwork.org",
                  realm=b"epc.mnc001.mcc001.3gppnetwork.org"):
    def avp(code, value):
        n = 8 + len(value)
        return struct.pack("!IB", code, 0x40) + n.to_bytes(3, "big") + value + b"\0" * (-n % 4)
    body = avp(264, host) + avp(296, realm)                          # Origin-Host, Origin-Realm
    return (struct.pack("!B", 1) + (20 + len(body)).to_bytes(3, "big") + b"\x80" + (280).to_bytes(3, "big")
            + struct.pack("!III", 0, 0x1234, 0x5678) + body)         # Device-Watchdog-Request


def test_tcp_message_split_over_segments(tmp_path, tshark):
    conn = pw.TcpConnection(*ADDR[4], 45000, pw.PORT_DIAMETER, mss=40)
    dwr = _diameter_dwr()
    packets = conn.handshake() + conn.send(0, dwr) + [conn.ack(1)] + conn.close()
    path = tmp_path / "tcp.pcap"
    pw.write_pcap(path, [(T0 + i * 1000, p) for i, p in enumerate(packets)])
    rows = tshark.fields(path, "tcp.checksum.status", "tcp.seq", "tcp.len", "diameter.cmd.code")
    data_rows = rows[3:3 + -(-len(dwr) // 40)]
    assert sum(int(r[2]) for r in data_rows) == len(dwr)
    assert [r[3] for r in data_rows] == [""] * (len(data_rows) - 1) + ["280"]
    assert {r[0] for r in rows} == {"1"}
    assert tshark.problems(path) == []


def test_tcp_segments_helper_counts_sequence_numbers():
    segs = pw.tcp_segments("10.0.0.1", "10.0.0.2", 1, 2, bytes(250), seq=100, ack=7, mss=100)
    tcps = [dpkt.ip.IP(s).data for s in segs]
    assert [(t.seq, len(t.data), bool(t.flags & dpkt.tcp.TH_PUSH)) for t in tcps] == [
        (100, 100, False), (200, 100, False), (300, 50, True)]


# ----------------------------------------------------------------------------------- determinism

def test_same_inputs_same_bytes():
    def run():
        a = pw.Association("10.0.0.1", "10.0.0.2", max_chunk=50, mtu=100, pmtu=400)
        return [p for _, p in a.handshake()] + a.send(0, _raw(333)) + a.sack(1)
    assert run() == run()
    other = pw.Association("10.0.0.1", "10.0.0.3")
    assert other.tags != pw.Association("10.0.0.1", "10.0.0.2").tags
