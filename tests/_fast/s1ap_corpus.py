"""Reference corpora and oracles for the S1AP/X2AP decoders (test code, not shipped).

- `random_value`: a valid random value for any pycrate ASN.1 type (tables of ProtocolIE fields
  included), so pycrate can encode a message for every procedure code of a protocol;
- `corpus(proto, seed)`: one or more encoded PDUs per (PDU type, procedure code) of the protocol,
  plus one ErrorIndication per cause value (every group, root and extension values) and one
  E-RAB list per cause value as nested per-E-RAB causes;
- `pycrate_facts` / `chrtool_facts` / `tshark_facts`: the same facts about a PDU from pycrate, our
  decoder and tshark, in one canonical form the tests compare;
- `capture_pdus`: the S1AP/X2AP PDUs of a capture with their frame numbers (through tshark);
- `write_pcap`: wrap PDUs in IPv4/SCTP for tshark.
"""
from __future__ import annotations

import json
import random
import struct
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np

from chrtool._fast import events
from chrtool.decoders import s1ap_tables, x2ap_tables
from chrtool.table.schema import ITEM_KINDS
from oracle import tshark_path

ROOT = Path(__file__).resolve().parents[2]
CAPTURE_DIRS = [ROOT / "tests" / "data" / "captures", ROOT.parent / "shared" / "captures"]

PROTO = {"s1ap": events.PROTO["S1AP"], "x2ap": events.PROTO["X2AP"]}
FTEID = ITEM_KINDS["fteid"]
TABLES = {"s1ap": s1ap_tables, "x2ap": x2ap_tables}
PPID = {"s1ap": 18, "x2ap": 27}
PORT = {"s1ap": 36412, "x2ap": 36422}
PDU_KINDS = ("initiatingMessage", "successfulOutcome", "unsuccessfulOutcome")
CLASS_KEYS = ("InitiatingMessage", "SuccessfulOutcome", "UnsuccessfulOutcome")
CRIT = {"reject": 0, "ignore": 1, "notify": 2}


def find_capture(rel):
    for d in CAPTURE_DIRS:
        if (d / rel).exists():
            return d / rel
    return None


# --- pycrate side --------------------------------------------------------------------------------
def asn1(proto):
    if proto == "s1ap":
        from pycrate_asn1dir import S1AP
        return S1AP.S1AP_PDU_Descriptions.S1AP_PDU
    from pycrate_asn1dir import X2AP
    return X2AP.X2AP_PDU_Descriptions.X2AP_PDU


def procedures(proto):
    """[(pdu_type, procedure code, criticality, message type object)] for every message."""
    pdu = asn1(proto)
    tab = pdu._cont["initiatingMessage"]._cont["value"]._const_tab._val
    out = []
    for row in (tab.root or []) + (tab.ext or []):
        for kind, key in enumerate(CLASS_KEYS):
            if key in row:
                out.append((kind, row["procedureCode"], row["criticality"], row[key]))
    return sorted(out, key=lambda x: (x[1], x[0]))


def _tname(obj):
    ref = getattr(obj, "_typeref", None)
    if ref is not None and getattr(ref, "called", None):
        return ref.called[1]
    return obj.TYPE


PLMN_TYPES = {"PLMNidentity", "PLMN-Identity", "TBCD-STRING"}
PLMNS = [bytes.fromhex(h) for h in ("00f110", "64f000", "13f031", "214365", "99f999")]


