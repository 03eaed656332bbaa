"""Subscribers' messages -> procedures: what each subscriber tried, and how it ended.

The procedures are data (procedures.toml): the messages that start, continue and end each one,
its timer and its child procedures. This module checks that file when it loads (every message
name against the protocol registry, every child against the kinds) and walks each subscriber's
messages in time order:

- a message that continues or ends an open procedure goes to the most recent one that expects
  it (GTPv2 and Diameter answers only to their own request); otherwise it may start one, under
  the most recent open procedure that lists its kind as a child;
- an open procedure with no message within its timer ends as a `timeout`, named after the node
  that did not answer; a new start of the same kind ends it as `abandoned`; one still running
  when the inputs end stays `open`.

Messages that only carry others (InitialUEMessage, Uplink/DownlinkNASTransport) join the
procedure of the NAS message they carry.
"""
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from chrtool.errors import ChrtoolError
from chrtool.link.directions import ENB, MME, s1ap_sender
from chrtool.protocols import BY_CODE, BY_NAME, _MESSAGE_NAMES
from chrtool.table import names
from chrtool.table.schema import ITEM_KINDS, PROTO

OUTCOMES = ("success", "reject", "failure", "timeout", "abandoned", "interrupted", "open")
ENDING = {"success": "success", "reject": "reject", "failure": "failure", "cancel": "abandoned"}
ROLES_IN_FILE = ("start", "continue", "success", "reject", "failure", "answer", "cancel")
KEYS = {"kind", "interface", "start", "continue", "success", "reject", "failure", "answer",
        "cancel", "timer", "children", "follows", "exchange", "single", "outcome", "interrupts",
        "aborts", "mirrors", "teardown", "connection"}
INTERFACES = {"Uu", "S1-MME", "X2", "S11", "S5", "S6a"}
CARRIERS = {"S1AP InitialUEMessage", "S1AP UplinkNASTransport", "S1AP DownlinkNASTransport"}
# the peer does not know the S1 connection: ends its `connection` procedures (36.413 8.7.2)
CONNECTION_UNKNOWN = "S1AP ErrorIndication"
# CHR causes that are not a failure of the event they come with
CHR_FINE = {"success", "normal-release", "user-inactivity", "mme-initiated", "handover-out"}
# CHR cause kinds that say why something started (an RRC establishment cause, a handover reason,
# a re-establishment cause), never how it ended
CHR_REASONS = {"rrc-establishment", "ho-reason", "rrc-reestablishment"}
# S1AP/X2AP causes of normal procedure (36.413 9.2.1.3): a release after inactivity or detach
AP_FINE = {"normal-release", "user-inactivity", "detach", "deregister",
           "handover-desirable-for-radio-reasons", "successful-handover",
           "release-due-to-eutran-generated-reason", "inter-rat-redirection",
           "cs-fallback-triggered", "redirection-towards-1xRTT", "load-balancing-tau-required",
           "handover-desirable-for-radio-reason", "x2-handover-triggered",
           "s1-intra-system-handover-triggered", "s1-inter-system-handover-triggered",
           "time-critical-handover", "resource-optimisation-handover"}
# ESM causes of normal procedure (24.301 annex B): a bearer deactivated on purpose, or to be set up
# again
ESM_FINE = {36, 39}         # regular deactivation, reactivation requested
# GTPv2 F-TEID interface types (29.274 8.22) of control-plane senders -> their role
GTP_SENDER = {10: "MME", 11: "SGW", 6: "SGW", 7: "PGW"}
GTP_ASKS = {10: "SGW", 6: "PGW"}       # the node a request with that F-TEID goes to
S1AP_CODE = PROTO["S1AP"]


@dataclass(frozen=True)
class Kind:
    kind: str
    interface: str
    timer: tuple = ("", 0.0)
    children: frozenset = frozenset()
    follows: str = ""
    exchange: bool = False
    single: str = ""
    outcome: str = ""
    interrupts: frozenset = frozenset()
    aborts: bool = False          # its reject ends the procedure it runs under too
    mirrors: frozenset = frozenset()   # (CHR) the signalling procedures it records the eNB's view of
    teardown: bool = False        # it takes a connection, leg or session down
    connection: bool = False      # bound to the S1 connection it started on


