"""S1 Resets that cut a subscriber's connection.

A Reset is not a message of the subscriber: it is sent on the S1 association between an eNB and
an MME and names the UE-associated connections it releases (all of them when it lists none).
Linking records which open connections each Reset named (`Sessions.resets`, from the IDs'
owners at that moment, chrtool/_fast/link.pyx); a Reset cuts the subscriber's connection when
one of them is the subscriber's. The Service or TAU Reject #9/#10 that follows (the MME no longer holds
the UE's context, DIAGNOSIS.md 1) is a consequence of it, not a fault of its own.

The Resets come from the cause columns linking kept for every message (cells.CauseIndex), so the
subscriber's own diagnosis still holds only the subscriber's messages.
"""
import numpy as np

from chrtool.protocols import cause_object
from chrtool.table import names
from chrtool.table.names import iso
from chrtool.table.schema import PROTO

S1_RESET = 14                     # S1AP Reset, initiating message
LOST_CONTEXT_RULES = {"service-reject-context-lost", "tau-reject-context-lost"}
AFTERMATH_NS = 60 * 10**9         # a context-lost reject this soon after the Reset follows from it


def reset_findings(index, ev, sessions, ue, catalogue, lang="en", tz=None, files=None,
                   since_ns=None, until_ns=None):
    """Findings (DESIGN.md dicts) for the Resets that cut the subscriber's S1 connections."""
    from chrtool.diagnose.engine import _local, render
    if index is None or not len(index.key):
        return []
    at = np.flatnonzero((index.proto == PROTO["S1AP"]) & (index.msg == S1_RESET))
    if not len(at):
        return []
    conns = _connections(ev, sessions, ue)
    cut = getattr(sessions, "resets", None) or {}
    rule = next(r for r in catalogue if r.id == "s1-reset")
    out = []
    for i in at.tolist():
        t = int(index.ts[i])
        if (since_ns is not None and t < since_ns) or (until_ns is not None and t > until_ns):
            continue
        listed = index.reset_ids.get(int(index.row[i]), set())
        named = set(cut.get(int(index.row[i]), ()))
        hit = [c for c in conns if c["conn"] in named]
        if not hit:
            continue
        sender = {1: "eNB", -1: "MME"}.get(int(index.to_mme[i])) or \
            (sessions.roles or {}).get(bytes(index.addrs[int(index.src[i])]), "")
        node = sender if sender in ("eNB", "MME") else "unknown"
        code, group, value = _cause_triple(index.key[i])
        cause = cause_object(code, group, value) if code else None
        last = hit[0]["last_row"]
        cell = _cell(ev, hit[0]["rows"])
        fields = {"time": _local(t, tz), "cause_name": cause["name"] if cause else "",
                  "cause_value": cause["value"] if cause else "", "cell": cell.get("ecgi", "?"),
                  "node": node, "imsi": ue.imsi, "msisdn": ue.msisdn}
        summary, reply = render(rule, lang, fields)
        reset = {"file": (files or {}).get(int(index.file[i])), "frame": int(index.frame[i]),
                 "msg": "Reset"}
        if cause:
            reset["cause"] = cause
        out.append({
            "time": iso(t), "imsi": ue.imsi, "procedure": "context-release", "failure_node": node,
            "interface": "S1-MME", "cause": cause, "category": rule.category,
            "specialty": rule.specialty, "disposition": rule.disposition, "cell": cell,
            "evidence": [_row_evidence(ev, last), reset], "summary": summary, "reply": reply,
            "rule": rule.id, "confidence": rule.confidence,
            "confidence_reason": rule.why + ("" if listed else "; a Reset of the whole S1 interface"),
            "count": 1, "first": iso(t), "last": iso(t), "consequences": [], "procedure_id": None,
            "common_problem": None})
    return out


def fold_aftermath(resets, findings, registered=()):
    """A Service/TAU Reject #9/#10 soon after a Reset of the subscriber's connection, with no
    registration in between (`registered`: times of successful attaches and TAUs), is the
    Reset's consequence: moved into its `consequences`."""
    from chrtool.inputs.tickets import parse_time
    kept = []
    for f in findings:
        t = parse_time(f["time"])
        cause_of = next((r for r in resets if f["rule"] in LOST_CONTEXT_RULES
                         and 0 <= t - parse_time(r["time"]) <= AFTERMATH_NS
                         and not any(parse_time(r["time"]) < x < t for x in registered)), None)
        if cause_of is None:
            kept.append(f)
        else:
            cause_of["consequences"] += [dict(e, procedure=f["procedure"], outcome="reject",
                                              procedure_id=f["procedure_id"])
                                         for e in f["evidence"] if e.get("cause")]
    return kept


def _connections(ev, sessions, ue):
    """The subscriber's S1 connections: {conn, rows (in time order), last_row}."""
    cols = ev.cols
    by = {}
    for r in sessions.rows_of(ue.index).tolist():
        if cols["proto"][r] == PROTO["S1AP"]:
            node = int(sessions.conn_of_row[r])
            by.setdefault(node, {"conn": node, "rows": []})["rows"].append(r)
    for c in by.values():
        c["rows"].sort(key=lambda r: int(cols["ts_ns"][r]))
        c["last_row"] = c["rows"][-1]
    return list(by.values())


def _cause_triple(key):
    key = int(key)
    code, group, value = key >> 40, (key >> 24) & 0xFFFF, key & 0xFFFFFF
    return code, (-1 if group == 0xFFFF else group), value


def _row_evidence(ev, r):
    from chrtool.diagnose.engine import _evidence
    return _evidence(ev, r, names.msg_name(ev.cols["proto"][r], ev.cols["msg"][r]))


def _cell(ev, rows):
    cols = ev.cols
    for r in reversed(rows):
        if cols["eci"][r] >= 0:
            return {"ecgi": names.ecgi(cols["plmn"][r], cols["eci"][r])}
    return {}
