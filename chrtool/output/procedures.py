"""Procedures -> the procedure table (Parquet/CSV/JSONL for analysts and batch) and the
timeline's procedure ladder (text and JSON)."""
import json

from chrtool.link.correlate import CONFIDENCE, LINK_KINDS
from chrtool.link.procedures import _int_array
from chrtool.output.rows import rows_at, to_jsonable
from chrtool.table.names import iso, msg_name

# the procedure table's columns, in order (DESIGN-style names; nested values as JSON text)
COLUMNS = ("imsi", "msisdn", "subscriber", "procedure", "parent", "kind", "interface", "start",
           "end", "duration_ms", "outcome", "timer", "answered_by", "cause_proto", "cause_group",
           "cause_value", "cause_name", "messages", "link", "confidence", "causes", "frames")
# every column typed, so an empty table or an all-empty column has its schema all the same
TYPES = dict({c: "str" for c in COLUMNS}, subscriber="int", procedure="int", parent="int",
             cause_value="int", messages="int", duration_ms="float", confidence="float")
NESTED = ("causes", "frames")          # lists, as JSON text in a table
MARK = {"success": "ok", "reject": "REJECT", "failure": "FAIL", "timeout": "TIMEOUT",
        "abandoned": "abandoned", "interrupted": "interrupted", "open": "open"}


def _link(sessions, rows, link_of_row=None):
    """The weakest link among a procedure's rows: (kind, confidence). `link_of_row`: the
    sessions' link_of_row as a list, when at hand."""
    link_of_row = sessions.link_of_row if link_of_row is None else link_of_row
    kinds = {LINK_KINDS[link_of_row[r]] for r in rows} - {""}
    if not kinds:
        return "", None
    weakest = min(sorted(kinds), key=lambda k: CONFIDENCE[k])   # sorted: ties the same each run
    return weakest, CONFIDENCE[weakest]


class _Iso:
    """iso() of many times, the date and time of day formatted once per second."""

    def __init__(self):
        self.prefix = {}

    def __call__(self, ts_ns):
        us = int(ts_ns) // 1000
        sec, frac = divmod(us, 1_000_000)
        prefix = self.prefix.get(sec)
        if prefix is None:
            prefix = self.prefix[sec] = iso(sec * 1_000_000_000)[:-8]   # without .ffffffZ
        return f"{prefix}.{frac:06d}Z"


def procedure_rows(ev, sessions, procs):
    """One dict per procedure, keys COLUMNS."""
    files = ev.files
    # as compact Python arrays once, not numpy scalars per message
    frame, file_id = _int_array(ev.cols["frame"]), _int_array(ev.cols["file_id"])
    proto, msg = _int_array(ev.cols["proto"]), _int_array(ev.cols["msg"])
    link_of_row = _int_array(sessions.link_of_row)
    names, at = {}, _Iso()

    def name(r):
        key = (proto[r], msg[r])
        found = names.get(key)
        if found is None:
            found = names[key] = msg_name(*key)
        return found

    out = []
    for p in procs:
        ue = sessions.ues[p.ue]
        cause = p.failing_cause() or {}
        link, confidence = _link(sessions, p.rows, link_of_row)
        out.append({
            "imsi": ue.imsi or None, "msisdn": ue.msisdn or None, "subscriber": p.ue,
            "procedure": p.index, "parent": p.parent if p.parent >= 0 else None,
            "kind": p.kind, "interface": p.interface, "start": at(p.start_ns), "end": at(p.end_ns),
            "duration_ms": round((p.end_ns - p.start_ns) / 1e6, 3), "outcome": p.outcome,
            "timer": p.timer or None, "answered_by": p.answered_by or None,
            "cause_proto": cause.get("proto"), "cause_group": cause.get("group"),
            "cause_value": cause.get("value"), "cause_name": cause.get("name"),
            "messages": len(p.rows), "link": link or None, "confidence": confidence,
            "causes": [dict(c, frame=frame[r]) for r, c in p.causes],
            "frames": [{"file": files.get(file_id[r]), "frame": frame[r], "msg": name(r)}
                       for r in p.rows],
        })
    return out


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=to_jsonable)   # what json.dumps makes


def write_procedures(rows, fmt, path, durable=False):
    """rows (dicts, keys COLUMNS; JSONL and CSV take any iterable and write it as it comes)."""
    from chrtool.output.tables import ARROW_TYPES, _flat, replacing, write_parquet
    if fmt == "parquet":                # column by column: the rows' keys are COLUMNS
        import pyarrow as pa
        rows = list(rows)
        columns = {}
        encode = _ENCODER.encode        # as json.dumps(v, ensure_ascii=False, default=...)
        for k in COLUMNS:
            values = [r[k] for r in rows]
            if k in NESTED:
                values = [encode(v) for v in values]
            columns[k] = pa.array(values, getattr(pa, ARROW_TYPES[TYPES[k]])())
        write_parquet(pa.table(columns), path, durable)
        return
    import csv
    with replacing(path, durable) as tmp, open(tmp, "w", newline="", encoding="utf-8") as out:
        if fmt == "jsonl":
            for row in rows:
                out.write(_ENCODER.encode(row) + "\n")
            return
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(_flat([row], COLUMNS)[1][0])


