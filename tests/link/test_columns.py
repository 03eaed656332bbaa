"""The compact link columns and the compiled linking pass: batch by batch they link exactly as
the whole decoded table does, and their parts (hashes, interning, copies, the IMSI-safe forest)
hold their rules."""
import numpy as np
import pytest
from click.testing import CliRunner

from chrtool._fast import link as fast
from chrtool.cli import main
from chrtool.inputs.pipeline import Run
from chrtool.link.columns import LinkColumns
from chrtool.link.correlate import correlate, correlate_columns
from chrtool.table.events import Events

pytest.importorskip("pycrate_asn1rt")


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """A simulated day with everything linking must see through: two probes, three rotated
    files, eNB traces repeating the capture's S1AP/X2AP, handovers, EN-DC, M-TMSI reuse."""
    out = tmp_path_factory.mktemp("columns-day")
    r = CliRunner().invoke(main, ["simulate", "-o", str(out), "--seed", "11", "--ues", "60",
                                  "--hours", "0.5", "--files", "3", "--chr-format", "chr-v1,xml"])
    assert r.exit_code == 0, r.output
    return out


def streamed(path, chunk_bytes=None):
    run = Run([str(path)], chunk_bytes=chunk_bytes)
    lc = LinkColumns()
    for _, table in run.batches():
        lc.add_table(table)
    return run, lc.finish()


def same_sessions(a, b):
    assert np.array_equal(a.ue_of_row, b.ue_of_row)
    assert np.array_equal(a.conn_of_row, b.conn_of_row)
    assert np.array_equal(a.link_of_row, b.link_of_row)
    assert np.array_equal(a.duplicate_of_row, b.duplicate_of_row)
    assert [(u.imsi, u.msisdn, u.connections) for u in a.ues] == \
        [(u.imsi, u.msisdn, u.connections) for u in b.ues]
    assert a.conflicts == b.conflicts and a.inconsistent_rows == b.inconsistent_rows


def test_batches_link_as_the_whole_table_does(day):
    ev = Run([str(day)]).events()
    whole = correlate(ev)
    # small chunks: many batches, each with its own items, data buffer and row numbers
    run, lc = streamed(day, chunk_bytes=64 * 1024)
    assert lc.n == ev.n
    assert np.array_equal(lc.ts, ev.cols["ts_ns"]) and np.array_equal(lc.parent, ev.cols["parent"])
    same_sessions(correlate_columns(lc), whole)
    assert whole.counts()["duplicates"] > 0 and whole.counts()["links"].get("handover")


def test_linking_that_consumes_the_columns_links_the_same(day):
    _, lc = streamed(day)
    kept = correlate_columns(lc)
    _, lc = streamed(day)
    same_sessions(correlate_columns(lc, consume=True), kept)
    assert lc.ts is None and lc.hash is None           # gone once linking no longer needs them


def test_link_columns_are_compact(day):
    _, lc = streamed(day)
    assert lc.nbytes / lc.n < 100             # bytes a message, whatever its protocol


def test_payload_hashes_tell_copies_from_other_packets():
    data = np.frombuffer(b"abcdefghijabcdefghijabcdefghiX", np.uint8).copy()
    off = np.array([0, 10, 20, 0, 0], np.int64)
    length = np.array([10, 10, 10, 9, 10], np.int32)
    parent = np.array([-1, -1, -1, -1, 0], np.int64)
    h = fast.payload_hashes(data, off, length, parent)
    assert h[0] == h[1] != h[2] and h[0] != h[3]
    assert h[4] == 0 and (h[:4] != 0).all()     # a carried message is not hashed


def test_interner_numbers_in_order_of_first_sight():
    it = fast.Interner(empty=True)
    keys = np.zeros((4, 16), np.uint8)
    keys[0, :4] = [10, 0, 0, 1]
    keys[2, :4] = [10, 0, 0, 1]
    keys[3, :2] = [10, 2]
    assert it.bytes16(keys).tolist() == [1, 0, 1, 2]
    assert it.values == [b"", b"\n\0\0\x01", b"\n\x02"]
    assert it.id(b"\n\x02") == 2
    ints = fast.Interner()
    assert ints.int64(np.array([7, -1, 7, 1 << 40], np.int64)).tolist() == [0, 1, 0, 2]


