"""NAS-EPS (TS 24.301) decoder of the event table's NAS-EPS rows (see nas_eps.pyx)."""
from chrtool._fast.events import EventTable

EMM_TYPES: tuple[int, ...]
ESM_TYPES: tuple[int, ...]
INFO_KINDS: dict[int, str]          # I_INFO item kinds (info.pxd) -> name
MSG_SERVICE_REQUEST_CODE: int       # msg of SERVICE REQUEST (security header type 12): 0xC00

class NasState:
    """Bounded NAS security state (EEA per connection / MME ID / UE), carried across batches.
    null_cipher=True (tshark's nas-eps.null_decipher): a ciphered message whose algorithm no SMC
    in the inputs gives is read as if EEA0 (F_EEA0) when its plaintext parses as NAS."""
    null_cipher: bool
    def __init__(self, capacity: int = ..., null_cipher: bool = ...) -> None: ...
    def __len__(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    def algorithm(self, t: EventTable, row: int) -> int: ...

def decode(t: EventTable, state: NasState | None = ..., start: int = ...) -> NasState: ...
