"""Decoded batches -> the compact columns linking needs, for every message of a run.

Linking has to see every message, so it cannot keep the decoded table: a 1 GB capture decodes
into several GB of columns, items and payload bytes. `LinkColumns` keeps, batch by batch, only
what chrtool/link/correlate.py reads (about 60 bytes a message): time, file, protocol and
message, carrier row, S1AP/X2AP IDs, the address pair (interned), an M-TMSI, the IMSI (interned),
a 64-bit hash of the payload (two probes' copies of a packet), and for the few messages that have
them GTPv2/Diameter exchange IDs, MSISDNs, F-TEIDs and the IDs found in items. Rows are numbered
as the run yields them, so a subscriber's rows can be decoded again by number
(chrtool/inputs/pipeline.py `Run.take`).
"""
import numpy as np

from chrtool._fast.link import Interner, claim_rows, link_rows, payload_hashes, role_rows
from chrtool.link.procedures import ROLE_NAMES, ROLE_TABLES
from chrtool.protocols import REGISTRY
from chrtool.table.events import Events
from chrtool.table.schema import CAUSE_CODES, ENUMS, ITEM_KINDS, PROTO

# the link kinds of chrtool/_fast/link.pyx, by the registry's `link` of each protocol
KIND_CODE = {"": 0, "s1": 1, "nas": 2, "exchange": 3, "x2": 4, "chr": 5}
KIND_OF_PROTO = np.zeros(256, np.uint8)
for _p in REGISTRY:
    KIND_OF_PROTO[_p.code] = KIND_CODE[_p.link or ""]

PROTO_S1AP = PROTO["S1AP"]
NODE_MME = ENUMS["node_kind"]["N_MME"].value
S1_HANDOVER_REQUIRED, S1_PATH_SWITCH, S1_SETUP, S1_RESET = 0, 3, 17, 14

# name -> dtype of the dense columns (one value per message)
# (the 32-bit IDs mme and m_tmsi count only where flags say they are present)
DENSE = (("ts", np.int64), ("file_id", np.int32), ("frame", np.int32), ("kind", np.uint8),
         ("proto", np.uint8), ("msg", np.int32), ("parent", np.int32), ("mme", np.uint32),
         ("enb", np.int32), ("old_x2", np.int32), ("menb", np.int32), ("pair", np.int32),
         ("flags", np.uint8), ("hash", np.uint64), ("imsi", np.int32), ("m_tmsi", np.uint32),
         ("ex", np.int32))
DENSE_NAMES = frozenset(name for name, _ in DENSE)
# the event-table columns they come from, as chrtool/_fast/link.pyx `link_rows` reads them, and
# the columns it fills (hash aside)
_DENSE_IN = (("ts_ns", np.int64), ("frame", np.int64), ("proto", np.uint8), ("msg", np.int32),
             ("parent", np.int64), ("mme_ue_s1ap_id", np.int64), ("enb_ue_s1ap_id", np.int64),
             ("old_enb_ue_x2ap_id", np.int64), ("menb_ue_x2ap_id", np.int64),
             ("ip_version", np.uint8), ("payload_len", np.int32), ("m_tmsi", np.int64))
_DENSE_OUT = ("ts", "file_id", "frame", "kind", "proto", "msg", "parent", "mme", "enb", "old_x2",
              "menb", "pair", "flags", "imsi", "m_tmsi", "ex")
assert set(_DENSE_OUT) | {"hash"} == DENSE_NAMES
BYTES_PER_MESSAGE = 48
# the exchange side table (GTPv2, Diameter and CHR rows) and the F-TEIDs, by row
SPARSE = (("ex_seq", np.int64), ("ex_e2e", np.int64), ("ex_teid", np.int64),
          ("ex_msisdn", np.int32), ("f_row", np.int64), ("f_addr", np.int32),
          ("f_teid", np.int64))
# the failing causes of every message (row, cause, cell, sender): what the cell view of diagnosis
# counts across subscribers (chrtool/diagnose/cells.py); not linking's, taken out before it
CAUSES = (("c_row", np.int64), ("c_key", np.int64), ("c_eci", np.int64), ("c_src", np.int32),
          ("c_to_mme", np.int8))     # S1AP: 1 sent to the MME's port, -1 from it, 0 unknown