class Gen:
    """Random valid values for pycrate ASN.1 objects."""

    def __init__(self, rnd, p_opt=0.5, max_depth=14, p_ext=0.1):
        self.rnd, self.p_opt, self.max_depth, self.p_ext = rnd, p_opt, max_depth, p_ext

    def value(self, obj, depth=0):
        t = obj.TYPE
        r = self.rnd
        if t == "INTEGER":
            c = obj._const_val
            if c is not None and c.root:
                rng = r.choice(c.root)
                lb, ub = (rng.lb, rng.ub) if hasattr(rng, "lb") else (rng, rng)
                if c.ext is not None and r.random() < self.p_ext and ub is not None:
                    return ub + 1 + r.randrange(3)
                lb = lb if lb is not None else -1000
                ub = ub if ub is not None else 1000
                pick = r.random()
                return lb if pick < .25 else ub if pick < .5 else r.randint(lb, ub)
            return r.randint(0, 1000)
        if t == "ENUMERATED":
            names = list(obj._root) + list(obj._ext or [])
            return r.choice(names)
        if t == "BOOLEAN":
            return r.random() < .5
        if t == "NULL":
            return 0
        if t == "BIT STRING":
            n = self._size(obj, 1, 40)
            return (r.getrandbits(n) if n else 0, n)
        if t == "OCTET STRING":
            if _tname(obj) in PLMN_TYPES:
                return r.choice(PLMNS)
            n = self._size(obj, 1, 12)
            return bytes(r.getrandbits(8) for _ in range(n))
        if t in ("PrintableString", "VisibleString", "IA5String", "UTF8String", "NumericString",
                 "BMPString"):
            n = self._size(obj, 1, 10)
            alpha = "0123456789" if t == "NumericString" else "abcXYZ019 "
            return "".join(r.choice(alpha) for _ in range(n))
        if t == "OBJECT IDENTIFIER":
            return (1, 2, r.randint(0, 200))
        if t == "SEQUENCE":
            return self._seq(obj, depth)
        if t == "SEQUENCE OF":
            lo, hi = self._bounds(obj, 1, 2)
            n = lo if depth > self.max_depth else r.randint(lo, max(lo, min(hi, lo + 1)))
            return [self.value(obj._cont, depth + 1) for _ in range(n)]
        if t == "CHOICE":
            names = list(obj._root)
            if obj._ext and r.random() < .3:
                names += list(obj._ext)
            r.shuffle(names)
            last = None
            for name in names:
                try:
                    return (name, self.value(obj._cont[name], depth + 1))
                except GenError as err:
                    last = err
            raise last or GenError("empty choice")
        if t == "OPEN_TYPE":
            raise GenError("open type without table")
        raise GenError(f"type {t}")

    def _bounds(self, obj, dlo, dhi):
        c = obj._const_sz
        if c is None or not c.root:
            return dlo, dhi
        rng = c.root[0]
        lb = rng.lb if hasattr(rng, "lb") else rng
        ub = rng.ub if hasattr(rng, "ub") else rng
        return lb, ub if ub is not None else lb + dhi

    def _size(self, obj, dlo, dhi):
        lo, hi = self._bounds(obj, dlo, dhi)
        return self.rnd.randint(lo, min(hi, lo + dhi))

    def _seq(self, obj, depth):
        r = self.rnd
        out = {}
        comps = list(obj._root) + ([c for c in (obj._ext or []) if isinstance(c, str)]
                                   if r.random() < .2 else [])
        # table-constrained fields ({id, criticality, value}): pick one row of the table
        tab_comp = None
        for name in comps:
            comp = obj._cont[name]
            if comp.TYPE == "OPEN_TYPE" and comp._const_tab is not None:
                tab_comp = name
        if tab_comp is not None:
            comp = obj._cont[tab_comp]
            s = comp._const_tab._val
            rows = (s.root or []) + (s.ext or [])
            if not rows:
                raise GenError("empty table")
            rows = rows[:]
            r.shuffle(rows)
            id_key = comp._const_tab_at[1]
            val_key = comp._const_tab_id
            for row in rows:
                try:
                    val = self.value(row[val_key], depth + 1)
                except GenError:
                    continue
                out[id_key] = row[id_key]
                if "criticality" in obj._cont:
                    out["criticality"] = row.get("criticality", "ignore")
                out[tab_comp] = (_tname(row[val_key]), val)
                return out
            raise GenError("no row encodable")
        for name in comps:
            comp = obj._cont[name]
            optional = name in obj._root_opt or name not in obj._root
            if optional and (depth > self.max_depth or r.random() >= self.p_opt):
                continue
            if comp.TYPE == "SEQUENCE OF" and comp._cont.TYPE == "SEQUENCE" and \
                    "value" in comp._cont._cont and comp._cont._cont["value"]._const_tab is not None \
                    and "id" in comp._cont._cont:
                try:
                    out[name] = self._container(comp, depth)
                except GenError:
                    if not optional:
                        raise
                continue
            try:
                out[name] = self.value(comp, depth + 1)
            except GenError:
                if not optional:
                    raise
        return out

    def _container(self, comp, depth):
        """ProtocolIE-Container: mandatory IEs, optional ones at random, in table order."""
        field = comp._cont
        vcomp = field._cont["value"]
        s = vcomp._const_tab._val
        rows = (s.root or []) + (s.ext or [])
        out = []
        for row in rows:
            presence = row.get("presence", "optional")
            if presence != "mandatory" and (depth > self.max_depth or self.rnd.random() >= self.p_opt):
                continue
            try:
                val = self.value(row["Value"], depth + 1)
            except GenError:
                if presence == "mandatory":
                    raise
                continue
            out.append({"id": row["id"], "criticality": row.get("criticality", "ignore"),
                        "value": (_tname(row["Value"]), val)})
        lo, _ = self._bounds(comp, 0, 0)
        if len(out) < lo:
            raise GenError("empty container")
        return out


