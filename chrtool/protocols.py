"""The protocol registry: one record per protocol, from which every stage dispatches.

The pipeline runs each record's compiled decoder (in registry order: S1AP and X2AP add the
NAS-EPS rows that NAS-EPS then decodes), the capture reader routes SCTP PPIDs and ports with it,
names and rows name messages, causes and IEs through it, linking joins rows by its `link` kind,
and reports place its nodes on lanes by its `roles`. Adding a protocol is adding its decoder, its
tables under decoders/ and one record here.
"""
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module

from chrtool._fast.events import CAUSE_CODES, PROTO
from chrtool.errors import ChrtoolError

PDU_TYPES = ("initiatingMessage", "successfulOutcome", "unsuccessfulOutcome")


@dataclass(frozen=True)
class Protocol:
    name: str                     # DESIGN's proto string, e.g. "S1AP"
    interface: str                # DESIGN's interface, e.g. "S1-MME"
    tables: str                   # module in chrtool.decoders that names its numbers
    naming: str                   # how message codes map to names (see msg_name)
    decoder: str | None = None    # module in chrtool._fast decoding its rows; None: readers do
    state: str | None = None      # class in `decoder` with per-file state (one per input file)
    state_options: tuple = ()     # ((run option, keyword of the state class), ...)
    sctp_ppids: tuple = ()        # SCTP payload protocol identifiers the capture routes to it
    port: tuple = ()              # (capture reader's port key, default port) for PPID 0/UDP/TCP
    causes: tuple = ()            # (cause code name, naming, group shown, table attr) it raises
    link: str = ""                # how linking joins its rows (chrtool/link/correlate.py)
    roles: tuple = ()             # ((message name prefix, src role, dst role), ...) for lanes

    @property
    def code(self):
        """The protocol's number in the event table's proto column."""
        return PROTO[self.name]

    @cached_property
    def table(self):
        return import_module(f"chrtool.decoders.{self.tables}")

    @cached_property
    def module(self):
        """The compiled decoder; a missing one is an error, never a silently skipped protocol."""
        try:
            return import_module(f"chrtool._fast.{self.decoder}")
        except ImportError as exc:
            raise ChrtoolError(f"the compiled {self.name} decoder (chrtool._fast.{self.decoder}) "
                               f"is missing ({exc}): reinstall chrtool with `pip install .`, "
                               "which needs gcc and the Python headers") from exc

    def new_state(self, **options):
        """Fresh per-file decoder state, or None for a stateless decoder. Only the run options
        this record declares are passed on, and only when set (defaults stay the decoder's)."""
        if not self.state:
            return None
        kwargs = {kw: options[opt] for opt, kw in self.state_options if options.get(opt)}
        return getattr(self.module, self.state)(**kwargs)

    def decode(self, table, state=None):
        if self.state:
            self.module.decode(table, state)
        else:
            self.module.decode(table)

    def msg_name(self, msg):
        """The spec's name of message code `msg` (e.g. 'InitialUEMessage'), or None."""
        return _NAMING[self.naming](self.table, int(msg)) if msg >= 0 else None

    def message_names(self):
        """Every message name the protocol's tables know (rules are checked against them)."""
        return _MESSAGE_NAMES[self.naming](self.table)

    def role_of(self, msg_name):
        """(src role, dst role) that a message of this name reveals, or None."""
        for prefix, src, dst in self.roles:
            if msg_name and msg_name.startswith(prefix):
                return src, dst
        return None


def _ap_name(table, msg):
    """S1AP/X2AP: code = PDU type << 8 | procedure code."""
    name = table.MESSAGES.get((msg >> 8, msg & 0xFF))
    pdu = PDU_TYPES[msg >> 8] if msg >> 8 < 3 else msg >> 8
    return name or f"unknown({pdu}, {msg & 0xFF})"


def _nas_name(table, msg):
    if msg >= 0x100:                     # no message type octet: named by security header type
        return table.EMM_SPECIAL.get(msg >> 8) or f"unknown(0x{msg:x})"
    return table.EMM_MESSAGES.get(msg) or table.ESM_MESSAGES.get(msg) or f"unknown(0x{msg:02x})"


def _gtp_name(table, msg):
    return table.MESSAGES.get(msg) or f"unknown({msg})"


def _diameter_name(table, msg):
    """Diameter: code = command code << 1 | request bit."""
    code, request = msg >> 1, msg & 1
    base = table.COMMANDS.get(code)
    if base is None:
        return f"unknown({code}, {'request' if request else 'answer'})"
    return f"{base}-{'Request' if request else 'Answer'}"


def _chr_name(table, msg):
    return table.EVENTS.get(msg) or f"unknown({msg})"


def _choice_cause(table, group, value, gname, attr):
    """S1AP/X2AP: an ASN.1 CHOICE of groups, each an ENUMERATED (root then extensions)."""
    gname = table.CAUSE_GROUPS[group] if 0 <= group < len(table.CAUSE_GROUPS) else f"unknown({group})"
    names = table.CAUSES.get(gname, [])
    return gname, names[value] if 0 <= value < len(names) else f"unknown({value})"


def _kind_cause(table, group, value, gname, attr):
    """CHR: causes grouped by kind (RRC setup result, release, SgNB addition, ...)."""
    return table.CAUSE_KINDS.get(group, f"unknown({group})"), table.cause_name(group, value)


