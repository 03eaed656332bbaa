"""chrtool/inputs/records.py: every capture row's `src_offset` leads back to its packet record.

For every row of every shipped capture (pcap and pcapng, Ethernet, SLL, loopback, IPv4 and
IPv6, damaged ones too), the record at its offset must exist, carry the row's timestamp (the
reader's own ns conversion, if_tsoffset included) and be the frame tshark shows under the row's
frame number. Also gzip inputs, big-endian pcapng with µs and ns interfaces, and two sections.
"""
import gzip
import json
import subprocess

import pytest

from chrtool.inputs.pipeline import Run
from chrtool.inputs.records import read_records
from chrtool.inputs.sources import classify
from oracle import CAPTURES, SAMPLES

CAPS = sorted(p for p in CAPTURES.rglob("*") if p.suffix in (".pcap", ".pcapng")) + \
    [SAMPLES / "attach_reject.pcap"]


def rows_of(path):
    """(offset, ts_ns, frame) of every row, and the run's source."""
    run = Run([str(path)])
    seen = []
    for _, t in run.batches():
        c = t.cols
        seen += zip(c["src_offset"][:t.n].tolist(), c["ts_ns"][:t.n].tolist(),
                    c["frame"][:t.n].tolist())
    return run.sources[0], seen


def tshark_raw(tshark, path):
    out = subprocess.run([tshark.path, "-r", str(path), "-T", "json", "-x", "-j", "frame"],
                         capture_output=True, text=True, check=True).stdout
    return {int(p["_source"]["layers"]["frame"]["frame.number"]):
            bytes.fromhex(p["_source"]["layers"]["frame_raw"][0]) for p in json.loads(out or "[]")}


@pytest.mark.parametrize("path", CAPS, ids=lambda p: p.name)
def test_every_rows_offset_reads_back_its_frame(tshark, path):
    source, seen = rows_of(path)
    if not seen:
        pytest.skip("no rows")
    records = read_records(source, {o for o, _, _ in seen})
    raw = tshark_raw(tshark, path)
    for off, ts, frame in seen:
        rec = records[off]
        assert rec.ts_ns == ts, (frame, rec.ts_ns, ts)
        assert rec.data == raw[frame], frame


def test_gzip_big_endian_two_sections_and_time_units(tmp_path):
    pytest.importorskip("pycrate_asn1rt")
    from chrtool.simulate.pcap_writer import LINKTYPE_ETHERNET, PcapngWriter
    src = SAMPLES / "attach_reject.pcap"
    _, seen = rows_of(src)
    frames = read_records(classify([str(src)])[0][0], {o for o, _, _ in seen})
    recs = sorted(frames.values(), key=lambda r: r.offset)
    path = tmp_path / "two.pcapng.gz"
    # section 1: big-endian, a µs interface then an ns one; section 2 is another writer's bytes
    first = tmp_path / "a.pcapng"
    second = tmp_path / "b.pcapng"
    with PcapngWriter(str(first), None, big_endian=True) as w:
        w.add_interface(LINKTYPE_ETHERNET)
        w.add_interface(LINKTYPE_ETHERNET, nanosecond=True)
        for k, r in enumerate(recs[:6]):
            w.write(r.ts_ns + 123 * (k % 2), r.data, interface=k % 2)
    with PcapngWriter(str(second), LINKTYPE_ETHERNET, nanosecond=True) as w:
        for r in recs[6:]:
            w.write(r.ts_ns + 7, r.data)
    path.write_bytes(gzip.compress(first.read_bytes() + second.read_bytes()))
    source, rows = rows_of(path)
    assert source.compressed and rows
    back = read_records(source, {o for o, _, _ in rows})
    by_frame = {}
    for off, ts, frame in rows:
        assert back[off].ts_ns == ts
        by_frame[frame] = back[off]
    for frame, rec in by_frame.items():
        k = frame - 1
        # the sample is in µs, so the µs interface keeps it exactly, and the ns one the +123
        want = recs[k].ts_ns + (123 * (k % 2) if k < 6 else 7)
        assert rec.ts_ns == want and rec.data == recs[k].data


def test_an_offset_without_a_packet_gives_nothing(tmp_path):
    source = classify([str(SAMPLES / "attach_reject.pcap")])[0][0]
    assert read_records(source, []) == {}
    empty = tmp_path / "e.pcap"
    empty.write_bytes(b"")
    assert read_records(type(source)(str(empty), "capture", 0), [24]) == {}


@pytest.mark.parametrize("name", ["testattach.pcapng", "attach_reject.pcap"])
def test_records_after_damage_are_still_read(tmp_path, name):
    """A block whose length is garbage: the reader resynchronises after it, and so must the
    walk, which then goes straight to the next wanted record."""
    src = next(p for p in CAPS if p.name == name)
    _, seen = rows_of(src)
    offsets = sorted({o for o, _, _ in seen})
    hit = offsets[len(offsets) // 2]
    data = bytearray(src.read_bytes())
    at = hit + 4 if name.endswith("ng") else hit + 8      # pcapng block length; pcap caplen
    data[at:at + 4] = b"\x07\x00\x00\xff"
    bad = tmp_path / name
    bad.write_bytes(bytes(data))
    source, rows = rows_of(bad)
    after = [(o, ts) for o, ts, _ in rows if o > hit]
    assert after and hit not in {o for o, _, _ in rows}
    back = read_records(source, {o for o, _, _ in rows})
    assert all(back[o].ts_ns == ts for o, ts in after)
    assert len(back) == len({o for o, _, _ in rows})
