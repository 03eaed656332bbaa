"""Decode rows -> CSV or Parquet: scalar keys as columns, nested values as JSON text."""
import csv
import json
import sys

from chrtool.output.rows import to_jsonable

SCALAR_FIRST = ("file", "frame", "ts", "proto", "msg", "procedure_code", "imsi", "m_tmsi",
                "mme_ue_s1ap_id", "enb_ue_s1ap_id", "old_enb_ue_x2ap_id", "new_enb_ue_x2ap_id",
                "menb_ue_x2ap_id", "sgnb_ue_x2ap_id", "teid", "ecgi", "nr_cgi", "tac", "cause",
                "nas", "src", "dst")


def _flat(rows):
    keys = list(SCALAR_FIRST)
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    flat = [{k: (json.dumps(v, ensure_ascii=False, default=to_jsonable)
                 if isinstance(v, (dict, list)) else v) for k, v in row.items()} for row in rows]
    return keys, flat


def write_table(rows, fmt, path):
    keys, flat = _flat(rows)
    if fmt == "csv":
        out = open(path, "w", newline="", encoding="utf-8") if path else sys.stdout
        try:
            writer = csv.DictWriter(out, fieldnames=keys)
            writer.writeheader()
            writer.writerows(flat)
        finally:
            if path:
                out.close()
        return
    import pyarrow as pa
    import pyarrow.parquet as pq
    columns = {}
    for k in keys:
        values = [r.get(k) for r in flat]
        if all(v is None or isinstance(v, bool) for v in values):
            columns[k] = pa.array(values, pa.bool_())
        elif all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
            columns[k] = pa.array(values, pa.int64())
        else:
            columns[k] = pa.array([None if v is None else str(v) for v in values], pa.string())
    pq.write_table(pa.table(columns), path)
