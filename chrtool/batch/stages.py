"""The units of work of a batch job: plain functions of plain arguments, so that a process pool
and a Dask cluster run the very same code (chrtool/batch/engines.py).

1. `map_file`: one input decoded into the compact link columns of its messages
   (chrtool/link/columns.py), with its problems and fingerprint.
2. (the coordinator links all files' columns at once: chrtool/batch/job.py)
3. `shuffle_file`: the input decoded again, its rows split by the shard of their subscriber
   and written as event tables, so that each shard later reads only its own subscribers.
4. `diagnose_shard`: one shard's subscribers: procedures, findings, cell counts, ticket reports.

Each writes its result under OUTDIR/.work atomically (chrtool/batch/store.py) and returns a
small summary; what is already there from an earlier run is not done again.
"""
import os
import pickle

import numpy as np

from chrtool.batch import store

# a shard's events are flushed to disk once this many rows of them are held (bounds the memory
# of a shuffle task whatever the size of its file)
FLUSH_ROWS = 400_000


def _run(path, options):
    from chrtool.inputs.pipeline import Run
    return Run([path], maps=options.get("maps", ()),
               nas_null_cipher=options.get("nas_null_cipher", False))


def map_file(task):
    """Decode one input into its link columns. task: path, file_id, out (the .npz to write),
    status (the .json to write last: its presence says the file is done), options."""
    from chrtool.link.columns import LinkColumns
    path, file_id = task["path"], task["file_id"]
    status = {"path": path, "file_id": file_id, "status": "ok", "messages": 0, "problems": [],
              "problem_count": 0, "counters": {}}
    try:
        status.update(store.fingerprint(path))
        run = _run(path, task["options"])
        if not run.sources:
            reason = run.skipped[0][1] if run.skipped else "not an input chrtool reads"
            status.update(status="quarantined", reason=reason)
        else:
            lc = LinkColumns.for_inputs(run.nbytes)
            for _, table in run.batches():
                lc.add_table(table)
            lc.finish()
            lc.file_id[:] = file_id
            lc.files = {file_id: (0, lc.n)}
            status["messages"] = lc.n
            status["problem_count"] = len(run.problems)
            status["problems"] = [str(p) for p in run.problems[:20]]
            status["counters"] = {k: int(v) for k, v in run.counters.items()}
            if run.failed or (not lc.n and run.problems):      # nothing could be read
                status.update(status="quarantined", reason=str(run.problems[-1]) if run.problems
                              else "cannot be read")
            else:
                if run.problems:
                    status["status"] = "damaged"      # used: everything decodable is kept
                with store.atomic(task["out"]) as fh:
                    lc.save(fh)
    except Exception as exc:                          # noqa: BLE001  never stops the batch
        status.update(status="quarantined", reason=f"{type(exc).__name__}: {exc}")
    store.write_json(task["status"], status)
    return status


def shuffle_file(task):
    """Decode one input again and write its rows shard by shard. task: path, file_id, shard
    (per row of the file, its shard or -1), pieces (a name pattern with {shard} and {part}),
    done (the .json listing the pieces, written last), options."""
    from chrtool.table.events import Events
    shard_of = np.asarray(task["shard"])
    run = _run(task["path"], task["options"])
    held = {}                   # shard -> [Events]
    held_rows = 0
    pieces = {}                 # shard -> [paths], in row order
    files = {task["file_id"]: task["path"]}

    def flush():
        nonlocal held_rows
        for s, parts in sorted(held.items()):
            ev = Events.join(parts, files)
            name = task["pieces"].format(shard=s, part=len(pieces.get(s, ())))
            with store.atomic(name) as fh:
                ev.save(fh)
            pieces.setdefault(s, []).append(name)
        held.clear()
        held_rows = 0

    at = 0
    for _, table in run.batches():
        mine = shard_of[at:at + table.n]
        at += table.n
        rows = np.flatnonzero(mine >= 0)
        if not len(rows):
            continue
        ev = Events.of_table(table)
        ev.cols["file_id"] = np.full(table.n, task["file_id"], np.int32)
        ev.files = files
        by = np.argsort(mine[rows], kind="stable")
        rows = rows[by]
        shards, first = np.unique(mine[rows], return_index=True)
        for s, lo, hi in zip(shards.tolist(), first.tolist(), first[1:].tolist() + [len(rows)]):
            held.setdefault(s, []).append(ev.take(np.sort(rows[lo:hi]), compact=True))
        held_rows += len(rows)
        if held_rows >= FLUSH_ROWS:
            flush()
    flush()
    if at != len(shard_of):
        raise RuntimeError(f"{task['path']}: {at} messages decoded now, {len(shard_of)} before: "
                           "the file changed during the job")
    done = {"file_id": task["file_id"], "pieces": {str(s): p for s, p in pieces.items()}}
    store.write_json(task["done"], done)
    return done


def _shard(task):
    """(the shard's Sessions, its events in row order): what every per-shard stage starts from."""
    from chrtool.table.events import Events
    with open(task["sessions"], "rb") as fh:
        sessions = pickle.load(fh)
    ev = Events.join([Events.load(p) for p in task["pieces"]], task["files"])
    if ev.n != len(sessions.ue_of_row):
        raise RuntimeError(f"shard {task['shard']}: {ev.n} messages read back, "
                           f"{len(sessions.ue_of_row)} expected")
    return sessions, ev


def procedures_shard(task):
    """The procedures of one shard's subscribers. task: shard, pieces, sessions, files, ues (as
    for diagnose_shard), rows_out (their rows of the procedure table, Parquet; None: count only),
    counts_out ("kind outcome" -> n as JSON, written last: its presence says the shard is done)."""
    from collections import Counter
    from chrtool.link.procedures import build
    from chrtool.output.procedures import procedure_rows, write_procedures
    sessions, ev = _shard(task)
    procs = build(ev, sessions, sorted(task["ues"]), end_ns=sessions.end_ns)
    if task.get("rows_out"):
        write_procedures(procedure_rows(ev, sessions, procs), "parquet", task["rows_out"],
                         durable=True)
    counts = Counter(f"{p.kind} {p.outcome}" for p in procs)
    store.write_json(task["counts_out"], dict(sorted(counts.items())))
    return {"shard": task["shard"], "procedures": len(procs)}


def diagnose_shard(task):
    """Procedures and findings of one shard's subscribers. task: shard, pieces (its event tables
    in row order), sessions (a pickle of the run's Sessions over those rows), causes (a pickle
    of the run's cause index), ues, tickets, since_ns, until_ns, lang, tz, inputs, outdir, out
    (the results pickle), procedures_out (its rows of sessions.parquet), events_out (with
    --events: its rows of events.parquet)."""
    from chrtool.batch import results
    from chrtool.output.procedures import write_procedures
    sessions, ev = _shard(task)
    with open(task["causes"], "rb") as fh:
        index = pickle.load(fh)
    out = results.shard_results(ev, sessions, index, task)
    write_procedures(out.pop("procedures"), "parquet", task["procedures_out"], durable=True)
    if task.get("events_out"):
        results.write_events(ev, sessions, task["events_out"])
    with store.atomic(task["out"]) as fh:       # last: its presence says the shard is done
        pickle.dump(out, fh, protocol=5)
    return {"shard": task["shard"], "findings": len(out["findings"])}


def done(path):
    return os.path.exists(path)
