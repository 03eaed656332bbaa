"""Events -> subscribers: link every message to a UE across interfaces and across ID reuse.

Identities link in time order:
- S1AP: a UE-associated connection is found by (association, MME UE S1AP ID) or (association,
  eNB UE S1AP ID); InitialUEMessage opens a new one and UEContextReleaseComplete frees both IDs,
  so IDs reused by the next UE start a new connection. NAS rows follow their S1AP carrier.
- NAS: an IMSI seen on a connection names its UE; a GUTI the network assigns (Attach/TAU Accept,
  GUTI Reallocation) is remembered, and a later connection presenting that M-TMSI (S-TMSI, GUTI
  in Attach/TAU Request) joins the UE that last received it.
- X2AP (EN-DC): an NR leg is found by (association, MeNB UE X2AP ID) and starts anew with each
  SgNB Addition Request; the eNB's CHR records, which carry that ID beside the IMSI, name its UE.
- GTPv2-C and Diameter: the IMSI (or User-Name) names the UE; responses and answers follow their
  request (sequence number / hop-by-hop + end-to-end identifiers); GTPv2 messages without IMSI
  follow the F-TEIDs the UE's earlier messages announced.
"""
from dataclasses import dataclass, field

import numpy as np

from chrtool.protocols import REGISTRY
from chrtool.table.schema import ITEM_KINDS

# how each protocol's rows are joined (the registry's `link` kinds): UE-associated connections
# ("s1"), messages carried on them ("nas"), request/answer exchanges naming an IMSI ("exchange"),
# NR legs ("x2") and CHR records ("chr")
LINK_OF_PROTO = {p.code: p.link for p in REGISTRY}
MSG_INITIAL_UE = (0 << 8) | 12
MSG_RELEASE_COMPLETE = (1 << 8) | 23
NAS_ASSIGNS_GUTI = {0x42, 0x49, 0x50}   # AttachAccept, TAU Accept, GUTI Reallocation Command
MSG_SGNB_ADDITION_REQUEST = (0 << 8) | 27
X2_CHR_WINDOW_NS = 60 * 10**9


@dataclass
class UE:
    index: int
    imsi: str = ""
    msisdn: str = ""
    m_tmsis: set = field(default_factory=set)
    connections: int = 0


@dataclass
class Sessions:
    """Per-row UE and connection index (-1: not linked) and the UEs found."""
    ue_of_row: np.ndarray
    conn_of_row: np.ndarray
    ues: list

    def rows_of(self, ue_index):
        return np.flatnonzero(self.ue_of_row == ue_index)

    def find(self, imsi=None, msisdn=None):
        """UEs with this IMSI or MSISDN."""
        return [u for u in self.ues if (imsi and u.imsi == imsi) or (msisdn and u.msisdn == msisdn)]


class _UnionFind:
    def __init__(self):
        self.parent = []

    def add(self):
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)
        return min(a, b)


