"""Events -> subscribers: link every message to a UE across interfaces, files and ID reuse.

Linking runs in two passes over the rows in time order.

1. Connections. Each row joins a node: an S1 connection, a GTPv2 or Diameter exchange, an X2
   handover or NR leg, a CHR story. Nodes are found by keys that are unique where 3GPP makes them
   unique, never by file:
   - S1: (MME address, MME UE S1AP ID) and (eNB address, eNB UE S1AP ID), the sides told apart by
     the message (directions.py). A message is followed by its sender's own ID, so a stack that
     fills the peer's ID wrongly is still followed (and counted as inconsistent). InitialUEMessage,
     HandoverRequest and PathSwitchRequest open a new connection; UEContextReleaseComplete, Reset
     and S1 Setup free the IDs, so IDs reused by the next UE never reach the earlier one.
   - NAS follows its S1AP carrier. A GTPv2 message follows the F-TEID its receiver announced
     (address, header TEID), else its request (sequence number within the peer pair and the side
     that asked: each side numbers its own requests); Diameter answers their request (hop-by-hop
     and end-to-end identifiers, the pair and the side that asked).
   - X2: a handover by (eNB pair, old eNB UE X2AP ID), an NR leg by (eNB pair, MeNB UE X2AP ID).
   A packet that two probes saw (same bytes, same addresses, another file, within `skew_ns`) is a
   duplicate: it joins its first copy's node and is marked, so it counts once.

2. Subscribers. Nodes naming the same IMSI are one subscriber. Then the inferred links are
   applied in time order: handovers (S1 HandoverRequest and PathSwitchRequest carry the source
   MME UE S1AP ID; X2AP HandoverRequest carries it in UE-ContextInformation), S-TMSIs and old
   GUTIs (an M-TMSI belongs to the subscriber last assigned it, from that assignment on), NR legs
   (the eNB's CHR, which records the MeNB UE X2AP ID beside the IMSI, else the eNB's S1 connection
   active just before the SgNB Addition Request; first of all, the S1 connection whose E-RAB has the
   S1-U uplink tunnel the SgNB Addition Request carries). An IMSI is the truth: a link that would join two
   IMSIs is dropped and kept as a conflict with its evidence.

Every row says how it was linked (LINK_KINDS) and how sure that is (CONFIDENCE).
"""
import gc
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import numpy as np

from chrtool._fast import link as fast
from chrtool.link.columns import FLAG_MME, FLAG_TMSI, KIND_CODE, LinkColumns, _give_back_freed_memory
from chrtool.link.directions import ENB, MME, s1ap_sender
from chrtool.table.schema import PROTO

PROTO_S1AP, PROTO_X2AP = PROTO["S1AP"], PROTO["X2AP"]
# the S1AP requests that give E-RABs their SGW S1-U tunnel (initiating messages: message code =
# procedure code): InitialContextSetupRequest, E-RABSetupRequest, HandoverRequest
S1_SETS_UP_BEARERS = (9, 5, 1)
# the S1AP/X2AP messages the pass reacts to are named in chrtool/_fast/link.pyx

X2_CHR_WINDOW_NS = 60 * 10**9           # a CHR record names the NR leg whose MeNB ID it carries
NR_LEG_WINDOW_NS = 2 * 10**9            # else the eNB's S1 connection active this shortly before
SKEW_NS = 50 * 10**6                    # probes' clocks differ by at most this (duplicates)
S1_PREP_NS = 10 * 10**9                 # a HandoverRequest answers a HandoverRequired this soon

# how a row was linked to its subscriber, and how sure that is
CONFIDENCE = {
    "imsi": 1.0,          # its connection or exchange names the IMSI
    "connection": 1.0,    # an S1 connection no identity names (a subscriber of its own)
    "exchange": 1.0,      # the answer to a request, or a GTPv2 message on an announced tunnel
    "handover": 0.95,     # S1 or X2 handover: the source MME UE S1AP ID
    "s-tmsi": 0.9,        # an S-TMSI or old GUTI the network had assigned to the subscriber
    "chr": 0.8,           # an NR leg named by the eNB's CHR (MeNB UE X2AP ID and time)
    "time-window": 0.5,   # an NR leg placed on the eNB connection active just before it
    "tunnel": 0.95,       # an NR leg whose SgNB Addition Request carries the S1-U uplink tunnel
                          # (SGW address and TEID) of an E-RAB the S1 connection set up
}
LINK_KINDS = ("",) + tuple(CONFIDENCE)  # code 0: not linked
LINK_CODE = {k: i for i, k in enumerate(LINK_KINDS)}


