"""Errors chrtool raises. Every decoding problem names the file, the byte offset and the layer."""


TEXT_LAYERS = ("csv", "xml", "32.423", "tickets")   # where positions are line numbers


class ChrtoolError(Exception):
    """Root of chrtool's errors."""


class InputError(ChrtoolError):
    """An input could not be opened or recognised at all."""


class DecodeError(ChrtoolError):
    """Bytes that do not decode: where they are, in which layer, and a look at them."""

    def __init__(self, message, file=None, offset=None, layer=None, snippet=b""):
        self.message = message
        self.file = file
        self.offset = offset
        self.layer = layer
        self.snippet = bytes(snippet[:16])
        super().__init__(str(self))

    def __str__(self):
        where = self.file or "<input>"
        if self.offset is not None:   # text formats count lines, binary ones bytes
            where += f" at {'line' if self.layer in TEXT_LAYERS else 'byte'} {self.offset}"
        layer = f" [{self.layer}]" if self.layer else ""
        look = f" (bytes: {self.snippet.hex(' ')})" if self.snippet else ""
        return f"{where}{layer}: {self.message}{look}"


class Problem:
    """A recoverable input problem, reported once on stderr; decoding went on around it."""

    __slots__ = ("file", "offset", "layer", "message")

    def __init__(self, file, offset, layer, message):
        self.file, self.offset, self.layer, self.message = file, offset, layer, message

    def __str__(self):
        return str(DecodeError(self.message, self.file, self.offset, self.layer))

    def as_dict(self):
        return {"file": self.file, "offset": self.offset, "layer": self.layer,
                "message": self.message}


class ProblemLog:
    """A reader's problems, capped (a hostile file must not fill memory with warnings), and the
    count of everything reported."""

    def __init__(self, limit=1000):
        self.items, self.limit, self.count = [], limit, 0

    def add(self, where, layer, message):
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append((where, layer, message))
        elif len(self.items) == self.limit:
            self.items.append((where, layer, "further problems not listed"))
