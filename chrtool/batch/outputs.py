"""The shards' results -> OUTDIR: the Parquet tables, the night's report and the manifest.

Everything here is merged in shard order and sorted by content, and nothing records the clock or
the number of workers, so a rerun gives the same bytes.
"""
import json
import os

from chrtool import __version__
from chrtool.batch import store, triage
from chrtool.batch.results import FINDING_COLUMNS, FINDING_TYPES, KPIS

CELL_COLUMNS = (("ecgi", "str"), ("hour", "str"), ("procedure", "str"), ("cause_proto", "str"),
                ("cause_group", "str"), ("cause_value", "int"), ("cause_name", "str"),
                ("failures", "int"), ("subscribers", "int")) + tuple(
    (f"{k}_{m}", "float" if m == "success_rate" else "int") for k in KPIS
    for m in ("attempts", "successes", "success_rate")) + (("drops", "int"),)
COMMON_COLUMNS = ("id", "time", "first", "last", "subscribers", "procedure", "failure_node",
                  "interface", "cause_proto", "cause_group", "cause_value", "cause_name",
                  "category", "specialty", "disposition", "rule", "ecgi", "node_address",
                  "node_role", "imsis", "summary", "reply")
COMMON_TYPES = dict({c: "str" for c in COMMON_COLUMNS}, subscribers="int", cause_value="int")


def write(job, statuses, skipped, sessions, shards, tickets, unmatched):
    out = job.outdir
    findings = sorted((f for s in shards for f in s["findings"]),
                      key=lambda f: (f["imsi"] or "", f["msisdn"] or "", f["time"], f["rule"] or "",
                                     f["evidence"]))
    _table(os.path.join(out, "findings.parquet"), findings, FINDING_COLUMNS, FINDING_TYPES)
    _concat(os.path.join(out, "sessions.parquet"), [s["procedures_out"] for s in shards])
    if job.events:
        _concat(os.path.join(out, "events.parquet"), [s["events_out"] for s in shards])
    common = _common_problems(shards, findings)
    _table(os.path.join(out, "common_problems.parquet"), common, COMMON_COLUMNS, COMMON_TYPES)
    cells = cell_rows(shards, findings)
    _table(os.path.join(out, "cells.parquet"), cells, [c for c, _ in CELL_COLUMNS],
           dict(CELL_COLUMNS))
    triaged = []
    if job.tickets_path:
        triaged = triage.triage(tickets, unmatched, shards, cells, job.lang)
        _table(os.path.join(out, "tickets.parquet"), triaged, triage.COLUMNS, triage.TYPES)
    from chrtool.batch import night
    quarantined = [st for st in statuses if st["status"] == "quarantined"]
    summary = {"inputs": len(statuses), "quarantined": len(quarantined),
               "skipped": len(skipped), "messages": sum(st["messages"] for st in statuses),
               "subscribers": len(sessions.ues), "findings": len(findings),
               "common_problems": len(common), "tickets": len(triaged)}
    with store.atomic(os.path.join(out, "report.txt"), "w") as fh:
        fh.write(night.text(summary, statuses, skipped, findings, common, cells, triaged))
    with store.atomic(os.path.join(out, "report.html"), "w") as fh:
        fh.write(night.html_report(summary, statuses, skipped, findings, common, cells, triaged))
    store.write_json(os.path.join(out, "manifest.json"), manifest(job, statuses, skipped, summary))
    return summary


def manifest(job, statuses, skipped, summary):
    import numpy
    import pyarrow
    inputs = [{k: st.get(k) for k in ("path", "bytes", "mtime_ns", "blake2b", "status", "reason",
                                       "messages", "problem_count", "problems")}
              for st in statuses]
    inputs += [{"path": path, "status": "skipped", "reason": reason} for path, reason in skipped]
    return {"chrtool": __version__, "versions": {"numpy": numpy.__version__,
                                                   "pyarrow": pyarrow.__version__},
            "inputs": inputs, "summary": summary,
            "parameters": {"tickets": job.tickets_path, "since_ns": job.since_ns,
                           "until_ns": job.until_ns, "events": job.events, "lang": job.lang,
                           "tz": str(job.tz) if job.tz else None,
                           "clock_skew_ns": job.clock_skew_ns,
                           "maps": list(job.options.get("maps", ())),
                           "nas_null_cipher": bool(job.options.get("nas_null_cipher"))},
            "note": "the engine and the number of workers are not recorded: the outputs do not "
                    "depend on them"}


