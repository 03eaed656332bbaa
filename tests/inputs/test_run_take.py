"""Decoding some rows again: Run.take gives the rows a first pass numbered, with their bytes,
from only the sources (and only as far into them) as needed, and repeats no problem."""
import numpy as np

from chrtool.inputs.pipeline import Run
from chrtool.output.rows import iter_rows
from oracle import SAMPLES

INPUTS = [str(SAMPLES / n) for n in ("attach_reject.pcap", "chr_nsa_radio.chr",
                                     "trace_enb_0421.xml", "chr_broken.chr")]


def first_pass(chunk_bytes=None):
    run = Run(INPUTS, chunk_bytes=chunk_bytes)
    ev = run.events()
    return run, ev


def test_taken_rows_are_the_rows_the_first_pass_saw():
    run, ev = first_pass(chunk_bytes=4096)
    problems = len(run.problems)
    rows = np.arange(1, ev.n, 3)
    got = run.take(rows)
    want = ev.take(rows)
    assert got.n == len(rows)
    for name in set(ev.cols) - {"payload_off"}:     # offsets into a smaller buffer
        assert np.array_equal(got.cols[name], want.cols[name]), name
    # every row reads as it did: payloads, strings and IEs point at the same bytes
    assert list(iter_rows(got)) == list(iter_rows(want))
    assert len(got.data) < len(ev.data)          # only the bytes those rows refer to
    assert len(run.problems) == problems         # the broken CHR file is not reported twice


def test_compacted_rows_keep_their_bytes():
    _, ev = first_pass()
    rows = np.flatnonzero(ev.cols["payload_len"] > 0)[::2]
    small = ev.take(rows, compact=True)
    assert len(small.data) < len(ev.data)
    for i, r in enumerate(rows.tolist()):
        assert small.bytes_at(small.cols["payload_off"][i], small.cols["payload_len"][i]) == \
            ev.bytes_at(ev.cols["payload_off"][r], ev.cols["payload_len"][r])


def test_only_sources_holding_rows_are_read_again(monkeypatch):
    run, ev = first_pass()
    read = []
    decode = run._decode

    def spy(source, progress, report):
        read.append(source.path)
        yield from decode(source, progress, report)
    monkeypatch.setattr(run, "_decode", spy)
    first = run.sources[1]
    base = run.row_base[first.file_id]
    got = run.take([base, base + 1])
    assert read == [first.path]
    assert got.cols["file_id"].tolist() == [first.file_id] * 2
    assert run.take([]).n == 0 and read == [first.path]