class GenError(Exception):
    pass


def encode_message(proto, kind, code, crit, msgtype, gen, tries=30):
    pdu = asn1(proto)
    for _ in range(tries):
        try:
            body = gen.value(msgtype)
            val = (PDU_KINDS[kind], {"procedureCode": code, "criticality": crit,
                                     "value": (_tname(msgtype), body)})
            pdu.set_val(val)
            return pdu.to_aper()
        except GenError:
            continue
        except Exception:       # noqa: BLE001 - pycrate refuses some random values; draw again
            continue
    return None


def cause_pdus(proto):
    """One ErrorIndication per (group, value) and one per-E-RAB-cause list message per value."""
    tables = TABLES[proto]
    pdu = asn1(proto)
    out = []
    for group in tables.CAUSE_GROUPS:
        for name in tables.CAUSES[group]:
            cause = (group, name)
            if proto == "s1ap":
                ies = [{"id": 0, "criticality": "ignore", "value": ("MME-UE-S1AP-ID", 7)},
                       {"id": 2, "criticality": "ignore", "value": ("Cause", cause)}]
                pdu.set_val(("initiatingMessage", {"procedureCode": 15, "criticality": "ignore",
                                                   "value": ("ErrorIndication", {"protocolIEs": ies})}))
                out.append(pdu.to_aper())
                item = {"id": 35, "criticality": "ignore",
                        "value": ("E-RABItem", {"e-RAB-ID": 5, "cause": cause})}
                ies = [{"id": 0, "criticality": "ignore", "value": ("MME-UE-S1AP-ID", 7)},
                       {"id": 8, "criticality": "ignore", "value": ("ENB-UE-S1AP-ID", 9)},
                       {"id": 29, "criticality": "ignore", "value": ("E-RABList", [item])}]
                pdu.set_val(("successfulOutcome", {"procedureCode": 5, "criticality": "reject",
                                                   "value": ("E-RABSetupResponse", {"protocolIEs": ies})}))
                out.append(pdu.to_aper())
            else:
                ies = [{"id": 10, "criticality": "ignore", "value": ("UE-X2AP-ID", 7)},
                       {"id": 5, "criticality": "ignore", "value": ("Cause", cause)}]
                pdu.set_val(("initiatingMessage", {"procedureCode": 3, "criticality": "ignore",
                                                   "value": ("ErrorIndication", {"protocolIEs": ies})}))
                out.append(pdu.to_aper())
                item = {"id": 2, "criticality": "ignore",
                        "value": ("E-RAB-Item", {"e-RAB-ID": 5, "cause": cause})}
                ies = [{"id": 111, "criticality": "reject", "value": ("UE-X2AP-ID", 1)},
                       {"id": 207, "criticality": "reject", "value": ("SgNB-UE-X2AP-ID", 2)},
                       {"id": 3, "criticality": "ignore", "value": ("E-RAB-List", [item])},
                       {"id": 317, "criticality": "reject", "value": ("SplitSRBs", "srb1")}]
                try:
                    pdu.set_val(("successfulOutcome", {
                        "procedureCode": 27, "criticality": "reject",
                        "value": ("SgNBAdditionRequestAcknowledge", {"protocolIEs": ies[:3]})}))
                    out.append(pdu.to_aper())
                except Exception:   # noqa: BLE001
                    pass
    return out