@dataclass(slots=True)             # one per subscriber of a whole run: kept small
class UE:
    index: int
    imsi: str = ""
    msisdn: str = ""
    m_tmsis: frozenset = frozenset()
    connections: int = 0


@dataclass
class Sessions:
    """Per row: the UE and node (-1: not linked), how it was linked (LINK_KINDS code) and the
    row it duplicates (-1: an original); the UEs found; links refused and IDs that disagreed."""
    ue_of_row: np.ndarray
    conn_of_row: np.ndarray
    ues: list
    link_of_row: np.ndarray = None
    duplicate_of_row: np.ndarray = None
    conflicts: list = field(default_factory=list)
    inconsistent_rows: list = field(default_factory=list)   # IDs that disagreed with the node
    end_ns: int = None              # the time of the inputs' last message (None: unknown)
    roles: dict = None              # address -> its node, learnt from every message
    resets: dict = None             # S1 Reset row (of the run) -> the connections it cut

    @property
    def inconsistent(self):
        return len(self.inconsistent_rows)

    def rows_of(self, ue_index, duplicates=False):
        """The UE's rows; copies of a packet another probe saw too only if asked."""
        sel = self.ue_of_row == ue_index
        if not duplicates and self.duplicate_of_row is not None:
            sel &= self.duplicate_of_row < 0
        return np.flatnonzero(sel)

    def copies(self):
        """Original row -> the rows that copy it (another probe's packet, an eNB trace's
        message, another export of a CHR record), in row order."""
        out = {}
        if self.duplicate_of_row is None:
            return out
        rows = np.flatnonzero(self.duplicate_of_row >= 0)
        for r, o in zip(rows.tolist(), self.duplicate_of_row[rows].tolist()):
            out.setdefault(o, []).append(r)
        return out

    def subset(self, rows):
        """These sessions over `rows` only (sorted, such as one subscriber's), renumbered 0.. in
        that order as Events.take and Run.take number them."""
        rows = np.asarray(rows, np.int64)
        remap = np.full(len(self.ue_of_row), -1, np.int64)
        remap[rows] = np.arange(len(rows))
        dup = self.duplicate_of_row[rows]
        dup = np.where(dup >= 0, remap[np.maximum(dup, 0)], -1)
        conflicts = [dict(c, row=int(remap[c["row"]])) for c in self.conflicts
                     if remap[c["row"]] >= 0]
        inconsistent = [int(remap[r]) for r in self.inconsistent_rows if remap[r] >= 0]
        return Sessions(self.ue_of_row[rows], self.conn_of_row[rows], self.ues,
                        self.link_of_row[rows], dup, conflicts, inconsistent, self.end_ns,
                        self.roles, self.resets)       # Reset rows keep the run's numbers

    def find(self, imsi=None, msisdn=None):
        """UEs with this IMSI or MSISDN."""
        return [u for u in self.ues if (imsi and u.imsi == imsi) or (msisdn and u.msisdn == msisdn)]

    def link_kind(self, row):
        return LINK_KINDS[self.link_of_row[row]]

    def counts(self):
        """What `chrtool stats` reports about linking."""
        original = self.duplicate_of_row < 0
        linked = (self.ue_of_row >= 0) & original
        by_kind = np.bincount(self.link_of_row[linked], minlength=len(LINK_KINDS))
        return {"subscribers": len(self.ues),
                "with_imsi": sum(1 for u in self.ues if u.imsi),
                "linked_messages": int(linked.sum()),
                "unlinked_messages": int((original & (self.ue_of_row < 0)).sum()),
                "duplicates": int((~original).sum()),
                "link_conflicts": len(self.conflicts),
                "inconsistent_ids": self.inconsistent,
                "links": {k: int(by_kind[i]) for i, k in enumerate(LINK_KINDS) if k and by_kind[i]}}


def correlate(ev, skew_ns=SKEW_NS):
    """Link the rows of `ev` to subscribers (see the module docstring)."""
    return correlate_columns(LinkColumns.from_events(ev), skew_ns)


def correlate_columns(lc, skew_ns=SKEW_NS, consume=False):
    """Link the rows of LinkColumns `lc` (every message of a run, chrtool/link/columns.py).
    With `consume`, lc is used up: each column goes as soon as linking no longer needs it, so
    that memory peaks lower (`chrtool diagnose` on a large capture)."""
    collecting = gc.isenabled()
    gc.disable()        # linking makes many small lasting objects (links, UEs), and no cycles
    try:
        return _correlate(lc, skew_ns, consume)
    finally:
        if collecting:
            gc.enable()


