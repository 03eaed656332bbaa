"""The Cython chr-v1 decoder agrees with the construct declaration, and survives damage."""
import io
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chrtool._fast import chr_v1 as fast
from chrtool._fast import events as ev
from chrtool.decoders import chr_v1 as spec
from chrtool.errors import DecodeError

T0 = 1_795_770_000 * 10**9

u8, u16, u32 = (st.integers(0, 2**b - 1) for b in (8, 16, 32))
i16 = st.integers(-2**15, 2**15 - 1)
plmn = st.sampled_from(["00101", "46000", "310410", "99999"])
cell = st.builds(dict, kind=st.sampled_from(["ecgi", "nr_cgi"]), plmn=plmn,
                 cell_id=st.integers(0, 2**36 - 1))
imsi = st.text("0123456789", min_size=6, max_size=15)
params = st.one_of(
    st.tuples(st.just("cause"), st.builds(dict, kind=st.sampled_from(list(spec.CAUSE_KINDS.values())),
                                          value=u16)),
    st.tuples(st.just("proto_cause"), st.builds(dict, proto=st.sampled_from(["S1AP", "X2AP"]),
                                                group=u8, value=u16)),
    st.tuples(st.just("meas"), st.builds(dict, kind=st.sampled_from(list(spec.MEAS_KIND_IDS)),
                                         neighbour=st.integers(0, 1), value=i16,
                                         pci=st.integers(-1, 1007),
                                         arfcn=st.integers(-1, 3279165))),
    st.tuples(st.sampled_from(["target_cell", "secondary_cell"]), cell),
    st.tuples(st.just("erab"), st.builds(dict, erab_id=st.integers(0, 15), qci=u8,
                                         cause_kind=st.integers(0, 11), cause_value=u16)),
    st.tuples(st.sampled_from(["raw_pdu", "rrc_raw"]), st.binary(max_size=300)),
    st.tuples(st.just("est_cause"), u8),
    st.tuples(st.integers(10, 255), st.binary(max_size=20)),       # tags unknown to v1.0
)


@st.composite
def records(draw):
    event = draw(st.one_of(st.sampled_from(list(spec.EVENTS)), u16))
    ids = {}
    for name, strat in (("cell", cell), ("imsi", imsi),
                        ("s_tmsi", st.builds(dict, mmec=u8, m_tmsi=u32)),
                        ("mme_ue_s1ap_id", u32), ("enb_ue_s1ap_id", st.integers(0, 2**24 - 1)),
                        ("menb_ue_x2ap_id", u32), ("sgnb_ue_x2ap_id", u32), ("crnti", u16),
                        ("tac", st.integers(0, 2**24 - 1))):
        if draw(st.booleans()):
            ids[name] = draw(strat)
    ps = draw(st.lists(params, max_size=8))
    rec = spec.record(event, draw(st.integers(0, 2**62)), [], **ids)
    rec["params"] = [dict(tag=t, value=v) for t, v in ps]
    return rec


def decode(data, chunk_bytes=fast.DEF_CHUNK_BYTES):
    r = fast.ChrV1Reader(io.BytesIO(data), "t.chr", chunk_bytes=chunk_bytes)
    return list(r), r


def table_view(tables):
    """(columns per row, items per row, payload per row, strings per row) from the batches."""
    out = []
    for t in tables:
        items = t.items()
        for r in range(t.n):
            sel = np.flatnonzero(items["row"] == r)
            its = [(int(items["key"][i]), int(items["a"][i]), int(items["b"][i]),
                    int(items["c"][i]), int(items["d"][i])) for i in sel]
            strs = [t.bytes_at(b, c) for k, a, b, c, d in its if k == ev.ITEM_KEYS["str"]]
            its = [x for x in its if x[0] != ev.ITEM_KEYS["str"]]
            payload = t.payload(r) if t.column("payload_len")[r] else None
            out.append((t, r, its, payload, strs))
    return out


def check_agree(data):
    tables, reader = decode(data)
    expect = [spec.expected_row(rec, i, off)
              for i, (off, rec) in enumerate(spec.iter_records(data), 1)]
    got = table_view(tables)
    assert len(got) == len(expect)
    defaults = {name: fill for name, _, width, fill in ev.COLUMNS if not width}
    for (t, r, items, payload, strs), (cols, eitems, epayload, estrs) in zip(got, expect):
        for name, fill in defaults.items():
            if name in ("payload_off", "payload_len", "parent"):
                continue
            want = cols.get(name, fill)
            assert t.column(name)[r] == want, (name, cols)
        want_imsi = cols.get("imsi", "").encode()
        assert bytes(t.column("imsi")[r]).rstrip(b"\0") == want_imsi
        assert items == eitems
        assert (payload or b"") == (epayload or b"")
        assert strs == estrs
    malformed = sum(1 for cols, *_ in expect if cols.get("flags", 0) & ev.FLAGS["malformed"])
    assert reader.counters["malformed_records"] == malformed
    assert len(reader.problems) == malformed
    return tables, reader


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=12))
def test_cython_agrees_with_construct(recs):
    data = spec.build_file(spec.header(T0, ne_name="ENB"), recs)
    check_agree(data)