def corpus(proto, seed=1, per_message=3, p_opt=0.5):
    """Encoded PDUs covering every (pdu type, procedure code) of `proto` and every cause."""
    rnd = random.Random(seed)
    gen = Gen(rnd, p_opt=p_opt)
    out, missing = [], []
    for kind, code, crit, msgtype in procedures(proto):
        got = 0
        for i in range(per_message):
            gen.p_opt = (0.0, 1.0, p_opt)[i % 3] if per_message >= 3 else p_opt
            data = encode_message(proto, kind, code, crit, msgtype, gen)
            if data is not None:
                out.append(data)
                got += 1
        if not got:
            missing.append((kind, code))
    out.extend(cause_pdus(proto))
    return out, missing


# --- facts -------------------------------------------------------------------------------------
def _walk(node, visit, path=()):
    visit(node, path)
    if isinstance(node, dict):
        for k, v in node.items():
            _walk(v, visit, path + (k,))
    elif isinstance(node, (list,)):
        for v in node:
            _walk(v, visit, path)
    elif isinstance(node, tuple) and len(node) == 2 and isinstance(node[0], str):
        _walk(node[1], visit, path + (node[0],))


def pycrate_facts(proto, data):
    """The facts our decoder claims, computed from pycrate's decoding of `data`."""
    pdu = asn1(proto)
    pdu.from_aper(data)
    kind, msg = pdu.get_val()
    f = {"msg": (PDU_KINDS.index(kind), msg["procedureCode"]), "crit": CRIT[msg["criticality"]]}
    body = msg["value"][1]
    ies = body.get("protocolIEs", []) if isinstance(body, dict) else []
    f["ies"] = [(ie["id"], CRIT[ie["criticality"]]) for ie in ies]
    causes = []
    erabs = []
    fteids = []
    for ie in ies:
        tname, val = ie["value"]
        if tname == "Cause" and ie["id"] == (2 if proto == "s1ap" else 5):
            f["cause"] = _cause(proto, val)
        # per-item causes of the E-RAB lists: items whose first fields are e-RAB-ID then cause
        def visit(node, path, list_id=ie["id"]):
            if isinstance(node, dict) and "e-RAB-ID" in node and isinstance(node["e-RAB-ID"], int):
                if "cause" in node:
                    causes.append((node["e-RAB-ID"],) + _cause(proto, node["cause"]))
                # the item's own tunnel (not the optional data-forwarding ones)
                teid = node.get("gTP-TEID", node.get("dL-GTP-TEID"))
                if proto == "s1ap" and teid is not None:
                    fteids.append((node["e-RAB-ID"], int.from_bytes(teid, "big")))
                erabs.append((node["e-RAB-ID"], list_id))
        def find_items(node, path):
            # E-RAB items are ProtocolIE-SingleContainer values inside the IE
            # (not inside extension containers, which chrtool leaves as spans)
            if "iE-Extensions" in path or "protocolExtensions" in path:
                return
            if isinstance(node, dict) and "value" in node and "id" in node and \
                    isinstance(node["value"], tuple):
                inner = node["value"][1]
                if isinstance(inner, dict) and "e-RAB-ID" in inner:
                    visit(inner, path)
        if proto == "s1ap":
            _walk(val, find_items)
        elif isinstance(val, list):          # X2AP: the E-RAB lists that are IEs themselves
            for item in val:
                find_items(item, ())
        if proto == "x2ap" and ie["id"] in X2AP_UE_CONTEXTS and isinstance(val, dict):
            # E-RAB lists nested in UE-ContextInformation (14) / -SgNBModReq (215)
            for key in X2AP_UE_CONTEXTS[ie["id"]]:
                for item in val.get(key, []):
                    erabs.append((item["value"][1]["e-RAB-ID"], ie["id"]))
        if proto == "s1ap" and ie["id"] == 104 and any(
                i["id"] == 1 and i["value"][1] == "intralte" for i in ies):
            from pycrate_asn1dir import S1AP
            inner = S1AP.S1AP_IEs.SourceeNB_ToTargeteNB_TransparentContainer
            try:
                inner.from_aper(val)
            except Exception:  # noqa: BLE001 - random octets: nothing inside
                continue
            for item in inner.get_val().get("e-RABInformationList", []):
                erabs.append((item["value"][1]["e-RAB-ID"], 104))
    f["erab_causes"] = sorted(causes)
    f["erabs"] = sorted(erabs)
    if proto == "s1ap":
        f["fteids"] = sorted(fteids)          # (E-RAB id, GTP-TEID) per E-RAB item
    if proto == "x2ap":
        f["served_cells"] = served_cells(ies)
    return f, ies