def _correlate(lc, skew_ns, consume):
    end_ns = int(lc.ts.max()) if lc.n else None
    order = _time_order(lc)
    dup = _duplicates(lc, order, skew_ns)
    if consume:
        lc.hash = None              # the copies are known: the largest column can go
    conns = fast.Connections(lc, _SENDER_OF, LINK_CODE["imsi"], S1_PREP_NS,
                             NR_LEG_WINDOW_NS, _GTP_SIDE, PROTO["GTPv2"], PROTO["Diameter"])
    conns.run(order, dup)
    del order
    conns.drop_columns()            # what follows reads lc itself
    if consume:                     # what the NR legs' tunnels and _sessions read stays
        _drop(lc, ("parent", "mme", "enb", "old_x2", "menb", "pair", "imsi", "ex", "ex_seq",
                   "ex_e2e", "ex_teid", "ex_msisdn"))
    tunnels = _nr_leg_tunnels(lc, conns)
    if consume:
        _drop(lc, ("ts", "msg", "f_row", "f_addr", "f_teid", "proto"))
    copies = np.flatnonzero(dup >= 0)           # a copy is linked as its original is (a trace's
    for col in (conns.conn_array, conns.exchange_array):    # copy may come before the capture's)
        col[copies] = col[dup[copies]]
    forest = _Forest(lc, conns, tunnels)
    forest.subscribers()
    sessions = _sessions(lc, conns, forest, dup, end_ns)
    del conns, forest
    _give_back_freed_memory()
    return sessions


def _drop(lc, names):
    for name in names:
        setattr(lc, name, None)
    _give_back_freed_memory()


def _time_order(lc):
    """Rows by time, then file, frame and row. A run numbers rows file by file and frame by frame,
    so a stable sort by time alone gives that order; other tables get the full sort."""
    same_file = lc.file_id[1:] == lc.file_id[:-1]
    if (np.all(lc.file_id[1:] >= lc.file_id[:-1])
            and np.all(lc.frame[1:][same_file] >= lc.frame[:-1][same_file])):
        return np.argsort(lc.ts, kind="stable").astype(np.int32)
    return np.lexsort((np.arange(lc.n), lc.frame, lc.file_id, lc.ts)).astype(np.int32)


def _sender_lut():
    lut = np.zeros(1024, np.uint8)
    for msg in range(1024):
        lut[msg] = {ENB: 1, MME: 2}.get(s1ap_sender(msg), 0)
    return lut


_SENDER_OF = _sender_lut()


def _gtp_side_lut():
    """GTPv2 message type -> 1 (a request: its sender asks), 2 (an answer), 0 (neither known)."""
    from chrtool.table.names import msg_name
    lut = np.zeros(256, np.uint8)
    for m in range(256):
        name = msg_name(PROTO["GTPv2"], m) or ""
        if name.startswith("unknown") or not name:
            continue
        answers = name.endswith(("Response", "Acknowledge", "FailureIndication"))
        lut[m] = 2 if answers else 1
    return lut


_GTP_SIDE = _gtp_side_lut()


def _duplicates(lc, order, skew_ns):
    """Per row, the row it copies (-1: an original). A top-level message is a copy of one another
    file holds too: the same packet seen by a second probe (same bytes and addresses), or an
    S1AP/X2AP message an eNB's trace or CHR recorded (same bytes, no IP layer); the capture's
    copy, which has the addresses, stays the original. A message inside a copy is a copy of the
    original's message at the same place (rows of one packet keep their order)."""
    if not lc.n or lc.file_id.min() == lc.file_id.max():
        return np.full(lc.n, -1, np.int32)      # one file: a copy is always in another
    dup = fast.duplicates(order, lc.ts, lc.file_id, lc.proto, lc.flags, lc.pair, lc.hash,
                          lc.parent, PROTO_S1AP, PROTO_X2AP, skew_ns)
    _chr_copies(lc, dup, skew_ns)
    child = np.flatnonzero(lc.parent >= 0)
    if not len(child) or not (dup >= 0).any():
        return dup
    parent = lc.parent[child].astype(np.int64)
    by = np.lexsort((child, parent))            # children grouped by parent, in row order
    child, parent = child[by], parent[by]
    first = np.searchsorted(parent, parent)     # rank of each child among its siblings
    place = parent << 20 | np.arange(len(child)) - first
    todo = np.ones(len(child), bool)
    while True:                                 # one level of nesting a round
        copied = np.flatnonzero(todo & (dup[parent] >= 0))
        if not len(copied):
            return dup
        want = dup[parent[copied]].astype(np.int64) << 20 | (place[copied] & 0xFFFFF)
        at = np.minimum(np.searchsorted(place, want), len(place) - 1)
        dup[child[copied]] = np.where(place[at] == want, child[at], -1)
        todo[copied] = False


