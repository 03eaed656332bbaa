"""One shard of subscribers -> its rows of the batch outputs: findings, procedures, cell counts
and the reports of its tickets.

The shard's events hold every message of its subscribers (chrtool/batch/stages.py), so each
subscriber is diagnosed exactly as `chrtool diagnose` would (chrtool/diagnose/engine.py), with
the run's cause index for the cell view.
"""
import bisect
import datetime as dt
import json
import os

import numpy as np

from chrtool.batch import store
from chrtool.table.names import ecgi as ecgi_text, iso
from chrtool.table.schema import PROTO

# findings.parquet: DESIGN.md's columns, in order, and their types
FINDING_COLUMNS = ("imsi", "msisdn", "complaint", "time", "procedure", "failure_node", "interface",
                   "cause_proto", "cause_group", "cause_value", "cause_name", "category",
                   "specialty", "disposition", "ecgi", "nr_cgi", "confidence", "count", "rule",
                   "summary", "evidence", "common_problem", "reply")
FINDING_TYPES = dict({c: "str" for c in FINDING_COLUMNS}, cause_value="int", confidence="float",
                     count="int")
# the KPIs of cells.parquet: name -> the procedure kinds it counts
KPIS = {"attach": ("attach",), "service_request": ("service-request",),
        "erab_setup": ("initial-context-setup", "erab-setup"),
        "handover": ("s1-handover", "x2-handover"), "endc_addition": ("endc-addition",)}
KPI_OF_KIND = {k: name for name, kinds in KPIS.items() for k in kinds}
DROP_KINDS = ("context-release", "unrequested-release")     # signalling: by their cause
CHR_DROP_KINDS = ("radio-link-failure",)      # the eNB's record of it, counted where no signalling did
SAME_DROP_NS = 5 * 10**9
TICKET_BEFORE_NS, TICKET_AFTER_NS = 24 * 3600 * 10**9, 3600 * 10**9   # as `diagnose --complaint`
HOUR_NS = 3600 * 10**9
PROTO_NAS = PROTO["NAS-EPS"]