def sample_bytes(samples_dir):
    return (samples_dir / "chr_nsa_radio.chr").read_bytes()


def test_sample_agrees(samples_dir):
    tables, reader = check_agree(sample_bytes(samples_dir))
    assert reader.header["ne_name"] == "ENB-SH-PD-0421"
    assert reader.counters["records"] == 26 and reader.counters["raw_messages"] == 2


def test_chunk_boundaries_do_not_matter():
    rng = random.Random(7)
    recs = [spec.record("MEAS_REPORT", T0 + i, [spec.p_meas("rsrp", -100 - i % 20),
                                                 ("raw_pdu", bytes(rng.randrange(200)))],
                        imsi="00101000000%04d" % i) for i in range(400)]
    data = spec.build_file(spec.header(T0), recs)
    ref = None
    for chunk in (4096, 5000, 65536, 1 << 20):
        tables, reader = decode(data, chunk)
        got = [(int(t.column("frame")[r]), int(t.column("ts_ns")[r]), bytes(t.column("imsi")[r]))
               for t in tables for r in range(t.n)]
        assert len(got) == 400 and not reader.problems
        ref = ref or got
        assert got == ref


def test_truncation_at_every_byte(samples_dir):
    data = sample_bytes(samples_dir)
    hlen = spec.FileHeader.parse(data).header_len
    bounds = [off for off, _ in spec.iter_records(data)] + [len(data)]
    for cut in range(len(data)):
        if cut < hlen:
            with pytest.raises(DecodeError) as exc:
                decode(data[:cut])
            assert "t.chr" in str(exc.value)
            continue
        tables, reader = decode(data[:cut])
        complete = sum(1 for b in bounds[1:] if b <= cut)
        assert sum(t.n for t in tables) == complete, cut
        if cut in bounds:
            assert not reader.problems, cut
        else:
            assert reader.problems and reader.problems[-1][1] == "chr-v1"
            assert reader.problems[-1][0] >= max(b for b in bounds if b <= cut)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_damage_never_crashes(samples_dir, data):
    raw = bytearray(sample_bytes(samples_dir))
    hlen = spec.FileHeader.parse(bytes(raw)).header_len
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(hlen, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    tables, reader = decode(bytes(raw))
    assert sum(t.n for t in tables) <= 26 + 6
    for off, layer, msg in reader.problems:
        assert hlen <= off <= len(raw) and layer == "chr-v1" and msg


def test_resync_after_damaged_length(samples_dir):
    data = bytearray(sample_bytes(samples_dir))
    recs = list(spec.iter_records(bytes(data)))
    off = recs[5][0]
    data[off:off + 2] = b"\xff\xff"                   # length now runs past the file end
    tables, reader = decode(bytes(data))
    assert sum(t.n for t in tables) == 25             # only the damaged record is lost
    assert reader.counters["resyncs"] == 1
    frames = [int(f) for t in tables for f in t.column("frame")]
    assert frames == list(range(1, 26))


def test_header_errors():
    good = spec.FileHeader.build(spec.header(T0, ne_name="E"))
    with pytest.raises(DecodeError, match="magic"):
        decode(b"\x89PNG\r\n\x1a\n" + good[8:])
    with pytest.raises(DecodeError, match="version 2.0 is not supported"):
        decode(good[:8] + b"\x02\x00" + good[10:])
    with pytest.raises(DecodeError, match="too short"):
        decode(good[:5])
    with pytest.raises(DecodeError, match="ends inside the header"):
        decode(good[:20])


def test_newer_minor_version_is_read_with_a_note():
    data = spec.build_file(spec.header(T0, version=(1, 4), extension=b"new!"),
                           [spec.record("RRC_CONN_RELEASE", T0, [spec.p_cause("release", 0)])])
    tables, reader = decode(data)
    assert tables[0].n == 1
    assert reader.problems[0][0] == 9 and "newer" in reader.problems[0][2]


def test_unknown_event_and_param_are_kept_and_counted():
    data = spec.build_file(spec.header(T0), [spec.record(0x7777, T0, [(200, b"x")],
                                                         imsi="001010000000009")])
    tables, reader = decode(data)
    t = tables[0]
    assert t.column("msg")[0] == 0x7777
    assert t.column("flags")[0] & ev.FLAGS["unknown_msg"]
    assert bytes(t.column("imsi")[0]).rstrip(b"\0") == b"001010000000009"
    assert reader.counters["unknown_events"] == 1 and reader.counters["unknown_params"] == 1


def test_short_parameter_is_flagged_not_fatal():
    rec = spec.Record.build(spec.record("RADIO_LINK_FAILURE", T0,
                                        [spec.p_cause("rlf", 0), spec.p_meas("rsrp", -120)]))
    raw = bytearray(rec)
    # shrink the meas parameter's declared length to 4 (it needs 10); keep the record framing
    i = spec.RECORD_FIXED + 3 + 3
    assert raw[i] == spec.PARAM_TAGS["meas"]
    raw[i + 1:i + 3] = (4).to_bytes(2, "little")
    raw = raw[:i + 3 + 4]
    raw[0:2] = len(raw).to_bytes(2, "little")
    tables, reader = decode(spec.FileHeader.build(spec.header(T0)) + bytes(raw))
    t = tables[0]
    assert t.column("cause_value")[0] == 0                 # what came before is kept
    assert t.column("flags")[0] & ev.FLAGS["malformed"]
    assert "meas parameter of 4 bytes" in reader.problems[0][2]


# ----------------------------------------------------------- memory-mapped files, batch reuse
def _result(reader, consume=list):
    """Everything a reader reports: rows (all columns, items, payloads), problems, counters."""
    rows = []
    for t in consume(reader):
        items = t.items()
        for r in range(t.n):
            cols = tuple(int(t.column(name)[r]) for name, _, width, _ in ev.COLUMNS
                         if not width and name != "payload_off")
            sel = np.flatnonzero(items["row"] == r)
            its = [tuple(int(items[k][i]) for k in ("key", "a", "c", "d")) for i in sel]
            rows.append((cols, bytes(t.column("imsi")[r]), its,
                         t.payload(r) if t.column("payload_len")[r] else b""))
    return rows, reader.problems, reader.counters


def _drop_each(reader):
    """A consumer that keeps nothing of a batch once it has the next one."""
    yield from reader


def _big_file(n=3000, seed=3):
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        if i % 4 == 3:
            recs.append(spec.record("S1AP_MESSAGE", T0 + i,
                                    [("raw_pdu", rng.randbytes(rng.randrange(300)))],
                                    enb_ue_s1ap_id=i, imsi=f"00101{i:010d}"))
        else:
            recs.append(spec.record("MEAS_REPORT", T0 + i,
                                    [spec.p_meas("rsrp", -90 - i % 30)] * (1 + i % 5),
                                    imsi=f"00101{i:010d}", crnti=i % 65536))
    return spec.build_file(spec.header(T0), recs)


def _damage(data, seed):
    """Random bytes changed, and some records' length or marker broken (resyncs)."""
    rng = random.Random(seed)
    raw = bytearray(data)
    hlen = spec.FileHeader.parse(data).header_len
    starts = [off for off, _ in spec.iter_records(data)]
    for off in rng.sample(starts, 8):
        raw[off + rng.choice((0, 1, 2, 3))] ^= 0xFF
    for _ in range(12):
        pos = rng.randrange(hlen, len(raw))
        raw[pos:pos + 3] = rng.randbytes(3)
    return bytes(raw)


@pytest.mark.parametrize("damaged", [False, True])
def test_mapped_file_reads_like_a_stream(tmp_path, monkeypatch, damaged):
    """A regular file is decoded from a memory map; small windows and chunks put window and
    batch boundaries everywhere, damage included: the result is the stream reader's."""
    data = _big_file()
    if damaged:
        data = _damage(data, 11)
    path = tmp_path / "f.chr"
    path.write_bytes(data)
    monkeypatch.setattr(fast, "WINDOW_BYTES", 1)          # the smallest window that works
    for chunk in (4096, 10000, 1 << 20):
        want = _result(fast.ChrV1Reader(io.BytesIO(data), "t.chr", chunk_bytes=chunk))
        for buffering in (0, 4096):
            with open(path, "rb", buffering=buffering) as fh:
                r = fast.ChrV1Reader(fh, "t.chr", chunk_bytes=chunk)
                assert _result(r) == want
                assert fh.tell() == len(data)
            with open(path, "rb") as fh:
                assert _result(fast.ChrV1Reader(fh, "t.chr", chunk_bytes=chunk,
                                                use_mmap=False)) == want
    if damaged:
        assert want[1] and want[2]["resyncs"]


def test_mapped_truncation_at_every_byte(tmp_path, samples_dir):
    data = sample_bytes(samples_dir)
    hlen = spec.FileHeader.parse(data).header_len
    path = tmp_path / "cut.chr"
    for cut in range(hlen, len(data) + 1):
        path.write_bytes(data[:cut])
        with open(path, "rb") as fh:
            got = _result(fast.ChrV1Reader(fh, "t.chr"))
        assert got == _result(fast.ChrV1Reader(io.BytesIO(data[:cut]), "t.chr")), cut


def test_gzip_and_streams_are_not_mapped(tmp_path, samples_dir):
    import gzip
    data = sample_bytes(samples_dir)
    path = tmp_path / "s.chr.gz"
    path.write_bytes(gzip.compress(data))
    want = _result(fast.ChrV1Reader(io.BytesIO(data), "t.chr"))
    with gzip.open(path, "rb") as fh:
        assert _result(fast.ChrV1Reader(fh, "t.chr")) == want
    with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw) as fh:
        assert _result(fast.ChrV1Reader(fh, "t.chr")) == want


