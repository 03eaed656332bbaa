"""Pure-Python writers for capture files and the packets inside them.

Layers, bottom-up, each a plain function returning ``bytes`` so callers can mix and cache them:

- files: :class:`PcapWriter` (classic pcap, either byte order, us/ns) and :class:`PcapngWriter`
  (SHB, one IDB per interface with ``if_tsresol``, EPBs);
- link layers: :func:`link_frame` for Ethernet (optional 802.1Q/QinQ tags), Linux SLL/SLL2,
  raw IPv4/IPv6 and BSD NULL/loopback;
- network: :func:`ipv4`, :func:`ipv6`, :func:`ip` (by address family), :func:`fragment`;
- transport: SCTP chunks and packets (CRC32c), :class:`Association` (TSN/SSN/SACK bookkeeping),
  :func:`udp_packet`, :func:`tcp_packet`, :func:`tcp_segments`, :class:`TcpConnection`.

Transport helpers return whole IP packets; the writer (or :func:`link_frame`) adds the link layer.
Timestamps are integer nanoseconds since the Unix epoch everywhere.
"""
from __future__ import annotations

import gzip as _gzip
import hashlib
import ipaddress
import os
import struct
import sys
from array import array
from functools import lru_cache
from typing import BinaryIO, Iterable, Sequence

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_SCTP = 132

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8   # QinQ outer tag (service VLAN)

PPID_S1AP = 18
PPID_X2AP = 27
PPID_DIAMETER = 46
PORT_S1AP = 36412
PORT_X2AP = 36422
PORT_DIAMETER = 3868
PORT_GTPC = 2123


# ----------------------------------------------------------------------------------------- checksums

def _crc32c_tables() -> list[list[int]]:
    # Slicing-by-8 tables for CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, RFC 9260 App. B).
    t0 = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t0.append(c)
    tables = [t0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(v >> 8) ^ t0[v & 0xFF] for v in prev])
    return tables


