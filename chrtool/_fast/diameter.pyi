"""Diameter (RFC 6733) / S6a (TS 29.272) decoder of the event table's Diameter rows."""
import numpy as np

from chrtool._fast.events import EventTable

GROUPED_BASE: tuple[int, ...]
GROUPED_3GPP: tuple[int, ...]

def decode(t: EventTable, start: int = ...) -> None: ...
def match_requests(t: EventTable) -> np.ndarray:
    """int64[t.n]: the request row of each Diameter answer row, else -1."""