def _flat_cause(table, group, value, gname, attr):
    """NAS, GTPv2, Diameter: one number space per cause code."""
    return gname, getattr(table, attr).get(value, f"unknown({value})")


def cause_object(cause_proto, group, value):
    """The DESIGN.md cause object of a (cause code, group, value) triple (cause code > 0)."""
    owner = CAUSE_OWNERS.get(cause_proto)
    if owner is None:
        return {"proto": "unknown", "value": value, "name": f"unknown({value})"}
    record, naming, gname, attr = owner
    gname, name = _CAUSE_NAMING[naming](record.table, group, value, gname, attr)
    obj = {"proto": record.name}
    if gname:
        obj["group"] = gname
    obj.update(value=value, name=name)
    return obj


_CAUSE_NAMING = {"choice": _choice_cause, "kind": _kind_cause, "flat": _flat_cause}


def cause_numbers(obj):
    """The (cause code, group, value) triple of a DESIGN.md cause object: cause_object's inverse,
    for matching a finding's cause against the event table's cause columns. None if unknown."""
    proto, group, value = obj.get("proto"), obj.get("group"), obj.get("value")
    for code, (record, naming, gname, _attr) in CAUSE_OWNERS.items():
        if record.name != proto:
            continue
        if naming == "choice":
            groups = list(record.table.CAUSE_GROUPS)
            if group in groups:
                return code, groups.index(group), value
        elif naming == "kind":
            kind = next((k for k, n in record.table.CAUSE_KINDS.items() if n == group), None)
            if kind is not None:
                return code, kind, value
        elif gname == group:
            return code, None, value            # flat numbering: the group column is not compared
    return None
_MESSAGE_NAMES = {
    "ap": lambda t: set(t.MESSAGES.values()),
    "nas": lambda t: {*t.EMM_MESSAGES.values(), *t.ESM_MESSAGES.values(), *t.EMM_SPECIAL.values()},
    "gtp": lambda t: set(t.MESSAGES.values()),
    "diameter": lambda t: {f"{c}-{kind}" for c in t.COMMANDS.values() for kind in ("Request", "Answer")},
    "chr": lambda t: set(t.EVENTS.values()),
}
_NAMING = {"ap": _ap_name, "nas": _nas_name, "gtp": _gtp_name, "diameter": _diameter_name,
           "chr": _chr_name}

REGISTRY = (
    Protocol("S1AP", "S1-MME", "s1ap_tables", "ap", decoder="s1ap", sctp_ppids=(18,),
             port=("s1ap", 36412), causes=(("S1AP", "choice", None, None),), link="s1",
             roles=(("InitialUEMessage", "eNB", "MME"), ("UplinkNASTransport", "eNB", "MME"))),
    Protocol("X2AP", "X2", "x2ap_tables", "ap", decoder="x2ap", sctp_ppids=(27,),
             port=("x2ap", 36422), causes=(("X2AP", "choice", None, None),), link="x2",
             roles=(("SgNBAdditionRequest", "eNB", "gNB"), ("SgNBReleaseRequired", "gNB", "eNB"),
                    ("HandoverRequest", "eNB", "eNB"))),
    Protocol("NAS-EPS", "S1-MME", "nas_eps_tables", "nas", decoder="nas_eps", state="NasState",
             state_options=(("nas_null_cipher", "null_cipher"),),
             causes=(("EMM", "flat", "emm", "EMM_CAUSES"), ("ESM", "flat", "esm", "ESM_CAUSES")), link="nas"),
    Protocol("GTPv2", "S11", "gtpv2_tables", "gtp", decoder="gtpv2", port=("gtpv2", 2123),
             causes=(("GTPv2", "flat", None, "CAUSES"),), link="exchange",
             roles=(("CreateSessionRequest", "MME", "SGW"),)),
    Protocol("Diameter", "S6a", "diameter_tables", "diameter", decoder="diameter",
             sctp_ppids=(46, 47), port=("diameter", 3868),
             causes=(("DIAMETER", "flat", "result-code", "RESULT_CODES"),
                     ("DIAMETER_EXP", "flat", "experimental-result", "EXPERIMENTAL_RESULT_CODES")),
             link="exchange", roles=(("Authentication-Information-Request", "MME", "HSS"),
                                     ("Update-Location-Request", "MME", "HSS"))),
    Protocol("CHR", "Uu", "chr_v1", "chr", causes=(("CHR", "kind", None, None),), link="chr"),
)

BY_NAME = {p.name: p for p in REGISTRY}
BY_CODE = {p.code: p for p in REGISTRY}
DECODERS = tuple(p for p in REGISTRY if p.decoder)
# cause code -> (protocol, naming, group shown, name of its cause table in the protocol's tables)
CAUSE_OWNERS = {CAUSE_CODES[c]: (p, naming, group, attr)
                for p in REGISTRY for c, naming, group, attr in p.causes}


def capture_routes():
    """SCTP PPIDs and ports for the capture reader, from the records (DESIGN: configurable)."""
    ppids = {ppid: p.name for p in REGISTRY for ppid in p.sctp_ppids}
    ports = dict(p.port for p in REGISTRY if p.port)
    return ppids, ports