GTP_CODE, DIA_CODES = CAUSE_CODES["GTPv2"], (CAUSE_CODES["DIAMETER"], CAUSE_CODES["DIAMETER_EXP"])
GROUPED = (CAUSE_CODES["S1AP"], CAUSE_CODES["X2AP"], CAUSE_CODES["CHR"])   # group is part of the cause


def to_mme(cols, rows=None):
    """Per row (or per row of `rows`), for S1AP: 1 when sent to the MME's SCTP port (36412: the
    eNB sent it), -1 when sent from it, 0 when the ports do not say (what tells direction when
    one address holds both, as on a test bench)."""
    from chrtool.protocols import BY_NAME
    port = BY_NAME["S1AP"].port[1]
    proto, dport, sport = cols["proto"], cols["dport"], cols["sport"]
    if rows is not None:
        proto, dport, sport = proto.take(rows), dport.take(rows), sport.take(rows)
    s1 = proto == PROTO_S1AP
    return (s1 & (dport == port)).astype(np.int8) - (s1 & (sport == port)).astype(np.int8)


def cause_key(code, group, value):
    """One int64 for a (cause code, group, value) triple; the group counts only where the
    protocol numbers causes per group (S1AP, X2AP, CHR)."""
    code, group, value = (np.asarray(x, np.int64) for x in (code, group, value))
    group = np.where(np.isin(code, GROUPED), group & 0xFFFF, 0xFFFF)
    return code << 40 | group << 24 | (value & 0xFFFFFF)
FLAG_IP, FLAG_PAYLOAD, FLAG_MME, FLAG_TMSI = 1, 2, 4, 8


SEGMENT = 1 << 18              # the least a column holds room for


class _Column:
    """A column that grows in place: it reserves room for `capacity` values up front (pages the
    system hands out only when written, so an overestimate costs address space, not memory) and
    doubles when that is not enough; finishing is then a view, not a copy of the column."""

    def __init__(self, dtype, capacity=0):
        self.dtype, self.cap, self.arr, self.used = dtype, max(int(capacity), SEGMENT), None, 0

    def append(self, values):
        self.reserve(len(values))[:] = values

    def reserve(self, k):
        """The room for the next k values (filled by the caller), as a view."""
        if self.arr is None:
            self.arr = np.empty(max(self.cap, k), self.dtype)
        elif self.used + k > len(self.arr):
            grown = np.empty(max(2 * len(self.arr), self.used + k), self.dtype)
            grown[:self.used] = self.arr[:self.used]
            self.arr = grown
        self.used += k
        return self.arr[self.used - k:self.used]

    def finish(self):
        out = self.arr[:self.used] if self.arr is not None else np.zeros(0, self.dtype)
        self.arr = None
        return out