X2AP_UE_CONTEXTS = {14: ("e-RABs-ToBeSetup-List",),
                    215: ("e-RABs-ToBeAdded", "e-RABs-ToBeModified", "e-RABs-ToBeReleased")}
# X2AP served-cell IEs: IE id -> (cell kind (events K_SERVED_ECGI 4 / K_SERVED_NR_CGI 5),
# key of the cell information in a list item or None when the item is the CGI itself)
X2AP_SERVED = {20: (4, "servedCellInfo"), 25: (4, "servedCellInfo"), 26: (4, "servedCellInfo"),
               27: (4, None), 250: (4, "servedEUTRACellInfo"), 259: (4, "servedEUTRACellInfo"),
               260: (4, None), 253: (5, "servedNRCellInfo"), 261: (5, "servedNRCellInformation"),
               262: (5, None)}


def all_ies(ies):
    """The IEs of a container and of the containers nested in its IEs (EN-DC node types)."""
    for ie in ies:
        yield ie
        val = ie["value"][1]
        if isinstance(val, tuple) and isinstance(val[1], list) and val[1] and \
                isinstance(val[1][0], dict) and {"id", "criticality", "value"} <= set(val[1][0]):
            yield from all_ies(val[1])


def _cgi(v):
    key = "eUTRANcellIdentifier" if "eUTRANcellIdentifier" in v else "nRcellIdentifier"
    return int.from_bytes(v["pLMN-Identity"], "big"), v[key][0]


def served_cells(ies):
    """[(kind, PLMN, cell id, IE id)] of every served cell (X2 Setup, eNB Configuration Update,
    EN-DC X2 Setup and Configuration Update lists), sorted."""
    out = []
    for ie in all_ies(ies):
        if ie["id"] not in X2AP_SERVED:
            continue
        kind, key = X2AP_SERVED[ie["id"]]
        for item in ie["value"][1]:
            cell = item if key is None else item[key]
            cell = cell if key is None else cell["cellId" if kind == 4 else "nrCellID"]
            out.append((kind,) + _cgi(cell) + (ie["id"],))
    return sorted(out)


def _cause(proto, val):
    group, name = val
    tables = TABLES[proto]
    return (tables.CAUSE_GROUPS.index(group), tables.CAUSES[group].index(name))


def decode_all(proto, pdus):
    """Our decoder over a list of PDUs (one row each, frame = index + 1) -> EventTable."""
    if proto == "s1ap":
        from chrtool._fast import s1ap as mod
    else:
        from chrtool._fast import x2ap as mod
    t = events.EventTable(capacity=max(16, len(pdus)), data_capacity=sum(map(len, pdus)) + 1024)
    for i, data in enumerate(pdus):
        off = t.add_python_data(np.frombuffer(data, dtype=np.uint8).copy()) if data else t.n_data
        t.add_python_row(frame=i + 1, proto=PROTO[proto], payload_off=off, payload_len=len(data))
    mod.decode(t)
    return t


