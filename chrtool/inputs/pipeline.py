"""bytes -> event table: run every input through its reader and the protocol decoders.

Each batch is fully decoded before it is handed on, so later stages never look at raw bytes.
"""
import os

import numpy as np

from chrtool.errors import DecodeError, InputError, Problem
from chrtool.inputs.sources import classify, expand, open_binary, reader
from chrtool.protocols import DECODERS
from chrtool.table.events import Events

# The capture batch size for a pass that only counts and lets each batch go (`chrtool stats`):
# 64 KiB keeps the batch (read buffer and table) in a core's L2 between the decoding stages, which
# made the decode loop 30-40% faster than the readers' 1 MiB default (README, "What bounds").
# Consumers that keep or link every batch stay at the default: more, smaller batches cost them
# more than the cache gives back (diagnose on ref-100M: 1.9 s instead of 1.35 s).
COUNT_CHUNK_BYTES = 64 << 10


def decode_batch(table, states):
    """Run every protocol decoder over one EventTable batch, in place, in registry order."""
    for record in DECODERS:
        record.decode(table, states.get(record.name))


def new_states(**options):
    """Per-file decoder state (NAS security contexts), one per stateful protocol; `options` are
    the run's decoder options (nas_null_cipher=...), each handed to the records that take it."""
    return {p.name: p.new_state(**options) for p in DECODERS if p.state}


def as_problem(problem, path):
    """A reader's problem as a Problem: the compiled readers (capture, chr-v1) report plain
    (byte offset, layer, message) tuples, the Python ones Problem objects."""
    if isinstance(problem, Problem):
        return problem
    offset, layer, message = problem
    return Problem(path, layer, message, offset=offset)


class Run:
    """One decoding run over many inputs: sources, skipped files, problems, counters."""

    def __init__(self, inputs, chunk_bytes=None, on_problem=None, maps=(), nas_null_cipher=False):
        self.paths = expand(inputs)
        self.maps = tuple(maps)
        self.sources, self.skipped = classify(self.paths, self.maps)
        self.chunk_bytes = chunk_bytes
        self.capture_chunk_bytes = None     # captures only, when chunk_bytes is None (stats)
        self.nas_null_cipher = nas_null_cipher
        self.problems = []
        self.failed = []            # sources that could not be read at all
        self.counters = {}
        self.on_problem = on_problem
        self.row_base, self.row_count = {}, {}     # file_id -> first row, rows (batches())

    @property
    def files(self):
        return {s.file_id: s.path for s in self.sources}

    @property
    def nbytes(self):
        """The inputs' size on disk (compressed ones as stored)."""
        total = 0
        for s in self.sources:
            try:
                total += os.path.getsize(s.path)
            except OSError:
                pass                        # it will be reported when read
        return total

    def _problem(self, problem):
        self.problems.append(problem)
        if self.on_problem:
            self.on_problem(problem)

    def batches(self, progress=None):
        """Yield (source, decoded EventTable) for every chunk of every input. Rows are numbered
        in the order they come (row_base: each source's first row), so that `take` can decode
        some of them again."""
        rows = 0
        for source in self.sources:
            self.row_base[source.file_id] = rows
            for table in self._decode(source, progress, report=True):
                rows += table.n
                yield source, table
            self.row_count[source.file_id] = rows - self.row_base[source.file_id]

    def take(self, rows, progress=None):
        """The Events of `rows` (numbered as a full `batches()` pass numbered them), decoded
        again from the sources that hold them, each only as far as its last wanted row. Only those
        rows and the bytes they refer to are kept, so memory follows the rows, not the inputs.
        Problems were reported by the first pass and are not repeated."""
        rows = np.unique(np.asarray(rows, np.int64))
        parts = []
        for source in self.sources:
            if source.file_id not in self.row_count:
                raise RuntimeError("Run.take needs a full batches() pass first")
            base = self.row_base[source.file_id]
            lo, hi = np.searchsorted(rows, [base, base + self.row_count[source.file_id]])
            if lo == hi:
                continue
            mine, at = rows[lo:hi] - base, 0
            decoded = self._decode(source, progress, report=False)
            try:
                for table in decoded:
                    a, b = np.searchsorted(mine, [at, at + table.n])
                    if a < b:
                        parts.append(Events.of_table(table).take(mine[a:b] - at, compact=True))
                    at += table.n
                    if at > mine[-1]:
                        break
            finally:
                decoded.close()             # stopped early: the file is closed now
        return Events.join(parts, self.files)

    def _decode(self, source, progress, report):
        """The decoded batches of one source; problems go to the run when `report`."""
        rdr = None
        used = 0
        try:
            with open_binary(source) as fh:
                chunk = self.chunk_bytes
                if chunk is None and source.kind == "capture":
                    chunk = self.capture_chunk_bytes
                rdr = reader(source, fh, chunk, self.maps)
                states = new_states(nas_null_cipher=self.nas_null_cipher)
                for table in rdr:
                    decode_batch(table, states)
                    if progress:
                        progress(source, table)
                    used += table.n
                    yield table
        except DecodeError as exc:              # the reader had to stop: keep what came before
            if report:
                if not used:
                    self.failed.append(source)
                self._problem(exc.problem(source.path, source.kind, exc.message + (
                    "" if used else "; nothing could be read")))
        except (InputError, ValueError, OSError, EOFError) as exc:
            if report:
                self.failed.append(source)
                self._problem(Problem(source.path, source.kind, f"cannot be read: {exc}", offset=0))
        finally:
            if rdr is not None and report:
                for problem in getattr(rdr, "problems", ()):
                    self._problem(as_problem(problem, source.path))
                for k, v in getattr(rdr, "counters", {}).items():
                    self.counters[k] = self.counters.get(k, 0) + v

    def events(self, progress=None):
        """All inputs decoded into one Events table."""
        return Events.concat([t for _, t in self.batches(progress)], self.files)