def _table(path, rows, columns, types):
    from chrtool.output.tables import write_table
    write_table(rows, "parquet", path, first=tuple(columns), types=types, durable=True)


def _concat(path, parts):
    from chrtool.output.tables import concat_parquet
    concat_parquet(path, parts, durable=True)


def _common_problems(shards, findings):
    by_id = {}
    for s in shards:
        for cp in s["common_problems"]:
            by_id.setdefault(cp["id"], cp)
    hit = {}
    for f in findings:
        if f["common_problem"]:
            hit.setdefault(f["common_problem"], set()).add(f["imsi"] or f["msisdn"] or "")
    rows = []
    for ident, cp in sorted(by_id.items(), key=lambda kv: (kv[1]["first"], kv[0])):
        cause, cell, node = cp.get("cause") or {}, cp.get("cell") or {}, cp.get("node") or {}
        rows.append({"id": ident, "time": cp["time"], "first": cp["first"], "last": cp["last"],
                     "subscribers": cp["subscribers"], "procedure": cp["procedure"],
                     "failure_node": cp["failure_node"], "interface": cp["interface"],
                     "cause_proto": cause.get("proto"), "cause_group": cause.get("group"),
                     "cause_value": cause.get("value"), "cause_name": cause.get("name"),
                     "category": cp["category"], "specialty": cp["specialty"],
                     "disposition": cp["disposition"], "rule": cp["rule"],
                     "ecgi": cell.get("ecgi"), "node_address": node.get("address"),
                     "node_role": node.get("role"),
                     "imsis": json.dumps(sorted(hit.get(ident, ()))), "summary": cp["summary"],
                     "reply": cp["reply"]})
    return rows


def cell_rows(shards, findings):
    """cells.parquet: per cell, hour, procedure and cause the failures (the findings' counts),
    and on every row of a cell and hour its KPIs; a cell and hour without failures gets one row
    with the KPIs alone."""
    from chrtool.batch.results import hour_of
    from chrtool.inputs.tickets import parse_time
    kpis = {}
    for s in shards:
        for key, c in s["cells"].items():
            into = kpis.setdefault(key, {})
            for name, v in c.items():
                if name == "drops":
                    into["drops"] = into.get("drops", 0) + v
                else:
                    pair = into.setdefault(name, [0, 0])
                    pair[0] += v[0]
                    pair[1] += v[1]
    failures = {}
    for f in findings:
        key = (f["ecgi"], hour_of(parse_time(f["time"])))
        cause = (f["procedure"], f["cause_proto"], f["cause_group"], f["cause_value"],
                 f["cause_name"])
        entry = failures.setdefault(key, {}).setdefault(cause, [0, set()])
        entry[0] += f["count"] or 1
        entry[1].add(f["imsi"] or f["msisdn"] or "")
    rows = []
    for key in sorted(set(kpis) | set(failures), key=lambda k: (k[0] or "", k[1])):
        base = {"ecgi": key[0], "hour": key[1]}
        k = kpis.get(key, {})
        for name in KPIS:
            attempts, ok = k.get(name, (0, 0))
            base[f"{name}_attempts"], base[f"{name}_successes"] = attempts, ok
            base[f"{name}_success_rate"] = round(ok / attempts, 4) if attempts else None
        base["drops"] = k.get("drops", 0)
        causes = failures.get(key)
        if not causes:
            rows.append(dict(base, failures=0, subscribers=0))
            continue
        for cause, (count, who) in sorted(causes.items(), key=lambda kv: tuple(
                "" if v is None else str(v) for v in kv[0])):
            rows.append(dict(base, procedure=cause[0], cause_proto=cause[1], cause_group=cause[2],
                             cause_value=cause[3], cause_name=cause[4], failures=count,
                             subscribers=len(who)))
    return rows