def _give_back_freed_memory():
    """Many batches' temporaries were freed: ask glibc to return the free heap to the system
    (it keeps it otherwise, and the peak RSS of what follows would stand on it)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class LinkColumns:
    """The link columns of every message of a run, in the order the run yielded them."""

    def __init__(self, expected=0, hashes=True):
        """`expected`: about how many messages will come (room is reserved for them; a good
        guess saves copies, a wrong one costs nothing else); `for_inputs` guesses from sizes.
        Without `hashes`, payloads are not hashed (hash 0: no row is found a copy of another),
        for a run of one file, in which no packet can be another file's copy."""
        self.hashes = hashes
        self._parts = {name: _Column(dtype, expected if name in DENSE_NAMES else expected // 4)
                       for name, dtype in DENSE + SPARSE + CAUSES}
        self.n = 0
        self.n_ex = 0
        self.addr = Interner()
        self.pairs = Interner()             # src id << 32 | dst id
        self.upairs = Interner()            # lower id << 32 | higher id: the pair, either way
        self.upair_of_pair = []
        self.imsi_ids = Interner(empty=True)
        self.msisdn_ids = Interner(empty=True)
        self.source_mme_id = {}             # PathSwitchRequest row -> its Source MME UE S1AP ID
        self.target_enb = {}                # HandoverRequired row -> target (PLMN, eNB ID)
        self.enb_of_addr = {}               # eNB address id -> (PLMN, eNB ID) of its S1 Setup
        self.reset_ids = {}                 # S1 Reset row -> the (MME, eNB) UE S1AP IDs it lists
        self.files = {}                     # file_id -> (first row, rows)
        self.roles = None                   # address -> its node (procedures.learn_roles)
        self._role_of = np.zeros(1024, np.int8)   # address id -> role code, while batches come
        self._surely = np.zeros(1024, np.uint8)     # ... claimed by a sure (not weak) claim
        self.done = False

    @classmethod
    def for_inputs(cls, nbytes, files=2):
        """Link columns with room for the messages of `nbytes` of inputs (captures and CHR hold
        about one message per 100 bytes; room for twice as many) in `files` files (with one,
        no copies are looked for)."""
        return cls(expected=nbytes // BYTES_PER_MESSAGE, hashes=files > 1)

    # ------------------------------------------------------------------ building
    def add_table(self, table):
        """Append one decoded EventTable batch."""
        n = table.n
        ev = Events.of_table(table)
        self._add(ev, ev.data, ev.cols["file_id"], n)

    @classmethod
    def from_events(cls, ev):
        """The link columns of a whole Events table (its rows keep their numbers)."""
        lc = cls()
        lc._add(ev, ev.data, ev.cols["file_id"].astype(np.int32), ev.n)
        return lc.finish()

    def _add(self, ev, data, file_id, n):
        if self.done:
            raise ValueError("these link columns are finished: start new ones for more batches")
        if not n:
            return
        cols, items = ev.cols, ev.items
        if self.n + n >= 2**31:
            raise ValueError("more than 2^31 messages in one linking run: split the inputs "
                             "(chrtool batch links them per shard)")
        base = self.n
        parts = self._parts
        parent = cols["parent"]
        src_id = self.addr.bytes16(np.ascontiguousarray(cols["src"], np.uint8))
        dst_id = self.addr.bytes16(np.ascontiguousarray(cols["dst"], np.uint8))
        fteids = ev.items_of("fteid")
        self._learn_roles(ev, src_id, dst_id, fteids)
        pair = self.pairs.int64(src_id.astype(np.int64) << 32 | dst_id)
        for p in self.pairs.values[len(self.upair_of_pair):]:
            s, d = p >> 32, p & 0xFFFFFFFF
            self.upair_of_pair.append(self.upairs.int64(np.array([min(s, d) << 32 | max(s, d)],
                                                                 np.int64))[0])
        imsi_id = self.imsi_ids.bytes16(np.ascontiguousarray(cols["imsi"], np.uint8))
        out = {name: parts[name].reserve(n) for name in _DENSE_OUT}
        if self.hashes:             # else the column stays unwritten: zeros when finished
            parts["hash"].reserve(n)[:] = payload_hashes(
                np.ascontiguousarray(data, np.uint8),
                np.ascontiguousarray(cols["payload_off"], np.int64),
                np.ascontiguousarray(cols["payload_len"], np.int32),
                np.ascontiguousarray(parent, np.int64))
        # one pass over the rows: the dense columns, each row's kind and flags, and an entry in
        # the exchange side table for exchange-like rows (GTPv2, Diameter, CHR)
        c = {name: np.ascontiguousarray(cols[name], dtype) for name, dtype in _DENSE_IN}
        ex_rows = link_rows(
            base, self.n_ex, KIND_OF_PROTO, c["ts_ns"], np.ascontiguousarray(file_id, np.int32),
            c["frame"], c["proto"], c["msg"], c["parent"], c["mme_ue_s1ap_id"],
            c["enb_ue_s1ap_id"], c["old_enb_ue_x2ap_id"], c["menb_ue_x2ap_id"], c["ip_version"],
            c["payload_len"], c["m_tmsi"], pair, imsi_id, *(out[name] for name in _DENSE_OUT))
        self.n_ex += len(ex_rows)
        ex_msisdn = self.msisdn_ids.bytes16(np.ascontiguousarray(cols["msisdn"][ex_rows], np.uint8))
        parts["ex_seq"].append(cols["seq"][ex_rows].astype(np.int64))
        parts["ex_e2e"].append(cols["e2e"][ex_rows].astype(np.int64))
        parts["ex_teid"].append(cols["teid"][ex_rows].astype(np.int64))
        parts["ex_msisdn"].append(ex_msisdn)
        self._items(cols, items, fteids, src_id, base)
        self._causes(cols, items, src_id, base)
        lo, hi = int(file_id.min()), int(file_id.max())
        per_file = ([(lo, n)] if lo == hi            # a batch is one file's, but for a whole table
                    else zip(*np.unique(file_id, return_counts=True)))
        for f, c in per_file:
            first, count = self.files.get(int(f), (base, 0))
            self.files[int(f)] = (first, count + int(c))
        self.n += n

    def _learn_roles(self, ev, src_id, dst_id, fteids):
        if len(self.addr) > len(self._role_of):
            self._role_of = np.concatenate([self._role_of, np.zeros(len(self.addr), np.int8)])
            self._surely = np.concatenate([self._surely, np.zeros(len(self.addr), np.uint8)])
        iface = ITEM_KINDS["fteid"].get(fteids, "interface")      # procedures.role_claims, compiled
        claims = role_rows(np.ascontiguousarray(ev.cols["proto"], np.uint8),
                           np.ascontiguousarray(ev.cols["msg"], np.int32),
                           np.ascontiguousarray(fteids["row"], np.int64),
                           np.ascontiguousarray(iface, np.int64), *ROLE_TABLES)
        claim_rows(self._role_of, self._surely, src_id, dst_id, *claims, self.addr.id(b""))

    def _items(self, cols, items, fteids, src_id, base):
        """The few IDs linking takes from items: F-TEIDs, a PathSwitchRequest's Source MME UE
        S1AP ID, a HandoverRequired's target eNB and an S1 Setup's Global eNB ID."""
        key = items["key"]
        spec = ITEM_KINDS["fteid"]
        it = fteids
        rows = it["row"].astype(np.int64)
        addr = spec.get(it, "address").astype(np.int64)
        f_addr = np.full(len(rows), -1, np.int32)
        if len(rows):
            has = addr >= 0
            as_bytes = np.zeros((int(has.sum()), 16), np.uint8)   # as the src/dst columns hold it
            as_bytes[:, :4] = addr[has].astype(">u4").view(np.uint8).reshape(-1, 4)
            f_addr[has] = self.addr.bytes16(as_bytes)
        self._parts["f_row"].append(rows + base)
        self._parts["f_addr"].append(f_addr)
        self._parts["f_teid"].append(spec.get(it, "teid").astype(np.int64))
        proto, msg = cols["proto"], cols["msg"]
        s1 = proto == PROTO_S1AP
        ids = np.flatnonzero(key == ITEM_KINDS["s1ap_ids"].code)
        at = items["row"].take(ids)
        ids = ids[s1.take(at) & ((msg.take(at) == S1_PATH_SWITCH) | (msg.take(at) == S1_RESET))]
        if len(ids):
            it, spec = {k: v.take(ids) for k, v in items.items()}, ITEM_KINDS["s1ap_ids"]
            for r, m, e in zip(it["row"].tolist(), spec.get(it, "mme_ue_s1ap_id").tolist(),
                               spec.get(it, "enb_ue_s1ap_id").tolist()):
                if m >= 0 and msg[r] == S1_PATH_SWITCH:
                    self.source_mme_id.setdefault(r + base, m)
                elif msg[r] == S1_RESET:
                    self.reset_ids.setdefault(r + base, set()).add((m, e))
        nodes = np.flatnonzero(key == ITEM_KINDS["node"].code)
        if len(nodes):
            it, spec = {k: v.take(nodes) for k, v in items.items()}, ITEM_KINDS["node"]
            for r, kind, plmn, node_id in zip(it["row"].tolist(), spec.get(it, "kind").tolist(),
                                              spec.get(it, "plmn").tolist(),
                                              spec.get(it, "node_id").tolist()):
                if not s1[r] or kind == NODE_MME:
                    continue
                if msg[r] == S1_HANDOVER_REQUIRED:
                    self.target_enb.setdefault(r + base, (plmn, node_id))
                elif msg[r] == S1_SETUP:
                    self.enb_of_addr[int(src_id[r])] = (plmn, node_id)

    def _causes(self, cols, items, src_id, base):
        """The failing causes of the batch: each row's own and its cause items (a GTPv2 cause
        below 64 and a Diameter 1xxx/2xxx say all went well and are left out)."""
        spec = ITEM_KINDS["cause"]
        at = np.flatnonzero(items["key"] == spec.code)
        it = {f.slot: items[f.slot].take(at) for f in spec.fields}
        it["row"] = items["row"].take(at)
        own = np.flatnonzero(cols["cause_proto"])
        rows = np.concatenate([own, it["row"].astype(np.int64)])
        code = np.concatenate([cols["cause_proto"].take(own), spec.get(it, "proto")]).astype(np.int64)
        group = np.concatenate([cols["cause_group"].take(own), spec.get(it, "group")])
        value = np.concatenate([cols["cause_value"].take(own),
                                spec.get(it, "value")]).astype(np.int64)
        fine = ((code == GTP_CODE) & (value < 64)) | (np.isin(code, DIA_CODES) & (value // 1000 <= 2))
        if fine.any():
            rows, code, group, value = rows[~fine], code[~fine], group[~fine], value[~fine]
        self._parts["c_row"].append(rows + base)
        self._parts["c_key"].append(cause_key(code, group, value))
        self._parts["c_eci"].append(cols["eci"].take(rows).astype(np.int64))
        self._parts["c_src"].append(src_id.take(rows).astype(np.int32))
        self._parts["c_to_mme"].append(to_mme(cols, rows))

    def take_causes(self):
        """The cause columns (finished), handed over and dropped from these link columns."""
        out = {name: getattr(self, name) for name, _ in CAUSES}
        for name, _ in CAUSES:
            setattr(self, name, None)
        rows = out["c_row"]
        out["c_ts"] = self.ts[rows]
        out["c_proto"], out["c_msg"] = self.proto[rows], self.msg[rows]
        out["c_file"], out["c_frame"] = self.file_id[rows], self.frame[rows]
        out["c_dst"] = self.pair_dst[self.pair[rows]]
        out["addrs"] = self.addrs
        out["reset_ids"] = self.reset_ids
        return out

    def finish(self):
        """Join the batches into columns (one column at a time, so memory peaks at one column's
        copy, not the table's)."""
        for name, _ in DENSE + SPARSE + CAUSES:
            setattr(self, name, self._parts.pop(name).finish())
            _give_back_freed_memory()
        if not self.hashes:         # no payload hashed (0: not hashed); pages never written
            self.hash = np.zeros(self.n, np.uint64)
        order = np.argsort(self.f_row, kind="stable")   # items come per decoder, not per row
        self.f_row, self.f_addr, self.f_teid = (self.f_row[order], self.f_addr[order],
                                                self.f_teid[order])
        ids = np.array(self.pairs.values, np.int64).reshape(-1)
        self.pair_src = (ids >> 32).astype(np.int32)
        self.pair_dst = (ids & 0xFFFFFFFF).astype(np.int32)
        self.upair = np.array(self.upair_of_pair, np.int32)
        self.addrs = self.addr.values
        self.roles = {self.addrs[i]: ROLE_NAMES[r] for i, r in
                      enumerate(self._role_of[:len(self.addrs)].tolist()) if r}
        # what a later file's weak claim may not override when files are merged
        self.sure_roles = {self.addrs[i] for i in np.flatnonzero(self._surely[:len(self.addrs)])
                           if self.addrs[i] in self.roles}
        self.imsis = [v.decode("ascii", "replace") for v in self.imsi_ids.values]
        self.msisdns = [v.decode("ascii", "replace") for v in self.msisdn_ids.values]
        self.imsi_ids = self.msisdn_ids = self.pairs = self.upairs = None   # no more batches
        self.done = True
        return self

    def __len__(self):
        return self.n

    @property
    def nbytes(self):
        """The columns' bytes (an unhashed run's hash column, zeros never written, aside)."""
        return sum(getattr(self, name).nbytes for name, _ in DENSE + SPARSE
                   if getattr(self, name) is not None
                   and (name != "hash" or getattr(self, "hashes", True)))

    # ------------------------------------------------------------------ per-file parts
    # A batch job builds the columns of each file in its own process (chrtool/batch), saves
    # them, and joins them before linking: `save`, `load` and `merge` carry everything linking
    # reads, with the interned ids (addresses, pairs, IMSIs, MSISDNs) renumbered on the join.
    ARRAYS = tuple(name for name, _ in DENSE + SPARSE + CAUSES) + ("pair_src", "pair_dst", "upair")
    FORMAT = 2          # of what save() writes: a batch job's saved columns of another are redone

    def save(self, path):
        """Write finished columns to `path` (a name or a binary file object; .npz)."""
        import pickle
        if not self.done:
            raise ValueError("finish() the link columns before saving them")
        meta = {k: getattr(self, k) for k in ("n", "n_ex", "addrs", "roles", "sure_roles",
                                               "imsis", "msisdns",
                                               "source_mme_id", "target_enb", "enb_of_addr",
                                               "reset_ids", "files")}
        arrays = {k: getattr(self, k) for k in self.ARRAYS}
        meta = np.frombuffer(pickle.dumps(meta, protocol=5), np.uint8)
        if hasattr(path, "write"):
            np.savez(path, meta=meta, **arrays)
        else:
            with open(path, "wb") as fh:
                np.savez(fh, meta=meta, **arrays)

    @classmethod
    def load(cls, path):
        import pickle
        lc = cls.__new__(cls)
        with np.load(path, allow_pickle=False) as z:
            for k in cls.ARRAYS:
                setattr(lc, k, z[k])
            meta = pickle.loads(z["meta"].tobytes())
        lc.__dict__.update(meta)
        lc.done, lc._parts = True, None
        return lc

    @classmethod
    def merge(cls, parts):
        """One run's columns from the finished columns of its files, in file order (each part's
        rows follow the previous part's, as one Run would have numbered them)."""
        out = cls.__new__(cls)
        out.done, out._parts = True, None
        addr, pairs, upairs = Interner(), Interner(), Interner()
        imsis, msisdns = Interner(empty=True), Interner(empty=True)
        cols = {k: [] for k in cls.ARRAYS if k not in ("pair_src", "pair_dst", "upair")}
        out.roles, out.source_mme_id, out.target_enb, out.enb_of_addr = {}, {}, {}, {}
        out.sure_roles = set()
        out.reset_ids, out.files = {}, {}
        base = base_ex = 0
        for p in parts:
            a_map = addr.bytes16(_as16(p.addrs)) if len(p.addrs) else np.zeros(0, np.int32)
            pair_ids = pairs.int64((a_map[p.pair_src].astype(np.int64) << 32)
                                   | a_map[p.pair_dst]) if len(p.pair_src) else np.zeros(0, np.int32)
            imsi_map = imsis.bytes16(_as16([v.encode() for v in p.imsis]))
            msisdn_map = msisdns.bytes16(_as16([v.encode() for v in p.msisdns]))
            shifted = {"parent": base, "f_row": base, "c_row": base}
            for k in cols:
                v = getattr(p, k)
                if k in shifted:
                    v = np.where(v >= 0, v + base, v).astype(v.dtype)
                elif k == "ex":
                    v = np.where(v >= 0, v + base_ex, v).astype(v.dtype)
                elif k == "pair":
                    v = pair_ids[v]
                elif k in ("f_addr", "c_src"):
                    v = np.where(v >= 0, a_map[np.maximum(v, 0)], v).astype(v.dtype)
                elif k == "imsi":
                    v = imsi_map[v]
                elif k == "ex_msisdn":
                    v = msisdn_map[v]
                cols[k].append(v)
            # as one run claims them: a sure claim wins over what came before, a weak one only
            # names an address nothing named yet
            for a, role in p.roles.items():
                if a in p.sure_roles or a not in out.roles:
                    out.roles[a] = role
            out.sure_roles |= p.sure_roles
            out.source_mme_id.update({r + base: m for r, m in p.source_mme_id.items()})
            out.target_enb.update({r + base: t for r, t in p.target_enb.items()})
            out.reset_ids.update({r + base: ids for r, ids in p.reset_ids.items()})
            out.enb_of_addr.update({int(a_map[a]): e for a, e in p.enb_of_addr.items()})
            for f, (first, count) in p.files.items():
                out.files[f] = (first + base, count)
            base += p.n
            base_ex += p.n_ex
        for k, v in cols.items():
            dtype = dict(DENSE + SPARSE + CAUSES)[k]
            setattr(out, k, np.concatenate(v).astype(dtype, copy=False) if v else np.zeros(0, dtype))
        ids = np.array(pairs.values, np.int64).reshape(-1)
        out.pair_src = (ids >> 32).astype(np.int32)
        out.pair_dst = (ids & 0xFFFFFFFF).astype(np.int32)
        out.upair = upairs.int64(np.minimum(ids >> 32, ids & 0xFFFFFFFF) << 32
                                 | np.maximum(ids >> 32, ids & 0xFFFFFFFF)) if len(ids) \
            else np.zeros(0, np.int32)
        out.n, out.n_ex = base, base_ex
        out.addrs = addr.values
        out.imsis = [v.decode("ascii", "replace") for v in imsis.values]
        out.msisdns = [v.decode("ascii", "replace") for v in msisdns.values]
        return out


def _as16(values):
    """Byte strings (up to 16 bytes) as the (n, 16) rows the interners read."""
    out = np.zeros((len(values), 16), np.uint8)
    for i, v in enumerate(values):
        out[i, :len(v)] = np.frombuffer(v, np.uint8)
    return out