def _chr_copies(lc, dup, skew_ns):
    """Mark in `dup` the CHR records that repeat one another file holds: the same radio event
    exported twice (an eNB's binary CHR and its CSV or XML export), whose bytes differ. The same
    event is the same message about the same subscriber, named the same way (its IMSI, else its
    M-TMSI, else its S1AP IDs), within the clock skew; the first (in time, then input order)
    stays the original. A record naming no subscriber is never a copy: a cell outage drops many
    UEs in one millisecond."""
    rows = np.flatnonzero((lc.proto == PROTO["CHR"]) & (lc.parent < 0) & (dup < 0))
    if len(rows) < 2:
        return
    imsi, tmsi = lc.imsi[rows].astype(np.int64), lc.m_tmsi[rows].astype(np.int64)
    has_tmsi = (lc.flags[rows] & FLAG_TMSI) > 0
    mme, enb = lc.mme[rows].astype(np.int64), lc.enb[rows].astype(np.int64)
    has_ids = ((lc.flags[rows] & FLAG_MME) > 0) & (enb >= 0)
    # who the record is about: (how it is named, the name)
    how = np.where(imsi > 0, 1, np.where(has_tmsi, 2, np.where(has_ids, 3, 0)))
    name = np.where(how == 1, imsi, np.where(how == 2, tmsi, mme << 24 ^ enb))
    keep = how > 0
    rows, how, name = rows[keep], how[keep], name[keep]
    msg, ts, file_id = lc.msg[rows].astype(np.int64), lc.ts[rows], lc.file_id[rows]
    by = np.lexsort((rows, ts, name, how, msg))
    rows, how, name, msg, ts, file_id = (a[by] for a in (rows, how, name, msg, ts, file_id))
    same = np.zeros(len(rows), np.uint8)             # the same event as the record before
    same[1:] = (msg[1:] == msg[:-1]) & (how[1:] == how[:-1]) & (name[1:] == name[:-1])
    fast.twin_copies(rows.astype(np.int64), same, np.ascontiguousarray(file_id, np.int32),
                     np.ascontiguousarray(ts, np.int64), skew_ns, dup)


