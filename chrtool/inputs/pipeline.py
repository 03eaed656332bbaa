"""bytes -> event table: run every input through its reader and the protocol decoders.

Each batch is fully decoded before it is handed on, so later stages never look at raw bytes.
"""
from importlib import import_module

from chrtool.errors import DecodeError, InputError, Problem
from chrtool.table.events import Events
from chrtool.inputs.sources import classify, expand, open_binary, reader

# Protocol decoders in the order they must run: S1AP/X2AP add the NAS-EPS rows NAS then decodes.
DECODER_MODULES = ("s1ap", "x2ap", "nas_eps", "gtpv2", "diameter")


def _load_decoders():
    mods = []
    for name in DECODER_MODULES:
        try:
            mods.append((name, import_module(f"chrtool._fast.{name}")))
        except ModuleNotFoundError as exc:
            if exc.name != f"chrtool._fast.{name}":
                raise
    return mods


DECODERS = _load_decoders()


def decode_batch(table, nas_state):
    """Run every protocol decoder over one EventTable batch, in place."""
    for name, mod in DECODERS:
        if name == "nas_eps":
            mod.decode(table, nas_state)
        else:
            mod.decode(table)


class Run:
    """One decoding run over many inputs: sources, skipped files, problems, counters."""

    def __init__(self, inputs, chunk_bytes=None, on_problem=None):
        self.paths = expand(inputs)
        self.sources, self.skipped = classify(self.paths)
        self.chunk_bytes = chunk_bytes
        self.problems = []
        self.failed = []            # sources that could not be read at all
        self.counters = {}
        self.on_problem = on_problem

    @property
    def files(self):
        return {s.file_id: s.path for s in self.sources}

    def _problem(self, problem):
        self.problems.append(problem)
        if self.on_problem:
            self.on_problem(problem)

    def batches(self, progress=None):
        """Yield (source, decoded EventTable) for every chunk of every input."""
        from chrtool._fast.nas_eps import NasState
        for source in self.sources:
            rdr = None
            used = 0
            try:
                with open_binary(source) as fh:
                    rdr = reader(source, fh, self.chunk_bytes)
                    nas_state = NasState()
                    for table in rdr:
                        decode_batch(table, nas_state)
                        if progress:
                            progress(source, table)
                        used += table.n
                        yield source, table
            except DecodeError as exc:          # the reader had to stop: keep what came before
                if not used:
                    self.failed.append(source)
                self._problem(Problem(source.path, exc.offset, exc.layer or source.kind,
                                      exc.message + ("" if used else "; nothing could be read")))
            except (InputError, ValueError, OSError, EOFError) as exc:
                self.failed.append(source)
                self._problem(Problem(source.path, 0, source.kind, f"cannot be read: {exc}"))
            finally:
                if rdr is not None:
                    for offset, layer, message in getattr(rdr, "problems", ()):
                        self._problem(Problem(source.path, offset, layer, message))
                    for k, v in getattr(rdr, "counters", {}).items():
                        self.counters[k] = self.counters.get(k, 0) + v

    def events(self, progress=None):
        """All inputs decoded into one Events table."""
        return Events.concat([t for _, t in self.batches(progress)], self.files)