# ------------------------------------------------------------------ the timeline
def timeline_document(ev, sessions, ue, procs, imsi, msisdn):
    """The timeline JSON: procedures (nested by parent) with their messages as decode rows, and
    the messages that belong to no procedure."""
    mine = [r for p in procs for r in p.rows]
    own = sessions.rows_of(ue.index).tolist() if ue else []
    decoded, top = rows_at(ev, own)
    placed = {top[r] for r in mine}
    by_index = {p.index: p for p in procs}
    odd = set(sessions.inconsistent_rows)
    copies = _copies(ev, sessions)

    def proc(p):
        link, confidence = _link(sessions, p.rows)
        cause = p.failing_cause()
        doc = {"kind": p.kind, "interface": p.interface, "start": iso(p.start_ns),
               "end": iso(p.end_ns), "outcome": p.outcome, "answered_by": p.answered_by or None,
               "timer": p.timer or None, "cause": cause, "link": link or None,
               "confidence": confidence,
               "messages": _messages(decoded, top, sessions, odd, copies, p.rows),
               "children": [proc(by_index[c]) for c in p.children if c in by_index]}
        return doc

    others = sorted({top[r] for r in own} - placed, key=lambda r: (int(ev.cols["ts_ns"][r]), r))
    return {"imsi": (ue.imsi if ue else imsi) or None, "msisdn": (ue.msisdn if ue else msisdn) or None,
            "procedures": [proc(p) for p in procs if p.parent < 0],
            "other_messages": _messages(decoded, top, sessions, odd, copies, others)}


def _copies(ev, sessions):
    """Original row -> the copies of it other inputs hold (a second probe's packet, an eNB
    trace's message, another export of a CHR record), as {"file", "frame"}."""
    files, frame = ev.files, ev.cols["frame"]
    fid = ev.cols["file_id"]
    return {o: [{"file": files.get(int(fid[r])), "frame": int(frame[r])} for r in rows]
            for o, rows in sessions.copies().items()}


def _messages(decoded, top, sessions, odd, copies, rows):
    """The decode rows of a procedure's messages, each carrier once (its NAS inside it), with
    the copies of it other inputs hold."""
    seen, out = set(), []
    for r in rows:
        t = top[r]
        if t in seen:
            continue
        seen.add(t)
        row = dict(decoded[r])       # a copy: a carrier may show in a parent and a child
        link = LINK_KINDS[sessions.link_of_row[t]]
        if link:
            row["link"] = link
        if t in odd:                # the peer's ID in it is not the connection's: a stack bug
            row["inconsistent_ids"] = True
        if t in copies:
            row["copies"] = copies[t]
        out.append(row)
    return out


# the colours of a terminal (rich styles); a pipe gets the same text without them
MARK_STYLE = {"success": "green", "reject": "bold red", "failure": "bold red",
              "timeout": "bold red", "abandoned": "yellow", "interrupted": "yellow",
              "open": "yellow"}


def styled(*parts):
    """A rich Text from strings and (string, style) pairs."""
    from rich.text import Text
    line = Text()
    for p in parts:
        if isinstance(p, tuple):
            line.append(*p)
        else:
            line.append(p)
    return line


def timeline_text(doc):
    """The ladder, grouped by procedure: outcome marks, who answered, the weakest link."""
    return timeline_styled(doc).plain


def timeline_styled(doc, head=True):
    """timeline_text as a rich Text (outcomes and causes coloured; `head`: with its first line)."""
    from rich.text import Text
    n_procs = 0
    lines = []

    def walk(p, depth):
        nonlocal n_procs
        n_procs += 1
        pad = "  " * depth
        cause = p["cause"]
        why = ("  cause: ", (_cause(cause), "red")) if cause else ()
        who = f"  by {p['answered_by']}" if p["answered_by"] else ""
        link = (f"  [linked by {p['link']}, {p['confidence']:.2f}]"
                if p["link"] and p["confidence"] is not None and p["confidence"] < 1 else "")
        lines.append(styled(pad, (p["start"], "dim"), "  ", (p["kind"], "bold"), " ",
                            (f"[{MARK[p['outcome']]}]", MARK_STYLE[p["outcome"]]),
                            f" {p['interface']}{who}", *why, (link, "yellow")))
        for m in p["messages"]:
            lines.append(_message_styled(m, f"{pad}    "))
        for c in p["children"]:
            walk(c, depth + 1)

    for p in doc["procedures"]:
        walk(p, 0)
    if doc["other_messages"]:
        lines.append(styled("messages outside any procedure:"))
        lines.extend(_message_styled(m, "    ") for m in doc["other_messages"])
    if head:
        lines.insert(0, styled((f"timeline of {doc['imsi'] or doc['msisdn']}: {n_procs} "
                                "procedures", "bold")))
    out = Text("\n").join(lines)
    out.append("\n")
    return out


def _cause(c):
    group = f" {c['group']}" if c.get("group") else ""
    return f"{c['proto']}{group} #{c['value']} {c['name']}"


def _message(m):
    return _message_styled(m).plain


def _message_styled(m, pad=""):
    nas = ", ".join(n.get("msg") or "ciphered" for n in m.get("nas", ()))
    cause = m.get("cause")
    cause = _cause(cause if isinstance(cause, dict) else cause[0]) if cause else ""
    link = f"  ({m['link']})" if m.get("link") not in (None, "imsi", "connection") else ""
    if m.get("inconsistent_ids"):
        link += "  (its peer ID is not the connection's)"
    if m.get("copies"):             # another probe or export holds it too: shown once
        link += "  (also " + ", ".join(f"{c['file']}#{c['frame']}" for c in m["copies"]) + ")"
    return styled(pad, (m["ts"], "dim"), "  ", (f"{m['file']}#{m['frame']}", "cyan"),
                  f"  {m['proto']} {m.get('msg', '?')}" + (f" [{nas}]" if nas else ""),
                  *(("  cause: ", (cause, "red")) if cause else ()), (link, "yellow"))
