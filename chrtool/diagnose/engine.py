"""Sessions -> findings: apply the rule catalogue (catalogue.py, rules.toml) to one subscriber's
messages.

A finding says when, which node broke the signalling, with which cause, where, how the ticket
process classifies it, which frames show it, and a reply a person can paste into the ticket.
"""
import numpy as np

from chrtool.diagnose.catalogue import rules
from chrtool.table import names
from chrtool.table.names import iso

MEAS_MAX_AGE_NS = 60 * 10**9       # a measurement older than this says nothing about a failure


def diagnose_ue(ev, sessions, ue, since_ns=None, until_ns=None, lang="en", catalogue=None):
    """Findings (DESIGN.md dicts) for one UE, in time order.

    The same failure seen in several inputs (a capture and a CHR export, two exports of one
    story) is one finding whose evidence lists every copy."""
    catalogue = catalogue if catalogue is not None else rules()
    cols = ev.cols
    rows = sessions.rows_of(ue.index)
    rows = rows[np.lexsort((cols["frame"][rows], cols["ts_ns"][rows]))]
    proto_of, msg_of = cols["proto"], cols["msg"]
    serving = _serving_measurements(ev)
    seen_in_conn = {}                    # connection -> [(msg name, row)] so far
    seen = []                            # the subscriber's [(msg name, row)] on every interface
    last_meas = {}                       # kind -> (ts, value, row): the UE's latest measurements
    findings = {}
    for r in rows.tolist():
        msg = names.msg_name(proto_of[r], msg_of[r])
        conn = int(sessions.conn_of_row[r])
        history = seen_in_conn.setdefault(conn, [])
        history.append((msg, r))
        seen.append((msg, r))
        ts = int(cols["ts_ns"][r])
        own = serving.get(r, {})
        meas = {k: v for k, (t, v, _) in last_meas.items() if ts - t <= MEAS_MAX_AGE_NS}
        meas.update(own)
        for kind, value in own.items():
            last_meas[kind] = (ts, value, r)
        if (since_ns is not None and ts < since_ns) or (until_ns is not None and ts > until_ns):
            continue
        cause = names.cause(cols["cause_proto"][r], cols["cause_group"][r], cols["cause_value"][r])
        proto = names.proto_name(proto_of[r])
        for rule in catalogue:
            if rule.matches(proto, msg, cause, meas):
                key = (rule.id, ts // 10**6, cause["value"] if cause else None)
                found = _finding(ev, ue, rule, r, msg, cause, history, seen, meas, lang)
                if key in findings:        # the same event from another input
                    _merge_evidence(findings[key], found)
                else:
                    findings[key] = found
                    found["_specificity"] = rule.specificity()
                break
    return _one_per_failure(list(findings.values()))


SAME_FAILURE_NS = 10**9            # findings of one procedure this close are one failure


def _one_per_failure(findings):
    """One failure seen through several messages (a CHR SgNB addition result and the X2AP reject
    behind it) is one finding: the most specific rule's, with all the evidence."""
    out = []
    for f in sorted(findings, key=lambda f: f["time"]):
        same = [g for g in out if g["procedure"] == f["procedure"]
                and abs(_ns(g["time"]) - _ns(f["time"])) <= SAME_FAILURE_NS]
        if not same:
            out.append(f)
            continue
        kept = same[0]
        winner, loser = (f, kept) if f["_specificity"] > kept["_specificity"] else (kept, f)
        _merge_evidence(winner, loser)
        out[out.index(kept)] = winner
    for f in out:
        del f["_specificity"]
    return out


def _merge_evidence(into, other):
    merged = into["evidence"] + other["evidence"]
    into["evidence"] = sorted({(e["file"], e["frame"]): e for e in merged}.values(),
                              key=lambda e: (e["file"], e["frame"]))


def _ns(text):
    from chrtool.inputs.tickets import parse_time
    return parse_time(text)


def _serving_measurements(ev):
    """row -> {kind: value} of the serving-cell measurements a row carries (dB/dBm, raw)."""
    from chrtool._fast.events import MEAS_KINDS, MEAS_NEIGHBOUR, MEAS_SCALE
    from chrtool.table.schema import ITEM_KINDS
    it, meas = ev.items_of("meas"), ITEM_KINDS["meas"]
    out = {}
    for r, kind, value in zip(it["row"].tolist(), meas.get(it, "kind").tolist(),
                              meas.get(it, "value").tolist()):
        if kind & MEAS_NEIGHBOUR:
            continue
        name = MEAS_KINDS.get(kind)
        if name:
            out.setdefault(r, {})[name] = value / MEAS_SCALE.get(name, 1)
    return out


CITE_WINDOW_NS = 30 * 10**9        # other interfaces' messages this close belong to the procedure


def _finding(ev, ue, rule, r, msg, cause, history, seen, meas, lang):
    """The finding of `rule` at row r. Cited messages come from the same connection, or else
    from the subscriber's other interfaces (S6a, S11) within the procedure's 30 s."""
    cols = ev.cols
    evidence = []
    ts = int(cols["ts_ns"][r])
    for want in rule.cite:
        found = next((row for name, row in reversed(history[:-1]) if name == want), None)
        if found is None:
            found = next((row for name, row in reversed(seen[:-1]) if name == want
                          and ts - int(cols["ts_ns"][row]) <= CITE_WINDOW_NS), None)
        if found is not None:
            evidence.append(_evidence(ev, found, want))
    evidence.append(_evidence(ev, r, msg))
    cell = _cell(ev, [row for _, row in history])
    fields = {"time": iso(cols["ts_ns"][r]), "cause_name": cause["name"] if cause else "",
              "cause_value": cause["value"] if cause else "", "cell": cell.get("ecgi", "?"),
              "nr_cell": cell.get("nr_cgi", "?"), "imsi": ue.imsi, "msisdn": ue.msisdn,
              "meas": ", ".join(f"{MEAS_LABELS[k][0]} {meas[k]:g} {MEAS_LABELS[k][1]}"
                                for k in MEAS_LABELS if k in meas) or "no measurement"}
    finding = {
        "time": iso(cols["ts_ns"][r]), "imsi": ue.imsi, "procedure": rule.procedure,
        "failure_node": rule.failure_node, "interface": rule.interface, "cause": cause,
        "category": rule.category, "specialty": rule.specialty, "disposition": rule.disposition,
        "cell": cell, "evidence": sorted(evidence, key=lambda e: (e["file"], e["frame"])),
        "summary": rule.summary.format(**fields), "reply": rule.reply[lang].format(**fields),
        "rule": rule.id,
    }
    if rule.when.get("meas"):
        finding["measurements"] = meas
    return finding


MEAS_LABELS = {"ss_rsrp": ("SS-RSRP", "dBm"), "ss_rsrq": ("SS-RSRQ", "dB"),
               "ss_sinr": ("SS-SINR", "dB"), "rsrp": ("RSRP", "dBm"), "rsrq": ("RSRQ", "dB"),
               "sinr": ("SINR", "dB")}


def _evidence(ev, r, msg):
    carrier = ev.cols["parent"][r]
    shown = r if carrier < 0 else carrier          # the frame carries the S1AP message
    out = {"file": ev.files.get(int(ev.cols["file_id"][r])), "frame": int(ev.cols["frame"][r]),
           "msg": msg}
    if carrier >= 0:
        out["carrier"] = names.msg_name(ev.cols["proto"][shown], ev.cols["msg"][shown])
    cause = names.cause(ev.cols["cause_proto"][r], ev.cols["cause_group"][r], ev.cols["cause_value"][r])
    if cause:
        out["cause"] = cause
    return out


def _cell(ev, rows):
    """The latest ECGI / NR-CGI the connection reported up to the failure."""
    cell = {}
    cols = ev.cols
    for r in reversed(rows):
        if "ecgi" not in cell and cols["eci"][r] >= 0:
            cell["ecgi"] = names.ecgi(cols["plmn"][r], cols["eci"][r])
        if "nr_cgi" not in cell and cols["nci"][r] >= 0:
            plmn = cols["nr_plmn"][r] if cols["nr_plmn"][r] >= 0 else cols["plmn"][r]
            cell["nr_cgi"] = names.nr_cgi(plmn, cols["nci"][r])
    return cell
