"""GTPv2-C (TS 29.274) decoder of the event table's GTPv2 rows (see gtpv2.pyx)."""
from collections.abc import Sequence

import numpy as np

from chrtool._fast.events import EventTable

REQUEST_TYPES: tuple[int, ...]
MESSAGE_TYPES: tuple[int, ...]

def decode(t: EventTable, start: int = ...) -> None: ...
def match_rows(t: EventTable, proto: int, id_columns: Sequence[str]) -> np.ndarray: ...
def match_requests(t: EventTable) -> np.ndarray:
    """int64[t.n]: the request row of each GTPv2 response row, else -1."""