@dataclass(eq=False)                  # one procedure is itself: compared by identity
class Procedure:
    index: int
    ue: int
    kind: str
    interface: str
    start_ns: int
    end_ns: int
    outcome: str = "open"
    rows: list = field(default_factory=list)
    causes: list = field(default_factory=list)     # (row, cause object)
    answered_by: str = ""         # the node that ended it, or (timeout) the one that stayed silent
    timer: str = ""
    parent: int = -1
    children: list = field(default_factory=list)
    last_ns: int = 0
    key: tuple = ()
    retries: int = 0              # the request sent again (same exchange) before any answer
    embedded: bool = False        # started by its parent's own message (ESM inside an attach):
                                  # its parent's timer is its own
    conn: int = -1                # the S1 connection (linking's node) it started on

    def failing_cause(self):
        """The cause that explains the outcome: the last failing cause it saw (None when none
        failed: a success's Request accepted is no explanation)."""
        return next((c for _, c in reversed(self.causes) if _failing(c)), None)


class Catalogue:
    def __init__(self, entries, where="procedures.toml"):
        self.kinds, self.index = {}, {}
        for i, e in enumerate(entries):
            label = f"{where}: procedure {e.get('kind', '#%d' % (i + 1))}"
            unknown = set(e) - KEYS
            if unknown:
                raise ChrtoolError(f"{label}: unknown key {sorted(unknown)[0]!r} "
                                   f"(known: {', '.join(sorted(KEYS))})")
            kind = e.get("kind")
            if not kind or kind in self.kinds:
                raise ChrtoolError(f"{label}: needs a kind of its own")
            if e.get("interface") not in INTERFACES:
                raise ChrtoolError(f"{label}: interface must be one of {sorted(INTERFACES)}")
            timer = e.get("timer", ["", 0])
            if not (isinstance(timer, list) and len(timer) == 2 and isinstance(timer[1], (int, float))):
                raise ChrtoolError(f"{label}: timer is [name, seconds]")
            if e.get("outcome", "") not in ("",) + OUTCOMES:
                raise ChrtoolError(f"{label}: outcome must be one of {OUTCOMES}")
            spec = Kind(kind, e["interface"], (timer[0], float(timer[1])),
                        frozenset(e.get("children", ())), e.get("follows", ""),
                        bool(e.get("exchange")), e.get("single", ""), e.get("outcome", ""),
                        frozenset(e.get("interrupts", ())), bool(e.get("aborts")),
                        frozenset(e.get("mirrors", ())), bool(e.get("teardown")),
                        bool(e.get("connection")))
            self.kinds[kind] = spec
            roles = [(r, m) for r in ROLES_IN_FILE for m in e.get(r, ())]
            if spec.single:
                roles.append(("single", spec.single))
            if not roles:
                raise ChrtoolError(f"{label}: names no message")
            for role, message in roles:
                _check_message(label, message)
                self.index.setdefault(message, []).append((kind, role))
        for spec in self.kinds.values():
            for child in (spec.children | spec.interrupts | spec.mirrors
                          | ({spec.follows} if spec.follows else set())):
                if child not in self.kinds:
                    raise ChrtoolError(f"{where}: procedure {spec.kind}: child {child!r} is not a "
                                       f"procedure kind")


def _check_message(label, message):
    proto, _, name = message.partition(" ")
    p = BY_NAME.get(proto)
    if p is None:
        raise ChrtoolError(f"{label}: {message!r}: no protocol {proto!r} "
                           f"(known: {', '.join(BY_NAME)})")
    if name not in _known_messages(proto):
        raise ChrtoolError(f"{label}: {message!r}: {proto} has no message {name!r}")


@lru_cache(maxsize=None)
def _known_messages(proto):
    p = BY_NAME[proto]
    return frozenset(_MESSAGE_NAMES[p.naming](p.table))


@lru_cache(maxsize=1)
def catalogue():
    text = resources.files("chrtool.link").joinpath("procedures.toml").read_text("utf-8")
    return Catalogue(tomllib.loads(text)["procedure"])


