"""Capture framing: pcap/pcapng -> link layer -> IP -> SCTP/UDP/TCP -> EventTable rows."""
from typing import BinaryIO, Iterator, Mapping

from chrtool._fast.events import EventTable

DEF_CHUNK_BYTES: int
DEFAULT_PORTS: dict[str, int]          # {"s1ap": 36412, "x2ap": 36422, "diameter": 3868, "gtpv2": 2123}
DEFAULT_PPIDS: dict[int, str]          # {18: "S1AP", 27: "X2AP", 46: "Diameter", 47: "Diameter"}
LINKTYPE_NAMES: dict[int, str]
COUNTER_NAMES: tuple[str, ...]
LIMITS: dict[str, int]                 # the reassembly/state bounds (docs/capture.md)

class CaptureReader:
    """Iterate EventTable batches (one per chunk read) from a pcap or pcapng stream.

    Rows: one per S1AP/X2AP/Diameter SCTP user message, per GTPv2-C message on UDP, per Diameter
    message on TCP; fields frame, ts_ns, src_offset, src/dst/ip_version, sport/dport, ppid,
    stream, proto, payload_off/payload_len, flags (F_TRUNCATED, F_REASSEMBLED, F_MALFORMED).
    Raises chrtool.errors.InputError when the stream is not a capture at all; every other
    problem goes to `problems` and decoding continues.
    """
    name: object
    file_id: int
    problems: list[tuple[int, str, str]]   # (byte offset in the file, layer, message)
    format: str | None                     # "pcap" or "pcapng" once iteration started
    byte_order: str | None                 # "little"/"big" (pcapng: of the last section)
    linktypes: list[int]                   # pcap: [linktype]; pcapng: one per interface seen
    linktype: int                          # the first interface's link type, -1 before reading
    snaplen: int
    def __init__(self, fh: BinaryIO, name: object = ..., file_id: int = ...,
                 chunk_bytes: int = ..., ports: Mapping[str, int] | None = ...,
                 ppids: Mapping[int, str | None] | None = ...) -> None: ...
    def __iter__(self) -> Iterator[EventTable]: ...
    @property
    def counters(self) -> dict[str, int]: ...
    @property
    def frames(self) -> int: ...
    @property
    def state(self) -> dict[str, int]: ...
    def problem(self, offset: int, layer: str, message: str) -> None: ...
