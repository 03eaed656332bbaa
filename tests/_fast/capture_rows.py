"""Test helper: captures -> EventTable rows with dpkt, independent of chrtool's capture reader.

Rows look like those chrtool/_fast/capture.pyx emits (proto, frame, addresses, ports, ppid,
payload in the data buffer): one per complete SCTP DATA chunk with PPID 18 (S1AP) or 46/47
(Diameter), per UDP 2123 payload (GTPv2-C) and per Diameter message in a TCP 3868 segment (split
by the Diameter length, as the capture layer does). Also where the shared captures live.
"""
from __future__ import annotations

import os
import socket
import struct
from pathlib import Path

import dpkt
import pytest

from chrtool._fast.events import PROTO, EventTable

ROOT = Path(__file__).resolve().parents[2]
CAPTURE_DIRS = [ROOT / "tests" / "data" / "captures", ROOT.parent / "shared" / "captures",
                Path("/work/shared/captures")]


def capture(rel: str) -> Path:
    """Path of a shared capture (e.g. 'open5gs/testattach.pcapng'); skip the test if absent."""
    for d in CAPTURE_DIRS:
        p = d / rel
        if p.exists():
            return p
    if os.environ.get("CI"):
        pytest.fail(f"capture {rel} not found in {CAPTURE_DIRS}")
    pytest.skip(f"capture {rel} not available")


def _reader(fh):
    try:
        return dpkt.pcapng.Reader(fh)
    except (ValueError, dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError):
        fh.seek(0)
        return dpkt.pcap.Reader(fh)


def _ip(link, buf):
    if link == 1:                               # Ethernet (VLAN tags are peeled by dpkt)
        eth = dpkt.ethernet.Ethernet(buf)
        return eth.data
    if link == 113:                             # Linux SLL
        return dpkt.sll.SLL(buf).data
    if link == 276:
        return dpkt.sll2.SLL2(buf).data
    if link in (101, 228, 229, 12, 14):
        return dpkt.ip.IP(buf) if buf[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
    if link == 0:                               # BSD loopback
        return dpkt.ip.IP(buf[4:]) if buf[4] >> 4 == 4 else dpkt.ip6.IP6(buf[4:])
    return None


def _addr(raw: bytes) -> bytes:
    return raw.ljust(16, b"\0")


def messages(path):
    """(frame, proto name, payload, src, dst, sport, dport, ppid) per message of a capture."""
    out = []
    with open(path, "rb") as fh:
        r = _reader(fh)
        link = r.datalink()
        for frame, (_ts, buf) in enumerate(r, 1):
            try:
                ip = _ip(link, buf)
            except (dpkt.dpkt.UnpackError, IndexError, struct.error):
                continue
            if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                continue
            if isinstance(ip, dpkt.ip.IP) and (ip.off & 0x3FFF):
                continue
            src, dst = _addr(ip.src), _addr(ip.dst)
            l4 = ip.data
            if isinstance(l4, dpkt.sctp.SCTP):
                for ch in l4.chunks:
                    if ch.type != 0 or len(ch.data) < 12 or (ch.flags & 3) != 3:
                        continue
                    ppid = struct.unpack(">I", ch.data[8:12])[0]
                    data = bytes(ch.data[12:])
                    ports = (l4.sport, l4.dport)
                    if ppid == 18 or (ppid == 0 and 36412 in ports):
                        out.append((frame, "S1AP", data, src, dst, l4.sport, l4.dport, ppid))
                    elif ppid in (46, 47) or (ppid == 0 and 3868 in ports):
                        out.append((frame, "Diameter", data, src, dst, l4.sport, l4.dport, ppid))
            elif isinstance(l4, dpkt.udp.UDP):
                if 2123 in (l4.sport, l4.dport) and len(l4.data) and l4.data[0] >> 5 == 2:
                    out.append((frame, "GTPv2", bytes(l4.data), src, dst, l4.sport, l4.dport, 0))
            elif isinstance(l4, dpkt.tcp.TCP):
                if 3868 in (l4.sport, l4.dport):
                    data = bytes(l4.data)
                    while len(data) >= 20 and data[0] == 1:
                        ln = int.from_bytes(data[1:4], "big")
                        if ln < 20 or ln > len(data):
                            break
                        out.append((frame, "Diameter", data[:ln], src, dst, l4.sport, l4.dport, 0))
                        data = data[ln:]
    return out


def table_of(msgs, protos=None) -> EventTable:
    """An EventTable holding `msgs` (as from messages()) as undecoded rows."""
    t = EventTable(capacity=max(16, len(msgs) * 2))
    for frame, proto, data, src, dst, sport, dport, ppid in msgs:
        if protos and proto not in protos:
            continue
        off = t.add_python_data(data)
        row = t.add_python_row(frame=frame, proto=PROTO[proto], payload_off=off,
                               payload_len=len(data), sport=sport, dport=dport, ppid=ppid,
                               ip_version=4 if src[4:] == bytes(12) else 6)
        t.cols["src"][row] = list(src)
        t.cols["dst"][row] = list(dst)
    return t


def raw_table(payloads, proto) -> EventTable:
    """An EventTable with one undecoded row of `proto` per payload (frame = 1-based index)."""
    t = EventTable(capacity=max(16, len(payloads) + 1))
    for i, data in enumerate(payloads, 1):
        off = t.add_python_data(data) if data else t.n_data
        t.add_python_row(frame=i, proto=PROTO[proto], payload_off=off, payload_len=len(data))
    return t


def ip_text(col_row) -> str:
    raw = bytes(col_row)
    return socket.inet_ntop(socket.AF_INET, raw[:4]) if raw[4:] == bytes(12) else \
        socket.inet_ntop(socket.AF_INET6, raw)