def kinds():
    """Every procedure kind, in the order of procedures.toml."""
    return tuple(catalogue().kinds)


# ------------------------------------------------------------------ who sent what
class Roles:
    """Address -> the node it belongs to (eNB, gNB, MME, SGW, PGW, HSS), learnt from the
    messages that say so: S1AP's direction, the registry's request roles, GTPv2 senders'
    F-TEID interface types. `known`: what was learnt from every message of the run (learn()
    batch by batch), when ev holds only some of them (one subscriber's)."""

    def __init__(self, ev, known=None):
        cols = ev.cols
        self.src = np.ascontiguousarray(cols["src"]).view("S16").ravel()
        self.dst = np.ascontiguousarray(cols["dst"]).view("S16").ravel()
        self.parent, self.proto, self.msg = cols["parent"], cols["proto"], cols["msg"]
        from chrtool.link.columns import to_mme
        self.to_mme = to_mme(cols)
        if known is None:
            known = {}
            learn_roles(ev, known)
        self.of = known

    def sender(self, r, proto_name):
        """The node that sent row r: S1AP and NAS by the message's own direction (nodes sharing
        one address, as in a test bench, stay apart), the others by the learnt address."""
        side = self._s1_side(r, proto_name)
        if side:
            return side[0]
        if proto_name == "CHR":
            return ENB
        return self.of.get(self.src[r], "")

    def receiver(self, r, proto_name):
        side = self._s1_side(r, proto_name)
        if side:
            return side[1]
        return self.of.get(self.dst[r], "")

    def _s1_side(self, r, proto_name):
        """(sender, receiver) of an S1AP message or the NAS it carries, or None."""
        at = r
        if proto_name == "NAS-EPS":
            at = self.parent[r]
            if at < 0 or self.proto[at] != S1AP_CODE:
                return ("UE", MME) if self.of.get(self.src[r]) == ENB else (MME, "UE")
        elif proto_name != "S1AP":
            return None
        d = s1ap_sender(self.msg[at])
        if d not in (ENB, MME):                   # either side may send it: the ports say
            d = {1: ENB, -1: MME}.get(int(self.to_mme[at]))
            if d is None:
                return None
        if proto_name == "NAS-EPS":
            return ("UE", MME) if d == ENB else (MME, "UE")
        return (ENB, MME) if d == ENB else (MME, ENB)


def learn_roles(ev, of, src=None, dst=None, none=b""):
    """Add to `of` (address -> role) what the messages of ev say about their addresses (see
    role_claims). Addresses are ev's bytes, or the ids given as src/dst (`none`: the id of no
    address)."""
    cols = ev.cols
    if src is None:
        src = np.ascontiguousarray(cols["src"]).view("S16").ravel()
        dst = np.ascontiguousarray(cols["dst"]).view("S16").ravel()
    sure_src, sure_dst, weak_src, weak_dst = role_claims(ev)
    for roles_src, roles_dst, weak in ((sure_src, sure_dst, False), (weak_src, weak_dst, True)):
        # each row's claims in row order, its sender's before its receiver's
        addrs = np.stack([src, dst], 1).ravel()
        roles = np.stack([roles_src, roles_dst], 1).ravel().astype(np.int64)
        _claim(of, addrs[roles > 0], roles[roles > 0], none, weak)


