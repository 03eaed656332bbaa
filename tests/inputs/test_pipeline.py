"""Hostile input through the whole chain: mutated samples go through every reader and decoder,
correlation and diagnosis without an exception; damage is reported, never raised."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chrtool.link.correlate import correlate
from chrtool.diagnose.engine import diagnose_ue
from chrtool.inputs.pipeline import Run
from chrtool.output.rows import iter_rows
from oracle import SAMPLES

SAMPLE_FILES = ["attach_reject.pcap", "chr_nsa_radio.chr", "trace_enb_0421.xml",
                "vendor_huawei_chr.csv"]


def whole_chain(path):
    run = Run([str(path)])
    ev = run.events()
    for row in iter_rows(ev):
        json.dumps(row, default=int)
    sessions = correlate(ev)
    for ue in sessions.ues:
        diagnose_ue(ev, sessions, ue)
    return run, ev


def test_every_sample_runs_clean():
    for name in SAMPLE_FILES:
        run, ev = whole_chain(SAMPLES / name)
        assert ev.n > 0 and not run.failed, name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(SAMPLE_FILES), data=st.data())
def test_mutated_inputs_never_crash(tmp_path_factory, name, data):
    raw = bytearray((SAMPLES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 12), label="mutations")):
        pos = data.draw(st.integers(0, len(raw) - 1), label="pos")
        raw[pos] = data.draw(st.integers(0, 255), label="byte")
    cut = data.draw(st.integers(len(raw) // 4, len(raw)), label="cut")
    path = tmp_path_factory.mktemp("mut") / name
    path.write_bytes(bytes(raw[:cut]))
    run, _ = whole_chain(path)
    for problem in run.problems:            # every problem says where: byte offset or line
        assert problem.file == str(path)
        assert problem.offset is not None or problem.line is not None, str(problem)


def test_xml_with_an_unknown_encoding_is_a_reported_failure(tmp_path):
    path = tmp_path / "trace.xml"
    text = (SAMPLES / "trace_enb_0421.xml").read_text()
    path.write_text(text.replace('encoding="UTF-8"', 'encoding="U-F-8"', 1))
    assert 'U-F-8' in path.read_text()
    run, ev = whole_chain(path)
    assert ev.n == 0 and run.failed
    assert "U-F-8" in str(run.problems[0])


def test_capture_chunk_for_counting_changes_batches_not_counts():
    """stats' smaller capture batches (Run.capture_chunk_bytes): the same rows, counts, problems
    and counters as the readers' default (the samples are a batch or two either way: a read is
    the chunk plus room for one maximal record; test_capture checks that rows do not depend on
    the chunk)."""
    from chrtool.inputs.pipeline import COUNT_CHUNK_BYTES
    from chrtool.output.stats import Counts

    def count(chunk):
        run = Run([str(SAMPLES / "day"), str(SAMPLES / "attach_reject.pcap")])
        run.capture_chunk_bytes = chunk
        counts = Counts()
        for _, table in run.batches():
            counts.add(table)
        return (counts.rows, counts.messages, counts.causes, counts.flags, run.counters,
                [p.as_dict() for p in run.problems])

    assert count(4096) == count(None) == count(COUNT_CHUNK_BYTES)
    assert 4096 < COUNT_CHUNK_BYTES < 1 << 20