def chrtool_facts(t, proto):
    """Per row (PDU rows only, in order): the same fact dict as pycrate_facts."""
    cols = {k: t.column(k) for k in t.cols}
    it = t.items()
    by_row = {}
    for i in range(t.n_items):
        by_row.setdefault(int(it["row"][i]), []).append(
            (int(it["key"][i]), int(it["a"][i]), int(it["b"][i]), int(it["c"][i]), int(it["d"][i])))
    K = events.ITEM_KEYS
    out = []
    for r in range(t.n):
        if cols["proto"][r] != PROTO[proto]:
            continue
        items = by_row.get(r, [])
        msg = int(cols["msg"][r])
        f = {"msg": (msg >> 8, msg & 0xFF)}
        spans = [(b, b + c) for k, a, b, c, d in items if k == K["ie"] and a >= 0]
        # top-level IEs: those not inside another IE's value (EN-DC node-type containers)
        ies = [(a, d) for k, a, b, c, d in items if k == K["ie"] and a >= 0 and
               not any(lo <= b and b + c <= hi and (lo, hi) != (b, b + c) for lo, hi in spans)]
        top = [d for k, a, b, c, d in items if k == K["ie"] and a == -1]
        f["crit"] = top[0] if top else None
        f["ies"] = ies
        if cols["cause_proto"][r] and any(a == (2 if proto == "s1ap" else 5) for a, _ in ies):
            f["cause"] = (int(cols["cause_group"][r]), int(cols["cause_value"][r]))
        f["erab_causes"] = sorted((d, b, c) for k, a, b, c, d in items if k == K["cause"] and d >= 0)
        f["erabs"] = sorted((a, b) for k, a, b, c, d in items if k == K["erab"])
        fteids = [FTEID.unpack(a, b, c, d) for k, a, b, c, d in items if k == K["fteid"]]
        f["fteids"] = sorted((x.ebi, x.teid) for x in fteids)
        f["served_cells"] = sorted((a, b, c, d) for k, a, b, c, d in items
                                   if k == K["cell"] and a in (4, 5))
        f["flags"] = int(cols["flags"][r])
        f["row"] = r
        f["items"] = items
        out.append(f)
    return out


def fuzz_check(proto, blobs, t, pycrate_max=4096):
    """What the decoder says about arbitrary bytes (random or mutated PDUs), checked wherever the
    answer is known, for the fuzz tests. `t` is decode_all(proto, blobs). Returns (problems, how
    many blobs pycrate confirmed field by field).

    - a row the decoder flags neither malformed nor unknown carries the PDU kind, procedure code
      and criticality that the first three APER octets state (CHOICE index, code, ENUMERATED);
    - a message the decoder calls unknown is not one pycrate decodes as a known message;
    - where pycrate decodes the bytes to a known message whose IEs it all knows and re-encodes
      them to the same bytes (so there is one reading), the decoder agrees on the message, its
      criticality, the top-level IEs (ids, criticalities) and the message's cause.
    Blobs longer than `pycrate_max` bytes get the first check only (pycrate is slow on them).
    """
    malformed, unknown = events.FLAGS["malformed"], events.FLAGS["unknown_msg"]
    got = chrtool_facts(t, proto)
    assert len(got) == len(blobs)
    problems, confirmed = [], 0
    for data, g in zip(blobs, got):
        if g["flags"] & malformed:
            continue
        known = canonical = False
        if len(data) <= pycrate_max:
            pdu = asn1(proto)
            try:
                pdu.from_aper(data)
                val = pdu.get_val()
                known = isinstance(val[1], dict) and isinstance(val[1]["value"][1], dict)
                canonical = known and pdu.to_aper() == data and "'_unk_" not in repr(val)
            except Exception:  # noqa: BLE001 - pycrate cannot read it: nothing to compare
                known = canonical = False
        if g["flags"] & unknown:
            if known:
                problems.append(("unknown to us, known to pycrate", data.hex()))
            continue
        if len(data) < 3 or g["msg"] != ((data[0] >> 5) & 3, data[1]) or g["crit"] != data[2] >> 6:
            problems.append(("header", g["msg"], g["crit"], data.hex()))
        if not canonical:
            continue
        try:
            exp, _ = pycrate_facts(proto, data)
        except ValueError:       # a cause value pycrate only knows as an unnamed extension
            continue
        confirmed += 1
        for key in ("msg", "crit", "ies", "cause"):
            if exp.get(key) != g.get(key):
                problems.append((key, exp.get(key), g.get(key), data.hex()))
    return problems, confirmed