_CRC_TABLES = _crc32c_tables()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C of ``data``; pass the previous result as ``crc`` to continue over several buffers."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _CRC_TABLES
    crc ^= 0xFFFFFFFF
    n = len(data) & ~7
    if n:
        # eight bytes per step; the 64-bit words must be read little-endian whatever the host
        words = array("Q", bytes(data[:n]))
        if sys.byteorder == "big":
            words.byteswap()
        for q in words:
            x = q ^ crc
            crc = (t7[x & 0xFF] ^ t6[(x >> 8) & 0xFF] ^ t5[(x >> 16) & 0xFF] ^ t4[(x >> 24) & 0xFF]
                   ^ t3[(x >> 32) & 0xFF] ^ t2[(x >> 40) & 0xFF] ^ t1[(x >> 48) & 0xFF] ^ t0[x >> 56])
    for b in data[n:]:
        crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def inet_checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum (IPv4 header, UDP, TCP)."""
    if len(data) & 1:
        data = bytes(data) + b"\0"
    # Summing host-order 16-bit words and swapping the folded sum equals the network-order sum.
    s = sum(array("H", bytes(data)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    if sys.byteorder == "little":
        s = ((s & 0xFF) << 8) | (s >> 8)
    return ~s & 0xFFFF


# ------------------------------------------------------------------------------------------ network

@lru_cache(maxsize=4096)
def _addr(a: str | bytes) -> bytes:
    """Packed address (4 or 16 bytes) from text or packed form."""
    if isinstance(a, bytes):
        if len(a) not in (4, 16):
            raise ValueError(f"packed address must be 4 or 16 bytes, got {len(a)}")
        return a
    return ipaddress.ip_address(a).packed


def ipv4(src, dst, proto: int, payload: bytes, *, ident: int = 0, ttl: int = 64, dscp: int = 0,
         df: bool = True, mf: bool = False, frag_offset: int = 0) -> bytes:
    """IPv4 packet with a correct header checksum. ``frag_offset`` is in bytes (multiple of 8)."""
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_offset >> 3)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, dscp << 2, 20 + len(payload), ident & 0xFFFF, flags,
                      ttl, proto, 0, _addr(src), _addr(dst))
    return hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, next_header: int, payload: bytes, *, hop_limit: int = 64, tclass: int = 0,
         flow_label: int = 0) -> bytes:
    """IPv6 packet (no extension headers)."""
    first = (6 << 28) | (tclass << 20) | (flow_label & 0xFFFFF)
    return struct.pack("!IHBB16s16s", first, len(payload), next_header, hop_limit,
                       _addr(src), _addr(dst)) + payload


def ip(src, dst, proto: int, payload: bytes, *, ident: int = 0, **kw) -> bytes:
    """IPv4 or IPv6 packet depending on the address family of ``src``."""
    if len(_addr(src)) == 4:
        return ipv4(src, dst, proto, payload, ident=ident, **kw)
    return ipv6(src, dst, proto, payload, **kw)


def fragment(packet: bytes, mtu: int, ident: int | None = None) -> list[bytes]:
    """Split an IP packet into fragments of at most ``mtu`` bytes (unchanged if it fits).

    IPv4 keeps the header's identification (and clears DF, which a fragmenting host cannot keep);
    IPv6 adds a Fragment extension header with ``ident`` (default: 0).
    """
    if len(packet) <= mtu:
        return [packet]
    if packet[0] >> 4 == 4:
        ihl = (packet[0] & 0x0F) * 4
        hdr, data = packet[:ihl], packet[ihl:]
        ident_v4, = struct.unpack_from("!H", hdr, 4)
        ttl, proto = hdr[8], hdr[9]
        step = (mtu - 20) // 8 * 8
        if step <= 0:
            raise ValueError(f"MTU {mtu} too small for IPv4")
        return [ipv4(hdr[12:16], hdr[16:20], proto, data[off:off + step], ident=ident_v4, ttl=ttl,
                     dscp=hdr[1] >> 2, df=False, mf=off + step < len(data), frag_offset=off)
                for off in range(0, len(data), step)]
    first, _plen, nh, hop = struct.unpack_from("!IHBB", packet)
    src, dst, data = packet[8:24], packet[24:40], packet[40:]
    step = (mtu - 48) // 8 * 8
    if step <= 0:
        raise ValueError(f"MTU {mtu} too small for IPv6")
    out = []
    for off in range(0, len(data), step):
        more = off + step < len(data)
        frag_hdr = struct.pack("!BBHI", nh, 0, off | more, (ident or 0) & 0xFFFFFFFF)
        chunk = frag_hdr + data[off:off + step]
        out.append(struct.pack("!IHBB16s16s", first, len(chunk), 44, hop, src, dst) + chunk)
    return out


# --------------------------------------------------------------------------------------------- UDP

def _pseudo_header(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    if len(src) == 4:
        return struct.pack("!4s4sBBH", src, dst, 0, proto, length)
    return struct.pack("!16s16sIxxxB", src, dst, length, proto)


def udp_packet(src, dst, sport: int, dport: int, payload: bytes, *, ident: int = 0, **ipkw) -> bytes:
    """IP packet carrying one UDP datagram with a correct checksum (mandatory for IPv6)."""
    s, d = _addr(src), _addr(dst)
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    csum = inet_checksum(_pseudo_header(s, d, IPPROTO_UDP, length) + hdr + payload) or 0xFFFF
    return ip(s, d, IPPROTO_UDP, hdr[:6] + struct.pack("!H", csum) + payload, ident=ident, **ipkw)


# --------------------------------------------------------------------------------------------- TCP

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_packet(src, dst, sport: int, dport: int, seq: int, ack: int, flags: int = TCP_ACK,
               payload: bytes = b"", *, window: int = 65535, options: bytes = b"", ident: int = 0,
               **ipkw) -> bytes:
    """IP packet carrying one TCP segment with a correct checksum."""
    s, d = _addr(src), _addr(dst)
    options += b"\0" * (-len(options) % 4)
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4,
                      flags, window, 0, 0) + options
    seg = hdr + payload
    csum = inet_checksum(_pseudo_header(s, d, IPPROTO_TCP, len(seg)) + seg)
    return ip(s, d, IPPROTO_TCP, seg[:16] + struct.pack("!H", csum) + seg[18:], ident=ident, **ipkw)


def tcp_segments(src, dst, sport: int, dport: int, data: bytes, seq: int, ack: int, *,
                 mss: int = 1460, window: int = 65535, ident: int = 0, **ipkw) -> list[bytes]:
    """``data`` as consecutive ACK segments of at most ``mss`` bytes, PSH on the last one.

    IP identifications count up from ``ident``.
    """
    out = []
    for i, off in enumerate(range(0, len(data), mss)):
        last = off + mss >= len(data)
        out.append(tcp_packet(src, dst, sport, dport, seq + off, ack,
                              TCP_ACK | (TCP_PSH if last else 0), data[off:off + mss],
                              window=window, ident=ident + i, **ipkw))
    return out


class TcpConnection:
    """A TCP connection between endpoint 0 (client) and 1 (server) that keeps sequence numbers.

    Every method returns IP packets. Initial sequence numbers and IP identifications are derived
    from the endpoints so output is deterministic.
    """

    def __init__(self, addr0, addr1, port0: int, port1: int, *, mss: int = 1460,
                 isn: tuple[int, int] | None = None, window: int = 65535):
        self.addr = (addr0, addr1)
        self.port = (port0, port1)
        self.mss = mss
        self.window = window
        seed = _seed_words(addr0, addr1, port0, port1)
        self.seq = list(isn or seed[:2])     # next sequence number each side sends
        self._ident = [seed[2] & 0xFFFF, seed[3] & 0xFFFF]

    def _pkt(self, side: int, flags: int, payload: bytes = b"", options: bytes = b"") -> bytes:
        other = 1 - side
        pkt = tcp_packet(self.addr[side], self.addr[other], self.port[side], self.port[other],
                         self.seq[side], self.seq[other] if flags & TCP_ACK else 0, flags, payload,
                         window=self.window, options=options, ident=self._next_ident(side))
        self.seq[side] += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        return pkt

    def _next_ident(self, side: int) -> int:
        self._ident[side] = (self._ident[side] + 1) & 0xFFFF
        return self._ident[side]

    def handshake(self) -> list[bytes]:
        """SYN, SYN-ACK (both with an MSS option), ACK."""
        mss_opt = struct.pack("!BBH", 2, 4, self.mss)
        return [self._pkt(0, TCP_SYN, options=mss_opt),
                self._pkt(1, TCP_SYN | TCP_ACK, options=mss_opt),
                self._pkt(0, TCP_ACK)]

    def send(self, side: int, data: bytes) -> list[bytes]:
        """``data`` from ``side`` split into MSS-sized segments (PSH on the last)."""
        out = []
        for off in range(0, len(data), self.mss):
            last = off + self.mss >= len(data)
            out.append(self._pkt(side, TCP_ACK | (TCP_PSH if last else 0), data[off:off + self.mss]))
        return out

    def ack(self, side: int) -> bytes:
        """A bare ACK from ``side``."""
        return self._pkt(side, TCP_ACK)

    def close(self, side: int = 0) -> list[bytes]:
        """FIN from ``side``, FIN-ACK from the other, final ACK."""
        return [self._pkt(side, TCP_FIN | TCP_ACK), self._pkt(1 - side, TCP_FIN | TCP_ACK),
                self._pkt(side, TCP_ACK)]


# -------------------------------------------------------------------------------------------- SCTP

SCTP_DATA, SCTP_INIT, SCTP_INIT_ACK, SCTP_SACK = 0, 1, 2, 3
SCTP_ABORT, SCTP_SHUTDOWN, SCTP_COOKIE_ECHO, SCTP_COOKIE_ACK = 6, 7, 10, 11
DATA_FLAG_E, DATA_FLAG_B, DATA_FLAG_U = 0x01, 0x02, 0x04


def sctp_chunk(ctype: int, flags: int, value: bytes) -> bytes:
    """Any SCTP chunk; the length field excludes the zero padding to 4 bytes (RFC 9260 3.2)."""
    return struct.pack("!BBH", ctype, flags, 4 + len(value)) + value + b"\0" * (-len(value) % 4)


def data_chunk(tsn: int, stream: int, ssn: int, ppid: int, payload: bytes, *, begin: bool = True,
               end: bool = True, unordered: bool = False) -> bytes:
    """DATA chunk; ``begin``/``end`` are the B/E flags of a fragmented user message."""
    flags = (DATA_FLAG_B if begin else 0) | (DATA_FLAG_E if end else 0) | (DATA_FLAG_U if unordered else 0)
    return sctp_chunk(SCTP_DATA, flags, struct.pack("!IHHI", tsn & 0xFFFFFFFF, stream, ssn & 0xFFFF,
                                                    ppid) + payload)


def sack_chunk(cum_tsn: int, a_rwnd: int = 106496, gaps: Sequence[tuple[int, int]] = (),
               dups: Sequence[int] = ()) -> bytes:
    """SACK chunk; ``gaps`` are (start, end) offsets relative to ``cum_tsn``."""
    body = struct.pack("!IIHH", cum_tsn & 0xFFFFFFFF, a_rwnd, len(gaps), len(dups))
    body += b"".join(struct.pack("!HH", s, e) for s, e in gaps)
    body += b"".join(struct.pack("!I", d & 0xFFFFFFFF) for d in dups)
    return sctp_chunk(SCTP_SACK, 0, body)


def _addr_param(addr) -> bytes:
    a = _addr(addr)
    ptype = 5 if len(a) == 4 else 6          # IPv4 / IPv6 Address parameter
    return struct.pack("!HH", ptype, 4 + len(a)) + a


def init_chunk(init_tag: int, initial_tsn: int, *, a_rwnd: int = 106496, out_streams: int = 10,
               in_streams: int = 10, addresses: Sequence = (), ack: bool = False,
               cookie: bytes = b"") -> bytes:
    """INIT (or INIT ACK with ``ack=True``, which must carry a State Cookie)."""
    params = b"".join(_addr_param(a) for a in addresses)
    if ack:
        params += struct.pack("!HH", 7, 4 + len(cookie)) + cookie + b"\0" * (-len(cookie) % 4)
    body = struct.pack("!IIHHI", init_tag, a_rwnd, out_streams, in_streams, initial_tsn) + params
    return sctp_chunk(SCTP_INIT_ACK if ack else SCTP_INIT, 0, body)


def sctp_packet(sport: int, dport: int, vtag: int, chunks: Iterable[bytes]) -> bytes:
    """SCTP common header plus chunks, with the CRC32c checksum filled in."""
    body = b"".join(chunks)
    hdr = struct.pack("!HHII", sport, dport, vtag, 0)
    # RFC 9260 App. B: the CRC is computed with the checksum field zero and stored little-endian.
    return hdr[:8] + struct.pack("<I", crc32c(body, crc32c(hdr))) + body


def sctp_data_packet(src, dst, sport: int, dport: int, chunks: Sequence[tuple], vtag: int,
                     tsn: int, *, ident: int = 0, **ipkw) -> bytes:
    """IP packet with one SCTP packet bundling complete user messages.

    ``chunks`` holds ``(stream, ppid, payload)`` or ``(stream, ppid, payload, ssn)``; TSNs count
    up from ``tsn``; SSN defaults to 0.
    """
    out = [data_chunk(tsn + i, c[0], c[3] if len(c) > 3 else 0, c[1], c[2])
           for i, c in enumerate(chunks)]
    return ip(src, dst, IPPROTO_SCTP, sctp_packet(sport, dport, vtag, out), ident=ident, **ipkw)


def _seed_words(*parts) -> list[int]:
    """Four deterministic 32-bit words from the given values (tags, TSNs, IP ids, ...)."""
    h = hashlib.sha256(repr(parts).encode()).digest()
    return [int.from_bytes(h[i:i + 4], "big") or 1 for i in range(0, 16, 4)]


class Association:
    """One SCTP association between endpoint 0 (the initiator, e.g. an eNB) and endpoint 1.

    It keeps what real stacks keep per direction: the peer's verification tag, the next TSN, the
    SSN per stream, and whether DATA arrived that is not yet SACKed (so the next send bundles a
    SACK). Nothing is lost, so a SACK acknowledges all the peer sent. Methods return IP packets
    (``bytes``), fragmented at ``mtu`` when given.

    - ``pmtu``: the largest SCTP-over-IP packet the stack builds; chunks are bundled up to it.
    - ``max_chunk``: largest DATA payload; longer user messages become several chunks (B/E flags).
      Defaults to what fits one packet at ``pmtu``.
    - ``mtu``: when set, IP packets longer than this are IP-fragmented (set ``pmtu`` higher to
      force that; real stacks avoid it, captures still contain it).
    """

    def __init__(self, addr0, addr1, port0: int = PORT_S1AP, port1: int = PORT_S1AP, *,
                 ppid: int = PPID_S1AP, streams: int = 10, tags: tuple[int, int] | None = None,
                 tsns: tuple[int, int] | None = None, pmtu: int = 1500,
                 max_chunk: int | None = None, mtu: int | None = None, a_rwnd: int = 106496):
        self.addr = (addr0, addr1)
        self.port = (port0, port1)
        self.ppid = ppid
        self.streams = streams
        seed = _seed_words(addr0, addr1, port0, port1)
        self.tags = tuple(tags or seed[:2])             # tag each side chose in its INIT/INIT ACK
        self.next_tsn = list(tsns or seed[2:4])
        self.ssn: list[dict[int, int]] = [{}, {}]
        self.owes_sack = [False, False]                # side received DATA it has not SACKed
        self.pmtu, self.mtu, self.a_rwnd = pmtu, mtu, a_rwnd
        ip_hdr = 20 if len(_addr(addr0)) == 4 else 40
        self._room = pmtu - ip_hdr - 12                  # bytes for chunks in one packet
        self.max_chunk = max_chunk or self._room - 16
        self._ident = [seed[0] & 0xFFFF, seed[1] & 0xFFFF]

    def _packets(self, side: int, chunks: list[bytes]) -> list[bytes]:
        other = 1 - side
        sctp = sctp_packet(self.port[side], self.port[other], self.tags[other], chunks)
        return self._ip(side, sctp)

    def _ip(self, side: int, sctp: bytes) -> list[bytes]:
        self._ident[side] = (self._ident[side] + 1) & 0xFFFF
        pkt = ip(self.addr[side], self.addr[1 - side], IPPROTO_SCTP, sctp, ident=self._ident[side])
        return fragment(pkt, self.mtu, self._ident[side]) if self.mtu else [pkt]

    def handshake(self) -> list[tuple[int, bytes]]:
        """INIT, INIT ACK, COOKIE ECHO, COOKIE ACK as (side, IP packet) pairs."""
        cookie = hashlib.sha256(b"cookie" + struct.pack("!II", *self.tags)).digest()
        init = init_chunk(self.tags[0], self.next_tsn[0], a_rwnd=self.a_rwnd,
                          out_streams=self.streams, in_streams=self.streams,
                          addresses=[self.addr[0]])
        init_ack = init_chunk(self.tags[1], self.next_tsn[1], a_rwnd=self.a_rwnd,
                              out_streams=self.streams, in_streams=self.streams,
                              addresses=[self.addr[1]], ack=True, cookie=cookie)
        steps = [(0, 0, init),                        # INIT goes out with verification tag 0
                 (1, self.tags[0], init_ack),
                 (0, self.tags[1], sctp_chunk(SCTP_COOKIE_ECHO, 0, cookie)),
                 (1, self.tags[0], sctp_chunk(SCTP_COOKIE_ACK, 0, b""))]
        return [(side, pkt) for side, vtag, chunk in steps
                for pkt in self._ip(side, sctp_packet(self.port[side], self.port[1 - side], vtag, [chunk]))]

    def sack_chunk(self, side: int) -> bytes:
        """A SACK chunk acknowledging everything ``side`` has received; clears the pending ack."""
        other = 1 - side
        chunk = sack_chunk((self.next_tsn[other] - 1) & 0xFFFFFFFF, self.a_rwnd)
        self.owes_sack[side] = False
        return chunk

    def sack(self, side: int) -> list[bytes]:
        """A stand-alone SACK packet from ``side``."""
        return self._packets(side, [self.sack_chunk(side)])

    def data_chunks(self, side: int, message: bytes, *, stream: int = 0, ppid: int | None = None,
                    unordered: bool = False) -> list[bytes]:
        """One user message as DATA chunks (split at ``max_chunk``), advancing TSN and SSN."""
        ppid = self.ppid if ppid is None else ppid
        ssn = 0 if unordered else self.ssn[side].get(stream, 0)
        pieces = [message[i:i + self.max_chunk] for i in range(0, len(message), self.max_chunk)] or [b""]
        chunks = []
        for i, piece in enumerate(pieces):
            chunks.append(data_chunk(self.next_tsn[side], stream, ssn, ppid, piece, begin=i == 0,
                                     end=i == len(pieces) - 1, unordered=unordered))
            self.next_tsn[side] = (self.next_tsn[side] + 1) & 0xFFFFFFFF
        if not unordered:
            self.ssn[side][stream] = (ssn + 1) & 0xFFFF
        self.owes_sack[1 - side] = True
        return chunks

    def send(self, side: int, messages: bytes | Sequence[bytes], *, stream: int = 0,
             ppid: int | None = None, unordered: bool = False, sack: bool = True,
             bundle: bool = True) -> list[bytes]:
        """Send one or several user messages from ``side``; returns the IP packets in order.

        A pending SACK for the other direction is bundled in front of the data (``sack=True``), as
        stacks do. With ``bundle`` chunks share packets up to ``pmtu``; otherwise one chunk each.
        The last packet returned carries the end of the last message.
        """
        if isinstance(messages, (bytes, bytearray, memoryview)):
            messages = [messages]
        return self.send_many(side, [(m, stream) for m in messages], ppid=ppid, unordered=unordered,
                              sack=sack, bundle=bundle)

    def send_many(self, side: int, items: Sequence[tuple[bytes, int]], *, ppid: int | None = None,
                  unordered: bool = False, sack: bool = True, bundle: bool = True) -> list[bytes]:
        """Send user messages given as (message, stream) pairs, bundled as :meth:`send` does:
        the way a stack's send queue holds messages of several UEs (each on its own stream) and
        puts them into one packet."""
        chunks = [self.sack_chunk(side)] if sack and self.owes_sack[side] else []
        for m, stream in items:
            chunks += self.data_chunks(side, bytes(m), stream=stream, ppid=ppid, unordered=unordered)
        packets, current, size = [], [], 0
        for c in chunks:
            if current and (not bundle or size + len(c) > self._room):
                packets += self._packets(side, current)
                current, size = [], 0
            current.append(c)
            size += len(c)
        return packets + self._packets(side, current)


# -------------------------------------------------------------------------------------- link layer

def mac_for(addr) -> bytes:
    """A stable locally administered MAC for an IP address (02:00 + last 4 address bytes)."""
    return b"\x02\x00" + _addr(addr)[-4:]


def _ip_endpoints(packet: bytes) -> tuple[bytes, bytes, int]:
    if packet[0] >> 4 == 4:
        return packet[12:16], packet[16:20], ETH_P_IP
    return packet[8:24], packet[24:40], ETH_P_IPV6


def link_frame(linktype: int, packet: bytes, *, src_mac: bytes | None = None,
               dst_mac: bytes | None = None, vlans: Sequence[int] = (), outbound: bool = False,
               ifindex: int = 1, big_endian: bool = False) -> bytes:
    """Wrap an IP packet in the link layer of ``linktype``.

    MACs default to :func:`mac_for` of the IP addresses. ``vlans`` lists VLAN IDs outermost first;
    two or more make QinQ (outer TPID 0x88A8). ``outbound`` sets the SLL packet type ("sent by us").
    ``big_endian`` is the byte order of the NULL link's address family (the capturing host's).
    """
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return packet
    src, dst, ethertype = _ip_endpoints(packet)
    smac = src_mac or mac_for(src)
    if linktype == LINKTYPE_ETHERNET:
        tags = b""
        for i, vid in enumerate(vlans):
            tpid = ETH_P_8021AD if i == 0 and len(vlans) > 1 else ETH_P_8021Q
            tags += struct.pack("!HH", tpid, vid & 0x0FFF)
        return (dst_mac or mac_for(dst)) + smac + tags + struct.pack("!H", ethertype) + packet
    pkttype = 4 if outbound else 0   # PACKET_OUTGOING / PACKET_HOST
    if linktype == LINKTYPE_LINUX_SLL:
        return struct.pack("!HHH8sH", pkttype, 1, 6, smac, ethertype) + packet
    if linktype == LINKTYPE_LINUX_SLL2:
        return struct.pack("!HHIHBB8s", ethertype, 0, ifindex, 1, pkttype, 6, smac) + packet
    if linktype == LINKTYPE_NULL:
        family = 2 if ethertype == ETH_P_IP else 24   # AF_INET; BSD AF_INET6
        return struct.pack(">I" if big_endian else "<I", family) + packet
    raise ValueError(f"unsupported link type {linktype}")


# -------------------------------------------------------------------------------------------- files

def _open_out(target, use_gzip: bool) -> tuple[BinaryIO, list]:
    """Binary output for a path or file object, and the objects we must close ourselves."""
    owned = []
    if isinstance(target, (str, os.PathLike)):
        f = open(target, "wb", buffering=1 << 20)
        owned.append(f)
    else:
        f = target
    if use_gzip:
        # filename="" and mtime=0 keep the gzip header free of run-dependent bytes.
        f = _gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0)
        owned.insert(0, f)
    return f, owned


class _Writer:
    def __init__(self, target, use_gzip: bool, big_endian: bool):
        self._f, self._owned = _open_out(target, use_gzip)
        self._e = ">" if big_endian else "<"
        self.big_endian = big_endian
        self.count = 0

    def close(self) -> None:
        for f in self._owned:
            f.close()
        self._owned = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PcapWriter(_Writer):
    """Classic libpcap file writer.

    ``write(ts_ns, frame)`` adds one record; ``write_many`` adds many in one buffered write (the
    fast path for prebuilt frames). ``write_packet`` wraps an IP packet in the file's link layer.
    """

    def __init__(self, target, linktype: int = LINKTYPE_ETHERNET, *, nanosecond: bool = False,
                 big_endian: bool = False, gzip: bool = False, snaplen: int = 262144, **link):
        super().__init__(target, gzip, big_endian)
        self.linktype, self.nanosecond, self.snaplen, self.link = linktype, nanosecond, snaplen, link
        self._rec = struct.Struct(self._e + "IIII")
        magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
        self._f.write(struct.pack(self._e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def _record(self, ts_ns: int, frame: bytes) -> bytes:
        sec, frac = divmod(ts_ns, 1_000_000_000)
        if not self.nanosecond:
            frac //= 1000
        cap = frame[:self.snaplen]
        return self._rec.pack(sec, frac, len(cap), len(frame)) + cap

    def write(self, ts_ns: int, frame: bytes) -> None:
        self._f.write(self._record(ts_ns, frame))
        self.count += 1

    def write_many(self, records: Iterable[tuple[int, bytes]]) -> None:
        """Write (ts_ns, frame) pairs: the fast path for prebuilt frames (a few 100 MB/s)."""
        write, record = self._f.write, self._record
        n = 0
        for ts_ns, frame in records:
            write(record(ts_ns, frame))
            n += 1
        self.count += n

    def write_packet(self, ts_ns: int, packet: bytes, **link) -> None:
        """Write an IP packet inside this file's link layer (options as :func:`link_frame`)."""
        self.write(ts_ns, link_frame(self.linktype, packet, big_endian=self.big_endian,
                                     **{**self.link, **link}))