def role_claims(ev, fteids=None):
    """The claims the messages of ev make about their addresses, per row: (sure_src, sure_dst,
    weak_src, weak_dst), the role code each row claims for its sender and its receiver (0: no
    claim). They apply row by row, the sender's before the receiver's: S1AP's direction and
    GTPv2 senders' F-TEID interface types surely (the latest claim wins), the registry's
    request roles weakly, after all the sure ones (only for addresses nothing else names; the
    first wins). So what is learnt does not depend on how the rows were cut into batches (an
    address two nodes share, on a test bench, ends with the same role however the inputs are
    read). `fteids`: ev.items_of("fteid"), when at hand."""
    cols = ev.cols
    proto, msg = cols["proto"], cols["msg"]
    s1 = proto == PROTO["S1AP"]
    sure_src = np.where(s1, _SENDER_ROLE[msg & 0x3FF], 0).astype(np.int8)
    sure_dst = np.where(sure_src > 0, 3 - sure_src, 0).astype(np.int8)    # the peer: the other side
    it = ev.items_of("fteid") if fteids is None else fteids
    if len(it["row"]):
        spec = ITEM_KINDS["fteid"]
        rows, first = np.unique(it["row"], return_index=True)   # a message's first F-TEID: its own
        iface = spec.get(it, "interface")[first]
        iface = np.where(iface < 256, iface, 0)    # with an instance: none of those below
        gtp = (proto[rows] == PROTO["GTPv2"]) & (_GTP_SENDER_ROLE[iface] > 0)
        sure_src[rows[gtp]] = _GTP_SENDER_ROLE[iface[gtp]]
        # a request with the sender's S11 MME / S5 SGW F-TEID goes to an SGW / a PGW
        req = gtp & (_GTP_ASKS_ROLE[iface] > 0) & np.isin(msg[rows], _GTP_REQUESTS)
        sure_dst[rows[req]] = _GTP_ASKS_ROLE[iface[req]]
    at = proto.astype(np.intp) * _MSG_CODES + np.where((msg >= 0) & (msg < _MSG_CODES), msg,
                                                       _MSG_CODES - 1)
    weak_src = _REQUEST_SRC.take(at)
    weak_dst = np.where(weak_src != 0, _REQUEST_DST.take(at), 0).astype(np.int8)
    return sure_src, sure_dst, weak_src, weak_dst


def _claim(of, addrs, roles, none, weak=False):
    """Claims addrs[i] is roles[i] (a _ROLE_CODE), in order: per address the last claim counts,
    or (weak) the first, and only for addresses not known yet. No address (`none`) says
    nothing."""
    if not len(addrs):
        return
    if weak:
        uniq, at = np.unique(addrs, return_index=True)
    else:
        uniq, at = np.unique(addrs[::-1], return_index=True)
        at = len(addrs) - 1 - at
    for addr, role in zip(uniq.tolist(), roles[at].tolist()):
        if addr != none and (not weak or addr not in of):
            of[addr] = _ROLE_NAME[role]


_ROLE_CODE = {"": 0, ENB: 1, MME: 2}           # S1AP senders first: 3 - code is the peer
_SENDER_ROLE = np.array([_ROLE_CODE[s1ap_sender(m)] for m in range(1024)], np.int64)
for _role in GTP_SENDER.values():
    _ROLE_CODE.setdefault(_role, len(_ROLE_CODE))
# proto code -> {request name: (src role, dst role)} of the registry's requests
_REQUESTS = {}
for _p in BY_NAME.values():
    for _name, _a, _b in _p.roles:
        _REQUESTS.setdefault(_p.code, {})[_name] = (_a, _b)
        _ROLE_CODE.setdefault(_a, len(_ROLE_CODE))
        _ROLE_CODE.setdefault(_b, len(_ROLE_CODE))
_ROLE_NAME = {v: k for k, v in _ROLE_CODE.items()}
ROLE_NAMES = tuple(_ROLE_NAME[i] for i in range(len(_ROLE_NAME)))    # by role code
# (proto code, message code) -> the role codes of a request's sender and receiver, 0 for none
_MSG_CODES = 4096                               # above every protocol's message codes
_REQUEST_ROLES = np.zeros((256, _MSG_CODES, 2), np.int8)


def _named_codes(p):
    """The message codes protocol p's tables name (every other code is named unknown(...)),
    so that naming them all is not a walk over every possible code."""
    t = p.table
    if p.naming == "ap":
        return [(pdu << 8) | proc for pdu, proc in t.MESSAGES]
    if p.naming == "gtp":
        return list(t.MESSAGES)
    if p.naming == "diameter":
        return [code << 1 | request for code in t.COMMANDS for request in (0, 1)]
    return range(_MSG_CODES - 1)


for _code, _by_name in _REQUESTS.items():
    for _m in _named_codes(BY_CODE[_code]):
        _ab = _by_name.get(names.msg_name(_code, _m)) if 0 <= _m < _MSG_CODES - 1 else None
        if _ab:
            _REQUEST_ROLES[_code, _m] = _ROLE_CODE[_ab[0]], _ROLE_CODE[_ab[1]]
