"""The event-table declaration (chrtool/table/schema.py) and what is made from it.

The generated files must be what gen_schema writes now, the compiled module must have been
built from them, and every decoder must give an item field the one meaning the schema states.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chrtool._fast import chr_v1, diameter, events, gtpv2, nas_eps, s1ap
from chrtool.output.rows import iter_rows
from chrtool.simulate import diameter_build as dia
from chrtool.simulate import gtpv2_build as gb
from chrtool.simulate import nas_build as nb
from chrtool.simulate import s1ap_build as sb
from chrtool.table import gen_schema, schema
from chrtool.table.events import Events
from chrtool.table.schema import COLUMNS, ITEM_KINDS
from eventsutil import table

REPO = Path(__file__).resolve().parents[2]
P = schema.PROTO


def test_generated_files_are_what_gen_schema_writes(tmp_path):
    run = subprocess.run([sys.executable, "-m", "chrtool.table.gen_schema", str(tmp_path)],
                         cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    stale = [rel for rel in gen_schema.OUTPUTS
             if (tmp_path / rel).read_bytes() != (REPO / rel).read_bytes()]
    assert not stale, f"rerun python -m chrtool.table.gen_schema: {stale} are stale"


def test_compiled_names_agree_with_the_schema():
    """A build older than the generated files shows here (rebuild every module)."""
    for name in schema.RUNTIME_NAMES:
        assert getattr(events, name) == getattr(schema, name), name
    assert [(n, np.dtype(d), w, f) for n, d, w, f in events.COLUMNS] == \
        [(c.name, np.dtype(c.dtype), c.width, c.fill) for c in COLUMNS]
    assert [(n, np.dtype(d)) for n, d in events.ITEM_COLUMNS] == \
        [(n, np.dtype(d)) for n, d in schema.ITEM_COLUMNS]


def test_declaration_is_consistent():
    codes = [k.code for k in ITEM_KINDS.values()]
    assert len(set(codes)) == len(codes)
    for kind in ITEM_KINDS.values():
        used = {}
        for f in kind.fields:
            assert f.slot in schema.SLOTS, (kind.name, f.name)
            bits = set(range(f.shift, f.shift + f.bits)) if f.bits else set(range(64))
            assert not bits & used.get(f.slot, set()), f"{kind.name}.{f.name} overlaps"
            used[f.slot] = used.get(f.slot, set()) | bits
    for enum in schema.ENUMS.values():
        values = [m.value for m in enum.members]
        assert len(set(values)) == len(values), enum.c_type
    assert all(c.inherit in ("", "packet", "ue") for c in COLUMNS)


def test_chr_v1_format_uses_the_table_measurement_numbers():
    from chrtool.decoders import chr_v1 as spec
    assert spec.MEAS_KINDS == schema.MEAS_KINDS
    assert spec.MEAS_SCALE == schema.MEAS_SCALE
    assert spec.MEAS_NEIGHBOUR == schema.MEAS_NEIGHBOUR


def test_pack_and_unpack_are_inverse_including_shared_slots():
    fteid = ITEM_KINDS["fteid"]
    slots = fteid.pack(interface=10, instance=3, teid=0xDEADBEEF, address=0x0A000001, ebi=6)
    assert slots == (10 | 3 << 8, 0xDEADBEEF, 0x0A000001, 6)
    assert fteid.unpack(*slots) == (10, 3, 0xDEADBEEF, 0x0A000001, 6)
    assert ITEM_KINDS["cause"].pack(proto=5, value=64) == (5, -1, 64, -1)
    arrays = dict(zip(schema.SLOTS, (np.array([s]) for s in slots)))
    assert fteid.get(arrays, "instance").tolist() == [3]
    with pytest.raises(KeyError):
        ITEM_KINDS["cause"].pack(vendor=10415)


def test_new_rows_hold_every_declared_default():
    """init_row (generated, used by the chr-v1 reader) and EventTable.add_row agree with the
    schema's fills."""
    fast = chr_v1.new_table(20, 1024, 64, "x", 0)
    slow = events.EventTable(capacity=20)
    slow.add_python_row()
    for c in COLUMNS:
        assert (fast.cols[c.name] == c.fill).all(), c.name
        assert (slow.column(c.name) == c.fill).all(), c.name


def _raw_table(payloads, proto, **cols):
    t = events.EventTable(capacity=16)
    for data in payloads:
        off = t.add_python_data(np.frombuffer(data, np.uint8).copy())
        t.add_python_row(**{"frame": 1, **cols, "proto": P[proto], "payload_off": off,
                            "payload_len": len(data)})
    return t


def _fields(t, kind):
    it = t.items()
    k = ITEM_KINDS[kind]
    sel = np.flatnonzero(it["key"] == k.code)
    return [k.unpack(*(int(it[s][i]) for s in schema.SLOTS)) for i in sel]


def test_fteid_ebi_and_instance_mean_the_same_in_gtpv2_and_s1ap():
    sgw, pgw = gb.Fteid(11, 0x11, "10.0.0.1"), gb.Fteid(7, 0x22, "10.0.0.2")
    s1u, s5u = gb.Fteid(1, 0x33, "10.0.0.3"), gb.Fteid(5, 0x44, "10.0.0.4")
    t = _raw_table([gb.create_session_response(seq=1, mme_teid=9, sgw_c=sgw, pgw_c=pgw,
                                               ue_ip="10.45.0.2", s1u_sgw=s1u, s5u_pgw=s5u,
                                               ebi_=6)], "GTPv2")
    gtpv2.decode(t)
    got = {(f.interface, f.instance, f.teid, f.ebi) for f in _fields(t, "fteid")}
    assert got == {(11, 0, 0x11, -1), (7, 2, 0x22, -1), (1, 0, 0x33, 6), (5, 2, 0x44, 6)}

    t = _raw_table([sb.erab_setup_response(3, 4, [sb.Erab(5, "10.0.0.9", 0x55),
                                                  sb.Erab(7, "10.0.0.9", 0x77)])], "S1AP")
    s1ap.decode(t)
    got = {(f.interface, f.instance, f.teid, f.ebi) for f in _fields(t, "fteid")}
    assert got == {(0, 0, 0x55, 5), (0, 0, 0x77, 7)}      # 0: S1-U eNodeB (29.274 8.22)