class PcapngWriter(_Writer):
    """pcapng writer: one Section Header Block, Interface Description Blocks, Enhanced Packet Blocks.

    ``linktype`` (if given) creates interface 0; :meth:`add_interface` adds more, each with its own
    link type and timestamp resolution (``if_tsresol`` 6 or 9).
    """

    def __init__(self, target, linktype: int | None = LINKTYPE_ETHERNET, *, nanosecond: bool = False,
                 big_endian: bool = False, gzip: bool = False, snaplen: int = 262144,
                 application: str = "chrtool simulate", **link):
        super().__init__(target, gzip, big_endian)
        self.interfaces: list[tuple[int, bool, int, dict]] = []
        opts = self._option(4, application.encode()) if application else b""   # shb_userappl
        body = struct.pack(self._e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts + self._option(0, b"")
        self._block(0x0A0D0D0A, body)
        if linktype is not None:
            self.add_interface(linktype, nanosecond=nanosecond, snaplen=snaplen, **link)

    def _option(self, code: int, value: bytes) -> bytes:
        return struct.pack(self._e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)

    def _block(self, btype: int, body: bytes) -> None:
        total = 12 + len(body)
        self._f.write(struct.pack(self._e + "II", btype, total) + body + struct.pack(self._e + "I", total))

    def add_interface(self, linktype: int, *, name: str | None = None, nanosecond: bool = False,
                      snaplen: int = 262144, **link) -> int:
        """Add an interface; returns its id for :meth:`write`. Link options as :func:`link_frame`."""
        opts = self._option(2, name.encode()) if name else b""              # if_name
        opts += self._option(9, bytes([9 if nanosecond else 6]))              # if_tsresol
        body = struct.pack(self._e + "HHI", linktype, 0, snaplen) + opts + self._option(0, b"")
        self._block(1, body)
        self.interfaces.append((linktype, nanosecond, snaplen, link))
        return len(self.interfaces) - 1

    def _record(self, ts_ns: int, frame: bytes, interface: int) -> bytes:
        _lt, ns, snaplen, _link = self.interfaces[interface]
        ts = ts_ns if ns else ts_ns // 1000
        cap = frame[:snaplen]
        pad = b"\0" * (-len(cap) % 4)
        total = 32 + len(cap) + len(pad)
        return struct.pack(self._e + "IIIIIII", 6, total, interface, ts >> 32, ts & 0xFFFFFFFF,
                           len(cap), len(frame)) + cap + pad + struct.pack(self._e + "I", total)

    def write(self, ts_ns: int, frame: bytes, interface: int = 0, *, origlen: int | None = None,
              comment: str | None = None) -> None:
        """One packet. With `origlen` the frame is a record as captured (kept whole, its original
        length as given: chrtool extract); `comment` becomes its opt_comment."""
        if origlen is None and comment is None:
            self._f.write(self._record(ts_ns, frame, interface))
        else:
            _lt, ns, _snap, _link = self.interfaces[interface]
            ts = (ts_ns if ns else ts_ns // 1000) & 0xFFFFFFFFFFFFFFFF
            opts = (self._option(1, comment.encode()) + self._option(0, b"")) if comment else b""
            body = struct.pack(self._e + "IIIII", interface, ts >> 32, ts & 0xFFFFFFFF, len(frame),
                               len(frame) if origlen is None else origlen)
            self._block(6, body + frame + b"\0" * (-len(frame) % 4) + opts)
        self.count += 1

    def write_many(self, records: Iterable[tuple], interface: int = 0) -> None:
        """Write (ts_ns, frame) or (ts_ns, frame, interface) tuples (the fast path)."""
        write, record = self._f.write, self._record
        n = 0
        for rec in records:
            write(record(rec[0], rec[1], rec[2] if len(rec) > 2 else interface))
            n += 1
        self.count += n

    def write_packet(self, ts_ns: int, packet: bytes, interface: int = 0, **link) -> None:
        """Write an IP packet inside the link layer of ``interface``."""
        linktype, _ns, _snap, ilink = self.interfaces[interface]
        self.write(ts_ns, link_frame(linktype, packet, big_endian=self.big_endian,
                                     **{**ilink, **link}), interface)


def write_pcap(target, packets: Iterable[tuple[int, bytes]], linktype: int = LINKTYPE_ETHERNET,
               *, pcapng: bool = False, **kw) -> int:
    """Write (ts_ns, IP packet) pairs to a capture in one call; returns the number of frames."""
    writer_cls = PcapngWriter if pcapng else PcapWriter
    link = {k: kw.pop(k) for k in ("vlans", "src_mac", "dst_mac", "outbound", "ifindex") if k in kw}
    with writer_cls(target, linktype, **kw, **link) as w:
        for ts, pkt in packets:
            w.write_packet(ts, pkt)
        return w.count