_REQUEST_SRC = np.ascontiguousarray(_REQUEST_ROLES[:, :, 0]).ravel()   # by proto * _MSG_CODES + msg
_REQUEST_DST = np.ascontiguousarray(_REQUEST_ROLES[:, :, 1]).ravel()
_GTP_SENDER_ROLE = np.zeros(256, np.int64)       # F-TEID interface type -> its sender's role
_GTP_ASKS_ROLE = np.zeros(256, np.int64)         # ... -> the role of the node a request asks
for _i, _role in GTP_SENDER.items():
    _GTP_SENDER_ROLE[_i] = _ROLE_CODE[_role]
for _i, _role in GTP_ASKS.items():
    _GTP_ASKS_ROLE[_i] = _ROLE_CODE[_role]
_GTP_REQUESTS = np.array([m for m in range(256) if (names.msg_name(PROTO["GTPv2"], m) or "")
                          .endswith("Request")], np.int64)
# role_claims' tables, for its compiled twin (chrtool/_fast/link.pyx `role_rows`, which the link
# columns use batch by batch): S1AP sender by message, GTPv2 F-TEID interface -> sender's role and
# the role a request goes to, GTPv2 requests, request roles by proto * _MSG_CODES + message
_GTP_REQUEST = np.zeros(256, np.uint8)
_GTP_REQUEST[_GTP_REQUESTS] = 1
ROLE_TABLES = (_SENDER_ROLE.astype(np.int8), _GTP_SENDER_ROLE.astype(np.int8),
               _GTP_ASKS_ROLE.astype(np.int8), _GTP_REQUEST, _REQUEST_SRC, _REQUEST_DST,
               PROTO["S1AP"], PROTO["GTPv2"], _MSG_CODES)


