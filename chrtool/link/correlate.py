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
   - NAS follows its S1AP carrier. GTPv2 answers follow their request (sequence number within the
     peer pair), later messages the F-TEIDs announced (address, TEID); Diameter answers their
     request (hop-by-hop and end-to-end identifiers within the peer pair).
   - X2: a handover by (eNB pair, old eNB UE X2AP ID), an NR leg by (eNB pair, MeNB UE X2AP ID).
   A packet that two probes saw (same bytes, same addresses, another file, within `skew_ns`) is a
   duplicate: it joins its first copy's node and is marked, so it counts once.

2. Subscribers. Nodes naming the same IMSI are one subscriber. Then the inferred links are
   applied in time order: handovers (S1 HandoverRequest and PathSwitchRequest carry the source
   MME UE S1AP ID; X2AP HandoverRequest carries it in UE-ContextInformation), S-TMSIs and old
   GUTIs (an M-TMSI belongs to the subscriber last assigned it, from that assignment on), NR legs
   (the eNB's CHR, which records the MeNB UE X2AP ID beside the IMSI, else the eNB's S1 connection
   active just before the SgNB Addition Request). An IMSI is the truth: a link that would join two
   IMSIs is dropped and kept as a conflict with its evidence.

Every row says how it was linked (LINK_KINDS) and how sure that is (CONFIDENCE).
"""
from dataclasses import dataclass, field

import numpy as np

from chrtool.link.directions import ENB, MME, s1ap_sender
from chrtool.protocols import REGISTRY
from chrtool.table.schema import ENUMS, ITEM_KINDS, PROTO

# how each protocol's rows are joined (the registry's `link` kinds): UE-associated connections
# ("s1"), messages carried on them ("nas"), request/answer exchanges naming an IMSI ("exchange"),
# X2 handovers and NR legs ("x2") and CHR records ("chr")
LINK_OF_PROTO = {p.code: p.link for p in REGISTRY}
PROTO_S1AP, PROTO_X2AP = PROTO["S1AP"], PROTO["X2AP"]
NODE_MME = ENUMS["node_kind"]["N_MME"].value

S1_HANDOVER_REQUIRED = (0 << 8) | 0
S1_INITIAL_UE = (0 << 8) | 12
S1_HANDOVER_REQUEST = (0 << 8) | 1
S1_PATH_SWITCH = (0 << 8) | 3
S1_RESET = (0 << 8) | 14
S1_SETUP = (0 << 8) | 17
S1_RELEASE_COMPLETE = (1 << 8) | 23
X2_HANDOVER_REQUEST = (0 << 8) | 0
X2_RESET = (0 << 8) | 7
X2_SETUP = (0 << 8) | 6
X2_SGNB_ADDITION_REQUEST = (0 << 8) | 27
NAS_ASSIGNS_GUTI = {0x42, 0x49, 0x50}   # AttachAccept, TAU Accept, GUTI Reallocation Command

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
}
LINK_KINDS = ("",) + tuple(CONFIDENCE)  # code 0: not linked
LINK_CODE = {k: i for i, k in enumerate(LINK_KINDS)}


@dataclass
class UE:
    index: int
    imsi: str = ""
    msisdn: str = ""
    m_tmsis: set = field(default_factory=set)
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

    @property
    def inconsistent(self):
        return len(self.inconsistent_rows)

    def rows_of(self, ue_index, duplicates=False):
        """The UE's rows; copies of a packet another probe saw too only if asked."""
        sel = self.ue_of_row == ue_index
        if not duplicates and self.duplicate_of_row is not None:
            sel &= self.duplicate_of_row < 0
        return np.flatnonzero(sel)

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


