"""Builders for the capture tests: file formats the shared writer does not cover (pcapng SPB/OPB,
power-of-2 if_tsresol, if_tsoffset, unknown blocks, sections of both byte orders, classic pcap
records with arbitrary caplen/origlen), and a reader helper that returns rows with payloads.

Packets (IP, fragments, SCTP, UDP, TCP, link layers) come from chrtool.simulate.pcap_writer.
"""
from __future__ import annotations

import io
import struct

from chrtool._fast.capture import CaptureReader
from chrtool._fast.events import FLAGS, PROTO_NAMES


# ------------------------------------------------------------------------------- classic pcap

def pcap_header(linktype=1, big=False, ns=False, snaplen=262144, modified=False):
    e = ">" if big else "<"
    magic = 0xA1B2CD34 if modified else (0xA1B23C4D if ns else 0xA1B2C3D4)
    return struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(ts_ns, data, big=False, ns=False, origlen=None, caplen=None, modified=False):
    e = ">" if big else "<"
    sec, frac = divmod(ts_ns, 1_000_000_000)
    if not ns:
        frac //= 1000
    hdr = struct.pack(e + "IIII", sec, frac, len(data) if caplen is None else caplen,
                      len(data) if origlen is None else origlen)
    if modified:
        hdr += struct.pack(e + "IHBB", 1, 0x0800, 0, 0)
    return hdr + data


def pcap_file(records, linktype=1, big=False, ns=False, snaplen=262144, modified=False):
    """records: (ts_ns, frame) or (ts_ns, frame, origlen)."""
    out = [pcap_header(linktype, big, ns, snaplen, modified)]
    for r in records:
        out.append(pcap_record(r[0], r[1], big, ns, r[2] if len(r) > 2 else None, modified=modified))
    return b"".join(out)


# ------------------------------------------------------------------------------------- pcapng

def block(btype, body, big=False):
    e = ">" if big else "<"
    body += b"\0" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", total)


def option(code, value, big=False):
    e = ">" if big else "<"
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb(big=False):
    e = ">" if big else "<"
    return block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + option(0, b"", big), big)


def idb(linktype, big=False, snaplen=0, tsresol=None, tsoffset=None):
    e = ">" if big else "<"
    opts = b""
    if tsresol is not None:
        opts += option(9, bytes([tsresol]), big)
    if tsoffset is not None:
        opts += option(14, struct.pack(e + "q", tsoffset), big)
    if opts:
        opts += option(0, b"", big)
    return block(1, struct.pack(e + "HHI", linktype, 0, snaplen) + opts, big)


def units_of(tsresol):
    if tsresol is None:
        return 10 ** 6
    return 2 ** (tsresol & 0x7F) if tsresol & 0x80 else 10 ** tsresol


def to_units(ts_ns, tsresol):
    """Timestamp in interface units (floor), and the ns value a reader must give back."""
    u = units_of(tsresol)
    ts = ts_ns * u // 1_000_000_000
    back = ts // u * 1_000_000_000 + (ts % u) * 1_000_000_000 // u
    return ts, back


def epb(iface, ts_units, data, big=False, origlen=None, opts=b""):
    e = ">" if big else "<"
    body = struct.pack(e + "IIIII", iface, ts_units >> 32, ts_units & 0xFFFFFFFF, len(data),
                       len(data) if origlen is None else origlen)
    return block(6, body + data + b"\0" * (-len(data) % 4) + opts, big)


def opb(iface, ts_units, data, big=False, origlen=None):
    e = ">" if big else "<"
    body = struct.pack(e + "HHIIII", iface, 0, ts_units >> 32, ts_units & 0xFFFFFFFF, len(data),
                       len(data) if origlen is None else origlen)
    return block(2, body + data, big)


def spb(data, big=False, origlen=None):
    e = ">" if big else "<"
    return block(3, struct.pack(e + "I", len(data) if origlen is None else origlen) + data, big)


# ------------------------------------------------------------------------------------- reading

def read(data: bytes, **kw):
    """(reader, rows) for a capture in memory; each row a dict with its payload bytes."""
    r = CaptureReader(io.BytesIO(data), "<test>", **kw)
    rows = []
    for t in r:
        cols = {k: t.column(k) for k in ("frame", "ts_ns", "proto", "ppid", "stream", "sport",
                                         "dport", "flags", "ip_version", "src_offset")}
        src, dst = t.column("src"), t.column("dst")
        for i in range(len(t)):
            v = int(cols["ip_version"][i])
            alen = 4 if v == 4 else 16
            rows.append({
                "frame": int(cols["frame"][i]), "ts": int(cols["ts_ns"][i]),
                "proto": PROTO_NAMES.get(int(cols["proto"][i])), "ppid": int(cols["ppid"][i]),
                "stream": int(cols["stream"][i]), "sport": int(cols["sport"][i]),
                "dport": int(cols["dport"][i]), "flags": int(cols["flags"][i]),
                "ip_version": v, "src": bytes(src[i][:alen]), "dst": bytes(dst[i][:alen]),
                "offset": int(cols["src_offset"][i]), "payload": t.payload(i)})
    return r, rows


def flagged(row, name):
    return bool(row["flags"] & FLAGS[name])