def mutations(seeds, n, seed):
    """n mutated copies of the seed PDUs: bit flips, length-octet values, spliced bytes."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        src = bytearray(rnd.choice(seeds))
        kind = rnd.choice(("flip", "length", "splice"))
        if kind == "flip":
            for _ in range(rnd.randint(1, 8)):
                i = rnd.randrange(len(src))
                src[i] ^= 1 << rnd.randrange(8)
        elif kind == "length":
            src[rnd.randrange(len(src))] = rnd.choice([0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF])
        else:
            i = rnd.randint(0, len(src))
            src[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 16)))
        out.append(bytes(src))
    return out


# --- captures through tshark -------------------------------------------------------------------
def capture_pdus(path, proto):
    """[(frame number, PDU bytes)] for every S1AP/X2AP PDU tshark sees in `path`."""
    out = subprocess.run([tshark_path(), "-n", "-r", str(path), "-Y", proto, "-T", "json",
                          "-x", "-j", "frame"], capture_output=True, text=True, check=True).stdout
    pdus = []

    def hook(pairs):
        return pairs

    for pkt in json.loads(out, object_pairs_hook=hook):
        layers = dict(dict(pkt)["_source"])["layers"]
        frame = None
        raws = []
        for k, v in layers:
            if k == "frame":
                frame = int(dict(v)["frame.number"])
            if k == proto + "_raw":
                if v and isinstance(v[0], list):
                    raws.extend(x[0] for x in v)
                else:
                    raws.append(v[0])
        for raw in raws:
            pdus.append((frame, bytes.fromhex(raw)))
    return pdus


# inner layers tshark would dissect in the containers of a generated (random) corpus
INNER = ["--disable-protocol", "nas-eps", "--disable-protocol", "lte_rrc",
         "--disable-protocol", "nr-rrc", "--disable-protocol", "lppa",
         "--disable-protocol", "ranap", "--disable-protocol", "bssgp", "--disable-protocol", "gsm_a_dtap",
         "-o", "s1ap.dissect_container:FALSE"]


def tshark_fields(path, fields, proto, extra=()):
    """{frame: {field: [values]}} for frames carrying `proto`."""
    cmd = [tshark_path(), "-n", "-r", str(path), *extra, "-Y", proto, "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.number"]
    for fld in fields:
        cmd += ["-e", fld]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        parts = line.split("\t")
        res[int(parts[0])] = {fld: [x for x in (parts[i + 1].split("|") if i + 1 < len(parts) else [])
                                    if x != ""] for i, fld in enumerate(fields)}
    return res


def write_pcap(path, pdus, proto):
    """Classic pcap, LINKTYPE_IPV4 (228), one SCTP DATA chunk per packet (checksum left 0)."""
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 228))
        for i, data in enumerate(pdus):
            pad = (-len(data)) % 4
            chunk = struct.pack("!BBHIHHI", 0, 3, 16 + len(data), i + 1, 0, i & 0xFFFF, PPID[proto])
            chunk += data + b"\0" * pad
            sctp = struct.pack("!HHII", PORT[proto], PORT[proto], 1, 0) + chunk
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(sctp), i & 0xFFFF, 0, 64, 132, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + sctp
            fh.write(struct.pack("<IIII", 1_700_000_000 + i, 0, len(ip), len(ip)) + ip)