class _Nodes:
    """Union-find over nodes in which two IMSIs never meet."""

    def __init__(self):
        self.parent, self.imsi, self.kind = [], [], []

    def add(self, imsi=""):
        self.parent.append(len(self.parent))
        self.imsi.append(imsi)
        self.kind.append("imsi" if imsi else "")
        return len(self.parent) - 1

    def find(self, x):
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(self, a, b, kind=""):
        """Join b's subscriber to a's; False (nothing joined) when their IMSIs differ. b, the node
        the link brings in, is marked with the kind of the link when it has no better one."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ia, ib = self.imsi[ra], self.imsi[rb]
        if ia and ib and ia != ib:
            return False
        root, other = min(ra, rb), max(ra, rb)
        self.parent[other] = root
        self.imsi[root] = ia or ib
        if kind and not self.kind[b]:
            self.kind[b] = kind
        return True


class _Linker:
    def __init__(self, ev, skew_ns):
        self.ev = ev
        self.skew_ns = skew_ns
        n = ev.n
        cols = ev.cols
        self.nodes = _Nodes()
        self.conn = np.full(n, -1, np.int64)
        self.row_kind = {}                  # rows linked otherwise than their node
        self.dup = np.full(n, -1, np.int64)
        self.conflicts = []
        self.inconsistent = []              # rows whose peer ID is not their connection's
        # per node: S1 endpoints and keys, last activity (for NR legs)
        self.node_keys = {}                 # node -> its S1 keys while open
        self.node_enb = {}                  # node -> (eNB addr, MME addr)
        self.open_at = {}                   # eNB addr -> its open connections (nodes)
        self.s1_keys = {}                   # ("m", mme, enb, id) / ("e", enb, id) -> node
        self.s1_by_mme_id = {}              # MME UE S1AP ID -> {node: (eNB, MME)}, open ones
        self.enbs = set()                   # addresses seen sending eNB messages
        self._kids = None
        self.exchanges, self.tunnels = {}, {}
        self.x2_keys = {}
        self.assigned = {}                  # M-TMSI -> [(ts, node)] in time order
        self.presented = []                 # (ts, m_tmsi, node, row)
        self.edges = []                     # (ts, kind, node a, node b, row)
        self.nr_legs = []                   # (ts, S1 node guessed, MeNB UE X2AP ID, node, row)
        self.last_seen = {}                 # S1 node -> time of its latest message
        self.chr_menb = {}                  # MeNB UE X2AP ID -> [(ts, node)]
        self.chr_node, self.msisdn = {}, {}
        self.imsi = ev.digits_column("imsi").tolist()
        self.msisdns = ev.digits_column("msisdn").tolist()
        self.src = np.ascontiguousarray(cols["src"]).view("S16").ravel().tolist()
        self.dst = np.ascontiguousarray(cols["dst"]).view("S16").ravel().tolist()
        self.col = {k: cols[k].tolist() for k in (
            "proto", "msg", "parent", "mme_ue_s1ap_id", "enb_ue_s1ap_id", "old_enb_ue_x2ap_id",
            "menb_ue_x2ap_id", "m_tmsi", "teid", "seq", "e2e", "ts_ns", "file_id", "frame")}
        self.fteids = _fteids_by_row(ev)
        self.pending_ho = {}                # MME addr -> [(ts, source node, target eNB)]
        self.target_enb, self.enb_id = _enb_ids(ev, self.src)
        it = ev.items_of("s1ap_ids")
        self.source_mme_id = {}
        for r, m in zip(it["row"].tolist(), ITEM_KINDS["s1ap_ids"].get(it, "mme_ue_s1ap_id").tolist()):
            if m >= 0:
                self.source_mme_id.setdefault(r, m)

    # ------------------------------------------------------------------ pass 1: connections
    def connections(self):
        c = self.col
        order = np.lexsort((np.arange(self.ev.n), self.ev.cols["frame"], self.ev.cols["file_id"],
                            self.ev.cols["ts_ns"])).tolist()
        self._duplicates(order)
        link = [LINK_OF_PROTO.get(p, "") for p in c["proto"]]
        parent = c["parent"]
        for r in order:
            if self.dup[r] >= 0:
                self.conn[r] = self.conn[self.dup[r]]
                continue
            kind = link[r]
            if kind == "nas" and parent[r] >= 0:
                self.nas(r)
            elif kind == "s1" or kind == "nas":
                self.s1(r)
            elif kind == "exchange":
                self.exchange(r)
            elif kind == "x2":
                self.x2(r)
            elif kind == "chr":
                self.chr(r)

    def _duplicates(self, order):
        """Mark copies of a top-level message another file holds too: the same packet seen by a
        second probe (same bytes and addresses), or an S1AP/X2AP message an eNB's trace or CHR
        recorded (same bytes, no IP layer). The capture's copy, which has the addresses, stays
        the original."""
        c, ev = self.col, self.ev
        off, length = ev.cols["payload_off"].tolist(), ev.cols["payload_len"].tolist()
        ipv = ev.cols["ip_version"].tolist()
        seen, by_bytes = {}, {}
        skew, file_id, ts = self.skew_ns, c["file_id"], c["ts_ns"]

        def near(a, b):
            return a is not None and file_id[a] != file_id[b] and abs(ts[b] - ts[a]) <= skew
        for r in order:
            if c["parent"][r] >= 0:
                continue
            proto = c["proto"][r]
            raw = ev.bytes_at(off[r], length[r])
            if ipv[r]:
                key = (proto, self.src[r], self.dst[r], raw)
                if near(seen.get(key), r):
                    self.dup[r] = seen[key]
                    continue
                seen[key] = r
            if proto != PROTO_S1AP and proto != PROTO_X2AP or not raw:
                continue
            first = by_bytes.get((proto, raw))
            if near(first, r) and ipv[first] != ipv[r] and self.dup[first] < 0:
                if ipv[r]:                      # the trace's copy came first: it is the copy
                    self.dup[first] = r
                    by_bytes[(proto, raw)] = r
                else:
                    self.dup[r] = first
            else:
                by_bytes[(proto, raw)] = r
        for r in order:                         # a message inside a copy is a copy
            p = c["parent"][r]
            if p >= 0 and self.dup[p] >= 0 and self.dup[r] < 0:
                self.dup[r] = self._copy_child(r, p)

    def _copy_child(self, r, p):
        # the original's child at the same place: rows of one packet keep their order
        kids = self._kids
        if kids is None:
            kids = self._kids = {}
            for row, par in enumerate(self.col["parent"]):
                if par >= 0:
                    kids.setdefault(par, []).append(row)
        mine, theirs = kids.get(p, []), kids.get(int(self.dup[p]), [])
        i = mine.index(r)
        return theirs[i] if i < len(theirs) else -1

    def s1(self, r):
        c = self.col
        msg, m, e = c["msg"][r], c["mme_ue_s1ap_id"][r], c["enb_ue_s1ap_id"][r]
        if m < 0 and msg == S1_PATH_SWITCH:        # SourceMME-UE-S1AP-ID is an ID item
            m = self.source_mme_id.get(r, -1)
        enb_addr, mme_addr = self._s1_sides(r, s1ap_sender(msg))
        if msg == S1_RESET or msg == S1_SETUP:
            self._free_association(enb_addr, mme_addr)
            return
        # an MME UE S1AP ID is unique at its MME, an eNB UE S1AP ID at its eNB; the association
        # is part of the first key so that the source and target of an S1 handover stay apart
        km = ("m", mme_addr, enb_addr, m) if m >= 0 else None
        ke = ("e", enb_addr, e) if e >= 0 else None
        if km is None and ke is None:
            return                          # not UE-associated
        if msg == S1_INITIAL_UE and ke:
            node = self.nodes.add()
        elif (msg == S1_HANDOVER_REQUEST or msg == S1_PATH_SWITCH) and m >= 0:
            # a new connection at the target eNB, for the source's MME UE S1AP ID, or (S1
            # handover) for the MME's new ID: then for the HandoverRequired it answers
            node = self.nodes.add()
            source, how = self._s1_source(m, mme_addr, enb_addr), "handover"
            if source is None and msg == S1_HANDOVER_REQUEST:
                source, how = self._required(mme_addr, enb_addr, c["ts_ns"][r])
            if source is not None:
                self.edges.append((c["ts_ns"][r], how, source, node, r))
                if msg == S1_PATH_SWITCH:   # X2 handover done: the source eNB freed its IDs
                    self._release(source)
        else:
            own, peer = (km, ke) if s1ap_sender(msg) == MME else (ke, km)
            node = self.s1_keys.get(own) if own else None
            other = self.s1_keys.get(peer) if peer else None
            if node is None:
                node = other
            if node is None:
                node = self.nodes.add()     # the capture started inside the connection
            elif peer is not None and (other not in (None, node) or any(
                    k[0] == peer[0] and k != peer for k in self.node_keys.get(node, ()))):
                # the peer's ID is not the one this connection has: follow the sender's own
                self.inconsistent.append(r)
                km, ke = (km, None) if own is km else (None, ke)
        self._bind(node, km, ke, enb_addr, mme_addr)
        self.conn[r] = node
        self.last_seen[node] = c["ts_ns"][r]
        imsi = self.imsi[r].decode()        # a NAS copy outside its carrier, a Paging by IMSI
        if imsi:
            self._name(node, imsi, r)
        if msg == S1_HANDOVER_REQUIRED:
            self.pending_ho.setdefault(mme_addr, []).append(
                (c["ts_ns"][r], node, self.target_enb.get(r)))
        if c["m_tmsi"][r] >= 0:             # the S-TMSI of an InitialUEMessage
            self.presented.append((c["ts_ns"][r], c["m_tmsi"][r], node, r))
        if msg == S1_RELEASE_COMPLETE:
            self._release(node)

    def _s1_sides(self, r, sender):
        """(eNB address, MME address) of an S1AP row."""
        src, dst = self.src[r], self.dst[r]
        if sender == MME or (sender != ENB and src not in self.enbs and dst in self.enbs):
            return dst, src
        self.enbs.add(src)
        return src, dst

    def _required(self, mme_addr, target_addr, ts):
        """The HandoverRequired a HandoverRequest to target_addr answers: the oldest one pending
        at that MME within TS1RELOCprep, for that target eNB when both are known. A guess
        between several is a time-window link."""
        pending = [p for p in self.pending_ho.get(mme_addr, ()) if 0 <= ts - p[0] <= S1_PREP_NS]
        target = self.enb_id.get(target_addr)
        named = [p for p in pending if target is not None and p[2] == target]
        pick = named or pending
        if not pick:
            return None, ""
        self.pending_ho[mme_addr] = [p for p in pending if p is not pick[0]]
        return pick[0][1], "handover" if named or len(pending) == 1 else "time-window"

    def _s1_source(self, m, mme_addr, target):
        """The open connection at another eNB of the same MME with MME UE S1AP ID m."""
        at = [n for n, (enb, mme) in self.s1_by_mme_id.get(m, {}).items()
              if mme == mme_addr and enb != target]
        return at[-1] if at else None

    def _bind(self, node, km, ke, enb_addr, mme_addr):
        keys = self.node_keys.setdefault(node, set())
        for k in (km, ke):
            if k is None:
                continue
            old = self.s1_keys.get(k)
            if old is not None and old != node:
                self.node_keys.get(old, set()).discard(k)   # reused without a release we saw
                if k[0] == "m":
                    self.s1_by_mme_id.get(k[3], {}).pop(old, None)
            self.s1_keys[k] = node
            keys.add(k)
            if k[0] == "m":
                self.s1_by_mme_id.setdefault(k[3], {})[node] = (enb_addr, mme_addr)
        old_at = self.node_enb.get(node)
        if old_at is not None and old_at != (enb_addr, mme_addr):
            self.open_at.get(old_at[0], set()).discard(node)
        self.node_enb[node] = (enb_addr, mme_addr)
        self.open_at.setdefault(enb_addr, set()).add(node)

    def _release(self, node):
        """The connection is over at its eNB: its IDs are free for the next UE."""
        for k in self.node_keys.pop(node, ()):
            if self.s1_keys.get(k) == node:
                del self.s1_keys[k]
            if k[0] == "m":
                self.s1_by_mme_id.get(k[3], {}).pop(node, None)
        at = self.node_enb.get(node)
        if at is not None:
            self.open_at.get(at[0], set()).discard(node)

    def _free_association(self, enb_addr, mme_addr):
        """Reset (either side) or S1 Setup (the association restarted): every connection between
        the two is gone; the eNB's connections to other MMEs stay."""
        for node in list(self.open_at.get(enb_addr, ())):
            if self.node_enb[node][1] == mme_addr:
                self._release(node)

    def nas(self, r):
        c = self.col
        node = self.conn[c["parent"][r]]
        if node < 0:
            return
        self.conn[r] = node
        imsi = self.imsi[r].decode()
        if imsi:
            self._name(node, imsi, r)
        t = c["m_tmsi"][r]
        if t >= 0:
            if c["msg"][r] in NAS_ASSIGNS_GUTI:
                self.assigned.setdefault(t, []).append((c["ts_ns"][r], node))
            else:
                self.presented.append((c["ts_ns"][r], t, node, r))

    def _name(self, node, imsi, r):
        """An identity seen on the node itself."""
        nodes = self.nodes
        if not nodes.imsi[node]:
            nodes.imsi[node] = imsi
            nodes.kind[node] = "imsi"
        elif nodes.imsi[node] != imsi:
            self._conflict("imsi", r, nodes.imsi[node], imsi)

    def exchange(self, r):
        c = self.col
        a, b = self.src[r], self.dst[r]
        pair = (a, b) if a <= b else (b, a)
        key = (c["proto"][r], c["seq"][r], c["e2e"][r], pair)
        node = self.exchanges.get(key)
        how = "exchange" if node is not None else ""
        teid = c["teid"][r]
        if node is None and teid > 0:
            node = self.tunnels.get((b, teid))
            how = "exchange" if node is not None else ""
        imsi = self.imsi[r].decode()
        if node is None or (imsi and self.nodes.imsi[node] and self.nodes.imsi[node] != imsi):
            node = self.nodes.add()
            how = ""
        self.exchanges[key] = node
        self.conn[r] = node
        if imsi:
            self._name(node, imsi, r)
        elif how:
            self.row_kind[r] = how
        if self.msisdns[r]:
            self.msisdn[node] = self.msisdns[r].decode()
        for addr, t in self.fteids.get(r, ()):
            self.tunnels[(addr if addr is not None else a, t)] = node

    def x2(self, r):
        c = self.col
        msg, menb, old = c["msg"][r], c["menb_ue_x2ap_id"][r], c["old_enb_ue_x2ap_id"][r]
        a, b = self.src[r], self.dst[r]
        pair = (a, b) if a <= b else (b, a)
        if msg == X2_RESET or msg == X2_SETUP:
            for k in [k for k in self.x2_keys if k[1] == pair]:
                del self.x2_keys[k]
            return
        if menb >= 0:
            key = ("menb", pair, menb)
            node = self.x2_keys.get(key)
            if node is None or msg == X2_SGNB_ADDITION_REQUEST:
                node = self.x2_keys[key] = self.nodes.add()   # a new NR leg, even on a reused ID
                guess = self._last_active(a, c["ts_ns"][r]) if msg == X2_SGNB_ADDITION_REQUEST else None
                self.nr_legs.append((c["ts_ns"][r], guess, menb, node, r))
        elif old >= 0:
            key = ("ho", pair, old)
            node = self.x2_keys.get(key)
            if node is None or msg == X2_HANDOVER_REQUEST:
                node = self.x2_keys[key] = self.nodes.add()
            if msg == X2_HANDOVER_REQUEST and c["mme_ue_s1ap_id"][r] >= 0:
                source = self._s1_at(c["mme_ue_s1ap_id"][r], a)
                if source is not None:
                    self.edges.append((c["ts_ns"][r], "handover", source, node, r))
        else:
            return
        self.conn[r] = node
        imsi = self.imsi[r].decode()        # trace files name the UE of their X2AP copies
        if imsi:
            self._name(node, imsi, r)

    def _s1_at(self, mme_id, enb_addr):
        """The open S1 connection with this MME UE S1AP ID at this eNB (else the only one)."""
        open_ = self.s1_by_mme_id.get(mme_id, {})
        at = [n for n, (enb, _) in open_.items() if enb == enb_addr]
        if len(at) == 1:
            return at[0]
        return next(iter(open_)) if len(open_) == 1 else None

    def chr(self, r):
        c = self.col
        imsi = self.imsi[r].decode()
        if not imsi:
            return
        key = (c["file_id"][r], imsi)       # one CHR story per subscriber and file
        node = self.chr_node.get(key)
        if node is None:
            node = self.chr_node[key] = self.nodes.add(imsi)
        self.conn[r] = node
        if self.msisdns[r]:
            self.msisdn[node] = self.msisdns[r].decode()
        if c["menb_ue_x2ap_id"][r] >= 0:
            self.chr_menb.setdefault(c["menb_ue_x2ap_id"][r], []).append((c["ts_ns"][r], node))

    # ------------------------------------------------------------------ pass 2: subscribers
    def subscribers(self):
        nodes = self.nodes
        by_imsi = {}
        for node, imsi in enumerate(nodes.imsi):
            if imsi:
                first = by_imsi.setdefault(imsi, node)
                if first != node:
                    nodes.join(first, node)
        self._nr_legs()
        for ts, t, node, r in self.presented:
            owner = self._owner(t, ts)
            if owner is not None and owner != node:
                self.edges.append((ts, "s-tmsi", owner, node, r))
        self.edges.sort(key=lambda e: (e[0], e[4]))
        for ts, kind, a, b, r in self.edges:
            if not nodes.join(a, b, kind):
                self._conflict(kind, r, nodes.imsi[nodes.find(a)], nodes.imsi[nodes.find(b)])

    def _owner(self, t, ts):
        """The node last assigned M-TMSI t at or before ts."""
        owner = None
        for at, node in self.assigned.get(t, ()):
            if at > ts:
                break
            owner = node
        return owner

    def _nr_legs(self):
        for ts, guess, menb, node, r in self.nr_legs:
            near = [(abs(ts - t), n) for t, n in self.chr_menb.get(menb, ())
                    if abs(ts - t) <= X2_CHR_WINDOW_NS]
            if near:
                self.edges.append((ts, "chr", min(near)[1], node, r))
            elif guess is not None:
                self.edges.append((ts, "time-window", guess, node, r))

    def _last_active(self, enb_addr, ts):
        """No CHR may name an NR leg: the MeNB's open S1 connection with the latest message in
        the NR_LEG_WINDOW_NS before the SgNB Addition Request (None without one)."""
        best = None
        for s1 in self.open_at.get(enb_addr, ()):
            last = self.last_seen.get(s1, -1)
            if 0 <= ts - last <= NR_LEG_WINDOW_NS and (best is None or last > best[0]):
                best = (last, s1)
        return best[1] if best else None

    def _conflict(self, kind, r, imsi_a, imsi_b):
        c = self.col
        self.conflicts.append({"link": kind, "row": int(r), "file_id": int(c["file_id"][r]),
                               "frame": int(c["frame"][r]), "imsis": sorted({imsi_a, imsi_b})})


