"""Text encodings of the files chrtool reads as text (vendor CSV, tickets): detection from the
first bytes, a stream that turns any of them into UTF-8 bytes for pyarrow, error columns in the
file's own bytes, and a cutter that keeps an over-long CSV line small.

Exports come as UTF-8 (with or without a BOM), UTF-16 (Windows tools) or GBK/GB18030 (Chinese
OMC and ticket systems). A byte that does not decode never stops a file: it becomes a lone
surrogate, which re-encoded is invalid UTF-8, so the line reader finds it and reports its line.
"""
import codecs
import re

BAD = "\udcff"          # what an undecodable byte becomes; invalid once encoded as UTF-8


def _mark(exc):
    return BAD, exc.end


codecs.register_error("chrtool-mark", _mark)


def _utf8_errors(head):
    """Bytes of `head` that do not decode as UTF-8 (a character cut at its end forgiven)."""
    text = head.decode("utf-8", "chrtool-mark")
    bad = text.count(BAD)
    return bad - 1 if text.endswith(BAD) and len(head) >= 4096 else bad


def detect(head):
    """The codec of a text file from its first bytes (a few KB): 'utf-8-sig', 'utf-16',
    'utf-16-le', 'utf-16-be', 'gb18030' or 'utf-8' (also for text too damaged to tell)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        # ASCII text in UTF-16 has a zero in every other byte; the other half has a few
        # (U+4E00 一, U+0100, a damaged unit), far fewer
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) // 4 and even * 8 < odd:
            return "utf-16-le"
        if even > len(sample) // 4 and odd * 8 < even:
            return "utf-16-be"
    bad = _utf8_errors(head)
    if bad >= 2:
        # a GBK export fails UTF-8 on nearly every Chinese character, and UTF-8 Chinese fails
        # GB18030 on about every other one: the codec with far fewer errors is the file's;
        # one stray byte is damage, not an encoding
        gb = codecs.getincrementaldecoder("gb18030")("chrtool-mark").decode(
            head, final=len(head) < 4096).count(BAD)
        if gb * 4 < bad:
            return "gb18030"
    return "utf-8"


def column_codec(encoding, head):
    """(codec, errors) that give a transcoded line's byte length on disk, for error columns
    in the file's own bytes; None for UTF-8, whose bytes are the disk's. An undecodable byte
    counts one byte (two in UTF-16, where damage is a lone surrogate)."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        return None
    if name == "utf-16":                       # the BOM says which byte order
        return ("utf-16-be" if head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le",
                "surrogatepass")
    return (name, "surrogatepass" if name.startswith("utf-16") else "surrogateescape")


def decode_head(head):
    """(codec, text) of a file's first bytes, undecodable bytes as BAD."""
    enc = detect(head)
    return enc, head.decode(enc, "chrtool-mark")


def looks_like_text(text):
    """Whether decoded text is text: no control characters but tab and line ends, and at most
    one undecodable byte in a hundred characters (damage, not a binary file)."""
    if not text:
        return False
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    return controls == 0 and text.count(BAD) * 100 <= len(text)


class Utf8Stream:
    """A binary file object read as `encoding`, giving UTF-8 bytes (undecodable bytes marked)."""

    def __init__(self, fh, encoding):
        self.fh = fh
        name = codecs.lookup(encoding).name
        self.passthrough = name == "utf-8"       # plain UTF-8: the bytes go through as they are
        self.bom = name == "utf-8-sig"
        self.decoder = codecs.getincrementaldecoder(encoding)("chrtool-mark")
        self.first = True

    def read(self, n):
        raw = self.fh.read(n)
        if self.passthrough or (self.bom and not self.first):
            return raw
        if self.bom:
            self.first = False
            return raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
        text = self.decoder.decode(raw, final=not raw)
        while raw and not text:        # a read that ended inside a character gives nothing yet
            raw = self.fh.read(n)
            text = self.decoder.decode(raw, final=not raw)
        return text.encode("utf-8", "surrogatepass")


class FieldCutter:
    """One over-long line, streamed: every field keeps at most `limit` bytes, and at most
    `max_fields` fields are kept (a row with more is skipped for its field count anyway), so
    the line in memory stays small whatever the line on disk."""

    def __init__(self, limit, delimiter, max_fields):
        self.limit, self.delim, self.max_fields = limit, delimiter.encode(), max_fields
        self.pattern = re.compile(b'["\n' + re.escape(self.delim) + b"]")
        self.fields, self.field, self.flen, self.quoted = [], bytearray(), 0, False
        self.cut = []                          # (field number, its full length)

    def feed(self, data):
        """Take bytes of the line; the position after its newline, or -1 if it goes on."""
        pos = 0
        for m in self.pattern.finditer(data):
            ch = data[m.start()]
            if ch == 0x22:
                self.quoted = not self.quoted
                continue
            if self.quoted and ch != 0x0A:     # a delimiter inside quotes; a record is a line
                continue
            self._take(data[pos:m.start()])
            pos = m.start() + 1
            self._end_field()
            if ch == 0x0A:
                return pos
        self._take(data[pos:])
        return -1

    def _take(self, seg):
        room = self.limit - self.flen
        if room > 0:
            self.field += seg[:room]
        self.flen += len(seg)

    def _end_field(self):
        if self.flen > self.limit:
            self.cut.append((len(self.fields) + 1, self.flen))
            # the kept head may hold half a quoted value or half a character: drop both
            text = bytes(self.field).decode("utf-8", "ignore").replace('"', "")
            self.field = bytearray(text.replace(self.delim.decode(), "").encode())
        if len(self.fields) <= self.max_fields:
            self.fields.append(bytes(self.field).rstrip(b"\r"))
        self.field, self.flen, self.quoted = bytearray(), 0, False

    def line(self):
        if self.field or self.flen:
            self._end_field()
        return self.delim.join(self.fields) + b"\n"
