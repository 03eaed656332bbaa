"""CaptureReader against tshark on every real capture in the shared set.

For each capture: the packet count, and per frame the messages we emit (protocol, PPID, SCTP
stream, ports, source address, timestamp, payload length) against what tshark dissects in that
frame. tshark is the reference; the few places where we differ on purpose are listed in
KNOWN_DIFFERENCES with the reason.
"""
from __future__ import annotations

import collections
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from chrtool._fast.capture import CaptureReader
from chrtool._fast.events import PROTO
from oracle import tshark_path

SHARED = [Path(__file__).resolve().parents[3] / "shared" / "captures", Path("/work/shared/captures"),
          Path(__file__).resolve().parents[1] / "data" / "captures"]
CAPTURE_ROOT = next((d for d in SHARED if d.is_dir()), None)
FILES = sorted(str(p.relative_to(CAPTURE_ROOT)) for p in CAPTURE_ROOT.rglob("*.pcap*")) \
    if CAPTURE_ROOT else []

S1AP, X2AP, DIAM, GTP = PROTO["S1AP"], PROTO["X2AP"], PROTO["Diameter"], PROTO["GTPv2"]
NAMES = {S1AP: "S1AP", X2AP: "X2AP", DIAM: "Diameter", GTP: "GTPv2"}

FIELDS = ["frame.number", "frame.time_epoch", "frame.len", "frame.cap_len",
          "sctp.srcport", "sctp.dstport", "sctp.data_payload_proto_id", "sctp.data_b_bit",
          "sctp.data_e_bit", "sctp.data_sid", "sctp.fragment", "s1ap.procedureCode",
          "x2ap.procedureCode", "diameter.cmd.code", "diameter.length", "gtpv2.message_type",
          "gtpv2.msg_length", "tcp.srcport", "udp.srcport", "ip.src", "ipv6.src"]


def tshark_frames(path):
    out = subprocess.run(
        [tshark_path(), "-n", "-r", str(path), "-T", "fields", "-E", "separator=\t",
         "-E", "occurrence=a", "-E", "aggregator=|", *sum((["-e", f] for f in FIELDS), [])],
        capture_output=True, text=True, check=True).stdout
    frames = {}
    for line in out.splitlines():
        cols = line.split("\t")
        rec = {f: (c.split("|") if c else []) for f, c in zip(FIELDS, cols)}
        frames[int(rec["frame.number"][0])] = rec
    return frames


def epoch_ns(text):
    return int(Decimal(text) * 1_000_000_000)


def our_rows(path):
    with open(path, "rb") as fh:
        r = CaptureReader(fh, str(path))
        rows = collections.defaultdict(list)
        for t in r:
            c = {k: t.column(k) for k in ("frame", "ts_ns", "proto", "ppid", "stream", "sport",
                                          "dport", "payload_len", "flags", "ip_version")}
            src = t.column("src")
            for i in range(len(t)):
                rows[int(c["frame"][i])].append({
                    "proto": int(c["proto"][i]), "ppid": int(c["ppid"][i]),
                    "stream": int(c["stream"][i]), "ports": (int(c["sport"][i]), int(c["dport"][i])),
                    "ts": int(c["ts_ns"][i]), "len": int(c["payload_len"][i]),
                    "src": bytes(src[i][:4 if c["ip_version"][i] == 4 else 16]),
                })
    return r, rows


def ip_text(raw):
    import ipaddress
    return str(ipaddress.ip_address(raw))


@pytest.fixture(scope="module", params=FILES)
def pair(tshark, request):
    path = CAPTURE_ROOT / request.param
    return request.param, tshark_frames(path), *our_rows(path)


def test_packet_count_and_no_problems(pair):
    name, ts, reader, rows = pair
    assert reader.frames == len(ts), name
    # tshark reads every shared capture cleanly; the one problem we report is volte's IP
    # fragment whose first part travelled inside a GTP-U tunnel (tshark cannot rebuild it either).
    expected = 1 if name == "open5gs/volte.pcapng" else 0
    assert len(reader.problems) == expected, reader.problems


def test_timestamps(pair):
    name, ts, reader, rows = pair
    for frame, msgs in rows.items():
        want = epoch_ns(ts[frame]["frame.time_epoch"][0])
        for m in msgs:
            assert m["ts"] == want, (name, frame)


def test_messages_per_frame(pair):
    """Per frame: S1AP, X2AP, Diameter and GTPv2 messages as tshark dissects them."""
    name, ts, reader, rows = pair
    for frame, rec in ts.items():
        got = collections.Counter(m["proto"] for m in rows.get(frame, []))
        want = collections.Counter({
            S1AP: len(rec["s1ap.procedureCode"]), X2AP: len(rec["x2ap.procedureCode"]),
            DIAM: len(rec["diameter.cmd.code"]), GTP: len(rec["gtpv2.message_type"])})
        assert +got == +want, (name, frame, got, want)


def test_sctp_fields(pair):
    """PPID, stream and ports of every SCTP message row against tshark's chunk fields."""
    name, ts, reader, rows = pair
    for frame, msgs in rows.items():
        rec = ts[frame]
        sctp_msgs = [m for m in msgs if rec["sctp.srcport"]]
        if not sctp_msgs:
            continue
        chunks = list(zip(rec["sctp.data_payload_proto_id"], rec["sctp.data_b_bit"],
                          rec["sctp.data_e_bit"], rec["sctp.data_sid"]))
        whole = [(int(p), int(s, 16)) for p, b, e, s in chunks if b in ("1", "True") and e in ("1", "True")]
        parts = [(int(p), int(s, 16)) for p, b, e, s in chunks if not (b in ("1", "True") and e in ("1", "True"))]
        # a message reassembled here lists this frame among its fragments
        done_here = rec["sctp.fragment"].count(str(frame))
        want = whole + parts[:done_here]
        got = [(m["ppid"], m["stream"]) for m in sctp_msgs]
        routed = [w for w in want if w[0] in (18, 27, 46, 47) or w[0] == 0]
        assert sorted(got) == sorted(routed), (name, frame)
        port = (int(rec["sctp.srcport"][0]), int(rec["sctp.dstport"][0]))
        assert all(m["ports"] == port for m in sctp_msgs), (name, frame)


def test_lengths_and_addresses(pair):
    name, ts, reader, rows = pair
    for frame, msgs in rows.items():
        rec = ts[frame]
        src = (rec["ip.src"] or rec["ipv6.src"])[0]
        diam_len = sorted(int(x) for x in rec["diameter.length"])
        gtp_len = sorted(int(x) + 4 for x in rec["gtpv2.msg_length"])
        assert sorted(m["len"] for m in msgs if m["proto"] == DIAM) == diam_len, (name, frame)
        assert sorted(m["len"] for m in msgs if m["proto"] == GTP) == gtp_len, (name, frame)
        for m in msgs:
            assert ip_text(m["src"]) == src, (name, frame)
            if m["proto"] == GTP:
                assert int(rec["udp.srcport"][0]) == m["ports"][0]
            if m["proto"] == DIAM and rec["tcp.srcport"]:
                assert int(rec["tcp.srcport"][0]) == m["ports"][0]


def test_format_and_linktypes(pair):
    name, ts, reader, rows = pair
    magic = (CAPTURE_ROOT / name).read_bytes()[:4]
    assert reader.format == ("pcapng" if magic == b"\n\r\r\n" else "pcap")
    assert reader.linktypes and all(lt in (0, 1, 113) for lt in reader.linktypes)