# ------------------------------------------------------------------ building procedures
class _Builder:
    def __init__(self, ev, sessions, cat, end_ns=None):
        self.ev, self.sessions, self.cat = ev, sessions, cat
        cols = ev.cols
        self.proto = cols["proto"].tolist()
        self.msg = cols["msg"].tolist()
        self.parent = cols["parent"].tolist()
        self.ts = cols["ts_ns"].tolist()
        self.frame = cols["frame"].tolist()
        self.file = cols["file_id"].tolist()
        self.seq = cols["seq"].tolist()
        self.e2e = cols["e2e"].tolist()
        self.roles = Roles(ev, getattr(sessions, "roles", None))
        self.teid = cols["teid"].tolist()
        self.own_iface, self.announced = _control_fteids(ev)
        self.tunnel_iface = {}
        conn = getattr(sessions, "conn_of_row", None)
        self.conn = conn.tolist() if conn is not None else [-1] * ev.n
        self.causes = _causes_by_row(ev)
        self.procs = []
        if end_ns is None:
            end_ns = getattr(sessions, "end_ns", None)
        self.end_ns = end_ns if end_ns is not None else int(cols["ts_ns"].max()) if ev.n else 0
        # once for every row rather than per use: its message name, its place in time order
        # (by time, then row), each kind's timer (seconds, and as ns limits) and roles by name
        code = cols["proto"].astype(np.int64) << 32 | (cols["msg"].astype(np.int64) & 0xFFFFFFFF)
        uniq, at = np.unique(code, return_inverse=True)
        named = [self._name(int(c) >> 32, self.msg[int(i)]) for c, i in
                 zip(uniq.tolist(), np.unique(at, return_index=True)[1].tolist())]
        self.names = [named[i] for i in at.reshape(-1).tolist()]
        order = np.lexsort((np.arange(ev.n), cols["ts_ns"]))
        rank = np.empty(ev.n, np.int64)
        rank[order] = np.arange(ev.n)
        self.rank = _int_array(rank)
        self.timer_s = {k: spec.timer[1] for k, spec in cat.kinds.items()}
        self.limit_ns = {k: t * 1e9 for k, t in self.timer_s.items()}
        self.roles_of_name = {}

    @staticmethod
    def _name(p, msg):
        return f"{BY_CODE[p].name} {names.msg_name(p, msg)}" if p in BY_CODE else ""

    def name(self, r):
        return self.names[r]

    def ue(self, ue_index, rows):
        """The procedures of one subscriber (rows: theirs, any order)."""
        rows = sorted(rows, key=self.rank.__getitem__)      # by time, then row
        carried = {}                                  # carrier row -> the procedure of its NAS
        self.open = []
        self.procs = []             # numbered per subscriber: the same ids however UEs are sharded
        self.orphans = []
        self.tunnel_iface = {}      # the subscriber's own control tunnels, as announced so far
        names_, announced, ts, parent = self.names, self.announced, self.ts, self.parent
        for r in rows:
            name = names_[r]
            if r in announced:
                self.tunnel_iface.update(announced[r])
            if self.orphans:
                self._interrupt(ts[r])
            self._expire(ts[r])
            if name in CARRIERS:
                continue
            p = self._place(ue_index, r, name)
            par = parent[r]
            if p is not None and par >= 0 and names_[par] in CARRIERS:
                if par not in carried:
                    carried[par] = p
                    p.rows.append(par)
        self._interrupt(None)
        for p in list(self.open):                     # the inputs end inside its timer
            if p.outcome == "open" and self._expired(p, self.end_ns):
                self._close(p, "timeout", p.last_ns + int(self._timer(p) * 1e9), None,
                            silent=self._silent(p))
        for p in self.procs:
            p.rows.sort(key=self.rank.__getitem__)
        return self.procs

    def _interrupt(self, now):
        """Children still open after their parent failed, once time moved on (None: the end)."""
        later = []
        for at, child in self.orphans:
            if now is not None and now <= at:
                later.append((at, child))
            elif child.outcome == "open":
                self._close(child, "interrupted", at, None)
        self.orphans = later

    def _timer(self, p):
        return self.timer_s[p.kind]

    def _expired(self, p, now):
        return self.timer_s[p.kind] > 0 and now - p.last_ns > self.limit_ns[p.kind]

    def _expire(self, now):
        if not self.open:
            return
        timer_s, limit_ns = self.timer_s, self.limit_ns
        for p in list(self.open):
            if p.embedded and self.procs[p.parent].outcome == "open":
                continue
            if timer_s[p.kind] > 0 and now - p.last_ns > limit_ns[p.kind]:     # _expired
                self._close(p, "timeout", p.last_ns + int(self._timer(p) * 1e9), None,
                            silent=self._silent(p))

    def _silent(self, p):
        """The node its last message went to and that did not answer."""
        last = p.rows[-1]
        return self.roles.receiver(last, BY_CODE[self.proto[last]].name)

    def _place(self, ue_index, r, name):
        entries = self.cat.index.get(name)
        if not entries:
            return None
        roles = self.roles_of_name.get(name)
        if roles is None:
            roles = self.roles_of_name[name] = dict(entries)
        key = (self.proto[r], self.seq[r], self.e2e[r])        # _key
        if name == CONNECTION_UNKNOWN:
            self._error_indication(r)
        kinds, conn = self.cat.kinds, self.conn[r]
        for p in reversed(self.open):               # continues or ends an open procedure?
            role = roles.get(p.kind)
            spec = kinds[p.kind]
            if spec.connection and p.conn != conn:
                continue                            # another connection's
            if role == "start" and spec.exchange and p.key == key \
                    and self.roles.src[p.rows[0]] == self.roles.src[r]:
                self._add(p, r)                         # sent again: still the one exchange
                p.retries += 1
                return p
            if role in (None, "start", "single"):
                continue
            if spec.exchange and p.key != key:
                continue
            self._add(p, r)
            if role != "continue":
                self._close(p, self._ending(role, r), self.ts[r], r)
            return p
        for kind, role in entries:
            if role in ("start", "single"):
                return self._start(ue_index, kind, role, r, key)
        return None

    def _start(self, ue_index, kind, role, r, key):
        kinds = self.cat.kinds
        spec = kinds[kind]
        conn, ts = self.conn[r], self.ts[r]
        for p in list(self.open):
            if p.kind == kind and not spec.exchange \
                    and not (spec.connection and p.conn != conn):
                self._close(p, "abandoned", ts, None)      # tried again
            elif p.kind in spec.interrupts and not (
                    spec.connection and kinds[p.kind].connection and p.conn != conn):
                self._close(p, "interrupted", ts, None)    # another procedure cut in
        interface = self._interface(spec, r)
        # a kind under itself is its leg on the next interface (S11 -> S5), never a second
        # request on the same one (two bearers' Modify Bearer Requests back to back)
        parent = None
        for q in reversed(self.open):
            if kind in kinds[q.kind].children and not (q.kind == kind and q.interface == interface) \
                    and not (spec.connection and q.interface == "S1-MME" and q.conn != conn):
                parent = q
                break
        p = Procedure(len(self.procs), ue_index, kind, interface, ts, ts, timer=spec.timer[0],
                      key=key, parent=parent.index if parent else -1, conn=conn)
        if parent:
            parent.children.append(p.index)
            first = parent.rows[0]
            p.embedded = (self.ts[first], self.frame[first], self.file[first]) == \
                (self.ts[r], self.frame[r], self.file[r])
        self.procs.append(p)
        self._add(p, r)
        if role == "single":
            outcome = spec.outcome or ("failure" if self._fails(r) else "success")
            self._close(p, outcome, self.ts[r], r, opened=False)
        else:
            self.open.append(p)
        return p

    def _error_indication(self, r):
        """An Error Indication on an S1 connection ends the connection's procedures that wait
        for the node that sent it: it does not know the connection (36.413 8.7.2)."""
        sender = self.roles.sender(r, "S1AP")
        for p in list(self.open):
            if self.cat.kinds[p.kind].connection and p.conn == self.conn[r] and p.conn >= 0 \
                    and self.roles.sender(p.rows[-1], "S1AP") not in ("", sender):
                self._add(p, r)
                self._close(p, "failure", self.ts[r], r)

    def _interface(self, spec, r):
        """S11 or S5 for the GTPv2 kinds (the same messages run on both): by the F-TEID the
        message's sender gives for itself, else by the one its header TEID was announced with,
        else by the nodes the addresses belong to (a test bench with every node on one address
        has only the F-TEIDs to tell)."""
        if spec.interface != "S11":
            return spec.interface
        by_fteid = self.own_iface.get(r) or self.tunnel_iface.get(
            (_ipv4(self.roles.dst[r]), self.teid[r]))
        if by_fteid:
            return by_fteid
        a, b = self.roles.of.get(self.roles.src[r]), self.roles.of.get(self.roles.dst[r])
        return "S5" if {a, b} == {"SGW", "PGW"} else "S11"

    def _key(self, r):
        return (self.proto[r], self.seq[r], self.e2e[r])

    def _add(self, p, r):
        p.rows.append(r)
        p.last_ns = self.ts[r]
        causes = self.causes.get(r)
        if causes:
            p.causes.extend([(r, c) for c in causes])

    def _ending(self, role, r):
        if role == "answer":
            return "reject" if self._fails(r) else "success"
        return ENDING[role]

    def _fails(self, r):
        return any(_failing(c) for c in self.causes.get(r, ()))

    def _close(self, p, outcome, at, r, silent="", opened=True):
        p.outcome = outcome
        p.end_ns = at
        if r is not None:
            p.answered_by = self.roles.sender(r, BY_CODE[self.proto[r]].name)
        elif silent:
            p.answered_by = silent
        if opened and p in self.open:
            self.open.remove(p)
        if outcome != "success":      # what it started cannot go on without it, unless it
            self.orphans += [(at, self.procs[c]) for c in p.children]   # ends in that packet
        if p.parent >= 0:                            # a parent that follows this child ends too
            parent = self.procs[p.parent]
            if parent.outcome == "open" and outcome == "reject" and self.cat.kinds[p.kind].aborts:
                self._close(parent, "reject", at, None, silent=p.answered_by)
                parent.answered_by = p.answered_by
            elif parent.outcome == "open" and self.cat.kinds[parent.kind].follows == p.kind:
                self._close(parent, "failure" if outcome in ("reject", "failure") else outcome,
                            at, None, silent=p.answered_by)
                parent.answered_by = p.answered_by


