"""Inputs: expand files/directories/globs, unwrap gzip, recognise formats by content.

Each recognised file becomes a reader that yields EventTable batches and collects problems.
"""
import glob
import gzip
import os
from dataclasses import dataclass

from chrtool.errors import InputError
from chrtool.inputs.text import decode_head, looks_like_text

GZIP_MAGIC = b"\x1f\x8b"
CHR_V1_MAGIC = b"\x89CHR\r\n\x1a\n"
PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


@dataclass
class Source:
    """One input file: its path, its format and its position in the run (file_id)."""
    path: str
    kind: str
    file_id: int
    compressed: bool = False


def expand(inputs):
    """Files in the order given; directories searched recursively (sorted); globs expanded.

    Raises InputError for a name that matches nothing."""
    paths = []
    for item in inputs:
        if os.path.isdir(item):
            for root, dirs, files in os.walk(item):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                paths.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
        elif os.path.exists(item):
            paths.append(item)
        else:
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise InputError(f"{item}: no such file, directory or glob match")
            for m in matches:
                paths.extend(expand([m]) if os.path.isdir(m) else [m])
    seen, unique = set(), []
    for p in paths:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def sniff_bytes(head):
    """The format of a file from its first bytes: capture, chr-v1, xml, csv, or None."""
    if head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC:
        return "capture"
    if head.startswith(CHR_V1_MAGIC):
        return "chr-v1"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text.startswith((b"{", b"[", b"#")):
        return None
    # CSV in any encoding vendors export (UTF-16, GBK too), a few damaged bytes allowed;
    # XML in UTF-16 too
    _, decoded = decode_head(head)
    stripped = decoded.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<") and looks_like_text(decoded):
        return "xml"
    first_line = stripped.split("\n", 1)[0]
    if "," in first_line and looks_like_text(decoded):
        return "csv"
    return None


def sniff(path):
    """(kind, compressed) of one file; kind None when chrtool does not read this format."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
        compressed = head.startswith(GZIP_MAGIC)
        if compressed:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    return sniff_bytes(head), compressed


def maps_dirs(maps=()):
    """Directories of extra vendor CSV layouts: --maps DIR options, then $CHRTOOL_MAPS
    (os.pathsep-separated). A layout there overrides a shipped one of the same name."""
    env = [d for d in os.environ.get("CHRTOOL_MAPS", "").split(os.pathsep) if d]
    dirs = [*maps, *env]
    for d in dirs:
        if not os.path.isdir(d):
            raise InputError(f"{d}: --maps/CHRTOOL_MAPS names no directory of layout files")
    return tuple(dirs)


def classify(paths, maps=()):
    """Sources for the files chrtool can read, and the paths it cannot (with the reason)."""
    sources, skipped = [], []
    maps = maps_dirs(maps)
    for path in paths:
        try:
            kind, compressed = sniff(path)
        except InputError as exc:
            skipped.append((path, str(exc)))
            continue
        if kind is None:
            skipped.append((path, "not a capture, CHR, trace XML or CSV export"))
        elif kind == "csv" and not _known_csv_layout(path, compressed, maps):
            skipped.append((path, "a CSV file without a known CHR column layout "
                                  "(add one with --maps DIR; see docs/formats/vendor-csv.md)"))
        else:
            sources.append(Source(path, kind, len(sources), compressed))
    return sources, skipped


def _known_csv_layout(path, compressed, maps):
    """Whether a CSV's header holds the columns of a vendor column map (tickets CSVs do not)."""
    import csv
    from chrtool.inputs.vendor_csv import known_layouts
    opener = gzip.open if compressed else open
    with opener(path, "rb") as fh:
        _, text = decode_head(fh.read(1 << 16))
    try:
        header = set(next(csv.reader([text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")]), []))
    except csv.Error:
        return False
    return any(set(m["layout"]["required"]) <= header for m in known_layouts(maps).values())


def open_binary(source):
    """A buffered binary file object for the source, decompressing gzip on the fly."""
    if source.compressed:
        return gzip.open(source.path, "rb")
    return open(source.path, "rb", buffering=1 << 20)


def _capture(source, fh, chunk_bytes, maps):
    from chrtool._fast.capture import CaptureReader
    from chrtool.protocols import capture_routes
    ppids, ports = capture_routes()
    return CaptureReader(fh, source.path, source.file_id, ppids=ppids, ports=ports,
                         **({} if chunk_bytes is None else {"chunk_bytes": chunk_bytes}))


def _chr_v1(source, fh, chunk_bytes, maps):
    from chrtool._fast.chr_v1 import ChrV1Reader
    return ChrV1Reader(fh, source.path, source.file_id,
                       **({} if chunk_bytes is None else {"chunk_bytes": chunk_bytes}))


def _trace_xml(source, fh, chunk_bytes, maps):
    from chrtool.inputs.trace_xml import TraceXmlReader
    return TraceXmlReader(fh, source.path, source.file_id)


def _vendor_csv(source, fh, chunk_bytes, maps):
    from chrtool.inputs.vendor_csv import VendorCsvReader
    return VendorCsvReader(fh, source.path, source.file_id, maps_dir=maps)


# format (as sniff names it) -> reader factory; each reader yields EventTable batches and keeps
# .problems and .counters
READERS = {"capture": _capture, "chr-v1": _chr_v1, "xml": _trace_xml, "csv": _vendor_csv}


def reader(source, fh, chunk_bytes=None, maps=()):
    """The reader object for a source: iterable of EventTable, with .problems and .counters."""
    make = READERS.get(source.kind)
    if make is None:
        raise InputError(f"{source.path}: unknown format {source.kind!r}")
    return make(source, fh, chunk_bytes, maps_dirs(maps))
