"""Type stub for the compiled chr-v1 bulk decoder (chrtool/_fast/chr_v1.pyx)."""
import mmap
from typing import BinaryIO, Iterator

from chrtool._fast.events import EventTable

DEF_CHUNK_BYTES: int
WINDOW_BYTES: int
MAP_FLAGS: int
POOL_TABLES: int
MAGIC: bytes
LAYER: str

class ChrV1Reader:
    name: object
    file_id: int
    problems: list[tuple[int, str, str]]
    counters: dict[str, int]
    header: dict | None
    max_problems: int
    use_mmap: bool
    tables_made: int
    tables_reused: int
    def __init__(self, fh: BinaryIO, name: object = ..., file_id: int = ...,
                 chunk_bytes: int = ..., max_problems: int = ..., use_mmap: bool = ...) -> None: ...
    def read_header(self) -> dict: ...
    def problem(self, offset: int, layer: str, message: str) -> None: ...
    def __iter__(self) -> Iterator[EventTable]: ...

def map_window(fd: int, length: int, offset: int) -> mmap.mmap: ...
def new_table(rows: int, data_capacity: int, item_capacity: int, name: object,
              file_id: int) -> EventTable: ...
def decode_bytes(data: bytes, name: str = ..., file_id: int = ...,
                 chunk_bytes: int = ...) -> tuple[list[EventTable], ChrV1Reader]: ...