def test_the_forest_never_joins_two_imsis():
    parent = np.arange(4, dtype=np.int64)
    imsi = np.array([1, 0, 2, 0], np.int32)
    ok, ia, ib = fast.join_edges(parent, imsi, np.array([0, 1, 0, 3], np.int64),
                                 np.array([1, 2, 2, 3], np.int64))
    assert ok.tolist() == [2, 0, 0, 1]           # joined, refused (1 carries IMSI 1 now), ...
    assert (ia[1], ib[1]) == (1, 2)
    assert fast.roots(parent).tolist() == [0, 0, 2, 3]


def test_a_copy_inside_a_copy_is_the_originals_message_at_the_same_place():
    # rows 0-2: a capture packet with two carried messages; rows 3-5: a second probe's copy
    from eventsutil import events
    from chrtool.table.events import PROTO
    a, b = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02"
    pdu = dict(proto=PROTO["S1AP"], msg=11, enb_ue_s1ap_id=4, mme_ue_s1ap_id=3, src=a, dst=b,
               ip_version=4, payload=b"\x00\x0b\x40\x10same-bytes")
    rows = [dict(frame=1, ts_ns=1000, **pdu), dict(frame=1, ts_ns=1000, proto=PROTO["NAS-EPS"],
                                                    msg=0x62, parent=0),
            dict(frame=1, ts_ns=1000, proto=PROTO["NAS-EPS"], msg=0x63, parent=0)]
    ev = Events.join([events(rows, "a.pcap"), events([dict(r, ts_ns=2000) for r in rows], "b.pcap")])
    ev.cols["file_id"][3:] = 1
    s = correlate(ev)
    assert s.duplicate_of_row.tolist() == [-1, -1, -1, 0, 1, 2]
    assert s.conn_of_row[3] == s.conn_of_row[0]


def test_a_subscribers_own_rows_give_the_procedures_the_whole_table_gives(day):
    """diagnose and timeline decode only the subscriber's rows again: their procedures (timeouts
    at the inputs' end included) must be those the whole table gives."""
    from chrtool.link.procedures import build
    run, lc = streamed(day)
    sessions = correlate_columns(lc)
    ev = Run([str(day)]).events()
    whole = correlate(ev)

    def story(e, s, ue):
        return [(p.kind, p.outcome, p.start_ns, p.end_ns, p.answered_by,
                 sorted((int(e.cols["file_id"][r]), int(e.cols["frame"][r])) for r in p.rows))
                for p in build(e, s, [ue.index])]
    for ue in sessions.ues[::3]:
        rows = sessions.rows_of(ue.index, duplicates=True)
        own = sessions.subset(rows)
        assert story(run.take(rows), own, ue) == story(ev, whole, ue), ue.imsi
        assert (own.ue_of_row == ue.index).all() and own.end_ns == int(ev.cols["ts_ns"].max())


def test_address_roles_do_not_depend_on_the_batches():
    """open5gs's test benches run every node on 127.0.0.x, the MME and the SGW on one address
    (127.0.0.2): which role that address ends with must not depend on how the capture was cut
    into batches, nor on whether its files were read as one run or merged from one each."""
    from oracle import CAPTURES
    paths = [CAPTURES / "open5gs" / n for n in ("testattach.pcapng", "testcups_19b93606.pcapng",
                                                "testepc_48bfe83c.pcapng", "srsenb.pcapng")]
    if not all(p.exists() for p in paths):
        pytest.skip("the open5gs captures are not present")
    ev = Run([str(p) for p in paths]).events()
    whole = LinkColumns.from_events(ev).roles
    for chunk in (None, 16 * 1024):
        run = Run([str(p) for p in paths], chunk_bytes=chunk)
        lc = LinkColumns()
        for _, table in run.batches():
            lc.add_table(table)
        assert lc.finish().roles == whole
    parts = []
    for i, p in enumerate(paths):
        _, lc = streamed(p)
        lc.file_id[:] = i
        lc.files = {i: (0, lc.n)}
        parts.append(lc)
    assert LinkColumns.merge(parts).roles == whole
    assert b"\x7f\x00\x00\x02" in whole