def correlate(ev, skew_ns=SKEW_NS):
    """Link the rows of `ev` to subscribers (see the module docstring)."""
    lk = _Linker(ev, skew_ns)
    lk.connections()
    lk.subscribers()
    return _sessions(ev, lk)


def _sessions(ev, lk):
    nodes = lk.nodes
    find = nodes.find
    n_nodes = len(nodes.parent)
    root_of = np.array([find(x) for x in range(n_nodes)] + [-1], np.int64)
    roots = root_of[lk.conn]                # conn -1 picks the trailing -1
    msisdn = {}
    for node, value in lk.msisdn.items():
        msisdn[find(node)] = value
    # a UE needs an identity or an S1 connection: watchdogs and peer set-up stay unlinked
    is_s1 = np.array([LINK_OF_PROTO.get(p) == "s1" for p in lk.col["proto"]], bool)
    s1_roots = set(np.unique(roots[is_s1 & (roots >= 0)]).tolist())
    ues, ue_of_root = [], np.full(n_nodes + 1, -1, np.int64)
    for root in np.unique(roots[roots >= 0]).tolist():
        imsi = nodes.imsi[root]
        if not imsi and root not in s1_roots:
            continue
        ue = UE(len(ues), imsi=imsi, msisdn=msisdn.get(root, ""))
        ue_of_root[root] = ue.index
        ues.append(ue)
    ue_of_row = np.where(roots >= 0, ue_of_root[roots], -1)
    linked = ue_of_row >= 0
    # how each row was linked: its node's link, a row's own (an answer), else its connection
    node_kind = np.array([LINK_CODE[k or "connection"] for k in nodes.kind] + [0], np.uint8)
    link_of_row = np.where(linked, node_kind[lk.conn], 0).astype(np.uint8)
    for r, kind in lk.row_kind.items():
        if linked[r]:
            link_of_row[r] = LINK_CODE[kind]
    pairs = np.unique(np.stack([ue_of_row[linked], lk.conn[linked]]), axis=1)
    for ue_index, count in zip(*np.unique(pairs[0], return_counts=True)):
        ues[ue_index].connections = int(count)
    with_tmsi = linked & (ev.cols["m_tmsi"] >= 0)
    for ue_index, t in zip(ue_of_row[with_tmsi].tolist(), ev.cols["m_tmsi"][with_tmsi].tolist()):
        ues[ue_index].m_tmsis.add(t)
    return Sessions(ue_of_row, lk.conn, ues, link_of_row, lk.dup, lk.conflicts, lk.inconsistent)


