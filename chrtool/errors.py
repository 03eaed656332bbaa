"""Errors chrtool raises and the input problems it reports. Every problem names the file and
where in it: the byte offset for binary formats, line:column for text ones, and the layer."""


class ChrtoolError(Exception):
    """Root of chrtool's errors."""


class InputError(ChrtoolError):
    """An input could not be opened or recognised at all."""


class Problem:
    """A recoverable input problem: decoding went on around it.

    Binary formats give the byte `offset` (and a short `snippet` of the bytes there); text formats
    give `line` and, where known, `column` (1-based). `layer` is the path through the decoders,
    e.g. "capture/sctp" or "csv"."""

    __slots__ = ("file", "layer", "message", "offset", "line", "column", "snippet")

    def __init__(self, file, layer, message, offset=None, line=None, column=None, snippet=b""):
        self.file, self.layer, self.message = file, layer, message
        self.offset, self.line, self.column = offset, line, column
        self.snippet = bytes(snippet[:16])

    def where(self):
        """'file at byte N' / 'file at line L:C' / 'file'."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f" at line {self.line}" + (f":{self.column}" if self.column else "")
        elif self.offset is not None:
            where += f" at byte {self.offset}"
        return where

    def __str__(self):
        layer = f" [{self.layer}]" if self.layer else ""
        look = f" (bytes: {self.snippet.hex(' ')})" if self.snippet else ""
        return f"{self.where()}{layer}: {self.message}{look}"

    def __repr__(self):
        return f"Problem({str(self)!r})"

    def as_dict(self):
        out = {"file": self.file}
        for key in ("offset", "line", "column"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out.update(layer=self.layer, message=self.message)
        if self.snippet:
            out["snippet"] = self.snippet.hex()
        return out


class DecodeError(ChrtoolError):
    """Bytes (or text) that do not decode: where they are, in which layer, and a look at them."""

    def __init__(self, message, file=None, offset=None, layer=None, snippet=b"", line=None,
                 column=None):
        self.message = message
        self.file = file
        self.offset = offset
        self.line, self.column = line, column
        self.layer = layer
        self.snippet = bytes(snippet[:16])
        super().__init__(str(self))

    def problem(self, file=None, layer=None, message=None):
        """This error as a Problem (file and layer filled in where the error did not know)."""
        return Problem(self.file or file, self.layer or layer, message or self.message,
                       self.offset, self.line, self.column, self.snippet)

    def __str__(self):
        return str(self.problem())


class ProblemLog:
    """A reader's problems, capped (a hostile file must not fill memory with warnings), and the
    count of everything reported."""

    def __init__(self, file, limit=1000):
        self.file, self.items, self.limit, self.count = file, [], limit, 0

    def add(self, layer, message, **where):
        """Record one problem; `where` is offset= (and snippet=) or line= (and column=)."""
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(Problem(self.file, layer, message, **where))
        elif len(self.items) == self.limit:
            self.items.append(Problem(self.file, layer, "further problems not listed", **where))