def test_cause_context_is_the_bearer_or_nothing_never_a_vendor():
    answer = dia.message(316, [dia.utf8(263, "mme;1;2"), dia.u32(268, 2001),
                               dia.experimental_result(5420), dia.utf8(264, "hss.epc.org"),
                               dia.utf8(296, "epc.org")], request=False)
    t = _raw_table([answer], "Diameter")
    diameter.decode(t)
    (cause,) = _fields(t, "cause")
    assert (cause.proto, cause.value, cause.context) == (schema.CAUSE_CODES["DIAMETER_EXP"], 5420,
                                                         -1)
    assert cause.group == -1                     # Diameter results have no group; never the Vendor-Id
    (row,) = iter_rows(Events.concat([t], {0: "mem"}))
    assert [c.get("context") for c in row["cause"]] == [None, None]

    # the cause of a GTPv2 Bearer Context names its EBI, the cause of an S1AP E-RAB its E-RAB id
    f = gb.Fteid(1, 0x33, "10.0.0.3")
    t = _raw_table([gb.create_session_response(seq=1, mme_teid=9, sgw_c=f, pgw_c=f,
                                               ue_ip="10.45.0.2", s1u_sgw=f, s5u_pgw=f,
                                               ebi_=6)], "GTPv2")
    gtpv2.decode(t)
    assert [(c.value, c.context) for c in _fields(t, "cause")] == [(16, 6)]
    t = _raw_table([sb.erab_setup_response(3, 4, failed=[(9, ("radioNetwork", 21))])], "S1AP")
    s1ap.decode(t)
    assert [(c.group, c.value, c.context) for c in _fields(t, "cause")] == [(0, 21, 9)]


def test_a_carried_message_inherits_exactly_the_declared_columns():
    attach = nb.attach_request(esm=nb.pdn_connectivity_request(apn="internet"),
                               imsi="001010123456789")
    # every column the decoder leaves alone holds 7 in the carrier (never a fill)
    mine = {c.name: 7 for c in COLUMNS if not c.width and c.name not in (
        "proto", "parent", "payload_off", "payload_len", "msg", "flags", "cause_proto",
        "cause_value", "cause_group", "procedure_code", "m_tmsi")}
    t = _raw_table([attach], "NAS-EPS", **mine)
    for name in ("src", "dst"):
        t.cols[name][0] = np.arange(16)
    nas_eps.decode(t)
    (child,) = np.flatnonzero(t.column("parent") == 0)
    assert t.cols["imsi"][0].any()              # decoded into the carrier only
    for c in COLUMNS:
        if c.name in mine or c.name in ("src", "dst", "imsi"):
            inherited = (np.asarray(t.cols[c.name][child]) == t.cols[c.name][0]).all()
            assert inherited == (c.inherit != ""), c.name


def test_concat_moves_every_row_and_data_reference_with_its_batch():
    key = schema.ITEM_KEYS
    nas, ie, piggy = ITEM_KINDS["nas"], ITEM_KINDS["ie"], schema.ENUMS["info_kind"]["V_PIGGYBACKED"]
    first = table([{"frame": 1, "payload": b"xxxx"}])
    second = table([{"frame": 2, "payload": b"AB", "items": [
        (key["ie"], *ie.pack(ie=8, offset=0, length=2, criticality=0)),
        (key["nas"], *nas.pack(child=1)),
        (key["info"], *ITEM_KINDS["info"].pack(kind=piggy.value, value=1))]},
        {"frame": 2}], file_id=1)
    ev = Events.concat([first, second])
    assert ie.get(ev.items_of("ie"), "offset").tolist() == [4]
    assert ev.bytes_at(4, 2) == b"AB"
    assert nas.get(ev.items_of("nas"), "child").tolist() == [2]
    assert ITEM_KINDS["info"].get(ev.items_of("info"), "value").tolist() == [2]
    sub = ev.take([1])                              # the carried row is left out
    assert nas.get(sub.items_of("nas"), "child").tolist() == [-1]


def test_arrow_schema_holds_an_event_table(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    ev = Events.concat([table([{"frame": 1, "imsi": "001010123456789", "proto": P["S1AP"]},
                               {"frame": 2}])])
    sch = schema.arrow_schema()
    width = {c.name: c.width for c in COLUMNS}
    arrays = [pa.array([bytes(r) for r in ev.cols[f.name]] if width.get(f.name) else
                       ev.cols[f.name], f.type) for f in sch]
    pq.write_table(pa.Table.from_arrays(arrays, schema=sch), tmp_path / "events.parquet")
    back = pq.read_table(tmp_path / "events.parquet")
    assert back.schema.names == [c.name for c in COLUMNS] + ["file_id"]
    assert back.column("imsi")[0].as_py().rstrip(b"\0") == b"001010123456789"
    assert back.column("frame").to_pylist() == [1, 2]
    assert schema.arrow_item_schema().names == [n for n, _ in schema.ITEM_COLUMNS]
