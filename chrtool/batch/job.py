"""A batch job over a night's exports: map per file, link across files, diagnose per shard of
subscribers, then the outputs (DESIGN.md "chrtool batch outputs").

    map       every input -> its link columns                        (parallel, per file)
    link      all files' columns -> subscribers                       (the coordinator)
    shuffle   every input again -> its rows, split by subscriber shard (parallel, per file)
    diagnose  every shard -> procedures, findings, cells, tickets      (parallel, per shard)
    reduce    the shards' results -> OUTDIR's files                    (the coordinator)

A subscriber's story spans rotated files and probes, so the job shards by identity after
linking, never by file. Shards are cut by input size, not by the number of workers, and every
result is merged in shard and file order: the outputs are the same for any --workers and
either engine. Every unit of work leaves its result under OUTDIR/.work (chrtool/batch/store.py),
so a rerun after a kill does only what is missing and gives the same bytes.
"""
import math
import os
import pickle

import numpy as np

from chrtool import __version__
from chrtool.batch import store

SHARD_BYTES = 64 << 20          # at most about this much input per shard: its events fit a worker
MIN_SHARDS = 8                  # so that a small night still keeps several workers busy
STAGES = ("map", "shuffle", "link", "shard", "procedures")


class Job:
    def __init__(self, inputs, outdir, engine, tickets=None, since_ns=None, until_ns=None,
                 events=False, lang="en", tz=None, options=None, clock_skew_ns=50_000_000,
                 progress=None):
        self.inputs, self.outdir, self.engine = list(inputs), outdir, engine
        self.tickets_path, self.since_ns, self.until_ns = tickets, since_ns, until_ns
        self.events, self.lang, self.tz = events, lang, tz
        self.options = dict(options or {})
        self.clock_skew_ns = clock_skew_ns
        self.progress = progress or (lambda stage, total: None)
        self.work = store.WorkDir(outdir)
        self.keep = {s: set() for s in STAGES}

    # ------------------------------------------------------------------ the stages
    def run(self):
        """The whole job: OUTDIR's files; returns the summary the CLI prints."""
        prep = self.prepare()
        tickets, unmatched = self._tickets(prep.sessions)
        shards = self._diagnose(prep, tickets)
        self._lap("diagnose")
        from chrtool.batch import outputs
        summary = outputs.write(self, prep.statuses, prep.skipped, prep.sessions, shards, tickets,
                                unmatched)
        self._lap("reduce")
        self._prune()
        return summary

    def procedures(self, rows=True):
        """map, link and shuffle, then every shard's procedures: (prep, the shards' Parquet parts
        of the procedure table in shard order (none without `rows`), Counter "kind outcome" -> n).
        `chrtool procedures` and `stats --subscribers` over inputs of any size."""
        from collections import Counter
        from chrtool.batch.stages import procedures_shard
        prep = self.prepare()
        tasks, outs = [], []
        for s in range(prep.n_shards):
            name = f"{prep.run_key}-s{s}-procedures"
            out = {"counts_out": self.work.path("procedures", name + ".json"),
                   "rows_out": self.work.path("procedures", name + ".parquet") if rows else None}
            outs.append(out)
            self.keep["procedures"] |= {os.path.basename(p) for p in out.values() if p}
            if all(os.path.exists(p) for p in out.values() if p):
                continue
            tasks.append(dict(out, **self._shard_task(prep, s)))
        step = self.progress("procedures", len(tasks))
        self.engine.map(procedures_shard, tasks, step)
        self._lap("procedures")
        counts = Counter()
        for out in outs:
            counts.update(store.read_json(out["counts_out"]))
        self._prune()
        return prep, [o["rows_out"] for o in outs if o["rows_out"]], counts

    def prepare(self):
        """map, link and shuffle: the subscribers of all inputs, and each shard's rows on disk."""
        import time
        from types import SimpleNamespace
        from chrtool.inputs.sources import classify, expand
        self._clock, self.timings = time.perf_counter(), {}
        paths = expand(self.inputs)
        sources, skipped = classify(paths, self.options.get("maps", ()))
        statuses = self._map(sources)
        self._lap("map")
        usable = [st for st in statuses if st["status"] in ("ok", "damaged")]
        files = {st["file_id"]: st["path"] for st in usable}
        sessions, index, rows_of_file = self._link(usable)
        self._lap("link")
        n_shards = max(MIN_SHARDS, math.ceil(sum(st["bytes"] for st in usable) / SHARD_BYTES))
        shard_of_row = np.where(sessions.ue_of_row >= 0, sessions.ue_of_row % n_shards,
                                -1).astype(np.int32)
        run_key = store.key(__version__, [st["key"] for st in usable], n_shards,
                            self.clock_skew_ns, self.options)
        pieces = self._shuffle(usable, rows_of_file, shard_of_row, run_key)
        self._lap("shuffle")
        return SimpleNamespace(statuses=statuses, skipped=skipped, files=files, sessions=sessions,
                               index=index, n_shards=n_shards, shard_of_row=shard_of_row,
                               run_key=run_key, pieces=pieces)

    def _lap(self, stage):
        """The time split the benchmark reports (not an output)."""
        import time
        now = time.perf_counter()
        self.timings[stage] = round(now - self._clock, 3)
        self._clock = now

    def _prune(self):
        for stage, names in self.keep.items():
            self.work.prune(stage, names)

    def _map(self, sources):
        from chrtool.link.columns import LinkColumns
        tasks, statuses = [], {}
        for src in sources:
            st = os.stat(src.path)
            k = store.key(__version__, LinkColumns.FORMAT, os.path.abspath(src.path), st.st_size,
                          st.st_mtime_ns, src.file_id, self.options)
            out, status = self.work.path("map", k + ".npz"), self.work.path("map", k + ".json")
            self.keep["map"] |= {k + ".npz", k + ".json"}
            done = store.read_json(status)
            if done and (done["status"] == "quarantined" or os.path.exists(out)):
                statuses[src.file_id] = dict(done, key=k)
                continue
            tasks.append({"path": src.path, "file_id": src.file_id, "out": out,
                          "status": status, "options": self.options, "key": k})
        from chrtool.batch.stages import map_file
        step = self.progress("decoding", len(tasks))
        for t, st in zip(tasks, self.engine.map(map_file, tasks, step)):
            statuses[t["file_id"]] = dict(st, key=t["key"])
        return [statuses[s.file_id] for s in sources]

    def _link(self, usable):
        from chrtool.diagnose.cells import CauseIndex
        from chrtool.link.columns import LinkColumns
        from chrtool.link.correlate import correlate_columns
        step = self.progress("linking", 1)
        lc = LinkColumns.merge([LinkColumns.load(self.work.path("map", st["key"] + ".npz"))
                                for st in usable])
        rows_of_file = dict(lc.files)
        causes = lc.take_causes()
        sessions = correlate_columns(lc, self.clock_skew_ns, consume=True)
        index = CauseIndex(causes, sessions.ue_of_row, {st["file_id"]: st["path"] for st in usable})
        if step:
            step()
        return sessions, index, rows_of_file

    def _shuffle(self, usable, rows_of_file, shard_of_row, run_key):
        """file_id -> shard -> its pieces, in row order."""
        tasks, pieces = [], {}
        for st in usable:
            f = st["file_id"]
            done = self.work.path("shuffle", f"{run_key}-f{f}.json")
            self.keep["shuffle"].add(os.path.basename(done))
            found = store.read_json(done)
            if found and all(os.path.exists(p) for ps in found["pieces"].values() for p in ps):
                pieces[f] = found["pieces"]
                self.keep["shuffle"] |= {os.path.basename(p) for ps in found["pieces"].values()
                                         for p in ps}
                continue
            first, count = rows_of_file.get(f, (0, 0))
            tasks.append({"path": st["path"], "file_id": f, "options": self.options,
                          "shard": shard_of_row[first:first + count], "done": done,
                          "pieces": self.work.path("shuffle", f"{run_key}-f{f}-s{{shard}}-"
                                                              f"p{{part}}.npz")})
        from chrtool.batch.stages import shuffle_file
        step = self.progress("sorting by subscriber", len(tasks))
        for t, done in zip(tasks, self.engine.map(shuffle_file, tasks, step)):
            pieces[t["file_id"]] = done["pieces"]
            self.keep["shuffle"] |= {os.path.basename(p) for ps in done["pieces"].values()
                                     for p in ps}
        return pieces

    def _tickets(self, sessions):
        """The tickets, each with the subscriber it names (None: not in the inputs)."""
        if not self.tickets_path:
            return [], []
        from chrtool.inputs.tickets import parse_time, read_tickets, ticket_zone
        from chrtool.output.report import ticket_echo
        from chrtool.errors import InputError
        by_imsi = {u.imsi: u.index for u in sessions.ues if u.imsi}
        by_msisdn = {}
        for u in sessions.ues:
            if u.msisdn:
                by_msisdn.setdefault(_digits(u.msisdn), u.index)
        matched, unmatched = [], []
        for number, t in sorted(read_tickets(self.tickets_path).items()):
            ue = by_imsi.get(t.imsi) if t.imsi else None
            if ue is None and t.msisdn:
                ue = by_msisdn.get(_digits(t.msisdn))
            try:
                time_ns = parse_time(t.time) if t.time else None
            except InputError:
                time_ns = None                  # then the job's window, as for no time
            entry = {"ticket": number, "ue": ue, "time_ns": time_ns, "zone": ticket_zone(t),
                     "echo": ticket_echo(t)}
            (matched if ue is not None else unmatched).append(entry)
        return matched, unmatched

    def _diagnose(self, prep, tickets):
        job_key = store.key(prep.run_key, self.since_ns, self.until_ns, self.lang, str(self.tz),
                            self.events, [(t["ticket"], t["ue"], t["time_ns"], t["echo"])
                                          for t in tickets])
        causes = self.work.path("link", f"{prep.run_key}-causes.pkl")
        self.keep["link"].add(os.path.basename(causes))
        if not os.path.exists(causes):
            with store.atomic(causes) as fh:
                pickle.dump(prep.index, fh, protocol=5)
        tasks, names = [], []
        ue_shard = np.arange(len(prep.sessions.ues)) % prep.n_shards
        for s in range(prep.n_shards):
            name = f"{job_key}-s{s}"
            out = {"out": self.work.path("shard", name + ".pkl"),
                   "procedures_out": self.work.path("shard", name + "-procedures.parquet"),
                   "events_out": (self.work.path("shard", name + "-events.parquet")
                                  if self.events else None)}
            names.append(out)
            self.keep["shard"] |= {os.path.basename(p) for p in out.values() if p}
            if all(os.path.exists(p) for p in out.values() if p):
                continue
            tasks.append(dict(out, **self._shard_task(prep, s), causes=causes,
                              tickets=[t for t in tickets if ue_shard[t["ue"]] == s],
                              since_ns=self.since_ns, until_ns=self.until_ns, lang=self.lang,
                              tz=self.tz, inputs=list(prep.files.values()), outdir=self.outdir))
        from chrtool.batch.stages import diagnose_shard
        step = self.progress("diagnosing", len(tasks))
        self.engine.map(diagnose_shard, tasks, step)
        results = []
        for out in names:
            with open(out["out"], "rb") as fh:
                results.append(dict(pickle.load(fh), **out))
        return results

    def _shard_task(self, prep, s):
        """What every per-shard stage reads: the shard's subscribers, their rows' event pieces in
        file and row order, and the run's Sessions over those rows (pickled once per run)."""
        sess = self.work.path("link", f"{prep.run_key}-s{s}.pkl")
        self.keep["link"].add(os.path.basename(sess))
        if not os.path.exists(sess):
            rows = np.flatnonzero(prep.shard_of_row == s)
            with store.atomic(sess) as fh:
                pickle.dump(prep.sessions.subset(rows), fh, protocol=5)
        return {"shard": s, "sessions": sess, "files": prep.files,
                "pieces": [p for f in sorted(prep.pieces) for p in prep.pieces[f].get(str(s), ())],
                "ues": list(range(s, len(prep.sessions.ues), prep.n_shards))}


def _digits(number):
    return "".join(ch for ch in number if ch.isdigit())