def test_released_batches_are_reused_and_kept_ones_are_not():
    data = _damage(_big_file(), 5)
    want = _result(fast.ChrV1Reader(io.BytesIO(data), "t.chr", chunk_bytes=4096))
    # kept batches are never written again
    r = fast.ChrV1Reader(io.BytesIO(data), "t.chr", chunk_bytes=4096)
    assert _result(r) == want and r.tables_reused == 0
    # a consumer that lets each batch go gets the same rows from a few reused tables
    r = fast.ChrV1Reader(io.BytesIO(data), "t.chr", chunk_bytes=4096)
    assert _result(r, _drop_each) == want
    assert r.tables_reused > 20 and r.tables_made <= fast.POOL_TABLES + 2
    # holding any part of a batch (a column view, the item views, the data) keeps it
    for keep in (lambda t: t.column("frame"), lambda t: t.items(), lambda t: t.data_array,
                 lambda t: t.cols, lambda t: memoryview(t.cols["imsi"])):
        r = fast.ChrV1Reader(io.BytesIO(data), "t.chr", chunk_bytes=4096)
        held = [(t.n, t.n_items, keep(t), np.copy(t.column("frame")),
                 np.copy(t.items()["a"])) for t in r]
        assert r.tables_reused == 0
        for n, n_items, part, frames, item_a in held:
            if isinstance(part, np.ndarray) and part.dtype == np.int64 and part.ndim == 1:
                assert (part[:n] == frames).all()
            elif isinstance(part, dict) and "a" in part:
                assert (part["a"][:n_items] == item_a).all()


