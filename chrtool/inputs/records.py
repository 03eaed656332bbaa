"""Capture records by byte offset: the packets as captured, for `chrtool extract`.

Every capture row carries `src_offset`, the byte offset (in the decompressed file) of the pcap
record header or pcapng block that held its packet. Reading a frame back is then a seek and a
read, with no decoding: classic pcap records are read directly; pcapng needs the Interface
Description Blocks of the packet's section, so the file is walked block header by block header
(8 bytes each, never the packet data) up to the last wanted offset.
"""
import struct
from dataclasses import dataclass

from chrtool.inputs.sources import open_binary

BT_SHB, BT_IDB, BT_OPB, BT_SPB, BT_EPB = 0x0A0D0D0A, 1, 2, 3, 6
# pcap magic (as read little-endian) -> (big-endian, ns per timestamp unit, record header length)
PCAP_MAGIC = {0xA1B2C3D4: (False, 1000, 16), 0xD4C3B2A1: (True, 1000, 16),
              0xA1B23C4D: (False, 1, 16), 0x4D3CB2A1: (True, 1, 16),
              0xA1B2CD34: (False, 1000, 24), 0x34CDB2A1: (True, 1000, 24)}
WALK_CHUNK = 1 << 20


@dataclass
class Record:
    """One captured packet: where it was, its link type and snaplen, time and bytes."""
    offset: int
    linktype: int
    snaplen: int
    ts_ns: int
    origlen: int
    data: bytes


@dataclass
class _Iface:
    linktype: int
    snaplen: int
    units: int = 1000000        # timestamp units per second (if_tsresol)
    tsoffset: int = 0           # seconds (if_tsoffset)


def read_records(source, offsets):
    """{offset: Record} for the packet records at these byte offsets of a capture source; an
    offset that holds no packet record (damage, an interface never described) is left out."""
    wanted = sorted(set(int(o) for o in offsets))
    if not wanted:
        return {}
    with open_binary(source) as fh:
        head = fh.read(4)
        if len(head) < 4:
            return {}
        magic = struct.unpack("<I", head)[0]
        if magic == BT_SHB:
            return _pcapng(fh, wanted)
        if magic in PCAP_MAGIC:
            return _pcap(fh, wanted, *PCAP_MAGIC[magic])
    return {}


def _pcap(fh, wanted, big, scale, hdr_len):
    e = ">" if big else "<"
    fh.seek(0)
    header = fh.read(24)
    if len(header) < 24:
        return {}
    snaplen, linktype = struct.unpack(e + "II", header[16:24])
    out = {}
    for off in wanted:
        fh.seek(off)
        h = fh.read(hdr_len)
        if len(h) < hdr_len:
            continue
        sec, frac, caplen, origlen = struct.unpack(e + "IIII", h[:16])
        data = fh.read(caplen)
        if len(data) < caplen:
            continue
        # the low 16 bits are the link type; the upper ones FCS details (as the reader reads it)
        out[off] = Record(off, linktype & 0xFFFF, snaplen, sec * 10**9 + frac * scale, origlen, data)
    return out


def _units(value):
    """if_tsresol: 2^-n when the top bit is set, else 10^-n; units per second."""
    return 1 << (value & 0x7F) if value & 0x80 else 10 ** value


def _idb(block, e):
    linktype, snaplen = struct.unpack(e + "HxxI", block[8:16])
    iface = _Iface(linktype, snaplen)
    o, end = 16, len(block) - 4
    while o + 4 <= end:
        code, olen = struct.unpack(e + "HH", block[o:o + 4])
        if code == 0 or o + 4 + olen > end:
            break
        if code == 9 and olen >= 1 and (block[o + 4] & 0x7F) <= 63 and \
                (block[o + 4] & 0x80 or block[o + 4] <= 19):
            iface.units = _units(block[o + 4])
        elif code == 14 and olen >= 8:
            iface.tsoffset = struct.unpack(e + "q", block[o + 4:o + 12])[0]
        o += 4 + ((olen + 3) & ~3)
    return iface


def _ns(ts, iface):
    """A pcapng timestamp in ns since the epoch, as chrtool's capture reader computes it."""
    units = iface.units
    if units == 10**9:
        ns = ts
    elif units == 10**6:
        ns = ts * 1000
    else:
        ns = (ts // units) * 10**9 + (ts % units) * 10**9 // units
    return ns + iface.tsoffset * 10**9


def _pcapng(fh, wanted):
    """Walk block headers from the start; read IDBs and the wanted packet blocks whole. The
    file is read in large chunks and the headers parsed in place (no read call per block)."""
    out, ifaces, e = {}, [], "<"
    pos, i, last = 0, 0, wanted[-1]
    buf, base = b"", 0                 # buf holds the file's bytes from offset base on

    def at(pos, n):
        """buf and the index of pos in it, with at least n bytes there (fewer at the end)."""
        nonlocal buf, base
        if pos < base or pos + n > base + len(buf):
            fh.seek(pos)
            buf, base = fh.read(max(n, WALK_CHUNK)), pos
        return pos - base

    while pos <= last and i < len(wanted):
        if wanted[i] < pos:            # the walk skipped it (damage before it): go there
            pos = wanted[i]
        o = at(pos, 12)
        if len(buf) - o < 12:
            break
        btype = struct.unpack_from("<I", buf, o)[0]
        if btype == BT_SHB:
            e = ">" if buf[o + 8:o + 12] == b"\x1a\x2b\x3c\x4d" else "<"
            ifaces = []
        btype, blen = struct.unpack_from(e + "II", buf, o)
        if blen < 12 or blen & 3:
            # damage: the reader resynchronised after it; the next wanted block is known good
            pos = wanted[i] if wanted[i] > pos else pos + 4
            continue
        if btype == BT_IDB or pos == wanted[i]:
            o = at(pos, blen)
            block = buf[o:o + blen]
            if btype == BT_IDB:
                ifaces.append(_idb(block, e))
            else:
                i += 1
                rec = _packet(block, btype, e, ifaces, pos)
                if rec is not None:
                    out[pos] = rec
        pos += blen
    return out


def _packet(block, btype, e, ifaces, pos):
    if btype in (BT_EPB, BT_OPB) and len(block) >= 32:
        if btype == BT_EPB:
            iface = struct.unpack(e + "I", block[8:12])[0]
        else:
            iface = struct.unpack(e + "H", block[8:10])[0]
        hi, lo, caplen, origlen = struct.unpack(e + "IIII", block[12:28])
        caplen = min(caplen, len(block) - 32)
        if iface >= len(ifaces):
            return None
        it = ifaces[iface]
        return Record(pos, it.linktype, it.snaplen, _ns(hi << 32 | lo, it), origlen,
                      block[28:28 + caplen])
    if btype == BT_SPB and len(block) >= 16 and ifaces:
        it = ifaces[0]
        origlen = struct.unpack(e + "I", block[8:12])[0]
        caplen = min(len(block) - 16, origlen)
        if 0 < it.snaplen < caplen:
            caplen = it.snaplen
        return Record(pos, it.linktype, it.snaplen, 0, origlen, block[12:12 + caplen])
    return None
