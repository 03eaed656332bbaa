"""chrtool extract: the subscriber's own packets as captured, checked against tshark.

Every frame of the written capture must be byte-identical (and at the same time, with the same
link type) to the source frame its sidecar names, as tshark reads both; the frames must be
exactly those of `chrtool timeline --format json` for the subscriber, in time order. Inputs:
open5gs captures (pcapng, Linux SLL and BSD loopback), the shipped sample (pcap, Ethernet), a
simulated night with rotated files, two probes and CHR (pcapng, Ethernet), and a big-endian ns
pcap in which one SCTP packet bundles two subscribers' messages.
"""
import csv
import json
import struct
import subprocess

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from oracle import CAPTURES, SAMPLES

OPEN5GS = CAPTURES / "open5gs"


def cli(*args, status=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == status, result.output
    return result


def tshark_frames(tshark, path):
    """{frame number: (time_epoch, encap_type, raw bytes)} of every frame, as tshark reads them."""
    out = subprocess.run([tshark.path, "-r", str(path), "-T", "json", "-x", "-j", "frame"],
                         capture_output=True, text=True, check=True).stdout
    frames = {}
    for p in json.loads(out or "[]"):
        layers = p["_source"]["layers"]
        f = layers["frame"]
        frames[int(f["frame.number"])] = (f["frame.time_epoch"], f["frame.encap_type"],
                                          bytes.fromhex(layers["frame_raw"][0]))
    return frames


def sidecar(path):
    with open(str(path) + ".frames.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def timeline_frames(imsi, inputs):
    doc = json.loads(cli("timeline", "--imsi", imsi, "--format", "json", *inputs).stdout)
    return {(m["file"], m["frame"]) for m in doc["messages"]}


def capture_files(inputs):
    from chrtool.inputs.sources import classify, expand
    return {s.path for s in classify(expand([str(i) for i in inputs]))[0] if s.kind == "capture"}


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """A simulated night: each probe's capture rotated into 3 files, two probes, CHR."""
    pytest.importorskip("pycrate_asn1rt")
    out = tmp_path_factory.mktemp("night")
    cli("simulate", "-o", out, "--seed", 11, "--ues", 20, "--files", 3)
    return out


def check_extract(tshark, tmp_path, imsi, inputs):
    """Extract, then check the capture against the sources and the timeline; the sidecar."""
    out = tmp_path / "ue.pcapng"
    cli("extract", "--imsi", imsi, "-o", out, *inputs)
    rows = sidecar(out)
    want = timeline_frames(imsi, inputs)
    captures = capture_files(inputs)
    assert want, "the subscriber has no messages: the test would prove nothing"
    assert {(r["file"], int(r["source_frame"])) for r in rows} == want
    packets = [r for r in rows if r["frame"]]
    assert {(r["file"], int(r["source_frame"])) for r in packets} == \
        {(f, n) for f, n in want if f in captures}
    assert all("not extractable" in r["note"] for r in rows if not r["frame"])
    assert [int(r["frame"]) for r in packets] == list(range(1, len(packets) + 1))
    # time order, ties by input (the run's order) then frame
    order = {f: i for i, f in enumerate(dict.fromkeys(r["file"] for r in rows))}
    keys = [(r["time"], order[r["file"]], int(r["source_frame"])) for r in rows]
    assert keys == sorted(keys)
    written = tshark_frames(tshark, out)
    assert sorted(written) == [int(r["frame"]) for r in packets]
    sources = {f: tshark_frames(tshark, f) for f in {r["file"] for r in packets}}
    for r in packets:
        assert written[int(r["frame"])] == sources[r["file"]][int(r["source_frame"])], r
    times = [float(written[n][0]) for n in sorted(written)]
    assert times == sorted(times)
    return rows, written


@pytest.mark.parametrize("imsi,inputs", [
    ("001010000000002", [OPEN5GS / "testcups_19b93606.pcapng", OPEN5GS / "testepc_48bfe83c.pcapng"]),
    ("901707364000060", [OPEN5GS / "testattach.pcapng"]),
    ("001010000000002", [SAMPLES / "attach_reject.pcap"]),
], ids=["sll-and-loopback-pcapng", "sll-pcapng", "ethernet-pcap"])
def test_the_capture_holds_exactly_the_timelines_frames_as_captured(tshark, tmp_path, imsi, inputs):
    _, written = check_extract(tshark, tmp_path, imsi, inputs)
    if len(inputs) == 2:                    # both link types kept, one interface each
        assert {w[1] for w in written.values()} == {"25", "15"}


def test_a_night_with_rotated_files_two_probes_and_chr(tshark, tmp_path, night):
    imsi = "001010000000019"                 # rlf-coverage: attach, CHR radio records, release
    rows, written = check_extract(tshark, tmp_path, imsi, [night])
    files = {r["file"] for r in rows if r["frame"]}
    chr_rows = [r for r in rows if not r["frame"]]
    assert chr_rows and all(r["file"].endswith(".chr") for r in chr_rows)
    # the second probe's copies are named, not written: the other probe's packet, same IP bytes
    copied = [r for r in rows if r["copies"]]
    assert copied
    probe_b = {}
    for r in copied:
        for copy in r["copies"].split(";"):
            f, n = copy.rsplit("#", 1)
            assert f not in files or int(n) != int(r["source_frame"])
            frames = probe_b.setdefault(f, tshark_frames(tshark, f))
            assert frames[int(n)][2][14:] == written[int(r["frame"])][2][14:]   # IP and up
    assert len(written) == len(rows) - len(chr_rows)
    # by MSISDN (which the S6a data carries) the same subscriber, the same bytes
    by_msisdn = tmp_path / "m.pcapng"
    cli("extract", "--msisdn", "+86 139 0000 0019", "-o", by_msisdn, night)
    assert by_msisdn.read_bytes() == (tmp_path / "ue.pcapng").read_bytes()


def test_every_simulated_subscriber_gets_its_timelines_frames(tmp_path, night):
    """No oracle here, only the contract: for each subscriber the sidecar and the timeline
    name the same messages (tshark compares the bytes in the tests above)."""
    truth = json.loads((night / "truth.json").read_text())
    for ue in truth["ues"][:8]:
        out = tmp_path / f"{ue['imsi']}.pcapng"
        cli("extract", "--imsi", ue["imsi"], "-o", out, night)
        rows = sidecar(out)
        assert {(r["file"], int(r["source_frame"])) for r in rows} == \
            timeline_frames(ue["imsi"], [night]), ue


# --------------------------------------------------------- a packet of two subscribers
def _epbs(path):
    """(ts_ns, frame bytes) of every EPB of a little-endian pcapng with if_tsresol 9 or 6."""
    data = path.read_bytes()
    pos, out, units = 0, [], []
    while pos < len(data):
        btype, blen = struct.unpack_from("<II", data, pos)
        if btype == 1:
            opts, res = data[pos + 16:pos + blen - 4], 6
            o = 0
            while o + 4 <= len(opts):
                code, olen = struct.unpack_from("<HH", opts, o)
                if code == 0:
                    break
                if code == 9:
                    res = opts[o + 4]
                o += 4 + ((olen + 3) & ~3)
            units.append(10 ** (9 - res))
        elif btype == 6:
            iface, hi, lo, caplen = struct.unpack_from("<IIII", data, pos + 8)
            out.append(((hi << 32 | lo) * units[iface], data[pos + 28:pos + 28 + caplen]))
        pos += blen
    return out


def _sctp(frame):
    """(IP header fields, SCTP ports and tag, [chunks]) of an Ethernet/IPv4/SCTP frame."""
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 132:
        return None
    sctp = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
    chunks, o = [], 12
    while o + 4 <= len(sctp):
        n = struct.unpack("!H", sctp[o + 2:o + 4])[0]
        chunks.append(sctp[o:o + n + (-n % 4)])
        o += n + (-n % 4)
    return ip[12:16], ip[16:20], struct.unpack("!HHI", sctp[:8]), chunks


def test_a_packet_carrying_two_subscribers_is_kept_whole_and_noted(tshark, tmp_path, night):
    """Move one subscriber's S6a request (a DATA chunk) into an earlier packet of the same
    association that carries another subscriber's message: the packet then holds both, and each
    subscriber's capture has it whole, naming the other."""
    from chrtool.simulate.pcap_writer import PcapWriter, ipv4, sctp_packet
    src = night / "capture" / "probe-a-0001.pcapng"
    procs = tmp_path / "p.jsonl"
    cli("procedures", "-o", procs, src)
    owner, msgs = {}, {}
    for line in procs.read_text().splitlines():
        p = json.loads(line)
        for f in p["frames"]:
            if p["imsi"]:
                owner.setdefault(f["frame"], p["imsi"])
                msgs[f["frame"]] = f["msg"]
    packets = _epbs(src)
    parsed = [_sctp(f) for _, f in packets]
    # b: an S6a request, which names its IMSI and so links wherever it sits; a: an earlier
    # packet of another subscriber on the same association and in the same direction
    pair = None
    for b in range(1, len(packets)):
        pb = parsed[b]
        if not pb or msgs.get(b + 1) not in ("Authentication-Information-Request",
                                             "Update-Location-Request"):
            continue
        for a in range(b - 1, -1, -1):
            pa = parsed[a]
            if pa and pa[:3] == pb[:3] and a + 1 in owner and owner[a + 1] != owner[b + 1] \
                    and any(c[0] == 0 for c in pa[3]):
                pair = a, b
                break
        if pair:
            break
    assert pair, "no two subscribers' packets on one association in the simulation"
    a, b = pair
    sa, da, (sport, dport, vtag), chunks = parsed[a]
    merged_ip = ipv4(sa, da, 132, sctp_packet(sport, dport, vtag, chunks + [
        c for c in parsed[b][3] if c[0] == 0]))
    merged = packets[a][1][:14] + merged_ip
    bundled = tmp_path / "bundled.pcap"
    with PcapWriter(str(bundled), nanosecond=True, big_endian=True) as w:
        for i, (ts, frame) in enumerate(packets):
            if i != b:
                w.write(ts, merged if i == a else frame)
    x, y = owner[a + 1], owner[b + 1]
    for me, other in ((x, y), (y, x)):
        out = tmp_path / f"{me}.pcapng"
        cli("extract", "--imsi", me, "-o", out, bundled)
        rows = sidecar(out)
        (row,) = [r for r in rows if int(r["source_frame"]) == a + 1]
        assert other in row["other_subscribers"].split(";") and "bundled" in row["note"]
        written = tshark_frames(tshark, out)
        assert written[int(row["frame"])][2] == merged
        assert {(r["file"], int(r["source_frame"])) for r in rows} == \
            timeline_frames(me, [bundled])
    lonely = [r for r in sidecar(tmp_path / f"{x}.pcapng") if int(r["source_frame"]) != a + 1]
    assert not any(r["other_subscribers"] for r in lonely)


# --------------------------------------------------------- errors
def test_a_subscriber_not_in_the_inputs_gets_an_empty_capture_and_a_note(tshark, tmp_path):
    out = tmp_path / "none.pcapng"
    result = cli("extract", "--imsi", "001019999999999", "-o", out, SAMPLES / "attach_reject.pcap")
    assert "no message of IMSI 001019999999999" in result.stderr
    assert tshark_frames(tshark, out) == {}
    assert sidecar(out) == []


@pytest.mark.parametrize("args", [
    ["--imsi", "001010000000002"],                                       # no -o
    ["--imsi", "0010x", "-o", "x.pcapng"],
    ["--imsi", "001010000000002", "--msisdn", "123456", "-o", "x.pcapng"],
])
def test_usage_errors_exit_2_and_write_nothing(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = cli("extract", *args, SAMPLES / "attach_reject.pcap", status=2)
    assert result.stderr.startswith("chrtool: error: ") and len(result.stderr.splitlines()) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("out, words", [("no/such/x.pcapng", "directory does not exist"),
                                        ("/dev/full", "disk is full")])
def test_an_output_it_cannot_write_is_a_one_line_error(tmp_path, out, words):
    out = out if out.startswith("/") else tmp_path / out
    result = cli("extract", "--imsi", "001010000000002", "-o", out, SAMPLES / "attach_reject.pcap",
                 status=1)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"chrtool: error: cannot write {out}: ") and words in line
    assert ".part" not in line                  # the temporary name is no business of the user's


def test_help():
    result = cli("extract", "--help")
    assert "frames.csv" in result.output and "--imsi" in result.output
