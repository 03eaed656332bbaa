"""Decode rows -> CSV or Parquet: scalar keys as columns, nested values as JSON text."""
import contextlib
import csv
import json
import os
import stat
import sys

from chrtool.output.rows import to_jsonable

SCALAR_FIRST = ("file", "frame", "ts", "proto", "msg", "procedure_code", "imsi", "m_tmsi",
                "mme_ue_s1ap_id", "enb_ue_s1ap_id", "old_enb_ue_x2ap_id", "new_enb_ue_x2ap_id",
                "menb_ue_x2ap_id", "sgnb_ue_x2ap_id", "teid", "ecgi", "nr_cgi", "tac", "cause",
                "nas", "src", "dst")


def _flat(rows, first=SCALAR_FIRST):
    keys = list(first)
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    flat = [{k: (json.dumps(v, ensure_ascii=False, default=to_jsonable)
                 if isinstance(v, (dict, list)) else v) for k, v in row.items()} for row in rows]
    return keys, flat


def _special(path):
    """Whether path is there and no regular file (a device like /dev/full, a pipe)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


@contextlib.contextmanager
def replacing(path, durable=False):
    """A temporary name beside path that becomes path only when the write completes: a failed
    or killed write leaves what was at path before (pyarrow deletes a file it fails to write).
    `durable` (batch jobs) also syncs the file before the rename and the folder after it, so a
    crash of the machine cannot leave a renamed but empty file. A device or pipe is written in
    place: renaming onto it would replace it with a file. The one home of chrtool's writes."""
    if _special(path):
        yield path
        return
    # the writer creates tmp itself, so it gets the permissions path would have had (not 0600)
    head, tail = os.path.split(os.fspath(path))
    tmp = os.path.join(head, ".%s.%d.part" % (tail, os.getpid()))
    try:
        yield tmp
        if durable:
            _sync(tmp)
        os.replace(tmp, path)
        if durable:
            _sync(head or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sync(path, flags=os.O_RDONLY):
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def concat_parquet(path, parts, durable=False):
    """One Parquet file from parts (the shards' tables), row group by row group (never all in
    memory), with the schema they share (a column one part left empty takes the others' type)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    with replacing(path, durable) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for p in parts:
                f = pq.ParquetFile(p)
                for g in range(f.num_row_groups):
                    t = f.read_row_group(g)
                    for name in schema.names:           # columns a part does not have
                        if name not in t.column_names:
                            t = t.append_column(name, pa.nulls(t.num_rows, schema.field(name).type))
                    writer.write_table(t.select(schema.names).cast(schema))


ARROW_TYPES = {"int": "int64", "float": "float64", "str": "string", "bool": "bool_"}


def write_table(rows, fmt, path, first=SCALAR_FIRST, types=None, durable=False):
    """CSV (stdout without a path) or Parquet. Columns: `first`, then any other key in row order;
    a column's type is `types[name]` ("int", "float", "str", "bool") or guessed from its values."""
    keys, flat = _flat(rows, first)
    types = types or {}
    if fmt == "csv":
        if not path:
            _write_csv(sys.stdout, keys, flat)
            return
        with replacing(path, durable) as tmp, open(tmp, "w", newline="", encoding="utf-8") as out:
            _write_csv(out, keys, flat)
        return
    import pyarrow as pa
    columns = {}
    for k in keys:
        values = [r.get(k) for r in flat]
        if k in types:
            columns[k] = pa.array(values, getattr(pa, ARROW_TYPES[types[k]])())
        elif all(v is None or isinstance(v, bool) for v in values):
            columns[k] = pa.array(values, pa.bool_())
        elif all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
            columns[k] = pa.array(values, pa.int64())
        else:
            columns[k] = pa.array([None if v is None else str(v) for v in values], pa.string())
    write_parquet(pa.table(columns), path, durable)


def write_parquet(table, path, durable=False):
    """An Arrow table to path as Parquet, whole or not at all (a device or pipe in place)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    if _special(path):                 # pyarrow would delete the device it failed to write
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        with open(path, "wb") as out:
            out.write(sink.getvalue())
        return
    with replacing(path, durable) as tmp:
        pq.write_table(table, tmp)


def _write_csv(out, keys, flat):
    writer = csv.DictWriter(out, fieldnames=keys)
    writer.writeheader()
    writer.writerows(flat)
