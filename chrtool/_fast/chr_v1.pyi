"""Type stub for the compiled chr-v1 bulk decoder (chrtool/_fast/chr_v1.pyx)."""
from typing import BinaryIO, Iterator

from chrtool._fast.events import EventTable

DEF_CHUNK_BYTES: int
MAGIC: bytes
LAYER: str

class ChrV1Reader:
    name: object
    file_id: int
    problems: list[tuple[int, str, str]]
    counters: dict[str, int]
    header: dict | None
    max_problems: int
    def __init__(self, fh: BinaryIO, name: object = ..., file_id: int = ...,
                 chunk_bytes: int = ..., max_problems: int = ...) -> None: ...
    def read_header(self) -> dict: ...
    def problem(self, offset: int, layer: str, message: str) -> None: ...
    def __iter__(self) -> Iterator[EventTable]: ...

def new_table(rows: int, data_capacity: int, item_capacity: int, name: object,
              file_id: int) -> EventTable: ...
def decode_bytes(data: bytes, name: str = ..., file_id: int = ...,
                 chunk_bytes: int = ...) -> tuple[list[EventTable], ChrV1Reader]: ...
