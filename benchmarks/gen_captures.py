"""Generate large signalling captures for the capture benchmark (benchmarks/data/, git-ignored).

One "round" of signalling frames is built once (from the real captures in the shared set when they
are there, otherwise synthetic S1AP/GTPv2/Diameter frames from chrtool.simulate.pcap_writer), then
written again and again with what must change between copies patched in place: record timestamps
move on, SCTP TSNs advance (so no copy looks like a retransmission), TCP sequence/ack numbers
continue the stream (so Diameter-over-TCP reassembles), S1AP/GTPv2 payload bytes are untouched.

    python benchmarks/gen_captures.py                 # benchmarks/data/capture-100M.pcap
    python benchmarks/gen_captures.py --size 1G       # ... and the 1 GB one
    python benchmarks/gen_captures.py --pcapng        # pcapng instead of classic pcap
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from chrtool.simulate import pcap_writer as pw  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
SHARED = [ROOT.parent / "shared" / "captures", Path("/work/shared/captures")]
TEMPLATES = ["open5gs/testcups_19b93606.pcapng", "open5gs/testepc_48bfe83c.pcapng",
             "open5gs/testattach.pcapng", "magma/inbound_roaming_05_210504_215514-1.pcapng"]


def parse_size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1], 1)
    return int(float(text.rstrip("KMG")) * mult)


def ip_packets_from(path: Path):
    """(ts_ns, IP packet) of the signalling packets of a capture, via dpkt (any link type)."""
    import dpkt
    with open(path, "rb") as f:
        magic = f.read(4)
        f.seek(0)
        reader = dpkt.pcapng.Reader(f) if magic == b"\n\r\r\n" else dpkt.pcap.Reader(f)
        lt = reader.datalink()
        for ts, buf in reader:
            if lt == 1:
                eth = dpkt.ethernet.Ethernet(buf)
                pkt = bytes(eth.data) if isinstance(eth.data, (dpkt.ip.IP, dpkt.ip6.IP6)) else None
            elif lt == 113:
                pkt = buf[16:] if buf[14:16] in (b"\x08\x00", b"\x86\xdd") else None
            elif lt == 0:
                pkt = buf[4:]
            else:
                pkt = None
            if not pkt or pkt[0] >> 4 != 4:
                continue
            ihl = (pkt[0] & 15) * 4
            proto, l4 = pkt[9], pkt[ihl:]
            if struct.unpack_from("!H", pkt, 6)[0] & 0x3FFF:
                continue                                   # keep the template fragment-free
            if proto == 132:
                yield int(ts * 1e9), pkt
            elif proto == 17 and len(l4) >= 8 and 2123 in struct.unpack_from("!HH", l4):
                yield int(ts * 1e9), pkt
            elif proto == 6 and len(l4) >= 20 and 3868 in struct.unpack_from("!HH", l4):
                if l4[13] & 0x07 == 0:                     # no SYN/FIN/RST: the stream continues
                    yield int(ts * 1e9), pkt


def synthetic_packets():
    """A synthetic round when the shared captures are not there: S1AP, GTPv2-C, Diameter."""
    out, t = [], 0
    enb, mme, sgw, hss = "10.1.0.1", "10.2.0.1", "10.3.0.1", "10.4.0.1"
    assoc = pw.Association(enb, mme, tags=(11, 22), tsns=(1, 1))
    diam = pw.Association(mme, hss, 3868, 3868, ppid=46, tags=(33, 44), tsns=(1, 1))
    tcp = pw.TcpConnection(mme, hss, 40000, 3868, isn=(1000, 2000))
    for i in range(200):
        body = bytes((i + k) & 255 for k in range(40 + i % 120))
        for p in assoc.send(i % 2, [bytes([0, 12, 0x40]) + body], stream=1 + i % 3):
            out.append((t, p)); t += 1_000_000
        g = struct.pack("!BBHI", 0x48, 32 + (i % 2), len(body) + 8, i) + b"\0\0\0\0" + body
        out.append((t, pw.udp_packet(mme, sgw, 2123, 2123, g))); t += 1_000_000
        d = struct.pack("!B3sB3sIII", 1, (20 + len(body) // 4 * 4).to_bytes(3, "big"), 0x80,
                        (318).to_bytes(3, "big"), 16777251, i, i) + body[:len(body) // 4 * 4]
        for p in diam.send(0, [d]):
            out.append((t, p)); t += 1_000_000
        for p in tcp.send(0, d):
            out.append((t, p)); t += 1_000_000
    return out


def template():
    """(list of (ts offset ns, Ethernet frame), patch tables) for one round."""
    packets = []
    base = None
    for d in SHARED:
        if (d / TEMPLATES[0]).exists():
            t_off = 0
            for rel in TEMPLATES:
                p = d / rel
                if not p.exists():
                    continue
                pk = list(ip_packets_from(p))
                if not pk:
                    continue
                t0 = pk[0][0]
                packets += [(t_off + ts - t0, ip) for ts, ip in pk]
                t_off += pk[-1][0] - t0 + 1_000_000
            base = "shared captures: " + ", ".join(TEMPLATES)
            break
    if not packets:
        packets = synthetic_packets()
        base = "synthetic (chrtool.simulate.pcap_writer)"
    frames, tsn_fields, tcp_fields = [], [], []
    flow_bytes: dict = {}
    for ts, ip in packets:
        frame = pw.link_frame(pw.LINKTYPE_ETHERNET, ip)
        ihl = (ip[0] & 15) * 4
        l4 = 14 + ihl
        if ip[9] == 132:
            off = 12
            while off + 16 <= len(ip) - ihl:
                clen = struct.unpack_from("!H", ip, ihl + off + 2)[0]
                if clen < 4:
                    break
                if ip[ihl + off] == 0:
                    tsn_fields.append((len(frames), l4 + off + 4))
                off += (clen + 3) & ~3
        elif ip[9] == 6:
            sport, dport = struct.unpack_from("!HH", ip, ihl)
            doff = (ip[ihl + 12] >> 4) * 4
            key = (ip[12:16], ip[16:20], sport, dport)
            flow_bytes[key] = flow_bytes.get(key, 0) + len(ip) - ihl - doff
            tcp_fields.append((len(frames), l4 + 4, key, l4 + 8, (ip[16:20], ip[12:16], dport, sport)))
        frames.append((ts, frame))
    return frames, tsn_fields, tcp_fields, flow_bytes, base


def generate(path: Path, size: int, pcapng: bool = False, start_ns: int = 1_700_000_000_000_000_000):
    frames, tsn_fields, tcp_fields, flow_bytes, base = template()
    span = frames[-1][0] + 1_000_000
    # one round as a byte buffer, with the offsets of what changes between rounds
    parts, rec_at, ts_at = [], [], []
    off = 0
    for ts, frame in frames:
        if pcapng:
            pad = b"\0" * (-len(frame) % 4)
            total = 32 + len(frame) + len(pad)
            rec = struct.pack("<IIIIIII", 6, total, 0, 0, 0, len(frame), len(frame)) + frame + pad + \
                struct.pack("<I", total)
            ts_at.append(off + 12)
            rec_at.append(off + 28)
        else:
            rec = struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame
            ts_at.append(off)
            rec_at.append(off + 16)
        parts.append(rec)
        off += len(rec)
    round_buf = np.frombuffer(b"".join(parts), dtype=np.uint8).copy()
    rel_ts = np.array([ts for ts, _ in frames], dtype=np.int64)
    ts_pos = np.array(ts_at, dtype=np.int64)
    tsn_pos = np.array([rec_at[i] + o for i, o in tsn_fields], dtype=np.int64)
    tsn_base = np.array([int.from_bytes(round_buf[p:p + 4].tobytes(), "big") for p in tsn_pos],
                        dtype=np.uint64)
    seq_pos = np.array([rec_at[i] + o for i, o, *_ in tcp_fields], dtype=np.int64)
    ack_pos = np.array([rec_at[i] + o for i, _o, _k, o, _r in tcp_fields], dtype=np.int64)
    seq_base = np.array([int.from_bytes(round_buf[p:p + 4].tobytes(), "big") for p in seq_pos],
                        dtype=np.uint64)
    ack_base = np.array([int.from_bytes(round_buf[p:p + 4].tobytes(), "big") for p in ack_pos],
                        dtype=np.uint64)
    seq_step = np.array([flow_bytes.get(k, 0) for _i, _o, k, _a, _r in tcp_fields], dtype=np.uint64)
    ack_step = np.array([flow_bytes.get(r, 0) for _i, _o, _k, _a, r in tcp_fields], dtype=np.uint64)

    def put_be32(buf, pos, values):
        v = (values & 0xFFFFFFFF).astype(">u4").view(np.uint8).reshape(-1, 4)
        for k in range(4):
            buf[pos + k] = v[:, k]

    path.parent.mkdir(parents=True, exist_ok=True)
    rounds = max(1, -(-size // len(round_buf)))
    with open(path, "wb") as f:
        if pcapng:
            f.write(struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28))
            f.write(struct.pack("<IIHHI", 1, 32, 1, 0, 262144) +
                    struct.pack("<HHB3xHH", 9, 1, 9, 0, 0) + struct.pack("<I", 32))
        else:
            f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        written = 0
        for r in range(rounds):
            ts = start_ns + r * span + rel_ts
            if pcapng:
                hi, lo = (ts >> 32).astype("<u4"), (ts & 0xFFFFFFFF).astype("<u4")
                for k, arr in ((0, hi), (4, lo)):
                    v = arr.view(np.uint8).reshape(-1, 4)
                    for j in range(4):
                        round_buf[ts_pos + k + j] = v[:, j]
            else:
                sec = (ts // 1_000_000_000).astype("<u4").view(np.uint8).reshape(-1, 4)
                ns = (ts % 1_000_000_000).astype("<u4").view(np.uint8).reshape(-1, 4)
                for j in range(4):
                    round_buf[ts_pos + j] = sec[:, j]
                    round_buf[ts_pos + 4 + j] = ns[:, j]
            if len(tsn_pos):
                put_be32(round_buf, tsn_pos, tsn_base + np.uint64(r * 100_000))
            if len(seq_pos):
                put_be32(round_buf, seq_pos, seq_base + np.uint64(r) * seq_step)
                put_be32(round_buf, ack_pos, ack_base + np.uint64(r) * ack_step)
            f.write(round_buf.data)
            written += len(round_buf)
    return {"path": str(path), "bytes": os.path.getsize(path), "frames": rounds * len(frames),
            "rounds": rounds, "template": base, "format": "pcapng" if pcapng else "pcap"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", action="append", help="100M (default), 1G, ...; may repeat")
    ap.add_argument("--pcapng", action="store_true")
    ap.add_argument("-o", "--out-dir", default=str(DATA))
    args = ap.parse_args(argv)
    for size in args.size or ["100M"]:
        name = f"capture-{size}.{'pcapng' if args.pcapng else 'pcap'}"
        info = generate(Path(args.out_dir) / name, parse_size(size), args.pcapng)
        print(info)


if __name__ == "__main__":
    main()