def correlate(ev):
    cols = ev.cols
    n = ev.n
    conn_of_row = np.full(n, -1, np.int64)
    uf = _UnionFind()                       # one node per connection / GTPv2 or Diameter exchange
    imsi_node, tmsi_owner, teid_node, seq_node, chr_node = {}, {}, {}, {}, {}
    x2_ids, x2_legs, chr_menb = {}, [], {}
    fteids = _fteids_by_row(ev)
    # plain lists: indexing them in the loop is several times cheaper than numpy scalars
    imsis = ev.digits_column("imsi").tolist()
    msisdns = ev.digits_column("msisdn").tolist()
    proto, msg, parent = (cols[k].tolist() for k in ("proto", "msg", "parent"))
    mme, enb, menb_id = (cols[k].tolist() for k in ("mme_ue_s1ap_id", "enb_ue_s1ap_id",
                                                    "menb_ue_x2ap_id"))
    m_tmsi, header_teid, seq, e2e, ts_ns, file_id = (cols[k].tolist() for k in (
        "m_tmsi", "teid", "seq", "e2e", "ts_ns", "file_id"))
    assoc = _associations(ev).tolist()
    order = np.lexsort((np.arange(n), cols["frame"], cols["file_id"], cols["ts_ns"]))
    s1_ids = {}                             # (assoc, 'm'|'e', id) -> connection node
    node_msisdn = {}

    def name(node, imsi):
        if not imsi:
            return
        other = imsi_node.get(imsi)
        imsi_node[imsi] = uf.union(other, node) if other is not None else node

    link = [LINK_OF_PROTO.get(p, "") for p in proto]
    for r in order.tolist():
        kind = link[r]
        if kind == "s1" or (kind == "nas" and parent[r] < 0):
            a = assoc[r]
            m, e = mme[r], enb[r]
            node = None
            if msg[r] == MSG_INITIAL_UE and e >= 0:
                node = uf.add()
            else:
                node = s1_ids.get((a, "m", m)) if m >= 0 else None
                if node is None and e >= 0:
                    node = s1_ids.get((a, "e", e))
                if node is None and (m >= 0 or e >= 0):
                    node = uf.add()         # capture started mid-connection
            if node is None:
                continue                    # non-UE-associated (S1 Setup, Reset, ...)
            if e >= 0:
                s1_ids[(a, "e", e)] = node
            if m >= 0:
                s1_ids[(a, "m", m)] = node
            conn_of_row[r] = node
            if m_tmsi[r] >= 0 and kind == "s1":
                owner = tmsi_owner.get(m_tmsi[r])
                if owner is not None:
                    uf.union(owner, node)
            if msg[r] == MSG_RELEASE_COMPLETE:
                s1_ids.pop((a, "e", e), None)
                s1_ids.pop((a, "m", m), None)
        elif kind == "nas":
            node = conn_of_row[parent[r]]
            if node < 0:
                continue
            conn_of_row[r] = node
            name(node, imsis[r].decode())
            t = m_tmsi[r]
            if t >= 0:
                if msg[r] in NAS_ASSIGNS_GUTI:
                    tmsi_owner[t] = uf.find(node)
                elif t in tmsi_owner:
                    uf.union(tmsi_owner[t], node)
        elif kind == "exchange":
            key = (proto[r], seq[r], e2e[r], assoc[r])   # a request and its response/answer
            node = seq_node.get(key)
            if node is None:
                node = teid_node.get(header_teid[r]) if header_teid[r] > 0 else None
            if node is None:
                node = uf.add()
            seq_node[key] = node
            conn_of_row[r] = node
            name(node, imsis[r].decode())
            if msisdns[r]:
                node_msisdn[uf.find(node)] = msisdns[r].decode()
            for teid in fteids.get(r, ()):
                teid_node[teid] = node
        elif kind == "x2":
            menb = menb_id[r]
            key = (assoc[r], menb)
            node = x2_ids.get(key) if menb >= 0 else None
            if node is None or msg[r] == MSG_SGNB_ADDITION_REQUEST:
                node = uf.add()             # a new NR leg, even if the MeNB reuses the ID
                if menb >= 0:
                    x2_ids[key] = node
            conn_of_row[r] = node
            name(node, imsis[r].decode())   # trace files name the UE of their X2AP copies
            if menb >= 0:
                x2_legs.append((ts_ns[r], menb, node))
        elif kind == "chr":
            imsi = imsis[r].decode()
            if imsi:                        # one CHR story per subscriber and file
                key = (file_id[r], imsi)
                node = chr_node.get(key)
                if node is None:
                    node = chr_node[key] = uf.add()
                conn_of_row[r] = node
                name(node, imsi)
                if msisdns[r]:
                    node_msisdn[uf.find(node)] = msisdns[r].decode()
                if menb_id[r] >= 0:
                    chr_menb.setdefault(menb_id[r], []).append((ts_ns[r], node))

    # X2AP carries no subscriber identity: the eNB's CHR, which records the MeNB UE X2AP ID next
    # to the IMSI, names the UE of an NR leg (the nearest record in time with that ID)
    for ts, menb, node in x2_legs:
        near = [(abs(ts - t), n) for t, n in chr_menb.get(menb, ()) if abs(ts - t) <= X2_CHR_WINDOW_NS]
        if near:
            uf.union(min(near)[1], node)

    # connections -> UEs: each union-find root with an identity becomes a UE
    find = uf.find
    root_of = np.array([find(x) for x in range(len(uf.parent))] + [-1], np.int64)
    roots = root_of[conn_of_row]            # conn -1 picks the trailing -1
    root_imsi = {find(node): imsi for imsi, node in imsi_node.items()}
    for node, value in list(node_msisdn.items()):
        node_msisdn[find(node)] = value
    # a UE needs an identity or an S1 connection: watchdogs and peer set-up stay unlinked
    is_s1 = np.array([k == "s1" for k in link], bool)
    s1_roots = set(np.unique(roots[is_s1 & (roots >= 0)]).tolist())
    ues, ue_of_root = [], np.full(len(root_of), -1, np.int64)
    for root in np.unique(roots[roots >= 0]).tolist():
        if root not in root_imsi and root not in s1_roots:
            continue
        ue = UE(len(ues), imsi=root_imsi.get(root, ""), msisdn=node_msisdn.get(root, ""))
        ue_of_root[root] = ue.index
        ues.append(ue)
    ue_of_row = np.where(roots >= 0, ue_of_root[roots], -1)
    linked = ue_of_row >= 0
    pairs = np.unique(np.stack([ue_of_row[linked], conn_of_row[linked]]), axis=1)
    for ue_index, count in zip(*np.unique(pairs[0], return_counts=True)):
        ues[ue_index].connections = int(count)
    with_tmsi = linked & (cols["m_tmsi"] >= 0)
    for ue_index, t in zip(ue_of_row[with_tmsi].tolist(), cols["m_tmsi"][with_tmsi].tolist()):
        ues[ue_index].m_tmsis.add(t)
    return Sessions(ue_of_row, conn_of_row, ues)


def _associations(ev):
    """Per row, an integer naming its file and unordered pair of addresses (its association)."""
    n = ev.n
    if n == 0:
        return np.zeros(0, np.int64)
    src = np.ascontiguousarray(ev.cols["src"]).view("S16").ravel()
    dst = np.ascontiguousarray(ev.cols["dst"]).view("S16").ravel()
    lo, hi = np.where(src <= dst, src, dst), np.where(src <= dst, dst, src)
    key = np.empty(n, dtype=[("file", np.int32), ("lo", "S16"), ("hi", "S16")])
    key["file"], key["lo"], key["hi"] = ev.cols["file_id"], lo, hi
    return np.unique(key, return_inverse=True)[1].ravel().astype(np.int64)


def _fteids_by_row(ev):
    it = ev.items_of("fteid")
    out = {}
    for r, teid in zip(it["row"].tolist(), ITEM_KINDS["fteid"].get(it, "teid").tolist()):
        out.setdefault(r, []).append(teid)
    return out