def hour_of(ts_ns):
    t = dt.datetime.fromtimestamp(ts_ns // HOUR_NS * 3600, dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:00:00Z")


def finding_row(f, ue, complaint):
    cause = f.get("cause") or {}
    cell = f.get("cell") or {}
    return {"imsi": ue.imsi or None, "msisdn": ue.msisdn or None, "complaint": complaint,
            "time": f["time"], "procedure": f["procedure"], "failure_node": f["failure_node"],
            "interface": f.get("interface"), "cause_proto": cause.get("proto"),
            "cause_group": cause.get("group"), "cause_value": cause.get("value"),
            "cause_name": cause.get("name"), "category": f["category"],
            "specialty": f["specialty"], "disposition": f["disposition"],
            "ecgi": cell.get("ecgi"), "nr_cgi": cell.get("nr_cgi"),
            "confidence": f.get("confidence"), "count": f.get("count", 1), "rule": f.get("rule"),
            "summary": f.get("summary"),
            "evidence": json.dumps(f.get("evidence", []), ensure_ascii=False),
            "common_problem": f.get("common_problem"), "reply": f.get("reply")}


class _Cells:
    """Each subscriber's cell over time, from the ECGIs its messages carry."""

    def __init__(self, ev):
        cols = ev.cols
        self.eci, self.plmn, self.ts = cols["eci"], cols["plmn"], cols["ts_ns"]

    def of(self, rows_by_time, procedure):
        """The cell a procedure ran in: the first of its messages that names one, else the
        latest cell its subscriber's messages named before it started."""
        for r in procedure.rows:
            if self.eci[r] >= 0:
                return ecgi_text(int(self.plmn[r]), int(self.eci[r]))
        times, rows = rows_by_time
        at = bisect.bisect_right(times, procedure.start_ns) - 1
        return ecgi_text(int(self.plmn[rows[at]]), int(self.eci[rows[at]])) if at >= 0 else None


def _kpi_counts(procs, cells, located, counts):
    """Add the UE's procedures to counts[(ecgi, hour)][kpi] = [attempts, successes]."""
    drops = []
    for p in procs:
        if p.outcome == "open":
            continue                    # still running when the inputs end: neither way yet
        kpi = KPI_OF_KIND.get(p.kind)
        if kpi:
            c = counts.setdefault((cells.of(located, p), hour_of(p.start_ns)), {})
            pair = c.setdefault(kpi, [0, 0])
            pair[0] += 1
            pair[1] += p.outcome == "success"
        elif p.kind in DROP_KINDS and p.failing_cause() is not None:
            drops.append(p)
    for p in procs:                     # a radio link failure the signalling did not show
        if p.kind in CHR_DROP_KINDS and not any(abs(d.start_ns - p.start_ns) <= SAME_DROP_NS
                                                for d in drops if d.kind in DROP_KINDS):
            drops.append(p)
    for p in drops:
        c = counts.setdefault((cells.of(located, p), hour_of(p.start_ns)), {})
        c["drops"] = c.get("drops", 0) + 1


def shard_results(ev, sessions, index, task):
    """Findings rows, procedure rows, cell counts and ticket summaries of the shard's UEs."""
    from chrtool.diagnose.cells import common_problems
    from chrtool.diagnose.engine import diagnose_ue
    from chrtool.link.procedures import build
    from chrtool.output.procedures import procedure_rows
    ue_indices = sorted(task["ues"])
    procs = build(ev, sessions, ue_indices, end_ns=sessions.end_ns)
    by_ue = {}
    for p in procs:
        by_ue.setdefault(p.ue, []).append(p)
    cells = _Cells(ev)
    own = sessions.ue_of_row.copy()
    own[sessions.duplicate_of_row >= 0] = -1
    order = np.lexsort((np.arange(ev.n), cells.ts, own))
    bounds = np.searchsorted(own[order], np.arange(len(sessions.ues) + 1))
    findings, counts, common, tickets = [], {}, {}, []
    tickets_of = {}
    for t in task.get("tickets", ()):
        tickets_of.setdefault(t["ue"], []).append(t)
    lang, tz = task.get("lang", "en"), task.get("tz")
    for u in ue_indices:
        ue = sessions.ues[u]
        mine = order[bounds[u]:bounds[u + 1]]
        with_cell = mine[cells.eci[mine] >= 0]
        located = (cells.ts[with_cell].tolist(), with_cell.tolist())
        procs_u = by_ue.get(u, [])
        _kpi_counts(procs_u, cells, located, counts)
        found = diagnose_ue(ev, sessions, ue, task.get("since_ns"), task.get("until_ns"), lang,
                            procedures=procs_u, tz=tz, causes=index)
        for cp in common_problems(found, index, u, lang, tz, sessions.roles):
            common.setdefault(cp["id"], cp)
        windows = [(t["ticket"], t["time_ns"]) for t in tickets_of.get(u, ())]
        for f in found:
            from chrtool.inputs.tickets import parse_time
            at = parse_time(f["time"])
            complaint = ",".join(n for n, t in windows if t is not None
                                 and t - TICKET_BEFORE_NS <= at <= t + TICKET_AFTER_NS) or None
            findings.append(finding_row(f, ue, complaint))
        for t in tickets_of.get(u, ()):
            tickets.append(_ticket_report(ev, sessions, ue, procs_u, index, t, task))
    return {"findings": findings, "procedures": procedure_rows(ev, sessions, procs),
            "cells": counts, "common_problems": list(common.values()), "tickets": tickets}


def _ticket_report(ev, sessions, ue, procs, index, t, task):
    """Diagnose one ticket's subscriber as `diagnose --complaint` does, write its report
    (tickets/<ticket>.html and .json under OUTDIR) and return what triage needs."""
    from chrtool.diagnose.cells import common_problems
    from chrtool.diagnose.engine import diagnose_ue
    from chrtool.diagnose.phenomena import classify
    from chrtool.output import report
    lang = task.get("lang", "en")
    since = t["time_ns"] - TICKET_BEFORE_NS if t["time_ns"] is not None else task.get("since_ns")
    until = t["time_ns"] + TICKET_AFTER_NS if t["time_ns"] is not None else task.get("until_ns")
    tz = t["zone"] or task.get("tz")
    found = diagnose_ue(ev, sessions, ue, since, until, lang, procedures=procs, tz=tz,
                        phenomenon=classify(t["echo"].get("phenomenon") or ""), causes=index)
    common = common_problems(found, index, ue.index, lang, tz, sessions.roles)
    doc = report.diagnosis_document(
        t["ticket"], ue.imsi, ue.msisdn or None, iso(since) if since is not None else None,
        iso(until) if until is not None else None, task["inputs"], ue.connections, found, (),
        common, t["echo"])
    from chrtool.output.html import report_html, s1_senders
    from chrtool.output.procedures import timeline_document
    base = os.path.join(task["outdir"], "tickets", store.safe_name(t["ticket"]))
    with store.atomic(base + ".json", "w") as fh:
        fh.write(report.to_json(doc))
    with store.atomic(base + ".html", "w") as fh:
        fh.write(report_html(timeline_document(ev, sessions, ue, procs, ue.imsi, ue.msisdn),
                             doc, sessions.roles, lang, tz, s1_senders(ev)))
    return {"ticket": t["ticket"], "ue": ue.index, "findings": found, "common_problems": common}


def write_events(ev, sessions, path):
    """The shard's messages as decode rows (DESIGN.md keys, in file and frame order) with their
    subscriber, as Parquet. A column no row fills is typed null, so that the shards' tables
    join into one (chrtool/batch/job.py)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from chrtool.output.rows import rows_at
    from chrtool.output.tables import SCALAR_FIRST, _flat
    cols = ev.cols
    nas = cols["proto"] == PROTO_NAS
    top = np.flatnonzero(~((cols["parent"] >= 0) & nas))
    top = top[np.lexsort((top, cols["frame"][top], cols["file_id"][top]))]
    made, _ = rows_at(ev, top.tolist())
    imsi = [u.imsi or None for u in sessions.ues]
    rows = []
    for r in top.tolist():
        u = int(sessions.ue_of_row[r])
        rows.append(dict(made[r], subscriber=u, subscriber_imsi=imsi[u] if u >= 0 else None))
    keys, flat = _flat(rows, SCALAR_FIRST + ("subscriber", "subscriber_imsi"))
    table = pa.table({k: _arrow_column([row.get(k) for row in flat]) for k in keys})
    with store.atomic(path, None) as tmp:
        pq.write_table(table, tmp)


def _arrow_column(values):
    import pyarrow as pa
    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values))
    if all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, pa.int64())
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.array(values, pa.float64())
    return pa.array([None if v is None else str(v) for v in values], pa.string())