_CONTROL_IFACE = {6: "S5", 7: "S5", 10: "S11", 11: "S11"}   # 29.274 8.22: S5/S8 and S11 GTP-C


def _control_fteids(ev):
    """(GTPv2 row -> the interface of its sender's own control F-TEID, row -> the control
    F-TEIDs it announces as [((IPv4, TEID), interface)]): a message-level F-TEID of instance 0
    is the sender's."""
    it = ev.items_of("fteid")
    own, announced = {}, {}
    if not len(it["row"]):
        return own, announced
    spec = ITEM_KINDS["fteid"]
    iface, inst = spec.get(it, "interface"), spec.get(it, "instance")
    teid, addr, ebi = spec.get(it, "teid"), spec.get(it, "address"), spec.get(it, "ebi")
    gtp = ev.cols["proto"][it["row"]] == PROTO["GTPv2"]
    for r, i, n, t, a, e in zip(it["row"][gtp].tolist(), iface[gtp].tolist(), inst[gtp].tolist(),
                                teid[gtp].tolist(), addr[gtp].tolist(), ebi[gtp].tolist()):
        name = _CONTROL_IFACE.get(i)
        if name and e < 0:
            announced.setdefault(r, []).append(((a & 0xFFFFFFFF, t & 0xFFFFFFFF), name))
            if n == 0:
                own.setdefault(r, name)
    return own, announced