class _Forest:
    """Pass 2: nodes -> subscribers, over a union-find forest in which two IMSIs never meet."""

    def __init__(self, lc, conns, tunnels=None):
        self.lc, self.conns, self.tunnels = lc, conns, tunnels or {}
        n = conns.n_nodes
        self.parent = np.arange(n, dtype=np.int64)
        self.imsi = conns.node_column("imsi").copy()
        self.kind = conns.node_column("kind").copy()
        self.conflicts = [(kind, r, a, b) for kind, r, a, b in conns.conflicts]

    def subscribers(self):
        # nodes naming one IMSI are one subscriber: each joins the first of its IMSI
        named = np.flatnonzero(self.imsi)
        if len(named):
            imsi = self.imsi[named]
            by = np.argsort(imsi, kind="stable")
            first = np.searchsorted(imsi[by], imsi[by])
            self.parent[named[by]] = named[by][first]
        edges = list(self.conns.edges) + self._nr_legs() + self._s_tmsis()
        if not edges:
            return
        ts = np.array([e[0] for e in edges], np.int64)
        row = np.array([e[4] for e in edges], np.int64)
        by = np.lexsort((row, ts))
        a = np.array([edges[i][2] for i in by.tolist()], np.int64)
        b = np.array([edges[i][3] for i in by.tolist()], np.int64)
        kind = np.array([LINK_CODE[edges[i][1]] for i in by.tolist()], np.uint8)
        ok, ia, ib = fast.join_edges(self.parent, self.imsi, a, b)
        # b, the node a link brings in, is marked with the kind of the first link that joined it
        # when it has no better one
        joined = np.flatnonzero(ok == 2)
        nodes, first = np.unique(b[joined], return_index=True)
        plain = self.kind[nodes] == 0
        self.kind[nodes[plain]] = kind[joined[first[plain]]]
        for i in np.flatnonzero(ok == 0).tolist():
            self.conflicts.append((LINK_KINDS[kind[i]], int(row[by[i]]), int(ia[i]), int(ib[i])))

    def _nr_legs(self):
        """NR legs -> (ts, kind, S1 node, leg node, row): the S1 connection whose E-RAB has the
        S1-U uplink tunnel the SgNB Addition Request carries, else the eNB's CHR that recorded
        the MeNB UE X2AP ID nearest in time, else the time-window guess pass 1 made."""
        out = []
        chr_menb = {m: ([t for t, _ in v], [n for _, n in v])
                    for m, v in self.conns.chr_menb.items()}
        for ts, guess, menb, node, r in self.conns.nr_legs:
            if r in self.tunnels:
                out.append((ts, "tunnel", self.tunnels[r], node, r))
                continue
            best = None
            times, nodes = chr_menb.get(menb, ((), ()))
            lo = bisect_left(times, ts - X2_CHR_WINDOW_NS)
            hi = bisect_right(times, ts + X2_CHR_WINDOW_NS)
            for i in range(lo, hi):
                cand = (abs(ts - times[i]), nodes[i])
                best = cand if best is None or cand < best else best
            if best is not None:
                out.append((ts, "chr", best[1], node, r))
            elif guess >= 0:
                out.append((ts, "time-window", guess, node, r))
        return out

    def _s_tmsis(self):
        """S-TMSIs and old GUTIs presented -> links to the node last assigned that M-TMSI at or
        before the time it was presented."""
        presented = self.conns.presented
        assigned = self.conns.assigned
        if not presented or not assigned:
            return []
        p_ts = np.array([p[0] for p in presented], np.int64)
        p_t = np.array([p[1] for p in presented], np.int64)
        a_t, a_ts, a_node = [], [], []
        for t, at in assigned.items():
            for ts, node in at:
                a_t.append(t)
                a_ts.append(ts)
                a_node.append(node)
        a_t, a_ts, a_node = (np.array(a_t, np.int64), np.array(a_ts, np.int64),
                             np.array(a_node, np.int64))
        # one sortable key: M-TMSI (32 bits) then the rank of the time
        _, rank = np.unique(np.concatenate([a_ts, p_ts]), return_inverse=True)
        a_key = a_t << 32 | rank[:len(a_ts)]
        p_key = p_t << 32 | rank[len(a_ts):]
        by = np.argsort(a_key, kind="stable")   # one M-TMSI's assignments stay in time order
        at = np.searchsorted(a_key[by], p_key, side="right") - 1
        ok = (at >= 0) & (a_t[by][np.maximum(at, 0)] == p_t)
        owner = np.where(ok, a_node[by][np.maximum(at, 0)], -1)
        return [(ts, "s-tmsi", o, node, r) for (ts, _, node, r), o in
                zip(presented, owner.tolist()) if o >= 0 and o != node]


def _nr_leg_tunnels(lc, conns):
    """SgNB Addition Request row -> the S1 connection (node) whose Initial Context Setup or
    E-RAB Setup last gave, before it, an E-RAB the S1-U tunnel (SGW address, TEID) the request
    carries for the split bearer's uplink. F-TEIDs without an IPv4 address are not matched."""
    legs = np.array(sorted({r for _, _, _, _, r in conns.nr_legs}), np.int64)
    if not len(legs) or not len(lc.f_row):
        return {}
    usable = np.flatnonzero(lc.f_addr >= 0)
    f_row = lc.f_row[usable].astype(np.int64, copy=False)
    ask = usable[np.isin(f_row, legs)]
    gave = usable[(lc.proto[f_row] == PROTO_S1AP) & np.isin(lc.msg[f_row], S1_SETS_UP_BEARERS)]
    del f_row, usable
    if not len(ask) or not len(gave):
        return {}
    conn = conns.conn_array
    g_row, g_key = lc.f_row[gave].astype(np.int64, copy=False), _tunnel_key(lc, gave)
    a_row, a_key = lc.f_row[ask].astype(np.int64, copy=False), _tunnel_key(lc, ask)
    # one sortable value: the tunnel's rank, then the time's rank (ties: the row's order)
    _, k_rank = np.unique(np.concatenate([g_key, a_key]), return_inverse=True)
    _, t_rank = np.unique(np.concatenate([lc.ts[g_row], lc.ts[a_row]]), return_inverse=True)
    g_val = k_rank[:len(g_row)].astype(np.int64) << 32 | t_rank[:len(g_row)]
    a_val = k_rank[len(g_row):].astype(np.int64) << 32 | t_rank[len(g_row):]
    by = np.argsort(g_val, kind="stable")
    at = np.searchsorted(g_val[by], a_val, side="right") - 1
    ok = (at >= 0) & (k_rank[:len(g_row)][by][np.maximum(at, 0)] == k_rank[len(g_row):])
    out = {}
    for r, g in zip(a_row[ok].tolist(), g_row[by][at[ok]].tolist()):
        if conn[g] >= 0:
            out.setdefault(r, int(conn[g]))
    return out