def _open5gs():
    from oracle import CAPTURES
    paths = [CAPTURES / "open5gs" / n for n in ("testattach.pcapng", "testcups_19b93606.pcapng",
                                                "testepc_48bfe83c.pcapng", "srsenb.pcapng")]
    if not all(p.exists() for p in paths):
        pytest.skip("the open5gs captures are not present")
    return paths


def test_compiled_role_claims_learn_what_the_python_claims_learn():
    """The link columns apply each batch's role claims in one compiled pass (claim_rows); the
    procedure builder's learn_roles applies the same claims to a dict: both end the same."""
    from chrtool.link.procedures import learn_roles
    ev = Run([str(p) for p in _open5gs()]).events()
    known = {}
    learn_roles(ev, known)
    assert {bytes(k): v for k, v in known.items()} == LinkColumns.from_events(ev).roles


def test_one_file_without_payload_hashes_links_as_with_them():
    """A run of one file skips the payload hashes (no packet can be another file's copy)."""
    for path in _open5gs():
        run = Run([str(path)])
        lcs = []
        for files in (1, 2):
            lc = LinkColumns.for_inputs(run.nbytes, files)
            for _, table in Run([str(path)]).batches():
                lc.add_table(table)
            lcs.append(lc.finish())
        assert not lcs[0].hash.any() and lcs[1].hash[lcs[1].parent < 0].all()
        same_sessions(correlate_columns(lcs[0]), correlate_columns(lcs[1]))


def test_dense_columns_are_the_tables_values():
    """link_rows fills the dense columns as the numpy definitions say."""
    from chrtool.link.columns import FLAG_IP, FLAG_MME, FLAG_PAYLOAD, FLAG_TMSI, KIND_OF_PROTO
    ev = Run([str(p) for p in _open5gs()]).events()
    lc = LinkColumns.from_events(ev)
    c = ev.cols
    assert np.array_equal(lc.kind, KIND_OF_PROTO[c["proto"]])
    assert np.array_equal(lc.parent, np.where(c["parent"] >= 0, c["parent"], -1))
    flags = ((c["ip_version"] > 0) * FLAG_IP | (c["payload_len"] > 0) * FLAG_PAYLOAD
             | (c["mme_ue_s1ap_id"] >= 0) * FLAG_MME | (c["m_tmsi"] >= 0) * FLAG_TMSI)
    assert np.array_equal(lc.flags, flags)
    assert np.array_equal(lc.mme, c["mme_ue_s1ap_id"].astype(np.uint32))
    assert np.array_equal(lc.m_tmsi, c["m_tmsi"].astype(np.uint32))
    for name, col in (("ts", "ts_ns"), ("frame", "frame"), ("msg", "msg"), ("enb", "enb_ue_s1ap_id"),
                      ("old_x2", "old_enb_ue_x2ap_id"), ("menb", "menb_ue_x2ap_id")):
        assert np.array_equal(lc.__dict__[name], c[col].astype(lc.__dict__[name].dtype)), name
    ex = np.flatnonzero(lc.ex >= 0)
    assert np.array_equal(lc.ex[ex], np.arange(len(ex)))
    assert set(np.unique(lc.kind[ex])) <= {3, 5}


def test_compiled_role_rows_are_role_claims(day):
    """role_rows (compiled, what the link columns use) gives role_claims' claims row by row."""
    from chrtool.link.procedures import ROLE_TABLES, role_claims
    from chrtool.table.schema import ITEM_KINDS
    for paths in ([str(p) for p in _open5gs()], [str(day)]):
        for _, table in Run(paths, chunk_bytes=64 * 1024).batches():
            ev = Events.of_table(table)
            it = ev.items_of("fteid")
            got = fast.role_rows(np.ascontiguousarray(ev.cols["proto"], np.uint8),
                                 np.ascontiguousarray(ev.cols["msg"], np.int32),
                                 np.ascontiguousarray(it["row"], np.int64),
                                 np.ascontiguousarray(ITEM_KINDS["fteid"].get(it, "interface"),
                                                      np.int64), *ROLE_TABLES)
            for a, b in zip(got, role_claims(ev, it)):
                assert np.array_equal(a, b)