def _enb_ids(ev, src):
    """(HandoverRequired row -> its target eNB, eNB address -> its eNB): Global eNB IDs as
    (PLMN, eNB ID), from the HandoverRequired's Target ID and the eNB's S1 Setup Request."""
    it = ev.items_of("node")
    spec = ITEM_KINDS["node"]
    msg = ev.cols["msg"]
    s1 = PROTO_S1AP
    target, of_addr = {}, {}
    for r, kind, plmn, node_id in zip(it["row"].tolist(), spec.get(it, "kind").tolist(),
                                      spec.get(it, "plmn").tolist(), spec.get(it, "node_id").tolist()):
        if ev.cols["proto"][r] != s1 or kind == NODE_MME:
            continue
        if msg[r] == S1_HANDOVER_REQUIRED:
            target.setdefault(r, (plmn, node_id))
        elif msg[r] == S1_SETUP:
            of_addr[src[r]] = (plmn, node_id)
    return target, of_addr


def _fteids_by_row(ev):
    """Per row, the (address, TEID) of its F-TEIDs; address as the src/dst columns hold it."""
    it = ev.items_of("fteid")
    spec = ITEM_KINDS["fteid"]
    out = {}
    for r, teid, addr in zip(it["row"].tolist(), spec.get(it, "teid").tolist(),
                             spec.get(it, "address").tolist()):
        key = int(addr).to_bytes(4, "big").rstrip(b"\0") if addr >= 0 else None
        out.setdefault(r, []).append((key, teid))
    return out
