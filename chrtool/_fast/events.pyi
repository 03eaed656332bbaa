"""Type stub of the compiled event table (chrtool/_fast/events.pyx)."""
from typing import Any

import numpy as np

COLUMNS: tuple[tuple[str, Any, int, int], ...]
ITEM_COLUMNS: tuple[tuple[str, Any], ...]
PROTO_NAMES: dict[int, str]
PROTO: dict[str, int]
FLAGS: dict[str, int]
CAUSE_PROTO: dict[int, str]
CAUSE_CODES: dict[str, int]
ITEM_KEYS: dict[str, int]
STR_KINDS: dict[int, str]
CELL_KINDS: dict[int, str]
NODE_KINDS: dict[int, str]
X2AP_ID_KINDS: dict[int, str]

class EventTable:
    n: int
    n_items: int
    n_data: int
    cols: dict[str, np.ndarray]
    item_cols: dict[str, np.ndarray]
    data_array: np.ndarray
    file: Any
    file_id: int
    def __init__(self, capacity: int = ..., data_capacity: int = ..., file: Any = ...,
                 file_id: int = ...) -> None: ...
    @property
    def capacity(self) -> int: ...
    def column(self, name: str) -> np.ndarray: ...
    def items(self) -> dict[str, np.ndarray]: ...
    def payload(self, row: int) -> bytes: ...
    def bytes_at(self, off: int, length: int) -> bytes: ...
    def add_python_row(self, **values: Any) -> int: ...
    def add_python_item(self, row: int, key: int, a: int = ..., b: int = ..., c: int = ...,
                        d: int = ...) -> None: ...
    def add_python_data(self, raw: bytes) -> int: ...
    def __len__(self) -> int: ...
