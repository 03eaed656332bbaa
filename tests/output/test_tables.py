"""chrtool/output/tables.py: decode rows as CSV and Parquet (`chrtool decode --format csv|parquet`).

The DESIGN.md keys come first as columns, other keys after them in the order first seen; nested
values (cause objects, nas lists, repeated IDs) are JSON text; Parquet columns are int64 for
integers, bool for flags, string otherwise. Read back with the csv module and pyarrow.
"""
import csv
import io
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chrtool.inputs.pipeline import Run
from chrtool.output.rows import iter_rows
from chrtool.output.tables import write_table
from oracle import SAMPLES

DESIGN_KEYS = ["file", "frame", "ts", "proto", "msg", "procedure_code", "imsi", "m_tmsi",
               "mme_ue_s1ap_id", "enb_ue_s1ap_id", "old_enb_ue_x2ap_id", "new_enb_ue_x2ap_id",
               "menb_ue_x2ap_id", "sgnb_ue_x2ap_id", "teid", "ecgi", "nr_cgi", "tac", "cause",
               "nas", "src", "dst"]

CAUSE = {"proto": "S1AP", "group": "radioNetwork", "value": 21,
         "name": "radio-connection-with-ue-lost"}
SMALL = [
    {"file": "a.pcap", "frame": 1, "ts": "2026-11-27T09:00:00.000000Z", "proto": "S1AP",
     "msg": "UEContextReleaseRequest", "mme_ue_s1ap_id": 7, "cause": CAUSE,
     "node_name": "基站-0421", "reassembled": True},
    {"file": "a.pcap", "frame": 2, "ts": "2026-11-27T09:00:01.000000Z", "proto": "S1AP",
     "msg": "UEContextReleaseCommand", "mme_ue_s1ap_id": [7, 8],
     "nas": [{"msg": None, "ciphered": True}], "erabs": [5, 6]},
]


@pytest.fixture(scope="module")
def sample_rows():
    return list(iter_rows(Run([str(SAMPLES / "attach_reject.pcap")]).events()))


def expected_columns(rows):
    extra = []
    for r in rows:
        extra += [k for k in r if k not in DESIGN_KEYS and k not in extra]
    return DESIGN_KEYS + extra


def cell_text(value):
    """What a CSV cell holds for a row value (DESIGN: nested values as JSON text)."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ------------------------------------------------------------------------------------ CSV
def test_csv_columns_and_cells_from_a_real_capture(sample_rows, tmp_path):
    out = tmp_path / "rows.csv"
    write_table(sample_rows, "csv", out)
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == expected_columns(sample_rows)
        got = list(reader)
    assert len(got) == len(sample_rows)
    for row, line in zip(sample_rows, got):
        for col in reader.fieldnames:
            assert line[col] == cell_text(row.get(col)), (row["frame"], col)
    nested = [line for line in got if line["nas"]]
    assert nested and all(isinstance(json.loads(line["nas"]), list) for line in nested)


def test_csv_keeps_unicode_lists_and_flags(tmp_path):
    out = tmp_path / "small.csv"
    write_table(SMALL, "csv", out)
    text = out.read_text(encoding="utf-8")
    assert "基站-0421" in text                        # not \\u-escaped
    first, second = list(csv.DictReader(io.StringIO(text)))
    assert json.loads(first["cause"]) == CAUSE
    assert first["mme_ue_s1ap_id"] == "7" and json.loads(second["mme_ue_s1ap_id"]) == [7, 8]
    assert json.loads(second["nas"]) == [{"msg": None, "ciphered": True}]
    assert (first["reassembled"], second["reassembled"]) == ("True", "")
    assert first["teid"] == "" and first["nas"] == ""           # absent: empty cell


def test_csv_to_stdout_without_a_path(capsys):
    write_table(SMALL[:1], "csv", None)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split(",")[:4] == ["file", "frame", "ts", "proto"] and len(out) == 2


# -------------------------------------------------------------------------------- Parquet
def test_parquet_types_and_values_from_a_real_capture(sample_rows, tmp_path):
    out = tmp_path / "rows.parquet"
    write_table(sample_rows, "parquet", out)
    t = pq.read_table(out)
    assert t.column_names == expected_columns(sample_rows)
    assert t.num_rows == len(sample_rows)
    schema = {f.name: f.type for f in t.schema}
    for col in ("frame", "procedure_code", "mme_ue_s1ap_id", "enb_ue_s1ap_id", "tac", "teid"):
        assert schema[col] == pa.int64(), col
    for col in ("file", "ts", "proto", "msg", "imsi", "ecgi", "cause", "nas", "src", "dst"):
        assert schema[col] == pa.string(), col
    for row, back in zip(sample_rows, t.to_pylist()):
        for col, value in back.items():
            want = row.get(col)
            if isinstance(want, (dict, list)):
                assert json.loads(value) == want, (row["frame"], col)
            else:
                assert value == want, (row["frame"], col)


def test_parquet_bools_mixed_values_and_empty_columns(tmp_path):
    out = tmp_path / "small.parquet"
    write_table(SMALL, "parquet", out)
    t = pq.read_table(out)
    schema = {f.name: f.type for f in t.schema}
    assert schema["reassembled"] == pa.bool_()
    assert schema["mme_ue_s1ap_id"] == pa.string()        # 7 in one row, [7, 8] in the other
    first, second = t.to_pylist()
    assert (first["reassembled"], second["reassembled"]) == (True, None)
    assert (first["mme_ue_s1ap_id"], json.loads(second["mme_ue_s1ap_id"])) == ("7", [7, 8])
    assert json.loads(first["cause"]) == CAUSE and first["node_name"] == "基站-0421"
    assert json.loads(second["erabs"]) == [5, 6]
    assert t.column("teid").null_count == 2                 # a DESIGN key no row carries


# ------------------------------------------------------------------- failed writes
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_failed_write_keeps_the_file_that_was_there(fmt, tmp_path, monkeypatch):
    out = tmp_path / ("rows." + fmt)
    out.write_bytes(b"yesterday's export\n")

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    def broken_parquet(table, where, **kwargs):      # as pyarrow does: the target is opened first
        with open(where, "wb") as f:
            f.write(b"PAR1")
        raise OSError("No space left on device")
    if fmt == "parquet":
        monkeypatch.setattr(pq, "write_table", broken_parquet)
    else:
        monkeypatch.setattr(csv.DictWriter, "writerows", broken)
    with pytest.raises(OSError, match="No space"):
        write_table(SMALL, fmt, out)
    assert out.read_bytes() == b"yesterday's export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]     # no .part left behind


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_write_replaces_the_file_whole(fmt, tmp_path):
    out = tmp_path / ("rows." + fmt)
    out.write_bytes(b"old")
    write_table(SMALL, fmt, out)
    n = (pq.read_table(out).num_rows if fmt == "parquet"
         else len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))))
    assert n == len(SMALL)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    fresh = tmp_path / ("fresh." + fmt)
    write_table(SMALL, fmt, fresh)
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask     # as open() would have made it