def test_spare_rows_hold_the_defaults():
    """EventTable.add_row promises decoders that append child rows (S1AP -> NAS) the column
    defaults; fresh and reused batches both keep that, after a consumer added rows too."""
    data = _big_file(800)
    fills = {name: fill for name, _, _, fill in ev.COLUMNS}
    r = fast.ChrV1Reader(io.BytesIO(data), "t.chr", chunk_bytes=4096)
    seen = 0
    for t in r:
        for name, fill in fills.items():
            assert (t.cols[name][t.n:] == fill).all(), name
        for _ in range(min(3, t.capacity - t.n)):            # a decoder appends child rows
            t.add_python_row(proto=3, msg=65, mme_ue_s1ap_id=7, flags=1, imsi=np.full(16, 57))
        seen += 1
    assert seen > 10 and r.tables_reused > 0
    t = fast.new_table(40, 100, 100, "x", 0)
    for name, fill in fills.items():
        assert (t.cols[name] == fill).all(), name


def test_memory_stays_bounded_by_the_chunk(tmp_path):
    """Batch memory depends on chunk_bytes, not on the file: a file many chunks long, mapped
    or streamed, with each batch let go."""
    import tracemalloc
    one = _big_file(6000)
    hlen = spec.FileHeader.parse(one).header_len
    data = one[:hlen] + one[hlen:] * 8                    # 48000 records, 4.5 MB
    path = tmp_path / "big.chr"
    path.write_bytes(data)
    chunk = 16384
    for use_mmap in (True, False):
        with open(path, "rb") as fh:
            r = fast.ChrV1Reader(fh, "t.chr", chunk_bytes=chunk, use_mmap=use_mmap)
            tracemalloc.start()
            biggest = 0
            for t in _drop_each(r):
                biggest = max(biggest, t.capacity)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert r.counters["records"] == 48000 and not r.problems
        assert biggest <= chunk // 16 + 16
        assert peak < 64 * chunk < len(data) / 4, (peak, len(data))
