"""Sessions -> findings: apply the rule catalogue (rules.toml) to one subscriber's messages.

A finding says when, which node broke the signalling, with which cause, where, how the ticket
process classifies it, which frames show it, and a reply a person can paste into the ticket.
"""
import tomllib
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from chrtool import names
from chrtool.errors import ChrtoolError
from chrtool.rows import iso

VOCABULARY = {
    "failure_node": {"UE", "eNB", "gNB", "MME", "SGW", "PGW", "HSS", "transport", "unknown"},
    "interface": {"Uu", "S1-MME", "X2", "S11", "S5", "S6a"},
    "category": {"coverage", "interference", "hardware-link", "congestion", "configuration",
                 "core-reject", "subscription", "user-terminal", "transport", "unknown"},
    "specialty": {"ran", "ran-core", "switching", "ran-opt", "data-core"},
    "disposition": {"self-handle", "dispatch", "field-test"},
}


@dataclass
class Rule:
    id: str
    when: dict
    procedure: str
    failure_node: str
    interface: str
    category: str
    specialty: str
    disposition: str
    summary: str
    reply: dict
    cite: list = field(default_factory=list)

    def matches(self, proto, msg, cause):
        w = self.when
        if w.get("proto") not in (None, proto):
            return False
        allowed = w.get("msg")
        if isinstance(allowed, str):
            allowed = [allowed]
        if allowed and msg not in allowed:
            return False
        want = w.get("cause")
        if want:
            if cause is None:
                return False
            for key in ("proto", "group"):
                if key in want and cause.get(key) != want[key]:
                    return False
            if "values" in want and cause["value"] not in want["values"]:
                return False
        return True


def load_rules(text=None):
    """The rule catalogue (chrtool/rules.toml unless `text` is given), checked against DESIGN's
    vocabularies so a typo fails at load time, not in a ticket."""
    if text is None:
        text = resources.files("chrtool").joinpath("rules.toml").read_text(encoding="utf-8")
    rules = []
    for entry in tomllib.loads(text)["rule"]:
        rule = Rule(**entry)
        for key, allowed in VOCABULARY.items():
            if getattr(rule, key) not in allowed:
                raise ChrtoolError(f"rule {rule.id}: {key} {getattr(rule, key)!r} is not one of "
                                   f"{sorted(allowed)}")
        if set(rule.reply) != {"en", "zh"}:
            raise ChrtoolError(f"rule {rule.id}: needs reply.en and reply.zh")
        rules.append(rule)
    return rules


RULES = None


def rules():
    global RULES
    if RULES is None:
        RULES = load_rules()
    return RULES


def diagnose_ue(ev, sessions, ue, since_ns=None, until_ns=None, lang="en", catalogue=None):
    """Findings (DESIGN.md dicts) for one UE, in time order."""
    catalogue = catalogue if catalogue is not None else rules()
    cols = ev.cols
    rows = sessions.rows_of(ue.index)
    rows = rows[np.lexsort((cols["frame"][rows], cols["ts_ns"][rows]))]
    proto_of, msg_of = cols["proto"], cols["msg"]
    seen_in_conn = {}                    # connection -> [(msg name, row)] so far
    findings = []
    for r in rows.tolist():
        msg = names.msg_name(proto_of[r], msg_of[r])
        conn = int(sessions.conn_of_row[r])
        history = seen_in_conn.setdefault(conn, [])
        history.append((msg, r))
        ts = int(cols["ts_ns"][r])
        if (since_ns is not None and ts < since_ns) or (until_ns is not None and ts > until_ns):
            continue
        cause = names.cause(cols["cause_proto"][r], cols["cause_group"][r], cols["cause_value"][r])
        proto = names.PROTO_NAMES_BY_CODE.get(int(proto_of[r]))
        for rule in catalogue:
            if rule.matches(proto, msg, cause):
                findings.append(_finding(ev, sessions, ue, rule, r, msg, cause, history, lang))
                break
    return findings


def _finding(ev, sessions, ue, rule, r, msg, cause, history, lang):
    cols = ev.cols
    evidence = []
    for want in rule.cite:
        for name, row in reversed(history[:-1]):
            if name == want:
                evidence.append(_evidence(ev, row, name))
                break
    evidence.append(_evidence(ev, r, msg))
    cell = _cell(ev, [row for _, row in history])
    fields = {"time": iso(cols["ts_ns"][r]), "cause_name": cause["name"] if cause else "",
              "cause_value": cause["value"] if cause else "", "cell": cell.get("ecgi", "?"),
              "imsi": ue.imsi, "msisdn": ue.msisdn}
    return {
        "time": iso(cols["ts_ns"][r]), "imsi": ue.imsi, "procedure": rule.procedure,
        "failure_node": rule.failure_node, "interface": rule.interface, "cause": cause,
        "category": rule.category, "specialty": rule.specialty, "disposition": rule.disposition,
        "cell": cell, "evidence": sorted(evidence, key=lambda e: (e["file"], e["frame"])),
        "summary": rule.summary.format(**fields), "reply": rule.reply[lang].format(**fields),
        "rule": rule.id,
    }


def _evidence(ev, r, msg):
    carrier = ev.cols["parent"][r]
    shown = r if carrier < 0 else carrier          # the frame carries the S1AP message
    out = {"file": ev.files.get(int(ev.cols["file_id"][r])), "frame": int(ev.cols["frame"][r]),
           "msg": msg}
    if carrier >= 0:
        out["carrier"] = names.msg_name(ev.cols["proto"][shown], ev.cols["msg"][shown])
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