def _int_array(values):
    """int64 values as a compact Python array (8 bytes each, not an int object each)."""
    from array import array
    out = array("q")
    out.frombytes(np.ascontiguousarray(values, np.int64).tobytes())
    return out


def _ipv4(addr):
    """An address as the F-TEID items hold IPv4 (an int), -2 for anything else."""
    return int.from_bytes(addr, "big") if len(addr) == 4 else -2


def _failing(cause):
    proto, value, name = cause.get("proto"), cause.get("value"), cause.get("name", "")
    if proto == "GTPv2":
        return value >= 64
    if proto == "Diameter":
        return value // 1000 not in (1, 2)
    if proto == "CHR":
        return cause.get("group") not in CHR_REASONS and name not in CHR_FINE
    if proto in ("S1AP", "X2AP"):
        return name not in AP_FINE
    if proto == "NAS-EPS" and cause.get("group") == "esm":
        return value not in ESM_FINE
    return True


def _causes_by_row(ev):
    """Row -> its cause objects: the row's own, then its cause items."""
    out = {}
    cols = ev.cols
    sel = np.flatnonzero(cols["cause_proto"] > 0)
    for r, cp, g, v in zip(sel.tolist(), cols["cause_proto"][sel].tolist(),
                           cols["cause_group"][sel].tolist(), cols["cause_value"][sel].tolist()):
        obj = names.cause(cp, g, v)
        if obj is not None:
            out.setdefault(r, []).append(obj)
    it = ev.items_of("cause")
    spec = ITEM_KINDS["cause"]
    for r, cp, g, v in zip(it["row"].tolist(), spec.get(it, "proto").tolist(),
                           spec.get(it, "group").tolist(), spec.get(it, "value").tolist()):
        obj = names.cause(cp, g, v)
        if obj is not None and obj not in out.get(r, ()):
            out.setdefault(r, []).append(obj)
    return out


def build(ev, sessions, ue_indices=None, cat=None, end_ns=None):
    """The procedures of the given UEs (default: every UE), in UE then time order. `end_ns`: when
    the inputs end (default: the sessions' end, else ev's last message); a procedure whose timer
    runs past it is `open`, not a timeout, even when ev holds only its subscriber's rows."""
    b = _Builder(ev, sessions, cat or catalogue(), end_ns)
    ue_of = sessions.ue_of_row.copy()
    if sessions.duplicate_of_row is not None:
        ue_of[sessions.duplicate_of_row >= 0] = -1
    order = np.argsort(ue_of, kind="stable")
    bounds = np.searchsorted(ue_of[order], np.arange(len(sessions.ues) + 1))
    wanted = range(len(sessions.ues)) if ue_indices is None else ue_indices
    out = []
    for u in wanted:
        out += b.ue(u, order[bounds[u]:bounds[u + 1]].tolist())
    return out