def _tunnel_key(lc, at):
    """The F-TEIDs `at` as one int64 each: address id, then TEID."""
    return lc.f_addr[at].astype(np.int64) << 32 | (lc.f_teid[at] & 0xFFFFFFFF)


def _sessions(lc, conns, forest, dup, end_ns):
    conn = conns.conn_array                     # int32, -1: not linked
    n_nodes = conns.n_nodes
    root_of = np.append(fast.roots(forest.parent), -1).astype(np.int32)
    has_rows = np.bincount(conn[conn >= 0], minlength=n_nodes) > 0
    # a UE needs an identity or an S1 connection: watchdogs and peer set-up stay unlinked
    on_s1 = np.zeros(n_nodes, bool)
    on_s1[conn[(lc.kind == KIND_CODE["s1"]) & (conn >= 0)]] = True
    root_imsi = forest.imsi
    present, s1_roots = np.zeros(n_nodes + 1, bool), np.zeros(n_nodes + 1, bool)
    present[root_of[:n_nodes][has_rows]] = True
    s1_roots[root_of[:n_nodes][on_s1]] = True
    ue_roots = np.flatnonzero(present[:n_nodes] & ((root_imsi > 0) | s1_roots[:n_nodes]))
    ue_of_root = np.full(n_nodes + 1, -1, np.int32)   # the last: "no node" stays -1
    ue_of_root[ue_roots] = np.arange(len(ue_roots))
    msisdn = np.zeros(n_nodes + 1, np.int64)   # root -> the MSISDN its last node named
    node_msisdn = conns.node_column("msisdn")
    named = np.flatnonzero(node_msisdn)[::-1]
    roots, last = np.unique(root_of[named], return_index=True)
    msisdn[roots] = node_msisdn[named[last]]
    ue_of_node = ue_of_root[root_of]            # per node (and -1 for "no node")
    mine = ue_of_node[:n_nodes][has_rows]
    imsis, msisdns = lc.imsis, lc.msisdns
    ues = [UE(i, imsis[a], msisdns[b], frozenset(), c) for i, a, b, c in zip(
        range(len(ue_roots)), root_imsi[ue_roots].tolist(), msisdn[ue_roots].tolist(),
        np.bincount(mine[mine >= 0], minlength=len(ue_roots)).tolist())]
    ue_of_row = ue_of_node[conn]                # conn -1 picks the trailing -1
    linked = ue_of_row >= 0
    # how each row was linked: its node's link, a row's own (an answer), else its connection
    node_kind = np.append(np.where(forest.kind == 0, LINK_CODE["connection"], forest.kind),
                          0).astype(np.uint8)
    link_of_row = node_kind[conn]
    link_of_row[~linked] = 0
    link_of_row[linked & (conns.exchange_array == 1)] = LINK_CODE["exchange"]
    with_tmsi = np.flatnonzero(linked & (lc.flags & FLAG_TMSI > 0))
    tmsis = {}
    for key in np.unique(ue_of_row[with_tmsi].astype(np.int64) << 32
                         | lc.m_tmsi[with_tmsi]).tolist():
        tmsis.setdefault(key >> 32, []).append(key & 0xFFFFFFFF)
    for u, values in tmsis.items():
        ues[u].m_tmsis = frozenset(values)
    conflicts = [{"link": kind, "row": r, "file_id": int(lc.file_id[r]), "frame": int(lc.frame[r]),
                  "imsis": sorted({lc.imsis[a], lc.imsis[b]})}
                 for kind, r, a, b in forest.conflicts]
    return Sessions(ue_of_row, conn, ues, link_of_row, dup, conflicts,
                    list(conns.inconsistent), end_ns, lc.roles, dict(conns.reset_nodes))
